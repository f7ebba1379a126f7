//! The canonical signed message of an approval: the bytes an approver's SSH key signs.
//!
//! The message is built from the parsed manifest, never from its TOML text, so that reformatting the
//! file, reordering its tables or a newer vigil writing a different `vigil-version` leaves every
//! signature valid, while any change to what was approved invalidates all of them.
//!
//! # Format, version 1
//!
//! UTF-8 text, one field per line, each line `KEY VALUE` ended by `\n` (no `\r`), in this order:
//!
//! ```text
//! vigil-approval-message 1
//! profile "ca-issuing"
//! approved-by "Alice <alice@example.org>"
//! approved-at "2026-11-29T15:00:00Z"
//! reason "annual key rollover"                       (only when the manifest has a reason)
//! revision "git" "3f2a…" false                       (vcs, id or null, local changes)
//! component "file" 1234 "af13…" "ca/issuing.cnf"     (kind, size, BLAKE3, path; sorted by path bytes)
//! satisfies "cabf-tls-br/sc62-review" "2026-11-29T15:00:00Z" "Alice <alice@example.org>"
//!                                                    (the component's `[[component.satisfies]]`
//!                                                     records, under it, sorted by id then time)
//! component "symlink" 9 "77e0…" "ca/current" "issuing.cnf"   (a symlink adds its target)
//! end 2
//! ```
//!
//! Every free-text value (profile, approver, time, reason, ids, paths in their escaped form, targets)
//! is a JSON string literal, so that a newline or a quote inside a value cannot forge another line.
//! `end` carries the number of `component` lines, so that a truncated message never verifies. Not
//! signed: `manifest-version` and `vigil-version` (they describe the file, not the approval) and the
//! `[[signature]]` tables themselves (so that a co-signature is added without touching the others).
//!
//! The message is what `ssh-keygen -Y verify -n vigil-approval` checks a vigil signature against, so an
//! auditor can reproduce it and check a signature with OpenSSH alone.

use crate::manifest::Manifest;
use std::fmt::Write as _;

/// The version of the message format this build writes and verifies (the first line of the message).
pub const MESSAGE_VERSION: u32 = 1;

/// Builds the canonical message of an approval: the manifest's content, with the requirements each
/// component was reviewed against. Pure and deterministic: the order of the components and of their
/// review records in the input does not matter.
pub fn canonical_message(manifest: &Manifest) -> Vec<u8> {
    let mut out = String::new();
    let _ = writeln!(out, "vigil-approval-message {MESSAGE_VERSION}");
    let _ = writeln!(out, "profile {}", quote(&manifest.profile));
    let _ = writeln!(out, "approved-by {}", quote(&manifest.approved_by));
    let _ = writeln!(out, "approved-at {}", quote(&manifest.approved_at));
    if let Some(reason) = &manifest.reason {
        let _ = writeln!(out, "reason {}", quote(reason));
    }
    let rev = &manifest.revision;
    let _ = writeln!(
        out,
        "revision {} {} {}",
        quote(&rev.vcs),
        rev.id.as_deref().map_or_else(|| "null".to_string(), quote),
        rev.local_changes
    );
    let mut components: Vec<_> = manifest.components.iter().collect();
    // Sorted by the path's bytes, the order `Manifest::to_toml` writes, whatever order the file had.
    components.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    for c in &components {
        let _ = write!(
            out,
            "component {} {} {} {}",
            quote(c.kind.as_str()),
            c.size,
            quote(&c.blake3),
            quote(&c.path.escaped())
        );
        if let Some(t) = &c.target {
            let _ = write!(out, " {}", quote(t));
        }
        out.push('\n');
        let mut reviews: Vec<_> = c.satisfies.iter().collect();
        reviews.sort_by(|a, b| (&a.requirement, &a.at, &a.by).cmp(&(&b.requirement, &b.at, &b.by)));
        for r in reviews {
            let _ = writeln!(
                out,
                "satisfies {} {} {}",
                quote(&r.requirement),
                quote(&r.at),
                quote(&r.by)
            );
        }
    }
    let _ = writeln!(out, "end {}", components.len());
    out.into_bytes()
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tests::sample;
    use crate::manifest::EntryKind;
    use crate::path::WsPath;
    use std::path::Path;

    #[test]
    fn exact_bytes_of_version_one() {
        let m = canonical_message(&sample());
        let (z, a) = ("00ff".repeat(16), "11ee".repeat(16));
        assert_eq!(
            String::from_utf8(m).unwrap(),
            format!(
                "vigil-approval-message 1\n\
             profile \"ca\"\n\
             approved-by \"Alice <alice@example.org>\"\n\
             approved-at \"2026-11-29T15:00:00Z\"\n\
             reason \"line one\\nprofile \\\"forged\\\"\"\n\
             revision \"git\" \"abc123\" false\n\
             component \"symlink\" 5 \"{a}\" \"a\\\\xff\" \"z.cnf\"\n\
             component \"file\" 3 \"{z}\" \"z.cnf\"\n\
             satisfies \"R-2\" \"2026-11-29T15:00:00Z\" \"Alice <alice@example.org>\"\n\
             end 2\n"
            )
        );
    }

    #[test]
    fn independent_of_toml_formatting_and_order() {
        let m = sample();
        let reference = canonical_message(&m);
        // Reordered tables, other whitespace, another writer version: same message.
        let text = m
            .to_toml()
            .replace("vigil-version = \"0.1.0\"", "vigil-version   =   \"9.9.9\"");
        let mut back = Manifest::parse(Path::new("m.toml"), &text).unwrap();
        back.components.reverse();
        assert_eq!(canonical_message(&back), reference);
    }

    #[test]
    fn every_approved_field_changes_the_message() {
        let reference = canonical_message(&sample());
        let edits: &[fn(&mut Manifest)] = &[
            |m| m.profile = "cb".into(),
            |m| m.approved_by = "Mallory".into(),
            |m| m.approved_at = "2026-11-29T15:00:01Z".into(),
            |m| m.reason = None,
            |m| m.revision.id = None,
            |m| m.revision.local_changes = true,
            |m| m.components[0].blake3 = "00fe".repeat(16),
            |m| m.components[0].size = 4,
            |m| m.components[0].kind = EntryKind::Executable,
            |m| m.components[1].target = Some("y.cnf".into()),
            |m| m.components[0].path = WsPath::from_normal_bytes(b"y.cnf"),
            |m| {
                m.components.pop();
            },
            |m| m.components[0].satisfies[0].requirement = "R-3".into(),
            |m| m.components[0].satisfies[0].at = "2026-11-29T15:00:01Z".into(),
            |m| m.components[0].satisfies.clear(),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut m = sample();
            edit(&mut m);
            assert_ne!(canonical_message(&m), reference, "edit {i}");
        }
    }
}
