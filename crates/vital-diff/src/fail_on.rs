//! `--fail-on` thresholds for CI (docs/diff.md): `status-changes>5%`,
//! `into-danger>100k`, `health-shift>2`, `failing-tests>0`.

use crate::model::Report;

/// What a threshold compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// Compared accounts whose reported status changed.
    StatusChanges,
    /// Accounts whose status changed into this arm (`None`: into any
    /// at-risk arm, written `into-at-risk`).
    Into(Option<String>),
    /// |mean health shift|, in points.
    HealthShift,
    /// Head's failing tests.
    FailingTests,
    /// Records head rejects beyond those base rejects (a new signal the
    /// export lacks rejects every record: nothing is compared, and no other
    /// metric moves).
    Rejected,
}

/// The limit: a count, a share of the compared accounts, an account value
/// or (for `health-shift`) points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Count(f64),
    Share(f64),
    Value(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub metric: Metric,
    /// `>=` rather than `>`.
    pub inclusive: bool,
    pub limit: Limit,
}

const HELP: &str = "write METRIC>LIMIT: status-changes>5% or >10, into-STATUS>N, >P% or >100k (account value), into-at-risk>…, health-shift>2, failing-tests>0, rejected>0 or >1%";

/// `12`, `2.5`, `100k`, `1.5m`, `$250000`.
fn number(s: &str) -> Option<f64> {
    let s = s.trim().replace(['_', ','], "");
    let (s, mult) = match s.strip_suffix('k') {
        Some(x) => (x.to_string(), 1e3),
        None => match s.strip_suffix('m') {
            Some(x) => (x.to_string(), 1e6),
            None => (s, 1.0),
        },
    };
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * mult)
}

impl std::str::FromStr for Threshold {
    type Err = String;

    fn from_str(text: &str) -> Result<Threshold, String> {
        let bad = |why: &str| format!("`--fail-on {text}`: {why}; {HELP}");
        let (name, rest, inclusive) = match text.split_once(">=") {
            Some((a, b)) => (a, b, true),
            None => match text.split_once('>') {
                Some((a, b)) => (a, b, false),
                None => return Err(bad("no `>`")),
            },
        };
        let name = name.trim();
        let rest = rest.trim();
        let metric = match name {
            "status-changes" => Metric::StatusChanges,
            "health-shift" => Metric::HealthShift,
            "failing-tests" => Metric::FailingTests,
            "rejected" => Metric::Rejected,
            "into-at-risk" => Metric::Into(None),
            _ => match name.strip_prefix("into-") {
                Some(arm) if !arm.is_empty() => Metric::Into(Some(arm.to_string())),
                _ => return Err(bad(&format!("unknown metric `{name}`"))),
            },
        };
        let limit = if let Some(p) = rest.strip_suffix('%') {
            Limit::Share(number(p).ok_or_else(|| bad("not a percentage"))? / 100.0)
        } else if let Some(v) = rest.strip_prefix('$') {
            Limit::Value(number(v).ok_or_else(|| bad("not an amount"))?)
        } else if rest.ends_with('k') || rest.ends_with('m') {
            Limit::Value(number(rest).ok_or_else(|| bad("not an amount"))?)
        } else {
            Limit::Count(number(rest).ok_or_else(|| bad("not a number"))?)
        };
        let ok = matches!(
            (&metric, limit),
            (Metric::StatusChanges, Limit::Count(_) | Limit::Share(_))
                | (Metric::Into(_), _)
                | (Metric::HealthShift, Limit::Count(_))
                | (Metric::FailingTests, Limit::Count(_))
                | (Metric::Rejected, Limit::Count(_) | Limit::Share(_))
        );
        if !ok {
            return Err(bad(match metric {
                Metric::StatusChanges => "status-changes takes a count or a share",
                Metric::Rejected => "rejected takes a count or a share of the records read",
                Metric::HealthShift => "health-shift takes points of health (the mean shift)",
                _ => "failing-tests takes a count",
            }));
        }
        Ok(Threshold {
            text: text.to_string(),
            metric,
            inclusive,
            limit,
        })
    }
}

impl Threshold {
    /// Why the report crosses this threshold, or `None` when it holds.
    /// An arm that neither side has is an error.
    pub fn crossed(&self, r: &Report) -> Result<Option<String>, String> {
        let over = |x: f64, limit: f64| {
            if self.inclusive {
                x >= limit
            } else {
                x > limit
            }
        };
        let compared = r.accounts.compared as f64;
        let share = |n: usize| {
            if compared == 0.0 {
                0.0
            } else {
                n as f64 / compared
            }
        };
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        let (seen, limit, what) = match &self.metric {
            Metric::StatusChanges => {
                let n = r.statuses.changed;
                match self.limit {
                    Limit::Share(p) => (
                        share(n),
                        p,
                        format!("{} accounts ({}) change status", n, pct(share(n))),
                    ),
                    Limit::Count(c) => (n as f64, c, format!("{n} accounts change status")),
                    Limit::Value(_) => return Ok(None),
                }
            }
            Metric::Into(arm) => {
                let (label, to) = match arm {
                    Some(a) => {
                        if !r.statuses.arms.contains(a) {
                            return Err(format!(
                                "`--fail-on {}`: no status arm `{a}` (the arms are {})",
                                self.text,
                                r.statuses.arms.join(", ")
                            ));
                        }
                        (a.clone(), vec![a.clone()])
                    }
                    None => ("at risk".to_string(), r.statuses.at_risk.clone()),
                };
                let mut n = 0;
                let mut v = 0.0;
                for t in &r.statuses.matrix {
                    let into = t.to.as_ref().is_some_and(|x| to.contains(x));
                    let from_in = t.from.as_ref().is_some_and(|x| to.contains(x));
                    if into && !from_in {
                        n += t.count;
                        v += t.value.unwrap_or(0.0);
                    }
                }
                match self.limit {
                    Limit::Share(p) => (
                        share(n),
                        p,
                        format!("{n} accounts ({}) move into {label}", pct(share(n))),
                    ),
                    Limit::Count(c) => (n as f64, c, format!("{n} accounts move into {label}")),
                    Limit::Value(limit) => {
                        if r.value_signal.is_none() {
                            return Err(format!(
                                "`--fail-on {}` compares account value, and vital.toml names no `value` signal",
                                self.text
                            ));
                        }
                        (
                            v,
                            limit,
                            format!(
                                "{n} accounts worth {} move into {label}",
                                crate::render::money(v)
                            ),
                        )
                    }
                }
            }
            Metric::HealthShift => match r.health.mean_shift {
                Some(s) => match self.limit {
                    Limit::Count(c) => (s.abs(), c, format!("mean health shifts by {s:+.2}")),
                    _ => return Ok(None),
                },
                None => return Ok(None),
            },
            Metric::FailingTests => {
                let n = r.tests.failing.len();
                match self.limit {
                    Limit::Count(c) => (n as f64, c, format!("{n} of head's tests fail")),
                    _ => return Ok(None),
                }
            }
            Metric::Rejected => {
                let n = r
                    .records
                    .head_rejected
                    .saturating_sub(r.records.base_rejected);
                let read = r.records.read as f64;
                let of_read = if read == 0.0 { 0.0 } else { n as f64 / read };
                let what = format!(
                    "head rejects {} more record{} than base ({} of the {} read)",
                    crate::render::thousands(n),
                    if n == 1 { "" } else { "s" },
                    pct(of_read),
                    crate::render::thousands(r.records.read)
                );
                match self.limit {
                    Limit::Share(p) => (of_read, p, what),
                    Limit::Count(c) => (n as f64, c, what),
                    Limit::Value(_) => return Ok(None),
                }
            }
        };
        Ok(over(seen, limit).then(|| format!("{what} (--fail-on {})", self.text)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn t(s: &str) -> Threshold {
        s.parse().unwrap()
    }

    #[test]
    fn limits_are_counts_shares_or_values() {
        assert_eq!(t("status-changes>5%").limit, Limit::Share(0.05));
        assert_eq!(t("status-changes>12").limit, Limit::Count(12.0));
        assert_eq!(t("rejected>0").metric, Metric::Rejected);
        assert_eq!(t("rejected>1%").limit, Limit::Share(0.01));
        assert_eq!(t("into-danger>100k").limit, Limit::Value(100_000.0));
        assert_eq!(t("into-danger>1.5m").limit, Limit::Value(1_500_000.0));
        assert_eq!(t("into-danger>$2500").limit, Limit::Value(2500.0));
        assert_eq!(
            t("into-danger>3").metric,
            Metric::Into(Some("danger".into()))
        );
        assert_eq!(t("into-at-risk>3").metric, Metric::Into(None));
        assert!(t("health-shift>=2").inclusive);
        assert!(!t("health-shift>2").inclusive);
    }

    #[test]
    fn nonsense_is_refused_with_the_syntax() {
        for bad in [
            "status-changes",
            "status-changes>lots",
            "status-changes>100k",
            "health-shift>5%",
            "failing-tests>10%",
            "into->3",
            "status-changes>-1",
        ] {
            let e = bad.parse::<Threshold>().unwrap_err();
            assert!(e.contains("METRIC>LIMIT"), "{bad}: {e}");
        }
    }
}
