//! The Prometheus text format, for node_exporter's textfile collector: finding counts per profile
//! and code, the approved revision of each profile, and the times of the last run and the last
//! passing run, so that a fleet of hosts shows up in the monitoring operations already run.
//!
//! A textfile collector serves the file as it is until the next run replaces it, so each run writes
//! every metric. The last passing run is the one value a failing run cannot know by itself: the
//! caller hands in the previous file (the one this run replaces) and its
//! `vigil_last_success_timestamp_seconds` is carried over.

use crate::check::Report;
use crate::finding::Severity;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// The metric a failing run carries over from the previous file.
const LAST_SUCCESS: &str = "vigil_last_success_timestamp_seconds";

/// The severities, in the order the per-profile totals list them.
const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Note];

/// Renders the report. `previous` is the text of the file this output replaces, if any: a failing
/// run takes the last passing run's time from it.
pub fn render(r: &Report, previous: Option<&str>) -> Vec<u8> {
    render_run(r, previous, !r.failed())
}

/// Renders the report of a run that `passed` or not: the release gate passes on more than the
/// report's error count (warnings fail it, and so does a configuration below the server policy).
pub fn render_run(r: &Report, previous: Option<&str>, passed: bool) -> Vec<u8> {
    let mut out = String::new();
    findings_by_code(&mut out, r);
    profile_totals(&mut out, r);
    approved_revisions(&mut out, r);
    run_revision(&mut out, r);
    last_run(&mut out, r, previous, passed);
    out.into_bytes()
}

/// `vigil_findings`: one series per profile, code and severity that has findings.
fn findings_by_code(out: &mut String, r: &Report) {
    let mut by_code: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for f in &r.findings {
        *by_code
            .entry((&f.profile, f.code.as_str(), f.severity.as_str()))
            .or_default() += 1;
    }
    header(
        out,
        "vigil_findings",
        "Findings of the last run, per profile, finding code and severity (a code with no finding has no series).",
    );
    for ((profile, code, severity), n) in &by_code {
        let _ = writeln!(
            out,
            "vigil_findings{{profile=\"{}\",code=\"{}\",severity=\"{}\"}} {n}",
            label(profile),
            label(code),
            label(severity)
        );
    }
}

/// `vigil_profile_findings`: per profile and severity, zero included.
fn profile_totals(out: &mut String, r: &Report) {
    // Profiles appear in the order of the report; a finding of a profile the report does not list
    // (there are none today) still gets its totals.
    let mut profiles: Vec<&str> = r.profiles.iter().map(|p| p.name.as_str()).collect();
    for f in &r.findings {
        if !profiles.contains(&f.profile.as_str()) {
            profiles.push(&f.profile);
        }
    }
    header(
        out,
        "vigil_profile_findings",
        "Findings of the last run per profile and severity, zero included.",
    );
    for profile in &profiles {
        for severity in SEVERITIES {
            let n = r
                .findings
                .iter()
                .filter(|f| f.profile == *profile && f.severity == severity)
                .count();
            let _ = writeln!(
                out,
                "vigil_profile_findings{{profile=\"{}\",severity=\"{}\"}} {n}",
                label(profile),
                severity.as_str()
            );
        }
    }
}

/// `vigil_profile_approved_info`: the revision each profile's manifest was made at.
fn approved_revisions(out: &mut String, r: &Report) {
    header(
        out,
        "vigil_profile_approved_info",
        "The revision each profile's approved manifest was made at (empty without version control); a profile with no manifest has no series.",
    );
    for p in &r.profiles {
        if let Some(m) = &p.manifest {
            let revision = m.manifest.revision.id.as_deref().unwrap_or("");
            let _ = writeln!(
                out,
                "vigil_profile_approved_info{{profile=\"{}\",revision=\"{}\"}} 1",
                label(&p.name),
                label(revision)
            );
        }
    }
}

/// `vigil_revision_info`: the revision the run read (for `vigil verify`, the bundle's).
fn run_revision(out: &mut String, r: &Report) {
    header(
        out,
        "vigil_revision_info",
        "The revision the last run read (source: working tree, index, commit, or deployed tree for vigil verify, whose revision is the bundle's; empty without version control).",
    );
    // `commit 1a2b3c4d5e6f` would make a series per commit: the kind of source is what is queried.
    let source = if r.source.starts_with("commit ") {
        "commit".to_string()
    } else {
        r.source.replace(' ', "-")
    };
    let _ = writeln!(
        out,
        "vigil_revision_info{{source=\"{}\",vcs=\"{}\",revision=\"{}\"}} 1",
        label(&source),
        label(&r.revision.vcs),
        label(r.revision.id.as_deref().unwrap_or(""))
    );
}

/// Whether the last run passed, when it ran, and when a run last passed.
fn last_run(out: &mut String, r: &Report, previous: Option<&str>, passed: bool) {
    let now = seconds(r.generated_at);
    header(
        out,
        "vigil_last_run_passed",
        "1 when the last run had no finding at error severity, else 0.",
    );
    let _ = writeln!(out, "vigil_last_run_passed {}", u8::from(passed));

    header(
        out,
        "vigil_last_run_timestamp_seconds",
        "When the last run finished, in seconds since the Unix epoch.",
    );
    let _ = writeln!(out, "vigil_last_run_timestamp_seconds {now}");

    let success = if passed {
        Some(now)
    } else {
        previous.and_then(last_success)
    };
    header(
        out,
        LAST_SUCCESS,
        "When the last passing run finished, in seconds since the Unix epoch; absent until a run passes.",
    );
    if let Some(t) = success {
        let _ = writeln!(out, "{LAST_SUCCESS} {t}");
    }
}

/// `vigil_last_success_timestamp_seconds` from a file this format wrote, if it holds a sane one.
/// Anything else (another format, a damaged file) gives `None`: the value is then absent, never
/// invented.
pub fn last_success(previous: &str) -> Option<u64> {
    previous.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != LAST_SUCCESS {
            return None;
        }
        let value: f64 = words.next()?.parse().ok()?;
        // Whole seconds, from the epoch to far beyond any real clock.
        (value.is_finite() && (0.0..1e12).contains(&value) && value.fract() == 0.0)
            .then_some(value as u64)
    })
}

/// `# HELP` and `# TYPE` lines; every metric here is a gauge.
fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", help_text(help));
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// A label value, escaped as the text format requires: backslash, double quote and line feed.
fn label(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// HELP text, escaped: backslash and line feed.
fn help_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(help_text("x\\y\nz"), "x\\\\y\\nz");
    }

    #[test]
    fn last_success_is_read_back_only_when_sane() {
        let text = "# HELP vigil_last_success_timestamp_seconds x\n\
                    vigil_last_run_timestamp_seconds 20\n\
                    vigil_last_success_timestamp_seconds 1795000000\n";
        assert_eq!(last_success(text), Some(1_795_000_000));
        for bad in [
            "",
            "vigil_last_success_timestamp_seconds",
            "vigil_last_success_timestamp_seconds NaN",
            "vigil_last_success_timestamp_seconds -5",
            "vigil_last_success_timestamp_seconds 1.5",
            "vigil_last_success_timestamp_seconds +Inf",
            "vigil_last_success_timestamp_seconds_total 7",
            "{\"schema_version\": 1}",
        ] {
            assert_eq!(last_success(bad), None, "{bad:?}");
        }
    }
}
