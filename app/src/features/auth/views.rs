use super::api::{SignIn, load_sign_in_options};
use super::model::{DemoAccounts, SsoFailure};
use crate::components::{AlertLine, FieldError, resource};
use crate::error::AppError;
use crate::features::auth::Auth;
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
    let options = resource(|| (), |_| load_sign_in_options());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // Only a known code is read from the address, so a crafted link cannot put words on the page.
    let sso_error = move || {
        query
            .read()
            .get("sso_error")
            .and_then(|code| SsoFailure::from_code(&code))
    };
    let error = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <AlertLine message=move || sso_error().map(|failure| failure.message().to_owned()) />
            <AlertLine message=move || error.get().map(|e: AppError| e.to_string()) />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let options = options.await.unwrap_or_default();
                    view! {
                        {options.demo.map(|demo| view! { <DemoBanner demo /> })}
                        {options.provider.map(|name| view! { <ProviderButton name next /> })}
                        {if options.local {
                            view! { <PasswordForm sign_in /> }.into_any()
                        } else {
                            view! {
                                <details class="break-glass">
                                    <summary>
                                        "Emergency sign-in for the break-glass administrator"
                                    </summary>
                                    <PasswordForm sign_in />
                                </details>
                            }
                                .into_any()
                        }}
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Email and password, back where the person was going (`next`) once signed in.
#[component]
fn PasswordForm(sign_in: ServerAction<SignIn>) -> impl IntoView {
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
        <ActionForm action=sign_in>
            <input type="hidden" name="next" value=next />
            <div class="field">
                <label for="email">"Email"</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    value=kept_email
                />
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
    }
}

/// A plain link, so it works without JavaScript; `rel="external"` keeps the browser app's router
/// from handling it, since the server answers it with a redirect to the provider.
#[component]
fn ProviderButton(
    name: String,
    next: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView {
    let href = move || {
        let next = next();
        if next.is_empty() {
            "/auth/oidc/start".to_owned()
        } else {
            format!(
                "/auth/oidc/start?next={}",
                crate::encoding::encode_query_value(&next)
            )
        }
    };
    view! {
        <p class="sso">
            <a class="button sso-button" href=href rel="external">
                {format!("Sign in with {name}")}
            </a>
        </p>
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
                {demo
                    .emails
                    .into_iter()
                    .map(|email| {
                        view! {
                            <li>
                                <code>{email}</code>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </aside>
    }
}
