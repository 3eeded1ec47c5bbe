//! CSR checks against CSRs made with openssl (app/tests/fixtures/csr).

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/csr/", $name)).as_slice()
    };
}

fn accepted(input: &[u8]) -> CsrReport {
    let report = inspect(input);
    assert!(report.ok, "{report:#?}");
    assert!(report.errors.is_empty());
    assert_eq!(report.signature_verified, Some(true));
    report
}

fn refused(input: &[u8]) -> String {
    let report = inspect(input);
    assert!(!report.ok, "{report:#?}");
    assert!(report.pem.is_none(), "a refused CSR is not kept");
    report.errors.join(" ")
}

#[test]
fn rsa_and_ec_csrs_pass_with_their_details() {
    for (input, algorithm, bits, curve, hash) in [
        (
            fixture!("rsa2048.csr"),
            "RSA",
            2048,
            None,
            "sha256WithRSAEncryption",
        ),
        (
            fixture!("rsa3072.csr"),
            "RSA",
            3072,
            None,
            "sha384WithRSAEncryption",
        ),
        (
            fixture!("rsa4096.csr"),
            "RSA",
            4096,
            None,
            "sha512WithRSAEncryption",
        ),
        (
            fixture!("ec-p256.csr"),
            "EC",
            256,
            Some("P-256"),
            "ecdsa-with-SHA256",
        ),
        (
            fixture!("ec-p384.csr"),
            "EC",
            384,
            Some("P-384"),
            "ecdsa-with-SHA384",
        ),
    ] {
        let report = accepted(input);
        let key = report.key.clone().unwrap();
        assert_eq!(key.algorithm, algorithm);
        assert_eq!(key.bits, Some(bits));
        assert_eq!(key.curve.as_deref(), curve);
        assert_eq!(report.signature_algorithm.as_deref(), Some(hash));
        assert_eq!(report.common_name.as_deref(), Some("www.example.com"));
        assert_eq!(report.sans, ["www.example.com", "example.com"]);
        assert_eq!(report.names(), ["www.example.com", "example.com"]);
        assert!(report.subject.contains(&("O".into(), "Example Inc".into())));
        assert!(report.warnings.is_empty());
        assert!(
            report
                .pem
                .as_deref()
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE REQUEST-----\n")
        );
    }
}

#[test]
fn der_and_bare_base64_are_read_and_stored_as_the_same_pem() {
    let from_pem = accepted(fixture!("rsa2048.csr"));
    let from_der = accepted(fixture!("rsa2048.der"));
    assert_eq!(from_pem.pem, from_der.pem);
    let text = std::str::from_utf8(fixture!("rsa2048.csr")).unwrap();
    let bare: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(accepted(bare.as_bytes()).pem, from_pem.pem);
    // What certdesk stores parses back to the same report.
    let again = accepted(from_pem.pem.as_deref().unwrap().as_bytes());
    assert_eq!(again.pem, from_pem.pem);
}

#[test]
fn each_bad_csr_fails_with_its_own_message() {
    assert!(refused(fixture!("rsa1024.csr")).contains("RSA 1024 bits"));
    assert!(refused(fixture!("dsa.csr")).contains("DSA keys are not accepted"));
    assert!(refused(fixture!("ed25519.csr")).contains("Ed25519 keys are not accepted"));
    assert!(refused(fixture!("ec-p521.csr")).contains("P-521 curve"));
    assert!(refused(fixture!("md5.csr")).contains("md5WithRSAEncryption, a broken hash"));
    assert!(refused(fixture!("certificate.pem")).contains("This is a certificate"));
    assert!(refused(b"").contains("Paste or upload a CSR"));
    assert!(refused(b"hello there").contains("This is not a certificate signing request"));
    assert!(
        refused(b"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----")
            .contains("is a public key")
    );
}

#[test]
fn a_certificate_in_der_is_named_as_such() {
    let text = std::str::from_utf8(fixture!("certificate.pem")).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = decode_base64(&body).unwrap();
    assert!(refused(&der).contains("This is a certificate"));
}

#[test]
fn corrupted_base64_and_cut_off_pem_fail() {
    let text = std::str::from_utf8(fixture!("rsa2048.csr")).unwrap();
    let body_start = text.find('\n').unwrap() + 1;
    let corrupted = format!("{}!{}", &text[..body_start], &text[body_start + 1..]);
    assert!(refused(corrupted.as_bytes()).contains("base64 cannot be decoded"));
    let cut = &text[..text.find("-----END").unwrap()];
    assert!(refused(cut.as_bytes()).contains("cut off"));
    let lines: Vec<&str> = text.lines().collect();
    let mut shortened: Vec<&str> = lines[..3].to_vec();
    shortened.push(lines[lines.len() - 1]);
    let message = refused(shortened.join("\n").as_bytes());
    assert!(
        message.contains("cannot be read") || message.contains("base64"),
        "{message}"
    );
}

#[test]
fn a_tampered_signature_or_body_fails_verification() {
    let der = fixture!("rsa2048.der");
    let mut signature_flipped = der.to_vec();
    let last = signature_flipped.len() - 1;
    signature_flipped[last] ^= 0x01;
    assert!(refused(&signature_flipped).contains("signature does not match"));

    // Change one letter of the common name: the body no longer matches its signature.
    let at = der
        .windows(15)
        .position(|w| w == b"www.example.com")
        .unwrap();
    let mut renamed = der.to_vec();
    renamed[at] = b'v';
    assert!(refused(&renamed).contains("signature does not match"));
}

#[test]
fn sha1_is_a_warning_not_an_error() {
    let report = accepted(fixture!("sha1.csr"));
    assert_eq!(report.warnings.len(), 1, "{report:?}");
    assert!(report.warnings[0].contains("SHA-1"));
}

#[test]
fn a_private_key_is_refused_and_nothing_of_it_is_kept() {
    let report = inspect(fixture!("private-key.pem"));
    assert!(!report.ok);
    assert!(report.private_key_refused);
    assert_eq!(report.errors, [PRIVATE_KEY_MESSAGE]);
    assert!(report.pem.is_none() && report.subject.is_empty() && report.key.is_none());
    // A CSR with its key pasted below it is refused as a whole.
    let both = [fixture!("rsa2048.csr"), fixture!("private-key.pem")].concat();
    assert!(inspect(&both).private_key_refused);
    let json = serde_json::to_string(&inspect(fixture!("private-key.pem"))).unwrap();
    assert!(!json.contains("MII"), "the report carries no key material");
}

#[test]
fn base64_round_trips() {
    for len in 0..10 {
        let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let encoded = encode_base64(&data);
        if len > 0 {
            assert_eq!(decode_base64(&encoded).unwrap(), data);
        }
    }
    assert!(decode_base64("abc").is_err());
    assert!(decode_base64("ab=c").is_err());
}

/// Property tests over the reader every pasted CSR goes through (the fuzz target
/// `app/fuzz/fuzz_targets/csr_inspect.rs` runs the same code for longer; `scripts/fuzz.sh`).
mod properties {
    use super::*;
    use proptest::prelude::*;

    const REAL: [&[u8]; 8] = [
        fixture!("rsa2048.csr"),
        fixture!("rsa2048.der"),
        fixture!("rsa4096.csr"),
        fixture!("ec-p256.csr"),
        fixture!("ec-p384.csr"),
        fixture!("dsa.csr"),
        fixture!("shop.csr"),
        fixture!("sha1.csr"),
    ];

    /// The DER inside a fixture (PEM or raw).
    fn der_of(input: &[u8]) -> Vec<u8> {
        decode_input(input).expect("fixtures decode")
    }

    fn answers_sensibly(report: &CsrReport) -> Result<(), TestCaseError> {
        prop_assert!(report.ok || !report.errors.is_empty(), "{report:?}");
        if report.ok {
            prop_assert!(report.key.is_some() && report.pem.is_some());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_get_a_report(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            answers_sensibly(&inspect(&data))?;
        }

        #[test]
        fn any_text_gets_a_report(text in "(-----BEGIN CERTIFICATE REQUEST-----\n)?[A-Za-z0-9+/=\n]{0,3000}(-----END CERTIFICATE REQUEST-----)?") {
            answers_sensibly(&inspect(text.as_bytes()))?;
        }

        #[test]
        fn mutated_real_csrs_get_a_report(
            which in 0..REAL.len(),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..12),
            cut in proptest::option::of(any::<usize>()),
        ) {
            let mut der = der_of(REAL[which]);
            for (at, byte) in flips {
                let at = at % der.len();
                der[at] = byte;
            }
            if let Some(cut) = cut {
                der.truncate(cut % (der.len() + 1));
            }
            let report = inspect(&der);
            answers_sensibly(&report)?;
            // The same bytes as PEM say the same thing.
            let again = inspect(to_pem(&der).as_bytes());
            prop_assert_eq!(report.ok, again.ok);
        }
    }

    #[test]
    fn deep_nesting_and_huge_lengths_are_refused_quickly() {
        let started = std::time::Instant::now();
        let mut nested = Vec::new();
        for _ in 0..20_000 {
            nested.extend_from_slice(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]);
        }
        assert!(!inspect(&nested).ok);
        // A length that claims 4 GiB, and the largest input accepted, all random.
        assert!(!inspect(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02]).ok);
        let big: Vec<u8> = (0..MAX_INPUT_BYTES)
            .map(|i| (i * 7919 % 251) as u8)
            .collect();
        assert!(!inspect(&big).ok);
        assert!(!inspect(&vec![b'A'; MAX_INPUT_BYTES + 1]).ok);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
}

#[test]
fn the_subject_line_keeps_the_csr_order() {
    let report = CsrReport {
        subject: vec![
            ("CN".into(), "www.example.com".into()),
            ("O".into(), "Example, Inc.".into()),
        ],
        ..CsrReport::default()
    };
    assert_eq!(report.subject_line(), "CN=www.example.com, O=Example, Inc.");
    assert_eq!(CsrReport::default().subject_line(), "");
}
