//! `vigil explain`.

use super::{emit, Exit, Globals, Outcome, TextOrJson};
use crate::explain::{self, Query};
use crate::inventory;
use crate::source::WorkTree;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profile whose OpenSSL configuration to explain.
    #[arg(value_name = "PROFILE")]
    profile: String,

    /// Keys to explain, as `SECTION.KEY` (or `SECTION::KEY`); every setting when none is given.
    #[arg(value_name = "SECTION.KEY")]
    keys: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Human)]
    format: TextOrJson,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let profiles = ws
        .config
        .select(std::slice::from_ref(&a.profile))
        .map_err(crate::Error::from)?;
    let source = WorkTree::new(&ws.root);
    let inv = inventory::inventory(&source, profiles[0], Some(&ws.root));
    let queries: Vec<Query> = a.keys.iter().map(|k| Query::parse(k)).collect();
    let entries = explain::explain(&inv, &queries);
    let text = match a.format {
        TextOrJson::Human => explain::render_human(&inv.profile, &entries),
        TextOrJson::Json => explain::render_json(&inv.profile, &entries),
    };
    emit(text.as_bytes())?;
    Ok(Exit::Ok)
}
