//! `--format junit`: JUnit XML for CI test dashboards. Each rule of the catalogue is a test case
//! that fails when it has findings that fail the run: new (with a baseline) and at or above
//! `--fail-on`, so the dashboard agrees with the exit code.

use std::fmt::Write;

use super::ScanReport;
use crate::finding::Finding;
use crate::rules::RULES;

/// One test case: a rule, and its findings split into failures and known ones.
struct Case<'a> {
    name: String,
    failures: Vec<&'a Finding>,
    known: Vec<&'a Finding>,
}

pub fn render(report: &ScanReport<'_>) -> String {
    let findings = &report.outcome.findings;
    let mut cases: Vec<Case<'_>> = RULES
        .iter()
        .map(|rule| {
            case(report, format!("{} {}", rule.code, rule.name), |f| {
                f.code == rule.code
            })
        })
        .collect();
    // Every finding comes from a catalogued rule; should one not, it still gets a case rather
    // than vanish from the report.
    let mut strays: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| RULES.iter().all(|r| r.code != f.code))
        .map(|f| (f.code, f.rule))
        .collect();
    strays.dedup();
    for (code, rule) in strays {
        cases.push(case(report, format!("{code} {rule}"), |f| f.code == code));
    }

    let tests = cases.len();
    let failures = cases.iter().filter(|c| !c.failures.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = format!("tests=\"{tests}\" failures=\"{failures}\" errors=\"0\"");
    let _ = writeln!(out, "<testsuites name=\"lintage\" {counts}>");
    let _ = writeln!(out, "  <testsuite name=\"lintage\" {counts} skipped=\"0\">");
    for case in &cases {
        let name = escape(&case.name, true);
        if case.failures.is_empty() && case.known.is_empty() {
            let _ = writeln!(out, "    <testcase classname=\"lintage\" name=\"{name}\"/>");
            continue;
        }
        let _ = writeln!(out, "    <testcase classname=\"lintage\" name=\"{name}\">");
        if let Some(severity) = case.failures.iter().map(|f| f.severity).max() {
            let n = case.failures.len();
            let message = format!("{n} finding{}", if n == 1 { "" } else { "s" });
            let _ = writeln!(
                out,
                "      <failure message=\"{message}\" type=\"{severity}\">{}</failure>",
                escape(&list(report, &case.failures), false)
            );
        }
        if !case.known.is_empty() {
            let text = format!(
                "findings that do not fail the run (accepted by the baseline or below --fail-on):\n{}",
                list(report, &case.known)
            );
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                escape(&text, false)
            );
        }
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "  </testsuite>");
    let _ = writeln!(out, "</testsuites>");
    out
}

fn case<'a>(report: &ScanReport<'a>, name: String, belongs: impl Fn(&Finding) -> bool) -> Case<'a> {
    let (failures, known) = report
        .outcome
        .findings
        .iter()
        .filter(|f| belongs(f))
        .partition(|f| report.fails(f));
    Case {
        name,
        failures,
        known,
    }
}

/// `subject: message`, and on the next line where to look.
fn list(report: &ScanReport<'_>, findings: &[&Finding]) -> String {
    let mut text = String::new();
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let _ = write!(text, "{}: {}", finding.subject, finding.message);
        if let Some((file, line)) = report.location(finding) {
            let _ = write!(text, "\n  at {}:{line}", report.repo_path(&file));
        }
    }
    text
}

/// Escapes the five XML specials and drops characters XML 1.0 cannot carry at all (most
/// control characters, U+FFFE, U+FFFF). In attributes, tab and line breaks become character
/// references, or a parser would turn them into spaces; in text a `\r` would become `\n`.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            c if c < '\u{20}' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use quick_xml::Reader;
    use quick_xml::events::{BytesStart, Event};

    use super::super::sarif::sample::{HOSTILE_NAME, Sample};
    use super::*;

    #[derive(Debug, Default)]
    struct Parsed {
        suites: Vec<(String, String)>,
        cases: Vec<String>,
        /// (case name, message, type, text)
        failures: Vec<(String, String, String, String)>,
        /// (case name, text)
        outputs: Vec<(String, String)>,
    }

    fn attribute(element: &BytesStart<'_>, name: &str) -> String {
        element
            .attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == name.as_bytes())
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
            .unwrap_or_else(|| panic!("no {name} attribute"))
    }

    /// Reads the document back with a real XML parser; any syntax error fails the test.
    fn parse(xml: &str) -> Parsed {
        let mut reader = Reader::from_str(xml);
        let mut parsed = Parsed::default();
        let mut case = String::new();
        // (message, type) of the <failure> being read.
        let mut failure = (String::new(), String::new());
        let mut text = String::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"testsuites" | b"testsuite" => parsed
                        .suites
                        .push((attribute(&e, "tests"), attribute(&e, "failures"))),
                    b"testcase" => {
                        assert_eq!(attribute(&e, "classname"), "lintage");
                        case = attribute(&e, "name");
                        parsed.cases.push(case.clone());
                    }
                    b"failure" => {
                        failure = (attribute(&e, "message"), attribute(&e, "type"));
                        text.clear();
                    }
                    b"system-out" => text.clear(),
                    other => panic!("unexpected element {other:?}"),
                },
                Event::Text(t) => text.push_str(&t.xml10_content().unwrap()),
                Event::GeneralRef(r) => match r.resolve_char_ref().unwrap() {
                    Some(c) => text.push(c),
                    None => text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&r.decode().unwrap()).unwrap(),
                    ),
                },
                Event::End(e) => match e.name().as_ref() {
                    b"failure" => parsed.failures.push((
                        case.clone(),
                        failure.0.clone(),
                        failure.1.clone(),
                        text.clone(),
                    )),
                    b"system-out" => parsed.outputs.push((case.clone(), text.clone())),
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        parsed
    }

    #[test]
    fn every_rule_is_a_case_and_findings_fail_it() {
        let sample = Sample::new();
        let xml = render(&sample.report(false));
        let parsed = parse(&xml);
        let names: Vec<String> = RULES
            .iter()
            .map(|r| format!("{} {}", r.code, r.name))
            .collect();
        assert_eq!(parsed.cases, names);
        let counts = ("9".to_string(), "4".to_string());
        assert_eq!(parsed.suites, [counts.clone(), counts]);
        let failed: Vec<(&str, &str, &str)> = parsed
            .failures
            .iter()
            .map(|(case, message, kind, _)| (case.as_str(), message.as_str(), kind.as_str()))
            .collect();
        assert_eq!(
            failed,
            [
                ("LT001 undeclared-consumer", "1 finding", "error"),
                ("LT002 feedback-loop", "1 finding", "error"),
                ("LT004 undeclared-dependency", "1 finding", "warning"),
                ("LT007 unknown-principal", "1 finding", "info"),
            ]
        );
        assert_eq!(
            parsed.failures[0].3,
            "model:fraud-scorer: service:newsletter reads dataset:warehouse.scores.fraud, an output of model:fraud-scorer, but is not a declared consumer\n  at deploy/models/fraud.yaml:3"
        );
        assert!(parsed.outputs.is_empty());
    }

    #[test]
    fn hostile_names_round_trip() {
        let sample = Sample::new();
        let parsed = parse(&render(&sample.report(false)));
        // The escape character cannot be carried by XML 1.0: it is dropped, nothing else is.
        let name = format!("service:{}", HOSTILE_NAME.replace('\u{1b}', ""));
        let text = &parsed.failures[2].3;
        assert!(
            text.starts_with(&format!("{name}: {name} reads dataset:")),
            "{text:?}"
        );
        assert!(text.ends_with("\n  at deploy/services/we,ird:name.yaml:7"));
    }

    #[test]
    fn with_a_baseline_only_new_findings_fail() {
        let sample = Sample::new();
        let parsed = parse(&render(&sample.report(true)));
        let counts = ("9".to_string(), "2".to_string());
        assert_eq!(parsed.suites, [counts.clone(), counts]);
        let failed: Vec<&str> = parsed.failures.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            failed,
            ["LT002 feedback-loop", "LT004 undeclared-dependency"]
        );
        let known: Vec<&str> = parsed.outputs.iter().map(|o| o.0.as_str()).collect();
        assert_eq!(
            known,
            ["LT001 undeclared-consumer", "LT007 unknown-principal"]
        );
        assert!(
            parsed.outputs[1]
                .1
                .contains("svc:legacy-batch appears in the logs")
        );
    }

    #[test]
    fn nothing_found_passes_every_case() {
        let sample = Sample::empty();
        let parsed = parse(&render(&sample.report(false)));
        assert_eq!(parsed.cases.len(), 9);
        assert!(parsed.failures.is_empty());
        assert_eq!(parsed.suites[0], ("9".to_string(), "0".to_string()));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("a&b<c>d\"e'f]]>\u{0}\u{1b}\u{ffff}é\r\n\t", false),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f]]&gt;é&#13;\n\t"
        );
        assert_eq!(escape("a\nb\tc", true), "a&#10;b&#9;c");
    }
}
