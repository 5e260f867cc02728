//! Maps log principals to the entities that own them, by the `identities` of manifests and of
//! lintage.toml. SPEC.md's precedence: an exact identity wins over a glob, a longer glob over
//! a shorter one, and a tie that remains is an error naming both declarations.

use std::collections::HashMap;

use crate::glob::{StarGlob, literal_prefix};
use crate::node::NodeId;

/// One entity's claim on principals, and where it is declared.
#[derive(Debug, Clone)]
pub struct Claim {
    pub pattern: StarGlob,
    pub entity: NodeId,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "principal `{principal}` matches identities of two entities equally well: `{first_pattern}` of {first_entity} ({first_at}) and `{second_pattern}` of {second_entity} ({second_at}); make one of them more specific"
)]
pub struct IdentityTie {
    pub principal: String,
    pub first_pattern: String,
    pub first_entity: NodeId,
    pub first_at: String,
    pub second_pattern: String,
    pub second_entity: NodeId,
    pub second_at: String,
}

#[derive(Debug, Default)]
pub struct IdentityMap {
    exact: HashMap<String, Vec<Claim>>,
    /// Globs, longest pattern first.
    globs: Vec<Claim>,
    /// Positions in `globs` by the glob's literal prefix (the text before its first `*`), in
    /// `globs` order: only globs whose prefix starts a principal can match it.
    by_prefix: HashMap<String, Vec<usize>>,
    /// The distinct lengths of those prefixes, ascending.
    prefix_lengths: Vec<usize>,
    /// Entity node ids: a principal spelled as an entity's id (`job:label-builder`) is that
    /// entity unless an explicit identity says otherwise.
    entity_ids: HashMap<String, NodeId>,
}

impl IdentityMap {
    pub fn new(claims: Vec<Claim>, entities: impl IntoIterator<Item = NodeId>) -> IdentityMap {
        let mut map = IdentityMap::default();
        for claim in claims {
            if claim.pattern.is_exact() {
                map.exact
                    .entry(claim.pattern.as_str().to_string())
                    .or_default()
                    .push(claim);
            } else {
                map.globs.push(claim);
            }
        }
        map.globs.sort_by(|a, b| {
            b.pattern
                .as_str()
                .len()
                .cmp(&a.pattern.as_str().len())
                .then_with(|| a.pattern.cmp(&b.pattern))
                .then_with(|| a.entity.cmp(&b.entity))
        });
        for (i, claim) in map.globs.iter().enumerate() {
            let prefix = literal_prefix(claim.pattern.as_str());
            map.by_prefix.entry(prefix.to_string()).or_default().push(i);
        }
        map.prefix_lengths = map.by_prefix.keys().map(String::len).collect();
        map.prefix_lengths.sort_unstable();
        map.prefix_lengths.dedup();
        map.entity_ids = entities
            .into_iter()
            .map(|id| (id.as_str().to_string(), id))
            .collect();
        map
    }

    /// The entity a principal belongs to, `None` when no identity matches it.
    pub fn resolve(&self, principal: &str) -> Result<Option<NodeId>, Box<IdentityTie>> {
        if let Some(claims) = self.exact.get(principal) {
            return single(principal, claims.iter());
        }
        if let Some(entity) = self.entity_ids.get(principal) {
            return Ok(Some(entity.clone()));
        }
        // The globs that can match, in `globs` order, so precedence stays as if all were tried.
        let mut candidates: Vec<usize> = Vec::new();
        for &length in &self.prefix_lengths {
            let Some(prefix) = principal.get(..length) else {
                if length > principal.len() {
                    break;
                }
                continue; // not a character boundary
            };
            if let Some(globs) = self.by_prefix.get(prefix) {
                candidates.extend_from_slice(globs);
            }
        }
        candidates.sort_unstable();
        let mut matching = candidates
            .into_iter()
            .map(|i| &self.globs[i])
            .filter(|c| c.pattern.matches(principal));
        let Some(best) = matching.next() else {
            return Ok(None);
        };
        let best_len = best.pattern.as_str().len();
        let equally_long = matching.take_while(|c| c.pattern.as_str().len() == best_len);
        single(principal, std::iter::once(best).chain(equally_long))
    }
}

fn single<'a>(
    principal: &str,
    mut claims: impl Iterator<Item = &'a Claim>,
) -> Result<Option<NodeId>, Box<IdentityTie>> {
    let Some(first) = claims.next() else {
        return Ok(None);
    };
    match claims.find(|c| c.entity != first.entity) {
        None => Ok(Some(first.entity.clone())),
        Some(second) => {
            let (a, b) = if (&first.file, first.line) <= (&second.file, second.line) {
                (first, second)
            } else {
                (second, first)
            };
            Err(Box::new(IdentityTie {
                principal: principal.to_string(),
                first_pattern: a.pattern.as_str().to_string(),
                first_entity: a.entity.clone(),
                first_at: format!("{}:{}", a.file, a.line),
                second_pattern: b.pattern.as_str().to_string(),
                second_entity: b.entity.clone(),
                second_at: format!("{}:{}", b.file, b.line),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::NodeKind;

    fn claim(pattern: &str, entity: &str, file: &str) -> Claim {
        Claim {
            pattern: StarGlob::new(pattern),
            entity: NodeId::new(NodeKind::Model, entity),
            file: file.into(),
            line: 3,
        }
    }

    #[test]
    fn exact_beats_glob_and_longer_glob_beats_shorter() {
        let map = IdentityMap::new(
            vec![
                claim("svc:*", "any", "a.yaml"),
                claim("svc:fraud-*", "fraud", "b.yaml"),
                claim("svc:fraud-special", "special", "c.yaml"),
            ],
            [],
        );
        let resolve = |p: &str| map.resolve(p).ok().flatten().map(|id| id.to_string());
        assert_eq!(
            resolve("svc:fraud-special").as_deref(),
            Some("model:special")
        );
        assert_eq!(resolve("svc:fraud-7").as_deref(), Some("model:fraud"));
        assert_eq!(resolve("svc:other").as_deref(), Some("model:any"));
        assert_eq!(resolve("alice@corp"), None);
    }

    #[test]
    fn ties_are_errors_naming_both_manifests() {
        let map = IdentityMap::new(
            vec![
                claim("svc:a*", "one", "one.yaml"),
                claim("svc:*b", "two", "two.yaml"),
            ],
            [],
        );
        let err = map
            .resolve("svc:ab")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("one.yaml:3") && err.contains("two.yaml:3"),
            "{err}"
        );
        // The same entity twice is no tie.
        let map = IdentityMap::new(
            vec![claim("svc:a*", "one", "x"), claim("svc:*b", "one", "y")],
            [],
        );
        assert!(map.resolve("svc:ab").is_ok());
        let map = IdentityMap::new(
            vec![claim("svc:x", "one", "x"), claim("svc:x", "two", "y")],
            [],
        );
        assert!(map.resolve("svc:x").is_err());
    }

    /// Every glob tried in precedence order, as before the prefix index.
    fn resolve_by_trying_all(map: &IdentityMap, principal: &str) -> Option<String> {
        if let Some(claims) = map.exact.get(principal) {
            return single(principal, claims.iter())
                .map(|e| e.map(|id| id.to_string()))
                .unwrap_or_else(|tie| Some(tie.to_string()));
        }
        let mut matching = map.globs.iter().filter(|c| c.pattern.matches(principal));
        let best = matching.next()?;
        let best_len = best.pattern.as_str().len();
        let equally_long = matching.take_while(|c| c.pattern.as_str().len() == best_len);
        single(principal, std::iter::once(best).chain(equally_long))
            .map(|e| e.map(|id| id.to_string()))
            .unwrap_or_else(|tie| Some(tie.to_string()))
    }

    #[test]
    fn the_prefix_index_resolves_as_trying_every_glob() {
        let patterns = [
            "*", "s*", "svc:*", "svc:a*", "svc:*b", "svc:ab*", "svc:a*b", "*b", "*ab", "é*", "éa*",
            "svc:é*", "svc:ab", "a*b*c", "svc:a**", "x", "*:*",
        ];
        let mut claims = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            for entity in ["one", "two"].iter().take(1 + i % 2) {
                claims.push(claim(pattern, entity, &format!("f{i}.yaml")));
            }
        }
        // Drop some claims so that not every tie is a tie of the same two entities.
        let claims: Vec<Claim> = claims
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 1)
            .map(|(_, c)| c)
            .collect();
        let map = IdentityMap::new(claims, []);
        let principals = [
            "", "s", "svc:", "svc:a", "svc:ab", "svc:abb", "svc:b", "é", "éa", "éab", "svc:é",
            "svc:éb", "abc", "a-b-c", "x", "y", ":", "svc:axb", "ab",
        ];
        for principal in principals {
            let indexed = map
                .resolve(principal)
                .map(|e| e.map(|id| id.to_string()))
                .unwrap_or_else(|tie| Some(tie.to_string()));
            assert_eq!(
                indexed,
                resolve_by_trying_all(&map, principal),
                "{principal:?}"
            );
        }
    }

    #[test]
    fn a_principal_spelled_as_an_entity_id_is_that_entity() {
        let id = NodeId::new(NodeKind::Job, "label-builder");
        let map = IdentityMap::new(vec![claim("job:*", "glob", "a")], [id.clone()]);
        assert_eq!(map.resolve("job:label-builder").ok().flatten(), Some(id));
    }
}
