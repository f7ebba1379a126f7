//! `vigil.toml`: finding it, parsing it, and turning it into a checked [`Config`].
//!
//! Every error points at the text: file, line, column and the offending line, so that a typo in a
//! hook's configuration is fixed in seconds rather than debugged.

use crate::diagnostic::closest_name;
pub use crate::diagnostic::{closest, ConfigError};
use crate::extract::Selectors;
pub use crate::finding::Mode;
use crate::finding::{Code, PerMode, Severity};
use globset::{Glob, GlobMatcher};
use regex::bytes::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name vigil looks for.
pub const CONFIG_FILE: &str = "vigil.toml";
/// Where manifests live when the configuration does not say.
pub const DEFAULT_MANIFEST_DIR: &str = "approved";
/// How many references deep vigil follows when the profile does not say.
pub const DEFAULT_MAX_DEPTH: u32 = 16;

/// The raw form of `vigil.toml`, exactly as written. The JSON Schema in `schema/` is generated from it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "vigil.toml")]
pub struct RawConfig {
    /// Folder holding one approved manifest per profile (`NAME.toml`), relative to `vigil.toml`.
    /// Default: `approved`.
    #[serde(default)]
    pub manifest_dir: Option<String>,
    /// Severity of each finding code per mode; see the README for the defaults.
    #[serde(default)]
    pub severity: RawSeverities,
    /// The profiles, by name. A name may hold letters, digits, `.`, `_` and `-`.
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
    /// Signed approvals: who may approve (an allowed-signers file) and how many must.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<Signing>,
    /// Requirements: which shipped rule packs apply, the site's own rules, overrides with a reason, and
    /// how many days ahead `upcoming` warns.
    #[serde(default)]
    pub requirements: crate::requirements::RawSiteRequirements,
    /// Where the certificate linters that lint sample certificates are found.
    #[serde(default)]
    pub linters: RawLinters,
}

/// `[linters]`: where pkilint's validators and zlint are found, and how long one run may take.
///
/// vigil looks in the folders of the `VIGIL_LINTERS` environment variable (a `PATH`-style list) first,
/// then in `path`, then in `PATH`.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLinters {
    /// Folders holding the linters' programs (such as the `bin` folder of the virtual environment
    /// pkilint was installed into), relative to `vigil.toml` or absolute.
    #[serde(default)]
    pub path: Vec<String>,
    /// The time limit of one linter run, such as `2m`. Default: 2 minutes.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
}

/// `[signing]`: approvals must carry SSH signatures (`vigil approve --sign`, `vigil sign`) by enough
/// distinct approvers named in an allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Signing {
    /// The allowed-signers file (git's `gpg.ssh.allowedSignersFile` format), relative to
    /// `vigil.toml`. It is read from the same source as the profiles (the working tree, the index, the
    /// pushed commit or the transaction). A server policy (`--policy`) may name its own instead.
    pub allowed_signers: String,
    /// Distinct approvers every profile's approval needs. Default: 1.
    #[serde(default = "one")]
    pub required: u32,
    /// Per-profile overrides: `[signing.profiles.NAME]` with `required = N`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, SigningProfile>,
    /// An allowed-signers file on the server, pinned by its policy: trusted instead of the file in
    /// the repository. Never read from `vigil.toml`.
    #[serde(skip)]
    #[schemars(skip)]
    pub pinned: Option<PathBuf>,
}

/// `[signing.profiles.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SigningProfile {
    /// Distinct approvers this profile's approval needs.
    pub required: u32,
}

fn one() -> u32 {
    1
}

impl Signing {
    /// The number of distinct approvers `profile` needs.
    pub fn required_for(&self, profile: &str) -> usize {
        self.profiles
            .get(profile)
            .map_or(self.required, |p| p.required) as usize
    }
}

/// Per-mode severity overrides: `[severity.hook]`, `[severity.nightly]`, `[severity.gate]`.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSeverities {
    #[serde(default)]
    pub hook: BTreeMap<Code, Severity>,
    #[serde(default)]
    pub nightly: BTreeMap<Code, Severity>,
    #[serde(default)]
    pub gate: BTreeMap<Code, Severity>,
}

/// One profile: `[profiles.NAME]`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawProfile {
    /// What the profile is for, shown in reports.
    #[serde(default)]
    pub description: Option<String>,
    /// Exact paths, globs (`*`, `?`, `[..]`, `**`) and folders (every file below), relative to `vigil.toml`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub components: Vec<Spanned<String>>,
    /// OpenSSL extension files the CA software passes with `-extfile`, relative to `vigil.toml`: each is
    /// a component and is loaded on its own, as `openssl ca -extfile` / `openssl x509 -extfile` load it,
    /// and judged as OpenSSL configuration whatever its name.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub extfile: Vec<Spanned<String>>,
    /// Built-in reference extractors applied to every component: `openssl-include`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub follow: Vec<Spanned<String>>,
    /// The working folder the OpenSSL software runs in, relative to `vigil.toml`: relative `.include`
    /// paths resolve against it, as OpenSSL resolves them against the process's working folder.
    /// Default: the folder of `vigil.toml`.
    #[serde(default)]
    pub include_dir: Option<String>,
    /// The environment the OpenSSL software runs with, for `$ENV::NAME` in its configuration:
    /// `env = { HOME = "/home/ca" }`. Added to (and overriding) the variables of `env-file`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A file of `NAME=value` lines (as systemd's `EnvironmentFile=` or a shell's `export NAME=value`)
    /// holding the environment the OpenSSL software runs with, relative to `vigil.toml`. It becomes a
    /// component of the profile.
    #[serde(default)]
    pub env_file: Option<String>,
    /// How many references deep to follow. Default: 16.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// User-defined references: a regex whose first capture group is a path, or selectors of the
    /// fields of JSON, `key=value` or XML files that hold paths.
    #[serde(default)]
    pub references: Vec<RawReference>,
    /// Absolute folders the CA software reads on its host, and the workspace folder that holds each
    /// one's files: `deployed = { "/etc/step-ca" = "step" }`. An absolute path a reference names is
    /// mapped through the longest matching folder; one under none of them must point inside the
    /// workspace, or it is `outside-root`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub deployed: Option<Spanned<BTreeMap<String, String>>>,
    /// Purpose tags that select requirements: `tls-server`, `client-auth`, `smime`, `code-signing`, `ev`, ...
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub purpose: Vec<Spanned<String>>,
    /// OpenSSL sections that rules name `@ca` (default: `[ca] default_ca`) and `@ext` (default: the CA
    /// section's `x509_extensions`).
    #[serde(default)]
    pub openssl_sections: BTreeMap<String, String>,
    /// Where this profile keeps a rule's named value: `NAME = "openssl:SECTION.KEY"`, `"json:/pointer"`
    /// or `"kv:KEY"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub values: BTreeMap<String, Spanned<String>>,
    /// How to issue a sample certificate with the profile, which `vigil gate` (and `vigil check
    /// --sample`) issues in a scratch folder and lints with pkilint (and zlint when installed).
    #[serde(default)]
    #[schemars(with = "Option<crate::sample::SampleDecl>")]
    pub sample: Option<Spanned<crate::sample::SampleDecl>>,
    /// On a deployed host (`vigil verify`): the permission bits every component must have, in octal
    /// (`"0640"`). Unset: not checked.
    #[serde(default)]
    #[schemars(with = "Option<String>", regex(pattern = r"^0?[0-7]{3,4}$"))]
    pub mode: Option<Spanned<String>>,
    /// On a deployed host (`vigil verify`): the user that must own every component, by name or
    /// number (`"pkiuser"`, `"0"`). Unset: not checked.
    #[serde(default)]
    pub owner: Option<String>,
    /// On a deployed host (`vigil verify`): the group every component must belong to, by name or
    /// number. Unset: not checked.
    #[serde(default)]
    pub group: Option<String>,
}

/// `[[profiles.NAME.references]]`: exactly one of `pattern`, `json`, `kv` and `xml` says where the
/// paths are.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawReference {
    /// A regular expression (Rust `regex` syntax) applied to each line; its first capture group is a path.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub pattern: Option<Spanned<String>>,
    /// JSON pointers naming the fields that hold paths; a segment `*` is every member or element
    /// (`/authority/provisioners/*/options/x509/templateFile`). Keys match as Go's `encoding/json`
    /// matches them.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub json: Option<Spanned<Vec<String>>>,
    /// Keys of a `key=value` file (read as Java's `Properties` reads it) whose values are paths; a
    /// `.`-separated part `*` is any part (`profile.*.config`).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub kv: Option<Spanned<Vec<String>>>,
    /// XML element paths whose text (or, ending in `/@attr`, whose attribute) is a path:
    /// `/java/object/void[string='externalCommand']/string[2]`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub xml: Option<Spanned<Vec<String>>>,
    /// The folder, relative to `vigil.toml`, that relative paths resolve against, as the software
    /// resolves them against its own folder (`$STEPPATH` for step-ca, the working folder for Boulder,
    /// `EJBCA_HOME`). Overrides `relative-to`.
    #[serde(default)]
    pub dir: Option<String>,
    /// A glob limiting which components are scanned, matched against the workspace-relative path.
    /// Required with `json`, `kv` and `xml`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub files: Option<Spanned<String>>,
    /// What a relative captured path is relative to: the referencing `file`'s folder (default) or the `workspace`.
    #[serde(default)]
    pub relative_to: RelativeTo,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RelativeTo {
    #[default]
    File,
    Workspace,
}

/// A built-in reference extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    OpensslInclude,
}

impl Builtin {
    pub const NAMES: [&'static str; 1] = ["openssl-include"];
}

/// A user-defined reference extractor, compiled.
#[derive(Debug, Clone)]
pub struct UserReference {
    pub matcher: Matcher,
    pub files: Option<GlobMatcher>,
    pub relative_to: RelativeTo,
    /// `dir`: the folder relative paths resolve against, when the software has one.
    pub dir: Option<crate::path::WsPath>,
}

/// How a user reference finds paths in a file.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// `pattern`: a regex over each line.
    Pattern(Regex),
    /// `json`, `kv`, `xml`: selectors over the parsed file.
    Structured(crate::extract::Selectors),
}

/// A profile, checked and compiled.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    pub components: Vec<String>,
    /// `extfile`: OpenSSL extension files, each loaded on its own.
    pub extfile: Vec<String>,
    pub follow: Vec<Builtin>,
    pub include_dir: String,
    /// `env = {...}`: the declared environment of the OpenSSL software.
    pub env: BTreeMap<String, String>,
    /// `env-file`: a workspace-relative file of `NAME=value` lines.
    pub env_file: Option<String>,
    pub max_depth: u32,
    pub references: Vec<UserReference>,
    /// `deployed`: absolute folders of the deployed software and the workspace folders holding them,
    /// longest prefix first.
    pub deployed: Vec<(PathBuf, crate::path::WsPath)>,
    /// Folders that folder and glob expansion skip: the manifest folder.
    pub skip: Vec<crate::path::WsPath>,
    /// Purposes, OpenSSL section names and value locations for requirements.
    pub requirements: crate::requirements::ProfileRequirements,
    /// The sample certificate the profile declares, checked.
    pub sample: Option<crate::sample::SampleDecl>,
    /// What a deployed host must show for each component (`mode`, `owner`, `group`).
    pub host_attributes: HostAttributes,
}

/// The file attributes a profile asks of its components on a deployed host; each unset one is not
/// checked. Version control keeps no owner and only the executable bit, so only `vigil verify` looks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostAttributes {
    /// Permission bits (`0o640`), the file type bits left out.
    pub mode: Option<u32>,
    /// A user name or number.
    pub owner: Option<String>,
    /// A group name or number.
    pub group: Option<String>,
}

/// `[linters]`, resolved: absolute folders and a time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinterSettings {
    /// The folders of `path`, made absolute against the folder of `vigil.toml`.
    pub dirs: Vec<PathBuf>,
    pub timeout: std::time::Duration,
}

/// The whole configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (for messages); for a configuration read from a commit, a label.
    pub file: PathBuf,
    /// Workspace-relative folder of the manifests.
    pub manifest_dir: String,
    pub profiles: BTreeMap<String, Profile>,
    /// The requirements in force for this workspace: the selected packs and the site's rules.
    pub requirements: crate::requirements::RequirementSet,
    /// `[linters]`.
    pub linters: LinterSettings,
    severities: PerMode<BTreeMap<Code, Severity>>,
    /// `[signing]`, when approvals must be signed.
    pub signing: Option<Signing>,
}

/// The largest `vigil.toml` vigil reads; a real one is a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a regular file of at most `limit` bytes: a FIFO is never opened for reading (that would
/// wait for a writer forever), a device such as `/dev/zero` never read (it never ends). The error
/// says what the file is instead.
pub fn read_regular(file: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot read: {e}"))?;
    let ft = meta.file_type();
    let what = if ft.is_file() {
        None
    } else if ft.is_dir() {
        Some("a folder")
    } else if ft.is_fifo() {
        Some("a FIFO")
    } else if ft.is_socket() {
        Some("a socket")
    } else if ft.is_char_device() || ft.is_block_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    };
    if let Some(what) = what {
        return Err(format!("cannot read: it is {what}, not a regular file"));
    }
    // Opened without blocking, in case it was replaced by a FIFO since; checked again once open.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(file)
        .map_err(|e| format!("cannot read: {e}"))?;
    if !f.metadata().is_ok_and(|m| m.file_type().is_file()) {
        return Err("cannot read: it is not a regular file".into());
    }
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "cannot read: larger than {} MiB, which no configuration is",
            limit / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// Walks up from `start` to find `vigil.toml`, as git finds `.git`. Anything by that name that is
/// not a folder counts, so that a FIFO or a device named `vigil.toml` gets an error saying what it is
/// rather than "no vigil.toml found".
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE);
        if std::fs::metadata(&candidate).is_ok_and(|m| !m.is_dir()) {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads and checks a configuration file.
pub fn load(file: &Path) -> Result<Config, ConfigError> {
    let bytes = read_regular(file, MAX_CONFIG_BYTES).map_err(|message| ConfigError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        snippet: None,
        message,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let off = e.utf8_error().valid_up_to();
        ConfigError::at(file, "", None, format!("not valid UTF-8 (at byte {off})"))
    })?;
    parse(file, &text)
}

/// Parses and checks configuration text; `file` names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text)
        .map_err(|e| ConfigError::at(file, text, e.span(), improve_message(e.message())))?;
    let at = Text { file, text };
    let requirements = crate::requirements::RequirementSet::build(
        crate::requirements::Pack::builtin()?,
        &raw.requirements,
        file,
        text,
    )?;
    let mut profiles = BTreeMap::new();
    for (name, p) in raw.profiles {
        let reqs = crate::requirements::RawProfileRequirements {
            purpose: p.purpose.clone(),
            openssl_sections: p.openssl_sections.clone(),
            values: p.values.clone(),
        }
        .check(&requirements, file, text)?;
        let mut profile = at.profile(name.clone(), p)?;
        profile.requirements = reqs;
        profiles.insert(name, profile);
    }
    let manifest_dir = raw
        .manifest_dir
        .unwrap_or_else(|| DEFAULT_MANIFEST_DIR.to_string());
    let Some(dir) = crate::path::WsPath::normalize(Path::new(&manifest_dir)) else {
        let span = text.find("manifest-dir").map(|i| i..i + 1);
        return Err(at.error(
            span,
            format!("`manifest-dir = \"{manifest_dir}\"` must stay inside the workspace"),
        ));
    };
    if let Some(sg) = &raw.signing {
        at.signing(sg, &profiles)?;
    }
    // Version control's own folders are never committed: manifests kept there are under no control.
    if dir
        .as_bytes()
        .split(|&b| b == b'/')
        .any(|c| c == b".git" || c == b".svn")
    {
        let span = text.find("manifest-dir").map(|i| i..i + 1);
        return Err(at.error(
            span,
            format!(
                "`manifest-dir = \"{manifest_dir}\"` is inside version control's own folder, which is never committed"
            ),
        ));
    }
    let skip = manifest_skip(&dir, &profiles);
    for p in profiles.values_mut() {
        p.skip = skip.clone();
    }
    let linters = at.linters(&raw.linters)?;
    Ok(Config {
        file: file.to_path_buf(),
        manifest_dir,
        profiles,
        requirements,
        linters,
        severities: PerMode {
            hook: raw.severity.hook,
            nightly: raw.severity.nightly,
            gate: raw.severity.gate,
        },
        signing: raw.signing,
    })
}

/// What inventories leave out: the manifest folder, or (when manifests sit at the top) the manifests.
fn manifest_skip(
    dir: &crate::path::WsPath,
    profiles: &BTreeMap<String, Profile>,
) -> Vec<crate::path::WsPath> {
    if !dir.is_root() {
        return vec![dir.clone()];
    }
    profiles
        .keys()
        .filter_map(|n| dir.join(Path::new(&format!("{n}.toml"))))
        .collect()
}

/// The text being parsed, so that every error can point into it.
struct Text<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Text<'_> {
    fn error(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        ConfigError::at(self.file, self.text, span, message)
    }

    /// One `[profiles.NAME]` table, checked.
    fn profile(&self, name: String, p: RawProfile) -> Result<Profile, ConfigError> {
        if !valid_profile_name(&name) {
            let span = self
                .text
                .find(&format!("profiles.{name}"))
                .map(|i| i..i + 1);
            return Err(self.error(
                span,
                format!("profile name `{name}` may only hold letters, digits, `.`, `_` and `-`, and may not start with `.`"),
            ));
        }
        let sample = match p.sample {
            None => None,
            Some(s) => {
                let span = s.span();
                let decl = s.into_inner();
                decl.check().map_err(|e| {
                    self.error(Some(span), format!("[profiles.{name}.sample]: {e}"))
                })?;
                Some(decl)
            }
        };
        let host_attributes = HostAttributes {
            mode: self.mode(&name, p.mode.as_ref())?,
            owner: p.owner,
            group: p.group,
        };
        Ok(Profile {
            host_attributes,
            follow: self.follow(&p.follow)?,
            references: p
                .references
                .iter()
                .map(|r| self.reference(r))
                .collect::<Result<_, _>>()?,
            components: self.components(&p.components)?,
            extfile: self.components(&p.extfile)?,
            name,
            description: p.description,
            include_dir: p.include_dir.unwrap_or_else(|| ".".into()),
            env: p.env,
            env_file: p.env_file,
            max_depth: p.max_depth.unwrap_or(DEFAULT_MAX_DEPTH),
            deployed: self.deployed(&p.deployed)?,
            skip: Vec::new(),
            requirements: Default::default(),
            sample,
        })
    }

    /// `mode = "0640"`: octal permission bits, at most `07777`.
    fn mode(&self, name: &str, mode: Option<&Spanned<String>>) -> Result<Option<u32>, ConfigError> {
        let Some(m) = mode else { return Ok(None) };
        let text = m.get_ref();
        let digits = text.strip_prefix("0o").unwrap_or(text);
        match u32::from_str_radix(digits, 8) {
            Ok(v) if v <= 0o7777 && (3..=5).contains(&digits.len()) => Ok(Some(v)),
            _ => Err(self.error(
                Some(m.span()),
                format!("[profiles.{name}] `mode = \"{text}\"` is not a permission mode: write it in octal, such as \"0640\""),
            )),
        }
    }

    /// `[signing]`: the allowed-signers file stays inside the workspace, and per-profile overrides
    /// name declared profiles.
    fn signing(
        &self,
        sg: &Signing,
        profiles: &BTreeMap<String, Profile>,
    ) -> Result<(), ConfigError> {
        let span = |key: &str| self.text.find(key).map(|i| i..i + 1);
        let inside = crate::path::WsPath::normalize(Path::new(&sg.allowed_signers))
            .is_some_and(|p| !p.is_root());
        if !inside {
            return Err(self.error(
                span("allowed-signers"),
                format!(
                    "`allowed-signers = \"{}\"` must name a file inside the workspace (a server names its own with `--policy`)",
                    sg.allowed_signers
                ),
            ));
        }
        if let Some(name) = sg.profiles.keys().find(|n| !profiles.contains_key(*n)) {
            let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
            return Err(self.error(
                span(&format!("signing.profiles.{name}")),
                format!(
                    "`[signing.profiles.{name}]` names a profile that is not declared{}",
                    closest(name, &known)
                ),
            ));
        }
        Ok(())
    }

    /// `[linters]`: folders relative to `vigil.toml` made absolute, and the time limit parsed.
    fn linters(&self, raw: &RawLinters) -> Result<LinterSettings, ConfigError> {
        let base = self.file.parent().unwrap_or(Path::new("."));
        let dirs = raw
            .path
            .iter()
            .map(|d| {
                let d = Path::new(d);
                if d.is_absolute() {
                    d.to_path_buf()
                } else {
                    base.join(d)
                }
            })
            .collect();
        let timeout = match &raw.timeout {
            None => crate::sample::Linters::default().timeout,
            Some(t) => match humantime::parse_duration(t.get_ref()) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => {
                    return Err(
                        self.error(Some(t.span()), "linters.timeout must be above zero".into())
                    )
                }
                Err(e) => {
                    return Err(self.error(
                        Some(t.span()),
                        format!("linters.timeout `{}`: {e}", t.get_ref()),
                    ))
                }
            },
        };
        Ok(LinterSettings { dirs, timeout })
    }

    /// `follow = [...]`: built-in extractors by name.
    fn follow(&self, names: &[Spanned<String>]) -> Result<Vec<Builtin>, ConfigError> {
        let mut follow = Vec::new();
        for f in names {
            match f.get_ref().as_str() {
                "openssl-include" => follow.push(Builtin::OpensslInclude),
                other => {
                    return Err(self.error(
                        Some(f.span()),
                        format!(
                            "unknown extractor `{other}` in `follow`{}; known: {}",
                            closest(other, &Builtin::NAMES),
                            Builtin::NAMES.join(", ")
                        ),
                    ))
                }
            }
        }
        Ok(follow)
    }

    /// One `[[profiles.NAME.references]]`: a regex with a capture group or selectors, and an optional
    /// glob.
    fn reference(&self, r: &RawReference) -> Result<UserReference, ConfigError> {
        let matcher = self.matcher(r)?;
        let dir = match &r.dir {
            None => None,
            Some(d) => Some(crate::path::WsPath::normalize(Path::new(d)).ok_or_else(|| {
                let span = self.text.find(&format!("\"{d}\"")).map(|i| i..i + 1);
                self.error(
                    span,
                    format!("`dir = \"{d}\"` must stay inside the workspace"),
                )
            })?),
        };
        let files = match &r.files {
            Some(g) => Some(
                Glob::new(g.get_ref())
                    .map_err(|e| self.error(Some(g.span()), format!("invalid glob: {e}")))?
                    .compile_matcher(),
            ),
            None => None,
        };
        Ok(UserReference {
            matcher,
            files,
            relative_to: r.relative_to,
            dir,
        })
    }

    /// The one of `pattern`, `json`, `kv` and `xml` that a reference declares, compiled.
    fn matcher(&self, r: &RawReference) -> Result<Matcher, ConfigError> {
        let given = [
            r.pattern.is_some(),
            r.json.is_some(),
            r.kv.is_some(),
            r.xml.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            let span = [&r.json, &r.kv, &r.xml]
                .iter()
                .find_map(|s| s.as_ref().map(|s| s.span()))
                .or_else(|| r.files.as_ref().map(|f| f.span()));
            return Err(self.error(
                span,
                "a reference needs exactly one of `pattern`, `json`, `kv` and `xml`".into(),
            ));
        }
        if let Some(p) = &r.pattern {
            return self.pattern(p).map(Matcher::Pattern);
        }
        if r.files.is_none() {
            // A parser applied to every component would call each file of another format malformed.
            let span = [&r.json, &r.kv, &r.xml]
                .iter()
                .find_map(|s| s.as_ref().map(|s| s.span()));
            return Err(self.error(
                span,
                "a `json`, `kv` or `xml` reference needs `files`: the glob of the files in that format".into(),
            ));
        }
        let (list, what) = match (&r.json, &r.kv, &r.xml) {
            (Some(l), _, _) => (l, "json"),
            (_, Some(l), _) => (l, "kv"),
            (_, _, Some(l)) => (l, "xml"),
            (None, None, None) => return Err(self.error(None, "a reference names no field".into())),
        };
        self.selectors(list, what).map(Matcher::Structured)
    }

    /// The selectors of a `json`, `kv` or `xml` list, each checked.
    fn selectors(&self, list: &Spanned<Vec<String>>, what: &str) -> Result<Selectors, ConfigError> {
        use crate::extract::{json, keyvalue, xml};
        let err = |m: String| self.error(Some(list.span()), m);
        if list.get_ref().is_empty() {
            return Err(err(format!("`{what}` names no field")));
        }
        let items = list.get_ref().iter();
        Ok(match what {
            "json" => Selectors::Json(
                items
                    .map(|s| json::Selector::parse(s))
                    .collect::<Result<_, _>>()
                    .map_err(err)?,
            ),
            "kv" => Selectors::KeyValue(
                items
                    .map(|s| keyvalue::Selector::parse(s))
                    .collect::<Result<_, _>>()
                    .map_err(err)?,
            ),
            _ => Selectors::Xml(
                items
                    .map(|s| xml::Selector::parse(s))
                    .collect::<Result<_, _>>()
                    .map_err(err)?,
            ),
        })
    }

    /// A `pattern`: a regex with a capture group around the path.
    fn pattern(&self, p: &Spanned<String>) -> Result<Regex, ConfigError> {
        let span = Some(p.span());
        let pattern = Regex::new(p.get_ref())
            .map_err(|e| self.error(span.clone(), format!("invalid regex: {e}")))?;
        if pattern.captures_len() < 2 {
            return Err(self.error(
                span,
                "the pattern needs a capture group `( )` around the path".into(),
            ));
        }
        Ok(pattern)
    }

    /// `deployed = { "/abs" = "ws-folder" }`: absolute folders and workspace folders, longest first.
    fn deployed(
        &self,
        map: &Option<Spanned<BTreeMap<String, String>>>,
    ) -> Result<Vec<(PathBuf, crate::path::WsPath)>, ConfigError> {
        let mut out = Vec::new();
        let Some(map) = map else {
            return Ok(out);
        };
        for (abs, ws) in map.get_ref() {
            let err = |m: String| self.error(Some(map.span()), m);
            if !Path::new(abs).is_absolute() {
                return Err(err(format!(
                    "`deployed`: `{abs}` is not an absolute folder"
                )));
            }
            let Some(folder) = crate::path::WsPath::normalize(Path::new(ws)) else {
                return Err(err(format!(
                    "`deployed`: `{ws}` must stay inside the workspace"
                )));
            };
            out.push((PathBuf::from(abs), folder));
        }
        out.sort_by_key(|(abs, _)| std::cmp::Reverse(abs.components().count()));
        Ok(out)
    }

    /// `components = [...]`: non-empty paths, globs and folders.
    fn components(&self, patterns: &[Spanned<String>]) -> Result<Vec<String>, ConfigError> {
        let mut components = Vec::new();
        for c in patterns {
            if c.get_ref().is_empty() {
                return Err(self.error(Some(c.span()), "empty component pattern".into()));
            }
            if let Err(e) = Glob::new(c.get_ref()) {
                return Err(self.error(Some(c.span()), format!("invalid glob: {e}")));
            }
            components.push(c.get_ref().clone());
        }
        Ok(components)
    }
}

fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Config {
    /// The severity of `code` in `mode`, after the configuration's overrides.
    ///
    /// Defaults: `orphaned` is a warning in hooks and nightly runs; everything else is an error. The gate
    /// treats every finding as an error unless the configuration relaxes it.
    pub fn severity(&self, mode: Mode, code: Code) -> Severity {
        self.severities
            .get(mode)
            .get(&code)
            .copied()
            .unwrap_or_else(|| code.default_severity(mode))
    }

    /// Raises the severity of `code` in `mode` to at least `min` (a server policy's floor). Returns
    /// the severity `vigil.toml` set when it set one below `min`.
    pub fn raise_severity(&mut self, mode: Mode, code: Code, min: Severity) -> Option<Severity> {
        let set = self.severities.get(mode).get(&code).copied();
        if self.severity(mode, code) < min {
            self.severities.get_mut(mode).insert(code, min);
        }
        set.filter(|s| *s < min)
    }

    /// Looks up profiles by name; an unknown name lists the known ones.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Profile>, UnknownProfile> {
        if names.is_empty() {
            return Ok(self.profiles.values().collect());
        }
        let mut out = Vec::new();
        for n in names {
            match self.profiles.get(n) {
                Some(p) => out.push(p),
                None => {
                    let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
                    return Err(UnknownProfile {
                        name: n.clone(),
                        suggestion: closest_name(n, &known).map(str::to_string),
                        known: known.iter().map(|k| k.to_string()).collect(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The workspace-relative path of a profile's manifest.
    pub fn manifest_path(&self, profile: &str) -> String {
        let dir = self.manifest_dir.trim_end_matches('/');
        if dir.is_empty() || dir == "." {
            format!("{profile}.toml")
        } else {
            format!("{dir}/{profile}.toml")
        }
    }
}

/// A profile name that the configuration does not declare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile `{name}`{}; known profiles: {}",
    suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(),
    if known.is_empty() { "(none)".to_string() } else { known.join(", ") })]
pub struct UnknownProfile {
    pub name: String,
    /// The closest declared name, when one is close enough to be a likely typo.
    pub suggestion: Option<String>,
    /// Every declared name.
    pub known: Vec<String>,
}

/// serde reports unknown keys as "unknown field `x`, expected one of `a`, `b`"; add the closest name.
fn improve_message(msg: &str) -> String {
    let msg = msg.trim_end();
    let re = regex::Regex::new(r"unknown (?:field|variant) `([^`]*)`, expected (?:one of )?(.*)")
        .expect("static regex");
    if let Some(c) = re.captures(msg) {
        let word = &c[1];
        let expected: Vec<&str> = c[2]
            .split(',')
            .map(|s| s.trim().trim_start_matches("or ").trim_matches('`'))
            .collect();
        let hint = closest(word, &expected);
        if !hint.is_empty() {
            return format!("{msg}{hint}");
        }
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        parse(Path::new("vigil.toml"), text).unwrap_err()
    }

    #[test]
    fn minimal_form_parses() {
        let c = parse(
            Path::new("vigil.toml"),
            r#"
[profiles.cisco-vpn-server]
description = "CISCO VPN server authentication"
components = ["profiles/cisco-vpn-server.cnf", "validity/*.cnf", "extensions/"]
follow = ["openssl-include"]
"#,
        )
        .unwrap();
        let p = &c.profiles["cisco-vpn-server"];
        assert_eq!(p.components.len(), 3);
        assert_eq!(p.follow, vec![Builtin::OpensslInclude]);
        assert_eq!(
            c.manifest_path("cisco-vpn-server"),
            "approved/cisco-vpn-server.toml"
        );
    }

    #[test]
    fn malformed_toml_names_line_and_column() {
        let e = err("[profiles.a]\ncomponents = [\"x\" \"y\"]\n");
        assert_eq!(e.line, Some(2));
        assert!(e.column.is_some());
        assert!(e.to_string().contains("vigil.toml:2:"), "{e}");
    }

    #[test]
    fn unknown_key_suggests_closest() {
        let e = err("[profiles.a]\ncompnents = [\"x\"]\n");
        assert_eq!(e.line, Some(2));
        assert!(
            e.message.contains("did you mean `components`?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_extractor_suggests_closest() {
        let e = err("[profiles.a]\nfollow = [\"openssl-includes\"]\n");
        assert!(
            e.message.contains("did you mean `openssl-include`?"),
            "{}",
            e.message
        );
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn bad_regex_and_missing_group() {
        let e = err("[profiles.a]\n[[profiles.a.references]]\npattern = \"(\"\n");
        assert!(e.message.contains("invalid regex"), "{}", e.message);
        assert_eq!(e.line, Some(3));
        let e = err("[profiles.a]\n[[profiles.a.references]]\npattern = \"include .*\"\n");
        assert!(e.message.contains("capture group"), "{}", e.message);
    }

    #[test]
    fn bad_profile_name_and_manifest_dir() {
        assert!(err("[profiles.\"a/b\"]\n").message.contains("profile name"));
        assert!(err("manifest-dir = \"../x\"\n")
            .message
            .contains("inside the workspace"));
    }

    #[test]
    fn unknown_profile_lists_known() {
        let c = parse(Path::new("v"), "[profiles.server]\n[profiles.client]\n").unwrap();
        let e = c.select(&["servr".into()]).unwrap_err().to_string();
        assert!(e.contains("did you mean `server`?"), "{e}");
        assert!(e.contains("client, server"), "{e}");
    }

    #[test]
    fn severities_per_mode() {
        let c = parse(Path::new("v"), "[severity.hook]\nstale = \"warning\"\n").unwrap();
        assert_eq!(c.severity(Mode::Hook, Code::Stale), Severity::Warning);
        assert_eq!(c.severity(Mode::Nightly, Code::Stale), Severity::Error);
        assert_eq!(c.severity(Mode::Nightly, Code::Orphaned), Severity::Warning);
        assert_eq!(c.severity(Mode::Gate, Code::Orphaned), Severity::Error);
        let e = err("[severity.hook]\nstail = \"warning\"\n");
        assert!(e.message.contains("did you mean `stale`?"), "{}", e.message);
    }
}
