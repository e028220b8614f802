//! Navigation: go to definition, find references, highlight a name's
//! occurrences, rename — all from the checker's name index.

use crate::analysis::{token_at, Analysis};
use crate::convert::{uri_of, Encoding};
use std::collections::HashMap;
use tower_lsp_server::ls_types::*;
use vital_check::{Occurrence, Symbol};
use vital_syntax::lexer::TokenKind;
use vital_syntax::FileId;

/// The name under the cursor, resolved.
fn occurrence_at(a: &Analysis, f: FileId, off: usize) -> Option<Occurrence> {
    a.checked.index.at(f, off).copied()
}

pub fn definition(a: &Analysis, f: FileId, off: usize, enc: Encoding) -> Option<Location> {
    let occ = occurrence_at(a, f, off)?;
    let decl = a.checked.index.declaration(occ.symbol)?;
    a.location(decl.file, decl.span, enc)
}

pub fn references(
    a: &Analysis,
    f: FileId,
    off: usize,
    include_decl: bool,
    enc: Encoding,
) -> Vec<Location> {
    let Some(occ) = occurrence_at(a, f, off) else {
        return Vec::new();
    };
    a.checked
        .index
        .references(occ.symbol)
        .filter(|o| include_decl || !o.decl)
        .filter_map(|o| a.location(o.file, o.span, enc))
        .collect()
}

pub fn highlight(a: &Analysis, f: FileId, off: usize, enc: Encoding) -> Vec<DocumentHighlight> {
    let Some(occ) = occurrence_at(a, f, off) else {
        return Vec::new();
    };
    a.checked
        .index
        .references(occ.symbol)
        .filter(|o| o.file == f)
        .map(|o| DocumentHighlight {
            range: a.range(f, o.span, enc),
            kind: Some(if o.decl {
                DocumentHighlightKind::WRITE
            } else {
                DocumentHighlightKind::READ
            }),
        })
        .collect()
}

pub fn prepare_rename(
    a: &Analysis,
    f: FileId,
    off: usize,
    enc: Encoding,
) -> Result<Option<PrepareRenameResponse>, String> {
    match occurrence_at(a, f, off) {
        Some(occ) => Ok(Some(PrepareRenameResponse::Range(
            a.range(f, occ.span, enc),
        ))),
        None => match token_at(a.tokens(f), off) {
            Some(t) if t.kind.is_keyword() => Err(format!(
                "`{}` is a keyword and cannot be renamed",
                &a.text(f)[t.span.start..t.span.end]
            )),
            _ => Err("there is no name to rename here".into()),
        },
    }
}

pub fn rename(
    a: &Analysis,
    f: FileId,
    off: usize,
    new_name: &str,
    enc: Encoding,
) -> Result<WorkspaceEdit, String> {
    let Some(occ) = occurrence_at(a, f, off) else {
        return Err("there is no name to rename here".into());
    };
    let valid = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let toks = vital_syntax::lexer::tokenize(new_name);
    if !valid || toks.len() != 1 || toks.first().is_none_or(|t| t.kind != TokenKind::Ident) {
        return Err(format!(
            "`{new_name}` is not a valid name (letters, digits, `_`; not a keyword)"
        ));
    }
    let r = &a.checked.rules;
    let clash = match occ.symbol {
        Symbol::Signal(_) | Symbol::Event(_) | Symbol::Const(_) | Symbol::Score(_) => {
            r.signals.iter().any(|s| s.name == new_name)
                || r.events.iter().any(|s| s.name == new_name)
                || r.consts.iter().any(|s| s.name == new_name)
                || r.scores.iter().any(|s| s.name == new_name)
        }
        Symbol::Field(e, _) => r
            .events
            .get(e.index())
            .is_some_and(|e| e.fields.iter().any(|f| f.name == new_name)),
        Symbol::Variant(e, _) => r
            .enums
            .get(e.index())
            .is_some_and(|e| e.variants.iter().any(|v| v == new_name)),
        Symbol::StatusArm(_) => r.status.iter().any(|s| s.name == new_name),
    };
    if clash {
        return Err(format!(
            "`{new_name}` is already declared; renaming would make two things one"
        ));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for o in a.checked.index.references(occ.symbol) {
        if let Some(u) = a.paths.get(o.file.index()).and_then(|p| uri_of(p)) {
            changes.entry(u).or_default().push(TextEdit {
                range: a.range(o.file, o.span, enc),
                new_text: new_name.to_string(),
            });
        }
    }
    Ok(WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}
