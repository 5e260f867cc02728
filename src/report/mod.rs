//! Report renderers: each output format is its own renderer of the same scan result.

pub mod json;
pub mod text;

use crate::finding::{Finding, Severity};
use crate::ingest::LogStats;
use crate::policy::Outcome;

/// What a scan found, as every renderer sees it.
pub struct ScanReport<'a> {
    pub outcome: &'a Outcome,
    pub summary: Summary,
    pub stats: &'a LogStats,
    pub skipped: &'a [(String, String)],
    pub config_file: Option<&'a str>,
}

/// The counts SPEC.md's JSON summary carries, plus what the text summary line needs.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub manifests: usize,
    pub manifest_files: usize,
    pub log_files: usize,
    pub nodes: usize,
    pub edges: usize,
    pub log_records: u64,
    pub malformed_records: u64,
}

/// Findings per severity: (error, warning, info).
pub fn count_by_severity(findings: &[Finding]) -> (usize, usize, usize) {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    )
}
