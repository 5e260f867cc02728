//! Builds the lineage graph from ingested facts: entities from manifests, principals mapped
//! through identities, declared and observed edges merged per (from, to).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Declaration, DeclaredAs, EdgeData, LineageGraph, NodeData, Seen};
use crate::config::{Action, Settings};
use crate::identity::{Claim, IdentityMap, IdentityTie};
use crate::ingest::{Entry, Facts};
use crate::node::{NodeId, NodeKind};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{id} is declared twice: {first} and {second}")]
    Duplicate {
        id: NodeId,
        first: String,
        second: String,
    },
    #[error("{0}")]
    IdentityTie(#[from] Box<IdentityTie>),
    #[error("{at}: identities: {entity} is not declared by any manifest{hint}")]
    UnknownEntity {
        at: String,
        entity: NodeId,
        hint: String,
    },
}

/// What a manifest entry names where a dataset is expected.
enum Target {
    Dataset(NodeId),
    /// `model:NAME`: every output of that model.
    OutputsOf(NodeId),
}

fn target(entry: &str, settings: &Settings) -> Target {
    if let Some(name) = entry.strip_prefix("model:").filter(|n| !n.is_empty()) {
        return Target::OutputsOf(NodeId::new(NodeKind::Model, name));
    }
    let name = entry.strip_prefix("dataset:").unwrap_or(entry);
    Target::Dataset(dataset(name, settings))
}

fn dataset(name: &str, settings: &Settings) -> NodeId {
    NodeId::new(NodeKind::Dataset, &settings.normalize_resource(name))
}

/// The model a `base_model` entry names; the `model:` prefix is optional.
fn base_model_id(entry: &str) -> NodeId {
    NodeId::new(
        NodeKind::Model,
        entry.strip_prefix("model:").unwrap_or(entry),
    )
}

#[derive(Default)]
struct Builder {
    nodes: BTreeMap<NodeId, Option<usize>>,
    edges: BTreeMap<(NodeId, NodeId), EdgeData>,
}

impl Builder {
    fn declare(&mut self, from: NodeId, to: NodeId, declaration: Declaration) {
        self.nodes.entry(from.clone()).or_default();
        self.nodes.entry(to.clone()).or_default();
        let edge = self.edges.entry((from, to)).or_default();
        if !edge.declared.contains(&declaration) {
            edge.declared.push(declaration);
        }
    }

    fn observe(&mut self, from: NodeId, to: NodeId, seen: Seen) {
        self.nodes.entry(from.clone()).or_default();
        self.nodes.entry(to.clone()).or_default();
        let edge = self.edges.entry((from, to)).or_default();
        match &mut edge.observed {
            None => edge.observed = Some(seen),
            Some(existing) => {
                existing.count = existing.count.saturating_add(seen.count);
                existing.last_seen = existing.last_seen.max(seen.last_seen);
                if (seen.first_seen, &seen.file, seen.line)
                    < (existing.first_seen, &existing.file, existing.line)
                {
                    existing.first_seen = seen.first_seen;
                    existing.file = seen.file;
                    existing.line = seen.line;
                }
            }
        }
    }

    /// Outputs of a model known before `model:NAME` entries are expanded: declared datasets and
    /// observed writes.
    fn direct_outputs(&self, model: &NodeId) -> Vec<NodeId> {
        self.edges
            .range((model.clone(), NodeId::new(NodeKind::Dataset, ""))..)
            .take_while(|((from, _), _)| from == model)
            .filter(|((_, to), edge)| to.kind() == NodeKind::Dataset && edge.is_output())
            .map(|((_, to), _)| to.clone())
            .collect()
    }
}

pub fn build(facts: Facts, settings: &Settings) -> Result<LineageGraph, BuildError> {
    let mut builder = Builder::default();
    let manifests = facts.manifests;

    let mut declared_at: HashMap<NodeId, String> = HashMap::new();
    for (i, m) in manifests.iter().enumerate() {
        let here = format!("{}:{}", m.file, m.line);
        if let Some(first) = declared_at.insert(m.id(), here.clone()) {
            let (first, second) = if first <= here {
                (first, here)
            } else {
                (here, first)
            };
            return Err(BuildError::Duplicate {
                id: m.id(),
                first,
                second,
            });
        }
        builder.nodes.insert(m.id(), Some(i));
    }

    let mut claims: Vec<Claim> = Vec::new();
    for m in &manifests {
        for identity in &m.identities {
            claims.push(Claim {
                pattern: crate::glob::StarGlob::new(&identity.value),
                entity: m.id(),
                file: m.file.clone(),
                line: identity.line,
            });
        }
    }
    let config_file = settings
        .config_file
        .clone()
        .unwrap_or_else(|| crate::config::CONFIG_FILE.into());
    for identity in &settings.identities {
        if !declared_at.contains_key(&identity.entity) {
            let hint = closest(
                identity.entity.as_str(),
                declared_at.keys().map(NodeId::as_str),
            )
            .map(|name| format!("; did you mean {name}?"))
            .unwrap_or_default();
            return Err(BuildError::UnknownEntity {
                at: format!("{config_file}:{}", identity.line),
                entity: identity.entity.clone(),
                hint,
            });
        }
        claims.push(Claim {
            pattern: identity.principal.clone(),
            entity: identity.entity.clone(),
            file: config_file.clone(),
            line: identity.line,
        });
    }
    // Entities known from the files themselves (OpenLineage jobs) are nodes that principals
    // spelled as their id map to, though no manifest declares them.
    for entity in &facts.entities {
        builder.nodes.entry(entity.clone()).or_default();
    }
    let identities = IdentityMap::new(
        claims,
        declared_at
            .keys()
            .cloned()
            .chain(facts.entities.iter().cloned()),
    );

    // Observed edges first: a model's observed writes are outputs that `model:NAME` entries
    // stand for.
    let mut who: HashMap<String, NodeId> = HashMap::new();
    for record in &facts.observed {
        let actor = match who.get(&record.principal) {
            Some(actor) => actor.clone(),
            None => {
                let actor = identities
                    .resolve(&record.principal)?
                    .unwrap_or_else(|| NodeId::new(NodeKind::Principal, &record.principal));
                who.insert(record.principal.clone(), actor.clone());
                actor
            }
        };
        let data = dataset(
            record
                .resource
                .strip_prefix("dataset:")
                .unwrap_or(&record.resource),
            settings,
        );
        let o = &record.observation;
        let seen = Seen {
            count: o.count,
            first_seen: o.first_seen,
            last_seen: o.last_seen,
            file: facts.log_files.get(o.file).cloned().unwrap_or_default(),
            line: o.line,
        };
        match record.action {
            Action::Read => builder.observe(data, actor, seen),
            Action::Write => builder.observe(actor, data, seen),
        }
    }

    // Declared edges that name datasets directly.
    let mut deferred: Vec<(NodeId, NodeId, DeclaredAs, &Entry, &str)> = Vec::new();
    for m in &manifests {
        let me = m.id();
        let keyed: [(&[Entry], DeclaredAs); 4] = [
            (&m.inputs, DeclaredAs::Inputs),
            (&m.training, DeclaredAs::Training),
            (&m.outputs, DeclaredAs::Outputs),
            (&m.influences, DeclaredAs::Influences),
        ];
        for (entries, key) in keyed {
            for entry in entries {
                let reads = matches!(key, DeclaredAs::Inputs | DeclaredAs::Training);
                let declaration = Declaration {
                    key,
                    file: m.file.clone(),
                    line: entry.line,
                    via: None,
                };
                match target(&entry.value, settings) {
                    Target::Dataset(data) if reads => {
                        builder.declare(data, me.clone(), declaration)
                    }
                    Target::Dataset(data) => builder.declare(me.clone(), data, declaration),
                    Target::OutputsOf(model) => {
                        builder.nodes.entry(model.clone()).or_default();
                        deferred.push((me.clone(), model, key, entry, m.file.as_str()));
                    }
                }
            }
        }
        for entry in &m.base_models {
            let base = base_model_id(&entry.value);
            let declaration = Declaration {
                key: DeclaredAs::BaseModel,
                file: m.file.clone(),
                line: entry.line,
                via: None,
            };
            builder.declare(base, me.clone(), declaration);
        }
    }

    // `model:NAME` entries stand for every output of that model.
    let outputs: HashMap<NodeId, Vec<NodeId>> = deferred
        .iter()
        .map(|(_, model, ..)| model.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|model| {
            let outputs = builder.direct_outputs(&model);
            (model, outputs)
        })
        .collect();
    for (me, model, key, entry, file) in deferred {
        for data in outputs.get(&model).into_iter().flatten() {
            let declaration = Declaration {
                key,
                file: file.to_string(),
                line: entry.line,
                via: Some(model.clone()),
            };
            if matches!(key, DeclaredAs::Inputs | DeclaredAs::Training) {
                builder.declare(data.clone(), me.clone(), declaration);
            } else {
                builder.declare(me.clone(), data.clone(), declaration);
            }
        }
    }

    let mut lineage = LineageGraph {
        manifests,
        ..LineageGraph::default()
    };
    for (id, manifest) in builder.nodes {
        let index = lineage.graph.add_node(NodeData {
            id: id.clone(),
            manifest,
        });
        lineage.index.insert(id, index);
    }
    for ((from, to), mut edge) in builder.edges {
        edge.declared.sort();
        if let (Some(a), Some(b)) = (lineage.node(&from), lineage.node(&to)) {
            lineage.graph.add_edge(a, b, edge);
        }
    }
    Ok(lineage)
}

/// The candidate most like `name`, when one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|&(distance, c)| distance <= (c.len().max(name.len()) / 4).max(2))
        .min()
        .map(|(_, c)| c)
}
