//! The formatter: one canonical layout, every comment kept.
//!
//! * One declaration per line; a rule on one line when it fits in
//!   [`WIDTH`] columns, otherwise `rule`, `when` and the action each on a line
//!   of their own.
//! * `status` arms one per line, indented two spaces, names padded so that
//!   `when`/`otherwise` line up; a score whose base is a `band` lists the arms
//!   one per line; `test` blocks are laid out one statement per line.
//! * Single spaces around operators and after commas; literals are printed as
//!   written (`250k`, `20%`).
//! * Comments stay where they were: between declarations, at the end of a
//!   line, or on their own line inside a block. At most one blank line is
//!   kept between lines. An item with a comment somewhere the layout cannot
//!   hold it (inside an expression) is kept exactly as written.
//!
//! Formatting is idempotent and never changes meaning; the fixture tests
//! check both over the whole corpus.

use crate::ast::*;
use crate::lexer::{Token, TokenKind};
use crate::{parse, Code, Diagnostic, FileId, Span};

/// The line width the layout aims for.
pub const WIDTH: usize = 100;

/// Format a file. A file that does not parse is not formatted: its syntax
/// diagnostics are returned instead.
pub fn format_source(file: FileId, source: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = parse(file, source);
    let fatal: Vec<Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::Syntax | Code::TooDeep))
        .cloned()
        .collect();
    if !fatal.is_empty() {
        return Err(fatal);
    }
    let comments: Vec<Token> = parsed
        .tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Comment)
        .copied()
        .collect();
    let mut out = Out::default();
    let mut last_end: Option<usize> = None;
    let mut ci = 0;
    for (item, cut) in parsed.file.items.iter().zip(parsed.cuts.iter()) {
        // comments before this item
        while ci < comments.len() && comments[ci].span.start < cut.span.start {
            let c = comments[ci];
            out.comment(source, last_end, c);
            last_end = Some(c.span.end);
            ci += 1;
        }
        let inner_start = ci;
        while ci < comments.len() && comments[ci].span.start < cut.span.end {
            ci += 1;
        }
        let inner = &comments[inner_start..ci];
        if let Some(prev) = last_end {
            out.gap(source, prev, cut.span.start);
        }
        let placed = layouts(item).iter().find_map(|l| place(source, l, inner));
        let lines = match placed {
            Some(lines) => lines,
            None => source[cut.span.start..cut.span.end]
                .lines()
                .map(|l| l.trim_end().to_string())
                .collect(),
        };
        out.lines.extend(lines);
        last_end = Some(cut.span.end);
    }
    while ci < comments.len() {
        let c = comments[ci];
        out.comment(source, last_end, c);
        last_end = Some(c.span.end);
        ci += 1;
    }
    let mut text = out.lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    // the file's line endings stay: a CRLF file (a Windows checkout) formats
    // to CRLF, so `fmt --check` passes on it
    if crlf(source) {
        text = text.replace('\n', "\r\n");
    }
    Ok(text)
}

/// Whether a file's lines end in CRLF (decided by its first line ending).
fn crlf(source: &str) -> bool {
    source
        .find('\n')
        .is_some_and(|i| source[..i].ends_with('\r'))
}

#[derive(Default)]
struct Out {
    lines: Vec<String>,
}

impl Out {
    /// A blank line when the source had one between `from` and `to`.
    fn gap(&mut self, source: &str, from: usize, to: usize) {
        if blank_between(source, from, to) && !self.lines.is_empty() {
            self.lines.push(String::new());
        }
    }

    /// A comment between items: trailing when on the line of what precedes.
    fn comment(&mut self, source: &str, last_end: Option<usize>, c: Token) {
        let text = source[c.span.start..c.span.end].trim_end();
        if let Some(prev) = last_end {
            if !source[prev..c.span.start].contains('\n') {
                if let Some(l) = self.lines.last_mut() {
                    l.push_str("  ");
                    l.push_str(text);
                    return;
                }
            }
            self.gap(source, prev, c.span.start);
        }
        self.lines.push(text.to_string());
    }
}

fn blank_between(source: &str, from: usize, to: usize) -> bool {
    from <= to && source[from..to].matches('\n').count() >= 2
}

/// One line of an item's layout, and the source it stands for.
struct Seg {
    indent: usize,
    text: String,
    span: Span,
}

fn seg(indent: usize, text: impl Into<String>, span: Span) -> Seg {
    Seg {
        indent,
        text: text.into(),
        span,
    }
}

/// Put the comments inside an item onto the item's lines. `None` when a
/// comment sits inside a line's source (the caller keeps the item as is).
fn place(source: &str, segs: &[Seg], comments: &[Token]) -> Option<Vec<String>> {
    if segs.is_empty() {
        return None;
    }
    let mut leading: Vec<Vec<Token>> = (0..segs.len()).map(|_| Vec::new()).collect();
    let mut trailing: Vec<Option<Token>> = vec![None; segs.len()];
    for c in comments {
        let at = c.span.start;
        if segs.iter().any(|s| s.span.start <= at && at < s.span.end) {
            return None;
        }
        let prev = segs.iter().rposition(|s| s.span.end <= at);
        if let Some(p) = prev {
            if !source[segs[p].span.end..at].contains('\n')
                && trailing[p].is_none()
                && leading.get(p + 1).is_none_or(|l| l.is_empty())
            {
                trailing[p] = Some(*c);
                continue;
            }
        }
        let next = segs.iter().position(|s| s.span.start > at)?;
        leading[next].push(*c);
    }
    let mut lines = Vec::new();
    let mut prev_end: Option<usize> = None;
    for (i, s) in segs.iter().enumerate() {
        let pad = " ".repeat(s.indent);
        // comments before a closing brace belong to the block's inside
        let comment_pad = if s.text == "}" {
            " ".repeat(s.indent + 2)
        } else {
            pad.clone()
        };
        for c in &leading[i] {
            if let Some(p) = prev_end {
                if blank_between(source, p, c.span.start) {
                    lines.push(String::new());
                }
            }
            lines.push(format!(
                "{comment_pad}{}",
                source[c.span.start..c.span.end].trim_end()
            ));
            prev_end = Some(c.span.end);
        }
        if let Some(p) = prev_end {
            if blank_between(source, p, s.span.start) {
                lines.push(String::new());
            }
        }
        let mut line = s
            .text
            .lines()
            .map(|l| format!("{pad}{l}"))
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(c) = trailing[i] {
            line.push_str("  ");
            line.push_str(source[c.span.start..c.span.end].trim_end());
        }
        lines.push(line);
        prev_end = Some(trailing[i].map_or(s.span.end, |c| c.span.end));
    }
    Some(lines)
}

/// The layouts of an item, preferred first. The first one that can hold the
/// item's comments is used.
fn layouts(item: &Item) -> Vec<Vec<Seg>> {
    let whole = item.span;
    match &item.kind {
        ItemKind::Signal(s) => vec![vec![seg(
            0,
            format!(
                "signal {}: {}{}",
                s.name.name,
                type_text(&s.ty),
                if s.optional { "?" } else { "" }
            ),
            whole,
        )]],
        ItemKind::Event(e) => event_layout(e, whole),
        ItemKind::Const(c) => vec![vec![seg(
            0,
            format!("const {} = {}", c.name.name, expr(&c.value)),
            whole,
        )]],
        ItemKind::Score(s) => vec![score_layout(s, whole)],
        ItemKind::Status(s) => vec![status_layout(s)],
        ItemKind::Rule(r) => rule_layout(r, whole),
        ItemKind::Test(t) => vec![test_layout(t, whole)],
    }
}

fn type_text(t: &TypeExpr) -> String {
    match &t.kind {
        TypeKind::Enum(vs) => format!(
            "enum({})",
            vs.iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::Unknown(name) => name.name.clone(),
        other => other.keyword().to_string(),
    }
}

fn event_layout(e: &EventDecl, whole: Span) -> Vec<Vec<Seg>> {
    let Some(fields) = &e.fields else {
        return vec![vec![seg(0, format!("event {}", e.name.name), whole)]];
    };
    let field_text = |f: &FieldDecl| {
        format!(
            "{}: {}{}",
            f.name.name,
            type_text(&f.ty),
            if f.optional { "?" } else { "" }
        )
    };
    let one = if fields.is_empty() {
        format!("event {} {{}}", e.name.name)
    } else {
        format!(
            "event {} {{ {} }}",
            e.name.name,
            fields.iter().map(field_text).collect::<Vec<_>>().join(", ")
        )
    };
    let close = Span::new(whole.end.saturating_sub(1), whole.end);
    let first_field = fields.first().map_or(close.start, |f| f.span.start);
    let mut segs = vec![seg(
        0,
        format!("event {} {{", e.name.name),
        Span::new(whole.start, e.name.span.end),
    )];
    for (i, f) in fields.iter().enumerate() {
        let comma = if i + 1 < fields.len() { "," } else { "" };
        // the field's line covers its comma too
        let end = fields
            .get(i + 1)
            .map_or(f.span.end, |n| n.span.start.min(f.span.end + 1));
        segs.push(seg(
            2,
            format!("{}{comma}", field_text(f)),
            Span::new(f.span.start, end.max(f.span.end)),
        ));
    }
    segs.push(seg(0, "}", close));
    let _ = first_field;
    if one.chars().count() <= WIDTH {
        vec![vec![seg(0, one, whole)], segs]
    } else {
        vec![segs]
    }
}

fn score_layout(s: &ScoreDecl, whole: Span) -> Vec<Seg> {
    let head = format!("score {} weight {}", s.name.name, s.weight.text);
    match &s.base {
        None => vec![seg(0, head, whole)],
        Some(Expr {
            kind:
                ExprKind::Band {
                    input,
                    arms,
                    open,
                    close,
                },
            ..
        }) => {
            let mut segs = vec![seg(
                0,
                format!("{head} = band {} {{", expr(input)),
                Span::new(whole.start, open.end),
            )];
            for arm in arms {
                segs.push(seg(2, band_arm(arm), arm.span));
            }
            segs.push(seg(0, "}", *close));
            segs
        }
        Some(base) => vec![seg(
            0,
            format!("{head} = {}", pretty(base, head.len() + 3, 0)),
            whole,
        )],
    }
}

fn status_layout(s: &StatusDecl) -> Vec<Seg> {
    let width = s
        .arms
        .iter()
        .map(|a| a.name.name.chars().count())
        .max()
        .unwrap_or(0);
    let first = s.arms.first().map_or(s.close.start, |a| a.span.start);
    let mut segs = vec![seg(
        0,
        "status {",
        Span::new(s.keyword.start, s.keyword.end.max(first.min(s.keyword.end))),
    )];
    for arm in &s.arms {
        let pad = " ".repeat(width - arm.name.name.chars().count());
        let text = match &arm.cond {
            Some(c) => format!("{}{pad} when {}", arm.name.name, expr(c)),
            None => format!("{}{pad} otherwise", arm.name.name),
        };
        segs.push(seg(2, text, arm.span));
    }
    segs.push(seg(0, "}", s.close));
    segs
}

fn action_text(a: &Action) -> String {
    match a {
        Action::Add { amount, score } => format!("add {} to {}", pretty(amount, 4, 0), score.name),
        Action::Subtract { amount, score } => {
            format!("subtract {} from {}", pretty(amount, 9, 0), score.name)
        }
        Action::Trigger {
            playbook,
            cooldown,
            owner,
        } => {
            // the clauses in one order, `cooldown` first, whichever order
            // they were written in
            let mut text = format!("trigger {}", playbook.raw);
            if let Some(c) = cooldown {
                text.push_str(&format!(" cooldown {} {}", c.amount, c.unit_text));
            }
            if let Some(o) = owner {
                text.push_str(&format!(" owner {}", o.signal.name));
            }
            text
        }
    }
}

fn rule_layout(r: &RuleDecl, whole: Span) -> Vec<Vec<Seg>> {
    let mut parts: Vec<(String, Span)> = Vec::new();
    if let (Some(n), Some(h)) = (&r.name, r.header) {
        parts.push((format!("rule {}", n.raw), h));
    }
    if let (Some(c), Some(w)) = (&r.cond, r.when_span) {
        parts.push((when_text(c), w));
    }
    parts.push((action_text(&r.action), r.action_span));
    let one = parts
        .iter()
        .map(|p| p.0.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let multi: Vec<Seg> = parts.into_iter().map(|(t, s)| seg(0, t, s)).collect();
    if one.chars().count() <= WIDTH {
        vec![vec![seg(0, one, whole)], multi]
    } else {
        vec![multi]
    }
}

/// `when COND`; a condition too long for one line is broken before each
/// top-level `and` (or `or`), continuation lines indented.
fn when_text(c: &Expr) -> String {
    let one = format!("when {}", expr(c));
    if one.chars().count() <= WIDTH {
        return one;
    }
    let (word, parts) = match &c.kind {
        ExprKind::And(..) => ("and", chain(c, true)),
        ExprKind::Or(..) => ("or", chain(c, false)),
        _ => return one,
    };
    let mut out = format!("when {}", pretty(parts[0], 5, 0));
    for p in &parts[1..] {
        let lead = format!("  {word} ");
        out.push_str(&format!("\n{lead}{}", pretty(p, lead.len(), 2)));
    }
    out
}

/// An expression laid out to fit [`WIDTH`]: flat when it fits from column
/// `col`, otherwise calls put one argument per line (indented from
/// `indent`) and binary operators break their operands the same way.
pub fn pretty(e: &Expr, col: usize, indent: usize) -> String {
    let flat = expr(e);
    if col + flat.chars().count() <= WIDTH {
        return flat;
    }
    let end_col = |text: &str, start: usize| match text.rfind('\n') {
        Some(i) => text[i + 1..].chars().count(),
        None => start + text.chars().count(),
    };
    // the right operand stays on the line when it fits there, else it goes
    // on the next line, operator first
    let binary = |a: &Expr, op: &str, b: &Expr| {
        let l = pretty(a, col, indent);
        let c = end_col(&l, col) + op.len() + 2;
        if c + expr(b).chars().count() <= WIDTH {
            return format!("{l} {op} {}", expr(b));
        }
        let next = indent + 2;
        format!(
            "{l}\n{}{op} {}",
            " ".repeat(next),
            pretty(b, next + op.len() + 1, next)
        )
    };
    match &e.kind {
        ExprKind::Call { name, args } if !args.is_empty() => {
            let inner = " ".repeat(indent + 2);
            let mut out = format!("{}(\n", name.name);
            for (i, a) in args.iter().enumerate() {
                out.push_str(&inner);
                out.push_str(&pretty(a, indent + 2, indent + 2));
                if i + 1 < args.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push(')');
            out
        }
        ExprKind::Arith(op, a, b) => binary(a, op.as_str(), b),
        ExprKind::Compare(op, a, b) => {
            let l = pretty(a, col, indent);
            let c = end_col(&l, col) + op.as_str().len() + 2;
            format!("{l} {} {}", op.as_str(), pretty(b, c, indent))
        }
        ExprKind::And(a, b) => binary(a, "and", b),
        ExprKind::Or(a, b) => binary(a, "or", b),
        ExprKind::Coalesce(a, b) => binary(a, "??", b),
        ExprKind::Paren(inner) => format!("({})", pretty(inner, col + 1, indent)),
        ExprKind::Not(inner) => format!("not {}", pretty(inner, col + 4, indent)),
        _ => flat,
    }
}

/// The operands of a left-nested `and` (or `or`) chain, in order.
fn chain(e: &Expr, and: bool) -> Vec<&Expr> {
    match (&e.kind, and) {
        (ExprKind::And(a, b), true) | (ExprKind::Or(a, b), false) => {
            let mut v = chain(a, and);
            v.push(b);
            v
        }
        _ => vec![e],
    }
}

fn assignment(a: &Assignment) -> String {
    format!("{} = {}", a.name.name, test_value(&a.value))
}

fn test_value(v: &TestValue) -> String {
    let body = match &v.kind {
        TestValueKind::Number(n) | TestValueKind::Percent(n) => n.text.clone(),
        TestValueKind::Str(s) => s.raw.clone(),
        TestValueKind::Bool(b) => b.to_string(),
        TestValueKind::Date(d) => d.text.clone(),
        TestValueKind::Duration(d) => d.text.clone(),
        TestValueKind::Name(n) => n.name.clone(),
    };
    if v.negative {
        format!("-{body}")
    } else {
        body
    }
}

fn test_layout(t: &TestDecl, whole: Span) -> Vec<Seg> {
    let mut segs = vec![seg(
        0,
        format!("test {} {{", t.name.raw),
        Span::new(whole.start, t.name.span.end),
    )];
    segs.push(seg(2, format!("as_of {}", t.as_of.text), t.as_of_span));
    if let Some(b) = &t.given {
        segs.push(seg(2, "given {", b.open));
        for a in &b.entries {
            segs.push(seg(4, assignment(a), a.span));
        }
        segs.push(seg(2, "}", b.close));
    }
    if let Some(b) = &t.events {
        segs.push(seg(2, "events {", b.open));
        for e in &b.entries {
            let mut text = format!("{} on {}", e.event.name, e.date.text);
            if let Some(fields) = &e.fields {
                if fields.is_empty() {
                    text.push_str(" {}");
                } else {
                    text.push_str(&format!(
                        " {{ {} }}",
                        fields.iter().map(assignment).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            segs.push(seg(4, text, e.span));
        }
        segs.push(seg(2, "}", b.close));
    }
    if let Some(b) = &t.history {
        segs.push(seg(2, "history {", b.open));
        for h in &b.entries {
            if let [only] = h.values.as_slice() {
                let one = format!("on {} {{ {} }}", h.date.text, assignment(only));
                if one.chars().count() + 4 <= WIDTH {
                    segs.push(seg(4, one, h.span));
                    continue;
                }
            }
            segs.push(seg(
                4,
                format!("on {} {{", h.date.text),
                Span::new(h.span.start, h.open.end),
            ));
            for a in &h.values {
                segs.push(seg(6, assignment(a), a.span));
            }
            segs.push(seg(4, "}", h.close));
        }
        segs.push(seg(2, "}", b.close));
    }
    for e in &t.expects {
        let text = match &e.kind {
            ExpectKind::Cond(c) => format!("expect {}", expr(c)),
            ExpectKind::Triggered { negated, playbook } => {
                format!(
                    "expect {}triggered {}",
                    if *negated { "not " } else { "" },
                    playbook.raw
                )
            }
            ExpectKind::Started {
                negated, playbook, ..
            } => {
                format!(
                    "expect {}started {}",
                    if *negated { "not " } else { "" },
                    playbook.raw
                )
            }
        };
        segs.push(seg(2, text, e.span));
    }
    segs.push(seg(0, "}", t.close));
    segs
}

fn band_arm(arm: &BandArm) -> String {
    match &arm.test {
        Some((op, v)) => format!("{} {} => {}", op.as_str(), expr(v), expr(&arm.result)),
        None => format!("otherwise => {}", expr(&arm.result)),
    }
}

/// An expression in canonical spacing (parentheses as written).
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) | ExprKind::Percent(n) => n.text.clone(),
        ExprKind::Str(s) => s.raw.clone(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Date(d) => d.text.clone(),
        ExprKind::Duration(d) => d.text.clone(),
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Query(q) => {
            let mut s = q.event.name.clone();
            if let Some(f) = &q.field {
                s.push('.');
                s.push_str(&f.name);
            }
            if let Some(c) = &q.filter {
                s.push_str(" where ");
                s.push_str(&expr(c));
            }
            if let Some(w) = &q.within {
                s.push_str(" within ");
                s.push_str(&expr(w));
            }
            s
        }
        ExprKind::Health => "health".into(),
        ExprKind::Status => "status".into(),
        ExprKind::Paren(inner) => format!("({})", expr(inner)),
        ExprKind::Neg(inner) => {
            let s = expr(inner);
            if s.starts_with('-') {
                format!("- {s}")
            } else {
                format!("-{s}")
            }
        }
        ExprKind::Not(inner) => format!("not {}", expr(inner)),
        ExprKind::Arith(op, a, b) => format!("{} {} {}", expr(a), op.as_str(), expr(b)),
        ExprKind::Compare(op, a, b) => format!("{} {} {}", expr(a), op.as_str(), expr(b)),
        ExprKind::And(a, b) => format!("{} and {}", expr(a), expr(b)),
        ExprKind::Or(a, b) => format!("{} or {}", expr(a), expr(b)),
        ExprKind::Coalesce(a, b) => format!("{} ?? {}", expr(a), expr(b)),
        ExprKind::In {
            value,
            list,
            negated,
        } => format!(
            "{} {}in ({})",
            expr(value),
            if *negated { "not " } else { "" },
            list.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::IsMissing { value, negated } => {
            format!(
                "{} is {}missing",
                expr(value),
                if *negated { "not " } else { "" }
            )
        }
        ExprKind::Call { name, args } => format!(
            "{}({})",
            name.name,
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Band { input, arms, .. } => format!(
            "band {} {{ {} }}",
            expr(input),
            arms.iter().map(band_arm).collect::<Vec<_>>().join("  ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_are_kept() {
        let lf = "signal   x: int # a note\n\n\nstatus {  ok when x > 1\n weak otherwise }\n";
        let want_lf =
            "signal x: int  # a note\n\nstatus {\n  ok   when x > 1\n  weak otherwise\n}\n";
        assert_eq!(format_source(FileId(0), lf).as_deref(), Ok(want_lf));
        let crlf = lf.replace('\n', "\r\n");
        let want_crlf = want_lf.replace('\n', "\r\n");
        let got = format_source(FileId(0), &crlf);
        assert_eq!(got.as_deref(), Ok(want_crlf.as_str()));
        // formatted CRLF text is already formatted
        assert_eq!(
            format_source(FileId(0), &want_crlf).as_deref(),
            Ok(want_crlf.as_str())
        );
    }

    fn fmt(text: &str) -> String {
        match format_source(FileId(0), text) {
            Ok(t) => t,
            Err(d) => panic!("{text:?} does not format: {d:#?}"),
        }
    }

    #[test]
    fn trigger_clauses_in_one_order_and_spacing() {
        let want = "when x > 1 trigger \"risk review\" cooldown 30 days owner csm\n";
        for text in [
            "when x > 1 trigger \"risk review\"   cooldown   30\n  days owner   csm",
            "when x > 1 trigger \"risk review\" owner csm cooldown 30 days",
        ] {
            assert_eq!(fmt(text), want, "{text}");
            assert_eq!(fmt(want), want);
        }
        // a lone clause; the unit as written (singular or plural)
        assert_eq!(
            fmt("when x>1 trigger \"a\"  owner owner"),
            "when x > 1 trigger \"a\" owner owner\n"
        );
        assert_eq!(
            fmt("when x>1 trigger \"a\" cooldown 1   week"),
            "when x > 1 trigger \"a\" cooldown 1 week\n"
        );
    }

    #[test]
    fn trigger_clauses_break_with_the_action_and_keep_comments() {
        let long = format!(
            "rule \"{}\" when x > 1 trigger \"risk review\" cooldown 2 weeks owner csm",
            "n".repeat(60)
        );
        let got = fmt(&long);
        assert_eq!(
            got,
            format!(
                "rule \"{}\"\nwhen x > 1\ntrigger \"risk review\" cooldown 2 weeks owner csm\n",
                "n".repeat(60)
            )
        );
        assert_eq!(fmt(&got), got);
        // a comment after the clauses stays at the end of the line
        let c = "when x > 1 trigger \"a\" cooldown 3 days  # three nights\n";
        assert_eq!(fmt(c), c);
        // a comment between the clauses: the rule is kept as written
        let inside = "when x > 1 trigger \"a\" owner csm # who\n  cooldown 3 days\n";
        assert_eq!(fmt(inside), inside);
    }

    #[test]
    fn expect_started() {
        let text = "test \"t\" {\n  as_of 2026-11-01\n  expect   started \"a\"\n  expect not   started \"b\"\n}\n";
        let want = "test \"t\" {\n  as_of 2026-11-01\n  expect started \"a\"\n  expect not started \"b\"\n}\n";
        assert_eq!(fmt(text), want);
        assert_eq!(fmt(want), want);
    }
}
