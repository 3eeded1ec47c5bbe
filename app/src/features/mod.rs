pub mod auth;
pub mod dashboard;
pub mod pages;
pub mod users;
