//! `lintage query` as users run it: from the stored snapshot or a fresh scan.

use crate::util::{Deployment, assert_valid, lintage, lintage_in, path_str, repo_path};

/// A folder where samples/payments has been scanned, so its snapshot is the latest.
fn scanned() -> tempfile::TempDir {
    let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sample = repo_path("samples/payments");
    assert_eq!(lintage_in(cwd.path(), &["scan", path_str(&sample)]).code, 1);
    cwd
}

/// `NODE DIRECTION` of each node a `query select` chose.
fn selected(json: &serde_json::Value) -> Vec<String> {
    json["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            format!(
                "{} {}",
                n["node"].as_str().unwrap_or_default(),
                n["direction"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn results(json: &serde_json::Value) -> Vec<(String, u64, bool, bool)> {
    json["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["node"].as_str().unwrap_or_default().to_string(),
                r["depth"].as_u64().unwrap_or(99),
                r["declared"].as_bool().unwrap_or_default(),
                r["observed"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn dependents_of_the_fraud_scorer_from_the_snapshot() {
    let cwd = scanned();
    let run = lintage_in(
        cwd.path(),
        &["query", "dependents", "fraud-scorer", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_valid("lintage-query.schema.json", &json);
    assert_eq!(json["node"], "model:fraud-scorer");
    assert_eq!(json["direction"], "dependents");
    let s = |n: &str, d: u64, dec: bool, obs: bool| (n.to_string(), d, dec, obs);
    assert_eq!(
        results(&json),
        vec![
            s("job:label-builder", 1, false, true),
            s("model:chargeback-predictor", 1, true, true),
            s("service:checkout", 1, true, false),
            s("service:marketing-campaigns", 1, true, true),
            s("service:reporting-dashboard", 1, true, true),
        ]
    );
    assert_eq!(json["results"][0]["via"], "dataset:warehouse.scores.fraud");

    let text = lintage_in(cwd.path(), &["query", "dependents", "model:fraud-scorer"]);
    assert!(
        text.stdout
            .starts_with("model:fraud-scorer (dependents: 5)\n"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains(
        "├── job:label-builder  via dataset:warehouse.scores.fraud  [UNDECLARED: seen in logs only]"
    ));
    assert!(
        text.stdout.contains("│   └── model:fraud-scorer (*)"),
        "the loop back is shown once: {}",
        text.stdout
    );
}

#[test]
fn dependencies_depth_kinds_datasets_and_edge_filters() {
    let cwd = scanned();
    let q = |args: &[&str]| {
        let mut all = vec!["query"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json"]);
        results(&lintage_in(cwd.path(), &all).json())
    };
    let names = |r: Vec<(String, u64, bool, bool)>| {
        r.into_iter()
            .map(|x| format!("{} {}", x.0, x.1))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(q(&["dependencies", "chargeback-predictor", "--direct"])),
        vec![
            "job:feature-builder 1",
            "job:label-builder 1",
            "model:fraud-scorer 1"
        ]
    );
    assert_eq!(
        names(q(&[
            "dependencies",
            "chargeback-predictor",
            "--kind",
            "model"
        ])),
        vec!["model:fraud-scorer 1", "model:device-risk 2"]
    );
    let with_datasets = names(q(&[
        "dependencies",
        "chargeback-predictor",
        "--direct",
        "--datasets",
    ]));
    assert!(
        with_datasets.contains(&"dataset:warehouse.scores.fraud 0".to_string()),
        "{with_datasets:?}"
    );
    let declared = names(q(&["dependents", "fraud-scorer", "--declared-only"]));
    assert!(
        !declared.iter().any(|n| n.starts_with("job:label-builder")),
        "{declared:?}"
    );
    let observed = names(q(&[
        "dependents",
        "fraud-scorer",
        "--observed-only",
        "--direct",
    ]));
    assert!(observed.contains(&"job:label-builder 1".to_string()));
    assert!(
        !observed.iter().any(|n| n.starts_with("service:checkout")),
        "{observed:?}"
    );
}

#[test]
fn names_unknown_and_ambiguous() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: model\nname: scorer\noutputs: [scorer]\n---\nkind: job\nname: scorer\ninputs: [scorer]\n");
    let dir = path_str(d.path());
    let ambiguous = lintage(&["query", "dependents", "scorer", "--deployment", dir]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous
            .stderr
            .contains("dataset:scorer, job:scorer, model:scorer"),
        "{}",
        ambiguous.stderr
    );
    let unknown = lintage(&["query", "dependents", "scorre", "--deployment", dir]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean"),
        "{}",
        unknown.stderr
    );
    assert_eq!(
        lintage(&["query", "dependents", "model:scorer", "--deployment", dir]).code,
        0
    );
    let no_db = lintage(&["query", "dependents", "x"]);
    assert_eq!(no_db.code, 2);
    assert!(no_db.stderr.contains("lintage scan"), "{}", no_db.stderr);
}

#[test]
fn paths_selectors_and_impact() {
    let cwd = scanned();
    let path = lintage_in(
        cwd.path(),
        &[
            "query",
            "path",
            "device-risk",
            "chargeback-predictor",
            "--format",
            "json",
        ],
    )
    .json();
    let paths = path["paths"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        paths.len(),
        2,
        "two shortest paths through the two device-risk outputs"
    );
    assert!(paths.iter().all(|p| p.as_array().map(Vec::len) == Some(4)));
    let all = lintage_in(
        cwd.path(),
        &[
            "query",
            "path",
            "device-risk",
            "chargeback-predictor",
            "--all",
            "--format",
            "json",
        ],
    )
    .json();
    assert!(all["paths"].as_array().map_or(0, Vec::len) > 2);

    let select = lintage_in(
        cwd.path(),
        &[
            "query",
            "select",
            "1+chargeback-predictor",
            "--format",
            "json",
        ],
    )
    .json();
    let nodes = selected(&select);
    assert_eq!(
        nodes,
        vec![
            "model:chargeback-predictor self",
            "job:feature-builder upstream",
            "job:label-builder upstream",
            "model:fraud-scorer upstream",
        ]
    );
    assert_eq!(lintage_in(cwd.path(), &["query", "select", "+"]).code, 2);

    let impact = lintage_in(
        cwd.path(),
        &["query", "impact", "device-risk", "--format", "json"],
    )
    .json();
    assert_eq!(
        impact["longest_model_chain"],
        serde_json::json!([
            "model:device-risk",
            "model:fraud-scorer",
            "model:chargeback-predictor"
        ])
    );
    assert_eq!(impact["in_feedback_loop"], false);
    assert_eq!(
        impact["downstream"]["model"].as_array().map(Vec::len),
        Some(2)
    );
    let looped = lintage_in(
        cwd.path(),
        &["query", "impact", "fraud-scorer", "--format", "json"],
    )
    .json();
    assert_eq!(looped["in_feedback_loop"], true);
}

#[test]
fn a_fresh_scan_and_the_stored_snapshot_answer_alike() {
    let cwd = scanned();
    let sample = repo_path("samples/payments");
    for args in [
        ["dependents", "recommender"],
        ["dependencies", "fraud-scorer"],
    ] {
        let stored = lintage_in(cwd.path(), &["query", args[0], args[1], "--format", "json"]);
        let fresh = lintage(&[
            "query",
            args[0],
            args[1],
            "--format",
            "json",
            "--deployment",
            path_str(&sample),
        ]);
        assert_eq!(stored.stdout, fresh.stdout);
    }
}

#[test]
fn impact_counts_undeclared_only_what_no_declared_path_reaches() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\noutputs: [x]\nconsumers: [job:j]\n---\n\
         kind: job\nname: j\ninputs: [x]\noutputs: [y]\n---\n\
         kind: service\nname: s\nidentities: [svc:s]\ninputs: [y]\n---\n\
         kind: service\nname: t\nidentities: [svc:t]\n",
    )
    .file(
        "l.jsonl",
        "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:s\",\"action\":\"read\",\"resource\":\"x\"}\n\
         {\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:t\",\"action\":\"read\",\"resource\":\"x\"}\n",
    );
    let dir = path_str(d.path());
    let impact = lintage(&[
        "query",
        "impact",
        "m",
        "--deployment",
        dir,
        "--format",
        "json",
    ])
    .json();
    assert_eq!(impact["undeclared"], 1, "only service:t: {impact:#}");
    let services = impact["downstream"]["service"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let flags: Vec<(String, bool)> = services
        .iter()
        .map(|s| {
            (
                s["node"].as_str().unwrap_or_default().to_string(),
                s["declared"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            ("service:s".to_string(), true),
            ("service:t".to_string(), false)
        ]
    );
    assert_eq!(impact["in_feedback_loop"], false);

    // A selection lists each node once, also when a loop puts it on both sides.
    let cwd = scanned();
    let select = lintage_in(
        cwd.path(),
        &["query", "select", "1+label-builder+1", "--format", "json"],
    )
    .json();
    let nodes = selected(&select);
    assert_eq!(
        nodes,
        vec![
            "job:label-builder self",
            "model:fraud-scorer both",
            "model:chargeback-predictor downstream"
        ]
    );
}
