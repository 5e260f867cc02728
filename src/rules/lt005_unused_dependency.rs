//! LT005 unused-dependency: an active entity never reads a dataset it declares.

use std::collections::BTreeMap;

use petgraph::Direction;

use super::{Context, Rule};
use crate::finding::{Evidence, Finding, Severity};
use crate::graph::DeclaredAs;
use crate::node::{NodeId, NodeKind};

pub static RULE: Rule = Rule {
    code: "LT005",
    name: "unused-dependency",
    default_severity: Severity::Warning,
    summary: "a declared input or training dataset is never read by an entity that is otherwise active",
    docs: include_str!("../../docs/rules/LT005.md"),
    check,
};

fn check(cx: &Context<'_>) -> Vec<Finding> {
    let graph = cx.graph;
    let mut findings = Vec::new();
    for entity in graph.nodes().filter(|&n| cx.kind(n).is_entity()) {
        let Some(manifest) = graph.manifest(entity) else {
            continue;
        };
        // Silent for entities the logs never show: no evidence either way.
        if !cx.has_activity(entity) {
            continue;
        }
        let entity_id = cx.id(entity);
        let mut unused: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();

        for &(edge, dataset) in cx.neighbours(entity, Direction::Incoming) {
            let edge = cx.edge_data(edge);
            if cx.kind(dataset) != NodeKind::Dataset
                || edge.is_observed()
                || !edge.declared_directly_as(&[DeclaredAs::Inputs, DeclaredAs::Training])
            {
                continue;
            }
            let dataset_id = cx.id(dataset).to_string();
            let evidence = edge
                .declared
                .iter()
                .filter(|d| d.via.is_none())
                .map(|d| Evidence::declared(d, &dataset_id))
                .collect();
            unused.insert(dataset_id, evidence);
        }

        let model_entries = [
            ("inputs", &manifest.inputs),
            ("training", &manifest.training),
        ]
        .into_iter()
        .flat_map(|(key, entries)| entries.iter().map(move |e| (key, e)))
        .filter_map(|(key, e)| e.value.strip_prefix("model:").map(|name| (key, e, name)));
        for (key, entry, name) in model_entries {
            let model_id = NodeId::new(NodeKind::Model, name);
            let used = graph.node(&model_id).is_some_and(|model| {
                cx.outputs(model)
                    .any(|output| cx.edge(output, entity).is_some_and(|e| e.is_observed()))
            });
            if !used {
                unused
                    .entry(model_id.to_string())
                    .or_default()
                    .push(Evidence::manifest_line(
                        &manifest.file,
                        entry.line,
                        key,
                        &entry.value,
                    ));
            }
        }

        for (related, evidence) in unused {
            let message = if related.starts_with("model:") {
                format!(
                    "{entity_id} declares {related} as an input but never reads any of its outputs"
                )
            } else {
                format!("{entity_id} declares {related} as an input but is never seen reading it")
            };
            findings.push(
                Finding::new(
                    &RULE,
                    RULE.default_severity,
                    entity_id,
                    vec![related],
                    message,
                )
                .with_evidence(evidence),
            );
        }
    }
    findings
}
