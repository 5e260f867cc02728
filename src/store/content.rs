//! What a scan found, as the rows of `content_node`, `content_edge` and `content_finding`
//! (schema 3), and the hash that lets snapshots that found the same share one copy.

use rusqlite::{Transaction, params};
use xxhash_rust::xxh3::Xxh3;

use super::{declarations_json, int, json, loop_kind_str};
use crate::finding::Finding;
use crate::graph::LineageGraph;

pub(super) struct NodeRow<'a> {
    id: &'a str,
    kind: &'static str,
    manifest_file: Option<&'a str>,
    manifest_line: Option<i64>,
    owner: Option<&'a str>,
}

pub(super) struct EdgeRow<'a> {
    source: &'a str,
    target: &'a str,
    declared: bool,
    observed: bool,
    declarations: String,
    count: i64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    evidence_file: Option<&'a str>,
    evidence_line: Option<i64>,
}

pub(super) struct FindingRow<'a> {
    fingerprint: &'a str,
    code: &'a str,
    rule: &'a str,
    severity: &'static str,
    subject: &'a str,
    related: String,
    path: String,
    loop_kind: Option<&'static str>,
    message: &'a str,
    evidence: String,
}

/// The rows one snapshot's content consists of: nodes sorted by id, edges by (source,
/// target) (in key order, rows append to the b-trees instead of splitting pages), findings
/// in the order given.
pub(super) struct Content<'a> {
    nodes: Vec<NodeRow<'a>>,
    edges: Vec<EdgeRow<'a>>,
    findings: Vec<FindingRow<'a>>,
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
        let edges = edges
            .into_iter()
            .map(|(source, target, data)| {
                let mut declarations = String::new();
                declarations_json(&data.declared, &mut declarations);
                let seen = data.observed.as_ref();
                EdgeRow {
                    source,
                    target,
                    declared: data.is_declared(),
                    observed: data.is_observed(),
                    declarations,
                    count: seen.map_or(0, |s| int(s.count)),
                    first_seen: seen.map(|s| s.first_seen.to_string()),
                    last_seen: seen.map(|s| s.last_seen.to_string()),
                    evidence_file: seen.map(|s| s.file.as_str()),
                    evidence_line: seen.map(|s| int(s.line)),
                }
            })
            .collect();

        let findings = findings
            .iter()
            .map(|f| FindingRow {
                fingerprint: &f.fingerprint,
                code: f.code,
                rule: f.rule,
                severity: f.severity.as_str(),
                subject: &f.subject,
                related: json(&f.related),
                path: json(&f.path),
                loop_kind: f.loop_kind.map(loop_kind_str),
                message: &f.message,
                evidence: json(&f.evidence),
            })
            .collect();
        Content {
            nodes,
            edges,
            findings,
        }
    }

    /// `xxh3-128:HEX` of every value of every row, each with its length, so that two
    /// contents have one hash only when they would write the same rows.
    pub(super) fn hash(&self) -> String {
        let mut h = Hasher(Xxh3::new());
        h.text(Some("lintage content 1"));
        h.count(self.nodes.len());
        for n in &self.nodes {
            h.text(Some(n.id));
            h.text(Some(n.kind));
            h.text(n.manifest_file);
            h.int(n.manifest_line);
            h.text(n.owner);
        }
        h.count(self.edges.len());
        for e in &self.edges {
            h.text(Some(e.source));
            h.text(Some(e.target));
            h.int(Some(i64::from(e.declared)));
            h.int(Some(i64::from(e.observed)));
            h.text(Some(&e.declarations));
            h.int(Some(e.count));
            h.text(e.first_seen.as_deref());
            h.text(e.last_seen.as_deref());
            h.text(e.evidence_file);
            h.int(e.evidence_line);
        }
        h.count(self.findings.len());
        for f in &self.findings {
            for text in [
                f.fingerprint,
                f.code,
                f.rule,
                f.severity,
                f.subject,
                &f.related,
                &f.path,
            ] {
                h.text(Some(text));
            }
            h.text(f.loop_kind);
            h.text(Some(f.message));
            h.text(Some(&f.evidence));
        }
        format!("xxh3-128:{:032x}", h.0.digest128())
    }

    /// Writes the rows as content `id`.
    pub(super) fn insert(&self, tx: &Transaction<'_>, id: i64) -> rusqlite::Result<()> {
        let mut insert = tx.prepare(
            "INSERT INTO content_node (content_id, id, kind, manifest_file, manifest_line, owner)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for n in &self.nodes {
            insert.execute(params![
                id,
                n.id,
                n.kind,
                n.manifest_file,
                n.manifest_line,
                n.owner
            ])?;
        }
        let mut insert = tx.prepare(
            "INSERT INTO content_edge (content_id, source, target, declared, observed,
                 declarations, count, first_seen, last_seen, evidence_file, evidence_line)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for e in &self.edges {
            insert.execute(params![
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
            ])?;
        }
        let mut insert = tx.prepare(
            "INSERT INTO content_finding (content_id, fingerprint, code, rule, severity, subject,
                 related, path, loop_kind, message, evidence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for f in &self.findings {
            insert.execute(params![
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
            ])?;
        }
        Ok(())
    }
}

/// Feeds values to XXH3 with a tag and a length each, so that no two row lists feed the
/// same bytes.
struct Hasher(Xxh3);

impl Hasher {
    fn text(&mut self, value: Option<&str>) {
        match value {
            None => self.0.update(&[0]),
            Some(text) => {
                self.0.update(&[1]);
                self.0.update(&(text.len() as u64).to_le_bytes());
                self.0.update(text.as_bytes());
            }
        }
    }

    fn int(&mut self, value: Option<i64>) {
        match value {
            None => self.0.update(&[0]),
            Some(n) => {
                self.0.update(&[2]);
                self.0.update(&n.to_le_bytes());
            }
        }
    }

    fn count(&mut self, n: usize) {
        self.0.update(&(n as u64).to_le_bytes());
    }
}
