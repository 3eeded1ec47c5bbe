//! Substring search in SQL.

use crate::error::{AppError, FormErrors};

/// Longest search text; longer input is refused before it reaches SQL.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Refuses search fields longer than [`MAX_SEARCH_CHARS`] with a message on each.
pub fn check_search_lengths(fields: &[(&str, &str)]) -> Result<(), AppError> {
    let mut errors = FormErrors::new("A search is too long.");
    for (name, text) in fields {
        errors.limit_length(name, text, MAX_SEARCH_CHARS);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

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
    fn long_searches_are_refused_with_the_field_named() {
        let long = "a".repeat(MAX_SEARCH_CHARS + 1);
        let err = check_search_lengths(&[("q", &long), ("requester", "ada")]).unwrap_err();
        let form = err.form().unwrap();
        assert!(form.for_field("q").is_some());
        assert!(form.for_field("requester").is_none());
        assert!(check_search_lengths(&[("q", "ada")]).is_ok());
    }

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

/// Keyset pages fetch one row more than they show; that row only says another page follows.
/// Drops it and answers whether it was there.
pub fn one_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let size = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > size;
    rows.truncate(size);
    (rows, more)
}

/// The last row shown when another page follows: the row the next page's cursor starts after.
pub fn continues_after<T>(rows: &[T], more: bool) -> Option<&T> {
    rows.last().filter(|_| more)
}

#[cfg(test)]
mod page_tests {
    use super::{continues_after, one_page};

    #[test]
    fn the_extra_row_says_more_follows_and_is_not_shown() {
        assert_eq!(one_page(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(one_page(vec![1, 2], 2), (vec![1, 2], false));
        assert_eq!(one_page(Vec::<i32>::new(), 2), (vec![], false));
        assert_eq!(one_page(vec![1], 0), (vec![], true));
    }

    #[test]
    fn the_next_page_starts_after_the_last_row_only_when_one_follows() {
        assert_eq!(continues_after(&[1, 2], true), Some(&2));
        assert_eq!(continues_after(&[1, 2], false), None);
        assert_eq!(continues_after::<i32>(&[], true), None);
    }
}
