//! MLflow `MLmodel` files: each is a model manifest. Its `resources` (serving endpoints,
//! vector-search indexes, tables) are declared inputs; inside an `mlruns/` file store, the
//! datasets the logging run took as inputs are its training data.

use std::path::Path;

use super::manifest::{Entry, Manifest};
use super::tree::{self, Tree, Value};
use crate::node::NodeKind;

/// Indents lines that hold only a closing `}` or `]` in column 0 by one space, the way
/// PyYAML reads them: as the end of the flow collection above.
fn indent_closing_brackets(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\n', '\r']);
            if matches!(body, "}" | "]" | "}," | "],") {
                format!(" {line}")
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// Whether a file is an MLmodel file, by name: `MLmodel`, or a variant kept beside it such as
/// `MLmodel.with.metadata` (MLflow's own test resources are named so).
pub fn is_mlmodel(display: &str) -> bool {
    display
        .rsplit('/')
        .next()
        .is_some_and(|name| name == "MLmodel" || name.starts_with("MLmodel."))
}

/// The model manifest an MLmodel file declares, or where and why it cannot be read.
pub fn read(path: &Path, text: &str, display: &str) -> Result<Manifest, String> {
    // MLflow writes `input_example: {` ... `}` with the closing bracket in column 0, which
    // PyYAML accepts and strict YAML 1.2 parsers refuse; read it as PyYAML would.
    let parsed = tree::parse_yaml(text).or_else(|first| {
        let lenient = indent_closing_brackets(text);
        if lenient == text {
            Err(first)
        } else {
            tree::parse_yaml(&lenient).map_err(|_| first)
        }
    });
    let docs = parsed.map_err(|e| {
        format!(
            "line {}: MLmodel is not valid YAML: {}",
            e.line.max(1),
            e.message
        )
    })?;
    let doc = docs
        .into_iter()
        .next()
        .filter(|d| matches!(d.value, Value::Map(_)))
        .ok_or("line 1: MLmodel is not a YAML mapping")?;
    let scalar = |key: &str| -> Option<String> {
        match &doc.get(key)?.value {
            Value::Str(s) | Value::Number(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    };
    let run_id = scalar("run_id");
    let parts: Vec<&str> = display.split('/').collect();
    let folder = parts.len().checked_sub(2).map(|i| parts[i]);
    let registered = path
        .parent()
        .map(|dir| dir.join("registered_model_meta"))
        .and_then(|meta| std::fs::read_to_string(meta).ok())
        .and_then(|meta| tree::parse_yaml(&meta).ok())
        .and_then(|docs| docs.into_iter().next())
        .and_then(|d| {
            d.get("model_name")
                .and_then(Tree::as_str)
                .map(str::to_string)
        });
    // In a file store: mlruns/EXPERIMENT/RUN/artifacts/PATH/MLmodel.
    let artifacts = parts.iter().rposition(|p| *p == "artifacts");
    let name = match (registered, artifacts) {
        (Some(name), _) => name,
        (None, Some(at)) if at >= 1 && at + 2 < parts.len() => {
            format!(
                "{}/{}",
                parts[at - 1],
                parts[at + 1..parts.len() - 1].join("/")
            )
        }
        _ => folder.unwrap_or("MLmodel").to_string(),
    };
    // A variant beside the real MLmodel is another model: named after its file too.
    let file_name = parts.last().copied().unwrap_or("MLmodel");
    let name = if file_name == "MLmodel" {
        name
    } else {
        format!("{name}/{file_name}")
    };
    let mut manifest = Manifest::new(display, 1, NodeKind::Model, &name);
    for key in [
        "run_id",
        "model_id",
        "model_uuid",
        "mlflow_version",
        "artifact_path",
    ] {
        if let Some(value) = scalar(key) {
            manifest.attributes.insert(key.into(), value);
        }
    }
    if let Some(Value::Map(flavors)) = doc.get("flavors").map(|f| &f.value) {
        let names: Vec<&str> = flavors.iter().filter_map(|(k, _)| k.as_str()).collect();
        manifest
            .attributes
            .insert("flavors".into(), names.join(","));
    }
    // resources: {databricks: {serving_endpoint: [{name}], vector_search_index: [{name}], ...}}
    if let Some(Value::Map(providers)) = doc.get("resources").map(|r| &r.value) {
        for (_, provider) in providers {
            let Value::Map(kinds) = &provider.value else {
                continue;
            };
            for (kind, list) in kinds {
                let Value::Seq(items) = &list.value else {
                    continue;
                };
                for item in items {
                    let Some(name) = item.get("name").and_then(Tree::as_str) else {
                        continue;
                    };
                    let value = if kind.as_str() == Some("serving_endpoint") {
                        format!("endpoint:{name}")
                    } else {
                        name.to_string()
                    };
                    if !manifest.inputs.iter().any(|e| e.value == value) {
                        manifest.inputs.push(Entry {
                            value,
                            line: item.line,
                        });
                    }
                }
            }
        }
    }
    if let (Some(run_id), Some(at)) = (run_id, artifacts) {
        manifest.training = run_datasets(path, parts.len() - at, &run_id);
    }
    Ok(manifest)
}

/// The datasets an `mlruns/` run took as inputs: `RUN/inputs/*/meta.yaml` link the run to
/// `EXPERIMENT/datasets/ID/meta.yaml`. `up` is how many components the MLmodel file lies
/// below the run's `artifacts` folder, plus one.
fn run_datasets(mlmodel: &Path, up: usize, run_id: &str) -> Vec<Entry> {
    let mut run = mlmodel;
    for _ in 0..up {
        let Some(parent) = run.parent() else {
            return Vec::new();
        };
        run = parent;
    }
    if run.file_name().and_then(|n| n.to_str()) != Some(run_id) {
        return Vec::new();
    }
    let Some(experiment) = run.parent() else {
        return Vec::new();
    };
    let read = |path: &Path| -> Option<Tree> {
        let text = std::fs::read_to_string(path).ok()?;
        tree::parse_yaml(&text).ok()?.into_iter().next()
    };
    let mut links: Vec<_> = std::fs::read_dir(run.join("inputs"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join("meta.yaml"))
        .collect();
    links.sort();
    let mut entries = Vec::new();
    for link in links {
        let Some(link) = read(&link) else { continue };
        let text = |t: &Tree, k: &str| t.get(k).and_then(Tree::as_str).map(str::to_string);
        if text(&link, "source_type").as_deref() != Some("DATASET")
            || text(&link, "destination_type").as_deref() != Some("RUN")
        {
            continue;
        }
        let Some(id) = text(&link, "source_id") else {
            continue;
        };
        let Some(dataset) = read(&experiment.join("datasets").join(&id).join("meta.yaml")) else {
            continue;
        };
        let Some(name) = text(&dataset, "name") else {
            continue;
        };
        let value = match text(&dataset, "digest") {
            Some(digest) => format!("{name}@{digest}"),
            None => name,
        };
        if !entries.iter().any(|e: &Entry| e.value == value) {
            entries.push(Entry { value, line: 1 });
        }
    }
    entries
}
