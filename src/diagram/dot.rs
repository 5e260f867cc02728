//! The diagram in Graphviz's DOT language, built with graphviz-rust's structures and printed
//! with its printer. Node ids are generated (`n0`, `n1`, … in node-id order); every name is a
//! quoted, escaped label, so no name can break the file. A legend cluster explains the
//! visual language inside the picture.

use std::collections::BTreeMap;

use graphviz_rust::dot_structures::{
    Attribute, Edge as DotEdge, EdgeTy, Graph, GraphAttributes, Id, Node as DotNode, NodeId, Stmt,
    Subgraph, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};

use super::select::{Cluster, cluster_of};
use super::{Diagram, Edge, Node};
use crate::finding::Severity;
use crate::node::NodeKind;
use crate::report::text::clean;

/// Options that change the drawing but not what is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub cluster: Cluster,
}

// The palette: pale fills tell kinds apart, strong colours are kept for the debt.
const FONT: &str = "Helvetica";
const INK: &str = "#444444";
const RED: &str = "#cc0000";
const CHAIN: &str = "#e69138";
const CHAIN_FILL: &str = "#fcd9b0";

/// The shape and fill of each kind, and what the legend calls it.
pub(crate) fn kind_look(kind: NodeKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        NodeKind::Model => ("box3d", "#cfe2f3", "model"),
        NodeKind::Job => ("cds", "#e6e6e6", "job"),
        NodeKind::Service => ("component", "#d9ead3", "service"),
        NodeKind::Dataset => ("cylinder", "#fff2cc", "dataset"),
        NodeKind::Principal => ("octagon", "#ffffff", "unknown principal"),
    }
}

pub(crate) fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => RED,
        Severity::Warning => "#b45f06",
        Severity::Info => "#3d85c6",
    }
}

/// The DOT text of a diagram.
pub fn render(diagram: &Diagram, style: Style) -> String {
    let mut text = build(diagram, style).print(&mut printer());
    text.push('\n');
    text
}

/// How the graph is printed: graphviz-rust's default layout, one statement a line with a
/// two-space indent (its other constructor, `new`, turns indentation off).
pub fn printer() -> PrinterContext {
    PrinterContext::default()
}

/// The diagram as graphviz-rust's graph structure.
pub fn build(diagram: &Diagram, style: Style) -> Graph {
    let mut stmts: Vec<Stmt> = vec![
        GraphAttributes::Graph(vec![
            attr("rankdir", "LR"),
            attr("fontname", FONT),
            attr("fontsize", "11"),
            attr("nodesep", "0.3"),
            attr("ranksep", "0.6"),
            attr("newrank", "true"),
            attr("tooltip", "lineage diagram by lintage"),
        ])
        .into(),
        GraphAttributes::Node(vec![
            attr("fontname", FONT),
            attr("fontsize", "11"),
            attr("style", "filled"),
            attr("color", INK),
            attr("margin", "0.12,0.06"),
        ])
        .into(),
        GraphAttributes::Edge(vec![
            attr("fontname", FONT),
            attr("fontsize", "9"),
            attr("color", INK),
            attr("fontcolor", INK),
            attr("arrowsize", "0.7"),
        ])
        .into(),
    ];

    // Clusters in name order, nodes in id order inside each.
    let mut clusters: BTreeMap<String, Vec<Stmt>> = BTreeMap::new();
    for (i, node) in diagram.nodes.iter().enumerate() {
        let stmt = node_stmt(diagram, i, node);
        match cluster_of(node, style.cluster) {
            Some(name) => clusters.entry(name).or_default().push(stmt),
            None => stmts.push(stmt),
        }
    }
    for (number, (name, members)) in clusters.into_iter().enumerate() {
        let mut body = vec![
            GraphAttributes::Graph(vec![
                quoted("label", &clean(&name)),
                attr("style", "rounded,dashed"),
                attr("color", "#999999"),
                attr("fontcolor", "#666666"),
                attr("labeljust", "l"),
            ])
            .into(),
        ];
        body.extend(members);
        stmts.push(
            Subgraph {
                id: Id::Plain(format!("cluster_{number}")),
                stmts: body,
            }
            .into(),
        );
    }
    for edge in &diagram.edges {
        stmts.push(edge_stmt(diagram, edge));
    }
    stmts.push(legend(diagram).into());
    Graph::DiGraph {
        id: Id::Plain("lineage".to_string()),
        strict: false,
        stmts,
    }
}

fn node_stmt(diagram: &Diagram, i: usize, node: &Node) -> Stmt {
    let (shape, fill, _) = kind_look(node.kind);
    let codes = node.codes(&diagram.findings);
    let mut label = escape_at_most(&clean(&node.name), QUOTED_MAX - 1000);
    if !codes.is_empty() {
        label.push_str("\\n");
        label.push_str(&codes.join(" · "));
    }
    let mut attributes = vec![
        Attribute(id("label"), Id::Escaped(format!("\"{label}\""))),
        attr("shape", shape),
    ];
    let fill = if node.chain { CHAIN_FILL } else { fill };
    attributes.push(attr("fillcolor", fill));
    if node.kind == NodeKind::Principal {
        attributes.push(attr("style", "filled,dashed"));
    }
    if let Some(worst) = node.worst(&diagram.findings) {
        attributes.push(attr("color", severity_color(worst)));
        attributes.push(attr("fontcolor", severity_color(worst)));
        attributes.push(attr("penwidth", "2"));
    }
    attributes.push(quoted("tooltip", &node_tooltip(diagram, node)));
    DotNode::new(NodeId(node_id(i), None), attributes).into()
}

fn node_tooltip(diagram: &Diagram, node: &Node) -> String {
    let mut lines = vec![clean(&node.id)];
    if let Some(owner) = &node.owner {
        lines.push(format!("owner: {}", clean(owner)));
    }
    if let Some(at) = &node.manifest {
        lines.push(format!("declared in {}:{}", clean(&at.file), at.line));
    }
    for &(f, role) in &node.findings {
        if let Some(finding) = diagram.findings.get(f) {
            lines.push(format!(
                "{} {} ({}, {})",
                finding.code,
                finding.rule,
                finding.severity,
                role.as_str()
            ));
        }
    }
    lines.join("\n")
}

fn edge_stmt(diagram: &Diagram, edge: &Edge) -> Stmt {
    let mut attributes = Vec::new();
    let mut styles = Vec::new();
    if !edge.declared {
        styles.push("dashed");
    }
    let findings = &diagram.findings;
    if edge.feedback_loop(findings) {
        styles.push("bold");
        attributes.push(attr("color", RED));
        attributes.push(attr("penwidth", "3.5"));
    } else if edge.undeclared_consumer(findings) {
        attributes.push(attr("color", RED));
        attributes.push(attr("penwidth", "2"));
    } else if edge.chain {
        attributes.push(attr("color", CHAIN));
        attributes.push(attr("penwidth", "3"));
    }
    if !styles.is_empty() {
        attributes.push(attr("style", &styles.join(",")));
    }
    let label = edge_label(diagram, edge);
    if !label.is_empty() {
        attributes.push(quoted("label", &label));
    }
    attributes.push(quoted("tooltip", &edge_tooltip(diagram, edge)));
    DotEdge {
        ty: EdgeTy::Pair(
            Vertex::N(NodeId(node_id(edge.from), None)),
            Vertex::N(NodeId(node_id(edge.to), None)),
        ),
        attributes,
    }
    .into()
}

/// What an edge says about itself: the links of a folded model-to-model edge, or the
/// declarations that are not plain reads and writes.
pub(crate) fn edge_label(diagram: &Diagram, edge: &Edge) -> String {
    let mut parts: Vec<String> = edge
        .keys()
        .into_iter()
        .filter(|k| matches!(*k, "influences" | "base_model"))
        .map(str::to_string)
        .collect();
    if diagram.models_only && !edge.via.is_empty() {
        const SHOWN: usize = 2;
        let names: Vec<String> = edge
            .via
            .iter()
            .take(SHOWN)
            .map(|id| clean(id.split_once(':').map_or(id.as_str(), |(_, name)| name)))
            .collect();
        let mut via = format!("via {}", names.join(", "));
        if edge.via.len() > SHOWN {
            via.push_str(&format!(" +{} more", edge.via.len() - SHOWN));
        }
        parts.push(via);
    }
    parts.join("; ")
}

fn edge_tooltip(diagram: &Diagram, edge: &Edge) -> String {
    let (from, to) = (&diagram.nodes[edge.from].id, &diagram.nodes[edge.to].id);
    let mut lines = vec![format!("{} -> {}", clean(from), clean(to))];
    for d in &edge.declarations {
        lines.push(format!(
            "declared {} at {}:{}",
            d.key,
            clean(&d.file),
            d.line
        ));
    }
    if let Some(seen) = &edge.observation {
        lines.push(format!(
            "observed {}× {} .. {}",
            seen.count,
            seen.first_seen.as_deref().unwrap_or("?"),
            seen.last_seen.as_deref().unwrap_or("?")
        ));
    }
    if !edge.via.is_empty() {
        lines.push(format!("via {}", clean(&edge.via.join(", "))));
    }
    for &f in &edge.findings {
        if let Some(finding) = diagram.findings.get(f) {
            lines.push(format!(
                "{} {} of {}",
                finding.code,
                finding.rule,
                clean(&finding.subject)
            ));
        }
    }
    lines.join("\n")
}

/// The legend: a cluster with one node per kind that the diagram shows and one sample of
/// each edge style, so the picture explains itself.
fn legend(diagram: &Diagram) -> Subgraph {
    let mut stmts: Vec<Stmt> = vec![
        GraphAttributes::Graph(vec![
            attr("label", "Legend"),
            attr("style", "rounded"),
            attr("color", "#bbbbbb"),
            attr("fontcolor", "#666666"),
            attr("labeljust", "l"),
        ])
        .into(),
        GraphAttributes::Node(vec![attr("fontsize", "10")]).into(),
    ];
    let kinds: Vec<NodeKind> = if diagram.models_only {
        vec![NodeKind::Model]
    } else {
        NodeKind::ALL.to_vec()
    };
    for &kind in &kinds {
        let (shape, fill, text) = kind_look(kind);
        let mut attributes = vec![quoted("label", text), attr("shape", shape)];
        attributes.push(attr("fillcolor", fill));
        if kind == NodeKind::Principal {
            attributes.push(attr("style", "filled,dashed"));
        }
        stmts.push(DotNode::new(NodeId(id(&format!("legend_{kind}")), None), attributes).into());
    }
    stmts.push(
        DotNode::new(
            NodeId(id("legend_chain"), None),
            vec![
                quoted("label", "model on a longest chain"),
                attr("shape", "box3d"),
                attr("fillcolor", CHAIN_FILL),
            ],
        )
        .into(),
    );
    stmts.push(
        DotNode::new(
            NodeId(id("legend_findings"), None),
            vec![
                quoted(
                    "label",
                    "node with findings\ncodes, colour of the worst:\nerror, warning, info",
                ),
                attr("shape", "box"),
                attr("fillcolor", "#ffffff"),
                attr("color", RED),
                attr("fontcolor", RED),
                attr("penwidth", "2"),
            ],
        )
        .into(),
    );
    // Edge samples: from a small point to the words that explain them, one per row.
    let samples: [(&str, Vec<Attribute>); 5] = [
        ("declared", vec![]),
        ("observed, not declared", vec![attr("style", "dashed")]),
        (
            "undeclared consumer (LT001)",
            vec![
                attr("color", RED),
                attr("penwidth", "2"),
                attr("style", "dashed"),
            ],
        ),
        (
            "feedback loop (LT002)",
            vec![
                attr("color", RED),
                attr("penwidth", "3.5"),
                attr("style", "bold"),
            ],
        ),
        (
            "longest model chain (LT003)",
            vec![attr("color", CHAIN), attr("penwidth", "3")],
        ),
    ];
    for (number, (text, attributes)) in samples.into_iter().enumerate() {
        let (point, words) = (
            format!("legend_e{number}"),
            format!("legend_e{number}_text"),
        );
        stmts.push(
            DotNode::new(
                NodeId(id(&point), None),
                vec![
                    attr("shape", "point"),
                    attr("width", "0.06"),
                    attr("color", "#999999"),
                ],
            )
            .into(),
        );
        stmts.push(
            DotNode::new(
                NodeId(id(&words), None),
                vec![
                    quoted("label", text),
                    attr("shape", "plaintext"),
                    attr("style", "solid"),
                ],
            )
            .into(),
        );
        stmts.push(
            DotEdge {
                ty: EdgeTy::Pair(
                    Vertex::N(NodeId(id(&point), None)),
                    Vertex::N(NodeId(id(&words), None)),
                ),
                attributes,
            }
            .into(),
        );
    }
    // Three columns, each a rank of its own: the node samples, then the points the edge
    // samples start from, then their words. Invisible edges within a rank keep each column
    // in the order above (in a left-to-right layout they run upwards, hence the reversal),
    // and one invisible edge puts the points after the node samples.
    let mut samples_column: Vec<String> = kinds.iter().map(|k| format!("legend_{k}")).collect();
    samples_column.push("legend_chain".to_string());
    samples_column.push("legend_findings".to_string());
    let points: Vec<String> = (0..5).map(|n| format!("legend_e{n}")).collect();
    let words: Vec<String> = (0..5).map(|n| format!("legend_e{n}_text")).collect();
    let invisible = |from: &str, to: &str| -> Stmt {
        DotEdge {
            ty: EdgeTy::Pair(
                Vertex::N(NodeId(id(from), None)),
                Vertex::N(NodeId(id(to), None)),
            ),
            attributes: vec![attr("style", "invis")],
        }
        .into()
    };
    for (number, column) in [samples_column.clone(), points, words]
        .into_iter()
        .enumerate()
    {
        let mut same: Vec<Stmt> = vec![attr("rank", "same").into()];
        for pair in column.windows(2) {
            same.push(invisible(&pair[1], &pair[0]));
        }
        stmts.push(
            Subgraph {
                id: Id::Plain(format!("legend_column{number}")),
                stmts: same,
            }
            .into(),
        );
    }
    stmts.push(invisible(&samples_column[0], "legend_e0"));
    Subgraph {
        id: id("cluster_legend"),
        stmts,
    }
}

/// `n0`, `n1`, …: ids that are safe in DOT whatever the names.
fn node_id(index: usize) -> Id {
    Id::Plain(format!("n{index}"))
}

fn id(text: &str) -> Id {
    Id::Plain(text.to_string())
}

/// An attribute whose value is a safe bare word or number.
fn attr(key: &str, value: &str) -> Attribute {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !value.starts_with('.')
    {
        Attribute(id(key), id(value))
    } else {
        Attribute(id(key), Id::Escaped(format!("\"{}\"", escape(value))))
    }
}

/// An attribute whose value is text, quoted and escaped; its line breaks stay line breaks.
fn quoted(key: &str, text: &str) -> Attribute {
    Attribute(
        id(key),
        Id::Escaped(format!("\"{}\"", escape_at_most(text, QUOTED_MAX))),
    )
}

/// The longest quoted string written, in bytes: Graphviz's `dot` rejects one longer than
/// 16384 bytes ("syntax error ... longer than 16384?"), so a tooltip naming two 10,000-character
/// nodes made the whole diagram unreadable.
const QUOTED_MAX: usize = 16_000;

/// `escape`, cut with `…` where the escaped text would grow past `max` bytes (never inside
/// an escape).
fn escape_at_most(text: &str, max: usize) -> String {
    let escaped = escape(text);
    if escaped.len() <= max {
        return escaped;
    }
    let mut out = String::with_capacity(max);
    let mut piece = [0u8; 4];
    for c in text.chars() {
        let part = escape(c.encode_utf8(&mut piece));
        if out.len() + part.len() + '…'.len_utf8() > max {
            break;
        }
        out.push_str(&part);
    }
    out.push('…');
    out
}

/// Escapes text for a quoted DOT string so that Graphviz shows it as it is: `"` and `\` are
/// escaped (Graphviz reads `\\` in a label as one backslash, and `\N`, `\l` and friends
/// as commands), and `&` is written `&amp;`, because Graphviz decodes HTML entities such as
/// `&amp;` or `&#123;` even in plain labels. Line breaks become `\n`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_what_graphviz_would_read() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\"b"), "a\\\"b");
        assert_eq!(escape("a\\nb"), "a\\\\nb");
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("<b>{x}|[y]"), "<b>{x}|[y]");
    }

    #[test]
    fn quoted_strings_stay_within_what_graphviz_reads() {
        use super::escape_at_most;
        assert_eq!(escape_at_most("short", 10), "short");
        assert_eq!(escape_at_most("abcdefghijkl", 10), "abcdefg…");
        // An escape is never cut in two.
        assert_eq!(escape_at_most("abcdef\"ghij", 10), "abcdef…");
        let long = "\"".repeat(20_000);
        assert!(escape_at_most(&long, super::QUOTED_MAX).len() <= super::QUOTED_MAX);
    }
}
