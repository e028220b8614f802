//! Completion: what may come at the cursor, read off the token stream (which
//! survives half-typed text) and the symbols of the last checked rule set —
//! names are resolved by name when the item under the cursor does not parse.
//!
//! Items are ranked with `sortText`: what fits the context first (a
//! variant of the enum being compared, a field inside `where`, a name of the
//! type the other operand has, the keyword that must come next), then other
//! names, then functions, then keywords.

use crate::analysis::Analysis;
use tower_lsp_server::ls_types::*;
use vital_check::ir::{RuleSet, Type};
use vital_syntax::lexer::{Token, TokenKind};
use vital_syntax::FileId;

/// Rank tiers (the first character of `sortText`).
const FITS: u8 = 0;
const NAME: u8 = 1;
const FUNCTION: u8 = 2;
const KEYWORD: u8 = 3;

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: String,
    doc: Option<&String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        documentation: doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d.clone(),
            })
        }),
        ..Default::default()
    }
}

fn keyword(label: &str) -> CompletionItem {
    item(label, CompletionItemKind::KEYWORD, "keyword".into(), None)
}

fn snippet(label: &str, body: &str, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(CompletionItemKind::SNIPPET),
        detail: Some(detail.to_string()),
        insert_text: Some(body.to_string()),
        insert_text_format: Some(InsertTextFormat::SNIPPET),
        ..Default::default()
    }
}

fn ranked(tier: u8, mut it: CompletionItem) -> CompletionItem {
    it.sort_text = Some(format!("{tier}{}", it.label));
    it
}

const DECLARATIONS: &[(&str, &str, &str)] = &[
    ("signal", "signal ${1:name}: ${2|int,number,percent,money,text,date,bool|}", "signal NAME: TYPE"),
    ("event", "event ${1:name}", "event NAME [{ FIELD: TYPE, … }]"),
    ("const", "const ${1:name} = ${2:value}", "const NAME = EXPR"),
    ("score", "score ${1:name} weight ${2:20}", "score NAME weight W [= EXPR]"),
    (
        "status",
        "status {\n  ${1:champion} when health >= ${2:80}\n  ${3:needs_attention} when health >= ${4:50}\n  ${5:danger} otherwise\n}",
        "status { NAME when COND … NAME otherwise }",
    ),
    ("rule", "rule \"${1:name}\" when ${2:condition} add ${3:10} to ${4:score}", "rule \"NAME\" when COND add N to SCORE"),
    ("when", "when ${1:condition}", "adjustment or trigger: when COND ACTION"),
    (
        "test",
        "test \"${1:name}\" {\n  as_of ${2:2026-11-01}\n  given {\n    $3\n  }\n  expect $0\n}",
        "test \"NAME\" { as_of DATE given { … } expect COND }",
    ),
    ("when … add", "when ${1:condition} add ${2:10} to ${3:score}", "adjustment"),
    ("when … subtract", "when ${1:condition} subtract ${2:10} from ${3:score}", "adjustment"),
    ("when … trigger", "when ${1:condition} trigger \"${2:playbook}\"", "trigger"),
];

const TEST_WORDS: &[(&str, &str)] = &[
    ("as_of", "as_of ${1:2026-11-01}"),
    ("given", "given {\n  $0\n}"),
    ("events", "events {\n  ${1:event} on ${2:2026-10-01}\n}"),
    (
        "history",
        "history {\n  on ${1:2026-10-01} {\n    $0\n  }\n}",
    ),
    ("expect", "expect $0"),
    ("expect triggered", "expect triggered \"$0\""),
];

const UNITS: &[&str] = &["days", "weeks", "months", "years"];

/// What a `{` opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block<'t> {
    Test,
    Given,
    Events,
    /// `EVENT on DATE { … }` inside `events`.
    EventValues(&'t str),
    History,
    /// `on DATE { … }` inside `history`.
    HistoryEntry,
    Status,
    /// An event declaration's fields.
    Fields,
    Other,
}

struct Cx<'a> {
    a: &'a Analysis,
    f: FileId,
    text: &'a str,
    rules: &'a RuleSet,
    /// Tokens before the cursor, without comments and the word being typed.
    before: Vec<&'a Token>,
    off: usize,
}

impl<'a> Cx<'a> {
    fn word(&self, t: &Token) -> &'a str {
        self.text.get(t.span.start..t.span.end).unwrap_or_default()
    }

    fn back(&self, n: usize) -> Option<&'a Token> {
        self.before
            .len()
            .checked_sub(n + 1)
            .and_then(|i| self.before.get(i))
            .copied()
    }

    fn kind(&self, n: usize) -> Option<TokenKind> {
        self.back(n).map(|t| t.kind)
    }

    /// The open `{` blocks around the cursor, innermost last.
    fn blocks(&self) -> Vec<Block<'a>> {
        let mut stack = Vec::new();
        for (i, t) in self.before.iter().enumerate() {
            match t.kind {
                TokenKind::LBrace => {
                    let k = |n: usize| i.checked_sub(n).and_then(|j| self.before.get(j));
                    let inner = stack.last().copied();
                    let b = match k(1).map(|t| t.kind) {
                        Some(TokenKind::Given) => Block::Given,
                        Some(TokenKind::Events) => Block::Events,
                        Some(TokenKind::History) => Block::History,
                        Some(TokenKind::Status) => Block::Status,
                        Some(TokenKind::String)
                            if k(2).is_some_and(|t| t.kind == TokenKind::Test) =>
                        {
                            Block::Test
                        }
                        Some(TokenKind::Date) if inner == Some(Block::History) => {
                            Block::HistoryEntry
                        }
                        Some(TokenKind::Date) if inner == Some(Block::Events) => k(3)
                            .filter(|t| t.kind == TokenKind::Ident)
                            .map_or(Block::Other, |t| Block::EventValues(self.word(t))),
                        Some(TokenKind::Ident)
                            if k(2).is_some_and(|t| t.kind == TokenKind::Event) =>
                        {
                            Block::Fields
                        }
                        _ => Block::Other,
                    };
                    stack.push(b);
                }
                TokenKind::RBrace => {
                    stack.pop();
                }
                _ => {}
            }
        }
        stack
    }

    /// Whether the cursor is on a line of its own so far (only the word
    /// being typed before it).
    fn fresh_line(&self) -> bool {
        let end = self.off.min(self.text.len());
        let line_start = self.text[..end].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..end]
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    /// The type of the name `t` stands for: from the checker's index when
    /// its item parsed, else by name (a field of the event of the `where`
    /// around it, a signal, a const, a score).
    fn type_of(&self, t: &Token) -> Option<Type> {
        let rules = self.rules;
        if t.kind == TokenKind::Status {
            return Some(Type::Status);
        }
        if t.kind == TokenKind::Health {
            return Some(Type::Number);
        }
        if t.kind != TokenKind::Ident {
            return None;
        }
        let indexed = self
            .a
            .checked
            .index
            .occurrences
            .iter()
            .find(|o| o.file == self.f && o.span == t.span)
            .and_then(|o| match o.symbol {
                vital_check::Symbol::Signal(i) => rules.signals.get(i.index()).map(|x| x.ty),
                vital_check::Symbol::Field(e, fi) => rules
                    .events
                    .get(e.index())
                    .and_then(|e| e.fields.get(fi.index()))
                    .map(|x| x.ty),
                vital_check::Symbol::Const(i) => rules.consts.get(i.index()).map(|x| x.ty),
                vital_check::Symbol::Score(_) => Some(Type::Number),
                _ => None,
            });
        if indexed.is_some() {
            return indexed;
        }
        let name = self.word(t);
        let upto: Vec<&Token> = self
            .before
            .iter()
            .copied()
            .take_while(|x| x.span.start < t.span.start)
            .collect();
        if let Some(ev) = where_event(&upto, self.text) {
            if let Some(fd) = rules
                .events
                .iter()
                .find(|e| e.name == ev)
                .and_then(|e| e.fields.iter().find(|f| f.name == name))
            {
                return Some(fd.ty);
            }
        }
        rules
            .signals
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.ty)
            .or_else(|| rules.consts.iter().find(|c| c.name == name).map(|c| c.ty))
            .or_else(|| {
                rules
                    .scores
                    .iter()
                    .any(|s| s.name == name)
                    .then_some(Type::Number)
            })
    }

    /// The values of a type: an enum's variants, the status arms, booleans.
    fn values_of(&self, ty: Type) -> Option<Vec<CompletionItem>> {
        let rules = self.rules;
        match ty {
            Type::Enum(e) => {
                let t = rules.type_name(ty);
                Some(
                    rules
                        .enums
                        .get(e.index())?
                        .variants
                        .iter()
                        .map(|v| {
                            ranked(
                                FITS,
                                item(v, CompletionItemKind::ENUM_MEMBER, t.clone(), None),
                            )
                        })
                        .collect(),
                )
            }
            Type::Status => Some(
                rules
                    .status
                    .iter()
                    .map(|arm| {
                        item(
                            &arm.name,
                            CompletionItemKind::ENUM_MEMBER,
                            "status".into(),
                            None,
                        )
                    })
                    .collect(),
            ),
            Type::Bool => Some(vec![keyword("true"), keyword("false")]),
            _ => None,
        }
    }
}

pub fn complete(a: &Analysis, f: FileId, off: usize) -> Vec<CompletionItem> {
    let text = a.text(f);
    let mut before: Vec<&Token> = a
        .tokens(f)
        .iter()
        .filter(|t| t.span.end <= off && t.kind != TokenKind::Comment)
        .collect();
    if let Some(last) = before.last() {
        if last.span.end == off && (last.kind == TokenKind::Ident || last.kind.is_keyword()) {
            before.pop();
        }
    }
    let cx = Cx {
        a,
        f,
        text,
        rules: &a.checked.rules,
        before,
        off,
    };
    let mut out = context(&cx);
    for (i, it) in out.iter_mut().enumerate() {
        if it.sort_text.is_none() {
            // unranked lists keep their order
            it.sort_text = Some(format!("{FITS}{i:04}"));
        }
    }
    out
}

fn all(tier: u8, items: Vec<CompletionItem>) -> Vec<CompletionItem> {
    items.into_iter().map(|i| ranked(tier, i)).collect()
}

fn keywords(words: &[&str]) -> Vec<CompletionItem> {
    words.iter().map(|w| ranked(FITS, keyword(w))).collect()
}

fn context(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let rules = cx.rules;
    let prev = cx.back(0);
    let k0 = cx.kind(0);
    let k1 = cx.kind(1);

    // `expect [not] triggered` / `trigger`: a playbook
    if matches!(k0, Some(TokenKind::Triggered | TokenKind::Trigger)) {
        return rules
            .playbooks()
            .iter()
            .map(|p| {
                let quoted = format!("{p:?}");
                item(&quoted, CompletionItemKind::VALUE, "playbook".into(), None)
            })
            .collect();
    }
    // `to` / `from`: a score
    if matches!(k0, Some(TokenKind::To | TokenKind::From)) {
        return rules
            .scores
            .iter()
            .map(|s| {
                item(
                    &s.name,
                    CompletionItemKind::FIELD,
                    format!("score, weight {}", s.weight.normalize()),
                    s.doc.as_ref(),
                )
            })
            .collect();
    }
    // `within N`: a unit
    let same_line = |t: &Token| !cx.text[t.span.end..cx.off.min(cx.text.len())].contains('\n');
    if prev.is_some_and(|t| t.kind == TokenKind::Number && same_line(t))
        && k1 == Some(TokenKind::Within)
    {
        return units();
    }
    // after `==`, `!=`, or inside `in (…)`: the values of the other side
    if let Some(values) = compared_values(cx) {
        return values;
    }

    let blocks = cx.blocks();
    let block = blocks.last().copied();
    let fresh = cx.fresh_line();
    match block {
        Some(Block::Given | Block::HistoryEntry) => return assignments(cx, None),
        Some(Block::EventValues(ev)) => return assignments(cx, Some(ev)),
        Some(Block::Events) => {
            return match k0 {
                Some(TokenKind::Ident) => keywords(&["on"]),
                Some(TokenKind::On) => Vec::new(),
                _ => rules
                    .events
                    .iter()
                    .map(|e| {
                        ranked(
                            FITS,
                            item(
                                &e.name,
                                CompletionItemKind::EVENT,
                                "event".into(),
                                e.doc.as_ref(),
                            ),
                        )
                    })
                    .collect(),
            }
        }
        Some(Block::History) => return keywords(&["on"]),
        Some(Block::Fields) | Some(Block::Status) if k0 == Some(TokenKind::Colon) => {
            return type_names()
        }
        Some(Block::Status) if k0 == Some(TokenKind::Ident) && fresh_word(cx) => {
            return keywords(&["when", "otherwise"])
        }
        // a new arm's name
        Some(Block::Status) if fresh || k0 == Some(TokenKind::LBrace) => return Vec::new(),
        Some(Block::Test) if fresh && !matches!(k0, Some(TokenKind::Expect | TokenKind::Not)) => {
            return TEST_WORDS
                .iter()
                .map(|(l, b)| snippet(l, b, "test block"))
                .collect();
        }
        None if fresh && item_complete(cx) => return declarations(FITS),
        None if fresh => {
            // the item above is unfinished: what continues it first, a new
            // declaration after
            let mut out = inside_item(cx);
            out.extend(declarations(KEYWORD + 1));
            return out;
        }
        _ => {}
    }
    inside_item(cx)
}

fn declarations(tier: u8) -> Vec<CompletionItem> {
    DECLARATIONS
        .iter()
        .enumerate()
        .map(|(i, (l, b, d))| {
            let mut s = snippet(l, b, d);
            s.sort_text = Some(format!("{tier}{i:02}"));
            s
        })
        .collect()
}

/// Inside an item (a rule, a declaration, an `expect`).
fn inside_item(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let k0 = cx.kind(0);
    let k1 = cx.kind(1);
    // declarations: types after `:`
    if k0 == Some(TokenKind::Colon) {
        return type_names();
    }
    // a name being declared: nothing to offer
    if matches!(
        k0,
        Some(TokenKind::Signal | TokenKind::Event | TokenKind::Const | TokenKind::Score)
    ) {
        return Vec::new();
    }
    if k0 == Some(TokenKind::Not) && k1 == Some(TokenKind::Expect) {
        let mut out = keywords(&["triggered"]);
        out.extend(expression(cx, None));
        return out;
    }
    if k0 == Some(TokenKind::Expect) {
        let mut out = keywords(&["triggered", "not"]);
        out.extend(expression(cx, None));
        return out;
    }
    if k0 == Some(TokenKind::String) && k1 == Some(TokenKind::Rule) {
        return keywords(&["when", "add", "subtract", "trigger"]);
    }
    if k0 == Some(TokenKind::Ident) && k1 == Some(TokenKind::Score) {
        return keywords(&["weight"]);
    }
    if k0 == Some(TokenKind::Is) {
        return keywords(&["missing", "not"]);
    }
    if k0 == Some(TokenKind::Not) && k1 == Some(TokenKind::Is) {
        return keywords(&["missing"]);
    }
    if ends_operand(k0) {
        return continuation(cx);
    }
    // an expression
    let expected = match (k0, cx.back(1)) {
        (Some(TokenKind::Compare | TokenKind::Arith | TokenKind::Coalesce), Some(t)) => {
            cx.type_of(t)
        }
        _ => None,
    };
    expression(cx, expected)
}

fn units() -> Vec<CompletionItem> {
    UNITS
        .iter()
        .map(|u| {
            ranked(
                FITS,
                item(u, CompletionItemKind::UNIT, "duration unit".into(), None),
            )
        })
        .collect::<Vec<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, mut it)| {
            it.sort_text = Some(format!("{FITS}{i}"));
            it
        })
        .collect()
}

fn type_names() -> Vec<CompletionItem> {
    keywords(&[
        "int", "number", "percent", "money", "text", "date", "bool", "duration", "enum",
    ])
}

/// A token after which an operand is complete.
fn ends_operand(k: Option<TokenKind>) -> bool {
    matches!(
        k,
        Some(
            TokenKind::Ident
                | TokenKind::Number
                | TokenKind::Percent
                | TokenKind::Date
                | TokenKind::RParen
                | TokenKind::Unit
                | TokenKind::True
                | TokenKind::False
                | TokenKind::Health
                | TokenKind::Status
                | TokenKind::Missing
        )
    )
}

/// The word before the cursor is the first of its line (a status arm's
/// name).
fn fresh_word(cx: &Cx<'_>) -> bool {
    cx.back(0).is_some_and(|t| {
        let start = cx.text[..t.span.start].rfind('\n').map_or(0, |i| i + 1);
        cx.text[start..t.span.start].trim().is_empty()
    })
}

/// The top-level item before the cursor is finished (or there is none):
/// the cursor starts a new one.
fn item_complete(cx: &Cx<'_>) -> bool {
    let Some(last) = cx.back(0) else {
        return true;
    };
    let parsed = cx.a.checked.parsed.get(cx.f.index());
    let Some(cut) = parsed.and_then(|p| {
        p.cuts
            .iter()
            .rev()
            .find(|c| c.span.start <= last.span.start)
    }) else {
        return true;
    };
    cut.span.end <= last.span.end
        && parsed.is_some_and(|p| p.file.items.iter().any(|i| i.span.start == cut.span.start))
}

/// After `==`, `!=`, `in (`: the variants (or statuses) of the other side.
fn compared_values(cx: &Cx<'_>) -> Option<Vec<CompletionItem>> {
    let mut subject: Option<&Token> = None;
    if cx
        .back(0)
        .is_some_and(|t| t.kind == TokenKind::Compare && matches!(cx.word(t), "==" | "!="))
    {
        subject = cx.back(1);
    } else {
        // inside `x in (a, |`
        let mut depth = 0;
        let before = &cx.before;
        for (i, t) in before.iter().enumerate().rev() {
            match t.kind {
                TokenKind::RParen => depth += 1,
                TokenKind::LParen if depth > 0 => depth -= 1,
                TokenKind::LParen => {
                    if i >= 2 && before[i - 1].kind == TokenKind::In {
                        let j = if before[i - 2].kind == TokenKind::Not {
                            i.checked_sub(3)
                        } else {
                            Some(i - 2)
                        };
                        subject = j.and_then(|j| before.get(j)).copied();
                    }
                    break;
                }
                TokenKind::Comma | TokenKind::Ident => {}
                _ => break,
            }
        }
    }
    let ty = cx.type_of(subject?)?;
    matches!(ty, Type::Enum(_) | Type::Status)
        .then(|| cx.values_of(ty))
        .flatten()
}

/// Inside `given { … }`, `on DATE { … }` (signals) or an event's values in
/// a test (its fields): a name, or after `NAME =` its values.
fn assignments(cx: &Cx<'_>, event: Option<&str>) -> Vec<CompletionItem> {
    let rules = cx.rules;
    let fields = event.and_then(|ev| rules.events.iter().find(|e| e.name == ev));
    if cx.kind(0) == Some(TokenKind::Assign) {
        let Some(name) = cx.back(1).filter(|t| t.kind == TokenKind::Ident) else {
            return Vec::new();
        };
        let name = cx.word(name);
        let ty = match fields {
            Some(e) => e.fields.iter().find(|f| f.name == name).map(|f| f.ty),
            None => rules.signals.iter().find(|s| s.name == name).map(|s| s.ty),
        };
        return ty
            .and_then(|t| cx.values_of(t))
            .map_or_else(Vec::new, |v| all(FITS, v));
    }
    if cx.kind(0) == Some(TokenKind::Ident) && cx.kind(1) != Some(TokenKind::Assign) {
        // a name was just written: `=` comes next
        return Vec::new();
    }
    match fields {
        Some(e) => e
            .fields
            .iter()
            .map(|fd| {
                ranked(
                    FITS,
                    item(
                        &fd.name,
                        CompletionItemKind::FIELD,
                        format!("{} field: {}", e.name, rules.type_name(fd.ty)),
                        None,
                    ),
                )
            })
            .collect(),
        None => rules
            .signals
            .iter()
            .map(|s| {
                ranked(
                    FITS,
                    item(
                        &s.name,
                        CompletionItemKind::VARIABLE,
                        format!("signal: {}", rules.type_name(s.ty)),
                        s.doc.as_ref(),
                    ),
                )
            })
            .collect(),
    }
}

/// After a complete operand: what may follow it (`and`, the action, `to`
/// after an amount, `where`/`within` after an event, a unit after a number).
fn continuation(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let rules = cx.rules;
    // the keyword that governs the operand, at the same depth
    let mut depth = 0i32;
    let mut governing = None;
    let mut call: Option<&str> = None;
    let mut arg = 0;
    for (i, t) in cx.before.iter().enumerate().rev() {
        match t.kind {
            TokenKind::RParen | TokenKind::RBrace => depth += 1,
            TokenKind::LParen | TokenKind::LBrace if depth > 0 => depth -= 1,
            TokenKind::LParen => {
                call = i
                    .checked_sub(1)
                    .and_then(|j| cx.before.get(j))
                    .map(|t| cx.word(t));
                break;
            }
            TokenKind::LBrace => break,
            TokenKind::Comma if depth == 0 => arg += 1,
            TokenKind::When
            | TokenKind::Add
            | TokenKind::Subtract
            | TokenKind::Trigger
            | TokenKind::Assign
            | TokenKind::Expect
            | TokenKind::Arrow
            | TokenKind::Where
            | TokenKind::Within
                if depth == 0 && governing.is_none() =>
            {
                governing = Some(t.kind);
            }
            _ => {}
        }
        if governing.is_some() && depth == 0 && call.is_none() {
            // keep scanning only for an enclosing call
        }
    }
    let prev = cx.back(0);
    let mut out = Vec::new();
    let number = prev.is_some_and(|t| t.kind == TokenKind::Number);
    let duration_arg = matches!(call, Some("previous" | "change")) && arg == 1;
    let is_event = prev
        .filter(|t| t.kind == TokenKind::Ident)
        .is_some_and(|t| rules.events.iter().any(|e| e.name == cx.word(t)));
    if number && (duration_arg || governing == Some(TokenKind::Assign)) {
        out.extend(units());
    }
    if is_event {
        out.extend(keywords(&["where", "within"]));
    }
    // after an event, `where` / `within` before the rest
    let then = |words: &[&str]| {
        let tier = if is_event { NAME } else { FITS };
        words
            .iter()
            .map(|w| ranked(tier, keyword(w)))
            .collect::<Vec<_>>()
    };
    match governing {
        Some(TokenKind::Add) if call.is_none() => out.extend(keywords(&["to"])),
        Some(TokenKind::Subtract) if call.is_none() => out.extend(keywords(&["from"])),
        Some(TokenKind::When) if call.is_none() => {
            out.extend(then(&["and", "or", "add", "subtract", "trigger"]))
        }
        Some(TokenKind::Where) => out.extend(then(&["and", "or", "within"])),
        _ => out.extend(then(&["and", "or"])),
    }
    if number && !duration_arg && governing != Some(TokenKind::Assign) {
        out.extend(all(KEYWORD, units()));
    }
    for kw in ["in", "is", "not"] {
        out.push(ranked(KEYWORD, keyword(kw)));
    }
    out
}

/// Names, functions and keywords; fields first inside `where`, names of
/// the expected type before the others.
fn expression(cx: &Cx<'_>, expected: Option<Type>) -> Vec<CompletionItem> {
    let rules = cx.rules;
    let fits = |t: Type| -> u8 {
        match expected {
            Some(e) if e == t => FITS,
            _ => NAME,
        }
    };
    let mut out = Vec::new();
    if let Some(ev) = where_event(&cx.before, cx.text) {
        if let Some(e) = rules.events.iter().find(|e| e.name == ev) {
            for fd in &e.fields {
                out.push(ranked(
                    FITS,
                    item(
                        &fd.name,
                        CompletionItemKind::FIELD,
                        format!("{} field: {}", e.name, rules.type_name(fd.ty)),
                        None,
                    ),
                ));
            }
        }
    }
    for s in &rules.signals {
        out.push(ranked(
            fits(s.ty),
            item(
                &s.name,
                CompletionItemKind::VARIABLE,
                format!(
                    "signal: {}{}",
                    rules.type_name(s.ty),
                    if s.optional { "?" } else { "" }
                ),
                s.doc.as_ref(),
            ),
        ));
    }
    let event_arg = cx.kind(0) == Some(TokenKind::LParen)
        && cx.back(1).is_some_and(|t| {
            matches!(
                cx.word(t),
                "count" | "sum" | "avg" | "min" | "max" | "last" | "first"
            )
        });
    for e in &rules.events {
        out.push(ranked(
            if event_arg { FITS } else { NAME },
            item(
                &e.name,
                CompletionItemKind::EVENT,
                "event".into(),
                e.doc.as_ref(),
            ),
        ));
    }
    for c in &rules.consts {
        out.push(ranked(
            fits(c.ty),
            item(
                &c.name,
                CompletionItemKind::CONSTANT,
                format!(
                    "const: {} = {}",
                    rules.type_name(c.ty),
                    rules.show_value(&c.value, c.ty)
                ),
                c.doc.as_ref(),
            ),
        ));
    }
    for s in &rules.scores {
        out.push(ranked(
            fits(Type::Number),
            item(
                &s.name,
                CompletionItemKind::FIELD,
                format!("score, weight {}", s.weight.normalize()),
                s.doc.as_ref(),
            ),
        ));
    }
    for (name, sig, doc) in vital_check::FUNCTIONS {
        let mut it = item(name, CompletionItemKind::FUNCTION, (*sig).to_string(), None);
        it.documentation = Some(Documentation::String((*doc).to_string()));
        it.insert_text = Some(format!("{name}($1)"));
        it.insert_text_format = Some(InsertTextFormat::SNIPPET);
        out.push(ranked(FUNCTION, it));
    }
    for kw in [
        "health",
        "status",
        "and",
        "or",
        "not",
        "where",
        "within",
        "true",
        "false",
        "is missing",
        "is not missing",
        "band",
    ] {
        let tier = match (kw, expected) {
            ("health", Some(Type::Number)) => FITS,
            ("true" | "false", Some(Type::Bool)) => FITS,
            // `health` and `status` are names a rule reads
            ("health" | "status", _) => NAME,
            _ => KEYWORD,
        };
        out.push(ranked(tier, keyword(kw)));
    }
    out
}

/// Inside `EVENT where …` (up to the cursor): the event's name.
fn where_event<'t>(before: &[&Token], text: &'t str) -> Option<&'t str> {
    let mut depth = 0;
    for (i, t) in before.iter().enumerate().rev() {
        match t.kind {
            TokenKind::RParen => depth += 1,
            TokenKind::LParen if depth > 0 => depth -= 1,
            TokenKind::LParen => return None,
            TokenKind::Where if depth == 0 => {
                let e = before.get(i.checked_sub(1)?)?;
                return (e.kind == TokenKind::Ident).then(|| &text[e.span.start..e.span.end]);
            }
            TokenKind::Within
            | TokenKind::When
            | TokenKind::Add
            | TokenKind::Subtract
            | TokenKind::Trigger
            | TokenKind::LBrace
            | TokenKind::RBrace
                if depth == 0 =>
            {
                return None
            }
            _ => {}
        }
    }
    None
}
