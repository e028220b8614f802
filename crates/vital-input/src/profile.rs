//! Data-quality warnings that catch the common export mistakes, from what
//! the accepted records held (docs/language.md §7):
//!
//! * every value of a percent signal lies in [0, 1] — fractions given for
//!   percentage points;
//! * an unknown key or column that is a near-miss of a declared signal
//!   (case, `_`/space, a typo) — the did-you-mean names the signal;
//! * an optional signal missing from every record (a renamed column makes
//!   every score that reads it n/a);
//! * a text or enum signal with one value across 1,000 or more records.

use rust_decimal::Decimal;
use vital_check::ir::{SignalId, Type};
use vital_check::value::Value;
use vital_eval::{Ignored, Schema, Snapshot};

/// Records a single-valued text or enum signal must span to be reported.
pub const SINGLE_VALUE_RECORDS: usize = 1000;

/// Records an optional signal must be missing from to be reported (sooner
/// when a look-alike column is there).
pub const SILENT_OPTIONAL_RECORDS: usize = 20;

/// What the accepted records held, per signal.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    records: usize,
    signals: Vec<SignalProfile>,
}

impl Profile {
    /// How many accepted records were profiled.
    pub fn records(&self) -> usize {
        self.records
    }
}

#[derive(Debug, Clone, Default)]
struct SignalProfile {
    present: usize,
    /// Largest absolute value (numbers), while it is at most 1: past that
    /// (`over_one`) no fraction warning is possible and values are not
    /// compared any more.
    max_abs: Decimal,
    over_one: bool,
    /// One value seen, and whether another differed (text, enum).
    first: Option<Value>,
    varied: bool,
}

impl Profile {
    pub fn new(signals: usize) -> Profile {
        Profile {
            records: 0,
            signals: vec![SignalProfile::default(); signals],
        }
    }

    pub fn add(&mut self, s: &Snapshot) {
        self.records += 1;
        for (p, v) in self.signals.iter_mut().zip(s.signals.iter()) {
            match v {
                Value::Missing => continue,
                Value::Num(_) if p.over_one => {}
                Value::Num(d) => {
                    let a = d.abs();
                    if a > p.max_abs {
                        p.max_abs = a;
                        p.over_one = a > Decimal::ONE;
                    }
                }
                Value::Text(_) | Value::Enum(_) if !p.varied => match &p.first {
                    None => p.first = Some(v.clone()),
                    Some(f) => p.varied = f != v,
                },
                _ => {}
            }
            p.present += 1;
        }
    }

    pub fn merge(&mut self, other: Profile) {
        self.records += other.records;
        for (a, b) in self.signals.iter_mut().zip(other.signals) {
            a.present += b.present;
            a.max_abs = a.max_abs.max(b.max_abs);
            a.over_one |= b.over_one;
            a.varied |= b.varied;
            match (&a.first, b.first) {
                (None, f) => a.first = f,
                (Some(x), Some(y)) if *x != y => a.varied = true,
                _ => {}
            }
        }
    }

    /// Signals no accepted record had (after at least one record).
    pub fn absent(&self, schema: &Schema<'_>) -> Vec<String> {
        if self.records == 0 {
            return Vec::new();
        }
        schema
            .rules()
            .signals
            .iter()
            .zip(&self.signals)
            .filter(|(_, p)| p.present == 0)
            .map(|(s, _)| s.name.clone())
            .collect()
    }

    /// The warnings, each a line without the `warning: FILE:` prefix;
    /// `ignored` supplies the unknown names a did-you-mean may point at.
    pub fn warnings(&self, schema: &Schema<'_>, ignored: &Ignored) -> Vec<String> {
        let rules = schema.rules();
        let mut out = Vec::new();
        // unknown names first, with the signal they probably mean
        for (name, n) in &ignored.signals {
            let hint = near_miss(name, schema)
                .map(|s| format!(" — did you mean `{s}`?"))
                .unwrap_or_default();
            out.push(format!(
                "unknown signal {name:?} ignored in {} record{}{hint}",
                crate::thousands(*n),
                if *n == 1 { "" } else { "s" }
            ));
        }
        for line in ignored.lines() {
            if !line.starts_with("unknown signal ") {
                out.push(line);
            }
        }
        if self.records == 0 {
            return out;
        }
        for (i, (sig, p)) in rules.signals.iter().zip(&self.signals).enumerate() {
            let column = schema.column_of(SignalId::new(i));
            if sig.ty == Type::Percent
                && p.present > 0
                && !p.over_one
                && !p.max_abs.is_zero()
                && schema
                    .mapping()
                    .signal(SignalId::new(i))
                    .and_then(|m| m.scale)
                    .is_none()
            {
                out.push(format!(
                    "every value of percent signal `{}` lies between 0 and 1 (at most {}): percent signals are in percentage points (72 means 72%); if the export writes fractions, map it in vital.toml: `{} = {{ scale = 100 }}` under {}",
                    sig.name,
                    p.max_abs.normalize(),
                    sig.name,
                    schema.mapping().columns_table()
                ));
            }
            let renamed = ignored
                .signals
                .keys()
                .find(|k| near_miss(k, schema).as_deref() == Some(sig.name.as_str()));
            // a small file may well lack an optional signal; a large one, or
            // one with a look-alike column, probably lost it
            if sig.optional
                && p.present == 0
                && (renamed.is_some() || self.records >= SILENT_OPTIONAL_RECORDS)
            {
                let hint = renamed
                    .map(|k| crate::renamed_hint(schema, &sig.name, k))
                    .unwrap_or_default();
                let place = if column == sig.name {
                    String::new()
                } else {
                    format!(" (read from {column:?})")
                };
                out.push(format!(
                    "signal `{}`{place} is missing from {}: every score that reads it is n/a{hint}",
                    sig.name,
                    if self.records == 1 {
                        "the only record".to_string()
                    } else {
                        format!("all {} records", crate::thousands(self.records))
                    }
                ));
            }
            if matches!(sig.ty, Type::Text | Type::Enum(_))
                && !p.varied
                && p.present >= SINGLE_VALUE_RECORDS
            {
                let value = match &p.first {
                    Some(Value::Text(t)) => format!("{:?}", t.as_ref()),
                    Some(Value::Enum(v)) => match sig.ty {
                        Type::Enum(e) => rules.enums[e.index()]
                            .variants
                            .get(*v as usize)
                            .cloned()
                            .unwrap_or_default(),
                        _ => String::new(),
                    },
                    _ => String::new(),
                };
                out.push(format!(
                    "signal `{}` has the same value ({value}) in all {} records that have it: is the export's column filled?",
                    sig.name,
                    crate::thousands(p.present)
                ));
            }
        }
        out
    }
}

/// `name` folded for comparison: lower case, `_`, `-` and spaces dropped.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The clause that names `found`, the input's look-alike of a missing
/// `signal`: a renamed column, or, when vital.toml maps the signal to
/// another column, perhaps a wrong mapping.
pub fn renamed_hint(schema: &Schema<'_>, signal: &str, found: &str) -> String {
    let rules = schema.rules();
    let column = (rules.signals.iter().position(|s| s.name == signal))
        .map(|i| schema.column_of(SignalId::new(i)))
        .unwrap_or(signal);
    if column == signal {
        format!("; the input has {found:?} — a renamed column?")
    } else {
        format!(
            "; the input has {found:?}, and vital.toml maps `{signal}` to the column {column:?}: is the mapping's `column` wrong?"
        )
    }
}

/// The declared signal an unknown key probably means: the same name but
/// for case, `_`, `-` and spaces, or within two edits, or a name that
/// begins or ends with it (`csat_pct`, `NPS Score`: a column renamed with a
/// unit or a word added; the longest such signal, of at least 3 letters).
pub fn near_miss(name: &str, schema: &Schema<'_>) -> Option<String> {
    let rules = schema.rules();
    let folded = fold(name);
    let candidates = rules
        .signals
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), schema.column_of(SignalId::new(i))));
    let candidates: Vec<(&str, &str)> = candidates.collect();
    // the same name but for case and separators, else a likely typo
    candidates
        .iter()
        .find(|(s, c)| fold(s) == folded || fold(c) == folded)
        .map(|(s, _)| s.to_string())
        .or_else(|| {
            let names = candidates.iter().flat_map(|(s, c)| [*s, *c]);
            let hit = vital_syntax::suggest::did_you_mean(name, names)?;
            candidates
                .iter()
                .find(|(s, c)| *s == hit || *c == hit)
                .map(|(s, _)| s.to_string())
        })
        .or_else(|| {
            candidates
                .iter()
                .filter(|(s, c)| {
                    [fold(s), fold(c)].iter().any(|f| {
                        f.chars().count() >= 3
                            && f.len() < folded.len()
                            && (folded.starts_with(f.as_str()) || folded.ends_with(f.as_str()))
                    })
                })
                .max_by_key(|(s, _)| s.len())
                .map(|(s, _)| s.to_string())
        })
}
