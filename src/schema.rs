//! JSON Schemas of the public formats, generated from the Rust types so they cannot drift from the code.
//! `cargo run -- schema --write schema/` regenerates `schema/`; a test fails when the committed files differ.

use schemars::schema_for;

/// Every schema: (file name, pretty JSON ending in a newline).
pub fn all() -> Vec<(&'static str, String)> {
    let render = |s: schemars::Schema| {
        let mut t = serde_json::to_string_pretty(&s).expect("schemas serialise");
        t.push('\n');
        t
    };
    vec![
        (
            "vigil.toml.schema.json",
            render(schema_for!(crate::config::RawConfig)),
        ),
        (
            "manifest.schema.json",
            render(schema_for!(crate::manifest::Manifest)),
        ),
        (
            "report.schema.json",
            render(schema_for!(crate::report::json::JsonReport)),
        ),
        (
            "inventory.schema.json",
            render(schema_for!(crate::report::json::JsonInventory)),
        ),
        (
            "gate.schema.json",
            render(schema_for!(crate::report::gate_json::JsonGate)),
        ),
        (
            "requirements.schema.json",
            render(schema_for!(crate::report::requirements::RequirementsReport)),
        ),
        (
            "bundle.schema.json",
            render(schema_for!(crate::bundle::Bundle)),
        ),
    ]
}
