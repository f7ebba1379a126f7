//! The release gate: the strictest check, run before a profile is enabled.
//!
//! It is the check with the gate's severities (every finding is an error unless `[severity.gate]`
//! relaxes it), plus two checks of the approval itself: the manifest must be committed, and the revision
//! it records must be in the history of the working copy's revision (git: an ancestor of HEAD;
//! Subversion: not newer than the working copy). A profile that declares a sample certificate has one
//! issued with its own configuration and linted (see [`crate::samples`]). Its summary is meant to be pasted into a change ticket,
//! so it carries everything a reviewer needs to trust it: what was verified, at which revision, the
//! manifest's own hash, who approved and when.
//!
//! Every byte is read again. The gate builds its own working-tree source and context here and takes
//! none from its caller, so a stat cache added for hooks and nightly runs can never reach it: a release
//! decision must not rest on timestamps and sizes that anyone with write access can forge.

use crate::check::{
    self, CheckedComponent, Context, ManifestInfo, ProfileResult, Progress, Report,
};
use crate::config::Mode;
use crate::finding::{sort_and_dedupe, Code, Draft, Finding};
use crate::samples::{self, SampleOutcome};
use crate::source::WorkTree;
use crate::vcs::{Committed, Lineage, Status, Vcs};
use crate::workspace::Workspace;
use crate::Error;

/// What the gate found out about one profile, beyond the check's findings.
#[derive(Debug, Clone)]
pub struct GateProfile {
    pub name: String,
    pub description: Option<String>,
    /// Components in the profile.
    pub components: usize,
    /// Components whose every byte was read and hashed in this run.
    pub rehashed: usize,
    /// Components that are tracked and identical to the last commit.
    pub committed: usize,
    /// Components whose hash (and kind) equal the approved manifest's.
    pub matching: usize,
    pub manifest: Option<ManifestInfo>,
    /// What version control says of the manifest file itself.
    pub manifest_status: Option<Status>,
    /// Where the revision the manifest records stands; `None` without a manifest, or when it was
    /// approved before the first commit (an empty history is in every history).
    pub lineage: Option<Lineage>,
    /// The approval's own commit (git) or revision (Subversion): the one that landed the manifest as
    /// committed now. `None` when the manifest is not committed.
    pub landed: Option<String>,
    /// The sample certificate issued with the profile, when it declares one.
    pub sample: Option<SampleOutcome>,
}

/// The gate's verdict.
#[derive(Debug, Clone)]
pub struct Gate {
    /// The check's report, with the gate's own findings merged in.
    pub report: Report,
    pub profiles: Vec<GateProfile>,
    /// When the gate ran, UTC, RFC 3339.
    pub checked_at: String,
}

impl Gate {
    /// PASS: no finding at error severity.
    pub fn passed(&self) -> bool {
        !self.report.failed()
    }

    /// The samples issued, one per profile that declares one.
    pub fn samples(&self) -> Vec<&SampleOutcome> {
        self.profiles
            .iter()
            .filter_map(|p| p.sample.as_ref())
            .collect()
    }

    pub fn findings_of<'a>(&'a self, profile: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.report
            .findings
            .iter()
            .filter(move |f| f.profile == profile)
    }
}

/// Runs the gate with requirements judged as of `as_of` (`vigil gate --as-of DATE`).
pub fn gate_as_of(
    ws: &Workspace,
    vcs: &dyn Vcs,
    names: &[String],
    as_of: crate::requirements::Date,
    progress: &mut dyn FnMut(Progress),
) -> Result<Gate, Error> {
    let source = WorkTree::new(&ws.root);
    let cx = Context::work_tree(ws, &source, vcs, Mode::Gate);
    let mut report = check::run_as_of(&cx, names, as_of, progress)?;
    let checked_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let (profiles, drafts) = judge_profiles(ws, vcs, names, &report)?;
    let severity = |code| ws.config.severity(Mode::Gate, code);
    for (profile, d) in drafts {
        report.findings.extend(d.judge(&profile, severity));
    }
    // Neither the configuration on disk nor version control's own account is trusted: vigil.toml
    // must be byte for byte the committed one (its findings cannot be switched off by the file they
    // judge), and so must every component git calls committed.
    let mut forced = Vec::new();
    if let Some(d) = config_differs(vcs)? {
        forced.extend(report.profiles.iter().map(|p| (p.name.clone(), d.clone())));
    }
    forced.extend(differs_from_commit(vcs, &mut report)?);
    let strict = |code: Code| severity(code).max(code.default_severity(Mode::Gate));
    for (profile, d) in forced {
        report.findings.extend(d.judge(&profile, strict));
    }
    let profiles = recount_committed(profiles, &report);
    sort_and_dedupe(&mut report.findings);
    Ok(Gate {
        report,
        profiles,
        checked_at,
    })
}

/// A finding draft and the profile it is about.
type ProfileDraft = (String, Draft);

/// Each profile's approval judged and its sample issued and linted: the gate's view of every
/// profile, and the findings that adds to the check's.
fn judge_profiles(
    ws: &Workspace,
    vcs: &dyn Vcs,
    names: &[String],
    report: &Report,
) -> Result<(Vec<GateProfile>, Vec<ProfileDraft>), Error> {
    let manifest_paths: Vec<_> = report
        .profiles
        .iter()
        .filter_map(|p| p.manifest.as_ref().map(|m| m.path.clone()))
        .collect();
    let statuses = vcs
        .status(&manifest_paths)
        .map_err(|e| Error::Vcs(e.to_string()))?;

    // Every profile that declares a sample has one issued and linted: a release decision about a
    // profile includes what it issues.
    let selected = ws.config.select(names)?;
    let mut outcomes = samples::run(
        &ws.root,
        &selected,
        &samples::linters(&ws.config),
        &samples::shipped_requirements(),
    );

    let mut drafts: Vec<(String, Draft)> = Vec::new();
    let mut profiles: Vec<GateProfile> = Vec::new();
    for p in &report.profiles {
        let (approval, found) = match &p.manifest {
            Some(m) => judge_approval(vcs, m, statuses.get(&m.path).cloned())?,
            None => (Approval::default(), Vec::new()),
        };
        drafts.extend(found.into_iter().map(|d| (p.name.clone(), d)));
        let sample = outcomes
            .iter()
            .position(|o| o.profile == p.name)
            .map(|i| outcomes.swap_remove(i));
        if let Some(s) = &sample {
            drafts.extend(s.drafts.iter().cloned().map(|d| (p.name.clone(), d)));
        }
        let mut gp = gate_profile(report, p, approval);
        gp.sample = sample;
        profiles.push(gp);
    }
    Ok((profiles, drafts))
}

/// The committed count again, after the byte-for-byte comparison has marked hidden edits.
fn recount_committed(profiles: Vec<GateProfile>, report: &Report) -> Vec<GateProfile> {
    profiles
        .into_iter()
        .map(|mut g| {
            if let Some(p) = report.profiles.iter().find(|p| p.name == g.name) {
                g.committed = p
                    .components
                    .iter()
                    .filter(|c| c.status == Some(Status::Committed))
                    .count();
            }
            g
        })
        .collect()
}

/// What git's index flags (`assume-unchanged`, `skip-worktree`) or a local clean filter can hide.
const HIDDEN: &str = "the bytes on disk differ from the last commit, although version control \
     reports no change (an index flag such as assume-unchanged or skip-worktree, a local filter, or a \
     forged modification time hides it)";

/// vigil.toml on disk compared with the committed one, when version control can tell.
fn config_differs(vcs: &dyn Vcs) -> Result<Option<Draft>, Error> {
    let path = crate::path::WsPath::from_normal_bytes(crate::config::CONFIG_FILE.as_bytes());
    let committed = vcs
        .compare_committed(std::slice::from_ref(&path))
        .map_err(|e| Error::Vcs(e.to_string()))?
        .pop()
        .unwrap_or(Committed::Unknown);
    Ok(match committed {
        Committed::Unknown | Committed::Same => None,
        Committed::Differs => Some(Draft::uncommitted(
            path.to_string(),
            Vec::new(),
            "vigil.toml on disk differs from the committed one; the gate reads its policy only \
             from a committed vigil.toml",
        )),
        Committed::Unreadable(why) => Some(Draft::uncommitted(
            path.to_string(),
            Vec::new(),
            &format!(
                "vigil.toml could not be read again to compare it with the committed one ({why}); \
                 the gate reads its policy only from a committed vigil.toml"
            ),
        )),
        Committed::Absent => Some(Draft::untracked(
            path.to_string(),
            Vec::new(),
            Some("vigil.toml is not in the last commit; the gate reads its policy only from a committed vigil.toml"),
        )),
    })
}

/// Components version control calls committed whose bytes on disk are not the committed bytes: they
/// are marked uncommitted in the report, and each gets a finding. `approve` uses it too, so that a
/// hidden edit is recorded as a local change.
pub(crate) fn differs_from_commit(
    vcs: &dyn Vcs,
    report: &mut Report,
) -> Result<Vec<(String, Draft)>, Error> {
    let asked = |c: &&CheckedComponent| c.blake3.is_some() && c.status == Some(Status::Committed);
    let unique: std::collections::BTreeSet<&crate::path::WsPath> = report
        .profiles
        .iter()
        .flat_map(|p| p.components.iter().filter(asked))
        .map(|c| &c.path)
        .collect();
    let unique: Vec<crate::path::WsPath> = unique.into_iter().cloned().collect();
    let answers = vcs
        .compare_committed(&unique)
        .map_err(|e| Error::Vcs(e.to_string()))?;
    let known: std::collections::HashMap<crate::path::WsPath, Committed> =
        unique.into_iter().zip(answers).collect();
    let mut out = Vec::new();
    for p in &mut report.profiles {
        for c in &mut p.components {
            if !asked(&&*c) {
                continue;
            }
            let committed = known[&c.path].clone();
            let why = match committed {
                Committed::Unknown | Committed::Same => continue,
                Committed::Differs | Committed::Absent => HIDDEN.to_string(),
                Committed::Unreadable(e) => format!(
                    "it could not be read again to compare it with the last commit ({e}); it \
                     changed during the run"
                ),
            };
            c.status = Some(Status::Uncommitted(why.clone()));
            out.push((
                p.name.clone(),
                Draft::uncommitted(c.path.to_string(), c.via.clone(), &why),
            ));
        }
    }
    Ok(out)
}

/// What version control says of a profile's approval: its manifest file, and where the revision it
/// records stands.
#[derive(Default)]
struct Approval {
    status: Option<Status>,
    lineage: Option<Lineage>,
    landed: Option<String>,
}

/// The manifest file must be committed, and the revision it records in the checked history.
fn judge_approval(
    vcs: &dyn Vcs,
    m: &ManifestInfo,
    status: Option<Status>,
) -> Result<(Approval, Vec<Draft>), Error> {
    let path = m.path.to_string();
    let mut drafts = Vec::new();
    // A manifest version control says nothing of is not under it.
    let judged = status.clone().unwrap_or(Status::Untracked(None));
    drafts.extend(check::manifest_status(&path, &judged));
    // Only a committed manifest has a commit of its own; an edited one would be named by the commit
    // of the approval it replaces.
    let landed = match judged {
        Status::Committed => vcs.landed(&m.path).map_err(|e| Error::Vcs(e.to_string()))?,
        _ => None,
    };
    let rev = &m.manifest.revision;
    // A recorded revision from another kind of version control (or none, hand-written into a manifest
    // in a repository with history) is outside this history, with or without an id.
    if rev.vcs != vcs.name() {
        let why = format!(
            "it was approved under {}, but this workspace uses {}",
            rev.vcs,
            vcs.name()
        );
        let id = rev.id.as_deref().unwrap_or("(none)");
        drafts.push(Draft::foreign_approval(path, &rev.vcs, id, &why));
        let approval = Approval {
            status,
            lineage: Some(Lineage::Outside(why)),
            landed,
        };
        return Ok((approval, drafts));
    }
    let Some(id) = &rev.id else {
        return Ok((
            Approval {
                status,
                lineage: None,
                landed,
            },
            drafts,
        ));
    };
    let lineage = {
        vcs.lineage(&m.path, id)
            .map_err(|e| Error::Vcs(e.to_string()))?
    };
    if let Lineage::Outside(why) = &lineage {
        drafts.push(Draft::foreign_approval(path, &rev.vcs, id, why));
    }
    let approval = Approval {
        status,
        lineage: Some(lineage),
        landed,
    };
    Ok((approval, drafts))
}

/// The counts a reviewer reads in the gate's summary for one profile.
fn gate_profile(report: &Report, p: &ProfileResult, approval: Approval) -> GateProfile {
    let committed = p
        .components
        .iter()
        .filter(|c| c.status == Some(Status::Committed))
        .count();
    let stale_paths: std::collections::BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| f.profile == p.name && f.code == Code::Stale)
        .map(|f| f.path.to_string())
        .collect();
    let matching = p
        .components
        .iter()
        .filter(|c| {
            c.blake3.is_some()
                && c.approved == c.blake3
                && !stale_paths.contains(&c.path.to_string())
        })
        .count();
    GateProfile {
        name: p.name.clone(),
        description: p.description.clone(),
        components: p.components.len(),
        rehashed: p.components.iter().filter(|c| c.blake3.is_some()).count(),
        committed,
        matching,
        manifest: p.manifest.clone(),
        manifest_status: approval.status,
        lineage: approval.lineage,
        landed: approval.landed,
        sample: None,
    }
}
