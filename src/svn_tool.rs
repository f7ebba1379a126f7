//! Running Subversion's command-line tools (`svn`, `svnlook`): finding them, a fixed locale, and their
//! error text. The one runner used by the working-copy backend (`vcs::svn`) and the transaction source
//! (`source::svn_txn`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Folders searched for a Subversion tool when `PATH` does not have it (hooks run without `PATH`).
pub const DEFAULT_TOOL_DIRS: [&str; 4] = [
    "/usr/bin",
    "/usr/local/bin",
    "/opt/homebrew/bin",
    "/opt/local/bin",
];

/// Finds a Subversion tool: `explicit` when given (it must exist), else the environment variable
/// `env_var` (`VIGIL_SVN`, `VIGIL_SVNLOOK`), else `PATH`, else [`DEFAULT_TOOL_DIRS`].
pub fn find_tool(name: &str, explicit: Option<&Path>, env_var: &str) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!(
                "`{}` does not exist: give the absolute path of `{name}`",
                p.display()
            ))
        };
    }
    if let Some(p) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        return find_tool(name, Some(Path::new(&p)), env_var);
    }
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(DEFAULT_TOOL_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "cannot find `{name}` in PATH or in {}: install Subversion, or set {env_var} to its absolute path",
                DEFAULT_TOOL_DIRS.join(", ")
            )
        })
}

/// A command for a Subversion tool with a fixed UTF-8 locale and no terminal interaction.
pub fn tool_command(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null());
    c
}

/// What a Subversion tool printed when it failed.
#[derive(Debug, Clone)]
pub struct ToolError {
    pub stderr: String,
}

impl ToolError {
    /// True when the error text carries Subversion error code `code` (`E155010`, ...).
    pub fn has(&self, code: &str) -> bool {
        self.stderr.contains(code)
    }
}

/// Runs a command and returns its stdout, or its stderr when it fails.
pub fn run_tool(mut c: Command) -> Result<Vec<u8>, ToolError> {
    match c.output() {
        Ok(o) if o.status.success() => Ok(o.stdout),
        Ok(o) => Err(ToolError {
            stderr: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        }),
        Err(e) => Err(ToolError {
            stderr: format!("cannot run {:?}: {e}", c.get_program()),
        }),
    }
}
