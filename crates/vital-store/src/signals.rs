//! Signals by position (schema 7, docs/history.md): `snapshots.signals`
//! is a JSON array, the value of each of its run's signals in the order of
//! `runs.signals` (that run's signal names), `null` where the snapshot has
//! none, trailing `null`s left out. A difference from a key snapshot
//! (`signals_base`) is an array of the same kind whose `null` means "as in
//! the key snapshot"; a snapshot that lacks a signal its key snapshot has
//! is stored whole. A run's names grow as its stored arrays bring signals
//! it has not named yet — a whole object's in the rule set's order, a
//! difference's (only what changed) in name order — appended, so
//! positions never move. On a nightly run the first differences name the
//! signals that change most often first, so most differences have no
//! `null` before their last value.
//!
//! Values keep their JSON text, so a stored snapshot reads back as the
//! object it was recorded as (`codec.rs`), the store's API unchanged.

use crate::batch::raw_object;
use crate::db::Param;
use crate::{Result, Store, StoreError};
use std::sync::Arc;

/// The object of `names` and `array`'s values (those not `null`), as the
/// codec writes objects (`{"a": 1, "b": "x"}`). A stored object (written
/// before schema 7) is returned as it is.
pub(crate) fn to_object(names: &[String], array: &str) -> String {
    let t = array.trim_start();
    if t.starts_with('{') {
        return array.to_string();
    }
    let Ok(values) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(t) else {
        return "{}".into();
    };
    let mut out = String::from("{");
    for (name, v) in names.iter().zip(values) {
        let v = v.get().trim();
        if v == "null" {
            continue;
        }
        if out.len() > 1 {
            out.push_str(", ");
        }
        out.push_str(&serde_json::Value::String(name.clone()).to_string());
        out.push_str(": ");
        out.push_str(v);
    }
    out.push('}');
    out
}

/// A key snapshot's array with a difference's values put over it, by
/// position (`None` when either is not an array).
fn merge_arrays(base: &str, delta: &str) -> Option<String> {
    use serde_json::value::RawValue;
    let base: Vec<&RawValue> = serde_json::from_str(base.trim_start()).ok()?;
    let delta: Vec<&RawValue> = serde_json::from_str(delta.trim_start()).ok()?;
    let n = base.len().max(delta.len());
    let values: Vec<&str> = (0..n)
        .map(|i| match delta.get(i).map(|v| v.get().trim()) {
            Some(v) if v != "null" => v,
            _ => base.get(i).map_or("null", |v| v.get().trim()),
        })
        .collect();
    Some(format!("[{}]", values.join(",")))
}

/// The array of `object`'s values by the positions of `names` (`None`:
/// `object` has a signal `names` lacks, which the caller appends).
fn to_array(names: &[String], object: &str) -> Result<std::result::Result<String, Vec<String>>> {
    let obj = raw_object(object)
        .ok_or_else(|| StoreError::new(format!("signals `{object}` are not a JSON object")))?;
    // in the order the object has them: the codec writes the rule set's
    // order, so a run's names are its signals as declared (and the
    // signals that move, often declared first, lead a difference whose
    // trailing `null`s are left out)
    let missing: Vec<String> = keys_in_order(object)
        .into_iter()
        .filter(|k| !names.iter().any(|n| n == k))
        .collect();
    if !missing.is_empty() {
        return Ok(Err(missing));
    }
    let mut values: Vec<&str> = names
        .iter()
        .map(|n| obj.get(n.as_str()).map_or("null", |v| v.get().trim()))
        .collect();
    while values.last() == Some(&"null") {
        values.pop();
    }
    Ok(Ok(format!("[{}]", values.join(","))))
}

/// An object's keys in the order it has them.
fn keys_in_order(object: &str) -> Vec<String> {
    crate::codec::members_in_order::<serde::de::IgnoredAny>(object)
        .map(|m| m.into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default()
}

impl Store {
    /// The signal names of the run `run` (`runs.signals`), read once.
    pub(crate) fn signal_names(&mut self, run: i64) -> Result<Arc<Vec<String>>> {
        if let Some(n) = self.signal_names.get(&run) {
            return Ok(n.clone());
        }
        let names: Vec<String> = self
            .db
            .one("SELECT signals FROM runs WHERE id = $1", &[Param::Int(run)])?
            .and_then(|r| r.first().and_then(Param::text))
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let names = Arc::new(names);
        self.signal_names.insert(run, names.clone());
        Ok(names)
    }

    /// The signals object (full, or a difference without removals) as the
    /// run `run` stores it: by the positions of its names, naming the
    /// signals it has not named yet first.
    pub(crate) fn signals_array(&mut self, run: i64, object: &str) -> Result<String> {
        let names = self.signal_names(run)?;
        match to_array(&names, object)? {
            Ok(a) => Ok(a),
            Err(missing) => {
                let mut more = (*names).clone();
                more.extend(missing);
                self.db.exec(
                    "UPDATE runs SET signals = $1 WHERE id = $2",
                    &[
                        Param::Json(serde_json::to_string(&more).unwrap_or_else(|_| "[]".into())),
                        Param::Int(run),
                    ],
                )?;
                let a = to_array(&more, object)?
                    .map_err(|_| StoreError::new("a run's signal names did not take"))?;
                self.signal_names.insert(run, Arc::new(more));
                Ok(a)
            }
        }
    }

    /// The signals object of a snapshot stored as a difference (`delta`,
    /// of the run `run`) from its key snapshot's (`base`, of `base_run`).
    /// When both runs name the same signals (one rule set), the arrays are
    /// merged by position, read once.
    pub(crate) fn merged_signals(
        &mut self,
        base_run: Option<i64>,
        base: &str,
        run: Option<i64>,
        delta: &str,
    ) -> Result<String> {
        if let (Some(b), Some(r)) = (base_run, run) {
            let (bn, rn) = (self.signal_names(b)?, self.signal_names(r)?);
            if bn == rn {
                if let Some(merged) = merge_arrays(base, delta) {
                    return Ok(to_object(&rn, &merged));
                }
            }
        }
        let delta = self.signals_object(run, delta)?;
        let base = self.signals_object(base_run, base)?;
        Ok(crate::batch::merge_signals(&base, &delta))
    }

    /// The signals object of a stored row: its `signals` (an array) read
    /// with its run's names.
    pub(crate) fn signals_object(&mut self, run: Option<i64>, stored: &str) -> Result<String> {
        let names = match run {
            Some(r) => self.signal_names(r)?,
            None => Arc::new(Vec::new()),
        };
        Ok(to_object(&names, stored))
    }
}

/// Schema 7, SQLite: differences that remove a signal stored whole, each
/// run's signal names (those its snapshots hold, by name), every
/// `signals` object turned into an array, and the view.
pub(crate) const V7_SQLITE: &str = "
DROP VIEW snapshot_signals;
ALTER TABLE runs ADD COLUMN signals TEXT;
UPDATE snapshots SET
  signals = (SELECT json_patch(b.signals, snapshots.signals) FROM snapshots b
             WHERE b.as_of = snapshots.signals_base AND b.account_id = snapshots.account_id),
  signals_base = NULL
WHERE signals_base IS NOT NULL
  AND EXISTS (SELECT 1 FROM json_each(snapshots.signals) j WHERE j.type = 'null');
CREATE TEMP TABLE run_keys AS
  SELECT DISTINCT s.run_id, j.key FROM snapshots s, json_each(s.signals) j;
UPDATE runs SET signals = COALESCE(
  (SELECT json_group_array(k.key) FROM (SELECT key FROM run_keys WHERE run_id = runs.id ORDER BY key) k),
  '[]');
DROP TABLE run_keys;
UPDATE snapshots SET signals = (
  SELECT json_group_array(json(snapshots.signals -> ('$.\"' || n.value || '\"')) ORDER BY n.key)
  FROM runs u, json_each(u.signals) n WHERE u.id = snapshots.run_id);
CREATE VIEW snapshot_signals AS
SELECT s.account_id, s.as_of,
  CASE WHEN s.signals_base IS NULL
    THEN (SELECT json_group_object(n.value, json(s.signals -> ('$[' || n.key || ']')))
          FROM runs u, json_each(u.signals) n
          WHERE u.id = s.run_id AND json_type(s.signals, '$[' || n.key || ']') <> 'null')
    ELSE json_patch(
      (SELECT json_group_object(n.value, json(b.signals -> ('$[' || n.key || ']')))
       FROM runs u, json_each(u.signals) n
       WHERE u.id = b.run_id AND json_type(b.signals, '$[' || n.key || ']') <> 'null'),
      (SELECT json_group_object(n.value, json(s.signals -> ('$[' || n.key || ']')))
       FROM runs u, json_each(u.signals) n
       WHERE u.id = s.run_id AND json_type(s.signals, '$[' || n.key || ']') <> 'null'))
  END AS signals
FROM snapshots s
LEFT JOIN snapshots b ON b.as_of = s.signals_base AND b.account_id = s.account_id;
UPDATE vital_schema SET version = 7;
";

/// Schema 7, PostgreSQL: as [`V7_SQLITE`].
pub(crate) const V7_POSTGRES: &str = "
DROP VIEW snapshot_signals;
ALTER TABLE runs ADD COLUMN signals JSONB;
UPDATE snapshots s SET signals = jsonb_strip_nulls(b.signals || s.signals), signals_base = NULL
FROM snapshots b
WHERE b.as_of = s.signals_base AND b.account_id = s.account_id
  AND EXISTS (SELECT 1 FROM jsonb_each(s.signals) j WHERE jsonb_typeof(j.value) = 'null');
CREATE TEMP TABLE run_keys AS
  SELECT DISTINCT run_id, jsonb_object_keys(signals) AS key FROM snapshots;
UPDATE runs SET signals = COALESCE(
  (SELECT jsonb_agg(k.key ORDER BY k.key) FROM run_keys k WHERE k.run_id = runs.id), '[]');
DROP TABLE run_keys;
UPDATE snapshots s SET signals = COALESCE(
  (SELECT jsonb_agg(s.signals -> n.name ORDER BY n.i)
   FROM runs u, jsonb_array_elements_text(u.signals) WITH ORDINALITY n(name, i)
   WHERE u.id = s.run_id), '[]');
CREATE VIEW snapshot_signals AS
SELECT s.account_id, s.as_of,
  COALESCE((SELECT jsonb_object_agg(n.name, b.signals -> (n.i::int - 1))
            FROM runs u, jsonb_array_elements_text(u.signals) WITH ORDINALITY n(name, i)
            WHERE s.signals_base IS NOT NULL AND u.id = b.run_id
              AND jsonb_typeof(b.signals -> (n.i::int - 1)) <> 'null'), '{}'::jsonb)
  || COALESCE((SELECT jsonb_object_agg(n.name, s.signals -> (n.i::int - 1))
            FROM runs u, jsonb_array_elements_text(u.signals) WITH ORDINALITY n(name, i)
            WHERE u.id = s.run_id AND jsonb_typeof(s.signals -> (n.i::int - 1)) <> 'null'), '{}'::jsonb)
  AS signals
FROM snapshots s
LEFT JOIN snapshots b ON b.as_of = s.signals_base AND b.account_id = s.account_id;
UPDATE vital_schema SET version = 7;
";
