//! `--format sarif`: SARIF 2.1.0 for code-scanning hosts (GitHub code scanning, IDE viewers),
//! carrying the whole rule catalogue so that every result links to its rule's documentation.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ScanReport;
use crate::finding::{Finding, LoopKind, Severity};
use crate::rules::{RULES, Rule};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/lintage/lintage";
/// Versioned, so that a change to how fingerprints are computed can use a new key.
const FINGERPRINT_KEY: &str = "lintageFingerprint/v1";

// Structs rather than `json!`: field order is then fixed by the code, whatever serde_json
// features other crates switch on.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: Properties<'a>,
}

#[derive(Serialize)]
struct Message<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
struct Properties<'a> {
    subject: &'a str,
    related: &'a [String],
    path: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    loop_kind: Option<LoopKind>,
}

pub fn render(report: &ScanReport<'_>) -> String {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "lintage",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: RULES.iter().copied().map(descriptor).collect(),
                },
            },
            results: report
                .outcome
                .findings
                .iter()
                .map(|finding| result(report, finding))
                .collect(),
        }],
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Text {
            text: rule.summary.to_string(),
        },
        full_description: Text {
            text: doc_section(rule.docs, "What it finds").unwrap_or_else(|| rule.summary.into()),
        },
        help: Help {
            text: rule.docs,
            markdown: rule.docs,
        },
        default_configuration: Configuration {
            level: level(rule.default_severity),
        },
    }
}

fn result<'a>(report: &ScanReport<'_>, finding: &'a Finding) -> SarifResult<'a> {
    let locations = report
        .location(finding)
        .map(|(file, line)| Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_reference(&report.repo_path(&file)),
                },
                // SARIF lines start at 1; a line 0 would make the document invalid.
                region: (line > 0).then_some(Region { start_line: line }),
            },
        })
        .into_iter()
        .collect();
    SarifResult {
        rule_id: finding.code,
        rule_index: RULES.iter().position(|rule| rule.code == finding.code),
        level: level(finding.severity),
        message: Message {
            text: &finding.message,
        },
        locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.as_str())]),
        baseline_state: report.baseline.map(|baseline| {
            if baseline.is_new(finding) {
                "new"
            } else {
                "unchanged"
            }
        }),
        properties: Properties {
            subject: &finding.subject,
            related: &finding.related,
            path: &finding.path,
            loop_kind: finding.loop_kind,
        },
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The body of a `## TITLE` section of a rule's Markdown page, trimmed. Headings inside code
/// fences (an example shell session, say) do not end the section.
fn doc_section(docs: &str, title: &str) -> Option<String> {
    let mut lines = docs.lines();
    lines.find(|line| line.strip_prefix("## ").map(str::trim) == Some(title))?;
    let mut body = Vec::new();
    let mut fenced = false;
    for line in lines {
        if !fenced && (line.starts_with("## ") || line.starts_with("# ")) {
            break;
        }
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        body.push(line);
    }
    let text = body.join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// A relative file path as a URI reference: everything but unreserved characters, `/` and the
/// sub-delimiters is percent-encoded. `:` is encoded too, or `a:b.yaml` would read as a URI
/// with the scheme `a`.
fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// The report every renderer's tests share: four findings (two errors, a warning, an info),
/// one of them about a node whose name is built to break every output format, and a baseline
/// that knows two of them and has one resolved entry.
#[cfg(test)]
pub(super) mod sample {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::baseline::{BaselineEntry, BaselineStatus};
    use crate::finding::{Evidence, Finding, LoopKind, Severity};
    use crate::ingest::LogStats;
    use crate::node::{NodeId, NodeKind};
    use crate::policy::Outcome;
    use crate::report::{ScanReport, Summary};
    use crate::rules::RULES;

    /// Quotes, a backslash, a newline, markup, a CDATA end, a table pipe, GitHub's escape and
    /// separator characters, an escape control character and a non-ASCII letter.
    pub const HOSTILE_NAME: &str = "we\"ird\\na\nme<script>alert(1)</script>]]>|50%,x:y\u{1b}é";

    pub fn hostile() -> NodeId {
        NodeId::new(NodeKind::Service, HOSTILE_NAME)
    }

    pub struct Sample {
        outcome: Outcome,
        stats: LogStats,
        locations: BTreeMap<String, (String, usize)>,
        baseline: BaselineStatus,
    }

    fn observed(file: &str, line: u64, from: &str, to: &str) -> Evidence {
        Evidence::Observed {
            file: file.into(),
            line,
            count: 3,
            first_seen: crate::time::Timestamp::parse_rfc3339("2026-11-01T00:00:03Z")
                .unwrap_or(crate::time::Timestamp(0)),
            last_seen: crate::time::Timestamp::parse_rfc3339("2026-11-28T23:59:10Z")
                .unwrap_or(crate::time::Timestamp(0)),
            from: id(from),
            to: id(to),
        }
    }

    fn id(text: &str) -> crate::node::NodeId {
        crate::node::NodeId::parse(text).unwrap_or_else(|| panic!("not a node id: {text}"))
    }

    impl Sample {
        pub fn new() -> Sample {
            let scorer = NodeId::new(NodeKind::Model, "fraud-scorer");
            let ranker = NodeId::new(NodeKind::Model, "ranker");
            let legacy = NodeId::new(NodeKind::Principal, "svc:legacy-batch");
            let scores = "dataset:warehouse.scores.fraud";
            let hostile = hostile();

            let undeclared_consumer = Finding::new(
                RULES[0],
                Severity::Error,
                &scorer,
                vec!["service:newsletter".into()],
                format!(
                    "service:newsletter reads {scores}, an output of model:fraud-scorer, but is not a declared consumer"
                ),
            )
            .with_evidence(vec![observed(
                "logs/access.jsonl",
                812,
                scores,
                "service:newsletter",
            )]);
            let mut feedback_loop = Finding::new(
                RULES[1],
                Severity::Error,
                &ranker,
                Vec::new(),
                "hidden feedback loop through model:ranker: model:ranker -> dataset:clicks -> model:ranker".into(),
            )
            .with_path(vec![
                "model:ranker".into(),
                "dataset:clicks".into(),
                "model:ranker".into(),
            ])
            .with_evidence(vec![observed(
                "logs/access.jsonl",
                40,
                "dataset:clicks",
                "model:ranker",
            )]);
            feedback_loop.loop_kind = Some(LoopKind::Hidden);
            let undeclared_dependency = Finding::new(
                RULES[3],
                Severity::Warning,
                &hostile,
                vec![scores.into()],
                format!(
                    "{hostile} reads {scores} but does not declare it in `inputs` or `training`"
                ),
            );
            let unknown_principal = Finding::new(
                RULES[6],
                Severity::Info,
                &legacy,
                Vec::new(),
                "svc:legacy-batch appears in the logs (3 accesses: reads 1 and writes 0 datasets) but maps to no entity".into(),
            );

            let mut findings = vec![
                undeclared_dependency,
                unknown_principal,
                feedback_loop,
                undeclared_consumer,
            ];
            crate::finding::sort(&mut findings);
            let known = [&findings[0], &findings[3]]
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect::<BTreeSet<_>>();
            let resolved = vec![BaselineEntry {
                fingerprint: "00000000deadbeef".into(),
                code: "LT006".into(),
                subject: "model:fraud-scorer".into(),
                related: vec!["service:old-dashboard".into()],
                message: "service:old-dashboard is a declared consumer of model:fraud-scorer but never reads its outputs, though the logs show it active".into(),
                reason: String::new(),
            }];
            let locations = BTreeMap::from([
                (scorer.to_string(), ("models/fraud.yaml".to_string(), 3)),
                (
                    hostile.to_string(),
                    ("services/we,ird:name.yaml".to_string(), 7),
                ),
            ]);
            Sample {
                outcome: Outcome {
                    findings,
                    ..Outcome::default()
                },
                stats: LogStats::default(),
                locations,
                baseline: BaselineStatus { known, resolved },
            }
        }

        pub fn report(&self, with_baseline: bool) -> ScanReport<'_> {
            ScanReport {
                outcome: &self.outcome,
                summary: Summary::default(),
                stats: &self.stats,
                skipped: &[],
                config_file: None,
                subject_locations: &self.locations,
                root: "deploy",
                baseline: with_baseline.then_some(&self.baseline),
                fail_on: Some(crate::finding::Severity::Info),
            }
        }

        /// A report with no findings and no baseline.
        pub fn empty() -> Sample {
            let mut sample = Sample::new();
            sample.outcome.findings.clear();
            sample.baseline = BaselineStatus::default();
            sample
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::sample::{HOSTILE_NAME, Sample, hostile};
    use super::*;

    fn document(with_baseline: bool) -> Value {
        let sample = Sample::new();
        let text = render(&sample.report(with_baseline));
        assert!(text.ends_with("}\n"));
        serde_json::from_str(&text).unwrap()
    }

    fn assert_valid(doc: &Value) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        );
        let mut schema: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        fix_language_pattern(&mut schema);
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "SARIF violations:\n{}",
            errors.join("\n")
        );
    }

    /// The vendored 2.1.0 schema has a stray `]` in the `language` patterns, which jsonschema
    /// rejects as a regex. SARIF 2.1.0 Errata 01 corrected it (oasis-tcs/sarif-spec#488); the
    /// fix is applied here, in memory, rather than editing the vendored file. lintage never
    /// writes `language`, so the fix cannot hide a problem in its output.
    fn fix_language_pattern(schema: &mut Value) {
        const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        const FIXED: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";
        match schema {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "pattern" && value == BROKEN {
                        *value = Value::from(FIXED);
                    } else {
                        fix_language_pattern(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(fix_language_pattern),
            _ => {}
        }
    }

    #[test]
    fn output_is_valid_sarif_with_and_without_baseline() {
        assert_valid(&document(false));
        assert_valid(&document(true));
        let empty = Sample::empty();
        let doc: Value = serde_json::from_str(&render(&empty.report(false))).unwrap();
        assert_valid(&doc);
        assert_eq!(doc["runs"][0]["results"], Value::Array(Vec::new()));
    }

    #[test]
    #[should_panic(expected = "SARIF violations")]
    fn the_schema_check_has_teeth() {
        let mut doc = document(false);
        doc["runs"][0]["results"][0]["level"] = Value::from("fatal");
        assert_valid(&doc);
    }

    #[test]
    fn output_is_deterministic() {
        let sample = Sample::new();
        assert_eq!(render(&sample.report(true)), render(&sample.report(true)));
    }

    #[test]
    fn driver_carries_the_whole_catalogue() {
        let doc = document(false);
        assert_eq!(doc["version"], "2.1.0");
        let driver = &doc["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "lintage");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 9);
        for (descriptor, rule) in rules.iter().zip(RULES.iter()) {
            assert_eq!(descriptor["id"], rule.code);
            assert_eq!(descriptor["name"], rule.name);
            assert_eq!(descriptor["shortDescription"]["text"], rule.summary);
            assert_eq!(descriptor["help"]["markdown"], rule.docs);
            assert_eq!(descriptor["help"]["text"], rule.docs);
            let full = descriptor["fullDescription"]["text"].as_str().unwrap();
            assert!(!full.is_empty() && !full.contains("## "), "{full}");
            assert_eq!(full, full.trim());
            assert!(rule.docs.contains(full));
        }
        let levels: Vec<&str> = rules
            .iter()
            .map(|r| r["defaultConfiguration"]["level"].as_str().unwrap())
            .collect();
        assert_eq!(
            levels,
            [
                "error", "error", "warning", "warning", "warning", "note", "note", "warning",
                "warning"
            ]
        );
    }

    #[test]
    fn full_description_is_the_what_it_finds_section() {
        let docs = "# LT000 x\n\n## What it finds\n\n  First.\n\n```text\n## not a heading\n```\n\n## Why it matters\n\nLater.\n";
        assert_eq!(
            doc_section(docs, "What it finds").as_deref(),
            Some("First.\n\n```text\n## not a heading\n```")
        );
        assert_eq!(doc_section(docs, "Missing"), None);
    }

    #[test]
    fn results_map_levels_locations_and_properties() {
        let doc = document(false);
        let results = doc["runs"][0]["results"].as_array().unwrap();
        let ids: Vec<&str> = results
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["LT001", "LT002", "LT004", "LT007"]);
        let indexes: Vec<u64> = results
            .iter()
            .map(|r| r["ruleIndex"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, [0, 1, 3, 6]);
        let levels: Vec<&str> = results
            .iter()
            .map(|r| r["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["error", "error", "warning", "note"]);

        // From the subject's manifest line, under the deployment folder.
        let location = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "deploy/models/fraud.yaml"
        );
        assert_eq!(location["region"]["startLine"], 3);
        // From the first evidence when the subject has no manifest.
        let location = &results[1]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "deploy/logs/access.jsonl"
        );
        assert_eq!(location["region"]["startLine"], 40);
        // Percent-encoded, so that the `:` cannot read as a scheme.
        let location = &results[2]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "deploy/services/we,ird%3Aname.yaml"
        );
        // Nowhere to point at.
        assert!(results[3].get("locations").is_none());

        assert_eq!(results[1]["properties"]["loop_kind"], "hidden");
        assert_eq!(
            results[1]["properties"]["path"],
            serde_json::json!(["model:ranker", "dataset:clicks", "model:ranker"])
        );
        assert!(results[0]["properties"].get("loop_kind").is_none());
        assert_eq!(
            results[0]["properties"]["related"],
            serde_json::json!(["service:newsletter"])
        );
        for result in results {
            assert!(result.get("baselineState").is_none());
            let fingerprint = result["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .unwrap();
            assert_eq!(fingerprint.len(), 16);
        }
    }

    #[test]
    fn hostile_names_survive_as_data() {
        let doc = document(false);
        let result = &doc["runs"][0]["results"][2];
        assert_eq!(result["properties"]["subject"], hostile().as_str());
        let message = result["message"]["text"].as_str().unwrap();
        assert!(message.starts_with(&format!("service:{HOSTILE_NAME} reads")));
    }

    #[test]
    fn baseline_state_marks_new_and_unchanged() {
        let doc = document(true);
        let states: Vec<&str> = doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["baselineState"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["unchanged", "new", "new", "unchanged"]);
    }

    #[test]
    fn uris_encode_what_is_not_a_path_character() {
        assert_eq!(uri_reference("a/b-c_d.yaml"), "a/b-c_d.yaml");
        assert_eq!(
            uri_reference("my dir/a:b#c?d%é"),
            "my%20dir/a%3Ab%23c%3Fd%25%C3%A9"
        );
    }
}
