//! On Subversion, an `ignored` finding names the rule that ignores the component, in Subversion's
//! order: the folder's `svn:ignore`, an inherited `svn:global-ignores`, the client's `global-ignores`.
//! Subversion itself (`svn status --no-ignore`) is asked in each test whether the component is ignored.

use crate::support::Ca;
use crate::svn_support::{Layout, Svn};

/// Asserts that `svn status --no-ignore` reports `path` (relative to the working copy's root) as ignored.
#[track_caller]
fn svn_ignores(s: &Svn, path: &str) {
    let r = s.svn_ok(&["status", "--no-ignore", "--", path]);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with('I') && l.ends_with(path)),
        "Subversion does not ignore {path}:\n{}",
        r.stdout
    );
}

/// The message of the one `ignored` finding of `vigil check --format json`.
fn ignored_message(s: &Svn) -> String {
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let found: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "ignored")
        .collect();
    assert_eq!(found.len(), 1, "{}", r.stdout);
    found[0]["message"].as_str().unwrap().to_string()
}

fn says(rule: &str) -> String {
    format!("on disk, but ignored by {rule}, so it is not under version control")
}

#[test]
fn names_the_svn_ignore_of_the_folder() {
    let s = Svn::new(Layout::TrunkCheckout);
    Ca::new().write(&s.sb);
    s.svn_ok(&["add", "-q", "--depth", "empty", "validity"]);
    s.propset("svn:ignore", "*.bak\n*.cnf\n", "validity")
        .commit_all("profiles");
    svn_ignores(&s, "validity/398.cnf");
    assert_eq!(ignored_message(&s), says("svn:ignore on validity/: *.cnf"));
    let r = s.sb.vigil(&["check"]).expect(1);
    insta::assert_snapshot!("svn_ignored_human", s.sb.redact(&r.stdout));
}

#[test]
fn names_the_ancestor_that_sets_svn_global_ignores() {
    let s = Svn::new(Layout::TrunkCheckout);
    Ca::new().write(&s.sb);
    s.propset("svn:global-ignores", "*.tmp\n398.*\n", ".")
        .commit_all("profiles");
    svn_ignores(&s, "validity/398.cnf");
    assert_eq!(
        ignored_message(&s),
        says("svn:global-ignores on the workspace folder: 398.*")
    );
}

#[test]
fn names_svn_global_ignores_set_above_the_workspace() {
    let s = Svn::new(Layout::UnderTrunk);
    Ca::new().write(&s.sb);
    s.propset("svn:global-ignores", "398.*", ".")
        .commit_all("profiles");
    svn_ignores(&s, "trunk/validity/398.cnf");
    let wc = s.wc.canonicalize().unwrap();
    assert_eq!(
        ignored_message(&s),
        says(&format!("svn:global-ignores on {}/: 398.*", wc.display()))
    );
}

#[test]
fn svn_ignore_of_the_folder_comes_before_global_ignores() {
    let s = Svn::new(Layout::TrunkCheckout);
    Ca::new().write(&s.sb);
    s.svn_ok(&["add", "-q", "--depth", "empty", "validity"]);
    s.propset("svn:global-ignores", "398.*", ".")
        .propset("svn:ignore", "398.cnf", "validity")
        .commit_all("profiles");
    svn_ignores(&s, "validity/398.cnf");
    assert_eq!(
        ignored_message(&s),
        says("svn:ignore on validity/: 398.cnf")
    );
}

#[test]
fn names_the_client_default_global_ignores() {
    let s = Svn::new(Layout::TrunkCheckout);
    Ca::new()
        .server_cnf(".include validity/398.cnf.rej\n")
        .with("validity/398.cnf.rej", "default_days = 397\n")
        .write(&s.sb);
    s.commit_all("profiles");
    svn_ignores(&s, "validity/398.cnf.rej");
    assert_eq!(
        ignored_message(&s),
        says("the Subversion client's global-ignores: *.rej")
    );
}

#[test]
fn names_the_client_configured_global_ignores() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file(
        "../home/.subversion/config",
        "[miscellany]\nglobal-ignores = *.bak\n  398.*\n",
    );
    Ca::new().write(&s.sb);
    s.commit_all("profiles");
    svn_ignores(&s, "validity/398.cnf");
    assert_eq!(
        ignored_message(&s),
        says("the Subversion client's global-ignores: 398.*")
    );
}

#[test]
fn names_the_rule_of_an_ignored_folder() {
    let s = Svn::new(Layout::TrunkCheckout);
    Ca::new().write(&s.sb);
    s.propset("svn:ignore", "build\nvalidity\n", ".")
        .commit_all("profiles");
    svn_ignores(&s, "validity");
    assert_eq!(
        ignored_message(&s),
        says("svn:ignore on the workspace folder: validity")
    );
}
