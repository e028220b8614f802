//! The score history store (docs/history.md): what `vital run` recorded,
//! in an embedded SQLite file or a team's PostgreSQL database.
//!
//! It lives around the evaluator, never inside it: the command line reads
//! stored snapshots from here and hands them to `vital_eval::Engine` as
//! history, then records what the run computed. One run is one
//! transaction: an interrupted run leaves the store as it was, and two runs
//! at once take turns (SQLite's write lock with a busy timeout, a
//! PostgreSQL advisory lock with a lock timeout).
//!
//! Events are stored once per distinct event and account, with how often a
//! snapshot carries it (`multiplicity`) and the range of snapshot dates
//! that carried it (`first_as_of` ..= `last_as_of`, `NULL` while the
//! account's latest snapshot still does): a stored snapshot sees exactly
//! the events it was recorded with.

mod batch;
pub mod codec;
pub mod db;
mod results;
pub mod schema;
mod signals;

use chrono::{DateTime, NaiveDate, Utc};
use db::{Db, Kind, Param, Pg};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use batch::{delta_signals, events_digest, merge_signals};
pub use db::Kind as Backend;

/// Why the store could not do something; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub message: String,
    /// Another run holds the store (it was waited for, then given up).
    pub busy: bool,
}

impl StoreError {
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            busy: false,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        StoreError {
            message: format!("SQLite: {e}"),
            busy,
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        let busy = e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE);
        let message = match e.as_db_error() {
            Some(db) => format!("PostgreSQL: {}", db.message()),
            None => {
                // the client's own message says what it was doing
                // ("error connecting to server"); its causes say why
                // ("Connection refused", a name that does not resolve)
                let mut m = format!("PostgreSQL: {e}");
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    let text = c.to_string();
                    if !m.ends_with(&text) {
                        m.push_str(": ");
                        m.push_str(&text);
                    }
                    cause = c.source();
                }
                m
            }
        };
        StoreError { message, busy }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// The advisory lock every writer of a PostgreSQL store takes ("vital").
const PG_LOCK: i64 = 0x0076_6974_616c;

/// The session lock one `vital notify` holds on a PostgreSQL store
/// ("vitan"); runs take [`PG_LOCK`], so they do not wait for it.
const PG_NOTIFY_LOCK: i64 = 0x0076_6974_616e;

/// Held while one `vital notify` delivers starts ([`Store::lock_delivery`]):
/// on SQLite an exclusive lock on `<store>.notify-lock` (released when this
/// is dropped or the process ends), on PostgreSQL a session advisory lock
/// (released when the store's connection closes).
pub struct DeliveryLock {
    _sqlite: Option<rusqlite::Connection>,
}

/// How long connecting to a PostgreSQL server may take, unless the URL
/// says (`?connect_timeout=SECONDS`).
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a run waits for another one to finish by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// Whether a `[history] store` / `--history` value names PostgreSQL (the
/// scheme in any case, as URL schemes are).
pub fn is_postgres(location: &str) -> bool {
    matches!(scheme(location), Some(s) if s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql"))
}

/// The scheme of a location written as a URL (`xyz://…`).
fn scheme(location: &str) -> Option<&str> {
    let (scheme, _) = location.split_once("://")?;
    let mut chars = scheme.chars();
    (chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// A location that looks like a URL but is not a PostgreSQL one (a typo
/// such as `postgress://`) is an error, not a SQLite file of that name.
fn check_location(location: &str) -> Result<()> {
    if location.trim().is_empty() {
        return Err(StoreError::new(
            "the history store is empty: give a SQLite file path or a postgres:// URL",
        ));
    }
    if location.trim() != location {
        return Err(StoreError::new(format!(
            "the history store `{}` has white space around it: write the path or URL without it",
            shown_location(location.trim())
        )));
    }
    // `host=db user=vital password=…`: PostgreSQL's other way of writing a
    // connection, which would otherwise be taken for a file name
    if location.split_whitespace().any(|w| {
        ["host=", "dbname=", "user=", "password=", "port="]
            .iter()
            .any(|k| w.starts_with(k))
    }) {
        return Err(StoreError::new(
            "the history store looks like a PostgreSQL connection string (`host=… user=…`): write it as a URL, postgres://USER:PASSWORD@HOST/DATABASE",
        ));
    }
    match scheme(location) {
        Some(s) if !is_postgres(location) => Err(StoreError::new(format!(
            "the history store {} is a `{s}://` URL: a store is a SQLite file path or a postgres:// (postgresql://) URL",
            shown_location(location)
        ))),
        _ => Ok(()),
    }
}

/// A location for messages: a URL without its password.
pub fn shown_location(location: &str) -> String {
    if scheme(location).is_none() {
        return location.to_string();
    }
    // postgres://user:password@host/db → postgres://user:***@host/db
    match (location.find("://"), location.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &location[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &location[..s + 3], &location[at..]),
                None => location.to_string(),
            }
        }
        _ => location.to_string(),
    }
}

/// An open store.
pub struct Store {
    db: Db,
    /// As given (a path or a URL), for messages (password hidden).
    pub location: String,
    wait: Duration,
    accounts: HashMap<String, i64>,
    in_transaction: bool,
    /// The latest `as_of` recorded since the store was opened.
    recorded_latest: Option<NaiveDate>,
    /// The scores `results` has columns for, once read (`results.rs`).
    score_columns: Option<Vec<String>>,
    /// The run whose score names `runs.scores` holds already.
    scores_run: Option<i64>,
    /// Runs' signal names (`runs.signals`), once read (`signals.rs`).
    signal_names: HashMap<i64, std::sync::Arc<Vec<String>>>,
}

/// What a run records about itself.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub started_at: DateTime<Utc>,
    /// `sha256:…` of the rule files (paths and contents, in path order).
    pub ruleset_hash: String,
    /// The commit when the rules are in a clean git checkout.
    pub git_commit: Option<String>,
    pub inputs: Vec<String>,
}

/// A run's counts, written when it finishes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunCounts {
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub results: u64,
}

/// One snapshot and its result, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub account: String,
    pub as_of: NaiveDate,
    /// The `signals` object (codec::signals_json).
    pub signals: String,
    pub override_: Option<String>,
    /// Distinct events with their multiplicity (codec::events_json).
    pub events: Vec<(String, i64)>,
    pub result: ResultRow,
    pub starts: Vec<StartRow>,
}

/// A result as it was reported.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub health: Option<f64>,
    pub status: Option<String>,
    pub computed_status: Option<String>,
    /// `{"score": 90.0, …}`.
    pub scores: String,
    pub triggered: Vec<String>,
    pub started: Vec<String>,
}

/// A playbook start, with the rule that fired and what its condition read.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRow {
    pub playbook: String,
    pub owner: Option<String>,
    /// The rule's name, when it has one.
    pub rule: Option<String>,
    /// `path:line:col` of the rule.
    pub source: Option<String>,
    /// What the condition read, as text (`saw …`), JSON array of strings.
    pub reads: Vec<String>,
}

/// One stored result of an account (`vital history`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub as_of: NaiveDate,
    pub health: Option<f64>,
    pub status: Option<String>,
    pub computed_status: Option<String>,
    pub scores: String,
    pub triggered: Vec<String>,
    /// `None` for results recorded before the store knew starts.
    pub started: Option<Vec<String>>,
    pub ruleset_hash: String,
    pub git_commit: Option<String>,
    /// The snapshot is still stored (not pruned).
    pub has_snapshot: bool,
}

/// One stored result with its snapshot's signals (`vital summary` and
/// `vital report` over the store).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResult {
    pub as_of: NaiveDate,
    pub health: Option<f64>,
    pub status: Option<String>,
    pub triggered: Vec<String>,
    pub started: Vec<String>,
    /// The snapshot's signals whole (`None`: pruned).
    pub signals: Option<String>,
    /// The scores, a JSON object.
    pub scores: String,
}

/// A recorded start (`vital playbooks`, `vital notify`).
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub account: String,
    pub as_of: NaiveDate,
    pub playbook: String,
    pub owner: Option<String>,
    pub health: Option<f64>,
    pub status: Option<String>,
    pub rule: Option<String>,
    pub source: Option<String>,
    pub reads: Vec<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    /// Why the last failed try failed (`NULL` once delivered).
    pub last_error: Option<String>,
}

/// A stored snapshot's raw parts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    pub as_of: NaiveDate,
    pub signals: String,
    pub override_: Option<String>,
    pub events: Vec<(String, i64)>,
}

/// What `prune_before` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub snapshots: u64,
    pub events: u64,
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn parse_list(text: Option<String>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn get(row: &[Param], i: usize) -> Param {
    row.get(i).cloned().unwrap_or(Param::Null)
}

fn opt_text(p: Param) -> Option<String> {
    p.text()
}

fn opt_date(p: &Param) -> Option<NaiveDate> {
    p.date()
}

impl Store {
    /// Open (and create, and migrate) the store at `location`: a
    /// `postgres://` URL, or a SQLite file path, relative to `base`.
    pub fn open(location: &str, base: &Path, wait: Duration) -> Result<Store> {
        Store::open_with(location, base, wait, true)
    }

    /// [`Store::open`]; `create: false` (commands that only read) refuses a
    /// store without Vital's tables instead of creating them.
    fn open_with(location: &str, base: &Path, wait: Duration, create: bool) -> Result<Store> {
        check_location(location)?;
        let db = if is_postgres(location) {
            let cannot = |e: postgres::Error| {
                StoreError::new(format!(
                    "cannot connect to the history store {}: {}",
                    shown_location(location),
                    StoreError::from(e)
                ))
            };
            // the client reads the scheme in lower case only
            let url = match location.split_once("://") {
                Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_lowercase()),
                None => location.to_string(),
            };
            let mut config: postgres::Config = url.parse().map_err(cannot)?;
            // a host that drops packets fails in seconds, not minutes
            // (the URL's own `connect_timeout` wins)
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(PG_CONNECT_TIMEOUT);
            }
            let mut client = config.connect(postgres::NoTls).map_err(cannot)?;
            client.batch_execute(&format!(
                "SET lock_timeout = '{}ms'; SET client_min_messages = warning",
                wait.as_millis()
            ))?;
            Db::Postgres(Box::new(Pg::new(client)))
        } else {
            let path: PathBuf = if Path::new(location).is_absolute() {
                PathBuf::from(location)
            } else {
                base.join(location)
            };
            if path.is_dir() {
                return Err(StoreError::new(format!(
                    "the history store `{location}` is a directory ({}), not a SQLite file",
                    path.display()
                )));
            }
            if !create && !path.exists() {
                return Err(StoreError::new(format!(
                    "the history store `{location}` does not exist ({}): no `vital run` has recorded to it yet",
                    path.display()
                )));
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::new(format!(
                        "cannot create the directory of the history store `{location}`: {e}"
                    ))
                })?;
            }
            let unreadable = |e: rusqlite::Error| {
                let readonly = e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly);
                StoreError::new(format!(
                    "cannot open the history store `{location}` ({}): {}{}",
                    path.display(),
                    StoreError::from(e),
                    if readonly {
                        " (the file, or its directory, is read-only: SQLite writes its journal beside the store)"
                    } else {
                        ""
                    }
                ))
            };
            let conn = rusqlite::Connection::open(&path).map_err(unreadable)?;
            conn.busy_timeout(wait)?;
            // before anything is written to it (even the journal mode): a
            // SQLite file of another application is not made a store
            let tables = |name: Option<&str>| -> std::result::Result<i64, rusqlite::Error> {
                conn.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND (?1 IS NULL OR name = ?1)",
                    [name],
                    |r| r.get(0),
                )
            };
            let ours = tables(Some("vital_schema")).map_err(unreadable)?;
            if ours == 0 && tables(None).map_err(unreadable)? > 0 {
                return Err(StoreError::new(format!(
                    "`{location}` ({}) is a SQLite database but not a Vital history store (it has tables, and no `vital_schema`): give the path of a store, or of a file that does not exist yet",
                    path.display()
                )));
            }
            if ours == 0 && !create {
                return Err(StoreError::new(format!(
                    "the history store `{location}` ({}) is empty: no `vital run` has recorded to it yet",
                    path.display()
                )));
            }
            // WAL: readers (`vital history`) do not wait for a run. Turning a
            // new store into a WAL store does not wait on the busy timeout:
            // a run that opens a new store while another one turns it finds
            // it locked for a moment, and tries again (within the wait)
            let began = std::time::Instant::now();
            loop {
                match conn.pragma_update(None, "journal_mode", "WAL") {
                    Ok(()) => break,
                    Err(e) => {
                        let e = StoreError::from(e);
                        if !e.busy || began.elapsed() >= wait {
                            return Err(e);
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
            // NORMAL in WAL mode: a committed run survives the process
            // being killed; after a power loss the last commits may be
            // rolled back, never half applied.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // a nightly run reads and writes across the whole store: keep
            // up to 256 MB of its pages in memory (a run's transaction
            // then rarely spills pages to the WAL before it commits), and
            // read the file through a memory map rather than a system call
            // per page (SQLite maps at most its compile-time limit, 2 GB;
            // the rest is read as before)
            conn.pragma_update(None, "cache_size", -262144)?;
            conn.pragma_update(None, "mmap_size", 1i64 << 34)?;
            // statement journals (a multi-row upsert's undo) in memory
            conn.pragma_update(None, "temp_store", "MEMORY")?;
            // a batch uses a few dozen statements (each query for a full
            // chunk of keys and for the rest, the multi-row inserts): keep
            // them all compiled
            conn.set_prepared_statement_cache_capacity(128);
            Db::Sqlite(conn)
        };
        let mut store = Store {
            db,
            location: shown_location(location),
            wait,
            accounts: HashMap::new(),
            in_transaction: false,
            recorded_latest: None,
            score_columns: None,
            scores_run: None,
            signal_names: HashMap::new(),
        };
        if !create && store.version()? == 0 {
            return Err(StoreError::new(format!(
                "the history store {} has no Vital tables: no `vital run` has recorded to it yet",
                store.location
            )));
        }
        store.migrate(schema::VERSION)?;
        Ok(store)
    }

    /// Open a store that must exist already (commands that only read or
    /// deliver what runs recorded): a SQLite file that is not there is an
    /// error, never a new empty store.
    pub fn open_existing(location: &str, base: &Path, wait: Duration) -> Result<Store> {
        Store::open_with(location, base, wait, false)
    }

    /// Open without migrating past `version` (tests: a store of an older
    /// version).
    #[doc(hidden)]
    pub fn open_at_version(location: &str, base: &Path, version: i64) -> Result<Store> {
        let mut s = Store::open_raw(location, base)?;
        s.migrate(version)?;
        Ok(s)
    }

    fn open_raw(location: &str, base: &Path) -> Result<Store> {
        let db = if is_postgres(location) {
            Db::Postgres(Box::new(Pg::new(postgres::Client::connect(
                location,
                postgres::NoTls,
            )?)))
        } else {
            let path = base.join(location);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            Db::Sqlite(rusqlite::Connection::open(path)?)
        };
        Ok(Store {
            db,
            location: shown_location(location),
            wait: DEFAULT_WAIT,
            accounts: HashMap::new(),
            in_transaction: false,
            recorded_latest: None,
            score_columns: None,
            scores_run: None,
            signal_names: HashMap::new(),
        })
    }

    pub fn kind(&self) -> Kind {
        self.db.kind()
    }

    /// The raw connection's statements, for tests and the data team's
    /// checks (`SELECT` only by convention).
    #[doc(hidden)]
    pub fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<db::Row>> {
        self.db.query(sql, params)
    }

    #[doc(hidden)]
    pub fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        self.db.exec(sql, params)
    }

    fn migrate(&mut self, target: i64) -> Result<()> {
        // cheap check first: no lock when nothing is to do
        if schema::version(&mut self.db)? == target {
            return Ok(());
        }
        self.begin()?;
        match schema::migrate_to(&mut self.db, target) {
            Ok(_) => self.commit(),
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// The schema version of the open store.
    pub fn version(&mut self) -> Result<i64> {
        schema::version(&mut self.db)
    }

    /// Start the one write transaction of a run (or of a prune, or of a
    /// delivery), waiting for another writer up to the store's wait.
    pub fn begin(&mut self) -> Result<()> {
        let waited = |e: StoreError, secs: u64| -> StoreError {
            if e.busy {
                StoreError {
                    message: format!(
                        "the history store {} is busy: another vital run is writing to it, and it did not finish within {secs} s (set VITAL_STORE_WAIT=SECONDS to wait longer)",
                        "{}"
                    ),
                    busy: true,
                }
            } else {
                e
            }
        };
        let secs = self.wait.as_secs();
        let location = self.location.clone();
        let r = match &mut self.db {
            Db::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE").map_err(StoreError::from),
            Db::Postgres(p) => p
                .client
                .batch_execute("BEGIN")
                .map_err(StoreError::from)
                .and_then(|()| {
                    p.client
                        .query("SELECT pg_advisory_xact_lock($1)", &[&PG_LOCK])
                        .map(|_| ())
                        .map_err(|e| {
                            let _ = p.client.batch_execute("ROLLBACK");
                            StoreError::from(e)
                        })
                }),
        };
        r.map_err(|e| {
            let mut e = waited(e, secs);
            e.message = e.message.replacen("{}", &location, 1);
            e
        })?;
        self.in_transaction = true;
        // what other connections may have changed since: read again
        self.score_columns = None;
        self.signal_names.clear();
        Ok(())
    }

    pub fn commit(&mut self) -> Result<()> {
        self.db.batch("COMMIT")?;
        self.in_transaction = false;
        Ok(())
    }

    /// Undo everything since [`Store::begin`].
    pub fn rollback(&mut self) {
        if self.in_transaction {
            let _ = self.db.batch("ROLLBACK");
            self.in_transaction = false;
            // ids of accounts created in the transaction are gone too,
            // and so are the score columns and run it added
            self.accounts.clear();
            self.score_columns = None;
            self.scores_run = None;
            self.signal_names.clear();
        }
    }

    /// Record a run's start (inside the transaction); its id.
    pub fn start_run(&mut self, info: &RunInfo) -> Result<i64> {
        let row = self.db.one(
            "INSERT INTO runs (started_at, ruleset_hash, git_commit, inputs) VALUES ($1, $2, $3, $4) RETURNING id",
            &[
                Param::Time(info.started_at),
                Param::Text(info.ruleset_hash.clone()),
                info.git_commit.clone().map_or(Param::Null, Param::Text),
                Param::Json(json_list(&info.inputs)),
            ],
        )?;
        row.and_then(|r| r.first().and_then(Param::int))
            .ok_or_else(|| StoreError::new("the store gave no id for the run"))
    }

    pub fn finish_run(&mut self, run: i64, counts: RunCounts, at: DateTime<Utc>) -> Result<()> {
        let n = |v: u64| Param::Int(i64::try_from(v).unwrap_or(i64::MAX));
        self.db.exec(
            "UPDATE runs SET finished_at = $1, records = $2, accepted = $3, rejected = $4, results = $5 WHERE id = $6",
            &[
                Param::Time(at),
                n(counts.records),
                n(counts.accepted),
                n(counts.rejected),
                n(counts.results),
                Param::Int(run),
            ],
        )?;
        Ok(())
    }

    /// The id of an account, created when new.
    fn account_id(&mut self, name: &str) -> Result<i64> {
        if let Some(id) = self.accounts.get(name) {
            return Ok(*id);
        }
        let id = match self.find_account(name)? {
            Some(id) => id,
            None => self
                .db
                .one(
                    "INSERT INTO accounts (name) VALUES ($1) RETURNING id",
                    &[Param::Text(name.to_string())],
                )?
                .and_then(|r| r.first().and_then(Param::int))
                .ok_or_else(|| StoreError::new("the store gave no id for an account"))?,
        };
        self.accounts.insert(name.to_string(), id);
        Ok(id)
    }

    /// The id of an account the store knows.
    pub fn find_account(&mut self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.accounts.get(name) {
            return Ok(Some(*id));
        }
        Ok(self
            .db
            .one(
                "SELECT id FROM accounts WHERE name = $1",
                &[Param::Text(name.to_string())],
            )?
            .and_then(|r| r.first().and_then(Param::int)))
    }

    /// Record one snapshot and its result (inside the run's transaction).
    /// A snapshot already stored for the same account and date is replaced,
    /// with its result and its starts (a start already delivered keeps its
    /// delivery when it is started again). [`Store::record_all`] records
    /// many at once.
    pub fn record(&mut self, run: i64, r: &Recorded) -> Result<()> {
        self.record_all(run, std::slice::from_ref(r))
    }

    fn note_recorded(&mut self, as_of: NaiveDate) {
        if self.recorded_latest.is_none_or(|l| as_of > l) {
            self.recorded_latest = Some(as_of);
        }
    }

    /// The latest `as_of` recorded through this store since it was opened.
    pub fn recorded_latest(&self) -> Option<NaiveDate> {
        self.recorded_latest
    }

    /// [`Store::record`] one snapshot on its own (a rerun, a backfill):
    /// its signals are stored whole.
    fn record_one(&mut self, run: i64, r: &Recorded) -> Result<()> {
        self.note_recorded(r.as_of);
        let aid = self.account_id(&r.account)?;
        self.write_snapshot(aid, run, r)?;
        let res = &r.result;
        self.own_repeats(aid, r.as_of)?;
        self.insert_results(run, &[(aid, r)])?;
        // starts: those no longer started on a rerun go, unless they were
        // delivered (someone was told: the start happened, and stays with
        // its delivery); the others are updated in place, keeping theirs
        let existing = self.db.query(
            "SELECT playbook FROM playbook_starts WHERE account_id = $1 AND as_of = $2 AND delivered_at IS NULL",
            &[Param::Int(aid), Param::Date(r.as_of)],
        )?;
        for row in existing {
            let Some(p) = row.first().and_then(Param::text) else {
                continue;
            };
            if !r.starts.iter().any(|s| s.playbook == p) {
                self.db.exec(
                    "DELETE FROM playbook_starts WHERE account_id = $1 AND as_of = $2 AND playbook = $3",
                    &[Param::Int(aid), Param::Date(r.as_of), Param::Text(p)],
                )?;
            }
        }
        for s in &r.starts {
            self.db.exec(
                "INSERT INTO playbook_starts (account_id, as_of, playbook, run_id, owner, health, status, rule, source, reads) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (account_id, as_of, playbook) DO UPDATE SET run_id = excluded.run_id, owner = excluded.owner, \
                 health = excluded.health, status = excluded.status, rule = excluded.rule, source = excluded.source, reads = excluded.reads",
                &[
                    Param::Int(aid),
                    Param::Date(r.as_of),
                    Param::Text(s.playbook.clone()),
                    Param::Int(run),
                    s.owner.clone().map_or(Param::Null, Param::Text),
                    res.health.map_or(Param::Null, Param::Real),
                    res.status.clone().map_or(Param::Null, Param::Text),
                    s.rule.clone().map_or(Param::Null, Param::Text),
                    s.source.clone().map_or(Param::Null, Param::Text),
                    Param::Json(json_list(&s.reads)),
                ],
            )?;
        }
        Ok(())
    }

    fn latest_date(&mut self, aid: i64, before: Option<NaiveDate>) -> Result<Option<NaiveDate>> {
        let row = match before {
            None => self.db.one(
                &format!("SELECT {}", batch::latest_of("snapshots", "$1", None)),
                &[Param::Int(aid)],
            )?,
            Some(d) => self.db.one(
                &format!(
                    "SELECT {}",
                    batch::latest_of("snapshots", "$1", Some("n.as_of < $2"))
                ),
                &[Param::Int(aid), Param::Date(d)],
            )?,
        };
        Ok(row.and_then(|r| r.first().and_then(opt_date)))
    }

    fn write_snapshot(&mut self, aid: i64, run: i64, r: &Recorded) -> Result<()> {
        let t = r.as_of;
        // snapshots whose signals are a difference from this one's are
        // stored whole before it is replaced
        self.store_whole(
            "s.as_of IN (SELECT n.as_of FROM nights n WHERE n.as_of > $2) AND s.account_id = $1 AND s.signals_base = $2",
            &[Param::Int(aid), Param::Date(t)],
        )?;
        let latest = self.latest_date(aid, None)?;
        match latest {
            None => self.append_events(aid, None, t, &r.events)?,
            Some(l) if t > l => self.append_events(aid, Some(l), t, &r.events)?,
            Some(l) if t == l => {
                // rerun of the latest night: take it out, then append again
                self.db.exec(
                    "DELETE FROM events WHERE account_id = $1 AND first_as_of = $2",
                    &[Param::Int(aid), Param::Date(t)],
                )?;
                let prev = self.latest_date(aid, Some(t))?;
                self.append_events(aid, prev, t, &r.events)?;
            }
            Some(_) => self.insert_events_between(aid, t, &r.events)?,
        }
        let signals = self.signals_array(run, &r.signals)?;
        self.db.exec(
            "INSERT INTO snapshots (account_id, as_of, run_id, signals, override, signals_base, result_same_as) \
             VALUES ($1, $2, $3, $4, $5, NULL, NULL) \
             ON CONFLICT (as_of, account_id) DO UPDATE SET run_id = excluded.run_id, signals = excluded.signals, \
             override = excluded.override, signals_base = NULL, result_same_as = NULL",
            &[
                Param::Int(aid),
                Param::Date(t),
                Param::Int(run),
                Param::Json(signals),
                r.override_.clone().map_or(Param::Null, Param::Json),
            ],
        )?;
        // the account's digest is its latest snapshot's: this one's unless
        // a later one is stored (a backfill leaves the latest's events)
        if latest.is_none_or(|l| t >= l) {
            self.db.exec(
                "UPDATE accounts SET events_digest = $1 WHERE id = $2",
                &[Param::Int(batch::events_digest(&r.events)), Param::Int(aid)],
            )?;
        }
        Ok(())
    }

    /// Events of a snapshot dated after every stored snapshot of the
    /// account (`prev`, the latest, or none): rows still open, or closed at
    /// `prev`, that it carries again stay (or become) open; open rows it
    /// does not carry are closed at `prev`; the rest are new.
    fn append_events(
        &mut self,
        aid: i64,
        prev: Option<NaiveDate>,
        t: NaiveDate,
        events: &[(String, i64)],
    ) -> Result<()> {
        let Some(prev) = prev else {
            // no snapshot carries any row of this account
            self.db.exec(
                "DELETE FROM events WHERE account_id = $1",
                &[Param::Int(aid)],
            )?;
            for (e, n) in events {
                self.insert_event(aid, e, *n, t, None)?;
            }
            return Ok(());
        };
        let rows = self.db.query(
            "SELECT id, event, multiplicity, last_as_of FROM events WHERE account_id = $1 AND (last_as_of IS NULL OR last_as_of = $2)",
            &[Param::Int(aid), Param::Date(prev)],
        )?;
        let mut by_key: HashMap<(String, i64), Vec<(i64, bool)>> = HashMap::new();
        for row in rows {
            let (Some(id), Some(ev), Some(n)) = (
                row.first().and_then(Param::int),
                row.get(1).and_then(Param::text),
                row.get(2).and_then(Param::int),
            ) else {
                continue;
            };
            let open = matches!(get(&row, 3), Param::Null);
            by_key
                .entry((self.key(&ev), n))
                .or_default()
                .push((id, open));
        }
        for (e, n) in events {
            let key = (self.key(e), *n);
            match by_key.get_mut(&key).and_then(|v| v.pop()) {
                Some((_, true)) => {}
                Some((id, false)) => {
                    self.db.exec(
                        "UPDATE events SET last_as_of = NULL WHERE account_id = $1 AND id = $2",
                        &[Param::Int(aid), Param::Int(id)],
                    )?;
                }
                None => self.insert_event(aid, e, *n, t, None)?,
            }
        }
        for (id, open) in by_key.into_values().flatten() {
            if open {
                self.db.exec(
                    "UPDATE events SET last_as_of = $1 WHERE account_id = $2 AND id = $3",
                    &[Param::Date(prev), Param::Int(aid), Param::Int(id)],
                )?;
            }
        }
        Ok(())
    }

    fn insert_event(
        &mut self,
        aid: i64,
        e: &str,
        n: i64,
        first: NaiveDate,
        last: Option<NaiveDate>,
    ) -> Result<()> {
        // an event's id numbers it within its account (the next after the
        // account's highest)
        self.db.exec(
            "INSERT INTO events (account_id, id, event, multiplicity, first_as_of, last_as_of) \
             VALUES ($1, (SELECT COALESCE(max(x.id), 0) + 1 FROM events x WHERE x.account_id = $1), $2, $3, $4, $5)",
            &[
                Param::Int(aid),
                Param::Json(e.to_string()),
                Param::Int(n),
                Param::Date(first),
                last.map_or(Param::Null, Param::Date),
            ],
        )?;
        Ok(())
    }

    /// Events of a snapshot dated before the account's latest (a backfill,
    /// or a rerun of an older night): the account's rows are rebuilt from
    /// what each stored snapshot carries, with this one's events on `t`.
    fn insert_events_between(
        &mut self,
        aid: i64,
        t: NaiveDate,
        events: &[(String, i64)],
    ) -> Result<()> {
        let mut dates: Vec<NaiveDate> = self
            .db
            .query(
                "SELECT n.as_of FROM nights n WHERE EXISTS (SELECT 1 FROM snapshots s \
                 WHERE s.as_of = n.as_of AND s.account_id = $1) ORDER BY n.as_of",
                &[Param::Int(aid)],
            )?
            .iter()
            .filter_map(|r| r.first().and_then(opt_date))
            .collect();
        let Some(&latest) = dates.last() else {
            return Ok(());
        };
        let rows = self.event_rows(aid)?;
        // what each stored snapshot carries
        let mut carried: BTreeMap<NaiveDate, BTreeSet<(String, i64)>> = BTreeMap::new();
        for d in &dates {
            carried.insert(*d, BTreeSet::new());
        }
        for r in &rows {
            for (d, set) in carried.range_mut(r.first..=r.last.unwrap_or(latest)) {
                let _ = d;
                set.insert((self.key(&r.event), r.multiplicity));
            }
        }
        carried.insert(t, events.iter().map(|(e, n)| (self.key(e), *n)).collect());
        if !dates.contains(&t) {
            dates.push(t);
            dates.sort();
        }
        // runs of consecutive snapshots that carry each event
        let mut wanted: BTreeSet<(String, i64, NaiveDate, Option<NaiveDate>)> = BTreeSet::new();
        let keys: BTreeSet<(String, i64)> = carried.values().flatten().cloned().collect();
        for key in keys {
            let mut start: Option<NaiveDate> = None;
            let mut last_in: Option<NaiveDate> = None;
            for d in &dates {
                let has = carried.get(d).is_some_and(|s| s.contains(&key));
                match (has, start) {
                    (true, None) => {
                        start = Some(*d);
                        last_in = Some(*d);
                    }
                    (true, Some(_)) => last_in = Some(*d),
                    (false, Some(s)) => {
                        wanted.insert((key.0.clone(), key.1, s, last_in));
                        start = None;
                    }
                    (false, None) => {}
                }
            }
            if let Some(s) = start {
                // reaches the latest snapshot: open
                wanted.insert((key.0.clone(), key.1, s, None));
            }
        }
        let mut keep: BTreeSet<(String, i64, NaiveDate, Option<NaiveDate>)> = BTreeSet::new();
        for r in &rows {
            let key = (
                self.key(&r.event),
                r.multiplicity,
                r.first,
                if r.last == Some(latest) { None } else { r.last },
            );
            if wanted.contains(&key) && !keep.contains(&key) {
                keep.insert(key);
            } else {
                self.db.exec(
                    "DELETE FROM events WHERE account_id = $1 AND id = $2",
                    &[Param::Int(aid), Param::Int(r.id)],
                )?;
            }
        }
        for (e, n, first, last) in wanted.difference(&keep) {
            self.insert_event(aid, e, *n, *first, *last)?;
        }
        Ok(())
    }

    /// An event's text as a key: PostgreSQL's `jsonb` prints JSON its own
    /// way, SQLite keeps the text as written.
    fn key(&self, e: &str) -> String {
        match self.db.kind() {
            Kind::Sqlite => e.to_string(),
            Kind::Postgres => normalize_json(e),
        }
    }

    fn event_rows(&mut self, aid: i64) -> Result<Vec<EventRow>> {
        Ok(self
            .db
            .query(
                "SELECT id, event, multiplicity, first_as_of, last_as_of FROM events WHERE account_id = $1",
                &[Param::Int(aid)],
            )?
            .into_iter()
            .filter_map(|r| {
                Some(EventRow {
                    id: r.first()?.int()?,
                    event: r.get(1)?.text()?,
                    multiplicity: r.get(2)?.int()?,
                    first: r.get(3)?.date()?,
                    last: r.get(4).and_then(Param::date),
                })
            })
            .collect())
    }

    /// The date of the account's latest stored snapshot on or before
    /// `date`, skipping the dates in `except` (those the input holds: the
    /// input wins).
    pub fn snapshot_on_or_before(
        &mut self,
        account: &str,
        date: NaiveDate,
        except: &[NaiveDate],
    ) -> Result<Option<NaiveDate>> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(None);
        };
        let mut cut = date;
        loop {
            let row = self.db.one(
                &format!(
                    "SELECT {}",
                    batch::latest_of("snapshots", "$1", Some("n.as_of <= $2"))
                ),
                &[Param::Int(aid), Param::Date(cut)],
            )?;
            match row.and_then(|r| r.first().and_then(opt_date)) {
                Some(d) if except.contains(&d) => match d.pred_opt() {
                    Some(p) => cut = p,
                    None => return Ok(None),
                },
                other => return Ok(other),
            }
        }
    }

    /// The store's latest snapshots, as an editor's sample (docs/editor.md):
    /// the accounts with a snapshot on the latest stored date (at most
    /// `limit`, by name), each with its stored snapshots from `from(latest)`
    /// on (and at least from the night before the latest, which `started`
    /// compares with), each with exactly the events it was recorded with;
    /// oldest first.
    pub fn latest_snapshots(
        &mut self,
        limit: usize,
        from: impl Fn(NaiveDate) -> NaiveDate,
    ) -> Result<Vec<(String, Vec<StoredSnapshot>)>> {
        let Some(latest) = self.latest_as_of()? else {
            return Ok(Vec::new());
        };
        let accounts: Vec<(String, i64)> = self
            .db
            .query(
                "SELECT a.name, s.account_id FROM snapshots s JOIN accounts a ON a.id = s.account_id \
                 WHERE s.as_of = $1 ORDER BY a.name LIMIT $2",
                &[Param::Date(latest), Param::Int(limit as i64)],
            )?
            .into_iter()
            .filter_map(|r| Some((r.first()?.text()?, r.get(1)?.int()?)))
            .collect();
        // and the night before, at least: what `started` compares with
        let before = self
            .db
            .one(
                "SELECT max(as_of) FROM nights WHERE as_of < $1",
                &[Param::Date(latest)],
            )?
            .and_then(|r| r.first().and_then(opt_date));
        let from = before.map_or(from(latest), |b| b.min(from(latest)));
        let nights: Vec<NaiveDate> = self
            .db
            .query(
                "SELECT as_of FROM nights WHERE as_of >= $1 AND as_of <= $2 ORDER BY as_of",
                &[Param::Date(from), Param::Date(latest)],
            )?
            .iter()
            .filter_map(|r| r.first().and_then(opt_date))
            .collect();
        let wants: Vec<(i64, NaiveDate)> = accounts
            .iter()
            .flat_map(|(_, aid)| nights.iter().map(move |d| (*aid, *d)))
            .collect();
        let mut stored = self.snapshots_of(&wants)?.into_iter();
        let mut out = Vec::with_capacity(accounts.len());
        for (name, _) in accounts {
            let mine: Vec<StoredSnapshot> = stored.by_ref().take(nights.len()).flatten().collect();
            out.push((name, mine));
        }
        Ok(out)
    }

    /// Take these account ids as known (read by another connection to the
    /// same store: ids never change), so that recording their nights does
    /// not look them up again.
    pub fn know_accounts(&mut self, ids: impl IntoIterator<Item = (String, i64)>) {
        self.accounts.extend(ids);
    }

    /// One stored snapshot with exactly the events it was recorded with.
    pub fn snapshot(&mut self, account: &str, as_of: NaiveDate) -> Result<Option<StoredSnapshot>> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(None);
        };
        Ok(self.snapshots_of(&[(aid, as_of)])?.pop().flatten())
    }

    /// Store whole the signals of the snapshots matching `cond` (on
    /// `snapshots s`) that are stored as a difference: before the key
    /// snapshot they refer to is replaced or pruned.
    fn store_whole(&mut self, cond: &str, params: &[Param]) -> Result<u64> {
        let rows = self.db.query(
            &format!(
                "SELECT s.account_id, s.as_of, s.signals, b.signals, s.run_id, b.run_id FROM snapshots s \
                 JOIN snapshots b ON b.as_of = s.signals_base AND b.account_id = s.account_id \
                 WHERE s.signals_base IS NOT NULL AND {cond}"
            ),
            params,
        )?;
        let mut n = 0;
        for row in rows {
            let (Some(aid), Some(d), Some(delta), Some(base), Some(run)) = (
                row.first().and_then(Param::int),
                row.get(1).and_then(opt_date),
                get(&row, 2).text(),
                get(&row, 3).text(),
                get(&row, 4).int(),
            ) else {
                continue;
            };
            let delta = self.signals_object(Some(run), &delta)?;
            let base = self.signals_object(get(&row, 5).int(), &base)?;
            let whole = self.signals_array(run, &merge_signals(&base, &delta))?;
            n += self.db.exec(
                "UPDATE snapshots SET signals = $1, signals_base = NULL WHERE as_of = $3 AND account_id = $2",
                &[Param::Json(whole), Param::Int(aid), Param::Date(d)],
            )?;
        }
        Ok(n)
    }

    /// The account's latest stored result dated before `before`: its date
    /// and the playbooks it reported as triggered.
    pub fn previous_result(
        &mut self,
        account: &str,
        before: NaiveDate,
    ) -> Result<Option<(NaiveDate, Vec<String>)>> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(None);
        };
        let row = self.db.one(
            &format!(
                "SELECT r.as_of, r.triggered FROM result_nights r WHERE r.as_of = {} AND r.account_id = $1",
                batch::latest_of("result_nights", "$1", Some("n.as_of < $2"))
            ),
            &[Param::Int(aid), Param::Date(before)],
        )?;
        Ok(row.and_then(|r| {
            let d = r.first().and_then(opt_date)?;
            Some((d, parse_list(r.get(1).and_then(Param::text))))
        }))
    }

    /// The latest recorded start of a playbook for an account before a
    /// date (cooldowns), and whether it was delivered.
    pub fn last_start(
        &mut self,
        account: &str,
        playbook: &str,
        before: NaiveDate,
    ) -> Result<Option<(NaiveDate, bool)>> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(None);
        };
        let row = self.db.one(
            "SELECT as_of, CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END FROM playbook_starts \
             WHERE account_id = $1 AND playbook = $2 AND as_of < $3 ORDER BY as_of DESC LIMIT 1",
            &[
                Param::Int(aid),
                Param::Text(playbook.to_string()),
                Param::Date(before),
            ],
        )?;
        Ok(row.and_then(|r| {
            let d = r.first().and_then(opt_date)?;
            Some((d, r.get(1).and_then(Param::int) == Some(1)))
        }))
    }

    /// Every night the store holds, oldest first.
    pub fn nights(&mut self) -> Result<Vec<NaiveDate>> {
        Ok(self
            .db
            .query("SELECT as_of FROM nights ORDER BY as_of", &[])?
            .iter()
            .filter_map(|r| r.first().and_then(opt_date))
            .collect())
    }

    /// How many playbook starts that other runs recorded come after a start
    /// of the same playbook for the same account that run `run` recorded on
    /// `as_of`: when `as_of` is a night backfilled before them, they were
    /// decided without it (docs/history.md, "Backfills").
    pub fn later_starts(&mut self, run: i64, as_of: NaiveDate) -> Result<u64> {
        let row = self.db.one(
            // from the run's starts on the night (by date), the later ones of
            // each account and playbook (by key); a start is one row per
            // (account, date, playbook), so each later start is counted once
            "SELECT count(*) FROM playbook_starts p JOIN playbook_starts q \
             ON q.account_id = p.account_id AND q.playbook = p.playbook AND q.as_of > p.as_of \
             WHERE p.as_of = $2 AND p.run_id = $1 AND q.run_id <> $1",
            &[Param::Int(run), Param::Date(as_of)],
        )?;
        Ok(row
            .and_then(|r| r.first().and_then(Param::int))
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0))
    }

    /// Every stored result of an account, oldest first.
    pub fn history(&mut self, account: &str) -> Result<Vec<HistoryRow>> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(Vec::new());
        };
        // `result_nights` spelt out, each of its tables probed night by
        // night (a view read whole would read every account's rows)
        let (score_r, cols) = self.score_select("r")?;
        let (score_x, _) = self.score_select("x")?;
        let empty = match self.kind() {
            Kind::Sqlite => "'[]'",
            Kind::Postgres => "'[]'::jsonb",
        };
        let rows = self.db.query(
            &format!(
                "SELECT q.*, u.scores, u.ruleset_hash, u.git_commit FROM ( \
                 SELECT r.as_of, r.health, r.status, r.computed_status, r.run_id, r.triggered, r.started, \
                 (SELECT count(*) FROM snapshots s WHERE s.as_of = r.as_of AND s.account_id = r.account_id) AS kept{score_r} \
                 FROM nights n CROSS JOIN results r WHERE r.as_of = n.as_of AND r.account_id = $1 \
                 UNION ALL \
                 SELECT s.as_of, x.health, x.status, x.computed_status, s.run_id, x.triggered, {empty}, 1{score_x} \
                 FROM nights n CROSS JOIN snapshots s JOIN results x ON x.as_of = s.result_same_as AND x.account_id = s.account_id \
                 WHERE s.as_of = n.as_of AND s.account_id = $1 AND s.result_same_as IS NOT NULL \
                 ) q JOIN runs u ON u.id = q.run_id ORDER BY q.as_of"
            ),
            &[Param::Int(aid)],
        )?;
        let tail = 8 + cols.len();
        let kind = self.kind();
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(HistoryRow {
                    as_of: r.first()?.date()?,
                    health: get(&r, 1).real(),
                    status: opt_text(get(&r, 2)),
                    computed_status: opt_text(get(&r, 3)),
                    scores: results::compose_row(
                        kind,
                        &results::names(&get(&r, tail)),
                        &cols,
                        &r,
                        8,
                    ),
                    triggered: parse_list(get(&r, 5).text()),
                    started: get(&r, 6)
                        .text()
                        .and_then(|t| serde_json::from_str(&t).ok()),
                    ruleset_hash: get(&r, tail + 1).text().unwrap_or_default(),
                    git_commit: opt_text(get(&r, tail + 2)),
                    has_snapshot: get(&r, 7).int().unwrap_or(0) > 0,
                })
            })
            .collect())
    }

    /// Every stored result (`latest`: only each account's latest), with the
    /// account's name, oldest first. Signals come whole from the
    /// `snapshot_signals` view (a snapshot may be stored as its difference
    /// from a key snapshot, docs/history.md).
    pub fn results_with_signals(&mut self, latest: bool) -> Result<Vec<(String, StoredResult)>> {
        let filter = if latest {
            "JOIN (SELECT account_id, max(as_of) AS latest FROM result_nights GROUP BY account_id) l \
             ON l.account_id = r.account_id AND l.latest = r.as_of "
        } else {
            ""
        };
        let (score_cols, cols) = self.score_select("r")?;
        let sql = format!(
            "SELECT a.name, r.as_of, r.health, r.status, r.triggered, r.started, s.signals, u.scores{score_cols} \
             FROM result_nights r JOIN accounts a ON a.id = r.account_id JOIN runs u ON u.id = r.run_id {filter}\
             LEFT JOIN snapshot_signals s ON s.account_id = r.account_id AND s.as_of = r.as_of \
             ORDER BY r.as_of, a.name"
        );
        let rows = self.db.query(&sql, &[])?;
        let kind = self.kind();
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let name = r.first()?.text()?;
                let row = StoredResult {
                    as_of: r.get(1)?.date()?,
                    health: get(&r, 2).real(),
                    status: opt_text(get(&r, 3)),
                    triggered: parse_list(get(&r, 4).text()),
                    started: parse_list(get(&r, 5).text()),
                    signals: opt_text(get(&r, 6)),
                    scores: results::compose_row(kind, &results::names(&get(&r, 7)), &cols, &r, 8),
                };
                Some((name, row))
            })
            .collect())
    }

    /// The latest `as_of` of any stored snapshot.
    pub fn latest_as_of(&mut self) -> Result<Option<NaiveDate>> {
        Ok(self
            .db
            .one("SELECT max(as_of) FROM snapshots", &[])?
            .and_then(|r| r.first().and_then(opt_date)))
    }

    /// Accounts whose latest stored snapshot is older than `days` before
    /// `reference`, with that snapshot's date; oldest first.
    pub fn stale(&mut self, reference: NaiveDate, days: i64) -> Result<Vec<(String, NaiveDate)>> {
        let Some(cut) = reference.checked_sub_signed(chrono::TimeDelta::days(days)) else {
            return Ok(Vec::new());
        };
        // an account with a snapshot on or after the cut is found by a
        // seek or two (nightly accounts on the first night probed); only
        // the stale ones are probed further back, for their latest date
        let rows = self.db.query(
            &format!(
                "SELECT m.name, m.latest FROM (SELECT a.name, {} AS latest FROM accounts a \
                 WHERE NOT EXISTS (SELECT 1 FROM nights n WHERE n.as_of >= $1 AND EXISTS (SELECT 1 FROM snapshots s \
                 WHERE s.as_of = n.as_of AND s.account_id = a.id))) m \
                 WHERE m.latest IS NOT NULL ORDER BY m.latest, m.name",
                batch::latest_of("snapshots", "a.id", None)
            ),
            &[Param::Date(cut)],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((r.first()?.text()?, r.get(1)?.date()?)))
            .collect())
    }

    /// Drop snapshots dated before `date`, and the events only they
    /// carried; results stay. One transaction.
    pub fn prune_before(&mut self, date: NaiveDate) -> Result<Pruned> {
        self.begin()?;
        let r = (|| -> Result<Pruned> {
            // kept snapshots whose key snapshot goes are stored whole
            self.store_whole(
                "s.as_of >= $1 AND s.signals_base < $1",
                &[Param::Date(date)],
            )?;
            // repeated results of the snapshots that go get rows of their own
            self.own_repeats_where(
                "s.as_of < $1 AND s.result_same_as IS NOT NULL",
                &[Param::Date(date)],
            )?;
            let snapshots = self.db.exec(
                "DELETE FROM snapshots WHERE as_of < $1",
                &[Param::Date(date)],
            )?;
            let mut events = self.db.exec(
                "DELETE FROM events WHERE last_as_of IS NOT NULL AND last_as_of < $1",
                &[Param::Date(date)],
            )?;
            // open rows of accounts with no snapshot left carry nothing
            events += self.db.exec(
                "DELETE FROM events WHERE account_id NOT IN (SELECT DISTINCT account_id FROM snapshots)",
                &[],
            )?;
            Ok(Pruned { snapshots, events })
        })();
        match r {
            Ok(p) => {
                self.commit()?;
                Ok(p)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Make this process the only one delivering starts from the store, so
    /// that two `vital notify`s at once never send the same start: `None`
    /// when another holds the lock. Runs are not held up by it.
    pub fn lock_delivery(&mut self) -> Result<Option<DeliveryLock>> {
        match &mut self.db {
            Db::Postgres(p) => {
                let row = p
                    .client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&PG_NOTIFY_LOCK])?;
                let got: bool = row.try_get(0)?;
                Ok(got.then_some(DeliveryLock { _sqlite: None }))
            }
            Db::Sqlite(c) => {
                let file: Option<String> = c
                    .query_row(
                        "SELECT file FROM pragma_database_list WHERE name = 'main'",
                        [],
                        |r| r.get(0),
                    )
                    .ok();
                let Some(file) = file.filter(|f| !f.is_empty()) else {
                    // an in-memory store has no other process
                    return Ok(Some(DeliveryLock { _sqlite: None }));
                };
                let lock = rusqlite::Connection::open(format!("{file}.notify-lock"))?;
                lock.busy_timeout(Duration::ZERO)?;
                match lock.execute_batch(
                    "PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (x INTEGER); BEGIN EXCLUSIVE;",
                ) {
                    Ok(()) => Ok(Some(DeliveryLock {
                        _sqlite: Some(lock),
                    })),
                    Err(e) => {
                        let e = StoreError::from(e);
                        if e.busy {
                            Ok(None)
                        } else {
                            Err(e)
                        }
                    }
                }
            }
        }
    }

    /// Recorded starts on or after `since` (all without), by date, account,
    /// playbook.
    pub fn starts(&mut self, since: Option<NaiveDate>) -> Result<Vec<Start>> {
        let since = since
            .or(NaiveDate::from_ymd_opt(1, 1, 1))
            .unwrap_or(NaiveDate::MIN);
        let rows = self.db.query(
            "SELECT a.name, p.as_of, p.playbook, p.owner, p.health, p.status, p.rule, p.source, p.reads, p.delivered_at, p.attempts, p.last_error \
             FROM playbook_starts p JOIN accounts a ON a.id = p.account_id WHERE p.as_of >= $1 ORDER BY p.as_of, a.name, p.playbook",
            &[Param::Date(since)],
        )?;
        Ok(rows.into_iter().filter_map(start_of).collect())
    }

    /// Starts not delivered yet, oldest first.
    pub fn undelivered(&mut self) -> Result<Vec<Start>> {
        let rows = self.db.query(
            "SELECT a.name, p.as_of, p.playbook, p.owner, p.health, p.status, p.rule, p.source, p.reads, p.delivered_at, p.attempts, p.last_error \
             FROM playbook_starts p JOIN accounts a ON a.id = p.account_id WHERE p.delivered_at IS NULL ORDER BY p.as_of, a.name, p.playbook",
            &[],
        )?;
        Ok(rows.into_iter().filter_map(start_of).collect())
    }

    /// Mark one start delivered (its own short transaction: a delivery is
    /// recorded as soon as the receiver took it).
    pub fn mark_delivered(
        &mut self,
        account: &str,
        as_of: NaiveDate,
        playbook: &str,
        at: DateTime<Utc>,
        attempts: i64,
    ) -> Result<()> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(());
        };
        self.db.exec(
            "UPDATE playbook_starts SET delivered_at = $1, attempts = attempts + $2, last_error = NULL \
             WHERE account_id = $3 AND as_of = $4 AND playbook = $5",
            &[
                Param::Time(at),
                Param::Int(attempts),
                Param::Int(aid),
                Param::Date(as_of),
                Param::Text(playbook.to_string()),
            ],
        )?;
        Ok(())
    }

    /// Record failed attempts at delivering a start.
    pub fn mark_failed(
        &mut self,
        account: &str,
        as_of: NaiveDate,
        playbook: &str,
        attempts: i64,
        error: &str,
    ) -> Result<()> {
        let Some(aid) = self.find_account(account)? else {
            return Ok(());
        };
        self.db.exec(
            "UPDATE playbook_starts SET attempts = attempts + $1, last_error = $2 \
             WHERE account_id = $3 AND as_of = $4 AND playbook = $5",
            &[
                Param::Int(attempts),
                Param::Text(error.to_string()),
                Param::Int(aid),
                Param::Date(as_of),
                Param::Text(playbook.to_string()),
            ],
        )?;
        Ok(())
    }
}

fn start_of(r: db::Row) -> Option<Start> {
    Some(Start {
        account: r.first()?.text()?,
        as_of: r.get(1)?.date()?,
        playbook: r.get(2)?.text()?,
        owner: opt_text(get(&r, 3)),
        health: get(&r, 4).real(),
        status: opt_text(get(&r, 5)),
        rule: opt_text(get(&r, 6)),
        source: opt_text(get(&r, 7)),
        reads: parse_list(get(&r, 8).text()),
        delivered_at: get(&r, 9).time(),
        attempts: get(&r, 10).int().unwrap_or(0),
        last_error: opt_text(get(&r, 11)),
    })
}

struct EventRow {
    id: i64,
    event: String,
    multiplicity: i64,
    first: NaiveDate,
    last: Option<NaiveDate>,
}

/// JSON text in one spelling (PostgreSQL's `jsonb` prints `{"a": 1}` its
/// own way), so that an event compares equal however it was stored.
pub fn normalize_json(text: &str) -> String {
    match serde_json::from_str::<Box<serde_json::value::RawValue>>(text) {
        Ok(_) => canonical(text),
        Err(_) => text.to_string(),
    }
}

/// Re-spell JSON with `", "` and `": "` separators outside strings and keys
/// in their written order (events are written by `codec` with sorted
/// fields already; PostgreSQL keeps keys sorted by length, then bytes).
fn canonical(text: &str) -> String {
    // parse into an ordered map of raw values so that numbers keep their
    // written decimal
    match batch::raw_object(text) {
        Some(map) => batch::object_text(
            map.iter().map(|(k, v)| (k.as_str(), v.get().trim())),
            ", ",
            ": ",
        ),
        None => text.trim().to_string(),
    }
}
