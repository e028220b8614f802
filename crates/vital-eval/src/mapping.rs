//! How an export writes the rule set's signals, when it differs from the
//! rule set (docs/project.md, `[rulesets.NAME.read]` and `.columns`):
//! applied by [`crate::Schema`] while each record is read, so there is no
//! second pass over the data.

use rust_decimal::Decimal;
use vital_check::ir::SignalId;

/// Reading settings of one rule set's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// CSV field delimiter.
    pub delimiter: u8,
    /// Strings (CSV cells, JSON strings) that mean missing.
    pub nulls: Vec<String>,
    /// Further spellings of `true` and `false`.
    pub true_values: Vec<String>,
    pub false_values: Vec<String>,
    /// A JSON `account` may be a number.
    pub numeric_account: bool,
    /// By signal index (shorter when the last signals have no mapping).
    pub signals: Vec<SignalMapping>,
    /// The rule set's name in vital.toml, for hints that point there.
    pub ruleset: Option<String>,
}

/// How one signal is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalMapping {
    /// The column or key it is read from, instead of its own name.
    pub column: Option<String>,
    /// Numbers are multiplied by this (`100`: fractions for a percent).
    pub scale: Option<Decimal>,
    /// A `strftime` format for a `date`.
    pub format: Option<String>,
    /// Spellings of enum variants → variant index.
    pub values: Vec<(String, u32)>,
}

/// No mapping: the export uses the rule set's names and §7's value forms.
pub static NONE: Mapping = Mapping {
    delimiter: b',',
    nulls: Vec::new(),
    true_values: Vec::new(),
    false_values: Vec::new(),
    numeric_account: false,
    signals: Vec::new(),
    ruleset: None,
};

impl Default for Mapping {
    fn default() -> Mapping {
        NONE.clone()
    }
}

impl Mapping {
    /// Where a signal's mapping goes in vital.toml: `[rulesets.main.columns]`,
    /// or with no project file `[rulesets.NAME.columns]`.
    pub fn columns_table(&self) -> String {
        format!(
            "[rulesets.{}.columns]",
            self.ruleset.as_deref().unwrap_or("NAME")
        )
    }

    /// The signal's mapping, if it has one.
    pub fn signal(&self, i: SignalId) -> Option<&SignalMapping> {
        self.signals.get(i.index())
    }

    /// Is `text` one of the null markers?
    pub fn is_null(&self, text: &str) -> bool {
        self.nulls.iter().any(|n| n == text)
    }

    /// `text` as a bool through the configured spellings.
    pub fn bool_word(&self, text: &str) -> Option<bool> {
        if self.true_values.iter().any(|t| t == text) {
            Some(true)
        } else if self.false_values.iter().any(|f| f == text) {
            Some(false)
        } else {
            None
        }
    }

    /// Does reading a signal's value need more than §7's forms?
    pub(crate) fn touches_values(&self, i: SignalId) -> bool {
        !self.nulls.is_empty()
            || !self.true_values.is_empty()
            || !self.false_values.is_empty()
            || self
                .signal(i)
                .is_some_and(|m| m.scale.is_some() || m.format.is_some() || !m.values.is_empty())
    }
}
