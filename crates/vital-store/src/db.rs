//! The two backends behind one enum: SQLite (`rusqlite`, bundled) and
//! PostgreSQL (`postgres`, synchronous). Statements are written once, with
//! `$1`-style placeholders and SQL both engines accept; only the table
//! definitions differ (`schema.rs`). Values cross as [`Param`].

use crate::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// `DATE` in PostgreSQL, its Julian day number (an integer) in SQLite.
    Date(NaiveDate),
    /// `JSONB` in PostgreSQL, JSON text in SQLite.
    Json(String),
    /// `TIMESTAMPTZ` in PostgreSQL, RFC 3339 text in SQLite.
    Time(DateTime<Utc>),
}

impl Param {
    pub fn int(&self) -> Option<i64> {
        match self {
            Param::Int(i) => Some(*i),
            Param::Real(f) => Some(*f as i64),
            Param::Text(t) => t.parse().ok(),
            _ => None,
        }
    }

    pub fn real(&self) -> Option<f64> {
        match self {
            Param::Real(f) => Some(*f),
            Param::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// Text, JSON or a date/time as text.
    pub fn text(&self) -> Option<String> {
        match self {
            Param::Text(t) | Param::Json(t) => Some(t.clone()),
            Param::Date(d) => Some(ymd(*d)),
            Param::Time(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            Param::Int(i) => Some(i.to_string()),
            Param::Real(f) => Some(f.to_string()),
            Param::Null => None,
        }
    }

    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Param::Date(d) => Some(*d),
            Param::Int(j) => from_julian_day(*j),
            Param::Text(t) => {
                parse_ymd(t).or_else(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            }
            _ => None,
        }
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Param::Time(t) => Some(*t),
            Param::Text(t) => DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            _ => None,
        }
    }
}

/// Julian day numbers of dates: the day count from 1 January 4713 BC
/// (proleptic Julian calendar), so 0001-01-01 is 1721426. SQLite's
/// `date(n)` and `julianday(text) + 0.5` convert them.
const JULIAN_CE: i64 = 1_721_425;

/// A date's Julian day number: how SQLite stores dates (docs/history.md).
pub fn julian_day(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(d.num_days_from_ce()) + JULIAN_CE
}

/// The date of a Julian day number.
pub fn from_julian_day(j: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(j - JULIAN_CE).ok()?)
}

/// `YYYY-MM-DD` read without a format string (the common case).
fn parse_ymd(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// `YYYY-MM-DD` (as `%Y-%m-%d`, without parsing a format each time).
pub fn ymd(d: NaiveDate) -> String {
    use chrono::Datelike;
    let y = d.year();
    if (0..=9999).contains(&y) {
        format!("{y:04}-{:02}-{:02}", d.month(), d.day())
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

pub type Row = Vec<Param>;

/// Which engine a store lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Pg>),
}

pub struct Pg {
    pub client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl Pg {
    pub fn new(client: postgres::Client) -> Pg {
        Pg {
            client,
            statements: HashMap::new(),
        }
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// `$1` → `?1`: SQLite numbers `$NAME` parameters by first appearance, so
/// `?N` keeps the numbering of the text.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('$') {
        std::borrow::Cow::Owned(sql.replace('$', "?"))
    } else {
        std::borrow::Cow::Borrowed(sql)
    }
}

impl rusqlite::types::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(match self {
            Param::Null => ToSqlOutput::Owned(Value::Null),
            Param::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            Param::Real(f) => ToSqlOutput::Owned(Value::Real(*f)),
            Param::Text(t) | Param::Json(t) => ToSqlOutput::Borrowed(t.as_str().into()),
            Param::Date(d) => ToSqlOutput::Owned(Value::Integer(julian_day(*d))),
            Param::Time(t) => ToSqlOutput::Owned(Value::Text(
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )),
        })
    }
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Param {
    use rusqlite::types::ValueRef as V;
    match v {
        V::Null => Param::Null,
        V::Integer(i) => Param::Int(i),
        V::Real(f) => Param::Real(f),
        V::Text(t) | V::Blob(t) => Param::Text(match std::str::from_utf8(t) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        }),
    }
}

#[derive(Debug)]
struct PgParam<'a>(&'a Param);

impl postgres::types::ToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(i) => match *ty {
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Param::Real(f) => f.to_sql(ty, out),
            // JSONB's binary form is a version byte (1) and the text, so
            // numbers keep the decimal they are written as.
            Param::Text(t) | Param::Json(t) => match *ty {
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(t.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSON => {
                    out.extend_from_slice(t.as_bytes());
                    Ok(IsNull::No)
                }
                _ => t.as_str().to_sql(ty, out),
            },
            Param::Date(d) => match *ty {
                Type::DATE => d.to_sql(ty, out),
                _ => d.format("%Y-%m-%d").to_string().as_str().to_sql(ty, out),
            },
            Param::Time(t) => t.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// JSON(B) read as its text, exactly as the server prints it.
struct RawJson(String);

impl<'a> postgres::types::FromSql<'a> for RawJson {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let body = if *ty == postgres::types::Type::JSONB {
            match raw.split_first() {
                Some((1, rest)) => rest,
                _ => return Err("unsupported JSONB version".into()),
            }
        } else {
            raw
        };
        Ok(RawJson(std::str::from_utf8(body)?.to_string()))
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        matches!(
            *ty,
            postgres::types::Type::JSON | postgres::types::Type::JSONB
        )
    }
}

fn pg_value(row: &postgres::Row, i: usize) -> Result<Param, postgres::Error> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Param::Null, Param::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map_or(Param::Null, |v| Param::Int(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map_or(Param::Null, |v| Param::Int(v.into())),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Param::Null, Param::Real),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)?
            .map_or(Param::Null, |v| Param::Real(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map_or(Param::Null, |b| Param::Int(b.into())),
        Type::DATE => row
            .try_get::<_, Option<NaiveDate>>(i)?
            .map_or(Param::Null, Param::Date),
        Type::TIMESTAMPTZ => row
            .try_get::<_, Option<DateTime<Utc>>>(i)?
            .map_or(Param::Null, Param::Time),
        Type::JSONB | Type::JSON => row
            .try_get::<_, Option<RawJson>>(i)?
            .map_or(Param::Null, |v| Param::Json(v.0)),
        _ => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Param::Null, Param::Text),
    })
}

impl Db {
    pub fn kind(&self) -> Kind {
        match self {
            Db::Sqlite(_) => Kind::Sqlite,
            Db::Postgres(_) => Kind::Postgres,
        }
    }

    /// Several statements without parameters (DDL, `BEGIN`).
    pub fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(c) => c.execute_batch(sql)?,
            Db::Postgres(p) => p.client.batch_execute(sql)?,
        }
        Ok(())
    }

    /// One statement; the number of rows it changed.
    pub fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64, StoreError> {
        match self {
            Db::Sqlite(c) => {
                let mut st = c.prepare_cached(&sqlite_sql(sql))?;
                Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Db::Postgres(p) => {
                let st = p.statement(sql)?;
                let ps: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = ps
                    .iter()
                    .map(|p| p as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                Ok(p.client.execute(&st, &refs)?)
            }
        }
    }

    /// The rows of a query.
    pub fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>, StoreError> {
        match self {
            Db::Sqlite(c) => {
                let mut st = c.prepare_cached(&sqlite_sql(sql))?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        row.push(sqlite_value(r.get_ref(i)?));
                    }
                    out.push(row);
                }
                Ok(out)
            }
            Db::Postgres(p) => {
                let st = p.statement(sql)?;
                let ps: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = ps
                    .iter()
                    .map(|p| p as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                let rows = p.client.query(&st, &refs)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut row = Vec::with_capacity(r.len());
                    for i in 0..r.len() {
                        row.push(pg_value(r, i)?);
                    }
                    out.push(row);
                }
                Ok(out)
            }
        }
    }

    /// The first row of a query, if any.
    pub fn one(&mut self, sql: &str, params: &[Param]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}
