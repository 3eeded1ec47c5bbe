//! The request page's "Reissue, duplicate, revoke" section, the reissue and duplicate forms, the
//! approvers' queue of changes and the admins' standing policies.

use super::api::{
    AskNewCertificate, AskRevocation, CancelChange, DecideChange, SetPolicy, load_change_queue,
    load_new_certificate_context, load_policies,
};
use super::model::{
    ChangeKind, ChangeView, ChangesPanel, NameChanges, NewCertificateContext, QueuedChange,
    RevocationReason,
};
use crate::components::{AlertLine, ErrorPanel, FieldError, Guarded, resource, use_request_id};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// The actions of the section, created by the request page so that its load of the section
/// follows them.
#[derive(Clone, Copy)]
pub struct ChangeActions {
    revoke: ServerAction<AskRevocation>,
    decide: ServerAction<DecideChange>,
    cancel: ServerAction<CancelChange>,
}

impl ChangeActions {
    pub fn new() -> Self {
        ChangeActions {
            revoke: ServerAction::new(),
            decide: ServerAction::new(),
            cancel: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes.
    pub fn version(&self) -> (usize, usize, usize) {
        (
            self.revoke.version().get(),
            self.decide.version().get(),
            self.cancel.version().get(),
        )
    }

    fn error(&self) -> Option<AppError> {
        self.decide
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| self.cancel.value().get().and_then(|r| r.err()))
    }
}

impl Default for ChangeActions {
    fn default() -> Self {
        Self::new()
    }
}

/// Reissue, duplicate and revoke for one order, with every change asked for so far.
#[component]
pub fn ChangesSection(
    request_id: i64,
    panel: ChangesPanel,
    actions: ChangeActions,
) -> impl IntoView {
    view! { <Panel request_id panel actions /> }
}

#[component]
fn Panel(request_id: i64, panel: ChangesPanel, actions: ChangeActions) -> impl IntoView {
    let shown = panel.can_reissue
        || panel.can_revoke
        || panel.revoke_blocked.is_some()
        || !panel.changes.is_empty();
    shown.then(|| view! {
        <section id="changes" aria-labelledby="changes-heading">
            <h2 id="changes-heading">"Reissue, duplicate, revoke"</h2>
            <AlertLine message=move || actions.error().map(|e| e.to_string()) />
            <div class="actions">
                {panel
                    .can_reissue
                    .then(|| {
                        view! {
                            <a
                                class="button"
                                id="reissue"
                                href=format!("/requests/{request_id}/reissue")
                            >
                                "Reissue"
                            </a>
                        }
                    })}
                {panel
                    .can_duplicate
                    .then(|| {
                        view! {
                            <a
                                class="button secondary"
                                id="duplicate"
                                href=format!("/requests/{request_id}/duplicate")
                            >
                                "Duplicate"
                            </a>
                        }
                    })}
            </div>
            {(!panel.changes.is_empty())
                .then(|| {
                    view! {
                        <ol class="changes">
                            {panel
                                .changes
                                .into_iter()
                                .map(|change| view! { <ChangeItem change actions /> })
                                .collect_view()}
                        </ol>
                    }
                })}
            {panel
                .revoke_blocked
                .map(|why| {
                    view! {
                        <p class="notice" id="revoke-blocked">
                            {why}
                        </p>
                    }
                })}
            {panel
                .can_revoke
                .then(|| {
                    view! {
                        <RevokeForm request_id revocable=panel.revocable action=actions.revoke />
                    }
                })}
        </section>
    })
}

#[component]
fn ChangeItem(change: ChangeView, actions: ChangeActions) -> impl IntoView {
    let id = change.id;
    let class = format!("change change-{}", change.status.as_str());
    let status_class = format!("status status-change-{}", change.status.as_str());
    let (asked, key, revocation, decided) = (
        change.asked_line(),
        change.key_line(),
        change.revocation_line(),
        change.decided_line(),
    );
    let comment = (!change.comment.is_empty()).then_some(change.comment);
    view! {
        <li class=class data-change=id>
            <p>
                <strong>{change.kind.label()}</strong>
                " · "
                <span class=status_class>{change.status.label()}</span>
                <span class="muted">{asked}</span>
            </p>
            {change.names.map(|names| view! { <NameDiff names /> })}
            {key.map(|key| view! { <p class="muted">{key}</p> })}
            {(change.kind != ChangeKind::Revoke)
                .then(|| view! { <p class="muted">"Price: included in the order."</p> })}
            {revocation.map(|line| view! { <p>{line}</p> })}
            {comment.map(|comment| view! { <p class="prewrap">{comment}</p> })}
            {change.policy.map(|p| view! { <p class="muted">{p}</p> })}
            {decided.map(|line| view! { <p class="muted">{line}</p> })}
            <AlertLine message=change.error />
            {change
                .can_decide
                .then(|| view! { <ChangeDecision id decide=actions.decide return_to="request" /> })}
            {change
                .can_cancel
                .then(|| {
                    view! {
                        <ActionForm action=actions.cancel>
                            <input type="hidden" name="change" value=id />
                            <button type="submit" class="secondary">
                                "Withdraw"
                            </button>
                        </ActionForm>
                    }
                })}
        </li>
    }
}

/// Names added, removed and kept.
#[component]
fn NameDiff(names: NameChanges) -> impl IntoView {
    view! {
        <ul class="name-diff">
            {names
                .added
                .into_iter()
                .map(|n| view! { <li class="added">"+ "{n}</li> })
                .collect_view()}
            {names
                .removed
                .into_iter()
                .map(|n| view! { <li class="removed">"− "{n}</li> })
                .collect_view()}
            {names.kept.into_iter().map(|n| view! { <li class="kept">{n}</li> }).collect_view()}
        </ul>
    }
}

/// Approve (with an optional comment) or reject (with a reason).
#[component]
pub fn ChangeDecision(
    id: i64,
    decide: ServerAction<DecideChange>,
    return_to: &'static str,
) -> impl IntoView {
    view! {
        <div class="decisions">
            <ActionForm action=decide>
                <input type="hidden" name="change" value=id />
                <input type="hidden" name="decision" value="approve" />
                <input type="hidden" name="return_to" value=return_to />
                <label for=format!("change-approve-{id}")>"Comment (optional)"</label>
                <input id=format!("change-approve-{id}") name="note" type="text" />
                <button type="submit">"Approve change"</button>
            </ActionForm>
            <ActionForm action=decide>
                <input type="hidden" name="change" value=id />
                <input type="hidden" name="decision" value="reject" />
                <input type="hidden" name="return_to" value=return_to />
                <label for=format!("change-reject-{id}")>"Reason (shown to the requester)"</label>
                <input id=format!("change-reject-{id}") name="note" type="text" />
                <button type="submit" class="secondary">
                    "Reject change"
                </button>
            </ActionForm>
        </div>
    }
}

#[component]
fn RevokeForm(
    request_id: i64,
    revocable: Vec<super::model::RevocableCertificate>,
    action: ServerAction<AskRevocation>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <details class="card" id="revoke" open=move || error.get().is_some()>
            <summary>"Revoke a certificate"</summary>
            <p class="muted">
                "An approver decides, except where the admins let keyCompromise go at once. Revocation cannot be undone."
            </p>
            <AlertLine message=move || error.get().map(|e| e.to_string()) />
            <ActionForm action>
                <input type="hidden" name="id" value=request_id />
                <div class="field">
                    <label for="revoke-certificate">"What to revoke"</label>
                    <select id="revoke-certificate" name="certificate">
                        {revocable
                            .into_iter()
                            .map(|c| view! { <option value=c.id>{c.label}</option> })
                            .collect_view()}
                        <option value="order">"The whole order (every certificate)"</option>
                    </select>
                    <FieldError error field="certificate" />
                </div>
                <div class="field">
                    <label for="revoke-reason">"Reason"</label>
                    <select id="revoke-reason" name="reason">
                        {RevocationReason::ALL
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str()>{r.label()}</option> })
                            .collect_view()}
                    </select>
                    <FieldError error field="reason" />
                </div>
                <div class="field">
                    <label for="revoke-comment">"Comment"</label>
                    <textarea
                        id="revoke-comment"
                        name="comment"
                        rows="2"
                        maxlength="1000"
                    ></textarea>
                    <FieldError error field="comment" />
                </div>
                <button type="submit" class="danger">
                    "Ask to revoke"
                </button>
            </ActionForm>
        </details>
    }
}

/// `/requests/:id/reissue` and `/requests/:id/duplicate`.
#[component]
pub fn NewCertificatePage(kind: ChangeKind) -> impl IntoView {
    let id = use_request_id();
    let context = resource(id, move |id| {
        load_new_certificate_context(id, kind.as_str().to_owned())
    });
    view! {
        <Title text=kind.label() />
        <Guarded>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match context.await {
                        Ok(context) => view! { <NewCertificateForm kind context /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Guarded>
    }
}

/// What a reissue or a duplicate is called, and what it does, for the page's heading and intro.
fn heading_and_intro(kind: ChangeKind) -> (&'static str, &'static str) {
    match kind {
        ChangeKind::Duplicate => (
            "Duplicate",
            "A duplicate has the same names and end date as the current certificate, for another key (a second server). The current certificate stays valid.",
        ),
        _ => (
            "Reissue",
            "A reissue replaces the current certificate within the order, at no charge: a new key, and names added or removed as needed. The current certificate is superseded once the new one is issued.",
        ),
    }
}

#[component]
fn NewCertificateForm(kind: ChangeKind, context: NewCertificateContext) -> impl IntoView {
    let action = ServerAction::<AskNewCertificate>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let kept = move |field: &str| {
        error
            .get()
            .and_then(|e| e.form().and_then(|f| f.kept.get(field).cloned()))
    };
    let current = context.current_names.clone();
    let names = RwSignal::new(current.join("\n"));
    let request_id = context.request_id;
    // Once the change is stored, its request page shows it.
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            leptos_router::hooks::use_navigate()(
                &format!("/requests/{request_id}#changes"),
                Default::default(),
            );
        }
    });
    let (heading, intro) = heading_and_intro(kind);
    view! {
        <p>
            <a href=format!("/requests/{request_id}")>{format!("← Request {request_id}")}</a>
        </p>
        <h1>{format!("{heading}: {}", context.title)}</h1>
        <p>{intro}</p>
        <CurrentCertificate context />
        <AlertLine message=move || error.get().map(|e| e.to_string()) />
        <ActionForm action attr:class="new-certificate">
            <input type="hidden" name="id" value=request_id />
            <input type="hidden" name="kind" value=kind.as_str() />
            <div class="field">
                <label for="change-csr">"CSR for the new key"</label>
                <textarea
                    id="change-csr"
                    name="csr"
                    rows="10"
                    class="mono"
                    spellcheck="false"
                    required
                    prop:value=move || kept("csr").unwrap_or_default()
                >
                    {move || kept("csr").unwrap_or_default()}
                </textarea>
                <FieldError error field="csr" />
            </div>
            <div class="field">
                <label for="change-names">
                    "Names (one per line; the first is the common name)"
                </label>
                <textarea
                    id="change-names"
                    name="names"
                    rows="4"
                    readonly=kind == ChangeKind::Duplicate
                    prop:value=move || kept("names").unwrap_or_else(|| names.get_untracked())
                    on:input=move |ev| names.set(event_target_value(&ev))
                >
                    {move || kept("names").unwrap_or_else(|| names.get_untracked())}
                </textarea>
                <FieldError error field="names" />
            </div>
            <NamesAgainstCurrent current names />
            <button type="submit">{format!("Ask for the {}", heading.to_lowercase())}</button>
        </ActionForm>
    }
}

/// The certificate being replaced or duplicated, its order's end, the price (none), and whether
/// an approver decides.
#[component]
fn CurrentCertificate(context: NewCertificateContext) -> impl IntoView {
    view! {
        <dl id="current-certificate">
            <dt>"Current certificate"</dt>
            <dd>
                <code>{context.current_serial}</code>
                {format!(" until {}", context.current_valid_till)}
            </dd>
            <dt>"Names"</dt>
            <dd>{context.current_names.join(", ")}</dd>
            {context
                .order_valid_till
                .map(|t| {
                    view! {
                        <dt>"Order runs until"</dt>
                        <dd>{t}</dd>
                    }
                })}
            <dt>"Price"</dt>
            <dd id="change-price">"Included in the order"</dd>
        </dl>
        <p class="notice">
            {if context.same_names_skip_approval {
                "Keeping the same names, this reissue needs no approver (standing policy); changing names sends it to an approver."
            } else {
                "An approver decides before DigiCert is asked."
            }}
        </p>
    }
}

/// The names as typed against the current certificate's, as they are typed.
#[component]
fn NamesAgainstCurrent(current: Vec<String>, names: RwSignal<String>) -> impl IntoView {
    let diff = move || {
        let typed = crate::features::requests::names::split_names(&names.get());
        NameChanges::between(&current, &typed)
    };
    view! {
        <div id="name-diff" aria-live="polite">
            {move || {
                let d = diff();
                if d.same_names() {
                    view! { <p class="muted">"Same names as the current certificate."</p> }
                        .into_any()
                } else {
                    view! { <NameDiff names=d /> }.into_any()
                }
            }}
        </div>
    }
}

/// Approvers: changes waiting for a decision (on the approvals page).
#[component]
pub fn ChangeQueue() -> impl IntoView {
    let decide = ServerAction::<DecideChange>::new();
    let queue = resource(move || decide.version().get(), |_| load_change_queue());
    view! {
        <section id="changes" aria-labelledby="change-queue-heading">
            <h2 id="change-queue-heading">"Reissues, duplicates and revocations"</h2>
            <AlertLine message=move || {
                decide.value().get().and_then(|r| r.err()).map(|e| e.to_string())
            } />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match queue.await {
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="muted">"Nothing waiting."</p> }.into_any()
                        }
                        Ok(rows) => {
                            view! {
                                <table class="change-queue">
                                    <thead>
                                        <tr>
                                            <th>"Request"</th>
                                            <th>"Change"</th>
                                            <th>"Asked by"</th>
                                            <th>"Decision"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|change| view! { <QueuedChangeRow change decide /> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// One waiting change in the approvers' table, with its decision forms unless the approver
/// asked for it or owns the order.
#[component]
fn QueuedChangeRow(change: QueuedChange, decide: ServerAction<DecideChange>) -> impl IntoView {
    view! {
        <tr data-change=change.id>
            <td>
                <a href=format!(
                    "/requests/{}",
                    change.request_id,
                )>{format!("#{} {}", change.request_id, change.title)}</a>
            </td>
            <td>
                <strong>{change.kind.label()}</strong>
                <br />
                {change.summary}
            </td>
            <td>{change.requested_by}<br /> <span class="muted">{change.requested_at}</span></td>
            <td>
                {if change.can_decide {
                    view! { <ChangeDecision id=change.id decide return_to="approvals" /> }
                        .into_any()
                } else {
                    view! {
                        <span class="muted">
                            "Asked by you or on your order: another approver decides."
                        </span>
                    }
                        .into_any()
                }}
            </td>
        </tr>
    }
}

/// `/admin/policies`: the standing policies, each switched on or off.
#[component]
pub fn PoliciesPage() -> impl IntoView {
    use crate::features::auth::Role;
    let set = ServerAction::<SetPolicy>::new();
    let policies = resource(move || set.version().get(), |_| load_policies());
    view! {
        <Title text="Standing policies" />
        <Guarded role=Role::Admin>
            <h1>"Standing policies"</h1>
            <p>"What may skip a human decision. Every change is recorded in the audit log."</p>
            <AlertLine message=move || {
                set.value().get().and_then(|r| r.err()).map(|e| e.to_string())
            } />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match policies.await {
                        Ok(p) => {
                            view! {
                                <section class="card">
                                    <h2>"Revocation"</h2>
                                    <PolicySwitch
                                        set
                                        name="revoke_key_compromise_at_once".to_owned()
                                        label="keyCompromise revocations go to DigiCert at once, without an approver"
                                            .to_owned()
                                        enabled=p.revoke_key_compromise_at_once
                                    />
                                </section>
                                <section class="card">
                                    <h2>"Reissues that keep the names (a new key only)"</h2>
                                    <table class="policies">
                                        <tbody>
                                            {p
                                                .reissue_same_names
                                                .into_iter()
                                                .map(|row| {
                                                    view! {
                                                        <tr>
                                                            <td>
                                                                <PolicySwitch
                                                                    set
                                                                    name=super::model::reissue_policy_name(&row.product)
                                                                    label=format!("{}: no approver needed", row.label)
                                                                    enabled=row.enabled
                                                                />
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </section>
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
fn PolicySwitch(
    set: ServerAction<SetPolicy>,
    name: String,
    label: String,
    enabled: bool,
) -> impl IntoView {
    let data = name.clone();
    view! {
        <ActionForm action=set attr:class="policy" attr:data-policy=data>
            <input type="hidden" name="name" value=name />
            <input type="hidden" name="enabled" value=if enabled { "off" } else { "on" } />
            <span>{label}" — "<strong>{if enabled { "on" } else { "off" }}</strong></span>
            " "
            <button type="submit" class="secondary">
                {if enabled { "Turn off" } else { "Turn on" }}
            </button>
        </ActionForm>
    }
}
