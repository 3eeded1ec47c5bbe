use crate::components::{Alert, AlertLine, ErrorPanel, Guarded, resource, use_request_id};
use crate::features::approvals::api::DecideRequest;
use crate::features::approvals::views::DecisionForms;
use crate::features::certificates::views::OrderCertificates;
use crate::features::changes::api::load_changes;
use crate::features::changes::model::ChangesPanel;
use crate::features::changes::views::{ChangeActions, ChangesSection};
use crate::features::csr::CsrReport;
use crate::features::dcv::api::load_dcv;
use crate::features::dcv::model::DcvPanel;
use crate::features::dcv::views::{DcvActions, DcvSection};
use crate::features::forwarding::api::RetryForwarding;
use crate::features::requests::api::{CancelRequest, load_request};
use crate::features::requests::model::{
    DigicertState, RequestDetail, RequestEvent, RequestStatus, RequestSummary,
};
use crate::features::requests::views::StatusBadge;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/requests/:id`: status, timeline, the values, the CSR and the exact DigiCert JSON.
#[component]
pub fn RequestPage() -> impl IntoView {
    let id = use_request_id();
    let cancel = ServerAction::<CancelRequest>::new();
    let retry = ServerAction::<RetryForwarding>::new();
    let decide = ServerAction::<DecideRequest>::new();
    let dcv_actions = DcvActions::new();
    let change_actions = ChangeActions::new();
    let detail = resource(
        move || {
            (
                id(),
                cancel.version().get(),
                retry.version().get(),
                decide.version().get(),
                dcv_actions.version(),
                change_actions.version(),
            )
        },
        |(id, ..)| load_request(id),
    );
    let changes = resource(
        move || (id(), decide.version().get(), change_actions.version()),
        |(id, ..)| load_changes(id),
    );
    let dcv = resource(
        move || (id(), decide.version().get(), dcv_actions.version()),
        |(id, ..)| load_dcv(id),
    );
    view! {
        <Guarded>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match (detail.await, dcv.await, changes.await) {
                        (Ok(detail), Ok(panel), Ok(changes)) => {
                            view! {
                                <Detail
                                    detail
                                    cancel
                                    retry
                                    decide
                                    panel
                                    dcv_actions
                                    changes
                                    change_actions
                                />
                            }
                                .into_any()
                        }
                        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                            view! { <ErrorPanel error /> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </Guarded>
    }
}

#[component]
fn Detail(
    detail: RequestDetail,
    cancel: ServerAction<CancelRequest>,
    retry: ServerAction<RetryForwarding>,
    decide: ServerAction<DecideRequest>,
    panel: Option<DcvPanel>,
    dcv_actions: DcvActions,
    changes: ChangesPanel,
    change_actions: ChangeActions,
) -> impl IntoView {
    let s = detail.summary.clone();
    let cancel_error = move || {
        cancel
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| retry.value().get().and_then(|r| r.err()))
            .or_else(|| decide.value().get().and_then(|r| r.err()))
    };
    view! {
        <Title text=format!("Request {}", s.id) />
        <Heading summary=s.clone() requester=detail.requester.clone() price=detail.price.clone() />
        <AlertLine message=move || cancel_error().map(|e| e.to_string()) />
        <RequestActions
            id=s.id
            kind=detail.form.kind.clone()
            issued=s.status == RequestStatus::Issued
            can_cancel=detail.can_cancel
            can_retry=detail.can_retry
            can_renew=detail.can_renew
            cancel
            retry
        />
        <Renewals of=detail.renewal_of renewed_by=detail.renewed_by.clone() />
        {detail.can_decide.then(|| view! { <YourDecision id=s.id decide /> })}
        {detail
            .forward_error
            .map(|error| {
                view! {
                    <Alert lead="DigiCert refused the order. " message=error id="forward-error" />
                }
            })}
        {detail.digicert.map(|state| view! { <AtDigicert state /> })}
        <OrderCertificates
            request_id=s.id
            order_valid_till=detail.order_valid_till.clone()
            certificates=detail.certificates.clone()
        />
        <ChangesSection request_id=s.id panel=changes actions=change_actions />
        <DcvSection panel actions=dcv_actions />
        <Timeline events=detail.events />
        {detail.csr.map(|csr| view! { <CsrSummary csr /> })}
        {(!detail.form.comments.is_empty())
            .then(|| view! { <ApproverComments comments=detail.form.comments.clone() /> })}
        <OrderPayload endpoint=detail.endpoint payload=detail.payload />
    }
}

/// Approve or reject, for an approver looking at someone else's pending request.
#[component]
fn YourDecision(id: i64, decide: ServerAction<DecideRequest>) -> impl IntoView {
    view! {
        <section class="card pending" id="decide">
            <h2>"Your decision"</h2>
            <DecisionForms id decide on_request_page=true />
        </section>
    }
}

/// What the requester wrote for the approver.
#[component]
fn ApproverComments(comments: String) -> impl IntoView {
    view! {
        <section>
            <h2>"Comments for the approver"</h2>
            <p class="prewrap">{comments}</p>
        </section>
    }
}

/// The endpoint and JSON body approval sends to DigiCert.
#[component]
fn OrderPayload(endpoint: String, payload: String) -> impl IntoView {
    view! {
        <section>
            <h2>"What approval sends to DigiCert"</h2>
            <p class="muted">
                <code>{endpoint}</code>
            </p>
            <pre class="json" id="payload">
                {payload}
            </pre>
        </section>
    }
}

/// The request's number, name and status; its product, requester and submission; the price.
#[component]
fn Heading(summary: RequestSummary, requester: String, price: String) -> impl IntoView {
    let s = summary;
    view! {
        <p>
            <a href="/requests">"← My requests"</a>
        </p>
        <div class="page-head">
            <h1>{format!("Request {}: {}", s.id, s.title)}</h1>
            <StatusBadge status=s.status id="request-status" />
        </div>
        <p class="muted">
            {format!(
                "{} · requested by {requester} · submitted {}",
                s.product.display_name(),
                s.submitted_at,
            )}
        </p>
        <p id="price">
            "Estimated price: "<strong>{price}</strong>
            <span class="muted">" (DigiCert's estimate when the request was submitted)"</span>
        </p>
    }
}

/// Cancel, download, retry, renew and copy: what the viewer may do with the request.
#[component]
fn RequestActions(
    id: i64,
    /// The form the request was made with, for "Renew" and "Copy as new request".
    kind: String,
    issued: bool,
    can_cancel: bool,
    can_retry: bool,
    can_renew: bool,
    cancel: ServerAction<CancelRequest>,
    retry: ServerAction<RetryForwarding>,
) -> impl IntoView {
    let renew_href = format!("/requests/new/{kind}?renew={id}");
    let copy_href = format!("/requests/new/{kind}?copy={id}");
    view! {
        <div class="actions">
            {can_cancel
                .then(|| {
                    view! {
                        <ActionForm action=cancel>
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class="secondary">
                                "Cancel request"
                            </button>
                        </ActionForm>
                    }
                })}
            {issued
                .then(|| {
                    view! {
                        <a
                            class="button"
                            href=format!("/requests/{id}/certificate.pem")
                            rel="external"
                            download
                        >
                            "Download certificate"
                        </a>
                        <a
                            class="button secondary"
                            href=format!("/requests/{id}/chain.pem")
                            rel="external"
                            download
                        >
                            "Download chain"
                        </a>
                    }
                })}
            {can_retry
                .then(|| {
                    view! {
                        <ActionForm action=retry>
                            <input type="hidden" name="id" value=id />
                            <button type="submit">"Retry sending to DigiCert"</button>
                        </ActionForm>
                    }
                })}
            {can_renew
                .then(|| {
                    view! {
                        <a class="button" id="renew" href=renew_href>
                            "Renew"
                        </a>
                    }
                })} <a class="button secondary" href=copy_href>
                "Copy as new request"
            </a>
        </div>
    }
}

/// The request this one renews, and the requests that renew it.
#[component]
fn Renewals(of: Option<i64>, renewed_by: Vec<i64>) -> impl IntoView {
    view! {
        {of
            .map(|of| {
                view! {
                    <p id="renewal-of">
                        "Renews request "<a href=format!("/requests/{of}")>{format!("#{of}")}</a>
                    </p>
                }
            })}
        {(!renewed_by.is_empty())
            .then(|| {
                view! {
                    <p id="renewed-by">
                        "Renewed by "
                        {renewed_by
                            .into_iter()
                            .map(|by| {
                                view! {
                                    <a href=format!("/requests/{by}")>{format!("#{by}")}</a>
                                    " "
                                }
                            })
                            .collect_view()}
                    </p>
                }
            })}
    }
}

/// What DigiCert knows of the order, once it was forwarded.
#[component]
fn AtDigicert(state: DigicertState) -> impl IntoView {
    view! {
        <section>
            <h2>"At DigiCert"</h2>
            <dl id="digicert-state">
                <dt>"Order"</dt>
                <dd>{state.order_id}</dd>
                <dt>"Status"</dt>
                <dd>{state.status.unwrap_or_default()}</dd>
                {state
                    .certificate_id
                    .map(|c| {
                        view! {
                            <dt>"Certificate id"</dt>
                            <dd>{c}</dd>
                        }
                    })}
                {state
                    .expires_at
                    .map(|e| {
                        view! {
                            <dt>"Expires"</dt>
                            <dd>{e}</dd>
                        }
                    })}
            </dl>
        </section>
    }
}

/// Every status the request went through, who moved it and why.
#[component]
fn Timeline(events: Vec<RequestEvent>) -> impl IntoView {
    view! {
        <section>
            <h2>"Timeline"</h2>
            <ol class="timeline">
                {events
                    .into_iter()
                    .map(|e| {
                        view! {
                            <li>
                                <time>{e.at}</time>
                                " "
                                <strong>{e.to_status.label()}</strong>
                                {e.actor.map(|a| format!(" by {a}"))}
                                {e.note.map(|n| view! { <p class="note">{n}</p> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

/// What the CSR asks for, as certdesk read it.
#[component]
fn CsrSummary(csr: CsrReport) -> impl IntoView {
    view! {
        <section>
            <h2>"CSR"</h2>
            <dl>
                <dt>"Subject"</dt>
                <dd>{csr.subject_line()}</dd>
                <dt>"Names (SANs)"</dt>
                <dd>{csr.sans.join(", ")}</dd>
                <dt>"Key"</dt>
                <dd>{csr.key.map(|k| k.describe()).unwrap_or_default()}</dd>
                <dt>"Signature"</dt>
                <dd>{csr.signature_algorithm.unwrap_or_default()}</dd>
            </dl>
        </section>
    }
}
