//! What a scan found, as the rows of `content_node`, `content_edge` (and `content_edge_in`)
//! and `content_finding` (schema 3 and 4), and the hash that lets snapshots that found the
//! same share one copy.

use std::hash::Hash;

use rusqlite::{Statement, ToSql, Transaction, params};
use xxhash_rust::xxh3::Xxh3;

use super::{declarations_json, int, json_into, loop_kind_str};
use crate::finding::Finding;
use crate::graph::{Declaration, EdgeData, LineageGraph, Seen};

/// One `content_node` row.
struct NodeRow<'a> {
    id: &'a str,
    kind: &'static str,
    manifest_file: Option<&'a str>,
    manifest_line: Option<i64>,
    owner: Option<&'a str>,
}

/// One `content_edge` row; its text values borrow buffers that the next row reuses.
struct EdgeRow<'r> {
    source: &'r str,
    target: &'r str,
    declared: bool,
    observed: bool,
    declarations: &'r str,
    count: i64,
    first_seen: Option<&'r str>,
    last_seen: Option<&'r str>,
    evidence_file: Option<&'r str>,
    evidence_line: Option<i64>,
}

/// One `content_finding` row, as `EdgeRow`.
struct FindingRow<'r> {
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

/// What one snapshot found, in the order its rows are written: nodes sorted by id, edges by
/// (source, target) (in key order, rows append to the b-trees instead of splitting pages),
/// findings in the order given. `hash` reads the values directly; the rows' text is made
/// only when the content is new and inserted, one row at a time into reused buffers, so
/// that no 50 000 rows of text are kept in memory.
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

    /// Calls `each` with every edge row in order.
    fn edge_rows<E>(&self, mut each: impl FnMut(&EdgeRow<'_>) -> Result<(), E>) -> Result<(), E> {
        let (mut declared, mut first, mut last) = (Vec::new(), String::new(), String::new());
        for &(source, target, data) in &self.edges {
            let declarations = declarations_json(&data.declared, &mut declared);
            let seen = data.observed.as_ref();
            if let Some(seen) = seen {
                first.clear();
                last.clear();
                seen.first_seen.push_rfc3339(&mut first);
                seen.last_seen.push_rfc3339(&mut last);
            }
            each(&EdgeRow {
                source,
                target,
                declared: data.is_declared(),
                observed: data.is_observed(),
                declarations,
                count: seen.map_or(0, |s| int(s.count)),
                first_seen: seen.map(|_| first.as_str()),
                last_seen: seen.map(|_| last.as_str()),
                evidence_file: seen.map(|s| &*s.file),
                evidence_line: seen.map(|s| int(s.line)),
            })?;
        }
        Ok(())
    }

    /// Calls `each` with every finding row in order.
    fn finding_rows<E>(
        &self,
        mut each: impl FnMut(&FindingRow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let (mut related, mut path, mut evidence) = (Vec::new(), Vec::new(), Vec::new());
        for f in self.findings {
            each(&FindingRow {
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

    /// `xxh3-128:HEX` of everything the rows are made of, each value with its length, and of
    /// the lintage version that makes rows from them: two contents have one hash only when
    /// they would write the same rows. Hashing the values, not the rows' text, spares a
    /// re-scan formatting 50 000 rows only to find them unchanged.
    pub(super) fn hash(&self) -> String {
        let mut h = Hasher::default();
        h.text("lintage content 1");
        h.text(env!("CARGO_PKG_VERSION"));
        h.count(self.nodes.len());
        for n in &self.nodes {
            h.text(n.id);
            h.text(n.kind);
            h.opt_text(n.manifest_file);
            h.opt_int(n.manifest_line);
            h.opt_text(n.owner);
        }
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
                    count,
                    first_seen,
                    last_seen,
                    file,
                    line,
                }) => {
                    h.tag(1);
                    h.int(int(*count));
                    h.int(first_seen.0);
                    h.int(last_seen.0);
                    h.text(file);
                    h.int(int(*line));
                }
            }
        }
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
                message,
                evidence,
                fingerprint,
            } = finding;
            for text in [
                *code,
                *rule,
                severity.as_str(),
                subject,
                message,
                fingerprint,
            ] {
                h.text(text);
            }
            for list in [related, path] {
                h.count(list.len());
                for item in list {
                    h.text(item);
                }
            }
            h.opt_text(loop_kind.map(loop_kind_str));
            evidence.hash(&mut h);
        }
        h.finish128()
    }

    /// Writes the rows as content `id`.
    pub(super) fn insert(&self, tx: &Transaction<'_>, id: i64) -> rusqlite::Result<()> {
        let mut insert = Batch::new(
            tx,
            "content_node (content_id, id, kind, manifest_file, manifest_line, owner)",
            6,
            self.nodes.len(),
        )?;
        for n in &self.nodes {
            insert.row(params![
                id,
                n.id,
                n.kind,
                n.manifest_file,
                n.manifest_line,
                n.owner
            ])?;
        }
        insert.finish()?;
        let mut insert = Batch::new(
            tx,
            "content_edge (content_id, source, target, declared, observed, declarations, count,
                first_seen, last_seen, evidence_file, evidence_line)",
            11,
            self.edges.len(),
        )?;
        self.edge_rows(|e| {
            insert.row(params![
                id,
                e.source,
                e.target,
                e.declared,
                e.observed,
                e.declarations,
                e.count,
                e.first_seen,
                e.last_seen,
                e.evidence_file,
                e.evidence_line,
            ])
        })?;
        insert.finish()?;
        // The same pairs by target (`content_edge_in`, schema 4), in key order so that they
        // append too.
        let mut by_target: Vec<(&str, &str)> = self
            .edges
            .iter()
            .map(|&(source, target, _)| (target, source))
            .collect();
        by_target.sort_unstable();
        let mut insert = Batch::new(
            tx,
            "content_edge_in (content_id, target, source)",
            3,
            by_target.len(),
        )?;
        for (target, source) in by_target {
            insert.row(params![id, target, source])?;
        }
        insert.finish()?;
        let mut insert = Batch::new(
            tx,
            "content_finding (content_id, fingerprint, code, rule, severity, subject, related,
                path, loop_kind, message, evidence)",
            11,
            self.findings.len(),
        )?;
        self.finding_rows(|f| {
            insert.row(params![
                id,
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
}

/// Inserts a known number of rows `Batch::ROWS` to a statement (`INSERT ... VALUES (..),
/// (..), ...`), the rest one by one: SQLite's work per statement run costs about as much
/// as a row's, and each run journals the pages it touches first (256 rows to a run record
/// a 16 000-edge content 5 % faster than 64; 16 is 15 % slower). Values are bound as rows
/// come, so that rows can borrow reused buffers. 256 rows of 11 values stay far below
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
