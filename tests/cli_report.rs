//! `vital report` through the real binary: the HTML of the examples, its
//! headline against `vital summary --format json`, escaping of data,
//! history from a store of three nights, and the file opened in headless
//! Chromium (skipped with a notice when `chromium` is not installed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

#[path = "support/pg.rs"]
mod pg;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{root, stderr, stdout, vital_in};

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

/// `vital report -o FILE ARGS` in `dir`; the HTML.
fn report(dir: &Path, out: &Path, args: &[&str]) -> String {
    let o = vital_in(
        dir,
        &[&["report", "-o", out.to_str().unwrap()], args].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::read_to_string(out).unwrap()
}

fn summary(dir: &Path, args: &[&str]) -> Value {
    let o = vital_in(dir, &[&["summary", "--format", "json"], args].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// The text of the element with this id (no markup inside it).
fn by_id(html: &str, id: &str) -> String {
    let start = format!("id=\"{id}\">");
    let at = html
        .find(&start)
        .unwrap_or_else(|| panic!("no #{id} in the report"))
        + start.len();
    html[at..].split('<').next().unwrap().to_string()
}

fn separated(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The headline equals what `vital summary` says, in the report's words.
fn assert_headline(html: &str, sum: &Value) {
    let t = &sum["total"];
    assert_eq!(
        by_id(html, "h-accounts"),
        separated(t["accounts"].as_u64().unwrap())
    );
    assert_eq!(
        by_id(html, "h-healthy"),
        format!("{}%", t["healthy"]["share"])
    );
    assert_eq!(
        by_id(html, "h-at-risk"),
        separated(t["at_risk"]["accounts"].as_u64().unwrap())
    );
    assert_eq!(by_id(html, "h-mean"), t["health"]["mean"].to_string());
    if sum["value_signal"].is_string() {
        let whole = |v: &Value| separated(v.as_f64().unwrap().round() as u64);
        assert_eq!(by_id(html, "h-value"), whole(&t["value"]));
        assert_eq!(
            by_id(html, "h-value-at-risk"),
            whole(&t["at_risk"]["value"])
        );
    }
}

/// Nothing in the file reaches the network.
fn assert_self_contained(html: &str) {
    for bad in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(bad), "the report holds `{bad}`");
    }
    // links only within the page
    for link in html.split("href=").skip(1) {
        assert!(
            link.starts_with("\"#"),
            "a link out of the page: {link:.40}"
        );
    }
    assert_eq!(html.matches("<script").count(), 1, "one inline script");
    assert_eq!(html.matches("<style").count(), 1, "one inline style");
}

#[test]
fn digital_signals_headline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("digital-signals");
    let html = report(&dir, &tmp.path().join("r.html"), &[]);
    assert_self_contained(&html);
    let sum = summary(&dir, &[]);
    assert_headline(&html, &sum);
    // literal figures (checked against `vital summary`, see cli_summary.rs)
    assert_eq!(by_id(&html, "h-value"), "176,896,296");
    assert_eq!(by_id(&html, "h-value-at-risk"), "58,259,303");
    assert_eq!(by_id(&html, "h-healthy"), "34%");
    assert_eq!(by_id(&html, "as-of"), "2026-11-01");
    assert!(html.contains("651 accounts at risk, the 50 most valuable shown"));
    // the at-risk list: 50 rows, the most valuable first, with reasons
    let rows = html.split("id=\"at-risk\"").nth(1).unwrap();
    let rows = rows.split("</tbody>").next().unwrap();
    assert_eq!(rows.matches("<tr><td>").count(), 50);
    assert!(
        rows.starts_with(" data-sortable><thead>")
            && rows.contains("<tr><td>contoso-pharma-0010</td>"),
        "{rows}"
    );
    assert!(rows.contains("<li>no executive sponsor <b>-20</b> <small>(relationship)</small></li>"));
    // one section per listed account, with `vital explain`'s text
    assert_eq!(html.matches("<details class=\"acct\"").count(), 50);
    assert_eq!(html.matches("<a href=\"#a-").count(), 50);
    let first = html
        .split("<details class=\"acct\" id=\"a-0\">")
        .nth(1)
        .unwrap();
    let pre = first
        .split("<pre>")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    let o = vital_in(&dir, &["explain", "--account", "contoso-pharma-0010"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let unescaped = pre
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    assert_eq!(unescaped.trim_end(), stdout(&o).trim_end());
    // no history store: no comparison, no chart over time
    assert!(html.contains("No earlier run in a history store"));
    assert!(!html.contains("id=\"over-time\""));
}

/// Three nights recorded in a store: status over time, sparklines, the
/// change since the previous night; an account named like markup is text.
#[test]
fn history_and_escaping() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    history_and_escaping_in(db.to_str().unwrap());
}

/// The same on PostgreSQL (`VITAL_TEST_PG_URL`; skipped without it).
#[test]
fn history_and_escaping_postgres() {
    let Some(url) = pg::fresh_database("cli_report_history") else {
        return pg::skipped("history_and_escaping");
    };
    history_and_escaping_in(&url);
}

fn history_and_escaping_in(db: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("support-health");
    let mut nights: Vec<(String, Vec<String>)> = Vec::new();
    for line in std::fs::read_to_string(dir.join("snapshots.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        let d = v["as_of"].as_str().unwrap().to_string();
        match nights.iter_mut().find(|(n, _)| *n == d) {
            Some((_, lines)) => lines.push(line.to_string()),
            None => nights.push((d, vec![line.to_string()])),
        }
    }
    nights.sort();
    assert_eq!(nights.len(), 3);
    // a hostile account on the last night: oscorp-robotics-0474's record
    let last = &mut nights[2].1;
    let copy = last
        .iter()
        .find(|l| l.contains("\"oscorp-robotics-0474\""))
        .unwrap()
        .replace("oscorp-robotics-0474", "<script>alert(1)</script>");
    last.push(copy);
    let mut files = Vec::new();
    let mut started_since_october = 0;
    for (d, lines) in &nights {
        let f = tmp.path().join(format!("{d}.jsonl"));
        std::fs::write(&f, lines.join("\n") + "\n").unwrap();
        let o = vital_in(
            &dir,
            &[
                "run",
                "--history",
                db,
                "--format",
                "jsonl",
                f.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        if d.as_str() >= "2026-10-01" {
            for r in support::jsonl(&o) {
                started_since_october += r["started"].as_array().unwrap().len();
            }
        }
        files.push(f);
    }
    let last_file = files[2].to_str().unwrap();
    let out = tmp.path().join("r.html");
    let html = report(
        &dir,
        &out,
        &["--history", db, "--queue-days", "32", last_file],
    );
    assert_self_contained(&html);
    // the report recorded nothing
    let mut store =
        vital_store::Store::open(db, Path::new("."), std::time::Duration::from_secs(30)).unwrap();
    let runs = store.query("SELECT count(*) FROM runs", &[]).unwrap();
    assert_eq!(runs[0][0].int(), Some(3));
    drop(store);
    assert!(!html.contains("<script>alert"), "markup from data escaped");
    assert!(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assert!(html.contains("<summary><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"));
    assert!(html.contains("<pre>&lt;script&gt;alert(1)&lt;/script&gt; — as of 2026-11-01\n"));
    // an account's trend: stored nights, then tonight
    assert!(html.contains("2026-09-01 12 → 2026-10-01 12 → 2026-11-01 0"));
    // and its scores (as `vital run --as-of 2026-10-01` over the first
    // two nights reports them)
    assert!(html.contains("<tr><td>2026-10-01</td><td>12</td><td class=\"t\">danger</td><td>0</td><td>15</td><td>0</td><td>50</td></tr>"));
    assert!(html.contains("<svg class=\"trend\""));
    // the report evaluates with the store as history: as the run recorded
    let sum = summary(&dir, &["--history", db]);
    assert_eq!(sum["source"], "store");
    assert_headline(&html, &sum);
    assert_eq!(by_id(&html, "h-accounts"), "501");
    // since 2026-10-01 (computed from `vital run --as-of 2026-10-01` over
    // the first two nights: 500 accounts, 213 champion, 110 danger, mean
    // 66.7322); 501 now with the copy, which is in danger
    assert!(html.contains("+1</span> since 2026-10-01"), "accounts");
    assert!(
        html.contains("+12</span> since 2026-10-01"),
        "at risk: {}",
        by_id(&html, "h-at-risk")
    );
    // the playbook queue: the starts of 2026-10-01 ..= 2026-11-01
    assert!(started_since_october > 100);
    assert_eq!(
        by_id(&html, "queue-count"),
        started_since_october.to_string()
    );
    let queue = html.split("id=\"queue\"").nth(1).unwrap();
    let queue = queue.split("</tbody>").next().unwrap();
    assert_eq!(queue.matches("<tr>").count(), started_since_october + 1);
    assert!(queue.contains("<td class=\"t st\">2026-10-01</td>"));
    // movers (checked against the jsonl results of 2026-10-01 and -11-01)
    assert!(html.contains("<h2>Movers since 2026-10-01</h2>"));
    assert!(html.contains("488 accounts moved"));
    let drops = html.split("id=\"drops\"").nth(1).unwrap();
    assert!(
        drops.contains(
            "<tr><td>initech-bank-0278</td><td><span class=\"down\">−36</span></td><td>29.1</td>"
        ),
        "{drops}"
    );
    let rises = html.split("id=\"rises\"").nth(1).unwrap();
    assert!(
        rises.contains("<tr><td>monarch-travel-0273</td><td><span class=\"up\">+16.7</span></td>")
    );
    // status over time: one stacked bar per night, its numbers as a table
    assert!(html.contains("id=\"over-time\""));
    let table = html.split("id=\"over-time-table\"").nth(1).unwrap();
    let table = table.split("</tbody>").next().unwrap();
    assert!(table.contains("<tr><td>2026-09-01</td>"));
    assert!(table.contains("<tr><td>2026-10-01</td><td>213</td><td>177</td><td>110</td><td>500</td><td>66.73</td></tr>"), "{table}");
    assert!(
        table.contains("<tr><td>2026-11-01</td><td>192</td><td>187</td><td>122</td><td>501</td>"),
        "{table}"
    );
    // groups by the enum signal, each with a sparkline over three nights
    let groups = html.split("id=\"groups\"").nth(1).unwrap();
    let groups = groups.split("</tbody>").next().unwrap();
    assert_eq!(groups.matches("<polyline").count(), 3, "{groups}");
    assert_eq!(groups.matches("<tr>").count(), 4);
}

/// Rule coverage: accounts each rule changed a score for or triggered for
/// (counted independently from `vital run --explain`); silent rules flagged.
#[test]
fn rule_coverage() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(&example("support-health"), &tmp.path().join("r.html"), &[]);
    assert_eq!(by_id(&html, "silent-rules"), "1");
    let table = html.split("id=\"coverage\"").nth(1).unwrap();
    let table = table.split("</tbody>").next().unwrap();
    assert!(table.contains("<tr class=\"silent\"><td class=\"t\">⚠ NPS improving</td><td class=\"t\">adjusts loyalty</td><td>0</td>"), "{table}");
    for (rule, does, n) in [
        ("escalations", "adjusts satisfaction", 86),
        ("urgent tickets", "adjusts contact", 149),
        ("CSAT dropping", "adjusts satisfaction", 65),
        ("health dropping", "starts support recovery", 81),
        ("danger", "starts support recovery", 121),
    ] {
        let row = format!("<tr><td class=\"t\">{rule}</td><td class=\"t\">{does}</td><td>{n}</td>");
        assert!(table.contains(&row), "{row}\n{table}");
    }
    assert_eq!(
        table.matches("<tr").count(),
        16,
        "10 adjustments, 5 triggers, the header"
    );
}

/// The report opened in headless Chromium with no network: no console
/// message or script error, the DOM after its script ran carries the
/// headline of `vital summary`; a screenshot is
/// written (target/report-screenshots/) for people to look at.
#[test]
fn chromium_renders_the_report() {
    let Some(chromium) = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
    else {
        eprintln!("notice: chromium is not installed; the browser test is skipped (apt-get install chromium)");
        return;
    };
    let shots = root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for name in ["digital-signals", "support-health", "advocacy"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = example(name);
        let out = tmp.path().join(format!("{name}.html"));
        let html = report(&dir, &out, &[]);
        assert_self_contained(&html);
        let url = format!("file://{}", out.display());
        let profile = tempfile::tempdir().unwrap();
        let browse = |extra: &[&str]| {
            let o = Command::new(chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    // any host name fails to resolve: nothing can be fetched
                    "--host-resolver-rules=MAP * ~NOTFOUND",
                    &format!("--user-data-dir={}", profile.path().display()),
                    // console messages and script errors on stderr
                    "--enable-logging=stderr",
                    "--v=0",
                    "--window-size=1280,2000",
                ])
                .args(extra)
                .arg(&url)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            o
        };
        let opened = browse(&["--dump-dom"]);
        let log = String::from_utf8_lossy(&opened.stderr);
        assert!(
            !log.contains("CONSOLE") && !log.contains("Uncaught"),
            "{name}: console messages: {log}"
        );
        let dom = String::from_utf8_lossy(&opened.stdout).into_owned();
        assert!(dom.contains("</table>"), "{name}: {dom}");
        assert_headline(&dom, &summary(&dir, &[]));
        // the script ran: sortable headers were marked
        assert!(
            dom.contains("data-sort=\"\""),
            "{name}: the inline script ran"
        );
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        browse(&[&format!("--screenshot={}", shot.display())]);
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG");
        // a blank 1280×2000 page compresses to a few kilobytes
        assert!(png.len() > 50_000, "{name}: {} bytes", png.len());
    }
}

/// The page's structure (headings, headline keys, tables with their
/// columns and row counts, charts, account sections), without its numbers.
fn outline(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut rows = 0usize;
    let mut sections = 0usize;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let tag: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        let attrs = rest.split('>').next().unwrap_or("");
        let text = rest
            .split_once('>')
            .map(|(_, t)| t.split('<').next().unwrap_or(""))
            .unwrap_or("");
        let id = attrs
            .split("id=\"")
            .nth(1)
            .and_then(|s| s.split('"').next());
        match tag.as_str() {
            "h1" | "h2" | "h3" => out.push_str(&format!("{tag} {text}\n")),
            "div" if attrs.contains("class=\"k\"") => out.push_str(&format!("  card {text}\n")),
            "table" => out.push_str(&format!("table #{}\n", id.unwrap_or("-"))),
            "th" => out.push_str(&format!("  | {text}\n")),
            "tr" => rows += 1,
            "/tbody" => {
                out.push_str(&format!("  {rows} rows\n"));
                rows = 0;
            }
            "thead" | "/thead" => rows = 0,
            "svg" if id.is_some() => out.push_str(&format!("svg #{}\n", id.unwrap_or("-"))),
            "details" if attrs.contains("acct") => sections += 1,
            "footer" => out.push_str(&format!("{sections} account sections\nfooter\n")),
            _ => {}
        }
    }
    out
}

#[test]
fn report_structure() {
    for name in ["digital-signals", "support-health"] {
        let tmp = tempfile::tempdir().unwrap();
        let html = report(&example(name), &tmp.path().join("r.html"), &[]);
        insta::assert_snapshot!(format!("report_outline_{name}"), outline(&html));
    }
}
