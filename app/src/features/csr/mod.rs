//! Certificate signing request checks, one implementation for the browser, the server and the
//! `certdesk csr inspect` command.
//!
//! [`inspect`] reads PEM, bare base64 or DER, refuses private keys without keeping them, and
//! reports the subject, names, key and signature algorithm with every problem found. The
//! self-signature is verified on the server (ring is not built for the browser); the browser's
//! report says it was not checked and the form asks the server.

pub mod der;

use der::{DerError, Reader, Tlv};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `DSA`, `Ed25519`, `Ed448` or the key algorithm's OID.
    pub algorithm: String,
    /// Modulus size for RSA, curve size for EC.
    pub bits: Option<u32>,
    /// `P-256`, `P-384`, … for EC keys.
    pub curve: Option<String>,
}

impl KeyInfo {
    pub fn describe(&self) -> String {
        match (&self.curve, self.bits) {
            (Some(curve), _) => format!("{} {curve}", self.algorithm),
            (None, Some(bits)) => format!("{} {bits} bits", self.algorithm),
            (None, None) => self.algorithm.clone(),
        }
    }
}

/// What a CSR says and whether DigiCert would take it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrReport {
    pub ok: bool,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Subject attributes in order, e.g. `("CN", "example.com")`.
    pub subject: Vec<(String, String)>,
    pub common_name: Option<String>,
    /// DNS names from the subjectAltName extension.
    pub sans: Vec<String>,
    /// IP addresses and email addresses from the subjectAltName extension.
    pub other_sans: Vec<String>,
    pub key: Option<KeyInfo>,
    pub signature_algorithm: Option<String>,
    /// `Some(true)` when the self-signature was verified, `None` when it was not checked here.
    pub signature_verified: Option<bool>,
    /// The CSR re-encoded as PEM, what certdesk stores; absent when it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
    /// True when the input held a private key. Nothing of the input is kept then.
    #[serde(default)]
    pub private_key_refused: bool,
}

impl CsrReport {
    fn refused(message: impl Into<String>) -> Self {
        CsrReport {
            errors: vec![message.into()],
            ..CsrReport::default()
        }
    }

    /// The subject as one line, attributes in the CSR's order: `CN=www.example.com, O=Example`.
    pub fn subject_line(&self) -> String {
        self.subject
            .iter()
            .map(|(attribute, value)| format!("{attribute}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Names the CSR asks for: common name first, then the DNS SANs not equal to it.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.common_name.iter().cloned().collect();
        for san in &self.sans {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(san)) {
                names.push(san.clone());
            }
        }
        names
    }
}

pub const PRIVATE_KEY_MESSAGE: &str = "This is a private key, not a CSR. certdesk did not keep or send it. \
     Keep the private key secret on your server and paste only the certificate signing request \
     (-----BEGIN CERTIFICATE REQUEST-----).";

/// True when the text holds any kind of PEM private key. The browser checks this before anything
/// leaves the page.
pub fn contains_private_key(input: &[u8]) -> bool {
    let text = String::from_utf8_lossy(input);
    text.contains("PRIVATE KEY-----")
}

/// Largest input [`inspect`] reads; a CSR naming 250 domains is far smaller.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Checks a CSR given as PEM, bare base64 or DER.
pub fn inspect(input: &[u8]) -> CsrReport {
    if input.len() > MAX_INPUT_BYTES {
        return CsrReport::refused(format!(
            "This is too large to be a CSR (at most {} KiB).",
            MAX_INPUT_BYTES / 1024
        ));
    }
    if contains_private_key(input) {
        return CsrReport {
            private_key_refused: true,
            ..CsrReport::refused(PRIVATE_KEY_MESSAGE)
        };
    }
    let der = match decode_input(input) {
        Ok(der) => der,
        Err(message) => return CsrReport::refused(message),
    };
    let csr = match parse(&der) {
        Ok(csr) => csr,
        Err(e) => {
            let message = if looks_like_certificate(&der) {
                "This is a certificate, not a certificate signing request.".to_owned()
            } else {
                format!("The CSR cannot be read: {e}.")
            };
            return CsrReport::refused(message);
        }
    };
    let mut report = CsrReport {
        subject: csr.subject.clone(),
        common_name: csr
            .subject
            .iter()
            .rev()
            .find(|(k, _)| k == "CN")
            .map(|(_, v)| v.trim().to_owned()),
        sans: csr.dns_sans.clone(),
        other_sans: csr.other_sans.clone(),
        key: Some(csr.key.clone()),
        signature_algorithm: Some(signature_name(&csr.signature_oid)),
        ..CsrReport::default()
    };
    check_key(&csr.key, &mut report.errors);
    check_signature_algorithm(&csr.signature_oid, &mut report);
    if report.errors.is_empty() {
        report.signature_verified = verify_signature(&csr, &mut report.errors);
    }
    if report.common_name.is_none() && report.sans.is_empty() {
        report
            .warnings
            .push("The CSR names no domain; the form's names are used.".into());
    }
    report.ok = report.errors.is_empty();
    if report.ok {
        report.pem = Some(to_pem(&der));
    }
    report
}

/// PEM (first block), bare base64 or raw DER → DER bytes.
fn decode_input(input: &[u8]) -> Result<Vec<u8>, String> {
    let trimmed = trim_bytes(input);
    if trimmed.is_empty() {
        return Err("Paste or upload a CSR.".into());
    }
    if trimmed[0] == der::SEQUENCE {
        return Ok(trimmed.to_vec());
    }
    let Ok(text) = std::str::from_utf8(trimmed) else {
        return Err("This file is neither a PEM nor a DER certificate signing request.".into());
    };
    if let Some(begin) = text.find("-----BEGIN ") {
        let after = &text[begin + 11..];
        let label_end = after
            .find("-----")
            .ok_or("The PEM header line is damaged.")?;
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body_and_rest.find(&end_marker).ok_or(format!(
            "The PEM data is cut off: the \"{end_marker}\" line is missing."
        ))?;
        match label {
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {}
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                return Err("This is a certificate, not a certificate signing request.".into());
            }
            other => {
                return Err(format!(
                    "This PEM block is a {}, not a certificate signing request.",
                    other.to_lowercase()
                ));
            }
        }
        return decode_base64(&body_and_rest[..end])
            .map_err(|_| "The PEM data is damaged: its base64 cannot be decoded.".into());
    }
    decode_base64(text).map_err(|_| {
        "This is not a certificate signing request: paste the block that starts with \
         -----BEGIN CERTIFICATE REQUEST-----."
            .into()
    })
}

fn trim_bytes(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &input[start..end]
}

/// Standard base64 with any whitespace (line breaks, indentation) ignored.
fn decode_base64(text: &str) -> Result<Vec<u8>, ()> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(());
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| ())
}

fn encode_base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// DER → PEM with 64-character lines.
pub fn to_pem(der: &[u8]) -> String {
    let body = encode_base64(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE REQUEST-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE REQUEST-----\n");
    pem
}

/// The parts of a CSR the checks need. The signed bytes, key and signature are only read where
/// the signature is verified (on the server).
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
struct ParsedCsr<'a> {
    info: &'a [u8],
    subject: Vec<(String, String)>,
    dns_sans: Vec<String>,
    other_sans: Vec<String>,
    key: KeyInfo,
    /// The subjectPublicKey bits: RSAPublicKey DER, or an EC point.
    public_key: &'a [u8],
    signature_oid: String,
    signature: &'a [u8],
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";
const OID_SAN: &str = "2.5.29.17";

fn parse(der: &[u8]) -> Result<ParsedCsr<'_>, DerError> {
    let mut top = Reader::new(der);
    let outer = top.read()?.expect(der::SEQUENCE, "the CSR")?;
    top.finish("the CSR")?;
    let mut parts = outer.reader();
    let info = parts
        .read()?
        .expect(der::SEQUENCE, "the request information")?;
    let signature_algorithm = parts
        .read()?
        .expect(der::SEQUENCE, "the signature algorithm")?;
    let signature = parts
        .read()?
        .expect(der::BIT_STRING, "the signature")?
        .bit_string_bytes()?;
    parts.finish("the signature")?;
    let signature_oid = signature_algorithm.reader().read()?.oid()?;

    let mut fields = info.reader();
    let version = fields.read()?.expect(der::INTEGER, "the version")?;
    if version.content != [0] {
        return Err(DerError("an unknown CSR version".into()));
    }
    let subject = parse_name(fields.read()?.expect(der::SEQUENCE, "the subject")?)?;
    let spki = fields.read()?.expect(der::SEQUENCE, "the public key")?;
    let (key, public_key) = parse_key(spki)?;
    let mut dns_sans = Vec::new();
    let mut other_sans = Vec::new();
    if fields.peek_tag() == Some(der::CONTEXT_0) {
        let attributes = fields.read()?;
        parse_attributes(attributes, &mut dns_sans, &mut other_sans)?;
    }
    fields.finish("the attributes")?;
    Ok(ParsedCsr {
        info: info.raw,
        subject,
        dns_sans,
        other_sans,
        key,
        public_key,
        signature_oid,
        signature,
    })
}

fn looks_like_certificate(der: &[u8]) -> bool {
    // A certificate's first inner element is a SEQUENCE starting with the [0] version tag.
    let Ok(outer) = Reader::new(der).read() else {
        return false;
    };
    let Ok(tbs) = outer.reader().read() else {
        return false;
    };
    tbs.tag == der::SEQUENCE && tbs.reader().peek_tag() == Some(der::CONTEXT_0)
}

fn attribute_name(oid: &str) -> String {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => other,
    }
    .to_owned()
}

fn parse_name(name: Tlv<'_>) -> Result<Vec<(String, String)>, DerError> {
    let mut out = Vec::new();
    let mut rdns = name.reader();
    while !rdns.is_empty() {
        let mut set = rdns.read()?.expect(der::SET, "a name component")?.reader();
        while !set.is_empty() {
            let mut pair = set
                .read()?
                .expect(der::SEQUENCE, "a name attribute")?
                .reader();
            let oid = pair.read()?.oid()?;
            let value = der::decode_string(pair.read()?)?;
            out.push((attribute_name(&oid), value));
        }
    }
    Ok(out)
}

fn parse_key(spki: Tlv<'_>) -> Result<(KeyInfo, &[u8]), DerError> {
    let mut parts = spki.reader();
    let mut algorithm = parts
        .read()?
        .expect(der::SEQUENCE, "the key algorithm")?
        .reader();
    let oid = algorithm.read()?.oid()?;
    let parameter = if algorithm.is_empty() {
        None
    } else {
        Some(algorithm.read()?)
    };
    let bits = parts
        .read()?
        .expect(der::BIT_STRING, "the public key bits")?
        .bit_string_bytes()?;
    let key = match oid.as_str() {
        OID_RSA => {
            let mut rsa = Reader::new(bits)
                .read()?
                .expect(der::SEQUENCE, "the RSA key")?
                .reader();
            let modulus = rsa.read()?.expect(der::INTEGER, "the RSA modulus")?;
            KeyInfo {
                algorithm: "RSA".into(),
                bits: Some(der::unsigned_bits(modulus.content)),
                curve: None,
            }
        }
        OID_EC => {
            let curve_oid = parameter
                .ok_or(DerError("an EC key without its curve".into()))?
                .oid()?;
            let (curve, size) = match curve_oid.as_str() {
                OID_P256 => ("P-256".to_owned(), Some(256)),
                OID_P384 => ("P-384".to_owned(), Some(384)),
                OID_P521 => ("P-521".to_owned(), Some(521)),
                other => (other.to_owned(), None),
            };
            KeyInfo {
                algorithm: "EC".into(),
                bits: size,
                curve: Some(curve),
            }
        }
        OID_DSA => KeyInfo {
            algorithm: "DSA".into(),
            ..KeyInfo::default()
        },
        OID_ED25519 => KeyInfo {
            algorithm: "Ed25519".into(),
            bits: Some(256),
            curve: None,
        },
        OID_ED448 => KeyInfo {
            algorithm: "Ed448".into(),
            bits: Some(456),
            curve: None,
        },
        other => KeyInfo {
            algorithm: other.to_owned(),
            ..KeyInfo::default()
        },
    };
    Ok((key, bits))
}

fn parse_attributes(
    attributes: Tlv<'_>,
    dns: &mut Vec<String>,
    other: &mut Vec<String>,
) -> Result<(), DerError> {
    let mut list = attributes.reader();
    while !list.is_empty() {
        let mut attribute = list.read()?.expect(der::SEQUENCE, "an attribute")?.reader();
        if attribute.read()?.oid()? != OID_EXTENSION_REQUEST {
            continue;
        }
        let mut values = attribute
            .read()?
            .expect(der::SET, "the extensions")?
            .reader();
        let mut extensions = values
            .read()?
            .expect(der::SEQUENCE, "the extensions")?
            .reader();
        while !extensions.is_empty() {
            let mut extension = extensions
                .read()?
                .expect(der::SEQUENCE, "an extension")?
                .reader();
            let oid = extension.read()?.oid()?;
            let mut value = extension.read()?;
            if value.tag == 0x01 {
                // The optional "critical" flag.
                value = extension.read()?;
            }
            let value = value.expect(der::OCTET_STRING, "an extension value")?;
            if oid == OID_SAN {
                parse_san(value.content, dns, other)?;
            }
        }
    }
    Ok(())
}

fn parse_san(
    content: &[u8],
    dns: &mut Vec<String>,
    other: &mut Vec<String>,
) -> Result<(), DerError> {
    let mut names = Reader::new(content)
        .read()?
        .expect(der::SEQUENCE, "the alternative names")?
        .reader();
    while !names.is_empty() {
        let name = names.read()?;
        match name.tag {
            0x82 => dns.push(
                String::from_utf8(name.content.to_vec())
                    .map_err(|_| DerError("a DNS name that is not text".into()))?,
            ),
            0x81 => other.push(format!("email:{}", String::from_utf8_lossy(name.content))),
            0x87 => other.push(format!("IP:{}", format_ip(name.content))),
            _ => other.push("other name".into()),
        }
    }
    Ok(())
}

fn format_ip(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => "(malformed address)".into(),
    }
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.3" => "md4WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-SHA256",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => other,
    }
    .to_owned()
}

fn check_key(key: &KeyInfo, errors: &mut Vec<String>) {
    match key.algorithm.as_str() {
        "RSA" => match key.bits.unwrap_or(0) {
            bits if bits < 2048 => errors.push(format!(
                "The key is RSA {bits} bits; DigiCert needs at least 2048 bits. Create a new key and CSR."
            )),
            bits if bits > 8192 => errors.push(format!(
                "The key is RSA {bits} bits; at most 8192 bits are accepted."
            )),
            _ => {}
        },
        "EC" => match key.curve.as_deref() {
            Some("P-256" | "P-384") => {}
            Some(curve) => errors.push(format!(
                "The key uses the {curve} curve; only P-256 and P-384 are accepted."
            )),
            None => errors.push("The EC key names no curve.".into()),
        },
        "DSA" => errors.push("DSA keys are not accepted; use RSA (2048 bits or more) or EC P-256/P-384.".into()),
        "Ed25519" | "Ed448" => errors.push(format!(
            "{} keys are not accepted for these certificates; use RSA (2048 bits or more) or EC P-256/P-384.",
            key.algorithm
        )),
        other => errors.push(format!("Unknown key algorithm {other}.")),
    }
}

fn check_signature_algorithm(oid: &str, report: &mut CsrReport) {
    match oid {
        "1.2.840.113549.1.1.2" | "1.2.840.113549.1.1.3" | "1.2.840.113549.1.1.4" => {
            report.errors.push(format!(
                "The CSR is signed with {}, a broken hash. Create it again with SHA-256.",
                signature_name(oid)
            ))
        }
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" => report.warnings.push(
            "The CSR is signed with SHA-1. DigiCert accepts it, but SHA-256 is better.".into(),
        ),
        _ => {}
    }
}

/// Verifies the self-signature with ring. `None` in the browser, where it is not checked.
#[cfg(feature = "ssr")]
fn verify_signature(csr: &ParsedCsr<'_>, errors: &mut Vec<String>) -> Option<bool> {
    use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
    let algorithms: &[&'static dyn VerificationAlgorithm] = match (
        csr.signature_oid.as_str(),
        csr.key.curve.as_deref(),
    ) {
        ("1.2.840.113549.1.1.5", None) => &[&sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY],
        ("1.2.840.113549.1.1.11", None) => &[&sig::RSA_PKCS1_2048_8192_SHA256],
        ("1.2.840.113549.1.1.12", None) => &[&sig::RSA_PKCS1_2048_8192_SHA384],
        ("1.2.840.113549.1.1.13", None) => &[&sig::RSA_PKCS1_2048_8192_SHA512],
        // PSS names its hash in parameters; the one that verifies is the one used.
        ("1.2.840.113549.1.1.10", None) => &[
            &sig::RSA_PSS_2048_8192_SHA256,
            &sig::RSA_PSS_2048_8192_SHA384,
            &sig::RSA_PSS_2048_8192_SHA512,
        ],
        ("1.2.840.10045.4.3.2", Some("P-256")) => &[&sig::ECDSA_P256_SHA256_ASN1],
        ("1.2.840.10045.4.3.3", Some("P-256")) => &[&sig::ECDSA_P256_SHA384_ASN1],
        ("1.2.840.10045.4.3.2", Some("P-384")) => &[&sig::ECDSA_P384_SHA256_ASN1],
        ("1.2.840.10045.4.3.3", Some("P-384")) => &[&sig::ECDSA_P384_SHA384_ASN1],
        (oid, _) => {
            errors.push(format!(
                    "The CSR's signature algorithm {} cannot be checked with this key; create it with SHA-256.",
                    signature_name(oid)
                ));
            return Some(false);
        }
    };
    let verified = algorithms.iter().any(|algorithm| {
        UnparsedPublicKey::new(*algorithm, csr.public_key)
            .verify(csr.info, csr.signature)
            .is_ok()
    });
    if !verified {
        errors.push(
            "The CSR's signature does not match its public key: it was changed after it was \
             signed, or it is damaged. Create it again."
                .into(),
        );
    }
    Some(verified)
}

#[cfg(not(feature = "ssr"))]
fn verify_signature(_csr: &ParsedCsr<'_>, _errors: &mut Vec<String>) -> Option<bool> {
    None
}

#[cfg(test)]
mod tests;
