//! The project file (docs/project.md) as users meet it, through the real
//! binary: found from a subdirectory, `vital run` with no arguments, column
//! mapping of every kind, gates, errors placed in vital.toml, several rule
//! sets, and the data-quality warnings for common export mistakes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use support::{jsonl, root, stderr, stdout, vital_in};

/// A project in a temp dir: `rules/` (a small rule set) and `vital.toml`.
fn project(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("rules/health.vital"),
        r#"signal usage: percent
signal nps: number?
signal plan: enum(basic, premier)
signal renewal: date
signal active: bool
signal csm: text?

score adoption weight 1 = usage / 1%

status {
  healthy when health >= 50
  at_risk otherwise
}

when plan == premier and active add 10 to adoption
when nps is missing and days_until(renewal) < 30 trigger "ask for feedback"
when csm is missing trigger "assign a CSM"
"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("vital.toml"), toml).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn run_with_no_arguments_runs_the_configured_inputs_from_a_subdirectory() {
    let dir = project("[rulesets.main]\npath = \"rules\"\ninputs = [\"data/*.jsonl\"]\n");
    write(
        &dir.path().join("data"),
        "b.jsonl",
        r#"{"account": "b", "as_of": "2026-11-01", "signals": {"usage": 30, "plan": "basic", "renewal": "2027-01-01", "active": true, "csm": "kim"}}"#,
    );
    write(
        &dir.path().join("data"),
        "a.jsonl",
        r#"{"account": "a", "as_of": "2026-11-01", "signals": {"usage": 70, "plan": "premier", "renewal": "2027-01-01", "active": true, "csm": "kim"}}"#,
    );
    let sub = dir.path().join("rules");
    let o = vital_in(&sub, &["run", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let accounts: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts, ["a", "b"], "files in sorted order");
    assert_eq!(jsonl(&o)[0]["scores"]["adoption"], 80.0);
    // check, test and explain find the rule set too
    let o = vital_in(&sub, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = vital_in(&sub, &["explain", "--account", "b"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("b — as of 2026-11-01"));
}

#[test]
fn every_kind_of_column_mapping() {
    let dir = project(
        r#"[rulesets.main]
path = "rules"
inputs = ["data/export.csv"]

[rulesets.main.read]
delimiter = ";"
nulls = ["N/A", "-"]
true_values = ["yes", "Y"]
false_values = ["no", "N"]

[rulesets.main.columns]
usage = { column = "Usage Share", scale = 100 }
nps = "NPS Score"
plan = { column = "Plan", values = { "Premier Plus" = "premier", "Basic" = "basic" } }
renewal = { column = "Renewal", format = "%m/%d/%Y" }
active = "Active?"
"#,
    );
    write(
        &dir.path().join("data"),
        "export.csv",
        "account;as_of;Usage Share;NPS Score;Plan;Renewal;Active?;csm\n\
         acme;2026-11-01;0.45;N/A;Premier Plus;11/15/2026;yes;kim\n\
         beta;2026-11-01;0.8;40;Basic;01/31/2027;N;-\n",
    );
    let o = vital_in(dir.path(), &["run", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "account,as_of,health,status,computed_status,adoption,triggered,started\n\
         acme,2026-11-01,55.0,healthy,healthy,55.0,ask for feedback,ask for feedback\n\
         beta,2026-11-01,80.0,healthy,healthy,80.0,assign a CSM,assign a CSM\n"
    );
    // no fraction warning: the scale maps it
    assert_eq!(stderr(&o), "");
    // a spelling the mapping does not know: the message lists the file's
    // spellings first
    write(
        &dir.path().join("data"),
        "gold.csv",
        "account;as_of;Usage Share;NPS Score;Plan;Renewal;Active?;csm\n\
         gamma;2026-11-01;0.5;40;Gold;01/31/2027;N;-\n",
    );
    let o = vital_in(dir.path(), &["run", "data/gold.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("account gamma: signal `plan`: expected one of (Basic, Premier Plus) as vital.toml maps them, or one of (basic, premier), found \"Gold\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_numeric_account_id_is_read_when_allowed() {
    let rec = r#"{"account": 12345, "as_of": "2026-11-01", "signals": {"usage": 70, "plan": "basic", "renewal": "2027-01-01", "active": true, "csm": "kim"}}"#;
    let dir = project("[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\n");
    write(&dir.path().join("data"), "a.jsonl", rec);
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`account`: expected a non-empty string, found 12345"),
        "{}",
        stderr(&o)
    );
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\n[rulesets.main.read]\naccount = \"number\"\n",
    );
    write(&dir.path().join("data"), "a.jsonl", rec);
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(jsonl(&o)[0]["account"], "12345");
}

fn records(n: usize, bad: usize) -> String {
    (0..n)
        .map(|i| {
            let usage = if i < bad { "\"lots\"".to_string() } else { "50".into() };
            format!(
                r#"{{"account": "a{i}", "as_of": "2026-11-01", "signals": {{"usage": {usage}, "plan": "basic", "renewal": "2027-01-01", "active": true, "csm": "kim"}}}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn max_rejected_relaxes_the_exit_status_up_to_its_threshold() {
    for (gate, bad, code, tail) in [
        ("\"5%\"", 2, 0, "warning: 2 of 100 records were rejected; the others were evaluated (within `max_rejected` = 5% of vital.toml)\n"),
        ("\"1%\"", 2, 1, "error: 2 of 100 records were rejected; the others were evaluated; more than `max_rejected` = 1% of vital.toml\n"),
        ("2", 2, 0, "warning: 2 of 100 records were rejected; the others were evaluated (within `max_rejected` = 2 records of vital.toml)\n"),
    ] {
        let dir = project(&format!(
            "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\n[rulesets.main.gates]\nmax_rejected = {gate}\n"
        ));
        write(&dir.path().join("data"), "a.jsonl", &records(100, bad));
        let o = vital_in(dir.path(), &["run"]);
        assert_eq!(o.status.code(), Some(code), "{gate}: {}", stderr(&o));
        assert!(stderr(&o).ends_with(tail), "{gate}: {}", stderr(&o));
        assert_eq!(jsonl(&o).len(), 100 - bad);
    }
}

#[test]
fn require_columns_fails_before_scoring_on_a_csv_without_the_column() {
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.csv\"]\n[rulesets.main.gates]\nrequire_columns = true\n",
    );
    write(
        &dir.path().join("data"),
        "a.csv",
        "account,as_of,usage,NPS,plan,renewal,active,csm\nacme,2026-11-01,50,40,basic,2027-01-01,true,kim\n",
    );
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "error: data/a.csv:1: the CSV header has no column for signal `nps` (did you mean the column \"NPS\"?), which `require_columns` requires; nothing was scored\n"
    );
}

#[test]
fn project_file_errors_name_the_line_and_suggest() {
    let dir = project("[rulesets.main]\npath = \"rules\"\ninput = [\"data/a.jsonl\"]\n");
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("vital::project"), "{err}");
    assert!(
        err.contains("unknown key `input`; did you mean `inputs`?"),
        "{err}"
    );
    assert!(err.contains("vital.toml:3:1"), "{err}");
    // every command reads the project file
    let o = vital_in(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("did you mean `inputs`?"));
    // a mapping naming a signal the rules do not declare
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\n[rulesets.main.columns]\nusge = { scale = 100 }\n",
    );
    write(&dir.path().join("data"), "a.jsonl", &records(1, 0));
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("`usge` is not a signal of the rule set; did you mean `usage`?"),
        "{err}"
    );
    // underlined from the misspelt name, where it is written
    assert!(err.contains("vital.toml:5:1]"), "{err}");
}

#[test]
fn several_rule_sets_each_checked_on_its_own() {
    let dir = project(
        "[rulesets.a]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\n[rulesets.b]\npath = \"other\"\ninputs = [\"data/a.jsonl\"]\n",
    );
    std::fs::create_dir(dir.path().join("other")).unwrap();
    write(
        &dir.path().join("other"),
        "r.vital",
        "signal usage: percent\nscore adoption weight 1 = usage / 1%\nstatus {\n  ok when health >= 50\n  low otherwise\n}\n",
    );
    write(&dir.path().join("data"), "a.jsonl", &records(3, 0));
    // the same names in two rule sets are no duplicate declarations
    let o = vital_in(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("rule set `a` (rules)"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("rule set `b` (other)"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("of 2 rule sets"), "{}", stdout(&o));
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("has several rule sets (`a`, `b`); pick one with `--ruleset NAME`"),
        "{}",
        stderr(&o)
    );
    let o = vital_in(dir.path(), &["run", "--ruleset", "b"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(jsonl(&o).len(), 3);
    assert_eq!(jsonl(&o)[0]["status"], "ok");
    let o = vital_in(dir.path(), &["run", "--ruleset", "c"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no rule set `c`"), "{}", stderr(&o));
}

#[test]
fn a_directory_of_several_rule_sets_is_taken_one_by_one() {
    // the bundled examples: four rule sets side by side
    let o = vital_in(&root(), &["check", "examples"]);
    let err = stderr(&o);
    assert!(
        err.starts_with("note: `examples` holds 4 rule sets"),
        "{err}"
    );
    assert!(
        !stdout(&o).contains("duplicate-declaration"),
        "{}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = vital_in(&root(), &["test", "examples"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with("18 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_common_export_mistakes_are_warned_about() {
    let dir = project("[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.csv\"]\n");
    let mut csv = String::from("account,as_of,usage,NPS,plan,renewal,active,csm\n");
    for i in 0..1000 {
        csv.push_str(&format!(
            "a{i},2026-11-01,0.{},40,basic,2027-01-01,true,kim\n",
            i % 10
        ));
    }
    write(&dir.path().join("data"), "a.csv", &csv);
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: data/a.csv: unknown signal \"NPS\" ignored in 1,000 records — did you mean `nps`?"),
        "{err}"
    );
    assert!(
        err.contains("warning: data/a.csv: signal `nps` is missing from all 1,000 records: every score that reads it is n/a; the input has \"NPS\" — a renamed column?"),
        "{err}"
    );
    assert!(
        err.contains("warning: data/a.csv: every value of percent signal `usage` lies between 0 and 1 (at most 0.9)"),
        "{err}"
    );
    assert!(
        err.contains("`usage = { scale = 100 }` under [rulesets.main.columns]"),
        "the hint names the rule set: {err}"
    );
    assert!(
        err.contains(
            "warning: data/a.csv: signal `csm` has the same value (\"kim\") in all 1,000 records"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "warning: data/a.csv: signal `plan` has the same value (basic) in all 1,000 records"
        ),
        "{err}"
    );
}

#[test]
fn rejects_are_written_for_the_data_team() {
    let dir = project("[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\n");
    write(&dir.path().join("data"), "a.jsonl", &records(3, 1));
    let o = vital_in(dir.path(), &["run", "--rejects", "rejects.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(dir.path().join("rejects.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    let r = &lines[0];
    assert_eq!(r["file"], "data/a.jsonl");
    assert_eq!(r["line"], 1);
    assert_eq!(r["account"], "a0");
    assert_eq!(r["field"], "usage");
    assert_eq!(r["expected"], "percent (a number of percentage points)");
    assert_eq!(r["found"], "\"lots\"");
    assert_eq!(r["record"], records(1, 1));
}

#[test]
fn value_and_at_risk_must_name_what_the_rules_declare() {
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.jsonl\"]\nvalue = \"usage\"\nat_risk = [\"danger\"]\n",
    );
    write(&dir.path().join("data"), "a.jsonl", &records(1, 0));
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("`value` names the account's value, a money signal; `usage` is percent"),
        "{err}"
    );
    assert!(err.contains("vital.toml:4:"), "{err}");
    assert!(
        err.contains(
            "`danger` is not an arm of the status block (expected one of healthy, at_risk)"
        ),
        "{err}"
    );
    assert!(err.contains("vital.toml:5:"), "{err}");
}

#[test]
fn input_in_another_encoding_is_named() {
    let dir = project("[rulesets.main]\npath = \"rules\"\n");
    // UTF-16 with its byte-order mark, as Excel's "Unicode text" writes
    let mut bytes = vec![0xFF, 0xFE];
    for u in records(1, 0).encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(dir.path().join("u16.jsonl"), &bytes).unwrap();
    let o = vital_in(dir.path(), &["run", "u16.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: `u16.jsonl` is UTF-16; snapshot files are read as UTF-8: save it as UTF-8 (in Excel: CSV UTF-8)\n"
    );
    // Latin-1: every line is rejected, and the summary names the cause
    let latin1: Vec<u8> = records(2, 0)
        .replace("kim", "K\u{e9}vin")
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    std::fs::write(dir.path().join("l1.jsonl"), &latin1).unwrap();
    let o = vital_in(dir.path(), &["run", "l1.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no line of the input is valid UTF-8: it is in another encoding (Latin-1 or Windows-1252?); save it as UTF-8"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_project_file_stops_history_with_its_place() {
    let dir = project("[rulesets.main]\npath = \"rules\"\n[history]\nstroe = \".vital/h.db\"\n");
    let o = vital_in(dir.path(), &["history", "--stale"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("vital::project"), "{err}");
    assert!(
        err.contains("unknown key `stroe`; did you mean `store`?"),
        "{err}"
    );
    assert!(err.contains("vital.toml:4:1"), "{err}");
    assert_eq!(stdout(&o), "");
}

/// A rule set whose `path` is not there is a mistake of vital.toml, shown
/// at its line by every command that loads it.
#[test]
fn a_missing_ruleset_path_is_shown_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vital.toml"),
        "[rulesets.main]\npath = \"rule\"\n",
    )
    .unwrap();
    for args in [
        vec!["run", "x.jsonl"],
        vec!["check"],
        vec!["test"],
        vec!["compile", "--target", "duckdb"],
    ] {
        let o = support::vital_in(dir.path(), &args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{args:?}: {}",
            support::stderr(&o)
        );
        let err = support::stderr(&o);
        assert!(
            err.contains("`path` of [rulesets.main] names \"rule\", which does not exist"),
            "{args:?}: {err}"
        );
        assert!(err.contains("vital.toml:2:8"), "{args:?}: {err}");
        assert!(!support::stdout(&o).contains("0 passed"), "{args:?}");
    }
    // nor is a test run over rules that do not load a pass of 0 tests
    let o = support::vital_in(dir.path(), &["test", "nowhere"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(support::stdout(&o), "");
}

/// The store's `${VAR}`s are expanded when a command opens the store, so
/// CI lints, tests and compiles rules without the database password;
/// `vital run` then stops on the unset variable at its line in vital.toml.
#[test]
fn the_store_password_is_needed_only_by_commands_that_open_the_store() {
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/*.jsonl\"]\n\n[history]\nstore = \"postgres://vital:${VITAL_SURELY_UNSET_PG_PASSWORD}@localhost/vital\"\n",
    );
    write(
        &dir.path().join("data"),
        "a.jsonl",
        r#"{"account": "a", "as_of": "2026-11-01", "signals": {"usage": 70, "plan": "premier", "renewal": "2027-01-01", "active": true, "csm": "kim"}}"#,
    );
    for args in [
        &["check"][..],
        &["test"][..],
        &["fmt", "--check"][..],
        &["compile", "--target", "duckdb"][..],
    ] {
        let o = vital_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("VITAL_SURELY_UNSET_PG_PASSWORD"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    for args in [&["run"][..], &["history", "--stale"][..]] {
        let o = vital_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.contains("the environment variable `VITAL_SURELY_UNSET_PG_PASSWORD` is not set"),
            "{args:?}: {err}"
        );
        assert!(err.contains("vital.toml:6:"), "{args:?}: {err}");
        assert_eq!(stdout(&o), "", "{args:?}: nothing scored or shown");
    }
}

/// A signal that vital.toml maps to a column the export does not have: the
/// message names the signal, the mapped column and what the input has, so
/// the mistake can be the mapping's (not only the export's).
#[test]
fn a_wrong_column_mapping_is_named_as_such() {
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\n\n[rulesets.main.columns]\nusage = { column = \"Usage Share\" }\n",
    );
    write(
        dir.path(),
        "a.csv",
        "account,as_of,usage,plan,renewal,active\na,2026-11-01,70,basic,2027-01-01,true\n",
    );
    let o = vital_in(dir.path(), &["run", "a.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("has no column for signal `usage` (vital.toml maps it to the column \"Usage Share\"; the input has \"usage\": is the mapping's `column` wrong?), which is not optional"),
        "{err}"
    );
    write(
        dir.path(),
        "a.jsonl",
        r#"{"account": "a", "as_of": "2026-11-01", "signals": {"usage": 70, "plan": "basic", "renewal": "2027-01-01", "active": true}}"#,
    );
    let o = vital_in(dir.path(), &["run", "a.jsonl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the input has \"usage\", and vital.toml maps `usage` to the column \"Usage Share\": is the mapping's `column` wrong?"),
        "{err}"
    );
}

/// `fail_on_warnings`: a night whose export draws a data-quality warning
/// (here fractions for a percent) fails, and the history store records
/// nothing; without the gate the same night is recorded with a warning.
#[test]
fn fail_on_warnings_keeps_a_broken_night_out_of_the_store() {
    let toml = |gate: bool| {
        format!(
            "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/a.csv\"]\n[rulesets.main.gates]\nfail_on_warnings = {gate}\n\n[history]\nstore = \".vital/history.db\"\n"
        )
    };
    let dir = project(&toml(true));
    let mut csv = String::from("account,as_of,usage,nps,plan,renewal,active,csm\n");
    for i in 0..20 {
        csv.push_str(&format!(
            "a{i},2026-11-01,0.{},40,basic,2027-01-01,true,kim\n",
            i % 10
        ));
    }
    write(&dir.path().join("data"), "a.csv", &csv);
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("every value of percent signal `usage` lies between 0 and 1"),
        "{err}"
    );
    assert!(
        err.contains("about the input (`fail_on_warnings` is set in vital.toml)\n"),
        "{err}"
    );
    assert!(
        err.contains("error: nothing was recorded in the history store"),
        "{err}"
    );
    let o = vital_in(dir.path(), &["summary", "--stored"]);
    assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stderr(&o).contains("holds no results"), "{}", stderr(&o));
    // without the gate: a warning, exit 0, recorded
    std::fs::write(dir.path().join("vital.toml"), toml(false)).unwrap();
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("every value of percent signal `usage` lies between 0 and 1"),
        "{}",
        stderr(&o)
    );
    let o = vital_in(dir.path(), &["summary", "--stored"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("20 accounts"), "{}", stdout(&o));
}

/// Two mistakes in a column mapping are reported together, each at its
/// line, with one closing line (it was printed after each).
#[test]
fn several_mapping_mistakes_are_one_report() {
    let dir = project(
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/*.jsonl\"]\n\n\
         [rulesets.main.columns]\nnot_a_signal = \"x\"\nalso_not = \"y\"\n",
    );
    write(
        dir.path(),
        "data/a.jsonl",
        "{\"account\": \"a\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 50, \"plan\": \"basic\", \"renewal\": \"2027-01-01\", \"active\": true}}\n",
    );
    let o = vital_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(
        err.matches("error: the project file is not valid; nothing was done")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("`not_a_signal` is not a signal of the rule set"),
        "{err}"
    );
    assert!(
        err.contains("`also_not` is not a signal of the rule set"),
        "{err}"
    );
    assert!(err.contains("vital.toml:6:"), "{err}");
    assert!(err.contains("vital.toml:7:"), "{err}");
}
