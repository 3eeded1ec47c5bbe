//! The document shell, the router and the layout every page shares.

use crate::components::NotFound;
use crate::features::approvals::views::ApprovalsPage;
use crate::features::audit::views::AuditPage;
use crate::features::auth::{
    Auth, CurrentUser,
    api::{SignOut, me},
    views::SignInPage,
};
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
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::csp::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let signed_in = RwSignal::new(0);
    let sign_out = ServerAction::<SignOut>::new();
    let user = Resource::new(
        move || (signed_in.get(), sign_out.version().get()),
        |_| me(),
    );
    provide_context(Auth {
        user,
        signed_in,
        sign_out,
    });
    // Lets browser tests tell a hydrated page from server-rendered HTML.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/certdesk.css" />
        <Link rel="icon" type_="image/x-icon" href="/favicon.ico" />
        <Title formatter=|text| format!("{text} · certdesk") />
        <Router>
            <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
                <TopBar />
                <main id="main">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=DashboardPage ssr=SsrMode::Async />
                        <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                        <Route path=path!("/requests/new") view=NewRequestPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/requests/new/:kind")
                            view=RequestFormPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/requests/:id") view=RequestPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/requests/:id/reissue")
                            view=|| view! { <NewCertificatePage kind=ChangeKind::Reissue /> }
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/requests/:id/duplicate")
                            view=|| view! { <NewCertificatePage kind=ChangeKind::Duplicate /> }
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/requests") view=MyRequestsPage ssr=SsrMode::Async />
                        <Route path=path!("/approvals") view=ApprovalsPage ssr=SsrMode::Async />
                        <Route path=path!("/history") view=HistoryPage ssr=SsrMode::Async />
                        <Route path=path!("/domains") view=DomainsPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/certificates")
                            view=CertificatesPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                        <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                        <Route path=path!("/admin/policies") view=PoliciesPage ssr=SsrMode::Async />
                        <Route path=path!("/admin/mail") view=MailPage ssr=SsrMode::Async />
                        <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/account/password")
                            view=ChangePasswordPage
                            ssr=SsrMode::Async
                        />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// Brand, the navigation the signed-in person may use, and sign-out.
#[component]
fn TopBar() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                "certdesk"
            </a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    auth.user.await.ok().flatten().map(|user| view! { <Navigation user /> })
                })}
            </Transition>
        </header>
    }
}

#[component]
fn Navigation(user: CurrentUser) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let items = user
        .navigation()
        .into_iter()
        .map(|item| {
            view! {
                <li>
                    <a href=item.href()>{item.label()}</a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav aria-label="Main">
            <ul>{items}</ul>
        </nav>
        <div class="who">
            <span class="who-name">{user.display_name}</span>
            <ActionForm action=auth.sign_out>
                <button type="submit" class="secondary">
                    "Sign out"
                </button>
            </ActionForm>
        </div>
    }
}
