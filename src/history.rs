//! The audit trail of a profile (`vigil log PROFILE`): every approval its manifest records in git
//! history, with when, who signed it (verified against the allowed signers of that commit), which
//! requirements it satisfied and which component paths changed since the approval before it. The
//! Subversion history is read by `history_svn`.

use crate::check::read_manifest;
use crate::config::{Config, Mode};
use crate::manifest::Manifest;
use crate::source::Source;
use crate::Error;
use git2::{Oid, Repository};
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

/// One approval found in history.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The version control that recorded it: `git` or `svn`.
    pub vcs: &'static str,
    /// The commit (git: its id) or revision (Subversion: `r123`) that wrote this version of the
    /// manifest.
    pub commit: String,
    /// The manifest as that commit has it.
    pub manifest: Manifest,
    /// Principals whose signatures verify and count, at the commit's time, against that commit's
    /// allowed signers (empty without `[signing]`).
    pub signers: Vec<String>,
    /// Signatures that did not verify or count, with why.
    pub rejected: Vec<String>,
    /// Requirement ids this approval stated (`--satisfies`, recorded with its time).
    pub satisfies: Vec<String>,
    /// Component paths added, changed or removed since the previous approval (all, for the first).
    pub changed: Vec<String>,
    /// The approval is the previous one's, with signatures added (a co-signature).
    pub cosigned: bool,
}

impl Entry {
    /// The commit as a report shows it: `git e58acfab5e03`, `svn r12`.
    pub fn revision(&self) -> String {
        match self.vcs {
            "git" => format!("git {}", &self.commit[..self.commit.len().min(12)]),
            vcs => format!("{vcs} {}", self.commit),
        }
    }
}

/// One version of a manifest read from history, with its signatures judged.
pub(crate) struct Approval {
    /// The commit id or revision that holds it.
    pub id: String,
    pub manifest: Manifest,
    pub signers: Vec<String>,
    pub rejected: Vec<String>,
}

/// The verified signers and the rejected signatures of an approval, at `at`, against the allowed
/// signers that `config` names in `source`.
pub(crate) fn signers_of(
    config: &Config,
    source: &dyn Source,
    manifest: &Manifest,
    at: SystemTime,
) -> (Vec<String>, Vec<String>) {
    let Some(s) = &config.signing else {
        return (Vec::new(), Vec::new());
    };
    match crate::signature::judge::load_trust(config, s, source) {
        Ok(trust) => {
            let q = crate::signature::evaluate(
                &crate::signature::canonical_message(manifest),
                &manifest.signatures,
                &trust,
                at,
                usize::MAX,
            );
            (
                q.approvers.iter().map(|v| v.principal.clone()).collect(),
                q.failures
                    .iter()
                    .map(|(i, f)| format!("{} ({f})", manifest.signatures[*i].principal))
                    .collect(),
            )
        }
        Err(e) => (Vec::new(), vec![format!("allowed signers unreadable: {e}")]),
    }
}

/// The entries of approvals found oldest first, each compared with the one before it; newest first.
pub(crate) fn entries(vcs: &'static str, found: Vec<Approval>) -> Vec<Entry> {
    let mut previous: Option<Manifest> = None;
    let mut out = Vec::with_capacity(found.len());
    for a in found {
        let satisfies: BTreeSet<String> = a
            .manifest
            .components
            .iter()
            .flat_map(|c| c.satisfies.iter())
            .filter(|r| r.at == a.manifest.approved_at)
            .map(|r| r.requirement.clone())
            .collect();
        let changed = changed_paths(previous.as_ref(), &a.manifest);
        let cosigned = previous.as_ref().is_some_and(|p| {
            crate::signature::canonical_message(p)
                == crate::signature::canonical_message(&a.manifest)
        });
        previous = Some(a.manifest.clone());
        out.push(Entry {
            vcs,
            commit: a.id,
            manifest: a.manifest,
            signers: a.signers,
            rejected: a.rejected,
            satisfies: satisfies.into_iter().collect(),
            changed,
            cosigned,
        });
    }
    out.reverse();
    out
}

/// The approvals of `profile` in the history of HEAD, newest first. `prefix` is the workspace folder
/// as a repository path.
pub fn log(repo: &Repository, prefix: &[u8], profile: &str) -> Result<Vec<Entry>, Error> {
    let git = |e: git2::Error| Error::git("history", e);
    let mut walk = repo.revwalk().map_err(git)?;
    walk.push_head().map_err(git)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
        .map_err(git)?;
    let mut ids: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(git)?;
    // Oldest first, so that each approval is compared with the one before it.
    ids.reverse();
    let mut found = Vec::new();
    let mut last_blob: Option<Oid> = None;
    for id in ids {
        let commit = repo.find_commit(id).map_err(git)?;
        let at =
            SystemTime::UNIX_EPOCH + Duration::from_secs(commit.time().seconds().max(0) as u64);
        let result = crate::snapshot::with_commit(repo, &commit, prefix, Mode::Nightly, |cx| {
            let Some(info) = read_manifest(cx.config, cx.source, profile)? else {
                return Ok::<_, Error>(None);
            };
            let blob = crate::snapshot::Snap::Commit(commit.clone())
                .blob(&crate::snapshot::join(prefix, info.path.as_bytes()));
            if blob.is_some() && blob == last_blob {
                return Ok(None);
            }
            last_blob = blob;
            let (signers, rejected) = signers_of(cx.config, cx.source, &info.manifest, at);
            Ok(Some(Approval {
                id: id.to_string(),
                manifest: info.manifest,
                signers,
                rejected,
            }))
        });
        // A commit whose configuration does not parse records no approval we can read.
        if let Ok(Some(Ok(Some(approval)))) = result {
            found.push(approval);
        }
    }
    Ok(entries("git", found))
}

/// Paths whose entry differs between two approvals, sorted.
fn changed_paths(old: Option<&Manifest>, new: &Manifest) -> Vec<String> {
    let mut out = BTreeSet::new();
    for c in &new.components {
        let before = old.and_then(|o| o.entry(&c.path));
        if before.is_none_or(|b| b.blake3 != c.blake3 || b.kind != c.kind) {
            out.insert(c.path.escaped());
        }
    }
    if let Some(o) = old {
        for c in &o.components {
            if new.entry(&c.path).is_none() {
                out.insert(c.path.escaped());
            }
        }
    }
    out.into_iter().collect()
}
