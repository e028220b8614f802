//! The server's state driven in process: half-typed text, random edits,
//! huge files and invalid UTF-8 on disk never panic any feature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tower_lsp_server::ls_types::*;
use vital_lsp::State;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Every request the server answers, at one position.
fn everything(state: &mut State, uri: &Uri, pos: Position) {
    let _ = state.hover(uri, pos);
    let _ = state.completion(uri, pos);
    let _ = state.definition(uri, pos);
    let _ = state.references(uri, pos, true);
    let _ = state.highlight(uri, pos);
    let _ = state.prepare_rename(uri, pos);
    let _ = state.rename(uri, pos, "renamed_x");
    let _ = state.signature_help(uri, pos);
    let _ = state.code_actions(uri, Range::new(Position::new(0, 0), pos));
}

fn whole_file(state: &mut State, uri: &Uri, path: &std::path::Path) {
    let _ = state.diagnostics(path);
    let _ = state.document_symbols(uri);
    let _ = state.semantic_tokens(uri);
    let _ = state.inlay_hints(uri);
    let _ = state.code_lenses(uri);
    let _ = state.format(uri);
    let _ = state.workspace_symbols("a");
}

const BASE: &str = include_str!("fixtures/valid/spec_example.vital");

#[test]
fn typing_a_rule_set_character_by_character() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.vital");
    let uri = Uri::from_file_path(&path).unwrap();
    let mut state = State::new();
    state.folders.push(dir.path().to_path_buf());
    state.open(path.clone(), String::new(), 0);
    // type the spec example one character at a time (every prefix is a
    // half-typed file), asking for completion and hover as we go
    let mut line = 0u32;
    let mut col = 0u32;
    for (i, ch) in BASE.chars().take(1500).enumerate() {
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(line, col),
                Position::new(line, col),
            )),
            range_length: None,
            text: ch.to_string(),
        };
        state.change(&path, i as i32 + 1, vec![change]);
        if ch == '\n' {
            line += 1;
            col = 0;
        } else {
            col += ch.len_utf16() as u32;
        }
        if i % 7 == 0 {
            everything(&mut state, &uri, Position::new(line, col));
        }
        if i % 97 == 0 {
            whole_file(&mut state, &uri, &path);
        }
    }
    let text = state.docs.get(&path).unwrap().text.clone();
    assert_eq!(text, BASE.chars().take(1500).collect::<String>());
}

/// The byte offset of a (line, UTF-16 column) position, clamped to the line
/// and the text.
fn offset_of(text: &str, (line, col): (u32, u32)) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= col as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

/// Random edits: after each, the server's text is the text the edit makes,
/// and its diagnostics are those of a fresh check of that text; no request
/// panics at random positions.
#[test]
fn random_edits_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.vital");
    let uri = Uri::from_file_path(&path).unwrap();
    let mut state = State::new();
    state.open(path.clone(), BASE.to_string(), 0);
    let mut expected = BASE.to_string();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let snippets = [
        "(", ")", "{", "}", "\"", "#", "é", "𝄞", "\n", " and ", "when ", "x", "==", "%",
        "within 3", "band ",
    ];
    for v in 1..400 {
        let (l1, c1, l2, c2) = (
            rng.below(80) as u32,
            rng.below(90) as u32,
            rng.below(80) as u32,
            rng.below(90) as u32,
        );
        let (start, end) = if (l1, c1) <= (l2, c2) {
            ((l1, c1), (l2, c2))
        } else {
            ((l2, c2), (l1, c1))
        };
        let text = if rng.below(3) == 0 {
            String::new()
        } else {
            snippets[rng.below(snippets.len())].to_string()
        };
        // the same edit on a copy, by an independent reading of positions
        let a = offset_of(&expected, start);
        let b = offset_of(&expected, end).max(a);
        expected.replace_range(a..b, &text);
        state.change(
            &path,
            v,
            vec![TextDocumentContentChangeEvent {
                range: Some(Range::new(
                    Position::new(start.0, start.1),
                    Position::new(end.0, end.1),
                )),
                range_length: None,
                text,
            }],
        );
        assert_eq!(state.docs[&path].text, expected, "text after edit {v}");
        // the diagnostics the server publishes are a fresh check of that text
        let published = state.diagnostics(&path);
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].1, Some(v));
        let got: Vec<(Range, String, String)> = published[0]
            .2
            .iter()
            .map(|d| {
                let NumberOrString::String(code) = d.code.clone().unwrap() else {
                    panic!("string codes")
                };
                let message = d.message.split("\nhelp: ").next().unwrap().to_string();
                // the code with or without its `vital::` prefix
                (
                    d.range,
                    code.trim_start_matches("vital::").to_string(),
                    message,
                )
            })
            .collect();
        let mut map = vital_syntax::SourceMap::new();
        map.add(vital_syntax::SourceFile::new("r.vital", expected.clone()));
        let fresh = vital_check::check(&map);
        let want: Vec<(Range, String, String)> = fresh
            .diagnostics
            .iter()
            .map(|d| {
                (
                    vital_lsp::convert::range_in(
                        map.file(d.file),
                        d.span,
                        vital_lsp::convert::Encoding::Utf16,
                    ),
                    d.code.name().to_string(),
                    // plain text over LSP: `name` quoted ‘name’
                    vital_lsp::plain(&d.message),
                )
            })
            .collect();
        assert_eq!(got, want, "diagnostics after edit {v}:\n{expected}");
        everything(
            &mut state,
            &uri,
            Position::new(rng.below(90) as u32, rng.below(120) as u32),
        );
        if v % 50 == 0 {
            whole_file(&mut state, &uri, &path);
        }
    }
}

#[test]
fn invalid_utf8_and_huge_files_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.vital"),
        b"signal x: int \xff\xfe\nstatus { a otherwise }\n",
    )
    .unwrap();
    let mut big =
        String::from("signal x: int\nscore s weight 1\nstatus { a when x > 1  b otherwise }\n");
    for i in 0..20_000 {
        big.push_str(&format!("rule \"r{i}\" when x > {i} add 1 to s\n"));
    }
    std::fs::write(dir.path().join("big.vital"), &big).unwrap();
    let opened = dir.path().join("open.vital");
    std::fs::write(&opened, "").unwrap();
    let uri = Uri::from_file_path(&opened).unwrap();
    let mut state = State::new();
    state.folders.push(dir.path().to_path_buf());
    state.open(opened.clone(), "add 1 to s\n".into(), 1);
    let published = state.diagnostics(&opened);
    let bad = published
        .iter()
        .find(|(u, _, _)| u.to_string().ends_with("bad.vital"))
        .expect("the file with bad bytes is part of the set");
    assert!(
        bad.2.iter().any(|d| d.message.contains("not valid UTF-8")),
        "{:?}",
        bad.2
    );
    everything(&mut state, &uri, Position::new(0, 9));
    whole_file(&mut state, &uri, &opened);
}
