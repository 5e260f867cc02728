//! Re-scans read only what changed (issue 7): unchanged line logs come from the read cache in
//! the snapshot database, grown ones are read from where they ended, and whatever the cache
//! did, the report is byte for byte the one a full read gives.

use crate::util::{Deployment, lintage, log, path_str};

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
}

impl Scans<'_> {
    /// A scan through the cache, and a full read with --no-store: the same report.
    fn agree(&self) -> String {
        let root = path_str(self.d.path());
        let cached = lintage(&[
            "scan",
            root,
            "--format",
            "json",
            "--fail-on",
            "never",
            "--db",
            &self.db,
        ]);
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
    let scans = Scans { d: &d, db };

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
    assert!(!resettled.contains("unchanged"), "{resettled}");

    // A file that is gone is forgotten.
    std::fs::remove_file(d.path().join("logs/b.jsonl.gz")).unwrap_or_else(|e| panic!("{e}"));
    scans.agree();
    let last = scans.agree();
    assert!(last.contains("2 unchanged, 0 read whole"), "{last}");
}
