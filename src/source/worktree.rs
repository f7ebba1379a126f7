//! The working tree on disk: what the CA software will actually read.

use super::{is_admin_dir, DirEntry, Kind, Lookup, Meta, Source};
use crate::hash::Digest;
use crate::path::WsPath;
use crate::regular::{open_regular, open_regular_with_metadata};
use crate::stat_cache::{StatCache, StatKey};
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fs::{self, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Files below a workspace root.
pub struct WorkTree {
    root: PathBuf,
    /// Folders already known to be real folders (not symlinks), so each is checked once.
    real_dirs: RefCell<HashSet<WsPath>>,
    /// The stat data of each regular file listed or looked up in this run, so that a component is
    /// stat-ed once: by the folder listing or the lookup, never again to decide whether to hash it.
    stats: RefCell<HashMap<WsPath, StatKey>>,
    /// What each path listed or looked up in this run was, so that the folder listing, the OpenSSL
    /// loader and the inventory asking about one file cost one `lstat`, not three. A run sees each
    /// path as it was when first examined; its bytes are read (and checked to be a regular file) when
    /// it is hashed.
    met: RefCell<HashMap<WsPath, Meta>>,
    /// Digests of unchanged files from earlier runs; `None` for the gate and `--no-cache`.
    cache: Option<RefCell<StatCache>>,
    /// Regular files given to `hash_files` in this run (what a run over every profile keeps cached).
    hashed: RefCell<HashSet<WsPath>>,
    /// Regular files opened and read whole to hash them in this run: the work the cache saves.
    read_for_hash: Cell<usize>,
}

impl WorkTree {
    /// The working tree, every file read: no stat cache (the release gate, `--no-cache`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkTree {
            root: root.into(),
            real_dirs: RefCell::new(HashSet::new()),
            stats: RefCell::default(),
            met: RefCell::default(),
            cache: None,
            hashed: RefCell::default(),
            read_for_hash: Cell::new(0),
        }
    }

    /// The working tree with a stat cache: a file whose stat data is unchanged since it was read is
    /// not read again (see [`crate::stat_cache`]).
    pub fn with_cache(root: impl Into<PathBuf>, cache: StatCache) -> Self {
        WorkTree {
            cache: Some(RefCell::new(cache)),
            ..WorkTree::new(root)
        }
    }

    /// How many regular files this run opened and read to hash them.
    #[cfg(test)]
    pub fn files_read_for_hashing(&self) -> usize {
        self.read_for_hash.get()
    }

    /// Writes the stat cache when this run recorded anything. `every_profile`: the run covered every
    /// profile, so files it did not hash are no longer components and are forgotten.
    pub fn save_cache(&self, every_profile: bool) -> io::Result<()> {
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        let mut cache = cache.borrow_mut();
        if every_profile {
            let hashed = self.hashed.borrow();
            cache.retain(|p| hashed.contains(p));
        }
        cache.save()
    }

    /// The digest of a regular file from the cache, when its stat data is unchanged.
    fn cached(&self, path: &WsPath) -> Option<Digest> {
        let key = *self.stats.borrow().get(path)?;
        self.cache.as_ref()?.borrow_mut().get(path, &key)
    }

    /// Records what `lstat` said of `path` (at `abs`) for the rest of the run, and returns it.
    fn meet(&self, path: &WsPath, m: &Metadata, abs: &Path) -> Meta {
        if m.file_type().is_file() {
            self.stats.borrow_mut().insert(path.clone(), StatKey::of(m));
        }
        let kind = kind_of(m, abs);
        let size = match &kind {
            Kind::File | Kind::Executable => m.len(),
            Kind::Symlink(t) => t.len() as u64,
            _ => 0,
        };
        let meta = Meta { kind, size };
        self.met.borrow_mut().insert(path.clone(), meta.clone());
        meta
    }

    fn abs(&self, p: &WsPath) -> PathBuf {
        if p.is_root() {
            self.root.clone()
        } else {
            self.root.join(p.as_path())
        }
    }

    /// Checks that no folder between the root and `p` is a symlink.
    fn check_ancestors(&self, p: &WsPath) -> Option<Lookup> {
        let mut ancestors = Vec::new();
        let mut a = p.parent();
        while !a.is_root() {
            if self.real_dirs.borrow().contains(&a) {
                break;
            }
            ancestors.push(a.clone());
            a = a.parent();
        }
        // Outermost first, so the first symlink found is the one that matters.
        for a in ancestors.into_iter().rev() {
            match fs::symlink_metadata(self.abs(&a)) {
                Ok(m) if m.file_type().is_symlink() => {
                    let target = fs::read_link(self.abs(&a)).unwrap_or_default();
                    return Some(Lookup::ThroughSymlink {
                        link: a,
                        target: target.as_os_str().as_bytes().to_vec(),
                    });
                }
                Ok(m) if m.is_dir() => {
                    self.real_dirs.borrow_mut().insert(a);
                }
                Ok(_) => return Some(Lookup::Missing),
                Err(e) => return Some(io_lookup(e)),
            }
        }
        None
    }
}

fn io_lookup(e: io::Error) -> Lookup {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Lookup::Missing,
        _ => Lookup::Unreadable(e.to_string()),
    }
}

/// Maps file metadata to a [`Kind`] without opening the file.
pub fn kind_of(m: &Metadata, path: &Path) -> Kind {
    let ft = m.file_type();
    if ft.is_symlink() {
        let target = fs::read_link(path).unwrap_or_default();
        Kind::Symlink(target.as_os_str().as_bytes().to_vec())
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        if m.permissions().mode() & 0o111 != 0 {
            Kind::Executable
        } else {
            Kind::File
        }
    } else if ft.is_fifo() {
        Kind::Special("a FIFO")
    } else if ft.is_socket() {
        Kind::Special("a socket")
    } else if ft.is_block_device() {
        Kind::Special("a block device")
    } else if ft.is_char_device() {
        Kind::Special("a character device")
    } else {
        Kind::Special("not a regular file")
    }
}

impl Source for WorkTree {
    fn label(&self) -> String {
        "working tree".into()
    }

    fn is_working_tree(&self) -> bool {
        true
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        if let Some(l) = self.check_ancestors(path) {
            return l;
        }
        if let Some(meta) = self.met.borrow().get(path) {
            return Lookup::Found(meta.clone());
        }
        let abs = self.abs(path);
        match fs::symlink_metadata(&abs) {
            Ok(m) => Lookup::Found(self.meet(path, &m, &abs)),
            Err(e) => io_lookup(e),
        }
    }

    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        for e in fs::read_dir(self.abs(path))? {
            let e = e?;
            let name = e.file_name();
            if is_admin_dir(&name) {
                continue;
            }
            let m = fs::symlink_metadata(e.path())?;
            let meta = self.meet(&path.child(&name), &m, &e.path());
            out.push(DirEntry {
                kind: meta.kind,
                name,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(open_regular(&self.abs(path))?))
    }

    /// Digests from the stat cache where a file is unchanged; the others read on every core, each
    /// recorded with the stat data of the file as opened (taken before its first byte is read).
    fn hash_files(&self, files: &[(&WsPath, &Kind)]) -> Vec<Result<Digest, String>> {
        let mut out: Vec<Option<Result<Digest, String>>> = vec![None; files.len()];
        let mut todo = Vec::new();
        for (i, (p, kind)) in files.iter().enumerate() {
            out[i] = match kind {
                Kind::Symlink(target) => Some(Ok(crate::hash::digest_bytes(target))),
                Kind::File | Kind::Executable => {
                    self.hashed.borrow_mut().insert((*p).clone());
                    let hit = self.cached(p).map(Ok);
                    if hit.is_none() {
                        todo.push(i);
                    }
                    hit
                }
                Kind::Dir | Kind::Special(_) => Some(Err("not a regular file or symlink".into())),
            };
        }
        if let (Some(cache), false) = (&self.cache, todo.is_empty()) {
            // The moment the cache's entries are valid from; a cache that cannot be written (a
            // read-only repository) only means nothing is recorded.
            let _ = cache.borrow_mut().begin();
        }
        let root = &self.root;
        let read: Vec<(usize, io::Result<(StatKey, Digest)>)> = todo
            .par_iter()
            .map(|&i| (i, digest_on_disk(&root.join(files[i].0.as_path()))))
            .collect();
        self.read_for_hash
            .set(self.read_for_hash.get() + read.len());
        let mut cache = self.cache.as_ref().map(|c| c.borrow_mut());
        for (i, r) in read {
            out[i] = Some(match r {
                Ok((key, digest)) => {
                    if let Some(c) = cache.as_mut() {
                        c.insert(files[i].0.clone(), key, digest);
                    }
                    Ok(digest)
                }
                Err(e) => Err(e.to_string()),
            });
        }
        out.into_iter()
            .map(|o| o.expect("every file has an answer"))
            .collect()
    }
}

/// Opens a regular file (as [`open_regular`]) and hashes it; returns the stat data it had when opened.
fn digest_on_disk(path: &Path) -> io::Result<(StatKey, Digest)> {
    let (f, m) = open_regular_with_metadata(path)?;
    let digest = crate::hash::digest_reader(f)?;
    Ok((StatKey::of(&m), digest))
}
