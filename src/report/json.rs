//! The JSON report: a frozen, versioned contract of its own, not a dump of internal types.
//!
//! `schema_version` changes only when a field is removed or changes meaning; fields may be added.
//! `schema/report.schema.json` is generated from these types.

use crate::check::{CheckedComponent, Report};
use crate::finding::{Code, Severity};
use crate::inventory::{Chain, Inventory};
use crate::path::WsPath;
use crate::source::Kind;
use crate::vcs::Status;
use schemars::JsonSchema;
use serde::Serialize;

/// The version of the JSON report format.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "vigil report")]
pub struct JsonReport {
    /// Version of this format: 1.
    pub schema_version: u32,
    pub vigil_version: String,
    /// When the report was made: UTC, RFC 3339, to the second.
    pub generated_at: String,
    /// The workspace folder (holding `vigil.toml`).
    pub workspace: String,
    /// Where component bytes were read from: `working tree`, `index`, `commit <id>`, ...
    pub source: String,
    /// `hook`, `nightly` or `gate`: which severities applied.
    pub mode: String,
    /// The version control used, as a sentence.
    pub vcs: String,
    pub revision: JsonRevision,
    pub profiles: Vec<JsonProfile>,
    pub findings: Vec<JsonFinding>,
    pub summary: JsonSummary,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonRevision {
    /// `git`, `svn` or `none`.
    pub vcs: String,
    /// Commit id or revision number; null before the first commit or without version control.
    pub id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonProfile {
    pub name: String,
    pub description: Option<String>,
    /// The approved manifest, null when the profile has none.
    pub manifest: Option<JsonManifest>,
    pub components: Vec<JsonComponent>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonManifest {
    pub path: WsPath,
    pub approved_by: String,
    pub approved_at: String,
    pub revision: Option<String>,
    /// BLAKE3 of the manifest file itself.
    pub blake3: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonComponent {
    pub path: WsPath,
    /// `file`, `executable`, `symlink`, `special`.
    pub kind: String,
    /// A symlink's target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub size: u64,
    /// How the profile reached it, outermost first.
    pub via: Chain,
    /// BLAKE3 of the content now; absent in an inventory or when unreadable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// The approved BLAKE3, when the manifest lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_blake3: Option<String>,
    /// `committed`, `untracked`, `ignored` or `uncommitted`; absent in an inventory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcs_status: Option<String>,
    /// What makes git transform its bytes between disk and the repository (`core.autocrlf`,
    /// `.gitattributes` `text`, `eol`, `ident`, `filter`, `working-tree-encoding`), so that the file on
    /// disk and its blob can hash differently; absent when git stores it byte for byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonFinding {
    pub code: Code,
    pub severity: Severity,
    pub profile: String,
    /// The component, or the declared pattern or manifest concerned.
    pub path: String,
    /// The line of `path` that set the value, for a requirement's finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
    /// How the profile reached it, outermost first.
    pub via: Chain,
    /// For `lint`: the linter (`pkilint`, `zlint`, or `requirements` for a requirement checked on the
    /// sample certificate), its own code and severity word, and where in the certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lint: Option<crate::finding::LintRef>,
}

impl From<&crate::finding::Finding> for JsonFinding {
    fn from(f: &crate::finding::Finding) -> Self {
        JsonFinding {
            code: f.code,
            severity: f.severity,
            profile: f.profile.clone(),
            path: f.path.to_string(),
            line: f.line,
            message: f.message.clone(),
            via: f.via.clone(),
            lint: f.lint.clone(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonSummary {
    pub profiles: usize,
    pub components: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// True when the run fails (any finding at error severity).
    pub failed: bool,
}

/// The JSON inventory (`vigil inventory --format json`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonInventory {
    pub schema_version: u32,
    pub profiles: Vec<JsonInventoryProfile>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonInventoryProfile {
    pub name: String,
    pub components: Vec<JsonComponent>,
    /// What could not be inventoried (missing references, symlinks out of the workspace, ...).
    pub problems: Vec<JsonProblem>,
    /// The files the OpenSSL CA section names: secrets (existence only) and runtime state; never
    /// components.
    pub ca_files: Vec<crate::openssl_ca::CaFile>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonProblem {
    pub code: Code,
    pub path: String,
    pub message: String,
    pub via: Chain,
}

/// `file`, `executable`, `symlink` or `special`, and a symlink's target.
pub fn kind_text(k: &Kind) -> (String, Option<String>) {
    match k {
        Kind::File => ("file".into(), None),
        Kind::Executable => ("executable".into(), None),
        Kind::Symlink(t) => ("symlink".into(), Some(crate::path::escape_bytes(t))),
        Kind::Dir => ("folder".into(), None),
        Kind::Special(_) => ("special".into(), None),
    }
}

fn status_text(s: &Status) -> &'static str {
    match s {
        Status::Committed => "committed",
        Status::Untracked(_) => "untracked",
        Status::Ignored => "ignored",
        Status::Uncommitted(_) => "uncommitted",
    }
}

fn component(c: &CheckedComponent) -> JsonComponent {
    let (kind, target) = kind_text(&c.kind);
    JsonComponent {
        path: c.path.clone(),
        kind,
        target,
        size: c.size,
        via: c.via.clone(),
        blake3: c.blake3.clone(),
        approved_blake3: c.approved.clone(),
        vcs_status: c.status.as_ref().map(|s| status_text(s).to_string()),
        transform: c.transform.as_ref().map(|t| t.what()),
    }
}

/// Converts a report into the JSON contract.
pub fn to_json(r: &Report) -> JsonReport {
    JsonReport {
        schema_version: SCHEMA_VERSION,
        vigil_version: crate::VERSION.into(),
        generated_at: super::timestamp(r.generated_at),
        workspace: r.workspace.display().to_string(),
        source: r.source.clone(),
        mode: r.mode.as_str().into(),
        vcs: r.vcs.clone(),
        revision: JsonRevision {
            vcs: r.revision.vcs.clone(),
            id: r.revision.id.clone(),
        },
        profiles: r
            .profiles
            .iter()
            .map(|p| JsonProfile {
                name: p.name.clone(),
                description: p.description.clone(),
                manifest: p.manifest.as_ref().map(|m| JsonManifest {
                    path: m.path.clone(),
                    approved_by: m.manifest.approved_by.clone(),
                    approved_at: m.manifest.approved_at.clone(),
                    revision: m.manifest.revision.id.clone(),
                    blake3: m.blake3.clone(),
                }),
                components: p.components.iter().map(component).collect(),
            })
            .collect(),
        findings: r.findings.iter().map(JsonFinding::from).collect(),
        summary: JsonSummary {
            profiles: r.profiles.len(),
            components: r.profiles.iter().map(|p| p.components.len()).sum(),
            errors: r.count(Severity::Error),
            warnings: r.count(Severity::Warning),
            notes: r.count(Severity::Note),
            failed: r.failed(),
        },
    }
}

/// The JSON report as bytes, pretty-printed, ending in a newline.
pub fn render(r: &Report) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&to_json(r)).expect("reports always serialise");
    v.push(b'\n');
    v
}

/// The JSON inventory as bytes. `transform` says how version control transforms a component's bytes
/// (see [`crate::vcs::Vcs::transform`]).
pub fn render_inventory(
    invs: &[Inventory],
    transform: &dyn Fn(&WsPath) -> Option<String>,
) -> Vec<u8> {
    let j = JsonInventory {
        schema_version: SCHEMA_VERSION,
        profiles: invs
            .iter()
            .map(|inv| JsonInventoryProfile {
                name: inv.profile.clone(),
                components: inv
                    .components
                    .iter()
                    .map(|c| {
                        let (kind, target) = kind_text(&c.meta.kind);
                        JsonComponent {
                            path: c.path.clone(),
                            kind,
                            target,
                            size: c.meta.size,
                            via: c.via.clone(),
                            blake3: None,
                            approved_blake3: None,
                            vcs_status: None,
                            transform: c
                                .meta
                                .kind
                                .is_regular()
                                .then(|| transform(&c.path))
                                .flatten(),
                        }
                    })
                    .collect(),
                problems: inv
                    .problems
                    .iter()
                    .map(|p| JsonProblem {
                        code: p.code,
                        path: p.path.to_string(),
                        message: p.message.clone(),
                        via: p.via.clone(),
                    })
                    .collect(),
                ca_files: inv.ca_files.clone(),
            })
            .collect(),
    };
    let mut v = serde_json::to_vec_pretty(&j).expect("inventories always serialise");
    v.push(b'\n');
    v
}
