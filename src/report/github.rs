//! `--format github`: GitHub Actions workflow commands, one annotation per finding (only new
//! ones when a baseline is given), then a plain summary line.

use std::fmt::Write;

use super::ScanReport;
use crate::finding::Severity;

pub fn render(report: &ScanReport<'_>) -> String {
    let mut out = String::new();
    let findings = &report.outcome.findings;
    for finding in findings {
        if !report.is_new(finding) {
            continue;
        }
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = Vec::with_capacity(3);
        if let Some((file, line)) = report.location(finding) {
            properties.push(format!("file={}", property(&report.repo_path(&file))));
            if line > 0 {
                properties.push(format!("line={line}"));
            }
        }
        let title = format!("{} {}", finding.code, finding.rule);
        properties.push(format!("title={}", property(&title)));
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            properties.join(","),
            data(&finding.message)
        );
    }

    let mut summary = super::severity_summary(findings);
    if let Some(baseline) = report.baseline {
        let new = findings.iter().filter(|f| baseline.is_new(f)).count();
        let _ = write!(summary, " ({new} new");
        if !baseline.resolved.is_empty() {
            let _ = write!(summary, ", {} resolved", baseline.resolved.len());
        }
        summary.push(')');
    }
    // Not a workflow command: the runner prints it as it is.
    let _ = writeln!(out, "lintage: {summary}");
    out
}

/// A command's message, escaped as the runner unescapes it. Other control characters have no
/// escape there and would reach the log as they are (terminal escape sequences), so they are
/// shown as `\u{..}` as in the text report; so are bidi overrides, which would reorder the
/// annotation as shown.
fn data(text: &str) -> String {
    escape(text, false)
}

/// A property value (`file=`, `title=`): also `:` and `,`, which end a value.
fn property(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, property: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            '\t' => out.push(c),
            c if super::text::is_unsafe(c) => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sarif::sample::Sample;
    use super::*;

    const LT001: &str = "::error file=deploy/models/fraud.yaml,line=3,title=LT001 undeclared-consumer::service:newsletter reads dataset:warehouse.scores.fraud, an output of model:fraud-scorer, but is not a declared consumer";
    const LT002: &str = "::error file=deploy/logs/access.jsonl,line=40,title=LT002 feedback-loop::hidden feedback loop through model:ranker: model:ranker -> dataset:clicks -> model:ranker";
    const LT004: &str = "::warning file=deploy/services/we%2Cird%3Aname.yaml,line=7,title=LT004 undeclared-dependency::service:we\"ird\\na%0Ame<script>alert(1)</script>]]>|50%25,x:y\\u{1b}é reads dataset:warehouse.scores.fraud but does not declare it in `inputs` or `training`";
    const LT007: &str = "::notice title=LT007 unknown-principal::svc:legacy-batch appears in the logs (3 accesses: reads 1 and writes 0 datasets) but maps to no entity";

    #[test]
    fn one_annotation_per_finding_then_a_summary() {
        let sample = Sample::new();
        let expected = [
            LT001,
            LT002,
            LT004,
            LT007,
            "lintage: 2 errors, 1 warning, 1 info",
        ]
        .join("\n")
            + "\n";
        assert_eq!(render(&sample.report(false)), expected);
    }

    #[test]
    fn baselined_findings_are_not_annotated() {
        let sample = Sample::new();
        let expected = [
            LT002,
            LT004,
            "lintage: 2 errors, 1 warning, 1 info (2 new, 1 resolved)",
        ]
        .join("\n")
            + "\n";
        assert_eq!(render(&sample.report(true)), expected);
    }

    #[test]
    fn nothing_found() {
        let sample = Sample::empty();
        assert_eq!(render(&sample.report(false)), "lintage: no findings\n");
    }

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(property("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
        assert_eq!(data("\u{1b}[31mred\tok"), "\\u{1b}[31mred\tok");
        assert_eq!(property("a\u{202e}b"), "a\\u{202e}b");
        // A hostile message cannot start a second command on a line of its own.
        let text = data("x\n::error::forged");
        assert!(!text.contains('\n'));
    }
}
