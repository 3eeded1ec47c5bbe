//! DigiCert CertCentral Services API: the order payloads, the product catalogue and the rules an
//! order must satisfy. Shared by the browser (forms, the approver's JSON preview), the server
//! (before anything is stored or sent) and the simulator (which answers like DigiCert does).
pub mod account;
pub mod dates;
pub mod dcv;
pub mod lifecycle;
pub mod payload;
pub mod pricing;
pub mod products;
pub mod rules;
