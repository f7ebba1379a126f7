//! `vigil schema`: print or write the JSON Schemas.

use super::{emit, Exit, Outcome};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write every schema into this folder instead of printing them.
    #[arg(long, value_name = "DIR")]
    write: Option<PathBuf>,
}

pub fn run(a: Args) -> Outcome {
    for (name, text) in vigil::schema::all() {
        match &a.write {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| vigil::Error::io(dir, e))?;
                let file = dir.join(name);
                vigil::manifest::write_atomic(&file, text.as_bytes())
                    .map_err(|e| vigil::Error::write(&file, e))?;
            }
            None => emit(format!("// {name}\n{text}").as_bytes())?,
        }
    }
    Ok(Exit::Ok)
}
