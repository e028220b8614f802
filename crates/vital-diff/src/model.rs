//! The report of `vital diff`: what the renderers draw and what `--format
//! json` writes. The JSON shape is documented in docs/diff.md and is
//! stable: fields are added, never renamed or removed, within a `version`.

use serde::Serialize;

/// The version of the JSON schema (docs/diff.md).
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub version: u32,
    pub base: SideInfo,
    pub head: SideInfo,
    /// The money signal `vital.toml` names as the account's value.
    pub value_signal: Option<String>,
    pub records: Records,
    pub accounts: Accounts,
    pub statuses: Statuses,
    pub health: Health,
    pub rules: Vec<RuleRow>,
    pub scores: Vec<ScoreRow>,
    pub playbooks: Vec<PlaybookRow>,
    pub schema: SchemaDiff,
    pub tests: Tests,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideInfo {
    /// As given: a directory, or `REV:path` for a git revision.
    pub label: String,
    pub files: usize,
    /// Adjustment and trigger rules.
    pub rules: usize,
}

/// What was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Records {
    /// Snapshot inputs, as named.
    pub inputs: Vec<String>,
    /// Records read (by head).
    pub read: usize,
    /// Both sides declare the same signals, events and status arms: the
    /// input was parsed once and evaluated twice.
    pub shared: bool,
    pub base_rejected: usize,
    pub head_rejected: usize,
    /// Why head rejects records that base accepts (or, when shared, why
    /// both reject), by kind, most frequent first.
    pub head_rejections: Vec<Rejections>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejections {
    /// The first reason of the kind, as `vital run` prints it.
    pub reason: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accounts {
    /// Scored by both sides (each account's latest snapshot).
    pub compared: usize,
    /// Scored by base only (head rejects every record of the account).
    pub only_base: usize,
    /// Scored by head only.
    pub only_head: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statuses {
    /// Every status arm of either side: head's in order, then base's others.
    pub arms: Vec<String>,
    /// The arms that count as at risk (`at_risk` of vital.toml, else the
    /// last arm of head's status block).
    pub at_risk: Vec<String>,
    /// Compared accounts whose reported status differs.
    pub changed: usize,
    /// `changed` / `accounts.compared` (0 when nothing was compared).
    pub changed_share: f64,
    /// The account value of the changed accounts (with `value_signal`).
    pub changed_value: Option<f64>,
    pub into_at_risk: Moved,
    pub out_of_risk: Moved,
    /// The transition matrix: every (from, to) pair with at least one
    /// account, diagonal included; `null` is "no status".
    pub matrix: Vec<Transition>,
    /// Every account whose status changed: largest value first (with
    /// `value_signal`), else most health lost first.
    pub changes: Vec<StatusChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    pub count: usize,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub from: Option<String>,
    pub to: Option<String>,
    pub count: usize,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub account: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub base_health: Option<f64>,
    pub head_health: Option<f64>,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// Means over the compared accounts whose health is not n/a.
    pub base_mean: Option<f64>,
    pub head_mean: Option<f64>,
    /// `head_mean - base_mean`.
    pub mean_shift: Option<f64>,
    /// Compared accounts whose health differs (n/a counts as a value).
    pub changed: usize,
    pub became_na: usize,
    pub no_longer_na: usize,
    pub quantiles: Vec<Quantile>,
    /// Health deltas (head − base) of the accounts with both.
    pub histogram: Vec<Bin>,
    /// The accounts with the largest change, largest first.
    pub largest: Vec<Mover>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantile {
    /// 0.1, 0.25, 0.5, 0.75, 0.9.
    pub q: f64,
    pub base: Option<f64>,
    pub head: Option<f64>,
    pub shift: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    /// For people: `-20 or less`, `-5 to -1`, `0`, `+1 to +5`…
    pub label: String,
    /// Bounds of the delta: `min <= delta <= max`; `null` is unbounded.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mover {
    pub account: String,
    pub base: f64,
    pub head: f64,
    pub delta: f64,
    pub base_status: Option<String>,
    pub head_status: Option<String>,
    /// The rules whose firing differs for this account.
    pub rules: Vec<Flip>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flip {
    /// The rule's name, else its text.
    pub rule: String,
    pub kind: RuleKind,
    pub base: bool,
    pub head: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Adjustment,
    Trigger,
}

/// How a rule of one side was found on the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Matched {
    /// By its name (`rule "NAME"`).
    Name,
    /// An unnamed rule, by identical text.
    Text,
    /// Only in base.
    Removed,
    /// Only in head.
    Added,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    pub kind: RuleKind,
    pub name: Option<String>,
    /// Head's text (base's for a removed rule), on one line.
    pub text: String,
    pub matched: Matched,
    /// Matched by name and the text differs.
    pub edited: bool,
    /// Compared accounts it fires for; `null` on the side without it.
    pub base: Option<usize>,
    pub head: Option<usize>,
    /// Compared accounts for which it fires on one side only.
    pub differs: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreChange {
    Same,
    Edited,
    Renamed,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    pub name: String,
    pub change: ScoreChange,
    /// For a renamed score: base's name.
    pub renamed_from: Option<String>,
    pub base_weight: Option<f64>,
    pub head_weight: Option<f64>,
    /// Means over the compared accounts where the score is not n/a.
    pub base_mean: Option<f64>,
    pub head_mean: Option<f64>,
    pub mean_shift: Option<f64>,
    /// Compared accounts where base has a value and head has n/a.
    pub became_na: usize,
    pub no_longer_na: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaybookRow {
    pub name: String,
    /// Compared accounts that get it.
    pub base: usize,
    pub head: usize,
    /// Accounts that get it under head and not under base.
    pub started: usize,
    pub stopped: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SchemaDiff {
    pub signals: Changes,
    pub events: Changes,
    pub scores: Changes,
    pub statuses: Changes,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Changes {
    pub added: Vec<Decl>,
    pub removed: Vec<Decl>,
    pub retyped: Vec<Retyped>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.retyped.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decl {
    pub name: String,
    /// `money`, `int?`, `{severity: enum(low, high), …}` for an event,
    /// `weight 35` for a score.
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retyped {
    pub name: String,
    pub base: String,
    pub head: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Tests {
    pub base: TestCount,
    pub head: TestCount,
    /// Head's tests that fail, and pass in base or are new.
    pub newly_failing: Vec<String>,
    /// Head's tests that pass and fail in base.
    pub newly_passing: Vec<String>,
    /// Every failing test of head.
    pub failing: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct TestCount {
    pub passed: usize,
    pub failed: usize,
}
