//! The requirement model and its TOML form, shared by the shipped rule packs and `vigil.toml`.
//!
//! A requirement is data: an id, a title, a source to cite, the days it is in force, the profiles it
//! applies to (by name or by purpose tag), and what it demands: a `review` since it took effect, and/or
//! constraints on configuration `values`.

use super::duration::{Span, Unit};
use super::time::Date;
use super::value::Address;
use crate::diagnostic::ConfigError;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// `[[requirements.rule]]` in `vigil.toml`, `[[requirement]]` in a rule pack.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRequirement {
    /// Unique id, cited by `vigil approve --satisfies ID` and by overrides, e.g. `cabf-tls-br/validity-398`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub title: String,
    /// What the rule comes from; every rule cites one.
    pub source: RawSource,
    /// First day (UTC) the requirement is in force: a TOML date or `"YYYY-MM-DD"`.
    #[schemars(with = "String")]
    pub effective: Spanned<toml::Value>,
    /// First day (UTC) it is no longer in force, when a later rule replaced it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub until: Option<Spanned<toml::Value>>,
    /// Purpose tags of the profiles it applies to (`tls-server`, `smime`, `code-signing`, `client-auth`, `ev`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub purpose: Vec<Spanned<String>>,
    /// Profiles it applies to by name, in addition to those selected by purpose.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub profiles: Vec<Spanned<String>>,
    /// Every component must be approved on or after `effective` with `--satisfies ID`.
    #[serde(default)]
    pub review: bool,
    /// Why the rule reads configuration the way it does, or what it leaves out.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub values: Vec<RawValueCheck>,
}

/// `source = { ballot = "SC31", section = "6.3.2", url = "https://…" }`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSource {
    /// The document, e.g. `CA/B Forum TLS Baseline Requirements` or a site's CPS.
    #[serde(default)]
    pub document: Option<String>,
    #[serde(default)]
    pub ballot: Option<String>,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// `[[….values]]`: one configuration value and its constraints.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawValueCheck {
    /// A name for the value (`validity`, `aia`), which a profile can point elsewhere with `values.NAME`.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// `text` (default), `integer`, `duration`, or `validity` (a lifetime judged inclusively).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub kind: Option<Spanned<String>>,
    /// OpenSSL `SECTION.KEY`; `@ca` is the profile's CA section, `@ext` its extension section.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub openssl: Option<Spanned<String>>,
    /// JSON pointer into the profile's JSON file.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub json: Option<Spanned<String>>,
    /// Key in the profile's `key=value` file.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub kv: Option<Spanned<String>>,
    /// How a bare number reads for `duration`/`validity`: `days`, `hours` or `seconds` (default).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub unit: Option<Spanned<String>>,
    /// Split the value at this text and check each non-empty item (not `present`/`absent`).
    #[serde(default)]
    pub split: Option<String>,
    /// Largest allowed: an integer, or a duration such as `"398d"`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub max: Option<Spanned<toml::Value>>,
    /// Smallest allowed: an integer, or a duration.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub min: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    /// The value must be set.
    #[serde(default)]
    pub present: bool,
    /// The value must not be set.
    #[serde(default)]
    pub absent: bool,
    /// A regular expression (Rust `regex` syntax) the value must match.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub matches: Option<Spanned<String>>,
    /// A regular expression the value must not match.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub not_matches: Option<Spanned<String>>,
}

/// What a rule cites.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    pub document: Option<String>,
    pub ballot: Option<String>,
    pub section: Option<String>,
    pub url: Option<String>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(d) = &self.document {
            parts.push(d.clone());
        }
        if let Some(s) = &self.section {
            parts.push(format!("§{s}"));
        }
        if let Some(b) = &self.ballot {
            parts.push(format!("ballot {b}"));
        }
        if let Some(u) = &self.url {
            parts.push(format!("<{u}>"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// Which profiles a requirement applies to: any named one, and any declaring one of the purposes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppliesTo {
    pub profiles: Vec<String>,
    pub purposes: Vec<String>,
}

impl AppliesTo {
    pub fn matches(&self, profile: &str, purposes: &[String]) -> bool {
        self.profiles.iter().any(|p| p == profile)
            || self.purposes.iter().any(|p| purposes.contains(p))
    }
}

/// What kind of value a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Integer,
    /// A length of time compared as written.
    Duration,
    /// A certificate lifetime: compared as the inclusive validity period it produces.
    Validity,
}

/// A bound for `max`/`min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Integer(i64),
    Span(Span),
}

/// One constraint on a value.
#[derive(Debug, Clone)]
pub enum Constraint {
    Max(Bound),
    Min(Bound),
    Equals(String),
    OneOf(Vec<String>),
    Present,
    Absent,
    Matches(Regex),
    NotMatches(Regex),
}

/// One value and its constraints.
#[derive(Debug, Clone)]
pub struct ValueCheck {
    pub name: String,
    pub kind: ValueKind,
    /// Where the value may be, one per kind of configuration; the profile's readers decide which applies.
    pub addresses: Vec<Address>,
    pub unit: Unit,
    pub split: Option<String>,
    pub constraints: Vec<Constraint>,
}

/// Where a requirement was defined, for messages: a pack file or `vigil.toml`, and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defined {
    pub file: String,
    pub line: usize,
}

/// A requirement, checked.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    pub source: Source,
    /// The pack it came from; `None` for a site requirement from `vigil.toml`.
    pub pack: Option<String>,
    pub effective: Date,
    pub until: Option<Date>,
    pub applies_to: AppliesTo,
    pub review: bool,
    pub values: Vec<ValueCheck>,
    pub defined: Defined,
}

/// Builds a `ConfigError` pointing into `text`.
pub(crate) fn err_at(
    file: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: impl Into<String>,
) -> ConfigError {
    ConfigError::at(file, text, span, message.into())
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn date_of(file: &Path, text: &str, v: &Spanned<toml::Value>) -> Result<Date, ConfigError> {
    let parsed = match v.get_ref() {
        toml::Value::String(s) => Date::parse(s),
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => match dt.date {
            Some(d) => Date::from_ymd(d.year.into(), d.month.into(), d.day.into())
                .ok_or_else(|| format!("`{dt}` is not a day of the calendar")),
            None => Err(format!("`{dt}` is not a date")),
        },
        other => Err(format!("`{other}` is not a date; write YYYY-MM-DD")),
    };
    parsed.map_err(|m| err_at(file, text, Some(v.span()), m))
}

/// Ids may hold letters, digits and `.`, `_`, `-`, `/`; they appear in manifests and on command lines.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}

impl RawRequirement {
    /// Checks one rule. `pack` names the pack it belongs to (`None` for `vigil.toml`); `file` and `text`
    /// are the file it was read from, for errors that point at the line.
    pub fn check(
        &self,
        pack: Option<&str>,
        file: &Path,
        text: &str,
    ) -> Result<Requirement, ConfigError> {
        let at = |span: std::ops::Range<usize>, m: String| err_at(file, text, Some(span), m);
        let id = self.checked_id(pack).map_err(|m| at(self.id.span(), m))?;
        let (effective, until) = self.dates(file, text)?;
        self.check_scope(&id, &at)?;
        let values = self
            .values
            .iter()
            .map(|v| v.check(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        let s = &self.source;
        Ok(Requirement {
            id,
            title: self.title.clone(),
            source: Source {
                document: s.document.clone(),
                ballot: s.ballot.clone(),
                section: s.section.clone(),
                url: s.url.clone(),
            },
            pack: pack.map(str::to_string),
            effective,
            until,
            applies_to: AppliesTo {
                profiles: self.profiles.iter().map(|p| p.get_ref().clone()).collect(),
                purposes: self.purpose.iter().map(|p| p.get_ref().clone()).collect(),
            },
            review: self.review,
            values,
            defined: Defined {
                file: file.display().to_string(),
                line: line_of(text, self.id.span().start),
            },
        })
    }

    /// The id, when it is well formed and the rule cites a source (a pack rule: a section or ballot).
    fn checked_id(&self, pack: Option<&str>) -> Result<String, String> {
        let id = self.id.get_ref().clone();
        if !valid_id(&id) {
            return Err(format!(
                "requirement id `{id}` may only hold letters, digits, `.`, `_`, `-` and `/`"
            ));
        }
        let s = &self.source;
        if s.url.is_none() && s.document.is_none() {
            return Err(format!(
                "requirement `{id}` needs a `source` with a `url` or a `document` to cite"
            ));
        }
        if pack.is_some() && s.section.is_none() && s.ballot.is_none() {
            return Err(format!(
                "pack requirement `{id}` must cite a `section` or a `ballot`"
            ));
        }
        Ok(id)
    }

    /// `effective` and `until`, which must come after it.
    fn dates(&self, file: &Path, text: &str) -> Result<(Date, Option<Date>), ConfigError> {
        let effective = date_of(file, text, &self.effective)?;
        let Some(u) = &self.until else {
            return Ok((effective, None));
        };
        let d = date_of(file, text, u)?;
        if d <= effective {
            return Err(err_at(
                file,
                text,
                Some(u.span()),
                format!("`until` {d} must be after `effective` {effective}"),
            ));
        }
        Ok((effective, Some(d)))
    }

    /// The rule applies to something (purpose tags or profiles) and demands something.
    fn check_scope(
        &self,
        id: &str,
        at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        if self.purpose.is_empty() && self.profiles.is_empty() {
            return Err(at(
                self.id.span(),
                format!("requirement `{id}` applies to nothing; give `purpose` tags or `profiles`"),
            ));
        }
        if let Some(p) = self
            .purpose
            .iter()
            .find(|p| !valid_id(p.get_ref()) || p.get_ref().contains('/'))
        {
            return Err(at(
                p.span(),
                format!("`{}` is not a purpose tag", p.get_ref()),
            ));
        }
        if !self.review && self.values.is_empty() {
            return Err(at(
                self.id.span(),
                format!(
                    "requirement `{id}` demands nothing; set `review = true` or add `[[…values]]`"
                ),
            ));
        }
        Ok(())
    }
}

impl RawValueCheck {
    fn check(&self, file: &Path, text: &str) -> Result<ValueCheck, ConfigError> {
        let at = |span: std::ops::Range<usize>, m: String| err_at(file, text, Some(span), m);
        let name = self.name.get_ref().clone();
        let kind = self.kind(&at)?;
        let addresses = self.addresses(&at)?;
        if addresses.is_empty() {
            return Err(at(
                self.name.span(),
                format!("value `{name}` needs an address: `openssl`, `json` or `kv`"),
            ));
        }
        let unit = match &self.unit {
            None => Unit::default(),
            Some(u) => Unit::parse(u.get_ref()).ok_or_else(|| {
                at(
                    u.span(),
                    format!(
                        "unknown unit `{}`; known: days, hours, seconds",
                        u.get_ref()
                    ),
                )
            })?,
        };
        if self.present && self.absent {
            return Err(at(
                self.name.span(),
                format!("value `{name}` cannot be both `present` and `absent`"),
            ));
        }
        let constraints = self.constraints(kind, &at)?;
        if constraints.is_empty() {
            return Err(at(
                self.name.span(),
                format!("value `{name}` has no constraint: give max, min, equals, one-of, present, absent, matches or not-matches"),
            ));
        }
        if matches!(self.split.as_deref(), Some("")) {
            return Err(at(self.name.span(), "`split` cannot be empty".into()));
        }
        Ok(ValueCheck {
            name,
            kind,
            addresses,
            unit,
            split: self.split.clone(),
            constraints,
        })
    }

    fn kind(
        &self,
        at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<ValueKind, ConfigError> {
        match self.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
            None | Some(("text", _)) => Ok(ValueKind::Text),
            Some(("integer", _)) => Ok(ValueKind::Integer),
            Some(("duration", _)) => Ok(ValueKind::Duration),
            Some(("validity", _)) => Ok(ValueKind::Validity),
            Some((other, span)) => Err(at(
                span,
                format!(
                    "unknown kind `{other}`{}; known: text, integer, duration, validity",
                    crate::diagnostic::closest(other, &["text", "integer", "duration", "validity"])
                ),
            )),
        }
    }

    /// The addresses given, in the order `openssl`, `json`, `kv`.
    fn addresses(
        &self,
        at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<Vec<Address>, ConfigError> {
        let mut addresses = Vec::new();
        if let Some(a) = &self.openssl {
            addresses.push(Address::openssl(a.get_ref()).map_err(|m| at(a.span(), m))?);
        }
        if let Some(a) = &self.json {
            addresses.push(Address::json(a.get_ref()).map_err(|m| at(a.span(), m))?);
        }
        if let Some(a) = &self.kv {
            addresses.push(Address::kv(a.get_ref()).map_err(|m| at(a.span(), m))?);
        }
        Ok(addresses)
    }

    fn constraints(
        &self,
        kind: ValueKind,
        at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<Vec<Constraint>, ConfigError> {
        let bound = |v: &Spanned<toml::Value>| -> Result<Bound, ConfigError> {
            match (kind, v.get_ref()) {
                (ValueKind::Integer, toml::Value::Integer(i)) => Ok(Bound::Integer(*i)),
                (ValueKind::Duration | ValueKind::Validity, toml::Value::String(s)) => {
                    Span::parse_units(s)
                        .map(Bound::Span)
                        .map_err(|m| at(v.span(), m))
                }
                (ValueKind::Text, _) => Err(at(
                    v.span(),
                    "`max` and `min` need `kind = \"integer\"`, `\"duration\"` or `\"validity\"`"
                        .into(),
                )),
                (ValueKind::Integer, _) => Err(at(v.span(), "expected an integer".into())),
                _ => Err(at(
                    v.span(),
                    "expected a duration with its unit, such as \"398d\" or \"2160h\"".into(),
                )),
            }
        };
        let regex = |r: &Spanned<String>| {
            Regex::new(r.get_ref()).map_err(|e| at(r.span(), format!("invalid regex: {e}")))
        };
        let mut constraints = Vec::new();
        if let Some(v) = &self.max {
            constraints.push(Constraint::Max(bound(v)?));
        }
        if let Some(v) = &self.min {
            constraints.push(Constraint::Min(bound(v)?));
        }
        if let Some(v) = &self.equals {
            constraints.push(Constraint::Equals(v.clone()));
        }
        if let Some(v) = &self.one_of {
            constraints.push(Constraint::OneOf(v.clone()));
        }
        if self.present {
            constraints.push(Constraint::Present);
        }
        if self.absent {
            constraints.push(Constraint::Absent);
        }
        if let Some(r) = &self.matches {
            constraints.push(Constraint::Matches(regex(r)?));
        }
        if let Some(r) = &self.not_matches {
            constraints.push(Constraint::NotMatches(regex(r)?));
        }
        Ok(constraints)
    }
}
