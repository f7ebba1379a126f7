//! The Subversion pre-commit hook, installed from `hooks/svn-pre-commit` into a real repository and run by
//! real `svn commit`s (so with the empty environment Subversion gives hooks).

use crate::svn_support::{Layout, Svn};

/// A committed, approved CA profile with the hook installed.
fn guarded(layout: Layout, workspaces: &str) -> Svn {
    let s = Svn::new(layout);
    s.sb.file(
        "vigil.toml",
        r#"
[profiles.server]
components = ["profiles/server.cnf"]
follow = ["openssl-include"]
"#,
    )
    .file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n[ext]\nkeyUsage = digitalSignature\n",
    )
    .file("validity/398.cnf", "default_days = 397\n");
    s.commit_all("profiles");
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s.install_hook(workspaces);
    s
}

#[track_caller]
fn rejected(s: &Svn, msg: &str) -> String {
    s.add_all();
    let r = s.commit(msg);
    assert_ne!(r.code, 0, "the commit was accepted:\n{}", r.stdout);
    assert!(
        r.stderr.contains("vigil: this commit is rejected"),
        "{}",
        r.stderr
    );
    r.stderr
}

#[track_caller]
fn accepted(s: &Svn, msg: &str) {
    s.commit_all(msg);
}

#[test]
fn a_commit_touching_no_profile_is_accepted_without_checking_profiles() {
    let s = guarded(Layout::TrunkCheckout, "");
    s.sb.file("README", "notes\n").file("other/x.conf", "x\n");
    accepted(&s, "unrelated");
    let r = s.hook_on_rev(&s.youngest(), &[]).expect(0);
    assert!(
        r.stderr.contains("touches nothing any profile uses"),
        "{}",
        r.stderr
    );
    // A commit outside the workspace does not even read vigil.toml's profiles.
    s.svn_ok(&["mkdir", "-q", "-m", "b", &format!("{}/branches/b1", s.url)]);
    let r = s.hook_on_rev(&s.youngest(), &[]).expect(0);
    assert!(
        r.stderr.contains("changes nothing in the workspace"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_changed_component_needs_its_manifest_in_the_same_commit() {
    let s = guarded(Layout::TrunkCheckout, "");
    s.sb.file("validity/398.cnf", "default_days = 825\n");
    let err = rejected(&s, "longer validity");
    for want in [
        "profile `server` (manifest /trunk/approved/server.toml)",
        "stale        /trunk/validity/398.cnf",
        "reached by: declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)",
        "run `vigil approve server`, and commit /trunk/approved/server.toml in this same commit",
    ] {
        assert!(err.contains(want), "no `{want}` in:\n{err}");
    }
    // Re-approved, in one commit: accepted.
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    accepted(&s, "longer validity, approved");
    let r = s.hook_on_rev(&s.youngest(), &[]).expect(0);
    assert!(r.stderr.contains("checked profiles server"), "{}", r.stderr);
}

#[test]
fn the_microsec_case_names_the_missing_component_and_what_to_do() {
    let s = guarded(Layout::TrunkCheckout, "");
    s.sb.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include validity/extra.cnf\n",
    )
    .file("validity/extra.cnf", "x = 1\n");
    let r = s.svn(&["commit", "-m", "forgot one", "profiles/server.cnf"]);
    assert_ne!(r.code, 0, "accepted:\n{}", r.stdout);
    for want in [
        "missing      /trunk/validity/extra.cnf",
        "reached by: declared `profiles/server.cnf` → profiles/server.cnf:2 (openssl-include)",
        "add it (`svn add`) and commit it in this same commit",
    ] {
        assert!(r.stderr.contains(want), "no `{want}` in:\n{}", r.stderr);
    }
    s.svn_ok(&["add", "-q", "validity/extra.cnf"]);
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    accepted(&s, "with the include, approved");
}

#[test]
fn a_configuration_or_manifest_that_does_not_parse_is_rejected() {
    let s = guarded(Layout::TrunkCheckout, "");
    s.sb.file("vigil.toml", "[profiles.server\ncomponents = 1\n");
    let err = rejected(&s, "broken config");
    assert!(err.contains("does not parse"), "{err}");
    assert!(err.contains("^/trunk/vigil.toml:1"), "{err}");
    s.svn_ok(&["revert", "-q", "vigil.toml"]);

    let m = s.sb.read("approved/server.toml");
    s.sb.file(
        "approved/server.toml",
        &m.replace("manifest-version", "manifest-versio"),
    );
    let err = rejected(&s, "broken manifest");
    assert!(err.contains("approved/server.toml"), "{err}");
    assert!(err.contains("does not parse"), "{err}");
    s.svn_ok(&["revert", "-q", "approved/server.toml"]);
    s.sb.file("README", "ok\n");
    accepted(&s, "fine");
}

#[test]
fn a_non_ascii_component() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file(
        "vigil.toml",
        "[profiles.p]\ncomponents = [\"profils/serveur-été.cnf\"]\n",
    )
    .file("profils/serveur-été.cnf", "a\n");
    s.commit_all("p");
    s.sb.vigil(&["approve", "p", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s.install_hook("");
    s.sb.file("profils/serveur-été.cnf", "b\n");
    let err = rejected(&s, "edit");
    assert!(err.contains("/trunk/profils/serveur-été.cnf"), "{err}");
    s.sb.vigil(&["approve", "p", "--by", "Ada"]).expect(0);
    accepted(&s, "edit, approved");
}

#[test]
fn a_keyword_expanded_component_hashes_alike_on_both_sides() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file("vigil.toml", "[profiles.p]\ncomponents = [\"kw.cnf\"]\n")
        .file("kw.cnf", "# $Id$\n# $Rev::       $\nline\n");
    s.add_all()
        .propset("svn:keywords", "Id Rev", "kw.cnf")
        .propset("svn:eol-style", "native", "kw.cnf");
    assert_eq!(s.commit("kw").code, 0);
    s.svn_ok(&["update", "-q"]);
    s.sb.vigil(&["approve", "p", "--by", "Ada"]).expect(0);
    s.install_hook("");
    accepted(&s, "approve");
    // Edited and re-approved from the expanded working file: the server sees the same hash.
    let disk = s.sb.read("kw.cnf");
    assert!(disk.contains("$Id: kw.cnf 2 "), "{disk}");
    s.sb.file("kw.cnf", &disk.replace("line", "line 2"));
    s.sb.vigil(&["approve", "p", "--by", "Ada"]).expect(0);
    accepted(&s, "edit, approved");
    s.sb.vigil(&["check"]).expect(0);
    s.sb.file("kw.cnf", &s.sb.read("kw.cnf").replace("line 2", "line 3"));
    rejected(&s, "edit, not approved");
}

#[test]
fn a_workspace_under_trunk_found_by_default_and_by_setting() {
    for setting in ["", "trunk"] {
        let s = guarded(Layout::UnderTrunk, setting);
        s.sb.file("validity/398.cnf", "default_days = 825\n");
        let err = rejected(&s, "edit");
        assert!(err.contains("/trunk/validity/398.cnf"), "{err}");
        s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
        accepted(&s, "approved");
        // Outside the workspace: accepted.
        std::fs::write(s.wc.join("branches/notes.txt"), "n\n").unwrap();
        accepted(&s, "branch notes");
    }
}

#[test]
fn deleting_the_configuration_is_rejected() {
    let s = guarded(Layout::TrunkCheckout, "");
    s.svn_ok(&["rm", "-q", "vigil.toml"]);
    let r = s.commit("drop vigil");
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("vigil.toml"), "{}", r.stderr);
}

/// The node cache (`REPOS/vigil/node-hashes`) keeps the BLAKE3 of committed node revisions, whose
/// content never changes: a component is read once per node revision, and every change still is.
#[test]
fn the_node_cache_spares_rereading_committed_components_but_never_a_change() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file("vigil.toml", "[profiles.many]\ncomponents = [\"conf/\"]\n");
    for i in 0..20 {
        s.sb.file(&format!("conf/f{i}.cnf"), &format!("n = {i}\n"));
    }
    s.commit_all("profiles");
    s.sb.vigil(&["approve", "many", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s.install_hook("");
    let cache = s.repos.join("vigil/node-hashes");
    assert!(!cache.exists());

    // The first commit after installing the hook reads every component: the cache is empty.
    s.sb.file("conf/f0.cnf", "n = 100\n");
    s.sb.vigil(&["approve", "many", "--by", "Ada"]).expect(0);
    accepted(&s, "f0, approved");
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(
        text.starts_with("vigil-node-hashes 1 youngest 3\n"),
        "{text}"
    );
    // 19 components and vigil.toml, which the check looks up like a component (it is under the
    // same control): its node revision is read once and known from then on.
    assert_eq!(text.lines().count(), 1 + 19 + 1, "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("\tfile\t39\t")).count(),
        1,
        "vigil.toml's 39 bytes: {text}"
    );
    // The revision again: f0's node revision is new, the other 19 and vigil.toml are known.
    let r = s.hook_on_rev(&s.youngest(), &[]).expect(0);
    assert!(
        r.stderr
            .contains("checked profiles many (20 files known from the node cache)"),
        "{}",
        r.stderr
    );
    let r = s.hook_on_rev(&s.youngest(), &[]).expect(0);
    assert!(
        r.stderr.contains("(21 files known from the node cache)"),
        "{}",
        r.stderr
    );

    // A change is a new node revision: read, and rejected without approval.
    s.sb.file("conf/f1.cnf", "n = 825\n");
    let err = rejected(&s, "f1 unapproved");
    assert!(err.contains("stale        /trunk/conf/f1.cnf"), "{err}");
    s.svn_ok(&["revert", "-q", "conf/f1.cnf"]);
    // So is a property change: executable now, approved as a file.
    s.propset("svn:executable", "*", "conf/f2.cnf");
    let err = rejected(&s, "f2 executable");
    assert!(err.contains("stale        /trunk/conf/f2.cnf"), "{err}");
    assert!(err.contains("approved as file, now executable"), "{err}");
    s.svn_ok(&["revert", "-q", "conf/f2.cnf"]);
    // And a copy of another (known) node over a component: f3 gets f4's bytes.
    s.svn_ok(&["rm", "-q", "conf/f3.cnf"]);
    s.svn_ok(&["cp", "-q", "conf/f4.cnf", "conf/f3.cnf"]);
    let err = rejected(&s, "f3 replaced by a copy of f4");
    assert!(err.contains("stale        /trunk/conf/f3.cnf"), "{err}");
    s.svn_ok(&["revert", "-q", "-R", "conf"]);

    // A cache that claims a revision the repository does not have yet is ignored, and so is
    // `--no-cache`.
    std::fs::write(&cache, "vigil-node-hashes 1 youngest 99\n").unwrap();
    let r = s.hook_on_rev(&s.youngest(), &[]).expect(0);
    assert!(r.stderr.contains("(0 files known"), "{}", r.stderr);
    let r = s.hook_on_rev(&s.youngest(), &["--no-cache"]).expect(0);
    assert!(r.stderr.contains("(0 files known"), "{}", r.stderr);
}

/// Where `unapproved` is below an error in the hook, a manifest need not list every component, so a
/// changed file that no manifest entry or declared pattern is near may still be one: the commit is
/// checked in full.
#[test]
fn a_configuration_that_lets_components_go_unapproved_is_checked_in_full() {
    let s = Svn::new(Layout::TrunkCheckout);
    s.sb.file(
        "vigil.toml",
        "[profiles.server]\ncomponents = [\"profiles/server.cnf\"]\nfollow = [\"openssl-include\"]\n\n\
         [severity.hook]\nstale = \"warning\"\nunapproved = \"warning\"\n",
    )
    .file("profiles/server.cnf", "[ext]\n");
    s.commit_all("profile");
    s.sb.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s.install_hook("");
    // The include, approved later: warnings only, accepted.
    s.sb.file("profiles/server.cnf", ".include validity/398.cnf\n[ext]\n")
        .file("validity/398.cnf", "default_days = 397\n");
    accepted(&s, "include");
    // A change of the unapproved component that breaks the profile.
    s.sb.file("validity/398.cnf", ".include validity/gone.cnf\n");
    let err = rejected(&s, "include a file that is not there");
    assert!(err.contains("missing"), "{err}");
}
