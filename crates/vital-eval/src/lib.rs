//! Vital's evaluator: reads snapshot records against a checked rule set and
//! computes every account's scores, health, status and playbooks (docs/language.md
//! §6–§9).
//!
//! It takes only the checked, typed [`vital_check::RuleSet`] — never the
//! syntax tree. Evaluation is a pure function of the rules and the snapshots:
//! no clock, no I/O (the command line reads files and writes results).

pub mod compiled;
pub mod engine;
pub mod explain;
pub mod fixed;
pub mod mapping;
pub mod reader;
pub mod results;
pub mod snapshot;
pub mod started;
pub mod table;
pub mod testing;

pub use engine::{Engine, Outcome, Scored};
pub use mapping::{Mapping, SignalMapping};
pub use reader::{Ignored, Rejection, Schema};
pub use snapshot::{Events, Fields, Occurrence, Origin, Override, Snapshot};
