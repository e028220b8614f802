//! Tables, over real JSON-RPC: (text with a cursor `|`) → the completion
//! labels offered, as a client ranks them (by `sortText`), for every
//! completion context; (text with a problem) → the text after applying its
//! quick fix; and, on the server's state, which files form a rule set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "lsp_client.rs"]
mod lsp_client;

use lsp_client::{pos, uri, Client};
use serde_json::{json, Value};
use std::path::Path;

const SCHEMA: &str = "signal arr: money\nsignal tier: enum(smb, enterprise)\nsignal feature_usage: percent\nsignal churned: bool\n\
event ticket_opened { severity: enum(low, high) }\nconst big_deal = 100k\n\
score adoption weight 40 = 50\nscore support weight 60 = 50\n\
status {\n  good when health >= 50\n  bad  otherwise\n}\n\
when arr > 1 trigger \"call them\"\nwhen arr > 2 trigger \"send flowers\"\n";

const TEST_HEAD: &str = "test \"t\" {\n  as_of 2026-11-01\n";

/// (text with `|`, how to compare, labels)
enum Want {
    /// Exactly these labels, in this order.
    Exactly(&'static [&'static str]),
    /// These labels first, in this order.
    First(&'static [&'static str]),
    /// These labels among the first ten.
    Among(&'static [&'static str]),
    /// None of these labels.
    Without(&'static [&'static str]),
}
use Want::*;

fn cases() -> Vec<(String, Want)> {
    let t = |body: &str| format!("{TEST_HEAD}{body}");
    vec![
        // a score's expression and an adjustment's amount cannot read the
        // results (score-reads-score); no operand starts with a word that
        // follows one
        (
            "score x weight 10 = |".into(),
            Without(&[
                "adoption",
                "support",
                "health",
                "status",
                "x",
                "where",
                "within",
                "and",
                "or",
                "is missing",
            ]),
        ),
        (
            "score s weight 1 = band arr {\n  >= 1 => |".into(),
            Without(&["adoption", "health", "status"]),
        ),
        (
            "when arr > 1 add |".into(),
            Without(&["adoption", "support", "health"]),
        ),
        (
            "when |".into(),
            Without(&["where", "within", "and", "or", "is missing"]),
        ),
        // … which a trigger's condition may read
        ("when |".into(), Among(&["health"])),
        ("when | > 50 trigger \"call\"\n".into(), Among(&["health"])),
        // an adjustment's condition, its action already written, may not
        (
            "when | > 50 add 1 to support\n".into(),
            Without(&["health", "adoption", "status"]),
        ),
        // scores after `to` / `from`
        (
            "when arr > 1 add 5 to |".into(),
            Exactly(&["adoption", "support"]),
        ),
        (
            "when arr > 1 subtract 5 from |".into(),
            Exactly(&["adoption", "support"]),
        ),
        // variants after `==` / `!=` / `in (` on an enum — the item does not parse
        ("when tier == |".into(), Exactly(&["enterprise", "smb"])),
        ("when tier != |".into(), Exactly(&["enterprise", "smb"])),
        ("when tier in (|".into(), Exactly(&["enterprise", "smb"])),
        (
            "when tier not in (smb, |".into(),
            Exactly(&["enterprise", "smb"]),
        ),
        // … also in an item that parses
        (
            "when tier == | add 1 to support\n".into(),
            Exactly(&["enterprise", "smb"]),
        ),
        // statuses after `status ==`, in declaration order
        ("when status == |".into(), Exactly(&["good", "bad"])),
        // a field of the event inside `where`, and its variants
        (
            "when count(ticket_opened where |".into(),
            First(&["severity"]),
        ),
        (
            "when count(ticket_opened where severity == |".into(),
            Exactly(&["high", "low"]),
        ),
        // units after `within N`
        (
            "when count(ticket_opened within 30 |".into(),
            Exactly(&["days", "weeks", "months", "years"]),
        ),
        // a duration argument
        (
            "when change(arr, 30 |".into(),
            First(&["days", "weeks", "months", "years"]),
        ),
        // `where` / `within` after an event
        (
            "when count(ticket_opened |".into(),
            First(&["where", "within"]),
        ),
        // constants of the other operand's type first (thresholds), then
        // its names
        ("when arr >= |".into(), First(&["big_deal", "arr"])),
        ("when feature_usage < |".into(), First(&["feature_usage"])),
        // after a condition: what continues it
        (
            "when arr > 1 |".into(),
            First(&["add", "and", "or", "subtract", "trigger"]),
        ),
        // a condition on a result can only trigger (adjustments may not
        // read scores, health or status)
        (
            "when health < 40 |".into(),
            First(&["and", "or", "trigger"]),
        ),
        ("when health < 40 |".into(), Without(&["add", "subtract"])),
        (
            "when arr > 1 and status == bad |".into(),
            Without(&["add", "subtract"]),
        ),
        ("when adoption < 30 |".into(), Without(&["add", "subtract"])),
        ("when arr > 1 add 5 |".into(), First(&["to"])),
        ("when arr > 1 subtract 5 |".into(), First(&["from"])),
        (
            "rule \"r\" |".into(),
            Exactly(&["add", "subtract", "trigger", "when"]),
        ),
        ("when arr is |".into(), Exactly(&["missing", "not"])),
        // a fresh line: declarations
        (
            "|".into(),
            First(&[
                "signal", "event", "const", "score", "status", "rule", "when", "test",
            ]),
        ),
        (
            "when arr > 1 add 1 to support\n|".into(),
            First(&["signal", "event"]),
        ),
        // types after `:`
        ("signal x: |".into(), First(&["bool", "date", "duration"])),
        // playbooks after `trigger` and `expect triggered`
        (
            "when arr > 3 trigger |".into(),
            Exactly(&["\"call them\"", "\"send flowers\""]),
        ),
        (
            t("  expect triggered |"),
            Exactly(&["\"call them\"", "\"send flowers\""]),
        ),
        (
            t("  expect not triggered |"),
            Exactly(&["\"call them\"", "\"send flowers\""]),
        ),
        // what a test expects: the results, then `not` / `triggered`
        (
            t("  expect |"),
            First(&[
                "adoption",
                "support",
                "health",
                "status",
                "not",
                "started",
                "triggered",
            ]),
        ),
        (t("  expect not |"), First(&["triggered", "started"])),
        // playbooks after `expect [not] started`
        (
            t("  expect started |"),
            Exactly(&["\"call them\"", "\"send flowers\""]),
        ),
        (
            t("  expect not started |"),
            Exactly(&["\"call them\"", "\"send flowers\""]),
        ),
        // a trigger's clauses, in either order, each once
        (
            "signal csm: text\nwhen arr > 3 trigger \"call them\" |".into(),
            Exactly(&["cooldown", "owner"]),
        ),
        (
            "signal csm: text\nwhen arr > 3 trigger \"call them\" cooldown 30 days |".into(),
            Exactly(&["owner"]),
        ),
        (
            "signal csm: text\nwhen arr > 3 trigger \"call them\" owner csm |".into(),
            Exactly(&["cooldown"]),
        ),
        (
            "signal csm: text\nwhen arr > 3 trigger \"call them\" owner csm cooldown 2 weeks |"
                .into(),
            Exactly(&[]),
        ),
        (
            "when arr > 3 trigger \"call them\" cooldown 30 |".into(),
            Exactly(&["days", "weeks", "months", "years"]),
        ),
        (
            "when arr > 3 trigger \"call them\" cooldown 1 |".into(),
            Exactly(&["day", "week", "month", "year"]),
        ),
        // after `owner`: the text and enum signals (a signal named `owner` too)
        (
            "signal owner: text\nwhen arr > 3 trigger \"call them\" owner |".into(),
            Exactly(&["owner", "tier"]),
        ),
        (
            "signal csm: text\nwhen arr > 3 trigger \"call them\" cooldown 3 days owner |".into(),
            Exactly(&["csm", "tier"]),
        ),
        // a new line after a trigger starts a new declaration
        (
            "when arr > 3 trigger \"call them\"\n|".into(),
            First(&["signal", "event"]),
        ),
        // inside a test
        (
            t("  |"),
            First(&[
                "as_of",
                "given",
                "events",
                "history",
                "expect",
                "expect triggered",
            ]),
        ),
        (
            t("  given {\n    |"),
            Among(&["arr", "churned", "feature_usage", "tier"]),
        ),
        (
            t("  given {\n    tier = |"),
            Exactly(&["enterprise", "smb"]),
        ),
        (t("  given {\n    churned = |"), Exactly(&["false", "true"])),
        (t("  given { arr = 5 |"), Among(&["tier"])),
        (t("  events {\n    |"), Exactly(&["ticket_opened"])),
        (t("  events {\n    ticket_opened |"), Exactly(&["on"])),
        (
            t("  events {\n    ticket_opened on 2026-10-01 { |"),
            Exactly(&["severity"]),
        ),
        (
            t("  events {\n    ticket_opened on 2026-10-01 { severity = |"),
            Exactly(&["high", "low"]),
        ),
        (t("  history {\n    |"), Exactly(&["on"])),
        (
            t("  history {\n    on 2026-10-01 {\n      |"),
            Among(&["arr", "tier"]),
        ),
        // `E.`: the event's fields
        ("when avg(ticket_opened.|".into(), Exactly(&["severity"])),
        // where an amount starts: the functions that compute one first
        (
            "when arr > 1 add |".into(),
            First(&["min", "count", "max", "clamp", "round"]),
        ),
        // a date parameter: the functions that give a date
        ("when days_since(|".into(), First(&["last", "first"])),
        // `previous(`/`change(`: what has a history
        (
            "when change(|".into(),
            Among(&["arr", "adoption", "health"]),
        ),
        // a type from the operand after the cursor
        ("when | >= big_deal\n".into(), First(&["big_deal"])),
        // a new name is being declared: nothing
        ("signal x: enum(a, |".into(), Exactly(&[])),
        ("event e { a: int, |".into(), Exactly(&[])),
        // `1 year`, `2 years`
        (
            "const w = 1 |".into(),
            First(&["day", "week", "month", "year"]),
        ),
        // a band's next arm
        (
            "score s weight 1 = band arr {\n  >= 1 => 2\n  |".into(),
            Exactly(&["otherwise"]),
        ),
        // a status block: after an arm's name
        (
            "status {\n  great |".into(),
            Exactly(&["otherwise", "when"]),
        ),
    ]
}

/// Labels as a client shows them: sorted by `sortText`, else by label.
fn ranked(result: &Value) -> Vec<String> {
    let mut items: Vec<(String, String)> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let label = i["label"].as_str().unwrap().to_string();
            let sort = i["sortText"].as_str().map_or(label.clone(), String::from);
            (sort, label)
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, l)| l).collect()
}

/// The position of `|` in `text`, and the text without it (ASCII texts).
fn cursor(text: &str) -> (String, u32, u32) {
    let at = text.find('|').expect("a cursor");
    let before = &text[..at];
    let line = before.matches('\n').count() as u32;
    let col = (at - before.rfind('\n').map_or(0, |i| i + 1)) as u32;
    (text.replacen('|', "", 1), line, col)
}

fn set_up() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("a_schema.vital"), SCHEMA).unwrap();
    let probe = uri(&rules.join("probe.vital"));
    (dir, probe)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_in_every_context() {
    let (dir, probe) = set_up();
    let mut c = Client::start();
    c.init(&[dir.path()]).await;
    c.open(&probe, 0, "").await;
    let mut failures = Vec::new();
    for (v, (case, want)) in cases().into_iter().enumerate() {
        let (text, line, col) = cursor(&case);
        c.replace(&probe, v as i32 + 1, &text).await;
        let r = c
            .request(
                "textDocument/completion",
                json!({"textDocument": {"uri": probe}, "position": pos(line, col)}),
            )
            .await;
        let got = ranked(&r["result"]);
        let ok = match &want {
            Exactly(w) => got == *w,
            First(w) => got.len() >= w.len() && got[..w.len()] == **w,
            Among(w) => w.iter().all(|x| got.iter().take(10).any(|g| g == x)),
            Without(w) => w.iter().all(|x| !got.iter().any(|g| g == x)),
        };
        if !ok {
            let w = match want {
                Exactly(w) => format!("exactly {w:?}"),
                First(w) => format!("first {w:?}"),
                Among(w) => format!("among the first ten {w:?}"),
                Without(w) => format!("none of {w:?}"),
            };
            failures.push(format!("{case:?}\n  want {w}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    c.shutdown().await;
}

/// Apply LSP text edits to an ASCII text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let col = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + col
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (a, b, t) in spans {
        out.replace_range(a..b, &t);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_quick_fix_and_its_edit() {
    let t = |body: &str| format!("{TEST_HEAD}{body}\n}}\n");
    // (text with `|` on the problem, title, text after the fix)
    let cases: Vec<(String, &str, String)> = vec![
        (
            "when |tir == smb add 1 to support\n".into(),
            "change to `tier`",
            "when tier == smb add 1 to support\n".into(),
        ),
        (
            "when feature_usage < |20 add 1 to support\n".into(),
            "write 20%",
            "when feature_usage < 20% add 1 to support\n".into(),
        ),
        (
            "when count(ticket_opened within |30) > 1 add 1 to support\n".into(),
            "write `30 days`",
            "when count(ticket_opened within 30 days) > 1 add 1 to support\n".into(),
        ),
        (
            "score x weight 1 = |band arr { < 10 => 1 }\n".into(),
            "add `otherwise => 0`",
            "score x weight 1 = band arr { < 10 => 1 otherwise => 0 }\n".into(),
        ),
        (
            "rule |big when arr > 1 add 1 to support\n".into(),
            "write \"big\"",
            "rule \"big\" when arr > 1 add 1 to support\n".into(),
        ),
        (
            t("  given { feature_usage = |50 }\n  expect support == 50"),
            "write 50%",
            t("  given { feature_usage = 50% }\n  expect support == 50"),
        ),
        // mid-line slips: another language's `&&`, `=` for `==`, a misspelt
        // keyword, a test value in quotes
        (
            "when arr > 1 |&& arr < 5 add 1 to support\n".into(),
            "write `and`",
            "when arr > 1 and arr < 5 add 1 to support\n".into(),
        ),
        (
            "when tier |= smb add 1 to support\n".into(),
            "write `==`",
            "when tier == smb add 1 to support\n".into(),
        ),
        (
            "when arr > 1 |subtrct 1 from support\n".into(),
            "write `subtract`",
            "when arr > 1 subtract 1 from support\n".into(),
        ),
        (
            t("  given { arr = |\"5\" }\n  expect support == 50"),
            "write 5",
            t("  given { arr = 5 }\n  expect support == 50"),
        ),
        (
            t("  given { arr = 1 }\n  expect triggered |\"call them!\""),
            "change to \"call them\"",
            t("  given { arr = 1 }\n  expect triggered \"call them\""),
        ),
    ];
    let (dir, probe) = set_up();
    let mut c = Client::start();
    c.init(&[dir.path()]).await;
    c.open(&probe, 0, "").await;
    for (v, (case, title, fixed)) in cases.into_iter().enumerate() {
        let (text, line, col) = cursor(&case);
        c.replace(&probe, v as i32 + 1, &text).await;
        let r = c
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": probe}, "range": {"start": pos(line, col), "end": pos(line, col)},
                       "context": {"diagnostics": []}}),
            )
            .await;
        let actions = r["result"].as_array().unwrap();
        let action = actions
            .iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("{case:?}: no action {title:?} in {actions:?}"));
        assert_eq!(action["kind"], "quickfix");
        let edits = action["edit"]["changes"][&probe].as_array().unwrap();
        assert_eq!(apply(&text, edits), fixed, "{case:?}");
    }
    // a status block without `otherwise`, in a rule set of its own
    let other = tempfile::tempdir().unwrap();
    let path = other.path().join("s.vital");
    let text = "signal x: int\nscore s weight 1 = x\nstatus {\n  good when health >= 50\n}\n";
    std::fs::write(&path, text).unwrap();
    let u = uri(&path);
    c.open(&u, 1, text).await;
    let r = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": {"start": pos(2, 0), "end": pos(2, 0)},
                   "context": {"diagnostics": []}}),
        )
        .await;
    // the likely fix first (and preferred): the last arm takes the rest
    let action = &r["result"][0];
    assert_eq!(action["title"], "make `good` the `otherwise` arm");
    assert_eq!(action["isPreferred"], true);
    let edits = action["edit"]["changes"][&u].as_array().unwrap();
    assert_eq!(
        apply(text, edits),
        "signal x: int\nscore s weight 1 = x\nstatus {\n  good otherwise\n}\n"
    );
    // or an arm of its own, with a name no arm has, indented as arms are
    let action = &r["result"][1];
    assert_eq!(action["title"], "add an arm `other otherwise`");
    assert_eq!(action["isPreferred"], false);
    let edits = action["edit"]["changes"][&u].as_array().unwrap();
    assert_eq!(
        apply(text, edits),
        "signal x: int\nscore s weight 1 = x\nstatus {\n  good when health >= 50\n  other otherwise\n}\n"
    );
    // a share written as a fraction where a percent is expected: 50% first
    // (preferred), 0.5% second
    let p = other.path().join("p.vital");
    let text = "signal u: percent\nscore s weight 1 = 50\nrule \"r\" when u < 0.5 add 1 to s\nstatus {\n  good otherwise\n}\n";
    std::fs::write(&p, text).unwrap();
    let pu = uri(&p);
    c.open(&pu, 1, text).await;
    let r = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": pu}, "range": {"start": pos(2, 17), "end": pos(2, 17)},
                   "context": {"diagnostics": []}}),
        )
        .await;
    let titles: Vec<(&str, bool)> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["title"].as_str().unwrap(), a["isPreferred"] == true))
        .collect();
    assert_eq!(titles, [("write 50%", true), ("write 0.5%", false)]);
    let edits = r["result"][0]["edit"]["changes"][&pu].as_array().unwrap();
    assert!(apply(text, edits).contains("when u < 50% add"));
    c.shutdown().await;
}

/// Which files form the rule set of an opened file (relative to `base`),
/// and its root.
fn rule_set_of(folders: &[&Path], open: &Path, text: Option<&str>) -> (String, Vec<String>) {
    let mut state = vital_lsp::State::new();
    state.folders = folders.iter().map(|p| p.to_path_buf()).collect();
    if let Some(t) = text {
        state.open(open.to_path_buf(), t.to_string(), 1);
    }
    let a = state.analysis(open);
    let files = a.sources.files().map(|(_, f)| f.path.clone()).collect();
    (a.root.display().to_string(), files)
}

#[test]
fn which_files_form_a_rule_set() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("ws");
    let w = |rel: &str| {
        let p = ws.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "").unwrap();
        p
    };
    let s = |p: &Path| p.display().to_string();
    // a subdirectory joins its parent when the parent has rule files
    w("rules/a.vital");
    let b = w("rules/scores/b.vital");
    assert_eq!(
        rule_set_of(&[&ws], &b, None),
        (
            s(&ws.join("rules")),
            vec!["a.vital".into(), "scores/b.vital".into()]
        )
    );
    // the chain stops at a directory without rule files
    let deep = w("other/x/y.vital");
    assert_eq!(
        rule_set_of(&[&ws], &deep, None),
        (s(&ws.join("other/x")), vec!["y.vital".into()])
    );
    // an unsaved document joins its directory's set, in path order
    let new = ws.join("rules/aa.vital");
    assert_eq!(
        rule_set_of(&[&ws], &new, Some("signal z: int\n")).1,
        vec!["a.vital", "aa.vital", "scores/b.vital"]
    );
    // never above the workspace folder (the folder's parent has rule files)
    std::fs::write(d.path().join("outside.vital"), "").unwrap();
    w("top.vital");
    let (root, files) = rule_set_of(&[&ws], &b, None);
    assert_eq!(root, s(&ws));
    assert_eq!(
        files,
        vec![
            "other/x/y.vital",
            "rules/a.vital",
            "rules/scores/b.vital",
            "top.vital"
        ]
    );
    // outside every workspace folder: the file's own directory
    let elsewhere = tempfile::tempdir().unwrap();
    let lone = elsewhere.path().join("sub/lone.vital");
    std::fs::create_dir_all(lone.parent().unwrap()).unwrap();
    std::fs::write(&lone, "").unwrap();
    std::fs::write(elsewhere.path().join("parent.vital"), "").unwrap();
    assert_eq!(
        rule_set_of(&[&ws], &lone, None),
        (s(lone.parent().unwrap()), vec!["lone.vital".into()])
    );
    // a linked directory is part of the set, each file once
    #[cfg(unix)]
    {
        let shared = tempfile::tempdir().unwrap();
        std::fs::write(shared.path().join("common.vital"), "").unwrap();
        std::os::unix::fs::symlink(shared.path(), ws.join("rules/shared")).unwrap();
        std::os::unix::fs::symlink(ws.join("rules/a.vital"), ws.join("rules/z.vital")).unwrap();
        assert_eq!(
            rule_set_of(&[&ws], &b, None).1,
            vec![
                "other/x/y.vital",
                "rules/a.vital",
                "rules/scores/b.vital",
                "rules/shared/common.vital",
                "top.vital"
            ]
        );
    }
}
