//! A request's own page (`/requests/:id`): the request's status, timeline and values with the
//! panels of the features that act on it (approval decision, DCV, certificates, reissues and
//! revocations, forwarding retry). It sits above those features so none of them imports another's
//! views: the request features stay below the features built on them.

mod views;

pub use views::RequestPage;
