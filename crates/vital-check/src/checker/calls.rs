//! Calls of the built-in functions ([`Builtin`]) and their arguments.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        cx: Cx,
        span: Span,
    ) -> ir::Expr {
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
                    .map(|fid| self.rules.events[q.event.index()].fields[fid.index()].ty)
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
    pub(super) fn target(&mut self, f: &str, e: &ast::Expr, cx: Cx) -> Option<(ir::Target, Type)> {
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
                    Some((ir::Target::Signal(s), self.rules.signals[s.index()].ty))
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

    pub(super) fn numeric_args(
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
                            self.mismatch(m, cx, a.span, msg, Some(a), None);
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

    pub(super) fn query_arg(
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
