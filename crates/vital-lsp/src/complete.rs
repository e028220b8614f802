//! Completion: what may come at the cursor, read off the token stream (which
//! survives half-typed text) and the last checked rule set.

use crate::analysis::Analysis;
use tower_lsp_server::ls_types::*;
use vital_check::ir::Type;
use vital_syntax::lexer::{Token, TokenKind};
use vital_syntax::FileId;

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
    ("when … add", "when ${1:condition} add ${2:10} to ${3:score}", "adjustment"),
    ("when … subtract", "when ${1:condition} subtract ${2:10} from ${3:score}", "adjustment"),
    ("when … trigger", "when ${1:condition} trigger \"${2:playbook}\"", "trigger"),
    (
        "test",
        "test \"${1:name}\" {\n  as_of ${2:2026-11-01}\n  given {\n    $3\n  }\n  expect $0\n}",
        "test \"NAME\" { as_of DATE given { … } expect COND }",
    ),
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

pub fn complete(a: &Analysis, f: FileId, off: usize) -> Vec<CompletionItem> {
    let text = &a.sources.file(f).text;
    let tokens = &a.checked.parsed[f.index()].tokens;
    let rules = &a.checked.rules;
    // tokens before the cursor, without the word being typed
    let mut before: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.span.end <= off && t.kind != TokenKind::Comment)
        .collect();
    if let Some(last) = before.last() {
        if last.span.end == off && (last.kind == TokenKind::Ident || last.kind.is_keyword()) {
            before.pop();
        }
    }
    let word = |t: &Token| &text[t.span.start..t.span.end];
    let prev = before.last().copied();
    let prev2 = before
        .len()
        .checked_sub(2)
        .and_then(|i| before.get(i))
        .copied();

    // `to` / `from`: a score
    if prev.is_some_and(|t| matches!(t.kind, TokenKind::To | TokenKind::From)) {
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
    if prev.is_some_and(|t| {
        t.kind == TokenKind::Number && !text[t.span.end..off.min(text.len())].contains('\n')
    }) && prev2.is_some_and(|t| t.kind == TokenKind::Within)
    {
        return ["days", "weeks", "months", "years"]
            .iter()
            .map(|u| item(u, CompletionItemKind::UNIT, "duration unit".into(), None))
            .collect();
    }
    // after `==`, `!=`, or inside `in (…)`: the variants or statuses of the other side
    let mut subject: Option<&Token> = None;
    if prev.is_some_and(|t| t.kind == TokenKind::Compare && matches!(word(t), "==" | "!=")) {
        subject = prev2;
    } else {
        // inside `x in (a, |`
        let mut depth = 0;
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
    if let Some(s) = subject {
        if s.kind == TokenKind::Status {
            return rules
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
                .collect();
        }
        if s.kind == TokenKind::Ident {
            let ty = a
                .checked
                .index
                .occurrences
                .iter()
                .find(|o| o.file == f && o.span == s.span)
                .and_then(|o| match o.symbol {
                    vital_check::Symbol::Signal(i) => rules.signals.get(i as usize).map(|x| x.ty),
                    vital_check::Symbol::Field(e, fi) => rules
                        .events
                        .get(e as usize)
                        .and_then(|e| e.fields.get(fi as usize))
                        .map(|x| x.ty),
                    vital_check::Symbol::Const(i) => rules.consts.get(i as usize).map(|x| x.ty),
                    _ => None,
                });
            if let Some(Type::Enum(e)) = ty {
                let t = rules.type_name(Type::Enum(e));
                return rules.enums[e as usize]
                    .variants
                    .iter()
                    .map(|v| item(v, CompletionItemKind::ENUM_MEMBER, t.clone(), None))
                    .collect();
            }
        }
    }
    // depth and the item the cursor is in
    let mut depth = 0i32;
    for t in &before {
        match t.kind {
            TokenKind::LBrace | TokenKind::LParen => depth += 1,
            TokenKind::RBrace | TokenKind::RParen => depth -= 1,
            _ => {}
        }
    }
    let line_start = text[..off.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let fresh_line = text[line_start..off.min(text.len())]
        .trim()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let in_test = before
        .iter()
        .rev()
        .find(|t| {
            matches!(
                t.kind,
                TokenKind::Test
                    | TokenKind::Signal
                    | TokenKind::Event
                    | TokenKind::Score
                    | TokenKind::Rule
                    | TokenKind::Const
                    | TokenKind::When
            )
        })
        .is_some_and(|t| t.kind == TokenKind::Test);
    if fresh_line
        && depth <= 0
        && !prev.is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::When
                    | TokenKind::Add
                    | TokenKind::Subtract
                    | TokenKind::Compare
                    | TokenKind::Arith
                    | TokenKind::And
                    | TokenKind::Or
                    | TokenKind::Not
                    | TokenKind::Assign
                    | TokenKind::Where
                    | TokenKind::Within
            )
        })
    {
        return DECLARATIONS
            .iter()
            .map(|(l, b, d)| snippet(l, b, d))
            .collect();
    }
    if in_test && depth == 1 && fresh_line {
        return TEST_WORDS
            .iter()
            .map(|(l, b)| snippet(l, b, "test block"))
            .collect();
    }
    // an expression: names, functions, keywords; fields inside `where`
    let mut out = Vec::new();
    if let Some(ev) = where_event(&before, text) {
        if let Some(e) = rules.events.iter().find(|e| e.name == ev) {
            for fd in &e.fields {
                out.push(item(
                    &fd.name,
                    CompletionItemKind::FIELD,
                    format!("{} field: {}", e.name, rules.type_name(fd.ty)),
                    None,
                ));
            }
        }
    }
    for s in &rules.signals {
        out.push(item(
            &s.name,
            CompletionItemKind::VARIABLE,
            format!(
                "signal: {}{}",
                rules.type_name(s.ty),
                if s.optional { "?" } else { "" }
            ),
            s.doc.as_ref(),
        ));
    }
    for e in &rules.events {
        out.push(item(
            &e.name,
            CompletionItemKind::EVENT,
            "event".into(),
            e.doc.as_ref(),
        ));
    }
    for c in &rules.consts {
        out.push(item(
            &c.name,
            CompletionItemKind::CONSTANT,
            format!(
                "const: {} = {}",
                rules.type_name(c.ty),
                rules.show_value(&c.value, c.ty)
            ),
            c.doc.as_ref(),
        ));
    }
    for s in &rules.scores {
        out.push(item(
            &s.name,
            CompletionItemKind::FIELD,
            format!("score, weight {}", s.weight.normalize()),
            s.doc.as_ref(),
        ));
    }
    for (name, sig, doc) in vital_check::FUNCTIONS {
        let mut it = item(name, CompletionItemKind::FUNCTION, (*sig).to_string(), None);
        it.documentation = Some(Documentation::String((*doc).to_string()));
        it.insert_text = Some(format!("{name}($1)"));
        it.insert_text_format = Some(InsertTextFormat::SNIPPET);
        out.push(it);
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
        out.push(item(
            kw,
            CompletionItemKind::KEYWORD,
            "keyword".into(),
            None,
        ));
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
