//! Which Subversion rule ignores a path, in Subversion's own order: the parent folder's `svn:ignore`,
//! then `svn:global-ignores` set on the folder or inherited from an ancestor, then the client
//! configuration's `global-ignores` (or Subversion's default list when the configuration sets none).
//!
//! Patterns are matched as Subversion matches them (`apr_fnmatch`): against the base name only, with `*`,
//! `?` and `[...]` classes, never across a path separator.

use std::collections::HashMap;
use std::path::Path;

/// The client's `global-ignores` when no configuration file sets it (Subversion's built-in list).
const DEFAULT_GLOBAL_IGNORES: &str = "*.o *.lo *.la *.al .libs *.so *.so.[0-9]* *.a *.pyc *.pyo \
    __pycache__ *.rej *~ #*# .#* .*.swp .DS_Store [Tt]humbs.db";

/// The ignore properties of one folder, keyed elsewhere by the folder's workspace-relative path (`.` for
/// the workspace folder), its absolute path (above the workspace) or its URL (above the working copy).
#[derive(Default, Debug)]
pub(super) struct FolderProps {
    pub ignore: Option<String>,
    pub global: Option<String>,
}

/// Reads `svn proplist --xml -v --show-inherited-props` output into `out`. Subversion prints the
/// targets as given (relative) and inherited ones as absolute paths: those under `ws_root` are made
/// relative so that each folder has one key.
pub(super) fn read_proplist(
    doc: &roxmltree::Document,
    ws_root: &Path,
    out: &mut HashMap<String, FolderProps>,
) {
    for t in doc.descendants().filter(|n| n.has_tag_name("target")) {
        let Some(path) = t.attribute("path") else {
            continue;
        };
        let key = relative_key(path, ws_root);
        for p in t.children().filter(|n| n.is_element()) {
            let value = p.text().unwrap_or("").to_string();
            match p.attribute("name") {
                Some("svn:ignore") => out.entry(key.clone()).or_default().ignore = Some(value),
                Some("svn:global-ignores") => {
                    out.entry(key.clone()).or_default().global = Some(value)
                }
                _ => {}
            }
        }
    }
}

fn relative_key(path: &str, ws_root: &Path) -> String {
    match Path::new(path).strip_prefix(ws_root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => path.to_string(),
    }
}

/// The folders whose `svn:global-ignores` apply to a child of `parent` (workspace-relative, `.` for the
/// workspace folder), nearest first: the workspace's own folders, then the absolute folders above the
/// workspace (`ws_root` is absolute), then whatever else was reported (URLs above the working copy).
fn ancestry(parent: &str, ws_root: &Path, props: &HashMap<String, FolderProps>) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = parent.to_string();
    while d != "." {
        out.push(d.clone());
        d = match d.rfind('/') {
            Some(i) => d[..i].to_string(),
            None => ".".into(),
        };
    }
    out.push(".".into());
    if let Some(above) = ws_root.parent() {
        out.extend(above.ancestors().map(|a| a.to_string_lossy().into_owned()));
    }
    let mut urls: Vec<String> = props
        .keys()
        .filter(|k| k.contains("://"))
        .cloned()
        .collect();
    // A longer URL is a deeper folder, so nearer.
    urls.sort_by_key(|u| std::cmp::Reverse(u.len()));
    out.extend(urls);
    out
}

/// The first of the `patterns` (split on `seps`) that matches `name`.
fn first_match<'a>(patterns: &'a str, seps: &[char], name: &str) -> Option<&'a str> {
    patterns
        .split(seps)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .find(|p| {
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .is_ok_and(|g| g.compile_matcher().is_match(name))
        })
}

fn shown(key: &str) -> String {
    if key == "." {
        "the workspace folder".into()
    } else if key.contains("://") {
        key.to_string()
    } else {
        format!("{key}/")
    }
}

/// The rule that ignores workspace-relative `path`, as a phrase for the `ignored` finding.
pub(super) fn rule_for(
    path: &str,
    ws_root: &Path,
    props: &HashMap<String, FolderProps>,
    client: &str,
) -> Option<String> {
    // Both properties hold one pattern a line; the configuration's list is split on white space.
    const LINES: &[char] = &['\n', '\r'];
    const WS: &[char] = &['\n', '\r', '\t', '\x0b', ' '];
    let (parent, name) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (".", path),
    };
    if let Some(ignore) = props.get(parent).and_then(|p| p.ignore.as_deref()) {
        if let Some(pat) = first_match(ignore, LINES, name) {
            return Some(format!("svn:ignore on {}: {pat}", shown(parent)));
        }
    }
    for folder in ancestry(parent, ws_root, props) {
        if let Some(global) = props.get(&folder).and_then(|p| p.global.as_deref()) {
            if let Some(pat) = first_match(global, LINES, name) {
                return Some(format!("svn:global-ignores on {}: {pat}", shown(&folder)));
            }
        }
    }
    first_match(client, WS, name)
        .map(|pat| format!("the Subversion client's global-ignores: {pat}"))
}

/// The client's `global-ignores`: `~/.subversion/config` over `/etc/subversion/config`, else the default.
pub(super) fn client_global_ignores() -> String {
    let user = std::env::var_os("HOME").map(|h| Path::new(&h).join(".subversion/config"));
    let files = user
        .into_iter()
        .chain([Path::new("/etc/subversion/config").to_path_buf()]);
    for f in files {
        if let Some(v) = std::fs::read_to_string(&f)
            .ok()
            .and_then(|t| config_value(&t))
        {
            return v;
        }
    }
    DEFAULT_GLOBAL_IGNORES.to_string()
}

/// `global-ignores` of the `[miscellany]` section of a Subversion configuration file, with its
/// continuation lines (lines that start with white space continue the value).
fn config_value(text: &str) -> Option<String> {
    let mut section = String::new();
    let mut value: Option<String> = None;
    for line in text.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            return value;
        }
        let t = line.trim();
        if t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_string();
        } else if section == "miscellany" && !line.starts_with([' ', '\t']) {
            if let Some((k, v)) = t.split_once(['=', ':']) {
                if k.trim() == "global-ignores" {
                    value = Some(v.trim().to_string());
                }
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_value_reads_the_miscellany_section() {
        let text = "[auth]\nglobal-ignores = no\n[miscellany]\n# global-ignores = x\nglobal-ignores = *.cnf\n  *.bak\nenable-auto-props = yes\n";
        assert_eq!(config_value(text).as_deref(), Some("*.cnf *.bak"));
        assert_eq!(config_value("[miscellany]\n"), None);
    }

    #[test]
    fn patterns_match_the_base_name_with_classes() {
        let ws = Path::new("/w");
        let none = HashMap::new();
        let rule = rule_for("a/x.so.1", ws, &none, DEFAULT_GLOBAL_IGNORES);
        assert_eq!(
            rule.as_deref(),
            Some("the Subversion client's global-ignores: *.so.[0-9]*")
        );
        assert_eq!(
            rule_for("a/Thumbs.db", ws, &none, "[Tt]humbs.db")
                .as_deref()
                .map(|r| r.ends_with("[Tt]humbs.db")),
            Some(true)
        );
        assert_eq!(rule_for("a/x.cnf", ws, &none, "a/*.cnf"), None);
    }

    #[test]
    fn proplist_keys_are_workspace_relative_and_inherited_rules_apply() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<properties>
<target path="/w/top"><inherited_property name="svn:global-ignores">*.tmp
</inherited_property></target>
<target path="/w/top/ws"><inherited_property name="svn:global-ignores">398.*
</inherited_property></target>
<target path="a"><property name="svn:ignore">*.bak
</property></target>
</properties>"#;
        let doc = roxmltree::Document::parse(xml).unwrap();
        let ws = Path::new("/w/top/ws");
        let mut props = HashMap::new();
        read_proplist(&doc, ws, &mut props);
        let rule = |p: &str| rule_for(p, ws, &props, "");
        assert_eq!(rule("a/x.bak").as_deref(), Some("svn:ignore on a/: *.bak"));
        assert_eq!(
            rule("a/398.cnf").as_deref(),
            Some("svn:global-ignores on the workspace folder: 398.*")
        );
        assert_eq!(
            rule("a/x.tmp").as_deref(),
            Some("svn:global-ignores on /w/top/: *.tmp")
        );
        // svn:ignore applies to the folder's own children only.
        assert_eq!(rule("a/b/x.bak"), None);
    }
}
