//! Signed approvals under Subversion: each bad approval (a flipped byte, an unlisted key, an expired
//! key, one person counted twice) rejected by the real pre-commit hook on a real `svn commit`.

use crate::signed_approvals::{codes, key_str, keygen, line, public, PROFILE};
use crate::support::Sandbox;
use crate::svn_support::{Layout, Svn};

fn signing(required: u32) -> String {
    format!(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = {required}\n\n{PROFILE}"
    )
}

#[derive(Debug, Clone, Copy)]
enum Bad {
    FlippedByte,
    UnlistedKey,
    ExpiredKey,
    SamePersonTwice,
}

#[test]
fn each_bad_approval_is_rejected_by_svn_commit() {
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
        let svn = Svn::new(Layout::TrunkCheckout);
        let s = &svn.sb;
        s.config(&signing(1))
            .file("approvers/allowed_signers", &format!("{alice_line}\n"))
            .file("ca/issuing.cnf", "default_days = 397\n");
        svn.commit_all("profile");
        s.vigil(&[
            "approve",
            "ca",
            "--by",
            "Alice <alice@ca.example>",
            "--sign",
            "--key",
            key_str(&alice),
        ])
        .expect(0);
        svn.commit_all("approve ca, signed");
        svn.install_hook("");
        assert_eq!(codes(&s.check_json().expect(0)), Vec::<String>::new());

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
                s.vigil(&[
                    "approve",
                    "ca",
                    "--by",
                    "Alice <alice@ca.example>",
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
                // The change of the allowed signers itself is signed by the approver trusted so far.
                s.vigil(&["sign", "--allowed-signers", "--key", key_str(&alice)])
                    .expect(0);
                "untrusted-signer"
            }
            Bad::SamePersonTwice => {
                s.file(
                    "approvers/allowed_signers",
                    &format!("{alice_line}\n{}\n", line("alice@ca.example", &alice2)),
                );
                s.config(&signing(2));
                s.vigil(&["sign", "--allowed-signers", "--key", key_str(&alice)])
                    .expect(0);
                s.vigil(&["sign", "ca", "--key", key_str(&alice2)])
                    .expect(0);
                "insufficient-approvals"
            }
        };
        let r = s.check_json().expect(1);
        assert!(
            codes(&r).contains(&format!("{want} approved/ca.toml")),
            "{bad:?}: {:?}",
            codes(&r)
        );
        let r = s.vigil(&["gate", "ca"]).expect(1);
        assert!(r.stdout.contains(want), "{bad:?}: {}", r.stdout);
        svn.add_all();
        let before = svn.youngest();
        let r = svn.commit("bad approval");
        assert_ne!(r.code, 0, "{bad:?}: commit accepted:\n{}", r.all());
        assert!(r.all().contains(want), "{bad:?}: {}", r.all());
        assert_eq!(svn.youngest(), before, "{bad:?}: a revision was made");
    }
}
