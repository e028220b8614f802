//! Results (§8): JSON Lines, CSV and an aligned table. The explanation for
//! people (`vital explain`) is in [`crate::explain`].

pub use crate::explain::{explain_text, waterfall};

use crate::engine::{Engine, Outcome};
use crate::snapshot::Snapshot;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use vital_check::ir::{ArmId, Loc, SignalId, Type};
use vital_check::value::Value;
use vital_syntax::SourceMap;

/// `path:line:col` of a location.
pub fn locate(sources: &SourceMap, loc: Loc) -> String {
    let f = sources.file(loc.file);
    let lc = f.line_col(loc.span.start);
    format!("{}:{}:{}", f.path, lc.line, lc.column)
}

pub(crate) fn one_decimal(d: Decimal) -> String {
    let mut out = String::with_capacity(8);
    push_one_decimal(&mut out, d);
    out
}

/// `d` with one decimal (`88.0`, `-2.5`), as `format!("{:.1}", d)` writes
/// it, without allocating for the values results hold (already rounded to
/// one decimal).
pub(crate) fn push_one_decimal(out: &mut String, d: Decimal) {
    let (m, scale) = (d.mantissa(), d.scale());
    // at most one decimal, and not a negative zero (`{:.1}` writes `-0.0`)
    let plain = scale <= 1 && (m != 0 || !d.is_sign_negative());
    // scores and health: tenths that fit 64 bits, written in one piece
    let tenths = match scale {
        0 if plain => m.unsigned_abs().checked_mul(10),
        1 if plain => Some(m.unsigned_abs()),
        _ => None,
    };
    match tenths.and_then(|t| u64::try_from(t).ok()) {
        Some(t) => match tenths_text(t).filter(|_| m >= 0) {
            Some(text) => out.push_str(text),
            None => push_tenths(out, m < 0, t),
        },
        None if plain => {
            // beyond 64 bits: the whole part in 19-digit pieces
            if m < 0 {
                out.push('-');
            }
            let a = m.unsigned_abs();
            let (whole, tenth) = match scale {
                0 => (a, 0),
                _ => (a / 10, (a % 10) as u8),
            };
            push_uint(out, whole);
            out.push('.');
            out.push(char::from(b'0' + tenth));
        }
        // more decimals (an explained base or raw value, a quotient):
        // rounded half away from zero as results are (docs/language.md
        // §6), not cut off as `{:.1}` would (99.999 is 100.0, not 99.9)
        None => {
            let r = vital_check::value::round1(d);
            if r.scale() <= 1 && !r.is_zero() {
                push_one_decimal(out, r);
            } else {
                let _ = write!(out, "{:.1}", r);
            }
        }
    }
}

/// `0.0` to `100.0`, the range of scores and health, written once: a
/// result line holds several, and copying one costs a third of writing it.
fn tenths_text(t: u64) -> Option<&'static str> {
    static TEXT: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let text = TEXT.get_or_init(|| {
        (0..=1000)
            .map(|t| {
                let mut s = String::with_capacity(5);
                push_tenths(&mut s, false, t);
                s
            })
            .collect()
    });
    text.get(usize::try_from(t).ok()?).map(String::as_str)
}

/// `t` tenths (`-` first when `neg`) as `123.4`.
fn push_tenths(out: &mut String, neg: bool, t: u64) {
    let mut buf = [b'0'; 24];
    let mut i = buf.len() - 2;
    buf[i] = b'.';
    buf[i + 1] = b'0' + (t % 10) as u8;
    let mut n = t / 10;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    push_ascii(out, &buf[i..]);
}

/// Digits and signs into `out`: a few bytes, pushed one by one once room is
/// made (cheaper than `str::from_utf8` then `push_str` at this length).
#[inline]
fn push_ascii(out: &mut String, b: &[u8]) {
    out.extend(b.iter().map(|&c| char::from(c)));
}

/// An unsigned integer in decimal digits, as `Display` writes it: in 64-bit
/// pieces of 19 digits.
fn push_uint(out: &mut String, n: u128) {
    const PIECE: u128 = 10_000_000_000_000_000_000;
    match u64::try_from(n) {
        Ok(n) => push_u64(out, n, 1),
        Err(_) => {
            push_uint(out, n / PIECE);
            push_u64(out, (n % PIECE) as u64, 19);
        }
    }
}

/// `n` in at least `width` digits (zeros in front).
fn push_u64(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while n > 0 || buf.len() - i < width {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    push_ascii(out, &buf[i..]);
}

/// `YYYY-MM-DD`, as `format("%Y-%m-%d")` writes it, without parsing a
/// format string per value.
pub fn push_date(out: &mut String, d: chrono::NaiveDate) {
    use chrono::Datelike;
    let y = d.year();
    if (0..=9999).contains(&y) {
        let (y, m, d) = (y as u32, d.month(), d.day());
        let digits = [
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
        ];
        push_ascii(out, &digits);
    } else {
        let _ = write!(out, "{}", d.format("%Y-%m-%d"));
    }
}

/// A JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt_num(out: &mut String, d: Option<Decimal>) {
    match d {
        Some(d) => push_one_decimal(out, d),
        None => out.push_str("null"),
    }
}

/// A value as JSON (explain's `reads`).
fn json_value(out: &mut String, engine: &Engine<'_>, v: &Value, ty: Type) {
    match v {
        Value::Missing => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(d) => out.push_str(&d.normalize().to_string()),
        Value::Text(t) => json_str(out, t),
        Value::Date(d) => {
            out.push('"');
            push_date(out, *d);
            out.push('"');
        }
        Value::Duration(d) => json_str(out, &d.to_string()),
        Value::Enum(_) | Value::Status(_) => json_str(out, &engine.rules.show_value(v, ty)),
    }
}

pub(crate) fn status_name<'a>(engine: &'a Engine<'_>, s: Option<ArmId>) -> Option<&'a str> {
    s.and_then(|i| engine.rules.status.get(i.index()))
        .map(|a| a.name.as_str())
}

/// One result object of `--format jsonl` (without the newline).
pub fn jsonl(
    out: &mut String,
    engine: &Engine<'_>,
    sources: &SourceMap,
    snap: &Snapshot,
    o: &Outcome,
) {
    out.push_str("{\"account\": ");
    json_str(out, &snap.account);
    out.push_str(", \"as_of\": \"");
    push_date(out, snap.as_of);
    out.push_str("\", \"health\": ");
    json_opt_num(out, o.scored.health);
    out.push_str(", \"status\": ");
    let quoted = engine.quoted();
    let status = |s: Option<ArmId>| {
        s.and_then(|i| quoted.statuses.get(i.index()))
            .map_or("null", |q| q.as_str())
    };
    out.push_str(status(o.status));
    out.push_str(", \"computed_status\": ");
    out.push_str(status(o.computed_status));
    out.push_str(", \"scores\": {");
    let quoted = engine.quoted();
    for (i, (key, v)) in quoted.score_keys.iter().zip(&o.scored.scores).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(key);
        json_opt_num(out, *v);
    }
    out.push_str("}, \"triggered\": [");
    for (i, p) in o.triggered.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(
            quoted
                .playbooks
                .get(*p as usize)
                .map_or("\"\"", |s| s.as_str()),
        );
    }
    out.push_str("], \"started\": [");
    for (i, p) in o.started.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(
            quoted
                .playbooks
                .get(*p as usize)
                .map_or("\"\"", |s| s.as_str()),
        );
    }
    out.push_str("], \"override\": ");
    match snap.override_in_force() {
        Some(ov) => {
            out.push_str("{\"status\": ");
            json_str(out, status_name(engine, Some(ov.status)).unwrap_or(""));
            out.push_str(", \"until\": ");
            match ov.until {
                Some(u) => json_str(out, &u.format("%Y-%m-%d").to_string()),
                None => out.push_str("null"),
            }
            out.push_str(", \"reason\": ");
            match &ov.reason {
                Some(r) => json_str(out, r),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        None => out.push_str("null"),
    }
    if let Some(ex) = &o.explain {
        out.push_str(", \"explain\": {\"scores\": {");
        for (i, (score, se)) in engine.rules.scores.iter().zip(&ex.scores).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            json_str(out, &score.name);
            out.push_str(": {\"base\": ");
            json_opt_num(out, se.base);
            out.push_str(", \"base_source\": ");
            match &score.base {
                Some(b) => json_str(
                    out,
                    &locate(
                        sources,
                        Loc {
                            file: score.loc.file,
                            span: b.span,
                        },
                    ),
                ),
                None => out.push_str("null"),
            }
            out.push_str(", \"adjustments\": [");
            for (k, (a, amount)) in se.applied.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                let adj = &engine.rules.adjustments[*a];
                out.push_str("{\"rule\": ");
                match &adj.name {
                    Some(n) => json_str(out, n),
                    None => out.push_str("null"),
                }
                out.push_str(", \"source\": ");
                json_str(out, &locate(sources, adj.loc));
                let _ = write!(out, ", \"amount\": {}", amount.normalize());
                out.push_str(", \"reads\": ");
                reads_json(out, engine, snap, &adj.reads);
                out.push('}');
            }
            out.push_str("], \"value\": ");
            json_opt_num(out, o.scored.scores.get(i).copied().flatten());
            out.push('}');
        }
        out.push_str("}, \"triggers\": [");
        for (k, t) in ex.triggers.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let tr = &engine.rules.triggers[*t];
            out.push_str("{\"rule\": ");
            match &tr.name {
                Some(n) => json_str(out, n),
                None => out.push_str("null"),
            }
            out.push_str(", \"playbook\": ");
            json_str(out, &tr.playbook);
            out.push_str(", \"source\": ");
            json_str(out, &locate(sources, tr.loc));
            out.push_str(", \"reads\": ");
            reads_json(out, engine, snap, &tr.reads);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push('}');
}

fn reads_json(out: &mut String, engine: &Engine<'_>, snap: &Snapshot, reads: &[SignalId]) {
    out.push('{');
    for (k, s) in reads.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        let sig = &engine.rules.signals[s.index()];
        json_str(out, &sig.name);
        out.push_str(": ");
        json_value(
            out,
            engine,
            snap.signals.get(s.index()).unwrap_or(&Value::Missing),
            sig.ty,
        );
    }
    out.push('}');
}

/// A CSV field, quoted when needed (RFC 4180).
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

pub fn csv_header(engine: &Engine<'_>) -> String {
    let mut out = String::from("account,as_of,health,status,computed_status");
    for s in &engine.rules.scores {
        out.push(',');
        csv_field(&mut out, &s.name);
    }
    out.push_str(",triggered,started");
    out
}

pub fn csv_row(out: &mut String, engine: &Engine<'_>, snap: &Snapshot, o: &Outcome) {
    csv_field(out, &snap.account);
    out.push(',');
    push_date(out, snap.as_of);
    out.push(',');
    if let Some(h) = o.scored.health {
        push_one_decimal(out, h);
    }
    out.push(',');
    csv_field(out, status_name(engine, o.status).unwrap_or(""));
    out.push(',');
    csv_field(out, status_name(engine, o.computed_status).unwrap_or(""));
    for v in &o.scored.scores {
        out.push(',');
        if let Some(v) = v {
            push_one_decimal(out, *v);
        }
    }
    out.push(',');
    let pbs: Vec<&str> = o
        .triggered
        .iter()
        .filter_map(|p| engine.playbooks.get(*p as usize).map(|s| s.as_str()))
        .collect();
    csv_field(out, &pbs.join(";"));
    out.push(',');
    let started: Vec<&str> = o
        .started
        .iter()
        .filter_map(|p| engine.playbooks.get(*p as usize).map(|s| s.as_str()))
        .collect();
    csv_field(out, &started.join(";"));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{json_str, push_date, push_one_decimal};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn fast_formatting_matches_format() {
        for t in [
            "0",
            "88",
            "88.0",
            "-2.5",
            "0.5",
            "-0.5",
            "100",
            "-0",
            "-0.0",
            "99999999999.9",
            "-12",
            "10.0",
            "1000.5",
            "-1000.5",
            "79228162514264337593543950335",
            "-7922816251426433759354395033.5",
            "18446744073709551616",
            "10000000000000000000",
            "10000000000000000000000000001",
            // tenths at and beyond 64 bits
            "1844674407370955161.5",
            "1844674407370955161.6",
            "-1844674407370955162",
            "1844674407370955161",
            "0.1",
            "-0.1",
        ] {
            let d = Decimal::from_str(t).unwrap();
            let mut s = String::new();
            push_one_decimal(&mut s, d);
            assert_eq!(s, format!("{:.1}", d), "{t}");
        }
        // more decimals (an explained base): rounded half away from zero,
        // as results are, not cut off as `{:.1}` cuts them
        for (t, want) in [
            ("12.34", "12.3"),
            ("0.05", "0.1"),
            ("7.25", "7.3"),
            ("94.75", "94.8"),
            ("99.999", "100.0"),
            ("-2.25", "-2.3"),
            ("0.04", "0.0"),
        ] {
            let mut s = String::new();
            push_one_decimal(&mut s, Decimal::from_str(t).unwrap());
            assert_eq!(s, want, "{t}");
        }
        for (y, m, dd) in [
            (2026, 11, 1),
            (1, 1, 1),
            (9999, 12, 31),
            (-5, 1, 1),
            (12345, 1, 1),
            (2009, 10, 9),
            (1990, 5, 20),
        ] {
            let d = chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
            let mut s = String::new();
            push_date(&mut s, d);
            assert_eq!(s, d.format("%Y-%m-%d").to_string(), "{d:?}");
        }
        let mut s = String::new();
        json_str(&mut s, "plain");
        json_str(&mut s, "a \"q\" \\ \n\u{1}");
        assert_eq!(s, "\"plain\"\"a \\\"q\\\" \\\\ \\n\\u0001\"");
        // each character that needs escaping, alone: none may take the
        // copy-as-is path
        for (text, want) in [
            ("a\"b", "\"a\\\"b\""),
            ("a\\b", "\"a\\\\b\""),
            ("a\nb", "\"a\\nb\""),
            ("a\u{1f}b", "\"a\\u001fb\""),
        ] {
            let mut s = String::new();
            json_str(&mut s, text);
            assert_eq!(s, want, "{text:?}");
        }
    }
}
