//! The "run test" lens over real JSON-RPC: `vital.runTest` runs exactly the
//! test it names (not every test whose name contains it), in process, on the
//! rule set as the editor holds it; the verdict comes back in full (verdict
//! first, then why — also when the rule set does not compile); and the lens
//! follows edits (FAILED turns back to passed once the rules are fixed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "lsp_client.rs"]
mod lsp_client;

use lsp_client::{uri, Client};
use serde_json::{json, Value};

const RULES: &str = "signal x: int\nscore s weight 1 = x\nstatus {\n  good when health >= 50\n  bad  otherwise\n}\n\
test \"health\" {\n  as_of 2026-11-01\n  given { x = 80 }\n  expect status == good\n}\n\
test \"health drops\" {\n  as_of 2026-11-01\n  given { x = 10 }\n  expect status == good\n}\n\
test \"low health\" {\n  as_of 2026-11-01\n  given { x = 10 }\n  expect status == bad\n}\n";

async fn run(c: &mut Client, root: &str, name: &str) -> Value {
    let r = c
        .request(
            "workspace/executeCommand",
            json!({"command": "vital.runTest", "arguments": [root, name]}),
        )
        .await;
    assert!(r["error"].is_null(), "{r}");
    r["result"].clone()
}

/// Lens titles of a document, by test name.
async fn lenses(c: &mut Client, file: &str) -> Vec<(String, String)> {
    let r = c
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": file}}),
        )
        .await;
    r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["command"]["arguments"][1].as_str().unwrap().to_string(),
                l["command"]["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lens_runs_exactly_its_test_and_follows_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.vital");
    std::fs::write(&path, RULES).unwrap();
    let file = uri(&path);
    let root = dir.path().to_str().unwrap().to_string();
    let mut c = Client::start();
    c.init(&[dir.path()]).await;
    c.open(&file, 1, RULES).await;
    c.diagnostics(&file, |_| true).await;

    assert_eq!(
        lenses(&mut c, &file).await,
        pairs(&[
            ("health", "▶ run test"),
            ("health drops", "▶ run test"),
            ("low health", "▶ run test"),
        ])
    );

    // "health" alone: a substring filter would also run "health drops",
    // which fails
    let r = run(&mut c, &root, "health").await;
    assert_eq!(r["passed"], true, "{r}");
    assert_eq!(r["summary"], "passed: test \"health\"");

    // a failing test: the verdict first, then the expectation and what the
    // rules computed; the whole report in the log
    let r = run(&mut c, &root, "health drops").await;
    assert_eq!(r["passed"], false, "{r}");
    assert_eq!(
        r["summary"],
        "FAILED: test \"health drops\": expect status == good: left side is bad, right side is good"
    );
    let details = r["details"].as_str().unwrap();
    assert!(
        details.starts_with("test \"health drops\" (t.vital:12:6) FAILED: 1 expectation not met"),
        "{details}"
    );
    assert!(
        details.contains(
            "expect status == good  at t.vital:15:3\n    left side is bad, right side is good"
        ),
        "{details}"
    );
    let shown = c.take("window/showMessage");
    let last = &shown.last().unwrap()["params"];
    assert_eq!(last["type"], 1, "an error toast");
    assert_eq!(last["message"], r["summary"]);
    let logged = c.take("window/logMessage");
    assert_eq!(logged.last().unwrap()["params"]["message"], details);
    assert!(
        c.server_requests
            .iter()
            .any(|m| m["method"] == "workspace/codeLens/refresh"),
        "the client is asked to redraw the lenses"
    );

    assert_eq!(
        lenses(&mut c, &file).await,
        pairs(&[
            ("health", "▶ run test — passed"),
            ("health drops", "▶ run test — FAILED"),
            ("low health", "▶ run test"),
        ])
    );

    // fix the rules (unsaved): the lens turns back to passed
    c.server_requests.clear();
    let fixed = RULES.replace("health >= 50", "health >= 5");
    c.replace(&file, 2, &fixed).await;
    c.diagnostics(&file, |p| p["version"] == 2).await;
    // after publishing, the server asks the client to redraw the lenses
    let refresh = c.request("workspace/symbol", json!({"query": "zzz"})).await;
    assert!(refresh["error"].is_null());
    assert!(
        c.server_requests
            .iter()
            .any(|m| m["method"] == "workspace/codeLens/refresh"),
        "{:?}",
        c.server_requests
    );
    assert_eq!(
        lenses(&mut c, &file).await,
        pairs(&[
            ("health", "▶ run test — passed"),
            ("health drops", "▶ run test — passed"),
            ("low health", "▶ run test"),
        ])
    );

    // a rule set that does not compile: FAILED, and why
    let broken = fixed.replace("score s weight 1 = x", "score s weight 1 = y");
    c.replace(&file, 3, &broken).await;
    c.diagnostics(&file, |p| p["version"] == 3).await;
    assert_eq!(
        lenses(&mut c, &file).await,
        pairs(&[
            ("health", "▶ run test — FAILED"),
            ("health drops", "▶ run test — FAILED"),
            ("low health", "▶ run test"),
        ])
    );
    let r = run(&mut c, &root, "health").await;
    assert_eq!(r["passed"], false);
    let summary = r["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "FAILED: test \"health\": the rule set does not compile (1 error; first: t.vital:2:20: error: "
        ),
        "{summary}"
    );
    assert!(summary.contains("`y`"), "{summary}");
    let details = r["details"].as_str().unwrap();
    assert!(details.contains("t.vital:2:20: error: "), "{details}");

    // fixed again: passed again
    c.replace(&file, 4, &fixed).await;
    c.diagnostics(&file, |p| p["version"] == 4).await;
    assert_eq!(
        lenses(&mut c, &file).await[0],
        ("health".to_string(), "▶ run test — passed".to_string())
    );

    // a name that is no test
    let r = run(&mut c, &root, "heal").await;
    assert_eq!(r["passed"], false);
    assert_eq!(
        r["summary"],
        "FAILED: test \"heal\": the rule set has no test of that name"
    );
    c.shutdown().await;
}
