//! git's content transformations: where the bytes of a file on disk and of its blob can differ.
//!
//! git converts content on `git add` (clean) and on checkout (smudge) when `.gitattributes` or the
//! configuration asks for it: line endings (`text`, `text=auto`, `eol=`, the legacy `crlf`, or
//! `core.autocrlf` for files with none of these), `$Id$` expansion (`ident`), filter drivers
//! (`filter=`, such as Git LFS) and re-encoding (`working-tree-encoding`). vigil hashes the bytes the
//! consumer reads: the file on disk in the working tree, the blob in the index or a commit. For a
//! transformed file the two can differ, so an approval made on one side can look `stale` on the other.
//! vigil does not guess the conversion: it detects it, per component, with libgit2's attribute
//! lookup (in-process and cached, so cheap), and says so.

use super::Transform;
use git2::{AttrCheckFlags, AttrValue, Repository};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An owned attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attr {
    Unspecified,
    True,
    False,
    Value(String),
}

fn attr(repo: &Repository, path: &Path, name: &str, flags: AttrCheckFlags) -> Attr {
    match repo.get_attr_bytes(path, name, flags) {
        Ok(v) => match AttrValue::from_bytes(v) {
            AttrValue::True => Attr::True,
            AttrValue::False => Attr::False,
            AttrValue::Unspecified => Attr::Unspecified,
            AttrValue::String(s) => Attr::Value(s.to_string()),
            AttrValue::Bytes(b) => Attr::Value(String::from_utf8_lossy(b).into_owned()),
        },
        Err(_) => Attr::Unspecified,
    }
}

/// `core.autocrlf` as git reads it: `Some("true")`, `Some("input")`, or `None` when false or unset.
pub fn autocrlf(repo: &Repository) -> Option<&'static str> {
    let cfg = repo.config().ok()?;
    match cfg.get_bool("core.autocrlf") {
        Ok(true) => Some("true"),
        Ok(false) => None,
        Err(_) => cfg
            .get_string("core.autocrlf")
            .ok()
            .filter(|s| s.eq_ignore_ascii_case("input"))
            .map(|_| "input"),
    }
}

/// The transformation git applies to repository path `path`, with attributes looked up in `attrs`
/// (with `flags`) and `core.autocrlf` as given (see [`autocrlf`]); `None` when git stores the file
/// byte for byte.
///
/// The line-ending rules follow git's `convert.c`: `-text` (or `binary`, or `-crlf`) turns conversion
/// off; `text`, `text=auto` or an `eol=` value turn it on; without any of these, `core.autocrlf` true
/// or input turns it on (for files git detects as text, which configuration files are).
pub fn transform(
    attrs: &Repository,
    path: &[u8],
    flags: AttrCheckFlags,
    autocrlf: Option<&str>,
) -> Option<Transform> {
    let p = Path::new(OsStr::from_bytes(path));
    transform_with(|name| attr(attrs, p, name, flags), autocrlf)
}

/// [`transform`] over any attribute lookup.
fn transform_with(attr_of: impl Fn(&str) -> Attr, autocrlf: Option<&str>) -> Option<Transform> {
    let mut causes = Vec::new();
    let mut fix = Vec::new();
    let text = attr_of("text");
    let crlf = attr_of("crlf");
    let eol = attr_of("eol");
    let binary = text == Attr::False || (text == Attr::Unspecified && crlf == Attr::False);
    if !binary {
        let mut eol_causes = Vec::new();
        match &text {
            Attr::True => eol_causes.push("`text`".to_string()),
            Attr::Value(v) => eol_causes.push(format!("`text={v}`")),
            _ => match &crlf {
                Attr::True => eol_causes.push("`crlf`".to_string()),
                Attr::Value(v) => eol_causes.push(format!("`crlf={v}`")),
                _ => {}
            },
        }
        if let Attr::Value(v) = &eol {
            eol_causes.push(format!("`eol={v}`"));
        }
        if eol_causes.is_empty() {
            if let Some(a) = autocrlf {
                causes.push(format!("core.autocrlf={a}"));
                fix.push("-text");
            }
        } else {
            causes.push(format!(".gitattributes {}", eol_causes.join(" ")));
            fix.push("-text");
        }
    }
    let mut other = Vec::new();
    if attr_of("ident") == Attr::True {
        other.push("`ident`".to_string());
        fix.push("-ident");
    }
    if let Attr::Value(v) = attr_of("filter") {
        other.push(format!("`filter={v}`"));
        fix.push("-filter");
    }
    if let Attr::Value(v) = attr_of("working-tree-encoding") {
        // git does not re-encode to its own encoding.
        let utf8 = v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8");
        if !utf8 {
            other.push(format!("`working-tree-encoding={v}`"));
            fix.push("-working-tree-encoding");
        }
    }
    if !other.is_empty() {
        // Line-ending attributes already name the file; join the rest to them.
        match causes.iter_mut().find(|c| c.starts_with(".gitattributes")) {
            Some(c) => {
                c.push(' ');
                c.push_str(&other.join(" "));
            }
            None => causes.insert(0, format!(".gitattributes {}", other.join(" "))),
        }
    }
    if causes.is_empty() {
        None
    } else {
        Some(Transform { causes, fix })
    }
}

/// The attributes of one commit: a repository view sharing the repository's objects, with an
/// in-memory index that holds only the commit's `.gitattributes` files, so attributes are those a
/// checkout of the commit applies, not a work tree's. Works in bare repositories and in the quarantine
/// of a push. The `.gitattributes` of a component's folders are added before its lookup, so the cost
/// is the depth of the components, not the size of the tree.
pub struct CommitAttrs {
    view: Repository,
    index: std::cell::RefCell<git2::Index>,
    tree: git2::Oid,
    loaded: std::cell::RefCell<std::collections::HashSet<Vec<u8>>>,
}

impl CommitAttrs {
    pub fn new(repo: &Repository, commit: git2::Oid) -> Result<Self, git2::Error> {
        let view = Repository::from_odb(repo.odb()?)?;
        let tree = repo.find_commit(commit)?.tree_id();
        let mut index = git2::Index::new()?;
        view.set_index(&mut index)?;
        Ok(CommitAttrs {
            view,
            index: std::cell::RefCell::new(index),
            tree,
            loaded: Default::default(),
        })
    }

    /// [`transform`] for repository path `path` in the commit.
    pub fn transform(&self, path: &[u8], autocrlf: Option<&str>) -> Option<Transform> {
        let tree = self.view.find_tree(self.tree).ok()?;
        let mut dir: &[u8] = path;
        loop {
            dir = match dir.iter().rposition(|&b| b == b'/') {
                Some(i) => &dir[..i],
                None => b"",
            };
            if !self.loaded.borrow_mut().insert(dir.to_vec()) {
                // Its parents were loaded with it.
                break;
            }
            let file = if dir.is_empty() {
                b".gitattributes".to_vec()
            } else {
                [dir, b"/.gitattributes"].concat()
            };
            if let Ok(e) = tree.get_path(Path::new(OsStr::from_bytes(&file))) {
                if e.kind() == Some(git2::ObjectType::Blob) {
                    let entry = git2::IndexEntry {
                        ctime: git2::IndexTime::new(0, 0),
                        mtime: git2::IndexTime::new(0, 0),
                        dev: 0,
                        ino: 0,
                        mode: 0o100644,
                        uid: 0,
                        gid: 0,
                        file_size: 0,
                        id: e.id(),
                        flags: 0,
                        flags_extended: 0,
                        path: file,
                    };
                    self.index.borrow_mut().add(&entry).ok()?;
                }
            }
            if dir.is_empty() {
                break;
            }
        }
        if self.index.borrow().is_empty() {
            // No `.gitattributes` on the way to it in this commit: only core.autocrlf applies.
            return transform_with(|_| Attr::Unspecified, autocrlf);
        }
        transform(&self.view, path, AttrCheckFlags::INDEX_ONLY, autocrlf)
    }
}

/// Tells whether any attribute file can apply to a path, so that the six attribute lookups per
/// component (each of which stats attribute files and the index in libgit2) are made only where one
/// can. Without such a file every attribute is unspecified and only `core.autocrlf` applies.
pub struct AttrGate {
    /// An attribute file outside the tree applies everywhere: `info/attributes`, `core.attributesFile`,
    /// the user's or the system's.
    global: bool,
    workdir: Option<std::path::PathBuf>,
    /// Folders (repository paths) already answered.
    dirs: std::cell::RefCell<std::collections::HashMap<Vec<u8>, bool>>,
}

impl AttrGate {
    pub fn new(repo: &Repository) -> AttrGate {
        let cfg_file = repo
            .config()
            .ok()
            .and_then(|c| c.get_path("core.attributesFile").ok());
        let xdg = std::env::var_os("XDG_CONFIG_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
            .map(|d| d.join("git/attributes"));
        let global = repo.path().join("info/attributes").exists()
            || cfg_file.is_some_and(|f| f.exists())
            || xdg.is_some_and(|f| f.exists())
            || Path::new("/etc/gitattributes").exists();
        AttrGate {
            global,
            workdir: repo.workdir().map(Path::to_path_buf),
            dirs: Default::default(),
        }
    }

    /// True when some attribute file may set attributes for repository path `path`.
    pub fn may_apply(&self, repo: &Repository, path: &[u8]) -> bool {
        if self.global {
            return true;
        }
        let mut dir: &[u8] = path;
        loop {
            dir = match dir.iter().rposition(|&b| b == b'/') {
                Some(i) => &dir[..i],
                None => b"",
            };
            let known = self.dirs.borrow().get(dir).copied();
            if let Some(known) = known {
                if known {
                    return true;
                }
            } else {
                let file = if dir.is_empty() {
                    b".gitattributes".to_vec()
                } else {
                    [dir, b"/.gitattributes"].concat()
                };
                let rel = Path::new(OsStr::from_bytes(&file));
                let on_disk = self.workdir.as_ref().is_some_and(|w| w.join(rel).exists());
                let staged = on_disk
                    || repo
                        .index()
                        .ok()
                        .is_some_and(|i| i.get_path(rel, 0).is_some());
                self.dirs.borrow_mut().insert(dir.to_vec(), staged);
                if staged {
                    return true;
                }
            }
            if dir.is_empty() {
                return false;
            }
        }
    }

    /// [`transform`], skipping the lookups where no attribute file applies.
    pub fn transform(
        &self,
        repo: &Repository,
        path: &[u8],
        flags: AttrCheckFlags,
        autocrlf: Option<&str>,
    ) -> Option<Transform> {
        if self.may_apply(repo, path) {
            transform(repo, path, flags, autocrlf)
        } else {
            transform_with(|_| Attr::Unspecified, autocrlf)
        }
    }
}
