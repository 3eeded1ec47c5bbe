//! Domain names as people type them → the ASCII names DigiCert takes. International names go
//! through UTS #46 processing (mapping, so full-width and decomposed forms come out right, then
//! punycode): on the server with the `idna` crate, in the browser with the browser's own URL
//! parser, which applies the same UTS #46 rules (the WHATWG URL standard's), so the wasm bundle
//! carries no Unicode tables. The DNS rules themselves live in `digicert::rules::check_dns_name`.

/// Longest name a DNS name can be (253) with room for a trailing dot and a wildcard; anything
/// longer is refused before any conversion.
pub const MAX_NAME_CHARS: usize = 255;

/// Splits the "Additional domains" box: one name per line, or separated by commas or spaces.
pub fn split_names(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `Bücher.Example` → `xn--bcher-kva.example`. ASCII names are only lower-cased and trimmed of a
/// final dot. A name that UTS #46 refuses (or one too long to be a name) is returned lower-cased
/// and unconverted, for the DNS check to refuse with its own message.
pub fn to_ascii(name: &str) -> String {
    let name = name.trim().trim_end_matches('.');
    let lower: String = name.chars().flat_map(char::to_lowercase).collect();
    if lower.is_ascii() || name.chars().count() > MAX_NAME_CHARS {
        return lower;
    }
    // A wildcard label is kept as it is; only the rest of the name is converted.
    let (wildcard, rest) = match lower.strip_prefix("*.") {
        Some(rest) => ("*.", rest),
        None => ("", lower.as_str()),
    };
    match uts46_to_ascii(rest) {
        Some(ascii) => format!("{wildcard}{ascii}"),
        None => lower,
    }
}

#[cfg(feature = "ssr")]
fn uts46_to_ascii(name: &str) -> Option<String> {
    idna::domain_to_ascii(name).ok()
}

/// Builds with neither side (the fuzz targets) leave international names to the DNS check.
#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn uts46_to_ascii(_name: &str) -> Option<String> {
    None
}

/// The browser's URL parser maps and encodes a host exactly as UTS #46 says; anything it refuses
/// is left for the DNS check.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn uts46_to_ascii(name: &str) -> Option<String> {
    // What the URL parser would read as something other than a host, or percent-encode.
    let not_a_host = |c: char| "/?#@:\\[]%".contains(c) || c.is_whitespace() || c.is_control();
    if name.contains(not_a_host) {
        return None;
    }
    let url = web_sys::Url::new(&format!("http://{name}/")).ok()?;
    Some(url.hostname())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_names_become_punycode() {
        assert_eq!(to_ascii("Bücher.Example"), "xn--bcher-kva.example");
        assert_eq!(to_ascii("münchen.de"), "xn--mnchen-3ya.de");
        assert_eq!(to_ascii("例え.jp"), "xn--r8jz45g.jp");
        assert_eq!(to_ascii("www.пример.рф"), "www.xn--e1afmkfd.xn--p1ai");
        assert_eq!(to_ascii("*.Example.COM."), "*.example.com");
    }

    #[test]
    fn rfc_3492_sample() {
        // RFC 3492 section 7.1 (B): Chinese (simplified).
        assert_eq!(
            to_ascii("他们为什么不说中文.example"),
            "xn--ihqwcrb4cv8a8dqg056pqjye.example"
        );
    }

    #[test]
    fn full_width_and_decomposed_names_map_like_browsers() {
        // Full-width letters and the ideographic full stop (UTS #46 mapping).
        assert_eq!(to_ascii("ｅｘａｍｐｌｅ。ｃｏｍ"), "example.com");
        // "u" + combining diaeresis is the same name as "ü".
        assert_eq!(to_ascii("bu\u{308}cher.example"), "xn--bcher-kva.example");
        assert_eq!(to_ascii("*.Bücher.example"), "*.xn--bcher-kva.example");
    }

    #[test]
    fn long_hostile_input_is_cheap() {
        let huge = "ü".repeat(60_000);
        let started = std::time::Instant::now();
        let out = to_ascii(&huge);
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
        assert!(!out.is_ascii(), "left for the DNS check to refuse");
    }

    #[test]
    fn the_names_box_takes_lines_commas_and_spaces() {
        assert_eq!(
            split_names(" a.example.com\nb.example.com, c.example.com  d.example.com;\n\n"),
            [
                "a.example.com",
                "b.example.com",
                "c.example.com",
                "d.example.com"
            ]
        );
        assert!(split_names("  \n ").is_empty());
    }
}
