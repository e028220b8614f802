//! The clauses of a trigger rule: `cooldown N UNIT` and `owner SIGNAL`
//! (docs/language.md §3), and their agreement across the rules that
//! trigger one playbook.

use super::*;
use vital_syntax::ast::DurationUnit;

/// The longest cooldown, in its unit (as for duration literals).
const MAX_COOLDOWN: i64 = 100_000;

/// What one trigger rule said about its playbook, for the agreement check.
pub(super) struct Clauses {
    pub playbook: String,
    pub cooldown: Option<(Duration, Loc)>,
    pub owner: Option<(SignalId, Loc)>,
}

/// `30 days` and `1 month`, as people read them.
fn show(d: Duration) -> String {
    d.to_string()
}

/// Days and weeks compare in days, months and years in months: `2 weeks`
/// and `14 days` are one cooldown.
fn same(a: Duration, b: Duration) -> bool {
    let base = |d: Duration| match d.unit {
        DurationUnit::Day => (d.amount, 0),
        DurationUnit::Week => (d.amount.saturating_mul(7), 0),
        DurationUnit::Month => (d.amount, 1),
        DurationUnit::Year => (d.amount.saturating_mul(12), 1),
    };
    base(a) == base(b)
}

impl<'a> Checker<'a> {
    /// `cooldown N UNIT`: a whole number of at least 1 (at most 100000).
    pub(super) fn cooldown(&mut self, file: FileId, c: &ast::Cooldown) -> Option<Duration> {
        let unit = c.unit_text.as_str();
        let amount = vital_syntax::parse_number(&c.amount);
        let whole = amount.filter(|a| a.fract().is_zero());
        let error = |message: String, label: &str| {
            Diagnostic::new(Code::InvalidCooldown, file, c.amount_span, message).with_label(label)
        };
        match whole.map(|a| i64::try_from(a).ok()) {
            Some(Some(n)) if (1..=MAX_COOLDOWN).contains(&n) => Some(Duration {
                amount: n,
                unit: c.unit,
            }),
            Some(Some(n)) if n > MAX_COOLDOWN => {
                self.push(
                    error(
                        format!("the cooldown `{} {unit}` is too long", c.amount),
                        "too long",
                    )
                    .with_help(format!("a cooldown is at most {MAX_COOLDOWN} {unit}")),
                );
                None
            }
            Some(Some(_)) => {
                self.push(
                    error(
                        format!(
                            "a cooldown of `{} {unit}` would never hold a playbook back",
                            c.amount
                        ),
                        "must be at least 1",
                    )
                    .with_help(
                        "write a whole number of at least 1, such as `cooldown 30 days`, or \
                         remove the cooldown",
                    ),
                );
                None
            }
            Some(None) => {
                self.push(
                    error(
                        format!("the cooldown `{} {unit}` is too long", c.amount),
                        "too long",
                    )
                    .with_help(format!("a cooldown is at most {MAX_COOLDOWN} {unit}")),
                );
                None
            }
            None => {
                let d = error(
                    format!(
                        "a cooldown is a whole number of {}, not `{}`",
                        match c.unit {
                            DurationUnit::Day => "days",
                            DurationUnit::Week => "weeks",
                            DurationUnit::Month => "months",
                            DurationUnit::Year => "years",
                        },
                        c.amount
                    ),
                    "not a whole number",
                )
                .with_help(match c.unit {
                    DurationUnit::Day => "write a whole number, such as `cooldown 30 days`",
                    _ => {
                        "write a whole number, or the cooldown in days, such as `cooldown 10 days`"
                    }
                });
                self.push(d);
                None
            }
        }
    }

    /// `owner SIGNAL`: a signal of type `text` or `enum`.
    pub(super) fn owner(&mut self, file: FileId, o: &ast::Owner) -> Option<SignalId> {
        let id = &o.signal;
        let owners = |this: &Self| -> Vec<String> {
            this.rules
                .signals
                .iter()
                .filter(|s| matches!(s.ty, Type::Text | Type::Enum(_)))
                .map(|s| s.name.clone())
                .collect()
        };
        match self.names.get(&id.name).copied() {
            Some((Sym::Signal(s), decl)) => {
                self.index.add(file, id.span, Symbol::Signal(s), false);
                self.signal_uses[s.index()] += 1;
                let ty = self.rules.signals[s.index()].ty;
                if matches!(ty, Type::Text | Type::Enum(_) | Type::Error) {
                    return Some(s);
                }
                let list = owners(self);
                let mut d = Diagnostic::new(
                    Code::InvalidOwner,
                    file,
                    id.span,
                    format!(
                        "the owner `{}` is a signal of type `{}`; an owner is a text or enum signal",
                        id.name,
                        self.ty(ty)
                    ),
                )
                .with_label(format!("of type `{}`", self.ty(ty)))
                .with_related(decl.file, decl.span, "declared here");
                if !list.is_empty() {
                    d = d.with_help(format!(
                        "the text and enum signals are {}",
                        quote_list(&list)
                    ));
                } else {
                    d = d.with_help(
                        "declare the owner as a signal of type `text`, such as `signal csm: text`",
                    );
                }
                self.push(d);
                None
            }
            Some((sym, decl)) => {
                self.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        file,
                        id.span,
                        format!("`{}` is {}, not a signal", id.name, kind_name(sym)),
                    )
                    .with_label("an owner is a text or enum signal")
                    .with_related(decl.file, decl.span, "declared here"),
                );
                None
            }
            None => {
                let list = owners(self);
                let d = Diagnostic::new(
                    Code::UnknownName,
                    file,
                    id.span,
                    format!("there is no signal named `{}`", id.name),
                )
                .with_label("unknown signal");
                let otherwise = (!list.is_empty())
                    .then(|| format!("the text and enum signals are {}", quote_list(&list)));
                self.push(suggest(d, id, &list, None, otherwise));
                None
            }
        }
    }

    /// The rules that trigger one playbook agree on its cooldown and on its
    /// owner: each applies to the playbook, whichever rule fired. A rule
    /// without the clause takes the other rules'.
    pub(super) fn check_playbook_clauses(&mut self, all: &[Clauses]) {
        for (i, c) in all.iter().enumerate() {
            let earlier = &all[..i];
            if let Some((d, loc)) = c.cooldown {
                let first = earlier
                    .iter()
                    .filter(|e| e.playbook == c.playbook)
                    .find_map(|e| e.cooldown);
                if let Some((fd, floc)) = first.filter(|(fd, _)| !same(*fd, d)) {
                    self.push(
                        Diagnostic::new(
                            Code::ConflictingPlaybook,
                            loc.file,
                            loc.span,
                            format!(
                                "the playbook \"{}\" has a cooldown of {} here and {} in another rule",
                                c.playbook,
                                show(d),
                                show(fd)
                            ),
                        )
                        .with_label("a second cooldown")
                        .with_related(floc.file, floc.span, "the first cooldown")
                        .with_help(
                            "a cooldown belongs to the playbook: give every rule that triggers \
                             it the same one, or write it on one rule only",
                        ),
                    );
                }
            }
            if let Some((s, loc)) = c.owner {
                let first = earlier
                    .iter()
                    .filter(|e| e.playbook == c.playbook)
                    .find_map(|e| e.owner);
                if let Some((fs, floc)) = first.filter(|(fs, _)| *fs != s) {
                    let name = |s: SignalId| {
                        self.rules
                            .signals
                            .get(s.index())
                            .map_or(String::new(), |s| s.name.clone())
                    };
                    let message = format!(
                        "the playbook \"{}\" is owned by `{}` here and by `{}` in another rule",
                        c.playbook,
                        name(s),
                        name(fs)
                    );
                    self.push(
                        Diagnostic::new(Code::ConflictingPlaybook, loc.file, loc.span, message)
                            .with_label("a second owner")
                            .with_related(floc.file, floc.span, "the first owner")
                            .with_help(
                                "an owner belongs to the playbook: give every rule that \
                                 triggers it the same one, or write it on one rule only",
                            ),
                    );
                }
            }
        }
    }
}
