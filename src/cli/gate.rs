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
    #[arg(value_name = "PROFILE", required = true)]
    profiles: Vec<String>,

    /// Also write the summary to FILE (atomically), for attaching to the change ticket. With
    /// `--format prometheus`, write the metrics there instead of stdout (the last passing gate's time
    /// is carried over from the file it replaces).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// `human`: the PASS/FAIL summary. `prometheus`: the metrics of `vigil check --format
    /// prometheus` for node_exporter's textfile collector, with `vigil_last_run_passed` the gate's
    /// verdict.
    #[arg(long, value_enum, default_value_t = GateFormat::Human)]
    format: GateFormat,

    /// Judge requirements as of this day (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    as_of: Option<vigil::requirements::Date>,
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
enum GateFormat {
    Human,
    Prometheus,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let mut ws = g.workspace()?;
    let relaxed = match &a.policy {
        Some(f) => {
            let p = vigil::policy::Policy::load(f).map_err(vigil::Error::Config)?;
            let relaxed = p.apply(&mut ws.config);
            (!relaxed.is_empty()).then(|| vigil::policy::rejection_lines(&p, &relaxed))
        }
        None => None,
    };
    let vcs = ws.vcs()?;
    let mut progress = ProgressLine::new();
    let outcome = vigil::gate::gate_as_of(
        &ws,
        vcs.as_ref(),
        &a.profiles,
        a.as_of.unwrap_or_else(vigil::requirements::Date::today),
        &mut |p| progress.update(p),
    );
    progress.finish();
    let outcome = outcome?;
    let passed = outcome.passed() && relaxed.is_none();
    if a.format == GateFormat::Prometheus {
        return prometheus(&a, &outcome.report, passed);
    }
    let mut text = vigil::report::gate::render(&outcome);
    if let Some(lines) = &relaxed {
        // The profiles may pass under the raised policy; the relaxed configuration fails the gate.
        text = text.replacen("vigil gate: PASS", "vigil gate: FAIL", 1);
        text.push_str("\npolicy: ");
        text.push_str(&lines.join("\n"));
        text.push('\n');
    }
    if let Some(dir) = &a.evidence {
        let written = vigil::samples::write_evidence(dir, &outcome.samples())?;
        if !written.is_empty() {
            text.push_str("\nevidence:\n");
            for f in written {
                text.push_str(&format!("  {}\n", f.display()));
            }
        }
    }
    if let Some(path) = &a.output {
        vigil::output::write_output(path, text.as_bytes())?;
    }
    if g.quiet {
        emit(vigil::report::quiet::render(&outcome.report).as_bytes())?;
    } else {
        emit(text.as_bytes())?;
    }
    Ok(if passed { Exit::Ok } else { Exit::Findings })
}

/// `--format prometheus`: the gate's metrics, to `--output` or stdout.
fn prometheus(a: &Args, report: &vigil::check::Report, passed: bool) -> Outcome {
    let previous = a.output.as_deref().and_then(vigil::output::read_previous);
    let previous = previous.as_deref().map(String::from_utf8_lossy);
    let bytes = vigil::report::prometheus::render_run(report, previous.as_deref(), passed);
    match &a.output {
        Some(path) => vigil::output::write_output(path, &bytes)?,
        None => emit(&bytes)?,
    }
    Ok(if passed { Exit::Ok } else { Exit::Findings })
}
