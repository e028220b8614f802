//! The sample in the editor, over real JSON-RPC: with `sample =
//! "sample.jsonl"` in vital.toml, the language server evaluates the rule set
//! on the sample after each change that checks clean and shows lenses over
//! rules, scores, status arms and triggers, the sample's distribution of a
//! signal and a band arm's share on hover, the `vital::never-fires` and
//! `vital::arm-never-taken` warnings, and `vital explain` of an account
//! (`vital.explainAccount`). The expected numbers are counted here from
//! `vital run --explain` on the same files (the real binary), and from the
//! sample file itself; an edit updates the lenses; a rule set with errors
//! keeps publishing diagnostics. The fixture: tests/sample.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "lsp_client.rs"]
mod lsp_client;
mod support;

use lsp_client::{pos, uri, Client};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn copy() -> tempfile::TempDir {
    let from = support::root().join("tests/sample");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for f in [
        "vital.toml",
        "sample.jsonl",
        "rules/schema.vital",
        "rules/rules.vital",
    ] {
        std::fs::copy(from.join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// `k` of `n` as the lenses write it: one decimal, `.0` left out.
fn percent(k: usize, n: usize) -> String {
    let tenths = (k * 1000 + n / 2) / n;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

fn fires(k: usize, n: usize) -> String {
    format!("fires for {k} of {n} accounts ({} %)", percent(k, n))
}

/// `12.5`, `0`, `47.25` as a decimal is shown (no trailing zeros).
fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The lens titles the server should show, by rule, score or arm name,
/// counted from `vital run --explain` in `dir` (each account's line of its
/// latest snapshot).
fn expected(dir: &Path) -> BTreeMap<String, String> {
    let o = support::vital_in(dir, &["run", "--explain", "sample.jsonl"]);
    assert!(o.status.success(), "{}", support::stderr(&o));
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for line in support::stdout(&o).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let acc = v["account"].as_str().unwrap().to_string();
        let newer = latest
            .get(&acc)
            .is_none_or(|old| old["as_of"].as_str() <= v["as_of"].as_str());
        if newer {
            latest.insert(acc, v);
        }
    }
    let n = latest.len();
    let mut out = BTreeMap::new();
    for rule in [
        "few seats",
        "enterprise bonus",
        "huge account",
        "big account",
    ] {
        let k = latest
            .values()
            .filter(|v| {
                v["explain"]["scores"]
                    .as_object()
                    .unwrap()
                    .values()
                    .any(|s| {
                        s["adjustments"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|a| a["rule"] == rule && !a["amount"].is_null())
                    })
            })
            .count();
        out.insert(rule.to_string(), fires(k, n));
    }
    let fired = latest
        .values()
        .filter(|v| {
            v["explain"]["triggers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["rule"] == "rescue")
        })
        .count();
    let started = latest
        .values()
        .filter(|v| {
            v["started"]
                .as_array()
                .unwrap()
                .contains(&json!("rescue call"))
        })
        .count();
    out.insert(
        "rescue".into(),
        format!("{} · starts \"rescue call\" for {started}", fires(fired, n)),
    );
    for score in ["adoption", "sentiment"] {
        let mut values: Vec<f64> = latest
            .values()
            .filter_map(|v| v["scores"][score].as_f64())
            .collect();
        values.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let na = n - values.len();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        // half away from zero, to one decimal
        let mean = (mean * 10.0 + 1e-9).round() / 10.0;
        // nearest rank: the ceil(n/2)-th value
        let median = values[values.len().div_ceil(2) - 1];
        out.insert(
            score.to_string(),
            format!(
                "mean {} · median {} · n/a {} %",
                num(mean),
                num(median),
                percent(na, n)
            ),
        );
    }
    // and their value (vital.toml's `value = "arr"`), from the sample file
    let arr = latest_arr(dir);
    for arm in ["good", "watch", "bad"] {
        let accounts: Vec<&String> = latest
            .iter()
            .filter(|(_, v)| v["status"] == arm)
            .map(|(a, _)| a)
            .collect();
        let k = accounts.len();
        let value: f64 = accounts.iter().map(|a| arr[*a]).sum();
        out.insert(
            arm.to_string(),
            format!(
                "{k} of {n} accounts ({} %) · value {}",
                percent(k, n),
                thousands(value.round() as u64)
            ),
        );
    }
    out
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Each account's `arr` at its latest snapshot, from the file.
fn latest_arr(dir: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(dir.join("sample.jsonl")).unwrap();
    let mut latest: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let acc = v["account"].as_str().unwrap().to_string();
        let as_of = v["as_of"].as_str().unwrap().to_string();
        if latest.get(&acc).is_none_or(|(d, _)| *d <= as_of) {
            latest.insert(acc, (as_of, v["signals"]["arr"].as_f64().unwrap()));
        }
    }
    latest.into_iter().map(|(a, (_, x))| (a, x)).collect()
}

/// The sample's latest snapshot of each account, from the file.
fn latest_signals(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("sample.jsonl")).unwrap();
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let acc = v["account"].as_str().unwrap().to_string();
        if latest
            .get(&acc)
            .is_none_or(|old| old["as_of"].as_str() <= v["as_of"].as_str())
        {
            latest.insert(acc, v);
        }
    }
    latest.into_values().map(|v| v["signals"].clone()).collect()
}

/// The lens titles of a document by line (0-based).
async fn lenses(c: &mut Client, file: &str) -> Vec<(u64, String)> {
    let r = c
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": file}}),
        )
        .await;
    r["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|l| {
            (
                l["range"]["start"]["line"].as_u64().unwrap(),
                l["command"]["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn hover(c: &mut Client, file: &str, line: u32, ch: u32) -> String {
    let r = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": pos(line, ch)}),
        )
        .await;
    r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn codes(p: &Value) -> Vec<String> {
    p["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The lines of the fixture's declarations, for matching lenses to names.
const RULE_LINES: [(u64, &str); 5] = [
    (0, "few seats"),
    (2, "enterprise bonus"),
    (4, "huge account"),
    (6, "rescue"),
    (8, "big account"),
];
const SCHEMA_LINES: [(u64, &str); 5] = [
    (5, "adoption"),
    (11, "sentiment"),
    (14, "good"),
    (15, "watch"),
    (16, "bad"),
];

fn want(lines: &[(u64, &str)], titles: &BTreeMap<String, String>) -> Vec<(u64, String)> {
    lines
        .iter()
        .map(|(l, name)| (*l, titles[*name].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenses_hovers_warnings_and_explain_from_the_sample() {
    let dir = copy();
    let rules_path = dir.path().join("rules/rules.vital");
    let schema_path = dir.path().join("rules/schema.vital");
    let rules_file = uri(&rules_path);
    let schema_file = uri(&schema_path);
    let text = std::fs::read_to_string(&rules_path).unwrap();
    let titles = expected(dir.path());
    // the numbers are not trivial
    assert_eq!(titles["huge account"], "fires for 0 of 40 accounts (0 %)");
    assert_ne!(titles["few seats"], "fires for 0 of 40 accounts (0 %)");

    let mut c = Client::start();
    let init = c.init(&[dir.path()]).await;
    let commands = &init["result"]["capabilities"]["executeCommandProvider"]["commands"];
    assert!(
        commands
            .as_array()
            .unwrap()
            .contains(&json!("vital.explainAccount")),
        "{commands}"
    );
    c.open(&rules_file, 1, &text).await;
    // diagnostics first (without the sample), then again with its warnings
    let first = c.diagnostics(&rules_file, |_| true).await;
    assert_eq!(
        codes(&first),
        Vec::<String>::new(),
        "the check's diagnostics come first, before the sample's"
    );
    let warned = c
        .diagnostics(&rules_file, |p| {
            codes(p).contains(&"never-fires".to_string())
        })
        .await;
    let d = &warned["diagnostics"].as_array().unwrap()[0];
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"]["line"], 4);
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .starts_with("rule \"huge account\" applies to no account of the sample (40 accounts)"),
        "{d}"
    );
    // the band arm `> 200%` in the other file of the rule set
    let band = c
        .diagnostics(&schema_file, |p| {
            codes(p).contains(&"arm-never-taken".to_string())
        })
        .await;
    let d = &band["diagnostics"].as_array().unwrap()[0];
    assert_eq!(d["range"]["start"]["line"], 8);

    assert_eq!(
        lenses(&mut c, &rules_file).await,
        want(&RULE_LINES, &titles)
    );
    assert_eq!(
        lenses(&mut c, &schema_file).await,
        want(&SCHEMA_LINES, &titles)
    );

    // hover: a signal's distribution
    let latest = latest_signals(dir.path());
    let n = latest.len();
    let mut usage: Vec<f64> = latest
        .iter()
        .map(|s| s["usage"].as_f64().unwrap())
        .collect();
    usage.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rank = |q: usize| usage[(q * n).div_ceil(4).max(1) - 1];
    let h = hover(&mut c, &schema_file, 0, 9).await;
    let dist = format!(
        "**In the sample** ({n} accounts, latest snapshot each): min {}% · q1 {}% · median {}% · q3 {}% · max {}% · missing 0 %",
        num(rank(0)),
        num(rank(1)),
        num(rank(2)),
        num(rank(3)),
        num(rank(4))
    );
    assert!(
        h.contains("signal usage"),
        "the declaration stays first: {h}"
    );
    assert!(h.ends_with(&dist), "{h}\n---\n{dist}");
    // an enum: each variant's count; an optional signal: the share missing
    let h = hover(&mut c, &schema_file, 2, 9).await;
    let count = |p: &str| latest.iter().filter(|s| s["plan"] == p).count();
    assert!(
        h.ends_with(&format!(
            "basic {} · pro {} · enterprise {} · missing 0 %",
            count("basic"),
            count("pro"),
            count("enterprise")
        )),
        "{h}"
    );
    let h = hover(&mut c, &schema_file, 3, 9).await;
    let missing = latest.iter().filter(|s| s["nps"].is_null()).count();
    assert!(
        h.ends_with(&format!("missing {} %", percent(missing, n))),
        "{h}"
    );
    // a band arm: how many accounts take it
    let h = hover(&mut c, &schema_file, 6, 4).await;
    let low = usage.iter().filter(|u| **u < 20.0).count();
    assert_eq!(
        h,
        format!(
            "**In the sample**: {low} of {n} accounts ({} %) take this arm",
            percent(low, n)
        )
    );
    // on `otherwise`: what it means, then the sample's count
    let h = hover(&mut c, &schema_file, 9, 4).await;
    let other = usage.iter().filter(|u| **u >= 50.0 && **u <= 200.0).count();
    assert_eq!(
        h,
        format!(
            "```vital\nband INPUT {{ … otherwise => RESULT }} / status {{ … NAME otherwise }}\n```\n\
             A band's result when no arm's comparison holds (a missing INPUT takes no arm, not \
             even this one); in a status block, the last arm, taken when no other holds.\
             \n\n---\n\n**In the sample**: {other} of {n} accounts ({} %) take the `otherwise` arm",
            percent(other, n)
        )
    );

    // explain: the text of `vital explain`, paths relative to the rule set
    let root = dir.path().join("rules");
    let r = c
        .request(
            "workspace/executeCommand",
            json!({"command": "vital.explainAccount", "arguments": [root.to_str().unwrap(), "acct-002"]}),
        )
        .await;
    let o = support::vital_in(dir.path(), &["explain", "--account", "acct-002"]);
    assert!(o.status.success());
    assert_eq!(
        r["result"].as_str().unwrap_or_else(|| panic!("{r}")),
        support::stdout(&o).replace("at rules/", "at ")
    );
    let r = c
        .request(
            "workspace/executeCommand",
            json!({"command": "vital.explainAccount", "arguments": [root.to_str().unwrap(), "nobody"]}),
        )
        .await;
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no account `nobody`"));
    let r = c
        .request(
            "workspace/executeCommand",
            // any file of the rule set names it too
            json!({"command": "vital.sampleAccounts", "arguments": [schema_path.to_str().unwrap()]}),
        )
        .await;
    assert_eq!(r["result"].as_array().unwrap().len(), n);
    assert_eq!(r["result"][0], "acct-000");

    // an edit: the lenses follow it (computed from the same edit on disk)
    let edited = text.replace("seats > 100000", "seats > 5");
    let other_dir = copy();
    std::fs::write(other_dir.path().join("rules/rules.vital"), &edited).unwrap();
    let new_titles = expected(other_dir.path());
    assert_ne!(new_titles["huge account"], titles["huge account"]);
    c.replace(&rules_file, 2, &edited).await;
    c.diagnostics(&rules_file, |p| p["version"] == 2).await;
    let want_now = want(&RULE_LINES, &new_titles);
    let mut polls = 0;
    loop {
        let got = lenses(&mut c, &rules_file).await;
        // never the old numbers: nothing, or the new ones
        if got == want_now {
            break;
        }
        assert!(got.is_empty(), "stale lenses after the edit: {got:?}");
        polls += 1;
        assert!(polls < 400, "the lenses never followed the edit");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // the warning went with it
    let d = c
        .diagnostics(&rules_file, |p| {
            p["version"] == 2 && p["diagnostics"] == json!([])
        })
        .await;
    assert_eq!(d["diagnostics"], json!([]));

    // a rule set with errors: diagnostics still come, every time; no lens
    let broken = edited.replace("seats < 3", "seatz < 3");
    c.replace(&rules_file, 3, &broken).await;
    let d = c.diagnostics(&rules_file, |p| p["version"] == 3).await;
    assert!(codes(&d).contains(&"unknown-name".to_string()), "{d}");
    assert_eq!(lenses(&mut c, &rules_file).await, vec![]);
    let broken2 = broken.replace("plan == enterprise", "plan == enterprize");
    c.replace(&rules_file, 4, &broken2).await;
    let d = c.diagnostics(&rules_file, |p| p["version"] == 4).await;
    assert!(codes(&d).contains(&"unknown-variant".to_string()), "{d}");
    // fixed: the lenses come back
    c.replace(&rules_file, 5, &edited).await;
    c.diagnostics(&rules_file, |p| p["version"] == 5).await;
    let mut polls = 0;
    while lenses(&mut c, &rules_file).await != want_now {
        polls += 1;
        assert!(polls < 400, "the lenses never came back");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    // the sample changes on disk: the lenses follow it
    std::fs::write(&rules_path, &edited).unwrap();
    let sample = dir.path().join("sample.jsonl");
    let kept: Vec<String> = std::fs::read_to_string(&sample)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"acct-01"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sample, kept.concat()).unwrap();
    let smaller = expected(dir.path());
    assert!(
        smaller["few seats"].contains(" of 30 accounts"),
        "{smaller:?}"
    );
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&sample), "type": 2}]}),
    )
    .await;
    let want_smaller = want(&RULE_LINES, &smaller);
    let mut polls = 0;
    while lenses(&mut c, &rules_file).await != want_smaller {
        polls += 1;
        assert!(polls < 400, "the lenses never followed the sample");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    c.shutdown().await;
}

/// Without a `sample`, the history store of vital.toml is the sample: its
/// latest snapshots (with the night before), recorded here by `vital run`
/// from the sample file; the lenses are those the file gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sample_the_history_store_is_the_sample() {
    let dir = copy();
    let toml = std::fs::read_to_string(dir.path().join("vital.toml")).unwrap();
    let toml: String = toml
        .lines()
        .filter(|l| !l.starts_with("sample"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "\n[history]\nstore = \"history.db\"\n";
    std::fs::write(dir.path().join("vital.toml"), toml).unwrap();
    let o = support::vital_in(dir.path(), &["run", "--format", "jsonl", "sample.jsonl"]);
    assert!(o.status.success(), "{}", support::stderr(&o));
    assert!(
        support::stderr(&o).contains("recorded"),
        "{}",
        support::stderr(&o)
    );
    let titles = expected(dir.path());
    let rules_path = dir.path().join("rules/rules.vital");
    let rules_file = uri(&rules_path);
    let schema_path = dir.path().join("rules/schema.vital");
    let schema_file = uri(&schema_path);
    let mut c = Client::start();
    c.init(&[dir.path()]).await;
    c.open(
        &rules_file,
        1,
        &std::fs::read_to_string(&rules_path).unwrap(),
    )
    .await;
    let warned = c
        .diagnostics(&rules_file, |p| {
            codes(p).contains(&"never-fires".to_string())
        })
        .await;
    let message = warned["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("(40 accounts)"), "{message}");
    assert_eq!(
        lenses(&mut c, &rules_file).await,
        want(&RULE_LINES, &titles)
    );
    // the other file of the rule set, as it is on disk
    assert_eq!(
        lenses(&mut c, &schema_file).await,
        want(&SCHEMA_LINES, &titles)
    );
}

/// A trigger's lens counts the starts `vital run` over the sample reports:
/// a start within the playbook's cooldown of the account's earlier start
/// is held back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_on_lenses_honour_cooldowns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("rules")).unwrap();
    std::fs::write(
        d.join("vital.toml"),
        "[rulesets.main]\npath = \"rules\"\ninputs = [\"sample.jsonl\"]\nsample = \"sample.jsonl\"\n",
    )
    .unwrap();
    let rules = "signal x: int\n\nscore s weight 1 = x\n\n\
                 rule \"low\" when health < 40 trigger \"call\" cooldown 90 days\n\n\
                 rule \"never\" when x > 1000 add 1 to s\n\n\
                 status {\n  ok when health >= 40\n  low otherwise\n}\n";
    std::fs::write(d.join("rules/rules.vital"), rules).unwrap();
    let rec = |a: &str, day: &str, x: i64| {
        format!("{{\"account\": \"{a}\", \"as_of\": \"{day}\", \"signals\": {{\"x\": {x}}}}}\n")
    };
    // a: started on 09-01, not triggered on 10-01, triggered again on 11-01
    // (within 90 days of 09-01: held back); b: started on 11-01
    let sample = [
        rec("a", "2026-09-01", 10),
        rec("a", "2026-10-01", 90),
        rec("a", "2026-11-01", 10),
        rec("b", "2026-11-01", 10),
        rec("c", "2026-11-01", 90),
    ]
    .concat();
    std::fs::write(d.join("sample.jsonl"), sample).unwrap();
    let o = support::vital_in(d, &["run", "--format", "jsonl", "sample.jsonl"]);
    assert!(o.status.success(), "{}", support::stderr(&o));
    let started: Vec<(String, String, Value)> = support::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["as_of"] == "2026-11-01")
        .map(|v| {
            (
                v["account"].as_str().unwrap().to_string(),
                v["triggered"].to_string(),
                v["started"].clone(),
            )
        })
        .collect();
    assert_eq!(
        started,
        vec![
            ("a".into(), "[\"call\"]".into(), json!([])),
            ("b".into(), "[\"call\"]".into(), json!(["call"])),
            ("c".into(), "[]".into(), json!([])),
        ]
    );
    let rules_path = d.join("rules/rules.vital");
    let rules_file = uri(&rules_path);
    let mut c = Client::start();
    c.init(&[d]).await;
    c.open(&rules_file, 1, rules).await;
    c.diagnostics(&rules_file, |p| {
        codes(p).contains(&"never-fires".to_string())
    })
    .await;
    let lens = lenses(&mut c, &rules_file)
        .await
        .into_iter()
        .find(|(line, _)| *line == 4)
        .map(|(_, t)| t);
    assert_eq!(
        lens.as_deref(),
        Some("fires for 2 of 3 accounts (66.7 %) · starts \"call\" for 1")
    );
}
