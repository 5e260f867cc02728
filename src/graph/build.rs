//! Builds the lineage graph from ingested facts: entities from manifests, principals mapped
//! through identities, declared and observed edges merged per (from, to).

use std::sync::Arc;

use petgraph::graph::NodeIndex;

use super::{Declaration, DeclaredAs, EdgeData, LineageGraph, NodeData, Seen};
use crate::config::{Action, Settings};
use crate::identity::{Claim, IdentityMap, IdentityTie};
use crate::ingest::{Entry, Facts, Manifest, Observation};
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

/// A hash map for the builder's lookups; its order never reaches the output.
type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// Nodes and edges numbered as they are first met, merged per (from, to); sorted by id once at
/// the end, rather than kept in ordered maps of id strings as they come.
#[derive(Default)]
struct Builder {
    ids: Vec<NodeId>,
    manifest_of: Vec<Option<usize>>,
    numbers: FastMap<NodeId, u32>,
    /// (from, to) of each edge, by edge number.
    ends: Vec<(u32, u32)>,
    edges: Vec<EdgeData>,
    edge_numbers: FastMap<(u32, u32), u32>,
}

impl Builder {
    fn node(&mut self, id: NodeId) -> u32 {
        if let Some(&number) = self.numbers.get(&id) {
            return number;
        }
        self.insert(id)
    }

    fn node_by_str(&mut self, id: &str) -> Option<u32> {
        self.numbers.get(id).copied()
    }

    fn insert(&mut self, id: NodeId) -> u32 {
        let number = self.ids.len() as u32;
        self.ids.push(id.clone());
        self.manifest_of.push(None);
        self.numbers.insert(id, number);
        number
    }

    fn edge(&mut self, from: u32, to: u32) -> &mut EdgeData {
        let next = self.edges.len() as u32;
        let number = *self.edge_numbers.entry((from, to)).or_insert(next);
        if number == next {
            self.ends.push((from, to));
            self.edges.push(EdgeData::default());
        }
        &mut self.edges[number as usize]
    }

    fn declare(&mut self, from: u32, to: u32, declaration: Declaration) {
        let edge = self.edge(from, to);
        if !edge.declared.contains(&declaration) {
            edge.declared.push(declaration);
        }
    }

    /// Merges what one log record shows; `file` is the record's log file.
    fn observe(&mut self, from: u32, to: u32, o: &Observation, file: &Arc<str>) {
        let edge = self.edge(from, to);
        match &mut edge.observed {
            None => {
                edge.observed = Some(Seen {
                    count: o.count,
                    first_seen: o.first_seen,
                    last_seen: o.last_seen,
                    file: file.clone(),
                    line: o.line,
                })
            }
            Some(existing) => {
                existing.count = existing.count.saturating_add(o.count);
                existing.last_seen = existing.last_seen.max(o.last_seen);
                if (o.first_seen, &**file, o.line)
                    < (existing.first_seen, &*existing.file, existing.line)
                {
                    existing.first_seen = o.first_seen;
                    existing.file = file.clone();
                    existing.line = o.line;
                }
            }
        }
    }

    /// Outputs of each of `models` known before `model:NAME` entries are expanded: declared
    /// datasets and observed writes, in id order.
    fn direct_outputs(&self, models: &FastMap<u32, Vec<u32>>) -> FastMap<u32, Vec<u32>> {
        let mut outputs = models.clone();
        for (edge, &(from, to)) in self.edges.iter().zip(&self.ends) {
            if let Some(list) = outputs.get_mut(&from)
                && self.ids[to as usize].kind() == NodeKind::Dataset
                && edge.is_output()
            {
                list.push(to);
            }
        }
        for list in outputs.values_mut() {
            list.sort_unstable_by(|&a, &b| self.ids[a as usize].cmp(&self.ids[b as usize]));
        }
        outputs
    }

    /// The graph: nodes in id order, edges in (from, to) id order.
    fn finish(self, manifests: Vec<Manifest>) -> LineageGraph {
        let Builder {
            ids,
            manifest_of,
            mut ends,
            edges,
            ..
        } = self;
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        let mut rank = vec![0u32; ids.len()];
        for (i, &number) in order.iter().enumerate() {
            rank[number as usize] = i as u32;
        }
        let mut lineage = LineageGraph {
            manifests,
            ..LineageGraph::default()
        };
        lineage.graph.reserve_nodes(ids.len());
        lineage.graph.reserve_edges(edges.len());
        lineage.index.reserve(ids.len());
        let mut ids: Vec<Option<NodeId>> = ids.into_iter().map(Some).collect();
        for &number in &order {
            let Some(id) = ids[number as usize].take() else {
                continue;
            };
            let index = lineage.graph.add_node(NodeData {
                id: id.clone(),
                manifest: manifest_of[number as usize],
            });
            lineage.index.insert(id, index);
        }
        for (from, to) in &mut ends {
            *from = rank[*from as usize];
            *to = rank[*to as usize];
        }
        let mut by_ends: Vec<u32> = (0..edges.len() as u32).collect();
        by_ends.sort_unstable_by_key(|&e| ends[e as usize]);
        let mut edges: Vec<Option<EdgeData>> = edges.into_iter().map(Some).collect();
        for e in by_ends {
            let Some(mut edge) = edges[e as usize].take() else {
                continue;
            };
            edge.declared.sort();
            let (from, to) = ends[e as usize];
            lineage.graph.add_edge(
                NodeIndex::new(from as usize),
                NodeIndex::new(to as usize),
                edge,
            );
        }
        lineage
    }
}

pub fn build(facts: Facts, settings: &Settings) -> Result<LineageGraph, BuildError> {
    let mut builder = Builder::default();
    let manifests = facts.manifests;
    let manifest_ids: Vec<NodeId> = manifests.iter().map(Manifest::id).collect();

    // Where each entity is declared, formatted only for the message when one is declared twice.
    let declared_at = |i: usize| format!("{}:{}", manifests[i].file, manifests[i].line);
    for (i, id) in manifest_ids.iter().enumerate() {
        let number = builder.node(id.clone());
        if let Some(first) = builder.manifest_of[number as usize] {
            let (first, second) = (declared_at(first), declared_at(i));
            let (first, second) = if first <= second {
                (first, second)
            } else {
                (second, first)
            };
            return Err(BuildError::Duplicate {
                id: id.clone(),
                first,
                second,
            });
        }
        builder.manifest_of[number as usize] = Some(i);
    }

    let mut claims: Vec<Claim> = Vec::new();
    for (m, id) in manifests.iter().zip(&manifest_ids) {
        for identity in &m.identities {
            claims.push(Claim {
                pattern: crate::glob::StarGlob::new(&identity.value),
                entity: id.clone(),
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
        let declared = builder
            .node_by_str(identity.entity.as_str())
            .is_some_and(|n| builder.manifest_of[n as usize].is_some());
        if !declared {
            let hint = closest(
                identity.entity.as_str(),
                manifest_ids.iter().map(NodeId::as_str),
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
        builder.node(entity.clone());
    }
    let identities = IdentityMap::new(
        claims,
        manifest_ids
            .iter()
            .cloned()
            .chain(facts.entities.iter().cloned()),
    );

    // Observed edges first: a model's observed writes are outputs that `model:NAME` entries
    // stand for. Names repeat across edges: each is resolved once, by its id in the logs.
    let observed = &facts.observed;
    let names: Vec<&str> = observed.names().collect();
    let (mut is_principal, mut is_resource) = (vec![false; names.len()], vec![false; names.len()]);
    for (principal, resource, ..) in observed.by_ids() {
        is_principal[principal as usize] = true;
        is_resource[resource as usize] = true;
    }
    // Node numbers by name id, for the names used as principals and as resources.
    let (mut actor_of, mut data_of) = (vec![0u32; names.len()], vec![0u32; names.len()]);
    // A principal two claims tie on is an error; when several do, the first by name is
    // reported, whatever order the edges are in.
    let mut tie: Option<(&str, Box<IdentityTie>)> = None;
    for ((name, actor), _) in names
        .iter()
        .zip(actor_of.iter_mut())
        .zip(&is_principal)
        .filter(|(_, used)| **used)
    {
        match identities.resolve(name) {
            Ok(id) => {
                let id = id.unwrap_or_else(|| NodeId::new(NodeKind::Principal, name));
                *actor = builder.node(id);
            }
            Err(error) => {
                if tie.as_ref().is_none_or(|(first, _)| name < first) {
                    tie = Some((name, error));
                }
            }
        }
    }
    if let Some((_, error)) = tie {
        return Err(error.into());
    }
    for ((name, data), _) in names
        .iter()
        .zip(data_of.iter_mut())
        .zip(&is_resource)
        .filter(|(_, used)| **used)
    {
        let name = name.strip_prefix("dataset:").unwrap_or(name);
        *data = builder.node(dataset(name, settings));
    }
    let log_files: Vec<Arc<str>> = facts
        .log_files
        .iter()
        .map(|f| Arc::from(f.as_str()))
        .collect();
    let no_file: Arc<str> = Arc::from("");
    for (principal, resource, action, o) in observed.by_ids() {
        let (actor, data) = (actor_of[principal as usize], data_of[resource as usize]);
        let file = log_files.get(o.file).unwrap_or(&no_file);
        match action {
            Action::Read => builder.observe(data, actor, o, file),
            Action::Write => builder.observe(actor, data, o, file),
        }
    }

    // Declared edges that name datasets directly.
    let mut deferred: Vec<(u32, u32, DeclaredAs, &Entry, &str)> = Vec::new();
    let mut entry_datasets: FastMap<&str, u32> = FastMap::default();
    for (m, id) in manifests.iter().zip(&manifest_ids) {
        let me = builder.node(id.clone());
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
                let data = match entry_datasets.get(entry.value.as_str()) {
                    Some(&data) => data,
                    None => match target(&entry.value, settings) {
                        Target::Dataset(data) => {
                            let data = builder.node(data);
                            entry_datasets.insert(&entry.value, data);
                            data
                        }
                        Target::OutputsOf(model) => {
                            let model = builder.node(model);
                            deferred.push((me, model, key, entry, m.file.as_str()));
                            continue;
                        }
                    },
                };
                if reads {
                    builder.declare(data, me, declaration);
                } else {
                    builder.declare(me, data, declaration);
                }
            }
        }
        for entry in &m.base_models {
            let base = builder.node(base_model_id(&entry.value));
            let declaration = Declaration {
                key: DeclaredAs::BaseModel,
                file: m.file.clone(),
                line: entry.line,
                via: None,
            };
            builder.declare(base, me, declaration);
        }
    }

    // `model:NAME` entries stand for every output of that model.
    let models: FastMap<u32, Vec<u32>> = deferred
        .iter()
        .map(|&(_, model, ..)| (model, Vec::new()))
        .collect();
    let outputs = builder.direct_outputs(&models);
    for (me, model, key, entry, file) in deferred {
        for &data in outputs.get(&model).into_iter().flatten() {
            let declaration = Declaration {
                key,
                file: file.to_string(),
                line: entry.line,
                via: Some(builder.ids[model as usize].clone()),
            };
            if matches!(key, DeclaredAs::Inputs | DeclaredAs::Training) {
                builder.declare(data, me, declaration);
            } else {
                builder.declare(me, data, declaration);
            }
        }
    }

    drop(entry_datasets);
    Ok(builder.finish(manifests))
}

/// The candidate most like `name`, when one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|&(distance, c)| distance <= (c.len().max(name.len()) / 4).max(2))
        .min()
        .map(|(_, c)| c)
}
