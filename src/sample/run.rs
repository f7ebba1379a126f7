//! Issuing a sample: a throwaway CA in a scratch folder, the declared command under a time limit, and
//! the certificate it wrote.

use super::cert::{parse_certificate, SampleCert};
use super::decl::{expand_with, DeclError, Output, SampleDecl, DEFAULT_SAN, DEFAULT_SUBJECT};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The only `PATH` a sample command sees: the system's own tools, never the caller's.
const SAFE_PATH: &str = "/usr/bin:/bin";
/// How many trailing lines of standard error a failure carries.
const STDERR_LINES: usize = 8;

/// What the runner needs besides the declaration.
#[derive(Debug, Clone)]
pub struct SampleInputs<'a> {
    /// The workspace root (the folder of `vigil.toml`), absolute; `config` is resolved against it.
    pub workspace: &'a Path,
    /// The folder relative OpenSSL `.include` paths resolve against (the profile's `include-dir`),
    /// passed to OpenSSL as `OPENSSL_CONF_INCLUDE` because the command runs in the scratch folder.
    /// Default: the workspace.
    pub include_dir: Option<&'a Path>,
    /// The `openssl` that generates the throwaway CA. Default: `openssl` in `/usr/bin:/bin`.
    pub openssl: Option<&'a Path>,
}

/// A sample certificate, issued.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// What the certificate says.
    pub cert: SampleCert,
}

impl Sample {
    /// The certificate as PEM, for evidence files.
    pub fn pem(&self) -> String {
        pem_encode(&self.der)
    }
}

/// Why a declared sample could not be issued. Each becomes a finding on the profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleFailure {
    #[error("{0}")]
    Declaration(#[from] DeclError),
    #[error("sample.config `{path}` cannot be used: {reason}")]
    Config { path: String, reason: String },
    #[error("could not prepare the scratch CA: {0}")]
    Setup(String),
    #[error("the sample command `{command}` did not finish within {}s and was killed{}", .after.as_secs_f32(), tail(.stderr_tail))]
    TimedOut {
        command: String,
        after: Duration,
        stderr_tail: Vec<String>,
    },
    #[error("the sample command `{command}` failed ({status}){}", tail(.stderr_tail))]
    Failed {
        command: String,
        status: String,
        stderr_tail: Vec<String>,
    },
    #[error("the sample command wrote no certificate to {where_}")]
    NoCertificate { where_: String },
    #[error("the sample command wrote something that is not a certificate to {where_}: {reason}")]
    NotACertificate { where_: String, reason: String },
}

fn tail(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.join(" | "))
    }
}

/// Issues the sample the declaration describes.
///
/// Everything happens in a fresh scratch folder outside the workspace, removed on return (with the
/// throwaway keys in it): the CA key and certificate, the subject's key and request, and the command's
/// working folder. The command runs with `PATH=/usr/bin:/bin`, `LC_ALL=C`, `HOME` and `TMPDIR` set to
/// the scratch folder and nothing else from the caller's environment, in a process group of its own
/// that is killed when the time limit passes (and when it exits, so nothing it started outlives it).
pub fn run_sample(decl: &SampleDecl, inputs: &SampleInputs<'_>) -> Result<Sample, SampleFailure> {
    decl.check()?;
    let deadline = decl.timeout()?;
    let key_type = decl.key_type()?;
    let config = match &decl.config {
        None => None,
        Some(rel) => Some(resolve_config(inputs.workspace, rel)?),
    };
    let scratch = scratch_folder(inputs.workspace)?;
    let dir = scratch.path().canonicalize().map_err(setup)?;
    let env = Env {
        scratch: dir.clone(),
        include_dir: Some(inputs.include_dir.unwrap_or(inputs.workspace).to_path_buf()),
    };
    let openssl = inputs
        .openssl
        .map_or_else(|| PathBuf::from("openssl"), Path::to_path_buf);

    let paths = Paths::new(&dir);
    make_ca(&openssl, &env, &paths, decl, key_type)?;
    if let Some(section) = &decl.ca_section {
        let config = config
            .as_deref()
            .ok_or(DeclError::PlaceholderWithout("ca_config", "config"))?;
        write_ca_config(&paths, config, section).map_err(setup)?;
    }
    let value = |name: &str| -> Option<String> {
        let p = match name {
            "config" => config.clone()?,
            "ca_config" => paths.ca_config.clone(),
            "scratch" => dir.clone(),
            "ca_key" => paths.ca_key.clone(),
            "ca_cert" => paths.ca_cert.clone(),
            "key" => paths.key.clone(),
            "csr" => paths.csr.clone(),
            "out" => paths.out.clone(),
            _ => return None,
        };
        Some(p.to_string_lossy().into_owned())
    };
    run_commands(decl, &env, &paths, &value, deadline)?;
    let (der, cert) = read_certificate(decl, &paths)?;
    Ok(Sample { der, cert })
}

fn setup(e: std::io::Error) -> SampleFailure {
    SampleFailure::Setup(e.to_string())
}

/// A fresh scratch folder in the system's temporary folder. Not below the workspace even when TMPDIR
/// points there: a workspace that would hold it is refused.
fn scratch_folder(workspace: &Path) -> Result<tempfile::TempDir, SampleFailure> {
    let scratch = tempfile::Builder::new()
        .prefix("vigil-sample-")
        .tempdir()
        .map_err(setup)?;
    let dir = scratch.path().canonicalize().map_err(setup)?;
    if let Ok(ws) = workspace.canonicalize() {
        if dir.starts_with(&ws) {
            return Err(SampleFailure::Setup(format!(
                "the temporary folder {} is inside the workspace; set TMPDIR elsewhere",
                dir.display()
            )));
        }
    }
    Ok(scratch)
}

/// Runs the declared commands in order within one time limit; returns the last one's stderr tail.
fn run_commands(
    decl: &SampleDecl,
    env: &Env,
    paths: &Paths,
    value: &dyn Fn(&str) -> Option<String>,
    deadline: Duration,
) -> Result<Vec<String>, SampleFailure> {
    let started = Instant::now();
    let commands = decl.command.list();
    let mut stderr_tail = Vec::new();
    for (i, argv) in commands.iter().enumerate() {
        let shown = argv.join(" ");
        let argv: Vec<String> = argv
            .iter()
            .map(|a| expand_with(a, value))
            .collect::<Result<_, _>>()?;
        let left = deadline.saturating_sub(started.elapsed());
        let stdout = if i + 1 == commands.len() && decl.output == Output::Stdout {
            paths.stdout.clone()
        } else {
            env.scratch.join(format!(".vigil-stdout-{i}"))
        };
        let ran =
            exec(&argv, env, &stdout, &paths.stderr, left).map_err(|e| SampleFailure::Failed {
                command: shown.clone(),
                status: e.to_string(),
                stderr_tail: Vec::new(),
            })?;
        stderr_tail = last_lines(&paths.stderr);
        match ran {
            Ran::TimedOut => {
                return Err(SampleFailure::TimedOut {
                    command: shown,
                    after: deadline,
                    stderr_tail,
                })
            }
            Ran::Exited(status) if !status.success() => {
                return Err(SampleFailure::Failed {
                    command: shown,
                    status: describe(status),
                    stderr_tail,
                })
            }
            Ran::Exited(_) => {}
        }
    }
    Ok(stderr_tail)
}

/// Reads and parses the certificate the commands wrote: `{out}` or standard output.
fn read_certificate(
    decl: &SampleDecl,
    paths: &Paths,
) -> Result<(Vec<u8>, SampleCert), SampleFailure> {
    let (from, where_) = match decl.output {
        Output::File => (&paths.out, "{out}".to_string()),
        Output::Stdout => (&paths.stdout, "standard output".to_string()),
    };
    let bytes = match fs::read(from) {
        Ok(b) if !b.is_empty() => b,
        _ => return Err(SampleFailure::NoCertificate { where_ }),
    };
    let der = certificate_der(&bytes).map_err(|reason| SampleFailure::NotACertificate {
        where_: where_.clone(),
        reason,
    })?;
    let cert = parse_certificate(&der).map_err(|e| SampleFailure::NotACertificate {
        where_,
        reason: e.to_string(),
    })?;
    Ok((der, cert))
}

/// `config`, inside the workspace, as an absolute path; a symlink out of it is refused.
fn resolve_config(workspace: &Path, rel: &str) -> Result<PathBuf, SampleFailure> {
    let fail = |reason: String| SampleFailure::Config {
        path: rel.to_string(),
        reason,
    };
    let ws = workspace
        .canonicalize()
        .map_err(|e| fail(format!("the workspace: {e}")))?;
    let full = ws
        .join(rel)
        .canonicalize()
        .map_err(|e| fail(e.to_string()))?;
    if !full.starts_with(&ws) {
        return Err(fail("it leads outside the workspace".into()));
    }
    if !full.is_file() {
        return Err(fail("not a regular file".into()));
    }
    Ok(full)
}

/// Every file the runner makes, all in the scratch folder.
struct Paths {
    ca_key: PathBuf,
    ca_cert: PathBuf,
    ca_config: PathBuf,
    ca_db: PathBuf,
    key: PathBuf,
    csr: PathBuf,
    out: PathBuf,
    stdout: PathBuf,
    stderr: PathBuf,
    req_config: PathBuf,
}

impl Paths {
    fn new(dir: &Path) -> Paths {
        Paths {
            ca_key: dir.join("ca.key"),
            ca_cert: dir.join("ca.pem"),
            ca_config: dir.join("ca.cnf"),
            ca_db: dir.join("ca-db"),
            key: dir.join("key.pem"),
            csr: dir.join("csr.pem"),
            out: dir.join("sample.crt"),
            stdout: dir.join("sample.stdout"),
            stderr: dir.join(".vigil-stderr"),
            req_config: dir.join(".vigil-req.cnf"),
        }
    }
}

/// The environment of every process the runner starts.
pub(crate) struct Env {
    pub(crate) scratch: PathBuf,
    pub(crate) include_dir: Option<PathBuf>,
}

/// Generates the throwaway CA key and certificate, the subject's key and its request.
fn make_ca(
    openssl: &Path,
    env: &Env,
    paths: &Paths,
    decl: &SampleDecl,
    key_type: super::KeyType,
) -> Result<(), SampleFailure> {
    // Our own request configuration, so the system's openssl.cnf cannot add extensions.
    let req_config = "[ req ]\n\
        distinguished_name = dn\n\
        x509_extensions = v3_ca\n\
        prompt = no\n\
        [ dn ]\n\
        CN = vigil throwaway sample CA\n\
        [ v3_ca ]\n\
        basicConstraints = critical, CA:TRUE\n\
        keyUsage = critical, keyCertSign, cRLSign\n\
        subjectKeyIdentifier = hash\n";
    fs::write(&paths.req_config, req_config).map_err(setup)?;
    let sink = paths.stdout.with_extension("setup");
    for argv in setup_steps(openssl, paths, decl, key_type) {
        let ran = exec(&argv, env, &sink, &paths.stderr, Duration::from_secs(60))
            .map_err(|e| SampleFailure::Setup(format!("{}: {e}", argv[0])))?;
        let why = match ran {
            Ran::Exited(status) if status.success() => continue,
            Ran::TimedOut => "timed out".to_string(),
            Ran::Exited(status) => describe(status),
        };
        return Err(SampleFailure::Setup(format!(
            "`openssl {}` {why}{}",
            argv[1],
            tail(&last_lines(&paths.stderr))
        )));
    }
    let db = &paths.ca_db;
    fs::create_dir(db)
        .and_then(|()| fs::create_dir(db.join("new")))
        .and_then(|()| fs::write(db.join("index.txt"), ""))
        .and_then(|()| fs::write(db.join("serial"), "7A11\n"))
        .and_then(|()| fs::write(db.join("crlnumber"), "01\n"))
        .map_err(setup)
}

/// The `openssl` runs that make the throwaway CA (an EC P-256 key and a ten-year self-signed
/// certificate), the subject's key and its request with the declared subject and SANs.
fn setup_steps(
    openssl: &Path,
    paths: &Paths,
    decl: &SampleDecl,
    key_type: super::KeyType,
) -> Vec<Vec<String>> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let o = s(openssl);
    let subject = decl
        .subject
        .clone()
        .unwrap_or_else(|| DEFAULT_SUBJECT.into());
    let ca_key = vec![
        o.clone(),
        "genpkey".into(),
        "-algorithm".into(),
        "EC".into(),
        "-pkeyopt".into(),
        "ec_paramgen_curve:P-256".into(),
        "-out".into(),
        s(&paths.ca_key),
    ];
    let ca_cert = vec![
        o.clone(),
        "req".into(),
        "-x509".into(),
        "-new".into(),
        "-config".into(),
        s(&paths.req_config),
        "-key".into(),
        s(&paths.ca_key),
        "-subj".into(),
        ca_subject(&subject),
        "-days".into(),
        "3650".into(),
        "-out".into(),
        s(&paths.ca_cert),
    ];
    let mut key = vec![o.clone(), "genpkey".into()];
    key.extend(key_type.genpkey_args());
    key.extend(["-out".into(), s(&paths.key)]);
    let mut req = vec![
        o,
        "req".into(),
        "-new".into(),
        "-config".into(),
        s(&paths.req_config),
        "-utf8".into(),
        "-key".into(),
        s(&paths.key),
        "-subj".into(),
        subject,
        "-out".into(),
        s(&paths.csr),
    ];
    let san = decl
        .san
        .clone()
        .unwrap_or_else(|| vec![DEFAULT_SAN.to_string()]);
    if !san.is_empty() {
        req.extend([
            "-addext".into(),
            format!("subjectAltName={}", san.join(",")),
        ]);
    }
    vec![ca_key, ca_cert, key, req]
}

/// The throwaway CA's subject: the sample subject's attributes other than its common name, so that a
/// profile whose `openssl ca` policy says `match` (country, organization) accepts the request.
fn ca_subject(subject: &str) -> String {
    let mut out = String::new();
    let mut field = String::new();
    let mut chars = subject.chars().peekable();
    let mut fields = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                field.push(c);
                if let Some(n) = chars.next() {
                    field.push(n);
                }
            }
            '/' => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    for f in fields.iter().filter(|f| !f.is_empty()) {
        let name = f.split('=').next().unwrap_or_default().trim();
        if !name.eq_ignore_ascii_case("CN") && !name.eq_ignore_ascii_case("commonName") {
            out.push('/');
            out.push_str(f);
        }
    }
    out.push_str("/CN=vigil throwaway sample CA");
    out
}

/// `{ca_config}`: the profile's configuration with its CA section pointed at the throwaway CA.
/// OpenSSL merges a section that appears twice, the later value of a name winning, so everything else
/// the profile says stays as it is.
fn write_ca_config(paths: &Paths, config: &Path, section: &str) -> std::io::Result<()> {
    let d = |p: &Path| p.to_string_lossy().replace('$', "\\$");
    let db = &paths.ca_db;
    let text = format!(
        ".include {config}\n\n[ {section} ]\n\
         certificate = {cert}\n\
         private_key = {key}\n\
         database = {index}\n\
         new_certs_dir = {new}\n\
         serial = {serial}\n\
         crlnumber = {crlnumber}\n",
        config = d(config),
        cert = d(&paths.ca_cert),
        key = d(&paths.ca_key),
        index = d(&db.join("index.txt")),
        new = d(&db.join("new")),
        serial = d(&db.join("serial")),
        crlnumber = d(&db.join("crlnumber")),
    );
    fs::write(&paths.ca_config, text)
}

pub(crate) enum Ran {
    Exited(ExitStatus),
    TimedOut,
}

/// Runs one command in the scratch folder with the minimal environment, its output in files (a pipe
/// held open by a stray grandchild could block a reader forever; a file cannot), and kills its whole
/// process group at the time limit.
pub(crate) fn exec(
    argv: &[String],
    env: &Env,
    stdout: &Path,
    stderr: &Path,
    limit: Duration,
) -> std::io::Result<Ran> {
    use std::os::unix::process::CommandExt;
    let out = fs::File::create(stdout)?;
    let err = fs::File::create(stderr)?;
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(&env.scratch)
        .env_clear()
        .env("PATH", SAFE_PATH)
        .env("LC_ALL", "C")
        .env("HOME", &env.scratch)
        .env("TMPDIR", &env.scratch)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    if let Some(dir) = &env.include_dir {
        cmd.env("OPENSSL_CONF_INCLUDE", dir);
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let result = loop {
        if let Some(status) = child.try_wait()? {
            break Ran::Exited(status);
        }
        if started.elapsed() >= limit {
            kill_group(pid);
            child.wait()?;
            break Ran::TimedOut;
        }
        std::thread::sleep(pause.min(limit.saturating_sub(started.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    // Whatever the command left running in its group goes with it.
    kill_group(pid);
    Ok(result)
}

fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // ESRCH (the group is already gone) is the normal case after a clean exit.
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
}

pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

pub(crate) fn last_lines(path: &Path) -> Vec<String> {
    let bytes = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<String> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    lines[lines.len().saturating_sub(STDERR_LINES)..].to_vec()
}

/// The DER of the first certificate in `bytes`, which may be PEM or DER.
pub(crate) fn certificate_der(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if looks_pem {
        for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
            match pem {
                Ok(pem) if pem.label == "CERTIFICATE" => return Ok(pem.contents),
                Ok(_) => continue,
                Err(e) => return Err(format!("bad PEM: {e}")),
            }
        }
        return Err("PEM without a CERTIFICATE block".into());
    }
    Ok(bytes.to_vec())
}

fn pem_encode(der: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_subject_keeps_all_but_the_common_name() {
        assert_eq!(
            ca_subject("/C=US/O=Example\\/Org/CN=x/OU=y"),
            "/C=US/O=Example\\/Org/OU=y/CN=vigil throwaway sample CA"
        );
    }

    #[test]
    fn pem_round_trips_through_the_parser() {
        let der: Vec<u8> = (0u8..=200).collect();
        let pem = pem_encode(&der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(certificate_der(pem.as_bytes()).unwrap(), der);
    }
}
