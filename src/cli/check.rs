//! `lintage check [DIR] --baseline FILE | --against REF`: like scan, but only findings the
//! baseline does not know count toward the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::common::{self, InputArgs, OutputArgs, StoreArgs};
use super::{CliError, Outcome};
use lintage::baseline::{BaselineEntry, BaselineFile, BaselineStatus};
use lintage::store::{Scope, Store};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("accepted").required(true).args(["baseline", "against"])))]
pub struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    /// A baseline file written by `lintage baseline`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Compare with a stored snapshot instead: `latest`, `latest~N` or a snapshot id.
    #[arg(long, value_name = "SNAPSHOT")]
    against: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(args: CheckArgs) -> Outcome {
    // Resolve a stored snapshot before this run records its own.
    let accepted = match (&args.baseline, &args.against) {
        (Some(path), _) => BaselineFile::load(path)?,
        (None, Some(reference)) => from_snapshot(&args.store.db, reference, &args.input.dir)?,
        (None, None) => {
            return Err(CliError(
                "give --baseline FILE or --against SNAPSHOT".into(),
            ));
        }
    };
    let (analysis, caches) = common::analyze_cached(&args.input, &args.store)?;
    let status = BaselineStatus::compare(&analysis.outcome.findings, &accepted);
    let root = common::root_label(&args.input.dir);
    let mut report = common::scan_report(&analysis, &root, args.output.fail_on);
    report.baseline = Some(&status);
    let (input, store, output) = (&args.input, &args.store, &args.output);
    let recorder = common::Recorder {
        input,
        store,
        command: "check",
        recording: common::Recording::After,
        caches,
    };
    let failed = common::report_and_record(&report, &analysis, output, recorder)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The findings of a stored snapshot as a baseline. `latest` and `latest~N` count only
/// snapshots of this deployment, and never one recorded by a failed `check`: otherwise
/// re-running a failed check would compare the deployment with itself and pass.
fn from_snapshot(
    db: &std::path::Path,
    reference: &str,
    dir: &std::path::Path,
) -> Result<BaselineFile, CliError> {
    let store = Store::open_read_only(db)?;
    let scope = Scope {
        root: Some(common::root_id(dir)),
        accepted_only: true,
    };
    let id = store.resolve_in(reference, &scope)?;
    let snapshot = store.load(id)?;
    Ok(BaselineFile {
        tool: "lintage".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        findings: snapshot
            .findings
            .into_iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint,
                code: f.code,
                subject: f.subject,
                related: f.related,
                message: f.message,
                reason: format!("snapshot {id}"),
            })
            .collect(),
    })
}
