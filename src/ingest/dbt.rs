//! dbt `manifest.json` (schema v2 to v12): each model, seed and snapshot is a job that
//! declares its relation as output and the relations it depends on as inputs; sources are
//! datasets; exposures are services (models, for `type: ml`) declaring what they depend on as
//! inputs and listed as consumers of the jobs that build it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::manifest::{Entry, Manifest};
use crate::node::{NodeId, NodeKind};

/// Whether the start of a `.json` file is a dbt manifest (not `run_results.json` or another
/// dbt artifact).
pub fn sniff(head: &str) -> bool {
    head.contains("\"dbt_schema_version\"") && head.contains("/manifest/v")
}

/// The manifests one dbt `manifest.json` declares, or why it cannot be read.
pub fn read(text: &str, display: &str) -> Result<Vec<Manifest>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "line {}: not a dbt manifest: not valid JSON: {e}",
            e.line().max(1)
        )
    })?;
    let nodes = root
        .get("nodes")
        .and_then(Value::as_object)
        .ok_or("a dbt manifest has no `nodes` object")?;
    let empty = serde_json::Map::new();
    let sources = root
        .get("sources")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let line_of = |id: &str| -> usize {
        text.find(&format!("\"{id}\""))
            .map(|at| text[..at].bytes().filter(|&b| b == b'\n').count() + 1)
            .unwrap_or(1)
    };

    // unique_id -> relation, for everything that is a table or view.
    let mut relations: HashMap<&str, String> = HashMap::new();
    for (id, node) in nodes.iter().chain(sources.iter()) {
        let kind = node.get("resource_type").and_then(Value::as_str);
        if matches!(kind, Some("model" | "seed" | "snapshot" | "source"))
            && let Some(relation) = relation(node)
        {
            relations.insert(id.as_str(), relation);
        }
    }

    let mut manifests: BTreeMap<NodeId, Manifest> = BTreeMap::new();
    let mut builders: HashMap<&str, NodeId> = HashMap::new();
    for (id, node) in nodes {
        let kind = node.get("resource_type").and_then(Value::as_str);
        if !matches!(kind, Some("model" | "seed" | "snapshot")) {
            continue;
        }
        let Some(relation) = relations.get(id.as_str()) else {
            continue;
        };
        let line = line_of(id);
        let mut manifest = Manifest::new(display, line, NodeKind::Job, relation);
        manifest.inputs = inputs(node, &relations, line);
        manifest.outputs.push(Entry {
            value: format!("dataset:{relation}"),
            line,
        });
        manifest
            .attributes
            .insert("dbt_unique_id".into(), id.clone());
        let job = manifest.id();
        builders.insert(id.as_str(), job.clone());
        manifests.insert(job, manifest);
    }

    let exposures = root
        .get("exposures")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut consumers: Vec<(NodeId, NodeId, usize)> = Vec::new();
    for (id, exposure) in exposures {
        let Some(name) = exposure.get("name").and_then(Value::as_str) else {
            continue;
        };
        let line = line_of(id);
        let kind = match exposure.get("type").and_then(Value::as_str) {
            Some("ml") => NodeKind::Model,
            _ => NodeKind::Service,
        };
        let mut manifest = Manifest::new(display, line, kind, name);
        manifest.inputs = inputs(exposure, &relations, line);
        if let Some(owner) = exposure
            .pointer("/owner/name")
            .or_else(|| exposure.pointer("/owner/email"))
            .and_then(Value::as_str)
        {
            manifest.owner = Some(owner.to_string());
        }
        manifest
            .attributes
            .insert("dbt_unique_id".into(), id.clone());
        for dependency in depends_on(exposure) {
            if let Some(job) = builders.get(dependency) {
                consumers.push((job.clone(), manifest.id(), line));
            }
        }
        manifests.insert(manifest.id(), manifest);
    }
    for (job, consumer, line) in consumers {
        if let Some(manifest) = manifests.get_mut(&job) {
            manifest.consumers.push(Entry {
                value: consumer.as_str().to_string(),
                line,
            });
        }
    }
    Ok(manifests.into_values().collect())
}

fn depends_on(node: &Value) -> impl Iterator<Item = &str> {
    node.pointer("/depends_on/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn inputs(node: &Value, relations: &HashMap<&str, String>, line: usize) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for dependency in depends_on(node) {
        if let Some(relation) = relations.get(dependency) {
            let value = format!("dataset:{relation}");
            if !entries.iter().any(|e| e.value == value) {
                entries.push(Entry { value, line });
            }
        }
    }
    entries
}

/// A node's relation: `relation_name` without quotes, or `database.schema.alias` when that is
/// absent or is an expression (a source read with `read_csv(...)`).
fn relation(node: &Value) -> Option<String> {
    let text = |key: &str| {
        node.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(name) = text("relation_name").filter(|r| !r.contains('(') && !r.contains(' ')) {
        return Some(name.replace(['"', '`'], ""));
    }
    let table = text("alias")
        .or_else(|| text("identifier"))
        .or_else(|| text("name"))?;
    let parts: Vec<&str> = [text("database"), text("schema"), Some(table)]
        .into_iter()
        .flatten()
        .collect();
    Some(parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_drop_quotes_and_expressions() {
        let node: Value = serde_json::from_str(
            r#"{"relation_name": "\"dbt\".\"main\".\"orders\"", "database": "x"}"#,
        )
        .unwrap_or_default();
        assert_eq!(relation(&node).as_deref(), Some("dbt.main.orders"));
        let node: Value = serde_json::from_str(
            r#"{"relation_name": "read_csv('a.csv')", "database": "dbt", "schema": "raw", "identifier": "customers"}"#,
        )
        .unwrap_or_default();
        assert_eq!(relation(&node).as_deref(), Some("dbt.raw.customers"));
    }
}
