//! A workspace: the folder holding `vigil.toml`, its configuration, and the version control around it.

use crate::config::{self, Config};
use crate::vcs::{self, Vcs};
use crate::Error;
use std::path::{Path, PathBuf};

/// A loaded workspace.
pub struct Workspace {
    /// Absolute path of the folder holding `vigil.toml`.
    pub root: PathBuf,
    pub(crate) config: Config,
}

impl Workspace {
    /// Loads `config` when given, else finds `vigil.toml` walking up from `cwd`.
    pub fn load(config_path: Option<&Path>, cwd: &Path) -> Result<Workspace, Error> {
        let file = match config_path {
            Some(p) => {
                let p = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    cwd.join(p)
                };
                if p.is_dir() {
                    p.join(config::CONFIG_FILE)
                } else {
                    p
                }
            }
            None => config::discover(cwd).ok_or_else(|| {
                Error::Usage(format!(
                    "no {} found in {} or any folder above it (use --config PATH)",
                    config::CONFIG_FILE,
                    cwd.display()
                ))
            })?,
        };
        let config = config::load(&file)?;
        let root = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.to_path_buf());
        let root = root.canonicalize().unwrap_or(root);
        Ok(Workspace { root, config })
    }

    /// The version-control backend of the working copy around the workspace.
    pub(crate) fn vcs(&self) -> Result<Box<dyn Vcs>, Error> {
        vcs::open(&self.root).map_err(|e| Error::Vcs(e.to_string()))
    }
}
