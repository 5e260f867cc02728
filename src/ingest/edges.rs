//! The distinct (principal, resource, action) edges of the logs, aggregated as records stream
//! past. This is the hot path of every log line: one probe of a table of 32-bit indexes (small
//! enough to stay in cache), then one entry that holds the key bytes inline when they are
//! short, so a line usually costs a single cache miss. Memory is one entry per distinct
//! (principal, resource) pair, whatever the number of records.

use hashbrown::HashTable;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::Action;
use crate::time::Timestamp;

/// What the logs say about one (principal, resource, action): how often, when, and where the
/// earliest record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Index into `Facts::log_files`.
    pub file: usize,
    pub line: u64,
}

impl Observation {
    pub fn merge(&mut self, other: &Observation) {
        self.count = self.count.saturating_add(other.count);
        self.last_seen = self.last_seen.max(other.last_seen);
        // The evidence location is the earliest record, whatever order files were read in.
        if (other.first_seen, other.file, other.line) < (self.first_seen, self.file, self.line) {
            self.first_seen = other.first_seen;
            self.file = other.file;
            self.line = other.line;
        }
    }
}

/// Keys up to this many bytes (principal and resource together) live in the entry itself.
const INLINE_KEY: usize = 62;

/// `principal`, a 0xFF byte (never part of UTF-8), `resource`.
#[derive(Debug, Clone)]
enum Key {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl Key {
    fn new(joined: &[u8]) -> Key {
        if joined.len() <= INLINE_KEY {
            let mut bytes = [0u8; INLINE_KEY];
            bytes[..joined.len()].copy_from_slice(joined);
            Key::Inline {
                len: joined.len() as u8,
                bytes,
            }
        } else {
            Key::Heap(joined.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..*len as usize],
            Key::Heap(bytes) => bytes,
        }
    }

    /// (principal, resource).
    fn parts(&self) -> (&str, &str) {
        let bytes = self.bytes();
        let at = bytes
            .iter()
            .position(|&b| b == SEPARATOR)
            .unwrap_or(bytes.len());
        let principal = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let resource =
            std::str::from_utf8(bytes.get(at + 1..).unwrap_or_default()).unwrap_or_default();
        (principal, resource)
    }
}

const SEPARATOR: u8 = 0xFF;

#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    key: Key,
    slots: [Option<Observation>; 2],
}

/// Observed edges, keyed by (principal, resource, action).
#[derive(Debug, Default)]
pub struct ObservedEdges {
    table: HashTable<u32>,
    entries: Vec<Entry>,
    /// Reused to join a principal and a resource into a key.
    scratch: Vec<u8>,
}

impl ObservedEdges {
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        principal: &str,
        resource: &str,
        action: Action,
        count: u64,
        first_seen: Timestamp,
        last_seen: Timestamp,
        file: usize,
        line: u64,
    ) {
        let observation = Observation {
            count,
            first_seen,
            last_seen,
            file,
            line,
        };
        self.merge_one(principal, resource, action, &observation);
    }

    fn merge_one(
        &mut self,
        principal: &str,
        resource: &str,
        action: Action,
        observation: &Observation,
    ) {
        let mut joined = std::mem::take(&mut self.scratch);
        join(&mut joined, principal, resource);
        let hash = xxh3_64(&joined);
        let entries = &mut self.entries;
        let found = self.table.find(hash, |&i| {
            let entry = &entries[i as usize];
            entry.hash == hash && entry.key.bytes() == joined.as_slice()
        });
        let index = match found {
            Some(&i) => i as usize,
            None => {
                let index = entries.len();
                entries.push(Entry {
                    hash,
                    key: Key::new(&joined),
                    slots: [None, None],
                });
                let index_u32 = u32::try_from(index).unwrap_or(u32::MAX);
                self.table
                    .insert_unique(hash, index_u32, |&i| entries[i as usize].hash);
                index
            }
        };
        self.scratch = joined;
        match &mut self.entries[index].slots[action as usize] {
            Some(existing) => existing.merge(observation),
            slot => *slot = Some(*observation),
        }
    }

    pub fn get(&self, principal: &str, resource: &str, action: Action) -> Option<&Observation> {
        let mut joined = Vec::new();
        join(&mut joined, principal, resource);
        let hash = xxh3_64(&joined);
        let index = self.table.find(hash, |&i| {
            let entry = &self.entries[i as usize];
            entry.hash == hash && entry.key.bytes() == joined.as_slice()
        })?;
        self.entries[*index as usize].slots[action as usize].as_ref()
    }

    pub fn merge_from(&mut self, other: ObservedEdges) {
        for entry in &other.entries {
            let (principal, resource) = entry.key.parts();
            for (action, slot) in [Action::Read, Action::Write].into_iter().zip(&entry.slots) {
                if let Some(observation) = slot {
                    self.merge_one(principal, resource, action, observation);
                }
            }
        }
    }

    /// Every edge, sorted by (principal, resource, action).
    pub fn into_sorted(self) -> Vec<ObservedRecord> {
        let mut records: Vec<ObservedRecord> = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            let (principal, resource) = entry.key.parts();
            for (action, slot) in [Action::Read, Action::Write].into_iter().zip(&entry.slots) {
                if let Some(observation) = slot {
                    records.push(ObservedRecord {
                        principal: principal.to_owned(),
                        resource: resource.to_owned(),
                        action,
                        observation: *observation,
                    });
                }
            }
        }
        records.sort_by(|a, b| {
            (&a.principal, &a.resource, a.action).cmp(&(&b.principal, &b.resource, b.action))
        });
        records
    }

    /// Every edge, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, Action, &Observation)> {
        self.entries.iter().flat_map(|entry| {
            let (principal, resource) = entry.key.parts();
            [Action::Read, Action::Write]
                .into_iter()
                .zip(&entry.slots)
                .filter_map(move |(action, slot)| {
                    slot.as_ref().map(|o| (principal, resource, action, o))
                })
        })
    }

    /// The number of distinct (principal, resource) pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn join(out: &mut Vec<u8>, principal: &str, resource: &str) {
    out.clear();
    out.extend_from_slice(principal.as_bytes());
    out.push(SEPARATOR);
    out.extend_from_slice(resource.as_bytes());
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRecord {
    pub principal: String,
    pub resource: String,
    pub action: Action,
    pub observation: Observation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_the_earliest_record_whatever_the_merge_order() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap_or(Timestamp(0));
        let a = Observation {
            count: 1,
            first_seen: t("2026-11-02T00:00:00Z"),
            last_seen: t("2026-11-02T00:00:00Z"),
            file: 0,
            line: 1,
        };
        let b = Observation {
            count: 2,
            first_seen: t("2026-11-01T00:00:00Z"),
            last_seen: t("2026-11-01T00:00:00Z"),
            file: 1,
            line: 7,
        };
        let (mut ab, mut ba) = (a, b);
        ab.merge(&b);
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!((ab.count, ab.file, ab.line), (3, 1, 7));
    }

    #[test]
    fn edges_are_keyed_by_principal_resource_and_action() {
        let t = Timestamp(0);
        let long = "r".repeat(200);
        let mut edges = ObservedEdges::default();
        for (p, r) in [("a", "bc"), ("ab", "c"), ("a", long.as_str()), ("", "x")] {
            edges.add(p, r, Action::Read, 1, t, t, 0, 1);
        }
        edges.add("a", "bc", Action::Read, 2, t, t, 0, 2);
        edges.add("a", "bc", Action::Write, 1, t, t, 0, 3);
        assert_eq!(edges.len(), 4);
        assert_eq!(edges.get("a", "bc", Action::Read).map(|o| o.count), Some(3));
        assert_eq!(edges.get("ab", "c", Action::Read).map(|o| o.count), Some(1));
        assert!(edges.get("ab", "c", Action::Write).is_none());
        assert!(edges.get(&long, "a", Action::Read).is_none());
        let mut other = ObservedEdges::default();
        other.add("a", &long, Action::Read, 5, t, t, 1, 1);
        edges.merge_from(other);
        assert_eq!(
            edges.get("a", &long, Action::Read).map(|o| o.count),
            Some(6)
        );
        let sorted = edges.into_sorted();
        let keys: Vec<_> = sorted
            .iter()
            .map(|r| (r.principal.as_str(), r.resource.len(), r.action))
            .collect();
        assert_eq!(
            keys,
            [
                ("", 1, Action::Read),
                ("a", 2, Action::Read),
                ("a", 2, Action::Write),
                ("a", 200, Action::Read),
                ("ab", 1, Action::Read)
            ]
        );
    }
}
