//! Vital's syntax: the logos lexer, the pest grammar (`grammar/vital.pest`),
//! the AST with byte spans, the item splitter that gives multi-error
//! recovery, the one diagnostic type, and the formatter.
//!
//! Parsing never fails: [`parse`] returns every item it could build plus a
//! diagnostic for each one it could not.

pub mod ast;
pub mod diagnostic;
pub mod format;
pub mod items;
pub mod lexer;
mod moved;
mod parser;
mod source;
pub mod suggest;

pub use diagnostic::{Code, Diagnostic, FileId, Fix, Related, Report, Severity};
pub use parser::{parse, parse_number, parse_reusing, ParsedFile, MAX_NESTING};
pub use source::{LineCol, SourceFile, SourceMap};

/// A byte range in one file. Positions stay byte offsets until the CLI/LSP
/// boundary.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    /// Contains `offset`, counting the end as inside (a cursor just after a
    /// name is "on" it).
    pub fn touches(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{}..{}", self.start, self.end)
    }
}
