//! Reading snapshot inputs — the one implementation behind `vital run`,
//! `vital explain` and every later command that reads snapshots.
//!
//! An [`Input`] is a file named on the command line (`.jsonl`, `.json`,
//! `.csv`, `.parquet`: docs/parquet.md, `parquet.rs`) or standard input (`-`, JSON Lines, spooled to a temporary file so
//! it is read exactly as a file is). A [`Reader`] turns the inputs into
//! [`Batch`]es: whole account histories (every accepted snapshot of an
//! account, duplicates removed) plus the records it rejected, each naming
//! file, line, account and reason.
//!
//! Memory: one JSON Lines input is read in blocks on every core
//! ([`Reader::blocks`], `blocks.rs`) while a scanner checks that every
//! account's records are consecutive; results are handed on only once it
//! has, and memory stays flat. Another single input whose accounts are
//! consecutive (one cheap pre-scan tells) is streamed in batches of about
//! [`BATCH`] records, and memory stays flat too; otherwise the
//! inputs are read whole and grouped by account (several inputs are one
//! history: an account's snapshots in different files meet). A JSON array is
//! always read whole.
//!
//! Record parsing itself (one record's text → a validated
//! [`vital_eval::Snapshot`] or a [`vital_eval::Rejection`]) is
//! [`vital_eval::Schema`]'s; this crate does the I/O, the grouping and the
//! batching around it.

mod blocks;
mod flood;
mod mapping;
mod parquet;
mod profile;
mod reader;
mod source;

pub use blocks::BlockGroups;
pub use flood::{thousands, RejectionLog};
pub use mapping::{mapping_for, MappingError};
pub use parquet::place;
pub use profile::{near_miss, renamed_hint, Profile};
pub use reader::{Batch, Reader, Select, Stopped, BATCH};
pub use source::{io_reason, Format, Input, InputError};
