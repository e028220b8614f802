//! The evaluator's corpus, one test per file, through the real binary:
//!
//! * `tests/eval/semantics/*.vital` and the `test` blocks of
//!   `tests/fixtures/valid/*.vital`: rule sets whose `test` blocks pin
//!   hand-computed values for every rule of docs/language.md §6; `vital test`
//!   must pass them all.
//! * `tests/eval/decimals/*.vital`: the same, for the edges of decimal
//!   arithmetic (28 significant digits) where an exact fraction would round
//!   differently; kept apart from the semantics corpus because the SQL of
//!   `vital compile` carries 10 decimals and differs there by design
//!   (docs/sql.md, "Limits of DECIMAL(38,10)").
//! * `tests/eval/records/*.expected`: snapshot files with bad records
//!   (§7); the `.expected` file lists the records that must be rejected
//!   (`LINE ACCOUNT KEYWORD`), then `---` and the accounts that must still
//!   be scored, then optionally `--- warnings` and `NAME COUNT` lines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use datatest_stable::Utf8Path;
use std::collections::BTreeSet;
use std::process::Command;

fn vital(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the vital binary runs")
}

fn rule_tests(path: &Utf8Path, source: String) -> datatest_stable::Result<()> {
    // a test block anywhere on a line (a file may put several on one line)
    let blocks = vital_syntax::lexer::tokenize(&source)
        .windows(2)
        .filter(|w| {
            w[0].kind == vital_syntax::lexer::TokenKind::Test
                && w[1].kind == vital_syntax::lexer::TokenKind::String
        })
        .count();
    if blocks == 0 {
        return Err(format!(
            "{path} has no `test` block: every rule set of the corpus pins its values with one"
        )
        .into());
    }
    let o = vital(&["test", path.as_str()]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    let want = format!("{blocks} passed, 0 failed");
    if o.status.code() != Some(0) || out.lines().last() != Some(want.as_str()) {
        return Err(format!("expected `{want}`, exit 0\n{out}\n{err}").into());
    }
    Ok(())
}

fn records(path: &Utf8Path, expected: String) -> datatest_stable::Result<()> {
    let dir = path.parent().unwrap();
    let stem = path.file_stem().unwrap();
    let input = ["jsonl", "json", "csv"]
        .iter()
        .map(|e| dir.join(format!("{stem}.{e}")))
        .find(|p| p.exists())
        .ok_or("no input next to the .expected file")?;
    let expected = format!("\n{expected}");
    let mut sections = expected.split("\n---");
    let rejected: Vec<(usize, String, String)> = sections
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut w = l.split_whitespace();
            (
                w.next().unwrap().parse().unwrap(),
                w.next().unwrap().to_string(),
                w.collect::<Vec<_>>().join(" ").to_lowercase(),
            )
        })
        .collect();
    let scored: BTreeSet<String> = sections
        .next()
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let warnings: Vec<(String, usize)> = sections
        .next()
        .map(|s| {
            s.trim_start_matches(" warnings")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let mut w = l.split_whitespace();
                    (
                        w.next().unwrap().to_string(),
                        w.next().unwrap().parse().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();

    let rules = dir.join("rules");
    let o = vital(&[
        "run",
        "--format",
        "jsonl",
        "--rules",
        rules.as_str(),
        input.as_str(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    let mut problems = Vec::new();
    let want_code = if rejected.is_empty() { 0 } else { 1 };
    if o.status.code() != Some(want_code) {
        problems.push(format!(
            "exit status {:?}, expected {want_code}",
            o.status.code()
        ));
    }
    // every rejection, exactly
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with(input.as_str()))
        .collect();
    for (line, account, keyword) in &rejected {
        let prefix = if account == "-" {
            format!("{input}:{line}: account ")
        } else {
            format!("{input}:{line}: account {account}: ")
        };
        match lines.iter().find(|l| l.starts_with(&prefix)) {
            None => problems.push(format!("no rejection `{prefix}…`")),
            Some(l) if !l.to_lowercase().contains(keyword.as_str()) => {
                problems.push(format!("rejection does not mention `{keyword}`: {l}"))
            }
            Some(_) => {}
        }
    }
    if lines.len() != rejected.len() {
        problems.push(format!(
            "{} rejections reported, {} expected",
            lines.len(),
            rejected.len()
        ));
    }
    // every other account is scored
    let got: BTreeSet<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["account"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    if got != scored {
        problems.push(format!("scored accounts {got:?}, expected {scored:?}"));
    }
    // a CSV carries no events: with accepted records, said once (the
    // rules of tests/eval/records read events)
    let (no_events, warning_lines): (Vec<&str>, Vec<&str>) = err
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .partition(|l| l.contains("the rule set reads events"));
    let want_no_events = usize::from(input.as_str().ends_with(".csv") && !scored.is_empty());
    if no_events.len() != want_no_events {
        problems.push(format!(
            "{} warnings that the input carries no events, {want_no_events} expected",
            no_events.len()
        ));
    }
    // unknown names are warned about once each, with a count
    for (name, count) in &warnings {
        let plural = if *count == 1 { "record" } else { "records" };
        // the name, possibly qualified by its event (`ticket_opened.note`)
        let needle = format!("{name}\" ignored in {count} {plural}");
        if !warning_lines.iter().any(|l| l.contains(&needle)) {
            problems.push(format!("no warning `{needle}`"));
        }
    }
    if warning_lines.len() != warnings.len() {
        problems.push(format!(
            "{} warnings, {} expected: {warning_lines:?}",
            warning_lines.len(),
            warnings.len()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n--- stderr\n{err}", problems.join("\n")).into())
    }
}

/// The directories of the corpus and what each must hold: a directory that
/// matches nothing would pass with "0 passed".
const CORPUS: &[(&str, &str)] = &[
    ("tests/eval/semantics", ".vital"),
    ("tests/eval/decimals", ".vital"),
    ("tests/fixtures/valid", ".vital"),
    ("tests/eval/records", ".expected"),
];

/// Runs once (for `tests/eval/README.md`): every corpus directory holds
/// files of its kind.
fn corpus_is_not_empty(_: &Utf8Path, _: String) -> datatest_stable::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut empty = Vec::new();
    for (dir, ext) in CORPUS {
        let n = std::fs::read_dir(root.join(dir))
            .map_err(|e| format!("{dir}: {e}"))?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(ext))
            .count();
        if n == 0 {
            empty.push(format!("{dir} has no *{ext} file"));
        }
    }
    if empty.is_empty() {
        Ok(())
    } else {
        Err(empty.join("\n").into())
    }
}

datatest_stable::harness! {
    { test = corpus_is_not_empty, root = "../../tests/eval", pattern = r"^README\.md$" },
    { test = rule_tests, root = "../../tests/eval/semantics", pattern = r"\.vital$" },
    { test = rule_tests, root = "../../tests/eval/decimals", pattern = r"\.vital$" },
    { test = rule_tests, root = "../../tests/fixtures/valid", pattern = r"\.vital$" },
    { test = records, root = "../../tests/eval/records", pattern = r"\.expected$" },
}
