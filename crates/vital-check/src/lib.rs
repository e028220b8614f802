//! Vital's checker: name resolution across every file of a rule set, type
//! checking, constant evaluation. It turns parsed files into a typed,
//! resolved [`RuleSet`] — the only thing the evaluator ever sees — plus
//! diagnostics, and an [`Index`] of every name occurrence for the language
//! server.

mod builtin;
mod checker;
pub mod eval;
pub mod index;
pub mod ir;
pub mod load;
mod suggest;
pub mod value;

pub use builtin::Builtin;
pub use index::{Index, Occurrence, Symbol};
pub use ir::{RuleSet, Type};
pub use suggest::did_you_mean;

use vital_syntax::{Diagnostic, ParsedFile, SourceMap};

/// The names of the built-in functions, with their signatures for people
/// (see [`Builtin`]).
pub const FUNCTIONS: &[(&str, &str, &str)] = &Builtin::table();

/// A checked rule set.
#[derive(Debug, Clone)]
pub struct Checked {
    pub rules: RuleSet,
    /// Every diagnostic of the set, parse errors included, sorted by file and
    /// position.
    pub diagnostics: Vec<Diagnostic>,
    /// The parsed files, in the order of the source map.
    pub parsed: Vec<ParsedFile>,
    pub index: Index,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The rule set, when it has no errors. The evaluator takes nothing else.
    pub fn valid(&self) -> Option<&RuleSet> {
        (self.error_count() == 0).then_some(&self.rules)
    }
}

/// Parse and check every file of `sources` as one rule set. Files are taken in
/// the map's order, which callers make path order.
pub fn check(sources: &SourceMap) -> Checked {
    let parsed: Vec<ParsedFile> = sources
        .files()
        .map(|(id, f)| vital_syntax::parse(id, &f.text))
        .collect();
    check_parsed(parsed)
}

/// Check files that are already parsed (the language server keeps parses of
/// unchanged files).
pub fn check_parsed(parsed: Vec<ParsedFile>) -> Checked {
    // expression trees are bounded (vital_syntax::MAX_NESTING) but walked
    // recursively: guarantee the room whatever thread calls us
    let (rules, mut diagnostics, index) =
        stacker::maybe_grow(1 << 20, 8 << 20, || checker::run(&parsed));
    for p in &parsed {
        diagnostics.extend(p.diagnostics.iter().cloned());
    }
    vital_syntax::diagnostic::sort_diagnostics(&mut diagnostics);
    Checked {
        rules,
        diagnostics,
        parsed,
        index,
    }
}
