//! `vital history ACCOUNT | --stale | --prune-before DATE`: what the
//! history store holds (docs/history.md).

use super::{fail, parse_date_arg};
use chrono::NaiveDate;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The account whose results to list, oldest first.
    #[arg(required_unless_present_any = ["stale", "prune_before"])]
    account: Option<String>,
    /// List the accounts whose latest snapshot is more than `[history]
    /// stale_after` (default 7 days) older than the store's latest `as_of`.
    #[arg(long, conflicts_with_all = ["account", "prune_before"])]
    stale: bool,
    /// Drop snapshots dated before DATE and the events only they carried;
    /// their results stay.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg, conflicts_with = "account")]
    prune_before: Option<NaiveDate>,
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

/// `▁▂▃▄▅▆▇█` for healths 0–100.
fn spark(h: Option<f64>) -> char {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    match h {
        Some(h) => BARS[((h.clamp(0.0, 100.0) / 100.0) * 7.0).round() as usize],
        None => ' ',
    }
}

fn one(h: Option<f64>) -> String {
    h.map_or(String::new(), |h| format!("{h:.1}"))
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The store of `--history` or vital.toml, for the commands that read
/// (or deliver) what runs recorded: `vital history`, `vital playbooks`,
/// `vital notify`. It must exist: a missing SQLite file is an error, never
/// a new empty store. A message and exit 1 without one.
pub fn store_for(flag: Option<&str>) -> Result<vital_store::Store, ExitCode> {
    match super::run::history::open_existing_store(flag) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Err(fail(
            "no history store: set `[history] store` in vital.toml, or give `--history PATH|URL`",
        )),
        Err(e) => Err(fail(e)),
    }
}

/// `[history] stale_after` of vital.toml in days (the default without a
/// project file or the key). Shared with `vital run`'s summary. A project
/// file with errors has them reported, and the exit status is returned.
pub fn stale_after_days() -> Result<i64, ExitCode> {
    Ok(
        super::project::discover()?.map_or(vital_project::DEFAULT_STALE_AFTER_DAYS, |p| {
            p.stale_after_days()
        }),
    )
}

pub fn run(args: Args) -> ExitCode {
    let mut store = match store_for(args.history.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(d) = args.prune_before {
        // a date after the latest night (a typo: 2062 for 2026) would
        // empty the store of snapshots: `previous`/`change` would have no
        // history left, and no command could bring it back
        match store.latest_as_of() {
            Ok(Some(latest)) if d > latest => {
                return fail(format_args!(
                    "`--prune-before {d}` is after the store's latest snapshot ({latest}): it would drop every stored snapshot; give a date on or before {latest}",
                    d = d.format("%Y-%m-%d"),
                    latest = latest.format("%Y-%m-%d"),
                ));
            }
            Ok(_) => {}
            Err(e) => return fail(e),
        }
        return match store.prune_before(d) {
            Ok(p) => {
                let _ = writeln!(
                    out,
                    "pruned {} snapshot{} and {} event row{} dated before {}; results kept",
                    vital_input::thousands(p.snapshots as usize),
                    if p.snapshots == 1 { "" } else { "s" },
                    vital_input::thousands(p.events as usize),
                    if p.events == 1 { "" } else { "s" },
                    d.format("%Y-%m-%d")
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    if args.stale {
        let days = match stale_after_days() {
            Ok(d) => d,
            Err(code) => return code,
        };
        let latest = match store.latest_as_of() {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
        let stale = match latest {
            Some(l) => match store.stale(l, days) {
                Ok(s) => s,
                Err(e) => return fail(e),
            },
            None => Vec::new(),
        };
        let _ = match format {
            Format::Jsonl => stale.iter().try_for_each(|(a, d)| {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"account": a, "latest_as_of": d.format("%Y-%m-%d").to_string()})
                )
            }),
            Format::Csv => writeln!(out, "account,latest_as_of").and_then(|()| {
                stale.iter().try_for_each(|(a, d)| {
                    writeln!(out, "{},{}", csv_cell(a), d.format("%Y-%m-%d"))
                })
            }),
            Format::Table => {
                let latest = latest.map_or(String::new(), |l| l.format("%Y-%m-%d").to_string());
                if latest.is_empty() {
                    writeln!(out, "no stale accounts: the history store holds no snapshots")
                } else if stale.is_empty() {
                    writeln!(
                        out,
                        "no stale accounts: every account has a snapshot within {days} days of {latest}"
                    )
                } else {
                    writeln!(
                        out,
                        "{} account{} without a snapshot within {days} days of {latest}:",
                        stale.len(),
                        if stale.len() == 1 { "" } else { "s" }
                    )
                    .and_then(|()| {
                        stale.iter().try_for_each(|(a, d)| {
                            writeln!(out, "{a:<30} last snapshot {}", d.format("%Y-%m-%d"))
                        })
                    })
                }
            }
        };
        return ExitCode::SUCCESS;
    }
    let Some(account) = args.account else {
        return ExitCode::from(2);
    };
    let rows = match store.history(&account) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if rows.is_empty() {
        return fail(format!("the history store has no results for `{account}`"));
    }
    let short = |h: &str| {
        h.trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect::<String>()
    };
    let r = match format {
        Format::Jsonl => rows.iter().try_for_each(|r| {
            // the keys in the documented order, and the scores in the order
            // the store keeps them (SQLite: as `vital run` wrote them, the
            // rule set's order; PostgreSQL's JSONB keeps its own)
            let scores = serde_json::value::RawValue::from_string(compact(&r.scores)).ok();
            let line = HistoryLine {
                account: &account,
                as_of: r.as_of.format("%Y-%m-%d").to_string(),
                health: r.health,
                status: r.status.as_deref(),
                computed_status: r.computed_status.as_deref(),
                scores: scores.as_deref(),
                triggered: &r.triggered,
                started: r.started.as_deref(),
                ruleset: &r.ruleset_hash,
                git_commit: r.git_commit.as_deref(),
            };
            writeln!(
                out,
                "{}",
                serde_json::to_string(&line).map_err(std::io::Error::other)?
            )
        }),
        Format::Csv => writeln!(
            out,
            "account,as_of,health,status,computed_status,scores,triggered,started,ruleset,git_commit"
        )
        .and_then(|()| {
            rows.iter().try_for_each(|r| {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    csv_cell(&account),
                    r.as_of.format("%Y-%m-%d"),
                    one(r.health),
                    csv_cell(r.status.as_deref().unwrap_or("")),
                    csv_cell(r.computed_status.as_deref().unwrap_or("")),
                    csv_cell(&r.scores),
                    csv_cell(&r.triggered.join(";")),
                    csv_cell(&r.started.as_ref().map(|s| s.join(";")).unwrap_or_default()),
                    r.ruleset_hash,
                    r.git_commit.as_deref().unwrap_or("")
                )
            })
        }),
        Format::Table => {
            let line: String = rows.iter().map(|r| spark(r.health)).collect();
            let first = rows.first().map(|r| one(r.health)).unwrap_or_default();
            let last = rows.last().map(|r| one(r.health)).unwrap_or_default();
            writeln!(out, "{account}  health {first} → {last}  {line}").and_then(|()| {
                // a column per score, named as the latest result names them
                let names: Vec<String> = rows
                    .last()
                    .map(|r| score_names(&r.scores))
                    .unwrap_or_default();
                let mut head = format!("{:<10}  {:>6}  {:<16}", "AS OF", "HEALTH", "STATUS");
                for n in &names {
                    head.push_str(&format!("  {:>w$}", n.to_uppercase(), w = n.len().max(6)));
                }
                head.push_str(&format!("  {:<13} TRIGGERED (* started)", "RULES"));
                writeln!(out, "{}", head.trim_end())?;
                rows.iter().try_for_each(|r| {
                    let values: serde_json::Map<String, serde_json::Value> =
                        serde_json::from_str(&r.scores).unwrap_or_default();
                    let mut line = format!(
                        "{:<10}  {:>6}  {:<16}",
                        r.as_of.format("%Y-%m-%d"),
                        one(r.health),
                        r.status.as_deref().unwrap_or("-"),
                    );
                    for n in &names {
                        let v = values
                            .get(n)
                            .and_then(serde_json::Value::as_f64)
                            .map_or("-".to_string(), |v| format!("{v:.1}"));
                        line.push_str(&format!("  {v:>w$}", w = n.len().max(6)));
                    }
                    let started = r.started.as_deref().unwrap_or_default();
                    let triggered: Vec<String> = r
                        .triggered
                        .iter()
                        .map(|p| match started.contains(p) {
                            true => format!("*{p}"),
                            false => p.clone(),
                        })
                        .collect();
                    line.push_str(&format!(
                        "  {:<13} {}",
                        short(&r.ruleset_hash),
                        triggered.join(" · ")
                    ));
                    writeln!(out, "{}", line.trim_end())
                })
            })
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// One line of `vital history ACCOUNT --format jsonl`.
#[derive(serde::Serialize)]
struct HistoryLine<'a> {
    account: &'a str,
    as_of: String,
    health: Option<f64>,
    status: Option<&'a str>,
    computed_status: Option<&'a str>,
    scores: Option<&'a serde_json::value::RawValue>,
    triggered: &'a [String],
    started: Option<&'a [String]>,
    ruleset: &'a str,
    git_commit: Option<&'a str>,
}

/// The score names of a stored result, in the order the store keeps them.
fn score_names(scores: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Names(#[serde(deserialize_with = "keys")] Vec<String>);
    fn keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Vec<String>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
                    out.push(k);
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
    serde_json::from_str::<Names>(scores)
        .map(|n| n.0)
        .unwrap_or_default()
}

/// JSON text without the white space between its tokens (the stored
/// scores are written spaced; the line around them is not).
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}
