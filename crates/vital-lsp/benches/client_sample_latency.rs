//! The sample's lenses as a client sees them: the real `vital lsp` binary
//! over stdio, a project whose `vital.toml` names a 2,000-account sample
//! (three snapshots each) for the rule set of tests/sample; each
//! edit of a rule is timed from writing its `didChange` to reading the
//! diagnostics for its version, to the server's `workspace/codeLens/refresh`
//! (the sample evaluated), and to the answer of the `textDocument/codeLens`
//! the client then sends (the lenses on screen). The budget is 300 ms.
//!
//!     cargo build --release -p vital-cli
//!     cargo bench -p vital-lsp --bench client_sample_latency
//!
//! `VITAL_BIN` names another binary. A benchmark, not a test: it asserts
//! nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use serde_json::json;
use std::time::{Duration, Instant};

#[path = "common/sample.rs"]
mod sample;
#[path = "common/server.rs"]
mod server;
#[path = "common/stats.rs"]
mod stats;
use server::Server;

fn main() {
    let bin = server::binary();
    let dir = sample::project();
    let path = dir.path().join("rules/rules.vital");
    let text = std::fs::read_to_string(&path).unwrap();
    let folder = format!("file://{}", dir.path().display());
    let uri = format!("file://{}", path.display());
    println!(
        "client over stdio: {}, a 2,000-account sample",
        bin.display()
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
    s.until(|m| m["method"] == "workspace/codeLens/refresh");
    println!(
        "open → lenses refreshed (the sample read):  {:>7.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let (mut diags, mut refresh, mut lenses) = (Vec::new(), Vec::new(), Vec::new());
    let mut id = 10;
    for version in 2..22 {
        let edited = text.replace("seats < 3", &format!("seats < {}", 3 + version % 5));
        let t = Instant::now();
        s.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": edited}]}}),
        );
        s.diagnostics_for(&uri, version);
        diags.push(t.elapsed());
        s.until(|m| m["method"] == "workspace/codeLens/refresh");
        refresh.push(t.elapsed());
        id += 1;
        s.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/codeLens",
            "params": {"textDocument": {"uri": uri}}}),
        );
        let r = s.until(|m| m["id"] == id && m.get("method").is_none());
        lenses.push(t.elapsed());
        assert!(r["result"].as_array().is_some_and(|l| !l.is_empty()), "{r}");
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "edit → diagnostics:        {}",
        stats::stats(diags, 1, "edits")
    );
    println!(
        "edit → lens refresh:       {}",
        stats::stats(refresh, 1, "edits")
    );
    println!(
        "edit → lenses answered:    {}",
        stats::stats(lenses, 1, "edits")
    );

    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    s.until(|m| m["id"] == 2 && m.get("method").is_none());
    s.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let _ = child.wait();
}
