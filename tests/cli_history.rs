//! `vital run` with a history store, through the real binary, against
//! SQLite and a real PostgreSQL server (`VITAL_TEST_PG_URL`; skipped with a
//! notice without it, and `.ci/run` always sets it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pg.rs"]
mod pg;
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{root, stderr, stdout};
use vital_store::Store;

/// The advocacy example's three nights, one file each, in a temporary
/// directory.
struct Nights {
    dir: tempfile::TempDir,
    rules: PathBuf,
}

const DATES: [&str; 3] = ["2026-09-01", "2026-10-01", "2026-11-01"];

impl Nights {
    fn new() -> Nights {
        let dir = tempfile::tempdir().unwrap();
        let all =
            std::fs::read_to_string(root().join("examples/advocacy/snapshots.jsonl")).unwrap();
        for d in DATES {
            let night: String = all
                .lines()
                .filter(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["as_of"] == d)
                .map(|l| format!("{l}\n"))
                .collect();
            assert!(night.lines().count() > 100, "{d}");
            std::fs::write(dir.path().join(format!("{d}.jsonl")), night).unwrap();
        }
        Nights {
            dir,
            rules: root().join("examples/advocacy/rules"),
        }
    }

    fn file(&self, d: &str) -> String {
        format!("{d}.jsonl")
    }

    fn vital(&self, args: &[&str]) -> std::process::Output {
        let rules = self.rules.display().to_string();
        let mut all = vec!["run", "--rules", rules.as_str(), "--format", "jsonl"];
        all.extend_from_slice(args);
        support::vital_in(self.dir.path(), &all)
    }
}

/// A store location for one test: a SQLite file or a fresh PostgreSQL
/// database.
#[derive(Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

fn location(b: &Backend, nights: &Nights, test: &str) -> Option<String> {
    match b {
        Backend::Sqlite => Some(
            nights
                .dir
                .path()
                .join(".vital/history.db")
                .display()
                .to_string(),
        ),
        Backend::Postgres => pg::fresh_database(&format!("cli_{test}")),
    }
}

fn open(loc: &str) -> Store {
    Store::open(loc, Path::new("."), Duration::from_secs(30)).unwrap()
}

fn count(s: &mut Store, table: &str) -> i64 {
    s.query(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()[0][0]
        .int()
        .unwrap()
}

// ------------------------------------------------------------------ tests

/// Three nightly runs with a store report, on the last night, exactly what
/// one run over the three files reports, `started` included.
fn nightly_runs_equal_one_run_over_all_files(b: Backend) {
    let n = Nights::new();
    let Some(loc) = location(&b, &n, "nightly") else {
        return pg::skipped("nightly_runs_equal_one_run_over_all_files");
    };
    let mut last = String::new();
    for d in DATES {
        let o = n.vital(&["--history", &loc, &n.file(d)]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains("recorded"), "{}", stderr(&o));
        last = stdout(&o);
    }
    let files: Vec<String> = DATES.iter().map(|d| n.file(d)).collect();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    let once = n.vital(&args);
    assert_eq!(once.status.code(), Some(0), "{}", stderr(&once));
    assert_eq!(last, stdout(&once));
    // the rules read 30 days back: without the store, the last night alone
    // differs
    let alone = n.vital(&[&n.file(DATES[2])]);
    assert_ne!(
        stdout(&alone),
        last,
        "history changes the last night's results"
    );
    // playbooks triggered again are not started again
    let again = last
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| {
            let t = r["triggered"].as_array().unwrap();
            !t.is_empty() && r["started"].as_array().unwrap().len() < t.len()
        })
        .count();
    assert!(
        again > 0,
        "some account keeps a playbook from the night before"
    );
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "runs"), 3);
    assert_eq!(count(&mut s, "snapshots"), 3000);
    // every result (`result_nights`): a night that repeats the account's
    // previous result is a pointer on its snapshot, not a row of `results`
    assert_eq!(count(&mut s, "result_nights"), 3000);
    let rows = count(&mut s, "results");
    assert!((1000..3000).contains(&rows), "{rows} rows");
    // signals that did not move are not stored again: the later nights of
    // many accounts are differences from their first (read back whole
    // above, and after the prune below takes those key snapshots away)
    let differences = s
        .query(
            "SELECT count(*) FROM snapshots WHERE signals_base IS NOT NULL",
            &[],
        )
        .unwrap()[0][0]
        .int()
        .unwrap();
    assert!(differences > 0, "no snapshot stored as a difference");
    // a rerun of the last night reproduces it and replaces its rows
    args.clear();
    let o = n.vital(&["--history", &loc, &n.file(DATES[2])]);
    assert_eq!(stdout(&o), last);
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "runs"), 4);
    assert_eq!(count(&mut s, "snapshots"), 3000);
    // every result (`result_nights`): a night that repeats the account's
    // previous result is a pointer on its snapshot, not a row of `results`
    assert_eq!(count(&mut s, "result_nights"), 3000);
    let rows = count(&mut s, "results");
    assert!((1000..3000).contains(&rows), "{rows} rows");
    drop(s);
    // vital history: one row per night, as reported
    let first: serde_json::Value = serde_json::from_str(last.lines().next().unwrap()).unwrap();
    let account = first["account"].as_str().unwrap();
    let h = support::vital_in(
        n.dir.path(),
        &["history", "--history", &loc, account, "--format", "csv"],
    );
    assert_eq!(h.status.code(), Some(0), "{}", stderr(&h));
    let rows: Vec<String> = stdout(&h).lines().map(String::from).collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows[3].starts_with(&format!(
            "{account},2026-11-01,{:.1},",
            first["health"].as_f64().unwrap()
        )),
        "{rows:?}"
    );
    // JSON Lines: the keys in the documented order, the scores in the rule
    // set's (as `vital run` writes them)
    let j = support::vital_in(
        n.dir.path(),
        &["history", "--history", &loc, account, "--format", "jsonl"],
    );
    let line = stdout(&j).lines().next().unwrap().to_string();
    assert!(
        line.starts_with(&format!(
            "{{\"account\":\"{account}\",\"as_of\":\"2026-09-01\",\"health\":"
        )),
        "{line}"
    );
    let t = support::vital_in(
        n.dir.path(),
        &["history", "--history", &loc, account, "--format", "table"],
    );
    // a column per score, in the rule set's order as `vital run` wrote
    // them, on both backends (the store keeps each run's score names,
    // `runs.scores`)
    let header = stdout(&t).lines().nth(1).unwrap().to_string();
    assert!(line.contains(",\"scores\":{\"advocacy\":"), "{b:?}: {line}");
    assert_eq!(
        header,
        "AS OF       HEALTH  STATUS            ADVOCACY  ADOPTION  ENGAGEMENT  SENTIMENT  RULES         TRIGGERED (* started)",
        "{b:?}"
    );
    assert!(
        stdout(&t)
            .lines()
            .next()
            .unwrap()
            .contains(&format!("{account}  health")),
        "{}",
        stdout(&t)
    );
    let st = support::vital_in(
        n.dir.path(),
        &["history", "--history", &loc, "--stale", "--format", "csv"],
    );
    assert_eq!(stdout(&st), "account,latest_as_of\n");
    // a date after the latest night (a typo) would drop every snapshot:
    // refused, the store as it was
    let p = support::vital_in(
        n.dir.path(),
        &["history", "--history", &loc, "--prune-before", "2062-11-01"],
    );
    assert_eq!(p.status.code(), Some(1));
    assert_eq!(
        stderr(&p),
        "error: `--prune-before 2062-11-01` is after the store's latest snapshot (2026-11-01): it would drop every stored snapshot; give a date on or before 2026-11-01\n"
    );
    assert_eq!(count(&mut open(&loc), "snapshots"), 3000);
    // pruning drops old snapshots and keeps results; history still works
    let p = support::vital_in(
        n.dir.path(),
        &["history", "--history", &loc, "--prune-before", "2026-10-01"],
    );
    assert_eq!(p.status.code(), Some(0), "{}", stderr(&p));
    assert!(
        stdout(&p).starts_with("pruned 1,000 snapshots"),
        "{}",
        stdout(&p)
    );
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "snapshots"), 2000);
    // every result (`result_nights`): a night that repeats the account's
    // previous result is a pointer on its snapshot, not a row of `results`
    assert_eq!(count(&mut s, "result_nights"), 3000);
    let rows = count(&mut s, "results");
    assert!((1000..3000).contains(&rows), "{rows} rows");
    drop(s);
    let o = n.vital(&["--history", &loc, &n.file(DATES[2])]);
    assert_eq!(
        stdout(&o),
        last,
        "the last night needs only 30 days of history"
    );
}

/// `vital explain` and `vital diff` read the store as the nightly run
/// does: over the last night's file and the store, they answer what they
/// answer over all three files without it — not what the last file alone
/// gives (the rules look 30 days back).
fn explain_and_diff_read_the_store(b: Backend) {
    let n = Nights::new();
    let Some(loc) = location(&b, &n, "explain_diff") else {
        return pg::skipped("explain_and_diff_read_the_store");
    };
    for d in DATES {
        let o = n.vital(&["--history", &loc, &n.file(d)]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let rules = n.rules.display().to_string();
    let files: Vec<String> = DATES.iter().map(|d| n.file(d)).collect();
    let last = n.file(DATES[2]);
    // standard error must say exactly `warned` (nothing, mostly)
    let warned = std::cell::RefCell::new(String::new());
    let run = |args: &[&str]| {
        let o = support::vital_in(n.dir.path(), args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let want = warned.borrow().clone();
        assert_eq!(stderr(&o), want, "{args:?}");
        stdout(&o)
    };
    // the accounts whose last night's scores history changes
    let alone = n.vital(&[&last]);
    let with = n.vital(&["--history", &loc, &last]);
    let json = |l: &str| serde_json::from_str::<serde_json::Value>(l).unwrap();
    let moved: Vec<String> = stdout(&alone)
        .lines()
        .zip(stdout(&with).lines())
        .map(|(a, w)| (json(a), json(w)))
        .filter(|(a, w)| a["scores"] != w["scores"])
        .map(|(a, _)| a["account"].as_str().unwrap().to_string())
        .take(3)
        .collect();
    assert_eq!(moved.len(), 3, "history moves some accounts");
    for account in &moved {
        let explain = |extra: &[&str]| {
            let mut args = vec!["explain", "--rules", &rules, "--account", account];
            args.extend_from_slice(extra);
            run(&args)
        };
        let stored = explain(&["--history", &loc, &last]);
        let all = explain(&[&files[0], &files[1], &files[2]]);
        assert_eq!(stored, all, "{account}");
        assert_ne!(stored, explain(&[&last]), "{account}");
    }
    // a change to a rule that reads `change(feature_usage, 30 days)`
    let head = n.dir.path().join("head");
    std::fs::create_dir_all(&head).unwrap();
    for e in std::fs::read_dir(&n.rules).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path()).unwrap();
        std::fs::write(
            head.join(e.file_name()),
            text.replace(
                "< -10% subtract 15 from adoption",
                "< -10% subtract 30 from adoption",
            ),
        )
        .unwrap();
    }
    let diff = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "diff", "--base", &rules, "--head", "head", "--format", "json",
        ];
        args.extend_from_slice(extra);
        let mut v: serde_json::Value = serde_json::from_str(&run(&args)).unwrap();
        // what was read differs; what it came to must not
        v["records"] = serde_json::Value::Null;
        v
    };
    let stored = diff(&["--history", &loc, &last]);
    assert_eq!(stored, diff(&[&files[0], &files[1], &files[2]]));
    assert_ne!(stored, diff(&[&last]));
    assert!(
        stored["health"]["changed"].as_u64().unwrap() > 0,
        "{stored}"
    );
    // a head that reads records differently (a new optional signal): each
    // side reads the input, and the one store, under its own schema
    let schema = head.join("schema.vital");
    let mut text = std::fs::read_to_string(&schema).unwrap();
    text.push_str("\nsignal extra: number?\n");
    std::fs::write(&schema, text).unwrap();
    // (head's reader says the new signal is in no record)
    let missing = |files: &str, n: &str| {
        *warned.borrow_mut() = format!("warning: {files}: signal `extra` is missing from all {n} records: every score that reads it is n/a\n");
    };
    missing(&last, "1,000");
    let each = diff(&["--history", &loc, &last]);
    assert_ne!(each, diff(&[&last]));
    missing(&files.join(", "), "3,000");
    assert_eq!(each, diff(&[&files[0], &files[1], &files[2]]));
    assert_eq!(each["health"], stored["health"]);
    warned.borrow_mut().clear();
    // a `--history` that is not there is a mistake (a typo would change
    // the answer silently), not "no history"
    let account = moved[0].as_str();
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "--rules", &rules, "--account", account, &last];
        args.extend_from_slice(extra);
        support::vital_in(n.dir.path(), &args)
    };
    let alone = stdout(&explain(&[]));
    let o = explain(&["--history", "typo.db"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("error: the history store `typo.db` does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(!n.dir.path().join("typo.db").exists(), "nothing is created");
    // vital.toml's store before the first run: no history, and a note
    std::fs::write(
        n.dir.path().join("vital.toml"),
        "[history]\nstore = \"later.db\"\n",
    )
    .unwrap();
    let o = explain(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "note: the history store `later.db` of vital.toml does not exist yet (no `vital run` has recorded to it): no stored history is read\n"
    );
    assert_eq!(stdout(&o), alone);
}

/// A run stopped half-way (its reader went away, or it was killed)
/// records nothing.
fn an_interrupted_run_records_nothing(b: Backend) {
    let n = Nights::new();
    let Some(loc) = location(&b, &n, "interrupted") else {
        return pg::skipped("an_interrupted_run_records_nothing");
    };
    let o = n.vital(&["--history", &loc, &n.file(DATES[0])]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // a big night: every account ten times under other names
    let night = std::fs::read_to_string(n.dir.path().join(n.file(DATES[1]))).unwrap();
    let mut big = String::new();
    for k in 0..10 {
        for l in night.lines() {
            let mut r: serde_json::Value = serde_json::from_str(l).unwrap();
            r["account"] = format!("c{k}-{}", r["account"].as_str().unwrap()).into();
            big.push_str(&r.to_string());
            big.push('\n');
        }
    }
    big.push_str(&night);
    std::fs::write(n.dir.path().join("big.jsonl"), big).unwrap();
    let before = {
        let mut s = open(&loc);
        (
            count(&mut s, "runs"),
            count(&mut s, "snapshots"),
            count(&mut s, "events"),
        )
    };
    // the reader of the results goes away after one line
    let rules = n.rules.display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args([
            "run",
            "--rules",
            &rules,
            "--format",
            "jsonl",
            "--history",
            &loc,
            "big.jsonl",
        ])
        .current_dir(n.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'));
    let closed = child.wait_with_output().unwrap();
    // a nightly job hears that the night was not recorded
    assert_eq!(closed.status.code(), Some(1));
    assert!(
        stderr(&closed).ends_with(&format!(
            "error: the results' reader went away before every result was written (`vital run | head`?): nothing was recorded in the history store {}\n",
            vital_store::shown_location(&loc)
        )),
        "{}",
        stderr(&closed)
    );
    // killed while recording
    let mut child = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args([
            "run",
            "--rules",
            &rules,
            "--format",
            "jsonl",
            "--history",
            &loc,
            "big.jsonl",
        ])
        .current_dir(n.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let _ = child.kill();
    child.wait().unwrap();
    let mut s = open(&loc);
    assert_eq!(
        (
            count(&mut s, "runs"),
            count(&mut s, "snapshots"),
            count(&mut s, "events")
        ),
        before
    );
    // and the store still takes the next night
    drop(s);
    let o = n.vital(&["--history", &loc, &n.file(DATES[1])]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "snapshots"), 2000);
}

/// Two runs at once: the second waits for the first; with a short wait it
/// stops with a clear message and records nothing.
fn concurrent_runs_take_turns(b: Backend) {
    let n = Nights::new();
    let Some(loc) = location(&b, &n, "concurrent") else {
        return pg::skipped("concurrent_runs_take_turns");
    };
    let rules = n.rules.display().to_string();
    let spawn = |file: String, wait: &str| {
        Command::new(env!("CARGO_BIN_EXE_vital"))
            .args([
                "run",
                "--rules",
                &rules,
                "--format",
                "jsonl",
                "--history",
                &loc,
                &file,
            ])
            .current_dir(n.dir.path())
            .env("VITAL_STORE_WAIT", wait)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn(n.file(DATES[0]), "600");
    let b2 = spawn(n.file(DATES[1]), "600");
    // both outputs are drained at once: the run that holds the store must
    // not block on a full stdout pipe while the other waits for the store
    let (a, b2) = std::thread::scope(|s| {
        let a = s.spawn(|| a.wait_with_output().unwrap());
        let b2 = s.spawn(|| b2.wait_with_output().unwrap());
        (a.join().unwrap(), b2.join().unwrap())
    });
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b2.status.code(), Some(0), "{}", stderr(&b2));
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "runs"), 2);
    assert_eq!(count(&mut s, "snapshots"), 2000);
    // a writer holds the store: an impatient run gives up clearly
    s.begin().unwrap();
    let started = Instant::now();
    let o = spawn(n.file(DATES[2]), "0.3").wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("another vital run is writing to it"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    s.rollback();
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "runs"), 2);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

both!(
    nightly_runs_equal_one_run_over_all_files,
    explain_and_diff_read_the_store,
    an_interrupted_run_records_nothing,
    concurrent_runs_take_turns,
);

#[test]
fn the_project_file_names_the_store() {
    let n = Nights::new();
    std::fs::write(
        n.dir.path().join("vital.toml"),
        format!(
            "[rulesets.main]\npath = \"{}\"\ninputs = [\"{}\"]\n\n[history]\nstore = \".vital/history.db\"\n",
            n.rules.display(),
            n.file(DATES[0])
        ),
    )
    .unwrap();
    let o = support::vital_in(n.dir.path(), &["run", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(n.dir.path().join(".vital/history.db").exists());
    let mut s = open(&n.dir.path().join(".vital/history.db").display().to_string());
    assert_eq!(count(&mut s, "results"), 1000);
    let runs = s
        .query("SELECT ruleset_hash, inputs FROM runs", &[])
        .unwrap();
    assert!(runs[0][0].text().unwrap().starts_with("sha256:"));
    assert!(runs[0][1].text().unwrap().contains("2026-09-01.jsonl"));
}

/// 20,000 accounts, two nights (bench/history_gen.py): each night is read
/// in several batches, each batch's history fetched while the batch before
/// is scored. The second night with a store reports exactly what one run
/// over both nights reports for it, `started` included.
#[test]
fn nightly_runs_over_many_batches_equal_one_run() {
    let dir = tempfile::tempdir().unwrap();
    // the nights come from the benchmark's generator (CI has python3)
    let Ok(gen) = Command::new("python3")
        .arg(root().join("bench/history_gen.py"))
        .args(["20000", &dir.path().display().to_string(), "--last", "1"])
        .output()
    else {
        eprintln!("notice: python3 is not installed; this test is skipped");
        return;
    };
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let rules = root().join("bench/rules").display().to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["run", "--rules", rules.as_str(), "--format", "jsonl"];
        all.extend_from_slice(args);
        let o = support::vital_in(dir.path(), &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let (n0, n1) = ("night-000.jsonl", "night-001.jsonl");
    run(&["--history", "store.db", n0]);
    let second = run(&["--history", "store.db", n1]);
    let both = run(&["--all", n0, n1]);
    let night1: Vec<&str> = both
        .lines()
        .filter(|l| l.contains("\"as_of\": \"2026-08-04\""))
        .collect();
    assert_eq!(night1.len(), 20000);
    assert_eq!(second.lines().collect::<Vec<_>>(), night1);
    // the comparison has teeth: playbooks triggered on both nights are
    // not started again, and some are started anew
    let (mut kept, mut started) = (0, 0);
    for l in second.lines() {
        let r: serde_json::Value = serde_json::from_str(l).unwrap();
        let t = r["triggered"].as_array().unwrap().len();
        let s = r["started"].as_array().unwrap().len();
        kept += usize::from(s < t);
        started += usize::from(s > 0);
    }
    assert!(kept > 100 && started > 0, "kept {kept}, started {started}");
}

/// A path or URL that is not a store is refused with a message naming it,
/// and nothing is written to it: a SQLite database of another application,
/// an empty file (for the commands that only read), a text file, a
/// directory, a URL whose scheme is not PostgreSQL's (its password hidden).
#[test]
fn what_is_not_a_store_is_refused_and_left_alone() {
    let n = Nights::new();
    let dir = n.dir.path();
    let other = dir.join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE foo (x INTEGER); INSERT INTO foo VALUES (1);")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    let night = n.file(DATES[0]);
    for args in [
        vec!["history", "--history", "other.db", "acme"],
        vec!["playbooks", "--history", "other.db"],
        vec![
            "run",
            "--rules",
            "RULES",
            "--history",
            "other.db",
            night.as_str(),
        ],
    ] {
        let rules = n.rules.display().to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "RULES" { rules.as_str() } else { a })
            .collect();
        let o = support::vital_in(dir, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(
                "`other.db` (./other.db) is a SQLite database but not a Vital history store (it has tables, and no `vital_schema`)"
            ),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(std::fs::read(&other).unwrap(), before, "{args:?}");
    }
    assert!(!dir.join("other.db-wal").exists());

    // an empty file: the reading commands do not make it a store
    std::fs::write(dir.join("empty.db"), "").unwrap();
    let o = support::vital_in(dir, &["history", "--history", "empty.db", "acme"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: the history store `empty.db` (./empty.db) is empty: no `vital run` has recorded to it yet\n"
    );
    assert_eq!(std::fs::metadata(dir.join("empty.db")).unwrap().len(), 0);

    // a text file, a directory
    std::fs::write(
        dir.join("notes.txt"),
        "not a database, just some text\n".repeat(100),
    )
    .unwrap();
    let o = support::vital_in(dir, &["playbooks", "--history", "notes.txt"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: cannot open the history store `notes.txt` (./notes.txt): SQLite: file is not a database\n"
    );
    std::fs::create_dir(dir.join("adir")).unwrap();
    for (cmd, o) in [
        (
            "history",
            support::vital_in(dir, &["history", "--history", "adir", "acme"]),
        ),
        ("run", n.vital(&["--history", "adir", night.as_str()])),
    ] {
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert!(
            stderr(&o)
                .contains("the history store `adir` is a directory (./adir), not a SQLite file"),
            "{cmd}: {}",
            stderr(&o)
        );
    }

    // white space around a URL, and a key=value connection string, are not
    // file names either (the password is never shown)
    for (loc, want) in [
        (
            " postgres://u:s3cret@127.0.0.1:1/db",
            "has white space around it",
        ),
        (
            "host=db user=vital password=s3cret",
            "looks like a PostgreSQL connection string",
        ),
    ] {
        let o = n.vital(&["--history", loc, night.as_str()]);
        assert_eq!(o.status.code(), Some(1), "{loc}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{loc}: {}", stderr(&o));
        assert!(!stderr(&o).contains("s3cret"), "{}", stderr(&o));
    }
    // a mistyped scheme is not a file name; an upper-case one is PostgreSQL
    let o = n.vital(&[
        "--history",
        "postgress://vital:pw@localhost/x",
        night.as_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the history store postgress://vital:***@localhost/x is a `postgress://` URL: a store is a SQLite file path or a postgres:// (postgresql://) URL"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("pw"), "{}", stderr(&o));
    assert!(!dir.join("postgress:").exists());
    let o = n.vital(&["--history", "POSTGRES://127.0.0.1:1/x", night.as_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot connect to the history store POSTGRES://127.0.0.1:1/x: PostgreSQL: error connecting to server: Connection refused"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("POSTGRES:").exists());
}

/// The rule set's hash in `runs` reads the rule files' paths relative to
/// their directory: the same rules give the same hash from any directory
/// and under any name; a changed rule gives another.
#[test]
fn the_ruleset_hash_does_not_depend_on_where_vital_runs() {
    let n = Nights::new();
    let dir = n.dir.path();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for e in std::fs::read_dir(&n.rules).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join("rules").join(p.file_name().unwrap())).unwrap();
    }
    let store = dir.join("h.db").display().to_string();
    let night = dir.join(n.file(DATES[0])).display().to_string();
    let abs_rules = dir.join("rules").display().to_string();
    let runs: [(&Path, &str); 3] = [
        (dir, "rules"),
        (&dir.join("sub"), "../rules"),
        (Path::new("/"), abs_rules.as_str()),
    ];
    for (cwd, rules) in runs {
        let o = support::vital_in(
            cwd,
            &[
                "run",
                "--rules",
                rules,
                "--history",
                &store,
                "--format",
                "jsonl",
                &night,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{rules}: {}", stderr(&o));
    }
    let first = std::fs::read_dir(dir.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "vital"))
        .unwrap();
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, format!("{text}\n# a comment is a change\n")).unwrap();
    let o = support::vital_in(
        dir,
        &[
            "run",
            "--rules",
            "rules",
            "--history",
            &store,
            "--format",
            "jsonl",
            &night,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hashes: Vec<String> = open(&store)
        .query("SELECT ruleset_hash FROM runs ORDER BY id", &[])
        .unwrap()
        .into_iter()
        .map(|r| r[0].text().unwrap())
        .collect();
    assert_eq!(hashes.len(), 4);
    assert_eq!(hashes[0], hashes[1]);
    assert_eq!(hashes[0], hashes[2]);
    assert_ne!(hashes[0], hashes[3]);
}

/// `VITAL_STORE_WAIT` that is not a number of seconds is warned about,
/// not ignored; a project-file error about the store is reported once,
/// with its place in `vital.toml`.
/// A store the run may read but not write — here a PostgreSQL role with
/// SELECT only, as a reporting role given by mistake — stops the run
/// before it scores, naming the store and saying nothing was recorded.
/// (A read-only SQLite file says the same: not tested here, as the tests
/// may run as root, whom file modes do not stop.)
#[test]
fn a_store_the_run_cannot_write_says_so_and_records_nothing() {
    let n = Nights::new();
    let Some(loc) = pg::fresh_database("cli_readonly") else {
        return pg::skipped("a_store_the_run_cannot_write_says_so_and_records_nothing");
    };
    let o = n.vital(&["--history", &loc, &n.file(DATES[0])]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let db = loc
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut admin = ::postgres::Client::connect(&loc, ::postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS vital_reader; CREATE ROLE vital_reader LOGIN; \
             GRANT CONNECT ON DATABASE {db} TO vital_reader; \
             GRANT USAGE ON SCHEMA public TO vital_reader; \
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO vital_reader"
        ))
        .unwrap();
    let (scheme, rest) = loc.split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    let reader = format!("{scheme}://vital_reader@{host}");
    let o = n.vital(&["--history", &reader, &n.file(DATES[1])]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing is scored");
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "error: cannot record into the history store {scheme}://vital_reader@"
        )),
        "{err}"
    );
    assert!(err.contains("permission denied"), "{err}");
    assert!(
        err.ends_with(
            " (the PostgreSQL role may read the store but not write to it); nothing was recorded\n"
        ),
        "{err}"
    );
    let mut s = open(&loc);
    assert_eq!(count(&mut s, "runs"), 1);
    assert_eq!(count(&mut s, "snapshots"), 1000);
    drop(s);
    // the role's grants go with the database; then the role
    drop(admin);
    pg::fresh_database("cli_readonly");
    let mut admin = ::postgres::Client::connect(&pg::url().unwrap(), ::postgres::NoTls).unwrap();
    admin
        .batch_execute("DROP ROLE IF EXISTS vital_reader")
        .unwrap();
}

#[test]
fn store_settings_that_are_wrong_say_so() {
    let n = Nights::new();
    let rules = n.rules.display().to_string();
    let night = n.file(DATES[0]);
    let o = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args([
            "run",
            "--rules",
            &rules,
            "--format",
            "jsonl",
            "--history",
            "h.db",
            &night,
        ])
        .current_dir(n.dir.path())
        .env("VITAL_STORE_WAIT", "abc")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "warning: VITAL_STORE_WAIT=`abc` is not a number of seconds; waiting the default 60 s\n"
        ),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        n.dir.path().join("vital.toml"),
        "[history]\nstore = \"h.db\"\nstale_after = \"1 month\"\n",
    )
    .unwrap();
    let o = support::vital_in(n.dir.path(), &["history", "--stale"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("vital.toml:3:"), "{err}");
    assert!(
        err.ends_with("error: the project file is not valid; nothing was done\n"),
        "{err}"
    );
}

/// A stored snapshot that the current rules reject is not used as history,
/// and the run names the first few, with why.
#[test]
fn stored_snapshots_the_rules_now_reject_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules = |tier: &str| {
        format!(
            "signal usage: number\nsignal tier: {tier}\n\nscore adoption weight 1 = usage\n\nstatus {{\n  ok otherwise\n}}\n\nrule \"drop\" when change(usage, 30 days) < -10 trigger \"call\"\n"
        )
    };
    std::fs::create_dir(d.join("rules")).unwrap();
    std::fs::write(d.join("rules/r.vital"), rules("text")).unwrap();
    let mut first = String::new();
    let mut second = String::new();
    for k in 0..5 {
        first.push_str(&format!(
            "{{\"account\": \"a{k}\", \"as_of\": \"2026-10-01\", \"signals\": {{\"usage\": 50, \"tier\": \"{}\"}}}}\n",
            if k < 4 { "bronze" } else { "gold" }
        ));
        second.push_str(&format!(
            "{{\"account\": \"a{k}\", \"as_of\": \"2026-10-31\", \"signals\": {{\"usage\": 30, \"tier\": \"gold\"}}}}\n"
        ));
    }
    std::fs::write(d.join("n1.jsonl"), first).unwrap();
    std::fs::write(d.join("n2.jsonl"), second).unwrap();
    let run = |file: &str| {
        support::vital_in(
            d,
            &[
                "run",
                "--rules",
                "rules",
                "--history",
                "h.db",
                "--format",
                "csv",
                file,
            ],
        )
    };
    let o = run("n1.jsonl");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // `tier` becomes an enum without `bronze`: four stored snapshots no
    // longer read
    std::fs::write(d.join("rules/r.vital"), rules("enum(gold, silver)")).unwrap();
    let o = run("n2.jsonl");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "warning: 4 stored snapshots no longer fit the rules and were not used as history; the first 3:\n  `a0` on 2026-10-01: "
        ),
        "{err}"
    );
    assert_eq!(err.matches("\n  `a").count(), 3, "{err}");
    assert!(err.contains("bronze"), "{err}");
    // a4's stored snapshot still reads: its usage fell 20, the others' did
    // not count
    let out = stdout(&o);
    let called: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("call"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(called, ["a4"], "{out}");
}
