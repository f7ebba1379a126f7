//! Repositories libgit2 cannot open because of their object format, said plainly instead of as
//! libgit2's terse "unknown object format".

use std::path::Path;

/// When `e`, from opening a git repository at or above `start`, says that the repository uses an
/// object format libgit2 does not read (git's SHA-256 repositories, `git init --object-format=sha256`),
/// a message that says so and what to do; `None` for every other error.
pub fn unsupported(start: &Path, e: &git2::Error) -> Option<String> {
    let message = e.message();
    let rest = &message[message.find("unknown object format")? + "unknown object format".len()..];
    let format = rest.trim().trim_matches(|c| c == '\'' || c == '"');
    let (name, flag) = if format.eq_ignore_ascii_case("sha256") {
        ("SHA-256", "sha256")
    } else {
        (format, format)
    };
    Some(format!(
        "the git repository at or above {} uses the {name} object format \
         (`git init --object-format={flag}`, `extensions.objectFormat = {flag}`), which libgit2, \
         the git library vigil is built on, cannot open: vigil reads repositories in git's default \
         SHA-1 object format only (`git rev-parse --show-object-format` shows a repository's)",
        start.display()
    ))
}
