//! How long the sample's lenses take after an edit, on a 2,000-account
//! sample (three snapshots each) of the rule set of tests/sample,
//! measured on the server's own state (no transport):
//!
//!     cargo bench -p vital-lsp --bench sample_latency
//!
//! Reports the median and worst of repeated edits for: the re-check and
//! diagnostics (published first), then the evaluation on the sample (the
//! snapshots read once and kept while the declarations do not change), then
//! the lenses. The budget is 300 ms from the edit to the lenses. A
//! benchmark, not a test: it asserts nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Instant;

#[path = "common/sample.rs"]
mod sample;
#[path = "common/stats.rs"]
mod stats;
use tower_lsp_server::ls_types::*;
use vital_lsp::State;

fn main() {
    let dir = sample::project();
    let path = dir.path().join("rules/rules.vital");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = Uri::from_file_path(&path).unwrap();
    let root = dir.path().join("rules");
    let mut state = State::new();
    state.folders.push(dir.path().to_path_buf());
    state.open(path.clone(), text.clone(), 1);

    let t = Instant::now();
    state.diagnostics(&path);
    assert!(matches!(
        state.evaluate_sample(&root),
        vital_lsp::sample::Done::Evaluated(_)
    ));
    println!(
        "first evaluation (reading 6,000 snapshots of 2,000 accounts): {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let (mut check, mut eval, mut lens, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for v in 0..20 {
        let threshold = 3 + v % 4;
        let edited = text.replace("seats < 3", &format!("seats < {threshold}"));
        let t0 = Instant::now();
        state.change(
            &path,
            v + 2,
            vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: edited,
            }],
        );
        state.diagnostics(&path);
        let t1 = Instant::now();
        assert!(matches!(
            state.evaluate_sample(&root),
            vital_lsp::sample::Done::Evaluated(_)
        ));
        let t2 = Instant::now();
        let lenses = state.code_lenses(&uri);
        assert!(!lenses.is_empty());
        let t3 = Instant::now();
        check.push(t1 - t0);
        eval.push(t2 - t1);
        lens.push(t3 - t2);
        total.push(t3 - t0);
    }
    println!(
        "re-check + diagnostics:  {}",
        stats::stats(check, 2, "runs")
    );
    println!("evaluation on sample:    {}", stats::stats(eval, 2, "runs"));
    println!("lenses:                  {}", stats::stats(lens, 2, "runs"));
    println!(
        "edit to lenses:          {}",
        stats::stats(total, 2, "runs")
    );
}
