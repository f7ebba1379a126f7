//! `vigil diff`: what changed in a stale component since it was approved.
//!
//! The approved bytes are found in version control by their hash (at the commit that last changed the
//! manifest, or at the commit the manifest records), and compared with the file on disk.

use crate::check::{self, Context};
use crate::config::Mode;
use crate::path::WsPath;
use crate::source::{Kind, Source, WorkTree};
use crate::vcs::{ApprovedQuery, Vcs};
use crate::workspace::Workspace;
use crate::Error;
use std::io::Read;
use std::path::Path;

/// The difference of one stale component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A unified diff, approved content first.
    Text(String),
    /// At least one side is not text; only that it differs is said.
    Binary {
        approved_size: u64,
        current_size: u64,
    },
    /// The approved bytes are not in version control any more (or never were committed).
    ApprovedNotFound,
}

/// One stale component and its change.
#[derive(Debug, Clone)]
pub struct FileDiff {
    pub path: WsPath,
    pub approved: String,
    pub current: String,
    pub change: Change,
}

/// A component path as the user typed it, relative to the workspace: a relative path is one already,
/// an absolute one must lead into the workspace folder. Its folders are resolved (the workspace may
/// be reached through a symlink such as `/tmp`), its last name is not: a symlinked component is named
/// by its own path.
fn inside(root: &Path, typed: &Path) -> Option<std::path::PathBuf> {
    if !typed.is_absolute() {
        return Some(typed.to_path_buf());
    }
    let resolved = (|| {
        let root = root.canonicalize().ok()?;
        let name = typed.file_name()?;
        let parent = typed.parent()?.canonicalize().ok()?;
        parent.strip_prefix(&root).ok().map(|rel| rel.join(name))
    })();
    // A folder that no longer exists cannot be resolved: compare the words as typed.
    resolved.or_else(|| typed.strip_prefix(root).ok().map(Path::to_path_buf))
}

/// Diffs the stale components of `profile` (only `paths` when not empty).
pub fn diff(
    ws: &Workspace,
    vcs: &dyn Vcs,
    profile: &str,
    paths: &[String],
) -> Result<Vec<FileDiff>, Error> {
    let source = WorkTree::new(&ws.root);
    let cx = Context::work_tree(ws, &source, vcs, Mode::Nightly);
    let report = check::run(&cx, &[profile.to_string()], &mut |_| {})?;
    let p = &report.profiles[0];
    let Some(m) = &p.manifest else {
        return Err(Error::Usage(format!(
            "profile `{profile}` has no approved manifest yet; there is nothing to diff against"
        )));
    };
    let wanted: Vec<WsPath> = paths
        .iter()
        .map(|s| {
            inside(&ws.root, Path::new(s))
                .and_then(|rel| WsPath::normalize(&rel))
                .ok_or_else(|| Error::Usage(format!("`{s}` is not a path inside the workspace")))
        })
        .collect::<Result<_, _>>()?;
    for w in &wanted {
        if !p.components.iter().any(|c| &c.path == w) {
            return Err(Error::Usage(format!(
                "`{w}` is not a component of profile `{profile}`"
            )));
        }
    }
    let mut out = Vec::new();
    for c in &p.components {
        if !wanted.is_empty() && !wanted.contains(&c.path) {
            continue;
        }
        let (Some(approved), Some(current)) = (&c.approved, &c.blake3) else {
            continue;
        };
        if approved == current {
            continue;
        }
        let old = vcs
            .approved_content(&ApprovedQuery {
                manifest: &m.path,
                recorded: m.manifest.revision.id.as_deref(),
                path: &c.path,
                blake3: approved,
            })
            .map_err(|e| Error::Vcs(e.to_string()))?;
        let new = match &c.kind {
            Kind::Symlink(t) => t.clone(),
            _ => {
                let mut v = Vec::new();
                source
                    .open(&c.path)
                    .and_then(|mut r| r.read_to_end(&mut v))
                    .map_err(|e| Error::io(c.path.to_string(), e))?;
                // Compare like with like: the approved bytes are in repository form.
                match vcs.repository_form(&c.path) {
                    Some(form) => form.to_repository_form(&v),
                    None => v,
                }
            }
        };
        let change = match old {
            None => Change::ApprovedNotFound,
            Some(old) => unified(&old, &new, &c.path),
        };
        out.push(FileDiff {
            path: c.path.clone(),
            approved: approved.clone(),
            current: current.clone(),
            change,
        });
    }
    Ok(out)
}

fn is_text(b: &[u8]) -> bool {
    !b[..b.len().min(8192)].contains(&0) && std::str::from_utf8(b).is_ok()
}

/// A unified diff of two byte strings, or [`Change::Binary`] when either is not text.
pub fn unified(old: &[u8], new: &[u8], path: &WsPath) -> Change {
    if !is_text(old) || !is_text(new) {
        return Change::Binary {
            approved_size: old.len() as u64,
            current_size: new.len() as u64,
        };
    }
    let old = std::str::from_utf8(old).expect("checked");
    let new = std::str::from_utf8(new).expect("checked");
    let d = similar::TextDiff::from_lines(old, new);
    let text = d
        .unified_diff()
        .context_radius(3)
        .header(&format!("approved/{path}"), &format!("disk/{path}"))
        .to_string();
    Change::Text(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary() {
        let p = WsPath::from_normal_bytes(b"v.cnf");
        match unified(b"days = 397\n", b"days = 825\n", &p) {
            Change::Text(t) => {
                assert!(t.contains("-days = 397"));
                assert!(t.contains("+days = 825"));
                assert!(t.starts_with("--- approved/v.cnf"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            unified(b"\0\x01", b"\0\x02\x03", &p),
            Change::Binary {
                approved_size: 2,
                current_size: 3
            }
        );
    }
}
