//! The command line: clap definitions, validated into settings, dispatched to one file per
//! subcommand. Exit codes: 0 fine, 1 findings at or above `--fail-on`, 2 usage or input error.

mod baseline;
mod check;
mod common;
mod diff;
mod export;
mod progress;
mod query;
mod rules;
mod scan;
mod sql;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "lintage",
    version,
    about = "Lints the lineage of machine-learning deployments"
)]
#[command(propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest manifests and logs under DIR, analyse the lineage, print findings, store a snapshot.
    Scan(scan::ScanArgs),
    /// Write the current findings to FILE as an accepted baseline.
    Baseline(baseline::BaselineArgs),
    /// Like scan, but only findings not in the baseline (or snapshot) count.
    Check(check::CheckArgs),
    /// How lineage and findings changed between two stored snapshots.
    Diff(diff::DiffArgs),
    /// Draw the lineage diagram with the debt on it: DOT, SVG, PNG, Mermaid or JSON.
    Export(export::ExportArgs),
    /// Who depends on a node, what it depends on, how two nodes connect, and impact.
    Query(query::QueryArgs),
    /// List the rule catalogue.
    Rules(rules::RulesArgs),
    /// Print the documentation of one rule.
    Explain(rules::ExplainArgs),
    Sql(sql::SqlArgs),
}

/// Where `--fail-on` draws the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A run's result: the exit code, or an error for stderr (exit 2).
pub type Outcome = Result<ExitCode, CliError>;

#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::error::Error> From<E> for CliError {
    fn from(error: E) -> CliError {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        CliError(text)
    }
}

pub fn main() -> ExitCode {
    lintage::timings::phase("");
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Baseline(args) => baseline::run(args),
        Command::Check(args) => check::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Export(args) => export::run(args),
        Command::Query(args) => query::run(args),
        Command::Rules(args) => rules::run_rules(args),
        Command::Explain(args) => rules::run_explain(args),
        Command::Sql(args) => sql::run(args),
    };
    match result {
        Ok(code) => code,
        Err(CliError(message)) => {
            // Errors quote names and values from other people's files: no terminal escapes.
            let message = lintage::report::text::clean_lines(&message);
            let _ = writeln!(std::io::stderr(), "lintage: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Writes a report to `-o FILE` or stdout. A closed pipe (`lintage scan | head`) is no error.
pub fn emit(output: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    Destination::open(output)?.write(|out| out.write_all(text.as_bytes()))
}

/// Where a command's output goes: the `-o` file, created (or truncated) when the command
/// opens it, so that a path that cannot be written fails before any other work; or stdout.
pub enum Destination {
    File(std::fs::File, PathBuf),
    Stdout,
}

impl Destination {
    pub fn open(output: Option<&PathBuf>) -> Result<Destination, CliError> {
        match output {
            Some(path) => std::fs::File::create(path)
                .map(|file| Destination::File(file, path.clone()))
                .map_err(|e| CliError(format!("{}: cannot write: {e}", path.display()))),
            None => Ok(Destination::Stdout),
        }
    }

    /// Runs `write` on the destination; `write` buffers small writes itself. A reader that
    /// closed stdout early (`| head`) is not an error.
    pub fn write(
        self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CliError> {
        match self {
            Destination::File(mut file, path) => write(&mut file)
                .map_err(|e| CliError(format!("{}: cannot write: {e}", path.display()))),
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                match write(&mut out).and_then(|()| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        Err(CliError(format!("cannot write to stdout: {e}")))
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Colour only on a terminal, never with NO_COLOR set, unless `--color always`.
pub fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !to_file
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
