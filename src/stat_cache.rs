//! The stat cache: the BLAKE3 of each working-tree component remembered with the stat data it had when
//! it was read, so that a check or a hook does not read an unchanged file again. Safe the way git's
//! index is: a digest is reused only when device, inode, size, modification and change times (in
//! nanoseconds) and mode all match, and only when the file was last modified before the run that hashed
//! it began (git's "racy git" rule: a file written within the same timestamp tick as it was read could
//! change again without its stat data changing). The release gate and `--no-cache` never use it.
//!
//! The file lives outside the tracked files (in `.git/` or `.svn/`, or the user's cache folder), names
//! the workspace it belongs to, ends with a BLAKE3 of its own bytes, and is replaced atomically. One
//! that is corrupt, of another version or of another workspace is treated as empty.

use crate::hash::Digest;
use crate::path::WsPath;
use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 17] = b"vigil-stat-cache\n";
const VERSION: u32 = 1;
/// A cache file larger than this is not read (it would hold millions of components).
const MAX_BYTES: u64 = 512 << 20;

/// The stat data a digest is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatKey {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Inode change time, nanoseconds since the epoch: changed by every write, chmod, rename, link.
    pub ctime_ns: i64,
    pub mode: u32,
}

impl StatKey {
    /// The key of a file's metadata (from `lstat` or `fstat`).
    pub fn of(m: &Metadata) -> StatKey {
        StatKey {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
            ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
            mode: m.mode(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: StatKey,
    digest: Digest,
}

/// The cache of one workspace.
pub struct StatCache {
    file: PathBuf,
    root: Vec<u8>,
    entries: HashMap<WsPath, Entry>,
    /// When the run that will write the cache began, on the clock of the cache's file system (the
    /// modification time of the new file, created before any file is read), and that file.
    writing: Option<(i64, tempfile::NamedTempFile)>,
    /// Digests recorded (or recorded again) from bytes read in this run.
    recorded: usize,
}

/// Where the cache of the workspace at `root` lives: inside the enclosing `.git` folder (the
/// per-worktree one for a linked worktree) or `.svn` folder, else in the user's cache folder
/// (`$XDG_CACHE_HOME/vigil`, then `$HOME/.cache/vigil`). The name carries a hash of the workspace's
/// path, so that several workspaces of one repository keep separate caches. `None` when there is
/// nowhere to keep it.
pub fn location(root: &Path) -> Option<PathBuf> {
    let name = format!(
        "stat-cache-{}",
        &crate::hash::hash_bytes(root.as_os_str().as_bytes())[..16]
    );
    let mut d = Some(root);
    while let Some(cur) = d {
        let git = cur.join(".git");
        if git.is_dir() {
            return Some(git.join("vigil").join(name));
        }
        if git.is_file() {
            // A linked worktree or a submodule: `.git` says where its git folder is.
            let text = std::fs::read_to_string(&git).ok()?;
            let dir = text.strip_prefix("gitdir:")?.trim();
            return Some(cur.join(dir).join("vigil").join(name));
        }
        if cur.join(".svn").is_dir() {
            return Some(cur.join(".svn").join("vigil").join(name));
        }
        d = cur.parent();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("vigil").join(name))
}

impl StatCache {
    /// Reads the cache at `file` for the workspace at `root`; empty when there is none, or when it is
    /// unreadable, corrupt, of another version or of another workspace.
    pub fn load(file: PathBuf, root: &Path) -> StatCache {
        let root = root.as_os_str().as_bytes().to_vec();
        let entries = read(&file)
            .and_then(|bytes| parse(&bytes, &root))
            .unwrap_or_default();
        StatCache {
            file,
            root,
            entries,
            writing: None,
            recorded: 0,
        }
    }

    /// The cache of the workspace at `root` in its usual place (see [`location`]).
    pub fn open(root: &Path) -> Option<StatCache> {
        location(root).map(|f| StatCache::load(f, root))
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The digest recorded for `path`, when the file's stat data `now` is exactly what it was when it
    /// was read and it was last modified before that read began.
    pub fn get(&mut self, path: &WsPath, now: &StatKey) -> Option<Digest> {
        let e = self.entries.get(path)?;
        if e.key != *now {
            return None;
        }
        // Recorded entries always satisfy this (see `insert`); checked again so that a cache written
        // by anything else cannot bring in a racily clean entry.
        if let Some((stamp, _)) = &self.writing {
            if now.mtime_ns >= *stamp {
                return None;
            }
        }
        Some(e.digest)
    }

    /// Starts the write of a new cache: takes the time on the cache's own file system, before any
    /// file whose digest will be recorded is read. Idempotent.
    pub fn begin(&mut self) -> io::Result<()> {
        if self.writing.is_some() {
            return Ok(());
        }
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let tmp = tempfile::Builder::new()
            .prefix(".stat-cache-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        let m = tmp.as_file().metadata()?;
        let stamp = m.mtime() * 1_000_000_000 + m.mtime_nsec();
        self.writing = Some((stamp, tmp));
        Ok(())
    }

    /// Records the digest of bytes read from a file whose stat data (taken when it was opened, before
    /// reading) was `key`. Ignored unless [`begin`](Self::begin) was called first; a file modified at
    /// or after that moment is not recorded, since it could change again within the same timestamp.
    pub fn insert(&mut self, path: WsPath, key: StatKey, digest: Digest) {
        let Some((stamp, _)) = &self.writing else {
            return;
        };
        if key.mtime_ns >= *stamp || key.ctime_ns >= *stamp {
            self.entries.remove(&path);
            return;
        }
        self.recorded += 1;
        self.entries.insert(path, Entry { key, digest });
    }

    /// Forgets entries for paths `keep` says no: a run over every profile drops the files no
    /// profile reaches any more.
    pub fn retain(&mut self, keep: impl Fn(&WsPath) -> bool) {
        self.entries.retain(|p, _| keep(p));
    }

    /// Writes the cache (temporary file, fsync, rename) when this run recorded anything; otherwise
    /// leaves the file as it is.
    pub fn save(&mut self) -> io::Result<()> {
        let Some((stamp, mut tmp)) = self.writing.take() else {
            return Ok(());
        };
        if self.recorded == 0 {
            return Ok(()); // the temporary file is removed when dropped
        }
        let bytes = encode(stamp, &self.root, &self.entries);
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.file).map_err(|e| e.error)?;
        Ok(())
    }
}

fn read(file: &Path) -> Option<Vec<u8>> {
    let f = crate::regular::open_regular(file).ok()?;
    if f.metadata().ok()?.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

fn encode(stamp: i64, root: &[u8], entries: &HashMap<WsPath, Entry>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + entries.len() * 120);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&stamp.to_le_bytes());
    out.extend_from_slice(&(root.len() as u32).to_le_bytes());
    out.extend_from_slice(root);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (path, e) in sorted {
        let p = path.as_bytes();
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
        for v in [e.key.dev, e.key.ino, e.key.size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&e.key.mtime_ns.to_le_bytes());
        out.extend_from_slice(&e.key.ctime_ns.to_le_bytes());
        out.extend_from_slice(&e.key.mode.to_le_bytes());
        out.extend_from_slice(&e.digest.0);
    }
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// A reader of the cache's bytes that fails (rather than panics) at the end.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn parse(bytes: &[u8], root: &[u8]) -> Option<HashMap<WsPath, Entry>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if blake3::hash(body).as_bytes() != sum {
        return None;
    }
    let mut c = Cursor(body);
    if c.take(MAGIC.len())? != MAGIC || c.u32()? != VERSION {
        return None;
    }
    let _stamp = c.i64()?;
    let n = c.u32()? as usize;
    if c.take(n)? != root {
        return None; // a cache copied from another workspace
    }
    let count = c.u32()? as usize;
    let mut entries = HashMap::with_capacity(count.min(body.len() / 100));
    for _ in 0..count {
        let n = c.u32()? as usize;
        let path = WsPath::normalize(Path::new(std::ffi::OsStr::from_bytes(c.take(n)?)))?;
        let key = StatKey {
            dev: c.u64()?,
            ino: c.u64()?,
            size: c.u64()?,
            mtime_ns: c.i64()?,
            ctime_ns: c.i64()?,
            mode: c.u32()?,
        };
        let digest = Digest(c.take(32)?.try_into().ok()?);
        entries.insert(path, Entry { key, digest });
    }
    c.0.is_empty().then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(mtime_ns: i64) -> StatKey {
        StatKey {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns,
            ctime_ns: mtime_ns,
            mode: 0o100644,
        }
    }

    fn p(s: &str) -> WsPath {
        WsPath::from_normal_bytes(s.as_bytes())
    }

    /// A cache in a fresh folder, begun, with the stamp it took.
    fn begun(dir: &Path) -> (StatCache, i64) {
        let mut c = StatCache::load(dir.join("cache"), Path::new("/ws"));
        c.begin().unwrap();
        let stamp = c.writing.as_ref().unwrap().0;
        (c, stamp)
    }

    #[test]
    fn an_entry_is_reused_only_when_every_field_matches() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, stamp) = begun(dir.path());
        let k = key(stamp - 1_000_000_000);
        let d = crate::hash::digest_bytes(b"x");
        c.insert(p("a.cnf"), k, d);
        assert_eq!(c.get(&p("a.cnf"), &k), Some(d));
        for changed in [
            StatKey { dev: 9, ..k },
            StatKey { ino: 9, ..k },
            StatKey { size: 9, ..k },
            StatKey {
                mtime_ns: k.mtime_ns + 1,
                ..k
            },
            StatKey {
                ctime_ns: k.ctime_ns + 1,
                ..k
            },
            StatKey {
                mode: 0o100755,
                ..k
            },
        ] {
            assert_eq!(c.get(&p("a.cnf"), &changed), None, "{changed:?}");
        }
        assert_eq!(c.get(&p("b.cnf"), &k), None);
    }

    #[test]
    fn a_file_modified_within_the_racy_window_is_never_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, stamp) = begun(dir.path());
        let d = crate::hash::digest_bytes(b"x");
        // Modified in the same tick as the run began: a same-size write later in that tick would
        // leave every stat field as it is, so the digest must not be trusted.
        c.insert(p("racy.cnf"), key(stamp), d);
        assert_eq!(c.get(&p("racy.cnf"), &key(stamp)), None);
        c.insert(p("later.cnf"), key(stamp + 5), d);
        assert_eq!(c.get(&p("later.cnf"), &key(stamp + 5)), None);
        c.save().unwrap();
        let mut again = StatCache::load(dir.path().join("cache"), Path::new("/ws"));
        assert!(again.is_empty());
        assert_eq!(again.get(&p("racy.cnf"), &key(stamp)), None);
    }

    #[test]
    fn saved_entries_load_again_and_nothing_is_written_without_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, stamp) = begun(dir.path());
        let k = key(stamp - 10);
        let d = crate::hash::digest_bytes(b"content");
        c.insert(p("d/a b.cnf"), k, d);
        c.save().unwrap();
        let mut again = StatCache::load(dir.path().join("cache"), Path::new("/ws"));
        assert_eq!(again.len(), 1);
        assert_eq!(again.get(&p("d/a b.cnf"), &k), Some(d));
        // Another workspace's path: treated as empty.
        let foreign = StatCache::load(dir.path().join("cache"), Path::new("/other"));
        assert!(foreign.is_empty());
        // A run that records nothing leaves no temporary file behind.
        again.begin().unwrap();
        again.save().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_corrupt_truncated_or_other_version_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, stamp) = begun(dir.path());
        c.insert(p("a.cnf"), key(stamp - 10), crate::hash::digest_bytes(b"x"));
        c.save().unwrap();
        let file = dir.path().join("cache");
        let good = std::fs::read(&file).unwrap();
        assert_eq!(parse(&good, b"/ws").map(|e| e.len()), Some(1));
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 1;
        let mut version = good.clone();
        version[MAGIC.len()] = 2;
        for bad in [
            flipped,
            version,
            good[..good.len() - 1].to_vec(),
            Vec::new(),
            b"garbage".to_vec(),
        ] {
            assert!(parse(&bad, b"/ws").is_none());
            std::fs::write(&file, &bad).unwrap();
            assert!(StatCache::load(file.clone(), Path::new("/ws")).is_empty());
        }
    }
}
