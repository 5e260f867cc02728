//! Integration tests, linked into one binary: the `lintage` command as users run it.

mod util;

mod ci;
mod cli;
mod config;
mod determinism;
mod export;
mod formats;
mod fuzz_regressions;
mod golden;
mod hostile;
mod incremental;
mod ingest;
mod limits;
mod planted;
mod properties;
mod query;
mod rules;
mod sql_engine;
