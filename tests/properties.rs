//! Property tests (issue 8, item 2): small random deployments, written to a temporary folder
//! and scanned through the library, checked against brute-force references written from
//! SPEC.md's definitions alone: identities and globs, the edges they give, feedback loops
//! (LT002), model chains (LT003), query depths, and fingerprints that ignore evidence.
//!
//! The references are deliberately naive (a dynamic-programming glob matcher, transitive
//! closures by Warshall's algorithm, Bellman–Ford depths) so that they share no code or idea
//! with lintage's algorithms. A failure prints the smallest deployment proptest could shrink
//! to. Each property runs a fixed number of cases (the whole module takes about 20 s in a
//! debug build); `PROPTEST_CASES=N cargo test --test tests properties` runs N of each.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use lintage::finding::{Finding, LoopKind, Severity};
use lintage::graph::LineageGraph;
use lintage::pipeline::{self, ScanOptions};
use lintage::query::{self, EdgeFilter, MemoryLineage, WalkOptions};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError};

use crate::util::{lintage_in, path_str};

// ---------------------------------------------------------------------------------------
// Random deployments
// ---------------------------------------------------------------------------------------

/// Principals that appear in logs: plain ones, ones spelled as entity ids (declared or not).
const PRINCIPALS: [&str; 12] = [
    "p:a",
    "p:b",
    "p:ab",
    "p:a1",
    "p:b1",
    "p:ba1",
    "u:x",
    "model:m0",
    "model:m9",
    "job:j0",
    "service:s1",
    "alice@corp",
];

/// Identities entities may claim: exact strings and `*` globs of several lengths, some of
/// equal length matching the same principal (`p:a*` and `p:*1` both match `p:a1`).
const IDENTITIES: [&str; 16] = [
    "p:a",
    "p:ab",
    "p:b1",
    "u:x",
    "model:m0",
    "alice@corp",
    "*",
    "p:*",
    "p:a*",
    "p:*1",
    "p:a*1",
    "p:*b*",
    "model:*",
    "*:x",
    "*@corp",
    "p:ba**",
];

/// `consumers` entries: ids, globs and bare names.
const CONSUMERS: [&str; 7] = [
    "service:s0",
    "job:*",
    "s1",
    "principal:*",
    "model:m1",
    "*",
    "p:a",
];

#[derive(Debug, Clone)]
enum Ref {
    Data(usize),
    /// `model:NAME`: every output of that model (`m9` is never declared).
    Model(String),
}

#[derive(Debug, Clone)]
struct Entity {
    kind: &'static str,
    name: String,
    identities: Vec<String>,
    inputs: Vec<Ref>,
    training: Vec<Ref>,
    outputs: Vec<usize>,
    influences: Vec<Ref>,
    base_model: Option<String>,
    consumers: Vec<String>,
}

impl Entity {
    fn id(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

#[derive(Debug, Clone)]
struct Record {
    principal: String,
    write: bool,
    dataset: usize,
    count: u64,
    day: u32,
}

#[derive(Debug, Clone)]
struct World {
    entities: Vec<Entity>,
    records: Vec<Record>,
}

/// What an entity declares, before its kind is known.
type Parts = (
    Vec<Ref>,
    Vec<Ref>,
    Vec<usize>,
    Vec<Ref>,
    Option<String>,
    Vec<String>,
);

fn model_name(models: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..models).prop_map(|i| format!("m{i}")),
        1 => Just("m9".to_string()),
    ]
}

fn reference(datasets: usize, models: usize) -> impl Strategy<Value = Ref> {
    prop_oneof![
        4 => (0..datasets).prop_map(Ref::Data),
        1 => model_name(models).prop_map(Ref::Model),
    ]
}

fn parts(datasets: usize, models: usize) -> impl Strategy<Value = Parts> {
    (
        vec(reference(datasets, models), 0..3),
        vec(reference(datasets, models), 0..2),
        vec(0..datasets, 0..3),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(reference(datasets, models), 1..3)],
        prop::option::weighted(0.2, model_name(models)),
        vec(select(CONSUMERS.to_vec()).prop_map(String::from), 0..3),
    )
}

fn record(datasets: usize) -> impl Strategy<Value = Record> {
    (
        select(PRINCIPALS.to_vec()),
        any::<bool>(),
        0..datasets,
        1..6u64,
        1..28u32,
    )
        .prop_map(|(principal, write, dataset, count, day)| Record {
            principal: principal.to_string(),
            write,
            dataset,
            count,
            day,
        })
}

/// A deployment of 1–4 models, 0–2 jobs, 0–2 services and 1–5 datasets, with identities
/// (each usually claimed by at most one entity, sometimes by two: a tie) and up to 14
/// pre-aggregated log lines.
fn world() -> impl Strategy<Value = World> {
    (1..=5usize, 0..=2usize, 0..=2usize, 1..=5usize).prop_flat_map(
        |(models, jobs, services, datasets)| {
            let mut names: Vec<(&'static str, String)> = Vec::new();
            names.extend((0..models).map(|i| ("model", format!("m{i}"))));
            names.extend((0..jobs).map(|i| ("job", format!("j{i}"))));
            names.extend((0..services).map(|i| ("service", format!("s{i}"))));
            let n = names.len();
            let claims = vec(
                prop_oneof![
                    12 => Just(Vec::new()),
                    10 => (0..n).prop_map(|e| vec![e]),
                    1 => vec(0..n, 2),
                ],
                IDENTITIES.len(),
            );
            (
                Just(names),
                vec(parts(datasets, models), n),
                claims,
                vec(record(datasets), 0..15),
            )
                .prop_map(|(names, parts, claims, records)| {
                    let mut entities: Vec<Entity> = names
                        .into_iter()
                        .zip(parts)
                        .map(|((kind, name), p)| {
                            let model = kind == "model";
                            Entity {
                                kind,
                                name,
                                identities: Vec::new(),
                                inputs: p.0,
                                training: if model { p.1 } else { Vec::new() },
                                outputs: p.2,
                                influences: if model { p.3 } else { Vec::new() },
                                base_model: if model { p.4 } else { None },
                                consumers: p.5,
                            }
                        })
                        .collect();
                    for (pattern, owners) in IDENTITIES.iter().zip(claims) {
                        for owner in owners {
                            let identities = &mut entities[owner].identities;
                            if !identities.iter().any(|i| i == pattern) {
                                identities.push(pattern.to_string());
                            }
                        }
                    }
                    World { entities, records }
                })
        },
    )
}

// ---------------------------------------------------------------------------------------
// Writing a deployment
// ---------------------------------------------------------------------------------------

/// How a deployment is laid out on disk. Every layout means the same lineage; they differ
/// only in evidence: file names, line positions, counts, dates, record order and splits.
#[derive(Debug, Clone, Default)]
struct Layout {
    /// Comment lines before each manifest (moves every declared line).
    padding: usize,
    /// All manifests in one YAML stream instead of a file each.
    one_stream: bool,
    /// Log lines spread over this many files (at least one).
    log_files: usize,
    /// Log lines rotated by this much before being dealt to files.
    rotate: usize,
    /// Added to every count.
    extra_count: u64,
    /// Added to every day.
    later_by: u32,
    /// Each record written as two lines whose counts add up.
    split: bool,
    /// Blank lines between records.
    blank_lines: bool,
    /// Spell datasets with or without the `dataset:` prefix (salted differently).
    prefix_salt: usize,
}

fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn dataset_name(index: usize, salt: usize) -> String {
    if (index + salt) % 3 == 0 {
        format!("dataset:d{index}")
    } else {
        format!("d{index}")
    }
}

fn ref_text(reference: &Ref, salt: usize) -> String {
    match reference {
        Ref::Data(d) => dataset_name(*d, salt),
        Ref::Model(name) => format!("model:{name}"),
    }
}

fn manifest_yaml(entity: &Entity, layout: &Layout, salt: usize) -> String {
    let mut text = String::new();
    for i in 0..layout.padding {
        text.push_str(&format!("# padding line {i}\n"));
    }
    text.push_str(&format!("kind: {}\nname: {}\n", entity.kind, entity.name));
    let mut list = |key: &str, values: Vec<String>| {
        if !values.is_empty() {
            let items: Vec<String> = values.iter().map(|v| quoted(v)).collect();
            text.push_str(&format!("{key}: [{}]\n", items.join(", ")));
        }
    };
    list("identities", entity.identities.clone());
    let refs = |r: &[Ref]| r.iter().map(|r| ref_text(r, salt)).collect::<Vec<_>>();
    list("inputs", refs(&entity.inputs));
    list("training", refs(&entity.training));
    list(
        "outputs",
        entity
            .outputs
            .iter()
            .map(|&d| dataset_name(d, salt + 1))
            .collect(),
    );
    list("influences", refs(&entity.influences));
    list("consumers", entity.consumers.clone());
    if let Some(base) = &entity.base_model {
        // The `model:` prefix is optional for base_model.
        let spelled = if salt % 2 == 0 {
            format!("model:{base}")
        } else {
            base.clone()
        };
        text.push_str(&format!("base_model: {}\n", quoted(&spelled)));
    }
    text
}

fn timestamp(day: u32, hour: u32) -> String {
    let day = day.clamp(1, 28);
    format!("2026-11-{day:02}T{hour:02}:00:00Z")
}

fn log_line(record: &Record, count: u64, first: u32, last: u32, salt: usize) -> String {
    format!(
        "{{\"ts\":{},\"principal\":{},\"action\":\"{}\",\"resource\":{},\"count\":{count},\"first_seen\":{},\"last_seen\":{}}}\n",
        quoted(&timestamp(last, 12)),
        quoted(&record.principal),
        if record.write { "write" } else { "read" },
        quoted(&dataset_name(record.dataset, salt)),
        quoted(&timestamp(first, 6)),
        quoted(&timestamp(last, 18)),
    )
}

fn write_deployment(world: &World, dir: &Path, layout: &Layout) -> Result<(), TestCaseError> {
    let write = |relative: &str, text: &str| -> Result<(), TestCaseError> {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| TestCaseError::fail(format!("mkdir {parent:?}: {e}")))?;
        }
        std::fs::write(&path, text).map_err(|e| TestCaseError::fail(format!("{path:?}: {e}")))
    };
    let salt = layout.prefix_salt;
    if layout.one_stream {
        let docs: Vec<String> = world
            .entities
            .iter()
            .rev()
            .map(|e| manifest_yaml(e, layout, salt))
            .collect();
        write("declared/everything.yml", &docs.join("---\n"))?;
    } else {
        for entity in &world.entities {
            write(
                &format!("manifests/{}-{}.yaml", entity.kind, entity.name),
                &manifest_yaml(entity, layout, salt),
            )?;
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for record in &world.records {
        let first = record.day + layout.later_by;
        let last = first + (record.day % 3);
        if layout.split && record.count + layout.extra_count >= 2 {
            let total = record.count + layout.extra_count;
            lines.push(log_line(record, total / 2, first, first, salt + 2));
            lines.push(log_line(record, total - total / 2, last, last, salt));
        } else {
            lines.push(log_line(
                record,
                record.count + layout.extra_count,
                first,
                last,
                salt,
            ));
        }
    }
    if !lines.is_empty() {
        let rotate = layout.rotate % lines.len();
        lines.rotate_left(rotate);
    }
    let files = layout.log_files.max(1);
    let mut texts = vec![String::new(); files];
    for (i, line) in lines.iter().enumerate() {
        texts[i % files].push_str(line);
        if layout.blank_lines {
            texts[i % files].push_str("\n  \n");
        }
    }
    for (i, text) in texts.iter().enumerate() {
        let name = if files == 1 {
            "logs/access.jsonl".to_string()
        } else {
            format!("elsewhere/part-{i}.ndjson")
        };
        write(&name, text)?;
    }
    Ok(())
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        0..4usize,
        any::<bool>(),
        1..4usize,
        0..10usize,
        0..50u64,
        0..3u32,
        any::<bool>(),
        any::<bool>(),
        0..3usize,
    )
        .prop_map(
            |(
                padding,
                one_stream,
                log_files,
                rotate,
                extra_count,
                later_by,
                split,
                blank_lines,
                prefix_salt,
            )| Layout {
                padding,
                one_stream,
                log_files,
                rotate,
                extra_count,
                later_by,
                split,
                blank_lines,
                prefix_salt,
            },
        )
}

/// Scans `world` written with `layout`; `Err` carries lintage's error message.
fn scan(
    world: &World,
    layout: &Layout,
) -> Result<(tempfile::TempDir, Result<pipeline::Analysis, String>), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(format!("tempdir: {e}")))?;
    write_deployment(world, dir.path(), layout)?;
    let analysis =
        pipeline::analyze(dir.path(), &ScanOptions::default()).map_err(|e| e.to_string());
    Ok((dir, analysis))
}

// ---------------------------------------------------------------------------------------
// References, from SPEC.md
// ---------------------------------------------------------------------------------------

/// `*` matches any run of characters, every other character itself: the textbook dynamic
/// programme over (pattern prefix, text prefix).
fn glob_reference(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let mut matches = vec![vec![false; t.len() + 1]; p.len() + 1];
    matches[0][0] = true;
    for i in 1..=p.len() {
        for j in 0..=t.len() {
            matches[i][j] = if p[i - 1] == b'*' {
                matches[i - 1][j] || (j > 0 && matches[i][j - 1])
            } else {
                j > 0 && p[i - 1] == t[j - 1] && matches[i - 1][j - 1]
            };
        }
    }
    matches[p.len()][t.len()]
}

/// What a principal maps to: an entity id, its own `principal:` node, or a tie (an error).
/// SPEC.md: an exact identity wins over a glob, a longer glob over a shorter one, a tie
/// that remains is an error; README: a principal spelled as an entity's id is that entity
/// unless an exact identity says otherwise.
fn resolve_reference(
    claims: &[(String, String)],
    entity_ids: &BTreeSet<String>,
    principal: &str,
) -> Result<String, ()> {
    let exact: BTreeSet<&String> = claims
        .iter()
        .filter(|(pattern, _)| !pattern.contains('*') && pattern == principal)
        .map(|(_, entity)| entity)
        .collect();
    if !exact.is_empty() {
        return single(exact);
    }
    if entity_ids.contains(principal) {
        return Ok(principal.to_string());
    }
    let globs: Vec<&(String, String)> = claims
        .iter()
        .filter(|(pattern, _)| pattern.contains('*') && glob_reference(pattern, principal))
        .collect();
    let Some(longest) = globs.iter().map(|(pattern, _)| pattern.len()).max() else {
        return Ok(format!("principal:{principal}"));
    };
    single(
        globs
            .iter()
            .filter(|(pattern, _)| pattern.len() == longest)
            .map(|(_, entity)| entity)
            .collect(),
    )
}

fn single(entities: BTreeSet<&String>) -> Result<String, ()> {
    match entities.len() {
        1 => Ok(entities.into_iter().next().cloned().unwrap_or_default()),
        _ => Err(()),
    }
}

/// An edge's provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags {
    declared: bool,
    observed: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Edges {
    nodes: BTreeSet<String>,
    edges: BTreeMap<(String, String), Flags>,
}

impl Edges {
    fn add(&mut self, from: String, to: String, declared: bool) {
        self.nodes.insert(from.clone());
        self.nodes.insert(to.clone());
        let flags = self.edges.entry((from, to)).or_default();
        if declared {
            flags.declared = true;
        } else {
            flags.observed = true;
        }
    }
}

/// The lineage graph SPEC.md describes for `world`, or `Err(principal)` when identities tie.
fn edges_reference(world: &World) -> Result<Edges, String> {
    let dataset = |d: usize| format!("dataset:d{d}");
    let entity_ids: BTreeSet<String> = world.entities.iter().map(Entity::id).collect();
    let claims: Vec<(String, String)> = world
        .entities
        .iter()
        .flat_map(|e| e.identities.iter().map(move |i| (i.clone(), e.id())))
        .collect();
    let mut graph = Edges {
        nodes: entity_ids.clone(),
        ..Edges::default()
    };
    let mut writes: BTreeSet<(String, usize)> = BTreeSet::new();
    for record in &world.records {
        let actor = resolve_reference(&claims, &entity_ids, &record.principal)
            .map_err(|()| record.principal.clone())?;
        if record.write {
            writes.insert((actor.clone(), record.dataset));
            graph.add(actor, dataset(record.dataset), false);
        } else {
            graph.add(dataset(record.dataset), actor, false);
        }
    }
    // The outputs of a model: its declared outputs and the datasets it was seen writing.
    let outputs_of = |model: &str| -> BTreeSet<usize> {
        let declared = world
            .entities
            .iter()
            .filter(|e| e.id() == model)
            .flat_map(|e| e.outputs.iter().copied());
        let seen = writes
            .iter()
            .filter(|(actor, _)| actor == model)
            .map(|&(_, d)| d);
        declared.chain(seen).collect()
    };
    for entity in &world.entities {
        let me = entity.id();
        for r in entity.inputs.iter().chain(&entity.training) {
            match r {
                Ref::Data(d) => graph.add(dataset(*d), me.clone(), true),
                Ref::Model(name) => {
                    let model = format!("model:{name}");
                    for d in outputs_of(&model) {
                        graph.add(dataset(d), me.clone(), true);
                    }
                    graph.nodes.insert(model);
                }
            }
        }
        for &d in &entity.outputs {
            graph.add(me.clone(), dataset(d), true);
        }
        for r in &entity.influences {
            match r {
                Ref::Data(d) => graph.add(me.clone(), dataset(*d), true),
                Ref::Model(name) => {
                    let model = format!("model:{name}");
                    for d in outputs_of(&model) {
                        graph.add(me.clone(), dataset(d), true);
                    }
                    graph.nodes.insert(model);
                }
            }
        }
        if let Some(base) = &entity.base_model {
            graph.add(format!("model:{base}"), me.clone(), true);
        }
    }
    Ok(graph)
}

/// The graph lintage built, in the reference's terms.
fn edges_of(graph: &LineageGraph) -> Edges {
    let mut edges = Edges {
        nodes: graph.nodes().map(|n| graph.id(n).to_string()).collect(),
        ..Edges::default()
    };
    for e in graph.graph.edge_indices() {
        if let Some((a, b)) = graph.graph.edge_endpoints(e) {
            let data = &graph.graph[e];
            edges.edges.insert(
                (graph.id(a).to_string(), graph.id(b).to_string()),
                Flags {
                    declared: data.is_declared(),
                    observed: data.is_observed(),
                },
            );
        }
    }
    edges
}

/// A dense view of a reference graph with brute-force closures.
struct Dense {
    ids: Vec<String>,
    index: BTreeMap<String, usize>,
    /// `edge[a][b]`: an edge of any provenance.
    edge: Vec<Vec<bool>>,
    /// `reach[a][b]`: a path of one or more edges.
    reach: Vec<Vec<bool>>,
    /// The same over declared edges only.
    reach_declared: Vec<Vec<bool>>,
    edges: BTreeMap<(String, String), Flags>,
}

/// Warshall's transitive closure: after round k, `m[i][j]` says whether a path from i to j
/// exists whose inner nodes are all below k.
fn closure(mut m: Vec<Vec<bool>>) -> Vec<Vec<bool>> {
    for k in 0..m.len() {
        let through = m[k].clone();
        for row in &mut m {
            if row[k] {
                for (cell, &onward) in row.iter_mut().zip(&through) {
                    *cell |= onward;
                }
            }
        }
    }
    m
}

impl Dense {
    fn new(graph: &Edges) -> Dense {
        let ids: Vec<String> = graph.nodes.iter().cloned().collect();
        let index: BTreeMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let n = ids.len();
        let mut edge = vec![vec![false; n]; n];
        let mut declared = vec![vec![false; n]; n];
        for ((a, b), flags) in &graph.edges {
            edge[index[a]][index[b]] = true;
            declared[index[a]][index[b]] = flags.declared;
        }
        Dense {
            reach: closure(edge.clone()),
            reach_declared: closure(declared),
            ids,
            index,
            edge,
            edges: graph.edges.clone(),
        }
    }

    fn is_model(&self, i: usize) -> bool {
        self.ids[i].starts_with("model:")
    }

    fn same_component(&self, a: usize, b: usize) -> bool {
        a == b || (self.reach[a][b] && self.reach[b][a])
    }

    /// LT003's precedence: a path from model `a` to model `m` with no model inside.
    fn precedes(&self, a: usize, m: usize) -> bool {
        let n = self.ids.len();
        // Reflexive closure over edges between non-model nodes only.
        let mut inner = vec![vec![false; n]; n];
        for (i, row) in inner.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = !self.is_model(i) && !self.is_model(j) && self.edge[i][j];
            }
        }
        let mut inner = closure(inner);
        for (i, row) in inner.iter_mut().enumerate() {
            row[i] = !self.is_model(i);
        }
        a != m
            && (self.edge[a][m]
                || (0..n)
                    .any(|x| self.edge[a][x] && (0..n).any(|y| inner[x][y] && self.edge[y][m])))
    }
}

/// LT002 as SPEC.md defines it: subject -> (number of models in its component, whether
/// declared edges alone close a loop through the subject).
fn loops_reference(dense: &Dense) -> BTreeMap<String, (usize, bool)> {
    let n = dense.ids.len();
    let mut loops = BTreeMap::new();
    for i in 0..n {
        let component: Vec<usize> = (0..n).filter(|&j| dense.same_component(i, j)).collect();
        let cyclic = dense.reach[i][i];
        // Ids sort as node ids do, so the first model is the smallest.
        let Some(&subject) = component.iter().find(|&&j| dense.is_model(j)) else {
            continue;
        };
        if !cyclic {
            continue;
        }
        let models = component.iter().filter(|&&j| dense.is_model(j)).count();
        loops.insert(
            dense.ids[subject].clone(),
            (models, dense.reach_declared[subject][subject]),
        );
    }
    loops
}

/// LT003: the longest chain of models ending at each model that anything precedes.
fn chains_reference(dense: &Dense) -> (BTreeMap<String, usize>, Vec<Vec<bool>>) {
    let n = dense.ids.len();
    let mut precedes = vec![vec![false; n]; n];
    for a in (0..n).filter(|&a| dense.is_model(a)) {
        for m in (0..n).filter(|&m| dense.is_model(m)) {
            precedes[a][m] = !dense.same_component(a, m) && dense.precedes(a, m);
        }
    }
    // Relax n times: the precedence relation is acyclic, so lengths settle.
    let mut longest = vec![1usize; n];
    for _ in 0..n {
        for m in 0..n {
            for a in 0..n {
                if precedes[a][m] {
                    longest[m] = longest[m].max(longest[a] + 1);
                }
            }
        }
    }
    let chains = (0..n)
        .filter(|&m| (0..n).any(|a| precedes[a][m]))
        .map(|m| (dense.ids[m].clone(), longest[m]))
        .collect();
    (chains, precedes)
}

/// Query depths by Bellman–Ford over the edge list: entering a dataset costs 0, anything
/// else 1; the start is excluded and never passed through.
fn depths_reference(
    edges: &BTreeMap<(String, String), Flags>,
    start: &str,
    downstream: bool,
    filter: EdgeFilter,
) -> BTreeMap<String, usize> {
    let mut depth: BTreeMap<String, usize> = BTreeMap::from([(start.to_string(), 0)]);
    loop {
        let mut changed = false;
        for ((a, b), flags) in edges {
            let allowed = match filter {
                EdgeFilter::All => true,
                EdgeFilter::DeclaredOnly => flags.declared,
                EdgeFilter::ObservedOnly => flags.observed,
            };
            let (from, to) = if downstream { (a, b) } else { (b, a) };
            if !allowed || to == start {
                continue;
            }
            let Some(&d) = depth.get(from) else {
                continue;
            };
            let next = d + usize::from(!to.starts_with("dataset:"));
            if depth.get(to).is_none_or(|&old| next < old) {
                depth.insert(to.clone(), next);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth.remove(start);
    depth
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// Scans `world` in the plain layout and checks the graph against the reference; returns
/// the analysis and the reference, or `None` when identities tie (checked to be an error).
fn scanned(
    world: &World,
) -> Result<Option<(tempfile::TempDir, pipeline::Analysis, Edges)>, TestCaseError> {
    let (dir, analysis) = scan(world, &Layout::default())?;
    match (edges_reference(world), analysis) {
        (Err(principal), Err(message)) => {
            prop_assert!(
                message.contains(&format!("principal `{principal}`"))
                    || message.contains("equally well"),
                "a tie on {principal} should be the error, got: {message}"
            );
            Ok(None)
        }
        (Err(principal), Ok(_)) => Err(fail(format!(
            "principal {principal} matches two entities equally well, but the scan succeeded"
        ))),
        (Ok(_), Err(message)) => Err(fail(format!("the scan failed: {message}"))),
        (Ok(expected), Ok(analysis)) => {
            let actual = edges_of(&analysis.graph);
            prop_assert_eq!(&actual.nodes, &expected.nodes, "nodes");
            prop_assert_eq!(&actual.edges, &expected.edges, "edges");
            Ok(Some((dir, analysis, expected)))
        }
    }
}

fn of_code<'a>(findings: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

fn check_loops(findings: &[Finding], dense: &Dense) -> Result<(), TestCaseError> {
    let expected = loops_reference(dense);
    let found = of_code(findings, "LT002");
    let subjects: BTreeSet<&str> = found.iter().map(|f| f.subject.as_str()).collect();
    prop_assert_eq!(
        subjects,
        expected.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "LT002 subjects"
    );
    prop_assert_eq!(found.len(), expected.len(), "one LT002 per component");
    for finding in found {
        let (models, declared_loop) = expected[&finding.subject];
        let path = &finding.path;
        prop_assert!(path.len() >= 2, "{:?}", finding);
        prop_assert_eq!(&path[0], &finding.subject);
        prop_assert_eq!(&path[path.len() - 1], &finding.subject);
        let inner: BTreeSet<&String> = path[..path.len() - 1].iter().collect();
        prop_assert_eq!(inner.len(), path.len() - 1, "a simple cycle: {:?}", path);
        for pair in path.windows(2) {
            let flags = dense.edges.get(&(pair[0].clone(), pair[1].clone()));
            prop_assert!(flags.is_some(), "{} -> {} is no edge", pair[0], pair[1]);
        }
        let direct = models == 1 && declared_loop;
        let kind = if direct {
            LoopKind::Direct
        } else {
            LoopKind::Hidden
        };
        prop_assert_eq!(finding.loop_kind, Some(kind), "{:?}", finding);
        if direct {
            for pair in path.windows(2) {
                let declared = dense
                    .edges
                    .get(&(pair[0].clone(), pair[1].clone()))
                    .is_some_and(|f| f.declared);
                prop_assert!(declared, "a direct loop's path is declared: {:?}", path);
            }
        }
        prop_assert_eq!(finding.severity, Severity::Error);
        prop_assert!(finding.related.is_empty());
    }
    Ok(())
}

fn check_chains(findings: &[Finding], dense: &Dense) -> Result<(), TestCaseError> {
    let (expected, precedes) = chains_reference(dense);
    let found = of_code(findings, "LT003");
    let lengths: BTreeMap<String, usize> = found
        .iter()
        .map(|f| (f.subject.clone(), f.path.len()))
        .collect();
    prop_assert_eq!(&lengths, &expected, "LT003 chain lengths");
    prop_assert_eq!(found.len(), expected.len(), "one LT003 per model");
    for finding in found {
        let path = &finding.path;
        prop_assert_eq!(path.last(), Some(&finding.subject));
        for pair in path.windows(2) {
            let (Some(&a), Some(&m)) = (dense.index.get(&pair[0]), dense.index.get(&pair[1]))
            else {
                return Err(fail(format!("unknown nodes in {path:?}")));
            };
            prop_assert!(
                precedes[a][m],
                "{} does not precede {} in {:?}",
                pair[0],
                pair[1],
                path
            );
        }
        let severity = if path.len() >= 3 {
            Severity::Warning
        } else {
            Severity::Info
        };
        prop_assert_eq!(finding.severity, severity, "{:?}", finding);
    }
    Ok(())
}

fn check_walks(graph: &LineageGraph, expected: &Edges, dense: &Dense) -> Result<(), TestCaseError> {
    let lineage = MemoryLineage { graph };
    for start in &expected.nodes {
        for downstream in [true, false] {
            let walk = |edges: EdgeFilter, depth: Option<usize>| {
                query::walk(&lineage, start, downstream, &WalkOptions { depth, edges })
                    .map_err(|e| fail(format!("walk from {start}: {e}")))
            };
            for filter in [
                EdgeFilter::All,
                EdgeFilter::DeclaredOnly,
                EdgeFilter::ObservedOnly,
            ] {
                let reference = depths_reference(&expected.edges, start, downstream, filter);
                let got = walk(filter, None)?;
                let depths: BTreeMap<String, usize> = got
                    .reached
                    .iter()
                    .map(|r| (r.node.clone(), r.depth))
                    .collect();
                prop_assert_eq!(
                    &depths,
                    &reference,
                    "depths from {} ({}, {:?})",
                    start,
                    if downstream {
                        "dependents"
                    } else {
                        "dependencies"
                    },
                    filter
                );
                prop_assert_eq!(got.reached.len(), depths.len(), "each node once");
            }
            // Flags: a shortest path of declared (observed) edges exists exactly when the
            // declared-only (observed-only) depth equals the depth over all edges.
            let all = walk(EdgeFilter::All, None)?;
            let declared =
                depths_reference(&expected.edges, start, downstream, EdgeFilter::DeclaredOnly);
            let observed =
                depths_reference(&expected.edges, start, downstream, EdgeFilter::ObservedOnly);
            let mut depth_of: BTreeMap<&str, usize> = all
                .reached
                .iter()
                .map(|r| (r.node.as_str(), r.depth))
                .collect();
            depth_of.insert(start.as_str(), 0);
            for r in &all.reached {
                prop_assert_eq!(
                    r.declared,
                    declared.get(&r.node) == Some(&r.depth),
                    "declared flag of {} from {}",
                    r.node,
                    start
                );
                prop_assert_eq!(
                    r.observed,
                    observed.get(&r.node) == Some(&r.depth),
                    "observed flag of {} from {}",
                    r.node,
                    start
                );
                // `via` is a dataset on a shortest path right before the node.
                if let Some(via) = &r.via {
                    let edge = if downstream {
                        (via.clone(), r.node.clone())
                    } else {
                        (r.node.clone(), via.clone())
                    };
                    prop_assert!(via.starts_with("dataset:"), "via {}", via);
                    prop_assert!(
                        expected.edges.contains_key(&edge),
                        "via {} -> {}",
                        via,
                        r.node
                    );
                    let cost = usize::from(!r.node.starts_with("dataset:"));
                    prop_assert_eq!(depth_of.get(via.as_str()).map(|d| d + cost), Some(r.depth));
                }
            }
            // Whether the start sits on a cycle.
            let i = dense.index[start];
            prop_assert_eq!(
                all.returns_to_start,
                dense.reach[i][i],
                "loop through {}",
                start
            );
            // A depth bound keeps exactly the nodes within it, with the same answers.
            for bound in 0..3 {
                let bounded = walk(EdgeFilter::All, Some(bound))?;
                let key = |r: &query::Reached| (r.node.clone(), r.depth, r.declared, r.observed);
                let within: Vec<_> = all
                    .reached
                    .iter()
                    .filter(|r| r.depth <= bound)
                    .map(key)
                    .collect();
                let got: Vec<_> = bounded.reached.iter().map(key).collect();
                prop_assert_eq!(got, within, "--depth {} from {}", bound, start);
            }
        }
    }
    Ok(())
}

/// What a finding is about, without its evidence and message.
fn essence(finding: &Finding) -> String {
    format!(
        "{} {} {:?} {:?} {} {:?} {}",
        finding.code,
        finding.subject,
        finding.related,
        finding.path,
        finding.severity,
        finding.loop_kind,
        finding.fingerprint
    )
}

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // Failures print the shrunk input; nothing is written into the repository.
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// `*` globs (identities, consumers, allowlists) match as the textbook matcher does.
    #[test]
    fn globs_match_like_the_reference(
        pattern in vec(select(vec!['a', 'b', ':', '*']), 0..7),
        text in vec(select(vec!['a', 'b', ':']), 0..7),
    ) {
        let pattern: String = pattern.into_iter().collect();
        let text: String = text.into_iter().collect();
        prop_assert_eq!(
            lintage::glob::star_match(&pattern, &text),
            glob_reference(&pattern, &text),
            "{:?} against {:?}", pattern, text
        );
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Identities resolve as SPEC.md says and build the edges it describes; ties are errors.
    #[test]
    fn the_graph_is_what_manifests_and_logs_say(world in world()) {
        scanned(&world)?;
    }

    /// LT002: one finding per component with a model and a cycle, about its smallest model,
    /// with a real simple cycle through it; direct exactly when the component holds one model
    /// and declared edges alone close a loop through it.
    #[test]
    fn feedback_loops_match_the_reference(world in world()) {
        if let Some((_dir, analysis, expected)) = scanned(&world)? {
            check_loops(&analysis.outcome.findings, &Dense::new(&expected))?;
        }
    }

    /// LT003: the longest chain of models ending at each model, precedence through non-model
    /// nodes only and never inside one feedback loop; warning from 3 models.
    #[test]
    fn model_chains_match_the_reference(world in world()) {
        if let Some((_dir, analysis, expected)) = scanned(&world)? {
            check_chains(&analysis.outcome.findings, &Dense::new(&expected))?;
        }
    }

    /// Dependents and dependencies from every node, over every edge filter and depth bound.
    #[test]
    fn query_walks_match_the_reference(world in world()) {
        if let Some((_dir, analysis, expected)) = scanned(&world)? {
            check_walks(&analysis.graph, &expected, &Dense::new(&expected))?;
        }
    }

    /// Evidence (file names, line positions, counts, dates, record order, how a count is
    /// split over lines) never changes what is found nor any fingerprint.
    #[test]
    fn fingerprints_ignore_evidence(world in world(), layout in layout()) {
        let (_a, plain) = scan(&world, &Layout::default())?;
        let (_b, moved) = scan(&world, &layout)?;
        match (plain, moved) {
            (Ok(plain), Ok(moved)) => {
                let essences = |a: &pipeline::Analysis| -> Vec<String> {
                    a.outcome.findings.iter().map(essence).collect()
                };
                prop_assert_eq!(essences(&plain), essences(&moved), "{:?}", layout);
                let prints: BTreeSet<&str> = plain
                    .outcome
                    .findings
                    .iter()
                    .map(|f| f.fingerprint.as_str())
                    .collect();
                prop_assert_eq!(prints.len(), plain.outcome.findings.len(), "fingerprints are unique");
            }
            (Err(_), Err(_)) => {}
            (plain, moved) => {
                return Err(fail(format!(
                    "one layout scans and the other does not: {:?} / {:?}",
                    plain.err(),
                    moved.err()
                )));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// `lintage query` as users run it, from a fresh scan (`--deployment`) and from the
    /// stored snapshot, answers as the reference does (entities and principals only).
    #[test]
    fn the_query_command_matches_the_reference(world in world(), pick in any::<prop::sample::Index>(), downstream in any::<bool>()) {
        let Some((dir, _analysis, expected)) = scanned(&world)? else {
            return Ok(());
        };
        let starts: Vec<&String> = expected
            .nodes
            .iter()
            .filter(|n| !n.starts_with("dataset:"))
            .collect();
        let start = pick.get(&starts).as_str();
        let direction = if downstream { "dependents" } else { "dependencies" };
        let reference: BTreeMap<String, usize> =
            depths_reference(&expected.edges, start, downstream, EdgeFilter::All)
                .into_iter()
                .filter(|(node, _)| !node.starts_with("dataset:"))
                .collect();
        let cwd = tempfile::tempdir().map_err(|e| fail(format!("tempdir: {e}")))?;
        let deployment = path_str(dir.path());
        let scan = lintage_in(cwd.path(), &["scan", deployment, "--fail-on", "never", "-q"]);
        prop_assert_eq!(scan.code, 0, "{}", scan.stderr);
        let fresh = lintage_in(
            cwd.path(),
            &["query", direction, start, "--deployment", deployment, "--format", "json"],
        );
        let stored = lintage_in(cwd.path(), &["query", direction, start, "--format", "json"]);
        for run in [fresh, stored] {
            prop_assert_eq!(run.code, 0, "{}", run.stderr);
            let json = run.json();
            let got: BTreeMap<String, usize> = json["results"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    (
                        r["node"].as_str().unwrap_or_default().to_string(),
                        r["depth"].as_u64().map_or(usize::MAX, |d| d as usize),
                    )
                })
                .collect();
            prop_assert_eq!(&got, &reference, "{} {}", direction, start);
        }
    }
}
