//! The checker's diagnostics (and the loader's `io` problems) as LSP
//! diagnostics, per file of the rule set: the same codes and messages as
//! `vital check`.

use crate::analysis::Analysis;
use crate::convert::{uri_of, Encoding};
use std::path::PathBuf;
use tower_lsp_server::ls_types::*;

/// Every file of the rule set with its diagnostics (an empty list clears a
/// file's old ones).
pub fn per_file(a: &Analysis, enc: Encoding) -> Vec<(PathBuf, Vec<Diagnostic>)> {
    let mut per_file: Vec<Vec<Diagnostic>> = vec![Vec::new(); a.paths.len()];
    for d in a.checked.diagnostics.iter().chain(a.io.iter()) {
        let related: Vec<DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|r| {
                let uri = uri_of(a.paths.get(r.file.index())?)?;
                Some(DiagnosticRelatedInformation {
                    location: Location::new(uri, a.range(r.file, r.span, enc)),
                    message: r.message.clone(),
                })
            })
            .collect();
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
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
