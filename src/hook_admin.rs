//! Telling the state of vigil's git hooks and uninstalling them: the counterpart of [`crate::hook`].
//!
//! Only a hook that carries vigil's marker line is vigil's: uninstalling refuses any other file, and
//! when installing had moved someone else's hook aside (`NAME.before-vigil`), uninstalling puts it back.

use crate::hook::{is_vigil_hook, BIN_LINE, EXEC_LINE};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What is at a hook's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookState {
    /// No file.
    Absent,
    /// vigil's own hook.
    Vigil {
        /// The script is the one this vigil installs (apart from the pinned binary and the
        /// arguments); otherwise `vigil hook install` updates it.
        current: bool,
        /// The binary the hook runs, as pinned at installation (`VIGIL_BIN` overrides it).
        bin: Option<String>,
        /// The vigil command it runs, after the binary (`check --staged --workspace ca`).
        command: Option<String>,
        /// git runs only executable hooks.
        executable: bool,
    },
    /// A hook vigil did not write (or whose marker line was deleted to keep local edits).
    Foreign { executable: bool },
}

/// One hook: its path, what is there, and the hook that installing set aside, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookStatus {
    pub name: String,
    pub path: PathBuf,
    pub state: HookState,
    pub backup: Option<PathBuf>,
}

/// The name installing gives the hook it replaced with `--force`.
pub fn backup_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.before-vigil"))
}

/// The state of hook `name` in `dir`; `template` is the script this vigil ships for it.
pub fn status(dir: &Path, name: &str, template: &str) -> Result<HookStatus, (PathBuf, io::Error)> {
    let path = dir.join(name);
    let backup = Some(backup_path(dir, name)).filter(|b| b.symlink_metadata().is_ok());
    let state = match fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => HookState::Absent,
        Err(e) => return Err((path, e)),
        Ok(bytes) => {
            let executable = fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false);
            if is_vigil_hook(&bytes) {
                let text = String::from_utf8_lossy(&bytes);
                HookState::Vigil {
                    current: normalized(&text) == normalized(template),
                    bin: pinned_bin(&text),
                    command: text
                        .lines()
                        .find_map(|l| l.strip_prefix(EXEC_LINE))
                        .map(str::to_string),
                    executable,
                }
            } else {
                HookState::Foreign { executable }
            }
        }
    };
    Ok(HookStatus {
        name: name.to_string(),
        path,
        state,
        backup,
    })
}

/// A script with the lines that installation fills in (the pinned binary, the arguments) put back
/// to the shipped form, so two versions of the script can be compared.
fn normalized(script: &str) -> String {
    script
        .lines()
        .map(|l| {
            if l.starts_with("if [ -z \"${VIGIL_BIN:-}\" ]; then VIGIL_BIN=") {
                BIN_LINE
            } else if l.starts_with(EXEC_LINE) {
                EXEC_LINE
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The binary pinned by installation: `if [ -z "${VIGIL_BIN:-}" ]; then VIGIL_BIN='/x/vigil'; fi`.
fn pinned_bin(script: &str) -> Option<String> {
    let line = script
        .lines()
        .find(|l| l.starts_with("if [ -z \"${VIGIL_BIN:-}\" ]; then VIGIL_BIN="))?;
    let quoted = line
        .strip_prefix("if [ -z \"${VIGIL_BIN:-}\" ]; then VIGIL_BIN=")?
        .strip_suffix("; fi")?;
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("'\\''", "'"))
}

/// What uninstalling one hook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstalled {
    /// There was no hook.
    Absent,
    /// vigil's hook was removed.
    Removed,
    /// vigil's hook was replaced by the hook installing had set aside, from the path given.
    Restored(PathBuf),
}

/// Why a hook was not uninstalled.
#[derive(Debug, thiserror::Error)]
pub enum UninstallError {
    #[error(
        "{0} was not written by vigil (it has no `# vigil-managed-hook:` line); not removing it"
    )]
    Foreign(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, io::Error),
}

/// Removes vigil's hook `name` from `dir`, putting back the hook it replaced when there is one.
pub fn uninstall(dir: &Path, name: &str) -> Result<Uninstalled, UninstallError> {
    let path = dir.join(name);
    match fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Uninstalled::Absent),
        Err(e) => return Err(UninstallError::Io(path, e)),
        Ok(bytes) if !is_vigil_hook(&bytes) => return Err(UninstallError::Foreign(path)),
        Ok(_) => {}
    }
    let backup = backup_path(dir, name);
    if backup.symlink_metadata().is_ok() {
        // One rename: the repository never has a moment without the previous hook.
        fs::rename(&backup, &path).map_err(|e| UninstallError::Io(backup.clone(), e))?;
        return Ok(Uninstalled::Restored(backup));
    }
    fs::remove_file(&path).map_err(|e| UninstallError::Io(path.clone(), e))?;
    Ok(Uninstalled::Removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hook::{script, PRE_COMMIT, PRE_RECEIVE};

    #[test]
    fn an_installed_script_is_current_and_names_its_binary_and_command() {
        let dir = tempfile::tempdir().unwrap();
        let text = script(
            PRE_COMMIT,
            Path::new("/opt/it's/vigil"),
            &["--workspace".into(), "ca".into()],
        );
        fs::write(dir.path().join("pre-commit"), &text).unwrap();
        let s = status(dir.path(), "pre-commit", PRE_COMMIT).unwrap();
        assert_eq!(
            s.state,
            HookState::Vigil {
                current: true,
                bin: Some("/opt/it's/vigil".into()),
                command: Some("check --staged '--workspace' 'ca'".into()),
                executable: false,
            }
        );
        // The pre-receive script is another script: judged against it, this one is not current.
        let s = status(dir.path(), "pre-commit", PRE_RECEIVE).unwrap();
        assert!(matches!(s.state, HookState::Vigil { current: false, .. }));
    }
}
