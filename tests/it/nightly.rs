//! Nightly runs: the SARIF and JUnit reports, `--output`, and clean piped output.

use crate::support::{vigil_bin, Ca, Run, Sandbox};
use std::process::{Command, Stdio};

/// A CA workspace with one approved, committed profile: `server` includes `validity/398.cnf`.
pub fn approved_ca(s: &Sandbox) {
    Ca::new().described("TLS server").write(s);
    s.commit_all("profiles");
    s.vigil(&["approve", "server", "--reason", "SC31: 398-day validity"])
        .expect(0);
    s.commit_all("approve server");
}

/// The approved workspace, then broken in many ways at once: a stale and uncommitted component, an
/// untracked include, a reference out of the workspace, a pattern that matches nothing, and a second
/// profile with an orphaned manifest entry.
pub(crate) fn broken_ca(s: &Sandbox) {
    approved_ca(s);
    let server =
        "[profiles.server]\ndescription = \"TLS server\"\nfollow = [\"openssl-include\"]\n";
    // `client` is approved with old.cnf, which the profile then drops: orphaned.
    s.file(
        "vigil.toml",
        &format!("{server}components = [\"profiles/server.cnf\"]\n[profiles.client]\ncomponents = [\"profiles/client.cnf\", \"profiles/old.cnf\"]\n"),
    )
    .file("profiles/client.cnf", "[client]\n")
    .file("profiles/old.cnf", "[old]\n");
    s.commit_all("client");
    s.vigil(&["approve", "client"]).expect(0);
    s.file(
        "vigil.toml",
        &format!("{server}components = [\"profiles/server.cnf\", \"extra/*.cnf\"]\n[profiles.client]\ncomponents = [\"profiles/client.cnf\"]\n"),
    );
    s.commit_all("approve client; drop old.cnf; expect extra/*.cnf");
    s.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include validity/new.cnf\n.include ../outside.cnf\n",
    )
    .file("validity/new.cnf", "default_days = 825\n")
    .file("validity/398.cnf", "default_days = 825\n");
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[track_caller]
pub(crate) fn assert_valid_sarif(v: &serde_json::Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid SARIF:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(v).unwrap()
    );
}

#[test]
fn sarif_is_valid_and_carries_rules_levels_locations_and_chains() {
    let s = Sandbox::git_repo();
    broken_ca(&s);
    let r = s.vigil(&["check", "--format", "sarif"]).expect(1);
    let v = r.json();
    assert_valid_sarif(&v);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];

    // Rules: one per finding code, each described, with its remedy as help.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = vigil::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(ids, codes);
    for rule in rules {
        let code = vigil::Code::parse(rule["id"].as_str().unwrap()).unwrap();
        assert_eq!(rule["shortDescription"]["text"], code.description());
        assert!(rule["fullDescription"]["text"].as_str().unwrap().len() > 10);
        assert!(rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains(code.remedy()));
    }
    assert_eq!(
        run["originalUriBaseIds"]["WORKSPACE"]["uri"],
        format!("file://{}/", s.root.display())
    );

    // Results: the same findings as the JSON report, with levels and workspace-relative locations.
    let json = s.vigil(&["check", "--format", "json"]).expect(1);
    let mut from_sarif: Vec<String> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| {
            let rule = &rules[res["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], res["ruleId"]);
            format!(
                "{} {}",
                res["ruleId"].as_str().unwrap(),
                res["properties"]["path"].as_str().unwrap()
            )
        })
        .collect();
    from_sarif.sort();
    assert_eq!(from_sarif, json.finding_codes());

    let result = |code: &str, path: &str| {
        run["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == code && r["properties"]["path"] == path)
            .unwrap_or_else(|| panic!("no {code} {path}"))
            .clone()
    };
    let stale = result("stale", "validity/398.cnf");
    assert_eq!(stale["level"], "error");
    let loc = &stale["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "validity/398.cnf");
    assert_eq!(loc["uriBaseId"], "%SRCROOT%");
    // The chain: declared in vigil.toml, then included from line 1 of the profile.
    let related = stale["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 2, "{related:#?}");
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"],
        "profiles/server.cnf"
    );
    assert_eq!(related[1]["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(stale["properties"]["via"][1]["kind"], "reference");

    assert_eq!(result("orphaned", "profiles/old.cnf")["level"], "warning");
    // A reference out of the workspace is located where it is made.
    let out = result("outside-root", "../outside.cnf");
    let pl = &out["locations"][0]["physicalLocation"];
    assert_eq!(pl["artifactLocation"]["uri"], "profiles/server.cnf");
    assert_eq!(pl["region"]["startLine"], 3);
    result("untracked", "validity/new.cnf");
    result("missing", "extra/*.cnf");

    // In gate mode every finding is an error.
    let gate = s
        .vigil(&["check", "--mode", "gate", "--format", "sarif"])
        .expect(1);
    let gv = gate.json();
    assert_valid_sarif(&gv);
    assert!(gv["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["level"] == "error"));
}

#[test]
fn sarif_of_a_clean_run_is_valid_and_empty() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let v = s.vigil(&["check", "--format", "sarif"]).expect(0).json();
    assert_valid_sarif(&v);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(v["runs"][0]["properties"]["failed"], false);
    // The validator is not a rubber stamp: a wrong level or version is rejected.
    let mut bad = v.clone();
    bad["version"] = "2.0.0".into();
    assert!(!sarif_validator().is_valid(&bad));
    let mut bad = v.clone();
    bad["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] = "fatal".into();
    assert!(!sarif_validator().is_valid(&bad));
}

#[test]
fn sarif_paths_with_spaces_and_odd_bytes_are_valid_uris() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.p]\ncomponents = [\"odd dir/a b#1%.cnf\", \"odd dir/ü.cnf\"]\n",
    )
    .file("odd dir/a b#1%.cnf", "x\n")
    .file("odd dir/ü.cnf", "y\n");
    let v = s.vigil(&["check", "--format", "sarif"]).expect(1).json();
    assert_valid_sarif(&v);
    let uris: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"odd%20dir/a%20b%231%25.cnf"), "{uris:?}");
    assert!(uris.contains(&"odd%20dir/%C3%BC.cnf"), "{uris:?}");
}

#[test]
fn junit_parses_back_with_a_suite_per_profile_and_a_case_per_component() {
    let s = Sandbox::git_repo();
    broken_ca(&s);
    let r = s.vigil(&["check", "--format", "junit"]).expect(1);
    let doc = roxmltree::Document::parse(&r.stdout).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = suites
        .iter()
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["client", "server"]);

    let mut total_tests = 0;
    let mut total_failures = 0;
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(suite.attribute("tests").unwrap(), cases.len().to_string());
        assert_eq!(suite.attribute("failures").unwrap(), failed.to_string());
        total_tests += cases.len();
        total_failures += failed;
    }
    assert_eq!(root.attribute("tests").unwrap(), total_tests.to_string());
    assert_eq!(
        root.attribute("failures").unwrap(),
        total_failures.to_string()
    );

    let case = |suite: &str, name: &str| {
        suites
            .iter()
            .find(|n| n.attribute("name") == Some(suite))
            .unwrap()
            .children()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no test case {name} in {suite}"))
    };
    // A component with two error findings: one failure listing both.
    let c = case("server", "validity/398.cnf");
    assert_eq!(c.attribute("classname"), Some("vigil.server"));
    let failures: Vec<_> = c.children().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].attribute("type"), Some("uncommitted,stale"));
    let text = failures[0].text().unwrap();
    assert!(text.contains("changed since approval"), "{text}");
    assert!(
        text.contains("via declared `profiles/server.cnf`"),
        "{text}"
    );
    // Clean components pass; a warning does not fail its case but is shown.
    assert!(case("server", "profiles/server.cnf")
        .children()
        .any(|n| n.has_tag_name("failure")));
    let clean = case("client", "profiles/client.cnf");
    assert_eq!(clean.children().filter(|n| n.is_element()).count(), 0);
    let orphan = case("client", "profiles/old.cnf");
    assert!(!orphan.children().any(|n| n.has_tag_name("failure")));
    let out = orphan
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(out.text().unwrap().starts_with("warning orphaned"));
    // The pattern that matched nothing, and the manifest, are cases too.
    case("server", "extra/*.cnf");
    case("server", "approved/server.toml");
    // Properties say what was checked and who approved.
    let props: Vec<(String, String)> = suites[1]
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .map(|n| {
            (
                n.attribute("name").unwrap().to_string(),
                n.attribute("value").unwrap().to_string(),
            )
        })
        .collect();
    assert!(props.contains(&("approved-by".into(), "Ada Approver <ada@ca.example>".into())));
    assert!(props.contains(&("mode".into(), "nightly".into())));
}

#[test]
fn junit_of_a_clean_run_has_no_failures() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let r = s.vigil(&["check", "--format", "junit"]).expect(0);
    let doc = roxmltree::Document::parse(&r.stdout).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    // server.cnf, validity/398.cnf and the manifest.
    assert_eq!(doc.root_element().attribute("tests"), Some("3"));
}

#[test]
fn output_writes_the_file_and_stdout_stays_empty() {
    let s = Sandbox::git_repo();
    broken_ca(&s);
    let reports = s.outside().join("reports");
    for format in ["human", "json", "sarif", "junit"] {
        let file = reports.join(format!("nightly.{format}"));
        let r = s
            .vigil_in(
                &s.root,
                &[
                    "check",
                    "--format",
                    format,
                    "--output",
                    file.to_str().unwrap(),
                ],
            )
            .expect(1);
        assert_eq!(r.stdout, "", "{format}: stdout must stay empty");
        assert_eq!(r.stderr, "", "{format}: stderr must stay empty");
        let text = std::fs::read_to_string(&file).unwrap();
        match format {
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["summary"]["failed"], true);
            }
            "sarif" => assert_valid_sarif(&serde_json::from_str(&text).unwrap()),
            "junit" => {
                roxmltree::Document::parse(&text).unwrap();
            }
            _ => assert!(text.contains("stale"), "{text}"),
        }
    }
    // No temporary files are left behind next to the reports.
    let names: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    // A run that cannot start (bad configuration) leaves the last report intact and exits 2.
    let before = std::fs::read(reports.join("nightly.json")).unwrap();
    s.file("vigil.toml", "[profiles.server\n");
    let r = s.vigil_in(
        &s.root,
        &[
            "check",
            "--format",
            "json",
            "--output",
            reports.join("nightly.json").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(std::fs::read(reports.join("nightly.json")).unwrap(), before);
}

/// Runs vigil with stdout and stderr piped (as cron and systemd do), colour on `auto` and no `NO_COLOR`.
fn piped(s: &Sandbox, args: &[&str]) -> Run {
    let mut c = Command::new(vigil_bin());
    c.args(args)
        .current_dir(&s.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    s.env(&mut c);
    c.env_remove("NO_COLOR").env("TERM", "xterm-256color");
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && *c != '\n')
    {
        panic!(
            "{what}: control character {c:?} at byte {i}:\n{}",
            text.escape_debug()
        );
    }
}

#[test]
fn piped_output_has_no_progress_and_no_control_characters() {
    let s = Sandbox::git_repo();
    // Enough components that a terminal would see the progress line (it waits 150 ms before showing).
    let mut toml = String::from("[profiles.big]\ncomponents = [\"big/\"]\n");
    toml.push_str("[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\n");
    s.file("vigil.toml", &toml)
        .file("profiles/server.cnf", "[server]\n");
    for i in 0..1500 {
        s.file(&format!("big/{i:04}.cnf"), &format!("n = {i}\n"));
    }
    s.commit_all("big");
    s.vigil(&["approve", "big", "server"]).expect(0);
    s.commit_all("approve");
    s.file("big/0001.cnf", "n = changed\n");
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["check", "--format", "junit"],
        &["gate", "big", "server"],
        &["approve", "server"],
        &["check", "no-such-profile"],
    ] {
        let r = piped(&s, args);
        assert_clean(&format!("stdout of {args:?}"), &r.stdout);
        assert_clean(&format!("stderr of {args:?}"), &r.stderr);
        if args[0] != "check" || args.len() > 1 && args[1] != "no-such-profile" {
            assert!(!r.stderr.contains("hashing"), "{}", r.stderr);
        }
    }
}

#[test]
fn json_and_sarif_reports_carry_the_time_they_were_made() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let near_now = |text: &str| {
        let t = humantime::parse_rfc3339(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let age = std::time::SystemTime::now().duration_since(t).unwrap();
        assert!(age.as_secs() < 300, "{text} is not the time of this run");
    };
    let json = s.check_json().expect(0).json();
    near_now(json["generated_at"].as_str().unwrap());
    let sarif = s.vigil(&["check", "--format", "sarif"]).expect(0).json();
    near_now(
        sarif["runs"][0]["invocations"][0]["endTimeUtc"]
            .as_str()
            .unwrap(),
    );
}

#[test]
fn one_run_writes_several_reports() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    let file = |name: &str| s.path(name).to_str().unwrap().to_string();
    let r = s
        .vigil(&[
            "check",
            "--report",
            &format!("json={}", file("r.json")),
            "--report",
            &format!("SARIF={}", file("r.sarif")),
            "--report",
            &format!("prometheus={}", file("vigil.prom")),
        ])
        .expect(1);
    // The --format report (human) still goes to stdout.
    assert!(r.stdout.contains("stale"), "{}", r.stdout);
    let json: serde_json::Value = serde_json::from_str(&s.read("r.json")).unwrap();
    assert_eq!(json["summary"]["failed"], true);
    let sarif: serde_json::Value = serde_json::from_str(&s.read("r.sarif")).unwrap();
    assert_valid_sarif(&sarif);
    // One run: every report names the same moment.
    let at = json["generated_at"].as_str().unwrap();
    assert_eq!(sarif["runs"][0]["invocations"][0]["endTimeUtc"], at);
    let prom = s.read("vigil.prom");
    assert!(
        prom.contains("vigil_findings{profile=\"server\",code=\"stale\",severity=\"error\"} 1"),
        "{prom}"
    );
    let ran = humantime::parse_rfc3339(at)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        prom.contains(&format!("vigil_last_run_timestamp_seconds {ran}\n")),
        "{prom}"
    );

    // Two reports into one file, an unknown format, no file: usage errors.
    let twice = format!("json={}", file("r.json"));
    let r = s
        .vigil(&["check", "--report", &twice, "--output", &file("r.json")])
        .expect(2);
    assert!(r.stderr.contains("named for two reports"), "{}", r.stderr);
    let r = s.vigil(&["check", "--report", "yaml=r.yaml"]).expect(2);
    assert!(r.stderr.contains("unknown format `yaml`"), "{}", r.stderr);
    let r = s.vigil(&["check", "--report", "r.json"]).expect(2);
    assert!(r.stderr.contains("expected FORMAT=FILE"), "{}", r.stderr);
}
