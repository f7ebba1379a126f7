//! Running real certificate linters on a sample: pkilint's validators, and zlint when installed.
//!
//! pkilint is run as its command-line validators print it:
//! `VALIDATOR lint (-t TYPE | -d) [--validity-period-start WHEN] -f JSON --document-format DER FILE`,
//! one process per certificate (its command line takes one file). Its JSON is
//! `{"results": [{"node_path", "validator", "finding_descriptions": [{"severity", "code", "message"}]}]}`
//! and its exit status is the number of results, so a failure is told by output that is not that JSON.

use super::decl::SampleDecl;
use super::run::{describe, exec, last_lines, Env, Ran};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The linter name results carry for pkilint.
pub const PKILINT: &str = "pkilint";
/// The linter name results carry for zlint.
pub const ZLINT: &str = "zlint";

/// Validators that take `--validity-period-start`.
const TAKES_VALIDITY_START: [&str; 2] = ["lint_cabf_serverauth_cert", "lint_cabf_smime_cert"];
/// Validators that need a certificate type (`-t`) or `--detect`.
const TAKES_TYPE: [&str; 3] = [
    "lint_cabf_serverauth_cert",
    "lint_cabf_smime_cert",
    "lint_etsi_cert",
];

/// Where the linters are found and how long they may take.
#[derive(Debug, Clone)]
pub struct Linters {
    /// Folders searched first, such as the `bin` folder of the virtual environment pkilint was
    /// installed into.
    pub dirs: Vec<PathBuf>,
    /// The search path tried after `dirs`; `None` means this process's `PATH`.
    pub path: Option<OsString>,
    /// The time limit of one linter run.
    pub timeout: Duration,
}

impl Default for Linters {
    fn default() -> Linters {
        Linters {
            dirs: Vec::new(),
            path: None,
            timeout: Duration::from_secs(120),
        }
    }
}

impl Linters {
    /// The executable `program` in `dirs`, then in the search path.
    pub fn find(&self, program: &str) -> Option<PathBuf> {
        let path = self.path.clone().or_else(|| std::env::var_os("PATH"));
        let searched = path.as_ref().map(std::env::split_paths);
        self.dirs
            .iter()
            .cloned()
            .chain(searched.into_iter().flatten())
            .map(|d| d.join(program))
            .find(|p| is_executable(p))
    }

    fn searched(&self) -> String {
        let mut all: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        all.push("PATH".into());
        all.join(", ")
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How much a linter result matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LintSeverity {
    /// pkilint FATAL and ERROR, zlint fatal and error: fails the gate.
    Error,
    /// pkilint WARNING, zlint warn.
    Warning,
    /// pkilint NOTICE and INFO, zlint notice and info.
    Note,
}

/// One result of one linter, in the linter's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintResult {
    /// [`PKILINT`] or [`ZLINT`].
    pub linter: &'static str,
    /// The linter's code: pkilint's finding code (`cabf.serverauth.aia_location_uri_not_http`) or
    /// zlint's lint name.
    pub code: String,
    pub severity: LintSeverity,
    /// The linter's own severity word (`ERROR`, `WARNING`, `warn`, ...).
    pub linter_severity: String,
    /// The linter's message, when it gives one.
    pub message: Option<String>,
    /// Where in the certificate: pkilint's node path (`certificate.tbsCertificate.extensions.5...`).
    pub node: Option<String>,
    /// The pkilint validator class that reported it.
    pub validator: Option<String>,
}

/// Everything the linters said about one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    pub results: Vec<LintResult>,
    /// Remarks that are not results, such as zlint being configured but not installed.
    pub notes: Vec<String>,
    /// The linters that ran, as run (`pkilint lint_cabf_serverauth_cert -t OV-FINAL-CERTIFICATE`).
    pub ran: Vec<String>,
    /// Each linter's standard output as it wrote it, by linter name, for evidence.
    pub outputs: Vec<(&'static str, String)>,
}

/// A linter that should have run could not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LintError {
    #[error("{program} is not installed (searched {searched}); install pkilint (pip install pkilint) into a virtual environment and configure its bin folder")]
    NotInstalled { program: String, searched: String },
    #[error("{linter} did not finish within {}s", .after.as_secs())]
    TimedOut { linter: String, after: Duration },
    #[error("{linter} failed ({status}){}", if .stderr_tail.is_empty() { String::new() } else { format!(": {}", .stderr_tail.join(" | ")) })]
    Failed {
        linter: String,
        status: String,
        stderr_tail: Vec<String>,
    },
    #[error("{0}")]
    Io(String),
}

/// Lints one DER certificate with the linters the declaration asks for.
///
/// The certificate is written to a scratch folder of its own; the linters run there with the same
/// minimal environment as sample commands. pkilint missing when the declaration wants it is an error
/// (the gate cannot vouch for the profile); zlint missing is a note, as it is optional.
pub fn lint(der: &[u8], decl: &SampleDecl, linters: &Linters) -> Result<LintReport, LintError> {
    let io = |e: std::io::Error| LintError::Io(e.to_string());
    let scratch = tempfile::Builder::new()
        .prefix("vigil-lint-")
        .tempdir()
        .map_err(io)?;
    let dir = scratch.path().to_path_buf();
    let cert = dir.join("sample.der");
    std::fs::write(&cert, der).map_err(io)?;
    let env = Env {
        scratch: dir.clone(),
        include_dir: None,
    };
    let mut report = LintReport::default();

    let validator = decl
        .pkilint_validator()
        .map_err(|e| LintError::Io(e.to_string()))?;
    if let Some(validator) = validator {
        run_pkilint(validator, decl, linters, &env, &cert, &mut report)?;
    }
    if decl.zlint {
        match linters.find(ZLINT) {
            None => report.notes.push(format!(
                "zlint is not installed (searched {}), so only pkilint linted the sample",
                linters.searched()
            )),
            Some(program) => run_zlint(&program, linters, &env, &cert, &mut report)?,
        }
    }
    Ok(report)
}

/// Runs pkilint's `validator` on `cert` and adds its results to `report`.
fn run_pkilint(
    validator: &str,
    decl: &SampleDecl,
    linters: &Linters,
    env: &Env,
    cert: &Path,
    report: &mut LintReport,
) -> Result<(), LintError> {
    let program = linters
        .find(validator)
        .ok_or_else(|| LintError::NotInstalled {
            program: validator.to_string(),
            searched: linters.searched(),
        })?;
    let opts = decl.pkilint.clone().unwrap_or_default();
    let mut args: Vec<String> = vec!["lint".into()];
    if TAKES_TYPE.contains(&validator) {
        match &opts.cert_type {
            Some(t) => args.extend(["-t".into(), t.clone()]),
            None => args.push("-d".into()),
        }
    }
    if let Some(when) = &opts.validity_period_start {
        if TAKES_VALIDITY_START.contains(&validator) {
            args.extend(["--validity-period-start".into(), when.clone()]);
        }
    }
    args.extend(["-f", "JSON", "--document-format", "DER"].map(String::from));
    report
        .ran
        .push(format!("{PKILINT} {validator} {}", args.join(" ")));
    args.push(cert.to_string_lossy().into_owned());
    let mut argv = vec![program.to_string_lossy().into_owned()];
    argv.extend(args);
    let stdout = run_linter(PKILINT, &argv, env, linters.timeout)?;
    report.outputs.push((PKILINT, stdout.clone()));
    let results = parse_pkilint(&stdout).map_err(|reason| LintError::Failed {
        linter: PKILINT.into(),
        status: reason,
        stderr_tail: last_lines(&env.scratch.join(".stderr")),
    })?;
    report.results.extend(results);
    Ok(())
}

/// Runs zlint on `cert` and adds its results to `report`.
fn run_zlint(
    program: &Path,
    linters: &Linters,
    env: &Env,
    cert: &Path,
    report: &mut LintReport,
) -> Result<(), LintError> {
    let argv = vec![
        program.to_string_lossy().into_owned(),
        "-format".into(),
        "der".into(),
        cert.to_string_lossy().into_owned(),
    ];
    report.ran.push(format!("{ZLINT} -format der"));
    let stdout = run_linter(ZLINT, &argv, env, linters.timeout)?;
    report.outputs.push((ZLINT, stdout.clone()));
    let results = parse_zlint(&stdout).map_err(|reason| LintError::Failed {
        linter: ZLINT.into(),
        status: reason,
        stderr_tail: last_lines(&env.scratch.join(".stderr")),
    })?;
    report.results.extend(results);
    Ok(())
}

/// Runs a linter and returns its standard output. Its exit status is not judged here (pkilint's is
/// the count of results); unparseable output is.
fn run_linter(
    linter: &str,
    argv: &[String],
    env: &Env,
    limit: Duration,
) -> Result<String, LintError> {
    let stdout = env.scratch.join(".stdout");
    let stderr = env.scratch.join(".stderr");
    let ran = exec(argv, env, &stdout, &stderr, limit).map_err(|e| LintError::Failed {
        linter: linter.into(),
        status: e.to_string(),
        stderr_tail: Vec::new(),
    })?;
    let out = String::from_utf8_lossy(&std::fs::read(&stdout).unwrap_or_default()).into_owned();
    match ran {
        Ran::TimedOut => Err(LintError::TimedOut {
            linter: linter.into(),
            after: limit,
        }),
        Ran::Exited(status) if out.trim().is_empty() => Err(LintError::Failed {
            linter: linter.into(),
            status: describe(status),
            stderr_tail: last_lines(&stderr),
        }),
        Ran::Exited(_) => Ok(out),
    }
}

#[derive(Deserialize)]
struct PkilintOutput {
    results: Vec<PkilintNode>,
}

#[derive(Deserialize)]
struct PkilintNode {
    node_path: Option<String>,
    validator: Option<String>,
    finding_descriptions: Vec<PkilintFinding>,
}

#[derive(Deserialize)]
struct PkilintFinding {
    severity: String,
    code: String,
    message: Option<String>,
}

/// pkilint's `-f JSON` output, as results.
pub(crate) fn parse_pkilint(json: &str) -> Result<Vec<LintResult>, String> {
    let out: PkilintOutput =
        serde_json::from_str(json).map_err(|e| format!("unexpected output: {e}"))?;
    let mut results = Vec::new();
    for node in out.results {
        for f in node.finding_descriptions {
            let severity = match f.severity.as_str() {
                "FATAL" | "ERROR" => LintSeverity::Error,
                "WARNING" => LintSeverity::Warning,
                _ => LintSeverity::Note,
            };
            results.push(LintResult {
                linter: PKILINT,
                code: f.code,
                severity,
                linter_severity: f.severity,
                message: f.message,
                node: node.node_path.clone(),
                validator: node.validator.clone(),
            });
        }
    }
    Ok(results)
}

#[derive(Deserialize)]
struct ZlintResult {
    result: String,
    #[serde(default)]
    details: Option<String>,
}

/// zlint's JSON output (`{"lint_name": {"result": "error", "details": "..."}}`), as results; passes
/// and lints that do not apply are dropped.
pub(crate) fn parse_zlint(json: &str) -> Result<Vec<LintResult>, String> {
    let all: std::collections::BTreeMap<String, ZlintResult> =
        serde_json::from_str(json).map_err(|e| format!("unexpected output: {e}"))?;
    Ok(all
        .into_iter()
        .filter_map(|(name, r)| {
            let severity = match r.result.as_str() {
                "fatal" | "error" => LintSeverity::Error,
                "warn" => LintSeverity::Warning,
                "notice" | "info" => LintSeverity::Note,
                _ => return None,
            };
            Some(LintResult {
                linter: ZLINT,
                code: name,
                severity,
                linter_severity: r.result,
                message: r.details.filter(|d| !d.is_empty()),
                node: None,
                validator: None,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkilint_json_maps_severities() {
        let json = r#"{"results": [{"node_path": "certificate.tbsCertificate.validity.notBefore",
            "validator": "SubscriberValidityPeriodValidator", "finding_descriptions": [
            {"severity": "FATAL", "code": "a", "message": "m"},
            {"severity": "WARNING", "code": "b", "message": null},
            {"severity": "NOTICE", "code": "c", "message": null},
            {"severity": "INFO", "code": "d", "message": null}]}]}"#;
        let got = parse_pkilint(json).unwrap();
        let sev: Vec<_> = got.iter().map(|r| (r.code.as_str(), r.severity)).collect();
        assert_eq!(
            sev,
            [
                ("a", LintSeverity::Error),
                ("b", LintSeverity::Warning),
                ("c", LintSeverity::Note),
                ("d", LintSeverity::Note)
            ]
        );
        assert_eq!(
            got[0].node.as_deref(),
            Some("certificate.tbsCertificate.validity.notBefore")
        );
        assert!(parse_pkilint("Failed to load certificate").is_err());
    }

    #[test]
    fn zlint_json_keeps_only_what_did_not_pass() {
        let json = r#"{"e_sub_cert_aia_missing": {"result": "error", "details": "x"},
            "w_ext_subject_key_identifier_missing_sub_cert": {"result": "warn"},
            "n_ca_digital_signature_not_set": {"result": "NA"},
            "e_ext_san_missing": {"result": "pass"}}"#;
        let got = parse_zlint(json).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].code, "e_sub_cert_aia_missing");
        assert_eq!(got[0].severity, LintSeverity::Error);
        assert_eq!(got[1].severity, LintSeverity::Warning);
    }

    #[test]
    fn a_missing_zlint_is_a_note_and_a_missing_pkilint_an_error() {
        let none = Linters {
            dirs: Vec::new(),
            path: Some(OsString::new()),
            timeout: Duration::from_secs(5),
        };
        let mut decl = SampleDecl::new(vec!["true".into()]);
        assert!(matches!(
            lint(b"x", &decl, &none),
            Err(LintError::NotInstalled { .. })
        ));
        decl.pkilint = Some(super::super::decl::LinterDecl {
            disabled: true,
            ..Default::default()
        });
        let report = lint(b"x", &decl, &none).unwrap();
        assert!(report.results.is_empty());
        assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
        assert!(report.notes[0].starts_with("zlint is not installed"));
    }
}
