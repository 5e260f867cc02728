//! `lintage export`: every format parses back, hostile names survive, the selections draw
//! exactly what they promise, the output is the same bytes every run, and a stored
//! snapshot draws like the deployment it came from.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{Deployment, Run, lintage, logs, path_str, repo_path};

fn export(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["export", path_str(dir)];
    all.extend_from_slice(args);
    lintage(&all)
}

fn ok(run: Run) -> Run {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}

/// Exported bytes: text formats through stdout, pictures through `-o`.
fn export_bytes(dir: &Path, format: &str, extra: &[&str]) -> Vec<u8> {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let file = out.path().join(format!("diagram.{format}"));
    let mut args = vec!["--format", format, "-o", path_str(&file)];
    args.extend_from_slice(extra);
    ok(export(dir, &args));
    std::fs::read(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"))
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("not UTF-8: {e}"))
}

// ---------------------------------------------------------------------------------------
// A small hand-made deployment:
//
//   raw2 -> job:j -> raw -> model:a -> a.out -> model:b -> b.out -> model:c -> c.out -> service:s
//                                        \-> principal:svc:x (an undeclared consumer of a)

fn small() -> Deployment {
    let d = Deployment::new();
    d.file(
        "manifests/a.yaml",
        "kind: model\nname: a\nowner: team-a\nidentities: [svc:a]\ninputs: [raw]\noutputs: [a.out]\nconsumers: [model:b]\n",
    )
    .file(
        "manifests/b.yaml",
        "kind: model\nname: b\nowner: team-b\nidentities: [svc:b]\ninputs: [a.out]\noutputs: [b.out]\nconsumers: [model:c]\n",
    )
    .file(
        "manifests/c.yaml",
        "kind: model\nname: c\nowner: team-b\nidentities: [svc:c]\ninputs: [b.out]\noutputs: [c.out]\nconsumers: [service:s]\n",
    )
    .file(
        "manifests/s.yaml",
        "kind: service\nname: s\nidentities: [svc:s]\ninputs: [c.out]\n",
    )
    .file(
        "manifests/j.yaml",
        "kind: job\nname: j\nowner: team-a\nidentities: [svc:j]\ninputs: [raw2]\noutputs: [raw]\n",
    )
    .file(
        "logs/access.jsonl",
        logs(&[
            (1, "svc:j", "read", "raw2"),
            (1, "svc:j", "write", "raw"),
            (2, "svc:a", "read", "raw"),
            (2, "svc:a", "write", "a.out"),
            (3, "svc:b", "read", "a.out"),
            (3, "svc:b", "write", "b.out"),
            (4, "svc:c", "read", "b.out"),
            (4, "svc:c", "write", "c.out"),
            (5, "svc:s", "read", "c.out"),
            (6, "svc:x", "read", "a.out"),
        ]),
    );
    d
}

/// The node ids and `from -> to` edges of a JSON export.
fn drawn(run: &Run) -> (BTreeSet<String>, BTreeSet<String>) {
    let json = run.json();
    let nodes = json["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let edges = json["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} -> {}",
                e["from"].as_str().unwrap_or_default(),
                e["to"].as_str().unwrap_or_default()
            )
        })
        .collect();
    (nodes, edges)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn select(d: &Deployment, args: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    drawn(&ok(export(d.path(), &all)))
}

#[test]
fn the_whole_graph_without_filters() {
    let d = small();
    let (nodes, edges) = select(&d, &[]);
    assert_eq!(nodes.len(), 11, "{nodes:?}");
    assert_eq!(edges.len(), 10, "{edges:?}");
}

#[test]
fn focus_with_depth_walks_both_ways() {
    let d = small();
    let (nodes, edges) = select(&d, &["--focus", "model:b", "--depth", "1"]);
    assert_eq!(nodes, set(&["dataset:a.out", "dataset:b.out", "model:b"]));
    assert_eq!(
        edges,
        set(&["dataset:a.out -> model:b", "model:b -> dataset:b.out"])
    );
}

#[test]
fn focus_upstream_and_downstream() {
    let d = small();
    let (nodes, edges) = select(&d, &["--focus", "b", "--depth", "2", "--upstream"]);
    assert_eq!(nodes, set(&["dataset:a.out", "model:a", "model:b"]));
    assert_eq!(
        edges,
        set(&["dataset:a.out -> model:b", "model:a -> dataset:a.out"])
    );

    let (nodes, _) = select(&d, &["--focus", "b", "--downstream"]);
    assert_eq!(
        nodes,
        set(&[
            "dataset:b.out",
            "dataset:c.out",
            "model:b",
            "model:c",
            "service:s"
        ])
    );

    // Without --depth: the whole lineage, up and down, but not the siblings.
    let (nodes, _) = select(&d, &["--focus", "b"]);
    assert!(!nodes.contains("principal:svc:x"), "{nodes:?}");
    assert_eq!(nodes.len(), 10, "{nodes:?}");
}

#[test]
fn models_only_folds_the_rest_into_labelled_edges() {
    let d = small();
    let run = ok(export(d.path(), &["--format", "json", "--models-only"]));
    let (nodes, edges) = drawn(&run);
    assert_eq!(nodes, set(&["model:a", "model:b", "model:c"]));
    assert_eq!(edges, set(&["model:a -> model:b", "model:b -> model:c"]));
    let json = run.json();
    let first = &json["edges"][0];
    assert_eq!(first["via"], serde_json::json!(["dataset:a.out"]));
    assert_eq!(first["declared"], true);
    assert_eq!(first["observed"], true);
    // The chain a -> b -> c is the longest one, highlighted on both edges.
    assert!(
        json["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["chain"] == true)
    );

    let dot = text(export_bytes(d.path(), "dot", &["--models-only"]));
    assert!(dot.contains("label=\"via a.out\""), "{dot}");

    let (nodes, edges) = select(
        &d,
        &[
            "--models-only",
            "--focus",
            "c",
            "--depth",
            "1",
            "--upstream",
        ],
    );
    assert_eq!(nodes, set(&["model:b", "model:c"]));
    assert_eq!(edges, set(&["model:b -> model:c"]));

    let refused = export(d.path(), &["--models-only", "--focus", "a.out"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("--models-only draws models only"),
        "{}",
        refused.stderr
    );
}

#[test]
fn findings_only_keeps_finding_nodes_and_their_neighbours() {
    let d = small();
    // Findings: LT001 (model:a, undeclared consumer principal:svc:x), LT003 (model:b, model:c
    // chains through model:a), LT007 (principal:svc:x).
    let (nodes, edges) = select(&d, &["--findings-only"]);
    assert_eq!(
        nodes,
        set(&[
            "dataset:a.out",
            "dataset:b.out",
            "dataset:c.out",
            "dataset:raw",
            "model:a",
            "model:b",
            "model:c",
            "principal:svc:x",
        ])
    );
    assert_eq!(
        edges,
        set(&[
            "dataset:a.out -> model:b",
            "dataset:a.out -> principal:svc:x",
            "dataset:b.out -> model:c",
            "dataset:raw -> model:a",
            "model:a -> dataset:a.out",
            "model:b -> dataset:b.out",
            "model:c -> dataset:c.out",
        ])
    );
}

#[test]
fn clusters_by_owner_and_namespace() {
    let d = small();
    let json = ok(export(
        d.path(),
        &["--format", "json", "--cluster", "owner"],
    ))
    .json();
    let cluster = |id: &str| {
        json["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["id"] == id)
            .map(|n| n["cluster"].clone())
            .unwrap_or_default()
    };
    assert_eq!(cluster("model:a"), "team-a");
    assert_eq!(cluster("job:j"), "team-a");
    assert_eq!(cluster("model:c"), "team-b");
    assert_eq!(cluster("service:s"), Value::Null);
    let dot = text(export_bytes(d.path(), "dot", &["--cluster", "owner"]));
    assert!(dot.contains("subgraph cluster_0"), "{dot}");
    assert!(dot.contains("label=\"team-a\""), "{dot}");
    let mermaid = text(export_bytes(d.path(), "mermaid", &["--cluster", "owner"]));
    assert!(mermaid.contains("subgraph c1[\"team-b\"]"), "{mermaid}");

    let json = ok(export(
        d.path(),
        &["--format", "json", "--cluster", "namespace"],
    ))
    .json();
    let node = |id: &str| {
        json["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(node("dataset:a.out")["cluster"], "a");
    assert_eq!(node("model:a")["cluster"], Value::Null);
}

#[test]
fn debt_is_drawn_on_the_edges() {
    let d = small();
    let json = ok(export(d.path(), &["--format", "json"])).json();
    let edge = |from: &str, to: &str| {
        json["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["from"] == from && e["to"] == to)
            .cloned()
            .unwrap_or_default()
    };
    let consumer = edge("dataset:a.out", "principal:svc:x");
    assert_eq!(consumer["declared"], false);
    assert_eq!(consumer["observed"], true);
    assert_eq!(consumer["findings"][0]["code"], "LT001");
    assert_eq!(consumer["findings"][0]["subject"], "model:a");

    let dot = text(export_bytes(d.path(), "dot", &[]));
    let line = dot
        .lines()
        .find(|l| {
            l.contains("-> principal:svc:x")
                || l.contains("tooltip=\"dataset:a.out -> principal:svc:x")
        })
        .unwrap_or_default();
    assert!(line.contains("color=\"#cc0000\""), "{line}");
    assert!(line.contains("style=dashed"), "{line}");
}

#[test]
fn loops_are_bold_red_and_chains_highlighted() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\ntraining: [labels]\noutputs: [scores]\nconsumers: [job:labeler]\n",
    )
    .file(
        "j.yaml",
        "kind: job\nname: labeler\nidentities: [svc:l]\ninputs: [scores]\noutputs: [labels]\n",
    )
    .file(
        "logs/a.jsonl",
        logs(&[
            (1, "svc:m", "read", "labels"),
            (1, "svc:m", "write", "scores"),
            (2, "svc:l", "read", "scores"),
            (2, "svc:l", "write", "labels"),
        ]),
    );
    let json = ok(export(d.path(), &["--format", "json"])).json();
    let loop_edges = json["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            e["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["code"] == "LT002")
        })
        .count();
    assert_eq!(loop_edges, 4, "the whole cycle: {json}");
    let dot = text(export_bytes(d.path(), "dot", &[]));
    let bold = dot
        .lines()
        .filter(|l| l.contains(" -> n") && l.contains("style=bold") && l.contains("#cc0000"))
        .count();
    assert_eq!(bold, 4, "{dot}");
    let mermaid = text(export_bytes(d.path(), "mermaid", &["--models-only"]));
    assert!(
        mermaid.contains("n0 ==>|\"via "),
        "a self-loop on m: {mermaid}"
    );
}

// ---------------------------------------------------------------------------------------
// Formats

/// Every format on the sample deployment, checked by parsing it back.
#[test]
fn dot_parses_back_and_renders() {
    let sample = repo_path("samples/payments");
    let dot = text(export_bytes(&sample, "dot", &[]));
    let graph = graphviz_rust::parse(&dot).unwrap_or_else(|e| panic!("DOT does not parse: {e}"));
    let labels = dot_labels(&graph);
    assert_eq!(labels.len(), 39, "one labelled node per graph node");
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("fraud-scorer\nLT001 · LT002")),
        "{labels:?}"
    );
    let svg = run_dot(&dot);
    crate::util::assert_xml_well_formed(&svg);
}

#[test]
fn svg_is_well_formed_xml_and_png_has_the_signature() {
    let sample = repo_path("samples/payments");
    let svg = text(export_bytes(&sample, "svg", &[]));
    assert!(svg.contains("<svg"), "{svg}");
    crate::util::assert_xml_well_formed(&svg);
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|t| t == "fraud-scorer"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "Legend"), "{texts:?}");

    let png = export_bytes(&sample, "png", &[]);
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "PNG signature, got {:?}",
        &png[..png.len().min(8)]
    );
    // Through stdout as well, when it is not a terminal.
    let piped = ok(lintage(&[
        "export",
        path_str(&sample),
        "--format",
        "png",
        "--models-only",
    ]));
    assert!(piped.stdout.len() > 1000);
}

#[test]
fn mermaid_is_a_flowchart_of_valid_lines() {
    let sample = repo_path("samples/payments");
    let mermaid = text(export_bytes(&sample, "mermaid", &[]));
    let parsed = parse_mermaid(&mermaid);
    assert_eq!(parsed.nodes.len(), 39);
    assert_eq!(parsed.edges, 48);
    assert!(parsed.labels.iter().any(|l| l == "fraud-scorer"));
    assert!(mermaid.contains("subgraph legend[\"Legend\"]"));
    assert!(mermaid.contains("classDef model "));
    assert!(mermaid.contains("linkStyle "));
}

#[test]
fn json_has_the_shape_of_the_spec() {
    let sample = repo_path("samples/payments");
    let json = ok(export(&sample, &["--format", "json"])).json();
    let nodes = json["nodes"].as_array().cloned().unwrap_or_default();
    let edges = json["edges"].as_array().cloned().unwrap_or_default();
    assert_eq!(nodes.len(), 39);
    assert_eq!(edges.len(), 48);
    for node in &nodes {
        assert!(node["id"].is_string() && node["kind"].is_string(), "{node}");
        for key in ["name", "owner", "manifest", "cluster", "chain", "findings"] {
            assert!(node.get(key).is_some(), "{key} in {node}");
        }
    }
    for edge in &edges {
        for key in ["from", "to"] {
            assert!(edge[key].is_string(), "{key} in {edge}");
        }
        for key in ["declared", "observed", "chain"] {
            assert!(edge[key].is_boolean(), "{key} in {edge}");
        }
        for key in ["declarations", "via", "findings"] {
            assert!(edge[key].is_array(), "{key} in {edge}");
        }
        assert_eq!(
            edge["observed"].as_bool(),
            Some(!edge["observation"].is_null())
        );
    }
    let ids: Vec<&str> = nodes.iter().filter_map(|n| n["id"].as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "nodes are sorted");
    let scorer = nodes
        .iter()
        .find(|n| n["id"] == "model:fraud-scorer")
        .cloned()
        .unwrap_or_default();
    assert_eq!(scorer["kind"], "model");
    assert_eq!(scorer["owner"], "risk-ml");
    assert_eq!(
        scorer["manifest"]["file"],
        "manifests/models/fraud-scorer.yaml"
    );
    // The fingerprints join the findings of `scan --format json`.
    let scan = lintage(&["scan", path_str(&sample), "--format", "json", "--no-store"]).json();
    let fingerprints: BTreeSet<&str> = scan["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    for finding in scorer["findings"].as_array().into_iter().flatten() {
        assert!(fingerprints.contains(finding["fingerprint"].as_str().unwrap_or_default()));
    }
}

#[test]
fn the_same_bytes_every_run() {
    let sample = repo_path("samples/payments");
    for format in ["dot", "mermaid", "json", "svg", "png"] {
        let a = export_bytes(&sample, format, &["--cluster", "owner"]);
        let b = export_bytes(&sample, format, &["--cluster", "owner"]);
        assert!(a == b, "{format} differs between runs");
    }
    let a = export_bytes(&sample, "dot", &["--models-only"]);
    let b = export_bytes(&sample, "dot", &["--models-only"]);
    assert!(a == b);
}

#[test]
fn a_stored_snapshot_draws_like_its_deployment() {
    let sample = repo_path("samples/payments");
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = state.path().join("lintage.db");
    let scan = lintage(&["scan", path_str(&sample), "--db", path_str(&db)]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    for (format, extra) in [
        ("json", vec![]),
        ("dot", vec!["--cluster", "owner"]),
        ("mermaid", vec!["--models-only"]),
        ("json", vec!["--findings-only"]),
    ] {
        let direct = text(export_bytes(&sample, format, &extra));
        let mut args = vec!["export", "--db", path_str(&db), "--format", format];
        args.extend_from_slice(&extra);
        let stored = ok(lintage(&args));
        assert!(stored.stdout == direct, "{format} {extra:?} differs");
        let mut args = vec![
            "export",
            path_str(&sample),
            "--db",
            path_str(&db),
            "--snapshot",
            "latest",
            "--format",
            format,
        ];
        args.extend_from_slice(&extra);
        assert!(ok(lintage(&args)).stdout == direct);
    }
    let unknown = lintage(&["export", "--db", path_str(&db), "--snapshot", "latest~5"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("latest~5"), "{}", unknown.stderr);
}

#[test]
fn missing_graphviz_says_how_to_install_it() {
    let sample = repo_path("samples/payments");
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_lintage"))
            .args(["export", path_str(&sample), "--format", format])
            .env("PATH", empty.path())
            .current_dir(empty.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run lintage: {e}"))
    };
    for format in ["svg", "png"] {
        let output = run(format);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("Graphviz"), "{stderr}");
        assert!(stderr.contains("apt-get install graphviz"), "{stderr}");
        assert!(stderr.contains("brew install graphviz"), "{stderr}");
        assert!(stderr.contains("--format dot, mermaid or json"), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    for format in ["dot", "mermaid", "json"] {
        assert_eq!(run(format).status.code(), Some(0), "{format} needs nothing");
    }
}

#[test]
fn nodes_are_named_by_id_or_unambiguous_name() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: scorer\nidentities: [svc:m]\noutputs: [scores]\n",
    )
    .file(
        "s.yaml",
        "kind: service\nname: scorer\nidentities: [svc:s]\n",
    )
    .file("logs/a.jsonl", logs(&[(1, "svc:s", "read", "scores")]));

    let ambiguous = export(d.path(), &["--focus", "scorer"]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous.stderr.contains("model:scorer"),
        "{}",
        ambiguous.stderr
    );
    assert!(
        ambiguous.stderr.contains("service:scorer"),
        "{}",
        ambiguous.stderr
    );

    let unknown = export(d.path(), &["--focus", "scorre"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no node `scorre`") && unknown.stderr.contains("model:scorer"),
        "{}",
        unknown.stderr
    );

    let (nodes, _) = select(&d, &["--focus", "model:scorer", "--depth", "1"]);
    assert_eq!(nodes, set(&["dataset:scores", "model:scorer"]));
    let (nodes, _) = select(&d, &["--focus", "scores", "--depth", "1"]);
    assert_eq!(
        nodes,
        set(&["dataset:scores", "model:scorer", "service:scorer"])
    );
}

#[test]
fn a_large_graph_without_a_filter_gets_advice() {
    let planted = repo_path("tests/planted/deployment");
    let run = ok(export(&planted, &["--format", "json"]));
    assert!(
        run.stderr.contains("--focus") && run.stderr.contains("--models-only"),
        "{}",
        run.stderr
    );
    let run = ok(export(&planted, &["--format", "json", "--models-only"]));
    assert!(!run.stderr.contains("too many"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------
// Hostile names

/// Names that break naive DOT, Mermaid, HTML or JSON writers.
const HOSTILE_MODEL: &str = "end";
const HOSTILE_MODEL_2: &str = "graph\nsubgraph click style";
const HOSTILE_SERVICE: &str = "classDef linkStyle \u{202e} rtl";
const HOSTILE_DATASET: &str = "q\"uote\\back<b>&amp;{x}|[y];z";
const HOSTILE_DATASET_2: &str = "Ünïcödé.数据.%%x #quot; `tick` --> n0";
const HOSTILE_PRINCIPAL: &str = "we\"ird\\n<p>";

fn hostile() -> Deployment {
    let d = Deployment::new();
    let json = |v: Value| v.to_string();
    d.file(
        "m/a.json",
        json(serde_json::json!({
            "kind": "model", "name": HOSTILE_MODEL, "identities": ["svc:end"],
            "outputs": [HOSTILE_DATASET],
        })),
    )
    .file(
        "m/b.json",
        json(serde_json::json!({
            "kind": "model", "name": HOSTILE_MODEL_2, "identities": ["svc:g"],
            "inputs": [HOSTILE_DATASET], "outputs": [HOSTILE_DATASET_2],
        })),
    )
    .file(
        "m/c.json",
        json(serde_json::json!({
            "kind": "service", "name": HOSTILE_SERVICE, "identities": ["svc:c"],
        })),
    );
    let line = |principal: &str, action: &str, resource: &str| {
        json(serde_json::json!({
            "ts": "2026-11-01T00:00:00Z", "principal": principal,
            "action": action, "resource": resource,
        })) + "\n"
    };
    d.file(
        "logs/a.jsonl",
        [
            line("svc:end", "write", HOSTILE_DATASET),
            line("svc:c", "read", HOSTILE_DATASET),
            line(HOSTILE_PRINCIPAL, "read", HOSTILE_DATASET_2),
        ]
        .concat(),
    );
    d
}

/// What a diagram writes for a name: control characters and bidi overrides shown as escapes.
fn shown(name: &str) -> String {
    lintage::report::text::clean(name)
}

const HOSTILE_NAMES: [&str; 6] = [
    HOSTILE_MODEL,
    HOSTILE_MODEL_2,
    HOSTILE_SERVICE,
    HOSTILE_DATASET,
    HOSTILE_DATASET_2,
    HOSTILE_PRINCIPAL,
];

#[test]
fn hostile_names_survive_json() {
    let d = hostile();
    let json = ok(export(d.path(), &["--format", "json"])).json();
    let names: BTreeSet<&str> = json["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, HOSTILE_NAMES.into_iter().collect::<BTreeSet<_>>());
    let ids: BTreeSet<&str> = json["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert!(ids.contains(format!("principal:{HOSTILE_PRINCIPAL}").as_str()));
    assert!(ids.contains(format!("model:{HOSTILE_MODEL_2}").as_str()));
}

#[test]
fn hostile_names_survive_dot_and_svg() {
    let d = hostile();
    let dot = text(export_bytes(d.path(), "dot", &[]));
    let graph =
        graphviz_rust::parse(&dot).unwrap_or_else(|e| panic!("DOT does not parse: {e}\n{dot}"));
    let first_lines: BTreeSet<String> = dot_labels(&graph)
        .iter()
        .map(|l| l.split('\n').next().unwrap_or_default().to_string())
        .collect();
    let expected: BTreeSet<String> = HOSTILE_NAMES.iter().map(|n| shown(n)).collect();
    assert_eq!(first_lines, expected, "{dot}");

    let svg = run_dot(&dot);
    crate::util::assert_xml_well_formed(&svg);
    let texts = svg_texts(&svg);
    for name in HOSTILE_NAMES {
        assert!(texts.contains(&shown(name)), "{name:?} in {texts:?}");
    }
    let svg = text(export_bytes(d.path(), "svg", &["--cluster", "namespace"]));
    crate::util::assert_xml_well_formed(&svg);
    let png = export_bytes(d.path(), "png", &["--models-only"]);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn hostile_names_survive_mermaid() {
    let d = hostile();
    for extra in [&[][..], &["--cluster", "namespace"][..]] {
        let mermaid = text(export_bytes(d.path(), "mermaid", extra));
        let parsed = parse_mermaid(&mermaid);
        let labels: BTreeSet<String> = parsed.labels.iter().cloned().collect();
        let expected: BTreeSet<String> = HOSTILE_NAMES.iter().map(|n| shown(n)).collect();
        assert_eq!(labels, expected, "{mermaid}");
        assert_eq!(parsed.edges, 5);
    }
}

#[test]
fn hostile_names_as_focus() {
    let d = hostile();
    let (nodes, _) = select(&d, &["--focus", HOSTILE_PRINCIPAL, "--depth", "1"]);
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    let run = export(d.path(), &["--focus", "nothing\u{1b}[31m"]);
    assert_eq!(run.code, 2);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escapes are shown, not sent: {}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Parsers used above

/// The label of every `nN` node, unescaped as Graphviz reads it.
pub(crate) fn dot_labels(graph: &graphviz_rust::dot_structures::Graph) -> Vec<String> {
    use graphviz_rust::dot_structures::{Attribute, Graph, Id, NodeId, Stmt};
    fn walk(stmts: &[Stmt], out: &mut Vec<String>) {
        for stmt in stmts {
            match stmt {
                Stmt::Node(node) => {
                    let NodeId(Id::Plain(id), _) = &node.id else {
                        panic!("node ids are plain: {:?}", node.id)
                    };
                    if !id.starts_with('n') {
                        continue;
                    }
                    assert!(id[1..].chars().all(|c| c.is_ascii_digit()), "{id}");
                    for Attribute(key, value) in &node.attributes {
                        if let (Id::Plain(key), Id::Escaped(value)) = (key, value)
                            && key == "label"
                        {
                            out.push(unescape_dot(value));
                        }
                    }
                }
                Stmt::Subgraph(sub) => walk(&sub.stmts, out),
                _ => {}
            }
        }
    }
    let (Graph::DiGraph { stmts, .. } | Graph::Graph { stmts, .. }) = graph;
    let mut out = Vec::new();
    walk(stmts, &mut out);
    out
}

/// A quoted DOT string as Graphviz shows it: `\"` is `"`, `\\` is `\`, `\n` a line break,
/// `&amp;` is `&`.
fn unescape_dot(quoted: &str) -> String {
    let inner = &quoted[1..quoted.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("dangling backslash in {quoted}"),
            }
        } else {
            out.push(c);
        }
    }
    out.replace("&amp;", "&")
}

pub(crate) fn run_dot(dot: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("Graphviz's dot is needed for this test ({e}); see .ci/run"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .unwrap_or_else(|e| panic!("dot stdin: {e}"));
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("dot: {e}"));
    assert!(
        output.status.success(),
        "dot -Tsvg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("SVG is not UTF-8: {e}"))
}

/// The text of every `<text>` element of an SVG, entities resolved.
pub(crate) fn svg_texts(svg: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut texts = Vec::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == b"text" => current = Some(String::new()),
            Ok(Event::End(e)) if e.name().as_ref() == b"text" => {
                if let Some(raw) = current.take() {
                    let text = quick_xml::escape::unescape(&raw)
                        .unwrap_or_else(|e| panic!("{raw}: {e}"))
                        .into_owned();
                    texts.push(text);
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(raw) = current.as_mut() {
                    raw.push_str(&t.decode().unwrap_or_default());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(raw) = current.as_mut() {
                    raw.push('&');
                    raw.push_str(&r.decode().unwrap_or_default());
                    raw.push(';');
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not XML: {e}"),
        }
    }
    texts
}

pub(crate) struct Mermaid {
    /// Generated node ids (`nN`) defined.
    pub(crate) nodes: BTreeSet<String>,
    /// The first line of each `nN` node's label, entity codes decoded.
    pub(crate) labels: Vec<String>,
    /// Edges between `nN` nodes.
    pub(crate) edges: usize,
}

/// Checks every line against the flowchart syntax lintage writes, and reads it back.
pub(crate) fn parse_mermaid(text: &str) -> Mermaid {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"), "header");
    let label = r#""[^"]*""#;
    let shapes = format!(
        r"(?:\[\[{label}\]\]|\[/{label}/\]|\({label}\)|\[\({label}\)\]|\{{\{{{label}\}}\}}|\[{label}\])"
    );
    let node = regex::Regex::new(&format!(r"^\s*(n\d+|legend_\w+)({shapes})$"))
        .unwrap_or_else(|e| panic!("{e}"));
    let edge = regex::Regex::new(&format!(
        r#"^\s*(n\d+|legend_\w+)(?:{shapes})? (-->|-\.->|==>)(?:\|{label}\|)? (n\d+|legend_\w+)(?:{shapes})?$"#
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let subgraph = regex::Regex::new(&format!(r"^\s*subgraph (c\d+|legend)\[{label}\]$"))
        .unwrap_or_else(|e| panic!("{e}"));
    let class_def =
        regex::Regex::new(r"^\s*classDef \w+ [\w#:,. -]+$").unwrap_or_else(|e| panic!("{e}"));
    let class = regex::Regex::new(r"^\s*class [\w,]+ \w+$").unwrap_or_else(|e| panic!("{e}"));
    let link_style =
        regex::Regex::new(r"^\s*linkStyle [\d,]+ [\w#:,. -]+$").unwrap_or_else(|e| panic!("{e}"));
    let mut parsed = Mermaid {
        nodes: BTreeSet::new(),
        labels: Vec::new(),
        edges: 0,
    };
    for line in lines {
        if let Some(captures) = node.captures(line) {
            let id = &captures[1];
            if id.starts_with('n') {
                parsed.nodes.insert(id.to_string());
                let shape = &captures[2];
                let inner = &shape[shape.find('"').unwrap_or(0) + 1..shape.rfind('"').unwrap_or(0)];
                let first = inner.split("<br/>").next().unwrap_or_default();
                assert!(
                    !first.contains(['<', '>', '"', '&']),
                    "raw syntax in a label: {line}"
                );
                parsed.labels.push(decode_mermaid(first));
            }
        } else if let Some(captures) = edge.captures(line) {
            if captures[1].starts_with('n') {
                parsed.edges += 1;
            }
        } else if !(subgraph.is_match(line)
            || line.trim() == "end"
            || class_def.is_match(line)
            || class.is_match(line)
            || link_style.is_match(line))
        {
            panic!("not a line of Mermaid flowchart syntax lintage writes: {line:?}");
        }
    }
    parsed
}

/// Mermaid's entity codes (`#34;`) back to characters.
fn decode_mermaid(text: &str) -> String {
    let pattern = regex::Regex::new(r"#(\d+);").unwrap_or_else(|e| panic!("{e}"));
    pattern
        .replace_all(text, |c: &regex::Captures<'_>| {
            c[1].parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default()
        })
        .into_owned()
}
