//! A profile's OpenSSL loads: the OpenSSL loader ([`crate::openssl`]) run over a [`Source`] (working
//! tree, git index, git commit, SVN transaction), with the profile's environment and working folder,
//! and its results turned into the inventory's words: workspace paths, reference chains and findings.

use crate::config::Profile;
use crate::finding::{Code, Draft, Step, Subject};
use crate::openssl::{
    self, FileAccess, Kind as OKind, Loaded, Meta as OMeta, Options, ProblemKind,
};
use crate::path::WsPath;
use crate::source::{Kind, Lookup, Source};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The name the chain shows for a step made by the loader.
pub const BY: &str = "openssl-include";

/// Files larger than this are reported, not loaded (OpenSSL would read them; no CA configuration is
/// anywhere near this size, and the loader holds a file in memory).
pub const MAX_LOAD_BYTES: u64 = 64 * 1024 * 1024;

/// The absolute root a source without a known location is loaded under: absolute paths in its files
/// then all lead outside, as they must (nothing says where the workspace will be).
const DETACHED_ROOT: &str = "/.vigil-workspace";

/// One OpenSSL load that a profile starts: its top file, how the profile reached it, what it loaded.
#[derive(Debug, Clone)]
pub struct ProfileLoad {
    pub top: WsPath,
    /// How the profile reached the top file.
    pub via: Vec<Step>,
    pub loaded: Loaded,
    /// The absolute folder the load ran under, to turn its paths back into workspace paths.
    pub root: PathBuf,
    /// BLAKE3 of each file the load read whole, so the check hashes the bytes OpenSSL's reading was
    /// judged on without reading them again.
    pub hashes: HashMap<WsPath, crate::hash::Digest>,
    /// Declared in the profile's `extfile`: OpenSSL configuration whatever its name.
    pub extfile: bool,
}

impl ProfileLoad {
    /// The workspace path of an absolute path of this load, or its display when it is outside.
    pub fn ws_text(&self, abs: &Path) -> String {
        to_ws(&self.root, abs).map_or_else(|| abs.display().to_string(), |p| p.to_string())
    }

    /// What a problem at the absolute path `abs` is about: its workspace path, or its display when
    /// it is outside.
    pub fn subject(&self, abs: &Path) -> Subject {
        to_ws(&self.root, abs)
            .map_or_else(|| Subject::Text(abs.display().to_string()), Subject::Path)
    }

    /// The chain that reached the file of `read` (an index into `loaded.reads`).
    pub fn via_of_read(&self, read: usize) -> Vec<Step> {
        let chain = self
            .loaded
            .reads
            .get(read)
            .map_or(&[][..], |r| &r.chain[..]);
        self.extend(chain)
    }

    /// The chain to the line at `at`, that line included.
    pub fn via_of_line(&self, at: &openssl::Location) -> Vec<Step> {
        let mut via = self.via_of_read(at.read);
        if let Some(from) = to_ws(&self.root, &at.path) {
            via.push(Step::Reference {
                from,
                line: at.line,
                by: BY.into(),
            });
        }
        via
    }

    fn extend(&self, chain: &[openssl::Step]) -> Vec<Step> {
        let mut via = self.via.clone();
        for s in chain {
            if let Some(from) = to_ws(&self.root, &s.path) {
                via.push(Step::Reference {
                    from,
                    line: s.line,
                    by: BY.into(),
                });
            }
        }
        via
    }

    /// The load's problems as finding drafts, worded in workspace paths (`label` names the source:
    /// "working tree", "git index", ...). A load error is reported for files named like OpenSSL
    /// configuration (`*.cnf`, `*.conf`, any case) only: a script or template reached as a top file is
    /// loaded for the includes it may hold, and OpenSSL's opinion of its other lines is no finding.
    pub fn drafts(&self, label: &str) -> Vec<Draft> {
        let mut out = Vec::new();
        for p in &self.loaded.problems {
            let via = match &p.at {
                Some(at) => self.via_of_line(at),
                None => self.via.clone(),
            };
            let path = match (&p.path, &p.at) {
                (Some(path), _) => self.subject(path),
                (None, Some(at)) => self.subject(&at.path),
                (None, None) => Subject::Path(self.top.clone()),
            };
            let code = match p.kind {
                ProblemKind::MissingInclude => Code::Missing,
                ProblemKind::OutsideRoot => Code::OutsideRoot,
                ProblemKind::Unreadable
                | ProblemKind::SpecialFile
                | ProblemKind::TooLarge
                | ProblemKind::TooManyReads
                | ProblemKind::IncludeCycle => Code::Unreadable,
                ProblemKind::UndeclaredEnv => Code::UndeclaredEnv,
                ProblemKind::LoadError => {
                    if !self.extfile && !is_openssl_name(self.top.file_name()) {
                        continue;
                    }
                    Code::OpensslError
                }
                // OpenSSL skips such an include: no file is read, nothing escapes control.
                ProblemKind::NestedFolderInclude => continue,
            };
            let line =
                p.at.as_ref()
                    .map(|at| format!("{}:{}", self.ws_text(&at.path), at.line));
            let draft = match (code, &line) {
                (Code::OpensslError, Some(line)) => {
                    Draft::openssl_error(path, via, line, &p.message)
                }
                (Code::UndeclaredEnv, Some(line)) => Draft::undeclared_env(
                    path,
                    via,
                    &format!(
                        "{} ({line}); declare it in the profile's `env` or `env-file`",
                        p.message
                    ),
                ),
                // The inventory's own words for a reference that leads nowhere or out.
                (Code::Missing, Some(line)) if p.path.is_some() => Draft::new(
                    code,
                    path,
                    via,
                    format!("referenced by {line}, but not found in the {label}"),
                ),
                (Code::OutsideRoot, Some(line)) => Draft::new(
                    code,
                    match (&p.path, &p.written) {
                        (Some(abs), Some(w)) if w.is_relative() => {
                            Subject::Text(relative_to(&self.root, abs))
                        }
                        _ => path.clone(),
                    },
                    via,
                    format!(
                        "referenced by {line}, outside the workspace: OpenSSL would read {path}, vigil does not"
                    ),
                ),
                _ => Draft::new(code, path, via, self.ws_message(&p.message)),
            };
            out.push(draft);
        }
        out
    }

    /// A loader message with the load's root taken off the paths in it.
    fn ws_message(&self, message: &str) -> String {
        let mut root = self.root.display().to_string();
        if !root.ends_with('/') {
            root.push('/');
        }
        message.replace(&root, "")
    }
}

/// Whether a file name says OpenSSL configuration: `.cnf` or `.conf`, compared as OpenSSL compares
/// folder entries (case-insensitively).
pub fn is_openssl_name(name: &OsStr) -> bool {
    let n = name.as_bytes().to_ascii_lowercase();
    n.ends_with(b".cnf") || n.ends_with(b".conf")
}

/// `abs` as a path relative to `root`, climbing out with `..` where it must: how a relative include
/// that leads outside the workspace reads.
fn relative_to(root: &Path, abs: &Path) -> String {
    let (r, a): (Vec<_>, Vec<_>) = (root.components().collect(), abs.components().collect());
    let common = r.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..r.len() {
        out.push("..");
    }
    for c in &a[common..] {
        out.push(c);
    }
    out.display().to_string()
}

/// The workspace path of an absolute path under `root`.
pub fn to_ws(root: &Path, abs: &Path) -> Option<WsPath> {
    let rel = abs.strip_prefix(root).ok()?;
    if rel.as_os_str().is_empty() {
        return Some(WsPath::root());
    }
    WsPath::normalize(rel)
}

/// The absolute root loads run under: the workspace, or a stand-in when it is not known.
pub fn root_of(ws_abs: Option<&Path>) -> PathBuf {
    ws_abs.map_or_else(|| PathBuf::from(DETACHED_ROOT), Path::to_path_buf)
}

/// The loader's options for `profile`: root, working folder (`include-dir`), environment, and its
/// `deployed` folders.
pub fn options(profile: &Profile, root: &Path, env: BTreeMap<String, String>) -> Options {
    // Collecting the components drops a `.` (the default `include-dir`), so paths read cleanly.
    let cwd: PathBuf = root.join(&profile.include_dir).components().collect();
    let mut opts = Options::new(root, cwd);
    opts.env = env;
    opts.max_file_size = MAX_LOAD_BYTES;
    opts.deployed = profile
        .deployed
        .iter()
        .map(|(host, ws)| (host.clone(), root.join(ws.as_path())))
        .collect();
    opts
}

/// Parses an environment file: `NAME=value` lines, optionally after `export `, values optionally in
/// single or double quotes; blank lines and `#` comments are skipped. A malformed line is an error
/// naming its line number.
pub fn parse_env_file(text: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected NAME=value", i + 1));
        };
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("line {}: `{name}` is not a variable name", i + 1));
        }
        let value = value.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        env.insert(name.to_string(), value.to_string());
    }
    Ok(env)
}

/// The loader's file access over a [`Source`]: the absolute paths it asks about are the source's
/// workspace paths under `root`.
pub struct SourceAccess<'a> {
    source: &'a dyn Source,
    root: PathBuf,
    /// BLAKE3 of each file read whole, by absolute path.
    hashes: RefCell<HashMap<PathBuf, crate::hash::Digest>>,
}

impl<'a> SourceAccess<'a> {
    pub fn new(source: &'a dyn Source, root: &Path) -> Self {
        SourceAccess {
            source,
            root: root.to_path_buf(),
            hashes: RefCell::default(),
        }
    }

    /// The BLAKE3 of each file read whole, by workspace path.
    pub fn hashes(self) -> HashMap<WsPath, crate::hash::Digest> {
        let root = self.root;
        self.hashes
            .into_inner()
            .into_iter()
            .filter_map(|(abs, h)| Some((to_ws(&root, &abs)?, h)))
            .collect()
    }

    fn ws(&self, path: &Path) -> io::Result<WsPath> {
        to_ws(&self.root, path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is outside the workspace", path.display()),
            )
        })
    }
}

impl FileAccess for SourceAccess<'_> {
    fn lstat(&self, path: &Path) -> io::Result<OMeta> {
        let ws = self.ws(path)?;
        if ws.is_root() {
            return Ok(OMeta {
                kind: OKind::Dir,
                size: 0,
            });
        }
        match self.source.lookup(&ws) {
            Lookup::Found(m) => {
                let kind = match m.kind {
                    Kind::File | Kind::Executable => OKind::File,
                    Kind::Dir => OKind::Dir,
                    Kind::Symlink(_) => OKind::Symlink,
                    Kind::Special(what) => OKind::Special(what),
                };
                let size = if kind == OKind::File { m.size } else { 0 };
                Ok(OMeta { kind, size })
            }
            Lookup::Missing => Err(io::ErrorKind::NotFound.into()),
            // The loader resolves every folder on the way before it asks about a path, so a linked
            // folder here means the source changed under it.
            Lookup::ThroughSymlink { link, .. } => Err(io::Error::other(format!(
                "reached through symlink {link}, which changed during the load"
            ))),
            Lookup::Unreadable(why) => Err(io::Error::new(io::ErrorKind::PermissionDenied, why)),
        }
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match self.source.lookup(&self.ws(path)?) {
            Lookup::Found(m) => match m.kind {
                Kind::Symlink(t) => Ok(PathBuf::from(OsStr::from_bytes(&t))),
                _ => Err(io::Error::other("not a symbolic link")),
            },
            _ => Err(io::ErrorKind::NotFound.into()),
        }
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.source
            .open(&self.ws(path)?)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)?;
        if out.len() as u64 <= limit {
            self.hashes
                .borrow_mut()
                .insert(path.to_path_buf(), crate::hash::digest_bytes(&out));
        }
        Ok(out)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>> {
        Ok(self
            .source
            .list_dir(&self.ws(path)?)?
            .into_iter()
            .map(|e| e.name)
            .collect())
    }
}

/// Loads `top` (a regular file of the source) as OpenSSL would with `opts`.
pub fn load_top(
    source: &dyn Source,
    root: &Path,
    opts: &Options,
    top: &WsPath,
    via: Vec<Step>,
) -> ProfileLoad {
    let access = SourceAccess::new(source, root);
    let abs = root.join(top.as_path());
    let loaded = openssl::load(&access, &abs, opts);
    ProfileLoad {
        top: top.clone(),
        via,
        loaded,
        root: root.to_path_buf(),
        hashes: access.hashes(),
        extfile: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_forms() {
        let env =
            parse_env_file(b"# comment\n\nHOME=/home/ca\nexport CA_DIR = \"/srv/ca\"\nQ='a b'\n")
                .unwrap();
        assert_eq!(env["HOME"], "/home/ca");
        assert_eq!(env["CA_DIR"], "/srv/ca");
        assert_eq!(env["Q"], "a b");
        assert_eq!(
            parse_env_file(b"A=1\nnot a line\n").unwrap_err(),
            "line 2: expected NAME=value"
        );
    }

    #[test]
    fn openssl_names_are_case_insensitive() {
        assert!(is_openssl_name(OsStr::new("a.CNF")));
        assert!(is_openssl_name(OsStr::new("b.Conf")));
        assert!(!is_openssl_name(OsStr::new("run.sh")));
    }
}
