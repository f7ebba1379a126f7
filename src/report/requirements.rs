//! The `vigil requirements` listing: every requirement, its dates and source, and the state of each
//! profile it applies to on a day, as a typed model with a human and a JSON rendering.
//!
//! The JSON form is a public contract like the check report: `schema/requirements.schema.json` is
//! generated from these types, and `schema_version` changes only when a field is removed or changes meaning.

use crate::requirements::{Date, Outcome, RequirementSet, Window};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON requirements listing.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "vigil requirements")]
pub struct RequirementsReport {
    /// Version of this format: 1.
    pub schema_version: u32,
    /// The day judged (YYYY-MM-DD).
    pub as_of: String,
    /// How many days before its effective date a requirement is `upcoming`.
    pub lead_days: u32,
    pub requirements: Vec<RequirementEntry>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RequirementEntry {
    pub id: String,
    pub title: String,
    /// The rule pack it comes from; null for a site requirement from `vigil.toml`.
    pub pack: Option<String>,
    /// Its source as a sentence: document, section, ballot and URL.
    pub source: String,
    /// First day in force (YYYY-MM-DD).
    pub effective: String,
    /// First day no longer in force, when a later rule replaced it.
    pub until: Option<String>,
    /// Where `as_of` falls: `not yet`, `upcoming`, `in force` or `ended`.
    pub window: String,
    /// Purpose tags it applies to.
    pub purposes: Vec<String>,
    /// Profiles it names directly.
    pub named_profiles: Vec<String>,
    /// Whether it demands a review (`vigil approve --satisfies ID`).
    pub review: bool,
    /// Where it is defined: `FILE:LINE` (a pack file or `vigil.toml`).
    pub defined: String,
    /// The site's override of it, if any.
    #[serde(rename = "override")]
    pub override_: Option<OverrideEntry>,
    /// One entry per profile it applies to.
    pub profiles: Vec<ProfileState>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OverrideEntry {
    /// The recorded reason (mandatory in `vigil.toml`).
    pub reason: String,
    /// The profiles it covers; empty means every profile.
    pub profiles: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProfileState {
    pub profile: String,
    /// Where `as_of` falls for this profile: `not yet`, `upcoming`, `in force` or `ended`.
    pub window: String,
    /// The override reason when the rule is switched off for this profile.
    pub overridden: Option<String>,
    /// Finding counts by code (`violation`, `unreviewed`, `upcoming`); empty when the profile meets it.
    pub results: BTreeMap<String, usize>,
    /// Values that could not be judged, and why.
    pub not_judged: Vec<String>,
}

/// How a window is written, in both renderings.
pub fn window_text(w: Window) -> &'static str {
    match w {
        Window::NotYet => "not yet",
        Window::Upcoming => "upcoming",
        Window::InForce => "in force",
        Window::Ended => "ended",
    }
}

impl RequirementsReport {
    /// The listing of `set` as judged in `outcome` on `as_of`.
    pub fn build(set: &RequirementSet, outcome: &Outcome, as_of: Date) -> RequirementsReport {
        let requirements = set
            .requirements
            .iter()
            .map(|r| RequirementEntry {
                id: r.id.clone(),
                title: r.title.clone(),
                pack: r.pack.clone(),
                source: r.source.to_string(),
                effective: r.effective.to_string(),
                until: r.until.map(|u| u.to_string()),
                window: window_text(r.window(as_of, set.lead_days)).to_string(),
                purposes: r.applies_to.purposes.clone(),
                named_profiles: r.applies_to.profiles.clone(),
                review: r.review,
                defined: format!("{}:{}", r.defined.file, r.defined.line),
                override_: set.overrides.get(&r.id).map(|o| OverrideEntry {
                    reason: o.reason.clone(),
                    profiles: o.profiles.clone(),
                }),
                profiles: outcome
                    .statuses
                    .iter()
                    .filter(|s| s.requirement == r.id)
                    .map(|s| {
                        let mut results = BTreeMap::new();
                        for x in outcome
                            .results
                            .iter()
                            .filter(|x| x.requirement == r.id && x.profile == s.profile)
                        {
                            *results.entry(x.code.as_str().to_string()).or_insert(0) += 1;
                        }
                        ProfileState {
                            profile: s.profile.clone(),
                            window: window_text(s.window).to_string(),
                            overridden: s.overridden.clone(),
                            results,
                            not_judged: s.unjudged.clone(),
                        }
                    })
                    .collect(),
            })
            .collect();
        RequirementsReport {
            schema_version: SCHEMA_VERSION,
            as_of: as_of.to_string(),
            lead_days: set.lead_days,
            requirements,
        }
    }

    /// Whether a requirement is broken today: a `violation` or an `unreviewed` (the command then exits
    /// 1). An `upcoming` one is a warning about a future day and does not fail.
    pub fn failing(&self) -> bool {
        self.requirements
            .iter()
            .flat_map(|r| &r.profiles)
            .flat_map(|p| p.results.keys())
            .any(|code| code != "upcoming")
    }

    /// The JSON rendering, ending in a newline.
    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the listing serialises");
        text.push('\n');
        text
    }

    /// The human rendering.
    pub fn human(&self) -> String {
        let mut out = format!(
            "vigil: {} requirements as of {} (upcoming from {} days ahead)\n",
            self.requirements.len(),
            self.as_of,
            self.lead_days
        );
        for r in &self.requirements {
            let dates = match &r.until {
                Some(u) => format!("{} until {u}", r.effective),
                None => format!("from {}", r.effective),
            };
            out.push_str(&format!(
                "\n{}  {}\n  {dates}, {}; {}\n",
                r.id, r.title, r.window, r.source
            ));
            let mut applies = Vec::new();
            if !r.purposes.is_empty() {
                applies.push(format!("purpose {}", r.purposes.join(", ")));
            }
            if !r.named_profiles.is_empty() {
                applies.push(format!("profiles {}", r.named_profiles.join(", ")));
            }
            out.push_str(&format!(
                "  applies to {}{}\n",
                applies.join("; "),
                if r.review { "; needs a review" } else { "" }
            ));
            if let Some(o) = &r.override_ {
                out.push_str(&format!("  overridden: {}\n", o.reason));
            }
            if r.profiles.is_empty() {
                out.push_str("  no profile declares it\n");
            }
            for p in &r.profiles {
                out.push_str(&format!("  {:<20} {}\n", p.profile, p.state()));
                for u in &p.not_judged {
                    out.push_str(&format!("  {:<20} not judged: {u}\n", ""));
                }
            }
        }
        out
    }
}

impl ProfileState {
    /// One word or a count list: `overridden: REASON`, the window when not in force, `ok`, or
    /// `1 violation, 2 unreviewed`.
    fn state(&self) -> String {
        if let Some(reason) = &self.overridden {
            return format!("overridden: {reason}");
        }
        if self.window != "in force" && self.window != "upcoming" {
            return self.window.clone();
        }
        if self.results.is_empty() {
            return "ok".to_string();
        }
        self.results
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
