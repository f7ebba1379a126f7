//! The Debian package: `scripts/deb` builds it with cargo-deb from `[package.metadata.deb]`, `dpkg-deb`
//! lists it, and `dpkg` installs it into a scratch root where the installed vigil, its manual page,
//! completions, units and hooks are used.

use crate::completions::need;
use crate::support::{run_bounded, vigil_bin, Run, Sandbox};
use std::path::Path;
use std::process::Command;

fn run(program: &str, args: &[&str], cwd: &Path) -> Run {
    let mut c = Command::new(program);
    c.args(args).current_dir(cwd);
    run_bounded(c)
}

/// Every kind of file the package must carry, by its installed path.
const PACKAGED: [&str; 14] = [
    "usr/bin/vigil",
    "usr/share/man/man1/vigil.1.gz",
    "usr/share/man/man1/vigil-check.1.gz",
    "usr/share/bash-completion/completions/vigil",
    "usr/share/zsh/vendor-completions/_vigil",
    "usr/share/fish/vendor_completions.d/vigil.fish",
    "usr/lib/systemd/system/vigil-nightly.service",
    "usr/lib/systemd/system/vigil-nightly.timer",
    "usr/lib/systemd/system/vigil-alert@.service",
    "usr/share/vigil/hooks/pre-commit",
    "usr/share/vigil/hooks/svn-pre-commit",
    "usr/share/doc/vigil/README.md",
    "usr/share/doc/vigil/copyright",
    "usr/share/doc/vigil/examples/ca/vigil.toml",
];

/// Packages the binary under test (`scripts/deb --profile dev --no-build`: the test build, not a
/// release build, which would cost CI minutes), then lists and installs the package.
#[test]
fn the_debian_package_builds_lists_and_installs() {
    need("dpkg-deb", "dpkg");
    need("dpkg", "dpkg");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = Sandbox::plain();
    let out = s.outside().join("deb");
    std::fs::create_dir_all(&out).unwrap();
    let r = run(
        "scripts/deb",
        &[
            "--profile",
            "dev",
            "--no-build",
            "-o",
            out.to_str().unwrap(),
        ],
        src,
    );
    assert_eq!(
        r.code, 0,
        "scripts/deb failed (it says what to install):\n{}{}",
        r.stdout, r.stderr
    );
    let deb = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .unwrap_or_else(|| panic!("no .deb in {}:\n{}{}", out.display(), r.stdout, r.stderr));
    let name = deb.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(name.starts_with(&format!("vigil_{version}-1_")), "{name}");

    // What dpkg-deb sees in it.
    let listing = run("dpkg-deb", &["-c", deb.to_str().unwrap()], src)
        .expect(0)
        .stdout;
    let paths: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .collect();
    for want in PACKAGED {
        assert!(
            paths.contains(&want),
            "{want} is not in the package:\n{listing}"
        );
    }
    let vigil_line = listing
        .lines()
        .find(|l| l.ends_with(" usr/bin/vigil"))
        .unwrap();
    assert!(vigil_line.starts_with("-rwxr-xr-x 0/0"), "{vigil_line}");
    let control = run("dpkg-deb", &["-f", deb.to_str().unwrap()], src)
        .expect(0)
        .stdout;
    assert!(control.contains("Package: vigil\n"), "{control}");
    assert!(
        control.contains(&format!("Version: {version}-1\n")),
        "{control}"
    );
    let depends = control
        .lines()
        .find(|l| l.starts_with("Depends: "))
        .expect("Depends");
    assert!(depends.contains("libc6"), "{depends}");
    assert!(
        control.contains("Recommends: git, subversion, openssh-client\n"),
        "{control}"
    );

    // dpkg installs it into an empty root of its own (no maintainer scripts run; the root's database
    // knows no other package, so the dependencies are waived there and checked against this host below).
    let root = s.outside().join("root");
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let root_arg = format!("--root={}", root.display());
    run(
        "dpkg",
        &[
            &root_arg,
            "--force-depends",
            "--force-not-root",
            "-i",
            deb.to_str().unwrap(),
        ],
        src,
    )
    .expect(0);
    let status = run("dpkg", &[&root_arg, "-s", "vigil"], src)
        .expect(0)
        .stdout;
    assert!(status.contains("Status: install ok installed"), "{status}");
    for dep in depends.trim_start_matches("Depends: ").split(", ") {
        let pkg = dep.split(' ').next().unwrap();
        let r = run("dpkg-query", &["-W", "-f=${Status}", pkg], src);
        assert!(
            r.stdout.contains("install ok installed"),
            "the package depends on {dep}, which this host does not have installed: {}{}",
            r.stdout,
            r.stderr
        );
    }

    // The installed binary is the one under test (cargo-deb strips its symbols, so compare what it
    // says, not its bytes), and runs on the installed example.
    let installed = root.join("usr/bin/vigil");
    let ours = run(vigil_bin().to_str().unwrap(), &["man"], src)
        .expect(0)
        .stdout;
    let theirs = run(installed.to_str().unwrap(), &["man"], src)
        .expect(0)
        .stdout;
    assert!(
        ours == theirs,
        "the packaged vigil's manual page differs from the built vigil's"
    );
    let example = root.join("usr/share/doc/vigil/examples/ca");
    let r = run(
        installed.to_str().unwrap(),
        &[
            "--config",
            example.to_str().unwrap(),
            "inventory",
            "tls-server",
        ],
        src,
    )
    .expect(0);
    assert!(r.stdout.contains("profiles/tls-server.cnf"), "{}", r.stdout);

    // The SARIF rules' helpUri leads to the README the package installed (unless the build named
    // another address), at the anchor of the rule's row.
    let r = run(
        installed.to_str().unwrap(),
        &[
            "--config",
            example.to_str().unwrap(),
            "check",
            "--format",
            "sarif",
        ],
        src,
    );
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("no SARIF ({e}):\n{}{}", r.stdout, r.stderr));
    let readme = std::fs::read_to_string(root.join("usr/share/doc/vigil/README.md")).unwrap();
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let uri = rule["helpUri"].as_str().unwrap();
        let Some(local) = uri.strip_prefix("file:///") else {
            assert!(
                option_env!("VIGIL_DOCS_URL").is_some() || !env!("CARGO_PKG_REPOSITORY").is_empty(),
                "{uri}"
            );
            continue;
        };
        let (file, anchor) = local.split_once('#').unwrap();
        assert_eq!(file, "usr/share/doc/vigil/README.md", "{uri}");
        assert!(
            readme.contains(&format!("<a id=\"{anchor}\"></a>")),
            "the installed README has no anchor for {uri}"
        );
    }

    // The units and the Subversion hook run the packaged binary, not /usr/local/bin/vigil.
    let unit =
        std::fs::read_to_string(root.join("usr/lib/systemd/system/vigil-nightly.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/vigil check"), "{unit}");
    assert!(!unit.contains("/usr/local/"), "{unit}");
    let hook = std::fs::read_to_string(root.join("usr/share/vigil/hooks/svn-pre-commit")).unwrap();
    assert!(hook.contains("\nVIGIL=/usr/bin/vigil\n"), "{hook}");

    // The manual page is the installed vigil's, and man reads it compressed.
    need("man", "man-db");
    let mut c = Command::new("man");
    c.arg("-l")
        .arg(root.join("usr/share/man/man1/vigil-check.1.gz"))
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("LANG", "C.UTF-8");
    let page = run_bounded(c).expect(0).stdout;
    assert!(page.contains("vigil-check"), "{page}");
}
