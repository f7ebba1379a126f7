//! `vigil check`.

use super::{emit, usage, Exit, Globals, Outcome, ProgressLine};
use clap::ValueEnum;
use vigil::check::{self, Context};
use vigil::config::Mode;
use vigil::report::{self, Format};
use vigil::source::WorkTree;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles to check (default: all).
    #[arg(value_name = "PROFILE")]
    pub(super) profiles: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(super) format: Format,

    /// Write the report to FILE (atomically: readers never see half a report) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Which severities apply: `nightly` (the default for a run by hand or from cron), `hook` (the
    /// default with --staged and --rev) or `gate`.
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,

    /// Check what is staged, as `git commit` will record it (the pre-commit hook): components,
    /// vigil.toml and manifests are read from the index (GIT_INDEX_FILE is honoured).
    #[arg(long, conflicts_with = "rev")]
    pub(super) staged: bool,

    /// Check the tree of a git commit (pre-receive, CI): present in the commit means tracked.
    #[arg(long, value_name = "REV")]
    pub(super) rev: Option<String>,

    /// With --staged or --rev: the folder holding vigil.toml, as a path inside the repository
    /// (default: the nearest one at or above the current folder, or the top of the repository).
    #[arg(long, value_name = "PATH-IN-REPO")]
    pub(super) workspace: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Hook,
    Nightly,
    Gate,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let snapshot = a.staged || a.rev.is_some();
    let mode = match a.mode {
        Some(ModeArg::Hook) => Mode::Hook,
        Some(ModeArg::Nightly) => Mode::Nightly,
        Some(ModeArg::Gate) => Mode::Gate,
        None if snapshot => Mode::Hook,
        None => Mode::Nightly,
    };
    if snapshot {
        return super::check_git::run(g, &a, mode);
    }
    if a.workspace.is_some() {
        return Err(usage(
            "--workspace needs --staged or --rev (use --config for the working tree)",
        ));
    }
    let ws = g.workspace()?;
    let vcs = ws.vcs()?;
    let source = WorkTree::new(&ws.root);
    let cx = Context {
        config: &ws.config,
        root: Some(&ws.root),
        source: &source,
        vcs: vcs.as_ref(),
        mode,
    };
    finish(g, &a, &cx)
}

/// Runs the check of the working tree and writes the report.
fn finish(g: &Globals, a: &Args, cx: &Context) -> Outcome {
    let mut progress = ProgressLine::new();
    let report = check::run(cx, &a.profiles, &mut |p| progress.update(p));
    progress.finish();
    write_report(g, a, &report?)
}

/// Writes the report: shared by the working-tree and the git-snapshot checks.
pub(super) fn write_report(g: &Globals, a: &Args, report: &check::Report) -> Outcome {
    match &a.output {
        Some(path) => {
            let bytes = report::render(report, a.format, false);
            vigil::manifest::write_atomic(path, &bytes)
                .map_err(|e| vigil::Error::write(path, e))?;
        }
        None => emit(&report::render(report, a.format, g.stdout_color()))?,
    }
    Ok(if report.failed() {
        Exit::Findings
    } else {
        Exit::Ok
    })
}
