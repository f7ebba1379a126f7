//! Attacks through the file system and through text: output files that are not regular files, a
//! configuration that is a FIFO or a device, temporary files left by a killed run, control characters
//! in file names and approvers, an unreadable folder a glob need not enter. Each test is named for the
//! attack it reproduces, over real git repositories.

use crate::support::{run_bounded, vigil_bin, Sandbox};
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::process::Command;
use std::time::{Duration, SystemTime};

/// A committed, approved one-profile workspace.
fn approved() -> Sandbox {
    let s = Sandbox::git_repo();
    s.config(
        r#"
[profiles.server]
components = ["conf/"]
"#,
    )
    .file("conf/server.cnf", "default_days = 397\n");
    s.commit_all("profile");
    s.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve");
    s
}

#[test]
fn check_output_to_a_fifo_is_refused_and_the_fifo_kept() {
    let s = approved();
    s.fifo("report.fifo");
    let r = s.vigil(&["check", "-o", "report.fifo"]).expect(2);
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
    assert!(
        fs::symlink_metadata(s.path("report.fifo"))
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
}

#[test]
fn check_output_through_a_symlink_keeps_the_link() {
    let s = approved();
    fs::write(s.outside().join("real.json"), "old").unwrap();
    std::os::unix::fs::symlink(s.outside().join("real.json"), s.path("report.json")).unwrap();
    s.vigil(&["check", "--format", "json", "-o", "report.json"])
        .expect(0);
    assert!(
        fs::symlink_metadata(s.path("report.json"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a file"
    );
    let written = fs::read_to_string(s.outside().join("real.json")).unwrap();
    assert!(written.contains("\"schema_version\""), "{written}");
}

#[test]
fn gate_output_to_a_character_device_writes_through_it() {
    let s = approved();
    // As root a rename over a device succeeds, so the device lives in the sandbox (the same device
    // as /dev/null); as another user /dev/null itself is safe to use.
    let dev = if Sandbox::is_root() {
        let p = s.outside().join("null");
        let st = Command::new("mknod")
            .arg(&p)
            .args(["c", "1", "3"])
            .status()
            .expect("mknod runs");
        assert!(st.success(), "mknod {}", p.display());
        p
    } else {
        std::path::PathBuf::from("/dev/null")
    };
    let r = s.vigil(&["gate", "server", "--output", dev.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        fs::symlink_metadata(&dev)
            .unwrap()
            .file_type()
            .is_char_device(),
        "the device was replaced"
    );
}

#[test]
fn config_that_is_a_fifo_gets_a_clear_error_instead_of_hanging() {
    let s = approved();
    s.fifo("other/vigil.toml");
    let r = s
        .vigil(&["--config", "other/vigil.toml", "check"])
        .expect(2);
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
    // Found by walking up, too: named for what it is, not "no vigil.toml found".
    let r = s.vigil_in(&s.path("other"), &["check"]).expect(2);
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
    assert!(!r.stderr.contains("no vigil.toml found"), "{}", r.stderr);
}

#[test]
fn config_that_is_dev_zero_is_refused_without_reading_it() {
    let s = approved();
    let (r, kib) = s.vigil_peak_rss(&["--config", "/dev/zero", "check"]);
    let r = r.expect(2);
    assert!(r.stderr.contains("device"), "{}", r.stderr);
    assert!(kib < 200 * 1024, "peak RSS {kib} KiB");
}

#[test]
fn leftover_temp_files_of_a_killed_run_are_not_components_and_are_removed() {
    let s = approved();
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for p in ["conf/.vigil-Ab12Cd.tmp", "approved/.vigil-Ef34Gh.tmp"] {
        s.file(p, "half a manifest");
        fs::File::options()
            .write(true)
            .open(s.path(p))
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    let r = s.check_json().expect(0);
    let components = r.components();
    assert_eq!(components.len(), 1, "{components:?}");
    assert!(components[0].contains("conf/server.cnf"), "{components:?}");
    s.file("conf/server.cnf", "default_days = 396\n");
    s.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    assert!(
        !s.path("approved/.vigil-Ef34Gh.tmp").exists(),
        "the leftover beside the manifest was not removed"
    );
}

#[test]
fn control_characters_in_a_file_name_cannot_forge_an_ok_line() {
    let s = approved();
    s.file("conf/evil\n  ok      everything fine", "x\n");
    let r = s.vigil(&["check"]).expect(1);
    assert!(
        !r.stdout.lines().any(|l| l == "  ok      everything fine"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("conf/evil\\x0a  ok"), "{}", r.stdout);
}

#[test]
fn control_characters_in_approved_by_cannot_forge_report_lines() {
    let s = approved();
    s.file("conf/server.cnf", "default_days = 396\n");
    s.vigil(&["approve", "server", "--by", "Ada\n\nFAILED: nothing\n  ok"])
        .expect(0);
    s.commit_all("approve");
    let r = s.vigil(&["check"]).expect(0);
    assert!(!r.stdout.lines().any(|l| l == "  ok"), "{}", r.stdout);
    let g = s.vigil(&["gate", "server"]).expect(0);
    assert!(
        !g.stdout.lines().any(|l| l.starts_with("FAILED: nothing")),
        "{}",
        g.stdout
    );
    assert!(g.stdout.contains("Ada\\u{a}"), "{}", g.stdout);
}

#[test]
fn glob_does_not_walk_folders_it_cannot_match() {
    let s = Sandbox::git_repo();
    s.config(
        r#"
[profiles.server]
components = ["*.cnf"]
"#,
    )
    .file("server.cnf", "default_days = 397\n")
    .file("private/keys/x", "secret\n");
    s.commit_all("profile");
    s.chmod("private", 0o000);
    // Approval refuses any unreadable component; the check shows what would block it.
    let r = s.vigil_unprivileged(&["check", "--format", "json"]);
    s.chmod("private", 0o755);
    let codes = r.finding_codes();
    assert!(
        !codes.iter().any(|c| c.starts_with("unreadable")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"unapproved approved/server.toml".to_string()),
        "{codes:?}"
    );
}

#[test]
fn component_removed_during_check_is_reported_and_the_run_finishes() {
    // A component that disappears between hashing and the status query: many runs while another
    // thread deletes and restores it. No run may abort with a nameless git error.
    let s = approved();
    for i in 0..40 {
        s.file(&format!("conf/part-{i}.cnf"), "x = 1\n");
    }
    s.commit_all("parts");
    s.vigil(&["approve", "server", "--by", "Ada"]).expect(0);
    s.commit_all("approve parts");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let stop = stop.clone();
        let dir = s.path("conf");
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for i in 0..40 {
                    let p = dir.join(format!("part-{i}.cnf"));
                    let _ = fs::remove_file(&p);
                    let _ = fs::write(&p, "x = 1\n");
                }
            }
        })
    };
    let mut failures = Vec::new();
    for _ in 0..20 {
        let mut c = Command::new(vigil_bin());
        c.args(["check", "--format", "json"]).current_dir(&s.root);
        s.env(&mut c);
        let r = run_bounded(c);
        if r.code == 2 {
            failures.push(r.stderr);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
    assert!(
        failures.is_empty(),
        "runs aborted:\n{}",
        failures.join("\n")
    );
}

#[test]
fn gate_summary_of_an_unreadable_component_does_not_call_it_uncommitted() {
    let s = approved();
    s.fifo("conf/pipe.cnf");
    let r = s.vigil(&["gate", "server"]).expect(1);
    let verified = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("verified:"))
        .unwrap_or_else(|| panic!("no verified line:\n{}", r.stdout));
    assert!(verified.contains("1 could not be read"), "{verified}");
    assert!(
        !verified.contains("not tracked or not committed"),
        "an unreadable component is not an uncommitted one: {verified}"
    );
    assert!(
        r.stdout.contains("unreadable       conf/pipe.cnf"),
        "{}",
        r.stdout
    );
}

#[test]
fn schema_write_to_a_file_or_device_names_the_path() {
    let s = approved();
    for target in [
        std::path::PathBuf::from("/dev/null"),
        s.path("conf/server.cnf"),
    ] {
        let r = s
            .vigil(&["schema", "--write", target.to_str().unwrap()])
            .expect(2);
        assert!(
            r.stderr
                .contains(&format!("{}: not a folder", target.display())),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("File exists"), "{}", r.stderr);
    }
    assert_eq!(s.read("conf/server.cnf"), "default_days = 397\n");
    // A folder that does not exist yet is made.
    s.vigil(&["schema", "--write", "out/schema"]).expect(0);
    assert!(s.path("out/schema/report.schema.json").is_file());
}

#[test]
fn configuration_errors_are_printed_once_in_every_subcommand() {
    let s = Sandbox::git_repo();
    s.file("vigil.toml", "[profiles.p]\ncomponents = 3\n");
    for args in [
        &["inventory"][..],
        &["approve", "p"],
        &["gate", "p"],
        &["diff", "p"],
        &["check"],
    ] {
        let r = s.vigil(args).expect(2);
        assert_eq!(
            r.stderr.matches("invalid type").count(),
            1,
            "{args:?}:\n{}",
            r.stderr
        );
        assert!(
            r.stderr.contains("vigil.toml:2:14"),
            "{args:?}:\n{}",
            r.stderr
        );
    }
}

#[test]
fn text_component_over_16_mib_is_loaded_as_openssl_loads_it() {
    let s = Sandbox::git_repo();
    // Over 16 MiB of comments, then an include: OpenSSL reads the whole file and follows it (the
    // differential test's "file over 16 MiB"), and so does vigil's loader: nothing is passed silently.
    let mut big = "# padding\n".repeat(1_800_000);
    big.push_str(".include hidden.cnf\n");
    s.config("[profiles.p]\ncomponents = [\"big.cnf\"]\nfollow = [\"openssl-include\"]\n")
        .file("big.cnf", &big)
        .file("hidden.cnf", "default_days = 825\n")
        .commit_all("big");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(r.finding_codes(), ["unapproved approved/p.toml"]);
    assert!(
        r.components()
            .iter()
            .any(|c| c.starts_with("p hidden.cnf ") && c.contains("big.cnf:1800001")),
        "{:?}",
        r.components()
    );
    s.vigil(&["approve", "p"]).expect(0);
    assert!(s.read("approved/p.toml").contains("hidden.cnf"));
}
