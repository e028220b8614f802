//! What the cursor is on: hover (a name's declaration, type, doc comment;
//! a function's signature) and signature help inside a call.

use crate::analysis::{token_at, Analysis, Contextual};
use crate::convert::Encoding;
use tower_lsp_server::ls_types::*;
use vital_check::ir::Type;
use vital_check::Symbol;
use vital_syntax::lexer::{Token, TokenKind};
use vital_syntax::FileId;

pub fn hover(a: &Analysis, f: FileId, off: usize, enc: Encoding) -> Option<Hover> {
    let keyword = a
        .contextual_keywords(f)
        .into_iter()
        .find(|c| c.span().start <= off && off < c.span().end);
    let (md, span) = match keyword {
        Some(c) => (contextual(a, c), c.span()),
        None => named(a, f, off)?,
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(a.range(f, span, enc)),
    })
}

/// What a contextual keyword means, for the playbook it belongs to.
fn contextual(a: &Analysis, c: Contextual<'_>) -> String {
    let rules = &a.checked.rules;
    match c {
        Contextual::Cooldown(_, playbook, clause) => {
            let amount = &clause.amount;
            let unit = &clause.unit_text;
            format!(
                "```vital\ncooldown {amount} {unit}\n```\nThe playbook \"{playbook}\" is not \
                 *started* again for an account until {amount} {unit} after its last start \
                 for that account (a start on day S frees it from S + {amount} {unit}); it is \
                 still *triggered*. Starts are those recorded in the history store or computed \
                 for the account's earlier snapshots in the same input."
            )
        }
        Contextual::Owner(_, playbook, clause) => {
            let name = &clause.signal.name;
            let ty = rules
                .signals
                .iter()
                .find(|s| s.name == *name)
                .map(|s| format!(" (`{}`)", rules.type_name(s.ty)))
                .unwrap_or_default();
            format!(
                "```vital\nowner {name}\n```\nEach start of the playbook \"{playbook}\" \
                 records the account's value of the signal `{name}`{ty} as its owner \
                 (`playbook_starts.owner` in the history store, `vital playbooks`). An owner \
                 is a text or enum signal."
            )
        }
        Contextual::Started(_, playbook) => format!(
            "```vital\nexpect started \"{playbook}\"\n```\nThe playbook is *started* on the \
             test's `as_of`: triggered now, not triggered by the test's previous `history` \
             snapshot, and not held back by its cooldown (the history snapshots' results \
             stand in for stored ones)."
        ),
    }
}

/// A name's declaration, or a built-in function's signature.
fn named(a: &Analysis, f: FileId, off: usize) -> Option<(String, vital_syntax::Span)> {
    Some(match a.checked.index.at(f, off) {
        Some(occ) => (describe(a, occ.symbol), occ.span),
        None => {
            let tok = token_at(a.tokens(f), off)?;
            if let Some(md) = result_word(a, tok.kind) {
                return Some((md, tok.span));
            }
            let name = a.text(f).get(tok.span.start..tok.span.end)?;
            if let Some((code, text)) = word_doc(tok.kind, name) {
                return Some((format!("```vital\n{code}\n```\n{text}"), tok.span));
            }
            // a function name
            let (_, sig, doc) = vital_check::FUNCTIONS.iter().find(|x| x.0 == name)?;
            (format!("```vital\n{sig}\n```\n{doc}"), tok.span)
        }
    })
}

/// `health` and `status` where a condition reads them: what they are, with
/// this rule set's weights and arms (docs/language.md §6).
fn result_word(a: &Analysis, kind: TokenKind) -> Option<String> {
    let rules = &a.checked.rules;
    match kind {
        TokenKind::Health => {
            let weights: Vec<String> = rules
                .scores
                .iter()
                .map(|s| format!("{} {}", s.name, s.weight.normalize()))
                .collect();
            Some(format!(
                "```vital\nhealth: number\n```\nThe account's health: Σ(weight × score) / Σ(weight) \
                 over its scores that are not n/a, rounded to one decimal; n/a when all are. \
                 Weights here: {}. Read by status arms and triggers (not by scores or \
                 adjustments).",
                if weights.is_empty() { "none".to_string() } else { weights.join(", ") }
            ))
        }
        TokenKind::Status if !rules.status.is_empty() => {
            let arms: Vec<&str> = rules.status.iter().map(|s| s.name.as_str()).collect();
            Some(format!(
                "```vital\nstatus\n```\nThe account's status: the first arm of the `status` block \
                 whose condition holds ({}), or an override's status while one is in force. \
                 Compared with `==`, `!=` or `in`.",
                arms.join(", ")
            ))
        }
        k => keyword_doc(k).map(|(code, text)| format!("```vital\n{code}\n```\n{text}")),
    }
}

/// What a keyword does, in one sentence (docs/language.md has the rest).
/// With a sample, the server adds what it says below (crate::sample: how
/// many accounts take a band arm, `otherwise` included).
fn keyword_doc(kind: TokenKind) -> Option<(&'static str, &'static str)> {
    use TokenKind as T;
    Some(match kind {
        T::Band => (
            "band INPUT { OP VALUE => RESULT … otherwise => RESULT }",
            "The result of the first arm whose comparison with INPUT holds, else `otherwise`'s (§5).",
        ),
        T::Otherwise => (
            "band INPUT { … otherwise => RESULT } / status { … NAME otherwise }",
            "A band's result when no arm's comparison holds (a missing INPUT takes no arm, not even this one); in a status block, the last arm, taken when no other holds.",
        ),
        T::Within => (
            "EVENT within DURATION",
            "Only the occurrences dated in the DURATION up to `as_of` (both ends included).",
        ),
        T::Where => (
            "EVENT where CONDITION",
            "Only the occurrences whose fields make CONDITION true; names in it are the event's fields first.",
        ),
        T::When => (
            "when CONDITION add|subtract AMOUNT to|from SCORE / trigger \"PLAYBOOK\"",
            "A rule: the action applies to an account when CONDITION is true (missing counts as false).",
        ),
        T::Trigger => (
            "trigger \"PLAYBOOK\" [cooldown DURATION] [owner SIGNAL]",
            "Names the playbook the rule triggers; it is *started* when the account's previous result did not trigger it.",
        ),
        T::Weight => (
            "score NAME weight W",
            "The score's weight in health: health is Σ(weight × score) / Σ(weight) over the scores that are not n/a.",
        ),
        T::Signal => (
            "signal NAME: TYPE[?]",
            "A value each snapshot gives under `\"signals\"`; with `?` it may be missing, without it a record that lacks it is rejected.",
        ),
        T::Event => (
            "event NAME [{ FIELD: TYPE[?], … }]",
            "Something that happens to an account on a date; snapshots list its occurrences under `\"events\"`, rules count and filter them.",
        ),
        T::Const => (
            "const NAME = VALUE",
            "A named value computed once from literals and other constants; rules read it like a signal.",
        ),
        T::Score => (
            "score NAME weight W [= BASE]",
            "A dimension of health, 0–100: BASE (50 without one) plus its adjustments, clamped and rounded to one decimal; n/a when BASE is missing.",
        ),
        T::Rule => (
            "rule \"NAME\" [when CONDITION] ACTION",
            "A named adjustment or trigger: its name shows in explanations, `vital diff` and the report.",
        ),
        T::Add => (
            "add AMOUNT to SCORE",
            "Adds AMOUNT to the score when the rule applies; a missing amount is skipped.",
        ),
        T::Subtract => (
            "subtract AMOUNT from SCORE",
            "Takes AMOUNT off the score when the rule applies; a missing amount is skipped.",
        ),
        T::To | T::From => (
            "add AMOUNT to SCORE / subtract AMOUNT from SCORE",
            "The score the adjustment changes.",
        ),
        T::In => (
            "X in (A, B, …) / X not in (…)",
            "Whether X equals one of the listed values; missing when X is missing.",
        ),
        T::Is | T::Missing => (
            "X is missing / X is not missing",
            "Whether X has no value: an absent optional signal or field, an n/a score, or anything computed from one. Never missing itself.",
        ),
        T::Not => (
            "not CONDITION",
            "True when CONDITION is false; `not missing` is missing.",
        ),
        T::And => (
            "A and B",
            "Three-valued: false when either side is false, else missing when either is missing, else true.",
        ),
        T::Or => (
            "A or B",
            "Three-valued: true when either side is true, else missing when either is missing, else false.",
        ),
        T::Test => (
            "test \"NAME\" { as_of DATE  given {…}  events {…}  history {…}  expect … }",
            "A made-up account scored by `vital test`; every `expect` must hold.",
        ),
        T::AsOf => (
            "as_of DATE",
            "The test snapshot's date: windows, `previous` and `days_until` count from it.",
        ),
        T::Given => (
            "given { SIGNAL = VALUE … }",
            "The test snapshot's signals; a signal not given is missing.",
        ),
        T::Events => (
            "events { EVENT on DATE [{ FIELD = VALUE, … }] … }",
            "The test account's event occurrences.",
        ),
        T::History => (
            "history { on DATE { SIGNAL = VALUE … } … }",
            "Earlier snapshots of the test account, for `previous` and `change`; each has only its own values.",
        ),
        T::On => (
            "EVENT on DATE / on DATE { … }",
            "The date of a test's event occurrence or history snapshot.",
        ),
        T::Expect => (
            "expect CONDITION / expect [not] triggered|started \"PLAYBOOK\"",
            "What the test checks; a missing condition fails (test a missing value with `is missing`).",
        ),
        T::Triggered => (
            "expect [not] triggered \"PLAYBOOK\"",
            "Whether some rule triggers the playbook for the test's snapshot.",
        ),
        _ => return None,
    })
}

/// A type name or a duration unit (one token kind each, so by their text).
fn word_doc(kind: TokenKind, word: &str) -> Option<(&'static str, &'static str)> {
    Some(match (kind, word) {
        (TokenKind::TypeName, "bool") => ("bool", "true or false."),
        (TokenKind::TypeName, "int") => (
            "int",
            "Whole numbers (`31`, `250k`); widen to `number` and `money`.",
        ),
        (TokenKind::TypeName, "number") => (
            "number",
            "Exact decimals (`3.5`); arithmetic is exact to 28 significant digits.",
        ),
        (TokenKind::TypeName, "percent") => (
            "percent",
            "Percentage points (`72%`); compares, adds and subtracts only with percents. Exported as 72, not 0.72.",
        ),
        (TokenKind::TypeName, "money") => (
            "money",
            "An amount in the account's currency (`100k`); mixes freely with numbers.",
        ),
        (TokenKind::TypeName, "text") => ("text", "Text (`\"dana\"`)."),
        (TokenKind::TypeName, "date") => (
            "date",
            "A calendar day (`2026-11-01`); `date ± duration` is a date, and `days_since`/`days_until` count days.",
        ),
        (TokenKind::TypeName, "duration") => (
            "duration",
            "Days, weeks, months or years (`30 days`); days and weeks add together, months and years add together.",
        ),
        (TokenKind::TypeName, "enum") => (
            "enum(A, B, …)",
            "One of the listed variants, written bare in rules (`tier == enterprise`).",
        ),
        (TokenKind::Unit, "day" | "days" | "week" | "weeks") => (
            "N days / N weeks",
            "A duration of whole days (a week is 7); windows include both ends.",
        ),
        (TokenKind::Unit, "month" | "months" | "year" | "years") => (
            "N months / N years",
            "A calendar duration: `as_of - 1 month` is the same day a month before, clamped to the month's end.",
        ),
        _ => return None,
    })
}

/// Inside a call of a built-in function: its signature, the argument the
/// cursor is in.
pub fn signature_help(a: &Analysis, f: FileId, off: usize) -> Option<SignatureHelp> {
    let text = a.text(f);
    let tokens = a.tokens(f);
    let before: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.span.end <= off && t.kind != TokenKind::Comment)
        .collect();
    let mut depth = 0i32;
    let mut commas = 0u32;
    for (i, t) in before.iter().enumerate().rev() {
        match t.kind {
            TokenKind::RParen => depth += 1,
            TokenKind::LParen if depth > 0 => depth -= 1,
            TokenKind::LParen => {
                let name_tok = before.get(i.checked_sub(1)?)?;
                let name = text.get(name_tok.span.start..name_tok.span.end)?;
                let (_, sig, doc) = vital_check::FUNCTIONS.iter().find(|x| x.0 == name)?;
                let params: Vec<ParameterInformation> = sig
                    .split_once('(')
                    .and_then(|(_, rest)| rest.split_once(')'))
                    .map(|(inside, _)| {
                        inside
                            .split(", ")
                            .map(|p| ParameterInformation {
                                label: ParameterLabel::Simple(p.to_string()),
                                documentation: None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                return Some(SignatureHelp {
                    signatures: vec![SignatureInformation {
                        label: sig.to_string(),
                        documentation: Some(Documentation::String(doc.to_string())),
                        parameters: Some(params),
                        active_parameter: Some(commas),
                    }],
                    active_signature: Some(0),
                    active_parameter: Some(commas),
                });
            }
            TokenKind::Comma if depth == 0 => commas += 1,
            TokenKind::LBrace | TokenKind::RBrace => return None,
            _ => {}
        }
    }
    None
}

/// Markdown for a symbol: its declaration, type, doc comment and more.
pub fn describe(a: &Analysis, sym: Symbol) -> String {
    let r = &a.checked.rules;
    let ty = |t: Type| r.type_name(t);
    let loc = |l: vital_check::ir::Loc| {
        let f = a.sources.file(l.file);
        format!("{}:{}", f.path, f.line_col(l.span.start).line)
    };
    let doc = |d: &Option<String>| d.as_ref().map_or(String::new(), |d| format!("\n\n{d}"));
    match sym {
        Symbol::Signal(i) => {
            let s = &r.signals[i.index()];
            format!(
                "```vital\nsignal {}: {}{}\n```\ndeclared at {}{}",
                s.name,
                ty(s.ty),
                if s.optional { "?" } else { "" },
                loc(s.loc),
                doc(&s.doc)
            )
        }
        Symbol::Event(i) => {
            let e = &r.events[i.index()];
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}{}",
                        f.name,
                        ty(f.ty),
                        if f.optional { "?" } else { "" }
                    )
                })
                .collect();
            let body = if fields.is_empty() {
                String::new()
            } else {
                format!(" {{ {} }}", fields.join(", "))
            };
            format!(
                "```vital\nevent {}{body}\n```\ndeclared at {}{}",
                e.name,
                loc(e.loc),
                doc(&e.doc)
            )
        }
        Symbol::Field(e, fi) => {
            let ev = &r.events[e.index()];
            let f = &ev.fields[fi.index()];
            format!(
                "```vital\n{}.{}: {}{}\n```\nfield of event `{}`",
                ev.name,
                f.name,
                ty(f.ty),
                if f.optional { "?" } else { "" },
                ev.name
            )
        }
        Symbol::Const(i) => {
            let c = &r.consts[i.index()];
            format!(
                "```vital\nconst {}: {} = {}\n```\ndeclared at {}{}",
                c.name,
                ty(c.ty),
                r.show_value(&c.value, c.ty),
                loc(c.loc),
                doc(&c.doc)
            )
        }
        Symbol::Score(i) => {
            let s = &r.scores[i.index()];
            let total: f64 = r
                .scores
                .iter()
                .map(|s| vital_check::value::to_f64(s.weight))
                .sum();
            let share = if total > 0.0 {
                vital_check::value::to_f64(s.weight) / total * 100.0
            } else {
                0.0
            };
            let base = match &s.base {
                None => "base 50 (the default)".to_string(),
                Some(_) => "base computed from its expression".to_string(),
            };
            let rules = r.adjustments.iter().filter(|x| x.score == i).count();
            format!(
                "```vital\nscore {} weight {}\n```\n{share:.0}% of health · {base} · {rules} adjustment rule{}\n\ndeclared at {}{}",
                s.name,
                s.weight.normalize(),
                if rules == 1 { "" } else { "s" },
                loc(s.loc),
                doc(&s.doc)
            )
        }
        Symbol::Variant(e, v) => {
            let en = &r.enums[e.index()];
            format!(
                "```vital\n{}\n```\nvariant of `{}`",
                en.variants.get(v as usize).map_or("", |s| s.as_str()),
                ty(Type::Enum(e))
            )
        }
        Symbol::StatusArm(i) => {
            let arm = &r.status[i.index()];
            format!(
                "```vital\n{}\n```\nstatus arm {} of {}{}",
                arm.name,
                i.index() + 1,
                r.status.len(),
                if arm.cond.is_none() {
                    " (otherwise)"
                } else {
                    ""
                }
            )
        }
    }
}
