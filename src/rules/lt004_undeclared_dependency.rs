//! LT004 undeclared-dependency: an entity reads a dataset it does not declare.

use petgraph::Direction;

use super::{Context, Rule};
use crate::finding::{Evidence, Finding, Severity};
use crate::node::NodeKind;

pub static RULE: Rule = Rule {
    code: "LT004",
    name: "undeclared-dependency",
    default_severity: Severity::Warning,
    summary: "an entity is observed reading a dataset it does not declare in inputs or training",
    docs: include_str!("../../docs/rules/LT004.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let graph = cx.graph;
    let mut findings = Vec::new();
    // Only an entity with a declaration source (a manifest, or a format that declares
    // lineage) can leave something undeclared; one known only from logs declares nothing.
    for entity in graph
        .nodes()
        .filter(|&n| cx.kind(n).is_entity() && graph.manifest(n).is_some())
    {
        for &(edge, dataset) in cx.neighbours(entity, Direction::Incoming) {
            let edge = cx.edge_data(edge);
            let Some(seen) = &edge.observed else {
                continue;
            };
            if cx.kind(dataset) != NodeKind::Dataset || edge.is_declared_read() {
                continue;
            }
            let (entity_id, dataset_id) = (cx.id(entity), cx.id(dataset));
            let message = format!(
                "{entity_id} reads {dataset_id} but does not declare it in `inputs` or `training`"
            );
            findings.push(
                Finding::new(
                    &RULE,
                    RULE.default_severity,
                    entity_id,
                    vec![dataset_id.to_string()],
                    message,
                )
                .with_evidence(vec![Evidence::observed(dataset_id, entity_id, seen)]),
            );
        }
    }
    findings
}
