//! Signed approvals against real OpenSSH: keys made by `ssh-keygen`, signatures checked both ways
//! (vigil signs and `ssh-keygen -Y verify` accepts; `ssh-keygen -Y sign` signs and vigil accepts), and
//! every rejection checked against what `ssh-keygen -Y verify` says about the same signature.

use crate::manifest::Manifest;
use crate::signature::verify::{verify, verify_entry, Untrusted};
use crate::signature::{
    canonical_message, evaluate, sign::sign_in_namespace, sign::SignError, AllowedSigners,
    BadSignature, Failure, SignatureEntry, Signer, Verdict, NAMESPACE,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

/// Signs an approval as `vigil approve --sign` records it: its canonical message signed, as the
/// table to record.
fn sign_approval(
    signer: &Signer,
    manifest: &Manifest,
    principal: &str,
    signed_at: &str,
) -> Result<SignatureEntry, SignError> {
    let armored = signer.sign(&canonical_message(manifest))?;
    SignatureEntry::new(principal, armored, signed_at).map_err(|e| SignError::Failed {
        key: signer.key.clone(),
        stderr: e.to_string(),
    })
}

/// The finding code a failed signature becomes.
fn failure_code(f: &Failure) -> &'static str {
    match f {
        Failure::Bad(_) => "bad-signature",
        Failure::Untrusted(_) => "untrusted-signer",
    }
}

/// The finding code of a verdict that is not met.
fn verdict_code(v: Verdict) -> Option<&'static str> {
    match v {
        Verdict::Met => None,
        Verdict::Unsigned => Some("unsigned"),
        Verdict::Insufficient { .. } => Some("insufficient-approvals"),
    }
}

const MANIFEST: &str = r#"# Approved state of vigil profile `ca`. Written by `vigil approve`; review its diff, do not edit.
manifest-version = 1
vigil-version = "0.1.0"
profile = "ca"
approved-by = "Alice <alice@example.org>"
approved-at = "2026-11-29T15:00:00Z"

[revision]
vcs = "git"
id = "0123456789abcdef0123456789abcdef01234567"
local-changes = false

[[component]]
path = "ca/issuing.cnf"
kind = "file"
size = 12
blake3 = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"

[[component.satisfies]]
requirement = "cabf-tls-br/sc62-review"
at = "2026-11-29T15:00:00Z"
by = "Alice <alice@example.org>"
"#;

fn ssh_keygen() -> Command {
    let probe = Command::new("ssh-keygen").arg("-?").output();
    assert!(
        probe.is_ok(),
        "ssh-keygen is missing: install OpenSSH's client tools (Debian: apt-get install openssh-client)"
    );
    Command::new("ssh-keygen")
}

/// Makes a key pair without a passphrase; returns the private key's path.
fn keygen(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let key = dir.join(name);
    succeed(
        ssh_keygen()
            .args(["-q", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .args(args),
    );
    key
}

/// Runs a command that must succeed; its output.
fn succeed(c: &mut Command) -> std::process::Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pubkey(key: &Path) -> String {
    let text = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    // type and base64, without the comment
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn manifest() -> Manifest {
    Manifest::parse(Path::new("approved/ca.toml"), MANIFEST).unwrap()
}

fn message() -> Vec<u8> {
    canonical_message(&manifest())
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn allowed(&self, text: &str) -> (PathBuf, AllowedSigners) {
        let file = self.path("allowed_signers");
        std::fs::write(&file, text).unwrap();
        let a = AllowedSigners::load(&file).unwrap();
        (file, a)
    }
    /// What `ssh-keygen -Y verify` says: Ok on success, its output otherwise.
    fn openssh_verify(
        &self,
        allowed: &Path,
        principal: &str,
        sig: &str,
        msg: &[u8],
    ) -> Result<(), String> {
        let sig_file = self.path("check.sig");
        std::fs::write(&sig_file, sig).unwrap();
        let mut child = ssh_keygen()
            .args(["-Y", "verify", "-n", NAMESPACE, "-I", principal, "-f"])
            .arg(allowed)
            .arg("-s")
            .arg(&sig_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(msg).unwrap();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

const KEY_TYPES: [(&str, &[&str]); 4] = [
    ("ed25519", &["-t", "ed25519"]),
    ("ecdsa-p256", &["-t", "ecdsa", "-b", "256"]),
    ("ecdsa-p384", &["-t", "ecdsa", "-b", "384"]),
    ("rsa", &["-t", "rsa", "-b", "2048"]),
];

#[test]
fn vigil_signs_and_openssh_verifies_for_every_key_type() {
    let f = Fixture::new();
    for (name, args) in KEY_TYPES {
        let key = keygen(f.dir.path(), name, args);
        let (file, allowed) = f.allowed(&format!("alice@example.org {}\n", pubkey(&key)));
        let entry = sign_approval(
            &Signer::new(&key),
            &manifest(),
            "alice@example.org",
            "2026-11-29T15:01:00Z",
        )
        .unwrap();
        assert!(entry.key_fingerprint.starts_with("SHA256:"), "{name}");
        f.openssh_verify(&file, "alice@example.org", &entry.sshsig, &message())
            .unwrap_or_else(|e| {
                panic!("{name}: ssh-keygen -Y verify refused vigil's signature: {e}")
            });
        let v = verify_entry(&message(), &entry, &allowed, now())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.principal, "alice@example.org");
        assert_eq!(v.line, 1);
        // The fingerprint is the one ssh-keygen prints.
        let l = ssh_keygen()
            .arg("-lf")
            .arg(key.with_extension("pub"))
            .output()
            .unwrap();
        let l = String::from_utf8(l.stdout).unwrap();
        assert_eq!(
            l.split_whitespace().nth(1),
            Some(entry.key_fingerprint.as_str()),
            "{name}"
        );
    }
}

#[test]
fn openssh_signs_and_vigil_verifies_for_every_key_type() {
    let f = Fixture::new();
    let msg_file = f.path("message");
    std::fs::write(&msg_file, message()).unwrap();
    for (name, args) in KEY_TYPES {
        let key = keygen(f.dir.path(), name, args);
        let (_, allowed) = f.allowed(&format!("bob@example.org {}\n", pubkey(&key)));
        let _ = std::fs::remove_file(f.path("message.sig"));
        succeed(
            ssh_keygen()
                .args(["-Y", "sign", "-n", NAMESPACE, "-f"])
                .arg(&key)
                .arg(&msg_file),
        );
        let sig = std::fs::read_to_string(f.path("message.sig")).unwrap();
        let v = verify(&message(), &sig, "bob@example.org", &allowed, now())
            .unwrap_or_else(|e| panic!("{name}: vigil refused ssh-keygen's signature: {e}"));
        assert_eq!(v.principal, "bob@example.org");
    }
}

/// Signs the approval message with a fresh ed25519 key listed under `principal` with `options`.
fn signed(f: &Fixture, name: &str, options: &str) -> (PathBuf, AllowedSigners, String) {
    let key = keygen(f.dir.path(), name, &["-t", "ed25519"]);
    let (file, allowed) = f.allowed(&format!("alice@example.org {options} {}\n", pubkey(&key)));
    let sig = Signer::new(&key).sign(&message()).unwrap();
    (file, allowed, sig)
}

#[test]
fn a_changed_manifest_is_a_bad_signature() {
    let f = Fixture::new();
    let (file, allowed, sig) = signed(&f, "k", "");
    let mut m = manifest();
    // One byte of one hash flipped after signing.
    let h = &mut m.components[0].blake3;
    h.replace_range(0..1, "b");
    let changed = canonical_message(&m);
    let e = verify(&changed, &sig, "alice@example.org", &allowed, now()).unwrap_err();
    assert!(
        matches!(e, Failure::Bad(BadSignature::Mismatch { .. })),
        "{e:?}"
    );
    assert_eq!(failure_code(&e), "bad-signature");
    assert!(f
        .openssh_verify(&file, "alice@example.org", &sig, &changed)
        .is_err());
    // A dropped review record changes the message too.
    let mut m = manifest();
    m.components[0].satisfies.clear();
    let fewer = canonical_message(&m);
    assert!(verify(&fewer, &sig, "alice@example.org", &allowed, now()).is_err());
    // A damaged armor is malformed, not a panic.
    let damaged = sig.replacen(
        "-----BEGIN SSH SIGNATURE-----\n",
        "-----BEGIN SSH SIGNATURE-----\nAAAA",
        1,
    );
    let e = verify(&message(), &damaged, "alice@example.org", &allowed, now()).unwrap_err();
    assert_eq!(failure_code(&e), "bad-signature", "{e:?}");
    let e = verify(
        &message(),
        "not a signature",
        "alice@example.org",
        &allowed,
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(e, Failure::Bad(BadSignature::Malformed(_))),
        "{e:?}"
    );
    // And the untouched message still verifies, so the rejections above are about the change.
    verify(&message(), &sig, "alice@example.org", &allowed, now()).unwrap();
}

#[test]
fn an_unlisted_key_or_principal_is_untrusted() {
    let f = Fixture::new();
    let (_, _, sig) = signed(&f, "listed", "");
    let other = keygen(f.dir.path(), "other", &["-t", "ed25519"]);
    let (file, allowed) = f.allowed(&format!("alice@example.org {}\n", pubkey(&other)));
    let e = verify(&message(), &sig, "alice@example.org", &allowed, now()).unwrap_err();
    assert!(
        matches!(e, Failure::Untrusted(Untrusted::KeyNotListed { .. })),
        "{e:?}"
    );
    assert_eq!(failure_code(&e), "untrusted-signer");
    assert!(f
        .openssh_verify(&file, "alice@example.org", &sig, &message())
        .is_err());

    let (file, allowed, sig) = signed(&f, "k2", "");
    let e = verify(&message(), &sig, "mallory@example.org", &allowed, now()).unwrap_err();
    assert!(
        matches!(e, Failure::Untrusted(Untrusted::PrincipalNotAllowed { .. })),
        "{e:?}"
    );
    assert!(f
        .openssh_verify(&file, "mallory@example.org", &sig, &message())
        .is_err());
}

#[test]
fn validity_window_and_namespaces_are_enforced() {
    let f = Fixture::new();
    type IsExpected = fn(&Failure) -> bool;
    let cases: [(&str, IsExpected); 3] = [
        ("valid-before=\"20200101Z\"", |e| {
            matches!(e, Failure::Untrusted(Untrusted::Expired { .. }))
        }),
        ("valid-after=\"20990101Z\"", |e| {
            matches!(e, Failure::Untrusted(Untrusted::NotYetValid { .. }))
        }),
        ("namespaces=\"git,file\"", |e| {
            matches!(e, Failure::Untrusted(Untrusted::NamespaceNotAllowed { .. }))
        }),
    ];
    for (i, (options, expected)) in cases.into_iter().enumerate() {
        let (file, allowed, sig) = signed(&f, &format!("k{i}"), options);
        let e = verify(&message(), &sig, "alice@example.org", &allowed, now()).unwrap_err();
        assert!(expected(&e), "{options}: {e:?}");
        assert_eq!(failure_code(&e), "untrusted-signer");
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(
            f.openssh_verify(&file, "alice@example.org", &sig, &message())
                .is_err(),
            "{options}: ssh-keygen accepts what vigil refuses"
        );
    }
    // Inside its window, with the namespace allowed, the same kind of line trusts the key; the window
    // is judged at the time given, not the wall clock.
    let (file, allowed, sig) = signed(
        &f,
        "window",
        "namespaces=\"git,vigil-approval\",valid-after=\"20200101Z\",valid-before=\"20990101Z\"",
    );
    verify(&message(), &sig, "alice@example.org", &allowed, now()).unwrap();
    f.openssh_verify(&file, "alice@example.org", &sig, &message())
        .unwrap();
    let y2100 = SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800);
    let e = verify(&message(), &sig, "alice@example.org", &allowed, y2100).unwrap_err();
    assert!(
        matches!(e, Failure::Untrusted(Untrusted::Expired { .. })),
        "{e:?}"
    );
}

#[test]
fn a_signature_for_another_namespace_is_bad() {
    let f = Fixture::new();
    let key = keygen(f.dir.path(), "k", &["-t", "ed25519"]);
    let (_, allowed) = f.allowed(&format!("alice@example.org {}\n", pubkey(&key)));
    let sig = sign_in_namespace(&Signer::new(&key), "git", &message()).unwrap();
    let e = verify(&message(), &sig, "alice@example.org", &allowed, now()).unwrap_err();
    assert_eq!(
        e,
        Failure::Bad(BadSignature::WrongNamespace {
            found: "git".into()
        })
    );
}

fn entry(key: &Path, principal: &str) -> SignatureEntry {
    sign_approval(
        &Signer::new(key),
        &manifest(),
        principal,
        "2026-11-29T15:02:00Z",
    )
    .unwrap()
}

#[test]
fn a_quorum_counts_distinct_people_and_keys() {
    let f = Fixture::new();
    let a1 = keygen(f.dir.path(), "alice1", &["-t", "ed25519"]);
    let a2 = keygen(f.dir.path(), "alice2", &["-t", "ecdsa", "-b", "256"]);
    let b = keygen(f.dir.path(), "bob", &["-t", "ed25519"]);
    let w = keygen(f.dir.path(), "wild", &["-t", "ed25519"]);
    let (_, allowed) = f.allowed(&format!(
        "alice@example.org {}\nalice@example.org {}\nbob@example.org {}\n*@ops.example {}\n",
        pubkey(&a1),
        pubkey(&a2),
        pubkey(&b),
        pubkey(&w)
    ));
    let msg = message();
    let q = |entries: &[SignatureEntry]| evaluate(&msg, entries, &allowed, now(), 2);

    assert_eq!(q(&[]).verdict(), Verdict::Unsigned);
    assert_eq!(verdict_code(Verdict::Unsigned), Some("unsigned"));

    // The same person twice, with the same key or with two keys: one approver.
    let same = q(&[
        entry(&a1, "alice@example.org"),
        entry(&a1, "alice@example.org"),
    ]);
    assert_eq!(same.verdict(), Verdict::Insufficient { have: 1, need: 2 });
    assert_eq!(same.repeated.len(), 1);
    let two_keys = q(&[
        entry(&a1, "alice@example.org"),
        entry(&a2, "alice@example.org"),
    ]);
    assert_eq!(
        two_keys.verdict(),
        Verdict::Insufficient { have: 1, need: 2 }
    );
    assert_eq!(
        verdict_code(two_keys.verdict()),
        Some("insufficient-approvals")
    );
    // One key claiming two principals through a wildcard line: one approver.
    let one_key = q(&[entry(&w, "x@ops.example"), entry(&w, "y@ops.example")]);
    assert_eq!(
        one_key.verdict(),
        Verdict::Insufficient { have: 1, need: 2 }
    );

    // A signature that fails does not count, and is reported.
    let mut forged = entry(&b, "bob@example.org");
    forged.principal = "mallory@example.org".into();
    let failed = q(&[entry(&a1, "alice@example.org"), forged]);
    assert_eq!(failed.verdict(), Verdict::Insufficient { have: 1, need: 2 });
    assert_eq!(failed.failures.len(), 1);
    assert_eq!(failure_code(&failed.failures[0].1), "untrusted-signer");
    // A table whose recorded fingerprint was edited is a bad signature.
    let mut relabelled = entry(&b, "bob@example.org");
    relabelled.key_fingerprint = entry(&a1, "alice@example.org").key_fingerprint;
    let e = verify_entry(&msg, &relabelled, &allowed, now()).unwrap_err();
    assert!(
        matches!(e, Failure::Bad(BadSignature::FingerprintMismatch { .. })),
        "{e:?}"
    );

    // Two people: met.
    let met = q(&[
        entry(&a1, "alice@example.org"),
        entry(&b, "bob@example.org"),
    ]);
    assert_eq!(met.verdict(), Verdict::Met);
    let names: Vec<_> = met.approvers.iter().map(|v| v.principal.as_str()).collect();
    assert_eq!(names, ["alice@example.org", "bob@example.org"]);
}

/// An `ssh-agent` of the test's own, stopped when dropped.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn signs_through_ssh_agent_with_only_the_public_key() {
    let f = Fixture::new();
    let key = keygen(f.dir.path(), "agent-key", &["-t", "ed25519"]);
    let sock = f.path("agent.sock");
    let child = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent is missing: install openssh-client");
    let agent = Agent { child, sock };
    for _ in 0..100 {
        if agent.sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let add = Command::new("ssh-add")
        .arg("-q")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &agent.sock)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    // The private key is gone: only the agent can sign.
    std::fs::remove_file(&key).unwrap();
    let public = key.with_extension("pub");
    let (file, allowed) = f.allowed(&format!("carol@example.org {}\n", pubkey(&key)));
    let signer = Signer {
        key: public.clone(),
        ssh_keygen: "ssh-keygen".into(),
        agent: Some(agent.sock.clone().into_os_string()),
    };
    let sig = signer.sign(&message()).unwrap();
    verify(&message(), &sig, "carol@example.org", &allowed, now()).unwrap();
    f.openssh_verify(&file, "carol@example.org", &sig, &message())
        .unwrap();
    // Without the agent the same public key cannot sign, and the error says why.
    let no_agent = Signer {
        agent: Some(f.path("no-such.sock").into_os_string()),
        ..signer
    };
    let e = no_agent.sign(&message()).unwrap_err();
    assert!(e.to_string().contains("ssh-keygen -Y sign"), "{e}");
}

#[test]
fn a_co_signature_appends_a_table_and_changes_nothing_else() {
    let f = Fixture::new();
    let a = keygen(f.dir.path(), "a", &["-t", "ed25519"]);
    let b = keygen(f.dir.path(), "b", &["-t", "ed25519"]);
    let (_, allowed) = f.allowed(&format!(
        "alice@example.org {}\nbob@example.org {}\n",
        pubkey(&a),
        pubkey(&b)
    ));
    let signed_once = format!("{MANIFEST}\n{}", entry(&a, "alice@example.org").to_toml());
    let cosigned = format!("{signed_once}\n{}", entry(&b, "bob@example.org").to_toml());
    assert!(cosigned.starts_with(&signed_once));
    let m = Manifest::parse(Path::new("approved/ca.toml"), &cosigned).unwrap();
    assert_eq!(m.signatures.len(), 2);
    assert!(
        cosigned.contains("[[signature]]\nprincipal = \"alice@example.org\"\n"),
        "{cosigned}"
    );
    let msg = canonical_message(&m);
    let q = evaluate(&msg, &m.signatures, &allowed, now(), 2);
    assert_eq!(q.verdict(), Verdict::Met, "{q:?}");
    // A bad table is an error with a line, not a panic.
    let e = Manifest::parse(
        Path::new("approved/ca.toml"),
        &format!("{cosigned}\n[[signature]]\nprincipal = 1\n"),
    )
    .unwrap_err();
    assert!(e.line.is_some(), "{e}");
}
