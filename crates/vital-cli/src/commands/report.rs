//! `vital report -o report.html`: one self-contained HTML file
//! (docs/report.md) from a run's results, with the history store's
//! earlier nights when there is a store. Rendering is
//! `vital_report::html`'s; this file gathers its inputs.

use super::fail;
use super::project::load_scoring;
use super::summary::{read_only_history, rule_list, score, stored_rows, Earlier, Lens};
use std::path::PathBuf;
use std::process::ExitCode;
use vital_check::ir::Type;
use vital_eval::Engine;

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
    /// Where to write the HTML file.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Roll up by these enum or text signals (default: every enum signal).
    #[arg(long, value_name = "SIGNAL", value_delimiter = ',')]
    by: Vec<String>,
    /// The money signal that is an account's value (default: `value` of
    /// vital.toml).
    #[arg(long, value_name = "SIGNAL")]
    value: Option<String>,
    /// List at most this many accounts at risk.
    #[arg(long, value_name = "N", default_value_t = 50)]
    top: usize,
    /// The playbook queue lists the starts of this many days, up to the
    /// latest result's date (with a history store).
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    queue_days: u32,
    /// The history store for status over time and the change since the
    /// previous run (default: `[history] store` of vital.toml; read only).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
    /// Add a calibration section: how well health predicted the outcomes
    /// in this CSV file (account, date, outcome), as `vital calibrate`
    /// measures it on the same snapshots (docs/calibrate.md).
    #[arg(long, value_name = "FILE")]
    outcomes: Option<PathBuf>,
    /// With `--outcomes`: how long after a snapshot a churn counts for it
    /// (default `90 days`).
    #[arg(long, value_name = "N [UNIT]", num_args = 1..=2, requires = "outcomes")]
    horizon: Vec<String>,
    /// With `--outcomes`: count contractions as churn too.
    #[arg(long, requires = "outcomes")]
    contracted: bool,
}

pub fn run(mut args: Args) -> ExitCode {
    // `--horizon 90d FILE`: a second word that is not a unit is a snapshot
    // file, for the report as for the calibration
    if let [n, unit] = args.horizon.as_slice() {
        if vital_calibrate::collect::parse_horizon(&format!("{n} {unit}")).is_none() {
            let file = PathBuf::from(unit);
            args.horizon.truncate(1);
            args.files.insert(0, file);
        }
    }
    // the calibration first: it reads the same snapshots (its own
    // rejections are the report's, reported once, below)
    let calibrated = match &args.outcomes {
        None => None,
        Some(o) => match super::calibrate::for_report(
            o.clone(),
            args.horizon.clone(),
            args.contracted,
            args.rules.clone(),
            args.ruleset.clone(),
            args.files.clone(),
            args.history.clone(),
        ) {
            Ok(c) => Some(c),
            Err(code) => return code,
        },
    };
    let mut scoring =
        match load_scoring(args.rules.as_deref(), &args.files, args.ruleset.as_deref()) {
            Ok(s) => s,
            Err(code) => return code,
        };
    let inputs = std::mem::take(&mut scoring.inputs);
    let Some(ruleset) = scoring.loaded.ruleset() else {
        return ExitCode::from(1);
    };
    let engine = Engine::new(ruleset);
    let by: Vec<String> = if args.by.is_empty() {
        ruleset
            .signals
            .iter()
            .filter(|s| matches!(s.ty, Type::Enum(_)))
            .map(|s| s.name.clone())
            .collect()
    } else {
        args.by.clone()
    };
    let mut lens = match Lens::new(&engine, &scoring.settings, &by, args.value.as_deref()) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    lens.frame.rules = rule_list(&engine, &scoring.loaded.sources);
    lens.explain_at_risk = Some(&scoring.loaded.sources);
    lens.movers = true;
    // the nights stored so far, read before the evaluation's transaction;
    // the same connection then reads each account's previous snapshot
    let (nights, mut earlier) =
        match super::run::history::open_existing_store(args.history.as_deref()) {
            Ok(None) => (None, None),
            Ok(Some(mut store)) => match stored_rows(&mut store, false) {
                Ok(rows) => (
                    Some(
                        rows.into_iter()
                            .map(|(name, row)| lens.stored(name, &row))
                            .collect::<Vec<_>>(),
                    ),
                    Some(Earlier::new(store, &engine)),
                ),
                Err(e) => return fail(format!("cannot read the history store: {e}")),
            },
            Err(e) => return fail(e),
        };
    let history = match read_only_history(args.history.as_deref(), &engine, &scoring) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let scored = match score(
        inputs,
        &scoring.mapping,
        scoring.gates.require_columns,
        &engine,
        history.as_ref(),
        earlier.as_mut(),
        true,
        |g, i, o, prev| lens.account(g, i, o, prev),
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    drop(history);
    drop(earlier);
    let mut scored = scored;
    if let Err(code) = super::summary::leave_out_stale(&mut scored.accounts) {
        return code;
    }
    let as_of = scored.accounts.iter().filter_map(|a| a.as_of).max();
    let queue = match (&nights, as_of) {
        (Some(_), Some(d)) => match starts_since(args.history.as_deref(), d, args.queue_days) {
            Ok(q) => Some(q),
            Err(e) => return fail(format!("cannot read the history store: {e}")),
        },
        _ => None,
    };
    let history = nights.map(|n| vital_report::html::History::new(&lens.frame, &n));
    let summary = lens.summary(
        scored.accounts.clone(),
        "run",
        scored.records,
        scored.rejected,
    );
    let html = vital_report::html::render(&vital_report::html::Report {
        summary: &summary,
        accounts: &scored.accounts,
        history: history.as_ref().filter(|h| !h.nights.is_empty()),
        top: args.top,
        generated: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        queue: queue.as_deref(),
        queue_days: args.queue_days,
        calibration: calibrated
            .as_ref()
            .map(|c| vital_calibrate::html::section(&c.report)),
        warnings: &scored.warnings,
    });
    if let Err(e) = std::fs::write(&args.output, html) {
        return fail(format!("cannot write `{}`: {e}", args.output.display()));
    }
    eprintln!(
        "wrote {} ({} accounts, {} at risk)",
        args.output.display(),
        vital_report::thousands(summary.total.total.accounts),
        vital_report::thousands(summary.total.at_risk.accounts)
    );
    // rejected records: `vital run`'s rule, after the page is written
    let verdict = super::rejected_verdict(
        &mut std::io::stderr().lock(),
        scored.rejected,
        scored.records,
        scoring.gates.max_rejected,
    );
    if let Some(c) = calibrated.as_ref().filter(|c| c.bad_outcomes > 0) {
        eprintln!(
            "error: {}",
            super::rejected_counts(c.bad_outcomes, c.outcome_rows, "outcome row", "used")
        );
        return ExitCode::from(1);
    }
    verdict
}

/// The playbook starts recorded for the `days` days up to `as_of`.
fn starts_since(
    flag: Option<&str>,
    as_of: chrono::NaiveDate,
    days: u32,
) -> Result<Vec<vital_report::html::QueueItem>, String> {
    let Some(mut store) = super::run::history::open_existing_store(flag)? else {
        return Ok(Vec::new());
    };
    let since = as_of
        .checked_sub_days(chrono::Days::new(u64::from(days.max(1)) - 1))
        .unwrap_or(chrono::NaiveDate::MIN);
    let starts = store.starts(Some(since)).map_err(|e| e.to_string())?;
    Ok(starts
        .into_iter()
        .filter(|s| s.as_of <= as_of)
        .map(|s| vital_report::html::QueueItem {
            as_of: s.as_of,
            account: s.account,
            playbook: s.playbook,
            owner: s.owner,
            health: s
                .health
                .and_then(|h| rust_decimal::Decimal::try_from(h).ok())
                .map(|h| vital_report::round(h, 6)),
            status: s.status,
            rule: s.rule.or(s.source),
            reads: s.reads,
            delivered: s.delivered_at.is_some(),
        })
        .collect())
}
