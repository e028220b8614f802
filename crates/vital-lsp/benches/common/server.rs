//! A client of the real `vital lsp` binary over stdio, for the client
//! latency benches (`client_latency`, `client_sample_latency`).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// The release binary, or `VITAL_BIN`.
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("VITAL_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/vital"),
        std::path::PathBuf::from,
    )
}

pub struct Server {
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Server {
    pub fn start(bin: &Path) -> (Server, std::process::Child) {
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

    pub fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Read until `done` says a message is the one; answer the server's
    /// own requests on the way (a request may be the one awaited).
    pub fn until(&mut self, mut done: impl FnMut(&Value) -> bool) -> Value {
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answers within a minute");
            if m.get("method").is_some() && m.get("id").is_some() {
                let id = m["id"].clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
            }
            if done(&m) {
                return m;
            }
        }
    }

    pub fn diagnostics_for(&mut self, uri: &str, version: i64) -> Value {
        self.until(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        })
    }
}
