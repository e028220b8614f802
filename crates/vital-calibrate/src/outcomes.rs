//! The outcomes file: `account,date,outcome`, one row per account event
//! that matters (docs/calibrate.md).

use chrono::NaiveDate;
use std::collections::HashMap;

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Churned,
    Renewed,
    Contracted,
    Expanded,
}

impl Kind {
    pub const NAMES: &'static str = "churned, renewed, contracted or expanded";

    fn parse(s: &str) -> Option<Kind> {
        match s {
            "churned" => Some(Kind::Churned),
            "renewed" => Some(Kind::Renewed),
            "contracted" => Some(Kind::Contracted),
            "expanded" => Some(Kind::Expanded),
            _ => None,
        }
    }
}

/// A row that was not used: where it is and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// The outcomes read, by account, in date order.
#[derive(Debug, Clone, Default)]
pub struct Outcomes {
    pub by_account: HashMap<String, Vec<(NaiveDate, Kind)>>,
    /// Rows read (used or not), without the header.
    pub rows: usize,
    pub bad: Vec<BadRow>,
    /// The latest date of a row used.
    pub latest: Option<NaiveDate>,
}

/// Reads an outcomes CSV. Columns are found by their header names
/// (`account`, `date`, `outcome`, in any order; other columns are
/// ignored). A header without one of them is an error; a bad row is
/// reported in [`Outcomes::bad`] and the other rows are used.
pub fn parse(file: &str, text: &str) -> Result<Outcomes, String> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{file}: the header cannot be read: {e}"))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(ca), Some(cd), Some(co)) = (col("account"), col("date"), col("outcome")) else {
        let found: Vec<&str> = headers.iter().collect();
        return Err(format!(
            "{file}:1: expected a header with the columns account, date and outcome, found {}",
            if found.is_empty() {
                "nothing".to_string()
            } else {
                found.join(",")
            }
        ));
    };
    let mut out = Outcomes::default();
    // after a stray quote, reading resumes on the line after it: `base` is
    // where the reader starts in `text`, `lines_before` the lines before it
    let mut base = 0usize;
    let mut lines_before = 0usize;
    loop {
        let mut resume: Option<(usize, usize)> = None;
        let mut records = reader.records();
        while let Some(rec) = records.next() {
            out.rows += 1;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = lines_before + e.position().map_or(0, |p| p.line() as usize);
                    out.bad.push(BadRow {
                        file: file.to_string(),
                        line,
                        reason: format!("the row cannot be read as CSV: {e}"),
                    });
                    continue;
                }
            };
            // a quote never closed where its cell ends: the rows after it were
            // read into one field (only a row with a line break in a field can
            // be one); the line is rejected and the next one read on its own
            if rec.iter().any(|c| c.contains('\n')) {
                let start = base + rec.position().map_or(0, |p| p.byte() as usize);
                let end = base + records.reader().position().byte() as usize;
                let bytes = text.as_bytes();
                let record = bytes.get(start..end.max(start)).unwrap_or_default();
                let stray = vital_eval::reader::csv_stray_quote(
                    record,
                    end >= bytes.len(),
                    b',',
                    headers.len(),
                );
                if let Some(stray) = stray {
                    let at = start + stray.line.start;
                    let line =
                        lines_before + 1 + bytes[base..at].iter().filter(|&&b| b == b'\n').count();
                    out.bad.push(BadRow {
                        file: file.to_string(),
                        line,
                        reason: format!(
                            "a quote opened on this line is {}; the line is not used and the next line is read as a row of its own: close the quote, or write a quote inside a field twice: \"\"",
                            if stray.never_closed { "never closed" } else { "not closed where its cell ends" }
                        ),
                    });
                    resume = Some((start + stray.next, line));
                    break;
                }
            }
            let line = lines_before + rec.position().map_or(0, |p| p.line() as usize);
            let bad = |reason: String| BadRow {
                file: file.to_string(),
                line,
                reason,
            };
            let field = |i: usize| rec.get(i).map(str::trim);
            let account = match field(ca) {
                Some(a) if !a.is_empty() => a.to_string(),
                Some(_) => {
                    out.bad.push(bad(
                        "`account`: expected an account id, found an empty field".into(),
                    ));
                    continue;
                }
                None => {
                    out.bad.push(bad(format!(
                        "expected {} fields (account, date, outcome), found {}",
                        headers.len(),
                        rec.len()
                    )));
                    continue;
                }
            };
            let date = match field(cd) {
                Some(d) => match vital_eval::reader::parse_date(d) {
                    Some(d) => d,
                    None => {
                        out.bad.push(bad(format!(
                            "account {account}: `date`: expected a date (YYYY-MM-DD), found {d:?}"
                        )));
                        continue;
                    }
                },
                None => {
                    out.bad.push(bad(format!(
                        "account {account}: expected {} fields (account, date, outcome), found {}",
                        headers.len(),
                        rec.len()
                    )));
                    continue;
                }
            };
            let kind = match field(co) {
                Some(o) => match Kind::parse(o) {
                    Some(k) => k,
                    None => {
                        out.bad.push(bad(format!(
                            "account {account}: `outcome`: expected one of ({}), found {o:?}",
                            Kind::NAMES.replace(" or", ",")
                        )));
                        continue;
                    }
                },
                None => {
                    out.bad.push(bad(format!(
                        "account {account}: expected {} fields (account, date, outcome), found {}",
                        headers.len(),
                        rec.len()
                    )));
                    continue;
                }
            };
            out.latest = Some(out.latest.map_or(date, |l| l.max(date)));
            out.by_account
                .entry(account)
                .or_default()
                .push((date, kind));
        }
        let Some((next, line)) = resume else { break };
        reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes().get(next..).unwrap_or_default());
        base = next;
        lines_before = line;
    }
    for v in out.by_account.values_mut() {
        v.sort_by_key(|(d, _)| *d);
    }
    Ok(out)
}

/// The label of one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Churned (or contracted, when that counts) within the horizon.
    Churned,
    Stayed,
    /// The horizon ends after the outcomes do: left out.
    NotOver,
    /// The account had already churned on `as_of`: left out.
    AfterChurn,
}

impl Outcomes {
    /// The label of an account's snapshot of `as_of`: whether a churn (or a
    /// contraction, with `contracted`) is dated in `(as_of, end]`, where
    /// `end` is `as_of` plus the horizon; the snapshot is left out when `end`
    /// is after `through` (outcomes not known yet) or the account churned
    /// on or before `as_of`.
    pub fn label(
        &self,
        account: &str,
        as_of: NaiveDate,
        end: NaiveDate,
        through: NaiveDate,
        contracted: bool,
    ) -> Label {
        let rows = self.by_account.get(account).map_or(&[][..], Vec::as_slice);
        if rows.iter().any(|(d, k)| *k == Kind::Churned && *d <= as_of) {
            return Label::AfterChurn;
        }
        // a churn already known inside an unfinished horizon does not count
        // either: keeping only those would inflate the churn rate
        if end > through {
            return Label::NotOver;
        }
        let hit = rows.iter().any(|(d, k)| {
            *d > as_of
                && *d <= end
                && (*k == Kind::Churned || (contracted && *k == Kind::Contracted))
        });
        if hit {
            Label::Churned
        } else {
            Label::Stayed
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        vital_eval::reader::parse_date(s).unwrap()
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let o = parse(
            "o.csv",
            "account,date,outcome\na,2026-01-05,churned\nb,2026-13-01,renewed\nc,2026-01-01,lost\n,2026-01-01,renewed\nd\n",
        )
        .unwrap();
        assert_eq!(o.rows, 5);
        let lines: Vec<String> = o.bad.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "o.csv:3: account b: `date`: expected a date (YYYY-MM-DD), found \"2026-13-01\"",
                "o.csv:4: account c: `outcome`: expected one of (churned, renewed, contracted, expanded), found \"lost\"",
                "o.csv:5: `account`: expected an account id, found an empty field",
                "o.csv:6: account d: expected 3 fields (account, date, outcome), found 1",
            ]
        );
        assert!(parse("o.csv", "id,when,what\n").is_err());
    }

    /// A quote never closed would make the rest of the file one field: the
    /// line is bad, with what happened, and the next line is read on its own.
    #[test]
    fn a_quote_left_open_is_a_bad_row() {
        let o = parse(
            "o.csv",
            "account,date,outcome,note\na,2026-01-05,churned,ok\nb,2026-01-05,renewed,\"late\nc,2026-01-05,churned,x\n",
        )
        .unwrap();
        assert_eq!(o.by_account.len(), 2, "{:?}", o.by_account);
        assert!(o.by_account.contains_key("a"));
        assert!(o.by_account.contains_key("c"), "the row after it is used");
        assert_eq!(o.rows, 3);
        assert_eq!(o.bad.len(), 1);
        assert_eq!(o.bad[0].line, 3);
        assert!(
            o.bad[0].reason.contains("never closed"),
            "{}",
            o.bad[0].reason
        );
        // closed over a line break: read
        let o = parse(
            "o.csv",
            "account,date,outcome,note\na,2026-01-05,churned,\"two\nlines\"\nb,2026-01-05,renewed,x\n",
        )
        .unwrap();
        assert_eq!((o.by_account.len(), o.bad.len()), (2, 0));
    }

    #[test]
    fn labels() {
        let o = parse(
            "o.csv",
            "account,date,outcome\na,2026-03-10,churned\nb,2026-03-10,contracted\n",
        )
        .unwrap();
        let through = d("2026-06-30");
        let l =
            |acc: &str, as_of: &str, end: &str, c: bool| o.label(acc, d(as_of), d(end), through, c);
        assert_eq!(l("a", "2026-01-01", "2026-03-31", false), Label::Churned);
        assert_eq!(l("a", "2025-10-01", "2025-12-30", false), Label::Stayed);
        assert_eq!(l("a", "2026-04-01", "2026-06-30", false), Label::AfterChurn);
        assert_eq!(l("a", "2026-03-10", "2026-06-08", false), Label::AfterChurn);
        assert_eq!(l("b", "2026-01-01", "2026-03-31", false), Label::Stayed);
        assert_eq!(l("b", "2026-01-01", "2026-03-31", true), Label::Churned);
        assert_eq!(l("c", "2026-05-01", "2026-07-30", false), Label::NotOver);
    }
}
