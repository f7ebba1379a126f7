//! [`FileAccess`] over the real file system: the loader run on files on disk as `openssl` runs
//! (its tests, and the differential test against the real `openssl`); the inventory reads through its
//! `Source` instead.

use super::access::{FileAccess, Kind, Meta};
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// [`FileAccess`] over the real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

fn meta_of(ft: std::fs::FileType, size: u64) -> Meta {
    let kind = if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else if ft.is_fifo() {
        Kind::Special("FIFO")
    } else if ft.is_socket() {
        Kind::Special("socket")
    } else if ft.is_block_device() {
        Kind::Special("block device")
    } else if ft.is_char_device() {
        Kind::Special("character device")
    } else {
        Kind::Special("special file")
    };
    let size = if kind == Kind::File { size } else { 0 };
    Meta { kind, size }
}

impl FileAccess for RealFs {
    fn lstat(&self, path: &Path) -> io::Result<Meta> {
        let m = std::fs::symlink_metadata(path)?;
        Ok(meta_of(m.file_type(), m.len()))
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        // O_NONBLOCK and a check of the opened file: a path swapped for a FIFO after the lstat must
        // still never block.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)?;
        let m = file.metadata()?;
        if !m.file_type().is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let mut out = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut out)?;
        Ok(out)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }
}
