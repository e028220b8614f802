//! The built-in functions.

/// A built-in function. The checker resolves a call's name to one of these
/// and checks its arguments by variant; the language server lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Last,
    First,
    DaysSince,
    DaysUntil,
    Clamp,
    Abs,
    Round,
    Linear,
    Previous,
    Change,
}

impl Builtin {
    /// Every built-in function, in the order documentation lists them.
    pub const ALL: [Builtin; 15] = [
        Builtin::Count,
        Builtin::Sum,
        Builtin::Avg,
        Builtin::Min,
        Builtin::Max,
        Builtin::Last,
        Builtin::First,
        Builtin::DaysSince,
        Builtin::DaysUntil,
        Builtin::Clamp,
        Builtin::Abs,
        Builtin::Round,
        Builtin::Linear,
        Builtin::Previous,
        Builtin::Change,
    ];

    /// The function a name calls.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    pub const fn name(self) -> &'static str {
        match self {
            Builtin::Count => "count",
            Builtin::Sum => "sum",
            Builtin::Avg => "avg",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::Last => "last",
            Builtin::First => "first",
            Builtin::DaysSince => "days_since",
            Builtin::DaysUntil => "days_until",
            Builtin::Clamp => "clamp",
            Builtin::Abs => "abs",
            Builtin::Round => "round",
            Builtin::Linear => "linear",
            Builtin::Previous => "previous",
            Builtin::Change => "change",
        }
    }

    /// The signature for people.
    pub const fn signature(self) -> &'static str {
        match self {
            Builtin::Count => "count(EVENT [where COND] [within DURATION]) -> int",
            Builtin::Sum => "sum(EVENT.FIELD [where COND] [within DURATION]) -> field type",
            Builtin::Avg => "avg(EVENT.FIELD [where COND] [within DURATION]) -> number",
            Builtin::Min => "min(a, b, ...) -> numeric | min(EVENT.FIELD …) -> field type",
            Builtin::Max => "max(a, b, ...) -> numeric | max(EVENT.FIELD …) -> field type",
            Builtin::Last => "last(EVENT [where COND] [within DURATION]) -> date",
            Builtin::First => "first(EVENT [where COND] [within DURATION]) -> date",
            Builtin::DaysSince => "days_since(date) -> int",
            Builtin::DaysUntil => "days_until(date) -> int",
            Builtin::Clamp => "clamp(x, lo, hi) -> numeric",
            Builtin::Abs => "abs(x) -> numeric",
            Builtin::Round => "round(x) -> int",
            Builtin::Linear => "linear(x, lo, hi) -> number",
            Builtin::Previous => "previous(X, DURATION) -> X's type",
            Builtin::Change => "change(X, DURATION) -> X's type",
        }
    }

    /// What it computes, in one sentence.
    pub const fn doc(self) -> &'static str {
        match self {
            Builtin::Count => "Occurrences matching the event query.",
            Builtin::Sum => "Sum of a numeric field; missing when no occurrence has it.",
            Builtin::Avg => "Average of a numeric field; missing when no occurrence has it.",
            Builtin::Min => "Smallest of two or more values, or of an event field.",
            Builtin::Max => "Largest of two or more values, or of an event field.",
            Builtin::Last => "Date of the newest matching occurrence; missing when none.",
            Builtin::First => "Date of the oldest matching occurrence; missing when none.",
            Builtin::DaysSince => "Whole days from the date to as_of (signed).",
            Builtin::DaysUntil => "Whole days from as_of to the date (signed).",
            Builtin::Clamp => "x limited to lo..hi.",
            Builtin::Abs => "Absolute value.",
            Builtin::Round => "Nearest whole number, half away from zero.",
            Builtin::Linear => {
                "0 at lo, 100 at hi, straight in between, clamped to 0..100; lo > hi inverts."
            }
            Builtin::Previous => {
                "X (a signal, score or health) in the latest snapshot dated on or before as_of − DURATION."
            }
            Builtin::Change => "X − previous(X, DURATION).",
        }
    }

    /// Pure: the same arguments give the same value for every account, so
    /// a constant may call it.
    pub const fn is_pure(self) -> bool {
        matches!(
            self,
            Builtin::Min
                | Builtin::Max
                | Builtin::Clamp
                | Builtin::Abs
                | Builtin::Round
                | Builtin::Linear
        )
    }

    /// `(name, signature, doc)` of every function (the form the language
    /// server reads).
    pub(crate) const fn table() -> [(&'static str, &'static str, &'static str); 15] {
        let mut out = [("", "", ""); 15];
        let mut i = 0;
        while i < Builtin::ALL.len() {
            let b = Builtin::ALL[i];
            out[i] = (b.name(), b.signature(), b.doc());
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Builtin;

    #[test]
    fn names_round_trip() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_name(b.name()), Some(b));
        }
        assert_eq!(Builtin::from_name("median"), None);
    }
}
