//! Narrowing a diagram to what a reader can take in: the neighbourhood of one node
//! (`--focus`, `--depth`, `--upstream` / `--downstream`), models only (datasets, jobs,
//! services and principals folded into model-to-model edges), findings only (the nodes that
//! take part in findings and their direct neighbours), and how nodes are grouped into
//! clusters.

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::{Diagram, Edge, Node};
use crate::node::NodeKind;
use crate::report::text::clean;

/// Which way `--focus` walks from its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Upstream and downstream.
    #[default]
    Both,
    /// What the node depends on.
    Upstream,
    /// What depends on the node.
    Downstream,
}

/// How nodes are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cluster {
    #[default]
    None,
    /// Entities by their manifest's `owner`.
    Owner,
    /// Datasets (and entities named `NAMESPACE/NAME`) by namespace.
    Namespace,
}

/// What to draw. The filters combine: a node is drawn when every filter given keeps it.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The node id to draw the neighbourhood of (see `resolve`).
    pub focus: Option<String>,
    /// Edges to walk from the focus; `None` for the whole lineage up and down.
    pub depth: Option<usize>,
    pub direction: Direction,
    pub models_only: bool,
    pub findings_only: bool,
}

impl Selection {
    /// Whether anything narrows the diagram.
    pub fn is_filtered(&self) -> bool {
        self.focus.is_some() || self.models_only || self.findings_only
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error(
        "no node `{}` in the lineage graph{}",
        clean(name),
        suggest(suggestions)
    )]
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
    #[error(
        "`{}` names {} nodes: {}; pass one of these ids",
        clean(name),
        candidates.len(),
        clean(&candidates.join(", "))
    )]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
    #[error(
        "--models-only draws models only, and `{}` is a {kind}; focus on a model, or leave out --models-only",
        clean(id)
    )]
    NotAModel { id: String, kind: NodeKind },
}

fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => "; node ids look like `model:fraud-scorer`, and a bare name like `fraud-scorer` works when one node has it".to_string(),
        [one] => format!("; did you mean `{}`?", clean(one)),
        many => format!(
            "; did you mean one of: {}?",
            many.iter()
                .map(|s| format!("`{}`", clean(s)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Turns what a user typed into a node id: a node id (`model:fraud-scorer`), or a bare
/// name (`fraud-scorer`) when exactly one node has it.
pub fn resolve(diagram: &Diagram, text: &str) -> Result<String, SelectError> {
    let ids = diagram.nodes.iter().map(|n| n.id.as_str());
    crate::names::resolve(text, ids).map_err(|e| match e {
        crate::names::NameError::Unknown { suggestions } => SelectError::Unknown {
            name: text.trim().to_string(),
            suggestions,
        },
        crate::names::NameError::Ambiguous { candidates } => SelectError::Ambiguous {
            name: text.trim().to_string(),
            candidates,
        },
    })
}

/// The part of `diagram` that `selection` asks for.
pub fn select(diagram: &Diagram, selection: &Selection) -> Result<Diagram, SelectError> {
    let focus_id = match &selection.focus {
        Some(text) => Some(resolve(diagram, text)?),
        None => None,
    };
    let folded;
    let base = if selection.models_only {
        if let Some(id) = &focus_id
            && let Some(node) = diagram.nodes.iter().find(|n| &n.id == id)
            && node.kind != NodeKind::Model
        {
            return Err(SelectError::NotAModel {
                id: id.clone(),
                kind: node.kind,
            });
        }
        folded = models_only(diagram);
        &folded
    } else {
        diagram
    };

    let mut keep = vec![true; base.nodes.len()];
    if selection.findings_only {
        let in_findings = findings_neighbourhood(base);
        for (k, f) in keep.iter_mut().zip(in_findings) {
            *k &= f;
        }
    }
    if let Some(id) = &focus_id {
        let focus = base.nodes.iter().position(|n| &n.id == id);
        let around = neighbourhood(base, focus, selection.depth, selection.direction);
        for (k, a) in keep.iter_mut().zip(around) {
            *k &= a;
        }
        // The node asked about is always drawn, even when another filter leaves it out.
        if let Some(i) = focus {
            keep[i] = true;
        }
    }
    Ok(induced(base, &keep))
}

/// The nodes `depth` edges or fewer from `focus` along edge directions (upstream, downstream
/// or both), the focus included.
fn neighbourhood(
    diagram: &Diagram,
    focus: Option<usize>,
    depth: Option<usize>,
    direction: Direction,
) -> Vec<bool> {
    let mut reached = vec![false; diagram.nodes.len()];
    let Some(focus) = focus else {
        return reached;
    };
    reached[focus] = true;
    let walks: &[bool] = match direction {
        Direction::Both => &[true, false],
        Direction::Downstream => &[true],
        Direction::Upstream => &[false],
    };
    let outgoing = diagram.outgoing();
    let incoming = diagram.incoming();
    for &downstream in walks {
        let lists = if downstream { &outgoing } else { &incoming };
        // Each walk has its own visited set: a node one step upstream must still be
        // walked through when it is also reached downstream.
        let mut seen = vec![false; diagram.nodes.len()];
        seen[focus] = true;
        let mut queue = VecDeque::from([(focus, 0usize)]);
        while let Some((node, distance)) = queue.pop_front() {
            if depth.is_some_and(|d| distance >= d) {
                continue;
            }
            for &e in lists.get(node).into_iter().flatten() {
                let edge = &diagram.edges[e];
                let next = if downstream { edge.to } else { edge.from };
                if !seen[next] {
                    seen[next] = true;
                    reached[next] = true;
                    queue.push_back((next, distance + 1));
                }
            }
        }
    }
    reached
}

/// The nodes that take part in a finding shown in this diagram, and their direct
/// neighbours.
fn findings_neighbourhood(diagram: &Diagram) -> Vec<bool> {
    let mut keep: Vec<bool> = diagram
        .nodes
        .iter()
        .map(|n| !n.findings.is_empty())
        .collect();
    let marked = keep.clone();
    for e in &diagram.edges {
        if marked[e.from] || marked[e.to] {
            keep[e.from] = true;
            keep[e.to] = true;
        }
    }
    keep
}

/// The nodes marked in `keep` and the edges between them, re-indexed.
fn induced(diagram: &Diagram, keep: &[bool]) -> Diagram {
    let mut new_index = vec![usize::MAX; diagram.nodes.len()];
    let mut nodes = Vec::new();
    for (i, node) in diagram.nodes.iter().enumerate() {
        if keep.get(i).copied().unwrap_or(false) {
            new_index[i] = nodes.len();
            nodes.push(node.clone());
        }
    }
    let edges = diagram
        .edges
        .iter()
        .filter(|e| new_index[e.from] != usize::MAX && new_index[e.to] != usize::MAX)
        .map(|e| Edge {
            from: new_index[e.from],
            to: new_index[e.to],
            ..e.clone()
        })
        .collect();
    Diagram {
        nodes,
        edges,
        findings: diagram.findings.clone(),
        models_only: diagram.models_only,
    }
}

/// Folds everything that is not a model into model-to-model edges: `A -> B` when the
/// lineage has a path from model A to model B through datasets, jobs, services or
/// principals only (or a direct `base_model` edge), labelled with the first node of such
/// paths (what A writes that B depends on).
/// The edge is declared when a path of declared edges links them, observed when a path of
/// observed edges does. It takes part in the loops and chains whose paths step from A to B,
/// and in the undeclared-consumer findings of A about B.
pub fn models_only(diagram: &Diagram) -> Diagram {
    let outgoing = diagram.outgoing();
    let is_model = |n: usize| diagram.nodes[n].kind == NodeKind::Model;
    let models: Vec<usize> = (0..diagram.nodes.len()).filter(|&n| is_model(n)).collect();

    let mut links: BTreeMap<(usize, usize), Edge> = BTreeMap::new();
    for &a in &models {
        // What links A to B is named by A's first steps towards B: the outputs (or other
        // nodes) A leads to that reach B. One walk per first step keeps this linear in the
        // size of the graph for each model; naming every node on every path would not be
        // (on a generated 5,000-node deployment it took minutes and gigabytes).
        let mut first_steps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &e in outgoing.get(a).into_iter().flatten() {
            let step = diagram.edges[e].to;
            if is_model(step) {
                first_steps.entry(step).or_default();
                continue;
            }
            for b in reached_models(diagram, &outgoing, step, |_| true) {
                first_steps.entry(b).or_default().push(step);
            }
        }
        let declared = reached_models(diagram, &outgoing, a, |e| e.declared);
        let observed = reached_models(diagram, &outgoing, a, |e| e.observed);
        for (b, steps) in first_steps {
            let direct = diagram.edge_index(a, b).map(|e| &diagram.edges[e]);
            links.insert(
                (a, b),
                Edge {
                    from: a,
                    to: b,
                    declared: declared.binary_search(&b).is_ok(),
                    observed: observed.binary_search(&b).is_ok(),
                    declarations: direct.map(|e| e.declarations.clone()).unwrap_or_default(),
                    observation: direct.and_then(|e| e.observation.clone()),
                    // Outgoing edges are sorted by target, so are the steps.
                    via: steps
                        .into_iter()
                        .map(|n| diagram.nodes[n].id.clone())
                        .collect(),
                    findings: Vec::new(),
                    chain: false,
                },
            );
        }
    }

    let index_of = |id: &str| {
        diagram
            .nodes
            .binary_search_by(|n| n.id.as_str().cmp(id))
            .ok()
    };
    let longest = diagram.longest_chains();
    for (number, finding) in diagram.findings.iter().enumerate() {
        let steps: Vec<(usize, usize)> = match finding.code.as_str() {
            // Undeclared consumers that are models read the subject's outputs directly here.
            "LT001" => index_of(&finding.subject)
                .into_iter()
                .flat_map(|subject| {
                    finding
                        .related
                        .iter()
                        .filter_map(|r| index_of(r))
                        .map(move |other| (subject, other))
                })
                .collect(),
            // Loops and chains: consecutive models of the path (a loop through one model
            // becomes an edge from the model to itself).
            _ => {
                let models: Vec<usize> = finding
                    .path
                    .iter()
                    .filter_map(|step| index_of(step))
                    .filter(|&n| is_model(n))
                    .collect();
                models.windows(2).map(|w| (w[0], w[1])).collect()
            }
        };
        let highlight = longest.contains(&number);
        for step in steps {
            if let Some(link) = links.get_mut(&step) {
                if !link.findings.contains(&number) {
                    link.findings.push(number);
                }
                link.chain |= highlight;
            }
        }
    }

    let keep: Vec<bool> = (0..diagram.nodes.len()).map(is_model).collect();
    let mut folded = induced(
        &Diagram {
            nodes: diagram.nodes.clone(),
            edges: links.into_values().collect(),
            findings: diagram.findings.clone(),
            models_only: true,
        },
        &keep,
    );
    folded.models_only = true;
    folded
}

/// Models reached from `start` through non-model nodes, on edges `allow` lets through;
/// sorted.
fn reached_models(
    diagram: &Diagram,
    outgoing: &[Vec<usize>],
    start: usize,
    allow: impl Fn(&Edge) -> bool,
) -> Vec<usize> {
    let mut seen = HashSet::new();
    let mut models = Vec::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &e in outgoing.get(node).into_iter().flatten() {
            let edge = &diagram.edges[e];
            if !allow(edge) || !seen.insert(edge.to) {
                continue;
            }
            if diagram.nodes[edge.to].kind == NodeKind::Model {
                models.push(edge.to);
            } else {
                queue.push_back(edge.to);
            }
        }
    }
    models.sort_unstable();
    models
}

/// The cluster a node is drawn in, if any.
pub fn cluster_of(node: &Node, cluster: Cluster) -> Option<String> {
    match cluster {
        Cluster::None => None,
        Cluster::Owner => node.owner.clone().filter(|o| !o.is_empty()),
        Cluster::Namespace => namespace(node),
    }
}

/// The namespace of a node's name: for datasets `s3://bucket` of `s3://bucket/prefix`,
/// `ns` of OpenLineage's `ns/name`, `endpoint` of `endpoint:fraud-scorer`, `warehouse.scores`
/// of `warehouse.scores.fraud`; for entities the `ORG` of `ORG/NAME` (Hugging Face models,
/// OpenLineage jobs). Principals have none.
pub fn namespace(node: &Node) -> Option<String> {
    let name = node.name.as_str();
    let found = match node.kind {
        NodeKind::Principal => None,
        NodeKind::Dataset => {
            if let Some((scheme, rest)) = name.split_once("://") {
                let host = rest.split('/').next().unwrap_or_default();
                Some(format!("{scheme}://{host}"))
            } else if let Some((ns, _)) = name.split_once('/') {
                Some(ns.to_string())
            } else if let Some((ns, _)) = name.split_once(':') {
                Some(ns.to_string())
            } else {
                name.rsplit_once('.').map(|(ns, _)| ns.to_string())
            }
        }
        _ => name.split_once('/').map(|(ns, _)| ns.to_string()),
    };
    found.filter(|ns| !ns.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::NodeId;

    fn node(id: &str) -> Node {
        let parsed = NodeId::parse(id);
        Node {
            id: id.to_string(),
            kind: parsed.as_ref().map_or(NodeKind::Dataset, NodeId::kind),
            name: parsed.as_ref().map_or(id, |p| p.name()).to_string(),
            owner: None,
            manifest: None,
            findings: Vec::new(),
            chain: false,
        }
    }

    #[test]
    fn namespaces_of_names() {
        let ns = |id: &str| namespace(&node(id));
        assert_eq!(
            ns("dataset:warehouse.scores.fraud").as_deref(),
            Some("warehouse.scores")
        );
        assert_eq!(
            ns("dataset:s3://bucket/a/b").as_deref(),
            Some("s3://bucket")
        );
        assert_eq!(
            ns("dataset:kafka://topic").as_deref(),
            Some("kafka://topic")
        );
        assert_eq!(ns("dataset:pg/db.table").as_deref(), Some("pg"));
        assert_eq!(ns("dataset:endpoint:fraud").as_deref(), Some("endpoint"));
        assert_eq!(ns("dataset:plain"), None);
        assert_eq!(ns("dataset:.hidden"), None);
        assert_eq!(ns("model:org/name").as_deref(), Some("org"));
        assert_eq!(ns("model:fraud.scorer"), None);
        assert_eq!(ns("principal:svc:x/y"), None);
    }

    #[test]
    fn names_resolve_to_ids() {
        let diagram = Diagram {
            nodes: ["dataset:x", "model:scorer", "model:x", "service:web"]
                .into_iter()
                .map(node)
                .collect(),
            ..Diagram::default()
        };
        assert_eq!(resolve(&diagram, "model:x").as_deref(), Ok("model:x"));
        assert_eq!(resolve(&diagram, " web ").as_deref(), Ok("service:web"));
        assert!(matches!(
            resolve(&diagram, "x"),
            Err(SelectError::Ambiguous { candidates, .. }) if candidates == ["dataset:x", "model:x"]
        ));
        assert!(matches!(
            resolve(&diagram, "scorr"),
            Err(SelectError::Unknown { suggestions, .. }) if suggestions == ["model:scorer"]
        ));
        let text = resolve(&diagram, "zzzzzzzzzz").unwrap_err().to_string();
        assert!(text.contains("node ids look like"), "{text}");
    }
}
