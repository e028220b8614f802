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
                    event: u32::try_from(ev.event.index()).unwrap_or(u32::MAX),
                    date: ev.date,
                    fields: fields.into(),
                });
            }
        }
        Snapshot {
            account: Arc::from(test.name.as_str()),
            as_of,
            signals: signals.into_boxed_slice(),
            events: crate::snapshot::Events::from_lists(events),
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
    let evaluate = |explain: bool| {
        let mut outcomes = engine.evaluate_group(&snaps, explain);
        // the history snapshots' results stand in for stored ones: `started`
        // against the previous one, honouring cooldowns (§9)
        crate::started::Playbooks::of(engine).apply(&snaps, &mut outcomes, |_| true, |_, _| None);
        outcomes
    };
    // without explain (the engine's fast path); a failing test is evaluated
    // again with it, for the report's waterfall (the same outcome: the
    // paths are equal, tests/compiled.rs)
    let outcomes = evaluate(false);
    let me = snaps.len() - 1;
    let mut outcome = outcomes[me].clone();
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
                if let Some(actual) =
                    playbook_failure(engine, &outcome.triggered, playbook, *negated)
                {
                    failures.push(Failure {
                        loc: *loc,
                        actual: if actual.is_empty() {
                            "no playbook was triggered".to_string()
                        } else {
                            format!("triggered: {actual}")
                        },
                    });
                }
            }
            Expectation::Started {
                negated,
                playbook,
                loc,
            } => {
                if let Some(actual) = playbook_failure(engine, &outcome.started, playbook, *negated)
                {
                    failures.push(Failure {
                        loc: *loc,
                        actual: started_failure(engine, &snaps, &outcomes, playbook, actual),
                    });
                }
            }
        }
    }
    if !failures.is_empty() {
        if let Some(o) = evaluate(true).get(me) {
            outcome = o.clone();
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

/// `None` when `playbook` is in `list` exactly when expected (not
/// `negated`); else the list, quoted and joined (empty when it is empty).
fn playbook_failure(
    engine: &Engine<'_>,
    list: &[u32],
    playbook: &str,
    negated: bool,
) -> Option<String> {
    let name = |p: &u32| engine.playbooks.get(*p as usize);
    let present = list.iter().any(|p| name(p).is_some_and(|n| n == playbook));
    (present == negated).then(|| {
        list.iter()
            .filter_map(name)
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// Why a playbook was or was not started: what was started, and what the
/// previous snapshot triggered or the cooldown held back.
fn started_failure(
    engine: &Engine<'_>,
    snaps: &[Snapshot],
    outcomes: &[Outcome],
    playbook: &str,
    started: String,
) -> String {
    let me = snaps.len() - 1;
    let Some(p) = engine.playbooks.iter().position(|n| n == playbook) else {
        return started;
    };
    let p = p as u32;
    let mut out = if started.is_empty() {
        "no playbook was started".to_string()
    } else {
        format!("started: {started}")
    };
    let as_of = snaps[me].as_of;
    let previous = (0..me)
        .filter(|&i| snaps[i].as_of < as_of)
        .max_by_key(|&i| snaps[i].as_of);
    let triggered_now = outcomes[me].triggered.contains(&p);
    if !triggered_now {
        out.push_str(&format!("; {playbook:?} was not triggered"));
    } else if let Some(j) = previous.filter(|&j| outcomes[j].triggered.contains(&p)) {
        out.push_str(&format!(
            "; {playbook:?} was already triggered on {}",
            snaps[j].as_of
        ));
    } else if let Some(j) = (0..me)
        .filter(|&i| snaps[i].as_of < as_of && outcomes[i].started.contains(&p))
        .max_by_key(|&i| snaps[i].as_of)
    {
        out.push_str(&format!(
            "; {playbook:?} was started on {}, within its cooldown",
            snaps[j].as_of
        ));
    }
    out
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
