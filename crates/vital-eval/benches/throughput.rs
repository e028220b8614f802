//! Throughput of the evaluator's two halves, without the command line:
//! parsing+validating JSON Lines records, and evaluating parsed snapshots.
//!
//!     python3 bench/gen.py 100000 > /tmp/bench-100k.jsonl
//!     cargo bench -p vital-eval --bench throughput -- examples/digital-signals/rules /tmp/bench-100k.jsonl
//!
//! Prints records/s and MB/s for parsing, accounts/s for evaluation, each
//! on one thread and on all cores (rayon), for the engine as `vital run`
//! uses it (`fast`: the fast path of src/fixed.rs, falling back to the
//! compiled nodes), the compiled `Decimal` nodes alone (`compiled`) and the
//! expression walker both are checked against (`walker`).
//! `VITAL_BENCH_ENGINE=fast`, `compiled` or `walker` times one of them
//! (e.g. under callgrind, whose instruction counts are steadier than a
//! busy machine's clock; `none` times none). A benchmark, not a test: it
//! asserts nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use rayon::prelude::*;

/// As in the `vital` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;
use std::time::Instant;
use vital_eval::{Engine, Ignored, Origin, Schema, Snapshot};
use vital_syntax::{SourceFile, SourceMap};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rules_dir = args
        .first()
        .map_or("examples/digital-signals/rules", |s| s.as_str());
    let data = args.get(1).map_or("/tmp/bench-100k.jsonl", |s| s.as_str());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules_dir = root.join(rules_dir);
    let mut files: Vec<_> = std::fs::read_dir(&rules_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "vital"))
        .collect();
    files.sort();
    let mut map = SourceMap::new();
    for f in &files {
        map.add(SourceFile::new(
            f.display().to_string(),
            std::fs::read_to_string(f).unwrap(),
        ));
    }
    let checked = vital_check::check(&map);
    let rules = checked.valid().expect("the rules check clean");
    let text = std::fs::read_to_string(root.join(data))
        .or_else(|_| std::fs::read_to_string(data))
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mb = text.len() as f64 / 1e6;
    let schema = Schema::new(rules);
    let engine = Engine::new(rules);
    let file: Arc<str> = Arc::from("bench");
    let parse = |(i, l): (usize, &&str)| -> Snapshot {
        let mut ig = Ignored::default();
        schema
            .json_record(
                l,
                Origin {
                    file: file.clone(),
                    line: i + 1,
                },
                &mut ig,
            )
            .unwrap()
    };
    println!(
        "{} records, {:.1} MB, {} scores, {} rules, {} triggers",
        lines.len(),
        mb,
        rules.scores.len(),
        rules.adjustments.len(),
        rules.triggers.len()
    );

    let t = Instant::now();
    let snaps: Vec<Snapshot> = lines.iter().enumerate().map(parse).collect();
    let s = t.elapsed().as_secs_f64();
    println!(
        "parse, 1 thread:     {:>10.0} records/s  {:>7.1} MB/s",
        lines.len() as f64 / s,
        mb / s
    );
    let t = Instant::now();
    let again: Vec<Snapshot> = lines.par_iter().enumerate().map(parse).collect();
    let s = t.elapsed().as_secs_f64();
    println!(
        "parse, {} threads:    {:>10.0} records/s  {:>7.1} MB/s",
        rayon::current_num_threads(),
        lines.len() as f64 / s,
        mb / s
    );
    drop(again);

    // an account's snapshots, when next to each other in the file (as
    // bench/gen.py writes them), are one group: the history of each other
    let group = |snaps: Vec<Snapshot>| {
        let mut groups: Vec<Vec<Snapshot>> = Vec::new();
        for s in snaps {
            match groups.last_mut() {
                Some(g) if g[0].account == s.account => g.push(s),
                _ => groups.push(vec![s]),
            }
        }
        groups
    };
    let groups = group(snaps);
    let accounts = groups.len() as f64;
    let interpreted = Engine::new(rules).interpreted();
    let compiled = Engine::new(rules).without_fast_path();
    // as `vital run` does: one snapshot without the group's bookkeeping
    let evaluate = |engine: &Engine<'_>, g: &Vec<Snapshot>| match g.as_slice() {
        [one] => {
            std::hint::black_box(engine.evaluate_one(one, false));
            1
        }
        _ => engine.evaluate_group(g, false).len(),
    };
    // VITAL_BENCH_ENGINE=fast (compiled, walker) times one engine only
    let only = std::env::var("VITAL_BENCH_ENGINE").ok();
    for (label, engine) in [
        ("fast", &engine),
        ("compiled", &compiled),
        ("walker", &interpreted),
    ] {
        if only.as_deref().is_some_and(|o| o != label) {
            continue;
        }
        // `vital run` evaluates accounts right after parsing them, 32 at a
        // time (`AT_ONCE` in crates/vital-cli/src/commands/run.rs): parse
        // 32 accounts (not timed), then evaluate them (timed), while they
        // are still in the cache
        const AT_ONCE: usize = 32;
        let mut secs = 0.0;
        let mut n = 0usize;
        let mut some: Vec<Vec<Snapshot>> = Vec::new();
        let mut timed = |gs: &mut Vec<Vec<Snapshot>>| {
            let t = Instant::now();
            for g in gs.iter() {
                n += evaluate(engine, g);
            }
            secs += t.elapsed().as_secs_f64();
            gs.clear();
        };
        for (i, l) in lines.iter().enumerate() {
            let s = parse((i, l));
            match some.last_mut() {
                Some(g) if g[0].account == s.account => g.push(s),
                _ => some.push(vec![s]),
            }
            // the last account may go on: it waits for the next round
            if some.len() > AT_ONCE {
                let last = some.pop();
                timed(&mut some);
                some.extend(last);
            }
        }
        timed(&mut some);
        println!(
            "evaluate ({label}), 1 thread, just parsed:  {:>10.0} accounts/s  ({:.0} snapshots/s)",
            accounts / secs,
            n as f64 / secs
        );
        // every snapshot parsed first, then all evaluated (out of the cache)
        let t = Instant::now();
        let mut n = 0usize;
        for g in &groups {
            n += evaluate(engine, g);
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "evaluate ({label}), 1 thread, all in memory: {:>10.0} accounts/s  ({:.0} snapshots/s)",
            accounts / s,
            n as f64 / s
        );
        let t = Instant::now();
        let n: usize = groups.par_iter().map(|g| evaluate(engine, g)).sum();
        let s = t.elapsed().as_secs_f64();
        println!(
            "evaluate ({label}), {} threads, all in memory: {:>10.0} accounts/s  ({:.0} snapshots/s)",
            rayon::current_num_threads(),
            accounts / s,
            n as f64 / s
        );
    }
}
