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
use support::{record, root, stderr, stdout, vital_in};

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
        format!("{:.1}%", t["healthy"]["share"].as_f64().unwrap())
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
    // one inline script, and the search's index as inert JSON
    assert_eq!(html.matches("<script").count(), 2, "two script elements");
    assert_eq!(html.matches("<script>").count(), 1, "one inline script");
    assert_eq!(
        html.matches("<script type=\"application/json\" id=\"accounts-index\">")
            .count(),
        1
    );
    assert_eq!(html.matches("<style").count(), 1, "one inline style");
}

/// The search's index of every account, as the page embeds it.
fn account_index(html: &str) -> Value {
    let start = "<script type=\"application/json\" id=\"accounts-index\">";
    let at = html.find(start).expect("the account index") + start.len();
    let json = html[at..].split("</script>").next().unwrap();
    assert!(!json.contains('<'), "markup escaped in the index");
    serde_json::from_str(json).unwrap()
}

/// The rows (`<tr>…</tr>`) of the table with this id.
fn rows<'a>(html: &'a str, id: &str) -> Vec<&'a str> {
    let table = html
        .split(&format!("id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no #{id}"));
    let body = table
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tbody>")
        .next()
        .unwrap();
    body.split("<tr")
        .skip(1)
        .map(|r| r.split("</tr>").next().unwrap())
        .collect()
}

/// The cells of a row, as text (markup dropped).
fn cells(row: &str) -> Vec<String> {
    row.split("<td")
        .skip(1)
        .map(|c| {
            let inner = c.split_once('>').unwrap().1;
            let inner = inner.rsplit_once("</td>").map_or(inner, |x| x.0);
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text
        })
        .collect()
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
    assert_eq!(by_id(&html, "h-healthy"), "34.0%");
    assert_eq!(by_id(&html, "as-of"), "2026-11-01");
    assert!(html.contains("651 accounts at risk, the 50 most valuable shown"));
    // the at-risk list: 50 rows, the most valuable first, with reasons
    let rows = html.split("id=\"at-risk\"").nth(1).unwrap();
    let rows = rows.split("</tbody>").next().unwrap();
    assert_eq!(rows.matches("<tr><td>").count(), 50);
    assert!(
        rows.starts_with(" data-sortable><thead>")
            && html.contains("<table class=\"stack\" id=\"at-risk\"")
            && rows.contains("<tr><td>contoso-pharma-0010</td>"),
        "{rows}"
    );
    assert!(rows.contains("<li>no executive sponsor <b>-20</b> <small>(relationship)</small></li>"));
    // one section per listed account, with `vital explain`'s text
    assert_eq!(html.matches("<details class=\"acct\"").count(), 50);
    assert_eq!(html.matches("<a href=\"#a-").count(), 50);
    let first = html
        .split("<details class=\"acct\" id=\"a-0\" data-account=\"contoso-pharma-0010\">")
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
    // no history store: no comparison, no chart over time; movers against
    // the night before in the input
    assert!(html.contains("No earlier run in a history store"));
    assert!(!html.contains("id=\"over-time\""));
    assert!(html.contains("<h2 id=\"movers\">Movers since 2026-10-01</h2>"));
    // the search's index: every account (not only the listed ones), the
    // least healthy first, with health, status, value and groups as
    // `vital run` reports them
    let index = account_index(&html);
    let ids = index["id"].as_array().unwrap();
    assert_eq!(
        ids.len(),
        sum["total"]["accounts"].as_u64().unwrap() as usize
    );
    let o = vital_in(&dir, &["run", "--format", "jsonl"]);
    let run = support::jsonl(&o);
    assert_eq!(run.len(), ids.len());
    let statuses = index["statuses"].as_array().unwrap();
    // (no enum signal to group by)
    assert_eq!(index["by"], serde_json::json!([]));
    let mut last = f64::MIN;
    for (k, id) in ids.iter().enumerate() {
        let r = run.iter().find(|r| r["account"] == *id).unwrap();
        let h = index["health"][k].as_f64().unwrap();
        assert_eq!(h, r["health"].as_f64().unwrap(), "{id}");
        assert!(h >= last, "least healthy first");
        last = h;
        let st = index["status"][k].as_u64().unwrap() as usize;
        assert_eq!(statuses[st], r["status"], "{id}");
    }
    // its values are whole and its groups index their distinct values
    let arr = index["values"][0].as_f64().unwrap();
    assert_eq!(arr, arr.round());
    for g in index["groups"].as_array().unwrap() {
        let n = g["values"].as_array().unwrap().len() as i64;
        assert!(g["of"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| (-1..n).contains(&v.as_i64().unwrap())));
    }
    // an account that is not at risk is found too
    let healthy = run.iter().find(|r| r["status"] == statuses[0]).unwrap();
    assert!(ids.contains(&healthy["account"]));
    assert!(!html.contains(&format!(
        "<tr><td>{}</td>",
        healthy["account"].as_str().unwrap()
    )));
    // the search box is there for scripts only
    assert!(html.contains("<section id=\"find\" hidden>"));
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

/// An example's snapshots night by night: (date, lines), oldest first.
fn nights_of(dir: &Path) -> Vec<(String, Vec<String>)> {
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
    nights
}

fn history_and_escaping_in(db: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("support-health");
    let mut nights = nights_of(&dir);
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
        let o = record(&dir, db, &f);
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
    let index = account_index(&html);
    assert!(index["id"]
        .as_array()
        .unwrap()
        .contains(&Value::from("<script>alert(1)</script>")));
    assert!(html.contains("\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""));
    assert!(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assert!(html.contains("<summary><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"));
    assert!(html.contains("<pre>&lt;script&gt;alert(1)&lt;/script&gt; — as of 2026-11-01\n"));
    // an account's trend: stored nights, then tonight
    assert!(html.contains("2026-09-01 12.0 → 2026-10-01 12.0 → 2026-11-01 0.0"));
    // and its scores (as `vital run --as-of 2026-10-01` over the first
    // two nights reports them)
    assert!(html.contains("<tr><td>2026-10-01</td><td>12.0</td><td class=\"t\">danger</td><td>0.0</td><td>15.0</td><td>0.0</td><td>50.0</td></tr>"));
    assert!(html.contains("<svg class=\"trend\""));
    // the report evaluates with the store as history: as the run recorded
    let sum = summary(&dir, &["--history", db]);
    assert_eq!(sum["source"], "store");
    assert_headline(&html, &sum);
    assert_eq!(by_id(&html, "h-accounts"), "501");
    // the night compared with holds (nearly) the same accounts: no warning
    assert!(!html.contains("h-population"));
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
    // each start's health with one decimal, as results give it (`12.0`)
    for row in rows(&html, "queue") {
        let health = cells(row)[4].clone();
        assert!(
            health == "n/a" || health.split_once('.').is_some_and(|(_, d)| d.len() == 1),
            "{health}: {row}"
        );
    }
    // movers (checked against the jsonl results of 2026-10-01 and -11-01)
    assert!(html.contains("<h2 id=\"movers\">Movers since 2026-10-01</h2>"));
    assert!(html.contains("488 of the 500 accounts with an earlier snapshot moved"));
    let drops = html.split("id=\"drops\"").nth(1).unwrap();
    assert!(
        drops.contains(
            "<tr><td>initech-bank-0278</td><td data-label=\"change\"><span class=\"down\">−36</span></td><td data-label=\"health\">29.1</td>"
        ),
        "{drops}"
    );
    let rises = html.split("id=\"rises\"").nth(1).unwrap();
    assert!(
        rises.contains("<tr><td>monarch-travel-0273</td><td data-label=\"change\"><span class=\"up\">+16.7</span></td>")
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
    // and the sparklines' numbers as a table: a column per night
    let by_night = rows(&html, "groups-by-night");
    assert_eq!(by_night.len(), 3);
    for r in &by_night {
        assert_eq!(cells(r).len(), 4, "the group, three nights");
    }
}

/// Rule coverage: accounts each rule changed a score for or triggered for
/// (counted independently from `vital run --explain`); silent rules flagged.
/// A night compared with that stored far fewer (or more) accounts makes
/// the headline's changes say little: the page says so.
#[test]
fn a_sparse_night_compared_with_is_pointed_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("support-health");
    let db = tmp.path().join("h.db");
    let db = db.to_str().unwrap();
    let nights = nights_of(&dir);
    let night = |d: &str| -> Vec<String> { nights.iter().find(|(n, _)| n == d).unwrap().1.clone() };
    let first: Vec<String> = night("2026-10-01").into_iter().take(10).collect();
    let second = night("2026-11-01");
    assert!(second.len() > 100, "{}", second.len());
    let (f1, f2) = (tmp.path().join("n1.jsonl"), tmp.path().join("n2.jsonl"));
    std::fs::write(&f1, first.join("\n") + "\n").unwrap();
    std::fs::write(&f2, second.join("\n") + "\n").unwrap();
    record(&dir, db, &f1);
    let out = tmp.path().join("r.html");
    let html = report(&dir, &out, &["--history", db, f2.to_str().unwrap()]);
    let note = by_id(&html, "h-population");
    assert_eq!(
        note,
        format!(
            "The changes compare with 2026-10-01, which stored 10 accounts ({} now): they say as much about which accounts were stored as about their health.",
            separated(second.len() as u64)
        )
    );
}

/// A mover whose listed parts leave half a point or more of its change
/// unexplained (here a score that was n/a on the night before) says what
/// the rest is, and the parts and the rest add up to the change.
#[test]
fn a_movers_parts_add_up_to_its_change() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(&example("advocacy"), &tmp.path().join("r.html"), &[]);
    let at = html.find("<td>litware-energy-0034</td>").expect("a mover");
    let row = &html[at..at + html[at..].find("</tr>").unwrap()];
    assert!(
        row.contains("the rest: rounding, and scores that are n/a on one night"),
        "{row}"
    );
    let text = |s: &str| -> String {
        let mut out = String::new();
        let mut tag = false;
        for c in s.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out
    };
    let number = |s: &str| -> f64 {
        text(s)
            .replace('−', "-")
            .replace('+', "")
            .trim()
            .parse()
            .unwrap()
    };
    let cell = &row[row.find("data-label=\"change\">").unwrap()..];
    let change = number(&cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()]);
    let parts: f64 = row
        .split("<li")
        .skip(1)
        .map(|li| {
            number(
                li.split("<b>")
                    .nth(1)
                    .unwrap()
                    .split("</b>")
                    .next()
                    .unwrap(),
            )
        })
        .sum();
    assert!((parts - change).abs() < 0.011, "{parts} vs {change}: {row}");
}

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
/// headline of `vital summary`; printed to PDF (A4 pages, a sane count);
/// in a 390 px wide window nothing sticks out sideways and the search finds
/// an account that is not at risk. Screenshots (wide, and narrow with the
/// search's results) are written to target/report-screenshots/ for people
/// to look at.
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
    let probe_js = std::fs::read_to_string(root().join("tests/report/probe.js")).unwrap();
    for name in ["digital-signals", "support-health", "advocacy"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = example(name);
        let out = tmp.path().join(format!("{name}.html"));
        let html = report(&dir, &out, &[]);
        assert_self_contained(&html);
        let profile = tempfile::tempdir().unwrap();
        let browse = |page: &Path, extra: &[&str]| {
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
                .arg(format!("file://{}", page.display()))
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            o
        };
        let opened = browse(&out, &["--dump-dom"]);
        let log = String::from_utf8_lossy(&opened.stderr);
        assert!(
            !log.contains("CONSOLE") && !log.contains("Uncaught"),
            "{name}: console messages: {log}"
        );
        let dom = String::from_utf8_lossy(&opened.stdout).into_owned();
        assert!(dom.contains("</table>"), "{name}: {dom}");
        assert_headline(&dom, &summary(&dir, &[]));
        // the script ran: sortable headers were marked, the search shown
        assert!(
            dom.contains("data-sort=\"\""),
            "{name}: the inline script ran"
        );
        assert!(
            dom.contains("<section id=\"find\">"),
            "{name}: the search is shown"
        );
        // with scripts off: the same tables, no search and no dead controls
        // (the page without its one script: `--dump-dom` itself needs
        // scripts, so `--blink-settings=scriptEnabled=false` dumps nothing)
        let (before, after) = html.split_once("<script>").unwrap();
        let without = tmp.path().join(format!("{name}-noscript.html"));
        std::fs::write(
            &without,
            format!("{before}{}", after.split_once("</script>").unwrap().1),
        )
        .unwrap();
        let plain = browse(&without, &["--dump-dom"]);
        let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
        assert_headline(&plain, &summary(&dir, &[]));
        assert!(
            plain.contains("<section id=\"find\" hidden=\"\">"),
            "{name}: the search hidden"
        );
        assert!(!plain.contains("data-sort=\"\""), "{name}: no script ran");
        // each filter box hidden (the search's is in its hidden section)
        for input in plain.split("<input").skip(1) {
            let attrs = input.split('>').next().unwrap();
            assert!(
                attrs.contains("hidden") || attrs.contains("id=\"find-q\""),
                "{name}: <input{input:.120}"
            );
        }
        assert_eq!(
            plain.matches("<tr>").count(),
            dom.matches("<tr>").count(),
            "{name}: every table row is there without scripts"
        );
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        browse(&out, &[&format!("--screenshot={}", shot.display())]);
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG");
        // a blank 1280×2000 page compresses to a few kilobytes
        assert!(png.len() > 50_000, "{name}: {} bytes", png.len());

        // printed: A4 pages (595 × 842 points), as many as the content needs
        let pdf = shots.join(format!("{name}.pdf"));
        let _ = std::fs::remove_file(&pdf);
        browse(
            &out,
            &[
                "--no-pdf-header-footer",
                &format!("--print-to-pdf={}", pdf.display()),
            ],
        );
        let (pages, boxes) = pdf_pages(&std::fs::read(&pdf).unwrap());
        assert!((3..=30).contains(&pages), "{name}: {pages} pages");
        assert_eq!(boxes.len(), pages, "{name}: a media box per page");
        for b in &boxes {
            assert_eq!(
                (b[2] - b[0]).round() as i64 * 1000 + (b[3] - b[1]).round() as i64,
                595_842,
                "{name}: an A4 page: {b:?}"
            );
        }

        // a narrow window (390 px, a phone): nothing wider than the window
        // outside the tables that scroll sideways; the search finds an
        // account that is not at risk, the least healthy of its name first
        let run = support::jsonl(&vital_in(&dir, &["run", "--format", "jsonl"]));
        let sum = summary(&dir, &[]);
        let healthy = run
            .iter()
            .find(|r| r["status"] == sum["statuses"][0])
            .unwrap()["account"]
            .as_str()
            .unwrap()
            .to_string();
        let probe = tmp.path().join(format!("{name}-probe.html"));
        std::fs::write(
            &probe,
            format!(
                "{html}<script>var PROBE_TERM={};\n{probe_js}</script>\n",
                serde_json::to_string(&healthy).unwrap()
            ),
        )
        .unwrap();
        let frame = tmp.path().join(format!("{name}-narrow.html"));
        std::fs::write(
            &frame,
            format!(
                "<!DOCTYPE html><html><body style=\"margin:0\"><iframe src=\"{name}-probe.html\" style=\"width:390px;height:2400px;border:0\"></iframe><pre id=\"probe\"></pre><pre id=\"charts\"></pre><script>window.addEventListener('message',function(e){{document.getElementById(e.data.kind).textContent=e.data.json}})</script></body></html>"
            ),
        )
        .unwrap();
        let narrow = browse(&frame, &["--virtual-time-budget=10000", "--dump-dom"]);
        let log = String::from_utf8_lossy(&narrow.stderr);
        assert!(!log.contains("Uncaught"), "{name}: {log}");
        let dom = String::from_utf8_lossy(&narrow.stdout).into_owned();
        let pre = |id: &str| -> Value {
            let text = dom
                .split(&format!("<pre id=\"{id}\">"))
                .nth(1)
                .and_then(|p| p.split("</pre>").next())
                .unwrap_or_else(|| panic!("{name}: no #{id} in {dom:.400}"))
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">");
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: #{id}: {e}: {text:.400}"))
        };
        let m = pre("probe");
        // the charts as rendered: not blank, and drawn in the status colours
        let charts = pre("charts");
        let histogram = &charts["histogram"];
        let share =
            |k: &str| histogram[k].as_f64().unwrap() / histogram["pixels"].as_f64().unwrap();
        assert!(
            share("coloured") > 0.05,
            "{name}: the histogram is nearly blank: {charts}"
        );
        assert!(share("ink") > share("coloured"), "{name}: {charts}");
        assert_eq!(m["innerWidth"], 390, "{name}: {m}");
        assert!(
            m["scrollWidth"].as_u64().unwrap() <= m["clientWidth"].as_u64().unwrap(),
            "{name}: the page is wider than the window: {m}"
        );
        assert_eq!(m["sticksOut"], serde_json::json!([]), "{name}: {m}");
        assert_eq!(m["findShown"], true);
        assert_eq!(m["rows"][0], healthy.as_str(), "{name}: {m}");
        assert!(m["found"].as_str().unwrap().contains("match"), "{m}");
        let narrow_shot = shots.join(format!("{name}-narrow.png"));
        let _ = std::fs::remove_file(&narrow_shot);
        let o = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                &format!("--user-data-dir={}", profile.path().display()),
                "--window-size=390,1600",
                &format!("--screenshot={}", narrow_shot.display()),
            ])
            .arg(format!("file://{}", probe.display()))
            .output()
            .unwrap();
        assert!(o.status.success());
        assert!(std::fs::read(&narrow_shot).unwrap().len() > 20_000);
    }
}

/// The pages of a PDF as Chromium writes it (uncompressed page objects):
/// how many, and each page's media box.
fn pdf_pages(pdf: &[u8]) -> (usize, Vec<[f64; 4]>) {
    let text = String::from_utf8_lossy(pdf);
    let pages = text
        .match_indices("/Type /Page")
        .filter(|(i, m)| !text[i + m.len()..].starts_with('s'))
        .count();
    let boxes = text
        .split("/MediaBox [")
        .skip(1)
        .map(|b| {
            let nums: Vec<f64> = b
                .split(']')
                .next()
                .unwrap()
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect();
            [nums[0], nums[1], nums[2], nums[3]]
        })
        .collect();
    (pages, boxes)
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

/// `vital run --explain`'s result for an account on one night, over these
/// snapshot files.
fn explained(dir: &Path, rules: &Path, files: &[&Path], as_of: &str, account: &str) -> Value {
    let mut args = vec![
        "run",
        "--explain",
        "--format",
        "jsonl",
        "--as-of",
        as_of,
        "--rules",
        rules.to_str().unwrap(),
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let o = vital_in(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    support::jsonl(&o)
        .into_iter()
        .find(|r| r["account"] == account)
        .unwrap_or_else(|| panic!("{account} on {as_of}"))
}

/// A signed number as the report writes it: two decimals at most, `−`.
fn signed(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    let s = format!("{}", r.abs());
    if r == 0.0 {
        "±0".into()
    } else if r < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// The parts of an account's scores whose amounts differ between two
/// nights, computed from `vital run --explain` of each: `(health points,
/// text as the report words it)`, largest effect first.
fn expected_causes(before: &Value, now: &Value, weights: &[(&str, f64)]) -> Vec<(f64, String)> {
    let has = |r: &Value, s: &str| r["scores"][s].is_number();
    let total: f64 = weights
        .iter()
        .filter(|(s, _)| has(before, s) && has(now, s))
        .map(|(_, w)| w)
        .sum();
    let num = |v: &Value| v.as_f64().unwrap();
    let plain = |x: f64| format!("{}", (x * 1e6).round() / 1e6);
    let amount = |x: f64| {
        if x < 0.0 {
            format!("−{}", plain(-x))
        } else {
            format!("+{}", plain(x))
        }
    };
    let mut out = Vec::new();
    for (score, w) in weights {
        if !(has(before, score) && has(now, score)) {
            continue;
        }
        let share = w / total;
        let (eb, en) = (
            &before["explain"]["scores"][score],
            &now["explain"]["scores"][score],
        );
        let (bb, bn) = (num(&eb["base"]), num(&en["base"]));
        if bb != bn {
            out.push((
                (bn - bb) * share,
                format!("base of {score}: {} → {}", plain(bb), plain(bn)),
            ));
        }
        let applied = |e: &Value| -> Vec<(String, f64)> {
            e["adjustments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["amount"].is_number())
                .map(|a| (a["rule"].as_str().unwrap().to_string(), num(&a["amount"])))
                .collect()
        };
        // what clamping to 0–100 took
        let clamp = |r: &Value, e: &Value| -> Option<f64> {
            let raw = num(&e["base"]) + applied(e).iter().map(|x| x.1).sum::<f64>();
            let raw = (raw * 1e6).round() / 1e6;
            (!(0.0..=100.0).contains(&raw)).then(|| num(&r["scores"][score]) - raw)
        };
        let (cb, cn) = (clamp(before, eb), clamp(now, en));
        if (cb.is_some() || cn.is_some()) && cb.unwrap_or(0.0) != cn.unwrap_or(0.0) {
            let shown = |x: Option<f64>| x.map_or("–".to_string(), amount);
            out.push((
                (cn.unwrap_or(0.0) - cb.unwrap_or(0.0)) * share,
                format!("{score} clamped to 0–100: {} → {}", shown(cb), shown(cn)),
            ));
        }
        let (ab, an) = (applied(eb), applied(en));
        let mut names: Vec<&String> = ab.iter().chain(&an).map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        for n in names {
            let b = ab.iter().find(|(x, _)| x == n).map(|x| x.1);
            let a = an.iter().find(|(x, _)| x == n).map(|x| x.1);
            let d = a.unwrap_or(0.0) - b.unwrap_or(0.0);
            if d == 0.0 {
                continue;
            }
            let text = match (b, a) {
                (None, Some(a)) => format!("{n}: fired now, {} {score}", amount(a)),
                (Some(b), None) => format!("{n}: no longer fires (was {} {score})", amount(b)),
                (b, a) => format!(
                    "{n}: {} → {} {score}",
                    amount(b.unwrap_or(0.0)),
                    amount(a.unwrap_or(0.0))
                ),
            };
            out.push((d * share, text));
        }
    }
    out.sort_by(|a, b| b.0.abs().partial_cmp(&a.0.abs()).unwrap());
    out
}

/// A cause as the report words it and as expected: the same words, and
/// numbers that agree within the rounding of `vital run --explain`'s bases
/// (one decimal) and of the health points computed from them.
fn same_cause(got: &str, want: &str) -> bool {
    let split = |s: &str| -> (String, Vec<f64>) {
        let mut words = String::new();
        let mut nums = Vec::new();
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let signed_digit = matches!(c, '−' | '-' | '+')
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
            if c.is_ascii_digit() || signed_digit {
                let mut n = String::new();
                if signed_digit {
                    n.push(if c == '+' { '+' } else { '-' });
                    i += 1;
                }
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || (matches!(chars[i], '.' | ',')
                            && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())))
                {
                    if chars[i] != ',' {
                        n.push(chars[i]);
                    }
                    i += 1;
                }
                nums.push(n.parse().unwrap());
                words.push('#');
            } else {
                words.push(c);
                i += 1;
            }
        }
        (words, nums)
    };
    let ((gw, gn), (ww, wn)) = (split(got), split(want));
    gw == ww && gn.len() == wn.len() && gn.iter().zip(&wn).all(|(a, b)| (a - b).abs() <= 0.051)
}

/// The support-health example's score weights.
const WEIGHTS: [(&str, f64); 4] = [
    ("loyalty", 25.0),
    ("satisfaction", 30.0),
    ("responsiveness", 30.0),
    ("contact", 15.0),
];

/// Movers from one input file of three nights (no store): each account's
/// previous snapshot is the night before in the input, and the rules behind
/// each move are those whose amounts differ in `vital run --explain` of the
/// two nights, with their share of the change in health.
#[test]
fn movers_with_their_rules_from_input_nights() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("support-health");
    let html = report(&dir, &tmp.path().join("r.html"), &[]);
    assert!(html.contains("<h2 id=\"movers\">Movers since 2026-10-01</h2>"));
    let file = dir.join("snapshots.jsonl");
    let rules = dir.join("rules");
    for id in ["drops", "rises"] {
        let rows = rows(&html, id);
        assert_eq!(rows.len(), 10, "{id}");
        for row in rows {
            let c = cells(row);
            let account = &c[0];
            let now = explained(&dir, &rules, &[&file], "2026-11-01", account);
            let before = explained(&dir, &rules, &[&file], "2026-10-01", account);
            // the change, the health now and before as `vital run` says
            let (hn, hb) = (
                now["health"].as_f64().unwrap(),
                before["health"].as_f64().unwrap(),
            );
            assert_eq!(c[1], signed(hn - hb), "{account}");
            assert_eq!(c[2], format!("{hn:.1}"), "{account}");
            assert_eq!(c[4], format!("{hb:.1}"), "{account}");
            assert_eq!((hn < hb), id == "drops");
            // the rules: the four with the largest effect, then how many
            // more (bases come rounded to one decimal in the JSON: numbers
            // agree within its rounding)
            let want = expected_causes(&before, &now, &WEIGHTS);
            let why = row
                .split("<td class=\"t why\" data-label=\"why\">")
                .nth(1)
                .unwrap();
            let items: Vec<String> = why
                .split("<li>")
                .skip(1)
                .filter(|li| !li.starts_with("<small>and "))
                .map(|li| {
                    cells(&format!(
                        "<td>{}</td>",
                        li.split(" <small>").next().unwrap()
                    ))[0]
                        .clone()
                })
                .collect();
            assert_eq!(items.len(), want.len().min(4), "{account}: {why}");
            for li in &items {
                assert!(
                    want.iter()
                        .any(|(p, t)| same_cause(li, &format!("{} {t}", signed(*p)))),
                    "{account}: `{li}` is none of {want:?}"
                );
            }
            let fifth = want.get(4).map_or(0.0, |w| w.0.abs());
            for (p, t) in want.iter().filter(|w| w.0.abs() > fifth + 0.05) {
                let text = format!("{} {t}", signed(*p));
                assert!(
                    items.iter().any(|li| same_cause(li, &text)),
                    "{account}: `{text}` not in {items:?}"
                );
            }
            if want.len() > 4 {
                assert!(why.contains(&format!(
                    "<li><small>and {} more</small></li>",
                    want.len() - 4
                )));
            }
            // what the rules read: the before and now of each
            assert!(why.contains("<small>(now ") || want.is_empty(), "{why}");
        }
    }
}

/// With a history store the previous night is the stored snapshot, scored
/// again with the current rules: after a change of rules the movers are
/// those of one run over all three nights' files with the new rules (not
/// the stored health of the old ones).
#[test]
fn movers_from_the_store_use_the_current_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("support-health");
    let db = tmp.path().join("h.db");
    let db = db.to_str().unwrap();
    // three nights in three files
    let mut nights: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in std::fs::read_to_string(dir.join("snapshots.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        nights
            .entry(v["as_of"].as_str().unwrap().to_string())
            .or_default()
            .push(line.to_string());
    }
    let files: Vec<PathBuf> = nights
        .iter()
        .map(|(d, lines)| {
            let f = tmp.path().join(format!("{d}.jsonl"));
            std::fs::write(&f, lines.join("\n") + "\n").unwrap();
            f
        })
        .collect();
    // the first two recorded with the example's rules
    for f in &files[..2] {
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
    }
    // then contact weighs three times as much
    let rules = tmp.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    for e in std::fs::read_dir(dir.join("rules")).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path()).unwrap();
        let changed = text.replace("score contact weight 15", "score contact weight 45");
        std::fs::write(rules.join(e.file_name()), changed).unwrap();
    }
    let r = rules.to_str().unwrap();
    let last = files[2].to_str().unwrap();
    let with_store = report(
        &dir,
        &tmp.path().join("a.html"),
        &["--rules", r, "--history", db, last],
    );
    let all: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let from_files = report(
        &dir,
        &tmp.path().join("b.html"),
        &[&["--rules", r], all.as_slice()].concat(),
    );
    assert!(with_store.contains("<h2 id=\"movers\">Movers since 2026-10-01</h2>"));
    for id in ["drops", "rises"] {
        let a = rows(&with_store, id);
        assert_eq!(a.len(), 10);
        assert_eq!(a, rows(&from_files, id), "{id}");
    }
    // the stored health of 2026-10-01 (old rules) is not what "before" shows
    let stored = summary(&dir, &["--history", db]);
    assert_eq!(stored["source"], "store");
    let o = vital_in(
        &dir,
        &[
            "run",
            "--format",
            "jsonl",
            "--as-of",
            "2026-10-01",
            files[0].to_str().unwrap(),
            files[1].to_str().unwrap(),
        ],
    );
    let old = support::jsonl(&o);
    let mut differs = 0;
    for row in rows(&with_store, "drops") {
        let c = cells(row);
        let was = old.iter().find(|x| x["account"] == c[0].as_str()).unwrap();
        if format!("{}", was["health"].as_f64().unwrap()) != c[4] {
            differs += 1;
        }
    }
    assert!(
        differs > 0,
        "the previous night is scored with the new weights"
    );
}

/// `vital report --outcomes`: the calibration section of `vital calibrate`,
/// measured on the same snapshots, in the page; bad outcome rows still
/// give the page, and exit 1.
#[test]
fn report_with_outcomes_has_the_calibration() {
    let dir = example("churn");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r.html");
    let html = report(&dir, &out, &["--outcomes", "outcomes.csv"]);
    assert_self_contained(&html);
    let section = &html[html
        .find("<section id=\"calibration\">")
        .expect("a calibration section")..];
    let cal = vital_in(
        &dir,
        &[
            "calibrate",
            "--outcomes",
            "outcomes.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(cal.status.code(), Some(0), "{}", stderr(&cal));
    let cal: Value = serde_json::from_str(&stdout(&cal)).unwrap();
    let auc = format!("{:.3}", cal["health"]["auc"].as_f64().unwrap());
    assert!(
        section.contains(&format!("<div class=\"v\">{auc}</div>")),
        "AUC {auc} in {section:.400}"
    );
    let labelled = cal["counts"]["labelled"].as_u64().unwrap();
    assert!(
        section.contains(&format!("{labelled} of ")),
        "{section:.400}"
    );
    // the horizon and contractions are the calibration's own options
    let other = report(
        &dir,
        &tmp.path().join("h.html"),
        &[
            "--outcomes",
            "outcomes.csv",
            "--horizon",
            "3",
            "months",
            "--contracted",
        ],
    );
    assert!(
        other.contains("(churned or contracted within 3 months;"),
        "{}",
        &other[other.find("id=\"calibration\"").unwrap()..][..400]
    );
    assert!(
        section.contains("(churned within 90 days;"),
        "{section:.400}"
    );
    // a horizon in one word, then a snapshot file: the file is the report's
    // input too, as without the option
    let one = report(
        &dir,
        &tmp.path().join("o.html"),
        &[
            "--outcomes",
            "outcomes.csv",
            "--horizon",
            "60d",
            "snapshots/2026-11-01.jsonl",
        ],
    );
    assert!(one.contains("within 60 days;"), "the horizon is read");
    let only = report(
        &dir,
        &tmp.path().join("n.html"),
        &["snapshots/2026-11-01.jsonl"],
    );
    assert_eq!(by_id(&one, "as-of"), by_id(&only, "as-of"));
    assert_eq!(account_index(&one), account_index(&only));
    // without --outcomes, no such section
    let plain = report(&dir, &tmp.path().join("p.html"), &[]);
    assert!(!plain.contains("id=\"calibration\""));
    // a bad outcome row: reported, the page still written, exit 1
    let bad = tmp.path().join("outcomes.csv");
    let mut text = std::fs::read_to_string(dir.join("outcomes.csv")).unwrap();
    text.push_str("acme-0001,2026-13-01,churned\n");
    std::fs::write(&bad, text).unwrap();
    let out2 = tmp.path().join("b.html");
    let o = vital_in(
        &dir,
        &[
            "report",
            "-o",
            out2.to_str().unwrap(),
            "--outcomes",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error: 1 of 464 outcome rows was rejected; the others were used"),
        "{}",
        stderr(&o)
    );
    assert!(std::fs::read_to_string(&out2)
        .unwrap()
        .contains("id=\"calibration\""));
}

/// The headline's changes of money are in whole units, as the amounts
/// beside them (`58,259,303`, `+14,350,183 since …`, not `+14,350,182.8`):
/// the digital-signals example's three nights recorded in a store, the
/// change in value at risk checked against `vital run --as-of` of the
/// night before and the example's `arr`.
#[test]
fn money_changes_are_in_whole_units() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example("digital-signals");
    let db = tmp.path().join("h.db");
    let db = db.to_str().unwrap();
    let nights = nights_of(&dir);
    for (d, lines) in &nights {
        let f = tmp.path().join(format!("{d}.jsonl"));
        std::fs::write(&f, lines.join("\n") + "\n").unwrap();
        record(&dir, db, &f);
    }
    let html = report(&dir, &tmp.path().join("r.html"), &["--history", db]);
    // the value at risk on 2026-10-01, from the results of that night and
    // each account's `arr` then
    let o = vital_in(&dir, &["run", "--as-of", "2026-10-01", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let arr: std::collections::HashMap<String, f64> = nights[1]
        .1
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            let a = v["account"].as_str().unwrap().to_string();
            (a, v["signals"]["arr"].as_f64().unwrap_or(0.0))
        })
        .collect();
    let then: f64 = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["status"] == "danger" || r["status"] == "at_risk")
        .map(|r| arr[r["account"].as_str().unwrap()])
        .sum();
    let now = summary(&dir, &["--history", db])["total"]["at_risk"]["value"]
        .as_f64()
        .unwrap();
    let change = (now - then).round();
    assert!(change > 0.0, "{now} {then}");
    let card = html.split("id=\"h-value-at-risk\">").nth(1).unwrap();
    let note = card.split("</div></div>").next().unwrap();
    assert_eq!(
        note,
        format!(
            "{}</div><div class=\"d\"><span class=\"down\">+{}</span> since 2026-10-01",
            separated(now.round() as u64),
            separated(change as u64)
        )
    );
}
