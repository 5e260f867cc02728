//! The encoding of a cached file's edges in the `read_cache.edges` column (schema 3): one
//! value per file, written and read in one statement, instead of one row per edge. A scan encodes a file's edges as soon as it has
//! read them, which costs less than copying the table for the cache.
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
use crate::ingest::{Observation, ObservedEdges};
use crate::time::Timestamp;

const MAGIC: &[u8; 4] = b"LTE1";

/// The blob of a file's edges; the file each observation names is left out.
pub fn encode(edges: &ObservedEdges) -> Vec<u8> {
    let name_bytes: usize = edges.names().map(str::len).sum();
    let mut out = Vec::with_capacity(16 + name_bytes + 2 * edges.names().len() + 24 * edges.len());
    out.extend_from_slice(MAGIC);
    put(&mut out, edges.names().len() as u64);
    for name in edges.names() {
        put(&mut out, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
    }
    put(&mut out, edges.edge_count() as u64);
    for (principal, resource, action, o) in edges.by_ids() {
        put(&mut out, u64::from(principal));
        put(&mut out, u64::from(resource));
        out.push(match action {
            Action::Read => 0,
            Action::Write => 1,
        });
        put(&mut out, o.count);
        put(&mut out, zigzag(o.first_seen.0));
        put(&mut out, zigzag(o.last_seen.0));
        put(&mut out, o.line);
    }
    out
}

/// The edges of a blob, as observations of file 0; `None` unless the whole blob decodes.
pub fn decode(blob: &[u8]) -> Option<ObservedEdges> {
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
        names.push(std::str::from_utf8(r.bytes(len)?).ok()?);
    }
    // An edge takes at least 7 bytes.
    let m = r.len(7)?;
    let mut decoded = 0;
    let items = (0..m).map_while(|_| {
        let edge = edge(&mut r, names.len());
        decoded += usize::from(edge.is_some());
        edge
    });
    let edges = ObservedEdges::from_distinct(names.iter().copied(), items);
    (decoded == m && r.rest.is_empty()).then_some(edges)
}

/// One edge: (principal, resource, action, observation of file 0), with both names among the
/// first `names`.
fn edge(r: &mut Reader<'_>, names: usize) -> Option<(u32, u32, Action, Observation)> {
    let index = |value: u64| u32::try_from(value).ok().filter(|&i| (i as usize) < names);
    let principal = index(r.varint()?)?;
    let resource = index(r.varint()?)?;
    let action = match r.bytes(1)? {
        [0] => Action::Read,
        [1] => Action::Write,
        _ => return None,
    };
    let observation = Observation {
        count: r.varint()?,
        first_seen: Timestamp(unzigzag(r.varint()?)),
        last_seen: Timestamp(unzigzag(r.varint()?)),
        file: 0,
        line: r.varint()?,
    };
    Some((principal, resource, action, observation))
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
    use crate::ingest::cache::CachedRead;

    fn sample() -> ObservedEdges {
        let mut edges = ObservedEdges::default();
        let mut add = |principal: &str, resource: &str, action, first: i64| {
            let (first, last) = (Timestamp(first), Timestamp(first.saturating_add(1)));
            edges.add(principal, resource, action, 3, first, last, 0, 1 << 40);
        };
        add("svc:a", "t1", Action::Read, 1_700_000_000_000_000_000);
        add("svc:a", "é/δ", Action::Write, -5);
        add("é/δ", "t1", Action::Read, i64::MIN);
        add("t1", "t1", Action::Write, i64::MAX - 1);
        add("svc:a", "t1", Action::Write, 7);
        edges
    }

    #[test]
    fn round_trips() {
        let edges = sample();
        let decoded = decode(&encode(&edges)).unwrap();
        assert_eq!(decoded.sorted(), edges.sorted());
        assert_eq!(
            decoded.names().collect::<Vec<_>>(),
            edges.names().collect::<Vec<_>>()
        );
        let empty = ObservedEdges::default();
        assert_eq!(decode(&encode(&empty)).unwrap().sorted(), empty.sorted());
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
        assert_eq!(read.encoded_edges, encode(&observed));
        assert_eq!(
            decode(&read.encoded_edges).unwrap().sorted(),
            observed.sorted()
        );
        // Given the file's place in a later scan.
        let moved = read.edges_of(3).unwrap().sorted();
        assert!(moved.iter().all(|(_, _, _, o)| o.file == 3));
        assert_eq!(moved.len(), observed.sorted().len());
    }

    #[test]
    fn damaged_blobs_are_no_cache() {
        let blob = encode(&sample());
        // Cut anywhere, or one byte more: never a panic, never a wrong cache.
        for len in 0..blob.len() {
            assert!(decode(&blob[..len]).is_none(), "cut at {len}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
        // Any single byte changed either fails or decodes to something well-formed.
        for i in 0..blob.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = blob.clone();
                damaged[i] ^= flip;
                if let Some(edges) = decode(&damaged) {
                    assert!(edges.sorted().len() <= 5);
                }
            }
        }
        // A count that claims more than the bytes hold, and an index past the names.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode(&huge).is_none());
        let mut bad_index = MAGIC.to_vec();
        bad_index.extend_from_slice(&[0, 1, 5, 5, 0, 1, 0, 0, 1]);
        assert!(decode(&bad_index).is_none());
        let mut one_name = MAGIC.to_vec();
        one_name.extend_from_slice(&[1, 1, b'a', 1, 0, 1, 0, 1, 0, 0, 1]);
        assert!(decode(&one_name).is_none(), "resource 1 of 1 name");
        assert!(decode(b"LTE2").is_none());
        assert!(decode(b"").is_none());
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
