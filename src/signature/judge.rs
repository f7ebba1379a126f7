//! The signature stage of the check: an approval's signatures verified against the allowed signers
//! and counted against the quorum, turned into finding drafts (`unsigned`, `bad-signature`,
//! `untrusted-signer`, `insufficient-approvals`).

use super::verify::Quorum;
use super::{canonical_message, evaluate, AllowedSigners, Failure, SignatureEntry, Verdict};
use crate::config::{Config, ConfigError, Signing};
use crate::finding::Draft;
use crate::manifest::Manifest;
use crate::path::WsPath;
use crate::source::Source;
use crate::vcs::Author;
use crate::Error;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The allowed signers a run trusts: the file a server policy pins, when there is one (read from
/// disk, outside the repository), else the file `[signing]` names, read from the run's source, so
/// that a hook trusts the signers of the commit or transaction it checks, as the check of a working
/// tree trusts those on disk.
pub fn load_trust(
    config: &Config,
    signing: &Signing,
    source: &dyn Source,
) -> Result<AllowedSigners, Error> {
    if let Some(file) = &signing.pinned {
        return AllowedSigners::load(file).map_err(Error::Config);
    }
    let rel = &signing.allowed_signers;
    let display = config
        .file
        .parent()
        .map(|d| d.join(rel))
        .unwrap_or_else(|| PathBuf::from(rel));
    let not_found = |why: String| {
        Error::Config(ConfigError {
            file: config.file.clone(),
            line: None,
            column: None,
            snippet: None,
            message: format!("the allowed-signers file `{rel}` named in [signing] {why}"),
        })
    };
    let path = WsPath::normalize(Path::new(rel))
        .ok_or_else(|| not_found("is outside the workspace".into()))?;
    let mut bytes = Vec::new();
    source
        .open(&path)
        .and_then(|mut r| r.read_to_end(&mut bytes))
        .map_err(|e| not_found(format!("cannot be read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| not_found("is not UTF-8".into()))?;
    AllowedSigners::parse(&display, &text).map_err(Error::Config)
}

/// The drafts for one approval (`manifest` at workspace path `path`) that must be signed by
/// `required` distinct approvers trusted by `allowed` at time `at`. With `author` (the profile has
/// `author-may-not-approve`), a signer whose principal is the author's identity, compared without
/// regard to case, does not count toward the quorum.
pub fn judge(
    path: &str,
    manifest: &Manifest,
    allowed: &AllowedSigners,
    required: usize,
    at: SystemTime,
    author: Option<&Author>,
) -> Vec<Draft> {
    let message = canonical_message(manifest);
    let mut q = evaluate(&message, &manifest.signatures, allowed, at, required);
    let mut note = String::new();
    if let Some(a) = author {
        let before = q.approvers.len();
        q.approvers
            .retain(|v| !v.principal.eq_ignore_ascii_case(&a.identity));
        if q.approvers.len() < before {
            note = format!(
                "; `{}` does not count: the author of the change ({}) may not approve it",
                a.identity, a.change
            );
        }
    }
    drafts_of(path, &manifest.signatures, &q, &note)
}

/// The drafts for signatures of `message` (the thing approved, at workspace path `path`) that must
/// come from `required` distinct approvers trusted by `allowed` at time `at`.
pub fn judge_signed(
    path: &str,
    message: &[u8],
    signatures: &[SignatureEntry],
    allowed: &AllowedSigners,
    required: usize,
    at: SystemTime,
) -> Vec<Draft> {
    let q = evaluate(message, signatures, allowed, at, required);
    drafts_of(path, signatures, &q, "")
}

/// The drafts of an evaluated quorum; `excluded` explains approvers removed from it.
fn drafts_of(path: &str, signatures: &[SignatureEntry], q: &Quorum, excluded: &str) -> Vec<Draft> {
    let mut drafts = Vec::new();
    for (i, failure) in &q.failures {
        let principal = &signatures[*i].principal;
        drafts.push(match failure {
            Failure::Bad(b) => Draft::bad_signature(path, i + 1, principal, &b.to_string()),
            Failure::Untrusted(u) => {
                Draft::untrusted_signer(path, i + 1, principal, &u.to_string())
            }
        });
    }
    match q.verdict() {
        Verdict::Met => {}
        Verdict::Unsigned => drafts.push(Draft::unsigned(path, q.required)),
        Verdict::Insufficient { need, .. } => {
            let approvers: Vec<String> = q.approvers.iter().map(|v| v.principal.clone()).collect();
            let mut note = excluded.to_string();
            for (i, v) in &q.repeated {
                note.push_str(&format!(
                    "; signature {} counts no more: `{}` or key {} already counted",
                    i + 1,
                    v.principal,
                    v.fingerprint
                ));
            }
            drafts.push(Draft::insufficient_approvals(path, &approvers, need, &note));
        }
    }
    drafts
}
