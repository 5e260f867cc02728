//! Neighbour lists of a built graph in one flat array per direction, each list sorted by the
//! other end (so by id): the rules walk every list several times, and petgraph's linked edge
//! lists would need a fresh sorted copy per walk.

use std::cmp::Reverse;

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

/// The edges at each node in one direction, as (edge, other end).
#[derive(Debug, Default)]
pub struct Adjacency {
    /// The list of node `v` is `links[offsets[v]..offsets[v + 1]]`.
    offsets: Vec<usize>,
    links: Vec<(EdgeIndex, NodeIndex)>,
}

impl Adjacency {
    pub fn new<N, E>(graph: &DiGraph<N, E>, direction: Direction) -> Adjacency {
        let ends = |source: NodeIndex, target: NodeIndex| match direction {
            Direction::Outgoing => (source, target),
            Direction::Incoming => (target, source),
        };
        let mut offsets = vec![0usize; graph.node_count() + 1];
        for edge in graph.raw_edges() {
            let (node, _) = ends(edge.source(), edge.target());
            offsets[node.index() + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut next = offsets.clone();
        let mut links = vec![(EdgeIndex::end(), NodeIndex::end()); graph.edge_count()];
        for (i, edge) in graph.raw_edges().iter().enumerate() {
            let (node, other) = ends(edge.source(), edge.target());
            links[next[node.index()]] = (EdgeIndex::new(i), other);
            next[node.index()] += 1;
        }
        for window in offsets.windows(2) {
            // Parallel edges keep petgraph's order for them, newest first, as
            // `LineageGraph::neighbours` and `find_edge` see them.
            links[window[0]..window[1]]
                .sort_unstable_by_key(|&(edge, other)| (other, Reverse(edge)));
        }
        Adjacency { offsets, links }
    }

    /// The edges at `node`, sorted by the other end.
    pub fn of(&self, node: NodeIndex) -> &[(EdgeIndex, NodeIndex)] {
        match self.offsets.get(node.index()..node.index() + 2) {
            Some(&[start, end]) => &self.links[start..end],
            _ => &[],
        }
    }

    /// The edge between `node` and `other`, the first of parallel ones as `find_edge` has it.
    pub fn edge_to(&self, node: NodeIndex, other: NodeIndex) -> Option<EdgeIndex> {
        let list = self.of(node);
        let at = list.partition_point(|&(_, o)| o < other);
        list.get(at).filter(|&&(_, o)| o == other).map(|&(e, _)| e)
    }
}
