//! The allowed-signers file, in the format of git's `gpg.ssh.allowedSignersFile` and of ssh-keygen(1)
//! (section ALLOWED SIGNERS): who may sign approvals, with which key, in which namespaces, and when.
//!
//! Each line: `principals [options] keytype base64-key [comment]`. Principals are a comma-separated
//! list of patterns (`*` and `?` wildcards, `!` negation, as in ssh_config(5)), optionally in double
//! quotes. Options are comma-separated: `cert-authority`, `namespaces="a,b"`, `valid-after="T"`,
//! `valid-before="T"`. Empty lines and lines starting with `#` are ignored.
//!
//! Deviation from ssh-keygen: a time without the `Z` suffix is local time to ssh-keygen, which would
//! make a workstation and a server in different time zones disagree about a key's validity; vigil
//! refuses such a time with an error and asks for `YYYYMMDD[HHMM[SS]]Z`, which ssh-keygen accepts too.

use crate::config::ConfigError;
use crate::requirements::time::{days_from_civil, days_in_month};
use ssh_key::public::KeyData;
use ssh_key::{HashAlg, PublicKey};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One line of an allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// The principal patterns, as written (comma-separated list already split).
    pub principals: Vec<String>,
    /// `cert-authority`: the key signs certificates rather than messages.
    pub cert_authority: bool,
    /// `namespaces="..."`; `None` allows every namespace.
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<SystemTime>,
    pub valid_before: Option<SystemTime>,
    pub key: KeyData,
    /// Where the line is, for messages: file and 1-based line.
    pub file: PathBuf,
    pub line: usize,
}

impl AllowedSigner {
    /// Whether `principal` matches this line's pattern list (a negated pattern that matches wins).
    pub fn matches_principal(&self, principal: &str) -> bool {
        let mut matched = false;
        for p in &self.principals {
            if let Some(neg) = p.strip_prefix('!') {
                if wildcard(neg.as_bytes(), principal.as_bytes()) {
                    return false;
                }
            } else if wildcard(p.as_bytes(), principal.as_bytes()) {
                matched = true;
            }
        }
        matched
    }

    /// Whether the line allows signatures in `namespace`.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces.as_ref().is_none_or(|list| {
            list.iter()
                .any(|p| wildcard(p.as_bytes(), namespace.as_bytes()))
        })
    }

    /// Whether the key is valid at `at`: as ssh-keygen, both bounds are inclusive, so a key is refused
    /// only strictly before `valid-after` or strictly after `valid-before`.
    pub fn valid_at(&self, at: SystemTime) -> bool {
        self.valid_after.is_none_or(|a| at >= a) && self.valid_before.is_none_or(|b| at <= b)
    }
}

/// A key's SHA-256 fingerprint as `ssh-keygen -l` prints it (`SHA256:…`).
pub fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// A parsed allowed-signers file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    pub signers: Vec<AllowedSigner>,
}

impl AllowedSigners {
    /// The one plain principal (no wildcard, no negation) the file names for `key`; otherwise a
    /// message saying why none can be chosen (`fingerprint` names the key in it).
    pub fn plain_principal(&self, key: &KeyData, fingerprint: &str) -> Result<String, String> {
        let mut names: Vec<&String> = self
            .for_key(key)
            .flat_map(|l| l.principals.iter())
            .filter(|p| !p.starts_with('!') && !p.contains(['*', '?']))
            .collect();
        names.sort();
        names.dedup();
        match names.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "key {fingerprint} is not in the allowed signers under a plain principal: add it, or pass --principal"
            )),
            many => Err(format!(
                "key {fingerprint} is listed for several principals ({}): pass --principal",
                many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// Reads and parses a file.
    pub fn load(file: &Path) -> Result<AllowedSigners, ConfigError> {
        let text = std::fs::read(file).map_err(|e| ConfigError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            snippet: None,
            message: format!("cannot read the allowed-signers file: {e}"),
        })?;
        let text = String::from_utf8(text).map_err(|e| ConfigError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            snippet: None,
            message: format!("the allowed-signers file is not UTF-8: {e}"),
        })?;
        Self::parse(file, &text)
    }

    /// Parses the text of an allowed-signers file; `file` names it in errors, which carry the line.
    pub fn parse(file: &Path, text: &str) -> Result<AllowedSigners, ConfigError> {
        let mut signers = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| ConfigError {
                file: file.to_path_buf(),
                line: Some(i + 1),
                column: Some(raw.len() - raw.trim_start().len() + 1),
                snippet: Some(raw.to_string()),
                message,
            };
            signers.push(parse_line(line).map_err(err).map(|mut s| {
                s.file = file.to_path_buf();
                s.line = i + 1;
                s
            })?);
        }
        Ok(AllowedSigners { signers })
    }

    /// The lines whose key is `key`.
    pub fn for_key<'a>(&'a self, key: &'a KeyData) -> impl Iterator<Item = &'a AllowedSigner> {
        self.signers.iter().filter(move |s| &s.key == key)
    }
}

fn parse_line(line: &str) -> Result<AllowedSigner, String> {
    let (principals, rest) = token(line)?;
    if principals.is_empty() {
        return Err("empty principal list".into());
    }
    let principals: Vec<String> = principals.split(',').map(str::to_string).collect();
    if principals.iter().any(|p| p.is_empty() || p == "!") {
        return Err("empty pattern in the principal list".into());
    }
    let (second, after) = token(rest)?;
    if second.is_empty() {
        return Err("missing key after the principals".into());
    }
    let mut s = AllowedSigner {
        principals,
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: KeyData::Ed25519(ssh_key::public::Ed25519PublicKey([0; 32])),
        file: PathBuf::new(),
        line: 0,
    };
    // As ssh-keygen: the field after the principals is the key type unless it does not parse as one,
    // then it is the option list.
    let key_text = if is_key_type(second) {
        rest
    } else {
        parse_options(second, &mut s)?;
        after
    };
    let mut fields = key_text.split_whitespace();
    let (Some(kind), Some(b64)) = (fields.next(), fields.next()) else {
        return Err("missing key type or key after the options".into());
    };
    if !is_key_type(kind) {
        return Err(format!("unknown key type `{kind}`"));
    }
    let key = PublicKey::from_openssh(&format!("{kind} {b64}"))
        .map_err(|e| format!("invalid `{kind}` key: {e}"))?;
    s.key = key.key_data().clone();
    Ok(s)
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-")
        || s.starts_with("ecdsa-sha2-")
        || s.starts_with("sk-ssh-")
        || s.starts_with("sk-ecdsa-sha2-")
        || s.starts_with("rsa-sha2-")
}

/// Splits off the first whitespace-delimited token, honouring double quotes (which may hold spaces).
fn token(s: &str) -> Result<(&str, &str), String> {
    let s = s.trim_start();
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                return Ok((unquote(&s[..i]), s[i..].trim_start()));
            }
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated double quote".into());
    }
    Ok((unquote(s), ""))
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn parse_options(opts: &str, s: &mut AllowedSigner) -> Result<(), String> {
    // Split on commas outside quotes.
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in opts.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&opts[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&opts[start..]);
    for part in parts {
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => {
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .ok_or_else(|| format!("option `{n}` needs a double-quoted value"))?;
                (n, Some(v))
            }
            None => (part, None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("cert-authority", None) => s.cert_authority = true,
            ("namespaces", Some(v)) => {
                s.namespaces = Some(v.split(',').map(str::to_string).collect());
            }
            ("valid-after", Some(v)) => s.valid_after = Some(parse_time(v)?),
            ("valid-before", Some(v)) => s.valid_before = Some(parse_time(v)?),
            ("cert-authority", Some(_)) => return Err("`cert-authority` takes no value".into()),
            (n @ ("namespaces" | "valid-after" | "valid-before"), None) => {
                return Err(format!("option `{n}` needs a value"))
            }
            _ => {
                return Err(format!(
                    "unknown option `{name}` (known: cert-authority, namespaces, valid-after, valid-before), or unknown key type"
                ))
            }
        }
    }
    Ok(())
}

/// Parses `YYYYMMDD[HHMM[SS]]Z` (UTC).
pub fn parse_time(v: &str) -> Result<SystemTime, String> {
    let bad = || {
        format!("time `{v}` is not YYYYMMDD[HHMM[SS]]Z (vigil needs the `Z`: UTC, so that every host agrees)")
    };
    let digits = v.strip_suffix(['Z', 'z']).ok_or_else(bad)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num =
        |r: std::ops::Range<usize>| digits.get(r).map_or(0, |d| d.parse::<i64>().unwrap_or(0));
    let (y, mo, d) = (num(0..4), num(4..6), num(6..8));
    let (h, mi, s) = (num(8..10), num(10..12), num(12..14));
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    if secs < 0 {
        return Err(bad());
    }
    Ok(UNIX_EPOCH + Duration::from_secs(secs as u64))
}

/// `*` and `?` wildcard match, as OpenSSH's `match_pattern`.
fn wildcard(pat: &[u8], s: &[u8]) -> bool {
    match pat.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wildcard(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && wildcard(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && wildcard(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAVlt4j9XueIAA4twCAG5ZTAWsfDT/NfbVZUVLPKEvPx";

    fn parse(text: &str) -> Result<AllowedSigners, ConfigError> {
        AllowedSigners::parse(Path::new("allowed_signers"), text)
    }

    #[test]
    fn parses_principals_options_and_comments() {
        let text = format!(
            "# approvers\n\nalice@example.org,!bob@example.org,*@ca.example {KEY} alice laptop\n\
             \"carol smith\" namespaces=\"git,vigil-approval\",valid-after=\"20260101Z\",valid-before=\"202701011230Z\" {KEY}\n\
             ca@example.org cert-authority {KEY}\n"
        );
        let a = parse(&text).unwrap();
        assert_eq!(a.signers.len(), 3);
        let s = &a.signers[0];
        assert_eq!(s.line, 3);
        assert!(s.matches_principal("alice@example.org"));
        assert!(s.matches_principal("dave@ca.example"));
        assert!(!s.matches_principal("bob@example.org"));
        assert!(!s.matches_principal("eve@example.org"));
        assert!(s.allows_namespace("vigil-approval"));
        let c = &a.signers[1];
        assert!(c.matches_principal("carol smith"));
        assert!(c.allows_namespace("vigil-approval"));
        assert!(!c.allows_namespace("file"));
        let jan1 = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
        assert_eq!(c.valid_after, Some(jan1));
        assert!(!c.valid_at(jan1 - Duration::from_secs(1)));
        assert!(c.valid_at(jan1));
        let end = UNIX_EPOCH + Duration::from_secs(1_798_806_600); // 2027-01-01T12:30:00Z
        assert_eq!(c.valid_before, Some(end));
        assert!(!c.valid_at(end + Duration::from_secs(1)));
        assert!(a.signers[2].cert_authority);
    }

    #[test]
    fn errors_carry_file_and_line() {
        let cases = [
            ("alice\n", "missing key"),
            ("alice ssh-ed25519\n", "missing key type or key"),
            ("alice ssh-ed25519 AAAA!!\n", "invalid `ssh-ed25519` key"),
            (
                "alice bogus=\"1\" ssh-ed25519 AAAA\n",
                "unknown option `bogus`",
            ),
            (
                "alice valid-after=\"20260101\" ssh-ed25519 AAAA\n",
                "needs the `Z`",
            ),
            (
                "alice valid-before=\"20261341Z\" ssh-ed25519 AAAA\n",
                "is not YYYYMMDD",
            ),
            ("\"alice ssh-ed25519 AAAA\n", "unterminated"),
            ("alice namespaces ssh-ed25519 AAAA\n", "needs a value"),
        ];
        for (text, want) in cases {
            let e = parse(&format!("# ok\n{text}")).unwrap_err();
            assert_eq!(e.line, Some(2), "{text}");
            assert!(e.message.contains(want), "{text}: {}", e.message);
            assert!(e.to_string().starts_with("allowed_signers:2:"), "{e}");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a?c", b"abc"));
        assert!(!wildcard(b"a?c", b"ac"));
        assert!(wildcard(b"*@x.org", b"a@x.org"));
        assert!(!wildcard(b"*@x.org", b"a@x.org.evil"));
    }
}
