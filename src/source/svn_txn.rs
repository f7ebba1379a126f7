//! A Subversion transaction (or revision) read through `svnlook`: what a commit will contain, before it
//! exists. The server-side pre-commit hook checks profiles over this source.
//!
//! The tree is listed once, with node-revision ids (`svnlook tree --full-paths --show-ids`): that one
//! process answers existence and folder listings for every path. A file's bytes and properties are read
//! when the inventory first asks for it (`svnlook cat`, `svnlook proplist`), and kept, unless its node
//! revision is a committed one whose kind, size and BLAKE3 an earlier run learned ([`NodeCache`]): then
//! neither process runs, and its bytes are read only if the inventory scans it for references. Bytes are the
//! repository's normal form (keywords contracted, line endings as stored), which is the form vigil hashes
//! for files with `svn:keywords` or `svn:eol-style` in a working copy too.

use super::svn_node_cache::{NodeCache, NodeFacts};
use super::{DirEntry, Kind, Lookup, Meta, Source};
use crate::path::WsPath;
use crate::svn_tool::{run_tool, tool_command, ToolError};
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::io::{self, Cursor, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::rc::Rc;

/// Which tree `svnlook` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnOrRev {
    Txn(String),
    Rev(String),
}

/// Runs `svnlook` against one transaction or revision of a repository.
#[derive(Debug, Clone)]
pub struct Svnlook {
    pub bin: PathBuf,
    pub repos: PathBuf,
    pub at: TxnOrRev,
}

impl Svnlook {
    fn run(&self, sub: &str, extra: &[&str], path: Option<&str>) -> Result<Vec<u8>, ToolError> {
        let mut c = tool_command(&self.bin);
        c.arg(sub);
        match &self.at {
            TxnOrRev::Txn(t) => c.args(["-t", t]),
            TxnOrRev::Rev(r) => c.args(["-r", r]),
        };
        c.args(extra).arg(&self.repos);
        if let Some(p) = path {
            c.arg(p);
        }
        run_tool(c)
    }

    /// The changed paths: `(action, path)`, folders ending in `/`, paths relative to the repository root.
    pub fn changed(&self) -> Result<Vec<(String, String)>, ToolError> {
        let out = self.run("changed", &[], None)?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter(|l| l.len() > 4)
            .map(|l| (l[..3].trim().to_string(), l[4..].to_string()))
            .collect())
    }

    /// A file's bytes, or `None` when the path is not a file in the tree.
    pub fn cat(&self, path: &str) -> Result<Option<Vec<u8>>, ToolError> {
        match self.run("cat", &[], Some(&format!("/{path}"))) {
            Ok(b) => Ok(Some(b)),
            // E160013: path not found; E160017: not a file (a folder).
            Err(e) if e.has("E160013") || e.has("E160017") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A path's properties (names and values).
    pub fn proplist(&self, path: &str) -> Result<BTreeMap<String, String>, ToolError> {
        let out = self.run("proplist", &["--xml", "-v"], Some(&format!("/{path}")))?;
        let text = String::from_utf8_lossy(&out);
        let doc = roxmltree::Document::parse(&text).map_err(|e| ToolError {
            stderr: format!("svnlook proplist printed XML vigil cannot read: {e}"),
        })?;
        Ok(doc
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .filter_map(|n| {
                Some((
                    n.attribute("name")?.to_string(),
                    n.text().unwrap_or("").to_string(),
                ))
            })
            .collect())
    }

    /// Every path below `path` (included), relative to the repository root, with its node-revision
    /// id; folders end in `/`.
    pub fn tree(&self, path: &str) -> Result<Vec<(String, String)>, ToolError> {
        let out = self.run(
            "tree",
            &["--full-paths", "--show-ids"],
            Some(&format!("/{path}")),
        )?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| {
                // `path <id>`: the id has no ` <`, a path may.
                let (p, id) = match l.strip_suffix('>').and_then(|r| r.rsplit_once(" <")) {
                    Some((p, id)) => (p, id.to_string()),
                    None => (l, String::new()),
                };
                let p = p.trim_start_matches('/');
                (!p.is_empty()).then(|| (p.to_string(), id))
            })
            .collect())
    }

    /// The author of the transaction or revision (`svnlook author`), trimmed.
    pub fn author(&self) -> Result<String, ToolError> {
        let out = self.run("author", &[], None)?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// The newest revision that changed `path` (`svnlook history --limit 1`), up to this revision,
    /// or for a transaction up to the youngest revision; `None` when the path has no history.
    pub fn last_changed(&self, path: &str) -> Result<Option<u64>, ToolError> {
        let rev = match &self.at {
            TxnOrRev::Rev(r) => r.clone(),
            TxnOrRev::Txn(_) => self.youngest()?.to_string(),
        };
        let mut c = tool_command(&self.bin);
        c.args(["history", "--limit", "1", "-r", &rev])
            .arg(&self.repos)
            .arg(format!("/{path}"));
        let out = match run_tool(c) {
            Ok(out) => out,
            Err(e) if e.has("E160013") => return Ok(None),
            Err(e) => return Err(e),
        };
        // `REVISION   PATH`, a rule, then `   3   /trunk/file`.
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .find_map(|l| l.split_whitespace().next()?.parse().ok()))
    }

    /// The youngest revision of the repository.
    pub fn youngest(&self) -> Result<u64, ToolError> {
        let mut c = tool_command(&self.bin);
        c.arg("youngest").arg(&self.repos);
        let out = run_tool(c)?;
        String::from_utf8_lossy(&out)
            .trim()
            .parse()
            .map_err(|_| ToolError {
                stderr: "svnlook youngest printed no revision number".into(),
            })
    }

    /// Says which tree this is, for reports.
    pub fn label(&self) -> String {
        match &self.at {
            TxnOrRev::Txn(t) => format!("Subversion transaction {t}"),
            TxnOrRev::Rev(r) => format!("Subversion revision r{r}"),
        }
    }
}

/// One file of the tree, loaded.
#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    bytes: Vec<u8>,
}

/// What is known of one file: its kind and size, its hash when known without reading it again.
#[derive(Debug, Clone)]
struct Known {
    kind: Kind,
    size: u64,
    blake3: Option<String>,
}

/// The workspace folder `prefix` of a transaction, as a [`Source`].
pub struct SvnTxn {
    look: Svnlook,
    /// The workspace's path in the repository, without slashes at either end ("" for the root).
    prefix: String,
    tree: OnceCell<Result<Tree, String>>,
    nodes: RefCell<HashMap<WsPath, Result<Node, String>>>,
    known: RefCell<HashMap<WsPath, Known>>,
    cache: RefCell<Rc<RefCell<NodeCache>>>,
    /// Files whose kind, size and hash came from the cache, for reports.
    cached: RefCell<usize>,
}

#[derive(Debug, Default)]
struct Tree {
    files: BTreeSet<Vec<u8>>,
    /// File → its node-revision id.
    ids: HashMap<Vec<u8>, String>,
    /// Folder → its entries (name, is folder).
    dirs: BTreeMap<Vec<u8>, Vec<(Vec<u8>, bool)>>,
}

impl SvnTxn {
    pub fn new(look: Svnlook, prefix: &str) -> Self {
        Self::with_cache(look, prefix, Rc::new(RefCell::new(NodeCache::disabled())))
    }

    /// A source that takes what it can from `cache` and teaches it every committed file it reads.
    pub fn with_cache(look: Svnlook, prefix: &str, cache: Rc<RefCell<NodeCache>>) -> Self {
        SvnTxn {
            look,
            prefix: prefix.trim_matches('/').to_string(),
            tree: OnceCell::new(),
            nodes: RefCell::new(HashMap::new()),
            known: RefCell::new(HashMap::new()),
            cache: RefCell::new(cache),
            cached: RefCell::new(0),
        }
    }

    /// From now on, takes what it can from `cache` and teaches it every committed file it reads.
    pub fn use_cache(&self, cache: Rc<RefCell<NodeCache>>) {
        *self.cache.borrow_mut() = cache;
    }

    /// How many files were answered from the node cache without being read.
    pub fn cached_files(&self) -> usize {
        *self.cached.borrow()
    }

    /// The repository path of a workspace path.
    pub fn repo_path(&self, p: &WsPath) -> String {
        let rel = String::from_utf8_lossy(p.as_bytes());
        match (self.prefix.is_empty(), rel.is_empty()) {
            (true, _) => rel.into_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{rel}", self.prefix),
        }
    }

    fn tree(&self) -> Result<&Tree, String> {
        self.tree
            .get_or_init(|| {
                let lines = self.look.tree(&self.prefix).map_err(|e| e.stderr)?;
                let mut t = Tree::default();
                let strip = if self.prefix.is_empty() {
                    0
                } else {
                    self.prefix.len() + 1
                };
                t.dirs.insert(Vec::new(), Vec::new());
                for (l, id) in lines {
                    let is_dir = l.ends_with('/');
                    let full = l.trim_end_matches('/');
                    if full.len() < strip {
                        continue; // the workspace folder itself
                    }
                    let rel = full.as_bytes()[strip..].to_vec();
                    let (parent, name) = match rel.iter().rposition(|&b| b == b'/') {
                        Some(i) => (rel[..i].to_vec(), rel[i + 1..].to_vec()),
                        None => (Vec::new(), rel.clone()),
                    };
                    t.dirs.entry(parent).or_default().push((name, is_dir));
                    if is_dir {
                        t.dirs.entry(rel).or_default();
                    } else {
                        t.ids.insert(rel.clone(), id);
                        t.files.insert(rel);
                    }
                }
                Ok(t)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads a file's bytes and properties once.
    fn node(&self, p: &WsPath) -> Result<Node, String> {
        if let Some(n) = self.nodes.borrow().get(p) {
            return n.clone();
        }
        let rp = self.repo_path(p);
        let loaded = (|| {
            let props = self.look.proplist(&rp).map_err(|e| e.stderr)?;
            let bytes = self
                .look
                .cat(&rp)
                .map_err(|e| e.stderr)?
                .ok_or_else(|| format!("{rp} is not in the transaction"))?;
            let kind = if props.contains_key("svn:special") && bytes.starts_with(b"link ") {
                Kind::Symlink(bytes[5..].to_vec())
            } else if props.contains_key("svn:executable") {
                Kind::Executable
            } else {
                Kind::File
            };
            Ok(Node { kind, bytes })
        })();
        if let Ok(n) = &loaded {
            let blake3 = n
                .kind
                .is_regular()
                .then(|| crate::hash::hash_bytes(&n.bytes));
            if let (Some(id), Some(h)) = (self.id(p), &blake3) {
                self.cache.borrow().borrow_mut().learn(
                    &id,
                    NodeFacts {
                        kind: n.kind.clone(),
                        size: n.bytes.len() as u64,
                        blake3: h.clone(),
                    },
                );
            }
            self.known.borrow_mut().insert(
                p.clone(),
                Known {
                    kind: n.kind.clone(),
                    size: match &n.kind {
                        Kind::Symlink(t) => t.len() as u64,
                        _ => n.bytes.len() as u64,
                    },
                    blake3,
                },
            );
        }
        self.nodes.borrow_mut().insert(p.clone(), loaded.clone());
        loaded
    }

    fn id(&self, p: &WsPath) -> Option<String> {
        self.tree().ok()?.ids.get(p.as_bytes()).cloned()
    }

    /// Kind, size and hash of a file: from this run, else from the cache, else by reading it.
    fn known(&self, p: &WsPath) -> Result<Known, String> {
        if let Some(k) = self.known.borrow().get(p) {
            return Ok(k.clone());
        }
        let facts = self
            .id(p)
            .and_then(|id| self.cache.borrow().borrow().get(&id).cloned());
        if let Some(f) = facts {
            let k = Known {
                kind: f.kind,
                size: f.size,
                blake3: Some(f.blake3),
            };
            *self.cached.borrow_mut() += 1;
            self.known.borrow_mut().insert(p.clone(), k.clone());
            return Ok(k);
        }
        self.node(p)?;
        Ok(self.known.borrow()[p].clone())
    }

    /// A file's bytes: `svnlook cat` once, without the properties when the kind is already known.
    fn bytes(&self, p: &WsPath) -> Result<Vec<u8>, String> {
        if let Some(n) = self.nodes.borrow().get(p) {
            return n.clone().map(|n| n.bytes);
        }
        let cached = self.known.borrow().get(p).cloned();
        match cached {
            Some(k) if k.kind.is_regular() => {
                let rp = self.repo_path(p);
                let bytes = self
                    .look
                    .cat(&rp)
                    .map_err(|e| e.stderr)?
                    .ok_or_else(|| format!("{rp} is not in the transaction"))?;
                // Read anyway (to scan for references): trust the bytes over the cache.
                let h = crate::hash::hash_bytes(&bytes);
                if k.blake3.as_deref() != Some(h.as_str()) {
                    if let Some(known) = self.known.borrow_mut().get_mut(p) {
                        known.blake3 = Some(h);
                        known.size = bytes.len() as u64;
                    }
                }
                self.nodes.borrow_mut().insert(
                    p.clone(),
                    Ok(Node {
                        kind: k.kind,
                        bytes: bytes.clone(),
                    }),
                );
                Ok(bytes)
            }
            _ => self.node(p).map(|n| n.bytes),
        }
    }
}

impl Source for SvnTxn {
    fn label(&self) -> String {
        self.look.label()
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        let tree = match self.tree() {
            Ok(t) => t,
            Err(e) => return Lookup::Unreadable(e),
        };
        if path.is_root() || tree.dirs.contains_key(path.as_bytes()) {
            return Lookup::Found(Meta {
                kind: Kind::Dir,
                size: 0,
            });
        }
        if tree.files.contains(path.as_bytes()) {
            return match self.known(path) {
                Ok(k) => Lookup::Found(Meta {
                    size: k.size,
                    kind: k.kind,
                }),
                Err(e) => Lookup::Unreadable(e),
            };
        }
        // A folder on the way may be a symlink (a special file in Subversion).
        let mut a = path.parent();
        while !a.is_root() {
            if tree.files.contains(a.as_bytes()) {
                if let Ok(Node {
                    kind: Kind::Symlink(target),
                    ..
                }) = self.node(&a)
                {
                    return Lookup::ThroughSymlink { link: a, target };
                }
                return Lookup::Missing;
            }
            a = a.parent();
        }
        Lookup::Missing
    }

    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>> {
        let tree = self.tree().map_err(io::Error::other)?;
        let entries = tree
            .dirs
            .get(path.as_bytes())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such folder"))?;
        let mut out: Vec<DirEntry> = entries
            .iter()
            .map(|(name, is_dir)| DirEntry {
                name: OsString::from_vec(name.clone()),
                // A file's exact kind (symlink, executable) is known once it is looked up.
                kind: if *is_dir { Kind::Dir } else { Kind::File },
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        let in_tree = self
            .tree()
            .map_err(io::Error::other)?
            .files
            .contains(path.as_bytes());
        if !in_tree {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not in the {}", self.repo_path(path), self.label()),
            ));
        }
        if !self
            .known(path)
            .map_err(io::Error::other)?
            .kind
            .is_regular()
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(Box::new(Cursor::new(
            self.bytes(path).map_err(io::Error::other)?,
        )))
    }

    fn known_hash(&self, path: &WsPath) -> Option<String> {
        self.known.borrow().get(path).and_then(|k| k.blake3.clone())
    }
}
