use super::super::api::my_requests;
use super::super::model::{FormKind, RequestStatus, RequestSummary};
use crate::components::{ErrorPanel, Guarded, NextPageLink, resource};
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/requests/new`: the five products, each opening its own form.
#[component]
pub fn NewRequestPage() -> impl IntoView {
    view! {
        <Title text="New request" />
        <Guarded role=Role::Requester>
            <h1>"New request"</h1>
            <p class="muted">
                "Choose what to order. An approver decides, then certdesk orders it from DigiCert."
            </p>
            <ul class="products">
                {FormKind::ALL
                    .into_iter()
                    .map(|kind| {
                        view! {
                            <li class="card product">
                                <h2>
                                    <a href=format!(
                                        "/requests/new/{}",
                                        kind.slug(),
                                    )>{kind.title()}</a>
                                </h2>
                                <p class="muted">{kind.blurb()}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Guarded>
    }
}

/// `/requests`: the signed-in person's requests, newest first.
#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let page = resource(before, my_requests);
    view! {
        <Title text="My requests" />
        <Guarded>
            <div class="page-head">
                <h1>"My requests"</h1>
                <a class="button" href="/requests/new">
                    "New request"
                </a>
            </div>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) if page.rows.is_empty() => {
                            view! {
                                <p class="muted">
                                    "No requests yet. "
                                    <a href="/requests/new">"Order a certificate"</a>"."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(page) => {
                            view! {
                                <MyRequestsTable rows=page.rows />
                                <NextPageLink
                                    href=page.next.map(|id| format!("/requests?before={id}"))
                                    label="Older requests"
                                />
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

#[component]
fn MyRequestsTable(rows: Vec<RequestSummary>) -> impl IntoView {
    view! {
        <table class="requests">
            <thead>
                <tr>
                    <th>"#"</th>
                    <th>"Product"</th>
                    <th>"Name"</th>
                    <th>"Status"</th>
                    <th>"Submitted"</th>
                    <th>"Updated"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|r| {
                        view! {
                            <tr>
                                <td>
                                    <a href=format!("/requests/{}", r.id)>{r.id}</a>
                                </td>
                                <td>{r.product.display_name()}</td>
                                <td>
                                    <a href=format!("/requests/{}", r.id)>{r.title}</a>
                                </td>
                                <td>
                                    <StatusBadge status=r.status />
                                </td>
                                <td>{r.submitted_at}</td>
                                <td>{r.updated_at}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// A request's status as a coloured label.
#[component]
pub fn StatusBadge(
    status: RequestStatus,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <span class=format!("status status-{}", status.as_str()) id=id>
            {status.label()}
        </span>
    }
}
