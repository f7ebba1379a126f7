//! The hooks' first question, answered from a snapshot's changes alone: can this change affect any
//! profile? Only a change that certainly cannot is accepted here; every doubt goes on to a fuller
//! test and the full check. One rule, [`cannot_affect`], over two inputs: the staged changes of the
//! pre-commit hook ([`git_staged_changes`], or [`index_changes`] where git cannot be run: the index
//! against HEAD) and the changes a pushed commit
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

use crate::check::ManifestInfo;
use crate::config::{Config, Mode, CONFIG_FILE};
use crate::finding::{Code, Severity};
use crate::path::WsPath;
use crate::source::Source;
use crate::touched::{profile_touched, Change};
use rayon::prelude::*;
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
    cannot_affect_with(changes, config, || approvals(config, manifests))
}

/// [`cannot_affect`] with the approvals given: `approvals` is asked only once every change is known
/// to be an in-place edit away from the trust files, or has been read already (while git listed the
/// changes).
pub fn cannot_affect_with<'c>(
    changes: &[PathChange],
    config: &'c Config,
    approvals: impl FnOnce() -> Option<Vec<(&'c str, ManifestInfo)>>,
) -> bool {
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
    let Some(approved) = approvals() else {
        return false;
    };
    let changes: Vec<Change> = paths
        .into_iter()
        .map(|path| Change {
            path,
            is_dir: false,
            added: false,
        })
        .collect();
    !approved
        .par_iter()
        .any(|(name, m)| profile_touched(config, name, Some(m), &changes))
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

/// The changes the commit being made stages, over the whole repository, relative to its top, as
/// `git diff-index --cached HEAD` lists them; `None` when git cannot be run or says no (no HEAD,
/// a repository it refuses), and the caller asks libgit2 instead. git answers from the index's
/// cache-tree extension, skipping every folder whose tree the index already knows unchanged, where
/// libgit2's diff reads every tree of HEAD: a tenth of the time in a large repository. The process
/// inherits the hook's environment (`GIT_INDEX_FILE`, the object directories) and current folder, so
/// it reads the same index libgit2 opened.
pub fn git_staged_changes(git_dir: &Path) -> Option<Vec<PathChange>> {
    git_raw_diff(git_dir, "diff-index", &["--cached", "HEAD"])
}

/// `git --git-dir REPO COMMAND --raw -z --no-renames ARGS --` parsed; `None` when git cannot be
/// run, fails or prints what vigil cannot read.
fn git_raw_diff(git_dir: &Path, command: &str, args: &[&str]) -> Option<Vec<PathChange>> {
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args([command, "--raw", "-z", "--no-renames"])
        .args(args)
        .arg("--")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_raw(&out.stdout)
}

/// `git diff --raw -z` records (`:OLD_MODE NEW_MODE OLD_ID NEW_ID STATUS NUL PATH NUL`, renames
/// off) as changes; `None` for anything else.
fn parse_raw(raw: &[u8]) -> Option<Vec<PathChange>> {
    let mut fields = raw.split(|&b| b == 0);
    let mut out = Vec::new();
    while let Some(head) = fields.next() {
        if head.is_empty() {
            // The output's last NUL.
            break;
        }
        let head = std::str::from_utf8(head.strip_prefix(b":")?).ok()?;
        let path = fields.next().filter(|p| !p.is_empty())?.to_vec();
        let mut words = head.split(' ');
        let mode = |w: Option<&str>| u32::from_str_radix(w?, 8).ok().map(Kind::of_git_mode);
        let (old, new) = (mode(words.next())?, mode(words.next())?);
        let status = words.nth(2)?;
        let (old, new) = match status {
            "M" | "T" => (old, new),
            "A" => (Kind::Absent, new),
            "D" => (old, Kind::Absent),
            // Unmerged, unknown, or anything git adds later: never in place.
            _ => (Kind::Other, Kind::Absent),
        };
        out.push(PathChange { path, old, new });
    }
    Some(out)
}

/// Of `changes` relative to the repository's top, those inside the workspace folder `prefix`,
/// relative to it.
pub fn inside(changes: Vec<PathChange>, prefix: &[u8]) -> Vec<PathChange> {
    if prefix.is_empty() {
        return changes;
    }
    changes
        .into_iter()
        .filter_map(|c| {
            let rel = c.path.strip_prefix(prefix)?.strip_prefix(b"/")?.to_vec();
            Some(PathChange { path: rel, ..c })
        })
        .collect()
}

/// The changes from the tree `old` to the tree `new` (both the workspace folder's own tree), relative
/// to the workspace; `None` when git cannot compare them. Asked of `git diff-tree` first, which
/// skips every folder whose tree is the same on both sides (the hook runs inside git, with the
/// pushed objects in the environment it passes on), else of libgit2.
pub fn tree_changes(
    repo: &git2::Repository,
    old: &git2::Tree,
    new: &git2::Tree,
) -> Option<Vec<PathChange>> {
    if old.id() == new.id() {
        return Some(Vec::new());
    }
    let (a, b) = (old.id().to_string(), new.id().to_string());
    if let Some(changes) = git_raw_diff(repo.path(), "diff-tree", &["-r", &a, &b]) {
        return Some(changes);
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

/// The approved manifest of every profile of `config` as `source` holds it, read in turn and parsed
/// on all cores (parsing them is most of a hook's own time); `None` when a profile has none or it
/// cannot be read: what such a profile reaches is known only to its inventory.
pub fn approvals<'c>(
    config: &'c Config,
    source: &dyn Source,
) -> Option<Vec<(&'c str, ManifestInfo)>> {
    let mut read = Vec::with_capacity(config.profiles.len());
    for name in config.profiles.keys() {
        match crate::check::read_manifest_bytes(config, source, name) {
            Ok(Some(bytes)) => read.push((name.as_str(), bytes)),
            Ok(None) | Err(_) => return None,
        }
    }
    read.into_par_iter()
        .map(|(name, bytes)| {
            crate::check::parse_manifest(bytes, name)
                .ok()
                .map(|m| (name, m))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_records_become_changes() {
        let z = "0".repeat(40);
        let raw = format!(
            ":100644 100644 {z} {z} M\0a b\0:000000 100644 {z} {z} A\0new\0\
             :100644 000000 {z} {z} D\0gone\0:100644 120000 {z} {z} T\0link\0\
             :100644 100755 {z} {z} M\0x\0:000000 000000 {z} {z} U\0conflict\0"
        );
        let got = parse_raw(raw.as_bytes()).unwrap();
        let seen: Vec<(&[u8], Kind, Kind, bool)> = got
            .iter()
            .map(|c| (c.path.as_slice(), c.old, c.new, c.in_place()))
            .collect();
        use Kind::*;
        assert_eq!(
            seen,
            [
                (&b"a b"[..], File, File, true),
                (b"new", Absent, File, false),
                (b"gone", File, Absent, false),
                (b"link", File, Other, false),
                (b"x", File, Executable, false),
                (b"conflict", Other, Absent, false),
            ]
        );
        assert_eq!(parse_raw(b""), Some(Vec::new()));
        assert_eq!(parse_raw(b"garbage\0"), None);
        assert_eq!(
            parse_raw(format!(":100644 100644 {z} {z} M\0").as_bytes()),
            None
        );
    }

    #[test]
    fn inside_keeps_the_workspace_folder_relative_to_it() {
        let c = |p: &str| PathChange {
            path: p.as_bytes().to_vec(),
            old: Kind::File,
            new: Kind::File,
        };
        let got = inside(
            vec![c("ca/x.cnf"), c("cab/y"), c("other/z"), c("ca")],
            b"ca",
        );
        assert_eq!(got, [c("x.cnf")]);
        assert_eq!(inside(vec![c("a")], b""), [c("a")]);
    }
}
