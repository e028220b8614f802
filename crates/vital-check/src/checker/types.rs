//! Type rules (joins, arithmetic, comparisons) and the diagnostics for
//! unknown names and mismatched types, with their suggestions.

use super::*;

pub(super) fn num_join(a: Type, b: Type) -> Result<Type, Mismatch> {
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
pub(super) fn join(a: Type, b: Type) -> Result<Type, Mismatch> {
    if a.is_numeric() && b.is_numeric() {
        return num_join(a, b);
    }
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => Ok(Type::Error),
        (x, y) if x == y => Ok(x),
        _ => Err(Mismatch::Other),
    }
}

pub(super) fn arith_type(op: ArithOp, a: Type, b: Type) -> Result<Type, Mismatch> {
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

pub(super) fn comparable(op: CmpOp, a: Type, b: Type) -> Result<(), Mismatch> {
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

/// What to do about two types that do not compare with `op`, when there
/// is something better to say than the message.
pub(super) fn compare_help(op: CmpOp, a: Type, b: Type) -> Option<&'static str> {
    use Type::*;
    let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
    match (a, b) {
        (Text, y) | (y, Text) if y.is_numeric() => Some(
            "a text compares only with a text (\"…\"): a number in quotes is a text — write it without quotes, or declare the signal as a number",
        ),
        (Date, y) | (y, Date) if y.is_numeric() => Some(
            "a date compares with a date (2026-11-01); for a number of days use days_since(DATE) or days_until(DATE)",
        ),
        (Text | Bool | Status | Enum(_), _) | (_, Text | Bool | Status | Enum(_)) if ordered => Some(
            "`<`, `>`, `<=` and `>=` order numbers, dates and durations; texts, enums, statuses and booleans compare with `==`, `!=` or `in`",
        ),
        (Enum(x), Enum(y)) if x != y => {
            Some("values of two different enums are never equal: compare each with its own variants")
        }
        (Enum(_), Text) | (Text, Enum(_)) => Some(
            "an enum's variants are names, written without quotes: `tier == enterprise`, not `tier == \"enterprise\"`",
        ),
        (Duration, y) | (y, Duration) if y.is_numeric() => Some(
            "a duration compares with a duration (`90 days`); days_since(DATE) and days_until(DATE) are numbers of days, compared with a number (`90`)",
        ),
        _ => None,
    }
}

pub(super) fn is_bare_name(e: &ast::Expr) -> bool {
    matches!(e.kind, ExprKind::Name(_))
}

/// The source text of a plain number literal (`20`, `-5`), for `write 20%`.
/// A plain number `t` written where a percent is expected: the help, and
/// the fixes (title, replacement), the likely one first. A number between 0
/// and 1 is most likely a share written as a fraction (`0.5` for half): in
/// percentage points that is `50%`; `0.5%` is half a percent, offered
/// second.
pub(super) fn percent_advice(t: &str) -> (String, Vec<(String, String)>) {
    let points = t
        .parse::<rust_decimal::Decimal>()
        .ok()
        .filter(|d| !d.is_zero() && d.abs() < rust_decimal::Decimal::ONE)
        .and_then(|d| d.checked_mul(rust_decimal::Decimal::ONE_HUNDRED))
        .map(|d| d.normalize().to_string());
    match points {
        Some(p) => (
            format!(
                "percent signals are in percentage points (72 means 72%): a share of {t} is {p}%; write {p}%, or {t}% for {t} of a percent"
            ),
            vec![
                (format!("write {p}%"), format!("{p}%")),
                (format!("write {t}%"), format!("{t}%")),
            ],
        ),
        None => (format!("write {t}%"), vec![(format!("write {t}%"), format!("{t}%"))]),
    }
}

pub(super) fn number_literal_text(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Number(n) => Some(n.text.clone()),
        ExprKind::Neg(inner) => number_literal_text(inner).map(|t| format!("-{t}")),
        ExprKind::Paren(inner) => number_literal_text(inner),
        _ => None,
    }
}

impl<'a> Checker<'a> {
    pub(super) fn unknown(
        &mut self,
        file: FileId,
        id: &ast::Ident,
        what: &str,
        candidates: &[String],
    ) {
        let d = Diagnostic::new(
            Code::UnknownName,
            file,
            id.span,
            format!("there is no {what} named `{}`", id.name),
        )
        .with_label(format!("unknown {what}"));
        self.push(suggest(d, id, candidates, None, None));
    }

    /// An unknown name inside an event's `where`: most likely a field, so
    /// the event's fields are listed when no name is close.
    pub(super) fn unknown_in_where(
        &mut self,
        file: FileId,
        id: &ast::Ident,
        event: &str,
        fields: &[String],
        candidates: &[String],
    ) {
        let d = Diagnostic::new(
            Code::UnknownName,
            file,
            id.span,
            format!(
                "there is no field of `{event}`, signal, event, constant or score named `{}`",
                id.name
            ),
        )
        .with_label("unknown name");
        let otherwise = if fields.is_empty() {
            format!("`{event}` is declared without fields")
        } else {
            format!(
                "inside `where`, the fields of `{event}` are {}",
                quote_list(fields)
            )
        };
        self.push(suggest(d, id, candidates, None, Some(otherwise)));
    }

    pub(super) fn unknown_field(
        &mut self,
        file: FileId,
        id: &ast::Ident,
        event: &str,
        fields: &[String],
    ) {
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

    pub(super) fn unknown_variant(&mut self, file: FileId, id: &ast::Ident, e: EnumId) {
        let variants = self.rules.enums[e.index()].variants.clone();
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

    pub(super) fn unknown_status(&mut self, file: FileId, id: &ast::Ident) {
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

    /// Operands whose types do not fit; `help` for a type mismatch that has
    /// something better to say than the message.
    pub(super) fn mismatch(
        &mut self,
        m: Mismatch,
        cx: Cx,
        span: Span,
        message: String,
        other: Option<&ast::Expr>,
        help: Option<&str>,
    ) {
        match m {
            Mismatch::Percent => {
                let mut d = Diagnostic::new(Code::PercentMismatch, cx.file, span, message)
                    .with_label("percent and plain number");
                match other.and_then(number_literal_text) {
                    Some(t) => {
                        let (help, fixes) = percent_advice(&t);
                        d = d.with_help(help);
                        if let Some(o) = other {
                            for (title, text) in fixes {
                                d = d.with_fix(title, o.span, text);
                            }
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
            Mismatch::Other => {
                let mut d = Diagnostic::new(Code::TypeMismatch, cx.file, span, message)
                    .with_label("types do not fit");
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                self.push(d)
            }
        }
    }
}

/// Did-you-mean for a misspelt name: with a close candidate, a help line
/// (followed by `also`) and a fix replacing the name; without one, `otherwise`
/// as the help.
pub(super) fn suggest(
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

pub(super) fn quote_list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().take(12).map(|s| format!("`{s}`")).collect();
    let mut out = shown.join(", ");
    if items.len() > 12 {
        out.push_str(&format!(" and {} more", items.len() - 12));
    }
    out
}
