//! `vital init --from`: the project written from an inferred [`Sample`]:
//! `vital.toml`, the signal and event declarations, two starter scores, the
//! status block, one trigger and one test.
//!
//! Only what a rule reads is declared; the sample's other columns are
//! written as commented-out declarations with their inferred types, so the
//! rule set checks without unused-signal warnings and a column is one
//! uncommented line away.

use super::infer::{number_literal, words, Column, Event, Kind, Sample};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The status arms when the sample's overrides name none: best first.
const DEFAULT_ARMS: [&str; 3] = ["healthy", "needs_attention", "at_risk"];
const PLAYBOOK: &str = "save playbook";
/// The event window of the starter scores, in days.
const WINDOW: i64 = 90;
/// A "fewer is better" event score reaches 0 at no more than this many.
const MAX_EVENT_BOUND: usize = 10;

/// An arm of the status block: its name and `health >=` bound (`None`:
/// `otherwise`).
struct Arm {
    name: String,
    at: Option<f64>,
}

const GOOD_WORDS: &[&str] = &[
    "champion",
    "thriving",
    "healthy",
    "good",
    "green",
    "great",
    "excellent",
    "strong",
    "happy",
    "advocate",
    "promoter",
    "expanding",
];
const BAD_WORDS: &[&str] = &[
    "risk",
    "danger",
    "critical",
    "red",
    "churn",
    "churned",
    "lost",
    "expired",
    "downgraded",
    "churning",
    "poor",
    "bad",
    "unhealthy",
    "failing",
    "severe",
    "escalated",
    "alarm",
];

/// The status arms: the overrides' statuses (which must be arms), sorted
/// into good, middling and bad by their words, with the default names for a
/// band none of them falls in; bounds spread from 70 down to 40.
fn status_arms(overrides: &[String]) -> (Vec<Arm>, usize) {
    let mut tiers: [Vec<String>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for s in overrides {
        let w = words(s);
        let tier = if w.iter().any(|x| BAD_WORDS.contains(&x.as_str())) {
            2
        } else if w.iter().any(|x| GOOD_WORDS.contains(&x.as_str())) {
            0
        } else {
            1
        };
        tiers[tier].push(s.clone());
    }
    for (tier, default) in DEFAULT_ARMS.iter().enumerate() {
        let used = tiers.iter().flatten().any(|n| n == default);
        if tiers[tier].is_empty() && !used {
            tiers[tier].push((*default).to_string());
        }
    }
    let bad = tiers[2].len();
    let names: Vec<String> = tiers.into_iter().flatten().collect();
    let n = names.len();
    let arms = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let at = if i + 1 == n {
                None
            } else if n == 2 {
                Some(50.0)
            } else {
                Some(((70.0 - i as f64 * 30.0 / (n - 2) as f64) * 10.0).round() / 10.0)
            };
            Arm { name, at }
        })
        .collect();
    (arms, bad)
}

/// A generated project: files relative to the project directory.
pub struct Project {
    pub toml: String,
    pub rules: Vec<(&'static str, String)>,
    /// What the rules read, for the closing message.
    pub scores: Vec<String>,
    pub declared: usize,
    pub commented: usize,
}

/// Words that say fewer (or lower) is better.
const LOWER_IS_BETTER: &[&str] = &[
    "churned",
    "lost",
    "expired",
    "downgraded",
    "hours",
    "hrs",
    "minutes",
    "mins",
    "days",
    "time",
    "delay",
    "latency",
    "ticket",
    "tickets",
    "churn",
    "error",
    "errors",
    "incident",
    "incidents",
    "escalation",
    "escalations",
    "escalated",
    "bug",
    "bugs",
    "complaint",
    "complaints",
    "overdue",
    "outage",
    "outages",
    "downtime",
    "ces",
    "effort",
    "backlog",
    "late",
    "risk",
    "failure",
    "failures",
    "failed",
    "cancel",
    "cancelled",
    "canceled",
    "cancellation",
    "downgrade",
    "detractor",
    "dispute",
    "blocked",
    "delinquent",
    "suspended",
    "inactive",
];

fn lower_is_better(name: &str) -> bool {
    words(name)
        .iter()
        .any(|w| LOWER_IS_BETTER.contains(&w.as_str()))
}

/// `x` rounded to two significant digits (whole numbers for `int`).
fn nice(x: f64, int: bool) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let mag = 10f64.powi(x.abs().log10().floor() as i32 - 1);
    let r = (x / mag).round() * mag;
    let r = if int { r.round() } else { r };
    // strip floating noise: 0.30000000000000004
    (r * 1e6).round() / 1e6
}

/// A literal of a numeric kind.
fn literal(x: f64, kind: &Kind) -> String {
    match kind {
        Kind::Percent => format!("{}%", number_literal(x)),
        Kind::Money | Kind::Int if x.fract() == 0.0 && x != 0.0 && x.abs() < 1e15 => {
            let n = x as i64;
            if n % 1_000_000 == 0 {
                format!("{}m", n / 1_000_000)
            } else if n % 1000 == 0 {
                format!("{}k", n / 1000)
            } else {
                n.to_string()
            }
        }
        _ => number_literal(x),
    }
}

/// What a starter score is computed from.
enum Basis<'a> {
    /// `linear(signal, worst, best)`.
    Signal {
        col: &'a Column,
        worst: f64,
        best: f64,
    },
    /// `linear(count(event within 90 days), …)`; `fewer`: fewer is better.
    Events {
        ev: &'a Event,
        bound: usize,
        fewer: bool,
    },
    /// A bool: 0 or 100.
    Flag { col: &'a Column, bad: bool },
    /// Nothing left to score: a constant 50.
    Constant,
}

struct Score<'a> {
    name: String,
    basis: Basis<'a>,
}

impl Score<'_> {
    /// The score's value for the test's account, which is at its worst.
    fn worst(&self) -> f64 {
        match self.basis {
            Basis::Constant => 50.0,
            _ => 0.0,
        }
    }
}

/// The bounds of a signal's starter score: the sample's 10th and 90th
/// percentiles, rounded (else its least and greatest values).
fn bounds(col: &Column) -> Option<(f64, f64)> {
    let s = col.stats.as_ref()?;
    let int = col.kind == Kind::Int;
    let candidates = [(s.p10, s.p90), (s.min, s.max)];
    for (lo, hi) in candidates {
        let (a, b) = (nice(lo, int), nice(hi, int));
        if a < b {
            return Some((a, b));
        }
        if lo < hi && (!int || lo.round() < hi.round()) {
            let (a, b) = if int {
                (lo.round(), hi.round())
            } else {
                (lo, hi)
            };
            return Some((a, b));
        }
    }
    None
}

fn percentile_usize(v: &[usize], q: f64) -> usize {
    let mut s = v.to_vec();
    s.sort_unstable();
    if s.is_empty() {
        return 0;
    }
    s[((q * (s.len() - 1) as f64).round() as usize).min(s.len() - 1)]
}

/// Choose the two scores: the best numeric signal, the most frequent event,
/// then further signals and flags; a constant score fills in.
fn choose<'a>(sample: &'a Sample, taken: &mut BTreeSet<String>) -> Vec<Score<'a>> {
    let mut numeric: Vec<(&Column, (f64, f64))> = sample
        .columns
        .iter()
        .filter(|c| c.kind.is_numeric() && c.kind != Kind::Money)
        // an identifier is not a measure
        .filter(|c| !words(&c.name).iter().any(|w| w == "id"))
        .filter_map(|c| bounds(c).map(|b| (c, b)))
        .collect();
    // non-optional first, percents first: a stable sort keeps column order
    numeric.sort_by_key(|(c, _)| (c.optional, c.kind != Kind::Percent));
    let mut events: Vec<&Event> = sample.events.iter().filter(|e| e.occurrences > 0).collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.occurrences));
    let flags: Vec<&Column> = sample
        .columns
        .iter()
        .filter(|c| c.kind == Kind::Bool && c.present > 0)
        .collect();

    let signal = |(col, (lo, hi)): (&'a Column, (f64, f64))| {
        let (worst, best) = if lower_is_better(&col.name) {
            (hi, lo)
        } else {
            (lo, hi)
        };
        Basis::Signal { col, worst, best }
    };
    let event = |ev: &'a Event| {
        let fewer = lower_is_better(&ev.name);
        let p90 = percentile_usize(&ev.recent_counts, 0.9).max(1);
        let bound = if fewer { p90.min(MAX_EVENT_BOUND) } else { p90 };
        Basis::Events { ev, bound, fewer }
    };
    let mut order: Vec<Basis<'a>> = Vec::new();
    let mut numeric = numeric.into_iter();
    if let Some(n) = numeric.next() {
        order.push(signal(n));
    }
    let mut events = events.into_iter();
    if let Some(e) = events.next() {
        order.push(event(e));
    }
    order.extend(numeric.map(signal));
    order.extend(flags.into_iter().map(|col| Basis::Flag {
        col,
        bad: lower_is_better(&col.name),
    }));
    order.extend(events.map(event));
    order.truncate(2);
    while order.len() < 2 {
        order.push(Basis::Constant);
    }
    order
        .into_iter()
        .map(|basis| {
            let base = match &basis {
                Basis::Signal { col, .. } | Basis::Flag { col, .. } => score_name(&col.name),
                Basis::Events { ev, .. } => score_name(&ev.name),
                Basis::Constant => "baseline".to_string(),
            };
            let name = fresh(&base, taken);
            Score { name, basis }
        })
        .collect()
}

/// A score named after what it reads: `csat_score`, `nps_score_points`.
fn score_name(of: &str) -> String {
    if of.ends_with("score") {
        format!("{of}_points")
    } else {
        format!("{of}_score")
    }
}

/// `base`, or `base_2`, `base_3`, … — not yet taken; then taken.
fn fresh(base: &str, taken: &mut BTreeSet<String>) -> String {
    let name = if taken.contains(base) {
        (2..)
            .map(|i| format!("{base}_{i}"))
            .find(|n| !taken.contains(n))
            .unwrap_or_else(|| base.to_string())
    } else {
        base.to_string()
    };
    taken.insert(name.clone());
    name
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The column mapping of a signal, if it needs one: the right-hand side.
fn mapping(col: &Column) -> Option<String> {
    let renamed = col.name != col.source;
    let plain = col.scale.is_none() && col.value_map.is_empty() && col.date_format.is_none();
    if !renamed && plain {
        return None;
    }
    if renamed && plain {
        return Some(toml_string(&col.source));
    }
    let mut parts = Vec::new();
    if renamed {
        parts.push(format!("column = {}", toml_string(&col.source)));
    }
    if let Some(s) = col.scale {
        parts.push(format!("scale = {s}"));
    }
    if let Some(f) = col.date_format {
        parts.push(format!("format = {}", toml_string(f)));
    }
    if !col.value_map.is_empty() {
        let values: Vec<String> = col
            .value_map
            .iter()
            .map(|(raw, v)| format!("{} = {}", toml_string(raw), toml_string(v)))
            .collect();
        parts.push(format!("values = {{ {} }}", values.join(", ")));
    }
    Some(format!("{{ {} }}", parts.join(", ")))
}

/// `text` as comment lines starting with `prefix`, within 80 columns.
fn wrap(prefix: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(prefix);
    for word in text.split(' ') {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > 80 {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(prefix);
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out
}

/// A short account of a column's values, for its doc comment.
fn describe(col: &Column, what: &str) -> String {
    let mut s = if col.present == col.total {
        format!("In all {} {what}", col.total)
    } else if col.present == 0 {
        format!("Missing in all {} {what}", col.total)
    } else {
        format!("In {} of {} {what}", col.present, col.total)
    };
    if let Some(st) = &col.stats {
        let shown = |x: f64| {
            if col.kind == Kind::Percent {
                format!("{}%", number_literal(x))
            } else {
                number_literal(x)
            }
        };
        let _ = write!(s, ", from {} to {}", shown(st.min), shown(st.max));
    }
    s.push('.');
    if col.name != col.source {
        let _ = write!(s, " Read from the column {:?} (vital.toml).", col.source);
    }
    if col.scale.is_some() {
        s.push_str(" Given as fractions (0.45 means 45%), scaled by 100 (vital.toml).");
    }
    if let Some(f) = col.date_format {
        let _ = write!(s, " Written {f:?} in the export (vital.toml).");
    }
    if !col.value_map.is_empty() {
        s.push_str(" Values that are not Vital names are mapped in vital.toml.");
    }
    if col.present == 0 {
        s.push_str(" The type is a guess.");
    }
    s
}

fn declaration(col: &Column) -> String {
    format!(
        "signal {}: {}{}",
        col.name,
        col.kind.vital(),
        if col.optional { "?" } else { "" }
    )
}

fn event_declaration(ev: &Event) -> String {
    if ev.fields.is_empty() {
        return format!("event {}", ev.name);
    }
    let fields: Vec<String> = ev
        .fields
        .iter()
        .map(|f| {
            format!(
                "{}: {}{}",
                f.name,
                f.kind.vital(),
                if f.optional { "?" } else { "" }
            )
        })
        .collect();
    format!("event {} {{ {} }}", ev.name, fields.join(", "))
}

/// The project written from `sample`. `sample_path`: the sample, relative
/// to the project directory; `sample_name`: as the user gave it.
pub fn project(sample: &Sample, sample_path: &str, sample_name: &str, name: &str) -> Project {
    let mut taken: BTreeSet<String> = sample
        .columns
        .iter()
        .map(|c| c.name.clone())
        .chain(sample.events.iter().map(|e| e.name.clone()))
        .collect();
    let scores = choose(sample, &mut taken);

    // the account's value, and what the trigger reads besides status
    let value = sample
        .columns
        .iter()
        .filter(|c| c.kind == Kind::Money && c.stats.is_some())
        .min_by_key(|c| c.optional);
    let renewal = sample
        .columns
        .iter()
        .find(|c| c.kind == Kind::Date && words(&c.name).iter().any(|w| w.starts_with("renew")));

    let mut read: BTreeSet<&str> = BTreeSet::new();
    let mut read_events: BTreeSet<&str> = BTreeSet::new();
    for s in &scores {
        match &s.basis {
            Basis::Signal { col, .. } | Basis::Flag { col, .. } => {
                read.insert(&col.name);
            }
            Basis::Events { ev, .. } => {
                read_events.insert(&ev.name);
            }
            Basis::Constant => {}
        }
    }
    let value_threshold = value.and_then(|c| {
        let st = c.stats.as_ref()?;
        Some(nice(st.p50, true).max(0.0))
    });
    let trigger_reads: Option<&Column> = if value_threshold.is_some() {
        value
    } else {
        renewal
    };
    if let Some(c) = trigger_reads {
        read.insert(&c.name);
    }

    let (arms, bad) = status_arms(&sample.override_statuses);
    let signals = signals_file(sample, sample_name, &read, &read_events);
    let scores_file = scores_file(
        &scores,
        &arms,
        sample_name,
        value.zip(value_threshold),
        renewal,
    );
    let test = test_file(sample, &scores, &arms, value.zip(value_threshold), renewal);
    let at_risk: Vec<&str> = arms[arms.len().saturating_sub(bad)..]
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    let toml = toml_file(
        sample,
        sample_path,
        sample_name,
        name,
        &read,
        value,
        &at_risk,
    );
    let declared = read.len() + read_events.len();
    let commented = sample.columns.len() + sample.events.len() - declared;
    Project {
        toml,
        rules: vec![
            ("signals.vital", signals),
            ("scores.vital", scores_file),
            ("tests.vital", test),
        ],
        scores: scores.iter().map(|s| s.name.clone()).collect(),
        declared,
        commented,
    }
}

fn signals_file(
    sample: &Sample,
    sample_name: &str,
    read: &BTreeSet<&str>,
    read_events: &BTreeSet<&str>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Signals and events inferred by `vital init` from\n\
         #   {sample_name}\n\
         # ({} records, {} accounts). Check each type (docs/language.md §4): a `?`\n\
         # marks a value some records leave out.\n",
        sample.records, sample.accounts
    );
    for col in sample
        .columns
        .iter()
        .filter(|c| read.contains(c.name.as_str()))
    {
        let _ = writeln!(out, "{}", wrap("##", &describe(col, "records")));
        let _ = writeln!(out, "{}\n", declaration(col));
    }
    for ev in sample
        .events
        .iter()
        .filter(|e| read_events.contains(e.name.as_str()))
    {
        let _ = writeln!(
            out,
            "## {} occurrences in the sample.\n{}\n",
            ev.occurrences,
            event_declaration(ev)
        );
    }
    let unread_cols: Vec<&Column> = sample
        .columns
        .iter()
        .filter(|c| !read.contains(c.name.as_str()))
        .collect();
    let unread_events: Vec<&Event> = sample
        .events
        .iter()
        .filter(|e| !read_events.contains(e.name.as_str()))
        .collect();
    if !unread_cols.is_empty() || !unread_events.is_empty() {
        out.push_str(
            "# ---------------------------------------------------------------- not read yet\n\
             # The sample's other columns and events, with their inferred types. No rule\n\
             # reads them yet, so they are not declared (a declared signal that nothing\n\
             # reads is a warning) and `vital run` says it ignores them. To use one,\n\
             # uncomment its declaration and read it in a score or rule (its `##`\n\
             # line above it then documents it).\n",
        );
        for col in unread_cols {
            let _ = writeln!(
                out,
                "#\n{}\n# {}",
                wrap("# ##", &describe(col, "records")),
                declaration(col)
            );
        }
        for ev in unread_events {
            let _ = writeln!(
                out,
                "#\n# ## {} occurrences in the sample.\n# {}",
                ev.occurrences,
                event_declaration(ev)
            );
        }
    }
    out
}

fn scores_file(
    scores: &[Score<'_>],
    arms: &[Arm],
    sample_name: &str,
    value: Option<(&Column, f64)>,
    renewal: Option<&Column>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Two starter scores, the status bands and a playbook, written by `vital init`\n\
         # from the values in\n\
         #   {sample_name}\n\
         # Tune the numbers and add rules (docs/language.md §2–§3); `vital test` runs\n\
         # the test in tests.vital.\n"
    );
    for s in scores {
        match &s.basis {
            Basis::Signal { col, worst, best } => {
                let (w, b) = (literal(*worst, &col.kind), literal(*best, &col.kind));
                let direction = if worst > best {
                    " Lower is better (guessed from the name)."
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "## 0 at {w} or worse, 100 at {b} or better: the sample's 10th and 90th\n\
                     ## percentiles of {}.{direction}\n\
                     score {} weight 50 = linear({}, {w}, {b})\n",
                    col.name, s.name, col.name
                );
            }
            Basis::Events { ev, bound, fewer } => {
                let count = format!("count({} within {WINDOW} days)", ev.name);
                if *fewer {
                    let _ = writeln!(
                        out,
                        "## Fewer is better (guessed from the name): 100 with no {e} in {WINDOW} days,\n\
                         ## 0 with {bound} or more (the sample's 90th percentile, at most {MAX_EVENT_BOUND}).\n\
                         score {} weight 50 = linear({count}, {bound}, 0)\n",
                        s.name,
                        e = ev.name
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "## 0 with no {e} in {WINDOW} days, 100 with {bound} or more (the sample's\n\
                         ## 90th percentile).\n\
                         score {} weight 50 = linear({count}, 0, {bound})\n",
                        s.name,
                        e = ev.name
                    );
                }
            }
            Basis::Flag { col, bad } => {
                if *bad {
                    let _ = writeln!(
                        out,
                        "## 100, or 0 when {c} is true (guessed from the name: true is bad).\n\
                         score {s} weight 50 = 100\n\
                         when {c} subtract 100 from {s}\n",
                        c = col.name,
                        s = s.name
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "## 0, or 100 when {c} is true.\nscore {s} weight 50 = 0\n\
                         when {c} add 100 to {s}\n",
                        c = col.name,
                        s = s.name
                    );
                }
            }
            Basis::Constant => {
                let _ = writeln!(
                    out,
                    "## The sample has no further numeric column or event to score: a constant\n\
                     ## 50 until you write rules for it (`when … add 10 to {}`).\n\
                     score {} weight 50\n",
                    s.name, s.name
                );
            }
        }
    }
    let mut block = String::from(
        "## Tried in order, best first; the first that holds is the account's status.\nstatus {\n",
    );
    for arm in arms {
        match arm.at {
            Some(at) => {
                let _ = writeln!(
                    block,
                    "  {} when health >= {}",
                    arm.name,
                    number_literal(at)
                );
            }
            None => {
                let _ = writeln!(block, "  {} otherwise", arm.name);
            }
        }
    }
    let _ = writeln!(out, "{block}}}\n");
    let _ = writeln!(out, "{}", trigger(last_arm(arms), value, renewal));
    out
}

fn last_arm(arms: &[Arm]) -> &str {
    arms.last().map(|a| a.name.as_str()).unwrap_or("at_risk")
}

fn trigger(worst: &str, value: Option<(&Column, f64)>, renewal: Option<&Column>) -> String {
    if let Some((col, at)) = value {
        format!(
            "## An account at risk worth at least the sample's median {n}.\n\
             rule \"valuable account at risk\"\nwhen status == {worst} and {n} >= {}\ntrigger \"{PLAYBOOK}\"",
            literal(at, &Kind::Money),
            n = col.name
        )
    } else if let Some(col) = renewal {
        format!(
            "## An account at risk that renews within 90 days.\n\
             rule \"renewal at risk\"\nwhen status == {worst} and days_until({}) < 90\ntrigger \"{PLAYBOOK}\"",
            col.name
        )
    } else {
        format!("## Every account at risk.\nrule \"at risk\" when status == {worst} trigger \"{PLAYBOOK}\"")
    }
}

/// The status the test's account gets: its scores at their worst.
fn expected_status<'s>(scores: &[Score<'_>], arms: &'s [Arm]) -> (f64, &'s str) {
    let health = scores.iter().map(Score::worst).sum::<f64>() / scores.len().max(1) as f64;
    let status = arms
        .iter()
        .find(|a| a.at.is_none_or(|at| health >= at))
        .map(|a| a.name.as_str())
        .unwrap_or("");
    (health, status)
}

fn test_file(
    sample: &Sample,
    scores: &[Score<'_>],
    arms: &[Arm],
    value: Option<(&Column, f64)>,
    renewal: Option<&Column>,
) -> String {
    let as_of = sample.latest_as_of;
    let mut given = Vec::new();
    let mut events = Vec::new();
    let mut expects = Vec::new();
    for s in scores {
        match &s.basis {
            Basis::Signal { col, worst, .. } => {
                given.push(format!("{} = {}", col.name, literal(*worst, &col.kind)));
            }
            Basis::Events { ev, bound, fewer } => {
                if *fewer {
                    for i in 0..*bound {
                        let day = as_of - chrono::Days::new(i as u64);
                        events.push(occurrence(ev, &day.to_string()));
                    }
                }
            }
            Basis::Flag { col, bad } => given.push(format!("{} = {bad}", col.name)),
            Basis::Constant => {}
        }
        expects.push(format!(
            "expect {} == {}",
            s.name,
            number_literal(s.worst())
        ));
    }
    let (health, status) = expected_status(scores, arms);
    let fires = status == last_arm(arms);
    if fires {
        if let Some((col, at)) = value {
            given.push(format!("{} = {}", col.name, literal(at, &Kind::Money)));
        } else if let Some(col) = renewal {
            let day = as_of + chrono::Days::new(30);
            given.push(format!("{} = {day}", col.name));
        }
    }
    expects.push(format!("expect health == {}", number_literal(health)));
    expects.push(format!("expect status == {status}"));
    expects.push(format!(
        "expect {}triggered \"{PLAYBOOK}\"",
        if fires { "" } else { "not " }
    ));
    let mut out = String::from(
        "# Written by `vital init`: one account at the bottom of every starter score.\n\
         # Add a test for each rule you write (docs/language.md §9).\n\n",
    );
    let name = if fires {
        "an account at the bottom of every score gets the playbook"
    } else {
        "an account at the bottom of every score"
    };
    let _ = writeln!(out, "test \"{name}\" {{\n  as_of {as_of}");
    if !given.is_empty() {
        let _ = writeln!(out, "  given {{\n    {}\n  }}", given.join("\n    "));
    }
    if !events.is_empty() {
        let _ = writeln!(out, "  events {{\n    {}\n  }}", events.join("\n    "));
    }
    let _ = writeln!(out, "  {}\n}}", expects.join("\n  "));
    out
}

/// An event occurrence for a test block, with its required fields.
fn occurrence(ev: &Event, day: &str) -> String {
    let fields: Vec<String> = ev
        .fields
        .iter()
        .filter(|f| !f.optional)
        .filter_map(|f| f.example.as_ref().map(|v| format!("{} = {v}", f.name)))
        .collect();
    if fields.is_empty() {
        format!("{} on {day}", ev.name)
    } else {
        format!("{} on {day} {{ {} }}", ev.name, fields.join(", "))
    }
}

fn toml_file(
    sample: &Sample,
    sample_path: &str,
    sample_name: &str,
    name: &str,
    read: &BTreeSet<&str>,
    value: Option<&Column>,
    at_risk: &[&str],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The project file (docs/project.md), written by `vital init` from\n\
         #   {sample_name}\n\
         # Paths are relative to this file. `vital check`, `vital test` and `vital run`\n\
         # with no arguments use it.\n"
    );
    let _ = writeln!(out, "[project]\nname = {}\n", toml_string(name));
    let sample_path = toml_string(sample_path);
    let _ = writeln!(out, "[rulesets.main]");
    let _ = writeln!(out, "path = \"rules\"");
    let _ = writeln!(
        out,
        "inputs = [{sample_path}]  # what `vital run` scores: files or globs"
    );
    let _ = writeln!(
        out,
        "sample = {sample_path}    # a few thousand accounts, for the editor"
    );
    if let Some(v) = value {
        let _ = writeln!(
            out,
            "value = {}  # the money signal that is an account's value",
            toml_string(&v.name)
        );
    }
    if at_risk.len() > 1 {
        let names: Vec<String> = at_risk.iter().map(|n| toml_string(n)).collect();
        let _ = writeln!(
            out,
            "at_risk = [{}]   # the status arms that count as at risk",
            names.join(", ")
        );
    }
    // texts meaning "no value" among numbers or dates: read as missing
    if !sample.nulls.is_empty() {
        let quoted: Vec<String> = sample.nulls.iter().map(|n| toml_string(n)).collect();
        let _ = writeln!(
            out,
            "\n# The export writes {} for a missing value among numbers or dates.\n\
             [rulesets.main.read]\nnulls = [{}]",
            quoted.join(" and "),
            quoted.join(", ")
        );
    }
    let mut lines = Vec::new();
    for col in &sample.columns {
        let Some(rhs) = mapping(col) else { continue };
        let active = read.contains(col.name.as_str());
        let prefix = if active { "" } else { "# " };
        if col.scale.is_some() {
            lines.push(format!(
                "# {} is given as fractions (0.45 means 45%); percent signals are in\n\
                 # percentage points, so scale = 100 multiplies each value by 100",
                col.name
            ));
        }
        if !active {
            lines.push(format!(
                "# (commented out: the signal {} is not declared yet, see rules/signals.vital)",
                col.name
            ));
        }
        lines.push(format!("{prefix}{} = {rhs}", col.name));
    }
    if !lines.is_empty() {
        let _ = writeln!(
            out,
            "\n# How the input's columns differ from the signals: a column's name, a\n\
             # fraction given for a percent, enum values that are not Vital names.\n\
             [rulesets.main.columns]\n{}",
            lines.join("\n")
        );
    }
    out.push_str(HISTORY);
    out
}

/// The history store and the notifier, as `vital init` writes them.
const HISTORY: &str = "
# Score history (docs/history.md): `vital run` records each night here, so
# `previous`/`change` see earlier nights and a playbook starts only once.
[history]
store = \".vital/history.db\"      # or \"postgres://vital:${PGPASSWORD}@host/vital\"
# stale_after = \"7 days\"         # list accounts without a snapshot for longer

# Where `vital notify` delivers each playbook start (a Slack-compatible webhook):
# [notify]
# webhook = \"${SLACK_WEBHOOK}\"
";
