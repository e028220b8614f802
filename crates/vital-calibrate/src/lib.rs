//! `vital calibrate`: is the health score predictive? Scored snapshots are
//! labelled with what happened to each account within a horizon (an
//! outcomes file), then measured: ROC AUC of health, churn rates per status,
//! decile, score range and rule, and weights fitted on earlier snapshots and
//! tested on later ones. The method is written down in docs/calibrate.md.
//!
//! Rule evaluation stays in `vital-eval`'s engine; this crate only reads
//! its outcomes ([`collect`]), does the statistics ([`stats`],
//! [`analyze`]), renders the report ([`render`]) and rewrites weights in
//! rule files ([`rewrite`]).

pub mod analyze;
pub mod collect;
pub mod html;
pub mod outcomes;
pub mod render;
pub mod rewrite;
pub mod stats;

pub use analyze::{analyze, Options, Report};
pub use outcomes::Outcomes;
