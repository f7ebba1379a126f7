//! Snapshots of what people and programs read: `check` and `inventory` in both formats, and the
//! manifest. Temporary paths and times are redacted; commit ids are stable because the sandbox fixes
//! identities and dates. Review a change with `INSTA_UPDATE=always cargo test --test it snapshots`
//! and `git diff tests/it/snapshots/`; under `CI=true` nothing is written and a mismatch fails.

use crate::support::Sandbox;

const CONFIG: &str = r#"
[profiles.server]
description = "TLS server authentication"
components = ["profiles/server.cnf"]
follow = ["openssl-include"]

[profiles.client]
description = "TLS client authentication"
components = ["profiles/client.cnf", "policies/*.txt"]
follow = ["openssl-include"]
"#;

/// Two profiles sharing a validity component and an extensions folder, approved and committed; then a
/// stale edit, an untracked extension, a missing include and a manifest left with an orphan.
fn ca() -> Sandbox {
    let s = Sandbox::git_repo();
    s.config(CONFIG)
        .file(
            "profiles/server.cnf",
            "# TLS server\n.include validity/398.cnf\n.include ext/\n[ext]\nextendedKeyUsage = serverAuth\n",
        )
        .file(
            "profiles/client.cnf",
            "# TLS client\n.include validity/398.cnf\n.include = policies/legacy.cnf\n",
        )
        .file("policies/legacy.cnf", "certificatePolicies = 1.3.6.1.4.1.99999.1\n")
        .file("policies/cps.txt", "https://ca.example/cps\n")
        .file("validity/398.cnf", "default_days = 397\n")
        .file("ext/ocsp.cnf", "authorityInfoAccess = OCSP;URI:http://ocsp.ca.example\n")
        .symlink("ext/current.cnf", "ocsp.cnf")
        .commit_all("profiles");
    s.vigil(&[
        "approve",
        "server",
        "client",
        "--reason",
        "initial profiles",
    ])
    .expect(0);
    s.pin_approval_time("approved/server.toml")
        .pin_approval_time("approved/client.toml")
        .commit_all("approve");
    s.file("validity/398.cnf", "default_days = 825\n")
        .file(
            "profiles/client.cnf",
            "# TLS client\n.include validity/398.cnf\n.include policies/gone.cnf\n",
        )
        .commit_all("2020-09-01 validity update");
    s.file("ext/sct.cnf", "ct_precert_scts = critical,ASN1:NULL\n");
    s
}

#[test]
fn check_human() {
    let s = ca();
    let r = s.vigil(&["check"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn check_json() {
    let s = ca();
    let r = s.check_json().expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn check_clean_human() {
    let s = Sandbox::git_repo();
    s.config(CONFIG)
        .file("profiles/server.cnf", ".include validity/398.cnf\n")
        .file("profiles/client.cnf", ".include validity/398.cnf\n")
        .file("policies/cps.txt", "https://ca.example/cps\n")
        .file("validity/398.cnf", "default_days = 397\n")
        .commit_all("profiles");
    s.vigil(&["approve", "server", "client"]).expect(0);
    s.pin_approval_time("approved/server.toml")
        .pin_approval_time("approved/client.toml")
        .commit_all("approve");
    let r = s.vigil(&["check"]).expect(0);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn check_no_repository_human() {
    let s = Sandbox::plain();
    s.config(CONFIG)
        .file("profiles/server.cnf", ".include validity/398.cnf\n")
        .file("validity/398.cnf", "default_days = 397\n");
    let r = s.vigil(&["check", "server"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn inventory_human() {
    let s = ca();
    let r = s.vigil(&["inventory"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn inventory_json() {
    let s = ca();
    let r = s.vigil(&["inventory", "--format", "json"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn manifest_file() {
    let s = ca();
    s.git_ok(&["checkout", "-q", "HEAD~1", "--", "."]);
    s.remove("ext/sct.cnf");
    // Approved with an uncommitted change, so `local-changes = true`.
    s.file("validity/398.cnf", "default_days = 397\n# reviewed\n");
    s.vigil(&[
        "approve",
        "server",
        "--reason",
        "one commit: change and approval",
    ])
    .expect(0);
    insta::assert_snapshot!(s.redact(&s.read("approved/server.toml")));
}

#[test]
fn approve_refusal_stderr() {
    let s = ca();
    let r = s.vigil(&["approve", "server", "client"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stderr));
}

#[test]
fn diff_of_stale_components() {
    let s = ca();
    let r = s.vigil(&["diff", "client"]).expect(0);
    insta::assert_snapshot!(s.redact(&r.stdout));
}
