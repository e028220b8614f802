//! `vital summary`: rollups of a run's results, or of the latest results in
//! the history store (docs/report.md). The numbers are `vital_report`'s;
//! this file resolves the rule set and the project's settings, scores the
//! inputs as `vital run` does (or reads the store) and turns results into
//! `vital_report::Account`s.

use super::project::{self, load_scoring, Settings};
use super::run::history::History;
use super::run::{chosen, Pick};
use super::{fail, load_rules, Loaded};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vital_check::ir::Type;
use vital_eval::explain::Part;
use vital_eval::{Engine, Outcome, Snapshot};
use vital_input::{Reader, RejectionLog, Select};
use vital_report::{Account, Cause, CauseKind, Frame, Previous, Reason, Summary};

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
    /// Group by these enum or text signals (`--by tier,csm` or `--by tier
    /// --by csm`).
    #[arg(long, value_name = "SIGNAL", value_delimiter = ',')]
    by: Vec<String>,
    /// The money signal that is an account's value (default: `value` of
    /// vital.toml).
    #[arg(long, value_name = "SIGNAL")]
    value: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Summarise the latest stored result of each account instead of
    /// scoring snapshots (the store of `--history`, else of vital.toml).
    #[arg(long, conflicts_with = "files")]
    stored: bool,
    /// The history store: a SQLite file or a postgres:// URL. Without
    /// files it implies `--stored`; with files they are scored with the
    /// store as history, as `vital run --history` scores them, recording
    /// nothing (as `vital report` does).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Jsonl,
}

pub fn run(args: Args) -> ExitCode {
    let summary = if args.stored || (args.history.is_some() && args.files.is_empty()) {
        stored_summary(&args)
    } else {
        run_summary(&args)
    };
    let (summary, verdict) = match summary {
        Ok(s) => s,
        Err(code) => return code,
    };
    let text = match args.format {
        Format::Table => vital_report::table(&summary),
        Format::Csv => vital_report::csv(&summary),
        Format::Json => vital_report::json(&summary),
        Format::Jsonl => vital_report::jsonl(&summary),
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // rejected records: `vital run`'s rule, after the summary is out
        Ok(()) => verdict,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => verdict,
        Err(e) => fail(format!("cannot write the summary: {e}")),
    }
}

/// The summary of the inputs, and the exit status their rejected records
/// call for ([`super::rejected_verdict`], said on stderr).
fn run_summary(args: &Args) -> Result<(Summary, ExitCode), ExitCode> {
    let mut scoring = load_scoring(args.rules.as_deref(), &args.files, args.ruleset.as_deref())?;
    let inputs = std::mem::take(&mut scoring.inputs);
    let ruleset = scoring.loaded.ruleset().ok_or(ExitCode::from(1))?;
    let engine = Engine::new(ruleset);
    let lens =
        Lens::new(&engine, &scoring.settings, &args.by, args.value.as_deref()).map_err(fail)?;
    let history = read_only_history(args.history.as_deref(), &engine, &scoring)?;
    let scored = score(
        inputs,
        &scoring.mapping,
        scoring.gates.require_columns,
        &engine,
        history.as_ref(),
        None,
        false,
        |g, i, o, _| lens.account(g, i, o, None),
    )?;
    let verdict = super::rejected_verdict(
        &mut std::io::stderr().lock(),
        scored.rejected,
        scored.records,
        scoring.gates.max_rejected,
    );
    let mut accounts = scored.accounts;
    leave_out_stale(&mut accounts)?;
    Ok((
        lens.summary(accounts, "run", scored.records, scored.rejected),
        verdict,
    ))
}

fn stored_summary(args: &Args) -> Result<(Summary, ExitCode), ExitCode> {
    let (loaded, settings) = rules_only(args.rules.as_deref(), args.ruleset.as_deref())?;
    let ruleset = loaded.ruleset().ok_or(ExitCode::from(1))?;
    let engine = Engine::new(ruleset);
    let lens = Lens::new(&engine, &settings, &args.by, args.value.as_deref()).map_err(fail)?;
    // a store that is not there is an error, never a new empty one
    let mut store = super::history::store_for(args.history.as_deref())?;
    let stored = latest_stored(&mut store, &lens).map_err(fail)?;
    if stored.accounts.is_empty() {
        return Err(fail(format!(
            "the history store {} holds no results; `vital run` records them",
            vital_store::shown_location(&store.location)
        )));
    }
    let mut accounts = stored.accounts;
    leave_out_stale(&mut accounts)?;
    Ok((
        lens.summary(accounts, "store", stored.records, stored.rejected),
        ExitCode::SUCCESS,
    ))
}

/// Accounts whose latest snapshot is more than `[history] stale_after` days
/// (default 7) before the latest `as_of` of all are no longer in the
/// nightly export (churned, moved out): they are left out of the summary
/// and the report, which describe the book as of that date, and a note
/// names the first few (docs/report.md).
pub(crate) fn leave_out_stale(accounts: &mut Vec<vital_report::Account>) -> Result<(), ExitCode> {
    let Some(latest) = accounts.iter().filter_map(|a| a.as_of).max() else {
        return Ok(());
    };
    let days = super::history::stale_after_days()?;
    let Some(cut) = latest.checked_sub_signed(chrono::TimeDelta::days(days)) else {
        return Ok(());
    };
    let (kept, mut stale): (Vec<_>, Vec<_>) = std::mem::take(accounts)
        .into_iter()
        .partition(|a| a.as_of.is_none_or(|d| d >= cut));
    *accounts = kept;
    if stale.is_empty() {
        return Ok(());
    }
    stale.sort_by(|a, b| {
        a.as_of
            .cmp(&b.as_of)
            .then_with(|| a.account.cmp(&b.account))
    });
    let shown: Vec<String> = stale
        .iter()
        .take(5)
        .map(|a| {
            let d = a.as_of.map(|d| d.format("%Y-%m-%d").to_string());
            format!("{} ({})", a.account, d.unwrap_or_default())
        })
        .collect();
    eprintln!(
        "note: {} account{} no snapshot within {days} days of {} and {} left out: {}{} (`[history] stale_after` of vital.toml)",
        vital_input::thousands(stale.len()),
        if stale.len() == 1 { " has" } else { "s have" },
        latest.format("%Y-%m-%d"),
        if stale.len() == 1 { "is" } else { "are" },
        shown.join(", "),
        if stale.len() > shown.len() {
            format!(" and {} more", vital_input::thousands(stale.len() - shown.len()))
        } else {
            String::new()
        }
    );
    Ok(())
}

/// The rule set a command reads stored results with, and the project's
/// settings for it (no inputs needed).
pub(crate) fn rules_only(
    rules: Option<&Path>,
    ruleset: Option<&str>,
) -> Result<(Loaded, Settings), ExitCode> {
    let found = project::discover()?;
    let chosen = match &found {
        Some(p) => project::pick(p, ruleset, rules, false)?,
        None if ruleset.is_some() => return Err(fail(
            "`--ruleset` names a rule set of vital.toml, and there is no vital.toml here or above",
        )),
        None => None,
    };
    let path = match (rules, chosen, &found) {
        (Some(r), _, _) => r.to_path_buf(),
        (None, Some(rs), Some(p)) => project::ruleset_path(p, rs)?,
        (None, _, _) => PathBuf::from("."),
    };
    let loaded = load_rules(&path)?;
    Ok((loaded, Settings::of(found.as_ref(), chosen)))
}

/// How results become [`Account`]s: the frame, and where the grouping and
/// value signals are.
pub(crate) struct Lens<'e> {
    pub engine: &'e Engine<'e>,
    pub frame: Frame,
    by: Vec<(usize, Type)>,
    value: Option<usize>,
    /// Keep the explanation of at-risk accounts (the report's account
    /// sections).
    pub explain_at_risk: Option<&'e vital_syntax::SourceMap>,
    /// Compare each account with its previous snapshot (the report's
    /// movers; needs explanations and `explain_at_risk`'s sources).
    pub movers: bool,
}

impl<'e> Lens<'e> {
    pub fn new(
        engine: &'e Engine<'e>,
        settings: &Settings,
        by: &[String],
        value: Option<&str>,
    ) -> Result<Lens<'e>, String> {
        let rules = engine.rules;
        let statuses: Vec<String> = rules.status.iter().map(|a| a.name.clone()).collect();
        let (healthy, at_risk) = Frame::arms(&statuses, settings.at_risk.as_deref());
        let signal = |name: &str| rules.signals.iter().position(|s| s.name == name);
        let mut by_idx = Vec::new();
        for name in by {
            let groupable: Vec<&str> = rules
                .signals
                .iter()
                .filter(|s| matches!(s.ty, Type::Text | Type::Enum(_)))
                .map(|s| s.name.as_str())
                .collect();
            let Some(i) = signal(name) else {
                return Err(format!(
                    "`--by {name}`: the rule set has no signal `{name}` (enum and text signals: {})",
                    list(&groupable)
                ));
            };
            let ty = rules.signals[i].ty;
            if !matches!(ty, Type::Text | Type::Enum(_)) {
                return Err(format!(
                    "`--by {name}`: results are grouped by enum or text signals, and `{name}` is not one (enum and text signals: {})",
                    list(&groupable)
                ));
            }
            by_idx.push((i, ty));
        }
        let value_name = value.map(str::to_string).or_else(|| settings.value.clone());
        let value_idx = match &value_name {
            None => None,
            Some(name) => match signal(name) {
                Some(i) if rules.signals[i].ty == Type::Money => Some(i),
                Some(_) => {
                    return Err(format!(
                        "`{name}` is not a money signal; an account's value is one"
                    ))
                }
                None => {
                    return Err(format!(
                        "the rule set has no signal `{name}` for the account value"
                    ))
                }
            },
        };
        Ok(Lens {
            engine,
            frame: Frame {
                title: settings.title.clone(),
                statuses,
                healthy,
                at_risk,
                playbooks: engine.playbooks.clone(),
                by: by.to_vec(),
                value: value_name,
                rules: Vec::new(),
                scores: rules.scores.iter().map(|s| s.name.clone()).collect(),
            },
            by: by_idx,
            value: value_idx,
            explain_at_risk: None,
            movers: false,
        })
    }

    /// One scored snapshot (`group[i]`, its outcome `outcomes[i]`) as an
    /// account of the rollup; with `explain_at_risk`, an at-risk account
    /// carries `vital explain`'s text; with `movers`, the account's
    /// previous snapshot `group[prev]` is compared with it.
    pub fn account(
        &self,
        group: &[Snapshot],
        i: usize,
        outcomes: &[Outcome],
        prev: Option<usize>,
    ) -> Account {
        let rules = self.engine.rules;
        let s = &group[i];
        let o = &outcomes[i];
        let previous = match prev {
            Some(j) if self.movers => group
                .get(j)
                .zip(outcomes.get(j))
                .map(|(snap, before)| self.previous(snap, before, o)),
            _ => None,
        };
        let explain = match (self.explain_at_risk, o.status) {
            (Some(sources), Some(st)) if self.frame.at_risk.contains(&st.index()) => Some(
                vital_eval::explain::explain_text(self.engine, sources, group, i, o),
            ),
            _ => None,
        };
        let get = |i: usize| s.signals.get(i).filter(|v| !v.is_missing());
        Account {
            account: s.account.to_string(),
            as_of: Some(s.as_of),
            health: o.scored.health,
            status: o.status.map(|a| a.index()),
            value: self.value.and_then(|i| get(i)?.as_num()),
            group: self
                .by
                .iter()
                .map(|(i, ty)| {
                    get(*i).map(|v| match v {
                        vital_check::value::Value::Text(t) => t.to_string(),
                        v => rules.show_value(v, *ty),
                    })
                })
                .collect(),
            triggered: o.triggered.iter().map(|p| *p as usize).collect(),
            started: o.started.iter().map(|p| *p as usize).collect(),
            reasons: reasons(self.engine, o),
            fired: fired(self.engine, o),
            explain,
            scores: o.scored.scores.to_vec(),
            previous,
        }
    }

    /// The previous result (`before`, of the snapshot `snap`, evaluated with
    /// the current rules) and the rules behind the change to `now`
    /// (`vital_eval::explain::change`).
    fn previous(&self, snap: &Snapshot, before: &Outcome, now: &Outcome) -> Previous {
        let rules = self.engine.rules;
        let moved = before.scored.health != now.scored.health;
        let steps = if moved {
            vital_eval::explain::change(self.engine, before, now)
        } else {
            Vec::new()
        };
        let causes = steps
            .iter()
            .take(vital_report::CAUSES)
            .map(|step| {
                let score = rules
                    .scores
                    .get(step.score.index())
                    .map_or(String::new(), |s| s.name.clone());
                let (kind, rule) = match step.part {
                    Part::Base => (CauseKind::Base, String::new()),
                    Part::Clamp => (CauseKind::Clamp, String::new()),
                    Part::Adjustment(r) => (
                        CauseKind::Rule,
                        rules.adjustments.get(r).map_or(String::new(), |a| {
                            a.name.clone().unwrap_or_else(|| self.rule_text(a.loc))
                        }),
                    ),
                };
                let reads = |o: &Outcome| match self.explain_at_risk {
                    Some(sources) => vital_eval::explain::step_reads(self.engine, sources, o, step),
                    None => Vec::new(),
                };
                Cause {
                    kind,
                    rule,
                    score,
                    before: step.before,
                    now: step.now,
                    health: step.health,
                    reads_before: reads(before),
                    reads_now: reads(now),
                }
            })
            .collect();
        Previous {
            as_of: snap.as_of,
            health: before.scored.health,
            status: before.status.map(|a| a.index()),
            causes,
            differing: steps.len(),
        }
    }

    /// An unnamed rule as written, on one line (at most 80 characters).
    fn rule_text(&self, loc: vital_check::ir::Loc) -> String {
        let Some(sources) = self.explain_at_risk else {
            return "unnamed rule".into();
        };
        let text = &sources.file(loc.file).text;
        let t = text
            .get(loc.span.start.min(text.len())..loc.span.end.min(text.len()))
            .unwrap_or("");
        let one: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if one.chars().count() > 80 {
            format!("{}…", one.chars().take(79).collect::<String>())
        } else {
            one
        }
    }

    pub fn summary(
        &self,
        accounts: Vec<Account>,
        source: &str,
        records: usize,
        rejected: usize,
    ) -> Summary {
        let (total, groups) = vital_report::summarize(&self.frame, &accounts);
        Summary {
            frame: self.frame.clone(),
            as_of: accounts.iter().filter_map(|a| a.as_of).max(),
            source: source.into(),
            records,
            rejected,
            total,
            groups,
        }
    }

    /// An account from a stored result and the stored snapshot's signals.
    pub fn stored(&self, name: String, row: &StoredRow) -> Account {
        let rules = self.engine.rules;
        let signals: serde_json::Map<String, serde_json::Value> = row
            .signals
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        let get = |i: usize| {
            let v = signals.get(&rules.signals.get(i)?.name)?;
            match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        };
        let playbook = |n: &String| self.engine.playbooks.iter().position(|p| p == n);
        Account {
            account: name,
            as_of: Some(row.as_of),
            health: row
                .health
                .and_then(|h| Decimal::try_from(h).ok())
                .map(|h| vital_report::round(h, 6)),
            status: row
                .status
                .as_ref()
                .and_then(|s| self.frame.statuses.iter().position(|a| a == s)),
            value: self.value.and_then(|i| get(i)?.parse().ok()),
            group: self.by.iter().map(|(i, _)| get(*i)).collect(),
            triggered: row.triggered.iter().filter_map(playbook).collect(),
            started: row.started.iter().filter_map(playbook).collect(),
            reasons: Vec::new(),
            fired: Vec::new(),
            explain: None,
            previous: None,
            scores: {
                let stored: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&row.scores).unwrap_or_default();
                rules
                    .scores
                    .iter()
                    .map(|s| {
                        stored
                            .get(&s.name)
                            .filter(|v| !v.is_null())
                            .and_then(|v| v.to_string().parse::<Decimal>().ok())
                    })
                    .collect()
            },
        }
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The rules that fired for an account (with explanation on): adjustments
/// that changed a score, triggers whose condition held; indices of
/// [`Frame::rules`] as [`rule_list`] orders them.
fn fired(engine: &Engine<'_>, o: &Outcome) -> Vec<usize> {
    let Some(ex) = &o.explain else {
        return Vec::new();
    };
    let n = engine.rules.adjustments.len();
    let mut out: Vec<usize> = ex
        .scores
        .iter()
        .flat_map(|se| {
            // an unconditional adjustment of 0 points changed nothing
            se.applied
                .iter()
                .filter(|(_, amount)| !amount.is_zero())
                .map(|(a, _)| *a)
        })
        .chain(ex.triggers.iter().map(|t| n + t))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The rule set's adjustments, then its triggers, for rule coverage.
pub(crate) fn rule_list(
    engine: &Engine<'_>,
    sources: &vital_syntax::SourceMap,
) -> Vec<vital_report::Rule> {
    let rules = engine.rules;
    let adjustments = rules.adjustments.iter().map(|a| vital_report::Rule {
        name: a.name.clone().unwrap_or_else(|| "unnamed".into()),
        does: format!(
            "adjusts {}",
            rules
                .scores
                .get(a.score.index())
                .map_or("", |s| s.name.as_str())
        ),
        place: vital_eval::results::locate(sources, a.loc),
    });
    let triggers = rules.triggers.iter().map(|t| vital_report::Rule {
        name: t.name.clone().unwrap_or_else(|| "unnamed".into()),
        does: format!("starts {}", t.playbook),
        place: vital_eval::results::locate(sources, t.loc),
    });
    adjustments.chain(triggers).collect()
}

/// The adjustments that lowered an account's scores the most (with
/// explanation on), worst first, at most three.
fn reasons(engine: &Engine<'_>, o: &Outcome) -> Vec<Reason> {
    let Some(ex) = &o.explain else {
        return Vec::new();
    };
    let rules = engine.rules;
    let mut out: Vec<Reason> = Vec::new();
    for (score, se) in rules.scores.iter().zip(&ex.scores) {
        for (a, amount) in &se.applied {
            if amount.is_sign_negative() && !amount.is_zero() {
                let Some(adj) = rules.adjustments.get(*a) else {
                    continue;
                };
                out.push(Reason {
                    rule: adj
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("adjustment of `{}`", score.name)),
                    score: score.name.clone(),
                    amount: *amount,
                });
            }
        }
    }
    out.sort_by_key(|r| r.amount);
    out.truncate(3);
    out
}

/// What scoring the inputs gave.
pub(crate) struct Scored<T> {
    pub accounts: Vec<T>,
    pub records: usize,
    pub rejected: usize,
    /// The readers' data-quality warnings, printed on stderr already.
    pub warnings: Vec<String>,
}

/// Read the inputs as `vital run` does and evaluate each account's latest
/// snapshot (rejections reported on stderr); `each` turns a result into
/// what the caller keeps: it gets the account's group, the snapshot's index,
/// every outcome of the group and the index of the account's previous
/// snapshot (the latest earlier input snapshot, or the one `earlier`
/// added). With a history store, `previous`/`change` and `started` see its
/// snapshots and results as in `vital run`; nothing is recorded (the
/// store's transaction is never committed).
#[allow(clippy::too_many_arguments)]
pub(crate) fn score<T: Send>(
    inputs: Vec<vital_input::Input>,
    mapping: &vital_eval::Mapping,
    require_columns: bool,
    engine: &Engine<'_>,
    history: Option<&History<'_>>,
    mut earlier: Option<&mut Earlier<'_>>,
    explain: bool,
    each: impl Fn(&[Snapshot], usize, &[Outcome], Option<usize>) -> T + Sync,
) -> Result<Scored<T>, ExitCode> {
    let ruleset = engine.rules;
    let schema = vital_eval::Schema::with_mapping(ruleset, mapping);
    let mut reader =
        Reader::with_gates(&schema, inputs, Select::All, require_columns).map_err(fail)?;
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    let mut log = RejectionLog::default();
    let mut records = 0usize;
    let mut accounts: Vec<T> = Vec::new();
    loop {
        let mut batch = match reader.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                log.print_held(&mut errors);
                return Err(fail(e));
            }
        };
        records += batch.records;
        for r in &batch.rejections {
            log.record(r);
        }
        // the previous stored snapshots go in first: as input, so that
        // `prepare` adds what their own look-backs reach
        let added = match earlier.as_deref_mut() {
            Some(e) => match e.add(&mut batch.groups) {
                Ok(a) => a,
                Err(e) => {
                    log.print_held(&mut errors);
                    return Err(fail(e));
                }
            },
            None => vec![None; batch.groups.len()],
        };
        if let Some(h) = history {
            if let Err(e) = h.prepare(&mut batch.groups) {
                log.print_held(&mut errors);
                return Err(fail(e));
            }
        }
        let each = &each;
        let kept: Vec<T> = batch
            .groups
            .into_par_iter()
            .zip(added)
            .flat_map_iter(|(group, added)| {
                let picked = chosen(&group, Pick::Latest);
                let mut outcomes = if picked.is_empty() {
                    Vec::new()
                } else {
                    engine.evaluate_group(&group, explain)
                };
                if let Some(h) = history {
                    h.settle(&group, &mut outcomes);
                } else {
                    vital_eval::started::cooldowns(engine, &group, &mut outcomes);
                }
                picked
                    .into_iter()
                    .filter_map(|i| {
                        let now = group.get(i)?.as_of;
                        outcomes.get(i)?;
                        let prev = group
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| {
                                s.as_of < now
                                    && (!vital_store::codec::is_stored(s) || added == Some(s.as_of))
                            })
                            .max_by_key(|(_, s)| s.as_of)
                            .map(|(j, _)| j);
                        Some(each(&group, i, &outcomes, prev))
                    })
                    .collect::<Vec<T>>()
            })
            .collect();
        accounts.extend(kept);
    }
    log.finish(records, &|s| reader.column_hint(s), &mut errors);
    // the data-quality warnings of `vital run` (a percent given as a
    // fraction, a signal missing everywhere, …)
    use std::io::Write;
    let warnings = reader.warnings();
    for line in &warnings {
        let _ = writeln!(errors, "{line}");
    }
    Ok(Scored {
        accounts,
        records,
        rejected: log.total(),
        warnings,
    })
}

/// The report's movers with a history store: adds to each account's group
/// its latest stored snapshot before its latest input snapshot, read back
/// with the current rules (docs/history.md), unless the input holds a
/// later earlier snapshot.
pub(crate) struct Earlier<'a> {
    store: vital_store::Store,
    schema: vital_eval::Schema<'a>,
}

impl<'a> Earlier<'a> {
    pub fn new(store: vital_store::Store, engine: &'a Engine<'a>) -> Earlier<'a> {
        Earlier {
            store,
            schema: vital_eval::Schema::new(engine.rules),
        }
    }

    /// The date of the snapshot added to each group, if one was. A few
    /// statements per batch (`vital_store`'s batched reads), not per account.
    fn add(
        &mut self,
        groups: &mut [Vec<Snapshot>],
    ) -> Result<Vec<Option<chrono::NaiveDate>>, String> {
        use chrono::NaiveDate;
        let mut added: Vec<Option<NaiveDate>> = vec![None; groups.len()];
        let ids = super::run::history::known_ids(&mut self.store, groups)?;
        // per group: the account, its latest input date and the input
        // date before that
        let mut asks: Vec<(usize, i64, NaiveDate, Option<NaiveDate>)> = Vec::new();
        for (k, group) in groups.iter().enumerate() {
            let Some(first) = group.first() else { continue };
            let Some(&aid) = ids.get(&*first.account) else {
                continue;
            };
            let Some(latest) = group.iter().map(|s| s.as_of).max() else {
                continue;
            };
            let earlier = group.iter().map(|s| s.as_of).filter(|d| *d < latest).max();
            if let Some(day_before) = latest.pred_opt() {
                asks.push((k, aid, day_before, earlier));
            }
        }
        let dates = self
            .store
            .latest_on_or_before(&asks.iter().map(|(_, a, d, _)| (*a, *d)).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?;
        // a stored night later than the input's earlier one
        let wants: Vec<(usize, i64, NaiveDate)> = asks
            .iter()
            .zip(dates)
            .filter_map(|((k, aid, _, earlier), d)| {
                let d = d?;
                earlier.is_none_or(|e| d > e).then_some((*k, *aid, d))
            })
            .collect();
        let stored = self
            .store
            .snapshots_of(&wants.iter().map(|(_, a, d)| (*a, *d)).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?;
        for ((k, _, d), s) in wants.into_iter().zip(stored) {
            let (Some(s), Some(group)) = (s, groups.get_mut(k)) else {
                continue;
            };
            let Some(account) = group.first().map(|g| g.account.clone()) else {
                continue;
            };
            if let Some(snap) = vital_store::codec::decode(&self.schema, &account, &s) {
                group.push(snap);
                added[k] = Some(d);
            }
        }
        Ok(added)
    }
}

/// One stored result with its snapshot's signals (`vital_store::StoredResult`).
pub(crate) use vital_store::StoredResult as StoredRow;

/// Every stored result (`latest`: only each account's latest), with the
/// account's name, oldest first.
pub(crate) fn stored_rows(
    store: &mut vital_store::Store,
    latest: bool,
) -> Result<Vec<(String, StoredRow)>, String> {
    store
        .results_with_signals(latest)
        .map_err(|e| e.to_string())
}

/// The latest stored results, and the records of the latest run.
struct Stored {
    accounts: Vec<Account>,
    records: usize,
    rejected: usize,
}

fn latest_stored(store: &mut vital_store::Store, lens: &Lens<'_>) -> Result<Stored, String> {
    let accounts = stored_rows(store, true)?
        .into_iter()
        .map(|(name, row)| lens.stored(name, &row))
        .collect();
    let run = store
        .query(
            "SELECT records, rejected FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            &[],
        )
        .map_err(|e| e.to_string())?;
    let count = |i: usize| {
        run.first()
            .and_then(|r| r.get(i))
            .and_then(|p| p.int())
            .unwrap_or(0)
            .max(0) as usize
    };
    Ok(Stored {
        accounts,
        records: count(0),
        rejected: count(1),
    })
}

/// The history store of `flag` or vital.toml, as evaluation history for a
/// command that records nothing. A store named with `flag` must be there:
/// a typo would otherwise create an empty one and change the answer
/// silently.
pub(crate) fn read_only_history<'a>(
    flag: Option<&str>,
    engine: &'a Engine<'a>,
    scoring: &'a super::project::Scoring,
) -> Result<Option<History<'a>>, ExitCode> {
    History::open_read_only(flag, engine, &scoring.loaded.sources).map_err(fail)
}
