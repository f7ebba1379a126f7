//! Findings: one problem with a component of a profile, with a stable code that is a public contract.

use crate::inventory::Step;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The finding codes. They appear in JSON, SARIF rule ids, JUnit, the docs and the configuration;
/// a code may be added but never renamed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    Untracked,
    Ignored,
    Uncommitted,
    Stale,
    Missing,
    Unapproved,
    Orphaned,
    OutsideRoot,
    Unreadable,
    /// Only the release gate looks for it: the manifest records a revision outside the checked history.
    ForeignApproval,
}

impl Code {
    pub const ALL: [Code; 10] = [
        Code::Untracked,
        Code::Ignored,
        Code::Uncommitted,
        Code::Stale,
        Code::Missing,
        Code::Unapproved,
        Code::Orphaned,
        Code::OutsideRoot,
        Code::Unreadable,
        Code::ForeignApproval,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Untracked => "untracked",
            Code::Ignored => "ignored",
            Code::Uncommitted => "uncommitted",
            Code::Stale => "stale",
            Code::Missing => "missing",
            Code::Unapproved => "unapproved",
            Code::Orphaned => "orphaned",
            Code::OutsideRoot => "outside-root",
            Code::Unreadable => "unreadable",
            Code::ForeignApproval => "foreign-approval",
        }
    }

    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// One sentence saying what the code means; used in help, SARIF rules and the README.
    pub fn description(self) -> &'static str {
        match self {
            Code::Untracked => "The component is on disk but not known to version control.",
            Code::Ignored => {
                "The component is on disk but matched by an ignore rule, so it can never be committed by accident."
            }
            Code::Uncommitted => {
                "The component is tracked, but the disk or the index differs from the last commit."
            }
            Code::Stale => "The component's hash differs from the profile's approved manifest.",
            Code::Missing => {
                "The component is referenced but absent from the source, or a declared pattern matched nothing."
            }
            Code::Unapproved => "The profile has no approved manifest, or the component is not in it.",
            Code::Orphaned => {
                "The component is in the approved manifest but no longer referenced by the profile."
            }
            Code::OutsideRoot => {
                "The reference or a symlink leads outside the workspace or the repository."
            }
            Code::Unreadable => {
                "The component exists but cannot be read as a regular file (permissions, FIFO, device, socket, loop)."
            }
            Code::ForeignApproval => {
                "The manifest records an approval made on a revision outside the checked history (a git commit that is not an ancestor of HEAD, or a Subversion revision newer than the working copy)."
            }
        }
    }

    /// What a person should do about it.
    pub fn remedy(self) -> &'static str {
        match self {
            Code::Untracked => "add it to version control and commit it",
            Code::Ignored => "remove the ignore rule that matches it, then add and commit it",
            Code::Uncommitted => "commit the change (with a re-approval if its content changed)",
            Code::Stale => "review `vigil diff`, then `vigil approve` and commit the manifest",
            Code::Missing => "restore the file or fix the reference",
            Code::Unapproved => "run `vigil approve` and commit the manifest",
            Code::Orphaned => "run `vigil approve` to drop it from the manifest",
            Code::OutsideRoot => "move the file into the workspace and reference it there",
            Code::Unreadable => "make it a readable regular file",
            Code::ForeignApproval => {
                "merge the history the approval was made on, or approve again on this branch and commit the manifest"
            }
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            Code::Orphaned => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding matters. `off` findings are dropped before reporting.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Off,
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub profile: String,
    /// The component (or, for a declared pattern that matched nothing, the pattern).
    pub path: String,
    pub message: String,
    /// How the profile reached the component, outermost first.
    pub via: Vec<Step>,
}
