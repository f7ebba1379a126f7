//! `vigil pre-receive`: the git server hook. Reads `OLD NEW REF` lines on stdin, has the library
//! check each update ([`crate::pre_receive`]) and prints what it says.

use super::{usage, Exit, Outcome};
use crate::pre_receive::{RefUpdate, Server};
use crate::snapshot;
use std::io::BufRead;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder holding vigil.toml, as a path inside the repository (default: the top).
    #[arg(long, value_name = "PATH-IN-REPO")]
    workspace: Option<String>,

    /// Check every commit the push adds, not only each ref's new tip.
    #[arg(long)]
    every_commit: bool,

    /// The server's own policy file (allowed signers, required approvals, minimum severities,
    /// profiles that must exist), outside the repository: a pushed vigil.toml may only make it
    /// stricter, and a push whose vigil.toml goes below it is rejected.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
}

pub fn run(a: Args) -> Outcome {
    let prefix = match a.workspace.as_deref() {
        None => Vec::new(),
        Some(w) => snapshot::parse_workspace(w)?,
    };
    // The repository first: one libgit2 cannot open (SHA-256 object ids) is said as such, rather
    // than as input lines that do not parse.
    let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
    let policy = match &a.policy {
        Some(f) => Some(crate::policy::Policy::load(f).map_err(crate::Error::Config)?),
        None => None,
    };
    let server = Server::open(&cwd, prefix, a.every_commit)?.with_policy(policy);
    let mut updates = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match RefUpdate::parse(&line) {
            Some(u) => updates.push(u),
            None => {
                return Err(usage(format!(
                    "expected `OLD NEW REF` on stdin, got `{line}`"
                )))
            }
        }
    }
    let mut rejected = 0;
    let mut errors = 0;
    for u in &updates {
        match server.check(u, &mut |line| eprintln!("{line}")) {
            Ok(true) => {}
            Ok(false) => rejected += 1,
            Err(e) => {
                // One ref's error does not stop the others from being checked and reported.
                eprintln!("vigil: error: {}: {e}", u.name);
                errors += 1;
            }
        }
    }
    if rejected + errors > 0 {
        eprintln!(
            "vigil: push rejected: {} of {} refs fail the profile checks (run `vigil check --rev COMMIT` \
             in a clone for the full report)",
            rejected + errors,
            updates.len()
        );
    }
    Ok(if errors > 0 {
        Exit::Errors
    } else if rejected > 0 {
        Exit::Findings
    } else {
        Exit::Ok
    })
}
