//! The check: inventory, version-control status, hashing and comparison with the approved manifest,
//! turned into findings. Plain data in, plain data out; nothing here prints.

use crate::config::{Config, Mode, Profile};
pub use crate::finding::short;
use crate::finding::{sort_and_dedupe, Code, Draft, Finding, Severity};
use crate::hash::{self, Digest};
use crate::inventory::{self, Chain, Component, Inventory};
use crate::manifest::{EntryKind, Manifest};
use crate::path::WsPath;
use crate::requirements::Date;
use crate::source::{Kind, Source};
use crate::vcs::{Revision, Status, Vcs};
use crate::Error;
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a run looks, and how strictly.
pub struct Context<'a> {
    pub config: &'a Config,
    /// Absolute workspace root, when there is one on disk (used to accept absolute references inside it).
    pub root: Option<&'a Path>,
    pub source: &'a dyn Source,
    pub vcs: &'a dyn Vcs,
    pub mode: Mode,
}

impl<'a> Context<'a> {
    /// A run over the working tree of a workspace on disk.
    pub fn work_tree(
        ws: &'a crate::workspace::Workspace,
        source: &'a crate::source::WorkTree,
        vcs: &'a dyn Vcs,
        mode: Mode,
    ) -> Self {
        Context {
            config: &ws.config,
            root: Some(&ws.root),
            source,
            vcs,
            mode,
        }
    }
}

impl crate::workspace::Workspace {
    /// Checks the named profiles (every profile when `profiles` is empty) in the working tree, as
    /// `vigil check --no-cache --mode MODE` does, with requirements judged as of today.
    pub fn check(&self, profiles: &[String], mode: Mode) -> Result<Report, Error> {
        let vcs = self.vcs()?;
        let source = crate::source::WorkTree::new(&self.root);
        let cx = Context::work_tree(self, &source, vcs.as_ref(), mode);
        run(&cx, profiles, &mut |_| {})
    }
}

/// Progress of a long run, for a terminal's status line.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    Inventory {
        profile_index: usize,
        profiles: usize,
    },
    Status {
        paths: usize,
    },
    Hashing {
        done: usize,
        total: usize,
    },
}

/// A checked component.
#[derive(Debug, Clone)]
pub struct CheckedComponent {
    pub path: WsPath,
    pub via: Chain,
    pub kind: Kind,
    pub size: u64,
    /// BLAKE3 hex, when it could be hashed.
    pub blake3: Option<String>,
    pub status: Option<Status>,
    /// The approved hash, when the manifest has this component.
    pub approved: Option<String>,
    /// How version control transforms its bytes between disk and the repository, when it does
    /// (see [`Vcs::transform`]).
    pub transform: Option<crate::vcs::Transform>,
}

/// What a profile's manifest says about who approved it.
#[derive(Debug, Clone)]
pub struct ManifestInfo {
    pub path: WsPath,
    pub manifest: Manifest,
    /// BLAKE3 of the manifest file itself.
    pub blake3: String,
}

/// One profile's result.
#[derive(Debug, Clone)]
pub struct ProfileResult {
    pub name: String,
    pub description: Option<String>,
    pub manifest: Option<ManifestInfo>,
    pub components: Vec<CheckedComponent>,
}

/// Everything a run found.
#[derive(Debug, Clone)]
pub struct Report {
    pub workspace: PathBuf,
    pub source: String,
    pub vcs: String,
    pub revision: Revision,
    pub mode: Mode,
    pub profiles: Vec<ProfileResult>,
    /// Sorted by profile, path and code; `off` findings are already dropped.
    pub findings: Vec<Finding>,
    /// When the check finished: every machine-readable report carries it.
    pub generated_at: std::time::SystemTime,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// True when any finding is at error severity.
    pub fn failed(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Reads a profile's manifest from the source; `Ok(None)` when there is none.
pub fn read_manifest(
    config: &Config,
    source: &dyn Source,
    profile: &str,
) -> Result<Option<ManifestInfo>, Error> {
    read_manifest_bytes(config, source, profile)?
        .map(|b| parse_manifest(b, profile))
        .transpose()
}

/// A profile's manifest as the source holds it, not yet parsed: reading needs the source, parsing
/// does not, so several manifests can be parsed on all cores.
pub struct ManifestBytes {
    path: WsPath,
    display: PathBuf,
    text: Vec<u8>,
}

/// The first half of [`read_manifest`]: a profile's manifest's bytes; `Ok(None)` when there is none.
pub fn read_manifest_bytes(
    config: &Config,
    source: &dyn Source,
    profile: &str,
) -> Result<Option<ManifestBytes>, Error> {
    let rel = config.manifest_path(profile);
    let path = WsPath::normalize(Path::new(&rel)).expect("manifest-dir was validated");
    let display = config
        .file
        .parent()
        .map(|d| d.join(&rel))
        .unwrap_or_else(|| PathBuf::from(&rel));
    // A manifest is trusted only as a regular file inside the workspace, reached through no symlink:
    // a symlinked manifest folder would let approve write, and the check read, an approval kept
    // outside version control.
    let refuse = |why: String| {
        Error::Manifest(crate::config::ConfigError {
            file: display.clone(),
            line: None,
            column: None,
            snippet: None,
            message: why,
        })
    };
    match source.lookup(&path) {
        crate::source::Lookup::ThroughSymlink { link, .. } => {
            return Err(refuse(format!(
            "the manifest folder goes through the symlink {link}; manifests must be regular files \
                 inside the workspace, reached through no symlink"
        )))
        }
        crate::source::Lookup::Found(m) if !m.kind.is_regular() => {
            let what = match m.kind {
                Kind::Symlink(_) => "a symlink",
                Kind::Dir => "a folder",
                _ => "not a regular file",
            };
            return Err(refuse(format!(
                "the manifest is {what}; manifests must be regular files inside the workspace"
            )));
        }
        _ => {}
    }
    let mut text = Vec::new();
    match source.open(&path) {
        Ok(mut r) => r.read_to_end(&mut text).map_err(|e| Error::io(&rel, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&rel, e)),
    };
    Ok(Some(ManifestBytes {
        path,
        display,
        text,
    }))
}

/// The second half of [`read_manifest`]: the manifest of `profile` parsed and checked to be its own.
pub fn parse_manifest(bytes: ManifestBytes, profile: &str) -> Result<ManifestInfo, Error> {
    let ManifestBytes {
        path,
        display,
        text,
    } = bytes;
    let blake3 = hash::hash_bytes(&text);
    let s = String::from_utf8(text).map_err(|_| {
        Error::Manifest(crate::config::ConfigError {
            file: display.clone(),
            line: None,
            column: None,
            snippet: None,
            message: "the manifest is not valid UTF-8".into(),
        })
    })?;
    let manifest = Manifest::parse(&display, &s).map_err(Error::Manifest)?;
    if manifest.profile != profile {
        return Err(Error::Manifest(crate::config::ConfigError {
            file: display,
            line: None,
            column: None,
            snippet: None,
            message: format!(
                "this manifest is for profile `{}`, not `{profile}`",
                manifest.profile
            ),
        }));
    }
    Ok(ManifestInfo {
        path,
        manifest,
        blake3,
    })
}

fn entry_kind(kind: &Kind) -> Option<EntryKind> {
    match kind {
        Kind::File => Some(EntryKind::File),
        Kind::Executable => Some(EntryKind::Executable),
        Kind::Symlink(_) => Some(EntryKind::Symlink),
        _ => None,
    }
}

/// Runs the whole pipeline over the named profiles (all when `names` is empty), with requirements
/// judged as of today.
pub fn run(
    cx: &Context,
    names: &[String],
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, Error> {
    run_as_of(cx, names, Date::today(), progress)
}

/// Runs the whole pipeline, with requirements judged as of `as_of` (`vigil check --as-of DATE`).
pub fn run_as_of(
    cx: &Context,
    names: &[String],
    as_of: Date,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, Error> {
    let profiles = cx.config.select(names)?;
    let inventories = inventory_all(cx, &profiles, progress);
    let files = Files::of(&inventories);
    let mut hashes = hash_unique(cx, &files, progress);
    let manifests = manifests_to_ask(cx, &profiles);
    let config = config_to_ask(cx);
    let statuses = query_status(
        cx,
        &files,
        &mut hashes,
        &inventories,
        manifests.values().chain(config.iter()),
        progress,
    )?;
    rehash_repository_form(cx, &files, &mut hashes);
    let facts = Facts {
        transforms: transforms(cx, &files),
        hashes,
        statuses,
        manifests,
    };
    let trust = match &cx.config.signing {
        Some(s) => Some(crate::signature::judge::load_trust(
            cx.config, s, cx.source,
        )?),
        None => None,
    };
    let mut findings = Vec::new();
    let mut results = Vec::new();
    let config_draft = config
        .as_ref()
        .and_then(|p| facts.statuses.get(p).map(|s| (p, s)))
        .and_then(|(p, s)| component_status(cx.vcs, p, &Chain::default(), s));
    for (profile, inv) in profiles.iter().zip(&inventories) {
        let (result, mut drafts) = judge_profile(cx, &facts, profile, inv)?;
        if let (Some(trust), Some(m)) = (&trust, &result.manifest) {
            drafts.extend(judge_signatures(cx, m, trust, &profile.name, inv)?);
        }
        let severity = |code| cx.config.severity(cx.mode, code);
        findings.extend(
            drafts
                .into_iter()
                .filter_map(|d| d.judge(&profile.name, severity)),
        );
        findings.extend(
            config_draft
                .clone()
                .and_then(|d| d.judge(&profile.name, |code| config_severity(cx, code))),
        );
        results.push(result);
    }
    findings.extend(judge_requirements(
        cx,
        &profiles,
        &inventories,
        &results,
        &facts,
        as_of,
    ));
    if names.is_empty() {
        findings.extend(orphaned_manifests(cx)?);
    }
    Ok(finish(cx, results, findings))
}

/// Stage 6: requirements (rule packs and the site's rules) judged on each profile's values and reviews.
fn judge_requirements(
    cx: &Context,
    profiles: &[&Profile],
    inventories: &[Inventory],
    results: &[ProfileResult],
    facts: &Facts,
    as_of: Date,
) -> Vec<Finding> {
    let set = &cx.config.requirements;
    if !profiles.iter().any(|p| requirements_apply(cx, p)) {
        return Vec::new();
    }
    let inputs: Vec<crate::requirement_check::ProfileFacts<'_>> = profiles
        .iter()
        .zip(inventories)
        .zip(results)
        .map(|((p, inv), r)| crate::requirement_check::ProfileFacts {
            profile: p,
            inventory: inv,
            manifest: r.manifest.as_ref().map(|m| &m.manifest),
            hashes: &facts.hashes,
        })
        .collect();
    let severity = |code| cx.config.severity(cx.mode, code);
    crate::requirement_check::judge(set, cx.source, cx.root, as_of, &inputs)
        .into_iter()
        .filter_map(|(profile, d)| d.judge(&profile, severity))
        .collect()
}

/// The regular files, executables and symlinks of every profile, each once, with their kinds.
struct Files<'a> {
    /// Sorted; FIFOs, sockets and devices are left out: they are reported unreadable and asked nothing
    /// more.
    unique: Vec<WsPath>,
    kinds: HashMap<&'a WsPath, &'a Kind>,
    /// Files the inventory read whole to find references were hashed then, from the same bytes.
    scanned: HashMap<&'a WsPath, &'a Digest>,
}

impl<'a> Files<'a> {
    fn of(inventories: &'a [Inventory]) -> Self {
        let components = || inventories.iter().flat_map(|inv| inv.components.iter());
        let unique: BTreeSet<&WsPath> = components()
            .filter(|c| entry_kind(&c.meta.kind).is_some())
            .map(|c| &c.path)
            .collect();
        Files {
            unique: unique.into_iter().cloned().collect(),
            kinds: components().map(|c| (&c.path, &c.meta.kind)).collect(),
            scanned: components()
                .filter_map(|c| c.blake3.as_ref().map(|h| (&c.path, h)))
                .collect(),
        }
    }

    fn is_regular(&self, p: &WsPath) -> bool {
        self.kinds[p].is_regular()
    }
}

/// What the stages found out about every file, for judging each profile.
struct Facts {
    hashes: HashMap<WsPath, Result<Digest, String>>,
    statuses: HashMap<WsPath, Status>,
    transforms: HashMap<WsPath, Option<crate::vcs::Transform>>,
    /// The manifest of each profile whose status was asked, by profile name.
    manifests: HashMap<String, WsPath>,
}

/// Stage 1: the inventory of every selected profile.
fn inventory_all(
    cx: &Context,
    profiles: &[&Profile],
    progress: &mut dyn FnMut(Progress),
) -> Vec<Inventory> {
    let mut inventories = Vec::with_capacity(profiles.len());
    for (i, p) in profiles.iter().enumerate() {
        progress(Progress::Inventory {
            profile_index: i,
            profiles: profiles.len(),
        });
        let mut inv = inventory::inventory(cx.source, p, cx.root);
        if !requirements_apply(cx, p) {
            // The values of every setting of every file loaded are only read by the requirements:
            // a load of many files gives them back as soon as it has been followed.
            for load in &mut inv.loads {
                load.loaded.db = Default::default();
            }
        }
        inventories.push(inv);
    }
    inventories
}

/// Whether a requirement (a pack's or the site's) applies to `profile`.
fn requirements_apply(cx: &Context, profile: &Profile) -> bool {
    cx.config.requirements.requirements.iter().any(|r| {
        r.applies_to
            .matches(&profile.name, &profile.requirements.purposes)
    })
}

/// Stage 2: each file hashed once, however many profiles share it. A file the inventory read whole
/// (an OpenSSL load, a reference scan) keeps the digest of exactly those bytes; the others are hashed
/// by the source in one batch (on every core, and through the stat cache, for the working tree).
fn hash_unique(
    cx: &Context,
    files: &Files,
    progress: &mut dyn FnMut(Progress),
) -> HashMap<WsPath, Result<Digest, String>> {
    let total = files.unique.len();
    progress(Progress::Hashing { done: 0, total });
    let mut hashes = HashMap::with_capacity(total);
    let mut todo = Vec::new();
    for p in &files.unique {
        let known = files.scanned.get(p).map(|h| **h).or_else(|| {
            files
                .is_regular(p)
                .then(|| cx.source.known_hash(p).and_then(|h| Digest::from_hex(&h)))
                .flatten()
        });
        match known {
            Some(h) => {
                hashes.insert(p.clone(), Ok(h));
            }
            None => todo.push((p, files.kinds[p])),
        }
    }
    for ((p, _), h) in todo.iter().zip(cx.source.hash_files(&todo)) {
        hashes.insert((*p).clone(), h);
    }
    progress(Progress::Hashing { done: total, total });
    hashes
}

/// The manifests whose status the check asks: an approval that is not committed is not under change
/// control either. The gate checks them itself.
fn manifests_to_ask(cx: &Context, profiles: &[&Profile]) -> HashMap<String, WsPath> {
    if cx.mode == Mode::Gate {
        return HashMap::new();
    }
    profiles
        .iter()
        .filter_map(|p| {
            let path = WsPath::normalize(Path::new(&cx.config.manifest_path(&p.name)))?;
            matches!(cx.source.lookup(&path), crate::source::Lookup::Found(_))
                .then(|| (p.name.clone(), path))
        })
        .collect()
}

/// vigil.toml itself, when the source holds it: it is a component of every profile's control, since
/// an edit of it can drop a component or switch a finding off.
fn config_to_ask(cx: &Context) -> Option<WsPath> {
    let path = WsPath::from_normal_bytes(crate::config::CONFIG_FILE.as_bytes());
    matches!(cx.source.lookup(&path), crate::source::Lookup::Found(_)).then_some(path)
}

/// The severity of a finding on vigil.toml itself: the configuration being judged can make it
/// stricter, never milder than the mode's default.
fn config_severity(cx: &Context, code: Code) -> Severity {
    cx.config
        .severity(cx.mode, code)
        .max(code.default_severity(cx.mode))
}

/// Manifests in the manifest folder whose profile vigil.toml does not declare: removing a profile
/// that was approved switches its control off as deleting vigil.toml would, so the leftover approval
/// is reported (at the mode's default severity, which the configuration cannot lower) until the
/// manifest is deleted too, deliberately, in a reviewed change.
fn orphaned_manifests(cx: &Context) -> Result<Vec<Finding>, Error> {
    let dir_text = cx.config.manifest_dir.trim_end_matches('/');
    let Some(dir) = WsPath::normalize(Path::new(dir_text)) else {
        return Ok(Vec::new());
    };
    let entries = match cx.source.list_dir(&dir) {
        Ok(e) => e,
        Err(_) => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for e in entries {
        let name = e.name.to_string_lossy();
        let Some(profile) = name.strip_suffix(".toml") else {
            continue;
        };
        if profile.starts_with('.') || cx.config.profiles.contains_key(profile) {
            continue;
        }
        let path = cx.config.manifest_path(profile);
        out.extend(
            Draft::orphaned_manifest(&path, profile)
                .judge(profile, |code| config_severity(cx, code)),
        );
    }
    Ok(out)
}

/// Stage 3: one status query for every component of every profile, and the manifests.
///
/// Hashing came first because a file vigil cannot read, git cannot read either, and libgit2 fails the
/// whole query on it: such a file is reported unreadable and left out. Missing paths are asked too, so
/// that a tracked component deleted from disk or the index is also reported as an uncommitted deletion.
fn query_status<'p>(
    cx: &Context,
    files: &Files,
    hashes: &mut HashMap<WsPath, Result<Digest, String>>,
    inventories: &[Inventory],
    also: impl Iterator<Item = &'p WsPath>,
    progress: &mut dyn FnMut(Progress),
) -> Result<HashMap<WsPath, Status>, Error> {
    let mut asked: BTreeSet<WsPath> = files
        .unique
        .iter()
        .filter(|p| !matches!(hashes.get(*p), Some(Err(_))))
        .cloned()
        .collect();
    asked.extend(
        inventories
            .iter()
            .flat_map(|inv| inv.problems.iter())
            .filter(|p| p.code == Code::Missing)
            .filter_map(|p| p.path.as_path().cloned())
            .filter(|p| !p.is_root()),
    );
    asked.extend(also.cloned());
    let asked: Vec<WsPath> = asked.into_iter().collect();
    progress(Progress::Status { paths: asked.len() });
    let first = match cx.vcs.status(&asked) {
        Ok(s) => return Ok(s),
        Err(e) => e,
    };
    // libgit2 fails the whole query when a file is replaced or removed while it reads it, with a
    // message that names no path. Ask again; then path by path, so that the component that changed
    // under the run is reported (unreadable, named) and the run finishes.
    if let Ok(s) = cx.vcs.status(&asked) {
        return Ok(s);
    }
    let whole = |e: &dyn std::fmt::Display| {
        Error::Vcs(format!(
            "version control could not report the status of the components: {e}"
        ))
    };
    if asked.len() > PATH_BY_PATH_LIMIT {
        return Err(whole(&first));
    }
    let mut out = HashMap::with_capacity(asked.len());
    let mut failed = 0;
    for p in &asked {
        match cx.vcs.status(std::slice::from_ref(p)) {
            Ok(s) => out.extend(s),
            Err(e) => {
                failed += 1;
                hashes.insert(
                    p.clone(),
                    Err(format!(
                        "changed or removed while it was being checked; version control said: {e}"
                    )),
                );
            }
        }
    }
    if failed == asked.len() {
        return Err(whole(&first));
    }
    Ok(out)
}

/// Above this many paths, a failed status query is not retried path by path (one query each).
const PATH_BY_PATH_LIMIT: usize = 2048;

/// Stage 4: where Subversion translates content (svn:keywords, svn:eol-style), hash the repository
/// form, so that the working copy and the server hook agree on one hash. The status query is what tells
/// which files are translated, so these few are hashed again now.
fn rehash_repository_form(
    cx: &Context,
    files: &Files,
    hashes: &mut HashMap<WsPath, Result<Digest, String>>,
) {
    for p in &files.unique {
        let Some(form) = cx.vcs.repository_form(p).filter(|_| files.is_regular(p)) else {
            continue;
        };
        if matches!(hashes.get(p), Some(Err(_))) {
            continue;
        }
        let mut bytes = Vec::new();
        let h = cx
            .source
            .open(p)
            .and_then(|mut r| r.read_to_end(&mut bytes))
            .map(|_| hash::digest_bytes(&form.to_repository_form(&bytes)))
            .map_err(|e| e.to_string());
        hashes.insert(p.clone(), h);
    }
}

/// Where git converts content (core.autocrlf, .gitattributes), the working tree and a snapshot can hash
/// differently: not reproduced, but detected per regular file and reported.
fn transforms(cx: &Context, files: &Files) -> HashMap<WsPath, Option<crate::vcs::Transform>> {
    files
        .unique
        .iter()
        .filter(|p| files.is_regular(p))
        .map(|p| (p.clone(), cx.vcs.transform(p)))
        .collect()
}

/// Stage 5: one profile's components checked against version control and its manifest.
fn judge_profile(
    cx: &Context,
    facts: &Facts,
    profile: &Profile,
    inv: &Inventory,
) -> Result<(ProfileResult, Vec<Draft>), Error> {
    let manifest = read_manifest(cx.config, cx.source, &profile.name)?;
    let mut drafts = Vec::new();
    let components = inv
        .components
        .iter()
        .map(|c| judge_component(cx, facts, manifest.as_ref(), c, &mut drafts))
        .collect();
    judge_problems(cx, facts, inv, &mut drafts);
    match &manifest {
        None => drafts.push(Draft::no_manifest(cx.config.manifest_path(&profile.name))),
        Some(m) => {
            let status = facts
                .manifests
                .get(&profile.name)
                .and_then(|p| facts.statuses.get(p));
            drafts.extend(status.and_then(|s| manifest_status(&m.path.to_string(), s)));
            drafts.extend(orphans(m, inv));
        }
    }
    let result = ProfileResult {
        name: profile.name.clone(),
        description: profile.description.clone(),
        manifest,
        components,
    };
    Ok((result, drafts))
}

/// Stage 5b: the approval's signatures, against the allowed signers and the quorum, judged now.
fn judge_signatures(
    cx: &Context,
    m: &ManifestInfo,
    trust: &crate::signature::AllowedSigners,
    profile: &str,
    inv: &Inventory,
) -> Result<Vec<Draft>, Error> {
    let Some(signing) = &cx.config.signing else {
        return Ok(Vec::new());
    };
    let author = match signing.author_may_not_approve_for(profile) {
        true => change_author(cx, inv)?,
        false => None,
    };
    Ok(crate::signature::judge::judge(
        &m.path.to_string(),
        &m.manifest,
        trust,
        signing.required_for(profile),
        std::time::SystemTime::now(),
        author.as_ref(),
    ))
}

/// Who made the change an approval approves (`author-may-not-approve`): the author of the last
/// change to any of the profile's components, as version control records it.
fn change_author(cx: &Context, inv: &Inventory) -> Result<Option<crate::vcs::Author>, Error> {
    let paths: Vec<WsPath> = inv.components.iter().map(|c| c.path.clone()).collect();
    cx.vcs.last_author(&paths).map_err(|e| {
        Error::Vcs(format!(
            "version control could not tell who last changed the components: {e}"
        ))
    })
}

/// One component: its status, its hash, and the comparison with the manifest.
fn judge_component(
    cx: &Context,
    facts: &Facts,
    manifest: Option<&ManifestInfo>,
    c: &Component,
    drafts: &mut Vec<Draft>,
) -> CheckedComponent {
    let (path, via) = (&c.path, &c.via);
    let status = facts.statuses.get(path).cloned();
    let transform = facts.transforms.get(path).cloned().flatten();
    drafts.extend(
        status
            .as_ref()
            .and_then(|s| component_status(cx.vcs, path, via, s)),
    );
    let blake3 = match facts.hashes.get(path) {
        Some(Ok(h)) => Some(h.to_string()),
        Some(Err(e)) => {
            drafts.push(Draft::unreadable(path, via.clone(), e));
            None
        }
        None => None,
    };
    let approved = manifest
        .and_then(|m| m.manifest.entry(path))
        .map(|e| (e.blake3.clone(), e.kind));
    let kind = entry_kind(&c.meta.kind);
    if let (Some(m), Some(kind)) = (manifest, kind) {
        match (&approved, &blake3) {
            (None, _) => drafts.push(Draft::not_in_manifest(
                path,
                via.clone(),
                &m.path.to_string(),
            )),
            (Some((want, _)), Some(got)) if want != got => {
                let note = cx
                    .vcs
                    .repository_form(path)
                    .map(|f| f.note())
                    .or_else(|| transform.as_ref().map(|t| t.note()));
                drafts.push(Draft::stale_content(path, via.clone(), want, got, note));
            }
            (Some((_, want_kind)), Some(_)) if kind != *want_kind => drafts.push(
                Draft::stale_kind(path, via.clone(), want_kind.as_str(), kind.as_str()),
            ),
            _ => {}
        }
    }
    CheckedComponent {
        path: path.clone(),
        via: via.clone(),
        kind: c.meta.kind.clone(),
        size: c.meta.size,
        blake3,
        status,
        approved: approved.map(|a| a.0),
        transform,
    }
}

/// The inventory's problems, plus an uncommitted deletion where a missing component is still tracked.
/// A component that version control keeps out of the working copy on purpose (a sparse checkout) is
/// missing, and says why.
fn judge_problems(cx: &Context, facts: &Facts, inv: &Inventory, drafts: &mut Vec<Draft>) {
    for p in &inv.problems {
        let path = p.path.as_path().cloned();
        let mut p = p.clone();
        if let Some(why) = path
            .as_ref()
            .filter(|_| p.code == Code::Missing)
            .and_then(|w| cx.vcs.absent_reason(w))
        {
            p.message = format!("{}: {why}", p.message);
        }
        drafts.push(p.clone());
        if p.code != Code::Missing {
            continue;
        }
        let status = path.and_then(|w| facts.statuses.get(&w));
        if let Some(Status::Uncommitted(how)) = status {
            drafts.push(Draft::uncommitted(p.path.clone(), p.via.clone(), how));
        }
    }
}

/// The finding a component's version-control status calls for, if any.
fn component_status(vcs: &dyn Vcs, wpath: &WsPath, via: &Chain, status: &Status) -> Option<Draft> {
    let (path, via) = (wpath, via.clone());
    match status {
        Status::Untracked(hint) => Some(Draft::untracked(path, via, hint.as_deref())),
        Status::Ignored => Some(Draft::ignored(path, via, vcs.ignore_rule(wpath).as_deref())),
        Status::Uncommitted(how) => Some(Draft::uncommitted(path, via, how)),
        Status::Committed => None,
    }
}

/// The finding the status of the approved manifest file itself calls for, if any. The check and the
/// gate both use it, so they word it the same.
pub fn manifest_status(manifest: &str, status: &Status) -> Option<Draft> {
    match status {
        Status::Untracked(_) => Some(Draft::manifest_untracked(manifest)),
        Status::Ignored => Some(Draft::manifest_ignored(manifest)),
        Status::Uncommitted(how) => Some(Draft::manifest_uncommitted(manifest, how)),
        Status::Committed => None,
    }
}

/// Manifest entries the profile no longer reaches (and that are not reported as problems already).
fn orphans(m: &ManifestInfo, inv: &Inventory) -> Vec<Draft> {
    let present: BTreeSet<&WsPath> = inv.components.iter().map(|c| &c.path).collect();
    let problem_paths: BTreeSet<String> = inv.problems.iter().map(|p| p.path.to_string()).collect();
    let manifest = m.path.to_string();
    m.manifest
        .components
        .iter()
        .filter(|e| !present.contains(&e.path) && !problem_paths.contains(&e.path.to_string()))
        .map(|e| Draft::orphaned(&e.path, &manifest))
        .collect()
}

/// Stage 6: the report, findings in their reporting order.
fn finish(cx: &Context, profiles: Vec<ProfileResult>, mut findings: Vec<Finding>) -> Report {
    sort_and_dedupe(&mut findings);
    Report {
        workspace: cx
            .config
            .file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        source: cx.source.label(),
        vcs: cx.vcs.describe(),
        revision: cx.vcs.revision(),
        mode: cx.mode,
        profiles,
        findings,
        generated_at: std::time::SystemTime::now(),
    }
}
