//! Short reports. `--quiet`: one line per finding at error severity and nothing else, so that a quiet
//! run that passes prints nothing and one that fails prints only what failed it. A passing pre-commit
//! check: one line (after one line per lesser finding), since a hook that passes should not bury the
//! output of `git commit`.

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

/// A check that passed, in one line: `vigil: ok: WHAT passes: 2 profiles, 9 components checked`, after one
/// line per finding below error severity (`warning: PROFILE: CODE PATH: MESSAGE`), which a passing check
/// may still carry (a stale component in a two-step approval).
pub fn render_passed(r: &Report, what: &str) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let _ = writeln!(
            out,
            "{}: {}: {} {}: {}",
            f.severity.as_str(),
            f.profile,
            f.code.as_str(),
            f.location(),
            escape_text(&f.message)
        );
    }
    let components: usize = r.profiles.iter().map(|p| p.components.len()).sum();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let _ = writeln!(
        out,
        "vigil: ok: {what} passes: {}, {} checked{}",
        plural(r.profiles.len(), "profile", "profiles"),
        plural(components, "component", "components"),
        match r.findings.len() {
            0 => String::new(),
            n => format!(" ({} above)", plural(n, "finding", "findings")),
        }
    );
    out
}

/// One line per problem of an inventory (each is an error: the component could not be listed).
pub fn render_inventory(invs: &[Inventory]) -> String {
    let mut out = String::new();
    for inv in invs {
        for p in &inv.problems {
            let location = match p.line {
                Some(l) => format!("{}:{l}", p.path),
                None => p.path.to_string(),
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
