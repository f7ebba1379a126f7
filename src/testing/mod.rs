//! Test doubles for in-process unit tests: a workspace held in memory and a version control whose
//! answers the test sets, so inventory, check, gate and approve decisions run without a disk or git.
//!
//! They stand in for the two seams of the pipeline, [`Source`] and [`Vcs`]; what only real git or
//! Subversion can show stays in the integration tests under `tests/it`.

use crate::config::{self, Config};
use crate::path::WsPath;
use crate::source::{is_admin_dir, DirEntry, Kind, Lookup, Meta, Source};
use crate::vcs::{Lineage, Revision, Status, Vcs, VcsError};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

/// A workspace path from test text; panics on a path that leaves the workspace, a test's own mistake.
pub(crate) fn ws(path: &str) -> WsPath {
    WsPath::normalize(Path::new(path)).unwrap_or_else(|| panic!("not a workspace path: {path}"))
}

/// A parsed `vigil.toml`, as if read from the workspace root.
pub(crate) fn config(text: &str) -> Config {
    config::parse(Path::new("vigil.toml"), text).unwrap_or_else(|e| panic!("{e}"))
}

/// The lowercase BLAKE3 hex of `bytes`, as manifests record it.
pub(crate) fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[derive(Debug, Clone)]
enum Node {
    File {
        bytes: Vec<u8>,
        executable: bool,
    },
    Symlink(Vec<u8>),
    Dir,
    /// A FIFO, socket or device: listed and looked up, never opened.
    Special(&'static str),
}

/// A tree of files held in memory. Folders on the way to a path are created with it; a path can be
/// marked unreadable (permission denied), which fails `open` for a file, `list_dir` for a folder and
/// every lookup below a folder, as the working tree does.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemSource {
    nodes: BTreeMap<WsPath, Node>,
    denied: Vec<WsPath>,
    /// How many times each file was opened, so a test can show a file is read once or never.
    opened: RefCell<HashMap<WsPath, usize>>,
}

impl MemSource {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn put(mut self, path: &str, node: Node) -> Self {
        let p = ws(path);
        for a in p.ancestors() {
            self.nodes.entry(a).or_insert(Node::Dir);
        }
        self.nodes.insert(p, node);
        self
    }

    /// A regular file.
    #[must_use]
    pub(crate) fn file(self, path: &str, bytes: impl AsRef<[u8]>) -> Self {
        let bytes = bytes.as_ref().to_vec();
        self.put(
            path,
            Node::File {
                bytes,
                executable: false,
            },
        )
    }

    /// A regular file with an executable bit.
    #[must_use]
    pub(crate) fn executable(self, path: &str, bytes: impl AsRef<[u8]>) -> Self {
        let bytes = bytes.as_ref().to_vec();
        self.put(
            path,
            Node::File {
                bytes,
                executable: true,
            },
        )
    }

    /// A symbolic link with its target exactly as stored.
    #[must_use]
    pub(crate) fn symlink(self, path: &str, target: &str) -> Self {
        self.put(path, Node::Symlink(target.as_bytes().to_vec()))
    }

    /// An empty folder.
    #[must_use]
    pub(crate) fn dir(self, path: &str) -> Self {
        self.put(path, Node::Dir)
    }

    /// A FIFO: it must be reported, never opened.
    #[must_use]
    pub(crate) fn fifo(self, path: &str) -> Self {
        self.put(path, Node::Special("a FIFO"))
    }

    /// Something already present that can be examined but not read or listed (mode 000).
    #[must_use]
    pub(crate) fn deny(mut self, path: &str) -> Self {
        let p = ws(path);
        assert!(self.nodes.contains_key(&p), "deny {path}: no such entry");
        self.denied.push(p);
        self
    }

    /// Removes a path and everything below it.
    #[must_use]
    pub(crate) fn remove(mut self, path: &str) -> Self {
        let p = ws(path);
        self.nodes.retain(|k, _| !k.starts_with(&p));
        self
    }

    /// How many times `path` was opened for reading.
    pub(crate) fn opened(&self, path: &str) -> usize {
        self.opened.borrow().get(&ws(path)).copied().unwrap_or(0)
    }

    fn denied_err(path: &WsPath) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{path}: Permission denied (os error 13)"),
        )
    }

    fn kind(node: &Node) -> Kind {
        match node {
            Node::File {
                executable: true, ..
            } => Kind::Executable,
            Node::File { .. } => Kind::File,
            Node::Symlink(t) => Kind::Symlink(t.clone()),
            Node::Dir => Kind::Dir,
            Node::Special(what) => Kind::Special(what),
        }
    }
}

impl Source for MemSource {
    fn label(&self) -> String {
        "memory".into()
    }

    fn is_working_tree(&self) -> bool {
        true
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        if path.is_root() {
            return Lookup::Found(Meta {
                kind: Kind::Dir,
                size: 0,
            });
        }
        // Outermost first, as the working tree checks them.
        for a in path.ancestors() {
            match self.nodes.get(&a) {
                Some(Node::Dir) if self.denied.contains(&a) => {
                    return Lookup::Unreadable(Self::denied_err(&a).to_string())
                }
                Some(Node::Dir) => {}
                Some(Node::Symlink(target)) => {
                    return Lookup::ThroughSymlink {
                        link: a,
                        target: target.clone(),
                    }
                }
                _ => return Lookup::Missing,
            }
        }
        match self.nodes.get(path) {
            None => Lookup::Missing,
            Some(node) => {
                let size = match node {
                    Node::File { bytes, .. } => bytes.len() as u64,
                    Node::Symlink(t) => t.len() as u64,
                    _ => 0,
                };
                Lookup::Found(Meta {
                    kind: Self::kind(node),
                    size,
                })
            }
        }
    }

    fn list_dir(&self, path: &WsPath) -> io::Result<Vec<DirEntry>> {
        if !path.is_root() && !matches!(self.nodes.get(path), Some(Node::Dir)) {
            return Err(io::ErrorKind::NotFound.into());
        }
        if self.denied.contains(path) {
            return Err(Self::denied_err(path));
        }
        let mut out: Vec<DirEntry> = self
            .nodes
            .iter()
            .filter(|(k, _)| !k.is_root() && k.parent() == *path)
            .map(|(k, node)| DirEntry {
                name: OsString::from_vec(k.file_name().as_encoded_bytes().to_vec()),
                kind: Self::kind(node),
            })
            .filter(|e| !is_admin_dir(&e.name))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        *self.opened.borrow_mut().entry(path.clone()).or_default() += 1;
        match self.nodes.get(path) {
            _ if self.denied.contains(path) => Err(Self::denied_err(path)),
            Some(Node::File { bytes, .. }) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
            Some(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )),
            None => Err(io::ErrorKind::NotFound.into()),
        }
    }
}

/// A version control whose every answer the test sets: per-path status (committed unless said
/// otherwise), the revision, the lineage of recorded revisions and the user. It counts its status
/// queries, since a run must ask once for all paths.
#[derive(Debug, Clone)]
pub(crate) struct FakeVcs {
    name: &'static str,
    revision: Option<String>,
    statuses: HashMap<WsPath, Status>,
    default: Status,
    outside: HashMap<String, String>,
    user: Option<String>,
    queries: RefCell<Vec<Vec<WsPath>>>,
}

impl FakeVcs {
    /// A git repository at commit `c0ffee`, where every path is committed.
    pub(crate) fn git() -> Self {
        FakeVcs {
            name: "git",
            revision: Some("c0ffee".into()),
            statuses: HashMap::new(),
            default: Status::Committed,
            outside: HashMap::new(),
            user: Some("Ada <ada@example.org>".into()),
            queries: RefCell::new(Vec::new()),
        }
    }

    /// The status of one path.
    #[must_use]
    pub(crate) fn status_of(mut self, path: &str, status: Status) -> Self {
        self.statuses.insert(ws(path), status);
        self
    }

    /// The status of every path not set by [`FakeVcs::status_of`].
    #[must_use]
    pub(crate) fn otherwise(mut self, status: Status) -> Self {
        self.default = status;
        self
    }

    /// The revision the working copy is at; `None` before the first commit.
    #[must_use]
    pub(crate) fn at(mut self, id: Option<&str>) -> Self {
        self.revision = id.map(str::to_string);
        self
    }

    /// Recorded revision `id` is outside the checked history, for the reason given.
    #[must_use]
    pub(crate) fn foreign(mut self, id: &str, why: &str) -> Self {
        self.outside.insert(id.into(), why.into());
        self
    }

    /// How many status queries were made.
    pub(crate) fn queries(&self) -> usize {
        self.queries.borrow().len()
    }
}

impl Vcs for FakeVcs {
    fn name(&self) -> &'static str {
        self.name
    }
    fn describe(&self) -> String {
        format!("fake {}", self.name)
    }
    fn revision(&self) -> Revision {
        Revision {
            vcs: self.name.into(),
            id: self.revision.clone(),
        }
    }
    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        self.queries.borrow_mut().push(paths.to_vec());
        Ok(paths
            .iter()
            .map(|p| {
                let s = self.statuses.get(p).unwrap_or(&self.default);
                (p.clone(), s.clone())
            })
            .collect())
    }
    fn user(&self) -> Option<String> {
        self.user.clone()
    }
    fn lineage(&self, _manifest: &WsPath, recorded: &str) -> Result<Lineage, VcsError> {
        Ok(match self.outside.get(recorded) {
            Some(why) => Lineage::Outside(why.clone()),
            None => Lineage::InHistory,
        })
    }
}

/// One approved component for [`manifest_text`]: path and content (a symlink's target for `symlink`).
pub(crate) struct Approved<'a> {
    pub path: &'a str,
    pub kind: &'a str,
    pub bytes: &'a [u8],
}

/// `(path, bytes)` approved as a regular file.
pub(crate) fn approved_file<'a>(path: &'a str, bytes: &'a [u8]) -> Approved<'a> {
    Approved {
        path,
        kind: "file",
        bytes,
    }
}

/// The text of a manifest approving `components` for `profile` at git revision `revision`, written
/// by hand in the frozen format so the tests do not depend on how the library writes it.
pub(crate) fn manifest_text(
    profile: &str,
    revision: Option<&str>,
    components: &[Approved],
) -> String {
    let mut t = format!(
        "manifest-version = 1\nvigil-version = \"0.0.0\"\nprofile = \"{profile}\"\n\
         approved-by = \"Ada <ada@example.org>\"\napproved-at = \"2026-01-01T00:00:00Z\"\n\n\
         [revision]\nvcs = \"git\"\n"
    );
    if let Some(id) = revision {
        t.push_str(&format!("id = \"{id}\"\n"));
    }
    t.push_str("local-changes = false\n");
    let mut sorted: Vec<&Approved> = components.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(b.path));
    for c in sorted {
        t.push_str(&format!(
            "\n[[component]]\npath = \"{}\"\nkind = \"{}\"\nsize = {}\nblake3 = \"{}\"\n",
            c.path,
            c.kind,
            c.bytes.len(),
            blake3_hex(c.bytes)
        ));
        if c.kind == "symlink" {
            t.push_str(&format!(
                "target = \"{}\"\n",
                String::from_utf8_lossy(c.bytes)
            ));
        }
    }
    t
}

/// Runs the check in `mode` over every profile, with the workspace at `/ws` when `root` is set.
pub(crate) fn check(
    config: &Config,
    source: &MemSource,
    vcs: &FakeVcs,
    mode: crate::config::Mode,
) -> crate::check::Report {
    let cx = crate::check::Context {
        config,
        root: Some(Path::new(WS_ROOT)),
        source,
        vcs,
        mode,
    };
    crate::check::run(&cx, &[], &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// The absolute path the in-memory workspace pretends to live at.
pub(crate) const WS_ROOT: &str = "/ws";

/// Each finding as `severity code path[ via chain]`, the form the integration tests print.
pub(crate) fn lines(findings: &[crate::finding::Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let mut l = format!("{} {} {}", f.severity, f.code, f.path);
            if !f.via.is_empty() {
                l.push_str(" via ");
                l.push_str(&crate::finding::chain_text(&f.via));
            }
            l
        })
        .collect()
}

/// The findings of one code, as [`lines`].
pub(crate) fn lines_of(report: &crate::check::Report, code: &str) -> Vec<String> {
    let of: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code.to_string() == code)
        .cloned()
        .collect();
    lines(&of)
}

/// The message of the finding with `code` at `path`; panics when there is none.
pub(crate) fn message(report: &crate::check::Report, code: &str, path: &str) -> String {
    report
        .findings
        .iter()
        .find(|f| f.code.to_string() == code && f.path == path)
        .unwrap_or_else(|| panic!("no {code} finding at {path}: {:#?}", report.findings))
        .message
        .clone()
}

/// The CA fixture every finding test starts from: a server profile whose profile file includes a
/// validity component, approved as it is, at revision `c0ffee`.
pub(crate) mod ca {
    use super::*;

    pub(crate) const CONFIG: &str = "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\n\
                                     follow = [\"openssl-include\"]\n";
    pub(crate) const SERVER_CNF: &str =
        ".include validity/398.cnf\n[ext]\nkeyUsage = digitalSignature\n";
    pub(crate) const VALIDITY: &str = "default_days = 397\n";
    pub(crate) const MANIFEST: &str = "approved/server.toml";
    /// The chain by which the profile reaches the validity component.
    pub(crate) const INCLUDED: &str =
        "via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)";

    /// The profile's files, not approved.
    pub(crate) fn unapproved() -> MemSource {
        MemSource::new()
            .file("vigil.toml", CONFIG)
            .file("profiles/server.cnf", SERVER_CNF)
            .file("validity/398.cnf", VALIDITY)
    }

    /// The profile's files with a manifest approving them as they are.
    pub(crate) fn approved() -> MemSource {
        unapproved().file(MANIFEST, ca_manifest(Some("c0ffee")))
    }
}

/// A workspace on disk in a temporary folder, for the gate and approve, which read the working tree
/// themselves; version control stays a [`FakeVcs`].
pub(crate) struct DiskWorkspace {
    pub dir: tempfile::TempDir,
}

impl DiskWorkspace {
    /// Writes `files` (path, content) below a new temporary folder holding `vigil.toml`.
    pub(crate) fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let d = DiskWorkspace { dir };
        for (path, text) in files {
            d.write(path, text);
        }
        d
    }

    /// The CA fixture on disk, approved when `approved`.
    pub(crate) fn ca(approved: bool) -> Self {
        let d = Self::new(&[
            ("vigil.toml", ca::CONFIG),
            ("profiles/server.cnf", ca::SERVER_CNF),
            ("validity/398.cnf", ca::VALIDITY),
        ]);
        if approved {
            d.write(ca::MANIFEST, &ca_manifest(Some("c0ffee")));
        }
        d
    }

    pub(crate) fn write(&self, path: &str, text: &str) {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    pub(crate) fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(path)).ok()
    }

    pub(crate) fn workspace(&self) -> crate::workspace::Workspace {
        crate::workspace::Workspace::load(Some(Path::new("vigil.toml")), self.dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The manifest approving the CA fixture as it is, recorded at git revision `revision`.
pub(crate) fn ca_manifest(revision: Option<&str>) -> String {
    manifest_text(
        "server",
        revision,
        &[
            approved_file("profiles/server.cnf", ca::SERVER_CNF.as_bytes()),
            approved_file("validity/398.cnf", ca::VALIDITY.as_bytes()),
        ],
    )
}
