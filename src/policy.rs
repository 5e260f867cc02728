//! Applies the user's policy to the rules' findings, in one place: severity overrides, rules
//! turned off, and allowlist entries (each with a reason; unused ones are reported).

use crate::config::{AllowEntry, Settings};
use crate::finding::{self, Finding};

#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings that stand, sorted.
    pub findings: Vec<Finding>,
    /// Findings an allowlist entry accepted, with the index of that entry.
    pub allowed: Vec<(Finding, usize)>,
    /// Allowlist entries that matched nothing.
    pub unused_allow: Vec<AllowEntry>,
}

pub fn apply(findings: Vec<Finding>, settings: &Settings) -> Outcome {
    let mut outcome = Outcome {
        // Usually most findings stand: one allocation, not a copy of them per doubling.
        findings: Vec::with_capacity(findings.len()),
        ..Outcome::default()
    };
    let mut used = vec![false; settings.allow.len()];
    for mut finding in findings {
        match settings.severities.get(finding.code) {
            Some(None) => continue,
            Some(Some(severity)) => finding.severity = *severity,
            None => {}
        }
        let allowed_by = settings
            .allow
            .iter()
            .position(|entry| allows(entry, &finding));
        match allowed_by {
            Some(index) => {
                used[index] = true;
                outcome.allowed.push((finding, index));
            }
            None => outcome.findings.push(finding),
        }
    }
    finding::sort(&mut outcome.findings);
    outcome.unused_allow = settings
        .allow
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(entry, _)| entry.clone())
        .collect();
    outcome
}

fn allows(entry: &AllowEntry, finding: &Finding) -> bool {
    entry.code == finding.code
        && entry
            .subject
            .as_ref()
            .is_none_or(|glob| glob.matches(&finding.subject))
        && entry
            .related
            .as_ref()
            .is_none_or(|glob| finding.related.iter().any(|r| glob.matches(r)))
}
