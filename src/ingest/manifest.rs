//! Native manifests (SPEC.md): what each model, job or service declares it reads, writes,
//! and who may consume it. YAML (one document or a `---` stream), JSON or TOML.

use std::collections::BTreeMap;

use super::tree::{self, Tree, Value};
use crate::node::{NodeId, NodeKind};

/// One string of a manifest list, with the line that declares it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub value: String,
    pub line: usize,
}

// Serde only for the manifest cache (`cache::ManifestCache`), which stores parses as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// The file, relative to the deployment root, with `/` separators.
    pub file: String,
    /// The line where this manifest's document starts.
    pub line: usize,
    pub kind: NodeKind,
    pub name: String,
    pub version: Option<String>,
    pub owner: Option<String>,
    pub identities: Vec<Entry>,
    pub inputs: Vec<Entry>,
    pub training: Vec<Entry>,
    pub outputs: Vec<Entry>,
    pub consumers: Vec<Entry>,
    pub influences: Vec<Entry>,
    /// Models this model is derived from; the `model:` prefix is optional in the file.
    pub base_models: Vec<Entry>,
    /// Scalar keys lintage does not know: kept, and otherwise ignored.
    pub attributes: BTreeMap<String, String>,
}

impl Manifest {
    /// A manifest that declares nothing yet: every format fills in what it knows.
    pub fn new(file: &str, line: usize, kind: NodeKind, name: &str) -> Manifest {
        Manifest {
            file: file.to_string(),
            line,
            kind,
            name: name.to_string(),
            version: None,
            owner: None,
            identities: Vec::new(),
            inputs: Vec::new(),
            training: Vec::new(),
            outputs: Vec::new(),
            consumers: Vec::new(),
            influences: Vec::new(),
            base_models: Vec::new(),
            attributes: BTreeMap::new(),
        }
    }

    pub fn id(&self) -> NodeId {
        NodeId::new(self.kind, &self.name)
    }
}

/// A manifest that cannot be read: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ManifestError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The syntax a manifest file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
    Toml,
}

impl Syntax {
    pub fn from_path(path: &str) -> Option<Syntax> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Syntax::Yaml)
        } else if lower.ends_with(".json") {
            Some(Syntax::Json)
        } else if lower.ends_with(".toml") {
            Some(Syntax::Toml)
        } else {
            None
        }
    }
}

/// Parses a file's documents, without deciding yet whether they are manifests.
pub fn parse_documents(file: &str, text: &str, syntax: Syntax) -> Result<Vec<Tree>, ManifestError> {
    let parsed = match syntax {
        Syntax::Yaml | Syntax::Json => tree::parse_yaml(text),
        Syntax::Toml => tree::parse_toml(text).map(|t| vec![t]),
    };
    let docs = parsed.map_err(|e| ManifestError {
        file: file.to_string(),
        line: e.line.max(1),
        message: format!("not valid {}: {}", syntax_name(syntax), e.message),
    })?;
    // An empty document (a stray `---`) declares nothing.
    Ok(docs
        .into_iter()
        .filter(|d| d.value != Value::Null)
        .collect())
}

fn syntax_name(syntax: Syntax) -> &'static str {
    match syntax {
        Syntax::Yaml => "YAML",
        Syntax::Json => "JSON",
        Syntax::Toml => "TOML",
    }
}

/// Whether a document looks like a native manifest: discovery skips other YAML, JSON and
/// TOML files (CI workflows, Kubernetes objects) but never a broken manifest.
pub fn looks_like_manifest(doc: &Tree) -> bool {
    let kind = doc.get("kind");
    let declares_entity_kind = kind
        .and_then(Tree::as_str)
        .is_some_and(|k| NodeKind::parse(k).is_some_and(NodeKind::is_entity));
    declares_entity_kind || (kind.is_some() && doc.get("name").is_some())
}

/// Validates one document into a manifest.
pub fn from_tree(file: &str, doc: &Tree) -> Result<Manifest, ManifestError> {
    let err = |line: usize, message: String| ManifestError {
        file: file.to_string(),
        line,
        message,
    };
    let Value::Map(entries) = &doc.value else {
        return Err(err(
            doc.line,
            format!(
                "a manifest must be a mapping of keys, found {}",
                doc.value.type_name()
            ),
        ));
    };
    let kind_tree = doc.get("kind").ok_or_else(|| {
        err(
            doc.line,
            "missing `kind` (expected model, job or service)".into(),
        )
    })?;
    let kind = match kind_tree.as_str().and_then(NodeKind::parse) {
        Some(kind) if kind.is_entity() => kind,
        _ => {
            return Err(err(
                kind_tree.line,
                format!(
                    "`kind` must be model, job or service, found {}",
                    describe(&kind_tree.value)
                ),
            ));
        }
    };
    let name_tree = doc
        .get("name")
        .ok_or_else(|| err(doc.line, "missing `name` (expected a string)".into()))?;
    let name = match name_tree.as_str() {
        Some(name) if !name.trim().is_empty() => name.trim().to_string(),
        _ => {
            return Err(err(
                name_tree.line,
                format!(
                    "`name` must be a non-empty string, found {}",
                    describe(&name_tree.value)
                ),
            ));
        }
    };
    let mut manifest = Manifest::new(file, doc.line, kind, &name);
    for (key, value) in entries {
        let Some(key_name) = key.as_str() else {
            return Err(err(
                key.line,
                format!("keys must be strings, found {}", key.value.type_name()),
            ));
        };
        match key_name {
            "kind" | "name" => {}
            "version" => manifest.version = scalar(file, key_name, value)?,
            "owner" => manifest.owner = scalar(file, key_name, value)?,
            "identities" => manifest.identities = list(file, key_name, value)?,
            "inputs" => manifest.inputs = list(file, key_name, value)?,
            "training" => manifest.training = list(file, key_name, value)?,
            "outputs" => manifest.outputs = list(file, key_name, value)?,
            "consumers" => manifest.consumers = list(file, key_name, value)?,
            "influences" => manifest.influences = list(file, key_name, value)?,
            "base_model" => {
                if kind != NodeKind::Model {
                    return Err(err(
                        key.line,
                        format!("`base_model` is only for models, not a {kind}"),
                    ));
                }
                manifest.base_models = match &value.value {
                    Value::Seq(_) | Value::Null => list(file, key_name, value)?,
                    Value::Str(s) if !s.trim().is_empty() => vec![Entry {
                        value: s.trim().to_string(),
                        line: value.line,
                    }],
                    other => {
                        return Err(err(
                            value.line,
                            format!(
                                "`base_model` must be a model name, found {}",
                                describe(other)
                            ),
                        ));
                    }
                };
            }
            other => {
                if let Some(text) = scalar_text(&value.value) {
                    manifest.attributes.insert(other.to_string(), text);
                }
            }
        }
    }
    Ok(manifest)
}

fn describe(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("`{s}`"),
        Value::Number(n) => format!("the number {n}"),
        other => other.type_name().to_string(),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn scalar(file: &str, key: &str, value: &Tree) -> Result<Option<String>, ManifestError> {
    match &value.value {
        Value::Null => Ok(None),
        Value::Str(s) | Value::Number(s) => Ok(Some(s.clone())),
        other => Err(ManifestError {
            file: file.to_string(),
            line: value.line,
            message: format!("`{key}` must be a string, found {}", other.type_name()),
        }),
    }
}

fn list(file: &str, key: &str, value: &Tree) -> Result<Vec<Entry>, ManifestError> {
    let items = match &value.value {
        Value::Null => return Ok(Vec::new()),
        Value::Seq(items) => items,
        other => {
            return Err(ManifestError {
                file: file.to_string(),
                line: value.line,
                message: format!(
                    "`{key}` must be a list of strings, found {}",
                    other.type_name()
                ),
            });
        }
    };
    let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
    for item in items {
        match &item.value {
            Value::Str(s) if !s.trim().is_empty() => {
                let text = s.trim();
                if !entries.iter().any(|e| e.value == text) {
                    entries.push(Entry {
                        value: text.to_string(),
                        line: item.line,
                    });
                }
            }
            other => {
                return Err(ManifestError {
                    file: file.to_string(),
                    line: item.line,
                    message: format!(
                        "every item of `{key}` must be a non-empty string, found {}",
                        describe(other)
                    ),
                });
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifests(text: &str, syntax: Syntax) -> Result<Vec<Manifest>, ManifestError> {
        parse_documents("m.yaml", text, syntax)?
            .iter()
            .map(|d| from_tree("m.yaml", d))
            .collect()
    }

    #[test]
    fn reads_the_spec_example() {
        let text = r##"kind: model                  # model | job | service
name: fraud-scorer
version: "3"
owner: risk-team
identities: [svc:fraud-scorer, svc:fraud-trainer-*]
inputs:   [warehouse.features.user_txn_7d, model:device-risk]
training: [warehouse.labels.chargebacks]
outputs:  [warehouse.scores.fraud, endpoint:fraud-scorer]
consumers: [service:checkout, model:chargeback-predictor, service:reporting-*]
base_model: model:fraud-base
influences: [warehouse.events.checkout_clicks]
team_slack: "#risk"
"##;
        let m = manifests(text, Syntax::Yaml).unwrap_or_default();
        assert_eq!(m.len(), 1);
        let m = &m[0];
        assert_eq!(m.id().as_str(), "model:fraud-scorer");
        assert_eq!(m.version.as_deref(), Some("3"));
        assert_eq!(m.inputs[1].value, "model:device-risk");
        assert_eq!(m.consumers[2].line, 9);
        assert_eq!(m.base_models[0].value, "model:fraud-base");
        assert_eq!(
            m.attributes.get("team_slack").map(String::as_str),
            Some("#risk")
        );
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let e = manifests(
            "kind: model\nname: a\ninputs:\n  - x\n  - {a: 1}\n",
            Syntax::Yaml,
        )
        .err();
        assert_eq!(e.as_ref().map(|e| e.line), Some(5));
        assert!(e.is_some_and(|e| e.message.contains("`inputs`")));
        let e = manifests("kind: model\nname: a\noutputs: x\n", Syntax::Yaml).err();
        assert_eq!(
            e.map(|e| (e.line, e.message)),
            Some((
                3,
                "`outputs` must be a list of strings, found a string".into()
            ))
        );
        let e = manifests("kind: model\nversion: 1\n", Syntax::Yaml).err();
        assert!(e.is_some_and(|e| e.message.starts_with("missing `name`")));
        let e = manifests("name: a\nkind: dataset\n", Syntax::Yaml).err();
        assert_eq!(e.map(|e| e.line), Some(2));
        let e = manifests("kind: job\nname: a\nbase_model: b\n", Syntax::Yaml).err();
        assert!(e.is_some_and(|e| e.message.contains("only for models")));
    }

    #[test]
    fn reads_json_and_toml() {
        let json = "{\"kind\": \"job\", \"name\": \"etl\",\n \"outputs\": [\"t\"]}";
        assert_eq!(
            manifests(json, Syntax::Json).map(|m| m[0].outputs[0].line),
            Ok(2)
        );
        let toml = "kind = \"service\"\nname = \"checkout\"\ninputs = [\"a\", \"b\"]\n";
        let m = manifests(toml, Syntax::Toml).unwrap_or_default();
        assert_eq!(m[0].id().as_str(), "service:checkout");
        assert_eq!(m[0].inputs.len(), 2);
    }

    #[test]
    fn recognises_manifest_candidates() {
        let docs = |t: &str| parse_documents("x.yaml", t, Syntax::Yaml).unwrap_or_default();
        assert!(looks_like_manifest(&docs("kind: model\nname: a\n")[0]));
        assert!(looks_like_manifest(&docs("kind: model\n")[0]));
        assert!(!looks_like_manifest(&docs("name: CI\non: push\n")[0]));
        assert!(!looks_like_manifest(
            &docs("kind: Deployment\nmetadata: {name: x}\n")[0]
        ));
    }
}
