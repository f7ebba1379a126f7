//! The samples of a run: every declared sample issued, linted and checked against the requirements in
//! force for its purpose, turned into findings (`lint`, `sample-failed`) and a summary for the gate.
//!
//! [`crate::sample`] does the work for one declaration; this module runs it for the profiles of a run,
//! side by side (each linter takes seconds to start), and words what it found.

use crate::config::{Config, Profile, CONFIG_FILE};
use crate::finding::{Draft, LintRef, Severity};
use crate::requirements::{Pack, Requirement, Window};
use crate::sample::{self, LintReport, LintSeverity, Linters, SampleCert, SampleInputs};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable listing folders (`PATH`-style) searched for linters before `[linters]
/// path` and `PATH`.
pub const LINTERS_ENV: &str = "VIGIL_LINTERS";

/// What came of one profile's sample.
#[derive(Debug, Clone)]
pub struct SampleOutcome {
    pub profile: String,
    /// The certificate, when one was issued.
    pub issued: Option<Issued>,
    /// What the linters said, when they ran.
    pub lint: Option<LintReport>,
    /// Why it could not be issued or linted, when it could not.
    pub failure: Option<String>,
    /// Findings, before the configuration gives them severities.
    pub drafts: Vec<Draft>,
}

/// A sample certificate that was issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub cert: SampleCert,
    /// The certificate, PEM, for evidence.
    pub pem: String,
}

impl SampleOutcome {
    /// One line for a summary: `PASS`, `FAIL (2 errors, 1 warning)`, or why it could not be judged.
    pub fn verdict(&self) -> String {
        if let Some(why) = &self.failure {
            return format!("FAIL: {why}");
        }
        let count = |cap: Severity| {
            self.drafts
                .iter()
                .filter(|d| d.lint.as_ref().is_some_and(|l| l.cap == cap))
                .count()
        };
        let (errors, warnings, notes) = (
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Note),
        );
        let mut parts = Vec::new();
        for (n, one, many) in [
            (errors, "error", "errors"),
            (warnings, "warning", "warnings"),
            (notes, "note", "notes"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        let ran = self
            .lint
            .as_ref()
            .map(|l| l.ran.join("; "))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "no linter".into());
        let word = if errors > 0 { "FAIL" } else { "PASS" };
        if parts.is_empty() {
            format!("{word} ({ran})")
        } else {
            format!("{word}: {} ({ran})", parts.join(", "))
        }
    }
}

/// The linters as `[linters]` and [`LINTERS_ENV`] configure them.
pub fn linters(config: &Config) -> Linters {
    let mut dirs: Vec<PathBuf> = std::env::var_os(LINTERS_ENV)
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(config.linters.dirs.iter().cloned());
    Linters {
        dirs,
        path: None::<OsString>,
        timeout: config.linters.timeout,
    }
}

/// The requirements the shipped packs hold; the samples are checked against those in force on the
/// day each certificate starts.
pub fn shipped_requirements() -> Vec<Requirement> {
    Pack::builtin()
        .map(|packs| packs.into_iter().flat_map(|p| p.requirements).collect())
        .unwrap_or_default()
}

/// Issues, lints and checks the sample of every profile in `profiles` that declares one, in parallel.
/// `root` is the workspace the profiles' files are read from.
pub fn run(
    root: &Path,
    profiles: &[&Profile],
    linters: &Linters,
    requirements: &[Requirement],
) -> Vec<SampleOutcome> {
    let declared: Vec<&Profile> = profiles
        .iter()
        .copied()
        .filter(|p| p.sample.is_some())
        .collect();
    std::thread::scope(|s| {
        let runs: Vec<_> = declared
            .iter()
            .map(|p| s.spawn(move || run_one(root, p, linters, requirements)))
            .collect();
        runs.into_iter()
            .zip(&declared)
            .map(|(h, p)| {
                h.join().unwrap_or_else(|_| {
                    let path = CONFIG_FILE.to_string();
                    let why = "the sample run stopped unexpectedly";
                    SampleOutcome {
                        profile: p.name.clone(),
                        issued: None,
                        lint: None,
                        failure: Some(why.into()),
                        drafts: vec![Draft::sample_failed(path, why)],
                    }
                })
            })
            .collect()
    })
}

/// One profile's sample.
fn run_one(
    root: &Path,
    profile: &Profile,
    linters: &Linters,
    requirements: &[Requirement],
) -> SampleOutcome {
    let decl = profile.sample.as_ref().expect("only declared samples run");
    let path = decl.config.clone().unwrap_or_else(|| CONFIG_FILE.into());
    let mut out = SampleOutcome {
        profile: profile.name.clone(),
        issued: None,
        lint: None,
        failure: None,
        drafts: Vec::new(),
    };
    let include_dir = root.join(&profile.include_dir);
    let inputs = SampleInputs {
        workspace: root,
        include_dir: Some(&include_dir),
        openssl: None,
    };
    let issued = match sample::run_sample(decl, &inputs) {
        Ok(s) => s,
        Err(e) => {
            let why = format!("the sample certificate could not be issued: {e}");
            out.drafts.push(Draft::sample_failed(&path, &why));
            out.failure = Some(why);
            return out;
        }
    };
    let purposes: Vec<String> = decl.purpose.iter().map(|p| purpose_tag(*p)).collect();
    out.drafts.extend(check_requirements(
        &issued.cert,
        &profile.name,
        &purposes,
        requirements,
        &path,
    ));
    match sample::lint(&issued.der, decl, linters) {
        Ok(report) => {
            out.drafts.extend(lint_drafts(&report, &path));
            out.lint = Some(report);
        }
        Err(e) => {
            let why = format!("the sample certificate could not be linted: {e}");
            out.drafts.push(Draft::sample_failed(&path, &why));
            out.failure = Some(why);
        }
    }
    out.issued = Some(Issued {
        pem: issued.pem(),
        cert: issued.cert,
    });
    out
}

/// The purpose as the requirement packs tag it (`tls-server`, `smime`, ...).
fn purpose_tag(p: sample::Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Each linter result as a `lint` draft, its severity capped at the linter's.
pub fn lint_drafts(report: &LintReport, path: &str) -> Vec<Draft> {
    report
        .results
        .iter()
        .map(|r| {
            let cap = match r.severity {
                LintSeverity::Error => Severity::Error,
                LintSeverity::Warning => Severity::Warning,
                LintSeverity::Note => Severity::Note,
            };
            let lint = LintRef {
                linter: r.linter.to_string(),
                code: r.code.clone(),
                severity: r.linter_severity.clone(),
                cap,
                node: r.node.clone(),
            };
            let message = r
                .message
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "(the linter gives no message)".into());
            Draft::lint(path, lint, &message)
        })
        .collect()
}

/// The certificate's validity, counted inclusively from the certificate itself, against each validity
/// maximum of the requirements that apply to the profile (by name or purpose) and are in force on the
/// day the certificate starts. The limits are the packs' data; nothing here knows a number of days.
pub fn check_requirements(
    cert: &SampleCert,
    profile: &str,
    purposes: &[String],
    requirements: &[Requirement],
    path: &str,
) -> Vec<Draft> {
    use crate::requirements::duration::describe_seconds;
    use crate::requirements::rule::{Bound, Constraint, ValueKind};
    let day = crate::requirements::Date::from_unix(cert.not_before);
    let have = u128::try_from(cert.validity_seconds).unwrap_or(0);
    let mut drafts = Vec::new();
    for req in requirements {
        if !req.applies_to.matches(profile, purposes) || req.window(day, 0) != Window::InForce {
            continue;
        }
        for check in req.values.iter().filter(|v| v.kind == ValueKind::Validity) {
            for c in &check.constraints {
                let Constraint::Max(Bound::Span(limit)) = c else {
                    continue;
                };
                let limit = limit.whole_seconds();
                if have <= limit {
                    continue;
                }
                let lint = LintRef {
                    linter: "requirements".into(),
                    code: req.id.clone(),
                    severity: "violation".into(),
                    cap: Severity::Error,
                    node: Some("certificate.tbsCertificate.validity".into()),
                };
                let message = format!(
                    "valid for {} (notBefore and notAfter both count), over the maximum of {} in force on {day} ({} \"{}\"; {})",
                    describe_seconds(have),
                    describe_seconds(limit),
                    req.id,
                    req.title,
                    req.source
                );
                drafts.push(Draft::lint(path, lint, &message));
            }
        }
    }
    drafts
}

/// Writes the evidence of each issued sample into `dir`: `PROFILE.sample.pem`, and each linter's own
/// output as `PROFILE.LINTER.json`. Returns the files written.
pub fn write_evidence(
    dir: &Path,
    outcomes: &[&SampleOutcome],
) -> Result<Vec<PathBuf>, crate::Error> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::write(dir, e))?;
    let mut written = Vec::new();
    for o in outcomes {
        let mut files: Vec<(String, &[u8])> = Vec::new();
        if let Some(i) = &o.issued {
            files.push((format!("{}.sample.pem", o.profile), i.pem.as_bytes()));
        }
        if let Some(l) = &o.lint {
            for (linter, text) in &l.outputs {
                files.push((format!("{}.{linter}.json", o.profile), text.as_bytes()));
            }
        }
        for (name, bytes) in files {
            let file = dir.join(name);
            crate::manifest::write_atomic(&file, bytes)
                .map_err(|e| crate::Error::write(&file, e))?;
            written.push(file);
        }
    }
    Ok(written)
}

/// `vigil check --sample`: the samples of the run's profiles, issued from the very bytes the check
/// read (the working tree, the index or a commit), their findings judged with the run's severities and
/// merged into `report`.
///
/// Each profile's inventoried components are copied from the run's source into a scratch workspace
/// outside the real one, so a sample of the index or of a commit is issued from what is staged or
/// committed, and a sample that needs a file the profile does not list fails.
pub fn add_to_check(
    cx: &crate::check::Context,
    report: &mut crate::check::Report,
    names: &[String],
) -> Result<Vec<SampleOutcome>, crate::Error> {
    let profiles = cx.config.select(names)?;
    let declared: Vec<&Profile> = profiles
        .into_iter()
        .filter(|p| p.sample.is_some())
        .collect();
    if declared.is_empty() {
        return Ok(Vec::new());
    }
    let scratch = tempfile::Builder::new()
        .prefix("vigil-sample-ws-")
        .tempdir()
        .map_err(|e| crate::Error::io(std::env::temp_dir(), e))?;
    let root = scratch.path();
    for p in report
        .profiles
        .iter()
        .filter(|r| declared.iter().any(|d| d.name == r.name))
    {
        for c in &p.components {
            if !matches!(
                c.kind,
                crate::source::Kind::File
                    | crate::source::Kind::Executable
                    | crate::source::Kind::Symlink(_)
            ) {
                continue;
            }
            let target = root.join(c.path.as_path());
            let mut bytes = Vec::new();
            // A component that cannot be read is already a finding; the sample then fails on it.
            let Ok(mut r) = cx.source.open(&c.path) else {
                continue;
            };
            if std::io::Read::read_to_end(&mut r, &mut bytes).is_err() {
                continue;
            }
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| crate::Error::write(dir, e))?;
            }
            std::fs::write(&target, &bytes).map_err(|e| crate::Error::write(&target, e))?;
        }
    }
    let outcomes = run(
        root,
        &declared,
        &linters(cx.config),
        &shipped_requirements(),
    );
    let severity = |code| cx.config.severity(cx.mode, code);
    for o in &outcomes {
        report.findings.extend(
            o.drafts
                .iter()
                .cloned()
                .filter_map(|d| d.judge(&o.profile, severity)),
        );
    }
    crate::finding::sort_and_dedupe(&mut report.findings);
    Ok(outcomes)
}
