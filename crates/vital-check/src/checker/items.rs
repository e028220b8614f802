//! Items that read expressions: the status block, score bases, adjustment
//! and trigger rules; then the unused-declaration warnings.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn check_status(&mut self, items: &[(FileId, &'a ast::Item)]) {
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
                Symbol::StatusArm(ArmId::new(self.rules.status.len())),
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
            // a name for a new last arm that no arm has
            let taken = |n: &str| self.rules.status.iter().any(|a| a.name == n);
            let other = std::iter::once("other".to_string())
                .chain((2..).map(|i| format!("other_{i}")))
                .find(|n| !taken(n))
                .unwrap_or_default();
            let mut d = Diagnostic::new(
                Code::MissingOtherwise,
                file,
                block.keyword,
                "the `status` block does not end with an `otherwise` arm",
            )
            .with_label("some accounts would get no status");
            // the last arm as written (a duplicate last arm is not live)
            let last_written = block.arms.last().map(|a| a.span);
            match live
                .last()
                .filter(|a| Some(a.span) == last_written)
                .and_then(|a| a.cond.as_ref().map(|c| (a, c)))
            {
                Some((last, cond)) => {
                    let name = &last.name.name;
                    d = d
                        .with_help(format!(
                            "end the last arm with `otherwise` instead of its condition (`{name} otherwise`), or add an arm of its own such as `{other} otherwise`"
                        ))
                        .with_fix(
                            format!("make `{name}` the `otherwise` arm"),
                            Span::new(last.name.span.end, cond.span.end),
                            " otherwise",
                        );
                }
                None => d = d.with_help(format!("add a last arm such as `{other} otherwise`")),
            }
            self.push(d.with_fix(
                format!("add an arm `{other} otherwise`"),
                Span::new(at.start, at.start),
                format!("  {other} otherwise\n"),
            ));
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

    pub(super) fn check_scores(&mut self, items: &[(FileId, &'a ast::Item)]) {
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
                self.rules.scores[id.index()].base = Some(e);
            }
        }
    }

    pub(super) fn check_rules(&mut self, items: &[(FileId, &'a ast::Item)]) {
        let mut rule_names: HashMap<String, Loc> = HashMap::new();
        let mut clauses: Vec<Clauses> = Vec::new();
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
                ast::Action::Trigger {
                    playbook,
                    cooldown,
                    owner,
                } => {
                    let cooldown = cooldown
                        .as_ref()
                        .and_then(|c| Some((self.cooldown(file, c)?, Loc { file, span: c.span })));
                    let owner = owner.as_ref().and_then(|o| {
                        let span = o.keyword.to(o.signal.span);
                        Some((self.owner(file, o)?, Loc { file, span }))
                    });
                    clauses.push(Clauses {
                        playbook: playbook.value.clone(),
                        cooldown,
                        owner,
                    });
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
                        cooldown: cooldown.map(|c| c.0),
                        owner: owner.map(|o| o.0),
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
        self.check_playbook_clauses(&clauses);
    }

    pub(super) fn score_target(&mut self, file: FileId, name: &ast::Ident) -> Option<ScoreId> {
        match self.names.get(&name.name).copied() {
            Some((Sym::Score(id), _)) => {
                self.index.add(file, name.span, Symbol::Score(id), false);
                Some(id)
            }
            Some((sym, decl)) => {
                let scores: Vec<String> =
                    self.rules.scores.iter().map(|s| s.name.clone()).collect();
                let mut d = Diagnostic::new(
                    Code::WrongKind,
                    file,
                    name.span,
                    format!("`{}` is {}, not a score", name.name, kind_name(sym)),
                )
                .with_label("only scores can be adjusted")
                .with_related(decl.file, decl.span, "declared here");
                if !scores.is_empty() {
                    d = d.with_help(format!("the scores are {}", quote_list(&scores)));
                }
                self.push(d);
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

    pub(super) fn unused(&mut self) {
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
}
