//! The git hooks, installed by `vigil hook install` and run by real `git commit` and `git push`.

use crate::support::{Ca, Sandbox};
use std::fs;

/// A CA profile: a declared file that includes another through OpenSSL `.include`.
fn ca(s: &Sandbox) {
    Ca::new()
        .server_cnf(".include validity/398.cnf\n[ext]\n")
        .with("README", "unrelated\n")
        .write(s);
}

/// A repository with the pre-commit hook installed and an approved first commit made through it.
fn approved_repo() -> Sandbox {
    let s = Sandbox::git_repo();
    s.vigil(&["hook", "install"]).expect(0);
    ca(&s);
    s.git_ok(&["add", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("first", &[]).expect(0);
    s
}

fn head(s: &Sandbox) -> String {
    s.git_ok(&["rev-parse", "HEAD"]).stdout.trim().to_string()
}

#[test]
fn first_commit_is_rejected_without_approval_and_accepted_with_it() {
    let s = Sandbox::git_repo();
    s.vigil(&["hook", "install"]).expect(0);
    ca(&s);
    s.git_ok(&["add", "-A"]);
    let r = s.commit("first", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());
    assert!(s.git(&["rev-parse", "-q", "--verify", "HEAD"]).code != 0);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "approved"]);
    s.commit("first", &[]).expect(0);
}

#[test]
fn plain_commit_rejects_a_stale_component_until_approved_in_the_same_commit() {
    let s = approved_repo();
    s.file("validity/398.cnf", "default_days = 825\n");
    s.git_ok(&["add", "validity"]);
    let r = s.commit("longer validity", &[]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
    assert!(r.all().contains("validity/398.cnf"), "{}", r.all());
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "approved"]);
    s.commit("longer validity, approved", &[]).expect(0);
}

#[test]
fn staged_profile_referencing_an_unstaged_file_is_untracked() {
    let s = approved_repo();
    s.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include extensions/vpn.cnf\n[ext]\n",
    )
    .file("extensions/vpn.cnf", "extendedKeyUsage = serverAuth\n");
    s.git_ok(&["add", "profiles/server.cnf"]);
    let r = s.commit("vpn", &[]).expect(1);
    assert!(r.all().contains("untracked"), "{}", r.all());
    assert!(r.all().contains("extensions/vpn.cnf"), "{}", r.all());
}

#[test]
fn commit_all_sees_unstaged_edits_of_tracked_files() {
    let s = approved_repo();
    s.file("validity/398.cnf", "default_days = 825\n");
    // Nothing is staged, so a plain commit would record nothing; -a records the edit.
    let r = s.commit("edit", &["-a"]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
    s.vigil(&["approve", "server"]).expect(0);
    s.commit("edit, approved", &["-a"]).expect(0);
}

#[test]
fn partial_commit_checks_only_what_it_records() {
    let s = approved_repo();
    // A stale component staged in the real index does not concern a commit of README alone.
    s.file("validity/398.cnf", "default_days = 825\n")
        .file("README", "changed\n");
    s.git_ok(&["add", "validity"]);
    let r = s.commit("readme only", &["README"]).expect(0);
    assert!(r.all().contains("nothing to check"), "{}", r.all());
    // Committing the component alone leaves its approval out: stale.
    s.vigil(&["approve", "server"]).expect(0);
    let r = s.commit("component only", &["validity/398.cnf"]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
    // Together with the manifest it is self-consistent.
    s.commit(
        "component and approval",
        &["validity/398.cnf", "approved/server.toml"],
    )
    .expect(0);
}

#[test]
fn include_commit_adds_paths_to_what_is_staged() {
    let s = approved_repo();
    s.file("validity/398.cnf", "default_days = 825\n");
    s.vigil(&["approve", "server"]).expect(0);
    // The approval is staged; -i adds the component to it.
    s.git_ok(&["add", "approved"]);
    s.commit("with -i", &["-i", "validity/398.cnf"]).expect(0);
    // And the other way round: -i of an unapproved edit, with nothing else staged, is rejected.
    s.file("validity/398.cnf", "default_days = 3650\n");
    let r = s.commit("with -i", &["-i", "validity/398.cnf"]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
}

#[test]
fn unrelated_commit_is_fast_even_when_the_work_tree_is_broken() {
    let s = approved_repo();
    s.file("validity/398.cnf", "default_days = 825\n")
        .file("docs/notes.txt", "notes\n");
    s.git_ok(&["add", "docs"]);
    let r = s.commit("docs", &[]).expect(0);
    assert!(r.all().contains("nothing to check"), "{}", r.all());
    // A new file in a folder a profile lists is not unrelated.
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/\"]\nfollow = [\"openssl-include\"]\n",
    );
    s.file("validity/398.cnf", "default_days = 397\n");
    s.git_ok(&["add", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("declare the folder", &[]).expect(0);
    s.file("profiles/client.cnf", "[client]\n");
    s.git_ok(&["add", "profiles"]);
    let r = s.commit("new profile file", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());
}

#[test]
fn check_rev_reads_config_and_manifest_from_the_commit() {
    let s = approved_repo();
    let good = head(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    let r = s
        .vigil(&["check", "--rev", "HEAD", "--format", "json"])
        .expect(1);
    assert_eq!(r.finding_codes(), ["stale validity/398.cnf"]);
    // The working tree is irrelevant to --rev: the old commit is still clean.
    s.vigil(&["check", "--rev", &good]).expect(0);
    s.vigil(&["check", "--staged", "--format", "json"])
        .expect(1);
}

// --- pre-receive ---------------------------------------------------------------------------------

/// An approved repository with a bare `origin` that runs the installed pre-receive hook.
fn with_server() -> (Sandbox, std::path::PathBuf) {
    let s = approved_repo();
    let bare = s.bare_origin();
    let r = s.vigil_in(&bare, &["hook", "install"]).expect(0);
    assert!(r.stdout.contains("pre-receive"), "{}", r.stdout);
    (s, bare)
}

fn remote_head(s: &Sandbox, bare: &std::path::Path, r: &str) -> Option<String> {
    let out = s.git_in(bare, &["rev-parse", "-q", "--verify", r]);
    (out.code == 0).then(|| out.stdout.trim().to_string())
}

#[test]
fn push_of_a_passing_tip_is_accepted_and_a_failing_one_rejected() {
    let (s, bare) = with_server();
    let r = s.git(&["push", "-q", "origin", "main"]).expect(0);
    assert!(
        r.all()
            .contains(&format!("refs/heads/main {}: ok", &head(&s)[..12])),
        "{}",
        r.all()
    );
    assert_eq!(remote_head(&s, &bare, "main"), Some(head(&s)));

    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    let out = r.all();
    let tip = head(&s);
    for want in [
        "refs/heads/main",
        &tip[..12],
        "rejected",
        "profile server",
        "stale validity/398.cnf",
    ] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    assert_ne!(remote_head(&s, &bare, "main"), Some(tip));
}

#[test]
fn tip_only_accepts_a_history_fixed_before_the_push() {
    let (s, bare) = with_server();
    s.git_ok(&["push", "-q", "origin", "main"]);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("edit");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    s.git(&["push", "-q", "origin", "main"]).expect(0);
    assert_eq!(remote_head(&s, &bare, "main"), Some(head(&s)));
}

#[test]
fn every_commit_rejects_a_failing_intermediate_commit() {
    let (s, bare) = with_server();
    s.git_ok(&["push", "-q", "origin", "main"]);
    fs::write(
        bare.join("hooks/pre-receive"),
        crate::support::vigil_bin().display().to_string() + " pre-receive --every-commit\n",
    )
    .unwrap();
    let hook = bare.join("hooks/pre-receive");
    s.chmod_abs(&hook, 0o755);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("edit");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("stale validity/398.cnf"), "{}", r.all());
}

#[test]
fn new_branch_and_deletion() {
    let (s, bare) = with_server();
    s.git_ok(&["push", "-q", "origin", "main"]);
    // A new branch: the old id is all zeros; its tip is checked.
    s.git_ok(&["checkout", "-q", "-b", "feature"]);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    let r = s.git(&["push", "origin", "feature"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("refs/heads/feature"), "{}", r.all());
    assert_eq!(remote_head(&s, &bare, "feature"), None);
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    s.git(&["push", "-q", "origin", "feature"]).expect(0);
    assert_eq!(remote_head(&s, &bare, "feature"), Some(head(&s)));
    // Deleting it is never checked.
    let r = s.git(&["push", "origin", "--delete", "feature"]).expect(0);
    assert!(r.all().contains("deleted"), "{}", r.all());
    assert_eq!(remote_head(&s, &bare, "feature"), None);
}

#[test]
fn push_that_removes_vigil_toml_is_rejected() {
    let (s, _bare) = with_server();
    s.git_ok(&["push", "-q", "origin", "main"]);
    s.remove("vigil.toml");
    s.commit_all("switch the control off");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("removes vigil.toml"), "{}", r.all());
}

// --- install -------------------------------------------------------------------------------------

#[test]
fn install_is_idempotent_and_never_overwrites_a_foreign_hook() {
    let s = Sandbox::git_repo();
    let hook = s.path(".git/hooks/pre-commit");
    let r = s.vigil(&["hook", "install", "--pre-commit"]).expect(0);
    assert!(r.stdout.starts_with("installed"), "{}", r.stdout);
    let first = fs::read_to_string(&hook).unwrap();
    assert!(first.contains(&crate::support::vigil_bin().display().to_string()));
    let r = s.vigil(&["hook", "install", "--pre-commit"]).expect(0);
    assert!(r.stdout.contains("up to date"), "{}", r.stdout);
    assert_eq!(fs::read_to_string(&hook).unwrap(), first);

    fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let r = s.vigil(&["hook", "install", "--pre-commit"]).expect(2);
    assert!(r.stderr.contains("not written by vigil"), "{}", r.stderr);
    assert_eq!(fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho mine\n");
    s.vigil(&["hook", "install", "--pre-commit", "--force"])
        .expect(0);
    assert_eq!(fs::read_to_string(&hook).unwrap(), first);
    assert_eq!(
        fs::read_to_string(s.path(".git/hooks/pre-commit.before-vigil")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn install_honours_core_hooks_path() {
    let s = Sandbox::git_repo();
    s.git_ok(&["config", "core.hooksPath", "githooks"]);
    s.vigil(&["hook", "install"]).expect(0);
    assert!(s.path("githooks/pre-commit").is_file());
    assert!(!s.path(".git/hooks/pre-commit").exists());
    // And git runs it from there.
    ca(&s);
    s.git_ok(&["add", "-A"]);
    let r = s.commit("first", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());
}

// --- the pre-commit framework --------------------------------------------------------------------

/// The commit of this checkout, which the pre-commit framework installs hooks from.
fn this_checkout_rev() -> (&'static str, String) {
    use std::process::Command;
    let have = Command::new("pre-commit").arg("--version").output();
    assert!(
        have.is_ok_and(|o| o.status.success()),
        "`pre-commit` is not installed: run `python3 -m pip install pre-commit` (scripts/test does)"
    );
    let src = env!("CARGO_MANIFEST_DIR");
    let rev = Command::new("git")
        .args(["-C", src, "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let Some(rev) = rev else {
        panic!("{src} is not a git checkout: the pre-commit framework installs hooks from a git repository; run the tests in a clone");
    };
    (src, rev)
}

/// Runs `pre-commit install` and then two `git commit`s through the framework's hook `id` of this
/// checkout: the first, of an unapproved profile, must be rejected; the second, after
/// `vigil approve`, accepted. `setup` adjusts the environment of the framework's commands.
fn commit_through_the_framework(id: &str, setup: impl Fn(&mut std::process::Command)) {
    use std::process::Command;
    let (src, rev) = this_checkout_rev();
    let s = Sandbox::git_repo();
    ca(&s);
    s.file(
        ".pre-commit-config.yaml",
        &format!("repos:\n- repo: {src}\n  rev: {rev}\n  hooks:\n  - id: {id}\n"),
    );
    let real_home = std::env::var("HOME").unwrap_or_default();
    let run = |args: &[&str]| {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]).current_dir(&s.root);
        s.env(&mut c);
        c.env("PRE_COMMIT_HOME", s.outside().join("pre-commit-home"));
        // pyenv's shims find their interpreters through PYENV_ROOT, by default below the real HOME.
        let pyenv = std::env::var("PYENV_ROOT").unwrap_or(format!("{real_home}/.pyenv"));
        if std::path::Path::new(&pyenv).is_dir() {
            c.env("PYENV_ROOT", pyenv);
        }
        setup(&mut c);
        let o = c.output().expect("runs");
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    let (code, out) = run(&["pre-commit", "install"]);
    assert_eq!(code, 0, "{out}");
    s.git_ok(&["add", "-A"]);
    let (code, out) = run(&["git", "commit", "-q", "-m", "first"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("unapproved"), "{out}");
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    let (code, out) = run(&["git", "commit", "-q", "-m", "first"]);
    assert_eq!(code, 0, "{out}");
}

/// `.pre-commit-hooks.yaml` used by the pre-commit framework (https://pre-commit.com) for a real
/// `git commit`. The framework builds vigil with `cargo install` (`language: rust`), a release build of
/// a few minutes the first time (6 minutes on two cores); builds go to target/pre-commit so later runs
/// reuse them. `scripts/test` installs `pre-commit` when it is missing; without it this test fails and
/// says what to install.
#[test]
fn pre_commit_framework_runs_vigil_from_pre_commit_hooks_yaml() {
    let src = env!("CARGO_MANIFEST_DIR");
    // The sandbox's HOME is empty: keep the real cargo and rustup homes, so nothing is downloaded twice.
    let real_home = std::env::var("HOME").unwrap_or_default();
    commit_through_the_framework("vigil", |c| {
        // pre-commit builds the hook with `cargo install` (a release build); this test is about the
        // hook's wiring, not its speed, so the build skips optimisation to keep the suite quick.
        c.env("CARGO_TARGET_DIR", format!("{src}/target/pre-commit"))
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env(
                "CARGO_HOME",
                std::env::var("CARGO_HOME").unwrap_or(format!("{real_home}/.cargo")),
            )
            .env(
                "RUSTUP_HOME",
                std::env::var("RUSTUP_HOME").unwrap_or(format!("{real_home}/.rustup")),
            );
    });
}

/// The `vigil-system` hook id (`language: system`) runs the vigil on PATH: no toolchain, no build.
/// Here PATH holds the binary under test first, and no cargo at all, so a hook that tried to build
/// would fail.
#[test]
fn system_hook_id_of_the_framework_runs_the_vigil_on_path() {
    let bin = crate::support::vigil_bin();
    let bin_dir = bin.parent().unwrap().to_path_buf();
    let path = std::env::var("PATH").unwrap_or_default();
    let without_cargo: Vec<String> = std::env::split_paths(&path)
        .filter(|d| !d.join("cargo").exists())
        .map(|d| d.display().to_string())
        .collect();
    let path = format!("{}:{}", bin_dir.display(), without_cargo.join(":"));
    commit_through_the_framework("vigil-system", |c| {
        c.env("PATH", &path).env("CARGO_HOME", "/nonexistent");
    });
}

// --- content transformed by git ------------------------------------------------------------------

/// The `transform` of component `path` in a JSON report or inventory (first profile).
fn transform_of(r: &crate::support::Run, path: &str) -> Option<String> {
    let j = r.json();
    let c = j["profiles"][0]["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("no component {path} in {j:#}"))
        .clone();
    c["transform"].as_str().map(str::to_string)
}

#[test]
fn eol_attribute_is_named_when_a_component_is_stale_through_commit_rev_and_push() {
    let s = Sandbox::git_repo();
    s.vigil(&["hook", "install"]).expect(0);
    ca(&s);
    s.file(".gitattributes", "validity/*.cnf text eol=crlf\n");
    // On disk as a checkout with eol=crlf writes it; `git add` stores LF.
    s.file("validity/398.cnf", "default_days = 397\r\n");
    s.git_ok(&["add", "-A"]);
    // Approved on the working tree: the hash of the CRLF bytes on disk. approve warns at once.
    let a = s.vigil(&["approve", "server"]).expect(0);
    assert!(
        a.stderr
            .contains("warning: server: git transforms validity/398.cnf")
            && a.stderr.contains("`eol=crlf`"),
        "{}",
        a.stderr
    );
    assert!(!a.stderr.contains("profiles/server.cnf"), "{}", a.stderr);
    s.git_ok(&["add", "-A"]);
    let r = s.commit("first", &[]).expect(1);
    let out = r.all();
    for want in [
        "stale",
        "validity/398.cnf",
        "transforms",
        "`text` `eol=crlf`",
        "`-text`",
    ] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    // The component without attributes is untouched: not stale, no transformation reported.
    let r = s
        .vigil(&["check", "--staged", "--format", "json"])
        .expect(1);
    assert_eq!(r.finding_codes(), ["stale validity/398.cnf"]);
    assert_eq!(
        transform_of(&r, "validity/398.cnf").as_deref(),
        Some(".gitattributes `text` `eol=crlf`")
    );
    assert_eq!(transform_of(&r, "profiles/server.cnf"), None);
    // The working tree agrees with the approval, and still says the file is transformed.
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert!(
        !r.finding_codes().iter().any(|f| f.starts_with("stale")),
        "{:?}",
        r.finding_codes()
    );
    assert!(transform_of(&r, "validity/398.cnf").is_some());
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert!(transform_of(&r, "validity/398.cnf").is_some());
    assert_eq!(transform_of(&r, "profiles/server.cnf"), None);

    // Committed anyway: --rev reads the attributes from the commit.
    s.commit("first", &["--no-verify"]).expect(0);
    let r = s
        .vigil(&["check", "--rev", "HEAD", "--format", "json"])
        .expect(1);
    let m = r.message("stale", "validity/398.cnf");
    assert!(m.contains("`eol=crlf`"), "{m}");
    // And so does the pre-receive hook of a bare server, inside the push quarantine.
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("`eol=crlf`"), "{}", r.all());

    // The fix the message gives: -text, renormalize, approve. Disk and blob are then the same bytes.
    s.file(".gitattributes", "validity/*.cnf -text\n");
    s.git_ok(&["add", "--renormalize", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("byte-exact", &[]).expect(0);
    let r = s
        .vigil(&["check", "--rev", "HEAD", "--format", "json"])
        .expect(0);
    assert_eq!(transform_of(&r, "validity/398.cnf"), None);
    s.git(&["push", "-q", "origin", "main"]).expect(0);
}

#[test]
fn ident_expansion_is_named_for_the_working_tree_and_the_commit() {
    let s = Sandbox::git_repo();
    s.vigil(&["hook", "install"]).expect(0);
    ca(&s);
    s.file(".gitattributes", "*.cnf ident\n")
        .file("validity/398.cnf", "# $Id$\ndefault_days = 397\n");
    s.git_ok(&["add", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    // Disk and blob both hold `$Id$` until a checkout expands it.
    s.commit("first", &[]).expect(0);
    s.remove("validity/398.cnf");
    s.git_ok(&["checkout", "--", "validity/398.cnf"]);
    assert!(s.read("validity/398.cnf").contains("$Id: "));
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(r.finding_codes(), ["stale validity/398.cnf"]);
    let m = r.message("stale", "validity/398.cnf");
    assert!(m.contains("`ident`") && m.contains("`-ident`"), "{m}");
    // Approving the expanded bytes makes the commit stale instead: git stores `$Id$`.
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    let r = s.commit("approve expanded", &[]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
    assert!(r.all().contains("`ident`"), "{}", r.all());
}

#[test]
fn core_autocrlf_is_named_and_files_without_transformation_are_unaffected() {
    // Without autocrlf or attributes, CRLF on disk is stored as is: approval and commit agree.
    let s = Sandbox::git_repo();
    s.vigil(&["hook", "install"]).expect(0);
    ca(&s);
    s.file("validity/398.cnf", "default_days = 397\r\n");
    s.git_ok(&["add", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("first", &[]).expect(0);
    let r = s.vigil(&["check", "--format", "json"]).expect(0);
    assert_eq!(transform_of(&r, "validity/398.cnf"), None);
    // A real edit is stale, and its message says nothing of transformations.
    s.file("validity/398.cnf", "default_days = 825\r\n");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("edit", &[]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
    assert!(!r.all().contains("transforms"), "{}", r.all());

    // The same with core.autocrlf=true: `git add` stores LF, the approval hashed CRLF.
    let s = Sandbox::git_repo();
    s.git_ok(&["config", "core.autocrlf", "true"]);
    s.vigil(&["hook", "install"]).expect(0);
    ca(&s);
    s.file("validity/398.cnf", "default_days = 397\r\n");
    s.git_ok(&["add", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    let r = s.commit("first", &[]).expect(1);
    let out = r.all();
    for want in ["stale", "validity/398.cnf", "core.autocrlf=true", "`-text`"] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    // `-text` in .gitattributes overrides core.autocrlf.
    s.file(".gitattributes", "*.cnf -text\n");
    s.git_ok(&["add", "--renormalize", "-A"]);
    let r = s.vigil(&["check", "--staged", "--format", "json"]);
    assert_eq!(transform_of(&r, "validity/398.cnf"), None);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("byte-exact", &[]).expect(0);
}

// --- a workspace in a subfolder ------------------------------------------------------------------

/// The CA profile of [`ca`], in folder `ca/` of the repository.
fn ca_in_subfolder(s: &Sandbox) {
    s.file(
        "ca/vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\nfollow = [\"openssl-include\"]\n",
    )
    .file("ca/profiles/server.cnf", ".include validity/398.cnf\n[ext]\n")
    .file("ca/validity/398.cnf", "default_days = 397\n")
    .file("README", "unrelated\n");
}

#[test]
fn hook_installed_with_workspace_checks_a_subfolder_through_commit_and_push() {
    let s = Sandbox::git_repo();
    ca_in_subfolder(&s);
    let ca = s.path("ca");
    // Installed at the top without --workspace before anything is staged, the install finds the
    // workspace in the work tree and says so; the hook checks it.
    let r = s.vigil(&["hook", "install"]).expect(0);
    assert!(r.stdout.contains("--workspace ca"), "{}", r.stdout);
    let hook = fs::read_to_string(s.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("check --staged '--workspace' 'ca'"), "{hook}");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("unapproved", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());
    // `check --staged` run from the top with no --workspace (a hook installed there by hand, or
    // before the workspace moved) checks the one workspace the index holds, and says which.
    let r = s
        .vigil(&["check", "--staged", "--format", "json"])
        .expect(1);
    assert!(r.stderr.contains("in ca/"), "{}", r.stderr);
    assert_eq!(r.finding_codes(), ["unapproved approved/server.toml"]);
    // `check --staged` run from inside the folder finds it there.
    let r = s
        .vigil_in(&ca, &["check", "--staged", "--format", "json"])
        .expect(1);
    assert_eq!(r.finding_codes(), ["unapproved approved/server.toml"]);

    let r = s.vigil(&["hook", "install", "--workspace", "ca"]).expect(0);
    assert!(r.stdout.contains("is up to date"), "{}", r.stdout);
    s.vigil_in(&ca, &["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("approved", &[]).expect(0);
    s.file("ca/validity/398.cnf", "default_days = 825\n");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("longer validity", &[]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
    assert!(r.all().contains("validity/398.cnf"), "{}", r.all());
    s.vigil_in(&ca, &["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.commit("longer validity, approved", &[]).expect(0);

    // The server hook takes the same option.
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install", "--workspace", "ca"])
        .expect(0);
    let hook = fs::read_to_string(bare.join("hooks/pre-receive")).unwrap();
    assert!(hook.contains("pre-receive '--workspace' 'ca'"), "{hook}");
    s.git(&["push", "-q", "origin", "main"]).expect(0);
    s.file("ca/validity/398.cnf", "default_days = 3650\n");
    s.commit_all("unapproved");
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("stale validity/398.cnf"), "{}", r.all());
}

#[test]
fn hook_install_inside_the_workspace_folder_defaults_to_it() {
    let s = Sandbox::git_repo();
    ca_in_subfolder(&s);
    let r = s
        .vigil_in(&s.path("ca/profiles"), &["hook", "install"])
        .expect(0);
    assert!(r.stdout.contains("--workspace ca"), "{}", r.stdout);
    let hook = fs::read_to_string(s.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("'--workspace' 'ca'"), "{hook}");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("first", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());
    // A path outside the repository is refused.
    s.vigil(&["hook", "install", "--workspace", "../elsewhere"])
        .expect(2);
}

/// Attribute files are looked up only where one can apply, and every kind is still seen: a
/// `.gitattributes` in a subfolder applies below it only, and `info/attributes` applies everywhere.
#[test]
fn attributes_apply_by_folder_and_from_info_attributes() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a/\", \"b/\"]\n")
        .file("a/.gitattributes", "*.cnf ident\n")
        .file("a/x.cnf", "x\n")
        .file("b/y.cnf", "y\n")
        .commit_all("p");
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(transform_of(&r, "a/x.cnf").is_some_and(|t| t.contains("`ident`")));
    assert_eq!(transform_of(&r, "b/y.cnf"), None);
    s.file(".git/info/attributes", "y.cnf eol=crlf\n");
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(
        transform_of(&r, "b/y.cnf").is_some_and(|t| t.contains("`eol=crlf`")),
        "{}",
        r.stdout
    );
}
