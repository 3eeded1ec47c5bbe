//! The request page's "Domain validation" section and the admins' `/domains` page.

use super::api::{ChangeDcvMethod, CheckDcv, PublishDcvDemo, load_domains};
use super::model::{DcvName, DcvPanel, describe};
use crate::components::{AlertLine, ChoiceOptions, ErrorPanel, Guarded, resource};
use crate::features::auth::Role;
use crate::features::digicert::dcv::EMAIL_DCV_ENDS;
use crate::features::digicert::payload::DcvMethod;
use crate::features::requests::options::Choice;
use leptos::prelude::*;
use leptos_meta::Title;

/// Copies `text` to the clipboard (the button exists only once the page runs in the browser).
fn copy_to_clipboard(_text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(_text);
    }
}

/// A value to copy: selectable text, plus a copy button once JavaScript runs.
#[component]
fn Copyable(value: String, label: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = value.clone();
    view! {
        <code class="copyable">{value}</code>
        <button
            type="button"
            class="copy"
            aria-label=format!("Copy {}", label.to_lowercase())
            on:click=move |_| {
                copy_to_clipboard(&text);
                copied.set(true);
            }
        >
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

#[component]
fn NameRow(name: DcvName) -> impl IntoView {
    let state = if name.validated {
        "Validated"
    } else {
        "Waiting"
    };
    view! {
        <tr
            class=if name.validated { "dcv-validated" } else { "dcv-waiting" }
            data-name=name.dns_name.clone()
        >
            <td>{name.dns_name.clone()}</td>
            <td>
                <span class=format!("status status-dcv-{}", state.to_lowercase())>{state}</span>
            </td>
            <td>
                {name
                    .record
                    .map(|record| {
                        view! {
                            <dl class="dcv-record">
                                {describe(&record)
                                    .into_iter()
                                    .map(|(label, value)| {
                                        view! {
                                            <dt>{label}</dt>
                                            <dd>
                                                <Copyable value label />
                                            </dd>
                                        }
                                    })
                                    .collect_view()}
                            </dl>
                        }
                    })}
            </td>
        </tr>
    }
}

/// What the person does for each method, in words.
fn method_help(method: DcvMethod) -> &'static str {
    match method {
        DcvMethod::DnsTxtToken => {
            "Add a TXT record with the value below at the name shown (in your DNS provider's console), then press Check now. DigiCert also looks on its own."
        }
        DcvMethod::DnsCnameToken => {
            "Add a CNAME record at the name shown, pointing to the target below, then press Check now."
        }
        DcvMethod::HttpToken => {
            "Put a file at the URL shown (plain http, port 80) holding exactly the content below, then press Check now. It proves only that exact host name."
        }
        DcvMethod::Email => {
            "DigiCert emailed the domain's contacts (the addresses in its DNS records, or admin@, webmaster@ and the like). The order moves on when one of them approves."
        }
    }
}

/// The actions of the DCV section; the request page owns them, so that its one resource reloads
/// after each.
#[derive(Clone, Copy)]
pub struct DcvActions {
    pub check: ServerAction<CheckDcv>,
    pub change: ServerAction<ChangeDcvMethod>,
    pub publish: ServerAction<PublishDcvDemo>,
}

impl DcvActions {
    pub fn new() -> Self {
        DcvActions {
            check: ServerAction::new(),
            change: ServerAction::new(),
            publish: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes.
    pub fn version(&self) -> (usize, usize, usize) {
        (
            self.check.version().get(),
            self.change.version().get(),
            self.publish.version().get(),
        )
    }
}

impl Default for DcvActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The "Domain validation" section of a request page; nothing when the order has no DCV.
#[component]
pub fn DcvSection(panel: Option<DcvPanel>, actions: DcvActions) -> impl IntoView {
    panel.map(|panel| view! { <Panel panel actions /> })
}

#[component]
fn Panel(panel: DcvPanel, actions: DcvActions) -> impl IntoView {
    let pending = panel.pending_names();
    let waiting = panel.waiting && pending > 0;
    let token = panel.method.is_token();
    view! {
        <section id="dcv" class="dcv" aria-labelledby="dcv-heading">
            <h2 id="dcv-heading">"Domain validation"</h2>
            <Lead waiting pending method=panel.method />
            <dl class="dcv-facts">
                <dt>"Method"</dt>
                <dd id="dcv-method">{panel.method.label()}</dd>
                {panel
                    .value_expires
                    .clone()
                    .filter(|_| token && waiting)
                    .map(|e| {
                        view! {
                            <dt>"Random value valid until"</dt>
                            <dd id="dcv-expires">{e}</dd>
                        }
                    })}
            </dl>
            <table class="dcv-names">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"State"</th>
                        <th>"What to publish"</th>
                    </tr>
                </thead>
                <tbody>
                    {panel.names.into_iter().map(|name| view! { <NameRow name /> }).collect_view()}
                </tbody>
            </table>
            {panel
                .checked_at
                .map(|at| {
                    view! {
                        <p class="muted" id="dcv-last-check">
                            {format!("Last check {at}: ")}
                            {panel.check_note.unwrap_or_default()}
                        </p>
                    }
                })}
            <Outcome actions />
            {waiting
                .then(|| {
                    view! {
                        <Controls
                            id=panel.request_id
                            method=panel.method
                            methods=panel.methods
                            demo=panel.demo
                            actions
                        />
                    }
                })}
        </section>
    }
}

/// What the section says first: what DigiCert still waits for, or that it waits no more.
#[component]
fn Lead(waiting: bool, pending: usize, method: DcvMethod) -> impl IntoView {
    if waiting {
        let names = if pending == 1 {
            "the name marked waiting".to_owned()
        } else {
            format!("the {pending} names marked waiting")
        };
        view! {
            <p class="lead" id="dcv-lead">
                {format!(
                    "DigiCert issues the certificate once it has checked that you control {names}. {}",
                    method_help(method),
                )}
            </p>
        }
            .into_any()
    } else if pending == 0 {
        view! { <p id="dcv-lead">"Every name is validated."</p> }.into_any()
    } else {
        view! {
            <p id="dcv-lead" class="muted">
                "The order no longer waits at DigiCert."
            </p>
        }
        .into_any()
    }
}

/// What the last check found, or why an action failed.
#[component]
fn Outcome(actions: DcvActions) -> impl IntoView {
    let DcvActions {
        check,
        change,
        publish,
    } = actions;
    let error = move || {
        check
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| change.value().get().and_then(|r| r.err()))
            .or_else(|| publish.value().get().and_then(|r| r.err()))
    };
    let outcome = move || check.value().get().and_then(|r| r.ok()).map(|o| o.message);
    view! {
        {move || {
            outcome()
                .map(|m| {
                    view! {
                        <p role="status" id="dcv-outcome">
                            {m}
                        </p>
                    }
                })
        }}
        <AlertLine message=Signal::derive(move || error().map(|e| e.to_string())) id="dcv-error" />
    }
}

/// While DigiCert waits: check now and (in demo mode) publish, for the token methods; change
/// the method.
#[component]
fn Controls(
    id: i64,
    method: DcvMethod,
    methods: Vec<Choice>,
    demo: bool,
    actions: DcvActions,
) -> impl IntoView {
    let token = method.is_token();
    view! {
        <div class="actions">
            {token
                .then(|| {
                    view! {
                        <ActionForm action=actions.check>
                            <input type="hidden" name="id" value=id />
                            <button type="submit" id="dcv-check">
                                "Check now"
                            </button>
                        </ActionForm>
                    }
                })}
            {(demo && token)
                .then(|| {
                    view! {
                        <ActionForm action=actions.publish>
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class="secondary" id="dcv-publish">
                                "Publish record (demo)"
                            </button>
                        </ActionForm>
                    }
                })}
        </div>
        <ActionForm action=actions.change attr:class="dcv-change">
            <input type="hidden" name="id" value=id />
            <label for="dcv-new-method">"Change method"</label>
            <select id="dcv-new-method" name="dcv_method">
                <ChoiceOptions choices=methods selected=method.as_str().to_owned() />
            </select>
            <button type="submit" class="secondary">
                "Use this method"
            </button>
            <p class="muted">
                {format!(
                    "A new method comes with a new random value: publish the new record. Email validation ends on {EMAIL_DCV_ENDS}.",
                )}
            </p>
        </ActionForm>
    }
}

/// `/domains`: every domain of the DigiCert account, the soonest DCV lapse first.
#[component]
pub fn DomainsPage() -> impl IntoView {
    view! {
        <Title text="Domains" />
        <Guarded role=Role::Admin>
            <Domains />
        </Guarded>
    }
}

#[component]
fn Domains() -> impl IntoView {
    let domains = resource(|| (), |_| load_domains());
    view! {
        <h1>"Domains"</h1>
        <p class="muted">
            "Every domain DigiCert holds for the account. An order naming a domain whose validation has lapsed waits until the requester proves control again, so renew the soonest first."
        </p>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match domains.await {
                    Ok(rows) => {
                        view! {
                            <table id="domains">
                                <thead>
                                    <tr>
                                        <th>"Domain"</th>
                                        <th>"Organization"</th>
                                        <th>"Validation"</th>
                                        <th>"DCV method"</th>
                                        <th>"DCV expires"</th>
                                        <th>"Days left"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|d| {
                                            let soon = d.days_left.is_some_and(|n| n < 30);
                                            let key = d.name.clone();
                                            view! {
                                                <tr class:soon=soon data-domain=key>
                                                    <td>{d.name}</td>
                                                    <td>{d.organization}</td>
                                                    <td>{d.validations.join(", ")}</td>
                                                    <td>{d.dcv_method}</td>
                                                    <td>{d.dcv_expires.unwrap_or_else(|| "–".into())}</td>
                                                    <td>
                                                        {d
                                                            .days_left
                                                            .map(|n| {
                                                                if n < 0 { "lapsed".to_owned() } else { n.to_string() }
                                                            })
                                                            .unwrap_or_else(|| "–".into())}
                                                    </td>
                                                </tr>
                                            }
                                        })
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
    }
}
