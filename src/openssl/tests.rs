//! The loader against conf_def.c's rules, over real temporary folders.

use super::*;
use std::fs;
use std::path::Path;

struct Ws {
    dir: tempfile::TempDir,
    root: PathBuf,
}

fn ws(files: &[(&str, &[u8])]) -> Ws {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    for (name, body) in files {
        let p = root.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, body).unwrap();
    }
    Ws { dir, root }
}

/// Builds `files` and loads `top.cnf` from them.
fn load_top(files: &[(&str, &[u8])]) -> (Ws, Loaded) {
    let w = ws(files);
    let l = w.load("top.cnf");
    (w, l)
}

impl Ws {
    fn load_env(&self, top: &str, env: &[(&str, &str)]) -> Loaded {
        let mut o = Options::new(&self.root, &self.root);
        o.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let _ = self.dir.path();
        load(&RealFs, Path::new(top), &o)
    }
    fn load(&self, top: &str) -> Loaded {
        self.load_env(top, &[])
    }
    fn names(&self, l: &Loaded) -> Vec<String> {
        l.reads
            .iter()
            .map(|r| {
                r.path
                    .strip_prefix(&self.root)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect()
    }
}

fn val(l: &Loaded, sec: &str, key: &str) -> Option<String> {
    l.db.get(sec, key).map(|s| s.text().into_owned())
}

fn err(l: &Loaded) -> Option<(&'static str, u32)> {
    l.error.as_ref().map(|e| (e.reason, e.at.line))
}

#[test]
fn variables_and_pragmas_hold_across_files() {
    let (w, l) = load_top(&[
        (
            "top.cnf",
            b"d = sub\n.include inc.cnf\nafter = ${x}\n.include ${d}/b.cnf\n",
        ),
        ("inc.cnf", b"x = from-inc\n.pragma dollarid:on\n"),
        ("sub/b.cnf", b"y = a$b\nz = ${x}\n"),
    ]);
    assert_eq!(w.names(&l), ["top.cnf", "inc.cnf", "sub/b.cnf"]);
    assert_eq!(val(&l, "default", "after").as_deref(), Some("from-inc"));
    assert_eq!(
        val(&l, "default", "y").as_deref(),
        Some("a$b"),
        "dollarid from inc.cnf holds in b.cnf"
    );
    assert_eq!(val(&l, "default", "z").as_deref(), Some("from-inc"));
    assert_eq!(
        l.reads[2].chain,
        vec![Step {
            path: w.root.join("top.cnf"),
            line: 4
        }]
    );
    assert!(l.error.is_none());
}

#[test]
fn section_lookup_falls_back_to_default_and_env_to_default() {
    let w = ws(&[(
        "top.cnf",
        b"HOME = /fallback\nv = dv\n[s]\na = $s::v\nb = $v\nc = $ENV::HOME\nd = $ENV::USERX\n",
    )]);
    let l = w.load_env("top.cnf", &[("USERX", "ca")]);
    assert_eq!(val(&l, "s", "a").as_deref(), Some("dv"));
    assert_eq!(val(&l, "s", "b").as_deref(), Some("dv"));
    assert_eq!(val(&l, "s", "c").as_deref(), Some("/fallback"));
    assert_eq!(val(&l, "s", "d").as_deref(), Some("ca"));
    let p: Vec<_> = l.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        p,
        [ProblemKind::UndeclaredEnv],
        "HOME is not declared: say so"
    );
    assert_eq!(l.db.get("s", "c").unwrap().undeclared_env[..], ["HOME"]);
}

#[test]
fn undeclared_env_without_default_is_a_load_error() {
    let (_w, l) = load_top(&[("top.cnf", b"a = 1\n.include $ENV::CONFDIR/x.cnf\n")]);
    assert_eq!(err(&l), Some(("variable has no value", 2)));
    assert!(l
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::UndeclaredEnv && p.message.contains("CONFDIR")));
}

#[test]
fn include_directive_spellings() {
    let (w, l) = load_top(&[
        (
            "top.cnf",
            b".includex a.cnf\n.includedir = b.cnf\n[s]\ns::.include = c.cnf\n.include=d.cnf\n.import = e.cnf\n",
        ),
        ("a.cnf", b""),
        ("b.cnf", b""),
        ("c.cnf", b""),
        ("d.cnf", b""),
        ("e.cnf", b""),
    ]);
    assert_eq!(w.names(&l), ["top.cnf", "a.cnf", "b.cnf", "c.cnf", "d.cnf"]);
    assert_eq!(
        val(&l, "s", ".import").as_deref(),
        Some("e.cnf"),
        ".import is an assignment"
    );
    let w = ws(&[("top.cnf", b".import e.cnf\n"), ("e.cnf", b"")]);
    assert_eq!(err(&w.load("top.cnf")), Some(("missing equal sign", 1)));
}

#[test]
fn pragma_spellings_and_errors() {
    for (text, dollarid) in [
        (".pragma dollarid:on", true),
        (".pragma dollarid : true", true),
        (".pragma = dollarid:ON", true),
        (".pragmas dollarid:on", true),
        (".pragma=dollarid:on", true),
        (".pragma frobnicate:on", false),
    ] {
        let body = format!("{text}\na = x$y\n");
        let w = ws(&[("top.cnf", body.as_bytes())]);
        let l = w.load("top.cnf");
        if dollarid {
            assert_eq!(val(&l, "default", "a").as_deref(), Some("x$y"), "{text}");
        } else {
            assert_eq!(err(&l), Some(("variable has no value", 2)), "{text}");
        }
    }
    for text in [
        ".pragma dollarid:maybe",
        ".pragma :on",
        ".pragma dollarid:",
        ".pragma nocolon",
    ] {
        let w = ws(&[("top.cnf", format!("{text}\n").as_bytes())]);
        assert_eq!(
            err(&w.load("top.cnf")),
            Some(("invalid pragma", 1)),
            "{text}"
        );
    }
    let w = ws(&[("top.cnf", b".pragma\n")]);
    assert_eq!(err(&w.load("top.cnf")), Some(("missing equal sign", 1)));
}

#[test]
fn includedir_and_abspath() {
    let (w, l) = load_top(&[
        ("top.cnf", b".pragma includedir:inc\n.include a.cnf\n.include inc/b.cnf\n.pragma abspath:on\n.include c.cnf\n"),
        ("inc/a.cnf", b""),
        ("inc/b.cnf", b""),
    ]);
    assert_eq!(w.names(&l), ["top.cnf", "inc/a.cnf"]);
    assert_eq!(
        l.problems[0].kind,
        ProblemKind::MissingInclude,
        "inc/inc/b.cnf"
    );
    assert_eq!(err(&l), Some(("relative path", 5)));
    // A pragma value is never expanded, and quotes stay in it.
    let (w, l) = load_top(&[
        (
            "top.cnf",
            b"d = inc\n.pragma includedir:$d\n.include a.cnf\n",
        ),
        ("inc/a.cnf", b""),
    ]);
    assert_eq!(w.names(&l), ["top.cnf"]);
    assert!(l.problems[0].path.as_ref().unwrap().ends_with("$d/a.cnf"));
    // The declared OPENSSL_CONF_INCLUDE wins over the pragma.
    let w = ws(&[
        ("top.cnf", b".pragma includedir:nowhere\n.include a.cnf\n"),
        ("e/a.cnf", b""),
    ]);
    let l = w.load_env("top.cnf", &[("OPENSSL_CONF_INCLUDE", "e")]);
    assert_eq!(w.names(&l), ["top.cnf", "e/a.cnf"]);
}

#[test]
fn quoting_and_escapes() {
    let (_w, l) = load_top(&[(
        "top.cnf",
        b"x = X\na = ' q  '\nb = \"$x\"\nc = \\$x\nd = a\\nb\ne = $x$(x)${x} # c\nf = 'it''s'\ng = a\\#b\n",
    )]);
    assert_eq!(val(&l, "default", "a").as_deref(), Some(" q  "));
    assert_eq!(val(&l, "default", "b").as_deref(), Some("$x"));
    assert_eq!(val(&l, "default", "c").as_deref(), Some("$x"));
    assert_eq!(val(&l, "default", "d").as_deref(), Some("a\nb"));
    assert_eq!(val(&l, "default", "e").as_deref(), Some("XXX"));
    assert_eq!(val(&l, "default", "f").as_deref(), Some("its"));
    assert_eq!(val(&l, "default", "g").as_deref(), Some("a#b"));
    let w = ws(&[("top.cnf", b"a = ${x\n")]);
    assert_eq!(err(&w.load("top.cnf")), Some(("no close brace", 1)));
    let w = ws(&[("top.cnf", b"a = cost $ 5\n")]);
    assert_eq!(err(&w.load("top.cnf")), Some(("variable has no value", 1)));
    let (_w, l) = load_top(&[("top.cnf", b"[ a b ]\nk=1\n[x\n")]);
    assert_eq!(val(&l, "a b", "k").as_deref(), Some("1"));
    assert_eq!(err(&l), Some(("missing close square bracket", 3)));
}

#[test]
fn continuations_and_comments() {
    let (w, l) = load_top(&[
        (
            "top.cnf",
            b"a = one \\\n  two\n# comment \\\n.include hidden.cnf\n.include \\\nshown.cnf\nb = c\\\\\nd = e\n",
        ),
        ("hidden.cnf", b""),
        ("shown.cnf", b""),
    ]);
    assert_eq!(w.names(&l), ["top.cnf", "shown.cnf"]);
    assert_eq!(val(&l, "default", "a").as_deref(), Some("one   two"));
    assert_eq!(val(&l, "default", "b").as_deref(), Some("c\\"));
    assert_eq!(val(&l, "default", "d").as_deref(), Some("e"));
    assert_eq!(l.db.get("default", "d").unwrap().at.line, 8);
}

#[test]
fn bom_only_at_the_start_of_the_load() {
    let (w, l) = load_top(&[
        ("top.cnf", b"\xEF\xBB\xBFa = 1\n.include inc.cnf\n"),
        ("inc.cnf", b"\xEF\xBB\xBFb = 2\n"),
    ]);
    assert_eq!(val(&l, "default", "a").as_deref(), Some("1"));
    assert_eq!(w.names(&l), ["top.cnf", "inc.cnf"]);
    assert_eq!(err(&l), Some(("missing equal sign", 1)));
    assert_eq!(*l.error.as_ref().unwrap().at.path, *w.root.join("inc.cnf"));
    assert_eq!(l.error.as_ref().unwrap().openssl_line, 3);
    assert!(l.error.as_ref().unwrap().detail.contains("BOM"));
}

#[test]
fn nul_bytes_and_long_lines() {
    // A NUL ends what OpenSSL sees of a line, and the next line joins the cut one: here the comment
    // swallows the include below it.
    let (w, l) = load_top(&[
        (
            "top.cnf",
            b"# note \0 tail\n.include a.cnf\n.include b.cnf\n\0.include c.cnf\n.include d.cnf\n",
        ),
        ("a.cnf", b""),
        ("b.cnf", b""),
        ("c.cnf", b""),
        ("d.cnf", b""),
    ]);
    // A line that starts with NUL reads as the end of the file.
    assert_eq!(w.names(&l), ["top.cnf", "b.cnf"]);
    let long = format!("a = {}\n.include a.cnf\n", "x".repeat(3000));
    let (w, l) = load_top(&[("top.cnf", long.as_bytes()), ("a.cnf", b"")]);
    assert_eq!(val(&l, "default", "a").unwrap().len(), 3000);
    assert_eq!(w.names(&l), ["top.cnf", "a.cnf"]);
}

#[test]
fn large_files_are_read() {
    let mut big = b"# padding\n".repeat(1_800_000);
    big.extend_from_slice(b".include tail.cnf\n");
    let (w, l) = load_top(&[("top.cnf", &big), ("tail.cnf", b"t = 1\n")]);
    assert!(big.len() > 16 << 20);
    assert_eq!(w.names(&l), ["top.cnf", "tail.cnf"]);
    let mut o = Options::new(&w.root, &w.root);
    o.max_file_size = 1 << 20;
    let l = load(&RealFs, Path::new("top.cnf"), &o);
    assert_eq!(l.problems[0].kind, ProblemKind::TooLarge);
}

#[test]
fn folders() {
    let (w, l) = load_top(&[
        ("top.cnf", b".include d\n"),
        ("d/a.cnf", b""),
        ("d/B.CNF", b""),
        ("d/C.Conf", b""),
        ("d/.cnf", b""),
        ("d/x.conf", b""),
        ("d/.conf", b""),
        ("d/notes.txt", b""),
        ("d/sub/e.cnf", b""),
    ]);
    let mut n = w.names(&l);
    n.sort();
    assert_eq!(n, ["d/B.CNF", "d/C.Conf", "d/a.cnf", "d/x.conf", "top.cnf"]);
    assert!(l.reads[1].folder.is_some());
}

#[test]
fn folder_file_cannot_include_a_folder_until_done() {
    let (w, l) = load_top(&[
        ("top.cnf", b".include d\n"),
        ("d/only.cnf", b"k = 1\n.include other.cnf\n.include e\n"),
        ("other.cnf", b".include e\n"),
        ("e/x.cnf", b""),
    ]);
    // other.cnf is read while d is open: its folder include is skipped. The rest of only.cnf is read
    // after d is done, so its folder include works.
    assert_eq!(
        w.names(&l),
        ["top.cnf", "d/only.cnf", "other.cnf", "e/x.cnf"]
    );
    assert_eq!(l.problems[0].kind, ProblemKind::NestedFolderInclude);
    assert_eq!(
        l.reads[3].chain.last().unwrap().path,
        w.root.join("d/only.cnf")
    );
}

#[test]
fn cycles_and_depth() {
    let mut files: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            (
                format!("f{i}.cnf"),
                format!("v{i} = {i}\n.include f{}.cnf\n", i + 1).into_bytes(),
            )
        })
        .collect();
    files.push(("f40.cnf".into(), b".include f0.cnf\n".to_vec()));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_slice()))
        .collect();
    let w = ws(&refs);
    let l = w.load("f0.cnf");
    assert_eq!(l.reads.len(), 41, "deeper than 16");
    assert_eq!(l.reads[40].chain.len(), 40);
    assert_eq!(l.problems.len(), 1);
    assert_eq!(l.problems[0].kind, ProblemKind::IncludeCycle);
}

#[test]
fn symlinks_and_dotdot_resolve_like_the_kernel() {
    let outer = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(outer.path()).unwrap();
    let root = base.join("ws");
    fs::create_dir_all(root.join("deep/er")).unwrap();
    fs::write(root.join("x.cnf"), "").unwrap();
    fs::write(root.join("deep/x.cnf"), "").unwrap();
    fs::write(base.join("x.cnf"), "").unwrap();
    std::os::unix::fs::symlink(root.join("deep/er"), root.join("in")).unwrap();
    std::os::unix::fs::symlink(&base, root.join("out")).unwrap();
    fs::write(
        root.join("top.cnf"),
        ".include in/../x.cnf\n.include out/../ws/x.cnf\n.include /etc/hostname\n",
    )
    .unwrap();
    let l = load(&RealFs, Path::new("top.cnf"), &Options::new(&root, &root));
    let names: Vec<_> = l
        .reads
        .iter()
        .map(|r| r.path.strip_prefix(&root).unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [PathBuf::from("top.cnf"), PathBuf::from("deep/x.cnf")]
    );
    let kinds: Vec<_> = l.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProblemKind::OutsideRoot, ProblemKind::OutsideRoot]);
}

#[test]
fn special_files_are_never_opened() {
    let w = ws(&[("top.cnf", b".include fifo.cnf\n.include d\n")]);
    fs::create_dir(w.root.join("d")).unwrap();
    for p in ["fifo.cnf", "d/p.cnf"] {
        let c =
            std::ffi::CString::new(w.root.join(p).into_os_string().into_encoded_bytes()).unwrap();
        assert_eq!(unsafe_free_mkfifo(&c), 0);
    }
    let l = w.load("top.cnf");
    assert_eq!(w.names(&l), ["top.cnf"]);
    let kinds: Vec<_> = l.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProblemKind::SpecialFile, ProblemKind::SpecialFile]);
}

fn unsafe_free_mkfifo(path: &std::ffi::CStr) -> i32 {
    std::process::Command::new("mkfifo")
        .arg(std::ffi::OsStr::from_bytes(path.to_bytes()))
        .status()
        .map_or(1, |s| if s.success() { 0 } else { 1 })
}
use std::os::unix::ffi::OsStrExt;

#[test]
fn overrides_are_kept_in_order() {
    let (_w, l) = load_top(&[
        ("top.cnf", b"[ca]\ndays = 1\n.include inc.cnf\n"),
        ("inc.cnf", b"[ca]\ndays = 2\nca::days = 3\n"),
    ]);
    let s = l.db.get("ca", "days").unwrap();
    assert_eq!(s.text(), "3");
    assert_eq!((s.at.line, s.at.path.ends_with("inc.cnf")), (3, true));
    let prev = s.overrode.as_ref().unwrap();
    assert_eq!((prev.text().as_ref(), prev.at.line), ("2", 2));
    assert_eq!(prev.overrode.as_ref().unwrap().at.line, 2);
    assert_eq!(l.chain_of(&s.at).len(), 1);
    assert_eq!(l.db.lookup("ca", "nothing"), None);
}

/// Random configurations built from the syntax's own pieces never panic or hang, and a load that
/// reports no error always read the top file first.
#[test]
fn random_configurations_never_panic() {
    const TOKENS: &[&str] = &[
        "a",
        "b",
        " ",
        " = ",
        "=",
        "\n",
        "\\\n",
        "\\",
        "\\\\",
        "#",
        "'",
        "\"",
        "`",
        "$",
        "${",
        "}",
        "$(",
        ")",
        "::",
        "[",
        "]",
        "[s]",
        ".include ",
        ".include=",
        ".pragma ",
        "dollarid:on",
        "includedir:d",
        "abspath:on",
        ":",
        "x.cnf",
        "d",
        "..",
        "/",
        "$ENV::HOME",
        "\0",
        "\r\n",
        "\u{feff}",
        "ENV",
        ".cnf",
    ];
    let w = ws(&[("d/x.cnf", b"a = 1\n.include y.cnf\n"), ("d/y.cnf", b"")]);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        for name in ["top.cnf", "x.cnf"] {
            let n = (next() % 40) as usize;
            let body: String = (0..n)
                .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
                .collect();
            fs::write(w.root.join(name), body).unwrap();
        }
        let l = w.load("top.cnf");
        assert!(l.reads.first().is_some_and(|r| r.path.ends_with("top.cnf")));
    }
}
