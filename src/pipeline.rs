//! The scan pipeline, files to findings: ingest, build the graph, run the rules, apply the
//! policy. It returns data and never prints.

use std::collections::BTreeMap;
use std::path::Path;

use petgraph::Direction;

use crate::config::{ConfigError, Settings};
use crate::graph::{BuildError, LineageGraph};
use crate::ingest::{self, IngestError, InputFile, LogStats};
use crate::policy::{self, Outcome};
use crate::report::Summary;
use crate::rules;
use crate::time::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Ingest(#[from] IngestError),
    #[error("{0}")]
    Build(#[from] BuildError),
}

/// Command-line choices that override lintage.toml.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub strict: bool,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Where the log reading reports how far it has come (for a progress bar).
    pub progress: Option<std::sync::Arc<ingest::pipeline::Progress>>,
}

pub struct Analysis {
    pub graph: LineageGraph,
    pub outcome: Outcome,
    pub summary: Summary,
    pub stats: LogStats,
    pub skipped: Vec<(String, String)>,
    pub settings: Settings,
    /// Every file read, relative to the root, with its size and content hash.
    pub inputs: Vec<InputFile>,
    /// What the next scan's caches need of this one; `None` when the caller took it as soon
    /// as the files were read (see `analyze_with_cache`).
    pub cache_rows: Option<CacheRows>,
    /// How many line logs came from the read cache.
    pub reuse: ingest::ReuseCounts,
    /// How many manifest files came from the manifest cache.
    pub manifest_reuse: ingest::ManifestReuse,
    /// subject of a finding -> (manifest file, line) where that node is declared.
    pub subject_locations: BTreeMap<String, (String, usize)>,
}

/// What a scan read that the next scan's caches keep: its new rows, and which files there
/// are (the caches forget the rows of the others).
#[derive(Debug, Default)]
pub struct CacheRows {
    /// Line logs read now (not those taken whole from the read cache).
    pub reads: Vec<ingest::cache::CachedRead>,
    /// Manifest files parsed now.
    pub manifests: Vec<ingest::cache::CachedManifest>,
    /// Every file read as a possible manifest, whatever it gave.
    pub manifest_paths: Vec<String>,
    /// Every input file (manifests and logs).
    pub inputs: Vec<String>,
}

pub fn analyze(root: &Path, options: &ScanOptions) -> Result<Analysis, Error> {
    let caches = ingest::Caches {
        reads: ingest::cache::ReadCache::default,
        manifests: ingest::cache::ManifestCache::default,
    };
    analyze_with_cache(root, options, caches, Some)
}

/// `analyze`, reusing what earlier scans read of line logs that are unchanged or only grew,
/// and of manifest files that are unchanged; `caches` gives those reads. `on_cache_rows`
/// gets the rows for the next scan's caches as soon as the files are read, so that they can
/// be written while the graph is built; what it gives back is kept in `Analysis::cache_rows`.
pub fn analyze_with_cache<R, M>(
    root: &Path,
    options: &ScanOptions,
    caches: ingest::Caches<R, M>,
    on_cache_rows: impl FnOnce(CacheRows) -> Option<CacheRows>,
) -> Result<Analysis, Error>
where
    R: FnOnce() -> ingest::cache::ReadCache,
    M: FnOnce() -> ingest::cache::ManifestCache + Send,
{
    if !root.is_dir() {
        return Err(IngestError::NotAFolder {
            root: root.display().to_string(),
        }
        .into());
    }
    let mut settings = Settings::load(root)?;
    if options.since.is_some() {
        settings.since = options.since;
    }
    if options.until.is_some() {
        settings.until = options.until;
    }
    let mut facts = ingest::ingest_with_cache(
        root,
        &settings,
        options.strict,
        caches,
        options.progress.as_deref(),
    )?;
    let reuse = facts.reuse;
    let manifest_reuse = facts.manifest_reuse;
    let cache_rows = on_cache_rows(CacheRows {
        reads: std::mem::take(&mut facts.reads),
        manifests: std::mem::take(&mut facts.manifest_reads),
        manifest_paths: std::mem::take(&mut facts.manifest_paths),
        inputs: facts.inputs.iter().map(|i| i.path.clone()).collect(),
    });
    let mut summary = Summary {
        manifests: facts.manifests.len(),
        manifest_files: facts.manifest_files.len(),
        log_files: facts.log_files.len(),
        log_records: facts.stats.records,
        malformed_records: facts.stats.malformed,
        ..Summary::default()
    };
    let stats = facts.stats.clone();
    let skipped = facts.skipped.clone();
    let inputs = facts.inputs.clone();
    let graph = crate::graph::build(facts, &settings)?;
    crate::timings::phase("graph");
    summary.nodes = graph.node_count();
    summary.edges = graph.edge_count();
    let findings = rules::run_all(&graph);
    crate::timings::phase("rules");
    let outcome = policy::apply(findings, &settings);
    let subject_locations = declared_locations(&graph, &outcome.findings);
    crate::timings::phase("policy, locations");
    Ok(Analysis {
        inputs,
        cache_rows,
        reuse,
        manifest_reuse,
        subject_locations,
        graph,
        outcome,
        summary,
        stats,
        skipped,
        settings,
    })
}

/// Where the subject of each finding is declared: an entity at its manifest, a dataset at
/// the first manifest line that names it.
fn declared_locations(
    graph: &LineageGraph,
    findings: &[crate::finding::Finding],
) -> BTreeMap<String, (String, usize)> {
    let mut locations = BTreeMap::new();
    let mut looked_up = std::collections::HashSet::new();
    for subject in findings.iter().map(|f| f.subject.as_str()) {
        if !looked_up.insert(subject) {
            continue;
        }
        let Some(node) = graph.node_by_str(subject) else {
            continue;
        };
        let id = subject.to_string();
        if let Some(manifest) = graph.manifest(node) {
            locations.insert(id, (manifest.file.clone(), manifest.line));
            continue;
        }
        // A dataset is best shown where it is declared as an output, else where it is read.
        let first = [Direction::Incoming, Direction::Outgoing]
            .into_iter()
            .flat_map(|d| graph.neighbours(node, d))
            .flat_map(|(edge, _)| graph.graph[edge].declared.iter())
            .min_by_key(|d| (d.key != crate::graph::DeclaredAs::Outputs, &d.file, d.line));
        if let Some(declaration) = first {
            locations.insert(id, (declaration.file.clone(), declaration.line));
        }
    }
    locations
}
