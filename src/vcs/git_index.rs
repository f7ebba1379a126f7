//! Version-control status for `vigil check --staged`: what the commit being made will hold.
//!
//! In the index, "tracked and committed" means staged: the commit about to be made records exactly the
//! staged bytes, so a staged component is [`Status::Committed`] as far as that commit is concerned. A
//! component the inventory found only on disk (see [`crate::source::GitIndex`]) is not in the commit:
//! `ignored` when an ignore rule hides it, else `untracked`.

use super::{Revision, Status, Vcs, VcsError};
use crate::path::WsPath;
use crate::source::GitIndex;
use git2::Repository;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The index of a repository with a work tree.
pub struct GitStaged<'a> {
    pub repo: &'a Repository,
    pub index: &'a GitIndex<'a>,
    /// The workspace's folder in the repository (empty at the top).
    pub prefix: Vec<u8>,
    /// `core.autocrlf` (see [`super::git_attr::autocrlf`]).
    pub autocrlf: Option<&'static str>,
    /// Skips attribute lookups where no attribute file applies.
    pub attrs: super::git_attr::AttrGate,
}

impl Vcs for GitStaged<'_> {
    fn name(&self) -> &'static str {
        "git"
    }

    fn describe(&self) -> String {
        format!("git index of {}", super::git::location(self.repo))
    }

    /// HEAD: the parent of the commit being made; `None` for the first commit.
    fn revision(&self) -> Revision {
        Revision {
            vcs: "git".into(),
            id: self
                .repo
                .head()
                .ok()
                .and_then(|h| h.peel_to_commit().ok())
                .map(|c| c.id().to_string()),
        }
    }

    fn user(&self) -> Option<String> {
        super::git::config_user(self.repo)
    }

    /// The attributes of the commit being made: `.gitattributes` as staged, then on disk.
    fn transform(&self, path: &WsPath) -> Option<super::git_attr::Transform> {
        self.attrs.transform(
            self.repo,
            &super::git::join_prefix(&self.prefix, path),
            git2::AttrCheckFlags::INDEX_THEN_FILE,
            self.autocrlf,
        )
    }

    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        let mut out = HashMap::with_capacity(paths.len());
        for p in paths {
            let s = if self.index.is_staged(p) {
                Status::Committed
            } else {
                let rp = super::git::join_prefix(&self.prefix, p);
                if self
                    .repo
                    .is_path_ignored(Path::new(OsStr::from_bytes(&rp)))
                    .unwrap_or(false)
                {
                    Status::Ignored
                } else {
                    Status::Untracked(Some(
                        "on disk, but not staged, so this commit leaves it out (`git add` it)"
                            .into(),
                    ))
                }
            };
            out.insert(p.clone(), s);
        }
        Ok(out)
    }
}
