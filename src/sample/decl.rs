//! The sample declaration: the `[profiles.NAME.sample]` table of `vigil.toml`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a sample's commands may run, together, when the declaration does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The names a command argument may hold in braces; `{{` and `}}` stand for literal braces.
pub(crate) const PLACEHOLDERS: [&str; 8] = [
    "config",
    "ca_config",
    "scratch",
    "ca_key",
    "ca_cert",
    "key",
    "csr",
    "out",
];

/// The pkilint validators vigil may run. A declaration names one of these, never an arbitrary program.
pub(crate) const PKILINT_VALIDATORS: [&str; 4] = [
    "lint_cabf_serverauth_cert",
    "lint_cabf_smime_cert",
    "lint_pkix_cert",
    "lint_etsi_cert",
];

/// `[profiles.NAME.sample]`: how to issue a sample certificate with the profile, and how to lint it.
///
/// ```toml
/// [profiles.tls-server.sample]
/// purpose = "tls-server"
/// config = "profiles/tls-server.cnf"
/// ca-section = "issuing_ca_2020"
/// command = ["openssl", "ca", "-batch", "-notext", "-config", "{ca_config}",
///            "-extensions", "tls_server_ext", "-in", "{csr}", "-out", "{out}"]
/// pkilint = { type = "OV-FINAL-CERTIFICATE" }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SampleDecl {
    /// The command that issues the certificate, as an argument list (never a shell string), or a list
    /// of such commands run in order. Arguments may hold placeholders: `{config}` (the profile's
    /// OpenSSL file in the workspace), `{ca_config}` (a scratch configuration that includes `{config}`
    /// and points `ca-section` at the throwaway CA), `{scratch}` (the scratch folder, also the working
    /// folder), `{ca_key}`, `{ca_cert}` (the throwaway CA), `{key}`, `{csr}` (the subject's key and
    /// request) and `{out}` (where the certificate must be written, PEM or DER).
    pub command: Commands,
    /// The profile's OpenSSL configuration file, relative to `vigil.toml`: `{config}`.
    #[serde(default)]
    pub config: Option<String>,
    /// The `openssl ca` section (such as the `default_ca` of `{config}`) whose certificate, key,
    /// database, serial and new-certificates folder `{ca_config}` redirects to the throwaway CA.
    #[serde(default)]
    pub ca_section: Option<String>,
    /// The time limit for all commands together, such as `30s` or `2m`. Default: 30 seconds.
    #[serde(default)]
    pub timeout: Option<String>,
    /// The subject of the request `{csr}`, in OpenSSL `-subj` form.
    /// Default: `/C=US/ST=California/L=San Francisco/O=Example Org/CN=sample.example.org`.
    #[serde(default)]
    pub subject: Option<String>,
    /// Subject alternative names requested in `{csr}`, in OpenSSL form (`DNS:...`, `email:...`).
    /// Default: `["DNS:sample.example.org"]`; an empty list requests none.
    #[serde(default)]
    pub san: Option<Vec<String>>,
    /// The subject's key `{key}`: `rsa:BITS` (2048 to 8192), `ec:P-256`, `ec:P-384` or `ed25519`.
    /// Default: `rsa:2048`.
    #[serde(default)]
    pub key: Option<String>,
    /// Where the certificate is read from: the file `{out}` (default) or the command's `stdout`.
    #[serde(default)]
    pub output: Output,
    /// What the certificate is for; chooses the pkilint validator when `pkilint.validator` is unset.
    #[serde(default)]
    pub purpose: Option<Purpose>,
    /// Which pkilint validator to run, and how.
    #[serde(default)]
    pub pkilint: Option<LinterDecl>,
    /// Run zlint on the sample too when it is installed (a note says so when it is not). Default: true.
    #[serde(default = "yes")]
    pub zlint: bool,
}

fn yes() -> bool {
    true
}

/// One command or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Commands {
    One(Vec<String>),
    Many(Vec<Vec<String>>),
}

impl Commands {
    /// The commands in the order they run.
    pub fn list(&self) -> Vec<&[String]> {
        match self {
            Commands::One(argv) => vec![argv.as_slice()],
            Commands::Many(all) => all.iter().map(Vec::as_slice).collect(),
        }
    }
}

/// Where the sample command leaves the certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// The file `{out}`.
    #[default]
    File,
    /// The command's standard output (of the last command when there are several).
    Stdout,
}

/// What a certificate is for; the same tags as a profile's `purpose`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    TlsServer,
    Smime,
    CodeSigning,
    ClientAuth,
}

impl Purpose {
    /// The pkilint validator for this purpose: the CA/B Forum ones where pkilint has them, and the
    /// RFC 5280 validator otherwise.
    pub fn pkilint_validator(self) -> &'static str {
        match self {
            Purpose::TlsServer => "lint_cabf_serverauth_cert",
            Purpose::Smime => "lint_cabf_smime_cert",
            Purpose::CodeSigning | Purpose::ClientAuth => "lint_pkix_cert",
        }
    }
}

/// `[profiles.NAME.sample.pkilint]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LinterDecl {
    /// `false` turns pkilint off for this sample. Default: true.
    #[serde(default)]
    pub disabled: bool,
    /// The validator: `lint_cabf_serverauth_cert`, `lint_cabf_smime_cert`, `lint_pkix_cert` or
    /// `lint_etsi_cert`. Default: chosen by `purpose`, else `lint_pkix_cert`.
    #[serde(default)]
    pub validator: Option<String>,
    /// The certificate type passed as `--type`, such as `OV-FINAL-CERTIFICATE` or
    /// `MAILBOX-STRICT`. Default: `--detect`, which reads it from the certificate's policy OIDs.
    #[serde(default, rename = "type")]
    pub cert_type: Option<String>,
    /// pkilint's `--validity-period-start`: `DOCUMENT` (its default), `NOW`, or an ISO 8601 date and
    /// time that decides which effective-dated rules apply.
    #[serde(default)]
    pub validity_period_start: Option<String>,
}

/// A declaration that cannot be run as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclError {
    #[error("sample.command is empty")]
    EmptyCommand,
    #[error("sample.command argument `{arg}`: unknown placeholder `{{{name}}}` (known: {known})")]
    UnknownPlaceholder {
        arg: String,
        name: String,
        known: String,
    },
    #[error("sample.command argument `{arg}`: unclosed `{{` (write `{{{{` for a literal brace)")]
    UnclosedBrace { arg: String },
    #[error("sample.command uses `{{{0}}}`, but the sample declares no `{1}`")]
    PlaceholderWithout(&'static str, &'static str),
    #[error("sample.timeout `{0}`: {1}")]
    Timeout(String, String),
    #[error("sample.key `{0}`: expected rsa:BITS (2048 to 8192), ec:P-256, ec:P-384 or ed25519")]
    Key(String),
    #[error("sample.config `{0}`: must be a path relative to vigil.toml, inside the workspace")]
    ConfigPath(String),
    #[error("sample.ca-section `{0}`: must be a plain OpenSSL section name")]
    CaSection(String),
    #[error("sample.pkilint.validator `{0}`: unknown (known: {known})", known = PKILINT_VALIDATORS.join(", "))]
    Validator(String),
}

/// The subject's key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa(u32),
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyType {
    pub fn parse(text: &str) -> Option<KeyType> {
        match text {
            "ec:P-256" | "ec:prime256v1" => Some(KeyType::EcP256),
            "ec:P-384" | "ec:secp384r1" => Some(KeyType::EcP384),
            "ed25519" => Some(KeyType::Ed25519),
            _ => {
                let bits: u32 = text.strip_prefix("rsa:")?.parse().ok()?;
                (2048..=8192).contains(&bits).then_some(KeyType::Rsa(bits))
            }
        }
    }

    /// `openssl genpkey` arguments that generate such a key.
    pub(crate) fn genpkey_args(self) -> Vec<String> {
        let v: Vec<String> = match self {
            KeyType::Rsa(bits) => vec![
                "-algorithm".into(),
                "RSA".into(),
                "-pkeyopt".into(),
                format!("rsa_keygen_bits:{bits}"),
            ],
            KeyType::EcP256 => vec![
                "-algorithm".into(),
                "EC".into(),
                "-pkeyopt".into(),
                "ec_paramgen_curve:P-256".into(),
            ],
            KeyType::EcP384 => vec![
                "-algorithm".into(),
                "EC".into(),
                "-pkeyopt".into(),
                "ec_paramgen_curve:P-384".into(),
            ],
            KeyType::Ed25519 => vec!["-algorithm".into(), "ED25519".into()],
        };
        v
    }
}

pub(crate) const DEFAULT_SUBJECT: &str =
    "/C=US/ST=California/L=San Francisco/O=Example Org/CN=sample.example.org";
pub(crate) const DEFAULT_SAN: &str = "DNS:sample.example.org";

impl SampleDecl {
    /// A declaration with this command and every other field at its default.
    #[cfg(test)]
    pub fn new(command: Vec<String>) -> SampleDecl {
        SampleDecl {
            command: Commands::One(command),
            config: None,
            ca_section: None,
            timeout: None,
            subject: None,
            san: None,
            key: None,
            output: Output::File,
            purpose: None,
            pkilint: None,
            zlint: true,
        }
    }

    /// Checks everything that can be checked without running anything, so that configuration loading
    /// can report a bad declaration with the text it came from.
    pub fn check(&self) -> Result<(), DeclError> {
        let commands = self.command.list();
        if commands.is_empty() || commands.iter().any(|c| c.is_empty()) {
            return Err(DeclError::EmptyCommand);
        }
        for arg in commands.iter().flat_map(|c| c.iter()) {
            for name in placeholders(arg)? {
                if name == "config" && self.config.is_none() {
                    return Err(DeclError::PlaceholderWithout("config", "config"));
                }
                if name == "ca_config" && self.ca_section.is_none() {
                    return Err(DeclError::PlaceholderWithout("ca_config", "ca-section"));
                }
            }
        }
        self.timeout()?;
        self.key_type()?;
        if let Some(config) = &self.config {
            let p = std::path::Path::new(config);
            let inside = !config.is_empty()
                && p.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                return Err(DeclError::ConfigPath(config.clone()));
            }
        }
        if let Some(section) = &self.ca_section {
            let plain = !section.is_empty()
                && section
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !plain {
                return Err(DeclError::CaSection(section.clone()));
            }
        }
        self.pkilint_validator()?;
        Ok(())
    }

    /// The time limit for all commands together.
    pub fn timeout(&self) -> Result<Duration, DeclError> {
        match &self.timeout {
            None => Ok(DEFAULT_TIMEOUT),
            Some(text) => match humantime::parse_duration(text) {
                Ok(d) if d.is_zero() => Err(DeclError::Timeout(
                    text.clone(),
                    "must be above zero".into(),
                )),
                Ok(d) => Ok(d),
                Err(e) => Err(DeclError::Timeout(text.clone(), e.to_string())),
            },
        }
    }

    pub fn key_type(&self) -> Result<KeyType, DeclError> {
        match &self.key {
            None => Ok(KeyType::Rsa(2048)),
            Some(text) => KeyType::parse(text).ok_or_else(|| DeclError::Key(text.clone())),
        }
    }

    /// The pkilint validator to run, or `None` when pkilint is disabled.
    pub fn pkilint_validator(&self) -> Result<Option<&str>, DeclError> {
        let decl = self.pkilint.as_ref();
        if decl.is_some_and(|d| d.disabled) {
            return Ok(None);
        }
        match decl.and_then(|d| d.validator.as_deref()) {
            Some(v) if PKILINT_VALIDATORS.contains(&v) => Ok(Some(v)),
            Some(v) => Err(DeclError::Validator(v.to_string())),
            None => Ok(Some(
                self.purpose
                    .map_or("lint_pkix_cert", Purpose::pkilint_validator),
            )),
        }
    }
}

/// The placeholder names in one argument, in order.
pub(crate) fn placeholders(arg: &str) -> Result<Vec<&str>, DeclError> {
    let mut names = Vec::new();
    expand_with(arg, |name| {
        names.push(name);
        Some(String::new())
    })?;
    Ok(names)
}

/// Replaces each `{name}` in `arg` with `value(name)`; `{{` and `}}` are literal braces.
pub(crate) fn expand_with<'a>(
    arg: &'a str,
    mut value: impl FnMut(&'a str) -> Option<String>,
) -> Result<String, DeclError> {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            // A lone closing brace is taken literally, as OpenSSL arguments rarely hold one.
            out.push('}');
            rest = after;
            continue;
        }
        let Some(end) = tail.find('}') else {
            return Err(DeclError::UnclosedBrace {
                arg: arg.to_string(),
            });
        };
        let name = &tail[1..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(DeclError::UnknownPlaceholder {
                arg: arg.to_string(),
                name: name.to_string(),
                known: PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", "),
            });
        }
        match value(name) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(DeclError::UnknownPlaceholder {
                    arg: arg.to_string(),
                    name: name.to_string(),
                    known: PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", "),
                })
            }
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(toml_text: &str) -> SampleDecl {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn placeholders_expand_and_braces_escape() {
        let got = expand_with("-out={out}{{x}}", |n| Some(format!("<{n}>"))).unwrap();
        assert_eq!(got, "-out=<out>{x}");
        assert_eq!(
            expand_with("{nope}", |_| Some(String::new()))
                .unwrap_err()
                .to_string(),
            "sample.command argument `{nope}`: unknown placeholder `{nope}` (known: {config}, \
             {ca_config}, {scratch}, {ca_key}, {ca_cert}, {key}, {csr}, {out})"
        );
        assert!(matches!(
            expand_with("{out", |_| None),
            Err(DeclError::UnclosedBrace { .. })
        ));
    }

    #[test]
    fn declarations_are_checked_before_anything_runs() {
        let ok = decl(
            r#"command = ["openssl", "x509", "-req", "-in", "{csr}", "-out", "{out}"]
               purpose = "smime"
               timeout = "5s""#,
        );
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.timeout(), Ok(Duration::from_secs(5)));
        assert_eq!(ok.pkilint_validator(), Ok(Some("lint_cabf_smime_cert")));
        assert!(ok.zlint);

        let many = decl(r#"command = [["true"], ["openssl", "-config", "{config}"]]"#);
        assert_eq!(
            many.check(),
            Err(DeclError::PlaceholderWithout("config", "config"))
        );
        let escape = decl(
            r#"command = ["x"]
                             config = "../ca/openssl.cnf""#,
        );
        assert!(matches!(escape.check(), Err(DeclError::ConfigPath(_))));
        let key = decl(
            r#"command = ["x"]
                          key = "rsa:1024""#,
        );
        assert!(matches!(key.check(), Err(DeclError::Key(_))));
        let validator = decl(
            r#"command = ["x"]
                                pkilint = { validator = "rm" }"#,
        );
        assert!(matches!(validator.check(), Err(DeclError::Validator(_))));
        let off = decl(
            r#"command = ["x"]
                          pkilint = { disabled = true }"#,
        );
        assert_eq!(off.pkilint_validator(), Ok(None));
        assert!(toml::from_str::<SampleDecl>(
            r#"command = ["x"]
                                                 shell = "sh -c""#
        )
        .is_err());
    }
}
