//! Evaluating requirements for profiles as of a day: `violation`, `unreviewed` and `upcoming` results.

use super::duration::{describe_seconds, Span};
use super::rule::{Bound, Constraint, Requirement, ValueCheck, ValueKind};
use super::site::{ProfileRequirements, RequirementSet};
use super::time::{parse_instant, Date};
use super::value::{Address, AddressKind, Found, LookupError, ValueLookup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `vigil approve --satisfies ID` statement, as the manifest records it for each component it covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Satisfies {
    /// The requirement id.
    pub requirement: String,
    /// When, in UTC, RFC 3339 (as `approved-at`).
    pub at: String,
    /// Who approved (as `approved-by`).
    pub by: String,
}

/// What the review demand needs to know of one component: its path and the `--satisfies` statements
/// that cover its current bytes.
#[derive(Debug, Clone, Copy)]
pub struct ComponentFacts<'a> {
    pub path: &'a str,
    pub satisfies: &'a [Satisfies],
}

/// The readers of one profile's values, one per kind of configuration; `None` where the profile has none.
#[derive(Clone, Copy, Default)]
pub struct Readers<'a> {
    pub openssl: Option<&'a dyn ValueLookup>,
    pub json: Option<&'a dyn ValueLookup>,
    pub kv: Option<&'a dyn ValueLookup>,
}

impl<'a> Readers<'a> {
    fn get(&self, kind: AddressKind) -> Option<&'a dyn ValueLookup> {
        match kind {
            AddressKind::Openssl => self.openssl,
            AddressKind::Json => self.json,
            AddressKind::Kv => self.kv,
        }
    }
}

/// One profile, as the evaluation sees it.
#[derive(Clone)]
pub struct ProfileInput<'a> {
    pub name: &'a str,
    pub settings: &'a ProfileRequirements,
    pub readers: Readers<'a>,
    pub components: Vec<ComponentFacts<'a>>,
}

/// The three result codes; the integrator maps them to finding codes of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResultCode {
    /// A value breaks a requirement in force.
    Violation,
    /// A component was not approved with `--satisfies` since the requirement took effect.
    Unreviewed,
    /// Within the lead time before a requirement takes effect, the profile would violate it or needs review.
    Upcoming,
}

impl ResultCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultCode::Violation => "violation",
            ResultCode::Unreviewed => "unreviewed",
            ResultCode::Upcoming => "upcoming",
        }
    }
}

/// One result, ready to become a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementResult {
    pub code: ResultCode,
    pub requirement: String,
    pub profile: String,
    /// The file that set the value, or the unreviewed component; `None` for a profile-wide result.
    pub path: Option<String>,
    pub line: Option<u32>,
    /// The include chain that reached `path`, outermost first, each `path:line`.
    pub chain: Vec<String>,
    /// The requirement's effective date.
    pub date: Date,
    pub message: String,
}

/// Where a day falls relative to a requirement's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// More than the lead time before the effective date.
    NotYet,
    /// Within the lead time before the effective date.
    Upcoming,
    InForce,
    /// On or after the `until` date.
    Ended,
}

/// The state of one requirement for one profile it applies to, for `vigil requirements`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub requirement: String,
    pub profile: String,
    pub window: Window,
    /// The override's reason when the site switched the rule off for this profile.
    pub overridden: Option<String>,
    /// How many results the requirement produced for the profile.
    pub results: usize,
    /// Values the evaluation could not judge, and why (no reader, value not set, unreadable).
    pub unjudged: Vec<String>,
}

/// Everything an evaluation produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub results: Vec<RequirementResult>,
    pub statuses: Vec<Status>,
}

impl Requirement {
    /// Where `day` falls for this requirement, with `lead_days` of warning.
    pub fn window(&self, day: Date, lead_days: u32) -> Window {
        if self.until.is_some_and(|u| day >= u) {
            Window::Ended
        } else if day >= self.effective {
            Window::InForce
        } else if day >= self.effective.add_days(-i64::from(lead_days)) {
            Window::Upcoming
        } else {
            Window::NotYet
        }
    }

    fn cite(&self) -> String {
        format!("{} \"{}\"; {}", self.id, self.title, self.source)
    }
}

/// Evaluates every requirement of `set` for every profile it applies to, as of `as_of`, warning
/// `lead_days` ahead of effective dates (normally `set.lead_days`).
pub fn evaluate(
    set: &RequirementSet,
    as_of: Date,
    lead_days: u32,
    profiles: &[ProfileInput<'_>],
) -> Outcome {
    let mut out = Outcome::default();
    for req in &set.requirements {
        for p in profiles {
            if !req.applies_to.matches(p.name, &p.settings.purposes) {
                continue;
            }
            let window = req.window(as_of, lead_days);
            let mut status = Status {
                requirement: req.id.clone(),
                profile: p.name.to_string(),
                window,
                overridden: None,
                results: 0,
                unjudged: Vec::new(),
            };
            if let Some(o) = set.overrides.get(&req.id).filter(|o| o.covers(p.name)) {
                status.overridden = Some(o.reason.clone());
                out.statuses.push(status);
                continue;
            }
            if matches!(window, Window::InForce | Window::Upcoming) {
                let before = out.results.len();
                for check in &req.values {
                    judge_value(
                        req,
                        check,
                        p,
                        as_of,
                        window,
                        &mut out.results,
                        &mut status.unjudged,
                    );
                }
                if req.review {
                    judge_review(req, p, as_of, window, &mut out.results);
                }
                status.results = out.results.len() - before;
            }
            out.statuses.push(status);
        }
    }
    out
}

fn judge_review(
    req: &Requirement,
    p: &ProfileInput<'_>,
    as_of: Date,
    window: Window,
    results: &mut Vec<RequirementResult>,
) {
    let from = req.effective.start_unix();
    let to = as_of.add_days(1).start_unix();
    // A statement counts from the effective day on, and not after the day being evaluated, so that
    // `--as-of` a past day sees only what had been approved by then.
    let reviewed = |c: &ComponentFacts<'_>| {
        c.satisfies.iter().any(|s| {
            s.requirement == req.id && parse_instant(&s.at).is_ok_and(|t| t >= from && t < to)
        })
    };
    match window {
        Window::InForce => {
            for c in p.components.iter().filter(|c| !reviewed(c)) {
                results.push(RequirementResult {
                    code: ResultCode::Unreviewed,
                    requirement: req.id.clone(),
                    profile: p.name.to_string(),
                    path: Some(c.path.to_string()),
                    line: None,
                    chain: Vec::new(),
                    date: req.effective,
                    message: format!(
                        "not approved with `--satisfies {}` since it took effect on {} ({})",
                        req.id,
                        req.effective,
                        req.cite()
                    ),
                });
            }
        }
        Window::Upcoming if !p.components.is_empty() => {
            results.push(RequirementResult {
                code: ResultCode::Upcoming,
                requirement: req.id.clone(),
                profile: p.name.to_string(),
                path: None,
                line: None,
                chain: Vec::new(),
                date: req.effective,
                message: format!(
                    "takes effect on {} (in {} days): every component ({}) must then be approved with `vigil approve {} --satisfies {}` ({})",
                    req.effective,
                    as_of.days_until(req.effective),
                    p.components.len(),
                    p.name,
                    req.id,
                    req.cite()
                ),
            });
        }
        _ => {}
    }
}

/// Resolves `@NAME` sections of an OpenSSL address for a profile. `@ca` defaults to `[ca] default_ca`,
/// `@ext` to the CA section's `x509_extensions`, as `openssl ca` chooses them.
fn resolve(
    addr: &Address,
    p: &ProfileInput<'_>,
    reader: &dyn ValueLookup,
) -> Result<Address, String> {
    let Address::Openssl { section, key } = addr else {
        return Ok(addr.clone());
    };
    let Some(sym) = section.strip_prefix('@') else {
        return Ok(addr.clone());
    };
    let lookup = |section: &str, key: &str| -> Result<Option<String>, String> {
        reader
            .lookup(&Address::Openssl {
                section: section.into(),
                key: key.into(),
            })
            .map(|f| f.map(|f| f.value.trim().to_string()))
            .map_err(|e| e.message)
    };
    let named = |sym: &str| -> Result<String, String> {
        if let Some(s) = p.settings.openssl_sections.get(sym) {
            return Ok(s.clone());
        }
        match sym {
            "ca" => named_ca(p, &lookup),
            "ext" => {
                let ca = named_ca(p, &lookup)?;
                lookup(&ca, "x509_extensions")?.ok_or_else(|| {
                    format!("no extension section: `[{ca}] x509_extensions` is not set and the profile sets no `openssl-sections.ext`")
                })
            }
            other => Err(format!("the profile sets no `openssl-sections.{other}`")),
        }
    };
    Ok(Address::Openssl {
        section: named(sym)?,
        key: key.clone(),
    })
}

/// Looks up `section.key` as text for resolving `@NAME` sections.
type KeyLookup<'a> = dyn Fn(&str, &str) -> Result<Option<String>, String> + 'a;

fn named_ca(p: &ProfileInput<'_>, lookup: &KeyLookup<'_>) -> Result<String, String> {
    if let Some(s) = p.settings.openssl_sections.get("ca") {
        return Ok(s.clone());
    }
    lookup("ca", "default_ca")?.ok_or_else(|| {
        "no CA section: `[ca] default_ca` is not set and the profile sets no `openssl-sections.ca`"
            .to_string()
    })
}

/// The address to read `check`'s value at, resolved (`@ca`, `@ext`), and the reader that holds it: the
/// profile's own mapping wins; otherwise the first address the profile has a reader for.
fn pick_reader<'a>(
    check: &ValueCheck,
    p: &ProfileInput<'a>,
) -> Result<(Address, &'a dyn ValueLookup), String> {
    let chosen = match p.settings.values.get(&check.name) {
        Some(a) => p.readers.get(a.kind()).map(|r| (a.clone(), r)),
        None => check
            .addresses
            .iter()
            .find_map(|a| p.readers.get(a.kind()).map(|r| (a.clone(), r))),
    };
    let Some((addr, reader)) = chosen else {
        return Err(format!(
            "the profile has no reader for {}",
            check
                .addresses
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    };
    Ok((resolve(&addr, p, reader)?, reader))
}

fn judge_value(
    req: &Requirement,
    check: &ValueCheck,
    p: &ProfileInput<'_>,
    as_of: Date,
    window: Window,
    results: &mut Vec<RequirementResult>,
    unjudged: &mut Vec<String>,
) {
    let (addr, reader) = match pick_reader(check, p) {
        Ok(chosen) => chosen,
        Err(why) => {
            unjudged.push(format!("`{}`: {why}", check.name));
            return;
        }
    };
    let (origin, failures) = match reader.lookup(&addr) {
        Ok(found) => {
            let failures = value_failures(check, &addr, found.as_ref(), unjudged);
            let origin = match found {
                Some(f) => Some(f.origin),
                None => reader.origin_of_absence(&addr),
            };
            (origin, failures)
        }
        // The profile's own file does not parse: its consumer could not use it either. Fail closed.
        Err(LookupError {
            message,
            at: Some(at),
        }) => (
            Some(at),
            vec![format!("`{}` cannot be judged: {message}", check.name)],
        ),
        Err(e) => {
            unjudged.push(format!("`{}` ({addr}): {}", check.name, e.message));
            return;
        }
    };
    if failures.is_empty() {
        return;
    }
    let (path, line, chain) = match origin {
        Some(o) => (Some(o.file), o.line, o.chain),
        None => (None, None, Vec::new()),
    };
    let what = failures.join("; ");
    let (code, message) = if window == Window::InForce {
        (ResultCode::Violation, format!("{what} ({})", req.cite()))
    } else {
        (
            ResultCode::Upcoming,
            format!(
                "from {} (in {} days): {what} ({})",
                req.effective,
                as_of.days_until(req.effective),
                req.cite()
            ),
        )
    };
    results.push(RequirementResult {
        code,
        requirement: req.id.clone(),
        profile: p.name.to_string(),
        path,
        line,
        chain,
        date: req.effective,
        message,
    });
}

/// What is wrong with the value found at `addr`, or with its absence; records in `unjudged` an absence
/// that proves nothing.
fn value_failures(
    check: &ValueCheck,
    addr: &Address,
    found: Option<&Found>,
    unjudged: &mut Vec<String>,
) -> Vec<String> {
    match found {
        None => {
            if check
                .constraints
                .iter()
                .any(|c| matches!(c, Constraint::Present))
            {
                vec![format!("{} is not set, but must be", show_addr(addr))]
            } else {
                if !check
                    .constraints
                    .iter()
                    .all(|c| matches!(c, Constraint::Absent))
                {
                    unjudged.push(format!("`{}`: {} is not set", check.name, show_addr(addr)));
                }
                Vec::new()
            }
        }
        Some(f) => judge_found(check, addr, f),
    }
}

fn show_addr(addr: &Address) -> String {
    match addr {
        Address::Openssl { section, key } => format!("`[{section}] {key}`"),
        Address::Json { pointer } => format!("`{pointer}`"),
        Address::Kv { key } => format!("`{key}`"),
    }
}

fn judge_found(check: &ValueCheck, addr: &Address, f: &Found) -> Vec<String> {
    let shown = format!(
        "{} = {}",
        show_addr(addr).trim_end_matches('`'),
        f.value.trim()
    );
    let shown = format!("{shown}`");
    let mut fails = Vec::new();
    if check
        .constraints
        .iter()
        .any(|c| matches!(c, Constraint::Absent))
    {
        fails.push(format!("{shown} is set, but must not be"));
    }
    let items: Vec<&str> = match &check.split {
        Some(sep) => f
            .value
            .split(sep.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
        None => vec![f.value.trim()],
    };
    for item in items {
        let label = if check.split.is_some() {
            format!("{shown}: item `{item}`")
        } else {
            shown.clone()
        };
        for c in &check.constraints {
            if let Some(why) = judge_item(check, item, c) {
                fails.push(format!("{label} {why}"));
            }
        }
    }
    fails
}

/// Why `item` breaks `c`, or `None` when it does not.
fn judge_item(check: &ValueCheck, item: &str, c: &Constraint) -> Option<String> {
    match c {
        Constraint::Present | Constraint::Absent => None,
        Constraint::Equals(want) => (item != want).then(|| format!("must equal `{want}`")),
        Constraint::OneOf(set) => (!set.iter().any(|s| s == item)).then(|| {
            format!(
                "must be one of {}",
                set.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
        Constraint::Matches(re) => (!re.is_match(item)).then(|| format!("must match `{re}`")),
        Constraint::NotMatches(re) => re.is_match(item).then(|| format!("must not match `{re}`")),
        Constraint::Max(b) | Constraint::Min(b) => {
            let is_max = matches!(c, Constraint::Max(_));
            judge_bound(check, item, *b, is_max)
        }
    }
}

fn judge_bound(check: &ValueCheck, item: &str, bound: Bound, is_max: bool) -> Option<String> {
    let word = if is_max { "maximum" } else { "minimum" };
    let breaks = |have: u128, limit: u128| if is_max { have > limit } else { have < limit };
    match (check.kind, bound) {
        (ValueKind::Integer, Bound::Integer(limit)) => match item.parse::<i64>() {
            Err(_) => Some("is not an integer".into()),
            Ok(n) if (is_max && n > limit) || (!is_max && n < limit) => Some(format!(
                "is {} the {word} of {limit}",
                if is_max { "over" } else { "under" }
            )),
            Ok(_) => None,
        },
        (ValueKind::Validity, Bound::Span(limit)) => match Span::parse_value(item, check.unit) {
            Err(e) => Some(e),
            Ok(span) => {
                let have = span.inclusive_validity_seconds();
                let limit = limit.whole_seconds();
                breaks(have, limit).then(|| {
                    format!(
                        "gives certificates a validity period of {} (notBefore and notAfter both count), {} the {word} of {}",
                        describe_seconds(have),
                        if is_max { "over" } else { "under" },
                        describe_seconds(limit)
                    )
                })
            }
        },
        (ValueKind::Duration, Bound::Span(limit)) => match Span::parse_value(item, check.unit) {
            Err(e) => Some(e),
            Ok(span) => breaks(span.nanos(), limit.nanos()).then(|| {
                format!(
                    "is {} the {word} of {limit}",
                    if is_max { "over" } else { "under" }
                )
            }),
        },
        // `RawValueCheck::check` only builds bounds that fit the kind.
        _ => Some("has a bound of the wrong kind".into()),
    }
}
