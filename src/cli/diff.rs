//! `lintage diff [A] [B]`: how lineage and findings changed between two stored snapshots.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::common::{self, DEFAULT_DB};
use super::{Outcome, emit};
use lintage::diff;
use lintage::store::{Scope, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot: an id, `latest` or `latest~N`.
    #[arg(default_value = "latest~1")]
    from: String,
    /// The newer snapshot.
    #[arg(default_value = "latest")]
    to: String,
    #[arg(long, value_name = "PATH", default_value = DEFAULT_DB)]
    db: PathBuf,
    /// Count `latest` and `latest~N` among the snapshots of this deployment folder (default:
    /// the folder of the most recent snapshot).
    #[arg(long, value_name = "DIR")]
    deployment: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: DiffArgs) -> Outcome {
    let store = Store::open_read_only(&args.db)?;
    let root = match &args.deployment {
        Some(dir) => common::root_id(dir),
        None => store.load_info(store.resolve("latest")?)?.root,
    };
    let scope = Scope {
        root: Some(root),
        accepted_only: false,
    };
    let before = store.load(store.resolve_in(&args.from, &scope)?)?;
    let after = store.load(store.resolve_in(&args.to, &scope)?)?;
    let changes = diff::diff(&before, &after);
    let text = match args.format {
        Format::Text => diff::render_text(&changes),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&changes).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    emit(args.output.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
