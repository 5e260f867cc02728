//! lintage: lints the lineage of machine-learning deployments. Data flows one way:
//! files -> ingest -> graph -> rules -> findings -> policy -> report.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod allocator;
pub mod baseline;
pub mod config;
pub mod diagram;
pub mod diff;
pub mod finding;
pub mod glob;
pub mod graph;
pub mod identity;
pub mod ingest;
pub mod names;
pub mod node;
pub mod pipeline;
pub mod policy;
pub mod query;
pub mod report;
pub mod rules;
pub mod scaleout;
pub mod store;
pub mod threads;
pub mod time;
pub mod timings;
