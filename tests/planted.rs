//! A generated deployment of a few hundred entities with planted debt, checked against the
//! findings an independent oracle (tests/planted/oracle.py) derived from SPEC.md alone.

use std::collections::BTreeSet;

use crate::util::{lintage, path_str, repo_path, str_of};
use serde_json::Value;

fn key(finding: &Value, chain_len: Option<u64>) -> String {
    let related: Vec<&str> = finding["related"]
        .as_array()
        .into_iter()
        .flatten()
        .map(str_of)
        .collect();
    let mut key = format!(
        "{} {} [{}] {}",
        str_of(&finding["code"]),
        str_of(&finding["subject"]),
        related.join(","),
        str_of(&finding["severity"])
    );
    if let Some(kind) = finding["loop_kind"].as_str() {
        key.push_str(&format!(" loop={kind}"));
    }
    if let Some(len) = chain_len {
        key.push_str(&format!(" chain={len}"));
    }
    key
}

#[test]
fn lintage_finds_exactly_what_the_oracle_expects() {
    let deployment = repo_path("tests/planted/deployment");
    let run = lintage(&["scan", path_str(&deployment), "--format", "json"]);
    let report = run.json();
    let expected_text =
        std::fs::read_to_string(repo_path("tests/planted/expected.json")).unwrap_or_default();
    let expected: Vec<Value> = serde_json::from_str(&expected_text).unwrap_or_default();
    assert!(expected.len() > 100, "expected.json is missing or small");

    let got: BTreeSet<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let chain =
                (f["code"] == "LT003").then(|| f["path"].as_array().map_or(0, Vec::len) as u64);
            key(f, chain)
        })
        .collect();
    let want: BTreeSet<String> = expected
        .iter()
        .map(|f| key(f, f["chain_len"].as_u64()))
        .collect();
    let missing: Vec<&String> = want.difference(&got).collect();
    let extra: Vec<&String> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );

    // Paths are well-formed: loops start and end at their subject, chains end at theirs.
    for finding in report["findings"].as_array().into_iter().flatten() {
        let path: Vec<&str> = finding["path"]
            .as_array()
            .into_iter()
            .flatten()
            .map(str_of)
            .collect();
        let subject = str_of(&finding["subject"]);
        match str_of(&finding["code"]) {
            "LT002" => {
                assert!(path.len() >= 2 && path[0] == subject && path[path.len() - 1] == subject)
            }
            "LT003" => {
                assert_eq!(path.last().copied(), Some(subject));
                assert!(path.iter().all(|p| p.starts_with("model:")));
            }
            _ => assert!(path.is_empty()),
        }
    }
}
