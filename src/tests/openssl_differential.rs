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
    name: &'static str,
    files: Vec<(String, Vec<u8>)>,
    links: Vec<(String, String)>,
    dirs: Vec<String>,
    env: Vec<(String, String)>,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
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
    fn link(mut self, path: &str, target: &str) -> Self {
        self.links.push((path.to_string(), target.to_string()));
        self
    }
    fn dir(mut self, path: &str) -> Self {
        self.dirs.push(path.to_string());
        self
    }
    fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_string(), v.to_string()));
        self
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

/// Every case, in four groups so that each reads on one screen.
fn cases() -> Vec<Case> {
    [
        syntax_cases(),
        expansion_cases(),
        folder_cases(),
        link_and_error_cases(),
        limit_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn syntax_cases() -> Vec<Case> {
    vec![
        case("plain").top("a = 1\n"),
        case("simple include")
            .top(".include a.cnf\n")
            .f("ws/a.cnf", "x = 1\n"),
        case("include with equals")
            .top(".include = a.cnf\n")
            .f("ws/a.cnf", ""),
        case("include with equals no space")
            .top(".include=a.cnf\n")
            .f("ws/a.cnf", ""),
        case(".includex is an include")
            .top(".includex a.cnf\n")
            .f("ws/a.cnf", ""),
        case(".includedir = is an include")
            .top(".includedir = e\n")
            .f("ws/e", ""),
        case("section-qualified include")
            .top("[s]\ns::.include = a.cnf\n")
            .f("ws/a.cnf", ""),
        case(".import = is an assignment")
            .top(".import = a.cnf\n")
            .f("ws/a.cnf", ""),
        case(".import is a load error")
            .top("x = 1\n.import a.cnf\n")
            .f("ws/a.cnf", ""),
        case("variable from a child file in a later include")
            .top(".include set.cnf\n.include $d/x.cnf\n")
            .f("ws/set.cnf", "d = sub\n")
            .f("ws/sub/x.cnf", ""),
        case("variable from a folder file in the parent")
            .top(".include conf.d\n.include ${d}.cnf\n")
            .f("ws/conf.d/a.cnf", "d = later\n")
            .f("ws/later.cnf", ""),
        case("includedir pragma in a child holds in the parent")
            .top(".include p.cnf\n.include a.cnf\n")
            .f("ws/p.cnf", ".pragma includedir:inc\n")
            .f("ws/inc/a.cnf", "")
            .f("ws/a.cnf", ""),
        case("dollarid pragma in a child holds in the parent")
            .top(".include p.cnf\n.include a$b.cnf\n")
            .f("ws/p.cnf", ".pragma dollarid:on\n")
            .f("ws/a$b.cnf", ""),
        case("pragma with spaces around the colon")
            .top(".pragma = includedir : inc\n.include a.cnf\n")
            .f("ws/inc/a.cnf", ""),
        case(".pragmas spelling")
            .top(".pragmas includedir:inc\n.include a.cnf\n")
            .f("ws/inc/a.cnf", ""),
        case("pragma value is not expanded")
            .top("d = inc\n.pragma includedir:$d\n.include a.cnf\n")
            .f("ws/inc/a.cnf", "")
            .f("ws/$d/a.cnf", ""),
        case("quotes in a pragma are part of the value")
            .top(".pragma includedir:\"inc\"\n.include a.cnf\n")
            .f("ws/\"inc\"/a.cnf", "")
            .f("ws/inc/a.cnf", ""),
        case("includedir with trailing slash")
            .top(".pragma includedir:inc/\n.include a.cnf\n")
            .f("ws/inc/a.cnf", ""),
        case("includedir does not apply to absolute paths")
            .top(".pragma includedir:inc\n.include {B}/ws/a.cnf\n")
            .f("ws/a.cnf", "")
            .f("ws/inc/a.cnf", ""),
    ]
}

fn expansion_cases() -> Vec<Case> {
    vec![
        case("quoted include keeps spaces")
            .top(".include \"sp ace.cnf\"\n")
            .f("ws/sp ace.cnf", ""),
        case("single quotes, no expansion inside")
            .top("d = x\n.include '$d.cnf'\n")
            .f("ws/$d.cnf", "")
            .f("ws/x.cnf", ""),
        case("escaped dollar is literal")
            .top(".include a\\$b.cnf\n")
            .f("ws/a$b.cnf", ""),
        case("section variable falls back to default")
            .top("d = sub\n[s]\n.include $s::d/x.cnf\n")
            .f("ws/sub/x.cnf", ""),
        case("section variable shadows default")
            .top("d = no\n[s]\nd = sub\n.include $d/x.cnf\n")
            .f("ws/sub/x.cnf", "")
            .f("ws/no/x.cnf", ""),
        case("declared environment")
            .top(".include $ENV::CONFD/x.cnf\n")
            .env("CONFD", "sub")
            .f("ws/sub/x.cnf", ""),
        case("undeclared environment falls back to default")
            .top("CONFD = dflt\n.include $ENV::CONFD/x.cnf\n")
            .f("ws/dflt/x.cnf", ""),
        case("undeclared environment with no default is an error")
            .top("a = 1\n.include $ENV::CONFD/x.cnf\n")
            .f("ws/x.cnf", ""),
        case("continuation inside an include")
            .top(".include \\\na.cnf\n")
            .f("ws/a.cnf", ""),
        case("a comment's continuation swallows the next line")
            .top("# note \\\n.include a.cnf\n.include b.cnf\n")
            .f("ws/a.cnf", "")
            .f("ws/b.cnf", ""),
        case("double backslash is not a continuation")
            .top("x = a\\\\\n.include a.cnf\n")
            .f("ws/a.cnf", ""),
        case("BOM at the start of the top file")
            .b("ws/top.cnf", b"\xEF\xBB\xBF.include a.cnf\n".to_vec())
            .f("ws/a.cnf", ""),
        case("BOM in an included file is an error")
            .top("a = 1\n.include a.cnf\n.include b.cnf\n")
            .b("ws/a.cnf", b"\xEF\xBB\xBFx = 1\n".to_vec())
            .f("ws/b.cnf", ""),
    ]
}

fn folder_cases() -> Vec<Case> {
    vec![
        case("folder: extensions, case, names longer than the extension")
            .top(".include d\n")
            .f("ws/d/a.cnf", "")
            .f("ws/d/B.CNF", "")
            .f("ws/d/C.Conf", "")
            .f("ws/d/.cnf", "")
            .f("ws/d/.conf", "")
            .f("ws/d/x.conf", "")
            .f("ws/d/notes.txt", "")
            .f("ws/d/a.cnf.bak", ""),
        case("folder: only files directly inside")
            .top(".include d\n")
            .f("ws/d/a.cnf", "")
            .f("ws/d/sub.cnf/e.cnf", "")
            .f("ws/d/sub/f.cnf", ""),
        case("folder: an entry linking to a folder is not read into")
            .top(".include d\n")
            .f("ws/d/a.cnf", "")
            .f("ws/other/g.cnf", "")
            .link("ws/d/l.cnf", "../other"),
        case("folder: an entry linking to a file is read")
            .top(".include d\n")
            .f("ws/target.txt", "")
            .link("ws/d/l.cnf", "../target.txt"),
        case("folder: a dangling link is skipped")
            .top(".include d\n")
            .f("ws/d/a.cnf", "")
            .link("ws/d/gone.cnf", "nowhere"),
        case("include a link to a folder")
            .top(".include l\n")
            .f("ws/real/a.cnf", "")
            .f("ws/real/sub/b.cnf", "")
            .link("ws/l", "real"),
        case("empty folder").top(".include d\n").dir("ws/d"),
        case("folder file including a folder while the folder is read")
            .top(".include d\n")
            .f("ws/d/a.cnf", ".include e\n")
            .f("ws/e/x.cnf", ""),
        case("folder file's included file including a folder")
            .top(".include d\n")
            .f("ws/d/only.cnf", ".include other.cnf\n.include e\n")
            .f("ws/other.cnf", ".include e2\n")
            .f("ws/e/x.cnf", "")
            .f("ws/e2/y.cnf", ""),
        case("folder after folder")
            .top(".include d\n.include e\n")
            .f("ws/d/a.cnf", "")
            .f("ws/e/b.cnf", ""),
        case("include cycle")
            .top(".include a.cnf\n")
            .f("ws/a.cnf", ".include top.cnf\n"),
        case("folder holding a link to one of its own files")
            .top(".include ext\n")
            .f("ws/ext/ocsp.cnf", "a = 1\n")
            .link("ws/ext/current.cnf", "ocsp.cnf"),
        case("same file twice")
            .top(".include a.cnf\n.include a.cnf\n")
            .f("ws/a.cnf", "x = 1\n"),
    ]
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

fn link_and_error_cases() -> Vec<Case> {
    vec![
        case("link/.. resolves through the link, outside")
            .top(".include l/../x.cnf\n")
            .f("outside/sub/keep", "")
            .f("outside/x.cnf", "")
            .f("ws/x.cnf", "")
            .link("ws/l", "{B}/outside/sub"),
        case("link/.. resolves through the link, inside")
            .top(".include l/../x.cnf\n")
            .f("ws/deep/er/keep", "")
            .f("ws/deep/x.cnf", "")
            .f("ws/x.cnf", "")
            .link("ws/l", "deep/er"),
        case("absolute include inside")
            .top(".include {B}/ws/a.cnf\n")
            .f("ws/a.cnf", ""),
        case("missing include is skipped")
            .top(".include none.cnf\n.include a.cnf\n")
            .f("ws/a.cnf", ""),
        case("empty include path")
            .top(".include =\n.include a.cnf\n")
            .f("ws/a.cnf", ""),
        case("abspath rejects a relative include")
            .top(".pragma abspath:on\n.include a.cnf\n")
            .f("ws/a.cnf", ""),
        case("abspath accepts an absolute include")
            .top(".pragma abspath:true\n.include {B}/ws/a.cnf\n")
            .f("ws/a.cnf", ""),
        case("missing equal sign in a child, counted across files")
            .top("a = 1\n.include a.cnf\nb = 2\n")
            .f("ws/a.cnf", "x = 1\n\nbroken\n"),
        case("missing close square bracket")
            .top("[s\n.include a.cnf\n")
            .f("ws/a.cnf", ""),
        case("invalid pragma")
            .top(".pragma dollarid:maybe\n.include a.cnf\n")
            .f("ws/a.cnf", ""),
        case("no close brace in an include")
            .top("d = x\n.include ${d.cnf\n")
            .f("ws/x.cnf", ""),
        case("dollarid and braces")
            .top(".pragma dollarid:on\nd$ = x\n.include ${d$}.cnf\n")
            .f("ws/x.cnf", ""),
        case("OPENSSL_CONF_INCLUDE wins over the pragma")
            .top(".pragma includedir:inc\n.include a.cnf\n")
            .env("OPENSSL_CONF_INCLUDE", "envinc")
            .f("ws/inc/a.cnf", "")
            .f("ws/envinc/a.cnf", ""),
        case("section header with spaces")
            .top("[ s t ]\nd = x\n.include ${s t::d}.cnf\n")
            .f("ws/x.cnf", ""),
        case("variable defined after the include is not seen")
            .top(".include $d.cnf\nd = x\n")
            .f("ws/x.cnf", ""),
        case("escape in a key name")
            .top("a\\=b = x\n.include a.cnf\n")
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
        let dir = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(dir.path()).unwrap();
        build(c, &base);
        let root = base.join("ws");
        let top = root.join("top.cnf");
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
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Configurations whose `[dn] CN` value `openssl req` prints as the subject, so the loaded value
/// (quotes, escapes, expansion, overrides across files, the environment) is compared with OpenSSL's.
fn value_cases() -> Vec<Case> {
    vec![
        case("quotes keep inner spaces").top("[dn]\nCN = \"a  b\" c\n"),
        case("escaped dollar").top("x = no\n[dn]\nCN = cost \\$x\n"),
        case("tab escape").top("[dn]\nCN = a\\tb\n"),
        case("doubled single quotes").top("[dn]\nCN = 'it''s'\n"),
        case("hash inside quotes").top("[dn]\nCN = 'a # b' # c\n"),
        case("variable from an included file")
            .top(".include v.cnf\n[dn]\nCN = $x\n")
            .f("ws/v.cnf", "x = from v\n"),
        case("braces and parentheses").top("x = X\n[dn]\nCN = ${x}-$(x)\n"),
        case("section variable falls back to default").top("x = dflt\n[dn]\nCN = $dn::x\n"),
        case("section variable shadows default")
            .top("x = dflt\n[s]\nx = own\ny = $x\n[dn]\nCN = $s::y\n"),
        case("other section").top("[s]\nx = from s\n[dn]\nCN = $s::x\n"),
        case("declared environment")
            .top("[dn]\nCN = $ENV::WHO\n")
            .env("WHO", "ca team"),
        case("undeclared environment falls back to default")
            .top("WHO = fallback\n[dn]\nCN = $ENV::WHO\n"),
        case("ENV section wins over the environment")
            .top("[ENV]\nWHO = section\n[dn]\nCN = $ENV::WHO\n")
            .env("WHO", "env"),
        case("dollarid from an included file")
            .top(".include p.cnf\n[dn]\nCN = a$b\n")
            .f("ws/p.cnf", ".pragma dollarid:on\n"),
        case("child overrides parent")
            .top("[dn]\nCN = parent\n.include o.cnf\n")
            .f("ws/o.cnf", "[dn]\nCN = child\n"),
        case("parent overrides child afterwards")
            .top(".include o.cnf\n[dn]\nCN = parent\n")
            .f("ws/o.cnf", "[dn]\nCN = child\n"),
        case("section-qualified assignment").top("[dn]\nCN = first\n[other]\ndn::CN = qualified\n"),
        case("section stays switched after an include")
            .top("[other]\n.include o.cnf\nCN = switched by the child\n")
            .f("ws/o.cnf", "[dn]\n"),
        case("continuation").top("[dn]\nCN = one \\\n two\n"),
        case("folder value")
            .top(".include d\n[dn]\nCN = $x\n")
            .f("ws/d/a.cnf", "x = from folder\n"),
        case("BOM stripped from the top file")
            .b("ws/top.cnf", b"\xEF\xBB\xBF[dn]\nCN = bom\n".to_vec()),
    ]
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
        let dir = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(dir.path()).unwrap();
        build(c, &base);
        let root = base.join("ws");
        let top = root.join("top.cnf");
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
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
