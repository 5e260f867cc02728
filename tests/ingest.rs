//! Native formats and discovery: manifests in YAML, JSON and TOML, NDJSON logs plain and
//! gzipped, malformed input located and never fatal to the rest.

use crate::util::{Deployment, log, logs, of_code};

#[test]
fn yaml_streams_json_and_toml_manifests_are_read() {
    let d = Deployment::new();
    d.file(
        "a/stream.yaml",
        "kind: job\nname: one\noutputs: [x]\n---\nkind: job\nname: two\noutputs: [x]\n---\n",
    )
    .file(
        "b/three.json",
        "{\"kind\": \"job\", \"name\": \"three\", \"outputs\": [\"x\"]}",
    )
    .file(
        "b/four.toml",
        "kind = \"job\"\nname = \"four\"\noutputs = [\"x\"]\n",
    )
    .file("b/five.yml", "kind: job\nname: five\noutputs: [x]\n");
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.findings(),
        vec!["LT009 dataset:x job:five job:four job:one job:three job:two"]
    );
}

#[test]
fn discovery_skips_hidden_folders_and_foreign_files() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: real\noutputs: [x]\n")
        .file(".hidden/m.yaml", "kind: job\nname: hidden\noutputs: [x]\n")
        .file(".github/workflows/ci.yml", "name: CI\non: push\njobs: {}\n")
        .file(
            "k8s/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
        )
        .file(
            "package.json",
            "{\"name\": \"web\", \"version\": \"1.0.0\"}",
        )
        .file("notes.yaml", "this: [is not: valid yaml\n")
        .file("README.md", "# hello\n")
        .file(".hidden/l.jsonl", log(1, "x", "write", "x"));
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.findings().is_empty(), "{:?}", run.findings());
    assert_eq!(run.json()["summary"]["log_records"], 0);
}

#[test]
fn a_bad_manifest_names_file_line_and_key() {
    let cases = [
        (
            "kind: model\nname: m\ninputs:\n  - ok\n  - [nested]\n",
            "m.yaml:5",
            "`inputs`",
        ),
        (
            "kind: model\nname: m\noutputs: scores\n",
            "m.yaml:3",
            "`outputs` must be a list",
        ),
        ("kind: model\nowner: me\n", "m.yaml:1", "missing `name`"),
        (
            "kind: pipeline\nname: m\n",
            "m.yaml:1",
            "`kind` must be model, job or service",
        ),
        (
            "kind: model\nname: m\ninputs: [a, b\n",
            "m.yaml:",
            "not valid YAML",
        ),
        (
            "kind: job\nname: m\nbase_model: x\n",
            "m.yaml:3",
            "only for models",
        ),
    ];
    for (text, location, what) in cases {
        let d = Deployment::new();
        d.file("m.yaml", text);
        let run = d.scan_json(&[]);
        assert_eq!(run.code, 2, "{text}");
        assert!(run.stderr.contains(location), "{text}: {}", run.stderr);
        assert!(run.stderr.contains(what), "{text}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn a_second_declaration_of_one_entity_is_an_error() {
    let d = Deployment::new();
    d.file("a.yaml", "kind: model\nname: m\n")
        .file("b.yaml", "\nkind: model\nname: m\n");
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("model:m is declared twice: a.yaml:1 and b.yaml:2"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_log_lines_are_skipped_counted_and_located() {
    let d = Deployment::new();
    let mut text = String::new();
    text.push_str(&log(1, "svc:a", "read", "t"));
    text.push_str("{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:a\"\n");
    text.push_str("\u{0}\u{1}garbage\n");
    text.push_str(&log(2, "svc:a", "read", "u"));
    d.file("l.jsonl", text);
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0);
    let report = run.json();
    assert_eq!(report["summary"]["log_records"], 2);
    assert_eq!(report["summary"]["malformed_records"], 2);
    assert!(run.stderr.contains("l.jsonl:2"), "{}", run.stderr);
    assert_eq!(
        of_code(&report, "LT007")[0]["evidence"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let text = crate::util::lintage(&["scan", crate::util::path_str(d.path())]);
    assert!(
        text.stdout.contains("skipped 2 malformed log lines"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("l.jsonl:2:") && text.stdout.contains("l.jsonl:3:"),
        "{}",
        text.stdout
    );

    let strict = d.scan_json(&["--strict"]);
    assert_eq!(strict.code, 2);
    assert!(strict.stderr.contains("l.jsonl:2"), "{}", strict.stderr);
}

#[test]
fn gzip_logs_are_read_and_a_truncated_one_keeps_what_it_had() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: job\nname: j\nidentities: [svc:j]\ninputs: [t]\n",
    )
    .gz_file(
        "logs/a.jsonl.gz",
        &logs(&[(1, "svc:j", "read", "t"), (2, "svc:j", "read", "t")]),
    )
    .gz_file("logs/b.ndjson.gz", &log(3, "svc:j", "read", "u"));
    let run = d.scan_json(&[]);
    let report = run.json();
    assert_eq!(report["summary"]["log_records"], 3);
    assert_eq!(run.findings(), vec!["LT004 job:j dataset:u"]);

    // Cut a gzip file short: the lines before the cut still count, the cut is reported.
    let whole = std::fs::read(d.path().join("logs/a.jsonl.gz")).unwrap_or_default();
    let big: String = (0..2000)
        .map(|i| log(1 + i % 28, "svc:j", "read", &format!("t{i}")))
        .collect();
    d.gz_file("logs/a.jsonl.gz", &big);
    let full = std::fs::read(d.path().join("logs/a.jsonl.gz")).unwrap_or_default();
    d.file("logs/a.jsonl.gz", &full[..full.len() / 2]);
    let run = d.scan_json(&[]);
    let report = run.json();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(report["summary"]["log_records"].as_u64().unwrap_or(0) > 100);
    assert!(
        report["summary"]["malformed_records"].as_u64() >= Some(1),
        "the break is counted"
    );
    assert!(
        run.stderr.contains("a.jsonl.gz:") && run.stderr.contains("breaks off"),
        "{}",
        run.stderr
    );
    assert!(!whole.is_empty());
}

#[test]
fn sql_query_lines_become_reads_and_writes() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: etl\nidentities: [etl]\ninputs: [raw.orders]\noutputs: [mart.daily]\n")
        .file(
            "q.log",
            "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"etl\",\"query\":\"WITH o AS (SELECT * FROM raw.orders) INSERT INTO mart.daily SELECT * FROM o JOIN raw.customers c ON true\"}\n",
        );
    let run = d.scan_json(&[]);
    assert_eq!(run.findings(), vec!["LT004 job:etl dataset:raw.customers"]);
}

#[test]
fn broken_manifests_in_any_style_are_errors_not_skipped() {
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "fraud.json",
            b"{\"kind\": \"model\", \"name\": \"fraud\", \"consumers\": [\"service:checkout\",]",
            "fraud.json:",
        ),
        (
            "flow.yaml",
            b"{kind: model, name: fraud, outputs: [a}\n",
            "flow.yaml:",
        ),
        (
            "latin.yaml",
            b"kind: model\nname: a\nowner: \xff\n",
            "latin.yaml:3",
        ),
        ("m.toml", b"kind = \"job\"\nname = \n", "m.toml:2"),
    ];
    for (name, text, location) in cases {
        let d = Deployment::new();
        d.file(name, text);
        let run = d.scan_json(&[]);
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        assert!(run.stderr.contains(location), "{name}: {}", run.stderr);
    }
}

#[test]
fn sources_may_name_manifests_with_any_extension() {
    let d = Deployment::new();
    d.file("lintage.toml", "[[sources]]\npath = \"man/*\"\nformat = \"manifest\"\n\n[[sources]]\npath = \"audit/*\"\nformat = \"ndjson\"\n")
        .file("man/j.manifest", "kind: job\nname: j\nidentities: [j]\n")
        .file("audit/access.txt", log(1, "j", "read", "t"));
    let run = d.scan_json(&[]);
    assert_eq!(
        run.findings(),
        vec!["LT004 job:j dataset:t"],
        "{}",
        run.stderr
    );
}

#[test]
fn odd_log_files_say_what_is_wrong() {
    let d = Deployment::new();
    let bom = format!("\u{feff}{}", log(1, "j", "read", "a"));
    d.file(
        "m.yaml",
        "kind: job\nname: j\nidentities: [j]\ninputs: [a]\n",
    )
    .file("bom.jsonl", bom)
    .file("empty.jsonl.gz", "")
    .file("plain.jsonl.gz", log(2, "j", "read", "a"));
    let run = d.scan_json(&[]);
    let report = run.json();
    assert!(
        run.findings().is_empty(),
        "the BOM line is read: {:?}",
        run.findings()
    );
    assert_eq!(report["summary"]["malformed_records"], 1);
    assert!(
        run.stderr.contains("plain.jsonl.gz:1: not a gzip file"),
        "{}",
        run.stderr
    );
}

#[test]
fn sql_names_fold_case_unless_quoted() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: etl\nidentities: [etl]\ninputs: [warehouse.scores.fraud, Raw.Mixed]\n")
        .file(
            "q.jsonl",
            "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"etl\",\"query\":\"SELECT * FROM Warehouse.Scores.FRAUD JOIN \\\"Raw\\\".\\\"Mixed\\\" ON true\"}\n",
        );
    let run = d.scan_json(&[]);
    assert!(run.findings().is_empty(), "{:?}", run.findings());
}

#[test]
fn scanning_a_file_says_a_folder_is_expected() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: j\n");
    let run = crate::util::lintage(&["scan", crate::util::path_str(&d.path().join("m.yaml"))]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("m.yaml: not a folder"),
        "{}",
        run.stderr
    );
}
