//! `vital run` and `vital explain`: reading snapshot files, grouping the
//! records of each account, evaluating in parallel, writing results in input
//! order.
//!
//! Memory: JSON Lines and CSV files are first scanned once to learn whether
//! each account's records are consecutive ("grouped"). Grouped input is then
//! streamed: only one batch of records (and the records of the accounts in
//! it) is held at a time, whatever the number of accounts. Input that is not
//! grouped is held whole, grouped by account, before it is evaluated. A JSON
//! array is always read whole. Standard input is streamed as grouped input;
//! an account whose records come back after other accounts' is rejected with
//! a message saying so.

use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use vital_eval::reader::{fast_account, guess_account, Column};
use vital_eval::{Engine, Ignored, Origin, Outcome, Rejection, Schema, Snapshot};
use vital_syntax::SourceMap;

/// Records parsed per batch (and evaluated per parallel step).
const BATCH: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Jsonl,
    Csv,
    Table,
}

/// Which snapshots of an account are reported.
#[derive(Debug, Clone, Copy)]
pub enum Pick {
    Latest,
    All,
    AsOf(NaiveDate),
}

pub struct Options {
    pub format: OutFormat,
    pub explain: bool,
    pub pick: Pick,
    pub color: bool,
    pub progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jsonl,
    Json,
    Csv,
}

pub struct Input {
    path: Option<PathBuf>,
    kind: Kind,
    name: Arc<str>,
}

/// The inputs named on the command line (`-` is standard input, JSON Lines).
pub fn inputs(files: &[PathBuf]) -> Result<Vec<Input>, String> {
    files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                return Ok(Input {
                    path: None,
                    kind: Kind::Jsonl,
                    name: Arc::from("-"),
                });
            }
            let name = crate::files::display(f);
            let kind = match f.extension().and_then(|e| e.to_str()) {
                Some("jsonl" | "ndjson") => Kind::Jsonl,
                Some("json") => Kind::Json,
                Some("csv") => Kind::Csv,
                _ => {
                    return Err(format!(
                        "cannot tell the format of `{name}`: name it .jsonl (JSON Lines), .json (a JSON array) or .csv"
                    ))
                }
            };
            std::fs::metadata(f).map_err(|e| format!("cannot read `{name}`: {}", io_reason(&e)))?;
            Ok(Input {
                path: Some(f.clone()),
                kind,
                name: Arc::from(name.as_str()),
            })
        })
        .collect()
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// What a run found besides results.
#[derive(Default)]
pub struct Tally {
    pub rejected: usize,
    pub evaluated: usize,
    pub records: usize,
}

/// Accounts and their records, as the reader groups them.
struct Grouper {
    current: Vec<Snapshot>,
    /// Hashes of accounts whose run of records is finished (stdin only:
    /// detects records that come back later).
    finished: Option<HashSet<u64>>,
    stdin_name: Arc<str>,
}

/// FNV-1a: accounts are only compared for "seen before?", so a fast hash
/// is enough (a collision could only make input look ungrouped, which is
/// handled correctly, just with more memory).
fn hash_account(a: &str) -> u64 {
    a.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn duplicate(group: &[Snapshot], s: &Snapshot) -> Option<Rejection> {
    group
        .iter()
        .find(|g| g.as_of == s.as_of)
        .map(|first| Rejection {
            origin: s.origin.clone(),
            account: s.account.to_string(),
            reason: format!(
                "duplicate snapshot for {}, first at {}",
                s.as_of.format("%Y-%m-%d"),
                first.origin
            ),
        })
}

impl Grouper {
    /// Add a record; returns the group it completes, if any.
    fn push(&mut self, s: Snapshot, rejections: &mut Vec<Rejection>) -> Option<Vec<Snapshot>> {
        let same = self.current.first().is_some_and(|c| c.account == s.account);
        if same {
            match duplicate(&self.current, &s) {
                Some(r) => rejections.push(r),
                None => self.current.push(s),
            }
            return None;
        }
        if let Some(seen) = &self.finished {
            if seen.contains(&hash_account(&s.account)) {
                rejections.push(Rejection {
                    origin: s.origin.clone(),
                    account: s.account.to_string(),
                    reason: format!(
                        "the records of this account in {} are not consecutive; standard input is read as a stream, so sort it by account (or pass a file)",
                        self.stdin_name
                    ),
                });
                return None;
            }
        }
        let done = std::mem::replace(&mut self.current, vec![s]);
        if done.is_empty() {
            return None;
        }
        if let Some(seen) = &mut self.finished {
            seen.insert(hash_account(&done[0].account));
        }
        Some(done)
    }

    fn finish(&mut self) -> Option<Vec<Snapshot>> {
        let done = std::mem::take(&mut self.current);
        (!done.is_empty()).then_some(done)
    }
}

/// Evaluates and renders groups; shared by the worker threads.
pub struct Renderer<'a> {
    engine: &'a Engine<'a>,
    sources: &'a SourceMap,
    opts: &'a Options,
}

/// A sink for evaluated groups: picks the reported snapshots and writes them.
pub struct Writer<'a> {
    r: Renderer<'a>,
    /// Input files in command-line order (results of several files come out
    /// file by file).
    rank: HashMap<Arc<str>, usize>,
    out: Box<dyn Write + 'a>,
    /// Rows kept for the table format.
    table: Vec<(Snapshot, Outcome)>,
    pub tally: Tally,
}

impl<'a> Writer<'a> {
    pub fn new(
        engine: &'a Engine<'a>,
        sources: &'a SourceMap,
        opts: &'a Options,
        out: Box<dyn Write + 'a>,
    ) -> std::io::Result<Writer<'a>> {
        let mut w = Writer {
            r: Renderer {
                engine,
                sources,
                opts,
            },
            rank: HashMap::new(),
            out,
            table: Vec::new(),
            tally: Tally::default(),
        };
        if opts.format == OutFormat::Csv {
            writeln!(w.out, "{}", vital_eval::results::csv_header(engine))?;
        }
        Ok(w)
    }

    fn emit(&mut self, r: Rendered) -> std::io::Result<()> {
        match r {
            Rendered::Text(t, n) => {
                self.tally.evaluated += n;
                self.out.write_all(t.as_bytes())
            }
            Rendered::Rows(rows) => {
                self.tally.evaluated += rows.len();
                self.table.extend(rows);
                Ok(())
            }
            Rendered::Lines(lines) => {
                self.tally.evaluated += lines.len();
                for (_, t) in lines {
                    self.out.write_all(t.as_bytes())?;
                }
                Ok(())
            }
        }
    }

    /// Evaluate groups (in parallel) and write their reported snapshots in
    /// input order.
    fn groups(&mut self, groups: Vec<Vec<Snapshot>>, stream: bool) -> std::io::Result<()> {
        let r = &self.r;
        let rendered: Vec<Rendered> = groups
            .into_par_iter()
            .map(|g| r.render(g, !stream))
            .collect();
        if stream {
            // grouped input: groups, and the rows within, are in input order
            for x in rendered {
                self.emit(x)?;
            }
            return Ok(());
        }
        // buffered input: put every result back in input order
        let mut lines: Vec<((Arc<str>, usize), String)> = Vec::new();
        let mut rows: Vec<(Snapshot, Outcome)> = Vec::new();
        for x in rendered {
            match x {
                Rendered::Lines(l) => lines.extend(l),
                Rendered::Rows(r) => rows.extend(r),
                Rendered::Text(..) => {}
            }
        }
        let rank = |f: &Arc<str>| self.rank.get(f).copied().unwrap_or(0);
        lines.sort_by_key(|l| (rank(&l.0 .0), l.0 .1));
        rows.sort_by_key(|r| (rank(&r.0.origin.file), r.0.origin.line));
        self.tally.evaluated += lines.len() + rows.len();
        for (_, t) in lines {
            self.out.write_all(t.as_bytes())?;
        }
        self.table.extend(rows);
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<Tally> {
        if self.r.opts.format == OutFormat::Table {
            let rows: Vec<(&Snapshot, &Outcome)> = self.table.iter().map(|(s, o)| (s, o)).collect();
            let text = vital_eval::results::table(self.r.engine, &rows, self.r.opts.color);
            self.out.write_all(text.as_bytes())?;
        }
        self.out.flush()?;
        Ok(self.tally)
    }
}

impl Renderer<'_> {
    /// Evaluate one account's group and render its reported snapshots.
    /// Pure: called in parallel.
    fn render(&self, group: Vec<Snapshot>, per_row: bool) -> Rendered {
        let chosen = chosen(&group, self.opts.pick);
        if chosen.is_empty() {
            return Rendered::Text(String::new(), 0);
        }
        let outcomes = self.engine.evaluate_group(&group, self.opts.explain);
        let mut outcomes: Vec<Option<Outcome>> = outcomes.into_iter().map(Some).collect();
        let mut group: Vec<Option<Snapshot>> = group.into_iter().map(Some).collect();
        let mut rows: Vec<(Snapshot, Outcome)> = Vec::with_capacity(chosen.len());
        for i in chosen {
            if let (Some(s), Some(o)) = (group[i].take(), outcomes[i].take()) {
                rows.push((s, o));
            }
        }
        rows.sort_by(|a, b| {
            (&a.0.origin.file, a.0.origin.line).cmp(&(&b.0.origin.file, b.0.origin.line))
        });
        let n = rows.len();
        let mut buf = String::new();
        if per_row && self.opts.format != OutFormat::Table {
            let lines = rows
                .iter()
                .map(|(s, o)| {
                    let mut t = String::new();
                    if self.opts.format == OutFormat::Jsonl {
                        vital_eval::results::jsonl(&mut t, self.engine, self.sources, s, o);
                    } else {
                        vital_eval::results::csv_row(&mut t, self.engine, s, o);
                    }
                    t.push('\n');
                    ((s.origin.file.clone(), s.origin.line), t)
                })
                .collect();
            return Rendered::Lines(lines);
        }
        match self.opts.format {
            OutFormat::Table => return Rendered::Rows(rows),
            OutFormat::Jsonl => {
                for (s, o) in &rows {
                    vital_eval::results::jsonl(&mut buf, self.engine, self.sources, s, o);
                    buf.push('\n');
                }
            }
            OutFormat::Csv => {
                for (s, o) in &rows {
                    vital_eval::results::csv_row(&mut buf, self.engine, s, o);
                    buf.push('\n');
                }
            }
        }
        Rendered::Text(buf, n)
    }
}

/// A group's rendered results.
enum Rendered {
    /// JSON Lines or CSV text, and how many results it holds.
    Text(String, usize),
    /// Rows for the table, printed at the end.
    Rows(Vec<(Snapshot, Outcome)>),
    /// Each result's text with its input line (buffered input, where the
    /// results of different accounts interleave).
    Lines(Vec<((Arc<str>, usize), String)>),
}

/// Indices of the snapshots of a group that are reported.
fn chosen(group: &[Snapshot], pick: Pick) -> Vec<usize> {
    match pick {
        Pick::All => (0..group.len()).collect(),
        Pick::Latest => group
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.as_of)
            .map(|(i, _)| vec![i])
            .unwrap_or_default(),
        Pick::AsOf(d) => group
            .iter()
            .enumerate()
            .filter(|(_, s)| s.as_of <= d)
            .max_by_key(|(_, s)| s.as_of)
            .map(|(i, _)| vec![i])
            .unwrap_or_default(),
    }
}

/// Lines of a JSON Lines source, in batches, with their line numbers.
struct Lines<R: BufRead> {
    reader: R,
    line: usize,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    fn batch(&mut self, max: usize) -> std::io::Result<Vec<(usize, String)>> {
        let mut out = Vec::with_capacity(max.min(1024));
        while out.len() < max && !self.done {
            let mut buf = Vec::new();
            let n = self.reader.read_until(b'\n', &mut buf)?;
            if n == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            let text = match String::from_utf8(buf) {
                Ok(t) => t,
                Err(e) => format!("{NOT_UTF8}{}", String::from_utf8_lossy(e.as_bytes())),
            };
            if text.trim().is_empty() {
                continue;
            }
            out.push((self.line, text));
        }
        Ok(out)
    }
}

fn open(input: &Input) -> std::io::Result<Box<dyn BufRead + Send>> {
    Ok(match &input.path {
        Some(p) => Box::new(BufReader::with_capacity(1 << 20, std::fs::File::open(p)?)),
        None => Box::new(BufReader::with_capacity(1 << 20, std::io::stdin())),
    })
}

/// Are the records of each account consecutive in this file? One cheap pass
/// that reads only the `account` of each record.
fn grouped(input: &Input) -> std::io::Result<bool> {
    let Some(path) = &input.path else {
        return Ok(true);
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let mut last: Option<u64> = None;
    let mut check = |acc: &str| {
        let h = hash_account(acc);
        if last != Some(h) {
            if !seen.insert(h) {
                return false;
            }
            last = Some(h);
        }
        true
    };
    match input.kind {
        Kind::Json => Ok(false),
        Kind::Jsonl => {
            let mut r = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                if r.read_until(b'\n', &mut buf)? == 0 {
                    return Ok(true);
                }
                // not UTF-8: the record is rejected later; it does not group
                let Ok(text) = std::str::from_utf8(&buf) else {
                    continue;
                };
                if text.trim().is_empty() {
                    continue;
                }
                if let Some(acc) = fast_account(text) {
                    if !check(&acc) {
                        return Ok(false);
                    }
                }
            }
        }
        Kind::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .from_path(path)
                .map_err(std::io::Error::other)?;
            // a row that cannot be read is rejected by the main pass
            for rec in r.records().flatten() {
                if let Some(acc) = rec.get(0) {
                    if !check(acc) {
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        }
    }
}

/// The message for a failed write of results; a closed pipe (`| head`) is
/// not an error and is reported as [`CLOSED`].
pub fn write_error(e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CLOSED.to_string()
    } else {
        format!("cannot write results: {e}")
    }
}

/// The reader of the results went away.
pub const CLOSED: &str = "the output was closed";

/// Run every input through the rules. Rejections go to `errors` as they
/// are found; results go to the writer.
pub fn run(
    schema: &Schema<'_>,
    inputs: &[Input],
    writer: &mut Writer<'_>,
    errors: &mut dyn Write,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(), String> {
    // Several inputs are one rule set's history: an account's snapshots in
    // different files meet, so they are held together (memory grows with
    // the input, as for ungrouped files).
    let multi = inputs.len() > 1;
    writer.rank = inputs
        .iter()
        .enumerate()
        .map(|(i, x)| (x.name.clone(), i))
        .collect();
    let mut buffered: HashMap<Arc<str>, Vec<Snapshot>> = HashMap::new();
    let mut order: Vec<Arc<str>> = Vec::new();
    for (k, input) in inputs.iter().enumerate() {
        let mut ignored = Ignored::default();
        let stream = !multi
            && grouped(input)
                .map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
        let final_input = k + 1 == inputs.len();
        let mut grouper = Grouper {
            current: Vec::new(),
            finished: input.path.is_none().then(HashSet::new),
            stdin_name: Arc::from("standard input"),
        };
        let mut report = |recs: Vec<Result<Snapshot, Rejection>>,
                          writer: &mut Writer<'_>,
                          last: bool,
                          errors: &mut dyn Write|
         -> Result<(), String> {
            let mut rejections = Vec::new();
            let mut groups = Vec::new();
            let n = recs.len();
            for r in recs {
                match r {
                    Err(rej) => rejections.push(rej),
                    Ok(s) if stream => {
                        if let Some(g) = grouper.push(s, &mut rejections) {
                            groups.push(g);
                        }
                    }
                    Ok(s) => match buffered.get_mut(&s.account) {
                        Some(g) => match duplicate(g, &s) {
                            Some(r) => rejections.push(r),
                            None => g.push(s),
                        },
                        None => {
                            order.push(s.account.clone());
                            buffered.insert(s.account.clone(), vec![s]);
                        }
                    },
                }
            }
            if last {
                if stream {
                    groups.extend(grouper.finish());
                } else if final_input {
                    for a in order.drain(..) {
                        if let Some(g) = buffered.remove(&a) {
                            groups.push(g);
                        }
                    }
                }
            }
            writer.tally.records += n;
            writer.tally.rejected += rejections.len();
            for r in &rejections {
                let _ = writeln!(errors, "{r}");
            }
            writer.groups(groups, stream).map_err(write_error)?;
            if let Some(p) = progress {
                p.set_position(writer.tally.records as u64);
            }
            Ok(())
        };
        match input.kind {
            Kind::Jsonl if stream => {
                stream_jsonl(schema, input, writer, errors, progress, &mut ignored)?;
            }
            Kind::Jsonl => {
                let reader = open(input)
                    .map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
                let mut lines = Lines {
                    reader,
                    line: 0,
                    done: false,
                };
                loop {
                    let batch = lines
                        .batch(BATCH)
                        .map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
                    let parsed: Vec<(Result<Snapshot, Rejection>, Ignored)> = batch
                        .par_iter()
                        .map(|(line, text)| {
                            let mut ig = Ignored::default();
                            let origin = Origin {
                                file: input.name.clone(),
                                line: *line,
                            };
                            match utf8_rejection(text, &origin) {
                                Some(rej) => (Err(rej), ig),
                                None => (schema.json_record(text, origin, &mut ig), ig),
                            }
                        })
                        .collect();
                    let mut recs = Vec::with_capacity(parsed.len());
                    for (r, ig) in parsed {
                        if !ig.is_empty() {
                            ignored.merge(ig);
                        }
                        recs.push(r);
                    }
                    let last = lines.done;
                    report(recs, writer, last, errors)?;
                    if last {
                        break;
                    }
                }
            }
            Kind::Json => {
                let mut text = String::new();
                open(input)
                    .and_then(|mut r| r.read_to_string(&mut text))
                    .map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
                let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(&text)
                    .map_err(|e| {
                        format!(
                            "`{}` is not a JSON array of records: {e} (line {}, column {})",
                            input.name,
                            e.line(),
                            e.column()
                        )
                    })?;
                let line_of = line_finder(&text);
                let parsed: Vec<(Result<Snapshot, Rejection>, Ignored)> = items
                    .par_iter()
                    .map(|raw| {
                        let mut ig = Ignored::default();
                        let origin = Origin {
                            file: input.name.clone(),
                            line: line_of(raw),
                        };
                        (schema.json_record(raw.get(), origin, &mut ig), ig)
                    })
                    .collect();
                let mut recs = Vec::with_capacity(parsed.len());
                for (r, ig) in parsed {
                    ignored.merge(ig);
                    recs.push(r);
                }
                report(recs, writer, true, errors)?;
            }
            Kind::Csv => {
                let mut r = csv_reader(input)?;
                let mut rec = csv::StringRecord::new();
                let mut columns: Option<Vec<Column>> = None;
                let mut recs = Vec::new();
                loop {
                    let more = match r.read_record(&mut rec) {
                        Ok(m) => m,
                        Err(e) => {
                            let line = e.position().map_or(0, |p| p.line() as usize);
                            recs.push(Err(Rejection {
                                origin: Origin {
                                    file: input.name.clone(),
                                    line,
                                },
                                account: "?".into(),
                                reason: format!("malformed CSV ({e})"),
                            }));
                            continue;
                        }
                    };
                    if !more {
                        break;
                    }
                    let line = rec.position().map_or(0, |p| p.line() as usize);
                    let cells: Vec<&str> = rec.iter().collect();
                    if cells.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let Some(cols) = &columns else {
                        columns = Some(
                            schema
                                .csv_header(&cells)
                                .map_err(|e| format!("{}:{line}: {e}", input.name))?,
                        );
                        continue;
                    };
                    let origin = Origin {
                        file: input.name.clone(),
                        line,
                    };
                    recs.push(schema.csv_record(&cells, cols, origin, &mut ignored));
                    if recs.len() >= BATCH {
                        report(std::mem::take(&mut recs), writer, false, errors)?;
                    }
                }
                report(recs, writer, true, errors)?;
            }
        }
        for line in ignored.lines() {
            let _ = writeln!(errors, "warning: {}: {line}", input.name);
        }
    }
    Ok(())
}

/// Marks a line that was not UTF-8 (a noncharacter no JSON record starts with).
const NOT_UTF8: char = '\u{FFFF}';

/// The rejection of a line that is not UTF-8, if it is one.
fn utf8_rejection(text: &str, origin: &Origin) -> Option<Rejection> {
    text.starts_with(NOT_UTF8).then(|| Rejection {
        origin: origin.clone(),
        account: guess_account(text.trim_start_matches(NOT_UTF8)),
        reason: "the line is not valid UTF-8".into(),
    })
}

/// A CSV reader over an input; the header is read as the first record.
fn csv_reader(input: &Input) -> Result<csv::Reader<Box<dyn BufRead + Send>>, String> {
    let reader =
        open(input).map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(reader))
}

/// Lines read, with their line numbers.
type Batch = Vec<(usize, String)>;

/// One account's run of consecutive JSON Lines records.
struct Run {
    lines: Vec<(usize, String)>,
    /// Its account came before, separated by other accounts (stdin).
    repeated: bool,
}

/// What a worker made of one run.
struct Done {
    rejections: Vec<Rejection>,
    ignored: Ignored,
    rendered: Option<Rendered>,
    records: usize,
}

/// Parse, validate, evaluate and render one account's run (in a worker).
fn process_run(schema: &Schema<'_>, r: &Renderer<'_>, name: &Arc<str>, run: Run) -> Done {
    let records = run.lines.len();
    let mut ignored = Ignored::default();
    let mut rejections = Vec::new();
    let mut group: Vec<Snapshot> = Vec::with_capacity(run.lines.len());
    for (line, text) in run.lines {
        let origin = Origin {
            file: name.clone(),
            line,
        };
        if let Some(rej) = utf8_rejection(&text, &origin) {
            rejections.push(rej);
            continue;
        }
        if run.repeated {
            rejections.push(Rejection {
                origin,
                account: guess_account(&text),
                reason: "the records of this account in standard input are not consecutive; standard input is read as a stream, so sort it by account (or pass a file)".into(),
            });
            continue;
        }
        match schema.json_record(&text, origin, &mut ignored) {
            Ok(s) => match duplicate(&group, &s) {
                Some(rej) => rejections.push(rej),
                None => group.push(s),
            },
            Err(rej) => rejections.push(rej),
        }
    }
    let rendered = (!group.is_empty()).then(|| r.render(group, false));
    Done {
        rejections,
        ignored,
        rendered,
        records,
    }
}

/// Grouped JSON Lines: batches of lines are cut into runs of one account
/// each; every run is parsed, evaluated and rendered by a worker; results go
/// out in input order. Memory holds one batch.
fn stream_jsonl(
    schema: &Schema<'_>,
    input: &Input,
    writer: &mut Writer<'_>,
    errors: &mut dyn Write,
    progress: Option<&indicatif::ProgressBar>,
    ignored: &mut Ignored,
) -> Result<(), String> {
    let reader =
        open(input).map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
    let mut lines = Lines {
        reader,
        line: 0,
        done: false,
    };
    let mut finished: Option<HashSet<u64>> = input.path.is_none().then(HashSet::new);
    let mut cur: Vec<(usize, String)> = Vec::new();
    let mut cur_acc: Option<String> = None;
    let mut next = Some(lines.batch(BATCH));
    loop {
        let batch = next
            .take()
            .unwrap_or_else(|| Ok(Vec::new()))
            .map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
        let last = lines.done;
        let mut runs: Vec<Run> = Vec::new();
        let mut close = |lines: Vec<(usize, String)>, acc: Option<String>, runs: &mut Vec<Run>| {
            if lines.is_empty() {
                return;
            }
            let repeated = match (&mut finished, &acc) {
                (Some(seen), Some(a)) => !seen.insert(hash_account(a)),
                _ => false,
            };
            runs.push(Run { lines, repeated });
        };
        for (line, text) in batch {
            match (fast_account(&text), &cur_acc) {
                (Some(a), Some(c)) if !cur.is_empty() && a == c.as_str() => {}
                // no readable account: rejected on its own later, and it
                // does not end the account around it
                (None, _) if !cur.is_empty() => {}
                (acc, _) => {
                    close(std::mem::take(&mut cur), cur_acc.take(), &mut runs);
                    cur_acc = acc.map(|a| a.into_owned());
                }
            }
            cur.push((line, text));
        }
        if last {
            close(std::mem::take(&mut cur), cur_acc.take(), &mut runs);
        }
        let r = &writer.r;
        // read the next batch while the workers process this one
        let (done, read): (Vec<Done>, Option<std::io::Result<Batch>>) = rayon::join(
            || {
                runs.into_par_iter()
                    .map(|run| process_run(schema, r, &input.name, run))
                    .collect()
            },
            || (!last).then(|| lines.batch(BATCH)),
        );
        next = read;
        for d in done {
            writer.tally.records += d.records;
            writer.tally.rejected += d.rejections.len();
            for rej in &d.rejections {
                let _ = writeln!(errors, "{rej}");
            }
            if !d.ignored.is_empty() {
                ignored.merge(d.ignored);
            }
            if let Some(x) = d.rendered {
                writer.emit(x).map_err(write_error)?;
            }
        }
        if let Some(p) = progress {
            p.set_position(writer.tally.records as u64);
        }
        if last {
            return Ok(());
        }
    }
}

/// The line of each element of a JSON array (the line its text starts on),
/// through a line index of the whole text.
fn line_finder(text: &str) -> impl Fn(&serde_json::value::RawValue) -> usize + Sync + '_ {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let base = text.as_ptr() as usize;
    move |raw| {
        let off = (raw.get().as_ptr() as usize)
            .saturating_sub(base)
            .min(text.len());
        starts.partition_point(|&s| s <= off)
    }
}

/// Every accepted snapshot of one account, in input order, for `explain`.
pub fn account_group(
    schema: &Schema<'_>,
    inputs: &[Input],
    account: &str,
    errors: &mut dyn Write,
) -> Result<(Vec<Snapshot>, usize), String> {
    let mut group: Vec<Snapshot> = Vec::new();
    let mut rejected = 0;
    for input in inputs {
        let mut ignored = Ignored::default();
        let mut keep = |r: Result<Snapshot, Rejection>, errors: &mut dyn Write| match r {
            Ok(s) => match duplicate(&group, &s) {
                Some(rej) => {
                    rejected += 1;
                    let _ = writeln!(errors, "{rej}");
                }
                None => group.push(s),
            },
            Err(rej) => {
                rejected += 1;
                let _ = writeln!(errors, "{rej}");
            }
        };
        match input.kind {
            Kind::Jsonl | Kind::Json => {
                let mut text = String::new();
                open(input)
                    .and_then(|mut r| r.read_to_string(&mut text))
                    .map_err(|e| format!("cannot read `{}`: {}", input.name, io_reason(&e)))?;
                if input.kind == Kind::Json {
                    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(&text)
                        .map_err(|e| {
                            format!("`{}` is not a JSON array of records: {e}", input.name)
                        })?;
                    let line_of = line_finder(&text);
                    for raw in items {
                        if fast_account(raw.get()).as_deref() != Some(account) {
                            continue;
                        }
                        let line = line_of(raw);
                        let origin = Origin {
                            file: input.name.clone(),
                            line,
                        };
                        keep(schema.json_record(raw.get(), origin, &mut ignored), errors);
                    }
                } else {
                    for (i, line) in text.lines().enumerate() {
                        if fast_account(line).as_deref() != Some(account) {
                            continue;
                        }
                        let origin = Origin {
                            file: input.name.clone(),
                            line: i + 1,
                        };
                        keep(schema.json_record(line, origin, &mut ignored), errors);
                    }
                }
            }
            Kind::Csv => {
                let mut r = csv_reader(input)?;
                let mut columns: Option<Vec<Column>> = None;
                for rec in r.records() {
                    let rec = match rec {
                        Ok(rec) => rec,
                        Err(e) => {
                            let line = e.position().map_or(0, |p| p.line() as usize);
                            keep(
                                Err(Rejection {
                                    origin: Origin {
                                        file: input.name.clone(),
                                        line,
                                    },
                                    account: "?".into(),
                                    reason: format!("malformed CSV ({e})"),
                                }),
                                errors,
                            );
                            continue;
                        }
                    };
                    let line = rec.position().map_or(0, |p| p.line() as usize);
                    let cells: Vec<&str> = rec.iter().collect();
                    let Some(cols) = &columns else {
                        columns = Some(
                            schema
                                .csv_header(&cells)
                                .map_err(|e| format!("{}:{line}: {e}", input.name))?,
                        );
                        continue;
                    };
                    if cells.first() != Some(&account) {
                        continue;
                    }
                    let origin = Origin {
                        file: input.name.clone(),
                        line,
                    };
                    keep(
                        schema.csv_record(&cells, cols, origin, &mut ignored),
                        errors,
                    );
                }
            }
        }
    }
    Ok((group, rejected))
}
