//! How pages show a moment: minutes in UTC, the same for every reader.

use time::OffsetDateTime;
use time::macros::format_description;

/// "2026-11-30 17:05 UTC".
pub fn format_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_in_utc_to_the_minute() {
        let at = time::macros::datetime!(2026-11-30 18:05:59 +01:00);
        assert_eq!(format_time(at), "2026-11-30 17:05 UTC");
    }
}
