//! The request pages: product chooser, order forms and "My requests". A request's own page,
//! which gathers every feature's panel for one request, lives in `request_page`.

mod form;
mod list;

pub use form::RequestFormPage;
pub use list::{MyRequestsPage, NewRequestPage, StatusBadge};
