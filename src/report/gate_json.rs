//! The release gate's verdict as JSON, for a change ticket or a release pipeline: per profile the
//! verdict, the approval's own commit, who approved and signed, the requirements stated, and the
//! findings. A frozen, versioned contract of its own (`schema/gate.schema.json`).

use crate::gate::{Gate, GateProfile};
use crate::report::json::{JsonFinding, JsonRevision, SCHEMA_VERSION};
use crate::vcs::{Lineage, Status};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "vigil gate")]
pub struct JsonGate {
    /// Version of this format: 1.
    pub schema_version: u32,
    pub vigil_version: String,
    /// `PASS` or `FAIL`.
    pub verdict: String,
    /// When the gate ran: UTC, RFC 3339, to the second.
    pub checked_at: String,
    /// The workspace folder (holding `vigil.toml`).
    pub workspace: String,
    /// The revision the working copy is at.
    pub revision: JsonRevision,
    pub profiles: Vec<JsonGateProfile>,
    /// Every finding of every profile, sorted as the human report sorts them.
    pub findings: Vec<JsonFinding>,
    /// Lines saying why a server policy fails the gate although every profile may pass; empty when
    /// none was given or vigil.toml is at least as strict.
    pub policy: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonGateProfile {
    pub name: String,
    pub description: Option<String>,
    /// `PASS` or `FAIL`: whether any of its findings is at error severity.
    pub verdict: String,
    /// Components in the profile.
    pub components: usize,
    /// Components whose every byte was read and hashed in this run.
    pub rehashed: usize,
    /// Components tracked and identical to the last commit.
    pub committed: usize,
    /// Components equal to the approved manifest.
    pub matching: usize,
    /// The approval; null when the profile was never approved.
    pub approval: Option<JsonApproval>,
    /// Error, warning and note counts of this profile's findings.
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonApproval {
    /// The manifest file, relative to the workspace.
    pub manifest: String,
    /// BLAKE3 of the manifest file itself.
    pub blake3: String,
    /// `committed`, `untracked`, `ignored` or `uncommitted`.
    pub manifest_status: String,
    /// `git` or `svn`: the version control the approval was made under.
    pub vcs: String,
    /// The approval's own commit (git) or revision (Subversion): the one that landed the manifest.
    /// Null while the manifest is not committed.
    pub commit: Option<String>,
    /// The revision the approval was made on (recorded in the manifest; the parent of `commit`).
    pub made_on: Option<String>,
    /// Whether `made_on` is in the history of the checked revision; null when unknown.
    pub in_history: Option<bool>,
    pub approved_by: String,
    pub approved_at: String,
    pub reason: Option<String>,
    /// The principals whose SSH signatures the manifest carries, as recorded (the findings say
    /// whether each verifies and counts).
    pub signers: Vec<JsonSigner>,
    /// The requirement ids the approval states it was reviewed against (`--satisfies`).
    pub requirements: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonSigner {
    pub principal: String,
    /// The key's fingerprint, `SHA256:…`.
    pub key_fingerprint: String,
    pub signed_at: String,
}

fn verdict(failed: bool) -> String {
    if failed { "FAIL" } else { "PASS" }.to_string()
}

fn approval(p: &GateProfile) -> Option<JsonApproval> {
    let m = p.manifest.as_ref()?;
    let status = match &p.manifest_status {
        Some(Status::Committed) => "committed",
        Some(Status::Uncommitted(_)) => "uncommitted",
        Some(Status::Ignored) => "ignored",
        Some(Status::Untracked(_)) | None => "untracked",
    };
    Some(JsonApproval {
        manifest: m.path.to_string(),
        blake3: m.blake3.clone(),
        manifest_status: status.to_string(),
        vcs: m.manifest.revision.vcs.clone(),
        commit: p.landed.clone(),
        made_on: m.manifest.revision.id.clone(),
        in_history: p.lineage.as_ref().map(|l| *l == Lineage::InHistory),
        approved_by: m.manifest.approved_by.clone(),
        approved_at: m.manifest.approved_at.clone(),
        reason: m.manifest.reason.clone(),
        signers: m
            .manifest
            .signatures
            .iter()
            .map(|s| JsonSigner {
                principal: s.principal.clone(),
                key_fingerprint: s.key_fingerprint.clone(),
                signed_at: s.signed_at.clone(),
            })
            .collect(),
        requirements: requirements(p),
    })
}

/// The requirement ids stated for the approval, once each, sorted.
pub(crate) fn requirements(p: &GateProfile) -> Vec<String> {
    let ids: std::collections::BTreeSet<String> = p
        .manifest
        .iter()
        .flat_map(|m| &m.manifest.components)
        .flat_map(|c| &c.satisfies)
        .map(|s| s.requirement.clone())
        .collect();
    ids.into_iter().collect()
}

fn profile(g: &Gate, p: &GateProfile) -> JsonGateProfile {
    use crate::finding::Severity as S;
    let count = |s: S| g.findings_of(&p.name).filter(|f| f.severity == s).count();
    JsonGateProfile {
        name: p.name.clone(),
        description: p.description.clone(),
        verdict: verdict(count(S::Error) > 0),
        components: p.components,
        rehashed: p.rehashed,
        committed: p.committed,
        matching: p.matching,
        approval: approval(p),
        errors: count(S::Error),
        warnings: count(S::Warning),
        notes: count(S::Note),
    }
}

/// The gate as its JSON document. `policy` holds the lines of a server policy that vigil.toml
/// relaxes (which fail the gate), empty otherwise.
pub fn to_json(g: &Gate, policy: &[String]) -> JsonGate {
    let r = &g.report;
    JsonGate {
        schema_version: SCHEMA_VERSION,
        vigil_version: crate::VERSION.to_string(),
        verdict: verdict(!g.passed() || !policy.is_empty()),
        checked_at: g.checked_at.clone(),
        workspace: r.workspace.display().to_string(),
        revision: JsonRevision {
            vcs: r.revision.vcs.clone(),
            id: r.revision.id.clone(),
        },
        profiles: g.profiles.iter().map(|p| profile(g, p)).collect(),
        findings: r.findings.iter().map(JsonFinding::from).collect(),
        policy: policy.to_vec(),
    }
}

/// The JSON gate as bytes, pretty-printed, ending in a newline.
pub fn render(g: &Gate, policy: &[String]) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&to_json(g, policy)).expect("gate reports serialise");
    v.push(b'\n');
    v
}
