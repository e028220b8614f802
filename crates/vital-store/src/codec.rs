//! Snapshots to and from the store's JSON: signals as the `signals` object
//! of an input record, each event as an input event (`type`, `at`, its
//! fields), the override as in the input. A stored snapshot is read back
//! through the one record reader (`vital_eval::Schema::json_record`), so it
//! means exactly what an input record with the same text means.

use crate::StoredSnapshot;
use std::collections::BTreeMap;
use std::sync::Arc;
use vital_check::ir::{RuleSet, Type};
use vital_check::value::Value;
use vital_eval::results::{json_str, push_date};
use vital_eval::{Ignored, Origin, Schema, Snapshot};

/// A value as it is written in an input record (docs/language.md §7).
fn value_json(out: &mut String, rules: &RuleSet, v: &Value, ty: Type) {
    match v {
        Value::Missing => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(d) => {
            use std::fmt::Write;
            let _ = write!(out, "{}", d.normalize());
        }
        Value::Text(t) => json_str(out, t),
        Value::Date(d) => {
            out.push('"');
            push_date(out, *d);
            out.push('"');
        }
        Value::Duration(d) => json_str(out, &d.to_string()),
        Value::Enum(i) => match (ty, ty_variants(rules, ty).and_then(|v| v.get(*i as usize))) {
            (Type::Enum(_), Some(name)) => json_str(out, name),
            _ => json_str(out, &rules.show_value(v, ty)),
        },
        Value::Status(_) => json_str(out, &rules.show_value(v, ty)),
    }
}

/// The variant names of an enum type.
fn ty_variants(rules: &RuleSet, ty: Type) -> Option<&[String]> {
    match ty {
        Type::Enum(id) => rules.enums.get(id.index()).map(|e| e.variants.as_slice()),
        _ => None,
    }
}

/// The `signals` object (missing signals left out).
pub fn signals_json(rules: &RuleSet, snap: &Snapshot) -> String {
    let mut out = String::from("{");
    let mut first = true;
    for (sig, v) in rules.signals.iter().zip(snap.signals.iter()) {
        if v.is_missing() {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        json_str(&mut out, &sig.name);
        out.push_str(": ");
        value_json(&mut out, rules, v, sig.ty);
    }
    out.push('}');
    out
}

/// The override as given (`status`, `until`, `reason`), or `None`.
pub fn override_json(rules: &RuleSet, snap: &Snapshot) -> Option<String> {
    let o = snap.override_.as_ref()?;
    let mut out = String::from("{\"status\": ");
    let name = rules
        .status
        .get(o.status.index())
        .map_or("", |a| a.name.as_str());
    json_str(&mut out, name);
    out.push_str(", \"until\": ");
    match o.until {
        Some(u) => json_str(&mut out, &u.format("%Y-%m-%d").to_string()),
        None => out.push_str("null"),
    }
    out.push_str(", \"reason\": ");
    match &o.reason {
        Some(r) => json_str(&mut out, r),
        None => out.push_str("null"),
    }
    out.push('}');
    Some(out)
}

/// The snapshot's distinct events, each as its JSON text with how many
/// times it occurs in the snapshot; sorted by text.
pub fn events_json(rules: &RuleSet, snap: &Snapshot) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for (ev, occs) in rules.events.iter().zip(snap.events.iter()) {
        for o in occs {
            let mut out = String::from("{\"type\": ");
            json_str(&mut out, &ev.name);
            out.push_str(", \"at\": ");
            out.push('"');
            push_date(&mut out, o.date);
            out.push('"');
            for (f, v) in ev.fields.iter().zip(o.fields.iter()) {
                if v.is_missing() {
                    continue;
                }
                out.push_str(", ");
                json_str(&mut out, &f.name);
                out.push_str(": ");
                value_json(&mut out, rules, v, f.ty);
            }
            out.push('}');
            *counts.entry(out).or_insert(0) += 1;
        }
    }
    counts.into_iter().collect()
}

/// Where stored snapshots come from, for messages and for telling them from
/// input records (line 0: no input line is 0).
pub const STORED: &str = "<history>";

/// Whether a snapshot came from the store rather than from the input.
pub fn is_stored(s: &Snapshot) -> bool {
    s.origin.line == 0 && &*s.origin.file == STORED
}

/// A stored snapshot, read back as a record with the current rules. `None`
/// when the current rules reject it (a signal they now require, an enum
/// variant they no longer have): it is then no history.
pub fn decode(schema: &Schema<'_>, account: &str, stored: &StoredSnapshot) -> Option<Snapshot> {
    decode_or_why(schema, account, stored).ok()
}

/// [`decode`], or why the current rules reject the stored snapshot (the
/// reader's message: which signal, what was expected, what was found).
pub fn decode_or_why(
    schema: &Schema<'_>,
    account: &str,
    stored: &StoredSnapshot,
) -> Result<Snapshot, String> {
    let StoredSnapshot {
        as_of,
        signals,
        override_,
        events,
    } = stored;
    let (as_of, override_) = (*as_of, override_.as_deref());
    let mut text = String::with_capacity(64 + signals.len() + events.len() * 64);
    text.push_str("{\"account\": ");
    json_str(&mut text, account);
    text.push_str(", \"as_of\": \"");
    push_date(&mut text, as_of);
    text.push_str("\", \"signals\": ");
    text.push_str(signals);
    text.push_str(", \"events\": [");
    let mut first = true;
    for (e, n) in events {
        for _ in 0..(*n).max(0) {
            if !first {
                text.push_str(", ");
            }
            first = false;
            text.push_str(e);
        }
    }
    text.push(']');
    if let Some(o) = override_ {
        text.push_str(", \"override\": ");
        text.push_str(o);
    }
    text.push('}');
    let origin = Origin {
        file: Arc::from(STORED),
        line: 0,
    };
    let mut ignored = Ignored::default();
    schema
        .json_record(&text, origin, &mut ignored)
        .map_err(|r| r.reason)
}

/// A JSON object's members in the order it has them (serde_json's own
/// `Map` sorts them), each value read as `V`: the scores object of a
/// result (`results.rs`), the signal names of a snapshot (`signals.rs`).
pub(crate) fn members_in_order<V: serde::de::DeserializeOwned>(
    json: &str,
) -> serde_json::Result<Vec<(String, V)>> {
    struct Members<V>(Vec<(String, V)>);
    impl<'de, V: serde::de::DeserializeOwned> serde::Deserialize<'de> for Members<V> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit<V>(std::marker::PhantomData<V>);
            impl<'de, V: serde::de::DeserializeOwned> serde::de::Visitor<'de> for Visit<V> {
                type Value = Members<V>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Members<V>, A::Error> {
                    let mut out = Vec::new();
                    while let Some(member) = map.next_entry::<String, V>()? {
                        out.push(member);
                    }
                    Ok(Members(out))
                }
            }
            d.deserialize_map(Visit(std::marker::PhantomData))
        }
    }
    serde_json::from_str::<Members<V>>(json).map(|m| m.0)
}
