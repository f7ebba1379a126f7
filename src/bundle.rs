//! Bundles: what was approved for some profiles, taken from one git commit, as one self-checking file
//! that `vigil verify` compares a deployed host with (no version control on the host).
//!
//! A bundle is a JSON document (schema: `schema/bundle.schema.json`): the format name and version, the
//! repository revision, the profiles, and every file the host side needs, each with its BLAKE3, size
//! and bytes (base64): the workspace's `vigil.toml`, each profile's manifest (with its `[[signature]]`
//! tables) and every approved component. Its last field, `blake3`, is the BLAKE3 of the document's
//! compact JSON with that field empty. The document is deterministic: the same commit and profiles
//! give the same bytes.
//!
//! Every byte comes from the commit's tree, never the working tree, and a profile whose committed
//! components differ from its manifest is refused: a bundle only ever holds an approved state.

use crate::config::{Config, CONFIG_FILE};
use crate::manifest::{EntryKind, Manifest};
use crate::path::WsPath;
use crate::source::{Kind, Lookup, Source};
use crate::Error;
use data_encoding::BASE64;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The `format` every bundle names.
pub const FORMAT: &str = "vigil-bundle";
/// The bundle format version written and read by this build.
pub const BUNDLE_VERSION: u32 = 1;
/// The largest bundle `vigil verify` reads.
pub const MAX_BUNDLE_BYTES: u64 = 256 * 1024 * 1024;

/// A bundle, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "vigil bundle")]
pub struct Bundle {
    /// Always `vigil-bundle`.
    pub format: String,
    /// Format version of this document; 1.
    pub bundle_version: u32,
    /// The vigil version that wrote it.
    pub vigil_version: String,
    /// `git`.
    pub vcs: String,
    /// The commit (full id) everything was read from.
    pub revision: String,
    /// The workspace's folder in the repository (empty at the top); file paths are relative to it.
    pub workspace: String,
    /// The profiles bundled, sorted.
    pub profiles: Vec<String>,
    /// Every file, sorted by path: `vigil.toml`, the manifests and the approved components.
    pub files: Vec<BundleFile>,
    /// BLAKE3 of the compact JSON of this document with this field empty, lowercase hex.
    pub blake3: String,
}

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    /// Workspace-relative path, escaped like manifest paths.
    pub path: WsPath,
    pub role: Role,
    pub kind: EntryKind,
    /// Bytes (for a symlink, of its target text).
    pub size: u64,
    /// BLAKE3 of the bytes, lowercase hex.
    pub blake3: String,
    /// The bytes, base64 (RFC 4648, padded); for a symlink its target text.
    pub content: String,
}

/// Why a file is in a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Config,
    Manifest,
    Component,
    /// The allowed-signers file `[signing]` names.
    Signers,
}

/// A bundle read back and checked: its configuration parsed and each profile's manifest with the
/// approved bytes of its components.
#[derive(Debug, Clone)]
pub struct Opened {
    pub bundle: Bundle,
    pub config: Config,
    /// Per profile: the manifest, its workspace path and the BLAKE3 of its file.
    pub manifests: BTreeMap<String, (Manifest, WsPath, String)>,
    /// With `[signing]`: the allowed-signers file as committed (its path and text).
    pub signers: Option<(WsPath, String)>,
}

impl Bundle {
    /// The BLAKE3 the `blake3` field must hold.
    pub fn digest(&self) -> String {
        let mut body = self.clone();
        body.blake3.clear();
        crate::hash::hash_bytes(&serde_json::to_vec(&body).expect("a bundle always serialises"))
    }

    /// The text written to the file: pretty JSON and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a bundle always serialises");
        out.push(b'\n');
        out
    }
}

/// Builds the bundle of `names` from `source` (a commit's tree below the workspace), with `config`
/// read from the same commit. Refuses a profile without a manifest, and one whose committed
/// components differ from it.
pub fn make(
    source: &dyn Source,
    config: &Config,
    revision: &str,
    workspace: &str,
    names: &[String],
) -> Result<Bundle, Error> {
    let profiles = config.select(names)?;
    let mut files: BTreeMap<WsPath, BundleFile> = BTreeMap::new();
    let config_path = WsPath::from_normal_bytes(CONFIG_FILE.as_bytes());
    let short = &revision[..revision.len().min(12)];
    let text = read_all(source, &config_path)?;
    files.insert(
        config_path.clone(),
        file(config_path, Role::Config, EntryKind::File, text),
    );
    if let Some(sg) = &config.signing {
        let path = WsPath::normalize(Path::new(&sg.allowed_signers)).ok_or_else(|| {
            Error::Bundle("the allowed-signers file is outside the workspace".into())
        })?;
        let bytes = read_all(source, &path)?;
        files.insert(
            path.clone(),
            file(path, Role::Signers, EntryKind::File, bytes),
        );
    }
    for p in &profiles {
        let info = crate::check::read_manifest(config, source, &p.name)?.ok_or_else(|| {
            Error::Bundle(format!(
                "profile `{}` has no approved manifest in commit {short}: approve it and commit the manifest first",
                p.name
            ))
        })?;
        let bytes = read_all(source, &info.path)?;
        files.insert(
            info.path.clone(),
            file(info.path.clone(), Role::Manifest, EntryKind::File, bytes),
        );
        for e in &info.manifest.components {
            let f = component(source, &e.path, e.kind).map_err(|why| {
                Error::Bundle(format!(
                    "profile `{}` is not in its approved state in commit {short}: {} {why} (`vigil check --rev {short}` says more)",
                    p.name, e.path
                ))
            })?;
            if f.blake3 != e.blake3 {
                return Err(Error::Bundle(format!(
                    "profile `{}` is not in its approved state in commit {short}: {} differs from its approved bytes (`vigil diff`, then approve and commit)",
                    p.name, e.path
                )));
            }
            files.insert(e.path.clone(), f);
        }
    }
    let mut bundle = Bundle {
        format: FORMAT.into(),
        bundle_version: BUNDLE_VERSION,
        vigil_version: crate::VERSION.into(),
        vcs: "git".into(),
        revision: revision.into(),
        workspace: workspace.into(),
        profiles: profiles.iter().map(|p| p.name.clone()).collect(),
        files: files.into_values().collect(),
        blake3: String::new(),
    };
    bundle.blake3 = bundle.digest();
    Ok(bundle)
}

fn file(path: WsPath, role: Role, kind: EntryKind, bytes: Vec<u8>) -> BundleFile {
    BundleFile {
        path,
        role,
        kind,
        size: bytes.len() as u64,
        blake3: crate::hash::hash_bytes(&bytes),
        content: BASE64.encode(&bytes),
    }
}

/// One approved component as the commit holds it; the text says why it cannot be bundled.
fn component(source: &dyn Source, path: &WsPath, kind: EntryKind) -> Result<BundleFile, String> {
    match source.lookup(path) {
        Lookup::Found(m) => match (&m.kind, kind) {
            (Kind::Symlink(t), EntryKind::Symlink) => {
                Ok(file(path.clone(), Role::Component, kind, t.clone()))
            }
            (Kind::File, EntryKind::File) | (Kind::Executable, EntryKind::Executable) => {
                let bytes = read_all(source, path).map_err(|e| e.to_string())?;
                Ok(file(path.clone(), Role::Component, kind, bytes))
            }
            _ => Err(format!("is not a {} in the commit", kind.as_str())),
        },
        _ => Err("is not in the commit".into()),
    }
}

fn read_all(source: &dyn Source, path: &WsPath) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    source
        .open(path)
        .and_then(|mut r| r.read_to_end(&mut out))
        .map_err(|e| Error::io(path.to_path_buf(), e))?;
    Ok(out)
}

/// Reads and checks a bundle: its format, its `blake3`, each file's bytes against its hash and size,
/// its configuration, and each profile's manifest against the bundled components. `file` names the
/// bundle in errors. Any change to the document after it was made is refused.
pub fn open(file: &Path, bytes: &[u8]) -> Result<Opened, Error> {
    let bad = |why: String| Error::Bundle(format!("{}: {why}", file.display()));
    let bundle: Bundle = serde_json::from_slice(bytes).map_err(|e| {
        bad(format!(
            "not a vigil bundle: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if bundle.format != FORMAT {
        return Err(bad(format!(
            "`format` is `{}`, not `{FORMAT}`",
            bundle.format
        )));
    }
    if bundle.bundle_version != BUNDLE_VERSION {
        return Err(bad(format!(
            "bundle version {} is not the one this vigil reads ({BUNDLE_VERSION})",
            bundle.bundle_version
        )));
    }
    let digest = bundle.digest();
    if digest != bundle.blake3 {
        return Err(bad(format!(
            "the bundle was changed after it was made: its content hashes to {}, but it records {}; \
             make it again with `vigil bundle`",
            crate::finding::short(&digest),
            crate::finding::short(&bundle.blake3)
        )));
    }
    let mut contents: BTreeMap<&WsPath, (Vec<u8>, &BundleFile)> = BTreeMap::new();
    for f in &bundle.files {
        let bytes = BASE64
            .decode(f.content.as_bytes())
            .map_err(|e| bad(format!("{}: the content is not base64: {e}", f.path)))?;
        if crate::hash::hash_bytes(&bytes) != f.blake3 || bytes.len() as u64 != f.size {
            return Err(bad(format!(
                "{}: the content does not match its recorded BLAKE3 and size",
                f.path
            )));
        }
        contents.insert(&f.path, (bytes, f));
    }
    let text_of = |path: &WsPath| -> Result<String, Error> {
        let (bytes, _) = contents
            .get(path)
            .ok_or_else(|| bad(format!("{path} is not in the bundle")))?;
        String::from_utf8(bytes.clone()).map_err(|_| bad(format!("{path} is not UTF-8")))
    };
    let config_path = WsPath::from_normal_bytes(CONFIG_FILE.as_bytes());
    let label = file.join(CONFIG_FILE);
    let config = crate::config::parse(&label, &text_of(&config_path)?)?;
    let mut manifests = BTreeMap::new();
    for name in &bundle.profiles {
        if !config.profiles.contains_key(name) {
            return Err(bad(format!(
                "profile `{name}` is not declared in the bundle's vigil.toml"
            )));
        }
        let rel = config.manifest_path(name);
        let path = WsPath::normalize(Path::new(&rel)).expect("manifest-dir was validated");
        let text = text_of(&path)?;
        let manifest = Manifest::parse(&file.join(&rel), &text).map_err(Error::Manifest)?;
        if manifest.profile != *name {
            return Err(bad(format!(
                "{path} is the manifest of `{}`",
                manifest.profile
            )));
        }
        for e in &manifest.components {
            match contents.get(&e.path) {
                Some((_, f)) if f.blake3 == e.blake3 && f.kind == e.kind => {}
                _ => {
                    return Err(bad(format!(
                        "{}: the approved bytes of profile `{name}` are not in the bundle",
                        e.path
                    )))
                }
            }
        }
        let blake3 = crate::hash::hash_bytes(text.as_bytes());
        manifests.insert(name.clone(), (manifest, path, blake3));
    }
    let signers = match &config.signing {
        Some(sg) => {
            let path = WsPath::normalize(Path::new(&sg.allowed_signers))
                .ok_or_else(|| bad("the allowed-signers file is outside the workspace".into()))?;
            let text = text_of(&path)?;
            Some((path, text))
        }
        None => None,
    };
    Ok(Opened {
        bundle,
        config,
        manifests,
        signers,
    })
}

/// Builds the bundle of `names` from git commit `rev` (default `HEAD`) of the repository holding the
/// workspace at `ws_dir` (the folder of `vigil.toml` on disk, used only to find the repository and
/// the workspace's folder in it: every byte is read from the commit).
pub fn from_git(ws_dir: &Path, rev: Option<&str>, names: &[String]) -> Result<Bundle, Error> {
    let repo = crate::snapshot::open_repo(ws_dir)?;
    let rev = rev.unwrap_or("HEAD");
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| Error::git(format!("cannot find commit `{rev}`"), e))?;
    let prefix =
        crate::snapshot::repo_relative(&repo, ws_dir, Path::new(".")).ok_or_else(|| {
            Error::Usage(format!(
                "{} is not inside the work tree of its git repository",
                ws_dir.display()
            ))
        })?;
    let snap = crate::snapshot::Snap::Commit(commit.clone());
    let label = crate::snapshot::config_label(&repo, &snap, &prefix);
    let config = crate::snapshot::load_config(&repo, &snap, &prefix, &label)?.ok_or_else(|| {
        Error::Usage(format!(
            "commit {} holds no {}: bundles are made from committed content only",
            &commit.id().to_string()[..12],
            label.display()
        ))
    })?;
    let tree = crate::source::GitTree::new(&repo, &commit, &prefix)
        .map_err(|e| Error::git("cannot read the commit", e))?
        .ok_or_else(|| Error::Usage("the commit does not hold the workspace".into()))?;
    let workspace = String::from_utf8_lossy(&prefix).into_owned();
    make(&tree, &config, &commit.id().to_string(), &workspace, names)
}
