//! Hugging Face model cards: Markdown whose YAML front matter names `base_model` or
//! `datasets`. The card is a model manifest: `base_model` entries are the models it is derived
//! from, `datasets` its training data.

use super::manifest::{Entry, Manifest};
use super::tree::{self, Tree, Value};
use crate::node::NodeKind;

/// Whether a Markdown file's start is front matter with `base_model` or `datasets`.
pub fn sniff(head: &str) -> bool {
    let head = head.strip_prefix('\u{feff}').unwrap_or(head);
    let Some(rest) = head
        .strip_prefix("---\n")
        .or_else(|| head.strip_prefix("---\r\n"))
    else {
        return false;
    };
    let front = rest.split("\n---").next().unwrap_or_default();
    front
        .lines()
        .any(|l| l.starts_with("base_model:") || l.starts_with("datasets:"))
}

/// The model a card at `display` stands for: `ORG/NAME` for `ORG/NAME/README.md` (a clone of
/// the Hub), the folder for `NAME/README.md`, otherwise the file name without `.md`.
pub fn model_name(display: &str) -> String {
    let parts: Vec<&str> = display.split('/').collect();
    let file = parts.last().copied().unwrap_or(display);
    let stem = file.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(file);
    if file.eq_ignore_ascii_case("README.md") {
        match parts.len() {
            0..=1 => stem.to_string(),
            2 => parts[0].to_string(),
            n => format!("{}/{}", parts[n - 3], parts[n - 2]),
        }
    } else {
        stem.to_string()
    }
}

/// The model manifest a card declares, or where and why its front matter cannot be read.
pub fn read(text: &str, display: &str) -> Result<Option<Manifest>, String> {
    // CRLF line ends and TAB indentation (strict YAML refuses tabs there) are common in cards.
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok(None);
    };
    let end = rest.find("\n---").map(|at| at + 1).unwrap_or(rest.len());
    let front: String = rest[..end]
        .lines()
        .map(|line| {
            let body = line.trim_start_matches([' ', '\t']);
            let indent: usize = line[..line.len() - body.len()]
                .chars()
                .map(|c| if c == '\t' { 4 } else { 1 })
                .sum();
            format!("{}{body}\n", " ".repeat(indent))
        })
        .collect();
    // The front matter starts on the file's second line.
    let docs = tree::parse_yaml(&front).map_err(|e| {
        format!(
            "line {}: model card front matter is not valid YAML: {}",
            e.line.max(1) + 1,
            e.message
        )
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(None);
    };
    let name = model_name(display);
    let mut manifest = Manifest::new(display, 1, NodeKind::Model, &name);
    for (value, line) in strings(doc.get("base_model")) {
        // A card that names itself adds nothing; a parent named twice is one parent.
        if value != name && !manifest.base_models.iter().any(|e| e.value == value) {
            manifest.base_models.push(Entry {
                value,
                line: line + 1,
            });
        }
    }
    for (value, line) in strings(doc.get("datasets")) {
        let value = format!("hf://datasets/{value}");
        if !manifest.training.iter().any(|e| e.value == value) {
            manifest.training.push(Entry {
                value,
                line: line + 1,
            });
        }
    }
    for key in [
        "base_model_relation",
        "license",
        "library_name",
        "pipeline_tag",
    ] {
        if let Some(value) = doc.get(key).and_then(Tree::as_str) {
            manifest.attributes.insert(key.into(), value.to_string());
        }
    }
    Ok(Some(manifest))
}

/// A string or a list of strings, with lines.
fn strings(tree: Option<&Tree>) -> Vec<(String, usize)> {
    match tree.map(|t| &t.value) {
        Some(Value::Str(s)) if !s.trim().is_empty() => {
            vec![(s.trim().to_string(), tree.map_or(1, |t| t.line))]
        }
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|item| {
                let s = item.as_str()?.trim();
                (!s.is_empty()).then(|| (s.to_string(), item.line))
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_named_after_their_place() {
        assert_eq!(model_name("Qwen/Qwen2.5-7B/README.md"), "Qwen/Qwen2.5-7B");
        assert_eq!(
            model_name("hub/Qwen/Qwen2.5-7B/README.md"),
            "Qwen/Qwen2.5-7B"
        );
        assert_eq!(model_name("scorer/README.md"), "scorer");
        assert_eq!(model_name("cards/scorer.md"), "scorer");
        assert_eq!(model_name("README.md"), "README");
    }

    #[test]
    fn only_front_matter_with_lineage_keys_is_a_card() {
        assert!(sniff("---\nbase_model: a/b\n---\n# x\n"));
        assert!(sniff("---\r\nlicense: mit\r\ndatasets:\r\n- x\r\n---\r\n"));
        assert!(!sniff(
            "---\nlicense: mit\n---\nbase_model: not front matter\n"
        ));
        assert!(!sniff("# base_model:\n"));
    }
}
