//! `vigil log PROFILE`: the approvals of a profile from real git history, with the signers verified
//! against the allowed signers of each commit, the requirements stated and the paths changed.

use crate::signed_approvals::{key_str, keygen, line};
use crate::support::Sandbox;

#[test]
fn log_lists_each_approval_with_verified_signers_requirements_and_changed_paths() {
    let probe = Sandbox::plain();
    let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
    let bob = keygen(&probe, "bob", &["-t", "ecdsa"]);
    let mallory = keygen(&probe, "mallory", &["-t", "ed25519"]);
    let s = Sandbox::git_repo();
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
    s.commit_all("profile");
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
    s.commit_all("first approval");
    s.vigil(&["sign", "ca", "--key", key_str(&bob)]).expect(0);
    s.commit_all("bob co-signs");
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
    s.commit_all("199 days");
    s.file("unrelated.txt", "x\n");
    s.commit_all("unrelated");

    let r = s.vigil(&["log", "ca"]).expect(0);
    let blocks: Vec<&str> = r.stdout.split("\n20").collect();
    assert_eq!(blocks.len(), 3, "{}", r.stdout);
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
    // An unknown profile is an error naming the known ones.
    let r = s.vigil(&["log", "cb"]).expect(2);
    assert!(r.stderr.contains("ca"), "{}", r.stderr);
}
