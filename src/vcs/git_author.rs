//! The author of a profile's change in git (`author-may-not-approve`): the committer of the newest
//! commit that changed any of the profile's components.

use super::{Author, VcsError};
use git2::{Oid, Repository};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// How far back the walk looks; components unchanged for longer have no author to exclude.
const MAX_COMMITS: usize = 10_000;

/// Walks the first-parent history from `start` and returns the committer of the first commit whose
/// tree differs from its parent's at any of `paths` (repository paths). The first parent is the
/// line the branch itself took, so a merge counts as a change made by whoever committed the merge.
pub fn last_author(
    repo: &Repository,
    start: Oid,
    paths: &[Vec<u8>],
) -> Result<Option<Author>, VcsError> {
    let ids = |c: &git2::Commit| -> Vec<Option<Oid>> {
        let tree = c.tree().ok();
        paths
            .iter()
            .map(|p| {
                let p = Path::new(OsStr::from_bytes(p));
                tree.as_ref()
                    .and_then(|t| t.get_path(p).ok())
                    .map(|e| e.id())
            })
            .collect()
    };
    let mut cur = repo.find_commit(start)?;
    for _ in 0..MAX_COMMITS {
        let here = ids(&cur);
        let changed = match cur.parent(0) {
            Ok(parent) => ids(&parent) != here,
            Err(_) => here.iter().any(Option::is_some),
        };
        if changed {
            let committer = cur.committer();
            let id = cur.id().to_string();
            return Ok(Some(Author {
                identity: committer.email().unwrap_or_default().to_string(),
                change: format!("git {}", &id[..12]),
            }));
        }
        match cur.parent(0) {
            Ok(parent) => cur = parent,
            Err(_) => return Ok(None),
        }
    }
    Ok(None)
}
