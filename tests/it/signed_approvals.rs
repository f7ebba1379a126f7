//! Signed approvals end to end: `vigil approve --sign` and `vigil sign` with real `ssh-keygen` keys,
//! checked by `ssh-keygen -Y verify`, and every rejection (a changed manifest, an unlisted key, an
//! expired key, one person counted twice) reported by `check`, `gate` and the git pre-receive hook of a
//! real bare repository.

use crate::support::{Run, Sandbox};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use vigil::{canonical_message, Manifest, SignatureEntry, SIGNATURE_NAMESPACE as NAMESPACE};

pub(crate) fn ssh_keygen() -> Command {
    assert!(
        Command::new("ssh-keygen").arg("-?").output().is_ok(),
        "ssh-keygen is missing: install OpenSSH's client tools (Debian: apt-get install openssh-client)"
    );
    Command::new("ssh-keygen")
}

/// A key pair without a passphrase, outside the workspace; returns the private key's path.
pub(crate) fn keygen(s: &Sandbox, name: &str, args: &[&str]) -> PathBuf {
    let dir = s.outside().join("keys");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join(name);
    let out = ssh_keygen()
        .args(["-q", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    key
}

/// `type base64` of a key's public half.
pub(crate) fn public(key: &Path) -> String {
    let text = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn key_str(k: &Path) -> &str {
    k.to_str().unwrap()
}

pub(crate) const PROFILE: &str = "[profiles.ca]\ncomponents = [\"ca/issuing.cnf\"]\n";

/// A workspace whose `ca` profile needs `required` signatures from the given allowed-signers lines.
fn workspace(required: u32, allowed: &[String]) -> Sandbox {
    let s = Sandbox::git_repo();
    s.config(&format!(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = {required}\n\n{PROFILE}"
    ))
    .file("approvers/allowed_signers", &(allowed.join("\n") + "\n"))
    .file("ca/issuing.cnf", "default_days = 397\n");
    s.commit_all("profile");
    s
}

pub(crate) fn line(principal: &str, key: &Path) -> String {
    format!("{principal} {}", public(key))
}

fn approve_signed(s: &Sandbox, key: &Path) {
    let r = s
        .vigil(&["approve", "ca", "--sign", "--key", key_str(key)])
        .expect(0);
    assert!(r.stdout.contains("signed ca as "), "{}", r.stdout);
    s.commit_all("approve ca");
}

pub(crate) fn manifest(s: &Sandbox) -> Manifest {
    Manifest::parse(Path::new("approved/ca.toml"), &s.read("approved/ca.toml")).unwrap()
}

/// What `ssh-keygen -Y verify` says of a signature table of the manifest.
fn openssh_verifies(s: &Sandbox, entry: &SignatureEntry, m: &Manifest) -> Result<(), String> {
    let sig = s.outside().join("check.sig");
    std::fs::write(&sig, &entry.sshsig).unwrap();
    let mut child = ssh_keygen()
        .args([
            "-Y",
            "verify",
            "-n",
            NAMESPACE,
            "-I",
            &entry.principal,
            "-f",
        ])
        .arg(s.path("approvers/allowed_signers"))
        .arg("-s")
        .arg(&sig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&canonical_message(m))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub(crate) fn codes(r: &Run) -> Vec<String> {
    r.finding_codes()
}

#[test]
fn approve_sign_is_verified_by_openssh_and_passes_check_and_gate_for_every_key_type() {
    for (name, args) in [
        ("ed25519", &["-t", "ed25519"][..]),
        ("ecdsa", &["-t", "ecdsa", "-b", "256"][..]),
        ("rsa", &["-t", "rsa", "-b", "2048"][..]),
    ] {
        let probe = Sandbox::plain();
        let key = keygen(&probe, name, args);
        let s = workspace(1, &[line("alice@ca.example", &key)]);
        approve_signed(&s, &key);
        let m = manifest(&s);
        assert_eq!(m.signatures.len(), 1, "{name}");
        assert_eq!(m.signatures[0].principal, "alice@ca.example");
        openssh_verifies(&s, &m.signatures[0], &m).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = s.check_json().expect(0);
        assert_eq!(codes(&r), Vec::<String>::new(), "{name}");
        s.vigil(&["gate", "ca"]).expect(0);
    }
}

#[test]
fn unsigned_then_co_signed_by_openssh_by_hand_meets_a_quorum_of_two() {
    let probe = Sandbox::plain();
    let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
    let bob = keygen(&probe, "bob", &["-t", "ecdsa"]);
    let s = workspace(
        2,
        &[
            line("alice@ca.example", &alice),
            line("bob@ca.example", &bob),
        ],
    );
    s.vigil(&["approve", "ca"]).expect(0);
    s.commit_all("approve unsigned");
    let r = s.check_json().expect(1);
    assert_eq!(codes(&r), ["unsigned approved/ca.toml"]);
    assert!(s
        .vigil(&["gate", "ca"])
        .expect(1)
        .stdout
        .contains("unsigned"));

    let before = s.read("approved/ca.toml");
    s.vigil(&["sign", "ca", "--key", key_str(&alice)]).expect(0);
    let after_alice = s.read("approved/ca.toml");
    assert!(after_alice.starts_with(&before), "a signature only appends");
    s.commit_all("alice signs");
    let r = s.check_json().expect(1);
    assert_eq!(codes(&r), ["insufficient-approvals approved/ca.toml"]);

    // Bob signs with OpenSSH alone, and the table is added by hand.
    let m = manifest(&s);
    let msg = s.outside().join("message");
    std::fs::write(&msg, canonical_message(&m)).unwrap();
    let out = ssh_keygen()
        .args(["-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(&bob)
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let armored = std::fs::read_to_string(msg.with_extension("sig")).unwrap();
    let entry = SignatureEntry::new("bob@ca.example", armored, "2026-11-29T16:00:00Z").unwrap();
    s.file(
        "approved/ca.toml",
        &format!("{after_alice}\n{}", entry.to_toml()),
    );
    s.commit_all("bob signs");
    let r = s.check_json().expect(0);
    assert_eq!(codes(&r), Vec::<String>::new());
    let r = s.vigil(&["gate", "ca"]).expect(0);
    assert!(r.stdout.starts_with("vigil gate: PASS"), "{}", r.stdout);
}

/// The four ways a signed approval is refused, each made on top of a good pushed state.
#[derive(Debug, Clone, Copy)]
enum Bad {
    FlippedByte,
    UnlistedKey,
    ExpiredKey,
    SamePersonTwice,
}

#[test]
fn each_bad_approval_is_rejected_by_check_gate_and_pre_receive() {
    for bad in [
        Bad::FlippedByte,
        Bad::UnlistedKey,
        Bad::ExpiredKey,
        Bad::SamePersonTwice,
    ] {
        let probe = Sandbox::plain();
        let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
        let alice2 = keygen(&probe, "alice-laptop", &["-t", "rsa", "-b", "2048"]);
        let mallory = keygen(&probe, "mallory", &["-t", "ecdsa"]);
        let alice_line = line("alice@ca.example", &alice);
        let s = workspace(1, std::slice::from_ref(&alice_line));
        approve_signed(&s, &alice);
        let bare = s.bare_origin();
        s.vigil_in(&bare, &["hook", "install"]).expect(0);
        s.git(&["push", "-q", "origin", "main"]).expect(0);

        let want = match bad {
            Bad::FlippedByte => {
                let text = s.read("approved/ca.toml");
                let flipped = text.replacen("approved-by = \"A", "approved-by = \"B", 1);
                assert_ne!(flipped, text);
                s.file("approved/ca.toml", &flipped);
                "bad-signature"
            }
            Bad::UnlistedKey => {
                s.file("ca/issuing.cnf", "default_days = 398\n");
                s.commit_all("edit");
                s.vigil(&[
                    "approve",
                    "ca",
                    "--sign",
                    "--key",
                    key_str(&mallory),
                    "--principal",
                    "alice@ca.example",
                ])
                .expect(0);
                "untrusted-signer"
            }
            Bad::ExpiredKey => {
                s.file(
                    "approvers/allowed_signers",
                    &format!(
                        "alice@ca.example valid-before=\"20200101Z\" {}\n",
                        public(&alice)
                    ),
                );
                // The change of the allowed signers itself is signed by the approver trusted so
                // far, so that the push is refused for the approval alone.
                s.vigil(&["sign", "--allowed-signers", "--key", key_str(&alice)])
                    .expect(0);
                "untrusted-signer"
            }
            Bad::SamePersonTwice => {
                s.file(
                    "approvers/allowed_signers",
                    &format!("{alice_line}\n{}\n", line("alice@ca.example", &alice2)),
                );
                s.config(&format!(
                    "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = 2\n\n{PROFILE}"
                ));
                s.vigil(&["sign", "--allowed-signers", "--key", key_str(&alice)])
                    .expect(0);
                s.vigil(&["sign", "ca", "--key", key_str(&alice2)])
                    .expect(0);
                "insufficient-approvals"
            }
        };
        s.commit_all("bad approval");
        let r = s.check_json().expect(1);
        assert!(
            codes(&r).contains(&format!("{want} approved/ca.toml")),
            "{bad:?}: {:?}",
            codes(&r)
        );
        let r = s.vigil(&["gate", "ca"]).expect(1);
        assert!(r.stdout.contains(want), "{bad:?}: {}", r.stdout);
        let r = s.git(&["push", "origin", "main"]);
        assert_ne!(r.code, 0, "{bad:?}: push accepted:\n{}", r.all());
        assert!(r.all().contains(want), "{bad:?}: {}", r.all());
        assert!(
            !r.all().contains("the allowed-signers change"),
            "{bad:?}: refused for the allowed-signers change, not the approval: {}",
            r.all()
        );
    }
}

#[test]
fn without_signing_configured_manifests_are_unchanged_and_unsigned_is_no_finding() {
    let s = Sandbox::git_repo();
    s.config(PROFILE).file("ca/issuing.cnf", "x\n");
    s.commit_all("p");
    s.vigil(&["approve", "ca"]).expect(0);
    let text = s.read("approved/ca.toml");
    assert!(
        !text.contains("signature") && !text.contains("satisfies"),
        "{text}"
    );
    s.commit_all("a");
    assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());
}

/// `[signing.profiles.NAME] required` overrides `[signing] required` for that profile alone.
#[test]
fn a_profile_quorum_overrides_the_default_one() {
    let probe = Sandbox::plain();
    let alice = keygen(&probe, "alice", &["-t", "ed25519"]);
    let bob = keygen(&probe, "bob", &["-t", "ed25519"]);
    let s = Sandbox::git_repo();
    s.config(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = 1\n\n\
         [signing.profiles.ca]\nrequired = 2\n\n\
         [profiles.ca]\ncomponents = [\"ca/issuing.cnf\"]\n\n\
         [profiles.cb]\ncomponents = [\"cb/issuing.cnf\"]\n",
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
    .file("cb/issuing.cnf", "default_days = 90\n");
    s.commit_all("profiles");
    for p in ["ca", "cb"] {
        s.vigil(&["approve", p, "--sign", "--key", key_str(&alice)])
            .expect(0);
    }
    s.commit_all("approve, alice signs");
    // One signature meets cb's default quorum of one, not ca's two.
    let r = s.check_json().expect(1);
    assert_eq!(codes(&r), ["insufficient-approvals approved/ca.toml"]);
    assert!(
        r.stdout
            .contains("1 of 2 required distinct approvers signed"),
        "{}",
        r.stdout
    );
    s.vigil(&["gate", "cb"]).expect(0);
    assert!(s
        .vigil(&["gate", "ca"])
        .expect(1)
        .stdout
        .contains("insufficient-approvals"));
    s.vigil(&["sign", "ca", "--key", key_str(&bob)]).expect(0);
    s.commit_all("bob co-signs ca");
    assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());
    s.vigil(&["gate", "ca"]).expect(0);
}
