//! The pre-commit hook's first question, answered from the staged changes alone: can this commit
//! affect any profile? Only a commit that certainly cannot is accepted here; every doubt goes on to
//! the inventory-based test and the full check.
//!
//! A commit certainly cannot affect a profile when every path it changes was modified in place (a
//! regular file before and after, same mode: nothing added, deleted, renamed or retyped, which a
//! folder listing, a glob or an include could pick up or lose) and no changed path is vigil.toml, in
//! the manifest folder, the allowed-signers file, a component of an approved manifest, beside one
//! (in the same folder), or under the literal start of a declared pattern. A file reached through an
//! include is in the approved manifest of its profile, so a change of it (the 2020 incident's shape)
//! always counts; the rule is the one the Subversion hook applies per commit. A profile without a
//! manifest is always in doubt. The rule trusts that HEAD's manifests list what HEAD's profiles reach,
//! which the hook itself enforces on every commit; a HEAD committed past the hook (`--no-verify`) is
//! caught by the pre-receive hook, the nightly check and the gate, which do not take this path.

use crate::config::{Config, CONFIG_FILE};
use crate::path::WsPath;
use crate::source::Source;
use crate::svn_hook::{profile_touched, Change};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// True when the index of `repo` differs from HEAD (inside the workspace folder `prefix`) only in
/// files that no profile, approval or trust file of `config` can depend on. `source` reads the
/// staged manifests.
pub fn cannot_affect(
    repo: &git2::Repository,
    index: &git2::Index,
    prefix: &[u8],
    config: &Config,
    source: &dyn Source,
) -> bool {
    match modified_in_place(repo, index, prefix) {
        Some(changes) => !changes
            .iter()
            .any(|p| trust_file(config, p) || any_profile(config, source, p)),
        None => false,
    }
}

/// The workspace paths the index changes from HEAD, when every change is a file modified in place;
/// `None` when anything else changes (or there is no HEAD to compare with).
fn modified_in_place(
    repo: &git2::Repository,
    index: &git2::Index,
    prefix: &[u8],
) -> Option<Vec<WsPath>> {
    let head = repo.head().ok()?.peel_to_tree().ok()?;
    let mut opts = git2::DiffOptions::new();
    if !prefix.is_empty() {
        let mut spec = prefix.to_vec();
        spec.push(b'/');
        opts.pathspec(OsStr::from_bytes(&spec));
    }
    let diff = repo
        .diff_tree_to_index(Some(&head), Some(index), Some(&mut opts))
        .ok()?;
    let mut out = Vec::with_capacity(diff.deltas().len());
    for d in diff.deltas() {
        let (old, new) = (d.old_file(), d.new_file());
        let regular =
            |m: git2::FileMode| matches!(m, git2::FileMode::Blob | git2::FileMode::BlobExecutable);
        if d.status() != git2::Delta::Modified || old.mode() != new.mode() || !regular(new.mode()) {
            return None;
        }
        let full = new.path_bytes()?;
        let rel = if prefix.is_empty() {
            full
        } else {
            full.strip_prefix(prefix)?.strip_prefix(b"/")?
        };
        out.push(WsPath::normalize(Path::new(OsStr::from_bytes(rel)))?);
    }
    Some(out)
}

/// vigil.toml, anything in the manifest folder, the allowed-signers file.
fn trust_file(config: &Config, p: &WsPath) -> bool {
    let manifests = WsPath::normalize(Path::new(config.manifest_dir.trim_end_matches('/')));
    let signers = config
        .signing
        .as_ref()
        .and_then(|s| WsPath::normalize(Path::new(&s.allowed_signers)));
    p.as_bytes() == CONFIG_FILE.as_bytes()
        || manifests.is_none_or(|m| p.starts_with(&m))
        || signers.as_ref() == Some(p)
}

/// Whether `p` is a component of a profile's staged manifest, beside one, or under a declared
/// pattern; true as well when a profile has no manifest or it cannot be read: what such a profile
/// reaches is known only to its inventory.
fn any_profile(config: &Config, source: &dyn Source, p: &WsPath) -> bool {
    let change = [Change {
        path: p.clone(),
        is_dir: false,
        added: false,
    }];
    config.profiles.keys().any(
        |name| match crate::check::read_manifest(config, source, name) {
            Ok(Some(m)) => profile_touched(config, name, Some(&m), &change),
            Ok(None) | Err(_) => true,
        },
    )
}
