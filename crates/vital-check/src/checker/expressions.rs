//! Expressions: conditions, values, operators and names.

use super::*;

impl<'a> Checker<'a> {
    /// A condition: `bool`, or an event query (true when it matches once).
    pub(super) fn cond(&mut self, e: &ast::Expr, cx: Cx) -> ir::Expr {
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

    pub(super) fn numeric(&mut self, e: &ast::Expr, cx: Cx, what: &str) -> ir::Expr {
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
    pub(super) fn value(&mut self, e: &ast::Expr, cx: Cx, hint: Option<Type>) -> ir::Expr {
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

    pub(super) fn expr(&mut self, e: &ast::Expr, cx: Cx, hint: Option<Type>) -> ir::Expr {
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
                        self.mismatch(m, cx, span, msg, Some(other), None);
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
                        let help = compare_help(*op, x.ty, y.ty);
                        self.mismatch(m, cx, span, msg, Some(other), help);
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
                        self.mismatch(m, cx, span, msg, Some(other), None);
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
                        self.mismatch(m, cx, item.span, msg, Some(item), None);
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
    /// Whether a bare name is a declaration or a field of the event being
    /// filtered.
    fn resolves(&self, name: &str, cx: Cx) -> bool {
        self.names.contains_key(name)
            || cx.event.is_some_and(|ev| {
                self.rules.events[ev.index()]
                    .fields
                    .iter()
                    .any(|f| f.name == name)
            })
    }

    pub(super) fn pair(&mut self, a: &ast::Expr, b: &ast::Expr, cx: Cx) -> (ir::Expr, ir::Expr) {
        // the side that resolves gives the type the other side's bare name
        // is read against (`champion == statsu`: `champion` is a status)
        let unresolved = |this: &Self, e: &ast::Expr| match &e.kind {
            ExprKind::Name(id) => !this.resolves(&id.name, cx),
            _ => false,
        };
        let status_or_variant = |this: &Self, e: &ast::Expr| match &e.kind {
            ExprKind::Name(id) => {
                this.rules.status.iter().any(|s| s.name == id.name)
                    || this
                        .rules
                        .enums
                        .iter()
                        .any(|en| en.variants.contains(&id.name))
            }
            _ => false,
        };
        let b_first = !is_bare_name(b)
            || unresolved(self, a) && (!unresolved(self, b) || status_or_variant(self, a));
        if is_bare_name(a) && b_first {
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
    pub(super) fn read_computed(&mut self, cx: Cx, span: Span, what: &str) -> bool {
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

    pub(super) fn name(&mut self, id: &ast::Ident, cx: Cx, hint: Option<Type>) -> ir::Expr {
        use ir::ExprKind as K;
        let span = id.span;
        // 1. a variant or status first, where the other side says so
        match hint {
            Some(Type::Enum(e)) => {
                if let Some(i) = self.rules.enums[e.index()]
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
                if !self.resolves(&id.name, cx) {
                    self.unknown_variant(cx.file, id, e);
                    return error_expr(span);
                }
            }
            Some(Type::Status) => {
                if let Some(i) = self.rules.status.iter().position(|a| a.name == id.name) {
                    self.index
                        .add(cx.file, span, Symbol::StatusArm(ArmId::new(i)), false);
                    return ir::Expr {
                        kind: K::Lit(Value::Status(ArmId::new(i))),
                        ty: Type::Status,
                        span,
                    };
                }
                if self.has_status {
                    self.unknown_status(cx.file, id);
                }
                return error_expr(span);
            }
            // the other side's type is unknown (already reported): a name
            // that resolves to nothing may be one of its variants
            Some(Type::Error) if !self.resolves(&id.name, cx) => return error_expr(span),
            _ => {}
        }
        // 2. fields of the event being filtered
        if let Some(ev) = cx.event {
            if let Some(f) = self.rules.events[ev.index()]
                .fields
                .iter()
                .position(|f| f.name == id.name)
            {
                self.index
                    .add(cx.file, span, Symbol::Field(ev, FieldId::new(f)), false);
                self.dependent = true;
                return ir::Expr {
                    kind: K::Field(FieldId::new(f)),
                    ty: self.rules.events[ev.index()].fields[f].ty,
                    span,
                };
            }
        }
        // 3. the namespace
        match self.names.get(&id.name).copied() {
            Some((Sym::Signal(s), _)) => {
                self.index.add(cx.file, span, Symbol::Signal(s), false);
                self.signal_uses[s.index()] += 1;
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
                    ty: self.rules.signals[s.index()].ty,
                    span,
                }
            }
            Some((Sym::Event(ev), _)) => {
                self.index.add(cx.file, span, Symbol::Event(ev), false);
                self.event_uses[ev.index()] += 1;
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
                self.const_uses[c.index()] += 1;
                if cx.place == Place::Const {
                    return self.const_ref(c, cx, id);
                }
                let cst = &self.rules.consts[c.index()];
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
                candidates.extend(["health".to_string(), "status".to_string()]);
                candidates.extend(Builtin::ALL.iter().map(|b| b.name().to_string()));
                if let Some(ev) = cx.event {
                    candidates.extend(
                        self.rules.events[ev.index()]
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
                } else if let Some(ev) = cx.event {
                    let e = &self.rules.events[ev.index()];
                    let (event, fields): (String, Vec<String>) = (
                        e.name.clone(),
                        e.fields.iter().map(|f| f.name.clone()).collect(),
                    );
                    self.unknown_in_where(cx.file, id, &event, &fields, &candidates);
                } else {
                    self.unknown(cx.file, id, "signal, event, constant or score", &candidates);
                }
                error_expr(span)
            }
        }
    }

    pub(super) fn duration_arg(&mut self, e: &ast::Expr, cx: Cx) -> Option<Duration> {
        match &e.kind {
            ExprKind::Duration(d) => Some(Duration {
                amount: d.amount,
                unit: d.unit,
            }),
            ExprKind::Paren(inner) => self.duration_arg(inner, cx),
            ExprKind::Name(id) => match self.names.get(&id.name).copied() {
                Some((Sym::Const(c), _)) => {
                    self.index.add(cx.file, id.span, Symbol::Const(c), false);
                    self.const_uses[c.index()] += 1;
                    match self.rules.consts[c.index()].value {
                        Value::Duration(d) => Some(d),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }
}
