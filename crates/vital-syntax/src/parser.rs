//! pest → AST, one item at a time.

use crate::ast::*;
use crate::items::{self, ItemCut};
use crate::lexer::{self, Token, TokenKind};
use crate::moved::{Move, Moved};
use crate::{Code, Diagnostic, FileId, Span};
use chrono::NaiveDate;
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/vital.pest"]
struct VitalParser;

/// The deepest nesting of `(`/`{` one item may have.
pub const MAX_NESTING: usize = 48;
/// The most operators one item may have (bounds the depth of expression
/// trees, and so every recursive walk over them).
pub const MAX_OPERATORS: usize = 256;

/// Stack that must be left before parsing an item, and the size of the
/// segment allocated when less is left.
pub(crate) const STACK_RED_ZONE: usize = 4 << 20;
pub(crate) const STACK_SEGMENT: usize = 16 << 20;

/// The result of parsing one file: never a failure.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
    /// The total token stream (comments included).
    pub tokens: Vec<Token>,
    /// Where the file was cut into items (one per item, parsed or not).
    pub cuts: Vec<ItemCut>,
    /// The names that declarations which did not parse declare (`socre
    /// support weight …`): the checker does not call them unknown where
    /// they are used, the declaration's own error says what is wrong.
    pub broken: Vec<String>,
}

/// Parse one file. Returns every item that parsed and a diagnostic for each
/// item that did not.
pub fn parse(file_id: FileId, source: &str) -> ParsedFile {
    parse_reusing(file_id, source, None)
}

/// Parse one file again after an edit, given its previous text and parse
/// (of the same `file_id`): an item whose text (and `##` documentation) did
/// not change keeps its tree and diagnostics, moved to where it is now;
/// only the items the edit touched are parsed. The result is the same as
/// [`parse`]'s.
pub fn parse_reusing(
    file_id: FileId,
    source: &str,
    previous: Option<(&str, &ParsedFile)>,
) -> ParsedFile {
    let tokens = lexer::tokenize(source);
    let cuts = items::cut(source, &tokens, MAX_NESTING);
    let mut diagnostics = Vec::new();
    let mut file = File::default();
    let mut reuse = previous.map(|(text, p)| Reuse::new(text, p));
    let mut broken = Vec::new();
    for cut in &cuts {
        if let Some(at) = cut.too_deep {
            diagnostics.push(
                Diagnostic::new(
                    Code::TooDeep,
                    file_id,
                    at,
                    format!("this declaration nests more than {MAX_NESTING} levels of parentheses or braces"),
                )
                .with_label("too deep")
                .with_help("split the expression into constants or simpler rules"),
            );
            continue;
        }
        let operators = tokens[cut.tokens.clone()]
            .iter()
            .filter(|t| {
                matches!(
                    t.kind,
                    TokenKind::Arith
                        | TokenKind::Compare
                        | TokenKind::Coalesce
                        | TokenKind::And
                        | TokenKind::Or
                        | TokenKind::Not
                )
            })
            .count();
        if operators > MAX_OPERATORS {
            diagnostics.push(
                Diagnostic::new(
                    Code::TooDeep,
                    file_id,
                    Span::new(cut.span.start, tokens[cut.tokens.start].span.end),
                    format!("this declaration has {operators} operators; at most {MAX_OPERATORS} are allowed"),
                )
                .with_help("split the expression into constants or simpler rules"),
            );
            continue;
        }
        let text = &source[cut.span.start..cut.span.end];
        let doc = cut.doc.as_ref().map(|d| d.0.as_str());
        if let Some((mut item, mut diags, from)) =
            reuse.as_mut().and_then(|r| r.take(file_id, text, doc))
        {
            let m = Move {
                from,
                to: cut.span.start,
            };
            item.moved(m);
            diags.moved(m);
            #[cfg(test)]
            REUSED.with(|n| n.set(n.get() + 1));
            file.items.push(item);
            diagnostics.extend(diags);
            continue;
        }
        // pest and the tree builder recurse once per grammar rule: make sure
        // a deeply nested (but allowed) item has room, whatever thread we
        // are called on.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            let mut builder = Builder {
                base: cut.span.start,
                file: file_id,
                diagnostics: &mut diagnostics,
                tokens: &tokens[cut.tokens.clone()],
            };
            match VitalParser::parse(Rule::item, text) {
                Ok(pairs) => {
                    let doc = cut.doc.as_ref().map(|d| d.0.clone());
                    match builder.item(pairs, doc) {
                        Some(item) => file.items.push(item),
                        None => builder.diagnostics.push(Diagnostic::new(
                            Code::Syntax,
                            file_id,
                            cut.span,
                            "this declaration could not be read",
                        )),
                    }
                }
                Err(err) => {
                    broken.extend(declared_name(source, &tokens[cut.tokens.clone()]));
                    diagnostics.push(syntax_error(file_id, source, &tokens, cut, &err));
                }
            }
        });
    }
    ParsedFile {
        file,
        diagnostics,
        tokens,
        cuts,
        broken,
    }
}

/// The name a declaration's tokens declare: `signal NAME`, `event NAME`,
/// `const NAME`, `score NAME`, or a misspelt keyword and a name.
fn declared_name(source: &str, tokens: &[Token]) -> Option<String> {
    let mut it = tokens.iter().filter(|t| t.kind != TokenKind::Comment);
    let first = it.next()?;
    let name = it.next().filter(|t| t.kind == TokenKind::Ident)?;
    matches!(
        first.kind,
        TokenKind::Signal
            | TokenKind::Event
            | TokenKind::Const
            | TokenKind::Score
            | TokenKind::Ident
    )
    .then(|| source[name.span.start..name.span.end].to_string())
}

// ------------------------------------------------------------------ reuse

#[cfg(test)]
thread_local! {
    /// Items reused by [`parse_reusing`] on this thread (tests count them).
    pub(crate) static REUSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The items of a previous parse, by their text, for [`parse_reusing`].
struct Reuse<'p> {
    file: FileId,
    /// text → the items cut with that text, in order: (its documentation,
    /// the cut's start, the item, its diagnostics); taken when reused.
    by_text: HashMap<&'p str, Vec<Option<Parsed<'p>>>>,
}

type Parsed<'p> = (Option<&'p str>, usize, &'p Item, Vec<&'p Diagnostic>);

impl<'p> Reuse<'p> {
    fn new(text: &'p str, p: &'p ParsedFile) -> Reuse<'p> {
        let mut by_text: HashMap<&'p str, Vec<Option<Parsed<'p>>>> = HashMap::new();
        let file = p.diagnostics.first().map_or(FileId(u32::MAX), |d| d.file);
        let mut items = p.file.items.iter().peekable();
        let mut diags = p.diagnostics.iter().peekable();
        for cut in &p.cuts {
            // the item and diagnostics of this cut (both in order)
            while items.peek().is_some_and(|i| i.span.start < cut.span.start) {
                items.next();
            }
            let item = items.next_if(|i| i.span.start <= cut.span.end);
            while diags.peek().is_some_and(|d| d.span.start < cut.span.start) {
                diags.next();
            }
            let mut mine = Vec::new();
            while let Some(d) = diags.next_if(|d| d.span.start <= cut.span.end) {
                mine.push(d);
            }
            // only items that parsed, with diagnostics inside the item
            let Some(item) = item else { continue };
            if mine.iter().any(|d| {
                matches!(d.code, Code::Syntax | Code::TooDeep)
                    || d.span.end > cut.span.end
                    || d.related.iter().any(|r| r.span.start < cut.span.start)
            }) {
                continue;
            }
            let (Some(t), doc) = (
                text.get(cut.span.start..cut.span.end),
                cut.doc.as_ref().map(|d| d.0.as_str()),
            ) else {
                continue;
            };
            by_text
                .entry(t)
                .or_default()
                .push(Some((doc, cut.span.start, item, mine)));
        }
        Reuse { file, by_text }
    }

    /// The parse of an item with this text, moved nowhere yet: the item,
    /// its diagnostics and where its cut started.
    fn take(
        &mut self,
        file: FileId,
        text: &str,
        doc: Option<&str>,
    ) -> Option<(Item, Vec<Diagnostic>, usize)> {
        let list = self.by_text.get_mut(text)?;
        let slot = list
            .iter_mut()
            .find(|x| x.as_ref().is_some_and(|p| p.0 == doc))?;
        let (_, start, item, diags) = slot.take()?;
        // diagnostics name their file: reuse only within the same one
        if diags.iter().any(|d| d.file != file) || (self.file != file && !diags.is_empty()) {
            return None;
        }
        Some((item.clone(), diags.into_iter().cloned().collect(), start))
    }
}

// ------------------------------------------------------------------ syntax errors

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident => "a name",
        Rule::type_expr | Rule::prim_type | Rule::enum_type | Rule::unknown_type => "a type",
        Rule::optional_mark => "`?`",
        Rule::weight => "a weight (a number)",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::coalesce
        | Rule::additive
        | Rule::multiplicative
        | Rule::unary
        | Rule::neg
        | Rule::paren
        | Rule::band
        | Rule::call
        | Rule::query
        | Rule::kw_health
        | Rule::kw_status
        | Rule::kw_true
        | Rule::kw_false
        | Rule::number
        | Rule::percent
        | Rule::duration
        | Rule::integer => "an expression",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::string => "a string",
        Rule::unit => "a duration unit (`days`, `weeks`, `months`, `years`)",
        Rule::cmp_op | Rule::compare_tail => "a comparison",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::in_tail => "`in`",
        Rule::missing_tail => "`is`",
        Rule::field_access => "`.`",
        Rule::where_clause => "`where`",
        Rule::within_clause => "`within`",
        Rule::status_arm => "a status arm (`NAME when CONDITION` or `NAME otherwise`)",
        Rule::band_arm => "a band arm (`< VALUE => RESULT` or `otherwise => RESULT`)",
        Rule::field_decl => "a field (`NAME: TYPE`)",
        Rule::event_fields => "`{`",
        Rule::assignment => "an assignment (`NAME = VALUE`)",
        Rule::test_value => "a value",
        Rule::test_event => "an event (`EVENT on DATE`)",
        Rule::history_entry => "`on DATE { … }`",
        Rule::test_given => "`given`",
        Rule::test_events => "`events`",
        Rule::test_history => "`history`",
        Rule::test_expect => "`expect`",
        Rule::expect_triggered => "`triggered`",
        Rule::event_values => "`{`",
        Rule::rule_name => "`rule`",
        Rule::rule_when => "`when`",
        Rule::add_action => "`add`",
        Rule::subtract_action => "`subtract`",
        Rule::trigger_action => "`trigger`",
        Rule::cooldown_clause | Rule::ctx_cooldown => "`cooldown`",
        Rule::owner_clause | Rule::ctx_owner => "`owner`",
        Rule::expect_started | Rule::ctx_started => "`started`",
        Rule::cooldown_length | Rule::cooldown_amount => {
            "a cooldown length (a whole number and a unit, such as `30 days`)"
        }
        Rule::signal_decl
        | Rule::event_decl
        | Rule::const_decl
        | Rule::score_decl
        | Rule::status_decl
        | Rule::test_decl
        | Rule::rule_decl => "a declaration",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::arrow => "`=>`",
        Rule::dot => "`.`",
        Rule::coalesce_op => "`??`",
        Rule::kw_signal => "`signal`",
        Rule::kw_event => "`event`",
        Rule::kw_const => "`const`",
        Rule::kw_score => "`score`",
        Rule::kw_weight => "`weight`",
        Rule::kw_rule => "`rule`",
        Rule::kw_when => "`when`",
        Rule::kw_add => "`add`",
        Rule::kw_to => "`to`",
        Rule::kw_subtract => "`subtract`",
        Rule::kw_from => "`from`",
        Rule::kw_trigger => "`trigger`",
        Rule::kw_band => "`band`",
        Rule::kw_otherwise => "`otherwise`",
        Rule::kw_within => "`within`",
        Rule::kw_where => "`where`",
        Rule::kw_in => "`in`",
        Rule::kw_is => "`is`",
        Rule::kw_not => "`not`",
        Rule::kw_missing => "`missing`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_test => "`test`",
        Rule::kw_as_of => "`as_of`",
        Rule::kw_given => "`given`",
        Rule::kw_events => "`events`",
        Rule::kw_history => "`history`",
        Rule::kw_on => "`on`",
        Rule::kw_expect => "`expect`",
        Rule::kw_triggered => "`triggered`",
        Rule::kw_enum => "`enum`",
        Rule::EOI => "the end of the declaration",
        _ => return None,
    })
}

fn syntax_error(
    file: FileId,
    source: &str,
    tokens: &[Token],
    cut: &ItemCut,
    err: &pest::error::Error<Rule>,
) -> Diagnostic {
    let rel = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let offset = cut.span.start + rel;
    let mut expected: Vec<&'static str> = Vec::new();
    let mut unexpected: Vec<&'static str> = Vec::new();
    match &err.variant {
        pest::error::ErrorVariant::ParsingError {
            positives,
            negatives,
        } => {
            for r in positives {
                if let Some(d) = describe(*r) {
                    if !expected.contains(&d) {
                        expected.push(d);
                    }
                }
            }
            for r in negatives {
                if let Some(d) = describe(*r) {
                    if !unexpected.contains(&d) {
                        unexpected.push(d);
                    }
                }
            }
        }
        pest::error::ErrorVariant::CustomError { .. } => {}
    }
    // "the end of the declaration" last, it reads best that way
    expected.sort_by_key(|d| (*d == "the end of the declaration", *d == "an expression"));
    let item_tokens = &tokens[cut.tokens.clone()];
    let at_end = offset >= cut.span.end;
    let (span, found) = if at_end {
        let last = item_tokens
            .iter()
            .rev()
            .find(|t| t.kind != TokenKind::Comment)
            .map_or(cut.span, |t| t.span);
        (last, None)
    } else {
        match item_tokens
            .iter()
            .find(|t| t.span.start <= offset && offset < t.span.end.max(t.span.start + 1))
        {
            Some(t) => (t.span, Some(&source[t.span.start..t.span.end])),
            None => {
                let end = source[offset..]
                    .chars()
                    .next()
                    .map_or(offset, |c| offset + c.len_utf8());
                (Span::new(offset, end), Some(&source[offset..end]))
            }
        }
    };
    let what = match expected.len() {
        0 => String::new(),
        1 => expected[0].to_string(),
        n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
    };
    // `cooldown 30` (no unit): say so, rather than that `30` is unexpected
    let cooldown_number = cooldown_without_unit(source, item_tokens, span, &expected);
    let message = match (found, what.is_empty()) {
        (Some(f), _) if cooldown_number.is_some_and(|n| n != f) => format!(
            "expected a unit after `cooldown {}`, found `{}`: write `cooldown {} days` (or `weeks`, `months`, `years`)",
            cooldown_number.unwrap_or_default(),
            shorten(f),
            cooldown_number.unwrap_or_default()
        ),
        _ if cooldown_number.is_some() => format!(
            "a cooldown needs a unit after its number: `cooldown {} days` (or `weeks`, `months`, `years`)",
            cooldown_number.unwrap_or_default()
        ),
        (Some(f), false) => format!("expected {what}, found `{}`", shorten(f)),
        (Some(f), true) => format!("unexpected `{}`", shorten(f)),
        (None, false) => format!("this declaration ends too early: expected {what} after this"),
        (None, true) => "this declaration ends too early".to_string(),
    };
    let label = if found.is_some() {
        "unexpected here"
    } else {
        "expected more after this"
    };
    // the innermost `{` or `(` still open where the error is
    let mut open: Vec<&Token> = Vec::new();
    for t in item_tokens
        .iter()
        .filter(|t| t.span.start < span.start.max(offset))
    {
        match t.kind {
            TokenKind::LBrace | TokenKind::LParen => open.push(t),
            TokenKind::RBrace | TokenKind::RParen => {
                open.pop();
            }
            _ => {}
        }
    }
    let line_of = |at: usize| source[..at].matches('\n').count() + 1;
    // the declaration ends with a block or a parenthesis still open: say so
    // at the opening, rather than what the next word could have been
    if let (None, Some(o)) = (found, open.last()) {
        let (c, name) = if o.kind == TokenKind::LBrace {
            ('}', "`{`")
        } else {
            (')', "`(`")
        };
        return Diagnostic::new(
            Code::Syntax,
            file,
            o.span,
            format!(
                "the {name} on line {} is never closed",
                line_of(o.span.start)
            ),
        )
        .with_label("opened here")
        .with_help(format!(
            "close it with `{c}` after line {}, where this declaration ends",
            line_of(span.end)
        ));
    }
    let mut diag = Diagnostic::new(Code::Syntax, file, span, message).with_label(label);
    if let Some(tok) = item_tokens.iter().find(|t| t.span.start == span.start) {
        if tok.kind == TokenKind::UnterminatedString {
            diag = diag.with_help("close the string with `\"` on the same line");
        } else if tok.kind == TokenKind::Error {
            // operators of other languages (`&&` is two unknown tokens)
            let mut whole = tok.span;
            for t in item_tokens
                .iter()
                .skip_while(|t| t.span != tok.span)
                .skip(1)
            {
                if t.kind != TokenKind::Error || t.span.start != whole.end {
                    break;
                }
                whole.end = t.span.end;
            }
            let word = &source[whole.start..whole.end];
            let instead = match word {
                "&&" | "&" => Some("and"),
                "||" | "|" => Some("or"),
                "!" => Some("not"),
                _ => None,
            };
            diag = match instead {
                Some(w) => diag
                    .with_help(format!(
                        "Vital writes `{w}`: `{word}` is not part of the language"
                    ))
                    .with_fix(format!("write `{w}`"), whole, w.to_string()),
                None => diag.with_help("this character is not part of the language"),
            };
        } else if tok.kind == TokenKind::Assign
            && expected
                .iter()
                .any(|e| e.contains("comparison") || e.contains("an operator"))
        {
            diag = diag
                .with_help("`=` gives a test's values; a comparison is written `==`")
                .with_fix("write `==`", tok.span, "==");
        } else if let Some(k) = (tok.kind == TokenKind::Ident && tok.span.start != cut.span.start)
            .then(|| {
                // a misspelt keyword in the middle of a line: one of the
                // keywords that could come here
                let units: &[&str] = if expected.iter().any(|e| e.starts_with("a duration unit")) {
                    &[
                        "day", "days", "week", "weeks", "month", "months", "year", "years",
                    ]
                } else {
                    &[]
                };
                let keywords = expected
                    .iter()
                    .filter_map(|e| e.strip_prefix('`')?.strip_suffix('`'))
                    .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                    .chain(units.iter().copied());
                crate::suggest::did_you_mean(&source[tok.span.start..tok.span.end], keywords)
            })
            .flatten()
        {
            diag = diag.with_help(format!("did you mean `{k}`?")).with_fix(
                format!("write `{k}`"),
                tok.span,
                k.to_string(),
            );
        } else if tok.kind == TokenKind::Ident && expected == ["a string"] {
            let word = &source[tok.span.start..tok.span.end];
            diag = diag
                .with_help(format!(
                    "names of rules and playbooks are strings: write \"{word}\""
                ))
                .with_fix(format!("write \"{word}\""), tok.span, format!("\"{word}\""));
        } else if tok.kind == TokenKind::Ident && tok.span.start == cut.span.start {
            // an item that begins with a name: a misspelt keyword?
            let word = &source[tok.span.start..tok.span.end];
            if let Some(k) =
                crate::suggest::did_you_mean(word, crate::items::ITEM_KEYWORDS.iter().copied())
            {
                diag = diag.with_help(format!("did you mean `{k}`?")).with_fix(
                    format!("write `{k}`"),
                    tok.span,
                    k.to_string(),
                );
            }
        } else if let (true, Some(o)) = (
            tok.kind.is_keyword() && expected.contains(&"`}`") && tok.kind != TokenKind::RBrace,
            open.last().filter(|o| o.kind == TokenKind::LBrace),
        ) {
            diag = diag.with_help(format!(
                "is a `}}` missing before `{}`? The `{{` on line {} is still open",
                &source[tok.span.start..tok.span.end],
                line_of(o.span.start)
            ));
        } else if found.is_some() && tok.kind.is_keyword() && expected.contains(&"a name") {
            diag = diag.with_help(format!(
                "`{}` is a keyword and cannot be used as a name",
                &source[tok.span.start..tok.span.end]
            ));
        }
    }
    if diag.help.is_none() && expected.iter().any(|e| e.starts_with("a cooldown length")) {
        diag = diag.with_help(
            "a cooldown is a whole number and a unit: `cooldown 30 days` (or `week`, `weeks`, \
             `month`, `months`, `year`, `years`)",
        );
    }
    let _ = unexpected;
    diag
}

/// `cooldown 30` without its unit: the number, when the error is at it
/// (nothing after it) or right after it (a unit expected).
fn cooldown_without_unit<'s>(
    source: &'s str,
    tokens: &[Token],
    span: Span,
    expected: &[&str],
) -> Option<&'s str> {
    let text = |t: &Token| &source[t.span.start..t.span.end];
    let k = tokens.iter().position(|t| t.span == span)?;
    let words: Vec<&Token> = tokens[..=k]
        .iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let at = |back: usize| words.len().checked_sub(1 + back).map(|i| words[i]);
    let is_cooldown =
        |t: Option<&&Token>| t.is_some_and(|t| t.kind == TokenKind::Ident && text(t) == "cooldown");
    let wants_length = expected.iter().any(|e| e.starts_with("a cooldown length"));
    let wants_unit = expected.iter().any(|e| e.starts_with("a duration unit"));
    match (at(0), at(1), at(2)) {
        (Some(n), c, _)
            if wants_length && n.kind == TokenKind::Number && is_cooldown(c.as_ref()) =>
        {
            Some(text(n))
        }
        (_, Some(n), c) if wants_unit && n.kind == TokenKind::Number && is_cooldown(c.as_ref()) => {
            Some(text(n))
        }
        _ => None,
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 30 {
        let cut: String = s.chars().take(27).collect();
        format!("{cut}...")
    } else {
        s.to_string()
    }
}

// ------------------------------------------------------------------ AST building

fn is_punct(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::comma
            | Rule::colon
            | Rule::equals
            | Rule::arrow
            | Rule::dot
            | Rule::coalesce_op
            | Rule::EOI
    )
}

/// The significant children of a pair (punctuation skipped).
fn kids(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_punct(p.as_rule()))
}

fn find(pair: &Pair<'_, Rule>, rule: Rule) -> Option<Span> {
    pair.clone()
        .into_inner()
        .find(|p| p.as_rule() == rule)
        .map(|p| {
            let s = p.as_span();
            Span::new(s.start(), s.end())
        })
}

struct Builder<'d> {
    base: usize,
    file: FileId,
    diagnostics: &'d mut Vec<Diagnostic>,
    /// The item's tokens, to trim spans.
    tokens: &'d [Token],
}

impl Builder<'_> {
    /// A pair's span in the file, without trailing blanks and comments (pest
    /// keeps the white space it skipped before an optional part that then
    /// did not match).
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let start = s.start() + self.base;
        let end = s.end() + self.base;
        let upto = self.tokens.partition_point(|t| t.span.end <= end);
        let trimmed = self.tokens[..upto]
            .iter()
            .rev()
            .find(|t| t.kind != TokenKind::Comment)
            .map_or(end, |t| t.span.end);
        Span::new(start, trimmed.max(start).min(end))
    }

    fn rel(&self, s: Span) -> Span {
        s.shift(self.base)
    }

    fn item(&mut self, mut pairs: Pairs<'_, Rule>, doc: Option<String>) -> Option<Item> {
        let item = pairs.next()?;
        let decl = kids(item).next()?;
        let span = self.span(&decl);
        let kind = match decl.as_rule() {
            Rule::signal_decl => ItemKind::Signal(self.signal(decl)?),
            Rule::event_decl => ItemKind::Event(self.event(decl)?),
            Rule::const_decl => {
                let mut k = kids(decl).skip(1);
                let name = self.ident(k.next()?);
                let value = self.expr(k.next()?)?;
                ItemKind::Const(ConstDecl { name, value })
            }
            Rule::score_decl => {
                let mut k = kids(decl).skip(1);
                let name = self.ident(k.next()?);
                k.next()?; // weight keyword
                let weight = self.number_lit(k.next()?);
                let base = match k.next() {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                ItemKind::Score(ScoreDecl { name, weight, base })
            }
            Rule::status_decl => ItemKind::Status(self.status(decl)?),
            Rule::rule_decl => ItemKind::Rule(self.rule(decl)?),
            Rule::test_decl => ItemKind::Test(self.test(decl)?),
            _ => return None,
        };
        Some(Item { kind, span, doc })
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn signal(&mut self, decl: Pair<'_, Rule>) -> Option<SignalDecl> {
        let mut k = kids(decl).skip(1);
        let name = self.ident(k.next()?);
        let ty = self.type_expr(k.next()?)?;
        let optional = k.next().is_some();
        Some(SignalDecl { name, ty, optional })
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::enum_type => TypeKind::Enum(kids(inner).skip(1).map(|p| self.ident(p)).collect()),
            Rule::unknown_type => TypeKind::Unknown(self.ident(inner.into_inner().next()?)),
            _ => match inner.as_str() {
                "bool" => TypeKind::Bool,
                "int" => TypeKind::Int,
                "number" => TypeKind::Number,
                "percent" => TypeKind::Percent,
                "money" => TypeKind::Money,
                "text" => TypeKind::Text,
                "date" => TypeKind::Date,
                _ => TypeKind::Duration,
            },
        };
        Some(TypeExpr { kind, span })
    }

    fn event(&mut self, decl: Pair<'_, Rule>) -> Option<EventDecl> {
        let mut k = kids(decl).skip(1);
        let name = self.ident(k.next()?);
        let fields = match k.next() {
            Some(block) => {
                let mut fields = Vec::new();
                for f in kids(block) {
                    let span = self.span(&f);
                    let mut fk = kids(f);
                    let name = self.ident(fk.next()?);
                    let ty = self.type_expr(fk.next()?)?;
                    let optional = fk.next().is_some();
                    fields.push(FieldDecl {
                        name,
                        ty,
                        optional,
                        span,
                    });
                }
                Some(fields)
            }
            None => None,
        };
        Some(EventDecl { name, fields })
    }

    fn status(&mut self, decl: Pair<'_, Rule>) -> Option<StatusDecl> {
        let keyword = self.rel(find(&decl, Rule::kw_status)?);
        let close = self.rel(find(&decl, Rule::rbrace)?);
        let mut arms = Vec::new();
        for arm in kids(decl).skip(1) {
            let span = self.span(&arm);
            let mut k = kids(arm);
            let name = self.ident(k.next()?);
            let kw = k.next()?;
            let cond = if kw.as_rule() == Rule::kw_when {
                Some(self.expr(k.next()?)?)
            } else {
                None
            };
            arms.push(StatusArm { name, cond, span });
        }
        Some(StatusDecl {
            keyword,
            arms,
            close,
        })
    }

    fn rule(&mut self, decl: Pair<'_, Rule>) -> Option<RuleDecl> {
        let mut name = None;
        let mut header = None;
        let mut cond = None;
        let mut when_span = None;
        for part in kids(decl) {
            let span = self.span(&part);
            match part.as_rule() {
                Rule::rule_name => {
                    name = Some(self.string(kids(part).nth(1)?));
                    header = Some(span);
                }
                Rule::rule_when => {
                    cond = Some(self.expr(kids(part).nth(1)?)?);
                    when_span = Some(span);
                }
                Rule::add_action | Rule::subtract_action => {
                    let add = part.as_rule() == Rule::add_action;
                    let mut k = kids(part).skip(1);
                    let amount = self.expr(k.next()?)?;
                    k.next()?; // to / from
                    let score = self.ident(k.next()?);
                    let action = if add {
                        Action::Add { amount, score }
                    } else {
                        Action::Subtract { amount, score }
                    };
                    return Some(RuleDecl {
                        name,
                        header,
                        cond,
                        when_span,
                        action,
                        action_span: span,
                    });
                }
                Rule::trigger_action => {
                    let mut k = kids(part).skip(1);
                    let playbook = self.string(k.next()?);
                    let mut cooldown = None;
                    let mut owner = None;
                    for clause in k {
                        match clause.as_rule() {
                            Rule::cooldown_clause => cooldown = Some(self.cooldown(clause)?),
                            Rule::owner_clause => {
                                let mut ck = kids(clause);
                                let keyword = self.span(&ck.next()?);
                                let signal = self.ident(ck.next()?);
                                owner = Some(Owner { keyword, signal });
                            }
                            _ => return None,
                        }
                    }
                    return Some(RuleDecl {
                        name,
                        header,
                        cond,
                        when_span,
                        action: Action::Trigger {
                            playbook,
                            cooldown,
                            owner,
                        },
                        action_span: span,
                    });
                }
                _ => return None,
            }
        }
        None
    }

    /// `cooldown N UNIT`.
    fn cooldown(&mut self, clause: Pair<'_, Rule>) -> Option<Cooldown> {
        let span = self.span(&clause);
        let mut k = kids(clause);
        let keyword = self.span(&k.next()?);
        let mut length = k.next()?.into_inner();
        let amount = length.next()?;
        let unit = length.next()?;
        let unit_text = unit.as_str().to_string();
        Some(Cooldown {
            keyword,
            amount: amount.as_str().to_string(),
            amount_span: self.span(&amount),
            unit: duration_unit(&unit_text),
            unit_text,
            span,
        })
    }

    fn test(&mut self, decl: Pair<'_, Rule>) -> Option<TestDecl> {
        let close = self.rel(find(&decl, Rule::rbrace)?);
        let mut k = kids(decl).skip(1);
        let name = self.string(k.next()?);
        let as_of_pair = k.next()?;
        let as_of_span = self.span(&as_of_pair);
        let as_of = self.date(kids(as_of_pair).nth(1)?);
        let mut test = TestDecl {
            name,
            as_of,
            as_of_span,
            given: None,
            events: None,
            history: None,
            expects: Vec::new(),
            close,
        };
        for part in k {
            match part.as_rule() {
                Rule::test_given => {
                    let (open, close) = self.block_braces(&part)?;
                    let entries = kids(part)
                        .skip(1)
                        .map(|a| self.assignment(a))
                        .collect::<Option<Vec<_>>>()?;
                    test.given = Some(Block {
                        open,
                        entries,
                        close,
                    });
                }
                Rule::test_events => {
                    let (open, close) = self.block_braces(&part)?;
                    let mut entries = Vec::new();
                    for ev in kids(part).skip(1) {
                        let span = self.span(&ev);
                        let mut ek = kids(ev);
                        let event = self.ident(ek.next()?);
                        ek.next()?; // on
                        let date = self.date(ek.next()?);
                        let fields = match ek.next() {
                            Some(vals) => Some(
                                kids(vals)
                                    .map(|a| self.assignment(a))
                                    .collect::<Option<Vec<_>>>()?,
                            ),
                            None => None,
                        };
                        entries.push(TestEvent {
                            event,
                            date,
                            fields,
                            span,
                        });
                    }
                    test.events = Some(Block {
                        open,
                        entries,
                        close,
                    });
                }
                Rule::test_history => {
                    let (open, close) = self.block_braces(&part)?;
                    let mut entries = Vec::new();
                    for h in kids(part).skip(1) {
                        let span = self.span(&h);
                        let (hopen, hclose) = self.block_braces(&h)?;
                        let mut hk = kids(h).skip(1);
                        let date = self.date(hk.next()?);
                        let values = hk.map(|a| self.assignment(a)).collect::<Option<Vec<_>>>()?;
                        entries.push(HistoryEntry {
                            date,
                            values,
                            open: hopen,
                            close: hclose,
                            span,
                        });
                    }
                    test.history = Some(Block {
                        open,
                        entries,
                        close,
                    });
                }
                Rule::test_expect => {
                    let span = self.span(&part);
                    let body = kids(part).nth(1)?;
                    let kind = if body.as_rule() == Rule::expect_started {
                        let mut negated = false;
                        let mut playbook = None;
                        let mut keyword = None;
                        for p in kids(body) {
                            match p.as_rule() {
                                Rule::kw_not => negated = true,
                                Rule::ctx_started => keyword = Some(self.span(&p)),
                                Rule::string => playbook = Some(self.string(p)),
                                _ => {}
                            }
                        }
                        ExpectKind::Started {
                            negated,
                            playbook: playbook?,
                            keyword: keyword?,
                        }
                    } else if body.as_rule() == Rule::expect_triggered {
                        let mut negated = false;
                        let mut playbook = None;
                        for p in kids(body) {
                            match p.as_rule() {
                                Rule::kw_not => negated = true,
                                Rule::string => playbook = Some(self.string(p)),
                                _ => {}
                            }
                        }
                        ExpectKind::Triggered {
                            negated,
                            playbook: playbook?,
                        }
                    } else {
                        ExpectKind::Cond(self.expr(body)?)
                    };
                    test.expects.push(Expect { kind, span });
                }
                _ => {}
            }
        }
        Some(test)
    }

    fn block_braces(&self, pair: &Pair<'_, Rule>) -> Option<(Span, Span)> {
        Some((
            self.rel(find(pair, Rule::lbrace)?),
            self.rel(find(pair, Rule::rbrace)?),
        ))
    }

    fn assignment(&mut self, pair: Pair<'_, Rule>) -> Option<Assignment> {
        let span = self.span(&pair);
        let mut k = kids(pair);
        let name = self.ident(k.next()?);
        let vp = k.next()?;
        let vspan = self.span(&vp);
        let mut negative = false;
        let mut kind = None;
        for p in vp.into_inner() {
            kind = Some(match p.as_rule() {
                Rule::neg => {
                    negative = true;
                    continue;
                }
                Rule::number => TestValueKind::Number(self.number_lit(p)),
                Rule::percent => TestValueKind::Percent(self.percent_lit(p)),
                Rule::string => TestValueKind::Str(self.string(p)),
                Rule::kw_true => TestValueKind::Bool(true),
                Rule::kw_false => TestValueKind::Bool(false),
                Rule::date => TestValueKind::Date(self.date(p)),
                Rule::duration => TestValueKind::Duration(self.duration(p)?),
                _ => TestValueKind::Name(self.ident(p)),
            });
        }
        Some(Assignment {
            name,
            value: TestValue {
                negative,
                kind: kind?,
                span: vspan,
            },
            span,
        })
    }

    // -------------------------------------------------------------- literals

    fn number_lit(&mut self, pair: Pair<'_, Rule>) -> NumberLit {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let value = parse_number(&text);
        if value.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidLiteral,
                    self.file,
                    span,
                    format!("the number `{text}` does not fit in 28 significant digits"),
                )
                .with_label("too large"),
            );
        }
        NumberLit { text, value, span }
    }

    fn percent_lit(&mut self, pair: Pair<'_, Rule>) -> NumberLit {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let value = parse_number(text.trim_end_matches('%'));
        if value.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidLiteral,
                    self.file,
                    span,
                    format!("the percent `{text}` does not fit in 28 significant digits"),
                )
                .with_label("too large"),
            );
        }
        NumberLit { text, value, span }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> StringLit {
        let raw = pair.as_str().to_string();
        let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        StringLit {
            raw,
            value,
            span: self.span(&pair),
        }
    }

    fn date(&mut self, pair: Pair<'_, Rule>) -> DateLit {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let value = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
        if value.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidDate,
                    self.file,
                    span,
                    format!("`{text}` is not a date in the calendar"),
                )
                .with_label("no such day")
                .with_help("dates are written YYYY-MM-DD with a real month and day"),
            );
        }
        DateLit { text, value, span }
    }

    fn duration(&mut self, pair: Pair<'_, Rule>) -> Option<Duration> {
        let span = self.span(&pair);
        let mut k = pair.into_inner();
        let amount_text = k.next()?.as_str();
        let unit_text = k.next()?.as_str();
        let amount = match amount_text.parse::<i64>() {
            Ok(a) if a <= 100_000 => a,
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        self.file,
                        span,
                        format!("the duration `{amount_text} {unit_text}` is too long"),
                    )
                    .with_help("durations are at most 100000 units"),
                );
                0
            }
        };
        let unit = duration_unit(unit_text);
        Some(Duration {
            amount,
            unit,
            text: format!("{amount_text} {unit_text}"),
        })
    }

    // -------------------------------------------------------------- expressions

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => self.expr(pair.into_inner().next()?),
            Rule::or_expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::or_expr;
                let mut k =
                    kids(pair).filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and));
                let mut acc = self.expr(k.next()?)?;
                for rhs in k {
                    let rhs = self.expr(rhs)?;
                    let span = acc.span.to(rhs.span);
                    let kind = if is_or {
                        ExprKind::Or(Box::new(acc), Box::new(rhs))
                    } else {
                        ExprKind::And(Box::new(acc), Box::new(rhs))
                    };
                    acc = Expr { kind, span };
                }
                Some(acc)
            }
            Rule::not_expr => {
                let mut k = pair.into_inner();
                let first = k.next()?;
                if first.as_rule() == Rule::kw_not {
                    let inner = self.expr(k.next()?)?;
                    Some(Expr {
                        kind: ExprKind::Not(Box::new(inner)),
                        span,
                    })
                } else {
                    self.expr(first)
                }
            }
            Rule::cmp_expr => {
                let mut k = pair.into_inner();
                let lhs = self.expr(k.next()?)?;
                let Some(tail) = k.next() else {
                    return Some(lhs);
                };
                let kind = match tail.as_rule() {
                    Rule::compare_tail => {
                        let mut t = tail.into_inner();
                        let op = cmp_op(t.next()?.as_str());
                        let rhs = self.expr(t.next()?)?;
                        ExprKind::Compare(op, Box::new(lhs), Box::new(rhs))
                    }
                    Rule::in_tail => {
                        let mut negated = false;
                        let mut list = Vec::new();
                        for p in kids(tail) {
                            match p.as_rule() {
                                Rule::kw_not => negated = true,
                                Rule::kw_in => {}
                                _ => list.push(self.expr(p)?),
                            }
                        }
                        ExprKind::In {
                            value: Box::new(lhs),
                            list,
                            negated,
                        }
                    }
                    _ => ExprKind::IsMissing {
                        value: Box::new(lhs),
                        negated: tail.into_inner().any(|p| p.as_rule() == Rule::kw_not),
                    },
                };
                Some(Expr { kind, span })
            }
            Rule::coalesce => {
                let mut k = kids(pair);
                let lhs = self.expr(k.next()?)?;
                match k.next() {
                    Some(rest) => {
                        let rhs = self.expr(rest)?;
                        Some(Expr {
                            kind: ExprKind::Coalesce(Box::new(lhs), Box::new(rhs)),
                            span,
                        })
                    }
                    None => Some(lhs),
                }
            }
            Rule::additive | Rule::multiplicative => {
                let mut k = pair.into_inner();
                let mut acc = self.expr(k.next()?)?;
                while let Some(op) = k.next() {
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" => ArithOp::Sub,
                        "*" => ArithOp::Mul,
                        _ => ArithOp::Div,
                    };
                    let rhs = self.expr(k.next()?)?;
                    let span = acc.span.to(rhs.span);
                    acc = Expr {
                        kind: ExprKind::Arith(op, Box::new(acc), Box::new(rhs)),
                        span,
                    };
                }
                Some(acc)
            }
            Rule::unary => {
                let parts: Vec<_> = pair.into_inner().collect();
                let (negs, prim) = parts.split_at(parts.len().checked_sub(1)?);
                let mut e = self.expr(prim.first()?.clone())?;
                for n in negs.iter().rev() {
                    let start = self.span(n).start;
                    e = Expr {
                        span: Span::new(start, e.span.end),
                        kind: ExprKind::Neg(Box::new(e)),
                    };
                }
                Some(e)
            }
            Rule::paren => Some(Expr {
                kind: ExprKind::Paren(Box::new(self.expr(kids(pair).next()?)?)),
                span,
            }),
            Rule::kw_health => Some(Expr {
                kind: ExprKind::Health,
                span,
            }),
            Rule::kw_status => Some(Expr {
                kind: ExprKind::Status,
                span,
            }),
            Rule::kw_true | Rule::kw_false => Some(Expr {
                kind: ExprKind::Bool(pair.as_rule() == Rule::kw_true),
                span,
            }),
            Rule::number => Some(Expr {
                kind: ExprKind::Number(self.number_lit(pair)),
                span,
            }),
            Rule::percent => Some(Expr {
                kind: ExprKind::Percent(self.percent_lit(pair)),
                span,
            }),
            Rule::string => Some(Expr {
                kind: ExprKind::Str(self.string(pair)),
                span,
            }),
            Rule::date => Some(Expr {
                kind: ExprKind::Date(self.date(pair)),
                span,
            }),
            Rule::duration => Some(Expr {
                kind: ExprKind::Duration(self.duration(pair)?),
                span,
            }),
            Rule::call => {
                let mut k = kids(pair);
                let name = self.ident(k.next()?);
                let args = k.map(|a| self.expr(a)).collect::<Option<Vec<_>>>()?;
                Some(Expr {
                    kind: ExprKind::Call { name, args },
                    span,
                })
            }
            Rule::band => {
                let open = self.rel(find(&pair, Rule::lbrace)?);
                let close = self.rel(find(&pair, Rule::rbrace)?);
                let mut k = kids(pair).skip(1);
                let input = self.expr(k.next()?)?;
                let mut arms = Vec::new();
                for arm in k {
                    let aspan = self.span(&arm);
                    let mut ak = kids(arm);
                    let first = ak.next()?;
                    let test = if first.as_rule() == Rule::kw_otherwise {
                        None
                    } else {
                        let op = cmp_op(first.as_str());
                        Some((op, self.expr(ak.next()?)?))
                    };
                    let result = self.expr(ak.next()?)?;
                    arms.push(BandArm {
                        test,
                        result,
                        span: aspan,
                    });
                }
                Some(Expr {
                    kind: ExprKind::Band {
                        input: Box::new(input),
                        arms,
                        open,
                        close,
                    },
                    span,
                })
            }
            Rule::query => {
                let mut k = kids(pair);
                let event = self.ident(k.next()?);
                let mut q = Query {
                    event,
                    field: None,
                    filter: None,
                    within: None,
                };
                let mut plain = true;
                for part in k {
                    plain = false;
                    match part.as_rule() {
                        Rule::field_access => q.field = Some(self.ident(kids(part).next()?)),
                        Rule::where_clause => q.filter = Some(self.expr(kids(part).nth(1)?)?),
                        Rule::within_clause => q.within = Some(self.expr(kids(part).nth(1)?)?),
                        _ => return None,
                    }
                }
                // `E where x == y within 30 days`: the `within` ends the
                // condition and belongs to `E` (docs/language.md §5), though the
                // grammar first attaches it to the condition's last name.
                if q.within.is_none() {
                    if let Some(filter) = q.filter.as_mut() {
                        q.within = hoist_within(filter);
                    }
                }
                if plain {
                    Some(Expr {
                        kind: ExprKind::Name(q.event),
                        span,
                    })
                } else {
                    Some(Expr {
                        kind: ExprKind::Query(Box::new(q)),
                        span,
                    })
                }
            }
            _ => None,
        }
    }
}

/// Take the `within` off the rightmost name of a `where` condition.
fn hoist_within(e: &mut Expr) -> Option<Expr> {
    match &mut e.kind {
        ExprKind::Or(_, rhs)
        | ExprKind::And(_, rhs)
        | ExprKind::Compare(_, _, rhs)
        | ExprKind::Coalesce(_, rhs)
        | ExprKind::Arith(_, _, rhs)
        | ExprKind::Not(rhs)
        | ExprKind::Neg(rhs) => {
            let w = hoist_within(rhs)?;
            e.span.end = rhs.span.end;
            Some(w)
        }
        ExprKind::Query(q) if q.filter.is_none() && q.within.is_some() => {
            let w = q.within.take();
            if q.field.is_none() {
                let name = q.event.clone();
                e.span = name.span;
                e.kind = ExprKind::Name(name);
            } else {
                let end = q.field.as_ref().map_or(e.span.end, |f| f.span.end);
                e.span.end = end;
            }
            w
        }
        _ => None,
    }
}

fn duration_unit(text: &str) -> DurationUnit {
    match text {
        "day" | "days" => DurationUnit::Day,
        "week" | "weeks" => DurationUnit::Week,
        "month" | "months" => DurationUnit::Month,
        _ => DurationUnit::Year,
    }
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

/// `12`, `3.5`, `250k`, `1.5m`, `-5` → exact decimal; `None` when it does
/// not fit.
pub fn parse_number(text: &str) -> Option<Decimal> {
    let (digits, scale) = if let Some(d) = text.strip_suffix('k') {
        (d, Decimal::from(1_000))
    } else if let Some(d) = text.strip_suffix('m') {
        (d, Decimal::from(1_000_000))
    } else {
        (text, Decimal::ONE)
    };
    let v = Decimal::from_str_exact(digits)
        .or_else(|_| Decimal::from_str(digits))
        .ok()?;
    // reject values that lost digits
    let significant = digits
        .trim_start_matches('-')
        .chars()
        .filter(|c| c.is_ascii_digit())
        .count();
    if significant > 28 {
        return None;
    }
    let v = v.checked_mul(scale)?;
    Some(v.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> File {
        let p = parse(FileId(0), src);
        assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
        p.file
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("250k"), Some(Decimal::from(250_000)));
        assert_eq!(parse_number("1.5m"), Some(Decimal::from(1_500_000)));
        assert_eq!(
            parse_number("3.50").map(|d| d.to_string()),
            Some("3.5".to_string())
        );
        assert_eq!(parse_number("12345678901234567890123456789012"), None);
    }

    #[test]
    fn spec_rules_parse() {
        let f = ok(r#"
signal feature_usage: percent
event reference_completed
score advocacy weight 20
score adoption weight 40 = band feature_usage { < 20% => 10  < 50% => 50  otherwise => 90 }
when reference_completed within 90 days add 10 to advocacy
when health < 40 trigger "re-engagement"
status { a when health >= 80 b otherwise }
"#);
        assert_eq!(f.items.len(), 7);
    }

    #[test]
    fn where_extends_right() {
        let f = ok("when ticket_opened where severity == high and arr > 5 add 1 to s");
        let ItemKind::Rule(r) = &f.items[0].kind else {
            panic!()
        };
        let Some(Expr {
            kind: ExprKind::Query(q),
            ..
        }) = &r.cond
        else {
            panic!()
        };
        assert!(matches!(
            q.filter.as_ref().map(|e| &e.kind),
            Some(ExprKind::And(..))
        ));
    }

    #[test]
    fn several_errors_are_all_reported() {
        let p = parse(
            FileId(0),
            "signal a int\nscore s weight\nsignal b: int\nwhen a > trigger \"x\"",
        );
        assert_eq!(p.diagnostics.len(), 3, "{:#?}", p.diagnostics);
        assert_eq!(p.file.items.len(), 1);
    }

    #[test]
    fn within_after_where_belongs_to_the_query() {
        let f = ok(
            "when count(ticket_opened where severity == critical within 30 days) > 2 trigger \"x\"",
        );
        let ItemKind::Rule(r) = &f.items[0].kind else {
            panic!()
        };
        let Some(Expr {
            kind: ExprKind::Compare(_, lhs, _),
            ..
        }) = &r.cond
        else {
            panic!()
        };
        let ExprKind::Call { args, .. } = &lhs.kind else {
            panic!()
        };
        let ExprKind::Query(q) = &args[0].kind else {
            panic!()
        };
        assert!(q.within.is_some());
        let Some(Expr {
            kind: ExprKind::Compare(_, _, rhs),
            ..
        }) = &q.filter
        else {
            panic!()
        };
        assert!(matches!(rhs.kind, ExprKind::Name(_)));
    }

    fn trigger(src: &str) -> (StringLit, Option<Cooldown>, Option<Owner>) {
        let f = ok(src);
        let ItemKind::Rule(r) = &f.items[0].kind else {
            panic!("{src}: not a rule")
        };
        match &r.action {
            Action::Trigger {
                playbook,
                cooldown,
                owner,
            } => (playbook.clone(), cooldown.clone(), owner.clone()),
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn trigger_clauses_in_either_order() {
        for src in [
            "when x > 1 trigger \"risk review\" cooldown 30 days owner csm",
            "when x > 1 trigger \"risk review\" owner csm cooldown 30 days",
        ] {
            let (p, c, o) = trigger(src);
            assert_eq!(p.value, "risk review");
            let c = c.unwrap_or_else(|| panic!("{src}: no cooldown"));
            assert_eq!((c.amount.as_str(), c.unit), ("30", DurationUnit::Day));
            assert_eq!(&src[c.span.start..c.span.end], "cooldown 30 days");
            assert_eq!(&src[c.keyword.start..c.keyword.end], "cooldown");
            let o = o.unwrap_or_else(|| panic!("{src}: no owner"));
            assert_eq!(o.signal.name, "csm");
            assert_eq!(&src[o.signal.span.start..o.signal.span.end], "csm");
        }
        let (_, c, o) = trigger("when x > 1 trigger \"a\" cooldown 2.5 weeks");
        assert!(o.is_none());
        let c = c.unwrap_or_else(|| panic!("no cooldown"));
        assert_eq!((c.amount.as_str(), c.unit), ("2.5", DurationUnit::Week));
        let (_, c, _) = trigger("when x > 1 trigger \"a\"");
        assert!(c.is_none());
    }

    #[test]
    fn contextual_words_are_names() {
        let f = ok("signal owner: text\nsignal cooldown: int\nsignal started: bool\n\
             when cooldown > 3 and started and owner == \"dana\" trigger \"a\" owner owner cooldown 1 day\n\
             const owner_x = 1\n\
             test \"t\" {\n  as_of 2026-11-01\n  given { owner = \"dana\" started = true }\n  expect started\n  expect not started\n  expect started \"a\"\n  expect not started \"a\"\n}");
        assert_eq!(f.items.len(), 6);
        let ItemKind::Test(t) = &f.items[5].kind else {
            panic!()
        };
        let kinds: Vec<_> = t
            .expects
            .iter()
            .map(|e| match &e.kind {
                ExpectKind::Cond(_) => "cond",
                ExpectKind::Triggered { .. } => "triggered",
                ExpectKind::Started { negated: false, .. } => "started",
                ExpectKind::Started { negated: true, .. } => "not started",
            })
            .collect();
        assert_eq!(kinds, ["cond", "cond", "started", "not started"]);
    }

    fn one_error(src: &str) -> Diagnostic {
        let p = parse(FileId(0), src);
        assert_eq!(p.diagnostics.len(), 1, "{src}: {:#?}", p.diagnostics);
        assert!(p.file.items.is_empty(), "{src}");
        p.diagnostics[0].clone()
    }

    #[test]
    fn cooldown_without_a_length_says_how_to_write_one() {
        for (src, found) in [
            ("when x > 1 trigger \"a\" cooldown", None),
            ("when x > 1 trigger \"a\" cooldown owner csm", Some("owner")),
            ("when x > 1 trigger \"a\" cooldown days", Some("days")),
        ] {
            let d = one_error(src);
            assert_eq!(d.code, Code::Syntax, "{src}");
            assert!(
                d.message.contains(
                    "expected a cooldown length (a whole number and a unit, such as `30 days`)"
                ),
                "{src}: {}",
                d.message
            );
            match found {
                Some(f) => assert!(
                    d.message.ends_with(&format!("found `{f}`")),
                    "{src}: {}",
                    d.message
                ),
                None => assert!(
                    d.message.starts_with("this declaration ends too early"),
                    "{src}: {}",
                    d.message
                ),
            }
            assert!(
                d.help
                    .as_deref()
                    .is_some_and(|h| h.contains("`cooldown 30 days`")),
                "{src}: {:?}",
                d.help
            );
        }
        for src in [
            "when x > 1 trigger \"a\" cooldown 30",
            "when x > 1 trigger \"a\" cooldown 30  # a month",
        ] {
            let d = one_error(src);
            assert_eq!(
                d.message,
                "a cooldown needs a unit after its number: `cooldown 30 days` (or `weeks`, `months`, `years`)",
                "{src}"
            );
        }
        for (src, found) in [
            ("when x > 1 trigger \"a\" cooldown 30 owner csm", "owner"),
            (
                "when x > 1 trigger \"a\" cooldown 30 fortnights",
                "fortnights",
            ),
        ] {
            let d = one_error(src);
            assert_eq!(
                d.message,
                format!("expected a unit after `cooldown 30`, found `{found}`: write `cooldown 30 days` (or `weeks`, `months`, `years`)"),
                "{src}"
            );
        }
        let d = one_error("when x > 1 trigger \"a\" owner");
        assert!(d.message.contains("expected a name"), "{}", d.message);
        let d = one_error("when x > 1 trigger \"a\" cooldown 3 days cooldown 4 days");
        assert!(d.message.contains("`owner`"), "{}", d.message);
        let d = one_error("when x > 1 trigger \"a\" later");
        assert_eq!(
            d.message,
            "expected `cooldown`, `owner` or the end of the declaration, found `later`"
        );
    }

    #[test]
    fn impossible_date() {
        let p = parse(FileId(0), "const d = 2026-02-30");
        assert_eq!(p.diagnostics[0].code, Code::InvalidDate);
    }

    #[test]
    fn deep_nesting_is_a_diagnostic() {
        let src = format!("const c = {}1{}", "(".repeat(5000), ")".repeat(5000));
        let p = parse(FileId(0), &src);
        assert_eq!(p.diagnostics[0].code, Code::TooDeep);
        let src = format!("const c = 1{}", " + 1".repeat(10_000));
        let p = parse(FileId(0), &src);
        assert_eq!(p.diagnostics[0].code, Code::TooDeep);
    }
}
