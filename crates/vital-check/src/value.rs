//! Runtime values and their operations: exact decimal arithmetic, dates and
//! calendar durations, rounding. Shared by constant evaluation (here) and the
//! evaluator (`vital-eval`), so both compute the same thing.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;
use vital_syntax::ast::{ArithOp, CmpOp, DurationUnit};

/// A calendar duration: `30 days`, `3 months`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    pub amount: i64,
    pub unit: DurationUnit,
}

impl Duration {
    /// `date − self`, months and years clamped to the month's end.
    pub fn before(self, date: NaiveDate) -> Option<NaiveDate> {
        self.shift(date, -1)
    }

    /// `date + self`.
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        self.shift(date, 1)
    }

    fn shift(self, date: NaiveDate, sign: i64) -> Option<NaiveDate> {
        let amount = self.amount.checked_mul(sign)?;
        // whole days: chrono's day arithmetic, without a time delta
        let days = |n: i64| match u64::try_from(n) {
            Ok(n) => date.checked_add_days(chrono::Days::new(n)),
            Err(_) => date.checked_sub_days(chrono::Days::new(n.unsigned_abs())),
        };
        match self.unit {
            DurationUnit::Day => days(amount),
            DurationUnit::Week => days(amount.checked_mul(7)?),
            DurationUnit::Month => add_months(date, amount),
            DurationUnit::Year => add_months(date, amount.checked_mul(12)?),
        }
    }

    /// The amount in days (days, weeks) or months (months, years).
    fn in_base_unit(self) -> Option<(i64, DurationUnit)> {
        match self.unit {
            DurationUnit::Day => Some((self.amount, DurationUnit::Day)),
            DurationUnit::Week => Some((self.amount.checked_mul(7)?, DurationUnit::Day)),
            DurationUnit::Month => Some((self.amount, DurationUnit::Month)),
            DurationUnit::Year => Some((self.amount.checked_mul(12)?, DurationUnit::Month)),
        }
    }

    /// Comparable length in days (months as 30.44 days) — only used to order
    /// durations of different units.
    fn approx_days(self) -> f64 {
        let a = self.amount as f64;
        match self.unit {
            DurationUnit::Day => a,
            DurationUnit::Week => a * 7.0,
            DurationUnit::Month => a * 30.436875,
            DurationUnit::Year => a * 365.2425,
        }
    }
}

fn add_months(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    let m = u32::try_from(months.unsigned_abs()).ok()?;
    if months >= 0 {
        date.checked_add_months(Months::new(m))
    } else {
        date.checked_sub_months(Months::new(m))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match (self.unit, self.amount == 1) {
            (DurationUnit::Day, true) => "day",
            (DurationUnit::Day, false) => "days",
            (DurationUnit::Week, true) => "week",
            (DurationUnit::Week, false) => "weeks",
            (DurationUnit::Month, true) => "month",
            (DurationUnit::Month, false) => "months",
            (DurationUnit::Year, true) => "year",
            (DurationUnit::Year, false) => "years",
        };
        write!(f, "{} {}", self.amount, unit)
    }
}

/// A value. `Missing` propagates through arithmetic, comparison and calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Missing,
    Bool(bool),
    /// int, number, money and percent (in percentage points).
    Num(Decimal),
    Text(Arc<str>),
    Date(NaiveDate),
    Duration(Duration),
    /// A variant of an enum, by index (the type says which enum).
    Enum(u32),
    /// A status arm.
    Status(crate::ir::ArmId),
}

impl Value {
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    pub fn as_num(&self) -> Option<Decimal> {
        match self {
            Value::Num(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Round to one decimal, half away from zero (scores and health).
pub fn round1(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
}

/// Round to a whole number, half away from zero (`round`).
pub fn round0(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

/// Arithmetic on two values; missing in, missing out. Division by zero and
/// overflow are missing.
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(*y),
                ArithOp::Sub => x.checked_sub(*y),
                ArithOp::Mul => x.checked_mul(*y),
                ArithOp::Div => {
                    if y.is_zero() {
                        None
                    } else {
                        x.checked_div(*y)
                    }
                }
            };
            r.map_or(Value::Missing, Value::Num)
        }
        (Value::Date(d), Value::Duration(u)) => {
            let r = match op {
                ArithOp::Add => u.after(*d),
                ArithOp::Sub => u.before(*d),
                _ => None,
            };
            r.map_or(Value::Missing, Value::Date)
        }
        (Value::Duration(u), Value::Date(d)) if op == ArithOp::Add => {
            u.after(*d).map_or(Value::Missing, Value::Date)
        }
        (Value::Duration(x), Value::Duration(y)) => {
            // days and weeks add as days, months and years as months; days
            // and months do not mix (a month has no fixed length)
            let (Some((a, unit)), Some((b, unit_b))) = (x.in_base_unit(), y.in_base_unit()) else {
                return Value::Missing;
            };
            if unit != unit_b {
                return Value::Missing;
            }
            let amount = match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                _ => None,
            };
            amount.map_or(Value::Missing, |amount| {
                Value::Duration(Duration { amount, unit })
            })
        }
        _ => Value::Missing,
    }
}

pub fn neg(a: &Value) -> Value {
    match a {
        Value::Num(x) => Value::Num(-*x),
        Value::Duration(d) => d.amount.checked_neg().map_or(Value::Missing, |amount| {
            Value::Duration(Duration {
                amount,
                unit: d.unit,
            })
        }),
        _ => Value::Missing,
    }
}

/// Order two values of one type; `None` when either is missing.
/// The order of two decimals, as `Decimal::cmp`, without its general
/// rescaling in the common case: equal scales compare their mantissas, and
/// otherwise the one with fewer decimals is scaled up when that fits in an
/// `i128` (a mantissa is below 2^96 and 10^28 below 2^94, so an overflow
/// is caught and left to `Decimal::cmp`).
pub fn cmp_num(x: &Decimal, y: &Decimal) -> Ordering {
    // the common case, both mantissas below 2^64 and scales at most 19
    // apart: the one with fewer decimals scaled up in a u128 (below 2^64 ·
    // 10^19 < 2^128, so nothing overflows), the signs compared first (a
    // zero, even a negative one, is neither)
    const POW10: [u128; 20] = {
        let mut t = [1u128; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let (a, b) = (x.unpack(), y.unpack());
    if a.hi == 0 && b.hi == 0 {
        let ma = (u64::from(a.mid) << 32) | u64::from(a.lo);
        let mb = (u64::from(b.mid) << 32) | u64::from(b.lo);
        let scaled = if a.scale >= b.scale {
            POW10
                .get((a.scale - b.scale) as usize)
                .map(|p| (u128::from(ma), u128::from(mb) * p))
        } else {
            POW10
                .get((b.scale - a.scale) as usize)
                .map(|p| (u128::from(ma) * p, u128::from(mb)))
        };
        if let Some((ua, ub)) = scaled {
            let (na, nb) = (a.negative && ma != 0, b.negative && mb != 0);
            return match (na, nb) {
                (false, false) => ua.cmp(&ub),
                (true, true) => ub.cmp(&ua),
                (false, true) => Ordering::Greater,
                (true, false) => Ordering::Less,
            };
        }
    }
    let (sx, sy) = (x.scale(), y.scale());
    let (mx, my) = (x.mantissa(), y.mantissa());
    let scaled = match sx.cmp(&sy) {
        Ordering::Equal => Some((mx, my)),
        Ordering::Less => 10i128
            .checked_pow(sy - sx)
            .and_then(|p| mx.checked_mul(p))
            .map(|mx| (mx, my)),
        Ordering::Greater => 10i128
            .checked_pow(sx - sy)
            .and_then(|p| my.checked_mul(p))
            .map(|my| (mx, my)),
    };
    match scaled {
        Some((a, b)) => a.cmp(&b),
        None => x.cmp(y),
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(cmp_num(x, y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => {
            if x.unit == y.unit {
                Some(x.amount.cmp(&y.amount))
            } else {
                x.approx_days().partial_cmp(&y.approx_days())
            }
        }
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Enum(x), Value::Enum(y)) => Some(x.cmp(y)),
        (Value::Status(x), Value::Status(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A comparison; missing when either side is missing.
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> Value {
    match order(a, b) {
        None => Value::Missing,
        Some(o) => Value::Bool(holds(op, o)),
    }
}

/// Whether `op` holds between two values whose order is `o`.
pub fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// `linear(x, lo, hi)`: 0 at lo, 100 at hi, clamped; `lo > hi` inverts;
/// `lo == hi`: 100 when `x >= hi`, else 0.
pub fn linear(x: Decimal, lo: Decimal, hi: Decimal) -> Option<Decimal> {
    let hundred = Decimal::ONE_HUNDRED;
    if lo == hi {
        return Some(if x >= hi { hundred } else { Decimal::ZERO });
    }
    let r = x
        .checked_sub(lo)?
        .checked_div(hi.checked_sub(lo)?)?
        .checked_mul(hundred)?;
    Some(r.clamp(Decimal::ZERO, hundred))
}

/// Three-valued `and`: false wins over missing.
pub fn and(a: Option<bool>, b: Option<bool>) -> Value {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Value::Bool(false),
        (Some(true), Some(true)) => Value::Bool(true),
        _ => Value::Missing,
    }
}

/// Three-valued `or`: true wins over missing.
pub fn or(a: Option<bool>, b: Option<bool>) -> Value {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Value::Bool(true),
        (Some(false), Some(false)) => Value::Bool(false),
        _ => Value::Missing,
    }
}

/// `clamp(x, lo, hi)`.
pub fn clamp(x: Option<Decimal>, lo: Option<Decimal>, hi: Option<Decimal>) -> Value {
    match (x, lo, hi) {
        (Some(x), Some(lo), Some(hi)) => Value::Num(x.max(lo).min(hi)),
        _ => Value::Missing,
    }
}

/// Whole days from `from` to `to` (signed).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> Decimal {
    Decimal::from((to - from).num_days())
}

/// Render a value for people (explain, test failures): `72%` needs the type,
/// so percents are rendered by the caller; this renders the number.
pub(crate) fn display_plain(v: &Value) -> String {
    match v {
        Value::Missing => "missing".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Num(d) => d.normalize().to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Enum(i) => format!("variant {i}"),
        Value::Status(i) => format!("status {}", i.0),
    }
}

/// A decimal as a JSON-friendly f64 (results); exact for one-decimal scores.
pub fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

/// The year of a date (used by the date literal check).
pub fn year(d: NaiveDate) -> i32 {
    d.year()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn day_shifts_are_chronos_time_deltas() {
        let dates = [
            "2026-11-01",
            "2024-02-29",
            "1970-01-01",
            "0001-01-01",
            "9999-12-31",
        ];
        for d in dates {
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
            for n in [0i64, 1, 29, 30, 365, 1461, 100_000, 4_000_000, i64::MAX / 8] {
                for unit in [DurationUnit::Day, DurationUnit::Week] {
                    let days = if unit == DurationUnit::Week {
                        n.checked_mul(7)
                    } else {
                        Some(n)
                    };
                    let via_delta = |sign: i64| {
                        days.and_then(|x| x.checked_mul(sign))
                            .and_then(chrono::TimeDelta::try_days)
                            .and_then(|t| date.checked_add_signed(t))
                    };
                    let dur = Duration { amount: n, unit };
                    assert_eq!(dur.before(date), via_delta(-1), "{d} - {n} {unit:?}");
                    assert_eq!(dur.after(date), via_delta(1), "{d} + {n} {unit:?}");
                }
            }
        }
    }

    #[test]
    fn the_fast_decimal_order_is_decimals_order() {
        let texts = [
            "0",
            "-0",
            "0.0",
            "1",
            "-1",
            "1.0",
            "1.00",
            "0.1",
            "-0.1",
            "72",
            "72.5",
            "72.50",
            "-72.49",
            "100",
            "99.99999999",
            "250000",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7922816251426433759354395033.5",
            "1.2345678901234567890123456789",
            "12345678901234567890.12345678",
        ];
        let mut values: Vec<Decimal> = texts.iter().map(|t| d(t)).collect();
        // zeros of every sign and scale, and random values of every size
        values.extend([Decimal::new(0, 3), -Decimal::new(0, 5), -Decimal::ZERO]);
        let mut r: u64 = 5;
        for _ in 0..300 {
            r = r
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let m = i128::from(r >> (r % 64)) * if r.is_multiple_of(3) { -1 } else { 1 };
            values.push(Decimal::from_i128_with_scale(m, (r >> 7) as u32 % 29));
        }
        for x in &values {
            for y in &values {
                assert_eq!(cmp_num(x, y), x.cmp(y), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn exact_decimal_and_rounding() {
        let sum = arith(ArithOp::Add, &Value::Num(d("78.1")), &Value::Num(d("3.6")));
        let avg = arith(ArithOp::Div, &sum, &Value::Num(d("2")));
        assert_eq!(avg, Value::Num(d("40.85")));
        assert_eq!(round1(d("40.85")), d("40.9"));
        assert_eq!(round1(d("-40.85")), d("-40.9"));
        assert_eq!(round0(d("2.5")), d("3"));
    }

    #[test]
    fn division_by_zero_is_missing() {
        assert_eq!(
            arith(ArithOp::Div, &Value::Num(d("1")), &Value::Num(d("0"))),
            Value::Missing
        );
    }

    #[test]
    fn months_clamp() {
        let m = Duration {
            amount: 1,
            unit: DurationUnit::Month,
        };
        let date = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(m.before(date), NaiveDate::from_ymd_opt(2026, 2, 28));
    }

    #[test]
    fn linear_edges() {
        assert_eq!(linear(d("5"), d("0"), d("10")), Some(d("50")));
        assert_eq!(linear(d("15"), d("0"), d("10")), Some(d("100")));
        assert_eq!(linear(d("2"), d("10"), d("0")), Some(d("80")));
        assert_eq!(linear(d("3"), d("3"), d("3")), Some(d("100")));
        assert_eq!(linear(d("2"), d("3"), d("3")), Some(d("0")));
    }
}
