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
    for (file, line) in [("in.csv", 4), ("in.json", 3)] {
        let o = explain(dir.path(), file, "storm", None);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", err(&o));
        assert_eq!(
            err(&o),
            format!(
                "{file}:{line}: account storm: signal `plan`: expected one of (basic, premier), found \"gold\"\n"
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
