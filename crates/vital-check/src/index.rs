//! Every occurrence of every name, resolved: what the language server needs
//! for hover, go to definition, references, rename and semantic tokens.

use crate::ir::{ArmId, ConstId, EnumId, EventId, FieldId, ScoreId, SignalId};
use vital_syntax::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    Signal(SignalId),
    Event(EventId),
    Field(EventId, FieldId),
    Const(ConstId),
    Score(ScoreId),
    Variant(EnumId, u32),
    StatusArm(ArmId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub file: FileId,
    pub span: Span,
    pub symbol: Symbol,
    /// The declaring occurrence.
    pub decl: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    pub fn add(&mut self, file: FileId, span: Span, symbol: Symbol, decl: bool) {
        self.occurrences.push(Occurrence {
            file,
            span,
            symbol,
            decl,
        });
    }

    /// The occurrence under a cursor.
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.file == file && o.span.touches(offset))
    }

    /// Where a symbol is declared.
    pub fn declaration(&self, symbol: Symbol) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.symbol == symbol && o.decl)
    }

    /// Every occurrence of a symbol, declaration included.
    pub fn references(&self, symbol: Symbol) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(move |o| o.symbol == symbol)
    }
}
