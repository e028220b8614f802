//! `vital run` with a history store (docs/history.md): before a batch is
//! evaluated, the stored snapshots that `previous`/`change` reach are added
//! to each account's group (the input wins for the same date); after, each
//! accepted input snapshot and its result are recorded, with `started`
//! computed against the account's previous result. The whole run is one
//! transaction, committed when the run completes.
//!
//! Everything here is around the evaluator: the engine sees stored
//! snapshots as ordinary history and never touches the store.

use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use vital_check::ir::{RuleSet, Target};
use vital_check::value::Duration;
use vital_eval::started::Playbooks;
use vital_eval::{Engine, Outcome, Schema, Snapshot};
use vital_store::{codec, Recorded, ResultRow, RunCounts, RunInfo, StartRow, Store};
use vital_syntax::SourceMap;

/// How far back `previous`/`change` look.
#[derive(Debug, Default)]
pub struct Lookbacks {
    /// Every duration of every `previous`/`change` of the rule set.
    pub all: Vec<Duration>,
    /// Those in score bases and adjustments: what a stored snapshot needs
    /// of its own history to have its scores recomputed.
    pub in_scores: Vec<Duration>,
    /// Whether some `previous`/`change` reads a score or `health` (then
    /// the scores of the snapshots reached are needed).
    pub reads_scores: bool,
}

impl Lookbacks {
    pub fn of(rules: &RuleSet) -> Lookbacks {
        Lookbacks::of_all(&[rules])
    }

    /// What any of several rule sets reaches (`vital diff` reads one store
    /// for both sides: more true history never changes an answer).
    pub fn of_all(rule_sets: &[&RuleSet]) -> Lookbacks {
        let mut l = Lookbacks::default();
        for rules in rule_sets {
            rules.each_lookback(&mut |t, d, in_score| {
                if !l.all.contains(d) {
                    l.all.push(*d);
                }
                if in_score && !l.in_scores.contains(d) {
                    l.in_scores.push(*d);
                }
                if matches!(t, Target::Score(_) | Target::Health) {
                    l.reads_scores = true;
                }
            });
        }
        l
    }
}

/// The previous stored result of an account before each of its input
/// dates: `(input date, Some((stored date, triggered playbook indices)))`.
type Prior = Vec<(NaiveDate, Option<(NaiveDate, Vec<u32>)>)>;

pub struct History<'a> {
    /// The run's connection, with its one transaction; the writer thread
    /// records into it, [`History::commit`] finishes it.
    store: Arc<Mutex<Store>>,
    /// A second connection for what the run reads: the store as the last
    /// committed run left it. A run never needs what it writes itself: an
    /// account's snapshots are all in one batch.
    reader: Mutex<Store>,
    /// Records each batch in the run's transaction while the next batch is
    /// read and evaluated.
    writer: Mutex<Option<Writer>>,
    run: i64,
    engine: &'a Engine<'a>,
    sources: &'a SourceMap,
    schema: Schema<'a>,
    lookbacks: Lookbacks,
    /// Each prepared account's previous stored results, until its group
    /// is settled.
    prior: Mutex<HashMap<Arc<str>, Prior>>,
    /// What this batch's workers computed, to record.
    sink: Mutex<Vec<Recorded>>,
    /// The ids of the accounts prepared and not yet sent to the writer.
    known: Mutex<HashMap<String, i64>>,
    /// Stored snapshots the current rules reject (not used as history).
    unusable: Mutex<Unusable>,
    /// Each playbook's cooldown and owner.
    playbooks: Playbooks,
    /// The first error of a store query made while settling (reported by
    /// the next [`History::flush`]).
    failed: Mutex<Option<String>>,
    /// Whether this is a run's (results recorded) or a reading command's
    /// ([`History::open_read_only`]).
    recording: bool,
    /// The nights the store held before the run, oldest first, and the
    /// dates of the run's snapshots: a date before the latest of those
    /// nights and not one of them is a backfill ([`History::commit`]).
    nights_before: Vec<NaiveDate>,
    dates: Mutex<std::collections::BTreeSet<NaiveDate>>,
}

/// A batch's records, with the ids of their accounts that the reading
/// connection found.
type ToRecord = (Vec<Recorded>, Vec<(String, i64)>);

/// The thread that records what the batches computed, one batch after the
/// other, in the run's transaction.
struct Writer {
    /// At most one batch waits while one is written (with the ids of its
    /// accounts that the reading connection found).
    send: std::sync::mpsc::SyncSender<ToRecord>,
    /// How many results it recorded, or the first error (it stops there).
    done: std::thread::JoinHandle<Result<u64, String>>,
}

impl Writer {
    fn start(store: Arc<Mutex<Store>>, run: i64) -> Writer {
        let (send, batches) = std::sync::mpsc::sync_channel::<ToRecord>(1);
        let done = std::thread::spawn(move || -> Result<u64, String> {
            let mut n = 0u64;
            for (records, ids) in batches {
                let mut store = store.lock().map_err(|_| "the store is poisoned")?;
                store.know_accounts(ids);
                store.record_all(run, &records).map_err(|e| e.to_string())?;
                n += records.len() as u64;
            }
            Ok(n)
        });
        Writer { send, done }
    }

    /// Wait for everything sent to be recorded.
    fn finish(self) -> Result<u64, String> {
        drop(self.send);
        self.done
            .join()
            .map_err(|_| "recording the run failed".to_string())?
    }
}

/// How many of the stored snapshots the rules reject are named in the
/// run's warning.
const UNREADABLE_SHOWN: usize = 3;

/// A stored snapshot the rules reject: its account, date, and why.
type Unreadable = (Arc<str>, NaiveDate, String);

/// Stored snapshots the current rules reject, which are then no history:
/// how many, and the first few for the warning.
#[derive(Debug, Default, Clone)]
pub struct Unusable {
    count: u64,
    first: Vec<Unreadable>,
}

impl Unusable {
    fn add(&mut self, found: Vec<Unreadable>) {
        self.merge(Unusable {
            count: found.len() as u64,
            first: found,
        });
    }

    fn merge(&mut self, other: Unusable) {
        self.count += other.count;
        let room = UNREADABLE_SHOWN.saturating_sub(self.first.len());
        self.first.extend(other.first.into_iter().take(room));
    }

    /// The warning; nothing when every stored snapshot reached fit.
    pub fn warn(&self, errors: &mut dyn Write) {
        if self.count == 0 {
            return;
        }
        let _ = writeln!(
            errors,
            "warning: {} stored snapshot{} no longer fit the rules and were not used as history{}",
            vital_input::thousands(self.count as usize),
            if self.count == 1 { "" } else { "s" },
            if self.count as usize > self.first.len() {
                format!("; the first {}:", self.first.len())
            } else {
                ":".to_string()
            }
        );
        for (account, as_of, why) in &self.first {
            let _ = writeln!(
                errors,
                "  `{account}` on {}: {why}",
                as_of.format("%Y-%m-%d")
            );
        }
    }
}

/// The store a command uses: `--history` (relative to the current
/// directory), else `[history] store` of vital.toml (relative to it).
pub fn location(flag: Option<&str>) -> Result<Option<(String, std::path::PathBuf)>, String> {
    if let Some(f) = flag {
        return Ok(Some((f.to_string(), std::path::PathBuf::from("."))));
    }
    // the one reading of vital.toml (its errors are shown with their place,
    // and the empty message tells `fail` not to say it again)
    let Some(project) = crate::commands::project::discover().map_err(|_| String::new())? else {
        return Ok(None);
    };
    // `${VAR}`s are expanded here, when the store is opened
    match project.store() {
        Ok(store) => Ok(store.map(|s| (s, project.root.clone()))),
        Err(e) => {
            crate::commands::project::report(&e);
            Err(String::new())
        }
    }
}

/// [`location`] for a command that only reads the store. vital.toml's
/// store before the first nightly run is no history, as the run would see
/// (a note says so); a `--history` that is not there is left to
/// [`Store::open_existing`] to refuse (a typo would silently change the
/// answer).
fn location_to_read(flag: Option<&str>) -> Result<Option<(String, std::path::PathBuf)>, String> {
    let Some((loc, base)) = location(flag)? else {
        return Ok(None);
    };
    if flag.is_none() && !loc.contains("://") && !base.join(&loc).exists() {
        eprintln!(
            "note: the history store `{loc}` of vital.toml does not exist yet (no `vital run` has recorded to it): no stored history is read"
        );
        return Ok(None);
    }
    Ok(Some((loc, base)))
}

/// How long to wait for another run (`VITAL_STORE_WAIT`, seconds).
/// A value that is not a number of seconds is warned about (once), and
/// the default waited.
pub fn wait() -> std::time::Duration {
    static WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *WAIT.get_or_init(|| {
        let Some(v) = std::env::var_os("VITAL_STORE_WAIT") else {
            return vital_store::DEFAULT_WAIT;
        };
        let v = v.to_string_lossy();
        match v.trim().parse::<f64>() {
            Ok(s) if (0.0..=1e9).contains(&s) => {
                std::time::Duration::from_secs_f64(s)
            }
            _ => {
                eprintln!(
                    "warning: VITAL_STORE_WAIT=`{v}` is not a number of seconds; waiting the default {} s",
                    vital_store::DEFAULT_WAIT.as_secs()
                );
                vital_store::DEFAULT_WAIT
            }
        }
    })
}

/// Open a store that must exist (commands that only read what runs
/// recorded): `None` when none is configured.
pub fn open_existing_store(flag: Option<&str>) -> Result<Option<Store>, String> {
    let Some((loc, base)) = location(flag)? else {
        return Ok(None);
    };
    Store::open_existing(&loc, &base, wait())
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Open a store for a command.
pub fn open_store(flag: Option<&str>) -> Result<Option<Store>, String> {
    let Some((loc, base)) = location(flag)? else {
        return Ok(None);
    };
    Store::open(&loc, &base, wait())
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `sha256:…` of the rule files, and the git commit when they are in a
/// clean checkout.
///
/// The hash reads each file's path relative to the directory that holds
/// them all (`health.vital`, `dims/usage.vital`), so the same rules give the
/// same hash whichever directory `vital run` starts in and however the
/// rule set is named (`--rules`, `vital.toml`).
pub fn ruleset_version(sources: &SourceMap) -> (String, Option<String>) {
    use sha2::{Digest, Sha256};
    let absolute: Vec<(std::path::PathBuf, &str)> = sources
        .files()
        .map(|(_, f)| {
            let p = std::path::Path::new(&f.path);
            (
                std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()),
                f.text.as_str(),
            )
        })
        .collect();
    let mut root: Option<std::path::PathBuf> = None;
    for (p, _) in &absolute {
        let dir = p.parent().unwrap_or(p).to_path_buf();
        root = Some(match root {
            None => dir,
            Some(r) => r
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    let mut files: Vec<(String, &str)> = absolute
        .iter()
        .map(|(p, text)| {
            let rel = root
                .as_deref()
                .and_then(|r| p.strip_prefix(r).ok())
                .unwrap_or(p);
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (rel.join("/"), *text)
        })
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for (path, text) in &files {
        h.update(path.as_bytes());
        h.update([0]);
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    for (_, f) in sources.files() {
        if let Some(d) = std::path::Path::new(&f.path).parent() {
            let d = if d.as_os_str().is_empty() {
                std::path::PathBuf::from(".")
            } else {
                d.to_path_buf()
            };
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (format!("sha256:{hash}"), git_commit(&dirs))
}

fn git_commit(dirs: &[std::path::PathBuf]) -> Option<String> {
    let first = dirs.first()?;
    let git = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(first)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"])?;
    let mut status = vec!["status", "--porcelain", "--"];
    let paths: Vec<String> = dirs
        .iter()
        .map(|d| {
            std::fs::canonicalize(d)
                .unwrap_or_else(|_| d.clone())
                .display()
                .to_string()
        })
        .collect();
    status.extend(paths.iter().map(String::as_str));
    let dirty = git(&status)?;
    dirty.is_empty().then_some(commit)
}

/// One look back of an account (`accounts[account]` in [`reach`]): the
/// latest stored snapshot on or before `cut`, on a date not in `except`
/// (the input holds those), for the snapshot dated `from`.
struct Reach {
    account: usize,
    from: NaiveDate,
    cut: NaiveDate,
    except: Vec<NaiveDate>,
}

/// Add to `needed[account]` the stored snapshot each ask reaches, unless
/// the input has one at least as recent: one statement per batch (and one
/// more for each time a stored date turned out to be an input date).
fn reach(
    store: &mut Store,
    accounts: &[(usize, i64, Vec<NaiveDate>)],
    asks: &[Reach],
    needed: &mut [Vec<NaiveDate>],
) -> Result<(), String> {
    let mut found: Vec<Option<NaiveDate>> = vec![None; asks.len()];
    let mut pending: Vec<(usize, NaiveDate)> =
        asks.iter().enumerate().map(|(k, a)| (k, a.cut)).collect();
    while !pending.is_empty() {
        let q: Vec<(i64, NaiveDate)> = pending
            .iter()
            .map(|(k, cut)| (accounts[asks[*k].account].1, *cut))
            .collect();
        let dates = store.latest_on_or_before(&q).map_err(|e| e.to_string())?;
        let mut next = Vec::new();
        for ((k, _), d) in pending.iter().zip(dates) {
            match d {
                Some(d) if asks[*k].except.contains(&d) => {
                    if let Some(p) = d.pred_opt() {
                        next.push((*k, p));
                    }
                }
                other => found[*k] = other,
            }
        }
        pending = next;
    }
    for (a, ds) in asks.iter().zip(found) {
        let Some(ds) = ds else { continue };
        let input = &accounts[a.account].2;
        let di = input
            .iter()
            .copied()
            .filter(|d| *d <= a.cut && *d != a.from)
            .max();
        let mine = &mut needed[a.account];
        if di.is_none_or(|di| ds > di) && ds != a.from && !mine.contains(&ds) {
            mine.push(ds);
        }
    }
    Ok(())
}

/// A store `vital run` cannot write to: which, why, and that nothing was
/// recorded (the run stops before scoring).
fn cannot_record(location: &str, e: vital_store::StoreError) -> String {
    let e = e.to_string();
    let hint = if e.contains("readonly database") {
        " (the file, or its directory, is read-only: `vital run` writes the night into the store)"
    } else if e.contains("permission denied") {
        " (the PostgreSQL role may read the store but not write to it)"
    } else {
        ""
    };
    format!("cannot record into the history store {location}: {e}{hint}; nothing was recorded")
}

/// The groups of a batch whose accounts the store knows: (group, id,
/// input dates).
type KnownAccounts = Vec<(usize, i64, Vec<NaiveDate>)>;

/// The store's ids of the accounts of a batch's groups (those it knows):
/// one statement per batch, for `vital run`, the read-only commands and
/// the report's movers.
pub(crate) fn known_ids(
    store: &mut Store,
    groups: &[Vec<Snapshot>],
) -> Result<HashMap<String, i64>, String> {
    let names: Vec<&str> = groups
        .iter()
        .filter_map(|g| g.first().map(|s| &*s.account))
        .collect();
    store.find_accounts(&names).map_err(|e| e.to_string())
}

/// Add to each group the stored snapshots its `previous`/`change` reach,
/// unless the input has one at least as recent (docs/history.md, "History
/// in evaluation"): a few statements for the whole batch. `ids` are the
/// accounts the store knows; the stored snapshots the rules reject are
/// counted in `unusable`. One implementation for `vital run`, `vital
/// explain` and `vital diff`.
fn add_stored(
    store: &mut Store,
    schema: &Schema<'_>,
    lookbacks: &Lookbacks,
    groups: &mut [Vec<Snapshot>],
    ids: &HashMap<String, i64>,
    unusable: &mut Unusable,
) -> Result<KnownAccounts, String> {
    let e = |e: vital_store::StoreError| e.to_string();
    let accounts: KnownAccounts = groups
        .iter()
        .enumerate()
        .filter_map(|(g, group)| {
            let aid = *ids.get(&*group.first()?.account)?;
            Some((g, aid, group.iter().map(|s| s.as_of).collect()))
        })
        .collect();
    // level 1: what every input snapshot reaches
    let mut needed: Vec<Vec<NaiveDate>> = vec![Vec::new(); accounts.len()];
    let mut asks: Vec<Reach> = Vec::new();
    for (k, (_, _, input)) in accounts.iter().enumerate() {
        for t in input {
            for d in &lookbacks.all {
                if let Some(cut) = d.before(*t) {
                    asks.push(Reach {
                        account: k,
                        from: *t,
                        cut,
                        except: input.clone(),
                    });
                }
            }
        }
    }
    reach(store, &accounts, &asks, &mut needed)?;
    // level 2: the snapshots the reached ones need for their scores
    if lookbacks.reads_scores && !lookbacks.in_scores.is_empty() {
        let mut asks: Vec<Reach> = Vec::new();
        for (k, (_, _, input)) in accounts.iter().enumerate() {
            for ds in &needed[k] {
                for d in &lookbacks.in_scores {
                    if let Some(cut) = d.before(*ds) {
                        let mut except = input.clone();
                        except.push(*ds);
                        asks.push(Reach {
                            account: k,
                            from: *ds,
                            cut,
                            except,
                        });
                    }
                }
            }
        }
        reach(store, &accounts, &asks, &mut needed)?;
    }
    let wants: Vec<(i64, NaiveDate)> = accounts
        .iter()
        .zip(&needed)
        .flat_map(|((_, aid, _), ds)| ds.iter().map(move |d| (*aid, *d)))
        .collect();
    let mut stored = store.snapshots_of(&wants).map_err(e)?.into_iter();
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for ((g, _, _), ds) in accounts.iter().zip(&needed) {
        let account = match groups[*g].first() {
            Some(s) => s.account.clone(),
            None => continue,
        };
        for _ in ds {
            let Some(Some(s)) = stored.next() else {
                continue;
            };
            match codec::decode_or_why(schema, &account, &s) {
                Ok(snap) => groups[*g].push(snap),
                Err(why) => unreadable.push((account.clone(), s.as_of, why)),
            }
        }
    }
    unusable.add(unreadable);
    Ok(accounts)
}

/// The stored history a command that only reads (`vital explain`, `vital
/// diff`) adds to its input, so that its `previous`/`change` see what the
/// nightly `vital run` with the same store sees (docs/history.md, "Other
/// commands").
pub struct StoredHistory {
    store: Store,
    lookbacks: Lookbacks,
    unusable: Unusable,
}

impl StoredHistory {
    /// The store of `--history`, else of vital.toml; `reach` are the rule
    /// sets whose `previous`/`change` are answered (`vital diff` reads one
    /// store for both sides). `None` without a store, when
    /// those rules look back at nothing (the store is not opened), or when
    /// vital.toml's SQLite file does not exist yet (no run has recorded
    /// anything: a run would see no history either; a note says so). A
    /// `--history` that does not exist is an error.
    pub fn open(flag: Option<&str>, reach: &[&RuleSet]) -> Result<Option<StoredHistory>, String> {
        let lookbacks = Lookbacks::of_all(reach);
        if lookbacks.all.is_empty() {
            return Ok(None);
        }
        let Some((loc, base)) = location_to_read(flag)? else {
            return Ok(None);
        };
        let store = Store::open_existing(&loc, &base, wait()).map_err(|e| e.to_string())?;
        Ok(Some(StoredHistory {
            store,
            lookbacks,
            unusable: Unusable::default(),
        }))
    }

    /// Add to each group the stored snapshots its `previous`/`change`
    /// reach (marked as stored: `codec::is_stored`), read back as `rules`
    /// read records.
    pub fn add(&mut self, rules: &RuleSet, groups: &mut [Vec<Snapshot>]) -> Result<(), String> {
        let ids = known_ids(&mut self.store, groups)?;
        add_stored(
            &mut self.store,
            &Schema::new(rules),
            &self.lookbacks,
            groups,
            &ids,
            &mut self.unusable,
        )?;
        Ok(())
    }

    /// The warning about stored snapshots the rules reject, if any.
    pub fn warn(&self, errors: &mut dyn Write) {
        self.unusable.warn(errors);
    }
}

impl<'a> History<'a> {
    /// Open the store for a run and start its transaction; `None` without
    /// a store.
    pub fn open(
        flag: Option<&str>,
        engine: &'a Engine<'a>,
        sources: &'a SourceMap,
        inputs: Vec<String>,
    ) -> Result<Option<History<'a>>, String> {
        let Some(mut store) = open_store(flag)? else {
            return Ok(None);
        };
        let mut reader = open_store(flag)?.ok_or("the history store went away")?;
        let (ruleset_hash, git_commit) = ruleset_version(sources);
        let scores: Vec<&str> = engine
            .rules
            .scores
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        // the first writes: a store the run may read but not write (a
        // read-only file, a PostgreSQL role without the right) stops here
        let location = reader.location.clone();
        let cannot = |e: vital_store::StoreError| cannot_record(&location, e);
        store.ready_scores(&scores).map_err(cannot)?;
        store.begin().map_err(cannot)?;
        let run = store
            .start_run(&RunInfo {
                started_at: chrono::Utc::now(),
                ruleset_hash,
                git_commit,
                inputs,
            })
            .map_err(cannot)?;
        let nights_before = reader.nights().map_err(|e| e.to_string())?;
        let store = Arc::new(Mutex::new(store));
        let writer = Writer::start(Arc::clone(&store), run);
        Ok(Some(History::with(
            store,
            reader,
            Some((writer, run, nights_before)),
            engine,
            sources,
        )))
    }

    /// The store as history for a command that records nothing (`vital
    /// summary FILE`, `vital report`): the stored snapshots and results it
    /// reads as a run would, but no run started, no transaction taken (a
    /// nightly run recording meanwhile is not waited for) and no column
    /// added for a score the store has not seen (its stored values are
    /// missing). vital.toml's store that does not exist yet is no history,
    /// and is not created; one named with `--history` must exist.
    pub fn open_read_only(
        flag: Option<&str>,
        engine: &'a Engine<'a>,
        sources: &'a SourceMap,
    ) -> Result<Option<History<'a>>, String> {
        let Some((loc, base)) = location_to_read(flag)? else {
            return Ok(None);
        };
        let open = || Store::open_existing(&loc, &base, wait()).map_err(|e| e.to_string());
        let (store, reader) = (open()?, open()?);
        Ok(Some(History::with(
            Arc::new(Mutex::new(store)),
            reader,
            None,
            engine,
            sources,
        )))
    }

    /// `recording`: a run's writer, its id and the nights the store held
    /// before it; `None` for a reading command.
    fn with(
        store: Arc<Mutex<Store>>,
        reader: Store,
        recording: Option<(Writer, i64, Vec<NaiveDate>)>,
        engine: &'a Engine<'a>,
        sources: &'a SourceMap,
    ) -> History<'a> {
        let (writer, run, nights_before) = match recording {
            Some((w, run, nights)) => (Some(w), run, nights),
            None => (None, 0, Vec::new()),
        };
        History {
            store,
            reader: Mutex::new(reader),
            recording: writer.is_some(),
            writer: Mutex::new(writer),
            run,
            engine,
            sources,
            schema: Schema::new(engine.rules),
            lookbacks: Lookbacks::of(engine.rules),
            prior: Mutex::new(HashMap::new()),
            sink: Mutex::new(Vec::new()),
            known: Mutex::new(HashMap::new()),
            unusable: Mutex::new(Unusable::default()),
            playbooks: Playbooks::of(engine),
            failed: Mutex::new(None),
            nights_before,
            dates: Mutex::new(std::collections::BTreeSet::new()),
        }
    }

    /// Add to each group the stored snapshots its `previous`/`change`
    /// reach, and look up each account's previous stored results: a few
    /// statements for the whole batch (docs/history.md, performance).
    pub fn prepare(&self, groups: &mut [Vec<Snapshot>]) -> Result<(), String> {
        let mut store = self.reader.lock().map_err(|_| "the store is poisoned")?;
        // this batch's, added to `self.prior` at the end: the batch before
        // may be settling meanwhile (its accounts are not this batch's)
        let mut prior: HashMap<Arc<str>, Prior> = HashMap::new();
        let e = |e: vital_store::StoreError| e.to_string();
        let ids = known_ids(&mut store, groups)?;
        // the writer records these accounts' nights: it need not look their
        // ids up again
        if let Ok(mut known) = self.known.lock() {
            known.extend(ids.iter().map(|(n, i)| (n.clone(), *i)));
        }
        let mut unusable = Unusable::default();
        let accounts = add_stored(
            &mut store,
            &self.schema,
            &self.lookbacks,
            groups,
            &ids,
            &mut unusable,
        )?;
        let asks: Vec<(i64, NaiveDate)> = accounts
            .iter()
            .flat_map(|(_, aid, input)| input.iter().map(move |t| (*aid, *t)))
            .collect();
        let mut previous = store.previous_results(&asks).map_err(e)?.into_iter();
        for (g, _, input) in &accounts {
            let mut mine: Prior = Vec::new();
            for t in input {
                let p = previous.next().flatten();
                mine.push((
                    *t,
                    p.map(|(d, names)| {
                        let idx = names
                            .iter()
                            .filter_map(|n| self.engine.playbooks.iter().position(|p| p == n))
                            .map(|i| i as u32)
                            .collect();
                        (d, idx)
                    }),
                ));
            }
            if let Some(s) = groups[*g].first() {
                prior.insert(s.account.clone(), mine);
            }
        }
        if let Ok(mut u) = self.unusable.lock() {
            u.merge(unusable);
        }
        self.prior
            .lock()
            .map_err(|_| "the store is poisoned")?
            .extend(prior);
        Ok(())
    }

    /// After a group was evaluated (in a worker): `started` against the
    /// stored previous result when that is later than the group's own, and
    /// what to record.
    pub fn settle(&self, group: &[Snapshot], outcomes: &mut [Outcome]) {
        let prior: Option<Prior> = group
            .first()
            .and_then(|s| self.prior.lock().ok()?.remove(&s.account));
        for (i, snap) in group.iter().enumerate() {
            if codec::is_stored(snap) {
                continue;
            }
            let earlier_input = group
                .iter()
                .filter(|s| !codec::is_stored(s) && s.as_of < snap.as_of)
                .map(|s| s.as_of)
                .max();
            let stored = prior
                .as_ref()
                .and_then(|p| p.iter().find(|(t, _)| *t == snap.as_of))
                .and_then(|(_, p)| p.clone());
            if let Some((ds, triggered)) = stored {
                if earlier_input.is_none_or(|di| ds > di) {
                    let o = &mut outcomes[i];
                    o.started = o
                        .triggered
                        .iter()
                        .copied()
                        .filter(|p| !triggered.contains(p))
                        .collect();
                }
            }
        }
        // cooldowns: against the starts decided here for the input's
        // snapshots, and those the store holds for other dates
        if self.playbooks.any_cooldown() {
            let input: Vec<NaiveDate> = group
                .iter()
                .filter(|s| !codec::is_stored(s))
                .map(|s| s.as_of)
                .collect();
            let account = group.first().map(|s| s.account.clone());
            self.playbooks.apply(
                group,
                outcomes,
                |i| !codec::is_stored(&group[i]),
                |p, before| {
                    let account = account.as_deref()?;
                    let playbook = self.engine.playbooks.get(p as usize)?;
                    self.last_start(account, playbook, before, &input)
                },
            );
        }
        if !self.recording {
            return;
        }
        if let Ok(mut dates) = self.dates.lock() {
            dates.extend(
                group
                    .iter()
                    .filter(|s| !codec::is_stored(s))
                    .map(|s| s.as_of),
            );
        }
        // the rules that started each playbook, with what they read
        let needs_explain = group
            .iter()
            .zip(outcomes.iter())
            .any(|(s, o)| !codec::is_stored(s) && !o.started.is_empty() && o.explain.is_none());
        let explained: Option<Vec<Outcome>> =
            needs_explain.then(|| self.engine.evaluate_group(group, true));
        let mut records = Vec::new();
        for (i, (snap, o)) in group.iter().zip(outcomes.iter()).enumerate() {
            if codec::is_stored(snap) {
                continue;
            }
            let ex = o
                .explain
                .as_ref()
                .or_else(|| explained.as_ref().and_then(|e| e[i].explain.as_ref()));
            records.push(self.recorded(snap, o, ex));
        }
        if let Ok(mut sink) = self.sink.lock() {
            sink.extend(records);
        }
    }

    /// The latest start of `playbook` the store holds for `account` before
    /// `before`, on a date the input does not have (the input's starts are
    /// decided in this run) or, on one it has, delivered (a delivered start
    /// stays when a rerun no longer starts it). A store error is kept for
    /// [`History::flush`].
    fn last_start(
        &self,
        account: &str,
        playbook: &str,
        mut before: NaiveDate,
        input: &[NaiveDate],
    ) -> Option<NaiveDate> {
        let mut store = self.reader.lock().ok()?;
        loop {
            match store.last_start(account, playbook, before) {
                // a stored start on a date the input holds is this run's to
                // decide again — unless it was delivered: someone was told,
                // so it happened (docs/history.md), and it counts as it
                // does for a run of the next night alone
                Ok(Some((d, false))) if input.contains(&d) => before = d,
                Ok(found) => return found.map(|(d, _)| d),
                Err(e) => {
                    if let Ok(mut failed) = self.failed.lock() {
                        failed.get_or_insert_with(|| e.to_string());
                    }
                    return None;
                }
            }
        }
    }

    fn recorded(
        &self,
        snap: &Snapshot,
        o: &Outcome,
        ex: Option<&vital_eval::engine::Explain>,
    ) -> Recorded {
        let engine = self.engine;
        let rules = engine.rules;
        let name = |p: &u32| {
            engine
                .playbooks
                .get(*p as usize)
                .cloned()
                .unwrap_or_default()
        };
        let status = |s: Option<vital_check::ir::ArmId>| {
            s.and_then(|a| rules.status.get(a.index()))
                .map(|a| a.name.clone())
        };
        let mut scores = String::from("{");
        for (k, (s, v)) in rules.scores.iter().zip(&o.scored.scores).enumerate() {
            if k > 0 {
                scores.push_str(", ");
            }
            vital_eval::results::json_str(&mut scores, &s.name);
            scores.push_str(": ");
            match v {
                Some(v) => scores.push_str(&format!("{v:.1}")),
                None => scores.push_str("null"),
            }
        }
        scores.push('}');
        let starts = o
            .started
            .iter()
            .map(|p| {
                let fired = ex.and_then(|ex| {
                    ex.fired
                        .iter()
                        .find(|f| engine.rules.triggers[f.rule].playbook == name(p))
                });
                let trigger = fired.map(|f| &rules.triggers[f.rule]);
                StartRow {
                    playbook: name(p),
                    owner: self.playbooks.owner(rules, snap, *p),
                    rule: trigger.and_then(|t| t.name.clone()),
                    source: trigger.map(|t| vital_eval::results::locate(self.sources, t.loc)),
                    reads: match (fired, trigger) {
                        (Some(f), Some(t)) => f
                            .seen
                            .iter()
                            .map(|s| {
                                vital_eval::explain::seen_text(engine, self.sources, t.loc.file, s)
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        Recorded {
            account: snap.account.to_string(),
            as_of: snap.as_of,
            signals: codec::signals_json(rules, snap),
            override_: codec::override_json(rules, snap),
            events: codec::events_json(rules, snap),
            result: ResultRow {
                health: o.scored.health.map(vital_check::value::to_f64),
                status: status(o.status),
                computed_status: status(o.computed_status),
                scores,
                triggered: o.triggered.iter().map(name).collect(),
                started: o.started.iter().map(name).collect(),
            },
            starts,
        }
    }

    /// Hand what the batch's workers computed to the writer thread (it
    /// records it while the next batch is read and evaluated).
    /// The store's location, for messages (password hidden).
    pub fn location(&self) -> String {
        self.store
            .lock()
            .map(|s| s.location.clone())
            .unwrap_or_default()
    }

    pub fn flush(&self) -> Result<(), String> {
        if let Some(e) = self.failed.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        let records = std::mem::take(&mut *self.sink.lock().map_err(|_| "the store is poisoned")?);
        let ids: Vec<(String, i64)> = {
            let mut known = self.known.lock().map_err(|_| "the store is poisoned")?;
            records
                .iter()
                .filter_map(|r| known.remove_entry(&r.account))
                .collect()
        };
        let mut writer = self.writer.lock().map_err(|_| "the store is poisoned")?;
        let sent = match writer.as_ref() {
            Some(w) => w.send.send((records, ids)).is_ok(),
            None => false,
        };
        if !sent {
            // the writer stopped at an error: that error
            return match writer.take() {
                Some(w) => w.finish().and(Err("recording the run failed".into())),
                None => Err("recording the run failed".into()),
            };
        }
        Ok(())
    }

    /// Finish the run: its counts, then commit. Prints the stale accounts
    /// (their latest snapshot more than `[history] stale_after` days before
    /// the run's latest `as_of`) on stderr.
    pub fn commit(
        &self,
        records: usize,
        rejected: usize,
        errors: &mut dyn Write,
    ) -> Result<(), String> {
        let writer = self
            .writer
            .lock()
            .map_err(|_| "the store is poisoned")?
            .take();
        let recorded = match writer {
            Some(w) => w.finish()?,
            None => return Err("recording the run failed".into()),
        };
        let unusable = self.unusable.lock().map(|u| u.clone()).unwrap_or_default();
        let mut store = self.store.lock().map_err(|_| "the store is poisoned")?;
        let counts = RunCounts {
            records: records as u64,
            accepted: records.saturating_sub(rejected) as u64,
            rejected: rejected as u64,
            results: recorded,
        };
        store
            .finish_run(self.run, counts, chrono::Utc::now())
            .map_err(|e| e.to_string())?;
        let days = crate::commands::history::stale_after_days()
            .unwrap_or(vital_project::DEFAULT_STALE_AFTER_DAYS);
        let latest = store.recorded_latest();
        let stale = match latest {
            Some(latest) => store.stale(latest, days).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        // nights backfilled before nights already recorded: the later
        // nights' starts were decided without them
        let backfilled: Vec<NaiveDate> = match (self.nights_before.last(), self.dates.lock()) {
            (Some(last), Ok(dates)) => dates
                .iter()
                .filter(|d| *d < last && self.nights_before.binary_search(d).is_err())
                .copied()
                .collect(),
            _ => Vec::new(),
        };
        let mut later = 0;
        for d in &backfilled {
            later += store
                .later_starts(self.run, *d)
                .map_err(|e| e.to_string())?;
        }
        store.commit().map_err(|e| e.to_string())?;
        if later > 0 {
            let nights: Vec<String> = backfilled.iter().map(|d| d.to_string()).collect();
            let _ = writeln!(
                errors,
                "note: {later} playbook start{} recorded for later nights {} decided without the backfilled {} {}: run those nights again to decide them with {} (docs/history.md, \"Backfills\")",
                if later == 1 { "" } else { "s" },
                if later == 1 { "was" } else { "were" },
                if nights.len() == 1 { "night" } else { "nights" },
                nights.join(", "),
                if nights.len() == 1 { "it" } else { "them" },
            );
        }
        unusable.warn(errors);
        if !stale.is_empty() {
            let shown: Vec<String> = stale
                .iter()
                .take(10)
                .map(|(a, d)| format!("{a} ({})", d.format("%Y-%m-%d")))
                .collect();
            let more = if stale.len() > 10 {
                format!(" and {} more", stale.len() - 10)
            } else {
                String::new()
            };
            let _ = writeln!(
                errors,
                "note: {} account{} in the history store {} no snapshot within {days} days of {}: {}{more} (`vital history --stale`)",
                stale.len(),
                if stale.len() == 1 { "" } else { "s" },
                if stale.len() == 1 { "has" } else { "have" },
                latest.map_or(String::new(), |d| d.format("%Y-%m-%d").to_string()),
                shown.join(", ")
            );
        }
        let _ = writeln!(
            errors,
            "recorded {} result{} in the history store {}",
            vital_input::thousands(recorded as usize),
            if recorded == 1 { "" } else { "s" },
            store.location
        );
        Ok(())
    }
}
