//! `vigil check --staged` (the pre-commit hook) and `vigil check --rev REV`: the check over a git
//! snapshot instead of the working tree.

use super::check::{finish, Args};
use super::{usage, Exit, Globals, Outcome};
use std::path::Path;
use vigil::check::Context;
use vigil::config::Mode;
use vigil::report::Format;
use vigil::snapshot::{self, Snap};
use vigil::source::{GitIndex, WorkTree};
use vigil::vcs::git_index::GitStaged;

pub fn run(g: &Globals, a: &Args, mode: Mode) -> Outcome {
    let cwd = std::env::current_dir().map_err(vigil::Error::current_dir)?;
    // --config names the workspace folder on disk; the repository is found from there.
    let config_dir = g.config.as_ref().map(|c| {
        let c = cwd.join(c);
        if c.is_dir() {
            c
        } else {
            c.parent().map(Path::to_path_buf).unwrap_or(c)
        }
    });
    let start = config_dir.clone().unwrap_or_else(|| cwd.clone());
    let repo = snapshot::open_repo(&start)?;
    let snap = if a.staged {
        if repo.is_bare() {
            return Err(usage(
                "--staged needs a repository with a work tree; use --rev REV in a bare repository",
            ));
        }
        Snap::Index(repo.index().map_err(|e| vigil::Error::git("", e))?)
    } else {
        let rev = a.rev.as_deref().expect("--staged or --rev");
        let commit = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| vigil::Error::Usage(format!("--rev {rev}: {}", e.message())))?;
        Snap::Commit(commit)
    };

    let prefix = match &a.workspace {
        Some(w) => Some(snapshot::parse_workspace(w)?).filter(|p| {
            snap.blob(&snapshot::join(p, vigil::config::CONFIG_FILE.as_bytes()))
                .is_some()
        }),
        None => {
            let from = snapshot::repo_relative(&repo, &cwd, &start).unwrap_or_default();
            snapshot::find_workspace(&snap, &from)
        }
    };
    let Some(prefix) = prefix else {
        return no_config(a, &snap, &cwd, config_dir.as_deref());
    };

    match &snap {
        Snap::Commit(commit) => {
            let r = snapshot::with_commit(&repo, commit, &prefix, mode, |cx| finish(g, a, cx))?;
            r.expect("vigil.toml was found")
        }
        Snap::Index(index) => {
            let label = snapshot::config_label(&repo, &snap, &prefix);
            let config = snapshot::load_config(&repo, &snap, &prefix, &label)?
                .expect("vigil.toml was found");
            let root = snapshot::display_root(&repo, &prefix);
            let source = GitIndex::new(&repo, index, &prefix, Some(WorkTree::new(&root)));
            // A commit that changes nothing any profile uses cannot change any profile's verdict:
            // accept it without hashing. Machine-readable formats always get the full report.
            if a.format == Format::Human
                && !snapshot::index_affects(&repo, &source, &prefix, &config, Some(&root))
            {
                println!(
                    "vigil: index of {}: no staged change touches a profile; nothing to check",
                    root.display()
                );
                return Ok(Exit::Ok);
            }
            let vcs = GitStaged {
                repo: &repo,
                index: &source,
                prefix: prefix.clone(),
                autocrlf: vigil::vcs::git_attr::autocrlf(&repo),
                attrs: vigil::vcs::git_attr::AttrGate::new(&repo),
            };
            let cx = Context {
                config: &config,
                root: Some(&root),
                source: &source,
                vcs: &vcs,
                mode,
            };
            finish(g, a, &cx)
        }
    }
}

/// When the index holds a `vigil.toml` in a subfolder that the search (the current folder and above)
/// did not reach, says how to check it: a hook installed without `--workspace` would otherwise pass
/// every commit of that workspace unchecked.
fn staged_elsewhere_hint(snap: &Snap) {
    let Snap::Index(index) = snap else { return };
    let suffix = format!("/{}", vigil::config::CONFIG_FILE);
    let folders: Vec<String> = index
        .iter()
        .filter(|e| e.path.ends_with(suffix.as_bytes()))
        .map(|e| String::from_utf8_lossy(&e.path[..e.path.len() - suffix.len()]).into_owned())
        .take(4)
        .collect();
    if let Some(first) = folders.first() {
        eprintln!(
            "vigil: note: the index holds vigil.toml in {}; check it with `--workspace {first}`, or \
             install the hook with `vigil hook install --workspace {first}`",
            folders
                .iter()
                .map(|f| format!("{f}/"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// No `vigil.toml` in the snapshot. For a commit being made that is fine (nothing to check), unless
/// one sits on disk unstaged: then the profiles it declares are not under version control.
fn no_config(a: &Args, snap: &Snap, cwd: &Path, config_dir: Option<&Path>) -> Outcome {
    let what = match snap {
        Snap::Index(_) => "the index".to_string(),
        Snap::Commit(c) => format!("commit {}", &c.id().to_string()[..12]),
    };
    let where_ = a
        .workspace
        .as_deref()
        .unwrap_or("the current folder or above");
    match snap {
        Snap::Index(_) => {
            let on_disk = match (a.workspace.as_deref(), config_dir) {
                (Some(_), _) => None,
                (None, Some(d)) => Some(d.join(vigil::config::CONFIG_FILE)).filter(|p| p.is_file()),
                (None, None) => vigil::config::discover(cwd),
            };
            match on_disk {
                Some(p) => {
                    eprintln!(
                        "vigil: {} is on disk but not staged: the profiles it declares are not under \
                         version control (`git add` it)",
                        p.display()
                    );
                    Ok(Exit::Findings)
                }
                None => {
                    eprintln!("vigil: no vigil.toml in {what} ({where_}); nothing to check");
                    if a.workspace.is_none() {
                        staged_elsewhere_hint(snap);
                    }
                    Ok(Exit::Ok)
                }
            }
        }
        Snap::Commit(_) => Err(usage(format!("no vigil.toml in {what} ({where_})"))),
    }
}
