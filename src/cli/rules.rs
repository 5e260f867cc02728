//! `lintage rules` and `lintage explain CODE`: the rule catalogue and its documentation.

use std::fmt::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{CliError, Outcome, emit};
use lintage::rules::{RULES, lookup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (LT001) or name (undeclared-consumer).
    code: String,
}

#[derive(Serialize)]
struct RuleJson {
    code: &'static str,
    name: &'static str,
    default_severity: &'static str,
    summary: &'static str,
}

pub fn run_rules(args: RulesArgs) -> Outcome {
    let text = match args.format {
        Format::Text => {
            let mut out = String::new();
            for rule in RULES {
                let _ = writeln!(
                    out,
                    "{}  {:<22} {:<8} {}",
                    rule.code,
                    rule.name,
                    rule.default_severity.as_str(),
                    rule.summary
                );
            }
            out.push_str("\n`lintage explain CODE` prints a rule's documentation.\n");
            out
        }
        Format::Json => {
            let rules: Vec<RuleJson> = RULES
                .iter()
                .map(|r| RuleJson {
                    code: r.code,
                    name: r.name,
                    default_severity: r.default_severity.as_str(),
                    summary: r.summary,
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&rules).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    emit(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_explain(args: ExplainArgs) -> Outcome {
    let rule = lookup(&args.code).ok_or_else(|| {
        CliError(format!(
            "unknown rule `{}`; `lintage rules` lists the codes (LT001 to LT{:03})",
            args.code,
            RULES.len()
        ))
    })?;
    emit(None, rule.docs)?;
    Ok(ExitCode::SUCCESS)
}
