//! The simulator's test certificate authority: a root and an intermediate made at start-up,
//! issuing real X.509 certificates for the public key in a CSR.

use rand::RngCore;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
    SubjectPublicKeyInfo,
};
use sha1::{Digest, Sha1};
use time::{Date, OffsetDateTime, Time};
use x509_parser::prelude::{FromDer, X509CertificationRequest};
use x509_parser::public_key::PublicKey;

pub const ROOT_NAME: &str = "certdesk Simulated Root CA";
pub const INTERMEDIATE_NAME: &str = "certdesk Simulated Global G2 TLS ECC SHA256 2026 CA1";

pub struct TestCa {
    root: Certificate,
    intermediate: Certificate,
    intermediate_key: KeyPair,
}

/// A certificate the CA issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub leaf_pem: String,
    pub serial_hex: String,
    pub thumbprint: String,
    pub valid_from: Date,
    pub valid_till: Date,
}

/// Why a CSR was refused, in DigiCert's terms.
#[derive(Debug, PartialEq, Eq)]
pub enum CsrProblem {
    Unparseable,
    BadSignature,
    WeakKey(String),
}

impl TestCa {
    pub fn new() -> Result<TestCa, rcgen::Error> {
        let root_key = KeyPair::generate()?;
        let mut root_params = ca_params(ROOT_NAME, 20)?;
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let root = root_params.self_signed(&root_key)?;

        let intermediate_key = KeyPair::generate()?;
        let mut params = ca_params(INTERMEDIATE_NAME, 10)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let intermediate = params.signed_by(&intermediate_key, &root, &root_key)?;
        Ok(TestCa {
            root,
            intermediate,
            intermediate_key,
        })
    }

    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    #[allow(clippy::too_many_arguments)]
    /// Issues a certificate for the CSR's key, valid from `from` 00:00:00Z for `days` days
    /// until 23:59:59Z. The names come from the order, never from the CSR (as at DigiCert).
    pub fn issue(
        &self,
        csr_pem: &str,
        common_name: &str,
        dns_names: &[String],
        organization: Option<&str>,
        from: Date,
        days: u32,
        server_auth: bool,
    ) -> Result<Issued, CsrProblem> {
        let spki_der = check_csr(csr_pem)?;
        let public_key = SubjectPublicKeyInfo::from_der(&spki_der)
            .map_err(|e| CsrProblem::WeakKey(format!("unsupported key: {e}")))?;
        self.sign(
            &public_key,
            common_name,
            dns_names,
            organization,
            from,
            days,
            server_auth,
        )
    }

    /// Issues for a key generated here (document signing tokens shipped by DigiCert).
    pub fn issue_with_new_key(
        &self,
        common_name: &str,
        organization: Option<&str>,
        from: Date,
        days: u32,
    ) -> Result<Issued, CsrProblem> {
        let key = KeyPair::generate().map_err(|_| CsrProblem::Unparseable)?;
        self.sign(&key, common_name, &[], organization, from, days, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn sign(
        &self,
        public_key: &impl rcgen::PublicKeyData,
        common_name: &str,
        dns_names: &[String],
        organization: Option<&str>,
        from: Date,
        days: u32,
        server_auth: bool,
    ) -> Result<Issued, CsrProblem> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        if let Some(org) = organization {
            dn.push(DnType::OrganizationName, org);
        }
        params.distinguished_name = dn;
        if server_auth {
            let mut names = vec![common_name.to_owned()];
            names.extend(
                dns_names
                    .iter()
                    .filter(|n| n.as_str() != common_name)
                    .cloned(),
            );
            for name in names {
                let ia5 = name
                    .clone()
                    .try_into()
                    .map_err(|_| CsrProblem::WeakKey(format!("{name} is not an ASCII name")))?;
                params.subject_alt_names.push(SanType::DnsName(ia5));
            }
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        } else {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
        }
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.is_ca = IsCa::ExplicitNoCa;
        let mut serial = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut serial);
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let valid_till = from + time::Duration::days(i64::from(days.max(1)) - 1);
        params.not_before = OffsetDateTime::new_utc(from, Time::MIDNIGHT);
        params.not_after = OffsetDateTime::new_utc(
            valid_till,
            Time::from_hms(23, 59, 59).expect("a valid time"),
        );
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(public_key, &self.intermediate, &self.intermediate_key)
            .map_err(|e| CsrProblem::WeakKey(e.to_string()))?;
        Ok(Issued {
            thumbprint: hex::encode_upper(Sha1::digest(cert.der())),
            serial_hex: hex::encode_upper(serial),
            leaf_pem: cert.pem(),
            valid_from: from,
            valid_till,
        })
    }
}

fn ca_params(name: &str, years: i32) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn.push(DnType::OrganizationName, "certdesk DigiCert simulator");
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now.replace_year(now.year() + years).unwrap_or(now);
    Ok(params)
}

/// Parses a PEM CSR, verifies its self-signature and key strength, and answers its
/// SubjectPublicKeyInfo in DER.
pub fn check_csr(csr_pem: &str) -> Result<Vec<u8>, CsrProblem> {
    let der = pem_body(csr_pem).ok_or(CsrProblem::Unparseable)?;
    let (_, csr) = X509CertificationRequest::from_der(&der).map_err(|_| CsrProblem::Unparseable)?;
    // Key strength first: the verifier refuses to check signatures of keys this weak at all.
    let spki = &csr.certification_request_info.subject_pki;
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) if rsa.key_size() < 2048 => {
            return Err(CsrProblem::WeakKey(format!(
                "RSA keys need at least 2048 bits; this one has {}",
                rsa.key_size()
            )));
        }
        Ok(PublicKey::RSA(_)) | Ok(PublicKey::EC(_)) => {}
        Ok(_) => {
            return Err(CsrProblem::WeakKey(
                "only RSA and ECDSA keys are accepted".into(),
            ));
        }
        Err(_) => return Err(CsrProblem::Unparseable),
    }
    csr.verify_signature()
        .map_err(|_| CsrProblem::BadSignature)?;
    Ok(spki.raw.to_vec())
}

/// The bytes inside the first `-----BEGIN …-----` block.
fn pem_body(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = text.find("-----BEGIN")?;
    let after_header = start + text[start..].find('\n')? + 1;
    let end = after_header + text[after_header..].find("-----END")?;
    let body: String = text[after_header..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::date;

    /// A CSR for a fresh P-256 key, made the way `openssl req -new` would.
    pub(crate) fn make_csr(common_name: &str) -> String {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![common_name.to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.serialize_request(&key).unwrap().pem().unwrap()
    }

    #[test]
    fn issues_a_chain_that_verifies() {
        let ca = TestCa::new().unwrap();
        let csr = make_csr("example.com");
        let issued = ca
            .issue(
                &csr,
                "example.com",
                &["www.example.com".into()],
                Some("Example Corp"),
                date!(2026 - 11 - 23),
                199,
                true,
            )
            .unwrap();
        assert_eq!(issued.valid_till, date!(2027 - 06 - 09));
        let leaf_der = pem_body(&issued.leaf_pem).unwrap();
        let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
        let inter_der = pem_body(&ca.intermediate_pem()).unwrap();
        let (_, inter) = x509_parser::parse_x509_certificate(&inter_der).unwrap();
        leaf.verify_signature(Some(inter.public_key())).unwrap();
        assert_eq!(
            leaf.public_key().raw,
            check_csr(&csr).unwrap().as_slice(),
            "the CSR's key"
        );
        let sans: Vec<String> = leaf
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(sans, ["DNSName(example.com)", "DNSName(www.example.com)"]);
        assert_eq!(
            leaf.validity().not_after.to_datetime().time(),
            Time::from_hms(23, 59, 59).unwrap()
        );
        assert_eq!(issued.thumbprint.len(), 40);
    }

    #[test]
    fn refuses_garbage_and_tampered_csrs() {
        assert_eq!(check_csr("hello"), Err(CsrProblem::Unparseable));
        let csr = make_csr("example.com");
        // Flip a byte inside the signed part: the self-signature no longer matches.
        let mut der = pem_body(&csr).unwrap();
        let i = der.len() / 2;
        der[i] ^= 0x01;
        use base64::Engine;
        let tampered = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        assert!(matches!(
            check_csr(&tampered),
            Err(CsrProblem::BadSignature | CsrProblem::Unparseable)
        ));
    }
}
