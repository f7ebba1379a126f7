//! The shipped systemd units (`examples/nightly/`): they pass `systemd-analyze verify`, and
//! `systemd-analyze security --offline=yes` rates each service's exposure below 3 (the units were
//! 8.6 EXPOSED before they were hardened). Needs `systemd-analyze` (Debian package `systemd`), which
//! works on unit files without a running systemd.

use crate::support::vigil_bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const UNITS: [&str; 3] = [
    "vigil-nightly.service",
    "vigil-nightly.timer",
    "vigil-alert@.service",
];
const SERVICES: [&str; 2] = ["vigil-nightly.service", "vigil-alert@.service"];
/// Where the README's install steps put the README, which the units' `Documentation=` names.
const DOCUMENTATION: &str = "Documentation=file:///usr/local/share/doc/vigil/README.md";

fn nightly_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nightly")
}

fn systemd_analyze() -> Command {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "systemd-analyze is missing: install the Debian package `systemd` \
         (sudo apt-get install systemd), or run scripts/test, which installs it"
    );
    let mut c = Command::new("systemd-analyze");
    c.stdin(Stdio::null()).env("SYSTEMD_COLORS", "0");
    c
}

/// The units copied to a scratch folder, with the installed vigil path pointed at the binary under
/// test: `verify` checks that each command exists and is executable, and `/usr/local/bin/vigil` is
/// not installed on a test machine. Nothing else is changed.
fn installed_units() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let bin = vigil_bin();
    for unit in UNITS {
        let text = std::fs::read_to_string(nightly_dir().join(unit)).unwrap();
        assert!(
            unit.ends_with(".timer") || text.contains("/usr/local/bin/vigil"),
            "{unit} no longer runs /usr/local/bin/vigil: update this test"
        );
        let text = text.replace("/usr/local/bin/vigil", bin.to_str().unwrap());
        std::fs::write(dir.path().join(unit), text).unwrap();
    }
    dir
}

#[test]
fn shipped_units_verify_without_warnings() {
    let dir = installed_units();
    for unit in UNITS {
        // --man=no: verify would otherwise run `man` for every man: page in Documentation=.
        let o = systemd_analyze()
            .args(["verify", "--man=no"])
            .arg(dir.path().join(unit))
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&o.stderr);
        // verify exits 0 on unknown keys and other warnings, which would be settings systemd
        // ignores: an ignored hardening line is a hole, so any output fails the test.
        assert!(
            o.status.success() && stderr.trim().is_empty() && o.stdout.is_empty(),
            "systemd-analyze verify {unit}: {}\n{stderr}{}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

/// The number in "→ Overall exposure level for NAME: 1.5 OK 🙂".
fn exposure(output: &str) -> Option<f64> {
    let line = output
        .lines()
        .find(|l| l.contains("Overall exposure level for"))?;
    let (_, rest) = line.rsplit_once(": ")?;
    rest.split_whitespace().next()?.parse().ok()
}

#[test]
fn exposure_parser_reads_the_summary_line() {
    assert_eq!(
        exposure("x\n→ Overall exposure level for a@i.service: 1.5 OK 🙂\n"),
        Some(1.5)
    );
    assert_eq!(exposure("no summary"), None);
}

#[test]
fn shipped_services_are_rated_below_3_by_systemd_analyze_security() {
    let dir = installed_units();
    for unit in SERVICES {
        let stdout = security(&dir.path().join(unit));
        let level = exposure(&stdout).unwrap_or_else(|| {
            panic!(
                "no exposure level from systemd-analyze security {unit}:\n{stdout}{}",
                {
                    let o = security_run(&dir.path().join(unit));
                    format!("({}) {}", o.status, String::from_utf8_lossy(&o.stderr))
                }
            )
        });
        assert!(
            level < 3.0,
            "{unit} is rated {level}, expected below 3:\n{stdout}"
        );
    }
}

#[test]
fn shipped_units_name_the_readme_the_install_steps_put_in_place() {
    for unit in UNITS {
        let text = std::fs::read_to_string(nightly_dir().join(unit)).unwrap();
        assert!(
            text.lines().any(|l| l == DOCUMENTATION),
            "{unit} lacks {DOCUMENTATION}"
        );
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains("install -D -m 0644 README.md /usr/local/share/doc/vigil/README.md"),
        "the README's systemd install steps no longer install the README the units name"
    );
}

/// The settings the hardening is for, each judged by `systemd-analyze security` itself (a ✓ line),
/// not only through the overall rating: a read-only file system, no new privileges, no
/// capabilities and, for the check (the alert unit must send its message), no network.
#[test]
fn shipped_services_have_a_read_only_view_no_privileges_and_the_check_no_network() {
    let dir = installed_units();
    for unit in SERVICES {
        let stdout = security(&dir.path().join(unit));
        let mut want = vec![
            "ProtectSystem=",
            "NoNewPrivileges=",
            "CapabilityBoundingSet=~CAP_SYS_ADMIN",
            "AmbientCapabilities=",
        ];
        if unit == "vigil-nightly.service" {
            want.extend([
                "PrivateNetwork=",
                "RestrictAddressFamilies=~AF_(INET|INET6)",
                "IPAddressDeny=",
            ]);
        }
        for setting in want {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.starts_with(&format!("✓ {setting} "))),
                "{unit}: systemd-analyze security does not rate {setting} as met:\n{stdout}"
            );
        }
    }
}

/// What `systemd-analyze security --offline=yes` prints for the unit file `unit`.
fn security(unit: &std::path::Path) -> String {
    String::from_utf8_lossy(&security_run(unit).stdout).into_owned()
}

fn security_run(unit: &std::path::Path) -> std::process::Output {
    systemd_analyze()
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(unit)
        .output()
        .expect("systemd-analyze runs")
}
