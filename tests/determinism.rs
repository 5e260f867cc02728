//! The same input gives the same bytes, whatever the file names, order or thread count.

use crate::util::{Deployment, lintage, logs, path_str, repo_path};

#[test]
fn two_runs_give_identical_bytes_in_every_format() {
    let sample = repo_path("samples/payments");
    let sample = path_str(&sample);
    for format in ["json", "text"] {
        let a = lintage(&["scan", sample, "--format", format]);
        let b = lintage(&["scan", sample, "--format", format]);
        assert_eq!(a.code, 1);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn renamed_and_reordered_files_give_the_same_findings() {
    let manifests = [
        ("kind: model\nname: scorer\nidentities: [svc:s]\noutputs: [scores]\ntraining: [labels]\n"),
        ("kind: job\nname: labeler\nidentities: [svc:l]\noutputs: [labels]\n"),
        ("kind: service\nname: web\nidentities: [svc:w]\n"),
    ];
    let lines_a = logs(&[
        (1, "svc:l", "read", "scores"),
        (2, "svc:w", "read", "scores"),
        (3, "svc:s", "write", "scores"),
    ]);
    let lines_b = logs(&[
        (4, "svc:w", "read", "scores"),
        (5, "bob", "write", "labels"),
        (6, "svc:s", "read", "labels"),
    ]);

    let first = Deployment::new();
    first
        .file("a/1.yaml", manifests[0])
        .file("a/2.yaml", manifests[1])
        .file("a/3.yaml", manifests[2])
        .file("logs/a.jsonl", &lines_a)
        .file("logs/b.jsonl", &lines_b);
    let second = Deployment::new();
    let reversed_a: String = lines_a.lines().rev().map(|l| format!("{l}\n")).collect();
    second
        .file("zz/x.yaml", manifests[2])
        .file(
            "b/all.yaml",
            format!("{}---\n{}", manifests[1], manifests[0]),
        )
        .file("0-first.jsonl", &lines_b)
        .file("9-last.jsonl", &reversed_a);
    let strip = |run: crate::util::Run| {
        let mut report = run.json();
        for finding in report["findings"].as_array_mut().into_iter().flatten() {
            finding["evidence"] = serde_json::Value::Null;
        }
        report
    };
    let a = strip(first.scan_json(&[]));
    let b = strip(second.scan_json(&[]));
    assert!(!a["findings"].as_array().is_none_or(Vec::is_empty));
    assert_eq!(a, b);
}
