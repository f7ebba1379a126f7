//! `vigil gate --all` and the gate's JSON and Markdown outputs for a change ticket, over real git
//! repositories; the JSON is validated against the committed schema.

use crate::nightly::approved_ca;
use crate::support::{Run, Sandbox};

/// An approved `server` profile, committed, and a `client` profile never approved.
fn two_profiles(s: &Sandbox) {
    approved_ca(s);
    let toml = std::fs::read_to_string(s.path("vigil.toml")).unwrap();
    s.file(
        "vigil.toml",
        &format!("{toml}\n[profiles.client]\ncomponents = [\"profiles/client.cnf\"]\n"),
    )
    .file("profiles/client.cnf", "[client]\n");
    s.commit_all("client profile");
}

#[track_caller]
fn assert_valid(v: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/gate.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{v:#}");
}

/// Output with the sandbox, times, the version, the manifest's hash and commit ids replaced.
fn redacted(s: &Sandbox, r: &Run) -> String {
    let mut text = s.redact(&r.stdout).replace(vigil::VERSION, "[VERSION]");
    if let Ok(m) = std::fs::read(s.path("approved/server.toml")) {
        text = text.replace(blake3::hash(&m).to_hex().as_str(), "[MANIFEST-BLAKE3]");
    }
    let id = regex::Regex::new(r"\b[0-9a-f]{40}\b").unwrap();
    let text = id.replace_all(&text, "[COMMIT]").into_owned();
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    time.replace_all(&text, "[TIME]").into_owned()
}

#[test]
fn all_gates_every_profile() {
    let s = Sandbox::git_repo();
    two_profiles(&s);
    let r = s.vigil(&["gate", "--all"]).expect(1);
    assert!(
        r.stdout.contains("profiles:    client, server\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\nclient: FAIL"), "{}", r.stdout);
    assert!(r.stdout.contains("\nserver: PASS"), "{}", r.stdout);
    // Naming profiles and --all together is a usage error, and so is naming none.
    s.vigil(&["gate", "--all", "server"]).expect(2);
    s.vigil(&["gate"]).expect(2);
}

#[test]
fn json_names_the_approval_commit_and_is_valid() {
    let s = Sandbox::git_repo();
    two_profiles(&s);
    let approval = s.git(&["rev-parse", "HEAD~1"]).stdout.trim().to_string();
    let made_on = s.git(&["rev-parse", "HEAD~2"]).stdout.trim().to_string();
    let r = s.vigil(&["gate", "--all", "--format", "json"]).expect(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_valid(&v);
    assert_eq!(v["verdict"], "FAIL");
    let server = &v["profiles"][1];
    assert_eq!(server["name"], "server");
    assert_eq!(server["verdict"], "PASS");
    assert_eq!(server["approval"]["commit"], approval.as_str());
    assert_eq!(server["approval"]["made_on"], made_on.as_str());
    assert_eq!(server["approval"]["in_history"], true);
    assert_eq!(
        server["approval"]["approved_by"],
        "Ada Approver <ada@ca.example>"
    );
    let client = &v["profiles"][0];
    assert_eq!(client["verdict"], "FAIL");
    assert!(client["approval"].is_null());
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["profile"] == "client" && f["code"] == "unapproved"));
}

#[test]
fn json_lists_requirements_and_is_written_with_output() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let ticket = s.outside().join("CHG-1.json");
    let r = s
        .vigil(&[
            "gate",
            "server",
            "--format",
            "json",
            "-o",
            ticket.to_str().unwrap(),
        ])
        .expect(0);
    assert_eq!(std::fs::read_to_string(&ticket).unwrap(), r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_valid(&v);
    assert_eq!(v["verdict"], "PASS");
    assert_eq!(
        v["profiles"][0]["approval"]["signers"],
        serde_json::json!([])
    );
}

#[test]
fn markdown_for_a_change_ticket() {
    let s = Sandbox::git_repo();
    two_profiles(&s);
    let r = s
        .vigil(&["gate", "--all", "--format", "markdown"])
        .expect(1);
    let approval = s.git(&["rev-parse", "HEAD~1"]).stdout.trim().to_string();
    assert!(
        r.stdout
            .contains(&format!("| approval commit | git {approval} |")),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!("gate_markdown", redacted(&s, &r));
}
