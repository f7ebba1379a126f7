//! git, through libgit2: the status of every component in one status query.

use super::{ApprovedQuery, Committed, Lineage, Revision, Status, Vcs, VcsError};
use crate::path::WsPath;
use git2::{Repository, StatusOptions};
use rayon::prelude::*;
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A workspace inside a git working tree.
pub struct GitWorkTree {
    pub repo: Repository,
    /// The workspace's folder relative to the repository's work tree (empty at the top).
    pub prefix: Vec<u8>,
    /// `core.autocrlf`, read once.
    autocrlf: Option<&'static str>,
    attrs: super::git_attr::AttrGate,
    /// Paths the last status query found excluded by a sparse checkout.
    sparse: std::cell::RefCell<std::collections::HashSet<WsPath>>,
    /// The rule that ignores each path the last status query found ignored.
    ignore_rules: std::cell::RefCell<HashMap<WsPath, String>>,
}

impl GitWorkTree {
    /// Opens the repository holding `ws_root`, honouring `GIT_DIR` and friends.
    pub fn open(ws_root: &Path) -> Result<Self, VcsError> {
        let repo = Repository::open_ext(
            ws_root,
            git2::RepositoryOpenFlags::FROM_ENV,
            std::iter::empty::<&std::ffi::OsStr>(),
        )
        .or_else(|_| Repository::discover(ws_root))
        .map_err(|e| match crate::git_format::unsupported(ws_root, &e) {
            Some(message) => VcsError::Other(message),
            None => VcsError::Git(e),
        })?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| VcsError::Other("the git repository is bare".into()))?
            .to_path_buf();
        let prefix = relative_prefix(&workdir, ws_root)?;
        let autocrlf = super::git_attr::autocrlf(&repo);
        let attrs = super::git_attr::AttrGate::new(&repo);
        Ok(GitWorkTree {
            repo,
            prefix,
            autocrlf,
            attrs,
            sparse: Default::default(),
            ignore_rules: Default::default(),
        })
    }

    /// Asks git which rule ignores each ignored path, for the finding to name it.
    fn remember_ignore_rules(&self, statuses: &HashMap<WsPath, Status>) {
        let ignored: Vec<&WsPath> = statuses
            .iter()
            .filter(|(_, s)| **s == Status::Ignored)
            .map(|(p, _)| p)
            .collect();
        let (Some(workdir), false) = (self.repo.workdir(), ignored.is_empty()) else {
            return;
        };
        let repo_paths: Vec<Vec<u8>> = ignored.iter().map(|p| self.repo_path(p)).collect();
        let found = super::git_ignore::rules(workdir, &repo_paths);
        let mut rules = self.ignore_rules.borrow_mut();
        for (p, rp) in ignored.into_iter().zip(&repo_paths) {
            if let Some(r) = found.get(rp) {
                rules.insert(p.clone(), r.clone());
            }
        }
    }

    /// The repository path of a workspace path.
    pub fn repo_path(&self, p: &WsPath) -> Vec<u8> {
        join_prefix(&self.prefix, p)
    }
}

/// Whether the index entry at `path` carries the skip-worktree flag (set by a sparse checkout).
fn skip_worktree(repo: &Repository, path: &[u8]) -> bool {
    const SKIP_WORKTREE: u16 = 1 << 14;
    repo.index()
        .ok()
        .and_then(|i| i.get_path(Path::new(std::ffi::OsStr::from_bytes(path)), 0))
        .is_some_and(|e| e.flags_extended & SKIP_WORKTREE != 0)
}

/// The git blob id of a file on disk, as `git hash-object --no-filters` computes it: SHA-1 of
/// `blob <length>\0` and the raw bytes, streamed in small pieces (a symlink's blob is its target).
/// FIFOs and devices are never opened.
fn blob_id(path: &Path) -> std::io::Result<git2::Oid> {
    use sha1::Digest;
    use std::io::Read;
    let mut h = sha1::Sha1::new();
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        let target = std::fs::read_link(path)?;
        let bytes = target.as_os_str().as_bytes();
        h.update(format!("blob {}\0", bytes.len()));
        h.update(bytes);
    } else {
        let mut f = crate::source::open_regular(path)?;
        let len = f.metadata()?.len();
        h.update(format!("blob {len}\0"));
        let mut buf = vec![0u8; 64 << 10];
        let mut read = 0u64;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            read += n as u64;
            h.update(&buf[..n]);
        }
        // The length goes first into the id: a file that grew or shrank meanwhile has no one id.
        if read != len {
            return Err(std::io::Error::other(
                "the file changed size while it was read",
            ));
        }
    }
    git2::Oid::from_bytes(&h.finalize()).map_err(std::io::Error::other)
}

/// The tree of `folder` (a repository path; empty for the top) in `root`, or `None` when the commit
/// has no such folder.
fn subtree<'r>(
    repo: &'r Repository,
    root: &git2::Tree<'r>,
    folder: &[u8],
) -> Result<Option<git2::Tree<'r>>, git2::Error> {
    if folder.is_empty() {
        return Ok(Some(root.clone()));
    }
    let entry = match root.get_path(Path::new(std::ffi::OsStr::from_bytes(folder))) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if entry.kind() != Some(git2::ObjectType::Tree) {
        return Ok(None);
    }
    Ok(Some(repo.find_tree(entry.id())?))
}

/// `Name <email>` from git's configuration, as far as it is set.
pub fn config_user(repo: &Repository) -> Option<String> {
    let cfg = repo.config().ok()?;
    let name = cfg.get_string("user.name").ok();
    let email = cfg.get_string("user.email").ok();
    match (name, email) {
        (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
        (Some(n), None) => Some(n),
        (None, Some(e)) => Some(format!("<{e}>")),
        (None, None) => None,
    }
}

/// Where a repository is, for reports: its work tree, or its git folder when it is bare.
pub fn location(repo: &Repository) -> String {
    let at = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .display()
        .to_string();
    at.trim_end_matches('/').to_string()
}

/// `prefix/path`, or `path` at the top.
pub fn join_prefix(prefix: &[u8], p: &WsPath) -> Vec<u8> {
    if prefix.is_empty() {
        p.as_bytes().to_vec()
    } else {
        let mut v = prefix.to_vec();
        v.push(b'/');
        v.extend_from_slice(p.as_bytes());
        v
    }
}

/// The path of `ws_root` inside `workdir`, as bytes (empty when they are the same folder).
pub fn relative_prefix(workdir: &Path, ws_root: &Path) -> Result<Vec<u8>, VcsError> {
    let wd = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let ws = ws_root
        .canonicalize()
        .unwrap_or_else(|_| ws_root.to_path_buf());
    let rel = ws.strip_prefix(&wd).map_err(|_| {
        VcsError::Other(format!(
            "the workspace {} is outside the repository's work tree {}",
            ws.display(),
            wd.display()
        ))
    })?;
    Ok(rel.as_os_str().as_bytes().to_vec())
}

/// Maps libgit2 status flags to a component status.
pub fn map_status(s: git2::Status) -> Status {
    use git2::Status as S;
    if s.contains(S::IGNORED) {
        Status::Ignored
    } else if s.contains(S::WT_NEW) && !s.intersects(S::INDEX_NEW) {
        Status::Untracked(None)
    } else if s.contains(S::CONFLICTED) {
        Status::Uncommitted("conflicted".into())
    } else if s.contains(S::INDEX_NEW) {
        Status::Uncommitted(
            if s.intersects(S::WT_MODIFIED | S::WT_DELETED | S::WT_TYPECHANGE) {
                "added, not committed, and changed again since it was staged".into()
            } else {
                "added, not committed".into()
            },
        )
    } else if s.intersects(S::WT_DELETED | S::INDEX_DELETED) {
        Status::Uncommitted("deleted, not committed".into())
    } else if s.intersects(S::WT_MODIFIED | S::WT_TYPECHANGE | S::WT_RENAMED) {
        Status::Uncommitted("modified, not committed".into())
    } else if s.intersects(S::INDEX_MODIFIED | S::INDEX_TYPECHANGE | S::INDEX_RENAMED) {
        Status::Uncommitted("staged, not committed".into())
    } else {
        Status::Committed
    }
}

impl Vcs for GitWorkTree {
    fn name(&self) -> &'static str {
        "git"
    }

    fn describe(&self) -> String {
        format!("git repository at {}", location(&self.repo))
    }

    fn revision(&self) -> Revision {
        let id = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id().to_string());
        Revision {
            vcs: "git".into(),
            id,
        }
    }

    fn user(&self) -> Option<String> {
        config_user(&self.repo)
    }

    /// The attributes git applies on the next `git add`: `.gitattributes` on disk, then in the index.
    fn transform(&self, path: &WsPath) -> Option<super::Transform> {
        self.attrs.transform(
            &self.repo,
            &self.repo_path(path),
            git2::AttrCheckFlags::FILE_THEN_INDEX,
            self.autocrlf,
        )
    }

    fn approved_content(&self, query: &ApprovedQuery) -> Result<Option<Vec<u8>>, VcsError> {
        let repo_path = self.repo_path(query.path);
        let rp = std::path::Path::new(std::ffi::OsStr::from_bytes(&repo_path));
        let mut commits = Vec::new();
        if let Some(c) = last_change(&self.repo, &self.repo_path(query.manifest))? {
            commits.push(c);
        }
        if let Some(id) = query.recorded.and_then(|r| git2::Oid::from_str(r).ok()) {
            commits.push(id);
        }
        if let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) {
            commits.push(head.id());
        }
        for id in commits {
            let Ok(commit) = self.repo.find_commit(id) else {
                continue;
            };
            let Ok(entry) = commit.tree()?.get_path(rp) else {
                continue;
            };
            if let Ok(blob) = self.repo.find_blob(entry.id()) {
                if crate::hash::hash_bytes(blob.content()) == query.blake3 {
                    return Ok(Some(blob.content().to_vec()));
                }
            }
        }
        // An approval made together with a staged change: the approved bytes are in the index.
        let index = self.repo.index()?;
        if let Some(e) = index.get_path(rp, 0) {
            if let Ok(blob) = self.repo.find_blob(e.id) {
                if crate::hash::hash_bytes(blob.content()) == query.blake3 {
                    return Ok(Some(blob.content().to_vec()));
                }
            }
        }
        Ok(None)
    }

    /// Compares object ids: the working file's bytes are hashed as a git blob while they stream
    /// past, and the id is compared with the one HEAD's tree records, so no blob is ever loaded and
    /// memory stays flat however large the file. The raw bytes on disk are hashed, never filtered:
    /// a local clean filter cannot make different bytes look committed.
    fn absent_reason(&self, path: &WsPath) -> Option<String> {
        self.sparse.borrow().contains(path).then(|| {
            "it is committed, but excluded from this sparse checkout (git's skip-worktree flag), so \
             the working tree does not have it; include it with `git sparse-checkout add`"
                .to_string()
        })
    }

    /// HEAD's tree is read once and each folder's tree once, however many paths it holds (a folder
    /// tree larger than libgit2's object cache would otherwise be read and verified again per file);
    /// the files on disk are then hashed on every core.
    fn compare_committed(&self, paths: &[WsPath]) -> Result<Vec<Committed>, VcsError> {
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) else {
            return Ok(vec![Committed::Absent; paths.len()]);
        };
        let Some(workdir) = self.repo.workdir() else {
            return Ok(vec![Committed::Unknown; paths.len()]);
        };
        let root = head.tree()?;
        let mut folders: HashMap<Vec<u8>, Option<git2::Tree<'_>>> = HashMap::new();
        let mut out = Vec::with_capacity(paths.len());
        let mut to_hash = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let rp = self.repo_path(p);
            let (folder, name) = match rp.iter().rposition(|&b| b == b'/') {
                Some(k) => (rp[..k].to_vec(), &rp[k + 1..]),
                None => (Vec::new(), &rp[..]),
            };
            let tree = match folders.entry(folder) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let t = subtree(&self.repo, &root, e.key())?;
                    e.insert(t)
                }
            };
            let entry = tree.as_ref().and_then(|t| t.get_name_bytes(name));
            out.push(match entry {
                None => Committed::Absent,
                Some(e) if e.kind() != Some(git2::ObjectType::Blob) => Committed::Differs,
                Some(e) => {
                    to_hash.push((i, workdir.join(std::ffi::OsStr::from_bytes(&rp)), e.id()));
                    Committed::Unknown
                }
            });
        }
        let compared: Vec<(usize, Committed)> = to_hash
            .par_iter()
            .map(|(i, disk, id)| {
                let c = match blob_id(disk) {
                    Ok(d) if d == *id => Committed::Same,
                    Ok(_) => Committed::Differs,
                    Err(e) => Committed::Unreadable(e.to_string()),
                };
                (*i, c)
            })
            .collect();
        for (i, c) in compared {
            out[i] = c;
        }
        Ok(out)
    }

    fn last_author(&self, paths: &[WsPath]) -> Result<Option<super::Author>, VcsError> {
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) else {
            return Ok(None);
        };
        let paths: Vec<Vec<u8>> = paths.iter().map(|p| self.repo_path(p)).collect();
        super::git_author::last_author(&self.repo, head.id(), &paths)
    }

    fn landed(&self, manifest: &WsPath) -> Result<Option<String>, VcsError> {
        Ok(last_change(&self.repo, &self.repo_path(manifest))?.map(|c| c.to_string()))
    }

    fn ignore_rule(&self, path: &WsPath) -> Option<String> {
        self.ignore_rules.borrow().get(path).cloned()
    }

    /// In the history means HEAD itself or an ancestor of HEAD. A shallow clone may lack the recorded
    /// commit; that answers `Outside`, so the gate needs the history down to the approval.
    fn lineage(&self, _manifest: &WsPath, recorded: &str) -> Result<Lineage, VcsError> {
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) else {
            return Ok(Lineage::Outside(
                "the repository has no commit yet, so no approval can be in its history".into(),
            ));
        };
        let short = |s: &str| crate::finding::short(s).to_string();
        let Ok(oid) = git2::Oid::from_str(recorded) else {
            return Ok(Lineage::Outside(format!(
                "`{recorded}` is not a git commit id"
            )));
        };
        if self.repo.find_commit(oid).is_err() {
            return Ok(Lineage::Outside(format!(
                "commit {} is not in this repository (another repository, or a shallow clone)",
                short(recorded)
            )));
        }
        if oid == head.id() || self.repo.graph_descendant_of(head.id(), oid)? {
            Ok(Lineage::InHistory)
        } else {
            Ok(Lineage::Outside(format!(
                "commit {} is not an ancestor of HEAD {}",
                short(recorded),
                short(&head.id().to_string())
            )))
        }
    }

    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        let mut out = HashMap::with_capacity(paths.len());
        if paths.is_empty() {
            return Ok(out);
        }
        let mut by_repo_path: HashMap<Vec<u8>, &WsPath> = HashMap::with_capacity(paths.len());
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(true)
            .recurse_ignored_dirs(true)
            .include_unmodified(true)
            .exclude_submodules(false)
            // Exact paths: libgit2 then matches them by binary search rather than as patterns.
            .disable_pathspec_match(true);
        for p in paths {
            let rp = self.repo_path(p);
            opts.pathspec(rp.clone());
            by_repo_path.insert(rp, p);
        }
        let statuses = self.repo.statuses(Some(&mut opts))?;
        let mut sparse = self.sparse.borrow_mut();
        for e in statuses.iter() {
            if let Some(p) = by_repo_path.get(e.path_bytes()) {
                let mut status = map_status(e.status());
                // An entry the sparse checkout keeps off disk is committed, not deleted: git's own
                // status says nothing of it. It is missing from the working tree, and says why.
                if e.status() == git2::Status::WT_DELETED
                    && skip_worktree(&self.repo, e.path_bytes())
                {
                    status = Status::Committed;
                    sparse.insert((*p).clone());
                }
                out.insert((*p).clone(), status);
            }
        }
        drop(sparse);
        self.remember_ignore_rules(&out);
        // A path git says nothing about is in no index and no commit: inside a submodule or a nested
        // repository, which this repository cannot vouch for.
        for p in paths {
            out.entry(p.clone()).or_insert_with(|| {
                Status::Untracked(Some(
                    "git reports nothing for it: it may be inside a submodule or a nested repository"
                        .into(),
                ))
            });
        }
        Ok(out)
    }
}

/// The newest commit reachable from HEAD that changed `path` (first-parent history), if any.
fn last_change(repo: &Repository, path: &[u8]) -> Result<Option<git2::Oid>, git2::Error> {
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return Ok(None);
    };
    let p = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    let blob_at = |c: &git2::Commit| {
        c.tree()
            .ok()
            .and_then(|t| t.get_path(p).ok())
            .map(|e| e.id())
    };
    let mut cur = head;
    // Bounded: a manifest changed more than this many commits ago is found through its recorded commit.
    for _ in 0..10_000 {
        let here = blob_at(&cur);
        let Ok(parent) = cur.parent(0) else {
            return Ok(here.map(|_| cur.id()));
        };
        if here.is_some() && blob_at(&parent) != here {
            return Ok(Some(cur.id()));
        }
        cur = parent;
    }
    Ok(None)
}
