//! JUnit XML, the format CI dashboards (Jenkins, GitLab, Azure DevOps, ...) read as test results.
//!
//! One `<testsuite>` per profile and one `<testcase>` per component, plus one for the profile's manifest
//! and one for each other path a finding names (a pattern that matched nothing, an orphaned entry).
//! A test case fails (`<failure>`) when it has a finding at error severity; findings below that are
//! listed in its `<system-out>`, so the dashboard's pass/fail agrees with vigil's exit status. Each case
//! has at most one `<failure>`, as the strictest readers require; it lists every finding of that path.

use crate::check::{ProfileResult, Report};
use crate::finding::{Finding, Severity};
use crate::inventory::chain_text;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes text for an XML attribute or element. Characters XML 1.0 cannot hold at all (most control
/// characters) become U+FFFD, so a hostile file name cannot make the report unreadable.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Like [`esc`], but keeps line breaks as they are, for element text.
fn esc_text(s: &str) -> String {
    esc(s).replace("&#10;", "\n")
}

fn describe(f: &Finding) -> String {
    let mut t = match f.line {
        Some(l) => format!("{} {} at line {l}: {}\n", f.severity, f.code, f.message),
        None => format!("{} {}: {}\n", f.severity, f.code, f.message),
    };
    if let Some(l) = &f.lint {
        let node = l
            .node
            .as_deref()
            .map(|n| format!(" at {n}"))
            .unwrap_or_default();
        let _ = writeln!(t, "  {} {} {}{node}", l.linter, l.severity, l.code);
    }
    if !f.via.is_empty() {
        let _ = writeln!(t, "  via {}", chain_text(&f.via));
    }
    let _ = writeln!(t, "  fix: {}", f.code.remedy());
    t
}

/// Renders the JUnit XML report.
pub fn render(r: &Report) -> Vec<u8> {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures) = (0usize, 0usize);
    for p in &r.profiles {
        let cases = cases_of(r, p);
        let failures = cases
            .values()
            .filter(|c| c.iter().any(|f| f.severity == Severity::Error))
            .count();
        all_tests += cases.len();
        all_failures += failures;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            esc(&p.name),
            cases.len()
        );
        properties(&mut suites, r, p);
        let classname = format!("vigil.{}", p.name);
        for (path, findings) in &cases {
            testcase(&mut suites, path, &classname, findings);
        }
        let _ = writeln!(suites, "  </testsuite>");
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"vigil {}\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\" skipped=\"0\">",
        r.mode.as_str()
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out.into_bytes()
}

/// A profile's test cases by path (components, the manifest, and any other path with a finding),
/// sorted, so the output is stable; each with its findings.
fn cases_of<'a>(r: &'a Report, p: &ProfileResult) -> BTreeMap<String, Vec<&'a Finding>> {
    let mut cases: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for c in &p.components {
        cases.insert(c.path.to_string(), vec![]);
    }
    if let Some(m) = &p.manifest {
        cases.insert(m.path.to_string(), vec![]);
    }
    for f in r.findings.iter().filter(|f| f.profile == p.name) {
        cases.entry(f.path.clone()).or_default().push(f);
    }
    cases
}

/// A suite's `<properties>`: the run and the approval.
fn properties(out: &mut String, r: &Report, p: &ProfileResult) {
    let _ = writeln!(out, "    <properties>");
    let mut props: Vec<(&str, String)> = vec![
        ("mode", r.mode.as_str().into()),
        ("source", r.source.clone()),
        ("revision", r.revision.id.clone().unwrap_or_default()),
    ];
    if let Some(d) = &p.description {
        props.push(("description", d.clone()));
    }
    if let Some(m) = &p.manifest {
        props.push(("manifest", m.path.to_string()));
        props.push(("manifest-blake3", m.blake3.clone()));
        props.push(("approved-by", m.manifest.approved_by.clone()));
        props.push(("approved-at", m.manifest.approved_at.clone()));
    }
    for (k, v) in props {
        let _ = writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", esc(&v));
    }
    let _ = writeln!(out, "    </properties>");
}

/// One `<testcase>`: failed by its error findings, the others in `<system-out>`.
fn testcase(out: &mut String, path: &str, classname: &str, findings: &[&Finding]) {
    let (errors, others): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.severity == Severity::Error);
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\"",
        esc(path),
        esc(classname)
    );
    if errors.is_empty() && others.is_empty() {
        let _ = writeln!(out, "{open}/>");
        return;
    }
    let _ = writeln!(out, "{open}>");
    if let Some(first) = errors.first() {
        let codes: Vec<&str> = errors.iter().map(|f| f.code.as_str()).collect();
        let body: String = errors.iter().map(|f| describe(f)).collect();
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            esc(&codes.join(",")),
            esc(&format!("{}: {}", first.code, first.message)),
            esc_text(&body)
        );
    }
    if !others.is_empty() {
        let body: String = others.iter().map(|f| describe(f)).collect();
        let _ = writeln!(out, "      <system-out>{}</system-out>", esc_text(&body));
    }
    let _ = writeln!(out, "    </testcase>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(esc("x\u{1}y\u{1b}"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(esc_text("one\ntwo"), "one\ntwo");
    }
}
