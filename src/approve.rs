//! `vigil approve`: records a profile's components, as they are now, in its manifest.
//!
//! What is not under version control cannot be approved: an untracked, ignored, missing, outside-root or
//! unreadable component refuses the whole approval, whatever severities the configuration sets.

use crate::approved_at::approval_time;
use crate::check::{self, Context, ProfileResult, Progress};
use crate::config::Mode;
use crate::finding::{Code, Draft, Finding, Severity};
use crate::manifest::{self, EntryKind, Manifest, ManifestEntry, ManifestRevision};
use crate::path::escape_bytes;
use crate::source::{Kind, WorkTree};
use crate::vcs::{Status, Vcs};
use crate::workspace::Workspace;
use crate::Error;
use std::path::PathBuf;

/// Codes that make an approval impossible.
pub const BLOCKING: [Code; 5] = [
    Code::Untracked,
    Code::Ignored,
    Code::Missing,
    Code::OutsideRoot,
    Code::Unreadable,
];

/// What `approve` did for one profile.
#[derive(Debug, Clone)]
pub struct Approved {
    pub profile: String,
    /// The manifest file.
    pub file: PathBuf,
    pub manifest: Manifest,
    /// False when the components were identical to the existing manifest, so nothing was written.
    pub written: bool,
    /// Components whose bytes git transforms between disk and the repository (line endings, `ident`,
    /// filters): approved as they are on disk, they may look stale to a hook that reads the blob.
    pub transformed: Vec<(crate::path::WsPath, String)>,
}

/// The result of an approval.
#[derive(Debug, Clone)]
pub enum Outcome {
    Approved(Vec<Approved>),
    /// Nothing was written; these findings block it.
    Refused(Vec<Finding>),
}

/// Who approves, by default.
pub fn default_approver(vcs: &dyn Vcs) -> Option<String> {
    vcs.user().or_else(|| {
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
    })
}

/// Approves the named profiles and records, on every component, that it was reviewed against each
/// requirement in `satisfies` (`vigil approve --satisfies ID`): the id, the approval's time and the
/// approver. The manifest is rewritten for such a record even when no byte changed.
pub fn approve_satisfying(
    ws: &Workspace,
    vcs: &dyn Vcs,
    names: &[String],
    by: Option<String>,
    reason: Option<String>,
    satisfies: &[String],
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, Error> {
    for id in satisfies {
        if ws.config.requirements.get(id).is_none() {
            let ids: Vec<&str> = ws
                .config
                .requirements
                .requirements
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            return Err(Error::Usage(format!(
                "unknown requirement `{id}` in `--satisfies`{}; `vigil requirements` lists them",
                crate::config::closest(id, &ids)
            )));
        }
    }
    let _lock = manifest::lock_workspace(&ws.config.file).map_err(Error::Lock)?;
    let source = WorkTree::new(&ws.root);
    let cx = Context::work_tree(ws, &source, vcs, Mode::Nightly);
    let mut report = check::run(&cx, names, progress)?;
    // An edit hidden from git's status (index flags, a local filter) is still a local change.
    crate::gate::differs_from_commit(vcs, &mut report)?;
    let refused = refusals(ws, &report);
    if !refused.is_empty() {
        return Ok(Outcome::Refused(refused));
    }
    let approver = match by {
        Some(b) => b,
        None => default_approver(vcs).ok_or_else(|| Error::Usage(no_approver(vcs.name())))?,
    };
    let stamp = Stamp {
        approved_by: approver,
        approved_at: approval_time()?,
        reason,
        revision: report.revision.clone(),
        satisfies: satisfies.to_vec(),
    };
    let mut out = Vec::new();
    for p in &report.profiles {
        out.push(approve_profile(ws, p, &stamp)?);
    }
    Ok(Outcome::Approved(out))
}

/// What to do when no approver is known, for the version control in use: only git has a user
/// setting; Subversion keeps no user name in a working copy.
fn no_approver(vcs: &str) -> String {
    match vcs {
        "git" => {
            "cannot tell who approves: set git's user.name and user.email (or $USER), or pass --by"
                .into()
        }
        "svn" => "cannot tell who approves: a Subversion working copy records no user name; \
                  pass --by \"Name <email>\" or set $USER"
            .into(),
        _ => "cannot tell who approves: pass --by \"Name <email>\" or set $USER".into(),
    }
}

/// The findings that refuse an approval: what is not under version control, or cannot be hashed.
fn refusals(ws: &Workspace, report: &check::Report) -> Vec<Finding> {
    // Judge by code, not severity: a relaxed severity must not let an untracked file be approved.
    let blocking: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| BLOCKING.contains(&f.code))
        // The state of the manifest being replaced does not block its replacement.
        .filter(|f| f.path != ws.config.manifest_path(&f.profile))
        // Neither does vigil.toml's own state: it is committed with the first approval.
        .filter(|f| f.path != crate::config::CONFIG_FILE)
        .cloned()
        .collect();
    let unhashed: Vec<Finding> = report
        .profiles
        .iter()
        .flat_map(|p| p.components.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.blake3.is_none())
        .filter_map(|(p, c)| {
            Draft::new(
                Code::Unreadable,
                c.path.to_string(),
                c.via.clone(),
                "could not be hashed",
            )
            .judge(&p.name, |_| Severity::Error)
        })
        .filter(|f| {
            !blocking
                .iter()
                .any(|b| b.profile == f.profile && b.path == f.path)
        })
        .collect();
    let mut all = blocking;
    all.extend(unhashed);
    all
}

/// Who approves, when, why, and at which revision: the same for every profile of one approval.
struct Stamp {
    approved_by: String,
    approved_at: String,
    reason: Option<String>,
    revision: crate::vcs::Revision,
    /// Requirement ids the approver states every component satisfies.
    satisfies: Vec<String>,
}

/// Writes one profile's manifest, unless its components are those it already approves.
fn approve_profile(ws: &Workspace, p: &ProfileResult, stamp: &Stamp) -> Result<Approved, Error> {
    let mut components = manifest_entries(p);
    carry_reviews(&mut components, p, stamp);
    let local_changes = p
        .components
        .iter()
        .any(|c| matches!(c.status, Some(Status::Uncommitted(_))));
    let file = ws.root.join(ws.config.manifest_path(&p.name));
    let transformed: Vec<_> = p
        .components
        .iter()
        .filter_map(|c| c.transform.as_ref().map(|t| (c.path.clone(), t.what())))
        .collect();
    if let Some(old) = p
        .manifest
        .as_ref()
        .filter(|m| m.manifest.components == components)
    {
        return Ok(Approved {
            profile: p.name.clone(),
            file,
            manifest: old.manifest.clone(),
            written: false,
            transformed,
        });
    }
    let manifest = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        vigil_version: crate::VERSION.into(),
        profile: p.name.clone(),
        approved_by: stamp.approved_by.clone(),
        approved_at: stamp.approved_at.clone(),
        reason: stamp.reason.clone(),
        revision: ManifestRevision {
            vcs: stamp.revision.vcs.clone(),
            id: stamp.revision.id.clone(),
            local_changes,
        },
        components,
        signatures: Vec::new(),
    };
    manifest::write_atomic(&file, manifest.to_toml().as_bytes())
        .map_err(|e| Error::write(&file, e))?;
    Ok(Approved {
        profile: p.name.clone(),
        file,
        manifest,
        written: true,
        transformed,
    })
}

/// The manifest entries of a profile's components, as they are now.
fn manifest_entries(p: &ProfileResult) -> Vec<ManifestEntry> {
    p.components
        .iter()
        .map(|c| ManifestEntry {
            path: c.path.clone(),
            kind: match &c.kind {
                Kind::Executable => EntryKind::Executable,
                Kind::Symlink(_) => EntryKind::Symlink,
                _ => EntryKind::File,
            },
            size: c.size,
            blake3: c
                .blake3
                .clone()
                .expect("unhashed components refuse approval"),
            target: match &c.kind {
                Kind::Symlink(t) => Some(escape_bytes(t)),
                _ => None,
            },
            satisfies: Vec::new(),
        })
        .collect()
}

/// Keeps the reviews the old manifest records for components whose bytes did not change (a changed
/// component needs a new review), and adds this approval's `--satisfies` records to every component.
fn carry_reviews(entries: &mut [ManifestEntry], p: &ProfileResult, stamp: &Stamp) {
    for e in entries.iter_mut() {
        if let Some(old) = p.manifest.as_ref().and_then(|m| m.manifest.entry(&e.path)) {
            if old.blake3 == e.blake3 && old.kind == e.kind {
                e.satisfies = old.satisfies.clone();
            }
        }
        for id in &stamp.satisfies {
            e.satisfies.retain(|s| &s.requirement != id);
            e.satisfies.push(crate::requirements::Satisfies {
                requirement: id.clone(),
                at: stamp.approved_at.clone(),
                by: stamp.approved_by.clone(),
            });
        }
        e.satisfies
            .sort_by(|a, b| a.requirement.cmp(&b.requirement));
    }
}
