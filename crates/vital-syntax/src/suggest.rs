//! Did-you-mean suggestions.

/// The candidate closest to `name`, if it is close enough to be a likely
/// typo (edit distance at most a third of the length, at least 1, at most 3).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names() {
        assert_eq!(
            did_you_mean("enterprize", ["enterprise", "smb"]),
            Some("enterprise")
        );
        assert_eq!(did_you_mean("arr", ["are", "ar"]), Some("ar"));
        assert_eq!(did_you_mean("xyz", ["enterprise"]), None);
    }
}
