//! `def_load_bio`'s state machine: the read loop over a stack of open files and one folder being read,
//! and the interpretation of each logical line.

use super::access::{path_from_bytes, FileAccess, Kind, Resolved};
use super::lexer::{
    at, clear_comments, eat_alpha_numeric, eat_ws, pieces, trim_end, CopyError, Piece,
};
use super::{FileRead, LoadError, Loaded, Location, Options, Problem, ProblemKind, Setting, Step};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `def_load_bio` reads with `BIO_gets(in, p, 511)`, which is `fgets` with room for 510 bytes.
const CHUNK: usize = 510;
/// OpenSSL's MAX_CONF_VALUE_LENGTH.
const MAX_VALUE: usize = 65536;

struct Frame {
    read: usize,
    data: Vec<u8>,
    pos: usize,
    /// The line the next chunk starts on.
    line: u32,
}

impl Frame {
    /// One `fgets`: up to 510 bytes, through the first newline.
    fn gets(&mut self) -> (&[u8], u32) {
        let start = self.pos;
        let line = self.line;
        let rest = &self.data[start..];
        let mut n = rest.len().min(CHUNK);
        if let Some(nl) = rest[..n].iter().position(|&b| b == b'\n') {
            n = nl + 1;
            self.line += 1;
        }
        self.pos += n;
        (&self.data[start..start + n], line)
    }
}

struct Folder {
    path: PathBuf,
    names: Vec<OsString>,
    next: usize,
    chain: Vec<Step>,
}

struct Machine<'a> {
    access: &'a dyn FileAccess,
    opts: &'a Options,
    out: Loaded,
    stack: Vec<Frame>,
    cur: Option<Frame>,
    folder: Option<Folder>,
    section: Vec<u8>,
    dollarid: bool,
    abspath: bool,
    includedir: Option<Vec<u8>>,
    eline: u64,
    reads_capped: bool,
    /// Undeclared environment variables met while expanding the current value.
    env_misses: Vec<String>,
    /// The include path being opened, as written.
    written: Option<PathBuf>,
    /// The index of the latest read of each path, so that placing an include step is one lookup
    /// (a folder of thousands of files would otherwise search all reads once per file).
    last_read: HashMap<PathBuf, usize>,
    /// The path of each read, shared by the locations of its lines.
    read_paths: Vec<Arc<Path>>,
}

/// A load error before it gets its location.
struct Fail(&'static str, String);

/// Loads the configuration at `top` (absolute, or relative to [`Options::cwd`]).
pub fn load(access: &dyn FileAccess, top: &Path, opts: &Options) -> Loaded {
    let mut m = Machine {
        access,
        opts,
        out: Loaded::default(),
        stack: Vec::new(),
        cur: None,
        folder: None,
        section: b"default".to_vec(),
        dollarid: false,
        abspath: false,
        includedir: None,
        eline: 0,
        reads_capped: false,
        env_misses: Vec::new(),
        written: None,
        last_read: HashMap::new(),
        read_paths: Vec::new(),
    };
    m.out.db.ensure_section(b"default");
    let top = opts.cwd.join(top);
    match m.open_path(&top, None, Vec::new(), None) {
        Opened::File(frame) => m.cur = Some(frame),
        Opened::Folder | Opened::Nothing => return m.out,
    }
    m.run();
    m.out
}

enum Opened {
    File(Frame),
    Folder,
    Nothing,
}

impl Machine<'_> {
    fn problem(
        &mut self,
        kind: ProblemKind,
        at: Option<Location>,
        path: Option<PathBuf>,
        message: String,
    ) {
        let written = self.written.clone();
        self.out.problems.push(Problem {
            kind,
            at,
            path,
            message,
            written,
        });
    }

    /// Resolves and opens an include target (or the top file). `from` is the include line.
    fn open_path(
        &mut self,
        path: &Path,
        from: Option<&Location>,
        chain: Vec<Step>,
        folder: Option<&Path>,
    ) -> Opened {
        let at = from.cloned();
        let what = if from.is_none() {
            "configuration file"
        } else {
            "include"
        };
        match self.access.resolve(&self.opts.root, path) {
            Resolved::Missing { path: p } => {
                let msg = if p == path {
                    format!(
                        "{what} {} does not exist (OpenSSL skips a missing include)",
                        path.display()
                    )
                } else {
                    format!(
                        "{what} {} does not exist ({} is missing)",
                        path.display(),
                        p.display()
                    )
                };
                self.problem(
                    ProblemKind::MissingInclude,
                    at,
                    Some(path.to_path_buf()),
                    msg,
                );
                Opened::Nothing
            }
            Resolved::OutsideRoot { path: p } => {
                let msg = format!(
                    "{what} {} resolves outside the root {} (at {}); OpenSSL would read it, vigil does not",
                    path.display(),
                    self.opts.root.display(),
                    p.display()
                );
                self.problem(ProblemKind::OutsideRoot, at, Some(p), msg);
                Opened::Nothing
            }
            Resolved::Unreadable { path: p, reason } => {
                let msg = format!("{what} {} cannot be examined: {reason}", p.display());
                self.problem(ProblemKind::Unreadable, at, Some(p), msg);
                Opened::Nothing
            }
            Resolved::Found {
                path: real,
                meta,
                links,
            } => match meta.kind {
                Kind::Dir if from.is_some() && folder.is_none() => Opened::Folder,
                Kind::Dir => {
                    if from.is_none() {
                        let msg =
                            format!("{} is a folder, not a configuration file", real.display());
                        self.problem(ProblemKind::Unreadable, None, Some(real), msg);
                    }
                    Opened::Nothing
                }
                Kind::Special(what_kind) => {
                    let msg = format!(
                        "{} is a {what_kind}: OpenSSL would open it, vigil never does",
                        real.display()
                    );
                    self.problem(ProblemKind::SpecialFile, at, Some(real), msg);
                    Opened::Nothing
                }
                Kind::File | Kind::Symlink => {
                    self.open_file(real, meta.size, at, chain, folder, links)
                }
            },
        }
    }

    fn open_file(
        &mut self,
        real: PathBuf,
        size: u64,
        at: Option<Location>,
        chain: Vec<Step>,
        folder: Option<&Path>,
        links: Vec<PathBuf>,
    ) -> Opened {
        if self.out.reads.len() >= self.opts.max_reads {
            if !self.reads_capped {
                self.reads_capped = true;
                let msg = format!(
                    "more than {} file reads in one load; further includes not followed",
                    self.opts.max_reads
                );
                self.problem(ProblemKind::TooManyReads, at, Some(real), msg);
            }
            return Opened::Nothing;
        }
        let open_now = self
            .stack
            .iter()
            .chain(self.cur.iter())
            .any(|f| self.out.reads[f.read].path == real);
        if open_now {
            let msg = format!("{} includes itself through this line; OpenSSL would loop until it runs out of file descriptors", real.display());
            self.problem(ProblemKind::IncludeCycle, at, Some(real), msg);
            return Opened::Nothing;
        }
        if size > self.opts.max_file_size {
            let msg = format!(
                "{} is {size} bytes, over the {}-byte limit: not read",
                real.display(),
                self.opts.max_file_size
            );
            self.problem(ProblemKind::TooLarge, at, Some(real), msg);
            return Opened::Nothing;
        }
        let data = match self.access.read(&real, self.opts.max_file_size) {
            Ok(d) if d.len() as u64 > self.opts.max_file_size => {
                let msg = format!(
                    "{} is over the {}-byte limit: not read",
                    real.display(),
                    self.opts.max_file_size
                );
                self.problem(ProblemKind::TooLarge, at, Some(real), msg);
                return Opened::Nothing;
            }
            Ok(d) => d,
            Err(e) => {
                let msg = format!("cannot be read: {e}");
                self.problem(ProblemKind::Unreadable, at, Some(real), msg);
                return Opened::Nothing;
            }
        };
        let read = self.out.reads.len();
        self.last_read.insert(real.clone(), read);
        self.read_paths.push(Arc::from(real.as_path()));
        self.out.reads.push(FileRead {
            path: real,
            chain,
            folder: folder.map(Path::to_path_buf),
            size: data.len() as u64,
            links,
        });
        Opened::File(Frame {
            read,
            data,
            pos: 0,
            line: 1,
        })
    }

    /// `get_next_file`: the next openable `.cnf`/`.conf` file of the folder being read.
    fn next_in_folder(&mut self) -> Option<Frame> {
        loop {
            let f = self.folder.as_mut()?;
            let Some(name) = f.names.get(f.next).cloned() else {
                self.folder = None;
                return None;
            };
            f.next += 1;
            let b = name.as_bytes();
            let matches = (b.len() > 5 && b[b.len() - 5..].eq_ignore_ascii_case(b".conf"))
                || (b.len() > 4 && b[b.len() - 4..].eq_ignore_ascii_case(b".cnf"));
            if !matches {
                continue;
            }
            let (path, chain) = (f.path.join(&name), f.chain.clone());
            let dir = f.path.clone();
            let at = chain.last().map(|s| self.location_of_step(s));
            if let Opened::File(frame) = self.open_path(&path, at.as_ref(), chain, Some(&dir)) {
                return Some(frame);
            }
        }
    }

    fn location_of_step(&self, s: &Step) -> Location {
        let read = self.last_read.get(&s.path).copied().unwrap_or(0);
        Location {
            read,
            path: Arc::from(s.path.as_path()),
            line: s.line,
        }
    }

    fn run(&mut self) {
        let mut buff: Vec<u8> = Vec::new();
        let mut again = false;
        let mut first_call = true;
        let mut start: Option<Location> = None;
        loop {
            let (mut p, line, read) = self.next_chunk();
            if first_call {
                // Only the load's very first read: a BOM in an included file stays, and fails.
                if p.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    p.drain(..3);
                }
                first_call = false;
            }
            if p.is_empty() && !again {
                if self.next_file() {
                    continue;
                }
                break;
            }
            again = false;
            let ii = p.len();
            let mut i = ii;
            while i > 0 && matches!(p[i - 1], b'\r' | b'\n') {
                i -= 1;
            }
            if ii > 0 && i == ii {
                again = true; // a long line, or one cut by a NUL byte
            } else {
                self.eline += 1;
            }
            if buff.is_empty() && start.is_none() {
                let path = self
                    .read_paths
                    .get(read)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(Path::new("")));
                start = Some(Location { read, path, line });
            }
            buff.extend_from_slice(&p[..i]);
            if !again && !buff.is_empty() {
                let n = buff.len();
                if buff[n - 1] == b'\\' && (n <= 1 || buff[n - 2] != b'\\') {
                    buff.pop();
                    again = true;
                }
            }
            if again {
                continue;
            }
            let mut line_bytes = std::mem::take(&mut buff);
            let loc = start.take().unwrap_or_else(|| Location {
                read,
                path: Arc::from(Path::new("")),
                line,
            });
            clear_comments(&mut line_bytes);
            if let Err(fail) = self.line(&line_bytes, &loc) {
                self.fail(fail, loc);
                return;
            }
        }
    }

    /// The next chunk of the file being read (up to a NUL byte, which ends what OpenSSL sees of it),
    /// its line number and the file's read index; empty at the end of the file or with no file.
    fn next_chunk(&mut self) -> (Vec<u8>, u32, usize) {
        match self.cur.as_mut() {
            Some(f) => {
                let (chunk, line) = f.gets();
                let visible = chunk.iter().position(|&b| b == 0).unwrap_or(chunk.len());
                (chunk[..visible].to_vec(), line, f.read)
            }
            None => (Vec::new(), 0, 0),
        }
    }

    /// Moves on from a finished file: the folder's next file, else the file that included it. False
    /// when the load is done.
    fn next_file(&mut self) -> bool {
        // The finished file is closed before the next one opens: it is no longer being read, so a
        // folder entry that leads back to it is no cycle.
        self.cur = None;
        if self.folder.is_some() {
            if let Some(next) = self.next_in_folder() {
                self.cur = Some(next);
                return true;
            }
        }
        match self.stack.pop() {
            Some(parent) => {
                self.cur = Some(parent);
                true
            }
            None => false,
        }
    }

    /// The load stops at `loc`, as OpenSSL's does: a problem, and the load's error.
    fn fail(&mut self, Fail(reason, detail): Fail, loc: Location) {
        for var in std::mem::take(&mut self.env_misses) {
            let msg = format!(
                "$ENV::{var} is not declared in the profile's environment and has no default"
            );
            self.problem(ProblemKind::UndeclaredEnv, Some(loc.clone()), None, msg);
        }
        let message = if detail.is_empty() {
            reason.to_string()
        } else {
            format!("{reason}: {detail}")
        };
        self.problem(ProblemKind::LoadError, Some(loc.clone()), None, message);
        self.out.error = Some(LoadError {
            reason,
            at: loc,
            openssl_line: self.eline,
            detail,
        });
    }

    /// One logical line, comments already cut.
    fn line(&mut self, s: &[u8], loc: &Location) -> Result<(), Fail> {
        let p0 = eat_ws(s, 0);
        if at(s, p0) == 0 {
            return Ok(());
        }
        if at(s, p0) == b'[' {
            return self.section_header(s, p0, loc);
        }
        let mut pname = p0;
        let mut end = eat_alpha_numeric(s, pname, self.dollarid);
        let mut psection = None;
        if at(s, end) == b':' && at(s, end + 1) == b':' {
            psection = Some(s[pname..end].to_vec());
            pname = end + 2;
            end = eat_alpha_numeric(s, pname, self.dollarid);
        }
        let psection = psection.unwrap_or_else(|| self.section.clone());
        let mut p = eat_ws(s, end);
        let name = &s[pname..];
        if name.starts_with(b".pragma") && (p != pname + 7 || at(s, p) == b'=') {
            if at(s, p) == b'=' {
                p = eat_ws(s, p + 1);
            }
            return self.pragma(s, p);
        }
        if name.starts_with(b".include") && (p != pname + 8 || at(s, p) == b'=') {
            if at(s, p) == b'=' {
                p = eat_ws(s, p + 1);
            }
            return self.include_directive(s, p, &psection, loc);
        }
        if at(s, p) != b'=' {
            let mut detail = format!("HERE-->{}", String::from_utf8_lossy(&s[p.min(s.len())..]));
            if s[p0..].starts_with(&[0xEF, 0xBB, 0xBF]) {
                // OpenSSL strips a BOM only at the very start of a load: in an included file it is text.
                detail.push_str(
                    " (a UTF-8 BOM in an included file: OpenSSL strips it only from the top file)",
                );
            }
            return Err(Fail("missing equal sign", detail));
        }
        self.assignment(s, &s[pname..end.min(s.len())], p, &psection, loc)
    }

    /// `[ name ]` at `p0`: the section every later assignment of the load goes to.
    fn section_header(&mut self, s: &[u8], p0: usize, loc: &Location) -> Result<(), Fail> {
        let start = eat_ws(s, p0 + 1);
        let mut ss = start;
        let end = loop {
            let end = eat_alpha_numeric(s, ss, self.dollarid);
            let p = eat_ws(s, end);
            if at(s, p) != b']' {
                if at(s, p) != 0 && ss != p {
                    ss = p;
                    continue;
                }
                return Err(Fail("missing close square bracket", String::new()));
            }
            break end;
        };
        let name = self.str_copy(None, &s[start..end.min(s.len())], loc)?;
        self.out.db.ensure_section(&name);
        self.section = name;
        Ok(())
    }

    /// `.pragma [=] key:value` whose body starts at `p`: never expanded; holds for the rest of the load.
    fn pragma(&mut self, s: &[u8], p: usize) -> Result<(), Fail> {
        let e = trim_end(s, p);
        let body = &s[p.min(e)..e];
        let Some(colon) = body.iter().position(|&b| b == b':') else {
            return Err(Fail("invalid pragma", String::new()));
        };
        if colon == 0 || colon + 1 == body.len() {
            return Err(Fail("invalid pragma", String::new()));
        }
        let key = &body[..colon];
        let key = &key[..trim_end(key, 0)];
        let val = &body[eat_ws(body, colon + 1)..];
        match key {
            b"dollarid" => self.dollarid = parse_bool(val)?,
            b"abspath" => self.abspath = parse_bool(val)?,
            b"includedir" => self.includedir = Some(val.to_vec()),
            _ => {} // OpenSSL ignores unknown pragmas
        }
        Ok(())
    }

    /// `.include [=] path` whose path starts at `p`: expanded, placed under `OPENSSL_CONF_INCLUDE` or
    /// the `includedir` pragma when relative, and loaded.
    fn include_directive(
        &mut self,
        s: &[u8],
        p: usize,
        psection: &[u8],
        loc: &Location,
    ) -> Result<(), Fail> {
        let e = trim_end(s, p);
        let include = self.str_copy(Some(psection), &s[p.min(e)..e], loc)?;
        for var in std::mem::take(&mut self.env_misses) {
            let msg = format!(
                "the include path `{}` depends on $ENV::{var}, which the profile's environment does not declare",
                String::from_utf8_lossy(&include)
            );
            self.problem(ProblemKind::UndeclaredEnv, Some(loc.clone()), None, msg);
        }
        let dir = self
            .opts
            .env
            .get("OPENSSL_CONF_INCLUDE")
            .map(|v| v.as_bytes().to_vec())
            .or_else(|| self.includedir.clone());
        let path = match dir {
            Some(mut d) if include.first() != Some(&b'/') => {
                if d.last() != Some(&b'/') {
                    d.push(b'/');
                }
                d.extend_from_slice(&include);
                d
            }
            _ => include,
        };
        if self.abspath && path.first() != Some(&b'/') {
            return Err(Fail("relative path", String::new()));
        }
        self.include(&path, loc);
        Ok(())
    }

    /// `key = value` with the `=` at `p`: the value expanded and set in `psection`.
    fn assignment(
        &mut self,
        s: &[u8],
        key: &[u8],
        p: usize,
        psection: &[u8],
        loc: &Location,
    ) -> Result<(), Fail> {
        let key = key.to_vec();
        let vstart = eat_ws(s, p + 1);
        let vend = trim_end(s, vstart);
        let value = self.str_copy(Some(psection), &s[vstart.min(vend)..vend], loc)?;
        let undeclared_env = std::mem::take(&mut self.env_misses);
        for var in &undeclared_env {
            let msg = format!(
                "{}::{} depends on $ENV::{var}, which the profile's environment does not declare",
                String::from_utf8_lossy(psection),
                String::from_utf8_lossy(&key)
            );
            self.problem(ProblemKind::UndeclaredEnv, Some(loc.clone()), None, msg);
        }
        let setting = Setting {
            name: key.into_boxed_slice(),
            value: value.into_boxed_slice(),
            at: loc.clone(),
            overrode: None,
            undeclared_env: undeclared_env.into_boxed_slice(),
            seq: 0,
        };
        self.out.db.set(psection, setting);
        Ok(())
    }

    /// `process_include` and the push onto the file stack.
    fn include(&mut self, path: &[u8], loc: &Location) {
        let mut chain = self
            .out
            .reads
            .get(loc.read)
            .map(|r| r.chain.clone())
            .unwrap_or_default();
        chain.push(Step {
            path: loc.path.to_path_buf(),
            line: loc.line,
        });
        let abs = self.opts.cwd.join(path_from_bytes(path));
        if path.is_empty() {
            let msg = "include path is empty (OpenSSL skips it)".to_string();
            self.problem(ProblemKind::MissingInclude, Some(loc.clone()), None, msg);
            return;
        }
        self.written = Some(path_from_bytes(path));
        let opened = self.open_path(&abs, Some(loc), chain.clone(), None);
        self.written = None;
        match opened {
            Opened::File(frame) => {
                if let Some(cur) = self.cur.take() {
                    self.stack.push(cur);
                }
                self.cur = Some(frame);
            }
            Opened::Nothing => {}
            Opened::Folder => {
                let Resolved::Found { path: real, .. } = self.access.resolve(&self.opts.root, &abs)
                else {
                    return;
                };
                if self.folder.is_some() {
                    let msg = format!(
                        "recursive directory include: {} is a folder and a folder is being read; OpenSSL skips it",
                        abs.display()
                    );
                    self.problem(
                        ProblemKind::NestedFolderInclude,
                        Some(loc.clone()),
                        Some(real),
                        msg,
                    );
                    return;
                }
                let names = match self.access.read_dir(&real) {
                    Ok(n) => n,
                    Err(e) => {
                        let msg = format!("cannot list folder {}: {e}", real.display());
                        self.problem(ProblemKind::Unreadable, Some(loc.clone()), Some(real), msg);
                        return;
                    }
                };
                self.folder = Some(Folder {
                    path: real,
                    names,
                    next: 0,
                    chain,
                });
                if let Some(frame) = self.next_in_folder() {
                    if let Some(cur) = self.cur.take() {
                        self.stack.push(cur);
                    }
                    self.cur = Some(frame);
                }
            }
        }
    }

    /// `str_copy` with `_CONF_get_string`'s lookups.
    fn str_copy(
        &mut self,
        section: Option<&[u8]>,
        from: &[u8],
        _loc: &Location,
    ) -> Result<Vec<u8>, Fail> {
        let parts = pieces(from, self.dollarid)
            .map_err(|CopyError::NoCloseBrace| Fail("no close brace", String::new()))?;
        let mut out = Vec::new();
        let mut buflen = from.len() + 1;
        for part in parts {
            match part {
                Piece::Byte(b) => out.push(b),
                Piece::Var {
                    section: vs,
                    name,
                    len,
                } => {
                    let sec = vs.or(section);
                    let Some(value) = self.get_string(sec, name) else {
                        let shown = match vs {
                            Some(s) => format!(
                                "{}::{}",
                                String::from_utf8_lossy(s),
                                String::from_utf8_lossy(name)
                            ),
                            None => String::from_utf8_lossy(name).into_owned(),
                        };
                        return Err(Fail("variable has no value", shown));
                    };
                    let newsize = value.len() + buflen - len.min(buflen);
                    if newsize > MAX_VALUE {
                        return Err(Fail("variable expansion too long", String::new()));
                    }
                    buflen = newsize;
                    out.extend_from_slice(&value);
                }
            }
        }
        Ok(out)
    }

    fn get_string(&mut self, section: Option<&[u8]>, name: &[u8]) -> Option<Vec<u8>> {
        if let Some(sec) = section {
            if let Some(s) = self.out.db.get(sec, name) {
                return Some(s.value.to_vec());
            }
            if sec == b"ENV" {
                let key = String::from_utf8_lossy(name).into_owned();
                match self.opts.env.get(&key) {
                    Some(v) => return Some(v.as_bytes().to_vec()),
                    None => self.env_misses.push(key),
                }
            }
        }
        self.out.db.get("default", name).map(|s| s.value.to_vec())
    }
}

fn parse_bool(v: &[u8]) -> Result<bool, Fail> {
    if v.eq_ignore_ascii_case(b"on") || v.eq_ignore_ascii_case(b"true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case(b"off") || v.eq_ignore_ascii_case(b"false") {
        Ok(false)
    } else {
        Err(Fail("invalid pragma", String::new()))
    }
}
