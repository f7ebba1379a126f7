//! Samples in the release gate and in `vigil check --sample`: a real git workspace, real certificates
//! issued with the installed `openssl` from the profile, linted with the real pkilint (installed by
//! `scripts/test` into `target/test-venv`).

use crate::support::{Run, Sandbox};
use std::path::PathBuf;

const CA_CNF: &str = include_str!("../data/sample/ca.cnf");

/// A TLS server profile that meets the rules in force today: 198 days and 1 second, counted
/// inclusively, is within a 200-day maximum (and below the 199 days above which pkilint warns).
const TLS_CNF: &str = include_str!("../data/sample/tls-server.cnf");

const SAMPLE: &str = r#"
[profiles.tls-server.sample]
purpose = "tls-server"
config = "profiles/tls-server.cnf"
ca-section = "issuing_ca"
command = ["openssl", "ca", "-batch", "-notext", "-config", "{ca_config}",
           "-extensions", "tls_server_ext", "-in", "{csr}", "-out", "{out}"]
zlint = false
pkilint = { type = "OV-FINAL-CERTIFICATE" }
"#;

fn venv_bin() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin");
    assert!(
        bin.join("lint_cabf_serverauth_cert").is_file(),
        "pkilint is missing: run scripts/test, which installs it into target/test-venv \
         (python3 -m venv target/test-venv && target/test-venv/bin/pip install pkilint)"
    );
    bin
}

/// An approved, committed workspace whose `tls-server` profile is `tls_cnf` and declares `sample`.
fn workspace(tls_cnf: &str, sample: &str) -> Sandbox {
    let s = Sandbox::git_repo();
    let config = format!(
        "[linters]\npath = [{:?}]\n\n[profiles.tls-server]\ncomponents = [\"profiles/tls-server.cnf\"]\n\
         follow = [\"openssl-include\"]\n{sample}",
        venv_bin().display().to_string()
    );
    s.file("vigil.toml", &config)
        .file("common/ca.cnf", CA_CNF)
        .file("profiles/tls-server.cnf", tls_cnf);
    s.commit_all("profile");
    s.vigil(&["approve", "tls-server"]).expect(0);
    s.commit_all("approve");
    s
}

/// The `lint` findings of a JSON report: `LINTER CODE SEVERITY`.
fn lints(r: &Run) -> Vec<String> {
    let j = r.json();
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "lint")
        .map(|f| {
            format!(
                "{} {} {}",
                f["lint"]["linter"].as_str().unwrap(),
                f["lint"]["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_compliant_profile_passes_the_gate_with_its_sample_as_evidence() {
    let s = workspace(TLS_CNF, SAMPLE);
    let evidence = s.outside().join("evidence");
    let r = s
        .vigil(&[
            "gate",
            "tls-server",
            "--evidence",
            evidence.to_str().unwrap(),
        ])
        .expect(0);
    let out = &r.stdout;
    assert!(out.starts_with("vigil gate: PASS"), "{out}");
    assert!(
        out.contains(
            "  sample:      C=US, ST=California, L=San Francisco, O=Example Org, CN=sample.example.org\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(", 198 days + 1 second counted inclusively\n"),
        "{out}"
    );
    // pkilint ran: an OV certificate with a common name draws its warning, which does not fail the gate.
    assert!(
        out.contains("  lint:        PASS: 1 warning (pkilint lint_cabf_serverauth_cert lint -t OV-FINAL-CERTIFICATE -f JSON --document-format DER)"),
        "{out}"
    );
    assert!(
        out.contains("cabf.serverauth.ov.common_name_attribute_present"),
        "{out}"
    );
    let pem = std::fs::read_to_string(evidence.join("tls-server.sample.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
    let lint: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(evidence.join("tls-server.pkilint.json")).unwrap(),
    )
    .unwrap();
    assert!(lint["results"].is_array(), "{lint}");
    // The evidence is kept outside the workspace, which the sample never writes into.
    assert_eq!(s.git(&["status", "--porcelain"]).stdout, "");

    // The check runs no sample unless asked; with --sample it reports the same warning.
    let plain = s.vigil(&["check", "--format", "json"]).expect(0);
    assert_eq!(lints(&plain), Vec::<String>::new());
    let sampled = s
        .vigil(&["check", "--sample", "--format", "json"])
        .expect(0);
    assert_eq!(
        lints(&sampled),
        ["pkilint cabf.serverauth.ov.common_name_attribute_present warning"]
    );
}

#[test]
fn each_broken_variant_fails_the_gate_with_its_lint_finding() {
    let variants = [
        (
            "200 days: 200 days and 1 second, over the 200-day maximum",
            TLS_CNF.replace("default_days            = 198", "default_days = 200"),
            vec![
                "pkilint cabf.serverauth.certificate_validity_period_exceeds_200_days error",
                "requirements cabf-tls-br/validity-200 error",
            ],
        ),
        (
            "an LDAP URL in AIA",
            TLS_CNF.replace(
                "caIssuers;URI:http://pki.example.org/issuing.crt",
                "caIssuers;URI:ldap://ldap.example.org/cn=issuing?cACertificate",
            ),
            vec!["pkilint cabf.serverauth.aia_location_uri_not_http error"],
        ),
        (
            "no certificate policies",
            TLS_CNF.replace("certificatePolicies     = 2.23.140.1.2.2\n", ""),
            vec!["pkilint cabf.serverauth.subscriber.certificate_policies_extension_absent error"],
        ),
    ];
    // pkilint takes seconds to start, so the variants run side by side.
    std::thread::scope(|scope| {
        let runs: Vec<_> = variants
            .iter()
            .map(|(what, cnf, want)| {
                scope.spawn(move || {
                    let s = workspace(cnf, SAMPLE);
                    let gate = s.vigil(&["gate", "tls-server"]).expect(1);
                    let check = s
                        .vigil(&["check", "--sample", "--format", "json"])
                        .expect(1);
                    (what, want, gate, check)
                })
            })
            .collect();
        for run in runs {
            let (what, want, gate, check) = run.join().unwrap();
            let mut errors: Vec<String> = lints(&check)
                .into_iter()
                .filter(|l| l.ends_with(" error"))
                .collect();
            errors.sort();
            let mut want = want.clone();
            want.sort();
            assert_eq!(errors, want, "{what}:\n{}", check.stdout);
            assert!(gate.stdout.starts_with("vigil gate: FAIL"), "{what}");
            assert!(gate.stdout.contains("  lint:        FAIL: "), "{what}");
            for w in want.iter() {
                let code = w.split(' ').nth(1).unwrap();
                assert!(
                    gate.stdout.contains(code),
                    "{what}: {code}\n{}",
                    gate.stdout
                );
            }
        }
    });
}

/// A sample command run through `sh -c SCRIPT sh {out}`.
fn sh_sample(script: &str, extra: &str) -> String {
    let args = serde_json::to_string(&["sh", "-c", script, "sh", "{out}"]).unwrap();
    format!("\n[profiles.tls-server.sample]\ncommand = {args}\n{extra}\n")
}

#[test]
fn a_sample_that_cannot_be_issued_fails_the_gate_with_a_clear_finding() {
    let cases = [
        (
            "hangs",
            sh_sample("sleep 60", "timeout = \"1s\""),
            "did not finish within 1s and was killed",
        ),
        (
            "fails",
            sh_sample("echo 'no CA today' >&2; exit 3", ""),
            "failed (exit status 3): no CA today",
        ),
        (
            "writes nothing",
            sh_sample("true", ""),
            "the sample command wrote no certificate to {out}",
        ),
        (
            "writes garbage",
            sh_sample("echo garbage > \"$1\"", ""),
            "the sample command wrote something that is not a certificate to {out}",
        ),
    ];
    std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|(what, sample, want)| {
                scope.spawn(move || {
                    let s = workspace(TLS_CNF, sample);
                    let gate = s.vigil(&["gate", "tls-server"]).expect(1);
                    let check = s
                        .vigil(&["check", "--sample", "--format", "json"])
                        .expect(1);
                    (what, want, gate, check)
                })
            })
            .collect();
        for run in runs {
            let (what, want, gate, check) = run.join().unwrap();
            assert!(gate.stdout.starts_with("vigil gate: FAIL"), "{what}");
            assert!(
                gate.stdout.contains("  sample:      not issued\n"),
                "{what}"
            );
            assert!(
                gate.stdout
                    .contains("error   sample-failed    vigil.toml\n"),
                "{what}:\n{}",
                gate.stdout
            );
            assert!(gate.stdout.contains(want), "{what}:\n{}", gate.stdout);
            let j = check.json();
            let failed: Vec<_> = j["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "sample-failed")
                .collect();
            assert_eq!(failed.len(), 1, "{what}: {j}");
            assert!(
                failed[0]["message"].as_str().unwrap().contains(want),
                "{what}: {j}"
            );
        }
    });
}

#[test]
fn a_missing_linter_is_a_finding_not_a_skip() {
    let s = workspace(TLS_CNF, SAMPLE);
    s.file(
        "vigil.toml",
        &s.read("vigil.toml").replace(
            &format!("path = [{:?}]", venv_bin().display().to_string()),
            "path = []",
        ),
    );
    // Neither `[linters]` nor PATH holds pkilint.
    let r = s.vigil(&["check", "--sample", "--format", "json"]);
    let j = r.json();
    let messages: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "sample-failed")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 1, "{j}");
    assert!(
        messages[0].contains("lint_cabf_serverauth_cert is not installed"),
        "{j}"
    );
}

#[test]
fn a_bad_sample_declaration_is_a_configuration_error_with_its_line() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.p]\ncomponents = [\"a.cnf\"]\n\n[profiles.p.sample]\ncommand = [\"openssl\", \"{nope}\"]\n",
    )
    .file("a.cnf", "");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("vigil.toml:4:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown placeholder `{nope}`"),
        "{}",
        r.stderr
    );
}
