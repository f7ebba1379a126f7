//! The check of a git snapshot: `vigil check --staged` (the pre-commit hook) and `vigil check --rev
//! REV`. It decides what to check (the index or a commit, which workspace folder in it, whether a
//! staged change touches any profile) and runs the check; like [`crate::svn_hook`] it returns a
//! verdict, and the binary prints it.

use crate::check::{self, Context, Progress, Report};
use crate::config::{Mode, CONFIG_FILE};
use crate::snapshot::{self, Snap};
use crate::source::{GitIndex, WorkTree};
use crate::vcs::git_index::GitStaged;
use crate::Error;
use std::path::{Path, PathBuf};

/// What to check and how.
pub struct Request<'a> {
    /// The current folder.
    pub cwd: &'a Path,
    /// `--config`: the workspace folder (or its vigil.toml) on disk; the repository is found from there.
    pub config: Option<&'a Path>,
    /// The index (`--staged`) or a revision (`--rev`).
    pub rev: Option<&'a str>,
    /// `--workspace`: the workspace folder as a repository path.
    pub workspace: Option<&'a str>,
    pub profiles: &'a [String],
    pub mode: Mode,
    /// Accept a staged change that touches no profile without checking (human output only: a
    /// machine-readable format always gets the full report).
    pub skip_untouched: bool,
    /// `--sample`: also issue and lint each declared sample, from the snapshot's own bytes.
    pub sample: bool,
}

/// What the snapshot check found.
pub enum Verdict {
    /// The snapshot was checked.
    Checked(Report),
    /// No staged change touches a profile of the workspace at `root`: nothing to check.
    Untouched { root: PathBuf },
    /// The index holds no `vigil.toml`, but one sits on disk unstaged: the profiles it declares are
    /// not under version control.
    Unstaged { config: PathBuf },
    /// The index holds no `vigil.toml` (`where_` says where it was looked for); `elsewhere` lists up
    /// to four folders of the index that do hold one.
    NoConfig {
        where_: String,
        elsewhere: Vec<String>,
    },
    /// No `vigil.toml` at or above the current folder, but the index holds exactly one, in the
    /// folder `workspace`: that workspace was checked (a hook installed at the top of the repository
    /// checks the one workspace it holds). `inner` is [`Verdict::Checked`] or [`Verdict::Untouched`].
    Found {
        workspace: String,
        inner: Box<Verdict>,
    },
}

/// Checks the index or a commit.
pub fn check_snapshot(r: &Request, progress: &mut dyn FnMut(Progress)) -> Result<Verdict, Error> {
    let config_dir = r.config.map(|c| {
        let c = r.cwd.join(c);
        if c.is_dir() {
            c
        } else {
            c.parent().map(Path::to_path_buf).unwrap_or(c)
        }
    });
    let start = config_dir.clone().unwrap_or_else(|| r.cwd.to_path_buf());
    let repo = snapshot::open_repo(&start)?;
    if r.rev.is_none() && r.skip_untouched {
        if let Some(root) = untouched_from_head(r, &repo, &start) {
            return Ok(Verdict::Untouched { root });
        }
    }
    let snap = open_snapshot(&repo, r.rev)?;
    let prefix = match r.workspace {
        Some(w) => Some(snapshot::parse_workspace(w)?).filter(|p| {
            snap.blob(&snapshot::join(p, CONFIG_FILE.as_bytes()))
                .is_some()
        }),
        None => {
            let from = snapshot::repo_relative(&repo, r.cwd, &start).unwrap_or_default();
            snapshot::find_workspace(&snap, &from)
        }
    };
    let Some(prefix) = prefix else {
        let verdict = no_config(r, &snap, config_dir.as_deref())?;
        if let (Verdict::NoConfig { .. }, Snap::Index(index), None) = (&verdict, &snap, r.workspace)
        {
            if let [one] = index_workspaces(index).as_slice() {
                let inner = check_index(r, &repo, &snap, index, one, progress)?;
                return Ok(Verdict::Found {
                    workspace: String::from_utf8_lossy(one).into_owned(),
                    inner: Box::new(inner),
                });
            }
        }
        return Ok(verdict);
    };
    match &snap {
        Snap::Commit(commit) => {
            let report = snapshot::with_commit(&repo, commit, &prefix, r.mode, |cx| {
                let mut report = check::run(cx, r.profiles, progress)?;
                if r.sample {
                    crate::samples::add_to_check(cx, &mut report, r.profiles)?;
                }
                Ok::<_, Error>(report)
            })?;
            Ok(Verdict::Checked(report.expect("vigil.toml was found")?))
        }
        Snap::Index(index) => check_index(r, &repo, &snap, index, &prefix, progress),
    }
}

/// The pre-commit hook's first answer, before the index is loaded: `Some(root)` of the workspace when
/// the commit being made edits files in place only (git's own list of the staged changes over the
/// whole repository) and none of them can affect a profile. Then the index holds exactly HEAD's
/// paths, and vigil.toml, the manifests and the allowed signers are unchanged (a change of any of
/// them is never accepted here), so the workspace, configuration and manifests are read from HEAD's
/// trees, not from the index. `None` is doubt: the caller loads the index and decides in full.
fn untouched_from_head(r: &Request, repo: &git2::Repository, start: &Path) -> Option<PathBuf> {
    if repo.is_bare() {
        return None;
    }
    let git_dir = repo.path().to_path_buf();
    std::thread::scope(|scope| {
        // git lists the staged changes while HEAD's approvals are read and parsed.
        let staged = scope.spawn(|| crate::staged::git_staged_changes(&git_dir));
        let head = repo.head().ok()?.peel_to_commit().ok()?;
        let snap = Snap::Commit(head.clone());
        let prefix = match r.workspace {
            Some(w) => Some(snapshot::parse_workspace(w).ok()?).filter(|p| {
                snap.blob(&snapshot::join(p, CONFIG_FILE.as_bytes()))
                    .is_some()
            }),
            None => {
                let from = snapshot::repo_relative(repo, r.cwd, start).unwrap_or_default();
                snapshot::find_workspace(&snap, &from)
            }
        }?;
        let untouched = snapshot::with_commit(repo, &head, &prefix, r.mode, |cx| {
            let approved = crate::staged::approvals(cx.config, cx.source);
            let changes = staged.join().ok()??;
            if !changes.iter().all(crate::staged::PathChange::in_place) {
                return None;
            }
            let changes = crate::staged::inside(changes, &prefix);
            Some(crate::staged::cannot_affect_with(
                &changes,
                cx.config,
                || approved,
            ))
        })
        .ok()???;
        untouched.then(|| snapshot::display_root(repo, &prefix))
    })
}

/// The index (`rev` is `None`) or the commit `rev` names.
fn open_snapshot<'r>(repo: &'r git2::Repository, rev: Option<&str>) -> Result<Snap<'r>, Error> {
    let Some(rev) = rev else {
        if repo.is_bare() {
            return Err(Error::Usage(
                "--staged needs a repository with a work tree; use --rev REV in a bare repository"
                    .into(),
            ));
        }
        return Ok(Snap::Index(repo.index().map_err(|e| Error::git("", e))?));
    };
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| Error::Usage(format!("--rev {rev}: {}", e.message())))?;
    Ok(Snap::Commit(commit))
}

/// The check of the staged content of the workspace at `prefix`.
fn check_index(
    r: &Request,
    repo: &git2::Repository,
    snap: &Snap,
    index: &git2::Index,
    prefix: &[u8],
    progress: &mut dyn FnMut(Progress),
) -> Result<Verdict, Error> {
    let label = snapshot::config_label(repo, snap, prefix);
    let config = snapshot::load_config(repo, snap, prefix, &label)?.expect("vigil.toml was found");
    let root = snapshot::display_root(repo, prefix);
    let source = GitIndex::new(repo, index, prefix, Some(WorkTree::new(&root)));
    // A commit that changes nothing any profile uses cannot change any profile's verdict: accept it
    // without hashing. First from the staged changes alone (files modified in place, away from every
    // profile), then, in doubt, from what the inventory of the index looks at.
    if r.skip_untouched
        && (crate::staged::index_changes(repo, index, prefix)
            .is_some_and(|c| crate::staged::cannot_affect(&c, &config, &source))
            || !snapshot::index_affects(repo, &source, prefix, &config, Some(&root)))
    {
        return Ok(Verdict::Untouched { root });
    }
    let vcs = GitStaged {
        repo,
        index: &source,
        prefix: prefix.to_vec(),
        autocrlf: crate::vcs::git_attr::autocrlf(repo),
        attrs: crate::vcs::git_attr::AttrGate::new(repo),
    };
    let cx = Context {
        config: &config,
        root: Some(&root),
        source: &source,
        vcs: &vcs,
        mode: r.mode,
    };
    let mut report = check::run(&cx, r.profiles, progress)?;
    if r.sample {
        crate::samples::add_to_check(&cx, &mut report, r.profiles)?;
    }
    Ok(Verdict::Checked(report))
}

/// No `vigil.toml` in the snapshot. For a commit being made that is fine (nothing to check), unless
/// one sits on disk unstaged; for a given commit it is an error.
fn no_config(r: &Request, snap: &Snap, config_dir: Option<&Path>) -> Result<Verdict, Error> {
    let where_ = r
        .workspace
        .unwrap_or("the current folder or above")
        .to_string();
    let Snap::Index(index) = snap else {
        let Snap::Commit(c) = snap else {
            unreachable!()
        };
        let id = c.id().to_string();
        return Err(Error::Usage(format!(
            "no vigil.toml in commit {} ({where_})",
            &id[..12]
        )));
    };
    let on_disk = match (r.workspace, config_dir) {
        (Some(_), _) => None,
        (None, Some(d)) => Some(d.join(CONFIG_FILE)).filter(|p| p.is_file()),
        (None, None) => crate::config::discover(r.cwd),
    };
    if let Some(config) = on_disk {
        return Ok(Verdict::Unstaged { config });
    }
    // A hook installed without `--workspace` would otherwise pass every commit of a workspace in a
    // subfolder unchecked: name the folders that hold one.
    let elsewhere = if r.workspace.is_some() {
        Vec::new()
    } else {
        index_workspaces(index)
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .take(4)
            .collect()
    };
    Ok(Verdict::NoConfig { where_, elsewhere })
}

/// The folders of the index that hold a vigil.toml below the top, as repository paths.
pub(crate) fn index_workspaces(index: &git2::Index) -> Vec<Vec<u8>> {
    let suffix = format!("/{CONFIG_FILE}");
    let mut found: Vec<Vec<u8>> = index
        .iter()
        .filter(|e| e.path.ends_with(suffix.as_bytes()))
        .map(|e| e.path[..e.path.len() - suffix.len()].to_vec())
        .collect();
    found.sort();
    found.dedup();
    found
}
