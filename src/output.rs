//! Writing a report or a summary to a file named on the command line (`check -o`, `gate --output`),
//! without ever destroying what that name is.
//!
//! A regular file (or a new name) is replaced atomically, so a reader never sees half a report. Anything
//! else is never replaced by a rename: a symlink is followed and its target written (the link stays), a
//! character device such as `/dev/null` or a terminal is written through, and a FIFO, socket, block
//! device or folder is refused with a clear error. Replacing `/dev/null` by a regular file, as root,
//! would break the whole host.

use crate::Error;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` as described in the module documentation.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let target = resolve(path)?;
    let meta = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::write(path, e)),
    };
    let ft = meta.as_ref().map(|m| m.file_type());
    match ft {
        None => {}
        Some(t) if t.is_file() => {}
        Some(t) if t.is_char_device() => {
            // Written through: no O_CREAT, no truncation, no rename.
            let mut f = OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NOCTTY)
                .open(&target)
                .map_err(|e| Error::write(path, e))?;
            return f.write_all(bytes).map_err(|e| Error::write(path, e));
        }
        Some(t) => {
            let what = if t.is_fifo() {
                "a FIFO"
            } else if t.is_socket() {
                "a socket"
            } else if t.is_block_device() {
                "a block device"
            } else if t.is_dir() {
                "a folder"
            } else {
                "not a regular file"
            };
            return Err(Error::Usage(format!(
                "cannot write the report to {}: it is {what}; vigil writes reports to regular files \
                 (replaced atomically) or character devices such as /dev/null, and never replaces \
                 anything else",
                path.display()
            )));
        }
    }
    crate::manifest::write_atomic(&target, bytes).map_err(|e| Error::write(path, e))
}

/// The report an earlier run left at `path`, for a format that carries a value over from run to run
/// (the Prometheus format's last passing run). Only a regular file is read, opened without blocking
/// and bounded in size; anything else, or an error, is `None`: a missing value, never a hang.
pub fn read_previous(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    const LIMIT: u64 = 1 << 20;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(LIMIT).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The file a name stands for: a symlink (or a chain of them) is followed, so that the link itself
/// is kept and its target written. A dangling link is refused rather than replaced.
fn resolve(path: &Path) -> Result<PathBuf, Error> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => path.canonicalize().map_err(|e| {
            Error::Usage(format!(
                "cannot write the report to {}: it is a symbolic link whose target cannot be \
                 resolved ({e}); vigil does not replace symbolic links",
                path.display()
            ))
        }),
        _ => Ok(path.to_path_buf()),
    }
}
