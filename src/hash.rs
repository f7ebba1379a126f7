//! BLAKE3 hashing of components, streamed so that a large file is never held in memory whole; digests
//! are 32-byte values on the hot paths and hex only where they are written out (manifests, reports).

use std::fmt;
use std::io::{self, Read};

/// A BLAKE3 digest. `Display` writes the 64 lowercase hex digits that manifests and reports carry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Parses 64 lowercase hex digits, the form manifests hold; `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Digest> {
        let b = text.as_bytes();
        if b.len() != 64 || b.iter().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Digest(out))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl From<blake3::Hash> for Digest {
    fn from(h: blake3::Hash) -> Digest {
        Digest(*h.as_bytes())
    }
}

/// Chunk size of a streamed read. Above it, a chunk is hashed with BLAKE3's own parallelism (the
/// tree mode spreads one input over every core); below it, threading costs more than it gains.
const CHUNK: usize = 1024 * 1024;

/// Hashes everything a reader yields, 1 MiB at a time; a full chunk is hashed on every core.
pub fn digest_reader(mut reader: impl Read) -> io::Result<Digest> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = fill(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        if n == CHUNK {
            hasher.update_rayon(&buf[..n]);
        } else {
            hasher.update(&buf[..n]);
        }
        if n == buf.len() && buf.len() < CHUNK {
            // A large file: grow the buffer once, so the rest goes in chunks worth splitting.
            buf.resize(CHUNK, 0);
        }
    }
    Ok(hasher.finalize().into())
}

/// Reads until `buf` is full or the reader ends; returns how many bytes it holds.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Hashes bytes already in memory.
pub fn digest_bytes(bytes: &[u8]) -> Digest {
    blake3::hash(bytes).into()
}

/// Hashes bytes already in memory, as hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    digest_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_matches_one_shot() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            digest_reader(&data[..]).unwrap().to_string(),
            hash_bytes(&data)
        );
        // The BLAKE3 of the empty input, from the reference implementation.
        assert_eq!(
            hash_bytes(b""),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn large_input_hashed_in_parallel_chunks_matches_one_shot() {
        // Three full chunks and a tail: the parallel path and the plain path agree.
        let data: Vec<u8> = (0..(3 * CHUNK + 12_345) as u32)
            .map(|i| (i % 253) as u8)
            .collect();
        assert_eq!(digest_reader(&data[..]).unwrap(), digest_bytes(&data));
    }

    #[test]
    fn digest_hex_round_trips_and_rejects_bad_text() {
        let d = digest_bytes(b"vigil");
        assert_eq!(Digest::from_hex(&d.to_string()), Some(d));
        assert_eq!(Digest::from_hex(&d.to_string().to_uppercase()), None);
        assert_eq!(Digest::from_hex("abc"), None);
        assert_eq!(Digest::from_hex(&"g".repeat(64)), None);
    }
}
