//! HTTP-level tests: the real router on port 0, a fresh database per test.
mod account;
mod approvals;
mod auth;
mod authorization;
mod bench;
mod certificates;
mod cli;
mod dcv;
mod digicert;
mod forwarding;
mod health;
mod helpers;
mod history;
mod pages;
mod requests;
mod security;
mod users;
