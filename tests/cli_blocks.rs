//! `vital run` reads one grouped JSON Lines input in blocks on every core
//! (crates/vital-input/src/blocks.rs). Through the real binary, on inputs of
//! many blocks: its results and messages are byte for byte those of the
//! whole-input reader, which reads the same records when a second (empty)
//! input is named — for inputs sorted by account, grouped but not sorted,
//! not grouped at all (found late, after results could have been written),
//! and with broken lines, blank lines and a byte order mark.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::fmt::Write as _;
use std::path::Path;
use support::{root, stderr, stdout, vital_in};

/// The §2–§3 rules of the language reference: `change` over history,
/// event windows, an override, triggers.
fn spec() -> String {
    root()
        .join("tests/eval/spec/rules.vital")
        .to_string_lossy()
        .into_owned()
}

/// A deterministic pseudo-random sequence (no dependency, no clock).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One record of `account` at `as_of`, its values drawn from `r`.
fn record(r: &mut Lcg, account: &str, as_of: &str) -> String {
    let tier = ["enterprise", "mid_market", "smb"][r.next(3) as usize];
    let mut events = String::new();
    for k in 0..r.next(4) {
        if k > 0 {
            events.push(',');
        }
        let day = 1 + r.next(28);
        match r.next(3) {
            0 => write!(events, r#"{{"type":"reference_completed","at":"2026-10-{day:02}"}}"#),
            1 => write!(events, r#"{{"type":"webinar_attended","at":"2026-09-{day:02}"}}"#),
            _ => write!(
                events,
                r#"{{"type":"ticket_opened","at":"2026-10-{day:02}","severity":"high","hours_to_close":{}}}"#,
                r.next(90)
            ),
        }
        .unwrap();
    }
    format!(
        r#"{{"account":"{account}","as_of":"{as_of}","signals":{{"arr":{},"tier":"{tier}","feature_usage":{}.5,"logins_30d":{},"renewal_date":"2027-0{}-15","csm":"dana","is_reference":false}},"events":[{events}]}}"#,
        1000 * r.next(300),
        r.next(100),
        r.next(60),
        1 + r.next(9),
    )
}

/// `accounts` accounts in `order`, each with one to three snapshots a month
/// apart (consecutive lines): about 1.5 MB, six blocks or more.
fn lines(order: &[usize]) -> Vec<String> {
    let mut r = Lcg(7);
    let mut out = Vec::new();
    for &a in order {
        let account = format!("acct-{a:05}");
        for (k, as_of) in ["2026-09-01", "2026-10-01", "2026-11-01"]
            .iter()
            .enumerate()
        {
            if k == 0 || r.next(3) > 0 {
                out.push(record(&mut r, &account, as_of));
            }
        }
    }
    out
}

const ACCOUNTS: usize = 2500;

/// `vital run` on `file` alone (read in blocks) and with an empty second
/// input (read whole): the same standard output, standard error and exit.
fn same_both_ways(dir: &Path, file: &str, extra: &[&str]) -> String {
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    let rules = spec();
    let mut one = vec!["run", "--rules", &rules, "--format", "jsonl", file];
    one.extend_from_slice(extra);
    let mut two = one.clone();
    two.push("empty.jsonl");
    let a = vital_in(dir, &one);
    let b = vital_in(dir, &two);
    assert_eq!(a.status.code(), b.status.code(), "{}", stderr(&a));
    assert!(!stdout(&a).is_empty());
    assert_eq!(stdout(&a), stdout(&b), "results differ");
    // the whole reader names both inputs in its warnings
    let errs = |o: &std::process::Output| stderr(o).replace(", empty.jsonl", "");
    assert_eq!(errs(&a), errs(&b), "messages differ");
    stdout(&a)
}

#[test]
fn a_sorted_input_of_many_blocks_gives_the_whole_readers_results() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..ACCOUNTS).collect();
    let text = lines(&order).join("\n") + "\n";
    assert!(text.len() > 1 << 20, "several blocks: {} bytes", text.len());
    std::fs::write(dir.path().join("in.jsonl"), &text).unwrap();
    let out = same_both_ways(dir.path(), "in.jsonl", &[]);
    assert_eq!(out.lines().count(), ACCOUNTS);
    // every snapshot reported with --all, too
    let all = same_both_ways(dir.path(), "in.jsonl", &["--all"]);
    assert_eq!(all.lines().count(), text.lines().count());
}

#[test]
fn a_grouped_input_out_of_account_order_gives_the_whole_readers_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Lcg(11);
    let mut order: Vec<usize> = (0..ACCOUNTS).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, r.next(i as u64 + 1) as usize);
    }
    std::fs::write(dir.path().join("in.jsonl"), lines(&order).join("\n") + "\n").unwrap();
    let out = same_both_ways(dir.path(), "in.jsonl", &[]);
    assert_eq!(out.lines().count(), ACCOUNTS);
    // in input order
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["account"], format!("acct-{:05}", order[0]));
}

#[test]
fn an_account_that_comes_back_at_the_end_is_one_history() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..ACCOUNTS).collect();
    let mut all = lines(&order);
    // the first account's September snapshot moves to the very end
    let first = all.remove(0);
    assert!(first.contains("acct-00000") && first.contains("2026-09-01"));
    all.push(first);
    let snapshots = all.iter().filter(|l| l.contains("\"acct-00000\"")).count();
    assert!(snapshots >= 2);
    std::fs::write(dir.path().join("in.jsonl"), all.join("\n") + "\n").unwrap();
    let out = same_both_ways(dir.path(), "in.jsonl", &[]);
    let n = out.matches(r#""account": "acct-00000""#).count();
    assert_eq!(n, 1, "one result for the account:\n{out}");
    let all = same_both_ways(dir.path(), "in.jsonl", &["--all"]);
    assert_eq!(all.matches(r#""account": "acct-00000""#).count(), snapshots);
}

#[test]
fn broken_lines_deep_in_the_input_are_reported_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..ACCOUNTS).collect();
    let mut all = lines(&order);
    all.insert(3000, "{\"account\": \"acct-x\", \"as_of\": ".into());
    all.insert(4000, String::new());
    all.insert(4001, "   ".into());
    all.insert(
        5000,
        r#"{"account":"acct-y","as_of":"2026-11-01","signals":{}}"#.into(),
    );
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(all.join("\n").as_bytes());
    bytes.extend(b"\n{\"account\":\"acct-z\",\"as_of\":\"2026-11-01\",\"x\":\"\xff\"}\n");
    std::fs::write(dir.path().join("in.jsonl"), &bytes).unwrap();
    let std_err = {
        let rules = spec();
        let o = vital_in(
            dir.path(),
            &[
                "run",
                "--rules",
                &rules,
                "--format",
                "jsonl",
                "in.jsonl",
                "--rejects",
                "rej.jsonl",
            ],
        );
        assert_eq!(o.status.code(), Some(1));
        stderr(&o)
    };
    assert!(std_err.contains("in.jsonl:3001:"), "{std_err}");
    assert!(std_err.contains("in.jsonl:5001:"), "{std_err}");
    let last = all.len() + 1;
    assert!(std_err.contains(&format!("in.jsonl:{last}:")), "{std_err}");
    assert!(std_err.contains("not valid UTF-8"), "{std_err}");
    let rejected = std::fs::read_to_string(dir.path().join("rej.jsonl")).unwrap();
    assert_eq!(rejected.lines().count(), 3, "{rejected}");
    assert!(rejected.contains(r#"\"acct-y\""#), "{rejected}");
    same_both_ways(dir.path(), "in.jsonl", &[]);
}

/// `vital run` on `file` alone and with an empty second input: the same
/// standard output, standard error (but the second name) and exit, also
/// when nothing is scored; returns the first run's standard error.
fn same_messages_both_ways(dir: &Path, file: &str) -> String {
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    let rules = spec();
    let one = ["run", "--rules", &rules, "--format", "jsonl", file];
    let a = vital_in(dir, &one);
    let mut two = one.to_vec();
    two.push("empty.jsonl");
    let b = vital_in(dir, &two);
    assert_eq!(a.status.code(), b.status.code(), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b), "results differ");
    let errs = |o: &std::process::Output| stderr(o).replace(", empty.jsonl", "");
    assert_eq!(errs(&a), errs(&b), "messages differ");
    stderr(&a)
}

/// Files saved by Windows tools start with a byte order mark; joined with
/// `cat`, the mark is on a later line too. Its record is read (the record
/// reader skips the mark on any line), so its account must be seen by the
/// scanner: here an account that comes back on such a line is one history,
/// not two results.
#[test]
fn a_byte_order_mark_on_a_later_line_does_not_hide_its_account() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..ACCOUNTS).collect();
    let all = lines(&order);
    let first = all
        .iter()
        .find(|l| l.contains("\"acct-00000\""))
        .unwrap()
        .replace("2026-09-01", "2026-12-01");
    let mut bytes = all.join("\n").into_bytes();
    bytes.extend(b"\n\xEF\xBB\xBF");
    bytes.extend(first.as_bytes());
    bytes.push(b'\n');
    std::fs::write(dir.path().join("in.jsonl"), &bytes).unwrap();
    let out = same_both_ways(dir.path(), "in.jsonl", &[]);
    let n = out.matches(r#""account": "acct-00000""#).count();
    assert_eq!(n, 1, "one result for the account");
    assert_eq!(out.lines().count(), ACCOUNTS);
}

/// A broken line between two accounts of a grouped input (read in blocks):
/// its message is the whole reader's, which hands the record reader the
/// line with its newline (`\n` or `\r\n`), word for word.
#[test]
fn a_broken_line_is_reported_in_the_whole_readers_words() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..ACCOUNTS).collect();
    let mut all = lines(&order);
    // where one account ends and the next begins, past the first block
    let at = (3000..all.len())
        .find(|&i| all[i][..20] != all[i - 1][..20])
        .unwrap();
    all.insert(at, r#"{"account": "acct-x", "as_of": "#.into());
    all.insert(at + 1, r#"{"account":"acct-y","as_of":"2026-11-0"#.into());
    for nl in ["\n", "\r\n"] {
        std::fs::write(dir.path().join("in.jsonl"), all.join(nl) + nl).unwrap();
        let errs = same_messages_both_ways(dir.path(), "in.jsonl");
        assert!(
            errs.contains(&format!(
                "in.jsonl:{}: account acct-x: malformed JSON",
                at + 1
            )),
            "{errs}"
        );
        assert!(
            errs.contains(&format!(
                "in.jsonl:{}: account acct-y: malformed JSON",
                at + 2
            )),
            "{errs}"
        );
    }
}

/// Every record rejected for a signal written under another name: the
/// hint names the input's key, read from the rejected records, by either
/// reader.
#[test]
fn a_renamed_signal_is_hinted_by_either_reader() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..50).collect();
    let all: Vec<String> = lines(&order)
        .iter()
        .map(|l| l.replace("\"logins_30d\"", "\"login_30d\""))
        .collect();
    std::fs::write(dir.path().join("in.jsonl"), all.join("\n") + "\n").unwrap();
    let errs = same_messages_both_ways(dir.path(), "in.jsonl");
    assert!(errs.contains("\"login_30d\""), "{errs}");
}

/// A record with `account` twice is rejected by both readers (the scanner
/// would file it under the first, a reader taking the last would score it
/// under the second): it cannot split an account's results.
#[test]
fn a_record_with_account_twice_is_grouped_as_the_whole_reader_groups_it() {
    let dir = tempfile::tempdir().unwrap();
    let order: Vec<usize> = (0..ACCOUNTS).collect();
    let mut all = lines(&order);
    let back = all
        .iter()
        .find(|l| l.contains("\"acct-00000\""))
        .unwrap()
        .replace("2026-09-01", "2026-12-01");
    // filed under the last account by the scanner, under acct-00000 when read
    let last = format!("acct-{:05}", ACCOUNTS - 1);
    all.push(back.replacen(
        "{\"account\":\"acct-00000\",",
        &format!("{{\"account\":\"{last}\",\"account\":\"acct-00000\","),
        1,
    ));
    std::fs::write(dir.path().join("in.jsonl"), all.join("\n") + "\n").unwrap();
    let out = same_both_ways(dir.path(), "in.jsonl", &[]);
    assert_eq!(out.matches(r#""account": "acct-00000""#).count(), 1);
    let rules = spec();
    let o = vital_in(
        dir.path(),
        &["run", "--rules", &rules, "--format", "jsonl", "in.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    let line = all.len();
    assert!(
        stderr(&o).contains(&format!(
            "in.jsonl:{line}: account ?: `account` is given twice"
        )),
        "{}",
        stderr(&o)
    );
}
