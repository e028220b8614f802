//! Golden outputs of `vital run`, compared byte for byte: every format over
//! the shapes a result can take (n/a scores, null health, active, boundary
//! and expired overrides, several playbooks, a playbook name with a comma,
//! a non-ASCII account aligned by display width). `UPDATE_GOLDEN=1` rewrites the files; read the
//! diff before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden"))
}

fn golden(expected: &str, args: &[&str], want_code: i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(args)
        .current_dir(dir())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(want_code),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let path = dir().join("expected").join(expected);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &o.stdout).unwrap();
    }
    let want = std::fs::read(&path).unwrap_or_default();
    assert!(
        o.stdout == want,
        "{args:?} differs from {}:\n--- got\n{}\n--- want\n{}",
        path.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn run_jsonl() {
    golden(
        "run.jsonl",
        &[
            "run",
            "--rules",
            "rules.vital",
            "--all",
            "--format",
            "jsonl",
            "snapshots.jsonl",
        ],
        0,
    );
}

#[test]
fn run_csv() {
    golden(
        "run.csv",
        &[
            "run",
            "--rules",
            "rules.vital",
            "--all",
            "--format",
            "csv",
            "snapshots.jsonl",
        ],
        0,
    );
}

#[test]
fn run_table() {
    golden(
        "run.table",
        &[
            "run",
            "--rules",
            "rules.vital",
            "--all",
            "--format",
            "table",
            "snapshots.jsonl",
        ],
        0,
    );
}

#[test]
fn run_latest_table() {
    golden(
        "run-latest.table",
        &[
            "run",
            "--rules",
            "rules.vital",
            "--format",
            "table",
            "snapshots.jsonl",
        ],
        0,
    );
}

#[test]
fn run_explain_jsonl() {
    golden(
        "run-explain.jsonl",
        &[
            "run",
            "--rules",
            "rules.vital",
            "--explain",
            "snapshots.jsonl",
        ],
        0,
    );
}
