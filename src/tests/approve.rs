//! `approve`'s decisions over a workspace on disk and a fake version control: what refuses an
//! approval whatever the severities, what it records, and when it writes nothing.

use crate::approve::{approve_satisfying, Outcome};
use crate::requirements::Date;
use crate::testing::{ca, lines, DiskWorkspace, FakeVcs};
use crate::vcs::Status;

fn run(d: &DiskWorkspace, vcs: &FakeVcs, by: Option<&str>) -> Outcome {
    approve_satisfying(
        &d.workspace(),
        vcs,
        &[],
        by.map(str::to_string),
        Some("test".into()),
        &[],
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn refused(o: Outcome) -> Vec<String> {
    match o {
        Outcome::Refused(f) => lines(&f),
        Outcome::Approved(a) => panic!("approved: {a:?}"),
    }
}

#[test]
fn approving_records_every_component_then_changes_nothing() {
    let d = DiskWorkspace::ca(false);
    let vcs = FakeVcs::git();
    let Outcome::Approved(a) = run(&d, &vcs, None) else {
        panic!("refused")
    };
    assert_eq!(a.len(), 1);
    assert!(a[0].written);
    let m = &a[0].manifest;
    assert_eq!(m.approved_by, "Ada <ada@example.org>");
    assert_eq!(m.reason.as_deref(), Some("test"));
    assert_eq!(m.revision.id.as_deref(), Some("c0ffee"));
    assert!(!m.revision.local_changes);
    let paths: Vec<String> = m.components.iter().map(|c| c.path.to_string()).collect();
    assert_eq!(paths, ["profiles/server.cnf", "validity/398.cnf"]);
    let text = d.read(ca::MANIFEST).expect("manifest written");
    assert!(text.contains(&crate::testing::blake3_hex(ca::VALIDITY.as_bytes())));
    // The same components again: nothing to write, the file is untouched.
    let Outcome::Approved(a) = run(&d, &vcs, Some("Someone Else")) else {
        panic!("refused")
    };
    assert!(!a[0].written);
    assert_eq!(d.read(ca::MANIFEST).unwrap(), text);
}

#[test]
fn an_approved_workspace_checks_clean() {
    let d = DiskWorkspace::ca(false);
    run(&d, &FakeVcs::git(), None);
    let g = crate::gate::gate_as_of(
        &d.workspace(),
        &FakeVcs::git(),
        &[],
        Date::today(),
        &mut |_| {},
    )
    .unwrap();
    assert!(g.passed(), "{:?}", lines(&g.report.findings));
}

#[test]
fn untracked_refuses_even_when_its_severity_is_relaxed() {
    let d = DiskWorkspace::ca(false);
    d.write(
        "vigil.toml",
        &format!("[severity.nightly]\nuntracked = \"note\"\n{}", ca::CONFIG),
    );
    let vcs = FakeVcs::git().status_of("validity/398.cnf", Status::Untracked(None));
    assert_eq!(
        refused(run(&d, &vcs, None)),
        [format!("note untracked validity/398.cnf {}", ca::INCLUDED)]
    );
    assert_eq!(d.read(ca::MANIFEST), None, "nothing written");
}

#[test]
fn blocking_codes_refuse_and_nothing_is_written() {
    let d = DiskWorkspace::ca(false);
    let o = run(
        &d,
        &FakeVcs::git().status_of("validity/398.cnf", Status::Untracked(None)),
        None,
    );
    assert_eq!(
        refused(o),
        [format!("error untracked validity/398.cnf {}", ca::INCLUDED)]
    );
    std::fs::remove_file(d.dir.path().join("validity/398.cnf")).unwrap();
    let o = run(&d, &FakeVcs::git(), None);
    assert_eq!(
        refused(o),
        [format!("error missing validity/398.cnf {}", ca::INCLUDED)]
    );
    assert_eq!(d.read(ca::MANIFEST), None);
}

#[test]
fn uncommitted_and_stale_do_not_block_and_local_changes_are_recorded() {
    let d = DiskWorkspace::ca(true);
    d.write("validity/398.cnf", "default_days = 825\n");
    let vcs = FakeVcs::git().status_of("validity/398.cnf", Status::Uncommitted("modified".into()));
    let Outcome::Approved(a) = run(&d, &vcs, Some("Bob")) else {
        panic!("refused")
    };
    assert!(a[0].written);
    assert_eq!(a[0].manifest.approved_by, "Bob");
    assert!(a[0].manifest.revision.local_changes);
}

#[test]
fn an_untracked_manifest_being_replaced_does_not_block() {
    let d = DiskWorkspace::ca(true);
    let vcs = FakeVcs::git().status_of(ca::MANIFEST, Status::Untracked(None));
    assert!(matches!(run(&d, &vcs, None), Outcome::Approved(_)));
}

#[test]
fn an_approval_before_the_first_commit_records_no_revision() {
    let d = DiskWorkspace::ca(false);
    let vcs = FakeVcs::git()
        .at(None)
        .otherwise(Status::Uncommitted("added".into()));
    let Outcome::Approved(a) = run(&d, &vcs, None) else {
        panic!("refused")
    };
    assert_eq!(a[0].manifest.revision.id, None);
    assert!(a[0].manifest.revision.local_changes);
    let text = d.read(ca::MANIFEST).unwrap();
    assert!(!text.contains("id = "), "no commit to record yet: {text}");
}
