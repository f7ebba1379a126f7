//! The git pre-receive hook's decisions: which commits of a ref update to check, refusing a push that
//! removes `vigil.toml`, and the check of each commit. Like [`crate::svn_hook`] it returns a verdict
//! and the lines to show the pusher; the binary prints them.
//!
//! Only each ref's new tip is checked, by default: a ref can only ever point at a tip, so checking
//! tips guarantees that no branch or tag on the server is ever in a failing state, and a history in
//! which one commit changes a component and the next approves it (the two-step workflow, or a fix-up
//! pushed together with its mistake) is accepted as a whole. `every_commit` checks each commit the
//! push adds instead, for teams that want every commit self-consistent (bisectable, auditable one
//! commit at a time); commits whose workspace folder is identical to one already checked are skipped.
//!
//! A commit is not checked in full when it changes nothing a profile can depend on since a commit
//! this hook already accepted: the ref's old tip (for a tip), or the commit's first parent when it is
//! the tip of a ref on the server or passed earlier in the push (with `every_commit`; a commit in the
//! middle of an earlier push may never have been checked on its own). The changes between the
//! two trees of the workspace folder are judged by the pre-commit hook's rule
//! ([`crate::staged::cannot_affect`]: files modified in place, away from every component, approval
//! and trust file), with the configuration and manifests of the pushed commit, never the old one's;
//! a change of `vigil.toml`, the manifest folder or the allowed signers, and any file added,
//! deleted, renamed or retyped, is checked in full. So is the tip of a new ref (it has no old tip
//! to compare with; with `every_commit` its commits are compared with their parents as any), a
//! root commit, and a commit whose configuration goes below the server policy
//! (which is then rejected). The pusher is told in one line.
//!
//! What this trusts: that the commit compared with passed this hook, as it is installed now (same
//! workspace, same policy). A ref pushed before the hook was installed, or before the policy (or
//! the server's allowed-signers file it names) was made stricter, may hold a failing tip that an
//! unrelated push keeps; and a requirement that took effect since the tip was accepted
//! (`violation`, `unreviewed`), or an allowed signer whose validity ended since, is not judged
//! again by a push that does not touch the profile. The verdict follows the bytes of the trees: a
//! rewritten history that changes who last changed a component (`author-may-not-approve`) without
//! changing its bytes keeps the accepted verdict too. The nightly check and the release gate never
//! take this path, and catch all of these.

use crate::config::Mode;
use crate::snapshot;
use crate::Error;
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// One line of pre-receive input: `OLD NEW REF`.
#[derive(Debug, Clone)]
pub struct RefUpdate {
    old: Oid,
    new: Oid,
    /// The ref's name.
    pub name: String,
}

impl RefUpdate {
    /// Parses an `OLD NEW REF` line; `None` when it is not one.
    pub fn parse(line: &str) -> Option<RefUpdate> {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [old, new, name] => Some(RefUpdate {
                old: Oid::from_str(old).ok()?,
                new: Oid::from_str(new).ok()?,
                name: name.to_string(),
            }),
            _ => None,
        }
    }
}

/// The repository a pre-receive hook runs in.
pub struct Server {
    repo: Repository,
    /// The workspace folder, as a repository path (empty: the top).
    prefix: Vec<u8>,
    every_commit: bool,
    policy: Option<crate::policy::Policy>,
}

impl Server {
    /// Opens the repository at or above `cwd` (or `GIT_DIR`).
    pub fn open(
        cwd: &std::path::Path,
        prefix: Vec<u8>,
        every_commit: bool,
    ) -> Result<Server, Error> {
        Ok(Server {
            repo: snapshot::open_repo(cwd)?,
            prefix,
            every_commit,
            policy: None,
        })
    }

    /// Pins the server's own policy (`--policy FILE`): every pushed `vigil.toml` is raised to it, and
    /// a push whose `vigil.toml` goes below it is rejected.
    pub fn with_policy(mut self, policy: Option<crate::policy::Policy>) -> Server {
        self.policy = policy;
        self
    }

    /// Checks one ref update: `Ok(true)` accepts it, `Ok(false)` rejects it. Each line for the pusher
    /// goes to `say` as it is known.
    pub fn check(&self, u: &RefUpdate, say: &mut dyn FnMut(String)) -> Result<bool, Error> {
        let git = |e: git2::Error| Error::git("", e);
        if u.new.is_zero() {
            say(format!("vigil: {}: deleted; nothing to check", u.name));
            return Ok(true);
        }
        // An object that cannot be found is an error (a push is never accepted unchecked); one that
        // is not a commit (a tag of a tree or blob) has no profiles to check.
        let object = self.repo.find_object(u.new, None).map_err(git)?;
        let Ok(tip) = object.peel_to_commit() else {
            say(format!(
                "vigil: {} {}: not a commit; nothing to check",
                u.name,
                short(u.new)
            ));
            return Ok(true);
        };
        if let Some(message) = self.removes_config(u, &tip) {
            say(message);
            return Ok(false);
        }
        let commits = if self.every_commit {
            new_commits(&self.repo, u.new).map_err(git)?
        } else {
            vec![u.new]
        };
        // What the hook has accepted: every ref's tip (checked whichever way the hook ran), and the
        // commits of this push that pass.
        let mut passed = if self.every_commit {
            ref_tips(&self.repo).map_err(git)?
        } else {
            HashSet::new()
        };
        let mut seen_trees = HashMap::new();
        let mut ok = true;
        for id in commits {
            let commit = self.repo.find_commit(id).map_err(git)?;
            // The check reads only the workspace folder: an identical folder gives an identical
            // verdict.
            let tree = self.workspace_tree(&commit)?;
            if let Some(&good) = tree.and_then(|t| seen_trees.get(&t)) {
                if good {
                    passed.insert(id);
                }
                continue;
            }
            let base = self.accepted_base(u, &commit, &passed);
            let good = self.check_commit(u, &commit, base.as_ref(), say)?;
            if good {
                passed.insert(id);
            }
            if let Some(t) = tree {
                seen_trees.insert(t, good);
            }
            ok &= good;
        }
        Ok(ok)
    }

    /// The commit `commit` may be compared with instead of being checked in full: one this hook
    /// accepted. For a tip, the ref's old tip; for each commit of `--every-commit`, its first parent
    /// when that is in `passed` (the tip of a ref on the server, or a commit of this push that
    /// passed). `None` for a new ref, a root commit, or any other parent (one that failed, or one
    /// the hook never checked on its own): those are checked in full.
    fn accepted_base(
        &self,
        u: &RefUpdate,
        commit: &git2::Commit,
        passed: &HashSet<Oid>,
    ) -> Option<git2::Commit<'_>> {
        let base = if self.every_commit {
            let parent = commit.parent_id(0).ok()?;
            passed.contains(&parent).then_some(parent)?
        } else {
            Some(u.old).filter(|o| !o.is_zero())?
        };
        self.repo
            .find_object(base, None)
            .ok()?
            .peel_to_commit()
            .ok()
    }

    /// Whether `commit` certainly passes because `base` did: every change between their workspace
    /// folders is one that [`crate::staged::cannot_affect`] clears, judged with the configuration
    /// and manifests of `commit`, and that configuration meets the server policy.
    fn untouched(&self, base: &git2::Commit, commit: &git2::Commit) -> bool {
        let folder = |c: &git2::Commit| {
            let id = self.workspace_tree(c).ok()??;
            self.repo.find_tree(id).ok()
        };
        let (Some(old), Some(new)) = (folder(base), folder(commit)) else {
            return false;
        };
        let Some(changes) = crate::staged::tree_changes(&self.repo, &old, &new) else {
            return false;
        };
        if !changes.iter().all(crate::staged::PathChange::in_place) {
            return false;
        }
        let snap = snapshot::Snap::Commit(commit.clone());
        let label = snapshot::config_label(&self.repo, &snap, &self.prefix);
        let Ok(Some(mut config)) = snapshot::load_config(&self.repo, &snap, &self.prefix, &label)
        else {
            return false;
        };
        // What the policy demands of the configuration is judged on every push: one that goes below
        // it is rejected by the full check, whatever the change.
        if let Some(p) = &self.policy {
            if !p.apply(&mut config).is_empty() {
                return false;
            }
        }
        let Ok(Some(source)) = crate::source::GitTree::new(&self.repo, commit, &self.prefix) else {
            return false;
        };
        crate::staged::cannot_affect(&changes, &config, &source)
    }

    fn config_path(&self) -> Vec<u8> {
        snapshot::join(&self.prefix, crate::config::CONFIG_FILE.as_bytes())
    }

    /// Removing vigil.toml would switch the control off for everything after it: the message that
    /// refuses such a push.
    fn removes_config(&self, u: &RefUpdate, tip: &git2::Commit) -> Option<String> {
        let config_path = self.config_path();
        let has_config = |c: &git2::Commit| {
            snapshot::Snap::Commit(c.clone())
                .blob(&config_path)
                .is_some()
        };
        if u.old.is_zero() || has_config(tip) {
            return None;
        }
        let old = self.repo.find_commit(u.old).ok()?;
        has_config(&old).then(|| {
            format!(
                "vigil: {} {}: rejected: the push removes {}, which {} has",
                u.name,
                short(u.new),
                String::from_utf8_lossy(&config_path),
                short(u.old)
            )
        })
    }

    /// The tree of the workspace folder in `commit`, when it has one.
    fn workspace_tree(&self, commit: &git2::Commit) -> Result<Option<Oid>, Error> {
        let tree = commit.tree().map_err(|e| Error::git("", e))?;
        Ok(if self.prefix.is_empty() {
            Some(tree.id())
        } else {
            tree.get_path(std::path::Path::new(OsStr::from_bytes(&self.prefix)))
                .ok()
                .map(|e| e.id())
        })
    }

    /// The hook-mode check of one commit, or none when it changes nothing a profile can depend on
    /// since `base`, a commit already accepted; `Ok(false)` when it fails.
    fn check_commit(
        &self,
        u: &RefUpdate,
        commit: &git2::Commit,
        base: Option<&git2::Commit>,
        say: &mut dyn FnMut(String),
    ) -> Result<bool, Error> {
        let id = commit.id();
        if let Some(base) = base.filter(|b| self.untouched(b, commit)) {
            say(format!(
                "vigil: {} {}: no change since {} touches a profile; nothing to check",
                u.name,
                short(id),
                short(base.id())
            ));
            return Ok(true);
        }
        let (checked, relaxed) = self.run_check(u, commit)?;
        if self.policy_rejects(u, id, checked.is_none(), relaxed, say) {
            return Ok(false);
        }
        let Some((report, signers)) = checked else {
            if id == u.new {
                say(format!(
                    "vigil: {} {}: no {}; nothing to check",
                    u.name,
                    short(id),
                    String::from_utf8_lossy(&self.config_path())
                ));
            }
            return Ok(true);
        };
        Ok(tell(u, id, &report?, &signers?, say))
    }

    /// The check of the commit's profiles and of its allowed-signers change (`None` without a
    /// vigil.toml), with the server policy applied; and what the policy had to make stricter.
    fn run_check(
        &self,
        u: &RefUpdate,
        commit: &git2::Commit,
    ) -> Result<(Option<Checked>, Vec<crate::policy::Relaxation>), Error> {
        let mut relaxed = Vec::new();
        let adjust = |c: &mut crate::config::Config| {
            if let Some(p) = &self.policy {
                relaxed = p.apply(c);
            }
        };
        let previous = self.previous(u);
        let checked = snapshot::with_commit_adjusted(
            &self.repo,
            commit,
            &self.prefix,
            Mode::Hook,
            adjust,
            |cx| {
                let report = crate::check::run(cx, &[], &mut |_| {});
                let signers = match &previous {
                    Some(old) => self.judge_signers(old, cx),
                    None => Ok(Vec::new()),
                };
                (report, signers)
            },
        )?;
        Ok((checked, relaxed))
    }

    /// True (and the reasons said) when the server policy rejects the commit: the repository's
    /// configuration relaxed what the policy pins, or is missing where the policy requires one.
    fn policy_rejects(
        &self,
        u: &RefUpdate,
        id: Oid,
        no_config: bool,
        mut relaxed: Vec<crate::policy::Relaxation>,
        say: &mut dyn FnMut(String),
    ) -> bool {
        let Some(p) = &self.policy else {
            return false;
        };
        if no_config && (!p.profiles.is_empty() || p.required.is_some()) {
            relaxed.push(crate::policy::Relaxation(format!(
                "there is no {}, and the server policy requires profiles or signed approvals",
                String::from_utf8_lossy(&self.config_path())
            )));
        }
        if relaxed.is_empty() {
            return false;
        }
        say(format!("vigil: {} {}: rejected", u.name, short(id)));
        for line in crate::policy::rejection_lines(p, &relaxed) {
            say(format!("vigil:   {line}"));
        }
        true
    }

    /// The commit whose allowed signers are trusted so far: the ref's old tip, or for a new ref the
    /// repository's HEAD (the default branch), when there is one.
    fn previous(&self, u: &RefUpdate) -> Option<git2::Commit<'_>> {
        if !u.old.is_zero() {
            return self.repo.find_commit(u.old).ok();
        }
        self.repo.head().ok()?.peel_to_commit().ok()
    }

    /// The findings of a change of the allowed-signers file between `old` and the commit of `cx`.
    fn judge_signers(
        &self,
        old: &git2::Commit,
        cx: &crate::check::Context,
    ) -> Result<Vec<crate::finding::Finding>, Error> {
        let drafts = snapshot::with_commit(&self.repo, old, &self.prefix, Mode::Hook, |ocx| {
            crate::signature::signers::judge_sources(
                (ocx.config, ocx.source),
                (cx.config, cx.source),
                std::time::SystemTime::now(),
            )
        });
        // An old state without a readable configuration trusted nobody in particular.
        let drafts = match drafts {
            Ok(Some(d)) => d.map_err(Error::Config)?,
            Ok(None) | Err(_) => Vec::new(),
        };
        Ok(drafts
            .into_iter()
            .filter_map(|d| d.judge("allowed-signers", |c| cx.config.severity(Mode::Hook, c)))
            .collect())
    }
}

/// The check of one commit: the report, and the findings on its allowed-signers change.
type Checked = (
    Result<crate::check::Report, Error>,
    Result<Vec<crate::finding::Finding>, Error>,
);

/// Says the verdict on one commit and every finding; true when it passes.
fn tell(
    u: &RefUpdate,
    id: Oid,
    report: &crate::check::Report,
    signers: &[crate::finding::Finding],
    say: &mut dyn FnMut(String),
) -> bool {
    let signers_fail = signers
        .iter()
        .any(|f| f.severity == crate::finding::Severity::Error);
    let components: usize = report.profiles.iter().map(|p| p.components.len()).sum();
    say(if report.failed() || signers_fail {
        format!("vigil: {} {}: rejected", u.name, short(id))
    } else {
        format!(
            "vigil: {} {}: ok ({} profiles, {components} components)",
            u.name,
            short(id),
            report.profiles.len()
        )
    });
    for f in &report.findings {
        say(format!(
            "vigil:   {} profile {}: {} {}: {}",
            f.severity.as_str(),
            f.profile,
            f.code.as_str(),
            f.path,
            crate::path::escape_text(&f.message)
        ));
    }
    for f in signers {
        say(format!(
            "vigil:   {} the allowed-signers change: {} {}: {} (sign it with `vigil sign --allowed-signers`)",
            f.severity.as_str(),
            f.code.as_str(),
            f.path,
            crate::path::escape_text(&f.message)
        ));
    }
    !report.failed() && !signers_fail
}

fn short(id: Oid) -> String {
    crate::finding::short(&id.to_string()).to_string()
}

/// The commit each ref on the server points at (refs are not updated until every pre-receive hook
/// accepts, so these are the tips accepted so far).
fn ref_tips(repo: &Repository) -> Result<HashSet<Oid>, git2::Error> {
    Ok(repo
        .references()?
        .flatten()
        .filter_map(|r| r.peel_to_commit().ok())
        .map(|c| c.id())
        .collect())
}

/// The commits reachable from `tip` that no ref on the server reaches yet (refs are not updated until
/// every pre-receive hook accepts), oldest first.
fn new_commits(repo: &Repository, tip: Oid) -> Result<Vec<Oid>, git2::Error> {
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
