//! Requirements end to end: rule packs and site rules judged on real git and Subversion workspaces,
//! `--as-of` on both sides of every TLS pack date, inclusive validity, `approve --satisfies`.

use crate::support::Sandbox;
use crate::svn_support::{Layout, Svn};

/// A TLS server profile whose CA section sets `default_days = DAYS`.
fn tls_config(extra: &str) -> String {
    format!(
        r#"
[requirements]
packs = ["cabf-tls-br"]
{extra}

[profiles.server]
components = ["profiles/server.cnf"]
follow = ["openssl-include"]
purpose = ["tls-server"]
openssl-sections = {{ ext = "server_ext" }}
"#
    )
}

const PROFILE: &str = "[ ca ]\ndefault_ca = ca_1\n.include validity.cnf\n[ server_ext ]\nextendedKeyUsage = serverAuth\nbasicConstraints = critical, CA:FALSE\nkeyUsage = digitalSignature\ncertificatePolicies = 2.23.140.1.2.2\ncrlDistributionPoints = URI:http://crl.example.org/ca.crl\nauthorityInfoAccess = caIssuers;URI:http://pki.example.org/ca.crt\n";

fn git_ws(days: u32, extra: &str) -> Sandbox {
    let sb = Sandbox::git_repo();
    sb.file("vigil.toml", &tls_config(extra))
        .file("profiles/server.cnf", PROFILE)
        .file(
            "validity.cnf",
            &format!("[ ca_1 ]\ndefault_days = {days}\n"),
        );
    sb.commit_all("profile");
    approve_reviewed(&sb);
    sb.commit_all("approve");
    sb
}

/// `vigil approve server` recording the SC-62 review.
fn approve_reviewed(sb: &Sandbox) {
    sb.vigil(&[
        "approve",
        "server",
        "--by",
        "Ada",
        "--satisfies",
        "cabf-tls-br/sc62-review",
    ])
    .expect(0);
}

fn codes_as_of(sb: &Sandbox, day: &str) -> Vec<String> {
    let r = sb.vigil(&["check", "--format", "json", "--as-of", day]);
    let mut v: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["code"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn as_of_both_sides_of_every_tls_validity_date() {
    // (day, validity that passes, validity that breaks)
    let cases = [
        ("2018-02-28", 1000, None),
        ("2018-03-01", 824, Some(825)),
        ("2020-08-31", 824, Some(825)),
        ("2020-09-01", 397, Some(398)),
        ("2026-03-14", 397, Some(398)),
        ("2026-03-15", 199, Some(200)),
        ("2027-03-14", 199, Some(200)),
        ("2027-03-15", 99, Some(100)),
        ("2029-03-14", 99, Some(100)),
        ("2029-03-15", 46, Some(47)),
    ];
    for (day, ok, bad) in cases {
        let sb = git_ws(ok, "lead-days = 0");
        let codes = codes_as_of(&sb, day);
        assert!(
            !codes.iter().any(|c| c.starts_with("violation")),
            "{ok} days on {day}: {codes:?}"
        );
        if let Some(bad) = bad {
            sb.file("validity.cnf", &format!("[ ca_1 ]\ndefault_days = {bad}\n"));
            let codes = codes_as_of(&sb, day);
            assert!(
                codes.contains(&"violation validity.cnf:2".to_string()),
                "{bad} days on {day}: {codes:?}"
            );
        }
    }
}

#[test]
fn inclusive_validity_397_ok_398_violates_a_398_day_limit() {
    let sb = git_ws(397, "");
    let r = sb.vigil(&["check", "--as-of", "2021-01-01"]).expect(0);
    assert!(!r.stdout.contains("violation"), "{}", r.stdout);
    sb.file("validity.cnf", "[ ca_1 ]\ndefault_days = 398\n");
    let r = sb.vigil(&["check", "--as-of", "2021-01-01"]).expect(1);
    assert!(
        r.stdout.contains("violation    validity.cnf:2")
            && r.stdout.contains("398 days + 1 second"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("via profiles/server.cnf:3 (openssl-include)"),
        "{}",
        r.stdout
    );
}

#[test]
fn go_duration_2160h_violates_90_days_in_a_json_profile() {
    let sb = Sandbox::git_repo();
    sb.file(
        "vigil.toml",
        r#"
[[requirements.rule]]
id = "site/90-days"
title = "At most 90 days"
effective = 2020-01-01
profiles = ["acme"]
source = { document = "site policy" }
[[requirements.rule.values]]
name = "validity"
kind = "validity"
json = "/authority/claims/maxTLSCertDuration"
max = "90d"

[profiles.acme]
components = ["ca.json"]
"#,
    )
    .file(
        "ca.json",
        "{\n  \"authority\": {\n    \"claims\": {\n      \"maxTLSCertDuration\": \"2160h\"\n    }\n  }\n}\n",
    );
    sb.commit_all("acme");
    sb.vigil(&["approve", "acme", "--by", "Ada"]).expect(0);
    sb.commit_all("approve");
    let codes = codes_as_of(&sb, "2026-01-01");
    assert_eq!(codes, ["violation ca.json:4"]);
    sb.file(
        "ca.json",
        "{\n  \"authority\": {\n    \"claims\": {\n      \"maxTLSCertDuration\": \"2159h\"\n    }\n  }\n}\n",
    );
    let codes = codes_as_of(&sb, "2026-01-01");
    assert!(
        !codes.iter().any(|c| c.starts_with("violation")),
        "{codes:?}"
    );
    // A JSON profile that does not parse cannot be judged: step-ca could not use it either, and the rule
    // fails closed at the place of the syntax error instead of passing.
    sb.file(
        "ca.json",
        "{\n  \"authority\": {\n    \"claims\": {\n      \"maxTLSCertDuration\": \"2159h\",\n    }\n  }\n}\n",
    );
    let r = sb.vigil(&["check", "--format", "json", "--as-of", "2026-01-01"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let j = r.json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "violation")
        .expect("a violation");
    assert_eq!(f["path"], "ca.json");
    assert_eq!(f["line"], 5);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("`validity` cannot be judged: ca.json:5:"),
        "{f}"
    );
}

#[test]
fn a_key_value_profile_is_judged_at_its_line() {
    // A Dogtag-style enrollment profile exported as `key=value` properties.
    let sb = Sandbox::git_repo();
    sb.file(
        "vigil.toml",
        r#"
[[requirements.rule]]
id = "site/server-398"
title = "Server certificates for at most 398 days"
effective = 2020-09-01
profiles = ["server"]
source = { document = "CP/CPS", section = "6.3.2" }
[[requirements.rule.values]]
name = "validity"
kind = "validity"
kv = "policyset.serverCertSet.2.default.params.range"
unit = "days"
max = "398d"

[profiles.server]
components = ["profiles/caServerCert.properties"]
"#,
    )
    .file(
        "profiles/caServerCert.properties",
        "# server certificates\ndesc=Server certificate enrollment\npolicyset.serverCertSet.2.default.params.range=720\n",
    );
    sb.commit_all("server");
    sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    sb.commit_all("approve");
    assert_eq!(
        codes_as_of(&sb, "2020-09-01"),
        ["violation profiles/caServerCert.properties:3"]
    );
    // The day before, within the 90-day lead time: a warning at the same line.
    assert_eq!(
        codes_as_of(&sb, "2020-08-31"),
        ["upcoming profiles/caServerCert.properties:3"]
    );
    sb.file(
        "profiles/caServerCert.properties",
        "# server certificates\ndesc=Server certificate enrollment\npolicyset.serverCertSet.2.default.params.range=397\n",
    );
    let codes = codes_as_of(&sb, "2020-09-01");
    assert!(
        !codes.iter().any(|c| c.starts_with("violation")),
        "{codes:?}"
    );
    // A line that is not `key=value` makes the file unreadable as such: the rule fails closed there.
    sb.file(
        "profiles/caServerCert.properties",
        "# server certificates\ndesc=Server certificate enrollment\npolicyset.serverCertSet.2.default.params.range=397\n<<<<<<< merge leftover\n",
    );
    let codes = codes_as_of(&sb, "2020-09-01");
    assert!(
        codes.contains(&"violation profiles/caServerCert.properties:4".to_string()),
        "{codes:?}"
    );
}

#[test]
fn upcoming_warns_within_the_lead_time_and_not_before() {
    let sb = git_ws(199, "lead-days = 30");
    assert!(codes_as_of(&sb, "2027-02-12").is_empty());
    let r = sb.vigil(&["check", "--as-of", "2027-02-13"]).expect(0);
    assert!(
        r.stdout.contains("warning upcoming     validity.cnf:2")
            && r.stdout.contains("from 2027-03-15 (in 30 days)"),
        "{}",
        r.stdout
    );
}

#[test]
fn review_unreviewed_until_approved_with_satisfies_even_when_no_byte_changed() {
    let sb = Sandbox::git_repo();
    sb.file("vigil.toml", &tls_config(""))
        .file("profiles/server.cnf", PROFILE)
        .file("validity.cnf", "[ ca_1 ]\ndefault_days = 199\n");
    sb.commit_all("profile");
    sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    sb.commit_all("approve");
    let codes = codes_as_of(&sb, "2026-11-29");
    assert_eq!(
        codes,
        [
            "unreviewed profiles/server.cnf:null",
            "unreviewed validity.cnf:null"
        ]
    );
    // The day before SC-62 took effect the review is only upcoming (inside the 90-day lead time);
    // earlier than the lead time there is nothing to say.
    let before_sc62 = codes_as_of(&sb, "2023-09-14");
    assert!(!before_sc62.is_empty(), "{before_sc62:?}");
    assert!(
        before_sc62.iter().all(|c| c.starts_with("upcoming ")),
        "{before_sc62:?}"
    );
    assert!(codes_as_of(&sb, "2023-06-01").is_empty());
    let before = sb.read("approved/server.toml");
    approve_reviewed(&sb);
    let after = sb.read("approved/server.toml");
    assert_ne!(
        before, after,
        "the review is recorded though no byte changed"
    );
    assert!(
        after.contains("[[component.satisfies]]\nrequirement = \"cabf-tls-br/sc62-review\"")
            && after.contains("by = \"Ada\""),
        "{after}"
    );
    sb.commit_all("review");
    assert!(codes_as_of(&sb, "2026-11-29").is_empty());
    // A changed file needs a new review; the unchanged one keeps its record.
    sb.file("validity.cnf", "[ ca_1 ]\ndefault_days = 190\n");
    sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    let m = sb.read("approved/server.toml");
    assert_eq!(m.matches("[[component.satisfies]]").count(), 1, "{m}");
    let codes = codes_as_of(&sb, "2026-11-29");
    assert!(
        codes.contains(&"unreviewed validity.cnf:null".to_string()),
        "{codes:?}"
    );
    // An unknown id is refused.
    let r = sb.vigil(&[
        "approve",
        "server",
        "--by",
        "Ada",
        "--satisfies",
        "cabf-tls-br/sc62-reviw",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `cabf-tls-br/sc62-review`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn sc62_aia_urls_follow_the_at_section_and_ldap_violates() {
    let sb = git_ws(199, "");
    assert!(codes_as_of(&sb, "2026-11-29").is_empty());
    sb.file(
        "profiles/server.cnf",
        &PROFILE.replace(
            "authorityInfoAccess = caIssuers;URI:http://pki.example.org/ca.crt",
            "authorityInfoAccess = @aia\n[ aia ]\ncaIssuers;URI.0 = ldap://ldap.example.org/cn=ca\n",
        ),
    );
    let r = sb.vigil(&["check", "--as-of", "2026-11-29", "--format", "json"]);
    let f: Vec<_> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "violation")
        .cloned()
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0]["message"].as_str().unwrap().contains("ldap://"),
        "{f:?}"
    );
    assert_eq!(f[0]["path"], "profiles/server.cnf");
}

#[test]
fn override_needs_a_reason_and_silences_the_rule() {
    let sb = git_ws(398, "");
    sb.file(
        "vigil.toml",
        &tls_config("[requirements.overrides.\"cabf-tls-br/validity-398\"]\n"),
    );
    let r = sb.vigil(&["check", "--as-of", "2021-01-01"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("needs a `reason`"), "{}", r.stderr);
    sb.file(
        "vigil.toml",
        &tls_config("[requirements.overrides.\"cabf-tls-br/validity-398\"]\nreason = \"RA-12\""),
    );
    // The override is policy: until it is committed, vigil.toml itself is an uncommitted change.
    let r = sb.vigil(&["check", "--as-of", "2021-01-01"]).expect(1);
    assert!(r.stdout.contains("uncommitted  vigil.toml"), "{}", r.stdout);
    sb.commit_all("override with a reason");
    sb.vigil(&["check", "--as-of", "2021-01-01"]).expect(0);
    let r = sb.vigil(&["requirements", "--as-of", "2021-01-01"]);
    assert!(r.stdout.contains("overridden: RA-12"), "{}", r.stdout);
}

#[test]
fn requirements_lists_dates_profiles_and_state() {
    let sb = git_ws(199, "");
    let r = sb
        .vigil(&["requirements", "--as-of", "2027-03-15"])
        .expect(1);
    assert!(
        r.stdout.contains("cabf-tls-br/validity-100  Subscriber certificates valid for at most 100 days\n  2027-03-15 until 2029-03-15, in force")
            && r.stdout.contains("  server               1 violation"),
        "{}",
        r.stdout
    );
    let r = sb
        .vigil(&["requirements", "--as-of", "2026-11-29", "--format", "json"])
        .expect(0);
    let j = r.json();
    assert_valid_listing(&j);
    assert_eq!(j["as_of"], "2026-11-29");
    assert!(
        j["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["id"] == "cabf-tls-br/validity-200"
                && q["profiles"][0]["window"] == "in force")
    );
}

#[test]
fn requirements_exit_0_with_only_upcoming_and_json_follows_its_schema() {
    let sb = git_ws(199, "");
    // 2027-01-01 is within the 90-day lead time of the 100-day rule: a warning, not a failure.
    let r = sb
        .vigil(&["requirements", "--as-of", "2027-01-01"])
        .expect(0);
    assert!(
        r.stdout.contains("  server               1 upcoming"),
        "{}",
        r.stdout
    );
    let j = sb
        .vigil(&["requirements", "--as-of", "2027-03-15", "--format", "json"])
        .expect(1)
        .json();
    assert_valid_listing(&j);
    let validity_100 = j["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "cabf-tls-br/validity-100")
        .unwrap();
    assert_eq!(validity_100["profiles"][0]["results"]["violation"], 1);
    assert_eq!(validity_100["until"], "2029-03-15");
    assert_eq!(validity_100["pack"], "cabf-tls-br");
}

/// Validates a `vigil requirements --format json` document against the committed schema.
#[track_caller]
fn assert_valid_listing(v: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/requirements.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{v:#}");
}

#[test]
fn a_profile_without_a_purpose_gets_no_requirement_findings() {
    let sb = Sandbox::git_repo();
    sb.file("vigil.toml", "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\nfollow = [\"openssl-include\"]\n")
        .file("profiles/server.cnf", PROFILE)
        .file("validity.cnf", "[ ca_1 ]\ndefault_days = 3650\n");
    sb.commit_all("profile");
    sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    sb.commit_all("approve");
    assert!(codes_as_of(&sb, "2026-11-29").is_empty());
}

#[test]
fn svn_violation_unreviewed_and_satisfies() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file("vigil.toml", &tls_config(""))
        .file("profiles/server.cnf", PROFILE)
        .file("validity.cnf", "[ ca_1 ]\ndefault_days = 398\n");
    s.commit_all("profile");
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    let codes = codes_as_of(&s.sb, "2026-11-29");
    assert!(
        codes.contains(&"violation validity.cnf:2".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"unreviewed validity.cnf:null".to_string()),
        "{codes:?}"
    );
    s.sb.file("validity.cnf", "[ ca_1 ]\ndefault_days = 199\n");
    s.sb.vigil(&[
        "approve",
        "server",
        "--by",
        "Ada",
        "--satisfies",
        "cabf-tls-br/sc62-review",
    ])
    .expect(0);
    s.commit_all("fix and review");
    assert!(
        codes_as_of(&s.sb, "2026-11-29").is_empty(),
        "{:?}",
        codes_as_of(&s.sb, "2026-11-29")
    );
    // The gate judges the same requirements as of a given day.
    let r = s.sb.vigil(&["gate", "server", "--as-of", "2027-03-15"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("violation") && r.stdout.contains("validity.cnf:2"),
        "{}",
        r.stdout
    );
}

/// The requirement ids named by the findings of `code` as of `day`.
fn rule_ids_as_of(sb: &Sandbox, day: &str, code: &str) -> Vec<String> {
    let r = sb.vigil(&["check", "--format", "json", "--as-of", day]);
    let mut v: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .filter_map(|f| {
            let m = f["message"].as_str().unwrap();
            let start = m.find("cabf-tls-br/")?;
            Some(m[start..].split([' ', ')', '"', '`']).next()?.to_string())
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn sc62_rules_apply_from_2023_09_15_and_not_the_day_before() {
    let sb = git_ws(199, "lead-days = 0");
    let broken = "[ server_ext ]\nextendedKeyUsage = serverAuth, codeSigning\nbasicConstraints = critical, CA:TRUE\nkeyUsage = digitalSignature, keyCertSign\ncertificatePolicies = 1.3.6.1.4.1.99999.1\ncrlDistributionPoints = URI:ldap://ldap.example.org/cn=crl\nauthorityInfoAccess = caIssuers;URI:ldap://ldap.example.org/cn=ca\n";
    let at = PROFILE.find("[ server_ext ]").unwrap();
    sb.file(
        "profiles/server.cnf",
        &format!("{}{broken}", &PROFILE[..at]),
    );
    sb.commit_all("a profile that breaks every SC-62 value rule");
    sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    sb.commit_all("approve without a review");

    assert_eq!(
        rule_ids_as_of(&sb, "2023-09-14", "violation"),
        Vec::<String>::new()
    );
    assert_eq!(
        rule_ids_as_of(&sb, "2023-09-14", "unreviewed"),
        Vec::<String>::new()
    );
    assert_eq!(
        rule_ids_as_of(&sb, "2023-09-15", "violation"),
        [
            "cabf-tls-br/sc62-aia-http",
            "cabf-tls-br/sc62-crldp-http",
            "cabf-tls-br/sc62-eku",
            "cabf-tls-br/sc62-key-usage",
            "cabf-tls-br/sc62-not-ca",
            "cabf-tls-br/sc62-policy-oid",
        ]
    );
    assert_eq!(
        rule_ids_as_of(&sb, "2023-09-15", "unreviewed"),
        ["cabf-tls-br/sc62-review"]
    );
}

/// `VIGIL_APPROVED_AT` is the time written into the approval and its reviews (every sandbox sets it);
/// a value that is not a time is refused before anything is written.
#[test]
fn the_approval_time_comes_from_vigil_approved_at_and_a_bad_one_is_refused() {
    let sb = Sandbox::git_repo();
    sb.file("vigil.toml", &tls_config(""))
        .file("profiles/server.cnf", PROFILE)
        .file("validity.cnf", "[ ca_1 ]\ndefault_days = 199\n");
    sb.commit_all("profile");
    let mut c = std::process::Command::new(crate::support::vigil_bin());
    c.args(["approve", "server", "--by", "Ada"])
        .current_dir(&sb.root);
    sb.env(&mut c);
    c.env("VIGIL_APPROVED_AT", "yesterday");
    let r = crate::support::run_bounded(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("VIGIL_APPROVED_AT=`yesterday` is not a time"),
        "{}",
        r.stderr
    );
    assert!(!sb.root.join("approved/server.toml").exists());
    approve_reviewed(&sb);
    let m = sb.read("approved/server.toml");
    let at = format!("at = \"{}\"", crate::support::APPROVED_AT);
    assert!(
        m.contains(&format!("approved-{at}")) && m.contains(&format!("\n{at}")),
        "{m}"
    );
}
