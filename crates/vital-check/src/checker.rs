//! Name resolution, type checking and constant evaluation.

use crate::index::{Index, Symbol};
use crate::ir::{self, ArmId, ConstId, EnumId, EventId, Loc, RuleSet, ScoreId, Type};
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
    Signal(u32),
    Event(u32),
    Const(u32),
    Score(u32),
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
    reads: Vec<u32>,
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
    if !c.has_status && !parsed.is_empty() {
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

fn num_join(a: Type, b: Type) -> Result<Type, Mismatch> {
    use Type::*;
    match (a, b) {
        (Error, _) | (_, Error) => Ok(Error),
        (Percent, Percent) => Ok(Percent),
        (Percent, x) | (x, Percent) if x.is_numeric() => Err(Mismatch::Percent),
        (Money, x) | (x, Money) if x.is_numeric() => Ok(Money),
        (Int, Int) => Ok(Int),
        (x, y) if x.is_numeric() && y.is_numeric() => Ok(Number),
        _ => Err(Mismatch::Other),
    }
}

/// One type for two values that must agree (`??`, band results, min/max).
fn join(a: Type, b: Type) -> Result<Type, Mismatch> {
    if a.is_numeric() && b.is_numeric() {
        return num_join(a, b);
    }
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => Ok(Type::Error),
        (x, y) if x == y => Ok(x),
        _ => Err(Mismatch::Other),
    }
}

fn arith_type(op: ArithOp, a: Type, b: Type) -> Result<Type, Mismatch> {
    use Type::*;
    if a == Error || b == Error {
        return Ok(Error);
    }
    match op {
        ArithOp::Add | ArithOp::Sub => match (a, b) {
            (Date, Duration) => Ok(Date),
            (Duration, Date) if op == ArithOp::Add => Ok(Date),
            (Date, Date) if op == ArithOp::Sub => Err(Mismatch::DateSub),
            (Duration, Duration) => Ok(Duration),
            _ => num_join(a, b),
        },
        ArithOp::Mul => match (a, b) {
            (Percent, Percent) => Err(Mismatch::Other),
            (Percent, x) | (x, Percent) if x.is_numeric() => Ok(Percent),
            _ => num_join(a, b),
        },
        ArithOp::Div => match (a, b) {
            (Percent, Percent) => Ok(Number),
            (Percent, x) if x.is_numeric() => Ok(Percent),
            (x, Percent) if x.is_numeric() => Err(Mismatch::Percent),
            _ => num_join(a, b).map(|t| if t == Money { Money } else { Number }),
        },
    }
}

fn comparable(op: CmpOp, a: Type, b: Type) -> Result<(), Mismatch> {
    use Type::*;
    let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
    match (a, b) {
        (Error, _) | (_, Error) => Ok(()),
        (x, y) if x.is_numeric() && y.is_numeric() => num_join(x, y).map(|_| ()),
        (Date, Date) | (Duration, Duration) => Ok(()),
        (Text, Text) | (Bool, Bool) | (Status, Status) if !ordered => Ok(()),
        (Enum(x), Enum(y)) if x == y && !ordered => Ok(()),
        _ => Err(Mismatch::Other),
    }
}

fn is_bare_name(e: &ast::Expr) -> bool {
    matches!(e.kind, ExprKind::Name(_))
}

/// The source text of a plain number literal (`20`, `-5`), for `write 20%`.
fn number_literal_text(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Number(n) => Some(n.text.clone()),
        ExprKind::Neg(inner) => number_literal_text(inner).map(|t| format!("-{t}")),
        ExprKind::Paren(inner) => number_literal_text(inner),
        _ => None,
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

    // ---------------------------------------------------------------- declarations

    fn declare(&mut self, items: &[(FileId, &'a ast::Item)]) {
        for &(file, item) in items {
            let Some(name) = item.name() else { continue };
            let loc = Loc {
                file,
                span: name.span,
            };
            if let Some((sym, first)) = self.names.get(&name.name).copied() {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateDeclaration,
                        file,
                        name.span,
                        format!("`{}` is declared twice; it is already {}", name.name, kind_name(sym)),
                    )
                    .with_label("second declaration")
                    .with_related(first.file, first.span, format!("`{}` is first declared here", name.name))
                    .with_help("signals, events, constants and scores share one namespace; rename one of them"),
                );
                // the later declaration is checked on its own but names resolve to the first
                self.declare_shadowed(file, item);
                continue;
            }
            let sym = match &item.kind {
                ItemKind::Signal(s) => {
                    let ty = self.type_expr(file, &s.ty);
                    let id = self.rules.signals.len() as u32;
                    self.rules.signals.push(ir::Signal {
                        name: name.name.clone(),
                        ty,
                        optional: s.optional,
                        loc,
                        doc: item.doc.clone(),
                    });
                    self.signal_uses.push(0);
                    Sym::Signal(id)
                }
                ItemKind::Event(e) => {
                    let id = self.rules.events.len() as u32;
                    let fields = self.fields(file, id, e);
                    self.rules.events.push(ir::Event {
                        name: name.name.clone(),
                        fields,
                        loc,
                        doc: item.doc.clone(),
                    });
                    self.event_uses.push(0);
                    Sym::Event(id)
                }
                ItemKind::Const(c) => {
                    let id = self.rules.consts.len() as u32;
                    self.rules.consts.push(ir::Const {
                        name: name.name.clone(),
                        ty: Type::Error,
                        value: Value::Missing,
                        loc,
                        doc: item.doc.clone(),
                    });
                    self.consts.push(ConstState::Pending(file, c));
                    self.const_uses.push(0);
                    Sym::Const(id)
                }
                ItemKind::Score(s) => {
                    let id = self.rules.scores.len() as u32;
                    self.weight(file, &name.name, s);
                    self.rules.scores.push(ir::Score {
                        name: name.name.clone(),
                        weight: s.weight.value.unwrap_or(Decimal::ONE),
                        base: None,
                        loc,
                        doc: item.doc.clone(),
                    });
                    Sym::Score(id)
                }
                _ => continue,
            };
            self.index.add(file, name.span, to_symbol(sym), true);
            self.names.insert(name.name.clone(), (sym, loc));
        }
    }

    /// A duplicate declaration still gets its own errors reported.
    fn declare_shadowed(&mut self, file: FileId, item: &ast::Item) {
        match &item.kind {
            ItemKind::Signal(s) => {
                self.type_expr(file, &s.ty);
            }
            ItemKind::Score(s) => {
                self.weight(file, &s.name.name, s);
            }
            _ => {}
        }
    }

    fn weight(&mut self, file: FileId, name: &str, s: &ast::ScoreDecl) {
        if s.weight.value.is_some_and(|w| w <= Decimal::ZERO) {
            self.push(
                Diagnostic::new(
                    Code::NonPositiveWeight,
                    file,
                    s.weight.span,
                    format!(
                        "the weight of `{name}` must be positive, found {}",
                        s.weight.text
                    ),
                )
                .with_label("not above 0")
                .with_help("a weight is the score's share of health; use a number above 0"),
            );
        }
    }

    fn fields(&mut self, file: FileId, event: EventId, e: &ast::EventDecl) -> Vec<ir::Field> {
        let mut fields: Vec<ir::Field> = Vec::new();
        for f in e.fields.iter().flatten() {
            let ty = self.type_expr(file, &f.ty);
            if matches!(f.name.name.as_str(), "type" | "at") {
                self.push(
                    Diagnostic::new(
                        Code::ReservedField,
                        file,
                        f.name.span,
                        format!("an event field cannot be named `{}`", f.name.name),
                    )
                    .with_label("reserved")
                    .with_help("in snapshots, `type` and `at` are the event's kind and date; choose another name"),
                );
                continue;
            }
            if let Some(prev) = fields.iter().find(|p| p.name == f.name.name) {
                let first = prev.loc.span;
                self.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        file,
                        f.name.span,
                        format!("the field `{}` is declared twice", f.name.name),
                    )
                    .with_label("second declaration")
                    .with_related(file, first, "first declared here"),
                );
                continue;
            }
            self.index.add(
                file,
                f.name.span,
                Symbol::Field(event, fields.len() as u32),
                true,
            );
            fields.push(ir::Field {
                name: f.name.name.clone(),
                ty,
                optional: f.optional,
                loc: Loc {
                    file,
                    span: f.name.span,
                },
            });
        }
        fields
    }

    fn type_expr(&mut self, file: FileId, t: &ast::TypeExpr) -> Type {
        match &t.kind {
            ast::TypeKind::Bool => Type::Bool,
            ast::TypeKind::Int => Type::Int,
            ast::TypeKind::Number => Type::Number,
            ast::TypeKind::Percent => Type::Percent,
            ast::TypeKind::Money => Type::Money,
            ast::TypeKind::Text => Type::Text,
            ast::TypeKind::Date => Type::Date,
            ast::TypeKind::Duration => Type::Duration,
            ast::TypeKind::Enum(variants) => {
                let id = self.rules.enums.len() as EnumId;
                let mut names: Vec<String> = Vec::new();
                let mut spans: Vec<Span> = Vec::new();
                for v in variants {
                    if let Some(i) = names.iter().position(|n| *n == v.name) {
                        let first = spans[i];
                        self.push(
                            Diagnostic::new(
                                Code::DuplicateName,
                                file,
                                v.span,
                                format!("the variant `{}` is listed twice", v.name),
                            )
                            .with_label("second time")
                            .with_related(
                                file,
                                first,
                                "first listed here",
                            ),
                        );
                        continue;
                    }
                    self.index
                        .add(file, v.span, Symbol::Variant(id, names.len() as u32), true);
                    names.push(v.name.clone());
                    spans.push(v.span);
                }
                self.rules.enums.push(ir::EnumDef { variants: names });
                Type::Enum(id)
            }
        }
    }

    // ---------------------------------------------------------------- constants

    fn check_consts(&mut self) {
        for id in 0..self.consts.len() {
            self.eval_const(id as ConstId);
        }
    }

    /// Evaluate a constant (and, first, the constants it reads).
    fn eval_const(&mut self, id: ConstId) {
        let state = std::mem::replace(&mut self.consts[id as usize], ConstState::InProgress);
        let ConstState::Pending(file, decl) = state else {
            self.consts[id as usize] = state;
            return;
        };
        self.const_stack.push(id);
        let errors = self.error_count();
        let cx = Cx {
            file,
            place: Place::Const,
            event: None,
        };
        let e = self.expr(&decl.value, cx, None);
        self.const_stack.pop();
        // a cycle may already have marked this const
        if matches!(self.consts[id as usize], ConstState::InProgress) {
            let (ty, value) = if matches!(e.ty, Type::Error | Type::Events(_)) {
                (Type::Error, Value::Missing)
            } else {
                (e.ty, crate::eval::eval(&crate::eval::Constants, &e))
            };
            let (ty, value) = if self.error_count() > errors {
                (Type::Error, Value::Missing)
            } else {
                (ty, value)
            };
            if value.is_missing() && ty != Type::Error {
                self.push(
                    Diagnostic::new(
                        Code::NotConstant,
                        file,
                        decl.value.span,
                        format!(
                            "the constant `{}` has no value (a division by zero or an overflow)",
                            decl.name.name
                        ),
                    )
                    .with_label("evaluates to missing"),
                );
            }
            let c = &mut self.rules.consts[id as usize];
            c.ty = ty;
            c.value = value;
            self.consts[id as usize] = ConstState::Done;
        }
    }

    /// A constant read from inside a constant expression.
    fn const_ref(&mut self, id: ConstId, cx: Cx, name: &ast::Ident) -> ir::Expr {
        if let Some(pos) = self.const_stack.iter().position(|c| *c == id) {
            // a cycle: report once, at its first const in declaration order
            let cycle: Vec<ConstId> = self.const_stack[pos..].to_vec();
            let first = cycle.iter().copied().min().unwrap_or(id);
            let names: Vec<String> = cycle
                .iter()
                .map(|c| self.rules.consts[*c as usize].name.clone())
                .collect();
            let floc = self.rules.consts[first as usize].loc;
            let mut d = Diagnostic::new(
                Code::ConstCycle,
                floc.file,
                floc.span,
                format!(
                    "the constants {} depend on each other",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            )
            .with_label("part of a cycle")
            .with_help("a constant may only use literals and constants declared without a cycle");
            for c in &cycle {
                if *c != first {
                    let l = self.rules.consts[*c as usize].loc;
                    d = d.with_related(
                        l.file,
                        l.span,
                        format!(
                            "`{}` is part of the cycle",
                            self.rules.consts[*c as usize].name
                        ),
                    );
                }
            }
            self.push(d);
            for c in cycle {
                self.consts[c as usize] = ConstState::Done;
                self.rules.consts[c as usize].ty = Type::Error;
            }
            return error_expr(name.span);
        }
        if self.const_stack.len() >= MAX_CONST_DEPTH {
            let c = &self.rules.consts[id as usize];
            self.push(
                Diagnostic::new(
                    Code::TooDeep,
                    cx.file,
                    name.span,
                    format!(
                        "constants refer to constants more than {MAX_CONST_DEPTH} levels deep here"
                    ),
                )
                .with_label(format!("`{}` is too far down the chain", c.name))
                .with_help("write some of the constants as literals"),
            );
            return error_expr(name.span);
        }
        self.eval_const(id);
        let c = &self.rules.consts[id as usize];
        ir::Expr {
            kind: ir::ExprKind::Lit(c.value.clone()),
            ty: c.ty,
            span: name.span,
        }
    }

    // ---------------------------------------------------------------- status

    fn check_status(&mut self, items: &[(FileId, &'a ast::Item)]) {
        let blocks: Vec<(FileId, &ast::StatusDecl)> = items
            .iter()
            .filter_map(|(f, it)| match &it.kind {
                ItemKind::Status(s) => Some((*f, s)),
                _ => None,
            })
            .collect();
        let Some(&(file, block)) = blocks.first() else {
            return;
        };
        self.has_status = true;
        for (f, other) in &blocks[1..] {
            self.push(
                Diagnostic::new(
                    Code::DuplicateStatus,
                    *f,
                    other.keyword,
                    "a rule set has exactly one `status` block",
                )
                .with_label("second status block")
                .with_related(file, block.keyword, "the first status block is here")
                .with_help("merge the arms into the first block"),
            );
        }
        // arms first: conditions of triggers and later arms may name them
        let mut seen_otherwise: Option<Span> = None;
        let mut live: Vec<&ast::StatusArm> = Vec::new();
        for arm in &block.arms {
            if let Some(ow) = seen_otherwise {
                self.push(
                    Diagnostic::new(
                        Code::UnreachableArm,
                        file,
                        arm.span,
                        format!("the status arm `{}` can never be chosen", arm.name.name),
                    )
                    .with_label("after `otherwise`")
                    .with_related(
                        file,
                        ow,
                        "every account that reaches here takes this arm",
                    ),
                );
                continue;
            }
            if let Some(prev) = self.rules.status.iter().find(|a| a.name == arm.name.name) {
                let first = prev.loc.span;
                self.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        file,
                        arm.name.span,
                        format!("the status `{}` has two arms", arm.name.name),
                    )
                    .with_label("second arm")
                    .with_related(file, first, "first arm here"),
                );
                continue;
            }
            if arm.cond.is_none() {
                seen_otherwise = Some(arm.span);
            }
            self.index.add(
                file,
                arm.name.span,
                Symbol::StatusArm(self.rules.status.len() as ArmId),
                true,
            );
            self.rules.status.push(ir::StatusArm {
                name: arm.name.name.clone(),
                cond: None,
                loc: Loc {
                    file,
                    span: arm.name.span,
                },
            });
            live.push(arm);
        }
        if seen_otherwise.is_none() {
            let at = block.close;
            self.push(
                Diagnostic::new(
                    Code::MissingOtherwise,
                    file,
                    block.keyword,
                    "the `status` block does not end with an `otherwise` arm",
                )
                .with_label("some accounts would get no status")
                .with_help("add a last arm such as `at_risk otherwise`")
                .with_fix(
                    "add an `otherwise` arm",
                    Span::new(at.start, at.start),
                    "otherwise_status otherwise\n",
                ),
            );
        }
        let cx = Cx {
            file,
            place: Place::StatusArm,
            event: None,
        };
        for (i, arm) in live.iter().enumerate() {
            if let Some(c) = &arm.cond {
                let cond = self.cond(c, cx);
                self.rules.status[i].cond = Some(cond);
            }
        }
    }

    // ---------------------------------------------------------------- scores and rules

    fn check_scores(&mut self, items: &[(FileId, &'a ast::Item)]) {
        for &(file, item) in items {
            let ItemKind::Score(s) = &item.kind else {
                continue;
            };
            let Some(Some((Sym::Score(id), loc))) =
                item.name().map(|n| self.names.get(&n.name).copied())
            else {
                continue;
            };
            let Some(base) = &s.base else { continue };
            let cx = Cx {
                file,
                place: Place::ScoreBase,
                event: None,
            };
            let e = self.numeric(base, cx, "a score base");
            // only the declaration that names resolve to is kept
            if loc.file == file && loc.span == s.name.span {
                self.rules.scores[id as usize].base = Some(e);
            }
        }
    }

    fn check_rules(&mut self, items: &[(FileId, &'a ast::Item)]) {
        let mut rule_names: HashMap<String, Loc> = HashMap::new();
        for &(file, item) in items {
            let ItemKind::Rule(r) = &item.kind else {
                continue;
            };
            if let Some(n) = &r.name {
                if let Some(first) = rule_names.get(&n.value) {
                    self.push(
                        Diagnostic::new(
                            Code::DuplicateName,
                            file,
                            n.span,
                            format!("two rules are named {}", n.raw),
                        )
                        .with_label("second rule with this name")
                        .with_related(first.file, first.span, "first rule with this name")
                        .with_help("rule names appear in explanations; make each one unique"),
                    );
                } else {
                    rule_names.insert(n.value.clone(), Loc { file, span: n.span });
                }
            }
            let loc = Loc {
                file,
                span: r
                    .header
                    .unwrap_or(r.when_span.unwrap_or(r.action_span))
                    .to(r.action_span),
            };
            self.reads.clear();
            let is_trigger = matches!(r.action, ast::Action::Trigger { .. });
            let cx = Cx {
                file,
                place: if is_trigger {
                    Place::Trigger
                } else {
                    Place::Adjustment
                },
                event: None,
            };
            let cond = r.cond.as_ref().map(|c| {
                self.dependent = false;
                let errors = self.error_count();
                let e = self.cond(c, cx);
                if !self.dependent && e.ty != Type::Error && self.error_count() == errors {
                    self.push(
                        Diagnostic::new(
                            Code::ConstantCondition,
                            file,
                            c.span,
                            "this condition is the same for every account",
                        )
                        .with_label("reads no signal, event, score, health or status")
                        .with_help(
                            "the rule always or never applies; remove the condition or the rule",
                        ),
                    );
                }
                e
            });
            match &r.action {
                ast::Action::Trigger { playbook } => {
                    let Some(cond) = cond else {
                        self.push(
                            Diagnostic::new(
                                Code::TriggerWithoutCondition,
                                file,
                                r.action_span,
                                format!("the trigger {} has no `when` condition", playbook.raw),
                            )
                            .with_label("starts a playbook for every account")
                            .with_help(format!("write `when CONDITION trigger {}`", playbook.raw)),
                        );
                        continue;
                    };
                    let reads = std::mem::take(&mut self.reads);
                    self.rules.triggers.push(ir::Trigger {
                        name: r.name.as_ref().map(|n| n.value.clone()),
                        cond,
                        playbook: playbook.value.clone(),
                        loc,
                        reads,
                        doc: item.doc.clone(),
                    });
                }
                ast::Action::Add { amount, score } | ast::Action::Subtract { amount, score } => {
                    let direction = if matches!(r.action, ast::Action::Add { .. }) {
                        ir::Direction::Add
                    } else {
                        ir::Direction::Subtract
                    };
                    let amount = self.numeric(amount, cx, "an adjustment amount");
                    let target = self.score_target(file, score);
                    let reads = std::mem::take(&mut self.reads);
                    if let Some(score) = target {
                        self.rules.adjustments.push(ir::Adjustment {
                            name: r.name.as_ref().map(|n| n.value.clone()),
                            cond,
                            direction,
                            amount,
                            score,
                            loc,
                            reads,
                            doc: item.doc.clone(),
                        });
                    }
                }
            }
        }
    }

    fn score_target(&mut self, file: FileId, name: &ast::Ident) -> Option<ScoreId> {
        match self.names.get(&name.name).copied() {
            Some((Sym::Score(id), _)) => {
                self.index.add(file, name.span, Symbol::Score(id), false);
                Some(id)
            }
            Some((sym, decl)) => {
                self.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        file,
                        name.span,
                        format!("`{}` is {}, not a score", name.name, kind_name(sym)),
                    )
                    .with_label("only scores can be adjusted")
                    .with_related(decl.file, decl.span, "declared here"),
                );
                None
            }
            None => {
                let scores: Vec<String> =
                    self.rules.scores.iter().map(|s| s.name.clone()).collect();
                let d = Diagnostic::new(
                    Code::UnknownName,
                    file,
                    name.span,
                    format!("there is no score named `{}`", name.name),
                )
                .with_label("unknown score");
                let list =
                    (!scores.is_empty()).then(|| format!("the scores are {}", quote_list(&scores)));
                self.push(suggest(d, name, &scores, None, list));
                None
            }
        }
    }

    // ---------------------------------------------------------------- tests

    fn check_tests(&mut self, items: &[(FileId, &'a ast::Item)]) {
        let mut test_names: HashMap<String, Loc> = HashMap::new();
        let playbooks: Vec<String> = self
            .rules
            .playbooks()
            .into_iter()
            .map(String::from)
            .collect();
        for &(file, item) in items {
            let ItemKind::Test(t) = &item.kind else {
                continue;
            };
            if let Some(first) = test_names.get(&t.name.value) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        file,
                        t.name.span,
                        format!("two tests are named {}", t.name.raw),
                    )
                    .with_label("second test with this name")
                    .with_related(
                        first.file,
                        first.span,
                        "first test with this name",
                    ),
                );
            } else {
                test_names.insert(
                    t.name.value.clone(),
                    Loc {
                        file,
                        span: t.name.span,
                    },
                );
            }
            let given = t
                .given
                .as_ref()
                .map(|b| self.assignments(file, &b.entries))
                .unwrap_or_default();
            let mut events = Vec::new();
            for ev in t.events.iter().flat_map(|b| b.entries.iter()) {
                if let Some(e) = self.test_event(file, ev) {
                    events.push(e);
                }
            }
            let mut history: Vec<(chrono::NaiveDate, Vec<(ir::SignalId, Value)>)> = Vec::new();
            let mut dates: Vec<(chrono::NaiveDate, Span)> = Vec::new();
            for h in t.history.iter().flat_map(|b| b.entries.iter()) {
                let values = self.assignments(file, &h.values);
                let Some(d) = h.date.value else { continue };
                let clash = dates
                    .iter()
                    .find(|(x, _)| *x == d)
                    .map(|(_, sp)| *sp)
                    .or_else(|| (t.as_of.value == Some(d)).then_some(t.as_of_span));
                if let Some(first) = clash {
                    self.push(
                        Diagnostic::new(
                            Code::DuplicateName,
                            file,
                            h.date.span,
                            format!("the test already has a snapshot on {}", h.date.text),
                        )
                        .with_label("second snapshot on this date")
                        .with_related(file, first, "first snapshot on this date")
                        .with_help("an account has one snapshot per date; change or remove one"),
                    );
                    continue;
                }
                dates.push((d, h.date.span));
                history.push((d, values));
            }
            let cx = Cx {
                file,
                place: Place::Expect,
                event: None,
            };
            let mut expects = Vec::new();
            for ex in &t.expects {
                let loc = Loc {
                    file,
                    span: ex.span,
                };
                match &ex.kind {
                    ast::ExpectKind::Cond(c) => {
                        let cond = self.cond(c, cx);
                        expects.push(ir::Expectation::Cond { cond, loc });
                    }
                    ast::ExpectKind::Triggered { negated, playbook } => {
                        if !playbooks.contains(&playbook.value) {
                            let mut d = Diagnostic::new(
                                Code::UnknownPlaybook,
                                file,
                                playbook.span,
                                format!("no rule triggers the playbook {}", playbook.raw),
                            )
                            .with_label("unknown playbook");
                            if let Some(s) =
                                did_you_mean(&playbook.value, playbooks.iter().map(|p| p.as_str()))
                            {
                                d = d.with_help(format!("did you mean \"{s}\"?")).with_fix(
                                    format!("change to \"{s}\""),
                                    playbook.span,
                                    format!("\"{s}\""),
                                );
                            } else if !playbooks.is_empty() {
                                d = d.with_help(format!(
                                    "the playbooks are {}",
                                    quote_list(&playbooks)
                                ));
                            }
                            self.push(d);
                        }
                        expects.push(ir::Expectation::Triggered {
                            negated: *negated,
                            playbook: playbook.value.clone(),
                            loc,
                        });
                    }
                }
            }
            if let Some(as_of) = t.as_of.value {
                self.rules.tests.push(ir::Test {
                    name: t.name.value.clone(),
                    as_of,
                    given,
                    events,
                    history,
                    expects,
                    loc: Loc {
                        file,
                        span: t.name.span,
                    },
                });
            }
        }
    }

    fn assignments(
        &mut self,
        file: FileId,
        entries: &[ast::Assignment],
    ) -> Vec<(ir::SignalId, Value)> {
        let mut out: Vec<(ir::SignalId, Value)> = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for a in entries {
            if let Some(first) = seen.get(a.name.name.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        file,
                        a.name.span,
                        format!("`{}` is given twice", a.name.name),
                    )
                    .with_label("second value")
                    .with_related(file, *first, "first value here"),
                );
                continue;
            }
            seen.insert(&a.name.name, a.name.span);
            match self.names.get(&a.name.name).copied() {
                Some((Sym::Signal(id), _)) => {
                    self.index.add(file, a.name.span, Symbol::Signal(id), false);
                    let ty = self.rules.signals[id as usize].ty;
                    if let Some(v) = self.test_value(file, &a.value, ty) {
                        out.push((id, v));
                    }
                }
                Some((sym, decl)) => self.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        file,
                        a.name.span,
                        format!("`{}` is {}; a test can only give signals", a.name.name, kind_name(sym)),
                    )
                    .with_label("not a signal")
                    .with_related(decl.file, decl.span, "declared here")
                    .with_help("scores and health are computed from the signals; use `expect` to check them"),
                ),
                None => {
                    let signals: Vec<String> = self.rules.signals.iter().map(|s| s.name.clone()).collect();
                    self.unknown(file, &a.name, "signal", &signals);
                }
            }
        }
        out
    }

    fn test_event(&mut self, file: FileId, ev: &ast::TestEvent) -> Option<ir::TestEvent> {
        let id = match self.names.get(&ev.event.name).copied() {
            Some((Sym::Event(id), _)) => id,
            Some((sym, decl)) => {
                self.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        file,
                        ev.event.span,
                        format!("`{}` is {}, not an event", ev.event.name, kind_name(sym)),
                    )
                    .with_related(decl.file, decl.span, "declared here"),
                );
                return None;
            }
            None => {
                let events: Vec<String> =
                    self.rules.events.iter().map(|s| s.name.clone()).collect();
                self.unknown(file, &ev.event, "event", &events);
                return None;
            }
        };
        self.index
            .add(file, ev.event.span, Symbol::Event(id), false);
        let mut fields = Vec::new();
        for a in ev.fields.iter().flatten() {
            let event = &self.rules.events[id as usize];
            match event.fields.iter().position(|f| f.name == a.name.name) {
                Some(fid) => {
                    let ty = event.fields[fid].ty;
                    self.index
                        .add(file, a.name.span, Symbol::Field(id, fid as u32), false);
                    if let Some(v) = self.test_value(file, &a.value, ty) {
                        fields.push((fid as u32, v));
                    }
                }
                None => {
                    let names: Vec<String> = event.fields.iter().map(|f| f.name.clone()).collect();
                    let ename = event.name.clone();
                    self.unknown_field(file, &a.name, &ename, &names);
                }
            }
        }
        Some(ir::TestEvent {
            event: id,
            date: ev.date.value?,
            fields,
        })
    }

    /// A literal, variant or constant in a test, typed against `ty`.
    fn test_value(&mut self, file: FileId, v: &ast::TestValue, ty: Type) -> Option<Value> {
        use ast::TestValueKind as K;
        let (value, vty, number_text) = match &v.kind {
            K::Number(n) => {
                let d = n.value?;
                let d = if v.negative { -d } else { d };
                let t = if d.fract().is_zero() {
                    Type::Int
                } else {
                    Type::Number
                };
                (Value::Num(d), t, Some(n.text.clone()))
            }
            K::Percent(n) => {
                let d = n.value?;
                (
                    Value::Num(if v.negative { -d } else { d }),
                    Type::Percent,
                    None,
                )
            }
            K::Str(s) => (Value::Text(Arc::from(s.value.as_str())), Type::Text, None),
            K::Bool(b) => (Value::Bool(*b), Type::Bool, None),
            K::Date(d) => (Value::Date(d.value?), Type::Date, None),
            K::Duration(d) => (
                Value::Duration(Duration {
                    amount: if v.negative { -d.amount } else { d.amount },
                    unit: d.unit,
                }),
                Type::Duration,
                None,
            ),
            K::Name(id) => {
                if let Type::Enum(e) = ty {
                    if let Some(i) = self.rules.enums[e as usize]
                        .variants
                        .iter()
                        .position(|x| *x == id.name)
                    {
                        self.index
                            .add(file, id.span, Symbol::Variant(e, i as u32), false);
                        return Some(Value::Enum(i as u32));
                    }
                }
                match self.names.get(&id.name).copied() {
                    Some((Sym::Const(c), _)) => {
                        self.index.add(file, id.span, Symbol::Const(c), false);
                        self.const_uses[c as usize] += 1;
                        let cst = &self.rules.consts[c as usize];
                        (cst.value.clone(), cst.ty, None)
                    }
                    _ => {
                        if let Type::Enum(e) = ty {
                            self.unknown_variant(file, id, e);
                        } else {
                            let consts: Vec<String> =
                                self.rules.consts.iter().map(|c| c.name.clone()).collect();
                            self.unknown(file, id, "constant", &consts);
                        }
                        return None;
                    }
                }
            }
        };
        let ok = match (ty, vty) {
            (Type::Error, _) | (_, Type::Error) => return None,
            (a, b) if a == b => true,
            (Type::Percent, _) | (_, Type::Percent) => {
                let mut d = Diagnostic::new(
                    Code::PercentMismatch,
                    file,
                    v.span,
                    format!("expected a {}, found a {}", self.ty(ty), self.ty(vty)),
                )
                .with_label("not a percent");
                if let (Type::Percent, Some(t)) = (ty, number_text) {
                    let t = if v.negative { format!("-{t}") } else { t };
                    d = d.with_help(format!("write {t}%")).with_fix(
                        format!("write {t}%"),
                        v.span,
                        format!("{t}%"),
                    );
                }
                self.push(d);
                return None;
            }
            (Type::Money | Type::Number, Type::Int | Type::Number | Type::Money) => true,
            (Type::Int, Type::Number | Type::Money) => false,
            _ => false,
        };
        if !ok {
            self.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    file,
                    v.span,
                    format!("expected {}, found {}", self.ty(ty), self.ty(vty)),
                )
                .with_label(format!("not {}", self.ty(ty))),
            );
            return None;
        }
        Some(value)
    }

    // ---------------------------------------------------------------- warnings

    fn unused(&mut self) {
        let mut unused: Vec<(Code, &str, Loc, String)> = Vec::new();
        let never = |uses: &[usize]| {
            uses.iter()
                .enumerate()
                .filter(|(_, n)| **n == 0)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        for i in never(&self.signal_uses) {
            let s = &self.rules.signals[i];
            unused.push((Code::UnusedSignal, "signal", s.loc, s.name.clone()));
        }
        for i in never(&self.event_uses) {
            let e = &self.rules.events[i];
            unused.push((Code::UnusedEvent, "event", e.loc, e.name.clone()));
        }
        for i in never(&self.const_uses) {
            let c = &self.rules.consts[i];
            unused.push((Code::UnusedConst, "constant", c.loc, c.name.clone()));
        }
        for (code, what, loc, name) in unused {
            self.push(
                Diagnostic::new(
                    code,
                    loc.file,
                    loc.span,
                    format!("the {what} `{name}` is never read"),
                )
                .with_label("unused")
                .with_help("use it in a score, rule, status or another constant, or remove it"),
            );
        }
    }

    // ---------------------------------------------------------------- diagnostics helpers

    fn unknown(&mut self, file: FileId, id: &ast::Ident, what: &str, candidates: &[String]) {
        let d = Diagnostic::new(
            Code::UnknownName,
            file,
            id.span,
            format!("there is no {what} named `{}`", id.name),
        )
        .with_label(format!("unknown {what}"));
        self.push(suggest(d, id, candidates, None, None));
    }

    fn unknown_field(&mut self, file: FileId, id: &ast::Ident, event: &str, fields: &[String]) {
        let d = Diagnostic::new(
            Code::UnknownField,
            file,
            id.span,
            format!("the event `{event}` has no field `{}`", id.name),
        )
        .with_label("unknown field");
        let otherwise = if fields.is_empty() {
            format!("`{event}` is declared without fields")
        } else {
            format!("its fields are {}", quote_list(fields))
        };
        self.push(suggest(d, id, fields, None, Some(otherwise)));
    }

    fn unknown_variant(&mut self, file: FileId, id: &ast::Ident, e: EnumId) {
        let variants = self.rules.enums[e as usize].variants.clone();
        let d = Diagnostic::new(
            Code::UnknownVariant,
            file,
            id.span,
            format!(
                "`{}` is not a variant of {}",
                id.name,
                self.ty(Type::Enum(e))
            ),
        )
        .with_label("unknown variant");
        let list = format!("the variants are {}", quote_list(&variants));
        self.push(suggest(d, id, &variants, Some(&list), Some(list.clone())));
    }

    fn unknown_status(&mut self, file: FileId, id: &ast::Ident) {
        let arms: Vec<String> = self.rules.status.iter().map(|a| a.name.clone()).collect();
        let d = Diagnostic::new(
            Code::UnknownStatus,
            file,
            id.span,
            format!("`{}` is not a status of the status block", id.name),
        )
        .with_label("unknown status");
        let list = format!("the statuses are {}", quote_list(&arms));
        self.push(suggest(d, id, &arms, Some(&list), Some(list.clone())));
    }

    fn mismatch(
        &mut self,
        m: Mismatch,
        cx: Cx,
        span: Span,
        message: String,
        other: Option<&ast::Expr>,
    ) {
        match m {
            Mismatch::Percent => {
                let mut d = Diagnostic::new(Code::PercentMismatch, cx.file, span, message)
                    .with_label("percent and plain number");
                match other.and_then(number_literal_text) {
                    Some(t) => {
                        d = d.with_help(format!("write {t}%"));
                        if let Some(o) = other {
                            d = d.with_fix(format!("write {t}%"), o.span, format!("{t}%"));
                        }
                    }
                    None => {
                        d = d.with_help("a percent only compares, adds and subtracts with percents; write the other side as a percent such as 20%");
                    }
                }
                self.push(d);
            }
            Mismatch::DateSub => self.push(
                Diagnostic::new(Code::DateSubtraction, cx.file, span, "a date cannot be subtracted from a date")
                    .with_label("date - date")
                    .with_help("use days_since(DATE) or days_until(DATE) for the number of days between a date and as_of"),
            ),
            Mismatch::Other => self.push(
                Diagnostic::new(Code::TypeMismatch, cx.file, span, message).with_label("types do not fit"),
            ),
        }
    }

    // ---------------------------------------------------------------- expressions

    /// A condition: `bool`, or an event query (true when it matches once).
    fn cond(&mut self, e: &ast::Expr, cx: Cx) -> ir::Expr {
        let mut out = self.expr(e, cx, None);
        match out.ty {
            Type::Bool | Type::Error => {}
            Type::Events(_) => {
                if let ir::ExprKind::Exists(q) = &out.kind {
                    if q.field.is_some() {
                        self.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                cx.file,
                                e.span,
                                "an event field is a list of values, not a condition",
                            )
                            .with_label("not bool")
                            .with_help("aggregate it: sum(…), avg(…), min(…) or max(…)"),
                        );
                        return error_expr(e.span);
                    }
                }
                out.ty = Type::Bool;
            }
            other => {
                let msg = format!(
                    "a condition must be bool (true or false), found {}",
                    self.ty(other)
                );
                self.push(
                    Diagnostic::new(Code::TypeMismatch, cx.file, e.span, msg)
                        .with_label("not bool")
                        .with_help("compare it, e.g. `x > 0`"),
                );
                return error_expr(e.span);
            }
        }
        out
    }

    fn numeric(&mut self, e: &ast::Expr, cx: Cx, what: &str) -> ir::Expr {
        let out = self.expr(e, cx, None);
        if out.ty.is_numeric() || out.ty == Type::Error {
            return out;
        }
        let found = self.ty(out.ty);
        let mut d = Diagnostic::new(
            Code::TypeMismatch,
            cx.file,
            e.span,
            format!("{what} must be a number, found {found}"),
        )
        .with_label("not a number");
        if matches!(out.ty, Type::Events(_)) {
            d = d.with_help("count the occurrences with count(…)");
        }
        self.push(d);
        error_expr(e.span)
    }

    /// A value expression (not an event query).
    fn value(&mut self, e: &ast::Expr, cx: Cx, hint: Option<Type>) -> ir::Expr {
        let out = self.expr(e, cx, hint);
        if let Type::Events(_) = out.ty {
            self.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    cx.file,
                    e.span,
                    "an event query is not a value",
                )
                .with_label("event query")
                .with_help("use count(…), last(…) or an aggregate such as sum(EVENT.FIELD)"),
            );
            return error_expr(e.span);
        }
        out
    }

    fn expr(&mut self, e: &ast::Expr, cx: Cx, hint: Option<Type>) -> ir::Expr {
        use ir::ExprKind as K;
        let span = e.span;
        let lit = |v: Value, ty: Type| ir::Expr {
            kind: K::Lit(v),
            ty,
            span,
        };
        match &e.kind {
            ExprKind::Number(n) => match n.value {
                Some(d) => lit(
                    Value::Num(d),
                    if d.fract().is_zero() {
                        Type::Int
                    } else {
                        Type::Number
                    },
                ),
                None => error_expr(span),
            },
            ExprKind::Percent(n) => match n.value {
                Some(d) => lit(Value::Num(d), Type::Percent),
                None => error_expr(span),
            },
            ExprKind::Str(s) => lit(Value::Text(Arc::from(s.value.as_str())), Type::Text),
            ExprKind::Bool(b) => lit(Value::Bool(*b), Type::Bool),
            ExprKind::Date(d) => match d.value {
                Some(d) => lit(Value::Date(d), Type::Date),
                None => error_expr(span),
            },
            ExprKind::Duration(d) => lit(
                Value::Duration(Duration {
                    amount: d.amount,
                    unit: d.unit,
                }),
                Type::Duration,
            ),
            ExprKind::Name(id) => self.name(id, cx, hint),
            ExprKind::Query(q) => self.query(q, cx, span),
            ExprKind::Health => {
                self.read_computed(cx, span, "health");
                ir::Expr {
                    kind: K::Health,
                    ty: Type::Number,
                    span,
                }
            }
            ExprKind::Status => {
                if cx.place == Place::StatusArm {
                    self.push(
                        Diagnostic::new(
                            Code::StatusReadsStatus,
                            cx.file,
                            span,
                            "a status arm cannot read `status`",
                        )
                        .with_label("the status is being decided here")
                        .with_help("status arms may read signals, events, scores and health"),
                    );
                } else {
                    // reported when not allowed; the type is kept so the other
                    // side of `==` still resolves against the status names
                    self.read_computed(cx, span, "status");
                }
                ir::Expr {
                    kind: K::Status,
                    ty: Type::Status,
                    span,
                }
            }
            ExprKind::Paren(inner) => {
                let mut out = self.expr(inner, cx, hint);
                out.span = span;
                out
            }
            ExprKind::Neg(inner) => {
                let v = self.value(inner, cx, None);
                if !(v.ty.is_numeric() || v.ty == Type::Duration || v.ty == Type::Error) {
                    let msg = format!("cannot negate {}", self.ty(v.ty));
                    self.push(
                        Diagnostic::new(Code::TypeMismatch, cx.file, span, msg)
                            .with_label("not a number"),
                    );
                    return error_expr(span);
                }
                ir::Expr {
                    ty: v.ty,
                    kind: K::Neg(Box::new(v)),
                    span,
                }
            }
            ExprKind::Not(inner) => {
                let c = self.cond(inner, cx);
                ir::Expr {
                    kind: K::Not(Box::new(c)),
                    ty: Type::Bool,
                    span,
                }
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let a = self.cond(a, cx);
                let b = self.cond(b, cx);
                let kind = if matches!(e.kind, ExprKind::And(..)) {
                    K::And(Box::new(a), Box::new(b))
                } else {
                    K::Or(Box::new(a), Box::new(b))
                };
                ir::Expr {
                    kind,
                    ty: Type::Bool,
                    span,
                }
            }
            ExprKind::Arith(op, a, b) => {
                let (x, y) = self.pair(a, b, cx);
                match arith_type(*op, x.ty, y.ty) {
                    Ok(Type::Duration) => {
                        // written durations are added now; days and months do not mix
                        if let (K::Lit(vx @ Value::Duration(_)), K::Lit(vy @ Value::Duration(_))) =
                            (&x.kind, &y.kind)
                        {
                            let v = value::arith(*op, vx, vy);
                            if v.is_missing() {
                                self.push(
                                    Diagnostic::new(
                                        Code::TypeMismatch,
                                        cx.file,
                                        span,
                                        "days (or weeks) and months (or years) cannot be added: a month has no fixed number of days",
                                    )
                                    .with_label("mixed units")
                                    .with_help("write the duration in one unit, e.g. `45 days`"),
                                );
                                return error_expr(span);
                            }
                            return ir::Expr {
                                kind: K::Lit(v),
                                ty: Type::Duration,
                                span,
                            };
                        }
                        ir::Expr {
                            kind: K::Arith(*op, Box::new(x), Box::new(y)),
                            ty: Type::Duration,
                            span,
                        }
                    }
                    Ok(ty) => ir::Expr {
                        kind: K::Arith(*op, Box::new(x), Box::new(y)),
                        ty,
                        span,
                    },
                    Err(m) => {
                        let verb = match op {
                            ArithOp::Add => "add",
                            ArithOp::Sub => "subtract",
                            ArithOp::Mul => "multiply",
                            ArithOp::Div => "divide",
                        };
                        let msg = format!("cannot {verb} {} and {}", self.ty(x.ty), self.ty(y.ty));
                        let other = if x.ty == Type::Percent { b } else { a };
                        self.mismatch(m, cx, span, msg, Some(other));
                        error_expr(span)
                    }
                }
            }
            ExprKind::Compare(op, a, b) => {
                let (x, y) = self.pair(a, b, cx);
                match comparable(*op, x.ty, y.ty) {
                    Ok(()) => ir::Expr {
                        kind: K::Compare(*op, Box::new(x), Box::new(y)),
                        ty: Type::Bool,
                        span,
                    },
                    Err(m) => {
                        let msg = format!(
                            "cannot compare {} with {} using `{}`",
                            self.ty(x.ty),
                            self.ty(y.ty),
                            op.as_str()
                        );
                        let other = if x.ty == Type::Percent { b } else { a };
                        self.mismatch(m, cx, span, msg, Some(other));
                        error_expr(span)
                    }
                }
            }
            ExprKind::Coalesce(a, b) => {
                let (x, y) = self.pair(a, b, cx);
                match join(x.ty, y.ty) {
                    Ok(ty) => ir::Expr {
                        kind: K::Coalesce(Box::new(x), Box::new(y)),
                        ty,
                        span,
                    },
                    Err(m) => {
                        let msg = format!(
                            "both sides of `??` must have one type, found {} and {}",
                            self.ty(x.ty),
                            self.ty(y.ty)
                        );
                        let other = if x.ty == Type::Percent { b } else { a };
                        self.mismatch(m, cx, span, msg, Some(other));
                        error_expr(span)
                    }
                }
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let v = self.value(value, cx, None);
                let mut items = Vec::new();
                let mut failed = false;
                for item in list {
                    let it = self.value(item, cx, Some(v.ty));
                    if let Err(m) = comparable(CmpOp::Eq, v.ty, it.ty) {
                        let msg =
                            format!("cannot compare {} with {}", self.ty(v.ty), self.ty(it.ty));
                        self.mismatch(m, cx, item.span, msg, Some(item));
                        failed = true;
                    }
                    items.push(it);
                }
                if failed {
                    return error_expr(span);
                }
                ir::Expr {
                    kind: K::In {
                        value: Box::new(v),
                        list: items,
                        negated: *negated,
                    },
                    ty: Type::Bool,
                    span,
                }
            }
            ExprKind::IsMissing { value, negated } => {
                let v = self.value(value, cx, None);
                ir::Expr {
                    kind: K::IsMissing {
                        value: Box::new(v),
                        negated: *negated,
                    },
                    ty: Type::Bool,
                    span,
                }
            }
            ExprKind::Call { name, args } => self.call(name, args, cx, span),
            ExprKind::Band { input, arms, .. } => self.band(e, input, arms, cx),
        }
    }

    /// Both operands of a binary operator; a bare name on one side is
    /// resolved against the other side's type (enum variants, statuses).
    fn pair(&mut self, a: &ast::Expr, b: &ast::Expr, cx: Cx) -> (ir::Expr, ir::Expr) {
        if is_bare_name(a) && !is_bare_name(b) {
            let y = self.value(b, cx, None);
            let x = self.value(a, cx, Some(y.ty));
            (x, y)
        } else {
            let x = self.value(a, cx, None);
            let y = self.value(b, cx, Some(x.ty));
            (x, y)
        }
    }

    /// Reading a score, `health` or `status`: not from score bases and
    /// adjustments, not from constants.
    fn read_computed(&mut self, cx: Cx, span: Span, what: &str) -> bool {
        self.dependent = true;
        match cx.place {
            Place::ScoreBase | Place::Adjustment => {
                let place = if cx.place == Place::ScoreBase {
                    "a score base"
                } else {
                    "an adjustment"
                };
                self.push(
                    Diagnostic::new(
                        Code::ScoreReadsScore,
                        cx.file,
                        span,
                        format!("{place} cannot read {what}"),
                    )
                    .with_label(format!("reads {what}"))
                    .with_help("scores do not depend on scores, health or status; read signals and events, or make this a trigger"),
                );
                false
            }
            Place::Const => {
                self.not_constant(cx, span, what);
                false
            }
            _ => true,
        }
    }

    fn name(&mut self, id: &ast::Ident, cx: Cx, hint: Option<Type>) -> ir::Expr {
        use ir::ExprKind as K;
        let span = id.span;
        // 1. a variant or status first, where the other side says so
        match hint {
            Some(Type::Enum(e)) => {
                if let Some(i) = self.rules.enums[e as usize]
                    .variants
                    .iter()
                    .position(|v| *v == id.name)
                {
                    self.index
                        .add(cx.file, span, Symbol::Variant(e, i as u32), false);
                    return ir::Expr {
                        kind: K::Lit(Value::Enum(i as u32)),
                        ty: Type::Enum(e),
                        span,
                    };
                }
                // not a variant: a name that resolves to something else is
                // compared (and type-checked) as that; anything else is a
                // misspelt variant
                let resolves = self.names.contains_key(&id.name)
                    || cx.event.is_some_and(|ev| {
                        self.rules.events[ev as usize]
                            .fields
                            .iter()
                            .any(|f| f.name == id.name)
                    });
                if !resolves {
                    self.unknown_variant(cx.file, id, e);
                    return error_expr(span);
                }
            }
            Some(Type::Status) => {
                if let Some(i) = self.rules.status.iter().position(|a| a.name == id.name) {
                    self.index
                        .add(cx.file, span, Symbol::StatusArm(i as u32), false);
                    return ir::Expr {
                        kind: K::Lit(Value::Status(i as u32)),
                        ty: Type::Status,
                        span,
                    };
                }
                if self.has_status {
                    self.unknown_status(cx.file, id);
                }
                return error_expr(span);
            }
            _ => {}
        }
        // 2. fields of the event being filtered
        if let Some(ev) = cx.event {
            if let Some(f) = self.rules.events[ev as usize]
                .fields
                .iter()
                .position(|f| f.name == id.name)
            {
                self.index
                    .add(cx.file, span, Symbol::Field(ev, f as u32), false);
                self.dependent = true;
                return ir::Expr {
                    kind: K::Field(f as u32),
                    ty: self.rules.events[ev as usize].fields[f].ty,
                    span,
                };
            }
        }
        // 3. the namespace
        match self.names.get(&id.name).copied() {
            Some((Sym::Signal(s), _)) => {
                self.index.add(cx.file, span, Symbol::Signal(s), false);
                self.signal_uses[s as usize] += 1;
                self.dependent = true;
                if cx.place == Place::Const {
                    self.not_constant(cx, span, &format!("the signal `{}`", id.name));
                    return error_expr(span);
                }
                if !self.reads.contains(&s) {
                    self.reads.push(s);
                }
                ir::Expr {
                    kind: K::Signal(s),
                    ty: self.rules.signals[s as usize].ty,
                    span,
                }
            }
            Some((Sym::Event(ev), _)) => {
                self.index.add(cx.file, span, Symbol::Event(ev), false);
                self.event_uses[ev as usize] += 1;
                self.dependent = true;
                if cx.place == Place::Const {
                    self.not_constant(cx, span, &format!("the event `{}`", id.name));
                    return error_expr(span);
                }
                ir::Expr {
                    kind: K::Exists(ir::Query {
                        event: ev,
                        field: None,
                        filter: None,
                        within: None,
                    }),
                    ty: Type::Events(ev),
                    span,
                }
            }
            Some((Sym::Const(c), _)) => {
                self.index.add(cx.file, span, Symbol::Const(c), false);
                self.const_uses[c as usize] += 1;
                if cx.place == Place::Const {
                    return self.const_ref(c, cx, id);
                }
                let cst = &self.rules.consts[c as usize];
                ir::Expr {
                    kind: K::Lit(cst.value.clone()),
                    ty: cst.ty,
                    span,
                }
            }
            Some((Sym::Score(s), _)) => {
                self.index.add(cx.file, span, Symbol::Score(s), false);
                if !self.read_computed(cx, span, &format!("the score `{}`", id.name)) {
                    return error_expr(span);
                }
                ir::Expr {
                    kind: K::Score(s),
                    ty: Type::Number,
                    span,
                }
            }
            None => {
                let mut candidates: Vec<String> = self.names.keys().cloned().collect();
                candidates.sort();
                if let Some(ev) = cx.event {
                    candidates.extend(
                        self.rules.events[ev as usize]
                            .fields
                            .iter()
                            .map(|f| f.name.clone()),
                    );
                }
                if Builtin::from_name(&id.name).is_some() {
                    self.push(
                        Diagnostic::new(
                            Code::UnknownName,
                            cx.file,
                            span,
                            format!("`{}` is a function; call it with arguments", id.name),
                        )
                        .with_label("missing `(…)`"),
                    );
                } else {
                    self.unknown(cx.file, id, "signal, event, constant or score", &candidates);
                }
                error_expr(span)
            }
        }
    }

    fn duration_arg(&mut self, e: &ast::Expr, cx: Cx) -> Option<Duration> {
        match &e.kind {
            ExprKind::Duration(d) => Some(Duration {
                amount: d.amount,
                unit: d.unit,
            }),
            ExprKind::Paren(inner) => self.duration_arg(inner, cx),
            ExprKind::Name(id) => match self.names.get(&id.name).copied() {
                Some((Sym::Const(c), _)) => {
                    self.index.add(cx.file, id.span, Symbol::Const(c), false);
                    self.const_uses[c as usize] += 1;
                    match self.rules.consts[c as usize].value {
                        Value::Duration(d) => Some(d),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn query(&mut self, q: &ast::Query, cx: Cx, span: Span) -> ir::Expr {
        use ir::ExprKind as K;
        let ev = match self.names.get(&q.event.name).copied() {
            Some((Sym::Event(ev), _)) => ev,
            Some((sym, decl)) => {
                self.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        cx.file,
                        q.event.span,
                        format!(
                            "`{}` is {}; `.`, `where` and `within` need an event",
                            q.event.name,
                            kind_name(sym)
                        ),
                    )
                    .with_label("not an event")
                    .with_related(decl.file, decl.span, "declared here"),
                );
                return error_expr(span);
            }
            None => {
                let events: Vec<String> =
                    self.rules.events.iter().map(|e| e.name.clone()).collect();
                self.unknown(cx.file, &q.event, "event", &events);
                return error_expr(span);
            }
        };
        self.index
            .add(cx.file, q.event.span, Symbol::Event(ev), false);
        self.event_uses[ev as usize] += 1;
        self.dependent = true;
        if cx.place == Place::Const {
            self.not_constant(cx, q.event.span, &format!("the event `{}`", q.event.name));
            return error_expr(span);
        }
        let mut field = None;
        if let Some(f) = &q.field {
            let event = &self.rules.events[ev as usize];
            match event.fields.iter().position(|x| x.name == f.name) {
                Some(i) => {
                    self.index
                        .add(cx.file, f.span, Symbol::Field(ev, i as u32), false);
                    field = Some(i as u32);
                }
                None => {
                    let names: Vec<String> = event.fields.iter().map(|f| f.name.clone()).collect();
                    let ename = event.name.clone();
                    self.unknown_field(cx.file, f, &ename, &names);
                    return error_expr(span);
                }
            }
        }
        let filter = q.filter.as_ref().map(|c| {
            let inner = Cx {
                event: Some(ev),
                ..cx
            };
            Box::new(self.cond(c, inner))
        });
        let mut within = None;
        if let Some(w) = &q.within {
            match self.duration_arg(w, cx) {
                Some(d) => within = Some(d),
                None => {
                    let found = if let ExprKind::Name(_) = w.kind {
                        "this name does not hold a duration".to_string()
                    } else {
                        "this is not a duration".to_string()
                    };
                    let mut d = Diagnostic::new(
                        Code::WithinNotDuration,
                        cx.file,
                        w.span,
                        "`within` needs a duration such as `90 days`, or a constant holding one",
                    )
                    .with_label(found);
                    if let ExprKind::Number(n) = &w.kind {
                        d = d.with_help(format!("write `{} days`", n.text)).with_fix(
                            format!("write `{} days`", n.text),
                            w.span,
                            format!("{} days", n.text),
                        );
                    }
                    self.push(d);
                }
            }
        }
        ir::Expr {
            kind: K::Exists(ir::Query {
                event: ev,
                field,
                filter,
                within,
            }),
            ty: Type::Events(ev),
            span,
        }
    }

    fn band(
        &mut self,
        whole: &ast::Expr,
        input: &ast::Expr,
        arms: &[ast::BandArm],
        cx: Cx,
    ) -> ir::Expr {
        let span = whole.span;
        let inp = self.value(input, cx, None);
        let mut out_arms = Vec::new();
        let mut otherwise: Option<ir::Expr> = None;
        let mut result_ty: Option<Type> = None;
        let mut failed = false;
        for arm in arms {
            if otherwise.is_some() {
                self.push(
                    Diagnostic::new(
                        Code::UnreachableArm,
                        cx.file,
                        arm.span,
                        "this band arm can never be taken",
                    )
                    .with_label("after `otherwise`"),
                );
                continue;
            }
            let test = match &arm.test {
                Some((op, v)) => {
                    let val = self.value(v, cx, Some(inp.ty));
                    if let Err(m) = comparable(*op, inp.ty, val.ty) {
                        let msg = format!(
                            "cannot compare {} with {} using `{}`",
                            self.ty(inp.ty),
                            self.ty(val.ty),
                            op.as_str()
                        );
                        self.mismatch(m, cx, v.span, msg, Some(v));
                        failed = true;
                    }
                    Some((*op, val))
                }
                None => None,
            };
            let res = self.value(&arm.result, cx, None);
            result_ty = match result_ty {
                None => Some(res.ty),
                Some(t) => match join(t, res.ty) {
                    Ok(t) => Some(t),
                    Err(m) => {
                        let msg = format!(
                            "the arms of a band must give one type, found {} and {}",
                            self.ty(t),
                            self.ty(res.ty)
                        );
                        self.mismatch(m, cx, arm.result.span, msg, Some(&arm.result));
                        failed = true;
                        Some(Type::Error)
                    }
                },
            };
            match test {
                Some((op, value)) => out_arms.push(ir::BandArm {
                    op,
                    value,
                    result: res,
                }),
                None => otherwise = Some(res),
            }
        }
        let Some(otherwise) = otherwise else {
            let kw = Span::new(span.start, span.start + 4);
            let close = match &whole.kind {
                ExprKind::Band { close, .. } => *close,
                _ => span,
            };
            self.push(
                Diagnostic::new(
                    Code::MissingOtherwise,
                    cx.file,
                    kw,
                    "this `band` has no `otherwise` arm",
                )
                .with_label("some inputs would match no arm")
                .with_help("add a last arm `otherwise => VALUE`")
                .with_fix(
                    "add `otherwise => 0`",
                    Span::new(close.start, close.start),
                    "otherwise => 0 ",
                ),
            );
            return error_expr(span);
        };
        if failed {
            return error_expr(span);
        }
        ir::Expr {
            ty: result_ty.unwrap_or(Type::Error),
            kind: ir::ExprKind::Band {
                input: Box::new(inp),
                arms: out_arms,
                otherwise: Box::new(otherwise),
            },
            span,
        }
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], cx: Cx, span: Span) -> ir::Expr {
        use ir::ExprKind as K;
        let f = name.name.as_str();
        let Some(builtin) = Builtin::from_name(f) else {
            let d = Diagnostic::new(
                Code::UnknownFunction,
                cx.file,
                name.span,
                format!("there is no function named `{f}`"),
            )
            .with_label("unknown function");
            let names: Vec<String> = Builtin::ALL.iter().map(|b| b.name().to_string()).collect();
            let list = format!("the functions are {}", names.join(", "));
            self.push(suggest(d, name, &names, None, Some(list)));
            return error_expr(span);
        };
        let sig = builtin.signature();
        let arity = |n: usize, ok: bool, this: &mut Self| -> bool {
            if !ok {
                this.push(
                    Diagnostic::new(
                        Code::WrongArity,
                        cx.file,
                        name.span,
                        format!(
                            "`{f}` takes {n}, found {} argument{}",
                            args.len(),
                            if args.len() == 1 { "" } else { "s" }
                        ),
                    )
                    .with_label("wrong number of arguments")
                    .with_help(format!("usage: {sig}")),
                );
            }
            ok
        };
        if cx.place == Place::Const && !builtin.is_pure() {
            self.push(
                Diagnostic::new(
                    Code::NotConstant,
                    cx.file,
                    name.span,
                    format!("a constant cannot call `{f}`"),
                )
                .with_label("differs per account")
                .with_help("constants may use min, max, clamp, abs, round and linear"),
            );
            return error_expr(span);
        }
        use Builtin as B;
        match builtin {
            B::Count | B::Last | B::First => {
                if !arity(1, args.len() == 1, self) {
                    return error_expr(span);
                }
                let Some(q) = self.query_arg(f, &args[0], cx, false) else {
                    return error_expr(span);
                };
                let (kind, ty) = match builtin {
                    B::Count => (K::Count(q), Type::Int),
                    B::Last => (K::Last(q), Type::Date),
                    _ => (K::First(q), Type::Date),
                };
                ir::Expr { kind, ty, span }
            }
            // min(a, b, …); min(EVENT.FIELD …) aggregates
            B::Min | B::Max if !(args.len() == 1 && is_field_query(&args[0])) => {
                if !arity(2, args.len() >= 2, self) {
                    return error_expr(span);
                }
                let Some((vals, ty)) = self.numeric_args(f, args, cx) else {
                    return error_expr(span);
                };
                let kind = if builtin == B::Min {
                    K::Min(vals)
                } else {
                    K::Max(vals)
                };
                ir::Expr { kind, ty, span }
            }
            B::Sum | B::Avg | B::Min | B::Max => {
                if !arity(1, args.len() == 1, self) {
                    return error_expr(span);
                }
                let Some(q) = self.query_arg(f, &args[0], cx, true) else {
                    return error_expr(span);
                };
                let fty = q
                    .field
                    .map(|fid| self.rules.events[q.event as usize].fields[fid as usize].ty)
                    .unwrap_or(Type::Error);
                if !fty.is_numeric() && fty != Type::Error {
                    let msg = format!("`{f}` needs a numeric field, found {}", self.ty(fty));
                    self.push(
                        Diagnostic::new(Code::InvalidArgument, cx.file, args[0].span, msg)
                            .with_label("not numeric"),
                    );
                    return error_expr(span);
                }
                let agg = match builtin {
                    B::Sum => ir::AggKind::Sum,
                    B::Avg => ir::AggKind::Avg,
                    B::Min => ir::AggKind::Min,
                    _ => ir::AggKind::Max,
                };
                let ty = if agg == ir::AggKind::Avg && fty != Type::Percent && fty != Type::Money {
                    Type::Number
                } else {
                    fty
                };
                ir::Expr {
                    kind: K::Aggregate(agg, q),
                    ty,
                    span,
                }
            }
            B::Clamp | B::Linear => {
                if !arity(3, args.len() == 3, self) {
                    return error_expr(span);
                }
                let Some((mut vals, ty)) = self.numeric_args(f, args, cx) else {
                    return error_expr(span);
                };
                let c = Box::new(vals.pop().unwrap_or_else(|| error_expr(span)));
                let b = Box::new(vals.pop().unwrap_or_else(|| error_expr(span)));
                let a = Box::new(vals.pop().unwrap_or_else(|| error_expr(span)));
                if builtin == B::Clamp {
                    ir::Expr {
                        kind: K::Clamp(a, b, c),
                        ty,
                        span,
                    }
                } else {
                    ir::Expr {
                        kind: K::Linear(a, b, c),
                        ty: Type::Number,
                        span,
                    }
                }
            }
            B::Abs | B::Round => {
                if !arity(1, args.len() == 1, self) {
                    return error_expr(span);
                }
                let Some((mut vals, ty)) = self.numeric_args(f, args, cx) else {
                    return error_expr(span);
                };
                let a = Box::new(vals.pop().unwrap_or_else(|| error_expr(span)));
                if builtin == B::Abs {
                    ir::Expr {
                        kind: K::Abs(a),
                        ty,
                        span,
                    }
                } else {
                    ir::Expr {
                        kind: K::Round(a),
                        ty: if ty == Type::Error {
                            Type::Error
                        } else {
                            Type::Int
                        },
                        span,
                    }
                }
            }
            B::DaysSince | B::DaysUntil => {
                // measured from the account's as_of: never constant
                self.dependent = true;
                if !arity(1, args.len() == 1, self) {
                    return error_expr(span);
                }
                let a = self.value(&args[0], cx, None);
                if a.ty != Type::Date && a.ty != Type::Error {
                    let msg = format!("`{f}` needs a date, found {}", self.ty(a.ty));
                    self.push(
                        Diagnostic::new(Code::InvalidArgument, cx.file, args[0].span, msg)
                            .with_label("not a date")
                            .with_help(format!("usage: {sig}")),
                    );
                    return error_expr(span);
                }
                let kind = if builtin == B::DaysSince {
                    K::DaysSince(Box::new(a))
                } else {
                    K::DaysUntil(Box::new(a))
                };
                ir::Expr {
                    kind,
                    ty: Type::Int,
                    span,
                }
            }
            B::Previous | B::Change => {
                if !arity(2, args.len() == 2, self) {
                    return error_expr(span);
                }
                let Some((target, ty)) = self.target(f, &args[0], cx) else {
                    return error_expr(span);
                };
                let Some(d) = self.duration_arg(&args[1], cx) else {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            cx.file,
                            args[1].span,
                            format!(
                                "the second argument of `{f}` must be a duration such as `30 days`"
                            ),
                        )
                        .with_label("not a duration")
                        .with_help(format!("usage: {sig}")),
                    );
                    return error_expr(span);
                };
                if builtin == B::Change && !ty.is_numeric() && ty != Type::Error {
                    let msg = format!("`change` needs a numeric value, found {}", self.ty(ty));
                    self.push(
                        Diagnostic::new(Code::InvalidArgument, cx.file, args[0].span, msg)
                            .with_label("not numeric")
                            .with_help("use previous(X, D) to compare other values"),
                    );
                    return error_expr(span);
                }
                let kind = if builtin == B::Previous {
                    K::Previous(target, d)
                } else {
                    K::Change(target, d)
                };
                ir::Expr { kind, ty, span }
            }
        }
    }

    /// The first argument of previous/change: a signal, a score or health.
    fn target(&mut self, f: &str, e: &ast::Expr, cx: Cx) -> Option<(ir::Target, Type)> {
        match &e.kind {
            ExprKind::Paren(inner) => self.target(f, inner, cx),
            ExprKind::Health => {
                if !self.read_computed(cx, e.span, "health") {
                    return None;
                }
                Some((ir::Target::Health, Type::Number))
            }
            ExprKind::Name(id) => match self.names.get(&id.name).copied() {
                Some((Sym::Signal(s), _)) => {
                    let x = self.name(id, cx, None);
                    if x.ty == Type::Error {
                        return None;
                    }
                    Some((ir::Target::Signal(s), self.rules.signals[s as usize].ty))
                }
                Some((Sym::Score(s), _)) => {
                    self.index.add(cx.file, id.span, Symbol::Score(s), false);
                    if !self.read_computed(cx, id.span, &format!("the score `{}`", id.name)) {
                        return None;
                    }
                    Some((ir::Target::Score(s), Type::Number))
                }
                Some((sym, decl)) => {
                    self.push(
                        Diagnostic::new(
                            Code::WrongKind,
                            cx.file,
                            id.span,
                            format!(
                                "`{f}` looks back at a signal, a score or health; `{}` is {}",
                                id.name,
                                kind_name(sym)
                            ),
                        )
                        .with_label("cannot look back at this")
                        .with_related(
                            decl.file,
                            decl.span,
                            "declared here",
                        ),
                    );
                    None
                }
                None => {
                    let mut c: Vec<String> = self.names.keys().cloned().collect();
                    c.sort();
                    self.unknown(cx.file, id, "signal or score", &c);
                    None
                }
            },
            _ => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidArgument,
                        cx.file,
                        e.span,
                        format!(
                            "`{f}` looks back at a signal, a score or health, not an expression"
                        ),
                    )
                    .with_label("not a signal, score or health")
                    .with_help(format!(
                        "write `{f}(NAME, 30 days)` and compute with the result"
                    )),
                );
                None
            }
        }
    }

    fn numeric_args(
        &mut self,
        f: &str,
        args: &[ast::Expr],
        cx: Cx,
    ) -> Option<(Vec<ir::Expr>, Type)> {
        let mut vals = Vec::new();
        let mut ty: Option<Type> = None;
        let mut ok = true;
        for a in args {
            let v = self.value(a, cx, None);
            if !v.ty.is_numeric() && v.ty != Type::Error {
                let msg = format!("`{f}` needs numbers, found {}", self.ty(v.ty));
                self.push(
                    Diagnostic::new(Code::TypeMismatch, cx.file, a.span, msg)
                        .with_label("not a number"),
                );
                ok = false;
            } else {
                ty = match ty {
                    None => Some(v.ty),
                    Some(t) => match num_join(t, v.ty) {
                        Ok(t) => Some(t),
                        Err(m) => {
                            let msg = format!(
                                "the arguments of `{f}` mix {} and {}",
                                self.ty(t),
                                self.ty(v.ty)
                            );
                            self.mismatch(m, cx, a.span, msg, Some(a));
                            ok = false;
                            Some(Type::Error)
                        }
                    },
                };
            }
            vals.push(v);
        }
        ok.then(|| (vals, ty.unwrap_or(Type::Error)))
    }

    fn query_arg(
        &mut self,
        f: &str,
        e: &ast::Expr,
        cx: Cx,
        wants_field: bool,
    ) -> Option<ir::Query> {
        let v = self.expr(e, cx, None);
        match (v.kind, v.ty) {
            (_, Type::Error) => None,
            (ir::ExprKind::Exists(q), Type::Events(_)) => {
                if wants_field && q.field.is_none() {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            cx.file,
                            e.span,
                            format!("`{f}` aggregates an event field: write `{f}(EVENT.FIELD …)`"),
                        )
                        .with_label("no field"),
                    );
                    return None;
                }
                if !wants_field && q.field.is_some() {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            cx.file,
                            e.span,
                            format!("`{f}` takes an event query, not a field"),
                        )
                        .with_label("remove `.FIELD`"),
                    );
                    return None;
                }
                Some(q)
            }
            (_, ty) => {
                let what = match &e.kind {
                    ExprKind::Name(id) => match self.names.get(&id.name) {
                        Some((sym, _)) => format!("`{}` is {}", id.name, kind_name(*sym)),
                        None => format!("`{}`", id.name),
                    },
                    _ => format!("this is {}", self.ty(ty)),
                };
                self.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        cx.file,
                        e.span,
                        format!("`{f}` needs an event query; {what}"),
                    )
                    .with_label("not an event"),
                );
                None
            }
        }
    }
}

fn is_field_query(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Query(q) => q.field.is_some(),
        ExprKind::Paren(inner) => is_field_query(inner),
        _ => false,
    }
}

/// Did-you-mean for a misspelt name: with a close candidate, a help line
/// (followed by `also`) and a fix replacing the name; without one, `otherwise`
/// as the help.
fn suggest(
    d: Diagnostic,
    id: &ast::Ident,
    candidates: &[String],
    also: Option<&str>,
    otherwise: Option<String>,
) -> Diagnostic {
    match did_you_mean(&id.name, candidates.iter().map(|s| s.as_str())) {
        Some(s) => {
            let help = match also {
                Some(a) => format!("did you mean `{s}`? {a}"),
                None => format!("did you mean `{s}`?"),
            };
            d.with_help(help)
                .with_fix(format!("change to `{s}`"), id.span, s)
        }
        None => match otherwise {
            Some(h) => d.with_help(h),
            None => d,
        },
    }
}

fn quote_list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().take(12).map(|s| format!("`{s}`")).collect();
    let mut out = shown.join(", ");
    if items.len() > 12 {
        out.push_str(&format!(" and {} more", items.len() - 12));
    }
    out
}
