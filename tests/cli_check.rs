//! `vital check` and `vital fmt`, driven through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{stderr, stdout, vital_in as vital};

/// A rule set of two files: a clean schema and rules with one error and one
/// warning.
fn broken_set() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/a_schema.vital"),
        "signal feature_usage: percent\nsignal unused_one: int\nscore adoption weight 1 = 50\nstatus { ok when health >= 50  bad otherwise }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/b_rules.vital"),
        "when feature_usage < 20 subtract 10 from adoption\n",
    )
    .unwrap();
    dir
}

fn clean_set() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.vital"),
        "signal feature_usage: percent\nscore adoption weight 1 = 50\nwhen feature_usage < 20% subtract 10 from adoption\nstatus {\n  ok  when health >= 50\n  bad otherwise\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn clean_rule_set_exits_zero() {
    let dir = clean_set();
    let o = vital(dir.path(), &["check", "rules.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "No problems found in 1 file.\n");
}

#[test]
fn default_path_is_the_current_directory() {
    let dir = clean_set();
    let o = vital(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("1 file"));
}

#[test]
fn human_report_names_file_line_code_and_help() {
    let dir = broken_set();
    let o = vital(dir.path(), &["check", "rules"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("vital::percent-mismatch"), "{out}");
    assert!(out.contains("rules/b_rules.vital:1:6"), "{out}");
    assert!(out.contains("help: write 20%"), "{out}");
    assert!(out.contains("vital::unused-signal"), "{out}");
    assert!(
        out.contains("Found 1 error and 1 warning in 2 files."),
        "{out}"
    );
    // no colour when not on a terminal
    assert!(!out.contains('\u{1b}'), "{out}");
}

#[test]
fn json_lines_follow_the_contract() {
    let dir = broken_set();
    let o = vital(dir.path(), &["check", "--format", "json", "rules"]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    // sorted by file: the schema's warning first
    let w = &lines[0];
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["code"], "vital::unused-signal");
    assert_eq!(w["file"], "rules/a_schema.vital");
    assert_eq!(
        (w["line"].as_u64(), w["column"].as_u64()),
        (Some(2), Some(8))
    );
    assert_eq!(
        (w["end_line"].as_u64(), w["end_column"].as_u64()),
        (Some(2), Some(18))
    );
    let e = &lines[1];
    assert_eq!(e["severity"], "error");
    assert_eq!(e["code"], "vital::percent-mismatch");
    assert_eq!(e["file"], "rules/b_rules.vital");
    assert_eq!(e["line"], 1);
    assert_eq!(e["column"], 6);
    assert_eq!(e["end_column"], 24);
    assert_eq!(e["help"], "write 20%");
    assert_eq!(e["related"], serde_json::json!([]));
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    for k in [
        "severity",
        "code",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
        "related",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
}

#[test]
fn json_related_points_at_the_first_declaration() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.vital"),
        "signal arr: money\nstatus { a when arr > 1  b otherwise }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.vital"), "signal arr: int\n").unwrap();
    let o = vital(dir.path(), &["check", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(d["code"], "vital::duplicate-declaration");
    assert_eq!(d["file"], "b.vital");
    assert_eq!(d["related"][0]["file"], "a.vital");
    assert_eq!(d["related"][0]["line"], 1);
    assert_eq!(d["related"][0]["column"], 8);
}

#[test]
fn github_annotations() {
    let dir = broken_set();
    let o = vital(dir.path(), &["check", "--format", "github", "rules"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with(
        "::warning file=rules/a_schema.vital,line=2,col=8,endLine=2,endColumn=18,title=vital%3A%3Aunused-signal::"
    ));
    assert!(lines[1].starts_with(
        "::error file=rules/b_rules.vital,line=1,col=6,endLine=1,endColumn=24,title=vital%3A%3Apercent-mismatch::cannot compare percent with int"
    ));
    assert!(lines[1].ends_with("%0Ahelp: write 20%25"), "{}", lines[1]);
}

#[test]
fn sarif_is_valid_2_1_0() {
    let dir = broken_set();
    let o = vital(dir.path(), &["check", "--format", "sarif", "rules"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "vital");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(["error", "warning"].contains(&r["level"].as_str().unwrap()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
    }
    assert_eq!(results[1]["ruleId"], "vital::percent-mismatch");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "rules/b_rules.vital"
    );
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.vital"),
        "signal spare: int\nstatus { all otherwise }\n",
    )
    .unwrap();
    assert_eq!(
        vital(dir.path(), &["check", "w.vital"]).status.code(),
        Some(0)
    );
    assert_eq!(
        vital(dir.path(), &["check", "--deny-warnings", "w.vital"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn missing_path_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = vital(dir.path(), &["check", "nope/rules"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: cannot read `nope/rules`: no such file or directory\n"
    );
}

/// A rule file named on the command line that is not there is a `vital::io`
/// diagnostic in the chosen format, and the other files are still checked
/// (CI's SARIF is not left empty).
#[test]
fn a_missing_rule_file_is_a_diagnostic_and_the_rest_is_checked() {
    let dir = clean_set();
    let o = vital(
        dir.path(),
        &["check", "--format", "json", "nope.vital", "rules.vital"],
    );
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", stdout(&o));
    assert_eq!(lines[0]["code"], "vital::io");
    assert_eq!(lines[0]["file"], "nope.vital");
    let o = vital(
        dir.path(),
        &["check", "--format", "sarif", "nope.vital", "rules.vital"],
    );
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "vital::io");
}

/// A broken vital.toml stops `vital check` even with a path given, and is
/// reported in the chosen format.
#[test]
fn a_broken_project_file_stops_check_in_every_format() {
    let dir = clean_set();
    std::fs::write(dir.path().join("vital.toml"), "rules = [\nbogus\n").unwrap();
    for args in [
        vec!["check", "."],
        vec!["check", "rules.vital"],
        vec!["test", "."],
    ] {
        let o = vital(dir.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains("vital::project"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = vital(dir.path(), &["check", "--format", "sarif", "."]);
    assert_eq!(o.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "vital::project");
    let o = vital(dir.path(), &["check", "--format", "github"]);
    assert!(
        stdout(&o).starts_with("::error file=") && stdout(&o).contains("vital.toml,line=2,"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn empty_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = vital(dir.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no .vital files found in ."),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invalid_utf8_is_reported_on_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.vital"), b"signal x: int \xff\xfe\n").unwrap();
    let o = vital(dir.path(), &["check", "--format", "json", "bad.vital"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("\"code\":\"vital::io\""), "{out}");
    assert!(out.contains("not valid UTF-8"), "{out}");
    // at the bad byte (the rest of the file is checked with it replaced)
    let io = out.lines().find(|l| l.contains("vital::io")).unwrap();
    assert!(
        io.contains("\"line\":1") && io.contains("\"column\":15"),
        "{io}"
    );
    // and the file is neither formatted nor changed
    let o = vital(dir.path(), &["fmt", "bad.vital"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read(dir.path().join("bad.vital")).unwrap(),
        b"signal x: int \xff\xfe\n"
    );
}

#[test]
fn usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        vital(dir.path(), &["check", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(vital(dir.path(), &["frobnicate"]).status.code(), Some(2));
    assert_eq!(vital(dir.path(), &[]).status.code(), Some(2));
}

#[test]
fn several_syntax_errors_in_one_file_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.vital"),
        "signal a int\nscore s weight\nsignal b: int\nwhen b > trigger \"x\"\nstatus { ok otherwise }\n",
    )
    .unwrap();
    let o = vital(dir.path(), &["check", "--format", "json", "s.vital"]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let syntax: Vec<u64> = lines
        .iter()
        .filter(|d| d["code"] == "vital::syntax")
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(syntax, vec![1, 2, 4]);
}

// ------------------------------------------------------------------ fmt

const MESSY: &str = "signal   arr :money   # the ARR\nscore s   weight 1=band arr{<10k=>10 otherwise=>90}\nstatus{a when health>=50 bb otherwise}\n";
const TIDY: &str = "signal arr: money  # the ARR\nscore s weight 1 = band arr {\n  < 10k => 10\n  otherwise => 90\n}\nstatus {\n  a  when health >= 50\n  bb otherwise\n}\n";

#[test]
fn fmt_rewrites_files_in_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.vital"), MESSY).unwrap();
    let o = vital(dir.path(), &["fmt", "m.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "formatted m.vital\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.vital")).unwrap(),
        TIDY
    );
    // a second run changes nothing
    let o = vital(dir.path(), &["fmt", "m.vital"]);
    assert_eq!(stdout(&o), "");
}

#[test]
fn fmt_check_lists_files_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.vital"), MESSY).unwrap();
    std::fs::write(dir.path().join("t.vital"), TIDY.replace("arr", "arr2")).unwrap();
    let o = vital(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "m.vital\n");
    assert!(stderr(&o).contains("1 file would be reformatted"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.vital")).unwrap(),
        MESSY
    );
    std::fs::write(dir.path().join("m.vital"), TIDY).unwrap();
    assert_eq!(
        vital(dir.path(), &["fmt", "--check", "."]).status.code(),
        Some(0)
    );
}

#[test]
fn fmt_leaves_a_broken_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "signal a int\nscore   s weight 1\n";
    std::fs::write(dir.path().join("b.vital"), broken).unwrap();
    let o = vital(dir.path(), &["fmt", "b.vital"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`b.vital` does not parse; it was left unchanged"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("vital::syntax"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.vital")).unwrap(),
        broken
    );
}

#[test]
fn a_byte_order_mark_checks_clean_and_fmt_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = "signal feature_usage: percent\nscore adoption weight 1 = 50\nwhen feature_usage < 20% subtract 10 from adoption\nstatus {\n  ok  when health >= 50\n  bad otherwise\n}\n";
    let with_bom = format!("\u{FEFF}{text}");
    std::fs::write(dir.path().join("rules.vital"), &with_bom).unwrap();
    let o = vital(dir.path(), &["check", "rules.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "No problems found in 1 file.\n");
    // an error after the mark is reported at its true line and column
    std::fs::write(
        dir.path().join("rules.vital"),
        with_bom.replace("< 20%", "< usage"),
    )
    .unwrap();
    let o = vital(dir.path(), &["check", "rules.vital"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("rules.vital:3:22"), "{}", stdout(&o));
    // fmt --check finds nothing to do; fmt writes the mark back
    std::fs::write(dir.path().join("rules.vital"), &with_bom).unwrap();
    let o = vital(dir.path(), &["fmt", "--check", "rules.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    std::fs::write(
        dir.path().join("rules.vital"),
        with_bom.replace("ok  when", "ok when"),
    )
    .unwrap();
    let o = vital(dir.path(), &["fmt", "rules.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rules.vital")).unwrap(),
        with_bom
    );
}

#[test]
fn fmt_keeps_crlf_line_endings() {
    // a Windows checkout: CRLF everywhere
    let dir = tempfile::tempdir().unwrap();
    let tidy = TIDY.replace('\n', "\r\n");
    std::fs::write(dir.path().join("t.vital"), &tidy).unwrap();
    let o = vital(dir.path(), &["fmt", "--check", "t.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "");
    // a messy CRLF file formats to the tidy text with CRLF endings
    std::fs::write(dir.path().join("m.vital"), MESSY.replace('\n', "\r\n")).unwrap();
    let o = vital(dir.path(), &["fmt", "m.vital"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("m.vital")).unwrap(),
        tidy.as_bytes()
    );
    let o = vital(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // and an LF file stays LF
    std::fs::write(dir.path().join("m.vital"), MESSY).unwrap();
    vital(dir.path(), &["fmt", "m.vital"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.vital")).unwrap(),
        TIDY
    );
}

/// A path that cannot be read (or holds no rule file) is a `vital::io`
/// diagnostic in CI's formats, so the JSON or SARIF a CI step uploads is
/// not an empty file; people get the error on stderr. Exit 1 either way.
#[test]
fn a_missing_path_is_reported_in_the_format_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = vital(dir.path(), &["check", "nonexist", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r = &sarif["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "vital::io");
    assert_eq!(
        r["message"]["text"],
        "cannot read `nonexist`: no such file or directory"
    );
    let o = vital(dir.path(), &["check", "empty", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(j["code"], "vital::io");
    assert_eq!(j["message"], "no .vital files found in empty");
    let o = vital(dir.path(), &["check", "nonexist", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("::error file=nonexist,"),
        "{}",
        stdout(&o)
    );
    let o = vital(dir.path(), &["check", "nonexist"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "error: cannot read `nonexist`: no such file or directory\n"
    );
}
