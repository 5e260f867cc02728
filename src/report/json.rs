//! `--format json`: the findings document of SPEC.md, byte-identical for the same input.

use std::io::Write;

use serde::Serialize;

use super::{ScanReport, count_by_severity};
use crate::finding::Finding;

#[derive(Serialize)]
struct Document<'a> {
    tool: &'static str,
    version: &'static str,
    summary: SummaryJson,
    findings: Vec<FindingJson<'a>>,
    /// Only from `check`: how the findings compare with the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineJson<'a>>,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// `new` or `known`, only from `check`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'static str>,
}

#[derive(Serialize)]
struct BaselineJson<'a> {
    new: usize,
    known: usize,
    resolved: &'a [crate::baseline::BaselineEntry],
}

#[derive(Serialize)]
struct SummaryJson {
    nodes: usize,
    edges: usize,
    log_records: u64,
    malformed_records: u64,
    findings: SeverityCounts,
}

#[derive(Serialize)]
struct SeverityCounts {
    error: usize,
    warning: usize,
    info: usize,
}

pub fn render(report: &ScanReport<'_>) -> String {
    let mut bytes = Vec::new();
    // Into memory: serializing plain structs of strings and numbers cannot fail.
    let _ = write(report, &mut bytes);
    String::from_utf8(bytes).unwrap_or_default()
}

/// `render`, written to `out` as it is made, in 64 KiB pieces: a large report (megabytes of
/// evidence) is never held whole in memory.
pub fn write(report: &ScanReport<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let findings = &report.outcome.findings;
    let (error, warning, info) = count_by_severity(findings);
    let document = Document {
        tool: "lintage",
        version: env!("CARGO_PKG_VERSION"),
        summary: SummaryJson {
            nodes: report.summary.nodes,
            edges: report.summary.edges,
            log_records: report.summary.log_records,
            malformed_records: report.summary.malformed_records,
            findings: SeverityCounts {
                error,
                warning,
                info,
            },
        },
        findings: findings
            .iter()
            .map(|finding| FindingJson {
                finding,
                baseline: report
                    .baseline
                    .map(|b| if b.is_new(finding) { "new" } else { "known" }),
            })
            .collect(),
        baseline: report.baseline.map(|b| {
            let new = findings.iter().filter(|f| b.is_new(f)).count();
            BaselineJson {
                new,
                known: findings.len() - new,
                resolved: &b.resolved,
            }
        }),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &document)?;
    out.write_all(b"\n")?;
    out.flush()
}
