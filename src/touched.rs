//! Which profiles a set of changed paths can matter to, judged from the profiles' declared patterns
//! and approved manifests alone (no inventory): the rule the Subversion hook applies per commit and
//! the git hooks' fast path applies to staged and pushed changes.

use crate::check;
use crate::config::Config;
use crate::path::WsPath;
use std::collections::HashSet;
use std::path::Path;

/// One changed path of the commit, relative to a workspace.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) path: WsPath,
    pub(crate) is_dir: bool,
    /// Added or replaced: a path the previous revision did not have, which an unchanged profile can
    /// pick up through a folder listing, a glob or a reference that now resolves.
    pub(crate) added: bool,
}

/// Whether a change can alter what `profile` references or its approval.
pub(crate) fn profile_touched(
    cfg: &Config,
    name: &str,
    manifest: Option<&check::ManifestInfo>,
    changes: &[Change],
) -> bool {
    let manifest_path = WsPath::normalize(Path::new(&cfg.manifest_path(name)));
    let profile = &cfg.profiles[name];
    let entries: Vec<&WsPath> = manifest
        .map(|m| m.manifest.components.iter().map(|e| &e.path).collect())
        .unwrap_or_default();
    // A change is on a component when it is one, or beside one (something new beside a component:
    // a folder include, a glob, a reference now satisfied), or a folder above one. The first two
    // are set lookups, so that a commit of many files costs one pass.
    let folders: HashSet<WsPath> = entries.iter().map(|e| e.parent()).collect();
    let exact: HashSet<&WsPath> = entries.iter().copied().collect();
    changes.iter().any(|c| {
        // The manifest itself, or a folder above it (`svn rm approved`): the approval changes.
        let approval = manifest_path
            .as_ref()
            .is_some_and(|m| m.starts_with(&c.path));
        if approval
            || exact.contains(&c.path)
            || folders.contains(&c.path.parent())
            || (c.is_dir && entries.iter().any(|e| e.starts_with(&c.path)))
        {
            return true;
        }
        profile.components.iter().any(|pattern| {
            let trimmed = pattern.trim_end_matches('/');
            let literal: Vec<&str> = trimmed
                .split('/')
                .take_while(|part| !part.contains(['*', '?', '[', '{']))
                .collect();
            let Some(lit) = WsPath::normalize(Path::new(&literal.join("/"))) else {
                return true;
            };
            c.path.starts_with(&lit) || lit.starts_with(&c.path)
        })
    })
}
