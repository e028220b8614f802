//! One account at one date, validated against the rule set's schema.

use chrono::NaiveDate;
use std::sync::Arc;
use vital_check::ir::ArmId;
use vital_check::value::Value;

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One occurrence of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub date: NaiveDate,
    /// By field index of the event's declaration.
    pub fields: Box<[Value]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub status: ArmId,
    pub until: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// A validated snapshot. Events dated after `as_of` are already dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub account: Arc<str>,
    pub as_of: NaiveDate,
    /// By signal index; `Missing` where absent.
    pub signals: Box<[Value]>,
    /// By event index: that event's occurrences.
    pub events: Box<[Vec<Occurrence>]>,
    pub override_: Option<Override>,
    pub origin: Origin,
}

impl Snapshot {
    /// The override, when it is in force on `as_of`.
    pub fn override_in_force(&self) -> Option<&Override> {
        self.override_
            .as_ref()
            .filter(|o| o.until.is_none_or(|u| u >= self.as_of))
    }
}
