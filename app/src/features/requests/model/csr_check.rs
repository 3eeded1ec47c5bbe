//! The CSR preview: what the CSR says and how its names differ from the form's.

use super::*;
use crate::features::csr::{self, CsrReport};
use crate::features::requests::names::to_ascii;
use serde::{Deserialize, Serialize};

/// Names in the CSR but not on the form, and on the form but not in the CSR. DigiCert takes the
/// certificate's names from the order, so neither blocks a request: names only on the form are
/// information (the certificate will carry them), names only in the CSR a warning (it will not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameDifference {
    pub only_in_csr: Vec<String>,
    pub only_in_form: Vec<String>,
}

impl NameDifference {
    /// The warning: names the person may have meant to order.
    pub fn warning(&self) -> Option<String> {
        (!self.only_in_csr.is_empty()).then(|| {
            format!(
                "Only in the CSR: {}. The certificate names what the order names, so these will \
                 not be in it; use \"Fill from CSR\" to add them.",
                self.only_in_csr.join(", ")
            )
        })
    }

    /// The information: names DigiCert adds although the CSR lacks them.
    pub fn information(&self) -> Option<String> {
        (!self.only_in_form.is_empty()).then(|| {
            format!(
                "Only in the form: {}. DigiCert takes the names from the order, so the \
                 certificate will name these too.",
                self.only_in_form.join(", ")
            )
        })
    }
}

/// `None` when the CSR names nothing or exactly the form's names (in any order or case). Linear
/// in the number of names: each side is looked up in a hash set of the other.
pub fn name_difference(form: &RequestForm, report: &CsrReport) -> Option<NameDifference> {
    use std::collections::HashSet;
    let in_csr = distinct(report.names().iter().map(|n| to_ascii(n)));
    if in_csr.is_empty() {
        return None;
    }
    let (common_name, dns_names) = form.ascii_names();
    let in_form = distinct(std::iter::once(common_name).chain(dns_names));
    let csr_set: HashSet<&String> = in_csr.iter().collect();
    let form_set: HashSet<&String> = in_form.iter().collect();
    let difference = NameDifference {
        only_in_csr: in_csr
            .iter()
            .filter(|n| !form_set.contains(n))
            .cloned()
            .collect(),
        only_in_form: in_form
            .iter()
            .filter(|n| !csr_set.contains(n))
            .cloned()
            .collect(),
    };
    (!difference.only_in_csr.is_empty() || !difference.only_in_form.is_empty())
        .then_some(difference)
}

/// The non-empty names in first-seen order, each once.
fn distinct(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .filter(|name| !name.is_empty() && seen.insert(name.clone()))
        .collect()
}

/// The CSR preview: what the CSR says, and how its names differ from the form's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrCheck {
    pub report: CsrReport,
    pub difference: Option<NameDifference>,
}

impl CsrCheck {
    /// Checks the form's CSR (nothing when the box is empty). The report never carries the CSR
    /// itself back, and a private key leaves nothing of itself in it.
    pub fn of(form: &RequestForm) -> Option<CsrCheck> {
        if form.csr.trim().is_empty() {
            return None;
        }
        let mut report = csr::inspect(form.csr.as_bytes());
        report.pem = None;
        let tls = form.form_kind().is_none_or(FormKind::is_tls);
        let difference = if report.ok && tls {
            name_difference(form, &report)
        } else {
            None
        };
        Some(CsrCheck { report, difference })
    }
}
