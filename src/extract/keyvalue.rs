//! `key=value` reference extraction, read as `java.util.Properties.load` reads a file: Dogtag's
//! `CS.cfg` and EJBCA's `conf/*.properties` are read by Java with these rules.
//!
//! A line starting with `#` or `!` is a comment; the key ends at the first unescaped `=`, `:` or
//! blank; a line ending in an odd number of backslashes continues on the next (whose leading blanks
//! are dropped); `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes and any other escaped character is
//! itself. When a key is set twice the last assignment wins, as in `Properties`, so only that one is a
//! reference. A malformed `\uXXXX` makes Java throw, so it is a finding here.

use super::{Found, Malformed};

/// One selector: a key whose `.`-separated parts may be `*` (`profile.*.config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    parts: Vec<String>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!(
                "`{text}` is not a key selector: write a key such as `profile.*.config` (`*` stands for one `.`-separated part)"
            ));
        }
        if let Some(p) = text.split('.').find(|p| p.contains('*') && *p != "*") {
            return Err(format!(
                "`{text}`: `*` stands for a whole `.`-separated part, not part of one (`{p}`)"
            ));
        }
        Ok(Selector {
            parts: text.split('.').map(str::to_string).collect(),
        })
    }

    fn matches(&self, key: &str) -> bool {
        let parts: Vec<&str> = key.split('.').collect();
        parts.len() == self.parts.len()
            && self
                .parts
                .iter()
                .zip(&parts)
                .all(|(s, k)| s == "*" || s == k)
    }
}

/// One assignment: its line, key and value.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub line: u32,
    pub key: String,
    pub value: String,
}

/// Every value whose key a selector names, the last assignment of each key only.
pub fn extract(selectors: &[Selector], content: &[u8]) -> Result<Vec<Found>, Malformed> {
    let entries = parse(content)?;
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let last = entries[i + 1..].iter().all(|later| later.key != e.key);
        if last && !e.value.is_empty() && selectors.iter().any(|s| s.matches(&e.key)) {
            out.push(Found {
                line: e.line,
                at: e.key.clone(),
                value: e.value.clone(),
            });
        }
    }
    Ok(out)
}

/// Every assignment of the file, in order. Bytes are read as ISO-8859-1 unless the file is UTF-8.
pub fn parse(content: &[u8]) -> Result<Vec<Entry>, Malformed> {
    let text = match std::str::from_utf8(content) {
        Ok(t) => t.to_string(),
        Err(_) => content.iter().map(|&b| b as char).collect(),
    };
    let mut entries = Vec::new();
    for (line, logical) in logical_lines(&text) {
        if let Some((key, value)) = split_entry(&logical) {
            entries.push(Entry {
                line,
                key: unescape(key, line)?,
                value: unescape(value, line)?,
            });
        }
    }
    Ok(entries)
}

/// Joins continued lines; each logical line with the number of its first physical line. Comments
/// and blank lines are dropped (a comment never continues).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start_matches([' ', '\t', '\x0c']);
        let (start, mut acc) = match pending.take() {
            Some(p) => p,
            None if trimmed.is_empty() || trimmed.starts_with(['#', '!']) => continue,
            None => (i as u32 + 1, String::new()),
        };
        let backslashes = trimmed.len() - trimmed.trim_end_matches('\\').len();
        if backslashes % 2 == 1 {
            acc.push_str(&trimmed[..trimmed.len() - 1]);
            pending = Some((start, acc));
        } else {
            acc.push_str(trimmed);
            out.push((start, acc));
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

/// The raw key and value of a logical line.
fn split_entry(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' | b' ' | b'\t' | b'\x0c' => break,
            _ => i += 1,
        }
    }
    let i = i.min(bytes.len());
    let key = &line[..i];
    let mut rest = line[i..].trim_start_matches([' ', '\t', '\x0c']);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches([' ', '\t', '\x0c']);
    }
    (!key.is_empty()).then_some((key, rest))
}

fn unescape(s: &str, line: u32) -> Result<String, Malformed> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let c = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| Malformed {
                        line,
                        column: None,
                        message: format!("malformed \\uxxxx encoding: `\\u{hex}`"),
                    })?;
                out.push(c);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(selectors: &[&str], text: &str) -> Vec<String> {
        super::super::run_with(Selector::parse, extract, selectors, text, true)
    }

    #[test]
    fn java_properties_rules() {
        let text = "# comment \\\nprofile.caServerCert.config=/var/lib/a.cfg\n  profile.caUserCert.config : b\\\n    .cfg\n! x\nprofile.x.class_id=caEnrollImpl\nprofile.sub.ca.config=c\nprofile.caServerCert.config=/var/lib/new.cfg\nprofile.e.config=\nprofile.u.config c\\u0041t\\:d";
        assert_eq!(
            run(&["profile.*.config"], text),
            [
                "3:profile.caUserCert.config=b.cfg",
                "8:profile.caServerCert.config=/var/lib/new.cfg",
                "10:profile.u.config=cAt:d",
            ]
        );
    }

    #[test]
    fn selectors_are_checked() {
        assert!(Selector::parse("profile.ca*.config").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("a b").is_err());
    }

    #[test]
    fn malformed_unicode_escape_is_reported_with_its_line() {
        let e = extract(&[], b"a=1\nb=\\u00zz\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("malformed \\uxxxx"), "{}", e.message);
    }
}
