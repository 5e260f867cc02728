//! `lintage baseline [DIR] -o FILE`: accept the current findings as known debt.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::common::{self, InputArgs};
use super::{CliError, Outcome, emit};
use lintage::baseline::BaselineFile;

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The baseline file to write. An existing one is updated: reasons written in it are kept.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: BaselineArgs) -> Outcome {
    let analysis = common::analyze(&args.input)?;
    let previous = if args.output.exists() {
        Some(BaselineFile::load(&args.output)?)
    } else {
        None
    };
    let baseline = BaselineFile::new(&analysis.outcome.findings, previous.as_ref());
    emit(Some(&args.output), &baseline.to_json())?;
    let kept = previous.map_or(0, |p| {
        let before = p.fingerprints();
        baseline
            .findings
            .iter()
            .filter(|e| before.contains(e.fingerprint.as_str()))
            .count()
    });
    eprintln_note(&format!(
        "wrote {} finding{} to {} ({} already there)",
        baseline.findings.len(),
        if baseline.findings.len() == 1 {
            ""
        } else {
            "s"
        },
        args.output.display(),
        kept
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn eprintln_note(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "lintage: {text}");
    Ok(())
}
