//! Parquet input (docs/parquet.md): the two tables of `vital compile`'s
//! layout (docs/sql.md), as warehouses export them.
//!
//! * `snapshots(account, as_of, <signal>…, override_status,
//!   override_until, override_reason)`: one row per account and date;
//! * `events(account, as_of, type, at, <field>…)`: the events each snapshot
//!   carries. A file is an events table when it has the columns `type` and
//!   `at`; otherwise it is a snapshots table.
//!
//! There is no second reader of records here: each snapshot row, with the
//! events of its `(account, as_of)`, is written as the JSON Lines record it
//! stands for and read by [`vital_eval::Schema::json_record`], so every
//! check, message, mapping and data-quality warning is the one the JSON
//! Lines reader has. What is Parquet's is checked here once per file: that
//! the columns exist and that their types can hold the signals' types.
//!
//! Events tables are read whole, their row groups decoded in parallel
//! (one file handle each), and kept grouped by snapshot. A snapshots table
//! whose accounts are grouped is streamed ([`RowStream`], driven by the
//! reader's `Mode::Parquet`); any other is read whole, its row groups in
//! parallel ([`Snapshots::read_all`]). Rows are converted and parsed on
//! every core either way. A row is numbered from 1 across the whole file,
//! in the order of the row groups.

use crate::source::{Input, InputError};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type,
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Schema as ArrowSchema, TimeUnit};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use vital_check::ir::Type;
use vital_eval::reader::Column;
use vital_eval::{Ignored, Origin, Rejection, Schema, Snapshot};

/// Which of the two tables a Parquet file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Snapshots,
    Events,
}

/// Rows decoded per Arrow batch.
const BATCH_ROWS: usize = 8192;

/// The override columns of the snapshots table.
const OVERRIDE: [&str; 3] = ["override_status", "override_until", "override_reason"];

fn error(name: &Arc<str>, message: impl Into<String>) -> InputError {
    InputError::Parquet {
        name: name.clone(),
        message: message.into(),
    }
}

/// A file's footer: its Arrow schema and row groups. A file that is not
/// Parquet (no `PAR1` at both ends) or whose footer cannot be read is one
/// error naming it.
fn metadata(name: &Arc<str>, path: &Path) -> Result<ArrowReaderMetadata, InputError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e: std::io::Error| InputError::Io {
        name: name.clone(),
        error: e,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4];
    let mut tail = [0u8; 4];
    let magic = len >= 12
        && file.read_exact(&mut head).is_ok()
        && file.seek(SeekFrom::End(-4)).is_ok()
        && file.read_exact(&mut tail).is_ok()
        && &head == b"PAR1"
        && &tail == b"PAR1";
    if !magic {
        // a file that starts as Parquet but does not end as one was cut
        // short (a copy or an export that did not finish)
        let starts = file.seek(SeekFrom::Start(0)).is_ok()
            && file.read_exact(&mut head).is_ok()
            && &head == b"PAR1";
        return Err(error(
            name,
            if starts {
                "the Parquet file is cut short: it starts as Parquet but does not end with `PAR1` (a copy or an export that did not finish?)"
            } else {
                "not a Parquet file (it does not start and end with `PAR1`); name it .jsonl, .json or .csv if it is one of those"
            },
        ));
    }
    ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| error(name, format!("the Parquet footer cannot be read ({e})")))
}

/// Which table a Parquet file holds, from its columns (read from the
/// footer only).
pub(crate) fn table_of(name: &Arc<str>, path: &Path) -> Result<Table, InputError> {
    let meta = metadata(name, path)?;
    let schema = meta.schema();
    let has = |c: &str| schema.fields().iter().any(|f| f.name() == c);
    Ok(if has("type") && has("at") {
        Table::Events
    } else {
        Table::Snapshots
    })
}

/// A Parquet type as people who write SQL name it.
fn sql_type(t: &DataType) -> String {
    match t {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt8 => "UTINYINT".into(),
        DataType::UInt16 => "USMALLINT".into(),
        DataType::UInt32 => "UINTEGER".into(),
        DataType::UInt64 => "UBIGINT".into(),
        DataType::Float16 => "HALF FLOAT".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".into(),
        DataType::Dictionary(_, v) => sql_type(v),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Timestamp(_, None) => "TIMESTAMP".into(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "BLOB".into(),
        other => other.to_string(),
    }
}

/// The kind of values a column holds, as far as reading is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Decimal,
    Float,
    Text,
    Date,
    Bool,
    Other,
}

fn kind(t: &DataType) -> Kind {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Kind::Integer,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => Kind::Decimal,
        DataType::Float32 | DataType::Float64 => Kind::Float,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Kind::Text,
        DataType::Dictionary(_, v) => match kind(v) {
            Kind::Text => Kind::Text,
            _ => Kind::Other,
        },
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Kind::Date,
        DataType::Boolean => Kind::Bool,
        _ => Kind::Other,
    }
}

/// The column types that can hold a Vital type, for messages; `None` when
/// `found` can hold it.
fn mismatch(ty: Type, found: &DataType) -> Option<&'static str> {
    let k = kind(found);
    let (ok, expected) = match ty {
        Type::Int => (
            matches!(k, Kind::Integer | Kind::Decimal | Kind::Float),
            "BIGINT (or another integer type; a DECIMAL or DOUBLE holding whole numbers)",
        ),
        Type::Number | Type::Money | Type::Percent => (
            matches!(k, Kind::Integer | Kind::Decimal | Kind::Float),
            "DECIMAL(38,10) (or another DECIMAL, DOUBLE, FLOAT or an integer type)",
        ),
        Type::Text | Type::Duration | Type::Enum(_) => (k == Kind::Text, "VARCHAR"),
        Type::Date => (k == Kind::Date, "DATE (or a TIMESTAMP at midnight)"),
        Type::Bool => (k == Kind::Bool, "BOOLEAN"),
        _ => (false, "a type Parquet input does not read"),
    };
    (!ok).then_some(expected)
}

/// One cell as JSON text written at the end of `out`; `false` (nothing
/// written) for a null. The common types are written in place; the others
/// through [`cell`].
fn cell_to(out: &mut String, a: &ArrayRef, row: usize) -> bool {
    if a.is_null(row) {
        return false;
    }
    match a.data_type() {
        DataType::Int64 => {
            let _ = write!(out, "{}", a.as_primitive::<Int64Type>().value(row));
        }
        DataType::Int32 => {
            let _ = write!(out, "{}", a.as_primitive::<Int32Type>().value(row));
        }
        DataType::Boolean => {
            out.push_str(if a.as_boolean().value(row) {
                "true"
            } else {
                "false"
            });
        }
        DataType::Decimal128(_, scale) => {
            let start = out.len();
            let _ = write!(out, "{}", a.as_primitive::<Decimal128Type>().value(row));
            scale_in_place(out, start, *scale);
        }
        DataType::Utf8 => string_to(out, a.as_string::<i32>().value(row)),
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(row);
            match chrono::NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163)) {
                Some(d) => {
                    use chrono::Datelike;
                    let _ = write!(out, "\"{:04}-{:02}-{:02}\"", d.year(), d.month(), d.day());
                }
                None => out.push_str(&day(i64::from(days) * 86_400, 0)),
            }
        }
        _ => match other_cell(a, row) {
            Some(text) => out.push_str(&text),
            None => return false,
        },
    }
    true
}

/// The digits of an unscaled decimal written at `start..` of `out` turned,
/// in place, into the number at `scale` (as [`decimal`] writes it).
fn scale_in_place(out: &mut String, start: usize, scale: i8) {
    let digits = out[start..].to_string();
    out.truncate(start);
    out.push_str(&decimal(&digits, scale));
}

/// A string as a JSON string at the end of `out`.
fn string_to(out: &mut String, s: &str) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&json_string(s));
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

/// One cell as JSON text; `None` for a null.
fn cell(a: &ArrayRef, row: usize) -> Option<String> {
    let mut out = String::new();
    cell_to(&mut out, a, row).then_some(out)
}

/// One cell of a type [`cell_to`] does not write in place.
fn other_cell(a: &ArrayRef, row: usize) -> Option<String> {
    if a.is_null(row) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Boolean => a.as_boolean().value(row).to_string(),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(row).to_string(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(row).to_string(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::Float32 => float(
            f64::from(a.as_primitive::<Float32Type>().value(row)),
            || a.as_primitive::<Float32Type>().value(row).to_string(),
        ),
        DataType::Float64 => {
            let v = a.as_primitive::<Float64Type>().value(row);
            float(v, || v.to_string())
        }
        DataType::Decimal32(_, s) => decimal(
            &a.as_primitive::<Decimal32Type>().value(row).to_string(),
            *s,
        ),
        DataType::Decimal64(_, s) => decimal(
            &a.as_primitive::<Decimal64Type>().value(row).to_string(),
            *s,
        ),
        DataType::Decimal128(_, s) => decimal(
            &a.as_primitive::<Decimal128Type>().value(row).to_string(),
            *s,
        ),
        DataType::Decimal256(_, s) => decimal(
            &a.as_primitive::<Decimal256Type>().value(row).to_string(),
            *s,
        ),
        DataType::Utf8 => json_string(a.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => json_string(a.as_string::<i64>().value(row)),
        DataType::Utf8View => json_string(a.as_string_view().value(row)),
        DataType::Dictionary(..) => {
            let d = a.as_any_dictionary();
            let key = d.normalized_keys().get(row).copied()?;
            return cell(d.values(), key);
        }
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(row);
            day(i64::from(days) * 86_400, 0)
        }
        DataType::Date64 => {
            let ms = a.as_primitive::<Date64Type>().value(row);
            day(ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000)
        }
        DataType::Timestamp(unit, _) => {
            let (v, per) = match unit {
                TimeUnit::Second => (a.as_primitive::<TimestampSecondType>().value(row), 1),
                TimeUnit::Millisecond => (
                    a.as_primitive::<TimestampMillisecondType>().value(row),
                    1000,
                ),
                TimeUnit::Microsecond => (
                    a.as_primitive::<TimestampMicrosecondType>().value(row),
                    1_000_000,
                ),
                TimeUnit::Nanosecond => (
                    a.as_primitive::<TimestampNanosecondType>().value(row),
                    1_000_000_000,
                ),
            };
            day(v.div_euclid(per), v.rem_euclid(per) * (1_000_000_000 / per))
        }
        // a column of a type no signal takes: its presence counts (an
        // unknown column), its value is not read
        _ => "null".into(),
    })
}

/// A float as the shortest decimal that reads back as the same float (what
/// the warehouse shows); NaN and infinities as a string, which no number
/// slot accepts.
fn float(v: f64, text: impl FnOnce() -> String) -> String {
    if !v.is_finite() {
        return json_string(&v.to_string());
    }
    if v == 0.0 {
        return "0".into();
    }
    text()
}

/// An unscaled decimal's digits (`-12345`) at `scale` as a JSON number,
/// exactly (`-1.2345` at scale 4), without trailing fractional zeros.
fn decimal(digits: &str, scale: i8) -> String {
    let (neg, digits) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits),
    };
    let mut out = String::with_capacity(digits.len() + 3);
    if neg {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(digits);
        if digits != "0" {
            for _ in 0..scale.unsigned_abs() {
                out.push('0');
            }
        }
        return out;
    }
    let s = usize::from(scale.unsigned_abs());
    let padded = if digits.len() <= s {
        format!("{}{digits}", "0".repeat(s + 1 - digits.len()))
    } else {
        digits.to_string()
    };
    let (int, frac) = padded.split_at(padded.len() - s);
    let frac = frac.trim_end_matches('0');
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A day as a JSON date string; a time other than midnight is written with
/// its time, which no date slot accepts.
fn day(seconds: i64, nanos: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp(seconds, u32::try_from(nanos).unwrap_or(0))
    else {
        return json_string(&format!("{seconds} seconds after 1970-01-01"));
    };
    let t = t.naive_utc();
    if t.time() == chrono::NaiveTime::MIN {
        use chrono::Datelike;
        let d = t.date();
        format!("\"{:04}-{:02}-{:02}\"", d.year(), d.month(), d.day())
    } else {
        json_string(&t.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Where a column is in a batch.
fn index(schema: &ArrowSchema, name: &str) -> Option<usize> {
    schema.fields().iter().position(|f| f.name() == name)
}

/// ` (did you mean the column "ACCOUNT"? …)` when a column is `name` in
/// another case (a warehouse that writes names in capitals).
fn other_case(schema: &ArrowSchema, name: &str) -> String {
    schema
        .fields()
        .iter()
        .find(|f| f.name().eq_ignore_ascii_case(name))
        .map(|f| {
            format!(
                " (did you mean the column {:?}? column names are read as written: name it `{name}` in the export)",
                f.name()
            )
        })
        .unwrap_or_default()
}

/// A batch's columns, dictionary-encoded ones decoded (a warehouse may
/// write strings with a dictionary; a cell is then read without a lookup).
fn plain(batch: &RecordBatch) -> Vec<ArrayRef> {
    batch
        .columns()
        .iter()
        .map(|c| match c.as_any_dictionary_opt() {
            Some(d) => arrow_select::take::take(d.values().as_ref(), d.keys(), None)
                .unwrap_or_else(|_| c.clone()),
            None => c.clone(),
        })
        .collect()
}

/// Why a row group cannot be read, in words: a codec this build does not
/// decode names itself and the ones it does (the reader's own message
/// speaks of a feature "disabled at compile time").
fn row_group_error(group: usize, e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let codec = ["flate2", "lz4", "brotli", "lzo"]
        .into_iter()
        .find(|c| text.contains("Disabled feature") && text.contains(c));
    match codec {
        Some(c) => {
            let name = match c {
                "flate2" => "gzip",
                "lz4" => "LZ4",
                other => other,
            };
            format!(
                "row group {group} is compressed with {name}, which vital does not read: export with snappy or zstd compression"
            )
        }
        None => format!("row group {group} cannot be read ({text})"),
    }
}

/// The batches of one row group, read on its own file handle.
fn row_group(
    input: &Input,
    meta: &ArrowReaderMetadata,
    group: usize,
) -> Result<Vec<RecordBatch>, InputError> {
    let file = std::fs::File::open(input.path()).map_err(|e| input.io(e))?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
        .with_row_groups(vec![group])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| error(&input.name, row_group_error(group, &e)))?;
    reader
        .map(|b| b.map_err(|e| error(&input.name, row_group_error(group, &e))))
        .collect()
}

/// The first row (from 0) of each row group.
fn starts(meta: &ArrowReaderMetadata) -> Vec<usize> {
    let mut at = 0usize;
    meta.metadata()
        .row_groups()
        .iter()
        .map(|g| {
            let s = at;
            at += usize::try_from(g.num_rows()).unwrap_or(0);
            s
        })
        .collect()
}

/// The key that joins an event to its snapshot: the JSON texts of
/// `account` and `as_of`.
type Key = (String, String);

/// FNV-1a: keys are looked up once per row, and a keyed hash is not needed.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// The events of every events table of the command line, by snapshot.
#[derive(Default)]
pub(crate) struct EventTables {
    /// `(account, as_of)` → its events in `groups`.
    by_snapshot: FnvMap<Key, usize>,
    groups: Vec<Group>,
    /// Events per file (for the note on events no snapshot has).
    files: Vec<Arc<str>>,
}

/// One snapshot's events, as the JSON objects of a list (without the
/// brackets), in the order of their rows; `used` once a snapshot row took
/// them.
#[derive(Default)]
struct Group {
    json: String,
    /// Each event's file (its index) and row.
    rows: Vec<(usize, usize)>,
    used: AtomicBool,
}

impl Group {
    fn push(&mut self, json: &str, file: usize, row: usize) {
        if !self.json.is_empty() {
            self.json.push_str(", ");
        }
        self.json.push_str(json);
        self.rows.push((file, row));
    }

    /// Another part of the same snapshot's events, after these.
    fn append(&mut self, other: Group) {
        if !self.json.is_empty() && !other.json.is_empty() {
            self.json.push_str(", ");
        }
        self.json.push_str(&other.json);
        self.rows.extend(other.rows);
    }
}

/// How an events table's column is read: into the events of every type
/// (`field`), or only into one event type's (`event.field`, the layout of a
/// field name two events declare with different types).
struct FieldColumn {
    at: usize,
    only: Option<String>,
    /// The field's key as JSON (`"severity": `).
    key: String,
}

impl EventTables {
    /// Reads every events table (each one's row groups in parallel).
    pub(crate) fn read(schema: &Schema<'_>, inputs: &[&Input]) -> Result<EventTables, InputError> {
        let mut tables = EventTables::default();
        for (file, input) in inputs.iter().enumerate() {
            tables.files.push(input.name.clone());
            let meta = metadata(&input.name, input.path())?;
            let arrow = meta.schema().clone();
            let columns = event_columns(schema, input, &arrow)?;
            let starts = starts(&meta);
            // a few row groups at a time (memory), in parallel; each one's
            // events grouped by snapshot, then added in row group order
            let groups: Vec<usize> = (0..starts.len()).collect();
            for chunk in groups.chunks(rayon::current_num_threads().max(1)) {
                let parts: Vec<(FnvMap<Key, usize>, Vec<Group>)> = chunk
                    .par_iter()
                    .map(|&g| {
                        let mut keys: FnvMap<Key, usize> = FnvMap::default();
                        let mut out: Vec<Group> = Vec::new();
                        let mut row = starts[g];
                        for batch in row_group(input, &meta, g)? {
                            let columns_of = plain(&batch);
                            let col = |name: &str| index(&arrow, name).map(|i| &columns_of[i]);
                            let (account, as_of, kind, at) =
                                (col("account"), col("as_of"), col("type"), col("at"));
                            for r in 0..batch.num_rows() {
                                row += 1;
                                let get = |c: Option<&ArrayRef>| c.and_then(|c| cell(c, r));
                                let key = (
                                    get(account).unwrap_or_default(),
                                    get(as_of).unwrap_or_default(),
                                );
                                let kind_text = get(kind);
                                let type_name = kind
                                    .filter(|c| !c.is_null(r))
                                    .and_then(|c| cell(c, r))
                                    .and_then(|t| serde_json::from_str::<String>(&t).ok());
                                let mut json = String::with_capacity(128);
                                json.push('{');
                                let mut sep = "";
                                if let Some(t) = &kind_text {
                                    let _ = write!(json, "\"type\": {t}");
                                    sep = ", ";
                                }
                                if let Some(d) = get(at) {
                                    let _ = write!(json, "{sep}\"at\": {d}");
                                    sep = ", ";
                                }
                                for c in &columns {
                                    if c.only.is_some() && c.only != type_name {
                                        continue;
                                    }
                                    let column = &columns_of[c.at];
                                    if column.is_null(r) {
                                        continue;
                                    }
                                    json.push_str(sep);
                                    sep = ", ";
                                    json.push_str(&c.key);
                                    cell_to(&mut json, column, r);
                                }
                                json.push('}');
                                let next = out.len();
                                let at = *keys.entry(key).or_insert(next);
                                if at == next {
                                    out.push(Group::default());
                                }
                                out[at].push(&json, file, row);
                            }
                        }
                        Ok((keys, out))
                    })
                    .collect::<Result<_, InputError>>()?;
                for (keys, mut local) in parts {
                    for (key, at) in keys {
                        let part = std::mem::take(&mut local[at]);
                        let next = tables.groups.len();
                        let g = *tables.by_snapshot.entry(key).or_insert(next);
                        if g == next {
                            tables.groups.push(Group::default());
                        }
                        tables.groups[g].append(part);
                    }
                }
            }
        }
        Ok(tables)
    }

    /// A note for each events table with events that no snapshot row
    /// took.
    pub(crate) fn orphans(&self) -> Vec<String> {
        let mut per_file = vec![0usize; self.files.len()];
        for g in &self.groups {
            if !g.used.load(Ordering::Relaxed) {
                for (file, _) in &g.rows {
                    per_file[*file] += 1;
                }
            }
        }
        per_file
            .iter()
            .zip(&self.files)
            .filter(|(n, _)| **n > 0)
            .map(|(n, file)| {
                format!(
                    "{file}: {} event{} ignored: no snapshot row has {} `account` and `as_of`",
                    crate::thousands(*n),
                    if *n == 1 { "" } else { "s" },
                    if *n == 1 { "its" } else { "their" }
                )
            })
            .collect()
    }
}

/// Checks an events table's columns; returns how its field columns are
/// read.
fn event_columns(
    schema: &Schema<'_>,
    input: &Input,
    arrow: &ArrowSchema,
) -> Result<Vec<FieldColumn>, InputError> {
    let rules = schema.rules();
    let mut wrong = Vec::new();
    fn check(wrong: &mut Vec<String>, column: &str, t: &DataType, ty: Option<Type>, what: &str) {
        if let Some(ty) = ty {
            if let Some(expected) = mismatch(ty, t) {
                wrong.push(format!(
                    "column `{column}` ({what}) is {}; expected {expected}",
                    sql_type(t)
                ));
            }
        }
    }
    for required in ["account", "as_of", "type", "at"] {
        if index(arrow, required).is_none() {
            return Err(error(
                &input.name,
                format!(
                    "an events table needs the column `{required}`{}; nothing was scored",
                    other_case(arrow, required)
                ),
            ));
        }
    }
    let mut out = Vec::new();
    for (i, f) in arrow.fields().iter().enumerate() {
        let name = f.name().as_str();
        let t = f.data_type();
        match name {
            "account" => account_type(schema, t, &mut wrong),
            "as_of" | "at" => check(&mut wrong, name, t, Some(Type::Date), "a date"),
            "type" => check(&mut wrong, name, t, Some(Type::Text), "the event's name"),
            _ => {
                // `event.field`: one event's field
                let split = name.split_once('.').and_then(|(e, fld)| {
                    let ev = rules.events.iter().find(|x| x.name == e)?;
                    let decl = ev.fields.iter().find(|x| x.name == fld)?;
                    Some((e, fld, decl.ty))
                });
                if let Some((e, fld, ty)) = split {
                    check(
                        &mut wrong,
                        name,
                        t,
                        Some(ty),
                        &format!("field `{fld}` of `{e}`"),
                    );
                    out.push(FieldColumn {
                        at: i,
                        only: Some(e.to_string()),
                        key: format!("{}: ", json_string(fld)),
                    });
                    continue;
                }
                // `field`: the events that declare it (one type, else each
                // value is checked as it is read)
                let types: Vec<Type> = rules
                    .events
                    .iter()
                    .flat_map(|e| e.fields.iter())
                    .filter(|x| x.name == name)
                    .map(|x| x.ty)
                    .collect();
                let one = types.first().filter(|first| {
                    types
                        .iter()
                        .all(|x| mismatch(*x, t) == mismatch(**first, t))
                });
                check(&mut wrong, name, t, one.copied(), "an event field");
                out.push(FieldColumn {
                    at: i,
                    only: None,
                    key: format!("{}: ", json_string(name)),
                });
            }
        }
    }
    types_error(input, wrong)?;
    Ok(out)
}

/// The type `account` may have: text, or digits when the mapping reads a
/// numeric account.
fn account_type(schema: &Schema<'_>, t: &DataType, wrong: &mut Vec<String>) {
    let k = kind(t);
    if k == Kind::Text || (k == Kind::Integer && schema.mapping().numeric_account) {
        return;
    }
    wrong.push(format!(
        "column `account` is {}; expected VARCHAR",
        sql_type(t)
    ));
}

fn types_error(input: &Input, wrong: Vec<String>) -> Result<(), InputError> {
    if wrong.is_empty() {
        return Ok(());
    }
    Err(error(
        &input.name,
        format!("{}; nothing was scored", wrong.join("; ")),
    ))
}

/// What a row is read into: its record, or its rejection, and the unknown
/// names it had.
pub(crate) type Parsed = (Result<Snapshot, Rejection>, Ignored);

/// A snapshots table whose columns were checked.
pub(crate) struct Snapshots {
    meta: ArrowReaderMetadata,
    /// The columns given to `signals` (known or not), and each one's key
    /// as JSON (`"arr": `).
    signal_at: Vec<usize>,
    keys: Vec<String>,
    account: usize,
    as_of: usize,
    over: [Option<usize>; 3],
}

impl Snapshots {
    /// Reads the footer and checks the columns: `account` and `as_of`, a
    /// column for every non-optional signal (every signal with
    /// `require_columns`), types that can hold the signals' types.
    pub(crate) fn open(
        schema: &Schema<'_>,
        input: &Input,
        require_columns: bool,
    ) -> Result<Snapshots, InputError> {
        let meta = metadata(&input.name, input.path())?;
        let arrow = meta.schema().clone();
        let (Some(account), Some(as_of)) = (index(&arrow, "account"), index(&arrow, "as_of"))
        else {
            let required = if index(&arrow, "account").is_none() {
                "account"
            } else {
                "as_of"
            };
            return Err(error(
                &input.name,
                format!(
                    "a snapshots table needs the column `{required}`{} (an events table has `type` and `at`); nothing was scored",
                    other_case(&arrow, required)
                ),
            ));
        };
        // the signal columns, as a CSV header would name them
        let names: Vec<&str> = arrow
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .filter(|n| !matches!(*n, "account" | "as_of") && !OVERRIDE.contains(n))
            .collect();
        let mut header = vec!["account", "as_of"];
        header.extend(&names);
        let columns = schema
            .csv_header(&header)
            .map_err(|m| error(&input.name, m))?;
        let mut wrong = Vec::new();
        let rules = schema.rules();
        for f in arrow.fields() {
            let t = f.data_type();
            match f.name().as_str() {
                "account" => account_type(schema, t, &mut wrong),
                n @ ("as_of" | "override_until") => {
                    if let Some(e) = mismatch(Type::Date, t) {
                        wrong.push(format!("column `{n}` is {}; expected {e}", sql_type(t)));
                    }
                }
                n @ ("override_status" | "override_reason") => {
                    if let Some(e) = mismatch(Type::Text, t) {
                        wrong.push(format!("column `{n}` is {}; expected {e}", sql_type(t)));
                    }
                }
                _ => {}
            }
        }
        for (name, column) in names.iter().zip(&columns) {
            if let Column::Signal(i) = column {
                let s = &rules.signals[i.index()];
                let t = arrow
                    .field_with_name(name)
                    .map(|f| f.data_type().clone())
                    .unwrap_or(DataType::Null);
                if let Some(expected) = mismatch(s.ty, &t) {
                    let signal = if *name == s.name {
                        String::new()
                    } else {
                        format!(" (signal `{}`)", s.name)
                    };
                    wrong.push(format!(
                        "column `{name}`{signal} is {}, which cannot hold {}; expected {expected}",
                        sql_type(&t),
                        rules.type_name(s.ty)
                    ));
                }
            }
        }
        types_error(input, wrong)?;
        crate::reader::missing_columns(schema, &columns, require_columns, "the Parquet file")
            .map_err(|m| {
                // an events table without its `at` is read as a snapshots
                // table (only `type` and `at` together make an events
                // table): say what it probably is
                if index(&arrow, "type").is_some() && index(&arrow, "at").is_none() {
                    error(
                        &input.name,
                        format!(
                            "{m} — it has a `type` column: if it is an events table, an events table needs the column `at` (with `type`, it is what tells the two tables apart)"
                        ),
                    )
                } else {
                    error(&input.name, m)
                }
            })?;
        let signal_at: Vec<usize> = names.iter().filter_map(|n| index(&arrow, n)).collect();
        let over = OVERRIDE.map(|n| index(&arrow, n));
        let keys = signal_at
            .iter()
            .map(|&c| format!("{}: ", json_string(arrow.field(c).name())))
            .collect();
        Ok(Snapshots {
            meta,
            signal_at,
            keys,
            account,
            as_of,
            over,
        })
    }

    /// Rows `range` of a batch (its columns, `plain`), the batch's first
    /// row being row `first` of the file (from 0), each with the events of
    /// its `(account, as_of)` given to `parse` as a JSON Lines record.
    fn rows(
        &self,
        columns: &[ArrayRef],
        range: std::ops::Range<usize>,
        first: usize,
        events: &EventTables,
        parse: &(dyn Fn(usize, String) -> Option<Parsed> + Sync),
    ) -> Vec<Parsed> {
        let mut out = Vec::with_capacity(range.len());
        for r in range {
            let row = first + r + 1;
            let (acc, date) = (
                cell(&columns[self.account], r),
                cell(&columns[self.as_of], r),
            );
            let mut json = String::with_capacity(256);
            json.push('{');
            let mut sep = "";
            if let Some(a) = &acc {
                let _ = write!(json, "\"account\": {a}");
                sep = ", ";
            }
            if let Some(d) = &date {
                let _ = write!(json, "{sep}\"as_of\": {d}");
                sep = ", ";
            }
            let _ = write!(json, "{sep}\"signals\": {{");
            let mut first_signal = true;
            for (&c, key) in self.signal_at.iter().zip(&self.keys) {
                if columns[c].is_null(r) {
                    continue;
                }
                if !first_signal {
                    json.push_str(", ");
                }
                first_signal = false;
                json.push_str(key);
                cell_to(&mut json, &columns[c], r);
            }
            json.push('}');
            let key = (acc.unwrap_or_default(), date.unwrap_or_default());
            let group = events.by_snapshot.get(&key).map(|&g| &events.groups[g]);
            if let Some(group) = group {
                group.used.store(true, Ordering::Relaxed);
                json.push_str(", \"events\": [");
                json.push_str(&group.json);
                json.push(']');
            }
            let values = self.over.map(|c| c.and_then(|c| cell(&columns[c], r)));
            if values.iter().any(Option::is_some) {
                json.push_str(", \"override\": {");
                let mut first_member = true;
                for (k, v) in ["status", "until", "reason"].iter().zip(&values) {
                    if let Some(v) = v {
                        if !first_member {
                            json.push_str(", ");
                        }
                        first_member = false;
                        let _ = write!(json, "\"{k}\": {v}");
                    }
                }
                json.push('}');
            }
            json.push('}');
            if let Some((result, ignored)) = parse(row, json) {
                let result = match (result, group) {
                    (Err(rej), Some(group)) => Err(with_event_row(rej, events, group)),
                    (r, _) => r,
                };
                out.push((result, ignored));
            }
        }
        out
    }

    /// Every row, its row groups decoded in parallel; in row order.
    pub(crate) fn read_all(
        &self,
        input: &Input,
        events: &EventTables,
        parse: &(dyn Fn(usize, String) -> Option<Parsed> + Sync),
    ) -> Result<Vec<Parsed>, InputError> {
        let starts = starts(&self.meta);
        let parts: Vec<Vec<Parsed>> = (0..starts.len())
            .into_par_iter()
            .map(|g| {
                let mut rows = Vec::new();
                let mut first = starts[g];
                for batch in row_group(input, &self.meta, g)? {
                    let n = batch.num_rows();
                    rows.extend(self.rows(&plain(&batch), 0..n, first, events, parse));
                    first += n;
                }
                Ok(rows)
            })
            .collect::<Result<_, InputError>>()?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The rows in order, in pieces of at least `BATCH_ROWS`: the batches
    /// are decoded one after another, their rows converted and parsed on
    /// every core.
    pub(crate) fn stream(self, input: &Input) -> Result<RowStream, InputError> {
        let file = std::fs::File::open(input.path()).map_err(|e| input.io(e))?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| error(&input.name, format!("it cannot be read ({e})")))?;
        Ok(RowStream {
            table: self,
            reader,
            next: 0,
            name: input.name.clone(),
        })
    }
}

/// A grouped snapshots table being streamed (see [`Snapshots::stream`]).
pub(crate) struct RowStream {
    table: Snapshots,
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    /// The next row (from 0).
    next: usize,
    name: Arc<str>,
}

impl RowStream {
    /// The next rows, at least `want` unless the file ends; `None` at its
    /// end.
    pub(crate) fn next_rows(
        &mut self,
        want: usize,
        events: &EventTables,
        parse: &(dyn Fn(usize, String) -> Option<Parsed> + Sync),
    ) -> Result<Option<Vec<Parsed>>, InputError> {
        let mut batches = Vec::new();
        let mut rows = 0;
        while rows < want {
            match self.reader.next() {
                None => break,
                Some(Err(e)) => {
                    return Err(error(&self.name, format!("it cannot be read ({e})")));
                }
                Some(Ok(b)) => {
                    rows += b.num_rows();
                    batches.push((self.next, plain(&b), b.num_rows()));
                    self.next += b.num_rows();
                }
            }
        }
        if batches.is_empty() {
            return Ok(None);
        }
        // pieces of 512 rows, on every core
        let pieces: Vec<(usize, usize, std::ops::Range<usize>)> = batches
            .iter()
            .enumerate()
            .flat_map(|(b, (_, _, n))| {
                (0..*n)
                    .step_by(512)
                    .map(move |s| (b, s, s..(s + 512).min(*n)))
            })
            .collect();
        let table = &self.table;
        let parsed: Vec<Vec<Parsed>> = pieces
            .into_par_iter()
            .map(|(b, _, range)| {
                let (first, columns, _) = &batches[b];
                table.rows(columns, range, *first, events, parse)
            })
            .collect();
        Ok(Some(parsed.into_iter().flatten().collect()))
    }
}

/// Are each account's rows consecutive? One pass over the `account`
/// column alone.
pub(crate) fn grouped(input: &Input) -> Result<bool, InputError> {
    let meta = metadata(&input.name, input.path())?;
    let Some(leaf) = meta
        .parquet_schema()
        .columns()
        .iter()
        .position(|c| c.path().parts() == ["account"])
    else {
        return Ok(false);
    };
    let mask = parquet::arrow::ProjectionMask::leaves(meta.parquet_schema(), [leaf]);
    let file = std::fs::File::open(input.path()).map_err(|e| input.io(e))?;
    let Ok(reader) = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta)
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
    else {
        return Ok(false);
    };
    let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Fnv>> =
        Default::default();
    let mut last = None;
    for batch in reader {
        // unreadable: read whole, where the error is reported
        let Ok(batch) = batch else {
            return Ok(false);
        };
        let columns = plain(&batch);
        let Some(account) = columns.first() else {
            return Ok(false);
        };
        for r in 0..batch.num_rows() {
            let Some(a) = cell(account, r) else {
                continue;
            };
            let mut h = Fnv::default();
            std::hash::Hasher::write(&mut h, a.as_bytes());
            let h = std::hash::Hasher::finish(&h);
            if last != Some(h) {
                if !seen.insert(h) {
                    return Ok(false);
                }
                last = Some(h);
            }
        }
    }
    Ok(true)
}

/// Where a record is, for people: `FILE:LINE`, or `FILE row N` for a row
/// of a Parquet file.
pub fn place(origin: &Origin) -> String {
    if origin.file.ends_with(".parquet") {
        format!("{} row {}", origin.file, origin.line)
    } else {
        origin.to_string()
    }
}

/// A rejection of a snapshots table's row for one of its events (`group`):
/// "event #N" in its reason also names the events table and row the event
/// came from.
fn with_event_row(mut rej: Rejection, events: &EventTables, group: &Group) -> Rejection {
    let renamed = (|| {
        let rest = rej.reason.strip_prefix("event #")?;
        let end = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: usize = rest[..end].parse().ok()?;
        let (file, row) = group.rows.get(n.checked_sub(1)?)?;
        let place = format!("{} row {row}", events.files.get(*file)?);
        let after = &rest[end..];
        // "event #2 (ticket) field …" → "event #2 (ticket, events.parquet row 7) field …"
        Some(
            match after.strip_prefix(" (").and_then(|a| a.split_once(')')) {
                Some((kind, tail)) => format!("event #{n} ({kind}, {place}){tail}"),
                None => format!("event #{n} ({place}){after}"),
            },
        )
    })();
    if let Some(r) = renamed {
        rej.reason = r;
    }
    rej
}

#[cfg(test)]
mod tests {
    use super::{day, decimal, float};

    #[test]
    fn floats_are_written_as_the_warehouse_shows_them() {
        assert_eq!(float(72.35, || 72.35f64.to_string()), "72.35");
        assert_eq!(float(-0.0, || (-0.0f64).to_string()), "0");
        assert_eq!(
            float(1e21, || 1e21f64.to_string()),
            "1000000000000000000000"
        );
        assert_eq!(float(f64::NAN, String::new), "\"NaN\"");
        assert_eq!(float(f64::INFINITY, String::new), "\"inf\"");
        // an f32 keeps its own shortest form
        assert_eq!(float(f64::from(0.1f32), || 0.1f32.to_string()), "0.1");
    }

    #[test]
    fn a_timestamp_is_a_date_only_at_midnight() {
        let d = 20_393 * 86_400; // 2025-11-01
        assert_eq!(day(d, 0), "\"2025-11-01\"");
        assert_eq!(day(d + 1, 0), "\"2025-11-01T00:00:01\"");
        assert_eq!(day(d, 500_000_000), "\"2025-11-01T00:00:00.500\"");
        assert_eq!(day(-86_400, 0), "\"1969-12-31\"");
    }

    #[test]
    fn cells_are_written_as_json() {
        use arrow_array::{ArrayRef, Date32Array, Decimal128Array, StringArray};
        use std::sync::Arc;
        let d: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(-725_000_000_000i128), None, Some(5)])
                .with_precision_and_scale(38, 10)
                .unwrap_or_else(|_| Decimal128Array::from(vec![0i128])),
        );
        assert_eq!(super::cell(&d, 0).as_deref(), Some("-72.5"));
        assert_eq!(super::cell(&d, 1), None);
        assert_eq!(super::cell(&d, 2).as_deref(), Some("0.0000000005"));
        let t: ArrayRef = Arc::new(StringArray::from(vec!["plain", "say \"hi\"\n"]));
        assert_eq!(super::cell(&t, 0).as_deref(), Some("\"plain\""));
        assert_eq!(super::cell(&t, 1).as_deref(), Some("\"say \\\"hi\\\"\\n\""));
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![0, 20_393, -1]));
        assert_eq!(super::cell(&dates, 0).as_deref(), Some("\"1970-01-01\""));
        assert_eq!(super::cell(&dates, 1).as_deref(), Some("\"2025-11-01\""));
        assert_eq!(super::cell(&dates, 2).as_deref(), Some("\"1969-12-31\""));
    }

    #[test]
    fn decimals_are_written_exactly() {
        assert_eq!(decimal("725000000000", 10), "72.5");
        assert_eq!(decimal("-5", 1), "-0.5");
        assert_eq!(decimal("0", 10), "0");
        assert_eq!(decimal("12345", 0), "12345");
        assert_eq!(decimal("12", -2), "1200");
        assert_eq!(decimal("1", 38), "0.00000000000000000000000000000000000001");
        assert_eq!(decimal("2500000000000000", 10), "250000");
    }
}
