//! The check: inventory, version-control status, hashing and comparison with the approved manifest,
//! turned into findings. Plain data in, plain data out; nothing here prints.

use crate::config::{Config, Mode};
use crate::finding::{Code, Finding, Severity};
use crate::hash;
use crate::inventory::{self, Component, Inventory, Step};
use crate::manifest::{EntryKind, Manifest};
use crate::path::WsPath;
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
    pub via: Vec<Step>,
    pub kind: Kind,
    pub size: u64,
    /// BLAKE3 hex, when it could be hashed.
    pub blake3: Option<String>,
    pub status: Option<Status>,
    /// The approved hash, when the manifest has this component.
    pub approved: Option<String>,
    /// How version control transforms its bytes between disk and the repository, when it does
    /// (see [`Vcs::transform`]).
    pub transform: Option<crate::vcs::git_attr::Transform>,
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
    let rel = config.manifest_path(profile);
    let path = WsPath::normalize(Path::new(&rel)).expect("manifest-dir was validated");
    let mut text = Vec::new();
    match source.open(&path) {
        Ok(mut r) => r
            .read_to_end(&mut text)
            .map_err(|e| Error::Io(format!("{rel}: {e}")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Io(format!("{rel}: {e}"))),
    };
    let display = config
        .file
        .parent()
        .map(|d| d.join(&rel))
        .unwrap_or_else(|| PathBuf::from(&rel));
    let s = String::from_utf8(text.clone()).map_err(|_| {
        Error::Config(crate::config::ConfigError {
            file: display.clone(),
            line: None,
            column: None,
            snippet: None,
            message: "the manifest is not valid UTF-8".into(),
        })
    })?;
    let manifest = Manifest::parse(&display, &s).map_err(Error::Config)?;
    if manifest.profile != profile {
        return Err(Error::Config(crate::config::ConfigError {
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
    Ok(Some(ManifestInfo {
        path,
        manifest,
        blake3: hash::hash_bytes(&text),
    }))
}

fn entry_kind(kind: &Kind) -> Option<EntryKind> {
    match kind {
        Kind::File => Some(EntryKind::File),
        Kind::Executable => Some(EntryKind::Executable),
        Kind::Symlink(_) => Some(EntryKind::Symlink),
        _ => None,
    }
}

/// Runs the whole pipeline over the named profiles (all when `names` is empty).
pub fn run(
    cx: &Context,
    names: &[String],
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, Error> {
    let profiles = cx.config.select(names).map_err(Error::Usage)?;
    let mut inventories: Vec<Inventory> = Vec::with_capacity(profiles.len());
    for (i, p) in profiles.iter().enumerate() {
        progress(Progress::Inventory {
            profile_index: i,
            profiles: profiles.len(),
        });
        inventories.push(inventory::inventory(cx.source, p, cx.root));
    }

    // FIFOs, sockets and devices are reported unreadable and asked nothing more.
    let unique: BTreeSet<&WsPath> = inventories
        .iter()
        .flat_map(|inv| inv.components.iter())
        .filter(|c| entry_kind(&c.meta.kind).is_some())
        .map(|c| &c.path)
        .collect();
    let unique: Vec<WsPath> = unique.into_iter().cloned().collect();

    // Each file is hashed once, however many profiles share it.
    let mut hashes: HashMap<WsPath, Result<String, String>> = HashMap::new();
    let kinds: HashMap<&WsPath, &Kind> = inventories
        .iter()
        .flat_map(|inv| inv.components.iter().map(|c| (&c.path, &c.meta.kind)))
        .collect();
    // Files the inventory read whole to find references were hashed then, from the same bytes.
    let scanned: HashMap<&WsPath, &String> = inventories
        .iter()
        .flat_map(|inv| inv.components.iter())
        .filter_map(|c| c.blake3.as_ref().map(|h| (&c.path, h)))
        .collect();
    for (i, p) in unique.iter().enumerate() {
        if i % 64 == 0 {
            progress(Progress::Hashing {
                done: i,
                total: unique.len(),
            });
        }
        let known = scanned.get(p).map(|h| (*h).clone()).or_else(|| {
            kinds[p]
                .is_regular()
                .then(|| cx.source.known_hash(p))
                .flatten()
        });
        let h = match known {
            Some(h) => Ok(h),
            None => hash::hash_component(cx.source, p, kinds[p]).map_err(|e| e.to_string()),
        };
        hashes.insert(p.clone(), h);
    }
    progress(Progress::Hashing {
        done: unique.len(),
        total: unique.len(),
    });

    // One status query for every component of every profile. Hashing came first because a file vigil
    // cannot read, git cannot read either, and libgit2 fails the whole query on it: such a file is
    // reported unreadable and left out. Missing paths are asked too, so that a tracked component
    // deleted from disk or the index is also reported as an uncommitted deletion.
    let mut asked: BTreeSet<WsPath> = unique
        .iter()
        .filter(|p| !matches!(hashes.get(*p), Some(Err(_))))
        .cloned()
        .collect();
    asked.extend(
        inventories
            .iter()
            .flat_map(|inv| inv.problems.iter())
            .filter(|p| p.code == Code::Missing)
            .filter_map(|p| WsPath::parse_escaped(&p.path).ok())
            .filter(|p| !p.is_root()),
    );
    // The manifests too: an approval that is not committed is not under change control either. The gate
    // checks them itself, with its own wording.
    let manifests: HashMap<String, WsPath> = if cx.mode == Mode::Gate {
        HashMap::new()
    } else {
        profiles
            .iter()
            .filter_map(|p| {
                let path = WsPath::normalize(Path::new(&cx.config.manifest_path(&p.name)))?;
                matches!(cx.source.lookup(&path), crate::source::Lookup::Found(_))
                    .then(|| (p.name.clone(), path))
            })
            .collect()
    };
    asked.extend(manifests.values().cloned());
    let asked: Vec<WsPath> = asked.into_iter().collect();
    progress(Progress::Status { paths: asked.len() });
    let statuses = cx
        .vcs
        .status(&asked)
        .map_err(|e| Error::Vcs(e.to_string()))?;

    // Where Subversion translates content (svn:keywords, svn:eol-style), hash the repository form, so
    // that the working copy and the server hook agree on one hash. The status query is what tells which
    // files are translated, so these few are hashed again now.
    for p in &unique {
        let Some(form) = cx.vcs.repository_form(p).filter(|_| kinds[p].is_regular()) else {
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
            .map(|_| hash::hash_bytes(&form.to_repository_form(&bytes)))
            .map_err(|e| e.to_string());
        hashes.insert(p.clone(), h);
    }

    // Where git converts content (core.autocrlf, .gitattributes), the working tree and a snapshot can
    // hash differently: not reproduced, but detected per regular file and reported.
    let transforms: HashMap<&WsPath, Option<crate::vcs::git_attr::Transform>> = unique
        .iter()
        .filter(|p| kinds[p].is_regular())
        .map(|p| (p, cx.vcs.transform(p)))
        .collect();

    let mut findings = Vec::new();
    let mut results = Vec::new();
    for (profile, inv) in profiles.iter().zip(inventories) {
        let manifest = read_manifest(cx.config, cx.source, &profile.name)?;
        let mut raw: Vec<(Code, String, Vec<Step>, String)> = Vec::new();
        let mut components = Vec::new();
        for Component {
            path, via, meta, ..
        } in &inv.components
        {
            let status = statuses.get(path).cloned();
            let transform = transforms.get(path).cloned().flatten();
            match &status {
                Some(Status::Untracked(hint)) => raw.push((
                    Code::Untracked,
                    path.to_string(),
                    via.clone(),
                    match hint {
                        Some(h) => format!("not under version control: {h}"),
                        None => "on disk, but not under version control".into(),
                    },
                )),
                Some(Status::Ignored) => raw.push((
                    Code::Ignored,
                    path.to_string(),
                    via.clone(),
                    "on disk, but matched by an ignore rule, so it is not under version control"
                        .into(),
                )),
                Some(Status::Uncommitted(how)) => raw.push((
                    Code::Uncommitted,
                    path.to_string(),
                    via.clone(),
                    how.clone(),
                )),
                _ => {}
            }
            let blake3 = match hashes.get(path) {
                Some(Ok(h)) => Some(h.clone()),
                Some(Err(e)) => {
                    raw.push((
                        Code::Unreadable,
                        path.to_string(),
                        via.clone(),
                        format!("cannot be read: {e}"),
                    ));
                    None
                }
                None => None,
            };
            let approved = manifest
                .as_ref()
                .and_then(|m| m.manifest.entry(path))
                .map(|e| (e.blake3.clone(), e.kind));
            if let (Some(m), Some(_)) = (&manifest, entry_kind(&meta.kind)) {
                match (&approved, &blake3) {
                    (None, _) => raw.push((
                        Code::Unapproved,
                        path.to_string(),
                        via.clone(),
                        format!("not in the approved manifest {}", m.path),
                    )),
                    (Some((want, want_kind)), Some(got)) => {
                        let kind = entry_kind(&meta.kind);
                        if want != got {
                            raw.push((
                                Code::Stale,
                                path.to_string(),
                                via.clone(),
                                format!(
                                    "changed since approval (approved {}, now {}){}",
                                    short(want),
                                    short(got),
                                    cx.vcs
                                        .repository_form(path)
                                        .map(|f| format!("; {}", f.note()))
                                        .or_else(|| transform
                                            .as_ref()
                                            .map(|t| format!("; {}", t.note())))
                                        .unwrap_or_default()
                                ),
                            ));
                        } else if kind != Some(*want_kind) {
                            raw.push((
                                Code::Stale,
                                path.to_string(),
                                via.clone(),
                                format!(
                                    "approved as {}, now {}",
                                    want_kind.as_str(),
                                    kind.map_or("something else", |k| k.as_str())
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            components.push(CheckedComponent {
                path: path.clone(),
                via: via.clone(),
                kind: meta.kind.clone(),
                size: meta.size,
                blake3,
                status,
                approved: approved.map(|a| a.0),
                transform,
            });
        }
        for p in &inv.problems {
            raw.push((p.code, p.path.clone(), p.via.clone(), p.message.clone()));
            if p.code != Code::Missing {
                continue;
            }
            let status = WsPath::parse_escaped(&p.path)
                .ok()
                .and_then(|w| statuses.get(&w));
            if let Some(Status::Uncommitted(how)) = status {
                raw.push((
                    Code::Uncommitted,
                    p.path.clone(),
                    p.via.clone(),
                    how.clone(),
                ));
            }
        }
        match &manifest {
            None => raw.push((
                Code::Unapproved,
                cx.config.manifest_path(&profile.name),
                Vec::new(),
                "the profile has no approved manifest".into(),
            )),
            Some(m) => {
                let manifest_status = manifests.get(&profile.name).and_then(|p| statuses.get(p));
                let path = m.path.to_string();
                match manifest_status {
                    Some(Status::Untracked(_)) => raw.push((
                        Code::Untracked,
                        path,
                        Vec::new(),
                        "the approved manifest itself is not under version control: commit it".into(),
                    )),
                    Some(Status::Ignored) => raw.push((
                        Code::Ignored,
                        path,
                        Vec::new(),
                        "the approved manifest itself is matched by an ignore rule: it cannot be committed".into(),
                    )),
                    Some(Status::Uncommitted(how)) => raw.push((
                        Code::Uncommitted,
                        path,
                        Vec::new(),
                        format!("the approved manifest itself is {how}: commit it"),
                    )),
                    Some(Status::Committed) | None => {}
                }
                let present: BTreeSet<&WsPath> = inv.components.iter().map(|c| &c.path).collect();
                let problem_paths: BTreeSet<&str> =
                    inv.problems.iter().map(|p| p.path.as_str()).collect();
                for e in &m.manifest.components {
                    if !present.contains(&e.path)
                        && !problem_paths.contains(e.path.to_string().as_str())
                    {
                        raw.push((
                            Code::Orphaned,
                            e.path.to_string(),
                            Vec::new(),
                            format!(
                                "in the approved manifest {}, but no longer referenced by the profile",
                                m.path
                            ),
                        ));
                    }
                }
            }
        }
        for (code, path, via, message) in raw {
            let severity = cx.config.severity(cx.mode, code);
            if severity == Severity::Off {
                continue;
            }
            findings.push(Finding {
                code,
                severity,
                profile: profile.name.clone(),
                path,
                message,
                via,
            });
        }
        results.push(ProfileResult {
            name: profile.name.clone(),
            description: profile.description.clone(),
            manifest,
            components,
        });
    }
    findings.sort_by(|a, b| (&a.profile, &a.path, a.code).cmp(&(&b.profile, &b.path, b.code)));
    findings.dedup();
    Ok(Report {
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
        profiles: results,
        findings,
    })
}

/// The first 12 hex digits of a hash, for messages.
pub fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}
