//! The server's own policy (`--policy FILE`): a pushed or committed `vigil.toml` that goes below it is
//! rejected by the git pre-receive hook (real `git push`), the Subversion pre-commit hook (real
//! `svn commit`) and the gate; one that is stricter passes, and the server's allowed signers are the
//! ones trusted, whatever the repository's file says.

use crate::signed_approvals::{key_str, keygen, line, PROFILE};
use crate::support::{vigil_bin, Sandbox};
use crate::svn_support::{Layout, Svn};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn signing_config(required: u32, extra: &str) -> String {
    format!(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = {required}\n\n{PROFILE}{extra}"
    )
}

/// A policy beside the server's allowed signers (alice only), outside any repository.
fn policy(s: &Sandbox, alice_line: &str) -> PathBuf {
    let dir = s.outside().join("etc-vigil");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("allowed_signers"), format!("{alice_line}\n")).unwrap();
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        "allowed-signers = \"allowed_signers\"\nrequired = 1\nprofiles = [\"ca\"]\n\n[severity.hook]\nstale = \"error\"\n",
    )
    .unwrap();
    file
}

fn install_pre_receive(bare: &Path, policy: &Path) {
    let hook = bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' pre-receive --policy '{}'\n",
            vigil_bin().display(),
            policy.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The ways a change can go below the policy, each tried on top of a good state.
#[derive(Debug, Clone, Copy)]
enum Relax {
    /// `[severity.hook] stale = "warning"`, and a component changed without approval.
    StaleWarning,
    /// `[signing]` removed and the approval made again, unsigned.
    NoSigning,
    /// The profile the policy requires renamed away.
    DropProfile,
    /// Mallory added to the repository's allowed signers and signing: the server's file decides.
    OwnSigner,
}

const ALL: [Relax; 4] = [
    Relax::StaleWarning,
    Relax::NoSigning,
    Relax::DropProfile,
    Relax::OwnSigner,
];

/// Applies `relax` to the workspace of `s`; returns what the rejection must say.
fn relax(s: &Sandbox, how: Relax, alice_line: &str, mallory: &Path, by: &[&str]) -> &'static str {
    match how {
        Relax::StaleWarning => {
            s.config(&signing_config(
                1,
                "\n[severity.hook]\nstale = \"warning\"\n",
            ));
            s.file("ca/issuing.cnf", "default_days = 825\n");
            "[severity.hook] stale = \"warning\" is below the server policy's \"error\""
        }
        Relax::NoSigning => {
            s.config(PROFILE);
            s.file("ca/issuing.cnf", "default_days = 398\n");
            let mut args = vec!["approve", "ca"];
            args.extend_from_slice(by);
            s.vigil(&args).expect(0);
            "vigil.toml has no [signing]"
        }
        Relax::DropProfile => {
            s.config(&signing_config(1, "").replace("[profiles.ca]", "[profiles.cb]"));
            "profile `ca` is required by the server policy"
        }
        Relax::OwnSigner => {
            s.file(
                "approvers/allowed_signers",
                &format!("{alice_line}\n{}\n", line("mallory@ca.example", mallory)),
            );
            s.file("ca/issuing.cnf", "default_days = 398\n");
            let mut args = vec!["approve", "ca", "--sign", "--key", key_str(mallory)];
            args.extend_from_slice(by);
            s.vigil(&args).expect(0);
            "untrusted-signer"
        }
    }
}

#[test]
fn a_push_that_relaxes_vigil_toml_below_the_server_policy_is_rejected() {
    for how in ALL {
        let probe = Sandbox::plain();
        let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
        let mallory = keygen(&probe, "mallory", &["-t", "ed25519"]);
        let alice_line = line("alice@ca.example", &alice);
        let s = Sandbox::git_repo();
        let policy = policy(&s, &alice_line);
        s.config(&signing_config(1, ""))
            .file("approvers/allowed_signers", &format!("{alice_line}\n"))
            .file("ca/issuing.cnf", "default_days = 397\n");
        s.commit_all("profile");
        s.vigil(&["approve", "ca", "--sign", "--key", key_str(&alice)])
            .expect(0);
        s.commit_all("approve ca");
        let bare = s.bare_origin();
        install_pre_receive(&bare, &policy);
        let r = s.git(&["push", "origin", "main"]);
        assert_eq!(
            r.code,
            0,
            "{how:?}: the good state is refused:\n{}",
            r.all()
        );
        let p = policy.to_str().unwrap();
        s.vigil(&["gate", "ca", "--policy", p]).expect(0);

        let want = relax(&s, how, &alice_line, &mallory, &[]);
        s.commit_all("relax");
        let r = s.git(&["push", "origin", "main"]);
        assert_ne!(r.code, 0, "{how:?}: push accepted:\n{}", r.all());
        assert!(r.all().contains(want), "{how:?}: {}", r.all());
        let r = s.vigil(&["gate", "ca", "--policy", p]);
        assert_ne!(r.code, 0, "{how:?}: gate passed:\n{}", r.all());
        if !matches!(how, Relax::DropProfile) {
            assert!(
                r.stdout.starts_with("vigil gate: FAIL"),
                "{how:?}: {}",
                r.stdout
            );
            assert!(r.stdout.contains(want), "{how:?}: {}", r.stdout);
        }
    }
}

#[test]
fn a_stricter_vigil_toml_passes_the_server_policy() {
    let probe = Sandbox::plain();
    let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
    let bob = keygen(&probe, "bob", &["-t", "ed25519"]);
    let s = Sandbox::git_repo();
    let policy = policy(&s, &line("alice@ca.example", &alice));
    // The server also trusts bob, so a quorum of two can be met.
    std::fs::write(
        policy.with_file_name("allowed_signers"),
        format!(
            "{}\n{}\n",
            line("alice@ca.example", &alice),
            line("bob@ca.example", &bob)
        ),
    )
    .unwrap();
    s.config(&signing_config(
        2,
        "\n[severity.hook]\norphaned = \"error\"\n",
    ))
    .file("approvers/allowed_signers", "")
    .file("ca/issuing.cnf", "default_days = 397\n");
    s.commit_all("profile");
    // The repository's file names nobody, so each signer says who they are.
    s.vigil(&[
        "approve",
        "ca",
        "--sign",
        "--key",
        key_str(&alice),
        "--principal",
        "alice@ca.example",
    ])
    .expect(0);
    s.vigil(&[
        "sign",
        "ca",
        "--key",
        key_str(&bob),
        "--principal",
        "bob@ca.example",
    ])
    .expect(0);
    s.commit_all("approve ca, two signatures");
    let bare = s.bare_origin();
    install_pre_receive(&bare, &policy);
    let r = s.git(&["push", "origin", "main"]);
    assert_eq!(r.code, 0, "{}", r.all());
    s.vigil(&["gate", "ca", "--policy", policy.to_str().unwrap()])
        .expect(0);
    // Without the policy the repository's (empty) allowed signers trust nobody.
    assert!(s
        .vigil(&["gate", "ca"])
        .expect(1)
        .stdout
        .contains("untrusted-signer"));
}

#[test]
fn an_svn_commit_that_relaxes_vigil_toml_below_the_server_policy_is_rejected() {
    for how in ALL {
        let probe = Sandbox::plain();
        let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
        let mallory = keygen(&probe, "mallory", &["-t", "ed25519"]);
        let alice_line = line("alice@ca.example", &alice);
        let svn = Svn::new(Layout::TrunkCheckout);
        let s = &svn.sb;
        let policy = policy(s, &alice_line);
        let by = ["--by", "Alice <alice@ca.example>"];
        s.config(&signing_config(1, ""))
            .file("approvers/allowed_signers", &format!("{alice_line}\n"))
            .file("ca/issuing.cnf", "default_days = 397\n");
        svn.commit_all("profile");
        s.vigil(&[
            "approve",
            "ca",
            by[0],
            by[1],
            "--sign",
            "--key",
            key_str(&alice),
        ])
        .expect(0);
        svn.install_hook_with_policy("", Some(&policy));
        svn.add_all();
        let r = svn.commit("approve ca");
        assert_eq!(
            r.code,
            0,
            "{how:?}: the good state is refused:\n{}",
            r.all()
        );
        svn.svn_ok(&["update", "-q"]);

        let want = relax(s, how, &alice_line, &mallory, &by);
        svn.add_all();
        let before = svn.youngest();
        let r = svn.commit("relax");
        assert_ne!(r.code, 0, "{how:?}: commit accepted:\n{}", r.all());
        assert!(r.all().contains(want), "{how:?}: {}", r.all());
        assert_eq!(svn.youngest(), before);
    }
}
