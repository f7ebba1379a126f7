//! The audit trail of a profile (`vigil log PROFILE`) in a Subversion working copy: every revision
//! that changed the profile's manifest (`svn log`), read with that revision's `vigil.toml` and
//! allowed signers (`svn cat URL@REV`), judged as `history` judges a git commit.

use crate::config::{self, CONFIG_FILE};
use crate::history::{entries, signers_of, Approval, Entry};
use crate::path::WsPath;
use crate::source::{DirEntry, Kind, Lookup, Meta, Source};
use crate::svn_tool::{find_tool, run_tool, tool_command};
use crate::Error;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The approvals of `profile` in the history of the manifest `manifest_rel` as the working copy of
/// the workspace folder `ws_root` has it (its base revision and older), newest first.
pub fn log(ws_root: &Path, manifest_rel: &str, profile: &str) -> Result<Vec<Entry>, Error> {
    let svn = find_tool("svn", None, "VIGIL_SVN").map_err(Error::SvnTool)?;
    let url = workspace_url(&svn, ws_root)?;
    let mut found = Vec::new();
    for (rev, at) in manifest_revisions(&svn, &ws_root.join(manifest_rel))? {
        let source = SvnAt {
            svn: &svn,
            url: &url,
            rev: rev.clone(),
            files: RefCell::new(HashMap::new()),
        };
        // A revision whose configuration is absent or does not parse records no approval we can read.
        let Some(Ok(config)) = source
            .text(CONFIG_FILE)
            .map(|text| config::parse(&PathBuf::from(format!("{url}/{CONFIG_FILE}@{rev}")), &text))
        else {
            continue;
        };
        let Ok(Some(info)) = crate::check::read_manifest(&config, &source, profile) else {
            continue;
        };
        let (signers, rejected) = signers_of(&config, &source, &info.manifest, at);
        found.push(Approval {
            id: format!("r{rev}"),
            manifest: info.manifest,
            signers,
            rejected,
        });
    }
    Ok(entries("svn", found))
}

fn svn_error(what: &str, e: crate::svn_tool::ToolError) -> Error {
    Error::SvnTool(format!("svn {what} failed: {}", e.stderr))
}

/// The repository URL of the workspace folder.
fn workspace_url(svn: &Path, ws_root: &Path) -> Result<String, Error> {
    let mut c = tool_command(svn);
    c.args(["info", "--xml", "--non-interactive", "--"])
        .arg(format!("{}@", ws_root.display()));
    let xml = run_tool(c).map_err(|e| svn_error("info", e))?;
    let text = String::from_utf8_lossy(&xml);
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| Error::SvnTool(format!("svn info printed XML vigil cannot read: {e}")))?;
    let entry = doc.descendants().find(|n| n.has_tag_name("entry"));
    let url = entry
        .and_then(|e| e.descendants().find(|n| n.has_tag_name("url")))
        .and_then(|n| n.text());
    url.map(str::to_string).ok_or_else(|| {
        Error::SvnTool(format!(
            "svn info names no repository URL for {}",
            ws_root.display()
        ))
    })
}

/// The revisions that changed the manifest, oldest first, with their times (`svn log` of the working
/// copy's manifest: its base revision back, following copies).
fn manifest_revisions(svn: &Path, manifest: &Path) -> Result<Vec<(String, SystemTime)>, Error> {
    let mut c = tool_command(svn);
    c.args(["log", "--xml", "-q", "--non-interactive", "--"])
        .arg(format!("{}@", manifest.display()));
    let xml = match run_tool(c) {
        Ok(xml) => xml,
        // No committed manifest in the working copy (absent, or added but not committed): no approval.
        Err(e) if e.has("E155010") || e.has("W155010") || e.has("E200009") || e.has("E160013") => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(svn_error("log", e)),
    };
    let text = String::from_utf8_lossy(&xml);
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| Error::SvnTool(format!("svn log printed XML vigil cannot read: {e}")))?;
    let mut out = Vec::new();
    for e in doc.descendants().filter(|n| n.has_tag_name("logentry")) {
        let Some(rev) = e.attribute("revision") else {
            continue;
        };
        let at = e
            .descendants()
            .find(|n| n.has_tag_name("date"))
            .and_then(|n| n.text())
            .and_then(|d| humantime::parse_rfc3339(d).ok())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        out.push((rev.to_string(), at));
    }
    out.reverse();
    Ok(out)
}

/// A path for a URL: each byte outside the unreserved set and `/` percent-encoded.
fn escape_url_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The files of the workspace folder at one revision, read with `svn cat URL/PATH@REV`. It reads
/// files only (what the audit trail needs: the manifest and the allowed signers); a folder is
/// `Missing` and cannot be listed.
struct SvnAt<'a> {
    svn: &'a Path,
    url: &'a str,
    rev: String,
    files: RefCell<HashMap<String, Option<Vec<u8>>>>,
}

impl SvnAt<'_> {
    /// The repository form of the file at `rel`, `None` when the revision has no such file.
    fn bytes(&self, rel: &str) -> Option<Vec<u8>> {
        if let Some(b) = self.files.borrow().get(rel) {
            return b.clone();
        }
        let mut c = tool_command(self.svn);
        c.args(["cat", "--ignore-keywords", "--non-interactive", "--"])
            .arg(format!(
                "{}/{}@{}",
                self.url,
                escape_url_path(rel),
                self.rev
            ));
        let b = run_tool(c).ok();
        self.files.borrow_mut().insert(rel.to_string(), b.clone());
        b
    }

    fn text(&self, rel: &str) -> Option<String> {
        String::from_utf8(self.bytes(rel)?).ok()
    }
}

impl Source for SvnAt<'_> {
    fn label(&self) -> String {
        format!("revision r{}", self.rev)
    }

    fn lookup(&self, path: &WsPath) -> Lookup {
        match self.bytes(&String::from_utf8_lossy(path.as_bytes())) {
            Some(b) => Lookup::Found(Meta {
                kind: Kind::File,
                size: b.len() as u64,
            }),
            None => Lookup::Missing,
        }
    }

    fn list_dir(&self, _path: &WsPath) -> io::Result<Vec<DirEntry>> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the Subversion history reads files only",
        ))
    }

    fn open(&self, path: &WsPath) -> io::Result<Box<dyn Read + '_>> {
        self.bytes(&String::from_utf8_lossy(path.as_bytes()))
            .map(|b| Box::new(io::Cursor::new(b)) as Box<dyn Read>)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in this revision"))
    }
}
