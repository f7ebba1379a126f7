//! The loader's view of a file system: four primitive questions, and path resolution built on them the
//! way the kernel resolves a path (symbolic links first, then `..` from the link's target), bounded by a
//! root that the loader never looks beyond.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What a path is, without following a final symbolic link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// Never opened: a FIFO could block forever, a device could be endless. The text says which.
    Special(&'static str),
}

/// Metadata of one path, as `lstat` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Size in bytes of a regular file; 0 otherwise.
    pub size: u64,
}

/// Where a path leads once resolved like the operating system does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The final, symlink-free absolute path, inside the root, and what it is (never `Symlink`).
    /// `links` are the symbolic links that named the file itself (the last component, and the last
    /// component of each link's target in turn), outermost first: where they point is part of what
    /// OpenSSL reads.
    Found {
        path: PathBuf,
        meta: Meta,
        links: Vec<PathBuf>,
    },
    /// Nothing there (also: a component on the way is not a folder, or a dangling link).
    Missing { path: PathBuf },
    /// Resolving needs a look at, or lands on, a path outside the root. `path` is where it left.
    OutsideRoot { path: PathBuf },
    /// The path exists but cannot be examined (permission denied, a symlink loop, ...).
    Unreadable { path: PathBuf, reason: String },
}

/// The file access the loader needs. Paths are absolute. An implementation is only ever asked about
/// paths inside the root given to [`crate::openssl::load`] (the loader checks first).
pub trait FileAccess {
    /// What is at `path`, not following a final symbolic link. `ErrorKind::NotFound` when nothing is.
    fn lstat(&self, path: &Path) -> io::Result<Meta>;

    /// The target of the symbolic link at `path`, exactly as stored.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;

    /// The bytes of the regular file at `path`. Reads at most `limit + 1` bytes, so that the caller can
    /// tell a file over the limit without reading all of it. Must never block on a FIFO or device.
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>>;

    /// The names in the folder at `path` (without `.` and `..`), in the order OpenSSL would see them:
    /// `readdir` order on a real file system; a version-control source may list them sorted.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>>;

    /// Resolves `path` (absolute) as the kernel does, component by component: a symbolic link is
    /// replaced by its target before the next component is looked at, so `link/..` is the parent of
    /// the link's *target*. Never looks at anything outside `root` (absolute, free of symlinks): the
    /// moment it would, the answer is [`Resolved::OutsideRoot`]. The folders above `root` are taken as
    /// plain folders.
    fn resolve(&self, root: &Path, path: &Path) -> Resolved {
        resolve_with(self, root, path)
    }
}

/// Linux gives up after 40 links in one resolution (ELOOP); so does this.
const MAX_LINKS: usize = 40;

fn resolve_with<A: FileAccess + ?Sized>(access: &A, root: &Path, path: &Path) -> Resolved {
    let mut walk = Walk {
        queue: VecDeque::new(),
        cur: PathBuf::from("/"),
        last: DIR,
        links: 0,
        final_links: Vec::new(),
    };
    push_components(&mut walk.queue, path, false);
    while let Some(part) = walk.queue.pop_front() {
        if let Some(done) = walk.step(access, root, part) {
            return done;
        }
    }
    Resolved::Found {
        path: walk.cur,
        meta: walk.last,
        links: walk.final_links,
    }
}

const DIR: Meta = Meta {
    kind: Kind::Dir,
    size: 0,
};

/// The state of a path walk, one component at a time, as the kernel walks it.
struct Walk {
    queue: VecDeque<OsString>,
    cur: PathBuf,
    last: Meta,
    links: usize,
    /// Links met at the last component, which the resolved file was reached through.
    final_links: Vec<PathBuf>,
}

impl Walk {
    /// Walks one component; `Some` when the walk ends there.
    fn step<A: FileAccess + ?Sized>(
        &mut self,
        access: &A,
        root: &Path,
        part: OsString,
    ) -> Option<Resolved> {
        if part == ".." {
            self.cur.pop();
            self.last = DIR;
            return None;
        }
        if self.last.kind != Kind::Dir {
            // A component after a file: the kernel says ENOTDIR, OpenSSL's stat fails.
            return Some(Resolved::Missing {
                path: self.cur.join(part),
            });
        }
        let next = self.cur.join(&part);
        if !next.starts_with(root) {
            if root.starts_with(&next) {
                self.cur = next;
                return None;
            }
            let mut out = next;
            for rest in &self.queue {
                out.push(rest);
            }
            return Some(Resolved::OutsideRoot { path: out });
        }
        match access.lstat(&next) {
            Ok(meta) if meta.kind == Kind::Symlink => self.follow(access, next),
            Ok(meta) => {
                self.cur = next;
                self.last = meta;
                None
            }
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(libc::ENOTDIR) =>
            {
                Some(Resolved::Missing { path: next })
            }
            Err(e) => Some(Resolved::Unreadable {
                path: next,
                reason: e.to_string(),
            }),
        }
    }

    /// Replaces the symlink `link` by its target in the walk.
    fn follow<A: FileAccess + ?Sized>(&mut self, access: &A, link: PathBuf) -> Option<Resolved> {
        self.links += 1;
        if self.links > MAX_LINKS {
            return Some(Resolved::Unreadable {
                path: link,
                reason: "too many levels of symbolic links".into(),
            });
        }
        if self.queue.is_empty() {
            self.final_links.push(link.clone());
        }
        let target = match access.read_link(&link) {
            Ok(t) => t,
            Err(e) => {
                return Some(Resolved::Unreadable {
                    path: link,
                    reason: e.to_string(),
                })
            }
        };
        if target.is_absolute() {
            self.cur = PathBuf::from("/");
        }
        push_components(&mut self.queue, &target, true);
        self.last = DIR;
        None
    }
}

/// Queues the parts of `path` (at the front when `front`), keeping `..` for the walk to apply.
fn push_components(queue: &mut VecDeque<OsString>, path: &Path, front: bool) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    if front {
        for p in parts.into_iter().rev() {
            queue.push_front(p);
        }
    } else {
        queue.extend(parts);
    }
}

/// Turns raw bytes (an include path after expansion) into a path.
pub(crate) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}
