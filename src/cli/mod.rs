//! Command-line parsing and the subcommands, one file each. Only this layer prints or exits.

mod approve;
mod bundle;
mod check;
mod completions;
mod diff;
mod explain;
mod gate;
mod hook;
mod inventory;
mod log;
mod man;
mod pre_receive;
mod requirements;
mod schema;
mod sign;
mod svn_pre_commit;
mod verify;

use crate::workspace::Workspace;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

// The check's output options, shared with `vigil verify`, which reports the same way.
use check::{distinct, parse_report, write_reports, FormatArg};

/// How a command that ran to its end exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at the failing severity: exit code 0.
    Ok = 0,
    /// Findings (or a refused approval, or a failed gate, or a rejected push): exit code 1.
    Findings = 1,
    /// The command reported its errors as it went (one per hook or pushed ref): exit code 2.
    Errors = 2,
}

/// What stops a command. `main` prints it, once.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Vigil(#[from] crate::Error),
    /// The Subversion pre-commit hook could not run: any non-zero exit rejects the commit, so say it
    /// was vigil that failed, not the commit.
    #[error("the pre-commit check could not run, so the commit is rejected: {0}")]
    HookCouldNotRun(crate::Error),
    /// Writing the output failed (a closed pipe is not a failure; see `main`).
    #[error("{0}")]
    Output(#[from] io::Error),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Vigil(e) | Failure::HookCouldNotRun(e) => e.exit_code(),
            Failure::Output(_) => 2,
        }
    }
}

/// What every subcommand returns.
pub type Outcome = Result<Exit, Failure>;

/// A usage error, as a command's failure.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Vigil(crate::Error::Usage(message.into()))
}

/// `--as-of DATE`: a day as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<crate::requirements::Date, String> {
    crate::requirements::Date::parse(text)
}

/// Keeps configuration profiles under change control.
///
/// For every profile in vigil.toml, vigil inventories each component the profile references, checks that
/// each is tracked and committed in version control, hashes each with BLAKE3 against the profile's
/// approved manifest, and reports what is untracked, uncommitted, stale, missing or unapproved.
///
/// Exit status: 0 when nothing is at error severity, 1 with findings, 2 on usage, configuration or
/// runtime errors.
#[derive(Parser, Debug)]
#[command(name = "vigil", version, max_term_width = 100)]
pub struct Cli {
    /// Use this vigil.toml (or the vigil.toml in this folder) instead of searching upward from the
    /// current folder.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,

    /// When to colour human output and diffs. `auto`: on a terminal, unless NO_COLOR is set or
    /// CLICOLOR=0; CLICOLOR_FORCE (set, non-empty) colours even when piped.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Print only findings at error severity (nothing when a command passes); the exit status says
    /// the rest. Reports written with -o/--output stay complete.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check profiles and report findings (all profiles by default).
    Check(check::Args),
    /// List every component of each profile and how the profile reached it.
    Inventory(inventory::Args),
    /// Record the profiles' components as they are now in their manifests.
    Approve(approve::Args),
    /// Write what was approved for some profiles (configuration, manifests, approved components, the
    /// commit) as one self-checking file, from committed content only, for `vigil verify` on hosts.
    Bundle(bundle::Args),
    /// Verify a deployed host (no version control needed) against a bundle: bytes, files the host's
    /// configuration reaches, missing files, and the modes and owners the profiles ask for.
    Verify(verify::Args),
    /// Show what changed in stale components since they were approved.
    Diff(diff::Args),
    /// Show the values a profile's OpenSSL configuration holds, where each was set and what it
    /// overrode.
    Explain(explain::Args),
    /// Release gate: the strictest check of the named profiles, with a PASS/FAIL summary for a change
    /// ticket. Exit status 0 only on PASS.
    Gate(gate::Args),
    /// Install vigil's git hooks.
    Hook(hook::Args),
    /// List a profile's approvals from git history: when, who signed (verified), the requirements
    /// satisfied and the component paths changed.
    Log(log::Args),
    /// The git pre-receive hook: reads `OLD NEW REF` lines on stdin and rejects the push when a pushed
    /// tip fails the check of the profiles it carries.
    PreReceive(pre_receive::Args),
    /// Add your SSH signature to a profile's approval, changing nothing else in it.
    Sign(sign::Args),
    /// List every requirement (rule packs and the site's own), its dates, source, the profiles it
    /// applies to and their state on a day.
    Requirements(requirements::Args),
    /// Print or write the JSON Schemas of vigil.toml, the manifest and the reports.
    Schema(schema::Args),
    /// Subversion pre-commit hook: check a transaction before it becomes a revision.
    SvnPreCommit(svn_pre_commit::Args),
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the manual page (roff), or write one page per subcommand into a folder.
    Man(man::Args),
}

/// The output formats of the listing commands (`inventory`, `explain`, `requirements`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour `stream`. `always` and `never` are obeyed; `auto` follows the conventions
    /// as anstream reads them: no colour when `NO_COLOR` is set (non-empty), colour when
    /// `CLICOLOR_FORCE` is set (non-empty), no colour when `CLICOLOR=0`, else colour on a terminal
    /// whose `TERM` supports it.
    pub fn enabled<S: anstream::stream::RawStream>(self, stream: &S) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
            }
        }
    }
}

/// Shared state for subcommands.
pub struct Globals {
    pub config: Option<PathBuf>,
    pub color: ColorChoice,
    pub quiet: bool,
}

impl Globals {
    pub fn workspace(&self) -> Result<Workspace, crate::Error> {
        let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
        Workspace::load(self.config.as_deref(), &cwd)
    }

    pub fn stdout_color(&self) -> bool {
        self.color.enabled(&io::stdout())
    }
}

/// Parses the arguments, runs the command and returns the exit code. The one place that prints an
/// error that stops a command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let g = Globals {
        config: cli.config,
        color: cli.color,
        quiet: cli.quiet,
    };
    let result = match cli.command {
        Command::Check(a) => check::run(&g, a),
        Command::Inventory(a) => inventory::run(&g, a),
        Command::Approve(a) => approve::run(&g, a),
        Command::Diff(a) => diff::run(&g, a),
        Command::Bundle(a) => bundle::run(&g, a),
        Command::Verify(a) => verify::run(&g, a),
        Command::Explain(a) => explain::run(&g, a),
        Command::Gate(a) => gate::run(&g, a),
        Command::Log(a) => log::run(&g, a),
        Command::Requirements(a) => requirements::run(&g, a),
        Command::Schema(a) => schema::run(a),
        Command::Sign(a) => sign::run(&g, a),
        Command::Hook(a) => hook::run(&g, a),
        Command::PreReceive(a) => pre_receive::run(a),
        Command::SvnPreCommit(a) => svn_pre_commit::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        // A closed pipe (`vigil check | head`) is the reader's choice, not a failure.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            // The error's own text carries its cause: printing the chain would repeat it.
            eprintln!("vigil: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The signer for `--key`, or for git's `user.signingKey` when there is none.
pub fn signer(ws: &Workspace, key: Option<PathBuf>) -> Result<crate::signature::Signer, Failure> {
    let key = match key {
        Some(k) => k,
        None => crate::sign::default_key(ws).ok_or_else(|| {
            usage("which key signs? pass --key FILE, or set git's user.signingKey")
        })?,
    };
    Ok(crate::signature::Signer::new(key))
}

/// One line per signed approval.
pub fn print_signed(ws: &Workspace, signed: &[crate::sign::Signed]) {
    for s in signed {
        let rel = s.file.strip_prefix(&ws.root).unwrap_or(&s.file);
        println!(
            "signed {} as {} with {}: {} signature{} in {}",
            s.profile,
            s.entry.principal,
            s.entry.key_fingerprint,
            s.signatures,
            if s.signatures == 1 { "" } else { "s" },
            rel.display()
        );
    }
}

/// Writes bytes to stdout, flushing, so a broken pipe surfaces as an error the caller maps.
pub fn emit(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// A one-line progress display on stderr (indicatif), only on a terminal and only once a run has taken
/// longer than a second, so quick runs and piped output stay clean.
pub struct ProgressLine {
    enabled: bool,
    started: std::time::Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressLine {
    pub fn new() -> Self {
        ProgressLine {
            enabled: io::stderr().is_terminal(),
            started: std::time::Instant::now(),
            bar: None,
        }
    }

    pub fn update(&mut self, p: crate::check::Progress) {
        use crate::check::Progress as P;
        if !self.enabled || self.started.elapsed() < std::time::Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg}").expect("a valid template"),
            );
            bar
        });
        bar.set_message(match p {
            P::Inventory {
                profile_index,
                profiles,
            } => format!("inventory: profile {}/{profiles}", profile_index + 1),
            P::Status { paths } => format!("version control: status of {paths} components"),
            P::Hashing { done, total } => format!("hashing: {done}/{total}"),
        });
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
