//! A JSON-RPC client for the language server tests: real framing over an
//! in-process `tokio::io::duplex` pipe. Shared by `tests/lsp*.rs` through
//! `#[path = "lsp_client.rs"] mod lsp_client;`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf,
};
use tower_lsp_server::ls_types::Uri;

pub struct Client {
    w: WriteHalf<DuplexStream>,
    r: BufReader<ReadHalf<DuplexStream>>,
    next_id: i64,
    /// Notifications received while waiting for responses.
    pub pending: Vec<Value>,
    /// Requests the server made (answered with an empty result).
    pub server_requests: Vec<Value>,
}

pub fn uri(p: &Path) -> String {
    Uri::from_file_path(p).unwrap().to_string()
}

impl Client {
    pub fn start() -> Client {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (sr, sw) = tokio::io::split(server);
        tokio::spawn(vital_lsp::serve(sr, sw));
        let (r, w) = tokio::io::split(client);
        Client {
            w,
            r: BufReader::new(r),
            next_id: 0,
            pending: Vec::new(),
            server_requests: Vec::new(),
        }
    }

    pub async fn send(&mut self, msg: &Value) {
        let body = serde_json::to_string(msg).unwrap();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.w.write_all(framed.as_bytes()).await.unwrap();
        self.w.flush().await.unwrap();
    }

    pub async fn recv(&mut self) -> Value {
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            let n = self.r.read_line(&mut line).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().unwrap();
            }
        }
        let mut buf = vec![0u8; len];
        self.r.read_exact(&mut buf).await.unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    /// Read one message; answer the server's own requests (registrations,
    /// refreshes) with an empty result.
    pub async fn next(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.recv())
                .await
                .expect("the server answers in time");
            if m.get("method").is_some() && m.get("id").is_some() {
                let id = m["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}))
                    .await;
                self.server_requests.push(m);
                continue;
            }
            return m;
        }
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let m = self.next().await;
            if m.get("id") == Some(&json!(id)) {
                return m;
            }
            self.pending.push(m);
        }
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// The next diagnostics published for `file` that satisfy `pred`.
    pub async fn diagnostics(&mut self, file: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = match self
                .pending
                .iter()
                .position(|m| m["method"] == "textDocument/publishDiagnostics")
            {
                Some(i) => self.pending.remove(i),
                None => self.next().await,
            };
            if m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == file
                && pred(&m["params"])
            {
                return m["params"].clone();
            }
        }
    }
}

pub fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

impl Client {
    /// initialize (with workspace folders) and initialized.
    pub async fn init(&mut self, folders: &[&Path]) -> Value {
        let folders: Vec<Value> = folders
            .iter()
            .map(|f| json!({"uri": uri(f), "name": "ws"}))
            .collect();
        let init = self
            .request(
                "initialize",
                json!({"processId": null, "rootUri": null, "capabilities": {},
                       "workspaceFolders": folders}),
            )
            .await;
        self.notify("initialized", json!({})).await;
        init
    }

    pub async fn open(&mut self, file: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": file, "languageId": "vital", "version": version, "text": text}}),
        )
        .await;
    }

    /// Replace a document's whole text.
    pub async fn replace(&mut self, file: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file, "version": version}, "contentChanges": [{"text": text}]}),
        )
        .await;
    }

    /// The labels of the completion items at a position, in order.
    pub async fn completion_labels(
        &mut self,
        file: &str,
        line: u32,
        character: u32,
    ) -> Vec<String> {
        let r = self
            .request(
                "textDocument/completion",
                json!({"textDocument": {"uri": file}, "position": pos(line, character)}),
            )
            .await;
        r["result"]
            .as_array()
            .unwrap_or_else(|| panic!("completion answers a list: {r}"))
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    }

    /// Notifications of `method` received so far (kept aside while waiting
    /// for responses), taken out.
    pub fn take(&mut self, method: &str) -> Vec<Value> {
        let (hit, keep) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|m| m["method"] == method);
        self.pending = keep;
        hit
    }

    pub async fn shutdown(&mut self) {
        let s = self.request("shutdown", json!(null)).await;
        assert!(s["error"].is_null());
        self.notify("exit", json!(null)).await;
    }
}
