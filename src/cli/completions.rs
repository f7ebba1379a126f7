//! `vigil completions SHELL`: the shell completion script, generated from the same clap definitions
//! that parse the arguments, so it can never offer a subcommand or option that does not exist.

use super::{emit, Cli, Exit, Outcome};
use clap::CommandFactory;
use clap_complete::Shell;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to write the completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

pub fn run(a: Args) -> Outcome {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "vigil", &mut out);
    emit(&out)?;
    Ok(Exit::Ok)
}
