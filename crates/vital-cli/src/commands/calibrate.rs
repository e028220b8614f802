//! `vital calibrate`: does health predict churn? The rule set scores the
//! snapshots through the engine, as `vital run` does (the same loader and
//! reader); each scored snapshot is labelled from the outcomes file and the
//! report is measured (crates/vital-calibrate, docs/calibrate.md).

use super::fail;
use super::project::load_scoring;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_calibrate::collect::{describe, parse_horizon, Labeller};
use vital_calibrate::render::{self, Style};
use vital_input::{Reader, RejectionLog, Select};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Markdown,
    Json,
    /// A self-contained HTML page: the calibration section, in `vital
    /// report`'s style.
    Html,
}

#[derive(clap::Args)]
pub struct Args {
    /// The outcomes: a CSV file with the columns account, date, outcome
    /// (churned, renewed, contracted or expanded).
    #[arg(long, value_name = "FILE")]
    outcomes: PathBuf,
    /// How long after a snapshot a churn counts for it: `90 days` (the
    /// default), `3 months`, `1 year`, `90d`.
    #[arg(long, value_name = "N [UNIT]", num_args = 1..=2)]
    horizon: Vec<String>,
    /// Count contractions as churn too.
    #[arg(long)]
    contracted: bool,
    /// The outcomes are complete up to this date (default: the latest date
    /// in the outcomes file); snapshots whose horizon ends later are left
    /// out.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date_arg)]
    through: Option<chrono::NaiveDate>,
    /// The rule set (a directory or files; default: the project's, else `.`).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A rule set of vital.toml, by name.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Snapshot files, as for `vital run` (default: the project's `inputs`).
    files: Vec<PathBuf>,
    /// Read the snapshots from the history store instead of files (the
    /// store of `--history`, else `[history] store` of vital.toml); they
    /// are scored with the current rules.
    #[arg(long, conflicts_with = "files")]
    stored: bool,
    /// The history store: a SQLite file or a postgres:// URL (implies
    /// `--stored`).
    #[arg(long, value_name = "PATH|URL", conflicts_with = "files")]
    history: Option<String>,
    /// The report's format, on standard output.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// The bootstrap's seed (the same seed gives the same interval).
    #[arg(long, default_value_t = 15)]
    seed: u64,
    /// Rewrite each score's `weight` in the rule files with the suggested
    /// weights (then formatted as `vital fmt` does, comments kept).
    #[arg(long)]
    write_weights: bool,
    /// The snapshots' rejections are reported by the caller (`vital
    /// report`, which reads the same files).
    #[arg(skip)]
    quiet_records: bool,
}

/// What a calibration measured, with what its caller reports after it.
pub struct Calibrated {
    pub report: vital_calibrate::Report,
    loaded: super::Loaded,
    weight_decimals: u32,
    settings_title: Option<String>,
    /// Snapshot records read and rejected.
    records: usize,
    rejected: usize,
    /// Outcome rows read and rejected.
    pub outcome_rows: usize,
    pub bad_outcomes: usize,
}

pub fn run(mut args: Args) -> ExitCode {
    let c = match calibrate(&mut args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    let report = &c.report;
    let text = match args.format {
        Format::Human => render::render(report, Style::Human),
        Format::Markdown => render::render(report, Style::Markdown),
        Format::Json => render::json(report),
        Format::Html => vital_calibrate::html::page(
            report,
            c.settings_title.as_deref().unwrap_or("Customer health"),
        ),
    };
    super::print_out(&format!("{text}\n"));
    let mut failed = false;
    if args.write_weights {
        match &report.weights.suggested {
            Some(s) => failed |= !write_weights(&c.loaded, s, c.weight_decimals, &mut errors),
            None => {
                let _ = writeln!(
                    errors,
                    "error: no weights were suggested, so none were written"
                );
                failed = true;
            }
        }
    }
    failed |= c.report_rejections(&mut errors);
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

impl Calibrated {
    /// Say how many snapshot records and outcome rows were rejected (the
    /// others were used); whether any was.
    pub fn report_rejections(&self, errors: &mut dyn Write) -> bool {
        if self.rejected > 0 {
            let _ = writeln!(
                errors,
                "error: {}",
                super::rejected_counts(self.rejected, self.records, "snapshot record", "used")
            );
        }
        if self.bad_outcomes > 0 {
            let _ = writeln!(
                errors,
                "error: {}",
                super::rejected_counts(self.bad_outcomes, self.outcome_rows, "outcome row", "used")
            );
        }
        self.rejected > 0 || self.bad_outcomes > 0
    }
}

/// The options of `vital report --outcomes`: a calibration of the same
/// rules and snapshots, as `vital calibrate` makes it.
pub fn for_report(
    outcomes: PathBuf,
    horizon: Vec<String>,
    contracted: bool,
    rules: Option<PathBuf>,
    ruleset: Option<String>,
    files: Vec<PathBuf>,
    history: Option<String>,
) -> Result<Calibrated, ExitCode> {
    let stored = files.is_empty() && history.is_some();
    calibrate(&mut Args {
        outcomes,
        horizon,
        contracted,
        through: None,
        rules,
        ruleset,
        files,
        stored,
        history: history.filter(|_| stored),
        format: Format::Html,
        seed: 15,
        write_weights: false,
        quiet_records: true,
    })
}

/// Read the outcomes, score the snapshots and measure; rejections are
/// printed on stderr as they are found.
fn calibrate(args: &mut Args) -> Result<Calibrated, ExitCode> {
    // `--horizon 90 days`: a second word that is not a unit is a file
    let horizon_text = match args.horizon.as_slice() {
        [] => "90 days".to_string(),
        [one] => one.clone(),
        [n, unit] => {
            if parse_horizon(&format!("{n} {unit}")).is_some() {
                format!("{n} {unit}")
            } else {
                args.files.insert(0, PathBuf::from(unit));
                n.clone()
            }
        }
        _ => {
            return Err(fail(
                "`--horizon` takes a number and a unit, e.g. `--horizon 90 days`",
            ))
        }
    };
    let Some(horizon) = parse_horizon(&horizon_text) else {
        // a zero horizon is a duration, just not one to predict over
        let zero = horizon_text
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b == b'0'));
        if zero {
            eprintln!(
                "error: `--horizon {horizon_text}`: the horizon must be longer than zero (churn within it is what the scores should predict), e.g. `90 days`"
            );
        } else {
            eprintln!(
                "error: `--horizon {horizon_text}` is not a duration: write e.g. `90 days`, `3 months`, `1 year`"
            );
        }
        return Err(ExitCode::from(2));
    };
    let outcomes_name = super::project::shown(&args.outcomes).display().to_string();
    let text = match std::fs::read_to_string(&args.outcomes) {
        Ok(t) => t,
        Err(e) => return Err(fail(format!("cannot read `{outcomes_name}`: {e}"))),
    };
    let outcomes = match vital_calibrate::outcomes::parse(&outcomes_name, &text) {
        Ok(o) => o,
        Err(e) => return Err(fail(e)),
    };
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    for b in &outcomes.bad {
        let _ = writeln!(errors, "{b}");
    }
    let Some(through) = args.through.or(outcomes.latest) else {
        return Err(fail(format!(
            "`{outcomes_name}` has no usable outcome rows"
        )));
    };
    let stored = args.stored || args.history.is_some();
    let (loaded, inputs, mapping, gates, settings) = if stored {
        match super::summary::rules_only(args.rules.as_deref(), args.ruleset.as_deref()) {
            Ok((loaded, settings)) => (
                loaded,
                Vec::new(),
                vital_eval::Mapping::default(),
                vital_project::Gates::default(),
                settings,
            ),
            Err(code) => return Err(code),
        }
    } else {
        match load_scoring(args.rules.as_deref(), &args.files, args.ruleset.as_deref()) {
            Ok(s) => (s.loaded, s.inputs, s.mapping, s.gates, s.settings),
            Err(code) => return Err(code),
        }
    };
    let Some(ruleset) = loaded.ruleset() else {
        return Err(ExitCode::from(1));
    };
    // explain mode without traces: which rules applied, not what they read
    let engine = vital_eval::Engine::new(ruleset).without_traces();
    let schema = vital_eval::Schema::with_mapping(ruleset, &mapping);
    let mut log = RejectionLog::default();
    let mut records = 0;
    let mut labeller = Labeller::new(&outcomes, horizon, through, args.contracted, ruleset);
    if stored {
        // a store that is not there is an error, never a new empty one
        // (a mistyped path read as "no snapshots")
        let mut store = super::history::store_for(args.history.as_deref())?;
        let read = stored_groups(&mut store, &schema, |group| {
            let results = engine.evaluate_group(&group, true);
            labeller.add(&group, &results);
        });
        match read {
            Ok((n, 0)) => records = n,
            Ok((n, unreadable)) => {
                records = n;
                let _ = writeln!(
                    errors,
                    "warning: {unreadable} stored snapshots do not fit the current rules and were left out"
                );
            }
            Err(e) => return Err(fail(format!("the history store cannot be read: {e}"))),
        }
    } else {
        let mut reader =
            match Reader::with_gates(&schema, inputs, Select::All, gates.require_columns) {
                Ok(r) => r,
                Err(e) => return Err(fail(e)),
            };
        loop {
            match reader.next_batch() {
                Ok(Some(batch)) => {
                    records += batch.records;
                    for r in &batch.rejections {
                        log.record(r);
                    }
                    for group in &batch.groups {
                        let results = engine.evaluate_group(group, true);
                        labeller.add(group, &results);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    if !args.quiet_records {
                        log.print_held(&mut errors);
                    }
                    return Err(fail(e));
                }
            }
        }
        if !args.quiet_records {
            log.finish(records, &|s| reader.column_hint(s), &mut errors);
            for line in reader.warnings() {
                let _ = writeln!(errors, "{line}");
            }
        }
    }
    let (counts, rows) = labeller.finish();
    // outcomes for none of the accounts scored: nothing to calibrate against
    let outcome_accounts = outcomes.by_account.len();
    if outcome_accounts > 0 && counts.outcome_accounts_without_snapshots == outcome_accounts {
        let mut ids: Vec<&String> = outcomes.by_account.keys().collect();
        ids.sort();
        return Err(fail(format!(
            "no account of `{outcomes_name}` has a snapshot in the input (`{}`{}; account ids are compared exactly, case included): nothing to calibrate against",
            ids[0],
            if ids.len() > 1 { format!(" and {} more", ids.len() - 1) } else { String::new() }
        )));
    }
    let rules = describe(ruleset, &loaded.sources, settings.at_risk.as_deref());
    let report = vital_calibrate::analyze(
        &rules,
        &rows,
        counts,
        &vital_calibrate::Options {
            horizon: horizon.to_string(),
            through,
            contracted: args.contracted,
            seed: args.seed,
        },
    );
    Ok(Calibrated {
        report,
        weight_decimals: rules.weight_decimals,
        settings_title: settings.title.clone(),
        loaded,
        records,
        rejected: log.total(),
        outcome_rows: outcomes.rows,
        bad_outcomes: outcomes.bad.len(),
    })
}

/// Each score's weight replaced in the file that declares it, formatted.
fn write_weights(
    loaded: &super::Loaded,
    suggested: &[(String, f64)],
    decimals: u32,
    errors: &mut dyn Write,
) -> bool {
    let weights: Vec<(String, String)> = suggested
        .iter()
        .map(|(n, w)| {
            (
                n.clone(),
                vital_calibrate::rewrite::weight_text(*w, decimals),
            )
        })
        .collect();
    let mut ok = true;
    for (id, file) in loaded.sources.files() {
        match vital_calibrate::rewrite::rewrite_weights(id, &file.text, &weights) {
            Ok(Some(new)) if new != file.text => match std::fs::write(&file.path, new) {
                Ok(()) => {
                    let _ = writeln!(errors, "wrote the suggested weights to {}", file.path);
                }
                Err(e) => {
                    let _ = writeln!(errors, "error: cannot write `{}`: {e}", file.path);
                    ok = false;
                }
            },
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(errors, "error: `{}`: {e}; left unchanged", file.path);
                ok = false;
            }
        }
    }
    ok
}

/// Every stored snapshot, one account at a time, read back with the current
/// rules (`vital_store::codec::decode`, as `vital run` reads its history).
/// Returns the snapshots read and those the current rules cannot read.
fn stored_groups(
    store: &mut vital_store::Store,
    schema: &vital_eval::Schema<'_>,
    mut each: impl FnMut(Vec<vital_eval::Snapshot>),
) -> Result<(usize, usize), String> {
    let e = |e: vital_store::StoreError| e.to_string();
    let far = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    // every account with a snapshot: none has one on or after 9999-12-31
    let accounts = store.stale(far, 0).map_err(e)?;
    let (mut read, mut unreadable) = (0, 0);
    for (account, _) in accounts {
        let mut group = Vec::new();
        for row in store.history(&account).map_err(e)? {
            if !row.has_snapshot {
                continue;
            }
            let Some(s) = store.snapshot(&account, row.as_of).map_err(e)? else {
                continue;
            };
            read += 1;
            match vital_store::codec::decode(schema, &account, &s) {
                Some(snap) => group.push(snap),
                None => unreadable += 1,
            }
        }
        if !group.is_empty() {
            each(group);
        }
    }
    Ok((read, unreadable))
}
