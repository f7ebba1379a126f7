//! The `--quiet` report: one line per finding at error severity and nothing else, so that a quiet run
//! that passes prints nothing and one that fails prints only what failed it.

use crate::check::Report;
use crate::finding::Severity;
use crate::inventory::Inventory;
use crate::path::escape_text;
use std::fmt::Write;

/// One line per error finding of a check: `error: PROFILE: CODE PATH[:LINE]: MESSAGE`.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.severity == Severity::Error) {
        let _ = writeln!(
            out,
            "error: {}: {} {}: {}",
            f.profile,
            f.code.as_str(),
            f.location(),
            escape_text(&f.message)
        );
    }
    out
}

/// One line per problem of an inventory (each is an error: the component could not be listed).
pub fn render_inventory(invs: &[Inventory]) -> String {
    let mut out = String::new();
    for inv in invs {
        for p in &inv.problems {
            let location = match p.line {
                Some(l) => format!("{}:{l}", p.path),
                None => p.path.clone(),
            };
            let _ = writeln!(
                out,
                "error: {}: {} {location}: {}",
                inv.profile,
                p.code.as_str(),
                escape_text(&p.message)
            );
        }
    }
    out
}
