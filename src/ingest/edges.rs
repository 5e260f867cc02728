//! The distinct (principal, resource, action) edges of the logs, aggregated as records stream
//! past. This is the hot path of every log line, and it is bound by memory latency, so it is
//! built to stay in cache: principal and resource names are interned once each (a table of
//! 32-bit ids and one arena of bytes, small even for many thousand names), and an edge is keyed
//! by its pair of ids, compared inside the table without following a pointer. A line then
//! costs two lookups in small tables and one update of its edge's observations. Memory is one
//! entry per distinct name and per distinct (principal, resource) pair, whatever the number of
//! records.

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

/// Names, each stored once, by a 32-bit id.
#[derive(Debug, Default, Clone)]
struct Interner {
    table: HashTable<u32>,
    /// (start, end) of each name in `arena`.
    spans: Vec<(u32, u32)>,
    hashes: Vec<u64>,
    arena: Vec<u8>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        let hash = xxh3_64(name.as_bytes());
        let (spans, arena) = (&self.spans, &self.arena);
        let found = self.table.find(hash, |&id| {
            let (start, end) = spans[id as usize];
            same_bytes(&arena[start as usize..end as usize], name.as_bytes())
        });
        if let Some(&id) = found {
            return id;
        }
        let id = u32::try_from(self.spans.len()).unwrap_or(u32::MAX);
        let start = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.arena.extend_from_slice(name.as_bytes());
        let end = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.spans.push((start, end));
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.table.insert_unique(hash, id, |&i| hashes[i as usize]);
        id
    }

    fn find(&self, name: &str) -> Option<u32> {
        let hash = xxh3_64(name.as_bytes());
        self.table
            .find(hash, |&id| {
                self.name(id) == name && self.hashes[id as usize] == hash
            })
            .copied()
    }

    fn name(&self, id: u32) -> &str {
        let (start, end) = self.spans[id as usize];
        // Only whole `&str`s go into the arena, so every span is valid UTF-8.
        std::str::from_utf8(&self.arena[start as usize..end as usize]).unwrap_or_default()
    }
}

/// `a == b`, compared eight bytes at a time in line: names are short, and a call to the C
/// library's `memcmp` for each (what slice equality does) was a tenth of a scan.
#[inline]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let words_match = a_words
        .by_ref()
        .zip(b_words.by_ref())
        .all(|(x, y)| word(x) == word(y));
    words_match
        && a_words
            .remainder()
            .iter()
            .zip(b_words.remainder())
            .all(|(x, y)| x == y)
}

#[inline]
fn word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

/// Merges `observation` into a slot, or fills it.
fn record(slot: &mut Option<Observation>, observation: &Observation) {
    match slot {
        Some(existing) => existing.merge(observation),
        None => *slot = Some(*observation),
    }
}

/// Asks the CPU to start fetching `value`'s memory.
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and changes no memory, whatever the
    // address; SSE, which it needs, is part of every x86_64 CPU.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// A (principal id, resource id) pair as one number.
fn pair(principal: u32, resource: u32) -> u64 {
    (u64::from(principal) << 32) | u64::from(resource)
}

/// Spreads a pair's bits over the hash (a multiply-xorshift; the ids are small and dense).
fn pair_hash(pair: u64) -> u64 {
    let x = pair.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

/// The slot index of each (principal id, resource id) pair: open addressing with linear
/// probing over one array, so that the place a pair will be looked up is known from its hash
/// alone and can be fetched from memory while other lines are parsed (a general hash table
/// hides that place).
#[derive(Debug, Clone)]
struct PairTable {
    /// `(pair, slot index)`; `EMPTY` as the index marks a free place.
    places: Vec<(u64, u32)>,
    len: usize,
}

const EMPTY: u32 = u32::MAX;

impl Default for PairTable {
    fn default() -> PairTable {
        PairTable {
            places: vec![(0, EMPTY); 64],
            len: 0,
        }
    }
}

impl PairTable {
    fn start(&self, hash: u64) -> usize {
        // The length is a power of two.
        hash as usize & (self.places.len() - 1)
    }

    fn prefetch(&self, hash: u64) {
        prefetch(&self.places[self.start(hash)]);
    }

    fn find(&self, key: u64, hash: u64) -> Option<u32> {
        let mask = self.places.len() - 1;
        let mut at = self.start(hash);
        loop {
            let (k, index) = self.places[at];
            if index == EMPTY {
                return None;
            }
            if k == key {
                return Some(index);
            }
            at = (at + 1) & mask;
        }
    }

    /// The index stored for `key`, or `new_index` after storing it.
    fn find_or_insert(&mut self, key: u64, hash: u64, new_index: u32) -> u32 {
        let mask = self.places.len() - 1;
        let mut at = self.start(hash);
        loop {
            let (k, index) = self.places[at];
            if index == EMPTY {
                break;
            }
            if k == key {
                return index;
            }
            at = (at + 1) & mask;
        }
        self.places[at] = (key, new_index);
        self.len += 1;
        // At most 5/8 full, so that probe runs stay short.
        if self.len * 8 > self.places.len() * 5 {
            self.grow();
        }
        new_index
    }

    fn grow(&mut self) {
        self.resize(self.places.len() * 2);
    }

    /// Makes room for `more` pairs beyond those stored, at once rather than doubling by
    /// doubling as they come.
    fn reserve(&mut self, more: usize) {
        let wanted = (self.len + more).saturating_mul(8) / 5 + 1;
        if wanted > self.places.len() {
            self.resize(wanted.next_power_of_two());
        }
    }

    fn resize(&mut self, places: usize) {
        let bigger = vec![(0, EMPTY); places];
        let old = std::mem::replace(&mut self.places, bigger);
        let mask = self.places.len() - 1;
        for (key, index) in old.into_iter().filter(|&(_, index)| index != EMPTY) {
            let mut at = self.start(pair_hash(key));
            while self.places[at].1 != EMPTY {
                at = (at + 1) & mask;
            }
            self.places[at] = (key, index);
        }
    }
}

/// An update `add_soon` keeps until its batch is applied.
#[derive(Debug, Clone)]
struct Pending {
    key: u64,
    hash: u64,
    action: Action,
    observation: Observation,
}

/// Observed edges, keyed by (principal, resource, action).
#[derive(Debug, Default, Clone)]
pub struct ObservedEdges {
    names: Interner,
    table: PairTable,
    /// `table` has not been built for `pairs` yet (`from_distinct`): reading the edges needs
    /// no table, and a cached file's edges are often only read.
    unindexed: bool,
    pairs: Vec<u64>,
    slots: Vec<[Option<Observation>; 2]>,
    /// Updates whose memory is being fetched (see `add_soon`).
    pending: Vec<Pending>,
    /// The slot index of each pending update, once looked up.
    pending_slots: Vec<usize>,
}

/// Updates `add_soon` collects before applying them: enough for their cache misses to
/// overlap, few enough that the prefetched lines are still there.
const BATCH: usize = 16;

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

    /// Like `add`, but the update may wait until `flush` (or until a batch is full), so that
    /// the memory of several edges is fetched at once. Call `flush` before reading.
    ///
    /// A batch goes in two steps, each starting the memory fetches the next one needs: here
    /// the names are interned (a small table, in cache) and the pair's place in the pair
    /// table is fetched; `flush` then finds every pair's slot and fetches it, and only then
    /// updates the slots.
    #[allow(clippy::too_many_arguments)]
    pub fn add_soon(
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
        let key = pair(self.names.id(principal), self.names.id(resource));
        let hash = pair_hash(key);
        self.index().prefetch(hash);
        self.pending.push(Pending {
            key,
            hash,
            action,
            observation: Observation {
                count,
                first_seen,
                last_seen,
                file,
                line,
            },
        });
        if self.pending.len() == BATCH {
            self.flush();
        }
    }

    /// Applies the updates `add_soon` left waiting.
    pub fn flush(&mut self) {
        let mut pending_slots = std::mem::take(&mut self.pending_slots);
        pending_slots.clear();
        for i in 0..self.pending.len() {
            let (key, hash) = (self.pending[i].key, self.pending[i].hash);
            let index = self.index_of_pair(key, hash);
            prefetch(&self.slots[index]);
            pending_slots.push(index);
        }
        for (update, &index) in self.pending.iter().zip(&pending_slots) {
            record(
                &mut self.slots[index][update.action as usize],
                &update.observation,
            );
        }
        self.pending.clear();
        self.pending_slots = pending_slots;
    }

    fn merge_one(
        &mut self,
        principal: &str,
        resource: &str,
        action: Action,
        observation: &Observation,
    ) {
        let key = pair(self.names.id(principal), self.names.id(resource));
        let index = self.index_of_pair(key, pair_hash(key));
        record(&mut self.slots[index][action as usize], observation);
    }

    /// The slot index of a pair, made when new.
    fn index_of_pair(&mut self, key: u64, hash: u64) -> usize {
        let new_index = u32::try_from(self.slots.len()).unwrap_or(EMPTY - 1);
        let index = self.index().find_or_insert(key, hash, new_index);
        if index == new_index && self.slots.len() == new_index as usize {
            self.pairs.push(key);
            self.slots.push([None, None]);
        }
        index as usize
    }

    /// Merges edges given by the positions of their names in `names`: each name is interned
    /// once, not once per edge it is in. An edge whose position is past the names is left
    /// out.
    pub fn merge_named<'n>(
        &mut self,
        names: impl Iterator<Item = &'n str>,
        edges: impl Iterator<Item = (u32, u32, Action, Observation)>,
    ) {
        self.flush();
        let ids: Vec<u32> = names.map(|name| self.names.id(name)).collect();
        for (principal, resource, action, observation) in edges {
            let (Some(&p), Some(&r)) = (ids.get(principal as usize), ids.get(resource as usize))
            else {
                continue;
            };
            // In batches, as `add_soon`: the pair table's places are fetched a batch ahead.
            let key = pair(p, r);
            let hash = pair_hash(key);
            self.index().prefetch(hash);
            self.pending.push(Pending {
                key,
                hash,
                action,
                observation,
            });
            if self.pending.len() == BATCH {
                self.flush();
            }
        }
        self.flush();
    }

    pub fn get(&self, principal: &str, resource: &str, action: Action) -> Option<&Observation> {
        debug_assert!(self.pending.is_empty(), "flush before reading");
        let key = pair(self.names.find(principal)?, self.names.find(resource)?);
        let index = if self.unindexed {
            self.pairs.iter().position(|&k| k == key)?
        } else {
            self.table.find(key, pair_hash(key))? as usize
        };
        self.slots[index][action as usize].as_ref()
    }

    /// The pair table, built first if `from_distinct` left it out.
    fn index(&mut self) -> &mut PairTable {
        if self.unindexed {
            let mut table = PairTable::default();
            table.reserve(self.pairs.len());
            for (index, &key) in self.pairs.iter().enumerate() {
                // A pair stored twice (only a damaged cache could say so) keeps its first
                // place; both slots are still read, and what they say adds up the same.
                table.find_or_insert(key, pair_hash(key), index as u32);
            }
            self.table = table;
            self.unindexed = false;
        }
        &mut self.table
    }

    /// Edges as `by_ids` gave them, each (principal, resource) pair's in a row: their
    /// slots are filled in that order without hashing the pairs; the pair table is built
    /// only if something is merged in later. Names are interned as `merge_named` does; an
    /// edge whose position is past the names is left out.
    pub fn from_distinct<'n>(
        names: impl Iterator<Item = &'n str>,
        edges: impl Iterator<Item = (u32, u32, Action, Observation)>,
    ) -> ObservedEdges {
        let mut out = ObservedEdges {
            unindexed: true,
            ..ObservedEdges::default()
        };
        let ids: Vec<u32> = names.map(|name| out.names.id(name)).collect();
        let (lower, upper) = edges.size_hint();
        let more = upper.unwrap_or(lower);
        out.pairs.reserve(more);
        out.slots.reserve(more);
        for (principal, resource, action, observation) in edges {
            let (Some(&p), Some(&r)) = (ids.get(principal as usize), ids.get(resource as usize))
            else {
                continue;
            };
            let key = pair(p, r);
            if out.pairs.last() != Some(&key) {
                out.pairs.push(key);
                out.slots.push([None, None]);
            }
            if let Some(slots) = out.slots.last_mut() {
                record(&mut slots[action as usize], &observation);
            }
        }
        out
    }

    pub fn merge_from(&mut self, mut other: ObservedEdges) {
        other.flush();
        // Nothing to merge (the other formats' edges of a deployment with none) must not
        // build a table `from_distinct` left out.
        if other.is_empty() {
            return;
        }
        // The first file merged (often the only one, as after a re-scan that took a log
        // from the read cache) is taken over whole rather than hashed in again.
        if self.is_empty() && self.pending.is_empty() {
            *self = other;
            return;
        }
        // Room for every pair of `other` as a new one: a few places too many cost less than
        // growing the table and slots step by step.
        let more = other.len();
        self.index().reserve(more);
        self.pairs.reserve(more);
        self.slots.reserve(more);
        // By ids: each of `other`'s names is interned here once, not once per edge.
        let edges = other.by_ids().map(|(p, r, action, o)| (p, r, action, *o));
        self.merge_named(other.names(), edges);
    }

    /// Makes every observation one of file `file` (cached edges are stored without theirs).
    pub fn set_file(&mut self, file: usize) {
        self.flush();
        for observation in self.slots.iter_mut().flatten().flatten() {
            observation.file = file;
        }
    }

    /// Every name by its id, the ids `by_ids` gives: each principal and resource once, so
    /// that a reader can resolve a name once rather than once per edge it is in.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.names.spans.len()).map(|id| self.names.name(id as u32))
    }

    /// Every edge as (principal id, resource id, action, observation), in no particular
    /// order; the ids index `names`.
    pub fn by_ids(&self) -> impl Iterator<Item = (u32, u32, Action, &Observation)> + '_ {
        debug_assert!(self.pending.is_empty(), "flush before reading");
        self.pairs
            .iter()
            .zip(&self.slots)
            .flat_map(|(&key, slots)| {
                let (principal, resource) = ((key >> 32) as u32, key as u32);
                [Action::Read, Action::Write]
                    .into_iter()
                    .zip(slots)
                    .filter_map(move |(action, slot)| {
                        slot.as_ref().map(|o| (principal, resource, action, o))
                    })
            })
    }

    /// The number of distinct (principal, resource, action) edges.
    pub fn edge_count(&self) -> usize {
        self.slots.iter().flatten().filter(|s| s.is_some()).count()
    }

    /// Every edge with its names, sorted: one form to compare edge sets by in tests.
    #[cfg(test)]
    pub(crate) fn sorted(&self) -> Vec<(String, String, Action, Observation)> {
        let mut all: Vec<_> = self
            .iter()
            .map(|(p, r, a, o)| (p.to_string(), r.to_string(), a, *o))
            .collect();
        all.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        all
    }

    /// Every edge, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, Action, &Observation)> {
        self.by_ids()
            .map(|(p, r, action, o)| (self.names.name(p), self.names.name(r), action, o))
    }

    /// The number of distinct (principal, resource) pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
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
        let sorted = edges.sorted();
        let keys: Vec<_> = sorted
            .iter()
            .map(|(principal, resource, action, _)| (principal.as_str(), resource.len(), *action))
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

    #[test]
    fn edges_by_name_positions_are_the_edges_by_names() {
        let t = Timestamp(0);
        let o = |count| Observation {
            count,
            first_seen: t,
            last_seen: t,
            file: 0,
            line: count,
        };
        let names = ["p", "r", "q"];
        let mut built = ObservedEdges::default();
        built.merge_named(
            names.into_iter(),
            [
                (0, 1, Action::Read, o(1)),
                (2, 1, Action::Write, o(2)),
                (0, 1, Action::Read, o(3)),
                // Past the names: left out.
                (0, 3, Action::Read, o(4)),
            ]
            .into_iter(),
        );
        let mut expected = ObservedEdges::default();
        expected.add("p", "r", Action::Read, 1, t, t, 0, 1);
        expected.add("q", "r", Action::Write, 2, t, t, 0, 2);
        expected.add("p", "r", Action::Read, 3, t, t, 0, 3);
        assert_eq!(built.sorted(), expected.sorted());
        let names: Vec<&str> = built.names().collect();
        let by_ids: Vec<_> = built
            .by_ids()
            .map(|(p, r, a, o)| (names[p as usize], names[r as usize], a, o.count))
            .collect();
        assert_eq!(
            by_ids,
            [("p", "r", Action::Read, 4), ("q", "r", Action::Write, 2)]
        );
    }

    #[test]
    fn merging_into_nothing_takes_the_other_whole() {
        let t = Timestamp(0);
        let mut other = ObservedEdges::default();
        other.add_soon("p", "r", Action::Read, 2, t, t, 1, 5);
        let mut edges = ObservedEdges::default();
        edges.merge_from(other);
        edges.add("p", "r", Action::Read, 1, t, t, 0, 9);
        assert_eq!(edges.get("p", "r", Action::Read).map(|o| o.count), Some(3));
    }

    #[test]
    fn same_bytes_is_equality() {
        let texts: Vec<Vec<u8>> = (0..40)
            .map(|n| (0..n).map(|i| b'a' + (i % 3) as u8).collect())
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_bytes(a, b), a == b);
                for at in 0..a.len() {
                    let mut changed = a.clone();
                    changed[at] ^= 1;
                    assert!(!same_bytes(a, &changed));
                }
            }
        }
    }

    #[test]
    fn many_pairs_survive_the_pair_table_growing() {
        let t = Timestamp(0);
        let mut edges = ObservedEdges::default();
        for i in 0..50_000u64 {
            let (p, r) = (format!("p{}", i % 211), format!("r{i}"));
            edges.add_soon(&p, &r, Action::Read, i + 1, t, t, 0, i + 1);
            edges.add_soon(&p, &r, Action::Read, 1, t, t, 0, i + 2);
        }
        edges.flush();
        assert_eq!(edges.len(), 50_000);
        for i in (0..50_000u64).step_by(997) {
            let (p, r) = (format!("p{}", i % 211), format!("r{i}"));
            let seen = edges.get(&p, &r, Action::Read).map(|o| (o.count, o.line));
            assert_eq!(seen, Some((i + 2, i + 1)));
            assert!(edges.get(&p, &r, Action::Write).is_none());
        }
        assert!(edges.get("p0", "r1", Action::Read).is_none());
    }

    #[test]
    fn deferred_adds_give_what_immediate_adds_give() {
        let (mut now, mut soon) = (ObservedEdges::default(), ObservedEdges::default());
        for i in 0..1_000u64 {
            let (p, r) = (format!("p{}", i % 7), format!("r{}", i % 31));
            let action = if i % 3 == 0 {
                Action::Write
            } else {
                Action::Read
            };
            let t = Timestamp((i % 97) as i64);
            now.add(&p, &r, action, 1 + i % 2, t, t, 0, i + 1);
            soon.add_soon(&p, &r, action, 1 + i % 2, t, t, 0, i + 1);
        }
        soon.flush();
        assert_eq!(now.sorted(), soon.sorted());
    }

    #[test]
    fn edges_taken_without_their_table_are_read_and_merged_into_as_any() {
        let add_some = |edges: &mut ObservedEdges, from: u64| {
            for i in from..from + 500 {
                let (p, r) = (format!("p{}", i % 13), format!("r{}", i % 41));
                let action = if i % 4 == 0 {
                    Action::Write
                } else {
                    Action::Read
                };
                let t = Timestamp((i % 89) as i64);
                edges.add(&p, &r, action, 1, t, t, 0, i + 1);
            }
        };
        let mut whole = ObservedEdges::default();
        add_some(&mut whole, 0);
        let listed = |e: &ObservedEdges| -> Vec<_> {
            e.by_ids().map(|(p, r, a, o)| (p, r, a, *o)).collect()
        };
        let names: Vec<String> = whole.names().map(str::to_string).collect();
        let mut taken = ObservedEdges::from_distinct(
            names.iter().map(String::as_str),
            listed(&whole).into_iter(),
        );
        assert!(taken.unindexed);
        taken.merge_from(ObservedEdges::default());
        assert!(taken.unindexed, "merging nothing builds no table");
        assert_eq!(taken.sorted(), whole.sorted());
        assert_eq!(
            taken.get("p1", "r1", Action::Read),
            whole.get("p1", "r1", Action::Read)
        );
        // Merging in builds the table first: the same as merging into the original.
        add_some(&mut whole, 300);
        add_some(&mut taken, 300);
        assert!(!taken.unindexed);
        assert_eq!(taken.sorted(), whole.sorted());
        assert_eq!(taken.len(), whole.len());

        // A pair listed twice apart (a damaged cache) still adds up when read.
        let twice = vec![
            (
                0,
                1,
                Action::Read,
                Observation {
                    count: 2,
                    first_seen: Timestamp(5),
                    last_seen: Timestamp(9),
                    file: 0,
                    line: 7,
                },
            ),
            (
                1,
                0,
                Action::Read,
                Observation {
                    count: 1,
                    first_seen: Timestamp(1),
                    last_seen: Timestamp(1),
                    file: 0,
                    line: 1,
                },
            ),
            (
                0,
                1,
                Action::Read,
                Observation {
                    count: 3,
                    first_seen: Timestamp(2),
                    last_seen: Timestamp(4),
                    file: 0,
                    line: 3,
                },
            ),
        ];
        let mut odd = ObservedEdges::from_distinct(["a", "b"].into_iter(), twice.into_iter());
        let total: u64 = odd
            .by_ids()
            .filter(|&(p, r, ..)| (p, r) == (0, 1))
            .map(|(.., o)| o.count)
            .sum();
        assert_eq!(total, 5);
        odd.add("a", "b", Action::Read, 1, Timestamp(3), Timestamp(3), 0, 2);
        let total: u64 = odd
            .by_ids()
            .filter(|&(p, r, ..)| (p, r) == (0, 1))
            .map(|(.., o)| o.count)
            .sum();
        assert_eq!(total, 6);
    }
}
