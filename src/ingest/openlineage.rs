//! OpenLineage events: RunEvents as observed lineage of the job `job:NAMESPACE/NAME`, and
//! JobEvents (a job with inputs/outputs and no run) as lineage that job declares. The explicit
//! lineage job facet (`job.facets.lineage`, LineageJobFacet: target datasets and the datasets
//! that feed them) is lineage the job declares too, on either kind of event. Read from a single JSON event, a JSON array of
//! events, a Marquez `{"events": [...]}` dump, or NDJSON with one event a line.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::digest::FileDigest;
use super::manifest::{Entry, Manifest};
use super::{LogStats, Observation, ObservedEdges};
use crate::config::Action;
use crate::node::{NodeId, NodeKind};
use crate::time::{Timestamp, Window};

/// Whether the start of a `.json`, `.jsonl` or `.ndjson` file looks like OpenLineage: the
/// full parse decides the rest.
pub fn sniff(head: &str) -> bool {
    let head = head.trim_start();
    // A native log line may carry a `job` or `runId` field of its own.
    if !(head.starts_with('{') || head.starts_with('[')) || head.contains("\"principal\"") {
        return false;
    }
    head.contains("\"eventType\"")
        || head.contains("\"runId\"")
        || (head.contains("\"job\"")
            && head.contains("\"eventTime\"")
            // A JobEvent has no run, but says who produced it.
            && (head.contains("\"run\"") || head.contains("\"producer\"")))
}

/// What all OpenLineage files of a deployment say, accumulated across files so that the
/// events of one run, spread over several files, count once.
#[derive(Debug, Default)]
pub struct Reader {
    /// (principal, resource, action, runId) -> the run's observation.
    runs: HashMap<(String, String, Action, String), Observation>,
    /// Jobs declared by JobEvents, by node id.
    declared: BTreeMap<NodeId, Manifest>,
    /// Every job seen, declared or not.
    pub jobs: Vec<NodeId>,
    pub stats: LogStats,
}

impl Reader {
    /// Reads one file's events; `file_index` indexes `Facts::log_files`.
    pub fn read(&mut self, text: &str, file_index: usize, display: &str, window: &Window) {
        let malformed = |stats: &mut LogStats, line: u64, reason: String| {
            stats.malformed_at(display, line, reason)
        };
        let trimmed = text.trim_start();
        let whole: Option<Value> = serde_json::from_str(text).ok();
        // (line, label, event)
        let mut events: Vec<(u64, String, Value)> = Vec::new();
        match whole {
            Some(Value::Array(items)) => {
                let lines = element_lines(text, 1);
                for (i, item) in items.into_iter().enumerate() {
                    let line = lines.get(i).copied().unwrap_or(1);
                    events.push((line, format!("event #{} of the array", i + 1), item));
                }
            }
            Some(Value::Object(mut map)) if map.get("events").is_some_and(Value::is_array) => {
                let lines = element_lines(text, 2);
                if let Some(Value::Array(items)) = map.remove("events") {
                    for (i, item) in items.into_iter().enumerate() {
                        let line = lines.get(i).copied().unwrap_or(1);
                        events.push((line, format!("event #{} of `events`", i + 1), item));
                    }
                }
            }
            Some(value) => events.push((1, "the event".to_string(), value)),
            None if trimmed.starts_with('[') => {
                malformed(&mut self.stats, 1, "not valid JSON".to_string());
            }
            None => {
                // NDJSON: one event a line.
                for (i, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(line) {
                        Ok(value) => events.push((i as u64 + 1, "the event".into(), value)),
                        Err(e) => {
                            malformed(&mut self.stats, i as u64 + 1, format!("not JSON: {e}"))
                        }
                    }
                }
            }
        }
        for (line, label, event) in events {
            if let Err(reason) = self.event(&event, file_index, display, line, window) {
                malformed(&mut self.stats, line, format!("{label}: {reason}"));
            }
        }
    }

    fn event(
        &mut self,
        event: &Value,
        file: usize,
        display: &str,
        line: u64,
        window: &Window,
    ) -> Result<(), String> {
        if !event.is_object() {
            return Err("not a JSON object".into());
        }
        let Some(job) = event.get("job") else {
            if event.get("dataset").is_some() {
                // A DatasetEvent says nothing about who reads or writes the dataset.
                self.stats.ignored += 1;
                return Ok(());
            }
            return Err("missing `job`".into());
        };
        let namespace = str_field(job, "namespace").ok_or("missing `job.namespace`")?;
        let name = str_field(job, "name").ok_or("missing `job.name`")?;
        let id = NodeId::new(NodeKind::Job, &format!("{namespace}/{name}"));
        let inputs = datasets(event.get("inputs"))?;
        let outputs = datasets(event.get("outputs"))?;
        let facet = job.pointer("/facets/lineage").filter(|f| !f.is_null());
        for declared in facet.map(lineage_facet).transpose()?.unwrap_or_default() {
            let target = declared.job.unwrap_or_else(|| id.clone());
            self.declare(&target, display, line, &declared.inputs, &declared.outputs);
        }
        let Some(run) = event.get("run") else {
            // A JobEvent: the job declares what it reads and writes.
            self.declare(&id, display, line, &inputs, &outputs);
            return Ok(());
        };
        let run_id = str_field(run, "runId").ok_or("missing `run.runId`")?;
        let time_text = event
            .get("eventTime")
            .and_then(Value::as_str)
            .ok_or("missing `eventTime`")?;
        let time = Timestamp::parse_rfc3339(time_text)
            .ok_or_else(|| format!("`eventTime` {time_text:?} is not an RFC 3339 time"))?;
        self.jobs.push(id.clone());
        self.stats.records += 1;
        if window.excludes(time, time) {
            self.stats.outside_window += 1;
            return Ok(());
        }
        let observation = Observation {
            count: 1,
            first_seen: time,
            last_seen: time,
            file,
            line,
        };
        for (list, action) in [(&inputs, Action::Read), (&outputs, Action::Write)] {
            for dataset in list {
                let key = (
                    id.as_str().to_string(),
                    dataset.clone(),
                    action,
                    run_id.to_string(),
                );
                match self.runs.get_mut(&key) {
                    // Another event of the same run: widen its time, keep one count.
                    Some(existing) => {
                        let count = existing.count;
                        existing.merge(&observation);
                        existing.count = count;
                    }
                    None => {
                        self.runs.insert(key, observation);
                    }
                }
            }
        }
        Ok(())
    }

    fn declare(
        &mut self,
        id: &NodeId,
        display: &str,
        line: u64,
        inputs: &[String],
        outputs: &[String],
    ) {
        let manifest = self
            .declared
            .entry(id.clone())
            .or_insert_with(|| Manifest::new(display, line as usize, NodeKind::Job, id.name()));
        for (list, target) in [
            (inputs, &mut manifest.inputs),
            (outputs, &mut manifest.outputs),
        ] {
            for dataset in list {
                let value = format!("dataset:{dataset}");
                if !target.iter().any(|e| e.value == value) {
                    target.push(Entry {
                        value,
                        line: line as usize,
                    });
                }
            }
        }
    }

    /// The observed edges (one count per run), the manifests JobEvents declare, and every job.
    pub fn finish(mut self) -> (ObservedEdges, Vec<Manifest>, Vec<NodeId>, LogStats) {
        let mut edges = ObservedEdges::default();
        let mut runs: Vec<_> = self.runs.into_iter().collect();
        runs.sort_by(|a, b| a.0.cmp(&b.0));
        for ((principal, resource, action, _), o) in runs {
            edges.add(
                &principal,
                &resource,
                action,
                o.count,
                o.first_seen,
                o.last_seen,
                o.file,
                o.line,
            );
        }
        self.jobs.sort();
        self.jobs.dedup();
        let manifests = self.declared.into_values().collect();
        (edges, manifests, self.jobs, self.stats)
    }
}

/// The digest of a file read whole.
pub fn digest(text: &str) -> FileDigest {
    FileDigest::of_bytes(text.as_bytes())
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The `NAMESPACE/NAME` of each dataset of a list. A dataset with a `symlinks` facet is named
/// by its first symlink, so that the same table reached under another name is one node.
fn datasets(list: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(list) = list.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let items = list
        .as_array()
        .ok_or("`inputs`/`outputs` must be an array")?;
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let symlink = item
            .pointer("/facets/symlinks/identifiers/0")
            .and_then(|s| Some((str_field(s, "namespace")?, str_field(s, "name")?)));
        let own = (|| Some((str_field(item, "namespace")?, str_field(item, "name")?)))();
        let (namespace, name) = symlink
            .or(own)
            .ok_or("a dataset lacks `namespace` or `name`")?;
        names.push(format!("{namespace}/{name}"));
    }
    Ok(names)
}

/// What one entry of a lineage job facet declares: the job (`None`: the event's own) reads
/// `inputs` and writes `outputs`.
#[derive(Debug, Default, PartialEq, Eq)]
struct DeclaredLineage {
    job: Option<NodeId>,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

/// Reads `job.facets.lineage`. Two drafts of the facet are in use: entries under `lineage`
/// (LineageJobFacet.json) and under `entries` (LineageFacet.json); both are read. An entry
/// whose target is a DATASET is written by the event's job, which reads the entry's DATASET
/// inputs, entity-level and field-level alike; an entry whose target is a JOB (the event's
/// own when it names none) reads them. JOB inputs say which job produced data, not what a
/// job reads or writes, and are passed over.
fn lineage_facet(facet: &Value) -> Result<Vec<DeclaredLineage>, String> {
    let entries = facet
        .get("lineage")
        .or_else(|| facet.get("entries"))
        .ok_or("the lineage facet has neither `lineage` nor `entries`")?
        .as_array()
        .ok_or("the lineage facet's entries must be an array")?;
    let mut declared = Vec::with_capacity(entries.len());
    for entry in entries {
        let kind = entry
            .get("type")
            .and_then(Value::as_str)
            .ok_or("a lineage entry lacks `type`")?;
        let mut inputs = Vec::new();
        let field_inputs = entry
            .get("fields")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|fields| fields.values())
            .filter_map(|field| field.get("inputs"));
        for list in entry.get("inputs").into_iter().chain(field_inputs) {
            let list = list
                .as_array()
                .ok_or("a lineage entry's `inputs` must be an array")?;
            for input in list {
                if input.get("type").and_then(Value::as_str) != Some("DATASET") {
                    continue;
                }
                let name = qualified(input).ok_or("a lineage input lacks `namespace` or `name`")?;
                if !inputs.contains(&name) {
                    inputs.push(name);
                }
            }
        }
        match kind {
            "DATASET" => {
                let target =
                    qualified(entry).ok_or("a lineage entry lacks `namespace` or `name`")?;
                declared.push(DeclaredLineage {
                    job: None,
                    inputs,
                    outputs: vec![target],
                });
            }
            "JOB" => {
                let job = qualified(entry).map(|name| NodeId::new(NodeKind::Job, &name));
                declared.push(DeclaredLineage {
                    job,
                    inputs,
                    outputs: Vec::new(),
                });
            }
            other => return Err(format!("a lineage entry has unknown `type` {other:?}")),
        }
    }
    Ok(declared)
}

/// `NAMESPACE/NAME` of an object with both.
fn qualified(value: &Value) -> Option<String> {
    Some(format!(
        "{}/{}",
        str_field(value, "namespace")?,
        str_field(value, "name")?
    ))
}

/// The 1-based line where each element of the array at `depth` starts (1: the top-level
/// array; 2: an array directly inside the top-level object).
pub(crate) fn element_lines(text: &str, depth: usize) -> Vec<u64> {
    let mut lines = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut line = 1u64;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_value = false;
    for &b in text.as_bytes() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if expect_value && stack.len() == depth && stack.last() == Some(&b'[') && b != b']' {
            lines.push(line);
        }
        expect_value = false;
        match b {
            b'"' => in_string = true,
            b'[' => {
                stack.push(b'[');
                expect_value = true;
            }
            b'{' => stack.push(b'{'),
            b']' | b'}' => {
                stack.pop();
            }
            b',' => expect_value = stack.last() == Some(&b'['),
            _ => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_lines_follow_the_array() {
        let text = "[\n {\"a\": [1, 2]},\n {\"b\": \"]\"}\n]";
        assert_eq!(element_lines(text, 1), vec![2, 3]);
        let text = "{\"events\": [\n {},\n {}\n], \"n\": 2}";
        assert_eq!(element_lines(text, 2), vec![2, 3]);
    }

    #[test]
    fn the_lineage_job_facet_declares_reads_and_writes() {
        let facet: Value = serde_json::json!({
            "_producer": "x", "_schemaURL": "y",
            "lineage": [
                {"namespace": "pg", "name": "mart.daily", "type": "DATASET",
                 "inputs": [{"namespace": "pg", "name": "raw.orders", "type": "DATASET"},
                            {"namespace": "sched", "name": "gen", "type": "JOB"}],
                 "fields": {"total": {"inputs": [
                     {"namespace": "pg", "name": "raw.fx", "type": "DATASET", "field": "rate"}]}}},
                {"type": "JOB", "inputs": [{"namespace": "kafka", "name": "clicks", "type": "DATASET"}]},
                {"namespace": "sched", "name": "other", "type": "JOB",
                 "inputs": [{"namespace": "pg", "name": "raw.a", "type": "DATASET"}]}
            ]
        });
        let declared = lineage_facet(&facet).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            declared,
            vec![
                DeclaredLineage {
                    job: None,
                    inputs: vec!["pg/raw.orders".into(), "pg/raw.fx".into()],
                    outputs: vec!["pg/mart.daily".into()],
                },
                DeclaredLineage {
                    job: None,
                    inputs: vec!["kafka/clicks".into()],
                    outputs: vec![],
                },
                DeclaredLineage {
                    job: Some(NodeId::new(NodeKind::Job, "sched/other")),
                    inputs: vec!["pg/raw.a".into()],
                    outputs: vec![],
                },
            ]
        );
        // The other draft names the list `entries`.
        let entries =
            serde_json::json!({"entries": [{"namespace": "a", "name": "b", "type": "DATASET"}]});
        assert_eq!(lineage_facet(&entries).map(|d| d.len()), Ok(1));
        let broken = serde_json::json!({"lineage": [{"name": "b", "type": "DATASET"}]});
        assert!(lineage_facet(&broken).is_err());
    }

    #[test]
    fn sniffing_needs_openlineage_keys() {
        assert!(sniff("{\"eventType\": \"START\"}"));
        assert!(!sniff("{\"kind\": \"job\", \"name\": \"x\"}"));
        assert!(!sniff("# {\"eventType\"}"));
    }
}
