//! The README's first screen as a new user follows it: the session on one's own repository (its
//! `vigil.toml` and its commands, run by a real shell in a real git repository with the binary under
//! test on PATH) prints what the README shows; and every link inside the README lands on a heading or
//! an anchor.

use crate::support::{run_bounded, vigil_bin, Sandbox};
use std::collections::HashSet;
use std::process::{Command, Stdio};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The body of the first fenced block of `lang` in `text`, and the text after it.
fn block<'a>(text: &'a str, lang: &str) -> (&'a str, &'a str) {
    let open = format!("```{lang}\n");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("no {open:?} block"))
        + open.len();
    let len = text[start..].find("```\n").expect("the block ends");
    (&text[start..start + len], &text[start + len..])
}

/// Output with what differs from run to run (the repository's path, commit ids, times) replaced.
fn normal(text: &str, root: &str) -> String {
    let text = text.replace(root, "/path/to/repo");
    let id = regex::Regex::new(r"\b[0-9a-f]{12}\b").unwrap();
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    time.replace_all(&id.replace_all(&text, "[ID]"), "[TIME]")
        .into_owned()
}

#[test]
fn first_screen_session_on_your_own_repository_prints_what_the_readme_shows() {
    let text = readme();
    let at = text
        .find("**On your own repository**")
        .expect("the README's first screen has the own-repository steps");
    assert!(
        at < text.find("\n## Why").unwrap(),
        "the own-repository steps moved off the first screen"
    );
    let (toml, rest) = block(&text[at..], "toml");
    let (session, _) = block(rest, "console");

    // As the README says: vigil.toml and the profile committed, the file it includes not yet.
    let s = Sandbox::git_repo();
    s.file("vigil.toml", toml).file(
        "profiles/server.cnf",
        "# TLS server certificates\n[server]\n.include profiles/validity.cnf\n",
    );
    s.commit_all("the server profile");
    s.file("profiles/validity.cnf", "default_days = 199\n");

    let bin_dir = vigil_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let root = s.root.display().to_string();
    // Each `$ command` with the lines under it, up to the next command.
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in session.lines() {
        match line.strip_prefix("$ ") {
            Some(command) => steps.push((command.to_string(), String::new())),
            None => {
                let (_, out) = steps.last_mut().expect("the session starts with a command");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert_eq!(steps.len(), 4, "{session}");
    for (command, shown) in &steps {
        let mut c = Command::new("sh");
        c.args(["-c", command])
            .current_dir(&s.root)
            .stdin(Stdio::null());
        s.env(&mut c);
        c.env("PATH", &path);
        let r = run_bounded(c);
        let want_code = if command == "vigil check" && shown.contains("FAILED") {
            1
        } else {
            0
        };
        assert_eq!(
            r.code, want_code,
            "`{command}` exited {}:\n{}{}",
            r.code, r.stdout, r.stderr
        );
        assert_eq!(
            normal(&format!("{}{}", r.stdout, r.stderr), &root),
            normal(shown, "/path/to/repo"),
            "`{command}` printed something else than the README shows"
        );
    }
    // The hook it installed blocks a change that is not approved.
    s.file("profiles/validity.cnf", "default_days = 825\n");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("longer validity", &[]).expect(1);
    assert!(r.all().contains("stale"), "{}", r.all());
}

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces made `-`,
/// and `-1`, `-2`, ... on repeats.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut fenced = false;
    let explicit = regex::Regex::new(r#"<a id="([^"]+)"></a>"#).unwrap();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for c in explicit.captures_iter(line) {
            ids.insert(c[1].to_string());
        }
        let Some(title) = line.trim_start_matches('#').strip_prefix(' ') else {
            continue;
        };
        if !line.starts_with('#') {
            continue;
        }
        let slug: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut name = slug.clone();
        let mut n = 0;
        while seen.contains(&name) {
            n += 1;
            name = format!("{slug}-{n}");
        }
        seen.insert(name);
    }
    seen.extend(ids);
    seen
}

#[test]
fn every_link_inside_the_readme_lands_on_a_heading_or_an_anchor() {
    let text = readme();
    let known = anchors(&text);
    assert!(known.contains("install-vigil") && known.contains("install-the-hooks"));
    let link = regex::Regex::new(r"\]\(#([^)]+)\)").unwrap();
    let broken: Vec<&str> = link
        .captures_iter(&text)
        .map(|c| c.get(1).unwrap().as_str())
        .filter(|a| !known.contains(*a))
        .collect();
    assert!(
        broken.is_empty(),
        "README links to no such place: {broken:?}"
    );
}
