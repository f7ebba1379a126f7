//! The inventory over an in-memory tree: declared paths, globs and folders, references and their
//! chains, cycles, depth, and symlinks.

use crate::finding::chain_text;
use crate::inventory::{inventory, Inventory};
use crate::source::Kind;
use crate::testing::{config, MemSource, WS_ROOT};
use std::path::Path;

/// The inventory of profile `p`, configured by `profile` (the body of `[profiles.p]`).
fn inv(profile: &str, src: &MemSource) -> Inventory {
    let cfg = config(&format!("[profiles.p]\n{profile}"));
    inventory(src, &cfg.profiles["p"], Some(Path::new(WS_ROOT)))
}

/// Components as `path [kind] via chain`.
fn components(i: &Inventory) -> Vec<String> {
    i.components
        .iter()
        .map(|c| {
            let kind = match &c.meta.kind {
                Kind::File => "file",
                Kind::Executable => "executable",
                Kind::Symlink(_) => "symlink",
                Kind::Dir => "dir",
                Kind::Special(_) => "special",
            };
            format!("{} [{kind}] via {}", c.path, chain_text(&c.via))
        })
        .collect()
}

/// Problems as `code path: message`.
fn problems(i: &Inventory) -> Vec<String> {
    i.problems
        .iter()
        .map(|p| format!("{} {}: {}", p.code, p.path, p.message))
        .collect()
}

fn none() -> Vec<String> {
    Vec::new()
}

#[test]
fn glob_matches_files_sorted_and_skips_other_names() {
    let src = MemSource::new()
        .file("validity/825.cnf", "x\n")
        .file("validity/398.cnf", "x\n")
        .file("validity/README", "x\n");
    let i = inv("components = [\"validity/*.cnf\"]\n", &src);
    assert_eq!(
        components(&i),
        [
            "validity/398.cnf [file] via declared `validity/*.cnf`",
            "validity/825.cnf [file] via declared `validity/*.cnf`",
        ]
    );
    assert_eq!(problems(&i), none());
}

#[test]
fn glob_that_matches_nothing_is_missing() {
    let src = MemSource::new().file("validity/README", "x\n");
    let i = inv(
        "components = [\"validity/*.cnf\", \"nowhere/**/*.cnf\"]\n",
        &src,
    );
    assert_eq!(components(&i), none());
    assert_eq!(
        problems(&i),
        [
            "missing validity/*.cnf: the declared pattern matched nothing in the memory",
            "missing nowhere/**/*.cnf: the declared pattern matched nothing in the memory",
        ]
    );
}

#[test]
fn double_star_reaches_every_depth() {
    let src = MemSource::new()
        .file("ext/a.cnf", "x\n")
        .file("ext/deep/er/b.cnf", "x\n")
        .file("ext/deep/c.txt", "x\n");
    let i = inv("components = [\"ext/**/*.cnf\"]\n", &src);
    assert_eq!(
        components(&i),
        [
            "ext/a.cnf [file] via declared `ext/**/*.cnf`",
            "ext/deep/er/b.cnf [file] via declared `ext/**/*.cnf`",
        ]
    );
}

#[test]
fn folder_collects_every_file_below_it_but_not_the_manifests() {
    let src = MemSource::new()
        .file("a.cnf", "x\n")
        .executable("bin/hook", "#!/bin/sh\n")
        .file("sub/b.cnf", "x\n")
        .file("approved/p.toml", "not a component\n");
    let i = inv("components = [\".\"]\n", &src);
    assert_eq!(
        components(&i),
        [
            "a.cnf [file] via declared `.`",
            "bin/hook [executable] via declared `.`",
            "sub/b.cnf [file] via declared `.`",
        ]
    );
}

#[test]
fn empty_declared_folder_is_missing() {
    let src = MemSource::new().dir("ext");
    let i = inv("components = [\"ext/\"]\n", &src);
    assert_eq!(
        problems(&i),
        ["missing ext/: the declared folder holds no files"]
    );
    let i = inv("components = [\"ext/\"]\n", &src.file("ext/a.cnf", "x\n"));
    assert_eq!(problems(&i), none());
}

#[test]
fn includes_are_followed_breadth_first_with_the_shortest_chain() {
    let src = MemSource::new()
        .file("root.cnf", ".include a.cnf\n.include b.cnf\n")
        .file("a.cnf", ".include b.cnf\n")
        .file("b.cnf", "x = 1\n");
    let i = inv(
        "components = [\"root.cnf\"]\nfollow = [\"openssl-include\"]\n",
        &src,
    );
    assert_eq!(
        components(&i),
        [
            "a.cnf [file] via declared `root.cnf` → root.cnf:1 (openssl-include)",
            "b.cnf [file] via declared `root.cnf` → root.cnf:2 (openssl-include)",
            "root.cnf [file] via declared `root.cnf`",
        ]
    );
}

#[test]
fn a_symlink_an_include_names_is_a_component_with_its_target() {
    // Repointing `current.cnf` from one file of the folder to another changes what OpenSSL loads
    // although the set of files it reads stays the same: the link itself is under control.
    let src = MemSource::new()
        .file("root.cnf", ".include ext\n")
        .file("ext/ocsp.cnf", "a = 1\n")
        .symlink("ext/current.cnf", "ocsp.cnf");
    let i = inv(
        "components = [\"root.cnf\"]\nfollow = [\"openssl-include\"]\n",
        &src,
    );
    assert_eq!(
        components(&i),
        [
            "ext/current.cnf [symlink] via declared `root.cnf` → root.cnf:1 (openssl-include)",
            "ext/ocsp.cnf [file] via declared `root.cnf` → root.cnf:1 (openssl-include)",
            "root.cnf [file] via declared `root.cnf`",
        ]
    );
    assert_eq!(problems(&i), none());
}

#[test]
fn without_follow_includes_are_not_read() {
    let src = MemSource::new()
        .file("root.cnf", ".include a.cnf\n")
        .file("a.cnf", "x\n");
    let i = inv("components = [\"root.cnf\"]\n", &src);
    assert_eq!(components(&i), ["root.cnf [file] via declared `root.cnf`"]);
}

#[test]
fn an_include_cycle_is_reported_and_each_file_is_a_component_once() {
    // OpenSSL follows a cycle until `fopen` fails with EMFILE (strace: a.cnf and b.cnf opened
    // alternately until the descriptor limit), so which values it ends with depends on `ulimit -n`:
    // a cycle is a problem to fix, not something to pass in silence.
    let src = MemSource::new()
        .file("a.cnf", ".include b.cnf\n")
        .file("b.cnf", ".include a.cnf\n");
    let i = inv(
        "components = [\"a.cnf\"]\nfollow = [\"openssl-include\"]\n",
        &src,
    );
    assert_eq!(
        components(&i),
        [
            "a.cnf [file] via declared `a.cnf`",
            "b.cnf [file] via declared `a.cnf` → a.cnf:1 (openssl-include)",
        ]
    );
    assert_eq!(
        problems(&i),
        ["unreadable a.cnf: a.cnf includes itself through this line; OpenSSL would loop until it runs out of file descriptors"]
    );
    let src = src.file("b.cnf", "x = 1\n");
    let i = inv(
        "components = [\"a.cnf\"]\nfollow = [\"openssl-include\"]\n",
        &src,
    );
    assert_eq!(problems(&i), none());
}

#[test]
fn openssl_includes_follow_any_depth_and_max_depth_bounds_user_references() {
    // conf_def.c has no depth limit: OpenSSL reads a chain of any length, and so does vigil.
    let src = MemSource::new()
        .file("a.cnf", ".include b.cnf\n")
        .file("b.cnf", ".include c.cnf\n")
        .file("c.cnf", "x = 1\n");
    let profile = "components = [\"a.cnf\"]\nfollow = [\"openssl-include\"]\nmax-depth = 1\n";
    let i = inv(profile, &src);
    assert_eq!(i.components.len(), 3);
    assert_eq!(problems(&i), none());
    // User references stop at `max-depth`.
    let src = MemSource::new()
        .file("a.sh", "-config b.sh\n")
        .file("b.sh", "-config c.sh\n")
        .file("c.sh", "x\n");
    let profile =
        "components = [\"a.sh\"]\n[[profiles.p.references]]\npattern = '-config (\\S+)'\n";
    let i = inv(&format!("max-depth = 1\n{profile}"), &src);
    assert_eq!(i.components.len(), 2);
    assert_eq!(
        problems(&i),
        ["unreadable c.sh: not followed: more than 1 references deep (raise `max-depth`)"]
    );
    let i = inv(&format!("max-depth = 2\n{profile}"), &src);
    assert_eq!(i.components.len(), 3);
    assert_eq!(problems(&i), none());
}

#[test]
fn a_folder_include_loads_its_cnf_files_and_not_their_folder_includes() {
    let src = MemSource::new()
        .file("root.cnf", ".include conf.d\n")
        .file("conf.d/a.cnf", ".include more.d\n")
        .file("conf.d/b.conf", "x\n")
        .file("conf.d/c.txt", "x\n")
        .file("more.d/z.cnf", "x\n");
    let i = inv(
        "components = [\"root.cnf\"]\nfollow = [\"openssl-include\"]\n",
        &src,
    );
    assert_eq!(
        components(&i),
        [
            "conf.d/a.cnf [file] via declared `root.cnf` → root.cnf:1 (openssl-include)",
            "conf.d/b.conf [file] via declared `root.cnf` → root.cnf:1 (openssl-include)",
            "root.cnf [file] via declared `root.cnf`",
        ]
    );
}

#[test]
fn user_reference_pattern_is_followed() {
    let src = MemSource::new()
        .file("ca.conf", "policy_file = policies/root.txt\n")
        .file("policies/root.txt", "x\n");
    let i = inv(
        "components = [\"ca.conf\"]\n[[profiles.p.references]]\npattern = '^policy_file = (\\S+)'\nrelative-to = \"workspace\"\n",
        &src,
    );
    assert_eq!(i.components.len(), 2, "{:?}", components(&i));
    assert_eq!(i.components[1].path.to_string(), "policies/root.txt");
}

#[test]
fn symlink_inside_is_a_component_and_so_is_its_target() {
    let src = MemSource::new()
        .file("validity/398.cnf", "x\n")
        .symlink("current.cnf", "validity/398.cnf");
    let i = inv("components = [\"current.cnf\"]\n", &src);
    assert_eq!(
        components(&i),
        [
            "current.cnf [symlink] via declared `current.cnf`",
            "validity/398.cnf [file] via declared `current.cnf` → symlink current.cnf",
        ]
    );
}

#[test]
fn symlink_leaving_the_workspace_is_outside_root() {
    let src = MemSource::new()
        .symlink("v/rel.cnf", "../../validity.cnf")
        .symlink("v/abs.cnf", "/etc/validity.cnf")
        .symlink("v/in.cnf", "/ws/v/x.cnf")
        .file("v/x.cnf", "x\n");
    let i = inv("components = [\"v/\"]\n", &src);
    let outside: Vec<String> = problems(&i)
        .into_iter()
        .filter(|p| p.starts_with("outside-root"))
        .map(|p| p.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        outside,
        ["outside-root v/abs.cnf", "outside-root v/rel.cnf"]
    );
    assert!(components(&i).contains(&"v/in.cnf [symlink] via declared `v/`".to_string()));
}

#[test]
fn a_linked_folder_is_resolved_inside_and_refused_outside() {
    let src = MemSource::new()
        .file("real/ext.cnf", "x\n")
        .symlink("shared", "real");
    let i = inv("components = [\"shared/ext.cnf\"]\n", &src);
    assert_eq!(problems(&i), none());
    assert!(
        components(&i).contains(
            &"real/ext.cnf [file] via declared `shared/ext.cnf` → symlink shared".to_string()
        ),
        "{:?}",
        components(&i)
    );
    let src = MemSource::new().symlink("shared", "../shared");
    let i = inv("components = [\"shared/ext.cnf\"]\n", &src);
    assert_eq!(
        problems(&i)
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        ["outside-root shared/ext.cnf"]
    );
}

#[test]
fn a_symlink_loop_is_unreadable() {
    let src = MemSource::new()
        .symlink("a.cnf", "b.cnf")
        .symlink("b.cnf", "a.cnf");
    let i = inv("components = [\"a.cnf\"]\n", &src);
    assert!(
        problems(&i).iter().any(|p| p.starts_with("unreadable ")),
        "{:?}",
        problems(&i)
    );
}

#[test]
fn an_unlistable_folder_is_unreadable_and_its_siblings_are_kept() {
    let src = MemSource::new()
        .file("ext/a.cnf", "x\n")
        .file("ext/private/b.cnf", "x\n")
        .deny("ext/private");
    let i = inv("components = [\"ext/\"]\n", &src);
    assert_eq!(components(&i), ["ext/a.cnf [file] via declared `ext/`"]);
    assert_eq!(
        problems(&i)
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        ["unreadable ext/private"]
    );
}

#[test]
fn declared_absolute_or_escaping_patterns_are_outside_root() {
    let src = MemSource::new().file("a.cnf", "x\n");
    let i = inv(
        "components = [\"/etc/ssl/a.cnf\", \"../a.cnf\", \"a.cnf\"]\n",
        &src,
    );
    assert_eq!(
        problems(&i),
        [
            "outside-root /etc/ssl/a.cnf: the declared pattern points outside the workspace",
            "outside-root ../a.cnf: the declared pattern points outside the workspace",
        ]
    );
    assert_eq!(components(&i), ["a.cnf [file] via declared `a.cnf`"]);
}

/// The CA section's files as `key role path presence`.
fn ca_files(i: &Inventory) -> Vec<String> {
    i.ca_files
        .iter()
        .map(|f| {
            format!(
                "{} {:?} {} {:?}",
                f.key,
                f.role,
                f.path
                    .as_ref()
                    .map_or_else(|| f.value.clone(), |p| p.to_string()),
                f.presence
            )
        })
        .collect()
}

const CA: &str = "[ ca ]\ndefault_ca = ca_1\n[ ca_1 ]\ncertificate = ca/cert.pem\nprivate_key = ca/key.pem\ndatabase = ca/index.txt\nserial = /srv/ca/serial\n";

#[test]
fn ca_secrets_are_checked_for_existence_and_never_opened() {
    let src = MemSource::new()
        .file("ca.cnf", CA)
        .file("ca/cert.pem", "-----BEGIN CERTIFICATE-----\n")
        .file("ca/index.txt", "");
    let i = inv(
        "components = [\"ca.cnf\"]\nfollow = [\"openssl-include\"]\n",
        &src,
    );
    assert_eq!(components(&i), ["ca.cnf [file] via declared `ca.cnf`"]);
    assert_eq!(
        ca_files(&i),
        [
            "certificate Secret ca/cert.pem Exists",
            "private_key Secret ca/key.pem Missing",
            "database State ca/index.txt Exists",
            "serial State /srv/ca/serial Outside",
        ]
    );
    assert_eq!(
        problems(&i),
        ["missing ca/key.pem: the CA's `private_key` (section `ca_1` at ca.cnf:5) is not in the working tree; vigil checks that it exists and never reads it"]
    );
    assert_eq!(src.opened("ca/cert.pem"), 0, "a secret is never opened");
    assert_eq!(src.opened("ca/index.txt"), 0, "runtime state is never read");
}

/// A source other than the working tree (the index, a commit) cannot say whether the CA host holds a
/// key, which is rightly never committed: no finding there.
#[test]
fn ca_secrets_are_not_judged_outside_the_working_tree() {
    struct Committed(MemSource);
    impl crate::source::Source for Committed {
        fn label(&self) -> String {
            "commit".into()
        }
        fn lookup(&self, path: &crate::path::WsPath) -> crate::source::Lookup {
            self.0.lookup(path)
        }
        fn list_dir(
            &self,
            path: &crate::path::WsPath,
        ) -> std::io::Result<Vec<crate::source::DirEntry>> {
            self.0.list_dir(path)
        }
        fn open(&self, path: &crate::path::WsPath) -> std::io::Result<Box<dyn std::io::Read + '_>> {
            self.0.open(path)
        }
    }
    let src = Committed(MemSource::new().file("ca.cnf", CA));
    let cfg = config("[profiles.p]\ncomponents = [\"ca.cnf\"]\nfollow = [\"openssl-include\"]\n");
    let i = inventory(&src, &cfg.profiles["p"], Some(Path::new(WS_ROOT)));
    assert_eq!(problems(&i), none());
    assert!(
        ca_files(&i)[1].ends_with("NotChecked"),
        "{:?}",
        ca_files(&i)
    );
}
