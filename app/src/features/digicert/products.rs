//! The products certdesk can order and what kind of certificate each one is.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How thoroughly DigiCert validates the subject, which decides the rules that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Validation {
    Dv,
    Ov,
    Ev,
    /// Private PKI: not publicly trusted, needs an issuing CA (`ca_cert_id`).
    Private,
    /// Grid certificates.
    Grid,
}

/// `product.type_hint` on the generic `ssl` endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeHint {
    Ov,
    Ev,
    Grid,
    Private,
}

impl TypeHint {
    pub const ALL: [TypeHint; 4] = [
        TypeHint::Ov,
        TypeHint::Ev,
        TypeHint::Grid,
        TypeHint::Private,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TypeHint::Ov => "ov",
            TypeHint::Ev => "ev",
            TypeHint::Grid => "grid",
            TypeHint::Private => "private",
        }
    }

    pub fn parse(text: &str) -> Option<TypeHint> {
        TypeHint::ALL.into_iter().find(|h| h.as_str() == text)
    }

    pub fn validation(self) -> Validation {
        match self {
            TypeHint::Ov => Validation::Ov,
            TypeHint::Ev => Validation::Ev,
            TypeHint::Grid => Validation::Grid,
            TypeHint::Private => Validation::Private,
        }
    }
}

/// One orderable DigiCert product (`name_id`), plus the generic `ssl` endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ProductId {
    SslBasic,
    SslEvBasic,
    SslSecuresiteFlex,
    SslEvSecuresiteFlex,
    SslSecuresitePro,
    SslEvSecuresitePro,
    SslDvThawte,
    SslThawteWebserver,
    SslEvThawteWebserver,
    SslDvGeotrustFlex,
    SslGeotrustTruebizid,
    SslEvGeotrustTruebizid,
    SslDvRapidssl,
    WildcardDvRapidssl,
    /// `order/certificate/ssl` with `product.type_hint`.
    Ssl,
    #[serde(rename = "document_signing_org_1")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "document_signing_org_1"))]
    DocumentSigningOrg1,
    #[serde(rename = "document_signing_org_2")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "document_signing_org_2"))]
    DocumentSigningOrg2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Tls,
    DocumentSigning,
}

impl ProductId {
    /// The 14 products that take a Multi-year Plan (order validity longer than one certificate).
    pub const MULTI_YEAR: [ProductId; 14] = [
        ProductId::SslBasic,
        ProductId::SslEvBasic,
        ProductId::SslSecuresiteFlex,
        ProductId::SslEvSecuresiteFlex,
        ProductId::SslSecuresitePro,
        ProductId::SslEvSecuresitePro,
        ProductId::SslDvThawte,
        ProductId::SslThawteWebserver,
        ProductId::SslEvThawteWebserver,
        ProductId::SslDvGeotrustFlex,
        ProductId::SslGeotrustTruebizid,
        ProductId::SslEvGeotrustTruebizid,
        ProductId::SslDvRapidssl,
        ProductId::WildcardDvRapidssl,
    ];

    /// Every product: the Multi-year ones, the generic `ssl` endpoint, document signing.
    pub const ALL: [ProductId; 17] = {
        let mut all = [ProductId::Ssl; 17];
        let mut i = 0;
        while i < ProductId::MULTI_YEAR.len() {
            all[i] = ProductId::MULTI_YEAR[i];
            i += 1;
        }
        all[15] = ProductId::DocumentSigningOrg1;
        all[16] = ProductId::DocumentSigningOrg2;
        all
    };

    pub fn name_id(self) -> &'static str {
        match self {
            ProductId::SslBasic => "ssl_basic",
            ProductId::SslEvBasic => "ssl_ev_basic",
            ProductId::SslSecuresiteFlex => "ssl_securesite_flex",
            ProductId::SslEvSecuresiteFlex => "ssl_ev_securesite_flex",
            ProductId::SslSecuresitePro => "ssl_securesite_pro",
            ProductId::SslEvSecuresitePro => "ssl_ev_securesite_pro",
            ProductId::SslDvThawte => "ssl_dv_thawte",
            ProductId::SslThawteWebserver => "ssl_thawte_webserver",
            ProductId::SslEvThawteWebserver => "ssl_ev_thawte_webserver",
            ProductId::SslDvGeotrustFlex => "ssl_dv_geotrust_flex",
            ProductId::SslGeotrustTruebizid => "ssl_geotrust_truebizid",
            ProductId::SslEvGeotrustTruebizid => "ssl_ev_geotrust_truebizid",
            ProductId::SslDvRapidssl => "ssl_dv_rapidssl",
            ProductId::WildcardDvRapidssl => "wildcard_dv_rapidssl",
            ProductId::Ssl => "ssl",
            ProductId::DocumentSigningOrg1 => "document_signing_org_1",
            ProductId::DocumentSigningOrg2 => "document_signing_org_2",
        }
    }

    pub fn parse(name_id: &str) -> Option<ProductId> {
        ProductId::ALL.into_iter().find(|p| p.name_id() == name_id)
    }

    pub fn display_name(self) -> &'static str {
        match self {
            ProductId::SslBasic => "Basic OV",
            ProductId::SslEvBasic => "Basic EV",
            ProductId::SslSecuresiteFlex => "Secure Site OV",
            ProductId::SslEvSecuresiteFlex => "Secure Site EV",
            ProductId::SslSecuresitePro => "Secure Site Pro OV",
            ProductId::SslEvSecuresitePro => "Secure Site Pro EV",
            ProductId::SslDvThawte => "Thawte SSL 123 DV",
            ProductId::SslThawteWebserver => "Thawte SSL Webserver OV",
            ProductId::SslEvThawteWebserver => "Thawte SSL Webserver EV",
            ProductId::SslDvGeotrustFlex => "GeoTrust DV SSL",
            ProductId::SslGeotrustTruebizid => "GeoTrust TrueBusiness ID OV",
            ProductId::SslEvGeotrustTruebizid => "GeoTrust TrueBusiness ID EV",
            ProductId::SslDvRapidssl => "RapidSSL Standard DV",
            ProductId::WildcardDvRapidssl => "RapidSSL Wildcard DV",
            ProductId::Ssl => "SSL by type",
            ProductId::DocumentSigningOrg1 => "Document Signing – Organization (2000)",
            ProductId::DocumentSigningOrg2 => "Document Signing – Organization (5000)",
        }
    }

    pub fn family(self) -> Family {
        match self {
            ProductId::DocumentSigningOrg1 | ProductId::DocumentSigningOrg2 => {
                Family::DocumentSigning
            }
            _ => Family::Tls,
        }
    }

    /// Validation level of a fixed product; `None` for `ssl`, where the type hint decides.
    pub fn validation(self) -> Option<Validation> {
        use ProductId::*;
        match self {
            SslBasic | SslSecuresiteFlex | SslSecuresitePro | SslThawteWebserver
            | SslGeotrustTruebizid => Some(Validation::Ov),
            SslEvBasic
            | SslEvSecuresiteFlex
            | SslEvSecuresitePro
            | SslEvThawteWebserver
            | SslEvGeotrustTruebizid => Some(Validation::Ev),
            SslDvThawte | SslDvGeotrustFlex | SslDvRapidssl | WildcardDvRapidssl => {
                Some(Validation::Dv)
            }
            DocumentSigningOrg1 | DocumentSigningOrg2 => Some(Validation::Ov),
            Ssl => None,
        }
    }

    pub fn is_multi_year(self) -> bool {
        ProductId::MULTI_YEAR.contains(&self)
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in ProductId::ALL {
            assert_eq!(ProductId::parse(p.name_id()), Some(p));
            assert!(seen.insert(p.name_id()));
            assert_eq!(serde_json::to_value(p).unwrap(), p.name_id());
        }
        assert_eq!(ProductId::parse("ssl_plus"), None);
    }

    #[test]
    fn fourteen_multi_year_products_all_tls() {
        assert_eq!(ProductId::MULTI_YEAR.len(), 14);
        assert!(
            ProductId::MULTI_YEAR
                .iter()
                .all(|p| p.family() == Family::Tls)
        );
        assert!(!ProductId::Ssl.is_multi_year());
        assert!(!ProductId::DocumentSigningOrg1.is_multi_year());
    }

    #[test]
    fn ev_products_are_ev() {
        assert_eq!(
            ProductId::SslEvSecuresitePro.validation(),
            Some(Validation::Ev)
        );
        assert_eq!(ProductId::SslBasic.validation(), Some(Validation::Ov));
        assert_eq!(
            TypeHint::parse("private").unwrap().validation(),
            Validation::Private
        );
        assert_eq!(TypeHint::parse("dv"), None);
    }
}
