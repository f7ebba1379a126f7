//! Inventory: every component of a profile, and how the profile reached it.
//!
//! Starting from the declared paths, globs and folders, the inventory follows user references (regex
//! patterns, and the JSON, `key=value` and XML fields of [`crate::extract`]) and symlinks breadth-first, so each component remembers the shortest chain that led to it. With
//! `follow = ["openssl-include"]`, every regular file reached that way starts an OpenSSL load
//! ([`crate::openssl_load`]) unless another load already reads it, and every file the load reads is a
//! component, with the include lines that led to it. Anything it cannot inventory (a pattern that
//! matched nothing, a reference to a file that is not there, a symlink out of the workspace, a FIFO, a
//! line OpenSSL rejects) becomes a [`Problem`] that the check turns into a finding.

use crate::config::{Builtin, Profile};
use crate::discover::{self, Base};
use crate::finding::{Code, Draft};
use crate::openssl;
use crate::openssl_ca;
use crate::openssl_load::{self, ProfileLoad};
use crate::path::WsPath;
use crate::source::{Kind, Lookup, Meta, Source};
use globset::GlobBuilder;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Files larger than this are inventoried and hashed, and reported `unreadable` when a user reference
/// pattern would have to scan them: never passed silently.
pub const MAX_SCAN_BYTES: u64 = openssl_load::MAX_LOAD_BYTES;
/// Symlinks followed while resolving one path before it counts as a loop.
const MAX_SYMLINK_HOPS: u32 = 40;

use crate::finding::Subject;
pub use crate::finding::{chain_text, Chain, Step};

/// A file a profile needs.
#[derive(Debug, Clone)]
pub struct Component {
    pub path: WsPath,
    pub via: Chain,
    pub meta: Meta,
    /// BLAKE3 of the whole content, when the inventory read all of it to look for references in this
    /// run, so the check need not read it a second time.
    pub blake3: Option<crate::hash::Digest>,
}

/// Something the inventory could not resolve into a component: a finding still to be judged.
pub type Problem = Draft;

/// The components of one profile.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub profile: String,
    /// Sorted by path, each path once.
    pub components: Vec<Component>,
    pub problems: Vec<Problem>,
    /// The OpenSSL loads the profile starts, in the order started (empty without `openssl-include`).
    pub loads: Vec<ProfileLoad>,
    /// The files the loads' CA sections name (certificate, key, database, ...): never components.
    pub ca_files: Vec<openssl_ca::CaFile>,
}

struct Pending {
    path: WsPath,
    via: Vec<Step>,
    depth: u32,
    hops: u32,
    /// Reached by declaration, a user reference or a symlink from those: it may start an OpenSSL
    /// load. A file an OpenSSL load reads is part of that load instead.
    top: bool,
}

/// Builds the inventory of `profile` over `source`. `ws_abs` is the workspace's absolute path, used to
/// accept absolute references that point inside it; without it every absolute reference is outside.
pub fn inventory(source: &dyn Source, profile: &Profile, ws_abs: Option<&Path>) -> Inventory {
    let mut inv = Walker {
        source,
        profile,
        ws_abs,
        queue: VecDeque::new(),
        seen: HashMap::new(),
        components: Vec::new(),
        problems: Vec::new(),
        openssl: profile.follow.contains(&Builtin::OpensslInclude),
        tops: Vec::new(),
        read_by_load: HashSet::new(),
        loads: Vec::new(),
        root: openssl_load::root_of(ws_abs),
        env: BTreeMap::new(),
        hashes: HashMap::new(),
        ca_files: Vec::new(),
    };
    inv.env = inv.environment();
    for pattern in profile.components.iter().chain(&profile.extfile) {
        inv.declare(pattern);
    }
    loop {
        while let Some(p) = inv.queue.pop_front() {
            inv.visit(p);
        }
        if inv.tops.is_empty() {
            break;
        }
        let batch = std::mem::take(&mut inv.tops);
        inv.run_loads(batch);
    }
    let mut components = inv.components;
    components.sort_by(|a, b| a.path.cmp(&b.path));
    Inventory {
        profile: profile.name.clone(),
        components,
        problems: inv.problems,
        loads: inv.loads,
        ca_files: inv.ca_files,
    }
}

struct Walker<'a> {
    source: &'a dyn Source,
    profile: &'a Profile,
    ws_abs: Option<&'a Path>,
    queue: VecDeque<Pending>,
    seen: HashMap<WsPath, ()>,
    components: Vec<Component>,
    problems: Vec<Problem>,
    /// `follow = ["openssl-include"]`.
    openssl: bool,
    /// Files waiting to start an OpenSSL load, with the chain that reached them.
    tops: Vec<(WsPath, Vec<Step>)>,
    /// Files some load has read through an include: they never start a load of their own.
    read_by_load: HashSet<WsPath>,
    loads: Vec<ProfileLoad>,
    /// The absolute folder loads run under.
    root: PathBuf,
    /// The environment the profile declares for its OpenSSL software.
    env: BTreeMap<String, String>,
    /// BLAKE3 of the files the loads read whole.
    hashes: HashMap<WsPath, crate::hash::Digest>,
    ca_files: Vec<openssl_ca::CaFile>,
}

/// One matcher per `/`-separated part of a glob without `**`, so that the walk enters only folders
/// the glob can match something below (`*.cnf` lists the start folder, not every folder under it, and
/// an unrelated unreadable folder does not block the profile). `None` when the walk must go
/// everywhere: a `**`, or a part that is no glob on its own (a `{a/b,c}` alternative spans parts).
fn segment_matchers(glob: &str) -> Option<Vec<globset::GlobMatcher>> {
    let parts: Vec<&str> = glob
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.iter().any(|p| p.contains("**")) {
        return None;
    }
    parts
        .iter()
        .map(|p| {
            GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .ok()
                .map(|g| g.compile_matcher())
        })
        .collect()
}

/// Whether a folder can hold a match of the glob whose parts are `parts` (always, when `None`).
fn may_hold_matches(parts: Option<&[globset::GlobMatcher]>, dir: &WsPath) -> bool {
    let Some(parts) = parts else {
        return true;
    };
    let names: Vec<&[u8]> = dir.as_bytes().split(|&b| b == b'/').collect();
    names.len() < parts.len()
        && names
            .iter()
            .zip(parts)
            .all(|(n, g)| g.is_match(Path::new(OsStr::from_bytes(n))))
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

impl Walker<'_> {
    fn problem(&mut self, code: Code, path: impl Into<Subject>, via: Vec<Step>, message: String) {
        self.problems.push(Draft::new(code, path, via, message));
    }

    fn push(&mut self, path: WsPath, via: Vec<Step>, depth: u32, hops: u32, top: bool) {
        self.queue.push_back(Pending {
            path,
            via,
            depth,
            hops,
            top,
        });
    }

    /// The profile's `env-file` (a component itself) and `env`, the latter winning.
    fn environment(&mut self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        if let Some(file) = self.profile.env_file.clone() {
            let via = vec![Step::Declared {
                pattern: file.clone(),
            }];
            match WsPath::normalize(Path::new(&file)) {
                None => self.problem(
                    Code::OutsideRoot,
                    file.clone(),
                    via,
                    "the `env-file` points outside the workspace".into(),
                ),
                Some(ws) => {
                    let mut text = Vec::new();
                    let read = self
                        .source
                        .open(&ws)
                        .and_then(|r| r.take(MAX_SCAN_BYTES).read_to_end(&mut text));
                    match read {
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.problem(
                            Code::Missing,
                            Subject::written(&file, Some(&ws)),
                            via.clone(),
                            format!("the `env-file` is not in the {}", self.source.label()),
                        ),
                        Err(e) => self.problem(
                            Code::Unreadable,
                            file.clone(),
                            via.clone(),
                            format!("the `env-file` cannot be read: {e}"),
                        ),
                        Ok(_) => match openssl_load::parse_env_file(&text) {
                            Ok(vars) => env = vars,
                            Err(e) => self.problem(
                                Code::Unreadable,
                                file.clone(),
                                via.clone(),
                                format!("the `env-file` is not a list of NAME=value lines: {e}"),
                            ),
                        },
                    }
                    // Not a top: it is no OpenSSL configuration.
                    self.push(ws, via, 0, 0, false);
                }
            }
        }
        env.extend(self.profile.env.clone());
        env
    }

    /// `oid_file` in the default section: `openssl ca` and `openssl req` read it (from the working
    /// folder when relative), so it is a component; it holds OIDs, not configuration, so it starts no
    /// load.
    fn oid_file(&mut self, load: &ProfileLoad, cwd: &Path) {
        let Some(s) = load.loaded.db.get("default", "oid_file") else {
            return;
        };
        let mut via = load.via_of_line(&s.at);
        if let Some(Step::Reference { by, .. }) = via.last_mut() {
            *by = "oid_file".into();
        }
        let abs = cwd.join(Path::new(OsStr::from_bytes(&s.value)));
        let access = openssl_load::SourceAccess::new(self.source, &self.root);
        use crate::openssl::{FileAccess, Resolved};
        match access.resolve(&self.root, &abs) {
            Resolved::Found { path, .. } | Resolved::Missing { path } => {
                if let Some(ws) = openssl_load::to_ws(&self.root, &path) {
                    self.push(ws, via, 0, 0, false);
                }
            }
            Resolved::OutsideRoot { path } => self.problem(
                Code::OutsideRoot,
                path.display().to_string(),
                via,
                "the `oid_file` is outside the workspace".into(),
            ),
            Resolved::Unreadable { path, reason } => {
                self.problem(Code::Unreadable, load.subject(&path), via, reason)
            }
        }
    }

    /// True for a file the profile declares in `extfile` (directly, or through symlinks).
    fn is_extfile(&self, via: &[Step]) -> bool {
        matches!(via.first(), Some(Step::Declared { pattern }) if self.profile.extfile.contains(pattern))
            && via.iter().all(|s| !matches!(s, Step::Reference { .. }))
    }

    /// Starts an OpenSSL load at each top not read by another load (an `extfile` always starts its
    /// own: the CA software loads it on its own), and queues what the loads read.
    fn run_loads(&mut self, batch: Vec<(WsPath, Vec<Step>)>) {
        let opts = openssl_load::options(self.profile, &self.root, self.env.clone());
        let loads: Vec<ProfileLoad> = batch
            .into_iter()
            .filter(|(top, via)| self.is_extfile(via) || !self.read_by_load.contains(top))
            .map(|(top, via)| {
                let mut load = openssl_load::load_top(self.source, &self.root, &opts, &top, via);
                load.extfile = self.is_extfile(&load.via);
                load
            })
            .collect();
        let included: Vec<HashSet<WsPath>> = loads
            .iter()
            .map(|l| {
                l.loaded
                    .reads
                    .iter()
                    .filter(|r| !r.chain.is_empty())
                    .filter_map(|r| openssl_load::to_ws(&self.root, &r.path))
                    .collect()
            })
            .collect();
        // A top that another load includes is part of that load, unless the two include each other
        // (a cycle: then the first keeps its load).
        let mut kept: Vec<usize> = Vec::new();
        for (i, l) in loads.iter().enumerate() {
            let subsumed = !l.extfile
                && (0..loads.len()).any(|j| {
                    j != i
                        && included[j].contains(&l.top)
                        && (!included[i].contains(&loads[j].top) || kept.contains(&j))
                });
            if !subsumed {
                kept.push(i);
            }
        }
        for (i, load) in loads.into_iter().enumerate() {
            if !kept.contains(&i) {
                continue;
            }
            self.problems.extend(load.drafts(&self.source.label()));
            for c in &mut self.components {
                if c.blake3.is_none() {
                    c.blake3 = load.hashes.get(&c.path).copied();
                }
            }
            self.hashes
                .extend(load.hashes.iter().map(|(p, h)| (p.clone(), *h)));
            // A file read several times keeps the shortest chain that reached it, as every other
            // component does (the walk is breadth-first).
            let mut reads: Vec<(usize, &openssl::FileRead)> =
                load.loaded.reads.iter().enumerate().collect();
            reads.sort_by_key(|(_, r)| r.chain.len());
            for (n, read) in reads {
                if read.chain.is_empty() {
                    continue;
                }
                let Some(path) = openssl_load::to_ws(&self.root, &read.path) else {
                    continue;
                };
                self.read_by_load.insert(path.clone());
                let via = load.via_of_read(n);
                self.push(path, via.clone(), 0, 0, false);
                // A symlink the include names is a component too: repointing it changes what
                // OpenSSL reads even when both targets are already part of the profile.
                for link in &read.links {
                    if let Some(link) = openssl_load::to_ws(&self.root, link) {
                        self.push(link, via.clone(), 0, 0, false);
                    }
                }
            }
            self.oid_file(&load, &opts.cwd);
            let ca =
                openssl_ca::ca_files(&load, self.source, &opts.cwd, self.source.is_working_tree());
            self.problems.extend(openssl_ca::drafts(&ca));
            self.ca_files.extend(ca);
            self.loads.push(load);
        }
    }

    fn declare(&mut self, pattern: &str) {
        let via = vec![Step::Declared {
            pattern: pattern.to_string(),
        }];
        let trimmed = pattern.trim_end_matches('/');
        let Some(norm) = (!pattern.starts_with('/'))
            .then(|| WsPath::normalize(Path::new(trimmed)))
            .flatten()
        else {
            self.problem(
                Code::OutsideRoot,
                pattern.to_string(),
                via,
                "the declared pattern points outside the workspace".into(),
            );
            return;
        };
        if has_glob_meta(pattern) {
            self.declare_glob(pattern, trimmed, via);
        } else {
            self.declare_literal(pattern, norm, via);
        }
    }

    /// A declared path without glob characters: a file, or a folder (every file below it).
    fn declare_literal(&mut self, pattern: &str, norm: WsPath, via: Vec<Step>) {
        match self.source.lookup(&norm) {
            Lookup::Found(Meta {
                kind: Kind::Dir, ..
            }) => {
                let before = self.queue.len();
                self.push_folder(&norm, &via, 0);
                if self.queue.len() == before {
                    self.problem(
                        Code::Missing,
                        Subject::written(pattern, Some(&norm)),
                        via,
                        "the declared folder holds no files".into(),
                    );
                }
            }
            Lookup::Missing => self.problem(
                Code::Missing,
                Subject::written(pattern, Some(&norm)),
                via,
                format!("declared, but not found in the {}", self.source.label()),
            ),
            _ => self.push(norm, via, 0, 0, true),
        }
    }

    /// A declared glob: every file and folder it matches.
    fn declare_glob(&mut self, pattern: &str, trimmed: &str, via: Vec<Step>) {
        let glob = match GlobBuilder::new(trimmed).literal_separator(true).build() {
            Ok(g) => g.compile_matcher(),
            Err(e) => {
                self.problem(
                    Code::Missing,
                    pattern.to_string(),
                    via,
                    format!("invalid glob: {e}"),
                );
                return;
            }
        };
        let matched = self.glob_matches(&glob, trimmed, &via);
        if matched.is_empty() {
            self.problem(
                Code::Missing,
                pattern.to_string(),
                via.clone(),
                format!(
                    "the declared pattern matched nothing in the {}",
                    self.source.label()
                ),
            );
        }
        for (path, is_dir) in matched {
            if is_dir {
                self.push_folder(&path, &via, 0);
            } else {
                self.push(path, via.clone(), 0, 0, true);
            }
        }
    }

    /// The paths a glob matches (`true` for a folder), sorted, walking from its longest literal
    /// folder prefix.
    fn glob_matches(
        &mut self,
        glob: &globset::GlobMatcher,
        trimmed: &str,
        via: &[Step],
    ) -> Vec<(WsPath, bool)> {
        let literal: Vec<&str> = trimmed
            .split('/')
            .take_while(|part| !has_glob_meta(part))
            .collect();
        let start = WsPath::normalize(Path::new(&literal.join("/"))).unwrap_or_else(WsPath::root);
        let can_hold = segment_matchers(trimmed);
        let mut matched = Vec::new();
        let mut dirs = vec![start];
        while let Some(dir) = dirs.pop() {
            let entries = match self.source.list_dir(&dir) {
                Ok(entries) => entries,
                // The literal part of the glob does not exist: it matches nothing, reported below.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    continue
                }
                Err(e) => {
                    self.problem(
                        Code::Unreadable,
                        dir.to_string(),
                        via.to_vec(),
                        format!("cannot list the folder: {e}"),
                    );
                    continue;
                }
            };
            for e in entries {
                let child = dir.child(&e.name);
                if self.skipped(&child) {
                    continue;
                }
                let is_match = glob.is_match(child.as_path());
                if e.kind == Kind::Dir {
                    if is_match {
                        matched.push((child.clone(), true));
                    } else if may_hold_matches(can_hold.as_deref(), &child) {
                        dirs.push(child);
                    }
                } else if is_match {
                    matched.push((child, false));
                }
            }
        }
        matched.sort();
        matched
    }

    /// True for paths that folder and glob expansion never collect: the manifests, which record the
    /// profile and cannot also be part of it, and the temporary files vigil's atomic writes leave
    /// behind when killed (`.vigil-*.tmp`, see [`crate::manifest::is_temp_name`]).
    fn skipped(&self, p: &WsPath) -> bool {
        self.profile.skip.iter().any(|s| p.starts_with(s))
            || crate::manifest::is_temp_name(p.file_name())
    }

    /// Queues every file below a folder (recursively), in name order.
    fn push_folder(&mut self, dir: &WsPath, via: &[Step], depth: u32) {
        let mut stack = vec![dir.clone()];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            match self.source.list_dir(&d) {
                Ok(entries) => {
                    for e in entries {
                        let child = d.child(&e.name);
                        if self.skipped(&child) {
                            continue;
                        }
                        if e.kind == Kind::Dir {
                            stack.push(child);
                        } else {
                            files.push(child);
                        }
                    }
                }
                Err(e) => self.problem(
                    Code::Unreadable,
                    d.to_string(),
                    via.to_vec(),
                    format!("cannot list the folder: {e}"),
                ),
            }
        }
        files.sort();
        for f in files {
            self.push(f, via.to_vec(), depth, 0, true);
        }
    }

    fn visit(&mut self, p: Pending) {
        if self.seen.contains_key(&p.path) {
            return;
        }
        if p.hops > MAX_SYMLINK_HOPS {
            self.seen.insert(p.path.clone(), ());
            self.problem(
                Code::Unreadable,
                p.path.to_string(),
                p.via,
                "too many levels of symbolic links (a symlink loop)".into(),
            );
            return;
        }
        match self.source.lookup(&p.path) {
            Lookup::Missing => {
                self.seen.insert(p.path.clone(), ());
                let msg = match p.via.last() {
                    Some(Step::Reference { from, line, .. }) => {
                        format!(
                            "referenced by {from}:{line}, but not found in the {}",
                            self.source.label()
                        )
                    }
                    Some(Step::Symlink { link }) => {
                        format!(
                            "the target of symlink {link} is not in the {}",
                            self.source.label()
                        )
                    }
                    _ => format!("declared, but not found in the {}", self.source.label()),
                };
                self.problem(Code::Missing, p.path.clone(), p.via, msg);
            }
            Lookup::Unreadable(why) => {
                self.seen.insert(p.path.clone(), ());
                self.problem(Code::Unreadable, p.path.clone(), p.via, why);
            }
            Lookup::ThroughSymlink { link, target } => {
                if self.symlink_loop(&p.path) {
                    self.seen.insert(p.path.clone(), ());
                    self.problem(
                        Code::Unreadable,
                        p.path.to_string(),
                        p.via,
                        format!("reached through symlink {link}, which is part of a symlink loop"),
                    );
                    return;
                }
                let rest = p.path.strip_prefix(&link).unwrap_or_else(WsPath::root);
                match self.resolve_link(&link, &target) {
                    Some(real) => {
                        let real = if rest.is_root() {
                            real
                        } else {
                            real.join(rest.as_path()).unwrap_or(real)
                        };
                        let mut via = p.via;
                        via.push(Step::Symlink { link });
                        self.push(real, via, p.depth, p.hops + 1, p.top);
                    }
                    None => {
                        self.seen.insert(p.path.clone(), ());
                        let t = String::from_utf8_lossy(&target).into_owned();
                        self.problem(
                            Code::OutsideRoot,
                            p.path.to_string(),
                            p.via,
                            format!("reached through symlink {link} → {t}, which leads outside the workspace"),
                        );
                    }
                }
            }
            Lookup::Found(meta) => self.found(p, meta),
        }
    }

    /// Follows the symlinks from `start` (its own and its folders') without opening anything; true when
    /// they never end, where opening the path fails with ELOOP. The breadth-first walk cannot tell: it
    /// visits each path once, so a loop would just end there, looking like two good symlinks.
    fn symlink_loop(&self, start: &WsPath) -> bool {
        let mut cur = start.clone();
        let mut visited = HashSet::new();
        for _ in 0..=MAX_SYMLINK_HOPS {
            if !visited.insert(cur.clone()) {
                return true;
            }
            let next = match self.source.lookup(&cur) {
                Lookup::Found(Meta {
                    kind: Kind::Symlink(t),
                    ..
                }) => self.resolve_link(&cur, &t),
                Lookup::ThroughSymlink { link, target } => {
                    let rest = cur.strip_prefix(&link).unwrap_or_else(WsPath::root);
                    self.resolve_link(&link, &target).map(|real| {
                        if rest.is_root() {
                            real.clone()
                        } else {
                            real.join(rest.as_path()).unwrap_or(real)
                        }
                    })
                }
                _ => return false,
            };
            match next {
                Some(n) => cur = n,
                None => return false,
            }
        }
        true
    }

    /// Resolves a symlink's target lexically against the link's folder; `None` when it leaves the workspace.
    fn resolve_link(&self, link: &WsPath, target: &[u8]) -> Option<WsPath> {
        let t = Path::new(OsStr::from_bytes(target));
        if t.is_absolute() {
            return self.absolute_inside(t);
        }
        link.parent().join(t)
    }

    /// An absolute path of the deployed software mapped to the workspace through the profile's
    /// `deployed` folders (the longest that holds it); `None` when none does or it climbs out of it.
    fn deployed(&self, abs: &Path) -> Option<WsPath> {
        let (prefix, folder) = self
            .profile
            .deployed
            .iter()
            .find(|(prefix, _)| abs.starts_with(prefix))?;
        let rest = abs.strip_prefix(prefix).ok()?;
        let mapped = WsPath::normalize(rest)?;
        folder.join(mapped.as_path())
    }

    fn absolute_inside(&self, abs: &Path) -> Option<WsPath> {
        let ws = self.ws_abs?;
        let rel = abs.strip_prefix(ws).ok()?;
        WsPath::normalize(rel)
    }

    fn found(&mut self, p: Pending, meta: Meta) {
        self.seen.insert(p.path.clone(), ());
        match &meta.kind {
            // A folder reached by reference or symlink: every file below it.
            Kind::Dir => self.push_folder(&p.path, &p.via, p.depth),
            Kind::Special(what) => {
                let what = *what;
                self.add_component(&p, meta);
                self.problem(
                    Code::Unreadable,
                    p.path.to_string(),
                    p.via,
                    format!("is {what}, not a regular file; it is never opened"),
                );
            }
            Kind::Symlink(target) => {
                let target = target.clone();
                self.add_component(&p, meta);
                self.found_symlink(p, &target);
            }
            Kind::File | Kind::Executable => {
                let size = meta.size;
                self.add_component(&p, meta);
                self.found_file(&p, size);
            }
        }
    }

    fn add_component(&mut self, p: &Pending, meta: Meta) {
        self.components.push(Component {
            path: p.path.clone(),
            via: p.via.as_slice().into(),
            meta,
            blake3: None,
        });
    }

    /// A symlink (already a component itself): the file or folder it leads to, inside the workspace.
    fn found_symlink(&mut self, p: Pending, target: &[u8]) {
        if self.symlink_loop(&p.path) {
            self.problem(
                Code::Unreadable,
                p.path.to_string(),
                p.via,
                "is a symlink loop: opening it fails (too many levels of symbolic links)".into(),
            );
            return;
        }
        match self.resolve_link(&p.path, target) {
            Some(real) => {
                let mut via = p.via;
                via.push(Step::Symlink {
                    link: p.path.clone(),
                });
                self.push(real, via, p.depth, p.hops + 1, p.top);
            }
            None => {
                let t = String::from_utf8_lossy(target).into_owned();
                self.problem(
                    Code::OutsideRoot,
                    p.path.to_string(),
                    p.via,
                    format!("is a symlink to {t}, outside the workspace"),
                );
            }
        }
    }

    /// A regular file (already a component): queued for an OpenSSL load when it starts one, scanned
    /// with the reference patterns, and its hash recorded.
    fn found_file(&mut self, p: &Pending, size: u64) {
        // A file not named like OpenSSL configuration (a script, a CRL) starts a load for the includes
        // it may hold, unless it is too large to load: nothing that large is configuration, and it is
        // still hashed as a component.
        let extfile = self.is_extfile(&p.via);
        let loadable = extfile
            || openssl_load::is_openssl_name(p.path.file_name())
            || size <= openssl_load::MAX_LOAD_BYTES;
        if self.openssl && p.top && loadable && (extfile || !self.read_by_load.contains(&p.path)) {
            self.tops.push((p.path.clone(), p.via.clone()));
        }
        let hash = self
            .scan(p, size)
            .or_else(|| self.hashes.get(&p.path).copied());
        if let Some(c) = self.components.last_mut() {
            c.blake3 = hash;
        }
    }

    /// Scans a file with the profile's reference patterns; returns the BLAKE3 of its content when it
    /// read all of it. A file too large to scan is reported, never passed over in silence.
    fn scan(&mut self, p: &Pending, size: u64) -> Option<crate::hash::Digest> {
        // OpenSSL configuration is read by the loader; this scan is for user reference patterns.
        if !discover::applies(self.profile, &p.path) {
            return None;
        }
        if size > MAX_SCAN_BYTES {
            // Binary content (a large CRL) holds no references; a text file this large may, and
            // OpenSSL would follow them: what is not scanned is reported, never passed silently.
            let mut head = Vec::new();
            let read = self
                .source
                .open(&p.path)
                .and_then(|r| r.take(8192).read_to_end(&mut head));
            if read.is_ok() && !head.contains(&0) {
                self.problem(
                    Code::Unreadable,
                    p.path.to_string(),
                    p.via.clone(),
                    format!(
                        "is text over {} MiB, too large to scan for references: an include in it \
                         would go unseen",
                        MAX_SCAN_BYTES >> 20
                    ),
                );
            }
            return None;
        }
        let mut content = Vec::with_capacity(size as usize);
        // One byte more than the limit tells a file that grew past it since it was examined.
        let read = self
            .source
            .open(&p.path)
            .and_then(|r| r.take(MAX_SCAN_BYTES + 1).read_to_end(&mut content));
        if let Err(e) = read {
            self.problem(
                Code::Unreadable,
                p.path.to_string(),
                p.via.clone(),
                format!("cannot be read: {e}"),
            );
            return None;
        }
        if content.len() as u64 > MAX_SCAN_BYTES {
            self.problem(
                Code::Unreadable,
                p.path.to_string(),
                p.via.clone(),
                format!(
                    "grew past {} MiB while it was read: not scanned for references",
                    MAX_SCAN_BYTES >> 20
                ),
            );
            return None;
        }
        let hash = crate::hash::digest_bytes(&content);
        let found = discover::extract(self.profile, &p.path, &content);
        for (format, e) in &found.malformed {
            self.malformed(p, format, e);
        }
        for r in found.references {
            self.follow_reference(p, &r);
        }
        Some(hash)
    }

    /// A file a structured extractor cannot parse: the software cannot read it either.
    fn malformed(&mut self, p: &Pending, format: &str, e: &crate::extract::Malformed) {
        let at = match e.column {
            Some(c) => format!("{}:{}:{c}", p.path, e.line),
            None => format!("{}:{}", p.path, e.line),
        };
        let reason = format!("{} at {at}", e.message);
        self.problems.push(Draft::malformed(
            p.path.to_string(),
            p.via.clone(),
            format,
            e.line,
            &reason,
        ));
    }

    /// Queues what a reference found in `p` points at, or records why it cannot be followed.
    fn follow_reference(&mut self, p: &Pending, r: &discover::Reference) {
        let mut via = p.via.clone();
        via.push(Step::Reference {
            from: p.path.clone(),
            line: r.line,
            by: r.by.clone(),
        });
        let Some(target) = self.resolve_reference(p, r) else {
            self.problem(
                Code::OutsideRoot,
                String::from_utf8_lossy(&r.raw).into_owned(),
                via,
                format!("referenced by {}:{}, outside the workspace", p.path, r.line),
            );
            return;
        };
        if p.depth + 1 > self.profile.max_depth {
            self.problem(
                Code::Unreadable,
                target.to_string(),
                via,
                format!(
                    "not followed: more than {} references deep (raise `max-depth`)",
                    self.profile.max_depth
                ),
            );
            return;
        }
        self.push(target, via, p.depth + 1, 0, true);
    }

    /// The workspace path a reference names, resolved against its base; `None` outside the workspace.
    fn resolve_reference(&self, p: &Pending, r: &discover::Reference) -> Option<WsPath> {
        let raw = Path::new(OsStr::from_bytes(&r.raw));
        if raw.is_absolute() {
            return self.deployed(raw).or_else(|| self.absolute_inside(raw));
        }
        let base = match &r.base {
            Base::File => p.path.parent(),
            Base::Workspace => WsPath::root(),
            Base::Dir(d) => d.clone(),
        };
        self.join_like_the_os(&base, raw)
    }

    /// `base` joined with `rel` as the kernel resolves it, and so OpenSSL: `link/..` climbs from where
    /// the symlink `link` leads, not back to the folder holding it. `None` when the path leaves the
    /// workspace.
    fn join_like_the_os(&self, base: &WsPath, rel: &Path) -> Option<WsPath> {
        use std::path::Component;
        // Bounds a symlink loop, like the kernel's limit; the loop itself is reported where the
        // path is looked up.
        let mut hops = 0;
        let mut cur = base.clone();
        for c in rel.components() {
            match c {
                Component::CurDir => {}
                Component::Normal(name) => cur = cur.child(name),
                Component::ParentDir => {
                    while hops < 40 {
                        hops += 1;
                        cur = match self.source.lookup(&cur) {
                            Lookup::Found(Meta {
                                kind: Kind::Symlink(t),
                                ..
                            }) => self.resolve_link(&cur, &t)?,
                            Lookup::ThroughSymlink { link, target } => {
                                let rest = cur.strip_prefix(&link)?;
                                self.resolve_link(&link, &target)?.join(rest.as_path())?
                            }
                            _ => break,
                        };
                    }
                    if cur.is_root() {
                        return None;
                    }
                    cur = cur.parent();
                }
                Component::RootDir | Component::Prefix(_) => return None,
            }
        }
        Some(cur)
    }
}
