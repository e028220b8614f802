//! `vital compile`: the rule set as one SQL query over the `snapshots` and
//! `events` tables (docs/sql.md), with the results `vital run --all` gives.
//! The compiler is `vital_sql`'s; this file finds the rules the way `vital
//! run` does, writes the SQL and reports what cannot be compiled.

use super::project::{discover, pick};
use super::{fail, load_rules_for, stderr_color};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_sql::Dialect;

#[derive(clap::Args)]
pub struct Args {
    /// The SQL dialect to write.
    #[arg(long, value_enum)]
    target: Target,
    /// The rule set (a directory or files; default: the project's, else `.`).
    rules: Option<PathBuf>,
    /// A rule set of vital.toml, by name.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Write the SQL to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write `CREATE VIEW NAME AS …` instead of a plain query.
    #[arg(long, value_name = "NAME")]
    view: Option<String>,
    /// Write the input tables' columns (`table,column,type` lines) instead
    /// of the query: what to create before loading data.
    #[arg(long)]
    layout: bool,
    /// Write the rule set's `test` blocks as JSON Lines snapshots (each
    /// test's `history` entries and the test itself, account = the test's
    /// name) instead of SQL: the differential test's input
    /// (tests/sql/differential.py).
    #[arg(long, hide = true)]
    test_snapshots: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    Duckdb,
    Postgres,
    /// Tested for syntax only (docs/sql.md).
    Snowflake,
    /// Tested for syntax only (docs/sql.md).
    Bigquery,
    Spark,
}

pub fn run(args: Args) -> ExitCode {
    let dialect = match args.target {
        Target::Duckdb => Dialect::DuckDb,
        Target::Postgres => Dialect::Postgres,
        Target::Snowflake => Dialect::Snowflake,
        Target::Bigquery => Dialect::BigQuery,
        Target::Spark => Dialect::Spark,
    };
    let path = match locate(args.rules, args.ruleset.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let loaded = match load_rules_for(&path, "written") {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some(rules) = loaded.ruleset() else {
        return ExitCode::from(1);
    };
    let text = if args.test_snapshots {
        test_snapshots(rules)
    } else if args.layout {
        match vital_sql::layout(rules, dialect) {
            Ok(l) => {
                let mut out = String::new();
                for (table, cols) in [("snapshots", &l.snapshots), ("events", &l.events)] {
                    for c in cols {
                        out.push_str(&format!("{table},{},{}\n", c.name, c.ty));
                    }
                }
                out
            }
            Err(e) => return report(&e, &loaded.sources),
        }
    } else {
        match vital_sql::compile(rules, &loaded.sources, dialect, args.view.as_deref()) {
            Ok(sql) => sql,
            Err(e) => return report(&e, &loaded.sources),
        }
    };
    let written = match &args.output {
        Some(p) => std::fs::write(p, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the SQL: {e}"))
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// The rule set's path as `vital run` finds it: the argument, the rule set
/// `--ruleset` names, the project's only rule set, else `.`.
fn locate(rules: Option<PathBuf>, ruleset: Option<&str>) -> Result<PathBuf, ExitCode> {
    if let Some(r) = rules {
        if ruleset.is_some() {
            fail("give the rules as a path or `--ruleset NAME`, not both");
            return Err(ExitCode::from(2));
        }
        return Ok(r);
    }
    let project = discover()?;
    match &project {
        Some(p) => match pick(p, ruleset, None, false)? {
            Some(rs) => super::project::ruleset_path(p, rs),
            None => Ok(PathBuf::from(".")),
        },
        None if ruleset.is_some() => Err(fail(
            "`--ruleset` names a rule set of vital.toml, and there is no vital.toml here or above",
        )),
        None => Ok(PathBuf::from(".")),
    }
}

/// A compile error as a diagnostic on stderr (exit status 1).
fn report(e: &vital_sql::Error, sources: &vital_syntax::SourceMap) -> ExitCode {
    let mut d = miette::MietteDiagnostic::new(e.message.clone())
        .with_code(e.code)
        .with_severity(miette::Severity::Error);
    if let Some(h) = &e.help {
        d = d.with_help(h.clone());
    }
    let color = stderr_color();
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = vital_syntax::diagnostic::report_handler(theme);
    let report = match e.at.filter(|l| l.file.index() < sources.len()) {
        Some(loc) => {
            let f = sources.file(loc.file);
            d = d.with_label(miette::LabeledSpan::new_primary_with_span(
                e.label.clone(),
                miette::SourceSpan::from(loc.span.start..loc.span.end),
            ));
            miette::Report::new(d)
                .with_source_code(miette::NamedSource::new(f.path.clone(), f.text.clone()))
        }
        None => miette::Report::new(d),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {}\n", e.code, e.message);
    }
    eprint!("{out}");
    eprintln!("error: the rules cannot be compiled to SQL; nothing was written");
    ExitCode::from(1)
}

/// The test blocks as snapshots: per test, its history entries and then
/// the test's own snapshot, all under the account named as the test, each
/// with the test's events (a history snapshot ignores the later ones, as
/// in `vital test`).
fn test_snapshots(rules: &vital_check::RuleSet) -> String {
    use serde_json::{json, Map, Value as J};
    use vital_check::value::Value;
    let value = |v: &Value, ty: vital_check::Type| -> J {
        match v {
            Value::Missing => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Num(d) => {
                // a JSON number as the decimal it is written as
                serde_json::from_str(&d.normalize().to_string()).unwrap_or(J::Null)
            }
            Value::Text(t) => J::String(t.to_string()),
            Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
            Value::Duration(d) => J::String(d.to_string()),
            Value::Enum(_) | Value::Status(_) => J::String(rules.show_value(v, ty)),
        }
    };
    let mut out = String::new();
    for t in &rules.tests {
        let mut events = Vec::new();
        for e in &t.events {
            let Some(ev) = rules.events.get(e.event.index()) else {
                continue;
            };
            let mut o = Map::new();
            o.insert("type".into(), J::String(ev.name.clone()));
            o.insert(
                "at".into(),
                J::String(e.date.format("%Y-%m-%d").to_string()),
            );
            for (f, v) in &e.fields {
                if let Some(fd) = ev.fields.get(f.index()) {
                    o.insert(fd.name.clone(), value(v, fd.ty));
                }
            }
            events.push(J::Object(o));
        }
        let record = |as_of: chrono::NaiveDate, given: &[(vital_check::ir::SignalId, Value)]| {
            let mut signals = Map::new();
            for (s, v) in given {
                if let Some(sd) = rules.signals.get(s.index()) {
                    signals.insert(sd.name.clone(), value(v, sd.ty));
                }
            }
            json!({
                "account": t.name,
                "as_of": as_of.format("%Y-%m-%d").to_string(),
                "signals": signals,
                "events": events,
            })
        };
        for (date, given) in &t.history {
            out.push_str(&record(*date, given).to_string());
            out.push('\n');
        }
        out.push_str(&record(t.as_of, &t.given).to_string());
        out.push('\n');
    }
    out
}
