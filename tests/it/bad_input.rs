//! Bad input: clear errors with file, line, column and the offending text, exit 2, never a panic or a
//! hang. And the approval rules: refusals, the lock, and local changes.

use crate::support::Sandbox;
use std::fs;

/// Asserts a run failed with exit 2 and an error message, not a panic.
#[track_caller]
fn error(r: crate::support::Run) -> String {
    let r = r.expect(2);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.stderr.starts_with("vigil: error: "), "{}", r.stderr);
    r.stderr
}

#[test]
fn malformed_toml_names_file_line_column_and_snippet() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\" \"b.cnf\"]\n");
    let e = s.redact(&error(s.vigil(&["check"])));
    assert!(e.starts_with("vigil: error: [WS]/vigil.toml:2:"), "{e}");
    assert!(
        e.contains("\n2 | components = [\"a.cnf\" \"b.cnf\"]\n"),
        "{e}"
    );
    assert!(e.contains("  | "), "a caret line under the snippet: {e}");
}

#[test]
fn unknown_key_suggests_the_closest_name() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\nfolow = [\"openssl-include\"]\n");
    let e = s.redact(&error(s.vigil(&["check"])));
    assert!(e.contains("[WS]/vigil.toml:3:1:"), "{e}");
    assert!(e.contains("did you mean `follow`?"), "{e}");
    assert!(e.contains("3 | folow = [\"openssl-include\"]"), "{e}");
}

#[test]
fn unknown_extractor_and_bad_regex_point_at_the_value() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\nfollow = [\"openssl-includes\"]\n");
    let e = error(s.vigil(&["inventory"]));
    assert!(e.contains("vigil.toml:2:11:"), "{e}");
    assert!(e.contains("did you mean `openssl-include`?"), "{e}");
    s.config("[profiles.p]\n[[profiles.p.references]]\npattern = \"(unclosed\"\n");
    let e = error(s.vigil(&["check"]));
    assert!(e.contains("vigil.toml:3:11:"), "{e}");
    assert!(e.contains("invalid regex"), "{e}");
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let s = Sandbox::git_repo();
    s.config("[profiles.server]\ncomponents = []\n[profiles.client]\ncomponents = []\n");
    for cmd in ["check", "inventory", "approve", "diff"] {
        let e = error(s.vigil(&[cmd, "servr"]));
        assert!(e.contains("unknown profile `servr`"), "{cmd}: {e}");
        assert!(e.contains("did you mean `server`?"), "{cmd}: {e}");
        assert!(e.contains("known profiles: client, server"), "{cmd}: {e}");
    }
}

#[test]
fn no_configuration_found() {
    let s = Sandbox::git_repo();
    let e = error(s.vigil(&["check"]));
    assert!(e.contains("no vigil.toml found"), "{e}");
    let e = error(s.vigil(&["check", "--config", "nowhere.toml"]));
    assert!(e.contains("nowhere.toml: cannot read"), "{e}");
}

#[test]
fn configuration_that_is_not_utf8() {
    let s = Sandbox::git_repo();
    s.bytes("vigil.toml", b"[profiles.p]\ndescription = \"caf\xe9\"\n");
    let e = error(s.vigil(&["check"]));
    assert!(e.contains("not valid UTF-8"), "{e}");
}

#[test]
fn manifest_dir_outside_the_workspace() {
    let s = Sandbox::git_repo();
    s.config("manifest-dir = \"../approved\"\n[profiles.p]\n");
    let e = error(s.vigil(&["check"]));
    assert!(e.contains("vigil.toml:1:1:"), "{e}");
    assert!(e.contains("must stay inside the workspace"), "{e}");
}

#[test]
fn corrupt_manifest_names_file_line_column() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .file("a.cnf", "a\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    let good = s.read("approved/p.toml");
    s.file(
        "approved/p.toml",
        &good.replace("blake3 = \"", "blake3 = \"\n"),
    );
    for cmd in ["check", "approve", "diff"] {
        let e = s.redact(&error(s.vigil(&[cmd, "p"])));
        assert!(e.contains("[WS]/approved/p.toml:"), "{cmd}: {e}");
        assert!(e.contains(" |\n"), "{cmd}: a snippet: {e}");
    }
    s.file(
        "approved/p.toml",
        &good.replace("profile = \"p\"", "profile = \"q\""),
    );
    let e = error(s.vigil(&["check"]));
    assert!(
        e.contains("this manifest is for profile `q`, not `p`"),
        "{e}"
    );
    s.file(
        "approved/p.toml",
        &good.replace("kind = \"file\"", "kinds = \"file\""),
    );
    let e = error(s.vigil(&["check"]));
    assert!(e.contains("unknown field `kinds`"), "{e}");
    s.bytes("approved/p.toml", b"\xff\xfe garbage");
    let e = error(s.vigil(&["check"]));
    assert!(e.contains("not valid UTF-8"), "{e}");
}

#[test]
fn symlink_loops_are_unreadable_and_end() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"loop/\", \"self.cnf\", \"d/x.cnf\"]\n")
        .symlink("loop/a.cnf", "b.cnf")
        .symlink("loop/b.cnf", "a.cnf")
        .symlink("self.cnf", "self.cnf")
        .symlink("d", "d")
        .commit_all("p");
    let r = s.check_json().expect(1);
    let unreadable = r.findings_of("unreadable");
    assert_eq!(
        unreadable
            .iter()
            .map(|l| l.split(' ').nth(2).unwrap())
            .collect::<Vec<_>>(),
        ["d/x.cnf", "loop/a.cnf", "loop/b.cnf", "self.cnf"],
        "{unreadable:#?}"
    );
    assert!(r.message("unreadable", "self.cnf").contains("loop"));
    assert!(r.message("unreadable", "loop/a.cnf").contains("loop"));
    // What loops cannot be approved.
    let a = s.vigil(&["approve", "p"]).expect(1);
    assert!(a.stderr.contains("unreadable"), "{}", a.stderr);
    assert!(!s.path("approved/p.toml").exists());
}

#[test]
fn a_symlink_chain_that_ends_is_not_a_loop() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .symlink("a.cnf", "b.cnf")
        .symlink("b.cnf", "c.cnf")
        .file("c.cnf", "c\n")
        .commit_all("p");
    let r = s.check_json().expect(1);
    assert_eq!(r.findings(), ["error unapproved approved/p.toml"]);
    assert_eq!(r.components().len(), 3);
}

#[test]
fn non_utf8_file_names_work_from_inventory_to_manifest() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"ext/\"]\nfollow = [\"openssl-include\"]\n")
        .bytes("ext/a.cnf", b".include ext/caf\xff.inc\n")
        .file("ext/b.cnf", "b = 1\n");
    fs::write(s.root.join(bytes_path(b"ext/caf\xff.cnf")), "x = 1\n").unwrap();
    fs::write(s.root.join(bytes_path(b"ext/caf\xff.inc")), "y = 1\n").unwrap();
    s.commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        [
            "p ext/a.cnf [file] via declared `ext/`",
            "p ext/b.cnf [file] via declared `ext/`",
            "p ext/caf\\xff.cnf [file] via declared `ext/`",
            "p ext/caf\\xff.inc [file] via declared `ext/`",
        ]
    );
    s.check_json().expect(1);
    s.vigil(&["approve", "p"]).expect(0);
    let m = s.read("approved/p.toml");
    assert!(m.contains("path = 'ext/caf\\xff.cnf'"), "{m}");
    s.commit_all("approve");
    s.vigil(&["check"]).expect(0);
    // The manifest reads back to the same bytes: an edit to that file is stale, under its escaped name.
    fs::write(s.root.join(bytes_path(b"ext/caf\xff.cnf")), "x = 2\n").unwrap();
    s.commit_all("edit");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings(),
        ["error stale ext/caf\\xff.cnf via declared `ext/`"]
    );
    // And approving again is a no-op once restored.
    fs::write(s.root.join(bytes_path(b"ext/caf\xff.cnf")), "x = 1\n").unwrap();
    s.commit_all("restore");
    let a = s.vigil(&["approve", "p"]).expect(0);
    assert!(a.stdout.contains("unchanged"), "{}", a.stdout);
}

fn bytes_path(b: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[test]
fn huge_sparse_file_is_hashed_streaming() {
    const SIZE: u64 = 300 << 20;
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"crl/big.crl\"]\nfollow = [\"openssl-include\"]\n")
        .sparse("crl/big.crl", SIZE)
        .commit_all("big");
    let mut want = blake3::Hasher::new();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        want.update(&zeros);
    }
    let want = want.finalize().to_hex().to_string();
    let (r, check_kib) = s.vigil_peak_rss(&["check", "--format", "json"]);
    let c = &r.expect(1).json()["profiles"][0]["components"][0];
    assert_eq!(c["size"], SIZE);
    assert_eq!(c["blake3"], want.as_str());
    let (r, approve_kib) = s.vigil_peak_rss(&["approve", "p"]);
    r.expect(0);
    let m = s.read("approved/p.toml");
    assert!(m.contains(&format!("size = {SIZE}\n")), "{m}");
    assert!(m.contains(&format!("blake3 = \"{want}\"")), "{m}");
    s.commit_all("approve");
    s.vigil(&["check"]).expect(0);
    // The gate compares the bytes on disk with the committed blob without loading either.
    let (r, gate_kib) = s.vigil_peak_rss(&["gate", "p"]);
    r.expect(0);
    // Streamed: the peak resident set stays far below the file's size.
    for (what, kib) in [
        ("check", check_kib),
        ("approve", approve_kib),
        ("gate", gate_kib),
    ] {
        assert!(
            kib < 64 * 1024,
            "vigil {what} peaked at {kib} KiB for a {SIZE}-byte file"
        );
    }
}

#[test]
fn concurrent_approve_is_locked_out_and_the_old_manifest_stays() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .file("a.cnf", "a\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    let before = s.read("approved/p.toml");
    s.file("a.cnf", "changed\n").commit_all("edit");
    let dir = fs::File::open(s.path("vigil.toml")).unwrap();
    dir.try_lock().expect("the test takes the lock");
    let e = error(s.vigil(&["approve", "p"]));
    assert!(
        e.contains("another `vigil approve` is writing manifests"),
        "{e}"
    );
    assert_eq!(s.read("approved/p.toml"), before);
    let tmp: Vec<_> = fs::read_dir(s.path("approved"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        tmp.len(),
        1,
        "nothing but the manifest in approved/: {tmp:?}"
    );
    drop(dir);
    s.vigil(&["approve", "p"]).expect(0);
    assert_ne!(s.read("approved/p.toml"), before);
}

/// A change made to a sandbox.
type Setup = dyn Fn(&Sandbox);

/// Approval is refused (exit 1, findings on stderr, nothing written) for each code that means "not under
/// version control".
#[test]
fn approve_refuses_each_blocking_code() {
    let cases: [(&str, &Setup); 5] = [
        ("untracked", &|s| {
            s.file("b.cnf", "b\n");
        }),
        ("ignored", &|s| {
            s.file(".gitignore", "b.cnf\n").file("b.cnf", "b\n");
        }),
        ("missing", &|_| {}),
        ("outside-root", &|s| {
            s.symlink("b.cnf", "../../b.cnf");
        }),
        ("unreadable", &|s| {
            s.fifo("b.cnf");
        }),
    ];
    for (code, make) in cases {
        let s = Sandbox::git_repo();
        s.config("[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n")
            .file("a.cnf", "a\n")
            .file(".gitignore", "")
            .commit_all("p");
        make(&s);
        s.git(&["add", ".gitignore"]);
        let r = s.vigil(&["approve", "p"]).expect(1);
        assert!(
            r.stderr.contains("approval refused"),
            "{code}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("  p {code}: b.cnf")),
            "{code}: {}",
            r.stderr
        );
        assert!(
            !s.path("approved/p.toml").exists(),
            "{code}: nothing is written"
        );
        assert_eq!(r.stdout, "", "{code}");
    }
}

#[test]
fn approve_refusal_leaves_an_existing_manifest_untouched() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\nfollow = [\"openssl-include\"]\n")
        .file("a.cnf", "a\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    s.commit_all("approve");
    let before = s.read("approved/p.toml");
    s.file("a.cnf", ".include validity/825.cnf\n")
        .file("validity/825.cnf", "default_days = 825\n");
    s.git_ok(&["add", "a.cnf"]);
    let r = s.vigil(&["approve", "p"]).expect(1);
    assert!(
        r.stderr.contains("p untracked: validity/825.cnf"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("via declared `a.cnf` → a.cnf:1 (openssl-include)"),
        "{}",
        r.stderr
    );
    assert_eq!(s.read("approved/p.toml"), before);
}

#[test]
fn approve_allows_uncommitted_changes_to_tracked_components() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\"]\n")
        .file("a.cnf", "a\n")
        .file("b.cnf", "b\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    assert!(s.read("approved/p.toml").contains("local-changes = false"));
    s.commit_all("approve");
    // A modified and a newly added component, approved together with the change, then committed.
    s.file("a.cnf", "a2\n")
        .config("[profiles.p]\ncomponents = [\"a.cnf\", \"b.cnf\", \"c.cnf\"]\n")
        .file("c.cnf", "c\n");
    s.git_ok(&["add", "c.cnf"]);
    let r = s
        .vigil(&["approve", "p", "--reason", "one commit"])
        .expect(0);
    assert!(
        r.stdout.contains("including uncommitted changes"),
        "{}",
        r.stdout
    );
    let m = s.read("approved/p.toml");
    assert!(m.contains("local-changes = true"), "{m}");
    assert!(m.contains("reason = \"one commit\""), "{m}");
    s.commit_all("change and approval");
    s.vigil(&["check"]).expect(0);
}

#[test]
fn manifest_is_written_with_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .file("a.cnf", "a\n")
        .commit_all("p");
    s.vigil(&["approve", "p"]).expect(0);
    // Created as any new file would be (0666 less the same umask), not private like a temporary file.
    assert_eq!(mode(&s.path("approved/p.toml")), mode(&s.path("a.cnf")));
    // A replaced manifest keeps the mode it had.
    s.chmod("approved/p.toml", 0o640).file("a.cnf", "b\n");
    s.vigil(&["approve", "p"]).expect(0);
    assert_eq!(mode(&s.path("approved/p.toml")), 0o640);
    // So does a report written with --output.
    s.vigil(&["check", "--format", "json", "--output", "report.json"]);
    assert_eq!(mode(&s.path("report.json")), mode(&s.path("a.cnf")));
}
