//! `vigil requirements`: every requirement, its dates and source, and the state of each profile it
//! applies to on a day.

use super::{emit, Exit, Globals, Outcome, TextOrJson};
use crate::report::requirements::RequirementsReport;
use crate::requirements::Date;
use crate::source::WorkTree;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The day to judge (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    as_of: Option<Date>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Human)]
    format: TextOrJson,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let as_of = a.as_of.unwrap_or_else(Date::today);
    let source = WorkTree::new(&ws.root);
    let outcome = crate::survey::survey(&ws.config, &source, Some(&ws.root), as_of)?;
    let report = RequirementsReport::build(&ws.config.requirements, &outcome, as_of);
    let text = match a.format {
        TextOrJson::Json => report.json(),
        TextOrJson::Human => report.human(),
    };
    emit(text.as_bytes())?;
    Ok(if report.failing() {
        Exit::Findings
    } else {
        Exit::Ok
    })
}
