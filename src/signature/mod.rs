//! Signed approvals: the canonical message an approval signs, SSH signatures (`sshsig`) over it, the
//! allowed-signers file that says who may approve, and the quorum of distinct approvers.
//!
//! The pieces, one file each: [`message`] (what is signed), [`sign`] (signing with `ssh-keygen -Y
//! sign`), [`allowed`] (the allowed-signers file), [`verify`] (verifying in process, and the quorum).
//!
//! # In the manifest
//!
//! An approval's signatures live in its manifest as `[[signature]]` tables after the components. The
//! requirements each component was reviewed against (`[[component.satisfies]]`) are part of what is
//! signed:
//!
//! ```toml
//! [[component]]
//! # ...
//! [[component.satisfies]]
//! # ...
//!
//! [[signature]]
//! principal = "alice@example.org"
//! key-fingerprint = "SHA256:…"
//! signed-at = "2026-11-29T15:00:00Z"
//! sshsig = """
//! -----BEGIN SSH SIGNATURE-----
//! …
//! -----END SSH SIGNATURE-----
//! """
//! ```
//!
//! The signature tables are not part of the signed message, so a co-signature appends a table
//! ([`SignatureEntry::to_toml`]) and leaves every other byte of the file as it was. `principal` is
//! checked against the allowed signers; `key-fingerprint` must match the key inside the signature;
//! `signed-at` is the signer's own clock, recorded for the audit trail and not itself signed.

pub mod allowed;
pub mod judge;
pub mod message;
pub mod sign;
pub mod signers;
pub mod verify;

pub use crate::manifest::SignatureEntry;
pub use allowed::AllowedSigners;
pub use message::canonical_message;
pub use sign::Signer;
pub use verify::{evaluate, BadSignature, Failure, Verdict};

use serde::Serialize;

/// The `sshsig` namespace of approval signatures, so that a signature made for git commits, files or
/// anything else can never pass for an approval.
pub const NAMESPACE: &str = "vigil-approval";

impl SignatureEntry {
    /// Builds the table for an armored signature, reading the key fingerprint from the signature.
    pub fn new(
        principal: impl Into<String>,
        sshsig: impl Into<String>,
        signed_at: impl Into<String>,
    ) -> Result<SignatureEntry, BadSignature> {
        let sshsig = sshsig.into();
        let sig = ssh_key::SshSig::from_pem(sshsig.trim().as_bytes())
            .map_err(|e| BadSignature::Malformed(e.to_string()))?;
        Ok(SignatureEntry {
            principal: principal.into(),
            key_fingerprint: allowed::fingerprint(sig.public_key()),
            signed_at: signed_at.into(),
            sshsig: if sshsig.ends_with('\n') {
                sshsig
            } else {
                sshsig + "\n"
            },
        })
    }

    /// The table's deterministic TOML text, `[[signature]]` first, to append to a manifest.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct One<'a> {
            signature: [&'a SignatureEntry; 1],
        }
        toml::to_string(&One { signature: [self] }).expect("a signature table always serialises")
    }
}
