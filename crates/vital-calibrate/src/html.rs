//! The calibration as HTML: [`section`] is one `<section>` in the classes
//! of `vital report`'s page (so it can sit in it), [`page`] a self-contained
//! page around it (`vital calibrate --format html`). maud escapes every
//! data text (rule and score names come from the rule files).

use crate::analyze::{Rate, Report};
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6372;--line:#d9dde4;--bg:#fff;--card:#f5f7fa}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:24px;max-width:1180px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.sub{color:var(--muted);margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{background:var(--card);border-radius:8px;padding:12px 14px}
.card .k{color:var(--muted);font-size:13px}.card .v{font-size:21px;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .d{font-size:13px;color:var(--muted)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;vertical-align:top}
th:first-child,td:first-child,td.t,th.t{text-align:left}
th{background:var(--card)}
.warn{color:#b34000}
svg{max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#5b6372}
"#;

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.1}%", x * 100.0))
}

fn num(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{x:.3}"))
}

fn rates(head: &str, rows: &[Rate]) -> Markup {
    html! {
        table {
            tr { th { (head) } th { "snapshots" } th { "churned" } th { "churn rate" } }
            @for r in rows {
                tr { td { (r.label) } td { (r.rows) } td { (r.churned) } td { (pct(r.rate)) } }
            }
        }
    }
}

/// Churn rate per health decile as bars (decile 1, the lowest health, on
/// the left).
fn decile_chart(rows: &[Rate]) -> Markup {
    let max = rows
        .iter()
        .filter_map(|r| r.rate)
        .fold(0.0f64, f64::max)
        .max(0.01);
    let (w, h, bar) = (40.0 * rows.len() as f64 + 20.0, 140.0, 28.0);
    html! {
        svg viewBox=(format!("0 0 {w} {}", h + 30.0)) width=(w) role="img"
            aria-label="churn rate per health decile" {
            @for (i, r) in rows.iter().enumerate() {
                @let v = r.rate.unwrap_or(0.0);
                @let bh = v / max * h;
                @let x = 10.0 + 40.0 * i as f64;
                rect x=(x) y=(h - bh) width=(bar) height=(bh) fill="#c0392b" {
                    title { "decile " (r.label) ": " (pct(r.rate)) }
                }
                text x=(x + bar / 2.0) y=(h + 14.0) text-anchor="middle" { (i + 1) }
            }
            text x="10" y=(h + 28.0) { "health decile (1 = lowest) →" }
        }
    }
}

/// The calibration as one section.
pub fn section(r: &Report) -> Markup {
    let c = &r.counts;
    let h = &r.health;
    let w = &r.weights;
    html! {
        section id="calibration" {
            h2 { "Calibration: does health predict churn?" }
            p class="sub" {
                (c.labelled) " of " (c.snapshots) " snapshots labelled (" (r.counts_as_churn)
                " within " (r.horizon) "; outcomes through " (r.through) "): "
                (c.churned_rows) " churned snapshots of " (c.churned_accounts) " accounts; "
                (c.horizon_not_over) " left out whose horizon is not over, "
                (c.after_churn) " after the account churned"
            }
            div class="cards" {
                div class="card" {
                    div class="k" { "ROC AUC of health" }
                    div class="v" { (num(h.auc)) }
                    div class="d" {
                        @if let Some([a, b]) = h.auc_interval { "95% " (format!("{a:.3}–{b:.3}")) }
                    }
                }
                div class="card" {
                    div class="k" { "at risk: precision" }
                    div class="v" { (pct(h.at_risk.precision)) }
                    div class="d" { (h.at_risk.statuses.join(", ")) }
                }
                div class="card" {
                    div class="k" { "at risk: recall" }
                    div class="v" { (pct(h.at_risk.recall)) }
                    div class="d" { (h.at_risk.churned_flagged) " of " (c.churned_rows) " churned" }
                }
                @if let (Some(b), Some(a)) = (w.auc_before, w.auc_after) {
                    div class="card" {
                        div class="k" { "test AUC, suggested weights" }
                        div class="v" { (format!("{a:.3}")) }
                        div class="d" { "now " (format!("{b:.3}")) }
                    }
                }
            }
            h3 { "Churn by status and health decile" }
            (rates("status", &h.by_status))
            (decile_chart(&h.by_decile))
            (rates("health decile", &h.by_decile))
            h3 { "Scores" }
            table {
                tr { th { "score" } th { "weight" } th { "AUC" }
                    th { "0–<20" } th { "20–<40" } th { "40–<60" } th { "60–<80" } th { "80–100" } }
                @for s in &r.scores {
                    tr {
                        td { (s.name) } td { (crate::rewrite::weight_text(s.weight, 2)) } td { (num(s.auc)) }
                        @for b in &s.by_range {
                            td { @if b.rows > 0 { (pct(b.rate)) " of " (b.rows) } @else { "–" } }
                        }
                    }
                }
            }
            h3 { "Rules" }
            table {
                tr { th { "rule" } th class="t" { "action" } th { "fired" } th { "churn fired" }
                    th { "churn not" } th { "lift (95%)" } th class="t" { "verdict" } }
                @for x in &r.rules {
                    tr {
                        td { (x.name) br; small { (x.at) } }
                        td class="t" { (x.direction) " " (x.score) }
                        td { (x.fired_rows) " (" (x.fired_accounts) " acc.)" }
                        td { (pct(x.rate_fired)) }
                        td { (pct(x.rate_not_fired)) }
                        td { @if let Some(l) = x.lift { (format!("{:.2} ({:.2}–{:.2})", l.lift, l.low, l.high)) } @else { "–" } }
                        td class=(if x.verdict == "wrong way" { "t warn" } else { "t" }) { (x.verdict) }
                    }
                }
            }
            h3 { "Suggested weights" }
            p class="sub" {
                "fitted on " (w.fit_rows) " snapshots (" (w.fit_churned) " churned) from "
                (w.fit_from.as_deref().unwrap_or("–")) " to " (w.fit_to.as_deref().unwrap_or("–"))
                "; tested on " (w.test_rows) " later snapshots (" (w.test_churned) " churned) from "
                (w.test_from.as_deref().unwrap_or("–")) " to " (w.test_to.as_deref().unwrap_or("–"))
            }
            @match &w.suggested {
                Some(s) => {
                    table {
                        tr { th { "score" } th { "weight now" } th { "suggested" } }
                        @for ((name, now), (_, new)) in w.current.iter().zip(s) {
                            tr { td { (name) } td { (crate::rewrite::weight_text(*now, 2)) } td { (crate::rewrite::weight_text(*new, 2)) } }
                        }
                    }
                    p {
                        "AUC on the test snapshots: " (num(w.auc_before)) " now, " (num(w.auc_after))
                        " with the suggested weights"
                        @if let Some([lo, hi]) = w.auc_change_interval {
                            " (change 95% " (format!("{lo:+.3} to {hi:+.3}")) ")"
                        }
                    }
                    @if let (Some(b), Some(a)) = (w.auc_before, w.auc_after) {
                        @if a <= b {
                            p class="warn" { "The suggested weights do not rank the test snapshots better than the current ones: keep the current weights, or read the rules' verdicts first." }
                        } @else if w.auc_change_interval.is_some_and(|[lo, _]| lo <= 0.0) {
                            p class="warn" { "The improvement is within what chance gives (the interval of the change includes 0)." }
                        }
                    }
                }
                None => p { (w.note.as_deref().unwrap_or("no weights suggested")) },
            }
            @if !r.bands.is_empty() {
                h3 { "Bands" }
                ul { @for b in &r.bands { li { b { (b.score) } ": " (b.suggestion) } } }
            }
            @if !r.warnings.is_empty() {
                h3 { "Warnings" }
                ul class="warn" { @for x in &r.warnings { li { (x) } } }
            }
        }
    }
}

/// A self-contained page holding [`section`].
pub fn page(r: &Report, title: &str) -> String {
    html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " — calibration" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (title) }
                (section(r))
            }
        }
    }
    .into_string()
}
