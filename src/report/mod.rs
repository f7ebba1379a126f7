//! Reports: one module per output format, each turning a [`Report`] into bytes so that every format is
//! testable without a terminal.

pub mod human;
pub mod json;

use crate::check::Report;

/// The output formats of `vigil check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Grouped by profile, for people.
    Human,
    /// The versioned JSON report (schema/report.schema.json).
    Json,
}

/// Renders a report in a format. `color` only affects the human format.
pub fn render(report: &Report, format: Format, color: bool) -> Vec<u8> {
    match format {
        Format::Human => human::render(report, color).into_bytes(),
        Format::Json => json::render(report),
    }
}
