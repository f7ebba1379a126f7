//! What the Subversion pre-commit hook learned about committed node revisions: their kind, size and
//! BLAKE3, keyed by node-revision id (`svnlook tree --show-ids`).
//!
//! A committed node revision (`0-1.0.r3/284`: created in r3) never changes: its content and
//! properties are fixed when its revision is committed, and a later change makes a new node revision
//! with a new id. So an entry is a fact about the repository, not a guess from timestamps, and using it
//! verifies exactly what reading the bytes again would: a component whose node revision was hashed by
//! an earlier run is not read again, whatever path or copy it is reached through. Nodes created by the
//! transaction being checked (`_0.0.t4-5`) are never cached: their ids change when the commit lands.
//! Nothing is assumed about earlier revisions having been checked: the first run hashes everything.
//!
//! The file (default `REPOS/vigil/node-hashes`) is plain text: a `vigil-node-hashes 1 youngest N` header,
//! then `ID<TAB>KIND<TAB>SIZE<TAB>BLAKE3` lines. It is rewritten atomically (temp file, rename); two hooks
//! running at once may each drop the other's new entries, which only costs a re-read later. It is only a
//! cache: unreadable, malformed or unwritable, it is ignored. Node ids are unique within one repository;
//! the header records the youngest revision the cache has seen, and a repository whose youngest
//! revision is older (restored from a backup, so new revisions may reuse old ids) discards it. Delete
//! the folder when replacing a repository's `db/` by other means.

use super::Kind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const HEADER: &str = "vigil-node-hashes 1";

/// One cached node revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    /// `File` or `Executable`; symlinks and everything else are not cached.
    pub kind: Kind,
    pub size: u64,
    pub blake3: String,
}

/// The cache of one repository.
#[derive(Debug, Default)]
pub struct NodeCache {
    file: Option<PathBuf>,
    /// The youngest revision seen when the cache was last written.
    youngest: u64,
    entries: HashMap<String, NodeFacts>,
    /// Entries learned in this run, not yet written.
    learned: usize,
}

/// The revision a committed node-revision id was created in; `None` for transaction nodes and ids of
/// a shape vigil does not know (another filesystem backend), which are then never cached.
pub fn committed_revision(id: &str) -> Option<u64> {
    let (_, tail) = id.rsplit_once(".r")?;
    let (rev, item) = tail.split_once('/')?;
    if rev.is_empty() || item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rev.parse().ok()
}

impl NodeCache {
    /// A cache that remembers nothing between runs.
    pub fn disabled() -> Self {
        NodeCache::default()
    }

    /// Loads the cache at `file` for a repository whose youngest revision is `youngest`.
    pub fn load(file: &Path, youngest: u64) -> Self {
        let mut c = NodeCache {
            file: Some(file.to_path_buf()),
            youngest,
            ..NodeCache::default()
        };
        let Ok(text) = std::fs::read_to_string(file) else {
            return c;
        };
        let mut lines = text.lines();
        let Some(seen) = lines
            .next()
            .and_then(|h| h.strip_prefix(HEADER))
            .and_then(|r| r.trim().strip_prefix("youngest "))
            .and_then(|n| n.trim().parse::<u64>().ok())
        else {
            return c;
        };
        if seen > youngest {
            // The repository went back in time: ids of newer revisions may now name other content.
            return c;
        }
        for l in lines {
            let mut f = l.split('\t');
            let (Some(id), Some(kind), Some(size), Some(blake3), None) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let kind = match kind {
                "file" => Kind::File,
                "executable" => Kind::Executable,
                _ => continue,
            };
            let (Some(rev), Ok(size)) = (committed_revision(id), size.parse::<u64>()) else {
                continue;
            };
            if rev > youngest || blake3.len() != 64 {
                continue;
            }
            c.entries.insert(
                id.to_string(),
                NodeFacts {
                    kind,
                    size,
                    blake3: blake3.to_string(),
                },
            );
        }
        c
    }

    pub fn get(&self, id: &str) -> Option<&NodeFacts> {
        self.entries.get(id)
    }

    /// Remembers a node revision read in this run; transaction nodes and other kinds are ignored.
    pub fn learn(&mut self, id: &str, facts: NodeFacts) {
        if committed_revision(id).is_none() || !facts.kind.is_regular() {
            return;
        }
        if self.entries.insert(id.to_string(), facts).is_none() {
            self.learned += 1;
        }
    }

    /// Writes the cache when it learned something; errors are returned for a note, never fatal.
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        if self.learned == 0 {
            return Ok(());
        }
        let mut out = format!("{HEADER} youngest {}\n", self.youngest);
        let mut ids: Vec<&String> = self.entries.keys().collect();
        ids.sort();
        for id in ids {
            let f = &self.entries[id];
            let kind = if f.kind == Kind::Executable {
                "executable"
            } else {
                "file"
            };
            out.push_str(&format!("{id}\t{kind}\t{}\t{}\n", f.size, f.blake3));
        }
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::manifest::write_atomic(file, out.as_bytes())?;
        self.learned = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_ids_only() {
        assert_eq!(committed_revision("0-1.0.r3/284"), Some(3));
        assert_eq!(committed_revision("3-1.0.r12/7"), Some(12));
        assert_eq!(committed_revision("_0.0.t4-5"), None);
        assert_eq!(committed_revision("3-1.0.t2-2"), None);
        assert_eq!(committed_revision("0.0.r/1"), None);
        assert_eq!(committed_revision("0.0.r3/"), None);
    }

    #[test]
    fn round_trip_and_a_repository_that_went_back_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vigil/node-hashes");
        let facts = NodeFacts {
            kind: Kind::Executable,
            size: 12,
            blake3: "a".repeat(64),
        };
        let mut c = NodeCache::load(&file, 5);
        c.learn("0-1.0.r3/284", facts.clone());
        c.learn("_0.0.t5-6", facts.clone());
        c.save().unwrap();
        let c = NodeCache::load(&file, 6);
        assert_eq!(c.get("0-1.0.r3/284"), Some(&facts));
        assert_eq!(c.get("_0.0.t5-6"), None, "transaction nodes are not kept");
        // Restored from an older backup: youngest 4 < 5.
        assert_eq!(NodeCache::load(&file, 4).get("0-1.0.r3/284"), None);
    }
}
