//! LT006 stale-consumer: a declared consumer of a model never reads its outputs.

use super::{Context, Rule};
use crate::finding::{Evidence, Finding, Severity};
use crate::node::{NodeId, NodeKind};

pub static RULE: Rule = Rule {
    code: "LT006",
    name: "stale-consumer",
    default_severity: Severity::Info,
    summary: "a declared consumer of a model is active but never reads the model's outputs",
    docs: include_str!("../../docs/rules/LT006.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let graph = cx.graph;
    let mut findings = Vec::new();
    for model in cx.nodes_of_kind(NodeKind::Model) {
        let Some(manifest) = graph.manifest(model) else {
            continue;
        };
        let outputs: Vec<_> = cx.outputs(model).collect();
        let model_id = cx.id(model);
        for entry in manifest.consumers.iter().filter(|c| !c.value.contains('*')) {
            // Only node ids name one consumer; globs and bare names are patterns.
            let Some(consumer_id) = NodeId::parse(&entry.value) else {
                continue;
            };
            let Some(consumer) = graph.node(&consumer_id) else {
                continue;
            };
            if consumer == model || !cx.has_activity(consumer) {
                continue;
            }
            let reads = outputs
                .iter()
                .any(|&output| cx.edge(output, consumer).is_some_and(|e| e.is_observed()));
            if reads {
                continue;
            }
            let message = format!(
                "{consumer_id} is a declared consumer of {model_id} but never reads its outputs, though the logs show it active"
            );
            findings.push(
                Finding::new(
                    &RULE,
                    RULE.default_severity,
                    model_id,
                    vec![consumer_id.to_string()],
                    message,
                )
                .with_evidence(vec![Evidence::manifest_line(
                    &manifest.file,
                    entry.line,
                    "consumers",
                    &entry.value,
                )]),
            );
        }
    }
    findings
}
