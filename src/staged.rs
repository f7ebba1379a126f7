//! The hooks' first question, answered from a snapshot's changes alone: can this change affect any
//! profile? Only a change that certainly cannot is accepted here; every doubt goes on to a fuller
//! test and the full check. One rule, [`cannot_affect`], over two inputs: the staged changes of the
//! pre-commit hook ([`index_changes`]: the index against HEAD) and the changes a pushed commit
//! makes to a commit the pre-receive hook already accepted ([`tree_changes`]: tree against tree).
//!
//! A change certainly cannot affect a profile when every path it changes was modified in place (a
//! regular file before and after, same mode: nothing added, deleted, renamed or retyped, which a
//! folder listing, a glob or an include could pick up or lose) and no changed path is vigil.toml, in
//! the manifest folder, the allowed-signers file, a component of an approved manifest, beside one
//! (in the same folder), or under the literal start of a declared pattern. A file reached through an
//! include is in the approved manifest of its profile, so a change of it (the 2020 incident's shape)
//! always counts; the rule is the one the Subversion hook applies per commit. A profile without a
//! manifest is always in doubt, and so is every profile when `unapproved` is below an error in the
//! hook mode: the manifests then need not list every component. The configuration and the
//! manifests are read from the new side (the index, or the pushed commit), never from the accepted
//! one.
//!
//! The rule trusts that the old side passed the same hook, so that its manifests list what its
//! profiles reach: the pre-commit hook enforces that on every commit, and the pre-receive hook on
//! every ref it accepts. A HEAD committed past the hook (`--no-verify`) is caught by the pre-receive
//! hook, the nightly check and the gate; a ref pushed before the pre-receive hook was installed by
//! the nightly check and the gate. Those never take this path.

use crate::config::{Config, Mode, CONFIG_FILE};
use crate::finding::{Code, Severity};
use crate::path::WsPath;
use crate::source::Source;
use crate::touched::{profile_touched, Change};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What a path is on one side of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Not there.
    Absent,
    /// A regular file.
    File,
    /// A regular file with the executable bit.
    Executable,
    /// Anything else: a symbolic link, a folder, a submodule, an unmerged entry.
    Other,
}

impl Kind {
    /// The kind of a git file mode (0 for a path that is not there).
    pub fn of_git_mode(mode: u32) -> Kind {
        match mode {
            0 => Kind::Absent,
            0o100644 => Kind::File,
            0o100755 => Kind::Executable,
            _ => Kind::Other,
        }
    }
}

/// One path that differs between the accepted snapshot and the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    /// Relative to the workspace folder, as version control spells it.
    pub path: Vec<u8>,
    pub old: Kind,
    pub new: Kind,
}

impl PathChange {
    /// A regular file before and after, with the same mode.
    pub fn in_place(&self) -> bool {
        self.old == self.new && matches!(self.new, Kind::File | Kind::Executable)
    }
}

/// True when `changes` touch only files that no profile, approval or trust file of `config` can
/// depend on. `config` and `manifests` (which reads the manifests) are the new side's.
pub fn cannot_affect(changes: &[PathChange], config: &Config, manifests: &dyn Source) -> bool {
    // The rule knows what a profile reaches only from its manifest, which lists every component
    // only where a component missing from it fails the hook.
    if config.severity(Mode::Hook, Code::Unapproved) < Severity::Error {
        return changes.is_empty();
    }
    let mut paths = Vec::with_capacity(changes.len());
    for c in changes {
        let Some(p) = WsPath::normalize(Path::new(OsStr::from_bytes(&c.path))) else {
            return false;
        };
        if !c.in_place() || trust_file(config, &p) {
            return false;
        }
        paths.push(p);
    }
    // Manifests are read only once every change is known to be an in-place edit away from the
    // trust files: the common doubtful case (an added file) costs nothing more.
    !paths.iter().any(|p| any_profile(config, manifests, p))
}

/// The changes of the index of `repo` from HEAD inside the workspace folder `prefix`, relative to
/// it; `None` when there is no HEAD to compare with.
pub fn index_changes(
    repo: &git2::Repository,
    index: &git2::Index,
    prefix: &[u8],
) -> Option<Vec<PathChange>> {
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
    changes_of(&diff, prefix)
}

/// The changes from the tree `old` to the tree `new` (both the workspace folder's own tree), relative
/// to the workspace; `None` when git cannot compare them.
pub fn tree_changes(
    repo: &git2::Repository,
    old: &git2::Tree,
    new: &git2::Tree,
) -> Option<Vec<PathChange>> {
    if old.id() == new.id() {
        return Some(Vec::new());
    }
    let diff = repo.diff_tree_to_tree(Some(old), Some(new), None).ok()?;
    changes_of(&diff, b"")
}

/// A diff's deltas as changes relative to the workspace folder `prefix`; `None` when a path lies
/// outside it.
fn changes_of(diff: &git2::Diff, prefix: &[u8]) -> Option<Vec<PathChange>> {
    let rel = |full: &[u8]| -> Option<Vec<u8>> {
        Some(if prefix.is_empty() {
            full.to_vec()
        } else {
            full.strip_prefix(prefix)?.strip_prefix(b"/")?.to_vec()
        })
    };
    let mut out = Vec::with_capacity(diff.deltas().len());
    for d in diff.deltas() {
        let (old, new) = (d.old_file(), d.new_file());
        let (old_path, new_path) = (rel(old.path_bytes()?)?, rel(new.path_bytes()?)?);
        let (old_kind, new_kind) = (
            Kind::of_git_mode(u32::from(old.mode())),
            Kind::of_git_mode(u32::from(new.mode())),
        );
        match d.status() {
            git2::Delta::Modified | git2::Delta::Typechange if old_path == new_path => {
                out.push(PathChange {
                    path: new_path,
                    old: old_kind,
                    new: new_kind,
                });
            }
            git2::Delta::Added => out.push(PathChange {
                path: new_path,
                old: Kind::Absent,
                new: new_kind,
            }),
            git2::Delta::Deleted => out.push(PathChange {
                path: old_path,
                old: old_kind,
                new: Kind::Absent,
            }),
            // A rename or copy (not detected unless asked for, but said safely if it is), an
            // unmerged entry, anything new: never in place.
            _ => {
                out.push(PathChange {
                    path: old_path,
                    old: Kind::Other,
                    new: Kind::Absent,
                });
                out.push(PathChange {
                    path: new_path,
                    old: Kind::Absent,
                    new: Kind::Other,
                });
            }
        }
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

/// Whether `p` is a component of a profile's manifest (as `source` holds it), beside one, or under a declared
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
