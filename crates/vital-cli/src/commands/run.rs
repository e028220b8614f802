//! `vital run`: score snapshots and write the results (JSON Lines, CSV or a
//! table for people). Reading is `vital_input`'s; this file evaluates each
//! batch's account histories in parallel and writes the reported snapshots
//! in input order.

pub(crate) mod history;

use super::project::load_scoring;
use super::{fail, parse_date_arg};
use chrono::NaiveDate;
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_eval::{Engine, Outcome, Snapshot};
use vital_input::{thousands, Batch, Reader, RejectionLog, Select};
use vital_syntax::SourceMap;

#[derive(clap::Args)]
pub struct Args {
    /// The rule set (a directory or files; default: the project's, else `.`).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A rule set of vital.toml, by name.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Snapshot files: `.jsonl`, `.json` (an array), `.csv`, or `-` for
    /// JSON Lines on standard input (default: the project's `inputs`).
    files: Vec<PathBuf>,
    /// Write every rejected record to this file, one JSON object per line
    /// (file, line, account, problem, field, expected, found, reason, the
    /// record as read).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
    /// Add each score's base, adjustments and triggers (jsonl only).
    #[arg(long)]
    explain: bool,
    /// Report every snapshot, not only each account's latest.
    #[arg(long, conflicts_with = "as_of")]
    all: bool,
    /// Report each account's latest snapshot on or before this date.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
    /// The history store to read history from and record into: a SQLite
    /// file or a postgres:// URL (default: `[history] store` of vital.toml).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Jsonl,
    Csv,
    Table,
}

/// Which snapshots of an account are reported.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pick {
    Latest,
    All,
    AsOf(NaiveDate),
}

/// Whether an account's only snapshot is reported.
fn reported(s: &Snapshot, pick: Pick) -> bool {
    !vital_store::codec::is_stored(s)
        && match pick {
            Pick::All | Pick::Latest => true,
            Pick::AsOf(d) => s.as_of <= d,
        }
}

/// Indices of the snapshots of a group that are reported.
pub(crate) fn chosen(group: &[Snapshot], pick: Pick) -> Vec<usize> {
    let latest = |cut: Option<NaiveDate>| {
        group
            .iter()
            .enumerate()
            .filter(|(_, s)| cut.is_none_or(|d| s.as_of <= d))
            .filter(|(_, s)| !vital_store::codec::is_stored(s))
            .max_by_key(|(_, s)| s.as_of)
            .map(|(i, _)| vec![i])
            .unwrap_or_default()
    };
    match pick {
        Pick::All => (0..group.len())
            .filter(|i| !vital_store::codec::is_stored(&group[*i]))
            .collect(),
        Pick::Latest => latest(None),
        Pick::AsOf(d) => latest(Some(d)),
    }
}

pub fn run(args: Args) -> ExitCode {
    let stdout_tty = std::io::stdout().is_terminal();
    let format = match (args.format, args.explain) {
        (Some(f @ (OutFormat::Table | OutFormat::Csv)), true) => {
            eprintln!(
                "error: `--explain` writes JSON Lines; use `--format jsonl`, or `vital explain --account ID` for one account in words (not `--format {}`)",
                if f == OutFormat::Table { "table" } else { "csv" }
            );
            return ExitCode::from(2);
        }
        (Some(f), _) => f,
        (None, true) => OutFormat::Jsonl,
        (None, false) if stdout_tty => OutFormat::Table,
        (None, false) => OutFormat::Jsonl,
    };
    let scoring = match load_scoring(args.rules.as_deref(), &args.files, args.ruleset.as_deref()) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let loaded = &scoring.loaded;
    let Some(ruleset) = loaded.ruleset() else {
        return ExitCode::from(1);
    };
    let mut rejects = match &args.rejects {
        None => None,
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => return fail(format!("cannot write `{}`: {e}", path.display())),
        },
    };
    let engine = Engine::new(ruleset);
    let schema = vital_eval::Schema::with_mapping(ruleset, &scoring.mapping);
    let gates = &scoring.gates;
    let input_names: Vec<String> = scoring.inputs.iter().map(|i| i.name.to_string()).collect();
    let input_order = InputOrder(input_names.clone());
    let history = match history::History::open(
        args.history.as_deref(),
        &engine,
        &loaded.sources,
        input_names,
    ) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let mut reader =
        match Reader::with_gates(&schema, scoring.inputs, Select::All, gates.require_columns) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
    if rejects.is_some() {
        reader.keep_rejected_records();
    }
    let stdout = std::io::stdout();
    let render = Render {
        engine: &engine,
        sources: &loaded.sources,
        format,
        explain: args.explain,
        history: history.as_ref(),
        pick: match (args.all, args.as_of) {
            (true, _) => Pick::All,
            (false, Some(d)) => Pick::AsOf(d),
            (false, None) => Pick::Latest,
        },
        spare: std::sync::Mutex::new(Vec::new()),
    };
    let mut out = Output {
        r: &render,
        engine: &engine,
        format,
        color: stdout_tty && std::env::var_os("NO_COLOR").is_none(),
        // a block's results (~265 kB) are larger than the buffer and go
        // to stdout as they are, not copied into it first; row by row
        // output (history, the whole-input path) is gathered as ever
        out: Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock())),
        table: Vec::new(),
        tally: Tally::new(&engine),
    };
    let progress = std::io::stderr().is_terminal().then(progress_bar);
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    let mut log = RejectionLog::default();
    let mut records = 0usize;
    let result = (|| -> Result<(), Failure> {
        if format == OutFormat::Csv {
            writeln!(out.out, "{}", vital_eval::results::csv_header(&engine))?;
        }
        if history.is_none() {
            // a grouped JSON Lines input: read, scored and rendered in blocks
            // on every core; the results come here in input order
            let r = &render;
            let work = |groups: &mut vital_input::BlockGroups<'_>| r.block(groups);
            let mut sink = |b: Block| -> Result<(), Failure> {
                records += b.records;
                for rej in &b.rejections {
                    log.record(rej);
                    if let Some(w) = &mut rejects {
                        write_reject(w, rej).map_err(Failure::Write)?;
                    }
                }
                out.take(b)?;
                if let Some(p) = &progress {
                    p.set_position(records as u64);
                }
                Ok(())
            };
            match reader.blocks(&work, &mut sink) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(vital_input::Stopped::Input(e)) => return Err(Failure::Input(e.to_string())),
                Err(vital_input::Stopped::Sink(e)) => return Err(e),
            }
        }
        // batches are read (and given the history the store holds for
        // them) on a thread of their own while the batch before is scored
        // and written here
        let reader = &mut reader;
        let history = history.as_ref();
        std::thread::scope(|scope| -> Result<(), Failure> {
            let (send, batches) = std::sync::mpsc::sync_channel::<Result<Batch, Failure>>(1);
            scope.spawn(move || loop {
                let next = match reader.next_batch() {
                    Ok(None) => break,
                    Ok(Some(mut batch)) => match history.map(|h| h.prepare(&mut batch.groups)) {
                        Some(Err(e)) => Err(Failure::Input(e)),
                        _ => Ok(batch),
                    },
                    Err(e) => Err(Failure::Input(e.to_string())),
                };
                let failed = next.is_err();
                // the receiver gone (it stopped at an error) or an error
                // sent: nothing more to read
                if send.send(next).is_err() || failed {
                    break;
                }
            });
            for batch in batches {
                let batch = batch?;
                records += batch.records;
                for r in &batch.rejections {
                    log.record(r);
                    if let Some(w) = &mut rejects {
                        write_reject(w, r).map_err(Failure::Write)?;
                    }
                }
                out.batch(batch.groups, batch.in_order, &input_order)?;
                if let Some(h) = history {
                    h.flush().map_err(Failure::Input)?;
                }
                if let Some(p) = &progress {
                    p.set_position(records as u64);
                }
            }
            Ok(())
        })
    })();
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    log.finish(records, &|s| reader.column_hint(s), &mut errors);
    let result = result.and_then(|()| out.finish(log.total()));
    match result {
        Ok(()) => {}
        // without a store, `vital run | head` is not an error; with one, the
        // run is not recorded, which a nightly job must hear about
        Err(Failure::Closed) => {
            return match &history {
                None => ExitCode::SUCCESS,
                Some(h) => fail(format!(
                    "the results' reader went away before every result was written (`vital run | head`?): nothing was recorded in the history store {}",
                    h.location()
                )),
            };
        }
        Err(Failure::Input(e)) => return fail(e),
        Err(Failure::Write(e)) => return fail(format!("cannot write results: {e}")),
    }
    // the gates on what was read are decided before a store records the
    // run: a run they fail leaves the store as it was (docs/history.md)
    let warnings = reader.warnings();
    for line in &warnings {
        let _ = writeln!(errors, "{line}");
    }
    let mut gate_errors = Vec::new();
    if gates.require_columns {
        let absent = reader.absent_signals();
        if !absent.is_empty() {
            gate_errors.push(format!(
                "error: no record has {} (`require_columns` is set in vital.toml)",
                absent
                    .iter()
                    .map(|s| format!("signal `{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if gates.fail_on_warnings && !warnings.is_empty() {
        gate_errors.push(format!(
            "error: {} about the input (`fail_on_warnings` is set in vital.toml)",
            if warnings.len() == 1 {
                "a warning".to_string()
            } else {
                format!("{} warnings", warnings.len())
            }
        ));
    }
    if !gate_errors.is_empty() {
        if log.total() > 0 {
            let counts = super::rejected_counts(log.total(), records, "record", "evaluated");
            gate_errors.insert(0, format!("error: {counts}"));
        }
        for e in &gate_errors {
            let _ = writeln!(errors, "{e}");
        }
        if let Some(h) = &history {
            let _ = writeln!(
                errors,
                "error: nothing was recorded in the history store {}",
                h.location()
            );
        }
        return ExitCode::from(1);
    }
    if let Some(h) = &history {
        if let Err(e) = h.commit(records, log.total(), &mut errors) {
            return fail(format!("the run was not recorded: {e}"));
        }
    }
    if let Some(w) = &mut rejects {
        if let Err(e) = w.flush() {
            return fail(format!("cannot write rejected records: {e}"));
        }
    }
    if out.tally.reported == 0 {
        let _ = writeln!(
            errors,
            "{}",
            nothing_scored(records, log.total(), args.as_of)
        );
    }
    super::rejected_verdict(&mut errors, log.total(), records, gates.max_rejected)
}

/// One rejected record as a JSON object on its own line (`--rejects`).
fn write_reject(w: &mut dyn Write, r: &vital_eval::Rejection) -> std::io::Result<()> {
    use vital_eval::reader::Problem;
    let field = match &r.problem {
        Problem::MissingSignal(s) | Problem::Signal(s) | Problem::SignalAtTopLevel(s) => {
            Some(s.clone())
        }
        Problem::Account => Some("account".into()),
        Problem::AsOf => Some("as_of".into()),
        Problem::Override => Some("override".into()),
        Problem::Event(e) if !e.is_empty() => Some(format!("events.{e}")),
        _ => None,
    };
    // "…: expected X, found Y" → X and Y
    let (expected, found) = match r.reason.rsplit_once(", found ") {
        Some((head, found)) => match head.rsplit_once("expected ") {
            Some((_, expected)) => (Some(expected.to_string()), Some(found.to_string())),
            None => (None, None),
        },
        None => (None, None),
    };
    let line = serde_json::json!({
        "file": r.origin.file.as_ref(),
        "line": r.origin.line,
        "account": r.account,
        "problem": r.problem.to_string(),
        "field": field,
        "expected": expected,
        "found": found,
        "reason": r.reason,
        "record": r.record,
    });
    writeln!(w, "{line}")
}

/// The warning when no result was written.
fn nothing_scored(records: usize, rejected: usize, as_of: Option<NaiveDate>) -> String {
    if records == 0 {
        "warning: nothing was scored: the input holds no records".into()
    } else if rejected == records {
        "warning: nothing was scored: every record was rejected".into()
    } else if let Some(d) = as_of {
        format!(
            "warning: nothing was scored: no account has a snapshot on or before {}",
            d.format("%Y-%m-%d")
        )
    } else {
        "warning: nothing was scored".into()
    }
}

fn progress_bar() -> indicatif::ProgressBar {
    let p = indicatif::ProgressBar::new_spinner();
    p.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {records} records, {rate} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
            .with_key(
                "records",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", thousands(s.pos() as usize));
                },
            )
            .with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}/s", thousands(s.per_sec() as usize));
                },
            ),
    );
    p
}

/// Why a run stopped early.
/// Where a record stands in the inputs: its file's place among them,
/// then its line (the reader's order).
struct InputOrder(Vec<String>);

impl InputOrder {
    fn position(&self, origin: &vital_eval::Origin) -> (usize, usize) {
        let file = self.0.iter().position(|n| **n == *origin.file).unwrap_or(0);
        (file, origin.line)
    }
}

enum Failure {
    /// The reader of the results went away (`| head`): not an error.
    Closed,
    Write(std::io::Error),
    Input(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Write(e)
        }
    }
}

/// Counts for the table's closing summary.
struct Tally {
    reported: usize,
    /// Reported results per status arm; the last slot counts no status.
    statuses: Vec<usize>,
    playbooks: Vec<usize>,
}

impl Tally {
    fn new(engine: &Engine<'_>) -> Tally {
        Tally {
            reported: 0,
            statuses: vec![0; engine.rules.status.len() + 1],
            playbooks: vec![0; engine.playbooks.len()],
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.reported += other.reported;
        for (a, b) in self.statuses.iter_mut().zip(&other.statuses) {
            *a += b;
        }
        for (a, b) in self.playbooks.iter_mut().zip(&other.playbooks) {
            *a += b;
        }
    }

    fn add(&mut self, o: &Outcome) {
        self.reported += 1;
        let n = self.statuses.len() - 1;
        let slot = o.status.map_or(n, |s| s.index().min(n));
        self.statuses[slot] += 1;
        for p in &o.triggered {
            if let Some(c) = self.playbooks.get_mut(*p as usize) {
                *c += 1;
            }
        }
    }
}

/// One reported result, rendered (text formats) or kept (the table).
struct Row {
    snapshot: Snapshot,
    outcome: Outcome,
    text: String,
}

/// One block of input, scored and rendered (on a worker).
struct Block {
    records: usize,
    rejections: Vec<vital_eval::Rejection>,
    /// The rendered results (text formats).
    text: String,
    /// The results kept for the table.
    rows: Vec<(Snapshot, Outcome)>,
    tally: Tally,
}

/// Evaluates and renders account histories; shared by the workers.
struct Render<'a> {
    engine: &'a Engine<'a>,
    sources: &'a SourceMap,
    format: OutFormat,
    explain: bool,
    history: Option<&'a history::History<'a>>,
    pick: Pick,
    /// Text buffers of blocks already written, for the next blocks: a
    /// worker's fresh buffer freed on the writing thread would cost page
    /// faults on every block.
    spare: std::sync::Mutex<Vec<String>>,
}

/// Written blocks' buffers kept for reuse ([`Render::spare`]).
const SPARE_BUFFERS: usize = 16;

/// Accounts of a block parsed, then scored and rendered, at a time. One
/// at a time, the reader's, the engine's and the renderer's code take turns
/// in the core's caches on every account; a whole block at a time (about
/// 1,000 accounts, as before), its snapshots (about 1 MB) are out of the
/// nearest caches by the time they are scored. 32 at a time used 3 % less
/// CPU than a whole block when the machine was quiet, 24 % less when it was
/// busy (bench/README.md, "Kept: 32 accounts at a time").
const AT_ONCE: usize = 32;

/// A new block buffer's capacity: a block of 512 kB of input renders to
/// about 270 kB of JSON Lines.
const BLOCK_TEXT: usize = 320 << 10;

/// Where results go.
struct Output<'a> {
    r: &'a Render<'a>,
    engine: &'a Engine<'a>,
    format: OutFormat,
    color: bool,
    out: Box<dyn Write + 'a>,
    /// Rows kept for the table, printed at the end.
    table: Vec<(Snapshot, Outcome)>,
    tally: Tally,
}

impl Render<'_> {
    /// Score and render a block's account histories, in order, [`AT_ONCE`]
    /// at a time as they are read.
    fn block(&self, groups: &mut vital_input::BlockGroups<'_>) -> Block {
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop());
        let mut text = spare.unwrap_or_else(|| String::with_capacity(BLOCK_TEXT));
        let mut rows = Vec::new();
        let mut tally = Tally::new(self.engine);
        let table = self.format == OutFormat::Table;
        let mut some: Vec<Vec<Snapshot>> = Vec::with_capacity(AT_ONCE);
        loop {
            some.extend(groups.by_ref().take(AT_ONCE));
            if some.is_empty() {
                break;
            }
            for group in some.drain(..) {
                let keep = table.then_some(&mut rows);
                self.render(group, &mut text, |_, o, _| tally.add(o), keep);
            }
        }
        Block {
            records: groups.records(),
            rejections: groups.take_rejections(),
            text,
            rows: rows.into_iter().map(|(s, o, _)| (s, o)).collect(),
            tally,
        }
    }

    /// Evaluate one account's history and render its reported snapshots at
    /// the end of `text`, showing each (the snapshot, its outcome, where its
    /// text is) to `each`, and handing them to `keep` when there is one
    /// (else they are dropped here, not moved: a snapshot and an outcome are
    /// a few hundred bytes each). Pure: called in parallel.
    fn render(
        &self,
        group: Vec<Snapshot>,
        text: &mut String,
        mut each: impl FnMut(&Snapshot, &Outcome, Range<usize>),
        keep: Option<&mut Vec<Kept>>,
    ) {
        if let [one] = group.as_slice() {
            // one snapshot: no history, nothing to choose among
            if self.history.is_some() || !reported(one, self.pick) {
                return self.render_history(group, text, each, keep);
            }
            let outcome = self.engine.evaluate_one(one, self.explain);
            let at = self.line(text, one, &outcome);
            each(one, &outcome, at.clone());
            if let (Some(k), Some(s)) = (keep, group.into_iter().next()) {
                k.push((s, outcome, at));
            }
            return;
        }
        self.render_history(group, text, each, keep);
    }

    /// One result's line at the end of `text` (none for the table, which is
    /// written at the end): where it is.
    fn line(&self, text: &mut String, snapshot: &Snapshot, outcome: &Outcome) -> Range<usize> {
        let start = text.len();
        match self.format {
            OutFormat::Table => {}
            OutFormat::Jsonl => {
                vital_eval::results::jsonl(text, self.engine, self.sources, snapshot, outcome);
                text.push('\n');
            }
            OutFormat::Csv => {
                vital_eval::results::csv_row(text, self.engine, snapshot, outcome);
                text.push('\n');
            }
        }
        start..text.len()
    }

    fn render_history(
        &self,
        group: Vec<Snapshot>,
        text: &mut String,
        mut each: impl FnMut(&Snapshot, &Outcome, Range<usize>),
        mut keep: Option<&mut Vec<Kept>>,
    ) {
        let chosen = chosen(&group, self.pick);
        if chosen.is_empty() {
            return;
        }
        let mut outcomes = self.engine.evaluate_group(&group, self.explain);
        if let Some(h) = self.history {
            h.settle(&group, &mut outcomes);
        } else {
            vital_eval::started::cooldowns(self.engine, &group, &mut outcomes);
        }
        let mut outcomes: Vec<Option<Outcome>> = outcomes.into_iter().map(Some).collect();
        let mut group: Vec<Option<Snapshot>> = group.into_iter().map(Some).collect();
        for i in chosen {
            if let (Some(s), Some(o)) = (group[i].take(), outcomes[i].take()) {
                let at = self.line(text, &s, &o);
                each(&s, &o, at.clone());
                if let Some(k) = keep.as_deref_mut() {
                    k.push((s, o, at));
                }
            }
        }
    }
}

/// A result kept past its rendering: the snapshot, its outcome, where its
/// line is in the text.
type Kept = (Snapshot, Outcome, Range<usize>);

impl Output<'_> {
    /// Evaluate a batch's groups in parallel and write their results in input
    /// order (`in_order`: the groups already are; otherwise sort them).
    fn batch(
        &mut self,
        groups: Vec<Vec<Snapshot>>,
        in_order: bool,
        input_order: &InputOrder,
    ) -> std::io::Result<()> {
        let this = self.r;
        let mut rows: Vec<Row> = groups
            .into_par_iter()
            .flat_map_iter(|g| {
                let mut kept = Vec::new();
                let mut text = String::new();
                this.render(g, &mut text, |_, _, _| {}, Some(&mut kept));
                kept.into_iter()
                    .map(|(snapshot, outcome, at)| Row {
                        snapshot,
                        outcome,
                        text: text[at].to_string(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if !in_order {
            rows.par_sort_by_key(|r| input_order.position(&r.snapshot.origin));
        }
        for r in rows {
            self.tally.add(&r.outcome);
            if self.format == OutFormat::Table {
                self.table.push((r.snapshot, r.outcome));
            } else {
                self.out.write_all(r.text.as_bytes())?;
            }
        }
        Ok(())
    }

    /// A block's results, in input order after the blocks before it.
    fn take(&mut self, b: Block) -> std::io::Result<()> {
        self.tally.merge(&b.tally);
        self.table.extend(b.rows);
        self.out.write_all(b.text.as_bytes())?;
        let mut text = b.text;
        text.clear();
        if let Ok(mut spare) = self.r.spare.lock() {
            if spare.len() < SPARE_BUFFERS {
                spare.push(text);
            }
        }
        Ok(())
    }

    fn finish(&mut self, rejected: usize) -> Result<(), Failure> {
        if self.format == OutFormat::Table {
            let rows: Vec<(&Snapshot, &Outcome)> = self.table.iter().map(|(s, o)| (s, o)).collect();
            let text = vital_eval::table::table(self.engine, &rows, self.color);
            self.out.write_all(text.as_bytes())?;
            let summary = self.summary(rejected);
            self.out.write_all(summary.as_bytes())?;
        }
        self.out.flush()?;
        Ok(())
    }

    /// The table's closing lines: accounts per status, rejected records,
    /// how often each playbook fired.
    fn summary(&self, rejected: usize) -> String {
        let rules = self.engine.rules;
        let t = &self.tally;
        let mut out = String::from("\n");
        let mut parts: Vec<String> = rules
            .status
            .iter()
            .zip(&t.statuses)
            .map(|(arm, n)| format!("{} {}", thousands(*n), arm.name))
            .collect();
        if let Some(n) = t.statuses.last().filter(|n| **n > 0) {
            parts.push(format!("{} without a status", thousands(*n)));
        }
        let _ = std::fmt::Write::write_fmt(
            &mut out,
            format_args!(
                "{} result{}: {}\n",
                thousands(t.reported),
                if t.reported == 1 { "" } else { "s" },
                parts.join(", ")
            ),
        );
        let fired: Vec<String> = self
            .engine
            .playbooks
            .iter()
            .zip(&t.playbooks)
            .filter(|(_, n)| **n > 0)
            .map(|(p, n)| format!("{p} {}", thousands(*n)))
            .collect();
        if fired.is_empty() {
            out.push_str("playbooks: none started\n");
        } else {
            // whole items per line, within the table's width
            let mut line = String::from("playbooks:");
            // playbook names may hold commas: items are separated by `·`
            for (i, item) in fired.iter().enumerate() {
                let sep = if i + 1 < fired.len() { " ·" } else { "" };
                if line.chars().count() + 1 + item.chars().count() + 1 > vital_eval::table::WIDTH {
                    out.push_str(&line);
                    out.push('\n');
                    line = String::from("          ");
                }
                line.push(' ');
                line.push_str(item);
                line.push_str(sep);
            }
            out.push_str(&line);
            out.push('\n');
        }
        if rejected > 0 {
            out.push_str(&format!(
                "rejected: {} record{} (see above)\n",
                thousands(rejected),
                if rejected == 1 { "" } else { "s" }
            ));
        }
        out
    }
}
