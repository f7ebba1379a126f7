//! Sources: where component bytes are read from (the working tree, the git index, a git commit, an SVN
//! transaction). The inventory and the hashing run over this small trait, so one pipeline serves every mode.

mod git_index;
mod git_tree;
mod recording;
mod svn_node_cache;
mod svn_txn;
mod worktree;

pub use git_index::GitIndex;
pub use git_tree::GitTree;
pub use recording::Recording;
pub use svn_node_cache::NodeCache;
pub use svn_txn::{SvnTxn, Svnlook, TxnOrRev};

/// Whether a git file mode (index or tree entry) is a regular file.
pub fn is_regular_git_mode(mode: u32) -> bool {
    git_tree::is_regular_mode(mode)
}
pub use worktree::{open_regular, WorkTree};

use crate::hash::Digest;
use crate::path::WsPath;
use std::ffi::OsString;
use std::io::{self, Read};

/// What a path is, as far as a source can tell without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Executable,
    /// A symbolic link, with its target exactly as stored.
    Symlink(Vec<u8>),
    Dir,
    /// Something that is never opened: FIFO, socket, device, git submodule. The text says which.
    Special(&'static str),
}

impl Kind {
    pub fn is_regular(&self) -> bool {
        matches!(self, Kind::File | Kind::Executable)
    }
}

/// Metadata of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Size in bytes of a regular file or of a symlink's target text; 0 otherwise.
    pub size: u64,
}

/// The answer to "what is at this path?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Meta),
    Missing,
    /// A folder on the way to the path is a symbolic link; the inventory resolves it and retries.
    ThroughSymlink {
        link: WsPath,
        target: Vec<u8>,
    },
    /// The path exists but cannot be examined (permission denied on a folder, a symlink loop, ...).
    Unreadable(String),
}

/// One entry of a folder listing.
#[derive(Debug, Clone)]
pub struct DirEntry {
    pub name: OsString,
    pub kind: Kind,
}

/// A tree of files that components are read from.
pub trait Source {
    /// Says what the source is, for reports: "working tree", "index", "commit 1a2b3c4".
    fn label(&self) -> String;

    /// What is at `path`.
    fn lookup(&self, path: &WsPath) -> Lookup;

    /// The entries of a folder, sorted by name. Version-control administrative folders (`.git`, `.svn`)
    /// are left out.
    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>>;

    /// Opens a regular file for streaming. Implementations must never block on a FIFO or device.
    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>>;

    /// The BLAKE3 of a regular file already looked up, when the source knows it without reading the
    /// file again: computed from the bytes it read, or recorded for an immutable object (a committed
    /// Subversion node revision). Never from stat data. The default knows nothing.
    fn known_hash(&self, _path: &WsPath) -> Option<String> {
        None
    }

    /// The digests of regular files and symlinks already looked up, in the order given. The default
    /// reads each through [`open`](Source::open), one after another; the working tree reads them on
    /// every core and may take a digest from its stat cache.
    fn hash_files(&self, files: &[(&WsPath, &Kind)]) -> Vec<Result<Digest, String>> {
        files
            .iter()
            .map(|(p, k)| digest_component(self, p, k).map_err(|e| e.to_string()))
            .collect()
    }

    /// True for the files on disk that the software runs with: the only source where the existence
    /// of a file kept out of version control (a CA's private key) means anything.
    fn is_working_tree(&self) -> bool {
        false
    }
}

/// Names of version-control folders that are never part of a profile.
pub fn is_admin_dir(name: &std::ffi::OsStr) -> bool {
    name == ".git" || name == ".svn"
}

/// The digest of one component.
///
/// A regular file hashes its bytes; a symlink hashes its target text (its own content, as git stores it),
/// and its target is inventoried as a component of its own.
pub fn digest_component<S: Source + ?Sized>(
    source: &S,
    path: &WsPath,
    kind: &Kind,
) -> std::io::Result<Digest> {
    match kind {
        Kind::File | Kind::Executable => {
            let reader = source.open(path)?;
            crate::hash::digest_reader(reader)
        }
        Kind::Symlink(target) => Ok(crate::hash::digest_bytes(target)),
        Kind::Dir | Kind::Special(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file or symlink",
        )),
    }
}
