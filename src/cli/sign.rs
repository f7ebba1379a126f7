//! `vigil sign`: adds a co-signature to a profile's approval, changing nothing else.

use super::{print_signed, signer, Exit, Globals, Outcome};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles whose approvals to sign.
    #[arg(value_name = "PROFILE", required = true)]
    profiles: Vec<String>,

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
    let signed = vigil::sign::sign(&ws, &a.profiles, &signer, a.principal.as_deref())?;
    print_signed(&ws, &signed);
    Ok(Exit::Ok)
}
