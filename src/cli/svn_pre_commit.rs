//! `vigil svn-pre-commit`: the Subversion server-side pre-commit hook (see `hooks/svn-pre-commit`).

use super::{Exit, Failure, Outcome};
use crate::source::TxnOrRev;
use crate::svn_hook::{self, Options, Verdict};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The repository's path on the server (the hook's first argument).
    #[arg(value_name = "REPOS")]
    repos: PathBuf,

    /// The transaction name (the hook's second argument).
    #[arg(value_name = "TXN", required_unless_present = "revision")]
    txn: Option<String>,

    /// Check a committed revision instead of a transaction (to try the hook on existing history).
    #[arg(long, short = 'r', value_name = "REV", conflicts_with = "txn")]
    revision: Option<String>,

    /// A workspace folder in the repository, holding vigil.toml (repeatable). Default: the repository
    /// root and trunk/, wherever a vigil.toml is.
    #[arg(long = "workspace", value_name = "PATH-IN-REPO")]
    workspaces: Vec<String>,

    /// Absolute path of svnlook. Default: $VIGIL_SVNLOOK, then PATH, then /usr/bin, /usr/local/bin,
    /// /opt/homebrew/bin, /opt/local/bin (hooks run without PATH).
    #[arg(long, value_name = "PATH")]
    svnlook: Option<PathBuf>,

    /// Where to keep what earlier runs learned about committed node revisions (kind, size, BLAKE3,
    /// keyed by node-revision id, which never changes once committed), so that a component is read
    /// once per node revision instead of on every commit. Default: REPOS/vigil/node-hashes. An
    /// unreadable or unwritable file is ignored.
    #[arg(long, value_name = "FILE", conflicts_with = "no_cache")]
    cache: Option<PathBuf>,

    /// Keep no node cache: read every component of every profile a commit touches.
    #[arg(long)]
    no_cache: bool,

    /// The server's own policy file (allowed signers, required approvals, minimum severities,
    /// profiles that must exist), outside the repository: vigil.toml may only make it stricter, and
    /// a commit whose vigil.toml goes below it is rejected.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,

    /// Also say what was checked when the commit is accepted.
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub fn run(a: Args) -> Outcome {
    let txn = match (a.txn, a.revision) {
        (_, Some(r)) => TxnOrRev::Rev(r),
        (Some(t), None) => TxnOrRev::Txn(t),
        (None, None) => unreachable!("clap requires one"),
    };
    let cache = match (a.no_cache, a.cache) {
        (true, _) => None,
        (false, Some(f)) => Some(f),
        (false, None) => Some(svn_hook::default_cache(&a.repos)),
    };
    let policy = match &a.policy {
        Some(f) => Some(
            crate::policy::Policy::load(f)
                .map_err(|e| Failure::HookCouldNotRun(crate::Error::Config(e)))?,
        ),
        None => None,
    };
    let o = Options {
        policy,
        cache,
        repos: a.repos,
        txn,
        workspaces: a.workspaces,
        svnlook: a.svnlook,
    };
    match svn_hook::pre_commit(&o) {
        Ok(Verdict::Accept(notes)) => {
            if a.verbose {
                for n in notes {
                    eprintln!("vigil: accepted: {n}");
                }
            }
            Ok(Exit::Ok)
        }
        Ok(Verdict::Reject(msg)) => {
            eprint!("{msg}");
            Ok(Exit::Findings)
        }
        // Any non-zero exit rejects the commit; say that it was vigil that failed, not the commit.
        Err(e) => Err(Failure::HookCouldNotRun(e)),
    }
}
