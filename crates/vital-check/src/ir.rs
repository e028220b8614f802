//! The checked, typed, resolved rule set: the only thing the evaluator sees.
//!
//! Names are resolved to indices, constants are folded to values, enum
//! variants and status names are indices, parentheses are gone. Spans are
//! kept (with the file of the item) so results can say where a rule is.

use crate::value::{Duration, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use vital_syntax::ast::{ArithOp, CmpOp};
use vital_syntax::{FileId, Span};

/// Declares index newtypes: each is the position of an entry in one table
/// of the [`RuleSet`] (or, for a field, of its event), so an index of one
/// table cannot be used in another by mistake. Free at run time.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The id of the entry at position `index` of its table.
            #[inline]
            pub fn new(index: usize) -> Self {
                Self(index as u32)
            }

            /// The position of the entry in its table.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

ids! {
    /// A signal: an index into [`RuleSet::signals`].
    SignalId;
    /// An event: an index into [`RuleSet::events`].
    EventId;
    /// A field of an event: an index into [`Event::fields`].
    FieldId;
    /// A constant: an index into [`RuleSet::consts`].
    ConstId;
    /// A score: an index into [`RuleSet::scores`].
    ScoreId;
    /// An enum type: an index into [`RuleSet::enums`].
    EnumId;
    /// A status arm: an index into [`RuleSet::status`].
    ArmId;
}

/// A static type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    Number,
    Percent,
    Money,
    Text,
    Date,
    Duration,
    Enum(EnumId),
    /// The status arms.
    Status,
    /// An event query (`E`, `E where …`, `E.f …`): only a condition or a
    /// function argument.
    Events(EventId),
    /// A type error was already reported; suppresses follow-up errors.
    Error,
}

impl Type {
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Number | Type::Percent | Type::Money)
    }
}

/// Where something is written: the file and the byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub variants: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
    pub loc: Loc,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub fields: Vec<Field>,
    pub loc: Loc,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Const {
    pub name: String,
    pub ty: Type,
    pub value: Value,
    pub loc: Loc,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub name: String,
    pub weight: Decimal,
    /// `None`: the default base of 50.
    pub base: Option<Expr>,
    pub loc: Loc,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusArm {
    pub name: String,
    /// `None` for `otherwise`.
    pub cond: Option<Expr>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Add,
    Subtract,
}

/// `[rule "NAME"] [when COND] add|subtract AMOUNT to|from SCORE`
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub name: Option<String>,
    pub cond: Option<Expr>,
    pub direction: Direction,
    pub amount: Expr,
    pub score: ScoreId,
    pub loc: Loc,
    /// Signals the rule reads (condition and amount), in first-read order.
    pub reads: Vec<SignalId>,
    pub doc: Option<String>,
}

/// `[rule "NAME"] when COND trigger "PLAYBOOK" [cooldown N UNIT] [owner SIGNAL]`
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub name: Option<String>,
    pub cond: Expr,
    pub playbook: String,
    /// `cooldown N UNIT`: the playbook is not started again until this long
    /// after its last start for the account (docs/language.md §3). The
    /// rules that trigger one playbook agree on it (the checker sees to
    /// it); see [`RuleSet::cooldown`].
    pub cooldown: Option<crate::value::Duration>,
    /// `owner SIGNAL`: a text or enum signal whose value is recorded with
    /// each start; see [`RuleSet::owner`].
    pub owner: Option<SignalId>,
    pub loc: Loc,
    pub reads: Vec<SignalId>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub name: String,
    pub as_of: NaiveDate,
    pub given: Vec<(SignalId, Value)>,
    pub events: Vec<TestEvent>,
    pub history: Vec<(NaiveDate, Vec<(SignalId, Value)>)>,
    pub expects: Vec<Expectation>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestEvent {
    pub event: EventId,
    pub date: NaiveDate,
    pub fields: Vec<(FieldId, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Cond {
        cond: Expr,
        loc: Loc,
    },
    Triggered {
        negated: bool,
        playbook: String,
        loc: Loc,
    },
    /// `expect [not] started "PLAYBOOK"`: against the test's previous
    /// `history` snapshot, honouring the playbook's cooldown (§9).
    Started {
        negated: bool,
        playbook: String,
        loc: Loc,
    },
}

/// The whole checked rule set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSet {
    pub signals: Vec<Signal>,
    pub events: Vec<Event>,
    pub consts: Vec<Const>,
    pub scores: Vec<Score>,
    pub enums: Vec<EnumDef>,
    pub status: Vec<StatusArm>,
    pub adjustments: Vec<Adjustment>,
    pub triggers: Vec<Trigger>,
    pub tests: Vec<Test>,
}

impl RuleSet {
    /// Each `previous`/`change` of the rule set: what it reads, how far
    /// back, and whether it is in a score's base or an adjustment (then a
    /// snapshot it reaches needs its own history for its scores). The
    /// history store's readers (`vital run --history`, the editor's sample)
    /// load what these reach.
    pub fn each_lookback(&self, f: &mut impl FnMut(&Target, &Duration, bool)) {
        let mut visit = |e: &Expr, in_score: bool| {
            e.walk(&mut |x| {
                if let ExprKind::Previous(t, d) | ExprKind::Change(t, d) = &x.kind {
                    f(t, d, in_score);
                }
            })
        };
        for s in &self.scores {
            if let Some(b) = &s.base {
                visit(b, true);
            }
        }
        for a in &self.adjustments {
            if let Some(c) = &a.cond {
                visit(c, true);
            }
            visit(&a.amount, true);
        }
        for arm in &self.status {
            if let Some(c) = &arm.cond {
                visit(c, false);
            }
        }
        for t in &self.triggers {
            visit(&t.cond, false);
        }
    }

    /// Every playbook some trigger names, in declaration order, once each.
    pub fn playbooks(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in &self.triggers {
            if !out.contains(&t.playbook.as_str()) {
                out.push(&t.playbook);
            }
        }
        out
    }

    /// The playbook's cooldown: that of the rules that trigger it which
    /// give one (they agree, `vital::conflicting-playbook`).
    pub fn cooldown(&self, playbook: &str) -> Option<crate::value::Duration> {
        self.triggers
            .iter()
            .filter(|t| t.playbook == playbook)
            .find_map(|t| t.cooldown)
    }

    /// The playbook's owner signal: that of the rules that trigger it which
    /// give one (they agree, `vital::conflicting-playbook`).
    pub fn owner(&self, playbook: &str) -> Option<SignalId> {
        self.triggers
            .iter()
            .filter(|t| t.playbook == playbook)
            .find_map(|t| t.owner)
    }

    /// A type for people: `percent`, `enum(low, high)`.
    pub fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Number => "number".into(),
            Type::Percent => "percent".into(),
            Type::Money => "money".into(),
            Type::Text => "text".into(),
            Type::Date => "date".into(),
            Type::Duration => "duration".into(),
            Type::Enum(id) => match self.enums.get(id.index()) {
                Some(e) => format!("enum({})", e.variants.join(", ")),
                None => "enum".into(),
            },
            Type::Status => "status".into(),
            Type::Events(id) => match self.events.get(id.index()) {
                Some(e) => format!("event query `{}`", e.name),
                None => "event query".into(),
            },
            Type::Error => "unknown".into(),
        }
    }

    /// A value for people, with its type: `72%`, `enterprise`, `"dana"`.
    pub fn show_value(&self, v: &Value, ty: Type) -> String {
        match (v, ty) {
            (Value::Num(d), Type::Percent) => format!("{}%", d.normalize()),
            (Value::Enum(i), Type::Enum(e)) => self
                .enums
                .get(e.index())
                .and_then(|e| e.variants.get(*i as usize))
                .cloned()
                .unwrap_or_else(|| format!("variant {i}")),
            (Value::Status(i), _) => self
                .status
                .get(i.index())
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("status {}", i.0)),
            _ => crate::value::display_plain(v),
        }
    }
}

// ------------------------------------------------------------------ expressions

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    /// In the file of the enclosing declaration.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Sum,
    Avg,
    Min,
    Max,
}

impl AggKind {
    pub fn name(self) -> &'static str {
        match self {
            AggKind::Sum => "sum",
            AggKind::Avg => "avg",
            AggKind::Min => "min",
            AggKind::Max => "max",
        }
    }
}

/// What `previous`/`change` look back at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Signal(SignalId),
    Score(ScoreId),
    Health,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub event: EventId,
    pub field: Option<FieldId>,
    pub filter: Option<Box<Expr>>,
    pub within: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BandArm {
    pub op: CmpOp,
    pub value: Expr,
    pub result: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Lit(Value),
    Signal(SignalId),
    /// A field of the event whose `where` this is.
    Field(FieldId),
    Score(ScoreId),
    Health,
    Status,
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
    /// An event query used as a condition: at least one occurrence.
    Exists(Query),
    Count(Query),
    Aggregate(AggKind, Query),
    Last(Query),
    First(Query),
    DaysSince(Box<Expr>),
    DaysUntil(Box<Expr>),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
    Clamp(Box<Expr>, Box<Expr>, Box<Expr>),
    Abs(Box<Expr>),
    Round(Box<Expr>),
    Linear(Box<Expr>, Box<Expr>, Box<Expr>),
    Previous(Target, Duration),
    Change(Target, Duration),
    Band {
        input: Box<Expr>,
        arms: Vec<BandArm>,
        otherwise: Box<Expr>,
    },
}

impl Expr {
    /// The direct sub-expressions, in source order: operands, arguments,
    /// a query's `where`, a band's bounds and results. Matched exhaustively,
    /// so a new kind of expression must say what it contains.
    pub fn children(&self) -> Vec<&Expr> {
        use ExprKind as K;
        match &self.kind {
            K::Lit(_) | K::Signal(_) | K::Field(_) | K::Score(_) | K::Health | K::Status => {
                Vec::new()
            }
            K::Previous(..) | K::Change(..) => Vec::new(),
            K::Neg(a) | K::Not(a) | K::DaysSince(a) | K::DaysUntil(a) | K::Abs(a) | K::Round(a) => {
                vec![a]
            }
            K::Arith(_, a, b)
            | K::Compare(_, a, b)
            | K::And(a, b)
            | K::Or(a, b)
            | K::Coalesce(a, b) => vec![a, b],
            K::In { value, list, .. } => std::iter::once(&**value).chain(list).collect(),
            K::IsMissing { value, .. } => vec![value],
            K::Exists(q) | K::Count(q) | K::Aggregate(_, q) | K::Last(q) | K::First(q) => {
                q.filter.iter().map(|f| &**f).collect()
            }
            K::Min(xs) | K::Max(xs) => xs.iter().collect(),
            K::Clamp(a, b, c) | K::Linear(a, b, c) => vec![a, b, c],
            K::Band {
                input,
                arms,
                otherwise,
            } => std::iter::once(&**input)
                .chain(arms.iter().flat_map(|a| [&a.value, &a.result]))
                .chain(std::iter::once(&**otherwise))
                .collect(),
        }
    }

    /// This expression and every expression inside it, parents first.
    pub fn walk<'e>(&'e self, f: &mut impl FnMut(&'e Expr)) {
        f(self);
        for c in self.children() {
            c.walk(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(n: i64) -> Expr {
        Expr {
            kind: ExprKind::Lit(Value::Num(Decimal::from(n))),
            ty: Type::Int,
            span: Span::new(n as usize, n as usize),
        }
    }

    #[test]
    fn children_cover_band_and_calls() {
        let band = Expr {
            kind: ExprKind::Band {
                input: Box::new(lit(1)),
                arms: vec![BandArm {
                    op: CmpOp::Lt,
                    value: lit(2),
                    result: lit(3),
                }],
                otherwise: Box::new(lit(4)),
            },
            ty: Type::Int,
            span: Span::new(0, 9),
        };
        let call = Expr {
            kind: ExprKind::Min(vec![band, lit(5)]),
            ty: Type::Int,
            span: Span::new(0, 9),
        };
        let mut seen = Vec::new();
        call.walk(&mut |e| seen.push(e.span.start));
        assert_eq!(seen, vec![0, 0, 1, 2, 3, 4, 5]);
    }
}
