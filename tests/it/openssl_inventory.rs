//! The OpenSSL loader inside the inventory, end to end with real git: what a load reads is what the
//! profile holds; what vigil cannot follow or scan is reported, never passed silently; the profile's
//! environment and working folder; `vigil explain`.

use crate::support::Sandbox;

fn openssl(components: &str) -> String {
    format!("[profiles.p]\ncomponents = [{components}]\nfollow = [\"openssl-include\"]\n")
}

fn problems(r: &crate::support::Run) -> Vec<String> {
    r.json()["profiles"][0]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            format!(
                "{} {}: {}",
                p["code"].as_str().unwrap(),
                p["path"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn paths(r: &crate::support::Run) -> Vec<String> {
    r.json()["profiles"][0]["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect()
}

/// `.include link/../x.cnf` with `link` a folder outside the workspace: the kernel (and OpenSSL) opens
/// `x.cnf` beside the link's target, outside; the same-named file inside is not what OpenSSL reads.
#[test]
fn include_through_a_link_and_dotdot_resolves_like_the_kernel() {
    let s = Sandbox::git_repo();
    let out = s.outside().join("elsewhere");
    std::fs::create_dir_all(out.join("sub")).unwrap();
    std::fs::write(out.join("x.cnf"), "default_days = 3650\n").unwrap();
    s.config(&openssl("\"top.cnf\""))
        .file("top.cnf", ".include link/../x.cnf\n")
        .file("x.cnf", "default_days = 397\n")
        .symlink("link", &out.join("sub").display().to_string())
        .commit_all("p");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        paths(&r),
        ["top.cnf"],
        "the inside x.cnf is not what OpenSSL reads"
    );
    let outside: Vec<String> = r.findings_of("outside-root");
    assert_eq!(outside.len(), 1, "{}", r.all());
    assert!(
        outside[0].contains("top.cnf:1 (openssl-include)"),
        "{outside:?}"
    );
}

/// An include written as an absolute path of the CA host (`/etc/ca/...`) is read from the folder a
/// profile's `deployed` maps it to, and the included file is a component with its chain; without the
/// map, or through `..`, it stays `outside-root`.
#[test]
fn an_absolute_include_under_a_deployed_folder_is_read_from_the_workspace() {
    let s = Sandbox::git_repo();
    let profile = |deployed: &str| {
        format!(
            "[profiles.p]\ncomponents = [\"top.cnf\"]\nfollow = [\"openssl-include\"]\n{deployed}"
        )
    };
    s.config(&profile("deployed = { \"/etc/ca\" = \"host\" }\n"))
        .file("top.cnf", ".include /etc/ca/validity/398.cnf\n")
        .file("host/validity/398.cnf", "default_days = 398\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    s.commit_all("approved");
    let r = s.vigil(&["check", "--format", "json"]).expect(0);
    assert_eq!(
        paths(&r),
        ["host/validity/398.cnf", "top.cnf"],
        "{}",
        r.all()
    );
    // The 2020 shape through the deployed path: the included file changed and is stale.
    s.file("host/validity/398.cnf", "default_days = 825\n");
    let r = s.vigil(&["check"]).expect(1);
    assert!(r.stdout.contains("stale"), "{}", r.stdout);
    assert!(r.stdout.contains("host/validity/398.cnf"), "{}", r.stdout);
    assert!(r.stdout.contains("top.cnf:1"), "{}", r.stdout);
    // A path that climbs out of the deployed folder is not mapped.
    s.file("top.cnf", ".include /etc/ca/../ca/x.cnf\n");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    let outside: Vec<String> = r.findings_of("outside-root");
    assert_eq!(outside.len(), 1, "{}", r.all());
    assert!(outside[0].contains("/etc/ca/../ca/x.cnf"), "{outside:?}");
    // Without the map the absolute include leads outside the workspace.
    s.file("top.cnf", ".include /etc/ca/validity/398.cnf\n")
        .config(&profile(""));
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(paths(&r), ["top.cnf"], "{}", r.all());
    assert_eq!(r.findings_of("outside-root").len(), 1, "{}", r.all());
}

/// A NUL byte in a comment and a component larger than 16 MiB: OpenSSL reads both, and so does vigil.
/// (OpenSSL's `BIO_gets` stops at the NUL, so the rest of that line is joined to the next one: the
/// blank line keeps the include out of the comment; strace shows OpenSSL opening `a.cnf`.)
#[test]
fn nul_bytes_and_large_files_are_loaded_as_openssl_loads_them() {
    let s = Sandbox::git_repo();
    let mut big = b"# padding line\n".repeat(1_200_000);
    big.extend_from_slice(b".include tail.cnf\n");
    s.config(&openssl("\"top.cnf\", \"big.cnf\""))
        .bytes("top.cnf", b"# note \0 tail\n\n.include a.cnf\n")
        .bytes("big.cnf", &big)
        .file("a.cnf", "a = 1\n")
        .file("tail.cnf", "t = 1\n");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(paths(&r), ["a.cnf", "big.cnf", "tail.cnf", "top.cnf"]);
    assert!(problems(&r).is_empty(), "{:?}", problems(&r));
}

/// A file vigil will not scan is reported `unreadable`: too large for a reference pattern or for the
/// loader (more than 64 MiB), never passed over in silence.
#[test]
fn a_file_too_large_to_scan_is_reported() {
    let s = Sandbox::plain();
    s.config(&format!(
        "{}[[profiles.p.references]]\npattern = '-config (\\S+)'\n",
        openssl("\"huge.cnf\", \"huge.sh\"")
    ))
    .sparse("huge.cnf", 65 << 20)
    .sparse("huge.sh", 65 << 20);
    // Text at its start: a script that large may hold a reference the pattern would find.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(s.path("huge.sh"))
            .unwrap();
        f.write_all(&b"# padding\n".repeat(1000)).unwrap();
    }
    let r = s.vigil(&["inventory", "--format", "json"]).expect(1);
    let p = problems(&r);
    assert!(
        p.iter().any(|l| l.starts_with("unreadable huge.cnf:")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("unreadable huge.sh:") && l.contains("too large to scan")),
        "{p:?}"
    );
}

/// Binary content is scanned by reference patterns too: a NUL byte no longer hides a reference.
#[test]
fn reference_patterns_scan_binary_content() {
    let s = Sandbox::plain();
    s.config("[profiles.p]\ncomponents = [\"run.bin\"]\n[[profiles.p.references]]\npattern = '-config (\\S+)'\nrelative-to = \"workspace\"\n")
        .bytes("run.bin", b"\0\x01\x02\n-config ca.cnf\n")
        .file("ca.cnf", "a = 1\n");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(paths(&r), ["ca.cnf", "run.bin"]);
}

/// `$ENV::NAME` resolves from the profile's `env` and `env-file`; an undeclared one is a finding that
/// says so, with file:line.
#[test]
fn environment_from_env_and_env_file() {
    let s = Sandbox::git_repo();
    s.config(&format!(
        "{}env = {{ CA_DIR = \"{}\" }}\nenv-file = \"ca.env\"\n",
        openssl("\"top.cnf\""),
        s.path("ca").display()
    ))
    .file(
        "ca.env",
        "# the CA service's environment\nexport SNIPPETS=snippets\n",
    )
    .file(
        "top.cnf",
        ".include $ENV::CA_DIR/a.cnf\n.include $ENV::SNIPPETS/b.cnf\n.include $ENV::NOPE/c.cnf\n",
    )
    .file("ca/a.cnf", "a = 1\n")
    .file("snippets/b.cnf", "b = 1\n")
    .commit_all("p");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        paths(&r),
        ["ca.env", "ca/a.cnf", "snippets/b.cnf", "top.cnf"]
    );
    let env = r.findings_of("undeclared-env");
    assert_eq!(env.len(), 1, "{}", r.all());
    assert!(
        r.message("undeclared-env", "top.cnf").contains("NOPE"),
        "{}",
        r.all()
    );
    assert!(
        r.message("undeclared-env", "top.cnf").contains("top.cnf:3"),
        "{}",
        r.all()
    );
}

/// A line OpenSSL refuses is an `openssl-error` finding naming file:line and OpenSSL's reason.
#[test]
fn a_load_error_is_a_finding_with_file_and_line() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"top.cnf\""))
        .file("top.cnf", "a = 1\n.include b.cnf\n")
        .file("b.cnf", "ok = 1\nthis line has no equal sign\n")
        .commit_all("p");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    let m = r.message("openssl-error", "b.cnf");
    assert!(
        m.contains("missing equal sign") && m.contains("b.cnf:2"),
        "{m}"
    );
}

/// A file read by a load is part of that load, never a load of its own: a declared snippet that the
/// top file includes sees the top file's variables, so it raises no error of its own.
#[test]
fn files_read_by_a_load_are_not_loaded_again() {
    let s = Sandbox::plain();
    s.config(&openssl("\"*.cnf\""))
        .file("a.cnf", "dir = snippets\n.include b.cnf\n")
        .file("b.cnf", "x = $dir/x\n");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(paths(&r), ["a.cnf", "b.cnf"]);
    assert!(problems(&r).is_empty(), "{:?}", problems(&r));
}

/// `vigil explain` on the bundled example: the effective value, where it was set, the chain, and
/// what it overrode.
#[test]
fn explain_the_example_ca() {
    let s = Sandbox::plain();
    let ex = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ca");
    let r = s
        .vigil_in(
            &ex,
            &[
                "explain",
                "cisco-vpn-server",
                "issuing_ca_2020.default_days",
                "--format",
                "json",
            ],
        )
        .expect(0);
    let j = r.json();
    let e = &j["entries"][0];
    assert_eq!(e["key"], "default_days");
    assert_eq!(e["value"], "825", "{j}");
    assert_eq!(e["at"], "validity/cisco-vpn-server.cnf:5", "{j}");
    assert_eq!(
        crate::support::chain(&e["via"]),
        "declared `profiles/cisco-vpn-server.cnf` → profiles/cisco-vpn-server.cnf:9 (openssl-include)",
        "{j}"
    );
}

/// `oid_file` is a file `openssl ca` and `openssl req` read: a component, reached from its line.
#[test]
fn oid_file_is_a_component() {
    let s = Sandbox::plain();
    s.config(&openssl("\"top.cnf\""))
        .file("top.cnf", "oid_file = oids.txt\n[ ca ]\n")
        .file("oids.txt", "1.2.3.4 shortName Long Name\n");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(paths(&r), ["oids.txt", "top.cnf"]);
    let comps = r.components();
    assert!(
        comps
            .iter()
            .any(|c| c.contains("oids.txt") && c.contains("top.cnf:1 (oid_file)")),
        "{comps:?}"
    );
}

/// `vigil explain` says what a value overrode, and that OpenSSL rejects a load (so no value of it is
/// what the CA software sees): here `$ENV::CA_MD` is undeclared and has no default, "variable has no
/// value" as `openssl req -config` says.
#[test]
fn explain_shows_overrides_and_a_rejected_load() {
    let s = Sandbox::plain();
    s.config(&openssl("\"ca.cnf\""))
        .file(
            "ca.cnf",
            "[ ca_1 ]\ndefault_days = 397\n.include local.cnf\nCA_MD = sha256\n",
        )
        .file(
            "local.cnf",
            "[ ca_1 ]\ndefault_days = 825\ndefault_md = $ENV::CA_MD\n",
        );
    let r = s
        .vigil(&["explain", "p", "ca_1.default_days", "ca_1.default_md"])
        .expect(0);
    assert_eq!(
        r.stdout,
        "p: ca.cnf\n  OpenSSL rejects this configuration at local.cnf:3: variable has no value: ENV::CA_MD; it stops loading there and the CA software cannot use it\n  [ca_1] default_days = \"825\"\n      set at local.cnf:2\n      via declared `ca.cnf` → ca.cnf:3 (openssl-include)\n      overrode \"397\" set at ca.cnf:2\n  [ca_1] default_md = (not set)\n"
    );
    // Declared, the load goes through.
    s.config(&format!(
        "{}env = {{ CA_MD = \"sha384\" }}\n",
        openssl("\"ca.cnf\"")
    ));
    let r = s.vigil(&["explain", "p", "ca_1.default_md"]).expect(0);
    assert!(r.stdout.contains("default_md = \"sha384\""), "{}", r.stdout);
    assert!(!r.stdout.contains("rejects"), "{}", r.stdout);
}
