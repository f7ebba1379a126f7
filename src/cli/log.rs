//! `vigil log PROFILE`: the profile's approvals from git or Subversion history, newest first.

use super::{emit, usage, Exit, Globals, Outcome};
use std::fmt::Write as _;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profile whose approvals to list.
    #[arg(value_name = "PROFILE")]
    profile: String,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    ws.config
        .select(std::slice::from_ref(&a.profile))
        .map_err(crate::Error::from)?;
    let (entries, history) = match crate::vcs::detect(&ws.root) {
        crate::vcs::Detected::Svn(_) => {
            let manifest = ws.config.manifest_path(&a.profile);
            let entries = crate::history_svn::log(&ws.root, &manifest, &a.profile)?;
            (
                entries,
                "the Subversion history of the working copy's revision",
            )
        }
        _ => {
            let repo = crate::snapshot::open_repo(&ws.root)?;
            let prefix = crate::snapshot::repo_relative(&repo, &ws.root, std::path::Path::new("."))
                .ok_or_else(|| {
                    usage("vigil log reads git history: the workspace is not in a git work tree")
                })?;
            (
                crate::history::log(&repo, &prefix, &a.profile)?,
                "the history of HEAD",
            )
        }
    };
    let mut out = String::new();
    if entries.is_empty() {
        let _ = writeln!(out, "{}: no approval in {history}", a.profile);
    }
    for e in &entries {
        let m = &e.manifest;
        let _ = writeln!(
            out,
            "{}  {}  approved by {}",
            m.approved_at,
            e.revision(),
            crate::path::escape_text(&m.approved_by)
        );
        if let Some(r) = &m.reason {
            let _ = writeln!(out, "  reason:    {}", crate::path::escape_text(r));
        }
        if !e.signers.is_empty() || !e.rejected.is_empty() {
            let _ = writeln!(
                out,
                "  signed by: {}",
                if e.signers.is_empty() {
                    "nobody trusted".to_string()
                } else {
                    e.signers.join(", ") + " (verified)"
                }
            );
        }
        for r in &e.rejected {
            let _ = writeln!(out, "  not counted: {}", crate::path::escape_text(r));
        }
        if !e.satisfies.is_empty() {
            let _ = writeln!(out, "  satisfies: {}", e.satisfies.join(", "));
        }
        if e.cosigned {
            let _ = writeln!(out, "  co-signed: the approval below, unchanged");
            continue;
        }
        let _ = writeln!(
            out,
            "  changed:   {}",
            if e.changed.is_empty() {
                "no component (a re-approval)".to_string()
            } else {
                crate::path::escape_text(&e.changed.join(", ")).into_owned()
            }
        );
    }
    emit(out.as_bytes())?;
    Ok(Exit::Ok)
}
