//! Query speed on a generated snapshot of about 1,000,000 edges.
//!
//! `cargo bench --bench query` writes the snapshot into a temporary database (once per run),
//! then times dependents / dependencies queries and, as a reference measured in the same run,
//! a full scan of the snapshot's edge table (`SELECT count(*)` over every edge of its edge set,
//! `edge_set_edge`). It also times the same count through the `edge` view, which looks up
//! each edge's `count` and `last_seen` in `content_edge_seen` (schema 6).

use std::time::{Duration, Instant};

use lintage::query::{StoredLineage, WalkOptions, walk};
use lintage::store::Store;

const ENTITIES: usize = 200_000;
const READS_PER_ENTITY: usize = 4;

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.unwrap_or_else(f))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db_path = dir.path().join("bench.db");
    // Create the schema through the store, then fill one snapshot directly.
    drop(Store::open(&db_path)?);
    let mut conn = rusqlite::Connection::open(&db_path)?;
    let start = Instant::now();
    let tx = conn.transaction()?;
    // Snapshot 1 names content 1, whose node and edge sets (1) `node` and `edge` show, with
    // each observed edge's count and last_seen by ordinal in `content_edge_seen` (schema 6);
    // `edge_set_in` holds each edge again by target, as `Store::record` writes it.
    tx.execute_batch(
        "INSERT INTO node_set (id, hash) VALUES (1, NULL);
         INSERT INTO edge_set (id, hash) VALUES (1, NULL);
         INSERT INTO finding_set (id, hash) VALUES (1, NULL);
         INSERT INTO content (id, hash, node_set_id, edge_set_id, finding_set_id)
             VALUES (1, NULL, 1, 1, 1);",
    )?;
    tx.execute(
        "INSERT INTO snapshot (id, created_at, root, tool_version, node_count, edge_count, finding_count,
             log_records, malformed_records, command, failed, content_id)
         VALUES (1, '2026-11-29T00:00:00Z', '/bench', 'bench', 0, 0, 0, 0, 0, 'scan', 0, 1)",
        [],
    )?;
    // The edges, distinct and in (source, target) order, which gives their ordinals.
    let mut pairs = std::collections::BTreeSet::new();
    {
        let mut node =
            tx.prepare("INSERT INTO node_set_node (set_id, id, kind) VALUES (1, ?1, ?2)")?;
        let mut seed: u64 = 7;
        let mut random = move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound.max(1) as u64) as usize
        };
        for i in 0..ENTITIES {
            let kind = ["model", "job", "service"][i % 3];
            let id = format!("{kind}:e{i:06}");
            node.execute([id.as_str(), kind])?;
            let output = format!("dataset:d{i:06}");
            node.execute([output.as_str(), "dataset"])?;
            pairs.insert((id.clone(), output));
            // Each entity reads a few outputs of entities shortly before it: a layered
            // platform where lineage is deep but each node's neighbourhood is local.
            for _ in 0..READS_PER_ENTITY {
                if i == 0 {
                    break;
                }
                let from = i - 1 - random(i.min(2_000));
                pairs.insert((format!("dataset:d{from:06}"), id.clone()));
            }
        }
    }
    let edges = pairs.len();
    {
        let mut out_edge = tx.prepare(
            "INSERT INTO edge_set_edge (set_id, source, target, n, declared, observed)
             VALUES (1, ?1, ?2, ?3, 1, 1)",
        )?;
        let mut seen = tx.prepare(
            "INSERT INTO content_edge_seen (content_id, n, count, last_seen)
             VALUES (1, ?1, 1, '2026-11-28T00:00:00Z')",
        )?;
        for (n, (source, target)) in pairs.iter().enumerate() {
            let n = n as i64 + 1;
            out_edge.execute(rusqlite::params![source, target, n])?;
            seen.execute([n])?;
        }
        let mut by_target: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(source, target)| (target.as_str(), source.as_str()))
            .collect();
        by_target.sort_unstable();
        let mut in_edge =
            tx.prepare("INSERT INTO edge_set_in (set_id, target, source) VALUES (1, ?1, ?2)")?;
        for (target, source) in by_target {
            in_edge.execute([target, source])?;
        }
    }
    tx.commit()?;
    let built = start.elapsed();

    let store = Store::open_read_only(&db_path)?;
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |row| row.get(0)).unwrap_or(0) };
    let (reference, total) = best_of(3, || {
        count("SELECT count(*) FROM edge_set_edge WHERE set_id = 1")
    });
    let (view, _) = best_of(3, || {
        count("SELECT count(*) FROM edge WHERE snapshot_id = 1")
    });
    println!("snapshot: {ENTITIES} entities, {total} edges (written in {built:.1?})");
    println!("reference: full scan of the edge table: {reference:.1?}");
    println!("the same count through the `edge` view: {view:.1?}");
    let cases: [(&str, bool, Option<usize>); 6] = [
        ("model:e100002", true, Some(1)),
        ("model:e100002", true, Some(3)),
        ("model:e199998", true, None),
        ("model:e100002", false, Some(3)),
        ("service:e000101", true, Some(2)),
        // The worst case: a node near the bottom whose dependents are most of the platform.
        ("model:e000000", true, None),
    ];
    for (node, downstream, depth) in cases {
        let options = WalkOptions {
            depth,
            ..WalkOptions::default()
        };
        // A fresh lineage each run, so that no run profits from an earlier one's loading.
        let (time, reached) = best_of(5, || {
            let lineage = StoredLineage::new(&store, 1);
            walk(&lineage, node, downstream, &options)
                .map(|w| w.reached.len())
                .unwrap_or(0)
        });
        println!(
            "{} {node} --depth {}: {reached} nodes in {time:.2?} ({:.3} of the reference)",
            if downstream {
                "dependents  "
            } else {
                "dependencies"
            },
            depth.map_or("any".to_string(), |d| d.to_string()),
            time.as_secs_f64() / reference.as_secs_f64()
        );
    }
    let _ = edges;
    Ok(())
}
