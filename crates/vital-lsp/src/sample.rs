//! The sample: a small snapshot file of real accounts (`sample` of the rule
//! set in `vital.toml`), evaluated with the rule set as the editor holds it.
//!
//! Reading goes through the one reader (`vital_input`); evaluation through
//! the engine (`vital_eval::Engine`, its explain data: which adjustments
//! applied, which triggers fired, what each account's scores and status came
//! to). Each account counts once, with its latest snapshot (as `vital
//! explain` shows it), evaluated with its other snapshots as its history.
//!
//! Nothing here knows LSP except [`lenses`] and [`hover`]: [`read`],
//! [`coverage`] and [`warnings`] also serve `vital check --sample FILE`, so
//! the editor and CI give the same warnings (`vital::never-fires`,
//! `vital::arm-never-taken`).

use crate::analysis::Analysis;
use crate::convert::Encoding;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::{CodeLens, Command};
use vital_check::ir::{Expr, ExprKind, RuleSet, SignalId, Type};
use vital_check::value::{self, Value};
use vital_eval::{Engine, Mapping, Snapshot};
use vital_syntax::{Code, Diagnostic, FileId, Span};

/// The accounts of a sample file, read for one rule set's declarations.
#[derive(Debug)]
pub struct Data {
    /// What the snapshots were read for: the declarations, the mapping and
    /// the file's size and modification time. Another rule set with the same
    /// key reads the same snapshots.
    pub key: String,
    /// The file, for messages.
    pub name: String,
    /// Each account's accepted snapshots.
    pub groups: Vec<Vec<Snapshot>>,
    /// Records the reader rejected.
    pub rejected: usize,
}

impl Data {
    /// The index of each group's latest snapshot.
    fn latest(group: &[Snapshot]) -> Option<usize> {
        group
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.as_of)
            .map(|(i, _)| i)
    }

    /// The account ids, in input order.
    pub fn accounts(&self) -> Vec<String> {
        self.groups
            .iter()
            .filter_map(|g| g.first().map(|s| s.account.to_string()))
            .collect()
    }
}

/// The key under which snapshots read for `rules` with `mapping` from
/// `path` stay valid.
pub fn key(rules: &RuleSet, mapping: &Mapping, path: &Path) -> String {
    let signals: Vec<_> = rules
        .signals
        .iter()
        .map(|s| (&s.name, s.ty, s.optional))
        .collect();
    let events: Vec<_> = rules
        .events
        .iter()
        .map(|e| {
            (
                &e.name,
                e.fields
                    .iter()
                    .map(|f| (&f.name, f.ty, f.optional))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let stamp = std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    format!(
        "{signals:?}|{events:?}|{:?}|{:?}|{mapping:?}|{}|{stamp:?}",
        rules.enums,
        rules.status.iter().map(|a| &a.name).collect::<Vec<_>>(),
        path.display()
    )
}

/// Read a sample file with the one reader, for `rules`.
pub fn read(rules: &RuleSet, mapping: &Mapping, path: &Path) -> Result<Data, String> {
    let schema = vital_eval::Schema::with_mapping(rules, mapping);
    let inputs = vital_input::Input::open_all(&[path.to_path_buf()]).map_err(|e| e.to_string())?;
    let mut reader = vital_input::Reader::new(&schema, inputs, vital_input::Select::All)
        .map_err(|e| e.to_string())?;
    let mut groups = Vec::new();
    let mut rejected = 0;
    while let Some(batch) = reader.next_batch().map_err(|e| e.to_string())? {
        rejected += batch.rejections.len();
        groups.extend(batch.groups.into_iter().filter(|g| !g.is_empty()));
    }
    Ok(Data {
        key: key(rules, mapping, path),
        name: path.display().to_string(),
        groups,
        rejected,
    })
}

/// The sample of the rule set rooted at `root`: the `sample` of the rule set
/// of `vital.toml` (here or above) whose `path` is `root` (or holds it), the
/// mapping of that rule set for `rules`, and its `value` signal.
pub fn configured(root: &Path, rules: &RuleSet) -> Option<(PathBuf, Mapping, Option<SignalId>)> {
    let project = vital_project::discover(root).ok()??;
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let root = canon(root);
    let rs = project
        .rulesets
        .iter()
        .filter(|r| r.sample.is_some())
        .find(|r| {
            let p = canon(&r.path);
            p == root || root.starts_with(&p) || p.parent() == Some(root.as_path())
        })?;
    let mapping = vital_input::mapping_for(rs, rules).unwrap_or_default();
    let value = rs.value.as_ref().and_then(|v| {
        rules
            .signals
            .iter()
            .position(|s| s.name == v.value && s.ty == Type::Money)
            .map(SignalId::new)
    });
    Some((rs.sample.clone()?, mapping, value))
}

/// At most this many accounts of the history store are the sample when no
/// `sample` is configured.
pub const STORE_ACCOUNTS: usize = 2000;

/// Without a `sample`: the history store of `vital.toml` (`[history]
/// store`), its location and the project's directory, and the rule set's
/// `value` signal.
pub fn store_configured(
    root: &Path,
    rules: &RuleSet,
) -> Option<(String, PathBuf, Option<SignalId>)> {
    let project = vital_project::discover(root).ok()??;
    let store = project.store().ok()??;
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let root = canon(root);
    let value = project
        .rulesets
        .iter()
        .find(|r| {
            let p = canon(&r.path);
            p == root || root.starts_with(&p) || p.parent() == Some(root.as_path())
        })
        .and_then(|rs| rs.value.as_ref())
        .and_then(|v| {
            rules
                .signals
                .iter()
                .position(|s| s.name == v.value && s.ty == Type::Money)
                .map(SignalId::new)
        });
    Some((store, project.root.clone(), value))
}

/// How far before its latest snapshot an account's stored snapshots are
/// read: as far as `previous`/`change` reach from it, and from what they
/// reach (for its scores), a day more.
fn reach_back(rules: &RuleSet) -> impl Fn(chrono::NaiveDate) -> chrono::NaiveDate {
    let mut durations = Vec::new();
    rules.each_lookback(&mut |_, d, _| durations.push(*d));
    move |latest| {
        let mut from = latest;
        for d in &durations {
            for e in &durations {
                let back = d.before(latest).and_then(|x| e.before(x));
                if let Some(b) = back {
                    from = from.min(b);
                }
            }
            if let Some(b) = d.before(latest) {
                from = from.min(b);
            }
        }
        from.pred_opt().unwrap_or(from)
    }
}

/// The store's latest snapshots as the sample (at most [`STORE_ACCOUNTS`]
/// accounts with a snapshot on its latest date, each with the stored
/// snapshots its history reaches), read as `vital run` reads stored ones.
pub fn read_store(rules: &RuleSet, location: &str, base: &Path) -> Result<Data, String> {
    let mut store =
        vital_store::Store::open_existing(location, base, std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
    let latest = store
        .latest_snapshots(STORE_ACCOUNTS, reach_back(rules))
        .map_err(|e| e.to_string())?;
    let schema = vital_eval::Schema::new(rules);
    let mut groups = Vec::with_capacity(latest.len());
    let mut rejected = 0;
    for (account, stored) in latest {
        let mut group = Vec::with_capacity(stored.len());
        for s in stored {
            match vital_store::codec::decode(&schema, &account, &s) {
                Some(snap) => group.push(snap),
                None => rejected += 1,
            }
        }
        if !group.is_empty() {
            groups.push(group);
        }
    }
    Ok(Data {
        key: store_key(rules, location, base),
        name: vital_store::shown_location(location),
        groups,
        rejected,
    })
}

/// The key of a store's sample: the declarations, the store, and (for a
/// SQLite file) its size and modification time and its WAL's, so a run
/// that records into it makes the sample read again.
fn store_key(rules: &RuleSet, location: &str, base: &Path) -> String {
    let mut k = key(rules, &Mapping::default(), Path::new(location));
    if !vital_store::is_postgres(location) {
        let file = base.join(location);
        let wal = PathBuf::from(format!("{}-wal", file.display()));
        for f in [file, wal] {
            let stamp = std::fs::metadata(&f)
                .ok()
                .map(|m| (m.len(), m.modified().ok()));
            k.push_str(&format!("|{stamp:?}"));
        }
    }
    k
}

/// One `band` of the rule set: where its arms are and how many accounts
/// took each.
#[derive(Debug, Clone)]
pub struct Band {
    pub file: FileId,
    /// Each `OP VALUE => RESULT` arm: the span from VALUE to RESULT, and the
    /// accounts that took it.
    pub arms: Vec<(Span, usize)>,
    /// The `otherwise` result's span and the accounts that took it.
    pub otherwise: (Span, usize),
    /// Accounts whose input was missing (no arm).
    pub missing: usize,
}

/// What the sample comes to under the rule set.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub accounts: usize,
    /// Per adjustment: the accounts it applied to.
    pub adjustments: Vec<usize>,
    /// Per trigger: the accounts it fired for, and those of them for which
    /// its playbook was started.
    pub triggers: Vec<(usize, usize)>,
    /// Per score: the accounts' values (sorted), and how many were n/a.
    pub scores: Vec<(Vec<Decimal>, usize)>,
    /// Per status arm: the accounts in it.
    pub status: Vec<usize>,
    /// Per status arm: the sum of the accounts' `value` (vital.toml), when
    /// the rule set has one.
    pub status_value: Option<Vec<Decimal>>,
    pub bands: Vec<Band>,
}

/// Each band of the rule set (outside event `where` filters, whose arms
/// read an occurrence's fields), with the file it is written in.
fn bands(rules: &RuleSet) -> Vec<(FileId, &Expr)> {
    fn walk<'e>(file: FileId, e: &'e Expr, out: &mut Vec<(FileId, &'e Expr)>) {
        match &e.kind {
            ExprKind::Exists(_)
            | ExprKind::Count(_)
            | ExprKind::Aggregate(..)
            | ExprKind::Last(_)
            | ExprKind::First(_) => return,
            ExprKind::Band { .. } => out.push((file, e)),
            _ => {}
        }
        for c in e.children() {
            walk(file, c, out);
        }
    }
    let mut out = Vec::new();
    for s in &rules.scores {
        if let Some(b) = &s.base {
            walk(s.loc.file, b, &mut out);
        }
    }
    for a in &rules.adjustments {
        if let Some(c) = &a.cond {
            walk(a.loc.file, c, &mut out);
        }
        walk(a.loc.file, &a.amount, &mut out);
    }
    for t in &rules.triggers {
        walk(t.loc.file, &t.cond, &mut out);
    }
    for arm in &rules.status {
        if let Some(c) = &arm.cond {
            walk(arm.loc.file, c, &mut out);
        }
    }
    out
}

/// Evaluate the rule set on every account of the sample; `value` is the
/// money signal whose sum is shown per status arm. `None` when `cancelled`
/// says so (checked between accounts).
pub fn coverage(
    rules: &RuleSet,
    groups: &[Vec<Snapshot>],
    value: Option<SignalId>,
    cancelled: &dyn Fn() -> bool,
) -> Option<Coverage> {
    let engine = Engine::new(rules).without_traces();
    let sites = bands(rules);
    let trigger_playbook: Vec<Option<u32>> = rules
        .triggers
        .iter()
        .map(|t| {
            engine
                .playbooks
                .iter()
                .position(|p| *p == t.playbook)
                .map(|p| p as u32)
        })
        .collect();
    let mut cov = Coverage {
        accounts: 0,
        adjustments: vec![0; rules.adjustments.len()],
        triggers: vec![(0, 0); rules.triggers.len()],
        scores: vec![(Vec::new(), 0); rules.scores.len()],
        status: vec![0; rules.status.len()],
        status_value: value.map(|_| vec![Decimal::ZERO; rules.status.len()]),
        bands: sites
            .iter()
            .map(|(file, e)| match &e.kind {
                ExprKind::Band {
                    arms, otherwise, ..
                } => Band {
                    file: *file,
                    arms: arms
                        .iter()
                        .map(|a| (Span::new(a.value.span.start, a.result.span.end), 0))
                        .collect(),
                    otherwise: (otherwise.span, 0),
                    missing: 0,
                },
                _ => Band {
                    file: *file,
                    arms: Vec::new(),
                    otherwise: (e.span, 0),
                    missing: 0,
                },
            })
            .collect(),
    };
    for (n, group) in groups.iter().enumerate() {
        if n % 64 == 0 && cancelled() {
            return None;
        }
        let Some(idx) = Data::latest(group) else {
            continue;
        };
        let mut outcomes = engine.evaluate_group(group, true);
        // starts as `vital run` over the sample computes them
        vital_eval::started::cooldowns(&engine, group, &mut outcomes);
        let o = &outcomes[idx];
        cov.accounts += 1;
        if let Some(ex) = &o.explain {
            for se in &ex.scores {
                for (a, _) in &se.applied {
                    if let Some(c) = cov.adjustments.get_mut(*a) {
                        *c += 1;
                    }
                }
            }
            for &t in &ex.triggers {
                let started = trigger_playbook
                    .get(t)
                    .copied()
                    .flatten()
                    .is_some_and(|p| o.started.contains(&p));
                if let Some(c) = cov.triggers.get_mut(t) {
                    c.0 += 1;
                    c.1 += usize::from(started);
                }
            }
        }
        for (s, v) in o.scored.scores.iter().enumerate() {
            if let Some(slot) = cov.scores.get_mut(s) {
                match v {
                    Some(d) => slot.0.push(*d),
                    None => slot.1 += 1,
                }
            }
        }
        if let Some(arm) = o.status {
            if let Some(c) = cov.status.get_mut(arm.index()) {
                *c += 1;
            }
            let amount = value
                .and_then(|v| group[idx].signals.get(v.index()))
                .and_then(Value::as_num);
            if let (Some(sums), Some(amount)) = (cov.status_value.as_mut(), amount) {
                if let Some(sum) = sums.get_mut(arm.index()) {
                    *sum = sum.checked_add(amount).unwrap_or(*sum);
                }
            }
        }
        // which arm each band takes: its input and bounds evaluated by the
        // engine, compared as the band compares them
        for ((_, e), counts) in sites.iter().zip(cov.bands.iter_mut()) {
            let ExprKind::Band { input, arms, .. } = &e.kind else {
                continue;
            };
            let v = engine.eval_after(group, &outcomes, idx, input);
            if v.is_missing() {
                counts.missing += 1;
                continue;
            }
            let taken = arms.iter().position(|arm| {
                let bound = engine.eval_after(group, &outcomes, idx, &arm.value);
                value::compare(arm.op, &v, &bound) == Value::Bool(true)
            });
            match taken {
                Some(i) => counts.arms[i].1 += 1,
                None => counts.otherwise.1 += 1,
            }
        }
    }
    for (values, _) in &mut cov.scores {
        values.sort();
    }
    Some(cov)
}

/// `k` of `n` as a percentage with one decimal, `.0` left out: `15.6`, `3`.
pub fn percent(k: usize, n: usize) -> String {
    if n == 0 {
        return "0".into();
    }
    let tenths = (k as u128 * 1000 + n as u128 / 2) / n as u128;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// The value at quantile `num/den` of sorted values (nearest rank).
fn rank<T: Clone>(sorted: &[T], num: usize, den: usize) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let r = (num * sorted.len()).div_ceil(den).max(1);
    sorted.get(r - 1).cloned()
}

fn rule_name(name: Option<&String>) -> String {
    name.map_or_else(|| "this rule".to_string(), |n| format!("rule \"{n}\""))
}

/// The warnings the sample gives: a rule that fires for no account
/// (`vital::never-fires`), a band arm that no account takes
/// (`vital::arm-never-taken`). None for an empty sample.
pub fn warnings(rules: &RuleSet, cov: &Coverage, sample: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if cov.accounts == 0 {
        return out;
    }
    let n = vital_input::thousands(cov.accounts);
    let accounts = if cov.accounts == 1 {
        "account"
    } else {
        "accounts"
    };
    let help = format!(
        "the sample is {sample} ({n} {accounts}, each at its latest snapshot); a rule or an arm that no real account reaches often has a wrong threshold or unit"
    );
    for (a, &k) in rules.adjustments.iter().zip(&cov.adjustments) {
        if k == 0 {
            out.push(
                Diagnostic::new(
                    Code::NeverFires,
                    a.loc.file,
                    a.loc.span,
                    format!(
                        "{} applies to no account of the sample ({n} {accounts})",
                        rule_name(a.name.as_ref())
                    ),
                )
                .with_help(help.clone()),
            );
        }
    }
    for (t, &(k, _)) in rules.triggers.iter().zip(&cov.triggers) {
        if k == 0 {
            out.push(
                Diagnostic::new(
                    Code::NeverFires,
                    t.loc.file,
                    t.loc.span,
                    format!(
                        "{} fires for no account of the sample ({n} {accounts})",
                        rule_name(t.name.as_ref())
                    ),
                )
                .with_help(help.clone()),
            );
        }
    }
    for b in &cov.bands {
        for (span, k) in &b.arms {
            if *k == 0 {
                out.push(
                    Diagnostic::new(
                        Code::ArmNeverTaken,
                        b.file,
                        *span,
                        format!("no account of the sample ({n} {accounts}) takes this band arm"),
                    )
                    .with_help(help.clone()),
                );
            }
        }
    }
    out
}

fn lens(a: &Analysis, f: FileId, span: Span, title: String, enc: Encoding) -> CodeLens {
    CodeLens {
        range: a.range(f, span, enc),
        // a label: nothing to run
        command: Some(Command {
            title,
            command: String::new(),
            arguments: None,
        }),
        data: None,
    }
}

/// A sum of money in whole units with thousands separators: `1,234,500`.
pub fn money(d: Decimal) -> String {
    let whole = d.round();
    let digits = whole.abs().trunc().to_string();
    let digits = digits.split('.').next().unwrap_or("0");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole.is_sign_negative() && !whole.is_zero() {
        out.insert(0, '-');
    }
    out
}

/// The title over a rule: `fires for 312 of 2,000 accounts (15.6 %)`.
pub fn fires(k: usize, n: usize) -> String {
    format!(
        "fires for {} of {} accounts ({} %)",
        vital_input::thousands(k),
        vital_input::thousands(n),
        percent(k, n)
    )
}

/// The title over a score: `mean 62.4 · median 65 · n/a 3 %`.
pub fn score_title(values: &[Decimal], na: usize) -> String {
    let n = values.len() + na;
    if values.is_empty() {
        return format!("n/a for all {} accounts", vital_input::thousands(n));
    }
    let sum: Decimal = values.iter().copied().sum();
    let mean = value::round1(sum / Decimal::from(values.len() as u64));
    let median = rank(values, 1, 2).unwrap_or_default();
    format!(
        "mean {} · median {} · n/a {} %",
        mean.normalize(),
        median.normalize(),
        percent(na, n)
    )
}

/// The sample's lenses of file `f`: over each rule, score and status arm.
pub fn lenses(
    a: &Analysis,
    f: FileId,
    cov: &Coverage,
    rules: &RuleSet,
    enc: Encoding,
) -> Vec<CodeLens> {
    let n = cov.accounts;
    let mut out = Vec::new();
    for (s, (values, na)) in rules.scores.iter().zip(&cov.scores) {
        if s.loc.file == f {
            out.push(lens(a, f, s.loc.span, score_title(values, *na), enc));
        }
    }
    for (i, (arm, &k)) in rules.status.iter().zip(&cov.status).enumerate() {
        if arm.loc.file == f {
            let mut title = format!(
                "{} of {} accounts ({} %)",
                vital_input::thousands(k),
                vital_input::thousands(n),
                percent(k, n)
            );
            if let Some(sum) = cov.status_value.as_ref().and_then(|v| v.get(i)) {
                title.push_str(&format!(" · value {}", money(*sum)));
            }
            out.push(lens(a, f, arm.loc.span, title, enc));
        }
    }
    for (adj, &k) in rules.adjustments.iter().zip(&cov.adjustments) {
        if adj.loc.file == f {
            out.push(lens(a, f, adj.loc.span, fires(k, n), enc));
        }
    }
    for (t, &(k, started)) in rules.triggers.iter().zip(&cov.triggers) {
        if t.loc.file == f {
            let title = format!(
                "{} · starts \"{}\" for {}",
                fires(k, n),
                t.playbook,
                vital_input::thousands(started)
            );
            out.push(lens(a, f, t.loc.span, title, enc));
        }
    }
    out.sort_by_key(|l| (l.range.start.line, l.range.start.character));
    out
}

/// A signal's distribution in the sample (each account's latest snapshot).
pub fn distribution(rules: &RuleSet, data: &Data, signal: SignalId) -> Option<String> {
    let sig = rules.signals.get(signal.index())?;
    let values: Vec<&Value> = data
        .groups
        .iter()
        .filter_map(|g| Some(&g[Data::latest(g)?]))
        .filter_map(|s| s.signals.get(signal.index()))
        .collect();
    let n = values.len();
    let missing = values.iter().filter(|v| v.is_missing()).count();
    let show = |v: &Value| rules.show_value(v, sig.ty);
    let body = match sig.ty {
        Type::Int | Type::Number | Type::Percent | Type::Money => {
            let mut nums: Vec<Decimal> = values.iter().filter_map(|v| v.as_num()).collect();
            nums.sort();
            let q = |num, den| rank(&nums, num, den).map_or("-".into(), |d| show(&Value::Num(d)));
            format!(
                "min {} · q1 {} · median {} · q3 {} · max {}",
                q(0, 4),
                q(1, 4),
                q(2, 4),
                q(3, 4),
                q(4, 4)
            )
        }
        Type::Enum(e) => {
            let variants = rules
                .enums
                .get(e.index())
                .map(|d| d.variants.clone())
                .unwrap_or_default();
            variants
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let k = values
                        .iter()
                        .filter(|v| matches!(v, Value::Enum(x) if *x as usize == i))
                        .count();
                    format!("{name} {}", vital_input::thousands(k))
                })
                .collect::<Vec<_>>()
                .join(" · ")
        }
        Type::Bool => {
            let t = values.iter().filter(|v| ***v == Value::Bool(true)).count();
            let f = values.iter().filter(|v| ***v == Value::Bool(false)).count();
            format!(
                "true {} · false {}",
                vital_input::thousands(t),
                vital_input::thousands(f)
            )
        }
        Type::Date => {
            let mut dates: Vec<_> = values
                .iter()
                .filter_map(|v| match v {
                    Value::Date(d) => Some(*d),
                    _ => None,
                })
                .collect();
            dates.sort();
            match (dates.first(), dates.last()) {
                (Some(a), Some(b)) => format!("earliest {a} · latest {b}"),
                _ => "no dates".into(),
            }
        }
        _ => {
            let mut texts: Vec<String> = values
                .iter()
                .filter(|v| !v.is_missing())
                .map(|v| show(v))
                .collect();
            texts.sort();
            texts.dedup();
            format!("{} distinct values", vital_input::thousands(texts.len()))
        }
    };
    Some(format!(
        "**In the sample** ({} accounts, latest snapshot each): {body} · missing {} %",
        vital_input::thousands(n),
        percent(missing, n)
    ))
}

/// What the sample says about the place `off` of file `f`: a signal's
/// distribution, or how many accounts take a band arm. With the span it
/// is about.
pub fn hover(
    a: &Analysis,
    f: FileId,
    off: usize,
    data: &Data,
    cov: &Coverage,
) -> Option<(String, Span)> {
    let rules = &a.checked.rules;
    if let Some(occ) = a.checked.index.at(f, off) {
        if let vital_check::Symbol::Signal(s) = occ.symbol {
            return Some((distribution(rules, data, s)?, occ.span));
        }
    }
    // a band arm: from the start of its line to the end of its result
    let text = a.text(f);
    let line_start = |at: usize| {
        text.get(..at)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1)
    };
    let n = cov.accounts;
    for b in cov.bands.iter().filter(|b| b.file == f) {
        let arms = b
            .arms
            .iter()
            .map(|(s, k)| (*s, *k, false))
            .chain(std::iter::once((b.otherwise.0, b.otherwise.1, true)));
        for (span, k, otherwise) in arms {
            let from = line_start(span.start);
            if from <= off && off <= span.end {
                let which = if otherwise {
                    "the `otherwise` arm"
                } else {
                    "this arm"
                };
                let mut md = format!(
                    "**In the sample**: {} of {} accounts ({} %) take {which}",
                    vital_input::thousands(k),
                    vital_input::thousands(n),
                    percent(k, n)
                );
                if b.missing > 0 {
                    md.push_str(&format!(
                        "; for {} the band's input is missing (no arm)",
                        vital_input::thousands(b.missing)
                    ));
                }
                return Some((md, Span::new(from, span.end)));
            }
        }
    }
    None
}

/// `vital explain` of one account of the sample (its latest snapshot), as
/// the CLI renders it.
pub fn explain(a: &Analysis, data: &Data, account: &str) -> Result<String, String> {
    let Some(rules) = a.checked.valid() else {
        return Err("the rule set has errors; nothing can be explained".into());
    };
    let group = data
        .groups
        .iter()
        .find(|g| g.first().is_some_and(|s| &*s.account == account))
        .ok_or_else(|| format!("no account `{account}` in the sample {}", data.name))?;
    let idx = Data::latest(group).ok_or_else(|| format!("no snapshot of `{account}`"))?;
    let engine = Engine::new(rules);
    let mut outcomes = engine.evaluate_group(group, true);
    vital_eval::started::cooldowns(&engine, group, &mut outcomes);
    Ok(vital_eval::explain::explain_text(
        &engine,
        &a.sources,
        group,
        idx,
        &outcomes[idx],
    ))
}

/// One evaluation of a rule set on its sample.
#[derive(Debug)]
pub struct Evaluation {
    /// The analysis it was made for ([`Analysis::generation`]).
    pub generation: u64,
    pub data: Arc<Data>,
    pub coverage: Coverage,
    pub warnings: Vec<Diagnostic>,
}

/// What a background run comes to.
#[derive(Debug)]
pub enum Done {
    Evaluated(Arc<Evaluation>),
    /// The rule set has errors, or no sample is configured.
    Nothing,
    /// A newer edit came.
    Cancelled,
    /// The sample could not be read.
    Failed(String),
}

/// Evaluate `a` on its sample; `cached` is the data read last time (reused
/// when its key still matches).
pub fn run(a: &Analysis, cached: Option<Arc<Data>>, cancelled: &dyn Fn() -> bool) -> Done {
    let Some(rules) = a.checked.valid() else {
        return Done::Nothing;
    };
    let (data, value, shown) = match configured(&a.root, rules) {
        Some((path, mapping, value)) => {
            let data = match cached.filter(|d| d.key == key(rules, &mapping, &path)) {
                Some(d) => d,
                None => match read(rules, &mapping, &path) {
                    Ok(d) => Arc::new(d),
                    Err(e) => return Done::Failed(format!("the sample {}: {e}", path.display())),
                },
            };
            let shown = path
                .file_name()
                .map_or_else(|| data.name.clone(), |n| n.to_string_lossy().into_owned());
            (data, value, shown)
        }
        // no sample: the history store's latest snapshots
        None => {
            let Some((location, base, value)) = store_configured(&a.root, rules) else {
                return Done::Nothing;
            };
            let data = match cached.filter(|d| d.key == store_key(rules, &location, &base)) {
                Some(d) => d,
                None => match read_store(rules, &location, &base) {
                    Ok(d) => Arc::new(d),
                    Err(e) => return Done::Failed(format!("the sample from {e}")),
                },
            };
            let shown = format!("the history store's latest snapshots ({})", data.name);
            (data, value, shown)
        }
    };
    if cancelled() {
        return Done::Cancelled;
    }
    let Some(coverage) = coverage(rules, &data.groups, value, cancelled) else {
        return Done::Cancelled;
    };
    let warnings = warnings(rules, &coverage, &shown);
    Done::Evaluated(Arc::new(Evaluation {
        generation: a.generation,
        data,
        coverage,
        warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "signal x: int\nevent e { n: int }\n\
score s weight 1 = band x {\n  < 10 => 10\n  < 0 => 0\n  otherwise => 90\n}\n\
score t weight 1 = count(e where band n {\n  < 1 => 0\n  otherwise => 1\n} == 1)\n\
when x > 5 add 1 to s\n\
rule \"never\" when x > 1000 trigger \"p\"\n\
status {\n  ok when health >= 50\n  bad otherwise\n}\n";

    fn checked() -> vital_check::Checked {
        let mut sources = vital_syntax::SourceMap::default();
        sources.add(vital_syntax::SourceFile::new("r.vital", RULES));
        vital_check::check(&sources)
    }

    fn sample(rules: &RuleSet) -> Data {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let lines: String = (0..20)
            .map(|i| {
                format!(
                    "{{\"account\":\"a{i}\",\"as_of\":\"2026-11-01\",\"signals\":{{\"x\":{i}}}}}\n"
                )
            })
            .collect();
        std::fs::write(&path, lines).unwrap();
        read(rules, &Mapping::default(), &path).unwrap()
    }

    #[test]
    fn counts_warnings_and_cancelling() {
        let checked = checked();
        let rules = checked
            .valid()
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
        let data = sample(rules);
        assert_eq!(data.groups.len(), 20);
        let cov = coverage(rules, &data.groups, None, &|| false).unwrap();
        assert_eq!(cov.accounts, 20);
        assert_eq!(cov.adjustments, vec![14]);
        assert_eq!(cov.triggers, vec![(0, 0)]);
        // the band of `s` only: the one inside `where` reads each occurrence
        assert_eq!(cov.bands.len(), 1);
        let arms: Vec<usize> = cov.bands[0].arms.iter().map(|a| a.1).collect();
        assert_eq!(arms, vec![10, 0]);
        assert_eq!(cov.bands[0].otherwise.1, 10);
        let w = warnings(rules, &cov, "s.jsonl");
        let got: Vec<(Code, String)> = w.iter().map(|d| (d.code, d.message.clone())).collect();
        assert_eq!(
            got,
            vec![
                (
                    Code::NeverFires,
                    "rule \"never\" fires for no account of the sample (20 accounts)".to_string()
                ),
                (
                    Code::ArmNeverTaken,
                    "no account of the sample (20 accounts) takes this band arm".to_string()
                ),
            ]
        );
        // an empty sample warns about nothing
        let empty = coverage(rules, &[], None, &|| false).unwrap();
        assert!(warnings(rules, &empty, "s.jsonl").is_empty());
        // cancelled: no result
        assert!(coverage(rules, &data.groups, None, &|| true).is_none());
    }

    #[test]
    fn percentages_and_ranks() {
        assert_eq!(percent(312, 2000), "15.6");
        assert_eq!(percent(60, 2000), "3");
        assert_eq!(percent(0, 0), "0");
        assert_eq!(percent(1, 3), "33.3");
        assert_eq!(rank(&[1, 2, 3, 4], 1, 2), Some(2));
        assert_eq!(rank(&[1, 2, 3, 4, 5], 1, 2), Some(3));
        assert_eq!(rank(&[1, 2, 3, 4], 0, 4), Some(1));
        assert_eq!(rank(&[1, 2, 3, 4], 4, 4), Some(4));
        assert_eq!(money(Decimal::new(123450049, 2)), "1,234,500");
        assert_eq!(money(Decimal::from(999)), "999");
        assert_eq!(money(Decimal::ZERO), "0");
    }
}
