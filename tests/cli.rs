//! The command line as users meet it: exit codes, formats, `-o`, the rule catalogue.

use crate::util::{Deployment, assert_valid, lintage, logs, path_str, repo_path};

#[test]
fn json_report_matches_the_schema() {
    let sample = repo_path("samples/payments");
    let report = lintage(&["scan", path_str(&sample), "--format", "json"]).json();
    assert_valid("lintage-findings.schema.json", &report);
    let planted = repo_path("tests/planted/deployment");
    assert_valid(
        "lintage-findings.schema.json",
        &lintage(&["scan", path_str(&planted), "--format", "json"]).json(),
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: j\nidentities: [j]\n")
        .file("l.jsonl", logs(&[(1, "j", "read", "t")]));
    assert_eq!(
        d.scan_json(&[]).code,
        0,
        "a warning does not fail by default"
    );
    assert_eq!(d.scan_json(&["--fail-on", "warning"]).code, 1);
    assert_eq!(d.scan_json(&["--fail-on", "info"]).code, 1);
    assert_eq!(d.scan_json(&["--fail-on", "never"]).code, 0);
    assert_eq!(d.scan_json(&["--fail-on", "sometimes"]).code, 2);
}

#[test]
fn output_file_and_text_report() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [m]\noutputs: [s]\n",
    )
    .file("l.jsonl", logs(&[(1, "web", "read", "s")]));
    let out = d.path().join("report.json");
    let run = lintage(&[
        "scan",
        path_str(d.path()),
        "--format",
        "json",
        "-o",
        path_str(&out),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(written.contains("\"LT001\""));
    // The JSON report is written as it is made; the file and stdout get the same bytes.
    let to_stdout = lintage(&["scan", path_str(d.path()), "--format", "json"]);
    assert_eq!(to_stdout.stdout, written);
    let nowhere = d.path().join("no-such-folder").join("report.json");
    let db = d.path().join("snapshots.db");
    let failed = lintage(&[
        "scan",
        path_str(d.path()),
        "--format",
        "json",
        "-o",
        path_str(&nowhere),
        "--db",
        path_str(&db),
    ]);
    assert_eq!(failed.code, 2);
    assert!(
        failed.stderr.contains("report.json: cannot write"),
        "{}",
        failed.stderr
    );
    // A scan whose report could not be written records no snapshot; nor does a check.
    assert!(!db.exists(), "a snapshot was recorded: {}", db.display());
    let baseline = d.path().join("baseline.json");
    let dir = path_str(d.path());
    assert_eq!(
        lintage(&["baseline", dir, "-o", path_str(&baseline)]).code,
        0
    );
    let check = lintage(&[
        "check",
        dir,
        "--baseline",
        path_str(&baseline),
        "-o",
        path_str(&nowhere),
        "--db",
        path_str(&db),
    ]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    assert!(
        !db.exists(),
        "a check recorded a snapshot: {}",
        db.display()
    );

    let text = lintage(&["scan", path_str(d.path())]);
    assert!(
        text.stdout
            .starts_with("error[LT001] undeclared-consumer: model:m\n"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains(
        "--> seen     l.jsonl:1  dataset:s -> principal:web  1×, at 2026-11-01T12:00:00Z"
    ));
    assert!(
        text.stdout
            .contains("info[LT007] unknown-principal: principal:web")
    );
    assert!(
        text.stdout
            .contains("scanned 1 manifest in 1 file and 1 log file (1 records, 0 malformed)")
    );
    assert!(
        !text.stdout.contains('\x1b'),
        "no colour when not on a terminal"
    );
    let colored = lintage(&["scan", path_str(d.path()), "--color", "always"]);
    assert!(colored.stdout.contains("\x1b[1;31merror"));
}

#[test]
fn missing_or_unreadable_input_exits_2() {
    let run = lintage(&["scan", "/nonexistent/deployment"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/deployment"),
        "{}",
        run.stderr
    );
    assert_eq!(lintage(&["frobnicate"]).code, 2);
}

#[test]
fn rules_and_explain() {
    let rules = lintage(&["rules"]);
    assert_eq!(rules.code, 0);
    for code in [
        "LT001  undeclared-consumer",
        "LT002  feedback-loop",
        "LT009  multiple-writers",
    ] {
        assert!(rules.stdout.contains(code), "{}", rules.stdout);
    }
    let json = lintage(&["rules", "--format", "json"]).json();
    assert_eq!(json.as_array().map(Vec::len), Some(9));

    let explain = lintage(&["explain", "LT002"]);
    assert_eq!(explain.code, 0);
    assert!(explain.stdout.starts_with("# LT002 feedback-loop"));
    assert!(explain.stdout.contains("## How to fix"));
    assert_eq!(lintage(&["explain", "undeclared-consumer"]).code, 0);
    let unknown = lintage(&["explain", "LT999"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown rule `LT999`"));
}

#[test]
fn junit_failures_follow_fail_on() {
    let sample = repo_path("samples/payments-clean");
    let sample = path_str(&sample);
    let count = |args: &[&str]| {
        let run = lintage(args);
        let start = run.stdout.find("failures=\"").map(|i| i + 10).unwrap_or(0);
        let end = run.stdout[start..]
            .find('"')
            .map(|i| start + i)
            .unwrap_or(start);
        (run.code, run.stdout[start..end].to_string())
    };
    assert_eq!(
        count(&["scan", sample, "--no-store", "--format", "junit"]),
        (0, "0".into())
    );
    assert_eq!(
        count(&[
            "scan",
            sample,
            "--no-store",
            "--format",
            "junit",
            "--fail-on",
            "warning"
        ]),
        (1, "4".into())
    );
}
