//! `vigil check --staged` (the pre-commit hook) and `vigil check --rev REV`: the check over a git
//! snapshot instead of the working tree. The library decides ([`vigil::pre_commit`]); this prints.

use super::check::{write_report, Args};
use super::{Exit, Globals, Outcome, ProgressLine};
use vigil::config::Mode;
use vigil::pre_commit::{self, Request, Verdict};
use vigil::report::Format;

pub fn run(g: &Globals, a: &Args, mode: Mode) -> Outcome {
    let cwd = std::env::current_dir().map_err(vigil::Error::current_dir)?;
    let request = Request {
        cwd: &cwd,
        config: g.config.as_deref(),
        rev: if a.staged { None } else { a.rev.as_deref() },
        workspace: a.workspace.as_deref(),
        profiles: &a.profiles,
        mode,
        skip_untouched: a.format == Format::Human,
    };
    let mut progress = ProgressLine::new();
    let verdict = pre_commit::check_snapshot(&request, &mut |p| progress.update(p));
    progress.finish();
    match verdict? {
        Verdict::Checked(report) => write_report(g, a, &report),
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
            eprintln!("vigil: no vigil.toml in the index ({where_}); nothing to check");
            if let Some(first) = elsewhere.first() {
                eprintln!(
                    "vigil: note: the index holds vigil.toml in {}; check it with `--workspace {first}`, or \
                     install the hook with `vigil hook install --workspace {first}`",
                    elsewhere
                        .iter()
                        .map(|f| format!("{f}/"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(Exit::Ok)
        }
    }
}
