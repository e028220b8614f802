//! The statistics of `vital calibrate`, written down in docs/calibrate.md:
//! ROC AUC (Mann–Whitney, ties counted half), an account-level bootstrap,
//! the lift of a rule with a Katz log interval, and a logistic regression
//! with non-negative coefficients.

/// SplitMix64: a small, well-known generator; seeded, so every bootstrap
/// is reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// ROC AUC of `risk` for `labels` (true = churned): the probability that a
/// churned row has a higher risk than a row that did not churn, ties
/// counted as one half. `None` without both kinds of rows. Computed from
/// mid-ranks (the Mann–Whitney U statistic).
pub fn auc(risk: &[f64], labels: &[bool]) -> Option<f64> {
    let n = risk.len().min(labels.len());
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| risk[a].total_cmp(&risk[b]));
    let mut rank_sum_pos = 0.0;
    let mut pos = 0usize;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && risk[idx[j + 1]] == risk[idx[i]] {
            j += 1;
        }
        // ranks i+1 ..= j+1 share their mean
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum_pos += mid;
                pos += 1;
            }
        }
        i = j + 1;
    }
    let neg = n - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let (p, q) = (pos as f64, neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * q))
}

/// Rows sorted by risk once, with their groups of tied risks, so that the
/// AUC of any resample is computed in one pass: a row drawn `k` times
/// counts `k` times ([`Ranked::weighted_auc`]).
struct Ranked {
    order: Vec<usize>,
    /// The end (in `order`) of each group of equal risks.
    ends: Vec<usize>,
}

impl Ranked {
    fn new(risk: &[f64]) -> Ranked {
        let mut order: Vec<usize> = (0..risk.len()).collect();
        order.sort_by(|&a, &b| risk[a].total_cmp(&risk[b]));
        let mut ends = Vec::new();
        for k in 1..=order.len() {
            if k == order.len() || risk[order[k]] != risk[order[k - 1]] {
                ends.push(k);
            }
        }
        Ranked { order, ends }
    }

    /// The AUC of the rows counted `weight(row)` times each: over the
    /// groups in ascending risk, each churned weight scores the stayed
    /// weight below it, and half the stayed weight tied with it. The same
    /// number as [`auc`] on the rows repeated.
    fn weighted_auc(&self, labels: &[bool], weight: impl Fn(usize) -> f64) -> Option<f64> {
        let (mut below, mut pairs, mut pos) = (0.0, 0.0, 0.0);
        let mut start = 0;
        for &end in &self.ends {
            let (mut p, mut n) = (0.0, 0.0);
            for &i in &self.order[start..end] {
                let w = weight(i);
                if labels[i] {
                    p += w;
                } else {
                    n += w;
                }
            }
            pairs += p * (below + 0.5 * n);
            below += n;
            pos += p;
            start = end;
        }
        (pos > 0.0 && below > 0.0).then(|| pairs / (pos * below))
    }
}

/// Accounts drawn with replacement, as many as there are: how many times
/// each row is in the replicate (its account's draws).
struct Resampler {
    /// Per row, its account among those with rows.
    account: Vec<usize>,
    accounts: usize,
    draws: Vec<u32>,
    rng: Rng,
}

impl Resampler {
    fn new(cluster: &[usize], seed: u64) -> Option<Resampler> {
        let mut index = std::collections::HashMap::new();
        let account: Vec<usize> = cluster
            .iter()
            .map(|c| {
                let next = index.len();
                *index.entry(*c).or_insert(next)
            })
            .collect();
        let accounts = index.len();
        (accounts > 0).then(|| Resampler {
            account,
            accounts,
            draws: vec![0; accounts],
            rng: Rng::new(seed),
        })
    }

    fn draw(&mut self) {
        self.draws.iter_mut().for_each(|d| *d = 0);
        for _ in 0..self.accounts {
            self.draws[self.rng.below(self.accounts)] += 1;
        }
    }

    fn weight(&self, row: usize) -> f64 {
        f64::from(self.draws[self.account[row]])
    }
}

/// A percentile bootstrap interval (2.5 % and 97.5 %) of the AUC,
/// resampling clusters (accounts) with replacement: each replicate draws as
/// many accounts as there are, and takes every row of each draw. Replicates
/// without both kinds of rows are skipped. `None` when fewer than half of
/// the replicates count. One sort in all; each replicate is one pass.
pub fn bootstrap_auc(
    risk: &[f64],
    labels: &[bool],
    cluster: &[usize],
    reps: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let ranked = Ranked::new(risk);
    let mut boot = Resampler::new(cluster, seed)?;
    let mut values = Vec::with_capacity(reps);
    for _ in 0..reps {
        boot.draw();
        if let Some(a) = ranked.weighted_auc(labels, |i| boot.weight(i)) {
            values.push(a);
        }
    }
    if values.len() * 2 < reps {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some((quantile(&values, 0.025), quantile(&values, 0.975)))
}

/// A percentile bootstrap interval of `AUC(risk_b) − AUC(risk_a)` on the
/// same rows (paired: each replicate's accounts are drawn once and both
/// AUCs computed on them), resampling accounts as [`bootstrap_auc`] does.
pub fn bootstrap_auc_change(
    risk_a: &[f64],
    risk_b: &[f64],
    labels: &[bool],
    cluster: &[usize],
    reps: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let (ra, rb) = (Ranked::new(risk_a), Ranked::new(risk_b));
    let mut boot = Resampler::new(cluster, seed)?;
    let mut values = Vec::with_capacity(reps);
    for _ in 0..reps {
        boot.draw();
        if let (Some(x), Some(y)) = (
            ra.weighted_auc(labels, |i| boot.weight(i)),
            rb.weighted_auc(labels, |i| boot.weight(i)),
        ) {
            values.push(y - x);
        }
    }
    if values.len() * 2 < reps {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some((quantile(&values, 0.025), quantile(&values, 0.975)))
}

/// The `q` quantile of sorted values, linear between order statistics.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// A rule's lift: the churn rate of the rows it fired for over the churn
/// rate of the rows it did not fire for (a relative risk), with a 95 %
/// Katz interval on the log scale. With a zero count, 0.5 is added to the
/// four counts (Haldane–Anscombe). `None` when either side has no rows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Lift {
    pub lift: f64,
    pub low: f64,
    pub high: f64,
}

pub fn lift(churned_fired: usize, fired: usize, churned_not: usize, not: usize) -> Option<Lift> {
    // no churn on either side: there is no ratio to estimate (the zero-count
    // correction would make one up from the group sizes)
    if fired == 0 || not == 0 || churned_fired + churned_not == 0 {
        return None;
    }
    let zero = churned_fired == 0 || churned_not == 0;
    let k = if zero { 0.5 } else { 0.0 };
    let a = churned_fired as f64 + k;
    let n1 = fired as f64 + 2.0 * k;
    let c = churned_not as f64 + k;
    let n0 = not as f64 + 2.0 * k;
    let rr = (a / n1) / (c / n0);
    let se = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n0).max(0.0).sqrt();
    Some(Lift {
        lift: rr,
        low: (rr.ln() - 1.96 * se).exp(),
        high: (rr.ln() + 1.96 * se).exp(),
    })
}

/// A percentile bootstrap interval (2.5 % and 97.5 %) of a rule's lift,
/// resampling accounts as [`bootstrap_auc`] does: an account's snapshots are
/// not independent, so the Katz interval of [`lift`] (which assumes they
/// are) is too narrow for them. Each replicate's lift is [`lift`]'s point
/// estimate (with its zero-count correction); replicates where the rule
/// fired for no row, or for every row, are skipped. `None` when fewer than
/// half of the replicates count.
pub fn bootstrap_lift(
    fired: &[bool],
    churned: &[bool],
    cluster: &[usize],
    reps: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let clusters = cluster.iter().copied().max().map_or(0, |m| m + 1);
    // per account: (fired rows, churned fired, not fired rows, churned not)
    let mut per = vec![[0usize; 4]; clusters];
    for ((&f, &c), &k) in fired.iter().zip(churned).zip(cluster) {
        let e = &mut per[k];
        if f {
            e[0] += 1;
            e[1] += usize::from(c);
        } else {
            e[2] += 1;
            e[3] += usize::from(c);
        }
    }
    per.retain(|e| e.iter().any(|&x| x > 0));
    if per.is_empty() {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut values = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut t = [0usize; 4];
        for _ in 0..per.len() {
            let e = &per[rng.below(per.len())];
            for (a, b) in t.iter_mut().zip(e) {
                *a += b;
            }
        }
        if let Some(l) = lift(t[1], t[0], t[3], t[2]) {
            values.push(l.lift);
        }
    }
    if values.len() * 2 < reps {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some((quantile(&values, 0.025), quantile(&values, 0.975)))
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// A fitted logistic regression `P(churn) = sigmoid(b0 + Σ b_j x_j)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    pub intercept: f64,
    /// One per feature, each `>= 0`.
    pub coef: Vec<f64>,
    /// Mean log loss at the solution.
    pub loss: f64,
    pub sweeps: usize,
}

/// Fits a logistic regression whose coefficients are constrained to be
/// non-negative (the intercept is free), by cyclic coordinate descent: each
/// coordinate takes a Newton step on the mean log loss, clipped at zero,
/// halved until the loss does not increase. Stops when no coefficient
/// moves more than 1e-7, or after 500 sweeps. The loss is convex, so the
/// minimum is global. `rows[i]` are the features of row `i`.
pub fn fit_nonnegative_logistic(rows: &[Vec<f64>], labels: &[bool]) -> Logistic {
    let k = rows.first().map_or(0, Vec::len);
    let n = rows.len().min(labels.len()).max(1) as f64;
    let y: Vec<f64> = labels.iter().map(|&l| if l { 1.0 } else { 0.0 }).collect();
    let rate = (y.iter().sum::<f64>() / n).clamp(1e-6, 1.0 - 1e-6);
    let mut b0 = (rate / (1.0 - rate)).ln();
    let mut b = vec![0.0; k];
    let mut z: Vec<f64> = vec![b0; rows.len()];
    let loss_of = |z: &[f64]| -> f64 {
        z.iter()
            .zip(&y)
            .map(|(&z, &y)| {
                // log(1 + e^z) - y z, stably
                let softplus = if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                };
                softplus - y * z
            })
            .sum::<f64>()
            / n
    };
    let mut loss = loss_of(&z);
    let mut sweeps = 0;
    for sweep in 0..500 {
        sweeps = sweep + 1;
        let mut moved: f64 = 0.0;
        // coordinate usize::MAX is the intercept
        for j in std::iter::once(usize::MAX).chain(0..k) {
            let x = |i: usize| if j == usize::MAX { 1.0 } else { rows[i][j] };
            let (mut g, mut h) = (0.0, 0.0);
            for (i, &zi) in z.iter().enumerate() {
                let p = sigmoid(zi);
                let xi = x(i);
                g += (p - y[i]) * xi;
                h += p * (1.0 - p) * xi * xi;
            }
            if h <= 1e-12 {
                continue;
            }
            let old = if j == usize::MAX { b0 } else { b[j] };
            let mut step = -g / h;
            loop {
                let mut new = old + step;
                if j != usize::MAX {
                    new = new.max(0.0);
                }
                let d = new - old;
                let trial: Vec<f64> = z.iter().enumerate().map(|(i, &zi)| zi + d * x(i)).collect();
                let l = loss_of(&trial);
                if l <= loss + 1e-15 || step.abs() < 1e-12 {
                    if l <= loss + 1e-15 {
                        z = trial;
                        loss = l;
                        if j == usize::MAX {
                            b0 = new;
                        } else {
                            b[j] = new;
                        }
                        moved = moved.max(d.abs());
                    }
                    break;
                }
                step /= 2.0;
            }
        }
        if moved < 1e-7 {
            break;
        }
    }
    Logistic {
        intercept: b0,
        coef: b,
        loss,
        sweeps,
    }
}

/// Non-negative shares of `total` proportional to `raw`, rounded to
/// `decimals` places by largest remainder so that they add up to `total`
/// exactly, each at least one unit (`10^-decimals`: a weight must be
/// positive), taken from the largest. `None` when every share is zero.
pub fn apportion(raw: &[f64], total: f64, decimals: u32) -> Option<Vec<f64>> {
    let sum: f64 = raw.iter().sum();
    if sum <= 0.0 || raw.is_empty() {
        return None;
    }
    let unit = 10f64.powi(-(decimals as i32));
    let units_total = (total / unit).round() as i64;
    let exact: Vec<f64> = raw.iter().map(|r| r / sum * units_total as f64).collect();
    let mut units: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut left = units_total - units.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(order.len() * 2) {
        if left <= 0 {
            break;
        }
        units[i] += 1;
        left -= 1;
    }
    for i in 0..units.len() {
        if units[i] < 1 {
            let need = 1 - units[i];
            let mut max_i = 0;
            for j in 0..units.len() {
                if units[j] > units[max_i] {
                    max_i = j;
                }
            }
            if units[max_i] - need < 1 {
                return None;
            }
            units[max_i] -= need;
            units[i] = 1;
        }
    }
    Some(units.iter().map(|&u| u as f64 * unit).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn no_churn_on_either_side_has_no_lift() {
        assert!(lift(0, 40, 0, 60).is_none());
        assert!(lift(0, 0, 3, 60).is_none());
        // one side without churn: the zero-count correction applies
        let l = lift(0, 40, 6, 60).unwrap();
        assert!(l.lift < 1.0, "{l:?}");
    }

    #[test]
    fn auc_by_hand() {
        // churned risks 0.9, 0.4; others 0.8, 0.4, 0.1.
        // pairs: (0.9>0.8, 0.9>0.4, 0.9>0.1) = 3; (0.4<0.8: 0, 0.4=0.4: 1/2, 0.4>0.1: 1)
        // = 4.5 of 6 pairs
        let a = auc(
            &[0.9, 0.8, 0.4, 0.4, 0.1],
            &[true, false, true, false, false],
        )
        .unwrap();
        assert!((a - 0.75).abs() < 1e-12);
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
        // all tied: one half
        assert_eq!(auc(&[1.0, 1.0, 1.0], &[true, false, false]), Some(0.5));
    }

    #[test]
    fn the_weighted_auc_is_the_auc_of_the_rows_repeated() {
        let risk = [0.9, 0.8, 0.4, 0.4, 0.1, 0.4];
        let labels = [true, false, true, false, false, true];
        let weights = [2.0, 1.0, 0.0, 3.0, 1.0, 1.0];
        let (mut r, mut l) = (Vec::new(), Vec::new());
        for i in 0..risk.len() {
            for _ in 0..weights[i] as usize {
                r.push(risk[i]);
                l.push(labels[i]);
            }
        }
        let want = auc(&r, &l).unwrap();
        let have = Ranked::new(&risk)
            .weighted_auc(&labels, |i| weights[i])
            .unwrap();
        assert!((want - have).abs() < 1e-12, "{want} {have}");
        assert_eq!(
            Ranked::new(&risk).weighted_auc(&labels, |_| 1.0),
            auc(&risk, &labels)
        );
    }

    #[test]
    fn bootstrap_is_seeded() {
        let risk: Vec<f64> = (0..200).map(|i| ((i * 37) % 101) as f64).collect();
        let labels: Vec<bool> = (0..200)
            .map(|i| (i * 37) % 101 > 60 && i % 3 != 0)
            .collect();
        let cluster: Vec<usize> = (0..200).map(|i| i / 2).collect();
        let a = bootstrap_auc(&risk, &labels, &cluster, 200, 7).unwrap();
        let b = bootstrap_auc(&risk, &labels, &cluster, 200, 7).unwrap();
        assert_eq!(a, b);
        let point = auc(&risk, &labels).unwrap();
        assert!(a.0 <= point && point <= a.1, "{a:?} {point}");
    }

    #[test]
    fn the_change_of_a_ranking_with_itself_is_zero() {
        let risk: Vec<f64> = (0..60).map(|i| ((i * 7) % 13) as f64).collect();
        let labels: Vec<bool> = (0..60).map(|i| i % 4 == 0).collect();
        let cluster: Vec<usize> = (0..60).map(|i| i / 3).collect();
        assert_eq!(
            bootstrap_auc_change(&risk, &risk, &labels, &cluster, 100, 3),
            Some((0.0, 0.0))
        );
        // a perfect ranking against a reversed one: always better
        let perfect: Vec<f64> = labels.iter().map(|&l| if l { 1.0 } else { 0.0 }).collect();
        let reversed: Vec<f64> = perfect.iter().map(|x| -x).collect();
        let (lo, hi) =
            bootstrap_auc_change(&reversed, &perfect, &labels, &cluster, 100, 3).unwrap();
        assert_eq!((lo, hi), (1.0, 1.0));
    }

    #[test]
    fn lift_by_hand() {
        // fired: 6 of 20 churned (30%); not fired: 4 of 80 (5%): lift 6
        let l = lift(6, 20, 4, 80).unwrap();
        assert!((l.lift - 6.0).abs() < 1e-12);
        // se = sqrt(1/6 - 1/20 + 1/4 - 1/80) = sqrt(0.354166…)
        let se: f64 = (1.0 / 6.0 - 1.0 / 20.0 + 1.0 / 4.0 - 1.0 / 80.0_f64).sqrt();
        assert!((l.low - (6f64.ln() - 1.96 * se).exp()).abs() < 1e-12);
        assert!((l.high - (6f64.ln() + 1.96 * se).exp()).abs() < 1e-12);
        // a zero count: 0.5 added to each
        let z = lift(0, 10, 5, 10).unwrap();
        assert!((z.lift - (0.5 / 11.0) / (5.5 / 11.0)).abs() < 1e-12);
        assert_eq!(lift(1, 0, 1, 5), None);
    }

    #[test]
    fn the_fit_finds_the_predictive_feature() {
        let mut rng = Rng::new(1);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..3000 {
            let a = rng.below(1000) as f64 / 1000.0;
            let b = rng.below(1000) as f64 / 1000.0;
            let p = sigmoid(-3.0 + 3.0 * a);
            labels.push((rng.below(1_000_000) as f64) < p * 1e6);
            rows.push(vec![a, b]);
        }
        let m = fit_nonnegative_logistic(&rows, &labels);
        assert!(m.coef[0] > 1.5, "{m:?}");
        assert!(m.coef[1] < 0.5 * m.coef[0], "{m:?}");
        assert!(m.coef.iter().all(|&c| c >= 0.0));
    }

    #[test]
    fn apportion_keeps_the_total() {
        assert_eq!(
            apportion(&[2.0, 1.0, 1.0, 0.0], 100.0, 0).unwrap(),
            vec![49.0, 25.0, 25.0, 1.0]
        );
        let w = apportion(&[1.0, 1.0, 1.0], 100.0, 0).unwrap();
        assert_eq!(w.iter().sum::<f64>(), 100.0);
        assert_eq!(apportion(&[0.0, 0.0], 100.0, 0), None);
    }
}
