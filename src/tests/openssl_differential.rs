//! vigil's OpenSSL loading against the real `openssl`: for each configuration, the set of files
//! `strace` shows OpenSSL opening (`OPENSSL_CONF=TOP openssl version -a`) must equal the components
//! vigil's inventory lists for a profile declaring TOP (plus the files it refuses as `outside-root`),
//! and the load error `openssl req -config TOP` reports (reason and line) must equal the loader's; for a
//! second set, the `[dn] CN` value `openssl req` prints must equal the value the loader loaded.

use crate::finding::Code;
use crate::inventory::{inventory, Inventory};
use crate::openssl::{load, Options, RealFs};
use crate::source::WorkTree;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One configuration. Paths are relative to a temporary base folder whose `ws/` is the root and the
/// working directory; `outside/` is beyond the root. `{B}` in a link target is the base folder.
#[derive(Default)]
struct Case {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    links: Vec<(String, String)>,
    dirs: Vec<String>,
    env: Vec<(String, String)>,
}

fn case(name: &str) -> Case {
    Case {
        name: name.to_string(),
        ..Case::default()
    }
}

impl Case {
    fn f(mut self, path: &str, body: &str) -> Self {
        self.files
            .push((path.to_string(), body.as_bytes().to_vec()));
        self
    }
    fn b(mut self, path: &str, body: Vec<u8>) -> Self {
        self.files.push((path.to_string(), body));
        self
    }
    fn top(self, body: &str) -> Self {
        self.f("ws/top.cnf", body)
    }
}

/// A chain of 21 included files, deeper than OpenSSL's limit of 16.
fn deep_chain() -> Case {
    let mut deep = case("chain of 21 files, deeper than 16")
        .top(".include c0.cnf\n")
        .f("ws/c20.cnf", "");
    for i in 0..20 {
        let body = format!("v{i} = {i}\n.include c{}.cnf\n", i + 1);
        deep = deep.f(&format!("ws/c{i}.cnf"), &body);
    }
    deep
}

/// A top file over 16 MiB whose include comes after the limit.
fn big_top() -> Vec<u8> {
    let mut big = b"# padding line\n".repeat(1_200_000);
    big.extend_from_slice(b".include tail.cnf\n");
    big
}

/// The case table, `tests/data/openssl-differential.toml` (its header says what a case is).
#[derive(serde::Deserialize)]
struct Table {
    inventory: Vec<Row>,
    values: Vec<Row>,
}

#[derive(serde::Deserialize)]
struct Row {
    name: String,
    top: String,
    #[serde(default)]
    files: Vec<(String, String)>,
    #[serde(default)]
    links: Vec<(String, String)>,
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    env: Vec<(String, String)>,
}

impl From<Row> for Case {
    fn from(r: Row) -> Case {
        let mut c = case(&r.name).top(&r.top);
        for (path, body) in &r.files {
            c = c.f(path, body);
        }
        Case {
            links: r.links,
            dirs: r.dirs,
            env: r.env,
            ..c
        }
    }
}

fn table() -> Table {
    let t: Table = toml::from_str(include_str!("../../tests/data/openssl-differential.toml"))
        .expect("tests/data/openssl-differential.toml parses");
    assert!(
        t.inventory.len() >= 60 && t.values.len() >= 20,
        "the case table lost cases"
    );
    t
}

/// Every case of the inventory comparison: the table's, then the limits, which are made by code.
fn cases() -> Vec<Case> {
    let table = table().inventory.into_iter().map(Case::from);
    table.chain(limit_cases()).collect()
}

/// Configurations whose `[dn] CN` value `openssl req` prints as the subject, so the loaded value
/// (quotes, escapes, expansion, overrides across files, the environment) is compared with OpenSSL's.
fn value_cases() -> Vec<Case> {
    table().values.into_iter().map(Case::from).collect()
}

fn limit_cases() -> Vec<Case> {
    vec![
        deep_chain(),
        case("NUL in a comment joins the next line")
            .b(
                "ws/top.cnf",
                b"# note \0 tail\n.include a.cnf\n.include b.cnf\n".to_vec(),
            )
            .f("ws/a.cnf", "")
            .f("ws/b.cnf", ""),
        case("NUL at a line start ends the file")
            .b(
                "ws/top.cnf",
                b".include a.cnf\n\0\n.include b.cnf\n".to_vec(),
            )
            .f("ws/a.cnf", "")
            .f("ws/b.cnf", ""),
        case("file over 16 MiB")
            .b("ws/top.cnf", big_top())
            .f("ws/tail.cnf", ""),
        case("long line before an include")
            .top(&format!("x = {}\n.include a.cnf\n", "y".repeat(2000)))
            .f("ws/a.cnf", ""),
        case("CRLF line endings")
            .top("a = 1\r\n.include a.cnf\r\n")
            .f("ws/a.cnf", ""),
        case("no newline at the end")
            .top(".include a.cnf")
            .f("ws/a.cnf", ""),
        case("trailing comment on an include")
            .top(".include a.cnf # why\n")
            .f("ws/a.cnf", ""),
    ]
}

fn tool(name: &str) {
    let ok = Command::new(name)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        || Command::new(name)
            .arg("version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    assert!(ok, "`{name}` is needed by the OpenSSL differential test: install it (Debian: apt-get install {name}; scripts/test does)");
}

fn build(c: &Case, base: &Path) {
    let b = base.display().to_string();
    fs::create_dir_all(base.join("ws")).unwrap();
    fs::create_dir_all(base.join("outside")).unwrap();
    for d in &c.dirs {
        fs::create_dir_all(base.join(d)).unwrap();
    }
    for (p, body) in &c.files {
        let path = base.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = String::from_utf8(body.clone())
            .map(|s| s.replace("{B}", &b).into_bytes())
            .unwrap_or_else(|e| e.into_bytes());
        fs::write(path, body).unwrap();
    }
    for (p, target) in &c.links {
        let path = base.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target.replace("{B}", &b), path).unwrap();
    }
}

/// Unescapes a string as strace prints it (`\"`, `\\`, `\xNN`, `\n`, octal).
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            i += 1;
            match b[i] {
                b'x' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 3;
                    continue;
                }
                b'0'..=b'7' => {
                    let mut n = 0u32;
                    let mut k = 0;
                    while k < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                        n = n * 8 + u32::from(b[i] - b'0');
                        i += 1;
                        k += 1;
                    }
                    out.push(n as u8);
                    continue;
                }
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                c => out.push(c),
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    out
}

/// The regular files under `base` that OpenSSL opened.
fn openssl_reads(c: &Case, base: &Path, top: &Path) -> BTreeSet<PathBuf> {
    let log = base.join("strace.log");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-s", "4096", "-e", "trace=openat,open", "-o"])
        .arg(&log)
        .args(["env", "-i", "PATH=/usr/bin:/bin"])
        .arg(format!("OPENSSL_CONF={}", top.display()));
    for (k, v) in &c.env {
        cmd.arg(format!("{k}={v}"));
    }
    cmd.args(["openssl", "version", "-a"])
        .current_dir(base.join("ws"));
    let out = cmd.output().expect("run strace");
    assert!(
        out.status.success(),
        "strace failed in case `{}` (is ptrace permitted here? run the tests as root or allow ptrace):\n{}",
        c.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let re = regex::Regex::new(
        r#"open(?:at)?\((?:AT_FDCWD, )?"((?:[^"\\]|\\.)*)", ([^)]*)\)\s+=\s+(\d+)"#,
    )
    .unwrap();
    let text = fs::read_to_string(&log).unwrap();
    let mut set = BTreeSet::new();
    for cap in re.captures_iter(&text) {
        if cap[2].contains("O_DIRECTORY") {
            continue;
        }
        use std::os::unix::ffi::OsStrExt;
        let p = PathBuf::from(std::ffi::OsStr::from_bytes(&unescape(&cap[1])));
        let p = base.join("ws").join(p);
        if let Ok(real) = fs::canonicalize(&p) {
            if real.starts_with(base) && real.is_file() {
                set.insert(real);
            }
        }
    }
    set
}

/// OpenSSL's load error for the configuration: (reason, line), from `openssl req -config`.
fn openssl_error(c: &Case, base: &Path, top: &Path) -> Option<(String, u64)> {
    let mut cmd = Command::new("openssl");
    cmd.env_clear().env("PATH", "/usr/bin:/bin");
    for (k, v) in &c.env {
        cmd.env(k, v);
    }
    cmd.args(["req", "-new", "-key", "/nonexistent", "-config"])
        .arg(top)
        .current_dir(base.join("ws"));
    let out = cmd.output().expect("run openssl req");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = regex::Regex::new(r"Error on line (\d+) of config file").unwrap();
    let reason = regex::Regex::new(r"configuration file routines:[^:]*:([^:\n]+)").unwrap();
    let n = line.captures(&err)?[1].parse().unwrap();
    let r = reason
        .captures(&err)
        .map(|c| c[1].to_string())
        .unwrap_or_default();
    Some((r, n))
}

/// The inventory of a profile `components = ["top.cnf"]`, `follow = ["openssl-include"]`, with the
/// case's environment declared in `env`, over the working tree.
/// A case's files built in a fresh folder: `base` holds `ws/` (the workspace `root`, with the top
/// file `top`) and anything the case places outside it.
struct Scratch {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    top: PathBuf,
}

fn scratch(c: &Case) -> Scratch {
    let _dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(_dir.path()).unwrap();
    build(c, &base);
    let root = base.join("ws");
    let top = root.join("top.cnf");
    Scratch {
        _dir,
        base,
        root,
        top,
    }
}

/// Fails with every disagreement listed, so one run shows them all.
fn assert_all_agree(failures: &[String], cases: usize) {
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn inventory_of(c: &Case, root: &Path) -> Inventory {
    let mut toml = String::from(
        "[profiles.p]\ncomponents = [\"top.cnf\"]\nfollow = [\"openssl-include\"]\n[profiles.p.env]\n",
    );
    for (k, v) in &c.env {
        // A JSON string is a valid TOML basic string.
        toml.push_str(&format!("{k} = {}\n", serde_json::to_string(v).unwrap()));
    }
    let cfg = crate::config::parse(Path::new("vigil.toml"), &toml).expect("profile");
    let inv = inventory(&WorkTree::new(root), &cfg.profiles["p"], Some(root));
    assert_eq!(
        inv.loads.len(),
        1,
        "{}: the top file starts one load",
        c.name
    );
    inv
}

#[test]
fn inventory_holds_exactly_the_files_openssl_reads() {
    tool("openssl");
    tool("strace");
    let cases = cases();
    assert!(cases.len() >= 40);
    let mut failures = Vec::new();
    for c in &cases {
        let Scratch {
            _dir,
            base,
            root,
            top,
        } = scratch(c);
        // vigil's inventory of a profile that declares the top file, in process: its components (plus
        // the files it refuses as outside the workspace) must be exactly what OpenSSL opens.
        let inv = inventory_of(c, &root);
        // A symlink is a component of its own (where it points is part of the profile); OpenSSL
        // opens the file it leads to, which is a component too.
        let mut ours: BTreeSet<PathBuf> = inv
            .components
            .iter()
            .filter(|comp| !matches!(comp.meta.kind, crate::source::Kind::Symlink(_)))
            .map(|comp| root.join(comp.path.as_path()))
            .collect();
        for p in &inv.problems {
            if p.code == Code::OutsideRoot {
                // A relative include that leads out is shown relative to the workspace.
                if let Ok(real) = fs::canonicalize(root.join(p.path.to_string())) {
                    if real.is_file() {
                        ours.insert(real);
                    }
                }
            }
        }
        let loaded = &inv.loads[0].loaded;
        let theirs = openssl_reads(c, &base, &top);
        // Guards the strace parsing itself: OpenSSL always opens the top file.
        assert!(
            theirs.contains(&top),
            "{}: strace shows no open of the top file; parsing is broken",
            c.name
        );
        if ours != theirs {
            failures.push(format!(
                "{}: files differ\n  vigil:   {ours:?}\n  openssl: {theirs:?}",
                c.name
            ));
        }
        let their_err = openssl_error(c, &base, &top);
        let our_err = loaded
            .error
            .as_ref()
            .map(|e| (e.reason.to_string(), e.openssl_line));
        if our_err != their_err {
            failures.push(format!(
                "{}: load error differs\n  vigil:   {our_err:?}\n  openssl: {their_err:?}",
                c.name
            ));
        }
    }
    assert_all_agree(&failures, cases.len());
}

#[test]
fn loader_values_match_openssl() {
    tool("openssl");
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("k.pem");
    let gen = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(gen.status.success(), "openssl genpkey failed");
    let cases = value_cases();
    let mut failures = Vec::new();
    for c in &cases {
        let Scratch {
            _dir, root, top, ..
        } = scratch(c);
        let mut body = fs::read(&top).unwrap();
        body.extend_from_slice(b"\n[req]\nprompt = no\ndistinguished_name = dn\n");
        fs::write(&top, body).unwrap();
        let mut opts = Options::new(&root, &root);
        opts.env = c.env.iter().cloned().collect();
        let loaded = load(&RealFs, &top, &opts);
        let ours = loaded.db.get("dn", "CN").map(|s| s.text().into_owned());
        let mut cmd = Command::new("openssl");
        cmd.env_clear().env("PATH", "/usr/bin:/bin");
        for (k, v) in &c.env {
            cmd.env(k, v);
        }
        cmd.args([
            "req",
            "-new",
            "-noout",
            "-subject",
            "-nameopt",
            "RFC2253,-esc_ctrl,-esc_2253",
            "-key",
        ])
        .arg(&key)
        .arg("-config")
        .arg(&top)
        .current_dir(&root);
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let theirs = stdout
            .trim_end_matches('\n')
            .strip_prefix("subject=CN=")
            .map(str::to_string);
        if ours != theirs || theirs.is_none() {
            failures.push(format!(
                "{}: vigil {ours:?}, openssl {theirs:?} ({})",
                c.name,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            ));
        }
    }
    assert_all_agree(&failures, cases.len());
}
