//! Opening a regular file safely: without following a final symlink, and without blocking on a FIFO
//! or device that replaced the file since it was examined. Used by the working-tree source, the
//! version-control backends and the stat cache.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Opens a regular file without following a final symlink and without blocking on a FIFO or device
/// that replaced it since it was examined.
pub fn open_regular(path: &Path) -> io::Result<File> {
    open_regular_with_metadata(path).map(|(f, _)| f)
}

/// [`open_regular`], with the metadata of the file opened.
pub fn open_regular_with_metadata(path: &Path) -> io::Result<(File, Metadata)> {
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
    Ok((f, m))
}
