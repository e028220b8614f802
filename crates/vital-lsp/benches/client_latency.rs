//! Editor latency as a client sees it: the real `vital lsp` binary over
//! stdio, a 6,000-line single-file rule set opened, then edits; each edit
//! is timed from writing its `didChange` to reading the
//! `publishDiagnostics` for its version (the server's 10 ms debounce
//! included).
//!
//!     cargo build --release -p vital-cli
//!     cargo bench -p vital-lsp --bench client_latency
//!
//! `VITAL_BIN` names another binary. Prints the median and worst of the
//! edits for three places in the file (a rule near the top, one in the
//! middle, the last line) and for an edit that breaks a rule and one that
//! mends it. A benchmark, not a test: it asserts nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[path = "common/rule_set.rs"]
mod rule_set;
#[path = "common/server.rs"]
mod server;
#[path = "common/stats.rs"]
mod stats;
use rule_set::rule_set;
use server::Server;

fn main() {
    let bin = server::binary();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.vital");
    let text = rule_set(6000);
    std::fs::write(&path, &text).unwrap();
    let lines = text.lines().count() as u32;
    let folder = format!("file://{}", dir.path().display());
    let uri = format!("file://{}", path.display());
    println!(
        "client over stdio: {}, a {lines}-line rule set ({} bytes) in one file",
        bin.display(),
        text.len()
    );

    let (mut s, mut child) = Server::start(&bin);
    s.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": folder, "capabilities": {},
        "workspaceFolders": [{"uri": folder, "name": "bench"}]}}),
    );
    s.until(|m| m["id"] == 1 && m.get("method").is_none());
    s.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let t = Instant::now();
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "vital", "version": 1, "text": text}}}),
    );
    s.diagnostics_for(&uri, 1);
    println!(
        "open → diagnostics:         {:>7.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let mut version = 1;
    let mut edit = |s: &mut Server, range: Value, new_text: &str| -> Duration {
        version += 1;
        let t = Instant::now();
        s.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": range, "text": new_text}]}}),
        );
        let d = s.diagnostics_for(&uri, version);
        let took = t.elapsed();
        std::hint::black_box(d);
        // let the server settle between edits (no edit overtakes another)
        std::thread::sleep(Duration::from_millis(20));
        took
    };
    let at = |line: u32, a: u32, b: u32| json!({"start": {"line": line, "character": a}, "end": {"line": line, "character": b}});
    const N: usize = 20;
    for (name, line) in [
        ("near the top", 20),
        ("in the middle", lines / 2),
        ("last line", lines - 1),
    ] {
        let mut times = Vec::new();
        for k in 0..N {
            // type a space at the start of the line, then delete it
            let t = if k % 2 == 0 {
                edit(&mut s, at(line, 0, 0), " ")
            } else {
                edit(&mut s, at(line, 0, 1), "")
            };
            times.push(t);
        }
        println!(
            "edit {name:<14} → diagnostics: {}",
            stats::stats(times, 1, "edits")
        );
    }
    // break a rule (`add` → `ad`) and mend it
    let mut times = Vec::new();
    let line = lines / 2;
    let row = text.lines().nth(line as usize).unwrap_or_default();
    let col = row
        .find(" add ")
        .or_else(|| row.find(" subtract "))
        .unwrap_or(0) as u32
        + 3;
    for k in 0..N {
        let t = if k % 2 == 0 {
            edit(&mut s, at(line, col, col + 1), "")
        } else {
            let original = &row[col as usize..col as usize + 1];
            edit(&mut s, at(line, col, col), original)
        };
        times.push(t);
    }
    println!(
        "break / mend a rule  → diagnostics: {}",
        stats::stats(times, 1, "edits")
    );

    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    s.until(|m| m["id"] == 2 && m.get("method").is_none());
    s.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let _ = child.wait();
}
