//! SARIF 2.1.0, for code-scanning dashboards and any tool that reads static-analysis results.
//!
//! Rule ids are the finding codes, each rule carrying its description and remedy. A result's location is
//! the component, relative to the workspace through the `WORKSPACE` base id (declared in
//! `originalUriBaseIds` with the workspace's absolute `file:` URI); the chain of references that led to
//! it becomes `relatedLocations` (with the referencing line) and, verbatim, `properties.via`.
//! A test validates the output against the official schema (tests/data/sarif-schema-2.1.0.json).

use crate::check::Report;
use crate::config::Mode;
use crate::finding::{Code, Finding, Severity};
use crate::inventory::Step;
use serde_json::{json, Value};

/// The URI base id under which result locations are relative.
pub const BASE_ID: &str = "WORKSPACE";
const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Off => "none",
        Severity::Note => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// Percent-encodes a path for a URI: everything but unreserved characters and `/`.
fn encode_path(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// An artifact location: relative to the workspace when the path is in it, else an absolute `file:` URI.
fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", encode_path(path.as_bytes())) })
    } else {
        json!({ "uri": encode_path(path.as_bytes()), "uriBaseId": BASE_ID })
    }
}

/// The path is inside the workspace (not absolute, no `..` segment).
fn in_workspace(path: &str) -> bool {
    !path.starts_with('/') && !path.split('/').any(|seg| seg == "..")
}

fn rule(code: Code, mode: Mode) -> Value {
    let default = code.default_severity(mode);
    let name: String = code
        .as_str()
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    json!({
        "id": code.as_str(),
        "name": name,
        "shortDescription": { "text": code.description() },
        "fullDescription": { "text": format!("{} Fix: {}.", code.description(), code.remedy()) },
        "help": {
            "text": format!("Fix: {}.", code.remedy()),
            "markdown": format!("**Fix:** {}.", code.remedy()),
        },
        "defaultConfiguration": { "level": level(default) },
    })
}

fn related(via: &[Step]) -> Vec<Value> {
    via.iter()
        .enumerate()
        .map(|(i, step)| {
            let physical = match step {
                Step::Declared { .. } => json!({
                    "artifactLocation": { "uri": "vigil.toml", "uriBaseId": BASE_ID },
                }),
                Step::Reference { from, line, .. } if *line > 0 => json!({
                    "artifactLocation": artifact(&from.to_string()),
                    "region": { "startLine": line },
                }),
                Step::Reference { from, .. } => {
                    json!({ "artifactLocation": artifact(&from.to_string()) })
                }
                Step::Symlink { link } => {
                    json!({ "artifactLocation": artifact(&link.to_string()) })
                }
            };
            json!({
                "id": i,
                "physicalLocation": physical,
                "message": { "text": step.to_string() },
            })
        })
        .collect()
}

fn result(f: &Finding, rule_index: usize) -> Value {
    // A path outside the workspace is where the problem points, not where it is: locate the result at
    // the reference that leads out, when there is one.
    let location = match f.via.last() {
        Some(Step::Reference { from, line, .. }) if !in_workspace(&f.path) && *line > 0 => json!({
            "artifactLocation": artifact(&from.to_string()),
            "region": { "startLine": line },
        }),
        _ => match f.line {
            Some(line) => json!({
                "artifactLocation": artifact(&f.path),
                "region": { "startLine": line },
            }),
            None => json!({ "artifactLocation": artifact(&f.path) }),
        },
    };
    let mut r = json!({
        "ruleId": f.code.as_str(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "kind": "fail",
        "message": { "text": format!("{}: {} (profile {}). Fix: {}.", f.path, f.message, f.profile, f.code.remedy()) },
        "locations": [{ "physicalLocation": location }],
        "partialFingerprints": { "vigilFinding/v1": format!("{}:{}:{}", f.profile, f.code, f.path) },
        "properties": {
            "profile": f.profile,
            "path": f.path,
            "via": f.via,
        },
    });
    if let Some(l) = &f.lint {
        r["properties"]["lint"] = json!(l);
        // Several linter results share a profile and a path: the linter's code tells them apart.
        r["partialFingerprints"]["vigilFinding/v1"] =
            json!(format!("{}:{}:{}:{}", f.profile, f.code, f.path, l.code));
    }
    let rel = related(&f.via);
    if !rel.is_empty() {
        r["relatedLocations"] = Value::Array(rel);
    }
    r
}

/// The SARIF log as a JSON value.
pub fn to_sarif(r: &Report) -> Value {
    let rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c, r.mode)).collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let idx = Code::ALL
                .iter()
                .position(|c| *c == f.code)
                .expect("every code is in ALL");
            result(f, idx)
        })
        .collect();
    let mut ws = encode_path(r.workspace.as_os_str().as_encoded_bytes());
    if !ws.ends_with('/') {
        ws.push('/');
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vigil",
                "version": crate::VERSION,
                "semanticVersion": crate::VERSION,
                "rules": rules,
            }},
            "automationDetails": { "id": format!("vigil/{}/", r.mode.as_str()) },
            "originalUriBaseIds": {
                BASE_ID: {
                    "uri": format!("file://{ws}"),
                    "description": { "text": "The workspace: the folder holding vigil.toml." },
                },
            },
            "invocations": [{
                "executionSuccessful": true,
                "endTimeUtc": super::timestamp(r.generated_at),
            }],
            "results": results,
            "properties": {
                "mode": r.mode.as_str(),
                "source": r.source,
                "vcs": r.vcs,
                "revision": { "vcs": r.revision.vcs, "id": r.revision.id },
                "profiles": r.profiles.iter().map(|p| &p.name).collect::<Vec<_>>(),
                "failed": r.failed(),
            },
        }],
    })
}

/// The SARIF log as bytes, pretty-printed, ending in a newline.
pub fn render(r: &Report) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&to_sarif(r)).expect("SARIF always serialises");
    v.push(b'\n');
    v
}
