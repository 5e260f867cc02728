//! Golden reports of samples/: any change to what the sample reports shows up as a diff.
//! Regenerate with `LINTAGE_BLESS=1 cargo test golden` after checking the change is right.

use crate::util::{lintage, lintage_in, path_str, repo_path};

fn check_golden(args: &[&str], golden: &str) {
    check_run(lintage(args), golden);
}

/// Formats read by code hosts print paths relative to the current folder, so they run from
/// the repository root with the sample's relative path, as a CI job would.
fn check_golden_from_repo(format: &str, golden: &str) {
    let run = lintage_in(
        &repo_path(""),
        &["scan", "samples/payments", "--no-store", "--format", format],
    );
    check_run(run, golden);
}

fn check_run(run: crate::util::Run, golden: &str) {
    let path = repo_path(golden);
    if std::env::var_os("LINTAGE_BLESS").is_some() {
        std::fs::write(&path, &run.stdout).unwrap_or_else(|e| panic!("{golden}: {e}"));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{golden}: {e}"));
    if run.stdout != expected {
        let first_diff = run
            .stdout
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| run.stdout.lines().count().min(expected.lines().count()));
        panic!(
            "{golden} differs from line {}:\n  got:      {:?}\n  expected: {:?}\n(LINTAGE_BLESS=1 cargo test golden regenerates it)",
            first_diff + 1,
            run.stdout.lines().nth(first_diff),
            expected.lines().nth(first_diff)
        );
    }
}

#[test]
fn payments_json_report() {
    let sample = repo_path("samples/payments");
    check_golden(
        &["scan", path_str(&sample), "--format", "json"],
        "tests/golden/payments.json",
    );
}

#[test]
fn payments_text_report() {
    let sample = repo_path("samples/payments");
    check_golden(&["scan", path_str(&sample)], "tests/golden/payments.txt");
}

#[test]
fn payments_clean_has_no_error() {
    let sample = repo_path("samples/payments-clean");
    let run = lintage(&["scan", path_str(&sample), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["findings"]["error"], 0);
    check_golden(
        &["scan", path_str(&sample), "--format", "json"],
        "tests/golden/payments-clean.json",
    );
}

#[test]
fn payments_exercises_every_rule_with_evidence() {
    let sample = repo_path("samples/payments");
    let report = lintage(&["scan", path_str(&sample), "--format", "json"]).json();
    for rule in 1..=9 {
        let code = format!("LT{rule:03}");
        let findings = crate::util::of_code(&report, &code);
        assert!(
            !findings.is_empty(),
            "samples/payments does not exercise {code}"
        );
        for finding in findings {
            let evidence = finding["evidence"].as_array().cloned().unwrap_or_default();
            assert!(
                !evidence.is_empty(),
                "{code} {} has no evidence",
                finding["subject"]
            );
            for item in evidence {
                let file = sample.join(item["file"].as_str().unwrap_or_default());
                assert!(
                    file.is_file(),
                    "{code}: evidence names {file:?}, which does not exist"
                );
                assert!(item["line"].as_u64().unwrap_or(0) >= 1);
            }
        }
    }
}

#[test]
fn payments_sarif_report() {
    check_golden_from_repo("sarif", "tests/golden/payments.sarif");
}

#[test]
fn payments_github_report() {
    check_golden_from_repo("github", "tests/golden/payments.github.txt");
}

#[test]
fn payments_junit_report() {
    check_golden_from_repo("junit", "tests/golden/payments.junit.xml");
}

#[test]
fn payments_markdown_report() {
    check_golden_from_repo("markdown", "tests/golden/payments.md");
}
