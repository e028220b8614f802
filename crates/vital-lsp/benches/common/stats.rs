//! The one summary line of the editor-latency benches.

use std::time::Duration;

/// `median … ms   worst … ms   (N what)`, with `decimals` decimals.
pub fn stats(mut v: Vec<Duration>, decimals: usize, what: &str) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:>7.p$} ms   worst {:>7.p$} ms   ({} {what})",
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1]),
        v.len(),
        p = decimals
    )
}
