//! LT002 feedback-loop: a cycle of the lineage graph passes through a model, so the model's
//! outputs flow back into its own inputs.

use std::collections::{HashMap, VecDeque};

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::{Context, Rule, join_names};
use crate::finding::{Finding, LoopKind, Severity};
use crate::graph::EdgeData;
use crate::node::NodeKind;

pub static RULE: Rule = Rule {
    code: "LT002",
    name: "feedback-loop",
    default_severity: Severity::Error,
    summary: "a cycle of declared and observed edges passes through a model (direct or hidden loop)",
    docs: include_str!("../../docs/rules/LT002.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, component) in cx.components.iter().enumerate() {
        let models: Vec<NodeIndex> = component
            .iter()
            .copied()
            .filter(|&n| cx.kind(n) == NodeKind::Model)
            .collect();
        // Components are sorted by node index, which follows node id order.
        let Some(&subject) = models.first() else {
            continue;
        };
        let inside = |n: NodeIndex| cx.component_of[n.index()] == index;
        let Some(any_cycle) = shortest_cycle(cx, subject, &inside, |_| true) else {
            continue; // a single node without a self-loop is no cycle
        };
        let declared_cycle = if models.len() == 1 {
            shortest_cycle(cx, subject, &inside, EdgeData::is_declared)
        } else {
            None
        };
        let (kind, path) = match declared_cycle {
            Some(cycle) => (LoopKind::Direct, cycle),
            None => (LoopKind::Hidden, any_cycle),
        };
        let subject_id = cx.id(subject);
        let path_text = path
            .iter()
            .map(|&n| cx.id(n).as_str())
            .collect::<Vec<_>>()
            .join(" -> ");
        let message = match kind {
            LoopKind::Direct => format!(
                "{subject_id} feeds back into its own inputs through declared edges: {path_text}"
            ),
            LoopKind::Hidden => {
                let names: Vec<&str> = models.iter().map(|&m| cx.id(m).as_str()).collect();
                let undeclared = path
                    .windows(2)
                    .filter(|w| cx.edge(w[0], w[1]).is_some_and(|e| !e.is_declared()))
                    .count();
                let closed_by = match undeclared {
                    0 => String::new(),
                    1 => "; 1 of its edges is seen only in logs".to_string(),
                    n => format!("; {n} of its edges are seen only in logs"),
                };
                format!(
                    "hidden feedback loop through {}: {path_text}{closed_by}",
                    join_names(&names)
                )
            }
        };
        let evidence = cx.path_evidence(&path);
        let mut finding = Finding::new(
            &RULE,
            RULE.default_severity,
            subject_id,
            Vec::new(),
            message,
        )
        .with_path(path.iter().map(|&n| cx.id(n).to_string()).collect())
        .with_evidence(evidence);
        finding.loop_kind = Some(kind);
        findings.push(finding);
    }
    findings
}

/// The shortest cycle from `start` back to itself over allowed edges inside the component,
/// breadth first with neighbours in id order, so the same graph always gives the same cycle.
fn shortest_cycle(
    cx: &Context<'_>,
    start: NodeIndex,
    inside: &dyn Fn(NodeIndex) -> bool,
    allowed: impl Fn(&EdgeData) -> bool,
) -> Option<Vec<NodeIndex>> {
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &(edge, next) in cx.neighbours(node, Direction::Outgoing) {
            if !allowed(cx.edge_data(edge)) || !inside(next) {
                continue;
            }
            if next == start {
                let mut path = vec![start];
                let mut at = node;
                while at != start {
                    path.push(at);
                    at = parent[&at];
                }
                path.push(start);
                path.reverse();
                return Some(path);
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(next) {
                slot.insert(node);
                queue.push_back(next);
            }
        }
    }
    None
}
