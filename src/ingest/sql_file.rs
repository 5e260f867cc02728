//! Standalone `.sql` files: a job's code. The file `etl/daily_orders.sql` declares the job
//! `job:daily_orders`, whose inputs are the tables its statements read and whose outputs are the
//! tables they write (extracted as for SQL in logs, see `sql.rs`). The SQL says what the job is
//! written to do, so these are declared edges; what it really did comes from the logs.

use super::manifest::{Entry, Manifest};
use super::sql::{self, SqlDialect};
use crate::node::NodeKind;

/// Whether a file name is a SQL file.
pub fn is_sql_file(display: &str) -> bool {
    display.to_ascii_lowercase().ends_with(".sql")
}

/// What a SQL file declares.
#[derive(Debug, Default)]
pub struct SqlFile {
    /// The job; `None` when no statement that parses touches a table (a `SET`, a `GRANT`).
    pub job: Option<Manifest>,
    /// Why each statement that does not parse was passed over, with its line.
    pub skipped: Vec<String>,
}

/// Reads a SQL file statement by statement: a statement that does not parse is passed over
/// (and said why) and the others still count.
pub fn read(text: &str, display: &str, dialect: Option<SqlDialect>) -> SqlFile {
    let (tables, errors) = sql::extract_tables_by_statement(text, dialect);
    let skipped = errors.into_iter().map(|e| e.to_string()).collect();
    if tables.reads.is_empty() && tables.writes.is_empty() {
        return SqlFile { job: None, skipped };
    }
    let mut manifest = Manifest::new(display, 1, NodeKind::Job, job_name(display));
    let entry = |table: &String| Entry {
        value: format!("dataset:{table}"),
        line: 1,
    };
    manifest.inputs = tables.reads.iter().map(entry).collect();
    manifest.outputs = tables.writes.iter().map(entry).collect();
    manifest
        .attributes
        .insert("sql_file".to_string(), display.to_string());
    SqlFile {
        job: Some(manifest),
        skipped,
    }
}

/// The file name without its folders and its `.sql`.
fn job_name(display: &str) -> &str {
    let base = display.rsplit('/').next().unwrap_or(display);
    match base.len().checked_sub(4) {
        Some(cut) if base.is_char_boundary(cut) && base[cut..].eq_ignore_ascii_case(".sql") => {
            &base[..cut]
        }
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sql_file_declares_a_job_named_after_it() {
        let text = "-- nightly\nWITH r AS (SELECT * FROM raw.orders)\n\
                    INSERT INTO mart.orders SELECT * FROM r JOIN raw.customers c ON true;\n";
        let read = read(text, "etl/Daily_Orders.SQL", None);
        assert!(read.skipped.is_empty());
        let manifest = read.job.unwrap_or_else(|| panic!("no job"));
        assert_eq!(manifest.id().to_string(), "job:Daily_Orders");
        let values =
            |entries: &[Entry]| entries.iter().map(|e| e.value.clone()).collect::<Vec<_>>();
        assert_eq!(
            values(&manifest.inputs),
            ["dataset:raw.customers", "dataset:raw.orders"]
        );
        assert_eq!(values(&manifest.outputs), ["dataset:mart.orders"]);
    }

    #[test]
    fn sql_without_tables_declares_nothing() {
        let read = read("SET search_path = x;", "a.sql", None);
        assert!(read.job.is_none() && read.skipped.is_empty());
    }

    #[test]
    fn a_statement_that_does_not_parse_is_passed_over_with_its_line() {
        let text = "INSERT INTO a SELECT * FROM b;\n\nSELEC broken FROM;\nINSERT INTO c SELECT * FROM d;\n";
        let read = read(text, "x.sql", None);
        let job = read.job.unwrap_or_else(|| panic!("no job"));
        let outputs: Vec<_> = job.outputs.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(outputs, ["dataset:a", "dataset:c"]);
        assert_eq!(read.skipped.len(), 1);
        assert!(read.skipped[0].contains("Line: 3"), "{}", read.skipped[0]);
    }
}
