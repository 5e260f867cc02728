//! LT003 model-chain: a model is built on other models' outputs (chained model entanglement).

use std::cmp::Reverse;
use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::node::NodeKind;

pub static RULE: Rule = Rule {
    code: "LT003",
    name: "model-chain",
    default_severity: Severity::Warning,
    summary: "a model depends on other models (warning from 3 models in the chain, else info)",
    docs: include_str!("../../docs/rules/LT003.md"),
    check,
};

/// Chains of this many models or more are warnings; shorter ones are info.
const WARNING_FROM: usize = 3;

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let chains = longest_chains(cx);
    let mut findings = Vec::new();
    for model in cx.nodes_of_kind(NodeKind::Model) {
        let (length, Some(_)) = chains.longest[model.index()] else {
            continue;
        };
        let mut chain = vec![model];
        while let Some(&(_, Some(previous))) = chain.last().map(|m| &chains.longest[m.index()]) {
            chain.push(previous);
        }
        chain.reverse();
        let severity = if length >= WARNING_FROM {
            Severity::Warning
        } else {
            Severity::Info
        };
        let ids: Vec<String> = chain.iter().map(|&m| cx.id(m).to_string()).collect();
        let message = format!(
            "{} is built on other models' outputs: a chain of {length} models, {}",
            cx.id(model),
            ids.join(" -> ")
        );
        // The evidence is how the model depends on the one before it: every link's evidence in
        // every finding would grow with the square of the chain length.
        let evidence = cx.path_evidence(&chains.route(model));
        findings.push(
            Finding::new(&RULE, severity, cx.id(model), Vec::new(), message)
                .with_path(ids)
                .with_evidence(evidence),
        );
    }
    findings
}

/// A model as a candidate predecessor: the longer its own chain the better, then the smaller
/// id (node indices follow id order).
type Key = (usize, Reverse<NodeIndex>);

/// Where a node's value in `inner` or `full` came from: the node before it on a route from
/// the model the value names. Following these back from a model gives its evidence route
/// without another search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The node holds no value.
    Unset,
    /// An edge from this model, whose own key is the value: the route starts there.
    Model(NodeIndex),
    /// An edge from this non-model, which held the value in `inner`.
    Inner(NodeIndex),
    /// An edge from this non-model, which held the value in `full`.
    Full(NodeIndex),
}

/// The chains of models, and where each node's candidate came from.
struct Chains {
    /// Per model, the length of the longest chain of models ending at it and the model
    /// before it in that chain (`None` for a model nothing precedes); other nodes get
    /// `(0, None)`.
    longest: Vec<(usize, Option<NodeIndex>)>,
    inner_origin: Vec<Origin>,
    full_origin: Vec<Origin>,
}

impl Chains {
    /// A route from the model before `model` in its chain to `model`, through non-models
    /// only, by following the origins of its `inner` value back; empty for a model nothing
    /// precedes. Each node's origin was settled before the node, so the origins form a
    /// forest; the step count is still bounded, so a mistake cannot loop forever.
    fn route(&self, model: NodeIndex) -> Vec<NodeIndex> {
        let Some(&(_, Some(previous))) = self.longest.get(model.index()) else {
            return Vec::new();
        };
        let mut route = vec![model];
        let mut origin = self.inner_origin[model.index()];
        for _ in 0..self.longest.len() {
            let next = match origin {
                Origin::Unset => return Vec::new(),
                Origin::Model(start) => {
                    if start != previous {
                        return Vec::new();
                    }
                    route.push(start);
                    route.reverse();
                    return route;
                }
                Origin::Inner(node) => (node, &self.inner_origin),
                Origin::Full(node) => (node, &self.full_origin),
            };
            route.push(next.0);
            origin = next.1[next.0.index()];
        }
        Vec::new()
    }
}

/// The longest chain of models ending at every model, with the origins of the candidates.
///
/// A precedes M when a path from A to M passes through no other model, and A and M are not in
/// one feedback loop (strongly connected component). Rather than walk from every model (the
/// square of the graph), this goes once through the components in topological order and
/// carries, per node, the best predecessor candidate among the models that reach it through
/// non-models: `inner` counts only models of earlier components (what a model of this
/// component may build on), `full` every model (what later components see). Inside a
/// component the best value spreads along edges out of non-models, highest value first, so
/// each node is settled once, from a node settled before it: that node is its origin.
fn longest_chains(cx: &Context<'_>) -> Chains {
    let graph = &cx.graph.graph;
    let n = graph.node_count();
    let is_model: Vec<bool> = cx
        .graph
        .nodes()
        .map(|v| cx.kind(v) == NodeKind::Model)
        .collect();
    let mut longest: Vec<(usize, Option<NodeIndex>)> = vec![(0, None); n];
    let mut inner: Vec<Option<Key>> = vec![None; n];
    let mut full: Vec<Option<Key>> = vec![None; n];
    let mut inner_origin: Vec<Origin> = vec![Origin::Unset; n];
    let mut full_origin: Vec<Origin> = vec![Origin::Unset; n];
    // Edges on the route back to the value's model, to prefer short routes among equal values.
    let mut inner_hops: Vec<u32> = vec![0; n];
    let mut full_hops: Vec<u32> = vec![0; n];
    let mut settled: Vec<u32> = vec![0; n];
    let mut pass = 0u32;
    let mut seeds: Vec<Seed> = Vec::new();
    let mut queue: VecDeque<NodeIndex> = VecDeque::new();
    let key = |longest: &[(usize, Option<NodeIndex>)], model: NodeIndex| -> Key {
        (longest[model.index()].0, Reverse(model))
    };

    for c in topological_components(cx) {
        let members = &cx.components[c];
        let here = |v: NodeIndex| cx.component_of[v.index()] == c;

        // Candidates from earlier components, then spread inside this one. Among edges that
        // bring the same best value, the one with the shortest route back, then the one from
        // the smallest node, gives the origin.
        seeds.clear();
        for &v in members {
            let mut best: Option<Seed> = None;
            for &(_, u) in cx.neighbours(v, Direction::Incoming) {
                if here(u) {
                    continue;
                }
                let (value, origin, hops) = if is_model[u.index()] {
                    (key(&longest, u), Origin::Model(u), 1)
                } else if let Some(value) = full[u.index()] {
                    (value, Origin::Full(u), full_hops[u.index()] + 1)
                } else {
                    continue;
                };
                let better = best.as_ref().is_none_or(|held| {
                    (Reverse(value), hops, u) < (Reverse(held.value), held.hops, held.from())
                });
                if better {
                    best = Some(Seed {
                        value,
                        node: v,
                        origin,
                        hops,
                    });
                }
            }
            seeds.extend(best);
        }
        pass += 1;
        let mut inner_spread = Spread {
            value: &mut inner,
            origin: &mut inner_origin,
            hops: &mut inner_hops,
            pointing_here: Origin::Inner,
        };
        inner_spread.run(cx, c, &is_model, &mut seeds, &mut settled, pass, &mut queue);

        let mut has_model = false;
        for &v in members.iter().filter(|v| is_model[v.index()]) {
            has_model = true;
            longest[v.index()] = match inner[v.index()] {
                Some((length, Reverse(previous))) => (length + 1, Some(previous)),
                None => (1, None),
            };
        }

        // What later components see also counts this component's models. Where `full`
        // holds the `inner` value, it came the same way, so the origin is copied.
        if has_model {
            seeds.clear();
            for &v in members {
                let from_models = cx
                    .neighbours(v, Direction::Incoming)
                    .iter()
                    .map(|&(_, u)| u)
                    .filter(|&u| here(u) && is_model[u.index()])
                    .map(|u| (key(&longest, u), u))
                    .max_by_key(|&(value, _)| value);
                // The keys differ (they name different models), so no tie to break.
                let (value, origin, hops) = match (inner[v.index()], from_models) {
                    (Some(held), Some((value, u))) if value > held => (value, Origin::Model(u), 1),
                    (None, Some((value, u))) => (value, Origin::Model(u), 1),
                    (Some(held), _) => (held, inner_origin[v.index()], inner_hops[v.index()]),
                    (None, None) => continue,
                };
                seeds.push(Seed {
                    value,
                    node: v,
                    origin,
                    hops,
                });
            }
            pass += 1;
            let mut full_spread = Spread {
                value: &mut full,
                origin: &mut full_origin,
                hops: &mut full_hops,
                pointing_here: Origin::Full,
            };
            full_spread.run(cx, c, &is_model, &mut seeds, &mut settled, pass, &mut queue);
        } else {
            for &v in members {
                full[v.index()] = inner[v.index()];
                full_origin[v.index()] = inner_origin[v.index()];
                full_hops[v.index()] = inner_hops[v.index()];
            }
        }
    }
    Chains {
        longest,
        inner_origin,
        full_origin,
    }
}

/// A value entering a component at `node`, where it came from, and how many edges lead back
/// to its model.
struct Seed {
    value: Key,
    node: NodeIndex,
    origin: Origin,
    hops: u32,
}

impl Seed {
    /// The node the value came from, for ties; origins of seeds are never `Unset`.
    fn from(&self) -> NodeIndex {
        match self.origin {
            Origin::Model(u) | Origin::Inner(u) | Origin::Full(u) => u,
            Origin::Unset => NodeIndex::end(),
        }
    }
}

/// One of the two arrays being filled in a component, with its origins.
struct Spread<'a> {
    value: &'a mut [Option<Key>],
    origin: &'a mut [Origin],
    hops: &'a mut [u32],
    /// The origin that points at a node of this array.
    pointing_here: fn(NodeIndex) -> Origin,
}

impl Spread<'_> {
    /// Gives each node of component `c` the highest seed that reaches it along edges out of
    /// non-models inside the component. Seeds are taken highest first, so a node settled
    /// once already holds the best value, and so does everything it spreads to. Among equal
    /// values the seed with the shortest route back goes first, and each seed floods breadth
    /// first, so the route back to the seed inside the component is a shortest one: evidence
    /// stays short.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        cx: &Context<'_>,
        c: usize,
        is_model: &[bool],
        seeds: &mut [Seed],
        settled: &mut [u32],
        pass: u32,
        queue: &mut VecDeque<NodeIndex>,
    ) {
        seeds.sort_unstable_by_key(|seed| (Reverse(seed.value), seed.hops, seed.node));
        for seed in seeds.iter() {
            let start = seed.node;
            if settled[start.index()] == pass {
                continue;
            }
            settled[start.index()] = pass;
            self.value[start.index()] = Some(seed.value);
            self.origin[start.index()] = seed.origin;
            self.hops[start.index()] = seed.hops;
            queue.clear();
            queue.push_back(start);
            while let Some(v) = queue.pop_front() {
                if is_model[v.index()] {
                    continue;
                }
                for &(_, w) in cx.neighbours(v, Direction::Outgoing) {
                    if cx.component_of[w.index()] == c && settled[w.index()] != pass {
                        settled[w.index()] = pass;
                        self.value[w.index()] = Some(seed.value);
                        self.origin[w.index()] = (self.pointing_here)(v);
                        self.hops[w.index()] = self.hops[v.index()] + 1;
                        queue.push_back(w);
                    }
                }
            }
        }
    }
}

/// The strongly connected components in topological order (Kahn's algorithm on the
/// condensation), upstream first.
fn topological_components(cx: &Context<'_>) -> Vec<usize> {
    let graph = &cx.graph.graph;
    let count = cx.components.len();
    let mut waiting = vec![0usize; count];
    for edge in graph.raw_edges() {
        let (a, b) = (
            cx.component_of[edge.source().index()],
            cx.component_of[edge.target().index()],
        );
        if a != b {
            waiting[b] += 1;
        }
    }
    let mut order: Vec<usize> = (0..count).filter(|&c| waiting[c] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let c = order[next];
        next += 1;
        for &v in &cx.components[c] {
            for &(_, w) in cx.neighbours(v, Direction::Outgoing) {
                let d = cx.component_of[w.index()];
                if d != c {
                    waiting[d] -= 1;
                    if waiting[d] == 0 {
                        order.push(d);
                    }
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::graph::{EdgeData, LineageGraph, NodeData};
    use crate::node::NodeId;

    /// The rule as SPEC.md words it: one walk per model through non-models, then the longest
    /// path over the precedence relation by Kahn's order, ties to the smallest id.
    fn longest_by_walking_from_every_model(cx: &Context<'_>) -> Vec<(usize, Option<NodeIndex>)> {
        let graph = cx.graph;
        let models: Vec<NodeIndex> = graph.nodes_of_kind(NodeKind::Model).collect();
        let mut predecessors: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
        let mut successors: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
        for &model in &models {
            let mut seen = HashSet::from([model]);
            let mut queue = VecDeque::from([model]);
            while let Some(node) = queue.pop_front() {
                for (_, next) in graph.neighbours(node, Direction::Outgoing) {
                    if !seen.insert(next) {
                        continue;
                    }
                    if graph.kind(next) != NodeKind::Model {
                        queue.push_back(next);
                    } else if !cx.same_component(model, next) {
                        predecessors.entry(next).or_default().push(model);
                        successors.entry(model).or_default().push(next);
                    }
                }
            }
        }
        let mut longest = vec![(0, None); graph.node_count()];
        let mut waiting: HashMap<NodeIndex, usize> = models
            .iter()
            .map(|&m| (m, predecessors.get(&m).map_or(0, Vec::len)))
            .collect();
        let mut ready: VecDeque<NodeIndex> =
            models.iter().copied().filter(|m| waiting[m] == 0).collect();
        while let Some(model) = ready.pop_front() {
            let best = predecessors
                .get(&model)
                .into_iter()
                .flatten()
                .map(|&p| (longest[p.index()].0, p))
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            longest[model.index()] = match best {
                Some((length, p)) => (length + 1, Some(p)),
                None => (1, None),
            };
            for &next in successors.get(&model).into_iter().flatten() {
                let count = waiting.entry(next).or_default();
                *count -= 1;
                if *count == 0 {
                    ready.push_back(next);
                }
            }
        }
        longest
    }

    fn random_graph(seed: u64, nodes: usize, edges: usize) -> LineageGraph {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut random = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let mut lineage = LineageGraph::default();
        let kinds = [
            NodeKind::Model,
            NodeKind::Dataset,
            NodeKind::Job,
            NodeKind::Dataset,
            NodeKind::Service,
            NodeKind::Principal,
        ];
        let mut ids: Vec<NodeId> = (0..nodes)
            .map(|i| NodeId::new(kinds[random(kinds.len())], &format!("n{i:03}")))
            .collect();
        ids.sort();
        let index: Vec<NodeIndex> = ids
            .into_iter()
            .map(|id| lineage.graph.add_node(NodeData { id, manifest: None }))
            .collect();
        let mut pairs = HashSet::new();
        for _ in 0..edges {
            // Mostly forward edges, so there are long chains, and some back edges for loops.
            let a = random(nodes);
            let b = if random(8) == 0 {
                random(nodes)
            } else {
                (a + 1 + random(4)).min(nodes - 1)
            };
            if pairs.insert((a, b)) {
                lineage
                    .graph
                    .add_edge(index[a], index[b], EdgeData::default());
            }
        }
        lineage
    }

    #[test]
    fn one_pass_over_the_components_finds_the_chains_of_a_walk_from_every_model() {
        let mut longest_seen = 0;
        for seed in 0..400u64 {
            let nodes = 2 + (seed as usize % 40);
            let graph = random_graph(seed, nodes, nodes * (1 + seed as usize % 3));
            let cx = Context::new(&graph);
            let expected = longest_by_walking_from_every_model(&cx);
            assert_eq!(longest_chains(&cx).longest, expected, "seed {seed}");
            longest_seen = expected
                .iter()
                .map(|l| l.0)
                .max()
                .unwrap_or(0)
                .max(longest_seen);
        }
        assert!(longest_seen >= 4, "the graphs hold long chains");
    }

    #[test]
    fn routes_lead_from_the_previous_model_through_non_models_along_edges() {
        let mut long_routes = 0;
        for seed in 0..1000u64 {
            let nodes = 2 + (seed as usize % 40);
            let graph = random_graph(seed, nodes, nodes * (1 + seed as usize % 3));
            let cx = Context::new(&graph);
            let chains = longest_chains(&cx);
            for model in cx.graph.nodes() {
                let route = chains.route(model);
                let Some(previous) = chains.longest[model.index()].1 else {
                    assert!(route.is_empty(), "seed {seed}: {model:?} has no previous");
                    continue;
                };
                assert!(route.len() >= 2, "seed {seed}: no route to {model:?}");
                assert_eq!(route.first(), Some(&previous), "seed {seed}");
                assert_eq!(route.last(), Some(&model), "seed {seed}");
                for step in route.windows(2) {
                    assert!(cx.edge(step[0], step[1]).is_some(), "seed {seed}: {step:?}");
                }
                for &between in &route[1..route.len() - 1] {
                    assert_ne!(cx.kind(between), NodeKind::Model, "seed {seed}: {route:?}");
                }
                long_routes += usize::from(route.len() > 3);
            }
        }
        assert!(long_routes > 150, "the graphs hold long routes");
    }

    #[test]
    fn a_million_node_chain_needs_no_deep_stack() {
        let mut lineage = LineageGraph::default();
        let mut previous = None;
        for i in 0..1_000_000 {
            let kind = if i % 2 == 0 {
                NodeKind::Model
            } else {
                NodeKind::Dataset
            };
            let id = NodeId::new(kind, &format!("n{i:07}"));
            let node = lineage.graph.add_node(NodeData { id, manifest: None });
            if let Some(previous) = previous {
                lineage.graph.add_edge(previous, node, EdgeData::default());
            }
            previous = Some(node);
        }
        let cx = Context::new(&lineage);
        let chains = longest_chains(&cx);
        assert_eq!(chains.longest[999_998].0, 500_000);
        assert_eq!(chains.route(NodeIndex::new(999_998)).len(), 3);
    }
}
