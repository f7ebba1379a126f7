//! `vigil diff`: unified diffs of stale components, coloured as `git diff` colours them when colour is on.

use super::{emit, Exit, Globals, Outcome};
use crate::check::short;
use crate::diff::{self, Change};
use anstyle::{AnsiColor, Style};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profile whose stale components to show.
    #[arg(value_name = "PROFILE")]
    profile: String,

    /// Only these components: paths relative to the workspace, or absolute paths inside it.
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let vcs = ws.vcs()?;
    let diffs = diff::diff(&ws, vcs.as_ref(), &a.profile, &a.paths)?;
    let mut out = String::new();
    if diffs.is_empty() {
        out.push_str(&format!(
            "{}: no stale components; everything matches the approved manifest\n",
            a.profile
        ));
    }
    for d in diffs {
        match d.change {
            Change::Text(t) if g.stdout_color() => out.push_str(&paint(&t)),
            Change::Text(t) => out.push_str(&t),
            Change::Binary {
                approved_size,
                current_size,
            } => out.push_str(&format!(
                "Binary content of {} differs (approved {} bytes, {}; now {} bytes, {})\n",
                d.path,
                approved_size,
                short(&d.approved),
                current_size,
                short(&d.current)
            )),
            Change::ApprovedNotFound => out.push_str(&format!(
                "{}: the approved content (blake3 {}) is not in version control, so it cannot be shown; now {}\n",
                d.path,
                short(&d.approved),
                short(&d.current)
            )),
        }
    }
    emit(out.as_bytes())?;
    Ok(Exit::Ok)
}

/// Colours a unified diff line by line: file headers bold, hunk headers cyan, removed lines red, added
/// lines green (git's defaults).
fn paint(text: &str) -> String {
    let header = Style::new().bold();
    let hunk = AnsiColor::Cyan.on_default();
    let removed = AnsiColor::Red.on_default();
    let added = AnsiColor::Green.on_default();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("--- ") || body.starts_with("+++ ") {
            header
        } else if body.starts_with("@@") {
            hunk
        } else if body.starts_with('-') {
            removed
        } else if body.starts_with('+') {
            added
        } else {
            Style::new()
        };
        if style == Style::new() {
            out.push_str(line);
        } else {
            out.push_str(&format!("{style}{body}{style:#}{end}"));
        }
    }
    out
}
