//! Findings: one problem with a component of a profile, with a stable code that is a public contract.
//!
//! Every code is defined once, in the [`codes!`] table below: its name, its default severity in each
//! mode, its description and its remedy. Findings are built by the small constructors on [`Draft`], so
//! that the check, the gate and the hooks word the same problem the same way.

use crate::path::WsPath;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The mode a run is in; each has its own severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pre-commit and pre-receive hooks.
    Hook,
    /// `vigil check` by hand or from cron.
    Nightly,
    /// `vigil gate`.
    Gate,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Hook => "hook",
            Mode::Nightly => "nightly",
            Mode::Gate => "gate",
        }
    }
}

/// A severity for each mode, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMode<T> {
    pub hook: T,
    pub nightly: T,
    pub gate: T,
}

impl<T> PerMode<T> {
    pub fn get(&self, mode: Mode) -> &T {
        match mode {
            Mode::Hook => &self.hook,
            Mode::Nightly => &self.nightly,
            Mode::Gate => &self.gate,
        }
    }

    pub fn get_mut(&mut self, mode: Mode) -> &mut T {
        match mode {
            Mode::Hook => &mut self.hook,
            Mode::Nightly => &mut self.nightly,
            Mode::Gate => &mut self.gate,
        }
    }
}

/// Everything a code says about itself, written once per code in [`codes!`].
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// The kebab-case name: JSON, SARIF rule id, JUnit, configuration keys.
    pub name: &'static str,
    /// Default severity per mode, before `[severity.MODE]` overrides.
    pub defaults: PerMode<Severity>,
    /// One sentence saying what the code means; used in help, SARIF rules and the README.
    pub description: &'static str,
    /// What a person should do about it.
    pub remedy: &'static str,
}

/// Declares [`Code`] and its table. One entry per code: adding a code is adding an entry.
macro_rules! codes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal {
            hook: $hook:ident, nightly: $nightly:ident, gate: $gate:ident,
            description: $description:expr,
            remedy: $remedy:expr $(,)?
        }
    ),* $(,)?) => {
        /// The finding codes. They appear in JSON, SARIF rule ids, JUnit, the docs and the configuration;
        /// a code may be added but never renamed.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
        )]
        pub enum Code {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Code {
            /// Every code, in the order of the table.
            pub const ALL: [Code; [$(Code::$variant),*].len()] = [$(Code::$variant),*];

            /// The code's entry in the table.
            pub fn info(self) -> &'static CodeInfo {
                match self {
                    $(Code::$variant => &CodeInfo {
                        name: $name,
                        defaults: PerMode {
                            hook: Severity::$hook,
                            nightly: Severity::$nightly,
                            gate: Severity::$gate,
                        },
                        description: $description,
                        remedy: $remedy,
                    },)*
                }
            }
        }
    };
}

codes! {
    Untracked = "untracked" {
        hook: Error, nightly: Error, gate: Error,
        description: "The component is on disk but not known to version control.",
        remedy: "add it to version control and commit it",
    },
    Ignored = "ignored" {
        hook: Error, nightly: Error, gate: Error,
        description: "The component is on disk but matched by an ignore rule, so it can never be committed by accident.",
        remedy: "remove the ignore rule that matches it, then add and commit it",
    },
    Uncommitted = "uncommitted" {
        hook: Error, nightly: Error, gate: Error,
        description: "The component is tracked, but the disk or the index differs from the last commit.",
        remedy: "commit the change (with a re-approval if its content changed)",
    },
    Stale = "stale" {
        hook: Error, nightly: Error, gate: Error,
        description: "The component's hash differs from the profile's approved manifest.",
        remedy: "review `vigil diff`, then `vigil approve` and commit the manifest",
    },
    Missing = "missing" {
        hook: Error, nightly: Error, gate: Error,
        description: "The component is referenced but absent from the source, or a declared pattern matched nothing.",
        remedy: "restore the file or fix the reference",
    },
    Unapproved = "unapproved" {
        hook: Error, nightly: Error, gate: Error,
        description: "The profile has no approved manifest, or the component is not in it.",
        remedy: "run `vigil approve` and commit the manifest",
    },
    Orphaned = "orphaned" {
        hook: Warning, nightly: Warning, gate: Error,
        description: "The component is in the approved manifest but no longer referenced by the profile.",
        remedy: "run `vigil approve` to drop it from the manifest",
    },
    OutsideRoot = "outside-root" {
        hook: Error, nightly: Error, gate: Error,
        description: "The reference or a symlink leads outside the workspace or the repository.",
        remedy: "move the file into the workspace and reference it there",
    },
    Unreadable = "unreadable" {
        hook: Error, nightly: Error, gate: Error,
        description: "The component exists but cannot be read as a regular file (permissions, FIFO, device, socket, loop).",
        remedy: "make it a readable regular file",
    },
    /// OpenSSL itself would refuse to load the configuration (its `crypto/conf/conf_def.c` rules).
    OpensslError = "openssl-error" {
        hook: Error, nightly: Error, gate: Error,
        description: "OpenSSL rejects the configuration file: loading it fails at this line, so the CA software cannot use the profile as written.",
        remedy: "fix the line (`vigil explain PROFILE` shows what loads up to it), or check it with `openssl req -config FILE`",
    },
    /// A path or value depends on an environment variable that the profile does not declare.
    UndeclaredEnv = "undeclared-env" {
        hook: Error, nightly: Error, gate: Error,
        description: "An OpenSSL path or value depends on `$ENV::NAME`, and the profile does not declare NAME: vigil cannot know which file the CA software reads, or which value it uses.",
        remedy: "declare the variable in the profile (`env = { NAME = \"...\" }` or `env-file`), as the CA software's environment sets it",
    },
    /// A structured reference extractor (`json`, `kv`, `xml`) cannot parse a component.
    Malformed = "malformed" {
        hook: Error, nightly: Error, gate: Error,
        description: "A component that a `json`, `kv` or `xml` reference extractor reads cannot be parsed as that format, at this line: the CA software cannot read it either, and the files it names cannot be followed.",
        remedy: "fix the file at the line shown (the message says what the parser expected)",
    },
    /// Only the release gate looks for it: the manifest records a revision outside the checked history.
    ForeignApproval = "foreign-approval" {
        hook: Error, nightly: Error, gate: Error,
        description: "The manifest records an approval made on a revision outside the checked history (a git commit that is not an ancestor of HEAD, or a Subversion revision newer than the working copy).",
        remedy: "merge the history the approval was made on, or approve again on this branch and commit the manifest",
    },
    /// Only with `[signing]` configured.
    Unsigned = "unsigned" {
        hook: Error, nightly: Error, gate: Error,
        description: "The approval carries none of the SSH signatures the signing policy requires.",
        remedy: "sign the approval with `vigil sign PROFILE --key KEY` (or approve with `--sign`) and commit the manifest",
    },
    /// Only with `[signing]` configured.
    BadSignature = "bad-signature" {
        hook: Error, nightly: Error, gate: Error,
        description: "A signature of the approval is malformed or does not match it: the manifest changed after it was signed.",
        remedy: "review the manifest's history; approve again and have the approvers sign the new approval",
    },
    /// Only with `[signing]` configured.
    UntrustedSigner = "untrusted-signer" {
        hook: Error, nightly: Error, gate: Error,
        description: "A signature of the approval was made by a key that is not in the allowed signers for its principal, or outside the key's validity window.",
        remedy: "have a listed approver sign with a current key, or update the allowed-signers file (itself a signed change)",
    },
    /// Only with `[signing]` configured.
    InsufficientApprovals = "insufficient-approvals" {
        hook: Error, nightly: Error, gate: Error,
        description: "Fewer distinct trusted approvers signed the approval than the signing policy requires.",
        remedy: "have further approvers co-sign with `vigil sign PROFILE --key KEY` and commit the manifest",
    },
    /// Only samples produce it: `vigil gate`, and `vigil check --sample`.
    Lint = "lint" {
        hook: Error, nightly: Error, gate: Error,
        description: "The sample certificate issued with the profile breaks a rule: a certificate linter (pkilint, zlint) reported it with its own code and severity, or a requirement in force for the profile's purpose rejects it. A linter's warning is a warning and its notice a note, whatever the mode.",
        remedy: "fix the profile so that the certificates it issues pass, re-approve it, and run the gate again",
    },
    /// Only samples produce it: `vigil gate`, and `vigil check --sample`.
    SampleFailed = "sample-failed" {
        hook: Error, nightly: Error, gate: Error,
        description: "The profile declares a sample certificate, but it could not be issued or linted: the command timed out, failed, wrote no certificate or something that is not one, or a linter is not installed or failed.",
        remedy: "fix the `[profiles.NAME.sample]` command or the profile's configuration, or install the linter (see `[linters]`)",
    },
    /// A requirement in force (a rule pack's or the site's) is broken by a configuration value.
    Violation = "violation" {
        hook: Error, nightly: Error, gate: Error,
        description: "A configuration value breaks a requirement in force on the checked day (a rule pack's or the site's), at the file and line that set it.",
        remedy: "change the value to meet the requirement, then `vigil approve` and commit; or record an override with its reason in `vigil.toml`",
    },
    /// A requirement demands a review that no approval records.
    Unreviewed = "unreviewed" {
        hook: Error, nightly: Error, gate: Error,
        description: "A requirement in force demands a review, and the component has not been approved with `--satisfies` that requirement since it took effect.",
        remedy: "review the component against the requirement, then `vigil approve PROFILE --satisfies ID` and commit the manifest",
    },
    /// A requirement takes effect within the lead time and the profile does not meet it yet.
    Upcoming = "upcoming" {
        hook: Warning, nightly: Warning, gate: Warning,
        description: "A requirement takes effect within the lead time, and the profile will break it or needs a review by then.",
        remedy: "change or review the profile before the date shown",
    },
    /// A manifest left in the manifest folder for a profile vigil.toml no longer declares.
    OrphanedManifest = "orphaned-manifest" {
        hook: Error, nightly: Error, gate: Error,
        description: "An approved manifest is left for a profile that vigil.toml no longer declares: removing an approved profile switches its control off, like deleting vigil.toml.",
        remedy: "restore the profile in vigil.toml, or delete its manifest in the same reviewed change",
    },
    /// Only `vigil verify` produces it, for a profile that sets `mode`, `owner` or `group`.
    WrongPermissions = "wrong-permissions" {
        hook: Error, nightly: Error, gate: Error,
        description: "A deployed component's permission bits, owner or group differ from what its profile asks for (`mode`, `owner`, `group` in vigil.toml): a `chmod` or `chown` on the host that version control cannot see.",
        remedy: "restore the mode or ownership on the host (or change the profile's `mode`, `owner`, `group` in a reviewed change and deploy a new bundle)",
    },
}

impl Code {
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// One sentence saying what the code means; used in help, SARIF rules and the README.
    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// What a person should do about it.
    pub fn remedy(self) -> &'static str {
        self.info().remedy
    }

    /// The severity in `mode` when the configuration does not override it.
    pub fn default_severity(self, mode: Mode) -> Severity {
        *self.info().defaults.get(mode)
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

/// The chain of references by which a profile reached a component, outermost first. Shared: every
/// finding about a component, and the checked component itself, hold the one chain the inventory made.
pub type Chain = std::sync::Arc<[Step]>;

/// One link of the chain by which a profile reached a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Step {
    /// Matched by a pattern of the profile's `components`.
    Declared { pattern: String },
    /// Referenced from a line of another component.
    Reference { from: WsPath, line: u32, by: String },
    /// The target of a symbolic link (or reached through a linked folder).
    Symlink { link: WsPath },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Declared { pattern } => write!(f, "declared `{pattern}`"),
            Step::Reference { from, line, by } => write!(f, "{from}:{line} ({by})"),
            Step::Symlink { link } => write!(f, "symlink {link}"),
        }
    }
}

/// Renders a chain as `declared `a.cnf` → a.cnf:3 (openssl-include)`.
pub fn chain_text(via: &[Step]) -> String {
    via.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" → ")
}

/// What a finding is about: a path of the workspace, or text that names no such path (a declared
/// pattern that matched nothing, a reference that leads outside the workspace, a file on a deployed
/// host). Every report shows it as text, a workspace path in its escaped form, and compares and sorts
/// it as that text.
#[derive(Debug, Clone)]
pub enum Subject {
    Path(WsPath),
    Text(String),
}

impl Subject {
    /// What a declaration or a setting names, as `written`: the workspace path `path` when the text
    /// is exactly that path's escaped form (so that version control can be asked about it), else the
    /// text as written.
    pub fn written(written: &str, path: Option<&WsPath>) -> Subject {
        match path {
            Some(p) if !p.is_root() && p.escaped() == written => Subject::Path(p.clone()),
            _ => Subject::Text(written.to_string()),
        }
    }

    /// The workspace path, when the subject is one.
    pub fn as_path(&self) -> Option<&WsPath> {
        match self {
            Subject::Path(p) => Some(p),
            Subject::Text(_) => None,
        }
    }

    /// The subject as reports show it.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Subject::Path(p) => std::borrow::Cow::Owned(p.to_string()),
            Subject::Text(t) => std::borrow::Cow::Borrowed(t),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Path(p) => p.fmt(f),
            Subject::Text(t) => f.write_str(t),
        }
    }
}

impl PartialEq for Subject {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Escaping is one-to-one: equal paths are equal texts, and the reverse.
            (Subject::Path(a), Subject::Path(b)) => a == b,
            _ => self.text() == other.text(),
        }
    }
}

impl Eq for Subject {}

impl PartialOrd for Subject {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Subject {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text().cmp(&other.text())
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialEq<String> for Subject {
    fn eq(&self, other: &String) -> bool {
        self.text() == other.as_str()
    }
}

impl PartialEq<str> for Subject {
    fn eq(&self, other: &str) -> bool {
        self.text() == other
    }
}

impl PartialEq<&str> for Subject {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl From<WsPath> for Subject {
    fn from(p: WsPath) -> Self {
        Subject::Path(p)
    }
}

impl From<&WsPath> for Subject {
    fn from(p: &WsPath) -> Self {
        Subject::Path(p.clone())
    }
}

impl From<String> for Subject {
    fn from(t: String) -> Self {
        Subject::Text(t)
    }
}

impl From<&String> for Subject {
    fn from(t: &String) -> Self {
        Subject::Text(t.clone())
    }
}

impl From<&str> for Subject {
    fn from(t: &str) -> Self {
        Subject::Text(t.to_string())
    }
}

/// One problem found in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub profile: String,
    /// The component (or, for a declared pattern that matched nothing, the pattern).
    pub path: Subject,
    pub message: String,
    /// How the profile reached the component, outermost first.
    pub via: Chain,
    /// The line of `path` the finding is about, when it is about one line (a requirement's value).
    pub line: Option<u32>,
    /// For a `lint` finding: the linter's own code and severity.
    pub lint: Option<LintRef>,
}

impl Finding {
    /// `path:line` when the finding is about one line, else the path: where a reader should look.
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.path),
            None => self.path.to_string(),
        }
    }
}

/// What a certificate linter (or a requirement checked on a sample certificate) said, in its own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LintRef {
    /// `pkilint`, `zlint`, or `requirements` for a requirement checked on the certificate itself.
    pub linter: String,
    /// The linter's code (`cabf.serverauth.aia_location_uri_not_http`, `e_sub_cert_aia_missing`) or the
    /// requirement's id.
    pub code: String,
    /// The linter's own severity word (`ERROR`, `WARNING`, `warn`, ...).
    pub severity: String,
    /// The most the finding can be: a linter's warning stays a warning even in the gate.
    #[serde(skip)]
    #[schemars(skip)]
    pub cap: Severity,
    /// Where in the certificate, when the linter says (pkilint's node path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// Sorts findings by profile, path and code and drops exact repeats: the order every report shows.
pub fn sort_and_dedupe(findings: &mut Vec<Finding>) {
    // Sorted by the subject's text, computed once per finding.
    findings.sort_by_cached_key(|f| (f.profile.clone(), f.path.to_string(), f.code));
    findings.dedup();
}

/// A finding before the configuration gives it a severity and a profile: what the inventory, the check
/// and the gate produce. The constructors below hold the wording, so each problem reads the same
/// wherever it is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub code: Code,
    /// The path (or the declared pattern) concerned.
    pub path: Subject,
    pub via: Chain,
    pub message: String,
    /// For a `lint` finding: the linter's own code and severity.
    pub lint: Option<LintRef>,
    /// The line of `path` concerned, when the finding is about one line.
    pub line: Option<u32>,
}

impl Draft {
    pub fn new(
        code: Code,
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        message: impl Into<String>,
    ) -> Self {
        Draft {
            code,
            path: path.into(),
            via: via.into(),
            message: message.into(),
            lint: None,
            line: None,
        }
    }

    /// Gives the draft its severity in `mode` from `severity`; `None` when that severity is `off`.
    /// A linter's result is never more severe than the linter made it.
    pub fn judge(self, profile: &str, severity: impl Fn(Code) -> Severity) -> Option<Finding> {
        let mut severity = severity(self.code);
        if let Some(l) = &self.lint {
            severity = severity.min(l.cap);
        }
        (severity != Severity::Off).then(|| Finding {
            code: self.code,
            severity,
            profile: profile.to_string(),
            path: self.path,
            message: self.message,
            via: self.via,
            lint: self.lint,
            line: self.line,
        })
    }

    /// One result of a certificate linter on the profile's sample certificate, issued from `path`.
    pub fn lint(path: impl Into<Subject>, lint: LintRef, message: &str) -> Self {
        let text = format!(
            "the sample certificate: {} {} {}: {message}",
            lint.linter, lint.severity, lint.code
        );
        let mut d = Draft::new(Code::Lint, path, Chain::default(), text);
        d.lint = Some(lint);
        d
    }

    /// The profile's declared sample could not be issued or linted; `why` says what happened.
    pub fn sample_failed(path: impl Into<Subject>, why: &str) -> Self {
        Draft::new(Code::SampleFailed, path, Chain::default(), why)
    }

    /// A component on disk that version control does not know; `hint` says why, when it can.
    pub fn untracked(path: impl Into<Subject>, via: impl Into<Chain>, hint: Option<&str>) -> Self {
        let message = match hint {
            Some(h) => format!("not under version control: {h}"),
            None => "on disk, but not under version control".into(),
        };
        Draft::new(Code::Untracked, path, via, message)
    }

    /// A component matched by an ignore rule; `rule` names it as `git check-ignore -v` does
    /// (`source:line:pattern`), when version control can tell.
    pub fn ignored(path: impl Into<Subject>, via: impl Into<Chain>, rule: Option<&str>) -> Self {
        let message = match rule {
            Some(r) => format!("on disk, but ignored by {r}, so it is not under version control"),
            None => {
                "on disk, but matched by an ignore rule, so it is not under version control".into()
            }
        };
        Draft::new(Code::Ignored, path, via, &message)
    }

    /// A line OpenSSL refuses: `reason` is OpenSSL's own text (`missing equal sign`), `at` the file:line.
    pub fn openssl_error(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        at: &str,
        reason: &str,
    ) -> Self {
        Draft::new(
            Code::OpensslError,
            path,
            via,
            format!("OpenSSL refuses to load it: {reason} at {at}"),
        )
    }

    /// A component a structured extractor (`json`, `kv`, `xml`) cannot parse, at `line`.
    pub fn malformed(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        format: &str,
        line: u32,
        reason: &str,
    ) -> Self {
        let mut d = Draft::new(
            Code::Malformed,
            path,
            via,
            format!("the `{format}` reference extractor cannot read it: {reason}; the paths it names are not followed"),
        );
        d.line = Some(line);
        d
    }

    /// A path or value that depends on an environment variable the profile does not declare.
    pub fn undeclared_env(path: impl Into<Subject>, via: impl Into<Chain>, what: &str) -> Self {
        Draft::new(Code::UndeclaredEnv, path, via, what)
    }

    /// A tracked component that differs from the last commit; `how` is version control's account.
    pub fn uncommitted(path: impl Into<Subject>, via: impl Into<Chain>, how: &str) -> Self {
        Draft::new(Code::Uncommitted, path, via, how)
    }

    /// A component that could not be read for hashing.
    pub fn unreadable(path: impl Into<Subject>, via: impl Into<Chain>, why: &str) -> Self {
        Draft::new(
            Code::Unreadable,
            path,
            via,
            format!("cannot be read: {why}"),
        )
    }

    /// A profile with no approved manifest at `manifest`.
    pub fn no_manifest(manifest: impl Into<Subject>) -> Self {
        Draft::new(
            Code::Unapproved,
            manifest,
            Chain::default(),
            "the profile has no approved manifest",
        )
    }

    /// A component missing from the approved manifest at `manifest`.
    pub fn not_in_manifest(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        manifest: &str,
    ) -> Self {
        Draft::new(
            Code::Unapproved,
            path,
            via,
            format!("not in the approved manifest {manifest}"),
        )
    }

    /// A manifest entry the profile no longer references.
    pub fn orphaned(path: impl Into<Subject>, manifest: &str) -> Self {
        Draft::new(
            Code::Orphaned,
            path,
            Chain::default(),
            format!("in the approved manifest {manifest}, but no longer referenced by the profile"),
        )
    }

    /// On a deployed host: a component whose bytes differ from the approved ones in the bundle.
    pub fn deployed_differs(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        approved: &str,
        deployed: &str,
    ) -> Self {
        Draft::new(
            Code::Stale,
            path,
            via,
            format!(
                "deployed bytes differ from the approved ones (approved {}, deployed {})",
                short(approved),
                short(deployed)
            ),
        )
    }

    /// On a deployed host: a file the host's configuration reaches that the approval does not know.
    pub fn deployed_extra(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        repo_path: &str,
    ) -> Self {
        Draft::new(
            Code::Unapproved,
            path,
            via,
            format!(
                "reached by the host's configuration, but not in the approved bundle (as {repo_path})"
            ),
        )
    }

    /// On a deployed host: an approved component that is not there.
    pub fn deployed_missing(path: impl Into<Subject>, repo_path: &str) -> Self {
        Draft::new(
            Code::Missing,
            path,
            Chain::default(),
            format!("approved as {repo_path}, but absent on the host"),
        )
    }

    /// On a deployed host: an approved component that is there but that no configuration reaches.
    pub fn deployed_unreached(path: impl Into<Subject>, repo_path: &str) -> Self {
        Draft::new(
            Code::Orphaned,
            path,
            Chain::default(),
            format!("approved as {repo_path} and present, but the host's configuration no longer reaches it"),
        )
    }

    /// On a deployed host: permission bits, owner or group other than the profile asks for.
    pub fn wrong_permissions(path: impl Into<Subject>, via: impl Into<Chain>, what: &str) -> Self {
        Draft::new(Code::WrongPermissions, path, via, what)
    }

    /// A manifest for `profile`, which vigil.toml does not declare.
    pub fn orphaned_manifest(manifest: impl Into<Subject>, profile: &str) -> Self {
        Draft::new(
            Code::OrphanedManifest,
            manifest,
            Chain::default(),
            format!(
                "an approved manifest for profile `{profile}`, which vigil.toml does not declare: \
                 removing an approved profile switches its control off"
            ),
        )
    }

    /// A component whose content changed since approval; `note` explains a content transformation.
    pub fn stale_content(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        approved: &str,
        now: &str,
        note: Option<String>,
    ) -> Self {
        let note = note.map(|n| format!("; {n}")).unwrap_or_default();
        Draft::new(
            Code::Stale,
            path,
            via,
            format!(
                "changed since approval (approved {}, now {}){note}",
                short(approved),
                short(now)
            ),
        )
    }

    /// A component whose kind (file, executable, symlink) changed since approval.
    pub fn stale_kind(
        path: impl Into<Subject>,
        via: impl Into<Chain>,
        approved: &str,
        now: &str,
    ) -> Self {
        Draft::new(
            Code::Stale,
            path,
            via,
            format!("approved as {approved}, now {now}"),
        )
    }

    /// The approved manifest file itself is not under version control.
    pub fn manifest_untracked(manifest: impl Into<Subject>) -> Self {
        Draft::new(
            Code::Untracked,
            manifest,
            Chain::default(),
            "the approved manifest itself is not under version control: commit it",
        )
    }

    /// The approved manifest file itself is matched by an ignore rule.
    pub fn manifest_ignored(manifest: impl Into<Subject>) -> Self {
        Draft::new(
            Code::Ignored,
            manifest,
            Chain::default(),
            "the approved manifest itself is matched by an ignore rule, so it is not under version control",
        )
    }

    /// The approved manifest file itself differs from the last commit; `how` is version control's account.
    pub fn manifest_uncommitted(manifest: impl Into<Subject>, how: &str) -> Self {
        Draft::new(
            Code::Uncommitted,
            manifest,
            Chain::default(),
            format!("the approved manifest itself is {how}: commit it"),
        )
    }

    /// The manifest records an approval made on a revision outside the checked history.
    pub fn foreign_approval(manifest: impl Into<Subject>, vcs: &str, id: &str, why: &str) -> Self {
        Draft::new(
            Code::ForeignApproval,
            manifest,
            Chain::default(),
            format!(
                "the approval was made on {vcs} revision {id}, outside the checked history: {why}"
            ),
        )
    }

    /// An approval without any signature, where `need` approvers must sign.
    pub fn unsigned(manifest: impl Into<Subject>, need: usize) -> Self {
        Draft::new(
            Code::Unsigned,
            manifest,
            Chain::default(),
            format!(
                "the approval is not signed; {need} distinct approver{} must sign it",
                if need == 1 { "" } else { "s" }
            ),
        )
    }

    /// A finding about signature number `n` (1-based) of an approval, claimed by `principal`.
    fn signature(
        code: Code,
        manifest: impl Into<Subject>,
        n: usize,
        principal: &str,
        verdict: &str,
        why: &str,
    ) -> Self {
        Draft::new(
            code,
            manifest,
            Chain::default(),
            format!("signature {n} (by `{principal}`) {verdict}: {why}"),
        )
    }

    /// Signature number `n` (1-based) of an approval, claimed by `principal`, is not a valid signature.
    pub fn bad_signature(
        manifest: impl Into<Subject>,
        n: usize,
        principal: &str,
        why: &str,
    ) -> Self {
        Draft::signature(Code::BadSignature, manifest, n, principal, "is bad", why)
    }

    /// Signature number `n` (1-based) of an approval, claimed by `principal`, is by a key that may
    /// not approve.
    pub fn untrusted_signer(
        manifest: impl Into<Subject>,
        n: usize,
        principal: &str,
        why: &str,
    ) -> Self {
        Draft::signature(
            Code::UntrustedSigner,
            manifest,
            n,
            principal,
            "does not count",
            why,
        )
    }

    /// Fewer distinct trusted approvers than required; `approvers` are those that counted, `note`
    /// says what did not count again.
    pub fn insufficient_approvals(
        manifest: impl Into<Subject>,
        approvers: &[String],
        need: usize,
        note: &str,
    ) -> Self {
        let who = if approvers.is_empty() {
            "none".to_string()
        } else {
            approvers.join(", ")
        };
        Draft::new(
            Code::InsufficientApprovals,
            manifest,
            Chain::default(),
            format!(
                "{} of {need} required distinct approvers signed ({who}){note}",
                approvers.len()
            ),
        )
    }
}

impl Draft {
    /// A requirement's result: a broken value (`violation`), a missing review (`unreviewed`) or either of
    /// those ahead of its date (`upcoming`), at `path`:`line` when the value was set on a line.
    pub fn requirement(
        code: Code,
        path: impl Into<Subject>,
        line: Option<u32>,
        via: impl Into<Chain>,
        message: impl Into<String>,
    ) -> Self {
        let mut d = Draft::new(code, path, via, message);
        d.line = line;
        d
    }
}

/// The first 12 hex digits of a hash, for messages.
pub fn short(h: &str) -> &str {
    // Cut at a character boundary: a hash from a hand-edited file need not be ASCII.
    let end = h.char_indices().nth(12).map_or(h.len(), |(i, _)| i);
    &h[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(Code::parse(c.as_str()), Some(c));
            assert!(seen.insert(c.as_str()), "duplicate code name {c}");
        }
    }
}
