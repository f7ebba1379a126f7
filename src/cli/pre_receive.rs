//! `vigil pre-receive`: the git server hook. Reads `OLD NEW REF` lines on stdin and rejects the push
//! when a pushed tip fails the check of the profiles it carries.
//!
//! Only each ref's new tip is checked, by default: a ref can only ever point at a tip, so checking
//! tips guarantees that no branch or tag on the server is ever in a failing state, and a history in
//! which one commit changes a component and the next approves it (the two-step workflow, or a fix-up
//! pushed together with its mistake) is accepted as a whole. `--every-commit` checks each commit the
//! push adds instead, for teams that want every commit self-consistent (bisectable, auditable one
//! commit at a time); commits whose workspace folder is identical to one already checked are skipped.

use super::{ERROR, FINDINGS, OK};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::BufRead;
use std::os::unix::ffi::OsStrExt;
use vigil::config::Mode;
use vigil::snapshot;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder holding vigil.toml, as a path inside the repository (default: the top).
    #[arg(long, value_name = "PATH-IN-REPO")]
    workspace: Option<String>,

    /// Check every commit the push adds, not only each ref's new tip.
    #[arg(long)]
    every_commit: bool,
}

/// One line of pre-receive input.
struct Update {
    old: git2::Oid,
    new: git2::Oid,
    name: String,
}

pub fn run(a: Args) -> anyhow::Result<i32> {
    let prefix = match a.workspace.as_deref().map(snapshot::parse_workspace) {
        None => Vec::new(),
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("vigil: error: {e}");
            return Ok(ERROR);
        }
    };
    let mut updates = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let parsed = match parts.as_slice() {
            [old, new, name] => git2::Oid::from_str(old)
                .and_then(|o| git2::Oid::from_str(new).map(|n| (o, n)))
                .ok()
                .map(|(old, new)| Update {
                    old,
                    new,
                    name: name.to_string(),
                }),
            _ => None,
        };
        match parsed {
            Some(u) => updates.push(u),
            None => {
                eprintln!("vigil: error: expected `OLD NEW REF` on stdin, got `{line}`");
                return Ok(ERROR);
            }
        }
    }
    let cwd = std::env::current_dir()?;
    let repo = match snapshot::open_repo(&cwd) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vigil: error: {e}");
            return Ok(ERROR);
        }
    };
    let mut rejected = 0;
    let mut errors = 0;
    for u in &updates {
        match check_update(&repo, u, &prefix, a.every_commit) {
            Ok(true) => {}
            Ok(false) => rejected += 1,
            Err(e) => {
                eprintln!("vigil: error: {}: {e}", u.name);
                errors += 1;
            }
        }
    }
    if rejected + errors > 0 {
        eprintln!(
            "vigil: push rejected: {} of {} refs fail the profile checks (run `vigil check --rev COMMIT` \
             in a clone for the full report)",
            rejected + errors,
            updates.len()
        );
    }
    Ok(if errors > 0 {
        ERROR
    } else if rejected > 0 {
        FINDINGS
    } else {
        OK
    })
}

fn short(id: git2::Oid) -> String {
    id.to_string()[..12].to_string()
}

/// Checks one ref update; `Ok(false)` when it must be rejected (the reasons are printed).
fn check_update(
    repo: &git2::Repository,
    u: &Update,
    prefix: &[u8],
    every_commit: bool,
) -> Result<bool, vigil::Error> {
    let vcs = |e: git2::Error| vigil::Error::Vcs(e.message().to_string());
    if u.new.is_zero() {
        eprintln!("vigil: {}: deleted; nothing to check", u.name);
        return Ok(true);
    }
    // An object that cannot be found is an error (a push is never accepted unchecked); one that is
    // not a commit (a tag of a tree or blob) has no profiles to check.
    let object = repo.find_object(u.new, None).map_err(vcs)?;
    let tip = match object.peel_to_commit() {
        Ok(c) => c,
        Err(_) => {
            eprintln!(
                "vigil: {} {}: not a commit; nothing to check",
                u.name,
                short(u.new)
            );
            return Ok(true);
        }
    };
    let config_path = snapshot::join(prefix, vigil::config::CONFIG_FILE.as_bytes());
    let shown_config = String::from_utf8_lossy(&config_path).into_owned();
    let has_config = |c: &git2::Commit| {
        snapshot::Snap::Commit(c.clone())
            .blob(&config_path)
            .is_some()
    };

    // Removing vigil.toml would switch the control off for everything after it: say so and refuse.
    if !u.old.is_zero() && !has_config(&tip) {
        if let Ok(old) = repo.find_commit(u.old) {
            if has_config(&old) {
                eprintln!(
                    "vigil: {} {}: rejected: the push removes {shown_config}, which {} has",
                    u.name,
                    short(u.new),
                    short(u.old)
                );
                return Ok(false);
            }
        }
    }

    let commits = if every_commit {
        new_commits(repo, u.new).map_err(vcs)?
    } else {
        vec![u.new]
    };
    let mut seen_trees = HashSet::new();
    let mut ok = true;
    for id in commits {
        let commit = repo.find_commit(id).map_err(vcs)?;
        // The check reads only the workspace folder: an identical folder gives an identical verdict.
        let tree = commit.tree().map_err(vcs)?;
        let ws_tree = if prefix.is_empty() {
            Some(tree.id())
        } else {
            tree.get_path(std::path::Path::new(OsStr::from_bytes(prefix)))
                .ok()
                .map(|e| e.id())
        };
        if let Some(t) = ws_tree {
            if !seen_trees.insert(t) {
                continue;
            }
        }
        let report = snapshot::with_commit(repo, &commit, prefix, Mode::Hook, |cx| {
            vigil::check::run(cx, &[], &mut |_| {})
        })?;
        let Some(report) = report else {
            if id == u.new {
                eprintln!(
                    "vigil: {} {}: no {shown_config}; nothing to check",
                    u.name,
                    short(id)
                );
            }
            continue;
        };
        let report = report?;
        let components: usize = report.profiles.iter().map(|p| p.components.len()).sum();
        if report.failed() {
            ok = false;
            eprintln!("vigil: {} {}: rejected", u.name, short(id));
        } else {
            eprintln!(
                "vigil: {} {}: ok ({} profiles, {components} components)",
                u.name,
                short(id),
                report.profiles.len()
            );
        }
        for f in &report.findings {
            eprintln!(
                "vigil:   {} profile {}: {} {}: {}",
                f.severity.as_str(),
                f.profile,
                f.code.as_str(),
                f.path,
                f.message
            );
        }
    }
    Ok(ok)
}

/// The commits reachable from `tip` that no ref on the server reaches yet (refs are not updated until
/// every pre-receive hook accepts), oldest first.
fn new_commits(repo: &git2::Repository, tip: git2::Oid) -> Result<Vec<git2::Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    walk.push(tip)?;
    for r in repo.references()?.flatten() {
        if let Ok(c) = r.peel_to_commit() {
            walk.hide(c.id())?;
        }
    }
    walk.collect()
}
