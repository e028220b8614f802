//! What the two rule sets declare: signals, events, scores and status arms
//! added, removed or retyped, and whether one parse of the input serves
//! both.

use crate::model::{Changes, Decl, Retyped, SchemaDiff};
use vital_check::ir::RuleSet;
use vital_syntax::SourceMap;

fn signals(r: &RuleSet) -> Vec<(String, String)> {
    r.signals
        .iter()
        .map(|s| {
            let q = if s.optional { "?" } else { "" };
            (s.name.clone(), format!("{}{q}", r.type_name(s.ty)))
        })
        .collect()
}

fn events(r: &RuleSet) -> Vec<(String, String)> {
    r.events
        .iter()
        .map(|e| {
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| {
                    let q = if f.optional { "?" } else { "" };
                    format!("{}: {}{q}", f.name, r.type_name(f.ty))
                })
                .collect();
            let ty = if fields.is_empty() {
                "event".to_string()
            } else {
                format!("{{ {} }}", fields.join(", "))
            };
            (e.name.clone(), ty)
        })
        .collect()
}

fn scores(r: &RuleSet) -> Vec<(String, String)> {
    r.scores
        .iter()
        .map(|s| (s.name.clone(), format!("weight {}", s.weight.normalize())))
        .collect()
}

/// Each arm with its place and condition (`arm 1: when health >= 75`), so
/// that an edited threshold or a reordered block shows as a change.
fn statuses(r: &RuleSet, sources: &SourceMap) -> Vec<(String, String)> {
    r.status
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let cond = match &a.cond {
                Some(c) => format!("when {}", crate::compare::expr_text(sources, a.loc.file, c)),
                None => "otherwise".to_string(),
            };
            (a.name.clone(), format!("arm {}: {cond}", i + 1))
        })
        .collect()
}

fn changes(base: Vec<(String, String)>, head: Vec<(String, String)>, retype: bool) -> Changes {
    let mut c = Changes::default();
    for (n, t) in &head {
        match base.iter().find(|(m, _)| m == n) {
            None => c.added.push(Decl {
                name: n.clone(),
                ty: t.clone(),
            }),
            Some((_, u)) if retype && u != t => c.retyped.push(Retyped {
                name: n.clone(),
                base: u.clone(),
                head: t.clone(),
            }),
            Some(_) => {}
        }
    }
    for (n, t) in base {
        if !head.iter().any(|(m, _)| *m == n) {
            c.removed.push(Decl { name: n, ty: t });
        }
    }
    c
}

/// Declarations added, removed or retyped from base to head. A score whose
/// weight changed is "retyped" (`weight 35` → `weight 40`), and so is a
/// status arm whose condition or place changed (`arm 1: when health >= 75`
/// → `arm 1: when health >= 78`).
pub fn diff(
    base: &RuleSet,
    base_sources: &SourceMap,
    head: &RuleSet,
    head_sources: &SourceMap,
) -> SchemaDiff {
    SchemaDiff {
        signals: changes(signals(base), signals(head), true),
        events: changes(events(base), events(head), true),
        scores: changes(scores(base), scores(head), true),
        statuses: changes(
            statuses(base, base_sources),
            statuses(head, head_sources),
            true,
        ),
    }
}

/// Both sides read a record the same way: the same signals and events, in
/// the same order with the same types, and the same status arms (an
/// override names one). Then a snapshot parsed under head's schema is a
/// valid snapshot of base too.
pub fn same_inputs(base: &RuleSet, head: &RuleSet) -> bool {
    signals(base) == signals(head)
        && events(base) == events(head)
        && base.status.len() == head.status.len()
        && base
            .status
            .iter()
            .zip(&head.status)
            .all(|(a, b)| a.name == b.name)
}
