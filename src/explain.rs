//! `explain`: the values a profile's OpenSSL configuration holds, as OpenSSL sees them after loading
//! every include: each key's effective value, the file:line that set it, the include chain that reached
//! that file, and the values it overrode. The requirements engine and `vigil explain` read values here.

use crate::finding::{chain_text, Step};
use crate::inventory::Inventory;
use crate::openssl::Setting;
use crate::openssl_load::ProfileLoad;
use schemars::JsonSchema;
use serde::Serialize;

/// One key of one load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Entry {
    /// The top file of the load (the profile's OpenSSL configuration that holds the key).
    pub top: String,
    /// The section asked for (or holding the key, without a question).
    pub section: String,
    pub key: String,
    /// The value after OpenSSL's quote, escape and variable processing; `None` when the key is unset.
    pub value: Option<String>,
    /// True when the section does not hold the key and OpenSSL's lookup falls back to `default`.
    pub from_default: bool,
    /// Where the value was set: `file:line`.
    pub at: Option<String>,
    /// How the profile reached that file: declaration, then include lines.
    pub via: Vec<Step>,
    /// The values this one replaced, most recent first.
    pub overrode: Vec<Overridden>,
    /// Environment variables the value depends on that the profile does not declare.
    pub undeclared_env: Vec<String>,
    /// When OpenSSL rejects the load (`file:line: reason`): it stops there and uses none of it, so
    /// no value of this load is what the CA software sees.
    pub load_error: Option<String>,
}

/// A value a later setting replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Overridden {
    pub value: String,
    /// `file:line`.
    pub at: String,
}

/// A key asked for: `SECTION.KEY` or `SECTION::KEY` (a key alone is in `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub section: String,
    pub key: String,
}

impl Query {
    /// Splits at `::` when present, else at the first `.` (section names rarely hold dots; keys such
    /// as `1.organizationName` do).
    pub fn parse(s: &str) -> Query {
        let (section, key) = s
            .split_once("::")
            .or_else(|| s.split_once('.'))
            .unwrap_or(("default", s));
        Query {
            section: section.to_string(),
            key: key.to_string(),
        }
    }
}

/// The entries for `queries` in every load of `inv`; every setting of every load without queries.
pub fn explain(inv: &Inventory, queries: &[Query]) -> Vec<Entry> {
    let mut out = Vec::new();
    for load in &inv.loads {
        if queries.is_empty() {
            for section in load.loaded.db.sections() {
                let name = String::from_utf8_lossy(&section.name).into_owned();
                for s in section.settings() {
                    out.push(entry(load, &name, s, false));
                }
            }
            continue;
        }
        for q in queries {
            let exact = load.loaded.db.get(&q.section, &q.key);
            match exact.or_else(|| load.loaded.db.get("default", &q.key)) {
                Some(s) => out.push(entry(load, &q.section, s, exact.is_none())),
                None => out.push(Entry {
                    top: load.top.to_string(),
                    section: q.section.clone(),
                    key: q.key.clone(),
                    value: None,
                    from_default: false,
                    at: None,
                    via: Vec::new(),
                    overrode: Vec::new(),
                    undeclared_env: Vec::new(),
                    load_error: load_error(load),
                }),
            }
        }
    }
    out
}

fn entry(load: &ProfileLoad, section: &str, s: &Setting, from_default: bool) -> Entry {
    let mut overrode = Vec::new();
    let mut prev = s.overrode.as_deref();
    while let Some(o) = prev {
        overrode.push(Overridden {
            value: o.text().into_owned(),
            at: format!("{}:{}", load.ws_text(&o.at.path), o.at.line),
        });
        prev = o.overrode.as_deref();
    }
    Entry {
        top: load.top.to_string(),
        section: section.to_string(),
        key: String::from_utf8_lossy(&s.name).into_owned(),
        value: Some(s.text().into_owned()),
        from_default,
        at: Some(format!("{}:{}", load.ws_text(&s.at.path), s.at.line)),
        via: load.via_of_read(s.at.read),
        overrode,
        undeclared_env: s.undeclared_env.to_vec(),
        load_error: load_error(load),
    }
}

/// The load's error as `file:line: reason`.
fn load_error(load: &ProfileLoad) -> Option<String> {
    load.loaded.error.as_ref().map(|e| {
        let reason = if e.detail.is_empty() {
            e.reason.to_string()
        } else {
            format!("{}: {}", e.reason, e.detail)
        };
        format!("{}:{}: {reason}", load.ws_text(&e.at.path), e.at.line)
    })
}

/// The entries as text: one block per key.
pub fn render_human(profile: &str, entries: &[Entry]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut top = None;
    for e in entries {
        if top != Some(&e.top) {
            let _ = writeln!(out, "{profile}: {}", e.top);
            if let Some(err) = &e.load_error {
                let _ = writeln!(
                    out,
                    "  OpenSSL rejects this configuration at {err}; it stops loading there and the CA software cannot use it"
                );
            }
            top = Some(&e.top);
        }
        let shown = match &e.value {
            Some(v) => format!("{:?}", v),
            None => "(not set)".into(),
        };
        let _ = writeln!(out, "  [{}] {} = {shown}", e.section, e.key);
        if let Some(at) = &e.at {
            let fallback = if e.from_default {
                " (from the default section)"
            } else {
                ""
            };
            let _ = writeln!(out, "      set at {at}{fallback}");
            let _ = writeln!(out, "      via {}", chain_text(&e.via));
        }
        for o in &e.overrode {
            let _ = writeln!(out, "      overrode {:?} set at {}", o.value, o.at);
        }
        if !e.undeclared_env.is_empty() {
            let _ = writeln!(
                out,
                "      depends on undeclared environment variable(s): {}",
                e.undeclared_env.join(", ")
            );
        }
    }
    if entries.is_empty() {
        let _ = writeln!(out, "{profile}: no OpenSSL configuration is loaded (does the profile `follow = [\"openssl-include\"]`?)");
    }
    out
}

/// The entries as JSON: `{ "profile": ..., "entries": [...] }`.
pub fn render_json(profile: &str, entries: &[Entry]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        profile: &'a str,
        entries: &'a [Entry],
    }
    let mut s = serde_json::to_string_pretty(&Out { profile, entries }).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        assert_eq!(
            Query::parse("CA_default.default_days"),
            Query {
                section: "CA_default".into(),
                key: "default_days".into()
            }
        );
        assert_eq!(
            Query::parse("dn::1.organizationName").key,
            "1.organizationName"
        );
        assert_eq!(Query::parse("dir").section, "default");
    }
}
