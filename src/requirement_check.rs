//! The requirements stage of the check: reads each profile's values (through the OpenSSL loader, a JSON
//! profile or a `key=value` file, all read from the check's [`Source`]) and turns what
//! [`requirements::evaluate`] finds into `violation`, `unreviewed` and `upcoming` finding drafts.
//!
//! Which file is a profile's OpenSSL configuration: the first `.cnf` or `.conf` component the profile
//! names itself (an exact `components` entry, or a user reference such as an issuing script's `-config`
//! argument), else the first `.cnf`/`.conf` component that no OpenSSL include reached. A JSON profile is
//! the first `.json` component; a `key=value` file the first `.env` or `.properties` component.

use crate::config::Profile;
use crate::finding::{Code, Draft, Step};
use crate::inventory::Inventory;
use crate::manifest::Manifest;
use crate::openssl::{self, Loaded};
use crate::path::WsPath;
use crate::requirements::{
    self, Address, ComponentFacts, Date, Found, JsonValues, KvValues, LookupError, Origin,
    ProfileInput, Readers, RequirementSet, ResultCode, Satisfies, Unparsable, ValueLookup,
};
use crate::source::Source;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where the workspace sits for the loader when the source has no folder on disk (an index, a commit, a
/// Subversion transaction): an absolute path that nothing else uses.
const VIRTUAL_ROOT: &str = "/vigil-workspace";

/// One profile as the requirements stage sees it: its inventory, and the current hash of each component.
pub struct ProfileFacts<'a> {
    pub profile: &'a Profile,
    pub inventory: &'a Inventory,
    pub manifest: Option<&'a Manifest>,
    /// BLAKE3 of each component as it is now, when it could be hashed.
    pub hashes: &'a HashMap<WsPath, Result<crate::hash::Digest, String>>,
}

/// Judges every requirement for every profile as of `as_of`, returning one draft per result, by profile.
pub fn judge(
    set: &RequirementSet,
    source: &dyn Source,
    root: Option<&Path>,
    as_of: Date,
    profiles: &[ProfileFacts<'_>],
) -> Vec<(String, Draft)> {
    let outcome = evaluate(set, source, root, as_of, profiles);
    outcome
        .results
        .into_iter()
        .map(|r| {
            let code = match r.code {
                ResultCode::Violation => Code::Violation,
                ResultCode::Unreviewed => Code::Unreviewed,
                ResultCode::Upcoming => Code::Upcoming,
            };
            let path = r
                .path
                .clone()
                .unwrap_or_else(|| format!("requirement {}", r.requirement));
            let via: Vec<_> = r.chain.iter().filter_map(|s| chain_step(s)).collect();
            (
                r.profile.clone(),
                Draft::requirement(code, path, r.line, via, r.message),
            )
        })
        .collect()
}

/// The whole outcome (results and the state of each requirement for each profile), for `vigil
/// requirements`.
pub fn evaluate(
    set: &RequirementSet,
    source: &dyn Source,
    root: Option<&Path>,
    as_of: Date,
    profiles: &[ProfileFacts<'_>],
) -> requirements::Outcome {
    let readers: Vec<OwnedReaders> = profiles
        .iter()
        .map(|p| OwnedReaders::read(source, root, p))
        .collect();
    let satisfied: Vec<Vec<(String, Vec<Satisfies>)>> = profiles
        .iter()
        .map(|p| {
            p.inventory
                .components
                .iter()
                .map(|c| (c.path.to_string(), reviews(p, &c.path)))
                .collect()
        })
        .collect();
    let inputs: Vec<ProfileInput<'_>> = profiles
        .iter()
        .zip(&readers)
        .zip(&satisfied)
        .map(|((p, r), s)| ProfileInput {
            name: &p.profile.name,
            settings: &p.profile.requirements,
            readers: r.readers(),
            components: s
                .iter()
                .map(|(path, sat)| ComponentFacts {
                    path,
                    satisfies: sat,
                })
                .collect(),
        })
        .collect();
    requirements::evaluate(set, as_of, set.lead_days, &inputs)
}

/// The reviews a component's manifest entry records, only while its bytes are the ones reviewed: a
/// changed file needs a new review.
fn reviews(p: &ProfileFacts<'_>, path: &WsPath) -> Vec<Satisfies> {
    let Some(entry) = p.manifest.and_then(|m| m.entry(path)) else {
        return Vec::new();
    };
    match p.hashes.get(path) {
        Some(Ok(h)) if crate::hash::Digest::from_hex(&entry.blake3) == Some(*h) => {
            entry.satisfies.clone()
        }
        _ => Vec::new(),
    }
}

/// `path:line` (as the OpenSSL reader writes an include step) back into a reference step.
fn chain_step(s: &str) -> Option<Step> {
    let (path, line) = s.rsplit_once(':')?;
    Some(Step::Reference {
        from: WsPath::normalize(Path::new(path))?,
        line: line.parse().ok()?,
        by: "openssl-include".into(),
    })
}

/// The readers of one profile, owned.
struct OwnedReaders {
    openssl: Option<OpensslValues>,
    json: Option<Box<dyn ValueLookup>>,
    kv: Option<Box<dyn ValueLookup>>,
}

/// A reader over a parsed file, or one that fails every lookup with the parse error.
fn parsed<T: ValueLookup + 'static>(r: Result<T, LookupError>) -> Box<dyn ValueLookup> {
    match r {
        Ok(v) => Box::new(v),
        Err(e) => Box::new(Unparsable(e)),
    }
}

impl OwnedReaders {
    fn read(source: &dyn Source, root: Option<&Path>, p: &ProfileFacts<'_>) -> Self {
        let pick = |exts: &[&str]| top_file(p, exts);
        let text = |path: &WsPath| -> Option<String> {
            let mut s = String::new();
            source.open(path).ok()?.read_to_string(&mut s).ok()?;
            Some(s)
        };
        let openssl = pick(&["cnf", "conf"]).map(|top| {
            // The inventory's own load of that file: the profile's environment and working folder,
            // exactly what the components were judged on.
            if let Some(l) = p.inventory.loads.iter().find(|l| l.top == top) {
                return OpensslValues {
                    loaded: l.loaded.clone(),
                    root: l.root.clone(),
                };
            }
            let root = root.map_or_else(|| PathBuf::from(VIRTUAL_ROOT), Path::to_path_buf);
            let fs = crate::openssl_load::SourceAccess::new(source, &root);
            let cwd = WsPath::normalize(Path::new(&p.profile.include_dir))
                .map_or_else(|| root.clone(), |d| root.join(d.as_path()));
            let opts = openssl::Options::new(&root, cwd);
            let loaded = openssl::load(&fs, &root.join(top.as_path()), &opts);
            OpensslValues { loaded, root }
        });
        let json = pick(&["json"]).and_then(|f| {
            let t = text(&f)?;
            Some(parsed(JsonValues::parse(&f.to_string(), &t)))
        });
        let kv = pick(&["env", "properties"]).and_then(|f| {
            let t = text(&f)?;
            Some(parsed(KvValues::parse(&f.to_string(), &t)))
        });
        OwnedReaders { openssl, json, kv }
    }

    fn readers(&self) -> Readers<'_> {
        Readers {
            openssl: self.openssl.as_ref().map(|o| o as &dyn ValueLookup),
            json: self.json.as_deref(),
            kv: self.kv.as_deref(),
        }
    }
}

/// The component that is the profile's file of one of `exts` (see the module's documentation).
fn top_file(p: &ProfileFacts<'_>, exts: &[&str]) -> Option<WsPath> {
    let of_ext = |c: &&crate::inventory::Component| {
        let name = c.path.to_string();
        exts.iter().any(|e| name.ends_with(&format!(".{e}")))
    };
    let named = |c: &&crate::inventory::Component| match c.via.last() {
        Some(Step::Declared { pattern }) => *pattern == c.path.to_string(),
        Some(Step::Reference { by, .. }) => by != "openssl-include",
        _ => false,
    };
    let not_included = |c: &&crate::inventory::Component| !matches!(c.via.last(), Some(Step::Reference { by, .. }) if by == "openssl-include");
    let comps = &p.inventory.components;
    comps
        .iter()
        .filter(of_ext)
        .find(named)
        .or_else(|| comps.iter().filter(of_ext).find(not_included))
        .map(|c| c.path.clone())
}

/// The OpenSSL loader's database as a [`ValueLookup`]: `section.key` as `NCONF_get_string` finds it
/// (falling back to `[default]`), with the file and line that set it and the include chain. Items of the
/// form `@section` (or a bare section name, for `crlDistributionPoints`) are replaced by that section's
/// entries, as OpenSSL's extension code reads them: `URI.0 = http://x` becomes `URI:http://x`,
/// `caIssuers;URI.0 = http://x` becomes `caIssuers;URI:http://x`, `fullname = URI:http://x` stays
/// `URI:http://x`.
pub struct OpensslValues {
    loaded: Loaded,
    root: PathBuf,
}

impl OpensslValues {
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }

    fn origin(&self, at: &openssl::Location) -> Origin {
        Origin {
            file: self.rel(&at.path),
            line: Some(at.line),
            chain: self
                .loaded
                .chain_of(at)
                .iter()
                .map(|s| format!("{}:{}", self.rel(&s.path), s.line))
                .collect(),
        }
    }

    /// The entries of a section an extension value points at, as `NAME:VALUE` items.
    fn section_items(&self, name: &str) -> Option<Vec<String>> {
        let section = self.loaded.db.section(name)?;
        Some(
            section
                .settings()
                .iter()
                .map(|s| {
                    let key = String::from_utf8_lossy(&s.name).into_owned();
                    let value = s.text().trim().to_string();
                    if key == "fullname" || key == "relativename" {
                        value
                    } else {
                        // `URI.0` and `URI.1` are the same kind of name: OpenSSL ignores what follows the dot.
                        let kind = key.rsplit_once('.').map_or(key.as_str(), |(k, _)| k);
                        format!("{kind}:{value}")
                    }
                })
                .collect(),
        )
    }
}

impl ValueLookup for OpensslValues {
    fn lookup(&self, address: &Address) -> Result<Option<Found>, LookupError> {
        let Address::Openssl { section, key } = address else {
            return Ok(None);
        };
        let Some(setting) = self.loaded.db.lookup(section, key) else {
            // OpenSSL would reject the configuration before the key: absence proves nothing.
            if let Some(e) = &self.loaded.error {
                return Err(LookupError {
                    message: format!(
                        "OpenSSL stops loading at {}:{}: {} ({})",
                        self.rel(&e.at.path),
                        e.at.line,
                        e.reason,
                        e.detail
                    ),
                    // Reported by the inventory as the OpenSSL load error it is; here it leaves the
                    // value unjudged rather than counting one error once per rule.
                    at: None,
                });
            }
            return Ok(None);
        };
        let raw = setting.text().into_owned();
        let mut items = Vec::new();
        let mut expanded = false;
        for item in raw.split(',').map(str::trim) {
            let name = item.strip_prefix('@');
            let sect = name.or_else(|| (!item.contains(':') && !item.is_empty()).then_some(item));
            match sect.and_then(|s| self.section_items(s)) {
                Some(v) if name.is_some() || key == "crlDistributionPoints" => {
                    expanded = true;
                    items.extend(v);
                }
                _ => items.push(item.to_string()),
            }
        }
        let value = if expanded { items.join(", ") } else { raw };
        Ok(Some(Found {
            value,
            origin: self.origin(&setting.at),
        }))
    }

    fn origin_of_absence(&self, address: &Address) -> Option<Origin> {
        let Address::Openssl { section, .. } = address else {
            return None;
        };
        // Point at the section that lacks the key: its first setting's file.
        let s = self.loaded.db.section(section)?;
        let first = s.settings().into_iter().next()?;
        let mut o = self.origin(&first.at);
        o.line = None;
        Some(o)
    }
}
