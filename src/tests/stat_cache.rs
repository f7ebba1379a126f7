//! The stat cache inside the check, over real files: what is read again and what is not.

use crate::check::{self, Context};
use crate::config::Mode;
use crate::source::WorkTree;
use crate::stat_cache::StatCache;
use crate::testing::{approved_file, config, lines, manifest_text, FakeVcs};
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

const CONFIG: &str = "[profiles.data]\ncomponents = [\"data/a.bin\"]\n";
const BYTES: &[u8] = b"approved bytes\n";

/// A workspace with one approved component (not OpenSSL configuration: nothing scans it, so only
/// the hashing stage reads it).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("data")).unwrap();
    fs::create_dir_all(dir.path().join("approved")).unwrap();
    fs::write(dir.path().join("data/a.bin"), BYTES).unwrap();
    let m = manifest_text(
        "data",
        Some("c0ffee"),
        &[approved_file("data/a.bin", BYTES)],
    );
    fs::write(dir.path().join("approved/data.toml"), m).unwrap();
    dir
}

/// Sets the modification time (which also sets the change time to now), then waits past the
/// file system's timestamp tick, so that the next run begins in a later tick than this change.
fn set_mtime(path: &Path, t: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
}

/// One `vigil check` with the cache kept in `DIR/cache`: the findings, and how many files were read
/// to hash them.
fn run(dir: &Path) -> (Vec<String>, usize) {
    let cfg = config(CONFIG);
    let source = WorkTree::with_cache(dir, StatCache::load(dir.join("cache"), dir));
    let vcs = FakeVcs::git();
    let cx = Context {
        config: &cfg,
        root: Some(dir),
        source: &source,
        vcs: &vcs,
        mode: Mode::Nightly,
    };
    let r = check::run(&cx, &[], &mut |_| {}).unwrap();
    source.save_cache(true).unwrap();
    (lines(&r.findings), source.files_read_for_hashing())
}

#[test]
fn an_unchanged_file_is_read_once_and_a_touched_one_once_more() {
    let ws = workspace();
    let file = ws.path().join("data/a.bin");
    let ago = |s| SystemTime::now() - Duration::from_secs(s);
    set_mtime(&file, ago(10));
    assert_eq!(run(ws.path()), (vec![], 1), "first run reads it");
    assert_eq!(run(ws.path()), (vec![], 0), "second run takes the digest");
    // Touched: stat data differ, content does not. Read again once, then cached again.
    set_mtime(&file, ago(5));
    assert_eq!(run(ws.path()), (vec![], 1));
    assert_eq!(run(ws.path()), (vec![], 0));
}

#[test]
fn a_file_modified_in_the_racy_window_is_read_every_time_and_a_same_size_change_is_seen() {
    let ws = workspace();
    let file = ws.path().join("data/a.bin");
    // Modified "after" every run began (as a write in the same tick as a run's start looks): never
    // trusted, so each run reads it.
    let later = SystemTime::now() + Duration::from_secs(3600);
    set_mtime(&file, later);
    assert_eq!(run(ws.path()), (vec![], 1));
    assert_eq!(
        run(ws.path()),
        (vec![], 1),
        "a racily clean entry is never reused"
    );
    // Same size, same modification time: only reading the bytes can tell.
    fs::write(&file, b"CHANGED bytes!\n").unwrap();
    set_mtime(&file, later);
    let (findings, read) = run(ws.path());
    assert_eq!(read, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].starts_with("error stale data/a.bin"),
        "{findings:?}"
    );
}

#[test]
fn a_corrupt_cache_is_ignored_and_replaced() {
    let ws = workspace();
    let file = ws.path().join("data/a.bin");
    set_mtime(&file, SystemTime::now() - Duration::from_secs(10));
    assert_eq!(run(ws.path()), (vec![], 1));
    let cache = ws.path().join("cache");
    let mut bytes = fs::read(&cache).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 0xff; // inside the last entry's digest
    fs::write(&cache, &bytes).unwrap();
    assert_eq!(
        run(ws.path()),
        (vec![], 1),
        "the damaged cache is not trusted"
    );
    assert_eq!(run(ws.path()), (vec![], 0), "and was written anew");
}
