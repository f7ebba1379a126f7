//! OpenSSL configuration loading, exactly as OpenSSL's `crypto/conf/conf_def.c` does it: which files a
//! configuration makes OpenSSL read, and the values OpenSSL ends up with.
//!
//! [`load`] runs `def_load_bio`'s state machine over a top file: it reads each file in the chunks
//! OpenSSL's `BIO_gets` returns (so a NUL byte ends what OpenSSL sees of a line, and a line that starts
//! with one ends the file), joins continuation lines (also in comments), strips a UTF-8 BOM only at the
//! very start of the load, cuts comments, and interprets `[section]`, `name = value`,
//! `section::name = value`, `.pragma` and `.include` lines with one state for the whole load: a
//! variable or pragma set in any file holds for every later line in any file. Folder includes follow
//! `get_next_file` (names longer than `.cnf`/`.conf`, compared case-insensitively; one folder at a
//! time), including OpenSSL's quirk that a file included from a folder's file is followed by the
//! folder's next file before the rest of the including file.
//!
//! What it adds to OpenSSL: it never looks outside a root (a path whose resolution leaves it is
//! [`ProblemKind::OutsideRoot`]); it resolves paths like the kernel (symbolic links, then `..`); it never
//! opens a FIFO or device; it stops at include cycles (OpenSSL would recurse until it runs out of file
//! descriptors) and at [`Options::max_reads`]; it takes the environment from [`Options::env`] (the
//! environment the profile declares) instead of its own, and says so whenever a value depends on a
//! variable that is not declared.
//!
//! # Using it
//!
//! The module is private to the crate, so this sketch is not run as a doc test; `src/openssl/tests.rs`
//! runs the same calls over real files.
//!
//! ```ignore
//! use crate::openssl::{load, Options, RealFs};
//! let opts = Options::new("/srv/ca", "/srv/ca");
//! let loaded = load(&RealFs, "/srv/ca/openssl.cnf".as_ref(), &opts);
//! for read in &loaded.reads {
//!     // Every file OpenSSL reads, in order, with the include lines that led to it.
//!     let _ = (&read.path, &read.chain);
//! }
//! if let Some(setting) = loaded.db.get("ca", "default_days") {
//!     // The value after expansion, where it was set, and what it replaced.
//!     let _ = (setting.text(), &setting.at, loaded.chain_of(&setting.at), &setting.overrode);
//! }
//! for problem in &loaded.problems {
//!     let _ = (&problem.kind, &problem.at, &problem.message);
//! }
//! ```
//!
//! * An inventory makes each entry of [`Loaded::reads`] a component (its `chain` is the reference chain;
//!   `folder` says it came from a folder include) and each [`Problem`] a finding.
//! * `explain SECTION.KEY` is [`Database::get`] (or [`Database::lookup`], with OpenSSL's fallback to
//!   the `default` section) plus [`Loaded::chain_of`] and [`Setting::overrode`].
//! * The file access is the [`FileAccess`] trait: `lstat`, `read_link`, `read` (with a size cap) and
//!   `read_dir` over absolute paths inside the root; `openssl_load` implements it over the check's
//!   `Source`, the tests' `RealFs` over the real file system, and path resolution comes with the trait.
//!
//! # Deviations from OpenSSL, on purpose
//! * A load error stops the load where OpenSSL stops; OpenSSL then discards the whole database, this
//!   keeps what was loaded so far (the error is in [`Loaded::error`]).
//! * Include cycles are reported and not followed; OpenSSL re-reads the files until `fopen` fails.
//! * A relative include path is resolved against [`Options::cwd`], OpenSSL's working directory.

mod access;
mod lexer;
mod machine;
#[cfg(test)]
mod real_fs;

pub use access::{FileAccess, Kind, Meta, Resolved};
pub use machine::load;
#[cfg(test)]
pub use real_fs::RealFs;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::path::PathBuf;

/// How to load.
#[derive(Debug, Clone)]
pub struct Options {
    /// Nothing outside this absolute, symlink-free folder is looked at.
    pub root: PathBuf,
    /// The working directory OpenSSL runs in: relative include paths are opened from here.
    pub cwd: PathBuf,
    /// The environment OpenSSL runs with, for `$ENV::NAME` and `OPENSSL_CONF_INCLUDE`.
    pub env: BTreeMap<String, String>,
    /// Files larger than this are reported ([`ProblemKind::TooLarge`]), not read.
    pub max_file_size: u64,
    /// Reading more files than this in one load is reported and stops further includes.
    pub max_reads: usize,
}

impl Options {
    /// Options with an empty environment, a 256 MiB file limit and a 100 000-read limit.
    pub fn new(root: impl Into<PathBuf>, cwd: impl Into<PathBuf>) -> Self {
        Options {
            root: root.into(),
            cwd: cwd.into(),
            env: BTreeMap::new(),
            max_file_size: 256 << 20,
            max_reads: 100_000,
        }
    }
}

/// One step of an include chain: the include line in `path` at `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub path: PathBuf,
    pub line: u32,
}

/// One file OpenSSL reads, in the order it starts reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    /// The resolved path (symlinks followed), inside the root.
    pub path: PathBuf,
    /// The include lines that led here, outermost first; empty for the top file.
    pub chain: Vec<Step>,
    /// The folder it was read from, when the last step includes a folder.
    pub folder: Option<PathBuf>,
    /// Its size in bytes.
    pub size: u64,
    /// The symbolic links that named it (see [`Resolved::Found`]), inside the root.
    pub links: Vec<PathBuf>,
}

/// Where a line is: which read (index into [`Loaded::reads`]), the file, the line number in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub read: usize,
    /// Shared by every line of the read: a configuration of many files holds one location per
    /// setting, and a path per setting was most of a large load's memory.
    pub path: std::sync::Arc<std::path::Path>,
    pub line: u32,
}

/// A value as OpenSSL stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key as written (OpenSSL keeps escapes in names as they are).
    pub name: Box<[u8]>,
    /// The value after quote, escape and variable processing.
    pub value: Box<[u8]>,
    /// Where it was set (the first line of a continued line).
    pub at: Location,
    /// The setting this one replaced, which may itself have replaced one.
    pub overrode: Option<Box<Setting>>,
    /// Environment variables the value depends on that [`Options::env`] does not declare.
    pub undeclared_env: Box<[String]>,
    seq: u64,
}

impl Setting {
    /// The value as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }
}

/// One section: its settings in OpenSSL's order (a replaced key moves to the end).
///
/// A load of many files holds every setting of every file until the requirements are judged, so a
/// setting is stored once: its name lives in the setting, and the lookup table holds positions.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub name: Vec<u8>,
    settings: Vec<Setting>,
    /// Positions in `settings`, hashed by the setting's name.
    by_name: hashbrown::HashTable<u32>,
    hasher: std::hash::RandomState,
}

impl PartialEq for Section {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.settings() == other.settings()
    }
}

impl Eq for Section {}

impl Section {
    fn new(name: &[u8]) -> Section {
        Section {
            name: name.to_vec(),
            ..Section::default()
        }
    }

    /// The settings in the order OpenSSL's section stack holds them.
    pub fn settings(&self) -> Vec<&Setting> {
        let mut v: Vec<&Setting> = self.settings.iter().collect();
        v.sort_by_key(|s| s.seq);
        v
    }

    pub fn get(&self, name: &[u8]) -> Option<&Setting> {
        let hash = self.hasher.hash_one(name);
        self.by_name
            .find(hash, |&i| &*self.settings[i as usize].name == name)
            .map(|&i| &self.settings[i as usize])
    }

    /// Sets `setting`, which replaces (and keeps as `overrode`) one of the same name.
    fn set(&mut self, setting: Setting) {
        let hash = self.hasher.hash_one(&*setting.name);
        let Section {
            settings,
            by_name,
            hasher,
            ..
        } = self;
        match by_name.find(hash, |&i| settings[i as usize].name == setting.name) {
            Some(&i) => {
                let old = std::mem::replace(&mut settings[i as usize], setting);
                settings[i as usize].overrode = Some(Box::new(old));
            }
            None => {
                // More than 2^32 settings cannot be read: the load stops at its size limits first.
                let i = u32::try_from(settings.len()).expect("fewer than 2^32 settings");
                settings.push(setting);
                by_name.insert_unique(hash, i, |&j| hasher.hash_one(&*settings[j as usize].name));
            }
        }
    }
}

/// The loaded configuration: sections in the order they were created (`default` first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Database {
    sections: Vec<Section>,
    index: HashMap<Vec<u8>, usize>,
    seq: u64,
}

impl Database {
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    pub fn section(&self, name: impl AsRef<[u8]>) -> Option<&Section> {
        self.index.get(name.as_ref()).map(|&i| &self.sections[i])
    }

    /// The setting `section::name` exactly, without fallback.
    pub fn get(&self, section: impl AsRef<[u8]>, name: impl AsRef<[u8]>) -> Option<&Setting> {
        self.section(section)?.get(name.as_ref())
    }

    /// What `NCONF_get_string` finds: `section::name`, else `default::name`.
    pub fn lookup(&self, section: impl AsRef<[u8]>, name: impl AsRef<[u8]>) -> Option<&Setting> {
        let name = name.as_ref();
        self.get(section, name)
            .or_else(|| self.get("default", name))
    }

    fn ensure_section(&mut self, name: &[u8]) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_vec(), self.sections.len());
            self.sections.push(Section::new(name));
        }
    }

    fn set(&mut self, section: &[u8], mut setting: Setting) {
        self.ensure_section(section);
        self.seq += 1;
        setting.seq = self.seq;
        let sec = &mut self.sections[self.index[section]];
        sec.set(setting);
    }
}

/// What kind of problem a load met. Load errors stop the load, as in OpenSSL; the others are
/// situations OpenSSL passes over (or that vigil refuses to follow) that a monitor must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// An include names a path where nothing is; OpenSSL skips it silently.
    MissingInclude,
    /// A file or folder exists but cannot be read or listed.
    Unreadable,
    /// Resolving a path leaves the root.
    OutsideRoot,
    /// A value or include path depends on `$ENV::NAME` and the environment does not declare NAME.
    UndeclaredEnv,
    /// An include or folder entry is a FIFO, socket or device: OpenSSL would open it, vigil does not.
    SpecialFile,
    /// A file over [`Options::max_file_size`]: not read.
    TooLarge,
    /// An include leads back to a file that is still being read.
    IncludeCycle,
    /// A folder include while a folder is being read: OpenSSL skips it ("recursive directory include").
    NestedFolderInclude,
    /// More reads than [`Options::max_reads`]; later includes are not followed.
    TooManyReads,
    /// OpenSSL rejects the configuration; the load stops here.
    LoadError,
}

/// Something the load met that a report must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The line that caused it; `None` for the top file itself.
    pub at: Option<Location>,
    /// The path concerned (the include target, as resolved as far as it could be).
    pub path: Option<PathBuf>,
    /// A sentence; for a load error, OpenSSL's own reason text first (e.g. `missing equal sign`).
    pub message: String,
    /// For a problem with an include target: the path as the include names it (after variables and
    /// `includedir`), so that a report can show a relative include as relative.
    pub written: Option<PathBuf>,
}

/// A load error, as OpenSSL reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// OpenSSL's reason text: `missing equal sign`, `variable has no value`, ...
    pub reason: &'static str,
    pub at: Location,
    /// The line number OpenSSL prints ("Error on line N"): it counts lines across all files read.
    pub openssl_line: u64,
    pub detail: String,
}

/// Everything one load yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Every file read, in order (a file included twice is read twice).
    pub reads: Vec<FileRead>,
    pub db: Database,
    pub problems: Vec<Problem>,
    /// Set when OpenSSL would reject the configuration.
    pub error: Option<LoadError>,
}

impl Loaded {
    /// The include chain that reached a location's file.
    pub fn chain_of(&self, at: &Location) -> &[Step] {
        self.reads.get(at.read).map_or(&[], |r| &r.chain[..])
    }
}

#[cfg(test)]
mod tests;
