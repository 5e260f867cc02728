//! Queries over a lineage: who depends on a node (downstream), what it depends on (upstream),
//! how two nodes connect, dbt-style selectors and the blast radius of a change. They walk a
//! stored snapshot one node at a time, so they cost what they reach, not the snapshot's size.

pub mod impact;
pub mod select;

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use crate::graph::LineageGraph;
use crate::node::{NodeId, NodeKind};
use crate::report::text::clean;
use crate::store::lookup::Hop;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("no node `{}` in the lineage{}", clean(.name), suggest(.suggestions))]
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
    #[error("`{}` is ambiguous; it names {}: give the node id", clean(.name), clean(&.candidates.join(", ")))]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
    #[error(
        "bad selector `{0}`: write NODE with `+` before (upstream) and/or after (downstream), each optionally bounded by a depth: `+NODE`, `NODE+`, `2+NODE+1`"
    )]
    Selector(String),
}

fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        _ => format!("; did you mean {}?", clean(&suggestions.join(", "))),
    }
}

/// What queries walk: a stored snapshot or a graph in memory.
pub trait Lineage {
    /// The edges leaving (downstream) or entering a node, sorted by the other end.
    fn hops(&self, node: &str, downstream: bool) -> Result<Vec<Hop>, QueryError>;
    fn has_node(&self, id: &str) -> Result<bool, QueryError>;
    /// Every node id, sorted.
    fn node_ids(&self) -> Result<Vec<String>, QueryError>;
}

/// A snapshot in the store. A walk reads the edges of one node at a time through an index;
/// one that has read very many nodes switches to reading the whole edge table once, which
/// is cheaper from there on.
pub struct StoredLineage<'a> {
    store: &'a Store,
    snapshot: i64,
    lookups: std::cell::Cell<usize>,
    /// All edges grouped by source ([0]) and by target ([1]), once loaded.
    loaded: [std::cell::OnceCell<HashMap<String, Vec<Hop>>>; 2],
}

/// Point lookups before a walk loads the whole snapshot instead.
const LOOKUPS_BEFORE_LOADING: usize = 20_000;

impl<'a> StoredLineage<'a> {
    pub fn new(store: &'a Store, snapshot: i64) -> StoredLineage<'a> {
        StoredLineage {
            store,
            snapshot,
            lookups: std::cell::Cell::new(0),
            loaded: Default::default(),
        }
    }
}

impl Lineage for StoredLineage<'_> {
    fn hops(&self, node: &str, downstream: bool) -> Result<Vec<Hop>, QueryError> {
        let slot = &self.loaded[usize::from(!downstream)];
        if slot.get().is_none() && self.lookups.get() >= LOOKUPS_BEFORE_LOADING {
            let all = self.store.all_hops(self.snapshot, downstream)?;
            let _ = slot.set(all);
        }
        if let Some(all) = slot.get() {
            return Ok(all.get(node).cloned().unwrap_or_default());
        }
        self.lookups.set(self.lookups.get() + 1);
        Ok(self.store.hops(self.snapshot, node, downstream)?)
    }

    fn has_node(&self, id: &str) -> Result<bool, QueryError> {
        Ok(self.store.has_node(self.snapshot, id)?)
    }

    fn node_ids(&self) -> Result<Vec<String>, QueryError> {
        Ok(self.store.node_ids(self.snapshot)?)
    }
}

/// A graph just built by a scan.
pub struct MemoryLineage<'a> {
    pub graph: &'a LineageGraph,
}

impl Lineage for MemoryLineage<'_> {
    fn hops(&self, node: &str, downstream: bool) -> Result<Vec<Hop>, QueryError> {
        let Some(index) = self.graph.node_by_str(node) else {
            return Ok(Vec::new());
        };
        let direction = if downstream {
            petgraph::Direction::Outgoing
        } else {
            petgraph::Direction::Incoming
        };
        Ok(self
            .graph
            .neighbours(index, direction)
            .into_iter()
            .map(|(edge, other)| {
                let edge = &self.graph.graph[edge];
                Hop {
                    node: self.graph.id(other).to_string(),
                    declared: edge.is_declared(),
                    observed: edge.is_observed(),
                    last_seen: edge.observed.as_ref().map(|s| s.last_seen.to_string()),
                }
            })
            .collect())
    }

    fn has_node(&self, id: &str) -> Result<bool, QueryError> {
        Ok(self.graph.node_by_str(id).is_some())
    }

    fn node_ids(&self) -> Result<Vec<String>, QueryError> {
        Ok(self
            .graph
            .nodes()
            .map(|n| self.graph.id(n).to_string())
            .collect())
    }
}

/// Turns what a user typed into a node id: an id, or a bare name that names one node.
pub fn resolve_node(lineage: &dyn Lineage, text: &str) -> Result<String, QueryError> {
    let text = text.trim();
    if NodeId::parse(text).is_some() && lineage.has_node(text)? {
        return Ok(text.to_string());
    }
    let ids = lineage.node_ids()?;
    crate::names::resolve(text, ids.iter().map(String::as_str)).map_err(|e| match e {
        crate::names::NameError::Unknown { suggestions } => QueryError::Unknown {
            name: text.to_string(),
            suggestions,
        },
        crate::names::NameError::Ambiguous { candidates } => QueryError::Ambiguous {
            name: text.to_string(),
            candidates,
        },
    })
}

/// Which edges a walk may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeFilter {
    #[default]
    All,
    DeclaredOnly,
    ObservedOnly,
}

impl EdgeFilter {
    fn allows(self, hop: &Hop) -> bool {
        match self {
            EdgeFilter::All => true,
            EdgeFilter::DeclaredOnly => hop.declared,
            EdgeFilter::ObservedOnly => hop.observed,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Results up to this depth; `None` for no bound.
    pub depth: Option<usize>,
    pub edges: EdgeFilter,
}

/// A node reached by a walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reached {
    pub node: String,
    /// Entities (and principals) on a shortest path, the start excluded; datasets count 0.
    pub depth: usize,
    /// The dataset the node was reached through, if it was.
    pub via: Option<String>,
    /// Some shortest path to the node is made of declared edges only.
    pub declared: bool,
    /// Some shortest path to the node is made of observed edges only.
    pub observed: bool,
    #[serde(skip)]
    pub last_seen: Option<String>,
    /// The entity before it on the chosen path (the start for direct dependents).
    #[serde(skip)]
    pub parent: Option<String>,
}

/// Everything a walk from one node reaches, in both the result order (depth, id) and with
/// the hops it read, for renderers that draw trees.
pub struct Walk {
    pub start: String,
    pub downstream: bool,
    /// Every node reached, datasets included, sorted by (depth, id).
    pub reached: Vec<Reached>,
    /// Whether the walk came back to its start: the node sits on a cycle.
    pub returns_to_start: bool,
    pub hops: HashMap<String, Vec<Hop>>,
}

fn is_dataset(id: &str) -> bool {
    id.starts_with("dataset:")
}

fn cost(id: &str) -> usize {
    usize::from(!is_dataset(id))
}

/// Walks downstream (or upstream) from `start`: a 0-1 breadth-first search in which entering
/// an entity or principal costs one and entering a dataset costs nothing, so depth counts
/// entities as SPEC.md says. Each node is reached once, also inside loops.
pub fn walk(
    lineage: &dyn Lineage,
    start: &str,
    downstream: bool,
    options: &WalkOptions,
) -> Result<Walk, QueryError> {
    let mut dist: HashMap<String, usize> = HashMap::from([(start.to_string(), 0)]);
    let mut hops: HashMap<String, Vec<Hop>> = HashMap::new();
    let mut queue: VecDeque<String> = VecDeque::from([start.to_string()]);
    let mut returns_to_start = false;
    let limit = options.depth.unwrap_or(usize::MAX);
    while let Some(node) = queue.pop_front() {
        if hops.contains_key(&node) {
            continue; // expanded already (0-1 BFS may queue a node twice)
        }
        let here = dist[&node];
        let list: Vec<Hop> = lineage
            .hops(&node, downstream)?
            .into_iter()
            .filter(|h| options.edges.allows(h))
            .collect();
        for hop in &list {
            if hop.node == start {
                returns_to_start = true;
                continue;
            }
            let next = here + cost(&hop.node);
            if next > limit {
                continue;
            }
            let better = dist.get(&hop.node).is_none_or(|&d| next < d);
            if better {
                dist.insert(hop.node.clone(), next);
                if cost(&hop.node) == 0 {
                    queue.push_front(hop.node.clone());
                } else {
                    queue.push_back(hop.node.clone());
                }
            }
        }
        hops.insert(node, list);
    }

    // Flags and `via` over the tight edges, in an order where every tight predecessor comes
    // first: by depth, an entity before the datasets it reaches at the same depth.
    let mut order: Vec<(&String, usize)> = dist.iter().map(|(id, &d)| (id, d)).collect();
    order.sort_by(|a, b| (a.1, is_dataset(a.0), a.0).cmp(&(b.1, is_dataset(b.0), b.0)));
    let mut best: HashMap<&str, Reached> = HashMap::with_capacity(dist.len());
    let mut flags: HashMap<&str, (bool, bool)> = HashMap::from([(start, (true, true))]);
    // Predecessors of each node along tight edges: (predecessor, hop).
    let mut tight: HashMap<&str, Vec<(&str, &Hop)>> = HashMap::new();
    for (from, list) in &hops {
        let Some(&d_from) = dist.get(from) else {
            continue;
        };
        for hop in list {
            if hop.node != start && dist.get(&hop.node) == Some(&(d_from + cost(&hop.node))) {
                tight
                    .entry(hop.node.as_str())
                    .or_default()
                    .push((from.as_str(), hop));
            }
        }
    }
    for (node, depth) in order {
        if node == start {
            continue;
        }
        let mut preds = tight.remove(node.as_str()).unwrap_or_default();
        preds.sort_by(|a, b| a.0.cmp(b.0));
        let (mut declared, mut observed) = (false, false);
        for (from, hop) in &preds {
            let (d, o) = flags.get(from).copied().unwrap_or((false, false));
            declared |= d && hop.declared;
            observed |= o && hop.observed;
        }
        flags.insert(node.as_str(), (declared, observed));
        // `via` and `last seen` describe the predecessor whose path carries the flags: one on
        // a declared-and-seen path first, then on a declared or a seen one, then by id.
        let carries = |(from, hop): &&(&str, &Hop)| {
            let (d, o) = flags.get(from).copied().unwrap_or((false, false));
            usize::from(d && hop.declared) + usize::from(o && hop.observed)
        };
        let chosen = preds.iter().rev().max_by_key(|p| carries(p));
        let via = chosen
            .filter(|(from, _)| is_dataset(from))
            .map(|(from, _)| from.to_string());
        let parent = chosen.map(|(from, _)| {
            if is_dataset(from) {
                best.get(from)
                    .and_then(|r| r.parent.clone())
                    .unwrap_or_else(|| start.to_string())
            } else {
                from.to_string()
            }
        });
        let reached = Reached {
            node: node.clone(),
            depth,
            via,
            declared,
            observed,
            last_seen: chosen.and_then(|(_, hop)| hop.last_seen.clone()),
            parent,
        };
        best.insert(node.as_str(), reached);
    }
    let mut reached: Vec<Reached> = best.into_values().collect();
    reached.sort_by(|a, b| (a.depth, &a.node).cmp(&(b.depth, &b.node)));
    Ok(Walk {
        start: start.to_string(),
        downstream,
        reached,
        returns_to_start,
        hops,
    })
}

/// The results a user asked for: datasets only with `datasets`, and only the given kinds.
pub fn results<'w>(walk: &'w Walk, datasets: bool, kinds: &[NodeKind]) -> Vec<&'w Reached> {
    // Asking for the dataset kind is asking for datasets.
    let datasets = datasets || kinds.contains(&NodeKind::Dataset);
    walk.reached
        .iter()
        .filter(|r| datasets || !is_dataset(&r.node))
        .filter(|r| {
            kinds.is_empty() || NodeId::parse(&r.node).is_some_and(|id| kinds.contains(&id.kind()))
        })
        .collect()
}

/// The JSON document of SPEC.md for `dependents` / `dependencies`.
#[derive(Debug, Serialize)]
pub struct QueryJson<'a> {
    pub node: &'a str,
    pub direction: &'static str,
    pub results: Vec<&'a Reached>,
}

/// One path between two nodes, with each edge's provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathEdge {
    pub from: String,
    pub to: String,
    pub declared: bool,
    pub observed: bool,
}

/// The paths a `path` query found, and whether a bound cut the list short.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PathsFound {
    pub paths: Vec<Vec<PathEdge>>,
    pub truncated: bool,
}

/// Expansions an `--all` search may make before it stops and says so.
const ALL_PATHS_BUDGET: usize = 200_000;

/// Every shortest path from `from` to `to` (by edge count; `from == to` finds the shortest
/// cycles through it), at most `limit`. With `all`, also every other simple path of at most
/// `max_edges` edges, shortest first; the search is bounded and says when it was cut short.
pub fn paths(
    lineage: &dyn Lineage,
    from: &str,
    to: &str,
    edges: EdgeFilter,
    all: bool,
    max_edges: Option<usize>,
    limit: usize,
) -> Result<PathsFound, QueryError> {
    let mut cache: HashMap<String, Vec<Hop>> = HashMap::new();
    let mut out_of = |node: &str| -> Result<Vec<Hop>, QueryError> {
        if let Some(list) = cache.get(node) {
            return Ok(list.clone());
        }
        let list: Vec<Hop> = lineage
            .hops(node, true)?
            .into_iter()
            .filter(|h| edges.allows(h))
            .collect();
        cache.insert(node.to_string(), list.clone());
        Ok(list)
    };
    let mut found = PathsFound::default();

    // Breadth-first layers, remembering every shortest-path predecessor; entering `to` is
    // the goal, also when `to` is the start.
    let mut dist: HashMap<String, usize> = HashMap::from([(from.to_string(), 0)]);
    let mut preds: HashMap<String, Vec<(String, Hop)>> = HashMap::new();
    let mut goal: Vec<(String, Hop)> = Vec::new();
    let mut frontier = vec![from.to_string()];
    let mut depth = 0;
    while !frontier.is_empty() && goal.is_empty() && max_edges.is_none_or(|m| depth < m) {
        depth += 1;
        let mut next_frontier = Vec::new();
        for node in &frontier {
            for hop in out_of(node)? {
                if hop.node == to {
                    goal.push((node.clone(), hop));
                    continue;
                }
                match dist.get(&hop.node) {
                    None => {
                        dist.insert(hop.node.clone(), depth);
                        next_frontier.push(hop.node.clone());
                        preds
                            .entry(hop.node.clone())
                            .or_default()
                            .push((node.clone(), hop));
                    }
                    Some(&d) if d == depth => {
                        preds
                            .entry(hop.node.clone())
                            .or_default()
                            .push((node.clone(), hop));
                    }
                    Some(_) => {}
                }
            }
        }
        next_frontier.sort();
        frontier = next_frontier;
    }
    // Unwind every shortest path from the goal back to `from`.
    let mut partial: Vec<(String, Vec<PathEdge>)> = goal
        .into_iter()
        .map(|(pred, hop)| {
            let last = PathEdge {
                from: pred.clone(),
                to: to.to_string(),
                declared: hop.declared,
                observed: hop.observed,
            };
            (pred, vec![last])
        })
        .collect();
    while let Some((node, tail)) = partial.pop() {
        if found.paths.len() >= limit {
            found.truncated = true;
            break;
        }
        if node == from {
            let mut path = tail;
            path.reverse();
            found.paths.push(path);
            continue;
        }
        for (pred, hop) in preds.get(&node).into_iter().flatten() {
            let mut longer = tail.clone();
            longer.push(PathEdge {
                from: pred.clone(),
                to: node.clone(),
                declared: hop.declared,
                observed: hop.observed,
            });
            partial.push((pred.clone(), longer));
        }
    }

    if all && !found.truncated {
        // Depth-first over simple paths, neighbours in id order, with a bounded budget.
        let max_edges = max_edges.unwrap_or(12);
        let mut budget = ALL_PATHS_BUDGET;
        let mut stack: Vec<(String, Vec<PathEdge>)> = vec![(from.to_string(), Vec::new())];
        while let Some((node, path)) = stack.pop() {
            if budget == 0 || found.paths.len() >= limit {
                found.truncated = true;
                break;
            }
            budget -= 1;
            if node == to && !path.is_empty() {
                if !found.paths.contains(&path) {
                    found.paths.push(path);
                }
                continue;
            }
            if path.len() >= max_edges {
                continue;
            }
            let mut next = out_of(&node)?;
            next.reverse(); // the stack pops the smallest id first
            for hop in next {
                let visited = hop.node == from || path.iter().any(|e| e.to == hop.node);
                if visited && hop.node != to {
                    continue;
                }
                let mut longer = path.clone();
                longer.push(PathEdge {
                    from: node.clone(),
                    to: hop.node.clone(),
                    declared: hop.declared,
                    observed: hop.observed,
                });
                stack.push((hop.node, longer));
            }
        }
    }
    found.paths.sort_by(|a, b| {
        a.len()
            .cmp(&b.len())
            .then_with(|| path_key(a).cmp(&path_key(b)))
    });
    Ok(found)
}

fn path_key(path: &[PathEdge]) -> Vec<&str> {
    path.iter().map(|e| e.to.as_str()).collect()
}

#[cfg(test)]
mod tests;
