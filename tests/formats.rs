//! Formats recognised by content (SPEC.md, "Discovery"): real files from other systems, read
//! with no configuration, into the same lineage graph as native manifests and logs.

use serde_json::Value;

use crate::util::{Deployment, lintage, path_str, repo_path};

fn fixture(relative: &str) -> Vec<u8> {
    let path = repo_path(&format!("tests/fixtures/{relative}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// `lintage export DIR --format json`.
fn export(d: &Deployment) -> Value {
    let run = lintage(&["export", path_str(d.path()), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

fn edge<'a>(graph: &'a Value, from: &str, to: &str) -> Option<&'a Value> {
    graph["edges"]
        .as_array()?
        .iter()
        .find(|e| e["from"] == from && e["to"] == to)
}

fn event(
    event_type: &str,
    run: &str,
    time: &str,
    job: &str,
    inputs: &str,
    outputs: &str,
) -> String {
    let list = |names: &str| {
        names
            .split(',')
            .filter(|n| !n.is_empty())
            .map(|n| format!("{{\"namespace\":\"db\",\"name\":\"{n}\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"eventType\":\"{event_type}\",\"eventTime\":\"{time}\",\"run\":{{\"runId\":\"{run}\"}},\"job\":{{\"namespace\":\"sched\",\"name\":\"{job}\"}},\"inputs\":[{}],\"outputs\":[{}],\"producer\":\"test\"}}",
        list(inputs),
        list(outputs)
    )
}

#[test]
fn the_marquez_seed_gives_the_five_hop_chain() {
    let d = Deployment::new();
    d.file(
        "lineage/seed_metadata.json",
        fixture("openlineage/seed_metadata.json"),
    );
    let run = lintage(&[
        "query",
        "path",
        "dataset:food_delivery/public.menus",
        "dataset:food_delivery/public.popular_orders_day_of_week",
        "--deployment",
        path_str(d.path()),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout.clone();
    let hops = [
        "dataset:food_delivery/public.menus",
        "dataset:food_delivery/public.orders_7_days",
        "dataset:food_delivery/public.delivery_7_days",
        "dataset:food_delivery/public.top_delivery_times",
        "dataset:food_delivery/public.popular_orders_day_of_week",
    ];
    let mut at = 0;
    for hop in hops {
        let found = text[at..]
            .find(hop)
            .unwrap_or_else(|| panic!("{hop} missing after byte {at} in {text}"));
        at += found + hop.len();
    }
    // Jobs known only from events declare nothing, so nothing is "undeclared".
    let scan = d.scan_json(&[]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let findings = scan.findings();
    assert!(
        findings
            .iter()
            .all(|f| !f.starts_with("LT004") && !f.starts_with("LT008")),
        "{findings:?}"
    );
    assert_eq!(scan.json()["summary"]["malformed_records"], 0);
}

#[test]
fn start_running_complete_of_one_run_count_once() {
    let d = Deployment::new();
    let events = [
        event("START", "r1", "2026-11-01T00:00:00Z", "build", "a", "b"),
        event("RUNNING", "r1", "2026-11-01T00:01:00Z", "build", "a", "b"),
        event("COMPLETE", "r1", "2026-11-01T00:02:00Z", "build", "a", "b"),
        event("COMPLETE", "r2", "2026-11-02T00:00:00Z", "build", "a", "b"),
    ];
    d.file("events.ndjson", events.join("\n") + "\n");
    let graph = export(&d);
    let read = edge(&graph, "dataset:db/a", "job:sched/build").unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(read["observation"]["count"], 2);
    assert_eq!(read["observation"]["first_seen"], "2026-11-01T00:00:00Z");
    assert_eq!(read["observation"]["last_seen"], "2026-11-02T00:00:00Z");
    assert_eq!(read["observation"]["file"], "events.ndjson");
    assert_eq!(read["observation"]["line"], 1);
    assert!(edge(&graph, "job:sched/build", "dataset:db/b").is_some());
}

#[test]
fn arrays_marquez_dumps_and_single_events_are_read() {
    let d = Deployment::new();
    d.file(
        "array.json",
        format!(
            "[\n{},\n{}\n]\n",
            event("COMPLETE", "r1", "2026-11-01T00:00:00Z", "one", "a", "b"),
            event("COMPLETE", "r2", "2026-11-01T00:00:00Z", "two", "b", "c")
        ),
    )
    .file(
        "dump.json",
        format!(
            "{{\"events\": [\n{}\n], \"totalCount\": 1}}",
            event("COMPLETE", "r3", "2026-11-01T00:00:00Z", "three", "c", "d")
        ),
    )
    .file(
        "single.json",
        event("COMPLETE", "r4", "2026-11-01T00:00:00Z", "four", "d", "e"),
    )
    .file(
        "required_only.json",
        fixture("openlineage/event_required_only.json"),
    );
    let graph = export(&d);
    for (from, to) in [
        ("job:sched/one", "dataset:db/b"),
        ("dataset:db/b", "job:sched/two"),
        ("job:sched/three", "dataset:db/d"),
        ("job:sched/four", "dataset:db/e"),
    ] {
        assert!(edge(&graph, from, to).is_some(), "{from} -> {to}: {graph}");
    }
    let two = edge(&graph, "dataset:db/b", "job:sched/two").unwrap_or_else(|| panic!());
    assert_eq!(two["observation"]["line"], 3);
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert!(nodes.contains(&"job:my-namespace/myjob"), "{nodes:?}");
}

#[test]
fn symlinks_merge_aliases_into_the_first_symlink() {
    let d = Deployment::new();
    let aliased = "{\"eventType\":\"COMPLETE\",\"eventTime\":\"2026-11-01T00:00:00Z\",\"run\":{\"runId\":\"r1\"},\"job\":{\"namespace\":\"spark\",\"name\":\"w\"},\"outputs\":[{\"namespace\":\"s3://b\",\"name\":\"warehouse/t\",\"facets\":{\"symlinks\":{\"identifiers\":[{\"namespace\":\"hive\",\"name\":\"db.t\",\"type\":\"TABLE\"}]},\"someUnknownFacet\":{\"x\":1}}}]}";
    let direct = "{\"eventType\":\"COMPLETE\",\"eventTime\":\"2026-11-01T00:00:00Z\",\"run\":{\"runId\":\"r2\"},\"job\":{\"namespace\":\"spark\",\"name\":\"r\"},\"inputs\":[{\"namespace\":\"hive\",\"name\":\"db.t\"}]}";
    d.file("events.jsonl", format!("{aliased}\n{direct}\n"));
    let path = lintage(&[
        "query",
        "path",
        "job:spark/w",
        "job:spark/r",
        "--deployment",
        path_str(d.path()),
    ]);
    assert_eq!(path.code, 0, "{}{}", path.stdout, path.stderr);
    assert!(path.stdout.contains("dataset:hive/db.t"), "{}", path.stdout);
}

#[test]
fn broken_events_are_counted_with_file_and_index_never_fatal() {
    let d = Deployment::new();
    d.file(
        "events.json",
        format!(
            "[\n{},\n{{\"eventType\":\"START\",\"eventTime\":\"{{{{RUN_START_TIME}}}}\",\"run\":{{\"runId\":\"x\"}},\"job\":{{\"namespace\":\"n\",\"name\":\"j\"}}}},\n{{\"eventType\":\"START\",\"eventTime\":\"${{json-unit.any-string}}\",\"run\":{{}},\"job\":{{\"namespace\":\"n\",\"name\":\"j\"}}}},\n{{\"eventType\":\"START\",\"run\":{{\"runId\":\"y\"}}}}\n]\n",
            event("COMPLETE", "r1", "2026-11-01T00:00:00Z", "ok", "a", "b")
        ),
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["malformed_records"], 3);
    assert_eq!(run.json()["summary"]["log_records"], 1);
    let text = lintage(&["scan", path_str(d.path())]);
    assert!(
        text.stdout.contains("events.json:3: event #2 of the array")
            || text.stderr.contains("events.json:3: event #2 of the array"),
        "{}{}",
        text.stdout,
        text.stderr
    );
    let strict = d.scan_json(&["--strict"]);
    assert_eq!(strict.code, 2, "{}", strict.stdout);
}

#[test]
fn job_events_declare_lineage_that_runs_are_judged_against() {
    let d = Deployment::new();
    d.file("job_event.json", fixture("openlineage/event_job_event.json"))
        .file(
            "run.json",
            "{\"eventType\":\"COMPLETE\",\"eventTime\":\"2026-11-01T00:00:00Z\",\"run\":{\"runId\":\"r\"},\"job\":{\"namespace\":\"my-scheduler-namespace\",\"name\":\"myjob\"},\"inputs\":[{\"namespace\":\"my-datasource-namespace\",\"name\":\"instance.schema.input-1\"},{\"namespace\":\"my-datasource-namespace\",\"name\":\"instance.schema.other\"}]}",
        );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let findings = run.findings();
    assert!(
        findings.contains(
            &"LT004 job:my-scheduler-namespace/myjob dataset:my-datasource-namespace/instance.schema.other"
                .to_string()
        ),
        "{findings:?}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.contains("input-1") && f.starts_with("LT004")),
        "{findings:?}"
    );
}

#[test]
fn a_native_log_line_with_job_fields_stays_a_native_log() {
    let d = Deployment::new();
    d.file(
        "logs/a.jsonl",
        "{\"ts\":\"2026-11-01T12:00:00Z\",\"principal\":\"svc:x\",\"action\":\"read\",\"resource\":\"t\",\"job\":\"j\",\"run\":\"1\",\"runId\":\"1\"}\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["log_records"], 1);
    assert_eq!(run.json()["summary"]["malformed_records"], 0);
}

/// Every OpenLineage file of the shared corpus ingests without error (skipped when the
/// corpus is not beside this clone).
#[test]
fn the_shared_openlineage_corpus_ingests() {
    let corpus = repo_path("../shared/corpus/openlineage");
    if !corpus.is_dir() {
        return;
    }
    let run = lintage(&[
        "scan",
        path_str(&corpus),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let report = run.json();
    assert!(report["summary"]["log_records"].as_u64().unwrap_or(0) > 200);
}

#[test]
fn dbt_exposures_are_declared_consumers_downstream_of_their_models() {
    let d = Deployment::new();
    d.file("target/manifest.json", fixture("dbt/manifest.json"))
        .file("target/run_results.json", fixture("dbt/run_results.json"));
    let run = lintage(&[
        "query",
        "dependents",
        "dataset:dbt.main_marts.customers_v3",
        "--deployment",
        path_str(d.path()),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let results: Vec<String> = run.json()["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| format!("{} {}", r["node"].as_str().unwrap_or(""), r["declared"]))
        .collect();
    for expected in [
        "service:customers true",
        "model:churn true",
        "job:dbt.main_marts.orders true",
    ] {
        assert!(results.contains(&expected.to_string()), "{results:?}");
    }
    let graph = export(&d);
    // Quotes dropped; a source read through an expression is named database.schema.identifier.
    for (from, to) in [
        (
            "dataset:dbt.main.raw_customers",
            "job:dbt.main_stg.stg_customers",
        ),
        ("dataset:dbt.crm.accounts", "job:dbt.main_stg.stg_customers"),
        (
            "job:dbt.main_stg.stg_customers",
            "dataset:dbt.main_stg.stg_customers",
        ),
        ("dataset:dbt.main_marts.orders", "model:churn"),
    ] {
        let e = edge(&graph, from, to).unwrap_or_else(|| panic!("{from} -> {to}: {graph}"));
        assert_eq!(e["declared"], true);
    }
    let scan = d.scan_json(&[]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert!(
        !scan.stdout.contains("not_null_orders_id"),
        "tests are not lineage"
    );
}

#[test]
fn a_broken_dbt_manifest_is_skipped_with_its_location() {
    let d = Deployment::new();
    d.file(
        "manifest.json",
        "{\"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/manifest/v12.json\"},\n \"nodes\": {,}}",
    )
    .file("m.yaml", "kind: job\nname: real\noutputs: [x]\n");
    let run = lintage(&["scan", path_str(d.path())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("manifest.json: line 2"), "{all}");
}

/// The dbt manifests of the shared corpus ingest without error (skipped when the corpus is
/// not beside this clone).
#[test]
fn the_shared_dbt_corpus_ingests() {
    let corpus = repo_path("../shared/corpus/dbt");
    if !corpus.is_dir() {
        return;
    }
    let run = lintage(&[
        "query",
        "dependents",
        "dataset:dbt.main_marts.customers_v3",
        "--deployment",
        path_str(&corpus),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("service:customers"), "{}", run.stdout);
    assert!(
        run.stdout.contains("service:pulse_queries"),
        "{}",
        run.stdout
    );
}

#[test]
fn model_cards_give_base_model_chains_and_training_data() {
    let d = Deployment::new();
    for card in [
        "acme/base-7b/README.md",
        "acme/coder-7b/README.md",
        "acme/coder-7b-instruct/README.md",
        "quant/coder-7b-instruct-gguf/README.md",
        "acme/merge-7b/README.md",
    ] {
        d.file(
            &format!("hub/{card}"),
            fixture(&format!("hf_model_cards/{card}")),
        );
    }
    d.file("README.md", "# Our deployment\n\nNo front matter here.\n")
        .file("docs/notes.md", "---\ntitle: notes\n---\n");
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let chain = crate::util::of_code(&report, "LT003")
        .into_iter()
        .find(|f| f["subject"] == "model:quant/coder-7b-instruct-gguf")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(chain["severity"], "warning");
    assert_eq!(
        chain["path"],
        serde_json::json!([
            "model:acme/base-7b",
            "model:acme/coder-7b",
            "model:acme/coder-7b-instruct",
            "model:quant/coder-7b-instruct-gguf"
        ])
    );
    let graph = export(&d);
    let training = edge(
        &graph,
        "dataset:hf://datasets/acme/code-corpus",
        "model:acme/coder-7b",
    )
    .unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(training["declared"], true);
    // A parent with no card is a model node with no manifest; a repeated parent is one edge;
    // a card naming itself adds no loop.
    let nodes = graph["nodes"].as_array().cloned().unwrap_or_default();
    let missing = nodes
        .iter()
        .find(|n| n["id"] == "model:other/missing-7b")
        .unwrap_or_else(|| panic!("{graph}"));
    assert!(missing["manifest"].is_null(), "{missing}");
    assert!(edge(&graph, "model:acme/coder-7b", "model:acme/merge-7b").is_some());
    assert!(edge(&graph, "model:acme/merge-7b", "model:acme/merge-7b").is_none());
    assert!(crate::util::of_code(&report, "LT002").is_empty());
    assert!(
        !nodes
            .iter()
            .any(|n| n["id"] == "model:README" || n["id"] == "model:notes"),
        "{graph}"
    );
}

#[test]
fn broken_model_card_front_matter_is_skipped_with_its_line() {
    let d = Deployment::new();
    d.file(
        "org/bad/README.md",
        "---\nbase_model: [unclosed\nlicense: mit\n---\n",
    )
    .file("org/good/README.md", "---\nbase_model: org/base\n---\n");
    let run = lintage(&["scan", path_str(d.path())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("org/bad/README.md: line"), "{all}");
    let graph = export(&d);
    assert!(
        edge(&graph, "model:org/base", "model:org/good").is_some(),
        "{graph}"
    );
}

/// The model cards of the shared corpus give the four-model Qwen2.5-Coder chain (skipped
/// when the corpus is not beside this clone).
#[test]
fn the_shared_model_cards_give_the_qwen_chain() {
    let corpus = repo_path("../shared/corpus/hf_model_cards");
    if !corpus.is_dir() {
        return;
    }
    let run = lintage(&["scan", path_str(&corpus), "--format", "json", "--no-store"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let chain = crate::util::of_code(&report, "LT003")
        .into_iter()
        .find(|f| f["subject"] == "model:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF")
        .unwrap_or_else(|| panic!("no chain"));
    assert_eq!(chain["path"].as_array().map(Vec::len), Some(4));
}

/// Copies every file under tests/fixtures/`from` into the deployment under `to`.
fn copy_tree(d: &Deployment, from: &str, to: &str) {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let root = repo_path(&format!("tests/fixtures/{from}"));
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(!files.is_empty(), "{root:?}");
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        d.file(&format!("{to}/{relative}"), bytes);
    }
}

#[test]
fn mlmodel_files_are_models_with_resources_and_run_datasets() {
    let d = Deployment::new();
    copy_tree(&d, "mlflow", "ml");
    d.file(
        "ml/broken/MLmodel",
        "flavors:\n  sklearn: {}\nrun_id: [unclosed\n",
    );
    let run = lintage(&["scan", path_str(d.path())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("ml/broken/MLmodel: line"), "{all}");
    let graph = export(&d);
    // The registered model name wins over the folder; resources are declared inputs.
    for (from, to) in [
        (
            "dataset:endpoint:databricks-dbrx-instruct",
            "model:rag.sunish.test_mflow",
        ),
        (
            "dataset:endpoint:databricks-bge-large-en",
            "model:rag.sunish.test_mflow",
        ),
        (
            "dataset:monitoring.rag.databricks_docs_index__86cecd7f519449e494e8083f8c68741a",
            "model:rag.sunish.test_mflow",
        ),
        // The run that logged the model read this dataset: training data.
        (
            "dataset:warehouse.features.patients@9f8e7d6c",
            "model:0a1b2c3d4e5f/model",
        ),
    ] {
        let e = edge(&graph, from, to).unwrap_or_else(|| panic!("{from} -> {to}: {graph}"));
        assert_eq!(e["declared"], true);
    }
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    // An unquoted `python_version: 3.10` does not get in the way.
    assert!(nodes.contains(&"model:sklearn-diabetes"), "{nodes:?}");
}

#[test]
fn s3_server_access_logs_are_reads_and_writes_of_objects() {
    let d = Deployment::new();
    d.file("logs/access.log", fixture("s3_access/access.log"))
        .file(
            "trainer.yaml",
            "kind: job\nname: trainer\nidentities: ['arn:aws:sts::123456789012:assumed-role/trainer/*']\ninputs: []\noutputs: [s3://ml-data/models/fraud/model.pkl]\n",
        );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["malformed_records"], 1, "{report}");
    assert_eq!(report["summary"]["log_records"], 6, "{report}");
    assert_eq!(
        run.findings()
            .into_iter()
            .filter(|f| f.starts_with("LT004") || f.starts_with("LT008"))
            .collect::<Vec<_>>(),
        vec!["LT004 job:trainer dataset:s3://ml-data/features/users.parquet"]
    );
    let graph = export(&d);
    let read = edge(
        &graph,
        "dataset:s3://ml-data/features/users.parquet",
        "job:trainer",
    )
    .unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(read["observation"]["count"], 2);
    let write = edge(
        &graph,
        "job:trainer",
        "dataset:s3://ml-data/models/fraud/model.pkl",
    )
    .unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(write["observation"]["first_seen"], "2026-11-01T00:10:00Z");
    assert!(
        edge(
            &graph,
            "dataset:s3://ml-data/public/readme.txt",
            "principal:anonymous"
        )
        .is_some()
    );
    assert!(edge(&graph, "principal:79a5owner", "dataset:s3://ml-data/tmp/x").is_none());
}

#[test]
fn bigquery_jobs_read_referenced_tables_and_write_the_destination() {
    let d = Deployment::new();
    d.file("bq/job_details.json", fixture("bigquery/job_details.json"))
        .file(
            "bq/jobs.jsonl",
            "{\"kind\":\"bigquery#job\",\"user_email\":\"etl@p.iam.gserviceaccount.com\",\"statistics\":{\"startTime\":\"1793534400000\",\"query\":{\"referencedTables\":[{\"projectId\":\"p\",\"datasetId\":\"raw\",\"tableId\":\"events\"}]}},\"configuration\":{\"query\":{\"destinationTable\":{\"projectId\":\"p\",\"datasetId\":\"_0abc\",\"tableId\":\"anon\"}}}}\n{\"kind\":\"bigquery#job\",\"statistics\":{\"startTime\":\"1793534400000\",\"query\":{\"referencedTables\":[{\"projectId\":\"p\",\"datasetId\":\"raw\",\"tableId\":\"events\"}]}}}\n",
        );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["log_records"], 2);
    assert_eq!(run.json()["summary"]["malformed_records"], 1);
    let graph = export(&d);
    let user =
        "principal:svc-bq-airflow-openlineage@bq-airflow-openlineage.iam.gserviceaccount.com";
    assert!(
        edge(
            &graph,
            "dataset:bigquery-public-data.usa_names.usa_1910_2013",
            user
        )
        .is_some(),
        "{graph}"
    );
    let write = edge(
        &graph,
        user,
        "dataset:bq-airflow-openlineage.new_dataset.output_table",
    )
    .unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(write["observation"]["first_seen"], "2020-10-28T18:15:30Z");
    // Anonymous result tables are no lineage.
    assert!(
        edge(
            &graph,
            "principal:etl@p.iam.gserviceaccount.com",
            "dataset:p._0abc.anon"
        )
        .is_none()
    );
    assert!(
        edge(
            &graph,
            "dataset:p.raw.events",
            "principal:etl@p.iam.gserviceaccount.com"
        )
        .is_some()
    );
}

#[test]
fn pgaudit_object_records_are_reads_and_writes_by_the_session_user() {
    let d = Deployment::new();
    d.file("pg/postgresql.log", fixture("pgaudit/postgresql.log"))
        .file(
            "labels.yaml",
            "kind: job\nname: label-builder\nidentities: [label_builder]\ninputs: [public.orders]\noutputs: [public.labels]\n",
        );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["log_records"], 4, "{report}");
    assert_eq!(report["summary"]["malformed_records"], 1, "{report}");
    let findings = run.findings();
    assert!(
        findings.contains(&"LT004 job:label-builder dataset:public.refunds".to_string()),
        "{findings:?}"
    );
    assert!(
        !findings.iter().any(|f| f.starts_with("LT008")),
        "{findings:?}"
    );
    let graph = export(&d);
    let read = edge(&graph, "dataset:public.labels", "principal:reporting")
        .unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(read["observation"]["first_seen"], "2026-11-01T02:00:00Z");
    assert_eq!(read["observation"]["line"], 7);
}

#[test]
fn a_regex_source_reads_lines_of_any_shape() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        r#"[[sources]]
path = "proxy/*.txt"
format = "regex"
regex = '^\[(?P<ts>[^\]]+)\] (?P<principal>\S+) (?P<action>\S+) (?P<resource>\S+)'
time_format = "clf"
actions = { GET = "read", PUT = "write", DELETE = "ignore" }

[[sources]]
path = "*.yaml"
format = "manifest"
"#,
    )
    .file(
        "proxy/access.txt",
        "[01/Nov/2026:12:00:00 +0000] svc:scorer GET s3://b/features\n[01/Nov/2026:12:00:01 +0000] svc:scorer PUT s3://b/scores\n[01/Nov/2026:12:00:02 +0000] svc:scorer DELETE s3://b/tmp\nnot a line of this log\n[01/Nov/2026:12:00:03 +0000] svc:scorer PATCH s3://b/x\n",
    )
    .file(
        "scorer.yaml",
        "kind: model\nname: scorer\nidentities: [svc:scorer]\ninputs: [s3://b/features]\noutputs: [s3://b/scores]\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["log_records"], 3, "{report}");
    // The line that does not match, and the PATCH that no action mapping names.
    assert_eq!(report["summary"]["malformed_records"], 2, "{report}");
    assert!(run.findings().is_empty(), "{:?}", run.findings());
    let graph = export(&d);
    let write =
        edge(&graph, "model:scorer", "dataset:s3://b/scores").unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(write["observation"]["first_seen"], "2026-11-01T12:00:01Z");
    assert_eq!(write["observation"]["line"], 2);
}

#[test]
fn a_regex_source_without_the_needed_captures_is_a_config_error() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "[[sources]]\npath = \"*.txt\"\nformat = \"regex\"\nregex = '(?P<principal>\\S+) (?P<resource>\\S+)'\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("lintage.toml:1"), "{}", run.stderr);
    assert!(run.stderr.contains("action"), "{}", run.stderr);
}

/// The whole shared corpus, every format together, ingests without an error: broken files
/// are located notes or malformed records, never the end of the scan (skipped when the
/// corpus is not beside this clone).
#[test]
fn the_whole_shared_corpus_ingests() {
    let corpus = repo_path("../shared/corpus");
    if !corpus.is_dir() {
        return;
    }
    let run = lintage(&[
        "scan",
        path_str(&corpus),
        "--format",
        "json",
        "--no-store",
        "--fail-on",
        "never",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert!(
        report["summary"]["log_records"].as_u64().unwrap_or(0) > 300,
        "{}",
        report["summary"]
    );
    // The formats share one graph: the Marquez seed is still there among the rest.
    let graph = lintage(&["export", path_str(&corpus), "--format", "json"]);
    assert_eq!(graph.code, 0, "{}", graph.stderr);
    let graph = graph.json();
    assert!(
        edge(
            &graph,
            "dataset:food_delivery/public.menus",
            "job:food_delivery/etl_orders_7_days"
        )
        .is_some()
    );
}

#[test]
fn a_csv_source_maps_its_header_to_the_fields() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        r#"[[sources]]
path = "exports/*.csv"
format = "csv"
fields = { ts = "event_time", principal = "user_name", action = "op", resource = "object", query = "sql" }
actions = { SELECT = "read", INSERT = "write" }

[[sources]]
path = "*.yaml"
format = "manifest"
"#,
    )
    .file(
        "exports/audit.csv",
        "event_time,user_name,op,object,sql\n2026-11-01T12:00:00Z,svc:scorer,SELECT,warehouse.features,\n2026-11-01T12:00:01Z,svc:scorer,,,\"INSERT INTO warehouse.scores SELECT a, b FROM warehouse.features, warehouse.extra\"\n2026-11-01T12:00:02Z,svc:scorer,DROP,warehouse.tmp,\nnot-a-time,svc:scorer,SELECT,x,\n",
    )
    .file(
        "scorer.yaml",
        "kind: model\nname: scorer\nidentities: [svc:scorer]\ninputs: [warehouse.features]\noutputs: [warehouse.scores]\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["log_records"], 2, "{report}");
    // The unknown DROP and the bad time.
    assert_eq!(report["summary"]["malformed_records"], 2, "{report}");
    assert_eq!(
        run.findings(),
        vec!["LT004 model:scorer dataset:warehouse.extra"]
    );
    let graph = export(&d);
    let write = edge(&graph, "model:scorer", "dataset:warehouse.scores")
        .unwrap_or_else(|| panic!("{graph}"));
    assert_eq!(write["observation"]["line"], 3);
}

#[test]
fn sources_in_lintage_toml_name_formats_for_any_file_name() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "[[sources]]\npath = \"lineage/*.txt\"\nformat = \"openlineage\"\n\n[[sources]]\npath = \"dbt/*.data\"\nformat = \"dbt\"\n\n[[sources]]\npath = \"cards/*.txt\"\nformat = \"model_card\"\n",
    )
    .file(
        "lineage/events.txt",
        event("COMPLETE", "r1", "2026-11-01T00:00:00Z", "build", "a", "b"),
    )
    .file("dbt/manifest.data", fixture("dbt/manifest.json"))
    .file("cards/scorer.txt", "---\nbase_model: org/base\n---\n");
    let graph = export(&d);
    for (from, to) in [
        ("dataset:db/a", "job:sched/build"),
        ("dataset:dbt.main_marts.customers_v3", "service:customers"),
        ("model:org/base", "model:scorer"),
    ] {
        assert!(edge(&graph, from, to).is_some(), "{from} -> {to}: {graph}");
    }
}

#[test]
fn detected_line_formats_may_be_gzip_compressed() {
    let d = Deployment::new();
    d.gz_file(
        "events.ndjson.gz",
        &(event("COMPLETE", "r1", "2026-11-01T00:00:00Z", "build", "a", "b") + "\n"),
    )
    .gz_file(
        "s3/access.log.gz",
        "owner bkt [01/Nov/2026:00:00:38 +0000] 192.0.2.3 svc:etl REQ REST.GET.OBJECT data/a.csv \"GET /bkt/data/a.csv HTTP/1.1\" 200 - 1 1 1 - \"-\" \"ua\" -\n",
    );
    let graph = export(&d);
    assert!(
        edge(&graph, "dataset:db/a", "job:sched/build").is_some(),
        "{graph}"
    );
    assert!(
        edge(&graph, "dataset:s3://bkt/data/a.csv", "principal:svc:etl").is_some(),
        "{graph}"
    );
}

#[test]
fn normalization_rules_apply_to_every_format() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        r#"[[normalize]]                 # fold daily partitions and part files into the table
pattern = '/date=[^/]+(/.*)?$'
replace = ""

[[normalize]]                 # warehouse names are case-insensitive
pattern = '^(?i)warehouse\.'
case = "lower"

[[normalize]]                 # quotes are not part of a name
pattern = '"'
replace = ""

[[identities]]                # an IAM role is a job
principal = "arn:aws:sts::*:assumed-role/trainer/*"
entity = "job:trainer"
"#,
    )
    .file(
        "trainer.yaml",
        "kind: job\nname: trainer\ninputs: [s3://b/t, warehouse.sales.orders]\noutputs: []\n",
    )
    .file(
        "s3/access.log",
        "owner b [01/Nov/2026:00:00:38 +0000] 192.0.2.3 arn:aws:sts::1:assumed-role/trainer/i-1 REQ REST.GET.OBJECT t/date=2026-11-01/part-0.parquet \"GET /b/t HTTP/1.1\" 200 - 1 1 1 - \"-\" \"ua\" -\n",
    )
    .file(
        "lineage.json",
        "{\"eventType\":\"COMPLETE\",\"eventTime\":\"2026-11-01T00:00:00Z\",\"run\":{\"runId\":\"r\"},\"job\":{\"namespace\":\"x\",\"name\":\"y\"},\"inputs\":[{\"namespace\":\"dbx\",\"name\":\"\\\"Sales\\\".\\\"Orders\\\"\"}]}",
    )
    .file(
        "logs/a.jsonl",
        "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"arn:aws:sts::1:assumed-role/trainer/i-2\",\"query\":\"SELECT * FROM WAREHOUSE.Sales.Orders\"}\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let findings = run.findings();
    assert!(
        !findings
            .iter()
            .any(|f| f.starts_with("LT004") || f.starts_with("LT005")),
        "{findings:?}"
    );
    let graph = export(&d);
    assert!(
        edge(&graph, "dataset:s3://b/t", "job:trainer").is_some(),
        "{graph}"
    );
    assert!(
        edge(&graph, "dataset:dbx/Sales.Orders", "job:x/y").is_some(),
        "{graph}"
    );
}

#[test]
fn logs_may_name_the_sql_dialect_to_try_first() {
    let d = Deployment::new();
    d.file("lintage.toml", "[logs]\nsql_dialect = \"snowflake\"\n")
        .file(
            "logs/q.jsonl",
            "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:q\",\"query\":\"INSERT INTO a.b.out SELECT * FROM a.b.src\"}\n",
        );
    let graph = export(&d);
    assert!(
        edge(&graph, "dataset:a.b.src", "principal:svc:q").is_some(),
        "{graph}"
    );
    assert!(
        edge(&graph, "principal:svc:q", "dataset:a.b.out").is_some(),
        "{graph}"
    );

    let bad = Deployment::new();
    bad.file("lintage.toml", "[logs]\n\nsql_dialect = \"cobol\"\n");
    let run = bad.scan_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("lintage.toml:3"), "{}", run.stderr);
    assert!(run.stderr.contains("snowflake"), "{}", run.stderr);
}

#[test]
fn mlmodel_variants_beside_an_mlmodel_are_read_and_pyyaml_quirks_tolerated() {
    let d = Deployment::new();
    d.file("root/MLmodel", "artifact_path: model\nflavors:\n  python_function: {}\n")
        .file(
            // MLflow writes flow mappings whose closing bracket sits in column 0.
            "root/MLmodel.with.metadata",
            "artifact_path: model\nflavors:\n  python_function: {}\ninput_example: {\n  \"type\": \"dataframe\"\n}\nmetadata:\n  stateful: true\n",
        )
        .file("root/MLmodel.with.broken", "flavors:\n  sklearn: {}\nruntime: a: b\n");
    let run = lintage(&["scan", path_str(d.path()), "--no-store"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("root/MLmodel.with.broken: line 3"),
        "a broken variant is named with its line: {}",
        run.stdout
    );
    let graph = export(&d);
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert!(nodes.contains(&"model:root"), "{nodes:?}");
    assert!(
        nodes.contains(&"model:root/MLmodel.with.metadata"),
        "{nodes:?}"
    );
}

/// The explicit lineage job facet declares what a job reads and writes; its runs are then
/// judged against it like a native manifest's.
#[test]
fn the_lineage_job_facet_declares_lineage() {
    let d = Deployment::new();
    d.file(
        "events/job.json",
        r#"{"eventTime":"2026-11-01T00:00:00Z","producer":"test","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            "job":{"namespace":"sched","name":"daily","facets":{"lineage":{"_producer":"test","_schemaURL":"https://openlineage.io/spec/facets/1-0-0/LineageJobFacet.json",
              "lineage":[{"namespace":"db","name":"mart.daily","type":"DATASET",
                          "inputs":[{"namespace":"db","name":"raw.orders","type":"DATASET"}],
                          "fields":{"fx":{"inputs":[{"namespace":"db","name":"raw.fx","type":"DATASET","field":"rate"}]}}}]}}}}"#,
    )
    .file(
        "events/run.json",
        event("COMPLETE", "r1", "2026-11-02T00:00:00Z", "daily", "raw.orders,raw.secret", "mart.daily"),
    );
    let graph = export(&d);
    let declared =
        |from: &str, to: &str| edge(&graph, from, to).is_some_and(|e| e["declared"] == true);
    assert!(
        declared("dataset:db/raw.orders", "job:sched/daily"),
        "{graph}"
    );
    assert!(declared("dataset:db/raw.fx", "job:sched/daily"), "{graph}");
    assert!(
        declared("job:sched/daily", "dataset:db/mart.daily"),
        "{graph}"
    );
    let run = d.scan_json(&[]);
    let findings = run.findings();
    assert!(
        findings.contains(&"LT004 job:sched/daily dataset:db/raw.secret".to_string()),
        "{findings:?}"
    );
    assert!(
        findings.contains(&"LT005 job:sched/daily dataset:db/raw.fx".to_string()),
        "{findings:?}"
    );
    assert!(
        !findings.iter().any(|f| f.starts_with("LT008")),
        "{findings:?}"
    );
}

/// A psql transcript with pgaudit client notices (pgaudit's own regression output): every
/// READ/WRITE object record is an access by the transcript's session.
#[test]
fn a_psql_transcript_with_pgaudit_notices_is_read() {
    let d = Deployment::new();
    d.file(
        "pg/regression.out",
        fixture("pgaudit/pgaudit_regression_expected.out"),
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["malformed_records"], 0, "{report}");
    assert!(
        report["summary"]["log_records"].as_u64().unwrap_or(0) >= 40,
        "{report}"
    );
    let graph = export(&d);
    let session = "principal:psql:pg/regression.out";
    assert!(
        edge(&graph, "dataset:public.account", session).is_some(),
        "{graph}"
    );
    assert!(
        edge(&graph, session, "dataset:public.test4").is_some(),
        "{graph}"
    );
    // DDL records (CREATE TABLE tmp) are no reads or writes.
    assert!(
        edge(&graph, session, "dataset:public.tmp").is_none(),
        "{graph}"
    );
}

/// A `.sql` file is a job's code: `query01.sql` declares `job:query01`, which reads and
/// writes the tables its statements do.
#[test]
fn sql_files_declare_jobs_named_after_them() {
    let d = Deployment::new();
    d.file("sql/query01.sql", fixture("sql/query01.sql")).file(
        "sql/spark/merge_into.sql",
        fixture("sql/sparksql__merge_into.sql"),
    );
    let graph = export(&d);
    let mut reads: Vec<&str> = graph["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["to"] == "job:query01")
        .filter_map(|e| e["from"].as_str())
        .collect();
    reads.sort();
    assert_eq!(
        reads,
        [
            "dataset:customer",
            "dataset:date_dim",
            "dataset:store",
            "dataset:store_returns"
        ]
    );
    let declared_write = edge(&graph, "job:query01", "dataset:query01");
    assert!(
        declared_write.is_some_and(|e| e["declared"] == true),
        "{graph}"
    );
    // A file with statements the parser does not know keeps the ones it does, and says
    // which were passed over, by line.
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        edge(&graph, "job:merge_into", "dataset:t").is_some(),
        "{graph}"
    );
    assert!(
        run.stderr.contains("sql/spark/merge_into.sql") && run.stderr.contains("Line: 63"),
        "{}",
        run.stderr
    );
}
