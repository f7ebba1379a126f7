//! `vigil completions`: each script is loaded by the real shell, which must complete `vigil ch` to
//! `check`. A shell that is missing fails the test with the Debian package to install.

use crate::support::{run_bounded, Run, Sandbox};
use std::path::Path;
use std::process::{Command, Stdio};

/// Fails the test, naming the package, unless `tool` is on PATH.
#[track_caller]
pub fn need(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is not installed: install the Debian package `{package}` \
         (sudo apt-get install {package}; scripts/test does)"
    );
}

/// Writes `vigil completions SHELL` into `dir/name` and returns its path.
fn script(s: &Sandbox, shell: &str, dir: &Path, name: &str) -> String {
    let r = s.vigil(&["completions", shell]).expect(0);
    assert!(!r.stdout.is_empty(), "empty {shell} completion script");
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, &r.stdout).unwrap();
    file.display().to_string()
}

fn shell(program: &str, args: &[&str], cwd: &Path) -> Run {
    let mut c = Command::new(program);
    c.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .env("HOME", cwd)
        .env("TERM", "dumb");
    run_bounded(c)
}

#[test]
fn bash_completes_the_subcommands() {
    need("bash", "bash");
    let s = Sandbox::plain();
    let file = script(&s, "bash", &s.outside().join("completions"), "vigil.bash");
    // What bash does on `vigil ch<TAB>`: set COMP_WORDS and call the function registered with
    // `complete -F` for vigil, with the command, the current word and the previous one.
    let program = format!(
        "source '{file}' && fn=$(complete -p vigil | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p') && \
         COMP_WORDS=(vigil ch) COMP_CWORD=1 COMP_LINE='vigil ch' COMP_POINT=8 && \
         \"$fn\" vigil ch vigil && printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let r = shell("bash", &["--norc", "--noprofile", "-c", &program], &s.root).expect(0);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        ["check"],
        "{}",
        r.stderr
    );
    // Options after a subcommand come from the same definitions.
    let program = format!(
        "source '{file}' && COMP_WORDS=(vigil check --fo) COMP_CWORD=2 && \
         _vigil vigil --fo check && printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let r = shell("bash", &["--norc", "--noprofile", "-c", &program], &s.root).expect(0);
    assert!(r.stdout.lines().any(|l| l == "--format"), "{}", r.stdout);
}

#[test]
fn fish_completes_the_subcommands() {
    need("fish", "fish");
    let s = Sandbox::plain();
    let file = script(&s, "fish", &s.outside().join("completions"), "vigil.fish");
    let program = format!("source '{file}'; complete -C'vigil ch'");
    let r = shell("fish", &["--no-config", "-c", &program], &s.root).expect(0);
    let words: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(words, ["check"], "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Check profiles"), "{}", r.stdout);
}

/// zsh completes only in its line editor, so the test drives an interactive zsh through a
/// pseudo-terminal (`zsh/zpty`): it types `vigil ch`, TAB, then puts `print -r -- COMPLETED:` in front
/// of the completed line and runs it.
#[test]
fn zsh_completes_the_subcommands() {
    need("zsh", "zsh");
    let s = Sandbox::plain();
    let dir = s.outside().join("zfunc");
    script(&s, "zsh", &dir, "_vigil");
    let driver = format!(
        r#"
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z 'bindkey -e; PS1=""; fpath=({dir} $fpath); autoload -U compinit; compinit -u -D; print -r -- LOADED:${{_comps[vigil]}}:${{+functions[_vigil]}}'
zpty -wn z $'vigil ch\t'
sleep 0.5
zpty -wn z $'\C-aprint -r -- COMPLETED:\n'
out=""
integer i
for i in {{1..100}}; do
  if zpty -r -t z line; then
    out+=$line
    [[ $out == *$'\n'COMPLETED:vigil*$'\n'* ]] && break
  else
    sleep 0.1
  fi
done
zpty -d z
print -r -- $out
"#,
        dir = dir.display()
    );
    let r = shell("zsh", &["-f", "-c", &driver], &s.root).expect(0);
    let lines: Vec<&str> = r.stdout.lines().map(|l| l.trim_end_matches('\r')).collect();
    // compinit registered the script's function for `vigil`, and the function is defined.
    assert!(
        lines.contains(&"LOADED:_vigil:1"),
        "zsh did not register _vigil for vigil:\n{}",
        r.stdout
    );
    assert!(
        lines.contains(&"COMPLETED:vigil check"),
        "zsh did not complete `vigil ch` to `vigil check`:\n{}{}",
        r.stdout,
        r.stderr
    );
}
