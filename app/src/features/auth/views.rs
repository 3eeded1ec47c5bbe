use super::api::{SignIn, load_demo_accounts};
use super::model::DemoAccounts;
use crate::app::Auth;
use crate::components::FieldError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    // Created inside the routes, so a failed plain-form sign-in (no JavaScript) finds its error
    // in the URL it was redirected to.
    let sign_in = ServerAction::<SignIn>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(next)) = sign_in.value().get() {
            auth.reload_user();
            navigate(&next, Default::default());
        }
    });
    let demo = Resource::new(|| (), |_| load_demo_accounts());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let outcome = sign_in.value();
    let error = Signal::derive(move || outcome.get().and_then(Result::err));
    let kept_email = move || {
        error
            .get()
            .and_then(|e| e.form().and_then(|f| f.kept.get("email").cloned()))
            .unwrap_or_default()
    };
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    demo.await.ok().flatten().map(|demo| view! { <DemoBanner demo /> })
                })}
            </Suspense>
            {move || error.get().map(|e: AppError| view! { <p class="alert" role="alert">{e.to_string()}</p> })}
            <ActionForm action=sign_in>
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required value=kept_email />
                    <FieldError error field="email" />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        // Emptied after every attempt: a password is never kept or shown again.
                        prop:value=move || outcome.with(|_| String::new())
                    />
                    <FieldError error field="password" />
                </div>
                <button type="submit">"Sign in"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn DemoBanner(demo: DemoAccounts) -> impl IntoView {
    view! {
        <aside class="banner" aria-label="Demo accounts">
            <p>
                <strong>"Demo mode. "</strong>
                "certdesk is running on its built-in DigiCert simulator. Sign in as any of these with the password "
                <code class="demo-password">{demo.password}</code>
            </p>
            <ul>
                {demo.emails.into_iter().map(|email| view! { <li><code>{email}</code></li> }).collect_view()}
            </ul>
        </aside>
    }
}
