//! vigil keeps configuration profiles under change control.
//!
//! For every profile declared in `vigil.toml` it inventories each component the profile references on
//! disk, checks that each one is tracked and committed in version control, hashes each one with BLAKE3
//! against the profile's last approved manifest, and reports what is untracked, uncommitted, stale,
//! missing or unapproved, with the chain of references that led to it.
//!
//! The pipeline, one module per stage:
//! [`config`] → [`inventory`] (over a [`source`], with [`discover`]) → [`vcs`] → [`hash`] →
//! [`check`] (against the [`manifest`]) → [`report`]. Only the binary prints or exits.

pub mod approve;
pub mod check;
pub mod config;
pub mod diff;
pub mod discover;
pub mod finding;
pub mod gate;
pub mod hash;
pub mod hook;
pub mod inventory;
pub mod manifest;
pub mod path;
pub mod report;
pub mod sample;
pub mod schema;
pub mod snapshot;
pub mod source;
pub mod svn_hook;
pub mod vcs;
pub mod workspace;

/// Everything that stops a run before it can report findings. Each maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Vcs(String),
    #[error("{0}")]
    Io(String),
}

/// The version written into manifests and reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
