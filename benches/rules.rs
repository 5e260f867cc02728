//! Analysis speed on a generated deployment of 1,002,745 edges: graph build, each rule,
//! and the policy, as a scan runs them after ingest.
//!
//! `cargo bench --bench rules` builds the facts a scan would ingest (manifests and aggregated
//! log records, in memory), then times `graph::build`, the rules' shared context, each rule
//! and `policy::apply`, best of `RUNS` (default 3, `LINTAGE_BENCH_RUNS` to change;
//! `LINTAGE_BENCH_COLD=1` times only `run_all`, first thing after the graph build). As
//! references measured in the same run it times one pass over every edge of the built graph
//! and sorting the graph's (source, target) pairs. It also prints a hash of the findings'
//! JSON, so two builds can be checked for identical output on the same graph.
//!
//! The deployment is `PIPELINES` pipelines (`LINTAGE_BENCH_PIPELINES` to change, for quick
//! output comparisons on a smaller graph) of `STAGES` entities each (models, jobs and
//! services in turn). Each entity writes one dataset and reads the outputs of the two stages
//! before it, one output of an earlier stage of another pipeline and sometimes a shared raw
//! dataset; the logs show most declared edges, some undeclared reads and writes, and
//! thousands of people reading at random. Every tenth entity is known to the logs through a
//! glob identity (`svc:NAME-*`), a shorter glob per ten pipelines claims their batch
//! principals, and the rest through exact identities. Some last-stage models influence the
//! raw data their pipeline starts from (hidden feedback loops), some models influence their
//! own training data (direct loops), some take `model:NAME` inputs and `base_model`s.

// The allocator the lintage binary runs with, so that these times are a scan's.
#[global_allocator]
static ALLOCATOR: lintage::allocator::Split = lintage::allocator::Split;

use std::hash::Hasher;
use std::time::{Duration, Instant};

use lintage::config::{Action, Settings};
use lintage::finding::{self, Finding};
use lintage::ingest::{Entry, Facts, Manifest, ObservedEdges};
use lintage::node::NodeKind;
use lintage::rules::{Context, RULES};
use lintage::time::Timestamp;

/// Default pipeline count; `LINTAGE_BENCH_PIPELINES` scales the deployment down (or up) for
/// quick output comparisons between builds.
const PIPELINES: usize = 13_700;
const STAGES: usize = 12;
const PEOPLE: usize = 8_000;
const READS_PER_PERSON: usize = 30;
const RAW_DATASETS: usize = 3_000;

struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn kind_of(p: usize, s: usize) -> NodeKind {
    [NodeKind::Model, NodeKind::Job, NodeKind::Service][(p + s) % 3]
}

fn name_of(p: usize, s: usize) -> String {
    format!("p{p:05}-s{s:02}")
}

fn output_of(p: usize, s: usize) -> String {
    format!("warehouse.p{p:05}.s{s:02}")
}

fn raw_of(p: usize) -> String {
    format!("raw.events.{:04}", p % RAW_DATASETS)
}

/// The principals an entity acts as in the logs.
fn principals_of(p: usize, s: usize) -> Vec<String> {
    let name = name_of(p, s);
    if (p * STAGES + s) % 10 == 0 {
        vec![format!("svc:{name}-blue"), format!("svc:{name}-green")]
    } else {
        vec![format!("{name}@svc")]
    }
}

fn entry(value: String, line: &mut usize) -> Entry {
    *line += 1;
    Entry { value, line: *line }
}

fn pipelines() -> usize {
    std::env::var("LINTAGE_BENCH_PIPELINES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(PIPELINES)
        .max(1)
}

fn facts() -> Facts {
    let pipelines = pipelines();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut manifests = Vec::new();
    let mut observed = ObservedEdges::default();
    let day = 86_400_000_000_000i64;
    let start = 1_795_000_000_000_000_000i64;
    let mut record = |random: &mut Random, principal: &str, resource: &str, action: Action| {
        let first = start + random.below(20) as i64 * day;
        let count = 1 + random.below(500) as u64;
        let last = first + random.below(10) as i64 * day;
        let (file, line) = (random.below(4), 1 + random.below(2_000_000) as u64);
        // A scan hands the graph distinct (principal, resource, action) edges; the first
        // generated of each is kept.
        if observed.get(principal, resource, action).is_none() {
            let (first, last) = (Timestamp(first), Timestamp(last));
            observed.add(principal, resource, action, count, first, last, file, line);
        }
    };
    for p in 0..pipelines {
        let file = format!("manifests/pipeline-{p:05}.yaml");
        let mut line = 0;
        for s in 0..STAGES {
            let kind = kind_of(p, s);
            line += 2;
            let mut m = Manifest::new(&file, line, kind, &name_of(p, s));
            let principals = principals_of(p, s);
            if principals.len() > 1 {
                m.identities
                    .push(entry(format!("svc:{}-*", name_of(p, s)), &mut line));
            } else {
                m.identities.push(entry(principals[0].clone(), &mut line));
            }
            if s == 0 && p % 10 == 0 {
                // A shorter glob that claims the batch principals of ten pipelines.
                m.identities
                    .push(entry(format!("svc:p{:04}*", p / 10), &mut line));
            }
            let me = |random: &mut Random| principals[random.below(principals.len())].clone();

            // Declared inputs, most of them seen in the logs.
            let mut reads: Vec<String> = Vec::new();
            for back in 1..=2 {
                if s >= back {
                    reads.push(output_of(p, s - back));
                }
            }
            if s == 0 || p % 4 == 0 {
                reads.push(raw_of(p));
            }
            if s > 0 {
                reads.push(output_of(random.below(pipelines), random.below(s)));
            }
            for dataset in &reads {
                let declared = entry(dataset.clone(), &mut line);
                if kind == NodeKind::Model && dataset.starts_with("raw.") {
                    m.training.push(declared);
                } else {
                    m.inputs.push(declared);
                }
                if random.chance(85) {
                    let who = me(&mut random);
                    record(&mut random, &who, dataset, Action::Read);
                }
            }
            if p % 30 == 0 && s >= 3 && kind_of(p, s - 3) == NodeKind::Model {
                m.inputs
                    .push(entry(format!("model:{}", name_of(p, s - 3)), &mut line));
            }
            if kind == NodeKind::Model && p % 25 == 0 && s >= 3 {
                m.base_models.push(entry(name_of(p, s - 3), &mut line));
            }
            // Undeclared reads, often of another pipeline's model.
            if s > 0 && random.chance(60) {
                let dataset = output_of(random.below(pipelines), random.below(s));
                let who = me(&mut random);
                record(&mut random, &who, &dataset, Action::Read);
            }

            // The output, and now and then an undeclared second one.
            m.outputs.push(entry(output_of(p, s), &mut line));
            if random.chance(90) {
                let who = me(&mut random);
                record(&mut random, &who, &output_of(p, s), Action::Write);
            }
            if random.chance(3) {
                let dataset = format!("scratch.p{p:05}.s{s:02}");
                let who = me(&mut random);
                record(&mut random, &who, &dataset, Action::Write);
            }

            if kind == NodeKind::Model {
                for next in [s + 1, s + 2] {
                    if next < STAGES && random.chance(70) {
                        let consumer = format!("{}:{}", kind_of(p, next), name_of(p, next));
                        m.consumers.push(entry(consumer, &mut line));
                    }
                }
                if p % 7 == 0 {
                    m.consumers
                        .push(entry(format!("service:p{p:05}-*"), &mut line));
                }
                if s == STAGES - 1 && p % 40 == 0 {
                    // A hidden loop: predictions shape the events the pipeline starts from.
                    m.influences.push(entry(raw_of(p), &mut line));
                }
                if p % 40 == 1 && !m.training.is_empty() {
                    // A direct loop: the model shapes its own training data.
                    m.influences.push(entry(raw_of(p), &mut line));
                }
            }
            manifests.push(m);
        }
        if p % 7 == 0 {
            let batch = format!("svc:p{p:05}-batch");
            for _ in 0..5 {
                let dataset = output_of(random.below(pipelines), random.below(STAGES));
                record(&mut random, &batch, &dataset, Action::Read);
            }
        }
    }
    for person in 0..PEOPLE {
        let principal = format!("user{person:05}@corp");
        for _ in 0..READS_PER_PERSON {
            let dataset = output_of(random.below(pipelines), random.below(STAGES));
            record(&mut random, &principal, &dataset, Action::Read);
        }
        if person % 100 == 0 {
            record(&mut random, &principal, &raw_of(person), Action::Write);
        }
    }
    Facts {
        manifests,
        manifest_files: (0..pipelines)
            .map(|p| format!("manifests/pipeline-{p:05}.yaml"))
            .collect(),
        log_files: (0..4).map(|i| format!("logs/access-{i}.jsonl")).collect(),
        observed,
        ..Facts::default()
    }
}

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

/// Like `best_of` for a step that consumes its input: each run gets a fresh copy, made before
/// the clock starts, so the copy is not timed as part of the step.
fn best_of_consuming<I: Clone, T>(
    runs: usize,
    input: &I,
    mut f: impl FnMut(I) -> T,
) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let copy = input.clone();
        let start = Instant::now();
        let value = f(copy);
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.unwrap_or_else(|| f(input.clone())))
}

/// A hash of the findings as JSON: equal hashes, equal output.
fn findings_hash(findings: &[Finding]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    for f in findings {
        hasher.write(&serde_json::to_vec(f).unwrap_or_default());
    }
    hasher.finish()
}

fn main() {
    lintage::allocator::prefer_small_pages();
    let runs: usize = std::env::var("LINTAGE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let start = Instant::now();
    let facts = facts();
    let settings = Settings::default();
    let (records, manifests) = (facts.observed.edge_count(), facts.manifests.len());
    println!(
        "facts: {manifests} manifests, {records} distinct log records (generated in {:.1?})",
        start.elapsed()
    );

    let mut rows: Vec<(String, Duration, Option<usize>)> = Vec::new();
    let mut build_time = Duration::MAX;
    let mut graph = None;
    for _ in 0..runs {
        let input = Facts {
            manifests: facts.manifests.clone(),
            manifest_files: facts.manifest_files.clone(),
            log_files: facts.log_files.clone(),
            observed: facts.observed.clone(),
            ..Facts::default()
        };
        let start = Instant::now();
        let built = lintage::graph::build(input, &settings).expect("the generated graph builds");
        build_time = build_time.min(start.elapsed());
        drop(graph.replace(built));
    }
    let graph = graph.expect("at least one run");
    println!(
        "graph: {} nodes, {} edges, {} models",
        graph.node_count(),
        graph.edge_count(),
        graph.nodes_of_kind(NodeKind::Model).count()
    );
    // `LINTAGE_BENCH_COLD=1`: `run_all` first, as a scan runs it right after the graph build,
    // before any rule has run in this process.
    if std::env::var_os("LINTAGE_BENCH_COLD").is_some_and(|v| !v.is_empty()) {
        let start = Instant::now();
        let findings = lintage::rules::run_all(&graph);
        println!(
            "rules::run_all right after the graph build (a scan's): {:.2?}, {} findings",
            start.elapsed(),
            findings.len()
        );
        return;
    }

    // References: touch every edge once; sort every (source, target) pair.
    let (pass, _) = best_of(runs, || {
        graph
            .graph
            .edge_indices()
            .filter(|&e| {
                let edge = std::hint::black_box(&graph.graph[e]);
                edge.is_declared() && edge.is_observed()
            })
            .count()
    });
    let (sort, _) = best_of(runs, || {
        let mut pairs: Vec<(u64, u32, u32)> = graph
            .graph
            .raw_edges()
            .iter()
            .map(|e| {
                let (a, b) = (e.source().index() as u32, e.target().index() as u32);
                // Scrambled, so the sort has work to do.
                let key = (u64::from(a) << 32 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                (key, a, b)
            })
            .collect();
        pairs.sort_unstable();
        pairs.len()
    });

    rows.push(("graph::build".into(), build_time, None));
    let (context_time, context) = best_of(runs, || Context::new(&graph));
    rows.push(("rules: context (SCCs)".into(), context_time, None));
    let mut findings = Vec::new();
    eprintln!("graph::build {build_time:.2?}, context {context_time:.2?}");
    for rule in RULES {
        let (time, found) = best_of(runs, || (rule.check)(&context));
        eprintln!("{} {:.2?} ({} findings)", rule.code, time, found.len());
        rows.push((
            format!("{} {}", rule.code, rule.name),
            time,
            Some(found.len()),
        ));
        findings.extend(found);
    }
    let (sort_time, ()) = best_of(1, || finding::sort(&mut findings));
    rows.push(("sort findings".into(), sort_time, None));
    let hash = findings_hash(&findings);
    let total_findings = findings.len();
    let (policy_time, outcome) = best_of_consuming(runs, &findings, |input| {
        lintage::policy::apply(input, &settings)
    });
    rows.push((
        "policy::apply".into(),
        policy_time,
        Some(outcome.findings.len()),
    ));

    // What a scan runs: the context, then the rules sharing the cores, then the sort. A scan
    // runs it once, on threads that start with no memory of their own: the first run here is
    // that; later ones reuse memory the earlier ones freed.
    let start = Instant::now();
    let first = lintage::rules::run_all(&graph);
    let first_run_time = start.elapsed();
    drop(first);
    let (run_all_time, together) = best_of(runs, || lintage::rules::run_all(&graph));
    assert_eq!(
        findings_hash(&together),
        hash,
        "run_all finds what the rules one by one find"
    );
    drop(together);

    let rules_total: Duration = rows
        .iter()
        .filter(|(name, ..)| {
            name.starts_with("LT") || name.starts_with("rules:") || name == "sort findings"
        })
        .map(|r| r.1)
        .sum();
    let all: Duration = rows.iter().map(|r| r.1).sum();
    println!("reference A: one pass over every edge: {pass:.2?}");
    println!(
        "reference B: sorting the {} edge pairs: {sort:.2?}",
        graph.edge_count()
    );
    println!();
    println!("| phase | best of {runs} | findings | × pass | × sort |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let row = |name: &str, time: Duration, count: Option<usize>| {
        println!(
            "| {name} | {time:.2?} | {} | {:.1} | {:.2} |",
            count.map_or(String::new(), |c| c.to_string()),
            time.as_secs_f64() / pass.as_secs_f64(),
            time.as_secs_f64() / sort.as_secs_f64()
        );
    };
    for (name, time, count) in &rows {
        row(name, *time, *count);
    }
    row(
        "all rules (context, rules, sort)",
        rules_total,
        Some(total_findings),
    );
    row("build + rules + policy", all, None);
    let threads = lintage::threads::count().min(RULES.len());
    row(
        &format!("rules::run_all as a scan runs it ({threads} threads), first run"),
        first_run_time,
        Some(total_findings),
    );
    row(
        &format!("rules::run_all as a scan runs it ({threads} threads), best of {runs}"),
        run_all_time,
        Some(total_findings),
    );
    println!();
    println!("findings hash: {hash:016x}");
}
