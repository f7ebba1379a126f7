//! `vigil approve`: records a profile's components, as they are now, in its manifest.
//!
//! What is not under version control cannot be approved: an untracked, ignored, missing, outside-root or
//! unreadable component refuses the whole approval, whatever severities the configuration sets.

use crate::check::{self, Context, Progress};
use crate::config::Mode;
use crate::finding::{Code, Finding};
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

/// Approves the named profiles (all when empty).
pub fn approve(
    ws: &Workspace,
    vcs: &dyn Vcs,
    names: &[String],
    by: Option<String>,
    reason: Option<String>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, Error> {
    let _lock = manifest::lock_workspace(&ws.config.file).map_err(|e| Error::Io(e.to_string()))?;
    let source = WorkTree::new(&ws.root);
    let cx = Context {
        config: &ws.config,
        root: Some(&ws.root),
        source: &source,
        vcs,
        mode: Mode::Nightly,
    };
    let report = check::run(&cx, names, progress)?;
    // Judge by code, not severity: a relaxed severity must not let an untracked file be approved.
    let blocking: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| BLOCKING.contains(&f.code))
        // The state of the manifest being replaced does not block its replacement.
        .filter(|f| f.path != ws.config.manifest_path(&f.profile))
        .cloned()
        .collect();
    let unhashed: Vec<Finding> = report
        .profiles
        .iter()
        .flat_map(|p| p.components.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.blake3.is_none())
        .map(|(p, c)| Finding {
            code: Code::Unreadable,
            severity: crate::finding::Severity::Error,
            profile: p.name.clone(),
            path: c.path.to_string(),
            message: "could not be hashed".into(),
            via: c.via.clone(),
        })
        .filter(|f| {
            !blocking
                .iter()
                .any(|b| b.profile == f.profile && b.path == f.path)
        })
        .collect();
    if !blocking.is_empty() || !unhashed.is_empty() {
        let mut all = blocking;
        all.extend(unhashed);
        return Ok(Outcome::Refused(all));
    }
    let approver = match by {
        Some(b) => b,
        None => default_approver(vcs).ok_or_else(|| {
            Error::Usage(
                "cannot tell who approves: set git's user.name and user.email, or pass --by".into(),
            )
        })?,
    };
    let revision = report.revision.clone();
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut out = Vec::new();
    for p in &report.profiles {
        let components: Vec<ManifestEntry> = p
            .components
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
            })
            .collect();
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
        if let Some(old) = &p.manifest {
            if old.manifest.components == components {
                out.push(Approved {
                    profile: p.name.clone(),
                    file,
                    manifest: old.manifest.clone(),
                    written: false,
                    transformed,
                });
                continue;
            }
        }
        let manifest = Manifest {
            manifest_version: manifest::MANIFEST_VERSION,
            vigil_version: crate::VERSION.into(),
            profile: p.name.clone(),
            approved_by: approver.clone(),
            approved_at: now.clone(),
            reason: reason.clone(),
            revision: ManifestRevision {
                vcs: revision.vcs.clone(),
                id: revision.id.clone(),
                local_changes,
            },
            components,
        };
        manifest::write_atomic(&file, manifest.to_toml().as_bytes())
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", file.display())))?;
        out.push(Approved {
            profile: p.name.clone(),
            file,
            manifest,
            written: true,
            transformed,
        });
    }
    Ok(Outcome::Approved(out))
}
