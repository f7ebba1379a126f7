//! Verifying approval signatures against an allowed-signers file, in process (no OpenSSH needed), and
//! counting the distinct approvers a quorum asks for.

use super::allowed::{fingerprint, AllowedSigner, AllowedSigners};
use super::{SignatureEntry, NAMESPACE};
use ssh_key::{PublicKey, SshSig};
use std::collections::BTreeSet;
use std::time::SystemTime;

/// A signature that verified: who signed, with which key, trusted by which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The principal the signature claims, which the allowed-signers line matched.
    pub principal: String,
    /// The signing key's `SHA256:` fingerprint.
    pub fingerprint: String,
    /// The allowed-signers line that trusted it (1-based).
    pub line: usize,
}

/// Why a signature does not count. [`Failure::code`] names the finding it becomes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The signature is malformed or does not match the message (finding `bad-signature`).
    #[error("{0}")]
    Bad(#[from] BadSignature),
    /// The signature is sound but its key may not approve (finding `untrusted-signer`).
    #[error("{0}")]
    Untrusted(#[from] Untrusted),
}

/// A signature that is not a valid signature of this approval.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("the signature is not an SSH signature: {0}")]
    Malformed(String),
    #[error("the signature was made for namespace `{found}`, not `{NAMESPACE}`")]
    WrongNamespace { found: String },
    #[error("the signature by {fingerprint} does not match the approval: the manifest changed after it was signed")]
    Mismatch { fingerprint: String },
    #[error("the signature table records key {recorded}, but the signature was made by {actual}")]
    FingerprintMismatch { recorded: String, actual: String },
}

/// A sound signature whose key may not approve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    #[error("key {fingerprint} is not in the allowed signers")]
    KeyNotListed { fingerprint: String },
    #[error("key {fingerprint} is not allowed to sign as `{principal}`")]
    PrincipalNotAllowed {
        principal: String,
        fingerprint: String,
    },
    #[error("key {fingerprint} of `{principal}` is listed as a certificate authority (line {line}); vigil does not accept certificate signatures")]
    CertificateAuthority {
        principal: String,
        fingerprint: String,
        line: usize,
    },
    #[error("key {fingerprint} of `{principal}` may not sign in namespace `{NAMESPACE}` (allowed signers line {line})")]
    NamespaceNotAllowed {
        principal: String,
        fingerprint: String,
        line: usize,
    },
    #[error("key {fingerprint} of `{principal}` is not valid yet (valid-after, allowed signers line {line})")]
    NotYetValid {
        principal: String,
        fingerprint: String,
        line: usize,
    },
    #[error("key {fingerprint} of `{principal}` has expired (valid-before, allowed signers line {line})")]
    Expired {
        principal: String,
        fingerprint: String,
        line: usize,
    },
}

/// Verifies one armored signature of `message` claimed by `principal`, trusted by `allowed` at time
/// `at` (the time the key's validity window is judged at: now for check and gate, the commit's time
/// when replaying history).
pub fn verify(
    message: &[u8],
    armored: &str,
    principal: &str,
    allowed: &AllowedSigners,
    at: SystemTime,
) -> Result<Verified, Failure> {
    let sig = SshSig::from_pem(armored.trim().as_bytes())
        .map_err(|e| BadSignature::Malformed(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(BadSignature::WrongNamespace {
            found: sig.namespace().to_string(),
        }
        .into());
    }
    let key = sig.public_key().clone();
    let fp = fingerprint(&key);
    PublicKey::new(key.clone(), "")
        .verify(NAMESPACE, message, &sig)
        .map_err(|_| BadSignature::Mismatch {
            fingerprint: fp.clone(),
        })?;
    trust(&key, &fp, principal, allowed, at)
}

/// Verifies a signature table of a manifest.
pub fn verify_entry(
    message: &[u8],
    entry: &SignatureEntry,
    allowed: &AllowedSigners,
    at: SystemTime,
) -> Result<Verified, Failure> {
    let v = verify(message, &entry.sshsig, &entry.principal, allowed, at)?;
    if !entry.key_fingerprint.is_empty() && entry.key_fingerprint != v.fingerprint {
        return Err(BadSignature::FingerprintMismatch {
            recorded: entry.key_fingerprint.clone(),
            actual: v.fingerprint,
        }
        .into());
    }
    Ok(v)
}

fn trust(
    key: &ssh_key::public::KeyData,
    fp: &str,
    principal: &str,
    allowed: &AllowedSigners,
    at: SystemTime,
) -> Result<Verified, Failure> {
    let lines: Vec<&AllowedSigner> = allowed.for_key(key).collect();
    if lines.is_empty() {
        return Err(Untrusted::KeyNotListed {
            fingerprint: fp.to_string(),
        }
        .into());
    }
    let mut first_failure = None;
    for line in lines.iter().filter(|l| l.matches_principal(principal)) {
        let who = || (principal.to_string(), fp.to_string(), line.line);
        let failure = if line.cert_authority {
            let (principal, fingerprint, line) = who();
            Untrusted::CertificateAuthority {
                principal,
                fingerprint,
                line,
            }
        } else if !line.allows_namespace(NAMESPACE) {
            let (principal, fingerprint, line) = who();
            Untrusted::NamespaceNotAllowed {
                principal,
                fingerprint,
                line,
            }
        } else if line.valid_after.is_some_and(|a| at < a) {
            let (principal, fingerprint, line) = who();
            Untrusted::NotYetValid {
                principal,
                fingerprint,
                line,
            }
        } else if !line.valid_at(at) {
            let (principal, fingerprint, line) = who();
            Untrusted::Expired {
                principal,
                fingerprint,
                line,
            }
        } else {
            return Ok(Verified {
                principal: principal.to_string(),
                fingerprint: fp.to_string(),
                line: line.line,
            });
        };
        first_failure.get_or_insert(failure);
    }
    Err(first_failure
        .unwrap_or_else(|| Untrusted::PrincipalNotAllowed {
            principal: principal.to_string(),
            fingerprint: fp.to_string(),
        })
        .into())
}

/// What the signatures of one approval add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    /// The distinct approvers, in the order of their first counted signature.
    pub approvers: Vec<Verified>,
    /// Signatures that verified but did not count again: the same principal, or the same key, as an
    /// approver already counted (index into the signatures, and who).
    pub repeated: Vec<(usize, Verified)>,
    /// Signatures that do not count (index into the signatures, and why).
    pub failures: Vec<(usize, Failure)>,
    /// How many distinct approvers were required.
    pub required: usize,
    /// How many signatures there were.
    pub signatures: usize,
}

/// The verdict of a quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Enough distinct approvers.
    Met,
    /// Signatures were required and there is none (finding `unsigned`).
    Unsigned,
    /// Fewer distinct approvers than required (finding `insufficient-approvals`).
    Insufficient { have: usize, need: usize },
}

impl Quorum {
    /// The verdict. Failed signatures are reported on their own ([`Quorum::failures`]); they only
    /// matter here by not counting.
    pub fn verdict(&self) -> Verdict {
        if self.required == 0 {
            Verdict::Met
        } else if self.signatures == 0 {
            Verdict::Unsigned
        } else if self.approvers.len() < self.required {
            Verdict::Insufficient {
                have: self.approvers.len(),
                need: self.required,
            }
        } else {
            Verdict::Met
        }
    }
}

/// Verifies every signature of an approval and counts distinct approvers: a principal counts once
/// however many keys it signs with, and a key counts once whatever principals it claims (a wildcard
/// line could otherwise let one key holder sign as several people).
pub fn evaluate(
    message: &[u8],
    entries: &[SignatureEntry],
    allowed: &AllowedSigners,
    at: SystemTime,
    required: usize,
) -> Quorum {
    let mut q = Quorum {
        approvers: Vec::new(),
        repeated: Vec::new(),
        failures: Vec::new(),
        required,
        signatures: entries.len(),
    };
    let mut principals = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        match verify_entry(message, e, allowed, at) {
            Ok(v) => {
                if principals.contains(&v.principal) || keys.contains(&v.fingerprint) {
                    q.repeated.push((i, v));
                } else {
                    principals.insert(v.principal.clone());
                    keys.insert(v.fingerprint.clone());
                    q.approvers.push(v);
                }
            }
            Err(f) => q.failures.push((i, f)),
        }
    }
    q
}
