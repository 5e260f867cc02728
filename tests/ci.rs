//! The CI gate: snapshots, baselines, `check`, `diff`, and every findings format.

use std::path::Path;

use crate::util::{Deployment, assert_valid, lintage, log, path_str, repo_path};

/// A copy of samples/payments in a temporary folder, so tests can add log lines to it.
fn payments_copy() -> Deployment {
    let d = Deployment::new();
    copy_dir(&repo_path("samples/payments"), d.path());
    d
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            let _ = std::fs::create_dir_all(&target);
            copy_dir(&entry.path(), &target);
        } else {
            let _ = std::fs::copy(entry.path(), &target);
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let _ = file.write_all(text.as_bytes());
}

fn args<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

#[test]
fn readme_ci_recipe_baseline_then_green_then_red_in_every_format() {
    let d = payments_copy();
    let dir = path_str(d.path());
    let db = d.path().join(".lintage/test.db");
    let db = path_str(&db);
    let baseline = d.path().join("lintage-baseline.json");
    let baseline = path_str(&baseline);

    let written = lintage(&["baseline", dir, "-o", baseline]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(baseline).unwrap_or_default())
            .unwrap_or_default();
    let entries = file["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 13);
    for key in [
        "fingerprint",
        "code",
        "subject",
        "related",
        "message",
        "reason",
    ] {
        assert!(
            entries[0].get(key).is_some(),
            "baseline entries carry {key}"
        );
    }

    let green = lintage(&["check", dir, "--baseline", baseline, "--db", db]);
    assert_eq!(green.code, 0, "{}{}", green.stdout, green.stderr);
    assert!(
        green
            .stdout
            .contains("13 known findings accepted by the baseline"),
        "{}",
        green.stdout
    );

    // A new service starts reading the fraud scores.
    append(
        &d.path().join("logs/access-2026-11-11.jsonl"),
        &log(27, "svc:newsletter", "read", "warehouse.scores.fraud"),
    );
    let base = ["check", dir, "--baseline", baseline, "--db", db];
    let red = lintage(&base);
    assert_eq!(red.code, 1, "{}", red.stdout);
    assert!(
        red.stdout
            .starts_with("error[LT001] undeclared-consumer: model:fraud-scorer\n"),
        "{}",
        red.stdout
    );
    assert!(
        red.stdout
            .contains("principal:svc:newsletter reads dataset:warehouse.scores.fraud")
    );

    let json = lintage(&args(&base, &["--format", "json"])).json();
    let new: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["baseline"] == "new")
        .collect();
    let errors: Vec<_> = new.iter().filter(|f| f["severity"] == "error").collect();
    assert_eq!(errors.len(), 1, "the only new error: {new:#?}");
    assert_eq!(
        errors[0]["related"],
        serde_json::json!(["principal:svc:newsletter"])
    );
    assert_eq!(
        json["baseline"]["new"], 2,
        "the new LT001 and the new LT007 for the unknown principal"
    );
    assert_valid("lintage-findings.schema.json", &json);

    let sarif = lintage(&args(&base, &["--format", "sarif"]));
    assert_eq!(sarif.code, 1);
    assert!(sarif.stdout.contains("principal:svc:newsletter"));
    let sarif_json = sarif.json();
    assert_valid("sarif-schema-2.1.0.json", &sarif_json);
    let results = sarif_json["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let new_results: Vec<_> = results
        .iter()
        .filter(|r| r["baselineState"] == "new")
        .collect();
    assert_eq!(new_results.len(), 2);

    let github = lintage(&args(&base, &["--format", "github"]));
    assert_eq!(github.code, 1);
    let annotations: Vec<&str> = github
        .stdout
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(
        annotations.len(),
        2,
        "known findings are not annotated: {}",
        github.stdout
    );
    assert!(annotations.iter().any(|l| l.starts_with("::error ")
        && l.contains("principal%3Asvc%3Anewsletter")
        || l.contains("principal:svc:newsletter")));

    let junit = lintage(&args(&base, &["--format", "junit"]));
    assert_eq!(junit.code, 1);
    assert!(junit.stdout.contains("principal:svc:newsletter"));
    crate::util::assert_xml_well_formed(&junit.stdout);

    let markdown = lintage(&args(&base, &["--format", "markdown"]));
    assert_eq!(markdown.code, 1);
    assert!(markdown.stdout.contains("principal:svc:newsletter"));
    assert!(
        markdown.stdout.contains("<details>"),
        "known findings are folded away"
    );
}

#[test]
fn fingerprints_survive_growing_and_moving_logs() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\noutputs: [s]\n",
    )
    .file("logs/a.jsonl", log(1, "svc:web", "read", "s"));
    let before = d.scan_json(&["--no-store"]).json();
    // More lines, other dates, another file name and folder.
    let _ = std::fs::remove_file(d.path().join("logs/a.jsonl"));
    d.file(
        "archive/2026/b.ndjson",
        format!(
            "{}{}{}",
            log(2, "svc:m", "write", "s"),
            log(9, "svc:web", "read", "s"),
            log(20, "svc:web", "read", "s")
        ),
    );
    let after = d.scan_json(&["--no-store"]).json();
    let prints = |r: &serde_json::Value| -> Vec<(String, String)> {
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["code"].as_str().unwrap_or_default().to_string(),
                    f["fingerprint"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(prints(&before), prints(&after));
    assert_ne!(
        before["findings"][0]["evidence"],
        after["findings"][0]["evidence"]
    );
    // A different consumer is a different finding.
    d.file("archive/2026/b.ndjson", log(2, "svc:other", "read", "s"));
    let other = d.scan_json(&["--no-store"]).json();
    assert_ne!(prints(&before)[0], prints(&other)[0]);
}

/// A model whose scores an undeclared `svc:web` reads, with a baseline `b.json` of that.
fn baselined_model() -> Deployment {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\noutputs: [s]\n",
    )
    .file("l.jsonl", log(1, "svc:web", "read", "s"));
    let baseline = d.path().join("b.json");
    let written = lintage(&["baseline", path_str(d.path()), "-o", path_str(&baseline)]);
    assert_eq!(written.code, 0);
    d
}

#[test]
fn resolved_baseline_entries_are_listed() {
    let d = baselined_model();
    let baseline = d.path().join("b.json");
    let dir = path_str(d.path());
    d.file("l.jsonl", log(1, "svc:m", "write", "s"));
    let run = lintage(&[
        "check",
        dir,
        "--baseline",
        path_str(&baseline),
        "--no-store",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("2 baseline entries are no longer found"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("LT001 model:m (principal:svc:web)"),
        "{}",
        run.stdout
    );
    let json = lintage(&[
        "check",
        dir,
        "--baseline",
        path_str(&baseline),
        "--no-store",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(
        json["baseline"]["resolved"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn baseline_update_keeps_reasons() {
    let d = baselined_model();
    let baseline = d.path().join("b.json");
    let dir = path_str(d.path());
    let text = std::fs::read_to_string(&baseline).unwrap_or_default();
    std::fs::write(
        &baseline,
        text.replacen("\"reason\": \"\"", "\"reason\": \"ticket RISK-9\"", 1),
    )
    .unwrap_or_default();
    assert_eq!(
        lintage(&["baseline", dir, "-o", path_str(&baseline)]).code,
        0
    );
    assert!(
        std::fs::read_to_string(&baseline)
            .unwrap_or_default()
            .contains("ticket RISK-9")
    );
    let broken = d.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"tool\": 3\n}\n").unwrap_or_default();
    let run = lintage(&["check", dir, "--baseline", path_str(&broken), "--no-store"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("broken.json:2"), "{}", run.stderr);
}

#[test]
fn check_against_a_stored_snapshot_and_diff() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\noutputs: [s]\n",
    )
    .file("l.jsonl", log(1, "svc:m", "write", "s"));
    let dir = path_str(d.path());
    let db = d.path().join("snap.db");
    let db = path_str(&db);
    assert_eq!(lintage(&["scan", dir, "--db", db]).code, 0);
    d.file(
        "l.jsonl",
        format!(
            "{}{}",
            log(1, "svc:m", "write", "s"),
            log(2, "svc:web", "read", "s")
        ),
    );
    let run = lintage(&["check", dir, "--against", "latest", "--db", db]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("principal:svc:web"));

    let diff = lintage(&["diff", "--db", db]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(
        diff.stdout.contains("observed edges: +1 -0"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("+ dataset:s -> principal:svc:web"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("findings: 2 new, 0 resolved"),
        "{}",
        diff.stdout
    );
    let json = lintage(&["diff", "1", "2", "--db", db, "--format", "json"]).json();
    assert_eq!(
        json["edges"]["observed"]["added"][0]["to"],
        "principal:svc:web"
    );
    assert_eq!(json["findings"]["new"].as_array().map(Vec::len), Some(2));
    let bad = lintage(&["diff", "latest~5", "--db", db]);
    assert_eq!(bad.code, 2);
    let none = lintage(&["diff", "--db", path_str(&d.path().join("missing.db"))]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("lintage scan"), "{}", none.stderr);
}

#[test]
fn scans_record_snapshots_under_the_current_folder_by_default() {
    let d = Deployment::new();
    d.file("m.yaml", "kind: job\nname: j\n");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lintage"))
        .args(["scan", "."])
        .current_dir(d.path())
        .output();
    assert!(output.is_ok_and(|o| o.status.success()));
    assert!(d.path().join(".lintage/lintage.db").is_file());
    // The store's own folder is hidden, so it is never ingested.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_lintage"))
        .args(["scan", ".", "--format", "json"])
        .current_dir(d.path())
        .output();
    let stdout = again
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(stdout.contains("\"log_records\": 0"));
}

#[test]
fn two_scans_at_once_on_one_database_both_succeed() {
    let d = payments_copy();
    let db = d.path().join("shared.db");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_lintage"))
            .args([
                "scan",
                path_str(d.path()),
                "--db",
                path_str(&db),
                "--format",
                "json",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"))
    };
    let mut children: Vec<_> = (0..4).map(|_| spawn()).collect();
    for child in &mut children {
        let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        assert_eq!(
            status.code(),
            Some(1),
            "each scan finishes (exit 1: the sample has errors)"
        );
    }
    let diff = lintage(&["diff", "latest~3", "latest", "--db", path_str(&db)]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(diff.stdout.contains("no changes"), "{}", diff.stdout);
}

#[test]
fn a_scan_killed_midway_leaves_earlier_snapshots_intact() {
    let d = payments_copy();
    let db = d.path().join("k.db");
    let dir = path_str(d.path());
    assert_eq!(
        lintage(&["scan", dir, "--db", path_str(&db), "--format", "json"]).code,
        1
    );
    // A bigger log makes the scan long enough to be killed at different points.
    let big: String = (0..60_000)
        .map(|i| {
            log(
                1 + i % 28,
                &format!("svc:p{}", i % 500),
                "read",
                &format!("t{}", i % 3000),
            )
        })
        .collect();
    d.file("logs/big.jsonl", big);
    for delay_ms in [0u64, 5, 20, 50, 100, 200, 400] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lintage"))
            .args(["scan", dir, "--db", path_str(&db), "--format", "json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let first = lintage(&["diff", "1", "1", "--db", path_str(&db)]);
        assert_eq!(
            first.code, 0,
            "after a kill at {delay_ms} ms: {}",
            first.stderr
        );
    }
    let conn = rusqlite::Connection::open(&db).unwrap_or_else(|e| panic!("{e}"));
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check, "ok");
    let first_findings: i64 = conn
        .query_row(
            "SELECT count(*) FROM finding WHERE snapshot_id = 1",
            [],
            |row| row.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first_findings, 13);
}

#[test]
fn a_failed_check_is_never_the_snapshot_it_compares_with() {
    let d = payments_copy();
    let other = Deployment::new();
    other.file("m.yaml", "kind: job\nname: j\n");
    let db = d.path().join("s.db");
    let (dir, db) = (path_str(d.path()), path_str(&db));
    assert_eq!(
        lintage(&["scan", dir, "--db", db]).code,
        1,
        "the sample has known errors"
    );
    assert_eq!(
        lintage(&["check", dir, "--against", "latest", "--db", db]).code,
        0
    );
    // Another deployment scanned into the same database does not become this one's `latest`.
    assert_eq!(
        lintage(&["scan", path_str(other.path()), "--db", db]).code,
        0
    );
    assert_eq!(
        lintage(&["check", dir, "--against", "latest", "--db", db]).code,
        0
    );

    append(
        &d.path().join("logs/access-2026-11-11.jsonl"),
        &log(27, "svc:newsletter", "read", "warehouse.scores.fraud"),
    );
    for attempt in 1..=2 {
        let run = lintage(&["check", dir, "--against", "latest", "--db", db]);
        assert_eq!(
            run.code, 1,
            "attempt {attempt} must fail too: {}",
            run.stdout
        );
    }
    // Accepting the new state is a scan.
    assert_eq!(lintage(&["scan", dir, "--db", db]).code, 1);
    assert_eq!(
        lintage(&["check", dir, "--against", "latest", "--db", db]).code,
        0
    );

    // diff defaults to the latest snapshots of the most recently scanned deployment.
    let diff = lintage(&["diff", "--db", db]);
    assert!(diff.stdout.contains("no changes"), "{}", diff.stdout);
    let against_other = lintage(&["diff", "--db", db, "--deployment", path_str(other.path())]);
    assert_eq!(
        against_other.code, 2,
        "the other deployment has one snapshot only"
    );
}

#[test]
fn a_store_that_cannot_be_written_still_prints_the_report() {
    let d = Deployment::new();
    d.file(
        "m.yaml",
        "kind: model\nname: m\nidentities: [svc:m]\noutputs: [s]\n",
    )
    .file("l.jsonl", log(1, "svc:web", "read", "s"));
    d.file("not-a-folder", "x");
    let db = d.path().join("not-a-folder/x.db");
    let run = lintage(&["scan", path_str(d.path()), "--db", path_str(&db)]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("error[LT001]"), "{}", run.stdout);
    assert!(run.stderr.contains("x.db"), "{}", run.stderr);
}
