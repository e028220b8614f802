//! Completion tested the way a person types: every rule file of the bundled
//! examples is replayed up to each token boundary (the editor holds the
//! text up to there; the other files of the set are on disk) and, wherever
//! the next token is a name, keyword, variant, type or unit, that token
//! must be among the first 10 items as a client ranks them (by `sortText`).
//!
//! One kind of boundary is not asked for, by a rule and not by a count: a
//! token that *declares* a new name (a signal, event, constant, score, field,
//! enum variant or status arm — what the checker's index marks as the
//! declaring occurrence) cannot be known before it is typed; there the
//! server must offer nothing rather than distract. Numbers, strings, dates
//! and punctuation are not completion items and are not replayed.

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
    let (mut checked, mut declared) = (0, 0);
    let mut misses = Vec::new();
    for path in &files {
        let full = std::fs::read_to_string(path).unwrap();
        let uri = Uri::from_file_path(path).unwrap();
        // the declaring occurrences of the finished file
        let mut sources = vital_syntax::SourceMap::default();
        let id = sources.add(vital_syntax::SourceFile::new(
            path.display().to_string(),
            full.clone(),
        ));
        let finished = vital_check::check(&sources);
        let declares: Vec<std::ops::Range<usize>> = finished
            .index
            .occurrences
            .iter()
            .filter(|o| o.decl && o.file == id)
            .map(|o| o.span.start..o.span.end)
            .collect();
        let mut state = State::new();
        state.folders.push(path.parent().unwrap().to_path_buf());
        state.open(path.clone(), String::new(), 0);
        for (v, tok) in tokenize(&full).iter().enumerate() {
            let is_word = tok.kind == TokenKind::Ident
                || tok.kind == TokenKind::Unit
                || tok.kind.is_keyword()
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
            let line = prefix.matches('\n').count() + 1;
            let shown = prefix.rsplit('\n').next().unwrap_or_default();
            let want = &full[tok.span.start..tok.span.end];
            let at = format!(
                "{}:{line}: `{shown}` + `{want}`",
                path.strip_prefix(&examples).unwrap().display()
            );
            if declares.contains(&(tok.span.start..tok.span.end)) {
                declared += 1;
                if !items.is_empty() {
                    misses.push(format!(
                        "{at}: a new name, yet {} items offered",
                        items.len()
                    ));
                }
                continue;
            }
            checked += 1;
            let labels = ranked(items);
            if !labels.iter().take(10).any(|l| l == want) {
                misses.push(format!(
                    "{at}: offered {:?}",
                    &labels[..labels.len().min(10)]
                ));
            }
        }
    }
    eprintln!(
        "{checked} token boundaries checked, {declared} where a new name is declared, {} misses",
        misses.len()
    );
    // Known, by place (not by count), each with why: a listed boundary that
    // starts to pass must leave the list.
    //
    // - `when is_advocate` then `and min(` on the next line: a `min` of
    //   three `days_since(last(…))` opening a condition; its documentation
    //   mentions events and a constant, which rank `count`/`avg` and the
    //   events first. Ranked 12th.
    const KNOWN: &[&str] = &["advocacy/rules/rules.vital:27: `  and ` + `min`"];
    let (known, new): (Vec<&String>, Vec<&String>) = misses
        .iter()
        .partition(|m| KNOWN.iter().any(|k| m.starts_with(k)));
    assert!(
        new.is_empty(),
        "{} of {checked} next tokens not among the first 10:\n{}",
        new.len(),
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for k in KNOWN {
        assert!(
            known.iter().any(|m| m.starts_with(k)),
            "{k} is offered in the first 10 now: take it off KNOWN"
        );
    }
    assert!(declared > 70, "the replay met {declared} declarations");
    assert!(checked > 1200, "the replay reached {checked} boundaries");
}
