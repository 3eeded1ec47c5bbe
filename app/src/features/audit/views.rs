use super::api::search_audit;
use crate::components::{ErrorPanel, Guarded, NextPageLink, resource};
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/audit`: who did what and when.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let page = resource(
        move || {
            (
                param("actor"),
                param("action"),
                param("from"),
                param("to"),
                param("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        |(actor, action, from, to, before)| search_audit(actor, action, from, to, before),
    );
    let value = move |k: &'static str| move || param(k).unwrap_or_default();
    view! {
        <Title text="Audit log" />
        <Guarded role=Role::Admin>
            <h1>"Audit log"</h1>
            <form method="get" class="filters" aria-label="Filter">
                <label for="a-actor">"Actor"</label>
                <input
                    id="a-actor"
                    name="actor"
                    type="search"
                    placeholder="name or email"
                    prop:value=value("actor")
                />
                <label for="a-action">"Action"</label>
                <input
                    id="a-action"
                    name="action"
                    type="text"
                    placeholder="e.g. request_approved"
                    prop:value=value("action")
                />
                <label for="a-from">"From"</label>
                <input id="a-from" name="from" type="date" prop:value=value("from") />
                <label for="a-to">"To"</label>
                <input id="a-to" name="to" type="date" prop:value=value("to") />
                <button type="submit">"Filter"</button>
            </form>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let more = page
                                .before
                                .map(|before| {
                                    let q = query
                                        .with_untracked(|q| {
                                            ["actor", "action", "from", "to"]
                                                .iter()
                                                .filter_map(|k| {
                                                    q.get(k)
                                                        .map(|v| {
                                                            format!("{k}={}", crate::encoding::encode_query_value(&v))
                                                        })
                                                })
                                                .collect::<Vec<_>>()
                                                .join("&")
                                        });
                                    format!("/audit?{q}&before={before}")
                                });
                            view! {
                                <table class="audit">
                                    <thead>
                                        <tr>
                                            <th>"When"</th>
                                            <th>"Who"</th>
                                            <th>"What"</th>
                                            <th>"Subject"</th>
                                            <th>"From"</th>
                                            <th>"Details"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page
                                            .rows
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr>
                                                        <td>{r.at}</td>
                                                        <td>{r.actor.unwrap_or_else(|| "certdesk".into())}</td>
                                                        <td>{r.action}</td>
                                                        <td>{r.subject.unwrap_or_default()}</td>
                                                        <td>{r.client_ip.unwrap_or_default()}</td>
                                                        <td>
                                                            <code class="small">{r.details}</code>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <NextPageLink href=more label="Older events" />
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
