//! Problems in a text file that point at it: the file, line, column and the offending line
//! ([`ConfigError`], used for `vigil.toml`, manifests and rule packs alike), and the "did you mean"
//! suggestion for a mistyped name.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A configuration problem, pointing at the text when it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The offending line of the file, when known.
    pub snippet: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file.display(), self.message)?,
            _ => write!(f, "{}: {}", self.file.display(), self.message)?,
        }
        if let (Some(snippet), Some(l), Some(c)) = (&self.snippet, self.line, self.column) {
            let gutter = l.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{l} | {snippet}\n{:gutter$} | {:>c$}",
                "", "", "^"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    pub(crate) fn at(file: &Path, text: &str, span: Option<Range<usize>>, message: String) -> Self {
        let mut e = ConfigError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            snippet: None,
            message,
        };
        if let Some(span) = span {
            let start = span.start.min(text.len());
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..start].chars().count() + 1;
            let snippet = text[line_start..].lines().next().unwrap_or("").to_string();
            e.line = Some(line);
            e.column = Some(column);
            e.snippet = Some(snippet);
        }
        e
    }
}

/// ` (did you mean `x`?)` when one of `candidates` is close to `word`, else empty.
pub fn closest(word: &str, candidates: &[&str]) -> String {
    closest_name(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// The candidate most like `word`, when one is close enough to be a likely typo.
pub(crate) fn closest_name<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
