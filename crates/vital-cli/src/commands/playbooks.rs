//! `vital playbooks [--since DATE]`: the playbook starts the history store
//! recorded, the CSM's work queue (docs/history.md): account, playbook,
//! date, owner, health, status, the rule that started it with its source
//! line, what its condition read, and its delivery by `vital notify`.

use super::history::store_for;
use super::{fail, parse_date_arg};
use chrono::NaiveDate;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use vital_store::Start;

#[derive(clap::Args)]
pub struct Args {
    /// Only starts dated on or after DATE (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    since: Option<NaiveDate>,
    /// Only starts that `vital notify` has not delivered yet.
    #[arg(long)]
    undelivered: bool,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The store: a SQLite file or a postgres:// URL (default: `[history]
    /// store` of vital.toml).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
}

// the formats of `vital run`'s results
use super::run::OutFormat as Format;

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn health(h: Option<f64>) -> String {
    h.map_or(String::new(), |h| format!("{h:.1}"))
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `delivered`, `pending`, or `failed`: where the start stands with
/// `vital notify`.
pub fn delivery(s: &Start) -> &'static str {
    if s.delivered_at.is_some() {
        "delivered"
    } else if s.attempts > 0 {
        "failed"
    } else {
        "pending"
    }
}

fn delivery_text(s: &Start) -> String {
    match (s.delivered_at, &s.last_error) {
        (Some(at), _) => format!(
            "delivered {}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        (None, Some(e)) if s.attempts > 0 => format!(
            "failed ({} tr{}): {e}",
            s.attempts,
            if s.attempts == 1 { "y" } else { "ies" }
        ),
        _ => "pending".to_string(),
    }
}

/// One start as a JSON object (`vital playbooks --format jsonl`).
fn json(s: &Start) -> serde_json::Value {
    serde_json::json!({
        "account": s.account,
        "as_of": date(s.as_of),
        "playbook": s.playbook,
        "owner": s.owner,
        "health": s.health,
        "status": s.status,
        "rule": s.rule,
        "source": s.source,
        "reads": s.reads,
        "delivery": delivery(s),
        "delivered_at": s.delivered_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "attempts": s.attempts,
        "last_error": s.last_error,
    })
}

fn write_csv(out: &mut dyn Write, starts: &[Start]) -> std::io::Result<()> {
    writeln!(
        out,
        "account,as_of,playbook,owner,health,status,rule,source,reads,delivery,delivered_at,attempts,last_error"
    )?;
    for s in starts {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_cell(&s.account),
            date(s.as_of),
            csv_cell(&s.playbook),
            csv_cell(s.owner.as_deref().unwrap_or("")),
            health(s.health),
            csv_cell(s.status.as_deref().unwrap_or("")),
            csv_cell(s.rule.as_deref().unwrap_or("")),
            csv_cell(s.source.as_deref().unwrap_or("")),
            csv_cell(&s.reads.join("; ")),
            delivery(s),
            s.delivered_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            s.attempts,
            csv_cell(s.last_error.as_deref().unwrap_or("")),
        )?;
    }
    Ok(())
}

/// One line per start in aligned columns, then the rule and what it read,
/// indented under it.
fn write_table(out: &mut dyn Write, starts: &[Start]) -> std::io::Result<()> {
    if starts.is_empty() {
        return writeln!(out, "no playbook starts");
    }
    let width = |f: &dyn Fn(&Start) -> String, title: &str| {
        starts
            .iter()
            .map(|s| f(s).chars().count())
            .chain([title.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let account = |s: &Start| s.account.clone();
    let playbook = |s: &Start| s.playbook.clone();
    let owner = |s: &Start| s.owner.clone().unwrap_or_else(|| "-".into());
    let status = |s: &Start| s.status.clone().unwrap_or_else(|| "-".into());
    let (wa, wp, wo, ws) = (
        width(&account, "ACCOUNT"),
        width(&playbook, "PLAYBOOK"),
        width(&owner, "OWNER"),
        width(&status, "STATUS"),
    );
    let pad = |t: String, w: usize| {
        let n = t.chars().count();
        format!("{t}{}", " ".repeat(w.saturating_sub(n)))
    };
    writeln!(
        out,
        "{:<10}  {}  {}  {}  {:>6}  {}  DELIVERY",
        "AS OF",
        pad("ACCOUNT".into(), wa),
        pad("PLAYBOOK".into(), wp),
        pad("OWNER".into(), wo),
        "HEALTH",
        pad("STATUS".into(), ws),
    )?;
    for s in starts {
        writeln!(
            out,
            "{:<10}  {}  {}  {}  {:>6}  {}  {}",
            date(s.as_of),
            pad(account(s), wa),
            pad(playbook(s), wp),
            pad(owner(s), wo),
            health(s.health),
            pad(status(s), ws),
            delivery_text(s),
        )?;
        let rule = match (&s.rule, &s.source) {
            (Some(r), Some(src)) => format!("rule `{r}` at {src}"),
            (None, Some(src)) => format!("rule at {src}"),
            (Some(r), None) => format!("rule `{r}`"),
            (None, None) => String::new(),
        };
        if !rule.is_empty() {
            writeln!(out, "            {rule}")?;
        }
        for r in &s.reads {
            writeln!(out, "              {r}")?;
        }
    }
    Ok(())
}

pub fn run(args: Args) -> ExitCode {
    let mut store = match store_for(args.history.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut starts = match store.starts(args.since) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if args.undelivered {
        starts.retain(|s| s.delivered_at.is_none());
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let r = match format {
        Format::Jsonl => starts.iter().try_for_each(|s| writeln!(out, "{}", json(s))),
        Format::Csv => write_csv(&mut out, &starts),
        Format::Table => write_table(&mut out, &starts),
    };
    match r.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
