//! `vigil man`: the manual page, generated from the same clap definitions that parse the arguments,
//! so its options and subcommands are always the ones this vigil has.

use super::{emit, Cli, Exit, Outcome};
use clap::CommandFactory;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write vigil.1 and one page per subcommand (vigil-check.1, ...) into this folder instead of
    /// printing vigil.1.
    #[arg(long, value_name = "DIR")]
    write: Option<PathBuf>,
}

pub fn run(a: Args) -> Outcome {
    // `vigil help` is clap's, not a page of its own: `vigil help X` is `vigil X --help`.
    let cmd = Cli::command().disable_help_subcommand(true);
    match &a.write {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
            clap_mangen::generate_to(cmd, dir).map_err(|e| crate::Error::write(dir, e))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            emit(&out)?;
        }
    }
    Ok(Exit::Ok)
}
