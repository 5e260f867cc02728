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

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};

use crate::finding::{self, Evidence, Finding, Severity};
use crate::glob::star_match;
use crate::graph::{Adjacency, Components, DeclaredAs, EdgeData, LineageGraph, strongly_connected};
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

/// What the rules look at: the graph, its neighbour lists sorted by id, node kinds and
/// strongly connected components, computed once for all rules.
pub struct Context<'g> {
    pub graph: &'g LineageGraph,
    /// The component of each node, by node index.
    pub component_of: Vec<usize>,
    /// Components, each sorted by node index (so by id).
    pub components: Vec<Vec<NodeIndex>>,
    kinds: Vec<NodeKind>,
    outgoing: Adjacency,
    incoming: Adjacency,
}

impl<'g> Context<'g> {
    pub fn new(graph: &'g LineageGraph) -> Context<'g> {
        // The incoming lists and the node kinds are made on a second thread while this one
        // makes the outgoing lists and the components, which need only those.
        let side = || {
            let incoming = Adjacency::new(&graph.graph, Direction::Incoming);
            let kinds: Vec<NodeKind> = graph.nodes().map(|n| graph.kind(n)).collect();
            (incoming, kinds)
        };
        let main = || {
            let outgoing = Adjacency::new(&graph.graph, Direction::Outgoing);
            // Iterative: no stack overflow on long chains.
            let components = strongly_connected(graph.node_count(), &outgoing);
            (outgoing, components)
        };
        let ((incoming, kinds), (outgoing, components)) = if crate::threads::count() > 1 {
            std::thread::scope(|scope| {
                let helper = scope.spawn(side);
                let mine = main();
                // A panic on the helper thread is a bug; it surfaces as one here too.
                let theirs = helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (theirs, mine)
            })
        } else {
            (side(), main())
        };
        let Components {
            components,
            component_of,
        } = components;
        Context {
            graph,
            component_of,
            components,
            kinds,
            outgoing,
            incoming,
        }
    }

    pub fn same_component(&self, a: NodeIndex, b: NodeIndex) -> bool {
        self.component_of[a.index()] == self.component_of[b.index()]
    }

    pub fn id(&self, node: NodeIndex) -> &NodeId {
        self.graph.id(node)
    }

    pub fn kind(&self, node: NodeIndex) -> NodeKind {
        self.kinds[node.index()]
    }

    pub fn nodes_of_kind(&self, kind: NodeKind) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.nodes().filter(move |&n| self.kind(n) == kind)
    }

    pub fn edge_data(&self, edge: EdgeIndex) -> &EdgeData {
        &self.graph.graph[edge]
    }

    /// Outgoing (or incoming) edges as (edge, other end), sorted by the other end's id, as
    /// `LineageGraph::neighbours` lists them.
    pub fn neighbours(&self, node: NodeIndex, direction: Direction) -> &[(EdgeIndex, NodeIndex)] {
        match direction {
            Direction::Outgoing => self.outgoing.of(node),
            Direction::Incoming => self.incoming.of(node),
        }
    }

    /// The edge from `from` to `to`, as `LineageGraph::edge` finds it.
    pub fn edge(&self, from: NodeIndex, to: NodeIndex) -> Option<&EdgeData> {
        self.outgoing
            .edge_to(from, to)
            .map(|e| &self.graph.graph[e])
    }

    /// The outputs of an entity, as `LineageGraph::outputs` lists them.
    pub fn outputs(&self, entity: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.outgoing
            .of(entity)
            .iter()
            .filter(|&&(e, to)| {
                self.kind(to) == NodeKind::Dataset && self.graph.graph[e].is_output()
            })
            .map(|&(_, to)| to)
    }

    /// Whether the logs show the node doing anything at all.
    pub fn has_activity(&self, node: NodeIndex) -> bool {
        self.outgoing
            .of(node)
            .iter()
            .chain(self.incoming.of(node))
            .any(|&(e, _)| self.graph.graph[e].is_observed())
    }

    /// The evidence for one edge: the manifest lines that declare it and what the logs saw.
    pub fn edge_evidence(&self, from: NodeIndex, to: NodeIndex) -> Vec<Evidence> {
        let mut evidence = Vec::new();
        self.push_edge_evidence(from, to, &mut evidence);
        evidence
    }

    /// The evidence of every edge along `path`, in path order: one list filled in place
    /// (a list per edge, flattened, was most of the time of a rule with long routes).
    pub fn path_evidence(&self, path: &[NodeIndex]) -> Vec<Evidence> {
        let mut evidence = Vec::with_capacity(path.len().saturating_sub(1) * 2);
        for pair in path.windows(2) {
            self.push_edge_evidence(pair[0], pair[1], &mut evidence);
        }
        evidence
    }

    fn push_edge_evidence(&self, from: NodeIndex, to: NodeIndex, evidence: &mut Vec<Evidence>) {
        let Some(edge) = self.edge(from, to) else {
            return;
        };
        let (from_id, to_id) = (self.id(from), self.id(to));
        evidence.extend(edge.declared.iter().map(|d| {
            // The manifest that declares an edge belongs to its reader (inputs, training,
            // base_model) or its writer (outputs, influences); the value is the other end.
            let value = match (&d.via, d.key) {
                (Some(model), _) => model.as_str(),
                (None, DeclaredAs::Inputs | DeclaredAs::Training | DeclaredAs::BaseModel) => {
                    from_id.as_str()
                }
                (None, _) => to_id.as_str(),
            };
            Evidence::declared(d, value)
        }));
        if let Some(seen) = &edge.observed {
            evidence.push(Evidence::observed(from_id, to_id, seen));
        }
    }
}

/// Indices into `RULES`, the rules that take longest on big graphs first (measured with
/// `cargo bench --bench rules`), so that threads taking rules in this order end together.
const LONGEST_FIRST: [usize; 9] = [2, 0, 4, 6, 3, 5, 8, 1, 7];

/// Runs every rule; findings come back sorted. The rules only read the context, so they
/// share the cores (`LINTAGE_THREADS`, else one thread per core): each thread takes the next
/// rule from `LONGEST_FIRST`, and the findings are put back in rule order before sorting,
/// so the output does not depend on the thread count.
pub fn run_all(graph: &LineageGraph) -> Vec<Finding> {
    let context = Context::new(graph);
    let threads = crate::threads::count().min(RULES.len());
    let by_rule: Vec<Vec<Finding>> = if threads <= 1 {
        RULES.iter().map(|rule| (rule.check)(&context)).collect()
    } else {
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Vec<Finding>>> =
            RULES.iter().map(|_| Mutex::new(Vec::new())).collect();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    while let Some(&rule) = LONGEST_FIRST.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let found = (RULES[rule].check)(&context);
                        if let Ok(mut slot) = slots[rule].lock() {
                            *slot = found;
                        }
                    }
                });
            }
        });
        slots
            .into_iter()
            .map(|slot| slot.into_inner().unwrap_or_default())
            .collect()
    };
    let mut findings: Vec<Finding> = by_rule.into_iter().flatten().collect();
    finding::sort(&mut findings);
    findings
}

/// Whether a `consumers` entry admits a node: a node id or a glob over node ids; an entry
/// without a kind prefix matches node names of any kind.
pub fn consumer_matches(entry: &str, node: &NodeId) -> bool {
    ConsumerPattern::new(entry).matches(node)
}

/// A `consumers` entry, looked at once for the many nodes it is tried on.
pub struct ConsumerPattern<'a> {
    entry: &'a str,
    matches_names: bool,
}

impl<'a> ConsumerPattern<'a> {
    pub fn new(entry: &'a str) -> ConsumerPattern<'a> {
        ConsumerPattern {
            entry,
            matches_names: !has_kind_prefix(entry),
        }
    }

    pub fn matches(&self, node: &NodeId) -> bool {
        star_match(self.entry, node.as_str())
            || (self.matches_names && star_match(self.entry, node.name()))
    }
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
    fn threads_take_every_rule_once() {
        let mut order = LONGEST_FIRST;
        order.sort_unstable();
        assert_eq!(order.to_vec(), (0..RULES.len()).collect::<Vec<_>>());
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
