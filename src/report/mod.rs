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

/// The output formats of `vigil check` (and `verify`); [`Format::help`] says what each is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Prometheus,
    Line,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Prometheus,
        Format::Line,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Prometheus => "prometheus",
            Format::Line => "line",
        }
    }

    /// What the format is for, as `--help` says it.
    pub fn help(self) -> &'static str {
        match self {
            Format::Human => "Grouped by profile, for people",
            Format::Json => "The versioned JSON report (schema/report.schema.json)",
            Format::Sarif => {
                "SARIF 2.1.0, for code-scanning dashboards; rule ids are the finding codes"
            }
            Format::Junit => {
                "JUnit XML for CI dashboards: a suite per profile, a test case per component"
            }
            Format::Prometheus => {
                "Prometheus text format for node_exporter's textfile collector: finding counts, \
                 approved revisions, last run and last passing run (carried over from the --output \
                 file it replaces)"
            }
            Format::Line => {
                "One line per finding (`vigil[PROFILE]: SEVERITY CODE PATH: MESSAGE`) and a summary \
                 line, no colour: for journald (`systemd-cat`) and syslog (`logger`)"
            }
        }
    }
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
