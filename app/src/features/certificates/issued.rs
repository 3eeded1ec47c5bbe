//! Checks an issued certificate before the requester gets it: it must carry the CSR's public key
//! and every name that was ordered.

use ::time::OffsetDateTime;
use x509_parser::pem::Pem;
use x509_parser::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The leaf alone.
    pub leaf_pem: String,
    /// Leaf, intermediates and root as DigiCert sent them.
    pub chain_pem: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Upper-case hexadecimal, no separators (DigiCert's `serial_number`).
    pub serial: String,
    /// The subject's common name (for document signing, the signer or organization).
    pub common_name: String,
    /// The DNS names of the subject alternative name extension.
    pub dns_names: Vec<String>,
}

/// `pem_all` → the leaf and the bundle, after checking the leaf against the CSR (when there is
/// one) and the requested names (TLS only: pass none for document signing).
pub fn check_issued(
    pem_all: &str,
    csr_pem: Option<&str>,
    names: &[String],
) -> Result<IssuedCertificate, String> {
    let blocks: Vec<Pem> = Pem::iter_from_buffer(pem_all.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the PEM bundle cannot be read: {e}"))?;
    let leaf_block = blocks
        .iter()
        .find(|p| p.label == "CERTIFICATE")
        .ok_or("the bundle holds no certificate")?;
    let (_, leaf) = X509Certificate::from_der(&leaf_block.contents)
        .map_err(|e| format!("the certificate cannot be parsed: {e}"))?;
    if let Some(csr_pem) = csr_pem {
        let (_, csr_block) = parse_x509_pem(csr_pem.as_bytes())
            .map_err(|e| format!("the stored CSR cannot be read: {e}"))?;
        let (_, csr) = X509CertificationRequest::from_der(&csr_block.contents)
            .map_err(|e| format!("the stored CSR cannot be parsed: {e}"))?;
        if csr.certification_request_info.subject_pki.raw != leaf.public_key().raw {
            return Err("the certificate does not carry the CSR's public key".into());
        }
    }
    let mut dns_names: Vec<String> = Vec::new();
    if let Ok(Some(san)) = leaf.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(dns) = name {
                dns_names.push(dns.to_ascii_lowercase());
            }
        }
    }
    let common_name = leaf
        .subject()
        .iter_common_name()
        .find_map(|cn| cn.as_str().ok())
        .map(str::to_owned)
        .or_else(|| dns_names.first().cloned())
        .unwrap_or_default();
    let mut on_certificate = dns_names.clone();
    on_certificate.push(common_name.to_ascii_lowercase());
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !n.is_empty() && !on_certificate.contains(&n.to_ascii_lowercase()))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the certificate lacks {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(IssuedCertificate {
        leaf_pem: pem_block("CERTIFICATE", &leaf_block.contents),
        chain_pem: pem_all.trim().to_owned() + "\n",
        not_before: leaf.validity().not_before.to_datetime(),
        not_after: leaf.validity().not_after.to_datetime(),
        serial: leaf.raw_serial_as_string().replace(':', "").to_uppercase(),
        common_name,
        dns_names,
    })
}

fn pem_block(label: &str, der: &[u8]) -> String {
    crate::features::csr::to_pem(der).replace("CERTIFICATE REQUEST", label)
}
