//! Building blocks shared by every feature's pages.

mod resource;
pub use resource::{Json, resource};

use crate::error::AppError;
use crate::features::auth::Auth;
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The `:id` of the current route as a request id; 0 (which no request has) when it is not a
/// number, so the page's load answers "not found".
pub fn use_request_id() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    }
}

/// Sets the HTTP status of the page being rendered on the server; does nothing in the browser.
pub fn set_page_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_status),
    ) {
        response.set_status(status);
    }
}

/// Renders `children` for a signed-in user holding `role` (any signed-in user when no role is
/// given); visitors are sent to sign in, others see a 403 page. The server functions behind each
/// page check again: this only decides what to show.
///
/// The decision is one `Suspend`, not a closure returning one: while rendering on the server,
/// Leptos walks a `Suspense`'s children several times, and a closure would build the page (its
/// resources, its rendering, its serialized data) anew on each walk. A `Suspend` keeps what it
/// built. It is made inside the `Suspense`'s children, so the page belongs to that `Suspense` and
/// its resource reads are waited for. Signing out navigates away, so the decision never needs to
/// change in place.
#[component]
pub fn Guarded(#[prop(optional)] role: Option<Role>, children: Children) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let decide = async move {
        match auth.user.await {
            Ok(Some(user)) if user.must_change_password => {
                view! { <Redirect path="/account/password" /> }.into_any()
            }
            Ok(Some(user)) if role.is_none_or(|r| user.has(r)) => children().into_any(),
            Ok(Some(_)) => view! { <Forbidden /> }.into_any(),
            Ok(None) => view! { <Redirect path="/sign-in" /> }.into_any(),
            Err(error) => view! { <ErrorPanel error /> }.into_any(),
        }
    };
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>{Suspend::new(decide)}</Suspense>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    set_page_status(403);
    view! {
        <section class="card">
            <h1>"Not allowed"</h1>
            <p>"Your roles do not include this page. Ask an administrator if you need access."</p>
            <p>
                <a href="/">"Back to the dashboard"</a>
            </p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_page_status(404);
    crate::app::mark_page_hydrated();
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address."</p>
            <p>
                <a href="/">"Back to the dashboard"</a>
            </p>
        </section>
    }
}

/// A failed load, shown where the content would have been.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    set_page_status(error.status_code());
    view! { <Alert lead="Could not load this page. " message=error.to_string() /> }
}

/// A block in the alert style: what went wrong in bold (`lead`), then the details.
#[component]
pub fn Alert(
    lead: &'static str,
    message: String,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="alert" role="alert" id=id>
            <strong>{lead}</strong>
            {message}
        </div>
    }
}

/// The message under a form field, when there is one.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.form().and_then(|f| f.for_field(field)))
            .map(|message| {
                view! {
                    <p class="field-error" id=format!("{field}-error")>
                        {message}
                    </p>
                }
            })
    }
}

/// A message in the alert style (an action's error, say), shown while `message` holds one.
#[component]
pub fn AlertLine(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    move || {
        message.get().map(|message| {
            view! {
                <p class="alert" role="alert" id=id>
                    {message}
                </p>
            }
        })
    }
}

/// A filter from the page's address, unless it is missing or empty.
pub fn query_param(query: Memo<leptos_router::params::ParamsMap>, name: &str) -> Option<String> {
    query.read().get(name).filter(|v| !v.is_empty())
}

/// The link to a list's next page (keyset pagination: `href` carries the filters and where the
/// page ended), shown only when there is one.
#[component]
pub fn NextPageLink(href: Option<String>, label: &'static str) -> impl IntoView {
    href.map(|href| {
        view! {
            <p>
                <a href=href>{label}</a>
            </p>
        }
    })
}

/// A filter's organization picker: the account's organizations by name, "Any" first. The chosen
/// id is kept even when the list is missing (DigiCert away), so the filter still shows it.
#[component]
pub fn OrganizationSelect(
    id: &'static str,
    organizations: Vec<crate::features::requests::options::Choice>,
    selected: String,
) -> impl IntoView {
    let known = selected.is_empty() || organizations.iter().any(|o| o.id == selected);
    view! {
        <select id=id name="organization">
            <option value="">"Any"</option>
            {(!known)
                .then(|| {
                    view! {
                        <option value=selected.clone() selected=true>
                            {format!("Organization {selected}")}
                        </option>
                    }
                })}
            <ChoiceOptions choices=organizations selected=selected.clone() />
        </select>
    }
}

/// [`OrganizationSelect`] for a list whose page brings the organizations with its rows: while the
/// page loads, the chosen organization alone; then every one.
#[component]
pub fn LoadedOrganizationSelect<T>(
    id: &'static str,
    #[prop(into)] selected: Signal<String>,
    page: Resource<Result<T, AppError>, Json>,
    organizations: fn(T) -> Vec<crate::features::requests::options::Choice>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    view! {
        <Suspense fallback=move || {
            view! { <OrganizationSelect id organizations=Vec::new() selected=selected.get() /> }
        }>
            {move || Suspend::new(async move {
                let organizations = page.await.map(organizations).unwrap_or_default();
                view! { <OrganizationSelect id organizations selected=selected.get() /> }
            })}
        </Suspense>
    }
}

/// A select's options, the one whose id is `selected` chosen.
#[component]
pub fn ChoiceOptions(
    choices: Vec<crate::features::requests::options::Choice>,
    selected: String,
) -> impl IntoView {
    choices
        .into_iter()
        .map(|choice| {
            let chosen = choice.id == selected;
            view! {
                <option value=choice.id selected=chosen>
                    {choice.label}
                </option>
            }
        })
        .collect_view()
}
