//! Constants: evaluated once, in dependency order, by the one evaluator
//! ([`crate::eval`]); cycles and over-deep chains are reported.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn check_consts(&mut self) {
        for id in 0..self.consts.len() {
            self.eval_const(ConstId::new(id));
        }
    }

    /// Evaluate a constant (and, first, the constants it reads).
    pub(super) fn eval_const(&mut self, id: ConstId) {
        let state = std::mem::replace(&mut self.consts[id.index()], ConstState::InProgress);
        let ConstState::Pending(file, decl) = state else {
            self.consts[id.index()] = state;
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
        if matches!(self.consts[id.index()], ConstState::InProgress) {
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
            let c = &mut self.rules.consts[id.index()];
            c.ty = ty;
            c.value = value;
            self.consts[id.index()] = ConstState::Done;
        }
    }

    /// A constant read from inside a constant expression.
    pub(super) fn const_ref(&mut self, id: ConstId, cx: Cx, name: &ast::Ident) -> ir::Expr {
        if let Some(pos) = self.const_stack.iter().position(|c| *c == id) {
            // a cycle: report once, at its first const in declaration order
            let cycle: Vec<ConstId> = self.const_stack[pos..].to_vec();
            let first = cycle.iter().copied().min().unwrap_or(id);
            let names: Vec<String> = cycle
                .iter()
                .map(|c| self.rules.consts[c.index()].name.clone())
                .collect();
            let floc = self.rules.consts[first.index()].loc;
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
                    let l = self.rules.consts[c.index()].loc;
                    d = d.with_related(
                        l.file,
                        l.span,
                        format!(
                            "`{}` is part of the cycle",
                            self.rules.consts[c.index()].name
                        ),
                    );
                }
            }
            self.push(d);
            for c in cycle {
                self.consts[c.index()] = ConstState::Done;
                self.rules.consts[c.index()].ty = Type::Error;
            }
            return error_expr(name.span);
        }
        if self.const_stack.len() >= MAX_CONST_DEPTH {
            let c = &self.rules.consts[id.index()];
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
        let c = &self.rules.consts[id.index()];
        ir::Expr {
            kind: ir::ExprKind::Lit(c.value.clone()),
            ty: c.ty,
            span: name.span,
        }
    }
}
