//! Parquet input (docs/parquet.md), driven through the real binary: tables
//! written here with the arrow-rs writer as a warehouse writes them
//! (`DECIMAL(38,10)`, `DATE`, compressed, several row groups), scored as
//! the JSON Lines they were made from.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use support::{root, stderr, stdout, vital_in};

/// A column to write: its name, its SQL type as `vital compile --layout`
/// gives it, and one JSON value per row (`None`: NULL).
struct Col {
    name: String,
    ty: String,
    values: Vec<Option<Value>>,
}

impl Col {
    fn new(name: &str, ty: &str, values: Vec<Option<Value>>) -> Col {
        Col {
            name: name.into(),
            ty: ty.into(),
            values,
        }
    }
}

fn days(date: &str) -> i32 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    i32::try_from((d - epoch).num_days()).unwrap()
}

/// A JSON number as the unscaled integer of a DECIMAL(_, scale), exactly.
fn unscaled(v: &Value, scale: u32) -> i128 {
    let text = v.to_string();
    let mut d = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .unwrap();
    d.rescale(scale);
    assert_eq!(d.scale(), scale, "{text} does not fit DECIMAL(38,{scale})");
    d.mantissa()
}

/// The Arrow array of a column of SQL type `ty`.
fn array(c: &Col) -> (DataType, ArrayRef) {
    let ty = c.ty.as_str();
    if let Some(rest) = ty.strip_prefix("DECIMAL(") {
        let (p, s) = rest.trim_end_matches(')').split_once(',').unwrap();
        let (p, s): (u8, i8) = (p.parse().unwrap(), s.parse().unwrap());
        let mut b = Decimal128Builder::new();
        for v in &c.values {
            b.append_option(v.as_ref().map(|v| unscaled(v, s as u32)));
        }
        let a = b.finish().with_precision_and_scale(p, s).unwrap();
        return (DataType::Decimal128(p, s), Arc::new(a));
    }
    match ty {
        "VARCHAR" => {
            let mut b = StringBuilder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| v.as_str().unwrap().to_string()));
            }
            (DataType::Utf8, Arc::new(b.finish()))
        }
        "BIGINT" => {
            let mut b = Int64Builder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| v.as_f64().unwrap() as i64));
            }
            (DataType::Int64, Arc::new(b.finish()))
        }
        "INTEGER" => {
            let mut b = Int32Builder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| v.as_i64().unwrap() as i32));
            }
            (DataType::Int32, Arc::new(b.finish()))
        }
        "DOUBLE" => {
            let mut b = Float64Builder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| v.as_f64().unwrap()));
            }
            (DataType::Float64, Arc::new(b.finish()))
        }
        "DATE" => {
            let mut b = Date32Builder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| days(v.as_str().unwrap())));
            }
            (DataType::Date32, Arc::new(b.finish()))
        }
        "TIMESTAMP" => {
            // "YYYY-MM-DD HH:MM:SS"
            let mut b = TimestampMicrosecondBuilder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| {
                    let t = chrono::NaiveDateTime::parse_from_str(
                        v.as_str().unwrap(),
                        "%Y-%m-%d %H:%M:%S",
                    )
                    .unwrap();
                    t.and_utc().timestamp_micros()
                }));
            }
            (
                DataType::Timestamp(TimeUnit::Microsecond, None),
                Arc::new(b.finish()),
            )
        }
        "BOOLEAN" => {
            let mut b = BooleanBuilder::new();
            for v in &c.values {
                b.append_option(v.as_ref().map(|v| v.as_bool().unwrap()));
            }
            (DataType::Boolean, Arc::new(b.finish()))
        }
        other => panic!("no Arrow type for {other}"),
    }
}

/// Writes a Parquet file of these columns in row groups of at most
/// `group` rows, in batches of 5 rows.
fn write(path: &Path, cols: &[Col], group: usize, compression: Compression) {
    let arrays: Vec<(DataType, ArrayRef)> = cols.iter().map(array).collect();
    let schema = Arc::new(Schema::new(
        cols.iter()
            .zip(&arrays)
            .map(|(c, (t, _))| Field::new(&c.name, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), arrays.into_iter().map(|(_, a)| a).collect()).unwrap();
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_size(group)
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    let mut at = 0;
    while at < batch.num_rows() {
        let n = 5.min(batch.num_rows() - at);
        w.write(&batch.slice(at, n)).unwrap();
        at += n;
    }
    w.close().unwrap();
}

/// `vital compile --layout` of a project: (table, column, type) lines.
fn layout(dir: &Path) -> Vec<(String, String, String)> {
    let o = vital_in(dir, &["compile", "--target", "duckdb", "--layout"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let mut p = l.splitn(3, ',');
            let mut next = || p.next().unwrap().to_string();
            (next(), next(), next())
        })
        .collect()
}

/// The snapshots and events tables of JSON Lines records, in the layout
/// of docs/sql.md; written to `out` as `snapshots.parquet` (snappy) and
/// `events.parquet` (zstd), in row groups of 7 and 11 rows.
fn tables(
    records: &[Value],
    layout: &[(String, String, String)],
    out: &Path,
) -> (PathBuf, PathBuf) {
    let mut snapshots = Vec::new();
    let mut events = Vec::new();
    for (table, name, ty) in layout {
        let col = Col::new(name, ty, Vec::new());
        match table.as_str() {
            "snapshots" => snapshots.push(col),
            "events" => events.push(col),
            other => panic!("table {other}"),
        }
    }
    let present = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    for r in records {
        for c in &mut snapshots {
            let v = match c.name.as_str() {
                "account" | "as_of" => r.get(&c.name),
                n => match n.strip_prefix("override_") {
                    Some(k) => r.get("override").and_then(|o| o.get(k)),
                    None => r["signals"].get(n),
                },
            };
            c.values.push(present(v));
        }
        let list = r
            .get("events")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for e in &list {
            let kind = e["type"].as_str().unwrap();
            for c in &mut events {
                let v = match c.name.as_str() {
                    "account" | "as_of" => r.get(&c.name),
                    n => match n.split_once('.') {
                        Some((ev, f)) if ev == kind => e.get(f),
                        Some(_) => None,
                        None => e.get(n),
                    },
                };
                c.values.push(present(v));
            }
        }
    }
    let s = out.join("snapshots.parquet");
    let e = out.join("events.parquet");
    write(&s, &snapshots, 7, Compression::SNAPPY);
    write(
        &e,
        &events,
        11,
        Compression::ZSTD(ZstdLevel::try_new(3).unwrap()),
    );
    (s, e)
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_bundled_example_scores_the_same_from_parquet_as_from_json_lines() {
    let mut compared = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let jsonl = dir.join("snapshots.jsonl");
        if !jsonl.is_file() || !dir.join("vital.toml").is_file() {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        let recs = records(&jsonl);
        let (s, e) = tables(&recs, &layout(&dir), tmp.path());
        for pick in [&["--all"][..], &[][..]] {
            let mut a = vec!["run", "--format", "jsonl"];
            a.extend(pick);
            let mut from_jsonl = a.clone();
            from_jsonl.push("snapshots.jsonl");
            let mut from_parquet = a.clone();
            from_parquet.extend([arg(&s), arg(&e)]);
            let want = vital_in(&dir, &from_jsonl);
            let got = vital_in(&dir, &from_parquet);
            assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
            assert_eq!(
                got.status.code(),
                want.status.code(),
                "{}: {}",
                dir.display(),
                stderr(&got)
            );
            assert!(!want.stdout.is_empty());
            // byte for byte, in the same order
            assert!(
                got.stdout == want.stdout,
                "{} {pick:?}: results differ from the JSON Lines run",
                dir.display()
            );
            assert_eq!(stderr(&got), stderr(&want), "{}", dir.display());
        }
        // the events file may come first
        let o = vital_in(&dir, &["run", "--format", "jsonl", arg(&e), arg(&s)]);
        let want = vital_in(&dir, &["run", "--format", "jsonl", "snapshots.jsonl"]);
        assert_eq!(o.stdout, want.stdout, "{}", stderr(&o));
        // and it is read: without it, the events are not there
        let has_events = recs.iter().any(|r| {
            r.get("events")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
        });
        if has_events {
            let o = vital_in(&dir, &["run", "--format", "jsonl", "--all", arg(&s)]);
            let want = vital_in(
                &dir,
                &["run", "--format", "jsonl", "--all", "snapshots.jsonl"],
            );
            assert_ne!(
                o.stdout,
                want.stdout,
                "{}: the events change nothing",
                dir.display()
            );
        }
        compared += 1;
    }
    assert!(compared >= 3, "only {compared} examples compared");
}

#[test]
fn accounts_in_any_order_and_in_several_files_are_read_whole_with_the_same_results() {
    // a night after another: no account's rows are together, so the table
    // is read whole (the examples above are streamed)
    let dir = root().join("examples/support-health");
    let tmp = tempfile::tempdir().unwrap();
    let mut recs = records(&dir.join("snapshots.jsonl"));
    recs.sort_by(|a, b| a["as_of"].as_str().cmp(&b["as_of"].as_str()));
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let jsonl = tmp.path().join("by-night.jsonl");
    std::fs::write(&jsonl, text).unwrap();
    let layout = layout(&dir);
    let (s, e) = tables(&recs, &layout, tmp.path());
    let want = vital_in(&dir, &["run", "--format", "jsonl", "--all", arg(&jsonl)]);
    let got = vital_in(
        &dir,
        &["run", "--format", "jsonl", "--all", arg(&s), arg(&e)],
    );
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert!(got.stdout == want.stdout, "results differ");
    // the same nights in two snapshots tables and two events tables
    let half = recs.len() / 2;
    let (d1, d2) = (tmp.path().join("1"), tmp.path().join("2"));
    std::fs::create_dir_all(&d1).unwrap();
    std::fs::create_dir_all(&d2).unwrap();
    let (s1, e1) = tables(&recs[..half], &layout, &d1);
    let (s2, e2) = tables(&recs[half..], &layout, &d2);
    let got = vital_in(
        &dir,
        &[
            "run",
            "--format",
            "jsonl",
            "--all",
            arg(&s1),
            arg(&e2),
            arg(&s2),
            arg(&e1),
        ],
    );
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert!(got.stdout == want.stdout, "results differ");
}

#[test]
fn explain_reads_parquet_too() {
    let dir = root().join("examples/support-health");
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(&dir.join("snapshots.jsonl"));
    let (s, e) = tables(&recs, &layout(&dir), tmp.path());
    let account = recs[0]["account"].as_str().unwrap();
    let want = vital_in(&dir, &["explain", "--account", account, "snapshots.jsonl"]);
    let got = vital_in(&dir, &["explain", "--account", account, arg(&s), arg(&e)]);
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert!(stdout(&got).contains(account));
    assert_eq!(stdout(&got), stdout(&want));
}

#[test]
fn summary_and_the_history_store_take_parquet_as_json_lines() {
    let dir = root().join("examples/support-health");
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(&dir.join("snapshots.jsonl"));
    let (s, e) = tables(&recs, &layout(&dir), tmp.path());
    let jsonl = dir.join("snapshots.jsonl");
    let want = vital_in(&dir, &["summary", "--format", "json", arg(&jsonl)]);
    let got = vital_in(&dir, &["summary", "--format", "json", arg(&s), arg(&e)]);
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert_eq!(stdout(&got), stdout(&want));
    // recorded night by night into a store, then listed from it
    let (h1, h2) = (tmp.path().join("h1.db"), tmp.path().join("h2.db"));
    let want = vital_in(
        &dir,
        &[
            "run",
            "--format",
            "jsonl",
            "--all",
            "--history",
            arg(&h1),
            arg(&jsonl),
        ],
    );
    let got = vital_in(
        &dir,
        &[
            "run",
            "--format",
            "jsonl",
            "--all",
            "--history",
            arg(&h2),
            arg(&s),
            arg(&e),
        ],
    );
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert_eq!(stdout(&got), stdout(&want));
    let account = recs[0]["account"].as_str().unwrap();
    let list = |h: &Path| {
        let o = vital_in(
            &dir,
            &["history", "--history", arg(h), "--format", "jsonl", account],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    assert!(list(&h1).contains(account));
    assert_eq!(list(&h2), list(&h1));
}

/// A small rule set for the bad-input tests.
const RULES: &str = r#"
signal arr: money
signal seats: int
signal tier: enum(enterprise, smb)
signal usage: percent?
signal renewal: date?
signal referenceable: bool?
event ticket { severity: enum(low, high) }

score value weight 1 = band arr {
  >= 100000 => 90
  otherwise => 40
}
score support weight 1 = 100 - 10 * count(ticket within 30 days)

status {
  good when health >= 60
  bad otherwise
}
"#;

fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("rules.vital"), RULES).unwrap();
    tmp
}

fn j(v: Value) -> Option<Value> {
    (!v.is_null()).then_some(v)
}

/// Three good accounts a, b, c as snapshot columns (DECIMAL arr, BIGINT
/// seats, VARCHAR tier, DATE as_of).
fn good_snapshots() -> Vec<Col> {
    use serde_json::json;
    vec![
        Col::new(
            "account",
            "VARCHAR",
            vec![j(json!("a")), j(json!("b")), j(json!("c"))],
        ),
        Col::new("as_of", "DATE", vec![j(json!("2026-11-01")); 3]),
        Col::new(
            "arr",
            "DECIMAL(38,10)",
            vec![j(json!(250000.5)), j(json!(90000)), j(json!(120000))],
        ),
        Col::new(
            "seats",
            "BIGINT",
            vec![j(json!(10)), j(json!(3)), j(json!(7))],
        ),
        Col::new(
            "tier",
            "VARCHAR",
            vec![j(json!("enterprise")), j(json!("smb")), j(json!("smb"))],
        ),
    ]
}

fn run(dir: &Path, files: &[&str]) -> std::process::Output {
    let mut a = vec![
        "run",
        "--format",
        "jsonl",
        "--all",
        "--rules",
        "rules.vital",
    ];
    a.extend(files);
    vital_in(dir, &a)
}

#[test]
fn a_row_outside_the_schema_is_rejected_naming_file_and_row() {
    use serde_json::json;
    let p = project();
    let mut cols = good_snapshots();
    cols[4].values[1] = j(json!("gold")); // b: tier outside its variants
    cols[2].values[2] = None; // c: a non-optional signal null
    write(&p.path().join("s.parquet"), &cols, 2, Compression::SNAPPY);
    let o = run(p.path(), &["s.parquet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "s.parquet row 2: account b: signal `tier`: expected one of (enterprise, smb), found \"gold\""
        ),
        "{err}"
    );
    assert!(
        err.contains("s.parquet row 3: account c: signal `arr` is missing"),
        "{err}"
    );
    assert!(err.contains("2 of 3 records were rejected"), "{err}");
    // the good row is scored
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"account\": \"a\""), "{out}");

    // --rejects: the row, its number and the record it stands for
    let o = vital_in(
        p.path(),
        &[
            "run",
            "--format",
            "jsonl",
            "--rules",
            "rules.vital",
            "--rejects",
            "rej.jsonl",
            "s.parquet",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let rej = records(&p.path().join("rej.jsonl"));
    assert_eq!(rej.len(), 2);
    assert_eq!(rej[0]["file"], "s.parquet");
    assert_eq!(rej[0]["line"], 2);
    assert_eq!(rej[0]["field"], "tier");
    assert!(rej[0]["record"]
        .as_str()
        .unwrap()
        .contains("\"tier\": \"gold\""));
}

#[test]
fn a_missing_column_is_one_error_naming_the_file() {
    let p = project();
    let mut cols = good_snapshots();
    cols.remove(3); // seats
    cols[2].name = "ARR".into(); // arr renamed
    write(&p.path().join("s.parquet"), &cols, 2, Compression::SNAPPY);
    let o = run(p.path(), &["s.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("s.parquet: the Parquet file has no column for signals `arr` (did you mean the column \"ARR\"?), `seats`, which are not optional; nothing was scored"),
        "{err}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_column_of_the_wrong_type_is_one_error_naming_column_and_types() {
    use serde_json::json;
    let p = project();
    let mut cols = good_snapshots();
    cols[2] = Col::new(
        "arr",
        "VARCHAR",
        vec![j(json!("1")), j(json!("2")), j(json!("3"))],
    );
    cols[1] = Col::new("as_of", "BIGINT", vec![j(json!(1)); 3]);
    write(&p.path().join("s.parquet"), &cols, 2, Compression::SNAPPY);
    let o = run(p.path(), &["s.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: s.parquet: "), "{err}");
    assert!(
        err.contains("column `arr` is VARCHAR, which cannot hold money; expected DECIMAL(38,10)"),
        "{err}"
    );
    assert!(
        err.contains("column `as_of` is BIGINT; expected DATE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_file_that_is_not_parquet_is_refused() {
    let p = project();
    std::fs::write(p.path().join("s.parquet"), "account,as_of\na,2026-11-01\n").unwrap();
    let o = run(p.path(), &["s.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).trim_end(),
        "error: s.parquet: not a Parquet file (it does not start and end with `PAR1`); name it .jsonl, .json or .csv if it is one of those"
    );
    // cut short: the footer is gone
    let cols = good_snapshots();
    write(&p.path().join("t.parquet"), &cols, 2, Compression::SNAPPY);
    let bytes = std::fs::read(p.path().join("t.parquet")).unwrap();
    let mut cut = bytes[..bytes.len() - 40].to_vec();
    cut.extend_from_slice(b"PAR1");
    std::fs::write(p.path().join("t.parquet"), cut).unwrap();
    let o = run(p.path(), &["t.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: t.parquet: "),
        "{}",
        stderr(&o)
    );
    // cut short, its tail gone: not "not a Parquet file, rename it"
    let bytes = std::fs::read(p.path().join("t.parquet")).unwrap();
    std::fs::write(p.path().join("u.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    let o = run(p.path(), &["u.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).trim_end(),
        "error: u.parquet: the Parquet file is cut short: it starts as Parquet but does not end with `PAR1` (a copy or an export that did not finish?)"
    );
    // a codec this build does not read is named (DuckDB wrote it with gzip)
    std::fs::copy(
        root().join("tests/parquet/gzip.parquet"),
        p.path().join("g.parquet"),
    )
    .unwrap();
    let o = run(p.path(), &["g.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "error: g.parquet: row group 0 is compressed with gzip, which vital does not read: export with snappy or zstd compression"
        ),
        "{}",
        stderr(&o)
    );
    // a warehouse that writes names in capitals
    let upper: Vec<Col> = good_snapshots()
        .into_iter()
        .map(|mut c| {
            c.name = c.name.to_uppercase();
            c
        })
        .collect();
    write(&p.path().join("up.parquet"), &upper, 2, Compression::SNAPPY);
    let o = run(p.path(), &["up.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "a snapshots table needs the column `account` (did you mean the column \"ACCOUNT\"? column names are read as written: name it `account` in the export)"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn events_are_joined_to_their_snapshot_and_checked() {
    use serde_json::json;
    let p = project();
    write(
        &p.path().join("s.parquet"),
        &good_snapshots(),
        2,
        Compression::SNAPPY,
    );
    let ev = |rows: &[(&str, &str, &str, &str)]| {
        vec![
            Col::new(
                "account",
                "VARCHAR",
                rows.iter().map(|r| j(json!(r.0))).collect(),
            ),
            Col::new("as_of", "DATE", vec![j(json!("2026-11-01")); rows.len()]),
            Col::new(
                "type",
                "VARCHAR",
                rows.iter().map(|r| j(json!(r.1))).collect(),
            ),
            Col::new("at", "DATE", rows.iter().map(|r| j(json!(r.2))).collect()),
            Col::new(
                "severity",
                "VARCHAR",
                rows.iter().map(|r| j(json!(r.3))).collect(),
            ),
        ]
    };
    write(
        &p.path().join("e.parquet"),
        &ev(&[
            ("a", "ticket", "2026-10-20", "high"),
            ("a", "ticket", "2026-10-21", "low"),
            ("b", "ticket", "2026-10-20", "urgent"),
            ("zz", "ticket", "2026-10-20", "low"),
        ]),
        3,
        Compression::SNAPPY,
    );
    let o = run(p.path(), &["s.parquet", "e.parquet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("s.parquet row 2: account b: event #1 (ticket, e.parquet row 3) field `severity`: expected one of (low, high), found \"urgent\""),
        "{err}"
    );
    assert!(
        err.contains(
            "warning: e.parquet: 1 event ignored: no snapshot row has its `account` and `as_of`"
        ),
        "{err}"
    );
    // a's two tickets count: support 80
    let out: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out[0]["account"], "a");
    assert_eq!(out[0]["scores"]["support"], 80.0);
    assert_eq!(out[1]["account"], "c");
    assert_eq!(out[1]["scores"]["support"], 100.0);

    // an events table alone is refused
    let o = run(p.path(), &["e.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("e.parquet: an events table (it has the columns `type` and `at`) is read with the snapshots table it belongs to"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn other_column_types_convert_exactly_as_the_json_they_stand_for() {
    use serde_json::json;
    let p = project();
    // DOUBLE and INTEGER for money, DECIMAL(10,2) for int, a TIMESTAMP at
    // midnight for as_of; booleans, dates, an optional percent
    let cols = vec![
        Col::new(
            "account",
            "VARCHAR",
            vec![j(json!("a")), j(json!("b")), j(json!("c")), j(json!("d"))],
        ),
        Col::new(
            "as_of",
            "TIMESTAMP",
            vec![
                j(json!("2026-11-01 00:00:00")),
                j(json!("2026-11-01 00:00:00")),
                j(json!("2026-11-01 13:30:00")),
                j(json!("2026-11-01 00:00:00")),
            ],
        ),
        Col::new(
            "arr",
            "DOUBLE",
            vec![
                j(json!(100000.1)),
                j(json!(99999.99)),
                j(json!(5)),
                j(json!(5)),
            ],
        ),
        Col::new(
            "seats",
            "DECIMAL(10,2)",
            vec![j(json!(10)), j(json!(3.0)), j(json!(1)), j(json!(2.5))],
        ),
        Col::new("tier", "VARCHAR", vec![j(json!("smb")); 4]),
        Col::new("usage", "INTEGER", vec![j(json!(72)), None, None, None]),
        Col::new(
            "renewal",
            "DATE",
            vec![j(json!("2027-01-15")), None, None, None],
        ),
        Col::new(
            "referenceable",
            "BOOLEAN",
            vec![j(json!(true)), j(json!(false)), None, None],
        ),
    ];
    write(&p.path().join("s.parquet"), &cols, 3, Compression::SNAPPY);
    let jsonl = r#"{"account": "a", "as_of": "2026-11-01", "signals": {"arr": 100000.1, "seats": 10, "tier": "smb", "usage": 72, "renewal": "2027-01-15", "referenceable": true}}
{"account": "b", "as_of": "2026-11-01", "signals": {"arr": 99999.99, "seats": 3.0, "tier": "smb", "referenceable": false}}
"#;
    std::fs::write(p.path().join("s.jsonl"), jsonl).unwrap();
    let want = run(p.path(), &["s.jsonl"]);
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    let got = run(p.path(), &["s.parquet"]);
    assert_eq!(got.status.code(), Some(1));
    assert_eq!(stdout(&got), stdout(&want));
    let err = stderr(&got);
    assert!(
        err.contains("s.parquet row 3: account c: `as_of`: expected a date (\"YYYY-MM-DD\"), found \"2026-11-01T13:30:00\""),
        "{err}"
    );
    assert!(
        err.contains(
            "s.parquet row 4: account d: signal `seats`: expected int (a whole number), found 2.5"
        ),
        "{err}"
    );
}

#[test]
fn a_percent_exported_as_a_fraction_is_warned_about_as_in_json_lines() {
    use serde_json::json;
    let p = project();
    let n = 40;
    let accounts: Vec<Option<Value>> = (0..n).map(|i| j(json!(format!("acc{i}")))).collect();
    let cols = vec![
        Col::new("account", "VARCHAR", accounts.clone()),
        Col::new("as_of", "DATE", vec![j(json!("2026-11-01")); n]),
        Col::new("arr", "DECIMAL(38,10)", vec![j(json!(1000)); n]),
        Col::new("seats", "BIGINT", vec![j(json!(1)); n]),
        Col::new("tier", "VARCHAR", vec![j(json!("smb")); n]),
        Col::new(
            "usage",
            "DECIMAL(38,10)",
            (0..n)
                .map(|i| j(serde_json::from_str(&format!("0.{}5", i % 10)).unwrap()))
                .collect(),
        ),
    ];
    write(&p.path().join("s.parquet"), &cols, 16, Compression::SNAPPY);
    let mut jsonl = String::new();
    for i in 0..n {
        jsonl.push_str(&format!(
            "{{\"account\": \"acc{i}\", \"as_of\": \"2026-11-01\", \"signals\": {{\"arr\": 1000, \"seats\": 1, \"tier\": \"smb\", \"usage\": 0.{}5}}}}\n",
            i % 10
        ));
    }
    std::fs::write(p.path().join("s.jsonl"), jsonl).unwrap();
    let want = run(p.path(), &["s.jsonl"]);
    let got = run(p.path(), &["s.parquet"]);
    assert_eq!(got.status.code(), want.status.code());
    assert_eq!(stdout(&got), stdout(&want));
    let warn = |o: &std::process::Output| -> Vec<String> {
        stderr(o)
            .lines()
            .filter(|l| l.contains("usage"))
            .map(|l| {
                l.split_once(": ")
                    .unwrap()
                    .1
                    .split_once(": ")
                    .unwrap()
                    .1
                    .to_string()
            })
            .collect()
    };
    assert!(!warn(&want).is_empty(), "{}", stderr(&want));
    assert_eq!(warn(&got), warn(&want));
    // with an events table beside it, the warning names the snapshots
    // table only (the signals are there), once
    let ev = vec![
        Col::new("account", "VARCHAR", vec![j(json!("acc1"))]),
        Col::new("as_of", "DATE", vec![j(json!("2026-11-01"))]),
        Col::new("type", "VARCHAR", vec![j(json!("ticket"))]),
        Col::new("at", "DATE", vec![j(json!("2026-10-01"))]),
        Col::new("severity", "VARCHAR", vec![j(json!("low"))]),
    ];
    write(&p.path().join("e.parquet"), &ev, 2, Compression::SNAPPY);
    let both = run(p.path(), &["s.parquet", "e.parquet"]);
    let err = stderr(&both);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("percent signal `usage`"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", stderr(&both));
    assert!(
        lines[0].starts_with("warning: s.parquet: every value"),
        "{}",
        lines[0]
    );
}

#[test]
fn overrides_are_read_from_their_three_columns() {
    use serde_json::json;
    let p = project();
    let mut cols = good_snapshots();
    cols.push(Col::new(
        "override_status",
        "VARCHAR",
        vec![j(json!("good")), j(json!("great")), None],
    ));
    cols.push(Col::new(
        "override_until",
        "DATE",
        vec![j(json!("2026-12-31")), None, j(json!("2026-12-31"))],
    ));
    cols.push(Col::new(
        "override_reason",
        "VARCHAR",
        vec![j(json!("renewal")), None, None],
    ));
    write(&p.path().join("s.parquet"), &cols, 2, Compression::SNAPPY);
    let o = run(p.path(), &["s.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("s.parquet row 2: account b: `override.status`: \"great\" is not a status of the rules (expected one of good, bad)"),
        "{err}"
    );
    assert!(
        err.contains("s.parquet row 3: account c: `override.status` is missing"),
        "{err}"
    );
    let jsonl = r#"{"account": "a", "as_of": "2026-11-01", "signals": {"arr": 250000.5, "seats": 10, "tier": "enterprise"}, "override": {"status": "good", "until": "2026-12-31", "reason": "renewal"}}
"#;
    std::fs::write(p.path().join("s.jsonl"), jsonl).unwrap();
    let want = run(p.path(), &["s.jsonl"]);
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert!(stdout(&want).contains("renewal"));
    assert_eq!(stdout(&o), stdout(&want));
}

#[test]
fn require_columns_asks_every_signal_of_a_parquet_file() {
    let p = project();
    std::fs::write(
        p.path().join("vital.toml"),
        "[project]\nname = \"t\"\n\n[rulesets.main]\npath = \"rules.vital\"\n\n[rulesets.main.gates]\nrequire_columns = true\n",
    )
    .unwrap();
    write(
        &p.path().join("s.parquet"),
        &good_snapshots(),
        2,
        Compression::SNAPPY,
    );
    let o = vital_in(p.path(), &["run", "--format", "jsonl", "s.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("s.parquet: the Parquet file has no column for signals `usage`, `renewal`, `referenceable`, which `require_columns` requires"),
        "{err}"
    );
}

#[test]
fn an_events_table_is_checked_as_a_snapshots_table_is() {
    use serde_json::json;
    let p = project();
    write(
        &p.path().join("s.parquet"),
        &good_snapshots(),
        2,
        Compression::SNAPPY,
    );
    let cols = vec![
        Col::new("account", "VARCHAR", vec![j(json!("a"))]),
        Col::new("as_of", "DATE", vec![j(json!("2026-11-01"))]),
        Col::new("type", "VARCHAR", vec![j(json!("ticket"))]),
        Col::new("at", "VARCHAR", vec![j(json!("2026-10-01"))]),
        Col::new("severity", "BIGINT", vec![j(json!(1))]),
    ];
    write(&p.path().join("e.parquet"), &cols, 2, Compression::SNAPPY);
    let o = run(p.path(), &["s.parquet", "e.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error: e.parquet: column `at` (a date) is VARCHAR; expected DATE (or a TIMESTAMP at midnight); column `severity` (an event field) is BIGINT; expected VARCHAR; nothing was scored"),
        "{err}"
    );
    assert_eq!(stdout(&o), "");
}

/// An events table without its `at` column reads as a snapshots table
/// (only `type` and `at` together make an events table); the error says
/// what it probably is.
#[test]
fn an_events_table_without_at_is_named_as_such() {
    use serde_json::json;
    let p = project();
    write(
        &p.path().join("s.parquet"),
        &good_snapshots(),
        2,
        Compression::SNAPPY,
    );
    let cols = vec![
        Col::new("account", "VARCHAR", vec![j(json!("a"))]),
        Col::new("as_of", "DATE", vec![j(json!("2026-11-01"))]),
        Col::new("type", "VARCHAR", vec![j(json!("ticket"))]),
        Col::new("severity", "VARCHAR", vec![j(json!("high"))]),
    ];
    write(
        &p.path().join("noat.parquet"),
        &cols,
        2,
        Compression::SNAPPY,
    );
    let o = run(p.path(), &["s.parquet", "noat.parquet"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("it has a `type` column: if it is an events table, an events table needs the column `at`"),
        "{err}"
    );
}

#[test]
fn an_empty_table_is_read_as_an_empty_file() {
    let p = project();
    let mut cols = good_snapshots();
    for c in &mut cols {
        c.values.clear();
    }
    write(&p.path().join("s.parquet"), &cols, 2, Compression::SNAPPY);
    std::fs::write(p.path().join("s.jsonl"), "").unwrap();
    let got = run(p.path(), &["s.parquet"]);
    let want = run(p.path(), &["s.jsonl"]);
    assert_eq!(got.status.code(), want.status.code());
    assert_eq!(stdout(&got), "");
    assert_eq!(
        stderr(&got).replace("s.parquet", "FILE"),
        stderr(&want).replace("s.jsonl", "FILE")
    );
    assert!(
        stderr(&got).contains("nothing was scored"),
        "{}",
        stderr(&got)
    );
}
