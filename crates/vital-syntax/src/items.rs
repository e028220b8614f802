//! Cutting a file into top-level items with the total token stream.
//!
//! Each item is then parsed on its own by the pest grammar, so one broken
//! item does not hide the errors of the others. The cut is made where a token
//! can only begin a new item:
//!
//! * `signal`, `event`, `const`, `score`, `rule`, `test`, and `status {` —
//!   these never occur inside another item, so they start an item at any
//!   brace depth (an unclosed `{` does not swallow the rest of the file);
//! * `when`, `add`, `subtract` at depth 0, unless they continue the rule
//!   being read (`rule "x" when … add …`); `when` in column 1 at any depth
//!   (the `}` of the block above is missing);
//! * a misspelt item keyword: a word at the start of a line, at depth 0,
//!   followed on its line by a name or a string, that is one or two letters
//!   from one of the words above (`socre support weight 25`, `sigal seats:
//!   int`). Two names in a row never continue an expression, so the item
//!   before it is kept whole, and the misspelt one is reported on its own
//!   (with a did-you-mean), instead of swallowing the declaration before it.

use crate::lexer::{Token, TokenKind};
use crate::Span;

/// One top-level item as cut from the token stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCut {
    /// From the first token to the end of the last non-comment token.
    pub span: Span,
    /// Index range into the token list (comments included).
    pub tokens: std::ops::Range<usize>,
    /// The `##` comments directly above the item.
    pub doc: Option<(String, Span)>,
    /// The first token nested deeper than [`crate::MAX_NESTING`], if any.
    pub too_deep: Option<Span>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A declaration or anything that is not a rule.
    Other,
    /// After `rule "…"`.
    RuleHead,
    /// After `when`.
    RuleCond,
    /// After the action keyword.
    RuleAction,
}

/// Cut `tokens` (of `source`) into items.
pub fn cut(source: &str, tokens: &[Token], max_nesting: usize) -> Vec<ItemCut> {
    let mut items: Vec<ItemCut> = Vec::new();
    let mut phase = Phase::Other;
    let mut depth = 0usize;
    let mut current: Option<ItemCut> = None;

    let next_significant = |i: usize| {
        tokens[i + 1..]
            .iter()
            .find(|t| t.kind != TokenKind::Comment)
            .map(|t| t.kind)
    };

    for (i, tok) in tokens.iter().enumerate() {
        if tok.kind == TokenKind::Comment {
            continue;
        }
        let starts = match tok.kind {
            TokenKind::Signal
            | TokenKind::Event
            | TokenKind::Const
            | TokenKind::Score
            | TokenKind::Test => {
                phase = Phase::Other;
                true
            }
            TokenKind::Status if next_significant(i) == Some(TokenKind::LBrace) => {
                phase = Phase::Other;
                true
            }
            TokenKind::Rule => {
                phase = Phase::RuleHead;
                true
            }
            TokenKind::When if depth == 0 => {
                let cont = phase == Phase::RuleHead;
                phase = Phase::RuleCond;
                !cont
            }
            // `when` at the very start of a line inside braces, not after a
            // name (a status arm's `when` follows its name, on its line or
            // the next): the `}` of the block above is missing
            TokenKind::When
                if at_line_start(source, tok)
                    && tokens[..i]
                        .iter()
                        .rev()
                        .find(|t| t.kind != TokenKind::Comment)
                        .is_some_and(|t| t.kind != TokenKind::Ident) =>
            {
                phase = Phase::RuleCond;
                true
            }
            TokenKind::Add | TokenKind::Subtract if depth == 0 => {
                let cont = matches!(phase, Phase::RuleHead | Phase::RuleCond);
                phase = Phase::RuleAction;
                !cont
            }
            TokenKind::Trigger if depth == 0 => {
                // continues `rule "x" when …`; anything else starts a new
                // (conditionless, so reported) trigger rule
                let cont = matches!(phase, Phase::RuleHead | Phase::RuleCond);
                phase = Phase::RuleAction;
                !cont
            }
            TokenKind::Ident if depth == 0 && misspelt_keyword(source, tokens, i) => {
                phase = Phase::Other;
                true
            }
            _ => current.is_none(),
        };
        if starts {
            if let Some(done) = current.take() {
                items.push(done);
            }
            depth = 0;
            current = Some(ItemCut {
                span: tok.span,
                tokens: i..i + 1,
                doc: doc_comment(source, tokens, i),
                too_deep: None,
            });
        }
        match tok.kind {
            TokenKind::LBrace | TokenKind::LParen => depth += 1,
            TokenKind::RBrace | TokenKind::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        if let Some(item) = current.as_mut() {
            item.span.end = tok.span.end;
            item.tokens.end = i + 1;
            if depth > max_nesting && item.too_deep.is_none() {
                item.too_deep = Some(tok.span);
            }
        }
    }
    if let Some(done) = current.take() {
        items.push(done);
    }
    items
}

/// Token `tok` is the first thing on its line, in column 1.
fn at_line_start(source: &str, tok: &Token) -> bool {
    tok.span.start == 0 || source.as_bytes().get(tok.span.start - 1) == Some(&b'\n')
}

/// The words that begin an item.
pub const ITEM_KEYWORDS: &[&str] = &[
    "signal", "event", "const", "score", "rule", "test", "status", "when",
];

/// Token `i` (a name) starts a line, is followed on that line by a name or a
/// string, and is a near miss of an item keyword.
fn misspelt_keyword(source: &str, tokens: &[Token], i: usize) -> bool {
    let significant = |t: &&Token| t.kind != TokenKind::Comment;
    let tok = tokens[i];
    let starts_line = match tokens[..i].iter().rev().find(significant) {
        Some(prev) => source[prev.span.end..tok.span.start].contains('\n'),
        None => true,
    };
    let Some(next) = tokens[i + 1..].iter().find(significant) else {
        return false;
    };
    let same_line = !source[tok.span.end..next.span.start].contains('\n');
    starts_line
        && same_line
        && matches!(next.kind, TokenKind::Ident | TokenKind::String)
        && crate::suggest::did_you_mean(
            &source[tok.span.start..tok.span.end],
            ITEM_KEYWORDS.iter().copied(),
        )
        .is_some()
}

/// The `##` lines directly above token `i`: consecutive, each on its own
/// line, the last on the line before the token.
fn doc_comment(source: &str, tokens: &[Token], i: usize) -> Option<(String, Span)> {
    let mut lines: Vec<&str> = Vec::new();
    let mut next_start = tokens.get(i)?.span.start;
    let mut span: Option<Span> = None;
    let mut j = i;
    while j > 0 {
        let t = tokens[j - 1];
        if !t.is_doc_comment(source) {
            break;
        }
        // exactly one line break between the comment and what follows
        let gap = &source[t.span.end..next_start];
        if gap.matches('\n').count() != 1 {
            break;
        }
        // the comment stands on its own line
        let line_start = source[..t.span.start].rfind('\n').map_or(0, |p| p + 1);
        if !source[line_start..t.span.start].trim().is_empty() {
            break;
        }
        let text = &source[t.span.start + 2..t.span.end];
        lines.push(text.strip_prefix(' ').unwrap_or(text).trim_end());
        span = Some(span.map_or(t.span, |s| t.span.to(s)));
        next_start = t.span.start;
        j -= 1;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some((lines.join("\n"), span?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn cuts(src: &str) -> Vec<&str> {
        let toks = tokenize(src);
        cut(src, &toks, 48)
            .into_iter()
            .map(|c| &src[c.span.start..c.span.end])
            .collect()
    }

    #[test]
    fn rules_and_declarations() {
        let src = "signal a: int event e\nrule \"x\"\nwhen e add 1 to s\nwhen a > 1 trigger \"p\" add 2 to s\nsubtract 1 from s";
        assert_eq!(
            cuts(src),
            vec![
                "signal a: int",
                "event e",
                "rule \"x\"\nwhen e add 1 to s",
                "when a > 1 trigger \"p\"",
                "add 2 to s",
                "subtract 1 from s"
            ]
        );
    }

    #[test]
    fn status_in_expression_does_not_cut() {
        let src = "status { a when health > 1 b otherwise }\nwhen status == a trigger \"t\"";
        assert_eq!(cuts(src).len(), 2);
    }

    #[test]
    fn unclosed_brace_does_not_swallow_the_file() {
        let src = "status { a when health > 1\nsignal x: int\nscore s weight 1";
        assert_eq!(
            cuts(src),
            vec![
                "status { a when health > 1",
                "signal x: int",
                "score s weight 1"
            ]
        );
    }

    #[test]
    fn doc_comments() {
        let src = "# plain\n## The ARR.\n## In dollars.\nsignal arr: money\n\n## detached\n\nsignal b: int";
        let toks = tokenize(src);
        let c = cut(src, &toks, 48);
        assert_eq!(
            c[0].doc.as_ref().map(|d| d.0.as_str()),
            Some("The ARR.\nIn dollars.")
        );
        assert_eq!(c[1].doc, None);
    }

    #[test]
    fn nesting_is_measured() {
        let src = format!("const c = {}1{}", "(".repeat(60), ")".repeat(60));
        let toks = tokenize(&src);
        let c = cut(&src, &toks, 48);
        assert!(c[0].too_deep.is_some());
    }
}
