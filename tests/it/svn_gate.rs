//! `vigil gate` on Subversion working copies: PASS and FAIL cases over real repositories
//! (`svnadmin create`, `svn checkout file://...`).

use crate::support::Run;
use crate::svn_support::{Layout, Svn};
use std::path::Path;
use std::process::Command;

const CONFIG: &str = r#"
[profiles.server]
description = "TLS server"
components = ["profiles/server.cnf"]
follow = ["openssl-include"]
"#;

/// r2: the profile; r3: its approval (made on r2). The working copy is updated to r3.
fn approved(layout: Layout) -> Svn {
    let s = Svn::new(layout);
    write_profile(&s);
    s.commit_all("profiles");
    approve(&s);
    s.commit_all("approve server");
    s
}

fn write_profile(s: &Svn) {
    s.sb.file("vigil.toml", CONFIG)
        .file(
            "profiles/server.cnf",
            ".include validity/398.cnf\n[ext]\nkeyUsage = digitalSignature\n",
        )
        .file("validity/398.cnf", "default_days = 397\n");
}

fn approve(s: &Svn) {
    s.sb.vigil(&[
        "approve",
        "server",
        "--by",
        "Ada Approver",
        "--reason",
        "SC31: 398-day validity",
    ])
    .expect(0);
}

/// The summary with the sandbox path, times, the version and the manifest's own hash (it covers the
/// approval time) replaced. Revision numbers are deterministic and kept.
fn summary(s: &Svn, r: &Run) -> String {
    let mut text =
        s.sb.redact(&r.stdout)
            .replace(&format!("vigil {}", vigil::VERSION), "vigil [VERSION]");
    if let Ok(m) = std::fs::read(s.sb.path("approved/server.toml")) {
        text = text.replace(blake3::hash(&m).to_hex().as_str(), "[MANIFEST-BLAKE3]");
    }
    text
}

#[test]
fn clean_approved_working_copy_passes_and_names_the_revision() {
    let s = approved(Layout::TrunkCheckout);
    let r = s.sb.vigil(&["gate", "server"]).expect(0);
    assert!(r.stdout.starts_with("vigil gate: PASS\n"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
    assert!(r.stdout.contains("revision:    svn 3\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("approved on: svn 2, in the checked history"),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!("svn_gate_pass", summary(&s, &r));
}

#[test]
fn passes_under_trunk_and_right_after_a_commit_without_update() {
    // The repository root is checked out and the workspace is trunk/.
    let s = Svn::new(Layout::UnderTrunk);
    write_profile(&s);
    s.commit_all("profiles");
    approve(&s);
    // Committed without `svn update`: a mixed-revision working copy (folders at r2, the committed files
    // at r3). The approval (r2) is older than the manifest (r3): in the history.
    s.add_all();
    let c = s.commit("approve server");
    assert_eq!(c.code, 0, "{}", c.stderr);
    let st = s.svn_ok(&["status", "-v", "trunk/approved/server.toml", "trunk"]);
    assert!(st.stdout.contains("3        3"), "{}", st.stdout);
    let r = s.sb.vigil(&["gate", "server"]).expect(0);
    assert!(r.stdout.contains("revision:    svn 2\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("approved on: svn 2, in the checked history"),
        "{}",
        r.stdout
    );
    // The approval's own revision is the one that committed the manifest (r3), not the one it was
    // made on (r2), even though the working copy's folders are still at r2.
    assert!(
        r.stdout
            .contains("  approval:    svn 3 (the commit that landed this manifest)\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_uncommitted_manifest_fails() {
    let s = Svn::new(Layout::TrunkCheckout);
    write_profile(&s);
    s.commit_all("profiles");
    approve(&s);
    // Approved, never added: unversioned.
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(r.stdout.starts_with("vigil gate: FAIL"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("approved/server.toml (NOT committed: untracked)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("error   untracked        approved/server.toml"),
        "{}",
        r.stdout
    );
    // Added, not committed.
    s.add_all();
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("approved/server.toml (NOT committed: added, not committed)"),
        "{}",
        r.stdout
    );
    // Committed: it passes; then edited by hand: modified, not committed.
    let c = s.commit("approve");
    assert_eq!(c.code, 0, "{}", c.stderr);
    s.sb.vigil(&["gate", "server"]).expect(0);
    let m = s.sb.read("approved/server.toml");
    s.sb.file(
        "approved/server.toml",
        &m.replace("approved-by = \"Ada", "approved-by = \"Eve"),
    );
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("the approved manifest itself is modified, not committed: commit it"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("approved by: Eve Approver"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_stale_component_fails_even_when_committed() {
    let s = approved(Layout::TrunkCheckout);
    s.sb.file("validity/398.cnf", "default_days = 825\n");
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(r.stdout.contains("error   stale"), "{}", r.stdout);
    assert!(r.stdout.contains("error   uncommitted"), "{}", r.stdout);
    // Committed (r4), it is still stale: the change was never approved. The summary names r4.
    s.commit_all("825 days");
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout.starts_with("vigil gate: FAIL (1 error)\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("revision:    svn 4\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("error   stale            validity/398.cnf"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("via declared `profiles/server.cnf` → profiles/server.cnf:1"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("uncommitted"), "{}", r.stdout);
}

/// A staging repository is ahead of production: its approval (made on r6 there) is copied into the
/// production working copy, whose manifest lands at r4. Same bytes, so every component matches, and
/// the manifest is committed: only the lineage tells that the approval belongs to another history.
#[test]
fn an_approval_from_a_newer_revision_of_another_repository_fails() {
    let staging = Svn::new(Layout::TrunkCheckout);
    write_profile(&staging);
    staging.commit_all("profiles");
    for i in 0..4 {
        staging.sb.file("notes.txt", &format!("staging note {i}\n"));
        staging.commit_all("notes");
    }
    approve(&staging);
    let manifest = staging.sb.read("approved/server.toml");
    assert!(manifest.contains("id = \"6\""), "{manifest}");

    let s = Svn::new(Layout::TrunkCheckout);
    write_profile(&s);
    s.commit_all("profiles");
    s.sb.file("notes.txt", "production note\n");
    s.commit_all("notes");
    s.sb.file("approved/server.toml", &manifest);
    s.commit_all("copy the approval from staging");
    s.sb.vigil(&["check"]).expect(0);
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    let text = summary(&s, &r);
    assert!(text.contains("revision:    svn 4\n"), "{text}");
    assert!(
        text.contains("approved on: svn 6, OUTSIDE the checked history"),
        "{text}"
    );
    assert!(
        text.contains(
            "r6 is newer than the manifest approved/server.toml itself, which this working copy has at r4"
        ),
        "{text}"
    );
    assert!(text.contains("error   foreign-approval"), "{text}");

    // A hand-edited revision that is not a number fails too.
    let edited =
        s.sb.read("approved/server.toml")
            .replace("id = \"6\"", "id = \"HEAD\"");
    s.sb.file("approved/server.toml", &edited);
    s.commit_all("edit by hand");
    let r = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("`HEAD` is not a Subversion revision number"),
        "{}",
        r.stdout
    );
}

/// An old working copy (r3) updated path by path, never at its root: a mixed-revision working copy whose
/// root folder stays at r3 while the manifest, at r5, records an approval made on r4. The anchor is the
/// manifest's own revision, so the approval is in the history; the components are checked by hash as
/// always.
#[test]
fn a_mixed_revision_working_copy_anchors_on_the_manifest() {
    let s = approved(Layout::TrunkCheckout);
    let old = s.sb.outside().join("old-wc");
    svn_in(
        &s,
        s.sb.outside().as_path(),
        &[
            "checkout",
            "-q",
            &format!("{}/trunk", s.url),
            old.to_str().unwrap(),
        ],
    );
    // r4 changes a component, r5 approves it (on r4).
    s.sb.file("validity/398.cnf", "default_days = 200\n");
    s.commit_all("200 days");
    approve(&s);
    s.commit_all("approve 200 days");
    assert_eq!(s.youngest(), "5");

    // Only the manifest updated: the component on disk is the r3 one, stale against the r4 approval.
    svn_in(&s, &old, &["update", "-q", "approved"]);
    let r = s.sb.vigil_in(&old, &["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("error   stale            validity/398.cnf"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("approved on: svn 4, in the checked history"),
        "{}",
        r.stdout
    );

    // Every file updated, the root folder still at r3: what is on disk is what was approved.
    svn_in(
        &s,
        &old,
        &["update", "-q", "vigil.toml", "profiles", "validity"],
    );
    let r = s.sb.vigil_in(&old, &["gate", "server"]).expect(0);
    assert!(r.stdout.contains("revision:    svn 3\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("approved on: svn 4, in the checked history"),
        "{}",
        r.stdout
    );
}

fn svn_in(s: &Svn, dir: &Path, args: &[&str]) {
    let mut c = Command::new("svn");
    c.args(args).arg("--non-interactive").current_dir(dir);
    s.sb.env(&mut c);
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "svn {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
