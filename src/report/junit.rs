//! JUnit XML, the format CI dashboards (Jenkins, GitLab, Azure DevOps, ...) read as test results.
//!
//! One `<testsuite>` per profile and one `<testcase>` per component, plus one for the profile's manifest
//! and one for each other path a finding names (a pattern that matched nothing, an orphaned entry).
//! A test case fails (`<failure>`) when it has a finding at error severity; findings below that are
//! listed in its `<system-out>`, so the dashboard's pass/fail agrees with vigil's exit status. Each case
//! has at most one `<failure>`, as the strictest readers require; it lists every finding of that path.
//! The XML is written by quick-junit, which escapes it and computes the counts.

use crate::check::{ProfileResult, Report};
use crate::finding::{Finding, Severity};
use crate::inventory::chain_text;
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Text for the report. quick-junit escapes markup and drops the control characters XML 1.0 cannot hold;
/// the two non-characters it keeps become U+FFFD, so a hostile file name cannot make the report
/// unreadable.
fn text(s: &str) -> String {
    s.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}")
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
    let mut report = quick_junit::Report::new(text(&format!("vigil {}", r.mode.as_str())));
    for p in &r.profiles {
        let mut suite = TestSuite::new(text(&p.name));
        suite.add_properties(properties(r, p));
        let classname = text(&format!("vigil.{}", p.name));
        for (path, findings) in &cases_of(r, p) {
            suite.add_test_case(testcase(path, &classname, findings));
        }
        report.add_test_suite(suite);
    }
    let mut out = Vec::new();
    report
        .serialize(&mut out)
        .expect("writing XML into memory cannot fail");
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
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
        cases.entry(f.path.to_string()).or_default().push(f);
    }
    cases
}

/// A suite's properties: the run and the approval.
fn properties(r: &Report, p: &ProfileResult) -> Vec<Property> {
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
    props
        .into_iter()
        .map(|(k, v)| Property::new(k, text(&v)))
        .collect()
}

/// One test case: failed by its error findings (one `<failure>` listing them all, as the strictest
/// readers require), the others in `<system-out>`.
fn testcase(path: &str, classname: &str, findings: &[&Finding]) -> TestCase {
    let (errors, others): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.severity == Severity::Error);
    let status = match errors.first() {
        None => TestCaseStatus::success(),
        Some(first) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let codes: Vec<&str> = errors.iter().map(|f| f.code.as_str()).collect();
            s.set_type(text(&codes.join(",")))
                .set_message(text(&format!("{}: {}", first.code, first.message)))
                .set_description(text(
                    &errors.iter().map(|f| describe(f)).collect::<String>(),
                ));
            s
        }
    };
    let mut case = TestCase::new(text(path), status);
    case.set_classname(classname);
    if !others.is_empty() {
        case.set_system_out(text(
            &others.iter().map(|f| describe(f)).collect::<String>(),
        ));
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_xml_cannot_hold_never_reaches_the_report() {
        assert_eq!(text("a\u{FFFE}b\u{FFFF}"), "a\u{FFFD}b\u{FFFD}");
        let case = testcase("x\u{1}<y>&\u{1b}[31m", "vigil.p", &[]);
        let mut suite = TestSuite::new("p");
        suite.add_test_case(case);
        let mut report = quick_junit::Report::new("vigil");
        report.add_test_suite(suite);
        let xml = report.to_string().unwrap();
        assert!(xml.contains("name=\"x&lt;y&gt;&amp;\""), "{xml}");
        roxmltree::Document::parse(&xml).unwrap();
    }
}
