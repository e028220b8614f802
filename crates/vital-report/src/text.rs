//! `vital summary`'s formats: a table for people, CSV, one JSON document,
//! JSON Lines.

use crate::{money, number, thousands, Rollup, Summary};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::fmt::Write;

const NONE: &str = "(none)";

fn num(d: Decimal) -> Value {
    let s = d.normalize().to_string();
    serde_json::from_str::<serde_json::Number>(&s)
        .map(Value::Number)
        .unwrap_or(Value::String(s))
}

fn opt(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, num)
}

fn names(s: &Summary, arms: &[usize]) -> Vec<String> {
    arms.iter()
        .filter_map(|i| s.frame.statuses.get(*i).cloned())
        .collect()
}

/// One rollup as a JSON object.
fn rollup_json(s: &Summary, r: &Rollup) -> Map<String, Value> {
    let f = &s.frame;
    let valued = f.value.is_some();
    let tally = |t: &crate::Tally| {
        let mut m = Map::new();
        m.insert("accounts".into(), json!(t.accounts));
        if valued {
            m.insert("value".into(), num(t.value));
        }
        Value::Object(m)
    };
    let mut m = Map::new();
    if !f.by.is_empty() && !r.group.is_empty() {
        let mut g = Map::new();
        for (name, v) in f.by.iter().zip(&r.group) {
            g.insert(name.clone(), v.clone().map_or(Value::Null, Value::String));
        }
        m.insert("group".into(), Value::Object(g));
    }
    m.insert("accounts".into(), json!(r.total.accounts));
    if valued {
        m.insert("value".into(), num(r.total.value));
    }
    let mut st = Map::new();
    for (name, t) in f.statuses.iter().zip(&r.statuses) {
        st.insert(name.clone(), tally(t));
    }
    m.insert("statuses".into(), Value::Object(st));
    m.insert("no_status".into(), json!(r.no_status.accounts));
    let mut healthy = tally(&r.healthy);
    if let Value::Object(h) = &mut healthy {
        h.insert("share".into(), opt(r.healthy_share()));
    }
    m.insert("healthy".into(), healthy);
    let mut risk = tally(&r.at_risk);
    if let Value::Object(h) = &mut risk {
        h.insert("share".into(), opt(r.at_risk_share()));
    }
    m.insert("at_risk".into(), risk);
    let mut health = Map::new();
    health.insert("scored".into(), json!(r.scored));
    health.insert("mean".into(), opt(r.mean_health));
    health.insert("median".into(), opt(r.median_health));
    if valued {
        health.insert("weighted".into(), opt(r.weighted_health));
    }
    m.insert("health".into(), Value::Object(health));
    let mut pb = Map::new();
    for (i, name) in f.playbooks.iter().enumerate() {
        pb.insert(
            name.clone(),
            json!({
                "triggered": r.triggered.get(i).copied().unwrap_or(0),
                "started": r.started.get(i).copied().unwrap_or(0),
            }),
        );
    }
    m.insert("playbooks".into(), Value::Object(pb));
    m
}

/// The whole summary as one JSON document.
pub fn json(s: &Summary) -> String {
    let f = &s.frame;
    let mut m = Map::new();
    m.insert("title".into(), json!(f.title));
    m.insert("source".into(), json!(s.source));
    m.insert(
        "as_of".into(),
        json!(s.as_of.map(|d| d.format("%Y-%m-%d").to_string())),
    );
    m.insert("statuses".into(), json!(f.statuses));
    m.insert("healthy_statuses".into(), json!(names(s, &f.healthy)));
    m.insert("at_risk_statuses".into(), json!(names(s, &f.at_risk)));
    m.insert("value_signal".into(), json!(f.value));
    m.insert("by".into(), json!(f.by));
    m.insert("records".into(), json!(s.records));
    m.insert("rejected".into(), json!(s.rejected));
    m.insert("total".into(), Value::Object(rollup_json(s, &s.total)));
    m.insert(
        "groups".into(),
        Value::Array(
            s.groups
                .iter()
                .map(|g| Value::Object(rollup_json(s, g)))
                .collect(),
        ),
    );
    let mut out = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
    out.push('\n');
    out
}

/// One line per group (`"group": {...}`), after the total (`"group": null`).
pub fn jsonl(s: &Summary) -> String {
    let mut out = String::new();
    let mut total = rollup_json(s, &s.total);
    total.insert("group".into(), Value::Null);
    total.insert("records".into(), json!(s.records));
    total.insert("rejected".into(), json!(s.rejected));
    for obj in std::iter::once(total).chain(s.groups.iter().map(|g| rollup_json(s, g))) {
        out.push_str(&Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

fn csv_field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

fn plain(d: Option<Decimal>) -> String {
    d.map(|d| d.normalize().to_string()).unwrap_or_default()
}

/// A header and one row per group (the total first, its group columns
/// `(all)`); a missing group value is `(none)`.
pub fn csv(s: &Summary) -> String {
    let f = &s.frame;
    let valued = f.value.is_some();
    let mut head: Vec<String> = f.by.clone();
    head.push("accounts".into());
    if valued {
        head.push("value".into());
    }
    for st in &f.statuses {
        head.push(st.clone());
        if valued {
            head.push(format!("{st}_value"));
        }
    }
    head.extend(
        [
            "no_status",
            "healthy",
            "healthy_share",
            "at_risk",
            "at_risk_share",
        ]
        .map(String::from),
    );
    if valued {
        head.push("at_risk_value".into());
    }
    head.extend(["mean_health", "median_health"].map(String::from));
    if valued {
        head.push("weighted_health".into());
    }
    for p in &f.playbooks {
        head.push(format!("triggered:{p}"));
        head.push(format!("started:{p}"));
    }
    let mut out = String::new();
    for (i, h) in head.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(&mut out, h);
    }
    out.push('\n');
    let rows = std::iter::once(&s.total).chain(&s.groups);
    for (k, r) in rows.enumerate() {
        let mut cells: Vec<String> = if k == 0 {
            vec!["(all)".to_string(); f.by.len()]
        } else {
            r.group
                .iter()
                .map(|g| g.clone().unwrap_or_else(|| NONE.into()))
                .collect()
        };
        cells.push(r.total.accounts.to_string());
        if valued {
            cells.push(r.total.value.normalize().to_string());
        }
        for t in &r.statuses {
            cells.push(t.accounts.to_string());
            if valued {
                cells.push(t.value.normalize().to_string());
            }
        }
        cells.push(r.no_status.accounts.to_string());
        cells.push(r.healthy.accounts.to_string());
        cells.push(plain(r.healthy_share()));
        cells.push(r.at_risk.accounts.to_string());
        cells.push(plain(r.at_risk_share()));
        if valued {
            cells.push(r.at_risk.value.normalize().to_string());
        }
        cells.push(plain(r.mean_health));
        cells.push(plain(r.median_health));
        if valued {
            cells.push(plain(r.weighted_health));
        }
        for (t, st) in r.triggered.iter().zip(&r.started) {
            cells.push(t.to_string());
            cells.push(st.to_string());
        }
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, c);
        }
        out.push('\n');
    }
    out
}

/// A share with one decimal, as docs/report.md shows it (`34.0%`, not
/// `34%`).
fn pct(d: Option<Decimal>) -> String {
    d.map(|mut d| {
        d.rescale(1);
        format!("{d}%")
    })
    .unwrap_or_else(|| "–".into())
}

fn health(d: Option<Decimal>) -> String {
    d.map(number).unwrap_or_else(|| "n/a".into())
}

/// Lay out rows of cells: the first `left` columns left-aligned, the others
/// right-aligned, two spaces apart.
fn grid(rows: &[Vec<String>], left: usize) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; n];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(c.chars().count());
            if i < left {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The summary for people.
pub fn table(s: &Summary) -> String {
    let f = &s.frame;
    let r = &s.total;
    let vname = f.value.as_deref().unwrap_or("value");
    let mut out = String::new();
    let mut head = Vec::new();
    if let Some(t) = &f.title {
        head.push(t.clone());
    }
    if let Some(d) = s.as_of {
        head.push(format!("as of {}", d.format("%Y-%m-%d")));
    }
    head.push(format!(
        "{} account{}",
        thousands(r.total.accounts),
        if r.total.accounts == 1 { "" } else { "s" }
    ));
    if f.value.is_some() {
        head.push(format!("{vname} {}", money(r.total.value)));
    }
    let _ = writeln!(out, "{}", head.join(" · "));
    out.push('\n');
    // per status
    let mut rows = vec![{
        let mut h = vec!["status".to_string(), "accounts".into(), "share".into()];
        if f.value.is_some() {
            h.push(vname.to_string());
            h.push("share".into());
        }
        h
    }];
    let mut arm_rows: Vec<(String, crate::Tally)> = f
        .statuses
        .iter()
        .cloned()
        .zip(r.statuses.iter().copied())
        .collect();
    if r.no_status.accounts > 0 {
        arm_rows.push(("(no status)".into(), r.no_status));
    }
    for (name, t) in arm_rows {
        let mut row = vec![
            name,
            thousands(t.accounts),
            pct(crate::share(t.accounts, r.total.accounts)),
        ];
        if f.value.is_some() {
            row.push(money(t.value));
            row.push(pct(value_share(t.value, r.total.value)));
        }
        rows.push(row);
    }
    out.push_str(&grid(&rows, 1));
    out.push('\n');
    let mut h = format!(
        "health: mean {} · median {}",
        health(r.mean_health),
        health(r.median_health)
    );
    if f.value.is_some() {
        let _ = write!(h, " · {vname}-weighted {}", health(r.weighted_health));
    }
    let _ = writeln!(out, "{h}");
    let arms = |idx: &[usize]| names(s, idx).join(", ");
    let mut line = format!(
        "healthy ({}): {} ({})",
        arms(&f.healthy),
        thousands(r.healthy.accounts),
        pct(r.healthy_share())
    );
    if f.value.is_some() {
        let _ = write!(line, ", {vname} {}", money(r.healthy.value));
    }
    let _ = writeln!(out, "{line}");
    let mut line = format!(
        "at risk ({}): {} ({})",
        arms(&f.at_risk),
        thousands(r.at_risk.accounts),
        pct(r.at_risk_share())
    );
    if f.value.is_some() {
        let _ = write!(line, ", {vname} {}", money(r.at_risk.value));
    }
    let _ = writeln!(out, "{line}");
    let fired: Vec<String> = f
        .playbooks
        .iter()
        .enumerate()
        .filter(|(i, _)| r.triggered.get(*i).copied().unwrap_or(0) > 0)
        .map(|(i, p)| {
            format!(
                "{p} {} triggered, {} started",
                thousands(r.triggered.get(i).copied().unwrap_or(0)),
                thousands(r.started.get(i).copied().unwrap_or(0))
            )
        })
        .collect();
    if fired.is_empty() {
        out.push_str("playbooks: none triggered\n");
    } else {
        out.push_str("playbooks:\n");
        for p in fired {
            let _ = writeln!(out, "  {p}");
        }
    }
    let _ = writeln!(
        out,
        "rejected: {} of {} records",
        thousands(s.rejected),
        thousands(s.records)
    );
    if !s.groups.is_empty() {
        out.push('\n');
        let mut head: Vec<String> = f.by.clone();
        head.extend(["accounts".to_string()]);
        if f.value.is_some() {
            head.push(vname.to_string());
        }
        head.extend(["mean", "median"].map(String::from));
        if f.value.is_some() {
            head.push("weighted".into());
        }
        head.extend(["healthy", "at risk"].map(String::from));
        if f.value.is_some() {
            head.push(format!("{vname} at risk"));
        }
        head.extend(f.statuses.iter().cloned());
        let mut rows = vec![head];
        for g in &s.groups {
            let mut row: Vec<String> = g
                .group
                .iter()
                .map(|v| v.clone().unwrap_or_else(|| NONE.into()))
                .collect();
            row.push(thousands(g.total.accounts));
            if f.value.is_some() {
                row.push(money(g.total.value));
            }
            row.push(health(g.mean_health));
            row.push(health(g.median_health));
            if f.value.is_some() {
                row.push(health(g.weighted_health));
            }
            row.push(pct(g.healthy_share()));
            row.push(thousands(g.at_risk.accounts));
            if f.value.is_some() {
                row.push(money(g.at_risk.value));
            }
            for t in &g.statuses {
                row.push(thousands(t.accounts));
            }
            rows.push(row);
        }
        out.push_str(&grid(&rows, f.by.len()));
    }
    out
}

/// `part` of `whole` in percent, one decimal.
pub(crate) fn value_share(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    Some(crate::round(part * Decimal::from(100) / whole, 1))
}
