//! One checked rule set as every feature sees it: its files, the checker's
//! results, and the conversions between its byte offsets and the editor's
//! positions. Features are functions of an [`Analysis`]; they never see the
//! workspace (documents, roots, caches — `state.rs`).

use crate::convert::{self, Encoding};
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types::{Location, Position, Range};
use vital_check::Checked;
use vital_syntax::lexer::{Token, TokenKind};
use vital_syntax::{FileId, SourceFile, SourceMap, Span};

/// One checked rule set.
#[derive(Debug)]
pub struct Analysis {
    /// The directory the rule set is rooted at.
    pub root: PathBuf,
    /// Where each file of `sources` lives (index = `FileId`).
    pub paths: Vec<PathBuf>,
    pub sources: SourceMap,
    pub checked: Checked,
    /// Problems reading files (not UTF-8 …), as `io` diagnostics.
    pub io: Vec<vital_syntax::Diagnostic>,
    /// Tells analyses apart: a new one for every change of the rule set.
    pub generation: u64,
}

impl Analysis {
    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p == path)
            .map(|i| FileId(i as u32))
    }

    pub fn file(&self, f: FileId) -> &SourceFile {
        self.sources.file(f)
    }

    pub fn text(&self, f: FileId) -> &str {
        &self.sources.file(f).text
    }

    pub fn tokens(&self, f: FileId) -> &[Token] {
        self.checked
            .parsed
            .get(f.index())
            .map_or(&[], |p| p.tokens.as_slice())
    }

    pub fn items(&self, f: FileId) -> &[vital_syntax::ast::Item] {
        self.checked
            .parsed
            .get(f.index())
            .map_or(&[], |p| p.file.items.as_slice())
    }

    /// The contextual keywords of a file where they are keywords (`cooldown`
    /// and `owner` in a trigger, `started` in an `expect`; names anywhere
    /// else), with the clause each belongs to, in file order.
    pub fn contextual_keywords(&self, f: FileId) -> Vec<Contextual<'_>> {
        use vital_syntax::ast::{Action, ExpectKind, ItemKind};
        let mut out = Vec::new();
        for item in self.items(f) {
            match &item.kind {
                ItemKind::Rule(r) => {
                    if let Action::Trigger {
                        playbook,
                        cooldown,
                        owner,
                    } = &r.action
                    {
                        if let Some(c) = cooldown {
                            out.push(Contextual::Cooldown(c.keyword, &playbook.value, c));
                        }
                        if let Some(o) = owner {
                            out.push(Contextual::Owner(o.keyword, &playbook.value, o));
                        }
                    }
                }
                ItemKind::Test(t) => {
                    for e in &t.expects {
                        if let ExpectKind::Started {
                            keyword, playbook, ..
                        } = &e.kind
                        {
                            out.push(Contextual::Started(*keyword, &playbook.value));
                        }
                    }
                }
                _ => {}
            }
        }
        out.sort_by_key(|c| c.span().start);
        out
    }

    pub fn range(&self, f: FileId, span: Span, enc: Encoding) -> Range {
        convert::range_in(self.file(f), span, enc)
    }

    pub fn position(&self, f: FileId, offset: usize, enc: Encoding) -> Position {
        convert::position_in(self.file(f), offset, enc)
    }

    pub fn offset(&self, f: FileId, pos: Position, enc: Encoding) -> usize {
        convert::offset_in(self.file(f), pos, enc)
    }

    pub fn location(&self, f: FileId, span: Span, enc: Encoding) -> Option<Location> {
        Some(Location::new(
            convert::uri_of(self.paths.get(f.index())?)?,
            self.range(f, span, enc),
        ))
    }

    /// Every error that keeps the rule set from running: files that could
    /// not be read, then the checker's errors.
    pub fn errors(&self) -> impl Iterator<Item = &vital_syntax::Diagnostic> {
        self.io
            .iter()
            .chain(self.checked.diagnostics.iter())
            .filter(|d| d.is_error())
    }

    /// `path:line:column` of an offset, for people.
    pub fn locate(&self, f: FileId, offset: usize) -> String {
        let file = self.file(f);
        let lc = file.line_col(offset);
        format!("{}:{}:{}", file.path, lc.line, lc.column)
    }
}

/// The token under (or just before) a cursor.
pub fn token_at(tokens: &[Token], off: usize) -> Option<&Token> {
    tokens
        .iter()
        .find(|t| t.span.touches(off) && t.kind != TokenKind::Comment)
}

/// A contextual keyword where it is one: its span, and the playbook (and
/// clause) it belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Contextual<'a> {
    Cooldown(Span, &'a str, &'a vital_syntax::ast::Cooldown),
    Owner(Span, &'a str, &'a vital_syntax::ast::Owner),
    Started(Span, &'a str),
}

impl Contextual<'_> {
    pub fn span(&self) -> Span {
        match self {
            Contextual::Cooldown(s, ..) | Contextual::Owner(s, ..) | Contextual::Started(s, _) => {
                *s
            }
        }
    }
}
