pub mod auth;
pub mod csr;
pub mod dashboard;
pub mod digicert;
pub mod pages;
pub mod requests;
pub mod users;
