//! Reference discovery end to end: OpenSSL `.include` / `.import` / `.pragma includedir`, user
//! patterns, cycles, the depth limit, shared components, and `vigil inventory`.

use crate::support::Sandbox;

fn openssl(components: &str) -> String {
    format!("[profiles.p]\ncomponents = [{components}]\nfollow = [\"openssl-include\"]\n")
}

#[test]
fn include_of_a_file_resolves_against_the_workspace_not_the_including_file() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"profiles/server.cnf\""))
        .file("profiles/server.cnf", ".include validity/398.cnf\n")
        .file("validity/398.cnf", "default_days = 397\n")
        // Beside the including file: OpenSSL would not read this one.
        .file("profiles/validity/398.cnf", "default_days = 825\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        [
            "p profiles/server.cnf [file] via declared `profiles/server.cnf`",
            "p validity/398.cnf [file] via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)",
        ]
    );
}

#[test]
fn include_dir_setting_changes_the_base() {
    let s = Sandbox::git_repo();
    s.config(&format!(
        "{}include-dir = \"profiles\"\n",
        openssl("\"profiles/server.cnf\"")
    ))
    .file("profiles/server.cnf", ".include validity/398.cnf\n")
    .file("profiles/validity/398.cnf", "default_days = 397\n")
    .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components()[1],
        "p profiles/validity/398.cnf [file] via declared `profiles/server.cnf` → profiles/server.cnf:1 (openssl-include)"
    );
}

#[test]
fn include_of_a_folder_loads_only_cnf_and_conf_files_not_recursively() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"server.cnf\""))
        .file("server.cnf", "# extensions\n.include = \"ext/\"\n")
        .file("ext/a.cnf", "a = 1\n")
        .file("ext/b.conf", "b = 1\n")
        .file("ext/README", "not loaded\n")
        .file("ext/c.cnf.orig", "not loaded\n")
        .file(
            "ext/deeper/d.cnf",
            "not loaded: folder includes are not recursive\n",
        )
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        [
            "p ext/a.cnf [file] via declared `server.cnf` → server.cnf:2 (openssl-include)",
            "p ext/b.conf [file] via declared `server.cnf` → server.cnf:2 (openssl-include)",
            "p server.cnf [file] via declared `server.cnf`",
        ]
    );
}

#[test]
fn a_file_loaded_from_a_folder_include_may_include_files_but_not_folders() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"server.cnf\""))
        .file("server.cnf", ".include ext\n")
        .file("ext/a.cnf", ".include more/\n.include single.cnf\n")
        .file("more/m.cnf", "m = not loaded\n")
        .file("single.cnf", "s = loaded\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        [
            "p ext/a.cnf [file] via declared `server.cnf` → server.cnf:1 (openssl-include)",
            "p server.cnf [file] via declared `server.cnf`",
            "p single.cnf [file] via declared `server.cnf` → server.cnf:1 (openssl-include) → ext/a.cnf:2 (openssl-include)",
        ]
    );
    // The same folder include from a declared file is followed.
    s.file("server.cnf", ".include ext\n.include more/\n")
        .commit_all("more");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert!(r
        .components()
        .iter()
        .any(|c| c.starts_with("p more/m.cnf ")));
}

/// `.import` is no directive in OpenSSL: `.import = policy.cnf` is a plain assignment (nothing is
/// read) and `.import policy.cnf` is a load error ("missing equal sign"), as `openssl req -config`
/// says. `.pragma includedir` applies to later includes.
#[test]
fn import_is_no_directive_and_pragma_includedir() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"server.cnf\""))
        .file(
            "server.cnf",
            ".import = policy.cnf\n.pragma includedir:validity\n.include 398.cnf\n",
        )
        .file("policy.cnf", "p = 1\n")
        .file("validity/398.cnf", "default_days = 397\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        [
            "p server.cnf [file] via declared `server.cnf`",
            "p validity/398.cnf [file] via declared `server.cnf` → server.cnf:3 (openssl-include)",
        ]
    );
    s.file(
        "server.cnf",
        ".import policy.cnf\n.pragma includedir:validity\n.include 398.cnf\n",
    )
    .commit_all("import");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings(),
        [
            "error openssl-error server.cnf via declared `server.cnf` → server.cnf:1 (openssl-include)",
            "error unapproved approved/p.toml",
        ]
    );
    assert!(r
        .message("openssl-error", "server.cnf")
        .contains("missing equal sign"));
}

#[test]
fn without_follow_nothing_is_discovered() {
    let s = Sandbox::git_repo();
    s.config("[profiles.p]\ncomponents = [\"server.cnf\"]\n")
        .file("server.cnf", ".include validity/398.cnf\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        ["p server.cnf [file] via declared `server.cnf`"]
    );
}

/// OpenSSL follows an include cycle until `fopen` fails with EMFILE (so what it loads depends on the
/// descriptor limit): vigil lists each file once and reports the cycle at the line that closes it.
#[test]
fn include_cycle_is_reported_with_each_file_once() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"a.cnf\""))
        .file("a.cnf", ".include b.cnf\n")
        .file("b.cnf", ".include a.cnf\n.include self.cnf\n")
        .file("self.cnf", ".include self.cnf\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(1);
    assert_eq!(
        r.components(),
        [
            "p a.cnf [file] via declared `a.cnf`",
            "p b.cnf [file] via declared `a.cnf` → a.cnf:1 (openssl-include)",
            "p self.cnf [file] via declared `a.cnf` → a.cnf:1 (openssl-include) → b.cnf:2 (openssl-include)",
        ]
    );
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings(),
        [
            "error unapproved approved/p.toml",
            "error unreadable a.cnf via declared `a.cnf` → a.cnf:1 (openssl-include) → b.cnf:1 (openssl-include)",
            "error unreadable self.cnf via declared `a.cnf` → a.cnf:1 (openssl-include) → b.cnf:2 (openssl-include) → self.cnf:1 (openssl-include)",
        ]
    );
    assert!(r
        .message("unreadable", "self.cnf")
        .contains("includes itself"));
}

/// conf_def.c has no depth limit, so OpenSSL includes are followed to any depth; `max-depth` bounds
/// user references only.
#[test]
fn openssl_includes_are_followed_past_max_depth() {
    let s = Sandbox::git_repo();
    s.config(&format!("{}max-depth = 2\n", openssl("\"a.cnf\"")))
        .file("a.cnf", ".include b.cnf\n")
        .file("b.cnf", ".include c.cnf\n")
        .file("c.cnf", ".include d.cnf\n")
        .file("d.cnf", "deep = 1\n")
        .commit_all("p");
    let r = s.check_json().expect(1);
    let paths: Vec<_> = r
        .components()
        .iter()
        .map(|c| c.split(' ').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(paths, ["a.cnf", "b.cnf", "c.cnf", "d.cnf"]);
    assert_eq!(r.findings(), ["error unapproved approved/p.toml"]);
}

#[test]
fn user_reference_patterns_with_files_and_relative_to() {
    let s = Sandbox::git_repo();
    s.config(
        r#"
[profiles.p]
components = ["templates/"]

[[profiles.p.references]]
pattern = '^extensions\s*=\s*(\S+)'
files = "templates/*.tmpl"

[[profiles.p.references]]
pattern = '^policy\s*=\s*(\S+)'
relative-to = "workspace"
"#,
    )
    .file(
        "templates/server.tmpl",
        "extensions = ext/server.der\npolicy = policies/cps.txt\n",
    )
    .file("templates/notes.txt", "extensions = not/scanned.der\n")
    .file("templates/ext/server.der", "DER")
    .file("policies/cps.txt", "CPS\n")
    .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    assert_eq!(
        r.components(),
        [
            "p policies/cps.txt [file] via declared `templates/` → templates/server.tmpl:2 (references[1])",
            "p templates/ext/server.der [file] via declared `templates/`",
            "p templates/notes.txt [file] via declared `templates/`",
            "p templates/server.tmpl [file] via declared `templates/`",
        ]
    );
    assert_eq!(r.json()["profiles"][0]["problems"], serde_json::json!([]));
}

#[test]
fn user_reference_to_a_missing_file_relative_to_the_file() {
    let s = Sandbox::git_repo();
    s.config(
        "[profiles.p]\ncomponents = [\"t/server.tmpl\"]\n[[profiles.p.references]]\npattern = '^extensions\\s*=\\s*(\\S+)'\n",
    )
    .file("t/server.tmpl", "extensions = ext/server.der\n")
    .commit_all("p");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("missing"),
        ["error missing t/ext/server.der via declared `t/server.tmpl` → t/server.tmpl:1 (references[0])"]
    );
}

#[test]
fn two_profiles_sharing_a_component_both_report_it() {
    let s = Sandbox::git_repo();
    s.config(
        r#"
[profiles.client]
components = ["client.cnf"]
follow = ["openssl-include"]

[profiles.server]
components = ["server.cnf"]
follow = ["openssl-include"]
"#,
    )
    .file("client.cnf", ".include validity/398.cnf\n")
    .file("server.cnf", ".include validity/398.cnf\n");
    s.git_ok(&["add", "vigil.toml", "client.cnf", "server.cnf"]);
    s.git_ok(&["commit", "-q", "-m", "p"]);
    s.file("validity/398.cnf", "default_days = 397\n");
    let r = s.check_json().expect(1);
    assert_eq!(
        r.findings_of("untracked"),
        [
            "error untracked validity/398.cnf via declared `client.cnf` → client.cnf:1 (openssl-include)",
            "error untracked validity/398.cnf via declared `server.cnf` → server.cnf:1 (openssl-include)",
        ]
    );
    let j = r.json();
    let hash = |p: usize| j["profiles"][p]["components"][1]["blake3"].clone();
    assert_eq!(hash(0), hash(1));
    assert!(hash(0).is_string());
    // Both profiles approve it; both manifests record it.
    s.commit_all("validity");
    s.vigil(&["approve", "client", "server"]).expect(0);
    assert!(s.read("approved/client.toml").contains("validity/398.cnf"));
    assert!(s.read("approved/server.toml").contains("validity/398.cnf"));
}

#[test]
fn inventory_human_output() {
    let s = Sandbox::git_repo();
    s.config(&openssl("\"server.cnf\", \"gone.cnf\""))
        .file("server.cnf", ".include validity/\n")
        .file("validity/398.cnf", "default_days = 397\n")
        .symlink("current.cnf", "validity/398.cnf")
        .commit_all("p");
    let r = s.vigil(&["inventory"]).expect(1);
    assert_eq!(
        r.stdout,
        "p (2 components)
  server.cnf  [file]
      via declared `server.cnf`
  validity/398.cnf  [file]
      via declared `server.cnf` → server.cnf:1 (openssl-include)
  error   missing gone.cnf: declared, but not found in the working tree
      via declared `gone.cnf`
"
    );
}

#[test]
fn inventory_of_named_profiles_only() {
    let s = Sandbox::git_repo();
    s.config("[profiles.a]\ncomponents = [\"a.cnf\"]\n[profiles.b]\ncomponents = [\"b.cnf\"]\n")
        .file("a.cnf", "a\n")
        .file("b.cnf", "b\n");
    let r = s.vigil(&["inventory", "b", "--format", "json"]).expect(0);
    assert_eq!(r.components(), ["b b.cnf [file] via declared `b.cnf`"]);
    assert_eq!(r.json()["schema_version"], 1);
}

/// A declared folder that holds the manifests does not make the manifests components of the profile
/// (they would be stale after every approval).
#[test]
fn folder_and_glob_expansion_skip_the_manifests() {
    let s = Sandbox::git_repo();
    s.config(
        "[profiles.all]\ncomponents = [\".\"]\n[profiles.glob]\ncomponents = [\"**/*.toml\"]\n",
    )
    .file("a.cnf", "a\n")
    .commit_all("p");
    s.vigil(&["approve", "all", "glob"]).expect(0);
    s.commit_all("approve");
    let r = s.vigil(&["check", "--format", "json"]).expect(0);
    let paths = first_profile_paths(&r.json());
    assert_eq!(paths, ["a.cnf", "vigil.toml"]);
    assert_eq!(r.finding_codes(), Vec::<String>::new());
    s.vigil(&["approve", "all"]).expect(0);
    assert!(
        s.git_ok(&["status", "--porcelain"]).stdout.is_empty(),
        "a second approval changes nothing"
    );
}

/// `.pragma includedir:` with an absolute folder inside the workspace is followed, as an absolute
/// `.include` inside it is.
#[test]
fn absolute_includedir_inside_the_workspace() {
    let s = Sandbox::git_repo();
    let abs = s.path("snippets").display().to_string();
    s.config("[profiles.p]\ncomponents = [\"p.cnf\"]\nfollow = [\"openssl-include\"]\n")
        .file(
            "p.cnf",
            &format!(".pragma includedir:{abs}\n.include v.cnf\n"),
        )
        .file("snippets/v.cnf", "default_days = 397\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    let j = r.json();
    let comps = first_profile_paths(&j);
    assert_eq!(comps, ["p.cnf", "snippets/v.cnf"]);
    assert!(j["profiles"][0]["problems"].as_array().unwrap().is_empty());
}

/// `.include $dir/file` expands the variable as OpenSSL does. `$ENV::CA_HOME` with CA_HOME unset and
/// no `default::CA_HOME` is a load error in OpenSSL ("variable has no value", `openssl req -config`
/// exits 1): vigil reports that, and that the profile does not declare the variable, never guessing
/// a path; once the profile declares it, the include is followed.
#[test]
fn include_paths_expand_openssl_variables() {
    let s = Sandbox::git_repo();
    let profile = "[profiles.p]\ncomponents = [\"p.cnf\"]\nfollow = [\"openssl-include\"]\n";
    s.config(profile)
        .file(
            "p.cnf",
            "dir = validity\n.include $dir/398.cnf\n.include $ENV::CA_HOME/x.cnf\n",
        )
        .file("validity/398.cnf", "default_days = 397\n")
        .file("home/x.cnf", "x = 1\n")
        .commit_all("p");
    let r = s.vigil(&["inventory", "--format", "json"]).expect(1);
    let j = r.json();
    let comps = first_profile_paths(&j);
    assert_eq!(comps, ["p.cnf", "validity/398.cnf"]);
    let problems: Vec<(&str, &str)> = j["profiles"][0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [("undeclared-env", "p.cnf"), ("openssl-error", "p.cnf")]
    );
    s.config(&format!("{profile}env = {{ CA_HOME = \"home\" }}\n"));
    let r = s.vigil(&["inventory", "--format", "json"]).expect(0);
    let j = r.json();
    assert_eq!(
        first_profile_paths(&j),
        ["home/x.cnf", "p.cnf", "validity/398.cnf"]
    );
    assert!(j["profiles"][0]["problems"].as_array().unwrap().is_empty());
}

/// The component paths of the first profile of a JSON report or inventory.
fn first_profile_paths(j: &serde_json::Value) -> Vec<String> {
    j["profiles"][0]["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect()
}
