//! Evaluating the checked rule set over an account's snapshots (§6).
//!
//! [`Engine::new`] compiles the rule set once: adjustments grouped by score,
//! weights and playbooks resolved to indices. Expressions are the checker's
//! typed trees, whose names are already slot indices, so evaluation does no
//! lookups by name and allocates nothing per rule. The engine is a pure
//! function of the rule set and the snapshots: no clock, no I/O.

use crate::snapshot::{Occurrence, Snapshot};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use vital_check::eval::{self, Env, EventOccurrence};
use vital_check::ir::{ArmId, Direction, EventId, Expr, RuleSet, ScoreId, SignalId, Target};
use vital_check::value::{self, Duration, Value};

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
                    hist: &hist,
                    idx: i,
                    scored: Some(&scored),
                    status: None,
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
            hist,
            idx,
            scored: None,
            status: None,
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
            hist: &hist,
            idx,
            scored: Some(&scored),
            status: outcomes.get(idx).and_then(|o| o.status),
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
            hist: &hist,
            idx,
            scored: None,
            status: None,
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
    hist: &'a History<'a>,
    idx: usize,
    /// Scores and health of the whole group, once phase 1 is done.
    scored: Option<&'a [Scored]>,
    /// The reported status (triggers, expectations).
    status: Option<u32>,
}

impl EventOccurrence for Occurrence {
    fn date(&self) -> NaiveDate {
        self.date
    }
    fn fields(&self) -> &[Value] {
        &self.fields
    }
}

impl Env for Cx<'_> {
    type Occurrence = Occurrence;

    fn signal(&self, s: SignalId) -> Option<&Value> {
        self.snap().signals.get(s as usize)
    }

    fn score(&self, s: ScoreId) -> Option<Decimal> {
        self.score_of(self.idx, s)
    }

    fn health(&self) -> Option<Decimal> {
        self.health_of(self.idx)
    }

    fn status(&self) -> Option<ArmId> {
        self.status
    }

    fn as_of(&self) -> Option<NaiveDate> {
        Some(self.snap().as_of)
    }

    fn occurrences(&self, e: EventId) -> &[Occurrence] {
        self.snap()
            .events
            .get(e as usize)
            .map_or(&[], |v| v.as_slice())
    }

    fn previous(&self, t: Target, d: Duration) -> Value {
        let Some(date) = d.before(self.snap().as_of) else {
            return Value::Missing;
        };
        match self.hist.at_or_before(date, self.idx) {
            Some(j) => self.target_at(j, t),
            None => Value::Missing,
        }
    }
}

impl Cx<'_> {
    fn snap(&self) -> &Snapshot {
        &self.hist.group[self.idx]
    }

    fn eval(&self, e: &Expr) -> Value {
        eval::eval(self, e)
    }

    fn score_of(&self, idx: usize, s: ScoreId) -> Option<Decimal> {
        self.scored
            .and_then(|sc| sc.get(idx))
            .and_then(|sc| sc.scores.get(s as usize).copied().flatten())
    }

    fn health_of(&self, idx: usize) -> Option<Decimal> {
        self.scored
            .and_then(|sc| sc.get(idx))
            .and_then(|sc| sc.health)
    }

    fn target_at(&self, idx: usize, t: Target) -> Value {
        let n = |d: Option<Decimal>| d.map_or(Value::Missing, Value::Num);
        match t {
            Target::Signal(s) => self.hist.group[idx]
                .signals
                .get(s as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Target::Score(s) => n(self.score_of(idx, s)),
            Target::Health => n(self.health_of(idx)),
        }
    }
}
