//! The framing in front of tower-lsp-server. Its reader stops for good at
//! the first message it cannot decode, which would end the server — and
//! with it every feature in the editor — on one bad message (a client bug,
//! bytes that are not UTF-8 in a document, a lone surrogate that
//! `JSON.stringify` writes as `"\ud800"`). So every message is read whole
//! here first:
//!
//! * bytes that are not UTF-8 are replaced by U+FFFD, and so is a lone
//!   surrogate escape;
//! * a message that is then still not a JSON-RPC request, notification or
//!   response is answered with a JSON-RPC error (parse error, or invalid
//!   request with the message's id when it has one), noted on stderr, and
//!   dropped; a header block without `Content-Length` likewise;
//! * everything else goes on to tower-lsp-server unchanged.
//!
//! Its answers and the errors made here are written to the client whole,
//! one message at a time, so they never interleave. Nothing but JSON-RPC
//! reaches the output.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// A message body as the client gets it (framed on the way out).
type Body = Vec<u8>;

/// Serve on `input`/`output` through the checks above; ends when the
/// server does (the client's `exit`, or the end of `input`), saying
/// whether the client asked it to shut down first.
pub async fn serve<I, O>(input: I, mut output: O) -> bool
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin,
{
    let (to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let (tx, mut rx) = mpsc::unbounded_channel::<Body>();
    let inbound = tokio::spawn(inbound(input, to_server, tx.clone()));
    let shut_down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = shut_down.clone();
    let (service, socket) = tower_lsp_server::LspService::new(move |client| {
        crate::Backend::with_shutdown_flag(client, flag.clone())
    });
    let server = tower_lsp_server::Server::new(server_in, server_out, socket).serve(service);
    let answers = async move {
        let mut r = BufReader::new(from_server);
        while let Some(body) = read_message(&mut r).await.and_then(|m| m.ok()) {
            if tx.send(body).is_err() {
                break;
            }
        }
    };
    let shut = async {
        tokio::join!(server, answers);
        // the server has ended: stop reading the client (which drops the
        // last sender, so the writer below ends once it has written all)
        inbound.abort();
        let _ = inbound.await;
    };
    let write = async {
        while let Some(body) = rx.recv().await {
            let head = format!("Content-Length: {}\r\n\r\n", body.len());
            let sent = async {
                output.write_all(head.as_bytes()).await?;
                output.write_all(&body).await?;
                output.flush().await
            };
            if sent.await.is_err() {
                break;
            }
        }
    };
    tokio::join!(shut, write);
    shut_down.load(std::sync::atomic::Ordering::Relaxed)
}

/// The client's messages to the server, checked; errors to `errors`.
async fn inbound<I, W>(input: I, mut to_server: W, errors: mpsc::UnboundedSender<Body>)
where
    I: tokio::io::AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut r = BufReader::new(input);
    while let Some(message) = read_message(&mut r).await {
        let text = match message {
            Ok(body) => checked(body),
            Err(e) => Err(e),
        };
        match text {
            Ok(text) => {
                let head = format!("Content-Length: {}\r\n\r\n", text.len());
                let sent = async {
                    to_server.write_all(head.as_bytes()).await?;
                    to_server.write_all(text.as_bytes()).await?;
                    to_server.flush().await
                };
                if sent.await.is_err() {
                    return;
                }
            }
            Err(e) => {
                // stderr is the log; stdout carries only JSON-RPC
                eprintln!(
                    "vital lsp: a message was not understood and is answered with an error: {e}"
                );
                if errors.send(e.answer()).is_err() {
                    return;
                }
            }
        }
    }
}

/// A message the server cannot take, and what to answer.
#[derive(Debug)]
struct Bad {
    code: i64,
    message: String,
    id: serde_json::Value,
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Bad {
    fn parse(message: String) -> Bad {
        Bad {
            code: -32700,
            message,
            id: serde_json::Value::Null,
        }
    }

    fn answer(&self) -> Body {
        serde_json::json!({
            "jsonrpc": "2.0",
            "error": {"code": self.code, "message": self.message},
            "id": self.id,
        })
        .to_string()
        .into_bytes()
    }
}

/// The largest message body read (a bigger one is answered with an error
/// and skipped): far above any rule file an editor sends.
const MAX_BODY: usize = 64 << 20;

/// One message's body: `None` at the end of the input, an error for a
/// header block without a valid `Content-Length` or a body too large (the
/// next block is read after it).
async fn read_message<R>(r: &mut R) -> Option<Result<Body, Bad>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut length: Option<usize> = None;
    let mut any = false;
    loop {
        // bytes: a header that is not UTF-8 is read, not the end
        let mut raw = Vec::new();
        match r.read_until(b'\n', &mut raw).await {
            Ok(0) | Err(_) => {
                return any.then(|| Err(Bad::parse("the input ended inside a header".into())));
            }
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !any {
                continue;
            }
            break;
        }
        any = true;
        // anywhere in the line: the body after a header block that had no
        // length runs into the next message's header (no newline between)
        let lower = line.to_ascii_lowercase();
        if let Some(at) = lower.rfind("content-length:") {
            let value = &line[at + "content-length:".len()..];
            if length.is_none() {
                length = value.trim().parse().ok();
            }
        }
    }
    let Some(n) = length else {
        return Some(Err(Bad::parse(
            "a message without a valid Content-Length header".into(),
        )));
    };
    if n > MAX_BODY {
        // not read as a body (never held); what follows is read as headers,
        // and the next `Content-Length` puts the reader back in step
        return Some(Err(Bad::parse(format!(
            "a message of {n} bytes, more than the {MAX_BODY} a message may have"
        ))));
    }
    let mut body = Vec::new();
    match (&mut *r).take(n as u64).read_to_end(&mut body).await {
        Ok(got) if got == n => Some(Ok(body)),
        _ => None,
    }
}

/// The body as text the server can decode: UTF-8, surrogates paired, a
/// request, notification or response. The common message is parsed once
/// here (as a request); repairs and the error's id only for the others.
fn checked(body: Body) -> Result<String, Bad> {
    let text = match String::from_utf8(body) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let decodes = |t: &str| {
        serde_json::from_str::<Request>(t).is_ok() || serde_json::from_str::<Response>(t).is_ok()
    };
    if decodes(&text) {
        return Ok(text);
    }
    let text = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(_) => text,
        Err(_) => {
            let repaired = lone_surrogates_replaced(&text);
            if decodes(&repaired) {
                return Ok(repaired);
            }
            if serde_json::from_str::<serde_json::Value>(&repaired).is_err() {
                return Err(Bad::parse("the message is not JSON".into()));
            }
            repaired
        }
    };
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .filter(|id| id.is_number() || id.is_string())
        .unwrap_or(serde_json::Value::Null);
    Err(Bad {
        code: -32600,
        message: "the message is JSON but not a JSON-RPC request, notification or response".into(),
        id,
    })
}

/// `\uD800`–`\uDFFF` escapes that are not a high surrogate followed by a
/// low one, as `\uFFFD` (serde_json refuses them).
fn lone_surrogates_replaced(text: &str) -> String {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i + 2..i + 6)?;
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            // an escaped backslash is not the start of an escape
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
                continue;
            }
            if let Some(u) = escape_at(b, i) {
                let high = (0xD800..0xDC00).contains(&u);
                let low = (0xDC00..0xE000).contains(&u);
                if high && escape_at(b, i + 6).is_some_and(|v| (0xDC00..0xE000).contains(&v)) {
                    i += 12;
                    continue;
                }
                if high || low {
                    out.push_str(&text[copied..i]);
                    out.push_str("\\uFFFD");
                    i += 6;
                    copied = i;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::lone_surrogates_replaced as r;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(r(r#""a\ud800b""#), r#""a\uFFFDb""#);
        assert_eq!(r(r#""\udc00""#), r#""\uFFFD""#);
        assert_eq!(
            r(r#""\ud83d\ude00""#),
            r#""\ud83d\ude00""#,
            "a pair is kept"
        );
        assert_eq!(r(r#""\\ud800""#), r#""\\ud800""#, "an escaped backslash");
        assert_eq!(r(r#""é\u0041""#), r#""é\u0041""#);
        for t in [r#""a\ud800b""#, r#""\udc00x\ud800""#] {
            assert!(
                serde_json::from_str::<serde_json::Value>(&r(t)).is_ok(),
                "{t}"
            );
        }
    }
}
