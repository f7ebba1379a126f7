//! Subversion: the working-copy backend (status, revision, approved content) and the helpers that run the
//! Subversion command-line tools.
//!
//! Status comes from `svn status --xml -v --no-ignore --depth empty` with the components as explicit
//! targets, in as few processes as the argument limit allows (one for a few thousand components), plus one
//! more for the folders of components that Subversion does not know at all (inside an unversioned or
//! ignored folder), and one `svn proplist` for the components that have properties, to find
//! `svn:keywords` and `svn:eol-style`. Explicit targets cost in proportion to the profile, not to the
//! working copy, and each target is answered by the working copy that holds it, so a component inside an
//! `svn:externals` checkout gets that checkout's status. Reading `.svn/wc.db` directly would need SQLite
//! and would tie vigil to one working-copy format; the client reads every format it supports and says
//! clearly when it cannot.
//!
//! Every tool runs with `LANG=C.UTF-8` and `LC_ALL=C.UTF-8`, so paths arrive as UTF-8 whatever the caller's
//! locale (hooks run with none), and with `--non-interactive`.

mod ignore;
pub mod subst;

use super::{ApprovedQuery, Lineage, Revision, Status, Vcs, VcsError};
use crate::path::WsPath;
pub use crate::svn_tool::{run_tool, tool_command, ToolError};
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use subst::Subst;

/// Finds a Subversion tool (see [`crate::svn_tool::find_tool`]).
pub fn find_tool(name: &str, explicit: Option<&Path>, env_var: &str) -> Result<PathBuf, VcsError> {
    crate::svn_tool::find_tool(name, explicit, env_var).map_err(VcsError::Other)
}

/// Bytes of target arguments per `svn` process; far below Linux's limits for one command line.
const ARG_BUDGET: usize = 96 * 1024;

/// A target argument: `path@`, so that an `@` inside the name is never read as a peg revision.
fn target(p: &str) -> OsString {
    OsString::from(format!("{p}@"))
}

/// A workspace inside a Subversion working copy.
pub struct SvnWorkingCopy {
    svn: PathBuf,
    ws_root: PathBuf,
    wc_root: PathBuf,
    url: String,
    revision: Option<String>,
    /// Components whose properties translate their content, learned by [`Vcs::status`].
    substs: Mutex<HashMap<WsPath, Subst>>,
    /// The working revision of each versioned path passed to [`Vcs::status`] (a working copy can be
    /// at several revisions at once: a commit does not update the folders above what it committed).
    revisions: Mutex<HashMap<WsPath, u64>>,
    /// The revision that last changed each path passed to `status` (its `<commit revision>`).
    changed: Mutex<HashMap<WsPath, u64>>,
    /// The rule that ignores each path `status` found ignored, when one can be named.
    ignore_rules: Mutex<HashMap<WsPath, String>>,
}

impl SvnWorkingCopy {
    /// Opens the working copy holding `ws_root`; `wc_dir` is the folder holding the nearest `.svn`.
    pub fn open(ws_root: &Path, wc_dir: &Path) -> Result<Self, VcsError> {
        let svn = find_tool("svn", None, "VIGIL_SVN")?;
        let info = |dir: &Path| {
            let mut c = tool_command(&svn);
            c.args(["info", "--xml", "--non-interactive", "--"])
                .arg(format!("{}@", dir.display()));
            run_tool(c)
        };
        // The workspace folder itself may be unversioned inside the working copy: then ask its root.
        let out = info(ws_root).or_else(|e| {
            if e.has("E155010") || e.has("W155010") {
                info(wc_dir)
            } else {
                Err(e)
            }
        });
        let out = out.map_err(|e| wc_error(wc_dir, &e))?;
        let text = String::from_utf8_lossy(&out);
        let doc = roxmltree::Document::parse(&text)
            .map_err(|e| VcsError::Other(format!("svn info printed XML vigil cannot read: {e}")))?;
        let entry = doc
            .descendants()
            .find(|n| n.has_tag_name("entry"))
            .ok_or_else(|| VcsError::Other("svn info printed no entry".into()))?;
        let child_text = |tag: &str| {
            entry
                .descendants()
                .find(|n| n.has_tag_name(tag))
                .and_then(|n| n.text())
                .map(str::to_string)
        };
        let wc_root = child_text("wcroot-abspath")
            .map(PathBuf::from)
            .unwrap_or_else(|| wc_dir.to_path_buf());
        Ok(SvnWorkingCopy {
            svn,
            ws_root: ws_root.to_path_buf(),
            wc_root,
            url: child_text("url").unwrap_or_default(),
            revision: entry
                .attribute("revision")
                .filter(|r| !r.starts_with('-'))
                .map(str::to_string),
            substs: Mutex::new(HashMap::new()),
            revisions: Mutex::new(HashMap::new()),
            changed: Mutex::new(HashMap::new()),
            ignore_rules: Mutex::new(HashMap::new()),
        })
    }

    fn command(&self) -> Command {
        let mut c = tool_command(&self.svn);
        c.current_dir(&self.ws_root);
        c
    }

    /// `svn status` of the given workspace-relative targets, batched; `(path, item, props, tree-conflict)`.
    fn status_of(&self, targets: &[&str]) -> Result<HashMap<String, WcStatus>, VcsError> {
        let mut out = HashMap::with_capacity(targets.len());
        for batch in batches(targets) {
            let mut c = self.command();
            c.args([
                "status",
                "--xml",
                "-v",
                "--no-ignore",
                "--depth",
                "empty",
                "--non-interactive",
                "--",
            ]);
            c.args(batch.iter().map(|t| target(t)));
            let xml = run_tool(c).map_err(|e| wc_error(&self.wc_root, &e))?;
            parse_status(&xml, &mut out)?;
        }
        Ok(out)
    }

    /// Runs `svn ARGS --depth empty --non-interactive -- TARGETS` once per batch of targets and hands
    /// each XML answer, parsed, to `each`. XML that does not parse is an error naming the subcommand.
    fn xml_batches(
        &self,
        args: &[&str],
        targets: &[&str],
        mut each: impl FnMut(&roxmltree::Document),
    ) -> Result<(), VcsError> {
        for batch in batches(targets) {
            let mut c = self.command();
            c.args(args)
                .args(["--depth", "empty", "--non-interactive", "--"]);
            c.args(batch.iter().map(|t| target(t)));
            let xml = run_tool(c).map_err(|e| wc_error(&self.wc_root, &e))?;
            let text = String::from_utf8_lossy(&xml);
            let doc = roxmltree::Document::parse(&text)
                .map_err(|e| VcsError::Other(format!("svn {} printed bad XML: {e}", args[0])))?;
            each(&doc);
        }
        Ok(())
    }

    /// Names the rule that ignores each of the `asked` paths that Subversion reported ignored (`found`),
    /// or that lies in an ignored folder (`folders`: then the folder's rule), with one
    /// `svn proplist --show-inherited-props` per batch of their folders. When Subversion cannot
    /// answer, no rule is named and the finding keeps its generic message.
    fn remember_ignore_rules(
        &self,
        asked: &[(&str, &WsPath)],
        found: &HashMap<String, WcStatus>,
        folders: &HashMap<String, WcStatus>,
    ) {
        let ignored: Vec<(String, &WsPath)> = asked
            .iter()
            .filter_map(|(s, p)| match found.get(*s) {
                Some(st) => (st.item == "ignored").then(|| (s.to_string(), *p)),
                None => ignored_folder(p, folders).map(|d| (d, *p)),
            })
            .collect();
        if ignored.is_empty() {
            return;
        }
        let parents: BTreeSet<&str> = ignored
            .iter()
            .map(|(s, _)| s.rfind('/').map_or(".", |i| &s[..i]))
            .collect();
        let parents: Vec<&str> = parents.into_iter().collect();
        let root = self
            .ws_root
            .canonicalize()
            .unwrap_or_else(|_| self.ws_root.clone());
        let mut props = HashMap::new();
        let args = ["proplist", "--xml", "-v", "--show-inherited-props"];
        let read = self.xml_batches(&args, &parents, |doc| {
            ignore::read_proplist(doc, &root, &mut props)
        });
        if read.is_err() {
            return;
        }
        let client = ignore::client_global_ignores();
        let mut rules = self.ignore_rules.lock().expect("not poisoned");
        for (s, p) in ignored {
            if let Some(rule) = ignore::rule_for(&s, &root, &props, &client) {
                rules.insert(p.clone(), rule);
            }
        }
    }

    /// `svn:keywords` and `svn:eol-style` of the given targets, in one `svn proplist` per batch.
    fn translations(&self, targets: &[&str]) -> Result<HashMap<String, Subst>, VcsError> {
        let mut out = HashMap::new();
        self.xml_batches(&["proplist", "--xml", "-v"], targets, |doc| {
            for t in doc.descendants().filter(|n| n.has_tag_name("target")) {
                let Some(path) = t.attribute("path") else {
                    continue;
                };
                let prop = |name: &str| {
                    t.children()
                        .find(|p| p.has_tag_name("property") && p.attribute("name") == Some(name))
                        .map(|p| p.text().unwrap_or("").to_string())
                };
                let keywords = prop("svn:keywords");
                let eol = prop("svn:eol-style");
                if let Some(s) = Subst::from_props(keywords.as_deref(), eol.as_deref()) {
                    out.insert(path.to_string(), s);
                }
            }
        })?;
        Ok(out)
    }

    /// `svn cat --ignore-keywords -r REV path@`: the repository form of a file at a revision.
    fn cat(&self, rev: &str, path: &str) -> Option<Vec<u8>> {
        let mut c = self.command();
        c.args([
            "cat",
            "--ignore-keywords",
            "--non-interactive",
            "-r",
            rev,
            "--",
        ])
        .arg(target(path));
        run_tool(c).ok()
    }
}

impl SvnWorkingCopy {
    /// Asks the `svn:keywords` and `svn:eol-style` of the targets that have properties, and keeps them
    /// for the repository-form rehash.
    fn remember_translations(
        &self,
        asked: &[(&str, &WsPath)],
        with_props: &[&str],
    ) -> Result<(), VcsError> {
        if with_props.is_empty() {
            return Ok(());
        }
        let t = self.translations(with_props)?;
        let by_str: HashMap<&str, &WsPath> = asked.iter().copied().collect();
        let mut substs = self.substs.lock().expect("not poisoned");
        for (path, s) in t {
            if let Some(p) = by_str.get(path.as_str()) {
                substs.insert((*p).clone(), s);
            }
        }
        Ok(())
    }

    /// `svn status` trusts stat data: a file whose size and modification time equal what the working
    /// copy recorded is "normal" without a look at its bytes, so an edit that keeps the size and puts
    /// the time back is invisible to it (and to `svn commit`, which sends nothing). Every regular file
    /// `svn status` calls unchanged is therefore compared byte for byte with its committed bytes: the
    /// SHA-1 of the pristine (repository normal form) that `svn info` reports, against the SHA-1 of the
    /// file's repository form computed from disk.
    fn compare_bytes(
        &self,
        asked: &[(&str, &WsPath)],
        out: &mut HashMap<WsPath, Status>,
    ) -> Result<(), VcsError> {
        let targets: Vec<&str> = asked
            .iter()
            .filter(|(_, p)| out.get(*p) == Some(&Status::Committed))
            .filter(|(s, _)| {
                std::fs::symlink_metadata(self.ws_root.join(s))
                    .is_ok_and(|m| m.file_type().is_file())
            })
            .map(|(s, _)| *s)
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let mut committed: HashMap<String, String> = HashMap::new();
        self.xml_batches(&["info", "--xml"], &targets, |doc| {
            for e in doc.descendants().filter(|n| n.has_tag_name("entry")) {
                let sum = e
                    .descendants()
                    .find(|n| n.has_tag_name("checksum"))
                    .and_then(|n| n.text());
                if let (Some(path), Some(sum)) = (e.attribute("path"), sum) {
                    committed.insert(path.to_string(), sum.trim().to_ascii_lowercase());
                }
            }
        })?;
        let substs = self.substs.lock().expect("not poisoned");
        let compared: std::collections::HashSet<&str> = targets.iter().copied().collect();
        for (s, p) in asked {
            if !compared.contains(s) {
                continue;
            }
            let why = match committed.get(*s) {
                None => Some(
                    "Subversion reports no checksum of its committed bytes, so they cannot be \
                     compared with the file"
                        .to_string(),
                ),
                Some(want) => match disk_sha1(&self.ws_root.join(s), substs.get(*p)) {
                    // Unreadable: the hashing stage reports it.
                    Err(_) => None,
                    Ok(got) if &got == want => None,
                    Ok(_) => Some(
                        "modified, not committed: its bytes differ from the committed ones, \
                         although `svn status` sees no change (same size and modification time); \
                         `svn commit` will not send it until its time changes (`touch` it)"
                            .to_string(),
                    ),
                },
            };
            if let Some(why) = why {
                out.insert((*p).clone(), Status::Uncommitted(why));
            }
        }
        Ok(())
    }
}

/// The SHA-1 (lowercase hex) of a working file in its repository form. A file Subversion does not
/// translate is streamed, so memory stays flat however large it is; a translated one is read whole to
/// be put in repository form.
fn disk_sha1(path: &Path, subst: Option<&Subst>) -> std::io::Result<String> {
    use sha1::Digest;
    use std::io::Read;
    let mut f = crate::source::open_regular(path)?;
    let digest = match subst {
        Some(s) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            sha1::Sha1::digest(s.to_repository_form(&bytes))
        }
        None => {
            let mut h = sha1::Sha1::new();
            std::io::copy(&mut f, &mut h)?;
            h.finalize()
        }
    };
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// What `svn status` says of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WcStatus {
    item: String,
    props: String,
    tree_conflicted: bool,
    /// The working revision; absent for unversioned paths, and for added ones (`-1`, `0`).
    revision: Option<u64>,
    /// The revision that last changed the path (`<commit revision>`); absent when uncommitted.
    changed: Option<u64>,
}

/// Splits targets into groups that fit on one command line.
fn batches<'a>(targets: &'a [&'a str]) -> Vec<&'a [&'a str]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, t) in targets.iter().enumerate() {
        if bytes + t.len() + 2 > ARG_BUDGET && i > start {
            out.push(&targets[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += t.len() + 2;
    }
    if start < targets.len() {
        out.push(&targets[start..]);
    }
    out
}

fn parse_status(xml: &[u8], out: &mut HashMap<String, WcStatus>) -> Result<(), VcsError> {
    let text = String::from_utf8_lossy(xml);
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| VcsError::Other(format!("svn status printed XML vigil cannot read: {e}")))?;
    for e in doc.descendants().filter(|n| n.has_tag_name("entry")) {
        let (Some(path), Some(st)) = (
            e.attribute("path"),
            e.children().find(|n| n.has_tag_name("wc-status")),
        ) else {
            continue;
        };
        out.insert(
            path.to_string(),
            WcStatus {
                item: st.attribute("item").unwrap_or("none").to_string(),
                props: st.attribute("props").unwrap_or("none").to_string(),
                tree_conflicted: st.attribute("tree-conflicted") == Some("true"),
                revision: st
                    .attribute("revision")
                    .and_then(|r| r.parse::<u64>().ok())
                    .filter(|r| *r > 0),
                changed: e
                    .descendants()
                    .find(|n| n.has_tag_name("commit"))
                    .and_then(|c| c.attribute("revision"))
                    .and_then(|r| r.parse::<u64>().ok()),
            },
        );
    }
    Ok(())
}

/// A clear error for a working copy the client cannot use.
/// The revision and author of the one entry of `svn log -l 1 --xml`, if it has both.
fn parse_last_log(xml: &[u8]) -> Result<Option<(u64, String)>, VcsError> {
    let text = String::from_utf8_lossy(xml);
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| VcsError::Other(format!("svn log printed XML vigil cannot read: {e}")))?;
    let Some(entry) = doc.descendants().find(|n| n.has_tag_name("logentry")) else {
        return Ok(None);
    };
    let rev = entry.attribute("revision").and_then(|r| r.parse().ok());
    let who = entry
        .descendants()
        .find(|n| n.has_tag_name("author"))
        .and_then(|n| n.text());
    Ok(rev.zip(who.map(str::to_string)))
}

fn wc_error(wc: &Path, e: &super::svn::ToolError) -> VcsError {
    let why = if e.has("E155021") {
        "it was written by a newer Subversion than the installed client; use a client of that version"
    } else if e.has("E155036") {
        "it uses an older working-copy format; run `svn upgrade` in it"
    } else if e.has("E155007") {
        "it is not a usable working copy"
    } else if e.has("E200030") || e.has("SQLite") {
        "its database .svn/wc.db cannot be read"
    } else {
        "svn failed"
    };
    VcsError::Other(format!(
        "cannot read the Subversion working copy at {}: {why}\n{}",
        wc.display(),
        e.stderr
    ))
}

/// Maps `svn status` to a component status.
fn map_status(s: &WcStatus) -> Status {
    if s.tree_conflicted {
        return Status::Uncommitted("in a tree conflict; resolve it and commit".into());
    }
    match s.item.as_str() {
        "unversioned" => Status::Untracked(None),
        "ignored" => Status::Ignored,
        "normal" | "external" | "none" => match s.props.as_str() {
            "modified" => Status::Uncommitted("properties modified, not committed".into()),
            "conflicted" => Status::Uncommitted("properties in conflict".into()),
            _ => Status::Committed,
        },
        "added" => Status::Uncommitted("added, not committed".into()),
        "modified" => Status::Uncommitted("modified, not committed".into()),
        "deleted" => Status::Uncommitted("scheduled for deletion, not committed".into()),
        "replaced" => Status::Uncommitted("replaced, not committed".into()),
        "missing" => Status::Uncommitted("missing from the working copy".into()),
        "conflicted" => Status::Uncommitted("in conflict; resolve it and commit".into()),
        "obstructed" => Status::Uncommitted(
            "obstructed: something of another kind is in its place in the working copy".into(),
        ),
        "incomplete" => Status::Uncommitted("incomplete; run `svn update`".into()),
        "merged" => Status::Uncommitted("merged, not committed".into()),
        other => Status::Uncommitted(format!("svn status `{other}`")),
    }
}

impl Vcs for SvnWorkingCopy {
    fn name(&self) -> &'static str {
        "svn"
    }

    fn describe(&self) -> String {
        format!(
            "Subversion working copy at {} ({})",
            self.wc_root.display(),
            self.url
        )
    }

    fn revision(&self) -> Revision {
        Revision {
            vcs: "svn".into(),
            id: self.revision.clone(),
        }
    }

    fn status(&self, paths: &[WsPath]) -> Result<HashMap<WsPath, Status>, VcsError> {
        let mut out = HashMap::with_capacity(paths.len());
        let mut asked: Vec<(&str, &WsPath)> = Vec::with_capacity(paths.len());
        for p in paths {
            match std::str::from_utf8(p.as_bytes()) {
                Ok(s) => asked.push((s, p)),
                Err(_) => {
                    out.insert(
                        p.clone(),
                        Status::Untracked(Some(
                            "Subversion cannot version a file name that is not valid UTF-8".into(),
                        )),
                    );
                }
            }
        }
        if asked.is_empty() {
            return Ok(out);
        }
        let targets: Vec<&str> = asked.iter().map(|(s, _)| *s).collect();
        let found = self.status_of(&targets)?;

        // Subversion says nothing of a file inside an unversioned or ignored folder: ask the folders.
        let unanswered: Vec<&(&str, &WsPath)> = asked
            .iter()
            .filter(|(s, _)| !found.contains_key(*s))
            .collect();
        let folders = if unanswered.is_empty() {
            HashMap::new()
        } else {
            let dirs = ancestors(unanswered.iter().map(|(_, p)| *p));
            let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
            self.status_of(&dirs)?
        };

        let mut with_props = Vec::new();
        let mut revisions = self.revisions.lock().expect("not poisoned");
        for (s, p) in &asked {
            let status = match found.get(*s) {
                Some(st) => {
                    if let Some(r) = st.revision {
                        revisions.insert((*p).clone(), r);
                    }
                    if let Some(r) = st.changed {
                        self.changed
                            .lock()
                            .expect("not poisoned")
                            .insert((*p).clone(), r);
                    }
                    if st.props != "none" && st.item != "unversioned" && st.item != "ignored" {
                        with_props.push(*s);
                    }
                    map_status(st)
                }
                None => folder_status(p, &folders),
            };
            out.insert((*p).clone(), status);
        }
        drop(revisions);
        self.remember_ignore_rules(&asked, &found, &folders);
        self.remember_translations(&asked, &with_props)?;
        self.compare_bytes(&asked, &mut out)?;
        Ok(out)
    }

    fn ignore_rule(&self, path: &WsPath) -> Option<String> {
        let rules = self.ignore_rules.lock().expect("not poisoned");
        rules.get(path).cloned()
    }

    /// Subversion's history is one line, so a revision is in the history of every later one: the
    /// recorded revision must not be newer than the working copy's. A working copy can hold several
    /// revisions at once (a commit leaves the folders above it at their old revision; `svn update PATH`
    /// moves one path), so the anchor is the manifest file's own working revision: the approval must be
    /// older than the manifest that carries it. An honest approval always is (it is made on a working
    /// copy, then committed in a later revision), whatever revision the other paths are at; their
    /// content is checked against the manifest by hash anyway. A recorded revision newer than that
    /// was not made in this repository's history: the manifest was copied from another repository, or
    /// its revision edited by hand. Without a working revision for the manifest (not committed, which
    /// fails the gate on its own), the anchor is the workspace folder's revision.
    ///
    /// Revision numbers are not unique across repositories; a manifest copied from another repository
    /// with an older revision number is not detected here (the manifest does not record the
    /// repository's UUID).
    fn landed(&self, manifest: &WsPath) -> Result<Option<String>, VcsError> {
        let changed = self.changed.lock().expect("not poisoned");
        Ok(changed.get(manifest).map(|r| r.to_string()))
    }

    fn lineage(&self, manifest: &WsPath, recorded: &str) -> Result<Lineage, VcsError> {
        let Ok(rec) = recorded.trim_start_matches('r').parse::<u64>() else {
            return Ok(Lineage::Outside(format!(
                "`{recorded}` is not a Subversion revision number"
            )));
        };
        let own = self
            .revisions
            .lock()
            .expect("not poisoned")
            .get(manifest)
            .copied();
        let (anchor, what) = match own {
            Some(r) => (
                r,
                format!("the manifest {manifest} itself, which this working copy has at r{r}"),
            ),
            None => match self.revision.as_deref().and_then(|r| r.parse::<u64>().ok()) {
                Some(r) => (r, format!("the working copy, which is at r{r}")),
                None => return Ok(Lineage::Outside(
                    "the working copy has no revision yet, so no approval can be in its history"
                        .into(),
                )),
            },
        };
        if rec <= anchor {
            Ok(Lineage::InHistory)
        } else {
            Ok(Lineage::Outside(format!(
                "r{rec} is newer than {what}: the approval was not made in this working copy's \
                 history (copied from another repository, or edited by hand)"
            )))
        }
    }

    fn last_author(&self, paths: &[WsPath]) -> Result<Option<super::Author>, VcsError> {
        let mut newest: Option<(u64, String)> = None;
        for p in paths {
            let mut c = self.command();
            c.args(["log", "--xml", "-q", "-l", "1", "--non-interactive", "--"])
                .arg(target(&p.to_string()));
            // A component never committed has no author; its own finding says so.
            let Ok(xml) = run_tool(c) else { continue };
            if let Some((rev, who)) = parse_last_log(&xml)? {
                if newest.as_ref().is_none_or(|(r, _)| rev > *r) {
                    newest = Some((rev, who));
                }
            }
        }
        Ok(newest.map(|(rev, identity)| super::Author {
            identity,
            change: format!("svn r{rev}"),
        }))
    }

    fn repository_form(&self, path: &WsPath) -> Option<Box<dyn super::RepositoryForm>> {
        let subst = self
            .substs
            .lock()
            .expect("not poisoned")
            .get(path)
            .cloned()?;
        Some(Box::new(subst))
    }

    fn approved_content(&self, query: &ApprovedQuery) -> Result<Option<Vec<u8>>, VcsError> {
        let (Ok(path), Ok(manifest)) = (
            std::str::from_utf8(query.path.as_bytes()),
            std::str::from_utf8(query.manifest.as_bytes()),
        ) else {
            return Ok(None);
        };
        let mut revs: Vec<String> = query.recorded.map(str::to_string).into_iter().collect();
        let mut c = self.command();
        c.args([
            "info",
            "--show-item",
            "last-changed-revision",
            "--non-interactive",
            "--",
        ])
        .arg(target(manifest));
        if let Ok(o) = run_tool(c) {
            let r = String::from_utf8_lossy(&o).trim().to_string();
            if !r.is_empty() {
                revs.push(r);
            }
        }
        revs.push("BASE".into());
        for rev in revs {
            if let Some(bytes) = self.cat(&rev, path) {
                if crate::hash::hash_bytes(&bytes) == query.blake3 {
                    return Ok(Some(bytes));
                }
            }
        }
        Ok(None)
    }
}

/// Every folder above the given paths, as `svn status` targets (`.` for the working copy's top).
fn ancestors<'a>(paths: impl Iterator<Item = &'a WsPath>) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    for p in paths {
        let mut d = p.parent();
        loop {
            dirs.insert(if d.is_root() {
                ".".to_string()
            } else {
                String::from_utf8_lossy(d.as_bytes()).into_owned()
            });
            if d.is_root() {
                break;
            }
            d = d.parent();
        }
    }
    dirs
}

/// The folder (`svn status` target form) that makes `p` ignored: its nearest folder Subversion answered
/// for, when that folder is ignored.
fn ignored_folder(p: &WsPath, folders: &HashMap<String, WcStatus>) -> Option<String> {
    let mut d = p.parent();
    while !d.is_root() {
        let key = String::from_utf8_lossy(d.as_bytes()).into_owned();
        if let Some(st) = folders.get(&key) {
            return (st.item == "ignored").then_some(key);
        }
        d = d.parent();
    }
    None
}

/// The status of a file Subversion said nothing about, from its nearest folder that it did answer for.
fn folder_status(p: &WsPath, folders: &HashMap<String, WcStatus>) -> Status {
    let mut d = p.parent();
    loop {
        let key = if d.is_root() {
            ".".to_string()
        } else {
            String::from_utf8_lossy(d.as_bytes()).into_owned()
        };
        if let Some(st) = folders.get(&key) {
            let shown = if d.is_root() {
                "the workspace folder".to_string()
            } else {
                format!("its folder {d}")
            };
            return match st.item.as_str() {
                "ignored" => Status::Ignored,
                "unversioned" => {
                    Status::Untracked(Some(format!("{shown} is not under version control")))
                }
                _ => Status::Untracked(Some(format!(
                    "Subversion reports nothing for it (svn status of {shown}: {})",
                    st.item
                ))),
            };
        }
        if d.is_root() {
            return Status::Untracked(Some("Subversion reports nothing for it".into()));
        }
        d = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_the_budget() {
        let long = "x".repeat(40 * 1024);
        let t = [long.as_str(), long.as_str(), long.as_str(), "a"];
        let b = batches(&t);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].len(), 2);
        assert_eq!(b[1].len(), 2);
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn status_mapping() {
        let st = |item: &str, props: &str| WcStatus {
            item: item.into(),
            props: props.into(),
            tree_conflicted: false,
            revision: None,
            changed: None,
        };
        assert_eq!(map_status(&st("normal", "none")), Status::Committed);
        assert_eq!(
            map_status(&st("unversioned", "none")),
            Status::Untracked(None)
        );
        assert_eq!(map_status(&st("ignored", "none")), Status::Ignored);
        assert!(matches!(
            map_status(&st("normal", "modified")),
            Status::Uncommitted(_)
        ));
        for item in [
            "added",
            "modified",
            "deleted",
            "replaced",
            "missing",
            "conflicted",
            "obstructed",
        ] {
            assert!(
                matches!(map_status(&st(item, "none")), Status::Uncommitted(_)),
                "{item}"
            );
        }
    }
}
