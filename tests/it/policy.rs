//! Policy: severities per mode, and the two approval workflows they make possible.
//!
//! The hooks themselves are tested with real commits elsewhere; here each mode is run as
//! `vigil check --mode hook|nightly` and `vigil gate` over the committed result.

use crate::nightly::approved_ca;
use crate::support::Sandbox;
use vigil::Code;
use vigil::Mode;

/// The default severities, per mode, as the README's policy table shows them.
#[test]
fn default_severities_per_mode() {
    let mut table = String::from("| code | hook | nightly | gate |\n|---|---|---|---|\n");
    for code in Code::ALL {
        table.push_str(&format!(
            "| `{code}` | {} | {} | {} |\n",
            code.default_severity(Mode::Hook),
            code.default_severity(Mode::Nightly),
            code.default_severity(Mode::Gate)
        ));
    }
    insta::assert_snapshot!("default_severities", table);
}

fn modes(s: &Sandbox) -> (i32, i32, i32) {
    (
        s.vigil(&["check", "--mode", "hook"]).code,
        s.vigil(&["check", "--mode", "nightly"]).code,
        s.vigil(&["gate", "server"]).code,
    )
}

/// One commit (the default): a change committed without its approval fails every mode, the hooks
/// included; the change and its approval committed together pass everywhere.
#[test]
fn one_commit_workflow() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file("validity/398.cnf", "default_days = 396\n");
    s.commit_all("change without approval (the hook was bypassed)");
    let hook = s
        .vigil(&["check", "--mode", "hook", "--format", "json"])
        .expect(1);
    assert_eq!(hook.finding_codes(), ["stale validity/398.cnf"]);
    assert_eq!(hook.json()["findings"][0]["severity"], "error");
    assert_eq!(modes(&s), (1, 1, 1));

    // The right way: change, approve, commit both together.
    s.file("validity/398.cnf", "default_days = 395\n");
    s.vigil(&["approve", "server", "--reason", "CHG-2: 395 days"])
        .expect(0);
    s.commit_all("validity 395 days, approved");
    assert_eq!(modes(&s), (0, 0, 0));
}

/// Two steps: `[severity.hook] stale = "warning"` lets one person commit the change; the nightly run
/// and the gate fail until another person reviews and approves it.
#[test]
fn two_step_workflow() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file(
        "vigil.toml",
        &format!(
            "[severity.hook]\nstale = \"warning\"\n\n{}",
            s.read("vigil.toml")
        ),
    );
    s.commit_all("two-step approvals");
    assert_eq!(modes(&s), (0, 0, 0));

    // Step one: the change is committed; the hook lets it through with a warning.
    s.file("validity/398.cnf", "default_days = 396\n");
    s.commit_all("validity 396 days");
    let hook = s
        .vigil(&["check", "--mode", "hook", "--format", "json"])
        .expect(0);
    assert_eq!(hook.finding_codes(), ["stale validity/398.cnf"]);
    assert_eq!(hook.json()["findings"][0]["severity"], "warning");
    let nightly = s
        .vigil(&["check", "--mode", "nightly", "--format", "json"])
        .expect(1);
    assert_eq!(nightly.json()["findings"][0]["severity"], "error");
    let gate = s.vigil(&["gate", "server"]).expect(1);
    assert!(gate.stdout.contains("error   stale"), "{}", gate.stdout);
    assert_eq!(modes(&s), (0, 1, 1));

    // Step two: someone else reviews the diff and approves.
    let diff = s.vigil(&["diff", "server"]).expect(0);
    assert!(
        diff.stdout.contains("+default_days = 396"),
        "{}",
        diff.stdout
    );
    s.vigil(&[
        "approve",
        "server",
        "--by",
        "Bob Reviewer <bob@ca.example>",
        "--reason",
        "CHG-3 reviewed",
    ])
    .expect(0);
    s.commit_all("approve validity 396 days");
    assert_eq!(modes(&s), (0, 0, 0));
    let gate = s.vigil(&["gate", "server"]).expect(0);
    assert!(
        gate.stdout
            .contains("approved by: Bob Reviewer <bob@ca.example>"),
        "{}",
        gate.stdout
    );
    assert!(gate.stdout.contains("reason:      CHG-3 reviewed"));
}

/// Relaxing a code for the hooks never relaxes it for the nightly run or the gate.
#[test]
fn modes_are_independent() {
    let s = Sandbox::git_repo();
    approved_ca(&s);
    s.file(
        "vigil.toml",
        &format!(
            "[severity.hook]\nstale = \"off\"\n[severity.nightly]\nstale = \"note\"\n\n{}",
            s.read("vigil.toml")
        ),
    );
    s.file("validity/398.cnf", "default_days = 1\n");
    s.commit_all("relaxed");
    let hook = s.vigil(&["check", "--mode", "hook", "--format", "json"]);
    assert_eq!(hook.code, 0);
    assert!(hook.finding_codes().is_empty());
    let nightly = s.vigil(&["check", "--format", "json"]).expect(0);
    assert_eq!(nightly.json()["findings"][0]["severity"], "note");
    s.vigil(&["gate", "server"]).expect(1);
}
