//! The release gate's own decisions over a workspace on disk and a fake version control: the
//! manifest must be committed, and the revision it records must be in the checked history.

use crate::gate::{gate_as_of, Gate};
use crate::requirements::Date;
use crate::testing::{ca, ca_manifest, lines, DiskWorkspace, FakeVcs};
use crate::vcs::{Lineage, Status};

fn run(d: &DiskWorkspace, vcs: &FakeVcs) -> Gate {
    gate_as_of(&d.workspace(), vcs, &[], Date::today(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_approved_committed_workspace_passes_with_every_count() {
    let g = run(&DiskWorkspace::ca(true), &FakeVcs::git());
    assert!(g.passed(), "{:?}", lines(&g.report.findings));
    assert_eq!(lines(&g.report.findings), Vec::<String>::new());
    let p = &g.profiles[0];
    assert_eq!(
        (p.components, p.rehashed, p.committed, p.matching),
        (2, 2, 2, 2)
    );
    assert_eq!(p.manifest_status, Some(Status::Committed));
    assert_eq!(p.lineage, Some(Lineage::InHistory));
    assert_eq!(g.findings_of("server").count(), 0);
}

#[test]
fn foreign_approval_when_the_recorded_revision_is_outside_the_history() {
    let vcs = FakeVcs::git().foreign("c0ffee", "not an ancestor of HEAD");
    let g = run(&DiskWorkspace::ca(true), &vcs);
    assert!(!g.passed());
    assert_eq!(
        lines(&g.report.findings),
        ["error foreign-approval approved/server.toml"]
    );
    assert_eq!(
        g.report.findings[0].message,
        "the approval was made on git revision c0ffee, outside the checked history: not an ancestor of HEAD"
    );
    assert!(matches!(g.profiles[0].lineage, Some(Lineage::Outside(_))));
}

#[test]
fn foreign_approval_when_approved_under_another_version_control() {
    let d = DiskWorkspace::ca(true);
    d.write(
        ca::MANIFEST,
        &ca_manifest(Some("12")).replace("vcs = \"git\"", "vcs = \"svn\""),
    );
    let g = run(&d, &FakeVcs::git());
    assert_eq!(
        lines(&g.report.findings),
        ["error foreign-approval approved/server.toml"]
    );
    assert!(g.report.findings[0]
        .message
        .contains("it was approved under svn, but this workspace uses git"));
}

#[test]
fn an_approval_before_the_first_commit_is_in_every_history() {
    let d = DiskWorkspace::ca(false);
    d.write(ca::MANIFEST, &ca_manifest(None));
    let g = run(&d, &FakeVcs::git().foreign("c0ffee", "never asked"));
    assert!(g.passed(), "{:?}", lines(&g.report.findings));
    assert_eq!(g.profiles[0].lineage, None);
}

#[test]
fn foreign_approval_can_be_relaxed_by_configuration() {
    let d = DiskWorkspace::ca(true);
    d.write(
        "vigil.toml",
        &format!(
            "[severity.gate]\nforeign-approval = \"off\"\n{}",
            ca::CONFIG
        ),
    );
    let g = run(&d, &FakeVcs::git().foreign("c0ffee", "not an ancestor"));
    assert!(g.passed(), "{:?}", lines(&g.report.findings));
}

#[test]
fn the_manifest_itself_must_be_committed_with_the_gates_wording() {
    let d = DiskWorkspace::ca(true);
    let cases = [
        (
            Status::Untracked(None),
            "error untracked approved/server.toml",
            "the approved manifest itself is not under version control: commit it",
        ),
        (
            Status::Ignored,
            "error ignored approved/server.toml",
            "the approved manifest itself is matched by an ignore rule, so it is not under version control",
        ),
        (
            Status::Uncommitted("modified".into()),
            "error uncommitted approved/server.toml",
            "the approved manifest itself is modified: commit it",
        ),
    ];
    for (status, line, message) in cases {
        let g = run(&d, &FakeVcs::git().status_of(ca::MANIFEST, status.clone()));
        assert_eq!(lines(&g.report.findings), [line], "{status:?}");
        assert_eq!(g.report.findings[0].message, message);
        assert_eq!(g.profiles[0].manifest_status, Some(status));
    }
}

#[test]
fn the_gate_rereads_every_byte_and_judges_with_its_severities() {
    let d = DiskWorkspace::ca(true);
    d.write("validity/398.cnf", "default_days = 825\n");
    d.write(
        "profiles/server.cnf",
        "[ext]\nkeyUsage = digitalSignature\n",
    );
    let g = run(&d, &FakeVcs::git());
    assert_eq!(
        lines(&g.report.findings),
        [
            "error stale profiles/server.cnf via declared `profiles/server.cnf`",
            // A warning elsewhere, an error at the gate.
            "error orphaned validity/398.cnf",
        ]
    );
    let p = &g.profiles[0];
    assert_eq!((p.components, p.rehashed, p.matching), (1, 1, 0));
}

#[test]
fn an_unapproved_profile_fails_the_gate() {
    let g = run(&DiskWorkspace::ca(false), &FakeVcs::git());
    assert!(!g.passed());
    assert_eq!(
        lines(&g.report.findings),
        ["error unapproved approved/server.toml"]
    );
    assert!(g.profiles[0].manifest.is_none());
    assert_eq!(g.profiles[0].lineage, None);
}
