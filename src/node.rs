//! Node identity: every node of the lineage graph is named `KIND:NAME`.

use std::fmt;
use std::sync::Arc;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Model,
    Job,
    Service,
    Dataset,
    Principal,
}

impl NodeKind {
    pub const ALL: [NodeKind; 5] = [
        NodeKind::Model,
        NodeKind::Job,
        NodeKind::Service,
        NodeKind::Dataset,
        NodeKind::Principal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Job => "job",
            NodeKind::Service => "service",
            NodeKind::Dataset => "dataset",
            NodeKind::Principal => "principal",
        }
    }

    pub fn parse(text: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Models, jobs and services are declared by manifests.
    pub fn is_entity(self) -> bool {
        matches!(self, NodeKind::Model | NodeKind::Job | NodeKind::Service)
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node id such as `model:fraud-scorer` or `principal:svc:legacy-batch`.
///
/// Shared, not copied: the graph, its index and every finding's evidence hold the same ids
/// many times over (a million evidence items on a large graph), so a clone only counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(Arc<str>);

impl NodeId {
    pub fn new(kind: NodeKind, name: &str) -> NodeId {
        NodeId(Arc::from(format!("{}:{name}", kind.as_str())))
    }

    /// Splits a `KIND:NAME` string; `None` when it does not start with a known kind.
    pub fn parse(text: &str) -> Option<NodeId> {
        let (kind, name) = text.split_once(':')?;
        NodeKind::parse(kind)?;
        (!name.is_empty()).then(|| NodeId(Arc::from(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> NodeKind {
        let kind = self.0.split_once(':').map(|(k, _)| k).unwrap_or_default();
        NodeKind::parse(kind).unwrap_or(NodeKind::Dataset)
    }

    pub fn name(&self) -> &str {
        self.0.split_once(':').map(|(_, n)| n).unwrap_or(&self.0)
    }
}

// Hash, Eq and Ord all come from the one string, so maps keyed by ids can be searched by `&str`.
impl std::borrow::Borrow<str> for NodeId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_kind_and_name() {
        let id = NodeId::new(NodeKind::Principal, "svc:legacy-batch");
        assert_eq!(id.as_str(), "principal:svc:legacy-batch");
        assert_eq!(id.kind(), NodeKind::Principal);
        assert_eq!(id.name(), "svc:legacy-batch");
        assert_eq!(
            NodeId::parse("dataset:s3://b/p"),
            Some(NodeId::new(NodeKind::Dataset, "s3://b/p"))
        );
        assert_eq!(NodeId::parse("endpoint:fraud"), None);
        assert_eq!(NodeId::parse("model:"), None);
    }
}
