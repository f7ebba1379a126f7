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

pub mod duration;
mod eval;
pub mod pack;
pub mod rule;
pub mod site;
pub mod time;
pub mod value;

pub use duration::{Span, Unit};
pub use eval::{
    evaluate, ComponentFacts, Outcome, ProfileInput, Readers, RequirementResult, ResultCode,
    Satisfies, Status, Window,
};
pub use pack::{NotJudged, Pack};
pub use rule::{Requirement, Source};
pub use site::{
    parse_site, ProfileRequirements, RawProfileRequirements, RawSiteRequirements, RequirementSet,
    DEFAULT_LEAD_DAYS,
};
pub use time::Date;
pub use value::{Address, Found, JsonValues, KvValues, LookupError, Origin, ValueLookup};

#[cfg(test)]
mod tests;
