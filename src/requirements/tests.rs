//! Tests of the requirements engine: packs, dates, inclusive validity, constraints, review and site rules.

use super::*;
use crate::requirements::duration::Unit;
use std::collections::HashMap;
use std::path::Path;

/// A minimal OpenSSL configuration reader for these tests: `[section]`, `key = value`, `#` comments, a
/// later assignment wins, and a missing key falls back to the unnamed default section as OpenSSL's
/// `NCONF_get_string` does. The real loader replaces it.
struct Cnf {
    file: String,
    chain: Vec<String>,
    map: HashMap<(String, String), (String, u32)>,
    sections: HashMap<String, u32>,
}

fn cnf(file: &str, text: &str) -> Cnf {
    let mut map = HashMap::new();
    let mut sections = HashMap::new();
    let mut section = "default".to_string();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap().trim();
        if let Some(s) = line.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_string();
            sections.insert(section.clone(), i as u32 + 1);
        } else if let Some((k, v)) = line.split_once('=') {
            map.insert(
                (section.clone(), k.trim().to_string()),
                (v.trim().to_string(), i as u32 + 1),
            );
        }
    }
    Cnf {
        file: file.into(),
        chain: Vec::new(),
        map,
        sections,
    }
}

impl ValueLookup for Cnf {
    fn origin_of_absence(&self, address: &Address) -> Option<Origin> {
        let Address::Openssl { section, .. } = address else {
            return None;
        };
        Some(Origin {
            file: self.file.clone(),
            line: self.sections.get(section).copied(),
            chain: self.chain.clone(),
        })
    }

    fn lookup(&self, address: &Address) -> Result<Option<Found>, LookupError> {
        let Address::Openssl { section, key } = address else {
            return Ok(None);
        };
        let hit = self
            .map
            .get(&(section.clone(), key.clone()))
            .or_else(|| self.map.get(&("default".to_string(), key.clone())));
        Ok(hit.map(|(v, line)| Found {
            value: v.clone(),
            origin: Origin {
                file: self.file.clone(),
                line: Some(*line),
                chain: self.chain.clone(),
            },
        }))
    }
}

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn packs_only() -> RequirementSet {
    parse_site(Path::new("vigil.toml"), "").unwrap()
}

fn site(text: &str) -> RequirementSet {
    parse_site(Path::new("vigil.toml"), text).unwrap()
}

/// One site rule in vigil.toml: its table header, `id` and `title`, then the lines in `rest`.
fn rule(id: &str, title: &str, rest: &str) -> String {
    format!("[[requirements.rule]]\nid = \"{id}\"\ntitle = \"{title}\"\n{rest}")
}

fn site_err(text: &str) -> crate::diagnostic::ConfigError {
    parse_site(Path::new("vigil.toml"), text).unwrap_err()
}

fn settings(purposes: &[&str]) -> ProfileRequirements {
    ProfileRequirements {
        purposes: purposes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// An OpenSSL CA configuration issuing from `CA_default` with `default_days = days`.
fn ca_cnf(days: &str, ext: &str) -> Cnf {
    cnf(
        "ca/tls.cnf",
        &format!(
            "[ ca ]\ndefault_ca = CA_default\n\n[ CA_default ]\ndefault_md = sha256\ndefault_days = {days}\nx509_extensions = tls_ext\n\n[ tls_ext ]\n{ext}\n"
        ),
    )
}

const GOOD_EXT: &str = "basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth, clientAuth\nauthorityInfoAccess = caIssuers;URI:http://ca.example/ca.crt, OCSP;URI:http://ocsp.example\ncrlDistributionPoints = URI:http://crl.example/ca.crl\ncertificatePolicies = 2.23.140.1.2.2";

/// (code, requirement) of every result for one OpenSSL profile.
fn run_openssl(
    set: &RequirementSet,
    purposes: &[&str],
    conf: &Cnf,
    as_of: &str,
) -> (Vec<(ResultCode, String)>, Outcome) {
    let s = settings(purposes);
    let readers = Readers {
        openssl: Some(conf),
        ..Default::default()
    };
    let out = evaluate_one(set, "tls", &s, readers, day(as_of), set.lead_days);
    let mut codes: Vec<(ResultCode, String)> = out
        .results
        .iter()
        .map(|r| (r.code, r.requirement.clone()))
        .collect();
    codes.sort();
    (codes, out)
}

/// An error on `line` whose message says `what`.
fn assert_error(e: &crate::diagnostic::ConfigError, line: usize, what: &str) {
    assert_eq!(e.line, Some(line), "{e}");
    assert!(e.message.contains(what), "{e}");
}

fn ids(v: &[(ResultCode, &str)]) -> Vec<(ResultCode, String)> {
    let mut v: Vec<_> = v.iter().map(|(c, s)| (*c, s.to_string())).collect();
    v.sort();
    v
}

#[test]
fn pack_files_parse_and_every_rule_cites_its_source() {
    let packs = Pack::builtin().unwrap();
    assert_eq!(
        packs.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["cabf-tls-br", "cabf-smime-br", "cabf-ev"]
    );
    for (file, text) in super::pack::BUILTIN {
        let v: toml::Value = toml::from_str(text).unwrap();
        let listed = v["pack"].get("not-judged").and_then(|n| n.as_array());
        assert!(
            listed.is_some_and(|n| !n.is_empty()),
            "{file} lists no unjudged rules"
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in &packs {
        assert!(!p.requirements.is_empty());
        for r in &p.requirements {
            assert!(seen.insert(r.id.clone()), "duplicate id {}", r.id);
            assert!(
                r.source
                    .url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
                "{}",
                r.id
            );
            assert!(
                r.source.section.is_some() || r.source.ballot.is_some(),
                "{}",
                r.id
            );
            assert!(r.source.document.is_some(), "{}", r.id);
            assert!(r.defined.file.starts_with("packs/") && r.defined.line > 1);
        }
    }
}

#[test]
fn tls_pack_dates_and_limits_are_the_ballots() {
    let set = packs_only();
    let limits: Vec<(String, String, Option<String>, String)> = set
        .requirements
        .iter()
        .filter(|r| r.id.starts_with("cabf-tls-br/validity-"))
        .map(|r| {
            let max = match &r.values[0].constraints[0] {
                rule::Constraint::Max(rule::Bound::Span(s)) => s.whole_seconds() / 86_400,
                other => panic!("{other:?}"),
            };
            (
                r.effective.to_string(),
                max.to_string(),
                r.until.map(|d| d.to_string()),
                r.source.ballot.clone().unwrap(),
            )
        })
        .collect();
    let want = [
        ("2018-03-01", "825", Some("2020-09-01"), "193"),
        ("2020-09-01", "398", Some("2026-03-15"), "SC31"),
        ("2026-03-15", "200", Some("2027-03-15"), "SC-081v3"),
        ("2027-03-15", "100", Some("2029-03-15"), "SC-081v3"),
        ("2029-03-15", "47", None, "SC-081v3"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(e, m, u, b)| {
            (
                e.to_string(),
                m.to_string(),
                u.map(str::to_string),
                b.to_string(),
            )
        })
        .collect();
    assert_eq!(limits, want);
}

#[test]
fn default_days_397_passes_and_398_violates_a_398_day_maximum() {
    let set = packs_only();
    let (codes, _) = run_openssl(
        &set,
        &["tls-server"],
        &ca_cnf("397", GOOD_EXT),
        "2021-06-01",
    );
    assert_eq!(codes, vec![]);
    let (codes, out) = run_openssl(
        &set,
        &["tls-server"],
        &ca_cnf("398", GOOD_EXT),
        "2021-06-01",
    );
    assert_eq!(
        codes,
        ids(&[(ResultCode::Violation, "cabf-tls-br/validity-398")])
    );
    let r = &out.results[0];
    assert_eq!((r.path.as_deref(), r.line), (Some("ca/tls.cnf"), Some(6)));
    assert!(
        r.message.contains("`[CA_default] default_days = 398`")
            && r.message.contains("398 days + 1 second")
            && r.message.contains("SC31"),
        "{}",
        r.message
    );
    assert_eq!(r.date, day("2020-09-01"));
}

#[test]
fn as_of_both_sides_of_every_tls_date() {
    use ResultCode::{Upcoming as U, Violation as V};
    let set = packs_only();
    // default_days = 825 breaks every limit (825 days + 1 second is over 825 days too).
    let conf = ca_cnf("825", GOOD_EXT);
    // Each limit: the day before it takes effect (the previous limit broken, this one upcoming), and
    // the day itself (this one broken).
    let limits = [
        ("2018-02-28", "2018-03-01", "825"),
        ("2020-08-31", "2020-09-01", "398"),
        ("2026-03-14", "2026-03-15", "200"),
        ("2027-03-14", "2027-03-15", "100"),
        ("2029-03-14", "2029-03-15", "47"),
    ];
    let rule = |limit: &str| format!("cabf-tls-br/validity-{limit}");
    let mut previous: Option<&str> = None;
    for (eve, day, limit) in limits {
        let mut on_eve: Vec<(ResultCode, String)> =
            previous.map(|p| (V, rule(p))).into_iter().collect();
        on_eve.push((U, rule(limit)));
        on_eve.sort();
        for (as_of, want) in [(eve, on_eve), (day, vec![(V, rule(limit))])] {
            let (codes, _) = run_openssl(&set, &["tls-server"], &conf, as_of);
            let codes: Vec<_> = codes
                .into_iter()
                .filter(|(_, id)| id.contains("/validity-"))
                .collect();
            assert_eq!(codes, want, "as of {as_of}");
        }
        previous = Some(limit);
    }
    // A profile already within each new limit is quiet on the day it takes effect.
    for (days, as_of) in [
        ("825", "2018-03-01"),
        ("397", "2020-09-01"),
        ("199", "2026-03-15"),
        ("99", "2027-03-15"),
        ("46", "2029-03-15"),
    ] {
        let (codes, _) = run_openssl(&set, &["tls-server"], &ca_cnf(days, GOOD_EXT), as_of);
        let codes: Vec<_> = codes.into_iter().filter(|(c, _)| *c == V).collect();
        assert!(
            days == "825" && codes == ids(&[(V, "cabf-tls-br/validity-825")])
                || days != "825" && codes.is_empty(),
            "{days} as of {as_of}: {codes:?}"
        );
    }
    // Outside the lead time nothing is said about a rule not yet in force.
    let (codes, _) = run_openssl(&set, &["tls-server"], &conf, "2017-11-30");
    assert_eq!(codes, vec![]);
}

#[test]
fn sc62_rules_take_effect_on_2023_09_15() {
    use ResultCode::{Upcoming as U, Violation as V};
    let set = packs_only();
    let ldap = GOOD_EXT.replace(
        "URI:http://ca.example/ca.crt",
        "URI:ldap://ca.example/cn=CA",
    );
    let conf = ca_cnf("397", &ldap);
    let only_aia = |as_of| {
        run_openssl(&set, &["tls-server"], &conf, as_of)
            .0
            .into_iter()
            .filter(|(_, id)| id == "cabf-tls-br/sc62-aia-http")
            .collect::<Vec<_>>()
    };
    assert_eq!(
        only_aia("2023-09-14"),
        ids(&[(U, "cabf-tls-br/sc62-aia-http")])
    );
    assert_eq!(
        only_aia("2023-09-15"),
        ids(&[(V, "cabf-tls-br/sc62-aia-http")])
    );
    let (_, out) = run_openssl(&set, &["tls-server"], &conf, "2024-01-01");
    let r = out
        .results
        .iter()
        .find(|r| r.requirement.ends_with("aia-http"))
        .unwrap();
    assert_eq!(r.line, Some(13));
    assert!(
        r.message
            .contains("item `caIssuers;URI:ldap://ca.example/cn=CA`"),
        "{}",
        r.message
    );
    // The good extension section meets every SC-62 value rule.
    let (codes, _) = run_openssl(
        &set,
        &["tls-server"],
        &ca_cnf("397", GOOD_EXT),
        "2024-01-01",
    );
    assert_eq!(codes, vec![]);
    // CA:TRUE, keyCertSign, codeSigning and a missing policy are each caught.
    let bad = "basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign\nextendedKeyUsage = serverAuth, codeSigning\nauthorityInfoAccess = OCSP;URI:http://o\ncrlDistributionPoints = URI:https://crl.example/x.crl";
    let (codes, _) = run_openssl(&set, &["tls-server"], &ca_cnf("397", bad), "2024-01-01");
    assert_eq!(
        codes,
        ids(&[
            (V, "cabf-tls-br/sc62-crldp-http"),
            (V, "cabf-tls-br/sc62-eku"),
            (V, "cabf-tls-br/sc62-key-usage"),
            (V, "cabf-tls-br/sc62-not-ca"),
            (V, "cabf-tls-br/sc62-policy-oid"),
        ])
    );
    // A value that must be set but is not points at its section.
    let (_, out) = run_openssl(&set, &["tls-server"], &ca_cnf("397", bad), "2024-01-01");
    let r = out
        .results
        .iter()
        .find(|r| r.requirement.ends_with("policy-oid"))
        .unwrap();
    assert_eq!((r.path.as_deref(), r.line), (Some("ca/tls.cnf"), Some(9)));
    assert!(
        r.message
            .contains("`[tls_ext] certificatePolicies` is not set"),
        "{}",
        r.message
    );
}

#[test]
fn openssl_sections_resolve_through_the_configuration_or_the_profile() {
    let set = packs_only();
    // No `[ca]` section: the CA section is unknown, so validity is not judged but reported as such.
    let conf = cnf("a.cnf", "[ CA_tls ]\ndefault_days = 500\n");
    let (codes, out) = run_openssl(&set, &["tls-server"], &conf, "2021-01-01");
    assert_eq!(codes, vec![]);
    let st = out
        .statuses
        .iter()
        .find(|s| s.requirement.ends_with("validity-398"))
        .unwrap();
    assert!(st.unjudged[0].contains("default_ca"), "{:?}", st.unjudged);
    // The profile names the section; the include chain comes through.
    let mut conf = conf;
    conf.chain = vec!["openssl.cnf:3".into()];
    let mut s = settings(&["tls-server"]);
    s.openssl_sections.insert("ca".into(), "CA_tls".into());
    let readers = Readers {
        openssl: Some(&conf),
        ..Default::default()
    };
    let out = evaluate_one(&set, "tls", &s, readers, day("2021-01-01"), 90);
    let v: Vec<_> = out
        .results
        .iter()
        .filter(|r| r.code == ResultCode::Violation)
        .collect();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].line, v[0].chain.clone()),
        (Some(2), vec!["openssl.cnf:3".to_string()])
    );
}

#[test]
fn go_durations_in_json_profiles() {
    let set = site(&rule(
        "site/ninety",
        "90-day certificates",
        r#"purpose = ["tls-server"]
effective = 2025-01-01
source = { document = "Our CPS", section = "6.3.2" }
[[requirements.rule.values]]
name = "validity"
kind = "validity"
json = "/authority/claims/maxTLSCertDuration"
max = "90d"
"#,
    ));
    let judge = |dur: &str| {
        let text = format!("{{\n  \"authority\": {{\n    \"claims\": {{ \"maxTLSCertDuration\": \"{dur}\" }}\n  }}\n}}\n");
        let j = JsonValues::parse("ca.json", &text).unwrap();
        let s = settings(&["tls-server"]);
        let readers = Readers {
            json: Some(&j),
            ..Default::default()
        };
        evaluate_one(&set, "acme", &s, readers, day("2025-06-01"), 90)
            .results
            .into_iter()
            .filter(|r| r.requirement == "site/ninety")
            .collect::<Vec<_>>()
    };
    let r = judge("2160h");
    assert_eq!(r.len(), 1, "2160h gives 90 days + 1 second");
    assert_eq!(
        (r[0].path.as_deref(), r[0].line),
        (Some("ca.json"), Some(3))
    );
    assert!(
        r[0].message.contains("90 days + 1 second"),
        "{}",
        r[0].message
    );
    assert!(judge("2159h59m59s").is_empty());
    assert!(judge("1h30m").is_empty());
    assert_eq!(judge("1.5h").len(), 0);
    assert_eq!(judge("2160h0m1s").len(), 1);
    let bad = judge("ninety days");
    assert!(
        bad[0].message.contains("not a duration"),
        "{}",
        bad[0].message
    );
}

#[test]
fn upcoming_follows_the_lead_time() {
    let set = packs_only();
    let conf = ca_cnf("300", GOOD_EXT);
    let upcoming = |as_of: &str, lead: u32| {
        let s = settings(&["tls-server"]);
        let readers = Readers {
            openssl: Some(&conf),
            ..Default::default()
        };
        evaluate_one(&set, "tls", &s, readers, day(as_of), lead)
            .results
            .into_iter()
            .filter(|r| r.code == ResultCode::Upcoming)
            .map(|r| (r.requirement, r.date.to_string(), r.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(set.lead_days, 90);
    assert!(upcoming("2025-12-14", 90).is_empty());
    let u = upcoming("2025-12-15", 90);
    assert_eq!(
        (u[0].0.as_str(), u[0].1.as_str()),
        ("cabf-tls-br/validity-200", "2026-03-15")
    );
    assert!(
        u[0].2.starts_with("from 2026-03-15 (in 90 days):"),
        "{}",
        u[0].2
    );
    assert!(upcoming("2026-03-04", 10).is_empty());
    assert_eq!(upcoming("2026-03-05", 10).len(), 1);
    assert_eq!(site("[requirements]\nlead-days = 30\n").lead_days, 30);
}

#[test]
fn review_needs_satisfies_on_or_after_the_effective_date() {
    let set = site(&rule(
        "site/review",
        "Reviewed for the 2026 rules",
        r#"profiles = ["vpn"]
effective = "2026-03-15"
review = true
source = { url = "https://example.invalid/policy" }
"#,
    ));
    let sat = |id: &str, at: &str| Satisfies {
        requirement: id.into(),
        at: at.into(),
        by: "A <a@example.invalid>".into(),
    };
    let good = [sat("site/review", "2026-03-15T00:00:00Z")];
    let early = [sat("site/review", "2026-03-14T23:59:59Z")];
    let other = [sat("site/else", "2026-04-01T00:00:00Z")];
    let run = |as_of: &str, a: &[Satisfies], b: &[Satisfies]| {
        let s = ProfileRequirements::default();
        let input = ProfileInput {
            name: "vpn",
            settings: &s,
            readers: Readers::default(),
            components: vec![
                ComponentFacts {
                    path: "vpn.cnf",
                    satisfies: a,
                },
                ComponentFacts {
                    path: "ext.cnf",
                    satisfies: b,
                },
            ],
        };
        evaluate(&set, day(as_of), 90, &[input])
            .results
            .into_iter()
            .map(|r| (r.code, r.path, r.message))
            .collect::<Vec<_>>()
    };
    // Both reviewed: nothing.
    assert!(run("2026-04-01", &good, &good).is_empty());
    // One without, one too early, one for another requirement: each is unreviewed.
    for b in [&[][..], &early[..], &other[..]] {
        let r = run("2026-04-01", &good, b);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            (r[0].0, r[0].1.as_deref()),
            (ResultCode::Unreviewed, Some("ext.cnf"))
        );
        assert!(
            r[0].2.contains("--satisfies site/review") && r[0].2.contains("2026-03-15"),
            "{}",
            r[0].2
        );
    }
    // As of a day before the approval, it had not happened yet.
    let late = [sat("site/review", "2026-05-01T10:00:00Z")];
    assert_eq!(run("2026-04-30", &late, &good).len(), 1);
    assert!(run("2026-05-01", &late, &good).is_empty());
    // Within the lead time: one upcoming for the profile.
    let r = run("2026-03-01", &[], &[]);
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0, r[0].1.as_deref()), (ResultCode::Upcoming, None));
    assert!(
        r[0].2.contains("vigil approve vpn --satisfies site/review"),
        "{}",
        r[0].2
    );
    // Satisfies records round-trip through TOML, as the manifest will carry them.
    let text = toml::to_string(&good[0]).unwrap();
    assert_eq!(toml::from_str::<Satisfies>(&text).unwrap(), good[0]);
}

fn kv_rule(value_toml: &str) -> RequirementSet {
    site(&rule(
        "site/kv",
        "kv rule",
        &format!(
            r#"profiles = ["p"]
effective = 2020-01-01
source = {{ document = "CPS" }}
[[requirements.rule.values]]
name = "v"
kv = "KEY"
{value_toml}
"#
        ),
    ))
}

/// Results of `site/kv` for a profile whose key=value file holds `file`.
/// Judges one profile, named `name`, whose values come from `readers`, as of `as_of`.
fn evaluate_one(
    set: &RequirementSet,
    name: &str,
    settings: &ProfileRequirements,
    readers: Readers<'_>,
    as_of: Date,
    lead_days: u32,
) -> Outcome {
    let input = ProfileInput {
        name,
        settings,
        readers,
        components: Vec::new(),
    };
    evaluate(set, as_of, lead_days, &[input])
}

/// Judges one profile whose values come from a `key=value` file, as of `as_of`.
fn evaluate_kv(
    set: &RequirementSet,
    s: &ProfileRequirements,
    kv: &KvValues,
    as_of: &str,
) -> Outcome {
    let readers = Readers {
        kv: Some(kv),
        ..Default::default()
    };
    evaluate_one(set, "p", s, readers, day(as_of), 90)
}

fn kv_results(set: &RequirementSet, file: &str) -> Vec<String> {
    let kv = KvValues::parse("p.env", file).unwrap();
    evaluate_kv(set, &ProfileRequirements::default(), &kv, "2024-01-01")
        .results
        .into_iter()
        .map(|r| {
            assert_eq!(
                (r.code, r.path.as_deref()),
                (ResultCode::Violation, Some("p.env"))
            );
            r.message
        })
        .collect()
}

#[test]
fn each_constraint_kind_passes_and_fails() {
    let cases: [(&str, &str, &str); 10] = [
        ("kind = \"integer\"\nmax = 10", "KEY=10", "KEY=11"),
        ("kind = \"integer\"\nmin = 2048", "KEY=4096", "KEY=1024"),
        (
            "kind = \"duration\"\nmax = \"1h\"",
            "KEY=3600s",
            "KEY=1h0m1s",
        ),
        (
            "kind = \"duration\"\nunit = \"hours\"\nmin = \"2h\"",
            "KEY=2",
            "KEY=1",
        ),
        ("equals = \"sha256\"", "KEY=sha256", "KEY=sha1"),
        ("one-of = [\"sha256\", \"sha384\"]", "KEY=sha384", "KEY=md5"),
        ("present = true", "KEY=x", "OTHER=x"),
        ("absent = true", "OTHER=x", "KEY=x"),
        ("matches = '^http://'", "KEY=http://a", "KEY=ldap://a"),
        (
            "split = \",\"\nnot-matches = '^ldap:'",
            "KEY=http://a, http://b",
            "KEY=http://a, ldap://b",
        ),
    ];
    for (rule, ok, bad) in cases {
        let set = kv_rule(rule);
        assert_eq!(
            kv_results(&set, ok),
            Vec::<String>::new(),
            "{rule} with {ok}"
        );
        let r = kv_results(&set, bad);
        assert_eq!(r.len(), 1, "{rule} with {bad}: {r:?}");
    }
    let r = kv_results(&kv_rule("kind = \"integer\"\nmax = 10"), "KEY=ten");
    assert!(r[0].contains("is not an integer"), "{r:?}");
    let r = kv_results(&kv_rule("present = true"), "OTHER=x");
    assert!(r[0].contains("`KEY` is not set, but must be"), "{r:?}");
    // A missing value with only a bound is reported as not judged rather than passed silently.
    let set = kv_rule("kind = \"integer\"\nmax = 10");
    let kv = KvValues::parse("p.env", "").unwrap();
    let out = evaluate_kv(&set, &ProfileRequirements::default(), &kv, "2024-01-01");
    assert!(out.results.is_empty());
    assert_eq!(
        out.statuses[0].unjudged,
        vec!["`v`: `KEY` is not set".to_string()]
    );
}

#[test]
fn a_profile_can_point_a_value_elsewhere() {
    let set = packs_only();
    let kv = KvValues::parse("ca.env", "LIFETIME=4800h\n").unwrap();
    let text =
        "[profiles.x]\npurpose = [\"tls-server\"]\nvalues = { validity = \"kv:LIFETIME\" }\n";
    #[derive(serde::Deserialize)]
    struct P {
        profiles: std::collections::BTreeMap<String, RawProfileRequirements>,
    }
    let raw: P = toml::from_str(text).unwrap();
    let s = raw.profiles["x"]
        .check(&set, Path::new("vigil.toml"), text)
        .unwrap();
    let out = evaluate_kv(&set, &s, &kv, "2026-04-01");
    let v: Vec<_> = out.results.iter().map(|r| r.requirement.as_str()).collect();
    assert_eq!(v, ["cabf-tls-br/validity-200"]);
    // An unknown purpose is an error on its line, with the closest tag.
    let text = "[profiles.x]\npurpose = [\"tls-servr\"]\n";
    let raw: P = toml::from_str(text).unwrap();
    let e = raw.profiles["x"]
        .check(&set, Path::new("vigil.toml"), text)
        .unwrap_err();
    assert_error(&e, 2, "did you mean `tls-server`?");
}

#[test]
fn overrides_need_a_reason() {
    let e = site_err(
        "[requirements.overrides.\"cabf-tls-br/sc62-aia-http\"]\nprofiles = [\"legacy\"]\n",
    );
    assert!(e.message.contains("needs a `reason`"), "{}", e.message);
    assert_eq!(e.line, Some(1));
    let e = site_err("[requirements.overrides.\"cabf-tls-br/sc62-aia-http\"]\nreason = \"  \"\n");
    assert!(e.message.contains("non-empty `reason`"), "{}", e.message);
    assert_eq!(e.line, Some(2));
    let e = site_err("[requirements.overrides.\"cabf-tls-br/validity-39\"]\nreason = \"x\"\n");
    assert!(e.message.contains("unknown requirement"), "{}", e.message);
    let set = site("[requirements.overrides.\"cabf-tls-br/sc62-aia-http\"]\nreason = \"RA-12\"\nprofiles = [\"tls\"]\n");
    let ldap = GOOD_EXT.replace("URI:http://ca.example/ca.crt", "URI:ldap://x");
    let (codes, out) = run_openssl(&set, &["tls-server"], &ca_cnf("397", &ldap), "2024-01-01");
    assert_eq!(codes, vec![]);
    let st = out
        .statuses
        .iter()
        .find(|s| s.requirement.ends_with("aia-http"))
        .unwrap();
    assert_eq!(st.overridden.as_deref(), Some("RA-12"));
}

#[test]
fn packs_can_be_chosen() {
    let set = site("[requirements]\npacks = [\"cabf-ev\"]\n");
    assert!(set
        .requirements
        .iter()
        .all(|r| r.pack.as_deref() == Some("cabf-ev")));
    let e = site_err("[requirements]\npacks = [\"cabf-tls\"]\n");
    assert_error(&e, 2, "did you mean `cabf-tls-br`?");
}

#[test]
fn malformed_requirements_name_file_and_line() {
    let head = "[[requirements.rule]]\nid = \"site/x\"\ntitle = \"x\"\nprofiles = [\"p\"]\nsource = { document = \"CPS\" }\n";
    let cases: [(&str, usize, &str); 9] = [
        ("effective = 2023-02-30\nreview = true\n", 6, "date"),
        ("effective = \"2023-9-1\"\nreview = true\n", 6, "YYYY-MM-DD"),
        ("effective = 2023-09-01\nuntil = 2023-01-01\nreview = true\n", 7, "must be after"),
        ("effective = 2023-09-01\n", 2, "demands nothing"),
        ("effective = 2023-09-01\n[[requirements.rule.values]]\nname = \"v\"\nkv = \"K\"\nkind = \"number\"\nmax = 3\n", 10, "unknown kind"),
        ("effective = 2023-09-01\n[[requirements.rule.values]]\nname = \"v\"\nkv = \"K\"\nmatches = \"(\"\n", 10, "invalid regex"),
        ("effective = 2023-09-01\n[[requirements.rule.values]]\nname = \"v\"\nkv = \"K\"\nmax = 3\n", 10, "`max` and `min` need"),
        ("effective = 2023-09-01\n[[requirements.rule.values]]\nname = \"v\"\njson = \"a/b\"\npresent = true\n", 9, "JSON pointer"),
        ("effective = 2023-09-01\nreview = tru\n", 7, ""),
    ];
    for (tail, line, msg) in cases {
        let e = site_err(&format!("{head}{tail}"));
        assert_eq!(e.line, Some(line), "{tail}: {e}");
        assert!(e.message.contains(msg), "{tail}: {e}");
        assert!(
            e.to_string().starts_with(&format!("vigil.toml:{line}:")),
            "{e}"
        );
    }
    let e = site_err("[[requirements.rule]]\nid = \"site/x\"\ntitle = \"x\"\nprofiles = [\"p\"]\neffective = 2023-09-01\nreview = true\nsource = {}\n");
    assert!(e.message.contains("needs a `source`"), "{e}");
    assert_eq!(e.line, Some(2));
    // A site rule may not reuse a pack id.
    let e = site_err("[[requirements.rule]]\nid = \"cabf-tls-br/validity-398\"\ntitle = \"x\"\nprofiles = [\"p\"]\neffective = 2023-09-01\nreview = true\nsource = { document = \"CPS\" }\n");
    assert!(e.message.contains("already defined"), "{e}");
    // A pack that breaks the rules names its file and line.
    let e = Pack::parse(
        Path::new("packs/x.toml"),
        "[pack]\nid = \"x\"\ntitle = \"t\"\ndocument = \"d\"\nurl = \"u\"\nchecked-against = \"v\"\n[[requirement]]\nid = \"x/a\"\ntitle = \"a\"\npurpose = [\"tls-server\"]\neffective = 2020-01-01\nreview = true\nsource = { url = \"https://x\" }\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(8));
    assert!(
        e.message.contains("must cite a `section` or a `ballot`"),
        "{e}"
    );
}

#[test]
fn site_and_profile_keys_have_a_schema() {
    let site = serde_json::to_string(&schemars::schema_for!(RawSiteRequirements)).unwrap();
    for key in [
        "packs",
        "lead-days",
        "rule",
        "overrides",
        "reason",
        "not-matches",
        "one-of",
        "effective",
    ] {
        assert!(
            site.contains(&format!("\"{key}\"")),
            "{key} missing from {site}"
        );
    }
    let sat = serde_json::to_string(&schemars::schema_for!(Satisfies)).unwrap();
    assert!(sat.contains("\"requirement\"") && sat.contains("\"by\""));
}

/// Runs a command in `dir`, failing the test with its stderr when it fails.
fn run(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{}` ({e}); install openssl (apt-get install openssl)",
                args[0]
            )
        });
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The arithmetic of `duration` checked against the authority: a certificate issued by real `openssl ca`
/// with `default_days = N` has `notAfter - notBefore = N × 86,400` seconds, so with both ends counted
/// 398 breaks a 398-day maximum and 397 does not.
#[test]
fn openssl_ca_default_days_gives_the_span_the_rule_judges() {
    let set = packs_only();
    for days in [397u128, 398] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let conf = format!(
            "[ ca ]\ndefault_ca = CA_default\n\n[ CA_default ]\ndir = .\ndatabase = index.txt\nnew_certs_dir = .\ncertificate = ca.crt\nprivate_key = ca.key\nserial = serial\ndefault_md = sha256\npolicy = pol\ndefault_days = {days}\nx509_extensions = tls_ext\n\n[ pol ]\ncommonName = supplied\n\n[ tls_ext ]\n{GOOD_EXT}\n"
        );
        std::fs::write(d.join("ca.cnf"), &conf).unwrap();
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("serial"), "01\n").unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["openssl", "req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=Test CA",
            "-days",
            "3650",
        ]);
        run(d, &ca);
        let mut req = vec!["openssl", "req", "-new"];
        req.extend(ec);
        req.extend([
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=leaf.example",
        ]);
        run(d, &req);
        run(
            d,
            &[
                "openssl", "ca", "-batch", "-config", "ca.cnf", "-in", "leaf.csr", "-out",
                "leaf.crt", "-notext",
            ],
        );
        let dates = run(
            d,
            &[
                "openssl", "x509", "-in", "leaf.crt", "-noout", "-dates", "-dateopt", "iso_8601",
            ],
        );
        let field = |name: &str| {
            let line = dates.lines().find_map(|l| l.strip_prefix(name)).unwrap();
            time::parse_instant(&line.trim().replacen(' ', "T", 1)).unwrap()
        };
        let span = (field("notAfter=") - field("notBefore=")) as u128;
        assert_eq!(
            span,
            super::duration::Span::parse_value(&days.to_string(), Unit::Days)
                .unwrap()
                .whole_seconds()
        );
        let (codes, _) = run_openssl(&set, &["tls-server"], &cnf("ca.cnf", &conf), "2021-06-01");
        let want: &[(ResultCode, &str)] = if days == 398 {
            &[(ResultCode::Violation, "cabf-tls-br/validity-398")]
        } else {
            &[]
        };
        assert_eq!(codes, ids(want), "default_days = {days}");
    }
}
