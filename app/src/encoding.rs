//! Percent-encoding of URL parts, in one place for the browser and the server.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters (letters, digits, `-`, `.`, `_`, `~`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A query value may also hold `/` as it is (RFC 3986 §3.4): `?next=/requests/7` stays readable.
const QUERY_VALUE: &AsciiSet = &COMPONENT.remove(b'/');

/// `text` made safe as one path segment.
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// `text` made safe as one query value.
pub fn encode_query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::{encode_component, encode_query_value};

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(encode_component("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(
            encode_component("/users?after=a@b.c&x=1 2"),
            "%2Fusers%3Fafter%3Da%40b.c%26x%3D1%202"
        );
        assert_eq!(encode_component("ä"), "%C3%A4");
        assert_eq!(
            encode_query_value("/users?after=a@b.c"),
            "/users%3Fafter%3Da%40b.c"
        );
    }
}
