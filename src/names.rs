//! What users type for a node on the command line: a node id, or a bare name that names one
//! node; and, when it names none, the closest names to suggest.

use crate::node::NodeId;

/// Why a name does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// No node has this id or name; the closest ids, best first.
    Unknown { suggestions: Vec<String> },
    /// Several nodes have this name; their ids, sorted.
    Ambiguous { candidates: Vec<String> },
}

/// Resolves `text` among `ids`: an exact id wins; otherwise the one node whose name (the part
/// after `KIND:`) is `text`.
pub fn resolve<'a>(
    text: &str,
    ids: impl Iterator<Item = &'a str> + Clone,
) -> Result<String, NameError> {
    let text = text.trim();
    if ids.clone().any(|id| id == text) {
        return Ok(text.to_string());
    }
    let mut candidates: Vec<String> = ids
        .clone()
        .filter(|id| NodeId::parse(id).is_some_and(|n| n.name() == text))
        .map(str::to_string)
        .collect();
    candidates.sort();
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => Err(NameError::Unknown {
            suggestions: closest(text, ids),
        }),
        _ => Err(NameError::Ambiguous { candidates }),
    }
}

/// Up to three ids like `text`: those whose name contains it, then those a few edits away;
/// entities before datasets.
pub fn closest<'a>(text: &str, ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let parsed = NodeId::parse(text);
    let typed_name = parsed.as_ref().map_or(text, |id| id.name());
    let mut scored: Vec<(usize, bool, &str)> = ids
        .filter_map(|id| {
            let node = NodeId::parse(id)?;
            let name = node.name();
            let is_dataset = id.starts_with("dataset:");
            let typed = typed_name.to_lowercase();
            let same_kind = parsed.as_ref().is_none_or(|p| p.kind() == node.kind());
            if !typed.is_empty() && same_kind && name.to_lowercase().contains(&typed) {
                return Some((0, is_dataset, id));
            }
            let distance = strsim::levenshtein(text, id).min(strsim::levenshtein(typed_name, name));
            let allowed = (name.chars().count().min(typed_name.chars().count()) / 3).max(2);
            (distance <= allowed).then_some((distance, is_dataset, id))
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(3)
        .map(|(_, _, id)| id.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 4] = [
        "dataset:scorer",
        "job:scorer",
        "model:fraud-scorer",
        "service:checkout",
    ];

    #[test]
    fn ids_names_ambiguity_and_suggestions() {
        assert_eq!(
            resolve("service:checkout", IDS.into_iter()),
            Ok("service:checkout".into())
        );
        assert_eq!(
            resolve("checkout", IDS.into_iter()),
            Ok("service:checkout".into())
        );
        assert_eq!(
            resolve("scorer", IDS.into_iter()),
            Err(NameError::Ambiguous {
                candidates: vec!["dataset:scorer".into(), "job:scorer".into()]
            })
        );
        let Err(NameError::Unknown { suggestions }) = resolve("chekout", IDS.into_iter()) else {
            panic!("chekout resolved");
        };
        assert_eq!(suggestions, vec!["service:checkout".to_string()]);
        let Err(NameError::Unknown { suggestions }) = resolve("fraud", IDS.into_iter()) else {
            panic!("fraud resolved");
        };
        assert_eq!(suggestions, vec!["model:fraud-scorer".to_string()]);
    }
}
