//! Matching two rule sets (statuses, scores, playbooks and rules by name or
//! text), summarising each account's outcome on each side, and counting the
//! differences over every account.

use crate::model::{self, Matched, RuleKind, ScoreChange};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::HashMap;
use vital_check::ir::{Loc, SignalId};
use vital_eval::{Engine, Outcome, Snapshot};
use vital_syntax::SourceMap;

/// One side of the comparison, as loaded and checked.
pub struct SideDef<'a> {
    pub engine: &'a Engine<'a>,
    pub sources: &'a SourceMap,
    /// The `value` money signal, when this side declares it.
    pub value: Option<SignalId>,
}

/// A rule of either side, matched with its counterpart.
#[derive(Debug, Clone)]
pub struct RuleEntry {
    pub kind: RuleKind,
    pub name: Option<String>,
    pub text: String,
    pub matched: Matched,
    pub edited: bool,
    pub base: Option<usize>,
    pub head: Option<usize>,
}

impl RuleEntry {
    /// The rule for people: its name, else its text.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("\"{n}\""),
            None => self.text.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScoreEntry {
    pub name: String,
    pub change: ScoreChange,
    pub renamed_from: Option<String>,
    pub base: Option<usize>,
    pub head: Option<usize>,
}

/// What the two rule sets have in common, by index.
#[derive(Debug)]
pub struct Plan {
    pub statuses: Vec<String>,
    status_of: [Vec<u16>; 2],
    pub at_risk: Vec<u16>,
    pub scores: Vec<ScoreEntry>,
    score_of: [Vec<u16>; 2],
    pub playbooks: Vec<String>,
    playbook_of: [Vec<u16>; 2],
    pub rules: Vec<RuleEntry>,
    adjustment_of: [Vec<u32>; 2],
    trigger_of: [Vec<u32>; 2],
    value: [Option<SignalId>; 2],
    weights: [Vec<f64>; 2],
}

pub const BASE: usize = 0;
pub const HEAD: usize = 1;

/// A rule's source text on one line.
fn text_at(sources: &SourceMap, loc: Loc) -> String {
    let f = sources.file(loc.file);
    let s = loc.span.start.min(f.text.len());
    let e = loc.span.end.min(f.text.len()).max(s);
    let raw = f.text.get(s..e).unwrap_or("");
    // drop comments: a rule's text is what it does
    let mut words = Vec::new();
    for line in raw.lines() {
        let code = strip_comment(line);
        words.extend(code.split_whitespace().map(str::to_string));
    }
    words.join(" ")
}

/// A line without its `#` comment (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
    }
    line
}

pub(crate) fn expr_text(
    sources: &SourceMap,
    file: vital_syntax::FileId,
    e: &vital_check::ir::Expr,
) -> String {
    text_at(sources, Loc { file, span: e.span })
}

impl Plan {
    pub fn new(base: &SideDef<'_>, head: &SideDef<'_>, at_risk: &[String]) -> Plan {
        let (b, h) = (base.engine.rules, head.engine.rules);
        // statuses: head's arms in order, then base's others
        let mut statuses: Vec<String> = h.status.iter().map(|a| a.name.clone()).collect();
        for a in &b.status {
            if !statuses.contains(&a.name) {
                statuses.push(a.name.clone());
            }
        }
        let index =
            |names: &[String], n: &str| names.iter().position(|x| x == n).unwrap_or(0) as u16;
        let status_of = [
            b.status.iter().map(|a| index(&statuses, &a.name)).collect(),
            h.status.iter().map(|a| index(&statuses, &a.name)).collect(),
        ];
        let at_risk: Vec<u16> = if at_risk.is_empty() {
            h.status
                .last()
                .or(b.status.last())
                .map(|a| index(&statuses, &a.name))
                .into_iter()
                .collect()
        } else {
            at_risk
                .iter()
                .filter(|n| statuses.contains(n))
                .map(|n| index(&statuses, n))
                .collect()
        };
        let (scores, score_of) = match_scores(base, head);
        let mut playbooks: Vec<String> = head.engine.playbooks.clone();
        for p in &base.engine.playbooks {
            if !playbooks.contains(p) {
                playbooks.push(p.clone());
            }
        }
        let playbook_of = [
            base.engine
                .playbooks
                .iter()
                .map(|p| index(&playbooks, p))
                .collect(),
            head.engine
                .playbooks
                .iter()
                .map(|p| index(&playbooks, p))
                .collect(),
        ];
        let mut rules = Vec::new();
        let mut adjustment_of: [Vec<u32>; 2] =
            [vec![0; b.adjustments.len()], vec![0; h.adjustments.len()]];
        let mut trigger_of: [Vec<u32>; 2] = [vec![0; b.triggers.len()], vec![0; h.triggers.len()]];
        let list = |side: &SideDef<'_>, kind: RuleKind| -> Vec<(Option<String>, String)> {
            let r = side.engine.rules;
            match kind {
                RuleKind::Adjustment => r
                    .adjustments
                    .iter()
                    .map(|a| (a.name.clone(), text_at(side.sources, a.loc)))
                    .collect(),
                RuleKind::Trigger => r
                    .triggers
                    .iter()
                    .map(|t| (t.name.clone(), text_at(side.sources, t.loc)))
                    .collect(),
            }
        };
        for kind in [RuleKind::Adjustment, RuleKind::Trigger] {
            let bl = list(base, kind);
            let hl = list(head, kind);
            let mut used = vec![false; bl.len()];
            let mut entries: Vec<RuleEntry> = Vec::new();
            for (hi, (hname, htext)) in hl.iter().enumerate() {
                let found = bl.iter().enumerate().position(|(bi, (bname, btext))| {
                    !used[bi]
                        && match (hname, bname) {
                            (Some(x), Some(y)) => x == y,
                            (None, None) => htext == btext,
                            _ => false,
                        }
                });
                let entry = match found {
                    Some(bi) => {
                        used[bi] = true;
                        RuleEntry {
                            kind,
                            name: hname.clone(),
                            text: htext.clone(),
                            matched: if hname.is_some() {
                                Matched::Name
                            } else {
                                Matched::Text
                            },
                            edited: *htext != bl[bi].1,
                            base: Some(bi),
                            head: Some(hi),
                        }
                    }
                    None => RuleEntry {
                        kind,
                        name: hname.clone(),
                        text: htext.clone(),
                        matched: Matched::Added,
                        edited: false,
                        base: None,
                        head: Some(hi),
                    },
                };
                entries.push(entry);
            }
            for (bi, (bname, btext)) in bl.iter().enumerate() {
                if !used[bi] {
                    entries.push(RuleEntry {
                        kind,
                        name: bname.clone(),
                        text: btext.clone(),
                        matched: Matched::Removed,
                        edited: false,
                        base: Some(bi),
                        head: None,
                    });
                }
            }
            for e in entries {
                let at = rules.len() as u32;
                let slots = match kind {
                    RuleKind::Adjustment => &mut adjustment_of,
                    RuleKind::Trigger => &mut trigger_of,
                };
                if let Some(i) = e.base {
                    slots[BASE][i] = at;
                }
                if let Some(i) = e.head {
                    slots[HEAD][i] = at;
                }
                rules.push(e);
            }
        }
        Plan {
            statuses,
            status_of,
            at_risk,
            scores,
            score_of,
            playbooks,
            playbook_of,
            rules,
            adjustment_of,
            trigger_of,
            value: [base.value, head.value],
            weights: [
                b.scores
                    .iter()
                    .map(|s| s.weight.to_f64().unwrap_or(0.0))
                    .collect(),
                h.scores
                    .iter()
                    .map(|s| s.weight.to_f64().unwrap_or(0.0))
                    .collect(),
            ],
        }
    }

    /// One side's outcome for an account, in the plan's terms. `outcome`
    /// should carry its explain (for which rules fired).
    pub fn side(&self, which: usize, outcome: &Outcome, snapshot: &Snapshot) -> Side {
        let status = outcome
            .status
            .and_then(|a| self.status_of[which].get(a.index()).copied());
        let mut scores = vec![None; self.scores.len()];
        for (i, s) in outcome.scored.scores.iter().enumerate() {
            if let (Some(slot), Some(v)) = (self.score_of[which].get(i), s) {
                scores[*slot as usize] = Some(tenths(*v));
            }
        }
        let playbooks = outcome
            .triggered
            .iter()
            .filter_map(|p| self.playbook_of[which].get(*p as usize).copied())
            .collect();
        let mut fired: Vec<u32> = Vec::new();
        if let Some(ex) = &outcome.explain {
            for s in &ex.scores {
                for a in &s.adjustments {
                    if let Some(r) = self.adjustment_of[which].get(a.rule) {
                        fired.push(*r);
                    }
                }
            }
            for t in &ex.triggers {
                if let Some(r) = self.trigger_of[which].get(*t) {
                    fired.push(*r);
                }
            }
        }
        fired.sort_unstable();
        fired.dedup();
        let value = self.value[which]
            .and_then(|s| snapshot.signals.get(s.index()))
            .and_then(|v| match v {
                vital_check::value::Value::Num(d) => Some(*d),
                _ => None,
            });
        Side {
            status,
            health: outcome.scored.health.map(tenths),
            scores,
            playbooks,
            fired,
            value,
        }
    }
}

/// Scores by name; a removed and an added score with the same weight and
/// base are one renamed score.
fn match_scores(base: &SideDef<'_>, head: &SideDef<'_>) -> (Vec<ScoreEntry>, [Vec<u16>; 2]) {
    let (b, h) = (base.engine.rules, head.engine.rules);
    let def = |side: &SideDef<'_>, s: &vital_check::ir::Score| {
        (
            s.weight.normalize(),
            s.base
                .as_ref()
                .map(|e| expr_text(side.sources, s.loc.file, e)),
        )
    };
    let mut entries: Vec<ScoreEntry> = Vec::new();
    let mut used = vec![false; b.scores.len()];
    for (hi, hs) in h.scores.iter().enumerate() {
        match b.scores.iter().position(|bs| bs.name == hs.name) {
            Some(bi) => {
                used[bi] = true;
                let same = def(base, &b.scores[bi]) == def(head, hs);
                entries.push(ScoreEntry {
                    name: hs.name.clone(),
                    change: if same {
                        ScoreChange::Same
                    } else {
                        ScoreChange::Edited
                    },
                    renamed_from: None,
                    base: Some(bi),
                    head: Some(hi),
                });
            }
            None => entries.push(ScoreEntry {
                name: hs.name.clone(),
                change: ScoreChange::Added,
                renamed_from: None,
                base: None,
                head: Some(hi),
            }),
        }
    }
    // renames: an added score defined as a removed one
    for e in entries
        .iter_mut()
        .filter(|e| e.change == ScoreChange::Added)
    {
        let Some(hi) = e.head else { continue };
        let want = def(head, &h.scores[hi]);
        if let Some(bi) =
            (0..b.scores.len()).find(|&bi| !used[bi] && def(base, &b.scores[bi]) == want)
        {
            used[bi] = true;
            e.change = ScoreChange::Renamed;
            e.renamed_from = Some(b.scores[bi].name.clone());
            e.base = Some(bi);
        }
    }
    for (bi, bs) in b.scores.iter().enumerate() {
        if !used[bi] {
            entries.push(ScoreEntry {
                name: bs.name.clone(),
                change: ScoreChange::Removed,
                renamed_from: None,
                base: Some(bi),
                head: None,
            });
        }
    }
    let mut of: [Vec<u16>; 2] = [vec![0; b.scores.len()], vec![0; h.scores.len()]];
    for (i, e) in entries.iter().enumerate() {
        if let Some(bi) = e.base {
            of[BASE][bi] = i as u16;
        }
        if let Some(hi) = e.head {
            of[HEAD][hi] = i as u16;
        }
    }
    (entries, of)
}

/// A score or health (one decimal) in tenths.
fn tenths(d: Decimal) -> i32 {
    (d * Decimal::TEN).round().to_i32().unwrap_or(0)
}

fn from_tenths(t: i64) -> f64 {
    t as f64 / 10.0
}

/// One account's outcome on one side, in the plan's indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub status: Option<u16>,
    /// Tenths of a point.
    pub health: Option<i32>,
    pub scores: Vec<Option<i32>>,
    pub playbooks: Vec<u16>,
    /// Rule entries that fired, sorted.
    pub fired: Vec<u32>,
    pub value: Option<Decimal>,
}

/// Health in tenths runs from 0 to 1000.
const HEALTH_SLOTS: usize = 1001;
/// Deltas run from -1000 to 1000 tenths.
const DELTA_SLOTS: usize = 2001;
/// The accounts with the largest change kept.
pub const LARGEST: usize = 25;

/// Counts over accounts; tallies of parts of the input merge.
#[derive(Debug, Clone)]
pub struct Tally {
    compared: usize,
    only: [usize; 2],
    /// (from, to) → (count, value); the last index is "no status".
    matrix: Vec<(usize, Decimal)>,
    arms: usize,
    changes: Vec<model::StatusChange>,
    health: [Vec<u64>; 2],
    health_sum: [i64; 2],
    health_n: [usize; 2],
    deltas: Vec<u64>,
    health_changed: usize,
    became_na: usize,
    no_longer_na: usize,
    largest: Vec<(i32, model::Mover)>,
    /// The smallest |delta| that can still enter `largest` (tenths).
    floor: i32,
    rules: Vec<[usize; 3]>,
    score_sum: Vec<[i64; 2]>,
    score_n: Vec<[usize; 2]>,
    score_na: Vec<[usize; 2]>,
    playbooks: Vec<[usize; 4]>,
    has_value: bool,
}

impl Tally {
    pub fn new(plan: &Plan) -> Tally {
        let arms = plan.statuses.len() + 1;
        Tally {
            compared: 0,
            only: [0, 0],
            matrix: vec![(0, Decimal::ZERO); arms * arms],
            arms,
            changes: Vec::new(),
            health: [vec![0; HEALTH_SLOTS], vec![0; HEALTH_SLOTS]],
            health_sum: [0, 0],
            health_n: [0, 0],
            deltas: vec![0; DELTA_SLOTS],
            health_changed: 0,
            became_na: 0,
            no_longer_na: 0,
            largest: Vec::new(),
            floor: 0,
            rules: vec![[0; 3]; plan.rules.len()],
            score_sum: vec![[0; 2]; plan.scores.len()],
            score_n: vec![[0; 2]; plan.scores.len()],
            score_na: vec![[0; 2]; plan.scores.len()],
            playbooks: vec![[0; 4]; plan.playbooks.len()],
            has_value: plan.value[HEAD].is_some() || plan.value[BASE].is_some(),
        }
    }

    /// Count one account: its latest snapshot on each side (`None`: that
    /// side scored no snapshot of it).
    pub fn add(&mut self, plan: &Plan, account: &str, base: Option<&Side>, head: Option<&Side>) {
        let (b, h) = match (base, head) {
            (Some(b), Some(h)) => (b, h),
            (Some(_), None) => {
                self.only[BASE] += 1;
                return;
            }
            (None, Some(_)) => {
                self.only[HEAD] += 1;
                return;
            }
            (None, None) => return,
        };
        self.compared += 1;
        let value = h.value.or(b.value);
        let none = self.arms - 1;
        let (from, to) = (
            b.status.map_or(none, usize::from),
            h.status.map_or(none, usize::from),
        );
        let cell = &mut self.matrix[from * self.arms + to];
        cell.0 += 1;
        cell.1 += value.unwrap_or_default();
        let name = |s: Option<u16>| s.and_then(|i| plan.statuses.get(i as usize)).cloned();
        let money = |d: Option<Decimal>| d.and_then(|d| d.to_f64());
        let health = |t: Option<i32>| t.map(|t| from_tenths(i64::from(t)));
        if from != to {
            self.changes.push(model::StatusChange {
                account: account.to_string(),
                from: name(b.status),
                to: name(h.status),
                base_health: health(b.health),
                head_health: health(h.health),
                value: if self.has_value { money(value) } else { None },
            });
        }
        for (i, side) in [b, h].into_iter().enumerate() {
            if let Some(t) = side.health {
                let t = t.clamp(0, 1000);
                self.health[i][t as usize] += 1;
                self.health_sum[i] += i64::from(t);
                self.health_n[i] += 1;
            }
        }
        if b.health != h.health {
            self.health_changed += 1;
        }
        match (b.health, h.health) {
            (Some(x), Some(y)) => {
                let d = (y - x).clamp(-1000, 1000);
                self.deltas[(d + 1000) as usize] += 1;
                // a mover is built only when it can make the list
                if d != 0 && d.abs() >= self.floor {
                    let flips: Vec<model::Flip> = flips(plan, &b.fired, &h.fired);
                    self.largest.push((
                        d,
                        model::Mover {
                            account: account.to_string(),
                            base: from_tenths(i64::from(x)),
                            head: from_tenths(i64::from(y)),
                            delta: from_tenths(i64::from(d)),
                            base_status: name(b.status),
                            head_status: name(h.status),
                            rules: flips,
                        },
                    ));
                    if self.largest.len() > LARGEST * 8 {
                        self.prune();
                    }
                }
            }
            (Some(_), None) => self.became_na += 1,
            (None, Some(_)) => self.no_longer_na += 1,
            (None, None) => {}
        }
        // rules
        let (mut i, mut j) = (0, 0);
        while i < b.fired.len() || j < h.fired.len() {
            let (x, y) = (b.fired.get(i).copied(), h.fired.get(j).copied());
            match (x, y) {
                (Some(x), Some(y)) if x == y => {
                    self.rules[x as usize][0] += 1;
                    self.rules[x as usize][1] += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), y) if y.is_none_or(|y| x < y) => {
                    self.rules[x as usize][0] += 1;
                    self.rules[x as usize][2] += 1;
                    i += 1;
                }
                (_, Some(y)) => {
                    self.rules[y as usize][1] += 1;
                    self.rules[y as usize][2] += 1;
                    j += 1;
                }
                _ => break,
            }
        }
        // scores
        for (k, (bs, hs)) in b.scores.iter().zip(&h.scores).enumerate() {
            let e = &plan.scores[k];
            for (side, v) in [(BASE, bs), (HEAD, hs)] {
                if let Some(v) = v {
                    self.score_sum[k][side] += i64::from(*v);
                    self.score_n[k][side] += 1;
                }
            }
            if e.base.is_some() && e.head.is_some() {
                match (bs, hs) {
                    (Some(_), None) => self.score_na[k][0] += 1,
                    (None, Some(_)) => self.score_na[k][1] += 1,
                    _ => {}
                }
            }
        }
        // playbooks
        for p in &b.playbooks {
            self.playbooks[*p as usize][0] += 1;
            if !h.playbooks.contains(p) {
                self.playbooks[*p as usize][3] += 1;
            }
        }
        for p in &h.playbooks {
            self.playbooks[*p as usize][1] += 1;
            if !b.playbooks.contains(p) {
                self.playbooks[*p as usize][2] += 1;
            }
        }
    }

    fn prune(&mut self) {
        self.largest.sort_by(|a, b| {
            b.0.abs()
                .cmp(&a.0.abs())
                .then_with(|| a.1.account.cmp(&b.1.account))
        });
        self.largest.truncate(LARGEST);
        if self.largest.len() == LARGEST {
            self.floor = self.largest.last().map_or(0, |m| m.0.abs());
        }
    }

    /// Add another part's counts.
    pub fn merge(mut self, other: Tally) -> Tally {
        self.compared += other.compared;
        for i in 0..2 {
            self.only[i] += other.only[i];
            self.health_sum[i] += other.health_sum[i];
            self.health_n[i] += other.health_n[i];
            for (a, b) in self.health[i].iter_mut().zip(&other.health[i]) {
                *a += b;
            }
        }
        for (a, b) in self.matrix.iter_mut().zip(&other.matrix) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.changes.extend(other.changes);
        for (a, b) in self.deltas.iter_mut().zip(&other.deltas) {
            *a += b;
        }
        self.health_changed += other.health_changed;
        self.became_na += other.became_na;
        self.no_longer_na += other.no_longer_na;
        self.largest.extend(other.largest);
        self.prune();
        for (a, b) in self.rules.iter_mut().zip(&other.rules) {
            for k in 0..3 {
                a[k] += b[k];
            }
        }
        for k in 0..self.score_sum.len() {
            for s in 0..2 {
                self.score_sum[k][s] += other.score_sum[k][s];
                self.score_n[k][s] += other.score_n[k][s];
                self.score_na[k][s] += other.score_na[k][s];
            }
        }
        for (a, b) in self.playbooks.iter_mut().zip(&other.playbooks) {
            for k in 0..4 {
                a[k] += b[k];
            }
        }
        self
    }
}

/// The rules whose firing differs between two accounts' fired lists.
fn flips(plan: &Plan, b: &[u32], h: &[u32]) -> Vec<model::Flip> {
    let mut out = Vec::new();
    let mut all: Vec<u32> = b.iter().chain(h).copied().collect();
    all.sort_unstable();
    all.dedup();
    for r in all {
        let (x, y) = (b.binary_search(&r).is_ok(), h.binary_search(&r).is_ok());
        if x != y {
            if let Some(e) = plan.rules.get(r as usize) {
                out.push(model::Flip {
                    rule: e.label(),
                    kind: e.kind,
                    base: x,
                    head: y,
                });
            }
        }
    }
    out
}

/// What is known besides the counts, for [`finish`].
pub struct Context {
    pub base: model::SideInfo,
    pub head: model::SideInfo,
    pub value_signal: Option<String>,
    pub records: model::Records,
    pub schema: model::SchemaDiff,
    pub tests: model::Tests,
}

fn mean(sum: i64, n: usize) -> Option<f64> {
    (n > 0).then(|| round2(sum as f64 / n as f64 / 10.0))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn shift(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(round2(b? - a?))
}

/// The `q` quantile (nearest rank) of a health histogram, in points.
fn quantile(hist: &[u64], n: usize, q: f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let rank = ((q * n as f64).ceil() as u64).max(1);
    let mut seen = 0u64;
    for (t, c) in hist.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return Some(from_tenths(t as i64));
        }
    }
    None
}

/// The delta histogram's bins, in tenths: (label, min, max).
const BINS: [(&str, Option<i32>, Option<i32>); 9] = [
    ("-20 or less", None, Some(-200)),
    ("-20 to -10", Some(-199), Some(-100)),
    ("-10 to -5", Some(-99), Some(-50)),
    ("-5 to 0", Some(-49), Some(-1)),
    ("0", Some(0), Some(0)),
    ("0 to +5", Some(1), Some(49)),
    ("+5 to +10", Some(50), Some(99)),
    ("+10 to +20", Some(100), Some(199)),
    ("+20 or more", Some(200), None),
];

/// The report, from the counts over every account.
pub fn finish(plan: &Plan, mut t: Tally, cx: Context) -> model::Report {
    t.prune();
    let money = |d: Decimal| d.to_f64().map(round2);
    let has_value = t.has_value;
    let none = t.arms - 1;
    let name = |i: usize| (i < none).then(|| plan.statuses[i].clone());
    let mut matrix = Vec::new();
    for from in 0..t.arms {
        for to in 0..t.arms {
            let (count, value) = t.matrix[from * t.arms + to];
            if count > 0 {
                matrix.push(model::Transition {
                    from: name(from),
                    to: name(to),
                    count,
                    value: if has_value { money(value) } else { None },
                });
            }
        }
    }
    let risky = |i: usize| plan.at_risk.iter().any(|a| usize::from(*a) == i);
    let (mut into, mut out) = ((0, Decimal::ZERO), (0, Decimal::ZERO));
    let mut changed_value = Decimal::ZERO;
    for from in 0..t.arms {
        for to in 0..t.arms {
            let (count, value) = t.matrix[from * t.arms + to];
            if from != to {
                changed_value += value;
                if risky(to) && !risky(from) {
                    into.0 += count;
                    into.1 += value;
                }
                if risky(from) && !risky(to) {
                    out.0 += count;
                    out.1 += value;
                }
            }
        }
    }
    let changed = t.changes.len();
    let mut changes = std::mem::take(&mut t.changes);
    changes.sort_by(|a, b| {
        let loss = |c: &model::StatusChange| match (c.base_health, c.head_health) {
            (Some(x), Some(y)) => y - x,
            _ => 0.0,
        };
        b.value
            .unwrap_or(0.0)
            .total_cmp(&a.value.unwrap_or(0.0))
            .then_with(|| loss(a).total_cmp(&loss(b)))
            .then_with(|| a.account.cmp(&b.account))
    });
    let moved = |(count, value): (usize, Decimal)| model::Moved {
        count,
        value: if has_value { money(value) } else { None },
    };
    let statuses = model::Statuses {
        arms: plan.statuses.clone(),
        at_risk: plan
            .at_risk
            .iter()
            .map(|i| plan.statuses[*i as usize].clone())
            .collect(),
        changed,
        changed_share: if t.compared == 0 {
            0.0
        } else {
            changed as f64 / t.compared as f64
        },
        changed_value: if has_value {
            money(changed_value)
        } else {
            None
        },
        into_at_risk: moved(into),
        out_of_risk: moved(out),
        matrix,
        changes,
    };
    let base_mean = mean(t.health_sum[BASE], t.health_n[BASE]);
    let head_mean = mean(t.health_sum[HEAD], t.health_n[HEAD]);
    let quantiles = [0.1, 0.25, 0.5, 0.75, 0.9]
        .into_iter()
        .map(|q| {
            let b = quantile(&t.health[BASE], t.health_n[BASE], q);
            let h = quantile(&t.health[HEAD], t.health_n[HEAD], q);
            model::Quantile {
                q,
                base: b,
                head: h,
                shift: shift(b, h),
            }
        })
        .collect();
    let histogram = BINS
        .iter()
        .map(|(label, lo, hi)| {
            let lo_i = lo.unwrap_or(-1000);
            let hi_i = hi.unwrap_or(1000);
            let count = (lo_i..=hi_i)
                .map(|d| t.deltas[(d + 1000) as usize] as usize)
                .sum();
            model::Bin {
                label: (*label).to_string(),
                min: lo.map(|x| from_tenths(i64::from(x))),
                max: hi.map(|x| from_tenths(i64::from(x))),
                count,
            }
        })
        .collect();
    let health = model::Health {
        base_mean,
        head_mean,
        mean_shift: shift(base_mean, head_mean),
        changed: t.health_changed,
        became_na: t.became_na,
        no_longer_na: t.no_longer_na,
        quantiles,
        histogram,
        largest: t.largest.into_iter().map(|(_, m)| m).collect(),
    };
    let rules = plan
        .rules
        .iter()
        .zip(&t.rules)
        .map(|(e, c)| model::RuleRow {
            kind: e.kind,
            name: e.name.clone(),
            text: e.text.clone(),
            matched: e.matched,
            edited: e.edited,
            base: e.base.map(|_| c[0]),
            head: e.head.map(|_| c[1]),
            differs: c[2],
        })
        .collect();
    let scores = plan
        .scores
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let bm = e
                .base
                .and_then(|_| mean(t.score_sum[k][BASE], t.score_n[k][BASE]));
            let hm = e
                .head
                .and_then(|_| mean(t.score_sum[k][HEAD], t.score_n[k][HEAD]));
            model::ScoreRow {
                name: e.name.clone(),
                change: e.change,
                renamed_from: e.renamed_from.clone(),
                base_weight: e.base.and_then(|i| plan_weight(plan, BASE, i)),
                head_weight: e.head.and_then(|i| plan_weight(plan, HEAD, i)),
                base_mean: bm,
                head_mean: hm,
                mean_shift: shift(bm, hm),
                became_na: t.score_na[k][0],
                no_longer_na: t.score_na[k][1],
            }
        })
        .collect();
    let playbooks = plan
        .playbooks
        .iter()
        .zip(&t.playbooks)
        .map(|(p, c)| model::PlaybookRow {
            name: p.clone(),
            base: c[0],
            head: c[1],
            started: c[2],
            stopped: c[3],
        })
        .collect();
    model::Report {
        version: model::VERSION,
        base: cx.base,
        head: cx.head,
        value_signal: cx.value_signal,
        records: cx.records,
        accounts: model::Accounts {
            compared: t.compared,
            only_base: t.only[BASE],
            only_head: t.only[HEAD],
        },
        statuses,
        health,
        rules,
        scores,
        playbooks,
        schema: cx.schema,
        tests: cx.tests,
    }
}

fn plan_weight(plan: &Plan, side: usize, i: usize) -> Option<f64> {
    plan.weights[side].get(i).copied()
}

/// Accounts summarised on one side, waiting for the other (when each side
/// reads the input under its own schema).
pub type Pending = HashMap<std::sync::Arc<str>, Side>;

/// The latest snapshot of a group (as `vital run` reports by default).
pub fn latest(group: &[Snapshot]) -> Option<usize> {
    group
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| s.as_of)
        .map(|(i, _)| i)
}

/// Each side's `test` blocks, run and compared by name.
pub fn tests(base: &Engine<'_>, head: &Engine<'_>) -> model::Tests {
    let run = |e: &Engine<'_>| -> Vec<(String, bool)> {
        e.rules
            .tests
            .iter()
            .map(|t| {
                let r = vital_eval::testing::run_test(e, t);
                (r.name.clone(), r.passed())
            })
            .collect()
    };
    let (b, h) = (run(base), run(head));
    let count = |v: &[(String, bool)]| model::TestCount {
        passed: v.iter().filter(|x| x.1).count(),
        failed: v.iter().filter(|x| !x.1).count(),
    };
    let in_base = |n: &str| b.iter().find(|x| x.0 == n).map(|x| x.1);
    model::Tests {
        base: count(&b),
        head: count(&h),
        newly_failing: h
            .iter()
            .filter(|(n, ok)| !ok && in_base(n) != Some(false))
            .map(|x| x.0.clone())
            .collect(),
        newly_passing: h
            .iter()
            .filter(|(n, ok)| *ok && in_base(n) == Some(false))
            .map(|x| x.0.clone())
            .collect(),
        failing: h.iter().filter(|x| !x.1).map(|x| x.0.clone()).collect(),
    }
}
