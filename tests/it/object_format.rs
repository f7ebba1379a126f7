//! Repositories that libgit2 cannot open: git's SHA-256 object format gets an error that says so
//! (exit 2), from every command that opens the repository and from the server hook.

use crate::support::{vigil_bin, Sandbox};

const SAYS: &str = "uses the SHA-256 object format (`git init --object-format=sha256`";

fn sha256_repo() -> Sandbox {
    let s = Sandbox::plain();
    s.git_ok(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"server.cnf\"]\n",
    )
    .file("server.cnf", "default_days = 397\n");
    s.git_ok(&["add", "-A"]);
    s.git_ok(&["commit", "-q", "-m", "first"]);
    s
}

#[test]
fn sha256_repository_is_an_error_that_names_the_object_format() {
    let s = sha256_repo();
    for args in [
        &["check"][..],
        &["check", "--staged"],
        &["check", "--rev", "HEAD"],
        &["approve", "server"],
        &["gate", "server"],
        &["diff", "server"],
        &["log", "server"],
        &["hook", "install"],
    ] {
        let r = s.vigil(args).expect(2);
        assert!(r.stderr.contains(SAYS), "vigil {args:?}:\n{}", r.stderr);
        assert!(!r.stderr.contains("unknown object format"), "{}", r.stderr);
    }
    // The same repository in git's default format is read.
    let sha1 = Sandbox::git_repo();
    sha1.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"server.cnf\"]\n",
    )
    .file("server.cnf", "default_days = 397\n");
    sha1.git_ok(&["add", "-A"]);
    sha1.git_ok(&["commit", "-q", "-m", "first"]);
    sha1.vigil(&["approve", "server"]).expect(0);
}

#[test]
fn sha256_bare_repository_rejects_a_push_with_the_reason() {
    let s = sha256_repo();
    let bare = s.outside().join("origin.git");
    let made = s.git(&[
        "init",
        "-q",
        "--bare",
        "--object-format=sha256",
        bare.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let hook = bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nexec '{}' pre-receive\n", vigil_bin().display()),
    )
    .unwrap();
    s.chmod_abs(&hook, 0o755);
    let r = s.git(&["push", "-q", bare.to_str().unwrap(), "main"]);
    assert_ne!(r.code, 0, "the push was accepted:\n{}", r.stderr);
    assert!(r.stderr.contains(SAYS), "{}", r.stderr);
}
