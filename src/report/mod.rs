//! Reports: one module per output format, each turning a [`Report`] into bytes so that every format is
//! testable without a terminal.

pub mod gate;
pub mod gate_json;
pub mod gate_markdown;
pub mod human;
pub mod json;
pub mod junit;
pub mod line;
pub mod prometheus;
pub mod quiet;
pub mod requirements;
pub mod sarif;

use crate::check::Report;

/// The output formats of `vigil check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Grouped by profile, for people.
    Human,
    /// The versioned JSON report (schema/report.schema.json).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards; rule ids are the finding codes.
    Sarif,
    /// JUnit XML for CI dashboards: a suite per profile, a test case per component.
    Junit,
    /// Prometheus text format for node_exporter's textfile collector (see [`prometheus`]).
    Prometheus,
    /// One line per finding, for journald and syslog (see [`line`]).
    Line,
}

/// Renders a report in a format. `color` only affects the human format.
pub fn render(report: &Report, format: Format, color: bool) -> Vec<u8> {
    match format {
        Format::Human => human::render(report, color).into_bytes(),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Prometheus => prometheus::render(report, None),
        Format::Line => line::render(report).into_bytes(),
    }
}

/// A time as machine-readable reports give it: UTC, RFC 3339, to the second.
pub fn timestamp(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}
