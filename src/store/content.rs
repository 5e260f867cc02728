//! What a scan found, as the rows of a content (schema 6): its node, edge and finding sets,
//! which contents share by hash, and its own `content_edge_seen` and `content_finding_delta`
//! rows, with the hashes that let snapshots share what they found.

use std::hash::Hash;

use rusqlite::{OptionalExtension, Statement, ToSql, Transaction, params};
use xxhash_rust::xxh3::Xxh3;

use super::{declarations_json, int, json_into, loop_kind_str};
use crate::finding::Finding;
use crate::graph::{Declaration, EdgeData, LineageGraph, Seen};

/// One `node_set_node` row.
struct NodeRow<'a> {
    id: &'a str,
    kind: &'static str,
    manifest_file: Option<&'a str>,
    manifest_line: Option<i64>,
    owner: Option<&'a str>,
}

/// One `edge_set_edge` row; its text values borrow buffers that the next row reuses.
struct EdgeRow<'r> {
    source: &'r str,
    target: &'r str,
    n: i64,
    declared: bool,
    observed: bool,
    declarations: &'r str,
    first_seen: Option<&'r str>,
    evidence_file: Option<&'r str>,
    evidence_line: Option<i64>,
}

/// One `finding_set_finding` row, as `EdgeRow`.
struct FindingRow<'r> {
    n: i64,
    fingerprint: &'r str,
    code: &'r str,
    rule: &'r str,
    severity: &'static str,
    subject: &'r str,
    related: &'r str,
    path: &'r str,
    loop_kind: Option<&'static str>,
    message: &'r str,
    evidence: &'r str,
}

/// The hashes of a content and of its three parts (`xxh3-128:HEX`), made before the write
/// transaction starts.
pub(super) struct Hashes {
    /// Of the whole content: the parts' hashes and the content's own values.
    pub(super) content: String,
    pub(super) nodes: String,
    pub(super) edges: String,
    pub(super) findings: String,
}

/// What one snapshot found, in the order its rows are written: nodes sorted by id, edges by
/// (source, target) (in key order, rows append to the b-trees instead of splitting pages),
/// findings in the order given. An edge's ordinal `n` is its place in that order, from 1, as is
/// a finding's. `hashes` reads the values directly; the rows' text is made only for what is
/// new and inserted, one row at a time into reused buffers, so that no 50 000 rows of text are
/// kept in memory.
pub(super) struct Content<'a> {
    nodes: Vec<NodeRow<'a>>,
    edges: Vec<(&'a str, &'a str, &'a EdgeData)>,
    findings: &'a [Finding],
}

impl<'a> Content<'a> {
    pub(super) fn of(graph: &'a LineageGraph, findings: &'a [Finding]) -> Content<'a> {
        let mut nodes: Vec<NodeRow<'a>> = graph
            .nodes()
            .map(|node| {
                let id = graph.id(node);
                let manifest = graph.manifest(node);
                NodeRow {
                    id: id.as_str(),
                    kind: id.kind().as_str(),
                    manifest_file: manifest.map(|m| m.file.as_str()),
                    manifest_line: manifest.map(|m| int(m.line)),
                    owner: manifest.and_then(|m| m.owner.as_deref()),
                }
            })
            .collect();
        nodes.sort_unstable_by(|a, b| a.id.cmp(b.id));

        let mut edges: Vec<_> = graph
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (from, to) = graph.graph.edge_endpoints(e)?;
                Some((
                    graph.id(from).as_str(),
                    graph.id(to).as_str(),
                    &graph.graph[e],
                ))
            })
            .collect();
        edges.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        Content {
            nodes,
            edges,
            findings,
        }
    }

    /// Calls `each` with every `edge_set_edge` row in order.
    fn edge_rows<E>(&self, mut each: impl FnMut(&EdgeRow<'_>) -> Result<(), E>) -> Result<(), E> {
        let (mut declared, mut first) = (Vec::new(), String::new());
        for (i, &(source, target, data)) in self.edges.iter().enumerate() {
            let declarations = declarations_json(&data.declared, &mut declared);
            let seen = data.observed.as_ref();
            if let Some(seen) = seen {
                first.clear();
                seen.first_seen.push_rfc3339(&mut first);
            }
            each(&EdgeRow {
                source,
                target,
                n: ordinal(i),
                declared: data.is_declared(),
                observed: data.is_observed(),
                declarations,
                first_seen: seen.map(|_| first.as_str()),
                evidence_file: seen.map(|s| &*s.file),
                evidence_line: seen.map(|s| int(s.line)),
            })?;
        }
        Ok(())
    }

    /// Calls `each` with every `finding_set_finding` row in order.
    fn finding_rows<E>(
        &self,
        mut each: impl FnMut(&FindingRow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let (mut related, mut path, mut evidence) = (Vec::new(), Vec::new(), Vec::new());
        for (i, f) in self.findings.iter().enumerate() {
            each(&FindingRow {
                n: ordinal(i),
                fingerprint: &f.fingerprint,
                code: f.code,
                rule: f.rule,
                severity: f.severity.as_str(),
                subject: &f.subject,
                related: json_into(&f.related, &mut related),
                path: json_into(&f.path, &mut path),
                loop_kind: f.loop_kind.map(loop_kind_str),
                message: &f.message,
                evidence: json_into(&f.evidence, &mut evidence),
            })?;
        }
        Ok(())
    }

    /// The hashes of everything the rows are made of, each value with its length, and of the
    /// lintage version that makes rows from them: two sets (or contents) have one hash only
    /// when they would write the same rows. Each part hashes under a name of its own, so
    /// that no two kinds of part can share a hash. Hashing the values, not the rows' text,
    /// spares a re-scan formatting 50 000 rows only to find them unchanged.
    pub(super) fn hashes(&self) -> Hashes {
        let nodes = self.node_hash();
        let edges = self.edge_hash();
        let findings = self.finding_hash();
        let mut h = Hasher::named("lintage content 2");
        for part in [&nodes, &edges, &findings] {
            h.text(part);
        }
        // The content's own values: `content_edge_seen`, and the findings' messages and
        // evidence, which `content_finding_delta` keeps where they differ from the set's.
        h.count(self.edges.len());
        for &(_, _, data) in &self.edges {
            match &data.observed {
                None => h.tag(0),
                Some(seen) => {
                    h.tag(1);
                    h.int(int(seen.count));
                    h.int(seen.last_seen.0);
                }
            }
        }
        h.count(self.findings.len());
        for finding in self.findings {
            h.text(&finding.message);
            finding.evidence.hash(&mut h);
        }
        Hashes {
            content: h.finish128(),
            nodes,
            edges,
            findings,
        }
    }

    fn node_hash(&self) -> String {
        let mut h = Hasher::named("lintage node set 1");
        h.count(self.nodes.len());
        for n in &self.nodes {
            h.text(n.id);
            h.text(n.kind);
            h.opt_text(n.manifest_file);
            h.opt_int(n.manifest_line);
            h.opt_text(n.owner);
        }
        h.finish128()
    }

    /// Of every edge value but `count` and `last_seen`, which the content keeps itself.
    fn edge_hash(&self) -> String {
        let mut h = Hasher::named("lintage edge set 1");
        h.count(self.edges.len());
        for &(source, target, data) in &self.edges {
            h.text(source);
            h.text(target);
            // Destructured whole, so that a new field cannot be left out of the hash.
            let EdgeData { declared, observed } = data;
            h.count(declared.len());
            for Declaration {
                key,
                file,
                line,
                via,
            } in declared
            {
                h.text(key.key());
                h.text(file);
                h.count(*line);
                h.opt_text(via.as_ref().map(|v| v.as_str()));
            }
            match observed {
                None => h.tag(0),
                Some(Seen {
                    count: _,
                    first_seen,
                    last_seen: _,
                    file,
                    line,
                }) => {
                    h.tag(1);
                    h.int(first_seen.0);
                    h.text(file);
                    h.int(int(*line));
                }
            }
        }
        h.finish128()
    }

    /// Of every finding value but `message` and `evidence`, which move with the logs (counts,
    /// times): a set holds those of the content that wrote it, and other contents keep theirs
    /// where they differ.
    fn finding_hash(&self) -> String {
        let mut h = Hasher::named("lintage finding set 1");
        h.count(self.findings.len());
        for finding in self.findings {
            let Finding {
                code,
                rule,
                severity,
                subject,
                related,
                path,
                loop_kind,
                message: _,
                evidence: _,
                fingerprint,
            } = finding;
            for text in [*code, *rule, severity.as_str(), subject, fingerprint] {
                h.text(text);
            }
            for list in [related, path] {
                h.count(list.len());
                for item in list {
                    h.text(item);
                }
            }
            h.opt_text(loop_kind.map(loop_kind_str));
        }
        h.finish128()
    }

    /// Writes the content with these hashes, which no earlier content has: each part that no
    /// earlier content has, then the `content` row and its own rows. Returns its id.
    pub(super) fn insert(&self, tx: &Transaction<'_>, hashes: &Hashes) -> rusqlite::Result<i64> {
        let nodes = match find_set(tx, "node_set", &hashes.nodes)? {
            Some(id) => id,
            None => {
                let id = new_set(tx, "node_set", &hashes.nodes)?;
                self.insert_nodes(tx, id)?;
                id
            }
        };
        let edges = match find_set(tx, "edge_set", &hashes.edges)? {
            Some(id) => id,
            None => {
                let id = new_set(tx, "edge_set", &hashes.edges)?;
                self.insert_edges(tx, id)?;
                id
            }
        };
        let (findings, shared) = match find_set(tx, "finding_set", &hashes.findings)? {
            Some(id) => (id, true),
            None => {
                let id = new_set(tx, "finding_set", &hashes.findings)?;
                self.insert_findings(tx, id)?;
                (id, false)
            }
        };
        tx.execute(
            "INSERT INTO content (hash, node_set_id, edge_set_id, finding_set_id)
             VALUES (?1, ?2, ?3, ?4)",
            params![hashes.content, nodes, edges, findings],
        )?;
        let id = tx.last_insert_rowid();
        self.insert_seen(tx, id)?;
        if shared {
            self.insert_deltas(tx, id, findings)?;
        }
        Ok(id)
    }

    fn insert_nodes(&self, tx: &Transaction<'_>, set: i64) -> rusqlite::Result<()> {
        let mut insert = Batch::new(
            tx,
            "node_set_node (set_id, id, kind, manifest_file, manifest_line, owner)",
            6,
            self.nodes.len(),
        )?;
        for n in &self.nodes {
            insert.row(params![
                set,
                n.id,
                n.kind,
                n.manifest_file,
                n.manifest_line,
                n.owner
            ])?;
        }
        insert.finish()
    }

    fn insert_edges(&self, tx: &Transaction<'_>, set: i64) -> rusqlite::Result<()> {
        let mut insert = Batch::new(
            tx,
            "edge_set_edge (set_id, source, target, n, declared, observed, declarations,
                first_seen, evidence_file, evidence_line)",
            10,
            self.edges.len(),
        )?;
        self.edge_rows(|e| {
            insert.row(params![
                set,
                e.source,
                e.target,
                e.n,
                e.declared,
                e.observed,
                e.declarations,
                e.first_seen,
                e.evidence_file,
                e.evidence_line,
            ])
        })?;
        insert.finish()?;
        // The same pairs by target (`edge_set_in`), in key order so that they append too.
        let mut by_target: Vec<(&str, &str)> = self
            .edges
            .iter()
            .map(|&(source, target, _)| (target, source))
            .collect();
        by_target.sort_unstable();
        let mut insert = Batch::new(
            tx,
            "edge_set_in (set_id, target, source)",
            3,
            by_target.len(),
        )?;
        for (target, source) in by_target {
            insert.row(params![set, target, source])?;
        }
        insert.finish()
    }

    fn insert_findings(&self, tx: &Transaction<'_>, set: i64) -> rusqlite::Result<()> {
        let mut insert = Batch::new(
            tx,
            "finding_set_finding (set_id, n, fingerprint, code, rule, severity, subject,
                related, path, loop_kind, message, evidence)",
            12,
            self.findings.len(),
        )?;
        self.finding_rows(|f| {
            insert.row(params![
                set,
                f.n,
                f.fingerprint,
                f.code,
                f.rule,
                f.severity,
                f.subject,
                f.related,
                f.path,
                f.loop_kind,
                f.message,
                f.evidence,
            ])
        })?;
        insert.finish()
    }

    /// `count` and `last_seen` of each observed edge of content `id` (the `edge` view gives
    /// the others 0 and NULL).
    fn insert_seen(&self, tx: &Transaction<'_>, id: i64) -> rusqlite::Result<()> {
        let observed = self
            .edges
            .iter()
            .filter(|(_, _, data)| data.observed.is_some())
            .count();
        let mut insert = Batch::new(
            tx,
            "content_edge_seen (content_id, n, count, last_seen)",
            4,
            observed,
        )?;
        let mut last = String::new();
        for (i, (_, _, data)) in self.edges.iter().enumerate() {
            if let Some(seen) = &data.observed {
                last.clear();
                seen.last_seen.push_rfc3339(&mut last);
                insert.row(params![id, ordinal(i), int(seen.count), last.as_str()])?;
            }
        }
        insert.finish()
    }

    /// The messages and evidence of content `id`'s findings that differ from those of the
    /// finding set it shares (`set`), which another content wrote: most findings of a scan
    /// whose logs grew keep their message, and many their evidence.
    fn insert_deltas(&self, tx: &Transaction<'_>, id: i64, set: i64) -> rusqlite::Result<()> {
        let mut base = tx.prepare_cached(
            "SELECT n, message, evidence FROM finding_set_finding WHERE set_id = ?1 ORDER BY n",
        )?;
        let mut base = base.query([set])?;
        // (n, message, evidence), each `None` where the set's is the same.
        let mut deltas: Vec<(i64, Option<&str>, Option<String>)> = Vec::new();
        let mut evidence = Vec::new();
        let mut row = base.next()?;
        for (i, f) in self.findings.iter().enumerate() {
            let n = ordinal(i);
            // The set has a row for every n (it has this content's hash); were one missing,
            // both values are written.
            while let Some(r) = row
                && r.get::<_, i64>(0)? < n
            {
                row = base.next()?;
            }
            let (message, text) = match row {
                Some(r) if r.get::<_, i64>(0)? == n => (
                    r.get_ref(1)?.as_str_or_null()?,
                    r.get_ref(2)?.as_str_or_null()?,
                ),
                _ => (None, None),
            };
            let text_now = json_into(&f.evidence, &mut evidence);
            let message = (message != Some(f.message.as_str())).then_some(f.message.as_str());
            let text = (text != Some(text_now)).then(|| text_now.to_string());
            if message.is_some() || text.is_some() {
                deltas.push((n, message, text));
            }
        }
        drop(base);
        let mut insert = Batch::new(
            tx,
            "content_finding_delta (content_id, n, message, evidence)",
            4,
            deltas.len(),
        )?;
        for (n, message, text) in &deltas {
            insert.row(params![id, n, message, text])?;
        }
        insert.finish()
    }
}

/// The ordinal `n` of the row at `index`: 1, 2, ...
fn ordinal(index: usize) -> i64 {
    int(index).saturating_add(1)
}

/// The set of `table` (node_set, edge_set, finding_set) with this hash, if any.
fn find_set(tx: &Transaction<'_>, table: &str, hash: &str) -> rusqlite::Result<Option<i64>> {
    tx.prepare_cached(&format!("SELECT id FROM {table} WHERE hash = ?1"))?
        .query_row([hash], |row| row.get(0))
        .optional()
}

/// A new set of `table` with this hash, without rows yet.
fn new_set(tx: &Transaction<'_>, table: &str, hash: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached(&format!("INSERT INTO {table} (hash) VALUES (?1)"))?
        .execute([hash])?;
    Ok(tx.last_insert_rowid())
}

/// Inserts a known number of rows `Batch::ROWS` to a statement (`INSERT ... VALUES (..),
/// (..), ...`), the rest one by one: SQLite's work per statement run costs about as much
/// as a row's, and each run journals the pages it touches first (256 rows to a run record
/// a 16 000-edge content 5 % faster than 64; 16 is 15 % slower). Values are bound as rows
/// come, so that rows can borrow reused buffers. 256 rows of 12 values stay far below
/// SQLite's limit of 32 766 parameters to a statement.
struct Batch<'c> {
    many: Statement<'c>,
    one: Statement<'c>,
    width: usize,
    /// Rows that go through `many`: the whole batches.
    batched: usize,
    /// Rows given so far, and rows bound to `many` and not yet inserted.
    done: usize,
    pending: usize,
}

impl<'c> Batch<'c> {
    const ROWS: usize = 256;

    fn new(
        tx: &'c Transaction<'_>,
        table: &str,
        width: usize,
        total: usize,
    ) -> rusqlite::Result<Batch<'c>> {
        let row = format!("({})", vec!["?"; width].join(","));
        let sql = |rows: usize| {
            format!(
                "INSERT INTO {table} VALUES {}",
                vec![row.as_str(); rows].join(",")
            )
        };
        Ok(Batch {
            many: tx.prepare(&sql(Self::ROWS))?,
            one: tx.prepare(&sql(1))?,
            width,
            batched: total - total % Self::ROWS,
            done: 0,
            pending: 0,
        })
    }

    fn row(&mut self, values: &[&dyn ToSql]) -> rusqlite::Result<()> {
        debug_assert_eq!(values.len(), self.width);
        if self.done < self.batched {
            let base = self.pending * self.width;
            for (i, value) in values.iter().enumerate() {
                self.many.raw_bind_parameter(base + i + 1, value)?;
            }
            self.pending += 1;
            if self.pending == Self::ROWS {
                self.many.raw_execute()?;
                self.pending = 0;
            }
        } else {
            for (i, value) in values.iter().enumerate() {
                self.one.raw_bind_parameter(i + 1, value)?;
            }
            self.one.raw_execute()?;
        }
        self.done += 1;
        Ok(())
    }

    /// Checks that every row given was inserted (a batch left half-bound never is).
    fn finish(self) -> rusqlite::Result<()> {
        if self.pending == 0 {
            Ok(())
        } else {
            Err(rusqlite::Error::InvalidParameterCount(
                self.pending * self.width,
                Self::ROWS * self.width,
            ))
        }
    }
}

/// Collects values for XXH3, each with a tag or its length so that no two lists of values
/// give the same bytes, and hashes them a buffer at a time.
#[derive(Default)]
struct Hasher {
    state: Xxh3,
    buffer: Vec<u8>,
}

impl Hasher {
    const FLUSH_AT: usize = 64 << 10;

    /// A hasher for one kind of value (`name`) made by this lintage version.
    fn named(name: &str) -> Hasher {
        let mut h = Hasher::default();
        h.text(name);
        h.text(env!("CARGO_PKG_VERSION"));
        h
    }

    fn tag(&mut self, tag: u8) {
        self.buffer.push(tag);
        self.flush_if_full();
    }

    fn text(&mut self, text: &str) {
        self.count(text.len());
        self.buffer.extend_from_slice(text.as_bytes());
        self.flush_if_full();
    }

    fn opt_text(&mut self, text: Option<&str>) {
        match text {
            None => self.tag(0),
            Some(text) => {
                self.tag(1);
                self.text(text);
            }
        }
    }

    fn int(&mut self, n: i64) {
        self.buffer.extend_from_slice(&n.to_le_bytes());
    }

    fn opt_int(&mut self, n: Option<i64>) {
        match n {
            None => self.tag(0),
            Some(n) => {
                self.tag(1);
                self.int(n);
            }
        }
    }

    fn count(&mut self, n: usize) {
        self.buffer.extend_from_slice(&(n as u64).to_le_bytes());
    }

    fn flush_if_full(&mut self) {
        if self.buffer.len() >= Self::FLUSH_AT {
            self.state.update(&self.buffer);
            self.buffer.clear();
        }
    }

    fn finish128(mut self) -> String {
        self.state.update(&self.buffer);
        format!("xxh3-128:{:032x}", self.state.digest128())
    }
}

/// For values that derive `Hash` (evidence): `std`'s encoding of strings and lists is
/// prefix-free too.
impl std::hash::Hasher for Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        self.flush_if_full();
    }

    fn finish(&self) -> u64 {
        // Only `finish128` gives the hash; `Hash` impls never call this.
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_insert_every_row_in_order() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, text TEXT)")
            .unwrap();
        for total in [
            0,
            1,
            Batch::ROWS - 1,
            Batch::ROWS,
            Batch::ROWS + 1,
            3 * Batch::ROWS + 5,
        ] {
            let tx = conn.transaction().unwrap();
            tx.execute("DELETE FROM t", []).unwrap();
            {
                let mut insert = Batch::new(&tx, "t (n, text)", 2, total).unwrap();
                let mut text = String::new();
                for n in 0..total {
                    text.clear();
                    text.push_str(&format!("row {n}"));
                    insert.row(params![n as i64, text.as_str()]).unwrap();
                }
                insert.finish().unwrap();
            }
            let rows: Vec<(i64, String)> = tx
                .prepare("SELECT n, text FROM t ORDER BY rowid")
                .unwrap()
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let expected: Vec<(i64, String)> =
                (0..total).map(|n| (n as i64, format!("row {n}"))).collect();
            assert_eq!(rows, expected, "{total} rows");
            tx.commit().unwrap();
        }
        // Fewer rows than announced: an error, not a silent loss.
        let tx = conn.transaction().unwrap();
        let mut insert = Batch::new(&tx, "t (n, text)", 2, Batch::ROWS).unwrap();
        insert.row(params![1, "one"]).unwrap();
        assert!(insert.finish().is_err());
    }
}
