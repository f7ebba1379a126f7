//! Structured reference extractors: the paths that JSON, `key=value` and XML components name in the
//! fields a profile selects, read as the CA software reads those files.
//!
//! A regex over lines cannot tell `"crt": "x"` in step-ca's `ca.json` from the same text in a comment
//! or a template, nor follow `/authority/provisioners/*/options/x509/templateFile`; these extractors
//! parse the file and walk its structure. Extraction is pure: bytes in, [`Found`] values (with the
//! line they sit on) or a [`Malformed`] error out; the inventory resolves the values as paths.

pub mod json;
pub mod keyvalue;
pub mod xml;

/// A value a selector found: a path as the software would read it, before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// 1-based line of the value in the file.
    pub line: u32,
    /// Where in the structure it was found, concrete (`/authority/provisioners/0/options/x509/templateFile`,
    /// `profile.caServerCert.config`, `/java/object/void[@method='put']/string[2]`).
    pub at: String,
    /// The value, decoded (JSON escapes, `\uXXXX` in properties, XML entities).
    pub value: String,
}

/// An extractor: its selectors and a file's bytes in, the values found out.
#[cfg(test)]
type Extractor<S> = fn(&[S], &[u8]) -> Result<Vec<Found>, Malformed>;

/// One extractor's test run: `selectors` parsed with `parse`, `text` searched with `extract`, and each
/// found value described (see [`describe`]).
#[cfg(test)]
pub(crate) fn run_with<S>(
    parse: fn(&str) -> Result<S, String>,
    extract: Extractor<S>,
    selectors: &[&str],
    text: &str,
    with_at: bool,
) -> Vec<String> {
    let s: Vec<S> = selectors.iter().map(|s| parse(s).unwrap()).collect();
    describe(extract(&s, text.as_bytes()), with_at)
}

/// Each found value as `LINE:AT=VALUE` (or `LINE:VALUE` without `at`), for the extractors' tests.
#[cfg(test)]
pub(crate) fn describe(found: Result<Vec<Found>, Malformed>, with_at: bool) -> Vec<String> {
    found
        .unwrap()
        .iter()
        .map(|f| match with_at {
            true => format!("{}:{}={}", f.line, f.at, f.value),
            false => format!("{}:{}", f.line, f.value),
        })
        .collect()
}

/// A file the software could not read either: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: u32,
    pub column: Option<u32>,
    pub message: String,
}

/// The compiled selectors of one `[[profiles.NAME.references]]` entry of a structured kind.
#[derive(Debug, Clone)]
pub enum Selectors {
    Json(Vec<json::Selector>),
    KeyValue(Vec<keyvalue::Selector>),
    Xml(Vec<xml::Selector>),
}

impl Selectors {
    /// The name of the format, as written in `vigil.toml` and in reference chains.
    pub fn format(&self) -> &'static str {
        match self {
            Selectors::Json(_) => "json",
            Selectors::KeyValue(_) => "kv",
            Selectors::Xml(_) => "xml",
        }
    }

    /// Every value the selectors name in `content`, in file order; or why the file cannot be parsed.
    pub fn extract(&self, content: &[u8]) -> Result<Vec<Found>, Malformed> {
        let mut found = match self {
            Selectors::Json(s) => json::extract(s, content)?,
            Selectors::KeyValue(s) => keyvalue::extract(s, content)?,
            Selectors::Xml(s) => xml::extract(s, content)?,
        };
        found.sort_by(|a, b| (a.line, &a.at).cmp(&(b.line, &b.at)));
        found.dedup();
        Ok(found)
    }
}

/// 1-based line of byte offset `at` in `content`.
pub(crate) fn line_of(content: &[u8], at: usize) -> u32 {
    let end = at.min(content.len());
    content[..end].iter().filter(|&&b| b == b'\n').count() as u32 + 1
}
