//! The rule that clears a change without checking ([`crate::staged::cannot_affect`]), over lists
//! of changes as either hook builds them, and an in-memory workspace holding the manifests.

use crate::staged::{cannot_affect, Kind, PathChange};
use crate::testing::ca::{self, CONFIG};
use crate::testing::{config, MemSource};

fn modified(path: &str) -> PathChange {
    PathChange {
        path: path.as_bytes().to_vec(),
        old: Kind::File,
        new: Kind::File,
    }
}

fn change(path: &str, old: Kind, new: Kind) -> PathChange {
    PathChange {
        path: path.as_bytes().to_vec(),
        old,
        new,
    }
}

fn clears(changes: &[PathChange]) -> bool {
    cannot_affect(changes, &config(CONFIG), &ca::approved())
}

#[test]
fn files_modified_in_place_away_from_every_profile_are_cleared() {
    assert!(clears(&[]));
    assert!(clears(&[modified("README"), modified("docs/notes.txt")]));
    assert!(clears(&[change(
        "bin/run",
        Kind::Executable,
        Kind::Executable
    )]));
}

#[test]
fn a_component_a_file_beside_one_or_under_a_declared_pattern_is_in_doubt() {
    // The included component (the 2020 incident's shape), the declared one, a file beside one.
    assert!(!clears(&[modified("README"), modified("validity/398.cnf")]));
    assert!(!clears(&[modified("profiles/server.cnf")]));
    assert!(!clears(&[modified("validity/notes.txt")]));
    // A folder declared by pattern: anything below its literal start.
    let cfg = config("[profiles.p]\ncomponents = [\"conf/**/*.cnf\"]\n");
    let src = MemSource::new().file(
        "approved/p.toml",
        crate::testing::manifest_text("p", Some("c0ffee"), &[]),
    );
    assert!(cannot_affect(&[modified("README")], &cfg, &src));
    assert!(!cannot_affect(&[modified("conf/x/readme.txt")], &cfg, &src));
}

#[test]
fn anything_but_an_in_place_edit_is_in_doubt() {
    for (old, new) in [
        (Kind::Absent, Kind::File),
        (Kind::File, Kind::Absent),
        (Kind::File, Kind::Executable),
        (Kind::File, Kind::Other),
        (Kind::Other, Kind::Other),
    ] {
        assert!(!clears(&[change("README", old, new)]), "{old:?} → {new:?}");
    }
    assert!(!clears(&[modified("../outside")]));
}

#[test]
fn the_configuration_the_approvals_and_the_trust_file_are_in_doubt() {
    assert!(!clears(&[modified("vigil.toml")]));
    assert!(!clears(&[modified(ca::MANIFEST)]));
    assert!(!clears(&[modified("approved/notes.txt")]));
    let signed = format!("[signing]\nallowed-signers = \"keys/allowed_signers\"\n\n{CONFIG}");
    let cfg = config(&signed);
    assert!(cannot_affect(&[modified("README")], &cfg, &ca::approved()));
    assert!(!cannot_affect(
        &[modified("keys/allowed_signers")],
        &cfg,
        &ca::approved()
    ));
}

#[test]
fn a_profile_without_a_manifest_is_in_doubt() {
    assert!(!cannot_affect(
        &[modified("README")],
        &config(CONFIG),
        &ca::unapproved()
    ));
}

#[test]
fn a_configuration_that_lets_components_go_unapproved_is_in_doubt() {
    let lax = format!("{CONFIG}\n[severity.hook]\nunapproved = \"warning\"\n");
    assert!(!cannot_affect(
        &[modified("README")],
        &config(&lax),
        &ca::approved()
    ));
    // Identical trees stay identical.
    assert!(cannot_affect(&[], &config(&lax), &ca::approved()));
    // Only the hook's own severity counts.
    let nightly = format!("{CONFIG}\n[severity.nightly]\nunapproved = \"warning\"\n");
    assert!(cannot_affect(
        &[modified("README")],
        &config(&nightly),
        &ca::approved()
    ));
}
