//! BLAKE3 hashing of components, streamed so that a large file is never held in memory whole.

use crate::path::WsPath;
use crate::source::{Kind, Source};
use std::io::{self, Read};

/// The hash of one component, as lowercase hex.
///
/// A regular file hashes its bytes; a symlink hashes its target text (its own content, as git stores it),
/// and its target is inventoried as a component of its own.
pub fn hash_component(source: &dyn Source, path: &WsPath, kind: &Kind) -> io::Result<String> {
    match kind {
        Kind::File | Kind::Executable => {
            let reader = source.open(path)?;
            hash_reader(reader)
        }
        Kind::Symlink(target) => Ok(blake3::hash(target).to_hex().to_string()),
        Kind::Dir | Kind::Special(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file or symlink",
        )),
    }
}

/// Hashes everything a reader yields, 64 KiB at a time.
pub fn hash_reader(mut reader: impl Read) -> io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// Hashes bytes already in memory.
pub fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_matches_one_shot() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(hash_reader(&data[..]).unwrap(), hash_bytes(&data));
        // The BLAKE3 of the empty input, from the reference implementation.
        assert_eq!(
            hash_bytes(b""),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }
}
