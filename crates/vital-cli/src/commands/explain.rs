//! `vital explain`: the waterfall behind one account's scores, for people.

use super::project::load_scoring;
use super::run::history::StoredHistory;
use super::{fail, parse_date_arg};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_input::{Reader, RejectionLog, Select};

#[derive(clap::Args)]
pub struct Args {
    /// The rule set (a directory or files; default: the project's, else `.`).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A rule set of vital.toml, by name.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Snapshot files, as for `vital run` (default: the project's `inputs`).
    files: Vec<PathBuf>,
    /// The account to explain.
    #[arg(long)]
    account: Option<String>,
    /// Explain the latest snapshot on or before this date.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    as_of: Option<chrono::NaiveDate>,
    /// The history store `previous`/`change` read, as `vital run`'s: a
    /// SQLite file or a postgres:// URL (default: `[history] store` of
    /// vital.toml).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    // `vital explain acme`: the account given where a file goes
    let Some(account) = args.account.clone() else {
        let guess = match args.files.as_slice() {
            [one] if !one.exists() => format!(
                " — is `{}` the account? write `vital explain --account {}`",
                one.display(),
                one.display()
            ),
            _ => String::new(),
        };
        // a usage error, as clap's own (exit 2)
        eprintln!("error: `vital explain` needs `--account ID`{guess}");
        return ExitCode::from(2);
    };
    let scoring = match load_scoring(args.rules.as_deref(), &args.files, args.ruleset.as_deref()) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let loaded = &scoring.loaded;
    let Some(ruleset) = loaded.ruleset() else {
        return ExitCode::from(1);
    };
    let engine = vital_eval::Engine::new(ruleset);
    let schema = vital_eval::Schema::with_mapping(ruleset, &scoring.mapping);
    let mut reader = match Reader::new(&schema, scoring.inputs, Select::Account(account.clone())) {
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
                    log.record(r);
                }
                group.extend(batch.groups.into_iter().flatten());
            }
            Ok(None) => break,
            Err(e) => {
                log.print_held(&mut errors);
                return fail(e);
            }
        }
    }
    log.finish(records, &|s| reader.column_hint(s), &mut errors);
    for line in reader.warnings() {
        let _ = writeln!(errors, "{line}");
    }
    // what the nightly run's `previous`/`change` see: the stored history
    let mut history = match StoredHistory::open(args.history.as_deref(), &[ruleset]) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    if let Some(h) = history.as_mut() {
        if let Err(e) = h.add(ruleset, std::slice::from_mut(&mut group)) {
            return fail(e);
        }
        h.warn(&mut errors);
    }
    let pick = group
        .iter()
        .enumerate()
        .filter(|(_, s)| !vital_store::codec::is_stored(s))
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
    super::print_out(&text);
    if log.total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
