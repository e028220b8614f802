//! Did-you-mean suggestions: one implementation, in `vital-syntax` so the
//! project file and the input reader use it too.

pub use vital_syntax::suggest::did_you_mean;
