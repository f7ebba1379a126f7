//! The bundled examples: the CA profile set in `examples/ca` and the replay of the 2020 incident.
//!
//! `examples/ca` lives inside this repository and uses its git history, so these tests run vigil from
//! the crate root on the real files. They must pass on a developer's machine with local edits, so they
//! pin the committed state (one stale component) and only demand "nothing else" on a clean tree.

use crate::support::{vigil_bin, Run};
use std::path::Path;
use std::process::{Command, Stdio};

/// The component that `examples/ca` deliberately changed after approval.
const EDITED: &str = "validity/cisco-vpn-server.cnf";

/// A day inside the 200-day window of SC-081 (2026-03-15 to 2027-03-15), after the example's approvals:
/// the checks below judge it, not the day the suite runs, whose requirements change with the calendar.
const AS_OF: &str = "2026-12-01";

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A command with the variables a git hook or the caller's colour settings would leak removed.
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(crate_root())
        .stdin(Stdio::null())
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .env_remove("VIGIL");
    c
}

fn run(c: &mut Command) -> Run {
    let o = c.output().expect("runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn vigil(args: &[&str]) -> Run {
    run(command(vigil_bin())
        .args(["--config", "examples/ca"])
        .args(args))
}

/// True when git reports no local change under `examples/`.
fn examples_clean() -> bool {
    let r = run(command("git").args(["status", "--porcelain", "--", "examples"]));
    r.code == 0 && r.stdout.trim().is_empty()
}

#[test]
fn bundled_ca_example_has_exactly_one_stale_component() {
    let r = vigil(&["check", "--format", "json", "--as-of", AS_OF]).expect(1);
    let j = r.json();
    let findings = j["findings"].as_array().expect("findings");
    let stale: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["code"] == "stale")
        .map(|f| (f["profile"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(stale, [("cisco-vpn-server", EDITED)], "{}", r.stdout);
    let profiles: Vec<&str> = j["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(profiles, ["cisco-vpn-server", "client-auth", "tls-server"]);
    if examples_clean() {
        let mut codes = r.finding_codes();
        codes.sort();
        assert_eq!(
            codes,
            [
                format!("stale {EDITED}"),
                format!("unreviewed {EDITED}"),
                format!("violation {EDITED}"),
            ],
            "on a clean tree the stale component is the only problem: changed, unreviewed, and over \
             the 200-day limit of SC-081"
        );
    }
}

#[test]
fn bundled_ca_example_as_of_2027_03_15_shows_what_the_100_day_rule_breaks() {
    let r = vigil(&["check", "--as-of", "2027-03-15"]).expect(1);
    assert!(
        r.stdout.contains("violation    validity/tls-server.cnf:5")
            && r.stdout
                .contains("over the maximum of 100 days (cabf-tls-br/validity-100"),
        "{}",
        r.stdout
    );
    let r = vigil(&["check", "tls-server", "--as-of", AS_OF]).expect(0);
    assert!(!r.stdout.contains("violation"), "{}", r.stdout);
}

#[test]
fn bundled_ca_example_diff_shows_the_validity_change() {
    let r = vigil(&["diff", "cisco-vpn-server"]).expect(0);
    assert!(
        r.stdout.contains(&format!("--- approved/{EDITED}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("-default_days            = 199"),
        "the approved side is read from git history:\n{}",
        r.stdout
    );
    if examples_clean() {
        assert!(
            r.stdout.contains("+default_days            = 825"),
            "{}",
            r.stdout
        );
    }
}

#[test]
fn bundled_ca_example_folder_include_skips_non_cnf_files() {
    let r = vigil(&["inventory", "--format", "json"]).expect(0);
    let j = r.json();
    let vpn = j["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cisco-vpn-server")
        .expect("cisco-vpn-server");
    let paths: Vec<&str> = vpn["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .filter(|p| p.starts_with("extensions/cisco-vpn.d/"))
        .collect();
    assert_eq!(
        paths,
        [
            "extensions/cisco-vpn.d/10-eku.cnf",
            "extensions/cisco-vpn.d/20-san.cnf"
        ]
    );
}

#[test]
fn incident_2020_replay_is_caught() {
    let r = run(command("bash")
        .arg("examples/incident-2020.sh")
        .env("VIGIL", vigil_bin()))
    .expect(0);
    assert!(
        r.stdout
            .contains("untracked    extensions/cisco-vpn.d/90-validity.cnf"),
        "{}",
        r.stdout
    );
    // The requirement side: with the file committed and approved, the value it sets breaks SC31.
    assert!(
        r.stdout
            .contains("error   violation    extensions/cisco-vpn.d/90-validity.cnf:3\n")
            && r.stdout
                .contains("over the maximum of 398 days (cabf-tls-br/validity-398"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("vigil caught the 2020 incident"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("NOT CAUGHT"), "{}", r.stdout);
}
