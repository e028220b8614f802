//! Cooldowns and owners of started playbooks (docs/language.md §3, §8).
//!
//! The engine computes `started` as the playbooks of `triggered` that the
//! account's previous result did not have. A playbook with a `cooldown` is
//! then held back when it was started for the account less than the
//! cooldown before: it stays in `triggered`, it is not in `started`. This
//! runs around the engine, after it, because the last start of a playbook
//! may be recorded in a history store (the command line supplies it) —
//! evaluation itself stays a pure function of the snapshots.

use crate::engine::{Engine, Outcome};
use crate::snapshot::Snapshot;
use chrono::NaiveDate;
use vital_check::ir::{RuleSet, SignalId};
use vital_check::value::{Duration, Value};

/// The cooldown and owner of each playbook of an engine, by playbook index.
#[derive(Debug, Clone, Default)]
pub struct Playbooks {
    cooldown: Vec<Option<Duration>>,
    owner: Vec<Option<SignalId>>,
}

impl Playbooks {
    pub fn of(engine: &Engine<'_>) -> Playbooks {
        let rules = engine.rules;
        Playbooks {
            cooldown: engine.playbooks.iter().map(|p| rules.cooldown(p)).collect(),
            owner: engine.playbooks.iter().map(|p| rules.owner(p)).collect(),
        }
    }

    /// Whether some playbook has a cooldown (else [`Playbooks::apply`] has
    /// nothing to do).
    pub fn any_cooldown(&self) -> bool {
        self.cooldown.iter().any(Option::is_some)
    }

    pub fn cooldown(&self, playbook: u32) -> Option<Duration> {
        self.cooldown.get(playbook as usize).copied().flatten()
    }

    /// The value of the playbook's owner signal in a snapshot, as text: the
    /// text itself or the enum variant's name; `None` without an owner or
    /// when the snapshot has no value.
    pub fn owner(&self, rules: &RuleSet, snap: &Snapshot, playbook: u32) -> Option<String> {
        let s = self.owner.get(playbook as usize).copied().flatten()?;
        let v = snap.signals.get(s.index())?;
        match v {
            Value::Missing => None,
            Value::Text(t) => Some(t.to_string()),
            other => {
                let ty = rules.signals.get(s.index())?.ty;
                Some(rules.show_value(other, ty))
            }
        }
    }

    /// Hold back the starts that fall within their playbook's cooldown.
    ///
    /// `group` and `outcomes` are one account's snapshots and the engine's
    /// results for them. Only the snapshots for which `counts(i)` holds have
    /// their `started` decided here, in date order, each seeing the starts
    /// this leaves to the earlier ones; the others (history read back from a
    /// store) are left alone. `recorded(playbook, date)` gives the latest
    /// start of the playbook recorded elsewhere (a store) strictly before
    /// `date`, on a date that none of the counted snapshots has (theirs are
    /// decided here).
    ///
    /// A start on day `S` holds a playbook back on day `T` when `T < S +
    /// cooldown` (calendar arithmetic as `date + duration`): with `cooldown
    /// 30 days`, a playbook started on 2026-11-01 may start again on
    /// 2026-12-01.
    pub fn apply(
        &self,
        group: &[Snapshot],
        outcomes: &mut [Outcome],
        counts: impl Fn(usize) -> bool,
        mut recorded: impl FnMut(u32, NaiveDate) -> Option<NaiveDate>,
    ) {
        if !self.any_cooldown() {
            return;
        }
        let mut order: Vec<usize> = (0..group.len().min(outcomes.len()))
            .filter(|&i| counts(i))
            .collect();
        order.sort_by_key(|&i| group[i].as_of);
        // (playbook, date) of the starts decided so far
        let mut starts: Vec<(u32, NaiveDate)> = Vec::new();
        for i in order {
            let t = group[i].as_of;
            let mut kept = Vec::with_capacity(outcomes[i].started.len());
            for &p in &outcomes[i].started {
                let Some(cooldown) = self.cooldown(p) else {
                    kept.push(p);
                    continue;
                };
                let holds = |s: NaiveDate| cooldown.after(s).is_none_or(|free| t < free);
                let here = starts
                    .iter()
                    .filter(|(q, d)| *q == p && *d < t)
                    .map(|(_, d)| *d)
                    .max();
                let held = here.is_some_and(holds) || recorded(p, t).is_some_and(holds);
                if !held {
                    kept.push(p);
                }
            }
            starts.extend(kept.iter().map(|&p| (p, t)));
            outcomes[i].started = kept.into();
        }
    }
}

/// Without a store: hold back the starts within their playbook's cooldown
/// of an earlier start of the same account in the same input (the group's
/// other snapshots). `vital run` and `vital summary` without a history
/// store, and the editor's sample, all go through it.
pub fn cooldowns(engine: &Engine<'_>, group: &[Snapshot], outcomes: &mut [Outcome]) {
    if engine.rules.triggers.iter().all(|t| t.cooldown.is_none()) {
        return;
    }
    Playbooks::of(engine).apply(group, outcomes, |_| true, |_, _| None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use vital_syntax::{SourceFile, SourceMap};

    const RULES: &str = r#"signal seats: int
signal csm: enum(dana, lee)
score s weight 1 = seats * 10
status {
  ok  when health >= 50
  bad otherwise
}
when s < 40 trigger "p" cooldown 2 weeks owner csm
when s < 20 trigger "q"
test "t" {
  as_of 2026-11-15
  given {
    seats = 1
    csm = lee
  }
  history {
    on 2026-11-01 { seats = 1 }
    on 2026-11-05 { seats = 9 }
  }
  expect triggered "p"
}
"#;

    fn rules() -> RuleSet {
        let mut m = SourceMap::new();
        m.add(SourceFile::new("a.vital", RULES));
        let c = vital_check::check(&m);
        assert!(c.valid().is_some(), "{:#?}", c.diagnostics);
        c.rules
    }

    /// The three snapshots (11-01, 11-05, 11-15) and the engine's outcomes.
    fn outcomes(engine: &Engine<'_>) -> (Vec<Snapshot>, Vec<Outcome>) {
        let snaps = crate::testing::snapshots(engine.rules, &engine.rules.tests[0]);
        let o = engine.evaluate_group(&snaps, false);
        (snaps, o)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_start_holds_back_until_the_cooldown_ends() {
        let rules = rules();
        let engine = Engine::new(&rules);
        let pb = Playbooks::of(&engine);
        assert_eq!(
            pb.cooldown(0).map(|d| d.to_string()),
            Some("2 weeks".into())
        );
        assert_eq!(pb.cooldown(1), None);
        let (snaps, mut o) = outcomes(&engine);
        // the engine: newly triggered on 11-15 (11-05 triggered nothing)
        assert_eq!(o[2].started.as_slice(), [0, 1]);
        pb.apply(&snaps, &mut o, |_| true, |_, _| None);
        // 11-01 + 2 weeks = 11-15: free again on that day
        assert_eq!(o[0].started.as_slice(), [0, 1]);
        assert_eq!(o[2].started.as_slice(), [0, 1]);
    }

    #[test]
    fn starts_recorded_elsewhere_count_and_uncounted_snapshots_do_not() {
        let rules = rules();
        let engine = Engine::new(&rules);
        let pb = Playbooks::of(&engine);
        let (snaps, o) = outcomes(&engine);
        // only 11-15 counts (the others stand for stored history); the store
        // has a start of "p" on 11-02: held back until 11-16
        let asked = RefCell::new(Vec::new());
        let mut held = o.clone();
        pb.apply(
            &snaps,
            &mut held,
            |i| i == 2,
            |p, before| {
                asked.borrow_mut().push((p, before));
                Some(date("2026-11-02"))
            },
        );
        assert_eq!(held[2].started.as_slice(), [1], "q has no cooldown");
        assert_eq!(asked.into_inner(), [(0, date("2026-11-15"))]);
        // the uncounted snapshots keep what the engine said
        assert_eq!(held[0].started, o[0].started);
        // nothing recorded elsewhere, and 11-01 does not count: started
        let mut free = o.clone();
        pb.apply(&snaps, &mut free, |i| i == 2, |_, _| None);
        assert_eq!(free[2].started.as_slice(), [0, 1]);
    }

    #[test]
    fn the_owner_is_the_signal_value_as_text() {
        let rules = rules();
        let engine = Engine::new(&rules);
        let pb = Playbooks::of(&engine);
        let (snaps, _) = outcomes(&engine);
        assert_eq!(pb.owner(&rules, &snaps[2], 0).as_deref(), Some("lee"));
        assert_eq!(pb.owner(&rules, &snaps[2], 1), None, "no owner clause");
        assert_eq!(pb.owner(&rules, &snaps[0], 0), None, "csm missing");
    }
}
