//! LT001 undeclared-consumer: someone reads a model's outputs without being a declared consumer.

use std::collections::BTreeMap;

use petgraph::Direction;

use super::{ConsumerPattern, Context, Rule, join_names};
use crate::finding::{Evidence, Finding, Severity};
use crate::node::NodeKind;

pub static RULE: Rule = Rule {
    code: "LT001",
    name: "undeclared-consumer",
    default_severity: Severity::Error,
    summary: "a node reads a model's outputs but is not among the model's declared consumers",
    docs: include_str!("../../docs/rules/LT001.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let graph = cx.graph;
    let mut findings = Vec::new();
    for model in cx.nodes_of_kind(NodeKind::Model) {
        let consumers: Vec<ConsumerPattern<'_>> = graph
            .manifest(model)
            .map(|m| m.consumers.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|c| ConsumerPattern::new(&c.value))
            .collect();
        // consumer -> (datasets read, evidence)
        let mut undeclared: BTreeMap<_, (Vec<String>, Vec<Evidence>)> = BTreeMap::new();
        for output in cx.outputs(model) {
            for &(edge, reader) in cx.neighbours(output, Direction::Outgoing) {
                let Some(seen) = &cx.edge_data(edge).observed else {
                    continue;
                };
                let reader_id = cx.id(reader);
                if reader == model || consumers.iter().any(|c| c.matches(reader_id)) {
                    continue;
                }
                let entry = undeclared.entry(reader).or_default();
                entry.0.push(cx.id(output).to_string());
                entry
                    .1
                    .push(Evidence::observed(cx.id(output), reader_id, seen));
            }
        }
        let model_id = cx.id(model);
        for (reader, (datasets, evidence)) in undeclared {
            let reader_id = cx.id(reader);
            let what = if datasets.len() == 1 {
                "an output"
            } else {
                "outputs"
            };
            let message = format!(
                "{reader_id} reads {}, {what} of {model_id}, but is not a declared consumer",
                join_names(&datasets)
            );
            findings.push(
                Finding::new(
                    &RULE,
                    RULE.default_severity,
                    model_id,
                    vec![reader_id.to_string()],
                    message,
                )
                .with_evidence(evidence),
            );
        }
    }
    findings
}
