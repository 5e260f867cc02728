//! Report renderers: each output format is its own renderer of the same scan result.

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;

use crate::baseline::BaselineStatus;
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
    /// Where each finding subject is declared: node id -> (manifest file, line), the file
    /// relative to the deployment root.
    pub subject_locations: &'a BTreeMap<String, (String, usize)>,
    /// The deployment folder as given on the command line, `/`-separated, without a trailing
    /// `/` (`.` for the current folder). Outputs read by code hosts (SARIF, GitHub) prefix it to
    /// file paths so that they are relative to the repository.
    pub root: &'a str,
    /// Set by `check`: which findings a baseline already accepts, and entries that resolved.
    pub baseline: Option<&'a BaselineStatus>,
    /// The `--fail-on` line: new findings at or above it fail the run; `None` never fails.
    pub fail_on: Option<Severity>,
}

impl ScanReport<'_> {
    /// Whether a finding is new: not accepted by the baseline (every finding, without one).
    pub fn is_new(&self, finding: &Finding) -> bool {
        self.baseline.is_none_or(|b| b.is_new(finding))
    }

    /// Whether a finding fails the run: new, and at or above `--fail-on`.
    pub fn fails(&self, finding: &Finding) -> bool {
        self.is_new(finding) && self.fail_on.is_some_and(|line| finding.severity >= line)
    }

    /// A file path as code hosts need it: relative to where lintage was run.
    pub fn repo_path(&self, file: &str) -> String {
        if self.root.is_empty() || self.root == "." {
            file.to_string()
        } else {
            format!("{}/{}", self.root.trim_end_matches('/'), file)
        }
    }

    /// Where a finding is best shown: its subject's manifest line, else its first evidence.
    pub fn location(&self, finding: &Finding) -> Option<(String, usize)> {
        if let Some((file, line)) = self.subject_locations.get(&finding.subject) {
            return Some((file.clone(), *line));
        }
        finding.evidence.first().map(|e| match e {
            crate::finding::Evidence::Observed { file, line, .. } => {
                (file.to_string(), *line as usize)
            }
            crate::finding::Evidence::Declared { file, line, .. } => (file.clone(), *line),
        })
    }
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

/// "2 errors, 1 warning, 3 info", or "no findings".
pub fn severity_summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings".to_string();
    }
    let (errors, warnings, infos) = count_by_severity(findings);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "{errors} error{}, {warnings} warning{}, {infos} info",
        plural(errors),
        plural(warnings)
    )
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
