//! `vigil man`: the page renders with the real `man -l`, without warnings, and names every command.

use crate::completions::need;
use crate::support::{run_bounded, Run, Sandbox};
use std::path::Path;
use std::process::{Command, Stdio};

/// Formats a page file with `man -l`, as a user would read it, with roff warnings on.
fn man(page: &Path) -> Run {
    let mut c = Command::new("man");
    c.args(["--warnings", "-l"])
        .arg(page)
        .stdin(Stdio::null())
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .env_remove("MANOPT");
    run_bounded(c)
}

const COMMANDS: [&str; 12] = [
    "check",
    "inventory",
    "approve",
    "diff",
    "gate",
    "hook",
    "pre-receive",
    "requirements",
    "schema",
    "svn-pre-commit",
    "completions",
    "man",
];

#[test]
fn the_man_page_renders_with_man_and_lists_every_command() {
    need("man", "man-db");
    let s = Sandbox::plain();
    let r = s.vigil(&["man"]).expect(0);
    let page = s.outside().join("vigil.1");
    std::fs::write(&page, &r.stdout).unwrap();
    let m = man(&page).expect(0);
    assert_eq!(m.stderr, "", "man warned about the page");
    let text = m.stdout;
    assert!(
        text.contains("vigil - Keeps configuration profiles"),
        "{text}"
    );
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SUBCOMMANDS"] {
        assert!(text.lines().any(|l| l == section), "no {section}:\n{text}");
    }
    for c in COMMANDS {
        assert!(
            text.lines().any(|l| l.trim() == format!("vigil-{c}(1)")),
            "the page does not list `{c}`:\n{text}"
        );
    }
    assert!(!text.contains("vigil-help(1)"), "{text}");
    assert!(text.contains("Exit status: 0"), "{text}");
}

#[test]
fn man_write_gives_one_page_per_subcommand() {
    need("man", "man-db");
    let s = Sandbox::plain();
    let dir = s.outside().join("man1");
    s.vigil(&["man", "--write", dir.to_str().unwrap()])
        .expect(0);
    for c in COMMANDS {
        let page = dir.join(format!("vigil-{c}.1"));
        assert!(page.is_file(), "no {}", page.display());
        let m = man(&page).expect(0);
        assert_eq!(m.stderr, "", "man warned about {}", page.display());
        // man justifies lines, so compare with the spaces collapsed.
        let words = m.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains(&format!("NAME vigil-{c} - ")),
            "{}",
            m.stdout
        );
    }
    let check = man(&dir.join("vigil-check.1")).expect(0).stdout;
    for option in ["--staged", "--rev", "--format", "--mode", "--as-of"] {
        assert!(
            check.contains(option),
            "vigil-check(1) lacks {option}:\n{check}"
        );
    }
    assert!(dir.join("vigil.1").is_file());
}
