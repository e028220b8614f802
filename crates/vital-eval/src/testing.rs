//! Running the `test` blocks of a rule set (§9).

use crate::engine::{Engine, Outcome};
use crate::snapshot::{Occurrence, Origin, Snapshot};
use chrono::NaiveDate;
use std::sync::Arc;
use vital_check::ir::{Expectation, Loc, RuleSet, SignalId, Test};
use vital_check::value::Value;

/// The verdict on one `expect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub loc: Loc,
    /// What the rules computed.
    pub actual: String,
}

#[derive(Debug, Clone)]
pub struct TestResult {
    pub name: String,
    pub loc: Loc,
    pub failures: Vec<Failure>,
    /// The latest snapshot's outcome (for the failure report).
    pub outcome: Outcome,
    pub snapshots: Vec<Snapshot>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The snapshots a test describes: its history, then the test's own date
/// last. Every snapshot sees the test's events (dated on or before its own
/// `as_of`); signals not given are missing; no override applies.
pub fn snapshots(rules: &RuleSet, test: &Test) -> Vec<Snapshot> {
    let make = |as_of: NaiveDate, given: &[(SignalId, Value)], line: usize| {
        let mut signals = vec![Value::Missing; rules.signals.len()];
        for (s, v) in given {
            if let Some(slot) = signals.get_mut(s.index()) {
                *slot = v.clone();
            }
        }
        let mut events: Vec<Vec<Occurrence>> = vec![Vec::new(); rules.events.len()];
        for ev in &test.events {
            if ev.date > as_of {
                continue;
            }
            let Some(decl) = rules.events.get(ev.event.index()) else {
                continue;
            };
            let mut fields = vec![Value::Missing; decl.fields.len()];
            for (f, v) in &ev.fields {
                if let Some(slot) = fields.get_mut(f.index()) {
                    *slot = v.clone();
                }
            }
            if let Some(list) = events.get_mut(ev.event.index()) {
                list.push(Occurrence {
                    date: ev.date,
                    fields: fields.into_boxed_slice(),
                });
            }
        }
        Snapshot {
            account: Arc::from(test.name.as_str()),
            as_of,
            signals: signals.into_boxed_slice(),
            events: events.into_boxed_slice(),
            override_: None,
            origin: Origin {
                file: Arc::from("test"),
                line,
            },
        }
    };
    let mut out: Vec<Snapshot> = test.history.iter().map(|(d, g)| make(*d, g, 0)).collect();
    out.push(make(test.as_of, &test.given, 0));
    out
}

/// Run one test block.
pub fn run_test(engine: &Engine<'_>, test: &Test) -> TestResult {
    let rules = engine.rules;
    let snaps = snapshots(rules, test);
    let outcomes = engine.evaluate_group(&snaps, true);
    let me = snaps.len() - 1;
    let outcome = outcomes[me].clone();
    let mut failures = Vec::new();
    for ex in &test.expects {
        match ex {
            Expectation::Cond { cond, loc } => {
                let v = engine.eval_after(&snaps, &outcomes, me, cond);
                if v != Value::Bool(true) {
                    failures.push(Failure {
                        loc: *loc,
                        actual: describe_cond(engine, &snaps, &outcomes, me, cond, &v),
                    });
                }
            }
            Expectation::Triggered {
                negated,
                playbook,
                loc,
            } => {
                let fired = outcome.triggered.iter().any(|p| {
                    engine
                        .playbooks
                        .get(*p as usize)
                        .is_some_and(|n| n == playbook)
                });
                if fired == *negated {
                    let list: Vec<String> = outcome
                        .triggered
                        .iter()
                        .filter_map(|p| engine.playbooks.get(*p as usize))
                        .map(|p| format!("{p:?}"))
                        .collect();
                    failures.push(Failure {
                        loc: *loc,
                        actual: if list.is_empty() {
                            "no playbook was triggered".to_string()
                        } else {
                            format!("triggered: {}", list.join(", "))
                        },
                    });
                }
            }
        }
    }
    TestResult {
        name: test.name.clone(),
        loc: test.loc,
        failures,
        outcome,
        snapshots: snaps,
    }
}

/// For a failed `expect`: the values of the operands that decided it.
fn describe_cond(
    engine: &Engine<'_>,
    snaps: &[Snapshot],
    outcomes: &[Outcome],
    me: usize,
    cond: &vital_check::ir::Expr,
    v: &Value,
) -> String {
    use vital_check::ir::ExprKind as K;
    let rules = engine.rules;
    let show = |e: &vital_check::ir::Expr| {
        let val = engine.eval_after(snaps, outcomes, me, e);
        rules.show_value(&val, e.ty)
    };
    match &cond.kind {
        K::Compare(_, a, b) => format!("left side is {}, right side is {}", show(a), show(b)),
        K::IsMissing { value, .. } => format!("the value is {}", show(value)),
        _ => format!("the condition is {}", rules.show_value(v, cond.ty)),
    }
}
