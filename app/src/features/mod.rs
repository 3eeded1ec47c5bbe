pub mod auth;
pub mod dashboard;
pub mod digicert;
pub mod pages;
pub mod users;
