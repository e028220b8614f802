//! `vital summary` through the real binary on the bundled examples. The
//! expected numbers were computed independently (Python's `decimal` over
//! `vital run --format jsonl` joined with each account's latest snapshot
//! for its signals) and are written here as literals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

#[path = "support/pg.rs"]
mod pg;

use serde_json::Value;
use std::path::Path;
use support::{record, root, stderr, stdout, vital_in};

fn example(name: &str) -> std::path::PathBuf {
    root().join("examples").join(name)
}

fn json_of(dir: &std::path::Path, args: &[&str]) -> Value {
    let o = vital_in(dir, args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("one JSON document")
}

fn group<'a>(doc: &'a Value, signal: &str, value: Option<&str>) -> &'a Value {
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"][signal].as_str() == value)
        .unwrap_or_else(|| panic!("no group {signal} = {value:?}"))
}

#[test]
fn support_health_by_plan() {
    let doc = json_of(
        &example("support-health"),
        &["summary", "--by", "support_plan", "--format", "json"],
    );
    assert_eq!(doc["source"], "run");
    assert_eq!(doc["as_of"], "2026-11-01");
    assert_eq!(doc["records"], 1500);
    assert_eq!(doc["rejected"], 0);
    // no `at_risk` in vital.toml: the last arm is at risk, the first healthy
    assert_eq!(doc["at_risk_statuses"], serde_json::json!(["danger"]));
    assert_eq!(doc["healthy_statuses"], serde_json::json!(["champion"]));
    let t = &doc["total"];
    assert_eq!(t["accounts"], 500);
    assert_eq!(t["statuses"]["champion"]["accounts"], 192);
    assert_eq!(t["statuses"]["needs_attention"]["accounts"], 187);
    assert_eq!(t["statuses"]["danger"]["accounts"], 121);
    assert_eq!(t["health"]["mean"], 64.16);
    assert_eq!(t["health"]["median"], 68.25);
    assert_eq!(t["at_risk"]["accounts"], 121);
    assert_eq!(t["at_risk"]["share"], 24.2);
    assert_eq!(t["healthy"]["share"], 38.4);
    assert!(t.get("value").is_none(), "no value signal configured");
    assert_eq!(t["playbooks"]["support recovery"]["triggered"], 166);
    assert_eq!(t["playbooks"]["support recovery"]["started"], 67);
    assert_eq!(t["playbooks"]["expansion"]["triggered"], 43);
    assert_eq!(t["playbooks"]["expansion"]["started"], 22);
    assert_eq!(doc["groups"].as_array().unwrap().len(), 3);
    // (plan, accounts, mean, median, champion, needs_attention, danger, support recovery triggered, started)
    let expected = [
        ("basic", 90, 52.93, 58.45, 24, 36, 30, 34, 9),
        ("premier", 142, 68.13, 71.85, 64, 48, 30, 45, 19),
        ("standard", 268, 65.83, 69.85, 104, 103, 61, 87, 39),
    ];
    for (plan, n, mean, median, c, na, d, tr, st) in expected {
        let g = group(&doc, "support_plan", Some(plan));
        assert_eq!(g["accounts"], n, "{plan}");
        assert_eq!(g["health"]["mean"], mean, "{plan}");
        assert_eq!(g["health"]["median"], median, "{plan}");
        assert_eq!(g["statuses"]["champion"]["accounts"], c, "{plan}");
        assert_eq!(g["statuses"]["needs_attention"]["accounts"], na, "{plan}");
        assert_eq!(g["statuses"]["danger"]["accounts"], d, "{plan}");
        assert_eq!(g["at_risk"]["accounts"], d, "{plan}");
        assert_eq!(
            g["playbooks"]["support recovery"]["triggered"], tr,
            "{plan}"
        );
        assert_eq!(g["playbooks"]["support recovery"]["started"], st, "{plan}");
    }
}

#[test]
fn digital_signals_value_weighted() {
    let dir = example("digital-signals");
    let doc = json_of(
        &dir,
        &["summary", "--by", "exec_sponsor", "--format", "json"],
    );
    assert_eq!(doc["value_signal"], "arr");
    assert_eq!(
        doc["at_risk_statuses"],
        serde_json::json!(["at_risk", "danger"]),
        "status order, not vital.toml's order"
    );
    let t = &doc["total"];
    assert_eq!(t["accounts"], 2000);
    assert_eq!(t["value"], 176896296.48);
    assert_eq!(t["statuses"]["thriving"]["accounts"], 679);
    assert_eq!(t["statuses"]["thriving"]["value"], 63393435.72);
    assert_eq!(t["statuses"]["steady"]["value"], 55243557.55);
    assert_eq!(t["statuses"]["at_risk"]["accounts"], 412);
    assert_eq!(t["statuses"]["at_risk"]["value"], 34218809.12);
    assert_eq!(t["statuses"]["danger"]["accounts"], 239);
    assert_eq!(t["statuses"]["danger"]["value"], 24040494.09);
    assert_eq!(t["at_risk"]["accounts"], 651);
    assert_eq!(t["at_risk"]["value"], 58259303.21);
    assert_eq!(t["health"]["mean"], 63.79);
    assert_eq!(t["health"]["median"], 65.15);
    assert_eq!(t["health"]["weighted"], 63.8);
    assert_eq!(t["playbooks"]["save playbook"]["triggered"], 382);
    assert_eq!(t["playbooks"]["save playbook"]["started"], 159);
    assert_eq!(doc["groups"].as_array().unwrap().len(), 528);
    let g = group(&doc, "exec_sponsor", Some("Aisha Becker"));
    assert_eq!(g["accounts"], 3);
    assert_eq!(g["value"], 222365.62);
    assert_eq!(g["health"]["mean"], 61.17);
    assert_eq!(g["health"]["median"], 57.6);
    assert_eq!(g["health"]["weighted"], 58.98);
    assert_eq!(g["at_risk"]["value"], 13199.05);
    // accounts without a sponsor: one group, sorted last
    let none = doc["groups"].as_array().unwrap().last().unwrap();
    assert_eq!(none["group"]["exec_sponsor"], Value::Null);
    assert_eq!(none["accounts"], 390);
    assert_eq!(none["value"], 35179381.9);
    assert_eq!(none["health"]["mean"], 49);
    assert_eq!(none["health"]["median"], 46.95);
    assert_eq!(none["health"]["weighted"], 49.52);
    assert_eq!(none["at_risk"]["accounts"], 251);
    assert_eq!(none["at_risk"]["value"], 21709428.67);

    // CSV: the total row first, then the groups; text values as read
    let o = vital_in(
        &dir,
        &["summary", "--by", "exec_sponsor", "--format", "csv"],
    );
    let text = stdout(&o);
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head = rd.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 529);
    assert_eq!(&rows[0][0], "(all)");
    assert_eq!(&rows[0][col("value")], "176896296.48");
    assert_eq!(&rows[0][col("weighted_health")], "63.8");
    let becker = rows.iter().find(|r| &r[0] == "Aisha Becker").unwrap();
    assert_eq!(&becker[col("accounts")], "3");
    assert_eq!(&becker[col("at_risk_value")], "13199.05");
    assert_eq!(&rows[528][0], "(none)");
    assert_eq!(&rows[528][col("accounts")], "390");

    // --value overrides vital.toml; --value of a non-money signal is refused
    let o = vital_in(&dir, &["summary", "--value", "logins_30d"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`logins_30d` is not a money signal"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn table_for_people() {
    let o = vital_in(
        &example("digital-signals"),
        &["summary", "--by", "exec_sponsor"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.starts_with(
            "digital signals example · as of 2026-11-01 · 2,000 accounts · arr 176,896,296\n"
        ),
        "{t}"
    );
    assert!(
        t.contains("health: mean 63.79 · median 65.15 · arr-weighted 63.8\n"),
        "{t}"
    );
    assert!(
        t.contains("at risk (at_risk, danger): 651 (32.6%), arr 58,259,303\n"),
        "{t}"
    );
    assert!(
        t.contains("  save playbook 382 triggered, 159 started\n"),
        "{t}"
    );
    assert!(t.contains("rejected: 0 of 6,000 records\n"), "{t}");
    assert!(t.lines().any(|l| l.starts_with("Aisha Becker ")), "{t}");
}

#[test]
fn jsonl_total_then_groups() {
    let o = vital_in(
        &example("support-health"),
        &["summary", "--by", "support_plan", "--format", "jsonl"],
    );
    let lines = support::jsonl(&o);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["group"], Value::Null);
    assert_eq!(lines[0]["accounts"], 500);
    assert_eq!(lines[1]["group"]["support_plan"], "basic");
    assert_eq!(lines[3]["group"]["support_plan"], "standard");
    assert_eq!(lines[3]["accounts"], 268);
}

#[test]
fn grouping_needs_an_enum_or_text_signal() {
    let dir = example("support-health");
    let o = vital_in(&dir, &["summary", "--by", "renewal_date"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`renewal_date` is not one (enum and text signals: `support_plan`)"),
        "{}",
        stderr(&o)
    );
    let o = vital_in(&dir, &["summary", "--by", "support_plan,csm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no signal `csm`"), "{}", stderr(&o));
}

/// The latest stored results summarise as the run that recorded them, in
/// SQLite and in PostgreSQL (`VITAL_TEST_PG_URL`; skipped without it).
#[test]
fn stored_results_summarise_as_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("history.db");
    stored_equals_run(db.to_str().unwrap());
}

#[test]
fn stored_results_summarise_as_the_run_postgres() {
    let Some(url) = pg::fresh_database("cli_summary_stored") else {
        return pg::skipped("stored_results_summarise_as_the_run");
    };
    stored_equals_run(&url);
}

fn stored_equals_run(db: &str) {
    let dir = example("support-health");
    // no store yet: an error, and none is created
    let o = vital_in(&dir, &["summary", "--history", db]);
    assert_eq!(o.status.code(), Some(1), "no store yet");
    assert!(
        stderr(&o).contains("no `vital run` has recorded to it yet"),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new(db).exists());
    let o = vital_in(&dir, &["run", "--history", db, "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let args = ["summary", "--by", "support_plan", "--format", "json"];
    let mut from_run = json_of(&dir, &args);
    let mut stored = json_of(&dir, &[&args[..], &["--history", db]].concat());
    assert_eq!(stored["source"], "store");
    assert_eq!(stored["records"], 1500);
    from_run["source"] = Value::Null;
    stored["source"] = Value::Null;
    assert_eq!(from_run, stored);
}

/// A night stored as its difference from the night before (schema 3: the
/// same signals again store next to nothing) still summarises with its
/// groups and value, as a run over that night with the store as history.
#[test]
fn stored_differences_summarise_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("history.db");
    stored_differences_in(db.to_str().unwrap());
}

/// The same on PostgreSQL (`VITAL_TEST_PG_URL`; skipped without it).
#[test]
fn stored_differences_summarise_whole_postgres() {
    let Some(url) = pg::fresh_database("cli_summary_differences") else {
        return pg::skipped("stored_differences_summarise_whole");
    };
    stored_differences_in(&url);
}

/// The support-health example's last night (its 500 records of
/// 2026-11-01) in `tmp` twice: as the night before (dated 2026-10-31) and
/// as itself; the records, and the two files.
fn two_nights(tmp: &Path) -> (Vec<String>, std::path::PathBuf, std::path::PathBuf) {
    let last: Vec<String> =
        std::fs::read_to_string(example("support-health").join("snapshots.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"2026-11-01\""))
            .map(String::from)
            .collect();
    assert_eq!(last.len(), 500);
    let before = tmp.join("10-31.jsonl");
    let now = tmp.join("11-01.jsonl");
    std::fs::write(
        &before,
        last.join("\n").replace("\"2026-11-01\"", "\"2026-10-31\"") + "\n",
    )
    .unwrap();
    std::fs::write(&now, last.join("\n") + "\n").unwrap();
    (last, before, now)
}

fn stored_differences_in(db: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("support-health");
    let (last, before, now) = two_nights(tmp.path());
    for f in [&before, &now] {
        record(&dir, db, f);
    }
    let stored = json_of(
        &dir,
        &[
            "summary",
            "--by",
            "support_plan",
            "--format",
            "json",
            "--history",
            db,
        ],
    );
    assert_eq!(stored["source"], "store");
    assert_eq!(stored["as_of"], "2026-11-01");
    // the groups as the night's records give them (none missing)
    let mut want: std::collections::BTreeMap<String, u64> = Default::default();
    for l in &last {
        let v: Value = serde_json::from_str(l).unwrap();
        *want
            .entry(v["signals"]["support_plan"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let got: std::collections::BTreeMap<String, u64> = stored["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["support_plan"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_string(),
                g["accounts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want, "{stored}");
}

/// Files with `--history` are scored with the store as history, as `vital
/// run --history` scores them (and as `vital report` does), recording
/// nothing: the night before's results decide what started. A store named
/// there that does not exist is an error, and none is created.
#[test]
fn files_with_a_store_read_it_as_history() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("history.db");
    let db = db.to_str().unwrap();
    let dir = example("support-health");
    let (last, before, now) = two_nights(tmp.path());
    let now = now.to_str().unwrap();
    let args = ["summary", now, "--format", "json"];

    let o = vital_in(&dir, &[&args[..], &["--history", db]].concat());
    assert_eq!(o.status.code(), Some(1), "no store yet");
    assert!(
        stderr(&o).contains("no `vital run` has recorded to it yet"),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new(db).exists(), "no store created");

    record(&dir, db, &before);
    let account: Value = serde_json::from_str(&last[0]).unwrap();
    let account = account["account"].as_str().unwrap().to_string();
    let results = |db: &str| {
        let o = vital_in(
            &dir,
            &["history", &account, "--history", db, "--format", "jsonl"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let recorded = results(db);
    assert_eq!(recorded.lines().count(), 1, "{recorded}");

    let alone = json_of(&dir, &args);
    let with = json_of(&dir, &[&args[..], &["--history", db]].concat());
    assert_eq!(
        with["source"], alone["source"],
        "a run's summary, not the store's"
    );
    assert_eq!(with["as_of"], "2026-11-01");
    let playbooks = |doc: &Value| -> Vec<(String, u64, u64)> {
        doc["total"]["playbooks"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, p)| {
                (
                    name.clone(),
                    p["triggered"].as_u64().unwrap(),
                    p["started"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (alone, with) = (playbooks(&alone), playbooks(&with));
    assert!(alone.iter().any(|(_, t, _)| *t > 0), "{alone:?}");
    for ((name, t, s), (name2, t2, s2)) in alone.iter().zip(&with) {
        assert_eq!((name, t), (name2, t2), "the same night scores the same");
        assert_eq!(
            s, t,
            "{name}: without history every triggered playbook starts"
        );
        assert!(s2 <= t2, "{name}");
    }
    // the night before had the same signals, so what it triggered does not
    // start again; what starts is what a day's passing changed (a renewal
    // now less than 60 days away: one account)
    let started = |p: &[(String, u64, u64)]| p.iter().map(|(_, _, s)| s).sum::<u64>();
    assert_eq!(started(&alone), 208, "{alone:?}");
    assert_eq!(started(&with), 1, "{with:?}");
    assert_eq!(results(db), recorded, "nothing recorded");
}

/// Shares are shown with one decimal, whole ones too (`50.0%`, not `50%`),
/// as docs/report.md shows them.
#[test]
fn whole_shares_keep_their_decimal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal usage: percent\nscore adoption weight 1 = usage / 1%\nstatus {\n  ok when health >= 50\n  low otherwise\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.jsonl"),
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 80}}\n\
         {\"account\": \"b\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 20}}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["summary", "--rules", "r.vital", "s.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.contains("healthy (ok): 1 (50.0%)\n"), "{t}");
    assert!(t.contains("at risk (low): 1 (50.0%)\n"), "{t}");
    assert!(
        t.lines()
            .any(|l| l.starts_with("ok ") && l.ends_with(" 50.0%")),
        "{t}"
    );
}

/// Rejected records follow `vital run`'s rule: an export whose column was
/// renamed (every record rejected) still gets its summary, and exits 1
/// saying so; within vital.toml's `max_rejected` it is a warning and 0. A
/// percent given as a fraction draws `vital run`'s warning.
#[test]
fn rejected_records_and_data_warnings_as_vital_run() {
    let tmp = tempfile::tempdir().unwrap();
    let ex = example("digital-signals");
    for f in ["vital.toml", "snapshots.jsonl"] {
        std::fs::copy(ex.join(f), tmp.path().join(f)).unwrap();
    }
    std::fs::create_dir(tmp.path().join("rules")).unwrap();
    for e in std::fs::read_dir(ex.join("rules")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join("rules").join(e.file_name())).unwrap();
    }
    let text = std::fs::read_to_string(ex.join("snapshots.jsonl")).unwrap();
    std::fs::write(
        tmp.path().join("renamed.jsonl"),
        text.replace("\"feature_usage\"", "\"feature_use\""),
    )
    .unwrap();
    let o = vital_in(
        tmp.path(),
        &["summary", "renamed.jsonl", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["rejected"], 6000);
    assert!(
        stderr(&o).ends_with("error: all 6,000 records were rejected; none was evaluated\n"),
        "{}",
        stderr(&o)
    );
    // one bad record of 6,000, allowed by `max_rejected`
    let one_bad = text.replacen("\"feature_usage\"", "\"feature_use\"", 1);
    std::fs::write(tmp.path().join("one.jsonl"), one_bad).unwrap();
    let toml = std::fs::read_to_string(tmp.path().join("vital.toml")).unwrap();
    std::fs::write(
        tmp.path().join("vital.toml"),
        format!("{toml}\n[rulesets.digital-signals.gates]\nmax_rejected = 1\n"),
    )
    .unwrap();
    let o = vital_in(tmp.path(), &["summary", "one.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with(
            "warning: 1 of 6,000 records was rejected; the others were evaluated (within `max_rejected` = 1 records of vital.toml)\n"
        ),
        "{}",
        stderr(&o)
    );
    let fractions: String = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let u = v["signals"]["feature_usage"].as_f64().unwrap();
            v["signals"]["feature_usage"] = serde_json::json!((u * 10.0).round() / 1000.0);
            format!("{v}\n")
        })
        .collect();
    std::fs::write(tmp.path().join("fractions.jsonl"), fractions).unwrap();
    let o = vital_in(tmp.path(), &["summary", "fractions.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "warning: fractions.jsonl: every value of percent signal `feature_usage` lies between 0 and 1"
        ),
        "{}",
        stderr(&o)
    );
    // the report says it on the page too, and exits as the summary does
    let o = vital_in(tmp.path(), &["report", "-o", "f.html", "fractions.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(tmp.path().join("f.html")).unwrap();
    assert!(
        html.contains("<div class=\"warn\" id=\"data-warnings\"><b>The input needs a look — these numbers may be wrong:</b><ul><li>fractions.jsonl: every value of percent signal `feature_usage` lies between 0 and 1"),
        "no warning on the page"
    );
    let o = vital_in(tmp.path(), &["report", "-o", "r.html", "renamed.jsonl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        tmp.path().join("r.html").exists(),
        "the page is still written"
    );
    let _: &Path = tmp.path();
}

/// The churn example holds 99 accounts that churned months ago (their last
/// snapshot is 2025-12-01): the summary and the report as of 2026-11-01
/// leave them out, with a note, and agree with each other; `stale_after`
/// of vital.toml keeps them.
#[test]
fn accounts_no_longer_exported_are_left_out() {
    let dir = example("churn");
    let o = vital_in(&dir, &["summary", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["total"]["accounts"], 301);
    assert!(
        stderr(&o).starts_with(
            "note: 99 accounts have no snapshot within 7 days of 2026-11-01 and are left out: acme-0101 (2025-12-01), "
        ),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(" and 94 more "), "{}", stderr(&o));
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("r.html");
    let o = vital_in(&dir, &["report", "-o", html.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with(&format!(
            "wrote {} (301 accounts, {} at risk)\n",
            html.display(),
            doc["total"]["at_risk"]["accounts"]
        )),
        "{}",
        stderr(&o)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("aperture-0030"),
        "a churned account is listed"
    );
    // a year of `stale_after` keeps them
    for f in ["vital.toml", "snapshots"] {
        let from = dir.join(f);
        if from.is_dir() {
            std::fs::create_dir(tmp.path().join(f)).unwrap();
            for e in std::fs::read_dir(&from).unwrap() {
                let e = e.unwrap();
                std::fs::copy(e.path(), tmp.path().join(f).join(e.file_name())).unwrap();
            }
        } else {
            std::fs::copy(&from, tmp.path().join(f)).unwrap();
        }
    }
    let toml = std::fs::read_to_string(tmp.path().join("vital.toml"))
        .unwrap()
        .replace(
            "path = \"rules\"",
            &format!("path = {:?}", dir.join("rules")),
        );
    std::fs::write(
        tmp.path().join("vital.toml"),
        format!("{toml}\n[history]\nstale_after = \"52 weeks\"\n"),
    )
    .unwrap();
    let o = vital_in(tmp.path(), &["summary", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["total"]["accounts"], 400);
    assert_eq!(stderr(&o), "");
}

/// `vital summary FILE` and `vital report` read a history store without
/// changing it: vital.toml's store is not created when it does not exist,
/// a run holding the store is not waited for, and a score the store has
/// not seen gets no column (docs/history.md, "Reading commands").
#[test]
fn reading_commands_leave_the_store_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    // the example as a project of its own, its store named in vital.toml
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(proj.join("rules")).unwrap();
    let example = example("support-health");
    for f in ["schema.vital", "scores.vital", "rules.vital"] {
        std::fs::copy(example.join("rules").join(f), proj.join("rules").join(f)).unwrap();
    }
    std::fs::write(
        proj.join("vital.toml"),
        "[rulesets.main]\npath = \"rules\"\n\n[history]\nstore = \"history.db\"\n",
    )
    .unwrap();
    let db = proj.join("history.db");
    let (_, before, now) = two_nights(tmp.path());
    let now = now.to_str().unwrap();
    let read = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_vital"))
            .args(args)
            .current_dir(&proj)
            .env("NO_COLOR", "1")
            // a lock taken would fail at once instead of being waited for
            .env("VITAL_STORE_WAIT", "0")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        o
    };

    let o = read(&["summary", now, "--format", "json"]);
    assert!(stderr(&o).contains("does not exist yet"), "{}", stderr(&o));
    assert!(!db.exists(), "vital.toml's store is not created");

    record(&proj, "history.db", &before);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let state = |conn: &rusqlite::Connection| -> (Vec<String>, i64) {
        let mut q = conn
            .prepare("SELECT name FROM pragma_table_info('results')")
            .unwrap();
        let columns = q
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let runs = conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        (columns, runs)
    };
    let was = state(&conn);
    assert!(was.0.iter().any(|c| c == "score_loyalty"), "{was:?}");
    assert_eq!(was.1, 1);

    // the rules gain a score; a nightly run holds the store meanwhile
    std::fs::write(
        proj.join("rules/extra.vital"),
        "score extra weight 1 = 50\n",
    )
    .unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let summary: Value =
        serde_json::from_str(&stdout(&read(&["summary", now, "--format", "json"]))).unwrap();
    assert_eq!(summary["as_of"], "2026-11-01");
    let html = tmp.path().join("report.html");
    read(&["report", now, "-o", html.to_str().unwrap()]);
    assert!(std::fs::metadata(&html).unwrap().len() > 1000);
    conn.execute_batch("ROLLBACK").unwrap();

    let is = state(&conn);
    assert_eq!(is, was, "no column added, no run started");
    assert!(!is.0.iter().any(|c| c == "score_extra"));
}
