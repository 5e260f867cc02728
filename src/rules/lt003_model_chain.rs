//! LT003 model-chain: a model is built on other models' outputs (chained model entanglement).

use std::cmp::Reverse;
use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::{Context, Rule};
use crate::finding::{Evidence, Finding, Severity};
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

/// Models per piece of work handed to a thread: small enough to share the work evenly.
const MODELS_PER_PIECE: usize = 256;

/// At most this many threads look for evidence routes.
const MAX_THREADS: usize = 8;

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let longest = longest_chains(cx);
    let models: Vec<NodeIndex> = cx
        .nodes_of_kind(NodeKind::Model)
        .filter(|m| longest[m.index()].1.is_some())
        .collect();
    let pieces: Vec<&[NodeIndex]> = models.chunks(MODELS_PER_PIECE).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(pieces.len())
        .max(1);
    // The routes are most of the work and independent: threads take every n-th piece, and
    // the pieces are put back in order, so the output does not depend on the thread count.
    let mut done: Vec<(usize, Vec<Finding>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (pieces, longest) = (&pieces, &longest);
                scope.spawn(move || {
                    let mut router = Router::new(cx);
                    (t..pieces.len())
                        .step_by(threads)
                        .map(|i| (i, chain_findings(cx, longest, &mut router, pieces[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|&(i, _)| i);
    done.into_iter().flat_map(|(_, found)| found).collect()
}

/// The findings of `models`, each of which some model precedes.
fn chain_findings(
    cx: &Context<'_>,
    longest: &[(usize, Option<NodeIndex>)],
    router: &mut Router<'_>,
    models: &[NodeIndex],
) -> Vec<Finding> {
    let mut findings = Vec::with_capacity(models.len());
    for &model in models {
        let (length, Some(_)) = longest[model.index()] else {
            continue;
        };
        let mut chain = vec![model];
        while let Some(&(_, Some(previous))) = chain.last().map(|m| &longest[m.index()]) {
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
        let previous = chain[chain.len() - 2];
        let route = router.route(previous, model);
        let evidence: Vec<Evidence> = route
            .windows(2)
            .flat_map(|w| cx.edge_evidence(w[0], w[1]))
            .collect();
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

/// For every model, the length of the longest chain of models ending at it and the model
/// before it in that chain (`None` for a model nothing precedes); other nodes get `(0, None)`.
///
/// A precedes M when a path from A to M passes through no other model, and A and M are not in
/// one feedback loop (strongly connected component). Rather than walk from every model (the
/// square of the graph), this goes once through the components in topological order and
/// carries, per node, the best predecessor candidate among the models that reach it through
/// non-models: `inner` counts only models of earlier components (what a model of this
/// component may build on), `full` every model (what later components see). Inside a
/// component the best value spreads along edges out of non-models, highest value first, so
/// each node is settled once.
fn longest_chains(cx: &Context<'_>) -> Vec<(usize, Option<NodeIndex>)> {
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
    let mut settled: Vec<u32> = vec![0; n];
    let mut pass = 0u32;
    let mut seeds: Vec<(Key, NodeIndex)> = Vec::new();
    let mut stack: Vec<NodeIndex> = Vec::new();
    let key = |longest: &[(usize, Option<NodeIndex>)], model: NodeIndex| -> Key {
        (longest[model.index()].0, Reverse(model))
    };

    for c in topological_components(cx) {
        let members = &cx.components[c];
        let here = |v: NodeIndex| cx.component_of[v.index()] == c;

        // Candidates from earlier components, then spread inside this one.
        seeds.clear();
        for &v in members {
            let best = cx
                .neighbours(v, Direction::Incoming)
                .iter()
                .map(|&(_, u)| u)
                .filter(|&u| !here(u))
                .filter_map(|u| {
                    if is_model[u.index()] {
                        Some(key(&longest, u))
                    } else {
                        full[u.index()]
                    }
                })
                .max();
            if let Some(best) = best {
                seeds.push((best, v));
            }
        }
        pass += 1;
        spread(
            cx,
            c,
            &is_model,
            &mut seeds,
            &mut inner,
            &mut settled,
            pass,
            &mut stack,
        );

        let mut has_model = false;
        for &v in members.iter().filter(|v| is_model[v.index()]) {
            has_model = true;
            longest[v.index()] = match inner[v.index()] {
                Some((length, Reverse(previous))) => (length + 1, Some(previous)),
                None => (1, None),
            };
        }

        // What later components see also counts this component's models.
        if has_model {
            seeds.clear();
            for &v in members {
                let from_models = cx
                    .neighbours(v, Direction::Incoming)
                    .iter()
                    .map(|&(_, u)| u)
                    .filter(|&u| here(u) && is_model[u.index()])
                    .map(|u| key(&longest, u))
                    .max();
                if let Some(best) = inner[v.index()].max(from_models) {
                    seeds.push((best, v));
                }
            }
            pass += 1;
            spread(
                cx,
                c,
                &is_model,
                &mut seeds,
                &mut full,
                &mut settled,
                pass,
                &mut stack,
            );
        } else {
            for &v in members {
                full[v.index()] = inner[v.index()];
            }
        }
    }
    longest
}

/// Gives each node of component `c` the highest seed that reaches it along edges out of
/// non-models inside the component. Seeds are taken highest first, so a node settled once
/// already holds the best value, and so does everything it spreads to.
#[allow(clippy::too_many_arguments)]
fn spread(
    cx: &Context<'_>,
    c: usize,
    is_model: &[bool],
    seeds: &mut [(Key, NodeIndex)],
    value: &mut [Option<Key>],
    settled: &mut [u32],
    pass: u32,
    stack: &mut Vec<NodeIndex>,
) {
    seeds.sort_unstable_by(|a, b| b.cmp(a));
    for &(best, start) in seeds.iter() {
        if settled[start.index()] == pass {
            continue;
        }
        settled[start.index()] = pass;
        value[start.index()] = Some(best);
        stack.clear();
        stack.push(start);
        while let Some(v) = stack.pop() {
            if is_model[v.index()] {
                continue;
            }
            for &(_, w) in cx.neighbours(v, Direction::Outgoing) {
                if cx.component_of[w.index()] == c && settled[w.index()] != pass {
                    settled[w.index()] = pass;
                    value[w.index()] = Some(best);
                    stack.push(w);
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

/// Finds the evidence routes between models: one shortest path from one model to another
/// through non-model nodes, breadth first with neighbours in id order (so always the same
/// path). A plain breadth-first walk from the earlier model may cover most of a dense graph
/// before it meets the later one, once per model; so a walk from both ends first finds the
/// nodes on shortest routes, and the breadth-first walk then visits only those. It picks the
/// same route as the plain walk: every node on a shortest route is first reached, in the
/// plain walk, from another node on a shortest route, so their order is kept. Many models
/// share the walks' arrays, stamped per route instead of cleared.
struct Router<'c> {
    cx: &'c Context<'c>,
    is_model: Vec<bool>,
    /// Distance from the route's start (`forward`) and to its end (`backward`), valid where
    /// the matching stamp equals `walk`.
    forward: Levels,
    backward: Levels,
    /// Nodes on some shortest route, where `on_route[v] == walk`.
    on_route: Vec<u32>,
    /// Scratch lists of one layer of those nodes, kept for their capacity.
    layer: Vec<NodeIndex>,
    next_layer: Vec<NodeIndex>,
    spare_layer: Vec<NodeIndex>,
    parent: Vec<NodeIndex>,
    stamp: Vec<u32>,
    walk: u32,
    queue: VecDeque<NodeIndex>,
}

/// One side of the two-ended walk: the nodes reached, level by level, and their distances.
struct Levels {
    /// (walk, distance) per node: one lookup answers both.
    mark: Vec<(u32, u32)>,
    /// Nodes in the order reached; level `k` is `reached[starts[k]..starts[k + 1]]`.
    reached: Vec<NodeIndex>,
    starts: Vec<usize>,
}

impl Levels {
    fn new(n: usize) -> Levels {
        Levels {
            mark: vec![(0, 0); n],
            reached: Vec::new(),
            starts: Vec::new(),
        }
    }

    fn start(&mut self, node: NodeIndex, walk: u32) {
        self.reached.clear();
        self.starts.clear();
        self.starts.extend([0, 1]);
        self.reached.push(node);
        self.mark[node.index()] = (walk, 0);
    }

    /// The deepest level reached so far.
    fn depth(&self) -> usize {
        self.starts.len() - 2
    }

    fn level(&self, k: usize) -> std::ops::Range<usize> {
        self.starts[k]..self.starts[k + 1]
    }

    fn frontier(&self) -> std::ops::Range<usize> {
        self.level(self.depth())
    }

    fn has(&self, node: NodeIndex, walk: u32) -> bool {
        self.mark[node.index()].0 == walk
    }

    fn at(&self, node: NodeIndex, walk: u32, distance: usize) -> bool {
        self.mark[node.index()] == (walk, distance as u32)
    }

    /// Adds `node` to the level being built, unless it was reached before.
    fn reach(&mut self, node: NodeIndex, walk: u32) -> bool {
        if self.has(node, walk) {
            return false;
        }
        self.mark[node.index()] = (walk, (self.starts.len() - 1) as u32);
        self.reached.push(node);
        true
    }

    fn close_level(&mut self) {
        self.starts.push(self.reached.len());
    }
}

impl<'c> Router<'c> {
    fn new(cx: &'c Context<'c>) -> Router<'c> {
        let n = cx.graph.node_count();
        Router {
            cx,
            is_model: cx
                .graph
                .nodes()
                .map(|v| cx.kind(v) == NodeKind::Model)
                .collect(),
            forward: Levels::new(n),
            backward: Levels::new(n),
            on_route: vec![0; n],
            layer: Vec::new(),
            next_layer: Vec::new(),
            spare_layer: Vec::new(),
            parent: vec![NodeIndex::end(); n],
            stamp: vec![0; n],
            walk: 0,
            queue: VecDeque::new(),
        }
    }

    /// One shortest path from `from` to `to` through non-model nodes, for the evidence.
    fn route(&mut self, from: NodeIndex, to: NodeIndex) -> Vec<NodeIndex> {
        if from == to {
            return Vec::new();
        }
        self.walk += 1;
        if !self.mark_shortest_routes(from, to) {
            return Vec::new();
        }
        self.breadth_first(from, to)
    }

    /// Walks from both ends, a level at a time on the smaller side, until they meet; then
    /// marks in `on_route` every node on a shortest route. A route leaves `from` or a
    /// non-model, never re-enters `from`, and ends at its first arrival at `to`. Returns
    /// whether any route exists.
    fn mark_shortest_routes(&mut self, from: NodeIndex, to: NodeIndex) -> bool {
        let walk = self.walk;
        self.forward.start(from, walk);
        self.backward.start(to, walk);
        loop {
            let (ahead, behind) = (self.forward.frontier(), self.backward.frontier());
            if ahead.is_empty() || behind.is_empty() {
                return false;
            }
            // The side with fewer edges to follow goes next.
            let cx = self.cx;
            let ahead_edges: usize = ahead
                .clone()
                .map(|i| {
                    cx.neighbours(self.forward.reached[i], Direction::Outgoing)
                        .len()
                })
                .sum();
            let behind_edges: usize = behind
                .clone()
                .map(|i| {
                    cx.neighbours(self.backward.reached[i], Direction::Incoming)
                        .len()
                })
                .sum();
            let met = if ahead_edges <= behind_edges {
                self.step_forward(from, to, ahead)
            } else {
                self.step_backward(from, to, behind)
            };
            if met {
                break;
            }
        }
        let cx = self.cx;
        let (a, b) = (self.forward.depth(), self.backward.depth());
        // The layer where the walks met, then outwards from it to both ends, each layer
        // found from the one before it: only edges of nodes on shortest routes are read.
        let mut meeting = std::mem::take(&mut self.layer);
        meeting.clear();
        for i in self.forward.level(a) {
            let v = self.forward.reached[i];
            if self.backward.at(v, walk, b) {
                self.on_route[v.index()] = walk;
                meeting.push(v);
            }
        }
        let mut layer = std::mem::take(&mut self.next_layer);
        let mut next = std::mem::take(&mut self.spare_layer);
        layer.clone_from(&meeting);
        for k in (0..a).rev() {
            next.clear();
            for &w in &layer {
                for &(_, v) in cx.neighbours(w, Direction::Incoming) {
                    if self.on_route[v.index()] != walk && self.forward.at(v, walk, k) {
                        self.on_route[v.index()] = walk;
                        next.push(v);
                    }
                }
            }
            std::mem::swap(&mut layer, &mut next);
        }
        layer.clone_from(&meeting);
        for k in (0..b).rev() {
            next.clear();
            for &u in &layer {
                for &(_, x) in cx.neighbours(u, Direction::Outgoing) {
                    if self.on_route[x.index()] != walk && self.backward.at(x, walk, k) {
                        self.on_route[x.index()] = walk;
                        next.push(x);
                    }
                }
            }
            std::mem::swap(&mut layer, &mut next);
        }
        self.layer = meeting;
        self.next_layer = layer;
        self.spare_layer = next;
        true
    }

    /// Reaches the next level forward; whether it met the backward walk.
    fn step_forward(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        frontier: std::ops::Range<usize>,
    ) -> bool {
        let walk = self.walk;
        let mut met = false;
        for i in frontier {
            let v = self.forward.reached[i];
            for &(_, w) in self.cx.neighbours(v, Direction::Outgoing) {
                // Models other than the end stop a route; the start is never re-entered.
                if w == from || (self.is_model[w.index()] && w != to) {
                    continue;
                }
                if self.forward.reach(w, walk) && self.backward.has(w, walk) {
                    met = true;
                }
            }
        }
        self.forward.close_level();
        met
    }

    /// Reaches the next level backward; whether it met the forward walk.
    fn step_backward(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        frontier: std::ops::Range<usize>,
    ) -> bool {
        let walk = self.walk;
        let mut met = false;
        for i in frontier {
            let v = self.backward.reached[i];
            if v == from {
                continue; // a route starts there and never passes through it
            }
            for &(_, u) in self.cx.neighbours(v, Direction::Incoming) {
                // Only the start or a non-model leads on; the end is never passed through.
                if u == to || (self.is_model[u.index()] && u != from) {
                    continue;
                }
                if self.backward.reach(u, walk) && self.forward.has(u, walk) {
                    met = true;
                }
            }
        }
        self.backward.close_level();
        met
    }

    /// The breadth-first walk from `from`, neighbours in index order, over marked nodes only.
    fn breadth_first(&mut self, from: NodeIndex, to: NodeIndex) -> Vec<NodeIndex> {
        let walk = self.walk;
        self.queue.clear();
        self.queue.push_back(from);
        while let Some(node) = self.queue.pop_front() {
            for &(_, next) in self.cx.neighbours(node, Direction::Outgoing) {
                if next == from
                    || self.stamp[next.index()] == walk
                    || self.on_route[next.index()] != walk
                {
                    continue;
                }
                self.stamp[next.index()] = walk;
                self.parent[next.index()] = node;
                if next == to {
                    let mut path = vec![to];
                    let mut at = to;
                    loop {
                        let p = self.parent[at.index()];
                        path.push(p);
                        if p == from {
                            break;
                        }
                        at = p;
                    }
                    path.reverse();
                    return path;
                }
                if !self.is_model[next.index()] {
                    self.queue.push_back(next);
                }
            }
        }
        Vec::new()
    }
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
            assert_eq!(longest_chains(&cx), expected, "seed {seed}");
            longest_seen = expected
                .iter()
                .map(|l| l.0)
                .max()
                .unwrap_or(0)
                .max(longest_seen);
        }
        assert!(longest_seen >= 4, "the graphs hold long chains");
    }

    /// The route as a plain breadth-first walk from `from` finds it, neighbours in id order.
    fn route_by_plain_walk(cx: &Context<'_>, from: NodeIndex, to: NodeIndex) -> Vec<NodeIndex> {
        let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for (_, next) in cx.graph.neighbours(node, Direction::Outgoing) {
                if next == from || parent.contains_key(&next) {
                    continue;
                }
                parent.insert(next, node);
                if next == to {
                    let mut path = vec![to];
                    let mut at = to;
                    while at != from {
                        at = parent[&at];
                        path.push(at);
                    }
                    path.reverse();
                    return path;
                }
                if cx.graph.kind(next) != NodeKind::Model {
                    queue.push_back(next);
                }
            }
        }
        Vec::new()
    }

    #[test]
    fn two_ended_routes_are_the_routes_of_a_plain_walk() {
        let mut routes_seen = 0;
        for seed in 0..300u64 {
            let nodes = 2 + (seed as usize % 40);
            let graph = random_graph(seed, nodes, nodes * (1 + seed as usize % 3));
            let cx = Context::new(&graph);
            let mut router = Router::new(&cx);
            let models: Vec<NodeIndex> = cx.nodes_of_kind(NodeKind::Model).collect();
            for &from in &models {
                for &to in &models {
                    let expected = if from == to {
                        Vec::new()
                    } else {
                        route_by_plain_walk(&cx, from, to)
                    };
                    routes_seen += usize::from(expected.len() > 3);
                    assert_eq!(router.route(from, to), expected, "seed {seed}");
                }
            }
        }
        assert!(routes_seen > 100, "the graphs hold long routes");
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
        let longest = longest_chains(&cx);
        assert_eq!(longest[999_998].0, 500_000);
    }
}
