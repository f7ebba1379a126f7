//! `vigil hook install`, `uninstall` and `status`: vigil's git hooks in a repository.

use super::{Exit, Globals, Outcome};
use crate::hook::{self, HookRepo, Installed};
use crate::hook_admin::{self, HookState, Uninstalled};

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
    /// Remove vigil's hooks (both by default). A hook that vigil set aside when installing with
    /// --force (HOOK.before-vigil) is put back; a hook vigil did not write is never removed.
    Uninstall(UninstallArgs),
    /// Show, for the pre-commit and pre-receive hooks, whether vigil's hook is installed, current, and
    /// which vigil binary and command it runs.
    Status,
}

#[derive(clap::Args, Debug)]
struct UninstallArgs {
    /// Remove the pre-commit hook.
    #[arg(long)]
    pre_commit: bool,
    /// Remove the pre-receive hook.
    #[arg(long)]
    pre_receive: bool,
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

pub fn run(g: &Globals, a: Args) -> Outcome {
    match a.command {
        Command::Install(a) => install(g, a),
        Command::Uninstall(a) => uninstall(g, a),
        Command::Status => status(),
    }
}

/// The hooks vigil ships: name and script.
const HOOKS: [(&str, &str); 2] = [
    ("pre-commit", hook::PRE_COMMIT),
    ("pre-receive", hook::PRE_RECEIVE),
];

fn install(g: &Globals, a: InstallArgs) -> Outcome {
    let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
    let repo = HookRepo::open(&cwd)?;
    let (pre_commit, pre_receive) = hook::hooks_wanted(&repo, a.pre_commit, a.pre_receive);
    let choice = repo.choose_workspace(&cwd, a.workspace.as_deref())?;
    if let Some(note) = &choice.note {
        eprintln!("vigil: {note}");
    }
    let args: Vec<String> = match &choice.workspace {
        Some(p) if !p.is_empty() => {
            let w = String::from_utf8_lossy(p).into_owned();
            if !g.quiet {
                println!("hooks check the workspace {w}/ (--workspace {w})");
            }
            vec!["--workspace".into(), w]
        }
        _ => Vec::new(),
    };
    let bin = std::env::current_exe().map_err(|e| crate::Error::io("the vigil executable", e))?;
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
            Ok(_) if g.quiet => {}
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

fn uninstall(g: &Globals, a: UninstallArgs) -> Outcome {
    let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
    let dir = HookRepo::open(&cwd)?.hooks_dir();
    let all = !a.pre_commit && !a.pre_receive;
    let mut code = Exit::Ok;
    for (name, _) in HOOKS {
        let named =
            (name == "pre-commit" && a.pre_commit) || (name == "pre-receive" && a.pre_receive);
        if !(all || named) {
            continue;
        }
        let path = dir.join(name);
        match hook_admin::uninstall(&dir, name) {
            Ok(_) if g.quiet => {}
            Ok(Uninstalled::Absent) => println!("{}: not installed", path.display()),
            Ok(Uninstalled::Removed) => println!("removed {}", path.display()),
            Ok(Uninstalled::Restored(from)) => println!(
                "removed vigil's {name} hook; {} is back (from {})",
                path.display(),
                from.display()
            ),
            // Without a flag, another tool's hook is simply not vigil's to remove.
            Err(hook_admin::UninstallError::Foreign(p)) if all => {
                if !g.quiet {
                    println!("{}: not vigil's hook; left alone", p.display());
                }
            }
            Err(e) => {
                eprintln!("vigil: error: {e}");
                code = Exit::Errors;
            }
        }
    }
    Ok(code)
}

fn status() -> Outcome {
    let cwd = std::env::current_dir().map_err(crate::Error::current_dir)?;
    let dir = HookRepo::open(&cwd)?.hooks_dir();
    let mut out = format!("hooks folder: {}\n", dir.display());
    let mut code = Exit::Ok;
    for (name, template) in HOOKS {
        let s = match hook_admin::status(&dir, name, template) {
            Ok(s) => s,
            Err((path, e)) => {
                eprintln!("vigil: error: {}: {e}", path.display());
                code = Exit::Errors;
                continue;
            }
        };
        let state = match &s.state {
            HookState::Absent => "not installed".to_string(),
            HookState::Foreign { .. } => "a hook vigil did not write".to_string(),
            HookState::Vigil {
                current,
                bin,
                command,
                ..
            } => {
                let freshness = if *current {
                    "current"
                } else {
                    "outdated: `vigil hook install` updates it"
                };
                let bin = bin.as_deref().unwrap_or("$VIGIL_BIN");
                let missing = if std::path::Path::new(bin).is_absolute()
                    && !std::path::Path::new(bin).is_file()
                {
                    " (not found: reinstall the hook)"
                } else {
                    ""
                };
                format!(
                    "vigil's, {freshness}; runs {bin}{missing} {}",
                    command.as_deref().unwrap_or("")
                )
            }
        };
        out.push_str(&format!("{name:<12} {state}\n"));
        if let HookState::Vigil {
            executable: false, ..
        }
        | HookState::Foreign { executable: false } = s.state
        {
            out.push_str(&format!(
                "{:<12} not executable: git does not run it (chmod +x {})\n",
                "",
                s.path.display()
            ));
        }
        if let Some(b) = &s.backup {
            out.push_str(&format!(
                "{:<12} the hook it replaced is kept as {} (`vigil hook uninstall` puts it back)\n",
                "",
                b.display()
            ));
        }
    }
    super::emit(out.as_bytes())?;
    Ok(code)
}
