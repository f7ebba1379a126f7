//! The manifest: the approved state of one profile, one deterministic TOML file, so that its diff reads
//! as a review.
//!
//! Writes are atomic (temporary file, fsync, rename, fsync of the folder), so a crash leaves the old
//! manifest intact, and a lock on the manifest folder keeps two `vigil approve` runs from writing at once.

use crate::config::ConfigError;
use crate::path::WsPath;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The manifest format version written by this build.
pub const MANIFEST_VERSION: u32 = 1;

/// One profile's approved state (`approved/NAME.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "vigil manifest")]
pub struct Manifest {
    /// Format version of this file; 1.
    pub manifest_version: u32,
    /// The vigil version that wrote it.
    pub vigil_version: String,
    pub profile: String,
    /// Who approved, by default git's `user.name <user.email>`.
    pub approved_by: String,
    /// When, in UTC, RFC 3339.
    pub approved_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub revision: ManifestRevision,
    /// Every component, sorted by path.
    #[serde(default, rename = "component")]
    pub components: Vec<ManifestEntry>,
    /// The approvers' SSH signatures of this approval (`[[signature]]` tables, after the components);
    /// not part of what they sign, so a co-signature only appends a table.
    #[serde(default, rename = "signature", skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureEntry>,
}

/// The revision the approval was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManifestRevision {
    /// `git`, `svn` or `none`.
    pub vcs: String,
    /// The commit (git) or revision (svn) the working copy was at; absent before the first commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// True when approved components had changes not yet committed on top of `id`; the hooks and the
    /// gate verify that what gets committed matches.
    pub local_changes: bool,
}

/// What a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    File,
    Executable,
    Symlink,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Executable => "executable",
            EntryKind::Symlink => "symlink",
        }
    }
}

/// One approved component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManifestEntry {
    pub path: WsPath,
    pub kind: EntryKind,
    /// Bytes (for a symlink, of its target text).
    pub size: u64,
    /// BLAKE3 of the content (for a symlink, of its target text), lowercase hex.
    pub blake3: String,
    /// A symlink's target, escaped like paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Requirements this component was reviewed against (`vigil approve --satisfies ID`): the id, when
    /// and by whom. Kept across approvals while the component's bytes stay the same. Absent when empty,
    /// so manifests without reviews are unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub satisfies: Vec<crate::requirements::Satisfies>,
}

impl Manifest {
    /// The deterministic text form.
    pub fn to_toml(&self) -> String {
        let mut m = self.clone();
        m.components.sort_by(|a, b| a.path.cmp(&b.path));
        let body = toml::to_string(&m).expect("a manifest always serialises");
        format!(
            "# Approved state of vigil profile `{}`. Written by `vigil approve`; review its diff, do not edit.\n{body}",
            self.profile
        )
    }

    /// Parses manifest text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Manifest, ConfigError> {
        let m: Manifest = toml::from_str(text)
            .map_err(|e| ConfigError::at(file, text, e.span(), e.message().trim().to_string()))?;
        let span_of = |needle: &str, nth: usize| {
            text.match_indices(needle)
                .nth(nth)
                .map(|(i, _)| i..i + needle.len())
        };
        if m.manifest_version != MANIFEST_VERSION {
            let why = if m.manifest_version > MANIFEST_VERSION {
                "is newer than this vigil understands"
            } else {
                "is unknown to this vigil, which reads"
            };
            return Err(ConfigError::at(
                file,
                text,
                span_of("manifest-version", 0),
                format!(
                    "manifest version {} {why} ({MANIFEST_VERSION}); upgrade vigil or approve again",
                    m.manifest_version
                ),
            ));
        }
        // Which of two entries for one path would count depends on the search order: refuse both.
        let mut seen = std::collections::HashMap::new();
        for e in &m.components {
            let n = seen.entry(&e.path).or_insert(0usize);
            *n += 1;
            if *n > 1 {
                let quoted = toml::Value::String(e.path.to_string()).to_string();
                return Err(ConfigError::at(
                    file,
                    text,
                    span_of(&format!("path = {quoted}"), *n - 1),
                    format!("component `{}` is listed more than once", e.path),
                ));
            }
            if !is_blake3_hex(&e.blake3) {
                let quoted = toml::Value::String(e.blake3.clone()).to_string();
                return Err(ConfigError::at(
                    file,
                    text,
                    span_of(&format!("blake3 = {quoted}"), 0),
                    format!(
                        "the blake3 of `{}` is not 64 lowercase hexadecimal digits",
                        e.path
                    ),
                ));
            }
        }
        Ok(m)
    }

    pub fn entry(&self, path: &WsPath) -> Option<&ManifestEntry> {
        self.components
            .binary_search_by(|e| e.path.cmp(path))
            .ok()
            .map(|i| &self.components[i])
            .or_else(|| self.components.iter().find(|e| &e.path == path))
    }
}

/// Whether `h` is a BLAKE3 hash as manifests write it: 64 lowercase hexadecimal digits.
pub fn is_blake3_hex(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Holds the workspace's approval lock while manifests are written.
pub struct ManifestLock {
    _file: File,
}

/// Takes the approval lock of a workspace: an advisory lock on its `vigil.toml`, which always exists,
/// so that taking the lock creates nothing. Fails at once, rather than waiting, when another process
/// holds it.
pub fn lock_workspace(config_file: &Path) -> io::Result<ManifestLock> {
    let f = File::open(config_file)?;
    match f.try_lock() {
        Ok(()) => Ok(ManifestLock { _file: f }),
        Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "another `vigil approve` is writing manifests for {}; try again when it has finished",
                config_file.display()
            ),
        )),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same folder, fsync, rename, fsync of the
/// folder. Either the old or the new content is there afterwards, never a mix.
pub fn write_atomic(path: &Path, text: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    fs::create_dir_all(&dir)?;
    // A temporary file is private (0600) by default; the file it becomes is not: it keeps the mode of
    // the file it replaces, or gets a new file's mode (0666 less the umask), so that a committed
    // manifest stays readable by reviewers, hooks and the CA software's account.
    let existing = fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".vigil-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(&dir)?;
    if let Some(perm) = existing {
        tmp.as_file().set_permissions(perm)?;
    }
    tmp.write_all(text)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(&dir)?.sync_all()?;
    remove_leftovers(&dir);
    Ok(())
}

/// Whether a file name is one of the temporary files [`write_atomic`] writes (`.vigil-*.tmp`).
pub fn is_temp_name(name: &std::ffi::OsStr) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let b = name.as_bytes();
    b.len() > ".vigil-.tmp".len() && b.starts_with(b".vigil-") && b.ends_with(b".tmp")
}

/// How old a temporary file must be before a later write treats it as left behind by a killed run;
/// a write in progress takes milliseconds.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the temporary files that killed runs left in `dir` (regular files only, older than
/// [`LEFTOVER_AGE`]). Best effort: a file that cannot be removed stays, and is never a component.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for e in entries.flatten() {
        if !is_temp_name(&e.file_name()) {
            continue;
        }
        let old = e
            .metadata()
            .ok()
            .filter(|m| m.file_type().is_file())
            .and_then(|m| m.modified().ok().and_then(|t| now.duration_since(t).ok()));
        if old.is_some_and(|age| age > LEFTOVER_AGE) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// One `[[signature]]` table of a manifest: a signature over its canonical message (see
/// `signature::canonical_message`), made and checked by the signature module.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignatureEntry {
    /// Who signed, as named in the allowed-signers file.
    pub principal: String,
    /// The signing key's fingerprint as `ssh-keygen -l` prints it (`SHA256:…`).
    pub key_fingerprint: String,
    /// When, by the signer's clock, UTC, RFC 3339; not covered by the signature.
    pub signed_at: String,
    /// The armored SSH signature (`-----BEGIN SSH SIGNATURE-----` …) of the canonical message, in
    /// namespace `vigil-approval`.
    pub sshsig: String,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A manifest with every field set, two components (one with a non-UTF-8 path) and a
    /// requirement it satisfies; shared with the signature message tests.
    pub(crate) fn sample() -> Manifest {
        Manifest {
            manifest_version: 1,
            vigil_version: "0.1.0".into(),
            profile: "ca".into(),
            approved_by: "Alice <alice@example.org>".into(),
            approved_at: "2026-11-29T15:00:00Z".into(),
            reason: Some("line one\nprofile \"forged\"".into()),
            revision: ManifestRevision {
                vcs: "git".into(),
                id: Some("abc123".into()),
                local_changes: false,
            },
            signatures: Vec::new(),
            components: vec![
                ManifestEntry {
                    path: WsPath::from_normal_bytes(b"z.cnf"),
                    kind: EntryKind::File,
                    size: 3,
                    blake3: "00ff".repeat(16),
                    target: None,
                    satisfies: vec![crate::requirements::Satisfies {
                        requirement: "R-2".into(),
                        at: "2026-11-29T15:00:00Z".into(),
                        by: "Alice <alice@example.org>".into(),
                    }],
                },
                ManifestEntry {
                    path: WsPath::from_normal_bytes(b"a\xff"),
                    kind: EntryKind::Symlink,
                    size: 5,
                    blake3: "11ee".repeat(16),
                    target: Some("z.cnf".into()),
                    satisfies: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn round_trips_sorted() {
        let text = sample().to_toml();
        let back = Manifest::parse(Path::new("m.toml"), &text).unwrap();
        assert_eq!(back.components[0].path.escaped(), "a\\xff");
        assert_eq!(back.components.len(), 2);
        assert_eq!(back.to_toml(), text, "serialisation is deterministic");
    }

    #[test]
    fn rejects_unknown_keys_and_newer_versions() {
        let text = sample().to_toml().replace("reason =", "raison =");
        let e = Manifest::parse(Path::new("m.toml"), &text).unwrap_err();
        assert!(e.line.is_some());
        let text = sample()
            .to_toml()
            .replace("manifest-version = 1", "manifest-version = 9");
        let e = Manifest::parse(Path::new("m.toml"), &text).unwrap_err();
        assert!(e.message.contains("newer"), "{}", e.message);
    }

    #[test]
    fn atomic_write_replaces_and_lock_excludes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("approved/p.toml");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(d.path().join("approved"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let cfg = d.path().join("vigil.toml");
        fs::write(&cfg, "").unwrap();
        let held = lock_workspace(&cfg).unwrap();
        let e = lock_workspace(&cfg).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        drop(held);
        assert!(lock_workspace(&cfg).is_ok());
    }
}
