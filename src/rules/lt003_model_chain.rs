//! LT003 model-chain: a model is built on other models' outputs (chained model entanglement).

use std::collections::{HashMap, HashSet, VecDeque};

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

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let graph = cx.graph;
    let models: Vec<NodeIndex> = graph.nodes_of_kind(NodeKind::Model).collect();
    let mut predecessors: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
    let mut successors: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
    for &model in &models {
        for next in reached_models(cx, model) {
            // Precedence inside one feedback loop is left out, so chains are finite.
            if !cx.same_component(model, next) {
                predecessors.entry(next).or_default().push(model);
                successors.entry(model).or_default().push(next);
            }
        }
    }

    // Longest chains by Kahn's topological order over the (acyclic) precedence relation;
    // ties go to the predecessor with the smallest id.
    let mut longest: HashMap<NodeIndex, (usize, Option<NodeIndex>)> = HashMap::new();
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
            .map(|&p| (longest.get(&p).map_or(1, |l| l.0), p))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let entry = match best {
            Some((length, p)) => (length + 1, Some(p)),
            None => (1, None),
        };
        longest.insert(model, entry);
        for &next in successors.get(&model).into_iter().flatten() {
            if let Some(count) = waiting.get_mut(&next) {
                *count -= 1;
                if *count == 0 {
                    ready.push_back(next);
                }
            }
        }
    }

    let mut findings = Vec::new();
    for &model in &models {
        let Some(&(length, Some(_))) = longest.get(&model) else {
            continue;
        };
        let mut chain = vec![model];
        while let Some(&(_, Some(previous))) = chain.last().and_then(|m| longest.get(m)) {
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
        let route = route_between(cx, previous, model);
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

/// The models reachable from `start` along paths whose inner nodes are not models.
fn reached_models(cx: &Context<'_>, start: NodeIndex) -> Vec<NodeIndex> {
    let graph = cx.graph;
    let mut seen: HashSet<NodeIndex> = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    let mut reached = Vec::new();
    while let Some(node) = queue.pop_front() {
        for (_, next) in graph.neighbours(node, Direction::Outgoing) {
            if !seen.insert(next) {
                continue;
            }
            if graph.kind(next) == NodeKind::Model {
                reached.push(next);
            } else {
                queue.push_back(next);
            }
        }
    }
    reached
}

/// One shortest path from `from` to `to` through non-model nodes, for the evidence.
fn route_between(cx: &Context<'_>, from: NodeIndex, to: NodeIndex) -> Vec<NodeIndex> {
    let graph = cx.graph;
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        for (_, next) in graph.neighbours(node, Direction::Outgoing) {
            if next == from || parent.contains_key(&next) {
                continue;
            }
            parent.insert(next, node);
            if next == to {
                let mut path = vec![to];
                let mut at = to;
                while let Some(&p) = parent.get(&at) {
                    path.push(p);
                    if p == from {
                        break;
                    }
                    at = p;
                }
                path.reverse();
                return path;
            }
            if graph.kind(next) != NodeKind::Model {
                queue.push_back(next);
            }
        }
    }
    Vec::new()
}
