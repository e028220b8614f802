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
