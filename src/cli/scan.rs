//! `lintage scan [DIR]`: ingest, analyse, print findings.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{CliError, ColorChoice, FailOn, Outcome, emit, use_color};
use lintage::finding::Severity;
use lintage::pipeline::{self, Analysis, ScanOptions};
use lintage::report::{self, ScanReport};
use lintage::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The deployment folder: manifests and logs anywhere below it.
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Treat malformed log lines as an error (exit 2) instead of skipping them.
    #[arg(long)]
    strict: bool,
    /// Only log records at or after this time (RFC 3339 or YYYY-MM-DD); overrides lintage.toml.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<Timestamp>,
    /// Only log records before this time (RFC 3339 or YYYY-MM-DD); overrides lintage.toml.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    until: Option<Timestamp>,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_bound(text)
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 date-time or a YYYY-MM-DD date"))
}

pub fn run(args: ScanArgs) -> Outcome {
    let options = ScanOptions {
        strict: args.strict,
        since: args.since,
        until: args.until,
    };
    let analysis = pipeline::analyze(&args.dir, &options)?;
    let root = root_label(&args.dir);
    let report = scan_report(&analysis, &root);
    let text = match args.format {
        Format::Text => {
            let color = use_color(args.color, args.output.is_some());
            report::text::render(&report, report::text::Style { color })
        }
        Format::Json => {
            warn_on_stderr(&analysis);
            report::json::render(&report)
        }
    };
    emit(args.output.as_ref(), &text)?;
    Ok(exit_code(&analysis, args.fail_on))
}

pub fn scan_report<'a>(analysis: &'a Analysis, root: &'a str) -> ScanReport<'a> {
    ScanReport {
        outcome: &analysis.outcome,
        summary: analysis.summary.clone(),
        stats: &analysis.stats,
        skipped: &analysis.skipped,
        config_file: analysis.settings.config_file.as_deref(),
        subject_locations: &analysis.subject_locations,
        root,
        baseline: None,
    }
}

/// The deployment folder as code hosts want it in paths: `/`-separated, no trailing `/`.
pub fn root_label(dir: &std::path::Path) -> String {
    let text = dir.to_string_lossy().replace('\\', "/");
    let trimmed = text.trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed.is_empty() { ".".to_string() } else { trimmed.to_string() }
}

/// Machine-readable formats keep stdout clean; what a person must still know goes to stderr.
fn warn_on_stderr(analysis: &Analysis) {
    let mut stderr = std::io::stderr().lock();
    if analysis.stats.malformed > 0 {
        let first = analysis.stats.samples.first();
        let _ = writeln!(
            stderr,
            "lintage: warning: skipped {} malformed log line(s){}",
            analysis.stats.malformed,
            first
                .map(|m| format!("; the first: {}:{}: {}", m.file, m.line, m.reason))
                .unwrap_or_default()
        );
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

pub fn exit_code(analysis: &Analysis, fail_on: FailOn) -> ExitCode {
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let failed =
        threshold.is_some_and(|t| analysis.outcome.findings.iter().any(|f| f.severity >= t));
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

impl From<CliError> for String {
    fn from(error: CliError) -> String {
        error.0
    }
}
