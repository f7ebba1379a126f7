//! The human report: grouped by profile, one block per finding with the chain that led to it, and a
//! one-line summary. Colour only when asked (the CLI asks on a terminal without `NO_COLOR`).

use crate::check::{ProfileResult, Report};
use crate::finding::{Code, Finding, Severity};
use crate::inventory::{chain_text, Inventory};
use crate::path::escape_text;
use crate::report::json::kind_text;
use anstyle::{AnsiColor, Style};
use std::collections::{BTreeSet, HashMap, HashSet};
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

/// A finding that several profiles share: the same code, severity and place, reported once with
/// the profiles that reach it.
struct Shared<'a> {
    first: &'a Finding,
    /// Every profile's own finding, in report order.
    each: Vec<&'a Finding>,
}

/// What makes two profiles' findings the same entry in the human report.
type SharedKey<'a> = (Code, Severity, std::borrow::Cow<'a, str>, Option<u32>);

fn shared_key(f: &Finding) -> SharedKey<'_> {
    (f.code, f.severity, f.path.text(), f.line)
}

/// The findings that more than one profile reports about the same component (a shared include
/// changed once is stale in every profile that uses it): they are printed once, above the profiles.
fn shared(r: &Report) -> Vec<Shared<'_>> {
    let mut groups: Vec<Shared<'_>> = Vec::new();
    let mut index: HashMap<SharedKey<'_>, usize> = HashMap::new();
    for f in &r.findings {
        match index.get(&shared_key(f)) {
            Some(&i) => groups[i].each.push(f),
            None => {
                index.insert(shared_key(f), groups.len());
                groups.push(Shared {
                    first: f,
                    each: vec![f],
                });
            }
        }
    }
    groups.retain(|g| {
        let profiles: BTreeSet<&str> = g.each.iter().map(|f| f.profile.as_str()).collect();
        profiles.len() > 1
    });
    groups
}

/// Texts that may differ between profiles (a message, a chain): one line when every profile has the
/// same, else one line per distinct text led by its profiles, at most [`MAX_VARIANTS`] of them.
fn per_profile(items: &[(&str, String)]) -> Vec<String> {
    let mut distinct: Vec<(String, Vec<&str>)> = Vec::new();
    for (profile, text) in items {
        match distinct.iter_mut().find(|(t, _)| t == text) {
            Some((_, names)) => names.push(profile),
            None => distinct.push((text.clone(), vec![profile])),
        }
    }
    if distinct.len() == 1 {
        return vec![distinct.remove(0).0];
    }
    let mut lines: Vec<String> = distinct
        .iter()
        .take(MAX_VARIANTS)
        .map(|(t, names)| format!("{}: {t}", names.join(", ")))
        .collect();
    if distinct.len() > MAX_VARIANTS {
        let rest: usize = distinct[MAX_VARIANTS..].iter().map(|(_, n)| n.len()).sum();
        lines.push(format!(
            "… and {} by other chains (`--format json` lists each)",
            plural(rest, "profile", "profiles")
        ));
    }
    lines
}

/// How many profiles' own chain or message a shared entry shows before summing up the rest.
const MAX_VARIANTS: usize = 3;

/// Renders a check report for a terminal.
pub fn render(r: &Report, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    render_header(&mut out, &p, r);
    let shared = shared(r);
    render_shared(&mut out, &p, &shared);
    let in_shared: HashSet<*const Finding> = shared
        .iter()
        .flat_map(|g| g.each.iter().map(|f| *f as *const Finding))
        .collect();
    for prof in &r.profiles {
        render_profile(&mut out, &p, r, prof, &in_shared);
    }
    render_summary(&mut out, &p, r);
    out
}

fn render_header(out: &mut String, p: &Paint, r: &Report) {
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
}

/// One finding's first line: severity, code, where.
fn finding_head(out: &mut String, p: &Paint, f: &Finding) {
    let _ = writeln!(
        out,
        "  {} {:<12} {}",
        p.severity(f.severity),
        f.code.as_str(),
        p.bold(&f.location())
    );
}

/// The findings several profiles share, each once, with the profiles that use the component.
fn render_shared(out: &mut String, p: &Paint, shared: &[Shared<'_>]) {
    if shared.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.bold("shared by several profiles"));
    for g in shared {
        finding_head(out, p, g.first);
        let messages: Vec<(&str, String)> = g
            .each
            .iter()
            .map(|f| (f.profile.as_str(), escape_text(&f.message).into_owned()))
            .collect();
        for line in per_profile(&messages) {
            let _ = writeln!(out, "          {:<12} {line}", "");
        }
        let names: Vec<&str> = g.each.iter().map(|f| f.profile.as_str()).collect();
        let used = format!(
            "used by {}: {}",
            plural(names.len(), "profile", "profiles"),
            names.join(", ")
        );
        let _ = writeln!(out, "          {:<12} {used}", "");
        let chains: Vec<(&str, String)> = g
            .each
            .iter()
            .filter(|f| !f.via.is_empty())
            .map(|f| (f.profile.as_str(), format!("via {}", chain_text(&f.via))))
            .collect();
        for line in per_profile(&chains) {
            let _ = writeln!(out, "          {:<12} {}", "", p.dim(&line));
        }
    }
}

/// One profile: its own findings in full, a line naming the shared ones, and its approval.
fn render_profile(
    out: &mut String,
    p: &Paint,
    r: &Report,
    prof: &ProfileResult,
    in_shared: &HashSet<*const Finding>,
) {
    let findings: Vec<&Finding> = r
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
    let mut also = Vec::new();
    for f in &findings {
        if in_shared.contains(&(*f as *const Finding)) {
            also.push(format!("{} {}", f.code.as_str(), f.location()));
            continue;
        }
        finding_head(out, p, f);
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
    if !also.is_empty() {
        let _ = writeln!(
            out,
            "          {}",
            p.dim(&format!(
                "and {} shared by several profiles, above: {}",
                plural(also.len(), "finding", "findings"),
                also.join(", ")
            ))
        );
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

fn render_summary(out: &mut String, p: &Paint, r: &Report) {
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
                f.path
                    .as_ref()
                    .map_or_else(|| f.value.clone(), crate::path::WsPath::to_string),
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
                p.bold(&pr.path.to_string()),
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
