//! `vital diff` through the real binary: the digital-signals example copied
//! into a temporary project, its rules changed, and base against head.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{root, stderr, stdout, vital_in};

/// A project with the digital-signals example (`rules/`, `vital.toml`,
/// `snapshots.jsonl`) and an untouched copy of its rules in `base/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ex = root().join("examples/digital-signals");
    copy_dir(&ex.join("rules"), &dir.path().join("rules"));
    copy_dir(&ex.join("rules"), &dir.path().join("base"));
    std::fs::copy(ex.join("vital.toml"), dir.path().join("vital.toml")).unwrap();
    std::fs::copy(
        ex.join("snapshots.jsonl"),
        dir.path().join("snapshots.jsonl"),
    )
    .unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Replace `from` (which must be there, once) by `to` in a file.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let p = dir.join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in {file}");
    std::fs::write(&p, text.replace(from, to)).unwrap();
}

fn diff_json(dir: &Path, extra: &[&str]) -> (Value, std::process::Output) {
    let mut args = vec!["diff", "--base", "base", "--format", "json"];
    args.extend_from_slice(extra);
    let out = vital_in(dir, &args);
    let v: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("json: {e}\n{}\n{}", stdout(&out), stderr(&out)));
    (v, out)
}

fn rule<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("rule {name}"))
}

fn score<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("score {name}"))
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

/// Every count of a diff is zero.
fn assert_no_change(v: &Value) {
    assert_eq!(v["statuses"]["changed"], 0);
    assert_eq!(v["health"]["changed"], 0);
    assert_eq!(v["health"]["mean_shift"].as_f64(), Some(0.0));
    for r in v["rules"].as_array().unwrap() {
        assert_eq!(r["differs"], 0, "{r}");
        assert_eq!(r["base"], r["head"], "{r}");
        assert!(r["matched"] == "name" || r["matched"] == "text", "{r}");
    }
    for p in v["playbooks"].as_array().unwrap() {
        assert_eq!(
            (&p["started"], &p["stopped"]),
            (&0.into(), &0.into()),
            "{p}"
        );
    }
    for s in v["scores"].as_array().unwrap() {
        assert_eq!(s["change"], "same");
        assert_eq!(s["mean_shift"].as_f64(), Some(0.0));
    }
    for m in v["statuses"]["matrix"].as_array().unwrap() {
        assert_eq!(m["from"], m["to"]);
    }
    assert!(v["health"]["largest"].as_array().unwrap().is_empty());
}

#[test]
fn identical_rule_sets_change_nothing() {
    let dir = project();
    let (v, out) = diff_json(dir.path(), &["--fail-on", "status-changes>0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_change(&v);
    assert_eq!(v["accounts"]["compared"], 2000);
    assert_eq!(v["records"]["read"], 6000);
    assert_eq!(v["records"]["shared"], true);
    assert_eq!(v["tests"]["head"]["failed"], 0);
    assert_eq!(v["tests"]["head"]["passed"], 6);
    assert!(v["tests"]["newly_failing"].as_array().unwrap().is_empty());
    assert_eq!(v["value_signal"], "arr");
    assert_eq!(v["failures"], serde_json::json!([]));
    // 15 named rules, each matched by its name
    assert_eq!(v["rules"].as_array().unwrap().len(), 15);
}

#[test]
fn a_threshold_change_moves_accounts_between_statuses_only() {
    let dir = project();
    edit(
        dir.path(),
        "rules/scores.vital",
        "thriving when health >= 75",
        "thriving when health >= 70",
    );
    let (v, out) = diff_json(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let changed = usize_of(&v["statuses"]["changed"]);
    assert!(changed > 50, "{changed}");
    // the edit itself is shown: the arm's condition, base → head
    assert_eq!(
        v["schema"]["statuses"],
        serde_json::json!({"added": [], "removed": [], "retyped": [
            {"name": "thriving", "base": "arm 1: when health >= 75", "head": "arm 1: when health >= 70"}
        ]})
    );
    let human = stdout(&vital_in(dir.path(), &["diff", "--base", "base"]));
    assert!(
        human.contains(
            "  ~ status arm thriving: arm 1: when health >= 75 → arm 1: when health >= 70\n"
        ),
        "{human}"
    );
    // only steady → thriving, health itself does not move
    let moves: Vec<&Value> = v["statuses"]["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"] != m["to"])
        .collect();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0]["from"], "steady");
    assert_eq!(moves[0]["to"], "thriving");
    assert_eq!(usize_of(&moves[0]["count"]), changed);
    assert_eq!(v["statuses"]["changes"].as_array().unwrap().len(), changed);
    assert_eq!(v["health"]["changed"], 0);
    for c in v["statuses"]["changes"].as_array().unwrap() {
        let h = c["head_health"].as_f64().unwrap();
        assert!((70.0..75.0).contains(&h), "{c}");
        assert!(c["value"].as_f64().unwrap() > 0.0);
    }
    // the changes are listed by value, largest first
    let values: Vec<f64> = v["statuses"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(v["statuses"]["into_at_risk"]["count"], 0);
    // the matrix's value sums to the changed value
    let total: f64 = moves.iter().map(|m| m["value"].as_f64().unwrap()).sum();
    assert!((total - v["statuses"]["changed_value"].as_f64().unwrap()).abs() < 1.0);
    // a test pins health 70.3 as `steady`: it newly fails
    assert_eq!(
        v["tests"]["newly_failing"],
        serde_json::json!(["division by zero makes usage N/A"])
    );
    // thresholds
    let share = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "status-changes>5%"],
    );
    assert_eq!(share.status.code(), Some(1));
    assert!(
        stderr(&share).contains("change status (--fail-on status-changes>5%)"),
        "{}",
        stderr(&share)
    );
    let held = vital_in(
        dir.path(),
        &[
            "diff",
            "--base",
            "base",
            "--fail-on",
            "status-changes>20%",
            "--fail-on",
            "into-danger>0",
            "--fail-on",
            "health-shift>0.1",
        ],
    );
    assert!(held.status.success(), "{}", stderr(&held));
    let count = vital_in(
        dir.path(),
        &[
            "diff",
            "--base",
            "base",
            "--fail-on",
            &format!("status-changes>{}", changed - 1),
        ],
    );
    assert_eq!(count.status.code(), Some(1));
    let tests = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "failing-tests>0"],
    );
    assert_eq!(tests.status.code(), Some(1));
    assert!(
        stderr(&tests).contains("1 of head's tests fail"),
        "{}",
        stderr(&tests)
    );
    let into = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "into-thriving>1m"],
    );
    assert_eq!(into.status.code(), Some(1), "{}", stderr(&into));
    assert!(
        stderr(&into).contains("move into thriving"),
        "{}",
        stderr(&into)
    );
    // the human report says it in words
    let human = vital_in(dir.path(), &["diff", "--base", "base"]);
    let text = stdout(&human);
    assert!(text.contains("steady → thriving"), "{text}");
    assert!(
        text.contains("newly failing: division by zero makes usage N/A"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour without a terminal");
}

#[test]
fn fail_on_rejects_what_it_cannot_measure() {
    let dir = project();
    let bad = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "statuses>5"],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("unknown metric `statuses`"),
        "{}",
        stderr(&bad)
    );
    let arm = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "into-dangerr>5"],
    );
    assert_eq!(arm.status.code(), Some(1));
    assert!(
        stderr(&arm).contains("no status arm `dangerr`"),
        "{}",
        stderr(&arm)
    );
}

#[test]
fn a_weight_change_shifts_health_and_names_the_rules_behind_the_largest_moves() {
    let dir = project();
    edit(
        dir.path(),
        "rules/scores.vital",
        "score usage weight 15",
        "score usage weight 25",
    );
    let (v, out) = diff_json(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let usage = score(&v, "usage");
    assert_eq!(usage["change"], "edited");
    assert_eq!(usage["base_weight"].as_f64(), Some(15.0));
    assert_eq!(usage["head_weight"].as_f64(), Some(25.0));
    // the score's own values do not move; health does
    assert_eq!(usage["mean_shift"].as_f64(), Some(0.0));
    let shift = v["health"]["mean_shift"].as_f64().unwrap();
    assert!(shift < -0.5, "{shift}");
    assert_eq!(
        v["schema"]["scores"]["retyped"],
        serde_json::json!([{"name": "usage", "base": "weight 15", "head": "weight 25"}])
    );
    assert!(usize_of(&v["statuses"]["changed"]) > 0);
    assert!(usize_of(&v["statuses"]["into_at_risk"]["count"]) > 0);
    let largest = v["health"]["largest"].as_array().unwrap();
    assert_eq!(largest.len(), 25);
    let deltas: Vec<f64> = largest
        .iter()
        .map(|m| m["delta"].as_f64().unwrap().abs())
        .collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
    // the histogram counts every account with a health on both sides
    let binned: u64 = v["health"]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(binned, 2000);
    // playbooks that read health start for some accounts
    let started: u64 = v["playbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["started"].as_u64().unwrap())
        .sum();
    assert!(started > 0);
    let fail = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "health-shift>0.5"],
    );
    assert_eq!(fail.status.code(), Some(1));
    assert!(
        stderr(&fail).contains("mean health shifts by -"),
        "{}",
        stderr(&fail)
    );
}

#[test]
fn a_new_rule_is_added_and_fires_where_health_moved() {
    let dir = project();
    let p = dir.path().join("rules/rules.vital");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("\nrule \"quiet account\" when logins_30d < 100 subtract 30 from usage\n");
    text.push_str("\nwhen logins_30d < 50 trigger \"check in\"\n");
    std::fs::write(&p, text).unwrap();
    let (v, out) = diff_json(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let quiet = rule(&v, "quiet account");
    assert_eq!(quiet["matched"], "added");
    assert_eq!(quiet["base"], Value::Null);
    let fires = usize_of(&quiet["head"]);
    assert!(fires > 0);
    assert_eq!(usize_of(&quiet["differs"]), fires);
    // the unnamed trigger, shown by its text
    let unnamed = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"].is_null())
        .unwrap();
    assert_eq!(unnamed["text"], "when logins_30d < 50 trigger \"check in\"");
    assert_eq!(unnamed["matched"], "added");
    let check_in = v["playbooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "check in")
        .unwrap();
    assert_eq!(check_in["base"], 0);
    assert_eq!(check_in["started"], check_in["head"]);
    // every largest mover lost health through the new rule
    for m in v["health"]["largest"].as_array().unwrap() {
        assert!(m["delta"].as_f64().unwrap() < 0.0, "{m}");
        assert!(
            m["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "\"quiet account\""
                    && f["head"] == true
                    && f["base"] == false),
            "{m}"
        );
    }
    // the other rules are unchanged, matched by name
    assert_eq!(rule(&v, "usage drop")["matched"], "name");
    assert_eq!(rule(&v, "usage drop")["edited"], false);
}

#[test]
fn a_removed_rule_is_shown_with_its_base_fires() {
    let dir = project();
    edit(
        dir.path(),
        "rules/rules.vital",
        "rule \"saturated seats\" when active_users / licensed_seats >= power_user_share add 5 to usage\n",
        "",
    );
    let (v, out) = diff_json(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let gone = rule(&v, "saturated seats");
    assert_eq!(gone["matched"], "removed");
    assert_eq!(gone["head"], Value::Null);
    let fired = usize_of(&gone["base"]);
    assert!(fired > 0);
    assert_eq!(usize_of(&gone["differs"]), fired);
    assert!(score(&v, "usage")["mean_shift"].as_f64().unwrap() < 0.0);
    assert!(v["health"]["mean_shift"].as_f64().unwrap() < 0.0);
    let human = stdout(&vital_in(dir.path(), &["diff", "--base", "base"]));
    assert!(
        human.contains("\"saturated seats\" (adjustment) removed"),
        "{human}"
    );
}

/// `usage` → `seat_usage` everywhere (rules and tests): a rename, and
/// nothing else changes.
#[test]
fn a_renamed_score_is_matched_as_a_rename() {
    let dir = project();
    for f in [
        "rules/scores.vital",
        "rules/rules.vital",
        "rules/tests.vital",
    ] {
        let p = dir.path().join(f);
        let text = std::fs::read_to_string(&p).unwrap();
        let mut out = String::new();
        let mut rest = text.as_str();
        // whole words only: `feature_usage` stays
        while let Some(i) = rest.find("usage") {
            let before = rest[..i].chars().last();
            let after = rest[i + 5..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            out.push_str(&rest[..i]);
            let keep = word(before) || word(after) || before == Some('"');
            out.push_str(if keep { "usage" } else { "seat_usage" });
            rest = &rest[i + 5..];
        }
        out.push_str(rest);
        std::fs::write(&p, out).unwrap();
    }
    assert!(vital_in(dir.path(), &["check"]).status.success());
    let (v, out) = diff_json(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = score(&v, "seat_usage");
    assert_eq!(s["change"], "renamed");
    assert_eq!(s["renamed_from"], "usage");
    assert_eq!(s["mean_shift"].as_f64(), Some(0.0));
    assert!(v["scores"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["name"] != "usage"));
    assert_eq!(
        v["schema"]["scores"]["added"],
        serde_json::json!([{"name": "seat_usage", "type": "weight 15"}])
    );
    assert_eq!(v["schema"]["scores"]["removed"][0]["name"], "usage");
    // the rules that add to it are the same rules, edited
    assert_eq!(rule(&v, "login slump")["edited"], true);
    assert_eq!(rule(&v, "login slump")["differs"], 0);
    assert_eq!(v["statuses"]["changed"], 0);
    assert_eq!(v["health"]["changed"], 0);
    assert_eq!(v["tests"]["head"]["failed"], 0);
}

#[test]
fn a_new_signal_the_snapshots_lack_is_a_schema_change_and_rejects_every_record() {
    let dir = project();
    let p = dir.path().join("rules/schema.vital");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("\n## Net promoter score from the last survey.\nsignal nps: number\n");
    std::fs::write(&p, text).unwrap();
    let p = dir.path().join("rules/rules.vital");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("\nrule \"detractor\" when nps < 0 subtract 20 from relationship\n");
    std::fs::write(&p, text).unwrap();
    let (v, out) = diff_json(dir.path(), &[]);
    // a diff over no account never passes
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        v["failures"],
        serde_json::json!([
            "no account was compared: of 6,000 records, base rejected 0 and head 6,000"
        ])
    );
    assert_eq!(v["records"]["shared"], false);
    assert_eq!(v["records"]["base_rejected"], 0);
    assert_eq!(v["records"]["head_rejected"], 6000);
    assert_eq!(v["accounts"]["compared"], 0);
    assert_eq!(v["accounts"]["only_base"], 2000);
    assert_eq!(
        v["schema"]["signals"]["added"],
        serde_json::json!([{"name": "nps", "type": "number"}])
    );
    let reasons = v["records"]["head_rejections"].as_array().unwrap();
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0]["count"], 6000);
    assert!(
        reasons[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("signal `nps` missing"),
        "{reasons:?}"
    );
    let md = stdout(&vital_in(
        dir.path(),
        &["diff", "--base", "base", "--format", "markdown"],
    ));
    assert!(md.contains("signal `nps` added: `number`"), "{md}");
    assert!(md.contains("Head rejects 6,000 of 6,000 records"), "{md}");
    check_markdown(&md);
    // nothing is compared, so no other gate moves; `rejected` says why
    let gated = vital_in(
        dir.path(),
        &[
            "diff",
            "--base",
            "base",
            "--fail-on",
            "status-changes>0",
            "--fail-on",
            "rejected>0",
        ],
    );
    assert_eq!(gated.status.code(), Some(1), "{}", stderr(&gated));
    assert!(
        stderr(&gated).contains(
            "error: head rejects 6,000 more records than base (100.0% of the 6,000 read) (--fail-on rejected>0)"
        ),
        "{}",
        stderr(&gated)
    );
    assert!(
        !stderr(&gated).contains("status-changes>0)"),
        "{}",
        stderr(&gated)
    );

    // optional, it reads today's snapshots: every account is compared and
    // the new rule fires for none
    edit(
        dir.path(),
        "rules/schema.vital",
        "signal nps: number",
        "signal nps: number?",
    );
    let (v, out) = diff_json(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v["records"]["shared"], false);
    assert_eq!(v["records"]["head_rejected"], 0);
    assert_eq!(v["accounts"]["compared"], 2000);
    assert_eq!(rule(&v, "detractor")["head"], 0);
    assert_eq!(v["statuses"]["changed"], 0);
    let gated = vital_in(
        dir.path(),
        &["diff", "--base", "base", "--fail-on", "rejected>0"],
    );
    assert_eq!(gated.status.code(), Some(0), "{}", stderr(&gated));
}

#[test]
fn a_base_with_errors_is_reported_with_its_diagnostics() {
    let dir = project();
    edit(
        dir.path(),
        "base/schema.vital",
        "const slow_close_hours = 72",
        "const slow_close_hours = 72 + ticket_hours",
    );
    let out = vital_in(dir.path(), &["diff", "--base", "base"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("unknown-name"), "{err}");
    assert!(err.contains("the base rule set (`base`) has"), "{err}");
    assert!(stdout(&out).is_empty());
    let (v, out) = diff_json(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["errors"]["head"], serde_json::json!([]));
    let errors = v["errors"]["base"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["code"], "vital::unknown-name");
    assert_eq!(errors[0]["file"], "base/schema.vital");
    let md = stdout(&vital_in(
        dir.path(),
        &["diff", "--base", "base", "--format", "markdown"],
    ));
    assert!(md.contains("The base rule set has"), "{md}");
    check_markdown(&md);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The repository's root holds the project in a subdirectory: the base is
/// read from the revision at the same path, the working tree is untouched.
#[test]
fn a_git_revision_as_base() {
    let repo = tempfile::tempdir().unwrap();
    let proj = repo.path().join("cs/health");
    let ex = root().join("examples/digital-signals");
    copy_dir(&ex.join("rules"), &proj.join("rules"));
    std::fs::copy(ex.join("vital.toml"), proj.join("vital.toml")).unwrap();
    std::fs::copy(ex.join("snapshots.jsonl"), proj.join("snapshots.jsonl")).unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "rules"]);
    edit(
        &proj,
        "rules/scores.vital",
        "thriving when health >= 75",
        "thriving when health >= 70",
    );
    // a file only in the working tree is head's, not base's
    std::fs::write(proj.join("rules/extra.vital"), "const spare = 1\n").unwrap();
    let before = std::fs::read_to_string(proj.join("rules/scores.vital")).unwrap();
    let out = vital_in(&proj, &["diff", "--base", "main", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["base"]["label"], "main:cs/health/rules");
    assert_eq!(v["base"]["files"], 4);
    assert_eq!(v["head"]["files"], 5);
    assert!(usize_of(&v["statuses"]["changed"]) > 50);
    assert_eq!(v["health"]["changed"], 0);
    // the working tree is as it was
    assert_eq!(
        std::fs::read_to_string(proj.join("rules/scores.vital")).unwrap(),
        before
    );
    let status = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        " M cs/health/rules/scores.vital\n?? cs/health/rules/extra.vital\n"
    );
    // the same revision as head: nothing changes
    git(repo.path(), &["stash", "-u", "-q"]);
    let (v, out) = {
        let out = vital_in(&proj, &["diff", "--base", "HEAD", "--format", "json"]);
        (serde_json::from_str::<Value>(&stdout(&out)).unwrap(), out)
    };
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_change(&v);
    // a copy to try a change in, untracked or outside the repository: the
    // revision is read at the project's rule set's path
    let outside = tempfile::tempdir().unwrap();
    for head in [proj.join("try"), outside.path().join("try")] {
        copy_dir(&proj.join("rules"), &head);
        let out = vital_in(
            &proj,
            &[
                "diff",
                "--base",
                "HEAD",
                "--head",
                head.to_str().unwrap(),
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["base"]["label"], "HEAD:cs/health/rules");
        assert_no_change(&v);
    }
    // neither a directory nor a revision
    let out = vital_in(&proj, &["diff", "--base", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`--base no-such-branch` is neither a directory nor a git revision"),
        "{}",
        stderr(&out)
    );
}

/// The markdown parses; every table has as many cells in each row as in
/// its header, in the source and as parsed.
fn check_markdown(md: &str) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    assert!(md.chars().count() <= 65_536);
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).into_offset_iter();
    let mut head_cells = 0;
    let mut row_cells = 0;
    let mut in_head = false;
    let mut tables = 0;
    for (event, range) in parser {
        match event {
            Event::Start(Tag::Table(align)) => {
                tables += 1;
                // in the source: each line of the table has the header's cells
                let src = &md[range.clone()];
                let counts: Vec<usize> = src.lines().map(source_cells).collect();
                assert!(
                    counts.iter().all(|c| *c == align.len()),
                    "table {counts:?}:\n{src}"
                );
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                head_cells = 0;
            }
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => row_cells = 0,
            Event::Start(Tag::TableCell) => {
                if in_head {
                    head_cells += 1
                } else {
                    row_cells += 1
                }
            }
            Event::End(TagEnd::TableRow) => assert_eq!(row_cells, head_cells),
            _ => {}
        }
    }
    let _ = tables;
}

/// Cells of a table line in the source: `|` not escaped by `\`.
fn source_cells(line: &str) -> usize {
    let mut n = 0usize;
    let mut escaped = false;
    for c in line.trim().chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => n += 1,
            _ => {}
        }
    }
    n.saturating_sub(1)
}

#[test]
fn the_markdown_report_of_a_weight_change() {
    let dir = project();
    edit(
        dir.path(),
        "rules/scores.vital",
        "score usage weight 15",
        "score usage weight 25",
    );
    let out = vital_in(
        dir.path(),
        &[
            "diff",
            "--base",
            "base",
            "--format",
            "markdown",
            "--fail-on",
            "into-danger>$1m",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let md = stdout(&out);
    check_markdown(&md);
    assert!(md.starts_with("### Vital diff: `base` → `rules`"));
    assert!(md.contains("**Failed:**"));
    insta::assert_snapshot!("diff_markdown_weight_change", md);
}

/// Names that need escaping, and so many changed accounts that the report
/// must be cut to stay under GitHub's comment limit.
#[test]
fn the_markdown_report_stays_under_the_comment_limit() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "signal x: number\nscore s weight 1 = x\nstatus {\n  good when health >= 50\n  bad otherwise\n}\n";
    std::fs::create_dir_all(dir.path().join("base")).unwrap();
    std::fs::create_dir_all(dir.path().join("head")).unwrap();
    std::fs::write(dir.path().join("base/r.vital"), rules).unwrap();
    std::fs::write(
        dir.path().join("head/r.vital"),
        rules.replace(">= 50", ">= 70"),
    )
    .unwrap();
    let mut data = String::new();
    for i in 0..400 {
        let name = format!("acct|{i}|<b>*{}*", "x".repeat(400));
        data.push_str(&format!(
            "{{\"account\":{},\"as_of\":\"2026-11-01\",\"signals\":{{\"x\":{}}}}}\n",
            serde_json::to_string(&name).unwrap(),
            50 + i % 20
        ));
    }
    std::fs::write(dir.path().join("s.jsonl"), data).unwrap();
    let out = vital_in(
        dir.path(),
        &[
            "diff", "--base", "base", "--head", "head", "s.jsonl", "--format", "markdown",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let md = stdout(&out);
    check_markdown(&md);
    assert!(md.chars().count() <= 65_000, "{}", md.chars().count());
    assert!(md.contains("…and "), "lists are cut");
    assert!(md.contains("acct\\|0\\|&lt;b&gt;\\*"), "names are escaped");
    assert!(!md.contains("<b>"));
}

#[test]
fn snapshots_given_on_the_command_line_win() {
    let dir = project();
    let one: String = std::fs::read_to_string(dir.path().join("snapshots.jsonl"))
        .unwrap()
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("few.jsonl"), one).unwrap();
    let (v, out) = diff_json(dir.path(), &["few.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v["records"]["read"], 3);
    assert_eq!(v["records"]["inputs"], serde_json::json!(["few.jsonl"]));
    assert_eq!(v["accounts"]["compared"], 1);
    let _: PathBuf = dir.path().to_path_buf();
}

/// `--head DIR`, a folder that is not the project's rule set (a copy to try
/// a change in): the settings of the project's one rule set apply to it —
/// its `inputs`, `value` and `at_risk` — and a note says so.
#[test]
fn a_head_folder_outside_the_project_takes_the_one_rule_sets_settings() {
    let dir = project();
    copy_dir(&dir.path().join("rules"), &dir.path().join("try"));
    let (v, out) = diff_json(dir.path(), &["--head", "try"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "note: `--head try` is not a rule set of vital.toml; the settings of [rulesets.digital-signals] apply to it (and a git `--base` is read at its path)\n"
    );
    // inputs, value and at_risk of vital.toml
    assert_eq!(
        v["records"]["inputs"],
        serde_json::json!(["snapshots.jsonl"])
    );
    assert_eq!(v["accounts"]["compared"], 2000);
    assert_eq!(v["value_signal"], "arr");
    assert_eq!(
        v["statuses"]["at_risk"],
        serde_json::json!(["danger", "at_risk"])
    );
    assert_no_change(&v);
    // with a second rule set, which one is meant cannot be told: none
    let toml = std::fs::read_to_string(dir.path().join("vital.toml")).unwrap();
    std::fs::write(
        dir.path().join("vital.toml"),
        format!("{toml}\n[rulesets.other]\npath = \"base\"\n"),
    )
    .unwrap();
    let (v, out) = diff_json(dir.path(), &["--head", "try", "snapshots.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "note: `--head try` is none of the rule sets of vital.toml, so none of their settings apply; pick one with `--ruleset NAME`\n"
    );
    assert_eq!(v["value_signal"], Value::Null);
    // the last arm of the status block, not vital.toml's two
    assert_eq!(v["statuses"]["at_risk"].as_array().unwrap().len(), 1);
    // `--ruleset` picks one
    let (v, out) = diff_json(
        dir.path(),
        &["--head", "try", "--ruleset", "digital-signals"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(v["value_signal"], "arr");
}

/// A diff over no account never passes: an export whose column was renamed
/// (every record rejected on both sides) or an empty one exits 1 with the
/// reason, whatever the `--fail-on` gates; the readers' data-quality
/// warnings (a percent given as a fraction) are printed as `vital run`
/// prints them.
#[test]
fn a_diff_over_no_account_fails_and_data_warnings_are_shown() {
    let dir = project();
    let text = std::fs::read_to_string(dir.path().join("snapshots.jsonl")).unwrap();
    std::fs::write(
        dir.path().join("renamed.jsonl"),
        text.replace("\"feature_usage\"", "\"feature_use\""),
    )
    .unwrap();
    let (v, out) = diff_json(dir.path(), &["renamed.jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let why = "no account was compared: of 6,000 records, base rejected 6,000 and head 6,000";
    assert_eq!(v["failures"], serde_json::json!([why]));
    assert!(
        stderr(&out).ends_with(&format!("error: {why}\n")),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
    let o = vital_in(dir.path(), &["diff", "--base", "base", "empty.jsonl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with("error: no account was compared: the input holds no records\n"),
        "{}",
        stderr(&o)
    );
    // fractions for a percent: scored (wrongly), and said
    let fractions: String = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let u = v["signals"]["feature_usage"].as_f64().unwrap();
            v["signals"]["feature_usage"] = serde_json::json!((u * 10.0).round() / 1000.0);
            format!("{v}\n")
        })
        .collect();
    std::fs::write(dir.path().join("fractions.jsonl"), fractions).unwrap();
    let (_, out) = diff_json(dir.path(), &["fractions.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(
            "warning: fractions.jsonl: every value of percent signal `feature_usage` lies between 0 and 1"
        ),
        "{}",
        stderr(&out)
    );
}
