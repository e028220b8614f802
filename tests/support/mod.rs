//! What the CLI tests share: running the real `vital` binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `vital ARGS` in `dir`, without colour.
pub fn vital_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the vital binary runs")
}

/// `vital run --history DB FILE` in `dir`; it must succeed.
pub fn record(dir: &Path, db: &str, file: &Path) -> Output {
    let o = vital_in(
        dir,
        &[
            "run",
            "--history",
            db,
            "--format",
            "jsonl",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

/// Run `vital ARGS` at the repository's root.
pub fn vital(args: &[&str]) -> Output {
    vital_in(&root(), args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as JSON Lines.
pub fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
