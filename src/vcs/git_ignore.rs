//! Which rule ignores a path: asked of git itself (`git check-ignore -v`), since libgit2 answers only
//! whether a path is ignored, and the rule is what a user needs to fix it.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Paths per `git check-ignore` call.
const BATCH: usize = 200;

/// For each repository path (relative to `workdir`) that an ignore rule matches, the rule as
/// `source:line:pattern`. Paths git does not name, or every path when git cannot be run, are absent:
/// the finding then says only that a rule matches.
pub fn rules(workdir: &Path, repo_paths: &[Vec<u8>]) -> HashMap<Vec<u8>, String> {
    let mut out = HashMap::new();
    for batch in repo_paths.chunks(BATCH) {
        // `-z` needs `--stdin`: paths go in NUL-separated, so that any file name survives.
        let mut input = Vec::new();
        for p in batch {
            input.extend_from_slice(p);
            input.push(0);
        }
        let Some(stdout) = run(workdir, input) else {
            return out;
        };
        parse(&stdout, &mut out);
    }
    out
}

/// Runs `git check-ignore` over NUL-separated paths; `None` when git cannot be run at all. Exit 1
/// means nothing is ignored; any other failure (not a repository) leaves no rule either.
fn run(workdir: &Path, input: Vec<u8>) -> Option<Vec<u8>> {
    let mut child = Command::new("git")
        .current_dir(workdir)
        .args(["check-ignore", "--verbose", "-z", "--no-index", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    // Written from a thread: git may fill its output pipe before it has read all of the input.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let o = child.wait_with_output().ok()?;
    let _ = writer.join();
    Some(if o.status.code() == Some(0) {
        o.stdout
    } else {
        Vec::new()
    })
}

/// `-z --verbose` output: source, line, pattern and path, each ended by NUL. A negated match (`!x`)
/// is git's answer for a path that is *not* ignored, and is left out.
fn parse(stdout: &[u8], out: &mut HashMap<Vec<u8>, String>) {
    let fields: Vec<&[u8]> = stdout.split(|b| *b == 0).collect();
    for rec in fields.chunks_exact(4) {
        let (source, line, pattern, path) = (rec[0], rec[1], rec[2], rec[3]);
        if source.is_empty() || pattern.starts_with(b"!") {
            continue;
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        out.insert(
            path.to_vec(),
            format!("{}:{}:{}", text(source), text(line), text(pattern)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verbose_nul_output_and_drops_negations() {
        let mut out = HashMap::new();
        parse(
            b".gitignore\x003\x00*.key\x00a/b.key\x00sub/.gitignore\x001\x00!keep.key\x00sub/keep.key\x00",
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[&b"a/b.key".to_vec()], ".gitignore:3:*.key");
    }
}
