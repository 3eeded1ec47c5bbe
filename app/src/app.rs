//! The document shell, the router and the layout every page shares.

use crate::components::{NotFound, resource};
use crate::features::auth::{
    Auth, CurrentUser,
    api::{SignOut, me},
};
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
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

/// Set once the page on screen has hydrated (see [`mark_page_hydrated`]).
#[derive(Clone, Copy)]
pub struct PageHydrated(WriteSignal<bool>);

/// Called by every page as it renders: its effect runs once the page has hydrated in the browser.
pub fn mark_page_hydrated() {
    if let Some(PageHydrated(set)) = use_context() {
        Effect::new(move |_| set.set(true));
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let signed_in = RwSignal::new(0);
    let sign_out = ServerAction::<SignOut>::new();
    let user = resource(
        move || (signed_in.get(), sign_out.version().get()),
        |_| me(),
    );
    provide_context(Auth {
        user,
        signed_in,
        sign_out,
    });
    // Lets browser tests tell a hydrated page from server-rendered HTML. A page's code loads
    // lazily and hydrates after the shell, so the page itself says when it is ready.
    let (hydrated, set_hydrated) = signal(false);
    provide_context(PageHydrated(set_hydrated));

    view! {
        <Stylesheet id="leptos" href="/pkg/certdesk.css" />
        <Link rel="icon" type_="image/x-icon" href="/favicon.ico" />
        <Title formatter=|text| format!("{text} · certdesk") />
        <Router>
            <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
                <TopBar />
                <main id="main">
                    <PageRoutes />
                </main>
            </div>
        </Router>
    }
}

/// Every page's address. All but the sign-in page load lazily: each is a split point of the
/// browser bundle (see `pages`), and the server renders each once its data is ready.
#[component]
fn PageRoutes() -> impl IntoView {
    view! {
        <Routes fallback=NotFound>
            <Route path=path!("/") view={Lazy::<pages::Dashboard>::new()} ssr=SsrMode::Async />
            <Route path=path!("/sign-in") view=pages::SignIn ssr=SsrMode::Async />
            <Route
                path=path!("/requests/new")
                view={Lazy::<pages::NewRequest>::new()}
                ssr=SsrMode::Async
            />
            <Route
                path=path!("/requests/new/:kind")
                view={Lazy::<pages::RequestForm>::new()}
                ssr=SsrMode::Async
            />
            <Route
                path=path!("/requests/:id")
                view={Lazy::<pages::Request>::new()}
                ssr=SsrMode::Async
            />
            <Route
                path=path!("/requests/:id/reissue")
                view={Lazy::<pages::Reissue>::new()}
                ssr=SsrMode::Async
            />
            <Route
                path=path!("/requests/:id/duplicate")
                view={Lazy::<pages::Duplicate>::new()}
                ssr=SsrMode::Async
            />
            <Route
                path=path!("/requests")
                view={Lazy::<pages::MyRequests>::new()}
                ssr=SsrMode::Async
            />
            <Route
                path=path!("/approvals")
                view={Lazy::<pages::Approvals>::new()}
                ssr=SsrMode::Async
            />
            <Route path=path!("/history") view={Lazy::<pages::History>::new()} ssr=SsrMode::Async />
            <Route path=path!("/domains") view={Lazy::<pages::Domains>::new()} ssr=SsrMode::Async />
            <Route
                path=path!("/certificates")
                view={Lazy::<pages::Certificates>::new()}
                ssr=SsrMode::Async
            />
            <Route path=path!("/users") view={Lazy::<pages::Users>::new()} ssr=SsrMode::Async />
            <Route path=path!("/audit") view={Lazy::<pages::Audit>::new()} ssr=SsrMode::Async />
            <Route
                path=path!("/admin/policies")
                view={Lazy::<pages::Policies>::new()}
                ssr=SsrMode::Async
            />
            <Route path=path!("/admin/mail") view={Lazy::<pages::Mail>::new()} ssr=SsrMode::Async />
            <Route path=path!("/account") view={Lazy::<pages::Account>::new()} ssr=SsrMode::Async />
            <Route
                path=path!("/account/password")
                view={Lazy::<pages::ChangePassword>::new()}
                ssr=SsrMode::Async
            />
        </Routes>
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
