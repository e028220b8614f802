//! `vital compile`: the SQL it writes for an example (DuckDB and
//! PostgreSQL, reviewed snapshots) and its errors. That the SQL computes
//! what `vital run` does is tests/sql/differential.py's job (it runs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{root, stderr, stdout, vital_in};

const STATUS: &str = "status {\n  ok when health >= 50\n  bad otherwise\n}\n";

fn example() -> std::path::PathBuf {
    root().join("examples/support-health")
}

fn rules_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.vital"), text).unwrap();
    dir
}

#[test]
fn the_support_health_example_in_duckdb() {
    // the rules are found as `vital run` finds them: the project's rule set
    let o = vital_in(&example(), &["compile", "--target", "duckdb"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("compile_support_health_duckdb", stdout(&o));
}

#[test]
fn the_support_health_example_in_postgres() {
    let o = vital_in(&example(), &["compile", "--target", "postgres", "rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("compile_support_health_postgres", stdout(&o));
}

#[test]
fn the_support_health_example_in_snowflake_bigquery_and_spark() {
    // Snowflake and BigQuery: tested for syntax only (sqlglot, in
    // tests/sql/differential.py --syntax); Spark: run there with --spark
    for target in ["snowflake", "bigquery", "spark"] {
        let o = vital_in(&example(), &["compile", "--target", target]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        insta::assert_snapshot!(format!("compile_support_health_{target}"), stdout(&o));
    }
}

#[test]
fn bigquery_refuses_previous_over_months_naming_it() {
    let dir = rules_dir(&format!(
        "signal n: number
score a weight 1 = 50
         rule \"down\" when change(n, 3 months) < 0 subtract 5 from a
{STATUS}"
    ));
    let o = vital_in(
        dir.path(),
        &["compile", "--target", "bigquery", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(stdout(&o), "", "no SQL is written");
    let err = stderr(&o);
    assert!(err.contains("vital::sql-unsupported"), "{err}");
    assert!(
        err.contains("over 3 months") && err.contains("cannot be compiled for bigquery"),
        "{err}"
    );
    // the others express it
    for target in ["duckdb", "postgres", "snowflake", "spark"] {
        let o = vital_in(dir.path(), &["compile", "--target", target, "rules.vital"]);
        assert_eq!(o.status.code(), Some(0), "{target}: {}", stderr(&o));
    }
}

#[test]
fn a_view_and_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("health.sql");
    let o = vital_in(
        &example(),
        &[
            "compile",
            "--target",
            "duckdb",
            "--ruleset",
            "support-health",
            "--view",
            "account health",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let sql = std::fs::read_to_string(&out).unwrap();
    let plain = stdout(&vital_in(&example(), &["compile", "--target", "duckdb"]));
    // the same query, after `CREATE VIEW "account health" AS`, ended by `;`
    let (head, rest) = sql
        .split_once("CREATE VIEW \"account health\" AS\n")
        .unwrap();
    assert!(plain.starts_with(head), "{head}");
    assert_eq!(format!("{head}{rest}"), format!("{plain};\n"));
}

#[test]
fn the_layout_lists_the_input_tables_columns() {
    let dir = rules_dir(&format!(
        "signal arr: money\nsignal seats: int?\nsignal tier: enum(smb, ent)\nsignal since: date\nsignal ok: bool\nsignal csm: text?\n\
         event call {{ kind: enum(intro, qbr), minutes: int? }}\nevent ticket {{ kind: text, minutes: number }}\n\
         score s weight 1 = linear(arr, 0, 100k) + count(call where kind == qbr) + count(ticket where minutes > 2)\n\
         when seats > 1 and tier == ent and since < 2026-01-01 and ok and csm is missing add 1 to s\n{STATUS}"
    ));
    let o = vital_in(
        dir.path(),
        &["compile", "--target", "postgres", "--layout", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // `kind` is text in both events: one column; `minutes` is an int in one
    // and a number in the other: a column per event
    assert_eq!(
        stdout(&o),
        "snapshots,account,TEXT\nsnapshots,as_of,DATE\nsnapshots,arr,NUMERIC(38,10)\nsnapshots,seats,BIGINT\n\
         snapshots,tier,TEXT\nsnapshots,since,DATE\nsnapshots,ok,BOOLEAN\nsnapshots,csm,TEXT\n\
         snapshots,override_status,TEXT\nsnapshots,override_until,DATE\nsnapshots,override_reason,TEXT\n\
         events,account,TEXT\nevents,as_of,DATE\nevents,type,TEXT\nevents,at,DATE\nevents,kind,TEXT\n\
         events,call.minutes,BIGINT\nevents,ticket.minutes,NUMERIC(38,10)\n"
    );
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let o = vital_in(&example(), &["compile", "--target", "oracle"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    insta::assert_snapshot!("compile_unknown_target", stderr(&o));
}

#[test]
fn a_construct_the_target_cannot_express_is_named() {
    let dir = rules_dir(&format!(
        "signal grace: duration\nsignal start: date\nscore a weight 1 = 50\n\
         rule \"grace over\" when start + grace < 2026-01-01 add 5 to a\n{STATUS}"
    ));
    for target in ["duckdb", "postgres"] {
        let o = vital_in(dir.path(), &["compile", "--target", target, "rules.vital"]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        assert_eq!(stdout(&o), "", "no SQL is written");
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "signal `grace` of type duration cannot be compiled for {target}"
            )),
            "{err}"
        );
        if target == "duckdb" {
            insta::assert_snapshot!("compile_unsupported_duration", err);
        }
    }
}

#[test]
fn constants_beyond_decimal_38_10_are_refused_naming_the_rule() {
    let dir = rules_dir(&format!(
        "signal n: int\nconst third = 1 / 3\nscore a weight 1 = 50\nrule \"thirds\" add n * third to a\n{STATUS}"
    ));
    let o = vital_in(
        dir.path(),
        &["compile", "--target", "duckdb", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("compile_out_of_range", stderr(&o));
    // a constant part folded to a number that fits is fine: round(5 / 3)
    let dir = rules_dir(&format!(
        "signal n: int\nscore a weight 1 = 50\nrule \"twos\" add n * round(5 / 3) to a\n{STATUS}"
    ));
    let o = vital_in(
        dir.path(),
        &["compile", "--target", "duckdb", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("s.n * 2"), "{}", stdout(&o));
}

#[test]
fn a_signal_named_like_a_fixed_column_is_refused() {
    let dir = rules_dir(&format!(
        "signal account: int\nscore a weight 1 = 50 + account\n{STATUS}"
    ));
    let o = vital_in(
        dir.path(),
        &["compile", "--target", "postgres", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("vital::sql-name-clash"), "{err}");
    assert!(err.contains("signal `account`"), "{err}");
}

#[test]
fn rules_with_errors_are_reported_as_vital_check_does() {
    let dir = rules_dir(&format!("signal n: int\nscore a weight 1 = m\n{STATUS}"));
    let o = vital_in(
        dir.path(),
        &["compile", "--target", "duckdb", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("vital::unknown-name"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(stdout(&o), "");
}

#[test]
fn test_blocks_become_snapshots_for_the_differential_test() {
    let dir = rules_dir(&format!(
        "signal n: int\nevent e {{ k: enum(a, b) }}\nscore s weight 1 = n\n{STATUS}\
         test \"t\" {{\n  as_of 2026-11-01\n  given {{\n    n = 3\n  }}\n  events {{\n    e on 2026-10-01 {{ k = b }}\n  }}\n  history {{\n    on 2026-10-01 {{ n = 1 }}\n  }}\n  expect s == 3\n}}\n"
    ));
    let o = vital_in(
        dir.path(),
        &[
            "compile",
            "--target",
            "duckdb",
            "--test-snapshots",
            "rules.vital",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"account\":\"t\",\"as_of\":\"2026-10-01\",\"events\":[{\"at\":\"2026-10-01\",\"k\":\"b\",\"type\":\"e\"}],\"signals\":{\"n\":1}}\n\
         {\"account\":\"t\",\"as_of\":\"2026-11-01\",\"events\":[{\"at\":\"2026-10-01\",\"k\":\"b\",\"type\":\"e\"}],\"signals\":{\"n\":3}}\n"
    );
}
