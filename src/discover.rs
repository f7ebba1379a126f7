//! Reference discovery by user patterns: finding the paths that one component refers to.
//!
//! A profile's `references` are regexes whose first capture group is a path (`-config\s+(\S+)` in a
//! script). Extraction is pure: it turns the bytes of one file into [`Reference`]s; the inventory
//! resolves them. OpenSSL's own `.include` is not a pattern: the inventory runs the OpenSSL loader
//! ([`crate::openssl`]) over each OpenSSL file a profile reaches, as OpenSSL loads it.

use crate::config::{Profile, RelativeTo};
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
}

/// Whether any of the profile's patterns applies to the component at `path`.
pub fn applies(profile: &Profile, path: &WsPath) -> bool {
    profile
        .references
        .iter()
        .any(|r| r.files.as_ref().is_none_or(|g| g.is_match(path.as_path())))
}

/// Extracts every reference from the bytes of the component at `path`. Every byte is scanned, binary
/// or not: a pattern that matches is a reference wherever it is.
pub fn extract(profile: &Profile, path: &WsPath, content: &[u8]) -> Vec<Reference> {
    let mut out = Vec::new();
    let users: Vec<(usize, &crate::config::UserReference)> = profile
        .references
        .iter()
        .enumerate()
        .filter(|(_, r)| r.files.as_ref().is_none_or(|g| g.is_match(path.as_path())))
        .collect();
    if users.is_empty() {
        return out;
    }
    for (i, line) in content.split(|&b| b == b'\n').enumerate() {
        let line_no = (i + 1) as u32;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        for (n, r) in &users {
            for caps in r.pattern.captures_iter(line) {
                if let Some(m) = caps.get(1) {
                    if m.as_bytes().is_empty() {
                        continue;
                    }
                    out.push(Reference {
                        line: line_no,
                        by: format!("references[{n}]"),
                        raw: m.as_bytes().to_vec(),
                        base: match r.relative_to {
                            RelativeTo::File => Base::File,
                            RelativeTo::Workspace => Base::Workspace,
                        },
                    });
                }
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
        assert!(extract(&p, &WsPath::from_normal_bytes(b"x"), b".include a\n").is_empty());
    }

    #[test]
    fn binary_content_is_scanned_too() {
        let p = profile("[[profiles.p.references]]\npattern = '-config (\\S+)'\n");
        let r = extract(
            &p,
            &WsPath::from_normal_bytes(b"x"),
            b"\0\x01\n-config a.cnf\n",
        );
        assert_eq!(raws(&r), ["2:a.cnf"]);
    }

    #[test]
    fn user_patterns_with_files_filter() {
        let p = profile(
            "[[profiles.p.references]]\npattern = '^template\\s*=\\s*(\\S+)'\nfiles = \"*.tmpl\"\n",
        );
        let text = b"template = ext/a.der\nother\ntemplate=b\n";
        let r = extract(&p, &WsPath::from_normal_bytes(b"dir/x.tmpl"), text);
        assert_eq!(raws(&r), ["1:ext/a.der", "3:b"]);
        assert_eq!(r[0].base, Base::File);
        assert!(extract(&p, &WsPath::from_normal_bytes(b"x.cnf"), text).is_empty());
    }
}
