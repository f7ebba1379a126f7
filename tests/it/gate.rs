//! `vigil gate`: the release gate's PASS and FAIL cases over real git repositories.

use crate::nightly::approved_ca;
use crate::support::{Run, Sandbox};

/// The summary with everything that changes from run to run replaced: the sandbox path, times, the
/// manifest's own hash (it covers the approval time) and commit ids (the manifest's commit covers it).
fn summary(s: &Sandbox, r: &Run) -> String {
    let mut text = s
        .redact(&r.stdout)
        .replace(&format!("vigil {}", vigil::VERSION), "vigil [VERSION]");
    if let Ok(m) = std::fs::read(s.path("approved/server.toml")) {
        text = text.replace(blake3::hash(&m).to_hex().as_str(), "[MANIFEST-BLAKE3]");
    }
    let head = s.git(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    if !head.is_empty() {
        text = text.replace(&head, "[HEAD]");
    }
    let id = regex::Regex::new(r"\b[0-9a-f]{40}\b").unwrap();
    let text = id.replace_all(&text, "[COMMIT]").into_owned();
    let short = regex::Regex::new(r"\b[0-9a-f]{12}\b").unwrap();
    short.replace_all(&text, "[SHORT]").into_owned()
}

#[test]
fn clean_and_committed_passes() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let r = s.vigil(&["gate", "server"]).expect(0);
    assert!(r.stdout.starts_with("vigil gate: PASS\n"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!("gate_pass", summary(&s, &r));
}

#[test]
fn summary_can_be_written_to_a_file_for_the_ticket() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let file = s.outside().join("ticket/CHG-1234.txt");
    let r = s
        .vigil_in(
            &s.root,
            &["gate", "server", "--output", file.to_str().unwrap()],
        )
        .expect(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), r.stdout);
}

#[test]
fn uncommitted_manifest_fails() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\n",
    )
    .file("profiles/server.cnf", "[server]\n");
    s.commit_all("profiles");
    s.vigil(&["approve", "server"]).expect(0);
    // Approved but the manifest was never committed: the nightly check says so too.
    let c = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(c.finding_codes(), ["untracked approved/server.toml"]);
    let r = s.vigil(&["gate", "server"]).expect(1);
    insta::assert_snapshot!("gate_fail_manifest_untracked", summary(&s, &r));

    // Committed, then edited by hand: modified, not committed.
    s.commit_all("approve");
    s.vigil(&["gate", "server"]).expect(0);
    let m = s.read("approved/server.toml");
    s.file(
        "approved/server.toml",
        &m.replace("approved-by = \"Ada", "approved-by = \"Eve"),
    );
    let r = s.vigil(&["gate", "server", "--color", "never"]).expect(1);
    assert!(
        r.stdout.contains("approved by: Eve Approver"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("error   uncommitted      approved/server.toml\n"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("the approved manifest itself is modified, not committed: commit it"));
    // Staged is not committed either.
    s.git_ok(&["add", "approved/server.toml"]);
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(r.stdout.contains("staged, not committed"), "{}", r.stdout);
}

#[test]
fn approval_recorded_on_a_commit_outside_the_history_fails() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\n",
    )
    .file("profiles/server.cnf", "[server]\n");
    s.commit_all("profiles");
    // Approved on a side branch, whose commit never reaches main...
    s.git_ok(&["checkout", "-q", "-b", "side"]);
    s.file("notes.txt", "side work\n");
    s.commit_all("side work");
    let side = s.git(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    s.vigil(&["approve", "server"]).expect(0);
    let manifest = s.read("approved/server.toml");
    assert!(manifest.contains(&side), "{manifest}");
    s.remove("approved/server.toml");
    // ...and the manifest copied onto main by hand: components match, the manifest is committed, but
    // the approval does not belong to this history.
    s.git_ok(&["checkout", "-q", "main"]);
    s.file("approved/server.toml", &manifest);
    s.commit_all("copy the approval from side");
    s.vigil(&["check"]).expect(0);
    let r = s.vigil(&["gate", "server"]).expect(1);
    let text = summary(&s, &r);
    assert!(
        text.contains("foreign-approval") && text.contains("is not an ancestor of HEAD"),
        "{text}"
    );
    insta::assert_snapshot!("gate_fail_foreign_approval", text);

    // A team that squash-merges may relax it; the gate then passes with the warning shown.
    s.file(
        "vigil.toml",
        "[severity.gate]\nforeign-approval = \"warning\"\n\n[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\n",
    );
    s.commit_all("relax foreign-approval");
    let r = s.vigil(&["gate", "server"]).expect(0);
    assert!(
        r.stdout.starts_with("vigil gate: PASS (1 warning)"),
        "{}",
        r.stdout
    );

    // Merging the side branch brings the approval's commit into the history: the gate passes.
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\n",
    );
    s.commit_all("strict again");
    s.vigil(&["gate", "server"]).expect(1);
    s.git_ok(&[
        "merge",
        "-q",
        "--no-edit",
        "-s",
        "ours",
        "side",
        "-m",
        "merge side",
    ]);
    s.vigil(&["gate", "server"]).expect(0);
}

#[test]
fn an_unknown_recorded_commit_fails() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let m = s.read("approved/server.toml");
    let re = regex::Regex::new(r#"id = "[0-9a-f]{40}""#).unwrap();
    let forged = re
        .replace(&m, format!("id = \"{}\"", "1".repeat(40)).as_str())
        .into_owned();
    s.file("approved/server.toml", &forged);
    s.commit_all("forge the recorded commit");
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("commit 111111111111 is not in this repository"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_warning_in_nightly_runs_fails_the_gate() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n",
    )
    .file("a.cnf", "a\n")
    .file("b.cnf", "b\n");
    s.commit_all("profiles");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    // b.cnf leaves the profile without a new approval: orphaned, a warning by default.
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"a.cnf\"]\n",
    );
    s.commit_all("drop b.cnf");
    let nightly = s.vigil(&["check", "--format", "json"]).expect(0);
    assert_eq!(nightly.json()["findings"][0]["severity"], "warning");
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout.starts_with("vigil gate: FAIL (1 error)"),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!("gate_fail_orphaned", summary(&s, &r));

    // `[severity.gate]` may relax it.
    s.file(
        "vigil.toml",
        "[severity.gate]\norphaned = \"warning\"\n\n[profiles.server]\ncomponents = [\"a.cnf\"]\n",
    );
    s.commit_all("relax orphaned in the gate");
    let r = s.vigil(&["gate", "server"]).expect(0);
    assert!(
        r.stdout.starts_with("vigil gate: PASS (1 warning)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("warning orphaned"), "{}", r.stdout);
}

#[test]
fn stale_and_uncommitted_components_fail_with_their_chain() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    let r = s.vigil(&["gate", "server"]).expect(1);
    insta::assert_snapshot!("gate_fail_stale", summary(&s, &r));
    // Committed, it is still stale: the change was never approved.
    s.commit_all("825 days");
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(r.stdout.contains("error   stale"), "{}", r.stdout);
    assert!(!r.stdout.contains("uncommitted"), "{}", r.stdout);
}

#[test]
fn never_approved_and_no_version_control_fail() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"a.cnf\"]\n",
    )
    .file("a.cnf", "a\n");
    s.commit_all("profiles");
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("manifest:    none (the profile was never approved)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("error   unapproved"), "{}", r.stdout);

    let s = Sandbox::plain();
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"a.cnf\"]\n",
    )
    .file("a.cnf", "a\n");
    // Approval refuses untracked components, so write a manifest by hand: the gate still fails.
    s.file(
        "approved/server.toml",
        "manifest-version = 1\nvigil-version = \"0.1.0\"\nprofile = \"server\"\napproved-by = \"x\"\napproved-at = \"2020-09-01T00:00:00Z\"\n\n[revision]\nvcs = \"none\"\nlocal-changes = false\n\n[[component]]\npath = \"a.cnf\"\nkind = \"file\"\nsize = 2\nblake3 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n",
    );
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("approved/server.toml (NOT committed: untracked)"),
        "{}",
        r.stdout
    );
}

#[test]
fn usage_errors_exit_2() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let r = s.vigil(&["gate"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = s.vigil(&["gate", "servr"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `server`?"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn names_the_commit_that_landed_the_approval_not_its_parent() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let landed = s.git(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    let parent = s.git(&["rev-parse", "HEAD~1"]).stdout.trim().to_string();
    // A later commit that leaves the manifest alone: the approval is still the commit before it.
    s.file("README", "later\n");
    s.commit_all("unrelated");
    let r = s.vigil(&["gate", "server"]).expect(0);
    assert!(
        r.stdout.contains(&format!(
            "  approval:    git {landed} (the commit that landed this manifest)\n"
        )),
        "{}",
        r.stdout
    );
    // The manifest records the commit it was made on: the parent of its own commit.
    assert!(
        r.stdout.contains(&format!(
            "  approved on: git {parent}, in the checked history\n"
        )),
        "{}",
        r.stdout
    );
}

#[test]
fn an_uncommitted_approval_has_no_commit_to_name() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let cnf = std::fs::read_to_string(s.path("profiles/server.cnf")).unwrap();
    s.file("profiles/server.cnf", &format!("{cnf}# reviewed again\n"));
    s.vigil(&["approve", "server", "--reason", "again"])
        .expect(0);
    let r = s.vigil(&["gate", "server"]).expect(1);
    assert!(
        r.stdout
            .contains("  approval:    no commit yet (the manifest is not committed)\n"),
        "{}",
        r.stdout
    );
}
