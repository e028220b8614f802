//! From the engine's outcomes to labelled rows. The engine evaluates; this
//! only reads what it returned (scores, health, status, and from its
//! explain mode which adjustments applied and each score's base).

use crate::analyze::{Arm, Counts, Row, RuleInfo, Rules, ScoreInfo};
use crate::outcomes::{Label, Outcomes};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::HashMap;
use vital_check::ir::{ExprKind, RuleSet};
use vital_check::value::{Duration, Value};
use vital_eval::{Outcome, Snapshot};
use vital_syntax::ast::DurationUnit;
use vital_syntax::SourceMap;

/// `90 days`, `3 months`, `1 year`, `2 weeks` (also `90d`, `3m`, `1y`,
/// `2w`, and a bare number of days).
pub fn parse_horizon(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let amount: i64 = s[..split].parse().ok().filter(|&n| n > 0)?;
    let unit = match s[split..].trim() {
        "" | "d" | "day" | "days" => DurationUnit::Day,
        "w" | "week" | "weeks" => DurationUnit::Week,
        "m" | "month" | "months" => DurationUnit::Month,
        "y" | "year" | "years" => DurationUnit::Year,
        _ => return None,
    };
    Some(Duration { amount, unit })
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// What the analysis needs of a checked rule set. `at_risk`: the status
/// names that count as at risk (the project's `at_risk`), else the last
/// status arm.
pub fn describe(rules: &RuleSet, sources: &SourceMap, at_risk: Option<&[String]>) -> Rules {
    let text = |loc_file, span: vital_syntax::Span| -> String {
        let t = &sources.file(loc_file).text;
        t.get(span.start..span.end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let scores = rules
        .scores
        .iter()
        .map(|s| {
            let band = s.base.as_ref().and_then(|b| match &b.kind {
                ExprKind::Band {
                    arms, otherwise, ..
                } => {
                    let lit = |e: &vital_check::ir::Expr| match &e.kind {
                        ExprKind::Lit(Value::Num(d)) => Some(f(*d)),
                        _ => None,
                    };
                    let mut out = Vec::new();
                    for a in arms {
                        out.push(Arm {
                            condition: format!(
                                "{} {}",
                                a.op.as_str(),
                                text(s.loc.file, a.value.span)
                            ),
                            result: lit(&a.result)?,
                        });
                    }
                    out.push(Arm {
                        condition: "otherwise".into(),
                        result: lit(otherwise)?,
                    });
                    Some(out)
                }
                _ => None,
            });
            ScoreInfo {
                name: s.name.clone(),
                weight: f(s.weight),
                band,
            }
        })
        .collect();
    let statuses: Vec<String> = rules.status.iter().map(|a| a.name.clone()).collect();
    let at_risk_idx = match at_risk {
        Some(names) => statuses
            .iter()
            .enumerate()
            .filter(|(_, s)| names.iter().any(|n| n == *s))
            .map(|(i, _)| i)
            .collect(),
        None => statuses.len().checked_sub(1).into_iter().collect(),
    };
    let rule_infos = rules
        .adjustments
        .iter()
        .map(|a| {
            let at = vital_eval::results::locate(sources, a.loc);
            RuleInfo {
                name: a
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("(unnamed rule at {at})")),
                score: rules
                    .scores
                    .get(a.score.index())
                    .map_or(String::new(), |s| s.name.clone()),
                direction: match a.direction {
                    vital_check::ir::Direction::Add => "add",
                    vital_check::ir::Direction::Subtract => "subtract",
                },
                at,
            }
        })
        .chain(rules.triggers.iter().map(|t| {
            let at = vital_eval::results::locate(sources, t.loc);
            RuleInfo {
                name: t
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("(unnamed rule at {at})")),
                score: t.playbook.clone(),
                direction: "trigger",
                at,
            }
        }))
        .collect();
    let weight_decimals = rules
        .scores
        .iter()
        .map(|s| s.weight.normalize().scale())
        .max()
        .unwrap_or(0)
        .min(2);
    Rules {
        scores,
        statuses,
        at_risk: at_risk_idx,
        rules: rule_infos,
        weight_decimals,
    }
}

/// Labels the snapshots of each account group as they are evaluated.
pub struct Labeller<'o> {
    outcomes: &'o Outcomes,
    horizon: Duration,
    pub through: NaiveDate,
    contracted: bool,
    accounts: HashMap<String, usize>,
    churned_accounts: std::collections::HashSet<usize>,
    pub counts: Counts,
    pub rows: Vec<Row>,
    adjustments: usize,
    triggers: usize,
}

impl<'o> Labeller<'o> {
    pub fn new(
        outcomes: &'o Outcomes,
        horizon: Duration,
        through: NaiveDate,
        contracted: bool,
        rules: &RuleSet,
    ) -> Labeller<'o> {
        Labeller {
            outcomes,
            horizon,
            through,
            contracted,
            accounts: HashMap::new(),
            churned_accounts: Default::default(),
            counts: Counts::default(),
            rows: Vec::new(),
            adjustments: rules.adjustments.len(),
            triggers: rules.triggers.len(),
        }
    }

    /// One account's snapshots and the engine's outcomes for them (in the
    /// same order; evaluated in explain mode).
    pub fn add(&mut self, group: &[Snapshot], outcomes: &[Outcome]) {
        for (snap, o) in group.iter().zip(outcomes) {
            self.counts.snapshots += 1;
            let next = self.accounts.len();
            let account = *self
                .accounts
                .entry(snap.account.to_string())
                .or_insert(next);
            let Some(end) = self.horizon.after(snap.as_of) else {
                self.counts.horizon_not_over += 1;
                continue;
            };
            let churned = match self.outcomes.label(
                &snap.account,
                snap.as_of,
                end,
                self.through,
                self.contracted,
            ) {
                Label::Churned => true,
                Label::Stayed => false,
                Label::NotOver => {
                    self.counts.horizon_not_over += 1;
                    continue;
                }
                Label::AfterChurn => {
                    self.counts.after_churn += 1;
                    continue;
                }
            };
            self.counts.labelled += 1;
            if churned {
                self.counts.churned_rows += 1;
                self.churned_accounts.insert(account);
            }
            // adjustments, then trigger rules
            let mut fired = vec![false; self.adjustments + self.triggers];
            let mut base = vec![None; o.scored.scores.len()];
            if let Some(ex) = &o.explain {
                for t in &ex.triggers {
                    if let Some(x) = fired.get_mut(self.adjustments + t) {
                        *x = true;
                    }
                }
                for (j, se) in ex.scores.iter().enumerate() {
                    if let Some(b) = base.get_mut(j) {
                        *b = se.base.map(f);
                    }
                    for (rule, amount) in &se.applied {
                        if !amount.is_zero() {
                            if let Some(x) = fired.get_mut(*rule) {
                                *x = true;
                            }
                        }
                    }
                }
            }
            self.rows.push(Row {
                account,
                as_of: snap.as_of,
                end,
                churned,
                health: o.scored.health.map(f),
                status: o.status.map(|s| s.index()),
                scores: o.scored.scores.iter().map(|s| s.map(f)).collect(),
                base,
                fired,
            });
        }
    }

    /// The counts, with the accounts seen.
    /// Rows come back ordered by account id and date, account numbers given
    /// in the order of the ids: the report does not depend on the order the
    /// snapshots were read in (files, or the history store).
    pub fn finish(mut self) -> (Counts, Vec<Row>) {
        let mut names: Vec<(&String, usize)> = self.accounts.iter().map(|(n, &i)| (n, i)).collect();
        names.sort();
        let mut renumber = vec![0; names.len()];
        for (new, (_, old)) in names.iter().enumerate() {
            renumber[*old] = new;
        }
        for r in &mut self.rows {
            r.account = renumber[r.account];
        }
        self.rows.sort_by_key(|r| (r.account, r.as_of));
        self.counts.accounts = self.accounts.len();
        self.counts.churned_accounts = self.churned_accounts.len();
        self.counts.outcome_accounts_without_snapshots = self
            .outcomes
            .by_account
            .keys()
            .filter(|a| !self.accounts.contains_key(*a))
            .count();
        (self.counts, self.rows)
    }
}
