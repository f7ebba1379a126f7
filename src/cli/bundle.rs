//! `vigil bundle`: what was approved for some profiles, from one git commit, as one file to deploy with.

use super::{Exit, Globals, Outcome};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profiles to bundle (their configuration, manifests and approved components).
    #[arg(value_name = "PROFILE", required = true)]
    profiles: Vec<String>,

    /// Where to write the bundle (atomically).
    #[arg(long, short = 'o', value_name = "FILE", required = true)]
    output: std::path::PathBuf,

    /// The git commit to read everything from (default: HEAD). Never the working tree: a bundle holds
    /// committed content only.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
    let file = match &g.config {
        Some(p) if cwd.join(p).is_dir() => cwd.join(p).join(crate::config::CONFIG_FILE),
        Some(p) => cwd.join(p),
        None => crate::config::discover(&cwd).ok_or_else(|| {
            super::usage(format!(
                "no {} found in {} or any folder above it (use --config PATH)",
                crate::config::CONFIG_FILE,
                cwd.display()
            ))
        })?,
    };
    let dir = file.parent().unwrap_or(&cwd);
    let bundle = crate::bundle::from_git(dir, a.rev.as_deref(), &a.profiles)?;
    crate::output::write_output(&a.output, &bundle.to_bytes())?;
    if !g.quiet {
        let components = bundle
            .files
            .iter()
            .filter(|f| f.role == crate::bundle::Role::Component)
            .count();
        println!(
            "bundled {} ({} components) at git {} into {} (blake3 {})",
            bundle.profiles.join(", "),
            components,
            &bundle.revision[..12],
            a.output.display(),
            &bundle.blake3[..12]
        );
    }
    Ok(Exit::Ok)
}
