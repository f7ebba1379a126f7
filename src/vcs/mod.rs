//! Version control: is each component tracked, and committed?
//!
//! One [`Vcs`] answers for all the paths of a run in one query, never a process or a status call per file.

pub mod git;
pub mod git_attr;
pub mod git_author;
pub mod git_ignore;
pub mod git_index;
pub mod git_tree;
pub mod svn;

use crate::path::WsPath;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What version control says of one component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Tracked and identical to the last commit.
    Committed,
    /// Not known to version control. The text says why, when there is more to say.
    Untracked(Option<String>),
    /// Matched by an ignore rule.
    Ignored,
    /// Tracked, but differs from the last commit; the text says how ("modified", "added", ...).
    Uncommitted(String),
}

/// How version control transforms one file's bytes between disk and the repository, without vigil
/// reproducing it (git's attributes and `core.autocrlf`, see [`git_attr`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// What asks for it, as written: "`text`", "`eol=crlf`", "`ident`", "core.autocrlf=true", ...
    pub causes: Vec<String>,
    /// The settings that turn it off, such as `-text` in `.gitattributes`.
    pub fix: Vec<&'static str>,
}

impl Transform {
    /// What transforms it, for reports: ".gitattributes `text`, `eol=crlf`" or "core.autocrlf=true".
    pub fn what(&self) -> String {
        self.causes.join(", ")
    }

    /// A sentence for a finding: what transforms the file, what that means, and how to stop it.
    pub fn note(&self) -> String {
        format!(
            "git transforms this file's bytes between disk and the repository ({}), so the file on \
             disk and its blob in the index or a commit can differ and hash differently; this may be \
             the transformation rather than an edit. Configuration that must be byte-exact should not \
             be transformed: mark it `{}` in .gitattributes, `git add --renormalize` it, and approve again",
            self.what(),
            self.fix.join(" ")
        )
    }
}

/// How version control stores a file whose working-copy bytes it translates (Subversion's
/// `svn:keywords` and `svn:eol-style`, see [`svn::subst`]): the bytes as the repository holds them.
pub trait RepositoryForm {
    /// The repository's bytes for working-copy `bytes`.
    fn to_repository_form(&self, bytes: &[u8]) -> Vec<u8>;
    /// A sentence for a finding: which translation applies.
    fn note(&self) -> String;
}

/// The bytes on disk compared with the committed ones ([`Vcs::compare_committed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// The backend cannot tell.
    Unknown,
    /// The path is not in the working copy's revision (or there is no commit yet).
    Absent,
    /// Byte for byte the committed content.
    Same,
    /// The bytes differ from the committed content.
    Differs,
    /// The file could not be read again to compare it; the text says why.
    Unreadable(String),
}

/// The revision a run looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// `git`, `svn` or `none`.
    pub vcs: String,
    /// The commit id or revision number; `None` before the first commit.
    pub id: Option<String>,
}

/// Where a revision recorded in a manifest stands relative to the working copy's revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lineage {
    /// In the checked history: for git the HEAD commit or one of its ancestors; for Subversion a
    /// revision not newer than the working copy's.
    InHistory,
    /// Outside it, or impossible to tell; the text says which and why.
    Outside(String),
}

/// What [`Vcs::approved_content`] looks for: one component of one approval.
#[derive(Debug, Clone, Copy)]
pub struct ApprovedQuery<'a> {
    /// The manifest that approved the component.
    pub manifest: &'a WsPath,
    /// The revision the manifest records, when it records one.
    pub recorded: Option<&'a str>,
    /// The component.
    pub path: &'a WsPath,
    /// The component's approved BLAKE3, in hex.
    pub blake3: &'a str,
}

/// A version-control backend for one workspace.
pub trait Vcs {
    /// `git`, `svn` or `none`.
    fn name(&self) -> &'static str;
    /// Which repository or working copy was used, for reports.
    fn describe(&self) -> String;
    /// The revision the working copy is at.
    fn revision(&self) -> Revision;
    /// The status of every path, in one query.
    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError>;
    /// Who the user is, as the version control knows them (`Name <email>` for git).
    fn user(&self) -> Option<String> {
        None
    }
    /// How version control changes this component's bytes between the working copy and the repository
    /// (`svn:keywords`, `svn:eol-style`), when it does; the component is then hashed in its repository form.
    /// Known only for paths already passed to [`Vcs::status`].
    fn repository_form(&self, _path: &WsPath) -> Option<Box<dyn RepositoryForm>> {
        None
    }
    /// How version control may transform this component's bytes between disk and the repository
    /// without vigil reproducing it (git's `core.autocrlf` and `.gitattributes` `text`, `eol`, `ident`,
    /// `filter`, `working-tree-encoding`): the working tree and a snapshot can then hash differently,
    /// and reports say so. Cheap: answered per path, in process.
    fn transform(&self, _path: &WsPath) -> Option<Transform> {
        None
    }
    /// Finds approved content in history: the bytes of the query's path whose BLAKE3 is the approved
    /// one, looking at the revision the manifest records and the revision that last changed the manifest.
    fn approved_content(&self, _query: &ApprovedQuery) -> Result<Option<Vec<u8>>, VcsError> {
        Ok(None)
    }
    /// The rule that ignores `path`, as `source:line:pattern` (the form of `git check-ignore -v`),
    /// when version control can tell. Known only for paths [`Vcs::status`] found ignored.
    fn ignore_rule(&self, _path: &WsPath) -> Option<String> {
        None
    }
    /// Why a committed `path` is absent from the working copy on purpose (git's sparse checkout), when
    /// it is: such a component is missing, not an uncommitted deletion. Known only for paths already
    /// passed to [`Vcs::status`].
    fn absent_reason(&self, _path: &WsPath) -> Option<String> {
        None
    }
    /// How the bytes of `path` on disk stand against the bytes of `path` in the revision the working
    /// copy is at, compared in the repository's own object form and read from the repository itself
    /// (never from index flags, local filters or stat data). The release gate and `approve` use it to
    /// find edits that version control's status does not show. One answer per path, in order.
    fn compare_committed(&self, paths: &[WsPath]) -> Result<Vec<Committed>, VcsError> {
        Ok(vec![Committed::Unknown; paths.len()])
    }
    /// Who made the last change to any of `paths` (`author-may-not-approve`): in git the committer
    /// of the newest commit, in the checked commit's first-parent history, whose tree changes one of
    /// them; in Subversion the author of the newest revision, up to the working copy's, that changed
    /// one. `None` when the backend cannot tell or no such change exists.
    fn last_author(&self, _paths: &[WsPath]) -> Result<Option<Author>, VcsError> {
        Ok(None)
    }
    /// The commit (git) or revision (Subversion) that landed the manifest at `manifest` as it is
    /// committed now: the approval's own commit. The manifest records the revision it was *made on*,
    /// which is the parent of that commit; a change ticket names the commit that carries the approval.
    /// `None` when the manifest is not committed or the backend cannot tell; `manifest` was passed to
    /// [`Vcs::status`] before.
    fn landed(&self, _manifest: &WsPath) -> Result<Option<String>, VcsError> {
        Ok(None)
    }
    /// Whether `recorded`, the revision the manifest at `manifest` says it was approved on, is in the
    /// history of the working copy's revision. The release gate fails unless it is. Backends that know
    /// per-file revisions (a mixed-revision Subversion working copy) anchor on the manifest's own
    /// revision; `manifest` was passed to [`Vcs::status`] before.
    ///
    /// The default answers `Outside`: a backend that cannot prove the lineage must not pass the gate.
    fn lineage(&self, _manifest: &WsPath, recorded: &str) -> Result<Lineage, VcsError> {
        Ok(Lineage::Outside(format!(
            "{} cannot tell whether revision {recorded} is in the working copy's history",
            self.describe()
        )))
    }
}

/// The author of a change, as [`Vcs::last_author`] finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// What a signer's principal is compared with, case-insensitively: the committer's email in
    /// git, the author's user name in Subversion.
    pub identity: String,
    /// The change, for messages: `git 0123456789ab`, `svn r4`.
    pub change: String,
}

/// A version-control query failed.
#[derive(Debug, thiserror::Error)]
pub enum VcsError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{0}")]
    Other(String),
}

/// The workspace is in no repository: every component is untracked, and the hint says why.
pub struct NoVcs {
    pub root: PathBuf,
}

impl Vcs for NoVcs {
    fn name(&self) -> &'static str {
        "none"
    }
    fn describe(&self) -> String {
        format!(
            "no version control (searched upward from {})",
            self.root.display()
        )
    }
    fn revision(&self) -> Revision {
        Revision {
            vcs: "none".into(),
            id: None,
        }
    }
    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        let hint = format!(
            "the workspace {} is in no git repository or Subversion working copy",
            self.root.display()
        );
        Ok(paths
            .iter()
            .map(|p| (p.clone(), Status::Untracked(Some(hint.clone()))))
            .collect())
    }
}

/// Which kind of working copy holds a folder: the nearest `.git` or `.svn` walking upward wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    Git(PathBuf),
    Svn(PathBuf),
    None,
}

/// Finds the nearest enclosing working copy of `dir`.
pub fn detect(dir: &Path) -> Detected {
    let mut d = Some(dir);
    while let Some(cur) = d {
        if cur.join(".git").exists() {
            return Detected::Git(cur.to_path_buf());
        }
        if cur.join(".svn").is_dir() {
            return Detected::Svn(cur.to_path_buf());
        }
        d = cur.parent();
    }
    Detected::None
}

/// Opens the backend for a workspace root.
pub fn open(ws_root: &Path) -> Result<Box<dyn Vcs>, VcsError> {
    match detect(ws_root) {
        Detected::Git(_) => Ok(Box::new(git::GitWorkTree::open(ws_root)?)),
        Detected::Svn(wc) => Ok(Box::new(svn::SvnWorkingCopy::open(ws_root, &wc)?)),
        Detected::None => Ok(Box::new(NoVcs {
            root: ws_root.to_path_buf(),
        })),
    }
}
