//! Test support: a sandbox folder holding a real git repository (or none), built a few lines at a time,
//! and a runner for the real `vigil` binary.
//!
//! Every git command runs with a fixed identity, fixed dates and no user or system configuration, so
//! commit ids are the same on every machine and snapshots can show them.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
            // Approvals are made on a fixed day, so that `--as-of` a fixed day judges them the same
            // whatever day the suite runs.
            .env("VIGIL_APPROVED_AT", APPROVED_AT)
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
        run_bounded(c)
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

/// The time every approval and signature made in a sandbox records (see `VIGIL_APPROVED_AT`).
pub const APPROVED_AT: &str = "2026-11-29T12:00:00Z";

/// How long one vigil run may take before the test says it hangs.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs a command to completion, failing the test instead of hanging when it takes longer than
/// [`TIMEOUT`] (vigil must never block, on a FIFO or anything else).
pub fn run_bounded(mut c: Command) -> Run {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{c:?} did not finish within {TIMEOUT:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run::from(Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    })
}

/// Renders one JSON `via` chain as the human report does: `declared `a` → a:1 (openssl-include)`.
pub fn chain(via: &serde_json::Value) -> String {
    via.as_array()
        .expect("via is an array")
        .iter()
        .map(|s| match s["kind"].as_str().unwrap() {
            "declared" => format!("declared `{}`", s["pattern"].as_str().unwrap()),
            "reference" => format!(
                "{}:{} ({})",
                s["from"].as_str().unwrap(),
                s["line"],
                s["by"].as_str().unwrap()
            ),
            "symlink" => format!("symlink {}", s["link"].as_str().unwrap()),
            other => panic!("unknown step kind {other}"),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

impl Run {
    /// Every finding of a JSON report as `severity code path` plus ` via CHAIN` when it has one, sorted.
    pub fn findings(&self) -> Vec<String> {
        let mut v: Vec<String> = self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let mut line = format!(
                    "{} {} {}",
                    f["severity"].as_str().unwrap(),
                    f["code"].as_str().unwrap(),
                    f["path"].as_str().unwrap()
                );
                let via = chain(&f["via"]);
                if !via.is_empty() {
                    line.push_str(" via ");
                    line.push_str(&via);
                }
                line
            })
            .collect();
        v.sort();
        v
    }

    /// The findings (as [`Run::findings`] lines) whose code is `code`.
    pub fn findings_of(&self, code: &str) -> Vec<String> {
        self.findings()
            .into_iter()
            .filter(|l| l.split(' ').nth(1) == Some(code))
            .collect()
    }

    /// The message of the one finding with this code and path.
    #[track_caller]
    pub fn message(&self, code: &str, path: &str) -> String {
        let j = self.json();
        let hits: Vec<&serde_json::Value> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code && f["path"] == path)
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "one `{code} {path}` finding in {:#?}",
            self.findings()
        );
        hits[0]["message"].as_str().unwrap().to_string()
    }

    /// The components of a JSON inventory or report, as `profile path [kind] via CHAIN` lines.
    pub fn components(&self) -> Vec<String> {
        let j = self.json();
        let mut v = Vec::new();
        for p in j["profiles"].as_array().expect("profiles") {
            for c in p["components"].as_array().unwrap() {
                v.push(format!(
                    "{} {} [{}] via {}",
                    p["name"].as_str().unwrap(),
                    c["path"].as_str().unwrap(),
                    c["kind"].as_str().unwrap(),
                    chain(&c["via"])
                ));
            }
        }
        v
    }
}

impl Run {
    /// stdout and stderr together (git sends hook output to stderr, and `remote:` lines too).
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Sandbox {
    /// Writes `vigil.toml`.
    pub fn config(&self, toml: &str) -> &Self {
        self.file("vigil.toml", toml)
    }

    /// `vigil check --format json` (any exit code).
    pub fn check_json(&self) -> Run {
        self.vigil(&["check", "--format", "json"])
    }

    /// Makes a FIFO (with mkfifo(1): the tests forbid `unsafe` too).
    pub fn fifo(&self, rel: &str) -> &Self {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        let st = Command::new("mkfifo")
            .arg(&p)
            .status()
            .expect("mkfifo runs");
        assert!(st.success(), "mkfifo {}", p.display());
        self
    }

    /// Makes a Unix socket file (bound, then closed: the file stays).
    pub fn socket(&self, rel: &str) -> &Self {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        drop(std::os::unix::net::UnixListener::bind(&p).expect("bind a socket"));
        self
    }

    /// A sparse file of `len` bytes (zeros), made without writing them.
    pub fn sparse(&self, rel: &str, len: u64) -> &Self {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::File::create(&p).unwrap().set_len(len).unwrap();
        self
    }

    /// True when the tests run as root, which reads any file whatever its mode.
    pub fn is_root() -> bool {
        let out = Command::new("id").arg("-u").output().expect("id runs");
        String::from_utf8_lossy(&out.stdout).trim() == "0"
    }

    /// Runs vigil as a user to whom permissions apply: as root, through
    /// `setpriv --reuid=65534 --regid=65534 --clear-groups` (the sandbox is opened up to that user and
    /// git is told to trust a repository it does not own); otherwise as the current user.
    pub fn vigil_unprivileged(&self, args: &[&str]) -> Run {
        if !Sandbox::is_root() {
            return self.vigil(args);
        }
        fs::set_permissions(self.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let cfg = self.home.join(".gitconfig");
        let mut text = fs::read_to_string(&cfg).unwrap();
        if !text.contains("[safe]") {
            text.push_str("[safe]\n\tdirectory = *\n");
            fs::write(&cfg, text).unwrap();
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(vigil_bin())
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null());
        self.env(&mut c);
        run_bounded(c)
    }

    /// Runs vigil under `/usr/bin/time -f %M` and returns the run and its peak resident set in KiB.
    pub fn vigil_peak_rss(&self, args: &[&str]) -> (Run, u64) {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "peak-rss-kib=%M"])
            .arg(vigil_bin())
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null());
        self.env(&mut c);
        let mut r = run_bounded(c);
        let line = r
            .stderr
            .lines()
            .rfind(|l| l.starts_with("peak-rss-kib="))
            .unwrap_or_else(|| panic!("no peak RSS from /usr/bin/time:\n{}", r.stderr))
            .to_string();
        let kib = line["peak-rss-kib=".len()..].parse().unwrap();
        r.stderr = r.stderr.replace(&format!("{line}\n"), "");
        (r, kib)
    }

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
    /// Sets a manifest's `approved-at` to the sandbox's fixed commit date, so that committing it gives
    /// the same commit id on every run (snapshots show commit ids).
    pub fn pin_approval_time(&self, rel: &str) -> &Self {
        let re = regex::Regex::new(r#"(?m)^approved-at = ".*"$"#).unwrap();
        let text = self.read(rel);
        assert!(re.is_match(&text), "no approved-at in {rel}:\n{text}");
        let pinned = re.replace(&text, r#"approved-at = "2020-09-01T12:00:00Z""#);
        self.file(rel, &pinned)
    }

    pub fn chmod_abs(&self, p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// The CA fixture the behaviour tests share: profile `server`, whose `profiles/server.cnf` includes
/// `validity/398.cnf` through OpenSSL `.include`. Each test file varies it a little (a description,
/// the profile file's text, an unrelated file) through this one builder.
#[must_use = "a fixture does nothing until `.write(sandbox)`"]
pub struct Ca {
    description: Option<&'static str>,
    server_cnf: &'static str,
    extra: Vec<(&'static str, &'static str)>,
}

impl Ca {
    /// The chain by which `server` reaches the validity component.
    pub const INCLUDED: &'static str =
        "via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)";
    pub const VALIDITY: &'static str = "default_days = 397\n";

    pub fn new() -> Ca {
        Ca {
            description: None,
            server_cnf: ".include validity/398.cnf\n[ext]\nkeyUsage = digitalSignature\n",
            extra: Vec::new(),
        }
    }

    /// The profile's `description`.
    pub fn described(mut self, description: &'static str) -> Ca {
        self.description = Some(description);
        self
    }

    /// The text of `profiles/server.cnf`.
    pub fn server_cnf(mut self, text: &'static str) -> Ca {
        self.server_cnf = text;
        self
    }

    /// One more file in the workspace.
    pub fn with(mut self, rel: &'static str, content: &'static str) -> Ca {
        self.extra.push((rel, content));
        self
    }

    /// The `vigil.toml` text.
    pub fn config(&self) -> String {
        let description = self
            .description
            .map(|d| format!("description = \"{d}\"\n"))
            .unwrap_or_default();
        format!(
            "\n[profiles.server]\n{description}components = [\"profiles/server.cnf\"]\nfollow = [\"openssl-include\"]\n"
        )
    }

    /// Writes the fixture into the sandbox (nothing is committed or approved).
    pub fn write(self, s: &Sandbox) -> &Sandbox {
        s.config(&self.config())
            .file("profiles/server.cnf", self.server_cnf)
            .file("validity/398.cnf", Ca::VALIDITY);
        for (rel, content) in &self.extra {
            s.file(rel, content);
        }
        s
    }
}

impl Default for Ca {
    fn default() -> Ca {
        Ca::new()
    }
}

/// What one `vigil check --format json` must report: the table-driven finding tests build one per
/// case, fluently, and `run` checks every expectation.
#[must_use = "an expectation checks nothing until `.run()`"]
pub struct Expect<'a> {
    sandbox: &'a Sandbox,
    code: i32,
    unprivileged: bool,
    checks: Vec<Assertion<'a>>,
}

/// One assertion on a run, given the sandbox it ran in.
type Assertion<'a> = Box<dyn Fn(&Run, &Sandbox) + 'a>;

impl Sandbox {
    /// Expects `vigil check --format json` to exit with `code`; add what it must report, then `.run()`.
    pub fn expect_check(&self, code: i32) -> Expect<'_> {
        Expect {
            sandbox: self,
            code,
            unprivileged: false,
            checks: Vec::new(),
        }
    }
}

impl<'a> Expect<'a> {
    fn check(mut self, f: impl Fn(&Run, &Sandbox) + 'a) -> Self {
        self.checks.push(Box::new(f));
        self
    }

    /// Runs vigil as a user to whom file permissions apply (see [`Sandbox::vigil_unprivileged`]).
    pub fn unprivileged(mut self) -> Self {
        self.unprivileged = true;
        self
    }

    /// Exactly these findings, as [`Run::findings`] lines.
    pub fn findings<S: AsRef<str>>(self, want: impl IntoIterator<Item = S>) -> Self {
        let want: Vec<String> = want.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.check(move |r, _| assert_eq!(r.findings(), want))
    }

    /// Exactly these findings of `code`.
    pub fn findings_of<S: AsRef<str>>(
        self,
        code: &'static str,
        want: impl IntoIterator<Item = S>,
    ) -> Self {
        let want: Vec<String> = want.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.check(move |r, _| assert_eq!(r.findings_of(code), want, "{code}"))
    }

    /// No finding of `code`.
    pub fn none_of(self, code: &'static str) -> Self {
        self.findings_of(code, Vec::<String>::new())
    }

    /// The message of the `code` finding at `path` contains `needle`.
    pub fn message_has(self, code: &'static str, path: &'static str, needle: &'static str) -> Self {
        self.check(move |r, _| {
            let msg = r.message(code, path);
            assert!(msg.contains(needle), "{msg}");
        })
    }

    /// The message of the `code` finding at `path` does not contain `needle`.
    pub fn message_lacks(
        self,
        code: &'static str,
        path: &'static str,
        needle: &'static str,
    ) -> Self {
        self.check(move |r, _| {
            let msg = r.message(code, path);
            assert!(!msg.contains(needle), "{msg}");
        })
    }

    /// Any further assertion on the run.
    pub fn and(self, f: impl Fn(&Run, &Sandbox) + 'a) -> Self {
        self.check(f)
    }

    /// Runs the check and every expectation; returns the run for what follows.
    #[track_caller]
    pub fn run(self) -> Run {
        let args = ["check", "--format", "json"];
        let r = if self.unprivileged {
            self.sandbox.vigil_unprivileged(&args)
        } else {
            self.sandbox.vigil(&args)
        }
        .expect(self.code);
        for c in &self.checks {
            c(&r, self.sandbox);
        }
        r
    }
}
