//! The compiled engine (src/compiled.rs) gives exactly what the expression
//! walker (`vital_check::eval`, the definition of §6) gives: the same
//! outcome — scores, health, statuses, playbooks, and in explain mode every
//! rule's trace — for every rule set of the corpus (the semantics corpus,
//! the checker's valid fixtures, the examples, the benchmark's rules), on
//! the snapshots of their `test` blocks and on thousands of generated
//! accounts: values of every type with every scale, zeros, negatives, huge
//! numbers (where the quotient comparison must fall back to dividing),
//! values equal to and next to the rules' own constants, missing values,
//! histories and events around each window's edge.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vital_check::ir::{Expr, ExprKind, RuleSet, Type};
use vital_check::value::Value;
use vital_eval::snapshot::{Events, Occurrence, Origin, Override};
use vital_eval::{Engine, Snapshot};
use vital_syntax::{SourceFile, SourceMap};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every rule set of the corpus that checks clean: (name, its files).
fn corpus() -> Vec<(String, Vec<PathBuf>)> {
    let r = root();
    let vital_files = |dir: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "vital"))
            .collect();
        v.sort();
        v
    };
    let mut out = Vec::new();
    for dir in [
        "tests/eval/semantics",
        "tests/eval/decimals",
        "tests/fixtures/valid",
    ] {
        for f in vital_files(&r.join(dir)) {
            out.push((f.display().to_string(), vec![f]));
        }
    }
    let mut dirs = vec![r.join("bench/rules"), r.join("tests/eval/spec")];
    for e in std::fs::read_dir(r.join("examples")).unwrap() {
        let d = e.unwrap().path().join("rules");
        if d.is_dir() {
            dirs.push(d);
        }
    }
    for d in dirs {
        out.push((d.display().to_string(), vital_files(&d)));
    }
    out
}

fn check(files: &[PathBuf]) -> Option<RuleSet> {
    let mut map = SourceMap::new();
    for f in files {
        map.add(SourceFile::new(
            f.display().to_string(),
            std::fs::read_to_string(f).unwrap(),
        ));
    }
    vital_check::check(&map).valid().cloned()
}

/// A deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// The rule set's numeric constants: values next to them decide its
/// comparisons and band arms.
fn constants(rules: &RuleSet) -> Vec<Decimal> {
    let mut out = vec![Decimal::ZERO, Decimal::ONE, Decimal::ONE_HUNDRED];
    let mut visit = |e: &Expr| {
        e.walk(&mut |x| {
            if let ExprKind::Lit(Value::Num(d)) = &x.kind {
                out.push(*d);
            }
        })
    };
    for s in &rules.scores {
        s.base.iter().for_each(&mut visit);
    }
    for a in &rules.adjustments {
        a.cond.iter().for_each(&mut visit);
        visit(&a.amount);
    }
    for a in &rules.status {
        a.cond.iter().for_each(&mut visit);
    }
    for t in &rules.triggers {
        visit(&t.cond);
    }
    for c in &rules.consts {
        if let Value::Num(d) = &c.value {
            out.push(*d);
        }
    }
    out
}

fn number(rng: &mut Rng, consts: &[Decimal], ty: Type) -> Decimal {
    let d = match rng.below(8) {
        // a constant, a multiple of it, or next to it
        0..=2 => {
            let c = *rng.pick(consts);
            match rng.below(5) {
                0 => c,
                1 => c * Decimal::from(rng.below(7) as i64 - 3),
                2 => c + Decimal::new(1, rng.below(4) as u32),
                3 => c - Decimal::new(1, rng.below(4) as u32),
                _ => c / Decimal::from(rng.below(9) as i64 + 1),
            }
        }
        // small, with a few decimals
        3..=5 => Decimal::new(rng.below(20_001) as i64 - 5_000, rng.below(4) as u32),
        // large, or with many decimals
        6 => Decimal::new(
            (rng.below(1 << 62) as i64) * if rng.below(2) == 0 { 1 } else { -1 },
            rng.below(12) as u32,
        ),
        _ => Decimal::from(rng.below(3) as i64),
    };
    match ty {
        Type::Int => d.trunc(),
        _ => d,
    }
}

fn value(rng: &mut Rng, rules: &RuleSet, consts: &[Decimal], ty: Type, as_of: NaiveDate) -> Value {
    if rng.below(8) == 0 {
        return Value::Missing;
    }
    match ty {
        Type::Int | Type::Number | Type::Percent | Type::Money => {
            Value::Num(number(rng, consts, ty))
        }
        Type::Bool => Value::Bool(rng.below(2) == 0),
        Type::Text => Value::Text(Arc::from(*rng.pick(&["", "a", "Priya Raman", "csm-1"]))),
        Type::Date => Value::Date(date_near(rng, as_of)),
        Type::Enum(id) => {
            let n = rules.enums[id.index()].variants.len() as u64;
            Value::Enum(rng.below(n) as u32)
        }
        _ => Value::Missing,
    }
}

fn date_near(rng: &mut Rng, as_of: NaiveDate) -> NaiveDate {
    // around the usual windows' edges: 7, 30, 60, 90, 180, 365 days, months
    let days = match rng.below(3) {
        0 => *rng.pick(&[
            0i64, 1, 6, 7, 8, 29, 30, 31, 59, 60, 61, 89, 90, 91, 179, 180, 181, 365,
        ]),
        _ => rng.below(500) as i64,
    };
    let days = if rng.below(6) == 0 { -days } else { days };
    as_of - chrono::Duration::days(days)
}

/// One account: one to four snapshots, their dates apart by a few days to
/// a few months (what `previous`/`change` look back at), each with events.
fn account(rng: &mut Rng, rules: &RuleSet, consts: &[Decimal], k: usize) -> Vec<Snapshot> {
    let base = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let n = 1 + rng.below(4) as usize;
    let mut as_of = base;
    let mut out = Vec::new();
    for i in 0..n {
        let signals: Vec<Value> = rules
            .signals
            .iter()
            .map(|s| value(rng, rules, consts, s.ty, as_of))
            .collect();
        let mut list = Vec::new();
        for (e, decl) in rules.events.iter().enumerate() {
            for _ in 0..rng.below(5) {
                list.push(Occurrence {
                    event: e as u32,
                    date: date_near(rng, as_of).min(as_of),
                    fields: decl
                        .fields
                        .iter()
                        .map(|f| value(rng, rules, consts, f.ty, as_of))
                        .collect(),
                });
            }
        }
        let override_ = (!rules.status.is_empty() && rng.below(10) == 0).then(|| Override {
            status: vital_check::ir::ArmId::new(rng.below(rules.status.len() as u64) as usize),
            until: (rng.below(2) == 0).then(|| date_near(rng, as_of)),
            reason: None,
        });
        out.push(Snapshot {
            account: Arc::from(format!("acct-{k}")),
            as_of,
            signals: signals.into_boxed_slice(),
            events: Events::from_list(rules.events.len(), list),
            override_,
            origin: Origin {
                file: Arc::from("generated"),
                line: i + 1,
            },
        });
        as_of -= chrono::Duration::days(*rng.pick(&[1i64, 7, 29, 30, 31, 60, 90, 95]));
    }
    out
}

/// Scale and mantissa of an outcome's scores and health.
fn parts(o: &vital_eval::Outcome) -> Vec<[u8; 16]> {
    let mut v: Vec<[u8; 16]> = o
        .scored
        .scores
        .iter()
        .flatten()
        .map(|d| d.serialize())
        .collect();
    v.extend(o.scored.health.map(|d| d.serialize()));
    v
}

/// How often the fast path (src/fixed.rs) answered, of the snapshots it
/// was asked about.
#[derive(Default)]
struct Fast {
    asked: usize,
    answered: usize,
}

fn same(rules: &RuleSet, group: &[Snapshot], what: &str, fast: &mut Fast) {
    let compiled = Engine::new(rules);
    let walker = Engine::new(rules).interpreted();
    // the fast path, on each snapshot as if it were the account's only one
    for s in group {
        if !compiled.has_fast_path() {
            break;
        }
        fast.asked += 1;
        if let Some(o) = compiled.evaluate_fast(s) {
            fast.answered += 1;
            let w = walker.evaluate_one(s, false);
            assert_eq!(o, w, "{what}: fast path and walker differ on {s:?}");
            assert_eq!(parts(&o), parts(&w), "{what}: representation differs");
        }
    }
    // and on the whole group, history and overrides included
    if compiled.has_fast_path() {
        fast.asked += 1;
        if let Some(o) = compiled.evaluate_group_fast(group) {
            fast.answered += 1;
            let w = walker.evaluate_group(group, false);
            assert_eq!(o, w, "{what}: fast path and walker differ on the group");
            for (x, y) in o.iter().zip(&w) {
                assert_eq!(parts(x), parts(y), "{what}: representation differs");
            }
        }
    }
    for explain in [false, true] {
        let a = compiled.evaluate_group(group, explain);
        let b = walker.evaluate_group(group, explain);
        assert_eq!(
            a, b,
            "{what}: compiled and walked differ (explain {explain})"
        );
        // representation too (both at scale 1: 72.0)
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(parts(x), parts(y), "{what}: representation differs");
        }
        if let [one] = group {
            assert_eq!(
                compiled.evaluate_one(one, explain),
                walker.evaluate_one(one, explain),
                "{what}: evaluate_one differs"
            );
        }
    }
}

#[test]
fn compiled_engine_is_the_walker() {
    let mut rule_sets = 0;
    let mut accounts = 0;
    let mut fast = Fast::default();
    let mut without_fast = Vec::new();
    for (name, files) in corpus() {
        let Some(rules) = check(&files) else {
            continue;
        };
        rule_sets += 1;
        if !Engine::new(&rules).has_fast_path() {
            without_fast.push(name.clone());
        }
        for t in &rules.tests {
            let snaps = vital_eval::testing::snapshots(&rules, t);
            same(
                &rules,
                &snaps,
                &format!("{name}, test {:?}", t.name),
                &mut fast,
            );
        }
        let consts = constants(&rules);
        let mut rng = Rng(rule_sets as u64 * 7919);
        for k in 0..300 {
            let group = account(&mut rng, &rules, &consts, k);
            same(
                &rules,
                &group,
                &format!("{name}, generated account {k}: {group:?}"),
                &mut fast,
            );
            accounts += 1;
        }
    }
    assert!(rule_sets > 60, "only {rule_sets} rule sets checked clean");
    assert!(accounts > 18_000);
    // the fast path is checked on most rule sets and snapshots, the
    // benchmark's and the examples' among them
    eprintln!(
        "fast path: {} rule sets without one: {without_fast:?}; answered {} of {} snapshots",
        without_fast.len(),
        fast.answered,
        fast.asked
    );
    for must in ["bench/rules", "examples/digital-signals/rules"] {
        assert!(
            !without_fast.iter().any(|n| n.ends_with(must)),
            "{must} has no fast path"
        );
    }
    assert!(without_fast.len() * 2 < rule_sets, "{without_fast:?}");
    assert!(
        fast.answered * 10 > fast.asked * 7,
        "{} of {}",
        fast.answered,
        fast.asked
    );
}
