//! `vital diff`: the impact of a rule change. Two checked rule sets (base
//! and head) are evaluated over the same snapshots; this crate matches
//! their statuses, scores, playbooks and rules, counts what differs over
//! every account ([`compare::Tally`], which merges across threads), and
//! renders the [`model::Report`] for people (human, markdown) and machines
//! (JSON, docs/diff.md). Reading rules and snapshots is the CLI's.

pub mod compare;
pub mod fail_on;
pub mod model;
pub mod render;
pub mod schema;

pub use compare::{Plan, Side, SideDef, Tally};
pub use fail_on::Threshold;
pub use model::Report;
