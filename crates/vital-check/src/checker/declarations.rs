//! Declarations: signals, events and their fields, constants, scores and
//! enums are entered by name before anything reads them.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn declare(&mut self, items: &[(FileId, &'a ast::Item)]) {
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
                    let id = SignalId::new(self.rules.signals.len());
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
                    let id = EventId::new(self.rules.events.len());
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
                    let id = ConstId::new(self.rules.consts.len());
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
                    let id = ScoreId::new(self.rules.scores.len());
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
    pub(super) fn declare_shadowed(&mut self, file: FileId, item: &ast::Item) {
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

    pub(super) fn weight(&mut self, file: FileId, name: &str, s: &ast::ScoreDecl) {
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

    pub(super) fn fields(
        &mut self,
        file: FileId,
        event: EventId,
        e: &ast::EventDecl,
    ) -> Vec<ir::Field> {
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
                Symbol::Field(event, FieldId::new(fields.len())),
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

    pub(super) fn type_expr(&mut self, file: FileId, t: &ast::TypeExpr) -> Type {
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
                let id = EnumId::new(self.rules.enums.len());
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
            ast::TypeKind::Unknown(name) => {
                self.unknown_type(file, name);
                Type::Error
            }
        }
    }

    /// `signal seats: integer`: the name other languages give a type, or a
    /// misspelling, with the list of types. The declaration keeps an error
    /// type, so its uses report nothing more.
    fn unknown_type(&mut self, file: FileId, name: &ast::Ident) {
        let types = [
            "bool", "int", "number", "percent", "money", "text", "date", "duration",
        ];
        // what other languages call them
        const ALIASES: &[(&str, &str)] = &[
            ("integer", "int"),
            ("long", "int"),
            ("bigint", "int"),
            ("i64", "int"),
            ("string", "text"),
            ("str", "text"),
            ("varchar", "text"),
            ("boolean", "bool"),
            ("float", "number"),
            ("double", "number"),
            ("decimal", "number"),
            ("numeric", "number"),
            ("real", "number"),
            ("datetime", "date"),
            ("timestamp", "date"),
            ("time", "date"),
            ("percentage", "percent"),
            ("currency", "money"),
            ("interval", "duration"),
        ];
        let lower = name.name.to_ascii_lowercase();
        let alias = |n: &str| ALIASES.iter().find(|(a, _)| *a == n).map(|(_, t)| *t);
        let known = alias(&lower).or_else(|| {
            // a misspelt type or a misspelt alias (`strng`)
            let names = types.iter().copied().chain(ALIASES.iter().map(|(a, _)| *a));
            did_you_mean(&name.name, names).map(|n| alias(n).unwrap_or(n))
        });
        let list = format!(
            "the types are {}, and `enum(a, b, ...)`",
            types.map(|t| format!("`{t}`")).join(", ")
        );
        let d = Diagnostic::new(
            Code::UnknownName,
            file,
            name.span,
            format!("there is no type named `{}`", name.name),
        )
        .with_label("not a type");
        let d = match known {
            Some(t) => d.with_help(format!("did you mean `{t}`? {list}")).with_fix(
                format!("change to `{t}`"),
                name.span,
                t,
            ),
            None => d.with_help(list),
        };
        self.push(d);
    }
}
