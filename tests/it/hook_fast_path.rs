//! The pre-commit hook's fast path: a commit that only modifies files away from every profile is
//! accepted from the staged changes, without reading a component; anything a profile can depend on
//! (an included file, vigil.toml) is still checked in full.

use crate::support::{vigil_bin, Ca, Sandbox};
use std::process::Command;

/// An approved, committed CA profile: a declared file that includes another, and an unrelated
/// README at the top.
fn approved() -> Sandbox {
    let s = Sandbox::git_repo();
    Ca::new()
        .server_cnf(".include validity/398.cnf\n[ext]\n")
        .with("README", "unrelated\n")
        .write(&s);
    s.commit_all("profile");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approval");
    s
}

/// `vigil check --staged` (what the installed hook runs) under strace: its output, and every file it
/// opened.
fn staged_check_opening(s: &Sandbox) -> (String, i32, String) {
    let log = s.outside().join("openat.log");
    let out = strace_staged_check(s, &["-f", "-e", "trace=openat"], &log);
    let opened = std::fs::read_to_string(&log).expect("strace wrote its log");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
        opened,
    )
}

/// `vigil check --staged` (what the installed hook runs) under `strace ARGS -o LOG`.
fn strace_staged_check(s: &Sandbox, args: &[&str], log: &std::path::Path) -> std::process::Output {
    let mut c = Command::new("strace");
    c.arg("-qq")
        .args(args)
        .arg("-o")
        .arg(log)
        .arg(vigil_bin())
        .args(["check", "--staged"])
        .current_dir(&s.root);
    s.env(&mut c);
    c.output()
        .expect("strace runs (apt-get install strace; scripts/test installs it)")
}

/// The loose object file of the staged blob at `path` (the repository is never packed here).
fn object_file(s: &Sandbox, path: &str) -> String {
    let id = s.git_ok(&["rev-parse", &format!(":{path}")]).stdout;
    let id = id.trim();
    format!("objects/{}/{}", &id[..2], &id[2..])
}

#[test]
fn an_unrelated_modification_is_accepted_without_reading_any_component() {
    let s = approved();
    s.file("README", "still unrelated\n");
    s.git_ok(&["add", "README"]);
    let (stdout, code, opened) = staged_check_opening(&s);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("nothing to check"), "{stdout}");
    // The included component is what the inventory of the index would read first: it is not read.
    let included = object_file(&s, "validity/398.cnf");
    assert!(
        !opened.contains(&included),
        "the included component was read:\n{opened}"
    );
    let declared = object_file(&s, "profiles/server.cnf");
    assert!(!opened.contains(&declared), "{opened}");
}

#[test]
fn a_changed_included_file_is_checked_the_2020_shape() {
    let s = approved();
    s.file("validity/398.cnf", "default_days = 825\n");
    s.git_ok(&["add", "validity/398.cnf"]);
    let r = s.vigil(&["check", "--staged"]).expect(1);
    assert!(r.stdout.contains("stale"), "{}", r.stdout);
    assert!(r.stdout.contains("validity/398.cnf"), "{}", r.stdout);
}

#[test]
fn a_modified_file_beside_an_included_one_is_not_taken_for_unrelated() {
    let s = approved();
    s.file("validity/notes.txt", "v1\n");
    s.commit_all("notes");
    s.file("validity/notes.txt", "v2\n");
    s.git_ok(&["add", "validity/notes.txt"]);
    let (stdout, code, opened) = staged_check_opening(&s);
    assert_eq!(code, 0, "{stdout}");
    // Beside a component: the fast path is unsure, so the inventory of the index decides (it reads
    // the declared file to follow its include).
    let declared = object_file(&s, "profiles/server.cnf");
    assert!(opened.contains(&declared), "{opened}");
}

#[test]
fn a_vigil_toml_change_is_checked() {
    let s = approved();
    let toml = s.read("vigil.toml");
    s.file(
        "vigil.toml",
        &toml.replace(
            "components = [\"profiles/server.cnf\"]",
            "components = [\"profiles/server.cnf\", \"README\"]",
        ),
    );
    assert_ne!(
        s.read("vigil.toml"),
        toml,
        "the fixture declares the profile as expected"
    );
    s.git_ok(&["add", "vigil.toml"]);
    let r = s.vigil(&["check", "--staged"]).expect(1);
    assert!(r.stdout.contains("unapproved"), "{}", r.stdout);
    assert!(r.stdout.contains("README"), "{}", r.stdout);
}

/// `vigil check --staged` under `strace -ff`: the index files opened by vigil's own threads (not by
/// the git it runs), and its output.
fn index_opened_by_vigil(s: &Sandbox) -> (String, Vec<String>) {
    let logs = s.outside().join("trace");
    std::fs::create_dir_all(&logs).unwrap();
    let out = strace_staged_check(s, &["-ff", "-e", "trace=openat,execve"], &logs.join("t"));
    let mut ours = Vec::new();
    let mut git_ran = false;
    for log in std::fs::read_dir(&logs).unwrap() {
        let text = std::fs::read_to_string(log.unwrap().path()).unwrap();
        // A process that execs git is git's, once it has: what it opens is git's own reading.
        if text.contains("execve(\"/usr/bin/git\"") || text.contains("/git\", [\"git\"") {
            git_ran = true;
            continue;
        }
        ours.extend(
            text.lines()
                .filter(|l| l.contains(".git/index"))
                .map(str::to_string),
        );
    }
    assert!(git_ran, "vigil asked git for the staged changes");
    (String::from_utf8_lossy(&out.stdout).into_owned(), ours)
}

#[test]
fn an_unrelated_modification_is_accepted_without_loading_the_index() {
    let s = approved();
    s.file("README", "still unrelated\n");
    s.git_ok(&["add", "README"]);
    let (stdout, opened) = index_opened_by_vigil(&s);
    assert!(stdout.contains("nothing to check"), "{stdout}");
    // git read the index (its own cache-tree answers which folders changed); vigil did not.
    assert!(opened.is_empty(), "vigil opened the index: {opened:?}");
    // With a change the rule cannot clear, vigil reads the index itself.
    s.file("validity/398.cnf", "default_days = 825\n");
    s.git_ok(&["add", "validity/398.cnf"]);
    let (stdout, opened) = index_opened_by_vigil(&s);
    assert!(stdout.contains("stale"), "{stdout}");
    assert!(!opened.is_empty(), "the full check reads the index");
}

#[test]
fn without_git_on_path_the_hook_decides_the_same() {
    let s = approved();
    let no_git = s.outside().join("empty-path");
    std::fs::create_dir_all(&no_git).unwrap();
    let run = |s: &Sandbox| {
        let mut c = Command::new(vigil_bin());
        c.args(["check", "--staged"]).current_dir(&s.root);
        s.env(&mut c);
        c.env("PATH", &no_git);
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    s.file("README", "still unrelated\n");
    s.git_ok(&["add", "README"]);
    let (code, stdout) = run(&s);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("nothing to check"), "{stdout}");
    s.file("validity/398.cnf", "default_days = 825\n");
    s.git_ok(&["add", "validity/398.cnf"]);
    let (code, stdout) = run(&s);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("stale"), "{stdout}");
}

#[test]
fn an_in_place_edit_outside_a_subfolder_workspace_is_not_its_change() {
    // The workspace is `ca/`; a change of `ca/validity/398.cnf` is the profile's, one of
    // `validity/398.cnf` at the top (another folder of the same name) is not.
    let s = Sandbox::git_repo();
    let ws = s.root.join("ca");
    std::fs::create_dir_all(ws.join("profiles")).unwrap();
    std::fs::create_dir_all(ws.join("validity")).unwrap();
    std::fs::create_dir_all(s.root.join("validity")).unwrap();
    std::fs::write(
        ws.join("vigil.toml"),
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\nfollow = [\"openssl-include\"]\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("profiles/server.cnf"),
        ".include validity/398.cnf\n",
    )
    .unwrap();
    std::fs::write(ws.join("validity/398.cnf"), "default_days = 398\n").unwrap();
    s.file("validity/398.cnf", "not the CA's\n");
    s.commit_all("profile");
    s.vigil_in(&ws, &["approve", "server"]).expect(0);
    s.commit_all("approval");
    s.file("validity/398.cnf", "still not the CA's\n");
    s.git_ok(&["add", "validity/398.cnf"]);
    let r = s.vigil_in(&ws, &["check", "--staged"]).expect(0);
    assert!(r.stdout.contains("nothing to check"), "{}", r.stdout);
    std::fs::write(ws.join("validity/398.cnf"), "default_days = 825\n").unwrap();
    s.git_ok(&["add", "ca/validity/398.cnf"]);
    let r = s.vigil_in(&ws, &["check", "--staged"]).expect(1);
    assert!(r.stdout.contains("stale"), "{}", r.stdout);
}
