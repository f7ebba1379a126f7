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
    for (name, text) in crate::schema::all() {
        match &a.write {
            Some(dir) => {
                // `--write` takes a folder: say so of a file or device rather than "File exists".
                if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
                    return Err(crate::Error::Usage(format!(
                        "--write {}: not a folder; --write takes the folder to write the schema \
                         files into",
                        dir.display()
                    ))
                    .into());
                }
                std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
                let file = dir.join(name);
                crate::manifest::write_atomic(&file, text.as_bytes())
                    .map_err(|e| crate::Error::write(&file, e))?;
            }
            None => emit(format!("// {name}\n{text}").as_bytes())?,
        }
    }
    Ok(Exit::Ok)
}
