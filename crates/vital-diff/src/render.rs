//! The report for people: `human` (a terminal, with colour) and `markdown`
//! (a pull-request comment: a summary table first, details in collapsible
//! sections, within GitHub's 65,536-character limit).

use crate::model::{Matched, Report, RuleKind, RuleRow, ScoreChange};
use std::fmt::Write;

/// GitHub refuses comments longer than this (characters).
pub const COMMENT_LIMIT: usize = 65_536;
/// What the markdown report keeps within, leaving room for a marker line.
pub const MARKDOWN_BUDGET: usize = 65_000;

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An account value: whole units with separators.
pub fn money(v: f64) -> String {
    let neg = v < 0.0;
    let s = thousands(v.abs().round() as usize);
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_string()
    } else {
        format!("{p:.1}%")
    }
}

fn pts(x: Option<f64>) -> String {
    x.map_or("n/a".to_string(), |x| format!("{x:.1}"))
}

/// A mean of health or of a score, with the two decimals it is computed to
/// (JSON `base_mean`/`head_mean`): rounding it again to one would show
/// 63.15 as 63.1 beside a shift computed from 63.15.
fn mean_pts(x: Option<f64>) -> String {
    x.map_or("n/a".to_string(), |x| format!("{x:.2}"))
}

/// A shift of means, two decimals.
fn mean_signed(x: Option<f64>) -> String {
    match x {
        None => "n/a".into(),
        Some(x) if x.abs() < 0.005 => "0".into(),
        Some(x) => format!("{x:+.2}"),
    }
}

fn signed(x: Option<f64>) -> String {
    match x {
        None => "n/a".into(),
        Some(x) if x.abs() < 0.005 => "0".into(),
        Some(x) => format!("{x:+.1}"),
    }
}

fn signed_count(n: i64) -> String {
    if n == 0 {
        "0".into()
    } else {
        format!("{n:+}")
    }
}

fn status_name(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "(none)".into())
}

fn count_of(n: Option<usize>) -> String {
    n.map_or("—".to_string(), thousands)
}

fn rule_change(r: &RuleRow) -> &'static str {
    match r.matched {
        Matched::Added => "added",
        Matched::Removed => "removed",
        _ if r.edited => "edited",
        _ => "",
    }
}

fn kind(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Adjustment => "adjustment",
        RuleKind::Trigger => "trigger",
    }
}

fn score_change(r: &crate::model::ScoreRow) -> String {
    match r.change {
        ScoreChange::Same => String::new(),
        ScoreChange::Edited => "edited".into(),
        ScoreChange::Added => "added".into(),
        ScoreChange::Removed => "removed".into(),
        ScoreChange::Renamed => {
            format!("renamed from {}", r.renamed_from.as_deref().unwrap_or("?"))
        }
    }
}

/// Rules whose definition or firing changed, or that were added/removed.
fn interesting(r: &RuleRow) -> bool {
    r.matched == Matched::Added
        || r.matched == Matched::Removed
        || r.edited
        || r.differs > 0
        || r.base != r.head
}

/// The headline numbers, as (what, base, head, change).
fn summary_rows(r: &Report) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    let s = &r.statuses;
    rows.push([
        "accounts compared".into(),
        String::new(),
        thousands(r.accounts.compared),
        String::new(),
    ]);
    let mut changed = format!("{} ({})", thousands(s.changed), pct(s.changed_share));
    if let Some(v) = s.changed_value {
        changed.push_str(&format!(", value {}", money(v)));
    }
    rows.push([
        "status changes".into(),
        String::new(),
        String::new(),
        changed,
    ]);
    let risk = s.at_risk.join(", ");
    let moved = |m: &crate::model::Moved| match m.value {
        Some(v) => format!("{} (value {})", thousands(m.count), money(v)),
        None => thousands(m.count),
    };
    rows.push([
        format!("into at risk ({risk})"),
        String::new(),
        String::new(),
        moved(&s.into_at_risk),
    ]);
    rows.push([
        "out of at risk".into(),
        String::new(),
        String::new(),
        moved(&s.out_of_risk),
    ]);
    let h = &r.health;
    rows.push([
        "mean health".into(),
        mean_pts(h.base_mean),
        mean_pts(h.head_mean),
        mean_signed(h.mean_shift),
    ]);
    if let Some(q) = h.quantiles.iter().find(|q| q.q == 0.5) {
        rows.push([
            "median health".into(),
            pts(q.base),
            pts(q.head),
            signed(q.shift),
        ]);
    }
    if h.became_na + h.no_longer_na > 0 {
        rows.push([
            "health n/a".into(),
            String::new(),
            String::new(),
            format!("+{} / -{}", h.became_na, h.no_longer_na),
        ]);
    }
    let started: usize = r.playbooks.iter().map(|p| p.started).sum();
    let stopped: usize = r.playbooks.iter().map(|p| p.stopped).sum();
    rows.push([
        "playbooks started / stopped".into(),
        String::new(),
        String::new(),
        format!("+{} / -{}", thousands(started), thousands(stopped)),
    ]);
    let added = r
        .rules
        .iter()
        .filter(|x| x.matched == Matched::Added)
        .count();
    let removed = r
        .rules
        .iter()
        .filter(|x| x.matched == Matched::Removed)
        .count();
    let edited = r.rules.iter().filter(|x| x.edited).count();
    rows.push([
        "rules".into(),
        thousands(r.base.rules),
        thousands(r.head.rules),
        format!("{added} added, {removed} removed, {edited} edited"),
    ]);
    let t = &r.tests;
    rows.push([
        "tests failing".into(),
        thousands(t.base.failed),
        thousands(t.head.failed),
        format!(
            "{} newly failing, {} newly passing",
            t.newly_failing.len(),
            t.newly_passing.len()
        ),
    ]);
    rows.push([
        "records rejected".into(),
        thousands(r.records.base_rejected),
        thousands(r.records.head_rejected),
        signed_count(r.records.head_rejected as i64 - r.records.base_rejected as i64),
    ]);
    rows
}

// ------------------------------------------------------------------ markdown

/// Text for a markdown table cell or line: characters with a meaning in
/// markdown or HTML are escaped, line breaks become spaces.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Code in a table cell: backticks around, pipes escaped (GFM unescapes
/// `\|` inside a cell's code span).
fn md_code(s: &str) -> String {
    let s = s.replace('`', "'").replace('|', "\\|");
    format!("`{s}`")
}

fn table(out: &mut String, head: &[&str], align: &[bool], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let marks: Vec<&str> = align
        .iter()
        .map(|right| if *right { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", marks.join("|"));
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| {
                if c.is_empty() {
                    " ".to_string()
                } else {
                    c.clone()
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

fn more(out: &mut String, n: usize) {
    if n > 0 {
        let _ = writeln!(out, "…and {} more\n", thousands(n));
    }
}

fn details(out: &mut String, summary: &str, body: &str) {
    let _ = write!(
        out,
        "<details><summary>{summary}</summary>\n\n{body}</details>\n\n"
    );
}

/// The markdown report, within [`MARKDOWN_BUDGET`] characters: lists are cut
/// shorter ("…and N more") until it fits. `failures` are crossed
/// `--fail-on` thresholds.
pub fn markdown(r: &Report, failures: &[String]) -> String {
    let mut last = String::new();
    for limit in [50, 25, 10, 5, 0] {
        last = markdown_with(r, failures, limit);
        if last.chars().count() <= MARKDOWN_BUDGET {
            return last;
        }
    }
    // even without lists it does not fit: cut at a line
    let mut cut = String::new();
    for line in last.lines() {
        if cut.chars().count() + line.chars().count() + 80 > MARKDOWN_BUDGET {
            break;
        }
        cut.push_str(line);
        cut.push('\n');
    }
    cut.push_str("\n…the rest of the report is cut: run `vital diff` locally.\n");
    cut
}

fn markdown_with(r: &Report, failures: &[String], limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Vital diff: {} → {}\n",
        md_code(&r.base.label),
        md_code(&r.head.label)
    );
    if failures.is_empty() {
        // nothing to say
    } else {
        let _ = writeln!(out, "**Failed:**\n");
        for f in failures {
            let _ = writeln!(out, "- {}", md_escape(f));
        }
        out.push('\n');
    }
    let rows: Vec<Vec<String>> = summary_rows(r)
        .into_iter()
        .map(|[a, b, c, d]| {
            vec![a, b, c, d]
                .into_iter()
                .map(|x| md_escape(&x))
                .collect()
        })
        .collect();
    table(
        &mut out,
        &["", "base", "head", "change"],
        &[false, true, true, true],
        &rows,
    );
    let rec = &r.records;
    let _ = writeln!(
        out,
        "{} records read from {}{}; {} accounts scored by base only, {} by head only.\n",
        thousands(rec.read),
        rec.inputs
            .iter()
            .map(|i| md_code(i))
            .collect::<Vec<_>>()
            .join(", "),
        if rec.shared {
            " (parsed once, evaluated under both rule sets)"
        } else {
            " (each side read them under its own schema)"
        },
        thousands(r.accounts.only_base),
        thousands(r.accounts.only_head)
    );
    // statuses
    let s = &r.statuses;
    let mut body = String::new();
    if s.matrix.is_empty() {
        body.push_str("No account was compared.\n\n");
    } else {
        body.push_str("Transitions (base → head: accounts");
        if r.value_signal.is_some() {
            body.push_str(", value");
        }
        body.push_str("):\n\n");
        let mut arms: Vec<Option<String>> = s.arms.iter().cloned().map(Some).collect();
        if s.matrix.iter().any(|t| t.from.is_none() || t.to.is_none()) {
            arms.push(None);
        }
        let used = |a: &Option<String>| s.matrix.iter().any(|t| &t.from == a || &t.to == a);
        let arms: Vec<Option<String>> = arms.into_iter().filter(used).collect();
        let mut head: Vec<String> = vec!["base ↓ head →".into()];
        head.extend(arms.iter().map(|a| md_escape(&status_name(a))));
        let rows: Vec<Vec<String>> = arms
            .iter()
            .map(|from| {
                let mut row = vec![format!("**{}**", md_escape(&status_name(from)))];
                for to in &arms {
                    let cell = s.matrix.iter().find(|t| &t.from == from && &t.to == to);
                    row.push(match cell {
                        None => String::new(),
                        Some(t) => {
                            let mut c = thousands(t.count);
                            if let Some(v) = t.value {
                                c.push_str(&format!(" · {}", money(v)));
                            }
                            if from == to {
                                c
                            } else {
                                format!("**{c}**")
                            }
                        }
                    });
                }
                row
            })
            .collect();
        let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
        let align: Vec<bool> = std::iter::once(false)
            .chain(arms.iter().map(|_| true))
            .collect();
        table(&mut body, &head_refs, &align, &rows);
    }
    if !s.changes.is_empty() {
        let mut head = vec!["account", "base", "head", "health"];
        if r.value_signal.is_some() {
            head.push("value");
        }
        let rows: Vec<Vec<String>> = s
            .changes
            .iter()
            .take(limit)
            .map(|c| {
                let mut row = vec![
                    md_escape(&c.account),
                    md_escape(&status_name(&c.from)),
                    md_escape(&status_name(&c.to)),
                    format!("{} → {}", pts(c.base_health), pts(c.head_health)),
                ];
                if r.value_signal.is_some() {
                    row.push(c.value.map(money).unwrap_or_default());
                }
                row
            })
            .collect();
        let align: Vec<bool> = head.iter().map(|h| *h == "value").collect();
        if !rows.is_empty() {
            table(&mut body, &head, &align, &rows);
        }
        more(&mut body, s.changes.len().saturating_sub(limit));
    }
    details(
        &mut out,
        &format!(
            "Status: {} account{} change status",
            thousands(s.changed),
            if s.changed == 1 { "" } else { "s" }
        ),
        &body,
    );
    // health
    let h = &r.health;
    let mut body = String::new();
    let rows: Vec<Vec<String>> = h
        .quantiles
        .iter()
        .map(|q| {
            vec![
                format!("p{}", (q.q * 100.0).round()),
                pts(q.base),
                pts(q.head),
                signed(q.shift),
            ]
        })
        .chain(std::iter::once(vec![
            "mean".into(),
            mean_pts(h.base_mean),
            mean_pts(h.head_mean),
            mean_signed(h.mean_shift),
        ]))
        .collect();
    table(
        &mut body,
        &["", "base", "head", "shift"],
        &[false, true, true, true],
        &rows,
    );
    let total: usize = h.histogram.iter().map(|b| b.count).sum();
    if total > 0 {
        let rows: Vec<Vec<String>> = h
            .histogram
            .iter()
            .map(|b| {
                let width = (b.count * 30).div_ceil(total.max(1));
                vec![
                    md_escape(&b.label),
                    thousands(b.count),
                    "█".repeat(if b.count > 0 { width.max(1) } else { 0 }),
                ]
            })
            .collect();
        table(
            &mut body,
            &["health change", "accounts", ""],
            &[false, true, false],
            &rows,
        );
    }
    if !h.largest.is_empty() && limit > 0 {
        let rows: Vec<Vec<String>> = h
            .largest
            .iter()
            .take(limit.min(25))
            .map(|m| {
                let rules: Vec<String> = m
                    .rules
                    .iter()
                    .map(|f| {
                        let sign = if f.head { "+" } else { "−" };
                        format!("{sign} {}", md_code(&f.rule))
                    })
                    .collect();
                vec![
                    md_escape(&m.account),
                    format!("{:.1} → {:.1}", m.base, m.head),
                    signed(Some(m.delta)),
                    format!(
                        "{} → {}",
                        md_escape(&status_name(&m.base_status)),
                        md_escape(&status_name(&m.head_status))
                    ),
                    if rules.is_empty() {
                        "(the same rules fire)".into()
                    } else {
                        rules.join("<br>")
                    },
                ]
            })
            .collect();
        body.push_str("Largest changes (+ fires only in head, − only in base):\n\n");
        table(
            &mut body,
            &[
                "account",
                "health",
                "change",
                "status",
                "rules that fire differently",
            ],
            &[false, true, true, false, false],
            &rows,
        );
    }
    details(
        &mut out,
        &format!(
            "Health: mean {} → {} ({}), {} account{} changed",
            mean_pts(h.base_mean),
            mean_pts(h.head_mean),
            mean_signed(h.mean_shift),
            thousands(h.changed),
            if h.changed == 1 { "" } else { "s" }
        ),
        &body,
    );
    // rules
    let changed: Vec<&RuleRow> = r.rules.iter().filter(|x| interesting(x)).collect();
    let mut body = String::new();
    if changed.is_empty() {
        body.push_str("Every rule fires for the same accounts.\n\n");
    } else {
        let rows: Vec<Vec<String>> = changed
            .iter()
            .take(limit.max(10))
            .map(|x| {
                let name = match &x.name {
                    Some(n) => format!("\"{}\"", md_escape(n)),
                    None => md_code(&x.text),
                };
                vec![
                    name,
                    kind(x.kind).into(),
                    rule_change(x).into(),
                    count_of(x.base),
                    count_of(x.head),
                    thousands(x.differs),
                ]
            })
            .collect();
        table(
            &mut body,
            &[
                "rule",
                "kind",
                "change",
                "base fires",
                "head fires",
                "accounts that differ",
            ],
            &[false, false, false, true, true, true],
            &rows,
        );
        more(&mut body, changed.len().saturating_sub(limit.max(10)));
    }
    details(
        &mut out,
        &format!(
            "Rules: {} of {} fire differently or changed",
            changed.len(),
            r.rules.len()
        ),
        &body,
    );
    // scores
    let mut body = String::new();
    let rows: Vec<Vec<String>> = r
        .scores
        .iter()
        .map(|x| {
            vec![
                md_escape(&x.name),
                md_escape(&score_change(x)),
                format!(
                    "{} → {}",
                    x.base_weight.map_or("—".into(), |w| format!("{w}")),
                    x.head_weight.map_or("—".into(), |w| format!("{w}"))
                ),
                mean_pts(x.base_mean),
                mean_pts(x.head_mean),
                mean_signed(x.mean_shift),
                format!("+{} / -{}", x.became_na, x.no_longer_na),
            ]
        })
        .collect();
    table(
        &mut body,
        &[
            "score",
            "change",
            "weight",
            "base mean",
            "head mean",
            "shift",
            "n/a",
        ],
        &[false, false, true, true, true, true, true],
        &rows,
    );
    let moved_scores = r
        .scores
        .iter()
        .filter(|x| x.change != ScoreChange::Same || x.mean_shift.is_some_and(|s| s != 0.0))
        .count();
    details(
        &mut out,
        &format!("Scores: {moved_scores} changed or shifted"),
        &body,
    );
    // playbooks
    let mut body = String::new();
    if r.playbooks.is_empty() {
        body.push_str("No rule triggers a playbook.\n\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .playbooks
            .iter()
            .map(|p| {
                vec![
                    md_escape(&p.name),
                    thousands(p.base),
                    thousands(p.head),
                    format!("+{}", thousands(p.started)),
                    format!("-{}", thousands(p.stopped)),
                ]
            })
            .collect();
        table(
            &mut body,
            &["playbook", "base", "head", "started", "stopped"],
            &[false, true, true, true, true],
            &rows,
        );
    }
    let started: usize = r.playbooks.iter().map(|p| p.started).sum();
    let stopped: usize = r.playbooks.iter().map(|p| p.stopped).sum();
    details(
        &mut out,
        &format!("Playbooks: {started} started, {stopped} stopped"),
        &body,
    );
    // schema
    let sc = &r.schema;
    let mut body = String::new();
    let mut n = 0;
    for (what, c) in [
        ("signal", &sc.signals),
        ("event", &sc.events),
        ("score", &sc.scores),
        ("status arm", &sc.statuses),
    ] {
        for d in &c.added {
            n += 1;
            let _ = writeln!(
                body,
                "- {what} {} added: {}",
                md_code(&d.name),
                md_code(&d.ty)
            );
        }
        for d in &c.removed {
            n += 1;
            let _ = writeln!(
                body,
                "- {what} {} removed (was {})",
                md_code(&d.name),
                md_code(&d.ty)
            );
        }
        for d in &c.retyped {
            n += 1;
            let _ = writeln!(
                body,
                "- {what} {}: {} → {}",
                md_code(&d.name),
                md_code(&d.base),
                md_code(&d.head)
            );
        }
    }
    if n == 0 {
        body.push_str("No declaration added, removed or retyped.\n");
    }
    body.push('\n');
    if !rec.head_rejections.is_empty() {
        let _ = writeln!(
            body,
            "Head rejects {} of {} records{}:\n",
            thousands(rec.head_rejected),
            thousands(rec.read),
            if rec.shared { " (so does base)" } else { "" }
        );
        for x in rec.head_rejections.iter().take(limit.max(5)) {
            let _ = writeln!(body, "- {} × {}", thousands(x.count), md_escape(&x.reason));
        }
        body.push('\n');
        more(
            &mut body,
            rec.head_rejections.len().saturating_sub(limit.max(5)),
        );
    }
    details(
        &mut out,
        &format!(
            "Schema: {n} change{}, head rejects {} record{}",
            if n == 1 { "" } else { "s" },
            thousands(rec.head_rejected),
            if rec.head_rejected == 1 { "" } else { "s" }
        ),
        &body,
    );
    // tests
    let t = &r.tests;
    let mut body = String::new();
    let _ = writeln!(
        body,
        "base: {} passed, {} failed · head: {} passed, {} failed\n",
        t.base.passed, t.base.failed, t.head.passed, t.head.failed
    );
    for (what, list) in [
        ("Newly failing", &t.newly_failing),
        ("Newly passing", &t.newly_passing),
    ] {
        if !list.is_empty() {
            let _ = writeln!(body, "{what}:\n");
            for name in list.iter().take(limit.max(10)) {
                let _ = writeln!(body, "- {}", md_escape(name));
            }
            body.push('\n');
            more(&mut body, list.len().saturating_sub(limit.max(10)));
        }
    }
    details(
        &mut out,
        &format!(
            "Tests: {} newly failing, {} newly passing",
            t.newly_failing.len(),
            t.newly_passing.len()
        ),
        &body,
    );
    out
}

// ------------------------------------------------------------------ human

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn bad(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn good(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    /// A signed change: red when it is a loss, green when a gain.
    fn mean_shift(&self, x: Option<f64>) -> String {
        let s = mean_signed(x);
        match x {
            Some(v) if v <= -0.005 => self.bad(&s),
            Some(v) if v >= 0.005 => self.good(&s),
            _ => s,
        }
    }

    fn shift(&self, x: Option<f64>) -> String {
        let s = signed(x);
        match x {
            Some(v) if v <= -0.05 => self.bad(&s),
            Some(v) if v >= 0.05 => self.good(&s),
            _ => s,
        }
    }
}

/// The report for a terminal. `limit` caps each list.
pub fn human(r: &Report, failures: &[String], color: bool, limit: usize) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} → {}",
        p.bold("vital diff"),
        r.base.label,
        r.head.label
    );
    let rec = &r.records;
    let _ = writeln!(
        out,
        "{} records read from {} ({}); {} accounts compared{}",
        thousands(rec.read),
        rec.inputs.join(", "),
        if rec.shared {
            "parsed once, evaluated twice"
        } else {
            "each side with its own schema"
        },
        thousands(r.accounts.compared),
        if r.accounts.only_base + r.accounts.only_head > 0 {
            format!(
                ", {} scored by base only, {} by head only",
                thousands(r.accounts.only_base),
                thousands(r.accounts.only_head)
            )
        } else {
            String::new()
        }
    );
    out.push('\n');
    let rows = summary_rows(r);
    let w0 = rows.iter().map(|x| x[0].chars().count()).max().unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|x| x[1].chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let w2 = rows
        .iter()
        .map(|x| x[2].chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        out,
        "  {:w0$}  {:>w1$}  {:>w2$}  change",
        "", "base", "head"
    );
    for [a, b, c, d] in &rows {
        let _ = writeln!(out, "  {a:w0$}  {b:>w1$}  {c:>w2$}  {d}");
    }
    // statuses
    let s = &r.statuses;
    if s.matrix.iter().any(|t| t.from != t.to) {
        let _ = writeln!(out, "\n{}", p.bold("status transitions"));
        for t in s.matrix.iter().filter(|t| t.from != t.to) {
            let v = t
                .value
                .map(|v| format!("  value {}", money(v)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:>7}  {} → {}{v}",
                thousands(t.count),
                status_name(&t.from),
                status_name(&t.to)
            );
        }
        let _ = writeln!(out, "\n{}", p.bold("accounts whose status changed"));
        for c in s.changes.iter().take(limit) {
            let v = c
                .value
                .map(|v| format!("  value {}", money(v)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}  {} → {}  health {} → {}{v}",
                c.account,
                status_name(&c.from),
                status_name(&c.to),
                pts(c.base_health),
                pts(c.head_health)
            );
        }
        if s.changes.len() > limit {
            let _ = writeln!(out, "  …and {} more", thousands(s.changes.len() - limit));
        }
    }
    // health
    let h = &r.health;
    let _ = writeln!(out, "\n{}", p.bold("health"));
    for q in &h.quantiles {
        let _ = writeln!(
            out,
            "  p{:<3} {:>6} → {:>6}  {}",
            (q.q * 100.0).round(),
            pts(q.base),
            pts(q.head),
            p.shift(q.shift)
        );
    }
    let _ = writeln!(
        out,
        "  mean {:>6} → {:>6}  {}",
        mean_pts(h.base_mean),
        mean_pts(h.head_mean),
        p.mean_shift(h.mean_shift)
    );
    let total: usize = h.histogram.iter().map(|b| b.count).sum();
    if total > 0 && h.changed > 0 {
        let _ = writeln!(out, "  change in health:");
        for b in &h.histogram {
            let width = (b.count * 40).div_ceil(total);
            let _ = writeln!(
                out,
                "  {:>12}  {:>7}  {}",
                b.label,
                thousands(b.count),
                p.dim(&"█".repeat(if b.count > 0 { width.max(1) } else { 0 }))
            );
        }
    }
    if !h.largest.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("largest changes"));
        for m in h.largest.iter().take(limit.min(25)) {
            let _ = writeln!(
                out,
                "  {}  {:.1} → {:.1} ({})  {} → {}",
                m.account,
                m.base,
                m.head,
                p.shift(Some(m.delta)),
                status_name(&m.base_status),
                status_name(&m.head_status)
            );
            for f in &m.rules {
                let (sign, side) = if f.head {
                    (p.good("+"), "fires only in head")
                } else {
                    (p.bad("-"), "fires only in base")
                };
                let _ = writeln!(out, "      {sign} {} {}", f.rule, p.dim(side));
            }
        }
    }
    // rules
    let changed: Vec<&RuleRow> = r.rules.iter().filter(|x| interesting(x)).collect();
    let _ = writeln!(out, "\n{}", p.bold("rules (accounts each fires for)"));
    if changed.is_empty() {
        let _ = writeln!(out, "  every rule fires for the same accounts");
    }
    for x in changed.iter().take(limit.max(10)) {
        let label = match &x.name {
            Some(n) => format!("\"{n}\""),
            None => x.text.clone(),
        };
        let change = rule_change(x);
        let _ = writeln!(
            out,
            "  {:>7} → {:<7} {}{}{}",
            count_of(x.base),
            count_of(x.head),
            label,
            p.dim(&format!(" ({})", kind(x.kind))),
            if change.is_empty() {
                String::new()
            } else {
                format!(" {}", p.bold(change))
            }
        );
    }
    if changed.len() > limit.max(10) {
        let _ = writeln!(out, "  …and {} more", changed.len() - limit.max(10));
    }
    // scores
    let _ = writeln!(out, "\n{}", p.bold("scores (mean)"));
    for x in &r.scores {
        let change = score_change(x);
        let na = if x.became_na + x.no_longer_na > 0 {
            format!("  n/a +{} / -{}", x.became_na, x.no_longer_na)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<16} {:>6} → {:>6}  {}{na}{}",
            x.name,
            mean_pts(x.base_mean),
            mean_pts(x.head_mean),
            p.mean_shift(x.mean_shift),
            if change.is_empty() {
                String::new()
            } else {
                format!("  {}", p.bold(&change))
            }
        );
    }
    // playbooks
    if !r.playbooks.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("playbooks"));
        for x in &r.playbooks {
            let _ = writeln!(
                out,
                "  {:<28} {:>7} → {:<7} started {}, stopped {}",
                x.name,
                thousands(x.base),
                thousands(x.head),
                thousands(x.started),
                thousands(x.stopped)
            );
        }
    }
    // schema
    let sc = &r.schema;
    let mut lines = Vec::new();
    for (what, c) in [
        ("signal", &sc.signals),
        ("event", &sc.events),
        ("score", &sc.scores),
        ("status arm", &sc.statuses),
    ] {
        for d in &c.added {
            lines.push(format!("  + {what} {}: {}", d.name, d.ty));
        }
        for d in &c.removed {
            lines.push(format!("  - {what} {}: {}", d.name, d.ty));
        }
        for d in &c.retyped {
            lines.push(format!("  ~ {what} {}: {} → {}", d.name, d.base, d.head));
        }
    }
    if !lines.is_empty() || !rec.head_rejections.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("schema"));
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        if !rec.head_rejections.is_empty() {
            let _ = writeln!(
                out,
                "  head rejects {} of {} records:",
                thousands(rec.head_rejected),
                thousands(rec.read)
            );
            for x in rec.head_rejections.iter().take(limit.max(5)) {
                let _ = writeln!(out, "    {} × {}", thousands(x.count), x.reason);
            }
        }
    }
    // tests
    let t = &r.tests;
    let _ = writeln!(
        out,
        "\n{}  base {} passed, {} failed · head {} passed, {} failed",
        p.bold("tests"),
        t.base.passed,
        t.base.failed,
        t.head.passed,
        t.head.failed
    );
    for n in &t.newly_failing {
        let _ = writeln!(out, "  {} {n}", p.bad("newly failing:"));
    }
    for n in &t.newly_passing {
        let _ = writeln!(out, "  {} {n}", p.good("newly passing:"));
    }
    if !failures.is_empty() {
        out.push('\n');
        for f in failures {
            let _ = writeln!(out, "{} {f}", p.bad("failed:"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(money(-1234.6), "-1,235");
        assert_eq!(pct(0.0004), "<0.1%");
        assert_eq!(signed(Some(-0.001)), "0");
        assert_eq!(signed(Some(1.25)), "+1.2");
    }

    #[test]
    fn markdown_text_is_escaped() {
        assert_eq!(
            md_escape("a|b <i>*x*</i>"),
            "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt;"
        );
        assert_eq!(md_code("a | b"), "`a \\| b`");
    }
}
