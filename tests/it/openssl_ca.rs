//! What a profile's CA setup reads besides its configuration, with the real `openssl` as the judge:
//! the files of the `[ ca ]` section (`openssl ca` under `strace`), `-extfile` extension files, and
//! the syntax OpenSSL rejects.

use crate::support::Sandbox;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn need(tool: &str) {
    let ok = Command::new(tool)
        .arg("-V")
        .output()
        .map(|_| true)
        .unwrap_or(false);
    assert!(
        ok,
        "`{tool}` is needed by this test: install it (Debian: apt-get install {tool}), or run scripts/test"
    );
}

/// The regular files under `root` that `openssl ARGS` (run in `root`) opens for reading.
fn openssl_reads(root: &Path, args: &[&str]) -> (bool, BTreeSet<PathBuf>) {
    let log = root.parent().unwrap().join("strace.log");
    let out = Command::new("strace")
        .args(["-f", "-s", "4096", "-e", "trace=openat,open", "-o"])
        .arg(&log)
        .args(["env", "-i", "PATH=/usr/bin:/bin", "openssl"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("run strace");
    let re =
        regex::Regex::new(r#"open(?:at)?\((?:AT_FDCWD, )?"([^"]*)", ([^)]*)\)\s+=\s+\d+"#).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let mut set = BTreeSet::new();
    for cap in re.captures_iter(&text) {
        if !cap[2].starts_with("O_RDONLY") || cap[2].contains("O_DIRECTORY") {
            continue;
        }
        if let Ok(real) = std::fs::canonicalize(root.join(&cap[1])) {
            if real.starts_with(root) && real.is_file() {
                set.insert(real.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    (out.status.success(), set)
}

const CA_CNF: &str = "[ ca ]\ndefault_ca = my_ca\n\n[ my_ca ]\ndir = ca\ncertificate = $dir/cert.pem\nprivate_key = $dir/key.pem\ndatabase = $dir/index.txt\nserial = $dir/serial\ncrlnumber = $dir/crlnumber\nnew_certs_dir = $dir/issued\ndefault_md = sha256\ndefault_crl_days = 1\n";

fn ca_sandbox() -> Sandbox {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"ca.cnf\"]\nfollow = [\"openssl-include\"]\n")
        .file("ca.cnf", CA_CNF)
        .file("ca/index.txt", "")
        .file("ca/serial", "01\n")
        .file("ca/crlnumber", "01\n");
    std::fs::create_dir_all(s.path("ca/issued")).unwrap();
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca/key.pem",
            "-out",
            "ca/cert.pem",
            "-subj",
            "/CN=Test CA",
            "-days",
            "1",
        ])
        .current_dir(&s.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl req -x509 failed");
    s
}

/// `openssl ca -gencrl` reads the configuration, the CA certificate and key, the database and the CRL
/// number: every file it opens in the workspace is a component or a CA file of the profile; the key
/// and the certificate are secrets whose existence only is recorded (never hashed), the database and
/// the CRL number runtime state (no component: every issuance rewrites them).
#[test]
fn ca_section_files_are_what_openssl_ca_reads_secrets_never_hashed() {
    need("openssl");
    need("strace");
    let s = ca_sandbox();
    let crl = s.outside().join("crl.pem");
    let crl = crl.to_str().unwrap();
    let (ok, theirs) = openssl_reads(
        &s.root,
        &["ca", "-config", "ca.cnf", "-gencrl", "-out", crl],
    );
    assert!(ok, "openssl ca -gencrl failed");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    let j = r.json();
    let p = &j["profiles"][0];
    let components: BTreeSet<PathBuf> = p["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| PathBuf::from(c["path"].as_str().unwrap()))
        .collect();
    assert_eq!(components, BTreeSet::from([PathBuf::from("ca.cnf")]));
    let ca_files: Vec<(String, String, String, String)> = p["ca_files"]
        .as_array()
        .expect("ca_files")
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_string(),
                f["role"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or("-").to_string(),
                f["presence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ca_files: Vec<(&str, &str, &str, &str)> = ca_files
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        ca_files,
        [
            ("certificate", "secret", "ca/cert.pem", "exists"),
            ("private_key", "secret", "ca/key.pem", "exists"),
            ("database", "state", "ca/index.txt", "exists"),
            ("serial", "state", "ca/serial", "exists"),
            ("crlnumber", "state", "ca/crlnumber", "exists"),
            ("new_certs_dir", "state", "ca/issued", "exists"),
        ]
    );
    // Every file OpenSSL read is accounted for.
    let ours: BTreeSet<PathBuf> = components
        .iter()
        .cloned()
        .chain(ca_files.iter().map(|f| PathBuf::from(f.2)))
        .collect();
    let unaccounted: Vec<_> = theirs.difference(&ours).collect();
    assert!(unaccounted.is_empty(), "openssl read {unaccounted:?}");
    assert!(theirs.contains(Path::new("ca/key.pem")), "{theirs:?}");
    // Key material is never hashed: approving records no hash of it.
    s.commit_all("ca");
    s.vigil(&["approve", "p"]).expect(0);
    let m = s.read("approved/p.toml");
    assert!(!m.contains("key.pem") && !m.contains("cert.pem"), "{m}");
}

/// A certificate or key the CA section names inside the workspace that is not there: `openssl ca`
/// cannot start, and vigil reports it `missing` with the line that names it.
#[test]
fn a_missing_ca_secret_is_reported_where_openssl_ca_fails() {
    need("openssl");
    let s = ca_sandbox();
    std::fs::remove_file(s.path("ca/key.pem")).unwrap();
    let out = Command::new("openssl")
        .args(["ca", "-config", "ca.cnf", "-gencrl", "-out", "/dev/null"])
        .current_dir(&s.root)
        .output()
        .unwrap();
    assert!(!out.status.success(), "openssl ca started without its key");
    s.commit_all("ca");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.findings_of("missing"),
        ["error missing ca/key.pem via declared `ca.cnf` → ca.cnf:7 (private_key)"]
    );
    assert!(r
        .message("missing", "ca/key.pem")
        .contains("never reads it"));
    // A key in a token is no file: nothing to check.
    s.file(
        "ca.cnf",
        &CA_CNF.replace("$dir/key.pem", "pkcs11:token=ca;object=key"),
    )
    .commit_all("hsm");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert!(r.findings_of("missing").is_empty(), "{}", r.all());
}

/// An `-extfile` declared in `extfile` is a component loaded on its own, as `openssl x509 -extfile`
/// loads it: its includes are components, and a line OpenSSL rejects is a finding whatever the file's
/// name (here `.ext`).
#[test]
fn extfile_is_loaded_on_its_own_and_judged_as_openssl() {
    need("openssl");
    need("strace");
    let s = ca_sandbox();
    s.config("[profiles.p]\ncomponents = [\"ca.cnf\"]\nextfile = [\"v3.ext\"]\nfollow = [\"openssl-include\"]\n")
        .file("v3.ext", "basicConstraints = CA:FALSE\n.include san.cnf\n")
        .file("san.cnf", "subjectAltName = DNS:a.example\n")
        .commit_all("ext");
    let (ok, theirs) = openssl_reads(
        &s.root,
        &[
            "x509",
            "-in",
            "ca/cert.pem",
            "-signkey",
            "ca/key.pem",
            "-extfile",
            "v3.ext",
            "-noout",
        ],
    );
    assert!(ok, "openssl x509 -extfile failed");
    assert!(theirs.contains(Path::new("san.cnf")), "{theirs:?}");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    let comps = r.components();
    assert!(
        comps
            .iter()
            .any(|c| c.starts_with("p san.cnf ") && c.contains("v3.ext:2 (openssl-include)")),
        "{comps:?}"
    );
    let j = r.json();
    assert!(j["profiles"][0]["problems"].as_array().unwrap().is_empty());
    // OpenSSL rejects it, and so does vigil, although it is not named `.cnf`.
    s.file("v3.ext", "basicConstraints CA:FALSE\n")
        .commit_all("bad");
    let (ok, _) = openssl_reads(
        &s.root,
        &[
            "x509",
            "-in",
            "ca/cert.pem",
            "-signkey",
            "ca/key.pem",
            "-extfile",
            "v3.ext",
            "-noout",
        ],
    );
    assert!(!ok, "openssl accepted a line without an equal sign");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert!(
        r.message("openssl-error", "v3.ext")
            .contains("missing equal sign"),
        "{}",
        r.all()
    );
}

/// Syntax OpenSSL rejects (`openssl req -config` exits 1 and names the line) is an `openssl-error`
/// finding at the same file:line, with OpenSSL's reason.
#[test]
fn syntax_openssl_rejects_is_a_finding_with_file_and_line() {
    need("openssl");
    let cases: &[(&str, &str, &str, u32)] = &[
        (
            "no equal sign",
            "a = 1\nbroken line\n",
            "missing equal sign",
            2,
        ),
        (
            "unclosed section",
            "[ section\n",
            "missing close square bracket",
            1,
        ),
        (
            "undefined variable",
            "a = $nowhere\n",
            "variable has no value",
            1,
        ),
        ("unclosed brace", "x = 1\na = ${x\n", "no close brace", 2),
        (
            "bad pragma value",
            ".pragma dollarid:maybe\n",
            "invalid pragma",
            1,
        ),
        (
            "import is no directive",
            ".import other.cnf\n",
            "missing equal sign",
            1,
        ),
        (
            "relative include under abspath",
            ".pragma abspath:on\n.include other.cnf\n",
            "relative path",
            2,
        ),
    ];
    for (name, body, reason, line) in cases {
        let s = Sandbox::git_repo();
        s.config("[profiles.p]\ncomponents = [\"top.cnf\"]\nfollow = [\"openssl-include\"]\n")
            .file("top.cnf", body)
            .file("other.cnf", "o = 1\n")
            .commit_all("p");
        let out = Command::new("openssl")
            .args(["req", "-new", "-key", "/nonexistent", "-config", "top.cnf"])
            .current_dir(&s.root)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: openssl accepted it");
        assert!(
            err.contains(&format!("Error on line {line} of config file")) && err.contains(reason),
            "{name}: openssl says {err}"
        );
        let r = s.vigil(&["check", "--format", "json"]).expect(1);
        assert_eq!(
            r.findings_of("openssl-error"),
            [format!(
                "error openssl-error top.cnf via declared `top.cnf` → top.cnf:{line} (openssl-include)"
            )],
            "{name}"
        );
        let m = r.message("openssl-error", "top.cnf");
        assert!(
            m.contains(reason) && m.contains(&format!("top.cnf:{line}")),
            "{name}: {m}"
        );
    }
}
