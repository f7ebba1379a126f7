//! The working tree on disk: what the CA software will actually read.

use super::{is_admin_dir, DirEntry, Kind, Lookup, Meta, Source};
use crate::path::WsPath;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Files below a workspace root.
pub struct WorkTree {
    root: PathBuf,
    /// Folders already known to be real folders (not symlinks), so each is checked once.
    real_dirs: RefCell<HashSet<WsPath>>,
}

impl WorkTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkTree {
            root: root.into(),
            real_dirs: RefCell::new(HashSet::new()),
        }
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
        let abs = self.abs(path);
        match fs::symlink_metadata(&abs) {
            Ok(m) => {
                let kind = kind_of(&m, &abs);
                let size = match &kind {
                    Kind::File | Kind::Executable => m.len(),
                    Kind::Symlink(t) => t.len() as u64,
                    _ => 0,
                };
                Lookup::Found(Meta { kind, size })
            }
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
            out.push(DirEntry {
                kind: kind_of(&m, &e.path()),
                name,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(open_regular(&self.abs(path))?))
    }
}

/// Opens a regular file without following a final symlink and without blocking on a FIFO or device
/// that replaced it since it was examined.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)?;
    let m = f.metadata()?;
    if !m.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(f)
}
