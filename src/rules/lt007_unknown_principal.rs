//! LT007 unknown-principal: a principal in the logs maps to no entity.

use petgraph::Direction;

use super::{Context, Rule};
use crate::finding::{Evidence, Finding, Severity};
use crate::node::NodeKind;

pub static RULE: Rule = Rule {
    code: "LT007",
    name: "unknown-principal",
    default_severity: Severity::Info,
    summary: "a principal in the logs maps to no entity",
    docs: include_str!("../../docs/rules/LT007.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for principal in cx.nodes_of_kind(NodeKind::Principal) {
        let id = cx.id(principal);
        let mut evidence = Vec::new();
        let (mut reads, mut writes, mut records) = (0, 0, 0u64);
        for direction in [Direction::Incoming, Direction::Outgoing] {
            for &(edge, other) in cx.neighbours(principal, direction) {
                let Some(seen) = &cx.edge_data(edge).observed else {
                    continue;
                };
                records = records.saturating_add(seen.count);
                let (from, to) = if direction == Direction::Incoming {
                    reads += 1;
                    (cx.id(other), id)
                } else {
                    writes += 1;
                    (id, cx.id(other))
                };
                evidence.push(Evidence::observed(from, to, seen));
            }
        }
        let message = format!(
            "{} appears in the logs ({records} accesses: reads {reads} and writes {writes} datasets) but maps to no entity",
            id.name()
        );
        findings.push(
            Finding::new(&RULE, RULE.default_severity, id, Vec::new(), message)
                .with_evidence(evidence),
        );
    }
    findings
}
