//! SARIF as code scanning reads it: locations relative to the top of the repository (a workspace in
//! `ca/` reports `ca/validity/...`), a region where a finding is about one line, a helpUri per rule to a
//! stable anchor in the README; validated against the official SARIF 2.1.0 schema and loaded by a real
//! SARIF library (Python `jsonschema` and Microsoft's `sarif-tools`, in the venv scripts/test makes).

use crate::support::{run_bounded, Sandbox};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python with sarif-tools and jsonschema; never skipped.
fn consumer_python() -> PathBuf {
    let python = manifest_dir().join("target/test-venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import jsonschema, sarif.loader"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "sarif-tools and jsonschema are missing: run scripts/test, which installs them into \
         target/test-venv (python3 -m venv target/test-venv && target/test-venv/bin/python -m pip \
         install sarif-tools jsonschema)"
    );
    python
}

/// Runs the consumer on a SARIF file: validation against the official schema, then sarif-tools.
fn consume(sarif: &Path) -> (i32, String, String) {
    let mut c = Command::new(consumer_python());
    c.arg(manifest_dir().join("tests/data/sarif_consumer.py"))
        .arg(manifest_dir().join("tests/data/sarif-schema-2.1.0.json"))
        .arg(sarif)
        .stdin(Stdio::null());
    let r = run_bounded(c);
    (r.code, r.stdout, r.stderr)
}

/// A git repository holding the bundled example CA in `ca/`, committed: vigil.toml is in `ca/`, not at
/// the top. Its VPN validity was changed after approval, so it is stale and breaks a requirement at a
/// line.
fn repo_with_ca_in_a_subfolder() -> Sandbox {
    let s = Sandbox::git_repo();
    let status = Command::new("cp")
        .arg("-R")
        .arg(manifest_dir().join("examples/ca"))
        .arg(s.path("ca"))
        .status()
        .unwrap();
    assert!(status.success());
    s.file("README", "the CA's configuration is in ca/\n");
    s.commit_all("the CA");
    s
}

fn sarif_of(s: &Sandbox) -> (PathBuf, serde_json::Value) {
    let out = s.outside().join("vigil.sarif");
    s.vigil_in(
        &s.path("ca"),
        &[
            "check",
            "--format",
            "sarif",
            "--as-of",
            "2026-11-29",
            "-o",
            out.to_str().unwrap(),
        ],
    )
    .expect(1);
    let v = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (out, v)
}

#[test]
fn sarif_locations_are_relative_to_the_repository_top_and_resolve_to_its_files() {
    let s = repo_with_ca_in_a_subfolder();
    let (_, v) = sarif_of(&s);
    let run = &v["runs"][0];
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        format!("file://{}/", s.root.display())
    );
    assert_eq!(
        run["originalUriBaseIds"]["WORKSPACE"]["uri"],
        format!("file://{}/", s.path("ca").display())
    );
    let results = run["results"].as_array().unwrap();
    let find = |code: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == code)
            .unwrap_or_else(|| panic!("no {code} in {results:#?}"))
    };
    let stale = &find("stale")["locations"][0]["physicalLocation"];
    assert_eq!(
        stale["artifactLocation"],
        serde_json::json!({"uri": "ca/validity/cisco-vpn-server.cnf", "uriBaseId": "%SRCROOT%"})
    );
    // The violation is about one line: the `default_days` that breaks the 200-day limit.
    let violation = &find("violation")["locations"][0]["physicalLocation"];
    assert_eq!(
        violation["artifactLocation"]["uri"],
        "ca/validity/cisco-vpn-server.cnf"
    );
    assert_eq!(violation["region"]["startLine"], 5);
    let line5 = s.read("ca/validity/cisco-vpn-server.cnf");
    assert!(
        line5.lines().nth(4).unwrap().starts_with("default_days"),
        "{line5}"
    );
    // The chain: vigil.toml (in ca/), then the include line in the profile.
    let related = find("stale")["relatedLocations"].as_array().unwrap();
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        "ca/vigil.toml"
    );

    // Every location, as code scanning resolves it against the checked-out repository, is a file there.
    let mut uris = Vec::new();
    for r in results {
        for l in r["locations"]
            .as_array()
            .unwrap()
            .iter()
            .chain(r["relatedLocations"].as_array().into_iter().flatten())
        {
            let a = &l["physicalLocation"]["artifactLocation"];
            assert_eq!(a["uriBaseId"], "%SRCROOT%", "{a}");
            uris.push(a["uri"].as_str().unwrap().to_string());
        }
    }
    assert!(uris.len() >= 6, "{uris:?}");
    for u in &uris {
        assert!(s.path(u).is_file(), "{u} is not a file of the repository");
    }
}

/// Where the rules' helpUris must lead, by the rule in src/report/sarif.rs: the address set at build
/// time, else the README of Cargo.toml's `repository`, else the copy the Debian package installs
/// (tests/it/package.rs checks that the installed vigil's rules name a file the package holds).
fn readme_address() -> String {
    match (option_env!("VIGIL_DOCS_URL"), env!("CARGO_PKG_REPOSITORY")) {
        (Some(u), _) => u.to_string(),
        (None, "") => "file:///usr/share/doc/vigil/README.md".to_string(),
        (None, repo) => format!("{repo}/blob/HEAD/README.md"),
    }
}

#[test]
fn every_rule_has_a_help_uri_to_its_row_in_the_readme() {
    let s = repo_with_ca_in_a_subfolder();
    let (_, v) = sarif_of(&s);
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), vigil::Code::ALL.len());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let uri = rule["helpUri"].as_str().unwrap();
        let (page, anchor) = uri.split_once('#').unwrap();
        assert_eq!(page, readme_address(), "{uri}");
        assert_eq!(anchor, format!("finding-{id}"));
        assert!(
            readme.contains(&format!("<a id=\"{anchor}\"></a>\n")),
            "README.md has no anchor `{anchor}` for `{id}` (above the Findings table)"
        );
        assert!(readme.contains(&format!("| `{id}` |")), "no row for `{id}`");
    }
}

#[test]
fn sarif_is_accepted_by_the_official_schema_and_loaded_by_sarif_tools() {
    let s = repo_with_ca_in_a_subfolder();
    let (file, v) = sarif_of(&s);
    let (code, out, err) = consume(&file);
    assert_eq!(code, 0, "the SARIF consumer refused the log:\n{err}\n{out}");
    let read: serde_json::Value = serde_json::from_str(&out).expect("the consumer prints JSON");
    assert_eq!(read["tools"], serde_json::json!(["vigil"]));
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(read["result_count"], results.len());
    let records = read["records"].as_array().unwrap();
    let mut seen: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["severity"].as_str().unwrap(),
                r["rule"].as_str().unwrap(),
                r["location"].as_str().unwrap(),
                r["line"]
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "error stale ca/validity/cisco-vpn-server.cnf \"1\"",
            "error unreviewed ca/validity/cisco-vpn-server.cnf \"1\"",
            "error violation ca/validity/cisco-vpn-server.cnf 5",
        ],
        "{out}"
    );
    for r in records {
        let help = r["help_uri"].as_str().unwrap();
        assert!(
            help.ends_with(&format!("#finding-{}", r["rule"].as_str().unwrap())),
            "{help}"
        );
    }

    // The consumer is not a rubber stamp: a log that breaks the schema is refused.
    let mut bad = v.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    let bad_file = s.outside().join("bad.sarif");
    std::fs::write(&bad_file, serde_json::to_vec(&bad).unwrap()).unwrap();
    let (code, _, err) = consume(&bad_file);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("schema error at /runs/0/results/0/level"),
        "{err}"
    );
    let mut bad = v.clone();
    bad["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri".into();
    std::fs::write(&bad_file, serde_json::to_vec(&bad).unwrap()).unwrap();
    let (code, _, err) = consume(&bad_file);
    assert_eq!(code, 1, "a relative helpUri passed the format check: {err}");
}
