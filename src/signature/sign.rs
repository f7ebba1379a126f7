//! Signing an approval message with an SSH key, by running `ssh-keygen -Y sign`.
//!
//! OpenSSH does the signing rather than vigil: it already reads every private key format (passphrases
//! included, asked on the terminal), talks to `ssh-agent` when given only a public key, and drives
//! FIDO authenticators for `sk-` keys, none of which vigil should reimplement or hold key material for.
//! Verification, which the server hooks do, is in-process ([`super::verify`]) and needs no OpenSSH.

use super::NAMESPACE;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How to sign.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The key: a private key file, or a public key file (`.pub`) whose private half is in the agent
    /// or on a FIDO authenticator.
    pub key: PathBuf,
    /// The `ssh-keygen` to run; `ssh-keygen` from `PATH` by default.
    pub ssh_keygen: PathBuf,
    /// The agent socket (`SSH_AUTH_SOCK`), passed on to `ssh-keygen`; by default this process's.
    pub agent: Option<OsString>,
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot run `{program}`: {source} (install OpenSSH's client tools, e.g. Debian's openssh-client)")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`ssh-keygen -Y sign` with key {key} failed: {stderr}")]
    Failed { key: PathBuf, stderr: String },
    #[error("`ssh-keygen -Y sign` printed no SSH signature")]
    NoSignature,
}

impl Signer {
    /// Signs with `key`, using `ssh-keygen` from `PATH` and this process's agent.
    pub fn new(key: impl Into<PathBuf>) -> Signer {
        Signer {
            key: key.into(),
            ssh_keygen: PathBuf::from("ssh-keygen"),
            agent: std::env::var_os("SSH_AUTH_SOCK"),
        }
    }

    /// Signs `message` in the `vigil-approval` namespace; returns the armored signature
    /// (`-----BEGIN SSH SIGNATURE-----` …), ending in a newline.
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        sign_in_namespace(self, NAMESPACE, message)
    }
}

/// Signs in any namespace; for tests that need a signature vigil must refuse.
#[doc(hidden)]
pub fn sign_in_namespace(s: &Signer, namespace: &str, message: &[u8]) -> Result<String, SignError> {
    let mut cmd = Command::new(&s.ssh_keygen);
    // A minimal environment: no ssh_config, no locale or askpass surprises; only what locating the
    // agent, a FIDO middleware or the user's terminal needs.
    cmd.env_clear();
    for var in [
        "PATH",
        "HOME",
        "SSH_SK_PROVIDER",
        "SSH_ASKPASS",
        "SSH_ASKPASS_REQUIRE",
        "DISPLAY",
    ] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    if let Some(sock) = &s.agent {
        cmd.env("SSH_AUTH_SOCK", sock);
    }
    cmd.arg("-Y")
        .arg("sign")
        .arg("-n")
        .arg(namespace)
        .arg("-f")
        .arg(key_arg(&s.key))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| SignError::Spawn {
        program: s.ssh_keygen.display().to_string(),
        source,
    })?;
    // The message is small (one line per component); writing it all before reading cannot deadlock
    // on a pipe buffer in practice, but a thread keeps that true for any size.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let msg = message.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&msg);
    });
    let out = child
        .wait_with_output()
        .map_err(|source| SignError::Spawn {
            program: s.ssh_keygen.display().to_string(),
            source,
        })?;
    let _ = writer.join();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr = stderr
            .lines()
            .filter(|l| !l.starts_with("Signing data on standard input"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SignError::Failed {
            key: s.key.clone(),
            stderr: if stderr.is_empty() {
                format!("exit status {}", out.status)
            } else {
                stderr
            },
        });
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(SignError::NoSignature);
    }
    Ok(text)
}

/// A relative key path that starts with `-` would read as an option.
fn key_arg(key: &Path) -> PathBuf {
    if key.is_relative() && key.as_os_str().as_encoded_bytes().starts_with(b"-") {
        Path::new(".").join(key)
    } else {
        key.to_path_buf()
    }
}
