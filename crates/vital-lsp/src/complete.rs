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
    ("expect started", "expect started \"$0\""),
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
    /// `band X { … }`'s arms.
    Band,
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
                        _ if self.band_before(i) => Block::Band,
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

    /// Whether the `{` at `before[i]` opens a band's arms (`band X {`).
    fn band_before(&self, i: usize) -> bool {
        let mut depth = 0;
        for t in self.before[..i].iter().rev() {
            match t.kind {
                TokenKind::RParen => depth += 1,
                TokenKind::LParen if depth > 0 => depth -= 1,
                TokenKind::Band if depth == 0 => return true,
                TokenKind::LParen
                | TokenKind::LBrace
                | TokenKind::RBrace
                | TokenKind::Assign
                | TokenKind::When
                | TokenKind::Arrow => return false,
                _ => {}
            }
        }
        false
    }

    /// Whether the cursor is on a line of its own so far (only the word
    /// being typed before it).
    fn fresh_line(&self) -> bool {
        let end = self.off.min(self.text.len());
        let line_start = self.text[..end].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..end]
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .trim()
            .is_empty()
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
    // a label offered twice keeps its best rank
    let mut kept: Vec<CompletionItem> = Vec::with_capacity(out.len());
    for it in out {
        match kept.iter_mut().find(|k| k.label == it.label) {
            Some(k) if it.sort_text < k.sort_text => *k = it,
            Some(_) => {}
            None => kept.push(it),
        }
    }
    kept
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
        return playbooks(rules);
    }
    // `expect [not] started`: a playbook
    let started = prev.is_some_and(|t| t.kind == TokenKind::Ident && cx.word(t) == "started");
    if started
        && (k1 == Some(TokenKind::Expect)
            || k1 == Some(TokenKind::Not) && cx.kind(2) == Some(TokenKind::Expect))
    {
        return playbooks(rules);
    }
    // after `trigger "PLAYBOOK"`: `cooldown` and `owner`
    if let Some(items) = trigger_clauses(cx) {
        return items;
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
        return units(cx);
    }
    // after `==`, `!=`, or inside `in (…)`: the values of the other side
    if let Some(values) = compared_values(cx) {
        return values;
    }

    // `enum(a, b, …)`: a new variant is being named
    let in_enum = enclosing_paren(&cx.before, cx.before.len()).is_some_and(|(open, _)| {
        open.checked_sub(1)
            .and_then(|j| cx.before.get(j))
            .is_some_and(|t| cx.word(t) == "enum")
    });
    if in_enum && matches!(k0, Some(TokenKind::LParen | TokenKind::Comma)) {
        return Vec::new();
    }

    let blocks = cx.blocks();
    let block = blocks.last().copied();
    let fresh = cx.fresh_line();
    match block {
        // a new field is being named
        Some(Block::Fields) if matches!(k0, Some(TokenKind::LBrace | TokenKind::Comma)) => {
            return Vec::new()
        }
        // a band's next arm: a comparison, or `otherwise`
        Some(Block::Band) if fresh || k0 == Some(TokenKind::LBrace) => {
            return keywords(&["otherwise"])
        }
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

/// Every playbook, quoted.
fn playbooks(rules: &RuleSet) -> Vec<CompletionItem> {
    rules
        .playbooks()
        .iter()
        .map(|p| {
            let quoted = format!("{p:?}");
            item(&quoted, CompletionItemKind::VALUE, "playbook".into(), None)
        })
        .collect()
}

/// In a trigger's clauses (`trigger "P" [cooldown N UNIT] [owner SIGNAL]`,
/// either order): the clauses not written yet, a unit after `cooldown N`,
/// the text and enum signals after `owner`. `None` when the cursor is not
/// there, or starts a new line (a new declaration is likelier).
fn trigger_clauses(cx: &Cx<'_>) -> Option<Vec<CompletionItem>> {
    let b = &cx.before;
    let t = b.iter().rposition(|t| t.kind == TokenKind::Trigger)?;
    if b.get(t + 1)?.kind != TokenKind::String {
        return None;
    }
    let rest = &b[t + 2..];
    let (mut cooldown, mut owner) = (false, false);
    let mut i = 0;
    while i < rest.len() {
        let word = (rest[i].kind == TokenKind::Ident).then(|| cx.word(rest[i]));
        match word {
            Some("cooldown") if !cooldown => {
                cooldown = true;
                match (
                    rest.get(i + 1).map(|t| t.kind),
                    rest.get(i + 2).map(|t| t.kind),
                ) {
                    // the number is being typed
                    (None, _) => return Some(Vec::new()),
                    (Some(TokenKind::Number), None) => return Some(units(cx)),
                    (Some(TokenKind::Number), Some(TokenKind::Unit)) => i += 3,
                    _ => return None,
                }
            }
            Some("owner") if !owner => {
                owner = true;
                match rest.get(i + 1).map(|t| t.kind) {
                    None => return Some(owners(cx)),
                    Some(TokenKind::Ident) => i += 2,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    if cx.fresh_line() {
        return None;
    }
    let mut out = Vec::new();
    if !cooldown {
        out.push(ranked(
            FITS,
            snippet(
                "cooldown",
                "cooldown ${1:30} ${2|days,weeks,months|}",
                "cooldown N days: not started again until then after its last start",
            ),
        ));
    }
    if !owner {
        out.push(ranked(
            FITS,
            snippet(
                "owner",
                "owner ${1:signal}",
                "owner SIGNAL: a text or enum signal recorded with each start",
            ),
        ));
    }
    Some(out)
}

/// The signals an `owner` may name: those of type text or enum.
fn owners(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let rules = cx.rules;
    rules
        .signals
        .iter()
        .filter(|s| matches!(s.ty, Type::Text | Type::Enum(_)))
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
        .collect()
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
        // `expect not triggered "…"` mostly; a negated result after
        let mut triggered = keyword("triggered");
        triggered.sort_text = Some(format!("{FITS}0"));
        let mut started = keyword("started");
        started.sort_text = Some(format!("{FITS}00"));
        let mut out = vec![triggered, started];
        out.extend(expression(cx, Want::Outcome));
        return out;
    }
    if k0 == Some(TokenKind::Expect) {
        let mut out = all(FITS, keywords(&["triggered", "started", "not"]));
        out.extend(expression(cx, Want::Outcome));
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
    // `E.`: the event's fields
    if k0 == Some(TokenKind::Dot) {
        return cx
            .back(1)
            .filter(|t| t.kind == TokenKind::Ident)
            .and_then(|t| rules_event(cx, cx.word(t)))
            .map_or_else(Vec::new, |e| fields_of(cx, e, FITS));
    }
    expression(cx, want(cx))
}

/// The duration units, after the number before the cursor: `1 day`,
/// `2 days`.
fn units(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let one = cx.back(0).is_some_and(|t| cx.word(t) == "1");
    UNITS
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let u = if one { u.trim_end_matches('s') } else { u };
            let mut it = item(u, CompletionItemKind::UNIT, "duration unit".into(), None);
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
    let mut query = None;
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
            // an event query's `where` / `within`, inside the clause
            TokenKind::Where | TokenKind::Within
                if depth == 0 && query.is_none() && governing.is_none() =>
            {
                query = Some(t.kind);
            }
            TokenKind::When
            | TokenKind::Add
            | TokenKind::Subtract
            | TokenKind::Trigger
            | TokenKind::Assign
            | TokenKind::Expect
            | TokenKind::Arrow
                if depth == 0 && governing.is_none() =>
            {
                governing = Some(t.kind);
            }
            _ => {}
        }
    }
    let prev = cx.back(0);
    let mut out = Vec::new();
    let number = prev.is_some_and(|t| t.kind == TokenKind::Number);
    let duration_arg = matches!(call, Some("previous" | "change")) && arg == 1;
    // an event, or `E.field` in an aggregate
    let is_event = prev
        .filter(|t| t.kind == TokenKind::Ident)
        .is_some_and(|t| {
            rules.events.iter().any(|e| e.name == cx.word(t))
                || (cx.kind(1) == Some(TokenKind::Dot)
                    && cx
                        .back(2)
                        .is_some_and(|e| rules.events.iter().any(|x| x.name == cx.word(e))))
        });
    if number && (duration_arg || governing == Some(TokenKind::Assign)) {
        out.extend(units(cx));
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
        // a condition that reads a score, `health` or `status` can only
        // trigger a playbook: an adjustment may not read them (§3)
        Some(TokenKind::When) if call.is_none() && reads_results(cx) => {
            out.extend(then(&["and", "or", "trigger"]))
        }
        Some(TokenKind::When) if call.is_none() => {
            out.extend(then(&["and", "or", "add", "subtract", "trigger"]))
        }
        _ => out.extend(then(&["and", "or"])),
    }
    if query == Some(TokenKind::Where) {
        out.extend(then(&["within"]));
    }
    if number && !duration_arg && governing != Some(TokenKind::Assign) {
        out.extend(all(KEYWORD, units(cx)));
    }
    for kw in ["in", "is", "not"] {
        out.push(ranked(KEYWORD, keyword(kw)));
    }
    out
}

/// Whether the item being written reads one of the rule set's results.
fn reads_results(cx: &Cx<'_>) -> bool {
    cx.item_names().iter().any(|n| is_result(cx.rules, n))
}

/// What an expression position wants, read off the tokens around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Nothing known.
    Any,
    /// A condition starts (`when`, `and`, `or`, `not`, `where`): a bool, or
    /// the left operand of a comparison.
    Condition,
    /// A value of this type (the other operand of a comparison, a typed
    /// parameter, a duration after `within`).
    Value(Type),
    /// A number, in one of three roles.
    Numeric(Role),
    /// What has a history: the first argument of `previous` and `change`
    /// (a signal, a score, `health`).
    History,
    /// An event query: the first argument of `count`, `sum`, `avg`, `last`…
    Events,
    /// What a test expects: the rule set's results.
    Outcome,
}

/// Where a number is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// An amount (`add …`, `subtract …`) or a literal's factor (`10 * …`):
    /// mostly computed (`min(…)`, `count(…)`).
    Amount,
    /// A score's expression or a band's subject: mostly a signal, or a
    /// function that makes a score (`band`, `linear`).
    Score,
    /// An operand of a name (`a / …`) or a numeric parameter: mostly a name.
    Operand,
}

/// The functions typical of a position (ranked with what fits), in the
/// order they are offered; the others come after the names.
fn typical(want: Want) -> &'static [&'static str] {
    match want {
        Want::Condition => &["change", "count", "days_since", "days_until", "avg"],
        Want::Numeric(Role::Amount) => &["min", "count", "max", "clamp", "round"],
        Want::Numeric(Role::Score) => &["linear", "min", "max", "count", "clamp"],
        Want::Numeric(Role::Operand) => &["count", "days_since", "days_until", "min", "max"],
        Want::Value(Type::Date) => &["last", "first"],
        Want::Value(t) if t.is_numeric() => {
            &["previous", "change", "count", "days_since", "days_until"]
        }
        _ => &[],
    }
}

/// The type a built-in function returns, as far as completion needs it
/// (`None`: the type of its argument — some numeric type).
fn returns(name: &str) -> Option<Type> {
    match name {
        "count" | "days_since" | "days_until" | "round" => Some(Type::Int),
        "avg" | "linear" => Some(Type::Number),
        "last" | "first" => Some(Type::Date),
        _ => None,
    }
}

/// What the parameter `arg` of the function `name` takes.
fn parameter(name: &str, arg: usize) -> Want {
    match (name, arg) {
        ("count" | "sum" | "avg" | "last" | "first", 0) => Want::Events,
        ("count" | "sum" | "avg" | "last" | "first", _) => Want::Any,
        ("days_since" | "days_until", _) => Want::Value(Type::Date),
        ("previous" | "change", 0) => Want::History,
        ("previous" | "change", _) => Want::Value(Type::Duration),
        ("min" | "max" | "clamp" | "abs" | "round" | "linear", _) => Want::Numeric(Role::Operand),
        _ => Want::Any,
    }
}

/// Whether a value of type `have` fits where `want` is expected.
fn fits(want: Want, have: Type) -> bool {
    match want {
        Want::Value(w) if w.is_numeric() && have.is_numeric() => {
            // a percent meets only percents; other numbers meet each other
            (w == Type::Percent) == (have == Type::Percent)
        }
        Want::Value(w) => w == have,
        Want::Numeric(_) | Want::History => have.is_numeric(),
        Want::Condition => have == Type::Bool,
        Want::Any | Want::Events | Want::Outcome => false,
    }
}

/// The event named `name`.
fn rules_event<'r>(cx: &Cx<'r>, name: &str) -> Option<&'r vital_check::ir::Event> {
    cx.rules.events.iter().find(|e| e.name == name)
}

fn fields_of(cx: &Cx<'_>, e: &vital_check::ir::Event, tier: u8) -> Vec<CompletionItem> {
    e.fields
        .iter()
        .map(|fd| {
            ranked(
                tier,
                item(
                    &fd.name,
                    CompletionItemKind::FIELD,
                    format!("{} field: {}", e.name, cx.rules.type_name(fd.ty)),
                    None,
                ),
            )
        })
        .collect()
}

/// The index in `before` of the `(` that encloses position `n` (the
/// position after `before[n - 1]`), with the number of commas between.
fn enclosing_paren(before: &[&Token], n: usize) -> Option<(usize, usize)> {
    let mut depth = 0;
    let mut commas = 0;
    for i in (0..n.min(before.len())).rev() {
        match before[i].kind {
            TokenKind::RParen => depth += 1,
            TokenKind::LParen if depth > 0 => depth -= 1,
            TokenKind::LParen => return Some((i, commas)),
            TokenKind::Comma if depth == 0 => commas += 1,
            TokenKind::LBrace | TokenKind::RBrace if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

impl<'a> Cx<'a> {
    /// The type of the operand that ends with `before[end - 1]`.
    fn operand_type(&self, end: usize) -> Option<Type> {
        let t = *self.before.get(end.checked_sub(1)?)?;
        match t.kind {
            TokenKind::Ident => {
                // `E.field`
                if end >= 3 && self.before[end - 2].kind == TokenKind::Dot {
                    let e = rules_event(self, self.word(self.before[end - 3]))?;
                    let name = self.word(t);
                    return e.fields.iter().find(|f| f.name == name).map(|f| f.ty);
                }
                self.type_of(t)
            }
            TokenKind::Number if self.word(t).contains('.') => Some(Type::Number),
            TokenKind::Number => Some(Type::Int),
            TokenKind::Percent => Some(Type::Percent),
            TokenKind::Date => Some(Type::Date),
            TokenKind::Unit => Some(Type::Duration),
            TokenKind::True | TokenKind::False => Some(Type::Bool),
            TokenKind::Health | TokenKind::Status => self.type_of(t),
            TokenKind::RParen => {
                // the matching `(`: a call's result, or the group's inside
                let mut depth = 0;
                let mut open = None;
                for i in (0..end - 1).rev() {
                    match self.before[i].kind {
                        TokenKind::RParen => depth += 1,
                        TokenKind::LParen if depth > 0 => depth -= 1,
                        TokenKind::LParen => {
                            open = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let open = open?;
                match open.checked_sub(1).map(|j| self.before[j]) {
                    Some(f) if f.kind == TokenKind::Ident => {
                        let name = self.word(f);
                        vital_check::FUNCTIONS.iter().find(|x| x.0 == name)?;
                        returns(name).or_else(|| {
                            // the type of its first argument
                            let mut depth = 0;
                            let mut first_end = end - 1;
                            for i in open + 1..end - 1 {
                                match self.before[i].kind {
                                    TokenKind::LParen => depth += 1,
                                    TokenKind::RParen => depth -= 1,
                                    TokenKind::Comma if depth == 0 => {
                                        first_end = i;
                                        break;
                                    }
                                    _ => {}
                                }
                            }
                            self.operand_type(first_end)
                                .filter(|t| t.is_numeric())
                                .or(Some(Type::Number))
                        })
                    }
                    _ => self.operand_type(end - 1),
                }
            }
            _ => None,
        }
    }

    /// What the position after `before[n - 1]` wants.
    fn want_at(&self, n: usize) -> Want {
        let Some(t) = n.checked_sub(1).and_then(|i| self.before.get(i)) else {
            return Want::Any;
        };
        match t.kind {
            TokenKind::Compare | TokenKind::Coalesce => {
                self.operand_type(n - 1).map_or(Want::Any, Want::Value)
            }
            TokenKind::Arith => match self.operand_type(n - 1) {
                Some(Type::Date | Type::Duration) => Want::Value(Type::Duration),
                _ if self.before[n - 2].kind == TokenKind::Number => Want::Numeric(Role::Amount),
                _ => Want::Numeric(Role::Operand),
            },
            TokenKind::Add | TokenKind::Subtract => Want::Numeric(Role::Amount),
            TokenKind::Band | TokenKind::Arrow => Want::Numeric(Role::Score),
            TokenKind::Within => Want::Value(Type::Duration),
            TokenKind::When | TokenKind::And | TokenKind::Or | TokenKind::Where => Want::Condition,
            TokenKind::Not => Want::Condition,
            TokenKind::Expect => Want::Outcome,
            TokenKind::Assign => {
                // `score NAME weight W =`: a number
                let score = n >= 5 && self.before[n - 5].kind == TokenKind::Score;
                if score {
                    Want::Numeric(Role::Score)
                } else {
                    Want::Any
                }
            }
            TokenKind::LParen | TokenKind::Comma => {
                let Some((open, arg)) = enclosing_paren(&self.before, n) else {
                    return Want::Any;
                };
                match open.checked_sub(1).map(|j| self.before[j]) {
                    Some(f) if f.kind == TokenKind::Ident => parameter(self.word(f), arg),
                    // a group: what the position before it wants
                    _ => self.want_at(open),
                }
            }
            _ => Want::Any,
        }
    }

    /// The type of the operand after the cursor when an operator follows
    /// it (`when | > 5`): in an editor the text goes on after the cursor.
    fn right_operand_type(&self) -> Option<Type> {
        let mut after = self
            .a
            .tokens(self.f)
            .iter()
            .filter(|t| t.span.start > self.off && t.kind != TokenKind::Comment);
        let op = after.next()?;
        if !matches!(op.kind, TokenKind::Compare | TokenKind::Coalesce) {
            return None;
        }
        let other = after.next()?;
        match other.kind {
            TokenKind::Number if self.word(other).contains('.') => Some(Type::Number),
            TokenKind::Number => Some(Type::Int),
            TokenKind::Percent => Some(Type::Percent),
            TokenKind::Ident | TokenKind::Health | TokenKind::Status => self.type_of(other),
            _ => None,
        }
    }

    /// What the rule set reads, in every file (test blocks and
    /// declarations do not count; the word under the cursor neither).
    fn reads(&self) -> Reads<'a> {
        let mut out = Reads::default();
        for (i, _) in self.a.paths.iter().enumerate() {
            let f = FileId(i as u32);
            let text: &'a str = self.a.text(f);
            let tokens: Vec<&Token> = self
                .a
                .tokens(f)
                .iter()
                .filter(|t| t.kind != TokenKind::Comment)
                .collect();
            let mut test_depth: Option<usize> = None;
            let mut depth = 0usize;
            let mut condition = false;
            for (j, t) in tokens.iter().enumerate() {
                match t.kind {
                    TokenKind::Test if test_depth.is_none() => test_depth = Some(depth),
                    TokenKind::LBrace => depth += 1,
                    TokenKind::RBrace => {
                        depth = depth.saturating_sub(1);
                        if test_depth == Some(depth) {
                            test_depth = None;
                        }
                    }
                    TokenKind::When => condition = true,
                    TokenKind::Add
                    | TokenKind::Subtract
                    | TokenKind::Trigger
                    | TokenKind::Rule
                    | TokenKind::Score
                    | TokenKind::Const
                    | TokenKind::Signal
                    | TokenKind::Event
                    | TokenKind::Status => condition = false,
                    TokenKind::Ident if test_depth.is_none() => {
                        let declared = j > 0
                            && matches!(
                                tokens[j - 1].kind,
                                TokenKind::Signal
                                    | TokenKind::Event
                                    | TokenKind::Const
                                    | TokenKind::Score
                            );
                        let here = f == self.f && t.span.touches(self.off);
                        if declared || here {
                            continue;
                        }
                        let name = text.get(t.span.start..t.span.end).unwrap_or_default();
                        let call = tokens
                            .get(j + 1)
                            .is_some_and(|n| n.kind == TokenKind::LParen);
                        if call {
                            *out.calls.entry(name).or_default() += 1;
                        } else {
                            out.names.insert(name);
                            if condition {
                                out.in_conditions.insert(name);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// The words of the `##` documentation above the item being written.
    fn doc_words(&self) -> std::collections::HashSet<String> {
        let start = self.item_start();
        let tokens = self.a.tokens(self.f);
        let mut out = std::collections::HashSet::new();
        // the item's first token (its cut may begin with its documentation)
        let Some(first) = tokens
            .iter()
            .position(|t| t.span.start >= start && t.kind != TokenKind::Comment)
        else {
            return out;
        };
        for t in tokens[..first].iter().rev() {
            if t.kind != TokenKind::Comment {
                break;
            }
            let line = self.word(t);
            if !line.starts_with("##") {
                break;
            }
            out.extend(
                line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .flat_map(|w| std::iter::once(w).chain(w.split('_')))
                    .filter(|w| !w.is_empty())
                    .map(str::to_ascii_lowercase),
            );
        }
        out
    }
}

/// What the rule set reads.
#[derive(Default)]
struct Reads<'a> {
    /// Names read by a rule, score, status or constant.
    names: std::collections::HashSet<&'a str>,
    /// … of which in a condition (`when …`).
    in_conditions: std::collections::HashSet<&'a str>,
    /// Functions called, with how often.
    calls: std::collections::HashMap<&'a str, usize>,
}

impl<'a> Cx<'a> {
    /// The item around the cursor (the splitter's cut): the last to start
    /// before it.
    fn item_cut(&self) -> Option<&'a vital_syntax::items::ItemCut> {
        self.a
            .checked
            .parsed
            .get(self.f.index())
            .and_then(|p| p.cuts.iter().rev().find(|c| c.span.start < self.off))
    }

    /// Where the item around the cursor starts.
    fn item_start(&self) -> usize {
        self.item_cut().map_or(0, |c| c.span.start)
    }

    /// Whether the expression at the cursor may not read the results
    /// (`vital::score-reads-score`): a score's expression, an adjustment's
    /// amount, or its condition once the `add`/`subtract` stands after the
    /// cursor.
    fn results_forbidden(&self) -> bool {
        let adjusts = |t: &&Token| matches!(t.kind, TokenKind::Add | TokenKind::Subtract);
        let (start, end) = self
            .item_cut()
            .map_or((0, self.off), |c| (c.span.start, c.span.end));
        let mut before = self.before.iter().filter(|t| t.span.start >= start);
        before.next().is_some_and(|t| t.kind == TokenKind::Score)
            || before.any(&adjusts)
            || self
                .a
                .tokens(self.f)
                .iter()
                .filter(|t| t.span.start >= self.off && t.span.end <= end)
                .any(|t| adjusts(&t))
    }

    /// Names read in the item being written and the two before it.
    fn recent_names(&self) -> std::collections::HashSet<&'a str> {
        let from = self
            .a
            .checked
            .parsed
            .get(self.f.index())
            .map(|p| {
                let starts: Vec<usize> = p
                    .cuts
                    .iter()
                    .map(|c| c.span.start)
                    .filter(|s| *s < self.off)
                    .collect();
                starts
                    .len()
                    .checked_sub(3)
                    .and_then(|i| starts.get(i).copied())
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        // (the score after `to`/`from` is written, not read)
        self.before
            .windows(2)
            .filter(|w| w[1].span.start >= from)
            .filter(|w| !matches!(w[0].kind, TokenKind::To | TokenKind::From))
            .filter(|w| matches!(w[1].kind, TokenKind::Ident | TokenKind::Health))
            .map(|w| self.word(w[1]))
            .collect()
    }

    /// Names read in the item being written.
    fn item_names(&self) -> std::collections::HashSet<&'a str> {
        let start = self.item_start();
        self.before
            .iter()
            .filter(|t| t.span.start >= start)
            .filter(|t| {
                matches!(
                    t.kind,
                    TokenKind::Ident | TokenKind::Health | TokenKind::Status
                )
            })
            .map(|t| self.word(t))
            .collect()
    }
}

/// Whether `name` is one of the rule set's results: a score, `health`,
/// `status`.
fn is_result(rules: &RuleSet, name: &str) -> bool {
    name == "health" || name == "status" || rules.scores.iter().any(|s| s.name == name)
}

/// What the expression position around the cursor wants: from the tokens
/// before it, else from an operand after it.
fn want(cx: &Cx<'_>) -> Want {
    let w = cx.want_at(cx.before.len());
    match w {
        Want::Any | Want::Condition => cx.right_operand_type().map_or(w, Want::Value),
        _ => w,
    }
}

/// What a name is, for ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Signal,
    Event,
    Const,
    /// A score, `health`, `status`: what the rule set computes.
    Result,
}

/// Names, functions and keywords, ranked for what the position wants.
///
/// The first character of `sortText` is the tier (what fits first), the
/// second orders within it. Two facts about a name help everywhere: it is
/// *unread* — declared, but no rule, score, status or constant mentions it
/// yet (the checker warns about it; a rule being written most likely reads
/// it) — or *recent* — read in the item being written or the two before
/// it. Then, by position:
/// - a condition starts: bool names and `not`; unread, then recent names;
///   `health`, `status`; the functions conditions compare (`change`,
///   `count`, `days_since`…); the results when the condition already reads
///   one; the other signals and events;
/// - the other operand of a comparison, a typed parameter: constants of
///   the type (thresholds), names of the type (unread, recent, others),
///   the functions that return it;
/// - an amount (`add`, `10 * …`): `min`, `count`… first; a score's
///   expression or a band's subject: numeric signals, then `band`,
///   `linear`…; an operand of a name or a parameter: names first;
/// - `previous(`/`change(`: signals, scores, `health`; an event query:
///   events; after `expect`: scores, `status`, `health`.
fn expression(cx: &Cx<'_>, want: Want) -> Vec<CompletionItem> {
    let rules = cx.rules;
    // not offered where they are errors
    let no_results = cx.results_forbidden();
    let reads = cx.reads();
    let recent = cx.recent_names();
    let here = cx.item_names();
    let doc = cx.doc_words();
    let reads_result = here.iter().any(|n| is_result(rules, n));
    let in_status = cx.blocks().last() == Some(&Block::Status);
    // the item's documentation mentions a name: the name itself, or one
    // of its words (`meeting` for `exec_meeting`; plurals too)
    let mentioned = |name: &str| {
        let said = |w: &str| doc.contains(w) || doc.contains(&format!("{w}s"));
        said(name)
            || name
                .split('_')
                .any(|w| w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic()) && said(w))
    };
    // unread names of a condition: no condition reads them yet
    let cond_unread = |kind: Kind, name: &str| {
        kind != Kind::Result && kind != Kind::Const && !reads.in_conditions.contains(name)
    };
    // (tier, order within the tier) of a name
    let rank = |kind: Kind, ty: Type, name: &str| -> (u8, u8) {
        let unread = kind != Kind::Result && !reads.names.contains(name);
        let recent = recent.contains(name);
        let fit = fits(want, ty);
        match want {
            Want::Condition => match kind {
                // a status arm classifies the results
                Kind::Result if in_status && name == "health" => (FITS, 0),
                // a condition rarely tests a name twice
                _ if here.contains(name) => (FITS, 7),
                _ if ty == Type::Bool && kind != Kind::Result => (FITS, 0),
                Kind::Const => (FITS, 8),
                _ if mentioned(name) => (FITS, 0),
                Kind::Result if name == "health" || name == "status" => (FITS, 1),
                _ if unread => (FITS, 1),
                // results go with results
                Kind::Result if reads_result => (FITS, 2),
                _ if recent => (FITS, 2),
                _ if cond_unread(kind, name) => (FITS, 4),
                _ => (FITS, 7),
            },
            Want::Value(_) if fit => match kind {
                Kind::Const if unread => (FITS, 0),
                Kind::Const => (FITS, 1),
                _ if unread || recent => (FITS, 2),
                _ => (FITS, 4),
            },
            Want::Value(Type::Status) if name == "status" => (FITS, 0),
            Want::Numeric(role) if fit => match (role, kind) {
                (Role::Amount, Kind::Const) => (FITS, 3),
                (Role::Amount, _) if unread || recent => (FITS, 1),
                (Role::Amount, _) => (FITS, 4),
                (_, Kind::Const) => (FITS, 3),
                (_, Kind::Result) => (FITS, 4),
                (Role::Score, _) if unread => (FITS, 0),
                (Role::Score, _) => (FITS, 2),
                (Role::Operand, _) if unread || recent => (FITS, 0),
                (Role::Operand, _) => (FITS, 2),
            },
            Want::History => match kind {
                Kind::Signal if fit && (unread || recent) => (FITS, 0),
                Kind::Signal if fit => (FITS, 1),
                Kind::Result if name != "status" => (FITS, 1),
                Kind::Signal => (FITS, 2),
                _ => (NAME, 2),
            },
            Want::Events => match kind {
                Kind::Event if unread => (FITS, 0),
                Kind::Event => (FITS, 1),
                _ => (NAME, 2),
            },
            Want::Outcome => match kind {
                Kind::Result if name == "health" || name == "status" => (FITS, 1),
                Kind::Result => (FITS, 0),
                _ => (NAME, 1),
            },
            _ if unread => (NAME, 0),
            _ => (NAME, 1),
        }
    };
    // a function whose first parameter takes a name nothing reads yet, or
    // one the documentation mentions
    let boosted = |f: &str, by: &dyn Fn(&str) -> bool| -> bool {
        let takes = |kind: Kind, ty: Type, name: &str| {
            by(name)
                && match parameter(f, 0) {
                    Want::Events => kind == Kind::Event,
                    Want::History => kind == Kind::Signal && ty.is_numeric(),
                    w @ Want::Value(_) => kind == Kind::Signal && fits(w, ty),
                    _ => false,
                }
        };
        rules
            .signals
            .iter()
            .any(|s| takes(Kind::Signal, s.ty, &s.name))
            || rules
                .events
                .iter()
                .any(|e| takes(Kind::Event, Type::Error, &e.name))
    };
    let mut out = Vec::new();
    if let Some(ev) = where_event(&cx.before, cx.text) {
        if let Some(e) = rules_event(cx, ev) {
            for mut it in fields_of(cx, e, FITS) {
                // before everything else
                it.sort_text = Some(format!("{FITS}{FITS}{FITS}{}", it.label));
                out.push(it);
            }
        }
    }
    let mut push = |rank: (u8, u8), mut it: CompletionItem| {
        it.sort_text = Some(format!("{}{}{}", rank.0, rank.1, it.label));
        out.push(it);
    };
    for s in &rules.signals {
        push(
            rank(Kind::Signal, s.ty, &s.name),
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
        );
    }
    for e in &rules.events {
        push(
            rank(Kind::Event, Type::Error, &e.name),
            item(
                &e.name,
                CompletionItemKind::EVENT,
                "event".into(),
                e.doc.as_ref(),
            ),
        );
    }
    for c in &rules.consts {
        push(
            rank(Kind::Const, c.ty, &c.name),
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
        );
    }
    if !no_results {
        for s in &rules.scores {
            push(
                rank(Kind::Result, Type::Number, &s.name),
                item(
                    &s.name,
                    CompletionItemKind::FIELD,
                    format!("score, weight {}", s.weight.normalize()),
                    s.doc.as_ref(),
                ),
            );
        }
        push(
            rank(Kind::Result, Type::Number, "health"),
            keyword("health"),
        );
        push(
            rank(Kind::Result, Type::Status, "status"),
            keyword("status"),
        );
    }
    let typical = typical(want);
    for (name, sig, doc) in vital_check::FUNCTIONS {
        let returned = returns(name);
        let fit = match want {
            Want::Numeric(_) => returned.is_none_or(|t| t.is_numeric()),
            Want::Value(w) => returned.map_or(w.is_numeric(), |t| fits(want, t)),
            _ => true,
        };
        let place = typical.iter().position(|n| n == name);
        let sort = match place {
            Some(i) if want == Want::Condition => {
                if boosted(name, &|n| mentioned(n) && !reads.in_conditions.contains(n)) {
                    format!("{FITS}1{i}")
                } else if boosted(name, &|n| !reads.names.contains(n))
                    || reads.calls.contains_key(name)
                {
                    format!("{FITS}3{i}")
                } else {
                    format!("{FITS}6{i}")
                }
            }
            // a function the rule set already calls
            None if want == Want::Condition && reads.calls.contains_key(name) => {
                format!("{FITS}3{name}")
            }
            Some(i) if fit => {
                let tier = match want {
                    Want::Condition => 4,
                    Want::Numeric(Role::Amount) => 0,
                    Want::Numeric(Role::Score) => 1,
                    _ => 3,
                };
                format!("{FITS}{tier}{i}")
            }
            _ if fit
                && !matches!(
                    want,
                    Want::Any | Want::History | Want::Events | Want::Outcome
                ) =>
            {
                format!("{FITS}6{name}")
            }
            _ => format!("{FUNCTION}0{name}"),
        };
        let mut it = item(name, CompletionItemKind::FUNCTION, (*sig).to_string(), None);
        it.documentation = Some(Documentation::String((*doc).to_string()));
        it.insert_text = Some(format!("{name}($1)"));
        it.insert_text_format = Some(InsertTextFormat::SNIPPET);
        it.sort_text = Some(sort);
        out.push(it);
    }
    // the words that start an operand (`where`, `within`, `and`, `or`,
    // `is missing` follow one: `continuation` offers them)
    for kw in ["not", "true", "false", "band"] {
        let rank = match (kw, want) {
            ("not", Want::Condition) => (FITS, 0),
            ("true" | "false", Want::Value(Type::Bool)) => (FITS, 0),
            ("band", Want::Numeric(Role::Score)) => (FITS, 1),
            _ => (KEYWORD, 0),
        };
        let mut it = keyword(kw);
        it.sort_text = Some(format!("{}{}{kw}", rank.0, rank.1));
        out.push(it);
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
