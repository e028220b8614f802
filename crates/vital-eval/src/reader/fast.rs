//! The fast path of [`Schema::json_record`]: a hand-written reader for the
//! common record — valid JSON, strings without escapes, numbers without
//! exponents, no override — that writes values straight into the schema's
//! slots with borrowed keys and no intermediate tree.
//!
//! It either returns exactly the [`Snapshot`] (and the same changes to
//! [`Ignored`]) the serde path would, or `None`: then the serde path reads
//! the record again and produces the snapshot or the rejection with its
//! message. Anything unusual — a rejection of any kind, an escape, an
//! exponent, an override, a mapping that converts values — returns `None`.
//! `tests/` compare both paths on every record of the corpus and on
//! generated and mutated records.

use super::{first_member, parse_date, Given, Ignored, Schema};
use crate::snapshot::{Events, Occurrence, Origin, Snapshot};
use rust_decimal::Decimal;
use std::sync::Arc;
use vital_check::ir::{EventId, Type};
use vital_check::value::Value;

/// JSON nesting skipped values may have (serde's own limit is 128).
const MAX_DEPTH: usize = 64;

/// The first `"`, `\\` or control character of `b`: eight bytes at a time
/// (keys and values are short, so a vectorised search's set-up costs more
/// than it saves). In each word, the lowest flagged byte is a true match:
/// the borrows that can flag a byte wrongly only run upwards from a match.
fn special(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let m = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|n| i + n)
}

/// `n` missing values (a record's signals, an occurrence's fields):
/// written, not cloned one by one as `vec![v; n]` clones them.
fn missing<C: FromIterator<Value>>(n: usize) -> C {
    (0..n).map(|_| Value::Missing).collect()
}

#[derive(Clone, Copy)]
struct P<'t> {
    b: &'t [u8],
    s: &'t str,
    i: usize,
}

impl<'t> P<'t> {
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes or control characters, as a slice.
    #[inline]
    fn plain_str(&mut self) -> Option<&'t str> {
        self.ws();
        self.tight_str()
    }

    /// [`P::plain_str`] right at the position (no whitespace first): the
    /// layouts exports write.
    fn tight_str(&mut self) -> Option<&'t str> {
        self.tight(b"\"")?;
        let rest = self.b.get(self.i..)?;
        let n = special(rest)?;
        if rest[n] != b'"' {
            return None;
        }
        let out = self.s.get(self.i..self.i + n)?;
        self.i += n + 1;
        Some(out)
    }

    /// A date string `"YYYY-MM-DD"` right at the position, read in place:
    /// what [`P::tight_str`] then [`parse_date`] read, without looking for
    /// the string's end (a date has no escapes).
    fn tight_date(&mut self) -> Option<chrono::NaiveDate> {
        let b = self.b.get(self.i..self.i + 12)?;
        if b[0] != b'"' || b[11] != b'"' {
            return None;
        }
        let d = parse_date(self.s.get(self.i + 1..self.i + 11)?)?;
        self.i += 12;
        Some(d)
    }

    /// Exactly `l` right at the position (no whitespace first).
    fn tight(&mut self, l: &[u8]) -> Option<()> {
        super::starts_with(self.b.get(self.i..)?, l).then(|| self.i += l.len())
    }

    /// Skip a string, escapes allowed (validated).
    fn skip_str(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let rest = self.b.get(self.i..)?;
            let n = memchr::memchr2(b'"', b'\\', rest)?;
            if rest[..n].iter().any(|&c| c < 0x20) {
                return None;
            }
            let c = rest[n];
            self.i += n + 1;
            match c {
                b'"' => return Some(()),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            // a lone surrogate is an error for serde_json
                            let v = u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            if (0xD800..0xE000).contains(&v) {
                                return None;
                            }
                            self.i += 4;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A number token in JSON's grammar, without an exponent.
    fn number(&mut self) -> Option<&'t str> {
        self.ws();
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            return None;
        }
        self.s.get(start..self.i)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Skip any JSON value (validated).
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_str(),
            b'{' => {
                self.i += 1;
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.skip_str()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => {
                // exponents are valid JSON here: skip them too
                self.number()?;
                if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
                    self.i += 1;
                    if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                        self.i += 1;
                    }
                    if !self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                        return None;
                    }
                    while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                        self.i += 1;
                    }
                }
                Some(())
            }
        }
    }

    /// Iterate an object's members: `f(key, self)` reads the value.
    fn object(&mut self, mut f: impl FnMut(&'t str, &mut P<'t>) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.plain_str()?;
            self.eat(b':')?;
            f(key, self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

impl P<'_> {
    /// A number token in JSON's grammar, without an exponent, as the
    /// normalised decimal `parse_decimal` + `normalize` give (trailing
    /// zeros of the fraction dropped, zero without a sign or scale), read in
    /// one pass. `None` for an exponent, more than 18 digits or `-0`: the
    /// serde path reads those.
    fn decimal(&mut self) -> Option<Decimal> {
        self.ws();
        let b = self.b;
        let mut i = self.i;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        // digits beyond 18 make `m` meaningless, and the answer `None`
        let mut m: u64 = 0;
        let mut digits = 0usize;
        let mut push = |c: u8| {
            m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            digits += 1;
        };
        match b.get(i)? {
            b'0' => {
                push(b'0');
                i += 1;
            }
            b'1'..=b'9' => {
                while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    push(c);
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut scale = 0u32;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                push(c);
                i += 1;
            }
            if i == start {
                return None;
            }
            scale = u32::try_from(i - start).ok()?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) || digits > 18 || (m == 0 && neg) {
            return None;
        }
        self.i = i;
        while scale > 0 && m.is_multiple_of(10) {
            m /= 10;
            scale -= 1;
        }
        // m < 10^18 < 2^64: the low and middle words hold it
        Some(Decimal::from_parts(
            (m & 0xFFFF_FFFF) as u32,
            (m >> 32) as u32,
            0,
            neg && m != 0,
            scale,
        ))
    }
}

impl Schema<'_> {
    /// Whether records may take the fast path at all: no mapping that
    /// converts values (renamed columns are fine).
    pub(super) fn fast_ok(&self) -> bool {
        let m = self.mapping;
        m.nulls.is_empty()
            && m.true_values.is_empty()
            && m.false_values.is_empty()
            && !m.numeric_account
            && m.signals
                .iter()
                .all(|s| s.scale.is_none() && s.format.is_none() && s.values.is_empty())
    }

    /// A value of type `ty` at the parser's position, or `None` when it is
    /// not one (the serde path then says what is wrong).
    fn fast_value(&self, p: &mut P<'_>, ty: Type) -> Option<Value> {
        match p.peek()? {
            b'n' => {
                p.literal(b"null")?;
                return Some(Value::Missing);
            }
            b'"' => {
                // an enum's variant, matched in place: its quoted name, then
                // what ends a value (`,` or `}`)
                if let Type::Enum(e) = ty {
                    if let Some((&v, _, n)) =
                        self.variants.get(e.index())?.quoted_any(p.b.get(p.i..)?)
                    {
                        if matches!(p.b.get(p.i + n), Some(b',' | b'}')) {
                            p.i += n;
                            return Some(Value::Enum(v));
                        }
                    }
                }
                let s = p.plain_str()?;
                // as the serde path: a string is read as text by these types
                // only (a number or bool written as a string is wrong)
                return match ty {
                    Type::Text | Type::Date | Type::Duration | Type::Enum(_) => {
                        self.text_value(s, ty)
                    }
                    _ => None,
                };
            }
            b't' if ty == Type::Bool => {
                p.literal(b"true")?;
                return Some(Value::Bool(true));
            }
            b'f' if ty == Type::Bool => {
                p.literal(b"false")?;
                return Some(Value::Bool(false));
            }
            _ => {}
        }
        match ty {
            Type::Int | Type::Number | Type::Money | Type::Percent => {
                let d = p.decimal()?;
                // normalised: an integer has no scale
                if ty == Type::Int && d.scale() != 0 {
                    return None;
                }
                Some(Value::Num(d))
            }
            _ => None,
        }
    }

    /// The event as exports write it: `{"type":"T","at":"YYYY-MM-DD"`
    /// first, without spaces, then the fields of a declared type `T` (each
    /// once, neither `type` nor `at` again). Type and date are read by
    /// position and the fields by their expected order, with the same
    /// result as [`Schema::fast_event`]'s general loop; `None` for any
    /// other event (nothing is changed then, and the loop reads it).
    fn laid_out_event(
        &self,
        p: &mut P<'_>,
        events: &mut Vec<Occurrence>,
        seen: &mut Option<Ignored>,
    ) -> Option<()> {
        // read on a copy: `p` moves only when the event is read
        let mut q = *p;
        q.tight(b"{\"type\":")?;
        let (e, kind) = match self.events.quoted_any(q.b.get(q.i..)?) {
            // the type's name and the quote after it, then `,`: a name
            // that is only the start of the type's does not match
            Some((&e, kind, n)) if q.b.get(q.i + n) == Some(&b',') => {
                q.i += n;
                (e, kind)
            }
            _ => {
                let kind = q.tight_str()?;
                (*self.events.get(kind)?, kind)
            }
        };
        q.tight(b",\"at\":")?;
        let date = q.tight_date()?;
        let decl = &self.rules.events[e.index()];
        let names = &self.fields[e.index()];
        let mut fields: crate::snapshot::Fields = missing(decl.fields.len());
        let mut next = 0usize;
        let mut given = Given::default();
        loop {
            match *q.b.get(q.i)? {
                b'}' => {
                    q.i += 1;
                    break;
                }
                b',' => q.i += 1,
                _ => return None,
            }
            if let Some((&f, n)) = names.quoted_key(q.b.get(q.i..)?, &mut next) {
                q.i += n;
                given.first(f.index()).then_some(())?;
                fields[f.index()] = self.fast_value(&mut q, decl.fields[f.index()].ty)?;
                continue;
            }
            let key = q.plain_str()?;
            q.eat(b':')?;
            match names.get_next(key, &mut next) {
                Some(&f) => {
                    given.first(f.index()).then_some(())?;
                    fields[f.index()] = self.fast_value(&mut q, decl.fields[f.index()].ty)?
                }
                None if key == "type" || key == "at" => return None,
                None => {
                    // noted as the general loop notes it (once per record)
                    (seen.get_or_insert_with(Ignored::default).fields)
                        .entry(format!("{kind}.{key}"))
                        .or_insert(1);
                    q.skip(1)?;
                }
            }
        }
        self.push_event(events, e, date, fields)?;
        *p = q;
        Some(())
    }

    /// A read event into `events`, unless a field that is not optional is
    /// missing (then `None`: the serde path rejects the record).
    fn push_event(
        &self,
        events: &mut Vec<Occurrence>,
        e: EventId,
        date: chrono::NaiveDate,
        fields: crate::snapshot::Fields,
    ) -> Option<()> {
        let decl = &self.rules.events[e.index()];
        if decl
            .fields
            .iter()
            .zip(&fields)
            .any(|(f, v)| !f.optional && v.is_missing())
        {
            return None;
        }
        if events.capacity() == 0 {
            events.reserve_exact(8);
        }
        events.push(Occurrence {
            event: u32::try_from(e.index()).ok()?,
            date,
            fields,
        });
        Some(())
    }

    /// One event object into `events`; unknown types and fields are noted
    /// in `seen`.
    fn fast_event(
        &self,
        p: &mut P<'_>,
        events: &mut Vec<Occurrence>,
        seen: &mut Option<Ignored>,
    ) -> Option<()> {
        p.ws();
        if self.laid_out_event(p, events, seen).is_some() {
            return Some(());
        }
        let mut kind: Option<&str> = None;
        let mut at: Option<&str> = None;
        // the common event names its `type` first: its fields are then read
        // in place; otherwise the members' places are noted first and read
        // by the event's type afterwards
        let mut direct: Option<Option<(EventId, crate::snapshot::Fields)>> = None;
        let mut first = true;
        let mut members: [(&str, usize); 16] = [("", 0); 16];
        let mut n = 0;
        let mut given = Given::default();
        p.object(|key, p| {
            if std::mem::take(&mut first) && key == "type" {
                let k = p.plain_str()?;
                kind = Some(k);
                direct = Some(self.events.get(k).map(|&e| {
                    let len = self.rules.events[e.index()].fields.len();
                    (e, missing(len))
                }));
                return Some(());
            }
            match (key, &mut direct) {
                // a second `type` or `at` (or field) is the serde path's
                // business: it rejects the record
                ("type", Some(_)) => return None,
                ("type", None) if kind.is_some() => return None,
                ("type", None) => kind = Some(p.plain_str()?),
                ("at", _) if at.is_some() => return None,
                ("at", _) => at = Some(p.plain_str()?),
                (_, Some(Some((e, fields)))) => match self.fields[e.index()].get(key) {
                    Some(&f) => {
                        given.first(f.index()).then_some(())?;
                        let ty = self.rules.events[e.index()].fields[f.index()].ty;
                        fields[f.index()] = self.fast_value(p, ty)?;
                    }
                    None => {
                        (seen.get_or_insert_with(Ignored::default).fields)
                            .entry(format!("{}.{key}", kind.unwrap_or_default()))
                            .or_insert(1);
                        p.skip(1)?;
                    }
                },
                (_, Some(None)) => p.skip(1)?,
                (_, None) => {
                    p.ws();
                    *members.get_mut(n)? = (key, p.i);
                    n += 1;
                    p.skip(1)?;
                }
            }
            Some(())
        })?;
        let kind = kind?;
        let (e, fields) = match direct {
            Some(Some(x)) => x,
            Some(None) => {
                (seen.get_or_insert_with(Ignored::default).events)
                    .entry(kind.to_string())
                    .or_insert(1);
                return Some(());
            }
            None => {
                let Some(&e) = self.events.get(kind) else {
                    (seen.get_or_insert_with(Ignored::default).events)
                        .entry(kind.to_string())
                        .or_insert(1);
                    return Some(());
                };
                let decl = &self.rules.events[e.index()];
                let mut fields: crate::snapshot::Fields = missing(decl.fields.len());
                let names = &self.fields[e.index()];
                for &(key, at) in &members[..n] {
                    match names.get(key) {
                        Some(&f) => {
                            given.first(f.index()).then_some(())?;
                            let mut q = P {
                                b: p.b,
                                s: p.s,
                                i: at,
                            };
                            fields[f.index()] =
                                self.fast_value(&mut q, decl.fields[f.index()].ty)?;
                        }
                        None => {
                            let name = format!("{kind}.{key}");
                            (seen.get_or_insert_with(Ignored::default).fields)
                                .entry(name)
                                .or_insert(1);
                        }
                    }
                }
                (e, fields)
            }
        };
        self.push_event(events, e, parse_date(at?)?, fields)
    }

    /// The fast path; see the module documentation.
    pub(super) fn fast_record(
        &self,
        text: &str,
        origin: &Origin,
        ignored: &mut Ignored,
    ) -> Option<Snapshot> {
        if let Some(s) = self.laid_out_record(text, origin, ignored) {
            return Some(s);
        }
        let mut p = P {
            b: text.as_bytes(),
            s: text,
            i: 0,
        };
        let rules = self.rules;
        let mut account: Option<&str> = None;
        let mut as_of = None;
        let mut signals: Vec<Value> = missing(rules.signals.len());
        let mut events: Vec<Occurrence> = Vec::new();
        // made only for a record with something to ignore: most have none
        let mut seen: Option<Ignored> = None;
        let mut unknown: Vec<&str> = Vec::new();
        let mut next_signal = 0usize;
        let mut given = Given::default();
        let mut top = 0u8;
        p.object(|key, p| {
            match key {
                // twice: the serde path rejects it (a slot given twice too)
                "account" | "as_of" | "signals" | "events" | "override"
                    if !first_member(&mut top, key) =>
                {
                    return None
                }
                "account" => account = Some(p.plain_str()?),
                "as_of" => as_of = Some(parse_date(p.plain_str()?)?),
                "signals" => p.object(|key, p| {
                    match self.signals.get_next(key, &mut next_signal) {
                        Some(&i) => {
                            given.first(i.index()).then_some(())?;
                            signals[i.index()] = self.fast_value(p, rules.signals[i.index()].ty)?
                        }
                        None => {
                            if !unknown.contains(&key) {
                                unknown.push(key);
                            }
                            p.skip(1)?;
                        }
                    }
                    Some(())
                })?,
                "events" => {
                    if p.peek()? == b'n' {
                        p.literal(b"null")?;
                    } else {
                        p.eat(b'[')?;
                        if p.eat(b']').is_none() {
                            loop {
                                self.fast_event(p, &mut events, &mut seen)?;
                                match p.peek()? {
                                    b',' => p.i += 1,
                                    b']' => {
                                        p.i += 1;
                                        break;
                                    }
                                    _ => return None,
                                }
                            }
                        }
                    }
                }
                "override" => {
                    // an override in force is the serde path's business
                    p.literal(b"null")?;
                }
                other => {
                    // a declared signal beside `account` is a mistake the
                    // serde path reports
                    if self.signals.get(other).is_some() {
                        return None;
                    }
                    // any other key is counted as ignored, as there
                    (seen.get_or_insert_with(Ignored::default).keys)
                        .entry(other.to_string())
                        .or_insert(1);
                    p.skip(1)?;
                }
            }
            Some(())
        })?;
        p.ws();
        if p.i != p.b.len() {
            return None;
        }
        let account = account.filter(|a| !a.is_empty())?;
        let as_of = as_of?;
        if !self.complete(&signals) {
            return None;
        }
        // accepted: note the unknown names as the serde path does
        for k in unknown {
            if !ignored.seen_signals.contains(k) {
                ignored.seen_signals.insert(k.to_string());
            }
            (seen.get_or_insert_with(Ignored::default).signals).insert(k.to_string(), 1);
        }
        if let Some(seen) = seen {
            ignored.merge(seen);
        }
        Some(self.snapshot(account, as_of, signals, events, origin))
    }

    /// Whether every signal that is not optional has a value.
    fn complete(&self, signals: &[Value]) -> bool {
        !self
            .rules
            .signals
            .iter()
            .zip(signals)
            .any(|(s, v)| !s.optional && v.is_missing())
    }

    /// The accepted record's snapshot (events after `as_of` dropped).
    fn snapshot(
        &self,
        account: &str,
        as_of: chrono::NaiveDate,
        signals: Vec<Value>,
        mut events: Vec<Occurrence>,
        origin: &Origin,
    ) -> Snapshot {
        events.retain(|o| o.date <= as_of);
        Snapshot {
            account: Arc::from(account),
            as_of,
            signals: signals.into_boxed_slice(),
            events: Events::from_list(self.rules.events.len(), events),
            override_: None,
            origin: origin.clone(),
        }
    }

    /// The record as exports write it:
    /// `{"account":"A","as_of":"YYYY-MM-DD","signals":{…},"events":[…]}`
    /// without spaces, each signal declared (in any order, each once), the
    /// events as [`Schema::fast_event`] reads them, `"events"` optional.
    /// Read by position, with the result of the general loop of
    /// [`Schema::fast_record`]; `None` for any other record (then nothing
    /// has changed, and that loop reads it).
    fn laid_out_record(
        &self,
        text: &str,
        origin: &Origin,
        ignored: &mut Ignored,
    ) -> Option<Snapshot> {
        let b = text.as_bytes();
        let mut p = P { b, s: text, i: 0 };
        p.tight(b"{\"account\":")?;
        let account = p.tight_str().filter(|a| !a.is_empty())?;
        p.tight(b",\"as_of\":")?;
        let as_of = p.tight_date()?;
        p.tight(b",\"signals\":{")?;
        let rules = self.rules;
        let mut signals: Vec<Value> = missing(rules.signals.len());
        let mut next = 0usize;
        let mut given = Given::default();
        if p.b.get(p.i) == Some(&b'}') {
            p.i += 1;
        } else {
            loop {
                let i = match self.signals.quoted_key(p.b.get(p.i..)?, &mut next) {
                    Some((&i, n)) => {
                        p.i += n;
                        i
                    }
                    None => {
                        let key = p.tight_str()?;
                        p.tight(b":")?;
                        *self.signals.get_next(key, &mut next)?
                    }
                };
                given.first(i.index()).then_some(())?;
                signals[i.index()] = self.fast_value(&mut p, rules.signals[i.index()].ty)?;
                match *p.b.get(p.i)? {
                    b',' => p.i += 1,
                    b'}' => {
                        p.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let mut events: Vec<Occurrence> = Vec::new();
        let mut seen: Option<Ignored> = None;
        if p.tight(b",\"events\":[").is_some() && p.tight(b"]").is_none() {
            loop {
                self.laid_out_event(&mut p, &mut events, &mut seen)?;
                match *p.b.get(p.i)? {
                    b',' => p.i += 1,
                    b']' => {
                        p.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        p.tight(b"}")?;
        p.ws();
        if p.i != b.len() || !self.complete(&signals) {
            return None;
        }
        if let Some(seen) = seen {
            ignored.merge(seen);
        }
        Some(self.snapshot(account, as_of, signals, events, origin))
    }
}

#[cfg(test)]
mod tests {
    use super::P;
    use std::str::FromStr;

    /// The fast path's decimal of a whole text (`None` unless all of it is
    /// one number).
    fn decimal(t: &str) -> Option<rust_decimal::Decimal> {
        let mut p = P {
            b: t.as_bytes(),
            s: t,
            i: 0,
        };
        let d = p.decimal()?;
        (p.i == t.len()).then_some(d)
    }

    #[test]
    fn the_word_search_finds_the_first_special_byte() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let mut x: u64 = 1;
        let alphabet = [
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff, b'9', 0x5b, 0x5d,
        ];
        for len in 0..40 {
            for _ in 0..400 {
                let b: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        // mostly plain letters, now and then a special byte
                        if (x >> 60) < 13 {
                            b'a' + ((x >> 33) % 26) as u8
                        } else {
                            alphabet[((x >> 33) % alphabet.len() as u64) as usize]
                        }
                    })
                    .collect();
                assert_eq!(super::special(&b), naive(&b), "{b:?}");
            }
        }
    }

    #[test]
    fn decimals_match_the_exact_parser() {
        for t in [
            "0",
            "72",
            "-5",
            "12.50",
            "0.001",
            "250000",
            "-0.5",
            "31.0",
            "999999999999999999",
            "0.00000000000000001",
            "0.0",
            "100.000",
            "4294967296",
            "4294967295.5",
            "-4294967296.25",
            "12345678901234567.8",
            "-100",
            "7.10",
        ] {
            let want = rust_decimal::Decimal::from_str_exact(t)
                .or_else(|_| rust_decimal::Decimal::from_str(t))
                .map(|d| d.normalize())
                .ok();
            // the same representation, not only the same value
            let parts = |d: Option<rust_decimal::Decimal>| d.map(|d| d.serialize());
            assert_eq!(parts(decimal(t)), parts(want), "{t}");
        }
        assert_eq!(decimal("-0"), None);
        assert_eq!(decimal("1234567890123456789"), None);
        assert_eq!(decimal("1.000000000000000001"), None);
        for t in [
            "", "-", "1.", ".5", "01", "1e5", "1.5E2", "+1", "--1", "1.2.3",
        ] {
            assert_eq!(decimal(t), None, "{t:?}");
        }
    }
}
