//! The floor program of `bench/compare.sh` (issue 10): what `vital run
//! --format jsonl --rules bench/rules FILE` computes, written by hand for
//! that one rule set. It parses the JSON Lines file into typed values,
//! scores the 4 scores, 10 adjustments and 4 triggers of `bench/rules`
//! (including `change`/`previous` over the account's earlier snapshots in the
//! file) and writes result lines byte-identical to `vital run`'s.
//!
//! It shows the floor a rule engine could reach on this machine; it is a
//! benchmark, not product code. What it does not do, it refuses (exit status
//! 2, a message on standard error) rather than guess: input that is not
//! grouped by account in ascending account order, overrides, unknown
//! top-level keys, numbers with more than 6 decimal places, a record that
//! `vital run` would reject (a missing signal, a wrong type, a duplicate
//! snapshot). It assumes otherwise well-formed JSON.
//!
//!     vital-floor FILE.jsonl > results.jsonl
//!
//! Arithmetic is exact: decimals are fixed-point integers (6 places), every
//! comparison with a quotient is cross-multiplied, `linear` is kept as a
//! fraction and rounding to one decimal, half away from zero, of n/d >= 0 is
//! (20n + d) / 2d in tenths. The results equal vital's 28-digit decimal
//! arithmetic because no rounded quotient here can land on a rounding or
//! comparison boundary that the exact one misses (the denominators are far
//! too small).
//!
//! Work is split into blocks of about 1 MB cut at account boundaries, scored
//! in parallel (one worker per core) and written in input order.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::sync::{mpsc, Arc, Mutex};

/// Fixed-point scale of decimal signals and fields: 6 decimal places.
const S: i64 = 1_000_000;
/// Bytes read per block (a block is then cut at an account boundary).
const CHUNK: usize = 1 << 20;

type R<T> = Result<T, String>;

fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("vital-floor: {msg}");
    std::process::exit(2);
}

// ------------------------------------------------------------------ JSON

struct P<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> P<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> u8 {
        self.ws();
        self.b.get(self.i).copied().unwrap_or(0)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek() == c {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", c as char, self.i))
        }
    }

    /// `,` (true: another member follows) or `close` (false).
    #[inline]
    fn next(&mut self, close: u8) -> R<bool> {
        match self.peek() {
            b',' => {
                self.i += 1;
                Ok(true)
            }
            c if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(format!(
                "expected `,` or `{}` at byte {}",
                close as char, self.i
            )),
        }
    }

    /// A string's raw content and whether it holds escapes.
    #[inline]
    fn raw_string(&mut self) -> R<(&'a [u8], bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut esc = false;
        // the strings here are short: a plain loop beats a vectorised search
        let b = self.b;
        let mut j = start;
        loop {
            match b.get(j) {
                None => return Err("unterminated string".into()),
                Some(b'"') => {
                    self.i = j + 1;
                    return Ok((&b[start..j], esc));
                }
                Some(b'\\') => {
                    esc = true;
                    j += 2;
                }
                Some(_) => j += 1,
            }
        }
    }

    #[inline]
    fn string(&mut self) -> R<Cow<'a, [u8]>> {
        let (s, esc) = self.raw_string()?;
        if esc {
            unescape(s).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(s))
        }
    }

    fn lit(&mut self, w: &[u8]) -> R<()> {
        self.ws();
        if self.b[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(())
        } else {
            Err(format!("bad literal at byte {}", self.i))
        }
    }

    /// `null` (consumed: true) or something else (untouched: false).
    #[inline]
    fn null(&mut self) -> R<bool> {
        if self.peek() == b'n' {
            self.lit(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn skip(&mut self) -> R<()> {
        match self.peek() {
            b'"' => self.raw_string().map(|_| ()),
            b'{' => {
                self.i += 1;
                if self.peek() == b'}' {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.raw_string()?;
                    self.eat(b':')?;
                    self.skip()?;
                    if !self.next(b'}')? {
                        return Ok(());
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.peek() == b']' {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip()?;
                    if !self.next(b']')? {
                        return Ok(());
                    }
                }
            }
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    /// A JSON number as a fixed-point integer of scale `S`; refuses what
    /// does not fit exactly.
    #[inline]
    fn number(&mut self) -> R<i64> {
        // the common case: at most 18 digits, at most 6 decimal places, no exponent
        self.ws();
        let b = self.b;
        let mut i = self.i;
        let neg = b.get(i) == Some(&b'-');
        i += neg as usize;
        let start = i;
        let mut m: u64 = 0;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            m = m.wrapping_mul(10).wrapping_add(d as u64);
            i += 1;
        }
        let int_digits = i - start;
        let mut frac = 0;
        let dot = b.get(i) == Some(&b'.');
        if dot {
            i += 1;
            while let Some(&c) = b.get(i) {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                m = m.wrapping_mul(10).wrapping_add(d as u64);
                i += 1;
                frac += 1;
            }
        }
        const POW10: [u64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
        if int_digits > 0
            && (frac <= 6 && dot == (frac > 0))
            && int_digits + frac <= 18
            && !matches!(b.get(i), Some(b'e' | b'E'))
        {
            if let Some(v) = m
                .checked_mul(POW10[frac])
                .and_then(|v| i64::try_from(v).ok())
            {
                self.i = i;
                return Ok(if neg { -v } else { v });
            }
        }
        self.number_slow()
    }

    #[inline(never)]
    fn number_slow(&mut self) -> R<i64> {
        self.ws();
        let b = self.b;
        let mut i = self.i;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let mut m: u64 = 0;
        let start = i;
        let mut frac: i32 = 0;
        let too_big = || format!("number at byte {} is too large or too precise", self.i);
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            m = m
                .checked_mul(10)
                .and_then(|m| m.checked_add((c - b'0') as u64))
                .ok_or_else(too_big)?;
            i += 1;
        }
        if i == start {
            return Err(format!("expected a value at byte {}", self.i));
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let fs = i;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                m = m
                    .checked_mul(10)
                    .and_then(|m| m.checked_add((c - b'0') as u64))
                    .ok_or_else(too_big)?;
                frac += 1;
                i += 1;
            }
            if i == fs {
                return Err(format!("bad number at byte {}", self.i));
            }
        }
        let mut exp: i32 = 0;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let es = i;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                exp = exp.saturating_mul(10).saturating_add((c - b'0') as i32);
                i += 1;
            }
            if i == es {
                return Err(format!("bad number at byte {}", self.i));
            }
            if eneg {
                exp = -exp;
            }
        }
        let shift = exp - frac + 6;
        let v: u64 = if shift >= 0 {
            10u64
                .checked_pow(shift as u32)
                .and_then(|p| m.checked_mul(p))
                .ok_or_else(too_big)?
        } else {
            match 10u64.checked_pow((-shift) as u32) {
                Some(p) if m.is_multiple_of(p) => m / p,
                None if m == 0 => 0,
                _ => return Err(too_big()),
            }
        };
        let v = i64::try_from(v).map_err(|_| too_big())?;
        self.i = i;
        Ok(if neg { -v } else { v })
    }

    /// A JSON number that is a whole number (`31.0` is 31, `2.5` refused).
    fn int(&mut self) -> R<i64> {
        let v = self.number()?;
        if v % S != 0 {
            return Err(format!(
                "expected an int, found a fraction before byte {}",
                self.i
            ));
        }
        Ok(v / S)
    }

    /// Which of `table` (each a JSON string literal with its quotes, none
    /// with escapes) the next string is; `table.len()` when none. The
    /// literals are tried first, without scanning the string.
    #[inline(always)]
    fn one_of<const N: usize>(&mut self, table: &[&[u8]; N]) -> R<usize> {
        self.ws();
        let rest = &self.b[self.i..];
        for (k, lit) in table.iter().enumerate() {
            if rest.get(1) == lit.get(1) && rest.starts_with(lit) {
                self.i += lit.len();
                return Ok(k);
            }
        }
        self.one_of_slow(table)
    }

    #[inline(never)]
    fn one_of_slow(&mut self, table: &[&[u8]]) -> R<usize> {
        let s = self.string()?;
        Ok(table
            .iter()
            .position(|l| l[1..l.len() - 1] == *s)
            .unwrap_or(table.len()))
    }

    #[inline]
    fn date(&mut self) -> R<i32> {
        self.ws();
        let b = self.b;
        let i = self.i;
        if b.get(i) == Some(&b'"')
            && b.get(i + 11) == Some(&b'"')
            && !b[i + 1..i + 11].contains(&b'\\')
        {
            self.i = i + 12;
            return date(&b[i + 1..i + 11]);
        }
        let (s, esc) = self.raw_string()?;
        if esc {
            return Err("escaped date".into());
        }
        date(s)
    }
}

fn unescape(s: &[u8]) -> R<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let hex4 = |i: usize| -> R<u32> {
        let h = s.get(i..i + 4).ok_or("bad \\u escape")?;
        u32::from_str_radix(std::str::from_utf8(h).map_err(|_| "bad \\u escape")?, 16)
            .map_err(|_| "bad \\u escape".to_string())
    };
    while i < s.len() {
        let c = s[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *s.get(i + 1).ok_or("bad escape")?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let mut u = hex4(i)?;
                i += 4;
                if (0xD800..0xDC00).contains(&u) && s.get(i..i + 2) == Some(b"\\u") {
                    let lo = hex4(i + 2)?;
                    if (0xDC00..0xE000).contains(&lo) {
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                char::from_u32(u).ok_or("lone surrogate in a string")?
            }
            _ => return Err("bad escape".into()),
        };
        let mut b = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
    }
    Ok(out)
}

/// `YYYY-MM-DD`, a real day, as days since 1970-01-01.
#[inline]
fn date(s: &[u8]) -> R<i32> {
    const CUM: [i32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    const DIM: [i32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if s.len() == 10 && s[4] == b'-' && s[7] == b'-' {
        let g = |k: usize| s[k].wrapping_sub(b'0') as i32;
        let ds = [g(0), g(1), g(2), g(3), g(5), g(6), g(8), g(9)];
        if ds.iter().all(|&d| (0..=9).contains(&d)) {
            let y = ds[0] * 1000 + ds[1] * 100 + ds[2] * 10 + ds[3];
            let m = ds[4] * 10 + ds[5];
            let d = ds[6] * 10 + ds[7];
            if y >= 1 && (1..=12).contains(&m) {
                let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
                let feb29 = (leap && m > 2) as i32;
                let dim = DIM[(m - 1) as usize] + (leap && m == 2) as i32;
                if (1..=dim).contains(&d) {
                    let y1 = y - 1;
                    return Ok(y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400 - 719_162
                        + CUM[(m - 1) as usize]
                        + feb29
                        + d
                        - 1);
                }
            }
        }
    }
    date_slow(s)
}

#[inline(never)]
fn date_slow(s: &[u8]) -> R<i32> {
    let bad = || format!("bad date {:?}", String::from_utf8_lossy(s));
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> R<i32> {
        let mut v = 0;
        for &c in &s[r] {
            if !c.is_ascii_digit() {
                return Err(bad());
            }
            v = v * 10 + (c - b'0') as i32;
        }
        Ok(v)
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d < 1 || d > dim {
        return Err(bad());
    }
    // days from civil (H. Hinnant)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

// ------------------------------------------------------------------ records

/// One event of the snapshot, as read.
struct Ev {
    at: i32,
    /// ticket_opened: 0 low, 1 high, 2 critical; exec_meeting: 10 c_level, 11 vp, 12 director
    kind: u8,
    hours: Option<i64>,
}

/// One snapshot: its signals, the event aggregates the rules read, and its
/// results once evaluated.
struct Snap<'a> {
    account: Cow<'a, [u8]>,
    as_of: i32,
    as_of_raw: &'a [u8],
    fu: i64,
    logins: i64,
    seats: i64,
    active: i64,
    sponsor_missing: bool,
    arr: i64,
    renewal: i32,
    // tickets within ticket_window (90 days): all, critical, high, closed and their hours
    t90: i64,
    crit90: i64,
    high90: i64,
    closed90: i64,
    hours90: i128,
    /// a critical ticket within 30 days without hours_to_close
    open_crit30: bool,
    /// C-level or VP meetings within 180 days
    meet180: i64,
    /// a C-level meeting within 60 days
    clevel60: bool,
    // results
    h10: Option<i64>,
    bits: u8,
}

fn parse_record<'a>(line: &'a [u8], evs: &mut Vec<Ev>) -> R<Snap<'a>> {
    let mut p = P { b: line, i: 0 };
    p.eat(b'{')?;
    let mut account = None;
    let mut as_of = None;
    let (mut fu, mut logins, mut seats, mut active, mut arr, mut renewal) =
        (None, None, None, None, None, None);
    let mut sponsor_missing = true;
    evs.clear();
    if p.peek() == b'}' {
        p.i += 1;
    } else {
        loop {
            let key = p.one_of(&[
                b"\"account\"",
                b"\"as_of\"",
                b"\"signals\"",
                b"\"events\"",
                b"\"override\"",
            ])?;
            p.eat(b':')?;
            match key {
                0 => account = Some(p.string()?),
                1 => {
                    let st = p.i;
                    let d = p.date()?;
                    let raw = &line[st..p.i];
                    let raw = &raw[raw.len() - 11..raw.len() - 1];
                    as_of = Some((d, raw));
                }
                2 => {
                    if !p.null()? {
                        p.eat(b'{')?;
                        if p.peek() == b'}' {
                            p.i += 1;
                        } else {
                            loop {
                                let k = p.one_of(&[
                                    b"\"feature_usage\"",
                                    b"\"logins_30d\"",
                                    b"\"licensed_seats\"",
                                    b"\"active_users\"",
                                    b"\"exec_sponsor\"",
                                    b"\"arr\"",
                                    b"\"renewal_date\"",
                                ])?;
                                p.eat(b':')?;
                                match k {
                                    0 => fu = if p.null()? { None } else { Some(p.number()?) },
                                    1 => logins = if p.null()? { None } else { Some(p.int()?) },
                                    2 => seats = if p.null()? { None } else { Some(p.int()?) },
                                    3 => active = if p.null()? { None } else { Some(p.int()?) },
                                    4 => {
                                        sponsor_missing = p.null()?;
                                        if !sponsor_missing {
                                            p.raw_string()?;
                                        }
                                    }
                                    5 => arr = if p.null()? { None } else { Some(p.number()?) },
                                    6 => renewal = if p.null()? { None } else { Some(p.date()?) },
                                    _ => p.skip()?, // an unknown signal: vital warns and ignores it
                                }
                                if !p.next(b'}')? {
                                    break;
                                }
                            }
                        }
                    }
                }
                3 => {
                    if !p.null()? {
                        parse_events(&mut p, evs)?;
                    }
                }
                4 => {
                    if !p.null()? {
                        return Err("overrides are not supported by the floor program".into());
                    }
                }
                _ => return Err("an unknown top-level key".into()),
            }
            if !p.next(b'}')? {
                break;
            }
        }
    }
    p.ws();
    if p.i != line.len() {
        return Err(format!("trailing characters at byte {}", p.i));
    }
    let account = account.ok_or("no account")?;
    let (as_of, as_of_raw) = as_of.ok_or("no as_of")?;
    let missing = |n: &str| format!("signal `{n}` is missing");
    let mut s = Snap {
        account,
        as_of,
        as_of_raw,
        fu: fu.ok_or_else(|| missing("feature_usage"))?,
        logins: logins.ok_or_else(|| missing("logins_30d"))?,
        seats: seats.ok_or_else(|| missing("licensed_seats"))?,
        active: active.ok_or_else(|| missing("active_users"))?,
        sponsor_missing,
        arr: arr.ok_or_else(|| missing("arr"))?,
        renewal: renewal.ok_or_else(|| missing("renewal_date"))?,
        t90: 0,
        crit90: 0,
        high90: 0,
        closed90: 0,
        hours90: 0,
        open_crit30: false,
        meet180: 0,
        clevel60: false,
        h10: None,
        bits: 0,
    };
    // event queries: dated on or before as_of and, with `within N days`, on
    // or after as_of - N (both ends inclusive)
    for e in evs.iter() {
        let age = as_of - e.at;
        if age < 0 {
            continue;
        }
        match e.kind {
            0..=2 if age <= 90 => {
                s.t90 += 1;
                s.crit90 += (e.kind == 2) as i64;
                s.high90 += (e.kind == 1) as i64;
                match e.hours {
                    Some(h) => {
                        s.closed90 += 1;
                        s.hours90 += h as i128;
                    }
                    None => s.open_crit30 |= e.kind == 2 && age <= 30,
                }
            }
            10 | 11 if age <= 180 => {
                s.meet180 += 1;
                s.clevel60 |= e.kind == 10 && age <= 60;
            }
            _ => {}
        }
    }
    Ok(s)
}

fn parse_events(p: &mut P<'_>, evs: &mut Vec<Ev>) -> R<()> {
    p.eat(b'[')?;
    if p.peek() == b']' {
        p.i += 1;
        return Ok(());
    }
    loop {
        p.eat(b'{')?;
        // 0 ticket_opened, 1 exec_meeting, 2 another type
        let mut ty: Option<usize> = None;
        let mut at = None;
        // fields are read once the type is known (it may come last)
        let (mut sev, mut hours, mut level) = (None, None, None);
        if p.peek() == b'}' {
            p.i += 1;
        } else {
            loop {
                let k = p.one_of(&[
                    b"\"type\"",
                    b"\"at\"",
                    b"\"severity\"",
                    b"\"hours_to_close\"",
                    b"\"level\"",
                ])?;
                p.eat(b':')?;
                match k {
                    0 => ty = Some(p.one_of(&[b"\"ticket_opened\"", b"\"exec_meeting\""])?),
                    1 => at = Some(p.date()?),
                    2 => {
                        sev = Some(p.i);
                        p.skip()?;
                    }
                    3 => {
                        hours = Some(p.i);
                        p.skip()?;
                    }
                    4 => {
                        level = Some(p.i);
                        p.skip()?;
                    }
                    _ => p.skip()?,
                }
                if !p.next(b'}')? {
                    break;
                }
            }
        }
        let ty = ty.ok_or("an event without type")?;
        let at = at.ok_or("an event without at")?;
        let field = |pos: Option<usize>, name: &str| -> R<P<'_>> {
            let i = pos.ok_or_else(|| format!("event field `{name}` is missing"))?;
            Ok(P { b: p.b, i })
        };
        match ty {
            0 => {
                let mut q = field(sev, "severity")?;
                let kind = match q.one_of(&[b"\"low\"", b"\"high\"", b"\"critical\""])? {
                    k @ 0..=2 => k as u8,
                    _ => return Err("bad severity".into()),
                };
                let hours = match hours {
                    None => None,
                    Some(i) => {
                        let mut q = P { b: p.b, i };
                        if q.null()? {
                            None
                        } else {
                            Some(q.number()?)
                        }
                    }
                };
                evs.push(Ev { at, kind, hours });
            }
            1 => {
                let mut q = field(level, "level")?;
                let kind = match q.one_of(&[b"\"c_level\"", b"\"vp\"", b"\"director\""])? {
                    k @ 0..=2 => 10 + k as u8,
                    _ => return Err("bad level".into()),
                };
                evs.push(Ev {
                    at,
                    kind,
                    hours: None,
                });
            }
            _ => {} // an unknown event type: vital warns and ignores it
        }
        if !p.next(b']')? {
            return Ok(());
        }
    }
}

/// The account of a line, for cutting blocks at account boundaries.
fn account_of(line: &[u8]) -> R<Cow<'_, [u8]>> {
    let mut p = P { b: line, i: 0 };
    p.eat(b'{')?;
    loop {
        let k = p.string()?;
        p.eat(b':')?;
        if &*k == b"account" {
            return p.string();
        }
        p.skip()?;
        if !p.next(b'}')? {
            return Err("no account".into());
        }
    }
}

// ------------------------------------------------------------------ rules

const SAVE: u8 = 1;
const ESCALATION: u8 = 2;
const EXEC_CALL: u8 = 4;
const PLAYBOOKS: [(u8, &str); 3] = [
    (SAVE, "save playbook"),
    (ESCALATION, "support escalation"),
    (EXEC_CALL, "executive sponsor call"),
];

/// Scores (in tenths; usage None when n/a), health and triggers of
/// `g[k]`, whose earlier snapshots `g[..k]` (by date) are already evaluated.
fn evaluate(g: &mut [Snap<'_>], k: usize) -> (i64, Option<i64>, i64, i64) {
    let (before, rest) = g.split_at_mut(k);
    let s = &mut rest[0];
    // previous(X, 30 days): the latest other snapshot on or before as_of - 30
    let prev = before.iter().rev().find(|p| p.as_of <= s.as_of - 30);
    let (seats, active) = (s.seats as i128, s.active as i128);

    // adoption: band feature_usage, then the adjustments
    let mut adoption: i64 = match s.fu {
        f if f < 15 * S => 10,
        f if f < 30 * S => 35,
        f if f < 50 * S => 60,
        f if f < 70 * S => 80,
        _ => 95,
    };
    // "usage drop": change(feature_usage, 30 days) < -10%
    if prev.is_some_and(|p| s.fu - p.fu < -10 * S) {
        adoption -= 20;
    }
    // "low seat utilization": active_users / licensed_seats < 0.5 (missing when seats = 0)
    if (seats > 0 && 2 * active < seats) || (seats < 0 && 2 * active > seats) {
        adoption -= 10;
    }
    let a10 = adoption.clamp(0, 100) * 10;

    // usage: linear(logins_30d / licensed_seats, 4, 20) = n / d, n/a when seats = 0
    let u10 = if seats == 0 {
        None
    } else {
        let d = 4 * seats.abs();
        let n = seats.signum() * 25 * (s.logins as i128 - 4 * seats);
        let n = n.clamp(0, 100 * d); // linear clamps to 0..100
        let mut adj: i128 = 0;
        // "login slump": logins_30d < previous(logins_30d, 30 days) / 2
        if prev.is_some_and(|p| 2 * (s.logins as i128) < p.logins as i128) {
            adj -= 15;
        }
        // "saturated seats": active_users / licensed_seats >= 0.9
        if (seats > 0 && 10 * active >= 9 * seats) || (seats < 0 && 10 * active <= 9 * seats) {
            adj += 5;
        }
        let n = (n + adj * d).clamp(0, 100 * d);
        Some(((20 * n + d) / (2 * d)) as i64)
    };

    // support
    let mut support = 100 - 4 * s.t90 - 15 * s.crit90 - 6 * s.high90;
    // "slow resolution": avg(hours_to_close within 90 days) > 72
    if s.closed90 > 0 && s.hours90 > 72 * S as i128 * s.closed90 as i128 {
        support -= 10;
    }
    if s.open_crit30 {
        support -= 20;
    }
    let s10 = support.clamp(0, 100) * 10;

    // relationship
    let mut rel: i64 = match s.meet180 {
        m if m >= 3 => 90,
        m if m >= 1 => 65,
        _ => 30,
    };
    if s.sponsor_missing {
        rel -= 20;
    }
    if s.clevel60 {
        rel += 10;
    }
    let r10 = rel.clamp(0, 100) * 10;

    // health from the rounded scores, over those that are not n/a
    let (num, den) = match u10 {
        Some(u) => (35 * a10 + 15 * u + 25 * s10 + 25 * r10, 100),
        None => (35 * a10 + 25 * s10 + 25 * r10, 85),
    };
    let h10 = (2 * num + den) / (2 * den);
    s.h10 = Some(h10);

    // triggers, on the rounded health
    let danger = h10 < 400;
    let mut bits = 0;
    if h10 < 500 && s10 >= 500 {
        bits |= SAVE;
    }
    // "fast health drop": change(health, 30 days) <= -15
    if prev.and_then(|p| p.h10).is_some_and(|ph| h10 - ph <= -150) {
        bits |= SAVE;
    }
    if h10 < 600 && s10 < 500 {
        bits |= ESCALATION;
    }
    if s.arr >= 100_000 * S && danger && s.renewal - s.as_of < 120 {
        bits |= EXEC_CALL;
    }
    s.bits = bits;
    (a10, u10, s10, r10)
}

fn status(h10: i64) -> &'static str {
    match h10 {
        h if h >= 750 => "thriving",
        h if h >= 550 => "steady",
        h if h >= 400 => "at_risk",
        _ => "danger",
    }
}

// ------------------------------------------------------------------ output

fn json_str(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    if !s.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20) {
        out.extend_from_slice(s);
    } else {
        for &c in s {
            match c {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                c if c < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c);
                }
                c => out.push(c),
            }
        }
    }
    out.push(b'"');
}

/// A value in tenths, 0..=1000, with one decimal.
#[inline]
fn tenths(out: &mut Vec<u8>, t: i64) {
    let (w, f) = (t / 10, t % 10);
    if w >= 100 {
        out.extend_from_slice(b"100");
    } else if w >= 10 {
        out.push(b'0' + (w / 10) as u8);
        out.push(b'0' + (w % 10) as u8);
    } else {
        out.push(b'0' + w as u8);
    }
    out.push(b'.');
    out.push(b'0' + f as u8);
}

fn playbooks(out: &mut Vec<u8>, bits: u8) {
    out.push(b'[');
    let mut first = true;
    for (b, name) in PLAYBOOKS {
        if bits & b != 0 {
            if !first {
                out.extend_from_slice(b", ");
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
    }
    out.push(b']');
}

/// Evaluate one account's snapshots and write the result of its latest.
fn flush(g: &mut Vec<Snap<'_>>, out: &mut Vec<u8>) -> R<()> {
    if g.len() > 1 {
        g.sort_by_key(|s| s.as_of);
        if g.windows(2).any(|w| w[0].as_of == w[1].as_of) {
            return Err(format!(
                "duplicate snapshot of account {:?}",
                String::from_utf8_lossy(&g[0].account)
            ));
        }
    }
    let last = g.len() - 1;
    let mut scores = (0, None, 0, 0);
    for k in 0..g.len() {
        scores = evaluate(g, k);
    }
    let (a10, u10, s10, r10) = scores;
    let s = &g[last];
    let h10 = s.h10.unwrap_or(0);
    // started: against the latest earlier snapshot
    let started = if last > 0 {
        s.bits & !g[last - 1].bits
    } else {
        s.bits
    };
    out.extend_from_slice(b"{\"account\": ");
    json_str(out, &s.account);
    out.extend_from_slice(b", \"as_of\": \"");
    out.extend_from_slice(s.as_of_raw);
    out.extend_from_slice(b"\", \"health\": ");
    tenths(out, h10);
    let st = status(h10).as_bytes();
    out.extend_from_slice(b", \"status\": \"");
    out.extend_from_slice(st);
    out.extend_from_slice(b"\", \"computed_status\": \"");
    out.extend_from_slice(st);
    out.extend_from_slice(b"\", \"scores\": {\"adoption\": ");
    tenths(out, a10);
    out.extend_from_slice(b", \"usage\": ");
    match u10 {
        Some(u) => tenths(out, u),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b", \"support\": ");
    tenths(out, s10);
    out.extend_from_slice(b", \"relationship\": ");
    tenths(out, r10);
    out.extend_from_slice(b"}, \"triggered\": ");
    playbooks(out, s.bits);
    out.extend_from_slice(b", \"started\": ");
    playbooks(out, started);
    out.extend_from_slice(b", \"override\": null}\n");
    g.clear();
    Ok(())
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r'))
}

/// Score one block of whole account groups; returns its first and last
/// account, to check the order across blocks.
fn process(chunk: &[u8], out: &mut Vec<u8>) -> R<Option<(Vec<u8>, Vec<u8>)>> {
    if !chunk.is_ascii() {
        std::str::from_utf8(chunk).map_err(|e| format!("not UTF-8: {e}"))?;
    }
    let mut group: Vec<Snap> = Vec::new();
    let mut evs = Vec::new();
    let mut first: Option<Vec<u8>> = None;
    let mut start = 0;
    while start < chunk.len() {
        let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |k| start + k);
        let line = &chunk[start..end];
        start = end + 1;
        if is_blank(line) {
            continue;
        }
        let s = parse_record(line, &mut evs).map_err(|e| {
            format!(
                "{e} in the line {:?}",
                String::from_utf8_lossy(&line[..line.len().min(120)])
            )
        })?;
        if let Some(g0) = group.first() {
            if g0.account != s.account {
                if g0.account > s.account {
                    return Err("the input is not sorted by account (the floor program needs each account's records together, accounts in ascending order)".into());
                }
                flush(&mut group, out)?;
            }
        } else if first.is_none() {
            first = Some(s.account.to_vec());
        }
        group.push(s);
    }
    let last = group.first().map(|s| s.account.to_vec());
    if !group.is_empty() {
        flush(&mut group, out)?;
    }
    Ok(first.zip(last))
}

/// Where to cut `buf`: after its last complete line that belongs to an
/// account other than the last complete line's (None: no such place yet).
fn cut(buf: &[u8]) -> R<Option<usize>> {
    let Some(nl) = memchr::memrchr(b'\n', buf) else {
        return Ok(None);
    };
    let mut acct: Option<Cow<[u8]>> = None;
    let mut end = nl; // end of the line being looked at (its '\n')
    loop {
        let start = memchr::memrchr(b'\n', &buf[..end]).map_or(0, |k| k + 1);
        let line = &buf[start..end];
        if !is_blank(line) {
            let a = account_of(line)?;
            match &acct {
                None => acct = Some(a),
                Some(x) if *x != a => return Ok(Some(end + 1)),
                _ => {}
            }
        }
        if start == 0 {
            return Ok(None);
        }
        end = start - 1;
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        die("usage: vital-floor FILE.jsonl > results.jsonl  (the rules of bench/rules are built in)")
    };
    let mut file = File::open(path).unwrap_or_else(|e| die(format!("{path}: {e}")));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(workers * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    type Done = (usize, Vec<u8>, Option<(Vec<u8>, Vec<u8>)>);
    let (res_tx, res_rx) = mpsc::sync_channel::<Done>(workers * 2);
    // buffers go round: read blocks back to the reader, output blocks back
    // to the workers (no allocation, page fault or zeroing per block)
    let (free_in_tx, free_in) = mpsc::channel::<Vec<u8>>();
    let (free_out_tx, free_out) = mpsc::channel::<Vec<u8>>();
    let free_out = Arc::new(Mutex::new(free_out));
    std::thread::scope(|sc| {
        for _ in 0..workers {
            let (rx, tx) = (Arc::clone(&job_rx), res_tx.clone());
            let (free_out, free_in_tx) = (Arc::clone(&free_out), free_in_tx.clone());
            sc.spawn(move || loop {
                let job = rx.lock().unwrap().recv();
                let Ok((seq, chunk)) = job else { break };
                let mut out = free_out
                    .lock()
                    .unwrap()
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(chunk.len() / 2));
                out.clear();
                let ends = process(&chunk, &mut out).unwrap_or_else(|e| die(e));
                let _ = free_in_tx.send(chunk);
                if tx.send((seq, out, ends)).is_err() {
                    break;
                }
            });
        }
        drop(res_tx);
        drop(free_in_tx);
        // the writer: blocks in input order
        sc.spawn(move || {
            let mut next = 0;
            let mut pending = BTreeMap::new();
            let mut last: Option<Vec<u8>> = None;
            let stdout = std::io::stdout();
            let mut w = stdout.lock();
            for (seq, out, ends) in res_rx {
                pending.insert(seq, (out, ends));
                while let Some((out, ends)) = pending.remove(&next) {
                    if let Some((first, l)) = ends {
                        if last.as_ref().is_some_and(|x| *x >= first) {
                            die("the input is not sorted by account (the floor program needs each account's records together, accounts in ascending order)");
                        }
                        last = Some(l);
                    }
                    w.write_all(&out).unwrap_or_else(|e| die(format!("writing: {e}")));
                    let _ = free_out_tx.send(out);
                    next += 1;
                }
            }
            w.flush().unwrap_or_else(|e| die(format!("writing: {e}")));
        });
        // the reader: blocks of about CHUNK bytes, cut at account boundaries
        let mut carry: Vec<u8> = Vec::new();
        let mut seq = 0;
        let mut first = true;
        loop {
            let mut buf = free_in.try_recv().unwrap_or_default();
            buf.clear();
            buf.reserve_exact(carry.len() + CHUNK);
            buf.extend_from_slice(&carry);
            let n = (&mut file)
                .take(CHUNK as u64)
                .read_to_end(&mut buf)
                .unwrap_or_else(|e| die(format!("{path}: {e}")));
            let eof = n < CHUNK;
            if first {
                first = false;
                if buf.starts_with(b"\xEF\xBB\xBF") {
                    buf.drain(..3);
                }
            }
            if eof {
                if !buf.is_empty() {
                    job_tx
                        .send((seq, buf))
                        .unwrap_or_else(|_| die("a worker stopped"));
                }
                break;
            }
            match cut(&buf).unwrap_or_else(|e| die(e)) {
                Some(k) => {
                    carry.clear();
                    carry.extend_from_slice(&buf[k..]);
                    buf.truncate(k);
                    job_tx
                        .send((seq, buf))
                        .unwrap_or_else(|_| die("a worker stopped"));
                    seq += 1;
                }
                None => carry = buf,
            }
        }
        drop(job_tx);
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_agree() {
        for y in 0..=9999 {
            for m in 1..=12 {
                for d in 0..=32 {
                    let t = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(
                        super::date(t.as_bytes()),
                        super::date_slow(t.as_bytes()),
                        "{t}"
                    );
                }
            }
        }
        assert_eq!(super::date(b"1970-01-01"), Ok(0));
        assert_eq!(super::date(b"2026-11-01"), Ok(20758));
    }

    #[test]
    fn numbers() {
        let n = |t: &str| {
            super::P {
                b: t.as_bytes(),
                i: 0,
            }
            .number()
        };
        let slow = |t: &str| {
            super::P {
                b: t.as_bytes(),
                i: 0,
            }
            .number_slow()
        };
        for t in [
            "0",
            "-0",
            "1",
            "72",
            "72.5",
            "0.000001",
            "0.0000001",
            "1.5e2",
            "1e-6",
            "-3.25",
            "123456789012.123456",
            "1234567890123.1234567",
            "9223372036854.775807",
            "9223372036854.775808",
            "99999999999999999999",
            "12.",
            "1.0000000",
        ] {
            assert_eq!(n(t), slow(t), "{t}");
        }
    }
}
