//! The history store's suite, run against SQLite and against a real
//! PostgreSQL server (`VITAL_TEST_PG_URL`, set by `.ci/run` through
//! `.ci/postgres.sh`; without it the PostgreSQL half is skipped with a
//! notice).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pg.rs"]
mod pg;

use chrono::{NaiveDate, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use vital_store::{Recorded, ResultRow, RunCounts, RunInfo, StartRow, Store};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn day(n: i64) -> NaiveDate {
    d("2026-01-01") + chrono::TimeDelta::days(n)
}

/// Where one test's store lives.
struct Target {
    location: String,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    fn sqlite() -> Target {
        let dir = tempfile::tempdir().unwrap();
        Target {
            location: dir.path().join("h/history.db").display().to_string(),
            _dir: Some(dir),
        }
    }

    fn postgres(name: &str) -> Option<Target> {
        Some(Target {
            location: pg::fresh_database(&format!("store_{name}"))?,
            _dir: None,
        })
    }

    fn open(&self) -> Store {
        self.open_wait(Duration::from_secs(30))
    }

    fn open_wait(&self, wait: Duration) -> Store {
        Store::open(&self.location, Path::new("."), wait).unwrap()
    }
}

fn info() -> RunInfo {
    RunInfo {
        started_at: Utc::now(),
        ruleset_hash: "sha256:test".into(),
        git_commit: None,
        inputs: vec!["night.jsonl".into()],
    }
}

/// A distinct event for each `i`.
fn ev(i: u32) -> String {
    format!(
        "{{\"type\": \"ticket_opened\", \"at\": \"{}\", \"severity\": \"low\"}}",
        day(-1 - i64::from(i))
    )
}

fn rec(account: &str, as_of: NaiveDate, events: &[(String, i64)], triggered: &[&str]) -> Recorded {
    Recorded {
        account: account.into(),
        as_of,
        signals: format!("{{\"seats\": {}}}", as_of.format("%-d")),
        override_: None,
        events: events.to_vec(),
        result: ResultRow {
            health: Some(72.5),
            status: Some("fine".into()),
            computed_status: Some("fine".into()),
            scores: "{\"adoption\": 72.5}".into(),
            triggered: triggered.iter().map(|s| s.to_string()).collect(),
            started: triggered.iter().map(|s| s.to_string()).collect(),
        },
        starts: triggered
            .iter()
            .map(|p| StartRow {
                playbook: p.to_string(),
                owner: Some("dana".into()),
                rule: None,
                source: Some("rules/a.vital:3:1".into()),
                reads: vec!["saw seats = 3".into()],
            })
            .collect(),
    }
}

/// One run recording `recs`, committed.
fn run(store: &mut Store, recs: &[Recorded]) {
    store.begin().unwrap();
    let id = store.start_run(&info()).unwrap();
    for r in recs {
        store.record(id, r).unwrap();
    }
    store
        .finish_run(id, RunCounts::default(), Utc::now())
        .unwrap();
    store.commit().unwrap();
}

fn sorted(mut v: Vec<(String, i64)>) -> Vec<(String, i64)> {
    for (e, _) in &mut v {
        *e = vital_store::normalize_json(e);
    }
    v.sort();
    v
}

fn count(store: &mut Store, table: &str) -> i64 {
    store
        .query(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()[0][0]
        .int()
        .unwrap()
}

// ------------------------------------------------------------------ the suite

fn records_a_run(t: &Target) {
    let mut s = t.open();
    assert_eq!(s.version().unwrap(), vital_store::schema::VERSION);
    let events = vec![(ev(1), 1), (ev(2), 2)];
    run(&mut s, &[rec("acme", day(0), &events, &["risk review"])]);
    let snap = s.snapshot("acme", day(0)).unwrap().unwrap();
    assert_eq!(sorted(snap.events), sorted(events));
    assert_eq!(vital_store::normalize_json(&snap.signals), "{\"seats\": 1}");
    let h = s.history("acme").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].health, Some(72.5));
    assert_eq!(h[0].triggered, vec!["risk review".to_string()]);
    assert_eq!(h[0].started, Some(vec!["risk review".to_string()]));
    assert_eq!(h[0].ruleset_hash, "sha256:test");
    let starts = s.starts(None).unwrap();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].owner.as_deref(), Some("dana"));
    assert_eq!(count(&mut s, "runs"), 1);
}

/// A model of what each snapshot carries, against random nights: appended
/// nights, reruns of the latest, backfills and reruns of older nights.
fn events_mean_what_was_recorded(t: &Target) {
    let mut s = t.open();
    let mut model: BTreeMap<NaiveDate, Vec<(String, i64)>> = BTreeMap::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut live: Vec<u32> = (0..12).collect();
    for step in 0..60 {
        // the export's window moves: one event drops out, one comes in
        if rnd(3) > 0 {
            live.remove(rnd(live.len() as u64) as usize);
            live.push(100 + step);
        }
        let events: Vec<(String, i64)> = live
            .iter()
            .map(|i| (ev(*i), if i % 5 == 0 { 2 } else { 1 }))
            .collect();
        let date = match rnd(10) {
            0 if !model.is_empty() => *model.keys().next_back().unwrap(), // rerun latest
            1 if model.len() > 2 => *model.keys().nth(rnd(model.len() as u64) as usize).unwrap(), // rerun older
            2 if model.len() > 2 => {
                // backfill a missing older night
                let first = *model.keys().next().unwrap();
                let last = *model.keys().next_back().unwrap();
                let span = (last - first).num_days();
                first + chrono::TimeDelta::days(rnd(span.max(1) as u64) as i64)
            }
            _ => model
                .keys()
                .next_back()
                .map_or(day(0), |l| *l + chrono::TimeDelta::days(1 + rnd(2) as i64)),
        };
        let events = if rnd(4) == 0 {
            // a night whose export lost some events
            events.into_iter().filter(|_| rnd(2) == 0).collect()
        } else {
            events
        };
        run(&mut s, &[rec("acme", date, &events, &[])]);
        model.insert(date, events);
        for (date, want) in &model {
            let got = s.snapshot("acme", *date).unwrap().unwrap();
            assert_eq!(
                sorted(got.events),
                sorted(want.clone()),
                "step {step}: events of the {date} snapshot"
            );
        }
        // all of them at once, as a run asks (one range of event rows for
        // the account, shared out among its dates), and a date with none
        let aid = s.find_account("acme").unwrap().unwrap();
        let mut wants: Vec<(i64, NaiveDate)> = model.keys().rev().map(|d| (aid, *d)).collect();
        wants.insert(1, (aid, day(-5)));
        let all = s.snapshots_of(&wants).unwrap();
        assert!(all[1].is_none());
        assert_eq!(all.iter().flatten().count(), model.len());
        for ((_, date), got) in wants.iter().zip(all) {
            if let Some(got) = got {
                assert_eq!(
                    sorted(got.events),
                    sorted(model[date].clone()),
                    "step {step}: events of the {date} snapshot, asked with the others"
                );
            }
        }
    }
    assert_eq!(count(&mut s, "snapshots"), model.len() as i64);
}

/// Signals stored as a difference from a key snapshot read back whole,
/// through `snapshot` and through the `snapshot_signals` view, against
/// random nights: appended nights (most signals unchanged), reruns of the
/// latest and of older nights, backfills, signals that go missing and come
/// back, and a prune that takes key snapshots away.
fn signals_mean_what_was_recorded(t: &Target) {
    let mut s = t.open();
    let mut model: BTreeMap<NaiveDate, String> = BTreeMap::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut values: Vec<Option<u64>> = (0..8).map(|i| Some(i * 100)).collect();
    let check = |s: &mut Store, model: &BTreeMap<NaiveDate, String>, step: usize| {
        for (date, want) in model {
            let got = s.snapshot("acme", *date).unwrap().unwrap();
            assert_eq!(
                vital_store::normalize_json(&got.signals),
                vital_store::normalize_json(want),
                "step {step}: signals of the {date} snapshot"
            );
            let view = s
                .query(
                    "SELECT v.signals FROM snapshot_signals v JOIN accounts a ON a.id = v.account_id \
                     WHERE a.name = 'acme' AND v.as_of = $1",
                    &[vital_store::db::Param::Date(*date)],
                )
                .unwrap();
            assert_eq!(
                vital_store::normalize_json(&view[0][0].text().unwrap()),
                vital_store::normalize_json(want),
                "step {step}: snapshot_signals of the {date} snapshot"
            );
        }
    };
    for step in 0..50 {
        // one or two signals move a night; now and then one goes missing
        for _ in 0..1 + rnd(2) {
            // the same few signals move most nights (usage, logins)
            let k = if rnd(4) == 0 {
                rnd(values.len() as u64) as usize
            } else {
                rnd(2) as usize
            };
            values[k] = match rnd(6) {
                0 => None,
                _ => Some(rnd(1000)),
            };
        }
        let mut signals = String::from("{");
        for (k, v) in values.iter().enumerate() {
            if let Some(v) = v {
                if signals.len() > 1 {
                    signals.push_str(", ");
                }
                signals.push_str(&format!("\"signal_{k}\": {v}.5"));
            }
        }
        signals.push('}');
        let date = match rnd(8) {
            0 if !model.is_empty() => *model.keys().next_back().unwrap(),
            1 if model.len() > 2 => *model.keys().nth(rnd(model.len() as u64) as usize).unwrap(),
            2 if model.len() > 2 => {
                let first = *model.keys().next().unwrap();
                let last = *model.keys().next_back().unwrap();
                first + chrono::TimeDelta::days(rnd((last - first).num_days().max(1) as u64) as i64)
            }
            _ => model
                .keys()
                .next_back()
                .map_or(day(0), |l| *l + chrono::TimeDelta::days(1 + rnd(2) as i64)),
        };
        let mut r = rec("acme", date, &[], &[]);
        r.signals = signals.clone();
        run(&mut s, &[r]);
        model.insert(date, signals);
        check(&mut s, &model, step);
    }
    // many nights were stored as a difference
    let deltas = s
        .query(
            "SELECT count(*) FROM snapshots WHERE signals_base IS NOT NULL",
            &[],
        )
        .unwrap()[0][0]
        .int()
        .unwrap();
    assert!(
        deltas * 4 > model.len() as i64,
        "{deltas} of {}",
        model.len()
    );
    // a prune takes key snapshots away; the snapshots kept still read whole
    let cut = *model.keys().nth(model.len() / 2).unwrap();
    s.prune_before(cut).unwrap();
    model.retain(|d, _| *d >= cut);
    check(&mut s, &model, 999);
    assert_eq!(count(&mut s, "snapshots"), model.len() as i64);
}

/// Nightly snapshots that repeat most events store each once.
fn events_are_not_repeated_every_night(t: &Target) {
    let mut s = t.open();
    for n in 0..30u32 {
        let events: Vec<(String, i64)> = (n..n + 12).map(|i| (ev(i + 1000), 1)).collect();
        run(&mut s, &[rec("acme", day(n.into()), &events, &[])]);
    }
    // 12 at first, then one new event a night
    assert_eq!(count(&mut s, "events"), 12 + 29);
    let snap = s.snapshot("acme", day(10)).unwrap().unwrap();
    assert_eq!(snap.events.len(), 12);
    // nights that carry yesterday's events again, in another order (their
    // rows are left as they are, unread), then one that drops two of them
    let last: Vec<(String, i64)> = (29..41).map(|i| (ev(i + 1000), 1)).collect();
    for n in 30..33u32 {
        let mut shuffled = last.clone();
        shuffled.rotate_left(n as usize % 5 + 1);
        run(&mut s, &[rec("acme", day(n.into()), &shuffled, &[])]);
    }
    run(&mut s, &[rec("acme", day(33), &last[2..], &[])]);
    assert_eq!(count(&mut s, "events"), 12 + 29);
    for n in 29..33 {
        let snap = s.snapshot("acme", day(n)).unwrap().unwrap();
        assert_eq!(sorted(snap.events), sorted(last.clone()), "night {n}");
    }
    let snap = s.snapshot("acme", day(33)).unwrap().unwrap();
    assert_eq!(sorted(snap.events), sorted(last[2..].to_vec()));
}

fn rerun_replaces_the_night(t: &Target) {
    let mut s = t.open();
    run(&mut s, &[rec("acme", day(0), &[(ev(1), 1)], &["a"])]);
    run(&mut s, &[rec("acme", day(1), &[(ev(1), 1)], &["a", "b"])]);
    run(&mut s, &[rec("acme", day(1), &[(ev(2), 1)], &["c"])]);
    assert_eq!(count(&mut s, "snapshots"), 2);
    assert_eq!(count(&mut s, "results"), 2);
    let h = s.history("acme").unwrap();
    assert_eq!(h[1].triggered, vec!["c".to_string()]);
    let snap = s.snapshot("acme", day(1)).unwrap().unwrap();
    assert_eq!(sorted(snap.events), sorted(vec![(ev(2), 1)]));
    let starts: Vec<String> = s
        .starts(Some(day(1)))
        .unwrap()
        .into_iter()
        .map(|s| s.playbook)
        .collect();
    assert_eq!(starts, vec!["c".to_string()]);
}

fn an_interrupted_run_leaves_the_store_as_it_was(t: &Target) {
    let mut s = t.open();
    run(&mut s, &[rec("acme", day(0), &[(ev(1), 1)], &["a"])]);
    s.begin().unwrap();
    let id = s.start_run(&info()).unwrap();
    s.record(id, &rec("acme", day(0), &[(ev(2), 1)], &["b"]))
        .unwrap();
    s.record(id, &rec("globex", day(0), &[(ev(3), 1)], &[]))
        .unwrap();
    drop(s); // the process dies: no commit
    let mut s = t.open();
    assert_eq!(count(&mut s, "runs"), 1);
    assert_eq!(count(&mut s, "accounts"), 1);
    let snap = s.snapshot("acme", day(0)).unwrap().unwrap();
    assert_eq!(sorted(snap.events), sorted(vec![(ev(1), 1)]));
    s.begin().unwrap();
    let id = s.start_run(&info()).unwrap();
    s.record(id, &rec("globex", day(0), &[], &[])).unwrap();
    s.rollback();
    assert!(s.find_account("globex").unwrap().is_none());
    assert_eq!(count(&mut s, "runs"), 1);
}

fn concurrent_runs_wait_or_fail_clearly(t: &Target) {
    let mut first = t.open();
    first.begin().unwrap();
    let id = first.start_run(&info()).unwrap();
    first.record(id, &rec("acme", day(0), &[], &[])).unwrap();
    // a second writer with a short wait gives up with a clear message
    let mut impatient = t.open_wait(Duration::from_millis(300));
    let e = impatient.begin().unwrap_err();
    assert!(e.busy, "{e}");
    assert!(e.message.contains("another vital run"), "{e}");
    // a patient one waits until the first commits
    let location = t.location.clone();
    let waiter = std::thread::spawn(move || {
        let mut s = Store::open(&location, Path::new("."), Duration::from_secs(30)).unwrap();
        let began = std::time::Instant::now();
        s.begin().unwrap();
        let id = s.start_run(&info()).unwrap();
        s.record(id, &rec("acme", day(1), &[], &[])).unwrap();
        s.commit().unwrap();
        began.elapsed()
    });
    std::thread::sleep(Duration::from_millis(500));
    first.commit().unwrap();
    let waited = waiter.join().unwrap();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    let mut s = t.open();
    assert_eq!(count(&mut s, "snapshots"), 2);
    assert_eq!(count(&mut s, "runs"), 2);
}

fn prune_keeps_results(t: &Target) {
    let mut s = t.open();
    for n in 0..10 {
        let events: Vec<(String, i64)> = (n..n + 3).map(|i| (ev(i as u32), 1)).collect();
        run(&mut s, &[rec("acme", day(n), &events, &[])]);
    }
    run(&mut s, &[rec("old", day(2), &[(ev(9), 1)], &[])]);
    let before: Vec<_> = (5..10)
        .map(|n| s.snapshot("acme", day(n)).unwrap().unwrap())
        .collect();
    let p = s.prune_before(day(5)).unwrap();
    assert_eq!(p.snapshots, 6);
    assert!(p.events > 0);
    // every result stays (`result_nights`: rows, and repeats of them)
    assert_eq!(count(&mut s, "result_nights"), 11);
    assert_eq!(s.history("acme").unwrap().len(), 10);
    assert!(s.snapshot("acme", day(4)).unwrap().is_none());
    for (n, b) in (5..10).zip(before) {
        let now = s.snapshot("acme", day(n)).unwrap().unwrap();
        assert_eq!(sorted(now.events), sorted(b.events));
    }
    // an account with no snapshot left keeps no events, and starts afresh
    run(&mut s, &[rec("old", day(12), &[(ev(20), 1)], &[])]);
    let snap = s.snapshot("old", day(12)).unwrap().unwrap();
    assert_eq!(sorted(snap.events), sorted(vec![(ev(20), 1)]));
    let h = s.history("acme").unwrap();
    assert_eq!(h.len(), 10);
    assert!(!h[0].has_snapshot && h[9].has_snapshot);
}

fn lookups_for_history(t: &Target) {
    let mut s = t.open();
    run(&mut s, &[rec("acme", day(0), &[], &["a"])]);
    run(&mut s, &[rec("acme", day(10), &[], &["a", "b"])]);
    run(&mut s, &[rec("acme", day(20), &[], &[])]);
    assert_eq!(
        s.snapshot_on_or_before("acme", day(15), &[]).unwrap(),
        Some(day(10))
    );
    assert_eq!(
        s.snapshot_on_or_before("acme", day(15), &[day(10)])
            .unwrap(),
        Some(day(0))
    );
    assert_eq!(s.snapshot_on_or_before("acme", day(-1), &[]).unwrap(), None);
    assert_eq!(
        s.snapshot_on_or_before("nobody", day(15), &[]).unwrap(),
        None
    );
    assert_eq!(
        s.previous_result("acme", day(20)).unwrap(),
        Some((day(10), vec!["a".to_string(), "b".to_string()]))
    );
    assert_eq!(s.previous_result("acme", day(0)).unwrap(), None);
    assert_eq!(
        s.last_start("acme", "a", day(20)).unwrap(),
        Some((day(10), false))
    );
    assert_eq!(
        s.last_start("acme", "a", day(10)).unwrap(),
        Some((day(0), false))
    );
    // a delivered start says so (a rerun keeps it, and it counts for the
    // cooldown of an input that holds its date)
    s.mark_delivered("acme", day(10), "a", chrono::Utc::now(), 1)
        .unwrap();
    assert_eq!(
        s.last_start("acme", "a", day(20)).unwrap(),
        Some((day(10), true))
    );
    run(&mut s, &[rec("globex", day(3), &[], &[])]);
    assert_eq!(s.latest_as_of().unwrap(), Some(day(20)));
    assert_eq!(
        s.stale(day(20), 7).unwrap(),
        vec![("globex".to_string(), day(3))]
    );
}

/// The batched lookups of `vital run --history` (a whole batch of
/// accounts at once) find each account's own latest night, also when it is
/// not the store's latest night (then they probe the nights one by one).
fn batched_lookups_find_each_accounts_own_night(t: &Target) {
    let mut s = t.open();
    run(
        &mut s,
        &[
            rec("acme", day(0), &[], &["a"]),
            rec("globex", day(0), &[], &["g0"]),
        ],
    );
    run(&mut s, &[rec("globex", day(5), &[], &["g5"])]);
    run(&mut s, &[rec("acme", day(10), &[], &["a", "b"])]);
    run(
        &mut s,
        &[
            rec("acme", day(20), &[], &[]),
            rec("initech", day(20), &[], &["i"]),
        ],
    );
    let ids = s.find_accounts(&["acme", "globex", "initech"]).unwrap();
    let (acme, globex, initech) = (ids["acme"], ids["globex"], ids["initech"]);
    assert_eq!(
        s.latest_on_or_before(&[
            (acme, day(15)),
            (globex, day(15)),
            (initech, day(15)),
            (acme, day(20)),
            (globex, day(4)),
            (initech, day(25)),
        ])
        .unwrap(),
        vec![
            Some(day(10)),
            Some(day(5)),
            None,
            Some(day(20)),
            Some(day(0)),
            Some(day(20))
        ]
    );
    let list = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        s.previous_results(&[
            (acme, day(20)),
            (globex, day(20)),
            (globex, day(5)),
            (initech, day(20)),
            (acme, day(10))
        ])
        .unwrap(),
        vec![
            Some((day(10), list(&["a", "b"]))),
            Some((day(5), list(&["g5"]))),
            Some((day(0), list(&["g0"]))),
            None,
            Some((day(0), list(&["a"]))),
        ]
    );
    let got: Vec<Option<NaiveDate>> = s
        .snapshots_of(&[
            (acme, day(10)),
            (globex, day(10)),
            (globex, day(5)),
            (acme, day(10)),
            (initech, day(20)),
        ])
        .unwrap()
        .into_iter()
        .map(|x| x.map(|x| x.as_of))
        .collect();
    assert_eq!(
        got,
        vec![
            Some(day(10)),
            None,
            Some(day(5)),
            Some(day(10)),
            Some(day(20))
        ]
    );
}

fn deliveries_survive_reruns(t: &Target) {
    let mut s = t.open();
    run(&mut s, &[rec("acme", day(0), &[], &["a", "b"])]);
    assert_eq!(s.undelivered().unwrap().len(), 2);
    s.mark_delivered("acme", day(0), "a", Utc::now(), 2)
        .unwrap();
    s.mark_failed("acme", day(0), "b", 3, "HTTP 503").unwrap();
    run(&mut s, &[rec("acme", day(0), &[], &["a", "b"])]);
    let und = s.undelivered().unwrap();
    assert_eq!(und.len(), 1);
    assert_eq!(und[0].playbook, "b");
    assert_eq!(und[0].attempts, 3);
    let all = s.starts(None).unwrap();
    assert_eq!(all[0].attempts, 2);
    assert!(all[0].delivered_at.is_some());
}

/// A store of schema version 1 (no starts) is migrated when opened; what
/// it held is kept.
fn migrates_a_version_1_store(t: &Target) {
    {
        let mut old = Store::open_at_version(&t.location, Path::new("."), 1).unwrap();
        assert_eq!(old.version().unwrap(), 1);
        seed_v1(&mut old);
    }
    check_migrated(&mut t.open());
}

fn seed_v1(s: &mut Store) {
    use vital_store::db::Param as P;
    s.exec(
        "INSERT INTO runs (started_at, ruleset_hash, inputs) VALUES ($1, 'sha256:old', $2)",
        &[P::Time(Utc::now()), P::Json("[\"old.jsonl\"]".into())],
    )
    .unwrap();
    s.exec("INSERT INTO accounts (name) VALUES ('acme')", &[])
        .unwrap();
    s.exec(
        "INSERT INTO snapshots (account_id, as_of, run_id, signals) VALUES (1, $1, 1, $2)",
        &[P::Date(d("2025-12-01")), P::Json("{\"seats\": 3}".into())],
    )
    .unwrap();
    s.exec(
        "INSERT INTO events (account_id, event, multiplicity, first_as_of) VALUES (1, $1, 1, $2)",
        &[P::Json(ev(1)), P::Date(d("2025-12-01"))],
    )
    .unwrap();
    s.exec(
        "INSERT INTO results (account_id, as_of, run_id, health, status, computed_status, scores, triggered) \
         VALUES (1, $1, 1, 61.5, 'fine', 'fine', $2, $3)",
        &[P::Date(d("2025-12-01")), P::Json("{\"adoption\": 61.5}".into()), P::Json("[\"risk review\"]".into())],
    )
    .unwrap();
}

fn check_migrated(s: &mut Store) {
    assert_eq!(s.version().unwrap(), vital_store::schema::VERSION);
    let h = s.history("acme").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].health, Some(61.5));
    assert_eq!(h[0].scores, "{\"adoption\": 61.5}");
    assert_eq!(
        h[0].started, None,
        "results from before starts were recorded"
    );
    assert_eq!(h[0].ruleset_hash, "sha256:old");
    let snap = s.snapshot("acme", d("2025-12-01")).unwrap().unwrap();
    assert_eq!(sorted(snap.events), sorted(vec![(ev(1), 1)]));
    // and the migrated store records runs
    run(
        s,
        &[rec(
            "acme",
            d("2025-12-02"),
            &[(ev(1), 1)],
            &["risk review"],
        )],
    );
    assert_eq!(
        s.previous_result("acme", d("2025-12-02"))
            .unwrap()
            .unwrap()
            .1,
        vec!["risk review".to_string()]
    );
    assert_eq!(s.starts(None).unwrap().len(), 1);
}

/// A store of schema version 3 (snapshots and results keyed by account
/// first, events numbered across the store) is migrated to the date-first
/// layout when opened: every snapshot keeps its signals and exactly its
/// events, every result stays, and the next night continues it.
fn migrates_a_version_3_store(t: &Target) {
    use vital_store::db::Param as P;
    {
        let mut old = Store::open_at_version(&t.location, Path::new("."), 3).unwrap();
        assert_eq!(old.version().unwrap(), 3);
        old.exec(
            "INSERT INTO runs (started_at, ruleset_hash, inputs) VALUES ($1, 'sha256:v3', $2)",
            &[P::Time(Utc::now()), P::Json("[\"v3.jsonl\"]".into())],
        )
        .unwrap();
        old.exec("INSERT INTO accounts (name) VALUES ('acme'), ('beta')", &[])
            .unwrap();
        // acme: a key snapshot, then a night stored as its difference
        for (acct, date, signals, base) in [
            (1, "2026-03-01", "{\"seats\": 3, \"arr\": 100}", None),
            (1, "2026-03-02", "{\"seats\":4}", Some("2026-03-01")),
            (2, "2026-03-02", "{\"seats\": 9}", None),
        ] {
            old.exec(
                "INSERT INTO snapshots (account_id, as_of, run_id, signals, signals_base) VALUES ($1, $2, 1, $3, $4)",
                &[
                    P::Int(acct),
                    P::Date(d(date)),
                    P::Json(signals.into()),
                    base.map_or(P::Null, |b| P::Date(d(b))),
                ],
            )
            .unwrap();
            old.exec(
                "INSERT INTO results (account_id, as_of, run_id, health, status, computed_status, scores, triggered, started) \
                 VALUES ($1, $2, 1, 50.5, 'fine', 'fine', $3, $4, $5)",
                &[
                    P::Int(acct),
                    P::Date(d(date)),
                    P::Json("{\"adoption\": 50.5}".into()),
                    P::Json("[]".into()),
                    P::Json("[]".into()),
                ],
            )
            .unwrap();
        }
        // ev(1) on both acme nights; ev(2) on the first only; ev(3) on beta
        for (acct, e, first, last) in [
            (1, ev(1), "2026-03-01", None),
            (2, ev(3), "2026-03-02", None),
            (1, ev(2), "2026-03-01", Some("2026-03-01")),
        ] {
            old.exec(
                "INSERT INTO events (account_id, event, multiplicity, first_as_of, last_as_of) VALUES ($1, $2, 1, $3, $4)",
                &[
                    P::Int(acct),
                    P::Json(e),
                    P::Date(d(first)),
                    last.map_or(P::Null, |l| P::Date(d(l))),
                ],
            )
            .unwrap();
        }
    }
    let mut s = t.open();
    assert_eq!(s.version().unwrap(), vital_store::schema::VERSION);
    assert_eq!(count(&mut s, "nights"), 2);
    let first = s.snapshot("acme", d("2026-03-01")).unwrap().unwrap();
    assert_eq!(
        vital_store::normalize_json(&first.signals),
        "{\"arr\": 100, \"seats\": 3}"
    );
    assert_eq!(sorted(first.events), sorted(vec![(ev(1), 1), (ev(2), 1)]));
    let second = s.snapshot("acme", d("2026-03-02")).unwrap().unwrap();
    assert_eq!(
        vital_store::normalize_json(&second.signals),
        "{\"arr\": 100, \"seats\": 4}",
        "the difference is applied to its key snapshot after the migration"
    );
    assert_eq!(sorted(second.events), sorted(vec![(ev(1), 1)]));
    let beta = s.snapshot("beta", d("2026-03-02")).unwrap().unwrap();
    assert_eq!(sorted(beta.events), sorted(vec![(ev(3), 1)]));
    assert_eq!(s.history("acme").unwrap().len(), 2);
    assert_eq!(s.history("beta").unwrap().len(), 1);
    assert_eq!(
        s.snapshot_on_or_before("acme", d("2026-03-05"), &[])
            .unwrap(),
        Some(d("2026-03-02"))
    );
    // the next night: ev(1) goes on, ev(2) comes back, ev(4) is new
    run(
        &mut s,
        &[
            rec(
                "acme",
                d("2026-03-03"),
                &[(ev(1), 1), (ev(2), 1), (ev(4), 1)],
                &[],
            ),
            rec("beta", d("2026-03-03"), &[], &[]),
        ],
    );
    let third = s.snapshot("acme", d("2026-03-03")).unwrap().unwrap();
    assert_eq!(
        sorted(third.events),
        sorted(vec![(ev(1), 1), (ev(2), 1), (ev(4), 1)])
    );
    let second = s.snapshot("acme", d("2026-03-02")).unwrap().unwrap();
    assert_eq!(sorted(second.events), sorted(vec![(ev(1), 1)]));
    let beta = s.snapshot("beta", d("2026-03-02")).unwrap().unwrap();
    assert_eq!(sorted(beta.events), sorted(vec![(ev(3), 1)]));
    assert!(s
        .snapshot("beta", d("2026-03-03"))
        .unwrap()
        .unwrap()
        .events
        .is_empty());
    assert_eq!(
        s.previous_result("acme", d("2026-03-03"))
            .unwrap()
            .unwrap()
            .0,
        d("2026-03-02")
    );
    assert_eq!(count(&mut s, "nights"), 3);
}

/// Scores are columns of `results` (`score_NAME`), added when a rule set
/// first has the score; a result reads back with exactly its run's scores,
/// in their order, `null` kept; replacing a night with another rule set's
/// result leaves no value of the old one behind (docs/history.md).
fn scores_are_columns_and_read_back_as_reported(t: &Target) {
    use vital_store::db::Param as P;
    let mut s = t.open();
    let with = |account: &str, as_of: &str, scores: &str| {
        let mut r = rec(account, d(as_of), &[(ev(1), 1)], &[]);
        r.result.scores = scores.into();
        r
    };
    // the batch path, then the one-night path (a rerun of an earlier night)
    let night = |s: &mut Store, recs: &[Recorded], batch: bool| {
        s.begin().unwrap();
        let id = s.start_run(&info()).unwrap();
        if batch {
            s.record_all(id, recs).unwrap();
        } else {
            for r in recs {
                s.record(id, r).unwrap();
            }
        }
        s.finish_run(id, RunCounts::default(), Utc::now()).unwrap();
        s.commit().unwrap();
    };
    night(
        &mut s,
        &[
            with(
                "acme",
                "2026-03-01",
                "{\"usage\": 35.0, \"adoption\": null}",
            ),
            with(
                "beta",
                "2026-03-01",
                "{\"usage\": 100.0, \"adoption\": 12.5}",
            ),
        ],
        true,
    );
    night(
        &mut s,
        &[with(
            "acme",
            "2026-03-02",
            "{\"support\": 81.0, \"usage\": 40.5}",
        )],
        true,
    );
    let h = s.history("acme").unwrap();
    let scores: Vec<&str> = h.iter().map(|r| r.scores.as_str()).collect();
    assert_eq!(
        scores,
        [
            "{\"usage\": 35.0, \"adoption\": null}",
            "{\"support\": 81.0, \"usage\": 40.5}"
        ]
    );
    let rows = s
        .query(
            "SELECT r.score_usage, r.score_adoption, r.score_support FROM results r \
             JOIN accounts a ON a.id = r.account_id WHERE a.name = 'beta'",
            &[],
        )
        .unwrap();
    assert_eq!(rows, vec![vec![P::Real(100.0), P::Real(12.5), P::Null]]);
    // a rerun of the first night with the second rule set
    night(
        &mut s,
        &[with(
            "beta",
            "2026-03-01",
            "{\"support\": 9.5, \"usage\": 1.0}",
        )],
        false,
    );
    let rows = s
        .query(
            "SELECT r.score_usage, r.score_adoption, r.score_support FROM results r \
             JOIN accounts a ON a.id = r.account_id WHERE a.name = 'beta'",
            &[],
        )
        .unwrap();
    assert_eq!(rows, vec![vec![P::Real(1.0), P::Null, P::Real(9.5)]]);
    assert_eq!(
        s.history("beta").unwrap()[0].scores,
        "{\"support\": 9.5, \"usage\": 1.0}"
    );
    // what is not a scores object is refused, and nothing is written
    s.begin().unwrap();
    let id = s.start_run(&info()).unwrap();
    let err = s
        .record(id, &with("acme", "2026-03-03", "{\"usage\": \"high\"}"))
        .unwrap_err();
    s.rollback();
    assert!(err.to_string().contains("not recordable"), "{err}");
    assert_eq!(s.history("acme").unwrap().len(), 2);
}

/// Signals are stored by position (docs/history.md, `snapshots`): an
/// array in the order of the run's `runs.signals`, whose names grow as
/// the run's snapshots bring new ones; the `snapshot_signals` view shows
/// the object.
fn signals_are_stored_by_position(t: &Target) {
    use vital_store::db::Param as P;
    let mut s = t.open();
    let mut a = rec("acme", d("2026-03-01"), &[], &[]);
    a.signals = "{\"seats\": 3, \"owner\": \"Dana\"}".into();
    let mut b = rec("beta", d("2026-03-01"), &[], &[]);
    b.signals = "{\"arr\": 1200.50, \"seats\": 9}".into();
    s.begin().unwrap();
    let id = s.start_run(&info()).unwrap();
    s.record_all(id, &[a, b]).unwrap();
    s.finish_run(id, RunCounts::default(), Utc::now()).unwrap();
    s.commit().unwrap();
    let names = s.query("SELECT signals FROM runs", &[]).unwrap()[0][0]
        .text()
        .unwrap();
    let names: Vec<String> = serde_json::from_str(&names).unwrap();
    // in the order of the first snapshot's object (the codec writes the
    // rule set's), then the new ones
    assert_eq!(names, ["seats", "owner", "arr"]);
    let rows = s
        .query(
            "SELECT s.signals, v.signals FROM snapshots s JOIN snapshot_signals v \
             ON v.account_id = s.account_id AND v.as_of = s.as_of \
             JOIN accounts a ON a.id = s.account_id ORDER BY a.name",
            &[],
        )
        .unwrap();
    let compact = |p: &P| -> String {
        let v: serde_json::Value = serde_json::from_str(&p.text().unwrap()).unwrap();
        v.to_string()
    };
    assert_eq!(compact(&rows[0][0]), "[3,\"Dana\"]");
    assert_eq!(compact(&rows[1][0]), "[9,null,1200.5]");
    assert_eq!(compact(&rows[0][1]), "{\"owner\":\"Dana\",\"seats\":3}");
    assert_eq!(compact(&rows[1][1]), "{\"arr\":1200.5,\"seats\":9}");
    // the decimal keeps its text through the store
    let got = s.snapshot("beta", d("2026-03-01")).unwrap().unwrap();
    assert_eq!(got.signals, "{\"seats\": 9, \"arr\": 1200.50}");
    // the next night stores differences; its run names the signals its
    // differences hold (those that changed), first come first
    let mut a = rec("acme", d("2026-03-02"), &[], &[]);
    a.signals = "{\"seats\": 4, \"owner\": \"Dana\"}".into();
    let mut b = rec("beta", d("2026-03-02"), &[], &[]);
    b.signals = "{\"arr\": 1200.50, \"seats\": 10}".into();
    s.begin().unwrap();
    let id = s.start_run(&info()).unwrap();
    s.record_all(id, &[a, b]).unwrap();
    s.finish_run(id, RunCounts::default(), Utc::now()).unwrap();
    s.commit().unwrap();
    let deltas = s
        .query(
            "SELECT count(*) FROM snapshots WHERE signals_base IS NOT NULL",
            &[],
        )
        .unwrap();
    assert_eq!(deltas[0][0].int(), Some(2), "both nights are differences");
    let names = s
        .query("SELECT signals FROM runs WHERE id = $1", &[P::Int(id)])
        .unwrap()[0][0]
        .text()
        .unwrap();
    let names: Vec<String> = serde_json::from_str(&names).unwrap();
    assert_eq!(names, ["seats"]);
    let got = s.snapshot("acme", d("2026-03-02")).unwrap().unwrap();
    assert_eq!(
        vital_store::normalize_json(&got.signals),
        "{\"owner\": \"Dana\", \"seats\": 4}"
    );
}

/// The events digest kept on the account is its latest snapshot's: a
/// rerun of the latest night with other events replaces it, so the next
/// night is compared with what that night now carries (a stale digest
/// would leave the next night with the rerun's events).
fn the_accounts_digest_follows_reruns(t: &Target) {
    let mut s = t.open();
    run(&mut s, &[rec("acme", day(0), &[(ev(1), 1)], &[])]);
    run(
        &mut s,
        &[rec("acme", day(1), &[(ev(1), 1), (ev(2), 1)], &[])],
    );
    // the rerun of the latest night drops ev(2)
    run(&mut s, &[rec("acme", day(1), &[(ev(1), 1)], &[])]);
    // the next night carries ev(2) again: the digest of day 1 before the
    // rerun, not after it
    run(
        &mut s,
        &[rec("acme", day(2), &[(ev(1), 1), (ev(2), 1)], &[])],
    );
    for (n, want) in [
        (0, vec![(ev(1), 1)]),
        (1, vec![(ev(1), 1)]),
        (2, vec![(ev(1), 1), (ev(2), 1)]),
    ] {
        let got = s.snapshot("acme", day(n)).unwrap().unwrap();
        assert_eq!(sorted(got.events), sorted(want), "day {n}");
    }
    // a backfill before the latest night keeps the latest's digest: the
    // next night that repeats the latest's events leaves them as they are
    run(&mut s, &[rec("acme", day(-3), &[(ev(3), 1)], &[])]);
    run(
        &mut s,
        &[rec("acme", day(3), &[(ev(1), 1), (ev(2), 1)], &[])],
    );
    for (n, want) in [
        (-3, vec![(ev(3), 1)]),
        (2, vec![(ev(1), 1), (ev(2), 1)]),
        (3, vec![(ev(1), 1), (ev(2), 1)]),
    ] {
        let got = s.snapshot("acme", day(n)).unwrap().unwrap();
        assert_eq!(sorted(got.events), sorted(want), "day {n}");
    }
}

/// A night whose result repeats the account's previous one (the same
/// values and `triggered`, nothing started) is no row of `results` but a
/// pointer on its snapshot (`result_same_as`, docs/history.md); it reads
/// back with those values through `result_nights`, and when the row it
/// points at is replaced (a rerun) or its snapshot pruned, it gets a row
/// of its own with the values it was shown with.
fn repeated_results_read_back_as_recorded(t: &Target) {
    use vital_store::db::Param as P;
    let mut s = t.open();
    let with = |as_of: NaiveDate, health: f64, started: bool| {
        let mut r = rec("acme", as_of, &[(ev(1), 1)], &["risk review"]);
        r.result.health = Some(health);
        r.result.scores = format!("{{\"adoption\": {health:.1}}}");
        if !started {
            r.result.started.clear();
            r.starts.clear();
        }
        r
    };
    run(&mut s, &[with(day(0), 61.5, true)]);
    run(&mut s, &[with(day(1), 61.5, false)]);
    run(&mut s, &[with(day(2), 70.0, false)]);
    let raw = |s: &mut Store| {
        let results: Vec<Vec<P>> = s
            .query("SELECT r.health FROM results r ORDER BY r.as_of", &[])
            .unwrap();
        let pointers: Vec<Vec<P>> = s
            .query(
                "SELECT s.result_same_as FROM snapshots s ORDER BY s.as_of",
                &[],
            )
            .unwrap();
        (results, pointers)
    };
    let (results, pointers) = raw(&mut s);
    assert_eq!(
        results,
        vec![vec![P::Real(61.5)], vec![P::Real(70.0)]],
        "the repeat has no row"
    );
    assert_eq!(
        pointers,
        vec![
            vec![P::Null],
            vec![P::Int(day_number(day(0)))],
            vec![P::Null]
        ]
        .into_iter()
        .map(|r| sqlite_or_pg(t, r))
        .collect::<Vec<_>>()
    );
    type Shown = (Option<f64>, String, Vec<String>, Option<Vec<String>>);
    let shown = |s: &mut Store| -> Vec<Shown> {
        s.history("acme")
            .unwrap()
            .into_iter()
            .map(|h| (h.health, h.scores, h.triggered, h.started))
            .collect()
    };
    let risk = vec!["risk review".to_string()];
    let want = vec![
        (
            Some(61.5),
            "{\"adoption\": 61.5}".to_string(),
            risk.clone(),
            Some(risk.clone()),
        ),
        (
            Some(61.5),
            "{\"adoption\": 61.5}".to_string(),
            risk.clone(),
            Some(vec![]),
        ),
        (
            Some(70.0),
            "{\"adoption\": 70.0}".to_string(),
            risk.clone(),
            Some(vec![]),
        ),
    ];
    assert_eq!(shown(&mut s), want);
    // what `started` of the next night compares with: the repeat's triggered
    assert_eq!(
        s.previous_result("acme", day(2)).unwrap(),
        Some((day(1), risk.clone()))
    );
    // a rerun of the first night with other values: the second keeps its own
    run(&mut s, &[with(day(0), 40.0, true)]);
    let mut want = want;
    want[0].0 = Some(40.0);
    want[0].1 = "{\"adoption\": 40.0}".to_string();
    assert_eq!(shown(&mut s), want);
    let (results, pointers) = raw(&mut s);
    assert_eq!(results.len(), 3, "the repeat has a row of its own now");
    assert!(pointers.iter().all(|p| p[0] == P::Null));
    // the summary's read agrees
    let latest = s.results_with_signals(true).unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].1.health, Some(70.0));
    assert_eq!(latest[0].1.scores, "{\"adoption\": 70.0}");
    // another account, its snapshots pruned (its results stay, the second
    // a repeat of the first), then its first night recorded again
    run(
        &mut s,
        &[{
            let mut r = with(day(0), 50.0, true);
            r.account = "beta".into();
            r
        }],
    );
    run(
        &mut s,
        &[{
            let mut r = with(day(1), 50.0, false);
            r.account = "beta".into();
            r
        }],
    );
    s.prune_before(day(3)).unwrap();
    run(
        &mut s,
        &[{
            let mut r = with(day(0), 10.0, true);
            r.account = "beta".into();
            r
        }],
    );
    let beta: Vec<Option<f64>> = s
        .history("beta")
        .unwrap()
        .iter()
        .map(|h| h.health)
        .collect();
    assert_eq!(beta, [Some(10.0), Some(50.0)]);
}

/// A date as the store's raw rows hold it: SQLite's Julian day number.
fn day_number(d: NaiveDate) -> i64 {
    vital_store::db::julian_day(d)
}

/// A raw row as the backend returns it (PostgreSQL: dates as dates).
fn sqlite_or_pg(t: &Target, row: Vec<vital_store::db::Param>) -> Vec<vital_store::db::Param> {
    use vital_store::db::Param as P;
    if t.location.starts_with("postgres") {
        row.into_iter()
            .map(|p| match p {
                P::Int(j) if j > 1_000_000 => P::Date(vital_store::db::from_julian_day(j).unwrap()),
                p => p,
            })
            .collect()
    } else {
        row
    }
}

/// A night recorded again after its snapshot was pruned (its result kept)
/// is replaced even when its new result repeats the night before: never a
/// pointer next to the old row.
fn a_pruned_night_recorded_again_is_replaced(t: &Target) {
    let mut s = t.open();
    let with = |as_of: NaiveDate, health: f64| {
        let mut r = rec("acme", as_of, &[(ev(1), 1)], &[]);
        r.result.health = Some(health);
        r.result.scores = format!("{{\"adoption\": {health:.1}}}");
        r
    };
    run(&mut s, &[with(day(0), 50.0)]);
    run(&mut s, &[with(day(1), 60.0)]);
    s.prune_before(day(5)).unwrap();
    run(&mut s, &[with(day(0), 60.0)]);
    // the bulk path: the latest snapshot (day 0) is before day 1
    run(&mut s, &[with(day(1), 60.0)]);
    let healths = |s: &mut Store| -> Vec<(NaiveDate, Option<f64>)> {
        s.history("acme")
            .unwrap()
            .iter()
            .map(|h| (h.as_of, h.health))
            .collect()
    };
    assert_eq!(
        healths(&mut s),
        [(day(0), Some(60.0)), (day(1), Some(60.0))]
    );
    assert_eq!(count(&mut s, "result_nights"), 2);
    // and a rerun of day 0 still works, day 1 keeps its result
    run(&mut s, &[with(day(0), 10.0)]);
    assert_eq!(
        healths(&mut s),
        [(day(0), Some(10.0)), (day(1), Some(60.0))]
    );
}

/// A rule set's new score gets its column before the run's transaction
/// (`ready_scores`): the run changes no table definition while another
/// connection reads (PostgreSQL would make that one wait for the run's
/// commit; here it would time out).
fn a_new_score_is_ready_before_the_run(t: &Target) {
    let mut w = t.open();
    let mut r = t.open();
    run(&mut w, &[rec("acme", day(0), &[(ev(1), 1)], &[])]);
    w.ready_scores(&["adoption", "nps"]).unwrap();
    if t.location.starts_with("postgres") {
        r.exec("SET statement_timeout = '3s'", &[]).unwrap();
    }
    w.begin().unwrap();
    let id = w.start_run(&info()).unwrap();
    let mut next = rec("acme", day(1), &[(ev(1), 1)], &[]);
    next.result.scores = "{\"adoption\": 72.5, \"nps\": 9.0}".into();
    w.record_all(id, &[next]).unwrap();
    // the reading connection reads while the run is open
    let rows = r.query("SELECT count(*) FROM result_nights", &[]).unwrap();
    assert_eq!(rows[0][0].int(), Some(1));
    w.finish_run(id, RunCounts::default(), Utc::now()).unwrap();
    w.commit().unwrap();
    assert_eq!(
        w.history("acme").unwrap()[1].scores,
        "{\"adoption\": 72.5, \"nps\": 9.0}"
    );
}

/// SQLite's column names ignore case: a score renamed from `NPS` to `nps`
/// keeps its column; a rule set with both is refused with a message.
fn scores_differing_in_case(t: &Target) {
    let mut s = t.open();
    let mut a = rec("acme", day(0), &[(ev(1), 1)], &[]);
    a.result.scores = "{\"NPS\": 1.0}".into();
    run(&mut s, &[a]);
    let mut b = rec("acme", day(1), &[(ev(1), 1)], &[]);
    b.result.scores = "{\"nps\": 2.0}".into();
    run(&mut s, &[b]);
    let scores: Vec<String> = s
        .history("acme")
        .unwrap()
        .into_iter()
        .map(|h| h.scores)
        .collect();
    assert_eq!(scores, ["{\"NPS\": 1.0}", "{\"nps\": 2.0}"]);
    if !t.location.starts_with("postgres") {
        s.begin().unwrap();
        let id = s.start_run(&info()).unwrap();
        let mut c = rec("beta", day(0), &[(ev(1), 1)], &[]);
        c.result.scores = "{\"Churn\": 1.0, \"churn\": 2.0}".into();
        let err = s.record(id, &c).unwrap_err().to_string();
        s.rollback();
        assert!(err.contains("differ only in case"), "{err}");
    }
}

/// A store of schema version 9 (a repeated result a short row with
/// `same_as`) is migrated: the short row gets its values back.
fn migrates_a_version_9_store(t: &Target) {
    use vital_store::db::Param as P;
    {
        let mut old = Store::open_at_version(&t.location, Path::new("."), 9).unwrap();
        let real = if t.location.starts_with("postgres") {
            "DOUBLE PRECISION"
        } else {
            "REAL"
        };
        old.exec(
            &format!("ALTER TABLE results ADD COLUMN score_adoption {real}"),
            &[],
        )
        .unwrap();
        old.exec(
            "INSERT INTO runs (started_at, ruleset_hash, inputs, scores, signals) \
             VALUES ($1, 'sha256:v9', $2, $3, $4)",
            &[
                P::Time(Utc::now()),
                P::Json("[]".into()),
                P::Json("[\"adoption\"]".into()),
                P::Json("[\"seats\"]".into()),
            ],
        )
        .unwrap();
        old.exec("INSERT INTO accounts (name) VALUES ('acme')", &[])
            .unwrap();
        for n in [0, 1] {
            old.exec(
                "INSERT INTO snapshots (account_id, as_of, run_id, signals) VALUES (1, $1, 1, $2)",
                &[P::Date(day(n)), P::Json(format!("[{}]", n + 3))],
            )
            .unwrap();
            old.exec("INSERT INTO nights (as_of) VALUES ($1)", &[P::Date(day(n))])
                .unwrap();
        }
        old.exec(
            "INSERT INTO results (account_id, as_of, run_id, health, status, computed_status, triggered, started, score_adoption) \
             VALUES (1, $1, 1, 72.5, 'fine', 'fine', '[]', '[]', 72.5)",
            &[P::Date(day(0))],
        )
        .unwrap();
        // as schema 9 wrote a repeat of the first night
        old.exec(
            "INSERT INTO results (account_id, as_of, run_id, triggered, started, same_as) \
             VALUES (1, $1, 1, '[]', '[]', $2)",
            &[P::Date(day(1)), P::Date(day(0))],
        )
        .unwrap();
    }
    let mut s = t.open();
    assert_eq!(s.version().unwrap(), vital_store::schema::VERSION);
    let h = s.history("acme").unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].health, Some(72.5));
    assert_eq!(h[1].scores, "{\"adoption\": 72.5}");
    assert_eq!(count(&mut s, "results"), 2);
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::Target::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    match super::Target::postgres(stringify!($name)) {
                        Some(t) => super::$name(&t),
                        None => super::pg::skipped(stringify!($name)),
                    }
                }
            )*
        }
    };
}

suite!(
    records_a_run,
    events_mean_what_was_recorded,
    signals_mean_what_was_recorded,
    events_are_not_repeated_every_night,
    rerun_replaces_the_night,
    an_interrupted_run_leaves_the_store_as_it_was,
    concurrent_runs_wait_or_fail_clearly,
    prune_keeps_results,
    lookups_for_history,
    batched_lookups_find_each_accounts_own_night,
    deliveries_survive_reruns,
    migrates_a_version_1_store,
    migrates_a_version_3_store,
    scores_are_columns_and_read_back_as_reported,
    signals_are_stored_by_position,
    the_accounts_digest_follows_reruns,
    repeated_results_read_back_as_recorded,
    migrates_a_version_9_store,
    a_pruned_night_recorded_again_is_replaced,
    a_new_score_is_ready_before_the_run,
    scores_differing_in_case,
);

/// The checked-in SQLite store of schema version 1.
const FIXTURE: &str = "tests/store/v1.sqlite";

#[test]
fn the_version_1_fixture_store_is_migrated_when_opened() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("history.db");
    std::fs::copy(root.join(FIXTURE), &copy).unwrap();
    {
        let mut raw = Store::open_at_version(copy.to_str().unwrap(), Path::new("."), 1).unwrap();
        assert_eq!(
            raw.version().unwrap(),
            1,
            "the fixture is a version 1 store"
        );
    }
    let mut s = Store::open(
        copy.to_str().unwrap(),
        Path::new("."),
        Duration::from_secs(5),
    )
    .unwrap();
    check_migrated(&mut s);
}

/// Writes the fixture (run by hand: `cargo test -p vital-store --test store
/// -- --ignored write_fixture`).
#[test]
#[ignore]
fn write_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(FIXTURE);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let mut s = Store::open_at_version(path.to_str().unwrap(), Path::new("."), 1).unwrap();
    seed_v1(&mut s);
    s.exec("VACUUM", &[]).unwrap();
}

/// A night's events are compared with its account's latest snapshot's by
/// digest (unchanged rows are not read): the digest ignores their order and
/// tells apart any other difference.
#[test]
fn the_events_digest_is_order_free_and_tells_changes_apart() {
    use vital_store::events_digest;
    let a = vec![(ev(1), 1), (ev(2), 2)];
    let b = vec![(ev(2), 2), (ev(1), 1)];
    assert_eq!(events_digest(&a), events_digest(&b));
    assert_ne!(events_digest(&a), events_digest(&[(ev(1), 1), (ev(2), 1)]));
    assert_ne!(events_digest(&a), events_digest(&[(ev(1), 1)]));
    assert_ne!(events_digest(&a), events_digest(&[(ev(1), 1), (ev(3), 2)]));
    assert_ne!(events_digest(&[]), events_digest(&[(ev(1), 1)]));
}

/// SQLite keeps dates as Julian day numbers (docs/history.md, "The
/// tables"): 2461346 is 2026-11-01, and `date()` shows it.
#[test]
fn sqlite_stores_dates_as_julian_day_numbers() {
    use vital_store::db::Param as P;
    let t = Target::sqlite();
    let mut s = t.open();
    run(&mut s, &[rec("acme", d("2026-11-01"), &[(ev(1), 1)], &[])]);
    for table in ["snapshots", "results", "nights"] {
        let rows = s
            .query(&format!("SELECT as_of, date(as_of) FROM {table}"), &[])
            .unwrap();
        assert_eq!(
            rows,
            vec![vec![P::Int(2461346), P::Text("2026-11-01".into())]],
            "{table}"
        );
    }
    let rows = s
        .query(
            "SELECT count(*) FROM events WHERE first_as_of = CAST(julianday('2026-11-01') + 0.5 AS INTEGER)",
            &[],
        )
        .unwrap();
    assert_eq!(rows, vec![vec![P::Int(1)]]);
}
