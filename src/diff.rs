//! How lineage changed between two snapshots: edges that appeared or disappeared (declared
//! and observed separately) and findings that are new or resolved.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::store::{Snapshot, StoredFinding};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EdgeRef {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EdgeChanges {
    pub added: Vec<EdgeRef>,
    pub removed: Vec<EdgeRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    pub fingerprint: String,
    pub code: String,
    pub rule: String,
    pub severity: String,
    pub subject: String,
    pub related: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotRef {
    pub id: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingChanges {
    pub new: Vec<FindingRef>,
    pub resolved: Vec<FindingRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeKinds {
    pub declared: EdgeChanges,
    pub observed: EdgeChanges,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub from: SnapshotRef,
    pub to: SnapshotRef,
    pub edges: EdgeKinds,
    pub findings: FindingChanges,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        let e = &self.edges;
        e.declared.added.is_empty()
            && e.declared.removed.is_empty()
            && e.observed.added.is_empty()
            && e.observed.removed.is_empty()
            && self.findings.new.is_empty()
            && self.findings.resolved.is_empty()
    }
}

pub fn diff(before: &Snapshot, after: &Snapshot) -> Diff {
    let edges =
        |snapshot: &Snapshot, pick: fn(&crate::store::StoredEdge) -> bool| -> BTreeSet<EdgeRef> {
            snapshot
                .edges
                .iter()
                .filter(|e| pick(e))
                .map(|e| EdgeRef {
                    from: e.source.clone(),
                    to: e.target.clone(),
                })
                .collect()
        };
    let changes = |pick: fn(&crate::store::StoredEdge) -> bool| {
        let (a, b) = (edges(before, pick), edges(after, pick));
        EdgeChanges {
            added: b.difference(&a).cloned().collect(),
            removed: a.difference(&b).cloned().collect(),
        }
    };
    let prints = |s: &Snapshot| -> BTreeSet<String> {
        s.findings.iter().map(|f| f.fingerprint.clone()).collect()
    };
    let (a_prints, b_prints) = (prints(before), prints(after));
    Diff {
        from: SnapshotRef {
            id: before.info.id,
            created_at: before.info.created_at.clone(),
        },
        to: SnapshotRef {
            id: after.info.id,
            created_at: after.info.created_at.clone(),
        },
        edges: EdgeKinds {
            declared: changes(|e| e.declared),
            observed: changes(|e| e.observed),
        },
        findings: FindingChanges {
            new: after
                .findings
                .iter()
                .filter(|f| !a_prints.contains(&f.fingerprint))
                .map(finding_ref)
                .collect(),
            resolved: before
                .findings
                .iter()
                .filter(|f| !b_prints.contains(&f.fingerprint))
                .map(finding_ref)
                .collect(),
        },
    }
}

fn finding_ref(f: &StoredFinding) -> FindingRef {
    FindingRef {
        fingerprint: f.fingerprint.clone(),
        code: f.code.clone(),
        rule: f.rule.clone(),
        severity: f.severity.clone(),
        subject: f.subject.clone(),
        related: f.related.clone(),
        message: f.message.clone(),
    }
}

/// The text form of a diff.
pub fn render_text(diff: &Diff) -> String {
    use std::fmt::Write;
    let clean = crate::report::text::clean;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "snapshot {} ({}) -> snapshot {} ({})",
        diff.from.id, diff.from.created_at, diff.to.id, diff.to.created_at
    );
    for (name, changes) in [
        ("declared", &diff.edges.declared),
        ("observed", &diff.edges.observed),
    ] {
        let _ = writeln!(
            out,
            "{name} edges: +{} -{}",
            changes.added.len(),
            changes.removed.len()
        );
        for e in &changes.added {
            let _ = writeln!(out, "  + {} -> {}", clean(&e.from), clean(&e.to));
        }
        for e in &changes.removed {
            let _ = writeln!(out, "  - {} -> {}", clean(&e.from), clean(&e.to));
        }
    }
    let f = &diff.findings;
    let _ = writeln!(
        out,
        "findings: {} new, {} resolved",
        f.new.len(),
        f.resolved.len()
    );
    for (sign, list) in [("+", &f.new), ("-", &f.resolved)] {
        for finding in list {
            let related = if finding.related.is_empty() {
                String::new()
            } else {
                format!(" ({})", clean(&finding.related.join(", ")))
            };
            let _ = writeln!(
                out,
                "  {sign} {}[{}] {}: {}{related}",
                finding.severity,
                finding.code,
                finding.rule,
                clean(&finding.subject)
            );
        }
    }
    if diff.is_empty() {
        out.push_str("no changes\n");
    }
    out
}
