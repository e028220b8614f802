//! `vital explain` (and `vital run --explain`) as users meet them: which
//! snapshot `--as-of` picks, every input format with a bad row, the exit
//! status after a rejection. Rules and data: tests/golden.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::{stderr as err, stdout as out, vital_in};

fn golden() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden"))
}

fn explain(dir: &Path, file: &str, account: &str, as_of: Option<&str>) -> Output {
    let rules = golden().join("rules.vital");
    let mut args = vec![
        "explain",
        "--rules",
        rules.to_str().unwrap(),
        file,
        "--account",
        account,
    ];
    if let Some(d) = as_of {
        args.extend(["--as-of", d]);
    }
    vital_in(dir, &args)
}

#[test]
fn as_of_picks_the_latest_snapshot_on_or_before_the_date() {
    let dir = golden();
    // storm has snapshots on 2026-10-01 and 2026-11-01
    for (as_of, want) in [
        (None, "storm — as of 2026-11-01\n"),
        (Some("2026-11-01"), "storm — as of 2026-11-01\n"),
        (Some("2026-10-31"), "storm — as of 2026-10-01\n"),
        (Some("2026-10-01"), "storm — as of 2026-10-01\n"),
    ] {
        let o = explain(&dir, "snapshots.jsonl", "storm", as_of);
        assert_eq!(o.status.code(), Some(0), "{as_of:?}: {}", err(&o));
        assert!(out(&o).starts_with(want), "{as_of:?}: {}", out(&o));
    }
    let o = explain(&dir, "snapshots.jsonl", "storm", Some("2026-09-30"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out(&o), "");
    assert_eq!(
        err(&o),
        "error: no snapshot of account `storm` on or before 2026-09-30\n"
    );
    let o = explain(&dir, "snapshots.jsonl", "nobody", None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "error: no snapshot of account `nobody` in the input\n"
    );
}

#[test]
fn the_history_shows_in_the_numbers() {
    let o = explain(&golden(), "snapshots.jsonl", "storm", None);
    let text = out(&o);
    assert!(
        text.contains("saw change(health, 30 days) = -20 (34.3 now, 54.3 before)"),
        "{text}"
    );
    assert!(text.contains("\"drop alert\""), "{text}");
    // as of the earlier date there is no history, so no drop alert
    let o = explain(&golden(), "snapshots.jsonl", "storm", Some("2026-10-01"));
    assert!(!out(&o).contains("drop alert"), "{}", out(&o));
}

/// The golden `storm` account in CSV (no events) and in a JSON array, each
/// with a bad row of that account in the middle.
#[test]
fn a_bad_row_of_the_account_is_reported_with_its_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        "account,as_of,usage,nps,csat,plan,owner\n\
         storm,2026-10-01,70,10,40,basic,dana\n\
         other,2026-10-01,70,10,40,gold,dana\n\
         storm,2026-10-15,70,10,40,gold,dana\n\
         storm,2026-11-01,60,10,40,basic,dana\n",
    )
    .unwrap();
    let lines: Vec<String> = std::fs::read_to_string(golden().join("snapshots.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"storm\""))
        .map(String::from)
        .collect();
    let bad = lines[0]
        .replace("2026-10-01", "2026-10-15")
        .replace("\"basic\"", "\"gold\"");
    std::fs::write(
        dir.path().join("in.json"),
        format!("[\n{},\n{bad},\n{}\n]\n", lines[0], lines[1]),
    )
    .unwrap();
    for (file, line, more) in [
        (
            "in.csv",
            4,
            // a CSV carries no events, and the golden rules read them
            "warning: in.csv: the rule set reads events (`ticket`) and this input carries none, so every event query counts no occurrence; give the snapshots with their events as JSON Lines, or add a Parquet events table (docs/parquet.md)\n",
        ),
        ("in.json", 3, ""),
    ] {
        let o = explain(dir.path(), file, "storm", None);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", err(&o));
        assert_eq!(
            err(&o),
            format!(
                "{file}:{line}: account storm: signal `plan`: expected one of (basic, premier), found \"gold\"\n{more}"
            ),
            "{file}"
        );
        // the good rows are still explained; the other account's bad row
        // is not this account's business
        assert!(
            out(&o).starts_with("storm — as of 2026-11-01\n"),
            "{file}: {}",
            out(&o)
        );
    }
}

#[test]
fn run_explain_names_the_trigger_its_playbook_source_and_reads() {
    let o = vital_in(
        &golden(),
        &[
            "run",
            "--rules",
            "rules.vital",
            "--explain",
            "snapshots.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    let no_nps: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["account"] == "no-nps")
        .unwrap();
    assert_eq!(
        no_nps["explain"]["triggers"],
        serde_json::json!([{
            "rule": null,
            "playbook": "adoption workshop",
            "source": "rules.vital:31:1",
            "reads": {"plan": "basic", "usage": 45}
        }])
    );
    assert_eq!(
        no_nps["triggered"],
        serde_json::json!(["adoption workshop"])
    );
}

/// A fired trigger's playbook with a cooldown and an owner says so, with the
/// owner's value in the snapshot: its own clauses, or those of another rule
/// of the same playbook; a playbook without clauses shows none; an owner
/// without a value is `missing`. `vital run --explain` is unchanged.
#[test]
fn a_playbooks_cooldown_and_owner_are_shown_with_the_owners_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.vital"),
        "signal seats: int\n\
         signal csm: text?\n\
         signal owner: enum(amy, bo)\n\
         score usage weight 1 = seats * 10\n\
         status {\n  ok when health >= 50\n  poor otherwise\n}\n\
         rule \"low usage\" when usage < 40 trigger \"risk review\" cooldown 30 days owner csm\n\
         when seats < 2 trigger \"risk review\"\n\
         when seats < 3 trigger \"onboarding\" owner owner cooldown 2 weeks\n\
         when seats < 5 trigger \"check in\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("in.jsonl"),
        "{\"account\": \"acme\", \"as_of\": \"2026-11-01\", \"signals\": {\"seats\": 1, \"csm\": \"dana\", \"owner\": \"bo\"}}\n\
         {\"account\": \"zeta\", \"as_of\": \"2026-11-01\", \"signals\": {\"seats\": 1, \"csm\": null, \"owner\": \"amy\"}}\n",
    )
    .unwrap();
    let run = |account: &str| {
        let o = vital_in(
            dir.path(),
            &[
                "explain",
                "--rules",
                "rules.vital",
                "in.jsonl",
                "--account",
                account,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let text = out(&o);
        text[text.find("\nplaybooks\n").expect(&text)..].to_string()
    };
    assert_eq!(
        run("acme"),
        "\nplaybooks\n  \"risk review\"  (rule \"low usage\")\n      \
         cooldown 30 days, owner csm = \"dana\"\n      at rules.vital:9:1\n      \
         when usage < 40\n      saw usage = 10\n  \
         \"risk review\"\n      cooldown 30 days, owner csm = \"dana\"\n      \
         at rules.vital:10:1\n      when seats < 2\n      saw seats = 1\n  \
         \"onboarding\"\n      cooldown 2 weeks, owner owner = bo\n      \
         at rules.vital:11:1\n      when seats < 3\n      saw seats = 1\n  \
         \"check in\"\n      at rules.vital:12:1\n      when seats < 5\n      \
         saw seats = 1\n"
    );
    let zeta = run("zeta");
    assert!(
        zeta.contains("  \"risk review\"  (rule \"low usage\")\n      cooldown 30 days, owner csm = missing\n"),
        "{zeta}"
    );
    assert!(
        zeta.contains("cooldown 2 weeks, owner owner = amy\n"),
        "{zeta}"
    );

    // the JSON explanation keeps its keys
    let o = vital_in(
        dir.path(),
        &["run", "--rules", "rules.vital", "--explain", "in.jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let first: serde_json::Value = serde_json::from_str(out(&o).lines().next().unwrap()).unwrap();
    let keys: Vec<&String> = first["explain"]["triggers"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["playbook", "reads", "rule", "source"]);
}

/// A quotient's 28 decimals are shown to four, with `…`, so the amounts stay
/// in their column (and set apart from their label).
#[test]
fn a_long_amount_is_shown_to_four_decimals_in_its_column() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/digital-signals"
    ));
    let o = vital_in(
        &dir,
        &[
            "explain",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--account",
            "acme-travel-0001",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains("\n  base  64.2045…   at rules/scores.vital:14:25\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  base        95   at rules/scores.vital:4:28\n"),
        "{text}"
    );
}

/// The account written where a file goes (`vital explain acme`): a usage
/// error that says how to write it.
#[test]
fn an_account_without_its_flag_is_pointed_to_it() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/digital-signals"
    ));
    let o = vital_in(&dir, &["explain", "--rules", "rules", "acme-travel-0001"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("error: `vital explain` needs `--account ID` — is `acme-travel-0001` the account? write `vital explain --account acme-travel-0001`"),
        "{}",
        err(&o)
    );
    let o = vital_in(&dir, &["explain", "--rules", "rules", "snapshots.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("needs `--account ID`\n"), "{}", err(&o));
}

/// `vital run --explain`'s JSON rounds an explained base as results are
/// rounded (half away from zero), so the waterfall adds up: 94.75 is 94.8
/// and 99.999 is 100.0, not cut off to 94.7 and 99.9.
#[test]
fn the_json_explanation_rounds_a_base_as_results_are_rounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal x: number\nscore s weight 1 = linear(x, 0, 1000)\nstatus { ok otherwise }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.jsonl"),
        "{\"account\":\"a\",\"as_of\":\"2026-11-01\",\"signals\":{\"x\":947.5}}\n\
         {\"account\":\"b\",\"as_of\":\"2026-11-01\",\"signals\":{\"x\":999.99}}\n",
    )
    .unwrap();
    let o = vital_in(
        dir.path(),
        &["run", "--rules", "r.vital", "--explain", "d.jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let lines: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (line, want) in lines.iter().zip([94.8, 100.0]) {
        let s = &line["explain"]["scores"]["s"];
        assert_eq!(s["base"].as_f64(), Some(want), "{line}");
        assert_eq!(s["value"].as_f64(), Some(want), "{line}");
        assert_eq!(line["scores"]["s"].as_f64(), Some(want), "{line}");
    }
}

/// A rule whose condition came to missing (a `change(…)` with no earlier
/// snapshot) decided nothing; explain says so, with why, instead of
/// leaving it out of the waterfall.
#[test]
fn a_rule_whose_condition_is_missing_is_shown_as_not_decided() {
    let ex = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/digital-signals"
    ));
    let dir = tempfile::tempdir().unwrap();
    let night: String = std::fs::read_to_string(ex.join("snapshots.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| {
            l.contains("\"as_of\":\"2026-11-01\"") || l.contains("\"as_of\": \"2026-11-01\"")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(night.lines().count() > 100);
    std::fs::write(dir.path().join("night.jsonl"), night).unwrap();
    let rules = ex.join("rules");
    let o = vital_in(
        dir.path(),
        &[
            "explain",
            "--rules",
            rules.to_str().unwrap(),
            "night.jsonl",
            "--account",
            "cyberdyne-bank-0064",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains("  skip         –   usage drop (not decided)\n"),
        "{text}"
    );
    assert!(
        text.contains("its condition is missing: change(feature_usage, 30 days)\n                     has no earlier snapshot to look back at\n"),
        "{text}"
    );
    // with the earlier nights as history it is decided (and does not apply)
    let o = vital_in(
        &ex,
        &[
            "explain",
            "--rules",
            "rules",
            "snapshots.jsonl",
            "--account",
            "cyberdyne-bank-0064",
        ],
    );
    assert!(!out(&o).contains("usage drop (not decided)"), "{}", out(&o));
}
