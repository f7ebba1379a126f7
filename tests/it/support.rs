//! Test support: a sandbox folder holding a real git repository (or none), built a few lines at a time,
//! and a runner for the real `vigil` binary.
//!
//! Every git command runs with a fixed identity, fixed dates and no user or system configuration, so
//! commit ids are the same on every machine and snapshots can show them.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `vigil` binary under test.
pub fn vigil_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vigil"))
}

/// A temporary workspace.
pub struct Sandbox {
    dir: tempfile::TempDir,
    /// Where `vigil.toml` lives (the repository root unless a test moves it).
    pub root: PathBuf,
    home: PathBuf,
}

/// The result of running a command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    /// The codes of the findings of a JSON report, as `code path` lines, sorted.
    pub fn finding_codes(&self) -> Vec<String> {
        let j = self.json();
        let mut v: Vec<String> = j["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["code"].as_str().unwrap(),
                    f["path"].as_str().unwrap()
                )
            })
            .collect();
        v.sort();
        v
    }
}

impl Sandbox {
    /// An empty folder, in no repository.
    pub fn plain() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("vigil-test-")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().join("ws");
        let home = dir.path().join("home");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&home).unwrap();
        fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Ada Approver\n\temail = ada@ca.example\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        let root = root.canonicalize().unwrap();
        Sandbox { dir, root, home }
    }

    /// A folder holding a fresh git repository.
    pub fn git_repo() -> Sandbox {
        let s = Sandbox::plain();
        s.git_ok(&["init", "-q", "-b", "main"]);
        s
    }

    /// The sandbox's parent folder (outside the workspace), for files that must be outside.
    pub fn outside(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes a file, creating its folders.
    pub fn file(&self, rel: &str, content: &str) -> &Self {
        self.bytes(rel, content.as_bytes())
    }

    pub fn bytes(&self, rel: &str, content: &[u8]) -> &Self {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Self {
        let p = self.root.join(rel);
        if p.is_dir() {
            fs::remove_dir_all(p).unwrap();
        } else {
            fs::remove_file(p).unwrap();
        }
        self
    }

    pub fn symlink(&self, rel: &str, target: &str) -> &Self {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }

    pub fn chmod(&self, rel: &str, mode: u32) -> &Self {
        fs::set_permissions(self.root.join(rel), fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap()
    }

    /// The environment every command gets: fixed identity and dates, no outside configuration.
    pub fn env(&self, c: &mut Command) {
        c.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ada Approver")
            .env("GIT_AUTHOR_EMAIL", "ada@ca.example")
            .env("GIT_COMMITTER_NAME", "Ada Approver")
            .env("GIT_COMMITTER_EMAIL", "ada@ca.example")
            .env("GIT_AUTHOR_DATE", "2020-09-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2020-09-01T12:00:00Z")
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE");
    }

    /// Runs git in the workspace.
    pub fn git(&self, args: &[&str]) -> Run {
        let mut c = Command::new("git");
        c.args(args).current_dir(&self.root).stdin(Stdio::null());
        self.env(&mut c);
        Run::from(c.output().expect("git runs"))
    }

    #[track_caller]
    pub fn git_ok(&self, args: &[&str]) -> Run {
        let r = self.git(args);
        assert_eq!(r.code, 0, "git {args:?} failed:\n{}{}", r.stdout, r.stderr);
        r
    }

    /// `git add -A && git commit -m msg`.
    pub fn commit_all(&self, msg: &str) -> &Self {
        self.git_ok(&["add", "-A"]);
        self.git_ok(&[
            "-c",
            "user.name=Ada Approver",
            "-c",
            "user.email=ada@ca.example",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            msg,
        ]);
        self
    }

    /// Runs vigil in the workspace.
    pub fn vigil(&self, args: &[&str]) -> Run {
        self.vigil_in(&self.root, args)
    }

    /// Runs vigil in a given folder.
    pub fn vigil_in(&self, cwd: &Path, args: &[impl AsRef<OsStr>]) -> Run {
        let mut c = Command::new(vigil_bin());
        c.args(args).current_dir(cwd).stdin(Stdio::null());
        self.env(&mut c);
        Run::from(c.output().expect("vigil runs"))
    }

    /// Replaces the sandbox path and run-dependent values so output can be snapshot.
    pub fn redact(&self, text: &str) -> String {
        let re_time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
        let out = text
            .replace(&self.root.display().to_string(), "[WS]")
            .replace(&self.dir.path().display().to_string(), "[SANDBOX]");
        re_time.replace_all(&out, "[TIME]").into_owned()
    }
}

impl Run {
    /// stdout and stderr together (git sends hook output to stderr, and `remote:` lines too).
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Sandbox {
    /// `git commit -q -m msg ARGS...` with hooks enabled (unlike [`Sandbox::commit_all`]).
    pub fn commit(&self, msg: &str, args: &[&str]) -> Run {
        let mut a = vec!["commit", "-q", "-m", msg];
        a.extend_from_slice(args);
        self.git(&a)
    }

    /// A bare repository beside the workspace, registered as remote `origin`; returns its path.
    pub fn bare_origin(&self) -> PathBuf {
        let bare = self.outside().join("origin.git");
        let mut c = Command::new("git");
        c.args(["init", "-q", "--bare", "-b", "main"])
            .arg(&bare)
            .stdin(Stdio::null());
        self.env(&mut c);
        assert!(c.status().unwrap().success());
        self.git_ok(&["remote", "add", "origin", bare.to_str().unwrap()]);
        bare
    }

    /// Runs git in another folder (such as a bare repository).
    pub fn git_in(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut c = Command::new("git");
        c.args(args).current_dir(cwd).stdin(Stdio::null());
        self.env(&mut c);
        Run::from(c.output().expect("git runs"))
    }
}

impl Sandbox {
    pub fn chmod_abs(&self, p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }
}
