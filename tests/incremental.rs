//! Re-scans read only what changed (issue 7): unchanged line logs come from the read cache in
//! the snapshot database, grown ones are read from where they ended, and whatever the cache
//! did, the report is byte for byte the one a full read gives.

use crate::util::{Deployment, lintage, lintage_with_env, log, path_str};

/// Every re-scan test runs on one thread and on two: a scan writes its caches beside the
/// analysis, and decodes a grown log's cached edges beside reading it, only with two.
const THREADS: [&str; 2] = ["1", "2"];

fn lines(range: std::ops::Range<u32>, resource: &str) -> String {
    range
        .map(|i| {
            log(
                1 + i % 28,
                &format!("svc:p{}", i % 17),
                "read",
                &format!("{resource}{}", i % 11),
            )
        })
        .collect()
}

struct Scans<'a> {
    d: &'a Deployment,
    db: String,
    /// `LINTAGE_THREADS` for the scans through the cache.
    threads: &'static str,
}

impl Scans<'_> {
    /// A scan through the cache, and a full read with --no-store: the same report.
    fn agree(&self) -> String {
        let root = path_str(self.d.path());
        let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cached = lintage_with_env(
            cwd.path(),
            &[
                "scan",
                root,
                "--format",
                "json",
                "--fail-on",
                "never",
                "--db",
                &self.db,
            ],
            &[("LINTAGE_THREADS", self.threads)],
        );
        assert_eq!(cached.code, 0, "{}", cached.stderr);
        let full = lintage(&[
            "scan",
            root,
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-store",
        ]);
        assert_eq!(cached.stdout, full.stdout, "the cache changed the report");
        cached.stderr
    }
}

#[test]
fn rescans_reuse_unchanged_logs_read_grown_ones_from_their_end_and_agree_with_a_full_read() {
    for threads in THREADS {
        rescans_reuse_unchanged_logs_read_grown_ones_from_their_end_and_agree_with_a_full_read_on(
            threads,
        );
    }
}

fn rescans_reuse_unchanged_logs_read_grown_ones_from_their_end_and_agree_with_a_full_read_on(
    threads: &'static str,
) {
    let d = Deployment::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("cache.db").display().to_string();
    d.file(
        "m.yaml",
        "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\ntraining: [t1]\nconsumers: [service:web]\n",
    )
    .file("logs/a.jsonl", lines(0..5_000, "t"))
    .gz_file("logs/b.jsonl.gz", &lines(0..500, "u"))
    .file(
        "logs/s3.log",
        "owner bkt [01/Nov/2026:00:00:38 +0000] 192.0.2.3 svc:s3r REQ REST.GET.OBJECT t3 \"GET /bkt/t3 HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"-\" -\n",
    );
    let scans = Scans { d: &d, db, threads };

    let first = scans.agree();
    assert!(!first.contains("since the last scan"), "{first}");
    let again = scans.agree();
    assert!(again.contains("3 unchanged, 0 read whole"), "{again}");

    // Append records, one of them a malformed line and one a new undeclared consumer.
    let mut grown = lines(0..5_000, "t");
    grown.push_str("{\"ts\": broken\n");
    grown.push_str(&log(3, "svc:sneaky", "read", "t3"));
    grown.push_str(&lines(5_000..5_100, "t"));
    d.file("logs/a.jsonl", &grown);
    let appended = scans.agree();
    assert!(
        appended.contains("2 unchanged, 1 read from where it ended, 0 read whole"),
        "{appended}"
    );
    let report = lintage(&[
        "scan",
        path_str(d.path()),
        "--format",
        "json",
        "--no-store",
        "--fail-on",
        "never",
    ])
    .json();
    assert_eq!(report["summary"]["malformed_records"], 1);
    let evidence = lintage(&[
        "scan",
        path_str(d.path()),
        "--no-store",
        "--fail-on",
        "never",
    ])
    .stdout;
    assert!(
        evidence.contains("logs/a.jsonl:5002"),
        "line numbers go on after the cached end: {evidence}"
    );

    // A rewritten file (another head) is read whole; so is every file when the settings change.
    d.file("logs/a.jsonl", lines(100..3_000, "t"));
    let rewritten = scans.agree();
    assert!(
        rewritten.contains("2 unchanged, 1 read whole"),
        "{rewritten}"
    );
    d.file("lintage.toml", "[window]\nsince = \"2026-11-10\"\n");
    let resettled = scans.agree();
    assert!(
        resettled.contains("log files 3 read whole; manifest files 1 unchanged, 0 parsed"),
        "{resettled}"
    );

    // A file that is gone is forgotten.
    std::fs::remove_file(d.path().join("logs/b.jsonl.gz")).unwrap_or_else(|e| panic!("{e}"));
    scans.agree();
    let last = scans.agree();
    assert!(last.contains("2 unchanged, 0 read whole"), "{last}");
}

/// Sets every cached file's edges of the database to what `blob` makes of them (SQL).
fn damage_cache(db: &str, blob: &str) {
    let conn = rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("{e}"));
    let changed = conn
        .execute(&format!("UPDATE read_cache SET edges = {blob}"), [])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(changed > 0);
}

#[test]
fn a_damaged_cache_entry_is_read_again_never_trusted() {
    for threads in THREADS {
        a_damaged_cache_entry_is_read_again_never_trusted_on(threads);
    }
}

fn a_damaged_cache_entry_is_read_again_never_trusted_on(threads: &'static str) {
    let d = Deployment::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("cache.db").display().to_string();
    d.file(
        "m.yaml",
        "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\ntraining: [t1]\n",
    )
    .file("logs/a.jsonl", lines(0..2_000, "t"));
    let scans = Scans { d: &d, db, threads };
    scans.agree();
    assert!(scans.agree().contains("1 unchanged, 0 read whole"));
    for blob in [
        "substr(edges, 1, length(edges) / 2)",
        "CAST(edges || x'00' AS BLOB)",
        "x''",
        "'text, not a blob'",
        "zeroblob(64)",
        "randomblob(length(edges))",
    ] {
        damage_cache(&scans.db, blob);
        // Read whole, the same report, and cached again.
        let again = scans.agree();
        assert!(again.contains("log files 1 read whole;"), "{blob}: {again}");
        let next = scans.agree();
        assert!(next.contains("1 unchanged, 0 read whole"), "{blob}: {next}");
    }
}

#[test]
fn a_schema_2_database_with_a_read_cache_upgrades_and_reads_the_logs_whole_once() {
    for threads in THREADS {
        a_schema_2_database_with_a_read_cache_upgrades_and_reads_the_logs_whole_once_on(threads);
    }
}

fn a_schema_2_database_with_a_read_cache_upgrades_and_reads_the_logs_whole_once_on(
    threads: &'static str,
) {
    let d = Deployment::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("v2.db");
    d.file(
        "m.yaml",
        "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\ntraining: [t1]\n",
    )
    .file("logs/a.jsonl", lines(0..2_000, "t"));
    let root = std::fs::canonicalize(d.path()).unwrap_or_else(|e| panic!("{e}"));
    {
        let conn = rusqlite::Connection::open(&db).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(include_str!("../src/store/schema.sql"))
            .unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(include_str!("../src/store/migrate_2.sql"))
            .unwrap_or_else(|e| panic!("{e}"));
        // A schema 2 cache row for the log, which schema 3 cannot use.
        conn.execute(
            "INSERT INTO read_cache VALUES (?1, 'logs/a.jsonl', 's', 1, 0, 'h', 1, 1, '0', 0,
                 'xxh3-128-chain:0', 1, 0, 0, 0, '[]')",
            [root.display().to_string()],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        conn.pragma_update(None, "user_version", 2)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let scans = Scans {
        d: &d,
        db: db.display().to_string(),
        threads,
    };
    let first = scans.agree();
    assert!(!first.contains("since the last scan"), "{first}");
    let again = scans.agree();
    assert!(again.contains("1 unchanged, 0 read whole"), "{again}");
    let conn = rusqlite::Connection::open(&db).unwrap_or_else(|e| panic!("{e}"));
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(version, lintage::store::SCHEMA_VERSION);
    // Both scans found the same: one copy of the graph and findings.
    let contents: i64 = conn
        .query_row(
            "SELECT count(DISTINCT content_id) FROM snapshot",
            [],
            |row| row.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(contents, 1);
}

#[test]
fn rescans_take_unchanged_manifests_from_the_cache_and_parse_changed_ones_again() {
    for threads in THREADS {
        rescans_take_unchanged_manifests_from_the_cache_and_parse_changed_ones_again_on(threads);
    }
}

fn rescans_take_unchanged_manifests_from_the_cache_and_parse_changed_ones_again_on(
    threads: &'static str,
) {
    let d = Deployment::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("cache.db").display().to_string();
    d.file(
        "models/scorer.yaml",
        "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\ntraining: [t1]\n---\nkind: service\nname: web\nidentities: [svc:p2]\ninputs: [t3]\n",
    )
    .file(
        "jobs/etl.json",
        r#"{"kind": "job", "name": "etl", "identities": ["svc:p3"], "outputs": ["t1"]}"#,
    )
    .file("deploy/ci.yml", "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    .file("notes/broken.yaml", "key: [unclosed\n")
    .file("logs/a.jsonl", lines(0..2_000, "t"));
    let scans = Scans { d: &d, db, threads };

    let first = scans.agree();
    assert!(!first.contains("since the last scan"), "{first}");
    let again = scans.agree();
    assert!(
        again.contains("manifest files 4 unchanged, 0 parsed"),
        "every file read as a possible manifest, also those that are none: {again}"
    );

    // web now declares svc:p3's reads of t3: the finding about it must go, from the new parse.
    let before = lintage(&[
        "scan",
        path_str(d.path()),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--db",
        &scans.db,
    ])
    .json();
    d.file(
        "models/scorer.yaml",
        "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\ntraining: [t1]\nconsumers: [service:web, job:etl]\n---\nkind: service\nname: web\nidentities: [svc:p2]\ninputs: [t3]\n",
    );
    let changed = scans.agree();
    assert!(
        changed.contains("manifest files 3 unchanged, 1 parsed"),
        "{changed}"
    );
    let after = lintage(&[
        "scan",
        path_str(d.path()),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-store",
    ])
    .json();
    assert_ne!(
        before["findings"], after["findings"],
        "the changed manifest was parsed again"
    );

    // A file that is gone is forgotten; a file that comes back is parsed.
    std::fs::remove_file(d.path().join("jobs/etl.json")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        scans
            .agree()
            .contains("manifest files 3 unchanged, 0 parsed")
    );
    d.file(
        "jobs/etl.json",
        r#"{"kind": "job", "name": "etl", "identities": ["svc:p3"], "outputs": ["t1"]}"#,
    );
    assert!(
        scans
            .agree()
            .contains("manifest files 3 unchanged, 1 parsed")
    );

    // A damaged row is parsed again, never trusted.
    let conn = rusqlite::Connection::open(&scans.db).unwrap_or_else(|e| panic!("{e}"));
    for parsed in [
        "substr(parsed, 1, length(parsed) / 2)",
        "'{\"Manifests\": [{\"file\": 1}]}'",
        "x'00ff'",
        "'[]'",
    ] {
        let changed = conn
            .execute(
                &format!(
                    "UPDATE manifest_cache SET parsed = {parsed} WHERE path = 'models/scorer.yaml'"
                ),
                [],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(changed, 1);
        let damaged = scans.agree();
        assert!(
            damaged.contains("manifest files 3 unchanged, 1 parsed"),
            "{parsed}: {damaged}"
        );
    }
}

#[test]
fn a_broken_manifest_is_never_cached_and_fails_every_scan_until_fixed() {
    let d = Deployment::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("cache.db").display().to_string();
    d.file("m.yaml", "kind: model\nname: scorer\noutputs: [t3\n")
        .file("logs/a.jsonl", lines(0..100, "t"));
    let scan = || {
        lintage(&[
            "scan",
            path_str(d.path()),
            "--fail-on",
            "never",
            "--db",
            &db,
        ])
    };
    for _ in 0..2 {
        let run = scan();
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("m.yaml"), "{}", run.stderr);
    }
    d.file("m.yaml", "kind: model\nname: scorer\noutputs: [t3]\n");
    assert_eq!(scan().code, 0);
}

#[test]
fn a_grown_log_whose_cache_entry_is_damaged_is_read_again_whole() {
    for threads in THREADS {
        a_grown_log_whose_cache_entry_is_damaged_is_read_again_whole_on(threads);
    }
}

fn a_grown_log_whose_cache_entry_is_damaged_is_read_again_whole_on(threads: &'static str) {
    let d = Deployment::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("cache.db").display().to_string();
    d.file(
        "m.yaml",
        "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\ntraining: [t1]\n",
    )
    .file("logs/a.jsonl", lines(0..2_000, "t"));
    let scans = Scans { d: &d, db, threads };
    scans.agree();
    let mut grown = lines(0..2_000, "t");
    for (round, blob) in [
        "substr(edges, 1, length(edges) / 2)",
        "CAST(edges || x'00' AS BLOB)",
        "x''",
    ]
    .into_iter()
    .enumerate()
    {
        damage_cache(&scans.db, blob);
        // The new lines would be read from where the last read ended; the damaged edges of the
        // earlier lines cannot be used, so the file is read whole, and the report still agrees.
        let start = 2_000 + 100 * round as u32;
        grown.push_str(&lines(start..start + 100, "t"));
        d.file("logs/a.jsonl", &grown);
        let again = scans.agree();
        assert!(again.contains("log files 1 read whole;"), "{blob}: {again}");
        let next = scans.agree();
        assert!(
            next.contains("log files 1 unchanged, 0 read whole"),
            "{blob}: {next}"
        );
    }
}

#[test]
fn a_cache_that_cannot_be_written_still_leaves_the_snapshot_recorded() {
    for threads in THREADS {
        let d = Deployment::new();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("cache.db").display().to_string();
        d.file(
            "m.yaml",
            "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3]\n",
        )
        .file("logs/a.jsonl", lines(0..500, "t"));
        let scan = || {
            let args = [
                "scan",
                path_str(d.path()),
                "--fail-on",
                "never",
                "--db",
                &db,
            ];
            lintage_with_env(dir.path(), &args, &[("LINTAGE_THREADS", threads)])
        };
        assert_eq!(scan().code, 0);
        let conn = rusqlite::Connection::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let snapshots = || -> i64 {
            conn.query_row("SELECT count(*) FROM snapshot", [], |row| row.get(0))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(snapshots(), 1);
        // The manifest changes, and its cache is gone: the new parse cannot be saved.
        conn.execute_batch("DROP TABLE manifest_cache")
            .unwrap_or_else(|e| panic!("{e}"));
        d.file(
            "m.yaml",
            "kind: model\nname: scorer\nidentities: [svc:p1]\noutputs: [t3, t4]\n",
        );
        let run = scan();
        assert_eq!(run.code, 2, "threads {threads}: {}", run.stderr);
        assert!(
            run.stderr.contains("manifest cache") && run.stderr.contains("cache.db"),
            "threads {threads}: {}",
            run.stderr
        );
        assert!(
            run.stdout.contains("LT"),
            "the report is out: {}",
            run.stdout
        );
        assert_eq!(
            snapshots(),
            2,
            "threads {threads}: the snapshot is recorded"
        );
    }
}
