//! Version-control status for `vigil check --rev` and the pre-receive hook: a commit's tree.
//!
//! Everything the inventory finds in a commit is, by definition, tracked and committed in it.

use super::{Revision, Status, Vcs, VcsError};
use crate::path::WsPath;
use git2::{Oid, Repository};
use std::collections::HashMap;

/// One commit of a repository (bare or not).
pub struct GitCommit<'a> {
    pub repo: &'a Repository,
    pub commit: Oid,
}

impl Vcs for GitCommit<'_> {
    fn name(&self) -> &'static str {
        "git"
    }

    fn describe(&self) -> String {
        let at = self
            .repo
            .workdir()
            .unwrap_or_else(|| self.repo.path())
            .display()
            .to_string();
        format!("git repository at {}", at.trim_end_matches('/'))
    }

    fn revision(&self) -> Revision {
        Revision {
            vcs: "git".into(),
            id: Some(self.commit.to_string()),
        }
    }

    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        Ok(paths
            .iter()
            .map(|p| (p.clone(), Status::Committed))
            .collect())
    }
}
