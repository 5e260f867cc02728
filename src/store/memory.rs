//! A snapshot built in memory from a fresh analysis, row for row what `Store::record` writes
//! and `Store::load` reads back, so that commands that draw or query a scan (`export DIR`)
//! work the same on a deployment folder as on a stored snapshot, without a database.

use super::{
    InputFile, Snapshot, SnapshotInfo, StoredEdge, StoredFinding, StoredNode, declaration_rows,
    loop_kind_str,
};
use crate::pipeline::Analysis;

/// The snapshot `Store::record` would write for `analysis` (as `command`), as `Store::load`
/// would return it. It has no id (0) and no creation time (empty), because it is never stored.
pub fn snapshot(analysis: &Analysis, root: &str, command: &str) -> Snapshot {
    let graph = &analysis.graph;
    let findings = &analysis.outcome.findings;

    let mut inputs: Vec<InputFile> = analysis.inputs.iter().map(InputFile::from).collect();
    inputs.sort_by(|a, b| a.path.cmp(&b.path));

    let mut nodes: Vec<StoredNode> = graph
        .nodes()
        .map(|node| {
            let manifest = graph.manifest(node);
            StoredNode {
                id: graph.id(node).to_string(),
                kind: graph.kind(node).as_str().to_string(),
                manifest_file: manifest.map(|m| m.file.clone()),
                manifest_line: manifest.map(|m| m.line as u64),
                owner: manifest.and_then(|m| m.owner.clone()),
            }
        })
        .collect();
    // SQLite's `ORDER BY id` compares bytes, as `String`'s `Ord` does.
    nodes.sort_by(|a, b| a.id.cmp(&b.id));

    let mut edges: Vec<StoredEdge> = graph
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (from, to) = graph.graph.edge_endpoints(e)?;
            let data = &graph.graph[e];
            let seen = data.observed.as_ref();
            Some(StoredEdge {
                source: graph.id(from).to_string(),
                target: graph.id(to).to_string(),
                declared: data.is_declared(),
                observed: data.is_observed(),
                count: seen.map_or(0, |s| s.count),
                first_seen: seen.map(|s| s.first_seen.to_string()),
                last_seen: seen.map(|s| s.last_seen.to_string()),
                evidence_file: seen.map(|s| s.file.to_string()),
                evidence_line: seen.map(|s| s.line),
                declarations: declarations_value(&data.declared),
            })
        })
        .collect();
    edges.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));

    let mut stored: Vec<StoredFinding> = findings
        .iter()
        .map(|finding| StoredFinding {
            fingerprint: finding.fingerprint.clone(),
            code: finding.code.to_string(),
            rule: finding.rule.to_string(),
            severity: finding.severity.as_str().to_string(),
            subject: finding.subject.clone(),
            related: finding.related.clone(),
            path: finding.path.clone(),
            loop_kind: finding.loop_kind.map(|k| loop_kind_str(k).to_string()),
            message: finding.message.clone(),
            evidence: serde_json::to_value(&finding.evidence)
                .unwrap_or_else(|_| serde_json::Value::Array(Vec::new())),
        })
        .collect();
    stored.sort_by(|a, b| {
        (&a.code, &a.subject, &a.related, &a.path).cmp(&(&b.code, &b.subject, &b.related, &b.path))
    });

    Snapshot {
        info: SnapshotInfo {
            id: 0,
            created_at: String::new(),
            root: root.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            node_count: graph.node_count() as u64,
            edge_count: graph.edge_count() as u64,
            finding_count: findings.len() as u64,
            log_records: analysis.summary.log_records,
            malformed_records: analysis.summary.malformed_records,
            command: command.to_string(),
            failed: false,
        },
        inputs,
        nodes,
        edges,
        findings: stored,
    }
}

/// The `edge.declarations` column as `Store::load` parses it: the same rows, as JSON values.
fn declarations_value(declarations: &[crate::graph::Declaration]) -> serde_json::Value {
    let rows = declaration_rows(declarations);
    // Rows of strings and numbers always serialize.
    serde_json::to_value(rows).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{ScanOptions, analyze};
    use crate::store::{SnapshotInput, Store};

    #[test]
    fn equals_what_the_store_records_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("deployment");
        let files = [
            (
                "models/m.yaml",
                "kind: model\nname: m\nowner: risk\nidentities: [svc:m]\ninputs: [features, model:base]\noutputs: [scores]\ntraining: [labels]\nconsumers: [service:app]\n",
            ),
            (
                "models/base.yaml",
                "kind: model\nname: base\nidentities: [svc:base]\noutputs: [base.scores]\n",
            ),
            (
                "jobs/labels.yaml",
                "kind: job\nname: labeler\nowner: data\nidentities: [svc:l]\noutputs: [labels]\n",
            ),
            (
                "logs/a.jsonl",
                concat!(
                    "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:m\",\"action\":\"write\",\"resource\":\"scores\"}\n",
                    "{\"ts\":\"2026-11-02T00:00:00.5Z\",\"principal\":\"svc:l\",\"action\":\"read\",\"resource\":\"scores\"}\n",
                    "{\"ts\":\"2026-11-03T00:00:00Z\",\"principal\":\"svc:l\",\"action\":\"write\",\"resource\":\"labels\",\"count\":3}\n",
                    "{\"ts\":\"2026-11-04T00:00:00Z\",\"principal\":\"stranger\",\"action\":\"read\",\"resource\":\"scores\"}\n",
                    "not json\n",
                ),
            ),
        ];
        for (name, text) in files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let analysis = analyze(&root, &ScanOptions::default()).unwrap();
        assert!(!analysis.outcome.findings.is_empty());
        let inputs: Vec<InputFile> = analysis.inputs.iter().map(InputFile::from).collect();

        let mut store = Store::open(&dir.path().join("lintage.db")).unwrap();
        let id = store
            .record(&SnapshotInput {
                command: "scan",
                failed: false,
                root: "deployment",
                inputs: &inputs,
                graph: &analysis.graph,
                findings: &analysis.outcome.findings,
                log_records: analysis.summary.log_records,
                malformed_records: analysis.summary.malformed_records,
            })
            .unwrap();
        let loaded = store.load(id).unwrap();
        let memory = snapshot(&analysis, "deployment", "scan");

        assert_eq!(memory.nodes, loaded.nodes);
        assert_eq!(memory.edges, loaded.edges);
        assert_eq!(memory.findings, loaded.findings);
        assert_eq!(memory.inputs, loaded.inputs);
        let info = SnapshotInfo {
            id: loaded.info.id,
            created_at: loaded.info.created_at.clone(),
            ..memory.info.clone()
        };
        assert_eq!(info, loaded.info);
        let owner = |id: &str| {
            memory
                .nodes
                .iter()
                .find(|n| n.id == id)
                .and_then(|n| n.owner.clone())
        };
        assert_eq!(owner("model:m").as_deref(), Some("risk"));
        assert_eq!(owner("job:labeler").as_deref(), Some("data"));
        assert_eq!(owner("model:base"), None);
    }
}
