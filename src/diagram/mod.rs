//! The lineage diagram: the model every diagram format is drawn from. It is built from a
//! snapshot (stored, or made in memory from a fresh scan), so a diagram of a deployment and
//! of its stored snapshot are the same, and it knows which findings each node and edge takes
//! part in, so that the renderers can draw the debt.
//!
//! `select` narrows a diagram (focus, models only, findings only); `dot`, `mermaid` and
//! `json` print it; `render` turns DOT into SVG or PNG through Graphviz.

pub mod dot;
pub mod json;
pub mod mermaid;
pub mod render;
pub mod select;

use std::collections::{HashMap, HashSet, VecDeque};

use crate::finding::Severity;
use crate::node::{NodeId, NodeKind};
use crate::store::Snapshot;

/// A finding as the diagram refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRef {
    pub code: String,
    pub rule: String,
    pub severity: Severity,
    pub subject: String,
    pub related: Vec<String>,
    /// The loop (LT002) or chain of models (LT003), in order.
    pub path: Vec<String>,
    pub fingerprint: String,
}

/// How a node takes part in a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The finding is about this node.
    Subject,
    /// The finding names this node (the undeclared consumer, the unused dataset, ...).
    Related,
    /// The node lies on the finding's loop or chain.
    Path,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Subject => "subject",
            Role::Related => "related",
            Role::Path => "path",
        }
    }
}

/// Where a manifest declares something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `KIND:NAME`.
    pub id: String,
    pub kind: NodeKind,
    /// The id without its kind: what a diagram writes on the node.
    pub name: String,
    pub owner: Option<String>,
    /// Where an entity is declared.
    pub manifest: Option<Location>,
    /// Indexes into `Diagram::findings`, with this node's part in each; sorted.
    pub findings: Vec<(usize, Role)>,
    /// The node lies on one of the longest model chains, which diagrams highlight.
    pub chain: bool,
}

impl Node {
    /// The codes of the findings about this node or naming it, sorted and without repeats:
    /// what a diagram writes under its name.
    pub fn codes<'a>(&self, findings: &'a [FindingRef]) -> Vec<&'a str> {
        let mut codes: Vec<&str> = self
            .findings
            .iter()
            .filter(|(_, role)| *role != Role::Path)
            .filter_map(|(i, _)| findings.get(*i).map(|f| f.code.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// The most severe of the findings that `codes` lists.
    pub fn worst(&self, findings: &[FindingRef]) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|(_, role)| *role != Role::Path)
            .filter_map(|(i, _)| findings.get(*i).map(|f| f.severity))
            .max()
    }
}

/// A manifest line that declares an edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// inputs | training | outputs | influences | base_model
    pub key: String,
    pub file: String,
    pub line: u64,
    /// The `model:NAME` entry the edge was expanded from.
    pub via: Option<String>,
}

/// What the logs show for an edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub file: Option<String>,
    pub line: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Index into `Diagram::nodes`.
    pub from: usize,
    pub to: usize,
    pub declared: bool,
    pub observed: bool,
    pub declarations: Vec<Declared>,
    pub observation: Option<Observation>,
    /// For a model-to-model edge of a `--models-only` diagram: the ids of the nodes that
    /// link the two models (datasets, jobs, services, principals), sorted.
    pub via: Vec<String>,
    /// Indexes into `Diagram::findings`, sorted.
    pub findings: Vec<usize>,
    /// The edge lies on one of the longest model chains.
    pub chain: bool,
}

impl Edge {
    fn has_code(&self, findings: &[FindingRef], code: &str) -> bool {
        self.findings
            .iter()
            .any(|&i| findings.get(i).is_some_and(|f| f.code == code))
    }

    /// An undeclared consumer reads a model's output along this edge (LT001).
    pub fn undeclared_consumer(&self, findings: &[FindingRef]) -> bool {
        self.has_code(findings, "LT001")
    }

    /// The edge closes a feedback loop (LT002).
    pub fn feedback_loop(&self, findings: &[FindingRef]) -> bool {
        self.has_code(findings, "LT002")
    }

    /// The manifest keys that declare the edge, sorted, without repeats.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.declarations.iter().map(|d| d.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// Nodes sorted by id; edges sorted by (from, to), which is (source id, target id).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Every finding of the snapshot, in report order.
    pub findings: Vec<FindingRef>,
    /// Datasets, jobs, services and principals were folded into model-to-model edges.
    pub models_only: bool,
}

impl Diagram {
    /// The whole lineage graph of a snapshot, with the part each element takes in findings.
    pub fn from_snapshot(snapshot: &Snapshot) -> Diagram {
        let mut nodes: Vec<Node> = snapshot
            .nodes
            .iter()
            .map(|n| {
                let kind = NodeKind::parse(&n.kind).unwrap_or_else(|| kind_of(&n.id));
                Node {
                    name: name_of(&n.id),
                    id: n.id.clone(),
                    kind,
                    owner: n.owner.clone(),
                    manifest: n.manifest_file.as_ref().map(|file| Location {
                        file: file.clone(),
                        line: n.manifest_line.unwrap_or(0),
                    }),
                    findings: Vec::new(),
                    chain: false,
                }
            })
            .collect();
        // A store written by hand could name an edge end that has no node row; draw it
        // rather than lose the edge.
        let mut known: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        let mut missing: Vec<&str> = Vec::new();
        for edge in &snapshot.edges {
            for id in [edge.source.as_str(), edge.target.as_str()] {
                if known.insert(id) {
                    missing.push(id);
                }
            }
        }
        for id in missing {
            nodes.push(bare_node(id));
        }
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        nodes.dedup_by(|a, b| a.id == b.id);
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();

        let mut edges: Vec<Edge> = snapshot
            .edges
            .iter()
            .filter_map(|e| {
                Some(Edge {
                    from: *index.get(e.source.as_str())?,
                    to: *index.get(e.target.as_str())?,
                    declared: e.declared,
                    observed: e.observed,
                    declarations: declarations(&e.declarations),
                    observation: e.observed.then(|| Observation {
                        count: e.count,
                        first_seen: e.first_seen.clone(),
                        last_seen: e.last_seen.clone(),
                        file: e.evidence_file.clone(),
                        line: e.evidence_line,
                    }),
                    via: Vec::new(),
                    findings: Vec::new(),
                    chain: false,
                })
            })
            .collect();
        edges.sort_by_key(|e| (e.from, e.to));
        edges.dedup_by_key(|e| (e.from, e.to));

        let findings: Vec<FindingRef> = snapshot
            .findings
            .iter()
            .map(|f| FindingRef {
                code: f.code.clone(),
                rule: f.rule.clone(),
                severity: parse_severity(&f.severity),
                subject: f.subject.clone(),
                related: f.related.clone(),
                path: f.path.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();

        let mut diagram = Diagram {
            nodes,
            edges,
            findings,
            models_only: false,
        };
        diagram.attach_findings(snapshot, &index);
        diagram
    }

    /// The model chains (LT003 findings, as indexes into `findings`) that no other chain goes
    /// on from: the longest ones, which diagrams highlight.
    pub fn longest_chains(&self) -> Vec<usize> {
        let chains = || {
            self.findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.code == "LT003")
        };
        let continued: HashSet<&str> = chains()
            .flat_map(|(_, f)| f.path.split_last().map_or(&[][..], |(_, before)| before))
            .map(String::as_str)
            .collect();
        chains()
            .filter(|(_, f)| !continued.contains(f.subject.as_str()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Index of the edge `from -> to`.
    pub fn edge_index(&self, from: usize, to: usize) -> Option<usize> {
        self.edges
            .binary_search_by_key(&(from, to), |e| (e.from, e.to))
            .ok()
    }

    /// Outgoing edges of every node, as edge indexes sorted by target.
    pub fn outgoing(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for (i, e) in self.edges.iter().enumerate() {
            if let Some(list) = out.get_mut(e.from) {
                list.push(i);
            }
        }
        out
    }

    /// Incoming edges of every node, as edge indexes sorted by source.
    pub fn incoming(&self) -> Vec<Vec<usize>> {
        let mut inc = vec![Vec::new(); self.nodes.len()];
        for (i, e) in self.edges.iter().enumerate() {
            if let Some(list) = inc.get_mut(e.to) {
                list.push(i);
            }
        }
        inc
    }

    /// Marks the nodes and edges that take part in each finding:
    /// - nodes: the subject, the related nodes, and the nodes of the path;
    /// - edges: those its observed evidence names (the reads of an undeclared consumer),
    ///   those joining its subject and a related node (an undeclared input, an extra writer),
    ///   consecutive steps of a loop's path, and for a model chain the route from each model
    ///   to the next through non-model nodes.
    ///
    /// The longest chains (those that no other chain continues) are flagged for highlighting.
    fn attach_findings(&mut self, snapshot: &Snapshot, index: &HashMap<String, usize>) {
        let outgoing = self.outgoing();
        let longest_chains = self.longest_chains();
        for (number, finding) in snapshot.findings.iter().enumerate() {
            let mut parts: Vec<(usize, Role)> = Vec::new();
            if let Some(&n) = index.get(finding.subject.as_str()) {
                parts.push((n, Role::Subject));
            }
            for related in &finding.related {
                if let Some(&n) = index.get(related.as_str()) {
                    parts.push((n, Role::Related));
                }
            }
            for step in &finding.path {
                if let Some(&n) = index.get(step.as_str()) {
                    parts.push((n, Role::Path));
                }
            }
            parts.sort_unstable();
            parts.dedup_by_key(|p| p.0);
            for &(n, role) in &parts {
                self.nodes[n].findings.push((number, role));
            }

            let mut edges: Vec<usize> = Vec::new();
            for item in finding.evidence.as_array().into_iter().flatten() {
                let end = |key: &str| item.get(key).and_then(|v| v.as_str());
                if let (Some(from), Some(to)) = (end("from"), end("to"))
                    && let (Some(&a), Some(&b)) = (index.get(from), index.get(to))
                {
                    edges.extend(self.edge_index(a, b));
                }
            }
            if let Some(&subject) = index.get(finding.subject.as_str()) {
                for related in &finding.related {
                    if let Some(&other) = index.get(related.as_str()) {
                        edges.extend(self.edge_index(subject, other));
                        edges.extend(self.edge_index(other, subject));
                    }
                }
            }
            let steps: Vec<usize> = finding
                .path
                .iter()
                .filter_map(|s| index.get(s.as_str()).copied())
                .collect();
            let is_chain = finding.code == "LT003";
            let longest = longest_chains.contains(&number);
            for pair in steps.windows(2) {
                let route = if is_chain {
                    self.route(&outgoing, pair[0], pair[1])
                } else {
                    self.edge_index(pair[0], pair[1]).into_iter().collect()
                };
                if longest {
                    for &e in &route {
                        self.edges[e].chain = true;
                    }
                }
                edges.extend(route);
            }
            if longest {
                for &n in &steps {
                    self.nodes[n].chain = true;
                }
            }
            edges.sort_unstable();
            edges.dedup();
            for e in edges {
                self.edges[e].findings.push(number);
            }
        }
    }

    /// One shortest route of edges from model `from` to model `to` through non-model
    /// nodes, neighbours taken in id order, as the chain rule finds it.
    fn route(&self, outgoing: &[Vec<usize>], from: usize, to: usize) -> Vec<usize> {
        let mut parent: HashMap<usize, usize> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for &e in outgoing.get(node).into_iter().flatten() {
                let next = self.edges[e].to;
                if next == from || parent.contains_key(&next) {
                    continue;
                }
                parent.insert(next, e);
                if next == to {
                    let mut route = Vec::new();
                    let mut at = to;
                    while let Some(&edge) = parent.get(&at) {
                        route.push(edge);
                        at = self.edges[edge].from;
                        if at == from {
                            break;
                        }
                    }
                    route.reverse();
                    return route;
                }
                if self.nodes[next].kind != NodeKind::Model {
                    queue.push_back(next);
                }
            }
        }
        Vec::new()
    }
}

fn kind_of(id: &str) -> NodeKind {
    NodeId::parse(id).map_or(NodeKind::Dataset, |id| id.kind())
}

fn name_of(id: &str) -> String {
    match NodeId::parse(id) {
        Some(id) => id.name().to_string(),
        None => id.to_string(),
    }
}

fn bare_node(id: &str) -> Node {
    Node {
        id: id.to_string(),
        kind: kind_of(id),
        name: name_of(id),
        owner: None,
        manifest: None,
        findings: Vec::new(),
        chain: false,
    }
}

fn parse_severity(text: &str) -> Severity {
    match text {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// The `[{key, file, line, via}]` JSON of a stored edge; rows that do not have that shape
/// (a database edited by hand) are left out.
fn declarations(value: &serde_json::Value) -> Vec<Declared> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            Some(Declared {
                key: row.get("key")?.as_str()?.to_string(),
                file: row.get("file")?.as_str()?.to_string(),
                line: row.get("line")?.as_u64()?,
                via: row.get("via").and_then(|v| v.as_str()).map(str::to_string),
            })
        })
        .collect()
}
