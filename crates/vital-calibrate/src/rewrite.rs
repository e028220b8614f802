//! `--write-weights`: each score's `weight` literal replaced in its file,
//! then the file in the project's canonical layout (`vital fmt`), comments
//! kept.

use vital_syntax::ast::ItemKind;
use vital_syntax::FileId;

/// A weight as written in a rule file: `40`, `12.5`.
pub fn weight_text(w: f64, decimals: u32) -> String {
    let s = format!("{w:.*}", decimals as usize);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `text` with the weight of each score named in `weights` replaced and
/// formatted. `Ok(None)` when the file declares none of those scores.
pub fn rewrite_weights(
    file: FileId,
    text: &str,
    weights: &[(String, String)],
) -> Result<Option<String>, String> {
    let parsed = vital_syntax::parse(file, text);
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for item in &parsed.file.items {
        if let ItemKind::Score(d) = &item.kind {
            if let Some((_, w)) = weights.iter().find(|(n, _)| *n == d.name.name) {
                edits.push((d.weight.span.start, d.weight.span.end, w));
            }
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, w) in edits {
        if start > end || end > out.len() {
            return Err("a weight's place in the file is out of range".into());
        }
        out.replace_range(start..end, w);
    }
    vital_syntax::format::format_source(file, &out)
        .map(Some)
        .map_err(|d| {
            d.first()
                .map_or("the file does not parse".into(), |d| d.message.clone())
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn weights_are_replaced_and_comments_kept() {
        let text = "# scores\n\n## Adoption.\nscore adoption weight 25 = 50 # the base\nscore support   weight 25 = 50\n";
        let out = rewrite_weights(
            FileId(0),
            text,
            &[
                ("adoption".into(), "40".into()),
                ("support".into(), "10".into()),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            out,
            "# scores\n\n## Adoption.\nscore adoption weight 40 = 50  # the base\nscore support weight 10 = 50\n"
        );
        assert_eq!(weight_text(12.5, 1), "12.5");
        assert_eq!(weight_text(12.0, 1), "12");
        assert_eq!(weight_text(40.0, 0), "40");
    }
}
