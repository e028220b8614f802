//! Symbols: the outline of a file (declarations, event fields, status arms,
//! rules, tests) and the declarations of the workspace by name.

use crate::analysis::Analysis;
use crate::convert::Encoding;
use tower_lsp_server::ls_types::*;
use vital_check::Symbol;
use vital_syntax::{FileId, Span};

/// The outline of one file.
pub fn document(a: &Analysis, f: FileId, enc: Encoding) -> Vec<DocumentSymbol> {
    let rg = |s: Span| a.range(f, s, enc);
    #[allow(deprecated)]
    let sym = |name: String,
               detail: Option<String>,
               kind: SymbolKind,
               span: Span,
               sel: Span,
               children: Vec<DocumentSymbol>| DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: rg(span),
        selection_range: rg(sel),
        children: (!children.is_empty()).then_some(children),
    };
    use vital_syntax::ast::{Action, ItemKind};
    let mut out = Vec::new();
    for item in a.items(f) {
        let s = match &item.kind {
            ItemKind::Signal(d) => sym(
                d.name.name.clone(),
                Some(format!("signal: {}", d.ty.kind.keyword())),
                SymbolKind::VARIABLE,
                item.span,
                d.name.span,
                vec![],
            ),
            ItemKind::Event(d) => {
                let fields = d
                    .fields
                    .iter()
                    .flatten()
                    .map(|fd| {
                        sym(
                            fd.name.name.clone(),
                            Some(fd.ty.kind.keyword().into()),
                            SymbolKind::FIELD,
                            fd.span,
                            fd.name.span,
                            vec![],
                        )
                    })
                    .collect();
                sym(
                    d.name.name.clone(),
                    Some("event".into()),
                    SymbolKind::EVENT,
                    item.span,
                    d.name.span,
                    fields,
                )
            }
            ItemKind::Const(d) => sym(
                d.name.name.clone(),
                Some("const".into()),
                SymbolKind::CONSTANT,
                item.span,
                d.name.span,
                vec![],
            ),
            ItemKind::Score(d) => sym(
                d.name.name.clone(),
                Some(format!("score, weight {}", d.weight.text)),
                SymbolKind::PROPERTY,
                item.span,
                d.name.span,
                vec![],
            ),
            ItemKind::Status(d) => {
                let arms = d
                    .arms
                    .iter()
                    .map(|arm| {
                        sym(
                            arm.name.name.clone(),
                            Some("status".into()),
                            SymbolKind::ENUM_MEMBER,
                            arm.span,
                            arm.name.span,
                            vec![],
                        )
                    })
                    .collect();
                sym(
                    "status".into(),
                    None,
                    SymbolKind::ENUM,
                    item.span,
                    d.keyword,
                    arms,
                )
            }
            ItemKind::Rule(r) => {
                let what = match &r.action {
                    Action::Add { score, .. } => format!("add to {}", score.name),
                    Action::Subtract { score, .. } => format!("subtract from {}", score.name),
                    Action::Trigger { playbook, .. } => format!("trigger {}", playbook.raw),
                };
                let name = r
                    .name
                    .as_ref()
                    .map_or_else(|| what.clone(), |n| n.value.clone());
                let sel = r.name.as_ref().map_or(r.action_span, |n| n.span);
                let detail = match &r.action {
                    Action::Trigger {
                        playbook,
                        cooldown,
                        owner,
                    } => format!("{what}{}", clauses(a, &playbook.value, cooldown, owner)),
                    _ => what,
                };
                sym(
                    name,
                    Some(detail),
                    SymbolKind::FUNCTION,
                    item.span,
                    sel,
                    vec![],
                )
            }
            ItemKind::Test(t) => sym(
                t.name.value.clone(),
                Some("test".into()),
                SymbolKind::METHOD,
                item.span,
                t.name.span,
                vec![],
            ),
        };
        out.push(s);
    }
    out
}

/// A trigger's playbook's clauses for its symbol's detail: `, cooldown 30
/// days, owner csm`, or nothing. They belong to the playbook (docs/language.md
/// §3), so a rule without them shows those another rule of the playbook
/// gives; a clause the checker refused (`cooldown 0 days`) shows as written.
fn clauses(
    a: &Analysis,
    playbook: &str,
    cooldown: &Option<vital_syntax::ast::Cooldown>,
    owner: &Option<vital_syntax::ast::Owner>,
) -> String {
    let rules = &a.checked.rules;
    let mut out = String::new();
    match (rules.cooldown(playbook), cooldown) {
        (Some(c), _) => out.push_str(&format!(", cooldown {c}")),
        (None, Some(c)) => out.push_str(&format!(", cooldown {} {}", c.amount, c.unit_text)),
        (None, None) => {}
    }
    let signal = rules
        .owner(playbook)
        .and_then(|s| rules.signals.get(s.index()))
        .map(|s| s.name.as_str());
    if let Some(name) = signal.or(owner.as_ref().map(|o| o.signal.name.as_str())) {
        out.push_str(&format!(", owner {name}"));
    }
    out
}

/// The declarations of one rule set whose name contains `query` (any case).
pub fn workspace(a: &Analysis, query: &str, enc: Encoding) -> Vec<WorkspaceSymbol> {
    let q = query.to_lowercase();
    let mut out = Vec::new();
    for o in a.checked.index.occurrences.iter().filter(|o| o.decl) {
        let Some(name) = a.text(o.file).get(o.span.start..o.span.end) else {
            continue;
        };
        if !name.to_lowercase().contains(&q) {
            continue;
        }
        let kind = match o.symbol {
            Symbol::Signal(_) => SymbolKind::VARIABLE,
            Symbol::Event(_) => SymbolKind::EVENT,
            Symbol::Field(..) => SymbolKind::FIELD,
            Symbol::Const(_) => SymbolKind::CONSTANT,
            Symbol::Score(_) => SymbolKind::PROPERTY,
            Symbol::Variant(..) | Symbol::StatusArm(_) => SymbolKind::ENUM_MEMBER,
        };
        if let Some(loc) = a.location(o.file, o.span, enc) {
            out.push(WorkspaceSymbol {
                name: name.to_string(),
                kind,
                tags: None,
                container_name: Some(a.file(o.file).path.clone()),
                location: OneOf::Left(loc),
                data: None,
            });
        }
    }
    out
}
