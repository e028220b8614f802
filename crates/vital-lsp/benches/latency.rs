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

use std::time::Instant;
use tower_lsp_server::ls_types::*;
use vital_lsp::State;

#[path = "common/rule_set.rs"]
mod rule_set;
#[path = "common/stats.rs"]
mod stats;
use rule_set::rule_set;

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
    println!(
        "diagnostics after an edit: {}",
        stats::stats(edits, 2, "runs")
    );

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
    println!(
        "hover:                     {}",
        stats::stats(hovers, 2, "runs")
    );
    println!(
        "completion:                {}",
        stats::stats(completions, 2, "runs")
    );

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
    println!(
        "same, six files, edit one: {}",
        stats::stats(edits, 2, "runs")
    );
}
