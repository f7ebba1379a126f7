//! Verification of a deployed host against a bundle: the profiles' references followed on the host
//! exactly as in the repository, and every file they reach compared with what was approved.
//!
//! The host is read through the working-tree [`Source`] rooted at `--root`, in *host* paths: the
//! inventory and the OpenSSL loader run unchanged with `/` as the workspace, so an absolute `.include
//! /etc/ca/ext.cnf` on the host is the host's file, and symlinks resolve as the kernel resolves them.
//! The profile's own paths (declared components, `extfile`, `include-dir`, `env-file`, and its
//! references' `files` and `dir`) are repository paths; the [`PathMap`] (`--map REPO_PATH=HOST_PATH`)
//! carries them onto the host, and carries every file reached back to the repository path its
//! approval has. The profile's `deployed` folders are not used on the host: they are the
//! repository's view of the software's absolute paths, which on the host are its own files. A repository path no map names sits at
//! the same path under the root.
//!
//! Deviation: user reference patterns with `relative-to = "workspace"` resolve against the host's
//! root, not through the map.

use crate::bundle::Opened;
use crate::check::{CheckedComponent, ManifestInfo, ProfileResult, Report};
use crate::config::{HostAttributes, Mode, Profile};
use crate::finding::{sort_and_dedupe, Draft, Finding, Step};
use crate::manifest::{EntryKind, Manifest};
use crate::path::WsPath;
use crate::source::{Kind, Lookup, Source, WorkTree};
use crate::vcs::Revision;
use crate::Error;
use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Where repository paths live on the host: `REPO_PATH=HOST_PATH` pairs, the longest match winning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathMap {
    /// (repository path, host path relative to the root).
    entries: Vec<(WsPath, WsPath)>,
}

impl PathMap {
    /// Parses `--map` values: `profiles=/etc/ca/profiles` (the repository path relative to the
    /// workspace, `.` for all of it; the host path absolute).
    pub fn parse(items: &[String]) -> Result<PathMap, Error> {
        let mut entries = Vec::new();
        for item in items {
            let bad = |why: &str| Error::Usage(format!("--map `{item}`: {why}"));
            let (repo, host) = item.split_once('=').ok_or_else(|| {
                bad("expected REPO_PATH=HOST_PATH, such as profiles=/etc/ca/profiles")
            })?;
            let repo = WsPath::normalize(Path::new(repo)).ok_or_else(|| {
                bad("the repository path must be relative to vigil.toml, inside it")
            })?;
            let host = host
                .strip_prefix('/')
                .and_then(|h| WsPath::normalize(Path::new(h)))
                .ok_or_else(|| bad("the host path must be absolute (it is taken below --root)"))?;
            if entries.iter().any(|(r, _)| *r == repo) {
                return Err(bad("this repository path is mapped twice"));
            }
            entries.push((repo, host));
        }
        Ok(PathMap { entries })
    }

    /// The host path (relative to the root) of a repository path.
    pub fn to_host(&self, repo: &WsPath) -> WsPath {
        self.entries
            .iter()
            .filter(|(r, _)| repo.starts_with(r))
            .max_by_key(|(r, _)| r.as_bytes().len())
            .map(|(r, h)| rebase(repo, r, h))
            .unwrap_or_else(|| repo.clone())
    }

    /// The repository path of a host path, `None` when it cannot have one: it is not below a mapped
    /// host folder, and its own path lies in a repository folder that is mapped elsewhere.
    pub fn to_repo(&self, host: &WsPath) -> Option<WsPath> {
        if let Some((r, h)) = self
            .entries
            .iter()
            .filter(|(_, h)| host.starts_with(h))
            .max_by_key(|(_, h)| h.as_bytes().len())
        {
            return Some(rebase(host, h, r));
        }
        let shadowed = self.entries.iter().any(|(r, _)| host.starts_with(r));
        (!shadowed).then(|| host.clone())
    }

    /// A declared pattern (path, glob or folder, relative to vigil.toml) on the host. Its literal
    /// leading folders choose the map; a pattern that would reach into a mapped folder from an
    /// unmapped one cannot be carried over and is refused.
    fn pattern(&self, pattern: &str) -> Result<String, String> {
        let parts: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
        let literal = parts
            .iter()
            .take_while(|p| !p.contains(['*', '?', '[', '{']))
            .count();
        let prefix = WsPath::normalize(Path::new(&parts[..literal].join("/")))
            .ok_or_else(|| format!("`{pattern}` leads outside the workspace"))?;
        let rest = &parts[literal..];
        let covered = self.entries.iter().any(|(r, _)| prefix.starts_with(r));
        let inside = self
            .entries
            .iter()
            .any(|(r, _)| r.starts_with(&prefix) && *r != prefix);
        if !covered && inside {
            return Err(format!(
                "`{pattern}` reaches into folders mapped elsewhere with --map; map the folder it names as a whole"
            ));
        }
        let host = self.to_host(&prefix);
        let mut out: Vec<String> = Vec::new();
        if !host.is_root() {
            out.push(host.to_string());
        }
        out.extend(rest.iter().map(|s| s.to_string()));
        Ok(if out.is_empty() {
            ".".into()
        } else {
            out.join("/")
        })
    }
}

/// `path` (below `from`) moved below `to`.
fn rebase(path: &WsPath, from: &WsPath, to: &WsPath) -> WsPath {
    match path.strip_prefix(from) {
        Some(rest) if to.is_root() => rest,
        Some(rest) => WsPath::from_normal_bytes(&[to.as_bytes(), b"/", rest.as_bytes()].concat()),
        None => to.clone(),
    }
}

/// What to verify: the opened bundle, the host's root and the map.
pub struct Request<'a> {
    pub bundle: &'a Opened,
    /// How the bundle is named in reports.
    pub bundle_label: String,
    /// The host's `/` (a mounted image, or `/` itself).
    pub root: &'a Path,
    pub map: &'a PathMap,
    /// Profiles to verify; all the bundle holds when empty.
    pub profiles: &'a [String],
    pub mode: Mode,
    /// The host's own allowed-signers file (`--allowed-signers`): the approvals' signatures are then
    /// judged against it, whatever the bundle carries.
    pub allowed_signers: Option<&'a Path>,
}

/// Verifies the host against the bundle. Findings use host paths (absolute, as the host names them).
pub fn verify(req: &Request) -> Result<Report, Error> {
    let names = select(req)?;
    let source = WorkTree::new(req.root);
    let users = Accounts::read();
    let trust = trust(req)?;
    let mut profiles = Vec::new();
    let mut findings = Vec::new();
    for name in names {
        let profile = &req.bundle.config.profiles[&name];
        let host_profile = on_host(profile, req.map)?;
        let (manifest, mpath, mhash) = &req.bundle.manifests[&name];
        let (components, mut drafts) =
            verify_profile(&source, &host_profile, manifest, req, &users);
        let cfg = &req.bundle.config;
        if let Some(trust) = &trust {
            let required = cfg.signing.as_ref().map_or(1, |s| s.required_for(&name));
            drafts.extend(crate::signature::judge::judge(
                &mpath.to_string(),
                manifest,
                trust,
                required,
                std::time::SystemTime::now(),
                // A host has no history to name the author of a change; the repository's hooks and
                // gate apply author-may-not-approve before anything is deployed.
                None,
            ));
        }
        findings.extend(
            drafts
                .into_iter()
                .filter_map(|d| d.judge(&name, |c| cfg.severity(req.mode, c))),
        );
        profiles.push(ProfileResult {
            name: name.clone(),
            description: profile.description.clone(),
            manifest: Some(ManifestInfo {
                path: mpath.clone(),
                manifest: manifest.clone(),
                blake3: mhash.clone(),
            }),
            components,
        });
    }
    sort_and_dedupe(&mut findings);
    Ok(report(req, profiles, findings))
}

/// The allowed signers the approvals are judged against: the host's own file when given, else the
/// one the bundle carries when its `vigil.toml` has `[signing]`, else none (signatures not judged).
fn trust(req: &Request) -> Result<Option<crate::signature::AllowedSigners>, Error> {
    use crate::signature::AllowedSigners;
    if let Some(file) = req.allowed_signers {
        return AllowedSigners::load(file).map(Some).map_err(Error::Config);
    }
    match &req.bundle.signers {
        Some((path, text)) => {
            let label = Path::new(&req.bundle_label).join(path.as_path());
            AllowedSigners::parse(&label, text)
                .map(Some)
                .map_err(Error::Config)
        }
        None => Ok(None),
    }
}

fn select(req: &Request) -> Result<Vec<String>, Error> {
    let held = &req.bundle.bundle.profiles;
    if req.profiles.is_empty() {
        return Ok(held.clone());
    }
    for p in req.profiles {
        if !held.contains(p) {
            return Err(Error::Usage(format!(
                "profile `{p}` is not in the bundle (it holds {})",
                held.join(", ")
            )));
        }
    }
    Ok(req.profiles.to_vec())
}

fn report(req: &Request, profiles: Vec<ProfileResult>, findings: Vec<Finding>) -> Report {
    let b = &req.bundle.bundle;
    Report {
        workspace: req.root.to_path_buf(),
        source: "deployed tree".into(),
        vcs: format!("bundle {}", req.bundle_label),
        revision: Revision {
            vcs: b.vcs.clone(),
            id: Some(b.revision.clone()),
        },
        mode: req.mode,
        profiles,
        findings,
        generated_at: std::time::SystemTime::now(),
    }
}

/// The profile with its own paths carried onto the host.
fn on_host(p: &Profile, map: &PathMap) -> Result<Profile, Error> {
    let bad = |why: String| Error::Usage(format!("profile `{}`: {why}", p.name));
    let mut h = p.clone();
    h.components = p
        .components
        .iter()
        .map(|c| map.pattern(c))
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    h.extfile = p
        .extfile
        .iter()
        .map(|c| map.pattern(c))
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    h.env_file = p
        .env_file
        .as_deref()
        .map(|f| map.pattern(f))
        .transpose()
        .map_err(bad)?;
    // The working folder is a folder, not a pattern: map `.` to it when the CA software runs there.
    let dir = WsPath::normalize(Path::new(&p.include_dir)).ok_or_else(|| {
        bad(format!(
            "`include-dir = \"{}\"` leads outside the workspace",
            p.include_dir
        ))
    })?;
    let dir = map.to_host(&dir);
    h.include_dir = if dir.is_root() {
        ".".into()
    } else {
        dir.to_string()
    };
    h.skip = p.skip.iter().map(|s| map.to_host(s)).collect();
    // Reference extractors apply to the host paths of the files they name, and resolve a relative
    // path against the software's folder where the host has it.
    for r in &mut h.references {
        // A glob that starts with a wildcard (`**/*.json`) names no folder to map: it matches on
        // the host as it is.
        let host_glob = r
            .files
            .as_ref()
            .and_then(|f| map.pattern(f.glob().glob()).ok());
        if let Some(glob) = host_glob {
            r.files = Some(
                globset::Glob::new(&glob)
                    .map_err(|e| bad(format!("`files = \"{glob}\"` on the host: {e}")))?
                    .compile_matcher(),
            );
        }
        r.dir = r.dir.as_ref().map(|d| map.to_host(d));
    }
    // `deployed` carries the software's absolute paths into the repository's folders; on the host
    // an absolute path is the host's own file, which the map carries back to its repository path.
    h.deployed = Vec::new();
    Ok(h)
}

/// Chains start at the pattern as the profile writes it (a repository path), not its host form.
fn declared_as_written(inv: &mut crate::inventory::Inventory, map: &PathMap, written: &Profile) {
    let host_of: BTreeMap<String, &String> = written
        .components
        .iter()
        .chain(&written.extfile)
        .chain(&written.env_file)
        .filter_map(|p| Some((map.pattern(p).ok()?, p)))
        .collect();
    let fix = |via: &mut crate::finding::Chain| {
        if let Some(Step::Declared { pattern }) = via.first() {
            if let Some(w) = host_of.get(pattern.as_str()) {
                let mut chain = via.to_vec();
                chain[0] = Step::Declared {
                    pattern: (*w).clone(),
                };
                *via = chain.into();
            }
        }
    };
    inv.components.iter_mut().for_each(|c| fix(&mut c.via));
    inv.problems.iter_mut().for_each(|d| fix(&mut d.via));
}

/// A host path as the host names it.
fn absolute(host: &WsPath) -> String {
    format!("/{host}")
}

/// A component reached on the host against what the approval says of it: not approved at all (an
/// extra file), of another kind, other bytes, or unreadable.
fn against_approval(
    c: &crate::inventory::Component,
    shown: &str,
    repo: Option<&WsPath>,
    entry: Option<&crate::manifest::ManifestEntry>,
    blake3: Option<&str>,
) -> Option<Draft> {
    let Some(e) = entry else {
        let as_repo = repo.map_or_else(|| "no repository path".into(), |r| r.to_string());
        return Some(Draft::deployed_extra(shown, c.via.clone(), &as_repo));
    };
    let Some(h) = blake3 else {
        return Some(Draft::unreadable(shown, c.via.clone(), "cannot be hashed"));
    };
    if kind_of(&c.meta.kind) != Some(e.kind) {
        Some(Draft::stale_kind(
            shown,
            c.via.clone(),
            e.kind.as_str(),
            kind_name(&c.meta.kind),
        ))
    } else if h != e.blake3 {
        Some(Draft::deployed_differs(shown, c.via.clone(), &e.blake3, h))
    } else {
        None
    }
}

/// Inventory of one profile on the host, compared with its manifest.
fn verify_profile(
    source: &WorkTree,
    profile: &Profile,
    manifest: &Manifest,
    req: &Request,
    users: &Accounts,
) -> (Vec<CheckedComponent>, Vec<Draft>) {
    let mut inv = crate::inventory::inventory(source, profile, Some(Path::new("/")));
    declared_as_written(
        &mut inv,
        req.map,
        &req.bundle.config.profiles[&profile.name],
    );
    let approved: BTreeMap<&WsPath, &crate::manifest::ManifestEntry> =
        manifest.components.iter().map(|e| (&e.path, e)).collect();
    let mut drafts: Vec<Draft> = inv
        .problems
        .iter()
        .cloned()
        .map(|mut d| {
            d.path = format!("/{}", d.path.text().trim_start_matches('/')).into();
            d
        })
        .collect();
    let mut reached = HashSet::new();
    let mut components = Vec::new();
    for c in &inv.components {
        let shown = absolute(&c.path);
        let repo = req.map.to_repo(&c.path);
        let entry = repo.as_ref().and_then(|r| approved.get(r));
        let blake3 = c
            .blake3
            .or_else(|| crate::source::digest_component(source, &c.path, &c.meta.kind).ok())
            .map(|d| d.to_string());
        if let Some(e) = entry {
            reached.insert(e.path.clone());
        }
        drafts.extend(against_approval(
            c,
            &shown,
            repo.as_ref(),
            entry.copied(),
            blake3.as_deref(),
        ));
        if c.meta.kind.is_regular() {
            let abs = req.root.join(c.path.as_path());
            drafts.extend(permissions(
                &abs,
                &shown,
                &c.via,
                &profile.host_attributes,
                users,
            ));
        }
        components.push(CheckedComponent {
            path: c.path.clone(),
            via: c.via.clone(),
            kind: c.meta.kind.clone(),
            size: c.meta.size,
            blake3,
            status: None,
            approved: entry.map(|e| e.blake3.clone()),
            transform: None,
        });
    }
    let more = unreached(source, manifest, &reached, &drafts, req.map);
    drafts.extend(more);
    (components, drafts)
}

/// The approved components no reference on the host reached: absent (`missing`) or left behind
/// (`orphaned`), unless a failed reference to the same file already says so.
fn unreached(
    source: &WorkTree,
    manifest: &Manifest,
    reached: &HashSet<WsPath>,
    drafts: &[Draft],
    map: &PathMap,
) -> Vec<Draft> {
    let problems: HashSet<String> = drafts.iter().map(|d| d.path.to_string()).collect();
    let mut out = Vec::new();
    for e in &manifest.components {
        if reached.contains(&e.path) {
            continue;
        }
        let host = map.to_host(&e.path);
        let shown = absolute(&host);
        if problems.contains(&shown) {
            continue;
        }
        match source.lookup(&host) {
            Lookup::Missing => out.push(Draft::deployed_missing(&shown, &e.path.to_string())),
            _ => out.push(Draft::deployed_unreached(&shown, &e.path.to_string())),
        }
    }
    out
}

fn kind_of(kind: &Kind) -> Option<EntryKind> {
    match kind {
        Kind::File => Some(EntryKind::File),
        Kind::Executable => Some(EntryKind::Executable),
        Kind::Symlink(_) => Some(EntryKind::Symlink),
        _ => None,
    }
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::File => "file",
        Kind::Executable => "executable",
        Kind::Symlink(_) => "symlink",
        Kind::Dir => "folder",
        Kind::Special(s) => s,
    }
}

/// The `wrong-permissions` findings of one deployed file.
fn permissions(
    abs: &Path,
    shown: &str,
    via: &crate::finding::Chain,
    want: &HostAttributes,
    users: &Accounts,
) -> Vec<Draft> {
    if want == &HostAttributes::default() {
        return Vec::new();
    }
    let meta = match std::fs::symlink_metadata(abs) {
        Ok(m) => m,
        Err(_) => return Vec::new(), // the hash already says it cannot be read
    };
    let mut out = Vec::new();
    let mode = meta.mode() & 0o7777;
    if let Some(m) = want.mode.filter(|m| *m != mode) {
        out.push(format!("mode is {mode:04o}, the profile asks for {m:04o}"));
    }
    if let Some(o) = want.owner.as_deref() {
        if !users.user_is(meta.uid(), o) {
            out.push(format!(
                "owner is {}, the profile asks for {o}",
                users.user_name(meta.uid())
            ));
        }
    }
    if let Some(g) = want.group.as_deref() {
        if !users.group_is(meta.gid(), g) {
            out.push(format!(
                "group is {}, the profile asks for {g}",
                users.group_name(meta.gid())
            ));
        }
    }
    out.into_iter()
        .map(|what| Draft::wrong_permissions(shown, via.clone(), &what))
        .collect()
}

/// User and group names of the running system (`/etc/passwd`, `/etc/group`): the numbers on the
/// files are this system's, even when `--root` is a mounted image. A name the files do not list
/// matches only by number.
pub struct Accounts {
    users: BTreeMap<u32, String>,
    groups: BTreeMap<u32, String>,
}

impl Accounts {
    pub fn read() -> Accounts {
        Accounts {
            users: read_db(Path::new("/etc/passwd")),
            groups: read_db(Path::new("/etc/group")),
        }
    }

    fn user_is(&self, uid: u32, want: &str) -> bool {
        want == uid.to_string() || self.users.get(&uid).is_some_and(|n| n == want)
    }

    fn group_is(&self, gid: u32, want: &str) -> bool {
        want == gid.to_string() || self.groups.get(&gid).is_some_and(|n| n == want)
    }

    fn user_name(&self, uid: u32) -> String {
        self.users
            .get(&uid)
            .map_or_else(|| uid.to_string(), |n| format!("{n} ({uid})"))
    }

    fn group_name(&self, gid: u32) -> String {
        self.groups
            .get(&gid)
            .map_or_else(|| gid.to_string(), |n| format!("{n} ({gid})"))
    }
}

/// `name:x:number:...` lines; anything else is skipped.
fn read_db(file: &Path) -> BTreeMap<u32, String> {
    let text = crate::config::read_regular(file, 16 * 1024 * 1024).unwrap_or_default();
    String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

/// Reads a bundle file (at most [`crate::bundle::MAX_BUNDLE_BYTES`]) and opens it.
pub fn open_bundle(file: &Path) -> Result<Opened, Error> {
    let bytes = crate::config::read_regular(file, crate::bundle::MAX_BUNDLE_BYTES)
        .map_err(|why| Error::Bundle(format!("{}: {why}", file.display())))?;
    crate::bundle::open(file, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[&str]) -> PathMap {
        PathMap::parse(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ws(s: &str) -> WsPath {
        WsPath::normalize(Path::new(s)).unwrap()
    }

    #[test]
    fn maps_both_ways_longest_first() {
        let m = map(&[
            "profiles=/etc/ca/profiles",
            "profiles/ext=/opt/ext",
            ".=/srv/ca",
        ]);
        assert_eq!(
            m.to_host(&ws("profiles/a.cnf")),
            ws("etc/ca/profiles/a.cnf")
        );
        assert_eq!(m.to_host(&ws("profiles/ext/b.cnf")), ws("opt/ext/b.cnf"));
        assert_eq!(m.to_host(&ws("vigil.toml")), ws("srv/ca/vigil.toml"));
        assert_eq!(
            m.to_repo(&ws("opt/ext/b.cnf")),
            Some(ws("profiles/ext/b.cnf"))
        );
        assert_eq!(
            m.to_repo(&ws("etc/ca/profiles/a.cnf")),
            Some(ws("profiles/a.cnf"))
        );
        // Not below any host folder, and the root is mapped: no repository path.
        assert_eq!(m.to_repo(&ws("etc/ssl/other.cnf")), None);
    }

    #[test]
    fn identity_without_a_map_and_patterns_follow() {
        let m = map(&["profiles=/etc/ca/profiles"]);
        assert_eq!(m.to_repo(&ws("etc/ssl/x.cnf")), Some(ws("etc/ssl/x.cnf")));
        assert_eq!(m.to_repo(&ws("profiles/x.cnf")), None);
        assert_eq!(
            m.pattern("profiles/*.cnf").unwrap(),
            "etc/ca/profiles/*.cnf"
        );
        assert_eq!(
            m.pattern("./profiles/a.cnf").unwrap(),
            "etc/ca/profiles/a.cnf"
        );
        assert_eq!(m.pattern("other/**").unwrap(), "other/**");
        assert!(m.pattern("**/*.cnf").is_err());
        assert!(m.pattern(".").is_err());
    }

    #[test]
    fn bad_maps_are_usage_errors() {
        for bad in ["profiles", "profiles=etc/ca", "../x=/etc", "a=/x", "a=/y"] {
            let items: Vec<String> = if bad.starts_with("a=") {
                vec!["a=/x".into(), "a=/y".into()]
            } else {
                vec![bad.into()]
            };
            assert!(PathMap::parse(&items).is_err(), "{bad}");
        }
    }
}
