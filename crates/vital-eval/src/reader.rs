//! Snapshot records (§7) → validated [`Snapshot`]s, or a rejection that
//! says which field, what was expected and what was found.
//!
//! Pure functions of the text of one record; the command line does the I/O.

mod fast;

use crate::mapping::Mapping;
use crate::snapshot::{Occurrence, Origin, Override, Snapshot};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use vital_check::ir::{ArmId, EventId, FieldId, RuleSet, SignalId, Type};
use vital_check::value::{Duration, Value};

/// A record that is not scored.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub origin: Origin,
    /// `?` when the record has no readable account.
    pub account: String,
    /// What is wrong, for people: which field, what was expected, what was
    /// found.
    pub reason: String,
    /// The kind of mistake, for counting floods of the same one.
    pub problem: Problem,
    /// The record as read (its JSON text, or its CSV row), when the reader
    /// was asked to keep it (`vital run --rejects`).
    pub record: Option<Box<str>>,
}

/// The kind of mistake behind a [`Rejection`]: two rejections with the same
/// problem are "the same reason" when a flood of them is summarised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    /// The line is not UTF-8.
    NotUtf8,
    /// The line or element is not JSON.
    MalformedJson,
    /// The JSON is not an object.
    NotAnObject,
    /// The CSV row cannot be read.
    MalformedCsv,
    /// The CSV row has another number of cells than the header.
    Columns,
    /// `account` is missing or not a non-empty string.
    Account,
    /// `as_of` is missing or not a date.
    AsOf,
    /// A non-optional signal is missing.
    MissingSignal(String),
    /// A signal's value is of the wrong type.
    Signal(String),
    /// A declared signal was given at the top level of the record.
    SignalAtTopLevel(String),
    /// `signals` is not an object.
    Signals,
    /// `events` is not a list, or an event of this type (or an event
    /// without a readable type) is wrong.
    Event(String),
    /// `override` is wrong.
    Override,
    /// A second snapshot of an account for one date.
    Duplicate,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotUtf8 => f.write_str("the line is not valid UTF-8"),
            Problem::MalformedJson => f.write_str("malformed JSON"),
            Problem::NotAnObject => f.write_str("the record is not a JSON object"),
            Problem::MalformedCsv => f.write_str("malformed CSV"),
            Problem::Columns => f.write_str("wrong number of CSV columns"),
            Problem::Account => f.write_str("`account` missing or invalid"),
            Problem::AsOf => f.write_str("`as_of` missing or invalid"),
            Problem::MissingSignal(s) => write!(f, "signal `{s}` missing"),
            Problem::Signal(s) => write!(f, "signal `{s}` invalid"),
            Problem::SignalAtTopLevel(s) => write!(f, "signal `{s}` outside `signals`"),
            Problem::Signals => f.write_str("`signals` is not an object"),
            Problem::Event(e) if e.is_empty() => f.write_str("invalid events"),
            Problem::Event(e) => write!(f, "invalid `{e}` event"),
            Problem::Override => f.write_str("invalid `override`"),
            Problem::Duplicate => f.write_str("duplicate snapshot"),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: account {}: {}",
            self.origin, self.account, self.reason
        )
    }
}

/// Parts of records that were ignored (reported once per name, with a count).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ignored {
    pub signals: BTreeMap<String, usize>,
    pub events: BTreeMap<String, usize>,
    /// `event.field`
    pub fields: BTreeMap<String, usize>,
    /// Keys at the top level of a record that are none of `account`,
    /// `as_of`, `signals`, `events`, `override` (nor a declared signal,
    /// which is rejected as misplaced).
    pub keys: BTreeMap<String, usize>,
    /// Unknown signal keys of every record read, rejected ones too (a
    /// did-you-mean for a signal missing from every record).
    pub seen_signals: std::collections::BTreeSet<String>,
}

impl Ignored {
    pub fn merge(&mut self, other: Ignored) {
        for (k, v) in other.signals {
            *self.signals.entry(k).or_default() += v;
        }
        for (k, v) in other.events {
            *self.events.entry(k).or_default() += v;
        }
        for (k, v) in other.fields {
            *self.fields.entry(k).or_default() += v;
        }
        for (k, v) in other.keys {
            *self.keys.entry(k).or_default() += v;
        }
        self.seen_signals.extend(other.seen_signals);
    }

    pub fn is_empty(&self) -> bool {
        self.signals.is_empty()
            && self.events.is_empty()
            && self.fields.is_empty()
            && self.keys.is_empty()
            && self.seen_signals.is_empty()
    }

    /// One line per ignored name, e.g. `unknown signal "region" ignored in 12 records`.
    pub fn lines(&self) -> Vec<String> {
        let plural = |n: usize| if n == 1 { "record" } else { "records" };
        let mut out = Vec::new();
        for (k, n) in &self.signals {
            out.push(format!(
                "unknown signal {k:?} ignored in {n} {}",
                plural(*n)
            ));
        }
        for (k, n) in &self.events {
            out.push(format!(
                "unknown event type {k:?} ignored in {n} {}",
                plural(*n)
            ));
        }
        for (k, n) in &self.fields {
            out.push(format!(
                "unknown event field {k:?} ignored in {n} {}",
                plural(*n)
            ));
        }
        for (k, n) in &self.keys {
            out.push(format!(
                "unknown key {k:?} at the top level ignored in {n} {} (a record has `account`, `as_of`, `signals`, `events` and `override`; a signal goes under `signals`)",
                plural(*n)
            ));
        }
        out
    }
}

/// Name → slot. Schemas are small, so a scan over short names beats
/// hashing; large ones use a map.
#[derive(Debug)]
struct Names<'r, I> {
    list: Vec<(&'r str, I)>,
    map: Option<HashMap<&'r str, I>>,
    /// Each name as JSON writes it, `"name"`, when it needs no escape
    /// (`None` otherwise): the fast path matches it in place.
    quoted: Vec<Option<Box<[u8]>>>,
}

impl<'r, I: Copy> Names<'r, I> {
    /// The `i`th name gets the id `id(i)`.
    fn new(names: impl Iterator<Item = &'r str>, id: fn(usize) -> I) -> Names<'r, I> {
        let list: Vec<(&str, I)> = names.enumerate().map(|(i, n)| (n, id(i))).collect();
        let map = (list.len() > 24).then(|| list.iter().copied().collect());
        let quoted = list
            .iter()
            .map(|(n, _)| {
                let plain = n.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\');
                plain.then(|| [b"\"", n.as_bytes(), b"\""].concat().into_boxed_slice())
            })
            .collect();
        Names { list, map, quoted }
    }

    /// The name after the one found last (`next`, as [`Names::get_next`]
    /// keeps it) when `b` starts with it quoted and then `:` (a key right
    /// before its value): its slot and the length up to the value. Records
    /// of one export list their keys in the same order, so this is how most
    /// keys are read: one comparison of bytes.
    pub(crate) fn quoted_key(&self, b: &[u8], next: &mut usize) -> Option<(&I, usize)> {
        let q = self.quoted.get(*next)?.as_deref()?;
        if !starts_with(b, q) || b.get(q.len()) != Some(&b':') {
            return None;
        }
        let (_, i) = self.list.get(*next)?;
        *next += 1;
        Some((i, q.len() + 1))
    }

    /// Any name `b` starts with, quoted: its slot, the name and the quoted
    /// length (an event's type among a few).
    pub(crate) fn quoted_any(&self, b: &[u8]) -> Option<(&I, &'r str, usize)> {
        self.quoted.iter().zip(&self.list).find_map(|(q, (n, i))| {
            let q = q.as_deref()?;
            starts_with(b, q).then_some((i, *n, q.len()))
        })
    }

    fn get(&self, name: &str) -> Option<&I> {
        match &self.map {
            Some(m) => m.get(name),
            None => self.list.iter().find(|(n, _)| *n == name).map(|(_, i)| i),
        }
    }

    /// [`Names::get`] that first tries the name after the one found last
    /// (`next`): records of one export list their keys in the same order.
    pub(crate) fn get_next(&self, name: &str, next: &mut usize) -> Option<&I> {
        if let Some((n, i)) = self.list.get(*next) {
            if *n == name {
                *next += 1;
                return Some(i);
            }
        }
        let at = self.list.iter().position(|(n, _)| *n == name)?;
        *next = at + 1;
        self.list.get(at).map(|(_, i)| i)
    }
}

/// `b.starts_with(q)` for the short `q` of keys, variants and the
/// fast reader's literals: two overlapping 8-byte words, or a byte loop
/// below 8, rather than a call to `memcmp`.
#[inline]
pub(crate) fn starts_with(b: &[u8], q: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let n = q.len();
    if b.len() < n {
        return false;
    }
    if (8..=16).contains(&n) {
        return word(b, 0) == word(q, 0) && word(b, n - 8) == word(q, n - 8);
    }
    if n < 8 {
        return b.iter().zip(q).all(|(x, y)| x == y);
    }
    b[..n] == *q
}

/// The rule set's schema, indexed for reading records, with the mapping of
/// the export's names and value forms.
#[derive(Debug)]
pub struct Schema<'r> {
    rules: &'r RuleSet,
    mapping: &'r Mapping,
    /// Input key or column → signal.
    signals: Names<'r, SignalId>,
    events: Names<'r, EventId>,
    fields: Vec<Names<'r, FieldId>>,
    /// Each enum's variants (the fast path matches them in place).
    variants: Vec<Names<'r, u32>>,
    /// Records may take the fast path (no mapping converts values).
    fast: bool,
}

/// A JSON object as its keys and raw values, in order.
struct Pairs<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Pairs<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some(k) = m.next_key::<Cow<'de, str>>()? {
                    let val: &'de RawValue = m.next_value()?;
                    v.push((k, val));
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A short rendering of a raw JSON value for messages.
fn found(raw: &str) -> String {
    let t = raw.trim();
    if t.chars().count() > 40 {
        format!("{}…", t.chars().take(40).collect::<String>())
    } else {
        t.to_string()
    }
}

/// A number as spreadsheets format it, without its formatting: `16%` →
/// `16`, `$131,000` → `131000`; `None` when the cell is no such number.
/// `vital run`'s hint and `vital init --from`'s note share it.
pub fn spreadsheet_number(cell: &str) -> Option<String> {
    let t = cell.trim();
    let bare: String = t
        .trim_end_matches('%')
        .trim_start_matches(['$', '€', '£'])
        .chars()
        .filter(|c| *c != ',')
        .collect();
    (bare != t && parse_decimal(&bare).is_some()).then_some(bare)
}

/// What to write instead of a number cell as spreadsheets format it
/// (nothing when it is no such cell).
fn number_hint(ty: Type, cell: &str) -> String {
    if !matches!(ty, Type::Int | Type::Number | Type::Money | Type::Percent) {
        return String::new();
    }
    let t = cell.trim();
    let Some(bare) = spreadsheet_number(t) else {
        return String::new();
    };
    if t.ends_with('%') && ty == Type::Percent {
        format!(" — write {bare}, without the `%` (percent signals are in percentage points)")
    } else {
        format!(" — write {bare}: numbers without currency signs, `%` or thousands separators")
    }
}

/// What is wrong with a CSV header before its columns are matched: one
/// cell holding the whole header (cells separated by another delimiter),
/// or no `account`/`as_of` column (with the column that looks like it:
/// "is it `Account ID`?"). `vital run`'s reader and `vital init --from`
/// say the same.
pub fn header_problem(header: &[&str], delimiter: u8) -> Option<String> {
    let delimiter = char::from(delimiter);
    let shown = |c: char| match c {
        '\t' => "tabs".to_string(),
        c => format!("`{c}`"),
    };
    if let [only] = header {
        if let Some(other) = [',', ';', '\t', '|']
            .into_iter()
            .find(|&c| c != delimiter && only.contains(c))
        {
            return Some(format!(
                "the CSV header is one column, `{only}`: its cells are separated by {}, not {} (set `delimiter` in the rule set's `read` table of vital.toml)",
                shown(other),
                shown(delimiter)
            ));
        }
    }
    for required in ["account", "as_of"] {
        if !header.contains(&required) {
            let like = header
                .iter()
                .find(|h| {
                    let h = h.to_lowercase().replace([' ', '-'], "_");
                    h.contains(required) || (required == "as_of" && h.contains("date"))
                })
                .map(|h| format!(" (is it `{h}`? the column must be named `{required}`)"))
                .unwrap_or_default();
            return Some(format!(
                "the CSV header has no column `{required}`{like}; found `{}`",
                header.join(&delimiter.to_string())
            ));
        }
    }
    None
}

fn describe(rules: &RuleSet, ty: Type) -> String {
    match ty {
        Type::Int => "int (a whole number)".into(),
        Type::Number | Type::Money => format!("{} (a number)", rules.type_name(ty)),
        Type::Percent => "percent (a number of percentage points)".into(),
        Type::Date => "date (\"YYYY-MM-DD\")".into(),
        Type::Duration => "duration (\"30 days\")".into(),
        Type::Bool => "bool (true or false)".into(),
        Type::Text => "text (a string)".into(),
        Type::Enum(_) => format!("one of {}", rules.type_name(ty).trim_start_matches("enum")),
        _ => rules.type_name(ty),
    }
}

/// How the quotes of the CSV record starting at `bytes` run, read as the
/// CSV reader reads: a quote opens a field only as its first byte, `""`
/// inside one is a quote, `delimiter` ends a field and a line break outside
/// quotes ends the record (and the scan).
struct Quotes {
    /// The bytes end inside a quoted field.
    open_at_end: bool,
    /// A quoted field that crossed a line break was closed in the middle of
    /// its cell (`"dana⏎…⏎…,"kim`: the second quote closes the first).
    closed_mid_cell: bool,
}

fn quotes(bytes: &[u8], delimiter: u8) -> Quotes {
    #[derive(PartialEq, Clone, Copy)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted field: its end, or the first of `""`.
        QuoteInQuoted,
    }
    let mut s = S::FieldStart;
    // the quoted field being read has crossed a line break
    let mut crossed = false;
    for &b in bytes {
        s = match (s, b) {
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::Quoted, b'\n') => {
                crossed = true;
                S::Quoted
            }
            (S::Quoted, _) | (S::QuoteInQuoted, b'"') => S::Quoted,
            (S::QuoteInQuoted, b) if crossed && b != delimiter && b != b'\n' && b != b'\r' => {
                return Quotes {
                    open_at_end: false,
                    closed_mid_cell: true,
                }
            }
            (_, b'\n' | b'\r') => break,
            (_, b) if b == delimiter => {
                crossed = false;
                S::FieldStart
            }
            (S::FieldStart, b'"') => S::Quoted,
            _ => S::Unquoted,
        };
    }
    Quotes {
        open_at_end: s == S::Quoted,
        closed_mid_cell: false,
    }
}

/// Whether the CSV record starting at `rest` (the file from the record's
/// first byte to its end) runs to the end of the file inside a quoted field
/// — a quote never closed, which made the CSV reader take the rest of the
/// file into one field.
fn csv_quote_left_open(rest: &[u8], delimiter: u8) -> bool {
    quotes(rest, delimiter).open_at_end
}

/// Whether the CSV record `record` (its bytes as the CSV reader read them,
/// with a line break inside a quoted field) holds rows of its own: a quote
/// opened on one line and closed on a later one in the middle of a field
/// (`…,"kim,…` closing the stray quote of `…,"dana,…` lines before), or a
/// line wholly inside the quotes with as many cells as the header
/// (`cells`). Then the quote was a stray one and the record swallowed the
/// rows after it; a note over several lines, closed where its field ends,
/// is not one.
fn csv_quote_stray(record: &[u8], delimiter: u8, cells: usize) -> bool {
    if quotes(record, delimiter).closed_mid_cell {
        return true;
    }
    // the lines wholly inside the quotes: neither the first nor the last
    // (which holds the rest of the record's cells)
    let text = record.strip_suffix(b"\n").unwrap_or(record);
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    cells > 1
        && lines.len() > 2
        && lines[1..lines.len() - 1]
            .iter()
            .any(|line| line.iter().filter(|&&b| b == delimiter).count() + 1 == cells)
}

/// A CSV record that a stray quote made (one quote opened and not closed
/// where its cell ends, which took the lines after it in): the line that
/// holds it, and what is wrong. Every CSV reader rejects that line and
/// reads on from the next one (docs/language.md §7).
#[derive(Debug, Clone, PartialEq)]
pub struct StrayQuote {
    /// The line, `record[line]`, without its line break.
    pub line: std::ops::Range<usize>,
    /// Where the next line starts in `record`.
    pub next: usize,
    /// The quote runs to the end of the input; otherwise it is closed in the
    /// middle of a later line's cell, or holds rows of their own.
    pub never_closed: bool,
}

/// Whether `record` — a CSV record's bytes as the CSV reader read them, with
/// a line break inside a quoted field, perhaps after the line break the
/// reader placed it at — is a stray quote's ([`StrayQuote`]) rather than a
/// cell over several lines. `at_eof`: the record runs to the end of the
/// input; `cells`: the header's cells.
pub fn csv_stray_quote(
    record: &[u8],
    at_eof: bool,
    delimiter: u8,
    cells: usize,
) -> Option<StrayQuote> {
    let lead = record
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    let rest = &record[lead..];
    let never_closed = at_eof && csv_quote_left_open(rest, delimiter);
    if !never_closed && !csv_quote_stray(rest, delimiter, cells) {
        return None;
    }
    let n = rest.iter().position(|&b| b == b'\n')?;
    let end = if n > 0 && rest[n - 1] == b'\r' {
        n - 1
    } else {
        n
    };
    Some(StrayQuote {
        line: lead..lead + end,
        next: lead + n + 1,
        never_closed,
    })
}

/// `YYYY-MM-DD`, an existing day.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b: &[u8; 10] = s.as_bytes().try_into().ok()?;
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    // each byte's digit; a byte that is not one wraps above 9
    let d = |i: usize| u32::from(b[i].wrapping_sub(b'0'));
    let digits = [d(0), d(1), d(2), d(3), d(5), d(6), d(8), d(9)];
    if digits.iter().any(|&x| x > 9) {
        return None;
    }
    let [y0, y1, y2, y3, m0, m1, d0, d1] = digits;
    NaiveDate::from_ymd_opt(
        (y0 * 1000 + y1 * 100 + y2 * 10 + y3) as i32,
        m0 * 10 + m1,
        d0 * 10 + d1,
    )
}

/// A number of the input, exactly, or `None` when a decimal cannot hold
/// it exactly (more than 28 significant digits: docs/language.md §7). Zeros
/// after the last significant decimal say nothing and are dropped; any
/// other digit beyond what fits rejects the record rather than being
/// rounded away (`2.00000000000000000000000000001` is not 2).
fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok().or_else(|| {
            let t = match text.contains('.') {
                true => text.trim_end_matches('0').trim_end_matches('.'),
                false => text,
            };
            Decimal::from_str_exact(t).ok()
        })
    }
}

fn parse_duration(s: &str) -> Option<Duration> {
    let mut parts = s.split_whitespace();
    let amount: i64 = parts.next()?.parse().ok()?;
    let unit = match parts.next()? {
        "day" | "days" => vital_syntax::ast::DurationUnit::Day,
        "week" | "weeks" => vital_syntax::ast::DurationUnit::Week,
        "month" | "months" => vital_syntax::ast::DurationUnit::Month,
        "year" | "years" => vital_syntax::ast::DurationUnit::Year,
        _ => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Duration { amount, unit })
}

impl<'r> Schema<'r> {
    pub fn new(rules: &'r RuleSet) -> Schema<'r> {
        Schema::with_mapping(rules, &crate::mapping::NONE)
    }

    /// A schema reading an export whose names or value forms differ from
    /// the rule set's.
    pub fn with_mapping(rules: &'r RuleSet, mapping: &'r Mapping) -> Schema<'r> {
        let mut schema = Schema {
            rules,
            mapping,
            signals: Names::new(
                rules.signals.iter().enumerate().map(|(i, s)| {
                    mapping
                        .signal(SignalId::new(i))
                        .and_then(|m| m.column.as_deref())
                        .unwrap_or(s.name.as_str())
                }),
                SignalId::new,
            ),
            events: Names::new(rules.events.iter().map(|e| e.name.as_str()), EventId::new),
            fields: rules
                .events
                .iter()
                .map(|e| Names::new(e.fields.iter().map(|f| f.name.as_str()), FieldId::new))
                .collect(),
            variants: rules
                .enums
                .iter()
                .map(|e| Names::new(e.variants.iter().map(|v| v.as_str()), |i| i as u32))
                .collect(),
            fast: false,
        };
        schema.fast = schema.fast_ok();
        schema
    }

    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    pub fn mapping(&self) -> &'r Mapping {
        self.mapping
    }

    /// The column or key signal `i` is read from.
    pub fn column_of(&self, i: SignalId) -> &'r str {
        self.mapping
            .signal(i)
            .and_then(|m| m.column.as_deref())
            .unwrap_or(self.rules.signals[i.index()].name.as_str())
    }

    /// A signal's JSON value, through the mapping.
    fn signal_json(&self, i: SignalId, raw: &RawValue) -> Result<Value, String> {
        let ty = self.rules.signals[i.index()].ty;
        if !self.mapping.touches_values(i) {
            return self.json_value(raw, ty);
        }
        if let Some(s) = raw_str(raw.get()) {
            if self.mapping.is_null(&s) {
                return Ok(Value::Missing);
            }
            if let Some(v) = self.mapped_word(i, &s) {
                return v.ok_or_else(|| {
                    format!(
                        "expected {}, found {}",
                        self.describe_signal(i),
                        found(raw.get())
                    )
                });
            }
        }
        let v = self
            .json_value(raw, ty)
            .map_err(|e| e.replace(&describe(self.rules, ty), &self.describe_signal(i)))?;
        Ok(self.scaled(i, v))
    }

    /// A signal's value written as text (a CSV cell), through the mapping.
    fn signal_text(&self, i: SignalId, s: &str) -> Option<Value> {
        if self.mapping.is_null(s) {
            return Some(Value::Missing);
        }
        match self.mapped_word(i, s) {
            Some(v) => v,
            None => {
                let ty = self.rules.signals[i.index()].ty;
                self.text_value(s, ty).map(|v| self.scaled(i, v))
            }
        }
    }

    /// A string the mapping decides: a configured bool spelling, a date in
    /// the configured format (`Some(None)` when it does not parse), an enum
    /// spelling. `None`: read it as §7 says.
    fn mapped_word(&self, i: SignalId, s: &str) -> Option<Option<Value>> {
        let m = self.mapping.signal(i);
        match self.rules.signals[i.index()].ty {
            Type::Bool => self.mapping.bool_word(s).map(|b| Some(Value::Bool(b))),
            Type::Date => m
                .and_then(|m| m.format.as_deref())
                .map(|fmt| NaiveDate::parse_from_str(s, fmt).ok().map(Value::Date)),
            Type::Enum(_) => m
                .and_then(|m| m.values.iter().find(|(k, _)| k == s))
                .map(|(_, v)| Some(Value::Enum(*v))),
            _ => None,
        }
    }

    fn scaled(&self, i: SignalId, v: Value) -> Value {
        match (v, self.mapping.signal(i).and_then(|m| m.scale)) {
            (Value::Num(d), Some(k)) => Value::Num((d * k).normalize()),
            (v, _) => v,
        }
    }

    /// What a signal's value must look like, for messages.
    fn describe_signal(&self, i: SignalId) -> String {
        let ty = self.rules.signals[i.index()].ty;
        let m = self.mapping.signal(i);
        match (
            ty,
            m.and_then(|m| m.format.as_deref()),
            m.and_then(|m| m.scale),
        ) {
            (Type::Date, Some(f), _) => format!("a date written {f:?}"),
            // the export's spellings first: those are what the file uses
            (Type::Enum(_), _, _) if m.is_some_and(|m| !m.values.is_empty()) => {
                let spellings: Vec<&str> = m
                    .map(|m| m.values.iter().map(|(k, _)| k.as_str()).collect())
                    .unwrap_or_default();
                format!(
                    "one of ({}) as vital.toml maps them, or {}",
                    spellings.join(", "),
                    describe(self.rules, ty)
                )
            }
            (_, _, Some(k)) => {
                format!("{} (a number, multiplied by {k})", self.rules.type_name(ty))
            }
            _ => describe(self.rules, ty),
        }
    }

    /// A JSON value for a slot of type `ty`. `Err` says what was found.
    fn json_value(&self, raw: &RawValue, ty: Type) -> Result<Value, String> {
        let text = raw.get();
        let first = text.as_bytes().first().copied().unwrap_or(b' ');
        let bad = || {
            Err(format!(
                "expected {}, found {}",
                describe(self.rules, ty),
                found(text)
            ))
        };
        if text == "null" {
            return Ok(Value::Missing);
        }
        match ty {
            Type::Int | Type::Number | Type::Money | Type::Percent => {
                if !(first == b'-' || first.is_ascii_digit()) {
                    return bad();
                }
                let Some(d) = parse_decimal(text) else {
                    return Err(format!(
                        "expected {}, found {} (outside the range of 28 significant digits)",
                        describe(self.rules, ty),
                        found(text)
                    ));
                };
                if ty == Type::Int && !d.fract().is_zero() {
                    return bad();
                }
                Ok(Value::Num(d.normalize()))
            }
            Type::Bool => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => bad(),
            },
            Type::Text | Type::Date | Type::Duration | Type::Enum(_) => {
                if first != b'"' {
                    return bad();
                }
                let Ok(s) = serde_json::from_str::<Cow<'_, str>>(text) else {
                    return bad();
                };
                self.text_value(&s, ty).ok_or_else(|| {
                    format!(
                        "expected {}, found {}",
                        describe(self.rules, ty),
                        found(text)
                    )
                })
            }
            _ => bad(),
        }
    }

    /// A value written as text (CSV cells, JSON strings) for a slot of type `ty`.
    fn text_value(&self, s: &str, ty: Type) -> Option<Value> {
        match ty {
            Type::Text => Some(Value::Text(Arc::from(s))),
            Type::Date => parse_date(s).map(Value::Date),
            Type::Duration => parse_duration(s).map(Value::Duration),
            Type::Enum(e) => self
                .rules
                .enums
                .get(e.index())?
                .variants
                .iter()
                .position(|v| v == s)
                .map(|i| Value::Enum(i as u32)),
            Type::Bool => match s {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            Type::Int | Type::Number | Type::Money | Type::Percent => {
                let d = parse_decimal(s.trim())?;
                if ty == Type::Int && !d.fract().is_zero() {
                    return None;
                }
                Some(Value::Num(d.normalize()))
            }
            _ => None,
        }
    }

    /// One JSON record (a line of JSON Lines, or an element of an array).
    ///
    /// One pass over the text: the record's object is visited with the
    /// schema at hand, each value is captured as its raw JSON text and
    /// converted by the slot's type (so numbers keep the decimal they are
    /// written as).
    pub fn json_record(
        &self,
        text: &str,
        origin: Origin,
        ignored: &mut Ignored,
    ) -> Result<Snapshot, Rejection> {
        if self.fast {
            if let Some(s) = self.fast_record(text, &origin, ignored) {
                return Ok(s);
            }
        }
        self.serde_record(text, origin, ignored)
    }

    /// The general reader of one record, without the fast path: every
    /// rejection comes from here, and differential tests compare the two.
    pub fn serde_record(
        &self,
        text: &str,
        origin: Origin,
        ignored: &mut Ignored,
    ) -> Result<Snapshot, Rejection> {
        let reject = |account: &str, problem: Problem, reason: String| Rejection {
            origin: origin.clone(),
            account: account.to_string(),
            reason,
            problem,
            record: None,
        };
        let mut st = State {
            schema: self,
            account: None,
            twice: None,
            members: 0,
            given: Given::default(),
            signal_twice: None,
            as_of: None,
            signals: vec![Value::Missing; self.rules.signals.len()],
            events: vec![Vec::new(); self.rules.events.len()],
            override_: None,
            error: None,
            ignored,
            seen: Ignored::default(),
            event_no: 0,
            top_level: Vec::new(),
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // the line's end is not part of the record: a line cut off inside a
        // string then reads as one that ends too early, not as a control
        // character at column 0 of the next line
        let text = text.trim_end_matches(['\n', '\r']);
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed =
            serde::de::DeserializeSeed::deserialize(Top(&mut st), &mut de).and_then(|()| de.end());
        if let Err(e) = parsed {
            let (problem, what) = if e.is_data() {
                (
                    Problem::NotAnObject,
                    "the record is not a JSON object".to_string(),
                )
            } else {
                // a CSV row where JSON was expected (piped into `-`, or a
                // file named `.jsonl`): say how a CSV is read
                let csv = !text.trim_start().starts_with(['{', '[']) && text.contains(',');
                (
                    Problem::MalformedJson,
                    format!(
                        "malformed JSON ({}){}",
                        json_error(&e, text),
                        if csv {
                            "; is the input CSV? a CSV file is read by its name ending in `.csv` (standard input and `.jsonl` files are read as JSON Lines)"
                        } else {
                            ""
                        }
                    ),
                )
            };
            return Err(reject(&guess_account(text), problem, what));
        }
        // a member given twice: which of the two is meant cannot be told,
        // and a reader that took either could mis-score the record
        match st.twice {
            None => {}
            Some("account") => {
                return Err(reject(
                    "?",
                    Problem::Account,
                    "`account` is given twice; a record is one account's".into(),
                ))
            }
            Some(key) => {
                let account = match &st.account {
                    Some(Ok(a)) => a.to_string(),
                    _ => "?".to_string(),
                };
                let problem = match key {
                    "as_of" => Problem::AsOf,
                    "signals" => Problem::Signals,
                    "events" => Problem::Event(String::new()),
                    _ => Problem::Override,
                };
                return Err(reject(
                    &account,
                    problem,
                    format!("`{key}` is given twice; a record gives it once"),
                ));
            }
        }
        let account: Arc<str> = match st.account.take() {
            Some(Ok(a)) => a,
            Some(Err(found)) => {
                return Err(reject(
                    "?",
                    Problem::Account,
                    format!("`account`: expected a non-empty string, found {found}"),
                ))
            }
            None => return Err(reject("?", Problem::Account, "`account` is missing".into())),
        };
        let acc = account.as_ref();
        let as_of = match st.as_of.take() {
            None => return Err(reject(acc, Problem::AsOf, "`as_of` is missing".into())),
            Some(Ok(d)) => d,
            Some(Err(found)) => {
                return Err(reject(
                    acc,
                    Problem::AsOf,
                    format!("`as_of`: expected a date (\"YYYY-MM-DD\"), found {found}"),
                ))
            }
        };
        for k in st.seen.signals.keys() {
            if !st.ignored.seen_signals.contains(k) {
                st.ignored.seen_signals.insert(k.clone());
            }
        }
        if let Some(name) = st.signal_twice.take() {
            return Err(reject(
                acc,
                Problem::Signal(name.clone()),
                format!("signal `{name}` is given twice; which value is meant cannot be told"),
            ));
        }
        if let Some((problem, e)) = st.error.take() {
            return Err(reject(acc, problem, e));
        }
        // a declared signal written beside `account` instead of under
        // `signals` would be silently missing: reject it with the right place
        if let Some(name) = st
            .top_level
            .iter()
            .find(|&&i| st.signals[i.index()].is_missing())
            .map(|&i| self.rules.signals[i.index()].name.clone())
        {
            return Err(reject(
                acc,
                Problem::SignalAtTopLevel(name.clone()),
                format!(
                    "signal `{name}` is at the top level of the record; signals go under \"signals\": {{\"{name}\": …}}"
                ),
            ));
        }
        self.require_signals(&st.signals)
            .map_err(|(problem, why)| reject(acc, problem, why))?;
        let override_ = match st.override_.take() {
            None => None,
            Some(raw) => self
                .json_override(raw)
                .map_err(|why| reject(acc, Problem::Override, why))?,
        };
        // unknown names of an accepted record are reported (once per record)
        let seen = std::mem::take(&mut st.seen);
        st.ignored.merge(seen);
        // events after as_of are not part of this snapshot (§6.8)
        let mut events = std::mem::take(&mut st.events);
        for list in &mut events {
            list.retain(|o| o.date <= as_of);
        }
        Ok(Snapshot {
            account,
            as_of,
            signals: std::mem::take(&mut st.signals).into_boxed_slice(),
            events: crate::snapshot::Events::from_lists(events),
            override_,
            origin,
        })
    }

    fn require_signals(&self, signals: &[Value]) -> Result<(), (Problem, String)> {
        for (i, s) in self.rules.signals.iter().enumerate() {
            if !s.optional && signals[i].is_missing() {
                return Err((
                    Problem::MissingSignal(s.name.clone()),
                    format!(
                        "signal `{}` is missing: expected {} (it is not optional)",
                        s.name,
                        describe(self.rules, s.ty)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn json_event(
        &self,
        pairs: &Pairs<'_>,
        n: usize,
        events: &mut [Vec<Occurrence>],
        ignored: &mut Ignored,
    ) -> Result<(), (Problem, String)> {
        // `type` or `at` given twice: which is meant cannot be told
        if let Some(k) = ["type", "at"]
            .into_iter()
            .find(|&name| pairs.0.iter().filter(|(k, _)| k == name).count() > 1)
        {
            let kind = (pairs.0.iter())
                .find(|(k, _)| k == "type")
                .and_then(|(_, v)| raw_str(v.get()))
                .unwrap_or_default();
            return Err((
                Problem::Event(kind.to_string()),
                format!(
                    "event #{} ({kind}): `{k}` is given twice; which value is meant cannot be told",
                    n + 1
                ),
            ));
        }
        let mut kind: Option<Cow<'_, str>> = None;
        let mut at: Option<&RawValue> = None;
        for (k, v) in &pairs.0 {
            match k.as_ref() {
                "type" => kind = raw_str(v.get()),
                "at" => at = Some(v),
                _ => {}
            }
        }
        let Some(kind) = kind else {
            return Err((
                Problem::Event(String::new()),
                format!("event #{}: `type` is missing or not a string", n + 1),
            ));
        };
        let problem = || Problem::Event(kind.to_string());
        let Some(&e) = self.events.get(kind.as_ref()) else {
            ignored.events.entry(kind.into_owned()).or_insert(1);
            return Ok(());
        };
        let date = match at
            .and_then(|r| raw_str(r.get()))
            .and_then(|s| parse_date(&s))
        {
            Some(d) => d,
            None => {
                // a common exporter mistake: the date under another key
                let hint = match pairs.0.iter().find(|(k, _)| {
                    matches!(
                        k.as_ref(),
                        "date" | "on" | "timestamp" | "time" | "occurred_at"
                    )
                }) {
                    Some((k, _)) if at.is_none() => {
                        format!("; found `{k}`: an event's date goes in `at`")
                    }
                    _ => String::new(),
                };
                return Err((
                    problem(),
                    format!(
                        "event #{} ({kind}): `at`: expected a date (\"YYYY-MM-DD\"), found {}{hint}",
                        n + 1,
                        at.map_or("nothing".to_string(), |r| found(r.get()))
                    ),
                ));
            }
        };
        let decl = &self.rules.events[e.index()];
        let mut fields = vec![Value::Missing; decl.fields.len()];
        let mut given = Given::default();
        for (k, v) in &pairs.0 {
            if k == "type" || k == "at" {
                continue;
            }
            match self.fields[e.index()].get(k.as_ref()) {
                Some(&f) => {
                    if !given.first(f.index()) {
                        return Err((
                            problem(),
                            format!(
                                "event #{} ({kind}) field `{k}` is given twice; which value is meant cannot be told",
                                n + 1
                            ),
                        ));
                    }
                    fields[f.index()] =
                        self.json_value(v, decl.fields[f.index()].ty)
                            .map_err(|why| {
                                (
                                    problem(),
                                    format!("event #{} ({kind}) field `{k}`: {why}", n + 1),
                                )
                            })?;
                }
                None => {
                    ignored.fields.entry(format!("{kind}.{k}")).or_insert(1);
                }
            }
        }
        for (i, f) in decl.fields.iter().enumerate() {
            if !f.optional && fields[i].is_missing() {
                return Err((
                    problem(),
                    format!(
                        "event #{} ({kind}) field `{}` is missing: expected {} (it is not optional)",
                        n + 1,
                        f.name,
                        describe(self.rules, f.ty)
                    ),
                ));
            }
        }
        events[e.index()].push(Occurrence {
            event: u32::try_from(e.index()).unwrap_or(u32::MAX),
            date,
            fields: fields.into(),
        });
        Ok(())
    }

    fn json_override(&self, raw: &RawValue) -> Result<Option<Override>, String> {
        if raw.get() == "null" {
            return Ok(None);
        }
        let pairs: Pairs<'_> = serde_json::from_str(raw.get())
            .map_err(|_| format!("`override`: expected an object, found {}", found(raw.get())))?;
        let mut status = None;
        let mut until = None;
        let mut reason = None;
        for (k, v) in &pairs.0 {
            // other keys (who set it, when) are the exporter's business
            if !matches!(k.as_ref(), "status" | "until" | "reason") {
                continue;
            }
            let s = serde_json::from_str::<Option<Cow<'_, str>>>(v.get()).map_err(|_| {
                format!(
                    "`override.{k}`: expected a string, found {}",
                    found(v.get())
                )
            })?;
            match (k.as_ref(), s) {
                ("status", Some(s)) => {
                    let arms: Vec<&str> =
                        self.rules.status.iter().map(|a| a.name.as_str()).collect();
                    match arms.iter().position(|a| *a == s) {
                        Some(i) => status = Some(ArmId::new(i)),
                        None => {
                            return Err(format!(
                                "`override.status`: {:?} is not a status of the rules (expected one of {})",
                                s.as_ref(),
                                arms.join(", ")
                            ))
                        }
                    }
                }
                ("until", Some(s)) => {
                    until = Some(parse_date(&s).ok_or_else(|| {
                        format!(
                            "`override.until`: expected a date (\"YYYY-MM-DD\"), found {:?}",
                            s.as_ref()
                        )
                    })?)
                }
                ("reason", s) => reason = s.map(|s| s.into_owned()),
                _ => {}
            }
        }
        let Some(status) = status else {
            return Err("`override.status` is missing".into());
        };
        Ok(Some(Override {
            status,
            until,
            reason,
        }))
    }

    /// The columns of a CSV header: `account`, `as_of`, then signals. Each
    /// further column is a signal slot, or the name of an unknown column.
    /// A CSV header's columns after `account` and `as_of`, which come first
    /// ([`header_order`] puts them there).
    pub fn csv_header(&self, header: &[&str]) -> Result<Vec<Column>, String> {
        if let Some(why) = header_problem(header, self.mapping.delimiter) {
            return Err(why);
        }
        if let Some(h) = (header.iter().enumerate())
            .find(|&(i, h)| header[..i].contains(h))
            .map(|(_, h)| h)
        {
            return Err(format!(
                "the CSV header names the column `{h}` twice: which one to read cannot be told"
            ));
        }
        // the reader puts `account` and `as_of` first (vital_input)
        if header.first() != Some(&"account") || header.get(1) != Some(&"as_of") {
            return Err(format!(
                "the CSV header must start with `account,as_of`, found `{}`",
                header.iter().take(2).copied().collect::<Vec<_>>().join(",")
            ));
        }
        Ok(header
            .iter()
            .skip(2)
            .map(|h| match self.signals.get(h) {
                Some(i) => Column::Signal(*i),
                None => Column::Unknown((*h).to_string()),
            })
            .collect())
    }

    /// One CSV row (no events; an empty cell is missing).
    pub fn csv_record(
        &self,
        cells: &[&str],
        columns: &[Column],
        origin: Origin,
        ignored: &mut Ignored,
    ) -> Result<Snapshot, Rejection> {
        let account = cells.first().copied().unwrap_or("");
        let reject = |problem: Problem, reason: String| Rejection {
            origin: origin.clone(),
            account: if account.is_empty() {
                "?".into()
            } else {
                account.to_string()
            },
            reason,
            problem,
            record: None,
        };
        if account.is_empty() {
            return Err(reject(Problem::Account, "`account` is empty".into()));
        }
        if cells.len() != columns.len() + 2 {
            return Err(reject(
                Problem::Columns,
                format!(
                    "expected {} columns as in the header, found {}",
                    columns.len() + 2,
                    cells.len()
                ),
            ));
        }
        let as_of_text = cells.get(1).copied().unwrap_or("");
        let as_of = parse_date(as_of_text).ok_or_else(|| {
            reject(
                Problem::AsOf,
                format!("`as_of`: expected a date (YYYY-MM-DD), found {as_of_text:?}"),
            )
        })?;
        let mut signals = vec![Value::Missing; self.rules.signals.len()];
        // unknown columns are counted once the row is accepted (as JSON's
        // unknown keys are): counted per accepted record, wherever the
        // column stands relative to a bad cell
        let mut unknown: Vec<&String> = Vec::new();
        for (col, cell) in columns.iter().zip(cells.iter().skip(2)) {
            match col {
                Column::Unknown(name) => {
                    if !cell.is_empty() {
                        unknown.push(name);
                    }
                }
                Column::Signal(i) => {
                    if cell.is_empty() {
                        continue;
                    }
                    let s = &self.rules.signals[i.index()];
                    signals[i.index()] = self.signal_text(*i, cell).ok_or_else(|| {
                        reject(
                            Problem::Signal(s.name.clone()),
                            format!(
                                "signal `{}`: expected {}, found {cell:?}{}",
                                s.name,
                                self.describe_signal(*i),
                                number_hint(s.ty, cell)
                            ),
                        )
                    })?;
                }
            }
        }
        self.require_signals(&signals)
            .map_err(|(problem, why)| reject(problem, why))?;
        for name in unknown {
            *ignored.signals.entry(name.clone()).or_default() += 1;
        }
        Ok(Snapshot {
            account: Arc::from(account),
            as_of,
            signals: signals.into_boxed_slice(),
            events: crate::snapshot::Events::none(self.rules.events.len()),
            override_: None,
            origin,
        })
    }
}

/// What one record is read into.
struct State<'a, 'r> {
    schema: &'a Schema<'r>,
    /// The account, or the raw text found instead.
    account: Option<Result<Arc<str>, String>>,
    /// The first of `account`, `as_of`, `signals`, `events`, `override`
    /// given more than once.
    twice: Option<&'static str>,
    /// The members of the record met so far, of those five
    /// ([`first_member`]).
    members: u8,
    /// The signals given so far (null included), and the first one given
    /// more than once.
    given: Given,
    signal_twice: Option<String>,
    as_of: Option<Result<NaiveDate, String>>,
    signals: Vec<Value>,
    events: Vec<Vec<Occurrence>>,
    override_: Option<&'a RawValue>,
    /// The first thing wrong with the record's contents.
    error: Option<(Problem, String)>,
    ignored: &'a mut Ignored,
    /// Unknown names of this record, each counted once.
    seen: Ignored,
    event_no: usize,
    /// Declared signals found at the top level of the record.
    top_level: Vec<SignalId>,
}

/// The slots (signals of a record, fields of an event) given so far, null
/// included, to reject a record that gives one twice (docs/language.md §7,
/// "A name is given once"). The first 128 in two machine words, on the
/// readers' hot path (a shift of 128 bits costs several instructions, and
/// a vector an allocation); more only in rule sets that declare them.
#[derive(Default)]
pub(crate) struct Given {
    low: [u64; 2],
    high: Vec<u64>,
}

impl Given {
    /// Notes slot `i`: whether it is given for the first time.
    #[inline]
    pub(crate) fn first(&mut self, i: usize) -> bool {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let w = match self.low.get_mut(word) {
            Some(w) => w,
            None => {
                let k = word - 2;
                if self.high.len() <= k {
                    self.high.resize(k + 1, 0);
                }
                &mut self.high[k]
            }
        };
        let first = *w & bit == 0;
        *w |= bit;
        first
    }
}

/// The members a record gives at most once.
const MEMBERS: [&str; 5] = ["account", "as_of", "signals", "events", "override"];

/// Whether `key`, one of [`MEMBERS`], is met for the first time in a record,
/// noting it in `seen`.
pub(crate) fn first_member(seen: &mut u8, key: &str) -> bool {
    let bit = MEMBERS
        .iter()
        .position(|&m| m == key)
        .map_or(0, |i| 1u8 << i);
    let first = *seen & bit == 0;
    *seen |= bit;
    first
}

/// Where a CSV header's cells go so that `account` and `as_of` come first,
/// the others after them in their order; `None` when they already do, or
/// when either is missing ([`Schema::csv_header`] says so).
pub fn header_order<'h>(header: impl IntoIterator<Item = &'h str>) -> Option<Vec<usize>> {
    let header: Vec<&str> = header.into_iter().collect();
    let account = header.iter().position(|&h| h == "account")?;
    let as_of = header.iter().position(|&h| h == "as_of")?;
    if (account, as_of) == (0, 1) {
        return None;
    }
    let mut order = vec![account, as_of];
    order.extend((0..header.len()).filter(|&i| i != account && i != as_of));
    Some(order)
}

/// The text of a JSON string value without copying when it has no escapes.
fn raw_str(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

struct Top<'s, 'a, 'r>(&'s mut State<'a, 'r>);

impl<'de: 'a, 's, 'a, 'r> serde::de::DeserializeSeed<'de> for Top<'s, 'a, 'r> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 's, 'a, 'r> Visitor<'de> for Top<'s, 'a, 'r> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        let st = self.0;
        while let Some(key) = m.next_key::<Cow<'de, str>>()? {
            if let Some(&member) = MEMBERS.iter().find(|&&m| m == key.as_ref()) {
                if !first_member(&mut st.members, member) {
                    st.twice = st.twice.or(Some(member));
                }
            }
            match key.as_ref() {
                "account" => {
                    let raw: &'de RawValue = m.next_value()?;
                    let text = raw.get();
                    st.account = Some(match raw_str(text) {
                        Some(a) if !a.is_empty() => Ok(Arc::from(a.as_ref())),
                        // an account id exported as a number, when allowed
                        None if st.schema.mapping.numeric_account
                            && !text.is_empty()
                            && text.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            Ok(Arc::from(text))
                        }
                        _ => Err(found(text)),
                    });
                }
                "as_of" => {
                    let raw: &'de RawValue = m.next_value()?;
                    st.as_of = Some(
                        raw_str(raw.get())
                            .and_then(|s| parse_date(&s))
                            .ok_or_else(|| found(raw.get())),
                    );
                }
                "signals" => m.next_value_seed(Signals(&mut *st))?,
                "events" => m.next_value_seed(Events(&mut *st))?,
                "override" => {
                    let raw: &'de RawValue = m.next_value()?;
                    st.override_ = Some(raw);
                }
                other => {
                    match st.schema.signals.get(other) {
                        Some(&i) => st.top_level.push(i),
                        None => {
                            st.seen.keys.entry(other.to_string()).or_insert(1);
                        }
                    }
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Signals<'s, 'a, 'r>(&'s mut State<'a, 'r>);

impl<'de: 'a, 's, 'a, 'r> serde::de::DeserializeSeed<'de> for Signals<'s, 'a, 'r> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 's, 'a, 'r> Visitor<'de> for Signals<'s, 'a, 'r> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object of signals")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        let st = self.0;
        while let Some(key) = m.next_key::<Cow<'de, str>>()? {
            let raw: &'de RawValue = m.next_value()?;
            match st.schema.signals.get(key.as_ref()) {
                Some(&i) => {
                    if !st.given.first(i.index()) {
                        st.signal_twice.get_or_insert_with(|| key.to_string());
                    }
                    if st.error.is_some() {
                        continue;
                    }
                    match st.schema.signal_json(i, raw) {
                        Ok(v) => st.signals[i.index()] = v,
                        Err(why) => {
                            st.error = Some((
                                Problem::Signal(key.to_string()),
                                format!("signal `{key}`: {why}"),
                            ))
                        }
                    }
                }
                None => {
                    st.seen.signals.entry(key.into_owned()).or_insert(1);
                }
            }
        }
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.wrong(&format!("{v:?}"))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut s: S) -> Result<(), S::Error> {
        while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        self.wrong("a list")
    }
}

impl Signals<'_, '_, '_> {
    fn wrong<E>(self, what: &str) -> Result<(), E> {
        if self.0.error.is_none() {
            self.0.error = Some((
                Problem::Signals,
                format!("`signals`: expected an object, found {what}"),
            ));
        }
        Ok(())
    }
}

struct Events<'s, 'a, 'r>(&'s mut State<'a, 'r>);

impl<'de: 'a, 's, 'a, 'r> serde::de::DeserializeSeed<'de> for Events<'s, 'a, 'r> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 's, 'a, 'r> Visitor<'de> for Events<'s, 'a, 'r> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of events")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut s: S) -> Result<(), S::Error> {
        let st = self.0;
        while let Some(item) = s.next_element_seed(EventItem)? {
            let n = st.event_no;
            st.event_no += 1;
            if st.error.is_some() {
                continue;
            }
            let pairs = match item {
                Ok(p) => p,
                Err(what) => {
                    st.error = Some((
                        Problem::Event(String::new()),
                        format!("event #{}: expected an object, found {what}", n + 1),
                    ));
                    continue;
                }
            };
            if let Err(why) = st
                .schema
                .json_event(&pairs, n, &mut st.events, &mut st.seen)
            {
                st.error = Some(why);
            }
        }
        Ok(())
    }
    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        while m
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        self.wrong("an object")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.wrong(&format!("{v:?}"))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.wrong(&v.to_string())
    }
}

/// One element of `events`: its keys and raw values, or what it was instead
/// of an object.
struct EventItem;

impl<'de> serde::de::DeserializeSeed<'de> for EventItem {
    type Value = Result<Pairs<'de>, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventItem {
    type Value = Result<Pairs<'de>, String>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
        let mut v = Vec::with_capacity(m.size_hint().unwrap_or(4));
        while let Some(k) = m.next_key::<Cow<'de, str>>()? {
            let val: &'de RawValue = m.next_value()?;
            v.push((k, val));
        }
        Ok(Ok(Pairs(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null".into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Err(format!("{v:?}")))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Err(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Err(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Err(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Err(v.to_string()))
    }
    fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut s: S) -> Result<Self::Value, S::Error> {
        while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Err("a list".into()))
    }
}

impl Events<'_, '_, '_> {
    fn wrong<E>(self, what: &str) -> Result<(), E> {
        if self.0.error.is_none() {
            self.0.error = Some((
                Problem::Event(String::new()),
                format!("`events`: expected a list, found {what}"),
            ));
        }
        Ok(())
    }
}

/// A CSV column after the header was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Signal(SignalId),
    Unknown(String),
}

/// The account of a record that could not be parsed, when it can be seen.
pub fn guess_account(text: &str) -> String {
    fast_account(text).map_or_else(|| "?".to_string(), |a| a.into_owned())
}

/// The `account` of a JSON Lines record, cheaply: the fast path reads a
/// record that starts `{"account": "…"`; anything else is parsed.
pub fn fast_account(text: &str) -> Option<Cow<'_, str>> {
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix('{') {
        let rest = rest.trim_start();
        if let Some(rest) = rest.strip_prefix("\"account\"") {
            let rest = rest.trim_start().strip_prefix(':')?.trim_start();
            let body = rest.strip_prefix('"')?;
            if let Some(end) = body.find(['"', '\\']) {
                if body.as_bytes()[end] == b'"' {
                    return Some(Cow::Borrowed(&body[..end]));
                }
            }
        }
    }
    #[derive(Deserialize)]
    struct Only<'a> {
        #[serde(borrow)]
        account: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<Only<'_>>(text)
        .ok()
        .and_then(|o| o.account)
}

/// serde's message about a record that is not JSON, placed in the record
/// as people read it: the line of a JSON Lines file ends with its record,
/// so "at line 2 column 0" (past the newline) is the record ending too
/// early, and on a one-line record only the column says anything.
fn json_error(e: &serde_json::Error, text: &str) -> String {
    // serde's words for people (an unquoted word is an "ident" to it)
    let full = e
        .to_string()
        .replace(
            "expected ident",
            "expected true, false or null; a text needs quotes,",
        )
        .replace(
            "expected value",
            "expected a value (a number, a text in quotes, true, false or null)",
        );
    let what = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(w, _)| w);
    if e.classify() == serde_json::error::Category::Eof {
        format!("the record ends too early: {what}")
    } else if text.trim_end().lines().count() <= 1 {
        format!("{what} at column {}", e.column())
    } else {
        full
    }
}

#[cfg(test)]
mod tests {
    use super::csv_quote_left_open as open;

    /// Every slot, in the first two words and beyond, is first once: a
    /// record that gives the 300th signal twice is caught as one that gives
    /// the first twice.
    #[test]
    fn given_tells_the_second_time_of_every_slot() {
        let mut g = super::Given::default();
        let order: Vec<usize> = (0..300).rev().step_by(7).chain(0..300).collect();
        let mut seen = std::collections::HashSet::new();
        for i in order {
            assert_eq!(g.first(i), seen.insert(i), "slot {i}");
        }
    }

    /// The word and byte-loop comparison answers as `<[u8]>::starts_with`
    /// for every length of name up to 20 and of text around it.
    #[test]
    fn starts_with_answers_as_std() {
        let text = b"\"critical_severity\",\"at\":\"2026\"";
        for n in 0..=20 {
            for cut in 0..=text.len() {
                let b = &text[..cut];
                let q = &text[..n.min(text.len())];
                assert_eq!(super::starts_with(b, q), b.starts_with(q), "{n} {cut}");
                for at in 0..n.min(text.len()) {
                    let mut other = q.to_vec();
                    other[at] ^= 1;
                    assert_eq!(
                        super::starts_with(b, &other),
                        b.starts_with(&other),
                        "{n} {cut} byte {at} changed"
                    );
                }
            }
        }
    }

    /// Dates are `YYYY-MM-DD` of a day that exists: as chrono reads them,
    /// without its leniency for a space before a number (`2026- 1-01`).
    #[test]
    fn dates_are_read_as_chrono_reads_them() {
        for s in ["2026- 1-01", "2026-01- 1", "2026-\t1-01", " 026-01-01"] {
            assert_eq!(super::parse_date(s), None, "{s:?}");
        }
        for s in [
            "2026-11-01",
            "2024-02-29",
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "0000-01-01",
            "9999-12-31",
            "2026-1-01",
            "2026/11/01",
            "2026-11-0a",
            "2026-11-01 ",
            "+2026-11-1",
            "2026-11-:1",
            "20261-11-01",
            "",
        ] {
            let chrono = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|_| s.len() == 10 && s.as_bytes()[0].is_ascii_digit());
            assert_eq!(super::parse_date(s), chrono, "{s:?}");
        }
    }

    /// A quote left open is told from the quotes CSV allows: one that opens
    /// a field, `""` inside it, a quote inside an unquoted field.
    #[test]
    fn a_quote_left_open_is_told_from_csv_quoting() {
        assert!(open(b"a,\"dana\nb,eve\n", b','));
        assert!(
            open(b"a,\"x \"\" y\nb\n", b','),
            "an escaped quote keeps it open"
        );
        assert!(open(b"a;\"dana\nb;eve\n", b';'));
        assert!(
            !open(b"a,\"dana\nsmith\"\nb,eve\n", b','),
            "closed over a line"
        );
        assert!(
            !open(b"a,\"two\nlines\",12\" pipe\n", b','),
            "a plain quote"
        );
        assert!(!open(b"a,12\" pipe,\"x\"\n", b','));
        assert!(!open(b"a,\"x\"\"\"\r\nb\n", b','), "ends at CRLF");
        assert!(!open(b"a,b", b','));
        // with `;` as the delimiter, a quote after `,` is inside a field
        assert!(!open(b"a;x,\"y\nb\n", b';'));
    }
}
