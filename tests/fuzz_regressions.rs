//! The fuzzers' inputs as tests of the normal suite: every crash input they found (kept,
//! minimised, under `fuzz/regressions/TARGET/`) and every seed (`fuzz/seeds/TARGET/`) is
//! replayed through the fuzz target's own code (`fuzz/src/lib.rs`), without cargo-fuzz.

use std::path::{Path, PathBuf};

#[path = "../fuzz/src/lib.rs"]
mod targets;

fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(name)
}

/// Runs every file under `fuzz/FOLDER/TARGET/` through TARGET; returns how many ran, and
/// fails naming each input that panics.
fn replay(name: &str) -> usize {
    let root = folder(name);
    let known: Vec<&str> = targets::TARGETS.iter().map(|(t, _)| *t).collect();
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.filter_map(Result::ok) {
            let dir = entry.file_name().to_string_lossy().into_owned();
            assert!(
                known.contains(&dir.as_str()),
                "fuzz/{name}/{dir} is named after no fuzz target (known: {known:?})"
            );
        }
    }
    let mut ran = 0;
    let mut failed = Vec::new();
    for (target, check) in targets::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(file.display().to_string());
            }
            ran += 1;
        }
    }
    assert!(failed.is_empty(), "these inputs panic: {failed:#?}");
    ran
}

#[test]
fn crash_inputs_found_by_fuzzing_stay_fixed() {
    replay("regressions");
}

#[test]
fn fuzz_seeds_pass_every_check() {
    assert!(replay("seeds") > 0);
}

#[test]
fn every_target_has_a_fuzz_target_and_seeds() {
    for (target, _) in targets::TARGETS {
        let source = folder("fuzz_targets").join(format!("{target}.rs"));
        assert!(source.is_file(), "{} is missing", source.display());
        let seeds = std::fs::read_dir(folder("seeds").join(target)).map_or(0, |d| d.count());
        assert!(seeds > 0, "fuzz/seeds/{target} holds no seed");
    }
}
