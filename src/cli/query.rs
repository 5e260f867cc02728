//! `lintage query dependents|dependencies|path|select|impact`: who depends on a node and what
//! it depends on, from the latest stored snapshot (or a fresh scan with `--deployment`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::common::{self, DEFAULT_DB, InputArgs};
use super::{CliError, Outcome, emit};
use lintage::node::NodeKind;
use lintage::query::{
    self, EdgeFilter, Lineage, MemoryLineage, QueryJson, Reached, StoredLineage, Walk, WalkOptions,
    impact, select,
};
use lintage::report::text::clean;
use lintage::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(subcommand)]
    command: QueryCommand,
}

#[derive(Debug, Subcommand)]
enum QueryCommand {
    /// Who depends on NODE: everything downstream of it.
    Dependents(DirectionArgs),
    /// What NODE depends on: everything upstream of it.
    Dependencies(DirectionArgs),
    /// How FROM reaches TO: the shortest paths (or all simple paths with --all).
    Path(PathArgs),
    /// A dbt-style selector: `+NODE` (upstream), `NODE+` (downstream), `2+NODE+1` (bounded).
    Select(SelectArgs),
    /// The blast radius of changing NODE.
    Impact(ImpactArgs),
}

/// Where the lineage comes from, and how to print.
#[derive(Debug, Args)]
struct Source {
    /// The snapshot database.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_DB)]
    db: PathBuf,
    /// Which snapshot: `latest`, `latest~N` or an id.
    #[arg(long, value_name = "REF", default_value = "latest")]
    snapshot: String,
    /// Scan this deployment folder now instead of reading a snapshot.
    #[arg(long, value_name = "DIR")]
    deployment: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the answer to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct EdgeArgs {
    /// Walk declared edges only.
    #[arg(long, conflicts_with = "observed_only")]
    declared_only: bool,
    /// Walk observed edges only.
    #[arg(long)]
    observed_only: bool,
}

impl EdgeArgs {
    fn filter(&self) -> EdgeFilter {
        match (self.declared_only, self.observed_only) {
            (true, _) => EdgeFilter::DeclaredOnly,
            (_, true) => EdgeFilter::ObservedOnly,
            _ => EdgeFilter::All,
        }
    }
}

#[derive(Debug, Args)]
struct DirectionArgs {
    /// A node id (`model:fraud-scorer`) or a name that names one node (`fraud-scorer`).
    node: String,
    /// Only results up to this depth (entities on the path; a direct consumer is depth 1).
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    /// Direct dependents (or dependencies) only: `--depth 1`.
    #[arg(long, conflicts_with = "depth")]
    direct: bool,
    /// Only these kinds in the results, e.g. `--kind model,service`.
    #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
    kind: Vec<NodeKind>,
    /// List the datasets passed through as results too.
    #[arg(long)]
    datasets: bool,
    #[command(flatten)]
    edges: EdgeArgs,
    #[command(flatten)]
    source: Source,
}

#[derive(Debug, Args)]
struct PathArgs {
    from: String,
    to: String,
    /// Every simple path (up to --depth edges, default 12; at most 100 paths), not only the
    /// shortest.
    #[arg(long)]
    all: bool,
    /// The longest path to consider, in edges (shortest paths: no bound unless given).
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    #[command(flatten)]
    edges: EdgeArgs,
    #[command(flatten)]
    source: Source,
}

#[derive(Debug, Args)]
struct SelectArgs {
    /// `+NODE`, `NODE+`, `+NODE+`, `2+NODE+1`.
    expression: String,
    #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
    kind: Vec<NodeKind>,
    #[arg(long)]
    datasets: bool,
    #[command(flatten)]
    edges: EdgeArgs,
    #[command(flatten)]
    source: Source,
}

#[derive(Debug, Args)]
struct ImpactArgs {
    node: String,
    #[command(flatten)]
    source: Source,
}

fn parse_kind(text: &str) -> Result<NodeKind, String> {
    NodeKind::parse(text.trim())
        .ok_or_else(|| format!("`{text}` is not a kind: model, job, service, dataset or principal"))
}

pub fn run(args: QueryArgs) -> Outcome {
    match args.command {
        QueryCommand::Dependents(a) => with_lineage(&a.source, |l| direction(l, &a, true)),
        QueryCommand::Dependencies(a) => with_lineage(&a.source, |l| direction(l, &a, false)),
        QueryCommand::Path(a) => with_lineage(&a.source, |l| path(l, &a)),
        QueryCommand::Select(a) => with_lineage(&a.source, |l| selection(l, &a)),
        QueryCommand::Impact(a) => with_lineage(&a.source, |l| blast_radius(l, &a)),
    }
}

/// Opens the lineage the options name, runs `answer` on it and prints what it returns.
fn with_lineage(
    source: &Source,
    answer: impl FnOnce(&dyn Lineage) -> Result<String, CliError>,
) -> Outcome {
    let text = match &source.deployment {
        Some(dir) => {
            let input = InputArgs {
                dir: dir.clone(),
                strict: false,
                since: None,
                until: None,
                quiet: true,
            };
            let analysis = common::analyze(&input)?;
            answer(&MemoryLineage {
                graph: &analysis.graph,
            })?
        }
        None => {
            let store = Store::open_read_only(&source.db)?;
            let snapshot = store.resolve(&source.snapshot)?;
            answer(&StoredLineage::new(&store, snapshot))?
        }
    };
    emit(source.output.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn direction(
    lineage: &dyn Lineage,
    args: &DirectionArgs,
    downstream: bool,
) -> Result<String, CliError> {
    let node = query::resolve_node(lineage, &args.node)?;
    let options = WalkOptions {
        depth: if args.direct { Some(1) } else { args.depth },
        edges: args.edges.filter(),
    };
    let walk = query::walk(lineage, &node, downstream, &options)?;
    let results = query::results(&walk, args.datasets, &args.kind);
    let name = if downstream {
        "dependents"
    } else {
        "dependencies"
    };
    Ok(match args.source.format {
        Format::Json => to_json(&QueryJson {
            node: &node,
            direction: name,
            results,
        }),
        Format::Text if !args.kind.is_empty() => flat_list(&node, name, &results),
        Format::Text => tree(&walk, args.datasets, name),
    })
}

/// One line per result, for filtered answers that no longer form a tree.
fn flat_list(node: &str, name: &str, results: &[&Reached]) -> String {
    let mut out = format!("{} ({name}: {})\n", clean(node), results.len());
    for r in results {
        let _ = writeln!(
            out,
            "  {}  depth {}{}",
            clean(&r.node),
            r.depth,
            describe(r)
        );
    }
    out
}

/// How a node was reached, for the text answers.
fn describe(r: &Reached) -> String {
    let mut text = String::new();
    if let Some(via) = &r.via {
        let _ = write!(text, "  via {}", clean(via));
    }
    text.push_str(match (r.declared, r.observed) {
        (true, true) => "  [declared, seen]",
        (true, false) => "  [declared; not every edge seen in logs]",
        (false, true) => "  [UNDECLARED: seen in logs only]",
        (false, false) => "  [partly undeclared, partly unseen]",
    });
    if let Some(last) = &r.last_seen {
        let _ = write!(text, "  last seen {last}");
    }
    text
}

/// A tree like `cargo tree -i`: each node once, under the node it was first reached from;
/// other edges into nodes already shown (and back to the start, in a loop) appear as `(*)`.
fn tree(walk: &Walk, datasets: bool, name: &str) -> String {
    let shown: Vec<&Reached> = walk
        .reached
        .iter()
        .filter(|r| datasets || !r.node.starts_with("dataset:"))
        .collect();
    let known: BTreeSet<&str> = shown.iter().map(|r| r.node.as_str()).collect();
    let mut children: BTreeMap<String, Vec<&Reached>> = BTreeMap::new();
    for r in &shown {
        let parent = match (&r.via, datasets) {
            (Some(via), true) => via.clone(),
            _ => r.parent.clone().unwrap_or_else(|| walk.start.clone()),
        };
        children.entry(parent).or_default().push(r);
    }
    enum Item {
        Line(String),
        Expand(String, String),
    }
    let mut out = format!("{} ({name}: {})\n", clean(&walk.start), shown.len());
    // Iterative, so that a deep lineage cannot exhaust the stack.
    let mut stack = vec![Item::Expand(walk.start.clone(), String::new())];
    while let Some(item) = stack.pop() {
        let (node, prefix) = match item {
            Item::Line(text) => {
                out.push_str(&text);
                continue;
            }
            Item::Expand(node, prefix) => (node, prefix),
        };
        let kids = children.get(&node).cloned().unwrap_or_default();
        let kid_ids: BTreeSet<&str> = kids.iter().map(|r| r.node.as_str()).collect();
        let mut lines: Vec<(String, Option<&Reached>)> =
            kids.iter().map(|r| (r.node.clone(), Some(*r))).collect();
        lines.extend(
            successors(walk, &node, datasets)
                .into_iter()
                .filter(|s| {
                    !kid_ids.contains(s.as_str())
                        && (known.contains(s.as_str()) || *s == walk.start)
                })
                .map(|s| (s, None)),
        );
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let count = lines.len();
        let mut items = Vec::new();
        for (i, (id, reached)) in lines.into_iter().enumerate() {
            let is_last = i + 1 == count;
            let branch = if is_last { "└── " } else { "├── " };
            match reached {
                Some(r) => {
                    items.push(Item::Line(format!(
                        "{prefix}{branch}{}{}\n",
                        clean(&id),
                        describe(r)
                    )));
                    let deeper = format!("{prefix}{}", if is_last { "    " } else { "│   " });
                    items.push(Item::Expand(id, deeper));
                }
                None => items.push(Item::Line(format!("{prefix}{branch}{} (*)\n", clean(&id)))),
            }
        }
        stack.extend(items.into_iter().rev());
    }
    out
}

/// The nodes one step further in the walk's direction: through a dataset to the entities
/// beyond it, unless datasets are shown.
fn successors(walk: &Walk, node: &str, datasets: bool) -> Vec<String> {
    let mut out = BTreeSet::new();
    for hop in walk.hops.get(node).into_iter().flatten() {
        if datasets || !hop.node.starts_with("dataset:") {
            out.insert(hop.node.clone());
        } else {
            for next in walk.hops.get(&hop.node).into_iter().flatten() {
                out.insert(next.node.clone());
            }
        }
    }
    out.into_iter().collect()
}

#[derive(Serialize)]
struct PathJson<'a> {
    from: &'a str,
    to: &'a str,
    paths: Vec<Vec<query::PathEdge>>,
    /// A bound (100 paths, or the search budget of --all) cut the list short.
    truncated: bool,
}

fn path(lineage: &dyn Lineage, args: &PathArgs) -> Result<String, CliError> {
    let from = query::resolve_node(lineage, &args.from)?;
    let to = query::resolve_node(lineage, &args.to)?;
    let found = query::paths(
        lineage,
        &from,
        &to,
        args.edges.filter(),
        args.all,
        args.depth,
        100,
    )?;
    Ok(match args.source.format {
        Format::Json => to_json(&PathJson {
            from: &from,
            to: &to,
            paths: found.paths,
            truncated: found.truncated,
        }),
        Format::Text => {
            if found.paths.is_empty() {
                return Ok(format!("no path from {} to {}\n", clean(&from), clean(&to)));
            }
            let mut out = String::new();
            for (i, p) in found.paths.iter().enumerate() {
                let _ = writeln!(out, "path {} ({} edges):", i + 1, p.len());
                let _ = writeln!(out, "  {}", clean(&from));
                for e in p {
                    let mark = match (e.declared, e.observed) {
                        (true, true) => "declared, seen",
                        (true, false) => "declared",
                        (false, true) => "UNDECLARED, seen in logs",
                        (false, false) => "?",
                    };
                    let _ = writeln!(out, "  -> {}  [{mark}]", clean(&e.to));
                }
            }
            if found.truncated {
                let _ = writeln!(
                    out,
                    "(stopped after {} paths: there may be more; bound them with --depth N)",
                    found.paths.len()
                );
            }
            out
        }
    })
}

#[derive(Serialize)]
struct Selected {
    node: String,
    direction: &'static str,
    depth: usize,
}

#[derive(Serialize)]
struct SelectJson<'a> {
    selector: &'a str,
    node: &'a str,
    nodes: Vec<Selected>,
}

fn selection(lineage: &dyn Lineage, args: &SelectArgs) -> Result<String, CliError> {
    let selector = select::parse(&args.expression)?;
    let node = query::resolve_node(lineage, &selector.node)?;
    let mut nodes = vec![Selected {
        node: node.clone(),
        direction: "self",
        depth: 0,
    }];
    for (bound, downstream, label) in [
        (selector.upstream, false, "upstream"),
        (selector.downstream, true, "downstream"),
    ] {
        let Some(depth) = bound else { continue };
        let options = WalkOptions {
            depth,
            edges: args.edges.filter(),
        };
        let walk = query::walk(lineage, &node, downstream, &options)?;
        for r in query::results(&walk, args.datasets, &args.kind) {
            // A selection is a set: a node both upstream and downstream (in a loop) is
            // listed once, as `both`, at its smaller depth.
            match nodes.iter_mut().find(|s| s.node == r.node) {
                Some(seen) => {
                    seen.direction = "both";
                    seen.depth = seen.depth.min(r.depth);
                }
                None => nodes.push(Selected {
                    node: r.node.clone(),
                    direction: label,
                    depth: r.depth,
                }),
            }
        }
    }
    Ok(match args.source.format {
        Format::Json => to_json(&SelectJson {
            selector: &args.expression,
            node: &node,
            nodes,
        }),
        Format::Text => {
            let mut out = String::new();
            for s in &nodes {
                let _ = writeln!(out, "{}  {} {}", clean(&s.node), s.direction, s.depth);
            }
            out
        }
    })
}

fn blast_radius(lineage: &dyn Lineage, args: &ImpactArgs) -> Result<String, CliError> {
    let node = query::resolve_node(lineage, &args.node)?;
    let result = impact::impact(lineage, &node)?;
    Ok(match args.source.format {
        Format::Json => to_json(&result),
        Format::Text => {
            let mut out = format!("impact of changing {}\n", clean(&node));
            let total: usize = result.downstream.values().map(Vec::len).sum();
            let _ = writeln!(
                out,
                "  {total} downstream nodes, {} reached only through undeclared edges",
                result.undeclared
            );
            for kind in ["model", "service", "job", "principal", "dataset"] {
                let list = result
                    .downstream
                    .get(kind)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let label = match kind {
                    "principal" => "unknown principals",
                    "model" => "models",
                    "service" => "services",
                    "job" => "jobs",
                    _ => "datasets",
                };
                let _ = writeln!(out, "  {label}: {}", list.len());
                for n in list {
                    let flag = if n.declared { "" } else { "  UNDECLARED" };
                    let _ = writeln!(out, "    {}  depth {}{flag}", clean(&n.node), n.depth);
                }
            }
            let chain = result.longest_model_chain.join(" -> ");
            let _ = writeln!(
                out,
                "  longest downstream model chain: {}",
                if chain.is_empty() {
                    "none".to_string()
                } else {
                    clean(&chain)
                }
            );
            let _ = writeln!(
                out,
                "  in a feedback loop: {}",
                if result.in_feedback_loop { "yes" } else { "no" }
            );
            out
        }
    })
}
