//! Samples: issue a throwaway certificate from a profile and lint it with real certificate linters.
//!
//! A profile may declare how to issue a sample certificate with its own configuration
//! (`[profiles.NAME.sample]`, see [`SampleDecl`]). [`run_sample`] runs that command in a scratch folder
//! outside the workspace, against a throwaway CA key and certificate generated there with the real
//! `openssl`, so the CA's real keys are never touched and nothing is written into the workspace. The
//! certificate it writes is parsed into a plain [`SampleCert`] that requirement checks can read, and
//! [`lint`] runs pkilint (and zlint when installed) on it, returning each result with the linter's own
//! code and severity.
//!
//! Every way a sample can fail to be issued is a [`SampleFailure`] rather than an error: a declared
//! sample that cannot be issued is a finding about the profile, not a reason to stop the run.

mod cert;
mod decl;
mod lint;
mod run;

pub use cert::SampleCert;
pub use decl::{KeyType, Purpose, SampleDecl};
pub use lint::{lint, LintReport, LintSeverity, Linters};
#[cfg(test)]
pub use run::SampleFailure;
pub use run::{run_sample, SampleInputs};
