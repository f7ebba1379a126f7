//! Subversion's content translation: `svn:keywords` and `svn:eol-style`.
//!
//! A file with either property has different bytes in the working copy (keywords expanded, line endings
//! as the style asks) and in the repository ("normal form": keywords contracted to `$Id$`, line endings
//! LF for `native`, the fixed ending for `LF`, `CRLF`, `CR`). vigil hashes such a component in its
//! **repository normal form**, computed here from the working file exactly as `svn commit` does, so that
//! `vigil check` in a working copy and `vigil svn-pre-commit` (which reads the repository form through
//! `svnlook cat`) agree on one hash. Files without these properties are hashed byte for byte.
//!
//! The contraction follows Subversion's `libsvn_subr/subst.c`: a keyword is `$Name$`, `$Name: value $`,
//! `$Name:$` or the fixed-width `$Name:: value $` (`#$` when truncated), at most 255 bytes, on one line;
//! only the names the property enables (with their aliases) are contracted.

/// Longest keyword text, both `$` included (`SVN_KEYWORD_MAX_LEN`).
const KEYWORD_MAX_LEN: usize = 255;

/// How one file's working-copy bytes become its repository bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subst {
    /// The `svn:keywords` value, when set.
    pub keywords_prop: Option<String>,
    /// The `svn:eol-style` value, when set.
    pub eol_prop: Option<String>,
    /// Keyword names to contract, with aliases expanded.
    names: Vec<Vec<u8>>,
    /// The repository's line ending, when the eol style is one Subversion knows.
    eol: Option<&'static [u8]>,
}

impl Subst {
    /// The translation for a file's properties; `None` when neither property changes its bytes.
    pub fn from_props(keywords: Option<&str>, eol_style: Option<&str>) -> Option<Subst> {
        let names = keywords.map(keyword_names).unwrap_or_default();
        let eol = eol_style.and_then(|s| match s.trim() {
            "native" | "LF" => Some(&b"\n"[..]),
            "CRLF" => Some(&b"\r\n"[..]),
            "CR" => Some(&b"\r"[..]),
            _ => None,
        });
        if names.is_empty() && eol.is_none() {
            return None;
        }
        Some(Subst {
            keywords_prop: keywords.map(str::to_string).filter(|_| !names.is_empty()),
            eol_prop: eol_style.map(str::to_string).filter(|_| eol.is_some()),
            names,
            eol,
        })
    }

    /// Says what is translated, for messages: "svn:keywords `Id` contracted, svn:eol-style `native` as LF".
    pub fn note(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = &self.keywords_prop {
            parts.push(format!("svn:keywords `{}` contracted", k.trim()));
        }
        if let (Some(e), Some(eol)) = (&self.eol_prop, self.eol) {
            let name = match eol {
                b"\n" => "LF",
                b"\r\n" => "CRLF",
                _ => "CR",
            };
            parts.push(format!(
                "svn:eol-style `{}` line endings as {name}",
                e.trim()
            ));
        }
        format!(
            "hashed in Subversion's repository form ({})",
            parts.join(", ")
        )
    }

    /// The repository normal form of working-copy bytes.
    pub fn to_repository_form(&self, bytes: &[u8]) -> Vec<u8> {
        let contracted = if self.names.is_empty() {
            bytes.to_vec()
        } else {
            self.contract(bytes)
        };
        match self.eol {
            Some(eol) => normalize_eol(&contracted, eol),
            None => contracted,
        }
    }

    fn contract(&self, b: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                out.push(b[i]);
                i += 1;
                continue;
            }
            // The closing `$` on the same line, within the length limit.
            let end = (i + KEYWORD_MAX_LEN).min(b.len());
            let close = b[i + 1..end]
                .iter()
                .position(|&c| c == b'$' || c == b'\n' || c == b'\r')
                .map(|p| i + 1 + p)
                .filter(|&j| b[j] == b'$');
            match close {
                Some(j) => match self.contract_one(&b[i..=j]) {
                    Some(c) => {
                        out.extend_from_slice(&c);
                        i = j + 1;
                    }
                    None => {
                        // Not a keyword: the closing `$` may open the next one.
                        out.extend_from_slice(&b[i..j]);
                        i = j;
                    }
                },
                None => {
                    out.push(b'$');
                    i += 1;
                }
            }
        }
        out
    }

    /// Contracts one `$...$` text, or `None` when it is not an enabled keyword.
    fn contract_one(&self, buf: &[u8]) -> Option<Vec<u8>> {
        let len = buf.len();
        let name_end = buf[1..len - 1]
            .iter()
            .position(|&c| c == b':')
            .map_or(len - 1, |p| p + 1);
        let name = &buf[1..name_end];
        if !self.names.iter().any(|n| n == name) {
            return None;
        }
        let n = name.len();
        if len < n + 2 {
            return None;
        }
        let rest = &buf[1 + n..];
        // Fixed width: `$Name:: value $` keeps its width, the value blanked.
        if rest.len() >= 3
            && rest[0] == b':'
            && rest[1] == b':'
            && rest[2] == b' '
            && (buf[len - 2] == b' ' || buf[len - 2] == b'#')
            && 6 + n < len
        {
            let mut out = buf[..n + 3].to_vec();
            out.resize(len - 1, b' ');
            out.push(b'$');
            return Some(out);
        }
        if rest[0] == b'$' {
            return Some(buf.to_vec());
        }
        let expanded = (len >= 4 + n && rest[0] == b':' && rest[1] == b' ' && buf[len - 2] == b' ')
            || (len >= 3 + n && rest[0] == b':' && rest.get(1) == Some(&b'$'));
        if expanded {
            let mut out = vec![b'$'];
            out.extend_from_slice(name);
            out.push(b'$');
            return Some(out);
        }
        None
    }
}

/// The keyword names a `svn:keywords` value enables, with Subversion's aliases.
fn keyword_names(prop: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<&str> = Vec::new();
    for word in prop.split([' ', '\t', '\n', '\r', '\x0b', '\x0c']) {
        if word.is_empty() {
            continue;
        }
        let eq = |s: &str| word == s;
        let ci = |s: &str| word.eq_ignore_ascii_case(s);
        if let Some((custom, _format)) = word.split_once('=') {
            out.push(custom);
        } else if eq("LastChangedRevision") || eq("Revision") || ci("Rev") {
            out.extend(["LastChangedRevision", "Revision", "Rev"]);
        } else if eq("LastChangedDate") || ci("Date") {
            out.extend(["LastChangedDate", "Date"]);
        } else if eq("LastChangedBy") || ci("Author") {
            out.extend(["LastChangedBy", "Author"]);
        } else if eq("HeadURL") || ci("URL") {
            out.extend(["HeadURL", "URL"]);
        } else if ci("Id") {
            out.push("Id");
        } else if ci("Header") {
            out.push("Header");
        }
    }
    out.sort_unstable();
    out.dedup();
    out.into_iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// Every line ending (CRLF, CR, LF) written as `eol`.
fn normalize_eol(b: &[u8], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' => {
                out.extend_from_slice(eol);
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            b'\n' => {
                out.extend_from_slice(eol);
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

impl crate::vcs::RepositoryForm for Subst {
    fn to_repository_form(&self, bytes: &[u8]) -> Vec<u8> {
        Subst::to_repository_form(self, bytes)
    }

    fn note(&self) -> String {
        Subst::note(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(prop: &str, text: &str) -> String {
        let s = Subst::from_props(Some(prop), None).expect("keywords");
        String::from_utf8(s.to_repository_form(text.as_bytes())).unwrap()
    }

    #[test]
    fn contracts_enabled_keywords_only() {
        assert_eq!(
            kw("Id", "x $Id: a.cnf 2 2020-09-01 root $ $Rev: 3 $\n"),
            "x $Id$ $Rev: 3 $\n"
        );
        assert_eq!(
            kw("Revision", "$Rev: 3 $ $LastChangedRevision: 3 $"),
            "$Rev$ $LastChangedRevision$"
        );
        assert_eq!(kw("id", "$Id$ $Id:$"), "$Id$ $Id$");
        assert_eq!(kw("Id", "$Id: no closing space$"), "$Id: no closing space$");
        assert_eq!(kw("Id", "$Id: across\nlines $"), "$Id: across\nlines $");
        assert_eq!(kw("MyKw=%r", "$MyKw: 7 $"), "$MyKw$");
    }

    #[test]
    fn fixed_width_keeps_its_width() {
        for input in ["$Rev:: 12     $", "$Rev:: 1234567#$"] {
            let out = kw("Rev", input);
            assert_eq!(out.len(), input.len(), "{out:?}");
            assert_eq!(out, format!("$Rev::{}$", " ".repeat(input.len() - 7)));
        }
    }

    #[test]
    fn a_dollar_that_is_no_keyword_can_open_the_next() {
        assert_eq!(kw("Id", "cost $5 $Id: x $"), "cost $5 $Id$");
    }

    #[test]
    fn eol_styles() {
        let native = Subst::from_props(None, Some("native")).unwrap();
        assert_eq!(native.to_repository_form(b"a\r\nb\rc\n"), b"a\nb\nc\n");
        let crlf = Subst::from_props(None, Some("CRLF")).unwrap();
        assert_eq!(crlf.to_repository_form(b"a\nb\r\n"), b"a\r\nb\r\n");
        assert!(Subst::from_props(None, Some("bogus")).is_none());
        assert!(Subst::from_props(Some("Nonsense"), None).is_none());
        assert!(native.note().contains("svn:eol-style `native`"));
    }
}
