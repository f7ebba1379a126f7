//! A git commit's tree: what a pushed commit (pre-receive) or a named revision (`check --rev`) holds.
//!
//! Bytes are the blobs exactly as stored, so a symlink is its target text and a submodule is never
//! entered. Lookups are lazy (`Tree::get_path`), so a large repository costs only the folders a
//! profile touches.

use super::{DirEntry, Kind, Lookup, Meta, Source};
use crate::path::WsPath;
use git2::{ObjectType, Oid, Repository, Tree};
use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;

/// The mode bits git stores for each kind of tree entry.
pub(crate) const MODE_TREE: u32 = 0o040000;
pub(crate) const MODE_EXEC: u32 = 0o100755;
pub(crate) const MODE_LINK: u32 = 0o120000;
pub(crate) const MODE_COMMIT: u32 = 0o160000;

/// The [`Kind`] and size of a tree or index entry. Reads the blob only for a symlink (its target) and
/// the object header for a file's size.
pub(crate) fn entry_meta(repo: &Repository, mode: u32, id: Oid) -> io::Result<Meta> {
    let size = || -> io::Result<u64> {
        let odb = repo.odb().map_err(io_err)?;
        let (size, _) = odb.read_header(id).map_err(io_err)?;
        Ok(size as u64)
    };
    Ok(match mode {
        MODE_TREE => Meta {
            kind: Kind::Dir,
            size: 0,
        },
        MODE_LINK => {
            let target = repo.find_blob(id).map_err(io_err)?.content().to_vec();
            Meta {
                size: target.len() as u64,
                kind: Kind::Symlink(target),
            }
        }
        MODE_EXEC => Meta {
            kind: Kind::Executable,
            size: size()?,
        },
        MODE_COMMIT => Meta {
            kind: Kind::Special("a git submodule"),
            size: 0,
        },
        // 0o100644, and the historical group-writable 0o100664.
        _ => Meta {
            kind: Kind::File,
            size: size()?,
        },
    })
}

/// A regular file: 0o100644, 0o100755, or the historical group-writable 0o100664.
pub(crate) fn is_regular_mode(mode: u32) -> bool {
    mode & 0o170000 == 0o100000
}

pub(crate) fn io_err(e: git2::Error) -> io::Error {
    if e.code() == git2::ErrorCode::NotFound {
        io::Error::new(io::ErrorKind::NotFound, e.message().to_string())
    } else {
        io::Error::other(e.message().to_string())
    }
}

/// Reads a blob's bytes as a stream.
pub(crate) fn open_blob(repo: &Repository, id: Oid) -> io::Result<Box<dyn Read + '_>> {
    let blob = repo.find_blob(id).map_err(io_err)?;
    Ok(Box::new(io::Cursor::new(blob.content().to_vec())))
}

/// The files of one commit below the workspace folder.
pub struct GitTree<'r> {
    repo: &'r Repository,
    /// The tree of the workspace folder (the commit's root tree when the workspace is the repository).
    root: Tree<'r>,
    label: String,
}

impl<'r> GitTree<'r> {
    /// The tree of `commit`, below `prefix` (the workspace's folder in the repository, empty for the top).
    /// `Ok(None)` when the commit has no such folder.
    pub fn new(
        repo: &'r Repository,
        commit: &git2::Commit<'r>,
        prefix: &[u8],
    ) -> Result<Option<Self>, git2::Error> {
        let top = commit.tree()?;
        let root = if prefix.is_empty() {
            top
        } else {
            match top.get_path(std::path::Path::new(OsStr::from_bytes(prefix))) {
                Ok(e) if e.kind() == Some(ObjectType::Tree) => repo.find_tree(e.id())?,
                _ => return Ok(None),
            }
        };
        let id = commit.id().to_string();
        Ok(Some(GitTree {
            repo,
            root,
            label: format!("commit {}", &id[..12]),
        }))
    }

    fn entry(&self, path: &WsPath) -> Option<(u32, Oid)> {
        let e = self.root.get_path(path.as_path()).ok()?;
        Some((e.filemode() as u32, e.id()))
    }

    fn subtree(&self, path: &WsPath) -> io::Result<Tree<'r>> {
        if path.is_root() {
            return Ok(self.root.clone());
        }
        match self.entry(path) {
            Some((MODE_TREE, id)) => self.repo.find_tree(id).map_err(io_err),
            Some(_) => Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder")),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the commit")),
        }
    }
}

impl Source for GitTree<'_> {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        if path.is_root() {
            return Lookup::Found(Meta {
                kind: Kind::Dir,
                size: 0,
            });
        }
        if let Some((mode, id)) = self.entry(path) {
            return match entry_meta(self.repo, mode, id) {
                Ok(m) => Lookup::Found(m),
                Err(e) => Lookup::Unreadable(e.to_string()),
            };
        }
        symlinked_ancestor(path, |a| self.entry(a), self.repo)
    }

    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>> {
        let tree = self.subtree(path)?;
        let mut out = Vec::with_capacity(tree.len());
        for e in tree.iter() {
            let name = OsStr::from_bytes(e.name_bytes()).to_os_string();
            if super::is_admin_dir(&name) {
                continue;
            }
            let kind = entry_meta(self.repo, e.filemode() as u32, e.id())?.kind;
            out.push(DirEntry { name, kind });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        match self.entry(path) {
            Some((mode, id)) if is_regular_mode(mode) => open_blob(self.repo, id),
            Some(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the commit")),
        }
    }
}

/// For a path that is not in a snapshot: is one of its folders a symlink (so the inventory resolves it
/// and retries), or is it simply missing? `entry` looks one path up in the snapshot.
pub(crate) fn symlinked_ancestor(
    path: &WsPath,
    entry: impl Fn(&WsPath) -> Option<(u32, Oid)>,
    repo: &Repository,
) -> Lookup {
    // Outermost first, so the first symlink found is the one that matters.
    for a in path.ancestors() {
        match entry(&a) {
            Some((MODE_TREE, _)) => continue,
            Some((MODE_LINK, id)) => {
                return match repo.find_blob(id) {
                    Ok(b) => Lookup::ThroughSymlink {
                        link: a,
                        target: b.content().to_vec(),
                    },
                    Err(e) => Lookup::Unreadable(e.message().to_string()),
                }
            }
            _ => return Lookup::Missing,
        }
    }
    Lookup::Missing
}
