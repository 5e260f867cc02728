//! `lintage sql --engine ENGINE`: prints the query that aggregates a raw access-log table in
//! DuckDB, Spark, BigQuery, Trino or Snowflake into lines lintage ingests as a native log.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{Outcome, emit};
use lintage::config::Settings;
use lintage::scaleout::{self, Engine, OutputKeys, RawTable};

const ABOUT: &str = "Print the SQL that pre-aggregates a raw access-log table in DuckDB, Spark, BigQuery, Trino or Snowflake";

const LONG_ABOUT: &str = "\
Print the SQL that pre-aggregates a raw access-log table where it lives into lintage's
pre-aggregated NDJSON form, for logs too big to copy to one machine.

The table has one row per access, with principal, action, resource and ts columns (their
names are flags). The query returns one column, `line`: one JSON object per principal, action
and resource, with `count`, `first_seen` and `last_seen` (RFC 3339, UTC), sorted. Save those
lines as a .jsonl file in the deployment and `lintage scan` reads it like any access log.
Rows with a NULL in one of the four columns are left out. `ts` should be a timestamp; one
without a time zone is taken as UTC (run Trino and Snowflake sessions in UTC for those).";

const AFTER_HELP: &str = "\
Example:
  duckdb logs.db -noheader -list -c \"$(lintage sql --engine duckdb --table raw.access)\" \\
      > deploy/logs/aggregated.jsonl
  lintage scan deploy";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Duckdb,
    Spark,
    Bigquery,
    Trino,
    Snowflake,
}

impl From<EngineArg> for Engine {
    fn from(engine: EngineArg) -> Engine {
        match engine {
            EngineArg::Duckdb => Engine::DuckDb,
            EngineArg::Spark => Engine::Spark,
            EngineArg::Bigquery => Engine::BigQuery,
            EngineArg::Trino => Engine::Trino,
            EngineArg::Snowflake => Engine::Snowflake,
        }
    }
}

#[derive(Debug, Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct SqlArgs {
    /// The SQL dialect to write.
    #[arg(long, value_enum)]
    engine: EngineArg,
    /// The raw log table; `schema.table` and `catalog.schema.table` are quoted part by part
    /// [default: access_log].
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// The column of the principal (who accessed) [default: principal].
    #[arg(long, value_name = "COLUMN")]
    principal: Option<String>,
    /// The column of the action (`read` / `write`, or values lintage.toml maps) [default: action].
    #[arg(long, value_name = "COLUMN")]
    action: Option<String>,
    /// The column of the resource (table, path, topic, ...) [default: resource].
    #[arg(long, value_name = "COLUMN")]
    resource: Option<String>,
    /// The column of the access time, a timestamp [default: ts].
    #[arg(long, value_name = "COLUMN")]
    ts: Option<String>,
    /// A deployment folder whose lintage.toml `[logs.fields]` gives the default column names
    /// and the output's JSON keys, so that a scan of that folder reads the result.
    #[arg(long, value_name = "DIR")]
    deployment: Option<PathBuf>,
    /// Write the query to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: SqlArgs) -> Outcome {
    let (mut table, keys) = match &args.deployment {
        Some(dir) => {
            let settings = Settings::load(dir)?;
            (
                RawTable::from_fields(&settings.fields),
                OutputKeys::from_fields(&settings.fields),
            )
        }
        None => (RawTable::default(), OutputKeys::default()),
    };
    let overrides = [
        (args.table, &mut table.table),
        (args.principal, &mut table.principal),
        (args.action, &mut table.action),
        (args.resource, &mut table.resource),
        (args.ts, &mut table.ts),
    ];
    for (flag, slot) in overrides {
        if let Some(value) = flag {
            *slot = value;
        }
    }
    let sql = scaleout::aggregate_sql(args.engine.into(), &table, &keys)?;
    emit(args.output.as_ref(), &sql)?;
    Ok(ExitCode::SUCCESS)
}
