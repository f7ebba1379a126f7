//! `vigil sign`: adds a co-signature to a profile's approval, changing nothing else; with
//! `--allowed-signers`, signs a change of the allowed-signers file.

use super::{print_signed, signer, Exit, Globals, Outcome};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles whose approvals to sign.
    #[arg(value_name = "PROFILE", required_unless_present = "allowed_signers")]
    profiles: Vec<String>,

    /// Sign the allowed-signers file that `[signing]` names, as it is on disk: a change to it must be
    /// signed by enough of the approvers its previous version trusts (`FILE.sig.toml`).
    #[arg(long, conflicts_with = "profiles")]
    allowed_signers: bool,

    /// The signing key: a private key file, or a `.pub` file whose private half is in ssh-agent
    /// (default: git's `user.signingKey`).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,

    /// Who signs (default: the principal the allowed-signers file lists for the key).
    #[arg(long, value_name = "PRINCIPAL")]
    principal: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let signer = signer(&ws, a.key)?;
    if a.allowed_signers {
        let (file, entry, n) =
            crate::signature::signers::sign_file(&ws, &signer, a.principal.as_deref())?;
        let rel = file.strip_prefix(&ws.root).unwrap_or(&file);
        println!(
            "signed the allowed signers as {} with {}: {n} signature{} in {}",
            entry.principal,
            entry.key_fingerprint,
            if n == 1 { "" } else { "s" },
            rel.display()
        );
        return Ok(Exit::Ok);
    }
    let signed = crate::sign::sign(&ws, &a.profiles, &signer, a.principal.as_deref())?;
    print_signed(&ws, &signed);
    Ok(Exit::Ok)
}
