//! Inputs → batches of account histories and rejections.

use crate::blocks::BlockGroups;
use crate::source::{Format, Input, InputError};
use crate::Profile;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};
use vital_check::ir::SignalId;
use vital_eval::reader::{fast_account, guess_account, Column, Problem};
use vital_eval::{Ignored, Origin, Rejection, Schema, Snapshot};

/// Records read per batch when streaming.
pub const BATCH: usize = 8192;

/// Which accounts are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    /// One account (`vital explain`): other accounts' records are skipped
    /// unread; a record whose account cannot be read is still reported (it
    /// may be this account's).
    Account(String),
}

/// Accepted snapshots grouped by account, and the records rejected.
#[derive(Debug, Default)]
pub struct Batch {
    /// Each account's accepted snapshots, in input order; an account is in
    /// exactly one batch.
    pub groups: Vec<Vec<Snapshot>>,
    pub rejections: Vec<Rejection>,
    /// Records read (accepted or not).
    pub records: usize,
    /// The groups, and the snapshots in them, are in input order (streamed
    /// input), so results can be written as they come. Otherwise results
    /// are put in input order with [`Reader::position`].
    pub in_order: bool,
}

/// Why [`Reader::blocks`] stopped early.
#[derive(Debug)]
pub enum Stopped<E> {
    Input(InputError),
    /// The sink's error.
    Sink(E),
}

/// Reads the inputs of one command; see the crate documentation.
pub struct Reader<'s, 'r> {
    schema: &'s Schema<'r>,
    inputs: Vec<Input>,
    select: Select,
    mode: Mode,
    ignored: Ignored,
    profile: Profile,
    /// `require_columns`: every declared signal must be an input column.
    require_columns: bool,
    /// Rejections carry the record's text (`--rejects`).
    keep_records: bool,
    /// Further warning lines, each naming its file (Parquet events that no
    /// snapshot has).
    notes: Vec<String>,
}

enum Mode {
    /// One JSON Lines input, not yet known to be grouped: read in blocks by
    /// [`Reader::blocks`], or else pre-scanned by [`Reader::next_batch`].
    Blocks,
    Stream(Box<Stream>),
    /// One Parquet snapshots table whose accounts are grouped (and its
    /// events tables): streamed in pieces.
    Parquet(Box<ParquetStream>),
    Whole,
    Done,
}

/// A grouped Parquet snapshots table being streamed: opened at the first
/// batch, after its events tables are read.
#[derive(Default)]
struct ParquetStream {
    open: Option<(crate::parquet::EventTables, crate::parquet::RowStream)>,
    /// The rows of the account at the end of the last piece: it may go on.
    carry: Vec<crate::parquet::Parsed>,
    carry_key: Option<Arc<str>>,
}

/// A grouped input being streamed.
struct Stream {
    source: Source,
    /// The run of the account at the end of the last batch: it may go on.
    carry: Vec<Raw>,
    carry_key: Option<String>,
    /// The next batch, read while the last one was parsed.
    ahead: Option<Result<Vec<Raw>, InputError>>,
    /// A CSV input's columns.
    columns: Option<Arc<[Column]>>,
}

/// One record as read, before parsing.
enum Raw {
    Json {
        line: usize,
        text: String,
    },
    NotUtf8 {
        line: usize,
        lossy: String,
    },
    Csv {
        line: usize,
        cells: csv::StringRecord,
    },
    /// A CSV row the CSV reader could not read.
    Broken(Rejection),
}

impl Raw {
    /// The account, when it can be seen without parsing the record.
    fn key(&self) -> Option<Cow<'_, str>> {
        match self {
            Raw::Json { text, .. } => fast_account(text),
            Raw::NotUtf8 { .. } | Raw::Broken(_) => None,
            Raw::Csv { cells, .. } => cells.get(0).filter(|a| !a.is_empty()).map(Cow::Borrowed),
        }
    }

    /// The record as it was written (a CSV row re-joined with the
    /// delimiter, quoted where needed), for `--rejects`.
    fn text(&self, schema: &Schema<'_>) -> Option<String> {
        match self {
            Raw::Json { text, .. } => Some(text.trim_end().to_string()),
            Raw::NotUtf8 { lossy, .. } => Some(lossy.trim_end().to_string()),
            Raw::Csv { cells, .. } => {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(schema.mapping().delimiter)
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(Vec::new());
                w.write_record(cells).ok()?;
                let bytes = w.into_inner().ok()?;
                Some(String::from_utf8_lossy(&bytes).trim_end().to_string())
            }
            Raw::Broken(_) => None,
        }
    }

    /// The account this record may belong to, for [`Select::Account`].
    fn may_be(&self, account: &str) -> bool {
        match self {
            Raw::NotUtf8 { lossy, .. } => {
                let g = guess_account(lossy);
                g == "?" || g == account
            }
            Raw::Broken(_) => true,
            _ => self.key().is_none_or(|k| k == account),
        }
    }
}

/// Lines of JSON Lines, or rows of CSV, read in batches.
enum Source {
    Lines {
        reader: std::io::BufReader<std::fs::File>,
        line: usize,
        done: bool,
    },
    Csv {
        reader: Box<csv::Reader<Counting>>,
        /// The file offset `reader` started at: 0, or the line after a row
        /// whose quote was never closed (the reader's positions count from
        /// it).
        base: u64,
        /// Where the newlines are (the CSV reader's own line numbers skip
        /// blank lines and count `\r\n` wrong).
        lines: Lines,
        /// From the header.
        columns: Arc<[Column]>,
        /// The field delimiter (`vital.toml`'s `delimiter`).
        delimiter: u8,
        /// Where each row's cells go when the header does not start with
        /// `account,as_of` ([`vital_eval::reader::header_order`]).
        order: Option<Arc<[usize]>>,
        done: bool,
    },
}

impl Source {
    fn done(&self) -> bool {
        match self {
            Source::Lines { done, .. } | Source::Csv { done, .. } => *done,
        }
    }

    /// A CSV input's columns.
    fn columns(&self) -> Option<Arc<[Column]>> {
        match self {
            Source::Lines { .. } => None,
            Source::Csv { columns, .. } => Some(columns.clone()),
        }
    }

    fn batch(&mut self, input: &Input, max: usize) -> Result<Vec<Raw>, InputError> {
        let mut out = Vec::with_capacity(max.min(1024));
        match self {
            Source::Lines { reader, line, done } => {
                while out.len() < max && !*done {
                    let mut buf = Vec::new();
                    if reader
                        .read_until(b'\n', &mut buf)
                        .map_err(|e| input.io(e))?
                        == 0
                    {
                        *done = true;
                        break;
                    }
                    *line += 1;
                    if *line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                        buf.drain(..3);
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    out.push(match String::from_utf8(buf) {
                        Ok(text) => Raw::Json { line: *line, text },
                        Err(e) => Raw::NotUtf8 {
                            line: *line,
                            lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                        },
                    });
                }
            }
            Source::Csv {
                reader,
                base,
                done,
                lines,
                delimiter,
                order,
                columns,
            } => {
                while out.len() < max && !*done {
                    let mut rec = csv::StringRecord::new();
                    match reader.read_record(&mut rec) {
                        Ok(false) => *done = true,
                        Ok(true) => {
                            if rec.iter().all(|c| c.trim().is_empty()) {
                                continue;
                            }
                            let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
                            // a quote never closed makes the CSV reader take
                            // the rest of the file into one field: the row's
                            // first line is rejected and reading resumes on
                            // the line after it
                            if rec.iter().any(|c| c.contains('\n')) {
                                let start = *base + rec.position().map_or(0, csv::Position::byte);
                                let end = *base + reader.position().byte();
                                let cells = columns.len() + 2;
                                if let Some(broken) =
                                    stray_quote(input, start, end, *delimiter, cells)?
                                {
                                    let (account, text) = first_cell(&broken.text, *delimiter);
                                    out.push(Raw::Broken(Rejection {
                                        origin: Origin {
                                            file: input.name.clone(),
                                            line,
                                        },
                                        account,
                                        reason: format!("malformed CSV (a quote opened on this line is {}; the line is not scored and the next line is read as a row of its own: close the quote, or write a quote inside a field twice: \"\")", broken.why),
                                        problem: Problem::MalformedCsv,
                                        record: Some(text.into()),
                                    }));
                                    *base = broken.next;
                                    (**reader, *lines) =
                                        csv_reader_at(input, broken.next, line + 1, *delimiter)?;
                                    continue;
                                }
                            }
                            let cells = match order {
                                Some(order) if rec.len() == order.len() => reordered(&rec, order),
                                _ => rec,
                            };
                            out.push(Raw::Csv { line, cells });
                        }
                        Err(e) => {
                            let io = matches!(e.kind(), csv::ErrorKind::Io(_));
                            let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                            if io {
                                return Err(input.io(std::io::Error::other(e.to_string())));
                            }
                            out.push(Raw::Broken(Rejection {
                                origin: Origin {
                                    file: input.name.clone(),
                                    line,
                                },
                                account: "?".into(),
                                reason: format!("malformed CSV ({e})"),
                                problem: Problem::MalformedCsv,
                                record: None,
                            }));
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `rec`'s cells in `order` (`account` and `as_of` first).
fn reordered(rec: &csv::StringRecord, order: &[usize]) -> csv::StringRecord {
    let mut out = csv::StringRecord::with_capacity(rec.as_slice().len(), rec.len());
    for &i in order {
        out.push_field(rec.get(i).unwrap_or(""));
    }
    out.set_position(rec.position().cloned());
    out
}

/// A CSV row whose quote is never closed where its cell ends: the text of
/// its first line, where the next one starts, and what is wrong.
struct Unclosed {
    text: String,
    next: u64,
    why: &'static str,
}

/// When the CSV record from byte `start` to `end` (a record with a line
/// break inside a quoted field) is a stray quote's
/// ([`vital_eval::reader::csv_stray_quote`]): its first line, and where the
/// next one starts.
fn stray_quote(
    input: &Input,
    start: u64,
    end: u64,
    delimiter: u8,
    cells: usize,
) -> Result<Option<Unclosed>, InputError> {
    use std::io::{Read, Seek};
    let len = std::fs::metadata(input.path())
        .map_err(|e| input.io(e))?
        .len();
    let mut f = std::fs::File::open(input.path()).map_err(|e| input.io(e))?;
    f.seek(std::io::SeekFrom::Start(start))
        .map_err(|e| input.io(e))?;
    let mut record = Vec::new();
    f.take(end.saturating_sub(start))
        .read_to_end(&mut record)
        .map_err(|e| input.io(e))?;
    Ok(
        vital_eval::reader::csv_stray_quote(&record, end >= len, delimiter, cells).map(|s| {
            Unclosed {
                text: String::from_utf8_lossy(&record[s.line]).into_owned(),
                next: start + s.next as u64,
                why: if s.never_closed {
                    "never closed"
                } else {
                    "not closed where its cell ends (the lines after it read as rows of their own)"
                },
            }
        }),
    )
}

/// The account of a CSV line read as far as its first delimiter (it cannot
/// be read as a row), and the line.
fn first_cell(line: &str, delimiter: u8) -> (String, &str) {
    let cell = line
        .split(char::from(delimiter))
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"');
    let account = if cell.is_empty() { "?" } else { cell };
    (account.to_string(), line)
}

/// A CSV reader of `input`'s rows from file offset `at`, which is the start
/// of line `line` (the header is already read).
fn csv_reader_at(
    input: &Input,
    at: u64,
    line: usize,
    delimiter: u8,
) -> Result<(csv::Reader<Counting>, Lines), InputError> {
    use std::io::Seek;
    let mut file = input.reader()?;
    file.seek(std::io::SeekFrom::Start(at))
        .map_err(|e| input.io(e))?;
    let (counting, lines) = Counting::new(file, line);
    Ok((csv_reader(counting, delimiter), lines))
}

/// The CSV reader settings of every input: rows of any length (a row with
/// another number of cells than the header is rejected, not fatal), the
/// header read by hand.
fn csv_reader(counting: Counting, delimiter: u8) -> csv::Reader<Counting> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(counting)
}

/// A reader that notes where its non-blank lines start, so that CSV records
/// get their true line numbers (the CSV reader's own count skips blank lines
/// and is one low on `\r\n` files).
struct Counting {
    inner: std::io::BufReader<std::fs::File>,
    /// Bytes read so far.
    read: u64,
    /// The line being read: its number, and its start while it is still
    /// blank (nothing but `\r` yet).
    line: usize,
    pending: Option<u64>,
    starts: Arc<Mutex<VecDeque<(u64, usize)>>>,
}

/// The line numbers of records, asked in increasing order of offset.
struct Lines {
    starts: Arc<Mutex<VecDeque<(u64, usize)>>>,
    last: usize,
}

impl Counting {
    /// Counting from `inner`'s current position, the start of line `line`.
    fn new(inner: std::io::BufReader<std::fs::File>, line: usize) -> (Counting, Lines) {
        let starts = Arc::new(Mutex::new(VecDeque::new()));
        (
            Counting {
                inner,
                read: 0,
                line,
                pending: Some(0),
                starts: starts.clone(),
            },
            Lines { starts, last: line },
        )
    }
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut starts) = self.starts.lock() {
            for (i, b) in buf[..n].iter().enumerate() {
                match b {
                    b'\n' => {
                        self.line += 1;
                        self.pending = Some(self.read + i as u64 + 1);
                    }
                    b'\r' => {}
                    _ => {
                        if let Some(start) = self.pending.take() {
                            starts.push_back((start, self.line));
                        }
                    }
                }
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

impl Lines {
    /// The line of the record the CSV reader places at `offset`: the first
    /// non-blank line starting at or after it (the reader may place a
    /// record at the end of the line or the blank lines before it).
    fn line_at(&mut self, offset: u64) -> usize {
        if let Ok(mut starts) = self.starts.lock() {
            while starts.front().is_some_and(|&(s, _)| s < offset) {
                starts.pop_front();
            }
            if let Some(&(_, line)) = starts.front() {
                self.last = line;
            }
        }
        self.last
    }
}

/// Opens an input for reading records: JSON Lines as lines, CSV with its
/// header read (the columns). JSON arrays are read whole elsewhere.
fn open_source(
    schema: &Schema<'_>,
    input: &Input,
    require_columns: bool,
) -> Result<Source, InputError> {
    let reader = input.reader()?;
    match input.format {
        Format::Csv => {
            let (counting, mut lines) = Counting::new(reader, 1);
            let mut reader = csv_reader(counting, schema.mapping().delimiter);
            let mut rec = csv::StringRecord::new();
            loop {
                let more = reader.read_record(&mut rec).map_err(|e| {
                    let line = e.position().map_or(1, |p| lines.line_at(p.byte()));
                    InputError::CsvHeader {
                        name: input.name.clone(),
                        line,
                        message: format!("the CSV header cannot be read ({e})"),
                    }
                })?;
                if !more {
                    // an empty file has no records, and no header is needed
                    return Ok(Source::Csv {
                        reader: Box::new(reader),
                        base: 0,
                        lines,
                        columns: Arc::from([]),
                        delimiter: schema.mapping().delimiter,
                        order: None,
                        done: true,
                    });
                }
                if rec.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let line = rec.position().map_or(1, |p| lines.line_at(p.byte()));
                let order = vital_eval::reader::header_order(rec.iter());
                if let Some(order) = &order {
                    rec = reordered(&rec, order);
                }
                let cells: Vec<&str> = rec.iter().collect();
                let columns =
                    schema
                        .csv_header(&cells)
                        .map_err(|message| InputError::CsvHeader {
                            name: input.name.clone(),
                            line,
                            message,
                        })?;
                missing_columns(schema, &columns, require_columns, "the CSV header").map_err(
                    |message| InputError::CsvHeader {
                        name: input.name.clone(),
                        line,
                        message,
                    },
                )?;
                return Ok(Source::Csv {
                    reader: Box::new(reader),
                    base: 0,
                    lines,
                    columns: Arc::from(columns),
                    delimiter: schema.mapping().delimiter,
                    order: order.map(Arc::from),
                    done: false,
                });
            }
        }
        Format::Jsonl | Format::Json | Format::Parquet | Format::ParquetEvents => {
            Ok(Source::Lines {
                reader,
                line: 0,
                done: false,
            })
        }
    }
}

/// Signals with no column in a CSV header (or a Parquet file: `what`):
/// the non-optional ones (every row would be rejected), and with
/// `require_columns` every one. One message naming each, with the column
/// it probably is.
pub(crate) fn missing_columns(
    schema: &Schema<'_>,
    columns: &[Column],
    require_columns: bool,
    what: &str,
) -> Result<(), String> {
    let rules = schema.rules();
    let unknown: Vec<&str> = columns
        .iter()
        .filter_map(|c| match c {
            Column::Unknown(n) => Some(n.as_str()),
            Column::Signal(_) => None,
        })
        .collect();
    let mut missing = Vec::new();
    for (i, s) in rules.signals.iter().enumerate() {
        let present = columns
            .iter()
            .any(|c| matches!(c, Column::Signal(x) if x.index() == i));
        if present || (s.optional && !require_columns) {
            continue;
        }
        let column = schema.column_of(SignalId::new(i));
        let near = unknown.iter().find(|u| {
            **u == s.name || crate::near_miss(u, schema).as_deref() == Some(s.name.as_str())
        });
        // a signal that vital.toml maps to another column: the mistake may
        // be the mapping's, and the message names both
        missing.push(match (column != s.name, near) {
            (true, Some(u)) => format!(
                "`{}` (vital.toml maps it to the column {column:?}; the input has {u:?}: is the mapping's `column` wrong?)",
                s.name
            ),
            (true, None) => format!("`{}` (vital.toml maps it to the column {column:?})", s.name),
            (false, Some(u)) => format!("`{column}` (did you mean the column {u:?}?)"),
            (false, None) => format!("`{column}`"),
        });
    }
    if missing.is_empty() {
        return Ok(());
    }
    let one = missing.len() == 1;
    Err(format!(
        "{what} has no column for {} {}, which {}; nothing was scored",
        if one { "signal" } else { "signals" },
        missing.join(", "),
        match (require_columns, one) {
            (true, _) => "`require_columns` requires",
            (false, true) => "is not optional",
            (false, false) => "are not optional",
        }
    ))
}

/// Parse one raw record.
fn parse(
    schema: &Schema<'_>,
    name: &Arc<str>,
    columns: Option<&[Column]>,
    raw: Raw,
    ignored: &mut Ignored,
    keep: bool,
) -> Result<Snapshot, Rejection> {
    let origin = |line| Origin {
        file: name.clone(),
        line,
    };
    let record = if keep {
        raw.text(schema).map(String::into_boxed_str)
    } else {
        None
    };
    let result = match raw {
        Raw::Json { line, text } => schema.json_record(&text, origin(line), ignored),
        Raw::NotUtf8 { line, lossy } => Err(Rejection {
            origin: origin(line),
            account: guess_account(&lossy),
            reason: "the line is not valid UTF-8".into(),
            problem: Problem::NotUtf8,
            record: None,
        }),
        Raw::Csv { line, cells } => {
            let cells: Vec<&str> = cells.iter().collect();
            schema.csv_record(&cells, columns.unwrap_or(&[]), origin(line), ignored)
        }
        Raw::Broken(mut r) => {
            if !keep {
                r.record = None;
            }
            Err(r)
        }
    };
    result.map_err(|mut r| {
        if r.record.is_none() {
            r.record = record;
        }
        r
    })
}

/// The rejection of a second snapshot of an account for one date, if `s`
/// is one (it is compared with the accepted snapshots only).
pub(crate) fn duplicate(group: &[Snapshot], s: &Snapshot) -> Option<Rejection> {
    group
        .iter()
        .find(|g| g.as_of == s.as_of)
        .map(|first| Rejection {
            origin: s.origin.clone(),
            account: s.account.to_string(),
            reason: format!(
                "duplicate snapshot for {}, first at {}",
                s.as_of.format("%Y-%m-%d"),
                crate::place(&first.origin)
            ),
            problem: Problem::Duplicate,
            record: None,
        })
}

/// One account's run of records, parsed (in a worker).
struct Parsed {
    group: Vec<Snapshot>,
    rejections: Vec<Rejection>,
    ignored: Ignored,
    profile: Profile,
    records: usize,
}

fn parse_run(
    schema: &Schema<'_>,
    name: &Arc<str>,
    columns: Option<&[Column]>,
    run: Vec<Raw>,
    keep: bool,
) -> Parsed {
    let mut p = Parsed {
        group: Vec::with_capacity(run.len()),
        rejections: Vec::new(),
        ignored: Ignored::default(),
        profile: Profile::new(schema.rules().signals.len()),
        records: run.len(),
    };
    for raw in run {
        match parse(schema, name, columns, raw, &mut p.ignored, keep) {
            Ok(s) => match duplicate(&p.group, &s) {
                Some(rej) => p.rejections.push(rej),
                None => {
                    p.profile.add(&s);
                    p.group.push(s)
                }
            },
            Err(rej) => p.rejections.push(rej),
        }
    }
    p
}

/// FNV-1a: accounts are only compared for "seen before?" in the pre-scan, so
/// a fast hash is enough (a collision only makes input look ungrouped, which
/// is read correctly, with more memory).
fn hash_account(a: &str) -> u64 {
    a.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Are the records of each account consecutive in this input? One cheap
/// pass that reads only the `account` of each record.
fn grouped(input: &Input, delimiter: u8) -> Result<bool, InputError> {
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
    let mut r = input.reader()?;
    match input.format {
        // Parquet is read whole, its row groups in parallel
        Format::Json | Format::Parquet | Format::ParquetEvents => Ok(false),
        Format::Jsonl => {
            let mut buf = Vec::new();
            loop {
                buf.clear();
                if r.read_until(b'\n', &mut buf).map_err(|e| input.io(e))? == 0 {
                    return Ok(true);
                }
                // not UTF-8: the record is rejected later; it does not group
                let Ok(text) = std::str::from_utf8(&buf) else {
                    continue;
                };
                if let Some(acc) = fast_account(text.trim_start_matches('\u{feff}')) {
                    if !check(&acc) {
                        return Ok(false);
                    }
                }
            }
        }
        Format::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .delimiter(delimiter)
                .from_reader(r);
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

impl<'s, 'r> Reader<'s, 'r> {
    /// Prepare to read: decides between streaming (one grouped input) and
    /// reading whole.
    pub fn new(
        schema: &'s Schema<'r>,
        inputs: Vec<Input>,
        select: Select,
    ) -> Result<Reader<'s, 'r>, InputError> {
        Reader::with_gates(schema, inputs, select, false)
    }

    /// [`Reader::new`], with the `require_columns` gate: every declared
    /// signal must be a column of each CSV header (checked before anything
    /// is read) and a key of some record of each JSON input (see
    /// [`Reader::absent_signals`]).
    pub fn with_gates(
        schema: &'s Schema<'r>,
        inputs: Vec<Input>,
        select: Select,
        require_columns: bool,
    ) -> Result<Reader<'s, 'r>, InputError> {
        let mode = match (&select, inputs.as_slice()) {
            (Select::All, [one])
                if one.format == Format::Jsonl && !schema.mapping().numeric_account =>
            {
                Mode::Blocks
            }
            (Select::All, [one])
                if one.format != Format::Json && grouped(one, schema.mapping().delimiter)? =>
            {
                let source = open_source(schema, one, require_columns)?;
                let columns = source.columns();
                Mode::Stream(Box::new(Stream {
                    source,
                    carry: Vec::new(),
                    carry_key: None,
                    ahead: None,
                    columns,
                }))
            }
            (Select::All, inputs)
                if inputs
                    .iter()
                    .filter(|i| i.format == Format::Parquet)
                    .count()
                    == 1
                    && inputs
                        .iter()
                        .all(|i| matches!(i.format, Format::Parquet | Format::ParquetEvents))
                    && inputs
                        .iter()
                        .filter(|i| i.format == Format::Parquet)
                        .try_fold(true, |ok, i| {
                            Ok::<_, InputError>(ok && crate::parquet::grouped(i)?)
                        })? =>
            {
                Mode::Parquet(Box::default())
            }
            _ => Mode::Whole,
        };
        Ok(Reader {
            schema,
            inputs,
            select,
            mode,
            ignored: Ignored::default(),
            profile: Profile::new(schema.rules().signals.len()),
            require_columns,
            keep_records: false,
            notes: Vec::new(),
        })
    }

    /// Rejections carry the text of their record from now on.
    pub fn keep_rejected_records(&mut self) {
        self.keep_records = true;
    }

    /// Unknown signals, event types and event fields met in accepted
    /// records so far, with counts.
    pub fn ignored(&self) -> &Ignored {
        &self.ignored
    }

    /// An unknown key or column of the input that is probably `signal`
    /// under another spelling.
    pub fn column_hint(&self, signal: &str) -> Option<String> {
        self.ignored
            .signals
            .keys()
            .chain(self.ignored.seen_signals.iter())
            .find(|k| crate::near_miss(k, self.schema).as_deref() == Some(signal))
            .map(|k| crate::renamed_hint(self.schema, signal, k))
    }

    /// Declared signals that no accepted record had (for the
    /// `require_columns` gate on JSON inputs, checked after reading).
    pub fn absent_signals(&self) -> Vec<String> {
        self.profile.absent(self.schema)
    }

    /// The warning lines about what was read: unknown names (with a
    /// did-you-mean), and the data-quality warnings of [`Profile`], e.g.
    /// `warning: export.jsonl: unknown signal "region" ignored in 12
    /// records`.
    pub fn warnings(&self) -> Vec<String> {
        // about signals and their names: an events table holds none
        let names: Vec<&str> = self
            .inputs
            .iter()
            .filter(|i| i.format != Format::ParquetEvents)
            .map(|i| i.name.as_ref())
            .collect();
        let names = names.join(", ");
        let mut lines: Vec<String> = self
            .profile
            .warnings(self.schema, &self.ignored)
            .into_iter()
            .map(|line| format!("warning: {names}: {line}"))
            .chain(self.notes.iter().map(|n| format!("warning: {n}")))
            .collect();
        // a CSV (or a Parquet snapshots table alone) carries no events:
        // every event query of the rules would see none, and score as an
        // account without tickets does
        let events: Vec<String> = self
            .schema
            .rules()
            .events
            .iter()
            .map(|e| format!("`{}`", e.name))
            .collect();
        let carries_events = self.inputs.iter().any(|i| {
            matches!(
                i.format,
                Format::Jsonl | Format::Json | Format::ParquetEvents
            )
        });
        if !events.is_empty() && !carries_events && self.profile.records() > 0 {
            lines.push(format!(
                "warning: {names}: the rule set reads events ({}) and this input carries none, so every event query counts no occurrence; give the snapshots with their events as JSON Lines, or add a Parquet events table (docs/parquet.md)",
                events.join(", ")
            ));
        }
        lines
    }

    /// Where a record stands in the input: (input index, line). Results of
    /// batches that are not [`Batch::in_order`] are sorted by it.
    pub fn position(&self, origin: &Origin) -> (usize, usize) {
        let file = self
            .inputs
            .iter()
            .position(|i| i.name == origin.file)
            .unwrap_or(0);
        (file, origin.line)
    }

    /// The next batch; `None` when every input has been read.
    pub fn next_batch(&mut self) -> Result<Option<Batch>, InputError> {
        if matches!(self.mode, Mode::Blocks) {
            self.mode = self.pre_scanned()?;
        }
        match std::mem::replace(&mut self.mode, Mode::Done) {
            Mode::Blocks | Mode::Done => Ok(None),
            Mode::Whole => self.whole().map(Some),
            Mode::Parquet(mut p) => {
                let (batch, done) = self.parquet(&mut p)?;
                if !done {
                    self.mode = Mode::Parquet(p);
                }
                Ok(Some(batch))
            }
            Mode::Stream(mut s) => {
                let batch = self.stream(&mut s)?;
                if !(s.source.done() && s.carry.is_empty() && s.ahead.is_none()) {
                    self.mode = Mode::Stream(s);
                }
                Ok(Some(batch))
            }
        }
    }

    /// Reads a grouped JSON Lines input in blocks on all cores (see
    /// `blocks.rs`): `work` turns each block into a result on a worker
    /// thread, taking its accounts one by one from [`BlockGroups`] (every
    /// one of them), and `sink` takes the results here, in input order. Returns
    /// `Ok(false)`, having called neither, when the inputs cannot be read this
    /// way (several inputs, CSV, a JSON array, one account selected, an input
    /// whose accounts are not grouped): then read them with
    /// [`Reader::next_batch`].
    pub fn blocks<R: Send, E>(
        &mut self,
        work: &(dyn Fn(&mut BlockGroups<'_>) -> R + Sync),
        sink: &mut dyn FnMut(R) -> Result<(), E>,
    ) -> Result<bool, Stopped<E>> {
        if !matches!(self.mode, Mode::Blocks) {
            return Ok(false);
        }
        match crate::blocks::run(
            self.schema,
            &self.inputs[0],
            self.keep_records,
            &mut self.ignored,
            &mut self.profile,
            work,
            sink,
        ) {
            crate::blocks::Ended::Done => {
                self.mode = Mode::Done;
                Ok(true)
            }
            crate::blocks::Ended::NotGrouped => {
                self.mode = Mode::Whole;
                Ok(false)
            }
            crate::blocks::Ended::Input(e) => {
                self.mode = Mode::Done;
                Err(Stopped::Input(e))
            }
            crate::blocks::Ended::Sink(e) => {
                self.mode = Mode::Done;
                Err(Stopped::Sink(e))
            }
        }
    }

    /// The mode of a JSON Lines input after the pre-scan: streamed when its
    /// accounts are grouped, else read whole.
    fn pre_scanned(&self) -> Result<Mode, InputError> {
        let one = &self.inputs[0];
        if !grouped(one, self.schema.mapping().delimiter)? {
            return Ok(Mode::Whole);
        }
        let source = open_source(self.schema, one, self.require_columns)?;
        let columns = source.columns();
        Ok(Mode::Stream(Box::new(Stream {
            source,
            carry: Vec::new(),
            carry_key: None,
            ahead: None,
            columns,
        })))
    }

    /// One batch of a streamed input: the batch's records cut into runs of
    /// one account; every complete run parsed by a worker while the next
    /// batch is read.
    fn stream(&mut self, s: &mut Stream) -> Result<Batch, InputError> {
        let input = &self.inputs[0];
        let schema = self.schema;
        let keep = self.keep_records;
        loop {
            let raws = match s.ahead.take() {
                Some(r) => r?,
                None => s.source.batch(input, BATCH)?,
            };
            let eof = s.source.done();
            let mut runs: Vec<Vec<Raw>> = Vec::new();
            for raw in raws {
                let key = raw.key();
                let same = !s.carry.is_empty()
                    && match &key {
                        Some(k) => s.carry_key.as_deref() == Some(k.as_ref()),
                        // no readable account: rejected on its own later,
                        // and it does not end the account around it
                        None => true,
                    };
                if !same {
                    let key = key.map(Cow::into_owned);
                    let run = std::mem::take(&mut s.carry);
                    if !run.is_empty() {
                        runs.push(run);
                    }
                    s.carry_key = key;
                }
                s.carry.push(raw);
            }
            if eof && !s.carry.is_empty() {
                runs.push(std::mem::take(&mut s.carry));
            }
            let columns = s.columns.clone();
            let source = &mut s.source;
            let (parsed, ahead): (Vec<Parsed>, _) = rayon::join(
                || {
                    runs.into_par_iter()
                        .map(|run| parse_run(schema, &input.name, columns.as_deref(), run, keep))
                        .collect()
                },
                || (!eof).then(|| source.batch(input, BATCH)),
            );
            s.ahead = ahead;
            let mut batch = Batch {
                in_order: true,
                ..Batch::default()
            };
            for p in parsed {
                batch.records += p.records;
                batch.rejections.extend(p.rejections);
                if !p.ignored.is_empty() {
                    self.ignored.merge(p.ignored);
                }
                self.profile.merge(p.profile);
                if !p.group.is_empty() {
                    batch.groups.push(p.group);
                }
            }
            if batch.records > 0 || eof {
                return Ok(batch);
            }
        }
    }

    /// The next piece of a streamed Parquet table, cut after its last
    /// complete account; `true` when it was the last.
    fn parquet(&mut self, p: &mut ParquetStream) -> Result<(Batch, bool), InputError> {
        let schema = self.schema;
        let keep = self.keep_records;
        if p.open.is_none() {
            let events: Vec<&Input> = self
                .inputs
                .iter()
                .filter(|i| i.format == Format::ParquetEvents)
                .collect();
            let events = crate::parquet::EventTables::read(schema, &events)?;
            let Some(input) = self.inputs.iter().find(|i| i.format == Format::Parquet) else {
                return Ok((Batch::default(), true));
            };
            let rows = crate::parquet::Snapshots::open(schema, input, self.require_columns)?
                .stream(input)?;
            p.open = Some((events, rows));
        }
        let Some(input) = self.inputs.iter().find(|i| i.format == Format::Parquet) else {
            return Ok((Batch::default(), true));
        };
        let Some((events, rows)) = p.open.as_mut() else {
            return Ok((Batch::default(), true));
        };
        let parse_row = |line: usize, text: String| {
            let mut ig = Ignored::default();
            let r = parse(
                schema,
                &input.name,
                None,
                Raw::Json { line, text },
                &mut ig,
                keep,
            );
            Some((r, ig))
        };
        loop {
            let piece = rows.next_rows(BATCH, events, &parse_row)?;
            let eof = piece.is_none();
            let mut runs: Vec<Vec<crate::parquet::Parsed>> = Vec::new();
            for parsed in piece.unwrap_or_default() {
                let key: Option<Arc<str>> = match &parsed.0 {
                    Ok(s) => Some(s.account.clone()),
                    Err(r) if r.account != "?" => Some(Arc::from(r.account.as_str())),
                    // no readable account: it does not end the account around it
                    Err(_) => None,
                };
                let same = !p.carry.is_empty()
                    && key.as_ref().is_none_or(|k| p.carry_key.as_ref() == Some(k));
                if !same {
                    let run = std::mem::take(&mut p.carry);
                    if !run.is_empty() {
                        runs.push(run);
                    }
                    p.carry_key = key;
                }
                p.carry.push(parsed);
            }
            if eof && !p.carry.is_empty() {
                runs.push(std::mem::take(&mut p.carry));
            }
            let mut batch = Batch {
                in_order: true,
                ..Batch::default()
            };
            for run in runs {
                batch.records += run.len();
                let mut group = Vec::with_capacity(run.len());
                for (r, ig) in run {
                    if !ig.is_empty() {
                        self.ignored.merge(ig);
                    }
                    match r {
                        Err(rej) => batch.rejections.push(rej),
                        Ok(s) => match duplicate(&group, &s) {
                            Some(rej) => batch.rejections.push(rej),
                            None => {
                                self.profile.add(&s);
                                group.push(s);
                            }
                        },
                    }
                }
                if !group.is_empty() {
                    batch.groups.push(group);
                }
            }
            if eof {
                self.notes.extend(events.orphans());
            }
            if batch.records > 0 || eof {
                return Ok((batch, eof));
            }
        }
    }

    /// Every input read whole, grouped by account (accounts in order of
    /// first appearance).
    fn whole(&mut self) -> Result<Batch, InputError> {
        let mut batch = Batch::default();
        let mut at: HashMap<Arc<str>, usize> = HashMap::new();
        // Parquet: the events tables first, joined to each snapshots table
        let events_tables: Vec<&Input> = self
            .inputs
            .iter()
            .filter(|i| i.format == Format::ParquetEvents)
            .collect();
        let events = if self.inputs.iter().any(|i| i.format == Format::Parquet) {
            Some(crate::parquet::EventTables::read(
                self.schema,
                &events_tables,
            )?)
        } else {
            None
        };
        for input in &self.inputs {
            let schema = self.schema;
            let keep = self.keep_records;
            let select = &self.select;
            let parsed: Vec<(Result<Snapshot, Rejection>, Ignored)> = match (&input.format, &events)
            {
                (Format::ParquetEvents, _) => continue,
                (Format::Parquet, Some(events)) => {
                    // each row parsed as it is decoded, as a JSON Lines record
                    let parse_row = |line: usize, text: String| {
                        let raw = Raw::Json { line, text };
                        if let Select::Account(a) = select {
                            if !raw.may_be(a) {
                                return None;
                            }
                        }
                        let mut ig = Ignored::default();
                        let r = parse(schema, &input.name, None, raw, &mut ig, keep);
                        Some((r, ig))
                    };
                    crate::parquet::Snapshots::open(schema, input, self.require_columns)?
                        .read_all(input, events, &parse_row)?
                }
                _ => {
                    let Records { raws, columns } = self.read_whole(input)?;
                    let raws: Vec<Raw> = match select {
                        Select::All => raws,
                        Select::Account(a) => raws.into_iter().filter(|r| r.may_be(a)).collect(),
                    };
                    raws.into_par_iter()
                        .map(|raw| {
                            let mut ig = Ignored::default();
                            let r =
                                parse(schema, &input.name, columns.as_deref(), raw, &mut ig, keep);
                            (r, ig)
                        })
                        .collect()
                }
            };
            batch.records += parsed.len();
            for (r, ig) in parsed {
                match r {
                    Err(rej) => {
                        let wanted = match &self.select {
                            Select::All => true,
                            Select::Account(a) => rej.account == *a || rej.account == "?",
                        };
                        if wanted {
                            // the unknown keys of a rejected record count
                            // for hints, as when streaming or in blocks
                            if !ig.is_empty() {
                                self.ignored.merge(ig);
                            }
                            batch.rejections.push(rej);
                        } else {
                            batch.records -= 1;
                        }
                    }
                    Ok(s) => {
                        if let Select::Account(a) = &self.select {
                            if *s.account != **a {
                                batch.records -= 1;
                                continue;
                            }
                        }
                        if !ig.is_empty() {
                            self.ignored.merge(ig);
                        }
                        match at.get(&s.account) {
                            Some(&i) => match duplicate(&batch.groups[i], &s) {
                                Some(rej) => batch.rejections.push(rej),
                                None => {
                                    self.profile.add(&s);
                                    batch.groups[i].push(s)
                                }
                            },
                            None => {
                                self.profile.add(&s);
                                at.insert(s.account.clone(), batch.groups.len());
                                batch.groups.push(vec![s]);
                            }
                        }
                    }
                }
            }
        }
        if let Some(events) = &events {
            self.notes.extend(events.orphans());
        }
        Ok(batch)
    }

    /// Every record of one input.
    fn read_whole(&self, input: &Input) -> Result<Records, InputError> {
        if input.format == Format::Json {
            return Ok(Records {
                raws: json_array(input)?,
                columns: None,
            });
        }
        let mut source = open_source(self.schema, input, self.require_columns)?;
        let columns = source.columns();
        let mut out = Vec::new();
        while !source.done() {
            out.extend(source.batch(input, usize::MAX)?);
        }
        Ok(Records { raws: out, columns })
    }
}

/// Every record of one input, and its CSV columns.
struct Records {
    raws: Vec<Raw>,
    columns: Option<Arc<[Column]>>,
}

/// The elements of a JSON array, each with the line it starts on.
fn json_array(input: &Input) -> Result<Vec<Raw>, InputError> {
    let mut bytes = Vec::new();
    input
        .reader()?
        .read_to_end(&mut bytes)
        .map_err(|e| input.io(e))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = at
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            return Err(InputError::NotJsonArray {
                name: input.name.clone(),
                line,
                column,
                message: "the file is not valid UTF-8".into(),
            });
        }
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // an empty file holds no records, as an empty JSON Lines file does
    let body = if body.trim().is_empty() { "[]" } else { body };
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(body).map_err(|e| {
        // serde's message ends with the place, which is given already
        let text = e.to_string();
        let what = text
            .rfind(" at line ")
            .map_or(text.as_str(), |i| &text[..i]);
        InputError::NotJsonArray {
            name: input.name.clone(),
            line: e.line(),
            // serde says column 0 at the start of a line; columns are 1-based
            column: e.column().max(1),
            message: if what == "trailing comma" {
                "trailing comma (remove the `,` after the last record)".into()
            } else {
                what.to_string()
            },
        }
    })?;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let base = body.as_ptr() as usize;
    Ok(items
        .into_iter()
        .map(|raw| {
            let off = (raw.get().as_ptr() as usize)
                .saturating_sub(base)
                .min(body.len());
            Raw::Json {
                line: starts.partition_point(|&s| s <= off),
                text: raw.get().to_string(),
            }
        })
        .collect())
}
