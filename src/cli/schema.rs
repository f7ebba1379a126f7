//! `vigil schema`: print or write the JSON Schemas.

use super::{emit, OK};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write every schema into this folder instead of printing them.
    #[arg(long, value_name = "DIR")]
    write: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<i32> {
    for (name, text) in vigil::schema::all() {
        match &a.write {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                vigil::manifest::write_atomic(&dir.join(name), text.as_bytes())?;
            }
            None => emit(format!("// {name}\n{text}").as_bytes())?,
        }
    }
    Ok(OK)
}
