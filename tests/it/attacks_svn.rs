//! Attacks on the Subversion side of vigil, each replayed against a real repository (`svnadmin create`),
//! a real working copy (`svn checkout file://...`) and, for the server hook, real `svn commit`s through
//! the installed pre-commit hook. Each test is named for the attack it reproduces; vigil must refuse or
//! report, never say ok or PASS.

use crate::svn_support::{Layout, Svn};
use std::fs;
use std::time::SystemTime;

/// A committed, approved profile whose server include pulls in a folder (`extensions/server.d`).
fn approved() -> Svn {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file(
        "vigil.toml",
        r#"
[profiles.server]
components = ["profiles/server.cnf"]
follow = ["openssl-include"]
"#,
    )
    .file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include extensions/server.d\n[ext]\nkeyUsage = digitalSignature\n",
    )
    .file("validity/398.cnf", "default_days = 397\n")
    .file("extensions/server.d/README", "OpenSSL loads the *.cnf files of this folder\n");
    s.commit_all("profiles");
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s
}

/// Rewrites a file with content of the same size and puts its modification time back, which is
/// everything `svn status` looks at.
fn edit_keeping_size_and_time(path: &std::path::Path, content: &str) {
    let before = fs::metadata(path).unwrap();
    assert_eq!(
        before.len(),
        content.len() as u64,
        "the edit must keep the size"
    );
    let mtime: SystemTime = before.modified().unwrap();
    fs::write(path, content).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

#[test]
fn same_size_edit_with_mtime_restored_is_not_committed() {
    let s = approved();
    edit_keeping_size_and_time(&s.sb.path("validity/398.cnf"), "default_days = 825\n");
    // The attack's premise: Subversion itself sees nothing.
    let st = s.svn_ok(&["status", "-q"]);
    assert_eq!(
        st.stdout.trim(),
        "",
        "svn status saw the edit:\n{}",
        st.stdout
    );

    // The approval must not claim that the disk equals the commit.
    s.sb.vigil(&["approve", "server", "--by", "Mallory"])
        .expect(0);
    let manifest = s.sb.read("approved/server.toml");
    assert!(
        manifest.contains("local-changes = true"),
        "the approval recorded no local change:\n{manifest}"
    );
    s.commit_all("approve the edit");

    // svn commit sent the manifest but not the edit: disk and repository differ.
    let r = s.sb.check_json().expect(1);
    assert!(
        r.finding_codes()
            .contains(&"uncommitted validity/398.cnf".to_string()),
        "{:?}",
        r.finding_codes()
    );
    let msg = r.message("uncommitted", "validity/398.cnf");
    assert!(msg.contains("svn status"), "{msg}");
    let g = s.sb.vigil(&["gate", "server"]).expect(1);
    assert!(g.stdout.contains("FAIL"), "{}", g.stdout);
}

#[test]
fn svn_rm_of_the_manifest_folder_with_an_unapproved_change_is_rejected() {
    let s = approved();
    s.install_hook("");
    s.sb.file("validity/398.cnf", "default_days = 825\n");
    s.svn_ok(&["rm", "-q", "approved"]);
    let r = s.commit("attack");
    assert_ne!(
        r.code, 0,
        "the commit was accepted:\n{}{}",
        r.stdout, r.stderr
    );
    assert!(
        r.stderr.contains("vigil: this commit is rejected"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("unapproved"), "{}", r.stderr);
}

#[test]
fn new_cnf_in_an_included_folder_without_approved_components_is_rejected() {
    let s = approved();
    s.install_hook("");
    // The 2020 incident's shape: a new file OpenSSL loads, in a folder no approved component sits in.
    s.sb.file(
        "extensions/server.d/90-validity.cnf",
        "default_days = 825\n",
    );
    s.add_all();
    let r = s.commit("attack");
    assert_ne!(
        r.code, 0,
        "the commit was accepted:\n{}{}",
        r.stdout, r.stderr
    );
    assert!(
        r.stderr
            .contains("/trunk/extensions/server.d/90-validity.cnf"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("unapproved"), "{}", r.stderr);
}

#[test]
fn approve_without_user_in_svn_names_what_applies_to_svn() {
    let s = approved();
    s.sb.file("validity/398.cnf", "default_days = 396\n");
    let mut c = std::process::Command::new(crate::support::vigil_bin());
    c.args(["approve", "server"]).current_dir(&s.sb.root);
    s.sb.env(&mut c);
    c.env_remove("USER").env_remove("LOGNAME");
    let r = crate::support::run_bounded(c).expect(2);
    assert!(!r.stderr.contains("user.name"), "{}", r.stderr);
    assert!(r.stderr.contains("--by"), "{}", r.stderr);
    assert!(r.stderr.contains("USER"), "{}", r.stderr);
}

#[test]
fn readme_svn_pre_commit_revision_example_works() {
    let s = approved();
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // The command as the README shows it, between backticks.
    let line = readme
        .split('`')
        .find(|span| span.starts_with("vigil svn-pre-commit -v") && span.contains("-r"))
        .expect("the README shows how to run the hook on a revision");
    let args: Vec<String> = line
        .split_whitespace()
        .skip(1)
        .map(|a| {
            if a == "REPOS" {
                s.repos.display().to_string()
            } else {
                a.to_string()
            }
        })
        .collect();
    let mut c = std::process::Command::new(crate::support::vigil_bin());
    c.args(&args).env_clear();
    let r = crate::support::run_bounded(c);
    assert_eq!(r.code, 0, "`{line}` failed:\n{}{}", r.stdout, r.stderr);
}

#[test]
fn emptied_vigil_toml_is_rejected_by_the_svn_hook() {
    let s = approved();
    s.install_hook("");
    s.sb.file("vigil.toml", "# nothing to see\n");
    let r = s.commit("switch the control off");
    assert_ne!(
        r.code, 0,
        "the svn hook accepted an emptied vigil.toml:\n{}{}",
        r.stdout, r.stderr
    );
    assert!(r.stderr.contains("orphaned-manifest"), "{}", r.stderr);
    assert!(r.stderr.contains("approved/server.toml"), "{}", r.stderr);
}

#[test]
fn non_hex_hash_in_a_manifest_is_rejected_by_the_svn_hook_without_a_panic() {
    let s = approved();
    s.install_hook("");
    let m = s.sb.read("approved/server.toml");
    let bad = regex::Regex::new(r#"blake3 = "[0-9a-f]{64}""#)
        .unwrap()
        .replace(&m, format!("blake3 = \"{}\"", "é".repeat(32)))
        .into_owned();
    assert_ne!(bad, m);
    s.sb.file("approved/server.toml", &bad);
    let r = s.commit("forged manifest");
    assert_ne!(r.code, 0, "accepted:\n{}{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.stderr.contains("approved/server.toml:"), "{}", r.stderr);
}
