//! Common name and additional names: DNS syntax, duplicates, how many, no IPs on public certificates.

use super::*;

/// Most names one certificate may carry (common name plus additional names).
pub const MAX_NAMES: usize = 250;

/// Common name and additional names: valid DNS names, no duplicates, at most 250 in all,
/// no IP addresses on public certificates.
pub(super) fn check_names(f: &mut Findings, common_name: &str, dns_names: &[String], public: bool) {
    if common_name.trim().is_empty() {
        f.required("certificate.common_name", "Enter the domain to secure.");
    } else if let Err(problem) = check_dns_name(common_name, public) {
        f.invalid("certificate.common_name", problem);
    }
    let mut seen = std::collections::HashSet::new();
    seen.insert(common_name.trim().to_ascii_lowercase());
    for (i, name) in dns_names.iter().enumerate() {
        let field = format!("certificate.dns_names.{i}");
        if let Err(problem) = check_dns_name(name, public) {
            f.invalid(&field, problem);
        } else if !seen.insert(name.trim().to_ascii_lowercase()) {
            f.invalid(&field, format!("{name} is listed twice."));
        }
    }
    if dns_names.len() + 1 > MAX_NAMES {
        f.invalid(
            "certificate.dns_names",
            format!("At most {MAX_NAMES} names per certificate, the common name included."),
        );
    }
}

/// An ASCII DNS name (international names arrive here already in punycode).
pub fn check_dns_name(name: &str, public: bool) -> Result<(), String> {
    let name = name.trim();
    if name.parse::<std::net::IpAddr>().is_ok() {
        return if public {
            Err(format!(
                "{name} is an IP address; public certificates name domains only."
            ))
        } else {
            Ok(())
        };
    }
    let bad = |why: &str| Err(format!("{name} is not a valid domain name: {why}."));
    if name.len() > 253 {
        return bad("longer than 253 characters");
    }
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    if labels.len() < 2 {
        return bad("it needs at least two labels, like example.com");
    }
    for (i, label) in labels.iter().enumerate() {
        if *label == "*" {
            if i != 0 {
                return bad("a wildcard may only be the whole leftmost label");
            }
            continue;
        }
        if label.contains('*') {
            return bad("a wildcard may only be the whole leftmost label");
        }
        if label.is_empty() || label.len() > 63 {
            return bad("each label has 1 to 63 characters");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return bad("only letters, digits and hyphens are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a label cannot start or end with a hyphen");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return bad("the top-level domain cannot be numeric");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn names_are_checked_and_deduplicated() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.common_name = "".into();
        body.certificate.dns_names = vec![
            "www.example.com".into(),
            "WWW.example.com".into(),
            "a.*.example.com".into(),
            "10.0.0.1".into(),
            "-bad.example.com".into(),
        ];
        let v = check(p, body);
        assert_eq!(
            fields(&v),
            [
                "certificate.common_name",
                "certificate.dns_names.1",
                "certificate.dns_names.2",
                "certificate.dns_names.3",
                "certificate.dns_names.4"
            ]
        );
        assert!(check_dns_name("*.example.com", true).is_ok());
        assert!(check_dns_name("10.0.0.1", false).is_ok());
        assert!(check_dns_name("localhost", true).is_err());
    }

    #[test]
    fn at_most_250_names() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.dns_names = (0..250).map(|i| format!("h{i}.example.com")).collect();
        assert_eq!(fields(&check(p, body)), ["certificate.dns_names"]);
    }
}
