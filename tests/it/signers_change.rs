//! A change to the in-repository allowed-signers file must itself be signed by the required number
//! of approvers the previous version trusts: a real `git push` and a real `svn commit` are rejected
//! until it is (`vigil sign --allowed-signers`).

use crate::signed_approvals::{key_str, keygen, line, PROFILE};
use crate::support::Sandbox;
use crate::svn_support::{Layout, Svn};
use std::path::PathBuf;

struct Keys {
    alice: PathBuf,
    bob: PathBuf,
    mallory: PathBuf,
}

fn keys() -> Keys {
    let probe = Sandbox::plain();
    let k = Keys {
        alice: keygen(&probe, "alice", &["-t", "ed25519"]),
        bob: keygen(&probe, "bob", &["-t", "ecdsa"]),
        mallory: keygen(&probe, "mallory", &["-t", "ed25519"]),
    };
    // The keys live in the probe's folder; keep it.
    std::mem::forget(probe);
    k
}

fn trusted(k: &Keys) -> String {
    format!(
        "{}\n{}\n",
        line("alice@ca.example", &k.alice),
        line("bob@ca.example", &k.bob)
    )
}

fn with_mallory(k: &Keys) -> String {
    format!("{}{}\n", trusted(k), line("mallory@ca.example", &k.mallory))
}

const CONFIG: &str = "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = 2\n\n";

#[test]
fn a_pushed_change_of_the_allowed_signers_needs_the_previous_approvers() {
    let k = keys();
    let s = Sandbox::git_repo();
    s.config(&format!("{CONFIG}{PROFILE}"))
        .file("approvers/allowed_signers", &trusted(&k))
        .file("ca/issuing.cnf", "default_days = 397\n");
    s.commit_all("profile");
    s.vigil(&["approve", "ca", "--sign", "--key", key_str(&k.alice)])
        .expect(0);
    s.vigil(&["sign", "ca", "--key", key_str(&k.bob)]).expect(0);
    s.commit_all("approve ca");
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install", "--pre-receive"])
        .expect(0);
    let r = s.git(&["push", "origin", "main"]);
    assert_eq!(r.code, 0, "{}", r.all());

    // Mallory names herself an approver: unsigned.
    s.file("approvers/allowed_signers", &with_mallory(&k));
    s.commit_all("add mallory");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.all().contains("unsigned approvers/allowed_signers"),
        "{}",
        r.all()
    );
    // She signs it herself: the previous file does not trust her.
    let r = s
        .vigil(&["sign", "--allowed-signers", "--key", key_str(&k.mallory)])
        .expect(0);
    assert!(
        r.stdout
            .contains("1 signature in approvers/allowed_signers.sig.toml"),
        "{}",
        r.stdout
    );
    s.commit_all("mallory signs");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("untrusted-signer"), "{}", r.all());
    assert!(r.all().contains("insufficient-approvals"), "{}", r.all());
    // A signature that does not count is an error in itself: start again without it.
    s.remove("approvers/allowed_signers.sig.toml");
    // One trusted approver is not the quorum of two.
    s.vigil(&["sign", "--allowed-signers", "--key", key_str(&k.alice)])
        .expect(0);
    s.commit_all("alice signs");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.all().contains("1 of 2 required distinct approvers"),
        "{}",
        r.all()
    );
    // Bob makes two.
    s.vigil(&["sign", "--allowed-signers", "--key", key_str(&k.bob)])
        .expect(0);
    s.commit_all("bob signs");
    let r = s.git(&["push", "origin", "main"]);
    assert_eq!(r.code, 0, "{}", r.all());
    // Pointing [signing] at another file is a change of the allowed signers too.
    s.file("approvers/other", &with_mallory(&k));
    s.config(&format!("{CONFIG}{PROFILE}").replace("approvers/allowed_signers", "approvers/other"));
    s.commit_all("other file");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("unsigned approvers/other"), "{}", r.all());
}

#[test]
fn an_svn_commit_changing_the_allowed_signers_needs_the_previous_approvers() {
    let k = keys();
    let svn = Svn::new(Layout::TrunkCheckout);
    let s = &svn.sb;
    s.config(&format!("{CONFIG}{PROFILE}"))
        .file("approvers/allowed_signers", &trusted(&k))
        .file("ca/issuing.cnf", "default_days = 397\n");
    svn.commit_all("profile");
    let by = ["--by", "Alice <alice@ca.example>"];
    s.vigil(&[
        "approve",
        "ca",
        by[0],
        by[1],
        "--sign",
        "--key",
        key_str(&k.alice),
    ])
    .expect(0);
    s.vigil(&["sign", "ca", "--key", key_str(&k.bob)]).expect(0);
    svn.install_hook("");
    svn.commit_all("approve ca");

    s.file("approvers/allowed_signers", &with_mallory(&k));
    let before = svn.youngest();
    let r = svn.commit("add mallory");
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("unsigned"), "{}", r.all());
    assert!(
        r.all().contains("/approvers/allowed_signers"),
        "{}",
        r.all()
    );
    assert_eq!(svn.youngest(), before);

    s.vigil(&["sign", "--allowed-signers", "--key", key_str(&k.alice)])
        .expect(0);
    svn.add_all();
    let r = svn.commit("alice signs");
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("insufficient-approvals"), "{}", r.all());

    s.vigil(&["sign", "--allowed-signers", "--key", key_str(&k.bob)])
        .expect(0);
    svn.add_all();
    let r = svn.commit("alice and bob sign");
    assert_eq!(r.code, 0, "{}", r.all());
}
