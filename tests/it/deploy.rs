//! Deployed hosts: `vigil bundle` from a real git repository, copied onto a scratch host tree with a
//! different layout, and `vigil verify --map` finding each kind of difference; a changed bundle
//! refused; the one-line log format; `vigil gate --format prometheus` read by the real parser.

use crate::prometheus::parse;
use crate::support::Sandbox;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The map every test uses: the repository's `profiles/` is the host's `/etc/ca/profiles/`.
const MAP: &str = "profiles=/etc/ca/profiles";

/// A profile whose top file includes a folder (the 2020 incident's shape), approved and committed,
/// asking for mode 0640.
fn approved(s: &Sandbox, extra: &str) {
    s.file(
        "vigil.toml",
        &format!(
            "[profiles.tls-server]\ndescription = \"TLS server certificates\"\n\
             components = [\"profiles/tls-server.cnf\"]\nfollow = [\"openssl-include\"]\n\
             include-dir = \"profiles\"\nmode = \"0640\"\n{extra}"
        ),
    )
    .file(
        "profiles/tls-server.cnf",
        ".include ext.d\n[ca]\ndefault_ca = issuing\n[issuing]\ndefault_days = 199\n",
    )
    .file(
        "profiles/ext.d/10-key-usage.cnf",
        "[ext]\nkeyUsage = digitalSignature\n",
    );
    s.commit_all("profiles");
    s.vigil(&["approve", "tls-server"]).expect(0);
    s.commit_all("approve tls-server");
}

/// Writes the bundle and returns its path.
fn bundle(s: &Sandbox) -> PathBuf {
    let out = s.outside().join("tls.bundle");
    s.vigil(&["bundle", "tls-server", "-o", out.to_str().unwrap()])
        .expect(0);
    out
}

/// Deploys the committed profile files under `<sandbox>/host/etc/ca/profiles`, mode 0640.
fn deploy(s: &Sandbox) -> PathBuf {
    let host = s.outside().join("host");
    for rel in ["tls-server.cnf", "ext.d/10-key-usage.cnf"] {
        let to = host.join("etc/ca/profiles").join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(s.path(&format!("profiles/{rel}")), &to).unwrap();
        fs::set_permissions(&to, fs::Permissions::from_mode(0o640)).unwrap();
    }
    host
}

fn verify(s: &Sandbox, bundle: &Path, host: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["--map", MAP];
    args.extend(extra);
    verify_unmapped(s, bundle, host, &args)
}

/// `vigil verify --bundle BUNDLE --root HOST EXTRA...`, with no map of its own.
fn verify_unmapped(s: &Sandbox, bundle: &Path, host: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--root",
        host.to_str().unwrap(),
    ];
    args.extend(extra);
    s.vigil(&args)
}

#[test]
fn a_bundle_verifies_a_faithful_deployment_through_the_map() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let b = bundle(&s);
    let host = deploy(&s);
    let r = verify(&s, &b, &host, &["--format", "json"]).expect(0);
    assert_eq!(r.finding_codes(), Vec::<String>::new());
    let paths = component_paths(&r);
    assert_eq!(
        paths,
        [
            "etc/ca/profiles/ext.d/10-key-usage.cnf",
            "etc/ca/profiles/tls-server.cnf"
        ]
    );
    let head = s.git_ok(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    assert_eq!(r.json()["revision"]["id"], head.as_str());
    // Without the map the host's layout is not the repository's: everything approved is missing.
    let r = s
        .vigil(&[
            "verify",
            "--bundle",
            b.to_str().unwrap(),
            "--root",
            host.to_str().unwrap(),
            "--format",
            "json",
        ])
        .expect(1);
    assert_eq!(
        r.finding_codes(),
        [
            "missing /profiles/ext.d/10-key-usage.cnf",
            "missing /profiles/tls-server.cnf"
        ]
    );
}

#[test]
fn each_difference_on_the_host_is_its_own_finding() {
    let s = Sandbox::git_repo();
    approved(&s, "owner = \"vigil-no-such-user\"\n");
    let b = bundle(&s);
    let host = deploy(&s);
    let profiles = host.join("etc/ca/profiles");
    // Bytes: the top file changed on the host.
    fs::write(
        profiles.join("tls-server.cnf"),
        ".include ext.d\n[ca]\ndefault_ca = issuing\n[issuing]\ndefault_days = 825\n",
    )
    .unwrap();
    // Extra: a file dropped into the included folder, reached by the host's OpenSSL only.
    fs::write(
        profiles.join("ext.d/90-validity.cnf"),
        "[issuing]\ndefault_days = 825\n",
    )
    .unwrap();
    fs::set_permissions(
        profiles.join("ext.d/90-validity.cnf"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    // Missing: an approved component deleted on the host.
    fs::remove_file(profiles.join("ext.d/10-key-usage.cnf")).unwrap();
    let r = verify(&s, &b, &host, &["--format", "json"]).expect(1);
    let mut want = vec![
        "missing /etc/ca/profiles/ext.d/10-key-usage.cnf",
        "stale /etc/ca/profiles/tls-server.cnf",
        "unapproved /etc/ca/profiles/ext.d/90-validity.cnf",
        "wrong-permissions /etc/ca/profiles/ext.d/90-validity.cnf",
        "wrong-permissions /etc/ca/profiles/tls-server.cnf",
    ];
    want.sort();
    assert_eq!(r.finding_codes(), want);
    let text = r.stdout;
    assert!(
        text.contains("the profile asks for vigil-no-such-user"),
        "{text}"
    );
    assert!(
        text.contains("not in the approved bundle (as profiles/ext.d/90-validity.cnf)"),
        "{text}"
    );

    // Mode: a chmod on the host, and nothing else wrong.
    let s = Sandbox::git_repo();
    approved(&s, "");
    let b = bundle(&s);
    let host = deploy(&s);
    fs::set_permissions(
        host.join("etc/ca/profiles/tls-server.cnf"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let r = verify(&s, &b, &host, &["--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        ["wrong-permissions /etc/ca/profiles/tls-server.cnf"]
    );
    assert!(r.stdout.contains("mode is 0644, the profile asks for 0640"));
}

#[test]
fn the_owner_the_profile_asks_for_is_checked_by_name_and_number() {
    let s = Sandbox::git_repo();
    let uid = fs::metadata(s.path(".")).map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    approved(&s, &format!("owner = \"{}\"\n", uid.unwrap()));
    let b = bundle(&s);
    let host = deploy(&s);
    verify(&s, &b, &host, &[]).expect(0);
}

#[test]
fn a_bundle_holds_committed_bytes_only_and_refuses_an_unapproved_commit() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    // An uncommitted edit in the working tree does not reach the bundle.
    s.file(
        "profiles/ext.d/10-key-usage.cnf",
        "[ext]\nkeyUsage = keyCertSign\n",
    );
    let b = bundle(&s);
    let host = deploy(&s); // deploys the edited working-tree bytes
    let r = verify(&s, &b, &host, &["--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        ["stale /etc/ca/profiles/ext.d/10-key-usage.cnf"]
    );
    // Committed without approval: the commit is not an approved state, so no bundle.
    s.commit_all("unapproved change");
    let out = s.outside().join("refused.bundle");
    let r = s
        .vigil(&["bundle", "tls-server", "-o", out.to_str().unwrap()])
        .expect(2);
    assert!(
        r.stderr
            .contains("profiles/ext.d/10-key-usage.cnf differs from its approved bytes"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
    // The approved commit still bundles, named with --rev.
    let r = s.vigil(&[
        "bundle",
        "tls-server",
        "--rev",
        "HEAD~1",
        "-o",
        out.to_str().unwrap(),
    ]);
    r.expect(0);
}

#[test]
fn a_changed_bundle_is_refused() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let b = bundle(&s);
    let host = deploy(&s);
    let text = fs::read_to_string(&b).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let original = j["files"][2]["content"].as_str().unwrap().to_string();
    // Another file's approved bytes swapped in, its hash and size updated to match: only the
    // bundle's own BLAKE3 can tell.
    let mut forged = j.clone();
    let other = j["files"][1].clone();
    forged["files"][2]["content"] = other["content"].clone();
    forged["files"][2]["blake3"] = other["blake3"].clone();
    forged["files"][2]["size"] = other["size"].clone();
    assert_ne!(forged["files"][2]["content"].as_str().unwrap(), original);
    fs::write(&b, serde_json::to_vec_pretty(&forged).unwrap()).unwrap();
    let r = verify(&s, &b, &host, &[]).expect(2);
    assert!(
        r.stderr
            .contains("the bundle was changed after it was made"),
        "{}",
        r.stderr
    );
    // Truncated: not a bundle at all, with where it broke.
    fs::write(&b, &text[..text.len() / 2]).unwrap();
    let r = verify(&s, &b, &host, &[]).expect(2);
    assert!(r.stderr.contains("not a vigil bundle"), "{}", r.stderr);
    // Restored: accepted again.
    fs::write(&b, &text).unwrap();
    verify(&s, &b, &host, &[]).expect(0);
}

#[test]
fn the_line_format_is_one_finding_per_line_for_journald() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let b = bundle(&s);
    let host = deploy(&s);
    let profiles = host.join("etc/ca/profiles");
    fs::write(
        profiles.join("ext.d/90-validity.cnf"),
        "[issuing]\ndefault_days = 825\n",
    )
    .unwrap();
    fs::set_permissions(
        profiles.join("ext.d/90-validity.cnf"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let r = verify(&s, &b, &host, &["--format", "line"]).expect(1);
    assert!(!r.stdout.contains('\u{1b}'), "no colour");
    let head = s.git_ok(&["rev-parse", "--short=12", "HEAD"]).stdout;
    let text = r.stdout.replace(head.trim(), "[REV]");
    insta::assert_snapshot!("verify_line", text);
}

#[test]
fn verify_writes_several_reports_and_prometheus_names_the_bundle_revision() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let b = bundle(&s);
    let host = deploy(&s);
    let prom = s.outside().join("vigil.prom");
    let json = s.outside().join("verify.json");
    let sarif = s.outside().join("verify.sarif");
    verify(
        &s,
        &b,
        &host,
        &[
            "--format",
            "line",
            "--report",
            &format!("prometheus={}", prom.display()),
            "--report",
            &format!("json={}", json.display()),
            "--report",
            &format!("sarif={}", sarif.display()),
        ],
    )
    .expect(0);
    // The JSON and SARIF reports of verify carry the time they were made, the same moment.
    let j: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    let at = j["generated_at"].as_str().unwrap();
    let made = humantime::parse_rfc3339(at).unwrap();
    let age = std::time::SystemTime::now().duration_since(made).unwrap();
    assert!(age.as_secs() < 300, "{at} is not the time of this run");
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    crate::nightly::assert_valid_sarif(&v);
    assert_eq!(v["runs"][0]["invocations"][0]["endTimeUtc"], at);
    let families = parse(&fs::read_to_string(&prom).unwrap());
    let head = s.git_ok(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    let rev = families
        .iter()
        .find(|f| f["name"] == "vigil_revision_info")
        .expect("vigil_revision_info");
    assert_eq!(rev["samples"][0]["labels"]["revision"], head.as_str());
    assert!(fs::read_to_string(&json)
        .unwrap()
        .contains("\"findings\": []"));
}

#[test]
fn gate_prometheus_is_read_by_the_real_parser_and_says_the_verdict() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let r = s
        .vigil(&["gate", "tls-server", "--format", "prometheus"])
        .expect(0);
    let families = parse(&r.stdout);
    let passed = families
        .iter()
        .find(|f| f["name"] == "vigil_last_run_passed")
        .unwrap();
    assert_eq!(passed["samples"][0]["value"], 1.0);
    // A stale component fails the gate, and the metrics say so.
    s.file("profiles/tls-server.cnf", "[ca]\n");
    let out = s.outside().join("gate.prom");
    s.vigil(&[
        "gate",
        "tls-server",
        "--format",
        "prometheus",
        "-o",
        out.to_str().unwrap(),
    ])
    .expect(1);
    let families = parse(&fs::read_to_string(&out).unwrap());
    let passed = families
        .iter()
        .find(|f| f["name"] == "vigil_last_run_passed")
        .unwrap();
    assert_eq!(passed["samples"][0]["value"], 0.0);
    let findings = families
        .iter()
        .find(|f| f["name"] == "vigil_findings")
        .unwrap();
    assert!(findings.to_string().contains("\"stale\""), "{findings}");
}

/// `examples/fleet/verify-fleet.sh` over two hosts (ssh and scp replaced by local stand-ins that run
/// each "host" in a folder of its own): a rolling deployment leaves the hosts on two bundle
/// revisions, which the collected metrics show side by side.
#[test]
fn the_fleet_example_verifies_hosts_over_ssh_and_collects_their_metrics() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let old = bundle(&s);
    let old_rev = s.git_ok(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    let fleet = s.outside().join("fleet");
    // ca1 keeps the old approval.
    let ca1 = fleet.join("ca1");
    fs::create_dir_all(&fleet).unwrap();
    fs::rename(deploy(&s), &ca1).unwrap();
    // A new approval, deployed to ca2 only.
    s.file(
        "profiles/ext.d/10-key-usage.cnf",
        "[ext]\nkeyUsage = digitalSignature, keyEncipherment\n",
    );
    s.commit_all("key usage");
    s.vigil(&["approve", "tls-server"]).expect(0);
    s.commit_all("approve key usage");
    let new = s.outside().join("new.bundle");
    s.vigil(&["bundle", "tls-server", "-o", new.to_str().unwrap()])
        .expect(0);
    let new_rev = s.git_ok(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    fs::rename(deploy(&s), fleet.join("ca2")).unwrap();

    let shim = s.outside().join("shim");
    fs::create_dir_all(&shim).unwrap();
    let ssh = shim.join("ssh");
    let scp = shim.join("scp");
    fs::write(
        &ssh,
        format!(
            "#!/bin/sh\nhost=$1; shift\ncd '{}'/\"$host\" && exec sh -c \"$*\"\n",
            fleet.display()
        ),
    )
    .unwrap();
    fs::write(
        &scp,
        format!(
            "#!/bin/sh\nexec cp \"$1\" '{}'/\"${{2%%:*}}\"/\"${{2#*:}}\"\n",
            fleet.display()
        ),
    )
    .unwrap();
    for f in [&ssh, &scp] {
        fs::set_permissions(f, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/verify-fleet.sh");
    let out = s.outside().join("metrics");
    let run = |bundle: &Path, host: &str| {
        let mut c = std::process::Command::new(&script);
        c.arg(bundle).arg(&out).arg(host);
        c.env("SSH", &ssh)
            .env("SCP", &scp)
            .env("VIGIL", crate::support::vigil_bin())
            .env("VIGIL_ROOT", ".")
            .env("VIGIL_MAP", MAP)
            .env("REMOTE_BUNDLE", "deployed.bundle")
            .env("TEXTFILE", "vigil-verify.prom");
        s.env(&mut c);
        crate::support::run_bounded(c)
    };
    run(&old, "ca1").expect(0);
    // ca2 also carries a file nobody approved.
    fs::write(
        fleet.join("ca2/etc/ca/profiles/ext.d/90-validity.cnf"),
        "[issuing]\n",
    )
    .unwrap();
    fs::set_permissions(
        fleet.join("ca2/etc/ca/profiles/ext.d/90-validity.cnf"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let r = run(&new, "ca2").expect(1);
    assert!(
        r.stdout.contains(
            "ca2: vigil[tls-server]: error unapproved /etc/ca/profiles/ext.d/90-validity.cnf"
        ),
        "{}",
        r.stdout
    );
    let picture: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| *l != "revisions:")
        .skip(1)
        .collect();
    let mut want = vec![format!("  {old_rev}  ca1"), format!("  {new_rev}  ca2")];
    want.sort();
    assert_eq!(picture, want);
    // Each collected file is still valid text format, now labelled with its host.
    let families = parse(&fs::read_to_string(out.join("ca2.prom")).unwrap());
    let passed = families
        .iter()
        .find(|f| f["name"] == "vigil_last_run_passed")
        .unwrap();
    assert_eq!(passed["samples"][0]["labels"]["instance"], "ca2");
    assert_eq!(passed["samples"][0]["value"], 0.0);
}

#[test]
fn bundles_are_deterministic_and_check_writes_the_line_format_too() {
    let s = Sandbox::git_repo();
    approved(&s, "");
    let first = fs::read(bundle(&s)).unwrap();
    let second = fs::read(bundle(&s)).unwrap();
    assert_eq!(first, second, "the same commit gives the same bytes");
    // A change in the working tree after the commit changes nothing in the bundle.
    s.file(
        "profiles/ext.d/10-key-usage.cnf",
        "[ext]\nkeyUsage = keyCertSign\n",
    );
    assert_eq!(fs::read(bundle(&s)).unwrap(), first);
    let log = s.outside().join("check.log");
    s.vigil(&["check", "--report", &format!("line={}", log.display())])
        .expect(1);
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| {
            l.starts_with(
            "vigil[tls-server]: error stale profiles/ext.d/10-key-usage.cnf: changed since approval"
        )
        }),
        "{text}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("vigil: FAILED: 1 profile, 2 components"),
        "{text}"
    );
}

#[test]
fn bad_deployment_input_is_a_clear_error() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "[profiles.p]\ncomponents = [\"a.cnf\"]\nmode = \"0999\"\n",
    )
    .file("a.cnf", "x\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("vigil.toml:3"), "{}", r.stderr);
    assert!(
        r.stderr.contains("is not a permission mode"),
        "{}",
        r.stderr
    );

    let s = Sandbox::git_repo();
    approved(&s, "");
    let b = bundle(&s);
    let host = deploy(&s);
    let b_arg = b.to_str().unwrap();
    let h_arg = host.to_str().unwrap();
    let r = s
        .vigil(&[
            "verify", "--bundle", b_arg, "--root", h_arg, "--map", "profiles",
        ])
        .expect(2);
    assert!(
        r.stderr.contains("expected REPO_PATH=HOST_PATH"),
        "{}",
        r.stderr
    );
    let r = s
        .vigil(&[
            "verify",
            "--bundle",
            b_arg,
            "--root",
            h_arg,
            "--map",
            "profiles=etc/ca",
        ])
        .expect(2);
    assert!(r.stderr.contains("must be absolute"), "{}", r.stderr);
    let r = s
        .vigil(&[
            "verify", "--bundle", b_arg, "--root", h_arg, "--map", MAP, "other",
        ])
        .expect(2);
    assert!(
        r.stderr.contains("profile `other` is not in the bundle"),
        "{}",
        r.stderr
    );
    let r = s
        .vigil(&["verify", "--bundle", "/nonexistent.bundle", "--root", h_arg])
        .expect(2);
    assert!(r.stderr.contains("/nonexistent.bundle"), "{}", r.stderr);
    // A folder declared whole cannot follow a map into part of it.
    s.file(
        "vigil.toml",
        "[profiles.tls-server]\ncomponents = [\"profiles\"]\n",
    );
    s.vigil(&["approve", "tls-server"]).expect(0);
    s.commit_all("the whole folder");
    let b = bundle(&s);
    let r = s
        .vigil(&[
            "verify",
            "--bundle",
            b.to_str().unwrap(),
            "--root",
            h_arg,
            "--map",
            "profiles/ext.d=/etc/ext.d",
        ])
        .expect(2);
    assert!(
        r.stderr.contains("reaches into folders mapped elsewhere"),
        "{}",
        r.stderr
    );
}

/// With `[signing]`, the bundle carries the signed manifests and the allowed signers; a bundle
/// rewritten and rehashed (its own BLAKE3 made right again) still fails on the host, because the
/// approval's signature no longer matches.
#[test]
fn signatures_travel_in_the_bundle_and_a_rehashed_forgery_fails_them() {
    use crate::signed_approvals::{key_str, keygen, line};
    use data_encoding::BASE64;
    let s = Sandbox::git_repo();
    let key = keygen(&s, "ada", &["-t", "ed25519"]);
    let signers = s.outside().join("host_allowed_signers");
    fs::write(&signers, line("ada@ca.example", &key) + "\n").unwrap();
    s.config(
        "[signing]\nallowed-signers = \"approvers/allowed_signers\"\n\n\
         [profiles.ca]\ncomponents = [\"ca/issuing.cnf\"]\n",
    )
    .file(
        "approvers/allowed_signers",
        &fs::read_to_string(&signers).unwrap(),
    )
    .file("ca/issuing.cnf", "default_days = 397\n");
    s.commit_all("profile");
    s.vigil(&[
        "approve",
        "ca",
        "--sign",
        "--key",
        key_str(&key),
        "--principal",
        "ada@ca.example",
    ])
    .expect(0);
    s.commit_all("approve ca");
    let out = s.outside().join("ca.bundle");
    s.vigil(&["bundle", "ca", "-o", out.to_str().unwrap()])
        .expect(0);
    let host = s.outside().join("host");
    fs::create_dir_all(host.join("ca")).unwrap();
    fs::write(host.join("ca/issuing.cnf"), "default_days = 397\n").unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["--format", "json"];
        args.extend(extra);
        verify_unmapped(&s, &out, &host, &args)
    };
    let pinned = ["--allowed-signers", signers.to_str().unwrap()];
    verify(&pinned).expect(0);

    // The forgery: 825 days in the component, the manifest's hash to match, the bundle rehashed.
    let mut b: Bundle = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let forged = b"default_days = 825\n";
    let new_hash = blake3::hash(forged).to_hex().to_string();
    let old_hash = blake3::hash(b"default_days = 397\n").to_hex().to_string();
    for f in &mut b.files {
        let bytes: Vec<u8> = match f.role.as_str() {
            "component" => forged.to_vec(),
            "manifest" => {
                let text = String::from_utf8(BASE64.decode(f.content.as_bytes()).unwrap()).unwrap();
                text.replace(&old_hash, &new_hash).into_bytes()
            }
            _ => continue,
        };
        f.size = bytes.len() as u64;
        f.blake3 = blake3::hash(&bytes).to_hex().to_string();
        f.content = BASE64.encode(&bytes);
    }
    b.blake3.clear();
    b.blake3 = blake3::hash(&serde_json::to_vec(&b).unwrap())
        .to_hex()
        .to_string();
    fs::write(&out, serde_json::to_vec_pretty(&b).unwrap()).unwrap();
    fs::write(host.join("ca/issuing.cnf"), forged).unwrap();
    for extra in [&pinned[..], &[]] {
        let r = verify(extra).expect(1);
        assert_eq!(
            r.finding_codes(),
            [
                "bad-signature approved/ca.toml",
                "insufficient-approvals approved/ca.toml"
            ],
            "{extra:?}"
        );
    }
}

/// The bundle format as its documentation (schema/bundle.schema.json) describes it, fields in file
/// order, so that a test can forge one the way an attacker would: `blake3` is the BLAKE3 of the
/// compact JSON with that field empty.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Bundle {
    format: String,
    bundle_version: u32,
    vigil_version: String,
    vcs: String,
    revision: String,
    workspace: String,
    profiles: Vec<String>,
    files: Vec<BundleFile>,
    blake3: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    path: String,
    role: String,
    kind: String,
    size: u64,
    blake3: String,
    content: String,
}

/// step-ca's `ca.json` names absolute paths (`/etc/step-ca/certs/root_ca.crt`): in the repository
/// the profile's `deployed` folders carry them into the workspace (`step/`); on the host each is the
/// host's own file below `--root`, and the map carries it back to the repository path its approval
/// has.
#[test]
fn absolute_paths_on_the_host_resolve_through_the_map() {
    let s = crate::extract::example("step-ca", &[]);
    s.vigil(&["approve", "step-ca"]).expect(0);
    s.commit_all("approve step-ca");
    let out = s.outside().join("step.bundle");
    s.vigil(&["bundle", "step-ca", "-o", out.to_str().unwrap()])
        .expect(0);
    let host = s.outside().join("host");
    let step = host.join("etc/step-ca");
    let files = s.git_ok(&["ls-files", "step"]).stdout;
    for rel in files.lines() {
        let to = step.join(rel.strip_prefix("step/").unwrap());
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(s.path(rel), &to).unwrap();
    }
    let run = |extra: &[&str]| {
        let mut args = vec!["--map", "step=/etc/step-ca", "--format", "json"];
        args.extend(extra);
        verify_unmapped(&s, &out, &host, &args)
    };
    let r = run(&[]).expect(0);
    assert_eq!(r.finding_codes(), Vec::<String>::new());
    let paths = component_paths(&r);
    assert_eq!(
        paths,
        [
            "etc/step-ca/certs/intermediate_ca.crt",
            "etc/step-ca/certs/root_ca.crt",
            "etc/step-ca/config/ca.json",
            "etc/step-ca/templates/ssh/user.tpl",
            "etc/step-ca/templates/x509/client.tpl",
            "etc/step-ca/templates/x509/tls-server.tpl",
        ]
    );
    // The root certificate, named by its absolute path, replaced on the host.
    fs::write(step.join("certs/root_ca.crt"), "not the approved root\n").unwrap();
    let r = run(&[]).expect(1);
    assert_eq!(r.finding_codes(), ["stale /etc/step-ca/certs/root_ca.crt"]);
}

/// `group`, like `owner`, by number (the deployed files' own group: no finding) and by a name the
/// system does not know (a finding naming the group the file has).
#[test]
fn the_group_the_profile_asks_for_is_checked_by_name_and_number() {
    use std::os::unix::fs::MetadataExt;
    let s = Sandbox::git_repo();
    let gid = fs::metadata(s.path(".")).unwrap().gid();
    approved(&s, &format!("group = \"{gid}\"\n"));
    let b = bundle(&s);
    let host = deploy(&s);
    verify(&s, &b, &host, &[]).expect(0);

    let s = Sandbox::git_repo();
    approved(&s, "group = \"vigil-no-such-group\"\n");
    let b = bundle(&s);
    let host = deploy(&s);
    let r = verify(&s, &b, &host, &["--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        [
            "wrong-permissions /etc/ca/profiles/ext.d/10-key-usage.cnf",
            "wrong-permissions /etc/ca/profiles/tls-server.cnf"
        ]
    );
    assert!(
        r.stdout
            .contains("the profile asks for vigil-no-such-group"),
        "{}",
        r.stdout
    );
}

/// The component paths of the first profile of a JSON report.
fn component_paths(r: &crate::support::Run) -> Vec<String> {
    r.json()["profiles"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect()
}
