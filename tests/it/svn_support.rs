//! Test support for Subversion: a real repository (`svnadmin create`), a real working copy
//! (`svn checkout file://...`) in a [`Sandbox`], and the real pre-commit hook script installed in it.
//!
//! Subversion is required: a test fails with "install subversion" when it is missing, it never skips.

#![allow(dead_code)]

use crate::support::{vigil_bin, Run, Sandbox};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Panics unless svn, svnadmin and svnlook can run.
#[track_caller]
pub fn require_svn() {
    for tool in ["svn", "svnadmin", "svnlook"] {
        let ok = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "`{tool}` cannot run: install subversion (Debian: apt-get install subversion); scripts/test does it"
        );
    }
}

/// Where the workspace (`vigil.toml`) sits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `trunk` is checked out; the workspace is the working copy's root.
    TrunkCheckout,
    /// The repository root is checked out; the workspace is its `trunk/` folder.
    UnderTrunk,
}

/// A repository, a working copy of it, and a sandbox whose root is the workspace.
pub struct Svn {
    pub sb: Sandbox,
    pub repos: PathBuf,
    pub url: String,
    /// The working copy's root.
    pub wc: PathBuf,
}

impl Svn {
    pub fn new(layout: Layout) -> Svn {
        require_svn();
        let mut sb = Sandbox::plain();
        let repos = sb.outside().join("repo");
        let url = format!("file://{}", repos.display());
        let wc = sb.root.clone();
        let run = |args: &[&str], cwd: &Path, sb: &Sandbox| {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]).current_dir(cwd).stdin(Stdio::null());
            sb.env(&mut c);
            let o = c.output().expect("runs");
            assert!(
                o.status.success(),
                "{args:?} failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        let out = sb.outside();
        run(&["svnadmin", "create", repos.to_str().unwrap()], &out, &sb);
        run(
            &[
                "svn",
                "mkdir",
                "-q",
                "--non-interactive",
                "-m",
                "layout",
                &format!("{url}/trunk"),
                &format!("{url}/branches"),
            ],
            &out,
            &sb,
        );
        let co = match layout {
            Layout::TrunkCheckout => format!("{url}/trunk"),
            Layout::UnderTrunk => url.clone(),
        };
        run(
            &[
                "svn",
                "checkout",
                "-q",
                "--non-interactive",
                &co,
                wc.to_str().unwrap(),
            ],
            &out,
            &sb,
        );
        if layout == Layout::UnderTrunk {
            sb.root = wc.join("trunk");
        }
        Svn { sb, repos, url, wc }
    }

    /// Runs svn in the working copy's root.
    pub fn svn(&self, args: &[&str]) -> Run {
        let mut c = Command::new("svn");
        c.args(args)
            .arg("--non-interactive")
            .current_dir(&self.wc)
            .stdin(Stdio::null());
        self.sb.env(&mut c);
        run(c)
    }

    #[track_caller]
    pub fn svn_ok(&self, args: &[&str]) -> Run {
        let r = self.svn(args);
        assert_eq!(r.code, 0, "svn {args:?} failed:\n{}{}", r.stdout, r.stderr);
        r
    }

    /// `svn add --force` of everything not yet versioned (ignored files stay out).
    pub fn add_all(&self) -> &Self {
        self.svn_ok(&["add", "-q", "--force", "."]);
        self
    }

    /// `svn commit` of the whole working copy; returns the run so tests can see a hook's rejection.
    pub fn commit(&self, msg: &str) -> Run {
        self.svn(&["commit", "--force-log", "-m", msg])
    }

    /// Adds everything and commits, which must succeed.
    #[track_caller]
    pub fn commit_all(&self, msg: &str) -> &Self {
        self.add_all();
        let r = self.commit(msg);
        assert_eq!(r.code, 0, "commit failed:\n{}{}", r.stdout, r.stderr);
        self.svn_ok(&["update", "-q"]);
        self
    }

    /// Sets a property on a working-copy path (relative to the working copy's root).
    pub fn propset(&self, name: &str, value: &str, path: &str) -> &Self {
        self.svn_ok(&["propset", "-q", name, value, path]);
        self
    }

    /// Installs `hooks/svn-pre-commit` as the repository's pre-commit hook, pointing at the vigil under
    /// test, with `workspaces` as its WORKSPACES setting.
    pub fn install_hook(&self, workspaces: &str) -> &Self {
        self.install_hook_with_policy(workspaces, None)
    }

    /// As [`Svn::install_hook`], with the hook's POLICY setting pointing at `policy`.
    pub fn install_hook_with_policy(&self, workspaces: &str, policy: Option<&Path>) -> &Self {
        let script =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/svn-pre-commit"))
                .unwrap();
        let script = script
            .replace(
                "VIGIL=/usr/local/bin/vigil",
                &format!("VIGIL={}", vigil_bin().display()),
            )
            .replace("WORKSPACES=\n", &format!("WORKSPACES=\"{workspaces}\"\n"))
            .replace(
                "POLICY=\n",
                &format!(
                    "POLICY=\"{}\"\n",
                    policy.map(|p| p.display().to_string()).unwrap_or_default()
                ),
            );
        let hook = self.repos.join("hooks/pre-commit");
        fs::write(&hook, script).unwrap();
        fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    /// Runs `vigil svn-pre-commit` by hand against a committed revision, with an empty environment.
    pub fn hook_on_rev(&self, rev: &str, extra: &[&str]) -> Run {
        let mut c = Command::new(vigil_bin());
        c.arg("svn-pre-commit")
            .arg(&self.repos)
            .args(["-r", rev, "-v"])
            .args(extra)
            .env_clear()
            .stdin(Stdio::null());
        run(c)
    }

    /// The youngest revision.
    pub fn youngest(&self) -> String {
        let o = Command::new("svnlook")
            .arg("youngest")
            .arg(&self.repos)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }
}

fn run(mut c: Command) -> Run {
    let o = c.output().expect("command runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}
