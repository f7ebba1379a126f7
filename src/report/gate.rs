//! The release gate's summary: plain text, no colour, fit to paste into a change ticket.
//!
//! Hashes and revision ids are printed in full, because a reviewer may want to verify them by hand
//! (`b3sum approved/NAME.toml`, `git cat-file -t ID`).

use crate::gate::{Gate, GateProfile};
use crate::inventory::chain_text;
use crate::path::escape_text;
use crate::vcs::{Lineage, Status};
use std::fmt::Write;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn counts(findings: &[&crate::finding::Finding]) -> String {
    use crate::finding::Severity as S;
    let mut parts = Vec::new();
    for (s, one, many) in [
        (S::Error, "error", "errors"),
        (S::Warning, "warning", "warnings"),
        (S::Note, "note", "notes"),
    ] {
        let n = findings.iter().filter(|f| f.severity == s).count();
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    parts.join(", ")
}

/// What the gate verified of one profile, as one sentence.
pub(crate) fn verified(p: &GateProfile) -> String {
    let mut s = if p.rehashed == p.components {
        format!(
            "{} rehashed with BLAKE3 (every byte read)",
            plural(p.components, "component", "components")
        )
    } else {
        format!(
            "{} of {} components rehashed with BLAKE3 (every byte read), {} could not be read",
            p.rehashed,
            p.components,
            p.components - p.rehashed
        )
    };
    if p.components > 0 {
        if p.committed == p.components {
            s.push_str("; all tracked and committed");
        } else {
            // An unreadable component is never asked about, so it is not counted as uncommitted.
            let unread = p.components - p.rehashed;
            let bad = (p.components - p.committed).saturating_sub(unread);
            if bad > 0 {
                let _ = write!(s, "; {bad} not tracked or not committed");
            }
            if unread > 0 {
                let _ = write!(
                    s,
                    "; version control was not asked about the {unread} that could not be read"
                );
            }
        }
        if p.manifest.is_none() {
            s.push_str("; no approved manifest to compare with");
        } else if p.matching == p.components {
            s.push_str("; all match the approved manifest");
        } else {
            let n = p.components - p.matching;
            let verb = if n == 1 { "does" } else { "do" };
            let _ = write!(s, "; {n} {verb} not match the approved manifest");
        }
    }
    s
}

/// Renders the summary.
pub fn render(g: &Gate) -> String {
    let mut out = String::new();
    let r = &g.report;
    let all: Vec<_> = r.findings.iter().collect();
    let verdict = if g.passed() { "PASS" } else { "FAIL" };
    let tally = counts(&all);
    if tally.is_empty() {
        let _ = writeln!(out, "vigil gate: {verdict}");
    } else {
        let _ = writeln!(out, "vigil gate: {verdict} ({tally})");
    }
    let names: Vec<&str> = g.profiles.iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(out, "profiles:    {}", names.join(", "));
    let _ = writeln!(
        out,
        "revision:    {} {}",
        r.revision.vcs,
        r.revision.id.as_deref().unwrap_or("(no commit yet)")
    );
    let _ = writeln!(out, "workspace:   {}", r.workspace.display());
    let _ = writeln!(
        out,
        "checked at:  {} by vigil {} (gate severities, no cache)",
        g.checked_at,
        crate::VERSION
    );
    for p in &g.profiles {
        render_profile(&mut out, g, p);
    }
    out
}

/// One profile's section of the summary.
fn render_profile(out: &mut String, g: &Gate, p: &GateProfile) {
    let findings: Vec<_> = g.findings_of(&p.name).collect();
    let failed = findings
        .iter()
        .any(|f| f.severity == crate::finding::Severity::Error);
    let _ = writeln!(out);
    let _ = write!(out, "{}: {}", p.name, if failed { "FAIL" } else { "PASS" });
    match &p.description {
        Some(d) => {
            let _ = writeln!(out, "  ({})", escape_text(d));
        }
        None => out.push('\n'),
    }
    let _ = writeln!(out, "  verified:    {}", verified(p));
    render_approval(out, p);
    if let Some(s) = &p.sample {
        render_sample(out, s);
    }
    if !findings.is_empty() {
        let _ = writeln!(out, "  findings:    {}", counts(&findings));
        for f in findings {
            let _ = writeln!(
                out,
                "    {:<7} {:<16} {}",
                f.severity.as_str(),
                f.code.as_str(),
                f.location()
            );
            let _ = writeln!(out, "    {:<7} {:<16} {}", "", "", escape_text(&f.message));
            if !f.via.is_empty() {
                let _ = writeln!(out, "    {:<7} {:<16} via {}", "", "", chain_text(&f.via));
            }
            let _ = writeln!(out, "    {:<7} {:<16} fix: {}", "", "", f.code.remedy());
        }
    }
}

/// What a reviewer needs to trust a profile's approval: the manifest, its state, who and when.
fn render_approval(out: &mut String, p: &GateProfile) {
    match &p.manifest {
        None => {
            let _ = writeln!(out, "  manifest:    none (the profile was never approved)");
        }
        Some(m) => {
            let state = match &p.manifest_status {
                Some(Status::Committed) => "committed".to_string(),
                Some(Status::Uncommitted(how)) => format!("NOT committed: {how}"),
                Some(Status::Ignored) => "NOT committed: ignored".to_string(),
                Some(Status::Untracked(_)) | None => "NOT committed: untracked".to_string(),
            };
            let _ = writeln!(out, "  manifest:    {} ({state})", m.path);
            let _ = writeln!(out, "  its blake3:  {}", m.blake3);
            let rev = &m.manifest.revision;
            let on = match (&rev.id, &p.lineage) {
                (None, _) => "no revision (approved before the first commit)".to_string(),
                (Some(id), Some(Lineage::InHistory)) => {
                    format!("{} {id}, in the checked history", rev.vcs)
                }
                (Some(id), Some(Lineage::Outside(_))) => {
                    format!("{} {id}, OUTSIDE the checked history", rev.vcs)
                }
                (Some(id), None) => format!("{} {id}", rev.vcs),
            };
            let landed = match &p.landed {
                Some(id) => format!("{} {id} (the commit that landed this manifest)", rev.vcs),
                None => "no commit yet (the manifest is not committed)".to_string(),
            };
            let _ = writeln!(out, "  approval:    {landed}");
            let _ = writeln!(out, "  approved on: {on}");
            if rev.local_changes {
                let _ = writeln!(
                    out,
                    "               with changes committed after it, together with the manifest"
                );
            }
            let _ = writeln!(
                out,
                "  approved by: {}",
                escape_text(&m.manifest.approved_by)
            );
            let _ = writeln!(
                out,
                "  approved at: {}",
                escape_text(&m.manifest.approved_at)
            );
            let _ = writeln!(
                out,
                "  reason:      {}",
                escape_text(m.manifest.reason.as_deref().unwrap_or("(none given)"))
            );
        }
    }
}

/// An instant as RFC 3339, UTC.
fn instant(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_secs(unix.max(0).unsigned_abs()))
        .unwrap_or(std::time::UNIX_EPOCH);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The sample certificate: who it names, how long it is valid (counted inclusively), the lint verdict.
fn render_sample(out: &mut String, s: &crate::samples::SampleOutcome) {
    match &s.issued {
        Some(i) => {
            let c = &i.cert;
            let _ = writeln!(out, "  sample:      {}", c.subject);
            let secs = u128::try_from(c.validity_seconds).unwrap_or(0);
            let _ = writeln!(
                out,
                "  validity:    {} to {}, {} counted inclusively",
                instant(c.not_before),
                instant(c.not_after),
                crate::requirements::duration::describe_seconds(secs)
            );
        }
        None => {
            let _ = writeln!(out, "  sample:      not issued");
        }
    }
    let _ = writeln!(out, "  lint:        {}", s.verdict());
    if let Some(l) = &s.lint {
        for note in &l.notes {
            let _ = writeln!(out, "               note: {note}");
        }
    }
}
