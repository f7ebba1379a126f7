//! The pre-receive hook's fast path: a pushed commit that only modifies files away from every
//! profile, compared with a commit the hook already accepted, is accepted without checking its
//! profiles; anything a profile can depend on, a new branch, and each commit of `--every-commit`
//! whose parent did not pass are checked in full. Real `git push` to a bare repository with the hook
//! installed.
//!
//! Most tests start from a server whose tip already fails (an included component changed without
//! approval, pushed before the hook was installed): the full check rejects every push on top of it,
//! and only the fast path, which trusts the tip it compares with, accepts one.

use crate::support::{vigil_bin, Ca, Sandbox};
use std::path::{Path, PathBuf};

fn tip(s: &Sandbox) -> String {
    s.git_ok(&["rev-parse", "HEAD"]).stdout.trim()[..12].to_string()
}

fn remote_head(s: &Sandbox, bare: &Path) -> String {
    s.git_in(bare, &["rev-parse", "main"]).stdout.trim()[..12].to_string()
}

fn push(s: &Sandbox) -> crate::support::Run {
    s.git(&["push", "origin", "HEAD:main"])
}

/// The line of a commit the fast path accepted, compared with `base`.
fn fast_line(commit: &str, base: &str) -> String {
    format!("refs/heads/main {commit}: no change since {base} touches a profile; nothing to check")
}

/// Replaces the bare repository's pre-receive hook with `vigil pre-receive ARGS`.
fn hook(bare: &Path, args: &str) {
    hook_with(bare, "", args);
}

/// Replaces the bare repository's pre-receive hook with `ENV vigil pre-receive ARGS`.
fn hook_with(bare: &Path, env: &str, args: &str) {
    let hook = bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n{env} exec '{}' pre-receive {args}\n",
            vigil_bin().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// An approved, committed CA profile (a declared file that includes another) and unrelated files.
fn approved() -> Sandbox {
    let s = Sandbox::git_repo();
    Ca::new()
        .server_cnf(".include validity/398.cnf\n[ext]\n")
        .with("README", "unrelated\n")
        .with("docs/notes.txt", "v1\n")
        .write(&s);
    s.commit_all("profile");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approval");
    s
}

/// A server whose tip passes, pushed through the installed hook.
fn passing_server() -> (Sandbox, PathBuf) {
    let s = approved();
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    push(&s).expect(0);
    (s, bare)
}

/// A server whose tip fails the full check (pushed before the hook was installed).
fn failing_server() -> (Sandbox, PathBuf) {
    let s = approved();
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    let bare = s.bare_origin();
    s.git_ok(&["push", "-q", "origin", "main"]);
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    (s, bare)
}

/// Asserts that the push was checked in full (and so rejected on the failing server).
fn assert_full_check(r: &crate::support::Run, what: &str) {
    let out = r.all();
    assert_ne!(r.code, 0, "{what}: accepted:\n{out}");
    assert!(!out.contains("nothing to check"), "{what}:\n{out}");
    assert!(
        out.contains("stale validity/398.cnf"),
        "{what}: not the full check:\n{out}"
    );
}

#[test]
fn a_push_touching_no_profile_is_accepted_by_the_fast_path() {
    let (s, bare) = failing_server();
    let old = tip(&s);
    s.file("README", "still unrelated\n");
    s.file("docs/notes.txt", "v2\n");
    s.commit_all("docs");
    // The full check of the same commit fails: only the fast path accepts it.
    s.vigil(&["check", "--rev", "HEAD"]).expect(1);
    let r = push(&s).expect(0);
    let out = r.all();
    assert!(out.contains(&fast_line(&tip(&s), &old)), "{out}");
    assert!(!out.contains("stale"), "{out}");
    assert_eq!(remote_head(&s, &bare), tip(&s));
}

#[test]
fn a_changed_included_component_is_still_rejected_the_2020_shape() {
    let (s, bare) = passing_server();
    let old = tip(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    let r = push(&s);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("stale validity/398.cnf"), "{}", r.all());
    assert_eq!(remote_head(&s, &bare), old);
}

#[test]
fn added_deleted_renamed_and_retyped_files_take_the_full_check() {
    let (s, bare) = failing_server();
    let old = tip(&s);
    let cases: [(&str, &dyn Fn()); 5] = [
        ("an added file", &|| {
            s.file("NEWS", "new\n");
        }),
        ("a deleted file", &|| {
            s.remove("README");
        }),
        ("a renamed file", &|| {
            s.git_ok(&["mv", "README", "README.md"]);
        }),
        ("a mode change", &|| {
            s.chmod("README", 0o755);
        }),
        ("a file replaced by a symbolic link", &|| {
            s.remove("docs/notes.txt");
            s.symlink("docs/notes.txt", "../README");
        }),
    ];
    for (what, change) in cases {
        change();
        s.commit_all(what);
        assert_full_check(&push(&s), what);
        assert_eq!(remote_head(&s, &bare), old, "{what}");
        s.git_ok(&["reset", "-q", "--hard", "origin/main"]);
    }
    // The same server takes the fast path for a file modified in place.
    s.file("README", "edited\n");
    s.commit_all("edit");
    push(&s).expect(0);
}

#[test]
fn a_change_of_vigil_toml_or_an_approval_takes_the_full_check() {
    let (s, bare) = failing_server();
    let old = tip(&s);
    let toml = s.read("vigil.toml");
    let manifest = s.read("approved/server.toml");
    let cases: [(&str, &dyn Fn()); 2] = [
        ("vigil.toml", &|| {
            s.file("vigil.toml", &format!("{toml}# reviewed\n"));
        }),
        ("the manifest", &|| {
            s.file("approved/server.toml", &format!("{manifest}# reviewed\n"));
        }),
    ];
    for (what, change) in cases {
        change();
        s.commit_all(what);
        assert_full_check(&push(&s), what);
        assert_eq!(remote_head(&s, &bare), old, "{what}");
        s.git_ok(&["reset", "-q", "--hard", "origin/main"]);
    }
}

#[test]
fn a_change_of_the_allowed_signers_takes_the_full_check() {
    let s = Sandbox::git_repo();
    s.config(&format!(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\nrequired = 1\n\n{}",
        crate::signed_approvals::PROFILE
    ))
    .file("approvers/allowed_signers", "# nobody yet\n")
    .file("ca/issuing.cnf", "default_days = 397\n")
    .file("README", "unrelated\n");
    s.commit_all("profile");
    // Unsigned: the tip fails the full check; pushed before the hook.
    s.vigil(&["approve", "ca"]).expect(0);
    s.commit_all("approval");
    let bare = s.bare_origin();
    s.git_ok(&["push", "-q", "origin", "main"]);
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    let old = tip(&s);

    s.file("approvers/allowed_signers", "# nobody yet, still\n");
    s.commit_all("signers");
    let r = push(&s);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(!r.all().contains("nothing to check"), "{}", r.all());
    assert!(r.all().contains("unsigned"), "{}", r.all());
    assert_eq!(remote_head(&s, &bare), old);

    s.git_ok(&["reset", "-q", "--hard", "origin/main"]);
    s.file("README", "edited\n");
    s.commit_all("readme");
    let r = push(&s).expect(0);
    assert!(r.all().contains(&fast_line(&tip(&s), &old)), "{}", r.all());
}

#[test]
fn a_new_branch_takes_the_full_check() {
    let (s, bare) = failing_server();
    s.git_ok(&["checkout", "-q", "-b", "feature"]);
    s.file("README", "edited on a branch\n");
    s.commit_all("edit");
    let r = s.git(&["push", "origin", "feature"]);
    assert_full_check(&r, "a new branch");
    assert!(r.all().contains("refs/heads/feature"), "{}", r.all());
    let out = s.git_in(&bare, &["rev-parse", "-q", "--verify", "feature"]);
    assert_ne!(out.code, 0, "the branch was created");
}

#[test]
fn every_commit_compares_each_commit_with_its_accepted_parent() {
    let (s, bare) = passing_server();
    // Tip only: a component changed and changed back before the push leaves the tip's profile as
    // the accepted one.
    let old = tip(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    s.file("validity/398.cnf", Ca::VALIDITY);
    s.commit_all("revert");
    let r = push(&s).expect(0);
    assert!(r.all().contains(&fast_line(&tip(&s), &old)), "{}", r.all());

    // Every commit: the same history is rejected at its first commit. The commits after it are
    // never compared with a parent that failed: an unrelated edit on top of it is checked in full
    // (and fails), and so is the revert (which passes).
    hook(&bare, "--every-commit");
    let old = tip(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit again");
    let bad = tip(&s);
    s.file("README", "edited on top\n");
    s.commit_all("unrelated edit on top");
    let unrelated = tip(&s);
    s.file("validity/398.cnf", Ca::VALIDITY);
    s.commit_all("revert again");
    let revert = tip(&s);
    let r = push(&s);
    let out = r.all();
    assert_ne!(r.code, 0, "{out}");
    assert!(out.contains(&format!("{bad}: rejected")), "{out}");
    assert!(out.contains("stale validity/398.cnf"), "{out}");
    assert!(out.contains(&format!("{unrelated}: rejected")), "{out}");
    assert!(out.contains(&format!("{revert}: ok (")), "{out}");
    assert_eq!(remote_head(&s, &bare), old);

    // Commits that touch no profile, each compared with its parent: the first with the server's
    // tip, the second with the first, which passed.
    s.git_ok(&["reset", "-q", "--hard", "origin/main"]);
    s.file("README", "one\n");
    s.commit_all("one");
    let one = tip(&s);
    s.file("docs/notes.txt", "two\n");
    s.commit_all("two");
    let r = push(&s).expect(0);
    let out = r.all();
    assert!(out.contains(&fast_line(&one, &old)), "{out}");
    assert!(out.contains(&fast_line(&tip(&s), &one)), "{out}");
}

#[test]
fn every_commit_on_a_failing_server_takes_the_fast_path_per_commit() {
    let (s, bare) = failing_server();
    hook(&bare, "--every-commit");
    let old = tip(&s);
    s.file("README", "one\n");
    s.commit_all("one");
    let one = tip(&s);
    s.file("validity/notes-elsewhere.txt", "beside a component\n");
    s.commit_all("two");
    let two = tip(&s);
    // The second commit adds a file beside a component: checked in full, and rejected.
    let r = push(&s);
    let out = r.all();
    assert_ne!(r.code, 0, "{out}");
    assert!(out.contains(&fast_line(&one, &old)), "{out}");
    assert!(out.contains(&format!("{two}: rejected")), "{out}");
    assert!(out.contains("stale validity/398.cnf"), "{out}");
    assert_eq!(remote_head(&s, &bare), old);
}

#[test]
fn the_server_policy_applies_to_a_push_touching_no_profile() {
    let (s, bare) = passing_server();
    let dir = s.outside().join("etc-vigil");
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");

    // A policy the configuration meets: the fast path.
    std::fs::write(
        &policy,
        "profiles = [\"server\"]\n\n[severity.hook]\nstale = \"error\"\n",
    )
    .unwrap();
    hook(&bare, &format!("--policy '{}'", policy.display()));
    let old = tip(&s);
    s.file("README", "one\n");
    s.commit_all("one");
    let r = push(&s).expect(0);
    assert!(r.all().contains(&fast_line(&tip(&s), &old)), "{}", r.all());

    // A policy that demands a profile the configuration does not declare: rejected, whatever the
    // change.
    std::fs::write(&policy, "profiles = [\"ca\"]\n").unwrap();
    let old = tip(&s);
    s.file("README", "two\n");
    s.commit_all("two");
    let r = push(&s);
    let out = r.all();
    assert_ne!(r.code, 0, "{out}");
    assert!(
        out.contains("profile `ca` is required by the server policy"),
        "{out}"
    );
    assert_eq!(remote_head(&s, &bare), old);
}

#[test]
fn a_configuration_that_lets_components_go_unapproved_takes_the_full_check() {
    // Two-step approvals that also let a new component wait for its approval: the manifest need not
    // list every component, so a file away from every manifest entry can still be one.
    let s = Sandbox::git_repo();
    Ca::new()
        .server_cnf("[ext]\n")
        .with("README", "unrelated\n")
        .write(&s);
    s.config(&format!(
        "{}\n[severity.hook]\nstale = \"warning\"\nunapproved = \"warning\"\n",
        Ca::new().config()
    ));
    s.commit_all("profile");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approval");
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    push(&s).expect(0);
    // The include, approved later: warnings only, accepted.
    s.file("profiles/server.cnf", ".include validity/398.cnf\n[ext]\n");
    s.commit_all("include");
    let r = push(&s).expect(0);
    assert!(
        r.all().contains("unapproved validity/398.cnf"),
        "{}",
        r.all()
    );
    let old = tip(&s);
    // A change of the unapproved component that breaks the profile.
    s.file("validity/398.cnf", ".include validity/gone.cnf\n");
    s.commit_all("include a file that is not there");
    let r = push(&s);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("missing"), "{}", r.all());
    assert_eq!(remote_head(&s, &bare), old);
}

#[test]
fn every_commit_never_trusts_a_commit_checked_only_as_part_of_an_earlier_push() {
    let (s, bare) = passing_server();
    // Tip only: a change and its approval, pushed together; the change alone fails.
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("unapproved edit");
    let middle = s.git_ok(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    push(&s).expect(0);
    // Every commit: a branch from the middle of that push, touching no profile. Its parent is on
    // the server but was never checked on its own: the commit is checked in full.
    hook(&bare, "--every-commit");
    s.git_ok(&["checkout", "-q", "-b", "feature", &middle]);
    s.file("README", "edited on a branch\n");
    s.commit_all("edit");
    let r = s.git(&["push", "origin", "feature"]);
    assert_full_check(&r, "a branch from an unchecked commit");

    // A branch from the tip of main: its commit is compared with that tip.
    s.git_ok(&["checkout", "-q", "-b", "other", "origin/main"]);
    let main = tip(&s);
    s.file("README", "edited on another branch\n");
    s.commit_all("edit");
    let r = s.git(&["push", "origin", "other"]).expect(0);
    let want = format!(
        "refs/heads/other {}: no change since {main} touches a profile; nothing to check",
        tip(&s)
    );
    assert!(r.all().contains(&want), "{}", r.all());
}

/// The fast path asks `git diff-tree` for the pushed changes; a hook that runs vigil where no git is on
/// `PATH` gets the same answers from libgit2.
#[test]
fn without_git_on_the_hook_path_the_fast_path_decides_the_same() {
    let (s, bare) = failing_server();
    hook_with(&bare, "PATH=/nonexistent", "");
    let old = tip(&s);
    s.file("README", "still unrelated\n");
    s.commit_all("docs");
    let r = push(&s).expect(0);
    assert!(r.all().contains(&fast_line(&tip(&s), &old)), "{}", r.all());
    s.file("validity/398.cnf", "default_days = 826\n");
    s.commit_all("unapproved edit");
    assert_full_check(&push(&s), "a component changed");
}
