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

/// An occurrence's field values: most events have at most two fields, held
/// without an allocation of their own.
pub type Fields = smallvec::SmallVec<[Value; 2]>;

/// One occurrence of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// The event's index in the rule set.
    pub event: u32,
    pub date: NaiveDate,
    /// By field index of the event's declaration (inline up to two).
    pub fields: Fields,
}

/// A snapshot's event occurrences by event index, all in one list (one
/// allocation, none for a snapshot without events).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Events {
    /// Grouped by event index, each event's in input order.
    list: Vec<Occurrence>,
    /// Where each event's occurrences end in `list`.
    ends: smallvec::SmallVec<[u32; 6]>,
}

impl Events {
    /// From each event's occurrences, by event index.
    pub fn from_lists(lists: Vec<Vec<Occurrence>>) -> Events {
        let mut ends = smallvec::SmallVec::with_capacity(lists.len());
        let mut list = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        for l in lists {
            list.extend(l);
            ends.push(u32::try_from(list.len()).unwrap_or(u32::MAX));
        }
        Events { list, ends }
    }

    /// From occurrences in input order, for a rule set of `events` events
    /// (an occurrence of an event beyond is dropped).
    pub fn from_list(events: usize, mut list: Vec<Occurrence>) -> Events {
        list.retain(|o| (o.event as usize) < events);
        // stable: each event's occurrences keep their order
        if !list.is_sorted_by_key(|o| o.event) {
            list.sort_by_key(|o| o.event);
        }
        let mut ends = smallvec::SmallVec::with_capacity(events);
        let mut at = 0usize;
        for e in 0..events {
            while list.get(at).is_some_and(|o| o.event as usize == e) {
                at += 1;
            }
            ends.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        Events { list, ends }
    }

    /// No events of `n` event types.
    pub fn none(n: usize) -> Events {
        Events {
            list: Vec::new(),
            ends: smallvec::smallvec![0; n],
        }
    }

    /// The occurrences of event `e`.
    pub fn of(&self, e: usize) -> &[Occurrence] {
        let end = self.ends.get(e).map_or(0, |x| *x as usize);
        let start = match e.checked_sub(1) {
            Some(p) => self.ends.get(p).map_or(0, |x| *x as usize),
            None => 0,
        };
        self.list.get(start..end).unwrap_or(&[])
    }

    /// Each event's occurrences, by event index.
    pub fn iter(&self) -> impl Iterator<Item = &[Occurrence]> + '_ {
        (0..self.ends.len()).map(|e| self.of(e))
    }

    /// How many event types.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every occurrence, of every event.
    pub fn all(&self) -> &[Occurrence] {
        &self.list
    }
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
    pub events: Events,
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
