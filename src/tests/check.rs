//! The check's findings, code by code: for each, a case that produces it and the same case minus the
//! one cause, which does not.

use crate::config::Mode;
use crate::testing::ca::{self, INCLUDED};
use crate::testing::{
    approved_file, check, config, lines, lines_of, manifest_text, message, FakeVcs, MemSource,
};
use crate::vcs::Status;

fn nightly(source: &MemSource, vcs: &FakeVcs) -> crate::check::Report {
    check(&config(ca::CONFIG), source, vcs, Mode::Nightly)
}

fn no_findings() -> Vec<String> {
    Vec::new()
}

#[test]
fn the_approved_ca_fixture_is_clean_and_asks_status_once() {
    let vcs = FakeVcs::git();
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(lines(&r.findings), no_findings());
    assert!(!r.failed());
    assert_eq!(vcs.queries(), 1, "one status query for the whole run");
    assert_eq!(r.profiles[0].components.len(), 2);
}

// ---- untracked

#[test]
fn untracked_included_component_is_reported_with_its_chain() {
    let vcs = FakeVcs::git().status_of("validity/398.cnf", Status::Untracked(None));
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(
        lines(&r.findings),
        [format!("error untracked validity/398.cnf {INCLUDED}")]
    );
    assert_eq!(
        message(&r, "untracked", "validity/398.cnf"),
        "on disk, but not under version control"
    );
}

#[test]
fn untracked_hint_is_carried_into_the_message() {
    let vcs = FakeVcs::git().otherwise(Status::Untracked(Some("in no repository".into())));
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(
        message(&r, "untracked", "validity/398.cnf"),
        "not under version control: in no repository"
    );
    // The manifest is asked too, with the check's wording.
    assert_eq!(
        message(&r, "untracked", ca::MANIFEST),
        "the approved manifest itself is not under version control: commit it"
    );
}

#[test]
fn committed_component_is_not_untracked() {
    let r = nightly(&ca::approved(), &FakeVcs::git());
    assert_eq!(lines_of(&r, "untracked"), no_findings());
}

// ---- ignored

#[test]
fn ignored_component_is_reported() {
    let vcs = FakeVcs::git().status_of("validity/398.cnf", Status::Ignored);
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(
        lines(&r.findings),
        [format!("error ignored validity/398.cnf {INCLUDED}")]
    );
    assert!(message(&r, "ignored", "validity/398.cnf").contains("ignore rule"));
}

#[test]
fn ignored_manifest_is_reported_as_the_manifest() {
    let vcs = FakeVcs::git().status_of(ca::MANIFEST, Status::Ignored);
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(lines(&r.findings), ["error ignored approved/server.toml"]);
    // The same wording as the gate's.
    assert_eq!(
        message(&r, "ignored", ca::MANIFEST),
        "the approved manifest itself is matched by an ignore rule, so it is not under version control"
    );
}

#[test]
fn committed_component_is_not_ignored() {
    let r = nightly(&ca::approved(), &FakeVcs::git());
    assert_eq!(lines_of(&r, "ignored"), no_findings());
}

// ---- uncommitted

#[test]
fn uncommitted_modification_says_how() {
    let vcs = FakeVcs::git().status_of("validity/398.cnf", Status::Uncommitted("modified".into()));
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(
        lines(&r.findings),
        [format!("error uncommitted validity/398.cnf {INCLUDED}")]
    );
    assert_eq!(message(&r, "uncommitted", "validity/398.cnf"), "modified");
}

#[test]
fn deleted_tracked_component_is_missing_and_its_deletion_uncommitted() {
    let vcs = FakeVcs::git().status_of("validity/398.cnf", Status::Uncommitted("deleted".into()));
    let r = nightly(&ca::approved().remove("validity/398.cnf"), &vcs);
    assert_eq!(
        lines(&r.findings),
        // Sorted by path, then by code in the order of the code table.
        [
            format!("error uncommitted validity/398.cnf {INCLUDED}"),
            format!("error missing validity/398.cnf {INCLUDED}"),
        ]
    );
}

#[test]
fn uncommitted_manifest_is_reported_in_the_check_but_not_by_the_check_in_gate_mode() {
    let vcs = FakeVcs::git().status_of(ca::MANIFEST, Status::Uncommitted("modified".into()));
    let r = nightly(&ca::approved(), &vcs);
    assert_eq!(
        message(&r, "uncommitted", ca::MANIFEST),
        "the approved manifest itself is modified: commit it"
    );
    // The gate asks about the manifest itself, with its own wording; the check leaves it out.
    let r = check(&config(ca::CONFIG), &ca::approved(), &vcs, Mode::Gate);
    assert_eq!(lines(&r.findings), no_findings());
}

#[test]
fn committed_component_is_not_uncommitted() {
    let r = nightly(&ca::approved(), &FakeVcs::git());
    assert_eq!(lines_of(&r, "uncommitted"), no_findings());
}

// ---- stale

#[test]
fn stale_after_an_edit() {
    let src = ca::approved().file("validity/398.cnf", "default_days = 825\n");
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines(&r.findings),
        [format!("error stale validity/398.cnf {INCLUDED}")]
    );
    let old = crate::testing::blake3_hex(ca::VALIDITY.as_bytes());
    let msg = message(&r, "stale", "validity/398.cnf");
    assert!(
        msg.starts_with("changed since approval (approved "),
        "{msg}"
    );
    assert!(msg.contains(&old[..12]), "{msg}");
    assert!(
        !msg.contains(&old[..13]),
        "hashes are shortened to 12: {msg}"
    );
}

#[test]
fn stale_when_only_the_executable_bit_changed() {
    let src = ca::approved().executable("validity/398.cnf", ca::VALIDITY);
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines(&r.findings),
        [format!("error stale validity/398.cnf {INCLUDED}")]
    );
    assert_eq!(
        message(&r, "stale", "validity/398.cnf"),
        "approved as file, now executable"
    );
}

#[test]
fn not_stale_when_the_content_is_rewritten_unchanged() {
    let src = ca::approved().file("validity/398.cnf", ca::VALIDITY);
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(lines_of(&r, "stale"), no_findings());
}

// ---- missing

#[test]
fn missing_include_target_names_the_referencing_line() {
    let src = ca::approved().file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include validity/gone.cnf\n",
    );
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines_of(&r, "missing"),
        ["error missing validity/gone.cnf via declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)"]
    );
    assert!(
        message(&r, "missing", "validity/gone.cnf").contains("referenced by profiles/server.cnf:2")
    );
}

#[test]
fn missing_declared_path() {
    let cfg = config("[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n");
    let src = MemSource::new().file("a.cnf", "a\n");
    let r = check(&cfg, &src, &FakeVcs::git(), Mode::Nightly);
    assert_eq!(
        lines_of(&r, "missing"),
        ["error missing b.cnf via declared `b.cnf`"]
    );
    let r = check(
        &cfg,
        &src.file("b.cnf", "b\n"),
        &FakeVcs::git(),
        Mode::Nightly,
    );
    assert_eq!(lines_of(&r, "missing"), no_findings());
}

#[test]
fn present_include_target_is_not_missing() {
    let r = nightly(&ca::approved(), &FakeVcs::git());
    assert_eq!(lines_of(&r, "missing"), no_findings());
}

// ---- unapproved

#[test]
fn unapproved_profile_without_manifest() {
    let r = nightly(&ca::unapproved(), &FakeVcs::git());
    assert_eq!(
        lines(&r.findings),
        ["error unapproved approved/server.toml"]
    );
    assert_eq!(
        message(&r, "unapproved", ca::MANIFEST),
        "the profile has no approved manifest"
    );
}

#[test]
fn unapproved_component_added_after_approval() {
    let src = ca::approved()
        .file(
            "profiles/server.cnf",
            ".include validity/398.cnf\n.include ext/ocsp.cnf\n",
        )
        .file(
            "ext/ocsp.cnf",
            "authorityInfoAccess = OCSP;URI:http://ocsp.example\n",
        );
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines(&r.findings),
        [
            "error unapproved ext/ocsp.cnf via declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)",
            "error stale profiles/server.cnf via declared `profiles/server.cnf`",
        ]
    );
    assert_eq!(
        message(&r, "unapproved", "ext/ocsp.cnf"),
        "not in the approved manifest approved/server.toml"
    );
}

#[test]
fn approved_components_are_not_unapproved() {
    let r = nightly(&ca::approved(), &FakeVcs::git());
    assert_eq!(lines_of(&r, "unapproved"), no_findings());
}

// ---- orphaned

#[test]
fn orphaned_component_is_a_warning_and_does_not_fail() {
    let cfg = config("[profiles.p]\ncomponents = [\"a.cnf\"]\n");
    let src = MemSource::new().file("a.cnf", "a\n").file(
        "approved/p.toml",
        manifest_text(
            "p",
            Some("c0ffee"),
            &[
                approved_file("a.cnf", b"a\n"),
                approved_file("b.cnf", b"b\n"),
            ],
        ),
    );
    let r = check(&cfg, &src, &FakeVcs::git(), Mode::Nightly);
    assert_eq!(lines(&r.findings), ["warning orphaned b.cnf"]);
    assert!(!r.failed());
    assert_eq!(
        message(&r, "orphaned", "b.cnf"),
        "in the approved manifest approved/p.toml, but no longer referenced by the profile"
    );
    // The gate makes it an error, and a configured severity overrides either.
    let r = check(&cfg, &src, &FakeVcs::git(), Mode::Gate);
    assert_eq!(lines(&r.findings), ["error orphaned b.cnf"]);
    let cfg =
        config("[severity.gate]\norphaned = \"note\"\n[profiles.p]\ncomponents = [\"a.cnf\"]\n");
    let r = check(&cfg, &src, &FakeVcs::git(), Mode::Gate);
    assert_eq!(lines(&r.findings), ["note orphaned b.cnf"]);
}

#[test]
fn missing_component_is_not_also_orphaned() {
    let r = nightly(&ca::approved().remove("validity/398.cnf"), &FakeVcs::git());
    assert_eq!(lines_of(&r, "orphaned"), no_findings());
    assert_eq!(lines_of(&r, "missing").len(), 1);
}

// ---- outside-root

#[test]
fn outside_root_include_with_dot_dot() {
    let src = ca::approved().file("profiles/server.cnf", ".include ../validity.cnf\n");
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines_of(&r, "outside-root"),
        ["error outside-root ../validity.cnf via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)"]
    );
    assert!(message(&r, "outside-root", "../validity.cnf").contains("outside the workspace"));
}

#[test]
fn absolute_include_outside_and_inside_the_workspace_root() {
    let src = ca::approved().file("profiles/server.cnf", ".include /etc/ssl/validity.cnf\n");
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines_of(&r, "outside-root"),
        ["error outside-root /etc/ssl/validity.cnf via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)"]
    );
    let src = ca::approved().file("profiles/server.cnf", ".include /ws/validity/398.cnf\n");
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(lines_of(&r, "outside-root"), no_findings());
    assert_eq!(
        lines(&r.findings),
        ["error stale profiles/server.cnf via declared `profiles/server.cnf`"]
    );
}

#[test]
fn dot_dot_that_stays_inside_is_not_outside_root() {
    let cfg = config("[profiles.p]\ncomponents = [\"a.cnf\", \"sub/../b.cnf\"]\n");
    let src = MemSource::new().file("a.cnf", "a\n").file("b.cnf", "b\n");
    let r = check(&cfg, &src, &FakeVcs::git(), Mode::Nightly);
    assert_eq!(lines(&r.findings), ["error unapproved approved/p.toml"]);
}

// ---- unreadable

#[test]
fn unreadable_fifo_is_reported_and_never_opened() {
    let cfg =
        config("[profiles.p]\ncomponents = [\"validity/\"]\nfollow = [\"openssl-include\"]\n");
    let src = MemSource::new()
        .file("validity/398.cnf", "default_days = 397\n")
        .fifo("validity/pipe.cnf");
    let vcs = FakeVcs::git();
    let r = check(&cfg, &src, &vcs, Mode::Nightly);
    assert_eq!(
        lines_of(&r, "unreadable"),
        ["error unreadable validity/pipe.cnf via declared `validity/`"]
    );
    assert!(message(&r, "unreadable", "validity/pipe.cnf").contains("FIFO"));
    assert_eq!(src.opened("validity/pipe.cnf"), 0);
    // Nor is version control asked about it.
    assert!(vcs.queries() == 1);
}

#[test]
fn unreadable_by_permissions_is_left_out_of_the_status_query() {
    let src = ca::approved().deny("validity/398.cnf");
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(
        lines(&r.findings),
        [format!("error unreadable validity/398.cnf {INCLUDED}")]
    );
    assert!(message(&r, "unreadable", "validity/398.cnf").starts_with("cannot be read: "));
}

#[test]
fn readable_file_is_not_unreadable_and_is_read_once() {
    let src = ca::approved();
    let r = nightly(&src, &FakeVcs::git());
    assert_eq!(lines_of(&r, "unreadable"), no_findings());
    // Scanned for references and hashed from the same read.
    assert_eq!(src.opened("profiles/server.cnf"), 1);
    assert_eq!(src.opened("validity/398.cnf"), 1);
}

// ---- severities and order

#[test]
fn a_code_set_off_is_dropped_and_findings_are_sorted() {
    let vcs = FakeVcs::git().otherwise(Status::Untracked(None));
    let cfg = config(&format!(
        "[severity.nightly]\nuntracked = \"off\"\n{}",
        ca::CONFIG
    ));
    let r = check(&cfg, &ca::unapproved(), &vcs, Mode::Nightly);
    // A finding on vigil.toml itself cannot be switched off by the file it judges.
    assert_eq!(
        lines(&r.findings),
        [
            "error unapproved approved/server.toml",
            "error untracked vigil.toml"
        ]
    );
    let r = nightly(&ca::unapproved(), &vcs);
    assert_eq!(
        lines(&r.findings),
        [
            "error unapproved approved/server.toml".to_string(),
            "error untracked profiles/server.cnf via declared `profiles/server.cnf`".to_string(),
            format!("error untracked validity/398.cnf {INCLUDED}"),
            "error untracked vigil.toml".to_string(),
        ]
    );
}

#[test]
fn an_unknown_profile_is_refused_with_a_suggestion() {
    let cx = crate::check::Context {
        config: &config(ca::CONFIG),
        root: None,
        source: &ca::approved(),
        vcs: &FakeVcs::git(),
        mode: Mode::Nightly,
    };
    let e = crate::check::run(&cx, &["sever".into()], &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("did you mean `server`"), "{e}");
}
