//! Structured reference extractors on the bundled CA software examples (step-ca, Boulder, Dogtag,
//! EJBCA), each copied into a real git repository: every file the configuration names is a component
//! with the field that named it, a named file left out of version control is `untracked` with that
//! chain (the 2020 incident, in JSON), and a file the extractor cannot parse is `malformed` at its line.

use crate::support::Sandbox;
use std::path::Path;

/// A git repository holding a copy of `examples/NAME`, committed except for the files in `left_out`,
/// which are on disk only.
pub(crate) fn example(name: &str, left_out: &[&str]) -> Sandbox {
    let s = Sandbox::git_repo();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let mut files = Vec::new();
    collect(&src, &src, &mut files);
    assert!(!files.is_empty(), "examples/{name} holds files");
    for rel in &files {
        if !left_out.contains(&rel.as_str()) {
            s.bytes(rel, &std::fs::read(src.join(rel)).unwrap());
        }
    }
    s.commit_all("the CA configuration");
    for rel in left_out {
        assert!(
            files.iter().any(|f| f == rel),
            "examples/{name}/{rel} exists"
        );
        s.bytes(rel, &std::fs::read(src.join(rel)).unwrap());
    }
    s
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            out.push(rel);
        }
    }
    out.sort();
}

fn inventory(s: &Sandbox) -> Vec<String> {
    s.vigil(&["inventory", "--format", "json"])
        .expect(0)
        .components()
}

#[test]
fn step_ca_json_pointers_reach_certificates_and_templates() {
    let s = example("step-ca", &[]);
    assert_eq!(
        inventory(&s),
        [
            "step-ca step/certs/intermediate_ca.crt [file] via declared `step/config/ca.json` → step/config/ca.json:4 (json /crt)",
            "step-ca step/certs/root_ca.crt [file] via declared `step/config/ca.json` → step/config/ca.json:2 (json /root)",
            "step-ca step/config/ca.json [file] via declared `step/config/ca.json`",
            "step-ca step/templates/ssh/user.tpl [file] via declared `step/config/ca.json` → step/config/ca.json:56 (json /authority/provisioners/1/options/ssh/templateFile)",
            "step-ca step/templates/x509/client.tpl [file] via declared `step/config/ca.json` → step/config/ca.json:53 (json /authority/provisioners/1/options/x509/templateFile)",
            "step-ca step/templates/x509/tls-server.tpl [file] via declared `step/config/ca.json` → step/config/ca.json:35 (json /authority/provisioners/0/options/x509/templateFile)",
        ]
    );
    s.vigil(&["approve", "step-ca"]).expect(0);
    s.commit_all("approve");
    s.vigil(&["check"]).expect(0);
}

/// The 2020 incident with step-ca: a provisioner's template was added on disk and named in ca.json,
/// but never committed.
#[test]
fn step_ca_template_left_out_of_git_is_untracked_with_its_chain() {
    let s = example("step-ca", &["step/templates/x509/tls-server.tpl"]);
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("untracked"),
        ["error untracked step/templates/x509/tls-server.tpl via declared `step/config/ca.json` → step/config/ca.json:35 (json /authority/provisioners/0/options/x509/templateFile)"]
    );
    let r = s.vigil(&["check", "--format", "human"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
    // Without the structured extractor nothing names the template: the check cannot see it.
    let toml = s.read("vigil.toml");
    let cut = toml.find("[[profiles.step-ca.references]]").unwrap();
    s.config(&toml[..cut]);
    let r = s.check_json().expect(1);
    assert!(r
        .findings_of("untracked")
        .iter()
        .all(|f| !f.contains("tls-server.tpl")));
}

#[test]
fn boulder_issuers_and_policy_are_components() {
    let s = example("boulder", &["certs/webpki/int-rsa-a.pkcs11.json"]);
    let components = inventory(&s);
    assert!(components.contains(&"boulder-ca certs/webpki/int-ecdsa-a.cert.pem [file] via declared `config/ca.json` → config/ca.json:45 (json /ca/issuance/issuers/0/location/certFile)".to_string()), "{components:#?}");
    assert!(components.contains(&"boulder-ca policy/hostname-policy.yaml [file] via declared `config/ca.json` → config/ca.json:8 (json /ca/hostnamePolicyFile)".to_string()), "{components:#?}");
    assert_eq!(components.len(), 8, "{components:#?}");
    assert!(
        components.iter().all(|c| !c.contains("key.pem")),
        "the TLS key is not selected"
    );
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("untracked"),
        ["error untracked certs/webpki/int-rsa-a.pkcs11.json via declared `config/ca.json` → config/ca.json:55 (json /ca/issuance/issuers/1/location/configFile)"]
    );
}

#[test]
fn dogtag_cs_cfg_registers_profiles_by_deployed_absolute_paths() {
    let s = example("dogtag", &[]);
    let components = inventory(&s);
    assert_eq!(
        components[1..],
        [
            "dogtag-ca profiles/ca/caECServerCert.cfg [file] via declared `conf/ca/CS.cfg` → conf/ca/CS.cfg:19 (kv profile.caECServerCert.config)",
            "dogtag-ca profiles/ca/caServerCert.cfg [file] via declared `conf/ca/CS.cfg` → conf/ca/CS.cfg:15 (kv profile.caServerCert.config)",
            "dogtag-ca profiles/ca/caUserCert.cfg [file] via declared `conf/ca/CS.cfg` → conf/ca/CS.cfg:17 (kv profile.caUserCert.config)",
        ]
    );
    // A new profile registered in CS.cfg but whose file is not there; and one outside every
    // deployed folder.
    let cs = s.read("conf/ca/CS.cfg");
    s.file(
        "conf/ca/CS.cfg",
        &format!("{cs}profile.caSubCA.config=/var/lib/pki/pki-tomcat/ca/profiles/ca/caSubCA.cfg\nprofile.x.config=/srv/other/x.cfg\n"),
    );
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("missing"),
        ["error missing profiles/ca/caSubCA.cfg via declared `conf/ca/CS.cfg` → conf/ca/CS.cfg:20 (kv profile.caSubCA.config)"]
    );
    assert_eq!(
        r.findings_of("outside-root"),
        ["error outside-root /srv/other/x.cfg via declared `conf/ca/CS.cfg` → conf/ca/CS.cfg:21 (kv profile.x.config)"]
    );
}

#[test]
fn ejbca_properties_and_exported_validator_xml() {
    let s = example("ejbca", &["ejbca/validators/tls-lint.sh"]);
    let components = inventory(&s);
    assert!(components.contains(&"ejbca-tls ejbca/conf/catoken.properties [file] via declared `ejbca/conf/install.properties` → ejbca/conf/install.properties:6 (kv ca.tokenproperties)".to_string()), "{components:#?}");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("untracked"),
        ["error untracked ejbca/validators/tls-lint.sh via declared `ejbca/profiles/` → ejbca/profiles/validator_TLSLint-2011472213.xml:14 (xml /java/object/void[string='externalCommand']/string[2])"]
    );
}

#[test]
fn malformed_json_kv_and_xml_are_findings_at_their_line() {
    let s = Sandbox::git_repo();
    s.config(
        r#"[profiles.p]
components = ["ca.json", "CS.cfg", "profile.xml"]

[[profiles.p.references]]
files = "*.json"
json = ["/root"]

[[profiles.p.references]]
files = "*.cfg"
kv = ["profile.*.config"]

[[profiles.p.references]]
files = "*.xml"
xml = ["/a/b/@path"]
"#,
    )
    .file("ca.json", "{\n  \"root\": \"a.crt\",\n  \"crt\" \"b\"\n}\n")
    .file("CS.cfg", "x=1\nprofile.a.config=\\u00zz\n")
    .file("profile.xml", "<a>\n<b path=\"x\">\n</a>\n")
    .commit_all("broken");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("malformed"),
        [
            "error malformed CS.cfg via declared `CS.cfg`",
            "error malformed ca.json via declared `ca.json`",
            "error malformed profile.xml via declared `profile.xml`",
        ]
    );
    let j = r.json();
    let lines: Vec<(String, u64)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "malformed")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("CS.cfg".into(), 2),
            ("ca.json".into(), 3),
            ("profile.xml".into(), 3)
        ]
    );
    let r = s.vigil(&["check"]).expect(1);
    insta::assert_snapshot!(s.redact(&r.stdout));
}

#[test]
fn selector_mistakes_are_configuration_errors_with_their_line() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\n[[profiles.p.references]]\nfiles = \"*.json\"\njson = [\"root\"]\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("vigil.toml:4"), "{}", r.stderr);
    assert!(r.stderr.contains("must start with `/`"), "{}", r.stderr);
    s.config("[profiles.p]\n[[profiles.p.references]]\nxml = [\"/a\"]\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("needs `files`"), "{}", r.stderr);
    s.config("[profiles.p]\n[[profiles.p.references]]\npattern = '(x)'\nkv = [\"a\"]\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("exactly one of"), "{}", r.stderr);
    s.config("[profiles.p]\n[[profiles.p.references]]\nfiles = \"*.cfg\"\nkv = [\"a\"]\ndir = \"../up\"\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(
        r.stderr.contains("must stay inside the workspace"),
        "{}",
        r.stderr
    );
    s.config("[profiles.p]\ndeployed = { \"etc\" = \"x\" }\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("not an absolute folder"), "{}", r.stderr);
}

/// The README shows each example's inventory as it really is.
#[test]
fn readme_shows_each_examples_real_inventory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for name in ["step-ca", "boulder", "dogtag", "ejbca"] {
        let out = std::process::Command::new(crate::support::vigil_bin())
            .args(["--config", &format!("examples/{name}"), "inventory"])
            .current_dir(root)
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap();
        assert!(out.status.success(), "examples/{name}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let shown = format!("$ vigil --config examples/{name} inventory\n{text}```");
        assert!(readme.contains(&shown), "README.md does not show:\n{shown}");
    }
}

/// `deployed` maps a folder, and only what stays in it: `..` cannot climb out through the mapping,
/// and the longest folder wins.
#[test]
fn deployed_folders_map_absolute_paths_and_nothing_above_them() {
    let s = Sandbox::git_repo();
    s.config(
        r#"[profiles.p]
components = ["ca.json"]
deployed = { "/etc/ca" = "etc", "/etc/ca/templates" = "tpl" }

[[profiles.p.references]]
files = "ca.json"
json = ["/*"]
"#,
    )
    .file(
        "ca.json",
        "{\"a\": \"/etc/ca/root.crt\",\n\"b\": \"/etc/ca/templates/leaf.tpl\",\n\"c\": \"/etc/ca/../passwd\",\n\"d\": \"rel/x.tpl\"}\n",
    )
    .file("etc/root.crt", "root\n")
    .file("tpl/leaf.tpl", "{}\n")
    .file("rel/x.tpl", "{}\n")
    .commit_all("ca");
    let r = s.check_json().expect(1);
    let components = r.components();
    let paths: Vec<&str> = components
        .iter()
        .map(|c| c.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        paths,
        ["ca.json", "etc/root.crt", "rel/x.tpl", "tpl/leaf.tpl"]
    );
    assert_eq!(
        r.findings_of("outside-root"),
        ["error outside-root /etc/ca/../passwd via declared `ca.json` → ca.json:3 (json /c)"]
    );
}
