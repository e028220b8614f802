//! Evaluating the checked rule set over an account's snapshots (§6).
//!
//! [`Engine::new`] compiles the rule set once: adjustments grouped by score,
//! weights and playbooks resolved to indices. Expressions are the checker's
//! typed trees, whose names are already slot indices, so evaluation does no
//! lookups by name and allocates nothing per rule. The engine is a pure
//! function of the rule set and the snapshots: no clock, no I/O.

use crate::snapshot::{Occurrence, Snapshot};
use rust_decimal::Decimal;
use vital_check::ir::{AggKind, Direction, Expr, ExprKind, Query, RuleSet, ScoreId, Target};
use vital_check::value::{self, Value};

/// The rule set, ready to run.
#[derive(Debug)]
pub struct Engine<'r> {
    pub rules: &'r RuleSet,
    /// Adjustment indices per score.
    by_score: Vec<Vec<usize>>,
    weights: Vec<Decimal>,
    /// Playbook names in declaration order, once each.
    pub playbooks: Vec<String>,
    /// The playbook index of each trigger rule.
    trigger_playbook: Vec<u32>,
}

/// Phase 2's verdict on one snapshot: computed status, reported status,
/// whether an override is in force, playbooks, trigger rules that fired.
type Decided = (Option<u32>, Option<u32>, bool, Vec<u32>, Vec<usize>);

/// What the scores of one snapshot came to (phase 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Rounded to one decimal; `None` is N/A.
    pub scores: Vec<Option<Decimal>>,
    pub health: Option<Decimal>,
}

/// The full result for one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub scored: Scored,
    /// The rules' own status (arm index).
    pub computed_status: Option<u32>,
    /// The reported status: the override's while one is in force.
    pub status: Option<u32>,
    pub override_in_force: bool,
    /// Playbook indices, in order.
    pub triggered: Vec<u32>,
    pub explain: Option<Explain>,
}

/// Why a snapshot scored what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Explain {
    pub scores: Vec<ScoreExplain>,
    /// Trigger rule indices that fired.
    pub triggers: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreExplain {
    /// The base (50 when the score has none); `None` when missing (N/A).
    pub base: Option<Decimal>,
    /// Adjustment rule index and the signed amount it applied.
    pub applied: Vec<(usize, Decimal)>,
    /// Before clamping and rounding.
    pub raw: Option<Decimal>,
}

impl<'r> Engine<'r> {
    pub fn new(rules: &'r RuleSet) -> Engine<'r> {
        let mut by_score = vec![Vec::new(); rules.scores.len()];
        for (i, a) in rules.adjustments.iter().enumerate() {
            if let Some(v) = by_score.get_mut(a.score as usize) {
                v.push(i);
            }
        }
        let playbooks: Vec<String> = rules.playbooks().into_iter().map(String::from).collect();
        let trigger_playbook = rules
            .triggers
            .iter()
            .map(|t| playbooks.iter().position(|p| *p == t.playbook).unwrap_or(0) as u32)
            .collect();
        Engine {
            rules,
            by_score,
            weights: rules.scores.iter().map(|s| s.weight).collect(),
            playbooks,
            trigger_playbook,
        }
    }

    /// Evaluate every snapshot of one account. `group` holds the account's
    /// accepted snapshots, each the history of the others; results come back
    /// in the same order.
    pub fn evaluate_group(&self, group: &[Snapshot], explain: bool) -> Vec<Outcome> {
        // history is looked up by date
        let sorted: Vec<usize>;
        let by_date: &[usize] = if group.len() == 1 {
            &[0]
        } else {
            let mut v: Vec<usize> = (0..group.len()).collect();
            v.sort_by_key(|&i| group[i].as_of);
            sorted = v;
            &sorted
        };
        let hist = History { group, by_date };
        // phase 1: scores and health of every snapshot (they read no scores)
        let mut explains: Vec<Option<Explain>> = Vec::new();
        let mut scored: Vec<Scored> = Vec::with_capacity(group.len());
        for i in 0..group.len() {
            let (s, e) = self.score(&hist, i, explain);
            scored.push(s);
            if explain {
                explains.push(e);
            }
        }
        // phase 2: status and triggers, which may look back at scores/health
        let decided: Vec<Decided> = group
            .iter()
            .enumerate()
            .map(|(i, snap)| {
                let cx = Cx {
                    engine: self,
                    hist: &hist,
                    idx: i,
                    scored: Some(&scored),
                    status: None,
                    fields: None,
                };
                let computed = self.status(&cx);
                let over = snap.override_in_force();
                let status = over.map(|o| o.status).or(computed);
                let cx = Cx { status, ..cx };
                let mut triggered: Vec<u32> = Vec::new();
                let mut fired = Vec::new();
                for (t, rule) in self.rules.triggers.iter().enumerate() {
                    if cx.eval(&rule.cond) == Value::Bool(true) {
                        let p = self.trigger_playbook[t];
                        if !triggered.contains(&p) {
                            triggered.push(p);
                        }
                        if explain {
                            fired.push(t);
                        }
                    }
                }
                (computed, status, over.is_some(), triggered, fired)
            })
            .collect();
        let mut explains = explains.into_iter();
        scored
            .into_iter()
            .zip(decided)
            .map(
                |(scored, (computed_status, status, override_in_force, triggered, fired))| {
                    let explain = explains.next().flatten().map(|mut e| {
                        e.triggers = fired;
                        e
                    });
                    Outcome {
                        scored,
                        computed_status,
                        status,
                        override_in_force,
                        triggered,
                        explain,
                    }
                },
            )
            .collect()
    }

    fn score(&self, hist: &History<'_>, idx: usize, explain: bool) -> (Scored, Option<Explain>) {
        let cx = Cx {
            engine: self,
            hist,
            idx,
            scored: None,
            status: None,
            fields: None,
        };
        let fifty = Decimal::from(50);
        let mut scores = Vec::with_capacity(self.rules.scores.len());
        let mut ex = explain.then(|| Explain {
            scores: Vec::new(),
            triggers: Vec::new(),
        });
        for (s, score) in self.rules.scores.iter().enumerate() {
            let base = match &score.base {
                None => Some(fifty),
                Some(e) => cx.eval(e).as_num(),
            };
            let mut applied = Vec::new();
            let value = base.map(|b| {
                let mut total = b;
                for &a in &self.by_score[s] {
                    let adj = &self.rules.adjustments[a];
                    if let Some(c) = &adj.cond {
                        if cx.eval(c) != Value::Bool(true) {
                            continue;
                        }
                    }
                    let Some(amount) = cx.eval(&adj.amount).as_num() else {
                        continue;
                    };
                    let signed = match adj.direction {
                        Direction::Add => amount,
                        Direction::Subtract => -amount,
                    };
                    total = total.checked_add(signed).unwrap_or(total);
                    if explain {
                        applied.push((a, signed));
                    }
                }
                total
            });
            let rounded =
                value.map(|v| value::round1(v.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED)));
            if let Some(e) = ex.as_mut() {
                e.scores.push(ScoreExplain {
                    base,
                    applied,
                    raw: value,
                });
            }
            scores.push(rounded);
        }
        let health = self.health(&scores);
        (Scored { scores, health }, ex)
    }

    /// Σ(weight × score) / Σ(weight) over the scores that are not N/A.
    pub fn health(&self, scores: &[Option<Decimal>]) -> Option<Decimal> {
        let mut num = Decimal::ZERO;
        let mut den = Decimal::ZERO;
        for (s, w) in scores.iter().zip(&self.weights) {
            if let Some(s) = s {
                num = num.checked_add(w.checked_mul(*s)?)?;
                den = den.checked_add(*w)?;
            }
        }
        if den.is_zero() {
            return None;
        }
        Some(value::round1(num.checked_div(den)?))
    }

    fn status(&self, cx: &Cx<'_>) -> Option<u32> {
        for (i, arm) in self.rules.status.iter().enumerate() {
            match &arm.cond {
                None => return Some(i as u32),
                Some(c) => {
                    if cx.eval(c) == Value::Bool(true) {
                        return Some(i as u32);
                    }
                }
            }
        }
        None
    }

    /// Evaluate an expression about snapshot `idx` of `group` after scoring
    /// (test expectations: signals, scores, health, status).
    pub fn eval_after(
        &self,
        group: &[Snapshot],
        outcomes: &[Outcome],
        idx: usize,
        e: &Expr,
    ) -> Value {
        let mut by_date: Vec<usize> = (0..group.len()).collect();
        by_date.sort_by_key(|&i| group[i].as_of);
        let hist = History {
            group,
            by_date: &by_date,
        };
        let scored: Vec<Scored> = outcomes.iter().map(|o| o.scored.clone()).collect();
        let cx = Cx {
            engine: self,
            hist: &hist,
            idx,
            scored: Some(&scored),
            status: outcomes.get(idx).and_then(|o| o.status),
            fields: None,
        };
        cx.eval(e)
    }

    /// Evaluate an expression about one snapshot with its group (used by
    /// explain to show what a rule saw).
    pub fn eval_in(&self, group: &[Snapshot], idx: usize, e: &Expr) -> Value {
        let mut by_date: Vec<usize> = (0..group.len()).collect();
        by_date.sort_by_key(|&i| group[i].as_of);
        let hist = History {
            group,
            by_date: &by_date,
        };
        Cx {
            engine: self,
            hist: &hist,
            idx,
            scored: None,
            status: None,
            fields: None,
        }
        .eval(e)
    }
}

struct History<'a> {
    group: &'a [Snapshot],
    /// Indices of `group` by ascending `as_of`.
    by_date: &'a [usize],
}

impl History<'_> {
    /// The latest other snapshot dated on or before `date`.
    fn at_or_before(&self, date: chrono::NaiveDate, not: usize) -> Option<usize> {
        let end = self
            .by_date
            .partition_point(|&i| self.group[i].as_of <= date);
        self.by_date[..end]
            .iter()
            .rev()
            .copied()
            .find(|&i| i != not)
    }
}

struct Cx<'a> {
    engine: &'a Engine<'a>,
    hist: &'a History<'a>,
    idx: usize,
    /// Scores and health of the whole group, once phase 1 is done.
    scored: Option<&'a [Scored]>,
    /// The reported status (triggers, expectations).
    status: Option<u32>,
    /// The fields of the occurrence a `where` is looking at.
    fields: Option<&'a [Value]>,
}

impl Cx<'_> {
    fn snap(&self) -> &Snapshot {
        &self.hist.group[self.idx]
    }

    fn eval(&self, e: &Expr) -> Value {
        use ExprKind as K;
        match &e.kind {
            K::Lit(v) => v.clone(),
            K::Signal(s) => self
                .snap()
                .signals
                .get(*s as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            K::Field(f) => self
                .fields
                .and_then(|fs| fs.get(*f as usize))
                .cloned()
                .unwrap_or(Value::Missing),
            K::Score(s) => self.score_of(self.idx, *s),
            K::Health => self.health_of(self.idx),
            K::Status => self.status.map_or(Value::Missing, Value::Status),
            K::Neg(a) => value::neg(&self.eval(a)),
            K::Not(a) => match self.eval(a) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Missing,
            },
            K::Arith(op, a, b) => {
                let x = self.leaf(a);
                if x.is_missing() {
                    return Value::Missing;
                }
                value::arith(*op, &x, &self.leaf(b))
            }
            K::Compare(op, a, b) => {
                let x = self.leaf(a);
                if x.is_missing() {
                    return Value::Missing;
                }
                value::compare(*op, &x, &self.leaf(b))
            }
            K::And(a, b) => {
                let x = self.eval(a).as_bool();
                if x == Some(false) {
                    return Value::Bool(false);
                }
                value::and(x, self.eval(b).as_bool())
            }
            K::Or(a, b) => {
                let x = self.eval(a).as_bool();
                if x == Some(true) {
                    return Value::Bool(true);
                }
                value::or(x, self.eval(b).as_bool())
            }
            K::Coalesce(a, b) => match self.eval(a) {
                Value::Missing => self.eval(b),
                v => v,
            },
            K::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value);
                if v.is_missing() {
                    return Value::Missing;
                }
                let items: Vec<Value> = list.iter().map(|x| self.eval(x)).collect();
                value::in_list(&v, &items, *negated)
            }
            K::IsMissing { value, negated } => {
                Value::Bool(self.eval(value).is_missing() != *negated)
            }
            K::Exists(q) => Value::Bool(self.matching(q).next().is_some()),
            K::Count(q) => Value::Num(Decimal::from(self.matching(q).count())),
            K::Last(q) => self
                .matching(q)
                .map(|o| o.date)
                .max()
                .map_or(Value::Missing, Value::Date),
            K::First(q) => self
                .matching(q)
                .map(|o| o.date)
                .min()
                .map_or(Value::Missing, Value::Date),
            K::Aggregate(kind, q) => self.aggregate(*kind, q),
            K::DaysSince(d) => match self.eval(d) {
                Value::Date(d) => Value::Num(value::days_between(d, self.snap().as_of)),
                _ => Value::Missing,
            },
            K::DaysUntil(d) => match self.eval(d) {
                Value::Date(d) => Value::Num(value::days_between(self.snap().as_of, d)),
                _ => Value::Missing,
            },
            K::Min(xs) | K::Max(xs) => {
                let max = matches!(e.kind, K::Max(_));
                let mut acc: Option<Decimal> = None;
                for x in xs {
                    let Some(v) = self.eval(x).as_num() else {
                        return Value::Missing;
                    };
                    acc = Some(match acc {
                        None => v,
                        Some(a) if max => a.max(v),
                        Some(a) => a.min(v),
                    });
                }
                acc.map_or(Value::Missing, Value::Num)
            }
            K::Clamp(x, lo, hi) => value::clamp(
                self.eval(x).as_num(),
                self.eval(lo).as_num(),
                self.eval(hi).as_num(),
            ),
            K::Abs(x) => self
                .eval(x)
                .as_num()
                .map_or(Value::Missing, |d| Value::Num(d.abs())),
            K::Round(x) => self
                .eval(x)
                .as_num()
                .map_or(Value::Missing, |d| Value::Num(value::round0(d))),
            K::Linear(x, lo, hi) => match (
                self.eval(x).as_num(),
                self.eval(lo).as_num(),
                self.eval(hi).as_num(),
            ) {
                (Some(x), Some(lo), Some(hi)) => {
                    value::linear(x, lo, hi).map_or(Value::Missing, Value::Num)
                }
                _ => Value::Missing,
            },
            K::Previous(t, d) => self.previous(*t, *d),
            K::Change(t, d) => {
                let now = self.current(*t);
                if now.is_missing() {
                    return Value::Missing;
                }
                value::arith(
                    vital_syntax::ast::ArithOp::Sub,
                    &now,
                    &self.previous(*t, *d),
                )
            }
            K::Band {
                input,
                arms,
                otherwise,
            } => {
                let v = self.eval(input);
                if v.is_missing() {
                    return Value::Missing;
                }
                for arm in arms {
                    if value::compare(arm.op, &v, &self.leaf(&arm.value)) == Value::Bool(true) {
                        return self.eval(&arm.result);
                    }
                }
                self.eval(otherwise)
            }
        }
    }

    /// Like [`Cx::eval`], but literals, signals and fields are borrowed
    /// rather than cloned (the common operands of comparisons and
    /// arithmetic).
    fn leaf<'e>(&'e self, e: &'e Expr) -> std::borrow::Cow<'e, Value> {
        use std::borrow::Cow;
        match &e.kind {
            ExprKind::Lit(v) => Cow::Borrowed(v),
            ExprKind::Signal(s) => self.hist.group[self.idx]
                .signals
                .get(*s as usize)
                .map_or(Cow::Owned(Value::Missing), Cow::Borrowed),
            ExprKind::Field(f) => self
                .fields
                .and_then(|fs| fs.get(*f as usize))
                .map_or(Cow::Owned(Value::Missing), Cow::Borrowed),
            _ => Cow::Owned(self.eval(e)),
        }
    }

    fn score_of(&self, idx: usize, s: ScoreId) -> Value {
        self.scored
            .and_then(|sc| sc.get(idx))
            .and_then(|sc| sc.scores.get(s as usize).copied().flatten())
            .map_or(Value::Missing, Value::Num)
    }

    fn health_of(&self, idx: usize) -> Value {
        self.scored
            .and_then(|sc| sc.get(idx))
            .and_then(|sc| sc.health)
            .map_or(Value::Missing, Value::Num)
    }

    fn current(&self, t: Target) -> Value {
        self.target_at(self.idx, t)
    }

    fn target_at(&self, idx: usize, t: Target) -> Value {
        match t {
            Target::Signal(s) => self.hist.group[idx]
                .signals
                .get(s as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Target::Score(s) => self.score_of(idx, s),
            Target::Health => self.health_of(idx),
        }
    }

    fn previous(&self, t: Target, d: vital_check::value::Duration) -> Value {
        let Some(date) = d.before(self.snap().as_of) else {
            return Value::Missing;
        };
        match self.hist.at_or_before(date, self.idx) {
            Some(j) => self.target_at(j, t),
            None => Value::Missing,
        }
    }

    /// The occurrences an event query matches.
    fn matching<'q>(&'q self, q: &'q Query) -> impl Iterator<Item = &'q Occurrence> + 'q {
        let snap = self.snap();
        let from = q.within.and_then(|d| d.before(snap.as_of));
        let as_of = snap.as_of;
        let occs: &[Occurrence] = snap
            .events
            .get(q.event as usize)
            .map_or(&[], |v| v.as_slice());
        occs.iter().filter(move |o| {
            if o.date > as_of {
                return false;
            }
            if let Some(f) = from {
                if o.date < f {
                    return false;
                }
            }
            if let Some(c) = &q.filter {
                let cx = Cx {
                    engine: self.engine,
                    hist: self.hist,
                    idx: self.idx,
                    scored: self.scored,
                    status: self.status,
                    fields: Some(&o.fields),
                };
                if cx.eval(c) != Value::Bool(true) {
                    return false;
                }
            }
            true
        })
    }

    fn aggregate(&self, kind: AggKind, q: &Query) -> Value {
        let Some(f) = q.field else {
            return Value::Missing;
        };
        let mut n = 0u32;
        let mut acc: Option<Decimal> = None;
        for o in self.matching(q) {
            let Some(v) = o.fields.get(f as usize).and_then(Value::as_num) else {
                continue;
            };
            n += 1;
            acc = Some(match (acc, kind) {
                (None, _) => v,
                (Some(a), AggKind::Sum | AggKind::Avg) => match a.checked_add(v) {
                    Some(s) => s,
                    None => return Value::Missing,
                },
                (Some(a), AggKind::Min) => a.min(v),
                (Some(a), AggKind::Max) => a.max(v),
            });
        }
        match (acc, kind) {
            (None, _) => Value::Missing,
            (Some(s), AggKind::Avg) => s
                .checked_div(Decimal::from(n))
                .map_or(Value::Missing, Value::Num),
            (Some(v), _) => Value::Num(v),
        }
    }
}
