//! vigil keeps configuration profiles under change control.
//!
//! For every profile declared in `vigil.toml` it inventories each component the profile references on
//! disk, checks that each one is tracked and committed in version control, hashes each one with BLAKE3
//! against the profile's last approved manifest, and reports what is untracked, uncommitted, stale,
//! missing or unapproved, with the chain of references that led to it.
//!
//! The pipeline, one private module per stage: `config` → `inventory` (over a `source`, with
//! `discover`) → `vcs` → `hash` → `check` (against the `manifest`) → `report`. Only the command
//! ([`main`]) prints or exits.
//!
//! # The library's surface
//!
//! What a program needs to run the check the way `vigil check` does and read its result, and no
//! more: open a [`Workspace`], [`Workspace::check`] it, and read the [`Report`]'s [`Finding`]s (each
//! with its [`Code`], [`Severity`] and the [`Step`]s that reached it) or [`render`] it in one of the
//! report [`Format`]s. [`schemas`] gives the JSON Schemas of the files and reports vigil reads and
//! writes. For an auditor who checks a signed approval with OpenSSH alone: a [`Manifest`] parsed from
//! its file, its [`canonical_message`] (the signed bytes), its [`SignatureEntry`]s and the
//! [`SIGNATURE_NAMESPACE`] to give `ssh-keygen -Y verify -n`. Every other module is private to the
//! crate, so the compiler sees who uses what.
//!
//! ```no_run
//! let cwd = std::env::current_dir().unwrap();
//! let ws = vigil::Workspace::load(None, &cwd)?;
//! let report = ws.check(&[], vigil::Mode::Nightly)?;
//! for f in &report.findings {
//!     println!("{} {} {}: {}", f.severity, f.code, f.profile, f.location());
//! }
//! std::io::Write::write_all(&mut std::io::stdout(), &vigil::render(&report, vigil::Format::Json, false))
//!     .unwrap();
//! # Ok::<(), vigil::Error>(())
//! ```

mod approve;
mod approved_at;
mod bundle;
mod check;
mod cli;
mod config;
mod diagnostic;
mod diff;
mod discover;
mod explain;
mod extract;
mod finding;
mod gate;
mod git_format;
mod hash;
mod history;
mod history_svn;
mod hook;
mod hook_admin;
mod inventory;
mod manifest;
mod openssl;
mod openssl_ca;
mod openssl_load;
mod output;
mod path;
mod policy;
mod pre_commit;
mod pre_receive;
mod regular;
mod report;
mod requirement_check;
mod requirements;
mod sample;
mod samples;
mod schema;
mod sign;
mod signature;
mod snapshot;
mod source;
mod staged;
mod stat_cache;
mod survey;
mod svn_hook;
mod svn_tool;
mod touched;
mod vcs;
mod verify;
mod workspace;

pub use check::Report;
pub use finding::{Code, Finding, Mode, Severity, Step};
pub use manifest::Manifest;
pub use report::{render, Format};
pub use schema::all as schemas;
pub use signature::{canonical_message, SignatureEntry, NAMESPACE as SIGNATURE_NAMESPACE};
pub use workspace::Workspace;

/// The `vigil` command: parses the process's arguments, runs the subcommand, prints its output and
/// returns its exit code (0 nothing at the failing severity, 1 findings, 2 usage, configuration or
/// runtime errors). `src/main.rs` is this one call.
pub fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

/// Everything that stops a run before it can report findings. Each maps to exit code 2 (see
/// [`Error::exit_code`]); the binary prints it once, with its `Display`, which already carries the
/// text of its source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed. `action` (`cannot write`, ...) prefixes the path when set.
    #[error("{}{}: {source}", action.map(|a| format!("{a} ")).unwrap_or_default(), path.display())]
    Io {
        action: Option<&'static str>,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the workspace's approval lock, or the lock cannot be taken.
    #[error("{0}")]
    Lock(#[source] std::io::Error),
    /// A git operation failed; `context` says which, when it adds anything to git's own message.
    #[error("{}{}", if context.is_empty() { String::new() } else { format!("{context}: ") }, source.message())]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },
    /// `svn` or `svnlook` failed, or version control otherwise could not answer.
    #[error("{0}")]
    SvnTool(String),
    /// Version control could not answer (any backend).
    #[error("{0}")]
    Vcs(String),
    /// A profile name that `vigil.toml` does not declare, with the closest known name.
    #[error("{0}")]
    UnknownProfile(#[from] config::UnknownProfile),
    /// `vigil.toml` does not parse or does not make sense.
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    /// An approved manifest does not parse or belongs elsewhere.
    #[error("{0}")]
    Manifest(config::ConfigError),
    /// Signing an approval failed (`ssh-keygen -Y sign` could not run or refused).
    #[error("cannot sign: {0}")]
    Sign(String),
    /// A bundle cannot be made, or a bundle read back is damaged or was changed after it was made.
    #[error("{0}")]
    Bundle(String),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The process exit code for this error: 2, as for every usage, configuration or runtime error.
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action: None,
            path: path.into(),
            source,
        }
    }

    /// A failed write of `path`.
    pub fn write(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action: Some("cannot write"),
            path: path.into(),
            source,
        }
    }

    /// A git error, with what vigil was doing (may be empty).
    pub fn git(context: impl Into<String>, source: git2::Error) -> Self {
        Error::Git {
            context: context.into(),
            source,
        }
    }

    /// The process's current folder cannot be read.
    pub fn current_dir(source: std::io::Error) -> Self {
        Error::Io {
            action: Some("cannot read"),
            path: "the current folder".into(),
            source,
        }
    }
}

/// The version written into manifests and reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
