//! Strongly connected components, iteratively (Tarjan's algorithm with an explicit call
//! stack): petgraph's `tarjan_scc` recurses as deep as the longest path, and its
//! `kosaraju_scc` took most of a second on a million edges, chasing linked edge lists in
//! both directions.

use petgraph::graph::NodeIndex;

use super::Adjacency;

/// The components, each sorted by node index and all ordered by their first node, and the
/// component of each node by node index.
pub struct Components {
    pub components: Vec<Vec<NodeIndex>>,
    pub component_of: Vec<usize>,
}

pub fn strongly_connected(node_count: usize, outgoing: &Adjacency) -> Components {
    const UNSEEN: u32 = u32::MAX;
    let mut order = vec![UNSEEN; node_count];
    let mut low = vec![0u32; node_count];
    let mut on_stack = vec![false; node_count];
    let mut stack: Vec<u32> = Vec::new();
    // (node, position in its neighbour list)
    let mut calls: Vec<(u32, usize)> = Vec::new();
    // Components numbered as they close, renumbered below.
    let mut found = vec![0usize; node_count];
    let mut closed = 0usize;
    let mut counter = 0u32;

    for root in 0..node_count {
        if order[root] != UNSEEN {
            continue;
        }
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        calls.push((root as u32, 0));
        while let Some(&mut (v, ref mut position)) = calls.last_mut() {
            let v = v as usize;
            let list = outgoing.of(NodeIndex::new(v));
            if let Some(&(_, w)) = list.get(*position) {
                *position += 1;
                let w = w.index();
                if order[w] == UNSEEN {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    calls.push((w as u32, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let parent = parent as usize;
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                while let Some(w) = stack.pop() {
                    let w = w as usize;
                    on_stack[w] = false;
                    found[w] = closed;
                    if w == v {
                        break;
                    }
                }
                closed += 1;
            }
        }
    }

    // Number components by their first node, so the output depends on the graph alone.
    let mut renumber = vec![usize::MAX; closed];
    let mut components: Vec<Vec<NodeIndex>> = Vec::with_capacity(closed);
    let mut component_of = vec![0usize; node_count];
    for v in 0..node_count {
        let slot = &mut renumber[found[v]];
        if *slot == usize::MAX {
            *slot = components.len();
            components.push(Vec::new());
        }
        component_of[v] = *slot;
        components[*slot].push(NodeIndex::new(v));
    }
    Components {
        components,
        component_of,
    }
}

#[cfg(test)]
mod tests {
    use petgraph::Direction;
    use petgraph::graph::DiGraph;

    use super::*;

    fn by_kosaraju(graph: &DiGraph<(), ()>) -> Vec<Vec<NodeIndex>> {
        let mut components = petgraph::algo::kosaraju_scc(graph);
        for component in &mut components {
            component.sort();
        }
        components.sort();
        components
    }

    #[test]
    fn components_match_petgraph_on_random_graphs() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut random = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for round in 0..300 {
            let nodes = 1 + round % 30;
            let mut graph = DiGraph::<(), ()>::new();
            let index: Vec<NodeIndex> = (0..nodes).map(|_| graph.add_node(())).collect();
            for _ in 0..random(nodes * 3 + 1) {
                graph.add_edge(index[random(nodes)], index[random(nodes)], ());
            }
            let found = strongly_connected(nodes, &Adjacency::new(&graph, Direction::Outgoing));
            assert_eq!(found.components, by_kosaraju(&graph), "round {round}");
            for (i, component) in found.components.iter().enumerate() {
                assert!(component.iter().all(|n| found.component_of[n.index()] == i));
            }
        }
    }

    #[test]
    fn a_long_loop_needs_no_deep_stack() {
        let nodes = 200_000;
        let mut graph = DiGraph::<(), ()>::new();
        let index: Vec<NodeIndex> = (0..nodes).map(|_| graph.add_node(())).collect();
        for i in 0..nodes {
            graph.add_edge(index[i], index[(i + 1) % nodes], ());
        }
        let outgoing = Adjacency::new(&graph, Direction::Outgoing);
        let found = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || strongly_connected(nodes, &outgoing).components.len())
            .map(|handle| handle.join());
        assert!(matches!(found, Ok(Ok(1))));
    }
}
