//! Trigger cooldowns and owners through the real binary (docs/language.md
//! §3, §8; docs/history.md): nightly runs with a history store (SQLite, and
//! PostgreSQL when `VITAL_TEST_PG_URL` is set), one run over several nights
//! without a store, reruns, and `vital test`'s `expect started`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pg.rs"]
mod pg;
mod support;

use std::path::Path;
use std::time::Duration;
use support::{jsonl, stderr, vital_in};
use vital_store::Store;

/// `owner` is a signal here (a contextual word, not reserved), and the
/// owner of "risk review"; "rescue" has no cooldown.
const RULES: &str = r#"signal owner: text?
signal csm: enum(dana, lee)
signal seats: int

score engagement weight 1 = seats * 10

rule "low engagement" when engagement < 40 trigger "risk review" cooldown 30 days owner owner
when engagement < 20 trigger "rescue" owner csm

status {
  fine when health >= 50
  poor otherwise
}
"#;

/// The nights: `acme` dips on 11-01, 11-10 and 12-01 and recovers in
/// between; `globex` dips every night (triggered throughout: started once).
const NIGHTS: [(&str, i64); 5] = [
    ("2026-11-01", 1),
    ("2026-11-05", 10),
    ("2026-11-10", 1),
    ("2026-11-20", 10),
    ("2026-12-01", 1),
];

/// What `acme` starts each night: "risk review" is held back on 11-10
/// (nine days after its start) and free again on 12-01 (30 days after);
/// "rescue" has no cooldown.
const ACME_STARTED: [&[&str]; 5] = [
    &["risk review", "rescue"],
    &[],
    &["rescue"],
    &[],
    &["risk review", "rescue"],
];

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("rules/rules.vital"), RULES).unwrap();
        for (d, seats) in NIGHTS {
            let acme = format!(
                r#"{{"account": "acme", "as_of": "{d}", "signals": {{"owner": "Dana Scully", "csm": "lee", "seats": {seats}}}}}"#
            );
            let globex = format!(
                r#"{{"account": "globex", "as_of": "{d}", "signals": {{"csm": "dana", "seats": 1}}}}"#
            );
            std::fs::write(
                dir.path().join(format!("{d}.jsonl")),
                format!("{acme}\n{globex}\n"),
            )
            .unwrap();
        }
        Project { dir }
    }

    fn run(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = vec!["run", "--rules", "rules", "--format", "jsonl"];
        all.extend_from_slice(args);
        let o = vital_in(self.dir.path(), &all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        jsonl(&o)
    }
}

fn file(d: &str) -> String {
    format!("{d}.jsonl")
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// `(account, as_of)`'s result among `results`.
fn result<'a>(results: &'a [serde_json::Value], account: &str, d: &str) -> &'a serde_json::Value {
    results
        .iter()
        .find(|r| r["account"] == account && r["as_of"] == d)
        .unwrap_or_else(|| panic!("no result for {account} on {d}: {results:?}"))
}

fn check_night(results: &[serde_json::Value], k: usize) {
    let (d, seats) = NIGHTS[k];
    let acme = result(results, "acme", d);
    let triggered: &[&str] = if seats == 1 {
        &["risk review", "rescue"]
    } else {
        &[]
    };
    assert_eq!(names(&acme["triggered"]), triggered, "acme on {d}");
    assert_eq!(names(&acme["started"]), ACME_STARTED[k], "acme on {d}");
    let globex = result(results, "globex", d);
    let want: &[&str] = if k == 0 {
        &["risk review", "rescue"]
    } else {
        &[]
    };
    assert_eq!(names(&globex["started"]), want, "globex on {d}");
}

enum Backend {
    Sqlite,
    Postgres,
}

fn location(b: &Backend, p: &Project, test: &str) -> Option<String> {
    match b {
        Backend::Sqlite => Some(p.dir.path().join("history.db").display().to_string()),
        Backend::Postgres => pg::fresh_database(&format!("cooldown_{test}")),
    }
}

/// Every recorded start: (account, as_of, playbook, owner), in order.
fn starts(loc: &str) -> Vec<(String, String, String, Option<String>)> {
    let mut s = Store::open(loc, Path::new("."), Duration::from_secs(30)).unwrap();
    s.query(
        "SELECT a.name, p.as_of, p.playbook, p.owner FROM playbook_starts p \
         JOIN accounts a ON a.id = p.account_id ORDER BY p.as_of, a.name, p.playbook",
        &[],
    )
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r[0].text().unwrap(),
            r[1].date().unwrap().to_string(),
            r[2].text().unwrap(),
            r[3].text(),
        )
    })
    .collect()
}

fn start(a: &str, d: &str, p: &str, owner: &str) -> (String, String, String, Option<String>) {
    (a.into(), d.into(), p.into(), Some(owner.into()))
}

/// The starts the five nights record, with their owners: `owner` (a text
/// signal named `owner`) for "risk review", `csm` (an enum) for "rescue".
fn all_starts() -> Vec<(String, String, String, Option<String>)> {
    vec![
        start("acme", "2026-11-01", "rescue", "lee"),
        start("acme", "2026-11-01", "risk review", "Dana Scully"),
        start("globex", "2026-11-01", "rescue", "dana"),
        (
            "globex".into(),
            "2026-11-01".into(),
            "risk review".into(),
            None,
        ),
        start("acme", "2026-11-10", "rescue", "lee"),
        start("acme", "2026-12-01", "rescue", "lee"),
        start("acme", "2026-12-01", "risk review", "Dana Scully"),
    ]
}

// ------------------------------------------------------------------ tests

/// Five nightly runs with a store: "risk review" starts on 11-01, is held
/// back on 11-10 (within its 30 days; still triggered) and starts again on
/// 12-01, 30 days later; owners are recorded with each start.
fn nightly_runs_honour_the_cooldown(b: Backend) {
    let p = Project::new();
    let Some(loc) = location(&b, &p, "nightly") else {
        return pg::skipped("nightly_runs_honour_the_cooldown");
    };
    let mut nights = Vec::new();
    for (k, (d, _)) in NIGHTS.iter().enumerate() {
        let r = p.run(&["--history", &loc, &file(d)]);
        check_night(&r, k);
        nights.push(r);
    }
    assert_eq!(starts(&loc), all_starts());
    // reruns of a night reproduce it, even after later nights were
    // recorded: 11-10 is still held back by 11-01's start (not by 12-01's,
    // which is later), 12-01 still starts (its own earlier row does not
    // count)
    for k in [2, 4, 0] {
        let again = p.run(&["--history", &loc, &file(NIGHTS[k].0)]);
        assert_eq!(again, nights[k], "rerun of {}", NIGHTS[k].0);
    }
    assert_eq!(starts(&loc), all_starts());
}

/// Several nights in one input and the rest from the store: the input's
/// own starts count for the cooldown, and the store's for the later runs.
fn a_run_over_several_nights_then_nightly(b: Backend) {
    let p = Project::new();
    let Some(loc) = location(&b, &p, "several") else {
        return pg::skipped("a_run_over_several_nights_then_nightly");
    };
    let first: Vec<String> = NIGHTS[..3].iter().map(|(d, _)| file(d)).collect();
    let mut args = vec!["--history", loc.as_str(), "--all"];
    args.extend(first.iter().map(String::as_str));
    let r = p.run(&args);
    for k in 0..3 {
        check_night(&r, k);
    }
    for (k, (d, _)) in NIGHTS.iter().enumerate().skip(3) {
        check_night(&p.run(&["--history", &loc, &file(d)]), k);
    }
    assert_eq!(starts(&loc), all_starts());
}

/// Without a store, one run over every night applies the cooldown within
/// the input: the same `started` as the nightly runs with a store.
#[test]
fn without_a_store_the_input_history_counts() {
    let p = Project::new();
    let files: Vec<String> = NIGHTS.iter().map(|(d, _)| file(d)).collect();
    let mut args = vec!["--all"];
    args.extend(files.iter().map(String::as_str));
    let r = p.run(&args);
    for k in 0..NIGHTS.len() {
        check_night(&r, k);
    }
    // the last night alone has no earlier start: it starts
    let alone = p.run(&[&file(NIGHTS[2].0)]);
    assert_eq!(
        names(&result(&alone, "acme", NIGHTS[2].0)["started"]),
        ["risk review", "rescue"]
    );
    // csv: the started column too
    let o = vital_in(
        p.dir.path(),
        &[
            "run", "--rules", "rules", "--format", "csv", "--all", &files[0], &files[1], &files[2],
        ],
    );
    let csv = support::stdout(&o);
    assert!(
        csv.lines().any(|l| l.starts_with("acme,2026-11-10,")
            && l.ends_with(",risk review;rescue,rescue")),
        "{csv}"
    );
}

/// `vital test`: `expect started` against the test's history, honouring
/// the cooldown; a failure says why.
#[test]
fn vital_test_expects_started() {
    let p = Project::new();
    let tests = r#"test "held back within the cooldown" {
  as_of 2026-11-10
  given {
    seats = 1
  }
  history {
    on 2026-11-01 { seats = 1 }
    on 2026-11-05 { seats = 10 }
  }
  expect triggered "risk review"
  expect not started "risk review"
  expect started "rescue"
}

test "free again 30 days later" {
  as_of 2026-12-01
  given {
    seats = 1
  }
  history {
    on 2026-11-01 { seats = 1 }
    on 2026-11-05 { seats = 10 }
  }
  expect started "risk review"
}
"#;
    std::fs::write(p.dir.path().join("rules/tests.vital"), tests).unwrap();
    let o = vital_in(p.dir.path(), &["test", "rules"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        support::stdout(&o),
        stderr(&o)
    );
    assert!(support::stdout(&o).contains("2 passed, 0 failed"));
    // one day earlier, the cooldown still holds
    std::fs::write(
        p.dir.path().join("rules/tests.vital"),
        tests.replace("as_of 2026-12-01", "as_of 2026-11-30"),
    )
    .unwrap();
    let o = vital_in(p.dir.path(), &["test", "rules"]);
    assert_eq!(o.status.code(), Some(1));
    let out = support::stdout(&o);
    assert!(
        out.contains("expect started \"risk review\"  at rules/tests.vital:24:3")
            && out.contains(
                "started: \"rescue\"; \"risk review\" was started on 2026-11-01, within its cooldown"
            ),
        "{out}"
    );
}

/// A signal named `owner` or `cooldown` works as any signal, next to the
/// clauses; `vital check` and `vital fmt --check` accept the rule set.
#[test]
fn signals_named_owner_and_cooldown() {
    let p = Project::new();
    let rules = RULES.replace(
        "signal seats: int",
        "signal seats: int\nsignal cooldown: int?",
    ) + "when cooldown > 3 and owner == \"Dana Scully\" trigger \"risk review\"\n";
    std::fs::write(p.dir.path().join("rules/rules.vital"), rules).unwrap();
    let o = vital_in(p.dir.path(), &["check", "rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = vital_in(p.dir.path(), &["fmt", "--check", "rules"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        support::stdout(&o),
        stderr(&o)
    );
    std::fs::write(
        p.dir.path().join("in.jsonl"),
        r#"{"account": "a", "as_of": "2026-11-01", "signals": {"owner": "Dana Scully", "csm": "lee", "seats": 10, "cooldown": 5}}
"#,
    )
    .unwrap();
    let r = p.run(&["in.jsonl"]);
    assert_eq!(names(&r[0]["started"]), ["risk review"]);
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
    nightly_runs_honour_the_cooldown,
    a_run_over_several_nights_then_nightly,
);

/// `vital fmt`: the clauses in one order (`cooldown` first) with single
/// spaces, comments kept, and a second run changes nothing.
#[test]
fn vital_fmt_orders_the_clauses() {
    let p = Project::new();
    let messy = RULES.replace(
        "trigger \"risk review\" cooldown 30 days owner owner",
        "trigger \"risk review\"   owner  owner cooldown\n  30   days  # monthly at most",
    );
    assert_ne!(messy, RULES);
    let file = p.dir.path().join("rules/rules.vital");
    std::fs::write(&file, &messy).unwrap();
    let o = vital_in(p.dir.path(), &["fmt", "--check", "rules"]);
    assert_eq!(o.status.code(), Some(1), "{}", support::stdout(&o));
    let o = vital_in(p.dir.path(), &["fmt", "rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = RULES.replace(
        "cooldown 30 days owner owner\n",
        "cooldown 30 days owner owner  # monthly at most\n",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), want);
    let o = vital_in(p.dir.path(), &["fmt", "--check", "rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", support::stdout(&o));
}

/// `vital summary` over several nights counts the starts `vital run` reports:
/// on 11-10 "risk review" is triggered for both accounts and started for
/// neither (acme's cooldown, globex's triggered the night before).
#[test]
fn vital_summary_counts_starts_after_the_cooldown() {
    let p = Project::new();
    let files: Vec<String> = NIGHTS[..3].iter().map(|(d, _)| file(d)).collect();
    let mut args = vec!["summary", "--rules", "rules", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let o = vital_in(p.dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&support::stdout(&o)).unwrap();
    let playbooks = &v["total"]["playbooks"];
    assert_eq!(
        playbooks["risk review"],
        serde_json::json!({"triggered": 2, "started": 0}),
        "{v}"
    );
    assert_eq!(
        playbooks["rescue"],
        serde_json::json!({"triggered": 2, "started": 1}),
        "{v}"
    );
}
