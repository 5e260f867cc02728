//! Each rule of SPEC.md, where it must fire and where it must not.

use crate::util::{Deployment, logs, of_code, str_of};

fn keys_of(run: &crate::util::Run, code: &str) -> Vec<String> {
    run.findings()
        .into_iter()
        .filter(|k| k.starts_with(code))
        .collect()
}

#[test]
fn lt001_fires_for_undeclared_readers_only() {
    let d = Deployment::new();
    d.file(
        "m/scorer.yaml",
        "kind: model\nname: scorer\nidentities: [svc:scorer]\noutputs: [scores]\n\
         consumers: [service:checkout, service:reporting-*, principal:svc:audit]\n",
    )
    .file(
        "m/checkout.yaml",
        "kind: service\nname: checkout\nidentities: [svc:checkout]\ninputs: [scores]\n",
    )
    .file(
        "m/reporting.yaml",
        "kind: service\nname: reporting-eu\nidentities: [svc:rep-eu]\ninputs: [scores]\n",
    )
    .file(
        "m/news.yaml",
        "kind: service\nname: newsletter\nidentities: [svc:news]\ninputs: [scores]\n",
    )
    .file(
        "logs/a.jsonl",
        logs(&[
            (1, "svc:scorer", "write", "scores"),
            (2, "svc:scorer", "read", "scores"),
            (2, "svc:checkout", "read", "scores"),
            (3, "svc:rep-eu", "read", "scores"),
            (4, "svc:news", "read", "scores"),
            (5, "svc:news", "read", "scores"),
            (5, "svc:audit", "read", "scores"),
            (6, "svc:intruder", "read", "scores"),
        ]),
    );
    let run = d.scan_json(&[]);
    assert_eq!(
        run.code, 1,
        "an error-level finding fails the scan\n{}",
        run.stderr
    );
    assert_eq!(
        keys_of(&run, "LT001"),
        vec![
            "LT001 model:scorer principal:svc:intruder",
            "LT001 model:scorer service:newsletter"
        ],
        "declared, glob-declared, self-reading and principal-declared readers are fine"
    );
    let report = run.json();
    let newsletter = of_code(&report, "LT001")[1];
    assert_eq!(
        str_of(&newsletter["message"]),
        "service:newsletter reads dataset:scores, an output of model:scorer, but is not a declared consumer"
    );
    assert_eq!(newsletter["evidence"][0]["count"], 2);
    assert_eq!(newsletter["evidence"][0]["line"], 5);
    assert_eq!(newsletter["evidence"][0]["file"], "logs/a.jsonl");
    assert_eq!(
        newsletter["evidence"][0]["first_seen"],
        "2026-11-04T12:00:00Z"
    );
    assert_eq!(
        newsletter["evidence"][0]["last_seen"],
        "2026-11-05T12:00:00Z"
    );
}

#[test]
fn lt001_counts_observed_writes_as_outputs_but_not_influences() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: rec\nidentities: [svc:rec]\ninfluences: [clicks]\n---\n\
         kind: service\nname: web\nidentities: [svc:web]\ninputs: [clicks, shadow]\n",
    )
    .file(
        "l.jsonl",
        logs(&[
            (1, "svc:rec", "write", "shadow"),
            (2, "svc:web", "read", "shadow"),
            (2, "svc:web", "read", "clicks"),
        ]),
    );
    let run = d.scan_json(&["--fail-on", "never"]);
    assert_eq!(run.code, 0);
    assert_eq!(keys_of(&run, "LT001"), vec!["LT001 model:rec service:web"]);
    let report = run.json();
    assert!(str_of(&of_code(&report, "LT001")[0]["message"]).contains("dataset:shadow"));
}

#[test]
fn lt002_direct_loop_through_influences() {
    let d = Deployment::new();
    d.file(
        "rec.yaml",
        "kind: model\nname: rec\ntraining: [clicks]\ninfluences: [clicks]\noutputs: [suggestions]\n",
    );
    let report = d.scan_json(&[]).json();
    let loops = of_code(&report, "LT002");
    assert_eq!(loops.len(), 1);
    assert_eq!(loops[0]["subject"], "model:rec");
    assert_eq!(loops[0]["loop_kind"], "direct");
    assert_eq!(
        loops[0]["path"],
        serde_json::json!(["model:rec", "dataset:clicks", "model:rec"])
    );
    assert_eq!(loops[0]["related"], serde_json::json!([]));
}

#[test]
fn lt002_hidden_when_closed_only_by_an_observed_edge() {
    let d = Deployment::new();
    d.file(
        "s.yaml",
        "kind: model\nname: scorer\nidentities: [svc:s]\ntraining: [labels]\noutputs: [scores]\n",
    )
    .file(
        "j.yaml",
        "kind: job\nname: labeler\nidentities: [svc:l]\noutputs: [labels]\n",
    )
    .file("l.jsonl", logs(&[(1, "svc:l", "read", "scores")]));
    let report = d.scan_json(&[]).json();
    let loops = of_code(&report, "LT002");
    assert_eq!(loops.len(), 1);
    assert_eq!(loops[0]["loop_kind"], "hidden");
    assert_eq!(
        loops[0]["path"],
        serde_json::json!([
            "model:scorer",
            "dataset:scores",
            "job:labeler",
            "dataset:labels",
            "model:scorer"
        ])
    );
    // The same deployment without the log line has no loop at all.
    let clean = Deployment::new();
    clean
        .file(
            "s.yaml",
            "kind: model\nname: scorer\ntraining: [labels]\noutputs: [scores]\n",
        )
        .file("j.yaml", "kind: job\nname: labeler\noutputs: [labels]\n");
    assert!(of_code(&clean.scan_json(&[]).json(), "LT002").is_empty());
}

#[test]
fn lt002_two_model_loop_is_hidden_and_reported_once() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: b\ninputs: [model:a]\noutputs: [b_out]\n---\n\
         kind: model\nname: a\ninputs: [b_out]\noutputs: [a_out]\n",
    );
    let report = d.scan_json(&[]).json();
    let loops = of_code(&report, "LT002");
    assert_eq!(
        loops.len(),
        1,
        "one finding per strongly connected component"
    );
    assert_eq!(loops[0]["subject"], "model:a", "the smallest model id");
    assert_eq!(loops[0]["loop_kind"], "hidden", "two models in the loop");
    let path = loops[0]["path"].as_array().cloned().unwrap_or_default();
    assert_eq!(path.first(), Some(&serde_json::json!("model:a")));
    assert_eq!(path.last(), Some(&serde_json::json!("model:a")));
    // Precedence between models of the same loop does not make a chain.
    assert!(of_code(&report, "LT003").is_empty(), "{report:#}");
}

#[test]
fn lt002_single_model_loop_needing_a_log_edge_is_hidden() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\ntraining: [t]\n",
    )
    .file(
        "l.jsonl",
        logs(&[(1, "svc:m", "write", "t"), (1, "svc:m", "read", "t")]),
    );
    let report = d.scan_json(&["--fail-on", "never"]).json();
    let loops = of_code(&report, "LT002");
    assert_eq!(loops.len(), 1);
    assert_eq!(loops[0]["loop_kind"], "hidden");
}

#[test]
fn lt003_chains_through_jobs_base_models_and_model_inputs() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: a\noutputs: [a_out]\n---\n\
         kind: job\nname: etl\ninputs: [a_out]\noutputs: [features]\n---\n\
         kind: model\nname: b\ninputs: [features]\noutputs: [b_out]\n---\n\
         kind: model\nname: c\ninputs: [model:b]\n---\n\
         kind: model\nname: foundation\n---\n\
         kind: model\nname: tuned\nbase_model: foundation\n",
    );
    let report = d.scan_json(&[]).json();
    let chains = of_code(&report, "LT003");
    let summary: Vec<(String, String, Vec<String>)> = chains
        .iter()
        .map(|f| {
            let path = f["path"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| str_of(p).to_string())
                .collect();
            (
                str_of(&f["subject"]).to_string(),
                str_of(&f["severity"]).to_string(),
                path,
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        summary,
        vec![
            ("model:b".into(), "info".into(), s(&["model:a", "model:b"])),
            (
                "model:c".into(),
                "warning".into(),
                s(&["model:a", "model:b", "model:c"])
            ),
            (
                "model:tuned".into(),
                "info".into(),
                s(&["model:foundation", "model:tuned"])
            ),
        ]
    );
}

#[test]
fn lt003_loop_members_do_not_extend_chains() {
    // x and y form a loop; z reads y. Inside the loop x and y do not precede each other,
    // so z's longest chain is 2 models, not 3.
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: x\ninputs: [y_out]\noutputs: [x_out]\n---\n\
         kind: model\nname: y\ninputs: [x_out]\noutputs: [y_out]\n---\n\
         kind: model\nname: z\ninputs: [y_out]\n",
    );
    let report = d.scan_json(&[]).json();
    let chains = of_code(&report, "LT003");
    assert_eq!(chains.len(), 1, "{report:#}");
    assert_eq!(chains[0]["subject"], "model:z");
    assert_eq!(chains[0]["severity"], "info");
    assert_eq!(chains[0]["path"], serde_json::json!(["model:y", "model:z"]));
}

#[test]
fn lt003_survives_a_very_long_chain() {
    let mut text = String::new();
    let n = 1500;
    for i in 0..n {
        text.push_str(&format!(
            "kind: model\nname: m{i:05}\ninputs: [d{i}]\noutputs: [d{}]\n---\n",
            i + 1
        ));
    }
    let d = Deployment::new();
    d.file("chain.yaml", text);
    let report = d.scan_json(&[]).json();
    let chains = of_code(&report, "LT003");
    assert_eq!(chains.len(), n - 1);
    let last = chains
        .iter()
        .find(|f| f["subject"] == format!("model:m{:05}", n - 1));
    assert_eq!(
        last.map(|f| f["path"].as_array().map_or(0, Vec::len)),
        Some(n)
    );
}

#[test]
fn lt004_and_lt008_compare_observed_with_declared() {
    let d = Deployment::new();
    d.file(
        "j.yaml",
        "kind: job\nname: etl\nidentities: [svc:etl]\ninputs: [raw, model:m]\noutputs: [clean]\n---\n\
         kind: model\nname: m\noutputs: [m_out]\n",
    )
    .file(
        "l.jsonl",
        logs(&[
            (1, "svc:etl", "read", "raw"),
            (1, "svc:etl", "read", "m_out"),
            (1, "svc:etl", "read", "secret"),
            (1, "svc:etl", "write", "clean"),
            (1, "svc:etl", "write", "scratch"),
        ]),
    );
    let run = d.scan_json(&[]);
    assert_eq!(
        keys_of(&run, "LT004"),
        vec!["LT004 job:etl dataset:secret"],
        "model:m covers m_out"
    );
    assert_eq!(
        keys_of(&run, "LT008"),
        vec!["LT008 job:etl dataset:scratch"]
    );
    assert!(keys_of(&run, "LT005").is_empty());
}

#[test]
fn lt005_unused_inputs_of_active_entities_only() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: job\nname: busy\nidentities: [svc:busy]\ninputs: [used, unused, model:m, model:idle]\ntraining: [old]\n---\n\
         kind: job\nname: quiet\ninputs: [never]\n---\n\
         kind: model\nname: m\noutputs: [m_out]\n---\n\
         kind: model\nname: idle\noutputs: [idle_out]\n",
    )
    .file("l.jsonl", logs(&[(1, "svc:busy", "read", "used"), (1, "svc:busy", "read", "m_out")]));
    let run = d.scan_json(&[]);
    assert_eq!(
        keys_of(&run, "LT005"),
        vec![
            "LT005 job:busy dataset:old",
            "LT005 job:busy dataset:unused",
            "LT005 job:busy model:idle",
        ],
        "job:quiet shows no activity at all, so it is not judged"
    );
    let report = run.json();
    let evidence = &of_code(&report, "LT005")[2]["evidence"][0];
    assert_eq!(
        (evidence["file"].clone(), evidence["line"].clone()),
        ("m.yaml".into(), 4.into())
    );
}

#[test]
fn lt006_stale_consumers_that_are_active_elsewhere() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\noutputs: [scores]\nconsumers: [service:busy, service:quiet, service:reader, service:*]\n---\n\
         kind: service\nname: busy\nidentities: [svc:busy]\n---\n\
         kind: service\nname: quiet\n---\n\
         kind: service\nname: reader\nidentities: [svc:reader]\ninputs: [scores]\n",
    )
    .file("l.jsonl", logs(&[(1, "svc:busy", "read", "other"), (1, "svc:reader", "read", "scores")]));
    let run = d.scan_json(&[]);
    assert_eq!(keys_of(&run, "LT006"), vec!["LT006 model:m service:busy"]);
}

#[test]
fn lt007_and_lt009_principals_and_writers() {
    let d = Deployment::new();
    d.file("j.yaml", "kind: job\nname: etl\nidentities: [svc:etl-*]\noutputs: [t]\n---\nkind: job\nname: other\noutputs: [t]\n")
        .file(
            "l.jsonl",
            logs(&[(1, "svc:etl-1", "write", "t"), (1, "svc:etl-2", "write", "t"), (1, "bob@corp", "write", "t")]),
        );
    let run = d.scan_json(&[]);
    assert_eq!(
        keys_of(&run, "LT007"),
        vec!["LT007 principal:bob@corp"],
        "svc:etl-* maps both workers"
    );
    assert_eq!(
        keys_of(&run, "LT009"),
        vec!["LT009 dataset:t job:etl job:other principal:bob@corp"],
        "declared and observed writers, sorted"
    );
}

#[test]
fn identities_prefer_exact_then_longer_globs_and_reject_ties() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: job\nname: generic\nidentities: [svc:*]\n---\n\
         kind: job\nname: fraud\nidentities: [svc:fraud-*]\n---\n\
         kind: job\nname: special\nidentities: [svc:fraud-special]\n",
    )
    .file(
        "l.jsonl",
        logs(&[
            (1, "svc:fraud-special", "read", "a"),
            (1, "svc:fraud-1", "read", "b"),
            (1, "svc:x", "read", "c"),
        ]),
    );
    let run = d.scan_json(&[]);
    let lt004 = keys_of(&run, "LT004");
    assert_eq!(
        lt004,
        vec![
            "LT004 job:fraud dataset:b",
            "LT004 job:generic dataset:c",
            "LT004 job:special dataset:a"
        ]
    );

    let tie = Deployment::new();
    tie.file("a.yaml", "kind: job\nname: a\nidentities: [svc:a*]\n")
        .file("b.yaml", "kind: job\nname: b\nidentities: [svc:*b]\n")
        .file("l.jsonl", logs(&[(1, "svc:ab", "read", "x")]));
    let run = tie.scan_json(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("a.yaml:3") && run.stderr.contains("b.yaml:3"),
        "{}",
        run.stderr
    );

    // Several tied principals: the first by name is the one reported, whatever the order
    // of the log lines.
    let messages: Vec<String> = [["svc:azb", "svc:ab"], ["svc:ab", "svc:azb"]]
        .iter()
        .map(|[first, second]| {
            let d = Deployment::new();
            d.file("a.yaml", "kind: job\nname: a\nidentities: [svc:a*]\n")
                .file("b.yaml", "kind: job\nname: b\nidentities: [svc:*b]\n")
                .file(
                    "l.jsonl",
                    logs(&[(1, first, "read", "x"), (2, second, "read", "y")]),
                );
            let run = d.scan_json(&["--no-store"]);
            assert_eq!(run.code, 2);
            run.stderr
        })
        .collect();
    assert_eq!(messages[0], messages[1]);
    assert!(
        messages[0].contains("svc:ab") && !messages[0].contains("svc:azb"),
        "{}",
        messages[0]
    );
}
