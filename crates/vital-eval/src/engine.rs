//! Evaluating the checked rule set over an account's snapshots (§6).
//!
//! [`Engine::new`] compiles the rule set once: adjustments grouped by score,
//! weights and playbooks resolved to indices. Expressions are the checker's
//! typed trees, whose names are already slot indices, so evaluation does no
//! lookups by name and allocates nothing per rule. The engine is a pure
//! function of the rule set and the snapshots: no clock, no I/O.

use crate::compiled::{self, At};
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
    /// The weights as integers, when they all are (and small): health is
    /// then computed in integers, see [`Engine::health`].
    int_weights: Option<Vec<i64>>,
    /// Playbook names in declaration order, once each.
    pub playbooks: Vec<String>,
    /// The playbook index of each trigger rule.
    trigger_playbook: Vec<u32>,
    /// Names as JSON, escaped once (results::jsonl).
    quoted: std::sync::OnceLock<Quoted>,
    /// In explain mode, record what each rule read (`vital explain`,
    /// `run --explain`); without, only which rules applied and fired
    /// (`vital diff`'s per-rule counts), which costs far less.
    traces: bool,
    /// The rules' expressions compiled (crate::compiled); `None`: every
    /// expression is walked ([`Engine::interpreted`]).
    program: Option<Program<'r>>,
    /// The fast path (crate::fixed), when the rule set compiles to it:
    /// compiled on the first evaluation without explain, so the paths that
    /// always explain (`vital explain`, `diff`, the editor's sample) never
    /// pay for it.
    fast: std::sync::OnceLock<Option<crate::fixed::Fast>>,
}

/// Each rule's expressions, compiled, by rule index.
#[derive(Debug)]
struct Program<'r> {
    windows: Vec<vital_check::value::Duration>,
    bases: Vec<Option<compiled::Num<'r>>>,
    conds: Vec<Option<compiled::Cond<'r>>>,
    amounts: Vec<compiled::Num<'r>>,
    status: Vec<Option<compiled::Cond<'r>>>,
    triggers: Vec<compiled::Cond<'r>>,
}

impl<'r> Program<'r> {
    fn new(rules: &'r RuleSet) -> Self {
        let mut c = compiled::Compiler::default();
        let bases = (rules.scores.iter())
            .map(|s| s.base.as_ref().map(|e| c.num(e)))
            .collect();
        let conds = (rules.adjustments.iter())
            .map(|a| a.cond.as_ref().map(|e| c.cond(e)))
            .collect();
        let amounts = (rules.adjustments.iter())
            .map(|a| c.num(&a.amount))
            .collect();
        let status = (rules.status.iter())
            .map(|a| a.cond.as_ref().map(|e| c.cond(e)))
            .collect();
        let triggers = rules.triggers.iter().map(|t| c.cond(&t.cond)).collect();
        Program {
            windows: c.windows,
            bases,
            conds,
            amounts,
            status,
            triggers,
        }
    }
}

/// The rule set's names as JSON string literals, for writing results.
#[derive(Debug)]
pub struct Quoted {
    /// `"adoption": ` for each score.
    pub score_keys: Vec<String>,
    /// `"thriving"` for each status arm.
    pub statuses: Vec<String>,
    /// `"save playbook"` for each playbook.
    pub playbooks: Vec<String>,
}

/// Phase 2's verdict on one snapshot.
struct Decided {
    computed_status: Option<ArmId>,
    /// The override's status while one is in force, else the computed one.
    status: Option<ArmId>,
    override_in_force: bool,
    /// Playbook indices, in order.
    triggered: Playbooks,
    /// Trigger rules that fired, with what they read (explain only).
    fired: Vec<RuleTrace>,
}

/// A snapshot's scores, by score index (inline for up to six scores).
pub type Scores = smallvec::SmallVec<[Option<Decimal>; 6]>;

/// Playbook indices, in declaration order (inline for up to four).
pub type Playbooks = smallvec::SmallVec<[u32; 4]>;

/// What the scores of one snapshot came to (phase 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Rounded to one decimal; `None` is N/A.
    pub scores: Scores,
    pub health: Option<Decimal>,
}

/// The full result for one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub scored: Scored,
    /// The rules' own status.
    pub computed_status: Option<ArmId>,
    /// The reported status: the override's while one is in force.
    pub status: Option<ArmId>,
    pub override_in_force: bool,
    /// Playbook indices, in order.
    pub triggered: Playbooks,
    /// The playbooks of `triggered` that the account's previous snapshot
    /// (the latest earlier one of the group) did not trigger; all of them
    /// without one. A history store may hold a later earlier result: the
    /// command line then computes it against that (docs/history.md).
    pub started: Playbooks,
    pub explain: Option<Explain>,
}

/// Why a snapshot scored what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Explain {
    pub scores: Vec<ScoreExplain>,
    /// Trigger rule indices that fired.
    pub triggers: Vec<usize>,
    /// The trigger rules that fired, with what they read.
    pub fired: Vec<RuleTrace>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreExplain {
    /// The base (50 when the score has none); `None` when missing (N/A).
    pub base: Option<Decimal>,
    /// What the base read.
    pub base_seen: Vec<Seen>,
    /// Adjustment rule index and the signed amount it applied.
    pub applied: Vec<(usize, Decimal)>,
    /// Every adjustment whose condition held, in rule order: applied ones
    /// with their signed amount, skipped ones (amount missing) with `None`,
    /// each with what it read.
    pub adjustments: Vec<RuleTrace>,
    /// Adjustments whose condition came to missing (neither held nor
    /// failed: `change(…)` with no earlier snapshot, a missing signal),
    /// with what the condition read. Shown by `vital explain` as "not
    /// decided"; they applied nothing.
    pub undecided: Vec<(usize, Vec<Seen>)>,
    /// Before clamping and rounding.
    pub raw: Option<Decimal>,
}

/// A rule that took part, and the numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrace {
    /// The adjustment or trigger index.
    pub rule: usize,
    /// An adjustment's signed amount; `None` when it was missing (skipped)
    /// and for triggers.
    pub amount: Option<Decimal>,
    pub seen: Vec<Seen>,
}

/// One value a rule read, at the expression that read it (a span in the
/// rule's file).
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub span: vital_syntax::Span,
    /// The type of the expression (values are shown with it: `72%`).
    pub ty: vital_check::Type,
    pub what: SeenKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SeenKind {
    Signal {
        signal: SignalId,
        value: Value,
    },
    /// `change(X, D)`: X now and X at the snapshot it looked back at.
    Change {
        now: Value,
        before: Value,
    },
    Previous {
        value: Value,
    },
    /// An event query: how many occurrences matched, and the query's value
    /// (a count, an aggregate, a date; `true`/`false` as a condition).
    Query {
        matched: usize,
        value: Value,
    },
    /// A score, `health` or `status`, as a trigger (or the status block)
    /// reads it after scoring.
    Scored {
        of: ScoredPart,
        value: Value,
    },
}

/// What a [`SeenKind::Scored`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoredPart {
    Score(vital_check::ir::ScoreId),
    Health,
    Status,
}

/// The numbers behind an expression: its signals (once each), every
/// `previous`/`change` and every event query, in source order.
fn trace(cx: &Cx<'_>, e: &Expr, out: &mut Vec<Seen>) {
    use vital_check::ir::ExprKind as K;
    let ev = eval::Evaluator::new(cx);
    let mut push = |what| {
        out.push(Seen {
            span: e.span,
            ty: e.ty,
            what,
        })
    };
    match &e.kind {
        K::Signal(s) => {
            let value = ev.leaf(e).into_owned();
            let known = out
                .iter()
                .any(|x| matches!(&x.what, SeenKind::Signal { signal, .. } if signal == s));
            if !known {
                out.push(Seen {
                    span: e.span,
                    ty: e.ty,
                    what: SeenKind::Signal { signal: *s, value },
                });
            }
        }
        K::Change(t, d) => push(SeenKind::Change {
            now: ev.now(*t),
            before: cx.previous(*t, *d),
        }),
        K::Previous(..) => push(SeenKind::Previous { value: ev.eval(e) }),
        K::Score(_) | K::Health | K::Status => {
            let of = match &e.kind {
                K::Score(id) => ScoredPart::Score(*id),
                K::Health => ScoredPart::Health,
                _ => ScoredPart::Status,
            };
            let known = out
                .iter()
                .any(|x| matches!(&x.what, SeenKind::Scored { of: o, .. } if *o == of));
            if !known {
                out.push(Seen {
                    span: e.span,
                    ty: e.ty,
                    what: SeenKind::Scored {
                        of,
                        value: ev.eval(e),
                    },
                });
            }
        }
        // the query as a whole: its `where` reads each occurrence
        K::Exists(q) | K::Count(q) | K::Aggregate(_, q) | K::Last(q) | K::First(q) => {
            push(SeenKind::Query {
                matched: ev.count(q),
                value: ev.eval(e),
            })
        }
        _ => {
            for c in e.children() {
                trace(cx, c, out);
            }
        }
    }
}

impl<'r> Engine<'r> {
    pub fn new(rules: &'r RuleSet) -> Engine<'r> {
        let mut by_score = vec![Vec::new(); rules.scores.len()];
        for (i, a) in rules.adjustments.iter().enumerate() {
            if let Some(v) = by_score.get_mut(a.score.index()) {
                v.push(i);
            }
        }
        let playbooks: Vec<String> = rules.playbooks().into_iter().map(String::from).collect();
        let trigger_playbook: Vec<u32> = rules
            .triggers
            .iter()
            .map(|t| playbooks.iter().position(|p| *p == t.playbook).unwrap_or(0) as u32)
            .collect();
        Engine {
            rules,
            by_score,
            weights: rules.scores.iter().map(|s| s.weight).collect(),
            int_weights: rules
                .scores
                .iter()
                .map(|s| {
                    let w = s.weight.normalize();
                    (w.scale() == 0)
                        .then(|| i64::try_from(w.mantissa()).ok())
                        .flatten()
                        .filter(|w| w.unsigned_abs() <= 1_000_000_000)
                })
                .collect(),
            playbooks,
            trigger_playbook,
            quoted: std::sync::OnceLock::new(),
            traces: true,
            program: Some(Program::new(rules)),
            fast: std::sync::OnceLock::new(),
        }
    }

    /// An engine that walks every expression with [`vital_check::eval`]
    /// instead of running the compiled program: the reference the compiled
    /// engine is tested against (tests/compiled.rs) and measured against
    /// (`cargo bench -p vital-eval --bench throughput`).
    pub fn interpreted(mut self) -> Engine<'r> {
        self.program = None;
        self.fast = std::sync::OnceLock::from(None);
        self
    }

    /// The same engine without the fast path (crate::fixed): every
    /// expression runs on the compiled `Decimal` nodes, as the fast path
    /// falls back to them (measured side by side in
    /// `cargo bench -p vital-eval --bench throughput`).
    pub fn without_fast_path(mut self) -> Engine<'r> {
        self.fast = std::sync::OnceLock::from(None);
        self
    }

    fn fast(&self) -> Option<&crate::fixed::Fast> {
        self.fast
            .get_or_init(|| {
                crate::fixed::Fast::new(self.rules, &self.by_score, &self.trigger_playbook)
            })
            .as_ref()
    }

    /// Whether the rule set compiled to the fast path (crate::fixed).
    pub fn has_fast_path(&self) -> bool {
        self.fast().is_some()
    }

    /// The fast path's outcome of an account's only snapshot (as
    /// [`Engine::evaluate_one`] without explain gives it), or `None` where
    /// it does not answer: no fast path, or a value that does not fit its
    /// integers.
    #[inline]
    pub fn evaluate_fast(&self, snapshot: &Snapshot) -> Option<Outcome> {
        self.fast()?.evaluate(snapshot)
    }

    /// The fast path's outcomes of an account's snapshots (as
    /// [`Engine::evaluate_group`] without explain gives them), or `None`.
    pub fn evaluate_group_fast(&self, group: &[Snapshot]) -> Option<Vec<Outcome>> {
        self.fast()?.evaluate_group(group)
    }

    /// `as_of − window` for the program's windows (none when walking).
    fn starts(&self, as_of: NaiveDate) -> compiled::Starts {
        self.program
            .as_ref()
            .map(|p| compiled::starts(&p.windows, as_of))
            .unwrap_or_default()
    }

    /// Score `s`'s base: 50 without one, `None` when missing.
    fn base(&self, cx: &Cx<'_>, s: usize) -> Option<Decimal> {
        let score = &self.rules.scores[s];
        match (&self.program, &score.base) {
            (_, None) => Some(Decimal::from(50)),
            (Some(p), Some(_)) => p.bases[s]
                .as_ref()
                .and_then(|n| At::new(cx, cx.starts).num(n)),
            (None, Some(e)) => cx.eval(e).as_num(),
        }
    }

    /// Whether adjustment `a` applies (its condition holds, or it has none).
    /// Whether adjustment `a`'s condition holds: `Some(true)` applies it,
    /// `None` is a condition that came to missing (decided nothing).
    fn decided(&self, cx: &Cx<'_>, a: usize) -> Option<bool> {
        match (&self.program, &self.rules.adjustments[a].cond) {
            (_, None) => Some(true),
            (Some(p), Some(_)) => p.conds[a]
                .as_ref()
                .and_then(|c| At::new(cx, cx.starts).cond(c)),
            (None, Some(c)) => match cx.eval(c) {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    /// Adjustment `a`'s amount, unsigned.
    fn amount(&self, cx: &Cx<'_>, a: usize) -> Option<Decimal> {
        match &self.program {
            Some(p) => At::new(cx, cx.starts).num(&p.amounts[a]),
            None => cx.eval(&self.rules.adjustments[a].amount).as_num(),
        }
    }

    /// Whether status arm `i`'s condition holds (`otherwise` always does).
    fn arm_holds(&self, cx: &Cx<'_>, i: usize) -> bool {
        match (&self.program, &self.rules.status[i].cond) {
            (_, None) => true,
            (Some(p), Some(_)) => {
                p.status[i]
                    .as_ref()
                    .and_then(|c| At::new(cx, cx.starts).cond(c))
                    == Some(true)
            }
            (None, Some(c)) => cx.eval(c) == Value::Bool(true),
        }
    }

    /// Whether trigger rule `t`'s condition holds.
    fn fires(&self, cx: &Cx<'_>, t: usize) -> bool {
        match &self.program {
            Some(p) => At::new(cx, cx.starts).cond(&p.triggers[t]) == Some(true),
            None => cx.eval(&self.rules.triggers[t].cond) == Value::Bool(true),
        }
    }

    /// The rule set's names as JSON string literals (made once).
    pub fn quoted(&self) -> &Quoted {
        self.quoted.get_or_init(|| {
            let q = |s: &str| {
                let mut out = String::new();
                crate::results::json_str(&mut out, s);
                out
            };
            Quoted {
                score_keys: self
                    .rules
                    .scores
                    .iter()
                    .map(|s| q(&s.name) + ": ")
                    .collect(),
                statuses: self.rules.status.iter().map(|a| q(&a.name)).collect(),
                playbooks: self.playbooks.iter().map(|p| q(p)).collect(),
            }
        })
    }

    /// An engine whose explain mode records which rules applied and fired,
    /// but not what they read.
    pub fn without_traces(mut self) -> Engine<'r> {
        self.traces = false;
        self
    }

    /// Evaluate every snapshot of one account. `group` holds the account's
    /// accepted snapshots, each the history of the others; results come back
    /// in the same order.
    pub fn evaluate_group(&self, group: &[Snapshot], explain: bool) -> Vec<Outcome> {
        if !explain {
            if let Some(o) = self.evaluate_group_fast(group) {
                return o;
            }
        }
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
        // inline for the common group of one or two snapshots
        let starts: smallvec::SmallVec<[compiled::Starts; 2]> =
            group.iter().map(|s| self.starts(s.as_of)).collect();
        // phase 1: scores and health of every snapshot (they read no scores)
        let mut explains: Vec<Option<Explain>> = Vec::new();
        let mut scored: Vec<Scored> = Vec::with_capacity(group.len());
        for (i, starts) in starts.iter().enumerate() {
            let (s, e) = self.score(&hist, i, explain, starts);
            scored.push(s);
            if explain {
                explains.push(e);
            }
        }
        // phase 2: status and triggers, which may look back at scores/health
        let decided: Vec<Decided> = (0..group.len())
            .map(|i| self.decide(&hist, &scored, i, explain, &starts[i]))
            .collect();
        // started: against the latest earlier snapshot of the group
        let mut started: Vec<Playbooks> = vec![Playbooks::new(); group.len()];
        for (k, &i) in by_date.iter().enumerate() {
            let before = by_date[..k]
                .iter()
                .rev()
                .find(|&&j| group[j].as_of < group[i].as_of);
            started[i] = match before {
                Some(&j) => decided[i]
                    .triggered
                    .iter()
                    .copied()
                    .filter(|p| !decided[j].triggered.contains(p))
                    .collect(),
                None => decided[i].triggered.clone(),
            };
        }
        let mut explains = explains.into_iter();
        scored
            .into_iter()
            .zip(decided)
            .zip(started)
            .map(|((scored, d), started)| outcome(scored, d, started, explains.next().flatten()))
            .collect()
    }

    /// [`Engine::evaluate_group`] of an account with one snapshot.
    pub fn evaluate_one(&self, snapshot: &Snapshot, explain: bool) -> Outcome {
        if !explain {
            if let Some(o) = self.evaluate_fast(snapshot) {
                return o;
            }
        }
        let hist = History {
            group: std::slice::from_ref(snapshot),
            by_date: &[0],
        };
        let starts = self.starts(snapshot.as_of);
        let (scored, ex) = self.score(&hist, 0, explain, &starts);
        let d = self.decide(&hist, std::slice::from_ref(&scored), 0, explain, &starts);
        // no earlier snapshot: every playbook triggered is started
        let started = d.triggered.clone();
        outcome(scored, d, started, ex)
    }

    /// Phase 2 for snapshot `i`: status and triggers, which may look back
    /// at the scores and health of the group.
    fn decide(
        &self,
        hist: &History<'_>,
        scored: &[Scored],
        i: usize,
        explain: bool,
        starts: &[Option<NaiveDate>],
    ) -> Decided {
        let cx = Cx {
            hist,
            idx: i,
            scored: Some(scored),
            status: None,
            starts,
        };
        let computed = self.status(&cx);
        let over = hist.group[i].override_in_force();
        let status = over.map(|o| o.status).or(computed);
        let cx = Cx { status, ..cx };
        let mut triggered = Playbooks::new();
        let mut fired = Vec::new();
        for (t, rule) in self.rules.triggers.iter().enumerate() {
            if self.fires(&cx, t) {
                let p = self.trigger_playbook[t];
                if !triggered.contains(&p) {
                    triggered.push(p);
                }
                if explain {
                    let mut seen = Vec::new();
                    if self.traces {
                        trace(&cx, &rule.cond, &mut seen);
                    }
                    fired.push(RuleTrace {
                        rule: t,
                        amount: None,
                        seen,
                    });
                }
            }
        }
        Decided {
            computed_status: computed,
            status,
            override_in_force: over.is_some(),
            triggered,
            fired,
        }
    }

    fn score(
        &self,
        hist: &History<'_>,
        idx: usize,
        explain: bool,
        starts: &[Option<NaiveDate>],
    ) -> (Scored, Option<Explain>) {
        let cx = Cx {
            hist,
            idx,
            scored: None,
            status: None,
            starts,
        };
        let mut scores = Scores::new();
        let mut ex = explain.then(|| Explain {
            scores: Vec::new(),
            triggers: Vec::new(),
            fired: Vec::new(),
        });
        for (s, score) in self.rules.scores.iter().enumerate() {
            let base = self.base(&cx, s);
            let mut applied = Vec::new();
            let mut adjustments = Vec::new();
            let mut undecided = Vec::new();
            let value = base.map(|b| {
                let mut total = b;
                for &a in &self.by_score[s] {
                    let adj = &self.rules.adjustments[a];
                    let holds = self.decided(&cx, a);
                    if holds != Some(true) {
                        // for people: a condition that came to missing
                        // decided nothing, which explain says
                        if let (None, true, true, Some(c)) =
                            (holds, explain, self.traces, &adj.cond)
                        {
                            let mut seen = Vec::new();
                            trace(&cx, c, &mut seen);
                            undecided.push((a, seen));
                        }
                        continue;
                    }
                    let amount = self.amount(&cx, a);
                    let signed = amount.map(|amount| match adj.direction {
                        Direction::Add => amount,
                        Direction::Subtract => -amount,
                    });
                    if explain {
                        let mut seen = Vec::new();
                        if self.traces {
                            if let Some(c) = &adj.cond {
                                trace(&cx, c, &mut seen);
                            }
                            trace(&cx, &adj.amount, &mut seen);
                        }
                        adjustments.push(RuleTrace {
                            rule: a,
                            amount: signed,
                            seen,
                        });
                    }
                    let Some(signed) = signed else {
                        continue;
                    };
                    total = total.checked_add(signed).unwrap_or(total);
                    if explain {
                        applied.push((a, signed));
                    }
                }
                total
            });
            let rounded = value.map(|v| one_decimal(value::round1(clamp100(v))));
            if let Some(e) = ex.as_mut() {
                let mut base_seen = Vec::new();
                if let (Some(b), true) = (&score.base, self.traces) {
                    trace(&cx, b, &mut base_seen);
                }
                e.scores.push(ScoreExplain {
                    base,
                    base_seen,
                    applied,
                    adjustments,
                    undecided,
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
        if let Some(ws) = &self.int_weights {
            if let Some(h) = int_health(ws, scores) {
                return h;
            }
        }
        decimal_health(&self.weights, scores).map(one_decimal)
    }

    fn status(&self, cx: &Cx<'_>) -> Option<ArmId> {
        (0..self.rules.status.len())
            .find(|&i| self.arm_holds(cx, i))
            .map(ArmId::new)
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
            starts: &[],
        };
        cx.eval(e)
    }
}

/// A rounded score or health at scale 1 (`72` as `72.0`), whichever
/// path computed it: results are written with one decimal anyway, and the
/// fast path (crate::fixed) makes every one at scale 1.
fn one_decimal(mut d: Decimal) -> Decimal {
    if d.scale() < 1 {
        d.rescale(1);
    }
    d
}

/// A score clamped to 0–100: `Decimal::clamp`, with the cheaper
/// [`value::cmp_num`]. A zero is the positive zero: `Decimal` keeps the
/// sign of `0 - 0` (a `subtract 0` from a score at 0), which would be
/// written `-0.0`.
fn clamp100(v: Decimal) -> Decimal {
    use std::cmp::Ordering::{Greater, Less};
    if v.is_zero() || value::cmp_num(&v, &Decimal::ZERO) == Less {
        Decimal::ZERO
    } else if value::cmp_num(&v, &Decimal::ONE_HUNDRED) == Greater {
        Decimal::ONE_HUNDRED
    } else {
        v
    }
}

/// [`Engine::health`] in decimals.
fn decimal_health(weights: &[Decimal], scores: &[Option<Decimal>]) -> Option<Decimal> {
    let mut num = Decimal::ZERO;
    let mut den = Decimal::ZERO;
    for (s, w) in scores.iter().zip(weights) {
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

/// [`Engine::health`] in integers, when the weights are integers and
/// the scores have at most one decimal (they are rounded to one): ten
/// times the health is Σ(w × 10s) / Σw, rounded half away from zero.
/// Used only when that quotient is not whole: then the decimal path's
/// quotient has more than one decimal and `round1` gives the same value
/// at scale 1 (its quotient is exact to 28 digits, and a quotient of
/// integers with a divisor up to 10^9·n is at least 1/(2·Σw) away from
/// a half). `None`: take the decimal path.
fn int_health(ws: &[i64], scores: &[Option<Decimal>]) -> Option<Option<Decimal>> {
    // in i64: a score is at most 28 digits, but one in tenths that fits
    // in 32 bits times a weight up to 10^9 leaves room for millions of
    // scores; anything larger takes the decimal path
    let mut num: i64 = 0;
    let mut den: i64 = 0;
    for (s, w) in scores.iter().zip(ws) {
        let Some(s) = s else { continue };
        let m = i64::from(i32::try_from(s.mantissa()).ok()?);
        let tenths = match s.scale() {
            0 => m.checked_mul(10)?,
            1 => m,
            _ => return None,
        };
        num = num.checked_add(tenths.checked_mul(*w)?)?;
        den = den.checked_add(*w)?;
    }
    if den == 0 {
        return Some(None);
    }
    let (q, r) = (num / den, num % den);
    if r == 0 {
        return None;
    }
    // half away from zero: |r| / |den| >= 1/2
    let away = 2 * u128::from(r.unsigned_abs()) >= u128::from(den.unsigned_abs());
    let negative = (num < 0) != (den < 0);
    let q = match (away, negative) {
        (false, _) => q,
        (true, false) => q + 1,
        (true, true) => q - 1,
    };
    Some(Some(Decimal::new(q, 1)))
}

/// One snapshot's outcome from its phases.
fn outcome(scored: Scored, d: Decided, started: Playbooks, explain: Option<Explain>) -> Outcome {
    let explain = explain.map(|mut e| {
        e.triggers = d.fired.iter().map(|f| f.rule).collect();
        e.fired = d.fired;
        e
    });
    Outcome {
        scored,
        computed_status: d.computed_status,
        status: d.status,
        override_in_force: d.override_in_force,
        triggered: d.triggered,
        started,
        explain,
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
    status: Option<ArmId>,
    /// `as_of − window` for the compiled program's windows.
    starts: &'a [Option<NaiveDate>],
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
        self.snap().signals.get(s.index())
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
        self.snap().events.of(e.index())
    }

    fn previous(&self, t: Target, d: Duration) -> Value {
        self.previous_on(t, d.before(self.snap().as_of))
    }

    fn previous_on(&self, t: Target, date: Option<NaiveDate>) -> Value {
        let Some(date) = date else {
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
            .and_then(|sc| sc.scores.get(s.index()).copied().flatten())
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
                .get(s.index())
                .cloned()
                .unwrap_or(Value::Missing),
            Target::Score(s) => n(self.score_of(idx, s)),
            Target::Health => n(self.health_of(idx)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decimal_health, int_health};
    use rust_decimal::Decimal;

    /// The integer health is the decimal health, value and representation,
    /// whenever it answers: weights of the examples and odd ones, scores
    /// with one decimal, some n/a.
    #[test]
    fn integer_health_is_decimal_health() {
        let weight_sets: [&[i64]; 5] = [
            &[35, 15, 25, 25],
            &[20, 40, 20, 20],
            &[1, 1, 1],
            &[3, 7, 11, 13, 17],
            &[999_999_937, 2, 1],
        ];
        let mut x: u64 = 7;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut answered = 0;
        for ws in weight_sets {
            let dec: Vec<Decimal> = ws.iter().map(|w| Decimal::from(*w)).collect();
            for _ in 0..20_000 {
                let scores: Vec<Option<Decimal>> = ws
                    .iter()
                    .map(|_| match next(10) {
                        0 => None,
                        1 => Some(Decimal::from(next(101))),
                        _ => Some(Decimal::new(next(1001) as i64, 1)),
                    })
                    .collect();
                let want = decimal_health(&dec, &scores);
                if let Some(got) = int_health(ws, &scores) {
                    answered += 1;
                    let parts = |d: Option<Decimal>| d.map(|d| d.serialize());
                    assert_eq!(parts(got), parts(want), "{ws:?} {scores:?}");
                }
            }
        }
        assert!(
            answered > 50_000,
            "the integer path answered {answered} times"
        );
    }
}
