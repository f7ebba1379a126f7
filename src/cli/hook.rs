//! `vigil hook install`: writes vigil's git hooks into a repository.

use super::{ERROR, OK};
use vigil::hook::{self, Installed};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Install the pre-commit hook (`vigil check --staged`) and/or the pre-receive hook
    /// (`vigil pre-receive`) into the repository's hooks folder, honouring core.hooksPath. Without a
    /// flag: pre-commit in a repository with a work tree, pre-receive in a bare one. Installing again
    /// updates vigil's own hooks; a hook vigil did not write is left alone unless --force.
    Install(InstallArgs),
}

#[derive(clap::Args, Debug)]
struct InstallArgs {
    /// Install the pre-commit hook.
    #[arg(long)]
    pre_commit: bool,
    /// Install the pre-receive hook (on the server's repository).
    #[arg(long)]
    pre_receive: bool,
    /// Replace a hook that vigil did not write (it is kept as HOOK.before-vigil).
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> anyhow::Result<i32> {
    let Command::Install(a) = a.command;
    let cwd = std::env::current_dir()?;
    let repo = match vigil::snapshot::open_repo(&cwd) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vigil: error: {e}");
            return Ok(ERROR);
        }
    };
    let (mut pre_commit, pre_receive) = (a.pre_commit, a.pre_receive);
    let both_unset = !pre_commit && !pre_receive;
    if both_unset && !repo.is_bare() {
        pre_commit = true;
    }
    let pre_receive = pre_receive || (both_unset && repo.is_bare());
    let bin = std::env::current_exe()?;
    let bin = bin.canonicalize().unwrap_or(bin);
    let dir = hook::hooks_dir(&repo);
    let mut code = OK;
    for (wanted, name, template) in [
        (pre_commit, "pre-commit", hook::PRE_COMMIT),
        (pre_receive, "pre-receive", hook::PRE_RECEIVE),
    ] {
        if !wanted {
            continue;
        }
        let path = dir.join(name);
        match hook::install(&dir, name, &hook::script(template, &bin), a.force) {
            Ok(Installed::Created) => println!("installed {}", path.display()),
            Ok(Installed::Updated) => println!("updated {}", path.display()),
            Ok(Installed::Unchanged) => println!("{} is up to date", path.display()),
            Ok(Installed::Replaced(old)) => println!(
                "installed {} (the previous hook is now {})",
                path.display(),
                old.display()
            ),
            Err(e) => {
                eprintln!("vigil: error: {e}");
                code = ERROR;
            }
        }
    }
    Ok(code)
}
