//! Event queries (`EVENT where … within …`) and `band`.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn query(&mut self, q: &ast::Query, cx: Cx, span: Span) -> ir::Expr {
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
        self.event_uses[ev.index()] += 1;
        self.dependent = true;
        if cx.place == Place::Const {
            self.not_constant(cx, q.event.span, &format!("the event `{}`", q.event.name));
            return error_expr(span);
        }
        let mut field = None;
        if let Some(f) = &q.field {
            let event = &self.rules.events[ev.index()];
            match event.fields.iter().position(|x| x.name == f.name) {
                Some(i) => {
                    self.index
                        .add(cx.file, f.span, Symbol::Field(ev, FieldId::new(i)), false);
                    field = Some(FieldId::new(i));
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

    pub(super) fn band(
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
                        let help = compare_help(*op, inp.ty, val.ty);
                        self.mismatch(m, cx, v.span, msg, Some(v), help);
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
                        self.mismatch(m, cx, arm.result.span, msg, Some(&arm.result), None);
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
}
