//! Installing vigil's git hooks into a repository: the scripts shipped in `hooks/`, with the path of
//! the vigil binary that installed them, in the folder git runs hooks from (`core.hooksPath` when set).
//!
//! An installed hook carries a marker line. A file with the marker is vigil's own and is updated in
//! place (so installing twice is harmless); any other file is someone else's hook and is never
//! overwritten unless forced, and even then it is kept beside the new one.

use crate::config::CONFIG_FILE;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The line that marks a hook as written by vigil.
pub const MARKER: &str = "# vigil-managed-hook:";

/// The shipped scripts.
pub const PRE_COMMIT: &str = include_str!("../hooks/pre-commit");
pub const PRE_RECEIVE: &str = include_str!("../hooks/pre-receive");

/// The line of a shipped script that chooses the binary; installation pins it to an absolute path,
/// because hooks often run with a smaller `PATH` than the shell that installed them.
pub(crate) const BIN_LINE: &str = "VIGIL_BIN=\"${VIGIL_BIN:-vigil}\"";

/// The repository hooks are installed into.
pub struct HookRepo {
    repo: git2::Repository,
}

impl HookRepo {
    /// The repository at or above `cwd` (or `GIT_DIR`).
    pub fn open(cwd: &Path) -> Result<HookRepo, crate::Error> {
        Ok(HookRepo {
            repo: crate::snapshot::open_repo(cwd)?,
        })
    }

    /// A bare repository (a server's) has no work tree and runs pre-receive hooks.
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
    }

    /// The work tree, when there is one.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The folder git runs hooks from: `core.hooksPath` (relative to the work tree, or to the git
    /// folder of a bare repository, as git resolves it), else `hooks/` in the common git folder
    /// (shared by all linked worktrees).
    pub fn hooks_dir(&self) -> PathBuf {
        let repo = &self.repo;
        let configured = repo
            .config()
            .ok()
            .and_then(|c| c.get_path("core.hooksPath").ok());
        match configured {
            Some(p) if p.is_absolute() => p,
            Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
            None => repo.commondir().join("hooks"),
        }
    }

    /// The workspace folder when `--workspace` is not given: the nearest folder at or above `cwd`, inside
    /// the work tree, that holds vigil.toml on disk. `None` at the top or when there is none (the hooks
    /// then look at the top, their default).
    pub fn default_workspace(&self, cwd: &Path) -> Option<Vec<u8>> {
        let wd = self.repo.workdir()?;
        let wd = wd.canonicalize().unwrap_or_else(|_| wd.to_path_buf());
        let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
        let mut dir = cwd.as_path();
        while let Ok(rel) = dir.strip_prefix(&wd) {
            if rel.as_os_str().is_empty() {
                return None;
            }
            if dir.join(CONFIG_FILE).is_file() {
                return Some(rel.as_os_str().as_bytes().to_vec());
            }
            dir = dir.parent()?;
        }
        None
    }

    /// The folders of the index (or of HEAD's tree) that hold a vigil.toml, as repository paths, for
    /// an installation at the top of a repository whose workspace is in a subfolder.
    pub fn workspaces_in_index(&self) -> Vec<Vec<u8>> {
        match self.repo.index() {
            Ok(index) => crate::pre_commit::index_workspaces(&index),
            Err(_) => Vec::new(),
        }
    }

    /// The folders of the work tree that hold a vigil.toml on disk (staged or not), as repository
    /// paths, for an installation at the top before the workspace is staged. Hidden folders (`.git`
    /// among them) are not searched, and the search stops a few levels down.
    pub fn workspaces_on_disk(&self) -> Vec<Vec<u8>> {
        let Some(wd) = self.repo.workdir() else {
            return Vec::new();
        };
        let mut found: Vec<Vec<u8>> = walkdir::WalkDir::new(wd)
            .min_depth(2)
            .max_depth(6)
            .into_iter()
            .filter_entry(|e| !e.file_name().as_bytes().starts_with(b"."))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && e.file_name() == CONFIG_FILE)
            .filter_map(|e| {
                let rel = e.path().parent()?.strip_prefix(wd).ok()?;
                Some(rel.as_os_str().as_bytes().to_vec())
            })
            .collect();
        found.sort();
        found
    }
}

/// Which hooks to install when the user names none: pre-commit in a repository with a work tree,
/// pre-receive in a bare (server) repository.
pub fn hooks_wanted(repo: &HookRepo, pre_commit: bool, pre_receive: bool) -> (bool, bool) {
    if pre_commit || pre_receive {
        (pre_commit, pre_receive)
    } else {
        (!repo.is_bare(), repo.is_bare())
    }
}

/// Where installed hooks look for vigil.toml, and what the user should hear about that choice.
#[derive(Debug, Default)]
pub struct WorkspaceChoice {
    /// The workspace folder as a repository path; `None` (or empty) for the top of the repository.
    pub workspace: Option<Vec<u8>>,
    /// A warning or note to show (the named folder holds no vigil.toml yet; none exists anywhere).
    pub note: Option<String>,
}

impl HookRepo {
    /// The workspace the hooks pass on with `--workspace`: the one the user names (`explicit`), else
    /// the nearest folder at or above `cwd` holding vigil.toml, else, at the top of a work tree without
    /// one, the single workspace the index (or else the work tree) holds. Several candidates are a
    /// usage error: guessing would leave a hook checking the wrong profiles.
    pub fn choose_workspace(
        &self,
        cwd: &Path,
        explicit: Option<&str>,
    ) -> Result<WorkspaceChoice, crate::Error> {
        if let Some(w) = explicit {
            let p = crate::snapshot::parse_workspace(w)?;
            let on_disk = self
                .workdir()
                .map(|wd| wd.join(std::ffi::OsStr::from_bytes(&p)).join(CONFIG_FILE));
            let note = on_disk.filter(|f| !f.is_file()).map(|f| {
                format!(
                    "warning: {} does not exist (yet); the hooks will look for it there",
                    f.display()
                )
            });
            return Ok(WorkspaceChoice {
                workspace: Some(p),
                note,
            });
        }
        if let Some(w) = self.default_workspace(cwd) {
            return Ok(WorkspaceChoice {
                workspace: Some(w),
                note: None,
            });
        }
        let top_has_config = self
            .workdir()
            .is_some_and(|wd| wd.join(CONFIG_FILE).is_file());
        if self.is_bare() || top_has_config {
            return Ok(WorkspaceChoice::default());
        }
        self.single_workspace()
    }

    /// At the top with no vigil.toml there a hook looking there would check nothing: the one
    /// workspace the index holds (or else the work tree), said out loud; several is an error.
    fn single_workspace(&self) -> Result<WorkspaceChoice, crate::Error> {
        let mut found = self.workspaces_in_index();
        let mut place = "the index";
        if found.is_empty() {
            found = self.workspaces_on_disk();
            place = "the work tree";
        }
        match found.as_slice() {
            // No workspace yet: the hook looks at the top, or at the one workspace the index holds
            // when it runs, and refuses a commit while there is none.
            [] => Ok(WorkspaceChoice {
                workspace: None,
                note: Some(format!(
                    "note: no {CONFIG_FILE} in the repository yet; the pre-commit hook will check \
                     the one the index holds, and refuse commits until there is one"
                )),
            }),
            [one] => Ok(WorkspaceChoice {
                workspace: Some(one.clone()),
                note: None,
            }),
            many => Err(crate::Error::Usage(format!(
                "{place} holds vigil.toml in several folders ({}); choose one with \
                 `vigil hook install --workspace PATH-IN-REPO`",
                many.iter()
                    .map(|f| format!("{}/", String::from_utf8_lossy(f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// Quotes a word for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A shipped script with the binary pinned to `vigil_bin` (still overridable with `VIGIL_BIN`), and
/// `args` appended to the vigil command it runs (such as `--workspace ca`).
pub fn script(template: &str, vigil_bin: &Path, args: &[String]) -> String {
    let quoted = sh_quote(&vigil_bin.display().to_string());
    let pinned = template.replace(
        BIN_LINE,
        &format!("if [ -z \"${{VIGIL_BIN:-}}\" ]; then VIGIL_BIN={quoted}; fi"),
    );
    if args.is_empty() {
        return pinned;
    }
    let extra: String = args.iter().map(|a| format!(" {}", sh_quote(a))).collect();
    pinned
        .lines()
        .map(|l| {
            if l.starts_with(EXEC_LINE) {
                format!("{l}{extra}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// How the line of a shipped script that runs vigil begins.
pub(crate) const EXEC_LINE: &str = "exec \"$VIGIL_BIN\" ";

/// What installing one hook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    Created,
    /// vigil's own hook, rewritten with the new content.
    Updated,
    /// vigil's own hook, already identical.
    Unchanged,
    /// Someone else's hook, replaced because forced; the old file was moved to the path given.
    Replaced(PathBuf),
}

/// Why a hook was not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0} exists and was not written by vigil; not overwriting it (use --force to replace it; the old hook is kept as {0}.before-vigil)")]
    Foreign(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, io::Error),
}

/// Writes hook `name` with `content` into `dir`, atomically and executable.
pub fn install(
    dir: &Path,
    name: &str,
    content: &str,
    force: bool,
) -> Result<Installed, InstallError> {
    let path = dir.join(name);
    let io_err = |e: io::Error| InstallError::Io(path.clone(), e);
    let outcome = match fs::read(&path) {
        Ok(old) if old == content.as_bytes() => return Ok(Installed::Unchanged),
        Ok(old) if is_vigil_hook(&old) => Installed::Updated,
        Ok(_) if !force => return Err(InstallError::Foreign(path)),
        Ok(_) => {
            // Never overwrite an earlier backup: it may be the user's original hook.
            let backup = (0..)
                .map(|i| match i {
                    0 => dir.join(format!("{name}.before-vigil")),
                    i => dir.join(format!("{name}.before-vigil.{i}")),
                })
                .find(|b| fs::symlink_metadata(b).is_err())
                .expect("some backup name is free");
            fs::rename(&path, &backup).map_err(io_err)?;
            Installed::Replaced(backup)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Installed::Created,
        Err(e) => return Err(io_err(e)),
    };
    fs::create_dir_all(dir).map_err(io_err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .tempfile_in(dir)
        .map_err(io_err)?;
    tmp.write_all(content.as_bytes()).map_err(io_err)?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o755))
        .map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(&path).map_err(|e| io_err(e.error))?;
    Ok(outcome)
}

/// Whether a hook file carries vigil's marker line.
pub fn is_vigil_hook(content: &[u8]) -> bool {
    content
        .split(|&b| b == b'\n')
        .take(5)
        .any(|l| l.starts_with(MARKER.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_scripts_carry_the_marker_and_the_binary_line() {
        for s in [PRE_COMMIT, PRE_RECEIVE] {
            assert!(is_vigil_hook(s.as_bytes()));
            assert!(s.contains(BIN_LINE), "{s}");
            assert_eq!(s.lines().filter(|l| l.starts_with(EXEC_LINE)).count(), 1);
        }
        let s = script(PRE_COMMIT, Path::new("/opt/it's/vigil"), &[]);
        assert!(s.contains("VIGIL_BIN='/opt/it'\\''s/vigil'; fi"), "{s}");
        assert_eq!(s, script(PRE_COMMIT, Path::new("/opt/it's/vigil"), &[]));
        let s = script(
            PRE_COMMIT,
            Path::new("/v"),
            &["--workspace".into(), "c a".into()],
        );
        assert!(
            s.contains("exec \"$VIGIL_BIN\" check --staged '--workspace' 'c a'\n"),
            "{s}"
        );
    }
}
