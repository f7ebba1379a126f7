//! `vigil verify`: a deployed host (no version control) against a bundle made by `vigil bundle`.

use super::{distinct, parse_report, write_reports, FormatArg, Globals, Outcome};
use crate::config::Mode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profiles to verify (default: every profile the bundle holds).
    #[arg(value_name = "PROFILE")]
    profiles: Vec<String>,

    /// The bundle written by `vigil bundle`; refused when it was changed after it was made.
    #[arg(long, value_name = "FILE")]
    bundle: std::path::PathBuf,

    /// The host's root folder: `/` on the host itself, or where its file system is mounted.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: std::path::PathBuf,

    /// Where a repository folder is deployed, e.g. `--map profiles=/etc/ca/profiles` (repository
    /// path relative to vigil.toml, `.` for the whole workspace; host path absolute, taken below
    /// --root). Repeatable; the longest match wins; an unmapped path sits at the same path below
    /// --root. Absolute `.include`s on the host resolve through it too.
    #[arg(long = "map", value_name = "REPO_PATH=HOST_PATH")]
    maps: Vec<String>,

    /// Judge the approvals' SSH signatures against this allowed-signers file of the host's own (as
    /// `ssh-keygen -Y verify` reads it), not the one the bundle carries: then a bundle rewritten and
    /// rehashed by someone else still fails (`unsigned`, `bad-signature`, `untrusted-signer`).
    #[arg(long, value_name = "FILE")]
    allowed_signers: Option<std::path::PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::HUMAN)]
    format: FormatArg,

    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Also write the report in FORMAT to FILE (atomically), e.g. `--report prometheus=vigil.prom`.
    /// Repeatable.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    reports: Vec<(FormatArg, std::path::PathBuf)>,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    distinct(a.output.as_deref(), &a.reports)?;
    let map = crate::verify::PathMap::parse(&a.maps)?;
    let opened = crate::verify::open_bundle(&a.bundle)?;
    if !a.root.is_dir() {
        return Err(super::usage(format!(
            "--root {}: not a folder",
            a.root.display()
        )));
    }
    let root = a
        .root
        .canonicalize()
        .map_err(|e| crate::Error::io(&a.root, e))?;
    let req = crate::verify::Request {
        bundle: &opened,
        bundle_label: a.bundle.display().to_string(),
        root: &root,
        map: &map,
        profiles: &a.profiles,
        mode: Mode::Nightly,
        allowed_signers: a.allowed_signers.as_deref(),
    };
    let report = crate::verify::verify(&req)?;
    write_reports(g, a.format, a.output.as_deref(), &a.reports, &report)
}
