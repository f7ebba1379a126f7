//! The Subversion server-side pre-commit hook: checks a commit before it exists.
//!
//! Rules: a commit is rejected when, in the transaction, a profile references a component that is not in
//! the transaction's tree (`missing`: referenced, never committed), a component differs from the profile's
//! approved manifest in the same transaction (`stale`, `unapproved`: re-approve and commit the manifest in
//! the same commit), or `vigil.toml` or a manifest does not parse. More generally any finding at `error`
//! severity in `hook` mode rejects it, so `[severity.hook]` relaxes the rules (e.g. `stale = "warning"` for
//! two-step approval).
//!
//! A commit that touches nothing a profile uses is accepted after one `svnlook changed`, a read of
//! `vigil.toml` and of the manifests: a changed path matters to a profile when it is `vigil.toml`, the
//! profile's manifest, a component the manifest names (or a folder holding one), a file beside such a
//! component (a new file in a folder that an OpenSSL `.include` loads), or a path a declared pattern could
//! match. Only the profiles it matters to are checked in full; every profile is, where `unapproved` is
//! below an error in the hook, since a manifest then need not name every component. This assumes what the previous revision
//! held was already consistent, which the hook itself guarantees once it is installed; run `vigil check`
//! on a working copy once when installing it.
//!
//! A profile that a commit does touch is checked in full: every component is found in the transaction's
//! tree (one `svnlook tree --show-ids`), and its kind and BLAKE3 compared with the manifest. What a
//! component's bytes hash to is taken from the node cache ([`NodeCache`]) when its node revision is a
//! committed one that an earlier run read; that is not an assumption about earlier commits (a node
//! revision's content never changes), so the first commit after installing the hook reads everything,
//! and every change, property change, copy or replacement in the commit is a new node revision, read
//! with `svnlook proplist` and `svnlook cat`.

use crate::check::{self, Context};
use crate::config::{self, Config, Mode};
use crate::finding::{Code, Finding, Severity};
use crate::inventory::chain_text;
use crate::path::WsPath;
use crate::source::{NodeCache, SvnTxn, Svnlook, TxnOrRev};
use crate::svn_tool::find_tool;
use crate::touched::{profile_touched, Change};
use crate::vcs::{Revision, Status, Vcs, VcsError};
use crate::Error;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Where `vigil.toml` is looked for when no `--workspace` is given.
pub const DEFAULT_WORKSPACES: [&str; 2] = ["", "trunk"];

/// What the hook was asked to check.
#[derive(Debug, Clone)]
pub struct Options {
    pub repos: PathBuf,
    pub txn: TxnOrRev,
    /// Workspace folders in the repository (`trunk`, `trunk/ca`); empty: [`DEFAULT_WORKSPACES`].
    pub workspaces: Vec<String>,
    /// Absolute path of `svnlook`; default: `PATH`, then `/usr/bin`, `/usr/local/bin`, ...
    pub svnlook: Option<PathBuf>,
    /// The node cache file ([`NodeCache`]); `None` reads every component on every commit.
    pub cache: Option<PathBuf>,
    /// The server's own policy (`--policy FILE`), which every workspace's `vigil.toml` is raised to
    /// and may not go below.
    pub policy: Option<crate::policy::Policy>,
}

/// Where the node cache lives by default: `REPOS/vigil/node-hashes`.
pub fn default_cache(repos: &Path) -> PathBuf {
    repos.join("vigil").join("node-hashes")
}

/// The node cache, loaded when the first workspace needs a full check.
struct CacheSlot<'a> {
    file: Option<&'a Path>,
    cache: OnceCell<Rc<RefCell<NodeCache>>>,
}

impl CacheSlot<'_> {
    fn get(&self, look: &Svnlook) -> Rc<RefCell<NodeCache>> {
        self.cache
            .get_or_init(|| {
                let c = match (self.file, look.youngest()) {
                    (Some(f), Ok(y)) => NodeCache::load(f, y),
                    _ => NodeCache::disabled(),
                };
                Rc::new(RefCell::new(c))
            })
            .clone()
    }
}

/// The hook's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted; each line says what was checked (for `--verbose` runs and tests).
    Accept(Vec<String>),
    /// Rejected, with the message for the committer.
    Reject(String),
}

/// Checks a transaction (or, for testing a repository, a revision).
pub fn pre_commit(o: &Options) -> Result<Verdict, Error> {
    let bin =
        find_tool("svnlook", o.svnlook.as_deref(), "VIGIL_SVNLOOK").map_err(Error::SvnTool)?;
    let mut look = Svnlook {
        bin,
        repos: o.repos.clone(),
        at: o.txn.clone(),
    };
    let svn_err = |e: crate::svn_tool::ToolError| Error::Vcs(format!("svnlook: {}", e.stderr));
    // `svnlook -r` takes numbers only; `HEAD` is what people type to try the hook on the latest one.
    if matches!(&look.at, TxnOrRev::Rev(r) if r.eq_ignore_ascii_case("HEAD")) {
        look.at = TxnOrRev::Rev(look.youngest().map_err(svn_err)?.to_string());
    }
    let changed = look.changed().map_err(svn_err)?;

    let explicit = !o.workspaces.is_empty();
    let mut workspaces: Vec<String> = Vec::new();
    if explicit {
        workspaces = o
            .workspaces
            .iter()
            .map(|w| w.trim_matches('/').to_string())
            .collect();
    } else {
        for w in DEFAULT_WORKSPACES {
            if look
                .cat(&repo_join(w, config::CONFIG_FILE))
                .map_err(svn_err)?
                .is_some()
            {
                workspaces.push(w.to_string());
            }
        }
        if workspaces.is_empty() {
            // A commit that deletes the configuration must not switch the hook off silently.
            for (action, path) in &changed {
                let p = path.trim_end_matches('/');
                if action.starts_with('D')
                    && ["vigil.toml", "trunk/vigil.toml", "trunk"].contains(&p)
                {
                    return Ok(Verdict::Reject(format!(
                        "vigil: this commit is rejected: it deletes /{p}, which holds vigil's configuration.\n\
                         What to do: keep vigil.toml; to retire vigil, first remove the pre-commit hook from the repository.\n"
                    )));
                }
            }
            return Ok(Verdict::Accept(vec![
                "no vigil.toml at the repository root or under trunk/".into(),
            ]));
        }
    }

    let slot = CacheSlot {
        file: o.cache.as_deref(),
        cache: OnceCell::new(),
    };
    let mut notes = Vec::new();
    let mut rejections = String::new();
    for ws in &workspaces {
        match check_workspace(&look, ws, &changed, &slot, o.policy.as_ref())? {
            Ok(note) => notes.push(note),
            Err(msg) => rejections.push_str(&msg),
        }
    }
    if let Some(c) = slot.cache.get() {
        // Only facts about committed node revisions are kept, so they hold whatever the verdict.
        if let Err(e) = c.borrow_mut().save() {
            notes.push(format!("the node cache could not be written: {e}"));
        }
    }
    if rejections.is_empty() {
        Ok(Verdict::Accept(notes))
    } else {
        Ok(Verdict::Reject(rejections))
    }
}

/// `prefix/rel` as a repository path (no leading slash).
fn repo_join(prefix: &str, rel: &str) -> String {
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{rel}"),
    }
}

fn shown_ws(ws: &str) -> String {
    format!("/{ws}")
}

/// Checks one workspace: `Ok(Ok(note))` accepts, `Ok(Err(message))` rejects.
fn check_workspace(
    look: &Svnlook,
    ws: &str,
    changed: &[(String, String)],
    slot: &CacheSlot,
    policy: Option<&crate::policy::Policy>,
) -> Result<Result<String, String>, Error> {
    let (changes, everything) = workspace_changes(ws, changed);
    if changes.is_empty() && !everything {
        return Ok(Ok(format!(
            "{}: the commit changes nothing in the workspace",
            shown_ws(ws)
        )));
    }
    let cfg = match workspace_config(look, ws, policy)? {
        Ok(c) => c,
        Err(rejected) => return Ok(Err(rejected)),
    };
    let source = SvnTxn::new(look.clone(), ws);
    let all_touched = everything || touches_trust(&cfg, &changes);
    if all_touched {
        if let Some(msg) = signers_rejection(look, ws, &cfg, &source)? {
            return Ok(Err(msg));
        }
    }
    let names = match touched_profiles(look, ws, &cfg, &source, slot, &changes, all_touched)? {
        Ok(names) => names,
        Err(rejected) => return Ok(Err(rejected)),
    };
    // A change of vigil.toml is checked in full, leftover manifests included: emptying it, or
    // dropping an approved profile, must not switch the control off unnoticed.
    if all_touched {
        source.use_cache(slot.get(look));
        return check_profiles(look, ws, &cfg, &source, &[]);
    }
    if names.is_empty() {
        return Ok(Ok(format!(
            "{}: the commit touches nothing any profile uses",
            shown_ws(ws)
        )));
    }
    source.use_cache(slot.get(look));
    check_profiles(look, ws, &cfg, &source, &names)
}

/// The transaction's vigil.toml with the server policy applied; `Err(message)` rejects the commit
/// (unreadable configuration, or one that relaxes what the policy pins).
fn workspace_config(
    look: &Svnlook,
    ws: &str,
    policy: Option<&crate::policy::Policy>,
) -> Result<Result<Config, String>, Error> {
    let mut cfg = match txn_config(look, ws)? {
        Ok(c) => c,
        Err(rejected) => return Ok(Err(rejected)),
    };
    if let Some(p) = policy {
        let relaxed = p.apply(&mut cfg);
        if !relaxed.is_empty() {
            let mut msg = format!("vigil: this commit is rejected in {}:\n", shown_ws(ws));
            for line in crate::policy::rejection_lines(p, &relaxed) {
                msg.push_str(&format!("  {line}\n"));
            }
            return Ok(Err(msg));
        }
    }
    Ok(Ok(cfg))
}

/// Whether the commit changes what every verdict rests on: vigil.toml, or the allowed signers
/// (which decide every approval's verdict, as vigil.toml decides every profile's).
fn touches_trust(cfg: &Config, changes: &[Change]) -> bool {
    let signers = cfg
        .signing
        .as_ref()
        .filter(|s| s.pinned.is_none())
        .and_then(|s| WsPath::normalize(Path::new(&s.allowed_signers)));
    changes.iter().any(|c| {
        c.path.as_bytes() == config::CONFIG_FILE.as_bytes()
            || signers.as_ref().is_some_and(|s| &c.path == s)
    })
}

/// The profiles the commit can affect (every one when `all_touched`), sorted; `Err(message)` rejects
/// the commit (a manifest that cannot be read).
fn touched_profiles(
    look: &Svnlook,
    ws: &str,
    cfg: &Config,
    source: &SvnTxn,
    slot: &CacheSlot,
    changes: &[Change],
    all_touched: bool,
) -> Result<Result<Vec<String>, String>, Error> {
    // The manifests list every component only where a component missing from one fails the hook;
    // otherwise a changed file that no manifest names may still be one (the rule of the git hooks' fast path).
    let manifests_complete = cfg.severity(Mode::Hook, Code::Unapproved) >= Severity::Error;
    let mut names = Vec::new();
    let mut unsure = Vec::new();
    for name in cfg.profiles.keys() {
        let manifest = match check::read_manifest(cfg, source, name) {
            Ok(m) => m,
            Err(Error::Config(e) | Error::Manifest(e)) => {
                let file = PathBuf::from(format!("^/{}", repo_join(ws, &cfg.manifest_path(name))));
                return Ok(Err(parse_rejection(&e.to_string(), &file)));
            }
            Err(e) => return Err(e),
        };
        if all_touched
            || !manifests_complete
            || profile_touched(cfg, name, manifest.as_ref(), changes)
        {
            names.push(name.clone());
        } else {
            unsure.push(name.clone());
        }
    }
    // A new path can join a profile that no manifest entry or declared pattern is near: a `.cnf` added
    // to a folder that an OpenSSL `.include` loads but that holds no approved component yet (the 2020
    // incident's shape). Only the inventory knows which folders a profile lists and which paths it
    // looks up, so it runs (reading components, hashing nothing) for the profiles still in doubt.
    let added: Vec<&Change> = changes.iter().filter(|c| c.added).collect();
    if !unsure.is_empty() && !added.is_empty() {
        source.use_cache(slot.get(look));
        for name in unsure {
            if inventory_sees(source, &cfg.profiles[&name], &added) {
                names.push(name);
            }
        }
        names.sort();
    }
    Ok(Ok(names))
}

/// Whether the inventory of `profile` looks up an added path or lists the folder it was added to.
fn inventory_sees(source: &SvnTxn, profile: &config::Profile, added: &[&Change]) -> bool {
    let rec = crate::source::Recording::new(source);
    crate::inventory::inventory(&rec, profile, None);
    let (looked, listed) = rec.into_seen();
    added
        .iter()
        .any(|c| looked.contains(&c.path) || listed.contains(&c.path.parent()))
}

/// The changes inside the workspace, relative to it, and whether a change above it (the folder itself
/// deleted, replaced or copied) touches everything.
fn workspace_changes(ws: &str, changed: &[(String, String)]) -> (Vec<Change>, bool) {
    let mut changes = Vec::new();
    let mut everything = false;
    for (action, path) in changed {
        let is_dir = path.ends_with('/');
        let p = path.trim_end_matches('/');
        let rel = if ws.is_empty() {
            Some(p)
        } else if p == ws {
            Some("")
        } else {
            p.strip_prefix(ws).and_then(|r| r.strip_prefix('/'))
        };
        match rel {
            Some("") => {
                // Only a property change on the workspace folder itself leaves its content alone.
                if action.starts_with('A') || action.starts_with('D') || action.starts_with('R') {
                    everything = true;
                }
            }
            Some(r) => {
                if let Some(path) = WsPath::normalize(Path::new(r)) {
                    let added = action.starts_with('A') || action.starts_with('R');
                    changes.push(Change {
                        path,
                        is_dir,
                        added,
                    });
                }
            }
            None => {
                if is_dir && (ws.starts_with(&format!("{p}/")) || p.is_empty()) {
                    everything |= !action.starts_with('_');
                }
            }
        }
    }
    (changes, everything)
}

/// The workspace's `vigil.toml` as the transaction has it; `Ok(Err(message))` rejects the commit.
fn txn_config(look: &Svnlook, ws: &str) -> Result<Result<Config, String>, Error> {
    let config_path = repo_join(ws, config::CONFIG_FILE);
    let label = PathBuf::from(format!("^/{config_path}"));
    let text = match look.cat(&config_path) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Ok(Err(format!(
                "vigil: this commit is rejected: the workspace {} has no {} in it.\n\
                 What to do: keep {} in the commit (or fix the hook's --workspace setting).\n",
                shown_ws(ws),
                config::CONFIG_FILE,
                label.display()
            )))
        }
        Err(e) => return Err(Error::SvnTool(format!("svnlook: {}", e.stderr))),
    };
    let Ok(text) = String::from_utf8(text) else {
        return Ok(Err(parse_rejection(
            &format!("{}: not valid UTF-8", label.display()),
            &label,
        )));
    };
    Ok(config::parse(&label, &text).map_err(|e| parse_rejection(&e.to_string(), &label)))
}

/// Runs the hook-mode check of the touched profiles; `Ok(Ok(note))` accepts, `Ok(Err(message))`
/// rejects.
fn check_profiles(
    look: &Svnlook,
    ws: &str,
    cfg: &Config,
    source: &SvnTxn,
    names: &[String],
) -> Result<Result<String, String>, Error> {
    let vcs = TxnVcs {
        label: look.label(),
        look,
        source,
    };
    let cx = Context {
        config: cfg,
        root: None,
        source,
        vcs: &vcs,
        mode: Mode::Hook,
    };
    let report = match check::run(&cx, names, &mut |_| {}) {
        Ok(r) => r,
        Err(Error::Config(e) | Error::Manifest(e)) => {
            return Ok(Err(parse_rejection(&e.to_string(), &e.file)))
        }
        Err(e) => return Err(e),
    };
    if !report.failed() {
        let all: Vec<String>;
        let names = if names.is_empty() {
            all = cfg.profiles.keys().cloned().collect();
            &all
        } else {
            names
        };
        return Ok(Ok(format!(
            "{}: checked profiles {} ({} files known from the node cache)",
            shown_ws(ws),
            names.join(", "),
            source.cached_files()
        )));
    }
    Ok(Err(rejection(cfg, ws, &report.findings)))
}

/// The message for a configuration or manifest that does not parse.
fn parse_rejection(error: &str, file: &Path) -> String {
    format!(
        "vigil: this commit is rejected: vigil's configuration in it does not parse.\n\n{error}\n\n\
         What to do: fix {} and commit again (`vigil check` in a working copy shows the same error).\n",
        file.display()
    )
}

/// A change of the allowed-signers file that the previous revision's approvers did not sign: the
/// message rejecting it, or `None`.
fn signers_rejection(
    look: &Svnlook,
    ws: &str,
    cfg: &Config,
    source: &SvnTxn,
) -> Result<Option<String>, Error> {
    let previous = match &look.at {
        TxnOrRev::Txn(_) => look
            .youngest()
            .map_err(|e| Error::SvnTool(format!("svnlook: {}", e.stderr)))?,
        TxnOrRev::Rev(r) => match r.parse::<u64>() {
            Ok(n) if n > 0 => n - 1,
            _ => return Ok(None),
        },
    };
    let old_look = Svnlook {
        at: TxnOrRev::Rev(previous.to_string()),
        ..look.clone()
    };
    // A previous revision without a configuration that parses trusted nobody in particular.
    let Ok(old_cfg) = txn_config(&old_look, ws)? else {
        return Ok(None);
    };
    let old_source = SvnTxn::new(old_look, ws);
    let drafts = crate::signature::signers::judge_sources(
        (&old_cfg, &old_source),
        (cfg, source),
        std::time::SystemTime::now(),
    )
    .map_err(Error::Config)?;
    let findings: Vec<Finding> = drafts
        .into_iter()
        .filter_map(|d| d.judge("allowed-signers", |c| cfg.severity(Mode::Hook, c)))
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if findings.is_empty() {
        return Ok(None);
    }
    let mut out = format!(
        "vigil: this commit is rejected: it changes the allowed signers of workspace {} without the approvers the previous revision trusts.\n",
        shown_ws(ws)
    );
    for f in &findings {
        let _ = writeln!(
            out,
            "  {:<12} /{}\n               {}",
            f.code.as_str(),
            repo_join(ws, &f.path.text()),
            crate::path::escape_text(&f.message)
        );
    }
    let _ = writeln!(
        out,
        "               what to do: have enough of the current approvers run `vigil sign --allowed-signers` and commit the .sig.toml with the change"
    );
    Ok(Some(out))
}

/// The message naming each profile, component and chain that rejects the commit, and what to do.
fn rejection(cfg: &Config, ws: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let _ = writeln!(
        out,
        "vigil: this commit is rejected: {} in workspace {} would not be under change control.",
        if errors.len() == 1 {
            "a profile component".to_string()
        } else {
            format!("{} profile components", errors.len())
        },
        shown_ws(ws)
    );
    let mut by_profile: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in errors {
        match by_profile.iter_mut().find(|(p, _)| *p == f.profile) {
            Some((_, v)) => v.push(f),
            None => by_profile.push((&f.profile, vec![f])),
        }
    }
    for (profile, fs) in by_profile {
        let manifest = repo_join(ws, &cfg.manifest_path(profile));
        let _ = writeln!(out, "\nprofile `{profile}` (manifest /{manifest}):");
        for f in fs {
            let _ = writeln!(
                out,
                "  {:<12} /{}",
                f.code.as_str(),
                repo_join(ws, &f.path.text())
            );
            let _ = writeln!(
                out,
                "               {}",
                crate::path::escape_text(&f.message)
            );
            if !f.via.is_empty() {
                let _ = writeln!(out, "               reached by: {}", chain_text(&f.via));
            }
            let todo = match f.code {
                Code::Missing => "add it (`svn add`) and commit it in this same commit, or remove the reference to it".to_string(),
                Code::Stale | Code::Unapproved => format!(
                    "review the change (`vigil diff {profile}` in a working copy), run `vigil approve {profile}`, and commit /{manifest} in this same commit"
                ),
                other => other.remedy().to_string(),
            };
            let _ = writeln!(out, "               what to do: {todo}");
        }
    }
    out
}

/// Version control as seen from inside a transaction: whatever is in it is committed.
struct TxnVcs<'a> {
    label: String,
    look: &'a Svnlook,
    source: &'a SvnTxn,
}

impl Vcs for TxnVcs<'_> {
    /// The transaction's author when it changes a component; else the author of the newest
    /// revision that changed one.
    fn last_author(&self, paths: &[WsPath]) -> Result<Option<crate::vcs::Author>, VcsError> {
        let tool =
            |e: crate::svn_tool::ToolError| VcsError::Other(format!("svnlook: {}", e.stderr));
        let repo: std::collections::BTreeSet<String> =
            paths.iter().map(|p| self.source.repo_path(p)).collect();
        let changed = self.look.changed().map_err(tool)?;
        if changed.iter().any(|(_, c)| repo.contains(c)) {
            return Ok(Some(crate::vcs::Author {
                identity: self.look.author().map_err(tool)?,
                change: self.label.clone(),
            }));
        }
        let mut newest = None;
        for p in &repo {
            newest = newest.max(self.look.last_changed(p).map_err(tool)?);
        }
        let Some(rev) = newest else { return Ok(None) };
        let at_rev = Svnlook {
            at: TxnOrRev::Rev(rev.to_string()),
            ..self.look.clone()
        };
        Ok(Some(crate::vcs::Author {
            identity: at_rev.author().map_err(tool)?,
            change: format!("svn r{rev}"),
        }))
    }

    fn name(&self) -> &'static str {
        "svn"
    }
    fn describe(&self) -> String {
        self.label.clone()
    }
    fn revision(&self) -> Revision {
        Revision {
            vcs: "svn".into(),
            id: None,
        }
    }
    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        Ok(paths
            .iter()
            .map(|p| (p.clone(), Status::Committed))
            .collect())
    }
}
