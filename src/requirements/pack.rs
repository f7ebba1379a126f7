//! Rule packs: the requirements vigil ships as data files under `packs/`, embedded in the binary.

use super::rule::{err_at, RawRequirement, Requirement};
use crate::diagnostic::ConfigError;
use serde::Deserialize;
use std::path::Path;

/// The shipped packs: (file name, text).
pub const BUILTIN: [(&str, &str); 3] = [
    (
        "packs/cabf-tls-br.toml",
        include_str!("../../packs/cabf-tls-br.toml"),
    ),
    (
        "packs/cabf-smime-br.toml",
        include_str!("../../packs/cabf-smime-br.toml"),
    ),
    (
        "packs/cabf-ev.toml",
        include_str!("../../packs/cabf-ev.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPack {
    pack: RawPackHeader,
    #[serde(default)]
    requirement: Vec<RawRequirement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPackHeader {
    id: String,
    // The title, the document's URL and the version of the document the rules were checked against
    // are required of every pack, for its readers; vigil itself does not use them.
    #[serde(rename = "title")]
    _title: String,
    /// The document the pack follows.
    document: String,
    #[serde(rename = "url")]
    _url: String,
    #[serde(rename = "checked-against")]
    _checked_against: String,
    // The rules of the pack's source that configuration cannot show, and why: for the pack's
    // readers (a test checks every shipped pack lists them); each entry's shape is checked here.
    #[serde(default, rename = "not-judged")]
    _not_judged: Vec<NotJudged>,
}

/// A rule of the pack's source that configuration cannot show, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotJudged {
    #[serde(rename = "section")]
    _section: String,
    #[serde(rename = "rule")]
    _rule: String,
    #[serde(rename = "why")]
    _why: String,
}

/// A pack, checked.
#[derive(Debug, Clone)]
pub struct Pack {
    pub id: String,
    pub requirements: Vec<Requirement>,
}

impl Pack {
    /// Parses a pack file. Every requirement id must start with `PACK-ID/`.
    pub fn parse(file: &Path, text: &str) -> Result<Pack, ConfigError> {
        let raw: RawPack = toml::from_str(text)
            .map_err(|e| err_at(file, text, e.span(), e.message().trim().to_string()))?;
        let id = raw.pack.id;
        let mut requirements = Vec::new();
        for r in &raw.requirement {
            if !r.id.get_ref().starts_with(&format!("{id}/")) {
                return Err(err_at(
                    file,
                    text,
                    Some(r.id.span()),
                    format!(
                        "requirement `{}` of pack `{id}` must start with `{id}/`",
                        r.id.get_ref()
                    ),
                ));
            }
            let mut req = r.check(Some(&id), file, text)?;
            if req.source.document.is_none() {
                req.source.document = Some(raw.pack.document.clone());
            }
            requirements.push(req);
        }
        Ok(Pack { id, requirements })
    }

    /// The packs shipped with vigil.
    pub fn builtin() -> Result<Vec<Pack>, ConfigError> {
        BUILTIN
            .iter()
            .map(|(file, text)| Pack::parse(Path::new(file), text))
            .collect()
    }
}
