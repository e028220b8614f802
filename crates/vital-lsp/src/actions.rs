//! Edits the server offers: the checker's quick fixes as code actions, and
//! whole-document formatting.

use crate::analysis::Analysis;
use crate::convert::{self, uri_of, Encoding};
use std::collections::HashMap;
use tower_lsp_server::ls_types::*;
use vital_syntax::FileId;

/// The fixes of every diagnostic of file `f` that touches `range`.
pub fn quick_fixes(
    a: &Analysis,
    f: FileId,
    range: Range,
    enc: Encoding,
) -> Vec<CodeActionOrCommand> {
    let lo = a.offset(f, range.start, enc);
    let hi = a.offset(f, range.end, enc);
    let mut out = Vec::new();
    for d in a.checked.diagnostics.iter().filter(|d| d.file == f) {
        if d.span.end < lo || d.span.start > hi {
            continue;
        }
        for fix in &d.fixes {
            let Some(u) = a.paths.get(fix.file.index()).and_then(|p| uri_of(p)) else {
                continue;
            };
            let edit = TextEdit {
                range: a.range(fix.file, fix.span, enc),
                new_text: fix.replacement.clone(),
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![Diagnostic {
                    range: a.range(f, d.span, enc),
                    message: crate::diagnostics::plain(&d.message),
                    code: Some(NumberOrString::String(d.code.name().to_string())),
                    ..Default::default()
                }]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(u, vec![edit])])),
                    ..Default::default()
                }),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
    }
    out
}

/// The edit that formats a document (none when it is formatted; `None` when
/// it does not parse).
pub fn format(text: &str, enc: Encoding) -> Option<Vec<TextEdit>> {
    let formatted = vital_syntax::format::format_source(FileId(0), text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let end = convert::position(text, text.len(), enc);
    Some(vec![TextEdit {
        range: Range::new(Position::new(0, 0), end),
        new_text: formatted,
    }])
}
