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
pub mod bundle;
pub mod check;
pub mod config;
mod diagnostic;
pub mod diff;
mod discover;
pub mod explain;
pub mod extract;
pub mod finding;
pub mod gate;
pub mod git_format;
pub mod hash;
pub mod history;
pub mod history_svn;
pub mod hook;
pub mod hook_admin;
pub mod inventory;
pub mod manifest;
pub mod openssl;
mod openssl_ca;
mod openssl_load;
pub mod output;
pub mod path;
pub mod policy;
pub mod pre_commit;
pub mod pre_receive;
pub mod report;
mod requirement_check;
pub mod requirements;
pub mod sample;
pub mod samples;
pub mod schema;
pub mod sign;
pub mod signature;
pub mod snapshot;
pub mod source;
pub mod staged;
pub mod stat_cache;
pub mod survey;
pub mod svn_hook;
mod svn_tool;
pub mod vcs;
pub mod verify;
pub mod workspace;

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
