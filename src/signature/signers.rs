//! A change to the in-repository allowed-signers file is itself an approval: it must be signed by
//! the required number of approvers that the file's previous version trusts, or anyone who can
//! commit could name themselves an approver.
//!
//! The signatures live beside the file, in `FILE.sig.toml`:
//!
//! ```toml
//! # Signatures of approvers/allowed_signers. Written by `vigil sign --allowed-signers`.
//! blake3 = "…"          # of the signed content; a changed file starts a new list
//!
//! [[signature]]
//! principal = "alice@ca.example"
//! # key-fingerprint, signed-at, sshsig as in a manifest
//! ```
//!
//! The signed message is `vigil-allowed-signers 1`, the file's workspace path and the BLAKE3 of its
//! content, one per line, values as JSON strings.

use super::{judge::judge_signed, AllowedSigners, SignatureEntry};
use crate::config::ConfigError;
use crate::finding::Draft;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::SystemTime;

/// Where the signatures of the allowed-signers file `path` are kept.
pub fn signatures_path(path: &str) -> String {
    format!("{path}.sig.toml")
}

/// The message an approver signs to approve `text` as the allowed-signers file at `path`.
pub fn message(path: &str, text: &[u8]) -> Vec<u8> {
    let q = |s: &str| serde_json::to_string(s).expect("a string always serialises");
    format!(
        "vigil-allowed-signers 1\npath {}\nblake3 {}\n",
        q(path),
        q(&crate::hash::hash_bytes(text))
    )
    .into_bytes()
}

/// The content of a `FILE.sig.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SignersSignatures {
    /// BLAKE3 of the content the signatures are for.
    #[serde(default)]
    pub blake3: String,
    #[serde(default, rename = "signature")]
    pub signatures: Vec<SignatureEntry>,
}

impl SignersSignatures {
    /// Parses the text of a `FILE.sig.toml`; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<SignersSignatures, ConfigError> {
        toml::from_str(text)
            .map_err(|e| ConfigError::at(file, text, e.span(), e.message().trim().to_string()))
    }

    /// The file's text: a comment naming what it signs, the hash, then the tables.
    pub fn to_toml(&self, path: &str) -> String {
        let mut out = format!(
            "# Signatures of {path}. Written by `vigil sign --allowed-signers`; do not edit.\nblake3 = {}\n",
            serde_json::to_string(&self.blake3).expect("a string always serialises")
        );
        for s in &self.signatures {
            out.push('\n');
            out.push_str(&s.to_toml());
        }
        out
    }
}

/// Judges a change of the allowed-signers file from `previous` (the version trusted so far, parsed)
/// to `new_text` at workspace path `path`, with `sigs_text` the content of its `.sig.toml` if any.
/// Returns the drafts (empty: the change is approved).
pub fn judge_change(
    path: &str,
    new_text: &[u8],
    sigs_text: Option<&str>,
    previous: &AllowedSigners,
    required: usize,
    at: SystemTime,
) -> Result<Vec<Draft>, ConfigError> {
    let sigs_path = signatures_path(path);
    let sigs = match sigs_text {
        Some(t) => SignersSignatures::parse(Path::new(&sigs_path), t)?,
        None => SignersSignatures::default(),
    };
    Ok(judge_signed(
        path,
        &message(path, new_text),
        &sigs.signatures,
        previous,
        required,
        at,
    ))
}

/// Reads a whole file of a source, `None` when it cannot be read.
fn read(source: &dyn crate::source::Source, path: &str) -> Option<Vec<u8>> {
    let p = crate::path::WsPath::normalize(Path::new(path))?;
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut source.open(&p).ok()?, &mut out).ok()?;
    Some(out)
}

/// Judges the allowed-signers file between two states of a workspace: `old` (the configuration and
/// source trusted so far: the ref's old tip, the revision before a transaction) and `new` (what is
/// being pushed or committed). A change of the file, or of which file `[signing]` names, must be
/// signed by the number of approvers the old state requires, among those the old file trusts.
///
/// Nothing is judged when the old state had no `[signing]` (signing is being introduced: its first
/// file is trusted as committed), when the new one has none (a server policy decides whether that is
/// allowed) or when a server policy pins its own file (the repository's then trusts nobody).
pub fn judge_sources(
    old: (&crate::config::Config, &dyn crate::source::Source),
    new: (&crate::config::Config, &dyn crate::source::Source),
    at: SystemTime,
) -> Result<Vec<Draft>, ConfigError> {
    let (Some(os), Some(ns)) = (&old.0.signing, &new.0.signing) else {
        return Ok(Vec::new());
    };
    if ns.pinned.is_some() {
        return Ok(Vec::new());
    }
    let Some(old_text) = read(old.1, &os.allowed_signers) else {
        return Ok(Vec::new());
    };
    let Some(new_text) = read(new.1, &ns.allowed_signers) else {
        // The check itself reports an allowed-signers file that cannot be read.
        return Ok(Vec::new());
    };
    let same_path = crate::path::WsPath::normalize(Path::new(&os.allowed_signers))
        == crate::path::WsPath::normalize(Path::new(&ns.allowed_signers));
    if same_path && old_text == new_text {
        return Ok(Vec::new());
    }
    let previous = AllowedSigners::parse(
        Path::new(&os.allowed_signers),
        &String::from_utf8_lossy(&old_text),
    )?;
    let sigs = read(new.1, &signatures_path(&ns.allowed_signers))
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    judge_change(
        &ns.allowed_signers,
        &new_text,
        sigs.as_deref(),
        &previous,
        os.required as usize,
        at,
    )
}

/// Signs the workspace's allowed-signers file as it is on disk (`vigil sign --allowed-signers`):
/// appends a signature to `FILE.sig.toml`, starting the list afresh when the file changed since the
/// signatures there were made. Returns the signatures file and how many signatures it now holds.
pub fn sign_file(
    ws: &crate::workspace::Workspace,
    signer: &super::Signer,
    principal: Option<&str>,
) -> Result<(std::path::PathBuf, SignatureEntry, usize), crate::Error> {
    use crate::Error;
    let Some(signing) = &ws.config.signing else {
        return Err(Error::Usage(
            "vigil.toml has no [signing]: there is no allowed-signers file to sign".into(),
        ));
    };
    let rel = &signing.allowed_signers;
    let file = ws.root.join(rel);
    let text = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
    let _lock = crate::manifest::lock_workspace(&ws.config.file).map_err(Error::Lock)?;
    let sig_file = ws.root.join(signatures_path(rel));
    let blake3 = crate::hash::hash_bytes(&text);
    let mut sigs = match std::fs::read_to_string(&sig_file) {
        Ok(t) => SignersSignatures::parse(&sig_file, &t).map_err(Error::Config)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SignersSignatures::default(),
        Err(e) => return Err(Error::io(&sig_file, e)),
    };
    if sigs.blake3 != blake3 {
        sigs = SignersSignatures {
            blake3,
            signatures: Vec::new(),
        };
    }
    let armored = signer
        .sign(&message(rel, &text))
        .map_err(|e| Error::Sign(e.to_string()))?;
    let entry_key = ssh_key::SshSig::from_pem(armored.trim().as_bytes())
        .map_err(|e| Error::Sign(format!("ssh-keygen printed an unreadable signature: {e}")))?;
    let fingerprint = super::allowed::fingerprint(entry_key.public_key());
    if sigs
        .signatures
        .iter()
        .any(|s| s.key_fingerprint == fingerprint)
    {
        return Err(Error::Usage(format!(
            "{rel} is already signed with key {fingerprint}"
        )));
    }
    let who = match principal {
        Some(p) => p.to_string(),
        None => {
            let allowed = AllowedSigners::parse(&file, &String::from_utf8_lossy(&text))
                .map_err(Error::Config)?;
            allowed
                .plain_principal(entry_key.public_key(), &fingerprint)
                .map_err(crate::Error::Usage)?
        }
    };
    let signed_at = crate::approved_at::approval_time()?;
    let entry =
        SignatureEntry::new(who, armored, signed_at).map_err(|e| Error::Sign(e.to_string()))?;
    sigs.signatures.push(entry.clone());
    crate::manifest::write_atomic(&sig_file, sigs.to_toml(rel).as_bytes())
        .map_err(|e| Error::write(&sig_file, e))?;
    Ok((sig_file, entry, sigs.signatures.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_path_and_the_content() {
        let a = message("approvers/allowed_signers", b"alice ssh-ed25519 AAAA\n");
        assert!(String::from_utf8_lossy(&a)
            .starts_with("vigil-allowed-signers 1\npath \"approvers/allowed_signers\"\nblake3 \""));
        assert_ne!(
            a,
            message("approvers/allowed_signers", b"bob ssh-ed25519 AAAA\n")
        );
        assert_ne!(a, message("other", b"alice ssh-ed25519 AAAA\n"));
    }

    #[test]
    fn an_unsigned_change_is_unsigned_and_a_bad_file_names_its_line() {
        let d = judge_change(
            "s",
            b"x",
            None,
            &AllowedSigners::default(),
            1,
            SystemTime::now(),
        )
        .unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, crate::finding::Code::Unsigned);
        let e = judge_change(
            "s",
            b"x",
            Some("blake3 = \"\"\nfoo = 1\n"),
            &AllowedSigners::default(),
            1,
            SystemTime::now(),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
