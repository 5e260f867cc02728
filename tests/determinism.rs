//! The same input gives the same bytes, whatever the file names, order or thread count.

use crate::util::{Deployment, lintage, lintage_with_env, log, logs, path_str, repo_path};

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

/// Logs of many blocks (one big file, a gzip file, a file of another format), with malformed
/// lines among them, give the same bytes read by one thread or by eight.
#[test]
fn findings_and_evidence_do_not_depend_on_the_thread_count() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: scorer\nidentities: [svc:s]\noutputs: [scores]\ntraining: [t0, t1]\n",
    );
    let mut big = String::new();
    let mut first_third = String::new();
    for i in 0..90_000u32 {
        if i == 30_000 {
            first_third = big.clone();
        }
        let principal = format!("svc:p{}", i % 97);
        let resource = if i % 5 == 0 {
            "scores".to_string()
        } else {
            format!("t{}", i % 13)
        };
        big.push_str(&log(1 + i % 28, &principal, "read", &resource));
        if i % 4_999 == 0 {
            big.push_str("{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"svc:x\"\n");
        }
    }
    assert!(big.len() > 5 << 20, "several blocks");
    d.file("logs/big.jsonl", &big);
    d.gz_file("logs/old.jsonl.gz", &first_third);
    d.file(
        "logs/s3.log",
        "owner bkt [01/Nov/2026:00:00:38 +0000] 192.0.2.3 svc:s3r REQ REST.GET.OBJECT scores \"GET /bkt/scores HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"-\" -\n",
    );
    let root = path_str(d.path());
    let args = [
        "scan",
        root,
        "--format",
        "json",
        "--no-store",
        "--fail-on",
        "never",
    ];
    let one = lintage_with_env(d.path(), &args, &[("LINTAGE_THREADS", "1")]);
    let eight = lintage_with_env(d.path(), &args, &[("LINTAGE_THREADS", "8")]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(one.stdout, eight.stdout);
    assert_eq!(one.stderr, eight.stderr);
    let report = one.json();
    // Every 4,999th record of 90,000 is followed by a broken one (19), and 7 in the first third.
    assert_eq!(
        report["summary"]["malformed_records"], 26,
        "{}",
        report["summary"]
    );
    assert_eq!(
        report["summary"]["log_records"], 120_001,
        "{}",
        report["summary"]
    );
    let export = |threads: &str| {
        lintage_with_env(
            d.path(),
            &["export", root, "--format", "json"],
            &[("LINTAGE_THREADS", threads)],
        )
        .stdout
    };
    assert_eq!(export("1"), export("3"));
}
