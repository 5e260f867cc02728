//! A small harness: a deployment in a temporary folder, and `lintage` run on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub struct Deployment {
    dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// `(code, subject, related...)` of every finding, in report order.
    pub fn findings(&self) -> Vec<String> {
        finding_keys(&self.json())
    }
}

pub fn finding_keys(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|findings| {
            findings
                .iter()
                .map(|f| {
                    let mut key = format!("{} {}", str_of(&f["code"]), str_of(&f["subject"]));
                    for related in f["related"].as_array().into_iter().flatten() {
                        key.push(' ');
                        key.push_str(str_of(related));
                    }
                    key
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// The findings of one code.
pub fn of_code<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] == code)
        .collect()
}

impl Deployment {
    pub fn new() -> Deployment {
        Deployment {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Deployment {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {parent:?}: {e}"));
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        self
    }

    /// A gzip-compressed file.
    pub fn gz_file(&self, relative: &str, contents: &str) -> &Deployment {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(contents.as_bytes());
        let bytes = encoder.finish().unwrap_or_default();
        self.file(relative, bytes)
    }

    /// `lintage scan DIR --format json ARGS...`
    pub fn scan_json(&self, args: &[&str]) -> Run {
        let mut all = vec!["scan", path_str(self.path()), "--format", "json"];
        all.extend_from_slice(args);
        lintage(&all)
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 temp path"))
}

/// Runs lintage in a fresh empty folder, so that the snapshots scans record by default
/// (`.lintage/lintage.db` under the current folder) never land in the repository.
pub fn lintage(args: &[&str]) -> Run {
    let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    lintage_in(cwd.path(), args)
}

/// Runs lintage in `cwd`.
pub fn lintage_in(cwd: &Path, args: &[&str]) -> Run {
    lintage_with_env(cwd, args, &[])
}

/// Runs lintage in `cwd` with extra environment variables.
pub fn lintage_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_lintage"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run lintage: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// One native access-log line on day `day` of November 2026.
pub fn log(day: u32, principal: &str, action: &str, resource: &str) -> String {
    format!(
        "{{\"ts\":\"2026-11-{day:02}T12:00:00Z\",\"principal\":\"{principal}\",\"action\":\"{action}\",\"resource\":\"{resource}\"}}\n"
    )
}

pub fn logs(lines: &[(u32, &str, &str, &str)]) -> String {
    lines.iter().map(|(d, p, a, r)| log(*d, p, a, r)).collect()
}

/// Validates a JSON document against a JSON Schema file under tests/schemas.
pub fn assert_valid(schema_file: &str, document: &Value) {
    let schema_text = std::fs::read_to_string(repo_path(&format!("tests/schemas/{schema_file}")))
        .unwrap_or_else(|e| panic!("{schema_file}: {e}"));
    // The SARIF 2.1.0 schema as published has a stray `]` in its `language` patterns, which
    // is no valid regex; Errata 01 corrected it (oasis-tcs/sarif-spec#488). lintage never
    // writes `language`, so the correction cannot hide a problem in its output.
    let schema_text = schema_text.replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: Value =
        serde_json::from_str(&schema_text).unwrap_or_else(|e| panic!("{schema_file}: {e}"));
    let validator =
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{schema_file}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema_file} violations:\n{}",
        errors.join("\n")
    );
}

/// Parses XML with quick-xml: every element closed, nothing unparseable.
pub fn assert_xml_well_formed(text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not XML: {e}\n{text}"),
        }
    }
    assert_eq!(depth, 0);
}
