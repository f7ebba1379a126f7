//! Command-line conventions: `--quiet`, `vigil hook uninstall` and `vigil hook status` with real git
//! hooks run by real `git commit`, and colour (`--color`, NO_COLOR, CLICOLOR, CLICOLOR_FORCE) on pipes
//! and on a real pseudo-terminal.

use crate::support::{run_bounded, vigil_bin, Ca, Run, Sandbox};
use std::fs;
use std::process::{Command, Stdio};

const ESC: char = '\x1b';

/// A committed CA profile with no approval: `check` reports `unapproved` errors.
fn unapproved_repo() -> Sandbox {
    let s = Sandbox::git_repo();
    Ca::new().write(&s);
    s.commit_all("profiles");
    s
}

/// The same, approved and committed, and then one component changed: a `stale` error.
fn stale_repo() -> Sandbox {
    let s = unapproved_repo();
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    s.file("validity/398.cnf", "default_days = 825\n");
    s.commit_all("longer validity");
    s
}

// --- --quiet -------------------------------------------------------------------------------------

#[test]
fn quiet_check_prints_only_error_findings_and_nothing_when_it_passes() {
    let s = Sandbox::git_repo();
    Ca::new()
        .server_cnf(".include validity/398.cnf\n.include extra.cnf\n[ext]\n")
        .with("extra.cnf", "# extra\n")
        .write(&s);
    s.commit_all("profiles");
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve");
    // The profile no longer includes extra.cnf: the profile file is stale (an error), and extra.cnf
    // is orphaned in the manifest (a warning).
    s.file("profiles/server.cnf", ".include validity/398.cnf\n[ext]\n");
    s.commit_all("drop extra.cnf");
    let normal = s.vigil(&["check"]).expect(1);
    assert!(normal.stdout.contains("orphaned"), "{}", normal.stdout);
    assert!(normal.stdout.contains("FAILED"), "{}", normal.stdout);
    let r = s.vigil(&["check", "--quiet"]).expect(1);
    assert_eq!(
        r.stdout,
        "error: server: stale profiles/server.cnf: changed since approval (approved 3b0f71a1f3a8, now 13b2312aa2cc)\n",
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr, "");
    // -q is the same, anywhere on the line (a global option).
    assert_eq!(s.vigil(&["-q", "check"]).expect(1).stdout, r.stdout);
    // Machine formats are the output asked for: quiet leaves them whole.
    let j = s.vigil(&["check", "-q", "--format", "json"]).expect(1);
    assert_eq!(
        j.finding_codes(),
        ["orphaned extra.cnf", "stale profiles/server.cnf"]
    );

    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve the change");
    let r = s.vigil(&["check", "--quiet"]).expect(0);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    // Approving quietly prints nothing either.
    s.file("validity/398.cnf", "default_days = 200\n");
    let r = s.vigil(&["approve", "-q", "server"]).expect(0);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
}

#[test]
fn quiet_gate_prints_only_what_fails_it() {
    let s = stale_repo();
    let r = s.vigil(&["gate", "server", "--quiet"]).expect(1);
    assert!(
        r.stdout
            .starts_with("error: server: stale validity/398.cnf: "),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("approve the change");
    let r = s.vigil(&["gate", "server", "-q"]).expect(0);
    assert_eq!(r.stdout, "");
}

#[test]
fn quiet_hook_install_says_nothing_and_the_hook_still_blocks() {
    let s = unapproved_repo();
    let r = s.vigil(&["-q", "hook", "install"]).expect(0);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    let hook = s.path(".git/hooks/pre-commit");
    assert!(hook.is_file());
    s.file("validity/398.cnf", "default_days = 300\n");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("change without approval", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());
}

// --- hook uninstall / status ---------------------------------------------------------------------

#[test]
fn hook_uninstall_restores_the_hook_it_replaced_and_git_runs_that_again() {
    let s = unapproved_repo();
    let hook = s.path(".git/hooks/pre-commit");
    let mine = "#!/bin/sh\necho \"the team's own hook ran\" >&2\nexit 0\n";
    fs::write(&hook, mine).unwrap();
    s.chmod(".git/hooks/pre-commit", 0o755);
    s.vigil(&["hook", "install", "--force"]).expect(0);

    let st = s.vigil(&["hook", "status"]).expect(0).stdout;
    let st = s.redact(&st);
    assert!(
        st.contains(&format!(
            "pre-commit   vigil's, current; runs {} check --staged\n",
            vigil_bin().canonicalize().unwrap().display()
        )),
        "{st}"
    );
    assert!(
        st.contains("pre-commit.before-vigil (`vigil hook uninstall` puts it back)"),
        "{st}"
    );
    assert!(st.contains("pre-receive  not installed\n"), "{st}");

    // vigil's hook is the one git runs now: the unapproved profile blocks the commit.
    s.file("validity/398.cnf", "default_days = 300\n");
    s.git_ok(&["add", "-A"]);
    let r = s.commit("blocked", &[]).expect(1);
    assert!(r.all().contains("unapproved"), "{}", r.all());

    let r = s.vigil(&["hook", "uninstall"]).expect(0);
    assert!(r.stdout.contains("is back (from"), "{}", r.stdout);
    assert_eq!(fs::read_to_string(&hook).unwrap(), mine);
    assert!(!s.path(".git/hooks/pre-commit.before-vigil").exists());
    let r = s.commit("through the team's hook", &[]).expect(0);
    assert!(r.all().contains("the team's own hook ran"), "{}", r.all());

    let st = s.vigil(&["hook", "status"]).expect(0).stdout;
    assert!(
        st.contains("pre-commit   a hook vigil did not write\n"),
        "{st}"
    );
}

#[test]
fn hook_uninstall_removes_vigils_hook_and_refuses_anyone_elses() {
    let s = unapproved_repo();
    s.vigil(&["hook", "install"]).expect(0);
    let r = s.vigil(&["hook", "uninstall", "--pre-commit"]).expect(0);
    assert!(r.stdout.starts_with("removed "), "{}", r.stdout);
    assert!(!s.path(".git/hooks/pre-commit").exists());
    // Without vigil's hook, git commits the unapproved change.
    s.file("validity/398.cnf", "default_days = 300\n");
    s.git_ok(&["add", "-A"]);
    s.commit("no hook", &[]).expect(0);
    // Nothing left to remove: not an error.
    let r = s.vigil(&["hook", "uninstall", "--pre-commit"]).expect(0);
    assert!(r.stdout.contains("not installed"), "{}", r.stdout);

    let theirs = "#!/bin/sh\nexit 0\n";
    fs::write(s.path(".git/hooks/pre-commit"), theirs).unwrap();
    let r = s.vigil(&["hook", "uninstall", "--pre-commit"]).expect(2);
    assert!(
        r.stderr.contains("was not written by vigil"),
        "{}",
        r.stderr
    );
    assert_eq!(s.read(".git/hooks/pre-commit"), theirs);
    // Without a flag it is simply not vigil's: left alone, said so.
    let r = s.vigil(&["hook", "uninstall"]).expect(0);
    assert!(
        r.stdout.contains("not vigil's hook; left alone"),
        "{}",
        r.stdout
    );
    assert_eq!(s.read(".git/hooks/pre-commit"), theirs);
}

#[test]
fn hook_status_tells_an_outdated_hook_and_a_missing_binary() {
    let s = Sandbox::git_repo();
    s.file("ca/vigil.toml", "");
    s.vigil_in(&s.path("ca"), &["hook", "install"]).expect(0);
    let hook = s.path(".git/hooks/pre-commit");
    let text = fs::read_to_string(&hook).unwrap();
    let bin = vigil_bin().canonicalize().unwrap().display().to_string();
    let old = text
        .replace(&bin, "/nonexistent/vigil")
        .replace("exec \"$VIGIL_BIN\"", "echo older\nexec \"$VIGIL_BIN\"");
    fs::write(&hook, old).unwrap();
    let st = s.vigil(&["hook", "status"]).expect(0).stdout;
    assert!(
        st.contains("pre-commit   vigil's, outdated: `vigil hook install` updates it; runs /nonexistent/vigil (not found: reinstall the hook) check --staged '--workspace' 'ca'\n"),
        "{st}"
    );
    assert!(!st.contains("not executable"), "{st}");
    s.vigil_in(&s.path("ca"), &["hook", "install"]).expect(0);
    let st = s.vigil(&["hook", "status"]).expect(0).stdout;
    assert!(st.contains("pre-commit   vigil's, current; runs "), "{st}");
}

// --- colour --------------------------------------------------------------------------------------

/// Runs vigil with the sandbox's environment but the colour variables given (and none other).
fn vigil_env(s: &Sandbox, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut c = Command::new(vigil_bin());
    c.args(args).current_dir(&s.root).stdin(Stdio::null());
    s.env(&mut c);
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI")
        .env("TERM", "xterm-256color");
    for (k, v) in vars {
        c.env(k, v);
    }
    run_bounded(c)
}

/// Runs vigil on a real pseudo-terminal (util-linux `script`), so `auto` sees a terminal.
fn vigil_tty(s: &Sandbox, args: &str, vars: &[(&str, &str)]) -> Run {
    crate::completions::need("script", "bsdutils");
    let mut c = Command::new("script");
    c.args(["-q", "-e", "-c"])
        .arg(format!("{} {args}", vigil_bin().display()))
        .arg("/dev/null")
        .current_dir(&s.root)
        .stdin(Stdio::null());
    s.env(&mut c);
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI")
        .env("TERM", "xterm-256color");
    for (k, v) in vars {
        c.env(k, v);
    }
    run_bounded(c)
}

#[test]
fn colour_follows_no_color_clicolor_and_clicolor_force() {
    let s = stale_repo();
    let coloured = |r: &Run| r.stdout.contains(ESC);
    // A pipe: no colour, unless forced.
    assert!(!coloured(&vigil_env(&s, &["check"], &[]).expect(1)));
    assert!(coloured(
        &vigil_env(&s, &["check"], &[("CLICOLOR_FORCE", "1")]).expect(1)
    ));
    assert!(!coloured(
        &vigil_env(
            &s,
            &["check"],
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
        )
        .expect(1)
    ));
    // The option beats the environment both ways.
    assert!(coloured(
        &vigil_env(&s, &["check", "--color", "always"], &[("NO_COLOR", "1")]).expect(1)
    ));
    assert!(!coloured(
        &vigil_env(&s, &["check", "--color=never"], &[("CLICOLOR_FORCE", "1")]).expect(1)
    ));
    // A terminal: colour, unless NO_COLOR or CLICOLOR=0.
    assert!(coloured(&vigil_tty(&s, "check", &[]).expect(1)));
    assert!(!coloured(
        &vigil_tty(&s, "check", &[("NO_COLOR", "1")]).expect(1)
    ));
    assert!(!coloured(
        &vigil_tty(&s, "check", &[("CLICOLOR", "0")]).expect(1)
    ));
    assert!(!coloured(
        &vigil_tty(&s, "check", &[("TERM", "dumb")]).expect(1)
    ));
}

#[test]
fn diff_is_coloured_when_colour_is_on() {
    let s = stale_repo();
    let plain = vigil_env(&s, &["diff", "server"], &[]).expect(0).stdout;
    assert!(!plain.contains(ESC), "{plain}");
    assert!(
        plain.contains("\n-default_days = 397\n+default_days = 825\n"),
        "{plain}"
    );
    let r = vigil_env(&s, &["diff", "server", "--color", "always"], &[]).expect(0);
    let c = r.stdout;
    assert!(c.contains("\x1b[31m-default_days = 397\x1b[0m\n"), "{c:?}");
    assert!(c.contains("\x1b[32m+default_days = 825\x1b[0m\n"), "{c:?}");
    assert!(
        c.contains("\x1b[1m--- approved/validity/398.cnf\x1b[0m\n"),
        "{c:?}"
    );
    assert!(c.contains("\x1b[36m@@ "), "{c:?}");
    // With the escapes taken out it is the plain diff, byte for byte.
    let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(&c, "");
    assert_eq!(stripped, plain);
    // And on a terminal it colours by itself.
    let t = vigil_tty(&s, "diff server", &[]).expect(0);
    assert!(
        t.stdout.contains("\x1b[32m+default_days = 825"),
        "{:?}",
        t.stdout
    );
}

// --- inventory exit status -----------------------------------------------------------------------

#[test]
fn inventory_exits_1_when_it_prints_an_error_and_0_when_it_does_not() {
    let s = Sandbox::git_repo();
    Ca::new().write(&s);
    let r = s.vigil(&["inventory"]).expect(0);
    assert!(!r.stdout.contains("error"), "{}", r.stdout);
    s.vigil(&["inventory", "--format", "json"]).expect(0);

    s.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include ../../outside.cnf\n",
    );
    let r = s.vigil(&["inventory"]).expect(1);
    assert!(r.stdout.contains("outside-root"), "{}", r.stdout);
    let j = s.vigil(&["inventory", "--format", "json"]).expect(1).json();
    assert_eq!(j["profiles"][0]["problems"][0]["code"], "outside-root");
    let q = s.vigil(&["inventory", "-q"]).expect(1);
    assert_eq!(q.stdout.lines().count(), 1, "{}", q.stdout);
    assert!(
        q.stdout
            .starts_with("error: server: outside-root ../../outside.cnf"),
        "{}",
        q.stdout
    );
}

// --- the pre-commit hook on success --------------------------------------------------------------

#[test]
fn pre_commit_hook_says_one_line_when_the_commit_passes() {
    let s = Sandbox::git_repo();
    s.vigil(&["hook", "install"]).expect(0);
    Ca::new().write(&s);
    s.git_ok(&["add", "-A"]);
    s.vigil(&["approve", "server"]).expect(0);
    s.git_ok(&["add", "-A"]);
    let r = s.commit("first", &[]).expect(0);
    let all = r.all();
    let hook_lines: Vec<&str> = all.lines().filter(|l| l.starts_with("vigil")).collect();
    assert_eq!(
        hook_lines,
        ["vigil: ok: the staged commit passes: 1 profile, 2 components checked"],
        "{all}"
    );
    assert!(
        !all.contains("FAILED") && !all.contains("via declared"),
        "{all}"
    );

    // Two-step approval: a stale component is a warning in the hook; the commit passes, and the
    // warning is shown above the line.
    s.file(
        "vigil.toml",
        &format!(
            "{}\n[severity.hook]\nstale = \"warning\"\n",
            Ca::new().config()
        ),
    );
    s.vigil(&["approve", "server"]).expect(0);
    s.commit_all("two-step approval");
    s.file("validity/398.cnf", "default_days = 200\n");
    s.git_ok(&["add", "-A"]);
    let r = s
        .commit("shorter validity, approval to follow", &[])
        .expect(0);
    let out = r.all();
    assert!(
        out.contains("warning: server: stale validity/398.cnf: changed since approval"),
        "{out}"
    );
    assert!(
        out.contains("vigil: ok: the staged commit passes: 1 profile, 2 components checked (1 finding above)"),
        "{out}"
    );

    // A failing commit still gets the whole report.
    s.file("validity/398.cnf", "default_days = 100\n");
    s.file(
        "profiles/server.cnf",
        ".include validity/398.cnf\n.include new.cnf\n",
    );
    s.file("new.cnf", "x = 1\n");
    s.git_ok(&["add", "profiles", "validity"]);
    let r = s.commit("references an unstaged file", &[]).expect(1);
    assert!(r.all().contains("FAILED"), "{}", r.all());
    assert!(r.all().contains("untracked"), "{}", r.all());
}

// --- progress ------------------------------------------------------------------------------------

#[test]
fn progress_shows_on_a_terminal_only_for_runs_longer_than_a_second_and_is_cleared() {
    let s = Sandbox::git_repo();
    s.file("vigil.toml", "[profiles.p]\ncomponents = [\"data/*\"]\n");
    for i in 1..=5 {
        s.file(&format!("data/b{i}.cnf"), "x\n");
    }
    // A quick run on a terminal: no progress line.
    let quick = vigil_tty(&s, "check", &[]).expect(1);
    assert!(!quick.stdout.contains("hashing:"), "{:?}", quick.stdout);
    // Hashing 4 GiB (sparse, so it takes no disk) takes longer than a second; the files after it are
    // hashed with the progress line up, which is cleared before the report. (Piped output never
    // shows it: nightly::piped_output_has_no_progress_and_no_control_characters.)
    s.sparse("data/a.bin", 4 << 30);
    let slow = vigil_tty(&s, "check", &[]).expect(1);
    let out = &slow.stdout;
    let shown = out
        .find("hashing: ")
        .unwrap_or_else(|| panic!("no progress: {out:?}"));
    let report = out.find("vigil: working tree").unwrap();
    assert!(shown < report, "{out:?}");
    assert!(
        out[shown..report].contains("\r\x1b[2K"),
        "not cleared: {out:?}"
    );
}
