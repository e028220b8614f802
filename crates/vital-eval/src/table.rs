//! `vital run --format table`: results for people, within 100 columns.
//!
//! Cells are aligned by display width (so `Zürich` or `東京` line up). When
//! the natural layout is wider than [`WIDTH`], it is narrowed step by step:
//! the `AS OF` column goes into a title line when every row has the same
//! date; the playbooks of a row go on a line of their own under it (`↳ …`,
//! separated by `·`, since a name may hold a comma); score
//! names are stacked over several header lines at `_`; and header words
//! longer than their numbers are abbreviated with `…`.

use crate::engine::{Engine, Outcome};
use crate::results::{one_decimal, status_name};
use crate::snapshot::Snapshot;
use unicode_width::UnicodeWidthStr;
use vital_check::ir::ArmId;

/// The width the table keeps to (when the account names allow it).
pub const WIDTH: usize = 100;
const GAP: usize = 2;

struct Column {
    /// Header lines, top to bottom.
    head: Vec<String>,
    /// Numbers are right-aligned.
    right: bool,
    /// One cell per row; the playbook column's cells may hold several
    /// lines.
    cells: Vec<Vec<String>>,
}

impl Column {
    fn width(&self) -> usize {
        self.head
            .iter()
            .chain(self.cells.iter().flatten())
            .map(|c| c.width())
            .max()
            .unwrap_or(0)
    }

    fn cell_width(&self) -> usize {
        self.cells
            .iter()
            .flatten()
            .map(|c| c.width())
            .max()
            .unwrap_or(0)
    }
}

/// Cut `s` to `max` display columns, ending with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if out.width() + c.to_string().width() + 1 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Words of `text` in lines of at most `width` display columns (a longer
/// word is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let cur = lines.last_mut().map_or(0, |l| l.width());
        if cur > 0 && cur + 1 + word.width() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(&cut(word, width));
        }
    }
    lines
}

fn total(cols: &[Column]) -> usize {
    cols.iter().map(Column::width).sum::<usize>() + GAP * cols.len().saturating_sub(1)
}

/// An aligned table for people. `color` adds ANSI colours to statuses (the
/// first arm green, the last red, others yellow).
pub fn table(engine: &Engine<'_>, rows: &[(&Snapshot, &Outcome)], color: bool) -> String {
    let one = |s: String| vec![s];
    let mut cols = vec![
        Column {
            head: one("ACCOUNT".into()),
            right: false,
            cells: rows
                .iter()
                .map(|(s, _)| one(s.account.to_string()))
                .collect(),
        },
        Column {
            head: one("AS OF".into()),
            right: false,
            cells: rows
                .iter()
                .map(|(s, _)| one(s.as_of.format("%Y-%m-%d").to_string()))
                .collect(),
        },
        Column {
            head: one("HEALTH".into()),
            right: true,
            cells: rows
                .iter()
                .map(|(_, o)| one(o.scored.health.map_or("n/a".into(), one_decimal)))
                .collect(),
        },
        Column {
            head: one("STATUS".into()),
            right: false,
            cells: rows
                .iter()
                .map(|(_, o)| {
                    let s = status_name(engine, o.status).unwrap_or("-");
                    one(if o.override_in_force {
                        format!("{s}*")
                    } else {
                        s.to_string()
                    })
                })
                .collect(),
        },
    ];
    const FIRST_SCORE: usize = 4;
    for (i, sc) in engine.rules.scores.iter().enumerate() {
        cols.push(Column {
            head: one(sc.name.to_uppercase()),
            right: true,
            cells: rows
                .iter()
                .map(|(_, o)| {
                    one(o
                        .scored
                        .scores
                        .get(i)
                        .copied()
                        .flatten()
                        .map_or("n/a".into(), one_decimal))
                })
                .collect(),
        });
    }
    let playbooks: Vec<Vec<String>> = rows
        .iter()
        .map(|(_, o)| {
            o.triggered
                .iter()
                .filter_map(|p| engine.playbooks.get(*p as usize).cloned())
                .collect()
        })
        .collect();
    cols.push(Column {
        head: one("TRIGGERED".into()),
        right: false,
        cells: playbooks.iter().map(|p| one(p.join(" · "))).collect(),
    });

    // narrow step by step
    let mut title = None;
    let same_date = rows
        .first()
        .map(|(s, _)| s.as_of)
        .filter(|d| rows.iter().all(|(s, _)| s.as_of == *d));
    if total(&cols) > WIDTH {
        if let Some(d) = same_date {
            title = Some(format!("as of {}", d.format("%Y-%m-%d")));
            cols.remove(1);
        }
    }
    // playbooks on a line of their own under the row
    let below = total(&cols) > WIDTH;
    if below {
        cols.pop();
    }
    let scores = (FIRST_SCORE - usize::from(title.is_some()))..(cols.len() - usize::from(!below));
    if total(&cols) > WIDTH {
        for c in &mut cols[scores.clone()] {
            c.head = c.head[0].split('_').map(str::to_string).collect();
        }
    }
    if total(&cols) > WIDTH {
        for c in &mut cols[scores] {
            let room = c.cell_width().max(6);
            for h in &mut c.head {
                *h = cut(h, room);
            }
        }
    }

    // render
    let widths: Vec<usize> = cols.iter().map(Column::width).collect();
    let heads = cols.iter().map(|c| c.head.len()).max().unwrap_or(1);
    let status_col = cols
        .iter()
        .position(|c| c.head.last().is_some_and(|h| h == "STATUS"));
    let mut out = String::new();
    if let Some(t) = title {
        out.push_str(&t);
        out.push('\n');
    }
    let pad = |out: &mut String, text: &str, width: usize, right: bool, last: bool| {
        let fill = " ".repeat(width.saturating_sub(text.width()));
        if right {
            out.push_str(&fill);
            out.push_str(text);
        } else {
            out.push_str(text);
            if !last {
                out.push_str(&fill);
            }
        }
    };
    let finish = |out: &mut String| {
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    for line in 0..heads {
        for (c, col) in cols.iter().enumerate() {
            // header lines are bottom-aligned
            let skip = heads - col.head.len();
            let text = if line >= skip {
                col.head[line - skip].as_str()
            } else {
                ""
            };
            if c > 0 {
                out.push_str(&" ".repeat(GAP));
            }
            pad(&mut out, text, widths[c], col.right, c == cols.len() - 1);
        }
        finish(&mut out);
    }
    for (r, (_, o)) in rows.iter().enumerate() {
        let height = cols.iter().map(|c| c.cells[r].len()).max().unwrap_or(1);
        for line in 0..height {
            for (c, col) in cols.iter().enumerate() {
                let text = col.cells[r].get(line).map_or("", String::as_str);
                if c > 0 {
                    out.push_str(&" ".repeat(GAP));
                }
                let colored = color && line == 0 && Some(c) == status_col && o.status.is_some();
                if colored {
                    let last = engine.rules.status.len().saturating_sub(1);
                    let code = match o.status.map(ArmId::index) {
                        Some(0) => "32",
                        Some(s) if s == last => "31",
                        _ => "33",
                    };
                    out.push_str(&format!("\u{1b}[{code}m"));
                    pad(&mut out, text, widths[c], col.right, false);
                    out.push_str("\u{1b}[0m");
                } else {
                    pad(&mut out, text, widths[c], col.right, c == cols.len() - 1);
                }
            }
            finish(&mut out);
        }
        if below && !playbooks[r].is_empty() {
            for line in wrap(&playbooks[r].join(" · "), WIDTH - 6) {
                out.push_str("    ↳ ");
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    if rows.iter().any(|(_, o)| o.override_in_force) {
        out.push_str("* status set by an override\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cut;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn cut_keeps_to_display_width() {
        assert_eq!(cut("relationship", 6), "relat…");
        assert_eq!(cut("usage", 6), "usage");
        assert_eq!(cut("東京東京東京", 5), "東京…");
        assert!(cut("東京東京東京", 5).width() <= 5);
    }
}
