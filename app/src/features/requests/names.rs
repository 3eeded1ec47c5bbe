//! Domain names as people type them → the ASCII names DigiCert takes. International labels become
//! punycode (RFC 3492) after lower-casing; the DNS rules themselves live in
//! `digicert::rules::check_dns_name`.

/// Splits the "Additional domains" box: one name per line, or separated by commas or spaces.
pub fn split_names(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `Bücher.Example` → `xn--bcher-kva.example`. ASCII names are only lower-cased and trimmed of a
/// final dot. A label that cannot be encoded is returned unchanged for the DNS check to refuse.
pub fn to_ascii(name: &str) -> String {
    let name = name.trim().trim_end_matches('.');
    name.split('.')
        .map(|label| {
            let lower: String = label.chars().flat_map(char::to_lowercase).collect();
            if lower.is_ascii() {
                lower
            } else {
                encode_label(&lower)
                    .map(|p| format!("xn--{p}"))
                    .unwrap_or(lower)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
    delta /= if first { DAMP } else { 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit(d: u32) -> char {
    (if d < 26 {
        b'a' + d as u8
    } else {
        b'0' + (d - 26) as u8
    }) as char
}

/// RFC 3492 encoding of one label (without the `xn--` prefix). `None` on overflow.
fn encode_label(label: &str) -> Option<String> {
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut output: String = label.chars().filter(char::is_ascii).collect();
    let basic = output.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        output.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    while (handled as usize) < input.len() {
        let m = *input.iter().filter(|c| **c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(output)
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
            encode_label("他们为什么不说中文").unwrap(),
            "ihqwcrb4cv8a8dqg056pqjye"
        );
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
