//! The lineage graph: one node per `KIND:NAME`, one edge per (from, to) pair, each edge
//! keeping where it was declared and how it was observed.

mod adjacency;
mod build;
mod components;

use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

pub use adjacency::Adjacency;
pub use build::{BuildError, build};
pub use components::{Components, strongly_connected};

use crate::ingest::Manifest;
use crate::node::{NodeId, NodeKind};
use crate::time::Timestamp;

#[derive(Debug, Clone)]
pub struct NodeData {
    pub id: NodeId,
    /// Index into `LineageGraph::manifests` for declared entities.
    pub manifest: Option<usize>,
}

/// The manifest key an edge is declared by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclaredAs {
    Inputs,
    Training,
    Outputs,
    Influences,
    BaseModel,
}

impl DeclaredAs {
    pub fn key(self) -> &'static str {
        match self {
            DeclaredAs::Inputs => "inputs",
            DeclaredAs::Training => "training",
            DeclaredAs::Outputs => "outputs",
            DeclaredAs::Influences => "influences",
            DeclaredAs::BaseModel => "base_model",
        }
    }
}

/// A manifest line that states an edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Declaration {
    pub key: DeclaredAs,
    pub file: String,
    pub line: usize,
    /// The `model:NAME` entry this edge was expanded from, if any.
    pub via: Option<NodeId>,
}

/// What the logs show for an edge: how often, when, and the earliest record's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The log file, shared by every edge and evidence item it is the evidence of.
    pub file: Arc<str>,
    pub line: u64,
}

#[derive(Debug, Clone, Default)]
pub struct EdgeData {
    /// Sorted, without duplicates.
    pub declared: Vec<Declaration>,
    pub observed: Option<Seen>,
}

impl EdgeData {
    pub fn is_declared(&self) -> bool {
        !self.declared.is_empty()
    }

    pub fn is_observed(&self) -> bool {
        self.observed.is_some()
    }

    pub fn declared_as(&self, key: DeclaredAs) -> bool {
        self.declared.iter().any(|d| d.key == key)
    }

    /// Declared (directly, not through a `model:NAME` entry) as any of `keys`.
    pub fn declared_directly_as(&self, keys: &[DeclaredAs]) -> bool {
        self.declared
            .iter()
            .any(|d| d.via.is_none() && keys.contains(&d.key))
    }

    /// An entity-to-dataset edge that makes the dataset an output: declared in `outputs`, or
    /// observed as a write. `influences` never does.
    pub fn is_output(&self) -> bool {
        self.declared_as(DeclaredAs::Outputs) || self.is_observed()
    }

    /// A dataset-to-entity edge declared in `inputs` or `training` (directly or through a
    /// `model:NAME` entry).
    pub fn is_declared_read(&self) -> bool {
        self.declared
            .iter()
            .any(|d| matches!(d.key, DeclaredAs::Inputs | DeclaredAs::Training))
    }
}

#[derive(Debug, Default)]
pub struct LineageGraph {
    pub graph: DiGraph<NodeData, EdgeData>,
    index: hashbrown::HashMap<NodeId, NodeIndex, foldhash::fast::FixedState>,
    pub manifests: Vec<Manifest>,
}

impl LineageGraph {
    pub fn node(&self, id: &NodeId) -> Option<NodeIndex> {
        self.index.get(id).copied()
    }

    pub fn node_by_str(&self, id: &str) -> Option<NodeIndex> {
        NodeId::parse(id).and_then(|id| self.node(&id))
    }

    pub fn id(&self, node: NodeIndex) -> &NodeId {
        &self.graph[node].id
    }

    pub fn kind(&self, node: NodeIndex) -> NodeKind {
        self.graph[node].id.kind()
    }

    pub fn manifest(&self, node: NodeIndex) -> Option<&Manifest> {
        self.graph[node].manifest.map(|i| &self.manifests[i])
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Nodes in id order (they are inserted sorted).
    pub fn nodes(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.node_indices()
    }

    pub fn nodes_of_kind(&self, kind: NodeKind) -> impl Iterator<Item = NodeIndex> + '_ {
        self.nodes().filter(move |&n| self.kind(n) == kind)
    }

    pub fn edge(&self, from: NodeIndex, to: NodeIndex) -> Option<&EdgeData> {
        self.graph.find_edge(from, to).map(|e| &self.graph[e])
    }

    /// Outgoing (or incoming) edges as (edge, other end), sorted by the other end's id.
    pub fn neighbours(&self, node: NodeIndex, direction: Direction) -> Vec<(EdgeIndex, NodeIndex)> {
        let mut list: Vec<(EdgeIndex, NodeIndex)> = self
            .graph
            .edges_directed(node, direction)
            .map(|e| {
                let other = if direction == Direction::Outgoing {
                    e.target()
                } else {
                    e.source()
                };
                (e.id(), other)
            })
            .collect();
        list.sort_by_key(|&(_, other)| other);
        list
    }

    /// The outputs of an entity: datasets it declares in `outputs` or was observed writing.
    pub fn outputs(&self, entity: NodeIndex) -> Vec<NodeIndex> {
        self.neighbours(entity, Direction::Outgoing)
            .into_iter()
            .filter(|&(e, to)| self.kind(to) == NodeKind::Dataset && self.graph[e].is_output())
            .map(|(_, to)| to)
            .collect()
    }

    /// Whether the logs show the node doing anything at all.
    pub fn has_activity(&self, node: NodeIndex) -> bool {
        self.graph
            .edges_directed(node, Direction::Outgoing)
            .chain(self.graph.edges_directed(node, Direction::Incoming))
            .any(|e| e.weight().is_observed())
    }
}
