//! The total token stream (logos).
//!
//! Every byte of a file belongs to exactly one token or to skipped white
//! space; text the language does not know becomes [`TokenKind::Error`] instead
//! of stopping the lexer. Tools that must survive broken text use it: the item
//! splitter ([`crate::items`]), the formatter (comments), and the language
//! server (semantic tokens, completion context).

use crate::Span;
use logos::Logos;

/// The kind of a token.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\x0C]+")]
pub enum TokenKind {
    #[token("signal")]
    Signal,
    #[token("event")]
    Event,
    #[token("const")]
    Const,
    #[token("score")]
    Score,
    #[token("weight")]
    Weight,
    #[token("status")]
    Status,
    #[token("rule")]
    Rule,
    #[token("when")]
    When,
    #[token("add")]
    Add,
    #[token("to")]
    To,
    #[token("subtract")]
    Subtract,
    #[token("from")]
    From,
    #[token("trigger")]
    Trigger,
    #[token("band")]
    Band,
    #[token("otherwise")]
    Otherwise,
    #[token("within")]
    Within,
    #[token("where")]
    Where,
    #[token("in")]
    In,
    #[token("is")]
    Is,
    #[token("not")]
    Not,
    #[token("missing")]
    Missing,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("health")]
    Health,
    #[token("test")]
    Test,
    #[token("as_of")]
    AsOf,
    #[token("given")]
    Given,
    #[token("events")]
    Events,
    #[token("history")]
    History,
    #[token("on")]
    On,
    #[token("expect")]
    Expect,
    #[token("triggered")]
    Triggered,
    /// `bool int number percent money text date duration enum`
    #[token("bool")]
    #[token("int")]
    #[token("number")]
    #[token("percent")]
    #[token("money")]
    #[token("text")]
    #[token("date")]
    #[token("duration")]
    #[token("enum")]
    TypeName,
    /// `day days week weeks month months year years`
    #[token("day")]
    #[token("days")]
    #[token("week")]
    #[token("weeks")]
    #[token("month")]
    #[token("months")]
    #[token("year")]
    #[token("years")]
    Unit,
    #[regex("[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")]
    Date,
    #[regex(r"[0-9]+(\.[0-9]+)?[km]?")]
    Number,
    #[regex(r"[0-9]+(\.[0-9]+)?[km]?%")]
    Percent,
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    String,
    /// A string that runs to the end of its line without a closing quote.
    #[regex(r#""([^"\\\n]|\\.)*"#, priority = 0)]
    UnterminatedString,
    /// `# …` and `## …` (see [`Token::is_doc_comment`]).
    #[regex(r"#[^\n]*", allow_greedy = true)]
    Comment,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("?")]
    Question,
    #[token("??")]
    Coalesce,
    #[token("=")]
    Assign,
    #[token("=>")]
    Arrow,
    #[token("==")]
    #[token("!=")]
    #[token("<")]
    #[token("<=")]
    #[token(">")]
    #[token(">=")]
    Compare,
    #[token("+")]
    #[token("-")]
    #[token("*")]
    #[token("/")]
    Arith,
    /// Anything else: one unknown character.
    Error,
}

/// One token: its kind and its byte span in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// A `##` doc comment.
    pub fn is_doc_comment(&self, source: &str) -> bool {
        self.kind == TokenKind::Comment && source[self.span.start..self.span.end].starts_with("##")
    }
}

impl TokenKind {
    /// Keywords, type names and units: words that are not identifiers.
    pub fn is_keyword(self) -> bool {
        !matches!(
            self,
            TokenKind::Ident
                | TokenKind::Date
                | TokenKind::Number
                | TokenKind::Percent
                | TokenKind::String
                | TokenKind::UnterminatedString
                | TokenKind::Comment
                | TokenKind::LBrace
                | TokenKind::RBrace
                | TokenKind::LParen
                | TokenKind::RParen
                | TokenKind::Comma
                | TokenKind::Colon
                | TokenKind::Dot
                | TokenKind::Question
                | TokenKind::Coalesce
                | TokenKind::Assign
                | TokenKind::Arrow
                | TokenKind::Compare
                | TokenKind::Arith
                | TokenKind::Error
        )
    }
}

/// Cut `source` into tokens. Total: never fails, every non-blank byte is
/// covered by a token.
pub fn tokenize(source: &str) -> Vec<Token> {
    let mut lexer = TokenKind::lexer(source);
    let mut tokens = Vec::with_capacity(source.len() / 4);
    while let Some(result) = lexer.next() {
        let span = lexer.span();
        let kind = result.unwrap_or(TokenKind::Error);
        tokens.push(Token {
            kind,
            span: Span::new(span.start, span.end),
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        tokenize(s).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn literals() {
        use TokenKind::*;
        assert_eq!(
            kinds("2026-11-01 250k 1.5m 45% \"a\\\"b\" 30 days"),
            vec![Date, Number, Number, Percent, String, Number, Unit]
        );
    }

    #[test]
    fn keywords_are_not_identifiers_but_prefixes_are() {
        use TokenKind::*;
        assert_eq!(
            kinds("in int inbound signal_x"),
            vec![In, TypeName, Ident, Ident]
        );
    }

    #[test]
    fn total_on_garbage() {
        let toks = tokenize("@@ \"open\n} ## doc\n# c");
        let k: Vec<_> = toks.iter().map(|t| t.kind).collect();
        use TokenKind::*;
        assert_eq!(
            k,
            vec![Error, Error, UnterminatedString, RBrace, Comment, Comment]
        );
        assert!(toks[4].is_doc_comment("@@ \"open\n} ## doc\n# c"));
    }

    /// The words of `"…"` literals in `text`.
    fn quoted_words(text: &str) -> Vec<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(String::from)
            .collect()
    }

    /// The grammar's reserved words, keyword rules, type names and units,
    /// and the lexer's word tokens, are the same set of words: a word added
    /// to one and not the other would be a name to one and a keyword to the
    /// other (the formatter, the item splitter and the language server read
    /// the lexer; the parser reads the grammar).
    #[test]
    fn grammar_keywords_and_lexer_tokens_are_in_step() {
        use std::collections::BTreeSet;
        let grammar = include_str!("../../../grammar/vital.pest");
        let rule = |name: &str| -> &str {
            let start = grammar
                .find(&format!("\n{name} "))
                .unwrap_or_else(|| panic!("no rule `{name}` in the grammar"));
            let rest = &grammar[start + 1..];
            // a rule ends at the first line that closes its braces
            let end = rest.find("}\n").map_or(rest.len(), |e| e + 1);
            &rest[..end]
        };
        // `reserved_word`: a first letter, then the rest of each word
        let mut reserved = BTreeSet::new();
        for line in rule("reserved_word").lines() {
            let words = quoted_words(line);
            if let Some((first, rests)) = words.split_first() {
                for r in rests {
                    reserved.insert(format!("{first}{r}"));
                }
            }
        }
        // every `kw_*` rule, the primitive types and the units
        let mut declared = BTreeSet::new();
        for line in grammar.lines().filter(|l| l.starts_with("kw_")) {
            declared.extend(quoted_words(line));
        }
        declared.extend(quoted_words(rule("prim_type")));
        declared.extend(quoted_words(rule("unit")));
        // the lexer's word tokens
        let source = include_str!("lexer.rs");
        let lexer: BTreeSet<String> = source
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix("#[token(\"")?.strip_suffix("\")]"))
            .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(String::from)
            .collect();
        assert!(lexer.len() > 40, "{lexer:?}");
        assert_eq!(reserved, declared, "reserved_word vs kw_*/types/units");
        assert_eq!(reserved, lexer, "the grammar's reserved words vs the lexer");
        // contextual words (`ctx_*`: `cooldown`, `owner`, `started`) are
        // keywords only in their place: not reserved, and names to the lexer
        let mut contextual = BTreeSet::new();
        for line in grammar.lines().filter(|l| l.starts_with("ctx_")) {
            contextual.extend(quoted_words(line));
        }
        assert_eq!(
            contextual.iter().map(String::as_str).collect::<Vec<_>>(),
            ["cooldown", "owner", "started"]
        );
        for w in &contextual {
            assert!(!reserved.contains(w), "{w} is contextual, not reserved");
            assert_eq!(kinds(w), vec![TokenKind::Ident], "{w}");
        }
        // and the lexer really makes each a keyword, and a longer word a name
        for w in &lexer {
            assert_eq!(tokenize(w).len(), 1, "{w}");
            assert!(tokenize(w)[0].kind.is_keyword(), "{w} is not a keyword");
            assert_eq!(kinds(&format!("{w}x")), vec![TokenKind::Ident], "{w}x");
        }
    }

    #[test]
    fn non_ascii_is_an_error_token_per_char() {
        let toks = tokenize("é");
        assert_eq!(toks.len(), 1);
        assert_eq!(toks[0].span, Span::new(0, 2));
    }
}
