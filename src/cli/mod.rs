//! Command-line parsing and the subcommands, one file each. Only this layer prints or exits.

mod approve;
mod check;
mod diff;
mod explain;
mod gate;
mod hook;
mod inventory;
mod pre_receive;
mod requirements;
mod schema;
mod svn_pre_commit;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use vigil::workspace::Workspace;

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
    Vigil(#[from] vigil::Error),
    /// The Subversion pre-commit hook could not run: any non-zero exit rejects the commit, so say it
    /// was vigil that failed, not the commit.
    #[error("the pre-commit check could not run, so the commit is rejected: {0}")]
    HookCouldNotRun(vigil::Error),
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
    Failure::Vigil(vigil::Error::Usage(message.into()))
}

/// `--as-of DATE`: a day as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<vigil::requirements::Date, String> {
    vigil::requirements::Date::parse(text)
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

    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

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
    /// The git pre-receive hook: reads `OLD NEW REF` lines on stdin and rejects the push when a pushed
    /// tip fails the check of the profiles it carries.
    PreReceive(pre_receive::Args),
    /// List every requirement (rule packs and the site's own), its dates, source, the profiles it
    /// applies to and their state on a day.
    Requirements(requirements::Args),
    /// Print or write the JSON Schemas of vigil.toml, the manifest and the reports.
    Schema(schema::Args),
    /// Subversion pre-commit hook: check a transaction before it becomes a revision.
    SvnPreCommit(svn_pre_commit::Args),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set to anything non-empty.
    pub fn enabled(self, stream_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// Shared state for subcommands.
pub struct Globals {
    pub config: Option<PathBuf>,
    pub color: ColorChoice,
}

impl Globals {
    pub fn workspace(&self) -> Result<Workspace, vigil::Error> {
        let cwd = std::env::current_dir().map_err(vigil::Error::current_dir)?;
        Workspace::load(self.config.as_deref(), &cwd)
    }

    pub fn stdout_color(&self) -> bool {
        self.color.enabled(io::stdout().is_terminal())
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
    };
    let result = match cli.command {
        Command::Check(a) => check::run(&g, a),
        Command::Inventory(a) => inventory::run(&g, a),
        Command::Approve(a) => approve::run(&g, a),
        Command::Diff(a) => diff::run(&g, a),
        Command::Explain(a) => explain::run(&g, a),
        Command::Gate(a) => gate::run(&g, a),
        Command::Requirements(a) => requirements::run(&g, a),
        Command::Schema(a) => schema::run(a),
        Command::Hook(a) => hook::run(a),
        Command::PreReceive(a) => pre_receive::run(a),
        Command::SvnPreCommit(a) => svn_pre_commit::run(a),
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

/// Writes bytes to stdout, flushing, so a broken pipe surfaces as an error the caller maps.
pub fn emit(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// A one-line progress display on stderr, only on a terminal; piped output stays clean.
pub struct ProgressLine {
    enabled: bool,
    last: std::time::Instant,
    shown: bool,
}

impl ProgressLine {
    pub fn new() -> Self {
        ProgressLine {
            enabled: io::stderr().is_terminal(),
            last: std::time::Instant::now(),
            shown: false,
        }
    }

    pub fn update(&mut self, p: vigil::check::Progress) {
        use vigil::check::Progress as P;
        if !self.enabled || self.last.elapsed() < std::time::Duration::from_millis(150) {
            return;
        }
        self.last = std::time::Instant::now();
        let text = match p {
            P::Inventory {
                profile_index,
                profiles,
            } => format!("inventory: profile {}/{profiles}", profile_index + 1),
            P::Status { paths } => format!("version control: status of {paths} components"),
            P::Hashing { done, total } => format!("hashing: {done}/{total}"),
        };
        let _ = write!(io::stderr(), "\r\x1b[2K{text}");
        self.shown = true;
    }

    pub fn finish(&mut self) {
        if self.shown {
            let _ = write!(io::stderr(), "\r\x1b[2K");
            self.shown = false;
        }
    }
}
