//! `vital playbooks` (the starts the history store recorded) and
//! `[history] stale_after` (`vital run`'s summary, `vital history
//! --stale`), through the real binary, on SQLite and, with
//! `VITAL_TEST_PG_URL`, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/queue.rs"]
mod queue;
mod support;

use queue::{Backend, Project};
use support::{stderr, stdout};

/// The starts of two nights, in every format, and `--since`.
fn playbooks_lists_the_starts(b: Backend) {
    let Some(p) = Project::new(b, "playbooks_list", "") else {
        return pg::skipped("playbooks_lists_the_starts");
    };
    p.run("night-1.jsonl");
    p.run("night-2.jsonl");
    let all = queue::starts(&p);
    let keys = queue::start_keys(&all);
    assert_eq!(
        keys,
        [
            "2026-11-01 a risk review",
            "2026-11-01 b exec call",
            "2026-11-01 b risk review",
            "2026-11-02 c risk review",
        ]
    );
    let b_exec = &all[1];
    assert_eq!(b_exec["health"], 5.0);
    assert_eq!(b_exec["status"], "danger");
    assert_eq!(b_exec["rule"], "very low usage");
    assert_eq!(b_exec["source"], "rules/health.vital:14:1");
    assert_eq!(b_exec["reads"], serde_json::json!(["usage = 5"]));
    assert_eq!(b_exec["delivery"], "pending");
    assert_eq!(b_exec["attempts"], 0);
    assert!(b_exec["owner"].is_null() && b_exec["delivered_at"].is_null());
    // --since
    let o = p.vital(&["playbooks", "--since", "2026-11-02", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let since = support::jsonl(&o);
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["account"], "c");
    let o = p.vital(&["playbooks", "--since", "2026-11-32"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`2026-11-32` is not a date (YYYY-MM-DD)"),
        "{}",
        stderr(&o)
    );
    // csv and table
    let csv = p.vital(&["playbooks", "--format", "csv"]);
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    insta::assert_snapshot!("playbooks_csv", stdout(&csv));
    let table = p.vital(&["playbooks", "--format", "table"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    insta::assert_snapshot!("playbooks_table", stdout(&table));
    // --undelivered after one was delivered
    let mut s = p.open();
    s.mark_delivered(
        "a",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        "risk review",
        chrono::Utc::now(),
        1,
    )
    .unwrap();
    drop(s);
    let o = p.vital(&["playbooks", "--undelivered", "--format", "jsonl"]);
    let left: Vec<String> = support::jsonl(&o)
        .iter()
        .map(|s| s["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, ["b", "b", "c"]);
    let first = &queue::starts(&p)[0];
    assert_eq!(first["delivery"], "delivered");
    assert!(first["delivered_at"].as_str().unwrap().ends_with('Z'));
}

/// Stale accounts are those whose latest snapshot is more than
/// `stale_after` before the run's latest `as_of`: 7 days by default.
fn stale_after_is_a_setting(b: Backend) {
    let Some(p) = Project::new(b, "playbooks_stale", "") else {
        return pg::skipped("stale_after_is_a_setting");
    };
    p.run("earlier.jsonl");
    // `old` was last seen 12 days before night one
    let o = p.run("night-1.jsonl");
    assert!(
        stderr(&o).contains("note: 1 account in the history store has no snapshot within 7 days of 2026-11-01: old (2026-10-20) (`vital history --stale`)"),
        "{}",
        stderr(&o)
    );
    let h = p.vital(&["history", "--stale", "--format", "csv"]);
    assert_eq!(stdout(&h), "account,latest_as_of\nold,2026-10-20\n");
    let t = p.vital(&["history", "--stale", "--format", "table"]);
    assert_eq!(
        stdout(&t),
        "1 account without a snapshot within 7 days of 2026-11-01:\nold                            last snapshot 2026-10-20\n"
    );
    // two weeks: not stale
    p.write_toml("stale_after = \"2 weeks\"\n");
    let o = p.run("night-1.jsonl");
    assert!(!stderr(&o).contains("no snapshot within"), "{}", stderr(&o));
    let t = p.vital(&["history", "--stale", "--format", "table"]);
    assert_eq!(
        stdout(&t),
        "no stale accounts: every account has a snapshot within 14 days of 2026-11-01\n"
    );
    // a number of days
    p.write_toml("stale_after = 11\n");
    let h = p.vital(&["history", "--stale", "--format", "jsonl"]);
    assert_eq!(
        stdout(&h),
        "{\"account\":\"old\",\"latest_as_of\":\"2026-10-20\"}\n"
    );
    // the reference is the run's latest as_of, not the store's: a rerun
    // of the earlier night finds nobody stale
    p.write_toml("");
    let o = p.run("earlier.jsonl");
    assert!(!stderr(&o).contains("no snapshot within"), "{}", stderr(&o));
}

/// A night recorded after later nights (a backfill) says which of their
/// starts were decided without it; nights in order, and a rerun of a
/// night the store has, say nothing.
fn a_backfill_names_the_later_starts_it_changes(b: Backend) {
    let Some(p) = Project::new(b, "playbooks_backfill", "") else {
        return pg::skipped("a_backfill_names_the_later_starts_it_changes");
    };
    let quiet = |o: &std::process::Output| {
        assert!(!stderr(o).contains("decided without"), "{}", stderr(o));
    };
    quiet(&p.run("night-2.jsonl"));
    // night 1 starts "risk review" for a, "exec call" and "risk review"
    // for b: night 2 started the same three for want of a night before
    let o = p.run("night-1.jsonl");
    assert!(
        stderr(&o).contains(
            "note: 3 playbook starts recorded for later nights were decided without the backfilled night 2026-11-01: run those nights again"
        ),
        "{}",
        stderr(&o)
    );
    // a rerun of a night the store has is not a backfill
    quiet(&p.run("night-1.jsonl"));
    // running night 2 again decides its starts with night 1: a and b go on
    // as before, so only c's start remains, as when the nights ran in
    // order (`playbooks_lists_the_starts` lists those), which say nothing
    quiet(&p.run("night-2.jsonl"));
    let Some(q) = Project::new(b, "playbooks_in_order", "") else {
        return pg::skipped("a_backfill_names_the_later_starts_it_changes");
    };
    quiet(&q.run("night-1.jsonl"));
    quiet(&q.run("night-2.jsonl"));
    let keys = queue::start_keys(&queue::starts(&p));
    assert_eq!(keys, queue::start_keys(&queue::starts(&q)));
    assert_eq!(keys.len(), 4, "{keys:?}");
}

both!(
    playbooks_lists_the_starts,
    stale_after_is_a_setting,
    the_owner_is_listed,
    a_backfill_names_the_later_starts_it_changes
);

/// A bad `stale_after` stops every command with its line.
#[test]
fn a_bad_stale_after_is_placed() {
    let p = Project::new(
        Backend::Sqlite,
        "stale_bad",
        "stale_after = \"a fortnight\"\n",
    )
    .unwrap();
    let o = p.vital(&["history", "--stale"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("`stale_after` is a number of days (`7`) or a duration such as `\"7 days\"` or `\"2 weeks\"`"),
        "{err}"
    );
    assert!(err.contains("vital.toml:6"), "{err}");
}

/// No store configured, a store file that is not there (and is not
/// created), a PostgreSQL server that is down: clear errors, exit 1.
#[test]
fn a_missing_store_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let o = support::vital_in(empty.path(), &["playbooks"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: no history store: set `[history] store` in vital.toml, or give `--history PATH|URL`\n"
    );
    // vital.toml names a store no run has recorded to
    let p = Project::new(Backend::Sqlite, "playbooks_missing", "").unwrap();
    for cmd in [
        &["playbooks"][..],
        &["history", "--stale"][..],
        &["notify", "--webhook", "http://127.0.0.1:9/x"][..],
    ] {
        let o = p.vital(cmd);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}");
        assert!(
            stderr(&o).starts_with("error: the history store `.vital/history.db` does not exist (")
                && stderr(&o).contains("): no `vital run` has recorded to it yet"),
            "{cmd:?}: {}",
            stderr(&o)
        );
    }
    assert!(
        !p.path().join(".vital").exists(),
        "no empty store is created"
    );
    // PostgreSQL that is not there
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://vital:pw@127.0.0.1:{port}/vital");
    let o = support::vital_in(empty.path(), &["playbooks", "--history", &url]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "error: cannot connect to the history store postgres://vital:***@127.0.0.1:{port}/vital: PostgreSQL: "
        )),
        "{err}"
    );
    assert!(!err.contains(":pw@"), "the password stays hidden: {err}");
}

/// A trigger's `owner` is listed with its start, and sent by `vital
/// notify --dry-run` in the body's `owner` and text.
fn the_owner_is_listed(b: Backend) {
    let Some(p) = Project::new(b, "playbooks_owner", "") else {
        return pg::skipped("the_owner_is_listed");
    };
    std::fs::write(
        p.path().join("rules/health.vital"),
        queue::RULES
            .replace(
                "signal usage: number",
                "signal usage: number\nsignal csm: text?",
            )
            .replace(
                "trigger \"risk review\"",
                "trigger \"risk review\" owner csm",
            ),
    )
    .unwrap();
    std::fs::write(
        p.path().join("owned.jsonl"),
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 20, \"csm\": \"Dana Scully\"}}\n\
         {\"account\": \"b\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 5}}\n",
    )
    .unwrap();
    p.run("owned.jsonl");
    let owners: Vec<(String, serde_json::Value)> = queue::starts(&p)
        .iter()
        .map(|s| {
            (
                format!(
                    "{} {}",
                    s["account"].as_str().unwrap(),
                    s["playbook"].as_str().unwrap()
                ),
                s["owner"].clone(),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            (
                "a risk review".to_string(),
                serde_json::json!("Dana Scully")
            ),
            ("b exec call".to_string(), serde_json::Value::Null),
            ("b risk review".to_string(), serde_json::Value::Null),
        ]
    );
    let t = p.vital(&["playbooks", "--format", "table"]);
    let table = stdout(&t);
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .contains(" risk review  Dana Scully "),
        "{table}"
    );
    let d = p.vital(&["notify", "--dry-run"]);
    let first = &support::jsonl(&d)[0];
    assert_eq!(first["owner"], "Dana Scully");
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .starts_with("*risk review* started for *a* on 2026-11-01 — health 20.0, status danger, owner Dana Scully\n"),
        "{first}"
    );
}

/// A start of a trigger that tests scores, `health` or `status` records
/// what it read, as `vital explain` shows it (`health = 15`), so the work
/// queue says why: not an empty `reads`.
#[test]
fn a_start_on_health_or_a_score_records_what_it_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.vital"),
        "signal usage: number\n\
         score adoption weight 1 = usage\n\
         status {\n  healthy when health >= 50\n  danger otherwise\n}\n\
         rule \"rescue\" when health < 40 trigger \"rescue call\"\n\
         rule \"adoption\" when status == danger and adoption < 20 and usage > 1 trigger \"training\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("night.jsonl"),
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 15}}\n",
    )
    .unwrap();
    let o = support::vital_in(
        dir.path(),
        &[
            "run",
            "--rules",
            "rules.vital",
            "--history",
            "h.db",
            "--format",
            "jsonl",
            "night.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = support::vital_in(
        dir.path(),
        &["playbooks", "--history", "h.db", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let starts = support::jsonl(&o);
    let reads: Vec<(&str, &serde_json::Value)> = starts
        .iter()
        .map(|s| (s["playbook"].as_str().unwrap(), &s["reads"]))
        .collect();
    assert_eq!(
        reads,
        [
            ("rescue call", &serde_json::json!(["health = 15"])),
            (
                "training",
                &serde_json::json!(["status = danger", "adoption = 15", "usage = 15"])
            ),
        ]
    );
}
