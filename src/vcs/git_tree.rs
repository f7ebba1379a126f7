//! Version-control status for `vigil check --rev` and the pre-receive hook: a commit's tree.
//!
//! Everything the inventory finds in a commit is, by definition, tracked and committed in it.

use super::git_attr;
use super::Transform;
use super::{Revision, Status, Vcs, VcsError};
use crate::path::WsPath;
use git2::{Oid, Repository};
use std::collections::HashMap;

/// One commit of a repository (bare or not).
pub struct GitCommit<'a> {
    pub repo: &'a Repository,
    pub commit: Oid,
    /// The workspace's folder in the repository (empty at the top).
    pub prefix: Vec<u8>,
    /// The commit's attributes; `None` when they cannot be read.
    attrs: Option<git_attr::CommitAttrs>,
    autocrlf: Option<&'static str>,
}

impl<'a> GitCommit<'a> {
    pub fn new(repo: &'a Repository, commit: Oid, prefix: &[u8]) -> Self {
        GitCommit {
            repo,
            commit,
            prefix: prefix.to_vec(),
            attrs: git_attr::CommitAttrs::new(repo, commit).ok(),
            autocrlf: git_attr::autocrlf(repo),
        }
    }
}

impl Vcs for GitCommit<'_> {
    fn name(&self) -> &'static str {
        "git"
    }

    fn describe(&self) -> String {
        format!("git repository at {}", super::git::location(self.repo))
    }

    fn revision(&self) -> Revision {
        Revision {
            vcs: "git".into(),
            id: Some(self.commit.to_string()),
        }
    }

    fn last_author(&self, paths: &[WsPath]) -> Result<Option<super::Author>, VcsError> {
        let paths: Vec<Vec<u8>> = paths
            .iter()
            .map(|p| super::git::join_prefix(&self.prefix, p))
            .collect();
        super::git_author::last_author(self.repo, self.commit, &paths)
    }

    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        Ok(paths
            .iter()
            .map(|p| (p.clone(), Status::Committed))
            .collect())
    }

    /// The commit's own `.gitattributes` (what a checkout of it applies), and this repository's
    /// `core.autocrlf`. A server cannot know the `core.autocrlf` of the clients that push to it; the
    /// attributes travel with the commit, which is one more reason to set them.
    fn transform(&self, path: &WsPath) -> Option<Transform> {
        self.attrs
            .as_ref()?
            .transform(&super::git::join_prefix(&self.prefix, path), self.autocrlf)
    }
}
