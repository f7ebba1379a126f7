//! `vigil check`.

use super::{emit, Globals, ProgressLine, ERROR, FINDINGS, OK};
use clap::ValueEnum;
use vigil::check::{self, Context};
use vigil::config::Mode;
use vigil::report::{self, Format};
use vigil::source::WorkTree;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles to check (default: all).
    #[arg(value_name = "PROFILE")]
    profiles: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Write the report to FILE (atomically: readers never see half a report) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Which severities apply: `nightly` (the default for a run by hand or from cron), `hook` or `gate`.
    #[arg(long, value_enum, default_value_t = ModeArg::Nightly)]
    mode: ModeArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Hook,
    Nightly,
    Gate,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let ws = match g.workspace() {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("vigil: error: {e}");
            return Ok(ERROR);
        }
    };
    let vcs = match ws.vcs() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("vigil: error: {e}");
            return Ok(ERROR);
        }
    };
    let source = WorkTree::new(&ws.root);
    let mode = match a.mode {
        ModeArg::Hook => Mode::Hook,
        ModeArg::Nightly => Mode::Nightly,
        ModeArg::Gate => Mode::Gate,
    };
    let cx = Context {
        config: &ws.config,
        root: Some(&ws.root),
        source: &source,
        vcs: vcs.as_ref(),
        mode,
    };
    let mut progress = ProgressLine::new();
    let report = check::run(&cx, &a.profiles, &mut |p| progress.update(p));
    progress.finish();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vigil: error: {e}");
            return Ok(ERROR);
        }
    };
    match &a.output {
        Some(path) => {
            let bytes = report::render(&report, a.format, false);
            if let Err(e) = vigil::manifest::write_atomic(path, &bytes) {
                eprintln!("vigil: error: cannot write {}: {e}", path.display());
                return Ok(ERROR);
            }
        }
        None => emit(&report::render(&report, a.format, g.stdout_color()))?,
    }
    Ok(if report.failed() { FINDINGS } else { OK })
}
