//! SARIF 2.1.0, for code-scanning dashboards and any tool that reads static-analysis results.
//!
//! Rule ids are the finding codes, each rule carrying its description, its remedy and a `helpUri` to its
//! row in the README. A result's location is the component relative to the top of the repository (the
//! git work tree or Subversion working copy holding the workspace) through the `%SRCROOT%` base id,
//! declared in `originalUriBaseIds` with the repository's absolute `file:` URI: code-scanning services
//! resolve locations against the repository they scan, so a workspace in `ca/` reports
//! `ca/validity/x.cnf`, not `validity/x.cnf`. `WORKSPACE` names the workspace folder. A finding about
//! one line has a `region`; the chain of references that led to it becomes `relatedLocations` (with the
//! referencing line) and, verbatim, `properties.via`.
//! Tests validate the output against the official schema (tests/data/sarif-schema-2.1.0.json) and load
//! it with a SARIF library.

use crate::check::Report;
use crate::config::Mode;
use crate::finding::{Code, Finding, Severity};
use crate::inventory::Step;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The URI base id of the repository's top folder, under which every location is relative (the name
/// GitHub code scanning and the SARIF tools expect).
pub const SRCROOT: &str = "%SRCROOT%";
/// The URI base id of the workspace (the folder holding vigil.toml), declared for readers.
pub const BASE_ID: &str = "WORKSPACE";

/// The README whose finding rows the rules' `helpUri`s point at (`#finding-CODE`): `VIGIL_DOCS_URL` at
/// build time when set; else the README in the repository Cargo.toml's `repository` names; else the
/// copy the Debian package installs, which is on every host that runs the packaged vigil. (No address
/// is made up: a link that leads nowhere is worse than a local file.)
pub const DOCS_URL: &str = match option_env!("VIGIL_DOCS_URL") {
    Some(u) => u,
    None if env!("CARGO_PKG_REPOSITORY").is_empty() => PACKAGED_README,
    None => concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/HEAD/README.md"),
};
/// Where the Debian package installs the README (`[package.metadata.deb]` in Cargo.toml).
pub const PACKAGED_README: &str = "file:///usr/share/doc/vigil/README.md";
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

/// Turns workspace-relative paths into artifact locations relative to the repository's top.
struct Locator {
    /// The workspace folder, relative to the repository's top: `ca/`, or empty.
    prefix: String,
    /// The workspace's absolute path, for paths that lead out of the repository.
    workspace: PathBuf,
}

impl Locator {
    /// An artifact location: relative to `%SRCROOT%` when the path is in the repository, else an
    /// absolute `file:` URI.
    fn artifact(&self, path: &str) -> Value {
        if path.starts_with('/') {
            return json!({ "uri": format!("file://{}", encode_path(path.as_bytes())) });
        }
        match normalize(&format!("{}{path}", self.prefix)) {
            Some(rel) => json!({ "uri": encode_path(rel.as_bytes()), "uriBaseId": SRCROOT }),
            None => {
                let abs = normalize(&format!(
                    "{}/{path}",
                    self.workspace.display().to_string().trim_start_matches('/')
                ))
                .unwrap_or_default();
                json!({ "uri": format!("file:///{}", encode_path(abs.as_bytes())) })
            }
        }
    }
}

/// Resolves `.` and `..` segments of a relative path; `None` when it leads above its start.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// The top of the git work tree or Subversion working copy holding `workspace` (the workspace itself
/// when it is in neither).
fn repository_top(workspace: &Path) -> PathBuf {
    match crate::vcs::detect(workspace) {
        crate::vcs::Detected::Git(top) | crate::vcs::Detected::Svn(top) => top,
        crate::vcs::Detected::None => workspace.to_path_buf(),
    }
}

/// An absolute folder as a `file:` URI ending in `/`.
fn folder_uri(dir: &Path) -> String {
    let mut p = encode_path(dir.as_os_str().as_encoded_bytes());
    if !p.ends_with('/') {
        p.push('/');
    }
    format!("file://{p}")
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
        "helpUri": format!("{DOCS_URL}#finding-{}", code.as_str()),
    })
}

fn related(via: &[Step], at: &Locator) -> Vec<Value> {
    via.iter()
        .enumerate()
        .map(|(i, step)| {
            let physical = match step {
                Step::Declared { .. } => json!({
                    "artifactLocation": at.artifact(crate::config::CONFIG_FILE),
                }),
                Step::Reference { from, line, .. } if *line > 0 => json!({
                    "artifactLocation": at.artifact(&from.to_string()),
                    "region": { "startLine": line },
                }),
                Step::Reference { from, .. } => {
                    json!({ "artifactLocation": at.artifact(&from.to_string()) })
                }
                Step::Symlink { link } => {
                    json!({ "artifactLocation": at.artifact(&link.to_string()) })
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

fn result(f: &Finding, rule_index: usize, at: &Locator) -> Value {
    // A path outside the workspace is where the problem points, not where it is: locate the result at
    // the reference that leads out, when there is one.
    let location = match f.via.last() {
        Some(Step::Reference { from, line, .. }) if !in_workspace(&f.path.text()) && *line > 0 => {
            json!({
                "artifactLocation": at.artifact(&from.to_string()),
                "region": { "startLine": line },
            })
        }
        _ => match f.line {
            Some(line) => json!({
                "artifactLocation": at.artifact(&f.path.text()),
                "region": { "startLine": line },
            }),
            None => json!({ "artifactLocation": at.artifact(&f.path.text()) }),
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
    let rel = related(&f.via, at);
    if !rel.is_empty() {
        r["relatedLocations"] = Value::Array(rel);
    }
    r
}

/// The SARIF log as a JSON value.
pub fn to_sarif(r: &Report) -> Value {
    to_sarif_in(r, &repository_top(&r.workspace))
}

/// The SARIF log with locations relative to `top`, a folder at or above the workspace.
pub fn to_sarif_in(r: &Report, top: &Path) -> Value {
    let prefix = match r.workspace.strip_prefix(top) {
        Ok(rel) if !rel.as_os_str().is_empty() => format!("{}/", rel.display()),
        _ => String::new(),
    };
    let top = if prefix.is_empty() { &r.workspace } else { top };
    let at = Locator {
        prefix,
        workspace: r.workspace.clone(),
    };
    let rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c, r.mode)).collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let idx = Code::ALL
                .iter()
                .position(|c| *c == f.code)
                .expect("every code is in ALL");
            result(f, idx, &at)
        })
        .collect();
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
                SRCROOT: {
                    "uri": folder_uri(top),
                    "description": { "text": "The top of the repository (git work tree or Subversion working copy) holding the workspace; every location is relative to it." },
                },
                BASE_ID: {
                    "uri": folder_uri(&r.workspace),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_repository_relative_and_leave_it_only_as_absolute_uris() {
        let at = Locator {
            prefix: "ca/".into(),
            workspace: PathBuf::from("/srv/repo/ca"),
        };
        let uri = |p: &str| at.artifact(p);
        assert_eq!(
            uri("validity/x y.cnf"),
            json!({"uri": "ca/validity/x%20y.cnf", "uriBaseId": SRCROOT})
        );
        // Out of the workspace but in the repository: still relative to its top.
        assert_eq!(
            uri("../shared/./a.cnf"),
            json!({"uri": "shared/a.cnf", "uriBaseId": SRCROOT})
        );
        // Out of the repository: an absolute URI, which no scanning service mistakes for its own file.
        assert_eq!(
            uri("../../etc/ssl/a.cnf"),
            json!({"uri": "file:///srv/etc/ssl/a.cnf"})
        );
        assert_eq!(uri("/etc/a.cnf"), json!({"uri": "file:///etc/a.cnf"}));
        assert_eq!(normalize("a/../../b"), None);
    }
}
