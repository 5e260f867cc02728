//! BigQuery job records (`"kind": "bigquery#job"`, as `jobs.get` and `jobs.list` return them):
//! the user who ran the job is the principal, `statistics.query.referencedTables` are reads and
//! `configuration.query.destinationTable` is a write, at the job's start time. One job in a
//! `.json` file, a JSON array of jobs, or NDJSON with one job a line.

use serde_json::Value;

use super::{LogStats, ObservedEdges};
use crate::config::Action;
use crate::time::{Timestamp, Window};

/// Whether the start of a `.json`, `.jsonl` or `.ndjson` file is a BigQuery job record.
pub fn sniff(head: &str) -> bool {
    let head = head.trim_start();
    (head.starts_with('{') || head.starts_with('[')) && head.contains("\"bigquery#job\"")
}

/// Reads one file's jobs.
pub fn read(
    text: &str,
    file_index: usize,
    display: &str,
    window: Window,
    edges: &mut ObservedEdges,
    stats: &mut LogStats,
) {
    let mut jobs: Vec<(u64, Value)> = Vec::new();
    let malformed =
        |stats: &mut LogStats, line: u64, reason: String| stats.malformed_at(display, line, reason);
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => {
            let lines = super::openlineage::element_lines(text, 1);
            for (i, item) in items.into_iter().enumerate() {
                jobs.push((lines.get(i).copied().unwrap_or(1), item));
            }
        }
        Ok(value) => jobs.push((1, value)),
        Err(_) => {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(value) => jobs.push((i as u64 + 1, value)),
                    Err(e) => malformed(stats, i as u64 + 1, format!("not JSON: {e}")),
                }
            }
        }
    }
    for (line, job) in jobs {
        match edges_of(&job) {
            Err(reason) => malformed(stats, line, reason),
            Ok((principal, time, accesses)) => {
                stats.records += 1;
                if window.excludes(time, time) {
                    stats.outside_window += 1;
                    continue;
                }
                for (table, action) in accesses {
                    edges.add(&principal, &table, action, 1, time, time, file_index, line);
                }
            }
        }
    }
}

type Accesses = Vec<(String, Action)>;

fn edges_of(job: &Value) -> Result<(String, Timestamp, Accesses), String> {
    if job.get("kind").and_then(Value::as_str) != Some("bigquery#job") {
        return Err("not a BigQuery job record (`kind` is not \"bigquery#job\")".into());
    }
    let mut accesses = Vec::new();
    let tables = job
        .pointer("/statistics/query/referencedTables")
        .and_then(Value::as_array);
    for table in tables.into_iter().flatten() {
        if let Some(name) = table_name(table) {
            accesses.push((name, Action::Read));
        }
    }
    if let Some(name) = job
        .pointer("/configuration/query/destinationTable")
        .and_then(table_name)
    {
        accesses.push((name, Action::Write));
    }
    let millis = ["startTime", "creationTime"].iter().find_map(|key| {
        let value = job.pointer(&format!("/statistics/{key}"))?;
        value
            .as_f64()
            .or_else(|| value.as_str().and_then(|s| s.parse::<f64>().ok()))
    });
    let time = millis
        .map(|ms| Timestamp((ms as i64).saturating_mul(1_000_000)))
        .ok_or("missing `statistics.startTime`")?;
    let principal = ["user_email", "principal_subject"]
        .iter()
        .find_map(|key| job.get(*key).and_then(Value::as_str))
        .filter(|p| !p.is_empty());
    let principal = match principal {
        Some(p) => p.to_string(),
        // A job that touches no table needs no principal (a script's parent job).
        None if accesses.is_empty() => String::new(),
        None => return Err("missing `user_email`".into()),
    };
    Ok((principal, time, accesses))
}

/// `PROJECT.DATASET.TABLE`; anonymous result tables (datasets starting with `_`) are no
/// lineage.
fn table_name(table: &Value) -> Option<String> {
    let part = |k: &str| table.get(k).and_then(Value::as_str);
    let (project, dataset, name) = (part("projectId")?, part("datasetId")?, part("tableId")?);
    (!dataset.starts_with('_')).then(|| format!("{project}.{dataset}.{name}"))
}
