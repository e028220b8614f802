//! `test` blocks (§9): dates, given values, events, history and
//! expectations.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn check_tests(&mut self, items: &[(FileId, &'a ast::Item)]) {
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
                    ast::ExpectKind::Triggered { negated, playbook }
                    | ast::ExpectKind::Started {
                        negated, playbook, ..
                    } => {
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
                        expects.push(if matches!(ex.kind, ast::ExpectKind::Started { .. }) {
                            ir::Expectation::Started {
                                negated: *negated,
                                playbook: playbook.value.clone(),
                                loc,
                            }
                        } else {
                            ir::Expectation::Triggered {
                                negated: *negated,
                                playbook: playbook.value.clone(),
                                loc,
                            }
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

    pub(super) fn assignments(
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
                    let ty = self.rules.signals[id.index()].ty;
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

    pub(super) fn test_event(
        &mut self,
        file: FileId,
        ev: &ast::TestEvent,
    ) -> Option<ir::TestEvent> {
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
            let event = &self.rules.events[id.index()];
            match event.fields.iter().position(|f| f.name == a.name.name) {
                Some(fid) => {
                    let ty = event.fields[fid].ty;
                    self.index.add(
                        file,
                        a.name.span,
                        Symbol::Field(id, FieldId::new(fid)),
                        false,
                    );
                    if let Some(v) = self.test_value(file, &a.value, ty) {
                        fields.push((FieldId::new(fid), v));
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
    pub(super) fn test_value(
        &mut self,
        file: FileId,
        v: &ast::TestValue,
        ty: Type,
    ) -> Option<Value> {
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
                    if let Some(i) = self.rules.enums[e.index()]
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
                        self.const_uses[c.index()] += 1;
                        let cst = &self.rules.consts[c.index()];
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
                    format!(
                        "expected {}, found {}",
                        with_article(&self.ty(ty)),
                        with_article(&self.ty(vty))
                    ),
                )
                .with_label(if ty == Type::Percent {
                    "not a percent"
                } else {
                    "a percent, where a plain number is expected"
                });
                if let (Type::Percent, Some(t)) = (ty, number_text) {
                    let t = if v.negative { format!("-{t}") } else { t };
                    let (help, fixes) = super::types::percent_advice(&t);
                    d = d.with_help(help);
                    for (title, text) in fixes {
                        d = d.with_fix(title, v.span, text);
                    }
                }
                self.push(d);
                return None;
            }
            (Type::Money | Type::Number, Type::Int | Type::Number | Type::Money) => true,
            (Type::Int, Type::Number | Type::Money) => false,
            _ => false,
        };
        if !ok {
            self.push({
                let d = Diagnostic::new(
                    Code::TypeMismatch,
                    file,
                    v.span,
                    format!("expected {}, found {}", self.ty(ty), self.ty(vty)),
                )
                .with_label(format!("not {}", self.ty(ty)));
                // a number or a variant in quotes: the same without them
                let unquoted = match (&v.kind, ty) {
                    (ast::TestValueKind::Str(s), Type::Enum(e))
                        if self.rules.enums[e.index()].variants.contains(&s.value) =>
                    {
                        Some(s.value.clone())
                    }
                    (ast::TestValueKind::Str(s), t)
                        if t.is_numeric()
                            && s.value.trim().parse::<rust_decimal::Decimal>().is_ok() =>
                    {
                        Some(s.value.trim().to_string())
                    }
                    _ => None,
                };
                match unquoted {
                    Some(u) => d
                        .with_help(format!("write it without quotes: {u}"))
                        .with_fix(format!("write {u}"), v.span, u),
                    None => d,
                }
            });
            return None;
        }
        Some(value)
    }
}

/// `a percent`, `an int`, `an enum(…)`.
fn with_article(ty: &str) -> String {
    match ty.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {ty}"),
        _ => format!("a {ty}"),
    }
}
