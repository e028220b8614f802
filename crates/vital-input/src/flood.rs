//! Printing rejections without flooding: after the first
//! [`RejectionLog::LIMIT`] rejections of one kind, the rest of that kind
//! are counted, and one line per kind says how many were not printed.
//!
//! The lines are printed at the end, in input order (file, then line): a
//! non-optional signal missing from a record has to wait for the end —
//! when it is missing from every record read (a column the export does not
//! have), one line says so instead of one per record — and the others wait
//! with it, so the report reads top to bottom. At most [`RejectionLog::LIMIT`]
//! lines of each kind are held.

use std::collections::BTreeMap;
use std::io::Write;
use vital_eval::reader::Problem;
use vital_eval::Rejection;

/// Counts rejections and prints the first of each kind.
#[derive(Debug, Default)]
pub struct RejectionLog {
    by_problem: BTreeMap<Problem, usize>,
    total: usize,
    /// The rejections printed in full, with where they are in the input
    /// (the file's rank among the files seen, the line), printed at the end.
    held: Vec<((usize, usize), String)>,
    /// The files of the rejections, in the order first seen.
    files: Vec<String>,
    /// The file of the first rejection of each kind.
    first_file: BTreeMap<Problem, String>,
}

impl RejectionLog {
    /// Rejections of one kind printed in full.
    pub const LIMIT: usize = 20;

    /// Count a rejection; hold it for [`RejectionLog::finish`] unless its
    /// kind is past the limit.
    pub fn record(&mut self, r: &Rejection) {
        self.total += 1;
        let n = self.by_problem.entry(r.problem.clone()).or_default();
        *n += 1;
        if *n == 1 {
            self.first_file
                .insert(r.problem.clone(), r.origin.file.to_string());
        }
        if *n <= Self::LIMIT {
            // `FILE:LINE: account ID: reason` (`FILE row N` in Parquet)
            let line = format!(
                "{}: account {}: {}",
                crate::place(&r.origin),
                r.account,
                r.reason
            );
            let file = &*r.origin.file;
            let rank = match self.files.iter().position(|f| f == file) {
                Some(i) => i,
                None => {
                    self.files.push(file.to_string());
                    self.files.len() - 1
                }
            };
            self.held.push(((rank, r.origin.line), line));
        }
    }

    /// The rejections held so far, in input order, for a command that
    /// stops on an error before [`RejectionLog::finish`] (they were read,
    /// and are worth seeing).
    pub fn print_held(&self, out: &mut dyn Write) {
        for line in self.in_order() {
            let _ = writeln!(out, "{line}");
        }
    }

    /// The held lines in input order (file, then line).
    fn in_order(&self) -> Vec<&String> {
        let mut held: Vec<&((usize, usize), String)> = self.held.iter().collect();
        held.sort_by_key(|(at, _)| *at);
        held.into_iter().map(|(_, line)| line).collect()
    }

    /// Rejections recorded.
    pub fn total(&self) -> usize {
        self.total
    }

    /// One line per kind whose rejections were not all printed, e.g.
    /// `… and 249,980 more records rejected: duplicate snapshot`.
    ///
    /// `records` is the number of records read; `hint` may give a clause
    /// naming the input column a missing signal probably is
    /// ([`crate::renamed_hint`]).
    pub fn finish(
        &self,
        records: usize,
        hint: &dyn Fn(&str) -> Option<String>,
        out: &mut dyn Write,
    ) {
        let everywhere = |p: &Problem| match p {
            Problem::MissingSignal(_) => self.by_problem.get(p) == Some(&records),
            _ => false,
        };
        for line in self.in_order() {
            let shown = self
                .by_problem
                .keys()
                .filter(|p| everywhere(p))
                .all(|p| match p {
                    Problem::MissingSignal(s) => {
                        !line.contains(&format!("signal `{s}` is missing"))
                    }
                    _ => true,
                });
            if shown {
                let _ = writeln!(out, "{line}");
            }
        }
        if records > 0 && self.by_problem.get(&Problem::NotUtf8) == Some(&records) {
            let _ = writeln!(
                out,
                "no line of the input is valid UTF-8: it is in another encoding (Latin-1 or Windows-1252?); save it as UTF-8"
            );
        }
        for (problem, n) in &self.by_problem {
            if everywhere(problem) {
                if let Problem::MissingSignal(s) = problem {
                    let guess = hint(s).unwrap_or_default();
                    let file = self.first_file.get(problem).map_or("", String::as_str);
                    let _ = writeln!(
                        out,
                        "{file}: signal `{s}` is missing from every record ({} record{}): it is not optional, so none was scored{guess}",
                        thousands(*n),
                        if *n == 1 { "" } else { "s" }
                    );
                }
                continue;
            }
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
