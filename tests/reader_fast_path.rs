//! The reader's fast path must give exactly what the general (serde) path
//! gives: the same snapshot or the same rejection, and the same notes about
//! unknown names — on every record of the corpus and the examples, and on
//! thousands of mutations of them (a deleted or doubled character, values
//! of the wrong type, escapes, exponents, nesting, duplicate keys, unknown
//! keys, an override, a byte-order mark).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use vital_eval::snapshot::Origin;
use vital_eval::{Ignored, Schema};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (rules directory, snapshot files) pairs.
fn corpus() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let r = root();
    let mut out = vec![
        (
            r.join("tests/golden/rules.vital"),
            vec![r.join("tests/golden/snapshots.jsonl")],
        ),
        (
            r.join("tests/eval/spec"),
            vec![r.join("tests/eval/spec/acme.jsonl")],
        ),
    ];
    let records: Vec<PathBuf> = std::fs::read_dir(r.join("tests/eval/records"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    out.push((r.join("tests/eval/records/rules"), records));
    for ex in ["advocacy", "digital-signals", "support-health"] {
        let d = r.join("examples").join(ex);
        out.push((d.join("rules"), vec![d.join("snapshots.jsonl")]));
    }
    out
}

/// Small, deterministic variations of a record's text.
fn mutations(line: &str, seed: u64) -> Vec<String> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % n.max(1)
    };
    for _ in 0..6 {
        // delete or double one character (kept valid UTF-8)
        let i = next(b.len());
        if line.is_char_boundary(i) {
            let c = line[i..].chars().next().map_or(0, char::len_utf8);
            out.push(format!("{}{}", &line[..i], &line[i + c..]));
            out.push(format!("{}{}", &line[..i + c], &line[i..]));
        }
    }
    let swaps = [
        (": ", ": null, \"x\": "),
        ("\": ", "\": \"\\u0041\", \"y\": "),
        ("72", "7.2e1"),
        ("true", "\"true\""),
        ("\"enterprise\"", "\"Enterprise\""),
        ("2026-", "2026-13-"),
        ("{\"account\"", "{\"account\": 7, \"account\""),
        (
            "\"signals\": {",
            "\"signals\": {\"region\": [1, {\"a\": \"b\\n\"}], ",
        ),
        ("\"signals\": {", "\"signals\": {\"arr\": 1, "),
        (
            "\"events\": [",
            "\"events\": [{\"type\": \"demo\", \"at\": 3}, ",
        ),
        (
            "\"events\": [",
            "\"events\": [{\"type\": \"ticket_opened\", \"date\": \"2026-10-01\"}, ",
        ),
        ("}}", "}, \"override\": {\"status\": \"danger\"}}"),
        ("}}", "}, \"override\": null}"),
        ("}}", "}, \"extra\": 1e400}"),
        (", ", " , "),
        (
            "\"as_of\"",
            "\"as_of\": \"2026-11-01\", \"tier\": \"smb\", \"as_of\"",
        ),
        ("0", "00"),
        ("1", "-0"),
        ("\"dana\"", "\"d\\\"ana\""),
        ("{", "\u{feff}{"),
        // events: `type` after a field, twice, and an unknown field
        (
            "{\"type\": \"ticket_opened\"",
            "{\"severity\": \"high\", \"type\": \"ticket_opened\"",
        ),
        ("{\"type\": \"", "{\"type\": \"demo\", \"type\": \""),
        ("\"at\": \"", "\"colour\": \"red\", \"at\": \""),
        ("\"at\": \"", "\"severity\": 3, \"at\": \""),
    ];
    for (from, to) in swaps {
        if let Some(i) = line.find(from) {
            out.push(format!("{}{}{}", &line[..i], to, &line[i + from.len()..]));
        }
    }
    // the compact record exports write, `{"account":"A","as_of":"D",
    // "signals":{…},"events":[…]}`, which the fast path reads by position:
    // variations it must hand back to the general loop (or read as it does)
    if line.starts_with("{\"account\":\"") {
        for (from, to) in [
            ("\"signals\":{", "\"signals\":{\"arr\":1,"),
            ("\"signals\":{", "\"signals\":{\"regio\":1,"),
            ("\"signals\":{\"", "\"signals\":{\"x\":null,\""),
            ("\"signals\":{", "\"signals\":{}, \"s\":{"),
            ("\",\"as_of\":\"", "\",\"as_of\":\"x"),
            ("{\"account\":\"", "{\"account\":\"\",\"a\":\""),
            ("\"events\":[", "\"events\":[],\"e\":["),
            ("\",\"as_of\"", "\",\"override\":null,\"as_of\""),
            ("\",\"as_of\"", "\",\"account\":\"b\",\"as_of\""),
            // given twice: rejected by both
            ("\",\"as_of\"", "\",\"as_of\":\"2026-01-01\",\"as_of\""),
            (",\"events\":[", ",\"events\":[],\"events\":["),
            (
                ",\"events\":[",
                ",\"override\":null,\"override\":null,\"events\":[",
            ),
        ] {
            if let Some(i) = line.find(from) {
                out.push(format!("{}{}{}", &line[..i], to, &line[i + from.len()..]));
            }
        }
        if let Some(i) = line.find(",\"events\":") {
            out.push(format!("{}}}", &line[..i]));
            out.push(format!("{},\"events\":null}}", &line[..i]));
            out.push(format!("{},\"events\":[]}}", &line[..i]));
            out.push(format!("{},\"events\":[]}} ", &line[..i]));
            out.push(format!("{},\"events\":[]}}x", &line[..i]));
        }
        // a signal given twice, and each signal dropped in turn
        if let (Some(a), Some(z)) = (line.find("\"signals\":{"), line.find("},\"events\"")) {
            let inner = &line[a + "\"signals\":{".len()..z];
            let members: Vec<&str> = inner.split(',').collect();
            if let Some(first) = members.first() {
                out.push(format!(
                    "{}{},{}{}",
                    &line[..a + "\"signals\":{".len()],
                    first,
                    inner,
                    &line[z..]
                ));
                // null first, then a value: given twice all the same
                if let Some((key, _)) = first.split_once(':') {
                    out.push(format!(
                        "{}{key}:null,{}{}",
                        &line[..a + "\"signals\":{".len()],
                        inner,
                        &line[z..]
                    ));
                }
            }
            for k in 0..members.len() {
                let rest: Vec<&str> = (members.iter().enumerate())
                    .filter(|(j, _)| *j != k)
                    .map(|(_, m)| *m)
                    .collect();
                out.push(format!(
                    "{}{}{}",
                    &line[..a + "\"signals\":{".len()],
                    rest.join(","),
                    &line[z..]
                ));
            }
        }
    }
    // the compact event exports write, `{"type":"T","at":"YYYY-MM-DD"…`,
    // which the fast path reads by position: members after the date that
    // it must hand back to the general loop (or read as it reads them)
    if let Some(i) = line.find("\",\"at\":\"") {
        let at = i + "\",\"at\":\"".len() + "2026-01-01\"".len();
        if line.is_char_boundary(at) {
            for insert in [
                ",\"colour\":\"red\"",
                ",\"severity\":\"high\",\"severity\":\"low\"",
                ",\"severity\":\"high\"",
                ",\"type\":\"demo\"",
                ",\"at\":\"2026-02-02\"",
                ",\"hours_to_close\":null",
                ",\"hours_to_close\":null,\"hours_to_close\":2",
                ",\"level\":\"vp\"",
                " ",
                ",\"x\":{\"type\":[1,2]}",
            ] {
                out.push(format!("{}{}{}", &line[..at], insert, &line[at..]));
            }
        }
        for (from, to) in [
            ("{\"type\":\"", "{\"type\":\"demo\",\"type\":\""),
            (
                "\"events\":[",
                "\"events\":[{\"type\":\"demo\",\"at\":\"2026-01-01\"},",
            ),
            ("{\"type\":\"", "{ \"type\":\""),
            ("\",\"at\":\"", "\",\"at\":\"20"),
            ("\",\"at\":\"", "\",\"at\" :\""),
        ] {
            if let Some(i) = line.find(from) {
                out.push(format!("{}{}{}", &line[..i], to, &line[i + from.len()..]));
            }
        }
    }
    out
}

#[test]
fn the_fast_path_agrees_with_the_general_reader() {
    let mut compared = 0usize;
    let mut fast_taken = 0usize;
    for (rules, files) in corpus() {
        let list = vital_check::load::collect(std::slice::from_ref(&rules)).unwrap();
        let loaded = vital_check::load::load(&list);
        let checked = vital_check::check(&loaded.sources);
        let ruleset = checked
            .valid()
            .unwrap_or_else(|| panic!("{} does not check", rules.display()));
        let schema = Schema::new(ruleset);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let mut variants = vec![line.to_string()];
                variants.extend(mutations(line, n as u64));
                for v in variants {
                    let origin = Origin {
                        file: "x.jsonl".into(),
                        line: n + 1,
                    };
                    let mut ig_a = Ignored::default();
                    let mut ig_b = Ignored::default();
                    let a = schema.json_record(&v, origin.clone(), &mut ig_a);
                    let b = schema.serde_record(&v, origin, &mut ig_b);
                    assert_eq!(a, b, "{}:{}: {v}", f.display(), n + 1);
                    assert_eq!(ig_a, ig_b, "{}:{}: {v}", f.display(), n + 1);
                    compared += 1;
                    fast_taken += usize::from(a.is_ok());
                }
            }
        }
    }
    // the comparison must have covered both outcomes, many times
    assert!(compared > 10_000, "{compared}");
    assert!(fast_taken > 3_000, "{fast_taken}");
}
