//! `vital explain`: the waterfall behind one account's scores, for people.

use super::{fail, load_scoring, parse_date_arg};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_input::{Reader, RejectionLog, Select};

#[derive(clap::Args)]
pub struct Args {
    /// The rule set (a directory or files).
    #[arg(long, default_value = ".")]
    rules: PathBuf,
    /// Snapshot files, as for `vital run`.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The account to explain.
    #[arg(long)]
    account: String,
    /// Explain the latest snapshot on or before this date.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    as_of: Option<chrono::NaiveDate>,
}

pub fn run(args: Args) -> ExitCode {
    let (loaded, inputs) = match load_scoring(&args.rules, &args.files) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(ruleset) = loaded.ruleset() else {
        return ExitCode::from(1);
    };
    let engine = vital_eval::Engine::new(ruleset);
    let schema = vital_eval::Schema::new(ruleset);
    let account = args.account;
    let mut reader = match Reader::new(&schema, inputs, Select::Account(account.clone())) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    let mut log = RejectionLog::default();
    let mut group = Vec::new();
    let mut records = 0;
    loop {
        match reader.next_batch() {
            Ok(Some(batch)) => {
                records += batch.records;
                for r in &batch.rejections {
                    log.record(r, &mut errors);
                }
                group.extend(batch.groups.into_iter().flatten());
            }
            Ok(None) => break,
            Err(e) => return fail(e),
        }
    }
    log.finish(records, &|s| reader.column_hint(s), &mut errors);
    for line in reader.warnings() {
        let _ = writeln!(errors, "{line}");
    }
    let pick = group
        .iter()
        .enumerate()
        .filter(|(_, s)| args.as_of.is_none_or(|d| s.as_of <= d))
        .max_by_key(|(_, s)| s.as_of)
        .map(|(i, _)| i);
    let Some(idx) = pick else {
        return fail(match args.as_of {
            Some(d) => format!(
                "no snapshot of account `{account}` on or before {}",
                d.format("%Y-%m-%d")
            ),
            None => format!("no snapshot of account `{account}` in the input"),
        });
    };
    let outcomes = engine.evaluate_group(&group, true);
    let text =
        vital_eval::explain::explain_text(&engine, &loaded.sources, &group, idx, &outcomes[idx]);
    print!("{text}");
    if log.total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
