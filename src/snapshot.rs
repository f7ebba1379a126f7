//! Git snapshots: checking what is being committed (the index) or pushed (a commit) rather than the
//! working tree. The repository is opened from the environment, as git hooks expect: `GIT_DIR`,
//! `GIT_WORK_TREE`, `GIT_INDEX_FILE` (the temporary index of `git commit -a`, `git commit PATH` and
//! `git commit -i PATH`), and the quarantine of a push (`GIT_OBJECT_DIRECTORY`,
//! `GIT_ALTERNATE_OBJECT_DIRECTORIES`) are all honoured by libgit2's `open_from_env`.
//!
//! `vigil.toml` and the manifests are read from the snapshot too, so a commit is checked against the
//! configuration and approvals it carries, not against whatever is on disk.

use crate::config::{self, Config, CONFIG_FILE};
use crate::path::WsPath;
use crate::Error;
use git2::{Oid, Repository};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Opens the repository the way a git hook must: from `GIT_DIR` when git set it, else by discovery
/// from `start`, honouring the index, object-directory and alternates variables either way.
pub fn open_repo(start: &Path) -> Result<Repository, Error> {
    let repo = if std::env::var_os("GIT_DIR").is_some() {
        Repository::open_from_env()
    } else {
        Repository::open_ext(
            start,
            git2::RepositoryOpenFlags::FROM_ENV,
            std::iter::empty::<&OsStr>(),
        )
    };
    repo.map_err(|e| match crate::git_format::unsupported(start, &e) {
        Some(message) => Error::Vcs(message),
        None => Error::git(
            format!("no git repository at {} (or GIT_DIR)", start.display()),
            e,
        ),
    })
}

/// What is being checked.
pub enum Snap<'r> {
    /// The index, as `git commit` will record it.
    Index(git2::Index),
    /// A commit's tree.
    Commit(git2::Commit<'r>),
}

impl Snap<'_> {
    /// The blob id of a repository path in the snapshot, when it is a regular file there.
    pub fn blob(&self, path: &[u8]) -> Option<Oid> {
        match self {
            Snap::Index(index) => {
                let e = index.get_path(Path::new(OsStr::from_bytes(path)), 0)?;
                crate::source::is_regular_git_mode(e.mode).then_some(e.id)
            }
            Snap::Commit(c) => {
                let e = c
                    .tree()
                    .ok()?
                    .get_path(Path::new(OsStr::from_bytes(path)))
                    .ok()?;
                crate::source::is_regular_git_mode(e.filemode() as u32).then_some(e.id())
            }
        }
    }
}

/// `prefix/name`, or `name` at the top.
pub fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    }
}

/// The repository path of `path` (absolute or relative to `cwd`), when it lies in the work tree.
pub fn repo_relative(repo: &Repository, cwd: &Path, path: &Path) -> Option<Vec<u8>> {
    let wd = repo.workdir()?;
    let abs = cwd.join(path);
    let abs = abs.canonicalize().unwrap_or(abs);
    let wd = wd.canonicalize().unwrap_or_else(|_| wd.to_path_buf());
    let rel = abs.strip_prefix(&wd).ok()?;
    Some(rel.as_os_str().as_bytes().to_vec())
}

/// The workspace folder: the first folder, walking up from `start` (a repository path), whose
/// `vigil.toml` is in the snapshot.
pub fn find_workspace(snap: &Snap, start: &[u8]) -> Option<Vec<u8>> {
    let mut dir = start.to_vec();
    loop {
        if snap.blob(&join(&dir, CONFIG_FILE.as_bytes())).is_some() {
            return Some(dir);
        }
        if dir.is_empty() {
            return None;
        }
        let cut = dir.iter().rposition(|&b| b == b'/').unwrap_or(0);
        dir.truncate(cut);
    }
}

/// Parses the snapshot's `vigil.toml` in folder `prefix`; `Ok(None)` when it has none. `label` names
/// the file in error messages.
pub fn load_config(
    repo: &Repository,
    snap: &Snap,
    prefix: &[u8],
    label: &Path,
) -> Result<Option<Config>, Error> {
    let Some(id) = snap.blob(&join(prefix, CONFIG_FILE.as_bytes())) else {
        return Ok(None);
    };
    let blob = repo
        .find_blob(id)
        .map_err(|e| Error::git(label.display().to_string(), e))?;
    let text = std::str::from_utf8(blob.content()).map_err(|e| {
        Error::Config(config::ConfigError {
            file: label.to_path_buf(),
            line: None,
            column: None,
            snippet: None,
            message: format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        })
    })?;
    Ok(Some(config::parse(label, text)?))
}

/// How a snapshot's `vigil.toml` is named in messages: its path on disk for the index (where the
/// user edits it), `REV:path` for a commit, as `git show` writes it.
pub fn config_label(repo: &Repository, snap: &Snap, prefix: &[u8]) -> PathBuf {
    let rel = join(prefix, CONFIG_FILE.as_bytes());
    match (snap, repo.workdir()) {
        (Snap::Index(_), Some(wd)) => wd.join(OsStr::from_bytes(&rel)),
        (Snap::Commit(c), _) => {
            let id = c.id().to_string();
            PathBuf::from(format!("{}:{}", &id[..12], String::from_utf8_lossy(&rel)))
        }
        (Snap::Index(_), None) => PathBuf::from(OsStr::from_bytes(&rel)),
    }
}

/// Whether the commit being made (the index) can change the result of checking `config`, compared
/// with HEAD. `false` means no profile can be affected, and the check may be skipped.
///
/// The check's result depends only on `vigil.toml`, the manifests, and what the inventory examines:
/// each path it looks up or reads, and each folder it lists (a glob, a declared folder, an OpenSSL
/// folder include). So the inventory runs over a recording [`Source`] (it reads only the components,
/// and hashes nothing), and then only those paths (and the folders above them) and the listings of
/// those folders are compared between HEAD and the index. This costs what the profiles touch, not
/// what the repository holds: a full tree-to-index diff of a 100,000-file repository costs more than
/// the whole check (see bench/pre-commit.sh).
pub fn index_affects(
    repo: &Repository,
    index: &crate::source::GitIndex,
    prefix: &[u8],
    config: &Config,
    root: Option<&Path>,
) -> bool {
    let Some(head) = HeadTree::of(repo, prefix) else {
        return true; // The first commit, or the workspace is new: everything is new.
    };
    let differs = |p: &WsPath| head.entry(p) != index.staged_entry(p);

    let mut fixed = vec![WsPath::from_normal_bytes(CONFIG_FILE.as_bytes())];
    for name in config.profiles.keys() {
        fixed.extend(WsPath::normalize(Path::new(&config.manifest_path(name))));
    }
    if fixed.iter().any(differs) {
        return true;
    }
    let rec = crate::source::Recording::new(index);
    for p in config.profiles.values() {
        crate::inventory::inventory(&rec, p, root);
    }
    let mut paths: HashSet<WsPath> = HashSet::new();
    let (looked, listed) = rec.into_seen();
    for l in looked {
        let mut a = l.parent();
        while !a.is_root() && paths.insert(a.clone()) {
            a = a.parent();
        }
        paths.insert(l);
    }
    if paths.iter().any(differs) {
        return true;
    }
    listed
        .iter()
        .any(|d| head.children(d) != index.staged_children(d))
}

/// The workspace's folder in HEAD's tree, answering in the index's terms: (mode, id) per entry, the id
/// zero for a folder.
struct HeadTree<'r> {
    repo: &'r Repository,
    tree: git2::Tree<'r>,
}

impl<'r> HeadTree<'r> {
    /// `None` when there is no HEAD commit or the workspace's folder is not a tree in it.
    fn of(repo: &'r Repository, prefix: &[u8]) -> Option<HeadTree<'r>> {
        let head = repo.head().ok()?.peel_to_tree().ok()?;
        let tree = if prefix.is_empty() {
            head
        } else {
            let e = head.get_path(Path::new(OsStr::from_bytes(prefix))).ok()?;
            if e.kind() != Some(git2::ObjectType::Tree) {
                return None;
            }
            repo.find_tree(e.id()).ok()?
        };
        Some(HeadTree { repo, tree })
    }

    fn entry(&self, p: &WsPath) -> Option<(u32, Oid)> {
        if p.is_root() {
            return Some((0o040000, Oid::zero()));
        }
        let e = self.tree.get_path(p.as_path()).ok()?;
        Some(mode_and_id(e.filemode() as u32, e.id()))
    }

    /// The entries of folder `d`, sorted by name; empty when `d` is not a folder in HEAD.
    fn children(&self, d: &WsPath) -> Vec<(Vec<u8>, u32, Oid)> {
        if !matches!(self.entry(d), Some((0o040000, _))) {
            return Vec::new();
        }
        let tree = if d.is_root() {
            Some(self.tree.clone())
        } else {
            self.tree
                .get_path(d.as_path())
                .ok()
                .and_then(|e| self.repo.find_tree(e.id()).ok())
        };
        let mut v: Vec<_> = tree
            .iter()
            .flat_map(|t| t.iter())
            .map(|e| {
                let (mode, id) = mode_and_id(e.filemode() as u32, e.id());
                (e.name_bytes().to_vec(), mode, id)
            })
            .collect();
        v.sort();
        v
    }
}

/// A tree entry as the index compares it: a folder's id does not count.
fn mode_and_id(mode: u32, id: Oid) -> (u32, Oid) {
    if mode == 0o040000 {
        (mode, Oid::zero())
    } else {
        (mode, id)
    }
}

/// Where a snapshot's workspace is shown in reports: its folder in the work tree, or in the git folder
/// of a bare repository.
pub fn display_root(repo: &Repository, prefix: &[u8]) -> PathBuf {
    let base = repo.workdir().unwrap_or_else(|| repo.path());
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    if prefix.is_empty() {
        base
    } else {
        base.join(OsStr::from_bytes(prefix))
    }
}

/// Runs `f` over a check context for the tree of `commit`, with the configuration and manifests it
/// holds. `Ok(None)` when the commit has no `vigil.toml` in folder `prefix`.
pub fn with_commit<T>(
    repo: &Repository,
    commit: &git2::Commit,
    prefix: &[u8],
    mode: crate::config::Mode,
    f: impl FnOnce(&crate::check::Context) -> T,
) -> Result<Option<T>, Error> {
    with_commit_adjusted(repo, commit, prefix, mode, |_| {}, f)
}

/// As [`with_commit`], with the commit's configuration passed through `adjust` first (a server
/// policy raising it).
pub fn with_commit_adjusted<T>(
    repo: &Repository,
    commit: &git2::Commit,
    prefix: &[u8],
    mode: crate::config::Mode,
    adjust: impl FnOnce(&mut crate::config::Config),
    f: impl FnOnce(&crate::check::Context) -> T,
) -> Result<Option<T>, Error> {
    let snap = Snap::Commit(commit.clone());
    let label = config_label(repo, &snap, prefix);
    let Some(mut config) = load_config(repo, &snap, prefix, &label)? else {
        return Ok(None);
    };
    adjust(&mut config);
    // Absolute references resolve against the work tree when there is one; a bare repository has no
    // place on disk, so they are reported `outside-root` there.
    let root = repo.workdir().map(|_| display_root(repo, prefix));
    config.file = display_root(repo, prefix).join(CONFIG_FILE);
    let source = crate::source::GitTree::new(repo, commit, prefix)
        .map_err(|e| Error::git("", e))?
        .ok_or_else(|| Error::Vcs("the workspace folder is not in the commit".into()))?;
    let vcs = crate::vcs::git_tree::GitCommit::new(repo, commit.id(), prefix);
    let cx = crate::check::Context {
        config: &config,
        root: root.as_deref(),
        source: &source,
        vcs: &vcs,
        mode,
    };
    Ok(Some(f(&cx)))
}

/// A workspace folder given on the command line (`--workspace`), as a repository path.
pub fn parse_workspace(s: &str) -> Result<Vec<u8>, Error> {
    WsPath::normalize(Path::new(s))
        .map(|p| p.as_bytes().to_vec())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--workspace `{s}` must be a relative path inside the repository"
            ))
        })
}
