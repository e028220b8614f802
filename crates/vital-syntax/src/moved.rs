//! Moving a parsed item to another offset of its file: every span of the
//! tree (and of the diagnostics the item's parse gave) moves by the same
//! amount. What lets [`crate::parse_reusing`] keep the parse of an item whose
//! text did not change while the text before it did.

use crate::ast::*;
use crate::{Diagnostic, Span};

/// From the item's old start to its new one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Move {
    pub from: usize,
    pub to: usize,
}

impl Move {
    fn span(self, s: &mut Span) {
        // spans of a moved item lie at or after its old start
        let at = |x: usize| (x + self.to).saturating_sub(self.from);
        s.start = at(s.start);
        s.end = at(s.end);
    }
}

pub(crate) trait Moved {
    fn moved(&mut self, m: Move);
}

impl<T: Moved> Moved for Option<T> {
    fn moved(&mut self, m: Move) {
        if let Some(x) = self {
            x.moved(m);
        }
    }
}

impl<T: Moved> Moved for Vec<T> {
    fn moved(&mut self, m: Move) {
        for x in self {
            x.moved(m);
        }
    }
}

impl<T: Moved> Moved for Box<T> {
    fn moved(&mut self, m: Move) {
        (**self).moved(m);
    }
}

impl Moved for Span {
    fn moved(&mut self, m: Move) {
        m.span(self);
    }
}

impl Moved for Ident {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
    }
}

impl Moved for NumberLit {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
    }
}

impl Moved for StringLit {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
    }
}

impl Moved for DateLit {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
    }
}

impl Moved for TypeExpr {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
        match &mut self.kind {
            TypeKind::Enum(v) => v.moved(m),
            TypeKind::Unknown(i) => i.moved(m),
            TypeKind::Bool
            | TypeKind::Int
            | TypeKind::Number
            | TypeKind::Percent
            | TypeKind::Money
            | TypeKind::Text
            | TypeKind::Date
            | TypeKind::Duration => {}
        }
    }
}

impl Moved for FieldDecl {
    fn moved(&mut self, m: Move) {
        self.name.moved(m);
        self.ty.moved(m);
        m.span(&mut self.span);
    }
}

impl Moved for StatusArm {
    fn moved(&mut self, m: Move) {
        self.name.moved(m);
        self.cond.moved(m);
        m.span(&mut self.span);
    }
}

impl Moved for Action {
    fn moved(&mut self, m: Move) {
        match self {
            Action::Add { amount, score } | Action::Subtract { amount, score } => {
                amount.moved(m);
                score.moved(m);
            }
            Action::Trigger {
                playbook,
                cooldown,
                owner,
            } => {
                playbook.moved(m);
                cooldown.moved(m);
                owner.moved(m);
            }
        }
    }
}

impl Moved for Cooldown {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.keyword);
        m.span(&mut self.amount_span);
        m.span(&mut self.span);
    }
}

impl Moved for Owner {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.keyword);
        self.signal.moved(m);
    }
}

impl<T: Moved> Moved for Block<T> {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.open);
        self.entries.moved(m);
        m.span(&mut self.close);
    }
}

impl Moved for TestValue {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
        match &mut self.kind {
            TestValueKind::Number(n) | TestValueKind::Percent(n) => n.moved(m),
            TestValueKind::Str(s) => s.moved(m),
            TestValueKind::Date(d) => d.moved(m),
            TestValueKind::Name(i) => i.moved(m),
            TestValueKind::Bool(_) | TestValueKind::Duration(_) => {}
        }
    }
}

impl Moved for Assignment {
    fn moved(&mut self, m: Move) {
        self.name.moved(m);
        self.value.moved(m);
        m.span(&mut self.span);
    }
}

impl Moved for TestEvent {
    fn moved(&mut self, m: Move) {
        self.event.moved(m);
        self.date.moved(m);
        self.fields.moved(m);
        m.span(&mut self.span);
    }
}

impl Moved for HistoryEntry {
    fn moved(&mut self, m: Move) {
        self.date.moved(m);
        self.values.moved(m);
        m.span(&mut self.open);
        m.span(&mut self.close);
        m.span(&mut self.span);
    }
}

impl Moved for Expect {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
        match &mut self.kind {
            ExpectKind::Cond(e) => e.moved(m),
            ExpectKind::Triggered { playbook, .. } => playbook.moved(m),
            ExpectKind::Started {
                playbook, keyword, ..
            } => {
                playbook.moved(m);
                m.span(keyword);
            }
        }
    }
}

impl Moved for Query {
    fn moved(&mut self, m: Move) {
        self.event.moved(m);
        self.field.moved(m);
        self.filter.moved(m);
        self.within.moved(m);
    }
}

impl Moved for BandArm {
    fn moved(&mut self, m: Move) {
        if let Some((_, e)) = &mut self.test {
            e.moved(m);
        }
        self.result.moved(m);
        m.span(&mut self.span);
    }
}

impl Moved for Expr {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
        match &mut self.kind {
            ExprKind::Number(n) | ExprKind::Percent(n) => n.moved(m),
            ExprKind::Str(s) => s.moved(m),
            ExprKind::Date(d) => d.moved(m),
            ExprKind::Name(i) => i.moved(m),
            ExprKind::Query(q) => q.moved(m),
            ExprKind::Bool(_) | ExprKind::Duration(_) | ExprKind::Health | ExprKind::Status => {}
            ExprKind::Paren(e) | ExprKind::Neg(e) | ExprKind::Not(e) => e.moved(m),
            ExprKind::Arith(_, a, b)
            | ExprKind::Compare(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Coalesce(a, b) => {
                a.moved(m);
                b.moved(m);
            }
            ExprKind::In { value, list, .. } => {
                value.moved(m);
                list.moved(m);
            }
            ExprKind::IsMissing { value, .. } => value.moved(m),
            ExprKind::Call { name, args } => {
                name.moved(m);
                args.moved(m);
            }
            ExprKind::Band {
                input,
                arms,
                open,
                close,
            } => {
                input.moved(m);
                arms.moved(m);
                m.span(open);
                m.span(close);
            }
        }
    }
}

impl Moved for Item {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
        match &mut self.kind {
            ItemKind::Signal(d) => {
                d.name.moved(m);
                d.ty.moved(m);
            }
            ItemKind::Event(d) => {
                d.name.moved(m);
                d.fields.moved(m);
            }
            ItemKind::Const(d) => {
                d.name.moved(m);
                d.value.moved(m);
            }
            ItemKind::Score(d) => {
                d.name.moved(m);
                d.weight.moved(m);
                d.base.moved(m);
            }
            ItemKind::Status(d) => {
                m.span(&mut d.keyword);
                d.arms.moved(m);
                m.span(&mut d.close);
            }
            ItemKind::Rule(d) => {
                d.name.moved(m);
                d.header.moved(m);
                d.cond.moved(m);
                d.when_span.moved(m);
                d.action.moved(m);
                m.span(&mut d.action_span);
            }
            ItemKind::Test(d) => {
                d.name.moved(m);
                d.as_of.moved(m);
                m.span(&mut d.as_of_span);
                d.given.moved(m);
                d.events.moved(m);
                d.history.moved(m);
                d.expects.moved(m);
                m.span(&mut d.close);
            }
        }
    }
}

impl Moved for Diagnostic {
    fn moved(&mut self, m: Move) {
        m.span(&mut self.span);
        for r in &mut self.related {
            m.span(&mut r.span);
        }
        for f in &mut self.fixes {
            m.span(&mut f.span);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse, parse_reusing, FileId, ParsedFile};

    fn same(a: &ParsedFile, b: &ParsedFile) -> bool {
        a.file == b.file
            && a.diagnostics == b.diagnostics
            && a.tokens == b.tokens
            && a.cuts == b.cuts
    }

    /// Random edits of the bundled examples: parsing again with the
    /// previous parse gives exactly what parsing from scratch gives.
    #[test]
    fn reusing_a_parse_changes_nothing() {
        let files = [
            include_str!("../../../examples/support-health/rules/rules.vital"),
            include_str!("../../../examples/support-health/rules/scores.vital"),
            include_str!("../../../examples/digital-signals/rules/schema.vital"),
            include_str!("../../../examples/advocacy/rules/tests.vital"),
        ];
        let pieces = [
            " ",
            "x",
            "\n",
            "(",
            ")",
            "{",
            "}",
            "1",
            "#",
            "## doc\n",
            "\"",
            "rule \"z\" when a > 1 add 1 to s\n",
            "signal q: int\n",
            "==",
            "and ",
            "when ",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n.max(1)
        };
        let mut kept = 0;
        for text in files {
            let mut text = text.to_string();
            let mut prev_text = text.clone();
            let mut prev = parse(FileId(3), &text);
            for _ in 0..300 {
                let at = next(text.len() + 1);
                let at = (0..=at)
                    .rev()
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                if next(3) == 0 {
                    let len = next(12);
                    let end = (at + len..=text.len())
                        .find(|i| text.is_char_boundary(*i))
                        .unwrap_or(text.len());
                    text.replace_range(at..end, "");
                } else {
                    text.insert_str(at, pieces[next(pieces.len())]);
                }
                let fresh = parse(FileId(3), &text);
                let incremental = parse_reusing(FileId(3), &text, Some((&prev_text, &prev)));
                assert!(
                    same(&fresh, &incremental),
                    "after an edit at {at}:\n{text}\n--- fresh\n{:#?}\n--- reusing\n{:#?}",
                    fresh.diagnostics,
                    incremental.diagnostics
                );
                kept += incremental.file.items.len();
                prev = incremental;
                prev_text = text.clone();
            }
        }
        let reused = crate::parser::REUSED.with(|n| n.get());
        assert!(reused * 10 > kept * 8, "{reused} of {kept} items reused");
    }
}
