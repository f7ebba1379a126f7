//! The stat cache through the real binary: `vigil check` uses it, `--no-cache` and `vigil gate` never
//! do. A poisoned entry (the approved digest recorded for a file whose bytes changed, with the file's
//! current stat data) is what tells them apart: a reader of the cache is fooled by it, a reader of
//! the bytes is not.

use crate::support::Sandbox;
use std::time::Duration;

const CONFIG: &str = "[profiles.data]\ncomponents = [\"data/key.bin\"]\n";

/// A repository whose one component was approved as `approved\n`, then changed to `CHANGED!\n`
/// (same size) and committed without a new approval: `stale` for every reader of the bytes.
fn changed_after_approval() -> Sandbox {
    let s = Sandbox::git_repo();
    s.file("vigil.toml", CONFIG)
        .file("data/key.bin", "approved\n");
    s.commit_all("component");
    s.vigil(&["approve", "data", "--by", "Ada"]).expect(0);
    s.commit_all("approval");
    s.file("data/key.bin", "CHANGED!\n");
    s.commit_all("change, not approved");
    // Past the file system's timestamp tick, so the cache written next can hold the file.
    std::thread::sleep(Duration::from_millis(50));
    s
}

/// The cache file `vigil check` keeps for the workspace: the one `stat-cache-*` file in `.git/vigil`.
fn cache_file(s: &Sandbox) -> std::path::PathBuf {
    let dir = s.root.join(".git/vigil");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("stat-cache-")
        })
        .collect();
    assert_eq!(files.len(), 1, "one cache file: {files:?}");
    files.pop().unwrap()
}

/// Records the approved digest for the changed file, with its current stat data, in the cache
/// `vigil check` wrote: the entry's digest (stored as its 32 bytes) is swapped, and the cache's own
/// BLAKE3 (its last 32 bytes, of everything before them) made to match again.
fn poison(s: &Sandbox) {
    let file = cache_file(s);
    let mut bytes = std::fs::read(&file).unwrap();
    let body = bytes.len() - 32;
    let real = blake3::hash(b"CHANGED!\n");
    let at = bytes[..body]
        .windows(32)
        .position(|w| w == real.as_bytes())
        .expect("the cache holds the changed file's digest");
    bytes[at..at + 32].copy_from_slice(blake3::hash(b"approved\n").as_bytes());
    let sum = blake3::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(sum.as_bytes());
    std::fs::write(&file, bytes).unwrap();
}

fn stale(codes: &[String]) -> bool {
    codes.iter().any(|c| c.starts_with("stale"))
}

#[test]
fn check_uses_the_cache_while_no_cache_and_the_gate_read_every_byte() {
    let s = changed_after_approval();
    let r = s.check_json();
    assert!(stale(&r.finding_codes()), "{}", r.stdout);
    poison(&s);
    // The check trusts the (forged) entry: proof that it reads the cache ...
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(!stale(&r.finding_codes()), "{}", r.stdout);
    // ... and --no-cache and the gate do not.
    let r = s.vigil(&["check", "--no-cache", "--format", "json"]);
    assert!(stale(&r.finding_codes()), "{}", r.stdout);
    let r = s.vigil(&["gate", "data"]).expect(1);
    assert!(r.stdout.contains("stale"), "{}", r.stdout);
    // Any real change of the file (here a rewrite with the same bytes) ends the forged entry's use.
    s.file("data/key.bin", "CHANGED!\n");
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(stale(&r.finding_codes()), "{}", r.stdout);
}

#[test]
fn a_corrupt_cache_file_is_ignored_and_rewritten() {
    let s = changed_after_approval();
    s.vigil(&["check", "--format", "json"]);
    let file = cache_file(&s);
    let good = std::fs::read(&file).expect("check wrote the cache");
    std::fs::write(&file, b"not a cache at all").unwrap();
    let r = s.vigil(&["check", "--format", "json"]);
    assert!(stale(&r.finding_codes()), "{}", r.stdout);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let again = std::fs::read(&file).unwrap();
    assert_ne!(again, b"not a cache at all", "replaced by a valid cache");
    assert_eq!(again.len(), good.len());
}
