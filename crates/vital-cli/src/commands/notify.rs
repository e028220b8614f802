//! `vital notify`: deliver each playbook start the history store holds and
//! has not delivered yet to a webhook (docs/history.md, "Delivering
//! starts").
//!
//! One POST per start, a JSON body with a Slack-compatible `text` and the
//! start's fields. Starts go out oldest first. A start is marked delivered
//! in the store (its own statement, committed at once) as soon as the
//! webhook answered 2xx, so a crash half-way re-sends at most the one start
//! in flight. 5xx, 429, timeouts and connection failures are retried with
//! exponential backoff up to `[notify] attempts` tries; any other answer is
//! not. A start that fails its last try stops the command (exit 1) with its
//! tries and error recorded; it and every start after it stay undelivered
//! for the next `vital notify`. One `vital notify` delivers at a time
//! (`Store::lock_delivery`); another one at the same moment stops.

use super::history::store_for;
use super::{fail, project};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;
use vital_store::Start;

#[derive(clap::Args)]
pub struct Args {
    /// The webhook to POST to, instead of `[notify] webhook` of vital.toml.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Print the body of each start that would be delivered (JSON Lines)
    /// and send nothing, record nothing.
    #[arg(long)]
    dry_run: bool,
    /// The store: a SQLite file or a postgres:// URL (default: `[history]
    /// store` of vital.toml).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
}

/// What one start sends: `text` for Slack (and anything that shows
/// `text`), and the fields for a program.
pub fn body(s: &Start) -> serde_json::Value {
    let as_of = s.as_of.format("%Y-%m-%d").to_string();
    let mut text = format!("*{}* started for *{}* on {as_of}", s.playbook, s.account);
    let mut facts = Vec::new();
    if let Some(h) = s.health {
        facts.push(format!("health {h:.1}"));
    }
    if let Some(st) = &s.status {
        facts.push(format!("status {st}"));
    }
    if let Some(o) = &s.owner {
        facts.push(format!("owner {o}"));
    }
    if !facts.is_empty() {
        text.push_str(" — ");
        text.push_str(&facts.join(", "));
    }
    match (&s.rule, &s.source) {
        (Some(r), Some(src)) => text.push_str(&format!("\nrule `{r}` ({src})")),
        (None, Some(src)) => text.push_str(&format!("\nrule at {src}")),
        (Some(r), None) => text.push_str(&format!("\nrule `{r}`")),
        (None, None) => {}
    }
    if !s.reads.is_empty() {
        text.push_str(": ");
        text.push_str(&s.reads.join("; "));
    }
    serde_json::json!({
        "text": text,
        "id": id(s),
        "account": s.account,
        "playbook": s.playbook,
        "as_of": as_of,
        "owner": s.owner,
        "health": s.health,
        "status": s.status,
        "rule": s.rule,
        "source": s.source,
        "reads": s.reads,
    })
}

/// The start's key, `account/as_of/playbook`: the same on every try and
/// every `vital notify`, for a receiver that drops repeats
/// (`Idempotency-Key`).
fn id(s: &Start) -> String {
    format!(
        "{}/{}/{}",
        s.account,
        s.as_of.format("%Y-%m-%d"),
        s.playbook
    )
}

/// `id` as a header value: bytes outside printable ASCII (and `%`)
/// percent-encoded, so an account named `Café` is still sent.
fn header_value(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn name(s: &Start) -> String {
    format!(
        "the start of `{}` for `{}` on {}",
        s.playbook,
        s.account,
        s.as_of.format("%Y-%m-%d")
    )
}

/// How one try went.
enum Try {
    Delivered,
    /// Worth another try (5xx, 429, timeout, no connection); the wait the
    /// server asked for (`Retry-After`), if any.
    Again(String, Option<Duration>),
    /// Another try would fail the same way (4xx other than 429, a URL
    /// the client cannot use).
    Refused(String),
}

/// `HTTP 500 Internal Server Error: what the body said`.
fn status_text(code: u16, reason: Option<&str>, said: &str) -> String {
    let mut t = format!("HTTP {code}");
    if let Some(r) = reason {
        t.push(' ');
        t.push_str(r);
    }
    let said: String = said.trim().chars().take(200).collect();
    if !said.is_empty() {
        t.push_str(": ");
        t.push_str(&said.replace(['\n', '\r'], " "));
    }
    t
}

fn post(agent: &ureq::Agent, url: &str, key: &str, body: &str, timeout: Duration) -> Try {
    let r = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .send(body);
    match r {
        Ok(mut resp) => {
            let status = resp.status();
            let code = status.as_u16();
            let said = resp
                .body_mut()
                .with_config()
                .limit(4096)
                .read_to_string()
                .unwrap_or_default();
            if status.is_success() {
                return Try::Delivered;
            }
            let text = status_text(code, status.canonical_reason(), &said);
            if code == 429 || status.is_server_error() {
                let after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Try::Again(text, after)
            } else {
                Try::Refused(text)
            }
        }
        Err(ureq::Error::Timeout(_)) => Try::Again(
            format!("no answer within {} ms (timed out)", timeout.as_millis()),
            None,
        ),
        Err(ureq::Error::Io(e)) => Try::Again(format!("connection failed: {e}"), None),
        Err(ureq::Error::ConnectionFailed) => Try::Again("connection failed".into(), None),
        Err(ureq::Error::HostNotFound) => Try::Again("host not found".into(), None),
        Err(e @ ureq::Error::Protocol(_)) => Try::Again(format!("broken answer: {e}"), None),
        Err(e) => Try::Refused(e.to_string()),
    }
}

/// The longest wait between two tries.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// The wait after failed try `n` (1-based): `backoff`, doubled each time.
fn backoff(base_ms: u64, n: u32) -> Duration {
    let ms = base_ms.saturating_mul(1u64 << n.saturating_sub(1).min(30));
    Duration::from_millis(ms).min(MAX_WAIT)
}

/// How one start's delivery ended.
enum Outcome {
    Delivered(i64),
    Failed {
        tries: i64,
        error: String,
        retried: bool,
    },
}

fn deliver(
    agent: &ureq::Agent,
    url: &str,
    settings: &vital_project::Notify,
    s: &Start,
    errors: &mut dyn Write,
) -> Outcome {
    let body = body(s).to_string();
    let key = header_value(&id(s));
    let timeout = Duration::from_millis(settings.timeout_ms);
    let mut tries: i64 = 0;
    loop {
        tries += 1;
        match post(agent, url, &key, &body, timeout) {
            Try::Delivered => return Outcome::Delivered(tries),
            Try::Refused(error) => {
                return Outcome::Failed {
                    tries,
                    error,
                    retried: false,
                }
            }
            Try::Again(error, after) => {
                if tries >= i64::from(settings.attempts) {
                    return Outcome::Failed {
                        tries,
                        error,
                        retried: true,
                    };
                }
                let wait = backoff(settings.backoff_ms, tries as u32)
                    .max(after.unwrap_or_default().min(MAX_WAIT));
                let _ = writeln!(
                    errors,
                    "warning: try {tries} of {} for {} failed: {error}; trying again in {:.1} s",
                    settings.attempts,
                    name(s),
                    wait.as_secs_f64()
                );
                std::thread::sleep(wait);
            }
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn run(args: Args) -> ExitCode {
    let found = match project::discover() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let settings = found
        .as_ref()
        .and_then(|p| p.notify.clone())
        .unwrap_or_default();
    let url = match &args.webhook {
        Some(w) => match vital_project::webhook_url(w) {
            Ok(()) => Some(w.clone()),
            Err(e) => return fail(e.replacen("`webhook`", "`--webhook`", 1)),
        },
        None => match found.as_ref().map(|p| p.webhook()) {
            // a dry run sends nothing: it needs no webhook, nor the secret
            // its `${VAR}` names
            Some(Err(_)) if args.dry_run => None,
            Some(Err(e)) => return project::report(&e),
            Some(Ok(w)) => w,
            None => None,
        },
    };
    if url.is_none() && !args.dry_run {
        return fail(
            "no webhook to deliver to: set `[notify] webhook` in vital.toml (for example `webhook = \"${SLACK_WEBHOOK}\"`), or give `--webhook URL`",
        );
    }
    let shown = url
        .as_deref()
        .map_or_else(|| "the webhook".to_string(), vital_project::redact);
    let mut store = match store_for(args.history.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // one delivering process at a time: the list is read under the lock
    let _lock = if args.dry_run {
        None
    } else {
        match store.lock_delivery() {
            Ok(Some(l)) => Some(l),
            Ok(None) => {
                return fail(format!(
                    "another `vital notify` is delivering from the history store {}; nothing was sent (run it again when that one has finished)",
                    store.location
                ))
            }
            Err(e) => return fail(e),
        }
    };
    let pending = match store.undelivered() {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    if args.dry_run {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for s in &pending {
            if let Err(e) = writeln!(out, "{}", body(s)) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
                return fail(e);
            }
        }
        let _ = writeln!(
            errors,
            "dry run: would deliver {} to {shown}; nothing sent, nothing recorded",
            plural(pending.len(), "playbook start", "playbook starts")
        );
        return ExitCode::SUCCESS;
    }
    let Some(url) = url else {
        return ExitCode::from(1);
    };
    if pending.is_empty() {
        let _ = writeln!(
            errors,
            "nothing to deliver: every playbook start in the history store {} has been delivered",
            store.location
        );
        return ExitCode::SUCCESS;
    }
    let timeout = Duration::from_millis(settings.timeout_ms);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(timeout))
        .timeout_global(Some(timeout))
        .user_agent(format!("vital/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut delivered = 0usize;
    let mut retried = 0usize;
    for (i, s) in pending.iter().enumerate() {
        match deliver(&agent, &url, &settings, s, &mut errors) {
            Outcome::Delivered(tries) => {
                if tries > 1 {
                    retried += 1;
                }
                if let Err(e) = store.mark_delivered(
                    &s.account,
                    s.as_of,
                    &s.playbook,
                    chrono::Utc::now(),
                    tries,
                ) {
                    let _ = writeln!(
                        errors,
                        "error: {} was delivered to {shown}, but the history store {} could not record it: {e}; the next `vital notify` sends it again",
                        name(s),
                        store.location
                    );
                    return ExitCode::from(1);
                }
                delivered += 1;
            }
            Outcome::Failed {
                tries,
                error,
                retried: was_retried,
            } => {
                let recorded = store.mark_failed(&s.account, s.as_of, &s.playbook, tries, &error);
                let why = if was_retried {
                    format!(
                        "was not delivered to {shown} after {}: {error}",
                        plural(tries as usize, "try", "tries")
                    )
                } else {
                    format!(
                        "was refused by {shown}: {error}; not retried (the same request would fail again: check the webhook)"
                    )
                };
                let _ = writeln!(errors, "error: {} {why}", name(s));
                if let Err(e) = recorded {
                    let _ = writeln!(
                        errors,
                        "warning: the failed tries could not be recorded in the history store: {e}"
                    );
                }
                let _ = writeln!(
                    errors,
                    "note: {} delivered; {} not delivered ({} of them not tried), kept in the history store for the next `vital notify`",
                    plural(delivered, "start", "starts"),
                    plural(pending.len() - i, "start", "starts"),
                    pending.len() - i - 1
                );
                return ExitCode::from(1);
            }
        }
    }
    let _ = writeln!(
        errors,
        "delivered {} to {shown}{}",
        plural(delivered, "playbook start", "playbook starts"),
        if retried > 0 {
            format!(" ({} after retries)", plural(retried, "start", "starts"))
        } else {
            String::new()
        }
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped() {
        assert_eq!(backoff(100, 1), Duration::from_millis(100));
        assert_eq!(backoff(100, 2), Duration::from_millis(200));
        assert_eq!(backoff(100, 4), Duration::from_millis(800));
        assert_eq!(backoff(0, 3), Duration::ZERO);
        assert_eq!(backoff(1000, 40), MAX_WAIT);
        assert_eq!(backoff(u64::MAX, 2), MAX_WAIT);
    }

    #[test]
    fn the_body_has_slack_text_and_the_fields() {
        let s = Start {
            account: "acme".into(),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            playbook: "risk review".into(),
            owner: Some("jane".into()),
            health: Some(41.25),
            status: Some("danger".into()),
            rule: Some("low_usage".into()),
            source: Some("rules/p.vital:3:1".into()),
            reads: vec!["usage = 12%".into(), "tickets = 4".into()],
            delivered_at: None,
            attempts: 0,
            last_error: None,
        };
        let b = body(&s);
        assert_eq!(
            b["text"],
            "*risk review* started for *acme* on 2026-11-01 — health 41.2, status danger, owner jane\nrule `low_usage` (rules/p.vital:3:1): usage = 12%; tickets = 4"
        );
        assert_eq!(b["id"], "acme/2026-11-01/risk review");
        assert_eq!(b["as_of"], "2026-11-01");
        assert_eq!(b["health"], 41.25);
        assert_eq!(b["reads"][1], "tickets = 4");
        assert_eq!(b["owner"], "jane");
    }

    #[test]
    fn header_values_are_printable_ascii() {
        assert_eq!(
            header_value("a/2026-11-01/risk review"),
            "a/2026-11-01/risk review"
        );
        assert_eq!(header_value("Café/x\n%"), "Caf%C3%A9/x%0A%25");
    }

    #[test]
    fn status_text_is_one_line() {
        assert_eq!(
            status_text(500, Some("Internal Server Error"), "boom\nagain"),
            "HTTP 500 Internal Server Error: boom again"
        );
        assert_eq!(status_text(404, None, "  "), "HTTP 404");
    }
}
