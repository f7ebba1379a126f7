//! `vigil approve`.

use super::{Exit, Globals, Outcome, ProgressLine};
use crate::approve::{self, Outcome as Approval};
use crate::inventory::chain_text;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles to approve.
    #[arg(value_name = "PROFILE", required = true)]
    profiles: Vec<String>,

    /// Who approves (default: git's `user.name <user.email>`).
    #[arg(long, value_name = "WHO")]
    by: Option<String>,

    /// Why: recorded in the manifest, shown by the gate.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,

    /// Sign the approval with an SSH key (`ssh-keygen -Y sign`, namespace `vigil-approval`).
    #[arg(long)]
    sign: bool,

    /// The signing key: a private key file, or a `.pub` file whose private half is in ssh-agent
    /// (default: git's `user.signingKey`).
    #[arg(long, value_name = "FILE", requires = "sign")]
    key: Option<std::path::PathBuf>,

    /// Who signs (default: the principal the allowed-signers file lists for the key).
    #[arg(long, value_name = "PRINCIPAL", requires = "sign")]
    principal: Option<String>,

    /// State that every component was reviewed against requirement ID (repeatable): recorded with the
    /// time and approver on each component in the manifest, even when no byte changed.
    #[arg(long, value_name = "ID")]
    satisfies: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let vcs = ws.vcs()?;
    let mut progress = ProgressLine::new();
    let outcome = approve::approve_satisfying(
        &ws,
        vcs.as_ref(),
        &a.profiles,
        a.by,
        a.reason,
        &a.satisfies,
        &mut |p| progress.update(p),
    );
    progress.finish();
    match outcome? {
        Approval::Refused(findings) => {
            eprintln!("vigil: approval refused: what is not under version control cannot be approved. Nothing was written.");
            for f in &findings {
                eprintln!(
                    "  {} {}: {} {}",
                    f.profile,
                    f.code,
                    f.path,
                    crate::path::escape_text(&f.message)
                );
                if !f.via.is_empty() {
                    eprintln!("      via {}", chain_text(&f.via));
                }
                eprintln!("      fix: {}", f.code.remedy());
            }
            Ok(Exit::Findings)
        }
        Approval::Approved(list) => {
            let signer = if a.sign {
                Some(super::signer(&ws, a.key)?)
            } else {
                None
            };
            let names: Vec<String> = list.iter().map(|ap| ap.profile.clone()).collect();
            for ap in list {
                for (path, what) in &ap.transformed {
                    eprintln!(
                        "vigil: warning: {}: git transforms {path} between disk and the repository ({what}); \
                         the hooks read the blob and may find it stale. Mark it `-text` in .gitattributes",
                        ap.profile
                    );
                }
                let rel = ap.file.strip_prefix(&ws.root).unwrap_or(&ap.file);
                if g.quiet {
                    continue;
                }
                if ap.written {
                    let local = if ap.manifest.revision.local_changes {
                        " (including uncommitted changes: commit them together with the manifest)"
                    } else {
                        ""
                    };
                    println!(
                        "approved {}: {} components written to {}{local}",
                        ap.profile,
                        ap.manifest.components.len(),
                        rel.display()
                    );
                } else {
                    println!(
                        "{}: unchanged since the approval in {}; nothing written",
                        ap.profile,
                        rel.display()
                    );
                }
            }
            if let Some(signer) = signer {
                let signed = crate::sign::sign(&ws, &names, &signer, a.principal.as_deref())?;
                super::print_signed(&ws, &signed);
            }
            Ok(Exit::Ok)
        }
    }
}
