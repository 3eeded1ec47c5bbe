//! The Account page's mail switches and the admins' Mail page.

use super::api::{SetMailPreference, load_mail, load_preferences};
use crate::components::{AlertLine, ErrorPanel, Guarded, resource};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/account`: which mails the signed-in person gets.
#[component]
pub fn AccountPage() -> impl IntoView {
    let set = ServerAction::<SetMailPreference>::new();
    let preferences = resource(move || set.version().get(), |_| load_preferences());
    view! {
        <Title text="Account" />
        <Guarded>
            <h1>"Account"</h1>
            <p>
                <a href="/account/password">"Change your password"</a>
            </p>
            <section class="card" id="mail-preferences">
                <h2>"Mail"</h2>
                <p class="muted">
                    "certdesk mails you when something needs you. Switch off what you do not want."
                </p>
                <AlertLine message=move || {
                    set.value().get().and_then(|r| r.err()).map(|e| e.to_string())
                } />
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match preferences.await {
                            Ok(rows) => {
                                view! {
                                    <ul class="preferences">
                                        {rows
                                            .into_iter()
                                            .map(|p| {
                                                view! {
                                                    <li data-kind=p.kind.as_str()>
                                                        <ActionForm action=set>
                                                            <input type="hidden" name="kind" value=p.kind.as_str() />
                                                            <input
                                                                type="hidden"
                                                                name="enabled"
                                                                value=if p.enabled { "off" } else { "on" }
                                                            />
                                                            <span>
                                                                {p.label}" — "
                                                                <strong>{if p.enabled { "on" } else { "off" }}</strong>
                                                            </span>
                                                            " "
                                                            <button type="submit" class="secondary">
                                                                {if p.enabled { "Turn off" } else { "Turn on" }}
                                                            </button>
                                                        </ActionForm>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </Guarded>
    }
}

/// `/admin/mail`: what certdesk mailed (or keeps, with no SMTP server), newest first.
#[component]
pub fn MailPage() -> impl IntoView {
    use crate::features::auth::Role;
    use leptos_router::hooks::use_query_map;
    let query = use_query_map();
    let mail = resource(
        move || {
            query
                .read()
                .get("before")
                .and_then(|b| b.parse::<i64>().ok())
        },
        load_mail,
    );
    view! {
        <Title text="Mail" />
        <Guarded role=Role::Admin>
            <h1>"Mail"</h1>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match mail.await {
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="muted">"No mail yet."</p> }.into_any()
                        }
                        Ok(rows) => {
                            let next = (rows.len() as i64 == super::api::MAIL_PAGE_SIZE)
                                .then(|| rows.last().map(|m| m.id))
                                .flatten();
                            view! {
                                <ol class="mail-list" id="mail-list">
                                    {rows
                                        .into_iter()
                                        .map(|m| {
                                            view! {
                                                <li data-mail=m.id data-kind=m.kind.as_str()>
                                                    <details>
                                                        <summary>
                                                            <strong>{m.subject}</strong>
                                                            " → "
                                                            {m.to}
                                                            <span class="muted">
                                                                {format!(" · {} · {}", m.created_at, m.state)}
                                                            </span>
                                                        </summary>
                                                        <pre class="prewrap">{m.text_body}</pre>
                                                    </details>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ol>
                                {next
                                    .map(|before| {
                                        view! {
                                            <p>
                                                <a href=format!(
                                                    "/admin/mail?before={before}",
                                                )>"Older mail"</a>
                                            </p>
                                        }
                                    })}
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Guarded>
    }
}
