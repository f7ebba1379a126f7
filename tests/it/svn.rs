//! Subversion working copies: detection, status of every kind, manifests at a revision, `vigil diff`
//! from the repository, keywords and line endings, externals. Real repositories, real `svn`.

use crate::support::Sandbox;
use crate::svn_support::{Layout, Svn};
use std::process::Command;

const CONFIG: &str = r#"
[profiles.server]
components = ["profiles/server.cnf"]
follow = ["openssl-include"]
"#;

/// A small CA profile committed to a fresh repository.
fn ca(layout: Layout) -> Svn {
    let s = Svn::new(layout);
    s.sb.file("vigil.toml", CONFIG)
        .file(
            "profiles/server.cnf",
            ".include validity/398.cnf\n[ext]\nkeyUsage = digitalSignature\n",
        )
        .file("validity/398.cnf", "default_days = 397\n");
    s.commit_all("profiles");
    s
}

fn approve_and_commit(s: &Svn, profile: &str) {
    s.sb.vigil(&["approve", profile, "--by", "Ada"]).expect(0);
    s.commit_all("approve");
}

#[test]
fn approve_check_and_an_edit_is_stale_and_uncommitted() {
    let s = ca(Layout::TrunkCheckout);
    s.sb.vigil(&["check", "--format", "json"]).expect(1);
    approve_and_commit(&s, "server");
    let r = s.sb.vigil(&["check"]).expect(0);
    assert!(
        r.stdout.contains("Subversion working copy at"),
        "check says which working copy it used:\n{}",
        r.stdout
    );
    let manifest = s.sb.read("approved/server.toml");
    assert!(manifest.contains("vcs = \"svn\""), "{manifest}");
    assert!(
        manifest.contains("id = \"2\""),
        "the revision is recorded: {manifest}"
    );

    s.sb.file("validity/398.cnf", "default_days = 825\n");
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        ["stale validity/398.cnf", "uncommitted validity/398.cnf"]
    );
    // The approved bytes come from the repository at the recorded revision.
    let d = s.sb.vigil(&["diff", "server"]).expect(0);
    assert!(d.stdout.contains("-default_days = 397"), "{}", d.stdout);
    assert!(d.stdout.contains("+default_days = 825"), "{}", d.stdout);
}

#[test]
fn every_finding_code_on_a_working_copy() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file(
        "vigil.toml",
        r#"
[profiles.all]
components = [
  "tracked.cnf", "modified.cnf", "added.cnf", "untracked.cnf", "ignored/x.cnf", "skip.bak",
  "global.tmp", "client.rej", "unversioned-dir/u.cnf", "gone.cnf", "fifo", "out.cnf", "nothing/*.cnf",
]
"#,
    )
    .file("tracked.cnf", "a\n")
    .file("modified.cnf", "b\n")
    .file("gone.cnf", "c\n")
    .file("dropped.cnf", "d\n");
    // Ignore rules of all three kinds: svn:ignore, inherited svn:global-ignores, the client's config.
    s.sb.file(
        "../home/.subversion/config",
        "[miscellany]\nglobal-ignores = *.rej\n",
    );
    s.commit_all("files");
    s.propset("svn:ignore", "ignored\n*.bak\n", ".")
        .propset("svn:global-ignores", "*.tmp", ".");
    s.svn_ok(&["commit", "-q", "-m", "ignores"]);
    // An approval that still lists dropped.cnf, which the profile no longer references (orphaned).
    s.sb.file(
        "vigil.toml",
        "[profiles.all]\ncomponents = [\"tracked.cnf\", \"modified.cnf\", \"dropped.cnf\"]\n",
    );
    s.sb.vigil(&["approve", "all", "--by", "Ada"]).expect(0);
    s.svn_ok(&["revert", "-q", "vigil.toml"]);

    s.sb.file("modified.cnf", "b changed\n")
        .file("added.cnf", "new\n")
        .file("untracked.cnf", "u\n")
        .file("ignored/x.cnf", "i\n")
        .file("skip.bak", "i\n")
        .file("global.tmp", "g\n")
        .file("client.rej", "c\n")
        .file("unversioned-dir/u.cnf", "u\n")
        .remove("gone.cnf")
        .symlink("out.cnf", "../outside.cnf");
    std::fs::write(s.sb.outside().join("outside.cnf"), "x\n").unwrap();
    s.svn_ok(&["add", "-q", "added.cnf"]);
    let fifo = s.sb.path("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    let codes = r.finding_codes();
    let want = [
        "ignored client.rej",
        "ignored global.tmp",
        "ignored ignored/x.cnf",
        "ignored skip.bak",
        "missing gone.cnf",
        "missing nothing/*.cnf",
        "orphaned dropped.cnf",
        "outside-root out.cnf",
        "stale modified.cnf",
        "unapproved added.cnf",
        "uncommitted added.cnf",
        "uncommitted modified.cnf",
        "unreadable fifo",
        "untracked unversioned-dir/u.cnf",
        "untracked untracked.cnf",
    ];
    for w in want {
        assert!(codes.iter().any(|c| c == w), "no `{w}` in {codes:#?}");
    }
    // The committed, approved component has no finding.
    assert!(
        !codes.iter().any(|c| c.ends_with(" tracked.cnf")),
        "{codes:#?}"
    );
}

#[test]
fn a_clean_working_copy_has_no_findings() {
    let s = ca(Layout::TrunkCheckout);
    approve_and_commit(&s, "server");
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(0);
    assert!(r.finding_codes().is_empty());
}

#[test]
fn an_added_component_is_uncommitted_until_committed() {
    let s = ca(Layout::TrunkCheckout);
    s.sb.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include extra.cnf\n",
    )
    .file("extra.cnf", "x = 1\n");
    s.svn_ok(&["add", "-q", "extra.cnf"]);
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    let j = r.json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "uncommitted" && f["path"] == "extra.cnf")
        .expect("extra.cnf is uncommitted");
    assert!(f["message"].as_str().unwrap().contains("added"), "{f}");
    // Tracked with uncommitted changes can be approved; the manifest says so.
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    assert!(s
        .sb
        .read("approved/server.toml")
        .contains("local-changes = true"));
    s.commit_all("extra");
    s.sb.vigil(&["check"]).expect(0);
}

#[test]
fn a_non_ascii_file_name() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file(
        "vigil.toml",
        "[profiles.p]\ncomponents = [\"profils/serveur-été.cnf\", \"profils/ünversioned.cnf\"]\n",
    )
    .file("profils/serveur-été.cnf", "x\n");
    s.commit_all("p");
    s.sb.file("profils/ünversioned.cnf", "y\n");
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        [
            "unapproved approved/p.toml",
            "untracked profils/ünversioned.cnf"
        ]
    );
}

#[test]
fn keywords_and_eol_style_hash_the_repository_form() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file("vigil.toml", "[profiles.p]\ncomponents = [\"kw.cnf\"]\n")
        .file("kw.cnf", "# $Id$\n# $Rev::        $\nline\n");
    s.add_all()
        .propset("svn:keywords", "Id Rev", "kw.cnf")
        .propset("svn:eol-style", "CRLF", "kw.cnf");
    assert_eq!(s.commit("kw").code, 0);
    s.svn_ok(&["update", "-q"]);
    let disk = s.sb.read("kw.cnf");
    assert!(
        disk.contains("$Id: kw.cnf 2 "),
        "expanded on disk: {disk:?}"
    );
    assert!(disk.contains("\r\n"), "{disk:?}");
    s.sb.vigil(&["approve", "p", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    // The manifest's hash is the hash of what the repository stores.
    let stored = Command::new("svnlook")
        .args(["cat", s.repos.to_str().unwrap(), "trunk/kw.cnf"])
        .output()
        .unwrap()
        .stdout;
    let manifest = s.sb.read("approved/p.toml");
    assert!(
        manifest.contains(&blake3::hash(&stored).to_hex().to_string()),
        "{manifest}"
    );
    s.sb.vigil(&["check"]).expect(0);
    // An edit shows as stale, with a note that it was compared in repository form.
    s.sb.file("kw.cnf", &disk.replace("line", "changed"));
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    let j = r.json();
    let stale = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "stale")
        .expect("stale");
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains("svn:keywords `Id Rev` contracted"),
        "{stale}"
    );
    let d = s.sb.vigil(&["diff", "p"]).expect(0);
    assert!(
        d.stdout.contains("-line\r\n") && d.stdout.contains("+changed\r\n"),
        "{}",
        d.stdout
    );
    assert!(
        !d.stdout.contains("-# $Id"),
        "keywords do not show as changes: {}",
        d.stdout
    );
}

#[test]
fn a_component_in_an_externals_checkout_gets_its_status() {
    let s = ca(Layout::TrunkCheckout);
    // A second project, pulled in with svn:externals.
    s.svn_ok(&["mkdir", "-q", "-m", "shared", &format!("{}/shared", s.url)]);
    let other = s.sb.outside().join("other");
    s.svn_ok(&[
        "checkout",
        "-q",
        &format!("{}/shared", s.url),
        other.to_str().unwrap(),
    ]);
    std::fs::write(other.join("policy.cnf"), "policy = 1\n").unwrap();
    s.svn_ok(&["add", "-q", other.join("policy.cnf").to_str().unwrap()]);
    s.svn_ok(&["commit", "-q", "-m", "policy", other.to_str().unwrap()]);
    s.propset("svn:externals", "^/shared ext", ".");
    s.svn_ok(&["commit", "-q", "-m", "externals", "--depth", "empty", "."]);
    s.svn_ok(&["update", "-q"]);
    s.sb.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\", \"ext/policy.cnf\"]\nfollow = [\"openssl-include\"]\n",
    );
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s.sb.vigil(&["check"]).expect(0);
    s.sb.file("ext/policy.cnf", "policy = 2\n");
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        ["stale ext/policy.cnf", "uncommitted ext/policy.cnf"]
    );
    s.sb.file("ext/unversioned.cnf", "u\n").file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"ext/unversioned.cnf\"]\n",
    );
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    assert!(r
        .finding_codes()
        .contains(&"untracked ext/unversioned.cnf".to_string()));
}

#[test]
fn a_workspace_under_trunk() {
    let s = ca(Layout::UnderTrunk);
    approve_and_commit(&s, "server");
    s.sb.vigil(&["check"]).expect(0);
    s.sb.file("validity/398.cnf", "default_days = 825\n");
    let r = s.sb.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        ["stale validity/398.cnf", "uncommitted validity/398.cnf"]
    );
}

#[test]
fn the_nearest_working_copy_wins() {
    // A git repository inside an SVN working copy: the workspace inside it is git's.
    let s = ca(Layout::TrunkCheckout);
    let inner = s.sb.path("inner");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(
        inner.join("vigil.toml"),
        "[profiles.p]\ncomponents = [\"a.cnf\"]\n",
    )
    .unwrap();
    std::fs::write(inner.join("a.cnf"), "a\n").unwrap();
    let mut c = Command::new("git");
    c.args(["init", "-q"]).current_dir(&inner);
    s.sb.env(&mut c);
    assert!(c.status().unwrap().success());
    let r = s.sb.vigil_in(&inner, &["check"]).expect(1);
    assert!(r.stdout.contains("(git repository at"), "{}", r.stdout);
    let r = s.sb.vigil(&["check"]).expect(1);
    assert!(
        r.stdout.contains("(Subversion working copy at"),
        "{}",
        r.stdout
    );

    // An SVN working copy inside a git repository: the workspace inside it is Subversion's.
    let g = Sandbox::git_repo();
    let s2 = Svn::new(Layout::TrunkCheckout);
    let wc = g.path("wc");
    s2.svn_ok(&[
        "checkout",
        "-q",
        &format!("{}/trunk", s2.url),
        wc.to_str().unwrap(),
    ]);
    std::fs::write(
        wc.join("vigil.toml"),
        "[profiles.p]\ncomponents = [\"a.cnf\"]\n",
    )
    .unwrap();
    std::fs::write(wc.join("a.cnf"), "a\n").unwrap();
    let r = g.vigil_in(&wc, &["check", "--format", "json"]).expect(1);
    assert!(
        r.json()["vcs"]
            .as_str()
            .unwrap_or("")
            .contains("Subversion")
            || r.stdout.contains("Subversion"),
        "{}",
        r.stdout
    );
    assert!(r.finding_codes().contains(&"untracked a.cnf".to_string()));
}

#[test]
fn an_unreadable_working_copy_format_is_a_clear_error() {
    let s = Sandbox::plain();
    crate::svn_support::require_svn();
    s.file("vigil.toml", "[profiles.p]\ncomponents = [\"a.cnf\"]\n")
        .file("a.cnf", "a\n")
        // A pre-1.7 working copy: an `entries` file and no wc.db.
        .file(".svn/entries", "10\n");
    let r = s.vigil(&["check"]).expect(2);
    assert!(
        r.stderr.contains("cannot read the Subversion working copy"),
        "{}",
        r.stderr
    );
}
