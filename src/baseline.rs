//! Baselines: the findings a team has accepted, as a sorted, reviewable JSON file, and how a
//! scan's findings compare with it (new, known, resolved).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// One accepted finding. `reason` is for people: why it is accepted, or a ticket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub code: String,
    pub subject: String,
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineFile {
    pub tool: String,
    pub version: String,
    pub findings: Vec<BaselineEntry>,
}

impl BaselineEntry {
    pub fn from_finding(finding: &Finding) -> BaselineEntry {
        BaselineEntry {
            fingerprint: finding.fingerprint.clone(),
            code: finding.code.to_string(),
            subject: finding.subject.clone(),
            related: finding.related.clone(),
            message: finding.message.clone(),
            reason: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a lintage baseline: {message}")]
    Parse {
        path: String,
        line: usize,
        message: String,
    },
}

impl BaselineFile {
    /// A baseline of these findings, sorted by (code, subject, related); reasons already
    /// written in `previous` are kept, so updating a baseline does not lose them.
    pub fn new(findings: &[Finding], previous: Option<&BaselineFile>) -> BaselineFile {
        let mut entries: Vec<BaselineEntry> =
            findings.iter().map(BaselineEntry::from_finding).collect();
        if let Some(previous) = previous {
            for entry in &mut entries {
                if let Some(old) = previous
                    .findings
                    .iter()
                    .find(|o| o.fingerprint == entry.fingerprint)
                {
                    entry.reason = old.reason.clone();
                }
            }
        }
        entries.sort_by(|a, b| {
            (&a.code, &a.subject, &a.related).cmp(&(&b.code, &b.subject, &b.related))
        });
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        BaselineFile {
            tool: "lintage".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            findings: entries,
        }
    }

    pub fn load(path: &Path) -> Result<BaselineFile, BaselineError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: display.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| BaselineError::Parse {
            path: display,
            line: e.line(),
            message: e.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn fingerprints(&self) -> BTreeSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }
}

/// How a scan compares with a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineStatus {
    /// Fingerprints of current findings that the baseline already accepts.
    pub known: BTreeSet<String>,
    /// Baseline entries that match no current finding: fixed, so the baseline can shrink.
    pub resolved: Vec<BaselineEntry>,
}

impl BaselineStatus {
    pub fn compare(findings: &[Finding], baseline: &BaselineFile) -> BaselineStatus {
        let accepted = baseline.fingerprints();
        let current: BTreeSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        BaselineStatus {
            known: findings
                .iter()
                .filter(|f| accepted.contains(f.fingerprint.as_str()))
                .map(|f| f.fingerprint.clone())
                .collect(),
            resolved: baseline
                .findings
                .iter()
                .filter(|e| !current.contains(e.fingerprint.as_str()))
                .cloned()
                .collect(),
        }
    }

    pub fn is_new(&self, finding: &Finding) -> bool {
        !self.known.contains(&finding.fingerprint)
    }
}
