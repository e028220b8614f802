//! `vital check --sample FILE`: a rule set that checks clean is evaluated on
//! the sample, and rules that fire for no account (`vital::never-fires`) and
//! band arms no account takes (`vital::arm-never-taken`) are warnings, in
//! every output format — the same warnings the language server shows
//! (tests/lsp_sample.rs). The fixture: tests/sample.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{root, stderr, stdout, vital_in as vital};

fn fixture() -> std::path::PathBuf {
    root().join("tests/sample")
}

/// The fixture copied into a temporary directory (to be edited).
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for f in [
        "vital.toml",
        "sample.jsonl",
        "rules/schema.vital",
        "rules/rules.vital",
    ] {
        std::fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
    }
    dir
}

#[test]
fn json_has_both_warnings_at_their_places() {
    let o = vital(
        &fixture(),
        &["check", "--format", "json", "--sample", "sample.jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&o));
    let w = &lines[0];
    assert_eq!(w["code"], "vital::never-fires");
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["file"], "rules/rules.vital");
    assert_eq!(
        (w["line"].as_u64(), w["column"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        w["message"],
        "rule \"huge account\" applies to no account of the sample (40 accounts)"
    );
    let b = &lines[1];
    assert_eq!(b["code"], "vital::arm-never-taken");
    assert_eq!(b["file"], "rules/schema.vital");
    // `> 200% => 100`: from the bound to the result
    assert_eq!(
        (b["line"].as_u64(), b["column"].as_u64()),
        (Some(9), Some(5))
    );
    assert_eq!(
        b["message"],
        "no account of the sample (40 accounts) takes this band arm"
    );
}

#[test]
fn human_github_and_sarif_carry_the_codes() {
    let o = vital(&fixture(), &["check", "--sample", "sample.jsonl"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("vital::never-fires"), "{out}");
    assert!(out.contains("vital::arm-never-taken"), "{out}");
    assert!(out.contains("0 errors and 2 warnings"), "{out}");

    let o = vital(
        &fixture(),
        &["check", "--format", "github", "--sample", "sample.jsonl"],
    );
    let out = stdout(&o);
    assert!(
        out.contains("::warning file=rules/rules.vital,line=5,col=1,")
            && out.contains("title=vital%3A%3Anever-fires::"),
        "{out}"
    );
    assert!(out.contains("title=vital%3A%3Aarm-never-taken::"), "{out}");

    let o = vital(
        &fixture(),
        &["check", "--format", "sarif", "--sample", "sample.jsonl"],
    );
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["vital::never-fires", "vital::arm-never-taken"]);

    // warnings deny in CI
    let o = vital(
        &fixture(),
        &["check", "--deny-warnings", "--sample", "sample.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn without_sample_there_are_no_such_warnings() {
    let o = vital(&fixture(), &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_rule_that_fires_again_has_no_warning() {
    let dir = copy();
    let rules = dir.path().join("rules/rules.vital");
    let text = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("seats > 100000", "seats > 5");
    std::fs::write(&rules, text).unwrap();
    let o = vital(
        dir.path(),
        &["check", "--format", "json", "--sample", "sample.jsonl"],
    );
    let out = stdout(&o);
    assert!(!out.contains("never-fires"), "{out}");
    assert!(out.contains("arm-never-taken"), "{out}");
}

#[test]
fn a_rule_set_with_errors_is_not_evaluated() {
    let dir = copy();
    let rules = dir.path().join("rules/rules.vital");
    let text = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("seats < 3", "seatz < 3");
    std::fs::write(&rules, text).unwrap();
    let o = vital(
        dir.path(),
        &["check", "--format", "json", "--sample", "sample.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("vital::unknown-name"), "{out}");
    assert!(!out.contains("never-fires"), "{out}");
}

#[test]
fn a_missing_sample_is_an_error() {
    let o = vital(&fixture(), &["check", "--sample", "nope.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope.jsonl"), "{}", stderr(&o));
}
