//! `vital notify` through the real binary against a real HTTP server on
//! 127.0.0.1 that this test starts (std::net, one thread per connection):
//! one that answers, one that fails with 500/429, one that is slow, one
//! that is down. On SQLite and, with `VITAL_TEST_PG_URL`, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/queue.rs"]
mod queue;
mod support;

use queue::{Backend, Project};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::stderr;

// ------------------------------------------------------------ the server

/// What the server does with its `n`-th request (0-based) carrying the
/// start `id`.
#[derive(Clone, Copy)]
enum Reply {
    Status(u16),
    /// Wait, then answer 200 (the client gave up by then).
    Slow(Duration),
}

type Plan = dyn Fn(usize, &str) -> Reply + Send + Sync;

/// A request the server received: the body's `id`, the whole body, and
/// the status it answered.
#[derive(Clone, Debug)]
struct Seen {
    id: String,
    body: serde_json::Value,
    status: u16,
    idempotency_key: String,
}

struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(plan: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let plan: Arc<Plan> = Arc::new(plan);
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            // bounded: stops when asked, and after two minutes whatever
            let deadline = Instant::now() + Duration::from_secs(120);
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) || Instant::now() > deadline {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (s, plan) = (s.clone(), plan.clone());
                std::thread::spawn(move || serve(conn, &s, &*plan));
            }
        });
        Server {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/services/T0/B0/secret-token", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The ids of the requests answered 2xx.
    fn accepted(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| (200..300).contains(&s.status))
            .map(|s| s.id)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answer each request of one connection (the client may keep it open).
fn serve(conn: TcpStream, seen: &Mutex<Vec<Seen>>, plan: &Plan) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut length = 0usize;
        let mut key = String::new();
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if !line.starts_with("POST ") {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "idempotency-key" => key = v.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let id = body["id"].as_str().unwrap_or_default().to_string();
        let n = {
            let s = seen.lock().unwrap();
            s.len()
        };
        let reply = plan(n, &id);
        let status = match reply {
            Reply::Status(c) => c,
            Reply::Slow(_) => 200,
        };
        seen.lock().unwrap().push(Seen {
            id,
            body,
            status,
            idempotency_key: key,
        });
        if let Reply::Slow(d) = reply {
            std::thread::sleep(d);
        }
        let (reason, text) = match status {
            200 => ("OK", "ok"),
            404 => ("Not Found", "no_service"),
            429 => ("Too Many Requests", "rate_limited"),
            _ => ("Internal Server Error", "boom"),
        };
        let mut head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
            text.len()
        );
        if status == 429 {
            head.push_str("Retry-After: 0\r\n");
        }
        head.push_str("\r\n");
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ------------------------------------------------------------ helpers

/// Fast tries for tests: `attempts`, 10 ms backoff, `timeout_ms`.
fn notify_toml(url: &str, attempts: u32, timeout_ms: u64) -> String {
    format!(
        "\n[notify]\nwebhook = \"{url}\"\nattempts = {attempts}\nbackoff_ms = 10\ntimeout_ms = {timeout_ms}\n"
    )
}

/// The starts after night one, in delivery order.
const NIGHT_1_STARTS: [&str; 3] = [
    "a/2026-11-01/risk review",
    "b/2026-11-01/exec call",
    "b/2026-11-01/risk review",
];

/// `(id, delivered, attempts, last_error)` of every start, from the
/// store through `vital playbooks`.
fn delivery(p: &Project) -> Vec<(String, bool, i64, Option<String>)> {
    queue::starts(p)
        .iter()
        .map(|s| {
            (
                format!(
                    "{}/{}/{}",
                    s["account"].as_str().unwrap(),
                    s["as_of"].as_str().unwrap(),
                    s["playbook"].as_str().unwrap()
                ),
                s["delivered_at"].is_string(),
                s["attempts"].as_i64().unwrap(),
                s["last_error"].as_str().map(String::from),
            )
        })
        .collect()
}

// ------------------------------------------------------------ tests

/// Every start is delivered once: a second `vital notify`, a rerun of the
/// same night and the next night send only what is new.
fn each_start_is_delivered_once(b: Backend) {
    let server = Server::start(|_, _| Reply::Status(200));
    let Some(p) = Project::new(b, "notify_once", &notify_toml(&server.url(), 3, 2000)) else {
        return pg::skipped("each_start_is_delivered_once");
    };
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "delivered 3 playbook starts to http://127.0.0.1:{}/…\n",
            server.port
        )
    );
    assert_eq!(server.accepted(), NIGHT_1_STARTS);
    // the body: Slack's text and the fields
    let first = &server.seen()[0];
    assert_eq!(first.idempotency_key, "a/2026-11-01/risk review");
    let body = &first.body;
    assert_eq!(
        body["text"],
        "*risk review* started for *a* on 2026-11-01 — health 20.0, status danger\nrule `low usage` (rules/health.vital:11:1): usage = 20"
    );
    assert_eq!(body["account"], "a");
    assert_eq!(body["playbook"], "risk review");
    assert_eq!(body["as_of"], "2026-11-01");
    assert_eq!(body["health"], 20.0);
    assert_eq!(body["status"], "danger");
    assert_eq!(body["rule"], "low usage");
    assert_eq!(body["source"], "rules/health.vital:11:1");
    assert_eq!(body["reads"], serde_json::json!(["usage = 20"]));
    assert!(body["owner"].is_null());
    for d in delivery(&p) {
        assert!(d.1 && d.2 == 1 && d.3.is_none(), "{d:?}");
    }
    // again: nothing new
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("nothing to deliver: every playbook start"),
        "{}",
        stderr(&o)
    );
    // a rerun of the same night keeps the deliveries
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert!(
        stderr(&o).starts_with("nothing to deliver"),
        "{}",
        stderr(&o)
    );
    assert_eq!(server.seen().len(), 3);
    // a rerun with corrected data that no longer starts b's playbooks keeps
    // their delivered starts (b's CSM was told), and a rerun of the
    // original file does not send them again
    p.run("night-1-fixed.jsonl");
    let b_starts: Vec<(String, bool)> = queue::starts(&p)
        .iter()
        .filter(|s| s["account"] == "b")
        .map(|s| {
            (
                s["playbook"].as_str().unwrap().to_string(),
                s["delivered_at"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        b_starts,
        [
            ("exec call".to_string(), true),
            ("risk review".to_string(), true)
        ]
    );
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert!(
        stderr(&o).starts_with("nothing to deliver"),
        "{}",
        stderr(&o)
    );
    assert_eq!(server.seen().len(), 3);
    // the next night: only c's new start
    p.run("night-2.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("delivered 1 playbook start to"),
        "{}",
        stderr(&o)
    );
    assert_eq!(server.seen().len(), 4);
    assert_eq!(server.accepted()[3], "c/2026-11-02/risk review");
}

/// 500 and 429 are retried with backoff; the start is delivered and its
/// tries counted.
fn server_errors_are_retried(b: Backend) {
    // the first request gets 500, the second 429, the rest 200
    let server = Server::start(|n, _| match n {
        0 => Reply::Status(500),
        1 => Reply::Status(429),
        _ => Reply::Status(200),
    });
    let Some(p) = Project::new(b, "notify_retry", &notify_toml(&server.url(), 3, 2000)) else {
        return pg::skipped("server_errors_are_retried");
    };
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "warning: try 1 of 3 for the start of `risk review` for `a` on 2026-11-01 failed: HTTP 500 Internal Server Error: boom; trying again in 0.0 s",
            "warning: try 2 of 3 for the start of `risk review` for `a` on 2026-11-01 failed: HTTP 429 Too Many Requests: rate_limited; trying again in 0.0 s",
            &format!(
                "delivered 3 playbook starts to http://127.0.0.1:{}/… (1 start after retries)",
                server.port
            ),
        ],
        "{err}"
    );
    let ids: Vec<String> = server.seen().into_iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            NIGHT_1_STARTS[0],
            NIGHT_1_STARTS[0],
            NIGHT_1_STARTS[0],
            NIGHT_1_STARTS[1],
            NIGHT_1_STARTS[2]
        ]
    );
    assert_eq!(server.accepted(), NIGHT_1_STARTS);
    let d = delivery(&p);
    assert_eq!(
        d.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
        [(true, 3), (true, 1), (true, 1)]
    );
}

/// A start that still fails after the last try stops the command: exit 1,
/// an error naming it and the status; what came before is delivered, it
/// and the rest stay for the next `vital notify`, which delivers them and
/// nothing else.
fn a_start_that_keeps_failing_stops_and_is_kept(b: Backend) {
    let failing = Arc::new(AtomicBool::new(true));
    let f = failing.clone();
    let server = Server::start(move |_, id| {
        if f.load(Ordering::SeqCst) && id.starts_with("b/") {
            Reply::Status(500)
        } else {
            Reply::Status(200)
        }
    });
    let Some(p) = Project::new(b, "notify_fail", &notify_toml(&server.url(), 3, 2000)) else {
        return pg::skipped("a_start_that_keeps_failing_stops_and_is_kept");
    };
    p.run("night-1.jsonl");
    let started = Instant::now();
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "error: the start of `exec call` for `b` on 2026-11-01 was not delivered to http://127.0.0.1:{}/… after 3 tries: HTTP 500 Internal Server Error: boom\n",
            server.port
        )),
        "{err}"
    );
    assert!(
        err.contains("note: 1 start delivered; 2 starts not delivered (1 of them not tried), kept in the history store for the next `vital notify`"),
        "{err}"
    );
    assert_eq!(err.matches("warning: try ").count(), 2, "{err}");
    assert!(
        !err.contains("secret-token"),
        "the webhook's path is secret: {err}"
    );
    // backoff 10 ms, then 20 ms: quick
    assert!(started.elapsed() < Duration::from_secs(20));
    let ids: Vec<String> = server.seen().into_iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            NIGHT_1_STARTS[0],
            NIGHT_1_STARTS[1],
            NIGHT_1_STARTS[1],
            NIGHT_1_STARTS[1]
        ]
    );
    let d = delivery(&p);
    assert_eq!((d[0].1, d[0].2), (true, 1));
    assert_eq!((d[1].1, d[1].2), (false, 3));
    assert_eq!(
        d[1].3.as_deref(),
        Some("HTTP 500 Internal Server Error: boom")
    );
    assert_eq!((d[2].1, d[2].2, d[2].3.is_none()), (false, 0, true));
    // the table shows where each stands
    let t = p.vital(&["playbooks", "--format", "table"]);
    let table = support::stdout(&t);
    assert!(
        table.contains("failed (3 tries): HTTP 500 Internal Server Error: boom"),
        "{table}"
    );
    assert!(table.contains("pending"), "{table}");
    // the receiver is back: the next notify delivers the two, only them
    failing.store(false, Ordering::SeqCst);
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("delivered 2 playbook starts"),
        "{}",
        stderr(&o)
    );
    assert_eq!(server.accepted(), NIGHT_1_STARTS);
    let d = delivery(&p);
    assert_eq!(
        d.iter()
            .map(|x| (x.1, x.2, x.3.clone()))
            .collect::<Vec<_>>(),
        [(true, 1, None), (true, 4, None), (true, 1, None)]
    );
}

/// A 4xx other than 429 is not retried: the webhook refused the request.
fn a_refusal_is_not_retried(b: Backend) {
    let server = Server::start(|_, _| Reply::Status(404));
    let Some(p) = Project::new(b, "notify_404", &notify_toml(&server.url(), 5, 2000)) else {
        return pg::skipped("a_refusal_is_not_retried");
    };
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: the start of `risk review` for `a` on 2026-11-01 was refused by http://127.0.0.1:{}/…: HTTP 404 Not Found: no_service; not retried",
            server.port
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(server.seen().len(), 1);
    let d = delivery(&p);
    assert_eq!((d[0].1, d[0].2), (false, 1));
    assert!(d.iter().all(|x| !x.1));
}

/// A server slower than `timeout_ms` counts as a failed try: the start is
/// sent again (the receiver saw it twice: the at-least-once boundary) and
/// marked delivered once.
fn a_slow_server_times_out_and_is_retried(b: Backend) {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::Slow(Duration::from_secs(8))
        } else {
            Reply::Status(200)
        }
    });
    let Some(p) = Project::new(b, "notify_slow", &notify_toml(&server.url(), 3, 400)) else {
        return pg::skipped("a_slow_server_times_out_and_is_retried");
    };
    p.run("night-1.jsonl");
    let started = Instant::now();
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "the client gave up on the slow answer: {:?}",
        started.elapsed()
    );
    assert!(
        stderr(&o).starts_with("warning: try 1 of 3 for the start of `risk review` for `a` on 2026-11-01 failed: no answer within 400 ms (timed out); trying again in 0.0 s\n"),
        "{}",
        stderr(&o)
    );
    let ids: Vec<String> = server.seen().into_iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            NIGHT_1_STARTS[0],
            NIGHT_1_STARTS[0],
            NIGHT_1_STARTS[1],
            NIGHT_1_STARTS[2]
        ]
    );
    let d = delivery(&p);
    assert_eq!(
        d.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
        [(true, 2), (true, 1), (true, 1)]
    );
}

/// A server that is down: every try fails to connect, nothing is lost;
/// `--webhook` sends the queue to a server that is up.
fn a_server_that_is_down(b: Backend) {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let Some(p) = Project::new(b, "notify_down", &notify_toml(&url, 2, 2000)) else {
        return pg::skipped("a_server_that_is_down");
    };
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "error: the start of `risk review` for `a` on 2026-11-01 was not delivered to http://127.0.0.1:{port}/… after 2 tries: connection failed"
        )),
        "{err}"
    );
    assert!(
        err.contains("note: 0 starts delivered; 3 starts not delivered (2 of them not tried)"),
        "{err}"
    );
    let d = delivery(&p);
    assert_eq!((d[0].1, d[0].2), (false, 2));
    assert!(d[0].3.as_deref().unwrap().starts_with("connection failed"));
    // --webhook wins over vital.toml
    let server = Server::start(|_, _| Reply::Status(200));
    let o = p.vital(&["notify", "--webhook", &server.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.accepted(), NIGHT_1_STARTS);
    let d = delivery(&p);
    assert_eq!(
        d.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
        [(true, 3), (true, 1), (true, 1)]
    );
}

/// `--dry-run` prints the bodies and neither sends nor records.
fn a_dry_run_sends_nothing(b: Backend) {
    let server = Server::start(|_, _| Reply::Status(200));
    let Some(p) = Project::new(b, "notify_dry", &notify_toml(&server.url(), 3, 2000)) else {
        return pg::skipped("a_dry_run_sends_nothing");
    };
    p.run("night-1.jsonl");
    let o = p.vital(&["notify", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bodies = support::jsonl(&o);
    let ids: Vec<&str> = bodies.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, NIGHT_1_STARTS);
    assert!(bodies[1]["text"]
        .as_str()
        .unwrap()
        .starts_with("*exec call* started for *b* on 2026-11-01"));
    assert_eq!(
        stderr(&o),
        format!(
            "dry run: would deliver 3 playbook starts to http://127.0.0.1:{}/…; nothing sent, nothing recorded\n",
            server.port
        )
    );
    assert!(server.seen().is_empty());
    assert!(delivery(&p).iter().all(|d| !d.1 && d.2 == 0));
    // a dry run needs no webhook: not even the secret vital.toml's names
    p.write_toml("\n[notify]\nwebhook = \"${VITAL_TEST_UNSET_WEBHOOK}\"\n");
    let o = p.vital(&["notify", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(support::jsonl(&o).len(), 3);
    assert_eq!(
        stderr(&o),
        "dry run: would deliver 3 playbook starts to the webhook; nothing sent, nothing recorded\n"
    );
    // a real one does
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("VITAL_TEST_UNSET_WEBHOOK"),
        "{}",
        stderr(&o)
    );
}

/// Two `vital notify`s at once never both send: the second stops while
/// the first holds the delivery lock; runs are not held up by it.
fn one_notify_at_a_time(b: Backend) {
    let server = Server::start(|_, _| Reply::Status(200));
    let Some(p) = Project::new(b, "notify_lock", &notify_toml(&server.url(), 3, 2000)) else {
        return pg::skipped("one_notify_at_a_time");
    };
    p.run("night-1.jsonl");
    let mut holder = p.open();
    let lock = holder.lock_delivery().unwrap();
    assert!(lock.is_some());
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .starts_with("error: another `vital notify` is delivering from the history store "),
        "{}",
        stderr(&o)
    );
    assert!(server.seen().is_empty());
    // a run records meanwhile
    p.run("night-2.jsonl");
    // a dry run only reads
    let o = p.vital(&["notify", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    drop(lock);
    drop(holder);
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.accepted().len(), 4);
}

/// A delivered start that a corrected rerun no longer starts still holds
/// the playbook back for its cooldown, and two nightly runs hold back what
/// one run over both nights holds back (SQLite: the store is copied).
#[test]
fn a_kept_delivered_start_counts_for_the_cooldown_either_way() {
    let server = Server::start(|_, _| Reply::Status(200));
    let p = Project::new(
        Backend::Sqlite,
        "kept_cooldown",
        &notify_toml(&server.url(), 3, 2000),
    )
    .unwrap();
    std::fs::write(
        p.path().join("rules/health.vital"),
        queue::RULES.replace(
            "when usage < 30 trigger \"risk review\"",
            "when usage < 30 trigger \"risk review\" cooldown 30 days",
        ),
    )
    .unwrap();
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // b's data of night one is corrected: b no longer starts anything then
    std::fs::copy(p.path().join(".vital/history.db"), p.path().join("copy.db")).unwrap();
    // two runs: the corrected night one, then night two
    p.run("night-1-fixed.jsonl");
    let two = p.run("night-2.jsonl");
    // one run over both files, on the store as it was after the delivery
    let one = p.vital(&[
        "run",
        "--format",
        "jsonl",
        "--all",
        "--history",
        "copy.db",
        "night-1-fixed.jsonl",
        "night-2.jsonl",
    ]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let b_on_2 = |o: &std::process::Output| -> serde_json::Value {
        support::jsonl(o)
            .into_iter()
            .find(|r| r["account"] == "b" && r["as_of"] == "2026-11-02")
            .unwrap()
    };
    let (two, one) = (b_on_2(&two), b_on_2(&one));
    assert_eq!(
        two["triggered"],
        serde_json::json!(["risk review", "exec call"])
    );
    // the start of 2026-11-01 was delivered: 30 days of cooldown
    assert_eq!(two["started"], serde_json::json!(["exec call"]), "{two}");
    assert_eq!(one["started"], two["started"], "{one}");
}

both!(
    one_notify_at_a_time,
    each_start_is_delivered_once,
    server_errors_are_retried,
    a_start_that_keeps_failing_stops_and_is_kept,
    a_refusal_is_not_retried,
    a_slow_server_times_out_and_is_retried,
    a_server_that_is_down,
    a_dry_run_sends_nothing,
);

/// The webhook from an environment variable: read only by `vital notify`,
/// and an unset one is an error naming it and its line.
#[test]
fn the_webhook_comes_from_the_environment() {
    let server = Server::start(|_, _| Reply::Status(200));
    let p = Project::new(
        Backend::Sqlite,
        "notify_env",
        "\n[notify]\nwebhook = \"${VITAL_TEST_NOTIFY_HOOK}\"\nbackoff_ms = 10\n",
    )
    .unwrap();
    // other commands do not need the secret
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("the environment variable `VITAL_TEST_NOTIFY_HOOK` is not set"),
        "{err}"
    );
    assert!(err.contains("vital.toml:8"), "the key's line: {err}");
    assert!(server.seen().is_empty());
    let o = p.vital_env(&["notify"], &[("VITAL_TEST_NOTIFY_HOOK", &server.url())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.accepted(), NIGHT_1_STARTS);
}

/// Without a webhook, or with one that is not a URL: a clear error before
/// anything is sent.
#[test]
fn no_webhook_is_a_clear_error() {
    let p = Project::new(Backend::Sqlite, "notify_none", "").unwrap();
    p.run("night-1.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: no webhook to deliver to: set `[notify] webhook` in vital.toml (for example `webhook = \"${SLACK_WEBHOOK}\"`), or give `--webhook URL`\n"
    );
    let o = p.vital(&["notify", "--webhook", "hooks.example.com/x"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: `--webhook` is an http:// or https:// URL; `hooks.example.com/…` has no scheme (`https://` first)\n"
    );
    // without a store there is nothing to deliver from
    let empty = tempfile::tempdir().unwrap();
    let o = support::vital_in(
        empty.path(),
        &["notify", "--webhook", "http://127.0.0.1:9/x"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: no history store"),
        "{}",
        stderr(&o)
    );
}

/// An account name that is not ASCII is delivered too: the body is UTF-8,
/// the `Idempotency-Key` header percent-encoded.
#[test]
fn a_non_ascii_account_is_delivered() {
    let server = Server::start(|_, _| Reply::Status(200));
    let p = Project::new(
        Backend::Sqlite,
        "notify_utf8",
        &notify_toml(&server.url(), 2, 2000),
    )
    .unwrap();
    std::fs::write(
        p.path().join("utf8.jsonl"),
        "{\"account\": \"Café Ü\", \"as_of\": \"2026-11-01\", \"signals\": {\"usage\": 20}}\n",
    )
    .unwrap();
    p.run("utf8.jsonl");
    let o = p.vital(&["notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].id, "Café Ü/2026-11-01/risk review");
    assert_eq!(seen[0].body["account"], "Café Ü");
    assert_eq!(
        seen[0].idempotency_key,
        "Caf%C3%A9 %C3%9C/2026-11-01/risk review"
    );
}
