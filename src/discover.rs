//! Reference discovery by user references: finding the paths that one component refers to.
//!
//! A profile's `references` are regexes whose first capture group is a path (`-config\s+(\S+)` in a
//! script), or selectors of the JSON, `key=value` or XML fields that hold paths ([`crate::extract`]).
//! Extraction is pure: it turns the bytes of one file into [`Reference`]s; the inventory
//! resolves them. OpenSSL's own `.include` is not a pattern: the inventory runs the OpenSSL loader
//! ([`crate::openssl`]) over each OpenSSL file a profile reaches, as OpenSSL loads it.

use crate::config::{Matcher, Profile, RelativeTo, UserReference};
use crate::path::WsPath;

/// A path found inside a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// 1-based line number in the referencing file.
    pub line: u32,
    /// `references[N]`.
    pub by: String,
    /// The path exactly as written.
    pub raw: Vec<u8>,
    /// How to resolve a relative `raw`.
    pub base: Base,
}

/// What a relative reference is relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The referencing file's folder.
    File,
    /// The workspace.
    Workspace,
    /// A folder of the workspace: the software's own folder (`dir`).
    Dir(WsPath),
}

/// Whether any of the profile's patterns applies to the component at `path`.
pub fn applies(profile: &Profile, path: &WsPath) -> bool {
    profile
        .references
        .iter()
        .any(|r| r.files.as_ref().is_none_or(|g| g.is_match(path.as_path())))
}

/// What one file yields: the references found, and why a structured extractor could not read it.
#[derive(Debug, Default)]
pub struct Extraction {
    pub references: Vec<Reference>,
    /// A file a `json`, `kv` or `xml` extractor cannot parse: `(extractor, error)`.
    pub malformed: Vec<(String, crate::extract::Malformed)>,
}

/// Extracts every reference from the bytes of the component at `path`. Every byte is scanned by the
/// patterns, binary or not: a pattern that matches is a reference wherever it is. The structured
/// extractors parse the file as its software does, and report a file they cannot parse.
pub fn extract(profile: &Profile, path: &WsPath, content: &[u8]) -> Extraction {
    let mut out = Extraction::default();
    let users: Vec<(usize, &UserReference)> = profile
        .references
        .iter()
        .enumerate()
        .filter(|(_, r)| r.files.as_ref().is_none_or(|g| g.is_match(path.as_path())))
        .collect();
    for (n, r) in users {
        let base = base_of(r);
        match &r.matcher {
            Matcher::Pattern(re) => {
                for (line, raw) in pattern_matches(re, content) {
                    out.references.push(Reference {
                        line,
                        by: format!("references[{n}]"),
                        raw,
                        base: base.clone(),
                    });
                }
            }
            Matcher::Structured(sel) => match sel.extract(content) {
                Ok(found) => out.references.extend(found.into_iter().map(|f| Reference {
                    line: f.line,
                    by: format!("{} {}", sel.format(), f.at),
                    raw: f.value.into_bytes(),
                    base: base.clone(),
                })),
                Err(e) => out.malformed.push((sel.format().to_string(), e)),
            },
        }
    }
    out
}

fn base_of(r: &UserReference) -> Base {
    match (&r.dir, r.relative_to) {
        (Some(d), _) => Base::Dir(d.clone()),
        (None, RelativeTo::File) => Base::File,
        (None, RelativeTo::Workspace) => Base::Workspace,
    }
}

/// Every non-empty first capture group of `re` in each line, with its line number.
fn pattern_matches(re: &regex::bytes::Regex, content: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, line) in content.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        for caps in re.captures_iter(line) {
            if let Some(m) = caps.get(1).filter(|m| !m.as_bytes().is_empty()) {
                out.push(((i + 1) as u32, m.as_bytes().to_vec()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn profile(extra: &str) -> Profile {
        let c = crate::config::parse(Path::new("v"), &format!("[profiles.p]\n{extra}")).unwrap();
        c.profiles["p"].clone()
    }

    fn raws(refs: &[Reference]) -> Vec<String> {
        refs.iter()
            .map(|r| format!("{}:{}", r.line, String::from_utf8_lossy(&r.raw)))
            .collect()
    }

    #[test]
    fn openssl_include_is_not_a_pattern() {
        let p = profile("follow = [\"openssl-include\"]");
        assert!(
            extract(&p, &WsPath::from_normal_bytes(b"x"), b".include a\n")
                .references
                .is_empty()
        );
    }

    #[test]
    fn binary_content_is_scanned_too() {
        let p = profile("[[profiles.p.references]]\npattern = '-config (\\S+)'\n");
        let r = extract(
            &p,
            &WsPath::from_normal_bytes(b"x"),
            b"\0\x01\n-config a.cnf\n",
        )
        .references;
        assert_eq!(raws(&r), ["2:a.cnf"]);
    }

    #[test]
    fn user_patterns_with_files_filter() {
        let p = profile(
            "[[profiles.p.references]]\npattern = '^template\\s*=\\s*(\\S+)'\nfiles = \"*.tmpl\"\n",
        );
        let text = b"template = ext/a.der\nother\ntemplate=b\n";
        let r = extract(&p, &WsPath::from_normal_bytes(b"dir/x.tmpl"), text).references;
        assert_eq!(raws(&r), ["1:ext/a.der", "3:b"]);
        assert_eq!(r[0].base, Base::File);
        assert!(extract(&p, &WsPath::from_normal_bytes(b"x.cnf"), text)
            .references
            .is_empty());
    }
}
