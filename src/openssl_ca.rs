//! The files an OpenSSL CA section names, which `openssl ca` reads besides the configuration: the CA's
//! certificate and private key (secrets: vigil checks only that they exist, and never opens them), and
//! its runtime state (database, serial, CRL number, folder of issued certificates), which changes at
//! every issuance and so can be no approved component.

use crate::finding::{Draft, Step};
use crate::openssl::{FileAccess, Resolved};
use crate::openssl_load::{to_ws, ProfileLoad, SourceAccess};
use crate::path::WsPath;
use crate::source::Source;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Keys of a CA section that name secrets: checked for existence only.
pub const SECRET_KEYS: [&str; 2] = ["certificate", "private_key"];
/// Keys of a CA section that name runtime state: shown, never components.
pub const STATE_KEYS: [&str; 4] = ["database", "serial", "crlnumber", "new_certs_dir"];

/// What a CA file is to the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Key material or the CA certificate: its existence is checked, its bytes are never read.
    Secret,
    /// Written by every issuance: not under change control.
    State,
}

/// Where a CA file's path leads, as far as vigil looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    /// Inside the workspace, and there.
    Exists,
    /// Inside the workspace, and not there.
    Missing,
    /// Outside the workspace: the CA host's business, not looked at.
    Outside,
    /// Not a file path: a URI such as `pkcs11:...` (a key in a token or HSM).
    NotAFile,
    /// Inside the workspace, but the source is not the working tree (a secret is rightly never
    /// committed, so the index or a commit cannot say whether the CA host has it).
    NotChecked,
}

/// One file a CA section names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CaFile {
    /// The CA section (`[ ca ] default_ca`).
    pub section: String,
    /// `certificate`, `private_key`, `database`, ...
    pub key: String,
    pub role: Role,
    /// The value OpenSSL uses, after variable expansion.
    pub value: String,
    /// The workspace path it names, when it is inside the workspace.
    #[schemars(with = "Option<String>")]
    pub path: Option<WsPath>,
    pub presence: Presence,
    /// Where the value was set, and how the profile reached that line.
    pub via: Vec<Step>,
}

/// The files named by the CA section of `load` (`[ ca ] default_ca`, as `openssl ca` picks it when not
/// given `-name`), with relative paths opened from `cwd` as `openssl ca` opens them. `worktree` says
/// whether `source` is the working tree, the only place where a secret's existence means anything.
pub fn ca_files(
    load: &ProfileLoad,
    source: &dyn Source,
    cwd: &Path,
    worktree: bool,
) -> Vec<CaFile> {
    let db = &load.loaded.db;
    let Some(section) = db.lookup("ca", "default_ca") else {
        return Vec::new();
    };
    let section = section.value.clone();
    let access = SourceAccess::new(source, &load.root);
    let keys = SECRET_KEYS
        .iter()
        .map(|k| (*k, Role::Secret))
        .chain(STATE_KEYS.iter().map(|k| (*k, Role::State)));
    let mut out = Vec::new();
    for (key, role) in keys {
        let Some(s) = db.lookup(&section, key) else {
            continue;
        };
        let value = s.text().into_owned();
        let (path, presence) = match file_path(&s.value) {
            None => (None, Presence::NotAFile),
            Some(p) => {
                let abs = cwd.join(Path::new(OsStr::from_bytes(p)));
                // Resolved without opening anything: secrets are never read.
                match access.resolve(&load.root, &abs) {
                    Resolved::OutsideRoot { .. } => (None, Presence::Outside),
                    Resolved::Found { path, .. } => (to_ws(&load.root, &path), Presence::Exists),
                    Resolved::Missing { path } | Resolved::Unreadable { path, .. } => {
                        (to_ws(&load.root, &path), Presence::Missing)
                    }
                }
            }
        };
        let presence = match presence {
            Presence::Exists | Presence::Missing if !worktree => Presence::NotChecked,
            p => p,
        };
        out.push(CaFile {
            section: String::from_utf8_lossy(&section).into_owned(),
            key: key.to_string(),
            role,
            value,
            path: path.clone(),
            presence,
            via: {
                let mut via = load.via_of_line(&s.at);
                if let Some(Step::Reference { by, .. }) = via.last_mut() {
                    *by = key.to_string();
                }
                via
            },
        });
    }
    out
}

/// The file path a value names: the value itself, or the path of a `file:` URI; `None` for any other
/// URI (`pkcs11:token=...`, `engine:...`), which names no file.
fn file_path(value: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = value.strip_prefix(b"file:") {
        return Some(rest.strip_prefix(b"//").unwrap_or(rest));
    }
    let scheme = value.iter().position(|&b| b == b':').map(|i| &value[..i]);
    match scheme {
        Some(s)
            if s.len() > 1
                && s[0].is_ascii_alphabetic()
                && s.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            None
        }
        _ => Some(value),
    }
}

/// The findings CA files give: a secret the configuration names inside the workspace that is not
/// there (`openssl ca` would fail to start).
pub fn drafts(files: &[CaFile]) -> Vec<Draft> {
    files
        .iter()
        .filter(|f| f.role == Role::Secret && f.presence == Presence::Missing)
        .map(|f| {
            let at = match f.via.last() {
                Some(Step::Reference { from, line, .. }) => format!(" at {from}:{line}"),
                _ => String::new(),
            };
            Draft::new(
                crate::finding::Code::Missing,
                match &f.path {
                    Some(p) => crate::finding::Subject::Path(p.clone()),
                    None => crate::finding::Subject::Text(f.value.clone()),
                },
                f.via.clone(),
                format!(
                    "the CA's `{}` (section `{}`{at}) is not in the working tree; vigil checks that it exists and never reads it",
                    f.key, f.section
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::file_path;

    #[test]
    fn uris_name_no_file() {
        assert_eq!(file_path(b"ca/key.pem"), Some(&b"ca/key.pem"[..]));
        assert_eq!(file_path(b"/srv/ca/key.pem"), Some(&b"/srv/ca/key.pem"[..]));
        assert_eq!(file_path(b"file:///srv/k.pem"), Some(&b"/srv/k.pem"[..]));
        assert_eq!(file_path(b"pkcs11:token=ca;object=k"), None);
        assert_eq!(file_path(b"engine:k"), None);
    }
}
