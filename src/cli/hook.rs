//! `vigil hook install`: writes vigil's git hooks into a repository.

use super::{Exit, Outcome};
use std::os::unix::ffi::OsStrExt;
use vigil::config::CONFIG_FILE;
use vigil::hook::{self, HookRepo, Installed};

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
    /// The folder holding vigil.toml, as a path inside the repository, written into the hooks so they
    /// pass it on (`--workspace`). Default: the folder at or above the current one that holds
    /// vigil.toml on disk, when it is not the top of the repository; else the top.
    #[arg(long, value_name = "PATH-IN-REPO")]
    workspace: Option<String>,
}

pub fn run(a: Args) -> Outcome {
    let Command::Install(a) = a.command;
    let cwd = std::env::current_dir().map_err(vigil::Error::current_dir)?;
    let repo = HookRepo::open(&cwd)?;
    let (mut pre_commit, pre_receive) = (a.pre_commit, a.pre_receive);
    let both_unset = !pre_commit && !pre_receive;
    if both_unset && !repo.is_bare() {
        pre_commit = true;
    }
    let pre_receive = pre_receive || (both_unset && repo.is_bare());
    let workspace = match &a.workspace {
        Some(w) => {
            let p = vigil::snapshot::parse_workspace(w)?;
            let on_disk = repo
                .workdir()
                .map(|wd| wd.join(std::ffi::OsStr::from_bytes(&p)).join(CONFIG_FILE));
            if let Some(f) = on_disk.filter(|f| !f.is_file()) {
                eprintln!(
                    "vigil: warning: {} does not exist (yet); the hooks will look for it there",
                    f.display()
                );
            }
            Some(p)
        }
        None => match repo.default_workspace(&cwd) {
            Some(w) => Some(w),
            // At the top with no vigil.toml there: a hook looking there would check nothing. Use the
            // one workspace the index holds, and say so; refuse to guess between several.
            None if !repo.is_bare()
                && !repo
                    .workdir()
                    .is_some_and(|wd| wd.join(CONFIG_FILE).is_file()) =>
            {
                let mut found = repo.workspaces_in_index();
                let mut place = "the index";
                if found.is_empty() {
                    found = repo.workspaces_on_disk();
                    place = "the work tree";
                }
                match found.as_slice() {
                    // No workspace yet: the hook looks at the top, or at the one workspace the
                    // index holds when it runs, and refuses a commit while there is none.
                    [] => {
                        eprintln!(
                            "vigil: note: no {CONFIG_FILE} in the repository yet; the pre-commit hook \
                             will check the one the index holds, and refuse commits until there is one"
                        );
                        None
                    }
                    [one] => Some(one.clone()),
                    many => {
                        return Err(vigil::Error::Usage(format!(
                            "{place} holds vigil.toml in several folders ({}); choose one with \
                             `vigil hook install --workspace PATH-IN-REPO`",
                            many.iter()
                                .map(|f| format!("{}/", String::from_utf8_lossy(f)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                        .into())
                    }
                }
            }
            None => None,
        },
    };
    let args: Vec<String> = match &workspace {
        Some(p) if !p.is_empty() => {
            let w = String::from_utf8_lossy(p).into_owned();
            println!("hooks check the workspace {w}/ (--workspace {w})");
            vec!["--workspace".into(), w]
        }
        _ => Vec::new(),
    };
    let bin = std::env::current_exe().map_err(|e| vigil::Error::io("the vigil executable", e))?;
    let bin = bin.canonicalize().unwrap_or(bin);
    let dir = repo.hooks_dir();
    let mut code = Exit::Ok;
    for (wanted, name, template) in [
        (pre_commit, "pre-commit", hook::PRE_COMMIT),
        (pre_receive, "pre-receive", hook::PRE_RECEIVE),
    ] {
        if !wanted {
            continue;
        }
        let path = dir.join(name);
        match hook::install(&dir, name, &hook::script(template, &bin, &args), a.force) {
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
                code = Exit::Errors;
            }
        }
    }
    Ok(code)
}
