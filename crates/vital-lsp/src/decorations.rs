//! What the editor draws over the text: semantic tokens, inlay hints (each
//! score's share of health), and the "run test" code lens of each test.

use crate::analysis::Analysis;
use crate::convert::Encoding;
use std::collections::HashMap;
use tower_lsp_server::ls_types::*;
use vital_check::Symbol;
use vital_syntax::lexer::TokenKind;
use vital_syntax::FileId;

pub const TOKEN_TYPES: &[&str] = &[
    "keyword",
    "string",
    "number",
    "comment",
    "operator",
    "type",
    "signal",
    "event",
    "score",
    "const",
    "enumMember",
    "statusArm",
    "function",
    "property",
];

fn token_type(name: &str) -> u32 {
    TOKEN_TYPES.iter().position(|t| *t == name).unwrap_or(0) as u32
}

pub fn semantic_tokens(a: &Analysis, f: FileId, enc: Encoding) -> Vec<SemanticToken> {
    let text = a.text(f);
    let tokens = a.tokens(f);
    let kinds: HashMap<usize, &'static str> = a
        .checked
        .index
        .occurrences
        .iter()
        .filter(|o| o.file == f)
        .map(|o| {
            (
                o.span.start,
                match o.symbol {
                    Symbol::Signal(_) => "signal",
                    Symbol::Event(_) => "event",
                    Symbol::Field(..) => "property",
                    Symbol::Const(_) => "const",
                    Symbol::Score(_) => "score",
                    Symbol::Variant(..) => "enumMember",
                    Symbol::StatusArm(_) => "statusArm",
                },
            )
        })
        .collect();
    // `cooldown`, `owner`, `started` where they are keywords
    let contextual: Vec<usize> = a
        .contextual_keywords(f)
        .iter()
        .map(|c| c.span().start)
        .collect();
    let mut out = Vec::new();
    let (mut last_line, mut last_col) = (0u32, 0u32);
    for (i, t) in tokens.iter().enumerate() {
        let ty = match t.kind {
            TokenKind::Comment => Some("comment"),
            TokenKind::String | TokenKind::UnterminatedString => Some("string"),
            TokenKind::Number | TokenKind::Percent | TokenKind::Date => Some("number"),
            TokenKind::TypeName => Some("type"),
            TokenKind::Compare | TokenKind::Arith | TokenKind::Coalesce | TokenKind::Arrow => {
                Some("operator")
            }
            TokenKind::Ident if contextual.contains(&t.span.start) => Some("keyword"),
            TokenKind::Ident => kinds.get(&t.span.start).copied().or_else(|| {
                let name = text.get(t.span.start..t.span.end).unwrap_or_default();
                (tokens
                    .get(i + 1)
                    .is_some_and(|n| n.kind == TokenKind::LParen)
                    && vital_check::FUNCTIONS.iter().any(|x| x.0 == name))
                .then_some("function")
            }),
            k if k.is_keyword() => Some("keyword"),
            _ => None,
        };
        let Some(ty) = ty else { continue };
        // one token per line (comments and strings never span lines)
        let start = a.position(f, t.span.start, enc);
        let end = a.position(f, t.span.end, enc);
        let length = if end.line == start.line {
            end.character - start.character
        } else {
            continue;
        };
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.character - last_col
        } else {
            start.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: token_type(ty),
            token_modifiers_bitset: 0,
        });
        last_line = start.line;
        last_col = start.character;
    }
    out
}

/// After each score's weight: its share of health (`= 35%`).
pub fn inlay_hints(a: &Analysis, f: FileId, enc: Encoding) -> Vec<InlayHint> {
    let total: f64 = a
        .checked
        .rules
        .scores
        .iter()
        .map(|s| vital_check::value::to_f64(s.weight))
        .sum();
    let mut out = Vec::new();
    for item in a.items(f) {
        let vital_syntax::ast::ItemKind::Score(s) = &item.kind else {
            continue;
        };
        let Some(w) = s.weight.value else { continue };
        if total <= 0.0 {
            continue;
        }
        let share = vital_check::value::to_f64(w) / total * 100.0;
        out.push(InlayHint {
            position: a.position(f, s.weight.span.end, enc),
            // read as a sentence: `weight 25  25% of health`
            label: InlayHintLabel::String(format!("{share:.0}% of health")),
            kind: None,
            text_edits: None,
            tooltip: Some(InlayHintTooltip::String(format!(
                "{} counts for {share:.0}% of health: weight {} of {} in all",
                s.name.name, s.weight.text, total
            ))),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }
    out
}

/// The names of the tests declared in file `f`.
pub fn test_names(a: &Analysis, f: FileId) -> Vec<String> {
    a.items(f)
        .iter()
        .filter_map(|item| match &item.kind {
            vital_syntax::ast::ItemKind::Test(t) => Some(t.name.value.clone()),
            _ => None,
        })
        .collect()
}

/// "Run test" above each `test` block, with its verdict when it has one
/// (`verdicts`: test name → passed, on the rule set as it is now).
pub fn code_lenses(
    a: &Analysis,
    f: FileId,
    verdicts: &HashMap<String, bool>,
    enc: Encoding,
) -> Vec<CodeLens> {
    let mut out = Vec::new();
    for item in a.items(f) {
        let vital_syntax::ast::ItemKind::Test(t) = &item.kind else {
            continue;
        };
        let status = match verdicts.get(&t.name.value) {
            Some(true) => " — passed",
            Some(false) => " — FAILED",
            None => "",
        };
        out.push(CodeLens {
            range: a.range(f, item.span, enc),
            command: Some(Command {
                title: format!("▶ run test{status}"),
                command: "vital.runTest".into(),
                arguments: Some(vec![
                    serde_json::Value::String(a.root.display().to_string()),
                    serde_json::Value::String(t.name.value.clone()),
                ]),
            }),
            data: None,
        });
    }
    out
}
