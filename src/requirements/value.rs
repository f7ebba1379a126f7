//! Where a rule reads a configuration value, and the [`ValueLookup`] seam through which readers supply it.
//!
//! The OpenSSL loader implements [`ValueLookup`] for [`Address::Openssl`]; this module ships readers for
//! JSON profiles (Boulder, step-ca) and `key=value` files.

use std::fmt;

/// Where a value lives in a profile's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// `section.key` in the configuration the profile's OpenSSL load produces. A section written `@ca`
    /// or `@ext` in a rule is resolved per profile before lookup (see `ProfileRequirements`).
    Openssl { section: String, key: String },
    /// A JSON pointer (RFC 6901), such as `/authority/claims/maxTLSCertDuration`.
    Json { pointer: String },
    /// A key of a `key=value` file.
    Kv { key: String },
}

impl Address {
    /// Reads the written form `openssl:SECTION.KEY`, `json:/POINTER` or `kv:KEY`.
    pub fn parse(text: &str) -> Result<Address, String> {
        match text.split_once(':') {
            Some(("openssl", rest)) => Address::openssl(rest),
            Some(("json", rest)) => Address::json(rest),
            Some(("kv", rest)) => Address::kv(rest),
            _ => Err(format!(
                "`{text}` is not a value address; write `openssl:SECTION.KEY`, `json:/POINTER` or `kv:KEY`"
            )),
        }
    }

    /// `SECTION.KEY`. The key is everything after the last `.`, as section names may hold dots but
    /// OpenSSL keys such as `default_days` do not.
    pub fn openssl(text: &str) -> Result<Address, String> {
        match text.rsplit_once('.') {
            Some((s, k)) if !s.is_empty() && !k.is_empty() => Ok(Address::Openssl {
                section: s.to_string(),
                key: k.to_string(),
            }),
            _ => Err(format!("`{text}` is not an OpenSSL `section.key`")),
        }
    }

    pub fn json(text: &str) -> Result<Address, String> {
        if text.is_empty() || text.starts_with('/') {
            Ok(Address::Json {
                pointer: text.to_string(),
            })
        } else {
            Err(format!(
                "`{text}` is not a JSON pointer; it must be empty or start with `/`"
            ))
        }
    }

    pub fn kv(text: &str) -> Result<Address, String> {
        if text.trim().is_empty() || text.contains('=') {
            Err(format!("`{text}` is not a key"))
        } else {
            Ok(Address::Kv {
                key: text.trim().to_string(),
            })
        }
    }

    pub fn kind(&self) -> AddressKind {
        match self {
            Address::Openssl { .. } => AddressKind::Openssl,
            Address::Json { .. } => AddressKind::Json,
            Address::Kv { .. } => AddressKind::Kv,
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Openssl { section, key } => write!(f, "openssl:{section}.{key}"),
            Address::Json { pointer } => write!(f, "json:{pointer}"),
            Address::Kv { key } => write!(f, "kv:{key}"),
        }
    }
}

/// The three kinds of configuration a rule can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressKind {
    Openssl,
    Json,
    Kv,
}

/// Where a value was set: the file and line that set it, and how that file was reached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// Workspace-relative path of the file that set the value.
    pub file: String,
    /// 1-based line, when the reader knows it.
    pub line: Option<u32>,
    /// The include chain that reached `file`, outermost first, each `path:line` of the include.
    pub chain: Vec<String>,
}

impl Origin {
    /// A place in a file reached without includes.
    pub fn line(file: &str, line: usize) -> Origin {
        Origin {
            file: file.to_string(),
            line: u32::try_from(line).ok(),
            chain: Vec::new(),
        }
    }
}

/// A profile file that could not be parsed in its format: every lookup fails with the parse error, so a
/// rule in force over it fails closed (see [`LookupError::at`]).
#[derive(Debug, Clone)]
pub struct Unparsable(pub LookupError);

impl ValueLookup for Unparsable {
    fn lookup(&self, _address: &Address) -> Result<Option<Found>, LookupError> {
        Err(self.0.clone())
    }
}

/// A value as the consumer would use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The value text after the consumer's own processing (OpenSSL variable expansion, JSON unquoting).
    pub value: String,
    pub origin: Origin,
}

/// A reader could not answer (the file does not parse, say). Absence of a value is not an error: it is
/// `Ok(None)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LookupError {
    pub message: String,
    /// Set when the profile's own file cannot be read in its format (a JSON profile that does not
    /// parse, a `key=value` line that is not one): the consumer could not use it either, and a rule in
    /// force then fails closed at this place instead of being left unjudged.
    pub at: Option<Origin>,
}

/// Supplies configuration values of one profile. Implemented by the OpenSSL loader (answering
/// [`Address::Openssl`] with the value OpenSSL itself would use, including its fallback to the `default`
/// section), and by [`JsonValues`] and [`KvValues`] here. A reader returns `Ok(None)` for an address it
/// does not hold.
pub trait ValueLookup {
    fn lookup(&self, address: &Address) -> Result<Option<Found>, LookupError>;

    /// Where a value that is not set would belong (the file, and the line of its section or parent
    /// object when known), so that "must be set" points somewhere. Default: nowhere.
    fn origin_of_absence(&self, _address: &Address) -> Option<Origin> {
        None
    }
}

/// Values of one JSON file, addressed by JSON pointer.
#[derive(Debug, Clone)]
pub struct JsonValues {
    file: String,
    text: String,
    root: serde_json::Value,
}

impl JsonValues {
    /// Parses `text`; `file` is the workspace-relative path reported as the origin.
    pub fn parse(file: &str, text: &str) -> Result<JsonValues, LookupError> {
        let root = serde_json::from_str(text).map_err(|e| LookupError {
            message: format!("{file}:{}:{}: {e}", e.line(), e.column()),
            at: Some(Origin {
                file: file.to_string(),
                line: u32::try_from(e.line()).ok(),
                chain: Vec::new(),
            }),
        })?;
        Ok(JsonValues {
            file: file.to_string(),
            text: text.to_string(),
            root,
        })
    }

    /// The line of the value's key. serde_json keeps no positions, so this follows the pointer's keys
    /// through the text in order; it finds the right line for ordinary, pretty-printed profiles.
    fn line_of(&self, pointer: &str) -> Option<u32> {
        let mut pos = 0;
        for token in pointer.split('/').skip(1) {
            let key = token.replace("~1", "/").replace("~0", "~");
            if key.bytes().all(|b| b.is_ascii_digit()) && !key.is_empty() {
                continue; // an array index names no key in the text
            }
            let needle = serde_json::to_string(&key).ok()?;
            pos += self.text[pos..].find(&needle)?;
        }
        Some(self.text[..pos].matches('\n').count() as u32 + 1)
    }
}

impl ValueLookup for JsonValues {
    fn origin_of_absence(&self, address: &Address) -> Option<Origin> {
        let Address::Json { pointer } = address else {
            return None;
        };
        let parent = pointer.rsplit_once('/').map_or("", |(p, _)| p);
        Some(Origin {
            file: self.file.clone(),
            line: if parent.is_empty() {
                Some(1)
            } else {
                self.line_of(parent)
            },
            chain: Vec::new(),
        })
    }

    fn lookup(&self, address: &Address) -> Result<Option<Found>, LookupError> {
        let Address::Json { pointer } = address else {
            return Ok(None);
        };
        let Some(v) = self.root.pointer(pointer) else {
            return Ok(None);
        };
        let value = match v {
            serde_json::Value::Null => return Ok(None),
            serde_json::Value::String(s) => s.clone(),
            // An array becomes its items joined by commas, so that `split = ","` checks each.
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        Ok(Some(Found {
            value,
            origin: Origin {
                file: self.file.clone(),
                line: self.line_of(pointer),
                chain: Vec::new(),
            },
        }))
    }
}

/// Values of a `key=value` file: one assignment a line, `#` and `;` start comments, blank lines are
/// skipped, whitespace around key and value is trimmed, matching quotes around the value are removed,
/// and a later assignment replaces an earlier one (as shells and systemd read environment files).
#[derive(Debug, Clone)]
pub struct KvValues {
    file: String,
    entries: Vec<(String, String, u32)>,
}

impl KvValues {
    /// Parses `text`; a line that is neither blank, a comment nor `key=value` is an error naming its line.
    pub fn parse(file: &str, text: &str) -> Result<KvValues, LookupError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(LookupError {
                    message: format!("{file}:{}: expected `key=value`, found `{line}`", i + 1),
                    at: Some(Origin::line(file, i + 1)),
                });
            };
            let k = k.trim().trim_start_matches("export ").trim();
            if k.is_empty() {
                return Err(LookupError {
                    message: format!("{file}:{}: empty key", i + 1),
                    at: Some(Origin::line(file, i + 1)),
                });
            }
            let v = v.trim();
            let v = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(a, b)| {
                    v.strip_prefix(*a)
                        .and_then(|x| x.strip_suffix(*b))
                        .filter(|_| v.len() >= 2)
                })
                .unwrap_or(v);
            entries.push((k.to_string(), v.to_string(), i as u32 + 1));
        }
        Ok(KvValues {
            file: file.to_string(),
            entries,
        })
    }
}

impl ValueLookup for KvValues {
    fn origin_of_absence(&self, address: &Address) -> Option<Origin> {
        matches!(address, Address::Kv { .. }).then(|| Origin {
            file: self.file.clone(),
            line: None,
            chain: Vec::new(),
        })
    }

    fn lookup(&self, address: &Address) -> Result<Option<Found>, LookupError> {
        let Address::Kv { key } = address else {
            return Ok(None);
        };
        Ok(self
            .entries
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, line)| Found {
                value: v.clone(),
                origin: Origin {
                    file: self.file.clone(),
                    line: Some(*line),
                    chain: Vec::new(),
                },
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print() {
        for s in [
            "openssl:CA_default.default_days",
            "json:/a/b",
            "kv:VALIDITY",
        ] {
            assert_eq!(Address::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Address::parse("openssl:my.ca.default_days").unwrap(),
            Address::Openssl {
                section: "my.ca".into(),
                key: "default_days".into()
            }
        );
        assert!(Address::parse("yaml:/x").is_err());
        assert!(Address::parse("json:a").is_err());
        assert!(Address::parse("openssl:nodot").is_err());
    }

    #[test]
    fn json_values_with_lines() {
        let text = "{\n  \"authority\": {\n    \"claims\": {\n      \"maxTLSCertDuration\": \"2160h\"\n    }\n  },\n  \"eku\": [\"serverAuth\", \"clientAuth\"],\n  \"n\": 3\n}\n";
        let j = JsonValues::parse("ca.json", text).unwrap();
        let f = j
            .lookup(&Address::json("/authority/claims/maxTLSCertDuration").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(f.value, "2160h");
        assert_eq!(f.origin.line, Some(4));
        assert_eq!(f.origin.file, "ca.json");
        let eku = j.lookup(&Address::json("/eku").unwrap()).unwrap().unwrap();
        assert_eq!(eku.value, "serverAuth, clientAuth");
        assert_eq!(eku.origin.line, Some(7));
        assert_eq!(
            j.lookup(&Address::json("/n").unwrap())
                .unwrap()
                .unwrap()
                .value,
            "3"
        );
        assert_eq!(j.lookup(&Address::json("/missing").unwrap()).unwrap(), None);
        assert_eq!(j.lookup(&Address::kv("n").unwrap()).unwrap(), None);
        let e = JsonValues::parse("bad.json", "{\n\"a\": }").unwrap_err();
        assert!(e.message.starts_with("bad.json:2:"), "{}", e.message);
    }

    #[test]
    fn kv_values_last_assignment_wins() {
        let text = "# comment\nVALIDITY=90d\n\nexport NAME = \"x y\"\nVALIDITY = 2160h\n";
        let k = KvValues::parse("ca.env", text).unwrap();
        let f = k
            .lookup(&Address::kv("VALIDITY").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!((f.value.as_str(), f.origin.line), ("2160h", Some(5)));
        assert_eq!(
            k.lookup(&Address::kv("NAME").unwrap())
                .unwrap()
                .unwrap()
                .value,
            "x y"
        );
        let e = KvValues::parse("ca.env", "a=1\njunk\n").unwrap_err();
        assert!(e.message.starts_with("ca.env:2:"), "{}", e.message);
    }
}
