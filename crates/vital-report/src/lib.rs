//! Rollups of scored accounts for people (docs/report.md): accounts and
//! account value per status, mean, median and value-weighted health,
//! playbooks triggered and started, grouped by signals; rendered as a
//! table, CSV, JSON or JSON Lines (`vital summary`) and as one
//! self-contained HTML file (`vital report`, [`html`]).
//!
//! Pure: the command line turns results (of a run or of the history store)
//! into [`Account`]s; everything here is arithmetic and text.

pub mod html;
mod text;

pub use text::{csv, json, jsonl, table};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// What the rollup is over: the status arms in the rule set's order, which
/// of them count as healthy and at risk, the playbooks, the grouping
/// signals and the value signal.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Shown in reports (`[project] name`).
    pub title: Option<String>,
    pub statuses: Vec<String>,
    /// Indices into `statuses`: the first arm.
    pub healthy: Vec<usize>,
    /// Indices into `statuses`: `at_risk` of vital.toml, else the last arm.
    pub at_risk: Vec<usize>,
    pub playbooks: Vec<String>,
    /// The signals results are grouped by (`--by`).
    pub by: Vec<String>,
    /// The money signal that is an account's value.
    pub value: Option<String>,
    /// The rule set's adjustments, then its triggers (for rule coverage).
    pub rules: Vec<Rule>,
    /// The rule set's scores, in order (for trend charts).
    pub scores: Vec<String>,
}

/// A rule, for the report's coverage table.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its name, or `unnamed`.
    pub name: String,
    /// `adjusts SCORE` or `starts PLAYBOOK`.
    pub does: String,
    /// `file:line:column`.
    pub place: String,
}

impl Frame {
    /// The healthy and at-risk arms as the project file defines them: the
    /// first arm is healthy; `at_risk` names arms, else the last arm is.
    pub fn arms(statuses: &[String], at_risk: Option<&[String]>) -> (Vec<usize>, Vec<usize>) {
        let healthy = if statuses.is_empty() { vec![] } else { vec![0] };
        let risk = match at_risk {
            Some(names) => statuses
                .iter()
                .enumerate()
                .filter(|(_, s)| names.iter().any(|n| n == *s))
                .map(|(i, _)| i)
                .collect(),
            None => statuses.len().checked_sub(1).into_iter().collect(),
        };
        (healthy, risk)
    }
}

/// One account's reported result.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub account: String,
    pub as_of: Option<NaiveDate>,
    pub health: Option<Decimal>,
    /// Index into [`Frame::statuses`].
    pub status: Option<usize>,
    pub value: Option<Decimal>,
    /// The value of each `by` signal (`None`: missing).
    pub group: Vec<Option<String>>,
    /// Indices into [`Frame::playbooks`].
    pub triggered: Vec<usize>,
    pub started: Vec<usize>,
    /// The adjustments that cost the most, worst first.
    pub reasons: Vec<Reason>,
    /// Indices into [`Frame::rules`] of the rules that fired (with
    /// explanations; empty otherwise).
    pub fired: Vec<usize>,
    /// `vital explain`'s text (the report keeps it for at-risk accounts).
    pub explain: Option<String>,
    /// Each score of [`Frame::scores`] (`None`: n/a).
    pub scores: Vec<Option<Decimal>>,
    /// The account's previous result, for movers: its previous snapshot
    /// (the latest earlier input snapshot, else the latest earlier stored
    /// one) recomputed with the current rules.
    pub previous: Option<Previous>,
}

/// An account's previous result and what changed since.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    pub as_of: NaiveDate,
    pub health: Option<Decimal>,
    /// Index into [`Frame::statuses`].
    pub status: Option<usize>,
    /// The parts of the scores whose amounts differ, largest effect on
    /// health first (at most [`CAUSES`]).
    pub causes: Vec<Cause>,
    /// How many parts differ in all.
    pub differing: usize,
}

/// At most this many causes are kept per account.
pub const CAUSES: usize = 4;

/// One rule (or score base) behind a change in health.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub kind: CauseKind,
    /// The rule's name, else its text; empty for a base or a clamp.
    pub rule: String,
    pub score: String,
    /// The base, the rule's signed amount (`None`: it did not apply), or
    /// what the clamp to 0–100 took, on the previous night and now.
    pub before: Option<Decimal>,
    pub now: Option<Decimal>,
    /// Its part of the change, in health points.
    pub health: Decimal,
    /// What it read on each night (as `vital explain` shows it).
    pub reads_before: Vec<String>,
    pub reads_now: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CauseKind {
    Base,
    Rule,
    Clamp,
}

/// One adjustment of an account's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The rule's name, or its place in the rule files.
    pub rule: String,
    pub score: String,
    pub amount: Decimal,
}

/// Accounts and value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub accounts: usize,
    pub value: Decimal,
}

impl Tally {
    fn add(&mut self, a: &Account) {
        self.accounts += 1;
        self.value += a.value.unwrap_or_default();
    }
}

/// The numbers of one group (or of all accounts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    /// The group's `by` values; empty for the total.
    pub group: Vec<Option<String>>,
    pub total: Tally,
    /// Per status arm, in the rule set's order.
    pub statuses: Vec<Tally>,
    pub no_status: Tally,
    pub healthy: Tally,
    pub at_risk: Tally,
    /// Accounts with a health.
    pub scored: usize,
    pub mean_health: Option<Decimal>,
    pub median_health: Option<Decimal>,
    /// Mean health weighted by value (accounts with both).
    pub weighted_health: Option<Decimal>,
    /// Per playbook: accounts it triggered for, and started for.
    pub triggered: Vec<usize>,
    pub started: Vec<usize>,
}

impl Rollup {
    /// Share of accounts in the healthy arms, in percent (one decimal).
    pub fn healthy_share(&self) -> Option<Decimal> {
        share(self.healthy.accounts, self.total.accounts)
    }

    /// Share of accounts in the at-risk arms, in percent (one decimal).
    pub fn at_risk_share(&self) -> Option<Decimal> {
        share(self.at_risk.accounts, self.total.accounts)
    }
}

/// `part` of `whole` in percent, one decimal, half away from zero.
pub fn share(part: usize, whole: usize) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let p = Decimal::from(part) * Decimal::from(100) / Decimal::from(whole);
    Some(round(p, 1))
}

/// Half away from zero, as results are rounded.
pub fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// Everything `vital summary` shows.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub frame: Frame,
    /// The latest `as_of` of the accounts.
    pub as_of: Option<NaiveDate>,
    /// `run` or `store`.
    pub source: String,
    /// Records read and rejected (a run), or of the latest stored run.
    pub records: usize,
    pub rejected: usize,
    pub total: Rollup,
    /// One per distinct `by` value combination, sorted (missing last);
    /// empty without `by`.
    pub groups: Vec<Rollup>,
}

/// Roll accounts up: the total and, with `frame.by`, one rollup per group.
pub fn summarize(frame: &Frame, accounts: &[Account]) -> (Rollup, Vec<Rollup>) {
    let total = rollup(frame, Vec::new(), accounts.iter());
    let mut groups: Vec<Rollup> = Vec::new();
    if !frame.by.is_empty() {
        let mut keyed: BTreeMap<Vec<GroupKey<'_>>, Vec<&Account>> = BTreeMap::new();
        for a in accounts {
            let key = (0..frame.by.len())
                .map(|i| GroupKey(a.group.get(i).and_then(|g| g.as_deref())))
                .collect();
            keyed.entry(key).or_default().push(a);
        }
        for (key, members) in keyed {
            let group = key.iter().map(|k| k.0.map(str::to_string)).collect();
            groups.push(rollup(frame, group, members.into_iter()));
        }
    }
    (total, groups)
}

/// A group value; missing sorts last.
#[derive(PartialEq, Eq)]
struct GroupKey<'a>(Option<&'a str>);

impl PartialOrd for GroupKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self.0, other.0) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    }
}

fn rollup<'a>(
    frame: &Frame,
    group: Vec<Option<String>>,
    accounts: impl Iterator<Item = &'a Account>,
) -> Rollup {
    let mut r = Rollup {
        group,
        statuses: vec![Tally::default(); frame.statuses.len()],
        triggered: vec![0; frame.playbooks.len()],
        started: vec![0; frame.playbooks.len()],
        ..Rollup::default()
    };
    let mut healths: Vec<Decimal> = Vec::new();
    let (mut weighted, mut weight) = (Decimal::ZERO, Decimal::ZERO);
    for a in accounts {
        r.total.add(a);
        match a.status.and_then(|s| r.statuses.get_mut(s)) {
            Some(t) => t.add(a),
            None => r.no_status.add(a),
        }
        if let Some(s) = a.status {
            if frame.healthy.contains(&s) {
                r.healthy.add(a);
            }
            if frame.at_risk.contains(&s) {
                r.at_risk.add(a);
            }
        }
        if let Some(h) = a.health {
            healths.push(h);
            if let Some(v) = a.value {
                weighted += h * v;
                weight += v;
            }
        }
        for p in &a.triggered {
            if let Some(c) = r.triggered.get_mut(*p) {
                *c += 1;
            }
        }
        for p in &a.started {
            if let Some(c) = r.started.get_mut(*p) {
                *c += 1;
            }
        }
    }
    r.scored = healths.len();
    if !healths.is_empty() {
        let n = Decimal::from(healths.len());
        let sum: Decimal = healths.iter().copied().sum();
        r.mean_health = Some(round(sum / n, 2));
        healths.sort();
        let mid = healths.len() / 2;
        let median = if healths.len() % 2 == 1 {
            healths[mid]
        } else {
            (healths[mid - 1] + healths[mid]) / Decimal::TWO
        };
        r.median_health = Some(round(median, 2));
    }
    if frame.value.is_some() && !weight.is_zero() {
        r.weighted_health = Some(round(weighted / weight, 2));
    }
    r
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    group_digits(&n.to_string())
}

/// A value in whole units with separators: `1234567.89` → `1,234,568`.
pub fn money(d: Decimal) -> String {
    let r = round(d, 0);
    let s = r.abs().to_string();
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{}", group_digits(&s))
}

/// A number as given, with separators in its whole part.
pub fn number(d: Decimal) -> String {
    let s = d.normalize().to_string();
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    match s.split_once('.') {
        Some((whole, frac)) => format!("{sign}{}.{frac}", group_digits(whole)),
        None => format!("{sign}{}", group_digits(s)),
    }
}

fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    // a separator before each digit that has a multiple of three after it
    let mut left = digits.len();
    for c in digits.chars() {
        if left < digits.len() && matches!(left, 3 | 6 | 9 | 12 | 15 | 18 | 21 | 24 | 27) {
            out.push(',');
        }
        out.push(c);
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn frame() -> Frame {
        let statuses: Vec<String> = ["good", "ok", "bad"].map(String::from).to_vec();
        let (healthy, at_risk) = Frame::arms(&statuses, None);
        Frame {
            statuses,
            healthy,
            at_risk,
            playbooks: vec!["call".into()],
            by: vec!["csm".into()],
            value: Some("arr".into()),
            ..Frame::default()
        }
    }

    fn acct(name: &str, h: &str, s: usize, v: &str, csm: Option<&str>) -> Account {
        Account {
            account: name.into(),
            health: Some(d(h)),
            status: Some(s),
            value: Some(d(v)),
            group: vec![csm.map(String::from)],
            ..Account::default()
        }
    }

    #[test]
    fn rollups_by_hand() {
        let accounts = vec![
            acct("a", "80", 0, "1000", Some("kim")),
            acct("b", "50", 1, "3000", Some("kim")),
            acct("c", "20", 2, "500", None),
            Account {
                triggered: vec![0],
                started: vec![0],
                ..acct("d", "25", 2, "1500", Some("ari"))
            },
        ];
        let (total, groups) = summarize(&frame(), &accounts);
        assert_eq!(total.total.accounts, 4);
        assert_eq!(total.total.value, d("6000"));
        assert_eq!(total.mean_health, Some(d("43.75")));
        assert_eq!(total.median_health, Some(d("37.5")));
        // (80*1000 + 50*3000 + 20*500 + 25*1500) / 6000 = 277500 / 6000
        assert_eq!(total.weighted_health, Some(d("46.25")));
        assert_eq!(total.at_risk.accounts, 2);
        assert_eq!(total.at_risk.value, d("2000"));
        assert_eq!(total.healthy_share(), Some(d("25")));
        assert_eq!(total.triggered, vec![1]);
        let keys: Vec<Option<&str>> = groups.iter().map(|g| g.group[0].as_deref()).collect();
        assert_eq!(keys, vec![Some("ari"), Some("kim"), None]);
        assert_eq!(groups[1].weighted_health, Some(d("57.5")));
        assert_eq!(groups[1].median_health, Some(d("65")));
    }

    #[test]
    fn at_risk_arms_from_the_project() {
        let s: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(Frame::arms(&s, None), (vec![0], vec![3]));
        let named = vec!["d".to_string(), "c".to_string()];
        assert_eq!(Frame::arms(&s, Some(&named)), (vec![0], vec![2, 3]));
    }

    #[test]
    fn separators() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(money(d("1234567.5")), "1,234,568");
        assert_eq!(money(d("-1500")), "-1,500");
        assert_eq!(number(d("-12345.25")), "-12,345.25");
    }
}
