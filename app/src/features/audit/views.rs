use super::api::{AuditRow, search_audit};
use crate::components::{ErrorPanel, Guarded, NextPageLink, query_param, resource};
use crate::encoding::encode_query_value;
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// The filters the page reads from its address (besides where a page starts).
const FILTERS: [&str; 4] = ["actor", "action", "from", "to"];

/// `/audit`: who did what and when.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query_param(query, k);
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
    view! {
        <Title text="Audit log" />
        <Guarded role=Role::Admin>
            <h1>"Audit log"</h1>
            <AuditFilters />
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let older = page
                                .before
                                .map(|before| {
                                    query.with_untracked(|q| older_events_href(q, before))
                                });
                            view! {
                                <AuditTable rows=page.rows />
                                <NextPageLink href=older label="Older events" />
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

/// The next page: the same filters, events older than `before`.
fn older_events_href(query: &ParamsMap, before: i64) -> String {
    let mut pairs: Vec<String> = FILTERS
        .iter()
        .filter_map(|k| {
            query
                .get(k)
                .map(|v| format!("{k}={}", encode_query_value(&v)))
        })
        .collect();
    pairs.push(format!("before={before}"));
    format!("/audit?{}", pairs.join("&"))
}

/// The filter form (a plain GET form): actor, action, dates.
#[component]
fn AuditFilters() -> impl IntoView {
    let query = use_query_map();
    let value = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    view! {
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
    }
}

#[component]
fn AuditTable(rows: Vec<AuditRow>) -> impl IntoView {
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
                {rows
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_events_keep_the_filters_and_drop_where_this_page_began() {
        let query: ParamsMap = [
            ("actor", "ana b"),
            ("action", "request_approved"),
            ("before", "900"),
            ("unknown", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            older_events_href(&query, 812),
            "/audit?actor=ana%20b&action=request_approved&before=812"
        );
        assert_eq!(older_events_href(&ParamsMap::new(), 5), "/audit?before=5");
    }
}
