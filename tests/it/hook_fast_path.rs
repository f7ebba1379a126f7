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
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=openat", "-o"])
        .arg(&log)
        .arg(vigil_bin())
        .args(["check", "--staged"])
        .current_dir(&s.root);
    s.env(&mut c);
    let out = c
        .output()
        .expect("strace runs (apt-get install strace; scripts/test installs it)");
    let opened = std::fs::read_to_string(&log).expect("strace wrote its log");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
        opened,
    )
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
