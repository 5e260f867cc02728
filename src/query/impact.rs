//! The blast radius of changing a node: what is downstream of it, by kind, which of it is
//! reached only through undeclared edges, the longest downstream chain of models, and
//! whether the node sits on a feedback loop.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::{EdgeFilter, Lineage, QueryError, Walk, WalkOptions, walk};

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub node: String,
    /// Downstream nodes by kind (`model`, `service`, `job`, `dataset`, `principal`).
    pub downstream: BTreeMap<String, Vec<ImpactedNode>>,
    /// How many downstream nodes no path of declared edges reaches.
    pub undeclared: usize,
    /// The longest chain of models downstream, starting at the node (or at the first models
    /// it feeds when it is no model itself).
    pub longest_model_chain: Vec<String>,
    pub in_feedback_loop: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImpactedNode {
    pub node: String,
    pub depth: usize,
    /// Some path of declared edges reaches it.
    pub declared: bool,
    /// Some path of observed edges reaches it.
    pub observed: bool,
}

pub fn impact(lineage: &dyn Lineage, node: &str) -> Result<Impact, QueryError> {
    let downstream = walk(lineage, node, true, &WalkOptions::default())?;
    // "Undeclared" means no declared path reaches the node at all, not only that its
    // shortest path uses an undeclared edge.
    let reach = |edges: EdgeFilter| -> Result<HashSet<String>, QueryError> {
        let options = WalkOptions { depth: None, edges };
        Ok(walk(lineage, node, true, &options)?
            .reached
            .into_iter()
            .map(|r| r.node)
            .collect())
    };
    let declared = reach(EdgeFilter::DeclaredOnly)?;
    let observed = reach(EdgeFilter::ObservedOnly)?;
    let mut by_kind: BTreeMap<String, Vec<ImpactedNode>> = BTreeMap::new();
    for r in &downstream.reached {
        let kind = r.node.split(':').next().unwrap_or_default().to_string();
        by_kind.entry(kind).or_default().push(ImpactedNode {
            node: r.node.clone(),
            depth: r.depth,
            declared: declared.contains(&r.node),
            observed: observed.contains(&r.node),
        });
    }
    let undeclared = downstream
        .reached
        .iter()
        .filter(|r| !declared.contains(&r.node))
        .count();
    Ok(Impact {
        node: node.to_string(),
        downstream: by_kind,
        undeclared,
        longest_model_chain: longest_chain(&downstream),
        in_feedback_loop: in_feedback_loop(lineage, &downstream)?,
    })
}

/// Whether the node sits on a cycle that passes through a model (what LT002 calls a feedback
/// loop): the nodes both downstream and upstream of it form its cycle.
fn in_feedback_loop(lineage: &dyn Lineage, downstream: &Walk) -> Result<bool, QueryError> {
    if !downstream.returns_to_start {
        return Ok(false);
    }
    if is_model(&downstream.start) {
        return Ok(true);
    }
    let upstream = walk(lineage, &downstream.start, false, &WalkOptions::default())?;
    let above: HashSet<&str> = upstream.reached.iter().map(|r| r.node.as_str()).collect();
    Ok(downstream
        .reached
        .iter()
        .any(|r| is_model(&r.node) && above.contains(r.node.as_str())))
}

fn is_model(id: &str) -> bool {
    id.starts_with("model:")
}

/// The longest chain of models along the walk's edges, where one model precedes another when
/// a path joins them through no other model, and models of one loop do not precede each other
/// (as LT003 counts chains).
fn longest_chain(walk: &Walk) -> Vec<String> {
    let mut graph: DiGraph<String, ()> = DiGraph::new();
    let mut index: HashMap<&str, NodeIndex> = HashMap::new();
    let mut models: Vec<&str> = walk
        .reached
        .iter()
        .map(|r| r.node.as_str())
        .filter(|n| is_model(n))
        .collect();
    models.sort();
    let start_is_model = is_model(&walk.start);
    if start_is_model {
        models.insert(0, walk.start.as_str());
    }
    for &m in &models {
        index.insert(m, graph.add_node(m.to_string()));
    }
    // Model-to-model precedence: from each model (or the start), through non-models.
    let sources: Vec<&str> = if start_is_model {
        models.clone()
    } else {
        [walk.start.as_str()]
            .into_iter()
            .chain(models.iter().copied())
            .collect()
    };
    let mut first_models: Vec<&str> = Vec::new();
    for &from in &sources {
        let mut seen: Vec<&str> = vec![from];
        let mut queue: VecDeque<&str> = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for hop in walk.hops.get(node).into_iter().flatten() {
                let next = hop.node.as_str();
                if seen.contains(&next) {
                    continue;
                }
                seen.push(next);
                if is_model(next) {
                    match (index.get(from), index.get(next)) {
                        (Some(&a), Some(&b)) => {
                            graph.add_edge(a, b, ());
                        }
                        _ if from == walk.start => first_models.push(next),
                        _ => {}
                    }
                } else {
                    queue.push_back(next);
                }
            }
        }
    }
    // Drop precedence inside loops, then the longest path by dynamic programming in
    // topological order.
    let components = petgraph::algo::kosaraju_scc(&graph);
    let mut component_of: HashMap<NodeIndex, usize> = HashMap::new();
    for (i, c) in components.iter().enumerate() {
        for &n in c {
            component_of.insert(n, i);
        }
    }
    graph.retain_edges(|g, e| {
        g.edge_endpoints(e)
            .is_some_and(|(a, b)| component_of.get(&a) != component_of.get(&b))
    });
    let Ok(order) = petgraph::algo::toposort(&graph, None) else {
        return Vec::new();
    };
    let starts: Vec<NodeIndex> = if start_is_model {
        index
            .get(walk.start.as_str())
            .copied()
            .into_iter()
            .collect()
    } else {
        first_models
            .iter()
            .filter_map(|m| index.get(m).copied())
            .collect()
    };
    // Longest chain from each node to the end, computed in reverse topological order.
    let mut best: HashMap<NodeIndex, (usize, Option<NodeIndex>)> = HashMap::new();
    for &n in order.iter().rev() {
        let mut next: Vec<NodeIndex> = graph.neighbors(n).collect();
        next.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
        let choice = next
            .into_iter()
            .map(|m| (best.get(&m).map_or(1, |b| b.0), m))
            .fold(None::<(usize, NodeIndex)>, |acc, cand| match acc {
                Some(a) if a.0 >= cand.0 => Some(a),
                _ => Some(cand),
            });
        best.insert(n, choice.map_or((1, None), |(len, m)| (len + 1, Some(m))));
    }
    let mut ordered_starts = starts;
    ordered_starts.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
    let Some(&first) = ordered_starts
        .iter()
        .fold(None::<&NodeIndex>, |acc, s| match acc {
            Some(a) if best.get(a).map_or(0, |b| b.0) >= best.get(s).map_or(0, |b| b.0) => Some(a),
            _ => Some(s),
        })
    else {
        return Vec::new();
    };
    let mut chain = vec![graph[first].clone()];
    let mut at = first;
    while let Some(&(_, Some(next))) = best.get(&at) {
        chain.push(graph[next].clone());
        at = next;
    }
    chain
}
