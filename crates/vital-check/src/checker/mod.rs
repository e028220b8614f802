//! Name resolution, type checking and constant evaluation, one file per
//! section: [`declarations`], [`constants`], [`items`] (status, scores,
//! rules, unused warnings), [`test_blocks`], [`expressions`], [`queries`],
//! [`calls`], and the type rules and suggestions in [`types`].

mod calls;
mod clauses;
mod constants;
mod declarations;
mod expressions;
mod items;
mod queries;
mod test_blocks;
mod types;

use clauses::Clauses;
use types::*;

use crate::index::{Index, Symbol};
use crate::ir::{
    self, ArmId, ConstId, EnumId, EventId, FieldId, Loc, RuleSet, ScoreId, SignalId, Type,
};
use crate::suggest::did_you_mean;
use crate::value::{self, Duration, Value};
use crate::Builtin;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;
use vital_syntax::ast::{self, ArithOp, CmpOp, ExprKind, ItemKind};
use vital_syntax::{Code, Diagnostic, FileId, ParsedFile, Span};

/// How deep constants may refer to constants (bounds the recursion of
/// constant evaluation).
const MAX_CONST_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sym {
    Signal(SignalId),
    Event(EventId),
    Const(ConstId),
    Score(ScoreId),
}

/// What an expression belongs to: decides what it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Const,
    ScoreBase,
    Adjustment,
    Trigger,
    StatusArm,
    Expect,
}

#[derive(Debug, Clone, Copy)]
struct Cx {
    file: FileId,
    place: Place,
    /// Inside `EVENT where …`: that event's fields are in scope.
    event: Option<EventId>,
}

enum ConstState<'a> {
    Pending(FileId, &'a ast::ConstDecl),
    InProgress,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mismatch {
    Percent,
    DateSub,
    Other,
}

struct Checker<'a> {
    rules: RuleSet,
    diags: Vec<Diagnostic>,
    index: Index,
    names: HashMap<String, (Sym, Loc)>,
    consts: Vec<ConstState<'a>>,
    /// The stack of consts being evaluated (cycle detection).
    const_stack: Vec<ConstId>,
    signal_uses: Vec<usize>,
    event_uses: Vec<usize>,
    const_uses: Vec<usize>,
    has_status: bool,
    /// Per rule: the signals read, and whether anything per-account is read.
    reads: Vec<SignalId>,
    dependent: bool,
}

pub(crate) fn run(parsed: &[ParsedFile]) -> (RuleSet, Vec<Diagnostic>, Index) {
    let mut c = Checker {
        rules: RuleSet::default(),
        diags: Vec::new(),
        index: Index::default(),
        names: HashMap::new(),
        consts: Vec::new(),
        const_stack: Vec::new(),
        signal_uses: Vec::new(),
        event_uses: Vec::new(),
        const_uses: Vec::new(),
        has_status: false,
        reads: Vec::new(),
        dependent: false,
    };
    let items: Vec<(FileId, &ast::Item)> = parsed
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.file.items.iter().map(move |it| (FileId(i as u32), it)))
        .collect();
    c.declare(&items);
    c.check_consts();
    c.check_status(&items);
    c.check_scores(&items);
    c.check_rules(&items);
    c.check_tests(&items);
    // a broken item may be what reads a declaration: no unused warnings
    // while any item fails to parse
    if parsed.iter().all(|p| {
        p.diagnostics
            .iter()
            .all(|d| !matches!(d.code, Code::Syntax | Code::TooDeep))
    }) {
        c.unused();
    }
    // a name whose declaration does not parse is not unknown where it is
    // used: the declaration's syntax error is what to fix
    let broken: Vec<String> = parsed
        .iter()
        .flat_map(|p| p.broken.iter().cloned())
        .collect();
    if !broken.is_empty() {
        c.diags.retain(|d| {
            d.code != Code::UnknownName
                || !broken
                    .iter()
                    .any(|n| d.message.contains(&format!("named `{n}`")))
        });
    }
    // a status block that does not parse is reported as it is, not missing
    let broken_status = parsed.iter().any(|p| {
        p.cuts.iter().any(|cut| {
            p.tokens.get(cut.tokens.start).map(|t| t.kind)
                == Some(vital_syntax::lexer::TokenKind::Status)
        })
    });
    if !c.has_status && !broken_status && !parsed.is_empty() {
        c.diags.push(
            Diagnostic::new(
                Code::MissingStatus,
                FileId(0),
                Span::new(0, 0),
                "this rule set has no `status` block",
            )
            .with_help(
                "add a block such as `status { healthy when health >= 70  at_risk otherwise }`",
            ),
        );
    }
    (c.rules, c.diags, c.index)
}

fn kind_name(sym: Sym) -> &'static str {
    match sym {
        Sym::Signal(_) => "a signal",
        Sym::Event(_) => "an event",
        Sym::Const(_) => "a constant",
        Sym::Score(_) => "a score",
    }
}

fn to_symbol(sym: Sym) -> Symbol {
    match sym {
        Sym::Signal(i) => Symbol::Signal(i),
        Sym::Event(i) => Symbol::Event(i),
        Sym::Const(i) => Symbol::Const(i),
        Sym::Score(i) => Symbol::Score(i),
    }
}

fn error_expr(span: Span) -> ir::Expr {
    ir::Expr {
        kind: ir::ExprKind::Lit(Value::Missing),
        ty: Type::Error,
        span,
    }
}

impl<'a> Checker<'a> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A constant that reads something per account.
    fn not_constant(&mut self, cx: Cx, span: Span, what: &str) {
        self.push(
            Diagnostic::new(
                Code::NotConstant,
                cx.file,
                span,
                format!("a constant cannot read {what}"),
            )
            .with_label("differs per account")
            .with_help("constants use literals and other constants only"),
        );
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn ty(&self, t: Type) -> String {
        self.rules.type_name(t)
    }
}
