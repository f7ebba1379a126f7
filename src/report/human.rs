//! The human report: grouped by profile, one block per finding with the chain that led to it, and a
//! one-line summary. Colour only when asked (the CLI asks on a terminal without `NO_COLOR`).

use crate::check::Report;
use crate::finding::Severity;
use crate::inventory::{chain_text, Inventory};
use crate::path::escape_text;
use crate::report::json::kind_text;
use anstyle::{AnsiColor, Style};
use std::fmt::Write;

struct Paint(bool);

impl Paint {
    fn wrap(&self, style: Style, s: &str) -> String {
        if self.0 {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let text = format!("{:<7}", s.as_str());
        let color = match s {
            Severity::Error => AnsiColor::Red,
            Severity::Warning => AnsiColor::Yellow,
            _ => AnsiColor::Cyan,
        };
        self.wrap(color.on_default().bold(), &text)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap(Style::new().bold(), s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap(Style::new().dimmed(), s)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders a check report for a terminal.
pub fn render(r: &Report, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let rev = match &r.revision.id {
        Some(id) => format!(", at {} {}", r.revision.vcs, &id[..id.len().min(12)]),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{}",
        p.dim(&format!(
            "vigil: {} of {} ({}{rev})",
            r.source,
            r.workspace.display(),
            r.vcs
        ))
    );
    for prof in &r.profiles {
        let findings: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.profile == prof.name)
            .collect();
        let _ = writeln!(out);
        let head = match &prof.description {
            Some(d) => format!("{}  {}", p.bold(&prof.name), p.dim(&escape_text(d))),
            None => p.bold(&prof.name),
        };
        let _ = writeln!(out, "{head}");
        for f in &findings {
            let _ = writeln!(
                out,
                "  {} {:<12} {}",
                p.severity(f.severity),
                f.code.as_str(),
                p.bold(&f.location())
            );
            let _ = writeln!(out, "          {:<12} {}", "", escape_text(&f.message));
            if !f.via.is_empty() {
                let _ = writeln!(
                    out,
                    "          {:<12} {}",
                    "",
                    p.dim(&format!("via {}", chain_text(&f.via)))
                );
            }
        }
        let approval = match &prof.manifest {
            Some(m) => format!(
                "approved by {} at {}",
                escape_text(&m.manifest.approved_by),
                escape_text(&m.manifest.approved_at)
            ),
            None => "never approved".into(),
        };
        let verdict = if findings.is_empty() {
            p.wrap(AnsiColor::Green.on_default().bold(), "ok     ")
        } else {
            "       ".to_string()
        };
        let _ = writeln!(
            out,
            "  {verdict} {}",
            p.dim(&format!(
                "{}; {approval}",
                plural(prof.components.len(), "component", "components")
            ))
        );
    }
    let errors = r.count(Severity::Error);
    let warnings = r.count(Severity::Warning);
    let notes = r.count(Severity::Note);
    let components: usize = r.profiles.iter().map(|p| p.components.len()).sum();
    let mut summary = format!(
        "{}, {}: {}, {}",
        plural(r.profiles.len(), "profile", "profiles"),
        plural(components, "component", "components"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    );
    if notes > 0 {
        let _ = write!(summary, ", {}", plural(notes, "note", "notes"));
    }
    let verdict = if errors > 0 {
        p.wrap(AnsiColor::Red.on_default().bold(), "FAILED")
    } else {
        p.wrap(AnsiColor::Green.on_default().bold(), "ok")
    };
    let _ = writeln!(out, "\n{verdict}: {summary}");
    out
}

/// Renders an inventory: every component with how it was reached.
/// What vigil does with a file a CA section names, in a few words.
fn ca_file_note(f: &crate::openssl_ca::CaFile) -> &'static str {
    use crate::openssl_ca::{Presence, Role};
    match (f.role, f.presence) {
        (Role::State, _) => "runtime state, not a component",
        (Role::Secret, Presence::Exists) => "secret, exists, never read",
        (Role::Secret, Presence::Missing) => "secret, missing",
        (Role::Secret, Presence::Outside) => "secret, outside the workspace, not checked",
        (Role::Secret, Presence::NotAFile) => "secret, not a file",
        (Role::Secret, Presence::NotChecked) => "secret, existence not checked in this source",
    }
}

pub fn render_inventory(invs: &[Inventory], color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    for (i, inv) in invs.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "{} {}",
            p.bold(&inv.profile),
            p.dim(&format!(
                "({})",
                plural(inv.components.len(), "component", "components")
            ))
        );
        for c in &inv.components {
            let (kind, target) = kind_text(&c.meta.kind);
            let kind = match target {
                Some(t) => format!("{kind} → {t}"),
                None => kind,
            };
            let _ = writeln!(out, "  {}  {}", c.path, p.dim(&format!("[{kind}]")));
            let _ = writeln!(
                out,
                "      {}",
                p.dim(&format!("via {}", chain_text(&c.via)))
            );
        }
        for f in &inv.ca_files {
            let _ = writeln!(
                out,
                "  {}  {}",
                f.path.as_deref().unwrap_or(&f.value),
                p.dim(&format!("[{}: {}]", f.key, ca_file_note(f)))
            );
            let _ = writeln!(
                out,
                "      {}",
                p.dim(&format!("via {}", chain_text(&f.via)))
            );
        }
        for pr in &inv.problems {
            let _ = writeln!(
                out,
                "  {} {} {}: {}",
                p.severity(Severity::Error),
                pr.code,
                p.bold(&pr.path),
                escape_text(&pr.message)
            );
            if !pr.via.is_empty() {
                let _ = writeln!(
                    out,
                    "      {}",
                    p.dim(&format!("via {}", chain_text(&pr.via)))
                );
            }
        }
    }
    out
}
