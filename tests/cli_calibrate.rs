//! `vital calibrate`, driven through the real binary: the churn example's
//! known truth, hand-computed AUC and lift on a tiny fixture, the time
//! split, thin-evidence warnings, `--write-weights` and bad outcome rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::Value;
use std::path::Path;
use support::{root, stderr, stdout, vital_in};

fn json(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn example() -> std::path::PathBuf {
    root().join("examples/churn")
}

fn suggested(report: &Value) -> Vec<(String, f64)> {
    report["weights"]["suggested"]
        .as_array()
        .expect("weights are suggested")
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
        .collect()
}

#[test]
fn the_example_recovers_the_hidden_model() {
    let o = vital_in(
        &example(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    // the predictive scores above the decoy
    let w = suggested(&r);
    let weight = |n: &str| w.iter().find(|(s, _)| s == n).unwrap().1;
    for s in ["adoption", "support", "advocacy"] {
        assert!(weight(s) > weight("sentiment"), "{w:?}");
    }
    // … keeping the total of the current weights (4 × 25)
    assert_eq!(w.iter().map(|(_, x)| x).sum::<f64>(), 100.0);
    // health ranks churn risk far better than chance
    let auc = r["health"]["auc"].as_f64().unwrap();
    assert!(auc > 0.7, "{auc}");
    let [lo, hi] = [0, 1].map(|i| r["health"]["auc_interval"][i].as_f64().unwrap());
    assert!(lo < auc && auc < hi);
    // the decoy score's own AUC is near one half; adoption's is not
    let score_auc = |n: &str| {
        r["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()["auc"]
            .as_f64()
            .unwrap()
    };
    assert!((score_auc("sentiment") - 0.5).abs() < 0.1);
    assert!(score_auc("adoption") > 0.7);
    // the "flexible plan" bonus goes with more churn (the hidden model's
    // monthly plans), and references with less
    let verdict = |n: &str| {
        r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(verdict("flexible plan"), "wrong way");
    assert_eq!(verdict("recent reference"), "as expected");
    // the save call's trigger rule fires for the accounts that churn
    assert_eq!(verdict("save call"), "more churn");
    // the support band's 1 and 2 critical tickets carry the same risk
    assert!(r["bands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["score"] == "support" && b["arms"][1] == "== 2 => 55"));
    // the same seed, the same report
    let again = vital_in(
        &example(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(stdout(&o), stdout(&again));
}

#[test]
fn fit_and_test_rows_are_apart_in_time() {
    let o = vital_in(
        &example(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    let r = json(&o);
    let w = &r["weights"];
    let d =
        |k: &str| chrono::NaiveDate::parse_from_str(w[k].as_str().unwrap(), "%Y-%m-%d").unwrap();
    // every fitted snapshot's 90-day horizon is over before the first test snapshot
    assert!(d("fit_to") + chrono::Days::new(90) <= d("test_from"), "{w}");
    assert!(w["fit_rows"].as_u64().unwrap() > 0 && w["test_rows"].as_u64().unwrap() > 0);
    let labelled = r["counts"]["labelled"].as_u64().unwrap();
    assert!(w["fit_rows"].as_u64().unwrap() + w["test_rows"].as_u64().unwrap() <= labelled);
    // the snapshots of October and November: their horizon is not over
    assert_eq!(r["through"], "2026-12-29");
    assert!(r["counts"]["horizon_not_over"].as_u64().unwrap() > 0);
}

/// Five accounts, one snapshot each (2026-01-01); score `a` is the signal
/// `x`, less 10 when `flag`; score `b` is 50; health = (a + b) / 2.
///
/// | account | x  | flag | a  | health | outcome (horizon 90 days) |
/// |---------|----|------|----|--------|---------------------------|
/// | a1      | 30 | yes  | 20 | 35     | churned 2026-02-01        |
/// | a2      | 40 | no   | 40 | 45     | churned 2026-03-15        |
/// | a3      | 50 | yes  | 40 | 45     | renewed 2026-06-01        |
/// | a4      | 70 | no   | 70 | 60     | expanded 2026-05-01       |
/// | a5      | 90 | no   | 90 | 70     | renewed 2026-12-31        |
///
/// AUC of health (lower = riskier): churned × stayed pairs, 6 of them:
/// a1 is below a3, a4, a5 (3); a2 ties a3 (½) and is below a4, a5 (2):
/// 5.5 / 6 = 0.916666…
/// Lift of "flagged": fired a1, a3 (1 of 2 churned, 50 %); not fired a2,
/// a4, a5 (1 of 3, 33.3 %): 0.5 / (1/3) = 1.5.
/// At risk (`risk`: health < 50): a1, a2, a3; precision 2/3, recall 1.
fn tiny(dir: &Path) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("rules/rules.vital"),
        "signal x: number\nsignal flag: bool\n\nscore a weight 1 = x\nscore b weight 1 = 50\n\nrule \"flagged\" when flag subtract 10 from a\n\nstatus {\n  ok   when health >= 50\n  risk otherwise\n}\n",
    )
    .unwrap();
    let rec = |a: &str, x: u32, flag: bool| {
        format!(
            "{{\"account\":\"{a}\",\"as_of\":\"2026-01-01\",\"signals\":{{\"x\":{x},\"flag\":{flag}}}}}\n"
        )
    };
    let snaps = [
        rec("a1", 30, true),
        rec("a2", 40, false),
        rec("a3", 50, true),
        rec("a4", 70, false),
        rec("a5", 90, false),
    ]
    .concat();
    std::fs::write(dir.join("snapshots.jsonl"), snaps).unwrap();
    std::fs::write(
        dir.join("outcomes.csv"),
        "account,date,outcome\na1,2026-02-01,churned\na2,2026-03-15,churned\na3,2026-06-01,renewed\na4,2026-05-01,expanded\na5,2026-12-31,renewed\n",
    )
    .unwrap();
}

#[test]
fn auc_and_lift_match_a_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["counts"]["labelled"], 5);
    assert_eq!(r["counts"]["churned_rows"], 2);
    assert!((r["health"]["auc"].as_f64().unwrap() - 5.5 / 6.0).abs() < 1e-12);
    let rule = &r["rules"][0];
    assert_eq!(rule["name"], "flagged");
    assert_eq!(rule["fired_rows"], 2);
    assert_eq!(rule["churned_fired"], 1);
    assert_eq!(rule["churned_not_fired"], 1);
    assert!((rule["lift"]["lift"].as_f64().unwrap() - 1.5).abs() < 1e-12);
    let at_risk = &r["health"]["at_risk"];
    assert!((at_risk["precision"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(at_risk["recall"], 1.0);
    // thin evidence everywhere: warnings, no verdict, no weights
    assert_eq!(rule["verdict"], "thin evidence");
    assert!(r["weights"]["suggested"].is_null());
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings[0].starts_with("thin evidence: 2 churned snapshots (2 accounts)"),
        "{warnings:?}"
    );
    assert!(warnings
        .iter()
        .any(|w| w.starts_with("thin evidence: rule \"flagged\"")));
    assert!(warnings.iter().any(|w| w.contains("no weights suggested")));
    // the human report says so too, and --write-weights refuses
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
            "--write-weights",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("ROC AUC 0.917"), "{}", stdout(&o));
    assert!(stdout(&o).contains("warning: thin evidence"));
    assert!(stderr(&o).contains("no weights were suggested"));
}

#[test]
fn a_horizon_leaves_out_what_is_not_over() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    // 1 year after 2026-01-01 ends after the last outcome (2026-12-31)
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "--outcomes",
            "outcomes.csv",
            "--horizon",
            "1",
            "year",
            "snapshots.jsonl",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["counts"]["labelled"], 0);
    assert_eq!(r["counts"]["horizon_not_over"], 5);
    // `--horizon 30 snapshots.jsonl`: 30 days, and the file
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "--outcomes",
            "outcomes.csv",
            "--horizon",
            "30",
            "snapshots.jsonl",
            "--format",
            "json",
        ],
    );
    let r = json(&o);
    assert_eq!(r["horizon"], "30 days");
    // no churn within 30 days (to 2026-01-31): a1 churned a day later
    assert_eq!(r["counts"]["churned_rows"], 0);
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "--outcomes",
            "outcomes.csv",
            "--horizon",
            "soon",
            "snapshots.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_outcome_rows_are_reported_and_the_rest_used() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "account,date,outcome\na1,2026-02-01,churned\na2,15/03/2026,churned\na3,2026-06-01,lost\na4,2026-05-01,expanded\n,2026-01-01,renewed\na5,2026-12-31,renewed\n",
    )
    .unwrap();
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "outcomes.csv:3: account a2: `date`: expected a date (YYYY-MM-DD), found \"15/03/2026\"\n\
         outcomes.csv:4: account a3: `outcome`: expected one of (churned, renewed, contracted, expanded), found \"lost\"\n\
         outcomes.csv:6: `account`: expected an account id, found an empty field\n\
         error: 3 of 6 outcome rows were rejected; the others were used\n"
    );
    // the report is still written, from the rows that were read
    assert_eq!(json(&o)["counts"]["churned_rows"], 1);
    // a file without the columns is an error of its own
    std::fs::write(dir.path().join("outcomes.csv"), "id,when\na1,2026-01-01\n").unwrap();
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o)
        .contains("outcomes.csv:1: expected a header with the columns account, date and outcome"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn write_weights_round_trips_through_fmt() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&example(), dir.path());
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
            "--write-weights",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("wrote the suggested weights to rules/scores.vital"));
    let w = suggested(&json(&o));
    let text = std::fs::read_to_string(dir.path().join("rules/scores.vital")).unwrap();
    for (name, weight) in &w {
        assert!(
            text.contains(&format!("score {name} weight {weight} = ")),
            "{name} {weight}:\n{text}"
        );
    }
    // comments kept, the rest of the file as it was
    let before = std::fs::read_to_string(example().join("rules/scores.vital")).unwrap();
    let strip = |t: &str| -> String {
        t.lines()
            .map(|l| {
                if l.starts_with("score ") {
                    l.split(" weight ").next().unwrap().to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&before), strip(&text));
    // formatted: `vital fmt --check` has nothing to do; the rules still check
    let o = vital_in(dir.path(), &["fmt", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = vital_in(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // the new weights are the current ones now: calibrating again keeps them
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    let r = json(&o);
    let current: Vec<(String, f64)> = r["weights"]["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
        .collect();
    assert_eq!(current, w);
}

#[test]
fn markdown_has_the_sections() {
    let o = vital_in(
        &example(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    for h in [
        "## Calibration",
        "### Health",
        "### Scores",
        "### Rules",
        "### Suggested weights",
        "### Bands",
    ] {
        assert!(md.contains(h), "{h}:\n{md}");
    }
    assert!(md.contains("| status | snapshots | churned | churn rate |"));
}

#[test]
fn the_history_store_gives_the_same_report_as_the_files() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    // a second month, so an account has two stored snapshots
    let more = std::fs::read_to_string(dir.path().join("snapshots.jsonl"))
        .unwrap()
        .replace("2026-01-01", "2026-01-15");
    std::fs::write(dir.path().join("later.jsonl"), more).unwrap();
    for file in ["snapshots.jsonl", "later.jsonl"] {
        let o = vital_in(
            dir.path(),
            &["run", "--rules", "rules", "--history", "store.db", file],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let from_files = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
            "later.jsonl",
            "snapshots.jsonl",
        ],
    );
    let from_store = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
            "--history",
            "store.db",
        ],
    );
    assert_eq!(from_store.status.code(), Some(0), "{}", stderr(&from_store));
    assert_eq!(json(&from_store)["counts"]["snapshots"], 10);
    // the same rows, whatever order they were read in
    assert_eq!(stdout(&from_files), stdout(&from_store));
    // --stored without a store
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "--outcomes",
            "outcomes.csv",
            "--stored",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no history store"), "{}", stderr(&o));
}

#[test]
fn the_documented_report_is_the_real_one() {
    let o = vital_in(&example(), &["calibrate", "--outcomes", "outcomes.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = std::fs::read_to_string(root().join("docs/calibrate.md")).unwrap();
    let shown = format!("```text\n{}\n```", stdout(&o).trim_end());
    assert!(
        doc.contains(&shown),
        "docs/calibrate.md does not show the example's report as it is now:\n{}",
        stdout(&o)
    );
}

#[test]
fn contractions_count_as_churn_on_request() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "account,date,outcome\na1,2026-02-01,churned\na2,2026-03-15,churned\na3,2026-02-20,contracted\na4,2026-05-01,expanded\na5,2026-12-31,renewed\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        json(&vital_in(dir.path(), &args))
    };
    assert_eq!(run(&[])["counts"]["churned_rows"], 2);
    let r = run(&["--contracted"]);
    assert_eq!(r["counts"]["churned_rows"], 3);
    assert_eq!(r["counts_as_churn"], "churned or contracted");
    // a1, a2, a3 (35, 45, 45) against a4, a5 (60, 70): every pair ranked right
    assert_eq!(r["health"]["auc"], 1.0);
}

#[test]
fn html_is_a_page_with_the_section_and_escapes_names() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let rules = dir.path().join("rules/rules.vital");
    let text = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("\"flagged\"", "\"flagged <b>now</b>\"");
    std::fs::write(&rules, text).unwrap();
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "html",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<section id=\"calibration\">"));
    assert!(page.contains("flagged &lt;b&gt;now&lt;/b&gt;"));
    assert!(!page.contains("<b>now</b>"));
    assert!(page.contains("0.917"));
}

/// `--history` naming a store that is not there is an error (a mistyped
/// path read as "no snapshots" would look like a valid empty report), and
/// a reader of the report that goes away (`| head`) is not a panic.
#[test]
fn a_missing_store_and_a_closed_pipe() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("nope.db");
    let o = vital_in(
        &example(),
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--history",
            db.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not exist")
            && stderr(&o).contains("no `vital run` has recorded to it yet"),
        "{}",
        stderr(&o)
    );
    assert!(!db.exists());
    // the reader closes before anything is written
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vital"))
        .args([
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "markdown",
        ])
        .current_dir(example())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A zero horizon is said to be too short, not "not a duration"; a word
/// that is no duration is said to be one.
#[test]
fn a_zero_horizon_is_too_short() {
    for (h, want) in [
        (
            "0 days",
            "error: `--horizon 0 days`: the horizon must be longer than zero",
        ),
        (
            "0",
            "error: `--horizon 0`: the horizon must be longer than zero",
        ),
        ("soon", "error: `--horizon soon` is not a duration"),
    ] {
        let o = vital_in(
            &example(),
            &["calibrate", "--outcomes", "outcomes.csv", "--horizon", h],
        );
        assert_eq!(o.status.code(), Some(2), "{h}");
        assert!(stderr(&o).starts_with(want), "{h}: {}", stderr(&o));
    }
}

/// Outcomes whose accounts have no snapshot are not silently dropped: some
/// unmatched is a warning in the report, none matched is an error (exit 1);
/// and a rule where nothing churned on either side has no lift.
#[test]
fn outcome_accounts_without_snapshots_are_said() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let args = [
        "calibrate",
        "--rules",
        "rules",
        "snapshots.jsonl",
        "--outcomes",
        "outcomes.csv",
        "--format",
        "json",
    ];
    // ids upper-cased by the CRM export: nothing matches
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "account,date,outcome\nA1,2026-02-01,churned\nA2,2026-03-15,churned\nA3,2026-06-01,renewed\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(stdout(&o), "", "no report");
    assert!(
        stderr(&o).contains("no account of `outcomes.csv` has a snapshot in the input (`A1` and 2 more; account ids are compared exactly, case included): nothing to calibrate against"),
        "{}",
        stderr(&o)
    );
    // one stray account beside the matching ones: a warning in the report
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "account,date,outcome\na1,2026-02-01,churned\na2,2026-03-15,churned\nnobody-9999,2026-03-15,churned\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json(&o);
    assert_eq!(report["counts"]["outcome_accounts_without_snapshots"], 1);
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with(
            "1 account of the outcomes file has no snapshot in the input, so its outcomes are not used"
        )),
        "{warnings:?}"
    );
    // nothing churned at all: the rule has no lift, and is not "wrong way"
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "account,date,outcome\na1,2026-12-31,renewed\na2,2026-12-31,renewed\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &args);
    let report = json(&o);
    for rule in report["rules"].as_array().unwrap() {
        assert!(rule["lift"].is_null(), "{rule}");
        assert_ne!(rule["verdict"], "wrong way", "{rule}");
    }
}

/// A stray quote in the outcomes file costs its line, not the rows after it
/// (reading resumes on the next line), as in snapshot CSVs.
#[test]
fn a_stray_quote_in_the_outcomes_costs_one_row() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "account,date,outcome,note\n\
         a1,2026-02-01,churned,\"left\n\
         a2,2026-03-15,churned,x\n\
         a3,2026-06-01,renewed,\"ok\n\
         a4,2026-05-01,expanded,y\n",
    )
    .unwrap();
    let o = vital_in(
        dir.path(),
        &[
            "calibrate",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "outcomes.csv:2: a quote opened on this line is not closed where its cell ends; the line is not used and the next line is read as a row of its own: close the quote, or write a quote inside a field twice: \"\"\n\
         outcomes.csv:4: a quote opened on this line is never closed; the line is not used and the next line is read as a row of its own: close the quote, or write a quote inside a field twice: \"\"\n\
         error: 2 of 4 outcome rows were rejected; the others were used\n"
    );
    // a2's churn is used: one churned row
    assert_eq!(json(&o)["counts"]["churned_rows"], 1);
}
