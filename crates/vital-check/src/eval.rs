//! The one expression evaluator (docs/language.md §6): a pure function of a
//! checked expression and an [`Env`] that says what the expression may read.
//!
//! The checker evaluates constants with [`Constants`] (nothing per account:
//! every read is missing); the evaluator (`vital-eval`) supplies the snapshot's
//! signals, events, history, scores and status. [`Evaluator`] is generic over
//! the environment, so each use is compiled for its own environment (no
//! dynamic dispatch in the engine's hot path).

use crate::ir::{AggKind, ArmId, EventId, Expr, ExprKind, Query, ScoreId, SignalId, Target};
use crate::value::{self, Duration, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use vital_syntax::ast::ArithOp;

/// One occurrence of an event, as the environment stores it.
pub trait EventOccurrence {
    fn date(&self) -> NaiveDate;
    /// By field index of the event's declaration.
    fn fields(&self) -> &[Value];
}

/// What an expression reads: everything but literals and the event fields of
/// the occurrence a `where` is looking at (the evaluator holds those).
pub trait Env {
    type Occurrence: EventOccurrence;

    /// A signal of the snapshot being evaluated; `None` reads as missing.
    fn signal(&self, s: SignalId) -> Option<&Value>;
    /// A score of this snapshot; `None` when N/A or not computed yet.
    fn score(&self, s: ScoreId) -> Option<Decimal>;
    fn health(&self) -> Option<Decimal>;
    /// The reported status (an arm index), once it is known.
    fn status(&self) -> Option<ArmId>;
    /// The snapshot's date; `None` outside a snapshot (constants).
    fn as_of(&self) -> Option<NaiveDate>;
    /// Every occurrence of an event in the snapshot (any date).
    fn occurrences(&self, e: EventId) -> &[Self::Occurrence];
    /// `previous(t, d)`: `t` in the latest other snapshot dated on or before
    /// `as_of − d`.
    fn previous(&self, t: Target, d: Duration) -> Value;
    /// [`Env::previous`] with `as_of − d` computed by the caller (`None`
    /// when out of the calendar: missing).
    fn previous_on(&self, t: Target, date: Option<NaiveDate>) -> Value;
}

/// No occurrence at all (the constants environment has no events).
#[derive(Debug, Clone, Copy)]
pub enum NoOccurrence {}

impl EventOccurrence for NoOccurrence {
    fn date(&self) -> NaiveDate {
        match *self {}
    }
    fn fields(&self) -> &[Value] {
        match *self {}
    }
}

/// The environment of a constant: literals only, every other read missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Constants;

impl Env for Constants {
    type Occurrence = NoOccurrence;
    fn signal(&self, _: SignalId) -> Option<&Value> {
        None
    }
    fn score(&self, _: ScoreId) -> Option<Decimal> {
        None
    }
    fn health(&self) -> Option<Decimal> {
        None
    }
    fn status(&self) -> Option<ArmId> {
        None
    }
    fn as_of(&self) -> Option<NaiveDate> {
        None
    }
    fn occurrences(&self, _: EventId) -> &[NoOccurrence] {
        &[]
    }
    fn previous(&self, _: Target, _: Duration) -> Value {
        Value::Missing
    }
    fn previous_on(&self, _: Target, _: Option<NaiveDate>) -> Value {
        Value::Missing
    }
}

/// Evaluate `e` in `env`.
pub fn eval<E: Env>(env: &E, e: &Expr) -> Value {
    Evaluator::new(env).eval(e)
}

/// Evaluates expressions in one environment (and, inside `where`, for one
/// event occurrence).
pub struct Evaluator<'a, E: Env> {
    env: &'a E,
    /// The fields of the occurrence a `where` is looking at.
    fields: Option<&'a [Value]>,
}

impl<'a, E: Env> Evaluator<'a, E> {
    pub fn new(env: &'a E) -> Self {
        Evaluator { env, fields: None }
    }

    /// Inside a `where`: `fields` are the occurrence's it is looking at.
    pub fn with_fields(env: &'a E, fields: Option<&'a [Value]>) -> Self {
        Evaluator { env, fields }
    }

    pub fn eval(&self, e: &Expr) -> Value {
        use ExprKind as K;
        match &e.kind {
            K::Lit(v) => v.clone(),
            K::Signal(_) | K::Field(_) => self.leaf(e).into_owned(),
            K::Score(s) => num(self.env.score(*s)),
            K::Health => num(self.env.health()),
            K::Status => self.env.status().map_or(Value::Missing, Value::Status),
            K::Neg(a) => value::neg(&self.leaf(a)),
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
                let v = self.leaf(value);
                if v.is_missing() {
                    return Value::Missing;
                }
                let mut any_missing = false;
                for x in list {
                    match value::compare(vital_syntax::ast::CmpOp::Eq, &v, &self.leaf(x)) {
                        Value::Bool(true) => return Value::Bool(!negated),
                        Value::Missing => any_missing = true,
                        _ => {}
                    }
                }
                if any_missing {
                    Value::Missing
                } else {
                    Value::Bool(*negated)
                }
            }
            K::IsMissing { value, negated } => {
                Value::Bool(self.leaf(value).is_missing() != *negated)
            }
            K::Exists(q) => Value::Bool(self.matching(q).next().is_some()),
            K::Count(q) => Value::Num(Decimal::from(self.count(q))),
            K::Last(q) => self
                .matching(q)
                .map(|o| o.date())
                .max()
                .map_or(Value::Missing, Value::Date),
            K::First(q) => self
                .matching(q)
                .map(|o| o.date())
                .min()
                .map_or(Value::Missing, Value::Date),
            K::Aggregate(kind, q) => self.aggregate(*kind, q),
            K::DaysSince(d) => match (self.eval(d), self.env.as_of()) {
                (Value::Date(d), Some(as_of)) => Value::Num(value::days_between(d, as_of)),
                _ => Value::Missing,
            },
            K::DaysUntil(d) => match (self.eval(d), self.env.as_of()) {
                (Value::Date(d), Some(as_of)) => Value::Num(value::days_between(as_of, d)),
                _ => Value::Missing,
            },
            K::Min(xs) | K::Max(xs) => {
                let max = matches!(e.kind, K::Max(_));
                let mut acc: Option<Decimal> = None;
                for x in xs {
                    let Some(v) = self.leaf(x).as_num() else {
                        return Value::Missing;
                    };
                    acc = Some(match acc {
                        None => v,
                        Some(a) if max => a.max(v),
                        Some(a) => a.min(v),
                    });
                }
                num(acc)
            }
            K::Clamp(x, lo, hi) => value::clamp(
                self.leaf(x).as_num(),
                self.leaf(lo).as_num(),
                self.leaf(hi).as_num(),
            ),
            K::Abs(x) => num(self.leaf(x).as_num().map(|d| d.abs())),
            K::Round(x) => num(self.leaf(x).as_num().map(value::round0)),
            K::Linear(x, lo, hi) => match (
                self.leaf(x).as_num(),
                self.leaf(lo).as_num(),
                self.leaf(hi).as_num(),
            ) {
                (Some(x), Some(lo), Some(hi)) => num(value::linear(x, lo, hi)),
                _ => Value::Missing,
            },
            K::Previous(t, d) => self.env.previous(*t, *d),
            K::Change(t, d) => {
                let now = self.now(*t);
                if now.is_missing() {
                    return Value::Missing;
                }
                value::arith(ArithOp::Sub, &now, &self.env.previous(*t, *d))
            }
            K::Band {
                input,
                arms,
                otherwise,
            } => {
                let v = self.leaf(input);
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

    /// Like [`Evaluator::eval`], but literals, signals and fields are
    /// borrowed rather than cloned (the common operands of comparisons and
    /// arithmetic).
    pub fn leaf<'e>(&'e self, e: &'e Expr) -> Cow<'e, Value> {
        match &e.kind {
            ExprKind::Lit(v) => Cow::Borrowed(v),
            ExprKind::Signal(s) => self
                .env
                .signal(*s)
                .map_or(Cow::Owned(Value::Missing), Cow::Borrowed),
            ExprKind::Field(f) => self
                .fields
                .and_then(|fs| fs.get(f.index()))
                .map_or(Cow::Owned(Value::Missing), Cow::Borrowed),
            _ => Cow::Owned(self.eval(e)),
        }
    }

    /// The current value of what `previous`/`change` look back at.
    pub fn now(&self, t: Target) -> Value {
        match t {
            Target::Signal(s) => self.env.signal(s).cloned().unwrap_or(Value::Missing),
            Target::Score(s) => num(self.env.score(s)),
            Target::Health => num(self.env.health()),
        }
    }

    /// How many occurrences an event query matches.
    pub fn count(&self, q: &Query) -> usize {
        self.matching(q).count()
    }

    /// The occurrences an event query matches: dated on or before `as_of`
    /// (and on or after `as_of − within`), whose `where` holds.
    fn matching<'q>(&'q self, q: &'q Query) -> impl Iterator<Item = &'a E::Occurrence> + 'q {
        let as_of = self.env.as_of();
        let from = match (q.within, as_of) {
            (Some(d), Some(as_of)) => d.before(as_of),
            _ => None,
        };
        let env: &'a E = self.env;
        let occs: &'a [E::Occurrence] = match as_of {
            Some(_) => env.occurrences(q.event),
            None => &[],
        };
        occs.iter().filter(move |o| {
            let date = o.date();
            if as_of.is_some_and(|a| date > a) || from.is_some_and(|f| date < f) {
                return false;
            }
            match &q.filter {
                Some(c) => {
                    let inner = Evaluator {
                        env,
                        fields: Some(o.fields()),
                    };
                    inner.eval(c) == Value::Bool(true)
                }
                None => true,
            }
        })
    }

    fn aggregate(&self, kind: AggKind, q: &Query) -> Value {
        let Some(f) = q.field else {
            return Value::Missing;
        };
        let mut n = 0u32;
        let mut acc: Option<Decimal> = None;
        for o in self.matching(q) {
            let Some(v) = o.fields().get(f.index()).and_then(Value::as_num) else {
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
            (Some(s), AggKind::Avg) => num(s.checked_div(Decimal::from(n))),
            (Some(v), _) => Value::Num(v),
        }
    }
}

fn num(d: Option<Decimal>) -> Value {
    d.map_or(Value::Missing, Value::Num)
}
