//! Walks checked against a deliberately simple reference: Dijkstra over the raw edge list,
//! entering a dataset costing 0 and anything else 1.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::path::Path;

use super::*;
use crate::pipeline::{ScanOptions, analyze};

fn planted() -> Option<crate::pipeline::Analysis> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planted/deployment");
    analyze(&dir, &ScanOptions::default()).ok()
}

/// Reference depths: every node reachable from `start`, the start excluded.
fn reference(
    edges: &[(String, String, bool, bool)],
    start: &str,
    downstream: bool,
    filter: EdgeFilter,
) -> BTreeMap<String, usize> {
    let mut best: BTreeMap<String, usize> = BTreeMap::new();
    let mut heap = BinaryHeap::from([Reverse((0usize, start.to_string()))]);
    let mut done: BTreeSet<String> = BTreeSet::new();
    while let Some(Reverse((d, node))) = heap.pop() {
        if !done.insert(node.clone()) {
            continue;
        }
        for (a, b, declared, observed) in edges {
            let ok = match filter {
                EdgeFilter::All => true,
                EdgeFilter::DeclaredOnly => *declared,
                EdgeFilter::ObservedOnly => *observed,
            };
            let (from, to) = if downstream { (a, b) } else { (b, a) };
            if !ok || *from != node || to == start {
                continue;
            }
            let next = d + usize::from(!to.starts_with("dataset:"));
            if best.get(to).is_none_or(|&old| next < old) {
                best.insert(to.clone(), next);
                heap.push(Reverse((next, to.clone())));
            }
        }
    }
    best
}

#[test]
fn walks_match_the_reference_on_the_planted_deployment() {
    let Some(analysis) = planted() else {
        panic!("tests/planted/deployment does not scan");
    };
    let graph = &analysis.graph;
    let edges: Vec<(String, String, bool, bool)> = graph
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = graph.graph.edge_endpoints(e)?;
            let data = &graph.graph[e];
            Some((
                graph.id(a).to_string(),
                graph.id(b).to_string(),
                data.is_declared(),
                data.is_observed(),
            ))
        })
        .collect();
    let lineage = MemoryLineage { graph };
    let mut checked = 0;
    for node in graph.nodes().filter(|&n| graph.kind(n).is_entity()) {
        let start = graph.id(node).to_string();
        for downstream in [true, false] {
            for filter in [
                EdgeFilter::All,
                EdgeFilter::DeclaredOnly,
                EdgeFilter::ObservedOnly,
            ] {
                let options = WalkOptions {
                    depth: None,
                    edges: filter,
                };
                let walk =
                    walk(&lineage, &start, downstream, &options).unwrap_or_else(|e| panic!("{e}"));
                let got: BTreeMap<String, usize> = walk
                    .reached
                    .iter()
                    .map(|r| (r.node.clone(), r.depth))
                    .collect();
                assert_eq!(
                    got,
                    reference(&edges, &start, downstream, filter),
                    "{start} {downstream} {filter:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 700);
}

#[test]
fn depth_bounds_and_each_node_once_in_loops() {
    let Some(analysis) = planted() else {
        panic!("tests/planted/deployment does not scan");
    };
    let lineage = MemoryLineage {
        graph: &analysis.graph,
    };
    for node in analysis.graph.nodes_of_kind(crate::node::NodeKind::Model) {
        let start = analysis.graph.id(node).to_string();
        let all =
            walk(&lineage, &start, true, &WalkOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = all.reached.iter().map(|r| r.node.as_str()).collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{start}: a node twice");
        assert!(
            !unique.contains(start.as_str()),
            "{start}: the start is no result"
        );
        for bound in 0..3 {
            let options = WalkOptions {
                depth: Some(bound),
                ..WalkOptions::default()
            };
            let bounded = walk(&lineage, &start, true, &options).unwrap_or_else(|e| panic!("{e}"));
            let expected: Vec<(&str, usize)> = all
                .reached
                .iter()
                .filter(|r| r.depth <= bound)
                .map(|r| (r.node.as_str(), r.depth))
                .collect();
            let got: Vec<(&str, usize)> = bounded
                .reached
                .iter()
                .map(|r| (r.node.as_str(), r.depth))
                .collect();
            assert_eq!(got, expected, "{start} --depth {bound}");
        }
    }
}

#[test]
fn flags_via_and_paths_on_a_small_graph() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
    };
    write(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\noutputs: [scores]\n---\n\
         kind: service\nname: app\nidentities: [svc:app]\ninputs: [scores]\n---\n\
         kind: service\nname: paper\ninputs: [scores]\n---\n\
         kind: model\nname: tuned\nbase_model: m\n",
    );
    write(
        "l.jsonl",
        "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:app\",\"action\":\"read\",\"resource\":\"scores\"}\n\
         {\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:m\",\"action\":\"write\",\"resource\":\"scores\"}\n\
         {\"ts\":\"2026-11-02T00:00:00Z\",\"principal\":\"svc:spy\",\"action\":\"read\",\"resource\":\"scores\"}\n",
    );
    let analysis = analyze(dir.path(), &ScanOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let lineage = MemoryLineage {
        graph: &analysis.graph,
    };
    let walk =
        walk(&lineage, "model:m", true, &WalkOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(&str, usize, Option<&str>, bool, bool)> = walk
        .reached
        .iter()
        .map(|r| {
            (
                r.node.as_str(),
                r.depth,
                r.via.as_deref(),
                r.declared,
                r.observed,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("dataset:scores", 0, None, true, true),
            ("model:tuned", 1, None, true, false),
            ("principal:svc:spy", 1, Some("dataset:scores"), false, true),
            ("service:app", 1, Some("dataset:scores"), true, true),
            ("service:paper", 1, Some("dataset:scores"), true, false),
        ]
    );
    let found = paths(
        &lineage,
        "model:m",
        "service:app",
        EdgeFilter::All,
        false,
        None,
        10,
    )
    .unwrap_or_default();
    assert_eq!(found.paths.len(), 1);
    assert_eq!(
        found.paths[0]
            .iter()
            .map(|e| e.to.as_str())
            .collect::<Vec<_>>(),
        vec!["dataset:scores", "service:app"]
    );
    let none = paths(
        &lineage,
        "service:app",
        "model:m",
        EdgeFilter::All,
        true,
        Some(10),
        10,
    )
    .unwrap_or_default();
    assert!(none.paths.is_empty() && !none.truncated);
    assert!(matches!(resolve_node(&lineage, "app"), Ok(id) if id == "service:app"));
    assert!(matches!(
        resolve_node(&lineage, "nope"),
        Err(QueryError::Unknown { .. })
    ));
}

#[test]
fn paths_find_cycles_long_paths_and_stop_on_dense_graphs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A loop m -> a -> j -> b -> m, and a dense grid of jobs: 6 layers of 5 jobs, each job
    // reading every dataset of its layer and writing every dataset of the next.
    let mut text = String::from(
        "kind: model\nname: m\ninputs: [b]\noutputs: [a]\n---\nkind: job\nname: j\ninputs: [a]\noutputs: [b]\n",
    );
    for layer in 0..6 {
        for k in 0..5 {
            let inputs: Vec<String> = (0..5).map(|i| format!("d{layer}_{i}")).collect();
            let outputs: Vec<String> = (0..5).map(|i| format!("d{}_{i}", layer + 1)).collect();
            text.push_str(&format!(
                "---\nkind: job\nname: j{layer}_{k}\ninputs: [{}]\noutputs: [{}]\n",
                inputs.join(", "),
                outputs.join(", ")
            ));
        }
    }
    std::fs::write(dir.path().join("m.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    let analysis = analyze(dir.path(), &ScanOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let lineage = MemoryLineage {
        graph: &analysis.graph,
    };
    let cycle = paths(
        &lineage,
        "model:m",
        "model:m",
        EdgeFilter::All,
        false,
        None,
        10,
    )
    .unwrap_or_default();
    assert_eq!(
        cycle.paths.len(),
        1,
        "the loop through m is a path from m to m"
    );
    assert_eq!(cycle.paths[0].len(), 4);
    // 12 edges from the first layer to the last: found with no bound given.
    let long = paths(
        &lineage,
        "dataset:d0_0",
        "dataset:d6_0",
        EdgeFilter::All,
        false,
        None,
        1,
    )
    .unwrap_or_default();
    assert_eq!(long.paths.first().map(Vec::len), Some(12));
    // Millions of simple paths: --all stops, says so, and still lists the shortest first.
    let all = paths(
        &lineage,
        "dataset:d0_0",
        "dataset:d6_0",
        EdgeFilter::All,
        true,
        Some(20),
        100,
    )
    .unwrap_or_default();
    assert!(all.truncated);
    assert_eq!(all.paths.len(), 100);
    assert!(all.paths.iter().all(|p| p.len() == 12));
}
