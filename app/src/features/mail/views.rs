//! The Account page's mail switches and the admins' Mail page.

use super::api::{SetMailPreference, load_mail, load_preferences};
use crate::components::{AlertLine, ErrorPanel, Guarded, NextPageLink, resource};
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
                        Ok(page) if page.mails.is_empty() => {
                            view! { <p class="muted">"No mail yet."</p> }.into_any()
                        }
                        Ok(page) => {
                            let older = page
                                .older
                                .map(|before| format!("/admin/mail?before={before}"));
                            view! {
                                <ol class="mail-list" id="mail-list">
                                    {page
                                        .mails
                                        .into_iter()
                                        .map(|mail| view! { <MailItem mail /> })
                                        .collect_view()}
                                </ol>
                                <NextPageLink href=older label="Older mail" />
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

/// One mail of the outbox: subject, recipient and state, its text folded away.
#[component]
fn MailItem(mail: super::model::MailView) -> impl IntoView {
    view! {
        <li data-mail=mail.id data-kind=mail.kind.as_str()>
            <details>
                <summary>
                    <strong>{mail.subject}</strong>
                    " → "
                    {mail.to}
                    <span class="muted">
                        {format!(" · {} · {}", mail.created_at, mail.state)}
                    </span>
                </summary>
                <pre class="prewrap">{mail.text_body}</pre>
            </details>
        </li>
    }
}
