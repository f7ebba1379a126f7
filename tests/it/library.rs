//! The library's facade, used as a program would use it: the same workspace checked through
//! `vigil::Workspace` and through the command gives the same findings in the same JSON.

use crate::nightly::broken_ca;
use crate::support::Sandbox;

#[test]
fn the_facade_checks_a_workspace_as_the_command_does() {
    let s = Sandbox::git_repo();
    broken_ca(&s);
    let command = s
        .vigil(&["check", "--no-cache", "--format", "json"])
        .expect(1)
        .json();

    let root = s.root.canonicalize().unwrap();
    let ws = vigil::Workspace::load(None, &root).unwrap_or_else(|e| panic!("{e}"));
    let report = ws
        .check(&[], vigil::Mode::Nightly)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.failed());
    let codes: Vec<vigil::Code> = report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&vigil::Code::Stale), "{codes:?}");
    let json = vigil::render(&report, vigil::Format::Json, false);
    let library: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert!(!command["findings"].as_array().unwrap().is_empty());
    assert_eq!(library["findings"], command["findings"]);
    assert_eq!(library["profiles"], command["profiles"]);
}

#[test]
fn the_facade_reports_errors_as_values() {
    let s = Sandbox::plain();
    let e = vigil::Workspace::load(None, &s.root)
        .err()
        .expect("no vigil.toml here");
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("no vigil.toml found"), "{e}");
}
