//! `vigil sign`: adds an approver's SSH signature to a profile's approval without changing the
//! approval. `vigil approve --sign` uses it too, right after writing the manifest.
//!
//! The signature is a `[[signature]]` table appended to the manifest file: every byte already there
//! stays as it was, so the diff of a co-signature is the new table alone.

use crate::manifest::{self, Manifest};
use crate::signature::{self, AllowedSigners, SignatureEntry, Signer};
use crate::workspace::Workspace;
use crate::Error;
use std::path::PathBuf;

/// One signed approval.
#[derive(Debug, Clone)]
pub struct Signed {
    pub profile: String,
    /// The manifest file.
    pub file: PathBuf,
    /// The table appended.
    pub entry: SignatureEntry,
    /// Distinct signatures the approval now carries.
    pub signatures: usize,
}

/// Signs the approvals of the named profiles with `signer`. `principal` is who signs; by default
/// the one principal the allowed-signers file lists for the signing key.
pub fn sign(
    ws: &Workspace,
    names: &[String],
    signer: &Signer,
    principal: Option<&str>,
) -> Result<Vec<Signed>, Error> {
    let _lock = manifest::lock_workspace(&ws.config.file).map_err(Error::Lock)?;
    sign_locked(ws, names, signer, principal)
}

/// [`sign`], for a caller that holds the workspace's approval lock already.
pub(crate) fn sign_locked(
    ws: &Workspace,
    names: &[String],
    signer: &Signer,
    principal: Option<&str>,
) -> Result<Vec<Signed>, Error> {
    let profiles = ws.config.select(names)?;
    let allowed = match &ws.config.signing {
        Some(s) => Some(match &s.pinned {
            Some(f) => AllowedSigners::load(f)?,
            None => AllowedSigners::load(&ws.root.join(&s.allowed_signers))?,
        }),
        None => None,
    };
    let mut out = Vec::new();
    for p in profiles {
        let file = ws.root.join(ws.config.manifest_path(&p.name));
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Usage(format!(
                    "profile `{}` has no approval to sign: run `vigil approve {} --sign` first",
                    p.name, p.name
                )))
            }
            Err(e) => return Err(Error::io(&file, e)),
        };
        let m = Manifest::parse(&file, &text).map_err(Error::Manifest)?;
        let message = signature::canonical_message(&m);
        let armored = signer
            .sign(&message)
            .map_err(|e| Error::Sign(e.to_string()))?;
        let sig = ssh_key::SshSig::from_pem(armored.trim().as_bytes())
            .map_err(|e| Error::Sign(format!("ssh-keygen printed an unreadable signature: {e}")))?;
        let fingerprint = signature::allowed::fingerprint(sig.public_key());
        if m.signatures
            .iter()
            .any(|s| s.key_fingerprint == fingerprint)
        {
            return Err(Error::Usage(format!(
                "the approval of `{}` is already signed with key {fingerprint}",
                p.name
            )));
        }
        let who = match principal {
            Some(w) => w.to_string(),
            None => principal_of(allowed.as_ref(), sig.public_key(), &fingerprint)?,
        };
        let signed_at = crate::approved_at::approval_time()?;
        let entry =
            SignatureEntry::new(who, armored, signed_at).map_err(|e| Error::Sign(e.to_string()))?;
        let mut new_text = text.clone();
        if !new_text.ends_with('\n') {
            new_text.push('\n');
        }
        new_text.push('\n');
        new_text.push_str(&entry.to_toml());
        manifest::write_atomic(&file, new_text.as_bytes()).map_err(|e| Error::write(&file, e))?;
        out.push(Signed {
            profile: p.name.clone(),
            file,
            entry,
            signatures: m.signatures.len() + 1,
        });
    }
    Ok(out)
}

/// The one principal the allowed signers name for a key, without wildcards.
pub(crate) fn principal_of(
    allowed: Option<&AllowedSigners>,
    key: &ssh_key::public::KeyData,
    fingerprint: &str,
) -> Result<String, Error> {
    let Some(allowed) = allowed else {
        return Err(Error::Usage(
            "no [signing] in vigil.toml names the allowed signers: pass --principal".into(),
        ));
    };
    allowed
        .plain_principal(key, fingerprint)
        .map_err(Error::Usage)
}

/// git's `user.signingKey`, the key `git commit -S` signs with, as the default signing key.
pub fn default_key(ws: &Workspace) -> Option<PathBuf> {
    git2::Repository::discover(&ws.root)
        .ok()?
        .config()
        .ok()?
        .get_path("user.signingkey")
        .ok()
}
