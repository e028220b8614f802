//! Results (§8): JSON Lines, CSV, an aligned table, and the explanation for
//! people (`vital explain`).

use crate::engine::{Engine, Outcome};
use crate::snapshot::Snapshot;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use vital_check::ir::{Loc, Type};
use vital_check::value::Value;
use vital_syntax::SourceMap;

/// `path:line:col` of a location.
pub fn locate(sources: &SourceMap, loc: Loc) -> String {
    let f = sources.file(loc.file);
    let lc = f.line_col(loc.span.start);
    format!("{}:{}:{}", f.path, lc.line, lc.column)
}

fn one_decimal(d: Decimal) -> String {
    format!("{:.1}", d)
}

/// A JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt_num(out: &mut String, d: Option<Decimal>) {
    match d {
        Some(d) => out.push_str(&one_decimal(d)),
        None => out.push_str("null"),
    }
}

/// A value as JSON (explain's `reads`).
fn json_value(out: &mut String, engine: &Engine<'_>, v: &Value, ty: Type) {
    match v {
        Value::Missing => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(d) => out.push_str(&d.normalize().to_string()),
        Value::Text(t) => json_str(out, t),
        Value::Date(d) => json_str(out, &d.format("%Y-%m-%d").to_string()),
        Value::Duration(d) => json_str(out, &d.to_string()),
        Value::Enum(_) | Value::Status(_) => json_str(out, &engine.rules.show_value(v, ty)),
    }
}

fn status_name<'a>(engine: &'a Engine<'_>, s: Option<u32>) -> Option<&'a str> {
    s.and_then(|i| engine.rules.status.get(i as usize))
        .map(|a| a.name.as_str())
}

/// One result object of `--format jsonl` (without the newline).
pub fn jsonl(
    out: &mut String,
    engine: &Engine<'_>,
    sources: &SourceMap,
    snap: &Snapshot,
    o: &Outcome,
) {
    out.push_str("{\"account\": ");
    json_str(out, &snap.account);
    let _ = write!(
        out,
        ", \"as_of\": \"{}\", \"health\": ",
        snap.as_of.format("%Y-%m-%d")
    );
    json_opt_num(out, o.scored.health);
    out.push_str(", \"status\": ");
    match status_name(engine, o.status) {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
    out.push_str(", \"computed_status\": ");
    match status_name(engine, o.computed_status) {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
    out.push_str(", \"scores\": {");
    for (i, (score, v)) in engine.rules.scores.iter().zip(&o.scored.scores).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        json_str(out, &score.name);
        out.push_str(": ");
        json_opt_num(out, *v);
    }
    out.push_str("}, \"triggered\": [");
    for (i, p) in o.triggered.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        json_str(
            out,
            engine.playbooks.get(*p as usize).map_or("", |s| s.as_str()),
        );
    }
    out.push_str("], \"override\": ");
    match snap.override_in_force() {
        Some(ov) => {
            out.push_str("{\"status\": ");
            json_str(out, status_name(engine, Some(ov.status)).unwrap_or(""));
            out.push_str(", \"until\": ");
            match ov.until {
                Some(u) => json_str(out, &u.format("%Y-%m-%d").to_string()),
                None => out.push_str("null"),
            }
            out.push_str(", \"reason\": ");
            match &ov.reason {
                Some(r) => json_str(out, r),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        None => out.push_str("null"),
    }
    if let Some(ex) = &o.explain {
        out.push_str(", \"explain\": {\"scores\": {");
        for (i, (score, se)) in engine.rules.scores.iter().zip(&ex.scores).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            json_str(out, &score.name);
            out.push_str(": {\"base\": ");
            json_opt_num(out, se.base);
            out.push_str(", \"base_source\": ");
            match &score.base {
                Some(b) => json_str(
                    out,
                    &locate(
                        sources,
                        Loc {
                            file: score.loc.file,
                            span: b.span,
                        },
                    ),
                ),
                None => out.push_str("null"),
            }
            out.push_str(", \"adjustments\": [");
            for (k, (a, amount)) in se.applied.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                let adj = &engine.rules.adjustments[*a];
                out.push_str("{\"rule\": ");
                match &adj.name {
                    Some(n) => json_str(out, n),
                    None => out.push_str("null"),
                }
                out.push_str(", \"source\": ");
                json_str(out, &locate(sources, adj.loc));
                let _ = write!(out, ", \"amount\": {}", amount.normalize());
                out.push_str(", \"reads\": ");
                reads_json(out, engine, snap, &adj.reads);
                out.push('}');
            }
            out.push_str("], \"value\": ");
            json_opt_num(out, o.scored.scores.get(i).copied().flatten());
            out.push('}');
        }
        out.push_str("}, \"triggers\": [");
        for (k, t) in ex.triggers.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let tr = &engine.rules.triggers[*t];
            out.push_str("{\"rule\": ");
            match &tr.name {
                Some(n) => json_str(out, n),
                None => out.push_str("null"),
            }
            out.push_str(", \"playbook\": ");
            json_str(out, &tr.playbook);
            out.push_str(", \"source\": ");
            json_str(out, &locate(sources, tr.loc));
            out.push_str(", \"reads\": ");
            reads_json(out, engine, snap, &tr.reads);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push('}');
}

fn reads_json(out: &mut String, engine: &Engine<'_>, snap: &Snapshot, reads: &[u32]) {
    out.push('{');
    for (k, s) in reads.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        let sig = &engine.rules.signals[*s as usize];
        json_str(out, &sig.name);
        out.push_str(": ");
        json_value(
            out,
            engine,
            snap.signals.get(*s as usize).unwrap_or(&Value::Missing),
            sig.ty,
        );
    }
    out.push('}');
}

/// A CSV field, quoted when needed (RFC 4180).
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

pub fn csv_header(engine: &Engine<'_>) -> String {
    let mut out = String::from("account,as_of,health,status,computed_status");
    for s in &engine.rules.scores {
        out.push(',');
        csv_field(&mut out, &s.name);
    }
    out.push_str(",triggered");
    out
}

pub fn csv_row(out: &mut String, engine: &Engine<'_>, snap: &Snapshot, o: &Outcome) {
    csv_field(out, &snap.account);
    let _ = write!(out, ",{},", snap.as_of.format("%Y-%m-%d"));
    if let Some(h) = o.scored.health {
        out.push_str(&one_decimal(h));
    }
    out.push(',');
    csv_field(out, status_name(engine, o.status).unwrap_or(""));
    out.push(',');
    csv_field(out, status_name(engine, o.computed_status).unwrap_or(""));
    for v in &o.scored.scores {
        out.push(',');
        if let Some(v) = v {
            out.push_str(&one_decimal(*v));
        }
    }
    out.push(',');
    let pbs: Vec<&str> = o
        .triggered
        .iter()
        .filter_map(|p| engine.playbooks.get(*p as usize).map(|s| s.as_str()))
        .collect();
    csv_field(out, &pbs.join(";"));
}

/// An aligned table for people. `color` adds ANSI colours to statuses (the
/// first arm green, the last red, others yellow).
pub fn table(engine: &Engine<'_>, rows: &[(&Snapshot, &Outcome)], color: bool) -> String {
    let mut header: Vec<String> = vec![
        "ACCOUNT".into(),
        "AS OF".into(),
        "HEALTH".into(),
        "STATUS".into(),
    ];
    header.extend(engine.rules.scores.iter().map(|s| s.name.to_uppercase()));
    header.push("TRIGGERED".into());
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for (snap, o) in rows {
        let mut r = vec![
            snap.account.to_string(),
            snap.as_of.format("%Y-%m-%d").to_string(),
            o.scored.health.map_or("n/a".into(), one_decimal),
            {
                let s = status_name(engine, o.status).unwrap_or("-").to_string();
                if o.override_in_force {
                    format!("{s}*")
                } else {
                    s
                }
            },
        ];
        r.extend(
            o.scored
                .scores
                .iter()
                .map(|v| v.map_or("n/a".into(), one_decimal)),
        );
        r.push(
            o.triggered
                .iter()
                .filter_map(|p| engine.playbooks.get(*p as usize).map(|s| s.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        );
        cells.push(r);
    }
    let cols = header.len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .chain(std::iter::once(header[c].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric = |c: usize| c == 2 || (c >= 4 && c < cols - 1);
    let mut out = String::new();
    let line = |out: &mut String, r: &[String], statuses: Option<Option<u32>>| {
        let mut parts = Vec::with_capacity(cols);
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            let mut text = if numeric(c) {
                format!("{}{cell}", " ".repeat(pad))
            } else if c == cols - 1 {
                cell.clone()
            } else {
                format!("{cell}{}", " ".repeat(pad))
            };
            if c == 3 && color {
                if let Some(Some(s)) = statuses {
                    let last = engine.rules.status.len().saturating_sub(1) as u32;
                    let code = if s == 0 {
                        "32"
                    } else if s == last {
                        "31"
                    } else {
                        "33"
                    };
                    text = format!("\u{1b}[{code}m{text}\u{1b}[0m");
                }
            }
            parts.push(text);
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut out, &header, None);
    for (r, (_, o)) in cells.iter().zip(rows) {
        line(&mut out, r, Some(o.status));
    }
    if rows.iter().any(|(_, o)| o.override_in_force) {
        out.push_str("* status set by an override\n");
    }
    out
}

/// Why an account scores what it does, for people (80 columns).
pub fn explain_text(
    engine: &Engine<'_>,
    sources: &SourceMap,
    group: &[Snapshot],
    idx: usize,
    o: &Outcome,
) -> String {
    let rules = engine.rules;
    let snap = &group[idx];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — as of {}",
        snap.account,
        snap.as_of.format("%Y-%m-%d")
    );
    let status = status_name(engine, o.status).unwrap_or("-");
    let health = o.scored.health.map_or("n/a".to_string(), one_decimal);
    let _ = writeln!(out, "health {health}   status {status}");
    if let Some(ov) = snap.override_in_force() {
        let until = ov.until.map_or("further notice".to_string(), |u| {
            u.format("%Y-%m-%d").to_string()
        });
        let _ = writeln!(
            out,
            "  set by an override until {until}; the rules say {}",
            status_name(engine, o.computed_status).unwrap_or("-")
        );
        if let Some(r) = &ov.reason {
            for line in wrap(&format!("reason: {r}"), 76) {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    let Some(ex) = &o.explain else { return out };
    for i in 0..rules.scores.len() {
        out.push('\n');
        out.push_str(&waterfall(engine, sources, snap, o, i));
    }
    out.push('\n');
    if ex.triggers.is_empty() {
        out.push_str("no playbook triggered\n");
    } else {
        out.push_str("playbooks\n");
        for t in &ex.triggers {
            let tr = &rules.triggers[*t];
            let name = tr
                .name
                .as_ref()
                .map_or(String::new(), |n| format!("  (rule {n:?})"));
            let _ = writeln!(out, "  {:?}{name}", tr.playbook);
            let _ = writeln!(out, "      at {}", locate(sources, tr.loc));
            let text = &sources.file(tr.loc.file).text;
            let cond = &text[tr.cond.span.start.min(text.len())..tr.cond.span.end.min(text.len())];
            let cond: String = cond.split_whitespace().collect::<Vec<_>>().join(" ");
            for (k, line) in wrap(&format!("when {cond}"), 72).into_iter().enumerate() {
                let _ = writeln!(out, "      {}{line}", if k == 0 { "" } else { "  " });
            }
        }
    }
    let _ = group;
    out
}

/// One score's waterfall: base, each rule's amount with its name, source
/// and the signal values it saw, then the clamp. At most 80 columns.
pub fn waterfall(
    engine: &Engine<'_>,
    sources: &SourceMap,
    snap: &Snapshot,
    o: &Outcome,
    i: usize,
) -> String {
    let rules = engine.rules;
    let mut out = String::new();
    let Some(ex) = &o.explain else { return out };
    let (Some(score), Some(se)) = (rules.scores.get(i), ex.scores.get(i)) else {
        return out;
    };
    let value = o.scored.scores.get(i).copied().flatten();
    let total_weight: Decimal = rules
        .scores
        .iter()
        .zip(&o.scored.scores)
        .filter(|(_, v)| v.is_some())
        .map(|(s, _)| s.weight)
        .sum();
    let share = match value {
        Some(_) if !total_weight.is_zero() => {
            format!(
                "{}% of health",
                (score.weight * Decimal::ONE_HUNDRED / total_weight).round_dp(0)
            )
        }
        _ => "not counted in health".to_string(),
    };
    let _ = writeln!(
        out,
        "{}  {}   weight {}, {share}",
        score.name,
        value.map_or("n/a".to_string(), one_decimal),
        score.weight.normalize()
    );
    // `  LABEL  AMOUNT  text`, continuation lines under the text
    let step = |out: &mut String, label: &str, amount: String, lines: Vec<String>| {
        let mut first = true;
        for text in lines {
            for w in wrap(&text, 58) {
                if first {
                    let _ = writeln!(out, "  {label:<4}{amount:>10}   {w}");
                    first = false;
                } else {
                    let _ = writeln!(out, "  {:<4}{:>10}     {w}", "", "");
                }
            }
        }
        if first {
            let _ = writeln!(out, "  {label:<4}{amount:>10}");
        }
    };
    let base_at = |b: &vital_check::ir::Expr| {
        locate(
            sources,
            Loc {
                file: score.loc.file,
                span: b.span,
            },
        )
    };
    match (&score.base, se.base) {
        (None, _) => step(
            &mut out,
            "base",
            "50".into(),
            vec!["the default base".into()],
        ),
        (Some(b), Some(v)) => step(
            &mut out,
            "base",
            v.normalize().to_string(),
            vec![format!("at {}", base_at(b))],
        ),
        (Some(b), None) => step(
            &mut out,
            "base",
            "missing".into(),
            vec![
                format!("at {}", base_at(b)),
                "a value it reads is missing, so the score is n/a".into(),
            ],
        ),
    }
    for (a, amount) in &se.applied {
        let adj = &rules.adjustments[*a];
        let sign = if *amount < Decimal::ZERO { "-" } else { "+" };
        let mut lines = vec![
            adj.name.clone().unwrap_or_else(|| "(unnamed rule)".into()),
            format!("at {}", locate(sources, adj.loc)),
        ];
        if !adj.reads.is_empty() {
            let seen: Vec<String> = adj
                .reads
                .iter()
                .map(|s| {
                    let sig = &rules.signals[*s as usize];
                    let v = snap.signals.get(*s as usize).unwrap_or(&Value::Missing);
                    format!("{} = {}", sig.name, rules.show_value(v, sig.ty))
                })
                .collect();
            lines.push(format!("saw {}", seen.join(", ")));
        }
        step(&mut out, sign, amount.abs().normalize().to_string(), lines);
    }
    if let (Some(raw), Some(v)) = (se.raw, value) {
        let note = if raw > Decimal::ONE_HUNDRED {
            format!("{} clamped to 100", raw.normalize())
        } else if raw < Decimal::ZERO {
            format!("{} clamped to 0", raw.normalize())
        } else if raw != v {
            format!("{} rounded to one decimal", raw.normalize())
        } else {
            String::new()
        };
        let lines = if note.is_empty() {
            Vec::new()
        } else {
            vec![note]
        };
        step(&mut out, "=", one_decimal(v), lines);
    }
    out
}

/// Words of `s` in lines of at most `width` characters.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in s.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}
