//! `vital run`, `vital explain` and `vital test`, driven through the real
//! binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{jsonl, root, stderr, stdout, vital, vital_in};

const SPEC: &str = "tests/eval/spec";

/// `vital run` of the §2–§3 rules over `file` in `dir`.
fn run_spec(dir: &Path, file: &str) -> std::process::Output {
    let spec = root().join(SPEC);
    vital_in(dir, &["run", "--rules", spec.to_str().unwrap(), file])
}

#[test]
fn the_worked_example_of_the_language_reference() {
    // docs/language.md §7's record under the rules of §2–§3 gives exactly §8's result.
    let o = vital(&["run", "--rules", SPEC, "tests/eval/spec/acme.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = jsonl(&o);
    assert_eq!(
        got,
        vec![
            json!({"account": "acme", "as_of": "2026-11-01", "health": 88.0, "status": "needs_attention",
            "computed_status": "champion",
            "scores": {"advocacy": 70.0, "adoption": 90.0, "support": 90.0, "engagement": 100.0},
            "triggered": [],
            "started": [],
            "override": {"status": "needs_attention", "until": "2026-12-31", "reason": "renewal at risk"}})
        ]
    );
    // the raw text keeps one decimal, as §8 shows it
    assert!(stdout(&o).contains("\"health\": 88.0,"));
    // no progress bar (or anything else) on stderr when it is not a terminal
    assert_eq!(stderr(&o), "");
}

#[test]
fn explain_flag_adds_bases_adjustments_and_triggers() {
    let o = vital(&[
        "run",
        "--explain",
        "--rules",
        SPEC,
        "tests/eval/spec/acme.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let r = &jsonl(&o)[0];
    let adv = &r["explain"]["scores"]["advocacy"];
    assert_eq!(adv["base"], 50.0);
    assert_eq!(adv["base_source"], Value::Null);
    let adjustments = adv["adjustments"].as_array().unwrap();
    assert_eq!(adjustments.len(), 2);
    assert_eq!(adjustments[0]["rule"], "reference bonus");
    assert_eq!(adjustments[0]["source"], "tests/eval/spec/rules.vital:34:1");
    assert_eq!(adjustments[0]["amount"], 10);
    assert_eq!(adjustments[1]["rule"], Value::Null);
    let eng = &r["explain"]["scores"]["engagement"];
    assert_eq!(eng["base"], 100.0);
    assert_eq!(eng["base_source"], "tests/eval/spec/rules.vital:25:30");
    let adj = &eng["adjustments"][0];
    assert_eq!(adj["reads"], json!({"tier": "enterprise", "arr": 250000}));
    assert_eq!(r["explain"]["triggers"], json!([]));
}

fn acme_history(dir: &Path) -> PathBuf {
    let file = dir.join("history.jsonl");
    let mut f = std::fs::File::create(&file).unwrap();
    // out of date order on purpose; the spec's account a month earlier had
    // a low usage and no reference yet
    for (as_of, usage, refs) in [
        ("2026-11-01", 72, true),
        ("2026-09-01", 80, false),
        ("2026-10-01", 90, false),
    ] {
        let events = if refs {
            r#"[{"type": "reference_completed", "at": "2026-10-01"}]"#
        } else {
            "[]"
        };
        writeln!(
            f,
            r#"{{"account": "acme", "as_of": "{as_of}", "signals": {{"arr": 250000, "tier": "enterprise", "feature_usage": {usage}, "logins_30d": 31, "renewal_date": "2027-01-15", "csm": "dana", "is_reference": true}}, "events": {events}}}"#
        )
        .unwrap();
    }
    writeln!(
        f,
        r#"{{"account": "beta", "as_of": "2026-11-01", "signals": {{"arr": 5000, "tier": "smb", "feature_usage": 10, "logins_30d": 1, "renewal_date": "2026-12-01", "csm": "lee", "is_reference": false}}}}"#
    )
    .unwrap();
    file
}

#[test]
fn latest_all_and_as_of() {
    let dir = tempfile::tempdir().unwrap();
    let file = acme_history(dir.path());
    let spec = root().join(SPEC);
    let args = |extra: &[&str]| {
        let mut v = vec!["run", "--rules", spec.to_str().unwrap()];
        v.extend_from_slice(extra);
        v.push(file.to_str().unwrap());
        vital_in(dir.path(), &v)
    };
    // default: each account's latest snapshot, in input order
    let latest = jsonl(&args(&[]));
    let ids: Vec<(&str, &str)> = latest
        .iter()
        .map(|r| (r["account"].as_str().unwrap(), r["as_of"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, vec![("acme", "2026-11-01"), ("beta", "2026-11-01")]);
    // usage went 90% -> 72%: change(feature_usage, 30 days) = -18% < -10%: adoption 90 - 20
    assert_eq!(latest[0]["scores"]["adoption"], 70.0);
    // health 2026-10-01: adv 50, adoption 90, support 100, engagement 100 = 86.0
    // health 2026-11-01: adv 70, adoption 70, support 100, engagement 100 = 82.0 (not a drop of 15)
    assert_eq!(latest[0]["health"], 82.0);
    assert_eq!(latest[0]["triggered"], json!(["expansion"]));
    // --all: every snapshot in input order
    let all = jsonl(&args(&["--all"]));
    let dates: Vec<&str> = all.iter().map(|r| r["as_of"].as_str().unwrap()).collect();
    assert_eq!(
        dates,
        vec!["2026-11-01", "2026-09-01", "2026-10-01", "2026-11-01"]
    );
    assert_eq!(all[2]["health"], 86.0);
    // --as-of: the latest on or before the date; beta has none
    let before = jsonl(&args(&["--as-of", "2026-10-15"]));
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["as_of"], "2026-10-01");
}

#[test]
fn csv_and_table_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = acme_history(dir.path());
    let spec = root().join(SPEC);
    let o = vital_in(
        dir.path(),
        &[
            "run",
            "--format",
            "csv",
            "--rules",
            spec.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("account,as_of,health,status,computed_status,advocacy,adoption,support,engagement,triggered,started")
    );
    assert_eq!(
        lines.next(),
        Some("acme,2026-11-01,82.0,champion,champion,70.0,70.0,100.0,100.0,expansion,expansion")
    );
    assert_eq!(
        lines.next(),
        Some("beta,2026-11-01,35.0,danger,danger,50.0,10.0,100.0,5.0,re-engagement,re-engagement")
    );
    let o = vital_in(
        dir.path(),
        &[
            "run",
            "--format",
            "table",
            "--rules",
            spec.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "ACCOUNT  AS OF       HEALTH  STATUS    ADVOCACY  ADOPTION  SUPPORT  ENGAGEMENT  TRIGGERED"
    );
    assert_eq!(
        lines[1],
        "acme     2026-11-01    82.0  champion      70.0      70.0    100.0       100.0  expansion"
    );
    assert!(!out.contains('\u{1b}'), "no colour off a terminal");
}

#[test]
fn ungrouped_input_gives_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let file = acme_history(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // beta between two acme records
    lines.swap(1, 3);
    let shuffled = dir.path().join("shuffled.jsonl");
    std::fs::write(&shuffled, lines.join("\n")).unwrap();
    let spec = root().join(SPEC);
    let a = jsonl(&vital_in(
        dir.path(),
        &[
            "run",
            "--rules",
            spec.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    ));
    let b = jsonl(&vital_in(
        dir.path(),
        &[
            "run",
            "--rules",
            spec.to_str().unwrap(),
            shuffled.to_str().unwrap(),
        ],
    ));
    let key = |v: &Vec<Value>| {
        let mut v = v.clone();
        v.sort_by_key(|r| r["account"].as_str().unwrap().to_string());
        v
    };
    assert_eq!(key(&a), key(&b));
}

#[test]
fn stdin_is_json_lines() {
    let spec = root().join(SPEC);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(["run", "--rules", spec.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read_to_string(root().join("tests/eval/spec/acme.jsonl")).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(jsonl(&o)[0]["health"], 88.0);
}

#[test]
fn several_files_are_one_history() {
    let dir = tempfile::tempdir().unwrap();
    let file = acme_history(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // October in one file, November (and beta) in another, September repeated
    std::fs::write(
        dir.path().join("oct.jsonl"),
        format!("{}\n{}\n", lines[2], lines[1]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("nov.jsonl"),
        format!("{}\n{}\n{}\n", lines[0], lines[3], lines[1]),
    )
    .unwrap();
    let spec = root().join(SPEC);
    let o = vital_in(
        dir.path(),
        &[
            "run",
            "--rules",
            spec.to_str().unwrap(),
            "oct.jsonl",
            "nov.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "nov.jsonl:3: account acme: duplicate snapshot for 2026-09-01, first at oct.jsonl:2"
        ),
        "{}",
        stderr(&o)
    );
    let got = jsonl(&o);
    // one result per account, with the history of both files (usage drop seen)
    let ids: Vec<(&str, &str)> = got
        .iter()
        .map(|r| (r["account"].as_str().unwrap(), r["as_of"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, vec![("acme", "2026-11-01"), ("beta", "2026-11-01")]);
    assert_eq!(got[0]["scores"]["adoption"], 70.0);
}

#[test]
fn a_broken_line_does_not_split_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let file = acme_history(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(format!("{}\nnot json at all\n", lines[1]).as_bytes());
    bytes.extend_from_slice(
        b"{\"account\": \"acme\", \"as_of\": \"2026-10-15\", \"signals\": {\"csm\": \"\xff\"}}\n",
    );
    bytes.extend_from_slice(format!("{}\n{}\n", lines[2], lines[0]).as_bytes());
    std::fs::write(dir.path().join("in.jsonl"), bytes).unwrap();
    let o = run_spec(dir.path(), "in.jsonl");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("in.jsonl:2: account ?: malformed JSON"),
        "{err}"
    );
    assert!(
        err.contains("in.jsonl:3: account acme: the line is not valid UTF-8"),
        "{err}"
    );
    let got = jsonl(&o);
    assert_eq!(got.len(), 1, "one account, one latest result");
    assert_eq!(
        got[0]["scores"]["adoption"], 70.0,
        "history across the broken lines"
    );
}

#[test]
fn stdin_in_any_order_gives_what_the_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let file = acme_history(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 3); // acme, beta, acme, acme: not grouped
    let shuffled = dir.path().join("shuffled.jsonl");
    std::fs::write(&shuffled, lines.join("\n")).unwrap();
    let spec = root().join(SPEC);
    let spec = spec.to_str().unwrap();
    let from_file = vital(&["run", "--rules", spec, "--all", shuffled.to_str().unwrap()]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(["run", "--rules", spec, "--all", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), stdout(&from_file), "stdin and the file agree");
    let accounts: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts, vec!["acme", "beta", "acme", "acme"]);
}

#[test]
fn bad_records_are_reported_and_the_rest_is_scored() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join("tests/eval/spec/acme.jsonl")).unwrap();
    let good = good.trim();
    let lines = [
        good.to_string(),
        good.replace("\"acme\"", "\"b1\"")
            .replace("\"arr\": 250000", "\"arr\": \"lots\""),
        good.replace("\"acme\"", "\"b2\"")
            .replace("\"enterprise\"", "\"enterprize\""),
        "{not json".to_string(),
        good.replace("\"acme\"", "\"b3\"")
            .replace("\"logins_30d\": 31, ", ""),
        good.replace("\"acme\"", "\"b4\"")
            .replace("\"severity\": \"high\"", "\"severity\": 3"),
        good.replace("\"acme\"", "\"b5\"")
            .replace("\"as_of\": \"2026-11-01\"", "\"as_of\": \"2026-13-01\""),
        good.to_string(),
        good.replace("\"acme\"", "\"b6\"")
            .replace("\"status\": \"needs_attention\"", "\"status\": \"vip\""),
        good.replace("\"acme\"", "\"b7\"")
            .replace("\"signals\": {", "\"signals\": {\"region\": \"emea\", "),
        String::new(),
        good.replace("\"acme\"", "\"b8\"")
            .replace("\"logins_30d\": 31", "\"logins_30d\": 2.5"),
        good.replace("\"acme\"", "\"b9\"")
            .replace("\"arr\": 250000", "\"arr\": 1e40"),
        good.replace("\"acme\"", "\"b10\"")
            .replace("\"reason\": ", "\"set_at\": 20261101, \"reason\": "),
    ];
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let o = run_spec(dir.path(), "in.jsonl");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let expected = [
        "in.jsonl:2: account b1: signal `arr`: expected money (a number), found \"lots\"",
        "in.jsonl:3: account b2: signal `tier`: expected one of (enterprise, mid_market, smb), found \"enterprize\"",
        "in.jsonl:4: account ?: malformed JSON (key must be a string at column 2)",
        "in.jsonl:5: account b3: signal `logins_30d` is missing: expected int (a whole number) (it is not optional)",
        "in.jsonl:6: account b4: event #2 (ticket_opened) field `severity`: expected one of (low, high, critical), found 3",
        "in.jsonl:7: account b5: `as_of`: expected a date (\"YYYY-MM-DD\"), found \"2026-13-01\"",
        "in.jsonl:8: account acme: duplicate snapshot for 2026-11-01, first at in.jsonl:1",
        "in.jsonl:9: account b6: `override.status`: \"vip\" is not a status of the rules (expected one of champion, needs_attention, danger)",
        "in.jsonl:12: account b8: signal `logins_30d`: expected int (a whole number), found 2.5",
        "in.jsonl:13: account b9: signal `arr`: expected money (a number), found 1e40 (outside the range of 28 significant digits)",
        "warning: in.jsonl: unknown signal \"region\" ignored in 1 record",
        "error: 10 of 13 records were rejected; the others were evaluated",
    ];
    for e in expected {
        assert!(err.contains(e), "missing {e:?} in\n{err}");
    }
    // in input order, the missing signal (held to the end to see whether
    // it is missing everywhere) included
    let lines: Vec<usize> = err
        .lines()
        .filter_map(|l| l.strip_prefix("in.jsonl:"))
        .filter_map(|l| l.split(':').next()?.parse().ok())
        .collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "{err}");
    let accounts: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts, vec!["acme", "b7", "b10"]);
}

#[test]
fn json_array_and_csv_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join("tests/eval/spec/acme.jsonl")).unwrap();
    std::fs::write(
        dir.path().join("in.json"),
        format!(
            "[\n  {},\n  {}\n]\n",
            good.trim(),
            good.trim()
                .replace("\"acme\"", "\"b\"")
                .replace("72", "\"x\"")
        ),
    )
    .unwrap();
    let spec = root().join(SPEC);
    let o = vital_in(
        dir.path(),
        &["run", "--rules", spec.to_str().unwrap(), "in.json"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("in.json:3: account b: signal `feature_usage`"),
        "{}",
        stderr(&o)
    );
    assert_eq!(jsonl(&o).len(), 1);
    std::fs::write(
        dir.path().join("in.csv"),
        "account,as_of,arr,tier,nps,feature_usage,logins_30d,renewal_date,csm,is_reference,extra\n\
         acme,2026-11-01,250000,enterprise,,72,31,2027-01-15,\"dana, jr\",true,x\n\
         bad,2026-11-01,250000,enterprise,,72,31,2027-01-15,dana,maybe,\n",
    )
    .unwrap();
    let o = vital_in(
        dir.path(),
        &["run", "--rules", spec.to_str().unwrap(), "in.csv"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("in.csv:3: account bad: signal `is_reference`: expected bool (true or false), found \"maybe\""), "{err}");
    assert!(
        err.contains("unknown signal \"extra\" ignored in 1 record"),
        "{err}"
    );
    let r = &jsonl(&o)[0];
    // no events in CSV: advocacy 50, support 100
    assert_eq!(
        r["scores"],
        json!({"advocacy": 50.0, "adoption": 90.0, "support": 100.0, "engagement": 100.0})
    );
}

#[test]
fn input_and_rule_errors() {
    let o = vital(&["run", "--rules", SPEC, "nope.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: cannot read `nope.jsonl`: no such file or directory\n"
    );
    let o = vital(&["run", "--rules", SPEC, "README.md"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot tell the format of `README.md`"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal x: int\nstatus { a when x > \"y\"  b otherwise }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("s.jsonl"), "").unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", "r.vital", "s.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("vital::type-mismatch"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was evaluated"));
    assert_eq!(stdout(&o), "");
    assert_eq!(vital(&["run", "--rules", SPEC]).status.code(), Some(2));
    assert_eq!(
        vital(&["run", "--as-of", "yesterday", "x.jsonl"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn explain_for_people() {
    let o = vital(&[
        "explain",
        "--rules",
        "examples/support-health/rules",
        "examples/support-health/snapshots.jsonl",
        "--account",
        "contoso-realty-0130",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines().all(|l| l.chars().count() <= 80),
        "wider than 80 columns:\n{out}"
    );
    insta::assert_snapshot!("explain_contoso_realty", out);
    let o = vital(&[
        "explain",
        "--rules",
        SPEC,
        "tests/eval/spec/acme.jsonl",
        "--account",
        "nobody",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: no snapshot of account `nobody` in the input\n"
    );
}

#[test]
fn rule_tests_pass_and_report_like_cargo() {
    let o = vital(&["test", SPEC]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "running 1 test\ntest enterprise advocate is a champion ... ok\n1 passed, 0 failed\n"
    );
}

#[test]
fn a_failing_rule_test_shows_expected_actual_and_the_waterfall() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/eval/spec/rules.vital"))
        .unwrap()
        .replace("expect advocacy == 70", "expect advocacy == 75")
        .replace(
            "test \"enterprise advocate is a champion\"",
            "test \"wrong\"",
        );
    std::fs::write(dir.path().join("rules.vital"), format!(
        "{text}\ntest \"second\" {{\n  as_of 2026-11-01\n  given {{ logins_30d = 2 }}\n  expect engagement == 10\n}}\n"
    ))
    .unwrap();
    let o = vital_in(dir.path(), &["test", "."]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    insta::assert_snapshot!("test_failure_report", out);
    assert!(out.ends_with("1 passed, 1 failed\n"));
    let o = vital_in(dir.path(), &["test", ".", "--filter", "sec"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).ends_with("1 passed, 0 failed\n"));
}

#[test]
fn a_test_naming_an_unknown_signal_is_a_check_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.vital"),
        "signal x: int\nstatus { a when x > 1  b otherwise }\ntest \"t\" {\n  as_of 2026-11-01\n  given { y = 1 }\n  expect status == a\n}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["test", "t.vital"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("vital::unknown-name"), "{err}");
    assert!(err.contains("t.vital:5:11"), "{err}");
}

#[test]
fn the_examples_tests_pass() {
    for e in ["advocacy", "digital-signals", "support-health"] {
        let o = vital(&["test", &format!("examples/{e}/rules")]);
        assert_eq!(o.status.code(), Some(0), "{e}:\n{}", stdout(&o));
        assert!(
            stdout(&o).ends_with("6 passed, 0 failed\n"),
            "{e}: {}",
            stdout(&o)
        );
        let o = vital(&[
            "run",
            "--rules",
            &format!("examples/{e}/rules"),
            &format!("examples/{e}/snapshots.jsonl"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{e}: {}", stderr(&o));
        assert!(jsonl(&o).len() >= 500);
    }
}

#[test]
fn explain_shows_the_numbers_behind_each_rule() {
    let explain = |account: &str| {
        let o = vital(&[
            "explain",
            "--rules",
            "examples/support-health/rules",
            "examples/support-health/snapshots.jsonl",
            "--account",
            account,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.lines().all(|l| l.chars().count() <= 80),
            "wider than 80 columns:\n{out}"
        );
        out
    };
    let out = explain("initech-logistics-0012");
    // both values of a change(), for an adjustment and for a trigger
    assert!(
        out.contains("saw change(nps, 30 days) = -18 (36 now, 54 before)"),
        "{out}"
    );
    assert!(
        out.contains("saw change(csat, 30 days) = -5% (87.9% now, 92.9% before)"),
        "{out}"
    );
    assert!(
        out.contains("saw change(health, 30 days) = -16.7 (67.2 now, 83.9 before)"),
        "{out}"
    );
    // the count behind an event query, and a `subtract` that took nothing
    assert!(
        out.contains("saw count(ticket_opened within ticket_window) = 3"),
        "{out}"
    );
    assert!(
        out.contains("-            0   escalations (subtracted nothing)"),
        "{out}"
    );
    assert!(
        out.contains("saw count(escalation within ticket_window) = 0"),
        "{out}"
    );
    // the signal that made a score n/a
    let out = explain("wayne-clinics-0002");
    assert!(out.contains("loyalty  n/a"), "{out}");
    assert!(out.contains("n/a: nps is missing"), "{out}");
}

#[test]
fn explain_names_a_skipped_adjustment_and_a_missing_look_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.vital"),
        "signal usage: int\nsignal seats: int?\n\nscore adoption weight 1 = usage\nscore growth weight 1 = change(usage, 30 days)\n\nrule \"per seat\" add seats * 2 to adoption\n\nstatus {\n  ok   when health >= 50\n  weak otherwise\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.jsonl"),
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 60}}\n",
    )
    .unwrap();
    let o = vital_in(
        dir.path(),
        &["explain", "--rules", ".", "s.jsonl", "--account", "a"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("  skip   missing   per seat"), "{out}");
    assert!(
        out.contains("not applied: the amount is missing (seats is missing)"),
        "{out}"
    );
    assert!(out.contains("growth  n/a"), "{out}");
    // wrapped at 80 columns
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("n/a: change(usage, 30 days) has no earlier snapshot to look back at"),
        "{out}"
    );
}

#[test]
fn test_filter_matches_substrings_and_exact_names_one_test() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.vital"),
        "signal x: int\nscore s weight 1 = x\nstatus {\n  good when health >= 50\n  bad  otherwise\n}\n\
test \"health\" {\n  as_of 2026-11-01\n  given { x = 80 }\n  expect status == good\n}\n\
test \"health drops\" {\n  as_of 2026-11-01\n  given { x = 10 }\n  expect status == good\n}\n\
test \"low health\" {\n  as_of 2026-11-01\n  given { x = 10 }\n  expect status == bad\n}\n",
    )
    .unwrap();
    // for people: a substring
    let o = vital_in(dir.path(), &["test", ".", "--filter", "health"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("running 3 tests"), "{}", stdout(&o));
    // `--exact`: that test only
    let o = vital_in(dir.path(), &["test", ".", "--filter", "health", "--exact"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("running 1 test\n"), "{out}");
    assert!(out.contains("test health ... ok"), "{out}");
    assert!(!out.contains("health drops"), "{out}");
    // an exact name that is no test is an error
    let o = vital_in(dir.path(), &["test", ".", "--filter", "heal", "--exact"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn a_failing_expect_on_a_function_of_scores_shows_their_waterfalls() {
    // the scores an `expect` reads are found inside any expression: here
    // inside min(…) and a band, which the failure report used to skip
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.vital"),
        "signal usage: int\n\nscore adoption weight 1 = usage\nscore reach weight 1 = 80\nscore spare weight 1 = 10\n\nstatus {\n  ok   when health >= 50\n  weak otherwise\n}\n\ntest \"min\" {\n  as_of 2026-11-01\n  given { usage = 40 }\n  expect min(adoption, reach) > 50\n}\n\ntest \"band\" {\n  as_of 2026-11-01\n  given { usage = 40 }\n  expect band reach { > 50 => adoption  otherwise => 0 } > 50\n}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["test", "."]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let report = |name: &str| {
        let start = out.find(&format!("---- {name} ")).unwrap();
        let rest = &out[start + 5..];
        rest[..rest.find("---- ").unwrap_or(rest.len())].to_string()
    };
    for name in ["min", "band"] {
        let r = report(name);
        assert!(r.contains("adoption  40.0   weight 1"), "{name}:\n{r}");
        assert!(r.contains("reach  80.0   weight 1"), "{name}:\n{r}");
        assert!(!r.contains("spare"), "{name}:\n{r}");
    }
}

/// A score that ends at zero is written `0.0` in every format, never
/// `-0.0` (`Decimal` keeps the sign of `0 - 0`: a `subtract 0` from a score
/// at 0, as the support-health example's "escalations" rule does when
/// there are none).
#[test]
fn a_score_at_zero_is_never_negative_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal x: number\n\nscore t weight 50 = x\nscore u weight 50 = x - x\n\nstatus {\n  ok otherwise\n}\n\nrule \"none\" subtract 0 from t\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.jsonl"),
        "{\"account\": \"z\", \"as_of\": \"2026-11-01\", \"signals\": {\"x\": 0}}\n",
    )
    .unwrap();
    for (format, want) in [
        ("jsonl", "\"scores\": {\"t\": 0.0, \"u\": 0.0}"),
        ("csv", "z,2026-11-01,0.0,ok,ok,0.0,0.0,"),
    ] {
        let o = vital_in(
            dir.path(),
            &["run", "--rules", "r.vital", "--format", format, "s.jsonl"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains(want), "{format}: {}", stdout(&o));
        assert!(!stdout(&o).contains("-0.0"), "{format}: {}", stdout(&o));
    }
    let o = vital_in(
        dir.path(),
        &["explain", "--rules", "r.vital", "s.jsonl", "--account", "z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\nt  0.0   weight 50"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("-0.0"), "{}", stdout(&o));
}

/// When every record is rejected there are no others to speak of.
#[test]
fn every_record_rejected_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal x: number\n\nscore t weight 1 = x\n\nstatus {\n  ok otherwise\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.jsonl"),
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"signals\": {\"y\": 1}}\n\
         {\"account\": \"b\", \"as_of\": \"2026-11-01\", \"signals\": {\"y\": 1}}\n\
         {\"account\": \"c\", \"as_of\": \"2026-11-01\", \"signals\": {\"y\": 1}}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", "r.vital", "s.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).ends_with("error: all 3 records were rejected; none was evaluated\n"),
        "{}",
        stderr(&o)
    );
}

/// A broken JSON Lines record is placed within its line: a record cut short
/// "ends too early" (serde would say "at line 2 column 0", past the
/// newline), otherwise the column is given.
#[test]
fn a_broken_record_is_placed_within_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.jsonl"),
        "{\"account\": \"x\", \"as_of\": \"2026-11-01\", \"signals\": {\n\
         {\"account\": \"y\", \"as_of\": \"2026-11-01\", \"signals\": {\"a\": 1,, }}\n\
         {\"account\": \"z\", \"as_of\": \"2026-11-01\", \"signals\": {\"csm\": \"da\n",
    )
    .unwrap();
    let o = run_spec(dir.path(), "in.jsonl");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    // cut off inside a string: too early, not a control character
    assert!(
        err.contains("in.jsonl:3: account z: malformed JSON (the record ends too early: EOF while parsing a string)\n"),
        "{err}"
    );
    assert!(
        err.contains("in.jsonl:1: account x: malformed JSON (the record ends too early: EOF while parsing an object)\n"),
        "{err}"
    );
    assert!(
        err.contains("in.jsonl:2: account y: malformed JSON (key must be a string at column 60)\n"),
        "{err}"
    );
    assert!(!err.contains("line 2 column"), "{err}");
    // serde's "ident" and "value" in words a person reads
    std::fs::write(
        dir.path().join("words.jsonl"),
        "{\"account\": \"x\", \"as_of\": \"2026-11-01\", \"signals\": {\"is_reference\": tru}}\n\
         {\"account\": \"y\", \"as_of\": \"2026-11-01\", \"signals\": {\"tier\": smb}}\n",
    )
    .unwrap();
    let err = stderr(&run_spec(dir.path(), "words.jsonl"));
    assert!(
        err.contains("account x: malformed JSON (expected true, false or null; a text needs quotes, at column"),
        "{err}"
    );
    assert!(
        err.contains("account y: malformed JSON (expected a value (a number, a text in quotes, true, false or null) at column"),
        "{err}"
    );
}
