//! `vigil log PROFILE`: the approvals of a profile from real git history, with the signers verified
//! against the allowed signers of each commit, the requirements stated and the paths changed; the same
//! from real Subversion history.

use crate::signed_approvals::{key_str, keygen, line};
use crate::support::Sandbox;
use crate::svn_support::{Layout, Svn};

/// Three approvals (alice; bob co-signs; a change approved with a requirement and a signature by a
/// key not in the allowed signers) and an unrelated commit, each committed with `commit`.
fn approvals(s: &Sandbox, commit: &dyn Fn(&str)) {
    let probe = Sandbox::plain();
    let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
    let bob = keygen(&probe, "bob", &["-t", "ecdsa"]);
    let mallory = keygen(&probe, "mallory", &["-t", "ed25519"]);
    s.config(
        "[requirements]\npacks = [\"cabf-tls-br\"]\n\n[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = 2\n\n[profiles.ca]\ncomponents = [\"ca/issuing.cnf\", \"ca/policy.cnf\"]\n",
    )
    .file(
        "approvers/allowed_signers",
        &format!(
            "{}\n{}\n",
            line("alice@ca.example", &alice),
            line("bob@ca.example", &bob)
        ),
    )
    .file("ca/issuing.cnf", "default_days = 397\n")
    .file("ca/policy.cnf", "policy = 1\n");
    commit("profile");
    let by = "Alice <alice@ca.example>";
    s.vigil(&[
        "approve",
        "ca",
        "--by",
        by,
        "--sign",
        "--key",
        key_str(&alice),
    ])
    .expect(0);
    commit("first approval");
    s.vigil(&["sign", "ca", "--key", key_str(&bob)]).expect(0);
    commit("bob co-signs");
    s.file("ca/issuing.cnf", "default_days = 199\n");
    s.vigil(&[
        "approve",
        "ca",
        "--by",
        by,
        "--satisfies",
        "cabf-tls-br/sc62-review",
        "--sign",
        "--key",
        key_str(&alice),
    ])
    .expect(0);
    // Mallory's signature is not in the allowed signers: listed, not counted.
    s.vigil(&[
        "sign",
        "ca",
        "--key",
        key_str(&mallory),
        "--principal",
        "bob@ca.example",
    ])
    .expect(0);
    commit("199 days");
    s.file("unrelated.txt", "x\n");
    commit("unrelated");
}

/// What `vigil log ca` must say about [`approvals`], whatever the version control; the revision
/// of each entry starts with `vcs`.
fn assert_log(stdout: &str, vcs: &str) {
    let blocks: Vec<&str> = stdout.split("\n20").collect();
    assert_eq!(blocks.len(), 3, "{stdout}");
    for b in &blocks {
        assert!(b.contains(&format!("Z  {vcs} ")), "{b}");
    }
    let newest = blocks[0];
    assert!(
        newest.contains("signed by: alice@ca.example (verified)"),
        "{newest}"
    );
    assert!(newest.contains("not counted: bob@ca.example"), "{newest}");
    assert!(
        newest.contains("satisfies: cabf-tls-br/sc62-review"),
        "{newest}"
    );
    assert!(
        newest.contains("changed:   ca/issuing.cnf") && !newest.contains("policy.cnf"),
        "{newest}"
    );
    assert!(
        blocks[1].contains("signed by: alice@ca.example, bob@ca.example (verified)")
            && blocks[1].contains("co-signed: the approval below, unchanged"),
        "{}",
        blocks[1]
    );
    assert!(
        blocks[2].contains("changed:   ca/issuing.cnf, ca/policy.cnf"),
        "{}",
        blocks[2]
    );
}

#[test]
fn log_lists_each_approval_with_verified_signers_requirements_and_changed_paths() {
    let s = Sandbox::git_repo();
    approvals(&s, &|m| {
        s.commit_all(m);
    });
    let r = s.vigil(&["log", "ca"]).expect(0);
    assert_log(&r.stdout, "git");
    // An unknown profile is an error naming the known ones.
    let r = s.vigil(&["log", "cb"]).expect(2);
    assert!(r.stderr.contains("ca"), "{}", r.stderr);
}

/// The same history in a real Subversion repository, read with `svn log` and `svn cat`.
#[test]
fn log_reads_subversion_history_the_same_way() {
    let svn = Svn::new(Layout::TrunkCheckout);
    let s = &svn.sb;
    let r = s.vigil(&["log", "ca"]);
    assert_eq!(r.code, 2, "no vigil.toml yet: {}", r.stdout);
    approvals(s, &|m| {
        svn.commit_all(m);
    });
    let r = s.vigil(&["log", "ca"]).expect(0);
    assert_log(&r.stdout, "svn");
    assert!(r.stdout.contains("  svn r"), "{}", r.stdout);
    // Before any approval was committed, the log is empty, and says where it looked.
    let fresh = Svn::new(Layout::TrunkCheckout);
    fresh
        .sb
        .file("vigil.toml", "[profiles.ca]\ncomponents = [\"ca.cnf\"]\n")
        .file("ca.cnf", "x = 1\n");
    fresh.commit_all("profile");
    let r = fresh.sb.vigil(&["log", "ca"]).expect(0);
    assert!(
        r.stdout
            .contains("ca: no approval in the Subversion history"),
        "{}",
        r.stdout
    );
}
