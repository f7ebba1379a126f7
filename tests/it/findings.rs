//! Every finding code, end to end over a real git repository: one case that produces it and a
//! near-identical case (the same setup minus the one cause) that does not.
//!
//! Cases that differ only in their setup and what the check must report are rows of the `cases!`
//! table: a setup expression, the expected exit code, and a fluent [`Expect`] of the report. Cases
//! that run several steps (approve, edit, check again) stay plain tests below the table.

use crate::support::{Ca, Expect, Sandbox};

const INCLUDED: &str = Ca::INCLUDED;

/// The CA fixture: a server profile that includes a validity component, as the Microsec profile did.
fn server(s: &Sandbox) -> &Sandbox {
    Ca::new().write(s)
}

/// The server profile, committed and approved, the approval committed: `vigil check` is clean.
fn approved_server() -> Sandbox {
    let s = Sandbox::git_repo();
    server(&s).commit_all("profiles");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    s.vigil(&["check"]).expect(0);
    s
}

/// The server profile committed, not approved.
fn committed_server() -> Sandbox {
    let s = Sandbox::git_repo();
    server(&s).commit_all("profiles");
    s
}

/// A git sandbox with profile `p` configured by `config` and `files`, all committed.
fn committed(config: &str, files: &[(&str, &str)]) -> Sandbox {
    let s = Sandbox::git_repo();
    s.config(config);
    for (rel, content) in files {
        s.file(rel, content);
    }
    s.commit_all("p");
    s
}

/// One test per row: `name: setup => exit code, |expect| expectations;`. The setup is any expression
/// giving a [`Sandbox`]; the expectations run against `vigil check --format json`.
macro_rules! cases {
    ($($(#[$meta:meta])* $name:ident: $setup:expr => $code:literal, $expect:expr;)*) => {$(
        $(#[$meta])*
        #[test]
        fn $name() {
            let s: Sandbox = $setup;
            let expect: fn(Expect) -> Expect = $expect;
            expect(s.expect_check($code)).run();
        }
    )*};
}

cases! {
    // ---- untracked

    untracked_included_component_is_reported_with_its_chain: {
        let s = Sandbox::git_repo();
        server(&s);
        // The profile and the configuration are committed; the validity component never was.
        s.git_ok(&["add", "vigil.toml", "profiles"]);
        s.git_ok(&["commit", "-q", "-m", "profiles"]);
        s
    } => 1, |e| e.findings_of("untracked", [format!("error untracked validity/398.cnf {INCLUDED}")]);

    committed_included_component_is_not_untracked: committed_server() => 1, |e| e
        .none_of("untracked")
        // Only the missing approval remains.
        .findings(["error unapproved approved/server.toml"]);

    workspace_in_no_repository_reports_every_component_untracked_with_a_hint: {
        let s = Sandbox::plain();
        server(&s);
        s
    } => 1, |e| e
        .findings_of("untracked", [
            "error untracked profiles/server.cnf via declared `profiles/server.cnf`".to_string(),
            format!("error untracked validity/398.cnf {INCLUDED}"),
            // vigil.toml is under the same control as the components it lists.
            "error untracked vigil.toml".to_string(),
        ])
        .message_has("untracked", "validity/398.cnf", "is in no git repository")
        .and(|r, _| assert_eq!(r.json()["revision"]["vcs"], "none"));

    workspace_in_a_repository_has_no_hint: {
        let s = committed_server();
        s.file("validity/825.cnf", "default_days = 825\n")
            .file("profiles/server.cnf", ".include validity/825.cnf\n");
        s.git_ok(&["commit", "-q", "-am", "825"]);
        s
    } => 1, |e| e
        .findings_of("untracked", [format!("error untracked validity/825.cnf {INCLUDED}")])
        .message_lacks("untracked", "validity/825.cnf", "no git repository");

    // ---- ignored

    ignored_component_is_reported: {
        let s = Sandbox::git_repo();
        server(&s).file(".gitignore", "validity/\n").commit_all("profiles");
        s
    } => 1, |e| e
        .findings_of("ignored", [format!("error ignored validity/398.cnf {INCLUDED}")])
        .none_of("untracked");

    without_the_ignore_rule_it_is_not_ignored: {
        let s = Sandbox::git_repo();
        server(&s).file(".gitignore", "*.bak\n").commit_all("profiles");
        s
    } => 1, |e| e.none_of("ignored");

    // ---- uncommitted

    uncommitted_modification: {
        let s = approved_server();
        s.file("validity/398.cnf", "default_days = 825\n");
        s
    } => 1, |e| e
        .findings_of("uncommitted", [format!("error uncommitted validity/398.cnf {INCLUDED}")])
        .message_has("uncommitted", "validity/398.cnf", "modified");

    staged_modification_is_uncommitted: {
        let s = approved_server();
        s.file("validity/398.cnf", "default_days = 825\n");
        s.git_ok(&["add", "validity/398.cnf"]);
        s
    } => 1, |e| e.message_has("uncommitted", "validity/398.cnf", "staged");

    committed_modification_is_not_uncommitted: {
        let s = approved_server();
        s.file("validity/398.cnf", "default_days = 825\n").commit_all("825");
        s
    } => 1, |e| e.none_of("uncommitted");

    // ---- stale

    stale_after_a_committed_edit: {
        let s = approved_server();
        s.file("validity/398.cnf", "default_days = 825\n").commit_all("825");
        s
    } => 1, |e| e
        .findings([format!("error stale validity/398.cnf {INCLUDED}")])
        .message_has("stale", "validity/398.cnf", "changed since approval");

    // Rewritten with the same bytes and committed (nothing to commit): still clean.
    not_stale_when_the_content_is_unchanged: {
        let s = approved_server();
        s.file("validity/398.cnf", "default_days = 397\n");
        s
    } => 0, |e| e;

    stale_when_only_the_executable_bit_changed: {
        let s = approved_server();
        s.chmod("validity/398.cnf", 0o755).commit_all("chmod");
        s
    } => 1, |e| e
        .findings([format!("error stale validity/398.cnf {INCLUDED}")])
        .message_has("stale", "validity/398.cnf", "approved as file, now executable");

    // ---- missing

    missing_glob_below_a_folder_that_does_not_exist:
        committed("[profiles.p]\ncomponents = [\"nowhere/*.cnf\"]\n", &[]) => 1,
        |e| e.findings_of("missing", ["error missing nowhere/*.cnf via declared `nowhere/*.cnf`"]);

    missing_include_target: {
        let s = committed_server();
        s.file("profiles/server.cnf", ".include validity/398.cnf\n.include validity/gone.cnf\n")
            .commit_all("gone");
        s
    } => 1, |e| e
        .findings_of("missing", ["error missing validity/gone.cnf via declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)"])
        .message_has("missing", "validity/gone.cnf", "referenced by profiles/server.cnf:2");

    present_include_target_is_not_missing: committed_server() => 1, |e| e.none_of("missing");

    // ---- unapproved

    unapproved_profile_without_manifest: committed_server() => 1, |e| e
        .findings(["error unapproved approved/server.toml"])
        .message_has("unapproved", "approved/server.toml", "no approved manifest");

    // ---- outside-root

    outside_root_declared_with_dot_dot: {
        let s = Sandbox::git_repo();
        std::fs::write(s.outside().join("secret.cnf"), "x\n").unwrap();
        s.config("[profiles.p]\ncomponents = [\"a.cnf\", \"../secret.cnf\"]\n")
            .file("a.cnf", "a\n")
            .commit_all("p");
        s
    } => 1, |e| e.findings_of("outside-root", ["error outside-root ../secret.cnf via declared `../secret.cnf`"]);

    dot_dot_that_stays_inside_is_not_outside_root: committed(
        "[profiles.p]\ncomponents = [\"a.cnf\", \"sub/../b.cnf\"]\n",
        &[("a.cnf", "a\n"), ("b.cnf", "b\n")],
    ) => 1, |e| e.none_of("outside-root").findings(["error unapproved approved/p.toml"]);

    outside_root_include_with_dot_dot: {
        let s = Sandbox::git_repo();
        std::fs::write(s.outside().join("validity.cnf"), "default_days = 825\n").unwrap();
        Ca::new().server_cnf(".include ../validity.cnf\n").write(&s).remove("validity").commit_all("p");
        s
    } => 1, |e| e.findings_of("outside-root", ["error outside-root ../validity.cnf via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)"]);

    outside_root_absolute_include: {
        let s = Sandbox::git_repo();
        let outside = s.outside().join("validity.cnf");
        std::fs::write(&outside, "default_days = 825\n").unwrap();
        server(&s)
            .remove("validity")
            .file("profiles/server.cnf", &format!(".include {}\n", outside.display()))
            .commit_all("p");
        s
    } => 1, |e| e.and(|r, s| assert_eq!(
        s.redact(&r.findings_of("outside-root").join("\n")),
        "error outside-root [SANDBOX]/validity.cnf via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)"
    ));

    absolute_include_inside_the_workspace_is_followed: {
        let s = Sandbox::git_repo();
        server(&s)
            .file("profiles/server.cnf", &format!(".include {}\n", s.path("validity/398.cnf").display()))
            .commit_all("p");
        s
    } => 1, |e| e
        .findings(["error unapproved approved/server.toml"])
        .and(|r, _| assert_eq!(r.components()[1], format!("server validity/398.cnf [file] {INCLUDED}")));

    outside_root_symlink: {
        let s = Sandbox::git_repo();
        let outside = s.outside().join("validity.cnf");
        std::fs::write(&outside, "default_days = 825\n").unwrap();
        s.config("[profiles.p]\ncomponents = [\"validity/\"]\n")
            .file("validity/398.cnf", "default_days = 397\n")
            .symlink("validity/825.cnf", "../../validity.cnf")
            .symlink("validity/abs.cnf", outside.to_str().unwrap())
            .commit_all("p");
        s
    } => 1, |e| e.findings_of("outside-root", [
        "error outside-root validity/825.cnf via declared `validity/`",
        "error outside-root validity/abs.cnf via declared `validity/`",
    ]);

    symlink_inside_the_workspace_is_followed: {
        let s = Sandbox::git_repo();
        s.config("[profiles.p]\ncomponents = [\"current.cnf\"]\n")
            .file("validity/398.cnf", "default_days = 397\n")
            .symlink("current.cnf", "validity/398.cnf")
            .commit_all("p");
        s
    } => 1, |e| e.none_of("outside-root").and(|r, _| assert_eq!(
        r.components(),
        [
            "p current.cnf [symlink] via declared `current.cnf`",
            "p validity/398.cnf [file] via declared `current.cnf` → symlink current.cnf",
        ]
    ));

    outside_root_through_a_linked_folder: {
        let s = Sandbox::git_repo();
        std::fs::create_dir_all(s.outside().join("shared")).unwrap();
        std::fs::write(s.outside().join("shared/ext.cnf"), "x\n").unwrap();
        s.config("[profiles.p]\ncomponents = [\"shared/ext.cnf\"]\n")
            .symlink("shared", "../shared")
            .commit_all("p");
        s
    } => 1, |e| e.findings_of("outside-root", ["error outside-root shared/ext.cnf via declared `shared/ext.cnf`"]);

    // ---- unreadable

    // A FIFO opened for reading would block this run until the timeout.
    unreadable_fifo_is_never_opened: {
        let s = committed(
            "[profiles.p]\ncomponents = [\"validity/\"]\nfollow = [\"openssl-include\"]\n",
            &[("validity/398.cnf", "default_days = 397\n")],
        );
        s.fifo("validity/pipe.cnf");
        s
    } => 1, |e| e
        .findings_of("unreadable", ["error unreadable validity/pipe.cnf via declared `validity/`"])
        .message_has("unreadable", "validity/pipe.cnf", "FIFO");

    unreadable_fifo_reached_by_include: {
        let s = committed_server();
        s.remove("validity/398.cnf").fifo("validity/398.cnf");
        s
    } => 1, |e| e.findings_of("unreadable", [format!("error unreadable validity/398.cnf {INCLUDED}")]);

    unreadable_socket: {
        let s = committed("[profiles.p]\ncomponents = [\"run/\"]\n", &[("run/a.cnf", "a\n")]);
        s.socket("run/ctl.sock");
        s
    } => 1, |e| e
        .findings_of("unreadable", ["error unreadable run/ctl.sock via declared `run/`"])
        .message_has("unreadable", "run/ctl.sock", "socket");

    regular_file_in_its_place_is_readable: committed(
        "[profiles.p]\ncomponents = [\"run/\"]\n",
        &[("run/a.cnf", "a\n"), ("run/ctl.sock", "not a socket\n")],
    ) => 1, |e| e.findings(["error unapproved approved/p.toml"]);

    // ---- where the workspace sits

    component_in_a_nested_repository_is_untracked_with_a_hint: {
        let s = Sandbox::git_repo();
        server(&s);
        s.git_ok(&["init", "-q", "validity"]);
        s.git_ok(&["-C", "validity", "add", "398.cnf"]);
        s.git_ok(&["-C", "validity", "commit", "-q", "-m", "nested"]);
        s.git_ok(&["add", "vigil.toml", "profiles"]);
        s.git_ok(&["commit", "-q", "-m", "p"]);
        s
    } => 1, |e| e
        .findings_of("untracked", [format!("error untracked validity/398.cnf {INCLUDED}")])
        .message_has("untracked", "validity/398.cnf", "nested repository");
}

// ---- cases that take several steps

#[test]
fn staged_new_component_is_uncommitted_added() {
    let s = approved_server();
    s.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include ext/ocsp.cnf\n",
    )
    .file(
        "ext/ocsp.cnf",
        "authorityInfoAccess = OCSP;URI:http://ocsp.example\n",
    );
    s.git_ok(&["add", "ext/ocsp.cnf"]);
    s.expect_check(1)
        .findings_of("uncommitted", [
            "error uncommitted ext/ocsp.cnf via declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)",
            "error uncommitted profiles/server.cnf via declared `profiles/server.cnf`",
        ])
        .message_has("uncommitted", "ext/ocsp.cnf", "added")
        .run();
    // The same file, not staged, is untracked rather than added.
    s.git_ok(&["reset", "-q", "ext/ocsp.cnf"]);
    s.expect_check(1)
        .and(|r, _| assert_eq!(r.findings_of("untracked").len(), 1))
        .and(|r, _| {
            assert!(r
                .findings_of("uncommitted")
                .iter()
                .all(|l| !l.contains("ocsp")))
        })
        .run();
}

#[test]
fn deleted_tracked_component_is_missing_and_its_deletion_uncommitted() {
    let s = approved_server();
    s.remove("validity/398.cnf");
    s.expect_check(1)
        .findings([
            format!("error missing validity/398.cnf {INCLUDED}"),
            format!("error uncommitted validity/398.cnf {INCLUDED}"),
        ])
        .message_has("uncommitted", "validity/398.cnf", "deleted")
        .run();
    // Staged with `git rm`: still an uncommitted deletion.
    s.git_ok(&["rm", "-q", "--cached", "validity/398.cnf"]);
    s.expect_check(1)
        .message_has("uncommitted", "validity/398.cnf", "deleted")
        .run();
    // Committed: only missing.
    s.commit_all("drop validity");
    s.expect_check(1)
        .findings([format!("error missing validity/398.cnf {INCLUDED}")])
        .run();
}

#[test]
fn missing_declared_exact_path() {
    let s = committed(
        "[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n",
        &[("a.cnf", "x\n")],
    );
    s.expect_check(1)
        .findings_of("missing", ["error missing b.cnf via declared `b.cnf`"])
        .run();
    s.file("b.cnf", "y\n").commit_all("b");
    s.expect_check(1).none_of("missing").run();
}

#[test]
fn missing_glob_that_matches_nothing() {
    let s = committed(
        "[profiles.p]\ncomponents = [\"validity/*.cnf\"]\n",
        &[("validity/README", "no profiles here\n")],
    );
    s.expect_check(1)
        .findings_of(
            "missing",
            ["error missing validity/*.cnf via declared `validity/*.cnf`"],
        )
        .message_has("missing", "validity/*.cnf", "matched nothing")
        .run();
    s.file("validity/398.cnf", "default_days = 397\n")
        .commit_all("398");
    s.expect_check(1)
        .none_of("missing")
        .and(|r, _| {
            assert_eq!(
                r.components(),
                ["p validity/398.cnf [file] via declared `validity/*.cnf`"]
            )
        })
        .run();
}

#[test]
fn unapproved_component_added_after_approval() {
    let s = approved_server();
    s.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include ext/ocsp.cnf\n",
    )
    .file(
        "ext/ocsp.cnf",
        "authorityInfoAccess = OCSP;URI:http://ocsp.example\n",
    )
    .commit_all("ocsp");
    s.expect_check(1)
        .findings([
            "error stale profiles/server.cnf via declared `profiles/server.cnf`",
            "error unapproved ext/ocsp.cnf via declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)",
        ])
        .run();
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve ocsp");
    s.check_json().expect(0);
}

#[test]
fn orphaned_component_is_a_warning() {
    let s = approved_server();
    s.file(
        "profiles/server.cnf",
        "[ext]\nkeyUsage = digitalSignature\n",
    )
    .commit_all("no validity include");
    s.expect_check(1)
        .findings([
            "error stale profiles/server.cnf via declared `profiles/server.cnf`",
            "warning orphaned validity/398.cnf",
        ])
        .run();
    // Re-approving drops it from the manifest.
    s.vigil(&["approve", "server"]).expect(0);
    let approved = s.read("approved/server.toml");
    assert!(!approved.contains("validity/398.cnf"), "{approved}");
    s.commit_all("approve");
    s.check_json().expect(0);
}

#[test]
fn orphaned_only_warns_and_exits_zero() {
    let s = committed(
        "[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n",
        &[("a.cnf", "a\n"), ("b.cnf", "b\n")],
    );
    s.vigil(&["approve", "p"]).expect(0);
    s.commit_all("approve");
    s.check_json().expect(0);
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .commit_all("drop b");
    s.expect_check(0)
        .findings(["warning orphaned b.cnf"])
        .and(|r, _| assert_eq!(r.json()["summary"]["warnings"], 1))
        .run();
}

#[test]
fn unreadable_by_permissions() {
    let s = committed_server();
    s.chmod("validity/398.cnf", 0o000);
    s.expect_check(1)
        .unprivileged()
        .findings_of(
            "unreadable",
            [format!("error unreadable validity/398.cnf {INCLUDED}")],
        )
        .run();
    // The same run with the permission restored reads it.
    s.chmod("validity/398.cnf", 0o644);
    s.expect_check(1)
        .unprivileged()
        .findings(["error unapproved approved/server.toml"])
        .run();
}

#[test]
fn unreadable_folder_by_permissions() {
    let s = committed(
        "[profiles.p]\ncomponents = [\"ext/\"]\n",
        &[("ext/a.cnf", "a\n"), ("ext/private/b.cnf", "b\n")],
    );
    s.chmod("ext/private", 0o000);
    // The permission is restored before asserting, so a failure still cleans up.
    let r = s.expect_check(1).unprivileged().run();
    s.chmod("ext/private", 0o755);
    assert_eq!(
        r.findings_of("unreadable"),
        ["error unreadable ext/private via declared `ext/`"]
    );
}

// ---- where the workspace sits

#[test]
fn workspace_in_a_subfolder_of_the_repository() {
    let s = Sandbox::git_repo();
    s.file("ca/vigil.toml", &Ca::new().config())
        .file(
            "ca/profiles/server.cnf",
            ".include validity/398.cnf\n.include ../shared.cnf\n",
        )
        .file("ca/validity/398.cnf", "default_days = 397\n")
        .file("shared.cnf", "in the repository, outside the workspace\n")
        .commit_all("p");
    let ca = s.path("ca");
    let r = s.vigil_in(&ca, &["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.findings(),
        [
            "error outside-root ../shared.cnf via declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)",
            "error unapproved approved/server.toml",
        ]
    );
    // Tracked and committed, although git paths carry the `ca/` prefix.
    let j = r.json();
    assert_eq!(j["profiles"][0]["components"][1]["vcs_status"], "committed");
    // An edit below the prefix is seen.
    s.file("ca/validity/398.cnf", "default_days = 825\n");
    let r = s.vigil_in(&ca, &["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.findings_of("uncommitted"),
        [format!("error uncommitted validity/398.cnf {INCLUDED}")]
    );
}

#[test]
fn configuration_is_found_from_a_subfolder() {
    let s = approved_server();
    let r = s.vigil_in(&s.path("validity"), &["check", "--format", "json"]);
    r.expect(0);
}

#[test]
fn approve_before_the_first_commit() {
    let s = Sandbox::git_repo();
    server(&s);
    s.git_ok(&["add", "-A"]);
    let r = s.check_json().expect(1);
    // Both components and vigil.toml itself are added, not committed.
    let uncommitted = r.findings_of("uncommitted");
    assert_eq!(uncommitted.len(), 3, "{uncommitted:?}");
    assert!(
        uncommitted
            .iter()
            .any(|f| f.ends_with("uncommitted vigil.toml")),
        "{uncommitted:?}"
    );
    assert_eq!(r.json()["revision"]["id"], serde_json::Value::Null);
    s.vigil(&["approve", "server"]).expect(0);
    let m = s.read("approved/server.toml");
    assert!(m.contains("local-changes = true"), "{m}");
    assert!(!m.contains("id = "), "no commit to record yet: {m}");
    s.commit_all("first");
    s.vigil(&["check"]).expect(0);
}

#[test]
fn retargeted_symlink_is_stale() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"current.cnf\", \"validity/\"]\n")
        .file("validity/398.cnf", "default_days = 397\n")
        .file("validity/825.cnf", "default_days = 825\n")
        .symlink("current.cnf", "validity/398.cnf")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    s.commit_all("approve");
    s.vigil(&["check"]).expect(0);
    s.remove("current.cnf")
        .symlink("current.cnf", "validity/825.cnf")
        .commit_all("retarget");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings(),
        ["error stale current.cnf via declared `current.cnf`"]
    );
}

// ---- severities

#[test]
fn gate_mode_makes_orphaned_an_error_and_overrides_apply() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n")
        .file("a.cnf", "a\n")
        .file("b.cnf", "b\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    s.commit_all("approve");
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .commit_all("drop b");
    s.check_json().expect(0);
    let r = s
        .vigil(&["check", "--mode", "gate", "--format", "json"])
        .expect(1);
    assert_eq!(r.findings(), ["error orphaned b.cnf"]);
    // `off` drops a finding; a relaxed severity never lets an untracked file be approved.
    s.config("[severity.nightly]\norphaned = \"off\"\nuntracked = \"note\"\n[profiles.p]\ncomponents = [\"a.cnf\", \"c.cnf\"]\n")
        .commit_all("relax");
    s.file("c.cnf", "c\n");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings(),
        [
            "error unapproved c.cnf via declared `c.cnf`",
            "note untracked c.cnf via declared `c.cnf`",
        ]
    );
    let a = s.vigil(&["approve", "p"]).expect(1);
    assert!(a.stderr.contains("p untracked: c.cnf"), "{}", a.stderr);
}

/// The approval itself must be under change control: a manifest edited after it was committed is
/// `uncommitted` in the nightly check, and committing it clears that.
#[test]
fn an_edited_manifest_is_uncommitted() {
    let s = approved_server();
    let m = s.read("approved/server.toml");
    s.file(
        "approved/server.toml",
        &m.replace("approved-by = ", "reason = \"hand edit\"\napproved-by = "),
    );
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(r.finding_codes(), ["uncommitted approved/server.toml"]);
    s.commit_all("commit the edit");
    s.vigil(&["check"]).expect(0);
}
