//! Findings: what a rule reports, with the evidence that proves it, a fingerprint that
//! survives new log data, and one sort order for every output.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::graph::{Declaration, Seen};
use crate::node::NodeId;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoopKind {
    Direct,
    Hidden,
}

impl LoopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoopKind::Direct => "direct",
            LoopKind::Hidden => "hidden",
        }
    }
}

/// One piece of proof: a log record range or a manifest line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    Observed {
        file: Arc<str>,
        line: u64,
        count: u64,
        /// Kept as a time, written as RFC 3339 text: of a million evidence items a report
        /// shows few, and formatting each when it is made was a fifth of LT003's time.
        #[serde(serialize_with = "crate::time::serialize_rfc3339")]
        first_seen: Timestamp,
        #[serde(serialize_with = "crate::time::serialize_rfc3339")]
        last_seen: Timestamp,
        from: NodeId,
        to: NodeId,
    },
    Declared {
        file: String,
        line: usize,
        key: String,
        value: String,
    },
}

impl Evidence {
    pub fn observed(from: &NodeId, to: &NodeId, seen: &Seen) -> Evidence {
        Evidence::Observed {
            file: seen.file.clone(),
            line: seen.line,
            count: seen.count,
            first_seen: seen.first_seen,
            last_seen: seen.last_seen,
            from: from.clone(),
            to: to.clone(),
        }
    }

    pub fn declared(declaration: &Declaration, value: &str) -> Evidence {
        Evidence::Declared {
            file: declaration.file.clone(),
            line: declaration.line,
            key: declaration.key.key().to_string(),
            value: value.to_string(),
        }
    }

    pub fn manifest_line(file: &str, line: usize, key: &str, value: &str) -> Evidence {
        Evidence::Declared {
            file: file.to_string(),
            line,
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    pub subject: String,
    pub related: Vec<String>,
    pub path: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_kind: Option<LoopKind>,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub fingerprint: String,
}

impl Finding {
    pub fn new(
        rule: &crate::rules::Rule,
        severity: Severity,
        subject: &NodeId,
        related: Vec<String>,
        message: String,
    ) -> Finding {
        let mut finding = Finding {
            code: rule.code,
            rule: rule.name,
            severity,
            subject: subject.to_string(),
            related,
            path: Vec::new(),
            loop_kind: None,
            message,
            evidence: Vec::new(),
            fingerprint: String::new(),
        };
        finding.fingerprint = fingerprint(&finding);
        finding
    }

    pub fn with_path(mut self, path: Vec<String>) -> Finding {
        self.path = path;
        self
    }

    /// Attaches evidence in the order given (a loop's edges follow the loop), without repeats.
    pub fn with_evidence(mut self, mut evidence: Vec<Evidence>) -> Finding {
        // Most lists are short: comparing with the earlier items beats hashing copies.
        let keep: Vec<bool> = if evidence.len() <= 16 {
            (0..evidence.len())
                .map(|i| !evidence[..i].contains(&evidence[i]))
                .collect()
        } else {
            let mut seen: hashbrown::HashSet<&Evidence, foldhash::fast::FixedState> =
                hashbrown::HashSet::with_capacity_and_hasher(evidence.len(), Default::default());
            evidence.iter().map(|e| seen.insert(e)).collect()
        };
        if keep.contains(&false) {
            let mut keep = keep.into_iter();
            evidence.retain(|_| keep.next().unwrap_or(true));
        }
        self.evidence = evidence;
        self
    }

    fn sort_key(&self) -> (&str, &str, &[String], &[String]) {
        (self.code, &self.subject, &self.related, &self.path)
    }
}

/// Sorts findings as SPEC.md says: by code, subject, related, path.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// A stable id of what a finding is about: its code, subject and related nodes. Evidence,
/// messages, paths and severities do not enter it, so a baseline survives new log data.
pub fn fingerprint(finding: &Finding) -> String {
    // The hash of code, subject and related joined by U+001F, fed piece by piece.
    let mut hash = FNV_OFFSET;
    hash = fnv1a64_more(hash, finding.code.as_bytes());
    hash = fnv1a64_more(hash, &[0x1f]);
    hash = fnv1a64_more(hash, finding.subject.as_bytes());
    for related in &finding.related {
        hash = fnv1a64_more(hash, &[0x1f]);
        hash = fnv1a64_more(hash, related.as_bytes());
    }
    format!("{hash:016x}")
}

// FNV-1a: tiny, dependency-free and the same on every platform and release, which is all a
// fingerprint needs.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[cfg(test)]
fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_more(FNV_OFFSET, bytes)
}

/// Continues a hash over more bytes, as if they followed the ones hashed so far.
fn fnv1a64_more(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_hash_the_joined_text() {
        let finding = Finding {
            code: "LT004",
            rule: "undeclared-dependency",
            severity: Severity::Warning,
            subject: "job:a".into(),
            related: vec!["dataset:b".into(), "dataset:c".into()],
            path: Vec::new(),
            loop_kind: None,
            message: String::new(),
            evidence: Vec::new(),
            fingerprint: String::new(),
        };
        let text = "LT004\u{1f}job:a\u{1f}dataset:b\u{1f}dataset:c";
        assert_eq!(
            fingerprint(&finding),
            format!("{:016x}", fnv1a64(text.as_bytes()))
        );
    }

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}
