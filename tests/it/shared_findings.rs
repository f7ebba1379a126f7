//! A finding about a component several profiles share is printed once in the human report, with the
//! profiles that use it; the machine formats keep one finding per profile.

use crate::support::Sandbox;

const NAMES: [&str; 8] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
];

/// Eight profiles, each its own file including `shared.cnf`; all approved and committed, then
/// `shared.cnf` changed.
fn eight_sharing(s: &Sandbox) {
    let mut toml = String::new();
    for n in NAMES {
        toml.push_str(&format!(
            "[profiles.{n}]\ncomponents = [\"profiles/{n}.cnf\"]\nfollow = [\"openssl-include\"]\n"
        ));
        s.file(
            &format!("profiles/{n}.cnf"),
            &format!("# {n}\n.include shared.cnf\n[{n}]\n"),
        );
    }
    s.file("vigil.toml", &toml)
        .file("shared.cnf", "[shared]\nx = 1\n");
    s.commit_all("profiles");
    let mut approve = vec!["approve"];
    approve.extend(NAMES);
    s.vigil(&approve).expect(0);
    s.commit_all("approve");
    s.file("shared.cnf", "[shared]\nx = 2\n");
}

#[test]
fn human_output_groups_a_shared_finding_once() {
    let s = Sandbox::git_repo();
    eight_sharing(&s);
    let r = s.vigil(&["check"]).expect(1);
    let text = s.redact(&r.stdout);
    assert_eq!(text.matches("error   stale").count(), 1, "{text}");
    assert!(
        text.contains(
            "used by 8 profiles: alpha, bravo, charlie, delta, echo, foxtrot, golf, hotel\n"
        ),
        "{text}"
    );
    // The count is still one error per profile and finding (stale and uncommitted), as in every
    // machine format.
    assert!(text.contains("16 errors"), "{text}");
    let id = regex::Regex::new(r"\b[0-9a-f]{12}\b").unwrap();
    insta::assert_snapshot!(
        "shared_human",
        id.replace_all(&text, "[SHORT]").into_owned()
    );
}

#[test]
fn machine_formats_keep_one_finding_per_profile() {
    let s = Sandbox::git_repo();
    eight_sharing(&s);
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let stale: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "stale")
        .map(|f| f["profile"].as_str().unwrap())
        .collect();
    assert_eq!(stale, NAMES);
    let sarif = s.vigil(&["check", "--format", "sarif"]).expect(1);
    let v: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 16);
    let junit = s.vigil(&["check", "--format", "junit"]).expect(1);
    assert_eq!(
        junit.stdout.matches("<failure").count(),
        8,
        "{}",
        junit.stdout
    );
}

#[test]
fn a_finding_of_one_profile_is_not_grouped() {
    let s = Sandbox::git_repo();
    eight_sharing(&s);
    s.file("shared.cnf", "[shared]\nx = 1\n").file(
        "profiles/alpha.cnf",
        "# alpha\n.include shared.cnf\n[alpha]\ny = 1\n",
    );
    let r = s.vigil(&["check"]).expect(1);
    assert!(
        !r.stdout.contains("shared by several profiles"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("used by"), "{}", r.stdout);
}
