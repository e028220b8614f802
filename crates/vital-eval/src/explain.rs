//! The explanation for people (`vital explain`): why an account scores what
//! it does, one waterfall per score.

use crate::engine::{Engine, Outcome, Seen, SeenKind};
use crate::results::{locate, one_decimal, status_name};
use crate::snapshot::Snapshot;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use vital_check::ir::{Loc, ScoreId};
use vital_check::value::Value;
use vital_syntax::SourceMap;
use vital_syntax::{FileId, Span};

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
        out.push_str(&waterfall(engine, sources, o, ScoreId::new(i)));
    }
    out.push('\n');
    if ex.triggers.is_empty() {
        out.push_str("no playbook triggered\n");
    } else {
        out.push_str("playbooks\n");
        for fired in &ex.fired {
            let tr = &rules.triggers[fired.rule];
            let name = tr
                .name
                .as_ref()
                .map_or(String::new(), |n| format!("  (rule {n:?})"));
            let _ = writeln!(out, "  {:?}{name}", tr.playbook);
            if let Some(clauses) = playbook_clauses(engine, snap, &tr.playbook) {
                for (k, line) in wrap(&clauses, 72).into_iter().enumerate() {
                    let _ = writeln!(out, "      {}{line}", if k == 0 { "" } else { "  " });
                }
            }
            let _ = writeln!(out, "      at {}", locate(sources, tr.loc));
            let text = &sources.file(tr.loc.file).text;
            let cond = &text[tr.cond.span.start.min(text.len())..tr.cond.span.end.min(text.len())];
            let cond: String = cond.split_whitespace().collect::<Vec<_>>().join(" ");
            for (k, line) in wrap(&format!("when {cond}"), 72).into_iter().enumerate() {
                let _ = writeln!(out, "      {}{line}", if k == 0 { "" } else { "  " });
            }
            for text in saw(engine, sources, tr.loc.file, &fired.seen) {
                for (k, line) in wrap(&text, 72).into_iter().enumerate() {
                    let _ = writeln!(out, "      {}{line}", if k == 0 { "" } else { "  " });
                }
            }
        }
    }
    let _ = group;
    out
}

/// A playbook's trigger clauses, for people: `cooldown 30 days, owner csm
/// = "dana"` — its cooldown and its owner signal with the snapshot's value
/// (`missing` when it has none). They belong to the playbook, so a rule
/// without them shows those of the other rules that trigger it. `None` when
/// the playbook has neither.
pub fn playbook_clauses(engine: &Engine<'_>, snap: &Snapshot, playbook: &str) -> Option<String> {
    let rules = engine.rules;
    let mut parts = Vec::new();
    if let Some(c) = rules.cooldown(playbook) {
        parts.push(format!("cooldown {c}"));
    }
    if let Some(s) = rules.owner(playbook) {
        if let Some(signal) = rules.signals.get(s.index()) {
            let value = snap.signals.get(s.index()).unwrap_or(&Value::Missing);
            parts.push(format!(
                "owner {} = {}",
                signal.name,
                rules.show_value(value, signal.ty)
            ));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One score's waterfall: base, each rule's amount with its name, source
/// and the signal values it saw, then the clamp. At most 80 columns.
pub fn waterfall(engine: &Engine<'_>, sources: &SourceMap, o: &Outcome, score: ScoreId) -> String {
    let i = score.index();
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
    // `  LABEL  AMOUNT  text`, continuation lines under the text; an
    // amount wider than its column (an exact quotient) still has a space
    // after the label
    let step = |out: &mut String, label: &str, amount: String, lines: Vec<String>| {
        let mut first = true;
        for text in lines {
            for w in wrap(&text, 58) {
                if first {
                    let _ = writeln!(out, "  {label:<4} {amount:>9}   {w}");
                    first = false;
                } else {
                    let _ = writeln!(out, "  {:<4}{:>10}     {w}", "", "");
                }
            }
        }
        if first {
            let _ = writeln!(out, "  {label:<4} {amount:>9}");
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
    let file = score.loc.file;
    match (&score.base, se.base) {
        (None, _) => step(
            &mut out,
            "base",
            "50".into(),
            vec!["the default base".into()],
        ),
        (Some(b), Some(v)) => {
            let mut lines = vec![format!("at {}", base_at(b))];
            lines.extend(saw(engine, sources, file, &se.base_seen));
            step(&mut out, "base", short(v), lines);
        }
        (Some(b), None) => {
            let mut lines = vec![format!("at {}", base_at(b))];
            lines.push(format!(
                "n/a: {}",
                why_missing(engine, sources, file, &se.base_seen)
            ));
            step(&mut out, "base", "missing".into(), lines);
        }
    }
    for t in &se.adjustments {
        let adj = &rules.adjustments[t.rule];
        let name = adj.name.clone().unwrap_or_else(|| "(unnamed rule)".into());
        let (label, amount, name) = match t.amount {
            // a `subtract` of zero is shown as one: `- 0 … (subtracted nothing)`
            Some(a) if a.is_zero() && adj.direction == vital_check::ir::Direction::Subtract => {
                ("-", "0".to_string(), format!("{name} (subtracted nothing)"))
            }
            Some(a) if a.is_zero() => ("+", "0".to_string(), format!("{name} (added nothing)")),
            Some(a) if a < Decimal::ZERO => ("-", short(a.abs()), name),
            Some(a) => ("+", short(a), name),
            None => ("skip", "missing".to_string(), name),
        };
        let mut lines = vec![name, format!("at {}", locate(sources, adj.loc))];
        if t.amount.is_none() {
            lines.push(format!(
                "not applied: the amount is missing ({})",
                why_missing(engine, sources, adj.loc.file, &t.seen)
            ));
        }
        lines.extend(saw(engine, sources, adj.loc.file, &t.seen));
        step(&mut out, label, amount, lines);
    }
    // rules whose condition came to missing: neither applied nor ruled out
    for (a, seen) in &se.undecided {
        let adj = &rules.adjustments[*a];
        let name = adj.name.clone().unwrap_or_else(|| "(unnamed rule)".into());
        let lines = vec![
            format!("{name} (not decided)"),
            format!("at {}", locate(sources, adj.loc)),
            format!(
                "its condition is missing: {}",
                why_missing(engine, sources, adj.loc.file, seen)
            ),
        ];
        step(&mut out, "skip", "–".to_string(), lines);
    }
    if let (Some(raw), Some(v)) = (se.raw, value) {
        let note = if raw > Decimal::ONE_HUNDRED {
            format!("{} clamped to 100", short(raw))
        } else if raw < Decimal::ZERO {
            format!("{} clamped to 0", short(raw))
        } else if raw != v {
            format!("{} rounded to one decimal", short(raw))
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

/// A number for people: as written, up to four decimals; a longer one
/// (a quotient's 28 digits) rounded to four, with `…` to say so.
fn short(d: Decimal) -> String {
    let d = d.normalize();
    let rounded = d.round_dp(4).normalize();
    // short enough as it is, or too small to show in four decimals
    if d.scale() <= 4 || rounded.is_zero() && d.to_string().len() <= 12 {
        return d.to_string();
    }
    if rounded.is_zero() {
        return format!("{}…", d.round_sf(4).unwrap_or(d).normalize());
    }
    format!("{rounded}…")
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

/// The source text of an expression, on one line.
fn text_of(sources: &SourceMap, file: FileId, span: Span) -> String {
    let text = &sources.file(file).text;
    let t = text
        .get(span.start.min(text.len())..span.end.min(text.len()))
        .unwrap_or("");
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn occurrences(n: usize) -> String {
    format!("{n} occurrence{}", if n == 1 { "" } else { "s" })
}

/// What one read came to, for people: `nps = 45`,
/// `change(nps, 30 days) = 15 (45 now, 30 before)`,
/// `count(escalation within 30 days) = 2`.
fn show_seen(engine: &Engine<'_>, sources: &SourceMap, file: FileId, seen: &Seen) -> String {
    let rules = engine.rules;
    let text = text_of(sources, file, seen.span);
    let show = |v: &Value| rules.show_value(v, seen.ty);
    match &seen.what {
        SeenKind::Signal { signal, value } => {
            let name = rules
                .signals
                .get(signal.index())
                .map_or(text.as_str(), |s| s.name.as_str());
            format!("{name} = {}", show(value))
        }
        SeenKind::Change { now, before } => {
            let change = vital_check::value::arith(vital_syntax::ast::ArithOp::Sub, now, before);
            let before = if before.is_missing() {
                "no earlier snapshot to look back at".to_string()
            } else {
                format!("{} before", show(before))
            };
            format!("{text} = {} ({} now, {before})", show(&change), show(now))
        }
        SeenKind::Previous { value } => format!("{text} = {}", show(value)),
        SeenKind::Query { matched, value } => match value {
            Value::Bool(_) => format!("{text}: {}", occurrences(*matched)),
            Value::Num(n)
                if *n == Decimal::from(*matched as u64) && seen.ty == vital_check::Type::Int =>
            {
                format!("{text} = {matched}")
            }
            v => format!("{text} = {} ({})", show(v), occurrences(*matched)),
        },
        SeenKind::Scored { value, .. } if value.is_missing() => format!("{text} = n/a"),
        SeenKind::Scored { value, .. } => format!("{text} = {}", show(value)),
    }
}

/// What one read of a rule came to, for people (`nps = 45`): the history
/// store records it with each playbook start.
pub fn seen_text(engine: &Engine<'_>, sources: &SourceMap, file: FileId, seen: &Seen) -> String {
    show_seen(engine, sources, file, seen)
}

/// `saw a = 1, b = 2` for the reads of a rule (nothing when it read none).
fn saw(engine: &Engine<'_>, sources: &SourceMap, file: FileId, seen: &[Seen]) -> Vec<String> {
    if seen.is_empty() {
        return Vec::new();
    }
    let all: Vec<String> = seen
        .iter()
        .map(|s| show_seen(engine, sources, file, s))
        .collect();
    vec![format!("saw {}", all.join(", "))]
}

/// Why an expression came to missing: the reads that were missing.
fn why_missing(engine: &Engine<'_>, sources: &SourceMap, file: FileId, seen: &[Seen]) -> String {
    let rules = engine.rules;
    let mut why: Vec<String> = Vec::new();
    for s in seen {
        let text = text_of(sources, file, s.span);
        match &s.what {
            SeenKind::Signal { signal, value } if value.is_missing() => {
                let name = rules
                    .signals
                    .get(signal.index())
                    .map_or(text, |s| s.name.clone());
                why.push(format!("{name} is missing"));
            }
            SeenKind::Change { now, .. } if now.is_missing() => {
                why.push(format!("{text} has no current value"))
            }
            SeenKind::Change { before, .. } if before.is_missing() => {
                why.push(format!("{text} has no earlier snapshot to look back at"))
            }
            SeenKind::Previous { value } if value.is_missing() => {
                why.push(format!("{text} is missing"))
            }
            SeenKind::Query { matched, value } if value.is_missing() => {
                why.push(format!("{text} is missing ({})", occurrences(*matched)))
            }
            SeenKind::Scored { value, .. } if value.is_missing() => {
                why.push(format!("{text} is n/a"))
            }
            _ => {}
        }
    }
    if why.is_empty() {
        // nothing it read was missing: say what it read, so the zero
        // divisor (or the huge operand) can be seen
        let read: Vec<String> = seen
            .iter()
            .map(|s| show_seen(engine, sources, file, s))
            .collect();
        if read.is_empty() {
            "it came to missing (a division by zero or an overflow)".to_string()
        } else {
            format!(
                "it came to missing (a division by zero or an overflow) from {}",
                read.join(", ")
            )
        }
    } else {
        why.join(", ")
    }
}

/// What part of a score a [`Step`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The score's base (a `band` arm, a formula, or 50).
    Base,
    /// An adjustment rule (index into the rule set's adjustments).
    Adjustment(usize),
    /// Clamping to 0–100 (and the rounding with it).
    Clamp,
}

/// One part of a score that differs between two outcomes of the same rules
/// (an account on two nights): a base that came to another value, an
/// adjustment that applied on one night only or with another amount, or the
/// clamp to 0–100.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub score: ScoreId,
    pub part: Part,
    /// The base, the adjustment's signed amount (`None`: it did not apply)
    /// or what the clamp took, on the earlier night and now.
    pub before: Option<Decimal>,
    pub now: Option<Decimal>,
    /// Its part of the change in health, in health points: its change in
    /// score points times the score's weight over the weights of the scores
    /// with a value on both nights (as the waterfall's "% of health").
    pub health: Decimal,
}

/// The rules behind the change of an account's result between an earlier
/// outcome and the current one, both evaluated with explanation by the same
/// engine: per score with a value on both nights, each part whose amount
/// differs, largest effect on health first. What the steps leave of the
/// change in health is rounding and scores that are n/a on one night.
pub fn change(engine: &Engine<'_>, before: &Outcome, now: &Outcome) -> Vec<Step> {
    let rules = engine.rules;
    let (Some(eb), Some(en)) = (&before.explain, &now.explain) else {
        return Vec::new();
    };
    let both = |i: usize| {
        before.scored.scores.get(i).copied().flatten().is_some()
            && now.scored.scores.get(i).copied().flatten().is_some()
    };
    let weights: Decimal = rules
        .scores
        .iter()
        .enumerate()
        .filter(|(i, _)| both(*i))
        .map(|(_, s)| s.weight)
        .sum();
    if weights.is_zero() {
        return Vec::new();
    }
    let mut steps = Vec::new();
    for (i, score) in rules.scores.iter().enumerate() {
        let (Some(sb), Some(sn)) = (eb.scores.get(i), en.scores.get(i)) else {
            continue;
        };
        if !both(i) {
            continue;
        }
        let share = score.weight / weights;
        let mut push = |part: Part, b: Option<Decimal>, n: Option<Decimal>| {
            let points = n.unwrap_or_default() - b.unwrap_or_default();
            if !points.is_zero() {
                steps.push(Step {
                    score: ScoreId::new(i),
                    part,
                    before: b,
                    now: n,
                    health: points * share,
                });
            }
        };
        push(Part::Base, sb.base, sn.base);
        let mut rules_fired: Vec<usize> = sb
            .applied
            .iter()
            .chain(&sn.applied)
            .map(|(r, _)| *r)
            .collect();
        rules_fired.sort_unstable();
        rules_fired.dedup();
        let amount = |se: &crate::engine::ScoreExplain, r: usize| -> Option<Decimal> {
            let mut found = None;
            for (a, v) in &se.applied {
                if *a == r {
                    found = Some(found.unwrap_or(Decimal::ZERO) + *v);
                }
            }
            found
        };
        for r in rules_fired {
            push(Part::Adjustment(r), amount(sb, r), amount(sn, r));
        }
        // what clamping took: the score minus its raw sum, when outside 0–100
        let clamp = |se: &crate::engine::ScoreExplain, o: &Outcome| -> Option<Decimal> {
            let raw = se.raw?;
            let v = o.scored.scores.get(i).copied().flatten()?;
            (raw < Decimal::ZERO || raw > Decimal::ONE_HUNDRED).then(|| v - raw)
        };
        let (cb, cn) = (clamp(sb, before), clamp(sn, now));
        if cb.is_some() || cn.is_some() {
            push(Part::Clamp, cb, cn);
        }
    }
    steps.sort_by_key(|s| std::cmp::Reverse(s.health.abs()));
    steps
}

/// What a step's part read in an outcome (`feature_usage = 18%`), as
/// `vital explain` shows it; nothing when it did not apply there.
pub fn step_reads(
    engine: &Engine<'_>,
    sources: &SourceMap,
    o: &Outcome,
    step: &Step,
) -> Vec<String> {
    let rules = engine.rules;
    let Some(se) = o
        .explain
        .as_ref()
        .and_then(|e| e.scores.get(step.score.index()))
    else {
        return Vec::new();
    };
    let (file, seen) = match step.part {
        Part::Base => match rules.scores.get(step.score.index()) {
            Some(s) => (s.loc.file, se.base_seen.as_slice()),
            None => return Vec::new(),
        },
        Part::Adjustment(r) => match (
            rules.adjustments.get(r),
            se.adjustments.iter().find(|t| t.rule == r),
        ) {
            (Some(a), Some(t)) => (a.loc.file, t.seen.as_slice()),
            _ => return Vec::new(),
        },
        Part::Clamp => return Vec::new(),
    };
    seen.iter()
        .map(|s| show_seen(engine, sources, file, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vital_syntax::SourceFile;

    const RULES: &str = r#"signal usage: percent
signal tickets: int
score adoption weight 3 = band usage {
  < 20% => 10
  < 50% => 50
  otherwise => 90
}
score support weight 1 = 100
rule "tickets" when tickets > 2 subtract 20 from support
rule "many" when tickets > 5 subtract 100 from support
status {
  ok  when health >= 50
  bad otherwise
}
test "t" {
  as_of 2026-11-15
  given {
    usage = 30%
    tickets = 6
  }
  history {
    on 2026-11-01 {
      usage = 60%
      tickets = 1
    }
  }
  expect health == 37.5
}
"#;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    /// Health 92.5 → 37.5: adoption's band arm 90 → 50 (weight 3 of 4),
    /// two rules fired now on support (weight 1 of 4), which went below 0
    /// and was clamped; the steps add up to the change.
    #[test]
    fn change_names_the_parts_that_differ() {
        let mut m = SourceMap::new();
        m.add(SourceFile::new("a.vital", RULES));
        let c = vital_check::check(&m);
        let Some(rules) = c.valid() else {
            panic!("{:#?}", c.diagnostics)
        };
        let engine = Engine::new(rules);
        let snaps = crate::testing::snapshots(rules, &rules.tests[0]);
        let o = engine.evaluate_group(&snaps, true);
        assert_eq!(o[0].scored.health, Some(d("92.5")));
        assert_eq!(o[1].scored.health, Some(d("37.5")));
        let steps = change(&engine, &o[0], &o[1]);
        type Row = (usize, Part, Option<Decimal>, Option<Decimal>, Decimal);
        let got: Vec<Row> = steps
            .iter()
            .map(|s| (s.score.index(), s.part, s.before, s.now, s.health))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, Part::Base, Some(d("90")), Some(d("50")), d("-30")),
                (1, Part::Adjustment(1), None, Some(d("-100")), d("-25")),
                (1, Part::Adjustment(0), None, Some(d("-20")), d("-5")),
                (1, Part::Clamp, None, Some(d("20")), d("5")),
            ]
        );
        let sum: Decimal = steps.iter().map(|s| s.health).sum();
        assert_eq!(sum, d("-55"));
        // what each read, on the night it applied
        assert_eq!(step_reads(&engine, &m, &o[1], &steps[0]), ["usage = 30%"]);
        assert_eq!(step_reads(&engine, &m, &o[0], &steps[0]), ["usage = 60%"]);
        assert_eq!(step_reads(&engine, &m, &o[1], &steps[1]), ["tickets = 6"]);
        assert!(step_reads(&engine, &m, &o[0], &steps[1]).is_empty());
        // the same night: nothing differs
        assert!(change(&engine, &o[1], &o[1]).is_empty());
    }
}
