//! `author-may-not-approve`: the author of a profile's change (the committer of the components' last
//! change in git, the author in Subversion) does not count toward its quorum, with real `ssh-keygen`
//! keys, a real git repository and a real Subversion working copy.

use crate::signed_approvals::{codes, key_str, keygen, line, PROFILE};
use crate::support::Sandbox;
use crate::svn_support::{Layout, Svn};
use std::path::PathBuf;

/// Every commit of the sandbox is made by this committer.
const AUTHOR: &str = "ada@ca.example";

const FINDING: &str = "insufficient-approvals approved/ca.toml";

fn signing(rule: &str) -> String {
    format!(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = 1\n{rule}\n{PROFILE}"
    )
}

/// A git workspace where the author (Ada, who commits everything) and Bob may approve, and Ada has
/// approved and signed her own change. Returns the sandbox and Bob's key.
fn signed_by_author(rule: &str) -> (Sandbox, PathBuf) {
    let probe = Sandbox::plain();
    let ada = keygen(&probe, "ada", &["-t", "ed25519"]);
    let bob = keygen(&probe, "bob", &["-t", "ed25519"]);
    let s = Sandbox::git_repo();
    s.config(&signing(rule))
        .file(
            "approvers/allowed_signers",
            // The principal differs in case from the committer's email: they still match.
            &format!(
                "{}\n{}\n",
                line("Ada@CA.example", &ada),
                line("bob@ca.example", &bob)
            ),
        )
        .file("ca/issuing.cnf", "default_days = 397\n");
    s.commit_all("profile");
    s.file("ca/issuing.cnf", "default_days = 398\n");
    s.commit_all("398 days");
    s.vigil(&["approve", "ca", "--sign", "--key", key_str(&ada)])
        .expect(0);
    s.commit_all("approve ca");
    // The keys live under `probe`, which goes away: keep copies beside the sandbox.
    for (key, name) in [(&ada, "ada"), (&bob, "bob")] {
        let kept = s.outside().join(name);
        std::fs::copy(key, &kept).unwrap();
        std::fs::copy(key.with_extension("pub"), kept.with_extension("pub")).unwrap();
    }
    let bob = s.outside().join("bob");
    (s, bob)
}

#[test]
fn the_author_signing_their_own_change_does_not_count() {
    let (s, _) = signed_by_author("author-may-not-approve = true\n");
    let r = s.check_json().expect(1);
    assert_eq!(codes(&r), vec![FINDING.to_string()]);
    let r = s.vigil(&["check"]).expect(1);
    assert!(
        r.stdout.contains(&format!(
            "`{AUTHOR}` does not count: the author of the change (git "
        )),
        "{}",
        r.stdout
    );
    let r = s.vigil(&["gate", "ca"]).expect(1);
    assert!(r.stdout.contains("insufficient-approvals"), "{}", r.stdout);
}

#[test]
fn a_second_person_signing_meets_the_quorum() {
    let (s, bob) =
        signed_by_author("[signing.profiles.ca]\nrequired = 1\nauthor-may-not-approve = true\n");
    assert_eq!(codes(&s.check_json().expect(1)), vec![FINDING.to_string()]);
    s.vigil(&["sign", "ca", "--key", key_str(&bob)]).expect(0);
    s.commit_all("bob co-signs");
    assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());
    s.vigil(&["gate", "ca"]).expect(0);
}

#[test]
fn without_the_setting_the_author_counts() {
    let (s, _) = signed_by_author("");
    assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());
    let (s, _) = signed_by_author("author-may-not-approve = false\n");
    assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());
}

#[test]
fn the_server_policy_turns_the_rule_on() {
    let (s, _) = signed_by_author("");
    let policy = s.outside().join("policy.toml");
    std::fs::write(&policy, "author-may-not-approve = true\n").unwrap();
    s.vigil(&["gate", "ca"]).expect(0);
    let r = s
        .vigil(&["gate", "ca", "--policy", policy.to_str().unwrap()])
        .expect(1);
    assert!(r.stdout.contains("insufficient-approvals"), "{}", r.stdout);
    assert!(
        r.stdout.contains("`ada@ca.example` does not count"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("relaxes"), "{}", r.stdout);
    // vigil.toml saying `false` outright goes below the policy: the gate names it.
    let (s, _) = signed_by_author("author-may-not-approve = false\n");
    let r = s
        .vigil(&["gate", "ca", "--policy", policy.to_str().unwrap()])
        .expect(1);
    assert!(
        r.stdout
            .contains("[signing] author-may-not-approve = false is below the server policy's true"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_svn_author_signing_their_own_change_does_not_count() {
    let probe = Sandbox::plain();
    let key = keygen(&probe, "svn-author", &["-t", "ed25519"]);
    let svn = Svn::new(Layout::TrunkCheckout);
    let s = &svn.sb;
    s.file("ca/issuing.cnf", "default_days = 397\n");
    svn.commit_all("profile");
    // The author Subversion records for the commits of this working copy (the user running them).
    let who = svn.svn(&[
        "info",
        "--show-item",
        "last-changed-author",
        "ca/issuing.cnf",
    ]);
    let who = who.stdout.trim().to_string();
    assert!(!who.is_empty(), "svn recorded no author");
    s.config(&signing("author-may-not-approve = true\n")).file(
        "approvers/allowed_signers",
        &format!("{}\n", line(&who, &key)),
    );
    s.vigil(&[
        "approve",
        "ca",
        "--by",
        "Ada <ada@ca.example>",
        "--sign",
        "--key",
        key_str(&key),
    ])
    .expect(0);
    svn.commit_all("approve ca, signed");
    let r = s.check_json().expect(1);
    assert_eq!(codes(&r), vec![FINDING.to_string()]);
    let r = s.vigil(&["check"]).expect(1);
    assert!(
        r.stdout.contains(&format!(
            "`{who}` does not count: the author of the change (svn r"
        )),
        "{}",
        r.stdout
    );
    // The pre-commit hook rejects the author's own signed approval of a new change.
    svn.install_hook("");
    s.file("ca/issuing.cnf", "default_days = 200\n");
    s.vigil(&[
        "approve",
        "ca",
        "--by",
        "Ada <ada@ca.example>",
        "--sign",
        "--key",
        key_str(&key),
    ])
    .expect(0);
    svn.add_all();
    let r = svn.commit("200 days, approved by its author");
    assert_ne!(r.code, 0, "commit accepted:\n{}", r.all());
    assert!(r.all().contains("insufficient-approvals"), "{}", r.all());
    assert!(
        r.all().contains(&format!("`{who}` does not count")),
        "{}",
        r.all()
    );
    svn.svn_ok(&["revert", "-R", "."]);
    s.config(&signing(""));
    svn.commit_all("rule off");
    assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());
}

#[test]
fn the_committer_of_a_staged_change_may_not_approve_it() {
    let (s, _) = signed_by_author("author-may-not-approve = true\n");
    // Ada changes the component again and approves it in the same staged commit.
    s.file("ca/issuing.cnf", "default_days = 200\n");
    s.git_ok(&["config", "user.email", AUTHOR]);
    s.git_ok(&["config", "user.name", "Ada Approver"]);
    s.vigil(&[
        "approve",
        "ca",
        "--sign",
        "--key",
        &s.outside().join("ada").to_string_lossy(),
    ])
    .expect(0);
    s.git_ok(&["add", "-A"]);
    let r = s.vigil(&["check", "--staged"]).expect(1);
    assert!(
        r.stdout.contains(&format!(
            "`{AUTHOR}` does not count: the author of the change (the staged change)"
        )),
        "{}",
        r.stdout
    );
}

/// The git pre-receive hook judges the pushed commit the same way: the committer of the
/// components' last change in the pushed history does not count toward the quorum.
#[test]
fn the_pre_receive_hook_rejects_a_push_approved_only_by_its_author() {
    let (s, bob) = signed_by_author("author-may-not-approve = true\n");
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "push accepted:\n{}", r.all());
    assert!(r.all().contains("insufficient-approvals"), "{}", r.all());
    assert!(
        r.all().contains(&format!(
            "`{AUTHOR}` does not count: the author of the change (git "
        )),
        "{}",
        r.all()
    );
    // Bob, who did not make the change, co-signs: the same history is accepted.
    s.vigil(&["sign", "ca", "--key", key_str(&bob)]).expect(0);
    s.commit_all("bob co-signs");
    let r = s.git(&["push", "origin", "main"]);
    assert_eq!(r.code, 0, "{}", r.all());
}
