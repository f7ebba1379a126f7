//! `vigil check --format prometheus`: the textfile-collector output, read back by the Prometheus
//! Python client's own parser (`prometheus_client`, installed by `scripts/test` into
//! `target/test-venv`), and the last passing run carried over a failing one.

use crate::nightly::approved_ca;
use crate::support::Sandbox;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Parses the text with `prometheus_client.parser` and returns each family as
/// `{"name", "type", "help", "samples": [{"name", "labels", "value"}]}`.
pub(crate) fn parse(text: &str) -> Vec<Value> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin/python3");
    let script = r#"
import json, sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit(3)
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
"#;
    let child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let missing = "prometheus_client is missing: run scripts/test, which installs it into \
                   target/test-venv (python3 -m venv target/test-venv && \
                   target/test-venv/bin/pip install prometheus-client)";
    let mut child = child.unwrap_or_else(|e| panic!("{missing} ({}: {e})", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_ne!(o.status.code(), Some(3), "{missing}");
    assert!(
        o.status.success(),
        "prometheus_client rejects the output: {}\n{text}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn family<'a>(families: &'a [Value], name: &str) -> &'a Value {
    families
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no family {name} in {families:#?}"))
}

/// The one sample of a metric without labels.
fn value(families: &[Value], name: &str) -> Option<f64> {
    let samples = family(families, name)["samples"].as_array().unwrap();
    assert!(samples.len() <= 1, "{name}: {samples:?}");
    samples.first().map(|s| s["value"].as_f64().unwrap())
}

#[test]
fn every_family_is_a_documented_gauge_the_real_parser_accepts() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let r = s.vigil(&["check", "--format", "prometheus"]).expect(0);
    let families = parse(&r.stdout);
    let names: Vec<&str> = families
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "vigil_findings",
            "vigil_profile_findings",
            "vigil_profile_approved_info",
            "vigil_revision_info",
            "vigil_last_run_passed",
            "vigil_last_run_timestamp_seconds",
            "vigil_last_success_timestamp_seconds",
        ]
    );
    for f in &families {
        assert_eq!(f["type"], "gauge", "{f}");
        assert!(!f["help"].as_str().unwrap().is_empty(), "{f}");
    }
}

#[test]
fn counts_revisions_and_times_and_a_failing_run_keeps_the_last_success() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let out = s.path("metrics/vigil.prom");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let out_arg = out.to_str().unwrap();

    // A passing run: no finding, the approved revision, success now.
    s.vigil(&["check", "--format", "prometheus", "--output", out_arg])
        .expect(0);
    let pass = parse(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(
        family(&pass, "vigil_findings")["samples"],
        Value::Array(vec![])
    );
    let manifest = s.check_json().expect(0).json()["profiles"][0]["manifest"]["revision"].clone();
    let approved = &family(&pass, "vigil_profile_approved_info")["samples"];
    assert_eq!(approved.as_array().unwrap().len(), 1, "{approved}");
    assert_eq!(approved[0]["labels"]["profile"], "server");
    assert_eq!(approved[0]["labels"]["revision"], manifest);
    assert_eq!(approved[0]["value"], 1.0);
    assert_eq!(value(&pass, "vigil_last_run_passed"), Some(1.0));
    let ran = value(&pass, "vigil_last_run_timestamp_seconds").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - ran).abs() < 300.0, "run at {ran}, now {now}");
    assert_eq!(
        value(&pass, "vigil_last_success_timestamp_seconds"),
        Some(ran)
    );

    // The included file changes: stale and uncommitted, counted per code; the run fails, and the
    // last success is the passing run's, read back from the file this run replaced.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    s.file("validity/398.cnf", "default_days = 825\n");
    s.vigil(&["check", "--format", "prometheus", "--output", out_arg])
        .expect(1);
    let fail = parse(&std::fs::read_to_string(&out).unwrap());
    let mut findings: Vec<String> = family(&fail, "vigil_findings")["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let l = &x["labels"];
            format!(
                "{} {} {} {}",
                l["profile"].as_str().unwrap(),
                l["code"].as_str().unwrap(),
                l["severity"].as_str().unwrap(),
                x["value"].as_f64().unwrap()
            )
        })
        .collect();
    findings.sort();
    assert_eq!(
        findings,
        ["server stale error 1", "server uncommitted error 1"]
    );
    let totals = &family(&fail, "vigil_profile_findings")["samples"];
    assert_eq!(totals[0]["labels"]["severity"], "error");
    assert_eq!(totals[0]["value"], 2.0);
    assert_eq!(value(&fail, "vigil_last_run_passed"), Some(0.0));
    let failed_at = value(&fail, "vigil_last_run_timestamp_seconds").unwrap();
    assert!(failed_at > ran, "{failed_at} after {ran}");
    assert_eq!(
        value(&fail, "vigil_last_success_timestamp_seconds"),
        Some(ran)
    );

    // Written to stdout there is no earlier file: the last success is absent, not invented.
    let r = s.vigil(&["check", "--format", "prometheus"]).expect(1);
    assert_eq!(
        value(&parse(&r.stdout), "vigil_last_success_timestamp_seconds"),
        None
    );
}

#[test]
fn a_damaged_or_foreign_previous_file_only_loses_the_last_success() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    let out = s.path("vigil.prom");
    for previous in [
        "vigil_last_success_timestamp_seconds NaN\n",
        "{\"schema_version\": 1}\n",
        "\u{0}\u{1}garbage",
    ] {
        std::fs::write(&out, previous).unwrap();
        s.vigil(&[
            "check",
            "--format",
            "prometheus",
            "-o",
            out.to_str().unwrap(),
        ])
        .expect(1);
        let fail = parse(&std::fs::read_to_string(&out).unwrap());
        assert_eq!(
            value(&fail, "vigil_last_success_timestamp_seconds"),
            None,
            "{previous:?}"
        );
    }
}

/// `promtool` (Debian package `prometheus`), the Prometheus project's own checker; never skipped.
fn promtool() -> Command {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "promtool is missing: install the Debian package `prometheus` \
         (sudo apt-get install --no-install-recommends prometheus), or run scripts/test"
    );
    let mut c = Command::new("promtool");
    c.stdin(Stdio::null());
    c
}

#[track_caller]
fn succeeds(c: &mut Command) {
    let o = c.output().expect("promtool runs");
    assert!(
        o.status.success(),
        "{c:?}: {}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn promtool_accepts_the_metrics_and_the_shipped_alert_rules_fire_as_documented() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    let r = s.vigil(&["check", "--format", "prometheus"]).expect(1);
    // `check metrics` also lints (naming, HELP); it prints nothing for a clean file.
    let mut c = promtool();
    c.args(["check", "metrics"]).stdin(Stdio::piped());
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(r.stdout.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "promtool check metrics: {}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    let nightly = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/nightly");
    succeeds(
        promtool()
            .args(["check", "rules"])
            .arg(nightly.join("vigil.rules.yml")),
    );
    // The rules' unit tests: two hosts on two revisions, findings on one, a host that stopped.
    succeeds(
        promtool()
            .current_dir(&nightly)
            .args(["test", "rules", "vigil.rules.test.yml"]),
    );
}
