//! The store's tables and their migrations (docs/history.md). A store
//! records its schema version in `vital_schema`; opening an older store
//! applies the missing steps in one transaction, so a store is either
//! wholly at the old version or wholly at the new one.

use crate::db::{Db, Kind, Param};
use crate::StoreError;

/// The schema version this build writes.
pub const VERSION: i64 = 11;

/// Version 1: runs, accounts, snapshots, their events, results.
const V1_SQLITE: &str = "
CREATE TABLE vital_schema (version INTEGER NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  ruleset_hash TEXT NOT NULL,
  git_commit TEXT,
  inputs TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  results INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE snapshots (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  signals TEXT NOT NULL,
  override TEXT,
  PRIMARY KEY (account_id, as_of)
) WITHOUT ROWID;
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  event TEXT NOT NULL,
  multiplicity INTEGER NOT NULL,
  first_as_of TEXT NOT NULL,
  last_as_of TEXT
);
CREATE INDEX events_by_account ON events (account_id, last_as_of);
CREATE TABLE results (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  health REAL,
  status TEXT,
  computed_status TEXT,
  scores TEXT NOT NULL,
  triggered TEXT NOT NULL,
  PRIMARY KEY (account_id, as_of)
) WITHOUT ROWID;
INSERT INTO vital_schema (version) VALUES (1);
";

const V1_POSTGRES: &str = "
CREATE TABLE vital_schema (version BIGINT NOT NULL);
CREATE TABLE runs (
  id BIGSERIAL PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  ruleset_hash TEXT NOT NULL,
  git_commit TEXT,
  inputs JSONB NOT NULL,
  records BIGINT NOT NULL DEFAULT 0,
  accepted BIGINT NOT NULL DEFAULT 0,
  rejected BIGINT NOT NULL DEFAULT 0,
  results BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE accounts (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE snapshots (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  as_of DATE NOT NULL,
  run_id BIGINT NOT NULL REFERENCES runs(id),
  signals JSONB NOT NULL,
  override JSONB,
  PRIMARY KEY (account_id, as_of)
);
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  event JSONB NOT NULL,
  multiplicity BIGINT NOT NULL,
  first_as_of DATE NOT NULL,
  last_as_of DATE
);
CREATE INDEX events_by_account ON events (account_id, last_as_of);
CREATE TABLE results (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  as_of DATE NOT NULL,
  run_id BIGINT NOT NULL REFERENCES runs(id),
  health DOUBLE PRECISION,
  status TEXT,
  computed_status TEXT,
  scores JSONB NOT NULL,
  triggered JSONB NOT NULL,
  PRIMARY KEY (account_id, as_of)
);
INSERT INTO vital_schema (version) VALUES (1);
";

/// Version 2: `results.started` and the playbook starts (with their
/// delivery by `vital notify`).
const V2_SQLITE: &str = "
ALTER TABLE results ADD COLUMN started TEXT;
CREATE TABLE playbook_starts (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of TEXT NOT NULL,
  playbook TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  owner TEXT,
  health REAL,
  status TEXT,
  rule TEXT,
  source TEXT,
  reads TEXT,
  delivered_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (account_id, as_of, playbook)
) WITHOUT ROWID;
CREATE INDEX playbook_starts_by_date ON playbook_starts (as_of);
UPDATE vital_schema SET version = 2;
";

const V2_POSTGRES: &str = "
ALTER TABLE results ADD COLUMN started JSONB;
CREATE TABLE playbook_starts (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  as_of DATE NOT NULL,
  playbook TEXT NOT NULL,
  run_id BIGINT NOT NULL REFERENCES runs(id),
  owner TEXT,
  health DOUBLE PRECISION,
  status TEXT,
  rule TEXT,
  source TEXT,
  reads JSONB,
  delivered_at TIMESTAMPTZ,
  attempts BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (account_id, as_of, playbook)
);
CREATE INDEX playbook_starts_by_date ON playbook_starts (as_of);
UPDATE vital_schema SET version = 2;
";

/// Version 3: a snapshot's signals may be stored as their difference from
/// an earlier snapshot of the account that holds them whole (its key
/// snapshot, `signals_base`); `snapshot_signals` shows every snapshot's
/// signals whole.
const V3_SQLITE: &str = "
ALTER TABLE snapshots ADD COLUMN signals_base TEXT;
CREATE VIEW snapshot_signals AS
SELECT s.account_id, s.as_of,
       CASE WHEN s.signals_base IS NULL THEN s.signals ELSE json_patch(b.signals, s.signals) END AS signals
FROM snapshots s
LEFT JOIN snapshots b ON b.account_id = s.account_id AND b.as_of = s.signals_base;
UPDATE vital_schema SET version = 3;
";

const V3_POSTGRES: &str = "
ALTER TABLE snapshots ADD COLUMN signals_base DATE;
CREATE VIEW snapshot_signals AS
SELECT s.account_id, s.as_of,
       CASE WHEN s.signals_base IS NULL THEN s.signals ELSE jsonb_strip_nulls(b.signals || s.signals) END AS signals
FROM snapshots s
LEFT JOIN snapshots b ON b.account_id = s.account_id AND b.as_of = s.signals_base;
UPDATE vital_schema SET version = 3;
";

/// Version 4: snapshots and results ordered by date, then account (a
/// night's rows are appended together instead of one row into every
/// account's pages); `nights`, every date with a stored snapshot or
/// result, where an account's rows are found by probing its dates; events
/// ordered by account (an account's rows together), their `id` numbering
/// them within the account.
const V4_SQLITE: &str = "
DROP VIEW snapshot_signals;
CREATE TABLE snapshots_v4 (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  signals TEXT NOT NULL,
  override TEXT,
  signals_base TEXT,
  events_digest INTEGER,
  PRIMARY KEY (as_of, account_id)
) WITHOUT ROWID;
INSERT INTO snapshots_v4 (account_id, as_of, run_id, signals, override, signals_base)
  SELECT account_id, as_of, run_id, signals, override, signals_base FROM snapshots ORDER BY as_of, account_id;
DROP TABLE snapshots;
ALTER TABLE snapshots_v4 RENAME TO snapshots;
CREATE TABLE results_v4 (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  health REAL,
  status TEXT,
  computed_status TEXT,
  scores TEXT NOT NULL,
  triggered TEXT NOT NULL,
  started TEXT,
  PRIMARY KEY (as_of, account_id)
) WITHOUT ROWID;
INSERT INTO results_v4 (account_id, as_of, run_id, health, status, computed_status, scores, triggered, started)
  SELECT account_id, as_of, run_id, health, status, computed_status, scores, triggered, started FROM results ORDER BY as_of, account_id;
DROP TABLE results;
ALTER TABLE results_v4 RENAME TO results;
CREATE TABLE events_v4 (
  id INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  event TEXT NOT NULL,
  multiplicity INTEGER NOT NULL,
  first_as_of TEXT NOT NULL,
  last_as_of TEXT,
  PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
INSERT INTO events_v4 (id, account_id, event, multiplicity, first_as_of, last_as_of)
  SELECT id, account_id, event, multiplicity, first_as_of, last_as_of FROM events ORDER BY account_id, id;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
CREATE TABLE nights (as_of TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO nights (as_of) SELECT as_of FROM snapshots UNION SELECT as_of FROM results;
CREATE VIEW snapshot_signals AS
SELECT s.account_id, s.as_of,
       CASE WHEN s.signals_base IS NULL THEN s.signals ELSE json_patch(b.signals, s.signals) END AS signals
FROM snapshots s
LEFT JOIN snapshots b ON b.as_of = s.signals_base AND b.account_id = s.account_id;
UPDATE vital_schema SET version = 4;
";

const V4_POSTGRES: &str = "
ALTER TABLE snapshots DROP CONSTRAINT snapshots_pkey, ADD PRIMARY KEY (as_of, account_id);
ALTER TABLE snapshots ADD COLUMN events_digest BIGINT;
ALTER TABLE results DROP CONSTRAINT results_pkey, ADD PRIMARY KEY (as_of, account_id);
ALTER TABLE events ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE IF EXISTS events_id_seq;
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (account_id, id);
DROP INDEX events_by_account;
CREATE TABLE nights (as_of DATE PRIMARY KEY);
INSERT INTO nights (as_of) SELECT as_of FROM snapshots UNION SELECT as_of FROM results;
UPDATE vital_schema SET version = 4;
";

/// Version 5: SQLite stores every date (`as_of`, `signals_base`, the
/// events' `first_as_of`/`last_as_of`, `nights`) as its Julian day number,
/// an integer (3 bytes instead of 10 characters; `date(as_of)` shows it,
/// docs/history.md). PostgreSQL's `DATE` is unchanged.
const V5_SQLITE: &str = "
DROP VIEW snapshot_signals;
CREATE TABLE snapshots_v5 (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of INTEGER NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  signals TEXT NOT NULL,
  override TEXT,
  signals_base INTEGER,
  events_digest INTEGER,
  PRIMARY KEY (as_of, account_id)
) WITHOUT ROWID;
INSERT INTO snapshots_v5 (account_id, as_of, run_id, signals, override, signals_base, events_digest)
  SELECT account_id, CAST(julianday(as_of) + 0.5 AS INTEGER), run_id, signals, override,
         CAST(julianday(signals_base) + 0.5 AS INTEGER), events_digest
  FROM snapshots ORDER BY as_of, account_id;
DROP TABLE snapshots;
ALTER TABLE snapshots_v5 RENAME TO snapshots;
CREATE TABLE results_v5 (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of INTEGER NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  health REAL,
  status TEXT,
  computed_status TEXT,
  scores TEXT NOT NULL,
  triggered TEXT NOT NULL,
  started TEXT,
  PRIMARY KEY (as_of, account_id)
) WITHOUT ROWID;
INSERT INTO results_v5 (account_id, as_of, run_id, health, status, computed_status, scores, triggered, started)
  SELECT account_id, CAST(julianday(as_of) + 0.5 AS INTEGER), run_id, health, status, computed_status,
         scores, triggered, started
  FROM results ORDER BY as_of, account_id;
DROP TABLE results;
ALTER TABLE results_v5 RENAME TO results;
CREATE TABLE events_v5 (
  id INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  event TEXT NOT NULL,
  multiplicity INTEGER NOT NULL,
  first_as_of INTEGER NOT NULL,
  last_as_of INTEGER,
  PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
INSERT INTO events_v5 (id, account_id, event, multiplicity, first_as_of, last_as_of)
  SELECT id, account_id, event, multiplicity, CAST(julianday(first_as_of) + 0.5 AS INTEGER),
         CAST(julianday(last_as_of) + 0.5 AS INTEGER)
  FROM events ORDER BY account_id, id;
DROP TABLE events;
ALTER TABLE events_v5 RENAME TO events;
CREATE TABLE nights_v5 (as_of INTEGER PRIMARY KEY);
INSERT INTO nights_v5 (as_of) SELECT CAST(julianday(as_of) + 0.5 AS INTEGER) FROM nights;
DROP TABLE nights;
ALTER TABLE nights_v5 RENAME TO nights;
DROP INDEX playbook_starts_by_date;
CREATE TABLE playbook_starts_v5 (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  as_of INTEGER NOT NULL,
  playbook TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  owner TEXT,
  health REAL,
  status TEXT,
  rule TEXT,
  source TEXT,
  reads TEXT,
  delivered_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (account_id, as_of, playbook)
) WITHOUT ROWID;
INSERT INTO playbook_starts_v5 SELECT account_id, CAST(julianday(as_of) + 0.5 AS INTEGER), playbook,
  run_id, owner, health, status, rule, source, reads, delivered_at, attempts, last_error
  FROM playbook_starts;
DROP TABLE playbook_starts;
ALTER TABLE playbook_starts_v5 RENAME TO playbook_starts;
CREATE INDEX playbook_starts_by_date ON playbook_starts (as_of);
CREATE VIEW snapshot_signals AS
SELECT s.account_id, s.as_of,
       CASE WHEN s.signals_base IS NULL THEN s.signals ELSE json_patch(b.signals, s.signals) END AS signals
FROM snapshots s
LEFT JOIN snapshots b ON b.as_of = s.signals_base AND b.account_id = s.account_id;
UPDATE vital_schema SET version = 5;
";

const V5_POSTGRES: &str = "UPDATE vital_schema SET version = 5;";

// Version 6 (scores as columns of `results`) depends on the scores the
// store holds: `results::migrate_6`. Version 7 (signals by position):
// `signals.rs`.

/// Version 8: the events digest moves from every snapshot to its account
/// (`accounts.events_digest` of the snapshot `accounts.digest_as_of`):
/// only an account's latest snapshot's digest is ever compared. Filled for
/// the accounts of the latest night; the others read their events once.
const V8_SQLITE: &str = "
ALTER TABLE accounts ADD COLUMN events_digest INTEGER;
ALTER TABLE accounts ADD COLUMN digest_as_of INTEGER;
UPDATE accounts SET
  events_digest = (SELECT s.events_digest FROM snapshots s
                   WHERE s.as_of = (SELECT max(as_of) FROM nights) AND s.account_id = accounts.id),
  digest_as_of = (SELECT s.as_of FROM snapshots s
                  WHERE s.as_of = (SELECT max(as_of) FROM nights) AND s.account_id = accounts.id
                    AND s.events_digest IS NOT NULL);
ALTER TABLE snapshots DROP COLUMN events_digest;
UPDATE vital_schema SET version = 8;
";

const V8_POSTGRES: &str = "
ALTER TABLE accounts ADD COLUMN events_digest BIGINT;
ALTER TABLE accounts ADD COLUMN digest_as_of DATE;
UPDATE accounts a SET events_digest = s.events_digest, digest_as_of = s.as_of
FROM snapshots s
WHERE s.as_of = (SELECT max(as_of) FROM nights) AND s.account_id = a.id AND s.events_digest IS NOT NULL;
ALTER TABLE snapshots DROP COLUMN events_digest;
UPDATE vital_schema SET version = 8;
";

/// Version 9: a result whose values (health, statuses, scores) are those
/// of the account's previous result is stored as a repeat: `same_as` the
/// date of the row that holds them, its own values `NULL`. (Version 10,
/// `results::migrate_10`, moves repeats onto their snapshots.)
const V9_SQLITE: &str = "
ALTER TABLE results ADD COLUMN same_as INTEGER;
UPDATE vital_schema SET version = 9;
";

const V9_POSTGRES: &str = "
ALTER TABLE results ADD COLUMN same_as DATE;
UPDATE vital_schema SET version = 9;
";

/// Version 11: `accounts.events_digest` is the digest of the account's
/// latest snapshot, kept so by every write (`NULL`: unknown), without a
/// date to check it against; a night whose digest is unchanged writes no
/// row of `accounts`. Digests of an older night are forgotten.
const V11_SQLITE: &str = "
UPDATE accounts SET events_digest = NULL
WHERE digest_as_of IS NULL
   OR NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.as_of = accounts.digest_as_of AND s.account_id = accounts.id)
   OR EXISTS (SELECT 1 FROM nights n WHERE n.as_of > accounts.digest_as_of AND EXISTS
              (SELECT 1 FROM snapshots s WHERE s.as_of = n.as_of AND s.account_id = accounts.id));
ALTER TABLE accounts DROP COLUMN digest_as_of;
UPDATE vital_schema SET version = 11;
";

const V11_POSTGRES: &str = "
UPDATE accounts SET events_digest = NULL
WHERE digest_as_of IS NULL
   OR NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.as_of = accounts.digest_as_of AND s.account_id = accounts.id)
   OR EXISTS (SELECT 1 FROM nights n WHERE n.as_of > accounts.digest_as_of AND EXISTS
              (SELECT 1 FROM snapshots s WHERE s.as_of = n.as_of AND s.account_id = accounts.id));
ALTER TABLE accounts DROP COLUMN digest_as_of;
UPDATE vital_schema SET version = 11;
";

/// The step from version `n - 1` to `n` (1: create).
pub fn step(kind: Kind, n: i64) -> Option<&'static str> {
    match (kind, n) {
        (Kind::Sqlite, 1) => Some(V1_SQLITE),
        (Kind::Postgres, 1) => Some(V1_POSTGRES),
        (Kind::Sqlite, 2) => Some(V2_SQLITE),
        (Kind::Postgres, 2) => Some(V2_POSTGRES),
        (Kind::Sqlite, 3) => Some(V3_SQLITE),
        (Kind::Postgres, 3) => Some(V3_POSTGRES),
        (Kind::Sqlite, 4) => Some(V4_SQLITE),
        (Kind::Postgres, 4) => Some(V4_POSTGRES),
        (Kind::Sqlite, 5) => Some(V5_SQLITE),
        (Kind::Postgres, 5) => Some(V5_POSTGRES),
        (Kind::Sqlite, 7) => Some(crate::signals::V7_SQLITE),
        (Kind::Postgres, 7) => Some(crate::signals::V7_POSTGRES),
        (Kind::Sqlite, 8) => Some(V8_SQLITE),
        (Kind::Postgres, 8) => Some(V8_POSTGRES),
        (Kind::Sqlite, 9) => Some(V9_SQLITE),
        (Kind::Postgres, 9) => Some(V9_POSTGRES),
        (Kind::Sqlite, 11) => Some(V11_SQLITE),
        (Kind::Postgres, 11) => Some(V11_POSTGRES),
        _ => None,
    }
}

/// The version of the store, 0 when it has no tables yet.
pub fn version(db: &mut Db) -> Result<i64, StoreError> {
    let exists = match db.kind() {
        Kind::Sqlite => db.one(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vital_schema'",
            &[],
        )?,
        Kind::Postgres => db.one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'vital_schema'",
            &[],
        )?,
    };
    if exists.and_then(|r| r.first().and_then(Param::int)) != Some(1) {
        return Ok(0);
    }
    Ok(db
        .one("SELECT max(version) FROM vital_schema", &[])?
        .and_then(|r| r.first().and_then(Param::int))
        .unwrap_or(0))
}

/// Bring the store to `target` (normally [`VERSION`]); the caller holds
/// the store's write lock inside a transaction.
pub fn migrate_to(db: &mut Db, target: i64) -> Result<i64, StoreError> {
    let from = version(db)?;
    if from > VERSION {
        return Err(StoreError::new(format!(
            "the store has schema version {from}, newer than this vital understands ({VERSION}); upgrade vital"
        )));
    }
    for n in (from + 1)..=target {
        if n == 6 || n == 10 {
            if n == 6 {
                crate::results::migrate_6(db)?;
            } else {
                crate::results::migrate_10(db)?;
            }
            continue;
        }
        let sql = step(db.kind(), n)
            .ok_or_else(|| StoreError::new(format!("no migration to schema version {n}")))?;
        db.batch(sql)?;
    }
    Ok(from)
}
