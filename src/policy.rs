//! The server's own policy (`--policy FILE` of `pre-receive`, `svn-pre-commit` and `gate`): a file
//! outside the repository that the repository's `vigil.toml` can only make stricter.
//!
//! The hooks and the gate otherwise take their severities, profiles and signers from the `vigil.toml`
//! they check, so a committer could relax the policy in the same change it sneaks through. A policy
//! pins, from the server's disk:
//!
//! ```toml
//! allowed-signers = "/etc/vigil/allowed_signers"   # trusted instead of the repository's file
//! required = 2                                     # distinct approvers of every approval, at least
//! profiles = ["tls-server"]                        # profiles vigil.toml must keep declaring
//! author-may-not-approve = true                    # the change's author never counts as approver
//!
//! [severity.hook]                                  # minimum severities, per mode
//! stale = "error"
//! ```
//!
//! [`Policy::apply`] raises the configuration to the policy (so the check runs with the stricter of
//! the two) and returns every place where `vigil.toml` tried to go below it; the hooks and the gate
//! reject such a change whatever else it holds.

use crate::config::{Config, ConfigError, RawSeverities, Signing};
use crate::finding::{Code, Mode, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest policy file read; a real one is a few lines.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// A parsed policy file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The policy file, for messages.
    pub file: PathBuf,
    /// The allowed-signers file the server trusts (absolute).
    pub allowed_signers: Option<PathBuf>,
    /// Distinct approvers every approval needs at least; `None`: signing is not required by the
    /// policy (the repository may still require it).
    pub required: Option<u32>,
    /// Whether the author of a change may never count toward its quorum (`true`), whatever
    /// `vigil.toml` says.
    pub author_may_not_approve: bool,
    /// Profiles `vigil.toml` must declare.
    pub profiles: Vec<String>,
    /// Minimum severity per mode and code.
    pub severity: [(Mode, BTreeMap<Code, Severity>); 3],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    allowed_signers: Option<String>,
    required: Option<u32>,
    #[serde(default)]
    author_may_not_approve: bool,
    #[serde(default)]
    profiles: Vec<String>,
    #[serde(default)]
    severity: RawSeverities,
}

/// One way the repository's configuration goes below the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relaxation(pub String);

impl std::fmt::Display for Relaxation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Policy {
    /// Reads and parses a policy file; errors name the file and line.
    pub fn load(file: &Path) -> Result<Policy, ConfigError> {
        let plain = |message: String| ConfigError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            snippet: None,
            message,
        };
        let bytes = crate::config::read_regular(file, MAX_POLICY_BYTES)
            .map_err(|e| plain(format!("cannot read the policy file: {e}")))?;
        let text =
            String::from_utf8(bytes).map_err(|_| plain("the policy file is not UTF-8".into()))?;
        Policy::parse(file, &text)
    }

    /// Parses the text of a policy file; `file` names it in errors and anchors a relative
    /// `allowed-signers`.
    pub fn parse(file: &Path, text: &str) -> Result<Policy, ConfigError> {
        let raw: RawPolicy = toml::from_str(text)
            .map_err(|e| ConfigError::at(file, text, e.span(), e.message().trim().to_string()))?;
        if raw.required == Some(0) {
            return Err(ConfigError::at(
                file,
                text,
                text.find("required").map(|i| i..i + 1),
                "`required` must be at least 1".into(),
            ));
        }
        let base = file.parent().unwrap_or(Path::new("."));
        Ok(Policy {
            file: file.to_path_buf(),
            allowed_signers: raw.allowed_signers.map(|a| base.join(a)),
            required: raw.required,
            author_may_not_approve: raw.author_may_not_approve,
            profiles: raw.profiles,
            severity: [
                (Mode::Hook, raw.severity.hook),
                (Mode::Nightly, raw.severity.nightly),
                (Mode::Gate, raw.severity.gate),
            ],
        })
    }

    /// Raises `config` to this policy and returns where `vigil.toml` goes below it (empty: it
    /// does not). After this, the configuration is at least as strict as the policy in every
    /// respect the policy names.
    pub fn apply(&self, config: &mut Config) -> Vec<Relaxation> {
        let mut out = Vec::new();
        for name in &self.profiles {
            if !config.profiles.contains_key(name) {
                out.push(Relaxation(format!(
                    "profile `{name}` is required by the server policy but vigil.toml does not declare it"
                )));
            }
        }
        for (mode, mins) in &self.severity {
            for (&code, &min) in mins {
                if let Some(set) = config.raise_severity(*mode, code, min) {
                    out.push(Relaxation(format!(
                        "[severity.{}] {code} = \"{set}\" is below the server policy's \"{min}\"",
                        mode.as_str()
                    )));
                }
            }
        }
        self.apply_signing(config, &mut out);
        out
    }

    fn apply_signing(&self, config: &mut Config, out: &mut Vec<Relaxation>) {
        if self.required.is_none() && self.allowed_signers.is_none() && !self.author_may_not_approve
        {
            return;
        }
        let need = self.required.unwrap_or(1);
        match &mut config.signing {
            None => {
                out.push(Relaxation(format!(
                    "the server policy requires approvals signed by {need} approver{} but vigil.toml has no [signing]",
                    if need == 1 { "" } else { "s" }
                )));
                if let Some(file) = &self.allowed_signers {
                    config.signing = Some(Signing {
                        allowed_signers: String::new(),
                        required: need,
                        author_may_not_approve: self.author_may_not_approve.then_some(true),
                        profiles: BTreeMap::new(),
                        pinned: Some(file.clone()),
                    });
                }
            }
            Some(s) => {
                if s.required < need {
                    out.push(Relaxation(format!(
                        "[signing] required = {} is below the server policy's {need}",
                        s.required
                    )));
                    s.required = need;
                }
                for (name, p) in s.profiles.iter_mut() {
                    if p.required < need {
                        out.push(Relaxation(format!(
                            "[signing.profiles.{name}] required = {} is below the server policy's {need}",
                            p.required
                        )));
                        p.required = need;
                    }
                }
                if let Some(file) = &self.allowed_signers {
                    s.pinned = Some(file.clone());
                }
                if self.author_may_not_approve {
                    raise_author_rule(s, out);
                }
            }
        }
    }
}

/// Turns `author-may-not-approve` on everywhere in `[signing]`; an explicit `false` (for all
/// profiles or one) is a relaxation, while leaving it unset only takes the policy's value.
fn raise_author_rule(s: &mut Signing, out: &mut Vec<Relaxation>) {
    if s.author_may_not_approve == Some(false) {
        out.push(Relaxation(
            "[signing] author-may-not-approve = false is below the server policy's true".into(),
        ));
    }
    s.author_may_not_approve = Some(true);
    for (name, p) in s.profiles.iter_mut() {
        if p.author_may_not_approve == Some(false) {
            out.push(Relaxation(format!(
                "[signing.profiles.{name}] author-may-not-approve = false is below the server policy's true"
            )));
        }
        p.author_may_not_approve = Some(true);
    }
}

/// The lines that say why a change is rejected for relaxing `policy`.
pub fn rejection_lines(policy: &Policy, relaxed: &[Relaxation]) -> Vec<String> {
    let mut lines = vec![format!(
        "vigil.toml relaxes the server policy {}:",
        policy.file.display()
    )];
    lines.extend(relaxed.iter().map(|r| format!("  {r}")));
    lines.push(
        "  What to do: keep vigil.toml at least as strict as the server policy (it may only be stricter)"
            .into(),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        crate::config::parse(Path::new("/ws/vigil.toml"), text).unwrap()
    }

    const POLICY: &str = "allowed-signers = \"signers\"\nrequired = 2\nprofiles = [\"ca\"]\n\n[severity.hook]\nstale = \"error\"\n";

    #[test]
    fn a_stricter_repository_passes_and_keeps_its_strictness() {
        let p = Policy::parse(Path::new("/etc/vigil/policy.toml"), POLICY).unwrap();
        let mut c = config(
            "[signing]\nallowed-signers = \"a\"\nrequired = 3\n[profiles.ca]\ncomponents = [\"x\"]\n[severity.hook]\norphaned = \"error\"\n",
        );
        assert_eq!(p.apply(&mut c), Vec::new());
        let s = c.signing.as_ref().unwrap();
        assert_eq!(s.required, 3);
        assert_eq!(s.pinned.as_deref(), Some(Path::new("/etc/vigil/signers")));
        assert_eq!(c.severity(Mode::Hook, Code::Orphaned), Severity::Error);
    }

    #[test]
    fn every_relaxation_is_named_and_raised() {
        let p = Policy::parse(Path::new("/etc/vigil/policy.toml"), POLICY).unwrap();
        let mut c = config(
            "[signing]\nallowed-signers = \"a\"\nrequired = 1\n[profiles.other]\ncomponents = [\"x\"]\n[severity.hook]\nstale = \"warning\"\n",
        );
        let r = p.apply(&mut c);
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[0].0.contains("profile `ca`"), "{r:?}");
        assert!(r[1].0.contains("stale = \"warning\""), "{r:?}");
        assert!(r[2].0.contains("required = 1"), "{r:?}");
        assert_eq!(c.severity(Mode::Hook, Code::Stale), Severity::Error);
        assert_eq!(c.signing.as_ref().unwrap().required, 2);
        let mut none = config("[profiles.ca]\ncomponents = [\"x\"]\n");
        let r = p.apply(&mut none);
        assert!(r[0].0.contains("no [signing]"), "{r:?}");
        assert_eq!(none.signing.unwrap().required, 2);
    }

    #[test]
    fn a_profile_quorum_below_the_policy_is_a_relaxation_and_raised() {
        let p = Policy::parse(Path::new("/etc/vigil/policy.toml"), POLICY).unwrap();
        let mut c = config(
            "[signing]\nallowed-signers = \"a\"\nrequired = 2\n[signing.profiles.ca]\nrequired = 1\n[profiles.ca]\ncomponents = [\"x\"]\n",
        );
        let r = p.apply(&mut c);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            r[0].0,
            "[signing.profiles.ca] required = 1 is below the server policy's 2"
        );
        assert_eq!(c.signing.as_ref().unwrap().required_for("ca"), 2);
    }

    #[test]
    fn the_author_rule_is_raised_and_an_explicit_false_is_a_relaxation() {
        let p = Policy::parse(Path::new("/p.toml"), "author-may-not-approve = true\n").unwrap();
        let signing = "[signing]\nallowed-signers = \"a\"\n";
        let mut unset = config(&format!("{signing}[profiles.ca]\ncomponents = [\"x\"]\n"));
        assert_eq!(p.apply(&mut unset), Vec::new());
        assert!(unset.signing.unwrap().author_may_not_approve_for("ca"));
        let mut off = config(&format!(
            "{signing}[signing.profiles.ca]\nrequired = 1\nauthor-may-not-approve = false\n[profiles.ca]\ncomponents = [\"x\"]\n"
        ));
        let r = p.apply(&mut off);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0]
            .0
            .contains("[signing.profiles.ca] author-may-not-approve = false"));
        assert!(off.signing.unwrap().author_may_not_approve_for("ca"));
    }

    #[test]
    fn a_bad_policy_names_its_line() {
        let e = Policy::parse(Path::new("p.toml"), "required = 0\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = Policy::parse(Path::new("p.toml"), "\nreqired = 2\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e =
            Policy::parse(Path::new("p.toml"), "[severity.hook]\nstale = \"loud\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }
}
