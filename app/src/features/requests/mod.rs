//! Certificate requests: the order forms, submission, and "My requests".

pub mod model;
pub mod names;
