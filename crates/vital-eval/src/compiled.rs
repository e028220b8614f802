//! The rule set's expressions compiled for the engine's hot path.
//!
//! [`vital_check::eval`] is the one definition of what an expression means
//! (docs/language.md §6): a walk over the checker's typed tree that passes
//! every intermediate result around as a [`Value`]. Scoring calls it once
//! per rule and snapshot, so the engine compiles each rule's expressions
//! once into typed nodes instead: a numeric node yields an
//! `Option<Decimal>` and a condition an `Option<bool>` (`None` is missing),
//! so no `Value` is built, matched or cloned between operators, and an
//! event query's `where` is a condition over the occurrence's fields.
//!
//! Each node computes what the tree walker computes, with the same
//! functions of [`vital_check::value`] on the same `Decimal`s, in the same
//! order, so results are identical, representation included. Two shapes
//! are decided faster than the walker decides them, exactly:
//! * a quotient compared with a number (`active_users / licensed_seats <
//!   0.5`) is decided by cross-multiplying in integers when the operands
//!   are small enough that the `Decimal` quotient's rounding (at 28
//!   significant digits) cannot change the comparison ([`quotient_cmp`]);
//!   otherwise by dividing, as the walker does;
//! * an event query reads its date bounds once, not per occurrence.
//!
//! What is not worth a node of its own (dates, texts, `last`/`first`,
//! durations) is a [`Num::Walk`]/[`Cond::Walk`]/[`Val::Walk`] leaf that
//! calls the walker, so every expression compiles. `tests/compiled.rs`
//! runs the walker and the compiled engine side by side over the examples,
//! the semantics corpus and generated rule sets and data.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;
use vital_check::eval::{Env, Evaluator, EventOccurrence};
use vital_check::ir::{AggKind, Expr, ExprKind as K, Query, ScoreId, SignalId, Target};
use vital_check::value::{self, Duration, Value};
use vital_syntax::ast::{ArithOp, CmpOp};

/// A numeric expression: `None` is missing.
#[derive(Debug)]
pub enum Num<'r> {
    Lit(Decimal),
    Signal(SignalId),
    Field(usize),
    Score(ScoreId),
    Health,
    Neg(Box<Num<'r>>),
    Arith(ArithOp, Box<Num<'r>>, Box<Num<'r>>),
    Count(Box<Q<'r>>),
    Aggregate(AggKind, Box<Q<'r>>),
    /// `days_since(d)` (`until: false`) or `days_until(d)`.
    Days {
        date: Box<Val<'r>>,
        until: bool,
    },
    MinMax {
        max: bool,
        xs: Vec<Num<'r>>,
    },
    Clamp(Box<[Num<'r>; 3]>),
    Abs(Box<Num<'r>>),
    Round(Box<Num<'r>>),
    Linear(Box<[Num<'r>; 3]>),
    /// `previous`/`change`, with the index of `as_of − d` among the
    /// program's windows ([`Compiler::windows`]).
    Previous(Target, Duration, usize),
    Change(Target, Duration, usize),
    Band {
        input: Box<Num<'r>>,
        arms: Vec<(CmpOp, Num<'r>, Num<'r>)>,
        otherwise: Box<Num<'r>>,
    },
    Coalesce(Box<Num<'r>>, Box<Num<'r>>),
    Walk(&'r Expr),
}

/// A condition: `None` is missing.
#[derive(Debug)]
pub enum Cond<'r> {
    Lit(Option<bool>),
    /// Two numbers compared.
    Compare(CmpOp, Num<'r>, Num<'r>),
    /// `a / b OP c`.
    Quotient {
        op: CmpOp,
        a: Num<'r>,
        b: Num<'r>,
        c: Num<'r>,
    },
    /// An enum (or status) value among variants given as literals (`==`,
    /// `!=`, `in`, `not in`): `Some(value ∈ mask) != negated`, `None`
    /// when the value is missing.
    Variants {
        value: Val<'r>,
        mask: u64,
        negated: bool,
    },
    /// Two values of another type compared (enums, statuses, texts, dates).
    CompareValues(CmpOp, Val<'r>, Val<'r>),
    And(Box<Cond<'r>>, Box<Cond<'r>>),
    Or(Box<Cond<'r>>, Box<Cond<'r>>),
    Not(Box<Cond<'r>>),
    In {
        value: Val<'r>,
        list: Vec<Val<'r>>,
        negated: bool,
    },
    IsMissing {
        value: Val<'r>,
        negated: bool,
    },
    Exists(Box<Q<'r>>),
    Walk(&'r Expr),
}

/// A value of any type, read where it is when it can be.
#[derive(Debug)]
pub enum Val<'r> {
    Lit(&'r Value),
    Signal(SignalId),
    Field(usize),
    Status,
    Num(Num<'r>),
    Walk(&'r Expr),
}

/// An event query.
#[derive(Debug)]
pub struct Q<'r> {
    event: vital_check::ir::EventId,
    field: Option<usize>,
    /// `within d`, and the index of `as_of − d` among the windows.
    within: Option<(Duration, usize)>,
    filter: Option<Cond<'r>>,
}

// ---------------------------------------------------------------- compiling

/// Compiles a rule set's expressions, collecting the windows (`within`,
/// `previous`, `change`) they look back over: each snapshot computes
/// `as_of − window` once for all of them ([`Compiler::windows`]).
#[derive(Debug, Default)]
pub struct Compiler {
    /// Distinct durations, by window index.
    pub windows: Vec<Duration>,
}

impl Compiler {
    /// The index of window `d`, added when new (the fast path,
    /// crate::fixed, collects its windows with this too).
    pub(crate) fn window(&mut self, d: Duration) -> usize {
        match self.windows.iter().position(|w| *w == d) {
            Some(i) => i,
            None => {
                self.windows.push(d);
                self.windows.len() - 1
            }
        }
    }

    pub fn num<'r>(&mut self, e: &'r Expr) -> Num<'r> {
        let all_numeric = |xs: &[&Expr]| xs.iter().all(|x| x.ty.is_numeric());
        if !e.ty.is_numeric() {
            return Num::Walk(e);
        }
        match &e.kind {
            K::Lit(Value::Num(d)) => Num::Lit(*d),
            K::Signal(s) => Num::Signal(*s),
            K::Field(f) => Num::Field(f.index()),
            K::Score(s) => Num::Score(*s),
            K::Health => Num::Health,
            K::Neg(a) if a.ty.is_numeric() => Num::Neg(Box::new(self.num(a))),
            K::Arith(op, a, b) if all_numeric(&[a, b]) => {
                Num::Arith(*op, Box::new(self.num(a)), Box::new(self.num(b)))
            }
            K::Count(q) => Num::Count(Box::new(self.query(q))),
            K::Aggregate(kind, q) => Num::Aggregate(*kind, Box::new(self.query(q))),
            K::DaysSince(d) => Num::Days {
                date: Box::new(self.val(d)),
                until: false,
            },
            K::DaysUntil(d) => Num::Days {
                date: Box::new(self.val(d)),
                until: true,
            },
            K::Min(xs) | K::Max(xs) if xs.iter().all(|x| x.ty.is_numeric()) => Num::MinMax {
                max: matches!(e.kind, K::Max(_)),
                xs: xs.iter().map(|x| self.num(x)).collect(),
            },
            K::Clamp(x, lo, hi) if all_numeric(&[x, lo, hi]) => {
                Num::Clamp(Box::new([self.num(x), self.num(lo), self.num(hi)]))
            }
            K::Abs(x) if x.ty.is_numeric() => Num::Abs(Box::new(self.num(x))),
            K::Round(x) if x.ty.is_numeric() => Num::Round(Box::new(self.num(x))),
            K::Linear(x, lo, hi) if all_numeric(&[x, lo, hi]) => {
                Num::Linear(Box::new([self.num(x), self.num(lo), self.num(hi)]))
            }
            K::Previous(t, d) => Num::Previous(*t, *d, self.window(*d)),
            K::Change(t, d) => Num::Change(*t, *d, self.window(*d)),
            K::Band {
                input,
                arms,
                otherwise,
            } if input.ty.is_numeric()
                && arms
                    .iter()
                    .all(|a| a.value.ty.is_numeric() && a.result.ty.is_numeric())
                && otherwise.ty.is_numeric() =>
            {
                Num::Band {
                    input: Box::new(self.num(input)),
                    arms: arms
                        .iter()
                        .map(|a| (a.op, self.num(&a.value), self.num(&a.result)))
                        .collect(),
                    otherwise: Box::new(self.num(otherwise)),
                }
            }
            K::Coalesce(a, b) if all_numeric(&[a, b]) => {
                Num::Coalesce(Box::new(self.num(a)), Box::new(self.num(b)))
            }
            _ => Num::Walk(e),
        }
    }

    pub fn cond<'r>(&mut self, e: &'r Expr) -> Cond<'r> {
        match &e.kind {
            K::Lit(Value::Bool(b)) => Cond::Lit(Some(*b)),
            K::Lit(Value::Missing) => Cond::Lit(None),
            K::Compare(op, a, b) if a.ty.is_numeric() && b.ty.is_numeric() => {
                match (&a.kind, &b.kind) {
                    (K::Arith(ArithOp::Div, x, y), _) if x.ty.is_numeric() && y.ty.is_numeric() => {
                        Cond::Quotient {
                            op: *op,
                            a: self.num(x),
                            b: self.num(y),
                            c: self.num(b),
                        }
                    }
                    (_, K::Arith(ArithOp::Div, x, y)) if x.ty.is_numeric() && y.ty.is_numeric() => {
                        Cond::Quotient {
                            op: flip(*op),
                            a: self.num(x),
                            b: self.num(y),
                            c: self.num(a),
                        }
                    }
                    _ => Cond::Compare(*op, self.num(a), self.num(b)),
                }
            }
            K::Compare(op @ (CmpOp::Eq | CmpOp::Ne), a, b) if variant(b).is_some() => {
                Cond::Variants {
                    value: self.val(a),
                    mask: variant(b).unwrap_or(0),
                    negated: *op == CmpOp::Ne,
                }
            }
            K::Compare(op, a, b) => Cond::CompareValues(*op, self.val(a), self.val(b)),
            K::In {
                value,
                list,
                negated,
            } if !list.is_empty() && list.iter().all(|x| variant(x).is_some()) => Cond::Variants {
                value: self.val(value),
                mask: list.iter().filter_map(variant).fold(0, |m, v| m | v),
                negated: *negated,
            },
            K::And(a, b) => Cond::And(Box::new(self.cond(a)), Box::new(self.cond(b))),
            K::Or(a, b) => Cond::Or(Box::new(self.cond(a)), Box::new(self.cond(b))),
            K::Not(a) => Cond::Not(Box::new(self.cond(a))),
            K::In {
                value,
                list,
                negated,
            } => Cond::In {
                value: self.val(value),
                list: list.iter().map(|x| self.val(x)).collect(),
                negated: *negated,
            },
            K::IsMissing { value, negated } => Cond::IsMissing {
                value: self.val(value),
                negated: *negated,
            },
            K::Exists(q) => Cond::Exists(Box::new(self.query(q))),
            _ => Cond::Walk(e),
        }
    }

    pub fn val<'r>(&mut self, e: &'r Expr) -> Val<'r> {
        match &e.kind {
            K::Lit(v) => Val::Lit(v),
            K::Signal(s) => Val::Signal(*s),
            K::Field(f) => Val::Field(f.index()),
            K::Status => Val::Status,
            _ if e.ty.is_numeric() => Val::Num(self.num(e)),
            _ => Val::Walk(e),
        }
    }

    fn query<'r>(&mut self, q: &'r Query) -> Q<'r> {
        Q {
            event: q.event,
            field: q.field.map(|f| f.index()),
            within: q.within.map(|d| (d, self.window(d))),
            filter: q.filter.as_deref().map(|c| self.cond(c)),
        }
    }
}

/// An enum or status literal with at most 64 variants, as a bit.
pub(crate) fn variant(e: &Expr) -> Option<u64> {
    let i = match &e.kind {
        K::Lit(Value::Enum(i)) => *i,
        K::Lit(Value::Status(a)) => u32::try_from(a.index()).ok()?,
        _ => return None,
    };
    1u64.checked_shl(i)
}

/// Whether variant `i` is among the bits of `mask` (see [`variant`]).
pub(crate) fn in_mask(i: u32, mask: u64) -> bool {
    1u64.checked_shl(i).is_some_and(|bit| mask & bit != 0)
}

/// `a OP b` as `b OP' a`.
pub(crate) fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Eq | CmpOp::Ne => op,
    }
}

// ---------------------------------------------------------------- evaluating

/// Where a node is evaluated: the environment, and inside a `where` the
/// fields of the occurrence it is looking at.
#[derive(Clone, Copy)]
pub struct At<'a, E: Env> {
    pub env: &'a E,
    pub fields: Option<&'a [Value]>,
    /// `as_of − window` for each of the compiler's windows, computed once
    /// per snapshot ([`starts`]); empty: computed where needed.
    pub starts: &'a [Option<NaiveDate>],
}

/// `as_of − window` for each window (`None` where out of the calendar).
pub fn starts(windows: &[Duration], as_of: NaiveDate) -> Starts {
    windows.iter().map(|d| d.before(as_of)).collect()
}

/// See [`starts`].
pub type Starts = smallvec::SmallVec<[Option<NaiveDate>; 8]>;

impl<'a, E: Env> At<'a, E> {
    pub fn new(env: &'a E, starts: &'a [Option<NaiveDate>]) -> Self {
        At {
            env,
            fields: None,
            starts,
        }
    }

    /// `as_of − d`, window `i`.
    fn start(&self, d: Duration, i: usize) -> Option<NaiveDate> {
        match self.starts.get(i) {
            Some(s) => *s,
            None => d.before(self.env.as_of()?),
        }
    }

    fn walk(&self, e: &Expr) -> Value {
        Evaluator::with_fields(self.env, self.fields).eval(e)
    }

    fn field(&self, i: usize) -> Option<&'a Value> {
        self.fields.and_then(|f| f.get(i))
    }

    fn date_bounds(&self, q: &Q<'_>) -> Option<(NaiveDate, Option<NaiveDate>)> {
        let as_of = self.env.as_of()?;
        Some((as_of, q.within.and_then(|(d, i)| self.start(d, i))))
    }

    /// Every occurrence the query matches, to `each` (which says whether to
    /// go on).
    fn matching(&self, q: &Q<'_>, mut each: impl FnMut(&'a E::Occurrence) -> bool) {
        let Some((as_of, from)) = self.date_bounds(q) else {
            return;
        };
        for o in self.env.occurrences(q.event) {
            let date = o.date();
            if date > as_of || from.is_some_and(|f| date < f) {
                continue;
            }
            if let Some(c) = &q.filter {
                let inner = At {
                    fields: Some(o.fields()),
                    ..*self
                };
                if inner.cond(c) != Some(true) {
                    continue;
                }
            }
            if !each(o) {
                return;
            }
        }
    }

    /// A numeric node: literals, signals and fields read in place (the
    /// common operands), anything else through [`At::num`].
    #[inline(always)]
    fn n(&self, n: &Num<'_>) -> Option<Decimal> {
        match n {
            Num::Lit(d) => Some(*d),
            Num::Signal(s) => self.env.signal(*s).and_then(Value::as_num),
            Num::Field(i) => self.field(*i).and_then(Value::as_num),
            _ => self.num(n),
        }
    }

    pub fn num(&self, n: &Num<'_>) -> Option<Decimal> {
        match n {
            Num::Lit(d) => Some(*d),
            Num::Signal(s) => self.env.signal(*s).and_then(Value::as_num),
            Num::Field(i) => self.field(*i).and_then(Value::as_num),
            Num::Score(s) => self.env.score(*s),
            Num::Health => self.env.health(),
            Num::Neg(a) => self.n(a).map(|x| -x),
            Num::Arith(op, a, b) => {
                let x = self.n(a)?;
                let y = self.n(b)?;
                match op {
                    ArithOp::Add => x.checked_add(y),
                    ArithOp::Sub => x.checked_sub(y),
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Div if y.is_zero() => None,
                    ArithOp::Div => x.checked_div(y),
                }
            }
            Num::Count(q) => {
                let mut n = 0usize;
                self.matching(q, |_| {
                    n += 1;
                    true
                });
                Some(Decimal::from(n))
            }
            Num::Aggregate(kind, q) => self.aggregate(*kind, q),
            Num::Days { date, until } => {
                let d = match self.val(date).as_ref() {
                    Value::Date(d) => *d,
                    _ => return None,
                };
                let as_of = self.env.as_of()?;
                Some(match until {
                    false => value::days_between(d, as_of),
                    true => value::days_between(as_of, d),
                })
            }
            Num::MinMax { max, xs } => {
                let mut acc: Option<Decimal> = None;
                for x in xs {
                    let v = self.n(x)?;
                    acc = Some(match acc {
                        None => v,
                        Some(a) if *max => a.max(v),
                        Some(a) => a.min(v),
                    });
                }
                acc
            }
            Num::Clamp(xs) => {
                let [x, lo, hi] = &**xs;
                value::clamp(self.n(x), self.n(lo), self.n(hi)).as_num()
            }
            Num::Abs(x) => self.n(x).map(|d| d.abs()),
            Num::Round(x) => self.n(x).map(value::round0),
            Num::Linear(xs) => {
                let [x, lo, hi] = &**xs;
                value::linear(self.n(x)?, self.n(lo)?, self.n(hi)?)
            }
            Num::Previous(t, d, i) => self.env.previous_on(*t, self.start(*d, *i)).as_num(),
            Num::Change(t, d, i) => {
                let now = match t {
                    Target::Signal(s) => self.env.signal(*s).and_then(Value::as_num),
                    Target::Score(s) => self.env.score(*s),
                    Target::Health => self.env.health(),
                }?;
                now.checked_sub(self.env.previous_on(*t, self.start(*d, *i)).as_num()?)
            }
            Num::Band {
                input,
                arms,
                otherwise,
            } => {
                let v = self.n(input)?;
                for (op, bound, result) in arms {
                    if let Some(b) = self.n(bound) {
                        if value::holds(*op, value::cmp_num(&v, &b)) {
                            return self.n(result);
                        }
                    }
                }
                self.n(otherwise)
            }
            Num::Coalesce(a, b) => self.n(a).or_else(|| self.n(b)),
            Num::Walk(e) => self.walk(e).as_num(),
        }
    }

    fn aggregate(&self, kind: AggKind, q: &Q<'_>) -> Option<Decimal> {
        let f = q.field?;
        let mut n = 0u32;
        let mut acc: Option<Decimal> = None;
        let mut overflow = false;
        self.matching(q, |o| {
            let Some(v) = o.fields().get(f).and_then(Value::as_num) else {
                return true;
            };
            n += 1;
            acc = Some(match (acc, kind) {
                (None, _) => v,
                (Some(a), AggKind::Sum | AggKind::Avg) => match a.checked_add(v) {
                    Some(s) => s,
                    None => {
                        overflow = true;
                        return false;
                    }
                },
                (Some(a), AggKind::Min) => a.min(v),
                (Some(a), AggKind::Max) => a.max(v),
            });
            true
        });
        if overflow {
            return None;
        }
        match (acc, kind) {
            (None, _) => None,
            (Some(s), AggKind::Avg) => s.checked_div(Decimal::from(n)),
            (Some(v), _) => Some(v),
        }
    }

    pub fn cond(&self, c: &Cond<'_>) -> Option<bool> {
        match c {
            Cond::Lit(b) => *b,
            Cond::Compare(op, a, b) => {
                let x = self.n(a)?;
                let y = self.n(b)?;
                Some(value::holds(*op, value::cmp_num(&x, &y)))
            }
            Cond::Quotient { op, a, b, c } => {
                let x = self.n(a)?;
                let y = self.n(b)?;
                if y.is_zero() {
                    return None;
                }
                let z = self.n(c)?;
                let order = match quotient_cmp(x, y, z) {
                    Some(o) => o,
                    None => value::cmp_num(&x.checked_div(y)?, &z),
                };
                Some(value::holds(*op, order))
            }
            Cond::Variants {
                value,
                mask,
                negated,
            } => {
                let i = match self.val(value).as_ref() {
                    Value::Enum(i) => *i,
                    Value::Status(a) => u32::try_from(a.index()).ok()?,
                    _ => return None,
                };
                let hit = in_mask(i, *mask);
                Some(hit != *negated)
            }
            Cond::CompareValues(op, a, b) => {
                let x = self.val(a);
                if x.is_missing() {
                    return None;
                }
                value::compare(*op, &x, &self.val(b)).as_bool()
            }
            Cond::And(a, b) => {
                let x = self.cond(a);
                if x == Some(false) {
                    return Some(false);
                }
                value::and(x, self.cond(b)).as_bool()
            }
            Cond::Or(a, b) => {
                let x = self.cond(a);
                if x == Some(true) {
                    return Some(true);
                }
                value::or(x, self.cond(b)).as_bool()
            }
            Cond::Not(a) => self.cond(a).map(|b| !b),
            Cond::In {
                value,
                list,
                negated,
            } => {
                let v = self.val(value);
                if v.is_missing() {
                    return None;
                }
                let mut any_missing = false;
                for x in list {
                    match value::compare(CmpOp::Eq, &v, &self.val(x)) {
                        Value::Bool(true) => return Some(!negated),
                        Value::Missing => any_missing = true,
                        _ => {}
                    }
                }
                (!any_missing).then_some(*negated)
            }
            Cond::IsMissing { value, negated } => Some(self.val(value).is_missing() != *negated),
            Cond::Exists(q) => {
                let mut any = false;
                self.matching(q, |_| {
                    any = true;
                    false
                });
                Some(any)
            }
            Cond::Walk(e) => self.walk(e).as_bool(),
        }
    }

    pub fn val<'s>(&'s self, v: &'s Val<'s>) -> Cow<'s, Value> {
        const MISSING: Value = Value::Missing;
        match v {
            Val::Lit(v) => Cow::Borrowed(*v),
            Val::Signal(s) => self
                .env
                .signal(*s)
                .map_or(Cow::Borrowed(&MISSING), Cow::Borrowed),
            Val::Field(i) => self
                .field(*i)
                .map_or(Cow::Borrowed(&MISSING), Cow::Borrowed),
            Val::Status => Cow::Owned(self.env.status().map_or(Value::Missing, Value::Status)),
            Val::Num(n) => Cow::Owned(self.n(n).map_or(Value::Missing, Value::Num)),
            Val::Walk(e) => Cow::Owned(self.walk(e)),
        }
    }
}

/// 10^0 ..= 10^38, the powers an i128 holds.
pub(crate) const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The order of `a / b` (as `Decimal` divides it) and `c`, decided in
/// integers; `None` when the operands are too large to be sure (the caller
/// divides). `b` is not zero.
///
/// With a = ma·10^−sa, b = mb·10^−sb, c = mc·10^−sc:
/// a/b − c = (x − y) / d where x = ma·10^(sb+sc), y = mc·mb·10^sa and
/// d = mb·10^(sa+sc), so the exact order is that of x − y (reversed when
/// b < 0), and when a/b ≠ c they are at least 1/|d| apart. `Decimal`'s
/// quotient keeps at least 28 significant digits (up to 28 decimals), so it
/// is within |a/b|·10^−27 + 10^−28 = |x|/|d|·10^−27 + 10^−28 of the exact
/// one; with |x| and |d| below 10^22 that is less than 1/|d|, so it is on
/// the same side of c (and equals c exactly when a/b does: a quotient
/// with at most 28 decimals is exact).
pub fn quotient_cmp(a: Decimal, b: Decimal, c: Decimal) -> Option<Ordering> {
    // 10^22
    const LIMIT: i128 = 10_000_000_000_000_000_000_000;
    let pow = |s: u32| POW10.get(s as usize).copied();
    let (ma, sa) = (a.mantissa(), a.scale());
    let (mb, sb) = (b.mantissa(), b.scale());
    let (mc, sc) = (c.mantissa(), c.scale());
    let x = ma.checked_mul(pow(sb + sc)?)?;
    let d = mb.checked_mul(pow(sa + sc)?)?;
    if x.unsigned_abs() >= LIMIT as u128 || d.unsigned_abs() >= LIMIT as u128 || mb == 0 {
        return None;
    }
    let y = mc.checked_mul(mb)?.checked_mul(pow(sa)?)?;
    let o = x.cmp(&y);
    Some(if mb < 0 { o.reverse() } else { o })
}

#[cfg(test)]
mod tests {
    use super::quotient_cmp;
    use rust_decimal::Decimal;

    /// The integer order is the order of the `Decimal` quotient whenever it
    /// answers: random operands of a few digits and decimals, and `c` the
    /// quotient itself rounded up, down and to nearby decimals (the cases
    /// where the two could disagree).
    #[test]
    fn quotient_order_is_the_decimal_order() {
        let mut x: u64 = 11;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut answered = 0;
        for _ in 0..200_000 {
            let mut d = |digits: u32, scale: u32| {
                let len = next(u64::from(digits)) as u32 + 1;
                let m = next(10u64.pow(len)) as i64;
                let m = if next(4) == 0 { -m } else { m };
                Decimal::new(m, next(u64::from(scale) + 1) as u32)
            };
            let a = d(10, 6);
            let b = d(10, 6);
            if b.is_zero() {
                continue;
            }
            let q = a.checked_div(b).unwrap();
            let cs = [
                d(10, 6),
                q,
                q.round_dp(next(12) as u32),
                q.round_dp_with_strategy(next(12) as u32, rust_decimal::RoundingStrategy::ToZero),
                q.round_dp_with_strategy(
                    next(12) as u32,
                    rust_decimal::RoundingStrategy::AwayFromZero,
                ),
            ];
            for c in cs {
                if let Some(o) = quotient_cmp(a, b, c) {
                    answered += 1;
                    assert_eq!(o, q.cmp(&c), "{a} / {b} vs {c} (quotient {q})");
                }
            }
        }
        assert!(answered > 500_000, "answered {answered} times");
    }
}
