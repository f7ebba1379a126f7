//! The release gate's verdict as Markdown, to paste into a change ticket: the verdict, then per
//! profile a table of what was verified and the approval (its own commit, who approved and signed,
//! the requirements stated), then its findings.

use crate::gate::{Gate, GateProfile};
use crate::path::escape_text;
use crate::report::gate::verified;
use crate::report::gate_json::requirements;
use crate::vcs::{Lineage, Status};
use std::fmt::Write;

/// Text for a table cell: control characters escaped, and every character Markdown would read as
/// markup (emphasis, links, HTML, the cell separator) escaped with a backslash, so that a file name
/// or an approver cannot change the ticket's layout.
fn cell(s: &str) -> String {
    let mut out = String::new();
    for c in escape_text(s).chars() {
        if "\\`*_[]<>|#!~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn verdict(failed: bool) -> &'static str {
    if failed {
        "FAIL"
    } else {
        "PASS"
    }
}

/// Renders the gate. `policy` holds the lines of a server policy that vigil.toml relaxes.
pub fn render(g: &Gate, policy: &[String]) -> String {
    let r = &g.report;
    let mut out = String::new();
    let passed = g.passed() && policy.is_empty();
    let _ = writeln!(out, "# vigil gate: {}\n", verdict(!passed));
    let _ = writeln!(out, "| | |\n|---|---|");
    let names: Vec<String> = g.profiles.iter().map(|p| cell(&p.name)).collect();
    let _ = writeln!(out, "| profiles | {} |", names.join(", "));
    let rev = r.revision.id.as_deref().unwrap_or("(no commit yet)");
    let _ = writeln!(out, "| revision | {} {} |", r.revision.vcs, cell(rev));
    let _ = writeln!(
        out,
        "| workspace | {} |",
        cell(&r.workspace.display().to_string())
    );
    let _ = writeln!(
        out,
        "| checked at | {} by vigil {} (gate severities, every byte read again) |",
        g.checked_at,
        crate::VERSION
    );
    for line in policy {
        let _ = writeln!(out, "| policy | {} |", cell(line));
    }
    for p in &g.profiles {
        profile(&mut out, g, p);
    }
    out
}

fn profile(out: &mut String, g: &Gate, p: &GateProfile) {
    let findings: Vec<_> = g.findings_of(&p.name).collect();
    let failed = findings
        .iter()
        .any(|f| f.severity == crate::finding::Severity::Error);
    let _ = writeln!(out, "\n## {}: {}\n", cell(&p.name), verdict(failed));
    if let Some(d) = &p.description {
        let _ = writeln!(out, "{}\n", cell(d));
    }
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| verified | {} |", cell(&verified(p)));
    approval(out, p);
    if findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
        return;
    }
    let _ = writeln!(
        out,
        "\n| severity | code | where | finding |\n|---|---|---|---|"
    );
    for f in findings {
        let mut text = cell(&f.message);
        if !f.via.is_empty() {
            let _ = write!(
                text,
                "<br>via {}",
                cell(&crate::inventory::chain_text(&f.via))
            );
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {text} |",
            f.severity.as_str(),
            f.code.as_str(),
            cell(&f.location())
        );
    }
}

fn approval(out: &mut String, p: &GateProfile) {
    let Some(m) = &p.manifest else {
        let _ = writeln!(out, "| approval | none: the profile was never approved |");
        return;
    };
    let state = match &p.manifest_status {
        Some(Status::Committed) => "committed".to_string(),
        Some(Status::Uncommitted(how)) => format!("NOT committed: {how}"),
        Some(Status::Ignored) => "NOT committed: ignored".to_string(),
        Some(Status::Untracked(_)) | None => "NOT committed: untracked".to_string(),
    };
    let rev = &m.manifest.revision;
    let _ = writeln!(
        out,
        "| manifest | {} ({state}), BLAKE3 {} |",
        cell(&m.path.to_string()),
        m.blake3
    );
    let commit = match &p.landed {
        Some(id) => format!("{} {}", rev.vcs, cell(id)),
        None => "none: the manifest is not committed".to_string(),
    };
    let _ = writeln!(out, "| approval commit | {commit} |");
    let on = match (&rev.id, &p.lineage) {
        (None, _) => "no revision (approved before the first commit)".to_string(),
        (Some(id), Some(Lineage::InHistory)) => {
            format!("{} {}, in the checked history", rev.vcs, cell(id))
        }
        (Some(id), Some(Lineage::Outside(_))) => {
            format!("{} {}, OUTSIDE the checked history", rev.vcs, cell(id))
        }
        (Some(id), None) => format!("{} {}", rev.vcs, cell(id)),
    };
    let _ = writeln!(out, "| made on | {on} |");
    let _ = writeln!(out, "| approved by | {} |", cell(&m.manifest.approved_by));
    let _ = writeln!(out, "| approved at | {} |", cell(&m.manifest.approved_at));
    let reason = m.manifest.reason.as_deref().unwrap_or("(none given)");
    let _ = writeln!(out, "| reason | {} |", cell(reason));
    let signers: Vec<String> = m
        .manifest
        .signatures
        .iter()
        .map(|s| format!("{} ({})", cell(&s.principal), cell(&s.key_fingerprint)))
        .collect();
    let signers = if signers.is_empty() {
        "none".to_string()
    } else {
        signers.join(", ")
    };
    let _ = writeln!(out, "| signers | {signers} |");
    let reqs: Vec<String> = requirements(p).iter().map(|r| cell(r)).collect();
    let reqs = if reqs.is_empty() {
        "none stated".to_string()
    } else {
        reqs.join(", ")
    };
    let _ = writeln!(out, "| requirements | {reqs} |");
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_cannot_break_the_table_or_add_markup() {
        assert_eq!(
            cell("Eve | x\n<img src=y> *b* [l](u)"),
            // The newline is escaped as every text output escapes it, and its backslash for Markdown.
            "Eve \\| x\\\\u{a}\\<img src=y\\> \\*b\\* \\[l\\](u)"
        );
    }
}
