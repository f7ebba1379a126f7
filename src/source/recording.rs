//! A source that passes every call through and remembers which paths the inventory looked up and
//! which folders it listed: how the hooks tell whether a change can touch a profile at all.

use super::{DirEntry, Lookup, Source};
use crate::path::WsPath;
use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{self, Read};

/// Wraps `inner`, recording what is asked of it.
pub struct Recording<'a> {
    inner: &'a dyn Source,
    looked: RefCell<HashSet<WsPath>>,
    listed: RefCell<HashSet<WsPath>>,
}

impl<'a> Recording<'a> {
    pub fn new(inner: &'a dyn Source) -> Self {
        Recording {
            inner,
            looked: RefCell::default(),
            listed: RefCell::default(),
        }
    }

    /// The paths looked up or opened, and the folders listed.
    pub fn into_seen(self) -> (HashSet<WsPath>, HashSet<WsPath>) {
        (self.looked.into_inner(), self.listed.into_inner())
    }
}

impl Source for Recording<'_> {
    fn label(&self) -> String {
        self.inner.label()
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        self.looked.borrow_mut().insert(path.clone());
        self.inner.lookup(path)
    }

    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>> {
        self.listed.borrow_mut().insert(path.clone());
        self.inner.list_dir(path)
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        self.looked.borrow_mut().insert(path.clone());
        self.inner.open(path)
    }

    fn known_hash(&self, path: &WsPath) -> Option<String> {
        self.inner.known_hash(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::WorkTree;

    #[test]
    fn records_lookups_opens_and_listings() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/a.cnf"), "x").unwrap();
        let wt = WorkTree::new(d.path());
        let rec = Recording::new(&wt);
        let a = WsPath::from_normal_bytes(b"sub/a.cnf");
        let sub = WsPath::from_normal_bytes(b"sub");
        assert!(matches!(rec.lookup(&a), Lookup::Found(_)));
        assert_eq!(rec.list_dir(&sub).unwrap().len(), 1);
        let (looked, listed) = rec.into_seen();
        assert!(looked.contains(&a) && !looked.contains(&sub));
        assert!(listed.contains(&sub));
    }
}
