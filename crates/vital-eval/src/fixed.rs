//! The engine's fast path: a rule set compiled to closures over machine
//! integers, for what `vital run` does most — score an account's snapshots
//! without explaining them.
//!
//! [`crate::compiled`] evaluates every expression in `Decimal`s, passing an
//! `Option<Decimal>` between nodes. Here every number is an `i64` at a
//! scale fixed when the rules are compiled (a signal of type `int` at 0,
//! other numbers at 6 decimals, a literal at its own; `a + b` at the larger
//! of the two, `a × b` at their sum; a score or health in tenths), so
//! adding, comparing and counting are single machine instructions and each
//! node is one closure call; a band whose bounds and results are literals
//! is a table. A quotient is never divided: it is kept as a fraction
//! (`a / b`, `avg`, `linear`), compared by cross-multiplying, and a score
//! that is a fraction is rounded to tenths in integers.
//!
//! Exactness: the result is the `Decimal` engine's, value for value
//! (docs/language.md §6), or nothing:
//! * a value that does not fit its fixed scale (a signal with more than 6
//!   decimals, an `int` with decimals), an overflow of 64 bits, a fraction
//!   whose parts reach 10^18 — any of these *bails*: the evaluation returns
//!   `None` and the account is evaluated by the `Decimal` engine;
//! * a comparison with a quotient is decided in integers only where
//!   [`crate::compiled::quotient_cmp`]'s bound shows the `Decimal` quotient
//!   (28 significant digits) is on the same side; else it bails;
//! * a score or health that is a fraction is rounded exactly. The `Decimal`
//!   quotient differs from the exact one by about 10^-27 of its size, and
//!   so does each sum after it; an exact fraction n/d that is not a tie is
//!   at least 1/(20·d) away from one, so both round the same way while that
//!   error stays far below (checked against the sizes of the quotients and
//!   of every running total since the first: [`Fast::score_fraction`]). A
//!   tie is exact in decimals: with one quotient `Decimal` computes it
//!   exactly, but two quotients can sum to a tie their rounded decimals
//!   miss (31/3 − 317/60 = 5.05, in `Decimal` 5.0499…97), so an exact tie
//!   of two or more bails. `linear` checks its own margin (its range small
//!   against its input bails). A quotient `Decimal` cannot hold (above
//!   about 7.9·10^28) is missing there: `is missing` of a quotient that
//!   large bails.
//!
//! `tests/eval/decimals/` pins these edges with `test` blocks.
//!
//! Scores and health come out at scale 1 (`72.0`), as the `Decimal` engine
//! now makes them too ([`crate::engine`]'s `one_decimal`).
//!
//! A rule set with anything this module does not compile (dates or texts
//! compared, `last`/`first` of a field, a quotient inside other
//! arithmetic, a band over an enum, a literal with more than 18 decimals)
//! has no fast path ([`Fast::new`] is
//! `None`). `tests/compiled.rs` checks this path against the expression
//! walker over the whole corpus and thousands of generated accounts, each
//! snapshot alone and each account's group with its history and overrides.

use crate::compiled::{flip, in_mask, variant, POW10};
use crate::engine::{Outcome, Playbooks, Scored, Scores};
use crate::snapshot::Snapshot;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::cell::Cell;
use std::cmp::Ordering;
use vital_check::ir::{AggKind, ArmId, Expr, ExprKind as K, Query, RuleSet, Target, Type};
use vital_check::value::{Duration, Value};
use vital_syntax::ast::{ArithOp, CmpOp};

/// The scale of a number read from a snapshot (`int`: 0).
const READ_SCALE: u32 = 6;
/// The largest scale a node may have (10^18 < 2^63).
const MAX_SCALE: u32 = 18;
/// Parts of a fraction that is rounded or compared stay below this
/// (see the module's comment).
const FRACTION_LIMIT: i128 = 1_000_000_000_000_000_000;
/// [`crate::compiled::quotient_cmp`]'s bound.
const QUOTIENT_LIMIT: i128 = 10_000_000_000_000_000_000_000;

fn pow10(k: u32) -> i128 {
    POW10[k.min(38) as usize]
}

/// What a snapshot gives the closures.
pub struct Ctx<'a> {
    snap: &'a Snapshot,
    /// The account's snapshots, their indices by date, and which is `snap`.
    group: &'a [Snapshot],
    by_date: &'a [usize],
    idx: usize,
    /// `as_of − window`, by window index.
    starts: Starts,
    /// After scoring (empty while scoring): every snapshot's scores and
    /// health in tenths.
    scored: &'a [Phase1],
    /// The status, once decided.
    status: Cell<Option<u32>>,
    /// Set when a value does not fit: the caller falls back.
    bail: Cell<bool>,
}

impl<'a> Ctx<'a> {
    /// Snapshot `idx` of `group`, before its status is decided.
    fn new(
        group: &'a [Snapshot],
        by_date: &'a [usize],
        idx: usize,
        starts: Starts,
        scored: &'a [Phase1],
    ) -> Option<Ctx<'a>> {
        Some(Ctx {
            snap: group.get(idx)?,
            group,
            by_date,
            idx,
            starts,
            scored,
            status: Cell::new(None),
            bail: Cell::new(false),
        })
    }

    #[cold]
    fn bail<T>(&self) -> Option<T> {
        self.bail.set(true);
        None
    }

    /// `v × 10^k` in 64 bits, or bail.
    #[inline]
    fn up(&self, v: i64, k: u32) -> Option<i64> {
        if k == 0 {
            return Some(v);
        }
        match i64::try_from(i128::from(v) * pow10(k)) {
            Ok(x) => Some(x),
            Err(_) => self.bail(),
        }
    }

    /// This snapshot's score `i` in tenths (after scoring).
    fn score(&self, i: usize) -> Option<i64> {
        self.scored.get(self.idx)?.tenths.get(i).copied().flatten()
    }

    fn health(&self) -> Option<i64> {
        self.scored.get(self.idx)?.health
    }

    /// The latest other snapshot dated on or before window `w`'s start.
    fn before(&self, w: usize) -> Option<usize> {
        let date = self.starts.get(w).copied().flatten()?;
        let end = self
            .by_date
            .partition_point(|&i| self.group.get(i).is_some_and(|s| s.as_of <= date));
        self.by_date
            .get(..end)?
            .iter()
            .rev()
            .copied()
            .find(|&i| i != self.idx)
    }

    /// `t` in snapshot `j` (a number at `scale`: a score or health in
    /// tenths).
    fn target(&self, j: usize, t: Target, scale: u32) -> Option<i64> {
        match t {
            Target::Signal(s) => self.read(self.group.get(j)?.signals.get(s.index())?, scale),
            Target::Score(s) => self.scored.get(j)?.tenths.get(s.index()).copied().flatten(),
            Target::Health => self.scored.get(j)?.health,
        }
    }

    /// A leaf: a signal at `scale`, a score or health in tenths.
    #[inline]
    fn leaf(&self, l: Leaf, scale: u32) -> Option<i64> {
        match l {
            Leaf::Signal(i) => self.signal(i, scale),
            Leaf::Score(i) => self.score(i),
            Leaf::Health => self.health(),
        }
    }

    /// Numeric signal `i` at `scale`.
    #[inline]
    fn signal(&self, i: usize, scale: u32) -> Option<i64> {
        self.read(self.snap.signals.get(i)?, scale)
    }

    /// A number read from the snapshot at `scale`.
    #[inline]
    fn read(&self, v: &Value, scale: u32) -> Option<i64> {
        match v {
            Value::Num(d) => fixed(d, scale).or_else(|| self.bail()),
            _ => None,
        }
    }
}

/// `d` as an integer at `scale`, when exactly so and within 64 bits.
#[inline]
fn fixed(d: &Decimal, scale: u32) -> Option<i64> {
    let u = d.unpack();
    if u.scale > scale || u.hi != 0 {
        return None;
    }
    let m = i64::try_from((u64::from(u.mid) << 32) | u64::from(u.lo)).ok()?;
    let m = if u.negative { -m } else { m };
    match scale - u.scale {
        0 => Some(m),
        k => m.checked_mul(*POW10_64.get(k as usize)?),
    }
}

const POW10_64: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `as_of − window` by window index: a rule set with more distinct
/// windows has no fast path.
const WINDOWS: usize = 8;
type Starts = [Option<NaiveDate>; WINDOWS];
type Fx = Box<dyn Fn(&Ctx<'_>, &[Value]) -> Option<i64> + Send + Sync>;
/// A fraction `(n, d)`, `d > 0`, worth n / (d · 10^scale).
type Fr = Box<dyn Fn(&Ctx<'_>, &[Value]) -> Option<(i128, i128)> + Send + Sync>;
type Cd = Box<dyn Fn(&Ctx<'_>, &[Value]) -> Option<bool> + Send + Sync>;

/// An exact number at a given scale: a constant, or computed.
enum Operand {
    Const(Option<i64>),
    Fx(Fx),
}

impl Operand {
    fn new(n: N, scale: u32) -> Option<Operand> {
        Some(match n {
            N::Lit(None, _) => Operand::Const(None),
            N::Lit(Some(v), s) if s <= scale => {
                Operand::Const(Some(i64::try_from(i128::from(v) * pow10(scale - s)).ok()?))
            }
            n => Operand::Fx(n.at(scale)?),
        })
    }

    #[inline]
    fn get(&self, cx: &Ctx<'_>, v: &[Value]) -> Option<i64> {
        match self {
            Operand::Const(c) => *c,
            Operand::Fx(f) => f(cx, v),
        }
    }
}

/// What [`N::Leaf`] reads.
#[derive(Clone, Copy)]
enum Leaf {
    Signal(usize),
    Score(usize),
    Health,
}

/// A compiled number, at a scale.
enum N {
    /// A literal (or a value known missing).
    Lit(Option<i64>, u32),
    /// A numeric signal, a score or health, read at a scale (its parent
    /// reads it in place).
    Leaf(Leaf, u32),
    Fx(Fx, u32),
    /// `count(…)`, at scale 0 (its parent counts in place).
    Count(QueryFn),
    /// One `Decimal` division (`a / b`, `avg`): comparable under the
    /// quotient bound.
    Quot(Fr, u32),
    /// `linear`: only a score's base.
    Linear(Fr),
}

impl N {
    fn scale(&self) -> u32 {
        match self {
            N::Lit(_, s) | N::Leaf(_, s) | N::Fx(_, s) | N::Quot(_, s) => *s,
            N::Count(_) | N::Linear(_) => 0,
        }
    }

    /// As an exact number at scale `to` (≥ its own), or not at all.
    fn at(self, to: u32) -> Option<Fx> {
        let from = self.scale();
        if to < from || to > MAX_SCALE {
            return None;
        }
        let k = to - from;
        Some(match self {
            N::Lit(v, _) => {
                let v = match v {
                    Some(v) => Some(i64::try_from(i128::from(v) * pow10(k)).ok()?),
                    None => None,
                };
                Box::new(move |_, _| v)
            }
            N::Leaf(l, s) => Box::new(move |cx, _| cx.up(cx.leaf(l, s)?, k)),
            N::Count(q) => Box::new(move |cx, _| cx.up(q.count(cx), k)),
            N::Fx(f, _) if k == 0 => f,
            N::Fx(f, _) => Box::new(move |cx, fs| cx.up(f(cx, fs)?, k)),
            N::Quot(..) | N::Linear(_) => return None,
        })
    }

    /// As an exact number at its own scale.
    fn fx(self) -> Option<(Fx, u32)> {
        let s = self.scale();
        Some((self.at(s)?, s))
    }

    /// As a fraction at its own scale (an exact number over 1).
    fn fr(self) -> Option<(Fr, u32)> {
        match self {
            N::Quot(f, s) => Some((f, s)),
            N::Linear(f) => Some((f, 0)),
            other => {
                let (f, s) = other.fx()?;
                Some((Box::new(move |cx, fs| Some((i128::from(f(cx, fs)?), 1))), s))
            }
        }
    }
}

/// The scale of `previous`/`change` of `t` (of type `ty`).
fn target_scale(t: Target, ty: Type) -> u32 {
    match t {
        Target::Signal(_) => scale_of(ty),
        Target::Score(_) | Target::Health => 1,
    }
}

fn scale_of(ty: Type) -> u32 {
    match ty {
        Type::Int => 0,
        _ => READ_SCALE,
    }
}

/// Compiles a rule set's expressions (`None`: something is not supported).
#[derive(Default)]
struct Compiler {
    /// The windows, collected as the `Decimal` nodes collect theirs.
    windows: crate::compiled::Compiler,
}

impl Compiler {
    fn window(&mut self, d: Duration) -> usize {
        self.windows.window(d)
    }

    fn num(&mut self, e: &Expr) -> Option<N> {
        if !e.ty.is_numeric() {
            return None;
        }
        Some(match &e.kind {
            K::Lit(Value::Num(d)) => {
                // at most MAX_SCALE decimals, as every node: an `i64` times
                // 10^(difference of two scales) then fits 128 bits
                let s = d.scale();
                if s > MAX_SCALE {
                    return None;
                }
                N::Lit(Some(fixed(d, s)?), s)
            }
            K::Lit(Value::Missing) => N::Lit(None, 0),
            K::Signal(sig) => N::Leaf(Leaf::Signal(sig.index()), scale_of(e.ty)),
            K::Field(f) => {
                let (i, s) = (f.index(), scale_of(e.ty));
                N::Fx(Box::new(move |cx, fs| cx.read(fs.get(i)?, s)), s)
            }
            K::Score(id) => N::Leaf(Leaf::Score(id.index()), 1),
            K::Health => N::Leaf(Leaf::Health, 1),
            K::Neg(a) => {
                let (f, s) = self.num(a)?.fx()?;
                N::Fx(
                    Box::new(move |cx, fs| f(cx, fs)?.checked_neg().or_else(|| cx.bail())),
                    s,
                )
            }
            K::Arith(ArithOp::Div, a, b) => {
                let (na, nb) = (self.num(a)?, self.num(b)?);
                let (sa, sb) = (na.scale(), nb.scale());
                // a / b = A·10^sb / (B·10^sa), at scale 0
                let (ka, kb) = (pow10(sb), pow10(sa));
                let quotient = move |x: i64, y: i64| {
                    if y == 0 {
                        return None;
                    }
                    let (x, y) = (i128::from(x), i128::from(y));
                    let (n, d) = if ka == 1 && kb == 1 {
                        (x, y)
                    } else {
                        (x * ka, y * kb)
                    };
                    Some(if d < 0 { (-n, -d) } else { (n, d) })
                };
                match (na, nb) {
                    // two signals (`active_users / licensed_seats`): read
                    // in place
                    (N::Leaf(i, _), N::Leaf(j, _)) => N::Quot(
                        Box::new(move |cx, _| {
                            let x = cx.leaf(i, sa);
                            quotient(x?, cx.leaf(j, sb)?)
                        }),
                        0,
                    ),
                    (na, nb) => {
                        let (fa, fb) = (na.at(sa)?, nb.at(sb)?);
                        N::Quot(
                            Box::new(move |cx, fs| {
                                let x = fa(cx, fs);
                                quotient(x?, fb(cx, fs)?)
                            }),
                            0,
                        )
                    }
                }
            }
            K::Arith(op, a, b) => self.arith(*op, a, b)?,
            K::Count(q) => N::Count(self.query(q)?),
            K::Aggregate(kind, q) => self.aggregate(*kind, q)?,
            K::DaysSince(d) | K::DaysUntil(d) => {
                let until = matches!(e.kind, K::DaysUntil(_));
                let days = move |cx: &Ctx<'_>, d: NaiveDate| match until {
                    false => (cx.snap.as_of - d).num_days(),
                    true => (d - cx.snap.as_of).num_days(),
                };
                if let K::Signal(s) = d.kind {
                    // a date signal, read in place
                    let i = s.index();
                    return Some(N::Fx(
                        Box::new(move |cx, _| match cx.snap.signals.get(i)? {
                            Value::Date(d) => Some(days(cx, *d)),
                            _ => None,
                        }),
                        0,
                    ));
                }
                let read = self.date(d)?;
                N::Fx(
                    Box::new(move |cx, fs| {
                        let d = read(cx, fs)?;
                        let days = match until {
                            false => (cx.snap.as_of - d).num_days(),
                            true => (d - cx.snap.as_of).num_days(),
                        };
                        Some(days)
                    }),
                    0,
                )
            }
            K::Min(xs) | K::Max(xs) => {
                let max = matches!(e.kind, K::Max(_));
                let (fs, s) = self.aligned(xs.iter())?;
                N::Fx(
                    Box::new(move |cx, v| {
                        let mut acc: Option<i64> = None;
                        for f in &fs {
                            let x = f(cx, v)?;
                            acc = Some(match acc {
                                None => x,
                                Some(a) if max => a.max(x),
                                Some(a) => a.min(x),
                            });
                        }
                        acc
                    }),
                    s,
                )
            }
            K::Clamp(x, lo, hi) => {
                let (mut fs, s) = self.aligned([&**x, &**lo, &**hi].into_iter())?;
                let (h, l, x) = (fs.pop()?, fs.pop()?, fs.pop()?);
                N::Fx(
                    Box::new(move |cx, v| {
                        let (x, l, h) = (x(cx, v), l(cx, v), h(cx, v));
                        Some(x?.max(l?).min(h?))
                    }),
                    s,
                )
            }
            K::Abs(a) => {
                let (f, s) = self.num(a)?.fx()?;
                N::Fx(
                    Box::new(move |cx, v| f(cx, v)?.checked_abs().or_else(|| cx.bail())),
                    s,
                )
            }
            K::Round(a) => {
                let (f, s) = self.num(a)?.fx()?;
                let p = i64::try_from(pow10(s)).ok()?;
                N::Fx(
                    Box::new(move |cx, v| {
                        let x = f(cx, v)?;
                        Some(round_half_away(i128::from(x), i128::from(p)) as i64)
                    }),
                    0,
                )
            }
            K::Linear(x, lo, hi) => self.linear(x, lo, hi)?,
            K::Previous(t, d) => {
                let (t, w, s) = (*t, self.window(*d), target_scale(*t, e.ty));
                N::Fx(Box::new(move |cx, _| cx.target(cx.before(w)?, t, s)), s)
            }
            K::Change(t, d) => {
                let (t, w, s) = (*t, self.window(*d), target_scale(*t, e.ty));
                N::Fx(
                    Box::new(move |cx, _| {
                        let now = cx.target(cx.idx, t, s)?;
                        let before = cx.target(cx.before(w)?, t, s)?;
                        now.checked_sub(before).or_else(|| cx.bail())
                    }),
                    s,
                )
            }
            K::Band {
                input,
                arms,
                otherwise,
            } => {
                let input = self.num(input)?;
                let input = match self.const_band(input, arms, otherwise) {
                    Ok(n) => return Some(n),
                    Err(input) => input,
                };
                let mut bounds = Vec::new();
                let mut results = Vec::new();
                for a in arms {
                    let (f, s) = self.num(&a.value)?.fx()?;
                    bounds.push((a.op, f, s));
                    results.push(&a.result);
                }
                results.push(otherwise);
                let (mut rs, s) = self.aligned(results.into_iter())?;
                let other = rs.pop()?;
                let arms: Vec<(CmpOp, Fx, u32, Fx)> = bounds
                    .into_iter()
                    .zip(rs)
                    .map(|((op, f, s), r)| (op, f, s, r))
                    .collect();
                let holds = vital_check::value::holds;
                match input {
                    N::Quot(fi, si) => N::Fx(
                        Box::new(move |cx, v| {
                            let q = fi(cx, v)?;
                            for (op, b, sb, r) in &arms {
                                let Some(b) = b(cx, v) else { continue };
                                if holds(*op, quotient_order(cx, q, si, b, *sb)?) {
                                    return r(cx, v);
                                }
                            }
                            other(cx, v)
                        }),
                        s,
                    ),
                    input => {
                        let (fi, si) = input.fx()?;
                        N::Fx(
                            Box::new(move |cx, v| {
                                let x = fi(cx, v)?;
                                for (op, b, sb, r) in &arms {
                                    let Some(b) = b(cx, v) else { continue };
                                    if holds(*op, cmp_scaled(x, si, b, *sb)) {
                                        return r(cx, v);
                                    }
                                }
                                other(cx, v)
                            }),
                            s,
                        )
                    }
                }
            }
            K::Coalesce(a, b) => {
                let (mut fs, s) = self.aligned([&**a, &**b].into_iter())?;
                let (b, a) = (fs.pop()?, fs.pop()?);
                N::Fx(Box::new(move |cx, v| a(cx, v).or_else(|| b(cx, v))), s)
            }
            _ => return None,
        })
    }

    /// A band over an exact input whose bounds and results are all
    /// literals: a table, searched without a closure call per arm.
    /// `Err` gives the input back when the band is not such.
    fn const_band(
        &mut self,
        input: N,
        arms: &[vital_check::ir::BandArm],
        otherwise: &Expr,
    ) -> Result<N, N> {
        let si = match &input {
            N::Leaf(_, s) | N::Fx(_, s) => *s,
            N::Count(_) => 0,
            _ => return Err(input),
        };
        let Some((t, s)) = self.band_table(si, arms, otherwise) else {
            return Err(input);
        };
        Ok(match input {
            N::Leaf(l, _) => N::Fx(Box::new(move |cx, _| t.pick(cx.leaf(l, si)?)), s),
            N::Count(q) => N::Fx(Box::new(move |cx, _| t.pick(q.count(cx))), s),
            N::Fx(f, _) => N::Fx(Box::new(move |cx, v| t.pick(f(cx, v)?)), s),
            other => return Err(other),
        })
    }

    /// The table of [`Compiler::const_band`] for an input at scale `si`,
    /// with the scale of its results.
    fn band_table(
        &mut self,
        si: u32,
        arms: &[vital_check::ir::BandArm],
        otherwise: &Expr,
    ) -> Option<(BandTable, u32)> {
        let lit = |c: &mut Self, e: &Expr| match c.num(e)? {
            N::Lit(v, s) => Some((v, s)),
            _ => None,
        };
        let mut bounds = Vec::new();
        let mut results = Vec::new();
        for a in arms {
            let (b, sb) = lit(self, &a.value)?;
            // a missing bound never holds; one at the input's scale exactly
            let b = match b {
                None => None,
                Some(b) if sb <= si => Some(i64::try_from(i128::from(b) * pow10(si - sb)).ok()?),
                Some(_) => return None,
            };
            bounds.push((a.op, b));
            results.push(lit(self, &a.result)?);
        }
        results.push(lit(self, otherwise)?);
        let s = results.iter().map(|r| r.1).max().unwrap_or(0);
        let results: Vec<Option<i64>> = results
            .into_iter()
            .map(|(v, rs)| match v {
                None => Some(None),
                Some(v) => i64::try_from(i128::from(v) * pow10(s - rs)).ok().map(Some),
            })
            .collect::<Option<_>>()?;
        let otherwise = *results.last()?;
        let arms = bounds
            .into_iter()
            .zip(results)
            .filter_map(|((op, b), r)| Some((op, b?, r)))
            .collect();
        Some((BandTable { arms, otherwise }, s))
    }

    /// A date: a date signal or field, `last`/`first` of a query, or one
    /// of these plus or minus a duration literal.
    fn date(&mut self, e: &Expr) -> Option<DateFn> {
        Some(match &e.kind {
            K::Signal(s) => {
                let i = s.index();
                Box::new(move |cx, _| match cx.snap.signals.get(i)? {
                    Value::Date(d) => Some(*d),
                    _ => None,
                })
            }
            K::Field(f) => {
                let i = f.index();
                Box::new(move |_, fs| match fs.get(i)? {
                    Value::Date(d) => Some(*d),
                    _ => None,
                })
            }
            K::Last(q) | K::First(q) if q.field.is_none() => {
                let last = matches!(e.kind, K::Last(_));
                let q = self.query(q)?;
                Box::new(move |cx, _| {
                    let mut acc: Option<NaiveDate> = None;
                    q.each_occurrence(cx, |o| {
                        acc = Some(match acc {
                            None => o.date,
                            Some(a) if last => a.max(o.date),
                            Some(a) => a.min(o.date),
                        });
                        true
                    });
                    acc
                })
            }
            K::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => {
                let K::Lit(Value::Duration(d)) = b.kind else {
                    return None;
                };
                let date = self.date(a)?;
                let sub = *op == ArithOp::Sub;
                Box::new(move |cx, fs| {
                    let x = date(cx, fs)?;
                    if sub {
                        d.before(x)
                    } else {
                        d.after(x)
                    }
                })
            }
            _ => return None,
        })
    }

    /// Several numbers at their largest scale.
    fn aligned<'e>(&mut self, xs: impl Iterator<Item = &'e Expr>) -> Option<(Vec<Fx>, u32)> {
        let ns: Vec<N> = xs.map(|x| self.num(x)).collect::<Option<_>>()?;
        let s = ns.iter().map(N::scale).max().unwrap_or(0);
        let fs = ns.into_iter().map(|n| n.at(s)).collect::<Option<_>>()?;
        Some((fs, s))
    }

    fn arith(&mut self, op: ArithOp, a: &Expr, b: &Expr) -> Option<N> {
        let (na, nb) = (self.num(a)?, self.num(b)?);
        Some(match op {
            ArithOp::Add | ArithOp::Sub => {
                let s = na.scale().max(nb.scale());
                let sub = op == ArithOp::Sub;
                match (na, nb) {
                    (x, N::Lit(Some(c), cs)) => {
                        let c = i64::try_from(i128::from(c) * pow10(s - cs)).ok()?;
                        let c = if sub { c.checked_neg()? } else { c };
                        let f = x.at(s)?;
                        N::Fx(
                            Box::new(move |cx, v| f(cx, v)?.checked_add(c).or_else(|| cx.bail())),
                            s,
                        )
                    }
                    // `100 - x`
                    (N::Lit(Some(c), cs), y) if !matches!(y, N::Lit(..)) => {
                        let c = i64::try_from(i128::from(c) * pow10(s - cs)).ok()?;
                        let f = y.at(s)?;
                        N::Fx(
                            Box::new(move |cx, v| {
                                let y = f(cx, v)?;
                                let r = if sub {
                                    c.checked_sub(y)
                                } else {
                                    c.checked_add(y)
                                };
                                r.or_else(|| cx.bail())
                            }),
                            s,
                        )
                    }
                    (x, y) => {
                        let (f, g) = (x.at(s)?, y.at(s)?);
                        N::Fx(
                            Box::new(move |cx, v| {
                                let (x, y) = (f(cx, v), g(cx, v));
                                let r = if sub {
                                    x?.checked_sub(y?)
                                } else {
                                    x?.checked_add(y?)
                                };
                                r.or_else(|| cx.bail())
                            }),
                            s,
                        )
                    }
                }
            }
            ArithOp::Mul => {
                let s = na.scale() + nb.scale();
                if s > MAX_SCALE {
                    return None;
                }
                match (na, nb) {
                    // `15 * count(…)`
                    (N::Lit(Some(c), _), N::Count(q)) | (N::Count(q), N::Lit(Some(c), _)) => N::Fx(
                        Box::new(move |cx, _| q.count(cx).checked_mul(c).or_else(|| cx.bail())),
                        s,
                    ),
                    (N::Lit(Some(c), _), y) | (y, N::Lit(Some(c), _)) => {
                        let (f, _) = y.fx()?;
                        N::Fx(
                            Box::new(move |cx, v| f(cx, v)?.checked_mul(c).or_else(|| cx.bail())),
                            s,
                        )
                    }
                    (x, y) => {
                        let ((f, _), (g, _)) = (x.fx()?, y.fx()?);
                        N::Fx(
                            Box::new(move |cx, v| {
                                let (x, y) = (f(cx, v), g(cx, v));
                                x?.checked_mul(y?).or_else(|| cx.bail())
                            }),
                            s,
                        )
                    }
                }
            }
            ArithOp::Div => return None,
        })
    }

    fn aggregate(&mut self, kind: AggKind, q: &Query) -> Option<N> {
        let f = q.field?.index();
        let s = READ_SCALE;
        let q = self.query(q)?;
        // the fields' scale: numbers at 6, as read (an `int` field too)
        let fold = move |cx: &Ctx<'_>| -> Option<(i64, i64)> {
            let mut n = 0i64;
            let mut acc: Option<i64> = None;
            let mut over = false;
            q.each(cx, |fs| {
                let Some(v) = fs.get(f).and_then(|v| cx.read(v, s)) else {
                    return true;
                };
                n += 1;
                acc = Some(match (acc, kind) {
                    (None, _) => v,
                    (Some(a), AggKind::Sum | AggKind::Avg) => match a.checked_add(v) {
                        Some(x) => x,
                        None => {
                            over = true;
                            return false;
                        }
                    },
                    (Some(a), AggKind::Min) => a.min(v),
                    (Some(a), AggKind::Max) => a.max(v),
                });
                true
            });
            if over {
                return cx.bail();
            }
            Some((acc?, n))
        };
        Some(match kind {
            AggKind::Avg => N::Quot(
                Box::new(move |cx, _| {
                    let (sum, n) = fold(cx)?;
                    Some((i128::from(sum), i128::from(n)))
                }),
                s,
            ),
            _ => N::Fx(Box::new(move |cx, _| fold(cx).map(|(v, _)| v)), s),
        })
    }

    fn linear(&mut self, x: &Expr, lo: &Expr, hi: &Expr) -> Option<N> {
        let x = self.num(x)?;
        if matches!(x, N::Linear(_)) {
            return None;
        }
        let (fx, sx) = x.fr()?;
        let (lo, hi) = (self.num(lo)?, self.num(hi)?);
        let s2 = lo.scale().max(hi.scale());
        let (fl, fh) = (Operand::new(lo, s2)?, Operand::new(hi, s2)?);
        // x = xn / (xd·10^sx); lo = L/10^s2, hi = H/10^s2, at a common
        // scale t: x − lo = (xn·10^(t−sx) − L·xd·10^(t−s2)) / (xd·10^t)
        let t = sx.max(s2);
        let (kx, kl) = (pow10(t - sx), pow10(t - s2));
        Some(N::Linear(Box::new(move |cx, v| {
            let (xn, xd) = fx(cx, v)?;
            let (l, h) = (i128::from(fl.get(cx, v)?), i128::from(fh.get(cx, v)?));
            let big = |z: i128| z.unsigned_abs() >= FRACTION_LIMIT as u128;
            if big(xn) || big(xd) {
                return cx.bail();
            }
            // x·xd·10^t, lo·xd·10^t, hi·xd·10^t: in 128 bits unchecked
            // when small (the usual case), else checked
            let small = kx == 1
                && kl == 1
                && l.unsigned_abs() <= 1 << 31
                && h.unsigned_abs() <= 1 << 31
                && xn.unsigned_abs() <= 1 << 60
                && xd.unsigned_abs() <= 1 << 60;
            let (xs, lt, ht) = if small {
                (xn, l * xd, h * xd)
            } else {
                let times = |a: i128, b: i128, c: i128| a.checked_mul(b)?.checked_mul(c);
                match (times(xn, kx, 1), times(l, kl, xd), times(h, kl, xd)) {
                    (Some(xs), Some(lt), Some(ht)) if !big(xs) && !big(lt) && !big(ht) => {
                        (xs, lt, ht)
                    }
                    _ => return cx.bail(),
                }
            };
            if l == h {
                // `Decimal` compares its quotient x with hi: decided in
                // integers under the quotient bound (see quotient_order)
                let dt = xd.checked_mul(pow10(t));
                if dt.is_none_or(|dt| dt.unsigned_abs() >= QUOTIENT_LIMIT as u128) {
                    return cx.bail();
                }
                return Some((if xs >= ht { 100 } else { 0 }, 1));
            }
            // `Decimal` divides twice here, each time within 10^-27 of
            // the exact quotient relative to its size; the error, blown up
            // by 100 / (hi − lo), must stay far below the distance of an
            // exact fraction from a tie (module comment): here below
            // 2·10^-25·(m/w + 1) with m = max(|x|, |lo|), w = |hi − lo|,
            // so below 2·10^-21 with m/w < 10^4, against a distance of at
            // least 5·10^-20 (a denominator below 10^18)
            let m = xs.unsigned_abs().max(lt.unsigned_abs());
            let w = (ht - lt).unsigned_abs();
            if m >= w.saturating_mul(10_000) {
                return cx.bail();
            }
            // (x − lo) / (hi − lo) · 100 = 100·(xs − lt) / (ht − lt)
            let (mut n, mut d) = (100 * (xs - lt), ht - lt);
            if d < 0 {
                (n, d) = (-n, -d);
            }
            Some(if n < 0 {
                (0, 1)
            } else if n > 100 * d {
                (100, 1)
            } else {
                (n, d)
            })
        })))
    }

    fn query(&mut self, q: &Query) -> Option<QueryFn> {
        Some(QueryFn {
            event: q.event.index(),
            window: q.within.map(|d| self.window(d)),
            filter: match q.filter.as_deref() {
                None => Filter::All,
                Some(c) => {
                    let mut tests = Vec::new();
                    match FieldTest::all(c, &mut tests) {
                        Some(()) if tests.len() == 1 => match tests.pop() {
                            Some(t) => Filter::Test(t),
                            None => Filter::All,
                        },
                        Some(()) => Filter::Tests(tests),
                        None => Filter::Cond(self.cond(c)?),
                    }
                }
            },
        })
    }

    fn cond(&mut self, e: &Expr) -> Option<Cd> {
        Some(match &e.kind {
            K::Lit(Value::Bool(b)) => {
                let b = *b;
                Box::new(move |_, _| Some(b))
            }
            K::Lit(Value::Missing) => Box::new(|_, _| None),
            K::Signal(sig) if e.ty == Type::Bool => {
                let i = sig.index();
                Box::new(move |cx, _| match cx.snap.signals.get(i)? {
                    Value::Bool(b) => Some(*b),
                    _ => None,
                })
            }
            K::Field(f) if e.ty == Type::Bool => {
                let i = f.index();
                Box::new(move |_, fs| match fs.get(i)? {
                    Value::Bool(b) => Some(*b),
                    _ => None,
                })
            }
            K::Compare(op, a, b) if a.ty.is_numeric() && b.ty.is_numeric() => {
                let (a, b) = (self.num(a)?, self.num(b)?);
                compare(*op, a, b)?
            }
            K::Compare(op @ (CmpOp::Eq | CmpOp::Ne), a, b) if variant(b).is_some() => {
                variants(self.variant_of(a)?, variant(b)?, *op == CmpOp::Ne)
            }
            K::In {
                value,
                list,
                negated,
            } if !list.is_empty() && list.iter().all(|x| variant(x).is_some()) => {
                let mask = list.iter().filter_map(variant).fold(0, |m, v| m | v);
                variants(self.variant_of(value)?, mask, *negated)
            }
            K::And(..) | K::Or(..) => {
                // a chain of `and`s (or of `or`s) as one list, left to right:
                // the first false (true) decides, else missing if any was
                let and = matches!(e.kind, K::And(..));
                let mut terms = Vec::new();
                self.chain(e, and, &mut terms)?;
                let decides = !and;
                Box::new(move |cx, v| {
                    let mut missing = false;
                    for t in &terms {
                        match t(cx, v) {
                            Some(b) if b == decides => return Some(decides),
                            Some(_) => {}
                            None => missing = true,
                        }
                    }
                    (!missing).then_some(!decides)
                })
            }
            K::Not(a) => {
                let a = self.cond(a)?;
                Box::new(move |cx, v| a(cx, v).map(|b| !b))
            }
            K::IsMissing { value, negated } => {
                let negated = *negated;
                let missing: Cd = match &value.kind {
                    K::Signal(s) => {
                        let i = s.index();
                        return Some(Box::new(move |cx, _| {
                            let m = matches!(cx.snap.signals.get(i), None | Some(Value::Missing));
                            Some(m != negated)
                        }));
                    }
                    K::Field(f) => {
                        let i = f.index();
                        return Some(Box::new(move |_, v| {
                            Some(matches!(v.get(i), None | Some(Value::Missing)) != negated)
                        }));
                    }
                    K::Status => {
                        return Some(Box::new(move |cx, _| {
                            Some(cx.status.get().is_none() != negated)
                        }))
                    }
                    _ if value.ty.is_numeric() => match self.num(value)? {
                        N::Lit(x, _) => Box::new(move |_, _| Some(x.is_none())),
                        n => {
                            // a quotient `Decimal` cannot hold (above about
                            // 7.9·10^28) is missing there: bail on one that
                            // large rather than call it given
                            let (f, _) = n.fr()?;
                            Box::new(move |cx, v| match f(cx, v) {
                                None => Some(true),
                                Some((n, d))
                                    if n.unsigned_abs() / d.unsigned_abs()
                                        >= FRACTION_LIMIT as u128 =>
                                {
                                    cx.bail()
                                }
                                Some(_) => Some(false),
                            })
                        }
                    },
                    _ => return None,
                };
                Box::new(move |cx, v| missing(cx, v).map(|m| m != negated))
            }
            K::Exists(q) => {
                let q = self.query(q)?;
                Box::new(move |cx, _| {
                    let mut any = false;
                    q.each(cx, |_| {
                        any = true;
                        false
                    });
                    Some(any)
                })
            }
            _ => return None,
        })
    }

    /// The terms of a chain of `and`s (`and: true`) or of `or`s.
    fn chain(&mut self, e: &Expr, and: bool, out: &mut Vec<Cd>) -> Option<()> {
        match &e.kind {
            K::And(a, b) if and => {
                self.chain(a, and, out)?;
                self.chain(b, and, out)
            }
            K::Or(a, b) if !and => {
                self.chain(a, and, out)?;
                self.chain(b, and, out)
            }
            _ => {
                out.push(self.cond(e)?);
                Some(())
            }
        }
    }

    /// An enum or status read in place.
    fn variant_of(&mut self, e: &Expr) -> Option<VariantOf> {
        Some(match &e.kind {
            K::Signal(s) => VariantOf::Signal(s.index()),
            K::Field(f) => VariantOf::Field(f.index()),
            K::Status => VariantOf::Status,
            _ => return None,
        })
    }
}

type DateFn = Box<dyn Fn(&Ctx<'_>, &[Value]) -> Option<NaiveDate> + Send + Sync>;
/// A band of literals: each arm's comparison and bound at the input's
/// scale, and its result (missing bounds dropped: they never hold).
struct BandTable {
    arms: Vec<(CmpOp, i64, Option<i64>)>,
    otherwise: Option<i64>,
}

impl BandTable {
    /// The result of the first arm that holds for `x`.
    #[inline]
    fn pick(&self, x: i64) -> Option<i64> {
        for (op, b, r) in &self.arms {
            if vital_check::value::holds(*op, x.cmp(b)) {
                return *r;
            }
        }
        self.otherwise
    }
}

/// Where an enum (or the status) is read.
#[derive(Clone, Copy)]
enum VariantOf {
    Signal(usize),
    Field(usize),
    Status,
}

impl VariantOf {
    #[inline]
    fn get(self, cx: &Ctx<'_>, fields: &[Value]) -> Option<u32> {
        let v = match self {
            VariantOf::Signal(i) => cx.snap.signals.get(i)?,
            VariantOf::Field(i) => fields.get(i)?,
            VariantOf::Status => return cx.status.get(),
        };
        match v {
            Value::Enum(x) => Some(*x),
            _ => None,
        }
    }
}

fn variants(value: VariantOf, mask: u64, negated: bool) -> Cd {
    Box::new(move |cx, v| {
        let i = value.get(cx, v)?;
        let hit = in_mask(i, mask);
        Some(hit != negated)
    })
}

/// `field == v`, `field != v`, `field in (…)`, `field not in (…)` over
/// enum literals: (field, mask, negated).
fn field_variants(e: &Expr) -> Option<(usize, u64, bool)> {
    match &e.kind {
        K::Compare(op @ (CmpOp::Eq | CmpOp::Ne), a, b) => match &a.kind {
            K::Field(f) => Some((f.index(), variant(b)?, *op == CmpOp::Ne)),
            _ => None,
        },
        K::In {
            value,
            list,
            negated,
        } if !list.is_empty() => match &value.kind {
            K::Field(f) => {
                let mut mask = 0;
                for x in list {
                    mask |= variant(x)?;
                }
                Some((f.index(), mask, *negated))
            }
            _ => None,
        },
        _ => None,
    }
}

/// An event query: the occurrences it matches.
struct QueryFn {
    event: usize,
    window: Option<usize>,
    filter: Filter,
}

/// A query's `where`.
enum Filter {
    All,
    /// One test of a field, in place (`severity == critical`, `level in
    /// (c_level, vp)`).
    Test(FieldTest),
    /// Several, all of which must hold (`severity == critical and
    /// hours_to_close is missing`).
    Tests(Vec<FieldTest>),
    Cond(Cd),
}

/// A test of an occurrence's field: `Some(true)` or not.
enum FieldTest {
    Variants {
        field: usize,
        mask: u64,
        negated: bool,
    },
    Missing {
        field: usize,
        negated: bool,
    },
}

impl FieldTest {
    #[inline]
    fn holds(&self, fields: &[Value]) -> bool {
        match self {
            FieldTest::Variants {
                field,
                mask,
                negated,
            } => match fields.get(*field) {
                Some(Value::Enum(i)) => in_mask(*i, *mask) != *negated,
                _ => false,
            },
            FieldTest::Missing { field, negated } => {
                matches!(fields.get(*field), None | Some(Value::Missing)) != *negated
            }
        }
    }

    /// `e` as tests that all hold exactly when it is true.
    fn all(e: &Expr, out: &mut Vec<FieldTest>) -> Option<()> {
        match &e.kind {
            K::And(a, b) => {
                FieldTest::all(a, out)?;
                FieldTest::all(b, out)
            }
            K::IsMissing { value, negated } => match &value.kind {
                K::Field(f) => {
                    out.push(FieldTest::Missing {
                        field: f.index(),
                        negated: *negated,
                    });
                    Some(())
                }
                _ => None,
            },
            _ => {
                let (field, mask, negated) = field_variants(e)?;
                out.push(FieldTest::Variants {
                    field,
                    mask,
                    negated,
                });
                Some(())
            }
        }
    }
}

impl Filter {
    #[inline]
    fn holds(&self, cx: &Ctx<'_>, fields: &[Value]) -> bool {
        match self {
            Filter::All => true,
            Filter::Test(t) => t.holds(fields),
            Filter::Tests(ts) => ts.iter().all(|t| t.holds(fields)),
            Filter::Cond(c) => c(cx, fields) == Some(true),
        }
    }
}

impl QueryFn {
    /// How many occurrences match.
    #[inline]
    fn count(&self, cx: &Ctx<'_>) -> i64 {
        let mut n = 0i64;
        self.each_occurrence(cx, |_| {
            n += 1;
            true
        });
        n
    }

    /// Each matching occurrence's fields to `f` (which says whether to go
    /// on).
    #[inline]
    fn each(&self, cx: &Ctx<'_>, mut f: impl FnMut(&[Value]) -> bool) {
        self.each_occurrence(cx, |o| f(&o.fields))
    }

    #[inline]
    fn each_occurrence(
        &self,
        cx: &Ctx<'_>,
        mut f: impl FnMut(&crate::snapshot::Occurrence) -> bool,
    ) {
        let as_of = cx.snap.as_of;
        let from = self
            .window
            .and_then(|w| cx.starts.get(w).copied().flatten());
        for o in cx.snap.events.of(self.event) {
            if o.date > as_of || from.is_some_and(|s| o.date < s) {
                continue;
            }
            if !self.filter.holds(cx, &o.fields) {
                continue;
            }
            if !f(o) {
                return;
            }
        }
    }
}

/// `a` at scale `sa` against `b` at scale `sb`, exactly (both scales at
/// most [`MAX_SCALE`], so nothing overflows).
#[inline]
fn cmp_scaled(a: i64, sa: u32, b: i64, sb: u32) -> Ordering {
    if sa == sb {
        return a.cmp(&b);
    }
    let s = sa.max(sb);
    (i128::from(a) * pow10(s - sa)).cmp(&(i128::from(b) * pow10(s - sb)))
}

/// `a OP b`.
fn compare(op: CmpOp, a: N, b: N) -> Option<Cd> {
    let holds = move |o: Ordering| vital_check::value::holds(op, o);
    match (a, b) {
        (N::Linear(_), _) | (_, N::Linear(_)) | (N::Quot(..), N::Quot(..)) => None,
        // `active_users / licensed_seats < 0.5`: the literal in place
        (N::Quot(fa, sa), N::Lit(Some(c), sc)) => Some(Box::new(move |cx, v| {
            quotient_order(cx, fa(cx, v)?, sa, c, sc).map(holds)
        })),
        (N::Lit(Some(c), sc), N::Quot(fb, sb)) => Some(Box::new(move |cx, v| {
            quotient_order(cx, fb(cx, v)?, sb, c, sc).map(|o| holds(o.reverse()))
        })),
        (N::Quot(fa, sa), c) => {
            let (fc, sc) = c.fx()?;
            Some(Box::new(move |cx, v| {
                let q = fa(cx, v)?;
                quotient_order(cx, q, sa, fc(cx, v)?, sc).map(holds)
            }))
        }
        (c, N::Quot(fb, sb)) => {
            let (fc, sc) = c.fx()?;
            Some(Box::new(move |cx, v| {
                let x = fc(cx, v)?;
                quotient_order(cx, fb(cx, v)?, sb, x, sc).map(|o| holds(o.reverse()))
            }))
        }
        (_, N::Lit(None, _)) | (N::Lit(None, _), _) => Some(Box::new(|_, _| None)),
        (a, N::Lit(Some(c), sc)) => {
            // the constant at the other side's scale when exact there
            let exact = |sa: u32| -> Option<i64> {
                (sa >= sc).then(|| i64::try_from(i128::from(c) * pow10(sa - sc)).ok())?
            };
            match a {
                N::Count(q) => match exact(0) {
                    Some(c) => Some(Box::new(move |cx, _| Some(holds(q.count(cx).cmp(&c))))),
                    None => Some(Box::new(move |cx, _| {
                        Some(holds(cmp_scaled(q.count(cx), 0, c, sc)))
                    })),
                },
                N::Leaf(l, sa) => match exact(sa) {
                    Some(c) => Some(Box::new(move |cx, _| Some(holds(cx.leaf(l, sa)?.cmp(&c))))),
                    None => Some(Box::new(move |cx, _| {
                        Some(holds(cmp_scaled(cx.leaf(l, sa)?, sa, c, sc)))
                    })),
                },
                a => {
                    let (fa, sa) = a.fx()?;
                    match exact(sa) {
                        Some(c) => Some(Box::new(move |cx, v| Some(holds(fa(cx, v)?.cmp(&c))))),
                        None => Some(Box::new(move |cx, v| {
                            Some(holds(cmp_scaled(fa(cx, v)?, sa, c, sc)))
                        })),
                    }
                }
            }
        }
        // `active_users < licensed_seats`: both read in place
        (N::Leaf(a, sa), N::Leaf(b, sb)) => Some(Box::new(move |cx, _| {
            let (x, y) = (cx.leaf(a, sa), cx.leaf(b, sb));
            Some(holds(cmp_scaled(x?, sa, y?, sb)))
        })),
        (a, b) => {
            let ((fa, sa), (fb, sb)) = (a.fx()?, b.fx()?);
            Some(Box::new(move |cx, v| {
                let (x, y) = (fa(cx, v), fb(cx, v));
                Some(holds(cmp_scaled(x?, sa, y?, sb)))
            }))
        }
    }
}

/// The order of the quotient n / (d·10^sq) and c / 10^sc, as `Decimal`
/// decides it, or bail (see [`crate::compiled::quotient_cmp`]: with
/// a = n, b = d the cross products below are its x and d).
fn quotient_order(
    cx: &Ctx<'_>,
    (n, d): (i128, i128),
    sq: u32,
    c: i64,
    sc: u32,
) -> Option<Ordering> {
    // the common sizes (a signal or a count over another, against a
    // literal of a few digits) in 64 bits: every product below 2^63 is
    // also below QUOTIENT_LIMIT (10^22), so the answer is the one below
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) {
        let p = |k: u32| POW10_64.get(k as usize).copied();
        let x = p(sc).and_then(|k| n.checked_mul(k));
        let dq = p(sq).and_then(|k| d.checked_mul(k));
        let dd = dq.zip(p(sc)).and_then(|(dq, k)| dq.checked_mul(k));
        if let (Some(x), Some(_), Some(dq)) = (x, dd, dq) {
            if let Some(y) = c.checked_mul(dq) {
                return Some(x.cmp(&y));
            }
        }
    }
    // below 2^63 times at most 10^18 (< 2^60): no overflow in 128 bits
    let small = |z: i128, k: u32| z.unsigned_abs() < 1 << 63 && k <= 18;
    let (x, dd) = if small(n, sc) && small(d, sq + sc) {
        (n * pow10(sc), d * pow10(sq + sc))
    } else {
        match (n.checked_mul(pow10(sc)), d.checked_mul(pow10(sq + sc))) {
            (Some(x), Some(dd)) => (x, dd),
            _ => return cx.bail(),
        }
    };
    if x.unsigned_abs() >= QUOTIENT_LIMIT as u128 || dd.unsigned_abs() >= QUOTIENT_LIMIT as u128 {
        return cx.bail();
    }
    // n/(d·10^sq) vs c/10^sc  ⇔  n·10^sc vs c·d·10^sq   (d > 0); d·10^sq
    // is below 10^22 < 2^74, so a c below 2^53 cannot overflow
    let dq = d * pow10(sq);
    let y = if c.unsigned_abs() < 1 << 53 {
        i128::from(c) * dq
    } else {
        match i128::from(c).checked_mul(dq) {
            Some(y) => y,
            None => return cx.bail(),
        }
    };
    Some(x.cmp(&y))
}

/// A score or health in tenths as a `Decimal` at scale 1 (scores and
/// health are 0–100, so 0–1000 here).
#[inline]
fn tenths(t: i64) -> Decimal {
    match u32::try_from(t) {
        Ok(t) => Decimal::from_parts(t, 0, 0, false, 1),
        Err(_) => Decimal::new(t, 1),
    }
}

/// `health OP literal` (or `literal OP health`) as (OP, literal in
/// tenths), when the literal has at most one decimal.
fn health_test(e: &Expr) -> Option<(CmpOp, i64)> {
    let K::Compare(op, a, b) = &e.kind else {
        return None;
    };
    let (op, lit) = match (&a.kind, &b.kind) {
        (K::Health, K::Lit(Value::Num(d))) => (*op, d),
        (K::Lit(Value::Num(d)), K::Health) => (flip(*op), d),
        _ => return None,
    };
    Some((op, fixed(lit, 1)?))
}

/// An upper bound of |n / d| (d > 0), at least 1,000: cheap for the
/// usual small fractions.
#[inline]
fn size(n: i128, d: i128) -> u128 {
    let (n, d) = (n.unsigned_abs(), d.unsigned_abs());
    if n <= d.saturating_mul(1000) {
        1000
    } else {
        n / d + 1
    }
}

/// n / d rounded half away from zero (d > 0).
fn round_half_away(n: i128, d: i128) -> i128 {
    if d == 1 {
        return n;
    }
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) {
        let (q, r) = (n / d, n % d);
        return i128::from(if 2 * r.unsigned_abs() >= d.unsigned_abs() {
            q + n.signum()
        } else {
            q
        });
    }
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

type Tenths = smallvec::SmallVec<[Option<i64>; 6]>;

/// A snapshot's scores and health in tenths.
#[derive(Clone)]
struct Phase1 {
    tenths: Tenths,
    health: Option<i64>,
}

/// The rounded quotients a score's total holds (see
/// [`Fast::score_fraction`]): how many, and an upper bound of the sizes
/// `Decimal` rounded relative to.
#[derive(Default, Clone, Copy)]
struct Inexact {
    terms: u32,
    size: u128,
}

/// One score: its base and its adjustments.
/// A score's base: exact, or a fraction.
enum Base {
    Fx(Fx, u32),
    Fr(Fr, u32),
}

impl Base {
    fn scale(&self) -> u32 {
        match self {
            Base::Fx(_, s) | Base::Fr(_, s) => *s,
        }
    }
}

struct ScoreFn {
    /// `None`: no base expression, 50.
    base: Option<Base>,
    adjustments: Vec<Adjustment>,
    /// The scale every part is brought to.
    scale: u32,
    /// 10^(scale − the base's scale) (at most 10^18).
    base_up: i64,
    /// 10^scale and 100·10^scale.
    pow: i128,
    hundred: i128,
}

struct Adjustment {
    cond: Option<Cd>,
    /// An exact number, or a quotient (`add logins / 2`).
    amount: Amount,
    /// 10^(score scale − amount scale), negative for `subtract`.
    factor: i64,
}

enum Amount {
    /// A literal (`subtract 20`), or missing.
    Const(Option<i64>),
    Fx(Fx),
    Quot(Fr),
}

/// A rule set compiled to the fast path (module comment).
pub struct Fast {
    /// Tells this rule set's windows apart in the per-thread cache of
    /// [`Fast::starts`].
    id: u64,
    windows: Vec<Duration>,
    scores: Vec<ScoreFn>,
    /// The weights at one scale (positive).
    weights: Vec<i128>,
    status: Vec<Option<Cd>>,
    /// The status block as a table over health in tenths, when every arm
    /// is `health OP literal` (or `otherwise`).
    status_table: Option<Vec<Option<(CmpOp, i64)>>>,
    triggers: Vec<(Cd, u32)>,
}

impl std::fmt::Debug for Fast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fast")
            .field("scores", &self.scores.len())
            .field("triggers", &self.triggers.len())
            .finish()
    }
}

impl Fast {
    /// The fast path of `rules`, when every expression compiles.
    pub fn new(rules: &RuleSet, by_score: &[Vec<usize>], trigger_playbook: &[u32]) -> Option<Fast> {
        let mut c = Compiler::default();
        let mut scores = Vec::new();
        for (s, score) in rules.scores.iter().enumerate() {
            let base = match &score.base {
                None => None,
                Some(e) => Some(match c.num(e)? {
                    n @ (N::Quot(..) | N::Linear(_)) => {
                        let (f, s) = n.fr()?;
                        Base::Fr(f, s)
                    }
                    n => {
                        let (f, s) = n.fx()?;
                        Base::Fx(f, s)
                    }
                }),
            };
            let mut parts = Vec::new();
            for &a in by_score.get(s)? {
                let adj = &rules.adjustments[a];
                let cond = match &adj.cond {
                    Some(e) => Some(c.cond(e)?),
                    None => None,
                };
                let (amount, sa) = match c.num(&adj.amount)? {
                    N::Lit(v, s) => (Amount::Const(v), s),
                    N::Quot(f, s) => (Amount::Quot(f), s),
                    n => {
                        let (f, s) = n.fx()?;
                        (Amount::Fx(f), s)
                    }
                };
                let sign = match adj.direction {
                    vital_check::ir::Direction::Add => 1,
                    vital_check::ir::Direction::Subtract => -1,
                };
                parts.push((cond, amount, sa, sign));
            }
            let scale = parts
                .iter()
                .map(|p| p.2)
                .chain(base.as_ref().map(Base::scale))
                .max()
                .unwrap_or(0);
            if scale > MAX_SCALE {
                return None;
            }
            let adjustments = parts
                .into_iter()
                .map(|(cond, amount, sa, sign)| Adjustment {
                    cond,
                    amount,
                    factor: sign * i64::try_from(pow10(scale - sa)).unwrap_or(i64::MAX),
                })
                .collect();
            let base_up =
                i64::try_from(pow10(scale - base.as_ref().map_or(0, Base::scale))).ok()?;
            scores.push(ScoreFn {
                base,
                adjustments,
                scale,
                base_up,
                pow: pow10(scale),
                hundred: 100 * pow10(scale),
            });
        }
        let ws = rules.scores.iter().map(|s| s.weight.normalize());
        let wscale = ws.clone().map(|w| w.scale()).max().unwrap_or(0);
        let weights = ws
            .map(|w| Some(i128::from(fixed(&w, wscale)?)).filter(|w| *w > 0))
            .collect::<Option<Vec<_>>>()?;
        let status = (rules.status.iter())
            .map(|a| match &a.cond {
                Some(e) => c.cond(e).map(Some),
                None => Some(None),
            })
            .collect::<Option<_>>()?;
        let status_table = (rules.status.iter())
            .map(|a| match &a.cond {
                None => Some(None),
                Some(e) => health_test(e).map(Some),
            })
            .collect::<Option<Vec<_>>>();
        let triggers = (rules.triggers.iter().zip(trigger_playbook))
            .map(|(t, p)| Some((c.cond(&t.cond)?, *p)))
            .collect::<Option<_>>()?;
        if c.windows.windows.len() > WINDOWS {
            return None;
        }
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Some(Fast {
            id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            windows: c.windows.windows,
            scores,
            weights,
            status,
            status_table,
            triggers,
        })
    }

    /// The outcome of an account's only snapshot, as
    /// [`crate::Engine::evaluate_one`] gives it without explain; `None`
    /// when a value does not fit (the caller evaluates it in `Decimal`s).
    #[inline]
    pub fn evaluate(&self, snap: &Snapshot) -> Option<Outcome> {
        let group = std::slice::from_ref(snap);
        let starts = self.starts(snap.as_of);
        let scored = [self.phase1(group, &[0], 0, starts)?];
        self.phase2(group, &[0], &scored, 0, None, starts)
    }

    /// The outcomes of an account's snapshots, as
    /// [`crate::Engine::evaluate_group`] gives them without explain.
    pub fn evaluate_group(&self, group: &[Snapshot]) -> Option<Vec<Outcome>> {
        let mut by_date: smallvec::SmallVec<[usize; 4]> = (0..group.len()).collect();
        by_date.sort_by_key(|&i| group.get(i).map(|s| s.as_of));
        let starts: smallvec::SmallVec<[Starts; 4]> =
            group.iter().map(|s| self.starts(s.as_of)).collect();
        let mut scored: smallvec::SmallVec<[Phase1; 4]> = smallvec::SmallVec::new();
        for (i, st) in starts.iter().enumerate() {
            scored.push(self.phase1(group, &by_date, i, *st)?);
        }
        let mut out: Vec<Option<Outcome>> = vec![None; group.len()];
        // by date: `started` is against the latest earlier snapshot's
        for (k, &i) in by_date.iter().enumerate() {
            let as_of = group.get(i)?.as_of;
            let before = by_date[..k]
                .iter()
                .rev()
                .find(|&&j| group.get(j).is_some_and(|s| s.as_of < as_of))
                .and_then(|&j| Some(out.get(j)?.as_ref()?.triggered.clone()));
            let o = self.phase2(
                group,
                &by_date,
                &scored,
                i,
                before.as_ref(),
                *starts.get(i)?,
            )?;
            *out.get_mut(i)? = Some(o);
        }
        out.into_iter().collect()
    }

    /// Snapshot `i`'s scores and health.
    fn phase1(
        &self,
        group: &[Snapshot],
        by_date: &[usize],
        i: usize,
        starts: Starts,
    ) -> Option<Phase1> {
        let cx = Ctx::new(group, by_date, i, starts, &[])?;
        let mut tenths = Tenths::new();
        for s in &self.scores {
            tenths.push(self.score(&cx, s));
            if cx.bail.get() {
                return None;
            }
        }
        let health = self.health(&tenths);
        Some(Phase1 { tenths, health })
    }

    /// Snapshot `i`'s status and playbooks: its outcome (`before`: the
    /// playbooks the latest earlier snapshot triggered).
    fn phase2(
        &self,
        group: &[Snapshot],
        by_date: &[usize],
        scored: &[Phase1],
        i: usize,
        before: Option<&Playbooks>,
        starts: Starts,
    ) -> Option<Outcome> {
        let p1 = scored.get(i)?;
        let cx = Ctx::new(group, by_date, i, starts, scored)?;
        let snap = cx.snap;
        let computed = match &self.status_table {
            Some(arms) => arms.iter().position(|a| match (a, p1.health) {
                (None, _) => true,
                (Some((op, c)), Some(h)) => vital_check::value::holds(*op, h.cmp(c)),
                (Some(_), None) => false,
            }),
            None => (self.status.iter())
                .position(|c| c.as_ref().is_none_or(|c| c(&cx, &[]) == Some(true))),
        }
        .and_then(|i| u32::try_from(i).ok());
        let over = snap.override_in_force();
        let status = match over {
            Some(o) => u32::try_from(o.status.index()).ok(),
            None => computed,
        };
        cx.status.set(status);
        let mut triggered = Playbooks::new();
        for (c, p) in &self.triggers {
            if c(&cx, &[]) == Some(true) && !triggered.contains(p) {
                triggered.push(*p);
            }
        }
        if cx.bail.get() {
            return None;
        }
        let started = match before {
            Some(b) => triggered
                .iter()
                .copied()
                .filter(|p| !b.contains(p))
                .collect(),
            // `from_slice` copies; a `SmallVec`'s `clone` goes element by element
            None => Playbooks::from_slice(&triggered),
        };
        let arm = |s: Option<u32>| s.map(|i| ArmId::new(i as usize));
        let mut scores = Scores::new();
        for t in &p1.tenths {
            scores.push(t.map(tenths));
        }
        let outcome = Outcome {
            scored: Scored {
                scores,
                health: p1.health.map(tenths),
            },
            computed_status: arm(computed),
            status: arm(status),
            override_in_force: over.is_some(),
            started,
            triggered,
            explain: None,
        };
        Some(outcome)
    }

    /// `as_of − window` for each window. Most accounts of an export share
    /// their `as_of`: the last one computed is kept, per thread.
    fn starts(&self, as_of: NaiveDate) -> Starts {
        thread_local! {
            static LAST: std::cell::RefCell<Option<(u64, NaiveDate, Starts)>> =
                const { std::cell::RefCell::new(None) };
        }
        LAST.with_borrow_mut(|last| match last {
            Some((id, at, starts)) if *id == self.id && *at == as_of => *starts,
            _ => {
                let mut starts: Starts = [None; WINDOWS];
                for (s, d) in starts.iter_mut().zip(&self.windows) {
                    *s = d.before(as_of);
                }
                *last = Some((self.id, as_of, starts));
                starts
            }
        })
    }

    /// A score in tenths: base plus the adjustments that apply, clamped to
    /// 0–100 and rounded half away from zero (docs/language.md §6).
    ///
    /// The total is the fraction n / (d·10^scale), d > 0. Where a quotient
    /// is part of it, `Decimal` added a rounded quotient: its error (below
    /// 10^-27 of each term's size, twice per term with the sums) must stay
    /// far below the distance 1/(20·d·10^scale) of a fraction from a tie
    /// (module comment), else this bails.
    fn score(&self, cx: &Ctx<'_>, s: &ScoreFn) -> Option<i64> {
        // exact numbers only (the common case): in 64 bits, at the score's
        // scale; a quotient on the way goes on as a fraction
        let b: i64 = match &s.base {
            None => 50,
            Some(Base::Fx(f, _)) => f(cx, &[])?,
            Some(Base::Fr(f, sb)) => {
                let (n, d) = f(cx, &[])?;
                if d != 1 {
                    return self.score_of_fraction(cx, s, n, d, *sb);
                }
                match i64::try_from(n) {
                    Ok(n) => n,
                    Err(_) => return cx.bail(),
                }
            }
        };
        {
            let Some(mut t) = b.checked_mul(s.base_up) else {
                return cx.bail();
            };
            for (k, a) in s.adjustments.iter().enumerate() {
                if let Some(c) = &a.cond {
                    if c(cx, &[]) != Some(true) {
                        continue;
                    }
                }
                let x = match &a.amount {
                    Amount::Const(Some(x)) => *x,
                    Amount::Const(None) => continue,
                    Amount::Fx(f) => match f(cx, &[]) {
                        Some(x) => x,
                        None => continue,
                    },
                    Amount::Quot(_) => {
                        return self.score_fraction(cx, s, i128::from(t), 1, Inexact::default(), k);
                    }
                };
                t = match x.checked_mul(a.factor).and_then(|x| t.checked_add(x)) {
                    Some(t) => t,
                    None => return cx.bail(),
                };
            }
            Some(if t <= 0 {
                0
            } else if i128::from(t) > s.hundred {
                1000
            } else {
                match s.scale {
                    // tenths of a whole number
                    0 => t * 10,
                    _ => round_half_away(10 * i128::from(t), s.pow) as i64,
                }
            })
        }
    }

    /// [`Fast::score`] of a base that is the fraction n / (d·10^sb), d ≠ 1.
    fn score_of_fraction(
        &self,
        cx: &Ctx<'_>,
        s: &ScoreFn,
        n: i128,
        d: i128,
        sb: u32,
    ) -> Option<i64> {
        let big = |z: i128| z.unsigned_abs() >= FRACTION_LIMIT as u128;
        let n = match n.checked_mul(pow10(s.scale - sb)) {
            Some(n) if !big(n) && !big(d) => n,
            _ => return cx.bail(),
        };
        // the base is one rounded quotient (or `linear`'s result)
        let inexact = Inexact {
            terms: 1,
            size: size(n, d),
        };
        self.score_fraction(cx, s, n, d, inexact, 0)
    }

    /// [`Fast::score`] from adjustment `from` on, with the total so far
    /// n / (d·10^scale), d > 0.
    ///
    /// Where a quotient is part of the total, `Decimal` added a rounded
    /// quotient, and each sum after it is rounded again relative to its
    /// size (28 significant digits). The error, below 10^-27 of the sizes
    /// of every quotient and every running total since the first quotient
    /// (`inexact.size`), must stay far below the distance 1/(20·d·10^scale)
    /// of a fraction from a tie (module comment), else this bails. With
    /// two or more quotients the exact total can itself be a tie that the
    /// rounded ones miss (31/3 − 317/60 = 5.05, in `Decimal`
    /// 5.0499…97): it bails on an exact tie then.
    fn score_fraction(
        &self,
        cx: &Ctx<'_>,
        s: &ScoreFn,
        mut n: i128,
        mut d: i128,
        mut inexact: Inexact,
        from: usize,
    ) -> Option<i64> {
        let big = |z: i128| z.unsigned_abs() >= FRACTION_LIMIT as u128;
        for a in s.adjustments.iter().skip(from) {
            if let Some(c) = &a.cond {
                if c(cx, &[]) != Some(true) {
                    continue;
                }
            }
            let (x, y) = match &a.amount {
                Amount::Const(Some(x)) => (i128::from(*x), 1),
                Amount::Const(None) => continue,
                Amount::Fx(f) => match f(cx, &[]) {
                    Some(x) => (i128::from(x), 1),
                    None => continue,
                },
                Amount::Quot(f) => match f(cx, &[]) {
                    Some(q) => q,
                    None => continue,
                },
            };
            if y != 1 {
                inexact.terms += 1;
                inexact.size = inexact.size.saturating_add(size(x, y));
            }
            // n/d + x·factor/y = (n·y + x·factor·d) / (d·y)
            let sum = (x.checked_mul(i128::from(a.factor)))
                .and_then(|x| x.checked_mul(d))
                .and_then(|x| n.checked_mul(y)?.checked_add(x));
            (n, d) = match (sum, d.checked_mul(y)) {
                (Some(n), Some(d)) if !big(n) && !big(d) => (n, d),
                _ => return cx.bail(),
            };
            if inexact.terms > 0 {
                // this sum was rounded relative to its size
                inexact.size = inexact.size.saturating_add(size(n, d));
            }
        }
        let den = d * pow10(s.scale);
        if big(den) {
            return cx.bail();
        }
        // 2·terms·(size + 100)·10^-27 · 20·den · 16 < 1
        if inexact.terms > 0 {
            let terms = (s.adjustments.len() + 2) as u128;
            let bound = (inexact.size.saturating_add(100))
                .checked_mul(terms * 640)
                .and_then(|x| x.checked_mul(den.unsigned_abs()));
            if bound.is_none_or(|b| b >= 1_000_000_000_000_000_000_000_000_000) {
                return cx.bail();
            }
        }
        if n <= 0 {
            return Some(0);
        }
        if n > 100 * den {
            return Some(1000);
        }
        if inexact.terms >= 2 && 2 * ((10 * n) % den) == den {
            return cx.bail();
        }
        Some(round_half_away(10 * n, den) as i64)
    }

    /// Health in tenths: Σ(weight × score) / Σ(weight) over the scores
    /// that are not N/A, rounded half away from zero.
    fn health(&self, tenths: &[Option<i64>]) -> Option<i64> {
        let (mut num, mut den) = (0i128, 0i128);
        for (t, w) in tenths.iter().zip(&self.weights) {
            if let Some(t) = t {
                num += w * i128::from(*t);
                den += w;
            }
        }
        (den != 0).then(|| round_half_away(num, den) as i64)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::snapshot::{Events, Origin};
    use std::sync::Arc;

    /// [`quotient_order`] answers as exact arithmetic wherever it answers,
    /// and in 64 bits it always does: around the edges of 64 bits, for
    /// quotients at scales 0–6 against literals at scales 0–6.
    #[test]
    fn quotient_order_is_exact_in_and_beyond_64_bits() {
        let snap = Snapshot {
            account: Arc::from("a"),
            as_of: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            signals: Box::new([]),
            events: Events::none(0),
            override_: None,
            origin: Origin {
                file: Arc::from("f"),
                line: 1,
            },
        };
        let group = [snap];
        let cx = Ctx::new(&group, &[0], 0, [None; WINDOWS], &[]).unwrap();
        let edges: Vec<i128> = [0i128, 1, 2, 3, 7, 10, 999_999, 1 << 31, 1 << 53, 1 << 60]
            .into_iter()
            .chain([
                i64::MAX as i128 / 10,
                i64::MAX as i128 - 1,
                i64::MAX as i128,
            ])
            .chain([i64::MAX as i128 + 1, 1 << 70])
            .flat_map(|v| [v, v + 1, v - 1])
            .collect();
        let (mut answered, mut in_64) = (0, 0);
        for &n in &edges {
            for n in [n, -n] {
                for &d in edges.iter().filter(|d| **d > 0) {
                    for c in [0i64, 1, -1, 5, 17, i64::MAX, i64::MIN + 1, 1 << 40] {
                        for (sq, sc) in [(0, 0), (0, 1), (6, 0), (3, 6), (0, 6)] {
                            cx.bail.set(false);
                            let got = quotient_order(&cx, (n, d), sq, c, sc);
                            // n / (d·10^sq) vs c / 10^sc, exactly, where 128
                            // bits hold it
                            let x = n * pow10(sc);
                            let Some(y) = i128::from(c).checked_mul(d * pow10(sq)) else {
                                continue;
                            };
                            let exact = x.cmp(&y);
                            let fits = i64::try_from(n).is_ok()
                                && (d * pow10(sq + sc)) < i128::from(i64::MAX)
                                && x.unsigned_abs() < i64::MAX as u128
                                && y.unsigned_abs() < i64::MAX as u128;
                            match got {
                                Some(o) => {
                                    assert_eq!(o, exact, "{n} / ({d}·10^{sq}) vs {c} / 10^{sc}");
                                    answered += 1;
                                }
                                None => assert!(
                                    !fits,
                                    "{n} / ({d}·10^{sq}) vs {c} / 10^{sc} bails in 64 bits"
                                ),
                            }
                            in_64 += usize::from(fits);
                        }
                    }
                }
            }
        }
        assert!(
            in_64 > 1000 && answered > in_64,
            "{in_64} in 64 bits, {answered} answered"
        );
    }
}
