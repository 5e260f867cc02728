//! The human report: findings grouped by severity, each with the evidence that proves it,
//! then what was skipped, and a one-line summary.

use std::fmt::Write;

use super::ScanReport;
use crate::finding::{Evidence, Finding, Severity};

/// Evidence lines shown per finding; the JSON report has them all.
const EVIDENCE_SHOWN: usize = 5;
const MALFORMED_SHOWN: usize = 5;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, severity.as_str())
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
}

pub fn render(report: &ScanReport<'_>, style: Style) -> String {
    let mut out = String::new();
    let findings = &report.outcome.findings;
    let is_new = |f: &Finding| report.is_new(f);
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        for finding in findings
            .iter()
            .filter(|f| f.severity == severity && is_new(f))
        {
            render_finding(&mut out, finding, style);
        }
    }
    if let Some(baseline) = report.baseline {
        let known: Vec<&Finding> = findings.iter().filter(|f| !is_new(f)).collect();
        if !known.is_empty() {
            let _ = writeln!(
                out,
                "{} known finding{} accepted by the baseline:",
                known.len(),
                plural(known.len())
            );
            for f in known {
                let related = if f.related.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", clean(&f.related.join(", ")))
                };
                let _ = writeln!(
                    out,
                    "  {}[{}] {}: {}{related}",
                    f.severity,
                    f.code,
                    f.rule,
                    clean(&f.subject)
                );
            }
            out.push('\n');
        }
        if !baseline.resolved.is_empty() {
            let _ = writeln!(
                out,
                "{} baseline entr{} no longer found (fixed; remove {} from the baseline):",
                baseline.resolved.len(),
                if baseline.resolved.len() == 1 {
                    "y is"
                } else {
                    "ies are"
                },
                if baseline.resolved.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            );
            for e in &baseline.resolved {
                let related = if e.related.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", clean(&e.related.join(", ")))
                };
                let _ = writeln!(
                    out,
                    "  {} {}{related}  fingerprint {}",
                    // The baseline is a file anyone can edit: every field is shown cleaned.
                    clean(&e.code),
                    clean(&e.subject),
                    clean(&e.fingerprint)
                );
            }
            out.push('\n');
        }
    }

    let stats = report.stats;
    if stats.malformed > 0 {
        let _ = writeln!(
            out,
            "{}: skipped {} malformed log line{} (--strict makes them an error):",
            style.severity(Severity::Warning),
            stats.malformed,
            plural(stats.malformed as usize)
        );
        for m in stats.samples.iter().take(MALFORMED_SHOWN) {
            let _ = writeln!(out, "  {}:{}: {}", clean(&m.file), m.line, clean(&m.reason));
        }
        if stats.malformed as usize > MALFORMED_SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more",
                stats.malformed as usize - MALFORMED_SHOWN
            );
        }
        out.push('\n');
    }
    for (file, reason) in report.skipped {
        let _ = writeln!(out, "note: skipped {}: {}", clean(file), clean(reason));
    }
    let config = report.config_file.unwrap_or(crate::config::CONFIG_FILE);
    for entry in &report.outcome.unused_allow {
        let _ = writeln!(
            out,
            "{}: {}:{}: allow entry for {} matched no finding; remove it",
            style.severity(Severity::Warning),
            clean(config),
            entry.line,
            entry.code
        );
    }
    if !report.outcome.allowed.is_empty() {
        let _ = writeln!(
            out,
            "note: {} finding{} accepted by allow entries in {}",
            report.outcome.allowed.len(),
            plural(report.outcome.allowed.len()),
            clean(config)
        );
    }
    if stats.outside_window > 0 {
        let _ = writeln!(
            out,
            "note: {} log records fall outside the time window",
            stats.outside_window
        );
    }

    let s = &report.summary;
    let found = super::severity_summary(findings);
    let found = match report.baseline {
        Some(b) => {
            let new = findings.iter().filter(|f| b.is_new(f)).count();
            format!(
                "{found} ({new} new, {} known, {} resolved)",
                findings.len() - new,
                b.resolved.len()
            )
        }
        None => found,
    };
    let _ = writeln!(
        out,
        "{} {} manifest{} in {} file{} and {} log file{} ({} records, {} malformed): {} nodes, {} edges; {}",
        style.bold("scanned"),
        s.manifests,
        plural(s.manifests),
        s.manifest_files,
        plural(s.manifest_files),
        s.log_files,
        plural(s.log_files),
        thousands(s.log_records),
        thousands(s.malformed_records),
        s.nodes,
        s.edges,
        found
    );
    out
}

fn render_finding(out: &mut String, finding: &Finding, style: Style) {
    let _ = writeln!(
        out,
        "{}{} {}: {}",
        style.severity(finding.severity),
        style.bold(&format!("[{}]", finding.code)),
        finding.rule,
        clean(&finding.subject)
    );
    let _ = writeln!(out, "  {}", clean(&finding.message));
    if let Some(kind) = finding.loop_kind {
        let _ = writeln!(out, "  {} {} loop", style.dim("="), kind.as_str());
    }
    for evidence in finding.evidence.iter().take(EVIDENCE_SHOWN) {
        let line = match evidence {
            Evidence::Observed {
                file,
                line,
                count,
                first_seen,
                last_seen,
                from,
                to,
            } => {
                let times = if first_seen == last_seen {
                    format!("at {first_seen}")
                } else {
                    format!("{first_seen} .. {last_seen}")
                };
                format!(
                    "seen     {}:{line}  {} -> {}  {}×, {times}",
                    clean(file),
                    clean(from.as_str()),
                    clean(to.as_str()),
                    thousands(*count)
                )
            }
            Evidence::Declared {
                file,
                line,
                key,
                value,
            } => {
                format!("declared {}:{line}  {key}: {}", clean(file), clean(value))
            }
        };
        let _ = writeln!(out, "  {} {}", style.dim("-->"), line);
    }
    if finding.evidence.len() > EVIDENCE_SHOWN {
        let _ = writeln!(
            out,
            "  {} … and {} more (see --format json)",
            style.dim("-->"),
            finding.evidence.len() - EVIDENCE_SHOWN
        );
    }
    out.push('\n');
}

/// 1234567 -> "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Names come from other people's files: control characters (terminal escape sequences,
/// carriage returns) are shown escaped instead of being sent to the terminal.
pub fn clean(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `clean` for a message of several lines (an error for stderr): the line breaks stay.
pub fn clean_lines(text: &str) -> String {
    text.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

/// Whether a character must not reach a terminal or a rendered page as it is: a control
/// character, or a bidi mark or override that reorders what is shown around it.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::{clean, clean_lines, thousands};

    #[test]
    fn counts_have_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(2204165), "2,204,165");
    }

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(clean("svc:\x1b[31mred"), "svc:\\u{1b}[31mred");
        assert_eq!(clean("a\nb"), "a\\u{a}b");
        assert_eq!(clean("plain é"), "plain é");
        assert_eq!(
            clean_lines("a\x1b]0;t\x07\nb\u{202e}"),
            "a\\u{1b}]0;t\\u{7}\nb\\u{202e}"
        );
    }
}
