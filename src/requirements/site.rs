//! The site's side of requirements in `vigil.toml`: which packs to use, its own rules, overrides with a
//! recorded reason, and each profile's `purpose` tags and value locations.
//!
//! ```toml
//! [requirements]
//! packs = ["cabf-tls-br"]          # default: every shipped pack (profiles opt in by purpose)
//! lead-days = 90                   # how early `upcoming` warns
//!
//! [[requirements.rule]]            # a site requirement, same fields as a pack rule
//! id = "site/ocsp-http"
//! # …
//!
//! [requirements.overrides."cabf-tls-br/sc62-aia-http"]
//! reason = "AIA is served by the HSM vendor's responder; see risk acceptance RA-12"
//! profiles = ["legacy-vpn"]        # default: every profile
//!
//! [profiles.tls-server]
//! purpose = ["tls-server"]
//! openssl-sections = { ca = "CA_tls", ext = "tls_ext" }
//! values = { validity = "json:/authority/claims/maxTLSCertDuration" }
//! ```
//!
//! TOML cannot hold both an array `[[requirements]]` and a table `[requirements.overrides]` under one
//! key, so site rules are `[[requirements.rule]]`.

use super::pack::Pack;
use super::rule::{err_at, RawRequirement, Requirement};
use super::value::Address;
use crate::diagnostic::ConfigError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// How many days before an effective date `upcoming` starts to warn, unless `lead-days` says otherwise.
pub const DEFAULT_LEAD_DAYS: u32 = 90;

/// Purpose tags a profile may declare even when no requirement uses them yet; rules may add others.
pub const KNOWN_PURPOSES: [&str; 6] = [
    "client-auth",
    "code-signing",
    "ev",
    "smime",
    "timestamping",
    "tls-server",
];

/// `[requirements]` in `vigil.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSiteRequirements {
    /// Shipped packs to use, by id. Default: all of them; a profile opts in by its `purpose`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub packs: Option<Vec<Spanned<String>>>,
    /// Days before an effective date from which `upcoming` warns. Default: 90.
    #[serde(default)]
    pub lead_days: Option<u32>,
    /// The site's own requirements.
    #[serde(default)]
    pub rule: Vec<RawRequirement>,
    /// Pack rules the site does not apply, each with the reason, by requirement id.
    #[serde(default)]
    pub overrides: BTreeMap<String, RawOverride>,
}

/// `[requirements.overrides."ID"]`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawOverride {
    /// Why the rule does not apply; mandatory, and shown wherever the rule's state is.
    #[serde(default)]
    #[schemars(with = "String")]
    pub reason: Option<Spanned<String>>,
    /// Profiles exempted; default: every profile.
    #[serde(default)]
    pub profiles: Vec<String>,
}

/// The requirement keys of one `[profiles.NAME]` table: `purpose`, `openssl-sections` and `values`,
/// documented (and read from `vigil.toml`) on `config::RawProfile`, which hands them over here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawProfileRequirements {
    pub purpose: Vec<Spanned<String>>,
    pub openssl_sections: BTreeMap<String, String>,
    pub values: BTreeMap<String, Spanned<String>>,
}

/// A profile's requirement settings, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileRequirements {
    pub purposes: Vec<String>,
    pub openssl_sections: BTreeMap<String, String>,
    pub values: BTreeMap<String, Address>,
}

/// A pack rule switched off, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub reason: String,
    /// Empty: every profile.
    pub profiles: Vec<String>,
    /// Line in `vigil.toml`.
    pub line: usize,
}

impl Override {
    pub fn covers(&self, profile: &str) -> bool {
        self.profiles.is_empty() || self.profiles.iter().any(|p| p == profile)
    }
}

/// Every requirement in force for a workspace: the selected packs, the site's rules and its overrides.
#[derive(Debug, Clone)]
pub struct RequirementSet {
    pub requirements: Vec<Requirement>,
    pub overrides: BTreeMap<String, Override>,
    pub lead_days: u32,
}

impl RawProfileRequirements {
    /// Checks one profile's keys against the purpose tags the requirement set knows.
    pub fn check(
        &self,
        set: &RequirementSet,
        file: &Path,
        text: &str,
    ) -> Result<ProfileRequirements, ConfigError> {
        let mut known = set.purposes();
        known.extend(KNOWN_PURPOSES.iter().map(|p| p.to_string()));
        known.sort();
        known.dedup();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let mut purposes = Vec::new();
        for p in &self.purpose {
            if !known.contains(&p.get_ref().as_str()) {
                return Err(err_at(
                    file,
                    text,
                    Some(p.span()),
                    format!(
                        "no requirement uses purpose `{}`{}; known: {}",
                        p.get_ref(),
                        crate::diagnostic::closest(p.get_ref(), &known),
                        known.join(", ")
                    ),
                ));
            }
            purposes.push(p.get_ref().clone());
        }
        let mut values = BTreeMap::new();
        for (name, a) in &self.values {
            let addr =
                Address::parse(a.get_ref()).map_err(|m| err_at(file, text, Some(a.span()), m))?;
            values.insert(name.clone(), addr);
        }
        Ok(ProfileRequirements {
            purposes,
            openssl_sections: self.openssl_sections.clone(),
            values,
        })
    }
}

/// Reads only the `[requirements]` table of a `vigil.toml`, for tests of the requirements alone.
#[cfg(test)]
pub fn parse_site(file: &Path, text: &str) -> Result<RequirementSet, ConfigError> {
    #[derive(Deserialize)]
    struct Outer {
        #[serde(default)]
        requirements: RawSiteRequirements,
    }
    let outer: Outer = toml::from_str(text)
        .map_err(|e| err_at(file, text, e.span(), e.message().trim().to_string()))?;
    RequirementSet::build(Pack::builtin()?, &outer.requirements, file, text)
}

impl RequirementSet {
    /// Combines the shipped `packs` with the site's `[requirements]` (read from `file`, whose full `text`
    /// the spans in `raw` point into).
    pub fn build(
        packs: Vec<Pack>,
        raw: &RawSiteRequirements,
        file: &Path,
        text: &str,
    ) -> Result<RequirementSet, ConfigError> {
        let packs = select_packs(packs, raw, file, text)?;
        let mut requirements: Vec<Requirement> =
            packs.iter().flat_map(|p| p.requirements.clone()).collect();
        for r in &raw.rule {
            let req = r.check(None, file, text)?;
            if requirements.iter().any(|x| x.id == req.id) {
                return Err(err_at(
                    file,
                    text,
                    Some(r.id.span()),
                    format!("requirement id `{}` is already defined", req.id),
                ));
            }
            requirements.push(req);
        }
        let mut overrides = BTreeMap::new();
        for (id, o) in &raw.overrides {
            overrides.insert(id.clone(), o.check(id, &requirements, file, text)?);
        }
        Ok(RequirementSet {
            requirements,
            overrides,
            lead_days: raw.lead_days.unwrap_or(DEFAULT_LEAD_DAYS),
        })
    }

    /// Every purpose tag some requirement uses, sorted.
    pub fn purposes(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .requirements
            .iter()
            .flat_map(|r| r.applies_to.purposes.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }
}

/// The shipped packs `raw.packs` selects (all of them when it is not given); an unknown id is an error.
fn select_packs(
    packs: Vec<Pack>,
    raw: &RawSiteRequirements,
    file: &Path,
    text: &str,
) -> Result<Vec<Pack>, ConfigError> {
    let Some(wanted) = &raw.packs else {
        return Ok(packs);
    };
    let ids: Vec<&str> = packs.iter().map(|p| p.id.as_str()).collect();
    if let Some(w) = wanted.iter().find(|w| !ids.contains(&w.get_ref().as_str())) {
        return Err(err_at(
            file,
            text,
            Some(w.span()),
            format!(
                "unknown pack `{}`{}; shipped: {}",
                w.get_ref(),
                crate::diagnostic::closest(w.get_ref(), &ids),
                ids.join(", ")
            ),
        ));
    }
    Ok(packs
        .into_iter()
        .filter(|p| wanted.iter().any(|w| w.get_ref() == &p.id))
        .collect())
}

impl RawOverride {
    /// Checks the override of requirement `id`: it must name a known requirement and record a reason.
    fn check(
        &self,
        id: &str,
        requirements: &[Requirement],
        file: &Path,
        text: &str,
    ) -> Result<Override, ConfigError> {
        // serde gives no span for a map key, so find the table header in the text.
        let header = text
            .find(&format!("overrides.\"{id}\""))
            .or_else(|| text.find(&format!("overrides.{id}")))
            .or_else(|| text.find(id));
        let span = header.map(|i| i..i + 1);
        if !requirements.iter().any(|r| r.id == id) {
            let ids: Vec<&str> = requirements.iter().map(|r| r.id.as_str()).collect();
            return Err(err_at(
                file,
                text,
                span,
                format!(
                    "override of unknown requirement `{id}`{}",
                    crate::diagnostic::closest(id, &ids)
                ),
            ));
        }
        let reason = match &self.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
            Some(r) => {
                return Err(err_at(
                    file,
                    text,
                    Some(r.span()),
                    format!("the override of `{id}` needs a non-empty `reason`"),
                ))
            }
            None => {
                return Err(err_at(
                    file,
                    text,
                    span,
                    format!("the override of `{id}` needs a `reason`: an override without a recorded reason is not allowed"),
                ))
            }
        };
        Ok(Override {
            reason,
            profiles: self.profiles.clone(),
            line: span.map_or(0, |s| super::rule::line_of(text, s.start)),
        })
    }
}
