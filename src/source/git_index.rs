//! The git index: what `git commit` is about to record (the pre-commit hook's view).
//!
//! The index is read from the repository as opened from the environment, so the temporary index git
//! builds for `git commit -a`, `git commit PATH` and `git commit -i PATH` (`GIT_INDEX_FILE`) is the one
//! read. Staged bytes are the blobs. A path that is not staged but exists on disk is still visible
//! (read from the disk) so that the inventory reaches it and the check can say it is `untracked`: a
//! staged profile that references an unstaged file is exactly the mistake the hook is for.

use super::git_tree::{entry_meta, is_regular_mode, open_blob, symlinked_ancestor};
use super::{DirEntry, Kind, Lookup, Source, WorkTree};
use crate::path::WsPath;
use git2::{Oid, Repository};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;

/// One staged file, its path relative to the workspace.
#[derive(Debug, Clone)]
struct Entry {
    path: Vec<u8>,
    mode: u32,
    id: Oid,
}

/// The staged files below the workspace folder, with the unstaged files on disk behind them.
pub struct GitIndex<'r> {
    repo: &'r Repository,
    /// Stage-0 entries below the workspace, sorted by path bytes (so a folder is a contiguous range).
    entries: Vec<Entry>,
    /// The workspace folder on disk, for files that are not staged; `None` in a bare repository.
    disk: Option<WorkTree>,
}

impl<'r> GitIndex<'r> {
    /// The entries of `index` below `prefix` (the workspace folder in the repository, empty for the
    /// top). `disk` is the workspace folder on disk, when there is a work tree.
    pub fn new(
        repo: &'r Repository,
        index: &git2::Index,
        prefix: &[u8],
        disk: Option<WorkTree>,
    ) -> Self {
        let mut entries = Vec::with_capacity(index.len());
        for e in index.iter() {
            // Stages 1-3 are the sides of an unresolved conflict, which git refuses to commit.
            if (e.flags >> 12) & 3 != 0 {
                continue;
            }
            let rel = if prefix.is_empty() {
                &e.path[..]
            } else if e.path.len() > prefix.len()
                && e.path.starts_with(prefix)
                && e.path[prefix.len()] == b'/'
            {
                &e.path[prefix.len() + 1..]
            } else {
                continue;
            };
            entries.push(Entry {
                path: rel.to_vec(),
                mode: e.mode,
                id: e.id,
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        GitIndex {
            repo,
            entries,
            disk,
        }
    }

    fn find(&self, path: &[u8]) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.path.as_slice().cmp(path))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The entries below a folder (`dir/…`), as a slice of the sorted list.
    fn below(&self, dir: &WsPath) -> &[Entry] {
        if dir.is_root() {
            return &self.entries;
        }
        let mut lo = dir.as_bytes().to_vec();
        lo.push(b'/');
        let mut hi = dir.as_bytes().to_vec();
        hi.push(b'/' + 1);
        let start = self.entries.partition_point(|e| e.path < lo);
        let end = self.entries.partition_point(|e| e.path < hi);
        &self.entries[start..end]
    }

    /// Whether the path is staged (as a file, symlink or submodule).
    pub fn is_staged(&self, path: &WsPath) -> bool {
        self.find(path.as_bytes()).is_some()
    }

    /// What the index holds at `path`: `(mode, blob id)` for a staged file, `(0o040000, zero)` for a
    /// folder of staged files, `None` when nothing is staged there.
    pub fn staged_entry(&self, path: &WsPath) -> Option<(u32, Oid)> {
        if path.is_root() || !self.below(path).is_empty() {
            return Some((super::git_tree::MODE_TREE, Oid::zero()));
        }
        self.find(path.as_bytes()).map(|e| (e.mode, e.id))
    }

    /// The staged children of a folder: `(name, mode, id)`, folders as `(name, 0o040000, zero)`.
    pub fn staged_children(&self, dir: &WsPath) -> Vec<(Vec<u8>, u32, Oid)> {
        let skip = if dir.is_root() {
            0
        } else {
            dir.as_bytes().len() + 1
        };
        let mut out: Vec<(Vec<u8>, u32, Oid)> = Vec::new();
        for e in self.below(dir) {
            let rest = &e.path[skip..];
            match rest.iter().position(|&b| b == b'/') {
                Some(i) => {
                    if out.last().is_none_or(|l| l.0 != rest[..i]) {
                        out.push((rest[..i].to_vec(), super::git_tree::MODE_TREE, Oid::zero()));
                    }
                }
                None => out.push((rest.to_vec(), e.mode, e.id)),
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Source for GitIndex<'_> {
    fn label(&self) -> String {
        "index".into()
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        if path.is_root() {
            return Lookup::Found(super::Meta {
                kind: Kind::Dir,
                size: 0,
            });
        }
        if let Some(e) = self.find(path.as_bytes()) {
            return match entry_meta(self.repo, e.mode, e.id) {
                Ok(m) => Lookup::Found(m),
                Err(e) => Lookup::Unreadable(e.to_string()),
            };
        }
        if !self.below(path).is_empty() {
            return Lookup::Found(super::Meta {
                kind: Kind::Dir,
                size: 0,
            });
        }
        let staged = |a: &WsPath| -> Option<(u32, Oid)> {
            match self.find(a.as_bytes()) {
                Some(e) => Some((e.mode, e.id)),
                None if !self.below(a).is_empty() => {
                    Some((super::git_tree::MODE_TREE, Oid::zero()))
                }
                None => None,
            }
        };
        match symlinked_ancestor(path, staged, self.repo) {
            Lookup::Missing => {}
            other => return other,
        }
        // Not staged: what is on disk, so the check can call it untracked.
        match &self.disk {
            Some(d) => d.lookup(path),
            None => Lookup::Missing,
        }
    }

    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>> {
        let prefix_len = if path.is_root() {
            0
        } else {
            path.as_bytes().len() + 1
        };
        let mut out: BTreeMap<OsString, Kind> = BTreeMap::new();
        for e in self.below(path) {
            let rest = &e.path[prefix_len..];
            match rest.iter().position(|&b| b == b'/') {
                Some(i) => {
                    out.entry(OsStr::from_bytes(&rest[..i]).to_os_string())
                        .or_insert(Kind::Dir);
                }
                None => {
                    let kind = entry_meta(self.repo, e.mode, e.id)?.kind;
                    out.insert(OsStr::from_bytes(rest).to_os_string(), kind);
                }
            }
        }
        let staged_dir = !out.is_empty() || path.is_root();
        if let Some(d) = &self.disk {
            match d.list_dir(path) {
                Ok(entries) => {
                    for e in entries {
                        out.entry(e.name).or_insert(e.kind);
                    }
                }
                Err(e) if !staged_dir => return Err(e),
                Err(_) => {}
            }
        } else if !staged_dir {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not in the index"));
        }
        out.retain(|name, _| !super::is_admin_dir(name));
        Ok(out
            .into_iter()
            .map(|(name, kind)| DirEntry { name, kind })
            .collect())
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        match self.find(path.as_bytes()) {
            Some(e) if is_regular_mode(e.mode) => open_blob(self.repo, e.id),
            Some(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )),
            None => match &self.disk {
                Some(d) => d.open(path),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the index")),
            },
        }
    }
}
