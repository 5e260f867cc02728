//! `lintage sql`: the printed query runs in a real engine (DuckDB always in CI, Spark when
//! Java and PySpark are installed), and a scan of its output sees exactly the edges, counts
//! and times that a scan of the raw log sees.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{Deployment, finding_keys, lintage, path_str};

const MANIFESTS: &str = "\
kind: model
name: scorer
identities: [svc:scorer]
inputs: [warehouse.features]
outputs: [warehouse.scores]
consumers: [service:app]
---
kind: service
name: app
identities: [svc:app]
inputs: [warehouse.scores]
";

/// The raw log: repeated principal/resource pairs at different times, a fraction of a
/// second, an offset other than Z, and an action in upper case.
const RAW: &[(&str, &str, &str, &str)] = &[
    (
        "2026-11-03T08:00:00Z",
        "svc:app",
        "read",
        "warehouse.scores",
    ),
    (
        "2026-11-01T09:30:00Z",
        "svc:app",
        "read",
        "warehouse.scores",
    ),
    (
        "2026-11-07T23:59:59.25Z",
        "svc:app",
        "read",
        "warehouse.scores",
    ),
    (
        "2026-11-02T00:00:00Z",
        "svc:scorer",
        "write",
        "warehouse.scores",
    ),
    (
        "2026-11-05T00:00:00Z",
        "svc:scorer",
        "write",
        "warehouse.scores",
    ),
    (
        "2026-11-02T01:00:00+02:00",
        "svc:scorer",
        "read",
        "warehouse.features",
    ),
    (
        "2026-11-04T10:00:00Z",
        "svc:intruder",
        "read",
        "warehouse.scores",
    ),
    (
        "2026-11-06T10:00:00+05:30",
        "svc:intruder",
        "read",
        "warehouse.scores",
    ),
    (
        "2026-11-06T12:00:00Z",
        "alice@corp",
        "READ",
        "warehouse.scores",
    ),
    (
        "2026-11-06T12:00:00Z",
        "svc:intruder",
        "write",
        "warehouse.scratch",
    ),
];

fn raw_ndjson() -> String {
    RAW.iter()
        .map(|(ts, p, a, r)| {
            serde_json::json!({"ts": ts, "principal": p, "action": a, "resource": r}).to_string()
                + "\n"
        })
        .collect()
}

/// Whether a tool is there; when it is not, a CI run (`CI` set) fails and a local run skips.
fn available(what: &str, ok: bool, required_in_ci: bool) -> bool {
    if ok {
        return true;
    }
    if required_in_ci && std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{what} is not installed, and CI is set: CI must run this test (.ci/run installs it with `python3 -m pip install --quiet duckdb`)"
        );
    }
    eprintln!("skipping: {what} is not installed");
    false
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a Python script with arguments; returns its stdout, panicking with stderr on failure.
fn python(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        output.status.success(),
        "python3 failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn sql(args: &[&str]) -> String {
    let mut all = vec!["sql"];
    all.extend_from_slice(args);
    let run = lintage(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// Observed edges of `lintage export --format json`, without the file and line they came from.
fn observed_edges(dir: &Path) -> Vec<Value> {
    let run = lintage(&["export", path_str(dir), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut edges: Vec<Value> = run.json()["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["observed"] == true)
        .map(|e| {
            let o = &e["observation"];
            serde_json::json!({
                "from": e["from"], "to": e["to"], "count": o["count"],
                "first_seen": o["first_seen"], "last_seen": o["last_seen"],
            })
        })
        .collect();
    edges.sort_by_key(|e| e.to_string());
    edges
}

/// The findings with their evidence, minus file and line (the raw log and the aggregate
/// differ there, and only there).
fn findings_without_locations(report: &Value) -> Vec<Value> {
    let mut findings = report["findings"].as_array().cloned().unwrap_or_default();
    for finding in &mut findings {
        for evidence in finding["evidence"].as_array_mut().into_iter().flatten() {
            if let Some(map) = evidence.as_object_mut() {
                map.remove("file");
                map.remove("line");
            }
        }
    }
    findings
}

/// Scans the raw log and the engine's output as two deployments with the same manifests and
/// asserts that lintage sees the same lineage in both, and the exact values expected.
fn assert_same_lineage(engine_output: &str) {
    let lines: Vec<&str> = engine_output.lines().collect();
    assert_eq!(lines.len(), 6, "one line per edge:\n{engine_output}");
    let keys: Vec<(String, String, String)> = lines
        .iter()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {line}"));
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("principal"), s("action"), s("resource"))
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by principal, action, resource");
    let app: Value = serde_json::from_str(lines[1]).unwrap_or_default();
    assert_eq!(
        app,
        serde_json::json!({"principal": "svc:app", "action": "read", "resource": "warehouse.scores",
            "count": 3, "first_seen": "2026-11-01T09:30:00Z", "last_seen": "2026-11-07T23:59:59.25Z"})
    );

    let raw = Deployment::new();
    raw.file("manifests.yaml", MANIFESTS)
        .file("logs/raw.jsonl", raw_ndjson());
    let aggregated = Deployment::new();
    aggregated
        .file("manifests.yaml", MANIFESTS)
        .file("logs/aggregated.jsonl", engine_output);

    let raw_run = raw.scan_json(&["--strict", "--no-store"]);
    let agg_run = aggregated.scan_json(&["--strict", "--no-store"]);
    assert_eq!(raw_run.code, 1, "{}", raw_run.stderr);
    assert_eq!(agg_run.code, 1, "{}", agg_run.stderr);
    let (raw_report, agg_report) = (raw_run.json(), agg_run.json());
    assert_eq!(agg_report["summary"]["log_records"], 6);
    assert_eq!(agg_report["summary"]["malformed_records"], 0);
    assert_eq!(
        raw_report["summary"]["edges"],
        agg_report["summary"]["edges"]
    );
    assert_eq!(
        finding_keys(&agg_report),
        vec![
            "LT001 model:scorer principal:alice@corp",
            "LT001 model:scorer principal:svc:intruder",
            "LT007 principal:alice@corp",
            "LT007 principal:svc:intruder",
        ]
    );
    assert_eq!(
        findings_without_locations(&raw_report),
        findings_without_locations(&agg_report)
    );

    let edges = observed_edges(aggregated.path());
    assert_eq!(edges, observed_edges(raw.path()));
    let intruder = edges
        .iter()
        .find(|e| e["to"] == "principal:svc:intruder")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        intruder,
        serde_json::json!({"from": "dataset:warehouse.scores", "to": "principal:svc:intruder",
            "count": 2, "first_seen": "2026-11-04T10:00:00Z", "last_seen": "2026-11-06T04:30:00Z"})
    );
    let features = edges
        .iter()
        .find(|e| e["from"] == "dataset:warehouse.features")
        .cloned()
        .unwrap_or_default();
    assert_eq!(features["first_seen"], "2026-11-01T23:00:00Z");
}

/// Loads the raw log into DuckDB as `logs.access` (a time zone column) and
/// `logs.access_naive` (UTC without a time zone), with column names that need quoting (`at`
/// is a keyword), in a session whose time zone is not UTC; then prints each `line` of the
/// query in argv[2].
const DUCKDB_SCRIPT: &str = r#"
import duckdb, json, sys
con = duckdb.connect()
con.execute("SET TimeZone = 'Asia/Kolkata'")
con.execute("CREATE SCHEMA logs")
columns = 'who VARCHAR, verb VARCHAR, "what ""object""" VARCHAR'
con.execute(f'CREATE TABLE logs.access ({columns}, "at" TIMESTAMPTZ)')
rows = [json.loads(line) for line in open(sys.argv[1])]
con.executemany("INSERT INTO logs.access VALUES (?, ?, ?, CAST(? AS TIMESTAMPTZ))",
                [[r["principal"], r["action"], r["resource"], r["ts"]] for r in rows])
con.execute("INSERT INTO logs.access VALUES (NULL, 'read', 'warehouse.scores', TIMESTAMPTZ '2026-11-01 00:00:00+00')")
con.execute("""CREATE TABLE logs.access_naive AS
               SELECT * REPLACE (timezone('UTC', "at") AS "at") FROM logs.access""")
for (line,) in con.execute(open(sys.argv[2]).read()).fetchall():
    print(line)
"#;

#[test]
fn duckdb_runs_the_query_and_lintage_reads_its_output() {
    if !available(
        "the duckdb Python package (python3 -m pip install duckdb)",
        succeeds("python3", &["-c", "import duckdb"]),
        true,
    ) {
        return;
    }
    let work = Deployment::new();
    work.file("raw.jsonl", raw_ndjson());
    for table in ["logs.access", "logs.access_naive"] {
        let query = sql(&[
            "--engine",
            "duckdb",
            "--table",
            table,
            "--principal",
            "who",
            "--action",
            "verb",
            "--resource",
            "what \"object\"",
            "--ts",
            "at",
        ]);
        work.file("query.sql", &query);
        let output = python(
            DUCKDB_SCRIPT,
            &[
                path_str(&work.path().join("raw.jsonl")),
                path_str(&work.path().join("query.sql")),
            ],
        );
        assert_same_lineage(&output);
    }
}

/// The same with Spark SQL in local mode: `access_log` has the time as text (as Spark reads
/// JSON), `access_log_ts` as a timestamp; the session time zone is not UTC.
const SPARK_SCRIPT: &str = r#"
import json, sys
from pyspark.sql import SparkSession, functions as F
spark = (SparkSession.builder.master("local[1]").appName("lintage-sql-test")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "America/New_York").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
rows = [json.loads(line) for line in open(sys.argv[1])]
df = spark.createDataFrame([(r["principal"], r["action"], r["resource"], r["ts"]) for r in rows]
                           + [(None, "read", "warehouse.scores", "2026-11-01T00:00:00Z")],
                           "who string, verb string, res string, at string").toDF("who", "verb", "what `object`", "at")
df.createOrReplaceTempView("access_log")
df.withColumn("at", F.to_timestamp("at")).createOrReplaceTempView("access_log_ts")
for table in ["access_log", "access_log_ts"]:
    query = open(sys.argv[2] + "." + table + ".sql").read()
    lines = [row[0] for row in spark.sql(query).collect()]
    print("\n".join(lines), file=open(sys.argv[2] + "." + table + ".jsonl", "w"))
spark.stop()
"#;

#[test]
fn spark_runs_the_query_in_local_mode_when_installed() {
    let java = succeeds("java", &["-version"]);
    let pyspark = succeeds("python3", &["-c", "import pyspark"]);
    if !available("Java", java, false)
        || !available("PySpark (python3 -m pip install pyspark)", pyspark, false)
    {
        return;
    }
    let work = Deployment::new();
    work.file("raw.jsonl", raw_ndjson());
    let tables = ["access_log", "access_log_ts"];
    for table in tables {
        let query = sql(&[
            "--engine",
            "spark",
            "--table",
            table,
            "--principal",
            "who",
            "--action",
            "verb",
            "--resource",
            "what `object`",
            "--ts",
            "at",
        ]);
        work.file(&format!("query.{table}.sql"), &query);
    }
    let prefix = work.path().join("query");
    python(
        SPARK_SCRIPT,
        &[path_str(&work.path().join("raw.jsonl")), path_str(&prefix)],
    );
    for table in tables {
        let path = format!("{}.{table}.jsonl", prefix.display());
        let output = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_same_lineage(&output);
    }
}

#[test]
fn names_are_flags_and_empty_ones_are_usage_errors() {
    for (flag, what) in [
        ("--table", "table"),
        ("--principal", "principal column"),
        ("--ts", "ts column"),
    ] {
        let run = lintage(&["sql", "--engine", "trino", flag, ""]);
        assert_eq!(run.code, 2, "{flag}: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!("the {what} name is empty")),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
    let run = lintage(&["sql", "--engine", "oracle"]);
    assert_eq!(run.code, 2);
    let run = lintage(&["sql"]);
    assert_eq!(run.code, 2);
    let help = lintage(&["sql", "--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("lintage sql --engine duckdb"),
        "{}",
        help.stdout
    );
}

#[test]
fn a_deployment_s_log_fields_name_the_columns_and_the_output_keys() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "[logs.fields]\nprincipal = \"user\"\nts = \"time\"\nfirst_seen = \"since\"\n",
    );
    let query = sql(&["--engine", "snowflake", "--deployment", path_str(d.path())]);
    assert!(query.contains("SELECT \"USER\" AS p"), "{query}");
    assert!(query.contains("MIN(\"TIME\")"), "{query}");
    assert!(query.contains("'user', p,"), "{query}");
    assert!(query.contains("'since', REGEXP_REPLACE"), "{query}");
    let flagged = sql(&[
        "--engine",
        "snowflake",
        "--deployment",
        path_str(d.path()),
        "--principal",
        "who",
    ]);
    assert!(flagged.contains("SELECT \"WHO\" AS p"), "{flagged}");
    assert!(flagged.contains("'user', p,"), "{flagged}");
}
