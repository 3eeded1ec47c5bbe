//! The pages as lazily loaded routes: the browser fetches a page's code the first time it is
//! shown, so a first visit loads the shell and that page, not the whole portal. The server renders
//! them as any other. Each page still starts its own data loads when it renders. The sign-in page
//! alone comes with the shell (see [`SignIn`]).
//!
//! Pages are loaded in groups: each group is one split point (one wasm file of its own when built
//! with `cargo leptos build --split`). Code two groups share goes into a chunk for exactly those
//! groups, so every extra split point multiplies the small shared chunks a page fetches, each
//! compressed on its own. Pages that are used together, or that share most of their code (the
//! order forms, the reissue and duplicate forms, the account and admin pages), load as one.

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
use leptos_router::LazyRoute;

/// Declares a group of lazily loaded routes: `mod $group` holds the group's split point, a
/// function that shows one of its pages, and each `$route` is a [`LazyRoute`] calling it.
macro_rules! lazy_pages {
    ($group:ident { $($route:ident => $page:expr),+ $(,)? }) => {
        mod $group {
            use super::*;

            /// The pages of this group. A plain `u8` enum: it crosses the split point's
            /// `extern "C"` call.
            #[repr(u8)]
            pub enum Page {
                $($route),+
            }

            /// The group's split point: its code (and what only it uses) loads on first call.
            /// Named after the group: split points are told apart by name.
            #[leptos::lazy($group)]
            pub fn show(page: Page) -> AnyView {
                crate::app::mark_page_hydrated();
                match page {
                    $(Page::$route => $page.into_any()),+
                }
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $group::show($group::Page::$route).await
                }

                /// The router awaits this before it hydrates or shows the page, so the page
                /// renders in one go once its code is there. (`#[lazy]` names the loader.)
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $group::__preload_show().await;
                }
            }
        )+
    };
}

/// The sign-in page is not loaded lazily: a signed-out visit starts there, so its code comes
/// with the shell, compressed together with it, instead of as chunks fetched after it.
#[component]
pub fn SignIn() -> impl IntoView {
    crate::app::mark_page_hydrated();
    view! { <SignInPage /> }
}

lazy_pages!(dashboard_pages {
    Dashboard => view! { <DashboardPage /> },
});
lazy_pages!(order_pages {
    NewRequest => view! { <NewRequestPage /> },
    RequestForm => view! { <RequestFormPage /> },
});
lazy_pages!(request_pages {
    Request => view! { <RequestPage /> },
});
lazy_pages!(change_pages {
    Reissue => view! { <NewCertificatePage kind=ChangeKind::Reissue /> },
    Duplicate => view! { <NewCertificatePage kind=ChangeKind::Duplicate /> },
});
lazy_pages!(approval_pages {
    Approvals => view! { <ApprovalsPage /> },
});
lazy_pages!(list_pages {
    MyRequests => view! { <MyRequestsPage /> },
    History => view! { <HistoryPage /> },
    Certificates => view! { <CertificatesPage /> },
    Domains => view! { <DomainsPage /> },
});
lazy_pages!(settings_pages {
    Account => view! { <AccountPage /> },
    ChangePassword => view! { <ChangePasswordPage /> },
    Users => view! { <UsersPage /> },
    Audit => view! { <AuditPage /> },
    Policies => view! { <PoliciesPage /> },
    Mail => view! { <MailPage /> },
});
