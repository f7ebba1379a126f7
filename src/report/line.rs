//! One line per finding, for journald and syslog (`vigil check --format line | systemd-cat -t vigil`,
//! `| logger -t vigil`): `vigil[PROFILE]: SEVERITY CODE PATH[:LINE]: MESSAGE (via CHAIN)`, then one
//! summary line. No colour, no control characters, each line complete by itself, so a log search for
//! a profile, a code or a path finds the whole story in one record.

use crate::check::Report;
use crate::finding::{chain_text, Severity};
use crate::path::escape_text;
use std::fmt::Write;

/// Renders the report, one line per finding and a last `vigil: ok|FAILED: ...` line.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let via = if f.via.is_empty() {
            String::new()
        } else {
            format!(" (via {})", escape_text(&chain_text(&f.via)))
        };
        let _ = writeln!(
            out,
            "vigil[{}]: {} {} {}: {}{via}",
            escape_text(&f.profile),
            f.severity.as_str(),
            f.code.as_str(),
            escape_text(&f.location()),
            escape_text(&f.message),
        );
    }
    let components: usize = r.profiles.iter().map(|p| p.components.len()).sum();
    let revision = match &r.revision.id {
        Some(id) => format!(" at {} {}", r.revision.vcs, &id[..id.len().min(12)]),
        None => String::new(),
    };
    let n = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "vigil: {}: {}, {}, {}, {} ({}{revision})",
        if r.failed() { "FAILED" } else { "ok" },
        n(r.profiles.len(), "profile"),
        n(components, "component"),
        n(r.count(Severity::Error), "error"),
        n(r.count(Severity::Warning), "warning"),
        escape_text(&r.source),
    );
    out
}
