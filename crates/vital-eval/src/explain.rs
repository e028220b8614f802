//! The explanation for people (`vital explain`): why an account scores what
//! it does, one waterfall per score.

use crate::engine::{Engine, Outcome};
use crate::results::{locate, one_decimal, status_name};
use crate::snapshot::Snapshot;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use vital_check::ir::Loc;
use vital_check::value::Value;
use vital_syntax::SourceMap;

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
