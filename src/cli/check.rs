//! `vigil check`: the working tree, or with `--staged` / `--rev` a git snapshot.

use super::{emit, usage, Exit, Globals, Outcome, ProgressLine};
use crate::check::{self, Context};
use crate::config::Mode;
use crate::pre_commit::{self, Request, Verdict};
use crate::report::{self, Format};
use crate::source::WorkTree;
use clap::ValueEnum;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles to check (default: all).
    #[arg(value_name = "PROFILE")]
    pub(super) profiles: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::HUMAN)]
    pub(super) format: FormatArg,

    /// Write the report to FILE (atomically: readers never see half a report) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Also write the report in FORMAT to FILE (atomically), e.g. `--report json=nightly.json
    /// --report prometheus=vigil.prom`: one run, several reports. Repeatable; the --format report
    /// still goes to stdout or --output.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    reports: Vec<(FormatArg, std::path::PathBuf)>,

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

    /// Judge requirements as of this day (YYYY-MM-DD; default: today, UTC): "what breaks on 2027-03-15?"
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    pub(super) as_of: Option<crate::requirements::Date>,
    /// Also issue a sample certificate with each profile that declares one (`[profiles.NAME.sample]`),
    /// from the bytes checked (working tree, index or commit), and lint it: findings `lint` and
    /// `sample-failed`. Slow (seconds per profile), so hooks do it only when asked.
    #[arg(long)]
    pub(super) sample: bool,

    /// Read and hash every component, neither using nor updating the stat cache (the cache keeps the
    /// digest of each file whose device, inode, size, times and mode are unchanged since it was read;
    /// `vigil gate` never uses it).
    #[arg(long)]
    pub(super) no_cache: bool,
}

/// The `--format` values: the library's [`Format`], named and described by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FormatArg(pub(super) Format);

impl FormatArg {
    pub(super) const HUMAN: FormatArg = FormatArg(Format::Human);
}

impl ValueEnum for FormatArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::LazyLock<Vec<FormatArg>> =
            std::sync::LazyLock::new(|| Format::ALL.into_iter().map(FormatArg).collect());
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.help()))
    }
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        f.0
    }
}

/// `--report FORMAT=FILE`.
pub(super) fn parse_report(text: &str) -> Result<(FormatArg, std::path::PathBuf), String> {
    let (format, file) = text
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=FILE, such as json=report.json, not `{text}`"))?;
    let format = FormatArg::from_str(format, true).map_err(|_| {
        let names: Vec<String> = FormatArg::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("unknown format `{format}` (one of {})", names.join(", "))
    })?;
    if file.is_empty() {
        return Err(format!("no file after `{format:?}=`").to_lowercase());
    }
    Ok((format, file.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Hook,
    Nightly,
    Gate,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    distinct_files(&a)?;
    let snapshot = a.staged || a.rev.is_some();
    let mode = match a.mode {
        Some(ModeArg::Hook) => Mode::Hook,
        Some(ModeArg::Nightly) => Mode::Nightly,
        Some(ModeArg::Gate) => Mode::Gate,
        None if snapshot => Mode::Hook,
        None => Mode::Nightly,
    };
    if snapshot {
        return run_snapshot(g, &a, mode);
    }
    if a.workspace.is_some() {
        return Err(usage(
            "--workspace needs --staged or --rev (use --config for the working tree)",
        ));
    }
    let ws = g.workspace()?;
    let vcs = ws.vcs()?;
    let cache = (!a.no_cache && mode != Mode::Gate)
        .then(|| crate::stat_cache::StatCache::open(&ws.root))
        .flatten();
    let source = match cache {
        Some(c) => WorkTree::with_cache(&ws.root, c),
        None => WorkTree::new(&ws.root),
    };
    let cx = Context {
        config: &ws.config,
        root: Some(&ws.root),
        source: &source,
        vcs: vcs.as_ref(),
        mode,
    };
    let outcome = finish(g, &a, &cx);
    // The cache only saves work: a repository where it cannot be written is checked all the same.
    let _ = source.save_cache(a.profiles.is_empty());
    outcome
}

/// Runs the check of the working tree and writes the report.
fn finish(g: &Globals, a: &Args, cx: &Context) -> Outcome {
    let mut progress = ProgressLine::new();
    let as_of = a.as_of.unwrap_or_else(crate::requirements::Date::today);
    let report = check::run_as_of(cx, &a.profiles, as_of, &mut |p| progress.update(p));
    progress.finish();
    let mut report = report?;
    if a.sample {
        crate::samples::add_to_check(cx, &mut report, &a.profiles)?;
    }
    write_report(g, a, &report)
}

/// Writes a report to a file; a Prometheus file keeps the last passing run's time from the file it
/// replaces.
fn write_file(report: &check::Report, format: FormatArg, path: &std::path::Path) -> Outcome {
    let bytes = if format.0 == Format::Prometheus {
        let previous = crate::output::read_previous(path);
        let previous = previous.as_deref().map(String::from_utf8_lossy);
        report::prometheus::render(report, previous.as_deref())
    } else {
        report::render(report, format.into(), false)
    };
    crate::output::write_output(path, &bytes)?;
    Ok(Exit::Ok)
}

/// Refuses two reports into one file before any work is done.
fn distinct_files(a: &Args) -> Result<(), super::Failure> {
    distinct(a.output.as_deref(), &a.reports)
}

/// Refuses two reports into one file (`--output` and each `--report`).
pub(super) fn distinct(
    output: Option<&std::path::Path>,
    reports: &[(FormatArg, std::path::PathBuf)],
) -> Result<(), super::Failure> {
    let mut files: Vec<&std::path::Path> = output.into_iter().collect();
    for (_, path) in reports {
        if files.contains(&path.as_path()) {
            return Err(usage(format!(
                "{} is named for two reports; give each report a file of its own",
                path.display()
            )));
        }
        files.push(path);
    }
    Ok(())
}

/// Writes the report: shared by the working-tree and the git-snapshot checks.
fn write_report(g: &Globals, a: &Args, report: &check::Report) -> Outcome {
    write_reports(g, a.format, a.output.as_deref(), &a.reports, report)
}

/// Writes a report in `format` to stdout or `output`, and each `--report FORMAT=FILE`; exit 1 when
/// it has findings at error severity. Shared with `vigil verify`.
pub(super) fn write_reports(
    g: &Globals,
    format: FormatArg,
    output: Option<&std::path::Path>,
    reports: &[(FormatArg, std::path::PathBuf)],
    report: &check::Report,
) -> Outcome {
    for (format, path) in reports {
        write_file(report, *format, path)?;
    }
    match output {
        Some(path) => {
            write_file(report, format, path)?;
        }
        None if g.quiet && format == FormatArg::HUMAN => {
            emit(report::quiet::render(report).as_bytes())?
        }
        None => emit(&report::render(report, format.into(), g.stdout_color()))?,
    }
    Ok(if report.failed() {
        Exit::Findings
    } else {
        Exit::Ok
    })
}

/// `--staged` (the pre-commit hook) and `--rev REV`: the check of a git snapshot instead of the working
/// tree. The library decides ([`crate::pre_commit`]); this prints.
fn run_snapshot(g: &Globals, a: &Args, mode: Mode) -> Outcome {
    let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
    let request = Request {
        cwd: &cwd,
        config: g.config.as_deref(),
        rev: if a.staged { None } else { a.rev.as_deref() },
        workspace: a.workspace.as_deref(),
        profiles: &a.profiles,
        mode,
        skip_untouched: a.format == FormatArg::HUMAN,
        sample: a.sample,
    };
    let mut progress = ProgressLine::new();
    let verdict = pre_commit::check_snapshot(&request, &mut |p| progress.update(p));
    progress.finish();
    print_verdict(g, a, verdict?)
}

/// Prints what the snapshot check found.
fn print_verdict(g: &Globals, a: &Args, verdict: Verdict) -> Outcome {
    match verdict {
        // The pre-commit hook: a commit that passes gets one line, not the whole report.
        Verdict::Checked(report)
            if a.staged
                && a.format == FormatArg::HUMAN
                && a.output.is_none()
                && !g.quiet
                && !report.failed() =>
        {
            emit(report::quiet::render_passed(&report, "the staged commit").as_bytes())?;
            Ok(Exit::Ok)
        }
        Verdict::Checked(report) => write_report(g, a, &report),
        Verdict::Found { workspace, inner } => {
            eprintln!(
                "vigil: note: no vigil.toml here; checking the one workspace the index holds, in \
                 {workspace}/ (`--workspace {workspace}`)"
            );
            print_verdict(g, a, *inner)
        }
        Verdict::Untouched { .. } if g.quiet => Ok(Exit::Ok),
        Verdict::Untouched { root } => {
            println!(
                "vigil: index of {}: no staged change touches a profile; nothing to check",
                root.display()
            );
            Ok(Exit::Ok)
        }
        Verdict::Unstaged { config } => {
            eprintln!(
                "vigil: {} is on disk but not staged: the profiles it declares are not under \
                 version control (`git add` it)",
                config.display()
            );
            Ok(Exit::Findings)
        }
        Verdict::NoConfig { where_, elsewhere } => {
            let Some(first) = elsewhere.first() else {
                // A hook that checks nothing must not pass: a commit with no vigil.toml at all is
                // refused, like one that deletes it.
                eprintln!(
                    "vigil: error: no vigil.toml in the index ({where_}); this check would check \
                     nothing, so it fails: stage the workspace's vigil.toml, or remove the hook"
                );
                return Ok(Exit::Errors);
            };
            // A check that looks in the wrong folder checks nothing: fail closed rather than pass
            // every commit of the workspace unchecked.
            eprintln!(
                "vigil: error: no vigil.toml in the index ({where_}), but the index holds vigil.toml in {}; \
                 this check would check nothing, so it fails: check it with `--workspace {first}`, or \
                 install the hook with `vigil hook install --workspace {first}`",
                elsewhere
                    .iter()
                    .map(|f| format!("{f}/"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(Exit::Errors)
        }
    }
}
