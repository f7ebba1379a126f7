//! Requirements: rules with effective dates that profiles must meet, from shipped rule packs and `vigil.toml`.
//!
//! A requirement applies to profiles by name or by `purpose` tag and demands a `review` (every component
//! approved with `--satisfies ID` since it took effect) and/or constraints on configuration `values`.
//! [`evaluate`] judges profiles as of a day and returns plain [`RequirementResult`]s (`violation`,
//! `unreviewed`, `upcoming`) that the caller turns into findings.
//!
//! The pieces: [`time`] (days and instants), [`duration`] (typed lifetimes, inclusive validity), [`value`]
//! (addresses and the [`ValueLookup`] seam), [`rule`] (the model and its TOML form), [`pack`] (shipped
//! packs), [`site`] (`[requirements]` in `vigil.toml`, profile keys), and `eval` (the judgement).
//!
//! # Wiring it into the rest of vigil
//!
//! - **Configuration**: `RawConfig` gains `requirements: RawSiteRequirements` (`[requirements]`), and
//!   `RawProfile` gains the three keys of [`RawProfileRequirements`] (`purpose`, `openssl-sections`,
//!   `values`). After parsing, [`RequirementSet::build`]`(Pack::builtin()?, &raw.requirements, file, text)`
//!   and, per profile, [`RawProfileRequirements::check`]`(&set, file, text)`; both return `ConfigError`
//!   with file, line and column.
//! - **`check --as-of DATE`**: [`Date::parse`] the flag (default [`Date::today`]); build one
//!   [`ProfileInput`] per profile: its [`Readers`] (the OpenSSL loader's [`ValueLookup`], a [`JsonValues`]
//!   or [`KvValues`] over the component holding the profile's JSON or `key=value` settings) and one
//!   [`ComponentFacts`] per inventoried component; call [`evaluate`]`(&set, as_of, set.lead_days, &inputs)`
//!   and map each [`RequirementResult`] to a finding whose code is [`ResultCode::as_str`], with `path`,
//!   `line` and the include `chain`.
//! - **`approve --satisfies ID`**: check the id with [`RequirementSet::get`], and record a [`Satisfies`]
//!   (id, the approval's time and approver) on each component entry of the manifest. Carry a component's
//!   records forward to later approvals only while its hash is unchanged, so a changed file needs a new
//!   review.
//! - **`vigil requirements`**: list `set.requirements` (id, title, source, effective/until, purposes and
//!   profiles) with [`Outcome::statuses`] for today: window, override reason, result count and what could
//!   not be judged; `set.packs[..].not_judged` lists what configuration cannot show.

pub mod duration;
mod eval;
pub mod pack;
pub mod rule;
pub mod site;
pub mod time;
pub mod value;

pub use eval::{
    evaluate, ComponentFacts, Outcome, ProfileInput, Readers, ResultCode, Satisfies, Window,
};
pub use pack::Pack;
pub use rule::Requirement;
#[cfg(test)]
pub use site::parse_site;
pub use site::{ProfileRequirements, RawProfileRequirements, RawSiteRequirements, RequirementSet};
pub use time::Date;
pub use value::{
    Address, Found, JsonValues, KvValues, LookupError, Origin, Unparsable, ValueLookup,
};

#[cfg(test)]
mod tests;
