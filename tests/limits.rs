//! Resource limits (issue 8, item 6): deployments with a long feedback loop are scanned,
//! exported and queried by the real binary with a 1 MiB main-thread stack (`ulimit -s`), so
//! that any recursion proportional to the graph's size would overflow, and their peak memory
//! is measured (`/usr/bin/time`, where it exists) against a bound.
//!
//! The normal suite runs a 20,000-node loop with few other edges. The full size of the issue,
//! a 5,000-node loop among more than a million edges, takes minutes in a debug build, so that
//! test is ignored there; run it on the release binary with
//!
//! ```sh
//! cargo test --release --test tests limits -- --ignored --nocapture
//! ```

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::path_str;

/// The main-thread stack the binary gets, in KiB (`ulimit -s`); Linux's default is 8192.
const STACK_KIB: u32 = 1_024;
const MIB: u64 = 1024;

fn writer(path: &Path) -> BufWriter<std::fs::File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {parent:?}: {e}"));
    }
    BufWriter::new(std::fs::File::create(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

fn put(out: &mut impl Write, text: &str) {
    out.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
}

/// The deployment, with n = `loop_entities` and s = `side`:
/// - a loop of one model and n - 1 jobs joined by n datasets (2n nodes): the model writes
///   `loop.0`, job i reads `loop.{i-1}` and writes `loop.{i}`, all declared, and the model is
///   seen in the logs reading `loop.{n-1}`, which closes a hidden loop;
/// - s unmapped principals each reading all of s tables and writing its own, one
///   pre-aggregated log line per edge (s² + s edges in one strongly connected component),
///   and the first of them also reading the model's output.
fn generate(root: &Path, loop_entities: usize, side: usize) {
    let mut manifests = writer(&root.join("manifests/loop.yaml"));
    put(
        &mut manifests,
        "kind: model\nname: loop-0\nidentities: [svc:loop-0]\noutputs: [loop.0]\n",
    );
    for i in 1..loop_entities {
        put(
            &mut manifests,
            &format!(
                "---\nkind: job\nname: loop-{i}\ninputs: [loop.{}]\noutputs: [loop.{i}]\n",
                i - 1
            ),
        );
    }
    manifests.flush().unwrap_or_else(|e| panic!("{e}"));

    let mut log = writer(&root.join("logs/aggregated.ndjson"));
    let line = |principal: &str, action: &str, resource: &str, count: usize| {
        format!(
            "{{\"ts\":\"2026-11-28T00:00:00Z\",\"principal\":\"{principal}\",\"action\":\"{action}\",\"resource\":\"{resource}\",\"count\":{count},\"first_seen\":\"2026-11-01T00:00:00Z\",\"last_seen\":\"2026-11-28T00:00:00Z\"}}\n"
        )
    };
    put(
        &mut log,
        &line(
            "svc:loop-0",
            "read",
            &format!("loop.{}", loop_entities - 1),
            7,
        ),
    );
    put(&mut log, &line("u0", "read", "loop.0", 3));
    for p in 0..side {
        let principal = format!("u{p}");
        put(&mut log, &line(&principal, "write", &format!("t{p}"), 1));
        for t in 0..side {
            put(
                &mut log,
                &line(&principal, "read", &format!("t{t}"), 1 + (p + t) % 9),
            );
        }
    }
    log.flush().unwrap_or_else(|e| panic!("{e}"));
}

struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident set in KiB, when /usr/bin/time is there to say.
    peak_kib: Option<u64>,
    seconds: f64,
}

/// Runs lintage under `ulimit -s STACK_KIB`, measured by /usr/bin/time when present, and
/// fails when its peak resident memory exceeds `max_kib`.
fn measured(cwd: &Path, args: &[&str], max_kib: u64) -> Measured {
    let time = Path::new("/usr/bin/time");
    let report = cwd.join("time.txt");
    let mut script = format!("ulimit -s {STACK_KIB} && exec ");
    if time.exists() {
        script.push_str(&format!(
            "/usr/bin/time -f '%M %e' -o '{}' ",
            report.display()
        ));
    }
    script.push_str("\"$@\"");
    let started = std::time::Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_lintage"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run lintage: {e}"));
    let seconds = started.elapsed().as_secs_f64();
    // GNU time writes "Command exited with non-zero status N" first when it is not 0.
    let peak_kib = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| t.lines().last()?.split_whitespace().next()?.parse().ok());
    let run = Measured {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        peak_kib,
        seconds,
    };
    eprintln!(
        "lintage {}: exit {}, {:.1} s, peak RSS {} KiB",
        args.join(" "),
        run.code,
        run.seconds,
        run.peak_kib
            .map_or_else(|| "unmeasured".to_string(), |k| k.to_string())
    );
    assert!(
        !run.stderr.contains("overflow") && output.status.code().is_some(),
        "lintage {args:?} crashed ({:?}):\n{}",
        output.status,
        run.stderr
    );
    if let Some(kib) = run.peak_kib {
        assert!(
            kib <= max_kib,
            "lintage {args:?} peaked at {kib} KiB, over {max_kib}"
        );
    }
    run
}

/// The parts of `scan --format json` checked here; evidence (large: every edge of each
/// unknown principal) is skipped unread.
#[derive(serde::Deserialize)]
struct Report {
    summary: Summary,
    findings: Vec<Found>,
}

#[derive(serde::Deserialize)]
struct Summary {
    edges: usize,
}

#[derive(serde::Deserialize)]
struct Found {
    code: String,
    subject: String,
    path: Vec<String>,
    loop_kind: Option<String>,
}

/// `export --format json`, its edges counted and otherwise skipped.
#[derive(serde::Deserialize)]
struct Exported {
    edges: Vec<serde::de::IgnoredAny>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_reader(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("{path:?} is not the JSON expected: {e}"))
}

/// Scans, exports and queries the generated deployment; each run is measured against its
/// memory bound (KiB) and checked.
fn scan_export_and_query(loop_entities: usize, side: usize, bounds: [u64; 3]) {
    let [scan_max, export_max, query_max] = bounds;
    let deployment = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    generate(deployment.path(), loop_entities, side);
    let dir = path_str(deployment.path());
    let db = cwd.path().join("lintage.db");
    let db = path_str(&db);
    let output = cwd.path().join("out.json");
    let output = path_str(&output);

    let scan = measured(
        cwd.path(),
        &[
            "scan", dir, "--format", "json", "--db", db, "-q", "-o", output,
        ],
        scan_max,
    );
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    let report: Report = read_json(Path::new(output));
    let edges = report.summary.edges;
    assert_eq!(edges, 2 * loop_entities + side * side + side + 1);
    let the_loop = report
        .findings
        .iter()
        .find(|f| f.code == "LT002" && f.subject == "model:loop-0")
        .unwrap_or_else(|| panic!("no loop through model:loop-0"));
    assert_eq!(the_loop.loop_kind.as_deref(), Some("hidden"));
    assert_eq!(
        the_loop.path.len(),
        2 * loop_entities + 1,
        "the whole loop, back to its start"
    );
    let unknown = report.findings.iter().filter(|f| f.code == "LT007").count();
    assert_eq!(unknown, side, "every u{{i}} is an unknown principal");

    let export = measured(
        cwd.path(),
        &["export", dir, "--format", "json", "-q", "-o", output],
        export_max,
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    let exported: Exported = read_json(Path::new(output));
    assert_eq!(exported.edges.len(), edges);

    // Downstream of the model: the loop's other entities and, through its output, the
    // principals; upstream of the first job: the rest of the loop. The start is excluded.
    let from_db = |direction: &'static str, node: &'static str| {
        vec!["query", direction, node, "--db", db, "--format", "json"]
    };
    for (args, expected) in [
        (
            from_db("dependents", "model:loop-0"),
            loop_entities - 1 + side,
        ),
        (from_db("dependencies", "job:loop-1"), loop_entities - 1),
        (
            vec![
                "query",
                "dependents",
                "model:loop-0",
                "--deployment",
                dir,
                "--format",
                "json",
            ],
            loop_entities - 1 + side,
        ),
    ] {
        let max = if args.contains(&"--deployment") {
            scan_max
        } else {
            query_max
        };
        let query = measured(cwd.path(), &args, max);
        assert_eq!(query.code, 0, "{}", query.stderr);
        let json: Value = serde_json::from_str(&query.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", query.stderr));
        let results = json["results"].as_array().map_or(0, Vec::len);
        assert_eq!(results, expected, "{args:?}");
    }
}

/// A folder tree as deep as paths allow (1,900 levels, about 3,800 bytes of path against
/// Linux's 4,096): discovery walked it by recursion, which in 1 MiB of stack overflowed in
/// both debug and release builds.
#[test]
fn a_deep_folder_tree_needs_no_deep_stack() {
    let deployment = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut deep = deployment.path().to_path_buf();
    for _ in 0..1_900 {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).unwrap_or_else(|e| panic!("mkdir: {e}"));
    std::fs::write(
        deep.join("m.yaml"),
        "kind: model\nname: deep\ninputs: [x]\noutputs: [x]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = measured(
        cwd.path(),
        &[
            "scan",
            path_str(deployment.path()),
            "--no-store",
            "--format",
            "json",
        ],
        256 * MIB,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("\"model:deep\""), "{}", run.stdout);
}

// Peaks measured on the debug binary: scan 70 MB, export 150 MB, query 50 MB.
#[test]
fn a_20000_node_loop_needs_no_deep_stack() {
    scan_export_and_query(10_000, 30, [256 * MIB, 256 * MIB, 256 * MIB]);
}

// Measured on the release binary (2 cores, shared): scan with the store 1.26 GB in 22 s;
// export --format json 2.07 GB in 16 s (the diagram and its 630 MB JSON text are alive at
// its peak); query from the snapshot 0.2 GB in 0.8 s; query --deployment 0.8 GB in 12 s.
// The bounds leave room for allocator noise.
#[test]
#[ignore = "minutes in a debug build; run with --release (see the module comment)"]
fn a_million_edges_and_a_5000_node_loop_need_no_deep_stack_and_bounded_memory() {
    scan_export_and_query(2_500, 1_000, [2048 * MIB, 3072 * MIB, 1024 * MIB]);
}
