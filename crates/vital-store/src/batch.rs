//! Whole batches of accounts at once: one statement per batch of up to
//! [`CHUNK`] accounts instead of a few per account, for what a nightly run
//! reads (account ids, the stored snapshots `previous`/`change` reach with
//! their events, the previous results) and writes (snapshots, events,
//! results and starts of accounts whose night comes after every stored one).
//!
//! A batch's keys travel as a `VALUES` list (`WITH r(i, …) AS (VALUES …)`,
//! typed with casts on PostgreSQL), joined with `CROSS JOIN`, which makes
//! SQLite loop over the list and seek each key in the table's index.

use crate::db::{Kind, Param, Row};
use crate::{
    get, json_list, normalize_json, opt_date, parse_list, Recorded, Result, Store, StoredSnapshot,
};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Keys per statement.
pub(crate) const CHUNK: usize = 1000;

/// Stored snapshots of one date whose account ids are at most this far
/// apart are read as one range of the key (the unwanted rows between
/// them cost less than a seek each). Ids spread evenly this far apart
/// chain into one long range that reads up to this many rows per wanted
/// one: a cost, never a wrong answer (rows of other accounts are left out).
const RUN_GAP: i64 = 16;

/// Rows per multi-row `INSERT` (fewer when a row has many columns).
const INSERT_PARAMS: usize = 8000;

/// `(VALUES ($1, $2), ($3, $4), …)`: `rows` rows of `types` (PostgreSQL
/// casts; SQLite takes the values as they are).
pub(crate) fn values(kind: Kind, rows: usize, types: &[&str]) -> String {
    let mut s = String::with_capacity(rows * types.len() * 12 + 10);
    s.push_str("(VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for (k, ty) in types.iter().enumerate() {
            if k > 0 {
                s.push_str(", ");
            }
            n += 1;
            s.push('$');
            s.push_str(&n.to_string());
            if kind == Kind::Postgres {
                s.push_str("::");
                s.push_str(ty);
            }
        }
        s.push(')');
    }
    s.push(')');
    s
}

/// The latest date of `nights` (after `cond` on `n.as_of`, when given) on
/// which `table` (`snapshots`, `results`, or `result_nights`: a row of
/// `results` or a repeating snapshot) holds a row of the account `aid`
/// (SQL expressions), as a scalar subquery. The tables are ordered by
/// date, then account, so an account's rows are found by probing its
/// dates newest first, one index seek each: a nightly account is found on
/// the first (docs/history.md, "How the tables are laid out"). The view
/// is spelt out as its two tables: a probe must seek, never read a view
/// whole.
pub(crate) fn latest_of(table: &str, aid: &str, cond: Option<&str>) -> String {
    let cond = cond.map(|c| format!("{c} AND ")).unwrap_or_default();
    let exists = |t: &str, more: &str| {
        format!(
            "EXISTS (SELECT 1 FROM {t} p WHERE p.as_of = n.as_of AND p.account_id = {aid}{more})"
        )
    };
    let has = if table == "result_nights" {
        format!(
            "({} OR {})",
            exists("results", ""),
            exists("snapshots", " AND p.result_same_as IS NOT NULL")
        )
    } else {
        exists(table, "")
    };
    format!("(SELECT n.as_of FROM nights n WHERE {cond}{has} ORDER BY n.as_of DESC LIMIT 1)")
}

/// `$a, $a+1, …` for `n` values.
fn list(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The full signals of a snapshot stored as a difference (`delta`) from
/// its key snapshot's (`base`): the base's signals, with each of the
/// delta's replacing it (`null`: the signal is missing). Both are JSON
/// objects; values keep their text.
pub fn merge_signals(base: &str, delta: &str) -> String {
    let (Some(mut all), Some(delta)) = (raw_object(base), raw_object(delta)) else {
        return base.to_string();
    };
    for (k, v) in delta {
        if v.get().trim() == "null" {
            all.remove(&k);
        } else {
            all.insert(k, v);
        }
    }
    object_text(
        all.iter().map(|(k, v)| (k.as_str(), v.get().trim())),
        ", ",
        ": ",
    )
}

/// The difference of `full` from `base` as [`merge_signals`] applies it:
/// the signals whose text differs or that `base` lacks, and `null` for
/// those `full` lacks. `None` when a side is not a JSON object.
pub fn delta_signals(base: &str, full: &str) -> Option<String> {
    let (base, full) = (raw_object(base)?, raw_object(full)?);
    let changed = full
        .iter()
        .map(|(k, v)| (k.as_str(), v.get().trim()))
        .filter(|(k, v)| base.get(*k).map(|b| b.get().trim()) != Some(*v));
    let gone = base
        .keys()
        .filter(|k| !full.contains_key(k.as_str()))
        .map(|k| (k.as_str(), "null"));
    Some(object_text(changed.chain(gone), ",", ":"))
}

/// A JSON object's members with their values as written, in key order:
/// borrowed from the text (a key with an escape is unescaped).
pub(crate) type RawObject<'t> = BTreeMap<Key<'t>, &'t serde_json::value::RawValue>;

/// An object key: borrowed from the text unless it has an escape.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key<'t>(Cow<'t, str>);

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Key<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

pub(crate) fn raw_object(text: &str) -> Option<RawObject<'_>> {
    serde_json::from_str(text).ok()
}

/// An object written from its members (keys escaped, values as given),
/// with these separators between members and after keys.
pub(crate) fn object_text<'a>(
    members: impl Iterator<Item = (&'a str, &'a str)>,
    between: &str,
    after_key: &str,
) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push_str(between);
        }
        vital_eval::results::json_str(&mut out, k);
        out.push_str(after_key);
        out.push_str(v);
    }
    out.push('}');
    out
}

/// What is stored for a snapshot's signals given its account's key
/// snapshot (`key`: its date and full signals): the difference when it is
/// at most half as long as the full object, else the full object (a new
/// key snapshot). `(signals, signals_base)`.
pub fn encode_signals(key: Option<(NaiveDate, &str)>, full: &str) -> (String, Option<NaiveDate>) {
    if let Some((date, base)) = key {
        if let Some(delta) = delta_signals(base, full) {
            // a signal the key snapshot has and this one lacks: whole
            // (by position, `null` means "as in the key snapshot",
            // signals.rs)
            let removes =
                raw_object(&delta).is_some_and(|d| d.values().any(|v| v.get().trim() == "null"));
            if !removes && delta.len() * 2 <= full.len() {
                return (delta, Some(date));
            }
        }
    }
    (full.to_string(), None)
}

/// An account's wanted snapshots: its id, the earliest and latest of their
/// dates, and their places among the wanted.
type Span = (i64, NaiveDate, NaiveDate, Vec<usize>);

/// A stored snapshot's event with what orders it: the date its row was
/// first recorded, the row's id, the event, its multiplicity.
type KeyedEvent = (Option<NaiveDate>, i64, String, i64);

/// An account's previous result: its date and the playbooks it reported
/// as triggered.
pub type PreviousResult = (NaiveDate, Vec<String>);

/// An account's latest stored snapshot: its date, its key snapshot's date
/// and full signals, and the digest of its events.
type Latest = (NaiveDate, Option<(NaiveDate, String)>, Option<i64>);

/// A digest of a snapshot's distinct events, whatever their order: the
/// first 8 bytes of a SHA-256 over them sorted. A night whose digest is
/// its account's latest snapshot's carries the same events, so its event
/// rows stay as they are, unread (`snapshots.events_digest`).
pub fn events_digest(events: &[(String, i64)]) -> i64 {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&(String, i64)> = events.iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for (e, n) in sorted {
        h.update(e.as_bytes());
        h.update([0]);
        h.update(n.to_le_bytes());
    }
    let out = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&out[..8]);
    i64::from_le_bytes(first)
}

/// One account's night to append (its `as_of` after every stored one).
struct Append<'r> {
    aid: i64,
    rec: &'r Recorded,
    /// The latest stored snapshot's date, its key snapshot's date and
    /// full signals; `None` when the account has no stored snapshot.
    latest: Option<Latest>,
    /// The account existed before this batch.
    existed: bool,
    /// The date of the stored result this night's result repeats: no row
    /// of its own, its snapshot points at that one (docs/history.md).
    same_as: Option<NaiveDate>,
}

impl Store {
    /// Rows of `sql` run once per chunk of `keys`: `sql` gets the chunk's
    /// `VALUES` list (columns `i`, the key's index in `keys`, then
    /// `types`) and must return `i` as its first column.
    pub(crate) fn by_chunks<K>(
        &mut self,
        keys: &[K],
        types: &[&str],
        bind: impl Fn(&K) -> Vec<Param>,
        sql: impl Fn(&str) -> String,
    ) -> Result<Vec<(usize, Row)>> {
        let mut all_types = vec!["bigint"];
        all_types.extend_from_slice(types);
        let kind = self.db.kind();
        let mut out = Vec::new();
        for (c, chunk) in keys.chunks(CHUNK).enumerate() {
            let text = sql(&values(kind, chunk.len(), &all_types));
            let mut params = Vec::with_capacity(chunk.len() * all_types.len());
            for (k, key) in chunk.iter().enumerate() {
                params.push(Param::Int((c * CHUNK + k) as i64));
                params.extend(bind(key));
            }
            for row in self.db.query(&text, &params)? {
                let Some(i) = row.first().and_then(Param::int) else {
                    continue;
                };
                out.push((i as usize, row));
            }
        }
        Ok(out)
    }

    /// The ids of the accounts among `names` that the store knows.
    pub fn find_accounts(&mut self, names: &[&str]) -> Result<HashMap<String, i64>> {
        let mut found = HashMap::new();
        let mut ask: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        for n in names {
            match self.accounts.get(*n) {
                Some(id) => {
                    found.insert((*n).to_string(), *id);
                }
                None => {
                    if seen.insert(*n) {
                        ask.push(n);
                    }
                }
            }
        }
        for chunk in ask.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, name FROM accounts WHERE name IN ({})",
                list(1, chunk.len())
            );
            let params: Vec<Param> = chunk.iter().map(|n| Param::Text(n.to_string())).collect();
            for row in self.db.query(&sql, &params)? {
                if let (Some(id), Some(name)) =
                    (row.first().and_then(Param::int), get(&row, 1).text())
                {
                    self.accounts.insert(name.clone(), id);
                    found.insert(name, id);
                }
            }
        }
        Ok(found)
    }

    /// Create accounts (names the store does not know); their ids.
    fn create_accounts(&mut self, names: &[&str]) -> Result<()> {
        for chunk in names.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO accounts (name) VALUES {} RETURNING id, name",
                (1..=chunk.len())
                    .map(|i| format!("(${i})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let params: Vec<Param> = chunk.iter().map(|n| Param::Text(n.to_string())).collect();
            for row in self.db.query(&sql, &params)? {
                if let (Some(id), Some(name)) =
                    (row.first().and_then(Param::int), get(&row, 1).text())
                {
                    self.accounts.insert(name, id);
                }
            }
        }
        Ok(())
    }

    /// The rows of one date for the account ids `ids` (sorted, each once
    /// or more): `SELECT {alias}.account_id, {select} FROM {from}` where
    /// `alias.as_of` is `as_of`. Ids at most [`RUN_GAP`] apart are read as
    /// one range of the `(as_of, account_id)` key instead of a seek each
    /// (the accounts of a batch have ids close together: they are given as
    /// accounts first come); rows of other accounts are left out.
    fn on_date(
        &mut self,
        select: &str,
        from: &str,
        alias: &str,
        as_of: NaiveDate,
        ids: &[i64],
    ) -> Result<Vec<(i64, Row)>> {
        let sql = format!(
            "SELECT {alias}.account_id, {select} FROM {from} \
             WHERE {alias}.as_of = $1 AND {alias}.account_id BETWEEN $2 AND $3"
        );
        let mut out = Vec::new();
        let mut start = 0;
        while start < ids.len() {
            let mut end = start + 1;
            while end < ids.len() && ids[end] - ids[end - 1] <= RUN_GAP {
                end += 1;
            }
            let run = &ids[start..end];
            start = end;
            let (lo, hi) = (run[0], run[run.len() - 1]);
            for row in self
                .db
                .query(&sql, &[Param::Date(as_of), Param::Int(lo), Param::Int(hi)])?
            {
                let Some(aid) = row.first().and_then(Param::int) else {
                    continue;
                };
                if run.binary_search(&aid).is_ok() {
                    out.push((aid, row));
                }
            }
        }
        Ok(out)
    }

    /// The latest night recorded on or before `date` (`strictly`: before).
    fn night_before(&mut self, date: NaiveDate, strictly: bool) -> Result<Option<NaiveDate>> {
        let op = if strictly { "<" } else { "<=" };
        let rows = self.db.query(
            &format!("SELECT max(as_of) FROM nights WHERE as_of {op} $1"),
            &[Param::Date(date)],
        )?;
        Ok(rows.first().and_then(|r| r.first()).and_then(opt_date))
    }

    /// For each `(account, date)` of `asks`, the latest night on or before
    /// (`strictly`: before) the date on which `table` holds a row of the
    /// account: first the store's latest such night for all of them at
    /// once (read as ranges, [`Store::on_date`]) — a nightly store's
    /// answer for nearly every account — then, for the rest, probing the
    /// nights one by one ([`latest_of`]).
    ///
    /// A nightly run asks about a few dates; a backfill over many input
    /// dates costs a couple of statements per distinct date here (the
    /// probing query alone took one per 1,000 asks).
    fn latest_nights(
        &mut self,
        table: &str,
        asks: &[(i64, NaiveDate)],
        strictly: bool,
    ) -> Result<Vec<Option<NaiveDate>>> {
        let mut out = vec![None; asks.len()];
        let mut by_date: BTreeMap<NaiveDate, Vec<(i64, usize)>> = BTreeMap::new();
        for (k, (a, d)) in asks.iter().enumerate() {
            by_date.entry(*d).or_default().push((*a, k));
        }
        for (d, mut wanted) in by_date {
            let Some(night) = self.night_before(d, strictly)? else {
                continue;
            };
            wanted.sort_unstable();
            let ids: Vec<i64> = wanted.iter().map(|(a, _)| *a).collect();
            let present: HashSet<i64> = self
                .on_date("1", &format!("{table} t"), "t", night, &ids)?
                .into_iter()
                .map(|(a, _)| a)
                .collect();
            for (a, k) in wanted {
                if present.contains(&a) {
                    out[k] = Some(night);
                }
            }
        }
        let rest: Vec<usize> = (0..asks.len()).filter(|k| out[*k].is_none()).collect();
        let op = if strictly { "<" } else { "<=" };
        let rows = self.by_chunks(
            &rest,
            &["bigint", "date"],
            |k| vec![Param::Int(asks[*k].0), Param::Date(asks[*k].1)],
            |v| {
                format!(
                    "WITH r(i, aid, d) AS {v} SELECT r.i, {} FROM r",
                    latest_of(table, "r.aid", Some(&format!("n.as_of {op} r.d")))
                )
            },
        )?;
        for (i, row) in rows {
            if let Some(&k) = rest.get(i) {
                out[k] = row.get(1).and_then(opt_date);
            }
        }
        Ok(out)
    }

    /// For each `(account id, date)`: the date of the account's latest
    /// stored snapshot on or before it.
    pub fn latest_on_or_before(
        &mut self,
        asks: &[(i64, NaiveDate)],
    ) -> Result<Vec<Option<NaiveDate>>> {
        self.latest_nights("snapshots", asks, false)
    }

    /// Stored snapshots, each with exactly the events it was recorded
    /// with (`None` where there is none).
    pub fn snapshots_of(
        &mut self,
        wants: &[(i64, NaiveDate)],
    ) -> Result<Vec<Option<StoredSnapshot>>> {
        let mut out: Vec<Option<StoredSnapshot>> = vec![None; wants.len()];
        let mut by_date: BTreeMap<NaiveDate, Vec<(i64, usize)>> = BTreeMap::new();
        for (k, (a, d)) in wants.iter().enumerate() {
            by_date.entry(*d).or_default().push((*a, k));
        }
        for (as_of, mut wanted) in by_date {
            wanted.sort_unstable();
            let ids: Vec<i64> = wanted.iter().map(|(a, _)| *a).collect();
            let rows = self.on_date(
                "s.signals, s.override, s.signals_base, b.signals, s.run_id, b.run_id",
                "snapshots s LEFT JOIN snapshots b \
                 ON b.as_of = s.signals_base AND b.account_id = s.account_id",
                "s",
                as_of,
                &ids,
            )?;
            for (aid, row) in rows {
                let stored = get(&row, 1).text().unwrap_or_else(|| "[]".into());
                let signals = match (get(&row, 3).date(), get(&row, 4).text()) {
                    (Some(_), Some(base)) => {
                        self.merged_signals(get(&row, 6).int(), &base, get(&row, 5).int(), &stored)?
                    }
                    _ => self.signals_object(get(&row, 5).int(), &stored)?,
                };
                let snapshot = StoredSnapshot {
                    as_of,
                    signals,
                    override_: get(&row, 2).text(),
                    events: Vec::new(),
                };
                let at = wanted.partition_point(|(a, _)| *a < aid);
                for (_, k) in wanted[at..].iter().take_while(|(a, _)| *a == aid) {
                    out[*k] = Some(snapshot.clone());
                }
            }
        }
        // each snapshot's events in the order they were first recorded
        // (sorted here, per snapshot, rather than by the database over
        // all): the rows of each account over all its wanted dates (rows
        // most of them share are read once), shared out here
        let mut spans: Vec<Span> = Vec::new();
        let mut span_of: HashMap<i64, usize> = HashMap::new();
        for (k, (a, d)) in wants.iter().enumerate() {
            if out[k].is_none() {
                continue;
            }
            match span_of.get(a) {
                Some(&x) => {
                    let sp = &mut spans[x];
                    sp.1 = sp.1.min(*d);
                    sp.2 = sp.2.max(*d);
                    sp.3.push(k);
                }
                None => {
                    span_of.insert(*a, spans.len());
                    spans.push((*a, *d, *d, vec![k]));
                }
            }
        }
        // read as ranges of account ids (the events' key begins with the
        // account), as `on_date` reads snapshots
        spans.sort_unstable_by_key(|sp| sp.0);
        let mut keyed: Vec<Vec<KeyedEvent>> = vec![Vec::new(); wants.len()];
        let mut start = 0;
        while start < spans.len() {
            let mut end = start + 1;
            while end < spans.len() && spans[end].0 - spans[end - 1].0 <= RUN_GAP {
                end += 1;
            }
            let run = &spans[start..end];
            start = end;
            let (Some(lo), Some(hi)) = (
                run.iter().map(|sp| sp.1).min(),
                run.iter().map(|sp| sp.2).max(),
            ) else {
                continue;
            };
            let rows = self.db.query(
                "SELECT e.account_id, e.event, e.multiplicity, e.first_as_of, e.id, e.last_as_of \
                 FROM events e WHERE e.account_id BETWEEN $1 AND $2 AND e.first_as_of <= $3 \
                 AND (e.last_as_of IS NULL OR e.last_as_of >= $4)",
                &[
                    Param::Int(run[0].0),
                    Param::Int(run[run.len() - 1].0),
                    Param::Date(hi),
                    Param::Date(lo),
                ],
            )?;
            for mut row in rows {
                let (Some(aid), Some(n)) = (
                    row.first().and_then(Param::int),
                    row.get(2).and_then(Param::int),
                ) else {
                    continue;
                };
                let Ok(x) = run.binary_search_by_key(&aid, |sp| sp.0) else {
                    continue;
                };
                let members = &run[x].3;
                let first = row.get(3).and_then(Param::date);
                let id = row.get(4).and_then(Param::int).unwrap_or(0);
                let last = row.get(5).and_then(Param::date);
                let Some(Param::Text(e) | Param::Json(e)) =
                    row.get_mut(1).map(|p| std::mem::replace(p, Param::Null))
                else {
                    continue;
                };
                // the snapshots of the account that carry the row
                let carried = |k: &&usize| {
                    let d = wants[**k].1;
                    first.is_some_and(|f| f <= d) && last.is_none_or(|l| l >= d)
                };
                let takers: Vec<usize> = members.iter().filter(carried).copied().collect();
                if let Some((last_taker, others)) = takers.split_last() {
                    for k in others {
                        keyed[*k].push((first, id, e.clone(), n));
                    }
                    keyed[*last_taker].push((first, id, e, n));
                }
            }
        }
        for (s, mut events) in out.iter_mut().zip(keyed) {
            if let Some(s) = s {
                events.sort_unstable_by_key(|(first, id, _, _)| (*first, *id));
                s.events = events.into_iter().map(|(_, _, e, n)| (e, n)).collect();
            }
        }
        Ok(out)
    }

    /// For each `(account id, date)`: the account's latest stored result
    /// dated before it, with the playbooks it reported as triggered.
    pub fn previous_results(
        &mut self,
        asks: &[(i64, NaiveDate)],
    ) -> Result<Vec<Option<PreviousResult>>> {
        let mut out: Vec<Option<PreviousResult>> = vec![None; asks.len()];
        // the store's latest night before each date, read once for all
        // the accounts asking (a nightly store's answer for nearly all)
        let mut by_date: BTreeMap<NaiveDate, Vec<(i64, usize)>> = BTreeMap::new();
        for (k, (a, d)) in asks.iter().enumerate() {
            by_date.entry(*d).or_default().push((*a, k));
        }
        for (d, wanted) in by_date {
            let Some(night) = self.night_before(d, true)? else {
                continue;
            };
            self.triggered_on(night, wanted, &mut out)?;
        }
        // the others: their latest night probed one by one
        let rest: Vec<usize> = (0..asks.len()).filter(|k| out[*k].is_none()).collect();
        let rest_asks: Vec<(i64, NaiveDate)> = rest.iter().map(|k| asks[*k]).collect();
        let nights = self.latest_nights("result_nights", &rest_asks, true)?;
        let mut by_night: BTreeMap<NaiveDate, Vec<(i64, usize)>> = BTreeMap::new();
        for (j, night) in nights.iter().enumerate() {
            if let Some(n) = night {
                by_night
                    .entry(*n)
                    .or_default()
                    .push((asks[rest[j]].0, rest[j]));
            }
        }
        for (night, wanted) in by_night {
            self.triggered_on(night, wanted, &mut out)?;
        }
        Ok(out)
    }

    /// The result of each `(account id, place)` of `wanted` on `night`
    /// (a row of `results` or a repeat), into `out[place]`.
    fn triggered_on(
        &mut self,
        night: NaiveDate,
        mut wanted: Vec<(i64, usize)>,
        out: &mut [Option<PreviousResult>],
    ) -> Result<()> {
        wanted.sort_unstable();
        let ids: Vec<i64> = wanted.iter().map(|(a, _)| *a).collect();
        let rows = self.on_date("x.triggered", "result_nights x", "x", night, &ids)?;
        let triggered: HashMap<i64, Row> = rows.into_iter().collect();
        for (a, k) in wanted {
            if let Some(row) = triggered.get(&a) {
                out[k] = Some((night, parse_list(get(row, 1).text())));
            }
        }
        Ok(())
    }

    /// Multi-row `INSERT`s: `head` is `INSERT INTO t (…) VALUES `, `tail`
    /// what follows the rows (`ON CONFLICT …`).
    fn insert_rows(
        &mut self,
        head: &str,
        tail: &str,
        ncols: usize,
        params: &[Param],
    ) -> Result<()> {
        let ncols = ncols.max(1);
        let per = (INSERT_PARAMS / ncols).clamp(1, CHUNK);
        for chunk in params.chunks(per * ncols) {
            let mut sql = String::from(head);
            let mut n = 0;
            for r in 0..chunk.len() / ncols {
                if r > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for k in 0..ncols {
                    if k > 0 {
                        sql.push_str(", ");
                    }
                    n += 1;
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                sql.push(')');
            }
            sql.push(' ');
            sql.push_str(tail);
            self.db.exec(&sql, chunk)?;
        }
        Ok(())
    }

    /// Insert (or, for a night recorded before, replace) the results of
    /// `recs` (each with its account's id), their scores in their columns
    /// (`results.rs`); a replaced row's other score columns become `NULL`.
    pub(crate) fn insert_results(&mut self, run: i64, recs: &[(i64, &Recorded)]) -> Result<()> {
        let parsed =
            self.prepare_scores(run, recs.iter().map(|(_, r)| r.result.scores.as_str()))?;
        let (_, cols) = self.score_select("r")?;
        let kind = self.kind();
        let ncols = 8 + cols.len();
        let mut params = Vec::with_capacity(recs.len() * ncols);
        for ((aid, rec), scores) in recs.iter().zip(&parsed) {
            let res = &rec.result;
            params.extend([
                Param::Int(*aid),
                Param::Date(rec.as_of),
                Param::Int(run),
                res.health.map_or(Param::Null, Param::Real),
                res.status.clone().map_or(Param::Null, Param::Text),
                res.computed_status.clone().map_or(Param::Null, Param::Text),
                Param::Json(json_list(&res.triggered)),
                Param::Json(json_list(&res.started)),
            ]);
            params.extend(cols.iter().map(|c| {
                scores
                    .iter()
                    .find(|(n, _)| crate::results::same_column(kind, n, c))
                    .and_then(|(_, v)| *v)
                    .map_or(Param::Null, Param::Real)
            }));
        }
        let quoted: Vec<String> = cols.iter().map(|c| crate::results::column(c)).collect();
        let head = format!(
            "INSERT INTO results (account_id, as_of, run_id, health, status, computed_status, triggered, started{}) VALUES ",
            quoted.iter().map(|q| format!(", {q}")).collect::<String>()
        );
        let tail = format!(
            "ON CONFLICT (as_of, account_id) DO UPDATE SET run_id = excluded.run_id, health = excluded.health, \
             status = excluded.status, computed_status = excluded.computed_status, \
             triggered = excluded.triggered, started = excluded.started{}",
            quoted
                .iter()
                .map(|q| format!(", {q} = excluded.{q}"))
                .collect::<String>()
        );
        self.insert_rows(&head, &tail, ncols, &params)
    }

    /// Set `last_as_of` to `value` (`None`: `NULL`, the row is open) on
    /// the event rows `keys` (`(account id, event id)`), in chunks: the keys
    /// as a `VALUES` list joined to the table's primary key.
    fn set_last_as_of(&mut self, value: Option<NaiveDate>, keys: &[(i64, i64)]) -> Result<()> {
        let kind = self.db.kind();
        for chunk in keys.chunks(CHUNK) {
            let v = values(kind, chunk.len(), &["bigint", "bigint"]);
            let set = match value {
                Some(_) => format!("${}", chunk.len() * 2 + 1),
                None => "NULL".to_string(),
            };
            let sql = format!(
                "WITH v(aid, id) AS {v} UPDATE events SET last_as_of = {set} FROM v \
                 WHERE events.account_id = v.aid AND events.id = v.id"
            );
            let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 2 + 1);
            for (a, i) in chunk {
                params.extend([Param::Int(*a), Param::Int(*i)]);
            }
            params.extend(value.map(Param::Date));
            self.db.exec(&sql, &params)?;
        }
        Ok(())
    }

    /// Record a batch of snapshots with their results (inside the run's
    /// transaction), as [`Store::record`] records each: the nights of
    /// accounts that have one snapshot in the batch, dated after every
    /// stored one (a nightly run), are written in bulk; the others (reruns,
    /// backfills, several nights of one account) one by one, in order.
    pub fn record_all(&mut self, run: i64, recs: &[Recorded]) -> Result<()> {
        let mut per_account: HashMap<&str, usize> = HashMap::new();
        let mut dates: BTreeSet<NaiveDate> = BTreeSet::new();
        for r in recs {
            *per_account.entry(r.account.as_str()).or_insert(0) += 1;
            dates.insert(r.as_of);
        }
        // every date recorded is a night that probes visit
        let nights: Vec<Param> = dates.into_iter().map(Param::Date).collect();
        self.insert_rows(
            "INSERT INTO nights (as_of) VALUES ",
            "ON CONFLICT DO NOTHING",
            1,
            &nights,
        )?;
        let names: Vec<&str> = per_account.keys().copied().collect();
        let known = self.find_accounts(&names)?;
        let new: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !known.contains_key(*n))
            .collect();
        self.create_accounts(&new)?;
        // the latest stored snapshot of each single-night account, with
        // its key snapshot
        let single: Vec<usize> = (0..recs.len())
            .filter(|i| per_account.get(recs[*i].account.as_str()) == Some(&1))
            .collect();
        // (only accounts the store knew: a new one has nothing to probe)
        let asks: Vec<(usize, i64, NaiveDate)> = single
            .iter()
            .enumerate()
            .filter_map(|(k, i)| Some((k, *known.get(recs[*i].account.as_str())?, recs[*i].as_of)))
            .collect();
        // ... and the values of its result (a repeat's: those of the row
        // it repeats), and whether `results` has a row on the night being
        // recorded (left by a prune of its snapshot: then replaced, never
        // repeated)
        let (score_cols, cols) = self.score_select("v")?;
        let rows = self.by_chunks(
            &asks,
            &["bigint", "date"],
            |(_, a, t)| vec![Param::Int(*a), Param::Date(*t)],
            |v| {
                format!(
                    "WITH r(i, aid, t) AS {v}, l AS (SELECT r.i, r.aid, r.t, {} AS d FROM r) \
                     SELECT l.i, l.d, k.as_of, k.signals, \
                       ac.events_digest, k.run_id, \
                       CASE WHEN y.as_of IS NULL THEN v.as_of END, v.health, v.status, v.computed_status, \
                       v.triggered{score_cols} FROM l \
                     LEFT JOIN snapshots s ON s.as_of = l.d AND s.account_id = l.aid \
                     LEFT JOIN accounts ac ON ac.id = l.aid \
                     LEFT JOIN snapshots k ON k.as_of = COALESCE(s.signals_base, s.as_of) AND k.account_id = l.aid \
                     LEFT JOIN results x ON x.as_of = l.d AND x.account_id = l.aid \
                     LEFT JOIN results v ON v.as_of = COALESCE(s.result_same_as, x.as_of) AND v.account_id = l.aid \
                     LEFT JOIN results y ON y.as_of = l.t AND y.account_id = l.aid",
                    latest_of("snapshots", "r.aid", None)
                )
            },
        )?;
        let mut latest: Vec<Option<Latest>> = vec![None; single.len()];
        let mut repeats: Vec<Option<NaiveDate>> = vec![None; single.len()];
        for (i, row) in rows {
            let Some(&(k, _, _)) = asks.get(i) else {
                continue;
            };
            if let (Some(slot), Some(l)) = (latest.get_mut(k), row.get(1).and_then(opt_date)) {
                let key = match (get(&row, 2).date(), get(&row, 3).text()) {
                    (Some(d), Some(t)) => Some((d, self.signals_object(get(&row, 5).int(), &t)?)),
                    _ => None,
                };
                *slot = Some((l, key, row.get(4).and_then(Param::int)));
                let rec = &recs[single[k]];
                if let Some(v) = get(&row, 6).date() {
                    if crate::results::repeats(self.kind(), &rec.result, &cols, &row, 7)? {
                        repeats[k] = Some(v);
                    }
                }
            }
        }
        let mut bulk: Vec<Append<'_>> = Vec::new();
        let mut one_by_one: Vec<usize> = Vec::new();
        for (k, i) in single.iter().enumerate() {
            let rec = &recs[*i];
            let existed = known.contains_key(rec.account.as_str());
            let Some(aid) = self.accounts.get(rec.account.as_str()).copied() else {
                one_by_one.push(*i);
                continue;
            };
            match latest[k].take() {
                Some((l, key, digest)) if l < rec.as_of => bulk.push(Append {
                    aid,
                    rec,
                    latest: Some((l, key, digest)),
                    existed,
                    same_as: repeats[k],
                }),
                // an account whose snapshots were all pruned may have
                // results on this date, which later repeats point at:
                // recorded one by one (`Store::own_repeats`)
                None if existed => one_by_one.push(*i),
                None => bulk.push(Append {
                    aid,
                    rec,
                    latest: None,
                    existed,
                    same_as: None,
                }),
                Some(_) => one_by_one.push(*i),
            }
        }
        self.append_all(run, &bulk)?;
        let mut rest: Vec<usize> = (0..recs.len())
            .filter(|i| per_account.get(recs[*i].account.as_str()) != Some(&1))
            .collect();
        rest.extend(one_by_one);
        rest.sort_unstable();
        for i in rest {
            self.record_one(run, &recs[i])?;
        }
        Ok(())
    }

    /// Accounts' nights dated after every stored snapshot of theirs, in
    /// bulk: events as `append_events` keeps them, signals as a difference
    /// from the account's key snapshot when that is short.
    fn append_all<'r>(&mut self, run: i64, bulk: &[Append<'r>]) -> Result<()> {
        if bulk.is_empty() {
            return Ok(());
        }
        // accounts with no stored snapshot carry no event rows (after a
        // prune, open rows may be left)
        let fresh: Vec<i64> = bulk
            .iter()
            .filter(|a| a.latest.is_none() && a.existed)
            .map(|a| a.aid)
            .collect();
        for chunk in fresh.chunks(CHUNK) {
            let sql = format!(
                "DELETE FROM events WHERE account_id IN ({})",
                list(1, chunk.len())
            );
            let params: Vec<Param> = chunk.iter().map(|a| Param::Int(*a)).collect();
            self.db.exec(&sql, &params)?;
        }
        // the rows still open, or closed at the latest snapshot, of the
        // accounts whose events changed since it
        let digests: Vec<i64> = bulk.iter().map(|a| events_digest(&a.rec.events)).collect();
        let same = |k: usize, a: &Append<'_>| -> bool {
            a.latest.as_ref().and_then(|l| l.2) == Some(digests[k])
        };
        let asks: Vec<(usize, i64, NaiveDate)> = bulk
            .iter()
            .enumerate()
            .filter(|(k, a)| !same(*k, a))
            .filter_map(|(k, a)| Some((k, a.aid, a.latest.as_ref()?.0)))
            .collect();
        let rows = self.by_chunks(
            &asks,
            &["bigint", "date"],
            |(_, a, l)| vec![Param::Int(*a), Param::Date(*l)],
            |v| {
                format!(
                    "WITH r(i, aid, l) AS {v} SELECT r.i, e.id, e.event, e.multiplicity, e.last_as_of \
                     FROM r CROSS JOIN events e WHERE e.account_id = r.aid AND (e.last_as_of IS NULL OR e.last_as_of = r.l)"
                )
            },
        )?;
        // by event text (as SQLite keeps it; PostgreSQL's in one spelling)
        // and multiplicity
        type Key<'r> = (Cow<'r, str>, i64);
        let postgres = self.db.kind() == Kind::Postgres;
        let key = |e: &'r str| -> Cow<'r, str> {
            if postgres {
                Cow::Owned(normalize_json(e))
            } else {
                Cow::Borrowed(e)
            }
        };
        let mut open: Vec<HashMap<Key<'r>, Vec<(i64, bool)>>> = vec![HashMap::new(); bulk.len()];
        for (i, row) in rows {
            let Some(&(k, _, _)) = asks.get(i) else {
                continue;
            };
            let (Some(id), Some(ev), Some(n)) = (
                row.get(1).and_then(Param::int),
                get(&row, 2).text(),
                row.get(3).and_then(Param::int),
            ) else {
                continue;
            };
            let is_open = matches!(get(&row, 4), Param::Null);
            let ev = if postgres { normalize_json(&ev) } else { ev };
            open[k]
                .entry((Cow::Owned(ev), n))
                .or_default()
                .push((id, is_open));
        }
        // new rows per account (`(bulk index, event, multiplicity)`)
        let mut new: Vec<(usize, &'r str, i64)> = Vec::new();
        let mut reopen: Vec<(i64, i64)> = Vec::new();
        let mut close: BTreeMap<NaiveDate, Vec<(i64, i64)>> = BTreeMap::new();
        for (k, a) in bulk.iter().enumerate() {
            if same(k, a) {
                continue;
            }
            let by_key = &mut open[k];
            let rec: &'r Recorded = a.rec;
            for (e, n) in &rec.events {
                match by_key.get_mut(&(key(e), *n)).and_then(|v| v.pop()) {
                    Some((_, true)) => {}
                    Some((id, false)) => reopen.push((a.aid, id)),
                    None => new.push((k, e.as_str(), *n)),
                }
            }
            if let Some((l, _, _)) = &a.latest {
                for (id, is_open) in by_key.drain().flat_map(|(_, v)| v) {
                    if is_open {
                        close.entry(*l).or_default().push((a.aid, id));
                    }
                }
            }
        }
        for (l, keys) in &close {
            self.set_last_as_of(Some(*l), keys)?;
        }
        self.set_last_as_of(None, &reopen)?;
        // an event's id numbers it within its account: the new rows of an
        // account that has rows left continue after its highest id
        let mut asks: Vec<(usize, i64)> = new
            .iter()
            .filter(|(k, _, _)| bulk[*k].latest.is_some())
            .map(|(k, _, _)| (*k, bulk[*k].aid))
            .collect();
        asks.dedup();
        let rows = self.by_chunks(
            &asks,
            &["bigint"],
            |(_, a)| vec![Param::Int(*a)],
            |v| {
                format!(
                    "WITH r(i, aid) AS {v} SELECT r.i, (SELECT max(e.id) FROM events e WHERE e.account_id = r.aid) FROM r"
                )
            },
        )?;
        let mut next_id: HashMap<usize, i64> = HashMap::new();
        for (i, row) in rows {
            if let (Some(&(k, _)), Some(max)) = (asks.get(i), row.get(1).and_then(Param::int)) {
                next_id.insert(k, max + 1);
            }
        }
        let mut inserts: Vec<Param> = Vec::with_capacity(new.len() * 5);
        for (k, e, n) in new {
            let a = &bulk[k];
            let id = next_id.entry(k).or_insert(1);
            inserts.extend([
                Param::Int(a.aid),
                Param::Int(*id),
                Param::Json(e.to_string()),
                Param::Int(n),
                Param::Date(a.rec.as_of),
            ]);
            *id += 1;
        }
        self.insert_rows(
            "INSERT INTO events (account_id, id, event, multiplicity, first_as_of) VALUES ",
            "",
            5,
            &inserts,
        )?;
        // snapshots (a run names its signals as they come: a signal that
        // moves every night is named by the first difference, so it comes
        // first and a difference of it alone has no `null`s before it)
        let mut snaps: Vec<Param> = Vec::with_capacity(bulk.len() * 7);
        for a in bulk {
            let key = a
                .latest
                .as_ref()
                .and_then(|(_, k, _)| k.as_ref())
                .map(|(d, s)| (*d, s.as_str()));
            let (signals, base) = encode_signals(key, &a.rec.signals);
            let signals = self.signals_array(run, &signals)?;
            snaps.extend([
                Param::Int(a.aid),
                Param::Date(a.rec.as_of),
                Param::Int(run),
                Param::Json(signals),
                a.rec.override_.clone().map_or(Param::Null, Param::Json),
                base.map_or(Param::Null, Param::Date),
                a.same_as.map_or(Param::Null, Param::Date),
            ]);
        }
        self.insert_rows(
            "INSERT INTO snapshots (account_id, as_of, run_id, signals, override, signals_base, result_same_as) VALUES ",
            "ON CONFLICT (as_of, account_id) DO UPDATE SET run_id = excluded.run_id, signals = excluded.signals, \
             override = excluded.override, signals_base = excluded.signals_base, result_same_as = excluded.result_same_as",
            7,
            &snaps,
        )?;
        // each account's latest snapshot is now this night's: its digest,
        // written where it changed
        let kind = self.db.kind();
        let changed: Vec<(i64, i64)> = bulk
            .iter()
            .enumerate()
            .filter(|(k, a)| !same(*k, a))
            .map(|(k, a)| (a.aid, digests[k]))
            .collect();
        for chunk in changed.chunks(CHUNK) {
            let v = values(kind, chunk.len(), &["bigint", "bigint"]);
            let params: Vec<Param> = chunk
                .iter()
                .flat_map(|(a, g)| [Param::Int(*a), Param::Int(*g)])
                .collect();
            self.db.exec(
                &format!(
                    "WITH v(aid, g) AS {v} UPDATE accounts SET events_digest = v.g \
                     FROM v WHERE accounts.id = v.aid"
                ),
                &params,
            )?;
        }
        // (every result readies the run's scores: a repeat is read with
        // its run's score names)
        self.prepare_scores(run, bulk.iter().map(|a| a.rec.result.scores.as_str()))?;
        let results: Vec<(i64, &Recorded)> = bulk
            .iter()
            .filter(|a| a.same_as.is_none())
            .map(|a| (a.aid, a.rec))
            .collect();
        self.insert_results(run, &results)?;
        // starts: a night recorded before whose snapshot was pruned may
        // still have starts; those not started again go, unless they were
        // delivered (as in `Store::record`)
        let asks: Vec<(i64, NaiveDate)> = bulk
            .iter()
            .filter(|a| a.existed)
            .map(|a| (a.aid, a.rec.as_of))
            .collect();
        let rows = self.by_chunks(
            &asks,
            &["bigint", "date"],
            |(a, d)| vec![Param::Int(*a), Param::Date(*d)],
            |v| {
                format!(
                    "WITH r(i, aid, d) AS {v} SELECT r.i, p.playbook FROM r CROSS JOIN playbook_starts p \
                     WHERE p.account_id = r.aid AND p.as_of = r.d AND p.delivered_at IS NULL"
                )
            },
        )?;
        if !rows.is_empty() {
            let by_aid: HashMap<i64, &Recorded> = bulk.iter().map(|a| (a.aid, a.rec)).collect();
            for (i, row) in rows {
                let (Some(&(aid, d)), Some(p)) = (asks.get(i), get(&row, 1).text()) else {
                    continue;
                };
                if by_aid
                    .get(&aid)
                    .is_some_and(|r| !r.starts.iter().any(|s| s.playbook == p))
                {
                    self.db.exec(
                        "DELETE FROM playbook_starts WHERE account_id = $1 AND as_of = $2 AND playbook = $3",
                        &[Param::Int(aid), Param::Date(d), Param::Text(p)],
                    )?;
                }
            }
        }
        let starts: Vec<Param> = bulk
            .iter()
            .flat_map(|a| {
                let res = &a.rec.result;
                a.rec.starts.iter().flat_map(move |s| {
                    [
                        Param::Int(a.aid),
                        Param::Date(a.rec.as_of),
                        Param::Text(s.playbook.clone()),
                        Param::Int(run),
                        s.owner.clone().map_or(Param::Null, Param::Text),
                        res.health.map_or(Param::Null, Param::Real),
                        res.status.clone().map_or(Param::Null, Param::Text),
                        s.rule.clone().map_or(Param::Null, Param::Text),
                        s.source.clone().map_or(Param::Null, Param::Text),
                        Param::Json(json_list(&s.reads)),
                    ]
                })
            })
            .collect();
        self.insert_rows(
            "INSERT INTO playbook_starts (account_id, as_of, playbook, run_id, owner, health, status, rule, source, reads) VALUES ",
            "ON CONFLICT (account_id, as_of, playbook) DO UPDATE SET run_id = excluded.run_id, owner = excluded.owner, \
             health = excluded.health, status = excluded.status, rule = excluded.rule, source = excluded.source, reads = excluded.reads",
            10,
            &starts,
        )?;
        for a in bulk {
            self.note_recorded(a.rec.as_of);
        }
        Ok(())
    }
}
