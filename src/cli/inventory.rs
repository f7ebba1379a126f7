//! `vigil inventory`.

use super::{emit, Exit, Globals, Outcome, TextOrJson};
use crate::inventory;
use crate::report::{human, json};
use crate::source::WorkTree;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles to list (default: all).
    #[arg(value_name = "PROFILE")]
    profiles: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Human)]
    format: TextOrJson,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let profiles = ws.config.select(&a.profiles).map_err(crate::Error::from)?;
    let source = WorkTree::new(&ws.root);
    let invs: Vec<_> = profiles
        .iter()
        .map(|p| inventory::inventory(&source, p, Some(&ws.root)))
        .collect();
    match a.format {
        TextOrJson::Human if g.quiet => {
            emit(crate::report::quiet::render_inventory(&invs).as_bytes())?
        }
        TextOrJson::Human => emit(human::render_inventory(&invs, g.stdout_color()).as_bytes())?,
        TextOrJson::Json => {
            // Only git is asked: its attributes are read in process, without a status query.
            let git = match crate::vcs::detect(&ws.root) {
                crate::vcs::Detected::Git(_) => crate::vcs::git::GitWorkTree::open(&ws.root).ok(),
                _ => None,
            };
            let transform = |p: &crate::path::WsPath| {
                use crate::vcs::Vcs;
                git.as_ref().and_then(|g| g.transform(p)).map(|t| t.what())
            };
            emit(&json::render_inventory(&invs, &transform))?
        }
    }
    // A component that could not be listed is an error finding, as in `check`: say so in the status.
    Ok(if invs.iter().any(|i| !i.problems.is_empty()) {
        Exit::Findings
    } else {
        Exit::Ok
    })
}
