//! What each fuzz target does with its input: one function per target, each calling
//! lintage's public library API as a scan would. The targets in `fuzz_targets/` are one line
//! each; `tests/fuzz_regressions.rs` includes this file and replays every input kept under
//! `fuzz/regressions/` and `fuzz/seeds/` through the same functions, so the crash inputs stay
//! tests of the normal suite without cargo-fuzz.
//!
//! A panic anywhere is a failure. Beyond that, the targets check what must hold whatever the
//! input: the fast and the full NDJSON parsers agree, JSON outputs parse back with every name
//! intact, XML is well formed, terminal and workflow-command outputs carry no raw control
//! characters.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;

use lintage::baseline::{BaselineEntry, BaselineStatus};
use lintage::config::{Action, FieldMap, Settings};
use lintage::diagram::{self, Diagram, select::Cluster};
use lintage::finding::{self, Evidence, Finding, LoopKind, Severity};
use lintage::ingest::{
    self, Entry, Facts, LogStats, Malformed, Manifest, ObservedEdges, ReuseCounts,
};
use lintage::node::{NodeId, NodeKind};
use lintage::pipeline::Analysis;
use lintage::policy::{self, Outcome};
use lintage::report::{self, ScanReport, Summary};
use lintage::rules::{self, RULES};
use lintage::time::{Timestamp, Window};

/// What a target does with one input; it panics when something is wrong.
pub type Check = fn(&[u8]);

/// The targets, by name: what `cargo fuzz run NAME` runs and what the regression test replays.
pub const TARGETS: [(&str, Check); 15] = [
    ("manifest", manifest),
    ("ndjson_line", ndjson_line),
    ("ndjson_block", ndjson_block),
    ("openlineage", openlineage),
    ("bigquery", bigquery),
    ("dbt", dbt),
    ("mlflow", mlflow),
    ("model_card", model_card),
    ("s3_access", s3_access),
    ("pgaudit", pgaudit),
    ("csv_log", csv_log),
    ("regex_log", regex_log),
    ("sql", sql),
    ("config", config),
    ("render", render),
];

/// lintage catches a panic of the SQL parser (`sql::extract_tables_in`) and reports the SQL as
/// unparsable. libfuzzer-sys installs a hook that aborts on every panic, caught or not; the
/// default hook is put back for the targets that reach the SQL parser, so that only panics
/// that escape lintage (which libfuzzer-sys still turns into a crash) count.
fn let_lintage_catch_sql_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// An open window, or one that some records fall outside, chosen by the input's length.
fn window(data: &[u8]) -> Window {
    if data.len() % 2 == 0 {
        Window::default()
    } else {
        Window {
            since: Timestamp::parse_rfc3339("2026-01-01T00:00:00Z"),
            until: Timestamp::parse_rfc3339("2027-01-01T00:00:00Z"),
        }
    }
}

/// The default field map, and one that maps several fields to one key (the first mapped
/// field wins) and ignores an action.
fn field_maps() -> [FieldMap; 2] {
    let mut odd = FieldMap {
        ts: "t".into(),
        principal: "who".into(),
        action: "who".into(),
        resource: "res".into(),
        query: "res".into(),
        count: "n".into(),
        first_seen: "t".into(),
        last_seen: "last".into(),
        ..FieldMap::default()
    };
    odd.actions.insert("get".into(), Some(Action::Read));
    odd.actions.insert("noop".into(), None);
    [FieldMap::default(), odd]
}

/// Native manifests: YAML, JSON and TOML, parsed and read into manifests.
pub fn manifest(data: &[u8]) {
    let text = text(data);
    for syntax in [
        ingest::manifest::Syntax::Yaml,
        ingest::manifest::Syntax::Json,
        ingest::manifest::Syntax::Toml,
    ] {
        let Ok(docs) = ingest::manifest::parse_documents("m.yaml", &text, syntax) else {
            continue;
        };
        for doc in &docs {
            let _ = ingest::manifest::looks_like_manifest(doc);
            let _ = ingest::manifest::from_tree("m.yaml", doc);
        }
    }
}

/// One native log line, through the fast path and the full parser; whatever the fast path
/// accepts, the full parser accepts with the same fields.
pub fn ndjson_line(data: &[u8]) {
    for fields in &field_maps() {
        let full = ingest::ndjson::parse_line(data, fields);
        if let Ok(fast) = ingest::flat_json::parse_record(data, fields) {
            let full = match full {
                Ok(full) => full,
                Err(e) => panic!("the fast path accepts a line the full parser rejects: {e}"),
            };
            assert_eq!(fast.ts, full.ts, "ts");
            assert_eq!(fast.principal, full.principal, "principal");
            assert_eq!(fast.action, full.action, "action");
            assert_eq!(fast.resource, full.resource, "resource");
            assert_eq!(fast.query, full.query, "query");
            assert_eq!(fast.count, full.count, "count");
            assert_eq!(fast.first_seen, full.first_seen, "first_seen");
            assert_eq!(fast.last_seen, full.last_seen, "last_seen");
        }
    }
}

/// A whole native log held in memory: every line is a record, malformed, or blank.
pub fn ndjson_block(data: &[u8]) {
    let_lintage_catch_sql_parser_panics();
    for (i, fields) in field_maps().iter().enumerate() {
        let options = ingest::ndjson::LogOptions {
            fields,
            sql_dialect: (i == 1).then_some(ingest::sql::SqlDialect::Postgres),
            window: window(data),
        };
        let (edges, stats) = ingest::ndjson::read_lines(data, 0, "a.jsonl", &options);
        let lines = data.split(|&b| b == b'\n').count() as u64;
        assert!(stats.records + stats.malformed <= lines);
        assert!(stats.samples.len() <= ingest::SAMPLES_PER_FILE);
        let mut edges = edges;
        edges.flush();
        assert_eq!(edges.iter().count(), edges.edge_count());
    }
}

/// An OpenLineage event file (one JSON array, or one event a line).
pub fn openlineage(data: &[u8]) {
    let mut reader = ingest::openlineage::Reader::default();
    reader.read(&text(data), 0, "events.json", &window(data));
    let (mut edges, manifests, jobs, _stats) = reader.finish();
    edges.flush();
    assert_eq!(edges.iter().count(), edges.edge_count());
    assert!(manifests.iter().all(|m| m.kind == NodeKind::Job));
    assert!(jobs.iter().all(|j| j.kind() == NodeKind::Job));
}

/// A BigQuery jobs export.
pub fn bigquery(data: &[u8]) {
    let mut edges = ObservedEdges::default();
    let mut stats = LogStats::default();
    ingest::bigquery::read(
        &text(data),
        0,
        "jobs.json",
        window(data),
        &mut edges,
        &mut stats,
    );
    edges.flush();
    assert_eq!(edges.iter().count(), edges.edge_count());
}

/// A dbt `manifest.json`.
pub fn dbt(data: &[u8]) {
    let _ = ingest::dbt::read(&text(data), "target/manifest.json");
}

/// An MLflow `MLmodel` file, in a file-store layout that does not exist on disk.
pub fn mlflow(data: &[u8]) {
    let display = "mlruns/0/0123abcd/artifacts/model/MLmodel";
    let path = Path::new("/nonexistent-lintage-fuzz").join(display);
    let _ = ingest::mlflow::read(&path, &text(data), display);
}

/// A Hugging Face model card's front matter.
pub fn model_card(data: &[u8]) {
    let text = text(data);
    let _ = ingest::model_card::sniff(&text);
    let _ = ingest::model_card::read(&text, "org/name/README.md");
}

/// S3 server access log records, one by one and as a file.
pub fn s3_access(data: &[u8]) {
    let text = text(data);
    let _ = ingest::s3_access::sniff(&text);
    for line in text.lines() {
        if let Ok(record) = ingest::s3_access::parse(line) {
            let _ = ingest::s3_access::action(record.operation);
        }
    }
    let mut edges = ObservedEdges::default();
    let mut stats = LogStats::default();
    ingest::s3_access::read(
        Cursor::new(data),
        1,
        0,
        "s3.log",
        window(data),
        &mut edges,
        &mut stats,
    );
}

/// pgaudit lines, from a server log and from a psql transcript.
pub fn pgaudit(data: &[u8]) {
    let text = text(data);
    let transcript = ingest::pgaudit::Transcript::new("t.out", Timestamp(0));
    for line in text.lines() {
        let _ = ingest::pgaudit::parse(line, None);
        let _ = ingest::pgaudit::parse(line, Some(&transcript));
    }
    for transcript in [None, Some(&transcript)] {
        let mut edges = ObservedEdges::default();
        let mut stats = LogStats::default();
        ingest::pgaudit::read(
            Cursor::new(data),
            1,
            0,
            "pg.log",
            window(data),
            transcript,
            &mut edges,
            &mut stats,
        );
    }
}

/// CSV logs: the header, each line split, and the rows read.
pub fn csv_log(data: &[u8]) {
    let_lintage_catch_sql_parser_panics();
    let text = text(data);
    for line in text.lines() {
        let _ = ingest::csv_log::split(line);
    }
    for (i, fields) in field_maps().iter().enumerate() {
        let Ok(Some(columns)) = ingest::csv_log::header(&text, fields) else {
            continue;
        };
        let mut edges = ObservedEdges::default();
        let mut stats = LogStats::default();
        ingest::csv_log::read(
            Cursor::new(data),
            &columns,
            fields,
            (i == 1).then_some(ingest::sql::SqlDialect::Snowflake),
            1,
            0,
            "a.csv",
            window(data),
            &mut edges,
            &mut stats,
        );
    }
}

/// Lines read with a `[[sources]]` regex in each time format, and the time formats alone.
pub fn regex_log(data: &[u8]) {
    use ingest::regex_log::{LineFormat, TimeFormat};
    static REGEX: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let regex = REGEX.get_or_init(|| {
        regex::Regex::new(
            r"^\[(?P<ts>[^\]]*)\] (?P<principal>\S*) (?P<action>\S*) (?P<resource>.*)$",
        )
        .expect("a valid regex")
    });
    let text = text(data);
    let formats = ["rfc3339", "epoch_seconds", "epoch_millis", "clf"]
        .map(|name| TimeFormat::parse_name(name).expect("a known time format"));
    for line in text.lines() {
        for format in formats {
            let _ = format.parse(line);
        }
    }
    for (format, fields) in formats.into_iter().zip(field_maps().iter().cycle()) {
        let format = LineFormat {
            regex: regex.clone(),
            time: format,
        };
        let mut edges = ObservedEdges::default();
        let mut stats = LogStats::default();
        ingest::regex_log::read(
            Cursor::new(data),
            &format,
            fields,
            1,
            0,
            "app.log",
            window(data),
            &mut edges,
            &mut stats,
        );
    }
}

/// SQL table extraction, whole and statement by statement, in a dialect the first byte picks.
pub fn sql(data: &[u8]) {
    let_lintage_catch_sql_parser_panics();
    let (first, rest) = data.split_first().unwrap_or((&0, data));
    let names = ingest::sql::SqlDialect::NAMES;
    let dialect = names
        .get(usize::from(*first) % (names.len() + 1))
        .and_then(|name| ingest::sql::SqlDialect::parse_name(name));
    let text = text(rest);
    let _ = ingest::sql::extract_tables_in(&text, dialect);
    let _ = ingest::sql::extract_tables_by_statement(&text, dialect);
}

/// `lintage.toml`, parsed and validated.
pub fn config(data: &[u8]) {
    let _ = Settings::parse("lintage.toml", &text(data));
}

/// Up to six names from the input, separated by NUL; missing ones get plain defaults.
fn names(data: &[u8]) -> [String; 6] {
    let text = text(data);
    let mut parts = text.split('\0');
    ["a", "b", "c", "d", "e", "f"].map(|default| {
        parts
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or(default)
            .to_string()
    })
}

/// Every report format and every diagram format, fed with the names of the input: findings
/// written by hand (the names as they are), and a deployment built from manifests and log
/// records that use the names, run through the graph, the rules and the policy.
pub fn render(data: &[u8]) {
    let names = names(data);
    let [a, b, c, d, e, f] = &names;

    // Findings that carry the names unchanged.
    let kinds = NodeKind::ALL;
    let mut findings: Vec<Finding> = RULES
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let name = &names[i % names.len()];
            let subject = NodeId::new(kinds[i % kinds.len()], name);
            let severity = [Severity::Error, Severity::Warning, Severity::Info][i % 3];
            let related = vec![
                NodeId::new(NodeKind::Dataset, &names[(i + 1) % names.len()]).to_string(),
                names[(i + 2) % names.len()].clone(),
            ];
            let mut finding = Finding::new(
                rule,
                severity,
                &subject,
                related,
                format!("{subject} reads {b} through {c}"),
            )
            .with_path(vec![subject.to_string(), c.clone(), subject.to_string()])
            .with_evidence(vec![
                Evidence::Observed {
                    file: f.as_str().into(),
                    line: i as u64,
                    count: 3,
                    // Times are printed by lintage itself (`Timestamp`), never taken from input.
                    first_seen: lintage::time::Timestamp(1_793_491_203_000_000_000),
                    last_seen: lintage::time::Timestamp(1_795_910_350_500_000_000),
                    // Ids around the names as they are (evidence ends are node ids).
                    from: NodeId::new(NodeKind::Principal, a),
                    to: NodeId::new(NodeKind::Dataset, b),
                },
                // The key is a manifest key lintage names (`inputs`, `consumers`).
                Evidence::manifest_line(f, i, "inputs", d),
            ]);
            if i % 2 == 1 {
                finding.loop_kind = Some(LoopKind::Hidden);
            }
            finding
        })
        .collect();
    finding::sort(&mut findings);
    let locations: BTreeMap<String, (String, usize)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f.subject.clone(), (e.clone(), i)))
        .collect();
    let baseline = BaselineStatus {
        known: findings
            .iter()
            .step_by(2)
            .map(|f| f.fingerprint.clone())
            .collect(),
        resolved: vec![BaselineEntry {
            fingerprint: a.clone(),
            code: b.clone(),
            subject: c.clone(),
            related: vec![d.clone()],
            message: e.clone(),
            reason: f.clone(),
        }],
    };
    let mut stats = LogStats::default();
    stats.malformed_at(f, 7, a.clone());
    stats.samples.push(Malformed {
        file: b.clone(),
        line: 1,
        reason: c.clone(),
    });
    let outcome = Outcome {
        findings,
        ..Outcome::default()
    };
    let skipped = vec![(f.clone(), d.clone())];
    for with_baseline in [false, true] {
        let report = ScanReport {
            outcome: &outcome,
            summary: Summary::default(),
            stats: &stats,
            skipped: &skipped,
            config_file: Some(e),
            subject_locations: &locations,
            root: d,
            baseline: with_baseline.then_some(&baseline),
            fail_on: Some(Severity::Warning),
        };
        check_reports(&report);
    }

    // A deployment that uses the names, analysed as a scan would.
    let Some(analysis) = analyse(&names) else {
        return;
    };
    let report = ScanReport {
        outcome: &analysis.outcome,
        summary: analysis.summary.clone(),
        stats: &analysis.stats,
        skipped: &analysis.skipped,
        config_file: None,
        subject_locations: &analysis.subject_locations,
        root: ".",
        baseline: None,
        fail_on: Some(Severity::Error),
    };
    check_reports(&report);
    let snapshot = lintage::store::memory::snapshot(&analysis, d, "scan");
    let full = Diagram::from_snapshot(&snapshot);
    let ids: BTreeSet<&str> = snapshot.nodes.iter().map(|n| n.id.as_str()).collect();
    for diagram in [full.clone(), diagram::select::models_only(&full)] {
        for cluster in [Cluster::None, Cluster::Owner, Cluster::Namespace] {
            let _ = diagram::dot::render(&diagram, diagram::dot::Style { cluster });
            let _ = diagram::mermaid::render(&diagram, cluster);
            let json = diagram::json::render(&diagram, cluster);
            let value: serde_json::Value =
                serde_json::from_str(&json).expect("the diagram JSON parses");
            for node in value["nodes"].as_array().expect("nodes") {
                let id = node["id"].as_str().expect("a node id");
                assert!(ids.contains(id), "node {id:?} is no node of the snapshot");
            }
        }
    }
    let value: serde_json::Value =
        serde_json::from_str(&diagram::json::render(&full, Cluster::None)).expect("JSON");
    let drawn: BTreeSet<&str> = value["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert_eq!(drawn, ids, "the diagram JSON names every node as it is");
}

/// Manifests and log records that use the names, through the graph, rules and policy.
fn analyse(names: &[String; 6]) -> Option<Analysis> {
    let [a, b, c, d, e, f] = names;
    let entry = |value: &str, line: usize| Entry {
        value: value.to_string(),
        line,
    };
    let mut scorer = Manifest::new(f, 1, NodeKind::Model, a);
    scorer.owner = Some(e.clone());
    scorer.identities = vec![entry(&format!("svc:{a}"), 2)];
    scorer.inputs = vec![entry(c, 3)];
    scorer.outputs = vec![entry(b, 4)];
    scorer.consumers = vec![entry(&format!("service:{d}"), 5)];
    let mut ranker = Manifest::new(f, 10, NodeKind::Model, b);
    ranker.identities = vec![entry(e, 11)];
    ranker.training = vec![entry(b, 12)];
    ranker.outputs = vec![entry(c, 13)];
    ranker.influences = vec![entry(c, 14)];
    ranker.base_models = vec![entry(a, 15)];
    let mut app = Manifest::new(e, 1, NodeKind::Service, d);
    app.inputs = vec![entry(&format!("dataset:{c}"), 2)];

    let mut edges = ObservedEdges::default();
    let t = Timestamp(1_700_000_000_000_000_000);
    edges.add(e, b, Action::Read, 2, t, t, 0, 1);
    edges.add(d, b, Action::Read, 1, t, t, 0, 2);
    edges.add(&format!("svc:{a}"), c, Action::Write, 1, t, t, 0, 3);
    edges.add(f, a, Action::Read, 1, t, t, 0, 4);
    let facts = Facts {
        manifests: vec![scorer, ranker, app],
        manifest_files: vec![f.clone(), e.clone()],
        log_files: vec![d.clone()],
        observed: {
            edges.flush();
            edges
        },
        ..Facts::default()
    };
    let settings = Settings::default();
    let summary = Summary {
        manifests: facts.manifests.len(),
        manifest_files: facts.manifest_files.len(),
        log_files: facts.log_files.len(),
        ..Summary::default()
    };
    let graph = lintage::graph::build(facts, &settings).ok()?;
    let outcome = policy::apply(rules::run_all(&graph), &settings);
    let subject_locations = graph
        .nodes()
        .filter_map(|node| {
            let m = graph.manifest(node)?;
            Some((graph.id(node).to_string(), (m.file.clone(), m.line)))
        })
        .collect();
    Some(Analysis {
        graph,
        outcome,
        summary,
        stats: LogStats::default(),
        skipped: Vec::new(),
        settings,
        inputs: Vec::new(),
        cache_rows: None,
        reuse: ReuseCounts::default(),
        manifest_reuse: Default::default(),
        subject_locations,
    })
}

/// Renders every report format and checks what each must keep whatever the names.
fn check_reports(report: &ScanReport<'_>) {
    let findings = &report.outcome.findings;

    let plain = report::text::render(report, report::text::Style { color: false });
    if let Some((at, c)) = plain
        .char_indices()
        .find(|&(_, c)| c.is_control() && c != '\n')
    {
        let from = plain[..at].rfind("\n\n").unwrap_or(0);
        let to = plain[at..].find('\n').map_or(plain.len(), |n| at + n);
        panic!(
            "the text report carries the control character {c:?}: {:?}",
            &plain[from..to]
        );
    }
    let _ = report::text::render(report, report::text::Style { color: true });

    let json: serde_json::Value =
        serde_json::from_str(&report::json::render(report)).expect("the JSON report parses");
    let listed = json["findings"].as_array().expect("findings");
    assert_eq!(listed.len(), findings.len());
    for (value, finding) in listed.iter().zip(findings) {
        assert_eq!(value["subject"].as_str(), Some(finding.subject.as_str()));
        assert_eq!(value["message"].as_str(), Some(finding.message.as_str()));
        let related: Vec<&str> = value["related"]
            .as_array()
            .expect("related")
            .iter()
            .filter_map(|r| r.as_str())
            .collect();
        assert_eq!(related, finding.related);
    }

    let sarif: serde_json::Value =
        serde_json::from_str(&report::sarif::render(report)).expect("the SARIF report parses");
    assert!(sarif["runs"].is_array());

    let github = report::github::render(report);
    assert!(!github.contains('\r'), "a raw CR in a workflow command");
    let commands = findings.iter().filter(|f| report.is_new(f)).count();
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(
        lines.len(),
        commands + 1,
        "one line per annotation and a summary"
    );
    for line in &lines[..commands] {
        assert!(line.starts_with("::"), "not a workflow command: {line:?}");
    }

    let junit = report::junit::render(report);
    let mut reader = quick_xml::Reader::from_str(&junit);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the JUnit report is no well-formed XML: {e}"),
        }
    }

    let _ = report::markdown::render(report);
}
