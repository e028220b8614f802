//! A small project whose nightly runs start a few playbooks, for the tests
//! of `vital playbooks` and `vital notify` (tests/cli_playbooks.rs,
//! tests/cli_notify.rs), on SQLite or on PostgreSQL
//! (`VITAL_TEST_PG_URL`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;

pub const RULES: &str = r#"signal usage: number

score adoption weight 1 = usage

status {
  healthy when health >= 50
  danger otherwise
}

## Low usage needs a look.
rule "low usage" when usage < 30 trigger "risk review"

## Almost no usage: the executive sponsor gets a call.
rule "very low usage" when usage < 10 trigger "exec call"
"#;

/// Night one: `a` starts "risk review", `b` starts "exec call" and "risk
/// review", `c` starts nothing. `old` was last seen weeks before.
pub const NIGHT_1: &str = r#"{"account": "a", "as_of": "2026-11-01", "signals": {"usage": 20}}
{"account": "b", "as_of": "2026-11-01", "signals": {"usage": 5}}
{"account": "c", "as_of": "2026-11-01", "signals": {"usage": 80}}
"#;

/// Night one corrected (`night-1-fixed.jsonl`): `b`'s usage was 50, so
/// `b` starts nothing that night.
pub const NIGHT_1_FIXED: &str = r#"{"account": "a", "as_of": "2026-11-01", "signals": {"usage": 20}}
{"account": "b", "as_of": "2026-11-01", "signals": {"usage": 50}}
{"account": "c", "as_of": "2026-11-01", "signals": {"usage": 80}}
"#;

/// Night two: `a` and `b` go on as before (nothing new starts), `c`
/// starts "risk review".
pub const NIGHT_2: &str = r#"{"account": "a", "as_of": "2026-11-02", "signals": {"usage": 21}}
{"account": "b", "as_of": "2026-11-02", "signals": {"usage": 6}}
{"account": "c", "as_of": "2026-11-02", "signals": {"usage": 25}}
"#;

/// An account last seen on 2026-10-20 (12 days before night one).
pub const EARLIER: &str = r#"{"account": "old", "as_of": "2026-10-20", "signals": {"usage": 60}}
"#;

/// Where the store lives.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A project directory: `rules/health.vital`, the nights' files, and a
/// `vital.toml` naming the store (plus `extra` lines).
pub struct Project {
    pub dir: tempfile::TempDir,
    /// `[history] store`: a path relative to the directory, or a URL.
    pub store: String,
}

impl Project {
    /// `None` on PostgreSQL without `VITAL_TEST_PG_URL`.
    pub fn new(backend: Backend, test: &str, extra: &str) -> Option<Project> {
        let store = match backend {
            Backend::Sqlite => ".vital/history.db".to_string(),
            Backend::Postgres => super::pg::fresh_database(test)?,
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("rules/health.vital"), RULES).unwrap();
        std::fs::write(dir.path().join("night-1.jsonl"), NIGHT_1).unwrap();
        std::fs::write(dir.path().join("night-1-fixed.jsonl"), NIGHT_1_FIXED).unwrap();
        std::fs::write(dir.path().join("night-2.jsonl"), NIGHT_2).unwrap();
        std::fs::write(dir.path().join("earlier.jsonl"), EARLIER).unwrap();
        let p = Project { dir, store };
        p.write_toml(extra);
        Some(p)
    }

    pub fn write_toml(&self, extra: &str) {
        std::fs::write(
            self.dir.path().join("vital.toml"),
            format!(
                "[rulesets.main]\npath = \"rules\"\n\n[history]\nstore = \"{}\"\n{extra}",
                self.store
            ),
        )
        .unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn vital(&self, args: &[&str]) -> Output {
        super::support::vital_in(self.dir.path(), args)
    }

    pub fn vital_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vital"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// `vital run FILE` recording to the store; it must succeed.
    pub fn run(&self, file: &str) -> Output {
        let o = self.vital(&["run", "--format", "jsonl", file]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "vital run {file}: {}",
            super::support::stderr(&o)
        );
        o
    }

    /// The store, opened directly.
    pub fn open(&self) -> vital_store::Store {
        vital_store::Store::open(
            &self.store,
            self.dir.path(),
            std::time::Duration::from_secs(30),
        )
        .unwrap()
    }
}

/// `vital playbooks --format jsonl` as values.
pub fn starts(p: &Project) -> Vec<serde_json::Value> {
    let o = p.vital(&["playbooks", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", super::support::stderr(&o));
    super::support::jsonl(&o)
}

/// Each start as `AS_OF ACCOUNT PLAYBOOK`, in `vital playbooks` order.
pub fn start_keys(starts: &[serde_json::Value]) -> Vec<String> {
    starts
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["as_of"].as_str().unwrap(),
                s["account"].as_str().unwrap(),
                s["playbook"].as_str().unwrap()
            )
        })
        .collect()
}

/// Run one test body on SQLite and on PostgreSQL (`#[macro_use]` on the
/// module).
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::queue::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::queue::Backend::Postgres) } )*
        }
    };
}
