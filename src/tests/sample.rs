//! Samples: real certificates issued with the installed `openssl` from a profile's configuration, and
//! linted with the real pkilint (installed by `scripts/test` into `target/test-venv`).

use crate::sample::{
    lint, run_sample, LintReport, LintSeverity, Linters, SampleDecl, SampleFailure, SampleInputs,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A compliant OV TLS server profile, split the way CA profiles are: the profile includes the CA
/// section by a path relative to the workspace, which OpenSSL must resolve although the command runs
/// in the scratch folder.
const CA_CNF: &str = include_str!("../../tests/data/sample/ca.cnf");

/// The profile that includes it, issuing for 396 days.
fn tls_cnf() -> String {
    include_str!("../../tests/data/sample/tls-server.cnf").replace(
        "default_days            = 198",
        "default_days            = 396",
    )
}

const DECL: &str = r#"
purpose = "tls-server"
config = "profiles/tls-server.cnf"
ca-section = "issuing_ca"
command = ["openssl", "ca", "-batch", "-notext", "-config", "{ca_config}",
           "-extensions", "tls_server_ext", "-in", "{csr}", "-out", "{out}"]
zlint = false
# The day the 398-day limit is in force, so the test does not change verdict as later limits start.
pkilint = { type = "OV-FINAL-CERTIFICATE", validity-period-start = "2025-06-01T00:00:00Z" }
"#;

fn workspace(tls_cnf: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("common")).unwrap();
    std::fs::create_dir_all(ws.path().join("profiles")).unwrap();
    std::fs::write(ws.path().join("common/ca.cnf"), CA_CNF).unwrap();
    std::fs::write(ws.path().join("profiles/tls-server.cnf"), tls_cnf).unwrap();
    ws
}

fn decl(text: &str) -> SampleDecl {
    toml::from_str(text).unwrap()
}

fn inputs(ws: &Path) -> SampleInputs<'_> {
    SampleInputs {
        workspace: ws,
        include_dir: None,
        openssl: None,
    }
}

/// pkilint from the virtual environment `scripts/test` creates; never skipped.
fn linters() -> Linters {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin");
    let linters = Linters {
        dirs: vec![venv],
        ..Linters::default()
    };
    assert!(
        linters.find("lint_cabf_serverauth_cert").is_some(),
        "pkilint is missing: run scripts/test, which installs it into target/test-venv \
         (python3 -m venv target/test-venv && target/test-venv/bin/pip install pkilint)"
    );
    linters
}

fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    all.sort();
    all
}

fn errors(report: &LintReport) -> Vec<&str> {
    report
        .results
        .iter()
        .filter(|r| r.severity == LintSeverity::Error)
        .map(|r| r.code.as_str())
        .collect()
}

#[test]
fn a_compliant_tls_profile_issues_a_sample_pkilint_accepts() {
    let ws = workspace(&tls_cnf());
    let before = files(ws.path());
    let d = decl(DECL);
    let sample = run_sample(&d, &inputs(ws.path())).unwrap();
    assert_eq!(files(ws.path()), before, "the workspace must not change");

    let c = &sample.cert;
    assert_eq!(
        c.subject,
        "C=US, ST=California, L=San Francisco, O=Example Org, CN=sample.example.org"
    );
    assert_eq!(c.validity_seconds, 396 * 86_400 + 1, "counted inclusively");
    // 397 days, inclusive: longer than 396 days, not longer than 397.
    let days = |d: i64| d * 86_400;
    assert!(
        c.validity_seconds > days(396) && c.validity_seconds <= days(397),
        "{}",
        c.validity_seconds
    );
    assert_eq!(c.ca, Some(false));
    assert_eq!(
        c.key_usage.as_deref(),
        Some(&["digitalSignature".to_string()][..])
    );
    assert_eq!(
        c.extended_key_usage.as_deref(),
        Some(&["serverAuth".to_string()][..])
    );
    let aia: Vec<_> = c
        .aia
        .iter()
        .map(|a| format!("{} {}", a.method, a.url))
        .collect();
    assert_eq!(
        aia,
        [
            "caIssuers http://pki.example.org/issuing.crt",
            "OCSP http://ocsp.example.org"
        ]
    );
    assert_eq!(c.crl_urls, ["http://crl.example.org/issuing.crl"]);
    assert_eq!(c.policies.len(), 1);
    assert_eq!(c.policies[0].oid, "2.23.140.1.2.2");
    assert_eq!(c.san, ["DNS:sample.example.org"]);
    assert!(
        c.issuer.contains("vigil throwaway sample CA"),
        "{}",
        c.issuer
    );
    assert!(sample.pem().starts_with("-----BEGIN CERTIFICATE-----\n"));

    let report = lint(&sample.der, &d, &linters()).unwrap();
    assert_eq!(errors(&report), Vec::<&str>::new(), "{report:#?}");
    // pkilint did run: an OV certificate with a common name draws its warning.
    assert!(
        report.results.iter().any(
            |r| r.code == "cabf.serverauth.ov.common_name_attribute_present"
                && r.severity == LintSeverity::Warning
        ),
        "{report:#?}"
    );
    assert_eq!(
        report.ran,
        [
            "pkilint lint_cabf_serverauth_cert lint -t OV-FINAL-CERTIFICATE \
          --validity-period-start 2025-06-01T00:00:00Z -f JSON --document-format DER"
        ]
    );
}

#[test]
fn each_broken_profile_variant_draws_its_pkilint_error() {
    let variants = [
        (
            "default_days = 398: 398 days and 1 second",
            tls_cnf().replace("default_days            = 396", "default_days = 398"),
            "cabf.serverauth.certificate_validity_period_exceeds_398_days",
        ),
        (
            "an LDAP URL in AIA",
            tls_cnf().replace(
                "caIssuers;URI:http://pki.example.org/issuing.crt",
                "caIssuers;URI:ldap://ldap.example.org/cn=issuing?cACertificate",
            ),
            "cabf.serverauth.aia_location_uri_not_http",
        ),
        (
            "no certificate policies",
            tls_cnf().replace("certificatePolicies     = 2.23.140.1.2.2\n", ""),
            "cabf.serverauth.subscriber.certificate_policies_extension_absent",
        ),
    ];
    let linters = linters();
    let d = decl(DECL);
    // pkilint takes seconds to start, so the variants are linted side by side.
    std::thread::scope(|s| {
        let runs: Vec<_> = variants
            .iter()
            .map(|(what, cnf, code)| {
                let (linters, d) = (&linters, &d);
                s.spawn(move || {
                    let ws = workspace(cnf);
                    let sample = run_sample(d, &inputs(ws.path())).unwrap();
                    let report = lint(&sample.der, d, linters).unwrap();
                    (what, code, report)
                })
            })
            .collect();
        for run in runs {
            let (what, code, report) = run.join().unwrap();
            assert_eq!(errors(&report), [*code], "{what}: {report:#?}");
            let r = report.results.iter().find(|r| r.code == *code).unwrap();
            assert_eq!(r.linter, "pkilint");
            assert_eq!(r.linter_severity, "ERROR");
            assert!(r
                .node
                .as_deref()
                .unwrap()
                .starts_with("certificate.tbsCertificate"));
        }
    });
}

fn sh(script: &str, extra: &str) -> SampleDecl {
    let args = serde_json::to_string(&["sh", "-c", script, "sh", "{out}"]).unwrap();
    decl(&format!("command = {args}\n{extra}"))
}

#[test]
fn a_command_that_hangs_is_killed_at_the_time_limit() {
    let ws = workspace(&tls_cnf());
    let started = Instant::now();
    let failure = run_sample(
        &sh("sleep 60 & sleep 60", r#"timeout = "1s""#),
        &inputs(ws.path()),
    )
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(failure, SampleFailure::TimedOut { after, .. } if after == Duration::from_secs(1)),
        "{failure:?}"
    );
    assert!(failure
        .to_string()
        .contains("did not finish within 1s and was killed"));
}

#[test]
fn a_command_that_fails_writes_nothing_or_writes_garbage_is_a_typed_failure() {
    let ws = workspace(&tls_cnf());
    let run = |d: SampleDecl| run_sample(&d, &inputs(ws.path())).unwrap_err();

    let failed = run(decl(
        r#"command = ["openssl", "x509", "-in", "{scratch}/absent.pem", "-out", "{out}"]"#,
    ));
    let SampleFailure::Failed {
        status,
        stderr_tail,
        ..
    } = &failed
    else {
        panic!("{failed:?}")
    };
    assert_eq!(status, "exit status 1");
    assert!(
        stderr_tail.iter().any(|l| l.contains("absent.pem")),
        "{stderr_tail:?}"
    );

    let nothing = run(sh("true", ""));
    assert_eq!(
        nothing,
        SampleFailure::NoCertificate {
            where_: "{out}".into()
        }
    );
    assert_eq!(
        nothing.to_string(),
        "the sample command wrote no certificate to {out}"
    );

    let garbage = run(sh("echo not a certificate > \"$1\"", ""));
    assert!(
        matches!(garbage, SampleFailure::NotACertificate { .. }),
        "{garbage:?}"
    );
    let pem_garbage = run(sh(
        "printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n' > \"$1\"",
        "",
    ));
    assert!(
        matches!(pem_garbage, SampleFailure::NotACertificate { .. }),
        "{pem_garbage:?}"
    );
}

#[test]
fn the_command_runs_in_the_scratch_folder_with_a_minimal_environment() {
    let ws = workspace(&tls_cnf());
    // The checks fail the command (and so the test) unless the environment is exactly the minimal one;
    // the CA certificate written as DER to standard output proves the stdout and DER paths. Shell braces
    // are doubled, as a single brace opens a placeholder.
    let script = r#"set -e
        test "$PATH" = /usr/bin:/bin
        test "$LC_ALL" = C
        test "$HOME" = "$PWD"
        test -z "${{CARGO:-}}${{CARGO_MANIFEST_DIR:-}}"
        test -f ca.key && test -f key.pem && test -f csr.pem
        openssl x509 -in "$1" -outform DER"#;
    let args = serde_json::to_string(&["sh", "-c", script, "sh", "{ca_cert}"]).unwrap();
    let d = decl(&format!("command = {args}\noutput = \"stdout\""));
    let sample = run_sample(&d, &inputs(ws.path())).unwrap();
    assert!(sample.cert.subject.contains("vigil throwaway sample CA"));
    assert_eq!(sample.cert.ca, Some(true));
}
