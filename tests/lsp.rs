//! The language server over real JSON-RPC framing, in process, on a
//! `tokio::io::duplex` pipe: initialize → open a multi-file rule set → edit
//! → diagnostics → completion → hover → definition → references → rename →
//! formatting → semantic tokens → code action → … → shutdown/exit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "lsp_client.rs"]
mod lsp_client;

use lsp_client::{pos, uri, Client};
use serde_json::{json, Value};
const SCHEMA: &str = "## Annual recurring revenue.\nsignal arr: money\nsignal tier: enum(enterprise, smb)\nsignal feature_usage: percent\nevent ticket_opened { severity: enum(low, high) }\n";
const SCORES: &str = "score adoption weight 40 = band feature_usage { < 20% => 10  otherwise => 90 }\nscore support weight 60 = 100 - 10 * count(ticket_opened within 30 days)\nstatus {\n  good when health >= 50\n  bad  otherwise\n}\n";
const RULES: &str = "when tier == enterprise and arr >= 100k add 5 to support\nwhen feature_usage < 20 subtract 10 from adoption\nwhen logins > 3 add 1 to support\ntest \"big\" {\n  as_of 2026-11-01\n  given { tier = enterprise arr = 200k feature_usage = 50% }\n  expect support == 100\n}\n";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("a_schema.vital"), SCHEMA).unwrap();
    std::fs::write(rules.join("b_scores.vital"), SCORES).unwrap();
    std::fs::write(rules.join("c_rules.vital"), RULES).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_editing_session() {
    let dir = workspace();
    let root = dir.path().join("rules");
    let schema = uri(&root.join("a_schema.vital"));
    let scores = uri(&root.join("b_scores.vital"));
    let rules = uri(&root.join("c_rules.vital"));
    let mut c = Client::start();

    // initialize
    let init = c
        .request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {},
                   "workspaceFolders": [{"uri": uri(dir.path()), "name": "ws"}]}),
        )
        .await;
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"], 2, "incremental sync");
    for cap in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentFormattingProvider",
        "documentRangeFormattingProvider",
        "semanticTokensProvider",
        "codeActionProvider",
        "inlayHintProvider",
        "codeLensProvider",
        "signatureHelpProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
        "documentHighlightProvider",
    ] {
        assert!(!caps[cap].is_null(), "missing capability {cap}");
    }
    c.notify("initialized", json!({})).await;

    // open the rules file only: the other files of the set come from disk
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules, "languageId": "vital", "version": 1, "text": RULES}}),
    )
    .await;
    let d = c.diagnostics(&rules, |_| true).await;
    assert_eq!(d["version"], 1);
    let codes: Vec<&str> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["percent-mismatch", "unknown-name"]);
    let unknown = &d["diagnostics"][1];
    assert_eq!(
        unknown["range"],
        json!({"start": pos(2, 5), "end": pos(2, 11)})
    );
    assert_eq!(unknown["severity"], 1);
    // Problems shows `source(code)`: `vital(unknown-name)`, not `vital(vital::unknown-name)`
    assert_eq!(unknown["source"], "vital");
    // the message is plain text: names quoted ‘so’, not in Markdown backticks
    // (`vital check` keeps them)
    let message = unknown["message"].as_str().unwrap();
    assert!(message.contains("‘logins’"), "{message}");
    assert!(!message.contains('`'), "{message}");

    // code action: the quick fix for the percent
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": rules}, "range": {"start": pos(1, 5), "end": pos(1, 10)},
                   "context": {"diagnostics": []}}),
        )
        .await;
    let action = &actions["result"][0];
    assert_eq!(action["title"], "write 20%");
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][&rules][0];
    assert_eq!(edit["newText"], "20%");
    assert_eq!(
        edit["range"],
        json!({"start": pos(1, 21), "end": pos(1, 23)})
    );

    // edit: apply that fix with an incremental change; the percent error goes
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules, "version": 2},
               "contentChanges": [{"range": {"start": pos(1, 21), "end": pos(1, 23)}, "text": "20%"}]}),
    )
    .await;
    let d = c.diagnostics(&rules, |p| p["version"] == 2).await;
    assert_eq!(d["diagnostics"].as_array().unwrap().len(), 1);

    // an edit in the schema fixes the error in the rules file
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": schema, "languageId": "vital", "version": 1, "text": SCHEMA}}),
    )
    .await;
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": schema, "version": 2},
               "contentChanges": [{"range": {"start": pos(5, 0), "end": pos(5, 0)}, "text": "signal logins: int\n"}]}),
    )
    .await;
    let d = c
        .diagnostics(&rules, |p| {
            p["diagnostics"].as_array().is_some_and(|a| a.is_empty())
        })
        .await;
    assert_eq!(d["version"], 2);

    // completion after `to `: the scores
    let comp = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 51)}),
        )
        .await;
    let labels: Vec<&str> = comp["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["adoption", "support"]);
    // after `tier == `: the variants
    let comp = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 13)}),
        )
        .await;
    let labels: Vec<&str> = comp["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["enterprise", "smb"]);

    // in a status arm after `status ==`? statuses come after `status ==` in triggers
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": scores, "languageId": "vital", "version": 1, "text": SCORES}}),
    )
    .await;
    let probe = format!("{SCORES}when status == \nwhen count(ticket_opened where sev) > 1 trigger \"x\"\nwhen ticket_opened within 3 \n");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": scores, "version": 2}, "contentChanges": [{"text": probe}]}),
    )
    .await;
    let labels = |v: &Value| -> Vec<String> {
        v["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let comp = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": scores}, "position": pos(6, 15)}),
        )
        .await;
    assert_eq!(labels(&comp), vec!["good", "bad"]);
    let comp = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": scores}, "position": pos(7, 34)}),
        )
        .await;
    let l = labels(&comp);
    assert_eq!(l[0], "severity", "event fields first inside `where`: {l:?}");
    let detail = comp["result"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("enum(low, high)"), "{detail}");
    let comp = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": scores}, "position": pos(8, 28)}),
        )
        .await;
    assert_eq!(labels(&comp), vec!["days", "weeks", "months", "years"]);
    // a fresh line offers the declaration snippets
    let comp = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": scores}, "position": pos(9, 0)}),
        )
        .await;
    assert!(
        labels(&comp).contains(&"signal".to_string())
            && labels(&comp).contains(&"test".to_string())
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": scores, "version": 3}, "contentChanges": [{"text": SCORES}]}),
    )
    .await;

    // hover on a signal: type, doc comment
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 29)}),
        )
        .await;
    let md = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(md.contains("signal arr: money"), "{md}");
    assert!(md.contains("Annual recurring revenue."), "{md}");
    // on a score: weight and share of health
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 52)}),
        )
        .await;
    let md = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("score support weight 60") && md.contains("60% of health"),
        "{md}"
    );
    // on `health` in a status arm: what it is, with the weights
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": scores}, "position": pos(3, 13)}),
        )
        .await;
    let md = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(
        md.contains("health: number") && md.contains("Weights here: adoption 40, support 60"),
        "{hover}"
    );
    // on a keyword: what it does
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": scores}, "position": pos(0, 28)}),
        )
        .await;
    let md = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(
        md.contains("band INPUT {") && md.contains("first arm"),
        "{hover}"
    );
    // every other keyword, type name and duration unit says what it is
    for (doc, line, col, want) in [
        (&schema, 1, 0, "signal NAME: TYPE[?]"),
        (&schema, 1, 12, "in the account's currency"),
        (&schema, 3, 22, "Percentage points"),
        (&schema, 4, 0, "event NAME"),
        (&schema, 2, 13, "enum(A, B, …)"),
        (&scores, 0, 0, "score NAME weight W [= BASE]"),
        (&scores, 1, 67, "N days / N weeks"),
        (
            &rules,
            0,
            24,
            "Three-valued: false when either side is false",
        ),
        (&rules, 0, 40, "add AMOUNT to SCORE"),
        (&rules, 0, 46, "The score the adjustment changes"),
        // (line 1 reads `< 20%` since the quick fix above)
        (&rules, 1, 25, "subtract AMOUNT from SCORE"),
        (&rules, 1, 37, "The score the adjustment changes"),
        (&rules, 3, 0, "scored by `vital test`"),
        (&rules, 4, 2, "as_of DATE"),
        (&rules, 5, 2, "given { SIGNAL = VALUE … }"),
        (&rules, 6, 2, "a missing condition fails"),
    ] {
        let hover = c
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": doc}, "position": pos(line, col)}),
            )
            .await;
        let md = hover["result"]["contents"]["value"].as_str().unwrap_or("");
        assert!(md.contains(want), "{line}:{col}: {hover}");
    }

    // definition of `arr` is in the schema file
    let def = c
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 29)}),
        )
        .await;
    assert_eq!(def["result"]["uri"], schema);
    assert_eq!(
        def["result"]["range"],
        json!({"start": pos(1, 7), "end": pos(1, 10)})
    );

    // references of `feature_usage` across files
    let refs = c
        .request(
            "textDocument/references",
            json!({"textDocument": {"uri": schema}, "position": pos(3, 10), "context": {"includeDeclaration": true}}),
        )
        .await;
    let files: Vec<&str> = refs["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&schema.as_str())
            && files.contains(&scores.as_str())
            && files.contains(&rules.as_str()),
        "{files:?}"
    );

    // rename: refused on a keyword and on a clash, done across files
    let r = c
        .request(
            "textDocument/prepareRename",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 1)}),
        )
        .await;
    assert!(
        r["error"]["message"].as_str().unwrap().contains("keyword"),
        "{r}"
    );
    let r = c
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 29), "newName": "tier"}),
        )
        .await;
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already declared"),
        "{r}"
    );
    let r = c
        .request(
            "textDocument/prepareRename",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 29)}),
        )
        .await;
    assert_eq!(r["result"], json!({"start": pos(0, 28), "end": pos(0, 31)}));
    let r = c
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 29), "newName": "revenue"}),
        )
        .await;
    let changes = r["result"]["changes"].as_object().unwrap();
    assert_eq!(changes[&schema][0]["newText"], "revenue");
    assert_eq!(
        changes[&rules].as_array().unwrap().len(),
        2,
        "the rule and the test"
    );

    // formatting
    let f = c.request("textDocument/formatting", json!({"textDocument": {"uri": rules}, "options": {"tabSize": 2, "insertSpaces": true}})).await;
    let new_text = f["result"][0]["newText"].as_str().unwrap();
    assert!(
        new_text.contains("  given {\n    tier = enterprise\n"),
        "{new_text}"
    );

    // semantic tokens: `tier` is a signal, `enterprise` a variant
    let legend: Vec<String> = caps["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let st = c
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": rules}}),
        )
        .await;
    let data: Vec<u64> = st["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let mut line = 0;
    let mut col = 0;
    let mut found = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        if line == 0 {
            found.push((col, t[2], legend[t[4 - 1] as usize].clone()));
        }
    }
    assert_eq!(found[0], (0, 4, "keyword".to_string()));
    assert_eq!(found[1], (5, 4, "signal".to_string()));
    assert_eq!(found[3], (13, 10, "enumMember".to_string()));

    // inlay hints: each score's share of health
    let hints = c.request("textDocument/inlayHint", json!({"textDocument": {"uri": scores}, "range": {"start": pos(0, 0), "end": pos(9, 0)}})).await;
    let labels: Vec<&str> = hints["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["40% of health", "60% of health"]);
    // only those in the range asked for
    let first = hints["result"][0]["position"]["line"].as_u64().unwrap() as u32;
    let hints = c.request("textDocument/inlayHint", json!({"textDocument": {"uri": scores}, "range": {"start": pos(first, 0), "end": pos(first, 200)}})).await;
    assert_eq!(hints["result"].as_array().unwrap().len(), 1, "{hints}");
    let hints = c.request("textDocument/inlayHint", json!({"textDocument": {"uri": scores}, "range": {"start": pos(50, 0), "end": pos(999, 0)}})).await;
    assert_eq!(hints["result"], json!([]), "none past the end");

    // code lens on the test block
    let lens = c
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": rules}}),
        )
        .await;
    assert_eq!(lens["result"][0]["command"]["title"], "▶ run test");
    assert_eq!(lens["result"][0]["command"]["command"], "vital.runTest");
    assert_eq!(lens["result"][0]["range"]["start"], pos(3, 0));

    // signature help inside a call
    let sh = c
        .request(
            "textDocument/signatureHelp",
            json!({"textDocument": {"uri": scores}, "position": pos(1, 44)}),
        )
        .await;
    assert!(
        sh["result"]["signatures"][0]["label"]
            .as_str()
            .unwrap()
            .starts_with("count("),
        "{sh}"
    );

    // document and workspace symbols, highlights
    let ds = c
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": scores}}),
        )
        .await;
    let names: Vec<&str> = ds["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["adoption", "support", "status"]);
    assert_eq!(ds["result"][2]["children"][1]["name"], "bad");
    let ws = c
        .request("workspace/symbol", json!({"query": "feat"}))
        .await;
    assert_eq!(ws["result"][0]["name"], "feature_usage");
    let hl = c
        .request(
            "textDocument/documentHighlight",
            json!({"textDocument": {"uri": rules}, "position": pos(0, 6)}),
        )
        .await;
    assert_eq!(
        hl["result"].as_array().unwrap().len(),
        2,
        "`tier` in the rule and in the test"
    );

    // a panic-free answer on nonsense positions
    let h = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": rules}, "position": pos(999, 999)}),
        )
        .await;
    assert!(h["result"].is_null());

    // shutdown, exit
    let s = c.request("shutdown", json!(null)).await;
    assert!(s["error"].is_null());
    c.notify("exit", json!(null)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf8_positions_when_the_client_offers_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("u.vital");
    // the unknown name `lbl` stands after a string holding "é𝄞": byte
    // column 17, UTF-16 column 14
    let text = "score s weight 1\nwhen \"é𝄞\" == lbl add 1 to s\nstatus { a otherwise }\n";
    std::fs::write(&file, text).unwrap();
    let u = uri(&file);
    for (enc, col) in [("utf-8", 17), ("utf-16", 14)] {
        let mut c = Client::start();
        let init = c
            .request("initialize", json!({"processId": null, "capabilities": {"general": {"positionEncodings": [enc]}}}))
            .await;
        assert_eq!(init["result"]["capabilities"]["positionEncoding"], enc);
        c.notify("initialized", json!({})).await;
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "vital", "version": 1, "text": text}}),
        )
        .await;
        let d = c.diagnostics(&u, |_| true).await;
        let unknown = d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == "unknown-name")
            .cloned()
            .unwrap();
        assert_eq!(
            unknown["range"],
            json!({"start": pos(1, col), "end": pos(1, col + 3)}),
            "{enc}"
        );
        // and back: a hover request at that column finds nothing to crash on
        let h = c
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": u}, "position": pos(1, col + 1)}),
            )
            .await;
        assert!(h["error"].is_null());
        c.request("shutdown", json!(null)).await;
    }
}

/// Apply LSP text edits (line/character in UTF-16; ASCII texts here).
fn apply(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let col = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + col
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (a, b, t) in edits {
        out.replace_range(a..b, &t);
    }
    out
}

async fn format(c: &mut Client, file: &str, a: (u32, u32), b: (u32, u32)) -> Value {
    let req = json!({"textDocument": {"uri": file}, "range": {"start": pos(a.0, a.1), "end": pos(b.0, b.1)},
                     "options": {"tabSize": 2, "insertSpaces": true}});
    c.request("textDocument/rangeFormatting", req).await["result"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_formatting_formats_the_declarations_a_selection_touches() {
    let dir = workspace();
    let file = uri(&dir.path().join("rules").join("messy.vital"));
    let mut c = Client::start();
    c.init(&[dir.path()]).await;
    // four declarations, none formatted; the third does not parse
    let text = "when  arr>1   add 1 to support\n\n## Big accounts.\nwhen tier==enterprise add 2 to   support   # note\nwhen arr >\nscore  extra   weight 1\n";
    c.open(&file, 1, text).await;

    // a selection inside the second declaration: only its line changes
    // (its documentation, the blank line and the others stay as they are)
    let edits = format(&mut c, &file, (3, 6), (3, 12)).await;
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    assert_eq!(
        apply(text, &edits),
        "when  arr>1   add 1 to support\n\n## Big accounts.\nwhen tier == enterprise add 2 to support  # note\nwhen arr >\nscore  extra   weight 1\n"
    );

    // a cursor in the first: that one
    let edits = format(&mut c, &file, (0, 3), (0, 3)).await;
    assert_eq!(
        apply(text, &edits),
        text.replacen(
            "when  arr>1   add 1 to support",
            "when arr > 1 add 1 to support",
            1
        )
    );

    // whole lines 0..4 (ending at the start of line 4): the first two; the
    // broken third is not touched, nor the score after it
    let edits = format(&mut c, &file, (0, 0), (4, 0)).await;
    assert_eq!(edits.as_array().unwrap().len(), 2, "{edits}");
    // everything: the broken declaration stays, the score is formatted
    let edits = format(&mut c, &file, (0, 0), (6, 0)).await;
    assert_eq!(
        apply(text, &edits),
        "when arr > 1 add 1 to support\n\n## Big accounts.\nwhen tier == enterprise add 2 to support  # note\nwhen arr >\nscore extra weight 1\n"
    );
    // a formatted declaration: no edit
    let done = apply(text, &edits);
    c.replace(&file, 2, &done).await;
    let edits = format(&mut c, &file, (0, 0), (0, 5)).await;
    assert_eq!(edits, json!([]));
    c.shutdown().await;
}

/// Trigger clauses and `expect started` in the editor: hover explains the
/// contextual words, semantic tokens colour them as keywords where they are
/// keywords (and `owner` as a signal where it names one), rename reaches
/// the clause's signal, and formatting puts the clauses in one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_clauses_and_expect_started() {
    let text = "signal owner: text\nsignal seats: int\nscore s weight 1 = seats * 10\n\
status {\n  ok  when health >= 50\n  bad otherwise\n}\n\
when s < 40 trigger \"risk review\" owner owner   cooldown 30 days\n\
test \"t\" {\n  as_of 2026-11-01\n  given { seats = 1 }\n  expect started \"risk review\"\n}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let path = dir.path().join("rules/a.vital");
    std::fs::write(&path, text).unwrap();
    let file = uri(&path);
    let mut c = Client::start();
    let init = c.init(&[dir.path()]).await;
    let legend: Vec<String> = init["result"]["capabilities"]["semanticTokensProvider"]["legend"]
        ["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    c.open(&file, 1, text).await;
    let d = c.diagnostics(&file, |_| true).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");

    let hover =
        |line: u32, col: u32| json!({"textDocument": {"uri": file}, "position": pos(line, col)});
    // line 7: `when s < 40 trigger "risk review" owner owner   cooldown 30 days`
    let h = c.request("textDocument/hover", hover(7, 50)).await;
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(md.contains("cooldown 30 days"), "{md}");
    assert!(
        md.contains("is not *started* again for an account until 30 days after its last start"),
        "{md}"
    );
    assert_eq!(
        h["result"]["range"],
        json!({"start": pos(7, 48), "end": pos(7, 56)})
    );
    let h = c.request("textDocument/hover", hover(7, 35)).await;
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("records the account's value of the signal `owner` (`text`)"),
        "{md}"
    );
    // the second `owner` is the signal
    let h = c.request("textDocument/hover", hover(7, 41)).await;
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(md.contains("signal owner: text"), "{md}");
    let h = c.request("textDocument/hover", hover(11, 10)).await;
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(md.contains("expect started \"risk review\""), "{md}");
    assert!(md.contains("not held back by its cooldown"), "{md}");

    // semantic tokens of lines 0, 7 and 11
    let st = c
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": file}}),
        )
        .await;
    let data: Vec<u64> = st["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let (mut line, mut col) = (0, 0);
    let mut found = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        let word = text.lines().nth(line as usize).unwrap()[col as usize..(col + t[2]) as usize]
            .to_string();
        found.push((line, word, legend[t[3] as usize].clone()));
    }
    let on = |l: u64| -> Vec<(String, String)> {
        found
            .iter()
            .filter(|f| f.0 == l)
            .map(|f| (f.1.clone(), f.2.clone()))
            .collect()
    };
    let kw = |w: &str| (w.to_string(), "keyword".to_string());
    let as_ = |w: &str, k: &str| (w.to_string(), k.to_string());
    assert_eq!(on(0)[..2], [kw("signal"), as_("owner", "signal")]);
    assert_eq!(
        on(7)[4..],
        [
            kw("trigger"),
            as_("\"risk review\"", "string"),
            kw("owner"),
            as_("owner", "signal"),
            kw("cooldown"),
            as_("30", "number"),
            kw("days"),
        ]
    );
    assert_eq!(
        on(11),
        [
            kw("expect"),
            kw("started"),
            as_("\"risk review\"", "string")
        ]
    );

    // rename the signal: the clause follows
    let r = c
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": file}, "position": pos(0, 8), "newName": "csm"}),
        )
        .await;
    let edits = r["result"]["changes"][&file].as_array().unwrap();
    let mut at: Vec<(u64, u64)> = edits
        .iter()
        .map(|e| {
            (
                e["range"]["start"]["line"].as_u64().unwrap(),
                e["range"]["start"]["character"].as_u64().unwrap(),
            )
        })
        .collect();
    at.sort();
    assert_eq!(at, [(0, 7), (7, 40)], "{r}");

    // formatting: `cooldown` first, single spaces
    let f = c
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": file}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    let new_text = f["result"][0]["newText"].as_str().unwrap();
    assert!(
        new_text.contains("when s < 40 trigger \"risk review\" cooldown 30 days owner owner\n"),
        "{new_text}"
    );
    c.shutdown().await;
}

/// The outline's detail for a trigger rule names its playbook's cooldown and
/// owner: its own clauses, in `vital fmt`'s order, or those another rule of
/// the playbook gives; none for a playbook without them. A cooldown the
/// checker refuses shows as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_symbols_show_a_playbooks_cooldown_and_owner() {
    let text = "signal owner: text\nsignal seats: int\nscore s weight 1 = seats * 10\n\
status {\n  ok  when health >= 50\n  bad otherwise\n}\n\
rule \"low\" when s < 40 trigger \"risk review\" owner owner   cooldown 14 days\n\
when seats < 1 trigger \"risk review\"\n\
when seats < 2 add 1 to s\n\
when seats < 3 trigger \"check in\"\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let path = dir.path().join("rules/a.vital");
    std::fs::write(&path, text).unwrap();
    let file = uri(&path);
    let mut c = Client::start();
    c.init(&[dir.path()]).await;
    c.open(&file, 1, text).await;
    let d = c.diagnostics(&file, |_| true).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    let rules = |ds: &Value| -> Vec<(String, String)> {
        ds["result"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == 12)
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["detail"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let symbols = json!({"textDocument": {"uri": file}});
    let ds = c
        .request("textDocument/documentSymbol", symbols.clone())
        .await;
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        rules(&ds),
        [
            pair(
                "low",
                "trigger \"risk review\", cooldown 14 days, owner owner"
            ),
            pair(
                "trigger \"risk review\"",
                "trigger \"risk review\", cooldown 14 days, owner owner"
            ),
            pair("add to s", "add to s"),
            pair("trigger \"check in\"", "trigger \"check in\""),
        ]
    );

    // a refused cooldown, as written
    let bad = text.replace("cooldown 14 days", "cooldown 0 days");
    c.replace(&file, 2, &bad).await;
    let d = c.diagnostics(&file, |d| d["version"] == 2).await;
    assert_eq!(d["diagnostics"][0]["code"], "invalid-cooldown", "{d}");
    let ds = c.request("textDocument/documentSymbol", symbols).await;
    assert_eq!(
        rules(&ds)[0],
        pair(
            "low",
            "trigger \"risk review\", cooldown 0 days, owner owner"
        )
    );
    c.shutdown().await;
}
