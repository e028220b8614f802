//! Printing rejections without flooding: after the first
//! [`RejectionLog::LIMIT`] rejections of one kind, the rest of that kind
//! are counted, and one line per kind says how many were not printed.

use std::collections::BTreeMap;
use std::io::Write;
use vital_eval::reader::Problem;
use vital_eval::Rejection;

/// Counts rejections and prints the first of each kind.
#[derive(Debug, Default)]
pub struct RejectionLog {
    by_problem: BTreeMap<Problem, usize>,
    total: usize,
}

impl RejectionLog {
    /// Rejections of one kind printed in full.
    pub const LIMIT: usize = 20;

    /// Count a rejection; print it unless its kind is past the limit.
    pub fn record(&mut self, r: &Rejection, out: &mut dyn Write) {
        self.total += 1;
        let n = self.by_problem.entry(r.problem.clone()).or_default();
        *n += 1;
        if *n <= Self::LIMIT {
            let _ = writeln!(out, "{r}");
        }
    }

    /// Rejections recorded.
    pub fn total(&self) -> usize {
        self.total
    }

    /// One line per kind whose rejections were not all printed, e.g.
    /// `… and 249,980 more records rejected: duplicate snapshot`.
    pub fn finish(&self, out: &mut dyn Write) {
        for (problem, n) in &self.by_problem {
            if *n > Self::LIMIT {
                let more = n - Self::LIMIT;
                let _ = writeln!(
                    out,
                    "… and {} more record{} rejected: {problem}",
                    thousands(more),
                    if more == 1 { "" } else { "s" }
                );
            }
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(249_980), "249,980");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
