//! Substring search in SQL.

/// `%text%` for `LIKE`, lower-cased, with `\`, `%` and `_` escaped so a person's text matches
/// literally; `None` for blank text (no filter).
pub fn contains_pattern(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| {
        format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_literally() {
        assert_eq!(contains_pattern("  "), None);
        assert_eq!(contains_pattern(" Ada "), Some("%ada%".into()));
        assert_eq!(
            contains_pattern("50%_a\\b"),
            Some("%50\\%\\_a\\\\b%".into())
        );
    }
}
