//! From labelled rows to the report: what `vital calibrate` measures.

use crate::stats::{self, Lift};
use chrono::NaiveDate;
use serde::Serialize;

/// Fewer churned rows than this: the numbers are shown, with a warning.
pub const MIN_CHURNED: usize = 20;
/// A rule that fired for fewer rows (or did not fire for fewer rows) than
/// this, or for fewer accounts than [`MIN_ACCOUNTS`], gets no verdict.
pub const MIN_FIRED: usize = 30;
pub const MIN_ACCOUNTS: usize = 10;
/// Bootstrap replicates of the health AUC interval.
pub const REPLICATES: usize = 1000;

/// What the analysis needs to know about the rule set.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub scores: Vec<ScoreInfo>,
    pub statuses: Vec<String>,
    /// Indices into `statuses`.
    pub at_risk: Vec<usize>,
    pub rules: Vec<RuleInfo>,
    /// Decimal places of the suggested weights (0 when the current weights
    /// are whole numbers).
    pub weight_decimals: u32,
}

#[derive(Debug, Clone)]
pub struct ScoreInfo {
    pub name: String,
    pub weight: f64,
    /// A score whose base is a `band` with literal results: its arms.
    pub band: Option<Vec<Arm>>,
}

#[derive(Debug, Clone)]
pub struct Arm {
    /// `>= 90%`, or `otherwise`.
    pub condition: String,
    pub result: f64,
}

#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub name: String,
    pub score: String,
    /// `add`, `subtract`, or `trigger` (then `score` is the playbook).
    pub direction: &'static str,
    /// `rules.vital:12:1`.
    pub at: String,
}

/// One labelled snapshot.
#[derive(Debug, Clone)]
pub struct Row {
    /// An account number (for the bootstrap's clusters).
    pub account: usize,
    pub as_of: NaiveDate,
    /// `as_of` plus the horizon.
    pub end: NaiveDate,
    pub churned: bool,
    pub health: Option<f64>,
    pub status: Option<usize>,
    pub scores: Vec<Option<f64>>,
    /// Each score's base (a band's arm result).
    pub base: Vec<Option<f64>>,
    /// Per adjustment rule: it applied a non-zero amount; then per trigger
    /// rule: it fired.
    pub fired: Vec<bool>,
}

/// How the snapshots were counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub snapshots: usize,
    pub labelled: usize,
    /// The horizon is not over by `through`: left out.
    pub horizon_not_over: usize,
    /// The account had churned on or before the snapshot: left out.
    pub after_churn: usize,
    pub accounts: usize,
    pub churned_rows: usize,
    pub churned_accounts: usize,
    /// Accounts of the outcomes file without any snapshot.
    pub outcome_accounts_without_snapshots: usize,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub horizon: String,
    pub through: NaiveDate,
    pub contracted: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub horizon: String,
    pub through: String,
    /// `churned`, or `churned or contracted`.
    pub counts_as_churn: String,
    pub counts: Counts,
    pub health: Health,
    pub scores: Vec<ScoreReport>,
    pub rules: Vec<RuleReport>,
    pub weights: Weights,
    pub bands: Vec<BandSuggestion>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub label: String,
    pub rows: usize,
    pub churned: usize,
    pub rate: Option<f64>,
}

impl Rate {
    fn new(label: String, rows: usize, churned: usize) -> Rate {
        Rate {
            label,
            rows,
            churned,
            rate: (rows > 0).then(|| churned as f64 / rows as f64),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// Lower health = higher risk.
    pub auc: Option<f64>,
    pub auc_interval: Option<[f64; 2]>,
    pub replicates: usize,
    pub seed: u64,
    pub by_status: Vec<Rate>,
    /// Decile 1 holds the lowest health.
    pub by_decile: Vec<Rate>,
    pub at_risk: AtRisk,
}

#[derive(Debug, Clone, Serialize)]
pub struct AtRisk {
    pub statuses: Vec<String>,
    pub flagged: usize,
    pub churned_flagged: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreReport {
    pub name: String,
    pub weight: f64,
    /// Rows where the score is not N/A.
    pub rows: usize,
    pub auc: Option<f64>,
    pub by_range: Vec<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub name: String,
    pub score: String,
    pub direction: String,
    pub at: String,
    pub fired_rows: usize,
    pub fired_accounts: usize,
    pub churned_fired: usize,
    pub rate_fired: Option<f64>,
    pub not_fired_rows: usize,
    pub churned_not_fired: usize,
    pub rate_not_fired: Option<f64>,
    pub lift: Option<Lift>,
    /// `as expected`, `wrong way`, `no clear effect`, or `thin evidence`;
    /// for a trigger rule `more churn`, `less churn`, `no clear effect` or
    /// `thin evidence`.
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Weights {
    pub fit_from: Option<String>,
    pub fit_to: Option<String>,
    pub test_from: Option<String>,
    pub test_to: Option<String>,
    pub fit_rows: usize,
    pub fit_churned: usize,
    pub test_rows: usize,
    pub test_churned: usize,
    /// Score name and weight: the current ones.
    pub current: Vec<(String, f64)>,
    /// The suggestion, when there is one.
    pub suggested: Option<Vec<(String, f64)>>,
    /// The fitted coefficient per score (per 100 points of risk).
    pub coefficients: Option<Vec<(String, f64)>>,
    /// AUC of health on the test rows with the current weights.
    pub auc_before: Option<f64>,
    /// … and with the suggested weights.
    pub auc_after: Option<f64>,
    /// 95 % bootstrap interval of `auc_after − auc_before` (paired, over
    /// the test accounts).
    pub auc_change_interval: Option<[f64; 2]>,
    /// Why there is no suggestion.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BandSuggestion {
    pub score: String,
    pub arms: [String; 2],
    pub rates: [Rate; 2],
    pub suggestion: String,
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The share of churned rows among `rows`.
fn churned_of<'a>(rows: impl Iterator<Item = &'a Row>) -> (usize, usize) {
    rows.fold((0, 0), |(n, c), r| (n + 1, c + usize::from(r.churned)))
}

pub fn analyze(rules: &Rules, rows: &[Row], counts: Counts, opts: &Options) -> Report {
    let mut warnings = Vec::new();
    let without = counts.outcome_accounts_without_snapshots;
    if without > 0 {
        warnings.push(format!(
            "{without} account{} of the outcomes file {} no snapshot in the input, so {} outcomes are not used (account ids are compared exactly, case included)",
            if without == 1 { "" } else { "s" },
            if without == 1 { "has" } else { "have" },
            if without == 1 { "its" } else { "their" },
        ));
    }
    if counts.churned_rows < MIN_CHURNED || counts.churned_accounts < MIN_ACCOUNTS {
        warnings.push(format!(
            "thin evidence: {} churned snapshot{} ({} account{}); below {MIN_CHURNED} snapshots or {MIN_ACCOUNTS} accounts the AUC and rates below are not reliable",
            counts.churned_rows,
            if counts.churned_rows == 1 { "" } else { "s" },
            counts.churned_accounts,
            if counts.churned_accounts == 1 { "" } else { "s" },
        ));
    }
    let health = health(rules, rows, opts);
    let scores = rules
        .scores
        .iter()
        .enumerate()
        .map(|(j, s)| score_report(j, s, rows))
        .collect();
    let rule_reports = rules
        .rules
        .iter()
        .enumerate()
        .map(|(k, r)| rule_report(k, r, rows, opts.seed, &mut warnings))
        .collect();
    let weights = weights(rules, rows, opts.seed, &mut warnings);
    let bands = bands(rules, rows);
    Report {
        horizon: opts.horizon.clone(),
        through: date(opts.through),
        counts_as_churn: if opts.contracted {
            "churned or contracted".into()
        } else {
            "churned".into()
        },
        counts,
        health,
        scores,
        rules: rule_reports,
        weights,
        bands,
        warnings,
    }
}

fn health(rules: &Rules, rows: &[Row], opts: &Options) -> Health {
    let with: Vec<&Row> = rows.iter().filter(|r| r.health.is_some()).collect();
    let risk: Vec<f64> = with.iter().map(|r| -r.health.unwrap_or(0.0)).collect();
    let labels: Vec<bool> = with.iter().map(|r| r.churned).collect();
    let cluster: Vec<usize> = with.iter().map(|r| r.account).collect();
    let auc = stats::auc(&risk, &labels);
    let interval = auc
        .and_then(|_| stats::bootstrap_auc(&risk, &labels, &cluster, REPLICATES, opts.seed))
        .map(|(a, b)| [a, b]);
    let mut by_status: Vec<Rate> = rules
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (n, c) = churned_of(rows.iter().filter(|r| r.status == Some(i)));
            Rate::new(s.clone(), n, c)
        })
        .collect();
    let (n, c) = churned_of(rows.iter().filter(|r| r.status.is_none()));
    if n > 0 {
        by_status.push(Rate::new("(no status)".into(), n, c));
    }
    let mut sorted: Vec<&Row> = with.clone();
    sorted.sort_by(|a, b| a.health.unwrap_or(0.0).total_cmp(&b.health.unwrap_or(0.0)));
    let n = sorted.len();
    let mut by_decile = Vec::new();
    for d in 0..10 {
        let part = &sorted[d * n / 10..(d + 1) * n / 10];
        if part.is_empty() {
            continue;
        }
        let lo = part.first().and_then(|r| r.health).unwrap_or(0.0);
        let hi = part.last().and_then(|r| r.health).unwrap_or(0.0);
        let (rn, rc) = churned_of(part.iter().copied());
        by_decile.push(Rate::new(format!("{} ({lo:.1}–{hi:.1})", d + 1), rn, rc));
    }
    let flagged = |r: &Row| r.status.is_some_and(|s| rules.at_risk.contains(&s));
    let (f, fc) = churned_of(rows.iter().filter(|r| flagged(r)));
    let total_churned = rows.iter().filter(|r| r.churned).count();
    Health {
        auc,
        auc_interval: interval,
        replicates: REPLICATES,
        seed: opts.seed,
        by_status,
        by_decile,
        at_risk: AtRisk {
            statuses: rules
                .at_risk
                .iter()
                .filter_map(|&i| rules.statuses.get(i).cloned())
                .collect(),
            flagged: f,
            churned_flagged: fc,
            precision: (f > 0).then(|| fc as f64 / f as f64),
            recall: (total_churned > 0).then(|| fc as f64 / total_churned as f64),
        },
    }
}

fn score_report(j: usize, s: &ScoreInfo, rows: &[Row]) -> ScoreReport {
    let with: Vec<(f64, bool)> = rows
        .iter()
        .filter_map(|r| r.scores.get(j).copied().flatten().map(|v| (v, r.churned)))
        .collect();
    let risk: Vec<f64> = with.iter().map(|(v, _)| -v).collect();
    let labels: Vec<bool> = with.iter().map(|(_, c)| *c).collect();
    let by_range = (0..5)
        .map(|b| {
            let lo = b as f64 * 20.0;
            let hi = lo + 20.0;
            let inside = |v: f64| v >= lo && (v < hi || (b == 4 && v <= hi));
            let n = with.iter().filter(|(v, _)| inside(*v)).count();
            let c = with.iter().filter(|(v, c)| inside(*v) && *c).count();
            let label = if b == 4 {
                format!("{lo:.0}–{hi:.0}")
            } else {
                format!("{lo:.0}–<{hi:.0}")
            };
            Rate::new(label, n, c)
        })
        .collect();
    ScoreReport {
        name: s.name.clone(),
        weight: s.weight,
        rows: with.len(),
        auc: stats::auc(&risk, &labels),
        by_range,
    }
}

fn rule_report(
    k: usize,
    r: &RuleInfo,
    rows: &[Row],
    seed: u64,
    warnings: &mut Vec<String>,
) -> RuleReport {
    let fired = |row: &Row| row.fired.get(k).copied().unwrap_or(false);
    let (nf, cf) = churned_of(rows.iter().filter(|row| fired(row)));
    let (nn, cn) = churned_of(rows.iter().filter(|row| !fired(row)));
    let mut accounts: Vec<usize> = rows
        .iter()
        .filter(|row| fired(row))
        .map(|row| row.account)
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    // the point estimate of `lift`, the interval of the account bootstrap
    let lift = stats::lift(cf, nf, cn, nn).map(|l| {
        let fired_v: Vec<bool> = rows.iter().map(fired).collect();
        let churned_v: Vec<bool> = rows.iter().map(|r| r.churned).collect();
        let cluster: Vec<usize> = rows.iter().map(|r| r.account).collect();
        match stats::bootstrap_lift(&fired_v, &churned_v, &cluster, REPLICATES, seed) {
            Some((low, high)) => Lift {
                lift: l.lift,
                low,
                high,
            },
            None => l,
        }
    });
    let thin = nf < MIN_FIRED || nn < MIN_FIRED || accounts.len() < MIN_ACCOUNTS;
    let verdict = match lift {
        _ if thin => {
            warnings.push(format!(
                "thin evidence: rule {:?} ({}) fired for {nf} snapshot{} of {} account{}; its lift is not judged",
                r.name,
                r.at,
                if nf == 1 { "" } else { "s" },
                accounts.len(),
                if accounts.len() == 1 { "" } else { "s" },
            ));
            "thin evidence"
        }
        None => "thin evidence",
        // a trigger has no expected direction: say which way it goes
        Some(l) if r.direction == "trigger" && l.low > 1.0 => "more churn",
        Some(l) if r.direction == "trigger" && l.high < 1.0 => "less churn",
        // an `add` rule should go with less churn, a `subtract` rule with more
        Some(l) if r.direction == "add" && l.low > 1.0 => "wrong way",
        Some(l) if r.direction == "subtract" && l.high < 1.0 => "wrong way",
        Some(l) if r.direction == "add" && l.high < 1.0 => "as expected",
        Some(l) if r.direction == "subtract" && l.low > 1.0 => "as expected",
        Some(_) => "no clear effect",
    };
    if verdict == "wrong way" {
        warnings.push(format!(
            "rule {:?} ({}) {}s points, yet churn is {} when it fires (lift {})",
            r.name,
            r.at,
            r.direction,
            if r.direction == "add" {
                "higher"
            } else {
                "lower"
            },
            lift.map_or(String::new(), |l| format!(
                "{:.2}, 95% {:.2}–{:.2}",
                l.lift, l.low, l.high
            )),
        ));
    }
    RuleReport {
        name: r.name.clone(),
        score: r.score.clone(),
        direction: r.direction.to_string(),
        at: r.at.clone(),
        fired_rows: nf,
        fired_accounts: accounts.len(),
        churned_fired: cf,
        rate_fired: (nf > 0).then(|| cf as f64 / nf as f64),
        not_fired_rows: nn,
        churned_not_fired: cn,
        rate_not_fired: (nn > 0).then(|| cn as f64 / nn as f64),
        lift,
        verdict: verdict.to_string(),
    }
}

/// Health as the engine computes it (docs/language.md §6): the weighted
/// mean of the scores that are not N/A, rounded to one decimal.
pub fn health_with(weights: &[f64], scores: &[Option<f64>]) -> Option<f64> {
    let (mut sum, mut w) = (0.0, 0.0);
    for (wj, s) in weights.iter().zip(scores) {
        if let Some(s) = s {
            sum += wj * s;
            w += wj;
        }
    }
    (w > 0.0).then(|| (sum / w * 10.0).round() / 10.0)
}

/// The time split (docs/calibrate.md): the test rows are the latest dates
/// holding at least a third of the rows; the fit rows are those whose
/// whole horizon ends on or before the first test date.
pub fn split(rows: &[Row]) -> Option<(Vec<usize>, Vec<usize>)> {
    let mut dates: Vec<NaiveDate> = rows.iter().map(|r| r.as_of).collect();
    dates.sort_unstable();
    dates.dedup();
    let mut test_from = None;
    let mut count = 0;
    for d in dates.iter().rev() {
        count += rows.iter().filter(|r| r.as_of == *d).count();
        test_from = Some(*d);
        if count * 3 >= rows.len() {
            break;
        }
    }
    let test_from = test_from?;
    let test: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].as_of >= test_from)
        .collect();
    let fit: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].end <= test_from && rows[i].as_of < test_from)
        .collect();
    Some((fit, test))
}

fn weights(rules: &Rules, rows: &[Row], seed: u64, warnings: &mut Vec<String>) -> Weights {
    let current: Vec<(String, f64)> = rules
        .scores
        .iter()
        .map(|s| (s.name.clone(), s.weight))
        .collect();
    let total: f64 = rules.scores.iter().map(|s| s.weight).sum();
    let mut w = Weights {
        fit_from: None,
        fit_to: None,
        test_from: None,
        test_to: None,
        fit_rows: 0,
        fit_churned: 0,
        test_rows: 0,
        test_churned: 0,
        current,
        suggested: None,
        coefficients: None,
        auc_before: None,
        auc_after: None,
        auc_change_interval: None,
        note: None,
    };
    let Some((fit, test)) = split(rows) else {
        w.note = Some("no labelled snapshots".into());
        return w;
    };
    let span = |idx: &[usize]| {
        let from = idx.iter().map(|&i| rows[i].as_of).min().map(date);
        let to = idx.iter().map(|&i| rows[i].as_of).max().map(date);
        (from, to)
    };
    (w.fit_from, w.fit_to) = span(&fit);
    (w.test_from, w.test_to) = span(&test);
    w.fit_rows = fit.len();
    w.fit_churned = fit.iter().filter(|&&i| rows[i].churned).count();
    w.test_rows = test.len();
    w.test_churned = test.iter().filter(|&&i| rows[i].churned).count();
    let test_auc = |weights: &[f64]| {
        let (risk, labels): (Vec<f64>, Vec<bool>) = test
            .iter()
            .filter_map(|&i| health_with(weights, &rows[i].scores).map(|h| (-h, rows[i].churned)))
            .unzip();
        stats::auc(&risk, &labels)
    };
    let current_w: Vec<f64> = rules.scores.iter().map(|s| s.weight).collect();
    w.auc_before = test_auc(&current_w);
    if rules.scores.len() < 2 {
        w.note = Some("one score: there is no weight to move".into());
        return w;
    }
    if w.fit_churned < MIN_CHURNED || w.test_churned < MIN_CHURNED {
        let note = format!(
            "thin evidence: {} churned snapshots to fit on and {} to test on (at least {MIN_CHURNED} each are needed); no weights suggested",
            w.fit_churned, w.test_churned
        );
        warnings.push(note.clone());
        w.note = Some(note);
        return w;
    }
    // features: risk per score, (100 - score) / 100; N/A as the fit mean
    let k = rules.scores.len();
    let means: Vec<f64> = (0..k)
        .map(|j| {
            let vals: Vec<f64> = fit
                .iter()
                .filter_map(|&i| rows[i].scores.get(j).copied().flatten())
                .collect();
            if vals.is_empty() {
                50.0
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            }
        })
        .collect();
    let x: Vec<Vec<f64>> = fit
        .iter()
        .map(|&i| {
            (0..k)
                .map(|j| {
                    (100.0 - rows[i].scores.get(j).copied().flatten().unwrap_or(means[j])) / 100.0
                })
                .collect()
        })
        .collect();
    let y: Vec<bool> = fit.iter().map(|&i| rows[i].churned).collect();
    let model = stats::fit_nonnegative_logistic(&x, &y);
    w.coefficients = Some(
        rules
            .scores
            .iter()
            .zip(&model.coef)
            .map(|(s, c)| (s.name.clone(), *c))
            .collect(),
    );
    match stats::apportion(&model.coef, total, rules.weight_decimals) {
        Some(s) => {
            w.auc_after = test_auc(&s);
            // paired: the rows where both weightings give a health
            let mut ra = Vec::new();
            let mut rb = Vec::new();
            let mut labels = Vec::new();
            let mut cluster = Vec::new();
            for &i in &test {
                if let (Some(a), Some(b)) = (
                    health_with(&current_w, &rows[i].scores),
                    health_with(&s, &rows[i].scores),
                ) {
                    ra.push(-a);
                    rb.push(-b);
                    labels.push(rows[i].churned);
                    cluster.push(rows[i].account);
                }
            }
            w.auc_change_interval =
                stats::bootstrap_auc_change(&ra, &rb, &labels, &cluster, REPLICATES, seed)
                    .map(|(a, b)| [a, b]);
            w.suggested = Some(
                rules
                    .scores
                    .iter()
                    .zip(s)
                    .map(|(sc, v)| (sc.name.clone(), v))
                    .collect(),
            );
        }
        None => {
            w.note = Some("no score predicts churn on the fit rows; no weights suggested".into());
        }
    }
    w
}

/// Adjacent arms of a band whose churn rates a two-proportion z-test does
/// not tell apart (|z| < 1.96), both with at least [`MIN_FIRED`] rows.
fn bands(rules: &Rules, rows: &[Row]) -> Vec<BandSuggestion> {
    let mut out = Vec::new();
    for (j, s) in rules.scores.iter().enumerate() {
        let Some(arms) = &s.band else { continue };
        let arm_of = |v: f64| arms.iter().position(|a| (a.result - v).abs() < 1e-9);
        let mut per: Vec<(usize, usize)> = vec![(0, 0); arms.len()];
        for r in rows {
            if let Some(a) = r.base.get(j).copied().flatten().and_then(arm_of) {
                per[a].0 += 1;
                per[a].1 += usize::from(r.churned);
            }
        }
        for a in 0..arms.len().saturating_sub(1) {
            let ((n1, c1), (n2, c2)) = (per[a], per[a + 1]);
            if n1 < MIN_FIRED || n2 < MIN_FIRED {
                continue;
            }
            let p1 = c1 as f64 / n1 as f64;
            let p2 = c2 as f64 / n2 as f64;
            let p = (c1 + c2) as f64 / (n1 + n2) as f64;
            let se = (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
            let z = if se > 0.0 { (p1 - p2) / se } else { 0.0 };
            if z.abs() >= 1.96 {
                continue;
            }
            let label = |i: usize| format!("{} => {}", arms[i].condition, arms[i].result);
            let edge = &arms[a + 1].condition;
            out.push(BandSuggestion {
                score: s.name.clone(),
                arms: [label(a), label(a + 1)],
                rates: [
                    Rate::new(label(a), n1, c1),
                    Rate::new(label(a + 1), n2, c2),
                ],
                suggestion: if edge == "otherwise" {
                    format!(
                        "the arms `{}` and `{}` do not separate churn; move the edge `{}` or merge the two arms",
                        label(a),
                        label(a + 1),
                        arms[a].condition
                    )
                } else {
                    format!(
                        "the arms `{}` and `{}` do not separate churn; drop the edge `{edge}` (one arm for both) or move it",
                        label(a),
                        label(a + 1)
                    )
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn row(account: usize, month: u32, churned: bool) -> Row {
        let as_of = NaiveDate::from_ymd_opt(2026, month, 1).unwrap();
        Row {
            account,
            as_of,
            end: as_of + chrono::Days::new(90),
            churned,
            health: Some(50.0),
            status: None,
            scores: vec![Some(50.0)],
            base: vec![None],
            fired: vec![],
        }
    }

    #[test]
    fn no_row_is_both_fitted_and_tested() {
        let rows: Vec<Row> = (1..=12)
            .flat_map(|m| (0..10).map(move |a| row(a, m, a == m as usize % 10)))
            .collect();
        let (fit, test) = split(&rows).unwrap();
        assert!(fit.iter().all(|i| !test.contains(i)));
        let test_from = test.iter().map(|&i| rows[i].as_of).min().unwrap();
        // the test rows are the latest third; a fitted row's horizon ends
        // before the first of them
        assert!(test.len() * 3 >= rows.len());
        assert!(fit.iter().all(|&i| rows[i].end <= test_from));
        assert_eq!(test_from, NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        // 90 days before 2026-09-01 is 2026-06-03: fitted through June
        assert_eq!(
            fit.iter().map(|&i| rows[i].as_of).max(),
            NaiveDate::from_ymd_opt(2026, 6, 1)
        );
    }

    #[test]
    fn health_with_skips_na_scores() {
        assert_eq!(health_with(&[30.0, 70.0], &[Some(40.0), None]), Some(40.0));
        assert_eq!(
            health_with(&[25.0, 75.0], &[Some(40.0), Some(80.0)]),
            Some(70.0)
        );
        assert_eq!(health_with(&[1.0], &[None]), None);
    }
}
