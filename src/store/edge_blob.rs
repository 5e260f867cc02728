//! The encoding of a cached file's edges in the `read_cache.edges` column (schema 3): one
//! value per file, written and read in one statement, instead of one row per edge.
//!
//! ```text
//! "LTE1"                                 magic and version
//! names:  n, then n times (len, UTF-8 bytes)
//! edges:  m, then m times (principal, resource, action, count, first_seen, last_seen, line)
//! ```
//!
//! Every number is an unsigned LEB128 varint; `principal` and `resource` index `names`;
//! `action` is 0 (read) or 1 (write); the two times are nanoseconds since the epoch,
//! zigzag-encoded because they are signed. A blob that does not decode to the end exactly
//! (damaged, cut short, another version) is no cache: `decode` returns `None`.

use crate::config::Action;
use crate::ingest::cache::{CachedEdge, CachedEdges};
use crate::time::Timestamp;

const MAGIC: &[u8; 4] = b"LTE1";

pub fn encode(edges: &CachedEdges) -> Vec<u8> {
    let names = edges.names();
    let name_bytes: usize = names.iter().map(String::len).sum();
    let mut out = Vec::with_capacity(16 + name_bytes + 2 * names.len() + 24 * edges.edges().len());
    out.extend_from_slice(MAGIC);
    put(&mut out, names.len() as u64);
    for name in names {
        put(&mut out, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
    }
    put(&mut out, edges.edges().len() as u64);
    for e in edges.edges() {
        put(&mut out, u64::from(e.principal));
        put(&mut out, u64::from(e.resource));
        out.push(match e.action {
            Action::Read => 0,
            Action::Write => 1,
        });
        put(&mut out, e.count);
        put(&mut out, zigzag(e.first_seen.0));
        put(&mut out, zigzag(e.last_seen.0));
        put(&mut out, e.line);
    }
    out
}

pub fn decode(blob: &[u8]) -> Option<CachedEdges> {
    let mut r = Reader { rest: blob };
    if r.bytes(MAGIC.len())? != MAGIC {
        return None;
    }
    // Lengths are checked against the bytes left before anything is allocated for them, so
    // that a damaged count cannot ask for gigabytes.
    let n = r.len(1)?;
    let mut names = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.len(1)?;
        names.push(std::str::from_utf8(r.bytes(len)?).ok()?.to_string());
    }
    // An edge takes at least 7 bytes.
    let m = r.len(7)?;
    let mut edges = Vec::with_capacity(m);
    for _ in 0..m {
        edges.push(CachedEdge {
            principal: u32::try_from(r.varint()?).ok()?,
            resource: u32::try_from(r.varint()?).ok()?,
            action: match r.bytes(1)? {
                [0] => Action::Read,
                [1] => Action::Write,
                _ => return None,
            },
            count: r.varint()?,
            first_seen: Timestamp(unzigzag(r.varint()?)),
            last_seen: Timestamp(unzigzag(r.varint()?)),
            line: r.varint()?,
        });
    }
    if !r.rest.is_empty() {
        return None;
    }
    CachedEdges::from_parts(names, edges)
}

fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.rest.len() {
            return None;
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(taken)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first()?;
            self.rest = rest;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A count of items that take at least `min_bytes` each, if that many bytes are left.
    fn len(&mut self, min_bytes: usize) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n.checked_mul(min_bytes)? <= self.rest.len()).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ObservedEdges;
    use crate::ingest::cache::CachedRead;

    fn sample() -> CachedEdges {
        let names = vec!["svc:a".to_string(), "t1".to_string(), "é/δ".to_string()];
        let edge = |principal, resource, action, first: i64| CachedEdge {
            principal,
            resource,
            action,
            count: 3,
            first_seen: Timestamp(first),
            last_seen: Timestamp(first.saturating_add(1)),
            line: 1 << 40,
        };
        let edges = vec![
            edge(0, 1, Action::Read, 1_700_000_000_000_000_000),
            edge(0, 2, Action::Write, -5),
            edge(2, 1, Action::Read, i64::MIN),
            edge(1, 1, Action::Write, i64::MAX - 1),
        ];
        CachedEdges::from_parts(names, edges).unwrap()
    }

    #[test]
    fn round_trips() {
        let edges = sample();
        assert_eq!(decode(&encode(&edges)), Some(edges));
        let empty = CachedEdges::default();
        assert_eq!(decode(&encode(&empty)), Some(empty));
    }

    #[test]
    fn round_trips_what_a_read_gave() {
        let mut observed = ObservedEdges::default();
        for i in 0..200u64 {
            let principal = format!("svc:p{}", i % 7);
            let resource = format!("t{}", i % 13);
            let action = if i % 3 == 0 {
                Action::Write
            } else {
                Action::Read
            };
            let t = Timestamp(i as i64 * 1_000);
            observed.add(&principal, &resource, action, 1, t, t, 0, i + 1);
        }
        let read = CachedRead::new(
            "logs/a.jsonl",
            String::new(),
            crate::ingest::cache::FileState {
                size: 0,
                mtime_ns: 0,
                head_hash: String::new(),
            },
            crate::ingest::pipeline::Resume {
                offset: 0,
                lines: 0,
                hash: crate::ingest::digest::HashState {
                    accumulator: 0,
                    whole_blocks: 0,
                },
            },
            crate::ingest::FileDigest::of_bytes(b""),
            crate::ingest::LogStats::default(),
            &observed,
        );
        let decoded = decode(&encode(&read.edges)).unwrap();
        assert_eq!(decoded, read.edges);
        assert_eq!(read.edges_of(0).sorted(), observed.sorted());
    }

    #[test]
    fn damaged_blobs_are_no_cache() {
        let blob = encode(&sample());
        // Cut anywhere, or one byte more: never a panic, never a wrong cache.
        for len in 0..blob.len() {
            assert_eq!(decode(&blob[..len]), None, "cut at {len}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // Any single byte changed either fails or decodes to something well-formed.
        for i in 0..blob.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = blob.clone();
                damaged[i] ^= flip;
                if let Some(edges) = decode(&damaged) {
                    assert!(
                        edges
                            .edges()
                            .iter()
                            .all(|e| (e.principal as usize) < edges.names().len())
                    );
                }
            }
        }
        // A count that claims more than the bytes hold, and an index past the names.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&huge), None);
        let mut bad_index = MAGIC.to_vec();
        bad_index.extend_from_slice(&[0, 1, 5, 5, 0, 1, 0, 0, 1]);
        assert_eq!(decode(&bad_index), None);
        assert_eq!(decode(b"LTE2"), None);
        assert_eq!(decode(b""), None);
    }

    #[test]
    fn varints_reject_overlong_values() {
        let mut out = Vec::new();
        put(&mut out, u64::MAX);
        assert_eq!(Reader { rest: &out }.varint(), Some(u64::MAX));
        let too_big = [0xff; 9]
            .iter()
            .chain(&[0x02])
            .copied()
            .collect::<Vec<u8>>();
        assert_eq!(Reader { rest: &too_big }.varint(), None);
        let endless = [0x80; 11];
        assert_eq!(Reader { rest: &endless }.varint(), None);
        for v in [0i64, 1, -1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
