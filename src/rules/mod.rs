//! The rule registry: every rule's code, name, default severity, documentation and checker,
//! and the analyses several rules share (strongly connected components).

mod lt001_undeclared_consumer;
mod lt002_feedback_loop;
mod lt003_model_chain;
mod lt004_undeclared_dependency;
mod lt005_unused_dependency;
mod lt006_stale_consumer;
mod lt007_unknown_principal;
mod lt008_undeclared_output;
mod lt009_multiple_writers;

use petgraph::graph::NodeIndex;

use crate::finding::{self, Evidence, Finding, Severity};
use crate::glob::StarGlob;
use crate::graph::{DeclaredAs, LineageGraph};
use crate::node::{NodeId, NodeKind};

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line for `lintage rules`.
    pub summary: &'static str,
    /// The Markdown page `lintage explain CODE` prints (docs/rules/CODE.md).
    pub docs: &'static str,
    pub check: fn(&Context<'_>) -> Vec<Finding>,
}

/// The catalogue, in code order.
pub static RULES: [&Rule; 9] = [
    &lt001_undeclared_consumer::RULE,
    &lt002_feedback_loop::RULE,
    &lt003_model_chain::RULE,
    &lt004_undeclared_dependency::RULE,
    &lt005_unused_dependency::RULE,
    &lt006_stale_consumer::RULE,
    &lt007_unknown_principal::RULE,
    &lt008_undeclared_output::RULE,
    &lt009_multiple_writers::RULE,
];

/// Finds a rule by code (`LT001`, case-insensitive) or name (`undeclared-consumer`).
pub fn lookup(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// What the rules look at: the graph and its strongly connected components.
pub struct Context<'g> {
    pub graph: &'g LineageGraph,
    /// The component of each node, by node index.
    pub component_of: Vec<usize>,
    /// Components, each sorted by node index (so by id).
    pub components: Vec<Vec<NodeIndex>>,
}

impl<'g> Context<'g> {
    pub fn new(graph: &'g LineageGraph) -> Context<'g> {
        // Kosaraju's algorithm in petgraph is iterative: no stack overflow on long chains.
        let mut components = petgraph::algo::kosaraju_scc(&graph.graph);
        for component in &mut components {
            component.sort();
        }
        components.sort();
        let mut component_of = vec![0; graph.node_count()];
        for (i, component) in components.iter().enumerate() {
            for node in component {
                component_of[node.index()] = i;
            }
        }
        Context {
            graph,
            component_of,
            components,
        }
    }

    pub fn same_component(&self, a: NodeIndex, b: NodeIndex) -> bool {
        self.component_of[a.index()] == self.component_of[b.index()]
    }

    pub fn id(&self, node: NodeIndex) -> &NodeId {
        self.graph.id(node)
    }

    /// The evidence for one edge: the manifest lines that declare it and what the logs saw.
    pub fn edge_evidence(&self, from: NodeIndex, to: NodeIndex) -> Vec<Evidence> {
        let Some(edge) = self.graph.edge(from, to) else {
            return Vec::new();
        };
        let (from_id, to_id) = (self.id(from), self.id(to));
        let mut evidence: Vec<Evidence> = edge
            .declared
            .iter()
            .map(|d| {
                // The manifest that declares an edge belongs to its reader (inputs, training,
                // base_model) or its writer (outputs, influences); the value is the other end.
                let value = match (&d.via, d.key) {
                    (Some(model), _) => model.to_string(),
                    (None, DeclaredAs::Inputs | DeclaredAs::Training | DeclaredAs::BaseModel) => {
                        from_id.to_string()
                    }
                    (None, _) => to_id.to_string(),
                };
                Evidence::declared(d, &value)
            })
            .collect();
        if let Some(seen) = &edge.observed {
            evidence.push(Evidence::observed(from_id, to_id, seen));
        }
        evidence
    }
}

/// Runs every rule; findings come back sorted.
pub fn run_all(graph: &LineageGraph) -> Vec<Finding> {
    let context = Context::new(graph);
    let mut findings: Vec<Finding> = RULES
        .iter()
        .flat_map(|rule| (rule.check)(&context))
        .collect();
    finding::sort(&mut findings);
    findings
}

/// Whether a `consumers` entry admits a node: a node id or a glob over node ids; an entry
/// without a kind prefix matches node names of any kind.
pub fn consumer_matches(entry: &str, node: &NodeId) -> bool {
    let glob = StarGlob::new(entry);
    glob.matches(node.as_str()) || (!has_kind_prefix(entry) && glob.matches(node.name()))
}

fn has_kind_prefix(entry: &str) -> bool {
    entry
        .split_once(':')
        .is_some_and(|(kind, _)| NodeKind::parse(kind).is_some())
}

/// "a", "a and b", "a, b and c".
pub fn join_names<T: AsRef<str>>(names: &[T]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_docs_complete() {
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        codes.dedup();
        names.sort();
        names.dedup();
        assert_eq!(codes.len(), RULES.len());
        assert_eq!(names.len(), RULES.len());
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.code, format!("LT{:03}", i + 1));
            let title = format!("# {} {}\n", rule.code, rule.name);
            assert!(
                rule.docs.starts_with(&title),
                "{} docs must start with {title:?}",
                rule.code
            );
            for section in [
                "## What it finds",
                "## Why it matters",
                "## Example",
                "## How to fix",
                "## Configuration",
            ] {
                assert!(
                    rule.docs.contains(section),
                    "{} docs lack {section}",
                    rule.code
                );
            }
            let severity = format!("Default severity: {}", rule.default_severity);
            assert!(
                rule.docs.contains(&severity),
                "{} docs must state {severity}",
                rule.code
            );
        }
    }

    #[test]
    fn consumers_match_ids_globs_and_bare_names() {
        let checkout = NodeId::new(NodeKind::Service, "checkout");
        assert!(consumer_matches("service:checkout", &checkout));
        assert!(consumer_matches("service:*", &checkout));
        assert!(consumer_matches("checkout", &checkout));
        assert!(!consumer_matches("model:checkout", &checkout));
        assert!(!consumer_matches("service:check", &checkout));
        let principal = NodeId::new(NodeKind::Principal, "svc:legacy");
        assert!(consumer_matches("principal:svc:*", &principal));
        assert!(consumer_matches("svc:legacy", &principal));
    }
}
