//! Options shared by the commands that scan a deployment and print findings, and the steps
//! they share: analyse, record a snapshot, render.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{CliError, ColorChoice, FailOn, use_color};
use lintage::finding::Severity;
use lintage::pipeline::{self, Analysis, CacheRows, ScanOptions};
use lintage::report::{self, ScanReport};
use lintage::store::{SnapshotInput, Store};
use lintage::time::Timestamp;

/// Where snapshots live unless `--db` says otherwise.
pub const DEFAULT_DB: &str = ".lintage/lintage.db";

#[derive(Debug, Args)]
pub struct InputArgs {
    /// The deployment folder: manifests and logs anywhere below it.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Treat malformed log lines as an error (exit 2) instead of skipping them.
    #[arg(long)]
    pub strict: bool,
    /// Only log records at or after this time (RFC 3339 or YYYY-MM-DD); overrides lintage.toml.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<Timestamp>,
    /// Only log records before this time (RFC 3339 or YYYY-MM-DD); overrides lintage.toml.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Timestamp>,
    /// No progress bar and no notes on stderr (warnings and errors still print).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The snapshot database.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Do not record a snapshot of this run.
    #[arg(long)]
    pub no_store: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    Text,
    Json,
    Sarif,
    Github,
    Junit,
    Markdown,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
    pub format: FindingsFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a (new) finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_bound(text)
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 date-time or a YYYY-MM-DD date"))
}

pub fn analyze(input: &InputArgs) -> Result<Analysis, CliError> {
    let options = ScanOptions {
        strict: input.strict,
        since: input.since,
        until: input.until,
        progress: None,
    };
    Ok(pipeline::analyze(&input.dir, &options)?)
}

/// What the early cache write gives back: the store it wrote through (or why it could not be
/// opened), and whether the caches were written.
type CachesWritten = (Result<Store, CliError>, Result<(), CliError>);

/// The caches being written on a thread of their own while the graph is built and the rules
/// run. Dropped unfinished (the command failed before recording), it still waits for the
/// write, so that the process never ends in the middle of it.
pub struct CacheWrite(Option<std::thread::JoinHandle<CachesWritten>>);

impl CacheWrite {
    /// What the write gave, once it is done.
    fn finish(mut self) -> Option<CachesWritten> {
        self.0.take().map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for CacheWrite {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// `analyze`, reusing the caches of the snapshot database (unless `--no-store`): line logs
/// that did not change since the last scan of this deployment are not read again, logs that
/// grew are read from where they ended, and manifest files whose bytes did not change are not
/// parsed again. A database that cannot be read only costs the speed-up.
///
/// When the database exists, the caches' new rows are written as soon as the files are read,
/// beside the rest of the analysis; `record` then takes the store from that write. (A first
/// scan writes them with its snapshot, so that a scan that fails before recording leaves no
/// database behind.)
pub fn analyze_cached(
    input: &InputArgs,
    store: &StoreArgs,
) -> Result<(Analysis, Option<CacheWrite>), CliError> {
    let progress = std::sync::Arc::new(lintage::ingest::pipeline::Progress::default());
    let options = ScanOptions {
        strict: input.strict,
        since: input.since,
        until: input.until,
        progress: Some(std::sync::Arc::clone(&progress)),
    };
    let root = root_id(&input.dir);
    let open = || (!store.no_store && store.db.is_file()).then(|| Store::open_read_only(&store.db));
    let caches = lintage::ingest::Caches {
        reads: || match open() {
            Some(db) => db
                .and_then(|db| db.load_read_cache(&root))
                .unwrap_or_default(),
            None => Default::default(),
        },
        manifests: || match open() {
            Some(db) => db
                .and_then(|db| db.load_manifest_cache(&root))
                .unwrap_or_default(),
            None => Default::default(),
        },
    };
    let mut writing = None;
    let write_early = |rows: CacheRows| {
        let early = !store.no_store && store.db.is_file() && lintage::threads::count() > 1;
        if !early {
            return Some(rows);
        }
        let (sender, receiver) = std::sync::mpsc::channel::<CacheRows>();
        let (db, root) = (store.db.clone(), root.clone());
        let spawned = std::thread::Builder::new().spawn(move || -> CachesWritten {
            let mut db = Store::open(&db).map_err(CliError::from);
            let (Ok(store), Ok(rows)) = (&mut db, receiver.recv()) else {
                return (db, Ok(()));
            };
            let saved = save_cache_rows(store, &root, &rows);
            // Only so that closing the store later has less to copy: a checkpoint that does
            // not happen now happens then.
            let _ = store.checkpoint();
            (db, saved)
        });
        let Ok(thread) = spawned else {
            return Some(rows);
        };
        match sender.send(rows) {
            Ok(()) => {
                writing = Some(CacheWrite(Some(thread)));
                None
            }
            // The thread ended before it took them: they are written with the snapshot.
            Err(std::sync::mpsc::SendError(rows)) => Some(rows),
        }
    };
    lintage::timings::phase("start");
    let bar = super::progress::Bar::start(&progress, input.quiet);
    let analysis = pipeline::analyze_with_cache(&input.dir, &options, caches, write_early);
    drop(bar);
    let analysis = analysis?;
    let (reuse, manifests) = (analysis.reuse, analysis.manifest_reuse);
    if !input.quiet && reuse.unchanged + reuse.appended + manifests.unchanged > 0 {
        let mut parts = Vec::new();
        if reuse.unchanged > 0 {
            parts.push(format!("{} unchanged", reuse.unchanged));
        }
        if reuse.appended > 0 {
            parts.push(format!("{} read from where it ended", reuse.appended));
        }
        parts.push(format!("{} read whole", reuse.read));
        eprintln!(
            "lintage: since the last scan: log files {}; manifest files {} unchanged, {} parsed (--no-store reads all)",
            parts.join(", "),
            manifests.unchanged,
            manifests.parsed
        );
    }
    Ok((analysis, writing))
}

/// Writes the caches' rows of one scan of `root`.
fn save_cache_rows(db: &mut Store, root: &str, rows: &CacheRows) -> Result<(), CliError> {
    db.save_reads(root, &rows.reads, &rows.inputs)?;
    db.save_manifests(root, &rows.manifests, &rows.manifest_paths)?;
    Ok(())
}

/// How snapshots name a deployment: its canonical absolute path.
pub fn root_id(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// How `report_and_record` orders its two writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// The snapshot is recorded while the report is written (`scan`).
    Beside,
    /// Only once the whole report is out (`check`: a check that ended in an error must never
    /// become the snapshot later checks compare with).
    After,
}

/// How a command records its snapshot.
pub struct Recorder<'a> {
    pub input: &'a InputArgs,
    pub store: &'a StoreArgs,
    /// `scan` or `check`, as the snapshot's `command` says.
    pub command: &'a str,
    pub recording: Recording,
    /// The caches' write, when `analyze_cached` began it early.
    pub caches: Option<CacheWrite>,
}

/// Writes the report and records the snapshot; returns whether the command fails (a finding
/// at or above `--fail-on`). The `-o` file is opened first, so a path that cannot be written
/// records no snapshot (the caches `analyze_cached` may have written by then describe only
/// the files). An error writing the report is the one returned; a store that cannot be
/// written is an error once the report is out.
pub fn report_and_record(
    report: &ScanReport<'_>,
    analysis: &Analysis,
    output: &OutputArgs,
    recorder: Recorder<'_>,
) -> Result<bool, CliError> {
    let failed = analysis.outcome.findings.iter().any(|f| report.fails(f));
    let destination = super::Destination::open(output.output.as_ref())?;
    let recording = recorder.recording;
    // Taken by whichever call below records (a `Mutex`, so that the closure can be called
    // from another thread, or here if the system refuses one).
    let recorder = std::sync::Mutex::new(Some(recorder));
    let record = || match recorder.lock().ok().and_then(|mut r| r.take()) {
        Some(recorder) => record(analysis, recorder, failed),
        None => Ok(None),
    };
    if recording == Recording::After {
        write_report(report, analysis, output, destination)?;
        record()?;
        return Ok(failed);
    }
    std::thread::scope(|scope| {
        let beside = std::thread::Builder::new().spawn_scoped(scope, record).ok();
        let written = write_report(report, analysis, output, destination);
        let recorded = match beside {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // The system refused a thread: one after the other.
            None if written.is_ok() => record(),
            None => Ok(None),
        };
        written?;
        recorded.map(|_| failed)
    })
}

/// Records the analysis as a snapshot, unless `--no-store`; returns its id. `failed` says
/// whether the command exits 1. A cache write that failed is an error once the snapshot is
/// recorded, whichever thread wrote the caches.
fn record(
    analysis: &Analysis,
    recorder: Recorder<'_>,
    failed: bool,
) -> Result<Option<i64>, CliError> {
    let Recorder {
        input,
        store,
        command,
        caches,
        ..
    } = recorder;
    if store.no_store {
        return Ok(None);
    }
    let (mut db, caches_written) = match caches.and_then(CacheWrite::finish) {
        // A store the cache write could not open is tried again, for the error to tell.
        Some((db, written)) => (
            db.or_else(|_| Ok::<_, CliError>(Store::open(&store.db)?))?,
            written,
        ),
        None => (Store::open(&store.db)?, Ok(())),
    };
    let inputs: Vec<lintage::store::InputFile> = analysis
        .inputs
        .iter()
        .map(lintage::store::InputFile::from)
        .collect();
    let root = root_id(&input.dir);
    let id = db.record(&SnapshotInput {
        command,
        failed,
        root: &root,
        inputs: &inputs,
        graph: &analysis.graph,
        findings: &analysis.outcome.findings,
        log_records: analysis.summary.log_records,
        malformed_records: analysis.summary.malformed_records,
    })?;
    if let Some(rows) = &analysis.cache_rows {
        save_cache_rows(&mut db, &root, rows)?;
    }
    caches_written?;
    Ok(Some(id))
}

pub fn scan_report<'a>(analysis: &'a Analysis, root: &'a str, fail_on: FailOn) -> ScanReport<'a> {
    ScanReport {
        outcome: &analysis.outcome,
        summary: analysis.summary.clone(),
        stats: &analysis.stats,
        skipped: &analysis.skipped,
        config_file: analysis.settings.config_file.as_deref(),
        subject_locations: &analysis.subject_locations,
        root,
        baseline: None,
        fail_on: severity_line(fail_on),
    }
}

/// The deployment folder as code hosts want it in paths: `/`-separated, no trailing `/`.
pub fn root_label(dir: &Path) -> String {
    let text = dir.to_string_lossy().replace('\\', "/");
    let trimmed = text.trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed.is_empty() {
        ".".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Renders the report and writes it to `destination`. JSON goes out as it is made; the
/// other formats are rendered whole first.
pub fn write_report(
    report: &ScanReport<'_>,
    analysis: &Analysis,
    output: &OutputArgs,
    destination: super::Destination,
) -> Result<(), CliError> {
    if output.format != FindingsFormat::Json {
        let text = render(report, analysis, output);
        return destination.write(|out| out.write_all(text.as_bytes()));
    }
    warn_on_stderr(analysis);
    destination.write(|out| report::json::write(report, out))
}

pub fn render(report: &ScanReport<'_>, analysis: &Analysis, output: &OutputArgs) -> String {
    if output.format != FindingsFormat::Text {
        warn_on_stderr(analysis);
    }
    match output.format {
        FindingsFormat::Text => {
            let color = use_color(output.color, output.output.is_some());
            report::text::render(report, report::text::Style { color })
        }
        FindingsFormat::Json => report::json::render(report),
        FindingsFormat::Sarif => report::sarif::render(report),
        FindingsFormat::Github => report::github::render(report),
        FindingsFormat::Junit => report::junit::render(report),
        FindingsFormat::Markdown => report::markdown::render(report),
    }
}

/// Machine-readable formats keep stdout clean; what a person must still know goes to stderr.
fn warn_on_stderr(analysis: &Analysis) {
    use lintage::report::text::clean;
    let mut stderr = std::io::stderr().lock();
    if analysis.stats.malformed > 0 {
        let first = analysis.stats.samples.first();
        let _ = writeln!(
            stderr,
            "lintage: warning: skipped {} malformed log line(s){}",
            analysis.stats.malformed,
            first
                .map(|m| format!(
                    "; the first: {}:{}: {}",
                    clean(&m.file),
                    m.line,
                    clean(&m.reason)
                ))
                .unwrap_or_default()
        );
    }
    for (file, reason) in &analysis.skipped {
        let (file, reason) = (clean(file), clean(reason));
        let _ = writeln!(stderr, "lintage: note: skipped {file}: {reason}");
    }
    let config = analysis
        .settings
        .config_file
        .as_deref()
        .unwrap_or("lintage.toml");
    for entry in &analysis.outcome.unused_allow {
        let _ = writeln!(
            stderr,
            "lintage: warning: {config}:{}: allow entry for {} matched no finding",
            entry.line, entry.code
        );
    }
}

/// The least severity that `--fail-on` fails on; `None` for `never`.
pub fn severity_line(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    }
}
