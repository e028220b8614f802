//! Completion tested the way a person types: every rule file of the bundled
//! examples is replayed up to each token boundary (the editor holds the
//! text up to there; the other files of the set are on disk) and, wherever
//! the next token is a name, keyword, variant or unit and the server offers
//! completion, that token must be among the first 10 items as a client
//! ranks them (by `sortText`). Today 1,139 of 1,336 are (see
//! `KNOWN_MISSES`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use tower_lsp_server::ls_types::*;
use vital_lsp::State;
use vital_syntax::lexer::{tokenize, TokenKind};

fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    Position::new(line, before[start..].encode_utf16().count() as u32)
}

fn ranked(items: Vec<CompletionItem>) -> Vec<String> {
    let mut v: Vec<(String, String)> = items
        .into_iter()
        .map(|i| (i.sort_text.unwrap_or_else(|| i.label.clone()), i.label))
        .collect();
    v.sort();
    v.into_iter().map(|(_, l)| l).collect()
}

#[test]
fn every_next_token_of_the_examples_is_offered() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .flatten()
        .map(|e| e.path().join("rules"))
        .filter(|p| p.is_dir())
        .flat_map(|dir| {
            let mut v: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "vital"))
                .collect();
            v.sort();
            v
        })
        .collect();
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    let (mut checked, mut skipped) = (0, 0);
    let mut misses = Vec::new();
    for path in &files {
        let full = std::fs::read_to_string(path).unwrap();
        let uri = Uri::from_file_path(path).unwrap();
        let mut state = State::new();
        state.folders.push(path.parent().unwrap().to_path_buf());
        state.open(path.clone(), String::new(), 0);
        for (v, tok) in tokenize(&full).iter().enumerate() {
            let is_word = tok.kind == TokenKind::Ident
                || tok.kind == TokenKind::Unit
                || (tok.kind.is_keyword() && tok.kind != TokenKind::TypeName)
                || tok.kind == TokenKind::TypeName;
            if !is_word {
                continue;
            }
            let prefix = &full[..tok.span.start];
            state.change(
                path,
                v as i32 + 1,
                vec![TextDocumentContentChangeEvent {
                    range: None,
                    range_length: None,
                    text: prefix.to_string(),
                }],
            );
            let items = state.completion(&uri, position(prefix, prefix.len()));
            if items.is_empty() {
                skipped += 1;
                continue;
            }
            checked += 1;
            let want = &full[tok.span.start..tok.span.end];
            let labels = ranked(items);
            if !labels.iter().take(10).any(|l| l == want) {
                let line = prefix.matches('\n').count() + 1;
                let shown = prefix.rsplit('\n').next().unwrap_or_default();
                misses.push(format!(
                    "{}:{line}: `{shown}` + `{want}`: offered {:?}",
                    path.strip_prefix(&examples).unwrap().display(),
                    &labels[..labels.len().min(10)]
                ));
            }
        }
    }
    eprintln!(
        "{checked} token boundaries checked, {skipped} where nothing is offered (a new name), {} misses",
        misses.len()
    );
    // The goal is no miss at all. Not there yet (argument positions where
    // a function, not a name, comes next; names of a type the context does
    // not yet infer): this bound only keeps it from getting worse — lower
    // it as completion improves.
    const KNOWN_MISSES: usize = 197;
    assert!(
        misses.len() <= KNOWN_MISSES,
        "{} of {checked} next tokens not among the first 10 (was {KNOWN_MISSES}):\n{}",
        misses.len(),
        misses.join("\n")
    );
    assert!(checked > 1300, "the replay reached {checked} boundaries");
}
