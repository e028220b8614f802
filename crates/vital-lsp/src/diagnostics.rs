//! The checker's diagnostics (and the loader's `io` problems) as LSP
//! diagnostics, per file of the rule set: the same codes and messages as
//! `vital check` — except that LSP shows a diagnostic's message as plain
//! text (VS Code's Problems panel, hovers on squiggles, Neovim's virtual
//! text), so the names the CLI sets in Markdown backticks are quoted
//! ‘like this’ instead (see [`plain`]).

use crate::analysis::Analysis;
use crate::convert::{uri_of, Encoding};
use std::path::PathBuf;
use tower_lsp_server::ls_types::*;

/// Every file of the rule set with its diagnostics (an empty list clears a
/// file's old ones).
pub fn per_file(
    a: &Analysis,
    extra: &[vital_syntax::Diagnostic],
    enc: Encoding,
) -> Vec<(PathBuf, Vec<Diagnostic>)> {
    let mut per_file: Vec<Vec<Diagnostic>> = vec![Vec::new(); a.paths.len()];
    for d in a.checked.diagnostics.iter().chain(a.io.iter()).chain(extra) {
        let related: Vec<DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|r| {
                let uri = uri_of(a.paths.get(r.file.index())?)?;
                Some(DiagnosticRelatedInformation {
                    location: Location::new(uri, a.range(r.file, r.span, enc)),
                    message: plain(&r.message),
                })
            })
            .collect();
        let mut message = plain(&d.message);
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {}", plain(h)));
        }
        let Some(list) = per_file.get_mut(d.file.index()) else {
            continue;
        };
        list.push(Diagnostic {
            range: a.range(d.file, d.span, enc),
            severity: Some(match d.severity {
                vital_syntax::Severity::Error => DiagnosticSeverity::ERROR,
                vital_syntax::Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.name().to_string())),
            source: Some("vital".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: matches!(
                d.code,
                vital_syntax::Code::UnusedSignal
                    | vital_syntax::Code::UnusedEvent
                    | vital_syntax::Code::UnusedConst
            )
            .then(|| vec![DiagnosticTag::UNNECESSARY]),
            ..Default::default()
        });
    }
    a.paths.iter().cloned().zip(per_file).collect()
}

/// A message for a client that shows plain text: each `` `name` `` becomes
/// ‘name’ (an unpaired backtick stays as it is).
pub fn plain(text: &str) -> String {
    let pairs = text.matches('`').count() / 2;
    let mut out = String::with_capacity(text.len() + 4 * pairs);
    let mut seen = 0;
    for c in text.chars() {
        if c == '`' && seen < pairs * 2 {
            out.push(if seen % 2 == 0 { '‘' } else { '’' });
            seen += 1;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn names_in_backticks_are_quoted() {
        assert_eq!(
            plain("there is no signal named `tierr`; did you mean `tier`?"),
            "there is no signal named ‘tierr’; did you mean ‘tier’?"
        );
        assert_eq!(plain("write `20%` or ` alone"), "write ‘20%’ or ` alone");
        assert_eq!(plain("nothing to quote"), "nothing to quote");
    }
}
