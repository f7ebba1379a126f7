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
    fn transform(&self, path: &WsPath) -> Option<super::Transform> {
        self.attrs.transform(
            self.repo,
            &super::git::join_prefix(&self.prefix, path),
            git2::AttrCheckFlags::INDEX_THEN_FILE,
            self.autocrlf,
        )
    }

    /// The commit being made is the components' last change when it changes one of them: its
    /// committer is then the one `user.email` names. Otherwise, the last change in HEAD's history.
    fn last_author(&self, paths: &[WsPath]) -> Result<Option<super::Author>, VcsError> {
        let paths: Vec<Vec<u8>> = paths
            .iter()
            .map(|p| super::git::join_prefix(&self.prefix, p))
            .collect();
        let head = self.repo.head().and_then(|h| h.peel_to_commit()).ok();
        let tree = head.as_ref().and_then(|c| c.tree().ok());
        let index = self.repo.index()?;
        let staged_change = paths.iter().any(|p| {
            let path = Path::new(OsStr::from_bytes(p));
            let staged = index.get_path(path, 0).map(|e| e.id);
            let committed = tree
                .as_ref()
                .and_then(|t| t.get_path(path).ok())
                .map(|e| e.id());
            staged != committed
        });
        if staged_change {
            let me = self.repo.signature()?;
            return Ok(Some(super::Author {
                identity: me.email().unwrap_or_default().to_string(),
                change: "the staged change".into(),
            }));
        }
        match head {
            Some(c) => super::git_author::last_author(self.repo, c.id(), &paths),
            None => Ok(None),
        }
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
