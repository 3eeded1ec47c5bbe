//! The request pages: product chooser, order forms, "My requests" and a request's own page.

mod detail;
mod form;
mod list;

pub use detail::RequestPage;
pub use form::RequestFormPage;
pub use list::{MyRequestsPage, NewRequestPage};
