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
        // the first fix of a diagnostic is the likely one
        for (i, fix) in d.fixes.iter().enumerate() {
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
                is_preferred: Some(i == 0),
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

/// Range formatting: each declaration the range touches (a cursor touches
/// the one it is in) formatted on its own, from the start of its line to
/// its end (with a comment that ends its line); nothing else moves. A
/// declaration that does not parse is left as it is.
pub fn format_range(text: &str, range: Range, enc: Encoding) -> Vec<TextEdit> {
    let a = convert::offset(text, range.start, enc);
    let b = convert::offset(text, range.end, enc).max(a);
    let parsed = vital_syntax::parse(FileId(0), text);
    let crlf = text.contains("\r\n");
    let mut out = Vec::new();
    for cut in &parsed.cuts {
        // a selection touches what it overlaps (a whole-line selection ends
        // at the next line's start, which it does not touch); a cursor, the
        // declaration it is in or at either end of
        let touched = if a < b {
            cut.span.start < b && cut.span.end > a
        } else {
            cut.span.start <= a && a <= cut.span.end
        };
        if !touched {
            continue;
        }
        // from its line's start when only blanks come before it
        let line_start = text[..cut.span.start].rfind('\n').map_or(0, |i| i + 1);
        let start = if text[line_start..cut.span.start].trim().is_empty() {
            line_start
        } else {
            cut.span.start
        };
        // to its line's end when only a comment comes after it
        let line_end = text[cut.span.end..]
            .find('\n')
            .map_or(text.len(), |i| cut.span.end + i);
        let rest = text[cut.span.end..line_end].trim();
        let end = if rest.is_empty() || rest.starts_with('#') {
            line_end
        } else {
            cut.span.end
        };
        let end = if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        let original = &text[start..end];
        let Ok(formatted) = vital_syntax::format::format_source(FileId(0), original) else {
            continue;
        };
        let mut formatted = formatted.trim_end_matches(['\n', '\r']).to_string();
        if crlf && !formatted.contains("\r\n") {
            formatted = formatted.replace('\n', "\r\n");
        }
        if formatted != original {
            out.push(TextEdit {
                range: Range::new(
                    convert::position(text, start, enc),
                    convert::position(text, end, enc),
                ),
                new_text: formatted,
            });
        }
    }
    out
}
