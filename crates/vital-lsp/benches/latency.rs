//! Editor latency on a 6,000-line rule set, measured on the server's own
//! state (what each request does, without the JSON-RPC transport):
//!
//!     cargo bench -p vital-lsp --bench latency
//!
//! Reports the median and worst of repeated runs for: diagnostics after an
//! edit (re-check of the rule set), hover, completion. A benchmark, not a
//! test: it asserts nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};
use tower_lsp_server::ls_types::*;
use vital_lsp::State;

fn rule_set(lines: usize) -> String {
    let mut out = String::from(
        "signal arr: money\nsignal tier: enum(enterprise, mid_market, smb)\nsignal feature_usage: percent\nsignal logins_30d: int\n\
         event ticket_opened { severity: enum(low, high, critical), hours_to_close: number? }\n\
         score adoption weight 40 = band feature_usage { < 20% => 10  < 50% => 50  otherwise => 90 }\n\
         score support weight 30 = 100 - 10 * count(ticket_opened within 30 days)\n\
         score engagement weight 30 = min(logins_30d * 5, 100)\n\
         status {\n  champion when health >= 80\n  watch when health >= 50\n  danger otherwise\n}\n",
    );
    let mut i = 0;
    while out.lines().count() < lines {
        i += 1;
        let line = match i % 4 {
            0 => format!("rule \"r{i}\" when tier == enterprise and arr >= {i}k add 1 to engagement\n"),
            1 => format!("rule \"r{i}\" when count(ticket_opened where severity == critical within {} days) > {} subtract 2 from support\n", i % 300 + 1, i % 7),
            2 => format!("rule \"r{i}\" when change(feature_usage, 30 days) < -{}% subtract 1 from adoption\n", i % 50),
            _ => format!("rule \"t{i}\" when health < {} and support < 50 trigger \"p{}\"\n", i % 100, i % 20),
        };
        out.push_str(&line);
    }
    out
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:>7.2} ms   worst {:>7.2} ms   ({} runs)",
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1]),
        v.len()
    )
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.vital");
    let text = rule_set(6000);
    std::fs::write(&path, &text).unwrap();
    let uri = Uri::from_file_path(&path).unwrap();
    let mut state = State::new();
    state.folders.push(dir.path().to_path_buf());
    state.open(path.clone(), text.clone(), 1);
    println!(
        "rule set: {} lines, {} bytes",
        text.lines().count(),
        text.len()
    );

    // diagnostics after an edit: apply the edit, re-check, build the LSP diagnostics
    let mut edits = Vec::new();
    for v in 0..15 {
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(20, 0), Position::new(20, 0))),
            range_length: None,
            text: if v % 2 == 0 {
                " ".into()
            } else {
                String::new()
            },
        };
        let t = Instant::now();
        state.change(&path, v + 2, vec![change]);
        let published = state.diagnostics(&path);
        edits.push(t.elapsed());
        assert!(!published.is_empty());
    }
    println!("diagnostics after an edit: {}", stats(edits));

    // hover and completion on the checked set (as right after diagnostics)
    let mut hovers = Vec::new();
    let mut completions = Vec::new();
    for k in 0..200u32 {
        let line = 20 + (k % 400) * 10;
        let t = Instant::now();
        let h = state.hover(&uri, Position::new(line, 6));
        hovers.push(t.elapsed());
        let _ = h;
        let t = Instant::now();
        let c = state.completion(&uri, Position::new(line, 12));
        completions.push(t.elapsed());
        assert!(!c.is_empty());
    }
    println!("hover:                     {}", stats(hovers));
    println!("completion:                {}", stats(completions));

    // the same 6,000 lines as a rule set of six files, editing one
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<&str> = text.lines().collect();
    let (head, rules) = all.split_at(13);
    std::fs::write(dir.path().join("a_schema.vital"), head.join("\n")).unwrap();
    for (k, chunk) in rules.chunks(rules.len() / 5 + 1).enumerate() {
        std::fs::write(
            dir.path().join(format!("rules_{k}.vital")),
            chunk.join("\n"),
        )
        .unwrap();
    }
    let edited = dir.path().join("rules_2.vital");
    let mut state = State::new();
    state.folders.push(dir.path().to_path_buf());
    state.open(edited.clone(), std::fs::read_to_string(&edited).unwrap(), 1);
    let _ = state.diagnostics(&edited);
    let mut edits = Vec::new();
    for v in 0..15 {
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(5, 0), Position::new(5, 0))),
            range_length: None,
            text: if v % 2 == 0 {
                " ".into()
            } else {
                String::new()
            },
        };
        let t = Instant::now();
        state.change(&edited, v + 2, vec![change]);
        let published = state.diagnostics(&edited);
        edits.push(t.elapsed());
        assert_eq!(published.len(), 6);
    }
    println!("same, six files, edit one: {}", stats(edits));
}
