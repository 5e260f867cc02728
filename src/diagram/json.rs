//! The diagram as JSON, SPEC.md's `{"nodes":[{"id","kind",...}],"edges":[{"from","to",
//! "declared","observed",...}]}`: every node with its kind, owner and manifest, every edge
//! with its provenance (the manifest lines that declare it, what the logs show), and the
//! findings each takes part in. For tools that draw their own pictures.

use serde::Serialize;

use super::select::{Cluster, cluster_of};
use super::{Diagram, FindingRef};

#[derive(Serialize)]
struct Document<'a> {
    nodes: Vec<JsonNode<'a>>,
    edges: Vec<JsonEdge<'a>>,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    id: &'a str,
    kind: &'static str,
    name: &'a str,
    owner: Option<&'a str>,
    /// Where an entity is declared.
    manifest: Option<Manifest<'a>>,
    /// The `--cluster` group it is drawn in.
    cluster: Option<String>,
    /// On one of the longest model chains.
    chain: bool,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    file: &'a str,
    line: u64,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    from: &'a str,
    to: &'a str,
    declared: bool,
    observed: bool,
    /// The manifest lines that state the edge.
    declarations: Vec<Declaration<'a>>,
    /// What the logs show; null when the edge is only declared.
    observation: Option<Observation<'a>>,
    /// With `--models-only`: the nodes that link the two models.
    via: &'a [String],
    /// On one of the longest model chains.
    chain: bool,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct Declaration<'a> {
    key: &'a str,
    file: &'a str,
    line: u64,
    via: Option<&'a str>,
}

#[derive(Serialize)]
struct Observation<'a> {
    count: u64,
    first_seen: Option<&'a str>,
    last_seen: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u64>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    rule: &'a str,
    severity: &'static str,
    subject: &'a str,
    /// subject | related | path (nodes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    /// Joins the finding in `lintage scan --format json`.
    fingerprint: &'a str,
}

fn finding<'a>(f: &'a FindingRef, role: Option<&'static str>) -> JsonFinding<'a> {
    JsonFinding {
        code: &f.code,
        rule: &f.rule,
        severity: f.severity.as_str(),
        subject: &f.subject,
        role,
        fingerprint: &f.fingerprint,
    }
}

pub fn render(diagram: &Diagram, cluster: Cluster) -> String {
    let findings = &diagram.findings;
    let nodes = diagram
        .nodes
        .iter()
        .map(|n| JsonNode {
            id: &n.id,
            kind: n.kind.as_str(),
            name: &n.name,
            owner: n.owner.as_deref(),
            manifest: n.manifest.as_ref().map(|m| Manifest {
                file: &m.file,
                line: m.line,
            }),
            cluster: cluster_of(n, cluster),
            chain: n.chain,
            findings: n
                .findings
                .iter()
                .filter_map(|&(i, role)| findings.get(i).map(|f| finding(f, Some(role.as_str()))))
                .collect(),
        })
        .collect();
    let edges = diagram
        .edges
        .iter()
        .map(|e| JsonEdge {
            from: &diagram.nodes[e.from].id,
            to: &diagram.nodes[e.to].id,
            declared: e.declared,
            observed: e.observed,
            declarations: e
                .declarations
                .iter()
                .map(|d| Declaration {
                    key: &d.key,
                    file: &d.file,
                    line: d.line,
                    via: d.via.as_deref(),
                })
                .collect(),
            observation: e.observation.as_ref().map(|o| Observation {
                count: o.count,
                first_seen: o.first_seen.as_deref(),
                last_seen: o.last_seen.as_deref(),
                file: o.file.as_deref(),
                line: o.line,
            }),
            via: &e.via,
            chain: e.chain,
            findings: e
                .findings
                .iter()
                .filter_map(|&i| findings.get(i).map(|f| finding(f, None)))
                .collect(),
        })
        .collect();
    // Plain data of strings, numbers and booleans always serializes.
    let mut text = serde_json::to_string_pretty(&Document { nodes, edges }).unwrap_or_default();
    text.push('\n');
    text
}
