//! Compile a checked rule set ([`RuleSet`], the only thing the evaluator
//! sees) to one readable SQL query with the results `vital run` gives:
//! one CTE per score, comments naming each rule and its source line.
//!
//! Input tables (docs/sql.md): `snapshots(account, as_of, <signals>,
//! override_status, override_until, override_reason)` and `events(account,
//! as_of, type, at, <event fields>)`. Output columns: account, as_of, health,
//! status, computed_status, one per score, triggered, rejected.
//!
//! Missing values are SQL `NULL`s; SQL's three-valued logic is Vital's (§6.2)
//! and a `WHEN`/`WHERE` that is `NULL` does not hold, as a missing condition
//! counts as false. Functions that SQL makes skip `NULL`s (`LEAST`,
//! `GREATEST`) are guarded. Numbers are `DECIMAL(38,10)`; every arithmetic
//! result is cast back to it; scores and health are rounded with `ROUND` on
//! decimals (half away from zero), health exactly in integers.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use vital_check::eval::Constants;
use vital_check::ir::{
    AggKind, Direction, EventId, Expr, ExprKind, FieldId, Loc, Query, RuleSet, Target, Type,
};
use vital_check::value::{Duration, Value};
use vital_syntax::ast::{ArithOp, CmpOp, DurationUnit};
use vital_syntax::SourceMap;

/// The SQL dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    /// Snowflake: tested for syntax only (docs/sql.md).
    Snowflake,
    /// BigQuery (GoogleSQL): tested for syntax only (docs/sql.md).
    BigQuery,
    /// Spark SQL.
    Spark,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Snowflake => "snowflake",
            Dialect::BigQuery => "bigquery",
            Dialect::Spark => "spark",
        }
    }

    /// The type numbers are carried in. BigQuery's `NUMERIC` has only 9
    /// decimals: its `BIGNUMERIC` with the same parameters is used.
    pub fn decimal(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark => "DECIMAL(38,10)",
            Dialect::Postgres => "NUMERIC(38,10)",
            Dialect::Snowflake => "NUMBER(38,10)",
            Dialect::BigQuery => "BIGNUMERIC(38,10)",
        }
    }

    /// The type of scores and health (one decimal).
    fn decimal1(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark => "DECIMAL(38,1)",
            Dialect::Postgres => "NUMERIC(38,1)",
            Dialect::Snowflake => "NUMBER(38,1)",
            Dialect::BigQuery => "BIGNUMERIC(38,1)",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Snowflake => "VARCHAR",
            Dialect::Postgres => "TEXT",
            Dialect::BigQuery | Dialect::Spark => "STRING",
        }
    }

    fn int(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            _ => "BIGINT",
        }
    }

    fn bool(self) -> &'static str {
        match self {
            Dialect::BigQuery => "BOOL",
            _ => "BOOLEAN",
        }
    }

    /// Are column names the same whatever their case, quoted or not?
    fn case_blind(self) -> bool {
        matches!(self, Dialect::DuckDb | Dialect::BigQuery | Dialect::Spark)
    }

    /// The dialects whose string literals read backslash escapes and whose
    /// identifiers are quoted with backticks (BigQuery, Spark) or that
    /// have more reserved words (Snowflake).
    fn extended(self) -> bool {
        matches!(
            self,
            Dialect::Snowflake | Dialect::BigQuery | Dialect::Spark
        )
    }

    /// An identifier in this dialect, quoted when it is not a plain
    /// lower-case name or is a reserved word.
    pub fn ident(self, name: &str) -> String {
        let extra: &[&str] = match self {
            Dialect::Snowflake => SNOWFLAKE_RESERVED,
            Dialect::BigQuery => BIGQUERY_RESERVED,
            Dialect::Spark => SPARK_RESERVED,
            _ => &[],
        };
        let plain = is_plain(name) && !extra.contains(&name);
        match self {
            Dialect::BigQuery if !plain => {
                format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
            }
            Dialect::Spark if !plain => format!("`{}`", name.replace('`', "``")),
            _ if !plain => format!("\"{}\"", name.replace('"', "\"\"")),
            _ => name.to_string(),
        }
    }

    /// A string literal in this dialect (Snowflake, BigQuery and Spark read
    /// backslash escapes in literals; BigQuery and Spark do not take `''`).
    pub fn string(self, s: &str) -> String {
        if !self.extended() {
            return string(s);
        }
        let mut out = String::from("'");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

/// Why a rule set cannot be compiled for a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// A stable code: `vital::sql-unsupported`, `vital::sql-out-of-range`,
    /// `vital::sql-name-clash`.
    pub code: &'static str,
    pub message: String,
    /// Where the construct is written, when it is in the rules.
    pub at: Option<Loc>,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The longest identifier PostgreSQL keeps (in bytes); longer ones are cut.
const MAX_IDENT: usize = 63;

pub const UNSUPPORTED: &str = "vital::sql-unsupported";
pub const OUT_OF_RANGE: &str = "vital::sql-out-of-range";
pub const NAME_CLASH: &str = "vital::sql-name-clash";

/// The largest magnitude a `DECIMAL(38,10)` holds: 10^28 (exclusive).
fn decimal_limit() -> Decimal {
    Decimal::from_i128_with_scale(10_000_000_000_000_000_000_000_000_000, 0)
}

/// One column of an input table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The SQL type in the dialect.
    pub ty: String,
}

/// The input tables' columns in a dialect, for loading them (docs/sql.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub snapshots: Vec<Column>,
    pub events: Vec<Column>,
}

/// Where each event field is stored in `events`.
struct Fields {
    /// By event, by field: the column name.
    columns: Vec<Vec<String>>,
    /// Distinct columns in first-declared order, with their SQL type.
    list: Vec<Column>,
}

/// The fixed columns of the `events` table.
const EVENT_KEYS: &[&str] = &["account", "as_of", "type", "at"];

/// Whether a user's name is one of `fixed` or starts with `vital_`: in
/// any case where the dialect's column names ignore case (DuckDB, BigQuery,
/// Spark: `Health` would be read as, or in place of, the result's
/// `health`); as written elsewhere (PostgreSQL and Snowflake keep a quoted
/// `"Health"` apart from the SQL's own unquoted `health`).
fn taken(d: Dialect, fixed: &[&str], name: &str) -> bool {
    let name = if d.case_blind() {
        name.to_lowercase()
    } else {
        name.to_string()
    };
    fixed.contains(&name.as_str()) || name.starts_with("vital_")
}

/// ` (in another case)` when `name` is taken only ignoring case.
fn in_another_case(fixed: &[&str], name: &str) -> &'static str {
    if fixed.contains(&name) || name.starts_with("vital_") {
        ""
    } else {
        " (in another case: this SQL's column names ignore case)"
    }
}

const RESULT_COLUMNS: &[&str] = &[
    "account",
    "as_of",
    "health",
    "status",
    "computed_status",
    "triggered",
    "rejected",
    "override_status",
    "override_until",
    "override_reason",
    "vital_health_num",
    "vital_health_den",
];

/// The SQL type of a signal or field type, or `None` when it has no column
/// type (durations are not compiled).
fn sql_type(d: Dialect, ty: Type) -> Option<&'static str> {
    Some(match ty {
        Type::Money | Type::Number | Type::Percent => d.decimal(),
        Type::Int => d.int(),
        Type::Text | Type::Enum(_) => d.text(),
        Type::Date => "DATE",
        Type::Bool => d.bool(),
        _ => return None,
    })
}

fn field_columns(rules: &RuleSet, d: Dialect) -> Result<Fields, Error> {
    // a field name declared by several events with one SQL type is one
    // column; with different types, each is `<event>.<field>`
    let mut types: Vec<(String, Vec<&'static str>)> = Vec::new();
    for ev in &rules.events {
        for f in &ev.fields {
            let Some(t) = sql_type(d, f.ty) else {
                return Err(unsupported(
                    format!(
                        "event field `{}.{}` of type {}",
                        ev.name,
                        f.name,
                        rules.type_name(f.ty)
                    ),
                    d,
                    Some(f.loc),
                ));
            };
            if taken(d, EVENT_KEYS, &f.name) {
                return Err(Error {
                    code: NAME_CLASH,
                    message: format!(
                        "event field `{}.{}` has the name of a key column of the `events` table{}",
                        ev.name,
                        f.name,
                        in_another_case(EVENT_KEYS, &f.name)
                    ),
                    at: Some(f.loc),
                    label: Some("named like a key column".into()),
                    help: Some("rename the field: `account`, `as_of`, `type` and `at` say which snapshot an event belongs to, what it is and when".into()),
                });
            }
            match types.iter_mut().find(|(n, _)| *n == f.name) {
                Some((_, ts)) => ts.push(t),
                None => types.push((f.name.clone(), vec![t])),
            }
        }
    }
    if d.case_blind() {
        let mut seen: Vec<(String, &str)> = Vec::new();
        for ev in &rules.events {
            for f in &ev.fields {
                let lower = f.name.to_lowercase();
                match seen.iter().find(|(l, n)| *l == lower && *n != f.name) {
                    Some((_, other)) => {
                        return Err(Error {
                            code: NAME_CLASH,
                            message: format!(
                                "event field `{}.{}` differs from a field `{other}` only in case, and {}'s column names ignore case",
                                ev.name,
                                f.name,
                                d.name()
                            ),
                            at: Some(f.loc),
                            label: Some(format!("one column in {}", d.name())),
                            help: Some("rename one of them".into()),
                        });
                    }
                    None => seen.push((lower, &f.name)),
                }
            }
        }
    }
    let mut columns = Vec::new();
    let mut list: Vec<Column> = Vec::new();
    for ev in &rules.events {
        let mut cols = Vec::new();
        for f in &ev.fields {
            let t = sql_type(d, f.ty).unwrap_or("");
            let shared = types
                .iter()
                .find(|(n, _)| *n == f.name)
                .is_some_and(|(_, ts)| ts.iter().all(|x| *x == t));
            let name = if shared {
                f.name.clone()
            } else if d == Dialect::BigQuery {
                // BigQuery's column names cannot hold a dot
                format!("{}__{}", ev.name, f.name)
            } else {
                format!("{}.{}", ev.name, f.name)
            };
            if !list.iter().any(|c| c.name == name) {
                list.push(Column {
                    name: name.clone(),
                    ty: t.to_string(),
                });
            }
            cols.push(name);
        }
        columns.push(cols);
    }
    Ok(Fields { columns, list })
}

/// The input tables' layout for a rule set in a dialect.
pub fn layout(rules: &RuleSet, d: Dialect) -> Result<Layout, Error> {
    let mut snapshots = vec![
        Column {
            name: "account".into(),
            ty: d.text().into(),
        },
        Column {
            name: "as_of".into(),
            ty: "DATE".into(),
        },
    ];
    for s in &rules.signals {
        let Some(t) = sql_type(d, s.ty) else {
            return Err(unsupported(
                format!("signal `{}` of type {}", s.name, rules.type_name(s.ty)),
                d,
                Some(s.loc),
            ));
        };
        if taken(d, RESULT_COLUMNS, &s.name) {
            return Err(Error {
                code: NAME_CLASH,
                message: format!(
                    "signal `{}` has the name of a column the SQL needs for itself{}",
                    s.name,
                    in_another_case(RESULT_COLUMNS, &s.name)
                ),
                at: Some(s.loc),
                label: Some("named like a fixed column".into()),
                help: Some(format!(
                    "rename the signal: {} and names starting with `vital_` are taken",
                    RESULT_COLUMNS.join(", ")
                )),
            });
        }
        snapshots.push(Column {
            name: s.name.clone(),
            ty: t.into(),
        });
    }
    for (n, t) in [
        ("override_status", d.text()),
        ("override_until", "DATE"),
        ("override_reason", d.text()),
    ] {
        snapshots.push(Column {
            name: n.into(),
            ty: t.into(),
        });
    }
    let fields = field_columns(rules, d)?;
    let mut events = vec![
        Column {
            name: "account".into(),
            ty: d.text().into(),
        },
        Column {
            name: "as_of".into(),
            ty: "DATE".into(),
        },
        Column {
            name: "type".into(),
            ty: d.text().into(),
        },
        Column {
            name: "at".into(),
            ty: "DATE".into(),
        },
    ];
    events.extend(fields.list);
    Ok(Layout { snapshots, events })
}

fn unsupported(what: String, d: Dialect, at: Option<Loc>) -> Error {
    Error {
        code: UNSUPPORTED,
        message: format!("{what} cannot be compiled for {}", d.name()),
        at,
        label: Some(format!("not expressible in {} SQL", d.name())),
        help: Some("`vital run` evaluates it; see docs/sql.md for what is compiled".into()),
    }
}

/// Words that are quoted as identifiers (SQL keywords both dialects reserve).
const RESERVED: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "at",
    "between",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_date",
    "current_time",
    "current_user",
    "default",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "over",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "type",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier, quoted when it is not a plain lower-case name.
pub fn ident(name: &str) -> String {
    if is_plain(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A lower-case name that no dialect's common reserved words hold.
fn is_plain(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name)
}

/// Snowflake's reserved words beyond [`RESERVED`].
/// (`account` is one too, but is written only qualified, as `s.account`.)
const SNOWFLAKE_RESERVED: &[&str] = &[
    "alter",
    "by",
    "connect",
    "connection",
    "current",
    "current_timestamp",
    "database",
    "delete",
    "drop",
    "exists",
    "following",
    "full",
    "gscluster",
    "ilike",
    "increment",
    "inner",
    "insert",
    "issue",
    "localtime",
    "localtimestamp",
    "minus",
    "natural",
    "of",
    "organization",
    "outer",
    "qualify",
    "regexp",
    "revoke",
    "rlike",
    "row",
    "rows",
    "sample",
    "schema",
    "set",
    "start",
    "tablesample",
    "trigger",
    "try_cast",
    "update",
    "view",
    "whenever",
    "cross",
    "sql",
];

/// BigQuery's reserved words beyond [`RESERVED`].
const BIGQUERY_RESERVED: &[&str] = &[
    "assert_rows_modified",
    "by",
    "contains",
    "cross",
    "cube",
    "current",
    "define",
    "enum",
    "escape",
    "exclude",
    "exists",
    "extract",
    "following",
    "full",
    "groups",
    "hash",
    "if",
    "ignore",
    "inner",
    "lookup",
    "merge",
    "natural",
    "new",
    "no",
    "nulls",
    "of",
    "outer",
    "partition",
    "preceding",
    "proto",
    "qualify",
    "range",
    "recursive",
    "respect",
    "rollup",
    "rows",
    "set",
    "struct",
    "tablesample",
    "treat",
    "unbounded",
    "unnest",
    "within",
];

/// Spark's (ANSI mode) reserved words beyond [`RESERVED`].
const SPARK_RESERVED: &[&str] = &[
    "alter",
    "authorization",
    "by",
    "commit",
    "create",
    "cross",
    "cube",
    "current",
    "current_timestamp",
    "delete",
    "describe",
    "drop",
    "escape",
    "exists",
    "external",
    "extract",
    "full",
    "function",
    "global",
    "grouping",
    "ilike",
    "inner",
    "insert",
    "natural",
    "of",
    "outer",
    "overlaps",
    "partition",
    "position",
    "range",
    "reads",
    "revoke",
    "rollback",
    "rollup",
    "row",
    "rows",
    "session_user",
    "set",
    "time",
    "timestamp",
    "update",
    "window",
];

/// A string literal.
pub fn string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn date_lit(d: NaiveDate) -> String {
    format!("DATE '{}'", d.format("%Y-%m-%d"))
}

/// Compile a checked rule set to one query (or, with `view`, a `CREATE
/// VIEW`). `sources` names the files in the comments.
pub fn compile(
    rules: &RuleSet,
    sources: &SourceMap,
    d: Dialect,
    view: Option<&str>,
) -> Result<String, Error> {
    let layout = layout(rules, d)?;
    let fields = field_columns(rules, d)?;
    for s in &rules.scores {
        if taken(d, RESULT_COLUMNS, &s.name) {
            return Err(Error {
                code: NAME_CLASH,
                message: format!(
                    "score `{}` has the name of a result column of the SQL{}",
                    s.name,
                    in_another_case(RESULT_COLUMNS, &s.name)
                ),
                at: Some(s.loc),
                label: Some("named like a result column".into()),
                help: Some(format!(
                    "rename the score: {} and names starting with `vital_` are taken",
                    RESULT_COLUMNS.join(", ")
                )),
            });
        }
    }
    if d == Dialect::Postgres {
        let named = rules
            .signals
            .iter()
            .map(|x| (&x.name, x.loc, "signal"))
            .chain(rules.scores.iter().map(|x| (&x.name, x.loc, "score")))
            .chain(
                rules
                    .events
                    .iter()
                    .flat_map(|e| e.fields.iter().map(|f| (&f.name, f.loc, "event field"))),
            );
        for (name, loc, kind) in named {
            if name.len() > MAX_IDENT - 8 {
                return Err(Error {
                    code: NAME_CLASH,
                    message: format!(
                        "{kind} `{name}` is longer than PostgreSQL keeps a column name ({} bytes with the SQL's prefixes)",
                        MAX_IDENT
                    ),
                    at: Some(loc),
                    label: Some("too long for a PostgreSQL column".into()),
                    help: Some(format!("use a name of at most {} bytes", MAX_IDENT - 8)),
                });
            }
        }
    }
    if d.case_blind() {
        // DuckDB's, BigQuery's and Spark's column names are
        // case-insensitive, quoted or not: `arr` and `ARR` would be one
        // column
        let mut seen: Vec<(String, Loc, &str)> = Vec::new();
        let named = rules
            .signals
            .iter()
            .map(|x| (&x.name, x.loc, "signal"))
            .chain(rules.scores.iter().map(|x| (&x.name, x.loc, "score")));
        for (name, loc, kind) in named {
            let lower = name.to_lowercase();
            if let Some((_, _, other)) = seen.iter().find(|(n, _, _)| *n == lower) {
                return Err(Error {
                    code: NAME_CLASH,
                    message: format!(
                        "{kind} `{name}` differs from a {other} only in case, and {}'s column names ignore case", d.name()
                    ),
                    at: Some(loc),
                    label: Some(format!("one column in {}", d.name())),
                    help: Some("rename one of them".into()),
                });
            }
            seen.push((lower, loc, kind));
        }
    }
    let c = Compiler {
        bands: std::cell::Cell::new(0),
        rules,
        sources,
        d,
        fields,
    };
    c.check_ranges()?;
    c.query(&layout, view)
}

struct Compiler<'a> {
    /// Bands written so far (their subquery aliases are `b1`, `b2`, …).
    bands: std::cell::Cell<usize>,
    rules: &'a RuleSet,
    sources: &'a SourceMap,
    d: Dialect,
    fields: Fields,
}

/// What an expression is compiled against.
#[derive(Clone, Copy)]
struct Scope {
    /// Inside a `where`: the event and the alias of its occurrence.
    event: Option<(EventId, usize)>,
    /// Event-subquery nesting, for fresh aliases.
    depth: usize,
    /// The rule or declaration, for errors.
    at: Loc,
}

/// Where a declaration or rule is: `rules/scores.vital:12`.
fn place(sources: &SourceMap, loc: Loc) -> String {
    if loc.file.index() >= sources.len() {
        return "?".into();
    }
    let f = sources.file(loc.file);
    format!("{}:{}", f.path, f.line_index(loc.span.start) + 1)
}

/// A duration as an SQL interval's amount and unit: days (weeks as 7 days)
/// or months (years as 12 months), as calendar arithmetic does.
fn interval(du: Duration) -> (i64, &'static str) {
    match du.unit {
        DurationUnit::Day => (du.amount, "days"),
        DurationUnit::Week => (du.amount.saturating_mul(7), "days"),
        DurationUnit::Month => (du.amount, "months"),
        DurationUnit::Year => (du.amount.saturating_mul(12), "months"),
    }
}

/// Does evaluating `e` read anything per snapshot? (Otherwise it is folded
/// with the checker's constant evaluator.)
fn reads(e: &Expr) -> bool {
    let mut any = false;
    e.walk(&mut |x| {
        if matches!(
            x.kind,
            ExprKind::Signal(_)
                | ExprKind::Field(_)
                | ExprKind::Score(_)
                | ExprKind::Health
                | ExprKind::Status
                | ExprKind::Exists(_)
                | ExprKind::Count(_)
                | ExprKind::Aggregate(..)
                | ExprKind::Last(_)
                | ExprKind::First(_)
                | ExprKind::DaysSince(_)
                | ExprKind::DaysUntil(_)
                | ExprKind::Previous(..)
                | ExprKind::Change(..)
        ) {
            any = true;
        }
    });
    any
}

fn cmp_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

fn indent(s: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    s.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Compiler<'_> {
    fn rule_name(&self, name: Option<&str>, loc: Loc) -> String {
        match name {
            Some(n) => format!("rule \"{n}\" ({})", place(self.sources, loc)),
            None => format!("the rule at {}", place(self.sources, loc)),
        }
    }

    /// Refuse constants (literals, folded values, weights) that a
    /// `DECIMAL(38,10)` cannot hold exactly.
    fn check_ranges(&self) -> Result<(), Error> {
        let r = self.rules;
        let check_num = |v: Decimal, what: &str, loc: Loc| -> Result<(), Error> {
            let n = v.normalize();
            if n.abs() >= decimal_limit() || n.scale() > 10 {
                return Err(Error {
                    code: OUT_OF_RANGE,
                    message: format!(
                        "{what} holds the number {n}, which DECIMAL(38,10) cannot hold exactly"
                    ),
                    at: Some(loc),
                    label: Some("beyond DECIMAL(38,10)".into()),
                    help: Some(
                        "the SQL carries numbers with at most 28 digits before and 10 after the point".into(),
                    ),
                });
            }
            Ok(())
        };
        // what is written as a literal: the largest constant parts of an
        // expression (folded), and the literals beside what is read
        fn literals(e: &Expr, out: &mut Vec<Decimal>) {
            if !reads(e) {
                if let Value::Num(n) = vital_check::eval::eval(&Constants, e) {
                    out.push(n);
                }
                return;
            }
            for c in e.children() {
                literals(c, out);
            }
        }
        let check_expr = |e: &Expr, what: &str, loc: Loc| -> Result<(), Error> {
            let mut nums = Vec::new();
            literals(e, &mut nums);
            nums.into_iter().try_for_each(|n| check_num(n, what, loc))
        };
        for s in &r.scores {
            let what = format!("score `{}`", s.name);
            check_num(s.weight, &format!("the weight of {what}"), s.loc)?;
            if s.weight.normalize().scale() > 6 {
                return Err(Error {
                    code: OUT_OF_RANGE,
                    message: format!(
                        "the weight of score `{}` has more than 6 decimals; health is computed in 64-bit integers",
                        s.name
                    ),
                    at: Some(s.loc),
                    label: Some("too many decimals".into()),
                    help: None,
                });
            }
            if let Some(b) = &s.base {
                check_expr(b, &what, s.loc)?;
            }
        }
        for a in &r.adjustments {
            let what = self.rule_name(a.name.as_deref(), a.loc);
            if let Some(c) = &a.cond {
                check_expr(c, &what, a.loc)?;
            }
            check_expr(&a.amount, &what, a.loc)?;
        }
        for t in &r.triggers {
            check_expr(&t.cond, &self.rule_name(t.name.as_deref(), t.loc), t.loc)?;
        }
        for a in &r.status {
            if let Some(c) = &a.cond {
                check_expr(c, &format!("status arm `{}`", a.name), a.loc)?;
            }
        }
        // the weights scaled to integers must leave room in a BIGINT
        let (ws, _) = self.int_weights();
        let total: i128 = ws.iter().map(|w| i128::from(*w)).sum();
        if total
            .checked_mul(2_000)
            .is_none_or(|x| x > i128::from(i64::MAX))
        {
            return Err(Error {
                code: OUT_OF_RANGE,
                message: "the score weights are too large for health in 64-bit integers".into(),
                at: r.scores.first().map(|s| s.loc),
                label: None,
                help: None,
            });
        }
        Ok(())
    }

    /// The weights as integers of the same ratios (times 10^k).
    fn int_weights(&self) -> (Vec<i64>, u32) {
        let k = self
            .rules
            .scores
            .iter()
            .map(|s| s.weight.normalize().scale())
            .max()
            .unwrap_or(0)
            .min(6);
        let f = Decimal::from(10i64.pow(k));
        let ws = self
            .rules
            .scores
            .iter()
            .map(|s| {
                (s.weight * f)
                    .trunc()
                    .mantissa()
                    .try_into()
                    .unwrap_or(i64::MAX / 4)
            })
            .collect();
        (ws, k)
    }

    fn cast_dec(&self, x: &str) -> String {
        let end = format!(" AS {})", self.d.decimal());
        // already one cast to the decimal type: not twice
        if let Some(inner) = x.strip_prefix("CAST(").and_then(|r| r.strip_suffix(&end)) {
            let mut depth = 0i32;
            let balanced = inner.chars().all(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth >= 0
            });
            if balanced && depth == 0 {
                return x.to_string();
            }
        }
        format!("CAST({x}{end}")
    }

    /// A numeric operand of a function that merges values into one type
    /// (`LEAST`, `GREATEST`, `COALESCE`, `CASE`): carried as DECIMAL(38,10),
    /// since DuckDB merges DECIMAL(38,0) with DECIMAL(38,10) into
    /// DECIMAL(38,0) and would round the fraction away. Signals, counts and
    /// literals are merged without loss.
    fn merged(&self, e: &Expr, sql: String) -> String {
        let plain = matches!(
            e.kind,
            ExprKind::Lit(_) | ExprKind::Signal(_) | ExprKind::Count(_)
        ) || !reads(e);
        if e.ty.is_numeric() && !plain {
            self.cast_dec(&sql)
        } else {
            sql
        }
    }

    fn null_of(&self, ty: Type) -> String {
        match sql_type(self.d, ty) {
            Some(t) => format!("CAST(NULL AS {t})"),
            None => "NULL".into(),
        }
    }

    fn literal(&self, v: &Value, ty: Type, s: &Scope) -> Result<String, Error> {
        Ok(match v {
            Value::Missing => self.null_of(ty),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Value::Num(n) => {
                let t = n.normalize().to_string();
                if n.is_sign_negative() {
                    format!("({t})")
                } else {
                    t
                }
            }
            Value::Text(t) => self.d.string(t),
            Value::Date(d) => date_lit(*d),
            Value::Enum(i) => match ty {
                Type::Enum(e) => {
                    let name = self
                        .rules
                        .enums
                        .get(e.index())
                        .and_then(|e| e.variants.get(*i as usize))
                        .cloned()
                        .unwrap_or_default();
                    self.d.string(&name)
                }
                _ => {
                    return Err(unsupported(
                        "an enum value of unknown type".into(),
                        self.d,
                        Some(s.at),
                    ))
                }
            },
            Value::Status(a) => self.d.string(
                &self
                    .rules
                    .status
                    .get(a.index())
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
            ),
            Value::Duration(du) => {
                return Err(unsupported(
                    format!("the duration value `{du}` outside date arithmetic"),
                    self.d,
                    Some(s.at),
                ))
            }
        })
    }

    /// `date + amount unit`.
    fn shift(&self, date: &str, du: Duration, sign: i64) -> String {
        let n = du.amount.saturating_mul(sign);
        let (n, months) = match du.unit {
            DurationUnit::Day => (n, false),
            DurationUnit::Week => (n.saturating_mul(7), false),
            DurationUnit::Month => (n, true),
            DurationUnit::Year => (n.saturating_mul(12), true),
        };
        let unit = if months { "month" } else { "day" };
        match self.d {
            Dialect::Snowflake => return format!("DATEADD({unit}, {n}, {date})"),
            Dialect::BigQuery => {
                return format!("DATE_ADD({date}, INTERVAL {n} {})", unit.to_uppercase())
            }
            Dialect::Spark if months => return format!("add_months({date}, {n})"),
            Dialect::Spark => return format!("date_add({date}, {n})"),
            _ => {}
        }
        let (op, abs) = if n < 0 { ("-", -n) } else { ("+", n) };
        if months {
            format!("CAST({date} {op} INTERVAL '{abs} months' AS DATE)")
        } else {
            format!("{date} {op} {abs}")
        }
    }

    /// An expression that must fold to a constant duration.
    fn duration(&self, e: &Expr, s: &Scope) -> Result<Duration, Error> {
        if !reads(e) {
            if let Value::Duration(d) = vital_check::eval::eval(&Constants, e) {
                return Ok(d);
            }
        }
        Err(unsupported(
            "a duration that is not a constant".into(),
            self.d,
            Some(s.at),
        ))
    }

    fn div(&self, a: &str, b: &str) -> String {
        match self.d {
            // DuckDB divides decimals in DOUBLE: cast back
            Dialect::DuckDb => self.cast_dec(&format!(
                "CAST({a} AS DOUBLE) / NULLIF(CAST({b} AS DOUBLE), 0)"
            )),
            Dialect::Postgres => self.cast_dec(&format!(
                "CAST({a} AS NUMERIC) / NULLIF(CAST({b} AS NUMERIC), 0)"
            )),
            // quotient scale 12, rounded to 10
            Dialect::Snowflake => self.cast_dec(&format!(
                "CAST({a} AS NUMBER(38,10)) / NULLIF(CAST({b} AS NUMBER(38,10)), 0)"
            )),
            // BIGNUMERIC quotients have 38 decimals
            Dialect::BigQuery => self.cast_dec(&format!(
                "CAST({a} AS BIGNUMERIC) / NULLIF(CAST({b} AS BIGNUMERIC), 0)"
            )),
            // Spark gives a quotient of DECIMAL(28,10) / DECIMAL(38,10)
            // exactly 10 decimals (wider dividends: 6)
            Dialect::Spark => self.cast_dec(&format!(
                "CAST({a} AS DECIMAL(28,10)) / NULLIF(CAST({b} AS DECIMAL(38,10)), 0)"
            )),
        }
    }

    /// `a + b`, `a - b`, `a * b` carried in the decimal type. Spark cuts the
    /// scale of a sum of two DECIMAL(38,10) to 9 and of their product to
    /// 6: its operands are narrowed so that the result keeps 10 decimals
    /// (a sum's below 10^27; a product's factors below 10^14 and 10^13).
    fn op(&self, op: ArithOp, a: &str, b: &str) -> String {
        let sym = match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => return self.div(a, b),
        };
        if self.d != Dialect::Spark {
            return self.cast_dec(&format!("{a} {sym} {b}"));
        }
        let (pa, pb) = if op == ArithOp::Mul {
            (24, 23)
        } else {
            (37, 37)
        };
        self.cast_dec(&format!(
            "CAST({a} AS DECIMAL({pa},10)) {sym} CAST({b} AS DECIMAL({pb},10))"
        ))
    }

    /// `hi - lo` of `linear`.
    fn span(&self, hi: &str, lo: &str) -> String {
        if self.d == Dialect::Spark {
            self.op(ArithOp::Sub, hi, lo)
        } else {
            format!("({hi} - {lo})")
        }
    }

    /// Days from `from` to `to` (an integer).
    fn days_between(&self, to: &str, from: &str) -> String {
        match self.d {
            Dialect::DuckDb | Dialect::Postgres => format!("({to} - {from})"),
            Dialect::Snowflake => format!("DATEDIFF(day, {from}, {to})"),
            Dialect::BigQuery => format!("DATE_DIFF({to}, {from}, DAY)"),
            Dialect::Spark => format!("datediff({to}, {from})"),
        }
    }

    /// `EXISTS (SELECT 1 {from})`; a count in the dialects that take
    /// correlated subqueries in a select list only when they aggregate.
    fn exists(&self, from: &str) -> String {
        if self.d.extended() {
            format!("(SELECT count(*) {from}) > 0")
        } else {
            format!("EXISTS (SELECT 1 {from})")
        }
    }

    /// Can `e` be missing in an accepted snapshot? (Non-optional signals
    /// and fields are there, or the snapshot is rejected; counts are never
    /// missing.) Guards are only written for what can.
    fn nullable(&self, e: &Expr) -> bool {
        use ExprKind as K;
        if !reads(e) {
            return matches!(vital_check::eval::eval(&Constants, e), Value::Missing);
        }
        match &e.kind {
            K::Lit(v) => v.is_missing(),
            K::Signal(id) => self
                .rules
                .signals
                .get(id.index())
                .is_none_or(|s| s.optional),
            K::Field(_) => true,
            K::Count(_) | K::Exists(_) | K::IsMissing { .. } => false,
            K::Neg(a) | K::Abs(a) | K::Round(a) | K::DaysSince(a) | K::DaysUntil(a) | K::Not(a) => {
                self.nullable(a)
            }
            K::Arith(op, a, b) => {
                *op == ArithOp::Div
                    || matches!(a.ty, Type::Date | Type::Duration)
                    || matches!(b.ty, Type::Date | Type::Duration)
                    || self.nullable(a)
                    || self.nullable(b)
            }
            K::Compare(_, a, b) => self.nullable(a) || self.nullable(b),
            K::Coalesce(a, b) => self.nullable(a) && self.nullable(b),
            K::Min(xs) | K::Max(xs) => xs.iter().any(|x| self.nullable(x)),
            K::Clamp(a, b, c) => self.nullable(a) || self.nullable(b) || self.nullable(c),
            _ => true,
        }
    }

    /// `NULL` when any of `args` is (skipping those that cannot be), else
    /// `then`.
    fn guard(&self, args: &[(&Expr, &str)], then: String) -> String {
        let checks: Vec<String> = args
            .iter()
            .filter(|(e, _)| self.nullable(e))
            .map(|(_, x)| format!("{x} IS NULL"))
            .collect();
        if checks.is_empty() {
            then
        } else {
            format!(
                "CASE WHEN {} THEN NULL ELSE {then} END",
                checks.join(" OR ")
            )
        }
    }

    /// An enum or status value as its position, for ordering comparisons.
    fn position(&self, x: &str, ty: Type) -> String {
        let names: Vec<String> = match ty {
            Type::Enum(e) => self
                .rules
                .enums
                .get(e.index())
                .map(|e| e.variants.clone())
                .unwrap_or_default(),
            Type::Status => self.rules.status.iter().map(|a| a.name.clone()).collect(),
            _ => Vec::new(),
        };
        let mut out = format!("CASE {x}");
        for (i, n) in names.iter().enumerate() {
            let _ = write!(out, " WHEN {} THEN {i}", self.d.string(n));
        }
        out.push_str(" END");
        out
    }

    fn compare(&self, op: CmpOp, a: &Expr, b: &Expr, xa: String, xb: String) -> String {
        let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        let ty = if a.ty == Type::Error { b.ty } else { a.ty };
        match ty {
            Type::Enum(_) | Type::Status if ordering => format!(
                "{} {} {}",
                self.position(&xa, ty),
                cmp_op(op),
                self.position(&xb, ty)
            ),
            Type::Text if ordering && self.d == Dialect::Postgres => {
                format!("{xa} COLLATE \"C\" {} {xb}", cmp_op(op))
            }
            _ => format!("{xa} {} {xb}", cmp_op(op)),
        }
    }

    fn event_col(&self, ev: EventId, f: FieldId) -> String {
        let name = self
            .fields
            .columns
            .get(ev.index())
            .and_then(|c| c.get(f.index()))
            .cloned()
            .unwrap_or_default();
        self.d.ident(&name)
    }

    /// The events' `at` column: quoted where the layout quotes it (`at` is
    /// reserved in BigQuery; in Snowflake a quoted name keeps its case).
    fn at(&self) -> String {
        if self.d.extended() {
            self.d.ident("at")
        } else {
            "at".into()
        }
    }

    /// `FROM events eN WHERE <occurrences of the query>`.
    fn occurrences(&self, q: &Query, s: &Scope) -> Result<(String, String), Error> {
        let alias = format!("e{}", s.depth + 1);
        let at = self.at();
        let ev = self
            .rules
            .events
            .get(q.event.index())
            .map(|e| e.name.clone())
            .unwrap_or_default();
        let mut w = format!(
            "FROM events {alias} WHERE {alias}.account = s.account AND {alias}.as_of = s.as_of AND {alias}.{} = {} AND {alias}.{at} <= s.as_of",
            self.d.ident("type"),
            self.d.string(&ev)
        );
        if let Some(d) = q.within {
            let _ = write!(w, " AND {alias}.{at} >= {}", self.shift("s.as_of", d, -1));
        }
        if let Some(f) = &q.filter {
            let inner = Scope {
                event: Some((q.event, s.depth + 1)),
                depth: s.depth + 1,
                ..*s
            };
            let _ = write!(w, " AND ({})", self.expr(f, &inner)?);
        }
        Ok((alias, w))
    }

    /// `previous(t, d)`: the latest other accepted snapshot of the account
    /// dated on or before `as_of - d`.
    /// The name of what `previous`/`change` look back at.
    fn target_name(&self, t: Target) -> String {
        match t {
            Target::Signal(id) => self
                .rules
                .signals
                .get(id.index())
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            Target::Score(id) => self
                .rules
                .scores
                .get(id.index())
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            Target::Health => "health".into(),
        }
    }

    /// The column holding `previous(t, d)`, computed by a window function
    /// in the `history` (signals) or `scored_history` (scores, health) CTE.
    fn previous_column(&self, t: Target, du: Duration) -> String {
        let (n, unit) = interval(du);
        let name = format!("vital_previous_{}_{n}_{unit}", self.target_name(t));
        if name.len() <= MAX_IDENT {
            return name;
        }
        // PostgreSQL cuts longer names: number it instead
        let k = self
            .lookbacks()
            .iter()
            .position(|(a, b)| *a == t && interval(*b) == interval(du))
            .unwrap_or(0);
        format!("vital_previous_{}", k + 1)
    }

    /// `previous(t, d)`: the latest other accepted snapshot of the account
    /// dated on or before `as_of - d` (a window, see [`Compiler::lookback`]).
    fn previous(&self, t: Target, du: Duration, s: &Scope) -> Result<String, Error> {
        if du.amount < 0 {
            return Err(unsupported(
                format!("`previous`/`change` over a negative duration ({du})"),
                self.d,
                Some(s.at),
            ));
        }
        if self.d == Dialect::BigQuery && interval(du).1 == "months" && du.amount > 0 {
            return Err(unsupported(
                format!("`previous`/`change` over {du} (a window frame of months over dates; BigQuery's RANGE offsets are numbers)"),
                self.d,
                Some(s.at),
            ));
        }
        Ok(format!("s.{}", self.d.ident(&self.previous_column(t, du))))
    }

    /// The window function computing `previous(t, d)` for every row: the
    /// value of `t` in the last row of the account dated on or before
    /// `as_of - d`, the row itself excluded; `NULL` there is missing (no
    /// further look back).
    fn lookback(&self, t: Target, du: Duration) -> String {
        let (n, unit) = interval(du);
        // with a positive D the row itself is never in the frame; with
        // `0 days` the row before is the latest other (one snapshot per
        // account and date: duplicates are rejected). (DuckDB 1.1 drops
        // rows from a RANGE frame with `EXCLUDE CURRENT ROW`: not used.)
        // (Snowflake, BigQuery and Spark: a day offset over the day number,
        // as BigQuery's RANGE offsets are numbers only; months over dates)
        let day_number = match self.d {
            Dialect::Snowflake => Some("DATEDIFF(day, DATE '1970-01-01', s.as_of)"),
            Dialect::BigQuery => Some("UNIX_DATE(s.as_of)"),
            Dialect::Spark => Some("unix_date(s.as_of)"),
            _ => None,
        };
        let (order, frame) = match day_number {
            _ if n == 0 => (
                "s.as_of".to_string(),
                "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING".to_string(),
            ),
            Some(k) if unit == "days" => (
                k.to_string(),
                format!("RANGE BETWEEN UNBOUNDED PRECEDING AND {n} PRECEDING"),
            ),
            _ if self.d == Dialect::Spark => (
                "s.as_of".to_string(),
                format!("RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL '{n}' MONTH PRECEDING"),
            ),
            _ => (
                "s.as_of".to_string(),
                format!("RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL '{n} {unit}' PRECEDING"),
            ),
        };
        format!(
            "last_value(s.{}) OVER (PARTITION BY s.account ORDER BY {order} {frame}) AS {}",
            self.d.ident(&self.target_name(t)),
            self.d.ident(&self.previous_column(t, du))
        )
    }

    /// Every `previous`/`change` of the rule set, once each, in order.
    fn lookbacks(&self) -> Vec<(Target, Duration)> {
        let r = self.rules;
        let mut out: Vec<(Target, Duration)> = Vec::new();
        let mut visit = |e: &Expr| {
            e.walk(&mut |x| {
                if let ExprKind::Previous(t, d) | ExprKind::Change(t, d) = &x.kind {
                    if !out
                        .iter()
                        .any(|(a, b)| a == t && interval(*b) == interval(*d))
                    {
                        out.push((*t, *d));
                    }
                }
            })
        };
        for sc in &r.scores {
            if let Some(b) = &sc.base {
                visit(b);
            }
        }
        for a in &r.adjustments {
            if let Some(c) = &a.cond {
                visit(c);
            }
            visit(&a.amount);
        }
        for a in &r.status {
            if let Some(c) = &a.cond {
                visit(c);
            }
        }
        for t in &r.triggers {
            visit(&t.cond);
        }
        out
    }

    fn now(&self, t: Target) -> String {
        match t {
            Target::Signal(id) => format!(
                "s.{}",
                self.d.ident(
                    &self
                        .rules
                        .signals
                        .get(id.index())
                        .map(|x| x.name.clone())
                        .unwrap_or_default()
                )
            ),
            Target::Score(id) => format!(
                "s.{}",
                self.d.ident(
                    &self
                        .rules
                        .scores
                        .get(id.index())
                        .map(|x| x.name.clone())
                        .unwrap_or_default()
                )
            ),
            Target::Health => "s.health".into(),
        }
    }

    /// One expression, parenthesised where it is not atomic.
    fn expr(&self, e: &Expr, s: &Scope) -> Result<String, Error> {
        use ExprKind as K;
        if !reads(e) && !matches!(e.kind, K::Lit(_)) {
            let v = vital_check::eval::eval(&Constants, e);
            if !matches!(v, Value::Duration(_)) {
                return self.literal(&v, e.ty, s);
            }
        }
        let p = |x: String| format!("({x})");
        Ok(match &e.kind {
            K::Lit(v) => self.literal(v, e.ty, s)?,
            K::Signal(id) => format!(
                "s.{}",
                self.d.ident(
                    &self
                        .rules
                        .signals
                        .get(id.index())
                        .map(|x| x.name.clone())
                        .unwrap_or_default()
                )
            ),
            K::Field(f) => match s.event {
                Some((ev, depth)) => format!("e{depth}.{}", self.event_col(ev, *f)),
                None => {
                    return Err(unsupported(
                        "an event field outside `where`".into(),
                        self.d,
                        Some(s.at),
                    ))
                }
            },
            K::Score(id) => format!(
                "s.{}",
                self.d.ident(
                    &self
                        .rules
                        .scores
                        .get(id.index())
                        .map(|x| x.name.clone())
                        .unwrap_or_default()
                )
            ),
            K::Health => "s.health".into(),
            K::Status => "s.status".into(),
            K::Neg(a) => p(format!("-{}", self.expr(a, s)?)),
            K::Not(a) => p(format!("NOT {}", self.expr(a, s)?)),
            K::Arith(op, a, b) => self.arith(*op, a, b, s)?,
            K::Compare(op, a, b) => {
                let (xa, xb) = (self.expr(a, s)?, self.expr(b, s)?);
                if matches!(a.ty, Type::Duration) {
                    return Err(unsupported(
                        "a comparison of durations that are not constants".into(),
                        self.d,
                        Some(s.at),
                    ));
                }
                p(self.compare(*op, a, b, xa, xb))
            }
            K::And(a, b) => p(format!("{} AND {}", self.expr(a, s)?, self.expr(b, s)?)),
            K::Or(a, b) => p(format!("{} OR {}", self.expr(a, s)?, self.expr(b, s)?)),
            K::Coalesce(a, b) => format!(
                "COALESCE({}, {})",
                self.merged(a, self.expr(a, s)?),
                self.merged(b, self.expr(b, s)?)
            ),
            K::In {
                value,
                list,
                negated,
            } => {
                let items: Result<Vec<String>, Error> =
                    list.iter().map(|x| self.expr(x, s)).collect();
                p(format!(
                    "{} {}IN ({})",
                    self.expr(value, s)?,
                    if *negated { "NOT " } else { "" },
                    items?.join(", ")
                ))
            }
            K::IsMissing { value, negated } => p(format!(
                "{} IS {}NULL",
                self.expr(value, s)?,
                if *negated { "NOT " } else { "" }
            )),
            K::Exists(q) => {
                let (_, from) = self.occurrences(q, s)?;
                p(self.exists(&from))
            }
            K::Count(q) => {
                let (_, from) = self.occurrences(q, s)?;
                format!("(SELECT count(*) {from})")
            }
            K::Last(q) | K::First(q) => {
                let (alias, from) = self.occurrences(q, s)?;
                let f = if matches!(e.kind, K::Last(_)) {
                    "max"
                } else {
                    "min"
                };
                format!("(SELECT {f}({alias}.{}) {from})", self.at())
            }
            K::Aggregate(kind, q) => {
                let Some(field) = q.field else {
                    return Ok(self.null_of(e.ty));
                };
                let (alias, from) = self.occurrences(q, s)?;
                let col = format!("{alias}.{}", self.event_col(q.event, field));
                let value = match kind {
                    AggKind::Sum => self.cast_dec(&format!("sum({col})")),
                    AggKind::Avg => self.div(&format!("sum({col})"), &format!("count({col})")),
                    AggKind::Min | AggKind::Max => format!("{}({col})", kind.name()),
                };
                format!("(SELECT {value} {from})")
            }
            K::DaysSince(d) => self.days_between("s.as_of", &self.expr(d, s)?),
            K::DaysUntil(d) => self.days_between(&self.expr(d, s)?, "s.as_of"),
            K::Min(xs) | K::Max(xs) => {
                let f = if matches!(e.kind, K::Max(_)) {
                    "GREATEST"
                } else {
                    "LEAST"
                };
                let sql: Result<Vec<String>, Error> = xs
                    .iter()
                    .map(|x| Ok(self.merged(x, self.expr(x, s)?)))
                    .collect();
                let sql = sql?;
                let args: Vec<(&Expr, &str)> = xs
                    .iter()
                    .zip(sql.iter())
                    .map(|(e, x)| (e, x.as_str()))
                    .collect();
                self.guard(&args, format!("{f}({})", sql.join(", ")))
            }
            K::Clamp(x, lo, hi) => {
                let (a, b, c) = (
                    self.merged(x, self.expr(x, s)?),
                    self.merged(lo, self.expr(lo, s)?),
                    self.merged(hi, self.expr(hi, s)?),
                );
                self.guard(
                    &[(x, &a), (lo, &b), (hi, &c)],
                    format!("LEAST(GREATEST({a}, {b}), {c})"),
                )
            }
            K::Abs(x) => format!("ABS({})", self.expr(x, s)?),
            K::Round(x) => format!("ROUND({}, 0)", self.cast_dec(&self.expr(x, s)?)),
            K::Linear(x, lo, hi) => {
                let (a, b, c) = (self.expr(x, s)?, self.expr(lo, s)?, self.expr(hi, s)?);
                let span = match (
                    reads(lo) || reads(hi),
                    vital_check::eval::eval(&Constants, lo),
                    vital_check::eval::eval(&Constants, hi),
                ) {
                    (false, Value::Num(l), Value::Num(h)) => match h.checked_sub(l) {
                        Some(w) => self.literal(&Value::Num(w), Type::Number, s)?,
                        None => self.span(&c, &b),
                    },
                    _ => self.span(&c, &b),
                };
                let line = if self.d == Dialect::Spark {
                    let diff = self.op(ArithOp::Sub, &a, &b);
                    self.div(&self.op(ArithOp::Mul, &diff, "100"), &span)
                } else {
                    self.div(&format!("({a} - {b}) * 100"), &span)
                };
                let clamped = format!("LEAST(GREATEST({line}, 0), 100)");
                let equal = format!("CASE WHEN {a} >= {c} THEN 100 ELSE 0 END");
                let body = if !reads(lo) && !reads(hi) {
                    let (vl, vh) = (
                        vital_check::eval::eval(&Constants, lo),
                        vital_check::eval::eval(&Constants, hi),
                    );
                    if vl == vh {
                        equal
                    } else {
                        clamped
                    }
                } else {
                    format!("CASE WHEN {b} = {c} THEN {equal} ELSE {clamped} END")
                };
                self.guard(&[(x, &a), (lo, &b), (hi, &c)], body)
            }
            K::Previous(t, du) => self.previous(*t, *du, s)?,
            K::Change(t, du) => {
                let now = self.now(*t);
                let before = self.previous(*t, *du, s)?;
                self.op(ArithOp::Sub, &now, &before)
            }
            K::Band {
                input,
                arms,
                otherwise,
            } => {
                let v = self.expr(input, s)?;
                // an input that is not a plain column is computed once
                // (not where a correlated subquery must aggregate: there
                // it is written at each arm)
                let bound = !matches!(input.kind, K::Lit(_) | K::Signal(_) | K::Field(_))
                    && !self.d.extended();
                let alias = if bound {
                    self.bands.set(self.bands.get() + 1);
                    format!("b{}", self.bands.get())
                } else {
                    String::new()
                };
                let from = format!("{v} AS x");
                let v = if bound { format!("{alias}.x") } else { v };
                let mut out = String::from("CASE");
                if self.nullable(input) {
                    let _ = write!(out, " WHEN {v} IS NULL THEN NULL");
                }
                for arm in arms {
                    let bound = self.expr(&arm.value, s)?;
                    let _ = write!(
                        out,
                        " WHEN {} THEN {}",
                        self.compare(arm.op, input, &arm.value, v.clone(), bound),
                        self.merged(&arm.result, self.expr(&arm.result, s)?)
                    );
                }
                let _ = write!(
                    out,
                    " ELSE {} END",
                    self.merged(otherwise, self.expr(otherwise, s)?)
                );
                if bound {
                    format!("(SELECT {out} FROM (SELECT {from}) {alias})")
                } else {
                    out
                }
            }
        })
    }

    fn arith(&self, op: ArithOp, a: &Expr, b: &Expr, s: &Scope) -> Result<String, Error> {
        match (a.ty, b.ty) {
            (Type::Date, _) => {
                let du = self.duration(b, s)?;
                let sign = if op == ArithOp::Sub { -1 } else { 1 };
                Ok(format!("({})", self.shift(&self.expr(a, s)?, du, sign)))
            }
            (Type::Duration, Type::Date) => {
                let du = self.duration(a, s)?;
                Ok(format!("({})", self.shift(&self.expr(b, s)?, du, 1)))
            }
            (Type::Duration, _) | (_, Type::Duration) => Err(unsupported(
                "arithmetic on durations that are not constants".into(),
                self.d,
                Some(s.at),
            )),
            _ => {
                let (x, y) = (self.expr(a, s)?, self.expr(b, s)?);
                Ok(self.op(op, &x, &y))
            }
        }
    }

    /// The reason a snapshot row is rejected, as `vital run` would.
    fn rejection(&self) -> String {
        let r = self.rules;
        let mut arms: Vec<String> = vec![
            "WHEN s.account IS NULL THEN '`account` is missing'".into(),
            "WHEN s.as_of IS NULL THEN '`as_of` is missing'".into(),
            "WHEN count(*) OVER (PARTITION BY s.account, s.as_of) > 1 THEN 'duplicate snapshot'"
                .into(),
        ];
        for sig in &r.signals {
            let col = format!("s.{}", self.d.ident(&sig.name));
            if !sig.optional {
                arms.push(format!(
                    "WHEN {col} IS NULL THEN {}",
                    self.d.string(&format!("signal `{}`: missing", sig.name))
                ));
            }
            if let Type::Enum(e) = sig.ty {
                let vs = &r.enums[e.index()].variants;
                arms.push(format!(
                    "WHEN {col} NOT IN ({}) THEN {}",
                    vs.iter()
                        .map(|v| self.d.string(v))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.d.string(&format!(
                        "signal `{}`: expected one of ({})",
                        sig.name,
                        vs.join(", ")
                    ))
                ));
            }
        }
        arms.push(
            "WHEN s.override_status IS NULL AND (s.override_until IS NOT NULL OR s.override_reason IS NOT NULL) THEN '`override.status` is missing'"
                .into(),
        );
        arms.push(format!(
            "WHEN s.override_status NOT IN ({}) THEN 'override: unknown status'",
            r.status
                .iter()
                .map(|a| self.d.string(&a.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        // events: a type is required; an event of a declared type needs a
        // date, its required fields, and enum fields within their variants
        // (one of a type the rules do not declare is ignored, dated or not)
        let declared: Vec<String> = r.events.iter().map(|e| self.d.string(&e.name)).collect();
        let mut bad = vec![format!("e.{} IS NULL", self.d.ident("type"))];
        if !declared.is_empty() {
            bad.push(format!(
                "(e.{} IS NULL AND e.{} IN ({}))",
                self.at(),
                self.d.ident("type"),
                declared.join(", ")
            ));
        }
        for (ei, ev) in r.events.iter().enumerate() {
            let mut conds = Vec::new();
            for (fi, f) in ev.fields.iter().enumerate() {
                let col = format!("e.{}", self.event_col(EventId::new(ei), FieldId::new(fi)));
                if !f.optional {
                    conds.push(format!("{col} IS NULL"));
                }
                if let Type::Enum(en) = f.ty {
                    conds.push(format!(
                        "{col} NOT IN ({})",
                        r.enums[en.index()]
                            .variants
                            .iter()
                            .map(|v| self.d.string(v))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            if !conds.is_empty() {
                bad.push(format!(
                    "(e.{} = {} AND ({}))",
                    self.d.ident("type"),
                    self.d.string(&ev.name),
                    conds.join(" OR ")
                ));
            }
        }
        arms.push(format!(
            "WHEN {} THEN 'an event is invalid'",
            self.exists(&format!(
                "FROM events e WHERE e.account = s.account AND e.as_of = s.as_of AND ({})",
                bad.join(" OR ")
            ))
        ));
        format!(
            "CASE\n{}\n    END",
            arms.iter()
                .map(|a| format!("      {a}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }

    fn query(&self, layout: &Layout, view: Option<&str>) -> Result<String, Error> {
        let r = self.rules;
        let d = self.d;
        let mut out = String::new();
        let files: Vec<String> = self.sources.files().map(|(_, f)| f.path.clone()).collect();
        let _ = writeln!(
            out,
            "-- Generated by `vital compile --target {}` from {}.",
            d.name(),
            files.join(", ")
        );
        let _ = writeln!(
            out,
            "-- The same results as `vital run --all`, but `started` (docs/sql.md)."
        );
        if matches!(d, Dialect::Snowflake | Dialect::BigQuery) {
            let _ = writeln!(
                out,
                "-- {} SQL is tested for syntax only (parsed by sqlglot), never run: docs/sql.md.",
                d.name()
            );
        }
        let show = |cols: &[Column]| {
            cols.iter()
                .map(|c| format!("{} {}", self.d.ident(&c.name), c.ty))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "-- Input: snapshots({})", show(&layout.snapshots));
        let _ = writeln!(out, "--        events({})", show(&layout.events));
        if let Some(v) = view {
            let _ = writeln!(out, "CREATE VIEW {} AS", self.d.ident(v));
        }
        out.push_str("WITH\n");
        let _ = writeln!(
            out,
            "-- each snapshot, with the reason `vital run` would reject it (NULL: accepted)\nchecked AS (\n  SELECT s.*,\n    {} AS rejected\n  FROM snapshots s\n),",
            self.rejection()
        );
        out.push_str(
            "-- rejected snapshots are not scored and are no one's history\naccepted AS (\n  SELECT * FROM checked WHERE rejected IS NULL\n),\n",
        );
        // previous/change: window functions over the accepted snapshots
        let lookbacks = self.lookbacks();
        // one CTE per window: DuckDB 1.1 gives two RANGE windows of one
        // partition and order but different offsets the same frame
        let mut prev = "accepted".to_string();
        for (t, d) in lookbacks
            .iter()
            .filter(|(t, _)| matches!(t, Target::Signal(_)))
        {
            let cte = self
                .d
                .ident(&self.previous_column(*t, *d).replacen("vital_", "", 1));
            let _ = writeln!(
                out,
                "-- previous({}, {d}): in the account's latest other accepted snapshot dated on or\n-- before as_of - {d} (missing there is missing: no further look back)\n{cte} AS (\n  SELECT s.*,\n    {}\n  FROM {prev} s\n),",
                self.target_name(*t),
                self.lookback(*t, *d)
            );
            prev = cte;
        }
        // one CTE per score, each adding its column
        let mut ctes = Vec::new();
        for (i, sc) in r.scores.iter().enumerate() {
            let scope = Scope {
                event: None,
                depth: 0,
                at: sc.loc,
            };
            let mut name = format!("score_{}", sc.name);
            if name.len() > MAX_IDENT {
                name = format!("score_{}", i + 1);
            }
            let cte = self.d.ident(&name);
            let mut body = String::new();
            let _ = writeln!(
                body,
                "-- score {} weight {} ({})",
                sc.name,
                sc.weight.normalize(),
                place(self.sources, sc.loc)
            );
            let base = match &sc.base {
                None => "50".to_string(),
                Some(b) => self.expr(b, &scope)?,
            };
            // Spark: each term narrowed to DECIMAL(28,10), so that a sum of
            // up to 11 keeps 10 decimals; every 10 adjustments the sum so
            // far is narrowed again
            let spark = d == Dialect::Spark;
            let term = |x: String| {
                if spark {
                    format!("CAST({x} AS DECIMAL(28,10))")
                } else {
                    x
                }
            };
            let mut total = format!("      {}  -- base\n", term(self.cast_dec(&base)));
            let mut terms = 0;
            for (ai, a) in r.adjustments.iter().enumerate() {
                if a.score.index() != i {
                    continue;
                }
                let scope = Scope { at: a.loc, ..scope };
                let amount = self.cast_dec(&self.expr(&a.amount, &scope)?);
                let applied = match &a.cond {
                    Some(c) => format!("CASE WHEN {} THEN {amount} END", self.expr(c, &scope)?),
                    None => amount,
                };
                let sign = match a.direction {
                    Direction::Add => "+",
                    Direction::Subtract => "-",
                };
                if spark && terms == 10 {
                    total = format!("      CAST(\n{total}      AS DECIMAL(28,10))\n");
                    terms = 0;
                }
                terms += 1;
                let _ = writeln!(
                    total,
                    "      -- {}\n      {sign} {}",
                    match &a.name {
                        Some(n) => format!("rule \"{n}\" ({})", place(self.sources, a.loc)),
                        None => format!("rule #{} ({})", ai + 1, place(self.sources, a.loc)),
                    },
                    term(format!("COALESCE({applied}, 0)")),
                );
            }
            // clamped to 0..100 (NULL stays NULL: the base is missing, n/a)
            if d.extended() {
                // no LATERAL in BigQuery: the sum is a column of a subquery
                let _ = write!(
                    body,
                    "SELECT v.*,\n    CAST(ROUND(CASE WHEN v.vital_raw_{i} < 0 THEN 0 WHEN v.vital_raw_{i} > 100 THEN 100 ELSE v.vital_raw_{i} END, 1) AS {}) AS {}\nFROM (\n  SELECT s.*,\n{}    AS vital_raw_{i}\n  FROM {prev} s\n) v",
                    d.decimal1(),
                    self.d.ident(&sc.name),
                    indent(&total, 2) + "\n",
                );
                ctes.push(format!("{cte} AS (\n{}\n),", indent(&body, 2)));
                prev = cte;
                continue;
            }
            let _ = write!(
                body,
                "SELECT s.*,\n    CAST(ROUND(CASE WHEN v.raw < 0 THEN 0 WHEN v.raw > 100 THEN 100 ELSE v.raw END, 1) AS {}) AS {}\nFROM {prev} s,\n  LATERAL (SELECT\n{total}  AS raw) v",
                d.decimal1(),
                self.d.ident(&sc.name)
            );
            ctes.push(format!("{cte} AS (\n{}\n),", indent(&body, 2)));
            prev = cte;
        }
        for c in ctes {
            out.push_str(&c);
            out.push('\n');
        }
        // health: exact, in integers: tenths = round(Σ w·10s / Σ w)
        let (ws, _) = self.int_weights();
        let mut num = Vec::new();
        let mut den = Vec::new();
        for (sc, w) in r.scores.iter().zip(&ws) {
            let col = format!("s.{}", self.d.ident(&sc.name));
            num.push(format!(
                "COALESCE({w} * CAST({col} * 10 AS {}), 0)",
                d.int()
            ));
            den.push(format!("CASE WHEN {col} IS NULL THEN 0 ELSE {w} END"));
        }
        let _ = writeln!(
            out,
            "-- health: Σ(weight × score) / Σ(weight) over the scores that are not n/a, in tenths\nweighted AS (\n  SELECT s.*,\n    {} AS vital_health_num,\n    {} AS vital_health_den\n  FROM {prev} s\n),",
            if num.is_empty() { "0".into() } else { num.join("\n      + ") },
            if den.is_empty() { "0".into() } else { den.join("\n      + ") },
        );
        let (a, b) = (
            "(2 * s.vital_health_num + s.vital_health_den)",
            "(2 * s.vital_health_den)",
        );
        let quotient = match d {
            Dialect::DuckDb => format!("{a} // {b}"),
            Dialect::Postgres => format!("{a} / {b}"),
            Dialect::Spark => format!("{a} DIV {b}"),
            Dialect::BigQuery => format!("DIV({a}, {b})"),
            // Snowflake's `/` gives decimals, rounded: subtract the rest
            Dialect::Snowflake => format!("({a} - MOD({a}, {b})) / {b}"),
        };
        let _ = writeln!(
            out,
            "-- rounded half away from zero to one decimal; NULL when every score is n/a\nscored AS (\n  SELECT s.*,\n    CASE WHEN s.vital_health_den = 0 THEN NULL\n      ELSE CAST(CAST({quotient} AS {}) * 0.1 AS {}) END AS health\n  FROM weighted s\n),",
            d.decimal1(),
            d.decimal1()
        );
        let mut scored = "scored".to_string();
        for (t, d) in lookbacks
            .iter()
            .filter(|(t, _)| !matches!(t, Target::Signal(_)))
        {
            let cte = self
                .d
                .ident(&self.previous_column(*t, *d).replacen("vital_", "", 1));
            let _ = writeln!(
                out,
                "-- previous({}, {d}): the rounded value in the account's latest other accepted\n-- snapshot dated on or before as_of - {d}\n{cte} AS (\n  SELECT s.*,\n    {}\n  FROM {scored} s\n),",
                self.target_name(*t),
                self.lookback(*t, *d)
            );
            scored = cte;
        }
        // status
        let mut status = String::from("CASE");
        for a in &r.status {
            let scope = Scope {
                event: None,
                depth: 0,
                at: a.loc,
            };
            match &a.cond {
                Some(c) => {
                    let _ = write!(
                        status,
                        "\n      -- {} ({})\n      WHEN {} THEN {}",
                        a.name,
                        place(self.sources, a.loc),
                        self.expr(c, &scope)?,
                        self.d.string(&a.name)
                    );
                }
                None => {
                    let _ = write!(
                        status,
                        "\n      -- {} ({})\n      ELSE {}",
                        a.name,
                        place(self.sources, a.loc),
                        self.d.string(&a.name)
                    );
                    break;
                }
            }
        }
        status.push_str("\n    END");
        if let Some(first) = r.status.first().filter(|a| a.cond.is_none()) {
            // only `otherwise`: a CASE needs a WHEN
            status = format!(
                "-- {} ({})\n    {}",
                first.name,
                place(self.sources, first.loc),
                self.d.string(&first.name)
            );
        }
        let _ = writeln!(
            out,
            "-- the status block: the first arm that holds\ncomputed AS (\n  SELECT s.*,\n    {status} AS computed_status\n  FROM {scored} s\n),"
        );
        let _ = writeln!(
            out,
            "-- an override is in force with no until, or until on or after as_of\ndecided AS (\n  SELECT s.*,\n    CASE WHEN s.override_status IS NOT NULL AND (s.override_until IS NULL OR s.override_until >= s.as_of)\n      THEN s.override_status ELSE s.computed_status END AS status\n  FROM computed s\n),"
        );
        // triggers
        let playbooks = r.playbooks();
        let order: Vec<usize> = r
            .triggers
            .iter()
            .map(|t| playbooks.iter().position(|p| *p == t.playbook).unwrap_or(0))
            .collect();
        let in_order = order.windows(2).all(|w| w[0] <= w[1]);
        let mut conds: Vec<Vec<(usize, String)>> = vec![Vec::new(); playbooks.len()];
        for (ti, t) in r.triggers.iter().enumerate() {
            let scope = Scope {
                event: None,
                depth: 0,
                at: t.loc,
            };
            let c = self.expr(&t.cond, &scope)?;
            let label = match &t.name {
                Some(n) => format!("rule \"{n}\" ({})", place(self.sources, t.loc)),
                None => format!("trigger #{} ({})", ti + 1, place(self.sources, t.loc)),
            };
            conds[order[ti]].push((ti, format!("-- {label}\n        {c}")));
        }
        // the items in order, without the NULLs (Snowflake, BigQuery, Spark)
        let compact = |items: &[String]| {
            match d {
            Dialect::Snowflake => format!(
                "ARRAY_CONSTRUCT_COMPACT(\n      {}\n    )",
                items.join(",\n      ")
            ),
            Dialect::BigQuery => format!(
                "ARRAY(SELECT p FROM UNNEST([\n      {}\n    ]) AS p WITH OFFSET AS o WHERE p IS NOT NULL ORDER BY o)",
                items.join(",\n      ")
            ),
            _ => format!(
                "array_compact(array(\n      {}\n    ))",
                items.join(",\n      ")
            ),
        }
        };
        let mut from = "decided";
        let list = if playbooks.is_empty() {
            match d {
                Dialect::DuckDb => "CAST([] AS VARCHAR[])".to_string(),
                Dialect::Postgres => "CAST(ARRAY[] AS TEXT[])".to_string(),
                Dialect::Snowflake => "ARRAY_CONSTRUCT()".to_string(),
                Dialect::BigQuery => "ARRAY<STRING>[]".to_string(),
                Dialect::Spark => "CAST(array() AS ARRAY<STRING>)".to_string(),
            }
        } else if in_order || d != Dialect::Postgres && playbooks.len() == 1 {
            let items: Vec<String> = playbooks
                .iter()
                .zip(&conds)
                .map(|(p, cs)| {
                    let any = cs
                        .iter()
                        .map(|(_, c)| c.clone())
                        .collect::<Vec<_>>()
                        .join("\n        OR ");
                    format!(
                        "CASE WHEN\n        {any}\n      THEN {} END",
                        self.d.string(p)
                    )
                })
                .collect();
            match d {
                Dialect::DuckDb => format!(
                    "[p FOR p IN [\n      {}\n    ] IF p IS NOT NULL]",
                    items.join(",\n      ")
                ),
                Dialect::Postgres => format!(
                    "ARRAY_REMOVE(ARRAY[\n      {}\n    ]::TEXT[], NULL)",
                    items.join(",\n      ")
                ),
                _ => compact(&items),
            }
        } else if d.extended() {
            // a playbook is listed at its first firing rule: each one's
            // first firing rule, then its rank among those that fire, then
            // the playbooks by rank (no sorting of arrays needed)
            let n = playbooks.len();
            let mut keys = Vec::new();
            for (pi, cs) in conds.iter().enumerate() {
                let mut k = String::from("CASE");
                for (ti, c) in cs {
                    let _ = write!(k, "\n      WHEN {c}\n      THEN {ti}");
                }
                let _ = write!(k, " END AS vital_playbook_{}", pi + 1);
                keys.push(k);
            }
            let _ = writeln!(
                out,
                "-- each playbook's first firing rule (NULL: none fires)\nkeyed AS (\n  SELECT s.*,\n    {}\n  FROM decided s\n),",
                keys.join(",\n    ")
            );
            let ranks: Vec<String> = (1..=n)
                .map(|i| {
                    let before: Vec<String> = (1..=n)
                        .filter(|j| *j != i)
                        .map(|j| {
                            format!("CASE WHEN s.vital_playbook_{j} < s.vital_playbook_{i} THEN 1 ELSE 0 END")
                        })
                        .collect();
                    format!(
                        "CASE WHEN s.vital_playbook_{i} IS NOT NULL THEN 0\n      + {} END AS vital_rank_{i}",
                        before.join("\n      + ")
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "-- how many firing playbooks fire before each\nranked AS (\n  SELECT s.*,\n    {}\n  FROM keyed s\n),",
                ranks.join(",\n    ")
            );
            from = "ranked";
            let items: Vec<String> = (0..n)
                .map(|r| {
                    let mut x = String::from("CASE");
                    for (i, p) in playbooks.iter().enumerate() {
                        let _ = write!(
                            x,
                            " WHEN s.vital_rank_{} = {r} THEN {}",
                            i + 1,
                            self.d.string(p)
                        );
                    }
                    x.push_str(" END");
                    x
                })
                .collect();
            compact(&items)
        } else {
            // a playbook is listed at its first firing rule: order by it
            let items: Vec<(String, String)> = playbooks
                .iter()
                .zip(&conds)
                .map(|(p, cs)| {
                    let mut k = String::from("CASE");
                    for (ti, c) in cs {
                        let _ = write!(k, "\n        WHEN {c}\n        THEN {ti}");
                    }
                    k.push_str(" END");
                    (k, self.d.string(p))
                })
                .collect();
            match d {
                Dialect::DuckDb => format!(
                    "[x.p FOR x IN list_sort([\n      {}\n    ]) IF x.k IS NOT NULL]",
                    items
                        .iter()
                        .map(|(k, p)| format!("{{'k': {k}, 'p': {p}}}"))
                        .collect::<Vec<_>>()
                        .join(",\n      ")
                ),
                Dialect::Postgres => format!(
                    "ARRAY(SELECT v.p FROM (VALUES\n      {}\n    ) AS v(k, p) WHERE v.k IS NOT NULL ORDER BY v.k)",
                    items
                        .iter()
                        .map(|(k, p)| format!("({k}, CAST({p} AS TEXT))"))
                        .collect::<Vec<_>>()
                        .join(",\n      ")
                ),
                _ => String::new(),
            }
        };
        let _ = writeln!(
            out,
            "-- playbooks: each once, in declaration order of its first firing rule\ntriggered AS (\n  SELECT s.*,\n    {list} AS triggered\n  FROM {from} s\n)"
        );
        let scores: String = r
            .scores
            .iter()
            .map(|sc| format!(", t.{}", self.d.ident(&sc.name)))
            .collect();
        let _ = write!(
            out,
            "SELECT c.account, c.as_of, t.health, t.status, t.computed_status{scores}, t.triggered, c.rejected\nFROM checked c\nLEFT JOIN triggered t ON c.rejected IS NULL AND t.account = c.account AND t.as_of = c.as_of\n"
        );
        if view.is_some() {
            out.push_str(";\n");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use vital_syntax::SourceFile;

    fn compiled(text: &str, d: Dialect) -> Result<String, Error> {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("rules.vital", text));
        let checked = vital_check::check(&sources);
        let rules = checked.valid().unwrap_or_else(|| {
            panic!("{:?}", checked.diagnostics);
        });
        compile(rules, &sources, d, None)
    }

    const STATUS: &str = "status {\n  ok when health >= 50\n  bad otherwise\n}\n";

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("feature_usage"), "feature_usage");
        assert_eq!(ident("type"), "\"type\"");
        assert_eq!(ident("call.minutes"), "\"call.minutes\"");
        assert_eq!(ident("Arr"), "\"Arr\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(string("it's"), "'it''s'");
    }

    #[test]
    fn one_cast_is_not_cast_again_but_a_sum_of_casts_is() {
        let c = Compiler {
            bands: std::cell::Cell::new(0),
            rules: &RuleSet::default(),
            sources: &SourceMap::new(),
            d: Dialect::DuckDb,
            fields: Fields {
                columns: Vec::new(),
                list: Vec::new(),
            },
        };
        let once = c.cast_dec("s.x * 2");
        assert_eq!(once, "CAST(s.x * 2 AS DECIMAL(38,10))");
        assert_eq!(c.cast_dec(&once), once);
        let sum = format!("{once} + {once}");
        assert_eq!(c.cast_dec(&sum), format!("CAST({sum} AS DECIMAL(38,10))"));
    }

    #[test]
    fn every_rule_is_named_with_its_line_and_constants_are_folded() {
        let sql = compiled(
            &format!(
                "signal n: int\nconst k = 2 * 3 + 1\nscore a weight 1 = n\n\
                 rule \"seven\" when n > k add k to a\n\
                 when n < 0 subtract 1 from a\n{STATUS}when a > 90 trigger \"p\"\n"
            ),
            Dialect::DuckDb,
        )
        .unwrap();
        assert!(sql.contains("-- rule \"seven\" (rules.vital:4)"), "{sql}");
        assert!(sql.contains("-- rule #2 (rules.vital:5)"), "{sql}");
        assert!(sql.contains("-- trigger #1 (rules.vital:10)"), "{sql}");
        assert!(sql.contains("(s.n > 7)"), "{sql}");
        assert!(!sql.contains("2 * 3"), "{sql}");
    }

    #[test]
    fn constants_with_more_than_ten_decimals_are_refused() {
        let e = compiled(
            &format!("signal n: number\nscore a weight 1 = n * 0.12345678901\n{STATUS}"),
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!(e.code, OUT_OF_RANGE);
        assert!(e.message.contains("score `a`"), "{}", e.message);
        // ten are fine
        compiled(
            &format!("signal n: number\nscore a weight 1 = n * 0.1234567891\n{STATUS}"),
            Dialect::Postgres,
        )
        .unwrap();
    }

    #[test]
    fn names_that_differ_in_case_only_are_one_duckdb_column() {
        let text =
            format!("signal arr: int\nsignal ARR: int\nscore a weight 1 = arr + ARR\n{STATUS}");
        let e = compiled(&text, Dialect::DuckDb).unwrap_err();
        assert_eq!(e.code, NAME_CLASH);
        assert!(e.message.contains("signal `ARR`"), "{}", e.message);
        compiled(&text, Dialect::Postgres).unwrap();
    }

    #[test]
    fn names_of_the_sqls_own_columns_are_refused_in_any_case() {
        // a signal `Health` would be read as the result's `health` (or
        // shadow it), `Rejected` would reject every row
        for (decl, what) in [
            ("signal Health: number?", "signal `Health`"),
            ("signal Rejected: text?", "signal `Rejected`"),
            ("signal Triggered: text?", "signal `Triggered`"),
            ("signal AS_OF: date?", "signal `AS_OF`"),
            ("signal Vital_x: int?", "signal `Vital_x`"),
            ("event e { AT: date? }", "event field `e.AT`"),
            ("event e { Type: text? }", "event field `e.Type`"),
        ] {
            let text = format!("signal n: int\n{decl}\nscore a weight 1 = n\n{STATUS}");
            for d in [Dialect::DuckDb, Dialect::Spark, Dialect::BigQuery] {
                let e = compiled(&text, d).unwrap_err();
                assert_eq!(e.code, NAME_CLASH, "{decl} {d:?}");
                assert!(e.message.contains(what), "{}", e.message);
                assert!(e.message.contains("in another case"), "{}", e.message);
            }
            // PostgreSQL keeps the quoted `"Health"` apart from `health`
            compiled(&text, Dialect::Postgres).unwrap();
        }
        // the SQL's own names as written are refused everywhere
        let text = format!(
            "signal n: int\nevent e {{ at2: date? }}\nscore computed_status weight 1 = n\n{STATUS}"
        );
        let e = compiled(&text, Dialect::Postgres).unwrap_err();
        assert_eq!(e.code, NAME_CLASH);
        let text = format!("signal n: int\nscore Computed_status weight 1 = n\n{STATUS}");
        let e = compiled(&text, Dialect::DuckDb).unwrap_err();
        assert_eq!(e.code, NAME_CLASH);
        // two fields of two events that differ only in case are one DuckDB
        // column, two PostgreSQL ones
        let text = format!(
            "signal n: int\nevent e {{ level: text? }}\nevent f {{ Level: text? }}\nscore a weight 1 = n\n{STATUS}"
        );
        let e = compiled(&text, Dialect::DuckDb).unwrap_err();
        assert_eq!(e.code, NAME_CLASH);
        assert!(e.message.contains("event field `f.Level`"), "{}", e.message);
        compiled(&text, Dialect::Postgres).unwrap();
    }

    #[test]
    fn names_postgres_would_cut_are_refused_or_numbered() {
        let long = "a_signal_name_that_is_long_enough_to_be_cut_by_postgres_x";
        let text = format!("signal {long}: int\nscore a weight 1 = {long}\n{STATUS}");
        let e = compiled(&text, Dialect::Postgres).unwrap_err();
        assert_eq!(e.code, NAME_CLASH);
        compiled(&text, Dialect::DuckDb).unwrap();
        // a lookback column of a 40-byte name would be 64 bytes: numbered
        let name = "usage_of_the_product_in_the_last_30_days";
        let text = format!(
            "signal {name}: int\nscore a weight 1 = change({name}, 100 days) ?? 0\n{STATUS}"
        );
        let sql = compiled(&text, Dialect::Postgres).unwrap();
        assert!(sql.contains("AS vital_previous_1\n"), "{sql}");
        assert!(sql.contains("s.vital_previous_1"), "{sql}");
    }

    #[test]
    fn a_status_block_of_only_otherwise_is_its_name() {
        let sql = compiled("status { everyone otherwise }\n", Dialect::DuckDb).unwrap();
        assert!(
            sql.contains("-- everyone (rules.vital:1)\n    'everyone' AS computed_status"),
            "{sql}"
        );
        assert!(!sql.contains("ELSE 'everyone'"), "{sql}");
    }

    #[test]
    fn health_weights_become_integers_of_the_same_ratio() {
        let sql = compiled(
            &format!("signal n: int\nscore a weight 2.5 = n\nscore b weight 0.75 = n\n{STATUS}"),
            Dialect::DuckDb,
        )
        .unwrap();
        assert!(
            sql.contains("COALESCE(250 * CAST(s.a * 10 AS BIGINT), 0)"),
            "{sql}"
        );
        assert!(
            sql.contains("COALESCE(75 * CAST(s.b * 10 AS BIGINT), 0)"),
            "{sql}"
        );
    }

    #[test]
    fn the_dialects_differ_where_the_databases_do() {
        let text = format!(
            "signal n: number\nscore a weight 1 = n / 3\n{STATUS}when a > 1 trigger \"p\"\n"
        );
        let duck = compiled(&text, Dialect::DuckDb).unwrap();
        let pg = compiled(&text, Dialect::Postgres).unwrap();
        assert!(
            duck.contains("CAST(s.n AS DOUBLE) / NULLIF(CAST(3 AS DOUBLE), 0)"),
            "{duck}"
        );
        assert!(
            pg.contains("CAST(s.n AS NUMERIC) / NULLIF(CAST(3 AS NUMERIC), 0)"),
            "{pg}"
        );
        assert!(duck.contains("[p FOR p IN ["), "{duck}");
        assert!(pg.contains("ARRAY_REMOVE(ARRAY["), "{pg}");
        assert!(duck.contains(" // (2 * s.vital_health_den)"), "{duck}");
        assert!(pg.contains(" / (2 * s.vital_health_den)"), "{pg}");
    }

    #[test]
    fn the_warehouse_dialects_quote_and_escape_their_own_way() {
        assert_eq!(Dialect::BigQuery.ident("type"), "`type`");
        assert_eq!(Dialect::BigQuery.ident("range"), "`range`");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Snowflake.ident("qualify"), "\"qualify\"");
        assert_eq!(Dialect::Snowflake.ident("nps"), "nps");
        assert_eq!(Dialect::BigQuery.string("it's \\ ok"), "'it\\'s \\\\ ok'");
        assert_eq!(Dialect::Spark.string("a\nb"), "'a\\nb'");
        assert_eq!(Dialect::Snowflake.string("it's"), "'it\\'s'");
        assert_eq!(Dialect::Postgres.string("it's \\"), "'it''s \\'");
    }

    #[test]
    fn interleaved_playbooks_are_ranked_where_arrays_are_not_sorted() {
        let text = format!(
            "signal n: int\nscore a weight 1 = n\n{STATUS}\
             when n > 1 trigger \"p\"\nwhen n > 2 trigger \"q\"\nwhen n > 3 trigger \"p\"\n"
        );
        for d in [Dialect::Snowflake, Dialect::BigQuery, Dialect::Spark] {
            let sql = compiled(&text, d).unwrap();
            assert!(sql.contains("ranked AS ("), "{sql}");
            assert!(sql.contains("FROM ranked s"), "{sql}");
            assert!(
                sql.contains(
                    "CASE WHEN s.vital_rank_1 = 0 THEN 'p' WHEN s.vital_rank_2 = 0 THEN 'q' END"
                ),
                "{sql}"
            );
        }
    }

    #[test]
    fn spark_keeps_ten_decimals_in_sums_products_and_quotients() {
        let text = format!("signal n: number\nscore a weight 1 = n * 2 + n / 3\n{STATUS}");
        let sql = compiled(&text, Dialect::Spark).unwrap();
        assert!(
            sql.contains("CAST(s.n AS DECIMAL(24,10)) * CAST(2 AS DECIMAL(23,10))"),
            "{sql}"
        );
        assert!(
            sql.contains("CAST(s.n AS DECIMAL(28,10)) / NULLIF(CAST(3 AS DECIMAL(38,10)), 0)"),
            "{sql}"
        );
        assert!(sql.contains(" AS DECIMAL(37,10)) + CAST("), "{sql}");
        assert!(sql.contains(") DIV (2 * s.vital_health_den)"), "{sql}");
    }

    #[test]
    fn bigquery_carries_bignumeric_with_ten_decimals() {
        let text = format!("signal n: number\nsignal d: date\nscore a weight 1 = n / 3\n{STATUS}when d + 2 months < 2026-01-01 trigger \"p\"\n");
        let sql = compiled(&text, Dialect::BigQuery).unwrap();
        assert!(
            sql.contains("nps") || sql.contains("BIGNUMERIC(38,10)"),
            "{sql}"
        );
        assert!(
            sql.contains(
                "CAST(s.n AS BIGNUMERIC) / NULLIF(CAST(3 AS BIGNUMERIC), 0) AS BIGNUMERIC(38,10))"
            ),
            "{sql}"
        );
        assert!(sql.contains("DATE_ADD(s.d, INTERVAL 2 MONTH)"), "{sql}");
        assert!(sql.contains("DIV((2 * s.vital_health_num"), "{sql}");
    }
}
