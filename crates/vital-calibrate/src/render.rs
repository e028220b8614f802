//! The report for people (terminal, Markdown) and for programs (JSON).

use crate::analyze::{Rate, Report};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Human,
    Markdown,
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

fn num(x: Option<f64>, places: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.places$}"))
}

fn weight(w: f64) -> String {
    crate::rewrite::weight_text(w, 2)
}

/// A table: aligned columns (human) or a pipe table (Markdown). Columns
/// after the first are right-aligned.
fn table(out: &mut String, style: Style, head: &[&str], rows: &[Vec<String>]) {
    match style {
        Style::Markdown => {
            let _ = writeln!(out, "| {} |", head.join(" | "));
            let seps: Vec<&str> = (0..head.len())
                .map(|i| if i == 0 { "---" } else { "---:" })
                .collect();
            let _ = writeln!(out, "|{}|", seps.join("|"));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            out.push('\n');
        }
        Style::Human => {
            let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
            for r in rows {
                for (i, c) in r.iter().enumerate() {
                    if let Some(w) = width.get_mut(i) {
                        *w = (*w).max(c.chars().count());
                    }
                }
            }
            let line = |cells: Vec<String>| {
                let mut s = String::from("  ");
                for (i, c) in cells.iter().enumerate() {
                    let w = width.get(i).copied().unwrap_or(0);
                    let pad = w.saturating_sub(c.chars().count());
                    if i == 0 {
                        s.push_str(c);
                        s.push_str(&" ".repeat(pad));
                    } else {
                        s.push_str("  ");
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                }
                s.trim_end().to_string()
            };
            let _ = writeln!(
                out,
                "{}",
                line(head.iter().map(|h| h.to_string()).collect())
            );
            for r in rows {
                let _ = writeln!(out, "{}", line(r.clone()));
            }
            out.push('\n');
        }
    }
}

fn heading(out: &mut String, style: Style, text: &str) {
    match style {
        Style::Markdown => {
            let _ = writeln!(out, "### {text}\n");
        }
        Style::Human => {
            let _ = writeln!(out, "{text}");
        }
    }
}

fn rate_rows(rates: &[Rate]) -> Vec<Vec<String>> {
    rates
        .iter()
        .map(|r| {
            vec![
                r.label.clone(),
                r.rows.to_string(),
                r.churned.to_string(),
                pct(r.rate),
            ]
        })
        .collect()
}

pub fn render(r: &Report, style: Style) -> String {
    let mut out = String::new();
    let c = &r.counts;
    if style == Style::Markdown {
        out.push_str("## Calibration\n\n");
    }
    let _ = writeln!(
        out,
        "{} snapshots of {} accounts; {} labelled ({} {} within {} of the snapshot: {} snapshots of {} accounts); {} left out whose horizon ends after {}, {} after the account churned\n",
        c.snapshots,
        c.accounts,
        c.labelled,
        r.counts_as_churn,
        r.horizon,
        r.horizon,
        c.churned_rows,
        c.churned_accounts,
        c.horizon_not_over,
        r.through,
        c.after_churn,
    );
    // the sentence above says "churned 90 days within 90 days"; keep it plain
    let fixed = out.replace(
        &format!("({} {} within", r.counts_as_churn, r.horizon),
        &format!("({} within", r.counts_as_churn),
    );
    out = fixed;
    let h = &r.health;
    heading(&mut out, style, "Health (lower health = higher risk)");
    let _ = writeln!(
        out,
        "{}ROC AUC {}{}\n",
        if style == Style::Human { "  " } else { "" },
        num(h.auc, 3),
        match h.auc_interval {
            Some([a, b]) => format!(
                ", 95% interval {a:.3}–{b:.3} (bootstrap over accounts, {} replicates, seed {})",
                h.replicates, h.seed
            ),
            None => String::new(),
        }
    );
    table(
        &mut out,
        style,
        &["status", "snapshots", "churned", "churn rate"],
        &rate_rows(&h.by_status),
    );
    let a = &h.at_risk;
    let _ = writeln!(
        out,
        "{}at risk ({}): {} snapshots flagged, {} of them churned; precision {}, recall {}\n",
        if style == Style::Human { "  " } else { "" },
        a.statuses.join(", "),
        a.flagged,
        a.churned_flagged,
        pct(a.precision),
        pct(a.recall),
    );
    table(
        &mut out,
        style,
        &["health decile", "snapshots", "churned", "churn rate"],
        &rate_rows(&h.by_decile),
    );
    heading(&mut out, style, "Scores");
    let rows: Vec<Vec<String>> = r
        .scores
        .iter()
        .map(|s| {
            let mut row = vec![s.name.clone(), weight(s.weight), num(s.auc, 3)];
            row.extend(s.by_range.iter().map(|b| {
                if b.rows == 0 {
                    "-".into()
                } else {
                    format!("{} of {}", pct(b.rate), b.rows)
                }
            }));
            row
        })
        .collect();
    table(
        &mut out,
        style,
        &[
            "score", "weight", "AUC", "0–<20", "20–<40", "40–<60", "60–<80", "80–100",
        ],
        &rows,
    );
    heading(&mut out, style, "Rules");
    let rows: Vec<Vec<String>> = r
        .rules
        .iter()
        .map(|x| {
            vec![
                x.name.clone(),
                if x.direction == "trigger" {
                    format!("trigger {:?}", x.score)
                } else {
                    format!("{} {}", x.direction, x.score)
                },
                format!("{} ({} acc.)", x.fired_rows, x.fired_accounts),
                pct(x.rate_fired),
                pct(x.rate_not_fired),
                x.lift.map_or("-".into(), |l| {
                    format!("{:.2} ({:.2}–{:.2})", l.lift, l.low, l.high)
                }),
                x.verdict.clone(),
            ]
        })
        .collect();
    table(
        &mut out,
        style,
        &[
            "rule",
            "action",
            "fired",
            "churn fired",
            "churn not",
            "lift (95%)",
            "verdict",
        ],
        &rows,
    );
    let w = &r.weights;
    heading(&mut out, style, "Suggested weights");
    let ind = if style == Style::Human { "  " } else { "" };
    let _ = writeln!(
        out,
        "{ind}fitted on {} snapshots ({} churned) from {} to {}; tested on {} later snapshots ({} churned) from {} to {}\n",
        w.fit_rows,
        w.fit_churned,
        w.fit_from.as_deref().unwrap_or("-"),
        w.fit_to.as_deref().unwrap_or("-"),
        w.test_rows,
        w.test_churned,
        w.test_from.as_deref().unwrap_or("-"),
        w.test_to.as_deref().unwrap_or("-"),
    );
    if let Some(s) = &w.suggested {
        let rows: Vec<Vec<String>> = w
            .current
            .iter()
            .zip(s)
            .enumerate()
            .map(|(i, ((name, cur), (_, new)))| {
                vec![
                    name.clone(),
                    weight(*cur),
                    weight(*new),
                    w.coefficients
                        .as_ref()
                        .and_then(|c| c.get(i))
                        .map_or("-".into(), |(_, c)| format!("{c:.3}")),
                ]
            })
            .collect();
        table(
            &mut out,
            style,
            &["score", "weight now", "suggested", "coefficient"],
            &rows,
        );
        let _ = writeln!(
            out,
            "{ind}AUC on the test snapshots: {} with the current weights, {} with the suggested ones{}\n",
            num(w.auc_before, 3),
            num(w.auc_after, 3),
            match w.auc_change_interval {
                Some([lo, hi]) => format!(" (change 95% {lo:+.3} to {hi:+.3})"),
                None => String::new(),
            }
        );
        if let (Some(b), Some(a)) = (w.auc_before, w.auc_after) {
            if a <= b {
                let _ = writeln!(
                    out,
                    "{ind}the suggested weights do not rank the test snapshots better than the current ones: keep the current weights, or read the rules' verdicts first\n"
                );
            } else if w.auc_change_interval.is_some_and(|[lo, _]| lo <= 0.0) {
                let _ = writeln!(
                    out,
                    "{ind}the improvement is within what chance gives (the interval of the change includes 0)\n"
                );
            }
        }
    } else {
        let _ = writeln!(
            out,
            "{ind}{}; AUC on the test snapshots with the current weights: {}\n",
            w.note.as_deref().unwrap_or("no weights suggested"),
            num(w.auc_before, 3)
        );
    }
    if !r.bands.is_empty() {
        heading(&mut out, style, "Bands");
        for b in &r.bands {
            let _ = writeln!(
                out,
                "{}{}: {} ({} of {} vs {} of {})",
                if style == Style::Human { "  " } else { "- " },
                b.score,
                b.suggestion,
                pct(b.rates[0].rate),
                b.rates[0].rows,
                pct(b.rates[1].rate),
                b.rates[1].rows
            );
        }
        out.push('\n');
    }
    if !r.warnings.is_empty() {
        heading(&mut out, style, "Warnings");
        for x in &r.warnings {
            let _ = writeln!(
                out,
                "{}{x}",
                if style == Style::Human {
                    "  warning: "
                } else {
                    "- "
                }
            );
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}
