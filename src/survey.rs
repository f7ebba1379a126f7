//! The survey behind `vigil requirements`: the state of every requirement for every profile of a
//! workspace on a day, from the inventory, the manifests and the current hashes, without version control.

use crate::config::{Config, Profile};
use crate::inventory::Inventory;
use crate::requirement_check::{evaluate, ProfileFacts};
use crate::requirements::{self, Date};
use crate::source::Source;
use std::collections::HashMap;
use std::path::Path;

/// The state of every requirement for every profile of a workspace as of `as_of`, for `vigil
/// requirements`: the inventory of each profile, its manifest and the current hashes, without version
/// control.
pub fn survey(
    config: &Config,
    source: &dyn Source,
    root: Option<&Path>,
    as_of: Date,
) -> Result<requirements::Outcome, crate::Error> {
    let profiles: Vec<&Profile> = config.profiles.values().collect();
    let inventories: Vec<Inventory> = profiles
        .iter()
        .map(|p| crate::inventory::inventory(source, p, root))
        .collect();
    let mut manifests = Vec::new();
    for p in &profiles {
        manifests.push(crate::check::read_manifest(config, source, &p.name)?);
    }
    let mut hashes = HashMap::new();
    for c in inventories.iter().flat_map(|i| &i.components) {
        if !hashes.contains_key(&c.path) {
            let h = crate::source::digest_component(source, &c.path, &c.meta.kind)
                .map_err(|e| e.to_string());
            hashes.insert(c.path.clone(), h);
        }
    }
    let facts: Vec<ProfileFacts<'_>> = profiles
        .iter()
        .zip(&inventories)
        .zip(&manifests)
        .map(|((p, inv), m)| ProfileFacts {
            profile: p,
            inventory: inv,
            manifest: m.as_ref().map(|m| &m.manifest),
            hashes: &hashes,
        })
        .collect();
    Ok(evaluate(&config.requirements, source, root, as_of, &facts))
}
