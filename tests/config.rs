//! lintage.toml: field mappings, identities, severities, allowlists, time windows.

use crate::util::{Deployment, log, logs, of_code};

#[test]
fn field_mapping_reads_logs_with_other_keys() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "[logs.fields]\nprincipal = \"user\"\nresource = \"table\"\naction = \"op\"\nts = \"time\"\n\n\
         [logs.actions]\nSELECT = \"read\"\nINSERT = \"write\"\nDESCRIBE = \"ignore\"\n",
    )
    .file("m.yaml", "kind: job\nname: etl\nidentities: [etl]\n")
    .file(
        "audit.jsonl",
        "{\"time\":\"2026-11-01T00:00:00Z\",\"user\":\"etl\",\"op\":\"SELECT\",\"table\":\"raw\"}\n\
         {\"time\":\"2026-11-01T00:00:00Z\",\"user\":\"etl\",\"op\":\"INSERT\",\"table\":\"mart\"}\n\
         {\"time\":\"2026-11-01T00:00:00Z\",\"user\":\"etl\",\"op\":\"DESCRIBE\",\"table\":\"x\"}\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.findings(),
        vec!["LT004 job:etl dataset:raw", "LT008 job:etl dataset:mart"]
    );
    assert_eq!(run.json()["summary"]["malformed_records"], 0);
}

#[test]
fn identities_severities_and_allowlist() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "[[identities]]\nprincipal = \"svc:legacy-*\"\nentity = \"job:legacy\"\n\n\
         [rules.LT004]\nseverity = \"error\"\n\n\
         [rules.unknown-principal]\nseverity = \"off\"\n\n\
         [[allow]]\nrule = \"LT001\"\nsubject = \"model:m\"\nrelated = \"service:dash*\"\nreason = \"read-only dashboard\"\n\n\
         [[allow]]\nrule = \"LT009\"\nreason = \"matches nothing\"\n",
    )
    .file(
        "m.yaml",
        "kind: model\nname: m\noutputs: [scores]\n---\nkind: job\nname: legacy\n---\nkind: service\nname: dashboard\n",
    )
    .file(
        "l.jsonl",
        logs(&[(1, "svc:legacy-1", "read", "raw"), (1, "service:dashboard", "read", "scores"), (1, "nobody", "read", "scores")]),
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 1, "LT004 raised to error");
    let report = run.json();
    assert_eq!(of_code(&report, "LT004")[0]["subject"], "job:legacy");
    assert_eq!(of_code(&report, "LT004")[0]["severity"], "error");
    assert!(of_code(&report, "LT007").is_empty(), "turned off");
    assert_eq!(
        run.findings()
            .into_iter()
            .filter(|k| k.starts_with("LT001"))
            .collect::<Vec<_>>(),
        vec!["LT001 model:m principal:nobody"],
        "the dashboard is allowed, the unknown principal is not"
    );
    assert!(
        run.stderr
            .contains("lintage.toml:17: allow entry for LT009 matched no finding"),
        "{}",
        run.stderr
    );
}

#[test]
fn time_window_from_config_and_command_line() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: j\nidentities: [j]\n")
        .file(
            "l.jsonl",
            logs(&[
                (1, "j", "read", "early"),
                (15, "j", "read", "middle"),
                (28, "j", "read", "late"),
            ]),
        );
    let all = d.scan_json(&[]);
    assert_eq!(all.findings().len(), 3);
    let window = d.scan_json(&["--since", "2026-11-10", "--until", "2026-11-20"]);
    assert_eq!(window.findings(), vec!["LT004 job:j dataset:middle"]);
    d.file(
        "lintage.toml",
        "[window]\nsince = \"2026-11-20T00:00:00Z\"\n",
    );
    assert_eq!(
        d.scan_json(&[]).findings(),
        vec!["LT004 job:j dataset:late"]
    );
    let bad = d.scan_json(&["--since", "last tuesday"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn unknown_keys_and_bad_values_are_errors_with_lines() {
    for (text, location, what) in [
        ("[logs]\ncolour = true\n", "lintage.toml:2", "colour"),
        (
            "[rules.LT042]\nseverity = \"error\"\n",
            "lintage.toml:1",
            "unknown rule",
        ),
        (
            "[rules.LT001]\nseverity = \"fatal\"\n",
            "lintage.toml:2",
            "fatal",
        ),
        (
            "[[allow]]\nrule = \"LT001\"\nreason = \"\"\n",
            "lintage.toml:1",
            "reason",
        ),
        (
            "[[normalize]]\npattern = \"(\"\nreplace = \"\"\n",
            "lintage.toml:1",
            "bad pattern",
        ),
    ] {
        let d = Deployment::new();
        d.file("lintage.toml", text)
            .file("l.jsonl", log(1, "a", "read", "b"));
        let run = d.scan_json(&[]);
        assert_eq!(run.code, 2, "{text}");
        assert!(
            run.stderr.contains(location) && run.stderr.contains(what),
            "{text}: {}",
            run.stderr
        );
    }
}

#[test]
fn normalization_merges_partitions() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "[[normalize]]\npattern = '/dt=[^/]+$'\nreplace = \"\"\n",
    )
    .file(
        "m.yaml",
        "kind: job\nname: j\nidentities: [j]\ninputs: [s3://lake/events]\n",
    )
    .file(
        "l.jsonl",
        logs(&[
            (1, "j", "read", "s3://lake/events/dt=2026-11-01"),
            (2, "j", "read", "s3://lake/events/dt=2026-11-02"),
        ]),
    );
    let run = d.scan_json(&[]);
    assert!(run.findings().is_empty(), "{:?}", run.findings());
}

#[test]
fn an_identity_for_an_undeclared_entity_is_an_error_with_a_suggestion() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "\n[[identities]]\nprincipal = \"svc:legacy-*\"\nentity = \"job:legacy-bach\"\n",
    )
    .file("m.yaml", "kind: job\nname: legacy-batch\noutputs: [d1]\n")
    .file("l.jsonl", log(1, "svc:legacy-1", "write", "d1"));
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("lintage.toml:2: identities: job:legacy-bach is not declared"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean job:legacy-batch?"),
        "{}",
        run.stderr
    );
}

#[test]
fn window_errors_point_at_their_line() {
    let d = Deployment::new();
    d.file(
        "lintage.toml",
        "# window\n\n[window]\nsince = \"last week\"\n",
    );
    let run = d.scan_json(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("lintage.toml:4: window.since"),
        "{}",
        run.stderr
    );
}
