//! The `results` table (docs/history.md): scores as columns (schema 6),
//! one column `score_NAME` per score any recorded rule set had, added
//! before a run's transaction (`Store::ready_scores`), and `runs.scores`,
//! the names of the run's scores in rule order, so a result's scores
//! object reads back as it was reported; a column a run's rule set did not
//! have is `NULL` in its rows. A result that repeats the account's previous
//! one has no row (schema 10, `repeats`): its snapshot points at the row,
//! and the view `result_nights` (`create_view`) shows every result.
//!
//! The scores object crosses the store's API as JSON text
//! (`ResultRow::scores`, `HistoryRow::scores`), as the CLI renders it:
//! `{"adoption": 35.0, "usage": null}`.

use crate::db::{Kind, Param, Row};
use crate::{Result, Store, StoreError};
use std::collections::BTreeSet;

/// Prefix of a score's column.
const PREFIX: &str = "score_";

/// PostgreSQL cuts identifiers to this many bytes.
const PG_NAME_MAX: usize = 63;

/// A result's scores in order: each score's name and value (`None`:
/// `null`).
pub(crate) type Scores = Vec<(String, Option<f64>)>;

/// What names the same column: SQLite's column names ignore case (a
/// score `NPS` and a later `nps` share `score_nps`), PostgreSQL's quoted
/// ones do not.
pub(crate) fn same_column(kind: Kind, a: &str, b: &str) -> bool {
    match kind {
        Kind::Sqlite => a.eq_ignore_ascii_case(b),
        Kind::Postgres => a == b,
    }
}

/// The quoted column of the score `name`.
pub(crate) fn column(name: &str) -> String {
    format!("\"{PREFIX}{}\"", name.replace('"', "\"\""))
}

/// A scores object's members in order: each score's name and value
/// (`None`: `null`). Not an object, or a value that is not a number or
/// `null`: an error naming it.
pub(crate) fn parse(json: &str) -> Result<Scores> {
    crate::codec::members_in_order::<Option<f64>>(json).map_err(|e| {
        StoreError::new(format!(
            "a result's scores `{json}` are not recordable: {e}"
        ))
    })
}

/// The scores object of `names` with their values, as the CLI renders it
/// (`{"a": 35.0, "b": null}`).
pub(crate) fn compose(names: &[String], value: impl Fn(&str) -> Option<f64>) -> String {
    let mut out = String::from("{");
    for (k, name) in names.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(&serde_json::Value::String(name.clone()).to_string());
        out.push_str(": ");
        match value(name).and_then(serde_json::Number::from_f64) {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// A run's score names from `runs.scores` (a JSON array).
pub(crate) fn names(p: &Param) -> Vec<String> {
    p.text()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The score columns `results` has (`SELECT`ed as `cols`): the scores
/// object of a row given its run's names and the values of `cols` from
/// `row[from..]`.
pub(crate) fn compose_row(
    kind: Kind,
    names: &[String],
    cols: &[String],
    row: &Row,
    from: usize,
) -> String {
    let values: Vec<(&str, Option<f64>)> = cols
        .iter()
        .enumerate()
        .map(|(k, c)| (c.as_str(), row.get(from + k).and_then(Param::real)))
        .collect();
    compose(names, |n| {
        values
            .iter()
            .find(|(c, _)| same_column(kind, c, n))
            .and_then(|(_, v)| *v)
    })
}

/// The score names of the columns of `results`, in column order (also
/// while migrating, before there is a [`Store`]).
fn score_columns(db: &mut crate::db::Db) -> Result<Vec<String>> {
    let sql = match db.kind() {
        Kind::Sqlite => "SELECT name FROM pragma_table_info('results') ORDER BY cid",
        Kind::Postgres => {
            "SELECT column_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'results' ORDER BY ordinal_position"
        }
    };
    Ok(db
        .query(sql, &[])?
        .into_iter()
        .filter_map(|r| r.first().and_then(Param::text))
        .filter_map(|c| c.strip_prefix(PREFIX).map(str::to_string))
        .collect())
}

/// Add a `REAL` (PostgreSQL: `DOUBLE PRECISION`) column for each of
/// `names` that `results` lacks.
pub(crate) fn add_columns(db: &mut crate::db::Db, have: &[String], names: &[&str]) -> Result<()> {
    let kind = db.kind();
    for (k, name) in names.iter().enumerate() {
        if let Some(other) = names[..k].iter().find(|o| same_column(kind, o, name)) {
            return Err(StoreError::new(format!(
                "the scores `{other}` and `{name}` differ only in case: a SQLite store keeps one column for both (`score_{}`); rename one",
                name.to_lowercase()
            )));
        }
        if have.iter().any(|h| same_column(kind, h, name)) {
            continue;
        }
        let ty = match db.kind() {
            Kind::Sqlite => "REAL",
            Kind::Postgres => {
                if PREFIX.len() + name.len() > PG_NAME_MAX {
                    return Err(StoreError::new(format!(
                        "the score `{name}` has a name too long for a PostgreSQL column (at most {} characters)",
                        PG_NAME_MAX - PREFIX.len()
                    )));
                }
                "DOUBLE PRECISION"
            }
        };
        db.batch(&format!(
            "ALTER TABLE results ADD COLUMN {} {ty}",
            column(name)
        ))?;
    }
    Ok(())
}

impl Store {
    /// Before a run's transaction: a column of `results` for each of the
    /// rule set's scores `names` (and the view made again), in a
    /// transaction of its own. So a run never changes the table's
    /// definition inside its transaction, while its reading connection
    /// reads the table: PostgreSQL would make that connection wait until
    /// the run commits, which is never.
    pub fn ready_scores(&mut self, names: &[&str]) -> Result<()> {
        let have = self.score_columns()?;
        let kind = self.kind();
        if names
            .iter()
            .all(|n| have.iter().any(|h| same_column(kind, h, n)))
        {
            return Ok(());
        }
        self.begin()?;
        let added = (|| -> Result<()> {
            let have = score_columns(&mut self.db)?;
            add_columns(&mut self.db, &have, names)?;
            let cols = score_columns(&mut self.db)?;
            create_view(&mut self.db, &cols)
        })();
        self.score_columns = None;
        match added {
            Ok(()) => self.commit(),
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// The score names `results` has columns for (read once).
    pub(crate) fn score_columns(&mut self) -> Result<Vec<String>> {
        if let Some(c) = &self.score_columns {
            return Ok(c.clone());
        }
        let c = score_columns(&mut self.db)?;
        self.score_columns = Some(c.clone());
        Ok(c)
    }

    /// Ready `results` for these results of the run `run`: a column for
    /// each of their scores, and the run's score names (from its first
    /// result). Each result's scores, parsed, in the order of `results`.
    pub(crate) fn prepare_scores<'s>(
        &mut self,
        run: i64,
        scores: impl Iterator<Item = &'s str>,
    ) -> Result<Vec<Scores>> {
        let parsed: Vec<Scores> = scores.map(parse).collect::<Result<_>>()?;
        let wanted: BTreeSet<&str> = parsed
            .iter()
            .flat_map(|p| p.iter().map(|(n, _)| n.as_str()))
            .collect();
        let have = self.score_columns()?;
        let kind = self.kind();
        if wanted
            .iter()
            .any(|w| !have.iter().any(|h| same_column(kind, h, w)))
        {
            let wanted: Vec<&str> = wanted.into_iter().collect();
            add_columns(&mut self.db, &have, &wanted)?;
            self.score_columns = None;
            let cols = self.score_columns()?;
            create_view(&mut self.db, &cols)?;
        }
        if let Some(first) = parsed.first() {
            if self.scores_run != Some(run) {
                let names: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
                self.db.exec(
                    "UPDATE runs SET scores = $1 WHERE id = $2 AND scores IS NULL",
                    &[
                        Param::Json(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())),
                        Param::Int(run),
                    ],
                )?;
                self.scores_run = Some(run);
            }
        }
        Ok(parsed)
    }

    /// `, "score_a", "score_b"` for every score column, in the order of
    /// [`Store::score_columns`] (with `alias.` before each).
    pub(crate) fn score_select(&mut self, alias: &str) -> Result<(String, Vec<String>)> {
        let cols = self.score_columns()?;
        let sql = cols
            .iter()
            .map(|c| format!(", {alias}.{}", column(c)))
            .collect();
        Ok((sql, cols))
    }
}

/// Schema 6 (docs/history.md): the scores objects of `results` become
/// columns, and each run's score names `runs.scores`.
pub(crate) fn migrate_6(db: &mut crate::db::Db) -> Result<()> {
    let kind = db.kind();
    let (keys, first_of_run) = match kind {
        Kind::Sqlite => (
            "SELECT DISTINCT j.key FROM results r, json_each(r.scores) j ORDER BY 1",
            "SELECT run_id, scores FROM results GROUP BY run_id",
        ),
        Kind::Postgres => (
            "SELECT DISTINCT jsonb_object_keys(scores) FROM results ORDER BY 1",
            "SELECT DISTINCT ON (run_id) run_id, scores::text FROM results ORDER BY run_id",
        ),
    };
    db.batch(match kind {
        Kind::Sqlite => "ALTER TABLE runs ADD COLUMN scores TEXT",
        Kind::Postgres => "ALTER TABLE runs ADD COLUMN scores JSONB",
    })?;
    for row in db.query(first_of_run, &[])? {
        let (Some(run), Some(scores)) = (
            row.first().and_then(Param::int),
            row.get(1).and_then(Param::text),
        ) else {
            continue;
        };
        let names: Vec<String> = parse(&scores)?.into_iter().map(|(n, _)| n).collect();
        db.exec(
            "UPDATE runs SET scores = $1 WHERE id = $2",
            &[
                Param::Json(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())),
                Param::Int(run),
            ],
        )?;
    }
    let names: Vec<String> = db
        .query(keys, &[])?
        .into_iter()
        .filter_map(|r| r.first().and_then(Param::text))
        .collect();
    // names that share a column (SQLite: the same but for case) fill it
    // together, whichever a row has
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for n in &names {
        match groups.iter_mut().find(|g| same_column(kind, g[0], n)) {
            Some(g) => g.push(n),
            None => groups.push(vec![n]),
        }
    }
    let firsts: Vec<&str> = groups.iter().map(|g| g[0]).collect();
    add_columns(db, &[], &firsts)?;
    if !groups.is_empty() {
        let value = |n: &str| {
            let key = n.replace('\'', "''");
            match kind {
                Kind::Sqlite => {
                    format!("json_extract(scores, '$.\"{}\"')", key.replace('"', "\\\""))
                }
                Kind::Postgres => format!("(scores ->> '{key}')::float8"),
            }
        };
        let sets: Vec<String> = groups
            .iter()
            .map(|g| {
                let values: Vec<String> = g.iter().map(|n| value(n)).collect();
                format!("{} = COALESCE({}, NULL)", column(g[0]), values.join(", "))
            })
            .collect();
        db.batch(&format!("UPDATE results SET {}", sets.join(", ")))?;
    }
    db.batch("ALTER TABLE results DROP COLUMN scores")?;
    db.batch("UPDATE vital_schema SET version = 6")?;
    Ok(())
}

/// Whether `res` repeats a stored result: the same health, status,
/// computed status, scores and `triggered`, read from `row[from..]`
/// (`health`, `status`, `computed_status`, `triggered`, then the columns
/// `cols`), and nothing started.
pub(crate) fn repeats(
    kind: Kind,
    res: &crate::ResultRow,
    cols: &[String],
    row: &Row,
    from: usize,
) -> Result<bool> {
    let text = |k: usize| row.get(from + k).and_then(Param::text);
    let triggered: Vec<String> = text(3)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if res.health != row.get(from).and_then(Param::real)
        || res.status != text(1)
        || res.computed_status != text(2)
        || res.triggered != triggered
        || !res.started.is_empty()
    {
        return Ok(false);
    }
    let scores = parse(&res.scores)?;
    // a score with a value that has no column yet is new
    if scores
        .iter()
        .any(|(n, v)| v.is_some() && !cols.iter().any(|c| same_column(kind, c, n)))
    {
        return Ok(false);
    }
    Ok(cols.iter().enumerate().all(|(k, c)| {
        let new = scores
            .iter()
            .find(|(n, _)| same_column(kind, n, c))
            .and_then(|(_, v)| *v);
        new == row.get(from + 4 + k).and_then(Param::real)
    }))
}

impl Store {
    /// Before the result of the account `aid` on `date` is replaced (or
    /// its snapshot pruned): the later nights that repeat it get rows of
    /// their own, with its values (`started` empty, as they were shown).
    pub(crate) fn own_repeats(&mut self, aid: i64, date: chrono::NaiveDate) -> Result<()> {
        self.own_repeats_where(
            "s.account_id = $1 AND s.result_same_as = $2 \
             AND s.as_of IN (SELECT as_of FROM nights WHERE as_of > $2)",
            &[Param::Int(aid), Param::Date(date)],
        )
    }

    /// Rows of their own for the repeating snapshots `s` matching `cond`.
    pub(crate) fn own_repeats_where(&mut self, cond: &str, params: &[Param]) -> Result<()> {
        let cols = self.score_columns()?;
        let list: String = cols.iter().map(|c| format!(", {}", column(c))).collect();
        let of_x: String = cols.iter().map(|c| format!(", x.{}", column(c))).collect();
        let empty = match self.kind() {
            Kind::Sqlite => "'[]'",
            Kind::Postgres => "'[]'::jsonb",
        };
        self.db.exec(
            &format!(
                "INSERT INTO results (account_id, as_of, run_id, health, status, computed_status, triggered, started{list}) \
                 SELECT s.account_id, s.as_of, s.run_id, x.health, x.status, x.computed_status, x.triggered, {empty}{of_x} \
                 FROM snapshots s JOIN results x ON x.as_of = s.result_same_as AND x.account_id = s.account_id \
                 WHERE {cond}"
            ),
            params,
        )?;
        self.db.exec(
            &format!(
                // `cond` on the updated table itself, so that its seeks
                // drive the update (a correlated `EXISTS` scanned every
                // snapshot per call: a rerun was quadratic in its accounts)
                "UPDATE snapshots AS s SET result_same_as = NULL WHERE {cond}"
            ),
            params,
        )?;
        Ok(())
    }
}

/// The view `result_nights`: every result, one row per (account, night)
/// — the rows of `results`, and for each snapshot whose result repeats
/// an earlier one (`snapshots.result_same_as`) that row's values with
/// `started` empty and `repeats` its date (docs/history.md). Made again
/// whenever `results` gains a score column.
pub(crate) fn create_view(db: &mut crate::db::Db, cols: &[String]) -> Result<()> {
    let (empty, no_date) = match db.kind() {
        Kind::Sqlite => ("'[]'", "NULL"),
        Kind::Postgres => ("'[]'::jsonb", "NULL::date"),
    };
    let of = |alias: &str| -> String {
        cols.iter()
            .map(|c| format!(", {alias}.{}", column(c)))
            .collect()
    };
    db.batch(&format!(
        "DROP VIEW IF EXISTS result_nights;
         CREATE VIEW result_nights AS
         SELECT r.account_id, r.as_of, r.run_id, r.health, r.status, r.computed_status,
                r.triggered, r.started, {no_date} AS repeats{} FROM results r
         UNION ALL
         SELECT s.account_id, s.as_of, s.run_id, x.health, x.status, x.computed_status,
                x.triggered, {empty}, s.result_same_as{} FROM snapshots s
         JOIN results x ON x.as_of = s.result_same_as AND x.account_id = s.account_id
         WHERE s.result_same_as IS NOT NULL;",
        of("r"),
        of("x")
    ))?;
    Ok(())
}

/// Schema 10 (docs/history.md): a repeated result is no row of
/// `results` but a pointer on its snapshot (`snapshots.result_same_as`);
/// the repeats of schema 9 take their values as their own rows, and the
/// view `result_nights` shows every result.
pub(crate) fn migrate_10(db: &mut crate::db::Db) -> Result<()> {
    let kind = db.kind();
    let cols = score_columns(db)?;
    let sets: String = cols
        .iter()
        .map(|c| format!(", {} = v.{}", column(c), column(c)))
        .collect();
    db.batch(&format!(
        "UPDATE results SET health = v.health, status = v.status, computed_status = v.computed_status{sets} \
         FROM (SELECT * FROM results) v \
         WHERE results.same_as IS NOT NULL AND v.account_id = results.account_id AND v.as_of = results.same_as;
         ALTER TABLE results DROP COLUMN same_as;"
    ))?;
    db.batch(match kind {
        Kind::Sqlite => "ALTER TABLE snapshots ADD COLUMN result_same_as INTEGER",
        Kind::Postgres => "ALTER TABLE snapshots ADD COLUMN result_same_as DATE",
    })?;
    create_view(db, &cols)?;
    db.batch("UPDATE vital_schema SET version = 10")?;
    Ok(())
}
