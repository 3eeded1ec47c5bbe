//! Every page as a lazily loaded route: the browser fetches a page's code the first time it is
//! shown (its own wasm chunk when built with `cargo leptos build --split`), so the first page
//! loads the shell and itself, not the whole portal. The server renders them as any other.
//! Each page still starts its own data loads when it renders.

use crate::features::approvals::views::ApprovalsPage;
use crate::features::audit::views::AuditPage;
use crate::features::auth::views::SignInPage;
use crate::features::certificates::views::CertificatesPage;
use crate::features::changes::model::ChangeKind;
use crate::features::changes::views::{NewCertificatePage, PoliciesPage};
use crate::features::dashboard::views::DashboardPage;
use crate::features::dcv::views::DomainsPage;
use crate::features::history::views::HistoryPage;
use crate::features::mail::views::{AccountPage, MailPage};
use crate::features::request_page::RequestPage;
use crate::features::requests::views::{MyRequestsPage, NewRequestPage, RequestFormPage};
use crate::features::users::views::{ChangePasswordPage, UsersPage};
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// Declares `$route`, a lazily loaded route showing `$page`.
macro_rules! lazy_page {
    ($route:ident => $page:expr) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                crate::app::mark_page_hydrated();
                $page.into_any()
            }
        }
    };
}

lazy_page!(Dashboard => view! { <DashboardPage /> });
lazy_page!(SignIn => view! { <SignInPage /> });
lazy_page!(NewRequest => view! { <NewRequestPage /> });
lazy_page!(RequestForm => view! { <RequestFormPage /> });
lazy_page!(Request => view! { <RequestPage /> });
lazy_page!(Reissue => view! { <NewCertificatePage kind=ChangeKind::Reissue /> });
lazy_page!(Duplicate => view! { <NewCertificatePage kind=ChangeKind::Duplicate /> });
lazy_page!(MyRequests => view! { <MyRequestsPage /> });
lazy_page!(Approvals => view! { <ApprovalsPage /> });
lazy_page!(History => view! { <HistoryPage /> });
lazy_page!(Domains => view! { <DomainsPage /> });
lazy_page!(Certificates => view! { <CertificatesPage /> });
lazy_page!(Users => view! { <UsersPage /> });
lazy_page!(Audit => view! { <AuditPage /> });
lazy_page!(Policies => view! { <PoliciesPage /> });
lazy_page!(Mail => view! { <MailPage /> });
lazy_page!(Account => view! { <AccountPage /> });
lazy_page!(ChangePassword => view! { <ChangePasswordPage /> });
