//! `/approvals`: the queue, one card per pending request, with approve / reject and a bulk
//! approval. Every form is a plain HTML form too.

use super::api::{ApproveMany, DecideRequest, load_approval_queue};
use super::model::{ApprovalQueue, PendingRequest};
use crate::components::{
    AlertLine, ErrorPanel, Guarded, Json, LoadedOrganizationSelect, NextPageLink, query_param,
    resource,
};
use crate::error::AppError;
use crate::features::auth::Role;
use crate::features::digicert::products::ProductId;
use crate::features::requests::options::Choice;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    view! {
        <Title text="Approvals" />
        <Guarded role=Role::Approver>
            <Queue />
            <crate::features::changes::views::ChangeQueue />
        </Guarded>
    }
}

/// The queue as loaded: one page of cards, with the organizations to filter by.
type Loaded = Resource<Result<ApprovalQueue, AppError>, Json>;

#[component]
fn Queue() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query_param(query, name);
    let decide = ServerAction::<DecideRequest>::new();
    let bulk = ServerAction::<ApproveMany>::new();
    let queue = resource(
        move || {
            (
                param("product"),
                param("requester"),
                param("organization"),
                param("after"),
                decide.version().get(),
                bulk.version().get(),
            )
        },
        |(product, requester, organization, after, _, _)| {
            load_approval_queue(product, requester, organization, after)
        },
    );
    view! {
        <h1>"Approvals"</h1>
        <p class="muted">
            "Requests waiting for a decision, oldest first. You cannot decide your own."
        </p>
        <QueueFilters queue />
        <DecisionOutcome decide bulk />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(page) if page.rows.is_empty() => {
                        view! {
                            <p class="muted" id="queue-empty">
                                "Nothing waits for a decision."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(page) => view! { <PendingCards page decide bulk /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The filter form (a plain GET form): product, requester, organization.
#[component]
fn QueueFilters(queue: Loaded) -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query_param(query, name);
    view! {
        <form method="get" class="filters" aria-label="Filter">
            <label for="q-product">"Product"</label>
            <select id="q-product" name="product">
                <option value="">"Any"</option>
                {ProductId::ALL
                    .into_iter()
                    .map(|p| {
                        view! {
                            <option
                                value=p.name_id()
                                selected=move || param("product").as_deref() == Some(p.name_id())
                            >
                                {p.display_name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label for="q-requester">"Requester"</label>
            <input
                id="q-requester"
                name="requester"
                type="search"
                placeholder="name or email"
                prop:value=move || param("requester").unwrap_or_default()
            />
            <label for="q-organization">"Organization"</label>
            <LoadedOrganizationSelect
                id="q-organization"
                selected=Signal::derive(move || param("organization").unwrap_or_default())
                page=queue
                organizations=|queue| queue.organizations
            />
            <button type="submit" class="secondary">
                "Filter"
            </button>
        </form>
    }
}

/// What the last decision left to say: why it failed, or which of a bulk approval were skipped.
#[component]
fn DecisionOutcome(
    decide: ServerAction<DecideRequest>,
    bulk: ServerAction<ApproveMany>,
) -> impl IntoView {
    let problem = move || {
        decide
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| bulk.value().get().and_then(|r| r.err()))
    };
    let skipped = move || {
        bulk.value()
            .get()
            .and_then(|r| r.ok())
            .map(|o| o.skipped)
            .unwrap_or_default()
    };
    view! {
        <AlertLine
            message=Signal::derive(move || problem().map(|e| e.to_string()))
            id="decision-error"
        />
        {move || {
            let skipped = skipped();
            (!skipped.is_empty())
                .then(|| {
                    view! {
                        <div class="notice" role="status">
                            <p>"Not approved:"</p>
                            <ul>
                                {skipped
                                    .into_iter()
                                    .map(|(id, why)| view! { <li>{format!("#{id}: {why}")}</li> })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })
        }}
    }
}

/// One page of the queue: the bulk approval form, a card per request, the link to the next page.
#[component]
fn PendingCards(
    page: ApprovalQueue,
    decide: ServerAction<DecideRequest>,
    bulk: ServerAction<ApproveMany>,
) -> impl IntoView {
    let next = page.next.map(|after| format!("/approvals?after={after}"));
    let organizations = page.organizations;
    view! {
        <ActionForm action=bulk attr:id="bulk" attr:class="bulk">
            <label for="bulk-comment">"Comment for the selected requests"</label>
            <input id="bulk-comment" name="comment" type="text" />
            <button type="submit">"Approve selected"</button>
        </ActionForm>
        <ol class="queue">
            {page
                .rows
                .into_iter()
                .enumerate()
                .map(|(i, row)| {
                    let organization = row
                        .organization_id
                        .map(|id| organization_label(&organizations, id));
                    view! { <PendingCard row organization index=i decide /> }
                })
                .collect_view()}
        </ol>
        <NextPageLink href=next label="More requests" />
    }
}

/// An organization's name from the account's list, or its number when DigiCert did not list it.
fn organization_label(organizations: &[Choice], id: i64) -> String {
    organizations
        .iter()
        .find(|c| c.id == id.to_string())
        .map(|c| c.label.clone())
        .unwrap_or_else(|| format!("organization {id}"))
}

#[component]
fn PendingCard(
    row: PendingRequest,
    /// The organization's name, when the request has one.
    organization: Option<String>,
    index: usize,
    decide: ServerAction<DecideRequest>,
) -> impl IntoView {
    let s = row.summary;
    let id = s.id;
    let names = row.names.join(", ");
    let comments = (!row.comments.is_empty()).then_some(row.comments);
    view! {
        <li class="card pending" id=format!("request-{id}")>
            <div class="page-head">
                <h2>
                    {(!row.own)
                        .then(|| {
                            view! {
                                <input
                                    type="checkbox"
                                    form="bulk"
                                    name=format!("ids[{index}]")
                                    value=id
                                    aria-label=format!("Select request {id}")
                                />
                            }
                        })} " "<a href=format!("/requests/{id}")>{format!("#{id} {}", s.title)}</a>
                </h2>
                <span class="muted">{s.product.display_name()}</span>
            </div>
            <p class="muted">
                {format!("{} · submitted {}", row.requester, s.submitted_at)}
                {organization.map(|o| format!(" · {o}"))}
            </p>
            <dl>
                <dt>"Names"</dt>
                <dd>{names}</dd>
                <dt>"Estimated price"</dt>
                <dd class="price">{row.price}</dd>
                {row
                    .csr
                    .map(|csr| {
                        view! {
                            <dt>"CSR"</dt>
                            <dd>{csr}</dd>
                        }
                    })}
                {comments
                    .map(|comments| {
                        view! {
                            <dt>"Comments"</dt>
                            <dd class="prewrap">{comments}</dd>
                        }
                    })}
            </dl>
            <p>
                <a href=format!("/requests/{id}")>"Full request and the DigiCert JSON"</a>
            </p>
            {if row.own {
                view! { <p class="notice">"Your own request: another approver decides it."</p> }
                    .into_any()
            } else {
                view! { <DecisionForms id decide /> }.into_any()
            }}
        </li>
    }
}

/// Approve (with an optional comment) and reject (with a reason) for one request; used on the
/// queue's cards and on the request page, which `on_request_page` brings the person back to.
#[component]
pub fn DecisionForms(
    id: i64,
    decide: ServerAction<DecideRequest>,
    #[prop(optional)] on_request_page: bool,
) -> impl IntoView {
    let back =
        on_request_page.then(|| view! { <input type="hidden" name="return_to" value="request" /> });
    let back_too = back.clone();
    view! {
        <div class="decisions">
            <ActionForm action=decide>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="decision" value="approve" />
                {back}
                <label for=format!("approve-note-{id}")>"Comment (optional)"</label>
                <input id=format!("approve-note-{id}") name="note" type="text" />
                <button type="submit">"Approve"</button>
            </ActionForm>
            <ActionForm action=decide>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="decision" value="reject" />
                {back_too}
                <label for=format!("reject-note-{id}")>"Reason (shown to the requester)"</label>
                <input id=format!("reject-note-{id}") name="note" type="text" />
                <button type="submit" class="secondary">
                    "Reject"
                </button>
            </ActionForm>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_names_its_organization_or_its_number_when_digicert_did_not_list_it() {
        let listed = [Choice {
            id: "1001".into(),
            label: "Example Corp".into(),
        }];
        assert_eq!(organization_label(&listed, 1001), "Example Corp");
        assert_eq!(organization_label(&listed, 7), "organization 7");
        assert_eq!(organization_label(&[], 1001), "organization 1001");
    }
}
