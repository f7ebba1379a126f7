//! Attacks on the verdict over real git: each test reproduces one way a hostile committer or a careless
//! operator could make vigil say ok or PASS over an unapproved change, and requires a refusal or a
//! finding instead.

use crate::nightly::approved_ca;
use crate::support::{Run, Sandbox};

/// The gate's findings as `code path`, read from its summary.
fn gate_codes(s: &Sandbox) -> (Run, Vec<String>) {
    let r = s.vigil(&["gate", "server"]);
    let line = regex::Regex::new(r"^    (?:error|warning|note) +(\S+) +(\S+)$").unwrap();
    let codes = r
        .stdout
        .lines()
        .filter_map(|l| line.captures(l))
        .map(|c| format!("{} {}", &c[1], &c[2]))
        .collect();
    (r, codes)
}

fn has(codes: &[String], want: &str) -> bool {
    codes.iter().any(|c| c == want)
}

#[test]
fn uncommitted_vigil_toml_edit_relaxing_the_policy_is_not_trusted() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    // Unapproved, uncommitted change, hidden by a local policy that switches the findings off.
    let relaxed = format!(
        "[severity.gate]\nstale = \"off\"\nuncommitted = \"off\"\n\
         [severity.nightly]\nstale = \"off\"\nuncommitted = \"off\"\n{}",
        s.read("vigil.toml")
    );
    s.file("vigil.toml", &relaxed)
        .file("profiles/server.cnf", "[server]\nbackdoor = 1\n");
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(
        has(&r.finding_codes(), "uncommitted vigil.toml"),
        "{}",
        r.all()
    );
    assert_eq!(r.code, 1, "{}", r.all());
    let (r, codes) = gate_codes(&s);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(has(&codes, "uncommitted vigil.toml"), "{}", r.all());

    // An untracked vigil.toml is reported too.
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.git_ok(&["rm", "-q", "--cached", "vigil.toml"]);
    s.git_ok(&["commit", "-q", "--no-verify", "-m", "untrack"]);
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(
        has(&r.finding_codes(), "untracked vigil.toml"),
        "{}",
        r.all()
    );
}

#[test]
fn emptied_vigil_toml_is_rejected_by_pre_commit_and_pre_receive() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    s.git_ok(&["push", "-q", "origin", "main"]);
    s.vigil(&["hook", "install"]).expect(0);
    s.file("vigil.toml", "# nothing to see\n");
    s.git_ok(&["add", "-A"]);
    let r = s.git(&["commit", "-q", "-m", "switch the control off"]);
    assert_ne!(
        r.code,
        0,
        "pre-commit accepted an emptied vigil.toml:\n{}",
        r.all()
    );
    // The leftover manifest is a finding of the check too.
    let c = s.vigil(&["check", "--format", "json"]).expect(1);
    assert!(
        has(&c.finding_codes(), "orphaned-manifest approved/server.toml"),
        "{}",
        c.all()
    );
    s.git_ok(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "switch the control off",
    ]);
    let r = s.git(&["push", "origin", "main"]);
    assert_ne!(
        r.code,
        0,
        "pre-receive accepted an emptied vigil.toml:\n{}",
        r.all()
    );
}

#[test]
fn assume_unchanged_and_skip_worktree_do_not_hide_an_edit_from_the_gate() {
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let s = Sandbox::git_repo();
        approved_ca(&s);
        s.git_ok(&["update-index", flag, "profiles/server.cnf"]);
        s.file("profiles/server.cnf", "[server]\nbackdoor = 1\n");
        // git now says the file is unchanged; approve must not record a clean approval.
        s.vigil(&["approve", "server"]).expect(0);
        let m = s.read("approved/server.toml");
        assert!(m.contains("local-changes = true"), "{flag}: {m}");
        s.commit_all("approve");
        let (r, codes) = gate_codes(&s);
        assert_ne!(r.code, 0, "{flag}: the gate passed:\n{}", r.all());
        assert!(
            has(&codes, "uncommitted profiles/server.cnf"),
            "{flag}: {}",
            r.all()
        );
    }
}

#[test]
fn local_clean_filter_does_not_hide_bytes_from_the_gate() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    std::fs::write(s.path(".git/info/attributes"), "*.cnf filter=hide\n").unwrap();
    s.git_ok(&["config", "filter.hide.clean", "grep -v backdoor"]);
    s.git_ok(&["config", "filter.hide.smudge", "cat"]);
    s.file(
        "profiles/server.cnf",
        &format!("{}backdoor = 1\n", s.read("profiles/server.cnf")),
    );
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    let (r, codes) = gate_codes(&s);
    assert_ne!(r.code, 0, "the gate passed:\n{}", r.all());
    assert!(
        has(&codes, "uncommitted profiles/server.cnf"),
        "{}",
        r.all()
    );
}

#[test]
fn symlinked_manifest_folder_outside_the_workspace_is_refused() {
    let s = Sandbox::git_repo();
    crate::support::Ca::new().write(&s);
    let outside = s.outside().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    s.symlink("approved", outside.to_str().unwrap());
    s.commit_all("profiles");
    let r = s.vigil(&["approve", "server"]).expect(2);
    assert!(r.stderr.contains("approved"), "{}", r.stderr);
    assert!(
        !outside.join("server.toml").exists(),
        "approve wrote outside the workspace"
    );
    // A manifest already there is not trusted either.
    std::fs::remove_file(s.path("approved")).unwrap();
    s.vigil(&["approve", "server"]).expect(0);
    std::fs::rename(s.path("approved/server.toml"), outside.join("server.toml")).unwrap();
    std::fs::remove_dir(s.path("approved")).unwrap();
    s.symlink("approved", outside.to_str().unwrap());
    s.git(&["add", "-A"]);
    s.git(&["commit", "-q", "--no-verify", "-m", "manifest outside"]);
    let r = s.vigil(&["check"]);
    assert_ne!(r.code, 0, "{}", r.all());
    // A committed symlink as the manifest file: a clear error, not "Too many levels of symbolic links".
    std::fs::remove_file(s.path("approved")).unwrap();
    std::fs::create_dir(s.path("approved")).unwrap();
    s.symlink("approved/server.toml", "server.toml");
    let r = s.vigil(&["check"]).expect(2);
    assert!(r.stderr.contains("symlink"), "{}", r.stderr);
}

#[test]
fn hand_written_vcs_none_revision_is_a_foreign_approval() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let m = s.read("approved/server.toml");
    let forged: String = m
        .lines()
        .filter(|l| !l.starts_with("id = "))
        .map(|l| {
            if l == "vcs = \"git\"" {
                "vcs = \"none\""
            } else {
                l
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(forged, m);
    s.file("approved/server.toml", &forged);
    s.commit_all("forged approval");
    let (r, codes) = gate_codes(&s);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        has(&codes, "foreign-approval approved/server.toml"),
        "{}",
        r.all()
    );
}

#[test]
fn malformed_manifests_are_rejected_with_file_and_line() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    let good = s.read("approved/server.toml");
    let at = good.find("[[component]]").unwrap();
    let block_end = good[at + 1..]
        .find("[[component]]")
        .map(|i| at + 1 + i)
        .unwrap_or(good.len());
    let duplicated = format!("{}{}", good, &good[at..block_end]);
    let h = regex::Regex::new(r#"blake3 = "[0-9a-f]{64}""#).unwrap();
    let non_hex = h
        .replace(&good, format!("blake3 = \"{}\"", "zé".repeat(32)))
        .into_owned();
    let short = h.replace(&good, "blake3 = \"abc\"").into_owned();
    let version = good.replace("manifest-version = 1", "manifest-version = 0");
    // The server hook receives every malformed manifest below and must refuse it, not panic.
    let bare = s.bare_origin();
    s.vigil_in(&bare, &["hook", "install"]).expect(0);
    s.git_ok(&["push", "-q", "origin", "main"]);
    for (what, text) in [
        ("duplicate", duplicated),
        ("non-hex", non_hex),
        ("short", short),
        ("version", version),
    ] {
        s.file("approved/server.toml", &text);
        s.commit_all(what);
        for args in [
            &["check"][..],
            &["gate", "server"],
            &["diff", "server"],
            &["check", "--rev", "HEAD"],
            &["check", "--staged", "--format", "json"],
        ] {
            let r = s.vigil(args);
            assert_eq!(r.code, 2, "{what} {args:?}:\n{}", r.all());
            assert!(
                r.stderr.contains("approved/server.toml:"),
                "{what} {args:?}: no file:line:\n{}",
                r.stderr
            );
        }
        let r = s.git(&["push", "origin", "main"]);
        assert_ne!(r.code, 0, "{what}: pre-receive accepted it:\n{}", r.all());
        assert!(!r.all().contains("panicked"), "{what}:\n{}", r.all());
        assert!(
            r.all().contains("approved/server.toml:"),
            "{what}:\n{}",
            r.all()
        );
    }
}

#[test]
fn hook_installed_at_the_root_above_the_workspace_fails_closed() {
    // vigil.toml in a subfolder, the hook installed at the top: it finds the workspace.
    let s = Sandbox::git_repo();
    s.file(
        "ca/vigil.toml",
        "[profiles.server]\ncomponents = [\"server.cnf\"]\n",
    )
    .file("ca/server.cnf", "[server]\n");
    s.commit_all("workspace in a subfolder");
    let r = s.vigil(&["hook", "install"]).expect(0);
    assert!(r.stdout.contains("--workspace ca"), "{}", r.all());
    s.file("ca/server.cnf", "[server]\nbackdoor = 1\n");
    s.git_ok(&["add", "-A"]);
    let r = s.git(&["commit", "-q", "-m", "unapproved"]);
    assert_ne!(
        r.code,
        0,
        "the hook accepted an unapproved change:\n{}",
        r.all()
    );

    // Installed where no workspace exists yet, the hook refuses every commit that holds none: it
    // would check nothing.
    let s = Sandbox::git_repo();
    let r = s.vigil(&["hook", "install"]).expect(0);
    assert!(r.stderr.contains("refuse commits until"), "{}", r.all());
    s.file("README", "unrelated\n");
    s.git_ok(&["add", "-A"]);
    let r = s.git(&["commit", "-q", "-m", "nothing to check"]);
    assert_ne!(r.code, 0, "the hook accepted an unchecked commit");
    assert!(r.all().contains("would check nothing"), "{}", r.all());

    // A hook that runs at the top with no --workspace (written for a vigil.toml at the top that
    // has since moved into a folder) checks the one workspace the index holds.
    s.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"server.cnf\"]\n",
    )
    .file("server.cnf", "[server]\n");
    s.vigil(&["hook", "install"]).expect(0);
    s.git_ok(&["add", "-A"]);
    s.git_ok(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "unchecked",
    ]);
    std::fs::create_dir(s.path("ca")).unwrap();
    s.git_ok(&["mv", "vigil.toml", "ca/vigil.toml"]);
    s.git_ok(&["mv", "server.cnf", "ca/server.cnf"]);
    let r = s.git(&["commit", "-q", "-m", "moved, unapproved"]);
    assert_ne!(
        r.code,
        0,
        "the hook accepted an unchecked commit:\n{}",
        r.all()
    );
    assert!(r.all().contains("in ca/"), "{}", r.all());
    // With two workspaces in the index and none at the top, it refuses to guess.
    s.file("pki/vigil.toml", "[profiles.other]\ncomponents = []\n");
    s.git_ok(&["add", "-A"]);
    let r = s.git(&["commit", "-q", "-m", "two workspaces"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("--workspace"), "{}", r.all());
}

#[test]
fn hook_install_force_twice_keeps_the_original_hook() {
    let s = Sandbox::git_repo();
    let hook = s.path(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho original\n").unwrap();
    s.vigil(&["hook", "install", "--force"]).expect(0);
    std::fs::write(&hook, "#!/bin/sh\necho second\n").unwrap();
    s.vigil(&["hook", "install", "--force"]).expect(0);
    let kept: Vec<String> = std::fs::read_dir(s.path(".git/hooks"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(kept.iter().any(|k| k.contains("echo original")), "{kept:?}");
    assert!(kept.iter().any(|k| k.contains("echo second")), "{kept:?}");
}

#[test]
fn manifest_dir_inside_the_git_folder_is_refused() {
    let s = Sandbox::git_repo();
    s.file(
        "vigil.toml",
        "manifest-dir = \".git/approved\"\n[profiles.server]\ncomponents = [\"server.cnf\"]\n",
    )
    .file("server.cnf", "[server]\n");
    let r = s.vigil(&["approve", "server"]).expect(2);
    assert!(r.stderr.contains("manifest-dir"), "{}", r.stderr);
    assert!(!s.path(".git/approved/server.toml").exists());
}

#[test]
fn sparse_checkout_excluded_component_is_missing_not_uncommitted() {
    let s = Sandbox::git_repo();
    s.config("[profiles.server]\ncomponents = [\"server.cnf\", \"validity/398.cnf\"]\n")
        .file("server.cnf", "[server]\n")
        .file("validity/398.cnf", "default_days = 397\n")
        .commit_all("profile");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    s.git_ok(&["sparse-checkout", "set", "--no-cone", "/*", "!/validity/"]);
    assert!(
        !s.path("validity/398.cnf").exists(),
        "the sparse checkout removed it"
    );
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(r.finding_codes(), ["missing validity/398.cnf"]);
    let why = r.message("missing", "validity/398.cnf");
    assert!(why.contains("excluded from this sparse checkout"), "{why}");
    // The gate says the same, and fails: the consumer cannot read what is not on disk.
    let (r, codes) = gate_codes(&s);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(codes, ["missing validity/398.cnf"]);
    assert!(
        r.stdout.contains("excluded from this sparse checkout"),
        "{}",
        r.stdout
    );
    // Back in the checkout: ok again.
    s.git_ok(&["sparse-checkout", "disable"]);
    s.vigil(&["check"]).expect(0);
}

#[test]
fn diff_accepts_an_absolute_path_inside_the_workspace() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file("validity/398.cnf", "default_days = 825\n");
    let abs = s.path("validity/398.cnf");
    let r = s
        .vigil(&["diff", "server", abs.to_str().unwrap()])
        .expect(0);
    assert!(r.stdout.contains("+default_days = 825"), "{}", r.stdout);
    // The same through `..` and from a subfolder.
    let dotted = s.path("profiles/../validity/398.cnf");
    let r = s
        .vigil_in(
            &s.path("profiles"),
            &["diff", "server", dotted.to_str().unwrap()],
        )
        .expect(0);
    assert!(r.stdout.contains("+default_days = 825"), "{}", r.stdout);
    // Outside the workspace it is still refused, naming the path.
    let out = s.outside().join("398.cnf");
    std::fs::write(&out, "x\n").unwrap();
    let r = s
        .vigil(&["diff", "server", out.to_str().unwrap()])
        .expect(2);
    assert!(
        r.stderr.contains("is not a path inside the workspace"),
        "{}",
        r.stderr
    );
}

#[test]
fn include_through_a_symlink_and_dotdot_resolves_like_openssl_outside_the_workspace() {
    let s = Sandbox::git_repo();
    // `link/../x.cnf`: the kernel (and OpenSSL) go through `link` first, to the outside folder's
    // parent, not to the workspace's own x.cnf.
    std::fs::create_dir_all(s.outside().join("sub")).unwrap();
    std::fs::write(s.outside().join("x.cnf"), "default_days = 825\n").unwrap();
    s.config("[profiles.server]\ncomponents = [\"server.cnf\"]\nfollow = [\"openssl-include\"]\n")
        .file("server.cnf", ".include link/../x.cnf\n[server]\n")
        .file("x.cnf", "default_days = 397\n")
        .symlink("link", s.outside().join("sub").to_str().unwrap())
        .commit_all("profile");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    let codes = r.finding_codes();
    assert!(
        codes.iter().any(|c| c.starts_with("outside-root")),
        "{codes:?}"
    );
    let comps = r.components();
    assert!(
        !comps.iter().any(|c| c.starts_with("server x.cnf ")),
        "{comps:?}"
    );
    // Nothing outside can be approved.
    s.vigil(&["approve", "server"]).expect(1);
    // Through a link to a folder inside, `..` climbs from the link's target: deep/x.cnf.
    s.remove("link")
        .symlink("link", "deep/er")
        .file("deep/er/keep", "")
        .file("deep/x.cnf", "default_days = 396\n")
        .commit_all("link inside");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(r.finding_codes(), ["unapproved approved/server.toml"]);
    let comps = r.components();
    assert!(
        comps.iter().any(|c| c.starts_with("server deep/x.cnf ")),
        "{comps:?}"
    );
    assert!(
        !comps.iter().any(|c| c.starts_with("server x.cnf ")),
        "{comps:?}"
    );
}
