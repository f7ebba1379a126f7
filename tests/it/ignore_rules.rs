//! An `ignored` finding names the rule that ignores the component as `git check-ignore -v` does
//! (`source:line:pattern`), and git itself is asked in each test what the answer must be.

use crate::support::{Ca, Sandbox};

/// What `git check-ignore -v` says of `path`: `source:line:pattern`.
fn git_says(s: &Sandbox, path: &str) -> String {
    let r = s.git(&["check-ignore", "-v", path]);
    let rule = r.stdout.split('\t').next().unwrap().to_string();
    assert!(!rule.is_empty(), "git does not ignore {path}: {}", r.stderr);
    rule
}

/// The message of the one `ignored` finding of `vigil check --format json`.
fn ignored_message(s: &Sandbox) -> String {
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
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

#[test]
fn names_the_line_of_the_root_gitignore() {
    let s = Sandbox::git_repo();
    Ca::new()
        .write(&s)
        .file(".gitignore", "# build output\n*.bak\nvalidity/\n")
        .commit_all("profiles");
    let rule = git_says(&s, "validity/398.cnf");
    assert_eq!(rule, ".gitignore:3:validity/");
    assert_eq!(
        ignored_message(&s),
        format!("on disk, but ignored by {rule}, so it is not under version control")
    );
    let r = s.vigil(&["check"]).expect(1);
    insta::assert_snapshot!("ignored_human", s.redact(&r.stdout));
}

#[test]
fn names_the_deeper_gitignore_that_wins() {
    let s = Sandbox::git_repo();
    Ca::new()
        .write(&s)
        .file(".gitignore", "*.cnf\n!profiles/*.cnf\n")
        .file("validity/.gitignore", "# local\n398.*\n")
        .commit_all("profiles");
    let rule = git_says(&s, "validity/398.cnf");
    assert_eq!(rule, "validity/.gitignore:2:398.*");
    assert!(ignored_message(&s).contains(&format!("ignored by {rule},")));
}

#[test]
fn names_the_repository_exclude_file() {
    let s = Sandbox::git_repo();
    s.file(
        ".git/info/exclude",
        "# local excludes\n\nvalidity/398.cnf\n",
    );
    Ca::new().write(&s).commit_all("profiles");
    let rule = git_says(&s, "validity/398.cnf");
    assert_eq!(rule, ".git/info/exclude:3:validity/398.cnf");
    assert!(ignored_message(&s).contains(&format!("ignored by {rule},")));
}
