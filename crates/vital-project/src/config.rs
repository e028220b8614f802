//! The keys of `vital.toml`, as serde reads them (docs/project.md). Every
//! table denies unknown keys; `lib.rs` turns serde's message into a
//! did-you-mean.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    pub project: Option<ProjectTable>,
    #[serde(default)]
    pub rulesets: BTreeMap<String, RuleSetTable>,
    #[serde(default)]
    pub history: Option<HistoryTable>,
    #[serde(default)]
    pub notify: Option<NotifyTable>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProjectTable {
    pub name: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetTable {
    pub path: Spanned<String>,
    #[serde(default)]
    pub inputs: Vec<Spanned<String>>,
    pub sample: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub at_risk: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub gates: GatesTable,
    #[serde(default)]
    pub read: ReadTable,
    #[serde(default)]
    /// Keyed by the signal's name as written (its span: where a mistake in
    /// it is shown).
    pub columns: BTreeMap<Spanned<String>, Spanned<ColumnEntry>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GatesTable {
    pub max_rejected: Option<Spanned<Threshold>>,
    #[serde(default)]
    pub require_columns: bool,
    #[serde(default)]
    pub fail_on_warnings: bool,
}

/// `max_rejected`: a count or a share written `"1%"`.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(untagged)]
pub enum Threshold {
    Count(u64),
    Text(String),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReadTable {
    pub delimiter: Option<Spanned<String>>,
    #[serde(default)]
    pub nulls: Vec<String>,
    #[serde(default)]
    pub true_values: Vec<String>,
    #[serde(default)]
    pub false_values: Vec<String>,
    pub account: Option<Spanned<String>>,
}

/// A signal's entry under `columns`: a column name, or a table.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum ColumnEntry {
    Column(String),
    Table(ColumnTable),
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ColumnTable {
    pub column: Option<String>,
    pub scale: Option<f64>,
    pub format: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HistoryTable {
    pub store: Option<Spanned<String>>,
    /// A count of days (`7`) or a duration (`"7 days"`, `"2 weeks"`);
    /// read as any TOML value so that a wrong one gets its own message.
    pub stale_after: Option<Spanned<toml::Value>>,
}

/// `[notify]`: where `vital notify` delivers playbook starts.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NotifyTable {
    pub webhook: Option<Spanned<String>>,
    pub attempts: Option<Spanned<i64>>,
    pub backoff_ms: Option<Spanned<i64>>,
    pub timeout_ms: Option<Spanned<i64>>,
}

/// Every key a table allows, for did-you-mean on an unknown one.
pub const KEYS: &[&str] = &[
    "project",
    "rulesets",
    "history",
    "name",
    "path",
    "inputs",
    "sample",
    "value",
    "at_risk",
    "gates",
    "read",
    "columns",
    "max_rejected",
    "require_columns",
    "fail_on_warnings",
    "delimiter",
    "nulls",
    "true_values",
    "false_values",
    "account",
    "column",
    "scale",
    "format",
    "values",
    "store",
    "stale_after",
    "notify",
    "webhook",
    "attempts",
    "backoff_ms",
    "timeout_ms",
];
