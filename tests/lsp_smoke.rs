//! `vital lsp` as a real process on stdio: it answers initialize and
//! shutdown, exits on `exit`, and writes nothing but JSON-RPC to stdout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn send(w: &mut impl Write, body: &str) {
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    w.flush().unwrap();
}

/// One framed message; panics on anything that is not a frame.
fn recv(r: &mut impl BufRead) -> serde_json::Value {
    let mut len = None;
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "stdout closed early");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let v = line
            .strip_prefix("Content-Length: ")
            .expect("only framing headers on stdout");
        len = Some(v.parse::<usize>().unwrap());
    }
    let mut buf = vec![0; len.expect("a Content-Length header")];
    r.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

/// `vital lsp` started and initialized with these client capabilities.
fn start(
    capabilities: &str,
) -> (
    std::process::Child,
    std::process::ChildStdin,
    BufReader<std::process::ChildStdout>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vital"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut stdin,
        &format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"processId":null,"capabilities":{capabilities}}}}}"#
        ),
    );
    assert_eq!(recv(&mut stdout)["id"], 1);
    (child, stdin, stdout)
}

#[test]
fn the_binary_speaks_json_rpc_on_stdio() {
    // `--stdio` (what vscode-languageclient appends) is accepted and ignored
    let mut child = Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(["lsp", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"capabilities":{}}}"#,
    );
    let init = recv(&mut stdout);
    assert_eq!(init["id"], 1);
    assert_eq!(init["result"]["serverInfo"]["name"], "vital");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    // the code lens command runs the test in process
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.vital"),
        "signal x: int\nstatus { a when x > 1  b otherwise }\ntest \"big x\" {\n  as_of 2026-11-01\n  given { x = 5 }\n  expect status == a\n}\n",
    )
    .unwrap();
    let cmd = serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "workspace/executeCommand",
        "params": {"command": "vital.runTest", "arguments": [dir.path().to_str().unwrap(), "big x"]}});
    send(&mut stdin, &cmd.to_string());
    let mut reply = recv(&mut stdout);
    while reply["id"] != 3 {
        if reply.get("method").is_some() && reply.get("id").is_some() {
            let id = reply["id"].clone();
            send(
                &mut stdin,
                &format!(r#"{{"jsonrpc":"2.0","id":{id},"result":null}}"#),
            );
        }
        reply = recv(&mut stdout);
    }
    assert_eq!(reply["result"]["passed"], true, "{reply}");
    assert_eq!(reply["result"]["summary"], "passed: test \"big x\"");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}"#,
    );
    // the server may first ask to register its file watcher
    let mut reply = recv(&mut stdout);
    while reply["id"] != 2 {
        if reply.get("method").is_some() && reply.get("id").is_some() {
            let id = reply["id"].clone();
            send(
                &mut stdin,
                &format!(r#"{{"jsonrpc":"2.0","id":{id},"result":null}}"#),
            );
        }
        reply = recv(&mut stdout);
    }
    assert!(
        reply["result"].is_null() && reply["error"].is_null(),
        "{reply}"
    );
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"exit","params":null}"#,
    );
    drop(stdin);
    // the process ends by itself, soon
    let reader = std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = stdout.read_to_end(&mut rest);
        rest
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("`vital lsp` did not exit after `exit`");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    // anything still written is framed JSON-RPC (e.g. a late registration)
    let rest = reader.join().unwrap();
    let mut r = BufReader::new(rest.as_slice());
    while !r.fill_buf().unwrap().is_empty() {
        let m = recv(&mut r);
        assert_eq!(m["jsonrpc"], "2.0");
    }
}

/// A message the server cannot decode — bytes that are not UTF-8 in a
/// document, a lone surrogate escape (what `JSON.stringify` writes for
/// one), truncated JSON, JSON that is not JSON-RPC, a header block without
/// `Content-Length` — is answered with a JSON-RPC error and the server goes
/// on serving (it used to end at the first one).
#[test]
fn a_message_it_cannot_decode_is_answered_and_the_server_goes_on() {
    let (child, mut stdin, mut stdout) = start("{}");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("file://{}/r.vital", dir.path().display());
    // a document with a byte that is not UTF-8: read with U+FFFD, not fatal
    let open = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"vital","version":1,"text":"signal x: int # caf\xE9\nstatus {{ a when x > 1  b otherwise }}\n"}}}}}}"#
    );
    let mut bytes = open.into_bytes();
    let at = bytes.windows(4).position(|w| w == b"\\xE9").unwrap();
    bytes.splice(at..at + 4, [0xE9u8]);
    write!(stdin, "Content-Length: {}\r\n\r\n", bytes.len()).unwrap();
    stdin.write_all(&bytes).unwrap();
    // the others are answered with errors
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{"#,
    );
    send(&mut stdin, "[1,2,3]");
    send(&mut stdin, r#"{"id":8,"hello":"there"}"#);
    write!(stdin, "X-Nothing: 1\r\n\r\n").unwrap();
    // a header block without a length, its body run into the next header
    write!(
        stdin,
        "X-Foo: bar\r\n\r\n{{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"shutdown\"}}"
    )
    .unwrap();
    // a header that is not UTF-8, and a length no message may have
    stdin.write_all(b"X-\xff: 1\r\n\r\n").unwrap();
    write!(stdin, "Content-Length: 99999999999999999\r\n\r\n{{}}").unwrap();
    send(
        &mut stdin,
        &format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":2}},"contentChanges":[{{"text":"signal x: int # \ud800\nstatus {{ a when x > 1  b otherwise }}\n"}}]}}}}"#
        ),
    );
    // and the server still answers
    send(
        &mut stdin,
        &format!(
            r#"{{"jsonrpc":"2.0","id":9,"method":"textDocument/hover","params":{{"textDocument":{{"uri":"{uri}"}},"position":{{"line":0,"character":7}}}}}}"#
        ),
    );
    let mut errors = Vec::new();
    let hover = loop {
        let m = recv(&mut stdout);
        if m["id"] == 9 {
            break m;
        }
        if m.get("error").is_some() {
            errors.push(m);
        } else if m.get("method").is_some() && m.get("id").is_some() {
            let id = m["id"].clone();
            send(
                &mut stdin,
                &format!(r#"{{"jsonrpc":"2.0","id":{id},"result":null}}"#),
            );
        }
    };
    let codes: Vec<(i64, serde_json::Value)> = errors
        .iter()
        .map(|e| (e["error"]["code"].as_i64().unwrap(), e["id"].clone()))
        .collect();
    assert_eq!(
        codes,
        [
            (-32700, serde_json::Value::Null),
            (-32600, serde_json::Value::Null),
            (-32600, serde_json::json!(8)),
            (-32700, serde_json::Value::Null),
            (-32700, serde_json::Value::Null),
            (-32700, serde_json::Value::Null),
            (-32700, serde_json::Value::Null),
        ],
        "{errors:?}"
    );
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(text.contains("signal"), "the server still answers: {hover}");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}"#,
    );
    while recv(&mut stdout)["id"] != 2 {}
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"exit","params":null}"#,
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not understood"), "noted on stderr: {err}");
}

/// LSP's exit codes: `exit` without `shutdown` first exits 1. And a client
/// that does not offer dynamic registration of watched files is never asked
/// to register them: the first thing after `initialized` is the answer.
#[test]
fn exit_without_shutdown_is_exit_code_one_and_no_unasked_registration() {
    let (child, mut stdin, mut stdout) = start("{}");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","id":5,"method":"workspace/symbol","params":{"query":""}}"#,
    );
    let next = recv(&mut stdout);
    assert_eq!(next["id"], 5, "no registration request first: {next}");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"exit","params":null}"#,
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// A client that keeps stdin open after `exit` (LSP allows it) still sees
/// the server end at once.
#[test]
fn exit_ends_the_server_while_stdin_stays_open() {
    let (mut child, mut stdin, mut stdout) = start("{}");
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}"#,
    );
    assert_eq!(recv(&mut stdout)["id"], 2);
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"exit","params":null}"#,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("`vital lsp` did not end within 3 s of `exit` with stdin open");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    drop(stdin);
}

/// A client that offers dynamic registration of watched files is asked to
/// watch the rule files, the project file and the snapshot files.
#[test]
fn a_client_that_can_watch_files_is_asked_to() {
    let (mut child, mut stdin, mut stdout) =
        start(r#"{"workspace":{"didChangeWatchedFiles":{"dynamicRegistration":true}}}"#);
    send(
        &mut stdin,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    let m = recv(&mut stdout);
    assert_eq!(m["method"], "client/registerCapability", "{m}");
    let reg = &m["params"]["registrations"][0];
    assert_eq!(reg["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = reg["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert!(
        globs.contains(&"**/*.vital") && globs.contains(&"**/vital.toml"),
        "{globs:?}"
    );
    let _ = child.kill();
    drop(stdin);
}
