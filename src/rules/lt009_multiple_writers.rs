//! LT009 multiple-writers: two or more entities or principals write the same dataset.

use petgraph::Direction;

use super::{Context, Rule, join_names};
use crate::finding::{Finding, Severity};
use crate::node::NodeKind;

pub static RULE: Rule = Rule {
    code: "LT009",
    name: "multiple-writers",
    default_severity: Severity::Warning,
    summary: "a dataset is written (declared or observed) by two or more entities or principals",
    docs: include_str!("../../docs/rules/LT009.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for dataset in cx.nodes_of_kind(NodeKind::Dataset) {
        let writers: Vec<_> = cx
            .neighbours(dataset, Direction::Incoming)
            .iter()
            .filter(|&&(edge, _)| cx.edge_data(edge).is_output())
            .map(|&(_, writer)| writer)
            .collect();
        if writers.len() < 2 {
            continue;
        }
        let dataset_id = cx.id(dataset);
        let names: Vec<String> = writers.iter().map(|&w| cx.id(w).to_string()).collect();
        let message = format!(
            "{dataset_id} is written by {} writers: {}",
            names.len(),
            join_names(&names)
        );
        let evidence = writers
            .iter()
            .flat_map(|&w| cx.edge_evidence(w, dataset))
            .collect();
        findings.push(
            Finding::new(&RULE, RULE.default_severity, dataset_id, names, message)
                .with_evidence(evidence),
        );
    }
    findings
}
