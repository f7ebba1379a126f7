//! `vigil diff`.

use super::{emit, Exit, Globals, Outcome};
use vigil::check::short;
use vigil::diff::{self, Change};

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
