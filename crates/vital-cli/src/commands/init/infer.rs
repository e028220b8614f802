//! `vital init --from`: read a sample snapshot file (CSV, JSON Lines or a
//! JSON array) as raw values — not through a rule set — and infer a type for
//! every signal column and event field (docs/language.md §4, §7).

use chrono::NaiveDate;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// At most this many distinct texts make an enum …
pub const ENUM_MAX_VARIANTS: usize = 12;
/// … when at least this many values are present.
pub const ENUM_MIN_VALUES: usize = 20;

/// Texts exports write for "no value": in a signal column whose other
/// values are numbers, dates, booleans or durations they are read as
/// missing, and `vital init` proposes them as `nulls` of vital.toml
/// (docs/project.md; `vital run` reads `nulls` in signal columns, not in
/// event fields).
/// Only unambiguous ones: `-`, `NA` or `None` can be an enum's value.
pub const NULL_MARKERS: [&str; 6] = ["N/A", "n/a", "#N/A", "NULL", "null", "NaN"];

/// An inferred type (docs/language.md §4).
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Bool,
    Int,
    Number,
    Percent,
    Money,
    Date,
    Duration,
    /// Variants, in order of first appearance.
    Enum(Vec<String>),
    Text,
}

impl Kind {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Kind::Int | Kind::Number | Kind::Percent | Kind::Money)
    }

    /// As written in a declaration.
    pub fn vital(&self) -> String {
        match self {
            Kind::Bool => "bool".into(),
            Kind::Int => "int".into(),
            Kind::Number => "number".into(),
            Kind::Percent => "percent".into(),
            Kind::Money => "money".into(),
            Kind::Date => "date".into(),
            Kind::Duration => "duration".into(),
            Kind::Enum(v) => format!("enum({})", v.join(", ")),
            Kind::Text => "text".into(),
        }
    }
}

/// Numbers seen in a numeric column (after `scale`).
#[derive(Debug, Clone)]
pub struct Stats {
    pub min: f64,
    pub max: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// A signal column (or key), or an event field.
#[derive(Debug, Clone)]
pub struct Column {
    /// As written in the file.
    pub source: String,
    /// The Vital name (the source itself when it is a valid name).
    pub name: String,
    pub kind: Kind,
    pub optional: bool,
    /// Present (non-missing) values, and records (or occurrences) seen.
    pub present: usize,
    pub total: usize,
    /// `Some(100)`: a percent given as fractions.
    pub scale: Option<u32>,
    /// [`NULL_MARKERS`] found among otherwise typed values, read as missing
    /// (in order of first appearance).
    pub nulls: Vec<String>,
    /// Enum values that are not valid variant names: (as written, variant).
    pub value_map: Vec<(String, String)>,
    /// A date column written in another format than `YYYY-MM-DD`
    /// (`"%m/%d/%Y"`), read through the column mapping.
    pub date_format: Option<&'static str>,
    /// What to change in the export for a better type (numbers written
    /// `16%` or `$131,000` are read as text): a note for the user.
    pub hint: Option<String>,
    pub stats: Option<Stats>,
    /// A value seen, as a Vital literal of `kind` (for test blocks).
    pub example: Option<String>,
}

/// An event type of the `events` arrays.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub occurrences: usize,
    pub fields: Vec<Column>,
    /// Per record: occurrences within 90 days up to its `as_of`.
    pub recent_counts: Vec<usize>,
}

/// What a sample holds.
#[derive(Debug, Clone)]
pub struct Sample {
    pub records: usize,
    pub accounts: usize,
    pub latest_as_of: NaiveDate,
    pub columns: Vec<Column>,
    pub events: Vec<Event>,
    /// The statuses of the records' overrides, in order of first appearance
    /// (they must be arms of the status block).
    pub override_statuses: Vec<String>,
    /// [`NULL_MARKERS`] that mean "no value" in some signal column, in
    /// order of first appearance: `nulls` of vital.toml, read as missing in
    /// every signal column.
    pub nulls: Vec<String>,
    /// Things left out or changed, for the user (one line each).
    pub notes: Vec<String>,
}

/// Date formats of exports that init recognises besides `YYYY-MM-DD`:
/// a column all of whose values read in one of them is a `date` with that
/// `format` in vital.toml (US first: `03/04/2027` reads in both).
const OTHER_DATE_FORMATS: [&str; 2] = ["%m/%d/%Y", "%d/%m/%Y"];

/// Raw values, as read.
enum Raw<'a> {
    Missing,
    /// A CSV cell: any type may be written as text.
    Cell(&'a str),
    Json(&'a serde_json::Value),
}

/// What one column's values look like.
#[derive(Default, Clone)]
struct Obs {
    total: usize,
    missing: usize,
    bools: usize,
    ints: usize,
    decimals: usize,
    dates: usize,
    /// Texts that are numbers as spreadsheets format them (`16%`,
    /// `$131,000`), and whether any had a `%`.
    formatted_numbers: usize,
    percent_signs: bool,
    /// Dates written as each of [`OTHER_DATE_FORMATS`] (US, then European).
    other_dates: [usize; 2],
    /// The first of them, in ISO form per format (a test literal).
    other_first: [Option<String>; 2],
    durations: usize,
    /// Texts that are none of the above (and, in JSON, any string).
    texts: usize,
    /// JSON objects and arrays.
    others: usize,
    /// JSON: strings seen (dates, durations and texts).
    json_strings: usize,
    nums: Vec<f64>,
    /// Distinct texts (up to ENUM_MAX_VARIANTS + 1), in order of appearance.
    distinct: Vec<String>,
    first: Option<String>,
    first_bool: Option<bool>,
    /// [`NULL_MARKERS`] seen (counted as texts too): each with how often,
    /// and how often as a JSON string.
    markers: Vec<(String, usize, usize)>,
}

impl Obs {
    fn see(&mut self, raw: Raw<'_>) {
        self.total += 1;
        match raw {
            Raw::Missing => self.missing += 1,
            Raw::Cell(c) => {
                if c.is_empty() {
                    self.missing += 1;
                    return;
                }
                self.mark(c, false);
                self.text(c);
                if c == "true" || c == "false" {
                    self.bools += 1;
                    self.first_bool.get_or_insert(c == "true");
                } else if is_int(c) {
                    self.ints += 1;
                    self.num(c);
                } else if is_decimal(c) {
                    self.decimals += 1;
                    self.num(c);
                } else if vital_eval::reader::parse_date(c).is_some() {
                    self.dates += 1;
                } else if is_duration(c) {
                    self.durations += 1;
                } else {
                    self.other_date(c);
                    self.formatted_number(c);
                    self.texts += 1;
                }
            }
            Raw::Json(v) => match v {
                serde_json::Value::Null => self.missing += 1,
                serde_json::Value::Bool(b) => {
                    self.bools += 1;
                    self.first_bool.get_or_insert(*b);
                }
                serde_json::Value::Number(n) => {
                    let f = n.as_f64().unwrap_or(0.0);
                    if f.fract() == 0.0 && f.abs() < 1e15 {
                        self.ints += 1;
                    } else {
                        self.decimals += 1;
                    }
                    self.nums.push(f);
                    if self.first.is_none() {
                        self.first = Some(number_literal(f));
                    }
                }
                serde_json::Value::String(s) => {
                    self.json_strings += 1;
                    self.mark(s, true);
                    self.text(s);
                    if vital_eval::reader::parse_date(s).is_some() {
                        self.dates += 1;
                    } else if is_duration(s) {
                        self.durations += 1;
                    } else {
                        self.other_date(s);
                        self.texts += 1;
                    }
                }
                _ => self.others += 1,
            },
        }
    }

    /// Count a text that is a number as spreadsheets format it.
    fn formatted_number(&mut self, s: &str) {
        if vital_eval::reader::spreadsheet_number(s).is_some() {
            self.formatted_numbers += 1;
            self.percent_signs |= s.trim().ends_with('%');
        }
    }

    /// Count a text that reads as a date in one of [`OTHER_DATE_FORMATS`].
    fn other_date(&mut self, s: &str) {
        for (k, f) in OTHER_DATE_FORMATS.iter().enumerate() {
            if let Ok(d) = NaiveDate::parse_from_str(s.trim(), f) {
                self.other_dates[k] += 1;
                self.other_first[k].get_or_insert_with(|| d.format("%Y-%m-%d").to_string());
            }
        }
    }

    fn num(&mut self, c: &str) {
        if let Ok(f) = c.parse::<f64>() {
            self.nums.push(f);
        }
    }

    fn text(&mut self, s: &str) {
        if self.first.is_none() {
            self.first = Some(s.to_string());
        }
        // markers do not count toward the cap: once they are read as
        // missing, a full list must still say "too many for an enum"
        let marker = |d: &str| NULL_MARKERS.contains(&d);
        let values = self.distinct.iter().filter(|d| !marker(d)).count();
        if (marker(s) || values <= ENUM_MAX_VARIANTS) && !self.distinct.iter().any(|d| d == s) {
            self.distinct.push(s.to_string());
        }
    }

    fn present(&self) -> usize {
        self.total - self.missing
    }

    /// Note a [`NULL_MARKERS`] text (it is also counted as a text).
    fn mark(&mut self, s: &str, json: bool) {
        if NULL_MARKERS.contains(&s) {
            match self.markers.iter_mut().find(|(m, ..)| m == s) {
                Some((_, n, j)) => {
                    *n += 1;
                    *j += usize::from(json);
                }
                None => self.markers.push((s.to_string(), 1, usize::from(json))),
            }
        }
    }

    /// Whether the markers are what stops the column being typed: every
    /// other value is a number, a date, a boolean or a duration. Then they
    /// mean "no value" (`N/A` among names may be a name).
    fn markers_mean_missing(&self) -> bool {
        let marked: usize = self.markers.iter().map(|(_, n, _)| n).sum();
        let Some(rest) = self.present().checked_sub(marked) else {
            return false;
        };
        // (dates in another format only in CSV: JSON reads them as text)
        marked > 0
            && rest > 0
            && (self.ints + self.decimals == rest
                || self.dates == rest
                || self.bools == rest
                || self.durations == rest
                || (self.json_strings == 0 && self.other_dates.contains(&rest)))
    }

    /// The column with the markers of `nulls` read as missing, as `vital
    /// run` reads them once vital.toml lists them (in every signal column),
    /// and which of them it held.
    fn without(&self, nulls: &[String]) -> (Obs, Vec<String>) {
        let mut o = self.clone();
        let mut held = Vec::new();
        for (m, n, j) in &self.markers {
            if nulls.contains(m) {
                o.missing += n;
                o.texts = o.texts.saturating_sub(*n);
                o.json_strings = o.json_strings.saturating_sub(*j);
                held.push(m.clone());
            }
        }
        if !held.is_empty() {
            o.distinct.retain(|d| !held.contains(d));
            // the first text, unless a marker: the first one left (every
            // text's first appearance is in `distinct` until it is full)
            if o.first.as_ref().is_some_and(|f| held.contains(f)) {
                o.first = o.distinct.first().cloned();
            }
        }
        (o, held)
    }
}

fn is_int(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty() && d.len() <= 18 && d.bytes().all(|b| b.is_ascii_digit())
}

fn is_decimal(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    let Some((a, b)) = d.split_once('.') else {
        return false;
    };
    !a.is_empty()
        && !b.is_empty()
        && a.len() + b.len() <= 27
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
}

fn is_duration(s: &str) -> bool {
    let mut parts = s.split(' ');
    let (Some(n), Some(u), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    is_int(n)
        && !n.starts_with('-')
        && matches!(
            u,
            "day" | "days" | "week" | "weeks" | "month" | "months" | "year" | "years"
        )
}

/// A number as a Vital literal: no exponent, no trailing zeros.
pub fn number_literal(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let s = format!("{f:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A text as a Vital string literal.
pub fn text_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A valid Vital name: `[A-Za-z_][A-Za-z0-9_]*`, not a reserved word.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return false;
    }
    let tokens = vital_syntax::lexer::tokenize(s);
    tokens.len() == 1
        && tokens[0].kind == vital_syntax::lexer::TokenKind::Ident
        && tokens[0].span.end == s.len()
}

/// The lowercase words of a name as written: `NPS Score` → nps, score;
/// `Usage %` → usage, pct; `ARRUsd` → arr, usd.
pub fn words(raw: &str) -> Vec<String> {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '%' {
            out.push_str("_pct_");
        } else if c.is_ascii_alphanumeric() {
            // a word boundary inside camelCase: aB, or the B of ABc
            let boundary = c.is_ascii_uppercase()
                && prev.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase()
                            && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()))
                });
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push('_');
        }
        prev = Some(c);
    }
    out.split('_')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A valid Vital name made from any text: `NPS Score` → `nps_score`,
/// `Usage %` → `usage_pct`, `ARRUsd` → `arr_usd`; a reserved word gets
/// `_value` (`status` → `status_value`).
pub fn to_identifier(raw: &str) -> String {
    let mut name = words(raw).join("_");
    if name.is_empty() {
        name = "column".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("n{name}");
    }
    if !is_identifier(&name) {
        name.push_str("_value");
    }
    name
}

fn has_word(name: &str, list: &[&str]) -> bool {
    words(name).iter().any(|w| list.contains(&w.as_str()))
}

const PERCENT_HINTS: &[&str] = &[
    "pct",
    "percent",
    "percentage",
    "usage",
    "rate",
    "utilization",
    "utilisation",
    "adoption",
];
const MONEY_HINTS: &[&str] = &[
    "arr", "mrr", "acv", "tcv", "revenue", "amount", "value", "spend", "ltv", "bookings", "price",
];

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn stats(nums: &[f64], scale: f64) -> Option<Stats> {
    let mut v: Vec<f64> = nums
        .iter()
        .map(|x| x * scale)
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(Stats {
        min: v[0],
        max: v[v.len() - 1],
        p10: percentile(&v, 0.1),
        p50: percentile(&v, 0.5),
        p90: percentile(&v, 0.9),
    })
}

/// Why a column is left out (it is not a signal Vital can read), if it is.
enum Verdict {
    Column(Box<Column>),
    Skip(String),
}

/// Decide a column's type. `json`: values came from JSON (strict: a text
/// must be a string, a number a number). `mappable`: enum spellings and
/// fractions can be fixed by the project file's column mapping (signals,
/// not event fields).
fn decide(
    source: &str,
    name: &str,
    obs: &Obs,
    json: bool,
    mappable: bool,
    nulls: &[String],
) -> Verdict {
    let (obs, nulls) = obs.without(nulls);
    let obs = &obs;
    let present = obs.present();
    let mut col = Column {
        source: source.to_string(),
        name: name.to_string(),
        kind: Kind::Text,
        optional: obs.missing > 0,
        present,
        total: obs.total,
        scale: None,
        nulls,
        value_map: Vec::new(),
        date_format: None,
        hint: None,
        stats: None,
        example: None,
    };
    if obs.others > 0 {
        return Verdict::Skip("holds JSON objects or arrays".into());
    }
    if present == 0 {
        col.example = None;
        return Verdict::Column(Box::new(col));
    }
    let numbers = obs.ints + obs.decimals;
    if obs.bools == present {
        col.kind = Kind::Bool;
        col.example = obs.first_bool.map(|b| b.to_string());
    } else if numbers == present {
        let s = stats(&obs.nums, 1.0);
        let (lo, hi) = s.as_ref().map(|s| (s.min, s.max)).unwrap_or((0.0, 0.0));
        // hints from the name as written (not a `_value` added to a reserved word)
        let percent_hint = source.contains('%') || has_word(source, PERCENT_HINTS);
        // all from 0 to 1: fractions, which only the column mapping scales
        let fractions = lo >= 0.0 && hi <= 1.0 && hi > 0.0;
        if percent_hint && fractions && mappable {
            col.kind = Kind::Percent;
            col.scale = Some(100);
        } else if percent_hint && !fractions && lo >= 0.0 && hi <= 100.0 {
            col.kind = Kind::Percent;
        } else if has_word(source, MONEY_HINTS) {
            col.kind = Kind::Money;
        } else if obs.decimals > 0 {
            col.kind = Kind::Number;
        } else {
            col.kind = Kind::Int;
        }
        let scale = f64::from(col.scale.unwrap_or(1));
        col.stats = stats(&obs.nums, scale);
        col.example = obs.nums.first().map(|f| {
            let lit = number_literal(f * scale);
            if col.kind == Kind::Percent {
                format!("{lit}%")
            } else {
                lit
            }
        });
    } else if obs.dates == present && (!json || obs.json_strings == present) {
        col.kind = Kind::Date;
        col.example = obs.first.clone();
    } else if let Some(k) = (0..OTHER_DATE_FORMATS.len()).find(|&k| {
        mappable && obs.other_dates[k] == present && obs.json_strings + obs.texts == present
    }) {
        // `01/15/2027`: a date in the export's own format, read through
        // the column mapping
        col.kind = Kind::Date;
        col.date_format = Some(OTHER_DATE_FORMATS[k]);
        col.example = obs.other_first[k].clone();
    } else if obs.durations == present && (!json || obs.json_strings == present) {
        col.kind = Kind::Duration;
        col.example = obs.first.clone();
    } else if json && obs.json_strings != present {
        return Verdict::Skip("mixes strings with numbers or booleans".into());
    } else {
        // text: an enum when few distinct values recur often enough
        let few = obs.distinct.len() <= ENUM_MAX_VARIANTS && present >= ENUM_MIN_VALUES;
        let mut variants: Vec<String> = Vec::new();
        let mut map = Vec::new();
        // when some value must be mapped to a Vital name, all are, so the
        // variants read alike (`enum(enterprise, mid_market, smb)`, not
        // `enum(Enterprise, mid_market, SMB)`)
        let map_all = obs.distinct.iter().any(|v| !is_identifier(v));
        for v in &obs.distinct {
            let variant = if map_all { to_identifier(v) } else { v.clone() };
            if variant != *v {
                map.push((v.clone(), variant.clone()));
            }
            if !variants.contains(&variant) {
                variants.push(variant);
            }
        }
        if few && (mappable || map.is_empty()) {
            col.example = variants.first().cloned();
            col.kind = Kind::Enum(variants);
            col.value_map = map;
        } else {
            col.kind = Kind::Text;
            col.example = obs.first.as_deref().map(text_literal);
        }
        if obs.formatted_numbers == present {
            col.hint = Some(if obs.percent_signs {
                "its values are numbers written with `%` (16%): read as text; export them as plain numbers (16) to make it a percent".into()
            } else {
                "its values are numbers written with a currency sign or thousands separators ($131,000): read as text; export them as plain numbers (131000) to make it money or a number".into()
            });
        }
    }
    Verdict::Column(Box::new(col))
}

/// Read `path` and infer its signals and events.
pub fn read(path: &Path) -> Result<Sample, String> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(ext.as_str(), "csv" | "jsonl" | "json") {
        return Err(format!(
            "cannot tell the format of `{shown}`: name a .csv, .jsonl or .json file"
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read `{shown}`: {}", vital_input::io_reason(&e)))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        format!("{shown}:{line}: not UTF-8 (Vital reads UTF-8 input)")
    })?;
    let mut acc = Acc::default();
    match ext.as_str() {
        "csv" => read_csv(&shown, text, &mut acc)?,
        "jsonl" => {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let at = format!("{shown}:{}", i + 1);
                let v: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| format!("{at}: not a JSON object: {e}"))?;
                acc.json_record(&at, &v)?;
            }
        }
        _ => {
            let v: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| format!("{shown}:{}: not JSON: {e}", e.line()))?;
            let serde_json::Value::Array(items) = v else {
                return Err(format!(
                    "{shown}: a .json file holds an array of records `[{{…}}, …]`"
                ));
            };
            for (i, v) in items.iter().enumerate() {
                acc.json_record(&format!("{shown}: record {}", i + 1), v)?;
            }
        }
    }
    acc.finish(&shown, ext != "csv")
}

/// Values gathered while reading.
#[derive(Default)]
struct Acc {
    records: usize,
    accounts: HashSet<String>,
    snapshots: HashSet<(String, NaiveDate)>,
    duplicates: usize,
    latest: Option<NaiveDate>,
    /// Signal columns in order of first appearance.
    columns: Vec<(String, Obs)>,
    index: HashMap<String, usize>,
    events: Vec<EventAcc>,
    event_index: HashMap<String, usize>,
    override_statuses: Vec<String>,
}

#[derive(Default)]
struct EventAcc {
    name: String,
    occurrences: usize,
    fields: Vec<(String, Obs)>,
    recent: Vec<usize>,
}

impl Acc {
    fn column(&mut self, name: &str) -> &mut Obs {
        let i = match self.index.get(name) {
            Some(i) => *i,
            None => {
                self.columns.push((name.to_string(), Obs::default()));
                self.index.insert(name.to_string(), self.columns.len() - 1);
                self.columns.len() - 1
            }
        };
        &mut self.columns[i].1
    }

    fn record(&mut self, account: &str, as_of: NaiveDate) {
        self.records += 1;
        self.accounts.insert(account.to_string());
        if !self.snapshots.insert((account.to_string(), as_of)) {
            self.duplicates += 1;
        }
        if self.latest.is_none_or(|d| as_of > d) {
            self.latest = Some(as_of);
        }
    }

    fn json_record(&mut self, at: &str, v: &serde_json::Value) -> Result<(), String> {
        let serde_json::Value::Object(obj) = v else {
            return Err(format!("{at}: a record is a JSON object"));
        };
        let account = match obj.get("account") {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => return Err(format!("{at}: the record has no `account` (a string)")),
        };
        let as_of = obj
            .get("as_of")
            .and_then(|d| d.as_str())
            .and_then(vital_eval::reader::parse_date)
            .ok_or_else(|| {
                format!("{at}: account {account}: `as_of` is not a date (YYYY-MM-DD)")
            })?;
        let seen_before = self.records;
        self.record(&account, as_of);
        let empty = serde_json::Map::new();
        let signals = match obj.get("signals") {
            None | Some(serde_json::Value::Null) => &empty,
            Some(serde_json::Value::Object(m)) => m,
            Some(_) => {
                return Err(format!(
                    "{at}: account {account}: `signals` is not an object"
                ))
            }
        };
        // a column absent from this record is missing in it
        for (name, value) in signals {
            let obs = self.column(name);
            // records before this column first appeared lacked it
            while obs.total < seen_before {
                obs.see(Raw::Missing);
            }
            obs.see(Raw::Json(value));
        }
        for (_, obs) in self.columns.iter_mut() {
            while obs.total < self.records {
                obs.see(Raw::Missing);
            }
        }
        if let Some(status) = obj
            .get("override")
            .and_then(|o| o.get("status"))
            .and_then(|s| s.as_str())
        {
            if !self.override_statuses.iter().any(|s| s == status) {
                self.override_statuses.push(status.to_string());
            }
        }
        let events = match obj.get("events") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(a)) => a.iter().collect(),
            Some(_) => return Err(format!("{at}: account {account}: `events` is not an array")),
        };
        let mut recent: HashMap<usize, usize> = HashMap::new();
        for e in events {
            let serde_json::Value::Object(e) = e else {
                return Err(format!(
                    "{at}: account {account}: an event is not an object"
                ));
            };
            let Some(kind) = e.get("type").and_then(|t| t.as_str()) else {
                return Err(format!(
                    "{at}: account {account}: an event has no `type` (a string)"
                ));
            };
            let Some(date) = e
                .get("at")
                .and_then(|d| d.as_str())
                .and_then(vital_eval::reader::parse_date)
            else {
                return Err(format!(
                    "{at}: account {account}: event `{kind}` has no date `at` (YYYY-MM-DD)"
                ));
            };
            let ei = match self.event_index.get(kind) {
                Some(i) => *i,
                None => {
                    self.events.push(EventAcc {
                        name: kind.to_string(),
                        ..EventAcc::default()
                    });
                    self.event_index
                        .insert(kind.to_string(), self.events.len() - 1);
                    self.events.len() - 1
                }
            };
            let ev = &mut self.events[ei];
            let before = ev.occurrences;
            ev.occurrences += 1;
            if date <= as_of && (as_of - date).num_days() <= 90 {
                *recent.entry(ei).or_default() += 1;
            }
            for (field, value) in e {
                if field == "type" || field == "at" {
                    continue;
                }
                let fi = match ev.fields.iter().position(|(n, _)| n == field) {
                    Some(i) => i,
                    None => {
                        ev.fields.push((field.clone(), Obs::default()));
                        ev.fields.len() - 1
                    }
                };
                let obs = &mut ev.fields[fi].1;
                while obs.total < before {
                    obs.see(Raw::Missing);
                }
                obs.see(Raw::Json(value));
            }
            for (_, obs) in ev.fields.iter_mut() {
                while obs.total < ev.occurrences {
                    obs.see(Raw::Missing);
                }
            }
        }
        for (i, ev) in self.events.iter_mut().enumerate() {
            while ev.recent.len() < seen_before {
                ev.recent.push(0);
            }
            ev.recent.push(recent.get(&i).copied().unwrap_or(0));
        }
        Ok(())
    }

    fn finish(mut self, shown: &str, json: bool) -> Result<Sample, String> {
        let Some(latest_as_of) = self.latest else {
            return Err(format!("`{shown}` holds no records"));
        };
        let mut notes = Vec::new();
        let mut columns = Vec::new();
        // markers that mean "no value" in some signal column mean it in
        // all: `vital run` reads vital.toml's `nulls` in every signal
        // column (not in event fields, which are JSON and typed as written)
        let mut nulls: Vec<String> = Vec::new();
        for (_, obs) in &self.columns {
            if obs.markers_mean_missing() {
                for (m, ..) in &obs.markers {
                    if !nulls.contains(m) {
                        nulls.push(m.clone());
                    }
                }
            }
        }
        // names written as valid names keep them; the others get free ones
        let mut taken: BTreeSet<String> = self
            .columns
            .iter()
            .map(|(s, _)| s.clone())
            .filter(|s| is_identifier(s))
            .collect();
        for (source, obs) in &self.columns {
            let name = if is_identifier(source) {
                source.clone()
            } else {
                let n = unique(&to_identifier(source), &taken);
                taken.insert(n.clone());
                n
            };
            match decide(source, &name, obs, json, true, &nulls) {
                Verdict::Column(c) => columns.push(*c),
                Verdict::Skip(why) => notes.push(format!("left out signal \"{source}\": it {why}")),
            }
        }
        let mut events = Vec::new();
        for ev in self.events.iter_mut() {
            while ev.recent.len() < self.records {
                ev.recent.push(0);
            }
            if taken.contains(&ev.name) {
                notes.push(format!(
                    "left out event type \"{}\": a signal has the same name",
                    ev.name
                ));
                continue;
            }
            if !is_identifier(&ev.name) {
                notes.push(format!(
                    "left out event type \"{}\": not a valid Vital name (letters, digits and _)",
                    ev.name
                ));
                continue;
            }
            let mut fields = Vec::new();
            for (source, obs) in &ev.fields {
                if !is_identifier(source) {
                    notes.push(format!(
                        "left out field \"{source}\" of event {}: not a valid Vital name",
                        ev.name
                    ));
                    continue;
                }
                match decide(source, source, obs, true, false, &[]) {
                    Verdict::Column(c) => fields.push(*c),
                    Verdict::Skip(why) => notes.push(format!(
                        "left out field \"{source}\" of event {}: it {why}",
                        ev.name
                    )),
                }
            }
            events.push(Event {
                name: ev.name.clone(),
                occurrences: ev.occurrences,
                fields,
                recent_counts: std::mem::take(&mut ev.recent),
            });
        }
        if self.duplicates > 0 {
            notes.push(format!(
                "{} record{} the account and as_of of an earlier record: `vital run` rejects {}",
                self.duplicates,
                if self.duplicates == 1 {
                    " repeats"
                } else {
                    "s repeat"
                },
                if self.duplicates == 1 { "it" } else { "them" }
            ));
        }
        let mut override_statuses = Vec::new();
        for s in &self.override_statuses {
            if is_identifier(s) {
                override_statuses.push(s.clone());
            } else {
                notes.push(format!(
                    "override status \"{s}\" is not a Vital name (letters, digits and _): \
                     `vital run` rejects the records that have it"
                ));
            }
        }
        Ok(Sample {
            override_statuses,
            nulls,
            records: self.records,
            accounts: self.accounts.len(),
            latest_as_of,
            columns,
            events,
            notes,
        })
    }
}

fn read_csv(shown: &str, text: &str, acc: &mut Acc) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut columns: Vec<usize> = Vec::new();
    // `account` and `as_of` may be anywhere: each row is read with them first
    let mut order: Option<Vec<usize>> = None;
    let mut rows = reader.records();
    while let Some(row) = rows.next() {
        let row = row.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            format!("{shown}:{line}: not CSV: {e}")
        })?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        // a quote never closed where its cell ends: the CSV reader took the
        // rest of the file, or the rows up to another quote, into one field
        // (only a row with a line break in a field can be one)
        let start = row.position().map_or(0, |p| p.byte() as usize);
        let end = rows.reader().position().byte() as usize;
        let record = text
            .as_bytes()
            .get(start..end.max(start))
            .unwrap_or_default();
        let cells = header.as_ref().map_or(0, Vec::len);
        if row.iter().any(|c| c.contains('\n'))
            && vital_eval::reader::csv_stray_quote(record, end >= text.len(), b',', cells).is_some()
        {
            return Err(format!(
                "{shown}:{line}: a quote opened in this row is never closed where its cell ends (the rows after it would be one field); close it, or write a quote inside a field twice: \"\""
            ));
        }
        let cells: Vec<&str> = match &order {
            Some(o) if row.len() == o.len() => {
                o.iter().map(|&i| row.get(i).unwrap_or("")).collect()
            }
            _ => row.iter().collect(),
        };
        let Some(h) = &header else {
            order = vital_eval::reader::header_order(row.iter());
            let h: Vec<String> = match &order {
                Some(o) => o
                    .iter()
                    .map(|&i| row.get(i).unwrap_or("").to_string())
                    .collect(),
                None => cells.iter().map(|c| c.to_string()).collect(),
            };
            if h.first().map(String::as_str) != Some("account")
                || h.get(1).map(String::as_str) != Some("as_of")
            {
                // the reader's own words: "is it `Account ID`?", another
                // delimiter
                let cells: Vec<&str> = row.iter().collect();
                let why = vital_eval::reader::header_problem(&cells, b',').unwrap_or_else(|| {
                    format!(
                        "the CSV header needs the columns `account` and `as_of`, found `{}`",
                        cells.join(",")
                    )
                });
                let what_to_do = if why.contains("has no column") {
                    "rename it in the export (`vital init` reads `account` and `as_of` by these names)"
                } else {
                    "`vital init` reads commas: save the export with commas, or write vital.toml by hand (docs/project.md)"
                };
                return Err(format!("{shown}:{line}: {why}; {what_to_do}"));
            }
            for (i, name) in h.iter().enumerate().skip(2) {
                if h[..i].contains(name) {
                    return Err(format!(
                        "{shown}:{line}: the column \"{name}\" is in the header twice"
                    ));
                }
                acc.column(name);
                columns.push(acc.index.get(name).copied().unwrap_or(0));
            }
            header = Some(h);
            continue;
        };
        if row.len() != h.len() {
            return Err(format!(
                "{shown}:{line}: expected {} cells as in the header, found {}",
                h.len(),
                row.len()
            ));
        }
        let account = cells.first().copied().unwrap_or("");
        if account.is_empty() {
            return Err(format!("{shown}:{line}: `account` is empty"));
        }
        let as_of_text = cells.get(1).copied().unwrap_or("");
        let as_of = vital_eval::reader::parse_date(as_of_text).ok_or_else(|| {
            format!("{shown}:{line}: `as_of`: expected a date (YYYY-MM-DD), found {as_of_text:?}")
        })?;
        acc.record(account, as_of);
        for (ci, cell) in columns.iter().zip(cells.iter().copied().skip(2)) {
            acc.columns[*ci].1.see(Raw::Cell(cell));
        }
    }
    if header.is_none() {
        return Err(format!(
            "`{shown}` is empty: expected a header `account,as_of,…`"
        ));
    }
    Ok(())
}

/// Distinct names: `base`, else `base_2`, `base_3`, ….
fn unique(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_made_from_column_names() {
        assert_eq!(to_identifier("NPS Score"), "nps_score");
        assert_eq!(to_identifier("Usage %"), "usage_pct");
        assert_eq!(to_identifier("ARRUsd"), "arr_usd");
        assert_eq!(to_identifier("firstResponseHours"), "first_response_hours");
        assert_eq!(to_identifier("30d logins"), "n30d_logins");
        assert_eq!(to_identifier("status"), "status_value");
        assert_eq!(to_identifier("Mid-Market"), "mid_market");
        assert_eq!(to_identifier("---"), "column");
        assert!(is_identifier("feature_usage"));
        assert!(is_identifier("Enterprise"));
        assert!(!is_identifier("in"));
        assert!(!is_identifier("days"));
        assert!(!is_identifier("Mid Market"));
        assert!(!is_identifier("2x"));
    }

    #[test]
    fn literals() {
        assert_eq!(number_literal(3.0), "3");
        assert_eq!(number_literal(0.30000000000000004), "0.3");
        assert_eq!(number_literal(-2.5), "-2.5");
        assert_eq!(text_literal("a \"b\" \\"), r#""a \"b\" \\""#);
    }
}
