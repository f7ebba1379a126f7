//! `vigil gate`: the release gate.

use super::{emit, Exit, Globals, Outcome, ProgressLine};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profiles about to be enabled.
    ///
    /// Every finding fails the gate, warnings included, unless `[severity.gate]` in vigil.toml relaxes
    /// it; every component is read and hashed again (no cache); the manifest must be committed, and
    /// the revision it records must be in the history of HEAD (git) or not newer than the working copy
    /// (Subversion).
    #[arg(value_name = "PROFILE", required_unless_present = "all")]
    profiles: Vec<String>,

    /// Gate every profile in vigil.toml.
    #[arg(long, conflicts_with = "profiles")]
    all: bool,

    /// Output format: the plain summary, the JSON document (schema/gate.schema.json), Markdown for
    /// a change ticket, or the metrics of `vigil check --format prometheus` for node_exporter's
    /// textfile collector with `vigil_last_run_passed` the gate's verdict (with -o, the last passing
    /// gate's time is carried over from the file it replaces, which gets the metrics alone).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Also write the summary (in the chosen format) to FILE (atomically), for attaching to the
    /// change ticket.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Judge requirements as of this day (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    as_of: Option<crate::requirements::Date>,
    /// Keep the evidence of each sample certificate in DIR (created if need be): the certificate
    /// (`PROFILE.sample.pem`) and each linter's own output (`PROFILE.pkilint.json`).
    #[arg(long, value_name = "DIR")]
    evidence: Option<std::path::PathBuf>,

    /// A policy file outside the repository (allowed signers, required approvals, minimum
    /// severities, profiles that must exist) that vigil.toml may only make stricter; the gate fails
    /// when vigil.toml goes below it.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Markdown,
    Prometheus,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let mut ws = g.workspace()?;
    let relaxed = match &a.policy {
        Some(f) => {
            let p = crate::policy::Policy::load(f).map_err(crate::Error::Config)?;
            let relaxed = p.apply(&mut ws.config);
            (!relaxed.is_empty()).then(|| crate::policy::rejection_lines(&p, &relaxed))
        }
        None => None,
    };
    let vcs = ws.vcs()?;
    let mut progress = ProgressLine::new();
    let outcome = crate::gate::gate_as_of(
        &ws,
        vcs.as_ref(),
        // `--all` conflicts with naming profiles, so the list is empty then: every profile.
        &a.profiles,
        a.as_of.unwrap_or_else(crate::requirements::Date::today),
        &mut |p| progress.update(p),
    );
    progress.finish();
    let outcome = outcome?;
    let policy = relaxed.unwrap_or_default();
    let passed = outcome.passed() && policy.is_empty();
    if a.format == Format::Prometheus {
        return prometheus(&a, &outcome.report, passed);
    }
    let evidence = match &a.evidence {
        Some(dir) => crate::samples::write_evidence(dir, &outcome.samples())?,
        None => Vec::new(),
    };
    let text = match a.format {
        Format::Human => human(&outcome, &policy, &evidence).into_bytes(),
        Format::Json => crate::report::gate_json::render(&outcome, &policy),
        Format::Markdown => crate::report::gate_markdown::render(&outcome, &policy).into_bytes(),
        // Written with the previous file's last success above; this arm is never taken.
        Format::Prometheus => crate::report::prometheus::render_run(&outcome.report, None, passed),
    };
    if let Some(path) = &a.output {
        crate::output::write_output(path, &text)?;
    }
    if g.quiet && a.format == Format::Human {
        emit(crate::report::quiet::render(&outcome.report).as_bytes())?;
    } else {
        emit(&text)?;
    }
    Ok(if passed { Exit::Ok } else { Exit::Findings })
}

/// `--format prometheus`: the gate's metrics, to `--output` or stdout.
fn prometheus(a: &Args, report: &crate::check::Report, passed: bool) -> Outcome {
    let previous = a.output.as_deref().and_then(crate::output::read_previous);
    let previous = previous.as_deref().map(String::from_utf8_lossy);
    let bytes = crate::report::prometheus::render_run(report, previous.as_deref(), passed);
    match &a.output {
        Some(path) => crate::output::write_output(path, &bytes)?,
        None => emit(&bytes)?,
    }
    Ok(if passed { Exit::Ok } else { Exit::Findings })
}

/// The plain summary, with the policy that fails it and the evidence files written.
fn human(
    outcome: &crate::gate::Gate,
    policy: &[String],
    evidence: &[std::path::PathBuf],
) -> String {
    let mut text = crate::report::gate::render(outcome);
    if !policy.is_empty() {
        // The profiles may pass under the raised policy; the relaxed configuration fails the gate.
        text = text.replacen("vigil gate: PASS", "vigil gate: FAIL", 1);
        text.push_str("\npolicy: ");
        text.push_str(&policy.join("\n"));
        text.push('\n');
    }
    if !evidence.is_empty() {
        text.push_str("\nevidence:\n");
        for f in evidence {
            text.push_str(&format!("  {}\n", f.display()));
        }
    }
    text
}
