//! What identifies an input file's content: its size and a hash of its bytes as stored.
//!
//! The hash is XXH3-128 over 1 MiB blocks, chained: each block's hash is folded into an
//! accumulator, and the last (partial) block and the size close it. It is no cryptographic
//! hash (lintage compares inputs, it does not authenticate them), it runs at memory speed
//! where SHA-256 cost a core-second per gigabyte, and it can be resumed: the state after the
//! last whole block is two numbers, so a log that grew is hashed from there on, not again
//! from its start.

use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// Bytes per hashed block.
pub const HASH_BLOCK: u64 = 1 << 20;

/// The prefix naming the hash in stored and printed digests.
const HASH_NAME: &str = "xxh3-128-chain";

/// A file's size and content hash (`xxh3-128-chain:HEX`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub hash: String,
}

impl FileDigest {
    pub fn of_bytes(bytes: &[u8]) -> FileDigest {
        let mut hasher = ContentHasher::default();
        hasher.update(bytes);
        hasher.finish()
    }
}

/// Where a content hash stands after its last whole block: enough to go on hashing a file
/// that grew, from byte `whole_blocks * HASH_BLOCK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashState {
    pub accumulator: u128,
    pub whole_blocks: u64,
}

/// Hashes bytes as they stream past.
pub struct ContentHasher {
    accumulator: u128,
    whole_blocks: u64,
    block: Xxh3,
    in_block: u64,
}

impl Default for ContentHasher {
    fn default() -> ContentHasher {
        ContentHasher::resume(HashState {
            accumulator: 0,
            whole_blocks: 0,
        })
    }
}

impl ContentHasher {
    /// Goes on from `state`; feed it the file from byte `state.whole_blocks * HASH_BLOCK`.
    pub fn resume(state: HashState) -> ContentHasher {
        ContentHasher {
            accumulator: state.accumulator,
            whole_blocks: state.whole_blocks,
            block: Xxh3::new(),
            in_block: 0,
        }
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = (HASH_BLOCK - self.in_block) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.block.update(now);
            self.in_block += now.len() as u64;
            bytes = rest;
            if self.in_block == HASH_BLOCK {
                self.accumulator = fold(self.accumulator, self.block.digest128());
                self.block.reset();
                self.in_block = 0;
                self.whole_blocks += 1;
            }
        }
    }

    /// The state after the last whole block.
    pub fn state(&self) -> HashState {
        HashState {
            accumulator: self.accumulator,
            whole_blocks: self.whole_blocks,
        }
    }

    pub fn size(&self) -> u64 {
        self.whole_blocks * HASH_BLOCK + self.in_block
    }

    pub fn finish(&self) -> FileDigest {
        let size = self.size();
        let mut closing = [0u8; 40];
        closing[..16].copy_from_slice(&self.accumulator.to_le_bytes());
        closing[16..32].copy_from_slice(&self.block.digest128().to_le_bytes());
        closing[32..].copy_from_slice(&size.to_le_bytes());
        FileDigest {
            size,
            hash: format!("{HASH_NAME}:{:032x}", xxh3_128(&closing)),
        }
    }
}

fn fold(accumulator: u128, block: u128) -> u128 {
    let mut both = [0u8; 32];
    both[..16].copy_from_slice(&accumulator.to_le_bytes());
    both[16..].copy_from_slice(&block.to_le_bytes());
    xxh3_128(&both)
}

/// Passes bytes through while hashing them.
pub struct Hashing<'a, R> {
    pub inner: R,
    pub hasher: &'a mut ContentHasher,
}

impl<R: std::io::Read> std::io::Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn the_hash_does_not_depend_on_how_the_bytes_arrive() {
        let data = bytes(3 * HASH_BLOCK as usize + 12_345);
        let whole = FileDigest::of_bytes(&data);
        let mut pieces = ContentHasher::default();
        for piece in data.chunks(7_777) {
            pieces.update(piece);
        }
        assert_eq!(pieces.finish(), whole);
        assert_eq!(whole.size, data.len() as u64);
        assert!(whole.hash.starts_with("xxh3-128-chain:"));
        assert_ne!(FileDigest::of_bytes(&data[1..]), whole);
        assert_ne!(FileDigest::of_bytes(b""), FileDigest::of_bytes(b"\0"));
    }

    #[test]
    fn a_file_that_grew_is_hashed_on_from_its_last_whole_block() {
        let data = bytes(2 * HASH_BLOCK as usize + 999);
        let mut first = ContentHasher::default();
        first.update(&data[..HASH_BLOCK as usize + 5]);
        let state = first.state();
        assert_eq!(state.whole_blocks, 1);
        let mut resumed = ContentHasher::resume(state);
        resumed.update(&data[(state.whole_blocks * HASH_BLOCK) as usize..]);
        assert_eq!(resumed.finish(), FileDigest::of_bytes(&data));
    }
}
