//! Workspace-relative paths that survive any file name, including names that are not UTF-8.
//!
//! A [`WsPath`] holds the raw bytes of a path relative to the workspace root, with `/` as separator and
//! no `.` or `..` parts. It is written in text formats (manifests, JSON) as a string in which every byte
//! that is not part of valid UTF-8, and every control character (a newline, an escape), is written `\xNN`
//! and a backslash is written `\\`, so that a manifest can name any file and read back to exactly the
//! same bytes, and a file name can never forge a line or a colour in a report.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// A normalised path relative to the workspace root.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WsPath(Vec<u8>);

impl WsPath {
    /// The workspace root itself.
    pub fn root() -> Self {
        WsPath(Vec::new())
    }

    /// Builds a path from raw bytes that are already normalised (no `.`, `..` or empty parts).
    pub fn from_normal_bytes(bytes: &[u8]) -> Self {
        WsPath(bytes.to_vec())
    }

    /// Normalises a relative path, resolving `.` and `..` lexically. Returns `None` when the path is
    /// absolute or climbs above the root.
    pub fn normalize(rel: &Path) -> Option<Self> {
        let mut parts: Vec<&[u8]> = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(p) => parts.push(p.as_bytes()),
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop()?;
                }
                Component::RootDir | Component::Prefix(_) => return None,
            }
        }
        Some(WsPath(parts.join(&b'/')))
    }

    /// Joins a relative path onto this one, resolving `.` and `..`; `None` when it climbs above the root.
    pub fn join(&self, rel: &Path) -> Option<Self> {
        if rel.is_absolute() {
            return None;
        }
        let mut base = self.to_path_buf();
        base.push(rel);
        WsPath::normalize(&base)
    }

    /// Appends one file name.
    pub fn child(&self, name: &OsStr) -> Self {
        let mut v = self.0.clone();
        if !v.is_empty() {
            v.push(b'/');
        }
        v.extend_from_slice(name.as_bytes());
        WsPath(v)
    }

    /// The folder holding this path (the root for a top-level name).
    pub fn parent(&self) -> WsPath {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => WsPath(self.0[..i].to_vec()),
            None => WsPath::root(),
        }
    }

    /// The folders above the path, outermost first, without the root: `a`, `a/b` for `a/b/c`.
    pub fn ancestors(&self) -> Vec<WsPath> {
        let mut out = Vec::new();
        let mut a = self.parent();
        while !a.is_root() {
            let next = a.parent();
            out.push(a);
            a = next;
        }
        out.reverse();
        out
    }

    /// The last part of the path.
    pub fn file_name(&self) -> &OsStr {
        let start = self.0.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
        OsStr::from_bytes(&self.0[start..])
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.0))
    }

    pub fn to_path_buf(&self) -> PathBuf {
        self.as_path().to_path_buf()
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &WsPath) -> bool {
        other.is_root()
            || (self.0.starts_with(&other.0)
                && (self.0.len() == other.0.len() || self.0[other.0.len()] == b'/'))
    }

    /// The path relative to `base`, when it lies below it.
    pub fn strip_prefix(&self, base: &WsPath) -> Option<WsPath> {
        if base.is_root() {
            return Some(self.clone());
        }
        if self.starts_with(base) && self.0.len() > base.0.len() {
            Some(WsPath(self.0[base.0.len() + 1..].to_vec()))
        } else {
            None
        }
    }

    /// The escaped text form (see the module documentation).
    pub fn escaped(&self) -> String {
        escape_bytes(&self.0)
    }

    /// Parses the escaped text form.
    pub fn parse_escaped(s: &str) -> Result<Self, String> {
        let bytes = unescape(s)?;
        let p = WsPath::normalize(Path::new(OsStr::from_bytes(&bytes)))
            .ok_or_else(|| format!("path `{s}` is absolute or climbs above the workspace"))?;
        if p.as_bytes() != bytes.as_slice() {
            return Err(format!(
                "path `{s}` is not in normal form (expected `{}`)",
                p.escaped()
            ));
        }
        Ok(p)
    }
}

/// Escapes bytes as described in the module documentation.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch == '\\' {
                out.push_str("\\\\");
            } else if ch.is_control() && (ch as u32) < 0x100 {
                // A newline or an escape sequence in a file name must not forge lines or colours
                // in a report: control characters are written as their bytes, like invalid UTF-8.
                let mut buf = [0u8; 4];
                for b in ch.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            } else {
                out.push(ch);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Free text from a manifest or the configuration (`approved-by`, `reason`, a description) as a
/// report shows it: control characters (newlines, escape sequences) written `\u{..}`, so that the text
/// cannot forge report lines or terminal colours. Everything else is kept.
pub fn escape_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        if ch.is_control() {
            out.push_str(&ch.escape_unicode().to_string());
        } else {
            out.push(ch);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'\\') => {
                    out.push(b'\\');
                    i += 2;
                }
                Some(b'x') => {
                    let hex = s
                        .get(i + 2..i + 4)
                        .ok_or_else(|| format!("bad escape in path `{s}`"))?;
                    let v = u8::from_str_radix(hex, 16)
                        .map_err(|_| format!("bad escape `\\x{hex}` in path `{s}`"))?;
                    out.push(v);
                    i += 4;
                }
                _ => {
                    return Err(format!(
                        "bad escape in path `{s}` (write a backslash as `\\\\`)"
                    ))
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

impl fmt::Display for WsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(".")
        } else {
            f.write_str(&self.escaped())
        }
    }
}

impl fmt::Debug for WsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.escaped())
    }
}

impl serde::Serialize for WsPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.escaped())
    }
}

impl<'de> serde::Deserialize<'de> for WsPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        WsPath::parse_escaped(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for WsPath {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WsPath".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A path relative to the workspace root, `/`-separated. Bytes that are not valid UTF-8 are written `\\xNN`, a backslash `\\\\`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_outermost_first() {
        let p = WsPath::from_normal_bytes(b"a/b/c.cnf");
        let got: Vec<_> = p.ancestors().iter().map(|a| a.escaped()).collect();
        assert_eq!(got, ["a", "a/b"]);
        assert!(WsPath::from_normal_bytes(b"top.cnf").ancestors().is_empty());
    }

    #[test]
    fn normalize_rejects_escape() {
        assert_eq!(
            WsPath::normalize(Path::new("a/../b")).unwrap().escaped(),
            "b"
        );
        assert!(WsPath::normalize(Path::new("../b")).is_none());
        assert!(WsPath::normalize(Path::new("/etc/passwd")).is_none());
        assert_eq!(
            WsPath::normalize(Path::new("./a/./b/")).unwrap().escaped(),
            "a/b"
        );
    }

    #[test]
    fn escaping_round_trips_non_utf8() {
        let p = WsPath::from_normal_bytes(b"dir/caf\xe9\\x.cnf");
        let s = p.escaped();
        assert_eq!(s, "dir/caf\\xe9\\\\x.cnf");
        assert_eq!(WsPath::parse_escaped(&s).unwrap(), p);
        assert!(WsPath::parse_escaped("a\\q").is_err());
        assert!(WsPath::parse_escaped("../x").is_err());
    }

    #[test]
    fn prefix_relations() {
        let a = WsPath::from_normal_bytes(b"ext/a.cnf");
        assert!(a.starts_with(&WsPath::from_normal_bytes(b"ext")));
        assert!(!a.starts_with(&WsPath::from_normal_bytes(b"ex")));
        assert_eq!(a.parent().escaped(), "ext");
        assert_eq!(
            a.strip_prefix(&WsPath::from_normal_bytes(b"ext"))
                .unwrap()
                .escaped(),
            "a.cnf"
        );
    }
}
