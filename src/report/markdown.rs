//! `--format markdown`: a pull-request comment. A headline, a table of new findings, the
//! baseline entries that resolved, and the known findings folded away.
//!
//! Names come from other people's files and the comment is rendered as HTML, so every name is
//! escaped: it can neither break the table nor inject markup, links or HTML.

use std::fmt::Write;

use super::ScanReport;
use crate::baseline::BaselineEntry;
use crate::finding::{Finding, Severity};

const TABLE_HEAD: &str = "| severity | code | rule | subject | message | location |\n\
                          | --- | --- | --- | --- | --- | --- |\n";

pub fn render(report: &ScanReport<'_>) -> String {
    let findings = &report.outcome.findings;
    let (new, known): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| report.is_new(f));
    let resolved: &[BaselineEntry] = report.baseline.map_or(&[], |b| &b.resolved);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "## lintage: {}\n",
        headline(&new, report.baseline.is_some())
    );
    if report.baseline.is_some() {
        let _ = writeln!(
            out,
            "Compared with the baseline: {} new, {} known, {} resolved.\n",
            new.len(),
            known.len(),
            resolved.len()
        );
    }
    if !new.is_empty() {
        table(&mut out, report, &new);
        out.push('\n');
    }
    if !resolved.is_empty() {
        out.push_str("### Resolved\n\n");
        for entry in resolved {
            let _ = writeln!(out, "- {}", resolved_entry(entry));
        }
        out.push('\n');
    }
    if !known.is_empty() {
        let n = known.len();
        let _ = writeln!(
            out,
            "<details><summary>{n} known finding{}</summary>\n",
            plural(n)
        );
        table(&mut out, report, &known);
        out.push_str("\n</details>\n");
    }
    // One trailing newline, whatever section came last.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// `2 new errors, 1 new warning`; without a baseline every finding counts and `new` is left out.
fn headline(new: &[&Finding], has_baseline: bool) -> String {
    let adjective = if has_baseline { "new " } else { "" };
    let count = |severity: Severity| new.iter().filter(|f| f.severity == severity).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(format!("{errors} {adjective}error{}", plural(errors)));
    }
    if warnings > 0 {
        parts.push(format!("{warnings} {adjective}warning{}", plural(warnings)));
    }
    if infos > 0 {
        parts.push(format!("{infos} {adjective}info"));
    }
    if parts.is_empty() {
        format!("no {adjective}findings")
    } else {
        parts.join(", ")
    }
}

fn table(out: &mut String, report: &ScanReport<'_>, findings: &[&Finding]) {
    out.push_str(TABLE_HEAD);
    for finding in findings {
        let location = report
            .location(finding)
            .map(|(file, line)| {
                let path = report.repo_path(&file);
                let place = if line > 0 {
                    format!("{path}:{line}")
                } else {
                    path
                };
                code(&place, true)
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            finding.severity,
            text(finding.code),
            text(finding.rule),
            code(&finding.subject, true),
            text(&finding.message),
            location
        );
    }
}

/// `LT006 stale-consumer `model:a` (`service:b`): message`.
fn resolved_entry(entry: &BaselineEntry) -> String {
    let mut line = text(&entry.code);
    if let Some(rule) = crate::rules::lookup(&entry.code) {
        let _ = write!(line, " {}", rule.name);
    }
    let _ = write!(line, " {}", code(&entry.subject, false));
    if !entry.related.is_empty() {
        let related: Vec<String> = entry.related.iter().map(|r| code(r, false)).collect();
        let _ = write!(line, " ({})", related.join(", "));
    }
    if !entry.message.is_empty() {
        let _ = write!(line, ": {}", text(&entry.message));
    }
    line
}

/// Plain text for a table cell or a list item: line breaks become spaces, other control
/// characters and bidi overrides are shown as `\u{..}`, HTML specials become entities, `|` cannot end a cell, and
/// the characters that start links, emphasis or strikethrough are backslash-escaped. Backticks
/// stay, so that messages keep their `inputs` code spans (a code span shows its text literally,
/// so it cannot inject anything).
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if super::text::is_unsafe(c) => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

/// A node id or a path as inline code, with its backticks removed so that it cannot close the
/// span early. Inside a code span entities are not decoded and backslashes are literal, so a
/// name that would need either (`<`, `>`, `&`, `\`, control characters) is written as escaped
/// plain text instead: it still reads right, and no raw `<` ever reaches the comment.
fn code(raw: &str, in_table: bool) -> String {
    let needs_text = raw
        .chars()
        .any(|c| matches!(c, '<' | '>' | '&' | '\\') || super::text::is_unsafe(c));
    if needs_text {
        return text(raw);
    }
    let inner: String = raw.chars().filter(|&c| c != '`').collect();
    if inner.is_empty() {
        return String::new();
    }
    // GitHub splits table rows on `|` before it looks for code spans, even inside backticks.
    let inner = if in_table {
        inner.replace('|', "\\|")
    } else {
        inner
    };
    format!("`{inner}`")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::super::sarif::sample::Sample;
    use super::*;

    const WITH_BASELINE: &str = r#"## lintage: 1 new error, 1 new warning

Compared with the baseline: 2 new, 2 known, 1 resolved.

| severity | code | rule | subject | message | location |
| --- | --- | --- | --- | --- | --- |
| error | LT002 | feedback-loop | `model:ranker` | hidden feedback loop through model:ranker: model:ranker -&gt; dataset:clicks -&gt; model:ranker | `deploy/logs/access.jsonl:40` |
| warning | LT004 | undeclared-dependency | service:we"ird\\na me&lt;script&gt;alert(1)&lt;/script&gt;\]\]&gt;\|50%,x:y\u{1b}é | service:we"ird\\na me&lt;script&gt;alert(1)&lt;/script&gt;\]\]&gt;\|50%,x:y\u{1b}é reads dataset:warehouse.scores.fraud but does not declare it in `inputs` or `training` | `deploy/services/we,ird:name.yaml:7` |

### Resolved

- LT006 stale-consumer `model:fraud-scorer` (`service:old-dashboard`): service:old-dashboard is a declared consumer of model:fraud-scorer but never reads its outputs, though the logs show it active

<details><summary>2 known findings</summary>

| severity | code | rule | subject | message | location |
| --- | --- | --- | --- | --- | --- |
| error | LT001 | undeclared-consumer | `model:fraud-scorer` | service:newsletter reads dataset:warehouse.scores.fraud, an output of model:fraud-scorer, but is not a declared consumer | `deploy/models/fraud.yaml:3` |
| info | LT007 | unknown-principal | `principal:svc:legacy-batch` | svc:legacy-batch appears in the logs (3 accesses: reads 1 and writes 0 datasets) but maps to no entity |  |

</details>
"#;

    #[test]
    fn snapshot_with_a_baseline() {
        let sample = Sample::new();
        assert_eq!(render(&sample.report(true)), WITH_BASELINE);
    }

    #[test]
    fn without_a_baseline_every_finding_is_in_the_table() {
        let sample = Sample::new();
        let out = render(&sample.report(false));
        assert!(out.starts_with("## lintage: 2 errors, 1 warning, 1 info\n\n| severity |"));
        assert_eq!(out.matches("\n| error |").count(), 2);
        assert!(!out.contains("<details>"));
        assert!(!out.contains("Resolved"));
        assert!(!out.contains("baseline"));
    }

    #[test]
    fn nothing_new() {
        let sample = Sample::empty();
        assert_eq!(render(&sample.report(false)), "## lintage: no findings\n");
        let status = crate::baseline::BaselineStatus::default();
        let mut report = sample.report(false);
        report.baseline = Some(&status);
        assert_eq!(
            render(&report),
            "## lintage: no new findings\n\nCompared with the baseline: 0 new, 0 known, 0 resolved.\n"
        );
    }

    /// Splits a table row the way GitHub does: `\` escapes the next character, any other `|`
    /// separates cells.
    fn cells(row: &str) -> usize {
        let mut count = 0;
        let mut chars = row.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '|' => count += 1,
                _ => {}
            }
        }
        count - 1
    }

    #[test]
    fn names_cannot_break_the_table_or_inject_html() {
        let sample = Sample::new();
        for with_baseline in [false, true] {
            let out = render(&sample.report(with_baseline));
            assert!(!out.contains("<script"), "{out}");
            assert!(!out.contains("</script"), "{out}");
            assert!(!out.contains('\u{1b}'));
            let body: String = out
                .replace("<details><summary>", "")
                .replace("</summary>", "")
                .replace("</details>", "");
            assert!(!body.contains('<'), "raw `<` outside the details tags");
            for row in out.lines().filter(|l| l.starts_with('|')) {
                assert_eq!(cells(row), 6, "{row}");
            }
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(text("a|b\nc<d>&e"), "a\\|b c&lt;d&gt;&amp;e");
        assert_eq!(
            text("[x](http://e) *b* _i_ ~s~ \\"),
            "\\[x\\](http://e) \\*b\\* \\_i\\_ \\~s\\~ \\\\"
        );
        assert_eq!(code("model:a`b|c", true), "`model:ab\\|c`");
        assert_eq!(code("model:a`b|c", false), "`model:ab|c`");
        assert_eq!(code("model:a<b", true), "model:a&lt;b");
        assert_eq!(code("model:a\\|b", true), "model:a\\\\\\|b");
        assert_eq!(code("``", true), "");
        assert_eq!(code("a\u{202e}b", true), "a\\u{202e}b");
    }
}
