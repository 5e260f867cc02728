//! Ingest: finds a deployment's files and turns them into facts with source locations:
//! the manifests, and the observed (principal, resource, action) edges of the logs.

pub mod bigquery;
pub mod cache;
pub mod csv_log;
pub mod dbt;
pub mod digest;
pub mod edge_blob;
mod edges;
pub mod flat_json;
pub mod manifest;
pub mod mlflow;
pub mod model_card;
pub mod ndjson;
pub mod openlineage;
pub mod pgaudit;
pub mod pipeline;
pub mod regex_log;
pub mod s3_access;
pub mod sql;
pub mod sql_file;
pub mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::config::{FieldMap, Settings, SourceFormat};
use crate::time::Timestamp;
pub use digest::FileDigest;
pub use edges::{Observation, ObservedEdges};
pub use manifest::{Entry, Manifest, ManifestError};

/// A skipped log line: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Malformed {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct LogStats {
    /// Well-formed records, including those outside the time window.
    pub records: u64,
    pub malformed: u64,
    pub outside_window: u64,
    /// Records whose action the field mapping says to ignore.
    pub ignored: u64,
    /// The first malformed lines, sorted by file and line.
    pub samples: Vec<Malformed>,
}

/// Each file keeps this many malformed-record samples; the rest are only counted.
pub const SAMPLES_PER_FILE: usize = 10;

impl LogStats {
    /// Counts a malformed record and keeps it as a sample (see `keep_sample`).
    pub fn malformed_at(&mut self, file: &str, line: u64, reason: String) {
        self.malformed += 1;
        self.keep_sample(file, line, reason);
    }

    /// Keeps a malformed record as a sample while its file has fewer than
    /// `SAMPLES_PER_FILE`. A file is read whole before the next, so its samples are the
    /// last ones.
    pub fn keep_sample(&mut self, file: &str, line: u64, reason: String) {
        let kept = self
            .samples
            .iter()
            .rev()
            .take_while(|m| m.file == file)
            .count();
        if kept < SAMPLES_PER_FILE {
            self.samples.push(Malformed {
                file: file.to_string(),
                line,
                reason,
            });
        }
    }
    /// Keeps the first `SAMPLES_PER_FILE` samples of one file's stats, by line.
    pub fn trim_samples(&mut self) {
        self.samples.sort();
        self.samples.truncate(SAMPLES_PER_FILE);
    }

    fn absorb(&mut self, other: LogStats) {
        self.records += other.records;
        self.malformed += other.malformed;
        self.outside_window += other.outside_window;
        self.ignored += other.ignored;
        self.samples.extend(other.samples);
    }
}

/// Everything read from a deployment.
#[derive(Debug, Default)]
pub struct Facts {
    pub manifests: Vec<Manifest>,
    pub manifest_files: Vec<String>,
    /// Log files as shown to users; `Observation::file` indexes this list.
    pub log_files: Vec<String>,
    /// Every distinct observed edge, flushed (`ObservedEdges::by_ids` can read it).
    pub observed: ObservedEdges,
    pub stats: LogStats,
    /// Files passed over, and why (for example YAML that does not parse and is no manifest).
    pub skipped: Vec<(String, String)>,
    /// Every file read (manifests and logs), sorted by path, with its size and content hash.
    pub inputs: Vec<InputFile>,
    /// Entities known from the files themselves (an OpenLineage job) that no manifest
    /// declares: they become nodes, and a principal spelled as their id maps to them.
    pub entities: Vec<crate::node::NodeId>,
    /// What this scan read from each line log, for the next scan (`cache.rs`); only the
    /// files read now, not those taken whole from the cache.
    pub reads: Vec<cache::CachedRead>,
    /// Line logs taken whole from the cache / read on from where they ended / read whole.
    pub reuse: ReuseCounts,
    /// What this scan parsed of manifest files, for the next scan's manifest cache; only the
    /// files parsed now, not those taken from the cache.
    pub manifest_reads: Vec<cache::CachedManifest>,
    /// Manifest files taken from the cache / parsed.
    pub manifest_reuse: ManifestReuse,
    /// Every file read as a possible manifest, whatever it gave: the manifest cache keeps
    /// these files' rows and forgets the others'.
    pub manifest_paths: Vec<String>,
    /// Files and folders that could not be read (permissions, broken or looping symbolic
    /// links), with why; each is also in `skipped`. `--strict` makes them an error.
    pub unreadable: Vec<(String, String)>,
}

impl Facts {
    /// Adds what `other` read after what this read: lists one after the other, and `other`'s
    /// logs, edges and reuse counts when this read no logs (one part of a scan reads them).
    fn append(&mut self, other: Facts) {
        let Facts {
            manifests,
            manifest_files,
            log_files,
            observed,
            stats,
            skipped,
            inputs,
            entities,
            reads,
            reuse,
            manifest_reads,
            manifest_reuse,
            manifest_paths,
            unreadable,
        } = other;
        self.manifests.extend(manifests);
        self.manifest_files.extend(manifest_files);
        self.skipped.extend(skipped);
        self.inputs.extend(inputs);
        self.entities.extend(entities);
        self.reads.extend(reads);
        self.manifest_reads.extend(manifest_reads);
        self.manifest_reuse.unchanged += manifest_reuse.unchanged;
        self.manifest_reuse.parsed += manifest_reuse.parsed;
        self.manifest_paths.extend(manifest_paths);
        self.unreadable.extend(unreadable);
        // Only the part that read the logs has logs, edges and reuse counts.
        if self.log_files.is_empty() && self.observed.is_empty() {
            self.log_files = log_files;
            self.observed = observed;
            self.reuse = reuse;
        } else {
            debug_assert!(
                log_files.is_empty() && observed.is_empty(),
                "two parts read logs"
            );
        }
        self.stats.absorb(stats);
    }

    /// Notes a file or folder that cannot be read; the scan goes on without it.
    fn unreadable(&mut self, path: &str, error: &std::io::Error) {
        self.passed_over(path, format!("cannot read: {error}"));
    }

    fn passed_over(&mut self, path: &str, reason: String) {
        self.skipped.push((path.to_string(), reason.clone()));
        self.unreadable.push((path.to_string(), reason));
    }
}

/// How many line logs a scan took from the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReuseCounts {
    pub unchanged: usize,
    pub appended: usize,
    pub read: usize,
}

/// How many manifest files a scan took from the cache, and how many it parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ManifestReuse {
    pub unchanged: usize,
    pub parsed: usize,
}

/// An input file, relative to the deployment root, and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: String,
    pub digest: FileDigest,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{root}: not a folder (lintage scans a deployment folder; give the folder that holds the manifests and logs)"
    )]
    NotAFolder { root: String },
    #[error("{count} malformed log line(s); the first is {first}")]
    Strict { count: u64, first: String },
    #[error("{count} file(s) or folder(s) cannot be read; the first is {path}: {reason}")]
    StrictUnreadable {
        count: usize,
        path: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileRole {
    Manifest,
    Log,
    /// Recognised by its content: see `detect`.
    Detected(Detected),
}

/// Formats recognised by content, with no configuration (SPEC.md, "Discovery").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
    OpenLineage,
    Dbt,
    ModelCard,
    MlModel,
    S3Access,
    BigQuery,
    PgAudit,
    Regex,
    Csv,
    SqlFile,
}

impl Detected {
    /// Whether the format is read line by line on every core (src/ingest/pipeline.rs).
    fn is_line_log(self) -> bool {
        matches!(
            self,
            Detected::S3Access | Detected::PgAudit | Detected::Regex | Detected::Csv
        )
    }

    /// Whether the format declares entities (a manifest of another system) rather than
    /// recording what was observed.
    fn declares(self) -> bool {
        matches!(
            self,
            Detected::Dbt | Detected::ModelCard | Detected::MlModel | Detected::SqlFile
        )
    }
}

/// A file found under the deployment root.
#[derive(Debug, Clone)]
struct Found {
    path: PathBuf,
    display: String,
    role: FileRole,
    fields: Option<FieldMap>,
    /// Named explicitly by a `[[sources]]` entry: every document must be a manifest.
    explicit: bool,
    /// The line format of a `format = "regex"` source.
    line_format: Option<regex_log::LineFormat>,
}

/// Reads the deployment under `root`.
pub fn ingest(root: &Path, settings: &Settings, strict: bool) -> Result<Facts, IngestError> {
    let caches = Caches {
        reads: cache::ReadCache::default,
        manifests: cache::ManifestCache::default,
    };
    ingest_with_cache(root, settings, strict, caches, None)
}

/// Where a scan gets what earlier scans read: each loader runs on the thread that needs it,
/// `reads` (line logs) beside the manifests, `manifests` beside the logs.
pub struct Caches<R, M> {
    pub reads: R,
    pub manifests: M,
}

/// Reads the deployment under `root`, reusing what earlier scans read where the files are
/// unchanged or only grew (line logs) or are byte for byte the same (manifests).
pub fn ingest_with_cache<R, M>(
    root: &Path,
    settings: &Settings,
    strict: bool,
    caches: Caches<R, M>,
    progress: Option<&pipeline::Progress>,
) -> Result<Facts, IngestError>
where
    R: FnOnce() -> cache::ReadCache,
    M: FnOnce() -> cache::ManifestCache + Send,
{
    if !root.is_dir() {
        return Err(IngestError::NotAFolder {
            root: root.display().to_string(),
        });
    }
    let mut facts = Facts::default();
    let found = discover(root, settings, &mut facts)?;
    crate::timings::phase("discover");
    let Caches {
        reads: load_reads,
        manifests: load_manifests,
    } = caches;
    let (manifests, logs) = std::thread::scope(|scope| {
        // On a thread of their own unless one thread is all there is to be (or the system
        // refuses one): then one after the other, as `LINTAGE_THREADS=1` asks.
        let found = &found;
        let mut load_manifests = Some(load_manifests);
        let beside = (crate::threads::count() > 1)
            .then(|| {
                let load = load_manifests.take()?;
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || read_manifest_files(found, load()))
                    .ok()
            })
            .flatten();
        let manifests_first = load_manifests
            .take()
            .map(|load| read_manifest_files(found, load()));
        let mut logs = Facts::default();
        let read = read_logs(found, settings, load_reads, progress, &mut logs);
        let manifests = match (beside, manifests_first) {
            (Some(thread), _) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            (None, Some(first)) => first,
            // The thread took the loader and then could not be spawned.
            (None, None) => read_manifest_files(found, cache::ManifestCache::default()),
        };
        (manifests, read.map(|()| logs))
    });
    // In the order they were once read one after the other: what discovery noted, the
    // manifests, the logs.
    facts.append(manifests?);
    facts.append(logs?);
    crate::timings::phase("manifests and logs");
    facts.inputs.sort_by(|a, b| a.path.cmp(&b.path));
    facts.stats.samples.sort();
    if strict && let Some((path, reason)) = facts.unreadable.first() {
        return Err(IngestError::StrictUnreadable {
            count: facts.unreadable.len(),
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    if strict && facts.stats.malformed > 0 {
        let first = facts
            .stats
            .samples
            .first()
            .map(|m| format!("{}:{}: {}", m.file, m.line, m.reason))
            .unwrap_or_default();
        return Err(IngestError::Strict {
            count: facts.stats.malformed,
            first,
        });
    }
    Ok(facts)
}

/// The native manifests among `found`, in path order, each taken from `cache` when its bytes
/// are those parsed then.
fn read_manifest_files(
    found: &[Found],
    mut cache: cache::ManifestCache,
) -> Result<Facts, IngestError> {
    let mut facts = Facts::default();
    for file in found.iter().filter(|f| f.role == FileRole::Manifest) {
        read_manifest_file(file, &mut cache, &mut facts)?;
    }
    Ok(facts)
}

/// The logs among `found` (and the files of other formats, which declare or log), into
/// `facts`.
fn read_logs(
    found: &[Found],
    settings: &Settings,
    load_cache: impl FnOnce() -> cache::ReadCache,
    progress: Option<&pipeline::Progress>,
    facts: &mut Facts,
) -> Result<(), IngestError> {
    // Native logs first, then the logs of other formats, each in path order.
    let logs: Vec<&Found> = found
        .iter()
        .filter(|f| f.role == FileRole::Log)
        .chain(found.iter().filter(|f| match f.role {
            FileRole::Detected(format) => !format.declares(),
            _ => false,
        }))
        .collect();
    facts.log_files = logs.iter().map(|f| f.display.clone()).collect();
    let mut edges = ObservedEdges::default();
    let cache = load_cache();
    let mut stats = read_line_logs(&logs, settings, cache, progress, facts, &mut edges)?;
    stats.absorb(read_detected(found, &logs, settings, facts, &mut edges)?);
    facts.stats = stats;
    edges.flush();
    facts.observed = edges;
    Ok(())
}

/// Reads the files whose format was recognised by content and that are not line logs.
fn read_detected(
    found: &[Found],
    logs: &[&Found],
    settings: &Settings,
    facts: &mut Facts,
    edges: &mut ObservedEdges,
) -> Result<LogStats, IngestError> {
    // Malformed lines of the line formats (and broken gzip streams of any).
    let mut format_stats = LogStats::default();
    let mut reader = openlineage::Reader::default();
    let window = settings.window();
    let mut first_declared: HashMap<crate::node::NodeId, String> = HashMap::new();
    // In path order, so that "the first file" means the same on every run.
    for file in found {
        let FileRole::Detected(format) = file.role else {
            continue;
        };
        if format.declares() {
            read_declaring(file, format, settings, facts, &mut first_declared)?;
            continue;
        }
        if format.is_line_log() {
            continue;
        }
        let Some(index) = logs.iter().position(|l| l.display == file.display) else {
            continue;
        };
        let (digest, bytes) = match read_log_input(file, &mut format_stats) {
            Ok(read) => read,
            Err(error) => {
                facts.unreadable(&file.display, &error);
                continue;
            }
        };
        facts.inputs.push(InputFile {
            path: file.display.clone(),
            digest,
        });
        let display = &file.display;
        let stats = &mut format_stats;
        match format {
            Detected::OpenLineage => {
                reader.read(&String::from_utf8_lossy(&bytes), index, display, &window)
            }
            Detected::BigQuery => {
                let text = String::from_utf8_lossy(&bytes);
                bigquery::read(&text, index, display, window, edges, stats)
            }
            Detected::Dbt
            | Detected::ModelCard
            | Detected::MlModel
            | Detected::SqlFile
            | Detected::S3Access
            | Detected::PgAudit
            | Detected::Regex
            | Detected::Csv => {}
        }
    }
    let (ol_edges, manifests, jobs, mut stats) = reader.finish();
    stats.absorb(format_stats);
    edges.merge_from(ol_edges);
    let declared: std::collections::HashSet<_> = manifests.iter().map(Manifest::id).collect();
    for file in manifests.iter().map(|m| &m.file) {
        if !facts.manifest_files.contains(file) {
            facts.manifest_files.push(file.clone());
        }
    }
    facts.manifests.extend(manifests);
    facts
        .entities
        .extend(jobs.into_iter().filter(|j| !declared.contains(j)));
    Ok(stats)
}

/// A pgaudit file that is no server log (`*.log`) is a psql transcript: see `pgaudit.rs`.
fn pgaudit_transcript(file: &Found) -> Option<pgaudit::Transcript> {
    let lower = file.display.to_ascii_lowercase();
    if lower
        .strip_suffix(".gz")
        .unwrap_or(&lower)
        .ends_with(".log")
    {
        return None;
    }
    let modified = std::fs::metadata(&file.path)
        .and_then(|m| m.modified())
        .ok();
    let time = modified.and_then(Timestamp::of_system_time)?;
    Some(pgaudit::Transcript::new(&file.display, time))
}

/// Reads a file of a format that declares entities: a dbt manifest, a model card, an MLmodel,
/// a SQL file. A file that cannot be read is noted as skipped, with its line, and the scan
/// goes on.
fn read_declaring(
    file: &Found,
    format: Detected,
    settings: &Settings,
    facts: &mut Facts,
    first_declared: &mut HashMap<crate::node::NodeId, String>,
) -> Result<(), IngestError> {
    let bytes = match std::fs::read(&file.path) {
        Ok(bytes) => bytes,
        Err(error) => {
            facts.unreadable(&file.display, &error);
            return Ok(());
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let read = match format {
        Detected::Dbt => dbt::read(&text, &file.display),
        Detected::ModelCard => {
            model_card::read(&text, &file.display).map(|m| m.into_iter().collect())
        }
        Detected::MlModel => mlflow::read(&file.path, &text, &file.display).map(|m| vec![m]),
        Detected::SqlFile => {
            let read = sql_file::read(&text, &file.display, settings.sql_dialect);
            for reason in read.skipped {
                let reason = format!("statement passed over: {reason}");
                facts.skipped.push((file.display.clone(), reason));
            }
            Ok(read.job.into_iter().collect())
        }
        _ => Ok(Vec::new()),
    };
    let manifests = match read {
        Ok(manifests) if manifests.is_empty() => return Ok(()),
        Ok(manifests) => manifests,
        Err(reason) => {
            facts.skipped.push((file.display.clone(), reason));
            return Ok(());
        }
    };
    facts.inputs.push(InputFile {
        path: file.display.clone(),
        digest: FileDigest::of_bytes(&bytes),
    });
    facts.manifest_files.push(file.display.clone());
    let mut again = 0usize;
    for manifest in manifests {
        // Two manifest.json of one project (an old copy kept beside the new one) declare the
        // same relations, two folders may hold a `load.sql`: the first file in path order wins.
        if matches!(format, Detected::Dbt | Detected::SqlFile) {
            if first_declared.contains_key(&manifest.id()) {
                again += 1;
                continue;
            }
            first_declared.insert(manifest.id(), file.display.clone());
        }
        facts.manifests.push(manifest);
    }
    if again > 0 {
        let what = match format {
            Detected::SqlFile => "job already declared by an earlier SQL file of the same name",
            _ => "dbt node(s) already declared by an earlier dbt manifest",
        };
        facts.skipped.push((
            file.display.clone(),
            format!("{again} {what}; the first is kept"),
        ));
    }
    Ok(())
}

fn read_manifest_file(
    file: &Found,
    cache: &mut cache::ManifestCache,
    facts: &mut Facts,
) -> Result<(), IngestError> {
    let bytes = match std::fs::read(&file.path) {
        Ok(bytes) => bytes,
        Err(error) => {
            facts.unreadable(&file.display, &error);
            return Ok(());
        }
    };
    let digest = FileDigest::of_bytes(&bytes);
    facts.manifest_paths.push(file.display.clone());
    let settings = cache::ManifestCache::settings(file.explicit);
    let outcome = match cache.take(&file.display, &settings, &digest.hash) {
        Some(outcome) => {
            facts.manifest_reuse.unchanged += 1;
            outcome
        }
        None => {
            let outcome = parse_manifest_file(file, bytes)?;
            facts.manifest_reuse.parsed += 1;
            facts.manifest_reads.push(cache::CachedManifest {
                path: file.display.clone(),
                settings,
                content_hash: digest.hash.clone(),
                outcome: outcome.clone(),
            });
            outcome
        }
    };
    match outcome {
        cache::ManifestOutcome::Manifests(manifests) => {
            facts.manifests.extend(manifests);
            facts.manifest_files.push(file.display.clone());
            facts.inputs.push(InputFile {
                path: file.display.clone(),
                digest,
            });
        }
        cache::ManifestOutcome::NotManifest => {}
        cache::ManifestOutcome::Skipped(reason) => {
            facts.skipped.push((file.display.clone(), reason));
        }
    }
    Ok(())
}

/// Parses one manifest file. Text that is no manifest is passed over; a broken file that
/// was meant to be one (named by a `[[sources]]` entry, or naming an entity kind) is an error.
fn parse_manifest_file(
    file: &Found,
    bytes: Vec<u8>,
) -> Result<cache::ManifestOutcome, IngestError> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let message = "not valid UTF-8 text".to_string();
            if file.explicit || mentions_entity_kind(&String::from_utf8_lossy(e.as_bytes())) {
                let file = file.display.clone();
                return Err(ManifestError {
                    file,
                    line,
                    message,
                }
                .into());
            }
            return Ok(cache::ManifestOutcome::Skipped(format!(
                "line {line}: {message}"
            )));
        }
    };
    // A file named by a `[[sources]]` entry may have any name; YAML reads JSON too.
    let syntax = manifest::Syntax::from_path(&file.display).unwrap_or(manifest::Syntax::Yaml);
    let docs = match manifest::parse_documents(&file.display, &text, syntax) {
        Ok(docs) => docs,
        Err(e) if file.explicit || mentions_entity_kind(&text) => return Err(e.into()),
        Err(e) => return Ok(cache::ManifestOutcome::Skipped(e.message)),
    };
    if !file.explicit && !docs.iter().any(manifest::looks_like_manifest) {
        return Ok(cache::ManifestOutcome::NotManifest);
    }
    let manifests = docs
        .iter()
        .map(|doc| manifest::from_tree(&file.display, doc))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cache::ManifestOutcome::Manifests(manifests))
}

/// Whether text that failed to parse was meant to be a manifest.
fn mentions_entity_kind(text: &str) -> bool {
    static PATTERN: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r#"["']?\bkind["']?\s*[:=]\s*["']?(model|job|service)\b"#).ok())
        .as_ref()
        .is_some_and(|re| re.is_match(text))
}

/// Reads the line logs among `logs` (native NDJSON, S3 access, pgaudit, regex) on every
/// core (see `pipeline.rs`), taking from `cache` what earlier scans read of unchanged files
/// and reading grown files from where they ended.
fn read_line_logs(
    logs: &[&Found],
    settings: &Settings,
    mut cache: cache::ReadCache,
    progress: Option<&pipeline::Progress>,
    facts: &mut Facts,
    edges: &mut ObservedEdges,
) -> Result<LogStats, IngestError> {
    let window = settings.window();
    let mut line_logs = Vec::new();
    // (settings key, file state, the cached read it goes on from)
    let mut context = Vec::new();
    let mut stats = LogStats::default();
    for (index, file) in logs.iter().enumerate() {
        let fields = file.fields.as_ref().unwrap_or(&settings.fields);
        let format = match file.role {
            FileRole::Log => pipeline::LineFormat::Native {
                options: ndjson::LogOptions {
                    sql_dialect: settings.sql_dialect,
                    fields,
                    window,
                },
            },
            FileRole::Detected(Detected::S3Access) => pipeline::LineFormat::S3 { window },
            FileRole::Detected(Detected::PgAudit) => pipeline::LineFormat::PgAudit {
                window,
                transcript: pgaudit_transcript(file),
            },
            FileRole::Detected(Detected::Regex) => match &file.line_format {
                Some(format) => pipeline::LineFormat::Regex {
                    format,
                    fields,
                    window,
                },
                None => continue,
            },
            FileRole::Detected(Detected::Csv) => pipeline::LineFormat::Csv {
                columns: head(&file.path)
                    .map(|text| csv_log::header(&text, fields))
                    .unwrap_or(Ok(None)),
                fields,
                sql_dialect: settings.sql_dialect,
                window,
            },
            _ => continue,
        };
        let gz = file.display.to_ascii_lowercase().ends_with(".gz");
        let key = format!(
            "{:032x}",
            xxhash_rust::xxh3::xxh3_128(
                format!("{}|{format:?}", env!("CARGO_PKG_VERSION")).as_bytes()
            )
        );
        let state = match cache::FileState::of(&file.path) {
            Ok(state) => state,
            Err(error) => {
                facts.unreadable(&file.display, &error);
                continue;
            }
        };
        let reuse = cache.reuse(&file.display, &key, &state, gz);
        let cached = match reuse {
            cache::Reuse::Whole | cache::Reuse::Append => cache.files.remove(&file.display),
            cache::Reuse::None => None,
        };
        let before = match (reuse, cached) {
            (cache::Reuse::Whole, Some(cached)) => {
                // A blob that does not decode is no cache: the file is read whole.
                if let Some(cached_edges) = cached.edges_of(index) {
                    stats.absorb(cached.stats);
                    facts.inputs.push(InputFile {
                        path: file.display.clone(),
                        digest: cached.digest,
                    });
                    facts.reuse.unchanged += 1;
                    edges.merge_from(cached_edges);
                    continue;
                }
                None
            }
            (cache::Reuse::Append, cached) => cached,
            _ => None,
        };
        let resume = before.as_ref().map(|c| c.end);
        line_logs.push(pipeline::LineLog {
            path: file.path.clone(),
            display: file.display.clone(),
            index,
            format,
            gz,
            resume,
        });
        context.push((key, state, before));
    }
    // The cached edges of grown files are decoded while their new lines are read.
    let decode_all = || {
        context
            .iter()
            .zip(&line_logs)
            .map(|((_, _, before), log)| before.as_ref().map(|b| b.edges_of(log.index)))
            .collect::<Vec<_>>()
    };
    let any_before = context.iter().any(|(_, _, before)| before.is_some());
    let (mut reads, mut decoded) = std::thread::scope(|scope| {
        let beside = (crate::threads::count() > 1 && any_before)
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, decode_all)
                    .ok()
            })
            .flatten();
        let reads = pipeline::read(&line_logs, progress);
        let decoded = match beside {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => decode_all(),
        };
        (reads, decoded)
    });
    // A grown file whose cached edges do not decode is read again, whole.
    let damaged: Vec<usize> = decoded
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d, Some(None)))
        .map(|(i, _)| i)
        .collect();
    if !damaged.is_empty() {
        let again: Vec<pipeline::LineLog> = damaged
            .iter()
            .map(|&i| pipeline::LineLog {
                resume: None,
                ..line_logs[i].clone()
            })
            .collect();
        for (&i, read) in damaged.iter().zip(pipeline::read(&again, progress)) {
            reads[i] = read;
            context[i].2 = None;
            decoded[i] = None;
        }
    }
    for (((log, read), (key, state, before)), decoded) in
        line_logs.iter().zip(reads).zip(context).zip(decoded)
    {
        let mut read = match read {
            Ok(read) => read,
            Err(error) => {
                facts.unreadable(&log.display, &error);
                continue;
            }
        };
        if let (Some(before), Some(Some(mut all))) = (before, decoded) {
            // Appended: what was read before, and the new lines (merged into the larger).
            if all.len() < read.edges.len() {
                std::mem::swap(&mut all, &mut read.edges);
            }
            all.merge_from(std::mem::take(&mut read.edges));
            read.edges = all;
            read.stats.absorb(before.stats);
            read.stats.trim_samples();
            facts.reuse.appended += 1;
        } else {
            facts.reuse.read += 1;
        }
        if let Some(end) = read.end {
            facts.reads.push(cache::CachedRead::new(
                &log.display,
                key,
                state,
                end,
                read.digest.clone(),
                read.stats.clone(),
                &read.edges,
            ));
        }
        facts.inputs.push(InputFile {
            path: log.display.clone(),
            digest: read.digest,
        });
        edges.merge_from(read.edges);
        stats.absorb(read.stats);
    }
    Ok(stats)
}

/// A psql transcript (`*.out`, as pg_regress keeps them): read when it holds pgaudit lines.
fn is_transcript(display: &str) -> bool {
    let lower = display.to_ascii_lowercase();
    lower
        .strip_suffix(".gz")
        .unwrap_or(&lower)
        .ends_with(".out")
}

const LOG_SUFFIXES: [&str; 3] = [".jsonl", ".ndjson", ".log"];
const MANIFEST_SUFFIXES: [&str; 4] = [".yaml", ".yml", ".json", ".toml"];

fn role_by_name(name: &str) -> Option<FileRole> {
    let lower = name.to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    if LOG_SUFFIXES.iter().any(|s| base.ends_with(s)) {
        Some(FileRole::Log)
    } else if lower == base && MANIFEST_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        Some(FileRole::Manifest)
    } else {
        None
    }
}

/// The format of a `.json`, `.jsonl` or `.ndjson` file that its first bytes show to be
/// something other than a native manifest or log.
fn detect(path: &Path, display: &str, role: FileRole) -> Option<Detected> {
    let lower = display.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    if role == FileRole::Log && lower.ends_with(".log") {
        let head = head(path)?;
        return if s3_access::sniff(&head) {
            Some(Detected::S3Access)
        } else {
            pgaudit::sniff(&head).then_some(Detected::PgAudit)
        };
    }
    let candidate = match role {
        FileRole::Manifest => lower.ends_with(".json"),
        FileRole::Log => lower.ends_with(".jsonl") || lower.ends_with(".ndjson"),
        FileRole::Detected(_) => false,
    };
    if !candidate {
        return None;
    }
    let head = head(path)?;
    if role == FileRole::Manifest && dbt::sniff(&head) {
        Some(Detected::Dbt)
    } else if bigquery::sniff(&head) {
        Some(Detected::BigQuery)
    } else {
        openlineage::sniff(&head).then_some(Detected::OpenLineage)
    }
}

/// The first 8 KiB of a file (decompressed when its name ends in `.gz`), as text.
fn head(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(8192);
    let file = std::fs::File::open(path).ok()?;
    let gz = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    if gz {
        // A stream that breaks off early still shows its start.
        let _ = flate2::read::MultiGzDecoder::new(file)
            .take(8192)
            .read_to_end(&mut head);
    } else {
        file.take(8192).read_to_end(&mut head).ok()?;
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// A log-like file of a detected format: the digest of its bytes as stored, and its content,
/// decompressed when its name ends in `.gz`. A gzip stream that breaks off keeps what was
/// read and counts the break as malformed.
fn read_log_input(file: &Found, stats: &mut LogStats) -> std::io::Result<(FileDigest, Vec<u8>)> {
    use std::io::Read;
    let bytes = std::fs::read(&file.path)?;
    let digest = FileDigest::of_bytes(&bytes);
    if !file.display.to_ascii_lowercase().ends_with(".gz") {
        return Ok((digest, bytes));
    }
    let mut text = Vec::new();
    if let Err(e) = flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut text) {
        let line = text.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        stats.malformed += 1;
        stats.samples.push(Malformed {
            file: file.display.clone(),
            line,
            reason: format!("the gzip stream breaks off: {e}"),
        });
    }
    Ok((digest, text))
}

/// Lists the files to ingest, sorted by their path relative to the root.
fn discover(
    root: &Path,
    settings: &Settings,
    facts: &mut Facts,
) -> Result<Vec<Found>, IngestError> {
    let mut files = Vec::new();
    walk(root, &mut files, facts)?;
    files.sort();
    let mut found = Vec::new();
    for (display, path) in files {
        if display == crate::config::CONFIG_FILE {
            continue;
        }
        if settings
            .exclude
            .as_ref()
            .is_some_and(|set| set.is_match(&display))
        {
            continue;
        }
        if settings.sources.is_empty() {
            if display.to_ascii_lowercase().ends_with(".md") {
                if head(&path).is_some_and(|h| model_card::sniff(&h)) {
                    found.push(Found {
                        path,
                        display,
                        role: FileRole::Detected(Detected::ModelCard),
                        fields: None,
                        explicit: false,
                        line_format: None,
                    });
                }
            } else if mlflow::is_mlmodel(&display) || sql_file::is_sql_file(&display) {
                let format = if sql_file::is_sql_file(&display) {
                    Detected::SqlFile
                } else {
                    Detected::MlModel
                };
                found.push(Found {
                    path,
                    display,
                    role: FileRole::Detected(format),
                    fields: None,
                    explicit: false,
                    line_format: None,
                });
            } else if is_transcript(&display) {
                if head(&path).is_some_and(|h| pgaudit::sniff(&h)) {
                    found.push(Found {
                        path,
                        display,
                        role: FileRole::Detected(Detected::PgAudit),
                        fields: None,
                        explicit: false,
                        line_format: None,
                    });
                }
            } else if let Some(role) = role_by_name(&display) {
                let role = match detect(&path, &display, role) {
                    Some(format) => FileRole::Detected(format),
                    None => role,
                };
                found.push(Found {
                    path,
                    display,
                    role,
                    fields: None,
                    explicit: false,
                    line_format: None,
                });
            }
        } else if let Some(source) = settings.sources.iter().find(|s| s.glob.is_match(&display)) {
            let role = match source.format {
                SourceFormat::Manifest => FileRole::Manifest,
                SourceFormat::Ndjson => FileRole::Log,
                SourceFormat::OpenLineage => FileRole::Detected(Detected::OpenLineage),
                SourceFormat::Dbt => FileRole::Detected(Detected::Dbt),
                SourceFormat::ModelCard => FileRole::Detected(Detected::ModelCard),
                SourceFormat::Mlmodel => FileRole::Detected(Detected::MlModel),
                SourceFormat::S3Access => FileRole::Detected(Detected::S3Access),
                SourceFormat::Bigquery => FileRole::Detected(Detected::BigQuery),
                SourceFormat::Pgaudit => FileRole::Detected(Detected::PgAudit),
                SourceFormat::Regex => FileRole::Detected(Detected::Regex),
                SourceFormat::Csv => FileRole::Detected(Detected::Csv),
                SourceFormat::Sql => FileRole::Detected(Detected::SqlFile),
            };
            found.push(Found {
                path,
                display,
                role,
                fields: Some(source.fields.clone()),
                explicit: true,
                line_format: source.line_format.clone(),
            });
        }
    }
    Ok(found)
}

/// Collects files below `root`, skipping hidden folders and never following linked folders
/// (which could loop). A folder below the root that cannot be listed, and a link that leads
/// nowhere or in a circle, is noted in `facts` and passed over. Depth first in name order,
/// with a stack of open listings instead of recursion, so that a deep folder tree cannot
/// exhaust the thread's stack.
fn walk(
    root: &Path,
    out: &mut Vec<(String, PathBuf)>,
    facts: &mut Facts,
) -> Result<(), IngestError> {
    let display = |path: &Path| {
        let relative = path.strip_prefix(root).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut open: Vec<std::vec::IntoIter<std::fs::DirEntry>> = Vec::new();
    let mut next_dir = Some(root.to_path_buf());
    loop {
        if let Some(dir) = next_dir.take() {
            match std::fs::read_dir(&dir) {
                Ok(listing) => {
                    let mut entries: Vec<_> = listing.filter_map(Result::ok).collect();
                    entries.sort_by_key(|e| e.file_name());
                    open.push(entries.into_iter());
                }
                Err(source) if dir == root => {
                    return Err(IngestError::Io {
                        path: dir.display().to_string(),
                        source,
                    });
                }
                Err(error) => facts.unreadable(&format!("{}/", display(&dir)), &error),
            }
        }
        let Some(listing) = open.last_mut() else {
            break;
        };
        let Some(entry) = listing.next() else {
            open.pop();
            continue;
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if !name.starts_with('.') {
                next_dir = Some(path);
            }
        } else if file_type.is_file() {
            out.push((display(&path), path));
        } else if file_type.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(target) if target.is_file() => out.push((display(&path), path)),
                Ok(_) => {}
                Err(error) => facts.passed_over(
                    &display(&path),
                    format!("cannot follow the symbolic link: {error}"),
                ),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_classified_by_name() {
        assert_eq!(role_by_name("logs/a.jsonl.gz"), Some(FileRole::Log));
        assert_eq!(role_by_name("logs/a.LOG"), Some(FileRole::Log));
        assert_eq!(role_by_name("m/a.yml"), Some(FileRole::Manifest));
        assert_eq!(role_by_name("m/a.json.gz"), None);
        assert_eq!(role_by_name("README.md"), None);
    }
}
