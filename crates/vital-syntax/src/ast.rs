//! The syntax tree. Every node carries the byte span of its text in the file.
//! Literals keep their source text so the formatter prints them as written.

use crate::Span;
use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A top-level item: a declaration, a rule or a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    /// The `##` doc comment directly above, without the `##` markers.
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Signal(SignalDecl),
    Event(EventDecl),
    Const(ConstDecl),
    Score(ScoreDecl),
    Status(StatusDecl),
    Rule(RuleDecl),
    Test(TestDecl),
}

impl Item {
    /// The declared name, for declarations that have one.
    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Signal(d) => Some(&d.name),
            ItemKind::Event(d) => Some(&d.name),
            ItemKind::Const(d) => Some(&d.name),
            ItemKind::Score(d) => Some(&d.name),
            ItemKind::Status(_) | ItemKind::Rule(_) | ItemKind::Test(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Bool,
    Int,
    Number,
    Percent,
    Money,
    Text,
    Date,
    Duration,
    Enum(Vec<Ident>),
    /// A name that is not a type (`integer`): the checker reports it.
    Unknown(Ident),
}

impl TypeKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            TypeKind::Bool => "bool",
            TypeKind::Int => "int",
            TypeKind::Number => "number",
            TypeKind::Percent => "percent",
            TypeKind::Money => "money",
            TypeKind::Text => "text",
            TypeKind::Date => "date",
            TypeKind::Duration => "duration",
            TypeKind::Enum(_) => "enum",
            TypeKind::Unknown(_) => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignalDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventDecl {
    pub name: Ident,
    /// `None` when written without braces.
    pub fields: Option<Vec<FieldDecl>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConstDecl {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDecl {
    pub name: Ident,
    pub weight: NumberLit,
    pub base: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumberLit {
    pub text: String,
    /// `None` when the literal does not fit (reported by the parser).
    pub value: Option<Decimal>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusDecl {
    pub keyword: Span,
    pub arms: Vec<StatusArm>,
    /// The closing brace.
    pub close: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusArm {
    pub name: Ident,
    /// `None` for `otherwise`.
    pub cond: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    pub name: Option<StringLit>,
    /// The span of the `rule "NAME"` header.
    pub header: Option<Span>,
    pub cond: Option<Expr>,
    /// The span of `when COND`.
    pub when_span: Option<Span>,
    pub action: Action,
    pub action_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Add {
        amount: Expr,
        score: Ident,
    },
    Subtract {
        amount: Expr,
        score: Ident,
    },
    /// `trigger "PLAYBOOK" [cooldown N UNIT] [owner SIGNAL]` (the clauses in
    /// either order).
    Trigger {
        playbook: StringLit,
        cooldown: Option<Cooldown>,
        owner: Option<Owner>,
    },
}

/// `cooldown N UNIT`: the amount as written (the checker wants a whole
/// number of at least 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Cooldown {
    /// The `cooldown` word (a contextual keyword).
    pub keyword: Span,
    /// `30`, `2.5` or `-3`, as written.
    pub amount: String,
    pub amount_span: Span,
    pub unit: DurationUnit,
    /// `days`, `week`, … as written.
    pub unit_text: String,
    /// The whole clause.
    pub span: Span,
}

/// `owner SIGNAL`.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    /// The `owner` word (a contextual keyword).
    pub keyword: Span,
    pub signal: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    /// The source text, quotes and escapes included.
    pub raw: String,
    /// The decoded value.
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DateLit {
    pub text: String,
    /// `None` for an impossible date (reported by the parser).
    pub value: Option<NaiveDate>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: StringLit,
    pub as_of: DateLit,
    pub as_of_span: Span,
    pub given: Option<Block<Assignment>>,
    pub events: Option<Block<TestEvent>>,
    pub history: Option<Block<HistoryEntry>>,
    pub expects: Vec<Expect>,
    pub close: Span,
}

/// A `keyword { … }` block inside a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Block<T> {
    pub open: Span,
    pub entries: Vec<T>,
    pub close: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub name: Ident,
    pub value: TestValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestValue {
    pub negative: bool,
    pub kind: TestValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestValueKind {
    Number(NumberLit),
    Percent(NumberLit),
    Str(StringLit),
    Bool(bool),
    Date(DateLit),
    Duration(Duration),
    /// An enum variant or a const.
    Name(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestEvent {
    pub event: Ident,
    pub date: DateLit,
    pub fields: Option<Vec<Assignment>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub date: DateLit,
    pub values: Vec<Assignment>,
    pub open: Span,
    pub close: Span,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub kind: ExpectKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectKind {
    Cond(Expr),
    Triggered {
        negated: bool,
        playbook: StringLit,
    },
    /// `expect [not] started "PLAYBOOK"`.
    Started {
        negated: bool,
        playbook: StringLit,
        /// The `started` word (a contextual keyword).
        keyword: Span,
    },
}

// ------------------------------------------------------------------ expressions

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    pub amount: i64,
    pub unit: DurationUnit,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(NumberLit),
    Percent(NumberLit),
    Str(StringLit),
    Bool(bool),
    Date(DateLit),
    Duration(Duration),
    /// A bare name: a signal, const, score, event (as a query), enum variant
    /// or status arm — the checker decides.
    Name(Ident),
    /// `EVENT[.FIELD] [where COND] [within DURATION]` with at least one of
    /// the optional parts.
    Query(Box<Query>),
    Health,
    Status,
    Paren(Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Coalesce(Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    IsMissing {
        value: Box<Expr>,
        negated: bool,
    },
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Band {
        input: Box<Expr>,
        arms: Vec<BandArm>,
        /// `{` and `}`.
        open: Span,
        close: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub event: Ident,
    pub field: Option<Ident>,
    pub filter: Option<Expr>,
    pub within: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BandArm {
    /// `None` for `otherwise`.
    pub test: Option<(CmpOp, Expr)>,
    pub result: Expr,
    pub span: Span,
}

/// A parsed file: its items, the comments (for the formatter), and the
/// diagnostics of the items that did not parse.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

impl Expr {
    /// Visit this expression and every sub-expression, outermost first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Number(_)
            | ExprKind::Percent(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(_)
            | ExprKind::Name(_)
            | ExprKind::Health
            | ExprKind::Status => {}
            ExprKind::Query(q) => {
                if let Some(c) = &q.filter {
                    c.walk(f);
                }
                if let Some(w) = &q.within {
                    w.walk(f);
                }
            }
            ExprKind::Paren(e) | ExprKind::Neg(e) | ExprKind::Not(e) => e.walk(f),
            ExprKind::IsMissing { value, .. } => value.walk(f),
            ExprKind::Arith(_, a, b)
            | ExprKind::Compare(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Coalesce(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::In { value, list, .. } => {
                value.walk(f);
                for e in list {
                    e.walk(f);
                }
            }
            ExprKind::Call { args, .. } => {
                for e in args {
                    e.walk(f);
                }
            }
            ExprKind::Band { input, arms, .. } => {
                input.walk(f);
                for arm in arms {
                    if let Some((_, v)) = &arm.test {
                        v.walk(f);
                    }
                    arm.result.walk(f);
                }
            }
        }
    }
}
