//! HTTP-level tests: the real router on port 0, a fresh database per test.
mod auth;
mod authorization;
mod cli;
mod digicert;
mod health;
mod helpers;
mod pages;
mod requests;
