//! Input mistakes a new user makes, through the real binary: each must be
//! reported clearly (file, line, what was expected) or accepted, never
//! silently mis-scored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{root, stderr, stdout, vital_in};

/// The §2–§3 rules of the language reference (docs/language.md).
fn spec() -> String {
    root()
        .join("tests/eval/spec/rules.vital")
        .to_string_lossy()
        .into_owned()
}

/// The §7 example record of account `acme`, one line.
fn acme() -> String {
    std::fs::read_to_string(root().join("tests/eval/spec/acme.jsonl"))
        .unwrap()
        .trim()
        .to_string()
}

/// A record of `account` at `as_of` with the required signals.
fn record(account: &str, as_of: &str) -> String {
    format!(
        r#"{{"account": "{account}", "as_of": "{as_of}", "signals": {{"arr": 1000, "tier": "smb", "feature_usage": 40, "logins_30d": 3, "renewal_date": "2027-01-01", "csm": "dana", "is_reference": false}}}}"#
    )
}

const CSV_HEADER: &str =
    "account,as_of,arr,tier,feature_usage,logins_30d,renewal_date,csm,is_reference";

#[test]
fn a_byte_order_mark_is_accepted_in_jsonl_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let bom = "\u{feff}";
    std::fs::write(dir.path().join("a.jsonl"), format!("{bom}{}\n", acme())).unwrap();
    std::fs::write(
        dir.path().join("a.json"),
        format!("{bom}[\n{}\n]\n", acme()),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        format!(
            "{bom}{CSV_HEADER}\nacme,2026-11-01,250000,enterprise,72,31,2027-01-15,dana,true\n"
        ),
    )
    .unwrap();
    for f in ["a.jsonl", "a.json", "a.csv"] {
        let o = vital_in(dir.path(), &["run", "--rules", &spec(), f]);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", stderr(&o));
        // (a CSV carries no events, which the rules read: said, and only that)
        let events = stderr(&o).contains("the rule set reads events");
        assert_eq!(events, f.ends_with(".csv"), "{f}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).lines().count(),
            usize::from(events),
            "{f}: {}",
            stderr(&o)
        );
        assert!(
            stdout(&o).starts_with(r#"{"account": "acme", "as_of": "2026-11-01""#),
            "{f}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn csv_rows_keep_their_true_line_numbers_with_crlf_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        CSV_HEADER,
        "acme,2026-11-01,100,smb,50,3,2027-01-01,dana,true",
        "beta,2026-11-01,100,smb,50,x,2027-01-01,dana,true",
        "",
        "gamma,2026-11-01,100,smb,50,y,2027-01-01,dana,true",
        "\"delta\nwith a newline\",2026-11-01,100,smb,50,z,2027-01-01,dana,true",
    ];
    for (name, eol) in [("crlf.csv", "\r\n"), ("lf.csv", "\n")] {
        std::fs::write(dir.path().join(name), rows.join(eol) + eol).unwrap();
        let o = vital_in(dir.path(), &["run", "--rules", &spec(), name]);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains(&format!("{name}:3: account beta:")), "{err}");
        assert!(err.contains(&format!("{name}:5: account gamma:")), "{err}");
        assert!(err.contains(&format!("{name}:6: account delta")), "{err}");
    }
}

#[test]
fn empty_input_and_an_as_of_before_every_snapshot_warn_and_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
    // an empty (or blank) JSON file too, as it holds no records
    std::fs::write(dir.path().join("empty.json"), "\n\n").unwrap();
    std::fs::write(dir.path().join("a.jsonl"), acme() + "\n").unwrap();
    for empty in ["empty.jsonl", "empty.json"] {
        let o = vital_in(dir.path(), &["run", "--rules", &spec(), empty]);
        assert_eq!(o.status.code(), Some(0), "{empty}");
        assert_eq!(stdout(&o), "");
        assert_eq!(
            stderr(&o),
            "warning: nothing was scored: the input holds no records\n",
            "{empty}"
        );
    }
    // a JSON file cut off at the start of a line: columns are 1-based
    std::fs::write(dir.path().join("cut.json"), "[\n").unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "cut.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(
            "error: cut.json:2:1: not a JSON array of records: EOF while parsing a list"
        ),
        "{}",
        stderr(&o)
    );
    let o = vital_in(
        dir.path(),
        &[
            "run",
            "--rules",
            &spec(),
            "--as-of",
            "2020-01-01",
            "a.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "warning: nothing was scored: no account has a snapshot on or before 2020-01-01\n"
    );
}

#[test]
fn a_flood_of_one_mistake_prints_twenty_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![record("acme", "2026-11-01")];
    for i in 0..25 {
        lines.push(record(&format!("bad-{i:02}"), "11/01/2026"));
    }
    lines.push(record("acme", "2026-11-01")); // a duplicate: another reason
    std::fs::write(dir.path().join("in.jsonl"), lines.join("\n")).unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "in.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let printed = err.matches("`as_of`: expected a date").count();
    assert_eq!(printed, 20, "{err}");
    assert!(err.contains("in.jsonl:21: account bad-19:"), "{err}");
    assert!(!err.contains("bad-20"), "{err}");
    assert!(
        err.contains(
            "in.jsonl:27: account acme: duplicate snapshot for 2026-11-01, first at in.jsonl:1"
        ),
        "{err}"
    );
    assert!(
        err.contains("… and 5 more records rejected: `as_of` missing or invalid\n"),
        "{err}"
    );
    assert!(
        err.ends_with("error: 26 of 27 records were rejected; the others were evaluated\n"),
        "{err}"
    );
}

#[test]
fn a_json_array_with_a_trailing_comma_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), format!("[\n{},\n]\n", acme())).unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "a.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: a.json:3:1: not a JSON array of records: trailing comma (remove the `,` after the last record)\n"
    );
}

#[test]
fn signals_beside_account_and_an_event_date_under_date_get_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let top = r#"{"account": "flat", "as_of": "2026-11-01", "arr": 1000, "tier": "smb", "feature_usage": 40, "logins_30d": 3, "renewal_date": "2027-01-01", "csm": "dana", "is_reference": false}"#;
    // `nps` is optional: beside `account` it would be silently missing
    let optional = record("opt", "2026-11-01").replace(r#""as_of""#, r#""nps": 40, "as_of""#);
    let date = record("dated", "2026-11-01").replace(
        "}}",
        r#"}, "events": [{"type": "webinar_attended", "date": "2026-10-01"}]}"#,
    );
    std::fs::write(
        dir.path().join("in.jsonl"),
        [top, optional.as_str(), date.as_str()].join("\n"),
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "in.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(r#"in.jsonl:1: account flat: signal `arr` is at the top level of the record; signals go under "signals": {"arr": …}"#),
        "{err}"
    );
    assert!(
        err.contains("in.jsonl:2: account opt: signal `nps` is at the top level of the record"),
        "{err}"
    );
    assert!(
        err.contains("in.jsonl:3: account dated: event #1 (webinar_attended): `at`: expected a date (\"YYYY-MM-DD\"), found nothing; found `date`: an event's date goes in `at`"),
        "{err}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn explain_with_table_or_csv_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jsonl"), acme() + "\n").unwrap();
    for f in ["table", "csv"] {
        let o = vital_in(
            dir.path(),
            &[
                "run",
                "--rules",
                &spec(),
                "--explain",
                "--format",
                f,
                "a.jsonl",
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{f}");
        assert!(
            stderr(&o).contains("`--explain` writes JSON Lines; use `--format jsonl`, or `vital explain --account ID`"),
            "{}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "");
    }
}

#[test]
fn explain_reads_as_run_does_and_prints_its_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(
        acme()
            .replace(r#""csm""#, r#""region": "emea", "csm""#)
            .as_bytes(),
    );
    bytes.extend_from_slice(
        b"\n{\"account\": \"other\", \"as_of\": \"2026-11-01\", \"x\": \"\xff\"}\n",
    );
    std::fs::write(dir.path().join("in.jsonl"), &bytes).unwrap();
    let o = vital_in(
        dir.path(),
        &[
            "explain",
            "--rules",
            &spec(),
            "--account",
            "acme",
            "in.jsonl",
        ],
    );
    // the broken line is another account's: acme is explained, exit 0
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("acme — as of 2026-11-01"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        stderr(&o),
        "warning: in.jsonl: unknown signal \"region\" ignored in 1 record\n"
    );
    // run rejects that line alone and scores acme
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "in.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("in.jsonl:2: account other: the line is not valid UTF-8"));
    assert_eq!(stdout(&o).lines().count(), 1);
}

#[test]
fn test_filters_that_match_nothing_fail_and_rules_without_tests_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = vital_in(dir.path(), &["test", &spec(), "--filter", "no such test"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: no test matches `no such test`"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        dir.path().join("r.vital"),
        "signal usage: percent\nscore adoption weight 1 = usage / 1%\nstatus {\n  ok when health >= 50\n  low otherwise\n}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["test", "r.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("has no tests"), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("0 passed, 0 failed\n"));
    // a filter matches no test of a rule set without tests either
    let o = vital_in(dir.path(), &["test", "r.vital", "--filter", "x"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).starts_with("error: no test matches `x` (the rule set has 0 tests)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_table_fits_100_columns_and_ends_with_a_summary() {
    for example in ["advocacy", "digital-signals", "support-health"] {
        let dir = root().join("examples").join(example);
        let o = vital_in(
            &dir,
            &[
                "run",
                "--format",
                "table",
                "--rules",
                "rules",
                "snapshots.jsonl",
            ],
        );
        let out = stdout(&o);
        for line in out.lines() {
            assert!(
                line.chars().count() <= 100,
                "{example}: {} columns: {line}",
                line.chars().count()
            );
        }
        let tail: Vec<&str> = out.lines().rev().take(3).collect();
        assert!(
            tail.iter().any(|l| l.starts_with("playbooks: ")),
            "{example}: {tail:?}"
        );
        assert!(
            tail.iter().any(|l| l.contains(" results: ")),
            "{example}: {tail:?}"
        );
    }
}

/// A column renamed with a unit or a word added (`csat_pct`, `NPS Score`)
/// is named as the likely one, in CSV and in JSON Lines.
#[test]
fn a_column_renamed_with_a_suffix_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let rules = root().join("examples/support-health/rules");
    let rules = rules.to_str().unwrap();
    std::fs::write(
        dir.path().join("r.csv"),
        "account,as_of,nps,csat_pct,ces,first_response_hours,support_plan,renewal_date\n\
         acme,2026-09-01,64,92.2,,1.43,standard,2027-09-10\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", rules, "r.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "r.csv:1: the CSV header has no column for signal `csat` (did you mean the column \"csat_pct\"?)"
        ),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        dir.path().join("r.jsonl"),
        "{\"account\": \"acme\", \"as_of\": \"2026-09-01\", \"signals\": {\"nps\": 64, \"csat_pct\": 92.2, \"first_response_hours\": 1.43, \"support_plan\": \"standard\", \"renewal_date\": \"2027-09-10\"}}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", rules, "r.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the input has \"csat_pct\" — a renamed column?"),
        "{}",
        stderr(&o)
    );
}

/// A key beside `signals` that the record format does not have is warned
/// about (it was ignored silently); the record is still scored.
#[test]
fn an_unknown_top_level_key_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal usage: number\nscore s weight 1 = usage\nstatus {\n  ok otherwise\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("in.jsonl"),
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"region\": \"emea\", \"signals\": {\"usage\": 40}}\n\
         {\"account\": \"b\", \"as_of\": \"2026-11-01\", \"region\": \"amer\", \"signals\": {\"usage\": 50}}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", "r.vital", "in.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);
    assert!(
        stderr(&o).contains(
            "warning: in.jsonl: unknown key \"region\" at the top level ignored in 2 records"
        ),
        "{}",
        stderr(&o)
    );
}

/// A quote opened in a CSV row and never closed makes the CSV reader take
/// the rest of the file into one field: that line is rejected with what
/// happened, and reading resumes on the next line, so one stray quote costs
/// one row, not the rows after it (every one is scored or counted). A
/// quoted field that holds a line break, closed, is read.
#[test]
fn an_unclosed_csv_quote_is_rejected_not_swallowing_rows() {
    let dir = tempfile::tempdir().unwrap();
    let row = |a: &str, csm: &str| format!("{a},2026-11-01,1000,smb,40,3,2027-01-01,{csm},false");
    std::fs::write(
        dir.path().join("open.csv"),
        format!(
            "{CSV_HEADER}\n{}\n{}\n{}\n{}\n{}\n",
            row("a", "\"dana"),
            row("b", "eve"),
            row("c", "\"kim"),
            row("d", "\"lee\nward\""),
            row("e", "max")
        ),
    )
    .unwrap();
    let o = vital_in(
        dir.path(),
        &[
            "run",
            "--rules",
            &spec(),
            "--rejects",
            "rejects.jsonl",
            "open.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let accounts: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["account"].to_string())
        .collect();
    assert_eq!(
        accounts,
        ["\"b\"", "\"d\"", "\"e\""],
        "the rows after each broken one are scored, a closed multi-line quote too"
    );
    let err = stderr(&o);
    // a's quote is closed in the middle of c's line, c's in d's: each took
    // in rows of their own
    for (line, account) in [(2, "a"), (4, "c")] {
        assert!(
            err.contains(&format!("open.csv:{line}: account {account}: malformed CSV (a quote opened on this line is not closed where its cell ends (the lines after it read as rows of their own); the line is not scored and the next line is read as a row of its own")),
            "{err}"
        );
    }
    assert!(
        err.ends_with("error: 2 of 5 records were rejected; the others were evaluated\n"),
        "{err}"
    );
    // --rejects keeps each broken line as written
    let rejects = std::fs::read_to_string(dir.path().join("rejects.jsonl")).unwrap();
    let records: Vec<String> = rejects
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["record"].to_string())
        .collect();
    assert_eq!(
        records,
        [
            serde_json::Value::from(row("a", "\"dana")).to_string(),
            serde_json::Value::from(row("c", "\"kim")).to_string()
        ],
        "{rejects}"
    );
    // closed over a line break, and a quote written twice: read as written
    std::fs::write(
        dir.path().join("closed.csv"),
        format!(
            "{CSV_HEADER}\n{}\n{}\n",
            row("a", "\"dana\nsmith\""),
            row("b", "\"x \"\"y\"\" z\"")
        ),
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "closed.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    // a quote inside an unquoted field is a character, not an opening (the
    // last row also has a quoted field with a line break): read as written
    std::fs::write(
        dir.path().join("plain.csv"),
        format!(
            "{CSV_HEADER}\n{}\n",
            "a,2026-11-01,1000,smb,40,3,2027-01-01,\"dana\nsmith\",fal\"se"
        ),
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "plain.csv"]);
    assert!(
        !stderr(&o).contains("never closed"),
        "a plain quote is not an open one: {}",
        stderr(&o)
    );
    // the last line: nothing after it
    std::fs::write(
        dir.path().join("last.csv"),
        format!(
            "{CSV_HEADER}\n{}\n{}\n",
            row("b", "eve"),
            row("a", "\"dana")
        ),
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "last.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(
        stderr(&o).contains(
            "last.csv:3: account a: malformed CSV (a quote opened on this line is never closed;"
        ),
        "{}",
        stderr(&o)
    );
    // a stray quote closed by another, right before a delimiter: the rows
    // wholly inside the quotes are rows of their own
    std::fs::write(
        dir.path().join("pair.csv"),
        format!(
            "{CSV_HEADER}\n{}\n{}\n{}\n",
            row("a", "\"dana"),
            row("b", "eve"),
            row("c", "kim\"")
        ),
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "pair.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("pair.csv:2: account a: malformed CSV (a quote opened on this line is not closed where its cell ends"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains(r#"{"account": "b""#), "{}", stdout(&o));
}

/// A name given twice in a record is rejected, saying which: which value is
/// meant cannot be told (docs/language.md §7, "A name is given once").
#[test]
fn a_signal_member_or_event_field_given_twice_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let with_event = |r: String, event: &str| {
        format!("{}, \"events\": [{event}]}}", r.strip_suffix('}').unwrap())
    };
    let lines = [
        record("a", "2026-11-01").replace(r#""arr": 1000,"#, r#""arr": 1000, "arr": 5,"#),
        record("b", "2026-11-01").replace(r#""arr": 1000,"#, r#""arr": null, "arr": 1000,"#),
        record("c", "2026-11-01").replace(
            r#""as_of": "2026-11-01","#,
            r#""as_of": "2026-11-01", "as_of": "2026-10-01","#,
        ),
        with_event(
            record("d", "2026-11-01"),
            r#"{"type": "ticket_opened", "at": "2026-10-01", "severity": "high", "severity": "low"}"#,
        ),
        with_event(
            record("e", "2026-11-01"),
            r#"{"type": "ticket_opened", "at": "2026-10-01", "at": "2026-10-02", "severity": "high"}"#,
        ),
        // the same, written compactly, as exports write it
        record("f", "2026-11-01")
            .replace(": ", ":")
            .replace(", ", ",")
            .replace(r#""arr":1000,"#, r#""arr":1000,"arr":5,"#),
        with_event(
            record("ok", "2026-11-01"),
            r#"{"type": "ticket_opened", "at": "2026-10-01", "severity": "high", "colour": 1, "colour": 2}"#,
        ),
    ];
    std::fs::write(dir.path().join("x.jsonl"), lines.join("\n") + "\n").unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "x.jsonl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().count(),
        1,
        "only the record without a known name given twice is scored: {}",
        stdout(&o)
    );
    assert!(
        stdout(&o).starts_with(r#"{"account": "ok""#),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    for expected in [
        "x.jsonl:1: account a: signal `arr` is given twice; which value is meant cannot be told",
        "x.jsonl:2: account b: signal `arr` is given twice",
        "x.jsonl:3: account c: `as_of` is given twice; a record gives it once",
        "x.jsonl:4: account d: event #1 (ticket_opened) field `severity` is given twice",
        "x.jsonl:5: account e: event #1 (ticket_opened): `at` is given twice",
        "x.jsonl:6: account f: signal `arr` is given twice",
        "error: 6 of 7 records were rejected",
    ] {
        assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    }
}

/// CSV columns are found by name, `account` and `as_of` included; a header
/// that names a column twice, lacks `account`, or was split with another
/// delimiter is an error saying so (docs/language.md §7).
#[test]
fn csv_columns_in_any_order_and_header_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("canonical.csv"),
        format!("{CSV_HEADER}\na,2026-11-01,1000,smb,40,3,2027-01-01,dana,false\nb,2026-11-01,900,enterprise,90,30,2027-01-01,eve,true\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("moved.csv"),
        "arr,tier,account,feature_usage,logins_30d,as_of,renewal_date,csm,is_reference\n\
         1000,smb,a,40,3,2026-11-01,2027-01-01,dana,false\n\
         900,enterprise,b,90,30,2026-11-01,2027-01-01,eve,true\n",
    )
    .unwrap();
    let canonical = vital_in(dir.path(), &["run", "--rules", &spec(), "canonical.csv"]);
    let moved = vital_in(dir.path(), &["run", "--rules", &spec(), "moved.csv"]);
    assert_eq!(moved.status.code(), Some(0), "{}", stderr(&moved));
    assert_eq!(stdout(&moved).lines().count(), 2);
    assert_eq!(stdout(&moved), stdout(&canonical), "the same scores");
    for (name, text, expected) in [
        (
            "twice.csv",
            format!("{CSV_HEADER},arr\na,2026-11-01,1000,smb,40,3,2027-01-01,dana,false,5\n"),
            "twice.csv:1: the CSV header names the column `arr` twice: which one to read cannot be told",
        ),
        (
            "renamed.csv",
            CSV_HEADER.replace("account,", "Account ID,") + "\n",
            "renamed.csv:1: the CSV header has no column `account` (is it `Account ID`? the column must be named `account`)",
        ),
        (
            "semicolons.csv",
            CSV_HEADER.replace(',', ";") + "\n",
            "semicolons.csv:1: the CSV header is one column, `account;as_of;",
        ),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let o = vital_in(dir.path(), &["run", "--rules", &spec(), name]);
        assert_ne!(o.status.code(), Some(0), "{name}");
        assert_eq!(stdout(&o), "", "{name}: nothing is scored");
        assert!(stderr(&o).contains(expected), "{name}: expected {expected:?} in:\n{}", stderr(&o));
    }
    let o = vital_in(dir.path(), &["run", "--rules", &spec(), "semicolons.csv"]);
    assert!(
        stderr(&o).contains("its cells are separated by `;`, not `,` (set `delimiter` in the rule set's `read` table of vital.toml)"),
        "{}",
        stderr(&o)
    );
}

/// A number a decimal cannot hold exactly (more than 28 significant
/// digits) rejects its record in JSON Lines and CSV alike — it is never
/// rounded into another value (`2.00000000000000000000000000001` would
/// pass as 2 and not trip `> 2`); zeros after the last significant
/// decimal are only zeros.
#[test]
fn a_number_beyond_28_significant_digits_is_rejected_not_rounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal x: number\nscore s weight 1 = x\nstatus { ok otherwise }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.jsonl"),
        "{\"account\":\"a\",\"as_of\":\"2026-11-01\",\"signals\":{\"x\":2.00000000000000000000000000001}}\n\
         {\"account\":\"b\",\"as_of\":\"2026-11-01\",\"signals\":{\"x\":0.0000000000000000000000000000001}}\n\
         {\"account\":\"c\",\"as_of\":\"2026-11-01\",\"signals\":{\"x\":1.000000000000000000000000000000000}}\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", "r.vital", "d.jsonl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "d.jsonl:1: account a: signal `x`: expected number (a number), found 2.00000000000000000000000000001 (outside the range of 28 significant digits)\n\
             d.jsonl:2: account b: signal `x`: expected number (a number), found 0.0000000000000000000000000000001 (outside the range of 28 significant digits)\n"
        ),
        "{}",
        stderr(&o)
    );
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("\"account\": \"c\"") && out.contains("\"health\": 1.0"),
        "{out}"
    );
    std::fs::write(
        dir.path().join("d.csv"),
        "account,as_of,x\na,2026-11-01,2.00000000000000000000000000001\nc,2026-11-01,3\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", "r.vital", "d.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("d.csv:2: account a: signal `x`: expected number"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o).lines().count(), 1);
}

/// A CSV cell as a spreadsheet formats a number (`16%`, `$131,000`) is
/// rejected with what to write instead; unknown columns are counted in the
/// records that were accepted, wherever they stand beside a bad cell.
#[test]
fn spreadsheet_numbers_get_a_hint_and_unknown_columns_count_accepted_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.vital"),
        "signal usage: percent\nsignal arr: money\nscore s weight 1 = linear(usage, 0%, 100%)\nstatus { ok otherwise }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "account,as_of,before,usage,arr,after\n\
         a,2026-11-01,1,16%,100,1\n\
         b,2026-11-01,1,60,\"$131,000\",1\n\
         c,2026-11-01,1,73,5,1\n",
    )
    .unwrap();
    let o = vital_in(dir.path(), &["run", "--rules", "r.vital", "d.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "d.csv:2: account a: signal `usage`: expected percent (a number of percentage points), found \"16%\" — write 16, without the `%` (percent signals are in percentage points)\n\
         d.csv:3: account b: signal `arr`: expected money (a number), found \"$131,000\" — write 131000: numbers without currency signs, `%` or thousands separators\n\
         warning: d.csv: unknown signal \"after\" ignored in 1 record\n\
         warning: d.csv: unknown signal \"before\" ignored in 1 record\n\
         error: 2 of 3 records were rejected; the others were evaluated\n"
    );
}

/// CSV piped into standard input (read as JSON Lines) says what it looks
/// like and how a CSV is read, on each rejected line.
#[test]
fn csv_on_standard_input_says_how_a_csv_is_read() {
    use std::io::Write;
    let dir = root().join("examples/support-health");
    let csv: String = std::fs::read_to_string(dir.join("snapshots.csv"))
        .unwrap()
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(["run", "-"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("-:1: account ?: malformed JSON (expected a value (a number, a text in quotes, true, false or null) at column 1); is the input CSV? a CSV file is read by its name ending in `.csv` (standard input and `.jsonl` files are read as JSON Lines)\n"),
        "{err}"
    );
}
