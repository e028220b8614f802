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
            outcomes[i].started = kept;
        }
    }
}
