//! Property tests: the parsers never panic on any input (`vigil.toml`, manifests, OpenSSL
//! configurations, file names), a manifest written and read back is identical, and any single-byte
//! change to any component is detected by the check and by the gate. Case counts are small so the
//! suite stays fast; each run draws new cases.

use crate::config::Mode;
use crate::manifest::{EntryKind, Manifest, ManifestEntry, ManifestRevision};
use crate::path::{escape_bytes, WsPath};
use crate::testing::{ca, ca_manifest, check, config, lines, DiskWorkspace, FakeVcs, MemSource};
use proptest::prelude::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Text that looks like TOML often enough to reach past the first syntax error.
fn tomlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("[profiles.p]\n".to_string()),
        Just("[severity.hook]\n".to_string()),
        Just("components = [".to_string()),
        Just("follow = [\"openssl-include\"]\n".to_string()),
        Just("manifest-dir = ".to_string()),
        Just("[[profiles.p.references]]\npattern = ".to_string()),
        Just("\"".to_string()),
        Just("]\n".to_string()),
        Just("max-depth = ".to_string()),
        "[ -~\n\\\\/\\.\\*\\{\\}\\[\\]]{0,12}".prop_map(|s| s),
        any::<String>(),
    ];
    prop::collection::vec(token, 0..24).prop_map(|v| v.concat())
}

/// A workspace path of one to three parts of arbitrary bytes (no `/`, no NUL, not `.` or `..`).
fn ws_path() -> impl Strategy<Value = WsPath> {
    let part = prop::collection::vec(
        any::<u8>().prop_filter("no / or NUL", |b| *b != b'/' && *b != 0),
        1..8,
    )
    .prop_filter("not . or ..", |p| p != b"." && p != b"..");
    prop::collection::vec(part, 1..4).prop_filter_map("normal form", |parts| {
        let joined = parts.join(&b'/');
        WsPath::normalize(Path::new(OsStr::from_bytes(&joined)))
            .filter(|p| p.as_bytes() == joined.as_slice())
    })
}

fn manifest() -> impl Strategy<Value = Manifest> {
    let entry = (
        ws_path(),
        prop_oneof![
            Just(EntryKind::File),
            Just(EntryKind::Executable),
            Just(EntryKind::Symlink)
        ],
        any::<u64>(),
        "[0-9a-f]{64}",
        ".{0,20}",
    )
        .prop_map(|(path, kind, size, blake3, target)| ManifestEntry {
            path,
            kind,
            size: size % (1 << 53),
            blake3,
            target: (kind == EntryKind::Symlink).then_some(target),
            satisfies: Vec::new(),
        });
    (
        "[a-z][a-z0-9_-]{0,10}",
        any::<String>(),
        proptest::option::of(any::<String>()),
        proptest::option::of("[0-9a-f]{40}"),
        any::<bool>(),
        prop::collection::vec(entry, 0..6),
    )
        .prop_map(|(profile, by, reason, id, local, mut components)| {
            components.sort_by(|a, b| a.path.cmp(&b.path));
            components.dedup_by(|a, b| a.path == b.path);
            Manifest {
                manifest_version: crate::manifest::MANIFEST_VERSION,
                vigil_version: "0.1.0".into(),
                profile,
                approved_by: by,
                approved_at: "2026-01-01T00:00:00Z".into(),
                reason,
                revision: ManifestRevision {
                    vcs: "git".into(),
                    id,
                    local_changes: local,
                },
                components,
                signatures: Vec::new(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn vigil_toml_parser_never_panics(text in tomlish()) {
        let _ = crate::config::parse(Path::new("vigil.toml"), &text);
    }

    #[test]
    fn manifest_parser_never_panics(text in tomlish(), tail in any::<String>()) {
        let _ = Manifest::parse(Path::new("m.toml"), &text);
        let _ = Manifest::parse(Path::new("m.toml"), &format!("manifest-version = 1\n{tail}"));
    }

    #[test]
    fn a_manifest_written_and_read_back_is_identical(m in manifest()) {
        let text = m.to_toml();
        let back = Manifest::parse(Path::new("m.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_toml(), text);
    }

    #[test]
    fn file_names_escape_and_read_back_and_never_carry_control_characters(p in ws_path()) {
        let shown = p.to_string();
        prop_assert!(!shown.chars().any(char::is_control), "{:?}", shown);
        prop_assert_eq!(WsPath::parse_escaped(&escape_bytes(p.as_bytes())), Ok(p));
    }

    #[test]
    fn openssl_loader_never_panics(text in prop::collection::vec(any::<u8>(), 0..400), cnf in tomlish()) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("top.cnf"), &text).unwrap();
        std::fs::write(root.join("other.cnf"), cnf.replace("[profiles", ".include other.cnf\n[x")).unwrap();
        let opts = crate::openssl::Options::new(&root, &root);
        let _ = crate::openssl::load(&crate::openssl::RealFs, Path::new("top.cnf"), &opts);
        let _ = crate::openssl::load(&crate::openssl::RealFs, Path::new("other.cnf"), &opts);
    }
}

/// The CA fixture with one byte of one component changed.
fn flipped(which: bool, at: usize, xor: u8) -> (&'static str, Vec<u8>) {
    let (path, text) = if which {
        ("profiles/server.cnf", ca::SERVER_CNF)
    } else {
        ("validity/398.cnf", ca::VALIDITY)
    };
    let mut bytes = text.as_bytes().to_vec();
    let i = at % bytes.len();
    bytes[i] ^= xor;
    (path, bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_single_byte_change_is_detected_by_the_check(which in any::<bool>(), at in any::<usize>(), xor in 1u8..=255) {
        let (path, bytes) = flipped(which, at, xor);
        let source: MemSource = ca::approved().file(path, &bytes);
        for mode in [Mode::Nightly, Mode::Hook, Mode::Gate] {
            let r = check(&config(ca::CONFIG), &source, &FakeVcs::git(), mode);
            prop_assert!(r.failed(), "{:?}", lines(&r.findings));
            prop_assert!(
                r.findings.iter().any(|f| f.path == path && f.code.as_str() == "stale"),
                "{:?}", lines(&r.findings)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_single_byte_change_is_detected_by_the_gate(which in any::<bool>(), at in any::<usize>(), xor in 1u8..=255) {
        let (path, bytes) = flipped(which, at, xor);
        let d = DiskWorkspace::ca(false);
        d.write(ca::MANIFEST, &ca_manifest(Some("c0ffee")));
        std::fs::write(d.dir.path().join(path), &bytes).unwrap();
        let g = crate::gate::gate_as_of(&d.workspace(), &FakeVcs::git(), &[], crate::requirements::Date::today(), &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(!g.passed(), "{:?}", lines(&g.report.findings));
    }
}
