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

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

struct Server {
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Server {
    fn start(bin: &Path) -> (Server, std::process::Child) {
        let mut child = Command::new(bin)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // the server's phase timings (`VITAL_LSP_TIMING=1`) show through
            .stderr(if std::env::var_os("VITAL_LSP_TIMING").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (cargo build --release -p vital-cli)",
                    bin.display()
                )
            });
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        (
            Server {
                stdin,
                messages: rx,
            },
            child,
        )
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Read until `done` says a message is the one; answer the server's
    /// own requests on the way.
    fn until(&mut self, mut done: impl FnMut(&Value) -> bool) -> Value {
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answers within a minute");
            if m.get("method").is_some() && m.get("id").is_some() {
                let id = m["id"].clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
                if done(&m) {
                    return m;
                }
                continue;
            }
            if done(&m) {
                return m;
            }
        }
    }
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:>7.1} ms   worst {:>7.1} ms   ({} edits)",
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1]),
        v.len()
    )
}

fn main() {
    let bin = std::env::var_os("VITAL_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/vital"),
        PathBuf::from,
    );
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sample");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for f in ["vital.toml", "rules/schema.vital", "rules/rules.vital"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let plans = ["basic", "pro", "enterprise"];
    let mut sample = String::new();
    for i in 0..2000u32 {
        for (m, day) in ["2026-09-01", "2026-10-01", "2026-11-01"]
            .iter()
            .enumerate()
        {
            let usage = (i * 7 + m as u32 * 13) % 1000;
            let nps = if i % 10 == 0 {
                "null".to_string()
            } else {
                format!("{}", (i % 120) as i32 - 40)
            };
            writeln!(
                sample,
                "{{\"account\":\"a{i:05}\",\"as_of\":\"{day}\",\"signals\":{{\"usage\":{}.{},\"seats\":{},\"plan\":\"{}\",\"nps\":{nps},\"arr\":{}}}}}",
                usage / 10,
                usage % 10,
                i % 9,
                plans[(i as usize + m) % 3],
                i * 1000
            )
            .unwrap();
        }
    }
    std::fs::write(dir.path().join("sample.jsonl"), &sample).unwrap();
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
    s.until(|m| m["id"] == 1);
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
        s.until(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
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
    println!("edit → diagnostics:        {}", stats(diags));
    println!("edit → lens refresh:       {}", stats(refresh));
    println!("edit → lenses answered:    {}", stats(lenses));

    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    s.until(|m| m["id"] == 2);
    s.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let _ = child.wait();
}
