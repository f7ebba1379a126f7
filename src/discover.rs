//! Reference discovery: finding the paths that one component refers to.
//!
//! Two kinds of extractor: the built-in `openssl-include` (the `.include` / `.import` directives of
//! OpenSSL's config(5), with `.pragma includedir:`), and user regexes whose first capture group is a path.
//! Extraction is pure: it turns the bytes of one file into [`Reference`]s; the inventory resolves them.

use crate::config::{Builtin, Profile, RelativeTo};
use crate::path::WsPath;

/// A path found inside a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// 1-based line number in the referencing file.
    pub line: u32,
    /// `openssl-include` or `references[N]`.
    pub by: String,
    /// The path exactly as written.
    pub raw: Vec<u8>,
    /// How to resolve a relative `raw`.
    pub base: Base,
    /// OpenSSL semantics: a folder is included as its `*.cnf` and `*.conf` files, not recursively.
    pub openssl: bool,
}

/// What a relative reference is relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The referencing file's folder.
    File,
    /// A workspace-relative folder (written as in the file or the configuration).
    Dir(Vec<u8>),
}

/// Extracts every reference from the bytes of the component at `path`.
pub fn extract(profile: &Profile, path: &WsPath, content: &[u8]) -> Vec<Reference> {
    let mut out = Vec::new();
    let openssl = profile.follow.contains(&Builtin::OpensslInclude);
    let users: Vec<(usize, &crate::config::UserReference)> = profile
        .references
        .iter()
        .enumerate()
        .filter(|(_, r)| r.files.as_ref().is_none_or(|g| g.is_match(path.as_path())))
        .collect();
    if !openssl && users.is_empty() {
        return out;
    }
    let mut include_dir: Option<Vec<u8>> = None;
    let mut vars = Vars::default();
    for (i, line) in content.split(|&b| b == b'\n').enumerate() {
        let line_no = (i + 1) as u32;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if openssl {
            match openssl_directive(line) {
                Some(Directive::Include(p)) => out.push(Reference {
                    line: line_no,
                    by: Builtin::OpensslInclude.as_str().into(),
                    raw: vars.expand(&p),
                    base: Base::Dir(
                        include_dir
                            .clone()
                            .unwrap_or_else(|| profile.include_dir.as_bytes().to_vec()),
                    ),
                    openssl: true,
                }),
                Some(Directive::IncludeDir(d)) => include_dir = Some(vars.expand(&d)),
                None => vars.line(line),
            }
        }
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
                            RelativeTo::Workspace => Base::Dir(b".".to_vec()),
                        },
                        openssl: false,
                    });
                }
            }
        }
    }
    out
}

/// The variables of an OpenSSL configuration file as far as it has been read, so that `$name`,
/// `${name}`, `$(name)` and `$section::name` in an `.include` expand as OpenSSL expands them: from the
/// current section, then the default section (the lines before any `[section]`). `$ENV::NAME` and
/// names never assigned stay as written (vigil cannot know the CA software's environment), so such a
/// reference is reported `missing` under its literal name rather than guessed.
#[derive(Debug)]
struct Vars {
    section: Vec<u8>,
    values: std::collections::HashMap<(Vec<u8>, Vec<u8>), Vec<u8>>,
}

impl Default for Vars {
    fn default() -> Self {
        Vars {
            section: b"default".to_vec(),
            values: Default::default(),
        }
    }
}

/// A byte of a variable name in an expansion (OpenSSL's `IS_ALNUM`: letters, digits, `_`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Vars {
    /// Takes note of a `[section]` header or a `name = value` assignment.
    fn line(&mut self, line: &[u8]) {
        let l = trim(line);
        if l.is_empty() || l[0] == b'#' || l[0] == b'.' {
            return;
        }
        if l[0] == b'[' {
            if let Some(end) = l.iter().position(|&b| b == b']') {
                self.section = trim(&l[1..end]).to_vec();
            }
            return;
        }
        let Some(eq) = l.iter().position(|&b| b == b'=') else {
            return;
        };
        let name = trim(&l[..eq]);
        // Assigned names may hold punctuation (`1.organizationName`); such names cannot be expanded
        // anyway, and keeping them does no harm.
        if name.is_empty() || name.iter().any(|b| b.is_ascii_whitespace()) {
            return;
        }
        let mut rest = vec![b' '];
        rest.extend_from_slice(&l[eq + 1..]);
        let Some(value) = directive_value(&rest) else {
            return;
        };
        let value = self.expand(&value);
        let (section, name) = match name.windows(2).position(|w| w == b"::") {
            Some(i) => (name[..i].to_vec(), name[i + 2..].to_vec()),
            None => (self.section.clone(), name.to_vec()),
        };
        self.values.insert((section, name), value);
    }

    fn get(&self, section: Option<&[u8]>, name: &[u8]) -> Option<&Vec<u8>> {
        match section {
            Some(s) => self.values.get(&(s.to_vec(), name.to_vec())),
            None => self
                .values
                .get(&(self.section.clone(), name.to_vec()))
                .or_else(|| self.values.get(&(b"default".to_vec(), name.to_vec()))),
        }
    }

    /// Expands the variables of a value; what cannot be expanded stays as written.
    fn expand(&self, v: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(v.len());
        let mut i = 0;
        while i < v.len() {
            if v[i] != b'$' {
                out.push(v[i]);
                i += 1;
                continue;
            }
            let start = i;
            let (close, mut j) = match v.get(i + 1) {
                Some(b'{') => (Some(b'}'), i + 2),
                Some(b'(') => (Some(b')'), i + 2),
                _ => (None, i + 1),
            };
            let name_start = j;
            while j < v.len() && is_name_byte(v[j]) {
                j += 1;
            }
            let mut section = None;
            let mut name = &v[name_start..j];
            if v[j..].starts_with(b"::") {
                section = Some(name);
                let k = j + 2;
                j = k;
                while j < v.len() && is_name_byte(v[j]) {
                    j += 1;
                }
                name = &v[k..j];
            }
            if let Some(c) = close {
                if v.get(j) != Some(&c) {
                    out.extend_from_slice(&v[start..j]);
                    i = j;
                    continue;
                }
                j += 1;
            }
            match (name.is_empty(), section == Some(b"ENV".as_slice())) {
                (false, false) => match self.get(section, name) {
                    Some(val) => out.extend_from_slice(val),
                    None => out.extend_from_slice(&v[start..j]),
                },
                _ => out.extend_from_slice(&v[start..j.max(start + 1)]),
            }
            i = j.max(start + 1);
        }
        out
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Directive {
    Include(Vec<u8>),
    IncludeDir(Vec<u8>),
}

/// Parses one line of an OpenSSL configuration file for `.include`, `.import` and `.pragma includedir`.
///
/// config(5): `.include [=] pathname`; an `=` after the directive is ignored for compatibility; a `#`
/// starts a comment; the value may be quoted.
fn openssl_directive(line: &[u8]) -> Option<Directive> {
    let line = trim_start(line);
    let rest = if let Some(r) = line.strip_prefix(b".include") {
        r
    } else if let Some(r) = line.strip_prefix(b".import") {
        r
    } else if let Some(r) = line.strip_prefix(b".pragma") {
        let v = directive_value(r)?;
        let v = trim_start(&v).to_vec();
        return v
            .strip_prefix(b"includedir:")
            .map(|d| Directive::IncludeDir(trim(d).to_vec()));
    } else {
        return None;
    };
    let v = directive_value(rest)?;
    if v.is_empty() {
        None
    } else {
        Some(Directive::Include(v))
    }
}

/// The value after a directive name: requires a separator (space, tab or `=`), drops an optional `=`,
/// quotes and a trailing comment.
fn directive_value(rest: &[u8]) -> Option<Vec<u8>> {
    match rest.first() {
        Some(b' ' | b'\t' | b'=') => {}
        _ => return None,
    }
    let mut r = trim_start(rest);
    if let Some(x) = r.strip_prefix(b"=") {
        r = trim_start(x);
    }
    let mut out = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < r.len() {
        let b = r[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => out.push(b),
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#' => break,
            None if b == b'\\' && i + 1 < r.len() => {
                i += 1;
                out.push(r[i]);
            }
            None => out.push(b),
        }
        i += 1;
    }
    Some(trim(&out).to_vec())
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn trim(b: &[u8]) -> &[u8] {
    let b = trim_start(b);
    let n = b
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &b[..b.len() - n]
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
    fn openssl_directives() {
        let p = profile("follow = [\"openssl-include\"]");
        let text = b"# .include commented.cnf\n.include a.cnf\n  .include = b.cnf # note\n.include\t\"c d.cnf\"\n.import e/\n.includex f\n[ sect ]\nkey = .include g\n";
        let r = extract(&p, &WsPath::from_normal_bytes(b"x.cnf"), text);
        assert_eq!(raws(&r), ["2:a.cnf", "3:b.cnf", "4:c d.cnf", "5:e/"]);
        assert!(r
            .iter()
            .all(|r| r.openssl && r.base == Base::Dir(b".".to_vec())));
    }

    #[test]
    fn variables_expand_like_openssl() {
        let p = profile("follow = [\"openssl-include\"]");
        let text =
            b"dir = snippets\nbase = $dir/v # note\n.include $dir/a.cnf\n.include ${base}.cnf\n\
[ ca ]\ndir = ca-local\n.include $(dir)/b.cnf\n.include $default::dir/c.cnf\n\
.include $ENV::HOME/d.cnf\n.include $nope/e.cnf\n.include cost$/f.cnf\n.include $dir.cnf\n";
        let r = extract(&p, &WsPath::from_normal_bytes(b"x.cnf"), text);
        assert_eq!(
            raws(&r),
            [
                "3:snippets/a.cnf",
                "4:snippets/v.cnf",
                "7:ca-local/b.cnf",
                "8:snippets/c.cnf",
                "9:$ENV::HOME/d.cnf",
                "10:$nope/e.cnf",
                "11:cost$/f.cnf",
                "12:ca-local.cnf"
            ]
        );
    }

    #[test]
    fn pragma_includedir_sets_base() {
        let p = profile("follow = [\"openssl-include\"]");
        let r = extract(
            &p,
            &WsPath::from_normal_bytes(b"x.cnf"),
            b".include a.cnf\n.pragma includedir:snippets\n.include b.cnf\n",
        );
        assert_eq!(r[0].base, Base::Dir(b".".to_vec()));
        assert_eq!(r[1].base, Base::Dir(b"snippets".to_vec()));
    }

    #[test]
    fn nothing_without_follow() {
        let p = profile("");
        assert!(extract(&p, &WsPath::from_normal_bytes(b"x"), b".include a\n").is_empty());
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
