//! `vital init`, driven through the real binary: the projects it writes
//! from the bundled examples' snapshots and from made-up samples check,
//! test and run; the example project without `--from`; it never overwrites;
//! `.gitignore`; the column mapping it writes to `vital.toml`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use support::{jsonl, root, stderr, stdout, vital_in};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn read(p: impl AsRef<Path>) -> String {
    fs::read_to_string(p.as_ref())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.as_ref().display()))
}

/// `vital init ARGS` in `dir`; it must succeed.
fn init_ok(dir: &Path, args: &[&str]) -> String {
    let o = vital_in(dir, &[&["init"], args].concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "vital init {args:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// The accounts of a snapshot file (JSON Lines or CSV).
fn accounts(sample: &Path) -> BTreeSet<String> {
    let text = read(sample);
    if sample.extension().is_some_and(|e| e == "csv") {
        text.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["account"].as_str().unwrap().to_string()
            })
            .collect()
    }
}

/// The project in `dir` checks clean, is formatted, and its tests pass.
fn assert_checks_and_tests(dir: &Path) {
    let o = vital_in(dir, &["check"]);
    assert_eq!(o.status.code(), Some(0), "vital check:\n{}", stderr(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        said.contains("No problems found in 3 files."),
        "vital check is not clean (warnings?):\n{said}"
    );
    let o = vital_in(dir, &["fmt", "--check", "rules"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "vital fmt --check:\n{}",
        stdout(&o)
    );
    let o = vital_in(dir, &["test"]);
    assert_eq!(o.status.code(), Some(0), "vital test:\n{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"), "{}", stdout(&o));
    assert!(
        !stdout(&o).contains("\n0 passed"),
        "no tests ran:\n{}",
        stdout(&o)
    );
}

/// `vital run ARGS` in `dir` exits 0, rejects nothing, and gives one result
/// per account of `sample`.
fn assert_runs(dir: &Path, args: &[&str], sample: &Path) -> Vec<serde_json::Value> {
    let o = vital_in(dir, &[&["run", "--format", "jsonl"], args].concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "vital run {args:?}:\n{}",
        stderr(&o)
    );
    // only "unknown signal/event … ignored" warnings (the columns no rule
    // reads) and the history store's receipt (vital.toml keeps history)
    for line in stderr(&o).lines() {
        let receipt = line.starts_with("recorded ")
            && line.ends_with(" in the history store .vital/history.db");
        assert!(
            receipt || (line.starts_with("warning:") && line.contains(" ignored in ")),
            "unexpected message from vital run: {line}\n{}",
            stderr(&o)
        );
    }
    let results = jsonl(&o);
    let got: BTreeSet<String> = results
        .iter()
        .map(|r| r["account"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(results.len(), got.len(), "one result per account");
    assert_eq!(got, accounts(sample));
    results
}

fn examples() -> Vec<PathBuf> {
    let mut samples = Vec::new();
    for entry in fs::read_dir(root().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        for name in ["snapshots.jsonl", "snapshots.csv"] {
            if dir.join(name).is_file() {
                samples.push(dir.join(name).canonicalize().unwrap());
            }
        }
    }
    samples.sort();
    samples
}

#[test]
fn the_bundled_examples_snapshots_give_rule_sets_that_check_test_and_run() {
    let samples = examples();
    assert!(samples.len() >= 4, "{samples:?}");
    for sample in samples {
        let tmp = tempdir();
        let out = init_ok(tmp.path(), &["proj", "--from", sample.to_str().unwrap()]);
        let dir = tmp.path().join("proj");
        assert!(out.contains("cd proj"), "{out}");
        let signals = read(dir.join("rules/signals.vital"));
        assert!(signals.contains("\nsignal "), "{signals}");
        let scores = read(dir.join("rules/scores.vital"));
        assert_eq!(scores.matches("\nscore ").count(), 2, "{scores}");
        assert_eq!(scores.matches("\nstatus {").count(), 1, "{scores}");
        assert_eq!(
            scores.matches(" trigger ").count() + scores.matches("\ntrigger ").count(),
            1
        );
        let toml = read(dir.join("vital.toml"));
        assert!(
            toml.contains("[rulesets.main]\npath = \"rules\"\n"),
            "{toml}"
        );
        // the sample, absolute or relative to the project (as the two
        // directories lie), names the same file
        let written = toml
            .lines()
            .find_map(|l| l.strip_prefix("inputs = [\""))
            .and_then(|l| l.split('"').next())
            .unwrap_or_else(|| panic!("no inputs line: {toml}"));
        assert_eq!(
            std::fs::canonicalize(dir.join(written)).unwrap(),
            std::fs::canonicalize(&sample).unwrap(),
            "{toml}"
        );
        assert_checks_and_tests(&dir);
        assert_runs(
            &dir,
            &["--rules", "rules", sample.to_str().unwrap()],
            &sample,
        );
    }
}

#[test]
fn the_example_projects_inferred_scores_follow_the_sample() {
    // digital-signals: feature_usage is a percent (name and range), arr is
    // money and the account's value, tickets are "fewer is better"
    let sample = root()
        .join("examples/digital-signals/snapshots.jsonl")
        .canonicalize()
        .unwrap();
    let tmp = tempdir();
    init_ok(tmp.path(), &["ds", "--from", sample.to_str().unwrap()]);
    let dir = tmp.path().join("ds");
    let signals = read(dir.join("rules/signals.vital"));
    assert!(
        signals.contains("\nsignal feature_usage: percent\n"),
        "{signals}"
    );
    assert!(signals.contains("\nsignal arr: money\n"), "{signals}");
    assert!(
        signals.contains(
            "event ticket_opened { hours_to_close: number?, severity: enum(high, low, critical) }"
        ),
        "{signals}"
    );
    // columns no rule reads are there, commented out, with their types
    assert!(
        signals.contains("\n# signal exec_sponsor: text?\n"),
        "{signals}"
    );
    assert!(
        signals.contains("\n# signal logins_30d: int\n"),
        "{signals}"
    );
    assert!(
        signals.contains("\n# event exec_meeting { level: enum("),
        "{signals}"
    );
    // uncommented (a `# ` taken off each line, as an editor's toggle does),
    // a declaration keeps its description as its doc comment
    assert!(
        signals.contains("\n# ## In all ")
            && signals.contains("\n# ## ")
            && !signals.contains("\n# In all "),
        "{signals}"
    );
    let at = signals.find("\n# signal logins_30d: int\n").unwrap();
    let doc_line = signals[..at].rsplit('\n').next().unwrap();
    assert!(doc_line.starts_with("# ## "), "{doc_line:?}");
    let toml = read(dir.join("vital.toml"));
    assert!(toml.contains("\nvalue = \"arr\""), "{toml}");
    let scores = read(dir.join("rules/scores.vital"));
    assert!(
        scores.contains("= linear(count(ticket_opened within 90 days), "),
        "{scores}"
    );
    let results = assert_runs(
        &dir,
        &["--rules", "rules", sample.to_str().unwrap()],
        &sample,
    );
    // the scores spread over 0..100 across the accounts, not one value
    let values: BTreeSet<String> = results
        .iter()
        .map(|r| r["scores"]["feature_usage_score"].to_string())
        .collect();
    assert!(values.len() > 10, "{values:?}");
}

#[test]
fn override_statuses_of_the_sample_are_arms_of_the_status_block() {
    // support-health's records override the status with champion,
    // needs_attention and danger: a status block without them would reject
    // those records
    let sample = root()
        .join("examples/support-health/snapshots.jsonl")
        .canonicalize()
        .unwrap();
    let tmp = tempdir();
    init_ok(tmp.path(), &["sh", "--from", sample.to_str().unwrap()]);
    let scores = read(tmp.path().join("sh/rules/scores.vital"));
    assert!(
        scores.contains(
            "status {\n  champion        when health >= 70\n  needs_attention when health >= 40\n  danger          otherwise\n}"
        ),
        "{scores}"
    );
    assert!(scores.contains("when status == danger"), "{scores}");
}

#[test]
fn vital_run_with_no_arguments_runs_the_inferred_project() {
    for sample in examples() {
        let tmp = tempdir();
        init_ok(tmp.path(), &["proj", "--from", sample.to_str().unwrap()]);
        assert_runs(&tmp.path().join("proj"), &[], &sample);
    }
    let tmp = tempdir();
    let sample = fraction_csv(tmp.path());
    init_ok(tmp.path(), &["proj", "--from", sample.to_str().unwrap()]);
    let results = assert_runs(&tmp.path().join("proj"), &[], &sample);
    // 0.97 is 97% once scaled: above the 90th percentile bound, a full
    // score (unscaled, 0.97% would be at the bottom)
    let top = results.iter().find(|r| r["account"] == "a23").unwrap();
    assert_eq!(top["scores"]["usage_pct_score"], 100.0, "{top}");
    let tmp = tempdir();
    init_ok(tmp.path(), &["plain"]);
    let plain = tmp.path().join("plain");
    assert_runs(&plain, &[], &plain.join("data/sample.jsonl"));
}

/// `vital init` keeps score history by default (`[history] store` in
/// vital.toml, ignored by git): the first `vital run` records the night,
/// `vital history` shows it, and the notifier is a commented example.
#[test]
fn an_initialised_project_records_its_runs_in_a_history_store() {
    for from in [None, examples().first().cloned()] {
        let tmp = tempdir();
        let mut args = vec!["proj".to_string()];
        if let Some(s) = &from {
            args.extend(["--from".to_string(), s.to_string_lossy().into_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        init_ok(tmp.path(), &args);
        let dir = tmp.path().join("proj");
        let toml = read(dir.join("vital.toml"));
        assert!(
            toml.contains("\n[history]\nstore = \".vital/history.db\""),
            "{toml}"
        );
        assert!(toml.contains("\n# [notify]\n# webhook = "), "{toml}");
        let sample = match &from {
            Some(s) => s.clone(),
            None => dir.join("data/sample.jsonl"),
        };
        let results = assert_runs(&dir, &[], &sample);
        assert!(dir.join(".vital/history.db").is_file(), "no store written");
        let account = results[0]["account"].as_str().unwrap();
        let o = vital_in(&dir, &["history", account, "--format", "jsonl"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // every snapshot of the input is stored; the latest is the one reported
        let rows = jsonl(&o);
        let last = rows.last().expect("stored nights");
        assert_eq!(last["as_of"], results[0]["as_of"], "{rows:?}");
        assert_eq!(last["health"], results[0]["health"], "{rows:?}");
    }
}

#[test]
fn without_from_it_writes_a_commented_example_that_checks_tests_and_runs() {
    let tmp = tempdir();
    let out = init_ok(tmp.path(), &["starter"]);
    let dir = tmp.path().join("starter");
    for f in [
        "vital.toml",
        "rules/signals.vital",
        "rules/scores.vital",
        "rules/tests.vital",
        "data/sample.jsonl",
        ".gitignore",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing; output:\n{out}");
    }
    let toml = read(dir.join("vital.toml"));
    assert!(toml.contains("name = \"starter\""), "{toml}");
    assert!(toml.contains("inputs = [\"data/sample.jsonl\"]"), "{toml}");
    assert!(toml.contains("\n# [rulesets.main.columns]"), "{toml}");
    for (what, line) in [
        ("cd", "cd starter"),
        ("check", "vital check"),
        ("test", "vital test"),
        ("run", "vital run"),
    ] {
        assert!(out.contains(line), "no {what} hint:\n{out}");
    }
    assert_checks_and_tests(&dir);
    let o = vital_in(&dir, &["test"]);
    assert!(stdout(&o).contains("2 passed, 0 failed"), "{}", stdout(&o));
    let results = assert_runs(
        &dir,
        &["--rules", "rules", "data/sample.jsonl"],
        &dir.join("data/sample.jsonl"),
    );
    let initech = results.iter().find(|r| r["account"] == "initech").unwrap();
    assert_eq!(initech["status"], "at_risk", "{initech}");
}

#[test]
fn init_without_a_directory_writes_into_the_current_one() {
    let tmp = tempdir();
    let out = init_ok(tmp.path(), &[]);
    assert!(tmp.path().join("vital.toml").is_file());
    assert!(tmp.path().join("rules/scores.vital").is_file());
    assert!(!out.contains("cd "), "{out}");
    assert!(out.contains("Created a Vital project in ."), "{out}");
}

#[test]
fn it_never_overwrites_a_file_and_then_writes_nothing() {
    let tmp = tempdir();
    let dir = tmp.path().join("p");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("vital.toml"), "# mine\n").unwrap();
    let o = vital_in(tmp.path(), &["init", "p"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("`vital.toml`"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
    assert_eq!(read(dir.join("vital.toml")), "# mine\n");
    assert!(!dir.join("rules").exists());
    assert!(!dir.join("data").exists());
    assert!(!dir.join(".gitignore").exists());

    // a second init names every file it would have written
    let tmp = tempdir();
    init_ok(tmp.path(), &["p"]);
    let before = read(tmp.path().join("p/rules/scores.vital"));
    let o = vital_in(tmp.path(), &["init", "p"]);
    assert_eq!(o.status.code(), Some(1));
    for f in [
        "`vital.toml`",
        "`rules/signals.vital`",
        "`rules/scores.vital`",
        "`rules/tests.vital`",
        "`data/sample.jsonl`",
    ] {
        assert!(stderr(&o).contains(f), "{f} not named:\n{}", stderr(&o));
    }
    assert_eq!(read(tmp.path().join("p/rules/scores.vital")), before);
    assert_eq!(read(tmp.path().join("p/.gitignore")), ".vital/\n");

    // other rule files in rules/ would be merged into the new rule set
    let tmp = tempdir();
    fs::create_dir_all(tmp.path().join("rules/old")).unwrap();
    fs::write(tmp.path().join("rules/old/mine.vital"), "signal x: int\n").unwrap();
    let o = vital_in(tmp.path(), &["init"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`rules/old/mine.vital`"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.path().join("vital.toml").exists());
}

#[test]
fn gitignore_gets_vital_once() {
    // created
    let tmp = tempdir();
    let out = init_ok(tmp.path(), &[]);
    assert_eq!(read(tmp.path().join(".gitignore")), ".vital/\n");
    assert!(out.contains(".gitignore"), "{out}");

    // appended, after a last line without a line break
    let tmp = tempdir();
    fs::write(tmp.path().join(".gitignore"), "target\n*.log").unwrap();
    init_ok(tmp.path(), &[]);
    assert_eq!(
        read(tmp.path().join(".gitignore")),
        "target\n*.log\n.vital/\n"
    );

    // already ignored (in any of its spellings): left alone
    for existing in ["target/\n.vital/\n", "/.vital\n", ".vital\n"] {
        let tmp = tempdir();
        fs::write(tmp.path().join(".gitignore"), existing).unwrap();
        let out = init_ok(tmp.path(), &[]);
        assert_eq!(read(tmp.path().join(".gitignore")), existing);
        assert!(!out.contains(".gitignore"), "{out}");
    }
}

/// A CSV export whose column names are not Vital names, with a percent
/// given as fractions and an enum spelt with spaces.
fn fraction_csv(dir: &Path) -> PathBuf {
    let mut csv = String::from("account,as_of,Usage %,NPS Score,Segment,arr,csm\n");
    let segments = ["Enterprise", "Mid Market", "SMB"];
    for i in 0..24 {
        let usage = format!("0.{:02}", 5 + i * 4 % 95);
        let nps = if i % 5 == 3 {
            String::new()
        } else {
            (i as i64 * 4 - 20).to_string()
        };
        csv.push_str(&format!(
            "a{i:02},2026-11-01,{usage},{nps},{},{},csm number {i}\n",
            segments[i % 3],
            10_000 + i * 2_500
        ));
    }
    let path = dir.join("export.csv");
    fs::write(&path, csv).unwrap();
    path
}

#[test]
fn a_csv_with_fractions_and_odd_column_names_gets_its_column_mapping() {
    let tmp = tempdir();
    let sample = fraction_csv(tmp.path());
    let out = init_ok(tmp.path(), &["proj", "--from", "export.csv"]);
    let dir = tmp.path().join("proj");
    let toml = read(dir.join("vital.toml"));
    // the sample, relative to the project
    assert!(toml.contains("inputs = [\"../export.csv\"]"), "{toml}");
    assert!(toml.contains("sample = \"../export.csv\""), "{toml}");
    assert!(toml.contains("\nvalue = \"arr\""), "{toml}");
    assert!(toml.contains("\n[rulesets.main.columns]\n"), "{toml}");
    assert!(
        toml.contains("\nusage_pct = { column = \"Usage %\", scale = 100 }\n"),
        "{toml}"
    );
    assert!(
        toml.contains("# usage_pct is given as fractions (0.45 means 45%)"),
        "{toml}"
    );
    assert!(toml.contains("\nnps_score = \"NPS Score\"\n"), "{toml}");
    // Segment is read by no rule: its mapping is there, commented out; one
    // value is not a Vital name, so all are mapped and the variants read alike
    assert!(
        toml.contains("\n# Segment = { values = { \"Enterprise\" = \"enterprise\", \"Mid Market\" = \"mid_market\", \"SMB\" = \"smb\" } }\n"),
        "{toml}"
    );
    let signals = read(dir.join("rules/signals.vital"));
    assert!(
        signals.contains("\nsignal usage_pct: percent\n"),
        "{signals}"
    );
    assert!(signals.contains("\nsignal nps_score: int?\n"), "{signals}");
    assert!(signals.contains("\nsignal arr: money\n"), "{signals}");
    assert!(
        signals.contains("\n# signal Segment: enum(enterprise, mid_market, smb)\n"),
        "{signals}"
    );
    // 24 distinct names: more than an enum holds
    assert!(signals.contains("\n# signal csm: text\n"), "{signals}");
    // the bounds are in percentage points, after scaling
    let scores = read(dir.join("rules/scores.vital"));
    assert!(scores.contains("linear(usage_pct, "), "{scores}");
    assert!(!scores.contains("linear(usage_pct, 0."), "{scores}");
    for note in [
        "the column \"Usage %\" is the signal usage_pct",
        "the column \"NPS Score\" is the signal nps_score",
        "usage_pct looks like fractions",
        "Segment values mapped: \"Enterprise\" → enterprise, \"Mid Market\" → mid_market, \"SMB\" → smb",
    ] {
        assert!(out.contains(note), "no note {note:?}:\n{out}");
    }
    assert_checks_and_tests(&dir);
    assert!(sample.is_file());
}

#[test]
fn json_lines_signals_events_and_optional_values_are_inferred() {
    let tmp = tempdir();
    let mut lines = String::new();
    let tiers = ["enterprise", "smb", "Mid Market"];
    for i in 0..25 {
        let renewal = if i % 4 == 0 {
            "null".to_string()
        } else {
            format!("\"2027-0{}-15\"", 1 + i % 9)
        };
        lines.push_str(&format!(
            r#"{{"account": "acct-{i}", "as_of": "2026-11-01", "signals": {{"tier": "{}", "is_reference": {}, "seats": {}, "renewal_date": {renewal}, "grace": "30 days", "score_hint": {}}}, "events": [{{"type": "ticket_opened", "at": "2026-10-{:02}", "severity": "{}", "note": "n{i}"}}, {{"type": "webinar_attended", "at": "2026-09-01"}}]}}"#,
            tiers[i % 3],
            i % 2 == 0,
            10 + i,
            if i % 2 == 0 { "1.5" } else { "2" },
            1 + i % 28,
            ["low", "high"][i % 2],
        ));
        lines.push('\n');
    }
    fs::write(tmp.path().join("s.jsonl"), &lines).unwrap();
    init_ok(tmp.path(), &["p", "--from", "s.jsonl"]);
    let dir = tmp.path().join("p");
    let signals = read(dir.join("rules/signals.vital"));
    let all = signals
        .replace("\n# signal", "\nsignal")
        .replace("\n# event", "\nevent");
    for decl in [
        "\nsignal tier: enum(enterprise, smb, mid_market)\n",
        "\nsignal is_reference: bool\n",
        "\nsignal seats: int\n",
        "\nsignal renewal_date: date?\n",
        "\nsignal grace: duration\n",
        "\nsignal score_hint: number\n",
        "\nevent ticket_opened { note: text, severity: enum(low, high) }\n",
        "\nevent webinar_attended\n",
    ] {
        assert!(all.contains(decl), "no {decl:?} in:\n{signals}");
    }
    assert_checks_and_tests(&dir);
    assert_runs(
        &dir,
        &["--rules", "rules", "../s.jsonl"],
        &tmp.path().join("s.jsonl"),
    );
}

#[test]
fn an_unreadable_sample_is_an_error_naming_the_file_and_line() {
    let cases: [(&str, &str, &str); 9] = [
        (
            "bad.jsonl",
            "{\"account\": \"a\", \"as_of\": \"2026-11-01\"}\n\n{\"account\": \"b\", \"as_of\"\n",
            "bad.jsonl:3: not a JSON object",
        ),
        (
            "bad.jsonl",
            "{\"account\": \"a\", \"as_of\": \"2026-13-01\"}\n",
            "bad.jsonl:1: account a: `as_of` is not a date",
        ),
        (
            "bad.csv",
            "account,date,nps\na,2026-11-01,3\n",
            "bad.csv:1: the CSV header has no column `as_of` (is it `date`? the column must be named `as_of`); found `account,date,nps`; rename it in the export (`vital init` reads `account` and `as_of` by these names)",
        ),
        (
            "bad.csv",
            "Account ID,as_of,nps\na,2026-11-01,3\n",
            "bad.csv:1: the CSV header has no column `account` (is it `Account ID`? the column must be named `account`); found `Account ID,as_of,nps`; rename it in the export (`vital init` reads `account` and `as_of` by these names)",
        ),
        (
            "bad.csv",
            "account;as_of;nps\na;2026-11-01;3\n",
            "bad.csv:1: the CSV header is one column, `account;as_of;nps`: its cells are separated by `;`, not `,` (set `delimiter` in the rule set's `read` table of vital.toml); `vital init` reads commas: save the export with commas, or write vital.toml by hand (docs/project.md)",
        ),
        (
            "bad.csv",
            "account,as_of,nps\na,2026-11-01,3\nb,2026-11-01\n",
            "bad.csv:3: expected 3 cells as in the header, found 2",
        ),
        (
            "bad.txt",
            "account,as_of\n",
            "cannot tell the format of `bad.txt`",
        ),
        // a quote never closed would make the rest of the file one cell
        (
            "bad.csv",
            "account,as_of,owner\na,2026-11-01,\"dana\nb,2026-11-01,eve\n",
            "bad.csv:2: a quote opened in this row is never closed",
        ),
        // … or closed only in the middle of a later row's cell
        (
            "bad.csv",
            "account,as_of,owner\na,2026-11-01,\"dana\nb,2026-11-01,eve\nc,2026-11-01,\"kim\n",
            "bad.csv:2: a quote opened in this row is never closed where its cell ends",
        ),
    ];
    for (name, text, message) in cases {
        let tmp = tempdir();
        fs::write(tmp.path().join(name), text).unwrap();
        let o = vital_in(tmp.path(), &["init", "p", "--from", name]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stdout(&o));
        assert!(
            stderr(&o).contains(message),
            "{name}: expected {message:?} in:\n{}",
            stderr(&o)
        );
        assert!(
            !tmp.path().join("p").exists(),
            "{name}: something was written"
        );
    }
    // a file that is not there
    let tmp = tempdir();
    let o = vital_in(tmp.path(), &["init", "--from", "missing.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read `missing.jsonl`"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.path().join("vital.toml").exists());
}

#[test]
fn samples_with_little_to_score_still_check_test_and_run() {
    // no signals at all: two constant scores; the test's account is in the middle
    let tmp = tempdir();
    fs::write(
        tmp.path().join("ids.csv"),
        "account,as_of\na,2026-11-01\nb,2026-11-01\n",
    )
    .unwrap();
    init_ok(tmp.path(), &["p", "--from", "ids.csv"]);
    let dir = tmp.path().join("p");
    let tests = read(dir.join("rules/tests.vital"));
    assert!(
        tests.contains("expect status == needs_attention"),
        "{tests}"
    );
    assert!(
        tests.contains("expect not triggered \"save playbook\""),
        "{tests}"
    );
    assert_checks_and_tests(&dir);
    assert_runs(
        &dir,
        &["--rules", "rules", "../ids.csv"],
        &tmp.path().join("ids.csv"),
    );

    // reserved words as column names, a bad flag, a BOM, a column always empty
    let tmp = tempdir();
    fs::write(
        tmp.path().join("odd.csv"),
        "\u{feff}account,as_of,status,in,is_churned,empty\n\
         a,2026-11-01,x,1,true,\nb,2026-11-01,y,2,false,\n",
    )
    .unwrap();
    let out = init_ok(tmp.path(), &["p", "--from", "odd.csv"]);
    assert!(
        out.contains("the column \"in\" is the signal in_value"),
        "{out}"
    );
    let dir = tmp.path().join("p");
    let scores = read(dir.join("rules/scores.vital"));
    // `in_value` is a count, not money: the `_value` is Vital's, not the column's
    assert!(scores.contains("linear(in_value, "), "{scores}");
    assert!(
        scores.contains("when is_churned subtract 100 from is_churned_score"),
        "{scores}"
    );
    let toml = read(dir.join("vital.toml"));
    assert!(toml.contains("\nin_value = \"in\"\n"), "{toml}");
    assert!(!toml.contains("\nvalue = "), "{toml}");
    assert_checks_and_tests(&dir);

    // a JSON array: keys holding objects or mixed types, an event type that
    // is not a Vital name, are left out with a note
    let tmp = tempdir();
    fs::write(
        tmp.path().join("a.json"),
        r#"[{"account": "a", "as_of": "2026-11-01", "signals": {"seats": 3, "x": {"a": 1}, "mixed": "t"},
             "events": [{"type": "Bad Name", "at": "2026-10-01"}, {"type": "login", "at": "2026-10-02"}]},
            {"account": "b", "as_of": "2026-11-01", "signals": {"seats": 5, "mixed": 3}}]"#,
    )
    .unwrap();
    let out = init_ok(tmp.path(), &["p", "--from", "a.json"]);
    for note in [
        "left out signal \"mixed\": it mixes strings with numbers or booleans",
        "left out signal \"x\": it holds JSON objects or arrays",
        "left out event type \"Bad Name\"",
    ] {
        assert!(out.contains(note), "no note {note:?}:\n{out}");
    }
    let dir = tmp.path().join("p");
    assert_checks_and_tests(&dir);
    let o = vital_in(&dir, &["run", "--rules", "rules", "../a.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(jsonl(&o).len(), 2);
}

/// A sample that is not there is named, in the words `vital run` uses, and
/// nothing is written.
#[test]
fn a_missing_sample_is_named() {
    let dir = tempdir();
    let o = vital_in(dir.path(), &["init", "--from", "nothere.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: cannot read `nothere.csv`: no such file or directory\n"
    );
    assert!(!dir.path().join("vital.toml").exists());
}

/// `account` and `as_of` may be anywhere in a CSV header, for `vital init
/// --from` as for `vital run` (docs/language.md §7): the project it writes
/// checks and scores every account of the sample.
#[test]
fn a_csv_with_account_and_as_of_not_first_is_read_by_name() {
    let tmp = tempdir();
    let mut csv = String::from("arr,account,Usage %,as_of,csm\n");
    for i in 0..12 {
        csv.push_str(&format!(
            "{},a{i:02},0.{:02},2026-11-01,csm {i}\n",
            10_000 + i * 1_000,
            10 + i * 5
        ));
    }
    fs::write(tmp.path().join("moved.csv"), csv).unwrap();
    init_ok(tmp.path(), &["proj", "--from", "moved.csv"]);
    let dir = tmp.path().join("proj");
    let signals = read(dir.join("rules/signals.vital"));
    assert!(signals.contains("\nsignal arr: money\n"), "{signals}");
    assert!(!signals.contains("signal account"), "{signals}");
    assert_checks_and_tests(&dir);
    let o = vital_in(&dir, &["run", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: BTreeSet<String> = jsonl(&o)
        .iter()
        .map(|r| r["account"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = (0..12).map(|i| format!("a{i:02}")).collect();
    assert_eq!(got, want);
}

/// Dates written as a US export writes them (`01/15/2027`) are a `date`
/// read with `format = "%m/%d/%Y"` in vital.toml (an enum of 12 spellings
/// before), and a note says so; the European form likewise.
#[test]
fn dates_in_another_format_are_dates_with_their_format() {
    for (cell, format) in [
        ("{m:02}/15/2027", "%m/%d/%Y"),
        ("15/{m:02}/2027", "%d/%m/%Y"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("account,as_of,mrr,renewal\n");
        for i in 0..25 {
            let m = i % 12 + 1;
            let date = cell.replace("{m:02}", &format!("{m:02}"));
            csv.push_str(&format!("a{i},2026-11-01,100.5,{date}\n"));
        }
        std::fs::write(dir.path().join("us.csv"), csv).unwrap();
        let o = vital_in(dir.path(), &["init", "--from", "us.csv"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!(
                "renewal holds dates written {format:?}: read with that format"
            )),
            "{}",
            stdout(&o)
        );
        let toml = std::fs::read_to_string(dir.path().join("vital.toml")).unwrap();
        assert!(
            toml.contains(&format!("renewal = {{ format = {format:?} }}")),
            "{toml}"
        );
        let signals = std::fs::read_to_string(dir.path().join("rules/signals.vital")).unwrap();
        assert!(signals.contains("signal renewal: date"), "{signals}");
        // declared, it reads every row
        let signals = signals.replace("# signal renewal: date", "signal renewal: date");
        std::fs::write(dir.path().join("rules/signals.vital"), signals).unwrap();
        let toml = toml.replace("# renewal = { format", "renewal = { format");
        std::fs::write(dir.path().join("vital.toml"), toml).unwrap();
        let o = vital_in(dir.path(), &["run"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 25);
    }
}

/// Numbers as a spreadsheet formats them (`16%`, `$131,000`) cannot be
/// read as numbers: the column stays text, and a note says what to change
/// in the export.
#[test]
fn formatted_numbers_get_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("account,as_of,Adoption %,ARR,seats\n");
    for i in 0..25 {
        csv.push_str(&format!("a{i},2026-11-01,{}%,\"${i}1,000\",{i}\n", i + 10));
    }
    std::fs::write(dir.path().join("e.csv"), csv).unwrap();
    let o = vital_in(dir.path(), &["init", "--from", "e.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("adoption_pct: its values are numbers written with `%` (16%): read as text; export them as plain numbers (16) to make it a percent"),
        "{out}"
    );
    assert!(
        out.contains(": its values are numbers written with a currency sign or thousands separators ($131,000)"),
        "{out}"
    );
}

/// Texts an export writes for "no value" (`N/A`, `NULL`) among numbers or
/// dates do not make the column text: they are read as missing, the
/// signal is optional, and vital.toml lists them as `nulls`, which `vital
/// run` then reads in every column (so `N/A` among a column's names is
/// missing there too, and that signal is optional as well).
#[test]
fn null_markers_among_numbers_and_dates_are_proposed_as_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("account,as_of,nps,renewal,region\n");
    for i in 0..30 {
        let nps = if i % 5 == 2 {
            "N/A".to_string()
        } else {
            (i * 3).to_string()
        };
        let renewal = if i % 7 == 3 {
            "NULL".to_string()
        } else {
            format!("2027-{:02}-15", i % 12 + 1)
        };
        let region = match i % 6 {
            5 => "N/A",
            k if k % 2 == 0 => "EU",
            _ => "US",
        };
        csv.push_str(&format!("a{i:02},2026-11-01,{nps},{renewal},{region}\n"));
    }
    std::fs::write(dir.path().join("export.csv"), csv).unwrap();
    let out = init_ok(dir.path(), &["--from", "export.csv"]);
    for note in [
        "nps writes \"N/A\" for a missing value: read as missing (`nulls` in vital.toml)",
        "renewal writes \"NULL\" for a missing value: read as missing (`nulls` in vital.toml)",
        "region writes \"N/A\" for a missing value",
    ] {
        assert!(out.contains(note), "no note {note:?}:\n{out}");
    }
    let toml = read(dir.path().join("vital.toml"));
    assert!(
        toml.contains("\n[rulesets.main.read]\nnulls = [\"N/A\", \"NULL\"]\n"),
        "{toml}"
    );
    let signals = read(dir.path().join("rules/signals.vital"));
    for decl in [
        "signal nps: int?",
        "signal renewal: date?",
        "signal region: enum(EU, US)?",
    ] {
        assert!(signals.contains(decl), "no {decl:?}:\n{signals}");
    }
    assert_checks_and_tests(dir.path());
    // every signal declared, every record is read: none rejected
    let signals = signals.replace("# signal ", "signal ");
    std::fs::write(dir.path().join("rules/signals.vital"), signals).unwrap();
    let o = vital_in(dir.path(), &["run", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 30, "{}", stderr(&o));
}

/// `N/A` among names only (no column it keeps from being a number or a
/// date) is a name: nothing is proposed.
#[test]
fn a_marker_among_names_alone_stays_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("account,as_of,region,seats\n");
    for i in 0..30 {
        let region = ["EU", "US", "N/A"][i % 3];
        csv.push_str(&format!("a{i:02},2026-11-01,{region},{}\n", i + 1));
    }
    std::fs::write(dir.path().join("export.csv"), csv).unwrap();
    let out = init_ok(dir.path(), &["--from", "export.csv"]);
    assert!(!out.contains("for a missing value"), "{out}");
    let toml = read(dir.path().join("vital.toml"));
    assert!(!toml.contains("nulls"), "{toml}");
    let signals = read(dir.path().join("rules/signals.vital"));
    // `N/A` is a value: a variant (mapped to a name, so all are)
    assert!(
        signals.contains("signal region: enum(eu, us, n_a)\n"),
        "{signals}"
    );
}

/// Markers in event fields are not proposed: `vital run` reads `nulls` in
/// signals only, so an event field mixing numbers and `"N/A"` is left out
/// as before, and the signals keep their `N/A` values.
#[test]
fn a_marker_in_an_event_field_is_not_proposed() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..30 {
        let hours = if i % 4 == 1 {
            "\"N/A\"".to_string()
        } else {
            i.to_string()
        };
        let region = ["EU", "US", "N/A"][i % 3];
        lines.push_str(&format!(
            "{{\"account\":\"a{i:02}\",\"as_of\":\"2026-11-01\",\"signals\":{{\"seats\":{},\"region\":\"{region}\"}},\"events\":[{{\"type\":\"ticket\",\"at\":\"2026-10-0{}\",\"hours\":{hours}}}]}}\n",
            i + 1,
            i % 9 + 1
        ));
    }
    std::fs::write(dir.path().join("export.jsonl"), lines).unwrap();
    let out = init_ok(dir.path(), &["--from", "export.jsonl"]);
    assert!(!out.contains("for a missing value"), "{out}");
    assert!(
        out.contains(
            "left out field \"hours\" of event ticket: it mixes strings with numbers or booleans"
        ),
        "{out}"
    );
    let toml = read(dir.path().join("vital.toml"));
    assert!(!toml.contains("nulls"), "{toml}");
    assert_checks_and_tests(dir.path());
}

/// A text column with more names than an enum holds stays text when a
/// marker among them is read as missing (the marker does not count toward
/// the enum's limit).
#[test]
fn many_names_with_a_marker_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("account,as_of,nps,csm\n");
    for i in 0..40 {
        let nps = if i % 5 == 2 {
            "N/A".to_string()
        } else {
            i.to_string()
        };
        // the marker among the first names, then 20 names in all
        let csm = if i % 10 == 1 {
            "N/A".to_string()
        } else {
            format!("person{}", i % 20)
        };
        csv.push_str(&format!("a{i:02},2026-11-01,{nps},{csm}\n"));
    }
    std::fs::write(dir.path().join("export.csv"), csv).unwrap();
    let out = init_ok(dir.path(), &["--from", "export.csv"]);
    assert!(
        out.contains("nps writes \"N/A\" for a missing value"),
        "{out}"
    );
    let signals = read(dir.path().join("rules/signals.vital"));
    assert!(signals.contains("signal csm: text?"), "{signals}");
    assert!(!signals.contains("signal csm: enum("), "{signals}");
}
