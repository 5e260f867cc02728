//! `lintage export [DIR] --format dot|svg|png|mermaid|json`: the lineage diagram with the
//! debt drawn on it, of a deployment scanned in memory (nothing is recorded) or of a stored
//! snapshot (`--db`), narrowed by `--focus`, `--models-only` and `--findings-only`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::common::{self, InputArgs};
use super::{CliError, Outcome};
use lintage::diagram::render::{self, Image};
use lintage::diagram::select::{self, Cluster, Direction, Selection};
use lintage::diagram::{Diagram, dot, json, mermaid};
use lintage::store::{self, Scope, Snapshot, Store};

/// Past this many nodes or edges a diagram is a hairball (and Graphviz slows down sharply):
/// say so and suggest a filter.
const LARGE: usize = 300;
const LARGE_EDGES: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Graphviz DOT text.
    Dot,
    /// A picture drawn by Graphviz (needs the `dot` program).
    Svg,
    /// A picture drawn by Graphviz (needs the `dot` program).
    Png,
    /// A Mermaid flowchart, which GitHub and GitLab draw in Markdown.
    Mermaid,
    /// Nodes and edges with provenance and findings.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterArg {
    /// Entities grouped by their manifest's `owner`.
    Owner,
    /// Datasets grouped by namespace (`warehouse.scores`, `s3://bucket`, …).
    Namespace,
    /// No grouping.
    None,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    input: InputArgs,
    #[arg(long, value_enum, default_value_t = DiagramFormat::Dot)]
    format: DiagramFormat,
    /// Write the diagram to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Draw only the lineage of NODE: a node id (`model:fraud-scorer`) or a bare name.
    #[arg(long, value_name = "NODE")]
    focus: Option<String>,
    /// With --focus: only nodes at most N edges away (default: the whole lineage).
    #[arg(long, value_name = "N", requires = "focus")]
    depth: Option<usize>,
    /// With --focus: only what NODE depends on.
    #[arg(long, requires = "focus", conflicts_with = "downstream")]
    upstream: bool,
    /// With --focus: only what depends on NODE.
    #[arg(long, requires = "focus")]
    downstream: bool,
    /// Only models; datasets, jobs, services and principals become labelled model-to-model edges.
    #[arg(long)]
    models_only: bool,
    /// Only the nodes that take part in findings, and their direct neighbours.
    #[arg(long)]
    findings_only: bool,
    /// Group nodes into boxes.
    #[arg(long, value_enum, default_value_t = ClusterArg::None)]
    cluster: ClusterArg,
    /// Draw a stored snapshot from this database instead of scanning DIR.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["strict", "since", "until"])]
    db: Option<PathBuf>,
    /// With --db: `latest` (of DIR's snapshots when DIR is given), `latest~N`, or an id.
    #[arg(long, value_name = "REF", default_value = "latest", requires = "db")]
    snapshot: String,
}

pub fn run(args: ExportArgs) -> Outcome {
    if args.format == DiagramFormat::Png && args.output.is_none() && std::io::stdout().is_terminal()
    {
        return Err(CliError(
            "a PNG is binary and stdout is a terminal: pass -o FILE, or redirect stdout to a file"
                .to_string(),
        ));
    }
    let snapshot = load(&args)?;
    let full = Diagram::from_snapshot(&snapshot);
    // The diagram holds what is drawn; on a large lineage the snapshot is hundreds of MB.
    drop(snapshot);
    let selection = Selection {
        focus: args.focus.clone(),
        depth: args.depth,
        direction: if args.upstream {
            Direction::Upstream
        } else if args.downstream {
            Direction::Downstream
        } else {
            Direction::Both
        },
        models_only: args.models_only,
        findings_only: args.findings_only,
    };
    // A selection that leaves nothing out would be a copy of the whole diagram.
    let everything =
        selection.focus.is_none() && !selection.models_only && !selection.findings_only;
    let diagram = if everything {
        full
    } else {
        select::select(&full, &selection)?
    };
    advise(&diagram, &selection, args.format);

    let cluster = match args.cluster {
        ClusterArg::Owner => Cluster::Owner,
        ClusterArg::Namespace => Cluster::Namespace,
        ClusterArg::None => Cluster::None,
    };
    let style = dot::Style { cluster };
    let bytes = match args.format {
        DiagramFormat::Dot => dot::render(&diagram, style).into_bytes(),
        DiagramFormat::Mermaid => mermaid::render(&diagram, cluster).into_bytes(),
        DiagramFormat::Json => json::render(&diagram, cluster).into_bytes(),
        DiagramFormat::Svg => render::render(&diagram, style, Image::Svg)?,
        DiagramFormat::Png => render::render(&diagram, style, Image::Png)?,
    };
    if args.format == DiagramFormat::Mermaid {
        advise_mermaid(&diagram, bytes.len());
    }
    write(args.output.as_deref(), &bytes)?;
    Ok(ExitCode::SUCCESS)
}

/// The snapshot to draw: the stored one that `--db` and `--snapshot` name, or DIR scanned now.
fn load(args: &ExportArgs) -> Result<Snapshot, CliError> {
    if let Some(db) = &args.db {
        let store = Store::open_read_only(db)?;
        // DIR, when given, narrows `latest` to that deployment's snapshots, as `diff
        // --deployment` does; `.` is the default and so means any deployment.
        let scope = Scope {
            root: (args.input.dir != Path::new(".")).then(|| common::root_id(&args.input.dir)),
            accepted_only: false,
        };
        let id = store.resolve_in(&args.snapshot, &scope)?;
        return Ok(store.load(id)?);
    }
    let analysis = common::analyze(&args.input)?;
    if analysis.stats.malformed > 0 {
        use lintage::report::text::clean;
        let first = analysis.stats.samples.first();
        let _ = writeln!(
            std::io::stderr(),
            "lintage: warning: skipped {} malformed log line(s){}",
            analysis.stats.malformed,
            first
                .map(|m| {
                    let (file, reason) = (clean(&m.file), clean(&m.reason));
                    format!("; the first: {file}:{}: {reason}", m.line)
                })
                .unwrap_or_default()
        );
    }
    Ok(store::memory::snapshot(
        &analysis,
        &common::root_id(&args.input.dir),
        "export",
    ))
}

/// What a person should know about the picture they are about to get.
fn advise(diagram: &Diagram, selection: &Selection, format: DiagramFormat) {
    let mut stderr = std::io::stderr().lock();
    if diagram.nodes.is_empty() {
        let _ = writeln!(
            stderr,
            "lintage: note: the diagram is empty{}",
            if selection.findings_only {
                ": no node takes part in a finding"
            } else {
                ""
            }
        );
        return;
    }
    if diagram.nodes.len() <= LARGE && diagram.edges.len() <= LARGE_EDGES {
        return;
    }
    // Suggest the filters not used yet.
    let mut narrower: Vec<&str> = Vec::new();
    if selection.focus.is_none() {
        narrower.push("--focus NODE --depth 2");
    } else {
        narrower.push("a smaller --depth");
    }
    if !selection.models_only {
        narrower.push("--models-only");
    }
    if !selection.findings_only {
        narrower.push("--findings-only");
    }
    let _ = writeln!(
        stderr,
        "lintage: note: the diagram has {} nodes and {} edges, too many to read in one picture{}; \
         narrow it with {}",
        diagram.nodes.len(),
        diagram.edges.len(),
        if matches!(format, DiagramFormat::Svg | DiagramFormat::Png) {
            " (and slow for Graphviz to lay out)"
        } else {
            ""
        },
        narrower.join(", or ")
    );
}

fn advise_mermaid(diagram: &Diagram, size: usize) {
    let edges = mermaid::edge_count(diagram);
    if size > mermaid::MAX_TEXT || edges > mermaid::MAX_EDGES {
        let _ = writeln!(
            std::io::stderr(),
            "lintage: note: {} characters and {} edges of Mermaid; renderers such as GitHub's refuse \
             more than {} characters (and recent Mermaid more than {} edges); narrow it with \
             --focus, --models-only or --findings-only, or use --format svg",
            size,
            edges,
            mermaid::MAX_TEXT,
            mermaid::MAX_EDGES
        );
    }
}

/// Writes to `-o FILE` or stdout. A closed pipe (`lintage export | head`) is no error.
fn write(output: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match output {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| CliError(format!("{}: cannot write the diagram: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(CliError(format!("cannot write to stdout: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}
