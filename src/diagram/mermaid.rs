//! The diagram as a Mermaid flowchart, which GitHub and GitLab draw inside Markdown (in a
//! ```` ```mermaid ```` block). Node ids are generated (`n0`, `n1`, … in node-id order), so
//! no name can be a Mermaid keyword (`end`, `graph`, `click`, …); every name is a quoted
//! label whose punctuation is written as Mermaid entity codes (`#34;`), so quotes, brackets,
//! pipes and HTML cannot break it. A legend subgraph explains the visual language.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::dot::{edge_label, kind_look, severity_color};
use super::select::{Cluster, cluster_of};
use super::{Diagram, Edge, Node};
use crate::finding::Severity;
use crate::node::NodeKind;
use crate::report::text::clean;

const CHAIN_FILL: &str = "#fcd9b0";
const INK: &str = "#444444";

/// Mermaid's default `maxTextSize`: renderers such as GitHub's refuse longer diagrams.
pub const MAX_TEXT: usize = 50_000;
/// Mermaid's default `maxEdges` (recent versions refuse more).
pub const MAX_EDGES: usize = 500;

/// Sample edges in the legend.
const LEGEND_EDGES: usize = 5;

/// The edges Mermaid will count: the diagram's and the legend's samples.
pub fn edge_count(diagram: &Diagram) -> usize {
    diagram.edges.len() + LEGEND_EDGES
}

/// The opening and closing bracket of each kind's shape.
fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Model => ("[[", "]]"),
        NodeKind::Job => ("[/", "/]"),
        NodeKind::Service => ("(", ")"),
        NodeKind::Dataset => ("[(", ")]"),
        NodeKind::Principal => ("{{", "}}"),
    }
}

pub fn render(diagram: &Diagram, cluster: Cluster) -> String {
    let mut out = String::from("flowchart LR\n");

    let mut clusters: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, node) in diagram.nodes.iter().enumerate() {
        match cluster_of(node, cluster) {
            Some(name) => clusters.entry(name).or_default().push(i),
            None => {
                let _ = writeln!(out, "  {}", node_line(diagram, i, node));
            }
        }
    }
    for (number, (name, members)) in clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph c{number}[\"{}\"]", label(name));
        for &i in members {
            let _ = writeln!(out, "    {}", node_line(diagram, i, &diagram.nodes[i]));
        }
        out.push_str("  end\n");
    }

    // Link styles go by the index of each link in the text.
    let mut link_styles: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for (index, edge) in diagram.edges.iter().enumerate() {
        let _ = writeln!(out, "  {}", edge_line(diagram, edge));
        if let Some(style) = link_style(diagram, edge) {
            link_styles.entry(style).or_default().push(index);
        }
    }

    legend(&mut out, diagram, diagram.edges.len(), &mut link_styles);

    for kind in NodeKind::ALL {
        let (_, fill, _) = kind_look(kind);
        let dash = if kind == NodeKind::Principal {
            ",stroke-dasharray:4 3"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  classDef {kind} fill:{fill},stroke:{INK},color:#222222{dash}"
        );
    }
    let _ = writeln!(out, "  classDef chain fill:{CHAIN_FILL}");
    // The ends of the legend's sample edges: invisible, so each sample is a bare arrow.
    out.push_str("  classDef legend_point fill:none,stroke:none\n");
    for severity in [Severity::Info, Severity::Warning, Severity::Error] {
        let color = severity_color(severity);
        let _ = writeln!(
            out,
            "  classDef sev_{severity} stroke:{color},stroke-width:2px,color:{color}"
        );
    }

    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, node) in diagram.nodes.iter().enumerate() {
        let id = format!("n{i}");
        classes
            .entry(node.kind.as_str().to_string())
            .or_default()
            .push(id.clone());
        if node.chain {
            classes
                .entry("chain".to_string())
                .or_default()
                .push(id.clone());
        }
        if let Some(worst) = node.worst(&diagram.findings) {
            classes.entry(format!("sev_{worst}")).or_default().push(id);
        }
    }
    for kind in legend_kinds(diagram) {
        classes
            .entry(kind.as_str().to_string())
            .or_default()
            .push(format!("legend_{kind}"));
    }
    classes
        .entry("model".to_string())
        .or_default()
        .push("legend_chain".to_string());
    classes
        .entry("chain".to_string())
        .or_default()
        .push("legend_chain".to_string());
    classes
        .entry("sev_error".to_string())
        .or_default()
        .push("legend_findings".to_string());
    classes
        .entry("legend_point".to_string())
        .or_default()
        .extend((0..LEGEND_EDGES).flat_map(|n| [format!("legend_e{n}a"), format!("legend_e{n}b")]));
    // Kinds first, then chain and severities, so the later classes win where they overlap.
    let order = |name: &str| match name {
        "chain" => 1,
        n if n.starts_with("sev_") => 2,
        _ => 0,
    };
    let mut classes: Vec<(String, Vec<String>)> = classes.into_iter().collect();
    classes.sort_by(|a, b| (order(&a.0), &a.0).cmp(&(order(&b.0), &b.0)));
    for (class, ids) in classes {
        let _ = writeln!(out, "  class {} {class}", ids.join(","));
    }
    for (style, indexes) in link_styles {
        let list: Vec<String> = indexes.iter().map(usize::to_string).collect();
        let _ = writeln!(out, "  linkStyle {} {style}", list.join(","));
    }
    out
}

fn node_line(diagram: &Diagram, i: usize, node: &Node) -> String {
    let (open, close) = shape(node.kind);
    let codes = node.codes(&diagram.findings);
    let mut text = label(&node.name);
    if !codes.is_empty() {
        text.push_str("<br/>");
        text.push_str(&codes.join(" · "));
    }
    format!("n{i}{open}\"{text}\"{close}")
}

fn edge_line(diagram: &Diagram, edge: &Edge) -> String {
    let arrow = if edge.feedback_loop(&diagram.findings) {
        "==>"
    } else if edge.declared {
        "-->"
    } else {
        "-.->"
    };
    let text = edge_label(diagram, edge);
    if text.is_empty() {
        format!("n{} {arrow} n{}", edge.from, edge.to)
    } else {
        format!("n{} {arrow}|\"{}\"| n{}", edge.from, label(&text), edge.to)
    }
}

fn link_style(diagram: &Diagram, edge: &Edge) -> Option<&'static str> {
    if edge.feedback_loop(&diagram.findings) {
        // A loop is drawn thick; an undeclared step of it also dashed.
        Some(if edge.declared {
            "stroke:#cc0000,stroke-width:4px"
        } else {
            "stroke:#cc0000,stroke-width:4px,stroke-dasharray:6 4"
        })
    } else if edge.undeclared_consumer(&diagram.findings) {
        Some("stroke:#cc0000,stroke-width:2px")
    } else if edge.chain {
        Some("stroke:#e69138,stroke-width:3px")
    } else {
        None
    }
}

fn legend(
    out: &mut String,
    diagram: &Diagram,
    first_link: usize,
    link_styles: &mut BTreeMap<&'static str, Vec<usize>>,
) {
    out.push_str("  subgraph legend[\"Legend\"]\n");
    for kind in &legend_kinds(diagram) {
        let (open, close) = shape(*kind);
        let (_, _, text) = kind_look(*kind);
        let _ = writeln!(out, "    legend_{kind}{open}\"{text}\"{close}");
    }
    let _ = writeln!(out, "    legend_chain[[\"model on a longest chain\"]]");
    let _ = writeln!(
        out,
        "    legend_findings[\"node with findings<br/>codes, colour of the worst\"]"
    );
    let samples: [(&str, &str, Option<&'static str>); LEGEND_EDGES] = [
        ("declared", "-->", None),
        ("observed, not declared", "-.->", None),
        (
            "undeclared consumer (LT001)",
            "-.->",
            Some("stroke:#cc0000,stroke-width:2px"),
        ),
        (
            "feedback loop (LT002)",
            "==>",
            Some("stroke:#cc0000,stroke-width:4px"),
        ),
        (
            "longest model chain (LT003)",
            "-->",
            Some("stroke:#e69138,stroke-width:3px"),
        ),
    ];
    for (number, (text, arrow, style)) in samples.into_iter().enumerate() {
        let _ = writeln!(
            out,
            "    legend_e{number}a[\" \"] {arrow}|\"{text}\"| legend_e{number}b[\" \"]"
        );
        if let Some(style) = style {
            link_styles
                .entry(style)
                .or_default()
                .push(first_link + number);
        }
    }
    out.push_str("  end\n");
}

/// The kinds the legend shows: those a diagram of this sort can hold.
fn legend_kinds(diagram: &Diagram) -> Vec<NodeKind> {
    if diagram.models_only {
        vec![NodeKind::Model]
    } else {
        NodeKind::ALL.to_vec()
    }
}

/// A name as the text of a quoted Mermaid label: control characters shown as escapes, and
/// every ASCII character that Mermaid or HTML could read as syntax written as an entity code
/// (`#34;` for `"`), which Mermaid turns back into the character.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        let safe = c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '-' | '_' | '.' | ':' | '/' | ',' | '@' | '+' | '=' | '*'
            )
            || !c.is_ascii();
        if safe {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_keep_syntax_out() {
        assert_eq!(label("fraud-scorer"), "fraud-scorer");
        assert_eq!(label("a\"b"), "a#34;b");
        assert_eq!(label("<b>&x;"), "#60;b#62;#38;x#59;");
        assert_eq!(label("[x]{y}|z"), "#91;x#93;#123;y#125;#124;z");
        assert_eq!(label("#quot;"), "#35;quot#59;");
        assert_eq!(label("a\nb"), "a#92;u#123;a#125;b");
        assert_eq!(label("数据"), "数据");
    }
}
