//! One order form per product kind. It works as a plain HTML form (the server checks, and on a
//! mistake sends the page back with every value and message), and with JavaScript it checks as
//! the person types, previews the CSR and submits without reloading.

use super::super::account_check::check_against_account;
use super::super::api::{
    EstimatePrice, SubmitRequest, check_csr, load_order_options, load_request, renewal_form,
};
use super::super::model::{CsrCheck, FormKind, RequestForm, name_difference, prepare};
use super::super::options::{Choice, CustomFieldChoice, OrderOptions};
use crate::components::{Guarded, NotFound};
use crate::error::{AppError, FormErrors};
use crate::features::auth::Role;
use crate::features::csr::{self, CsrReport};
use crate::features::digicert::dates::IsoDate;
use crate::features::digicert::payload::{DcvMethod, ProvisioningMethod, SignatureHash};
use crate::features::digicert::pricing::price_key as price_key_of;
use crate::features::digicert::products::TypeHint;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// `/requests/new/:kind`
#[component]
pub fn RequestFormPage() -> impl IntoView {
    let params = use_params_map();
    let kind = move || params.read().get("kind").and_then(|k| FormKind::parse(&k));
    view! {
        <Guarded role=Role::Requester>
            {move || match kind() {
                Some(kind) => view! { <KindForm kind /> }.into_any(),
                None => view! { <NotFound /> }.into_any(),
            }}
        </Guarded>
    }
}

/// Errors to show: the server's answer when there is one, else what the browser found.
type Shown = Signal<Option<FormErrors>>;

/// What every fieldset of an order form reads: the values it starts from, the account's options
/// (when DigiCert answered) and the errors shown.
#[derive(Clone, Copy)]
struct FormContext {
    initial: StoredValue<RequestForm>,
    options: StoredValue<Option<OrderOptions>>,
    errors: Shown,
}

impl FormContext {
    /// The starting value of one of the form's text fields.
    fn value(self, field: fn(&RequestForm) -> &String) -> String {
        self.initial.with_value(|form| field(form).clone())
    }
}

fn field_message(errors: Shown, field: &'static str) -> impl Fn() -> Option<String> + Copy {
    move || errors.with(|e| e.as_ref().and_then(|e| e.for_field(field)))
}

#[component]
fn KindForm(kind: FormKind) -> impl IntoView {
    let query = use_query_map();
    let product = Signal::derive(move || query.read().get("product").unwrap_or_default());
    let type_hint =
        Signal::derive(move || query.read().get("type_hint").unwrap_or_else(|| "ov".into()));
    let copy_of = move || {
        query
            .read()
            .get("copy")
            .and_then(|id| id.parse::<i64>().ok())
    };

    let submit = ServerAction::<SubmitRequest>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = submit.value().get() {
            navigate(&format!("/requests/{id}"), Default::default());
        }
    });

    let options = Resource::new(
        move || (kind.slug().to_owned(), product.get(), type_hint.get()),
        |(kind, product, type_hint)| load_order_options(kind, product, type_hint),
    );
    let renew_of = move || {
        query
            .read()
            .get("renew")
            .and_then(|id| id.parse::<i64>().ok())
    };
    // A copy starts from an earlier request; a renewal from the order it renews.
    let copied = Resource::new(
        move || (copy_of(), renew_of()),
        |(copy, renew)| async move {
            match (renew, copy) {
                (Some(id), _) => renewal_form(id).await.ok(),
                (None, Some(id)) => load_request(id).await.ok().map(|d| d.form),
                (None, None) => None,
            }
        },
    );

    view! {
        <Title text=format!("New request: {}", kind.title()) />
        <p>
            <a href="/requests/new">"← All products"</a>
        </p>
        <h1>{kind.title()}</h1>
        <p class="muted">{kind.blurb()}</p>
        <ProductChooser kind product type_hint />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading the form…"</p> }
        }>
            {move || Suspend::new(async move {
                let options = options.await;
                let copied = copied.await;
                let kept = submit
                    .value()
                    .get_untracked()
                    .and_then(|r| r.err())
                    .and_then(|e| e.form().map(|f| f.kept.clone()))
                    .filter(|k| !k.is_empty());
                let mut initial = match (kept, copied) {
                    (Some(kept), _) => RequestForm::from_kept(&kept),
                    (None, Some(form)) => form,
                    (None, None) => RequestForm::blank(kind),
                };
                initial.kind = kind.slug().into();
                let chosen = product.get_untracked();
                if !chosen.is_empty() {
                    initial.product = chosen;
                }
                if kind == FormKind::SslByType {
                    initial.type_hint = type_hint.get_untracked();
                }
                if initial.product_id().is_none() {
                    initial.product = kind.products()[0].name_id().into();
                }
                // A failed plain-form post comes back with what was typed; a copy starts from an
                // earlier request; otherwise the form starts blank.
                view! { <OrderForm kind initial options submit /> }
            })}
        </Suspense>
    }
}

/// The product (Multi-year, document signing) or type (SSL by type) decides which fields show,
/// so it is chosen first, with a plain GET form that also works without JavaScript.
#[component]
fn ProductChooser(
    kind: FormKind,
    product: Signal<String>,
    type_hint: Signal<String>,
) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |key: &str, value: String| {
        navigate(
            &format!("/requests/new/{}?{key}={value}", kind.slug()),
            Default::default(),
        );
    };
    match kind {
        FormKind::SslByType => {
            let go = go.clone();
            view! {
                <form method="get" class="chooser">
                    <label for="type-choice">"Certificate type"</label>
                    <select
                        id="type-choice"
                        name="type_hint"
                        on:change=move |ev| go("type_hint", event_target_value(&ev))
                    >
                        {FormKind::TYPE_HINTS
                            .into_iter()
                            .map(|hint| {
                                let label = match hint {
                                    TypeHint::Ov => "Organization validated (ov)",
                                    TypeHint::Ev => "Extended validation (ev)",
                                    TypeHint::Grid => "Grid computing (grid)",
                                    TypeHint::Private => "Private CA (private)",
                                };
                                view! {
                                    <option
                                        value=hint.as_str()
                                        selected=move || type_hint.get() == hint.as_str()
                                    >
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <noscript>
                        <button type="submit" class="secondary">
                            "Show this form"
                        </button>
                    </noscript>
                </form>
            }
            .into_any()
        }
        FormKind::MultiYear => view! {
            <form method="get" class="chooser">
                <label for="product-choice">"Product"</label>
                <select
                    id="product-choice"
                    name="product"
                    on:change=move |ev| go("product", event_target_value(&ev))
                >
                    {kind
                        .products()
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option
                                    value=p.name_id()
                                    selected=move || product.get() == p.name_id()
                                >
                                    {p.display_name()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <noscript>
                    <button type="submit" class="secondary">
                        "Show this form"
                    </button>
                </noscript>
            </form>
        }
        .into_any(),
        _ => ().into_any(),
    }
}

/// The day DigiCert's rules are applied for: the server's, as the options carry it.
fn options_today(options: StoredValue<Option<OrderOptions>>) -> time::Date {
    options
        .with_value(|o| o.as_ref().and_then(|o| IsoDate::parse(&o.today).ok()))
        .map(|d| d.0)
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date())
}

#[component]
fn OrderForm(
    kind: FormKind,
    initial: RequestForm,
    options: Result<OrderOptions, AppError>,
    submit: ServerAction<SubmitRequest>,
) -> impl IntoView {
    let (options, options_error) = match options {
        Ok(options) => (Some(options), None),
        Err(error) => (None, Some(error)),
    };
    let options = StoredValue::new(options);
    let initial = StoredValue::new(initial);
    let value = move |f: fn(&RequestForm) -> &String| initial.with_value(|i| f(i).clone());

    // Live values the CSR preview compares with.
    let common_name = RwSignal::new(value(|f| &f.common_name));
    let dns_names = RwSignal::new(value(|f| &f.dns_names));
    let csr_text = RwSignal::new(value(|f| &f.csr));
    let common_name_field = NodeRef::<leptos::html::Input>::new();
    let dns_names_field = NodeRef::<leptos::html::Textarea>::new();
    let csr_field = NodeRef::<leptos::html::Textarea>::new();
    keep_typed_text(common_name_field, common_name);
    keep_typed_text(dns_names_field, dns_names);
    keep_typed_text(csr_field, csr_text);
    let key_refused = RwSignal::new(false);

    // What the browser finds as the person leaves each field. Before the first submission only
    // fields already visited are judged; after it, all of them.
    let local_errors = RwSignal::new(None::<FormErrors>);
    let touched = RwSignal::new(std::collections::BTreeSet::<String>::new());
    let submitted = RwSignal::new(false);
    // DigiCert's estimate, asked for whenever what it depends on changes.
    let price = ServerAction::<EstimatePrice>::new();
    let price_key = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if submit.value().get().is_some() {
            submitted.set(true);
            local_errors.set(None);
        }
    });
    let server_errors = Signal::derive(move || {
        submit.value().get().and_then(|r| r.err()).map(|e| match e {
            AppError::Invalid(form) => form,
            other => FormErrors::new(other.to_string()),
        })
    });
    let shown: Shown = Signal::derive(move || {
        if submit.pending().get() {
            return None;
        }
        local_errors.get().or_else(|| server_errors.get())
    });
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let recheck = move |field: Option<String>| {
        if let Some(name) = field {
            touched.update(|t| {
                t.insert(name);
            });
        }
        let Some(form) = read_form(form_ref) else {
            return;
        };
        let today = options_today(options);
        let prepared = prepare(&form, today);
        let key = prepared.as_ref().ok().map(|p| price_key_of(&p.order));
        if key != price_key.get_untracked() {
            if key.is_some() {
                price.dispatch(EstimatePrice { form: form.clone() });
            }
            price_key.set(key);
        }
        let mut found = prepared.err().unwrap_or_default();
        options.with_value(|o| {
            if let Some(o) = o {
                check_against_account(&form, o, &mut found);
            }
        });
        if submitted.get_untracked() {
            if !found.is_empty() {
                found.message = "Some fields need your attention.".into();
            }
        } else {
            let visited = touched.get_untracked();
            found.fields.retain(|name, _| visited.contains(name));
            found.message.clear();
        }
        local_errors.set(Some(found));
    };

    let is_tls = kind.is_tls();
    let (ev, private) = initial.with_value(|i| (i.needs_ev_approver(), i.is_private()));
    provide_context(FormContext {
        initial,
        options,
        errors: shown,
    });

    view! {
        {options_error
            .map(|error| {
                view! {
                    <p class="alert" role="alert">
                        {error.to_string()}
                    </p>
                }
            })}
        {move || {
            shown
                .get()
                .filter(|e| !e.message.is_empty())
                .map(|e| {
                    view! {
                        <p class="alert" role="alert" id="form-message">
                            {e.message}
                        </p>
                    }
                })
        }}
        <ActionForm
            action=submit
            node_ref=form_ref
            attr:class="order-form"
            attr:novalidate=true
            on:focusout=move |ev| {
                if moving_to_button(&ev) {
                    if let Some(name) = field_name(&ev) {
                        touched
                            .update(|t| {
                                t.insert(name);
                            });
                    }
                } else {
                    recheck(field_name(&ev));
                }
            }
            // A choice (select, radio, checkbox) counts at once: the price follows it.
            on:change=move |ev| {
                if is_choice(&ev) {
                    recheck(field_name(&ev));
                }
            }
        >
            <input type="hidden" name="form[kind]" value=kind.slug() />
            {(kind != FormKind::DocumentSigning)
                .then(|| {
                    view! {
                        <input type="hidden" name="form[product]" value=value(|f| &f.product) />
                    }
                })}
            {(kind == FormKind::SslByType)
                .then(|| {
                    view! {
                        <input type="hidden" name="form[type_hint]" value=value(|f| &f.type_hint) />
                        <FieldMessage errors=shown field="type_hint" />
                    }
                })}

            {is_tls
                .then(|| {
                    view! {
                        <DomainsFieldset common_name dns_names common_name_field dns_names_field />
                    }
                })}
            {(!is_tls).then(|| view! { <SigningFields /> })}
            <CsrFieldset is_tls csr_text key_refused csr_field common_name dns_names />
            {is_tls
                .then(|| {
                    view! {
                        <CertificateFieldset private />
                        <ValidityFieldset />
                    }
                })}
            <OrganizationFieldset ev is_tls private />
            <OrderDetailsFieldset />
            <NotesFieldset is_tls />
            <PriceEstimate price price_key />
            <FieldMessage errors=shown field="form" />
            <button type="submit" disabled=move || submit.pending().get()>
                "Submit request"
            </button>
        </ActionForm>
    }
}

/// Common name and additional names (TLS forms).
#[component]
fn DomainsFieldset(
    common_name: RwSignal<String>,
    dns_names: RwSignal<String>,
    common_name_field: NodeRef<leptos::html::Input>,
    dns_names_field: NodeRef<leptos::html::Textarea>,
) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    view! {
        <fieldset>
            <legend>"Domains"</legend>
            <Field
                errors=ctx.errors
                name="common_name"
                label="Common name"
                hint="The main domain, e.g. www.example.com. International names are converted to punycode."
            >
                <input
                    id="f-common_name"
                    name="form[common_name]"
                    type="text"
                    autocomplete="off"
                    value=ctx.value(|f| &f.common_name)
                    node_ref=common_name_field
                    on:input=move |ev| common_name.set(event_target_value(&ev))
                />
            </Field>
            <Field
                errors=ctx.errors
                name="dns_names"
                label="Additional domains"
                hint="One per line (or separated by commas). At most 250 names in all."
            >
                <textarea
                    id="f-dns_names"
                    name="form[dns_names]"
                    rows="3"
                    node_ref=dns_names_field
                    on:input=move |ev| dns_names.set(event_target_value(&ev))
                >
                    {ctx.value(|f| &f.dns_names)}
                </textarea>
            </Field>
        </fieldset>
    }
}

/// The CSR: pasted or uploaded, a private key refused on the spot, and its preview.
#[component]
fn CsrFieldset(
    is_tls: bool,
    csr_text: RwSignal<String>,
    key_refused: RwSignal<bool>,
    csr_field: NodeRef<leptos::html::Textarea>,
    common_name: RwSignal<String>,
    dns_names: RwSignal<String>,
) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    view! {
        <fieldset>
            <legend>
                {if is_tls {
                    "Certificate signing request"
                } else {
                    "CSR (required for email delivery)"
                }}
            </legend>
            <Field
                errors=ctx.errors
                name="csr"
                label="CSR"
                hint="Paste the PEM text, or upload a .csr, .pem or .der file. Never paste the private key."
            >
                <textarea
                    id="f-csr"
                    name="form[csr]"
                    rows="8"
                    class="mono"
                    spellcheck="false"
                    node_ref=csr_field
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        let rest_of_key = key_refused.get_untracked()
                            && (text.trim().is_empty() || looks_like_rest_of_key(&text));
                        if csr::contains_private_key(text.as_bytes()) || rest_of_key {
                            key_refused.set(true);
                            csr_text.set(String::new());
                        } else {
                            key_refused.set(false);
                            csr_text.set(text);
                        }
                    }
                >
                    {ctx.value(|f| &f.csr)}
                </textarea>
                <CsrUpload csr_text key_refused />
            </Field>
            {move || {
                key_refused
                    .get()
                    .then(|| {
                        view! {
                            <p class="alert" role="alert" id="private-key-warning">
                                {csr::PRIVATE_KEY_MESSAGE}
                            </p>
                        }
                    })
            }}
            <CsrPreview csr_text common_name dns_names is_tls />
        </fieldset>
    }
}

/// Signature hash, server platform, the private CA when there is one, and the DCV method.
#[component]
fn CertificateFieldset(private: bool) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let options = ctx.options;
    view! {
        <fieldset>
            <legend>"Certificate"</legend>
            <Field errors=ctx.errors name="signature_hash" label="Signature hash">
                <select id="f-signature_hash" name="form[signature_hash]">
                    // The product's hashes as DigiCert lists them (all three until it answers).
                    {options
                        .with_value(|o| o.as_ref().map(|o| o.hashes.clone()))
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| {
                            SignatureHash::ALL
                                .into_iter()
                                .map(|h| Choice {
                                    id: h.as_str().into(),
                                    label: h.as_str().to_uppercase(),
                                })
                                .collect()
                        })
                        .into_iter()
                        .map(|h| {
                            let selected = ctx.value(|f| &f.signature_hash) == h.id;
                            view! {
                                <option value=h.id selected=selected>
                                    {h.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
            <Field errors=ctx.errors name="server_platform" label="Server platform">
                <select id="f-server_platform" name="form[server_platform]">
                    {options
                        .with_value(|o| o.as_ref().map(|o| o.server_platforms.clone()))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| {
                            let selected = ctx.value(|f| &f.server_platform) == p.id;
                            view! {
                                <option value=p.id selected=selected>
                                    {p.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
            {private
                .then(|| {
                    view! {
                        <Field errors=ctx.errors name="ca_cert_id" label="Issuing CA">
                            <select id="f-ca_cert_id" name="form[ca_cert_id]">
                                <option value="">"Choose the private CA"</option>
                                {options
                                    .with_value(|o| o.as_ref().map(|o| o.private_cas.clone()))
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|c| {
                                        let selected = ctx.value(|f| &f.ca_cert_id) == c.id;
                                        view! {
                                            <option value=c.id selected=selected>
                                                {c.label}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </Field>
                    }
                })}
            <Field errors=ctx.errors name="dcv_method" label="Domain validation method">
                <select id="f-dcv_method" name="form[dcv_method]">
                    {DcvMethod::offered_on(options_today(options))
                        .map(|m| {
                            let selected = ctx.value(|f| &f.dcv_method) == m.as_str();
                            view! {
                                <option value=m.as_str() selected=selected>
                                    {m.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
        </fieldset>
    }
}

/// How long the order runs and how long its first certificate lasts.
#[component]
fn ValidityFieldset() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let options = ctx.options;
    let max_days = ctx
        .options
        .with_value(|o| o.as_ref().map(|o| o.max_cert_days));
    view! {
        <fieldset>
            <legend>"Validity"</legend>
            <OrderValidity
                initial=ctx.initial.get_value()
                errors=ctx.errors
                years=options
                    .with_value(|o| o.as_ref().map(|o| o.order_years.clone()))
                    .filter(|y| !y.is_empty())
                    .unwrap_or_else(|| vec![1, 2, 3])
            />
            <Field
                errors=ctx.errors
                name="cert_days"
                label="Certificate validity (days)"
                hint=max_days
                    .map(|d| {
                        format!(
                            "Public certificates issued today last at most {d} days. Leave empty for the longest allowed.",
                        )
                    })
                    .unwrap_or_default()
            >
                <input
                    id="f-cert_days"
                    name="form[cert_days]"
                    type="number"
                    min="1"
                    inputmode="numeric"
                    value=ctx.value(|f| &f.cert_days)
                />
                <label class="inline" for="f-cert_end">
                    "or it ends on"
                </label>
                <input
                    id="f-cert_end"
                    name="form[cert_end]"
                    type="date"
                    value=ctx.value(|f| &f.cert_end)
                />
            </Field>
            <div class="checks">
                <label>
                    <input
                        type="checkbox"
                        name="form[auto_renew]"
                        checked=ctx.initial.with_value(|i| i.auto_renew.is_some())
                    />
                    " Renew automatically"
                </label>
                <label>
                    <input
                        type="checkbox"
                        name="form[auto_reissue]"
                        checked=ctx.initial.with_value(|i| i.auto_reissue.is_some())
                    />
                    " Reissue automatically within the plan"
                </label>
            </div>
            <Field
                errors=ctx.errors
                name="renewal_of_order_id"
                label="Renewal of DigiCert order (optional)"
            >
                <input
                    id="f-renewal_of_order_id"
                    name="form[renewal_of_order_id]"
                    type="text"
                    inputmode="numeric"
                    value=ctx.value(|f| &f.renewal_of_order_id)
                />
            </Field>
        </fieldset>
    }
}

/// Organization, the EV approver and licenses for EV, and the container.
#[component]
fn OrganizationFieldset(ev: bool, is_tls: bool, private: bool) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let options = ctx.options;
    let initial = ctx.initial;
    let chosen_org = RwSignal::new(ctx.initial.with_value(|i| i.organization.clone()));
    view! {
        <fieldset>
            <legend>"Organization"</legend>
            <Field
                errors=ctx.errors
                name="organization"
                label="Organization"
                hint=if ev {
                    "EV certificates need an organization whose EV validation is active."
                } else {
                    ""
                }
            >
                <select
                    id="f-organization"
                    name="form[organization]"
                    on:change=move |ev| chosen_org.set(event_target_value(&ev))
                >
                    <option value="">"Choose the organization"</option>
                    {options
                        .with_value(|o| o.as_ref().map(|o| o.organizations.clone()))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|org| {
                            let selected = ctx.value(|f| &f.organization) == org.id.to_string();
                            let label = format!("{} — {}", org.name, org.validation_words());
                            let unusable = (ev && !org.ev_active)
                                || (is_tls && !private && !org.ov_active);
                            view! {
                                <option
                                    value=org.id.to_string()
                                    selected=selected
                                    disabled=unusable
                                >
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
            {ev
                .then(|| {
                    view! {
                        <Field
                            errors=ctx.errors
                            name="ev_approver"
                            label="EV approver"
                            hint="The person at the chosen organization who approves EV certificates for DigiCert."
                        >
                            <select id="f-ev_approver" name="form[ev_approver]">
                                <option value="">"Choose the EV approver"</option>
                                // The chosen organization's approvers only (all, grouped, until one is chosen).
                                {move || {
                                    let chosen = chosen_org.get();
                                    options
                                        .with_value(|o| o.as_ref().map(|o| o.organizations.clone()))
                                        .unwrap_or_default()
                                        .into_iter()
                                        .filter(|org| {
                                            chosen.is_empty() || org.id.to_string() == chosen
                                        })
                                        .map(|org| {
                                            view! {
                                                <optgroup label=org
                                                    .name>
                                                    {org
                                                        .ev_approvers
                                                        .into_iter()
                                                        .map(|a| {
                                                            let selected = ctx.value(|f| &f.ev_approver)
                                                                == a.id.to_string();
                                                            view! {
                                                                <option value=a.id.to_string() selected=selected>
                                                                    {format!("{} — {} <{}>", a.name, a.job_title, a.email)}
                                                                </option>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </optgroup>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </select>
                        </Field>
                        <Field errors=ctx.errors name="server_licenses" label="Server licenses">
                            <input
                                id="f-server_licenses"
                                name="form[server_licenses]"
                                type="number"
                                min="1"
                                value=initial
                                    .with_value(|i| {
                                        if i.server_licenses.is_empty() {
                                            "1".to_owned()
                                        } else {
                                            i.server_licenses.clone()
                                        }
                                    })
                            />
                        </Field>
                    }
                })}
            <Field errors=ctx.errors name="container" label="Container (division)">
                <select id="f-container" name="form[container]">
                    <option value="">"The account's top container"</option>
                    {options
                        .with_value(|o| o.as_ref().map(|o| o.containers.clone()))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|c| {
                            let selected = ctx.value(|f| &f.container) == c.id;
                            view! {
                                <option value=c.id selected=selected>
                                    {c.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
        </fieldset>
    }
}

/// The custom order fields the company's DigiCert account asks for, when it asks for any.
#[component]
fn OrderDetailsFieldset() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let options = ctx.options;
    let initial = ctx.initial;
    let custom_fields = options
        .with_value(|o| o.as_ref().map(|o| o.custom_fields.clone()))
        .unwrap_or_default();
    view! {
        {(!custom_fields.is_empty())
            .then(|| {
                view! {
                    <fieldset>
                        <legend>"Order details"</legend>
                        <p class="hint">
                            "Fields your company's DigiCert account asks for on every order."
                        </p>
                        {custom_fields
                            .into_iter()
                            .map(|field| {
                                let value = initial
                                    .with_value(|i| {
                                        i.custom.get(&field.name()).cloned().unwrap_or_default()
                                    });
                                view! { <CustomFieldInput field value errors=ctx.errors /> }
                            })
                            .collect_view()}
                    </fieldset>
                }
            })}
    }
}

/// Notification emails (TLS) and the comments for the approver.
#[component]
fn NotesFieldset(is_tls: bool) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    view! {
        <fieldset>
            <legend>"Notes"</legend>
            {is_tls
                .then(|| {
                    view! {
                        <Field
                            errors=ctx.errors
                            name="additional_emails"
                            label="Additional notification emails"
                            hint="One per line; they get DigiCert's issuance and renewal emails."
                        >
                            <textarea
                                id="f-additional_emails"
                                name="form[additional_emails]"
                                rows="2"
                            >
                                {ctx.value(|f| &f.additional_emails)}
                            </textarea>
                        </Field>
                    }
                })}
            <Field errors=ctx.errors name="comments" label="Comments for the approver">
                <textarea id="f-comments" name="form[comments]" rows="3">
                    {ctx.value(|f| &f.comments)}
                </textarea>
            </Field>
        </fieldset>
    }
}

/// DigiCert's estimate for the order as it stands.
#[component]
fn PriceEstimate(
    price: ServerAction<EstimatePrice>,
    price_key: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <p id="price-estimate" aria-live="polite">
            "Estimated price: "
            <strong>
                {move || match (price_key.get(), price.value().get()) {
                    (None, _) => "shown when the form is complete".to_owned(),
                    (Some(_), Some(Ok(text))) if !price.pending().get() => text,
                    (Some(_), Some(Err(_))) if !price.pending().get() => "unknown".to_owned(),
                    _ => "asking DigiCert…".to_owned(),
                }}
            </strong>
            <span class="muted">" (DigiCert's estimate; the request's page keeps it)"</span>
        </p>
    }
}

/// A plain input of an order form, declared once: its name is the [`RequestForm`] field it
/// edits, which also gives the posted name (`form[<name>]`), the id (`f-<name>`), its errors
/// and its starting value.
#[derive(Clone, Copy)]
struct TextField {
    name: &'static str,
    label: &'static str,
    input_type: &'static str,
    value: fn(&RequestForm) -> &String,
}

/// `text_field!(subject_name, "Full name")`, or with an input type: `…, "email")`.
macro_rules! text_field {
    ($name:ident, $label:literal) => {
        text_field!($name, $label, "text")
    };
    ($name:ident, $label:literal, $input_type:literal) => {
        TextField {
            name: stringify!($name),
            label: $label,
            input_type: $input_type,
            value: |form: &RequestForm| &form.$name,
        }
    };
}

#[component]
fn TextInput(field: TextField) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    view! {
        <Field errors=ctx.errors name=field.name label=field.label>
            <input
                id=format!("f-{}", field.name)
                name=format!("form[{}]", field.name)
                type=field.input_type
                value=ctx.value(field.value)
            />
        </Field>
    }
}

/// Keeps a text field and `text` in step without losing what a person typed before the page
/// hydrated (a lazily loaded page can take a moment): the first run takes the field's text,
/// later runs put `text` into the field when code changed it (filled from the CSR, an uploaded
/// file, a refused private key). Typing reaches `text` through the field's `on:input`.
fn keep_typed_text<E>(field: NodeRef<E>, text: RwSignal<String>)
where
    E: leptos::html::ElementType,
    E::Output: TextControl + leptos::wasm_bindgen::JsCast + Clone + 'static,
{
    Effect::new(move |synced: Option<()>| {
        let wanted = text.get();
        let Some(field) = field.get_untracked() else {
            return;
        };
        let shown = field.text();
        if shown != wanted {
            match synced {
                None => text.set(shown),
                Some(()) => field.set_text(&wanted),
            }
        }
    });
}

/// An `<input>` or a `<textarea>`: what [`keep_typed_text`] reads and writes.
trait TextControl {
    fn text(&self) -> String;
    fn set_text(&self, text: &str);
}

impl TextControl for leptos::web_sys::HtmlInputElement {
    fn text(&self) -> String {
        self.value()
    }
    fn set_text(&self, text: &str) {
        self.set_value(text)
    }
}

impl TextControl for leptos::web_sys::HtmlTextAreaElement {
    fn text(&self) -> String {
        self.value()
    }
    fn set_text(&self, text: &str) {
        self.set_value(text)
    }
}

/// One of the account's custom order fields (`form[cf_<id>]`).
#[component]
fn CustomFieldInput(field: CustomFieldChoice, value: String, errors: Shown) -> impl IntoView {
    let name = field.name();
    let key = name.clone();
    let error_id = format!("{name}-error");
    let message =
        Signal::derive(move || errors.with(|e| e.as_ref().and_then(|e| e.for_field(&key))));
    let input_type = match field.data_type.as_str() {
        "int" | "integer" | "number" => "number",
        "email_address" => "email",
        _ => "text",
    };
    let label = if field.required {
        field.label.clone()
    } else {
        format!("{} (optional)", field.label)
    };
    view! {
        <div class="field" class:invalid=move || message.get().is_some() data-field=name.clone()>
            <label for=format!("f-{name}")>{label}</label>
            <input
                id=format!("f-{name}")
                name=format!("form[{name}]")
                type=input_type
                value=value
                required=field.required
            />
            {(!field.description.is_empty())
                .then(|| view! { <p class="hint">{field.description.clone()}</p> })}
            {move || {
                message
                    .get()
                    .map(|m| {
                        view! {
                            <p class="field-error" id=error_id.clone() role="alert">
                                {m}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// Label, control, hint and the field's message, tied together for screen readers.
#[component]
fn Field(
    errors: Shown,
    name: &'static str,
    label: &'static str,
    #[prop(optional, into)] hint: String,
    children: Children,
) -> impl IntoView {
    let message = field_message(errors, name);
    view! {
        <div class="field" class:invalid=move || message().is_some() data-field=name>
            <label for=format!("f-{name}")>{label}</label>
            {children()}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <FieldMessage errors field=name />
        </div>
    }
}

#[component]
fn FieldMessage(errors: Shown, field: &'static str) -> impl IntoView {
    let message = field_message(errors, field);
    move || {
        message().map(|m| {
            view! {
                <p class="field-error" id=format!("{field}-error") role="alert">
                    {m}
                </p>
            }
        })
    }
}

#[component]
fn OrderValidity(initial: RequestForm, errors: Shown, years: Vec<u32>) -> impl IntoView {
    let longest = years.iter().max().copied().unwrap_or(1);
    let hint = if longest == 1 {
        "This account orders one year at a time; certificates are reissued within it.".to_owned()
    } else {
        format!("A plan runs 1 to {longest} years; certificates are reissued within it.")
    };
    let kind = initial.order_validity.clone();
    let checked =
        move |k: &str| kind == k || (k == "years" && !["days", "date"].contains(&kind.as_str()));
    view! {
        <div class="field" data-field="order_validity">
            <span class="label">"Order validity"</span>
            <div class="validity">
                <label>
                    <input
                        type="radio"
                        name="form[order_validity]"
                        value="years"
                        checked=checked("years")
                    />
                    " Years "
                </label>
                <select id="f-order_years" name="form[order_years]" aria-label="Years">
                    {years
                        .into_iter()
                        .map(|y| {
                            let value = y.to_string();
                            let selected = initial.order_years == value;
                            view! {
                                <option value=value selected=selected>
                                    {y}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <label>
                    <input
                        type="radio"
                        name="form[order_validity]"
                        value="days"
                        checked=checked("days")
                    />
                    " Days "
                </label>
                <input
                    id="f-order_days"
                    name="form[order_days]"
                    type="number"
                    min="1"
                    max="1095"
                    aria-label="Days"
                    value=initial.order_days.clone()
                />
                <label>
                    <input
                        type="radio"
                        name="form[order_validity]"
                        value="date"
                        checked=checked("date")
                    />
                    " Ends on "
                </label>
                <input
                    id="f-order_end"
                    name="form[order_end]"
                    type="date"
                    aria-label="End date"
                    value=initial.order_end.clone()
                />
            </div>
            <p class="hint">{hint}</p>
            <FieldMessage errors field="order_validity" />
        </div>
    }
}

/// Product, delivery, subject and the token's shipping address (document signing).
#[component]
fn SigningFields() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let (i, errors) = (ctx.initial, ctx.errors);
    let v = move |f: fn(&RequestForm) -> &String| ctx.value(f);
    view! {
        <fieldset>
            <legend>"Certificate"</legend>
            <Field errors name="product" label="Product">
                <select id="f-product" name="form[product]">
                    {FormKind::DocumentSigning
                        .products()
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.name_id() selected=v(|f| &f.product) == p.name_id()>
                                    {p.display_name()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
            <div class="field" data-field="provisioning_method">
                <span class="label">"Delivery"</span>
                {ProvisioningMethod::ALL
                    .into_iter()
                    .map(|m| {
                        let label = match m {
                            ProvisioningMethod::ShipToken => " Ship a hardware token",
                            ProvisioningMethod::ClientApp => " Install with DigiCert's client app",
                            ProvisioningMethod::Email => " Email (for your own HSM; needs a CSR)",
                        };
                        view! {
                            <label>
                                <input
                                    type="radio"
                                    name="form[provisioning_method]"
                                    value=m.as_str()
                                    checked=v(|f| &f.provisioning_method) == m.as_str()
                                />
                                {label}
                            </label>
                        }
                    })
                    .collect_view()}
                <FieldMessage errors field="provisioning_method" />
            </div>
            <label class="check">
                <input
                    type="checkbox"
                    name="form[use_org_as_common_name]"
                    checked=i.with_value(|i| i.use_org_as_common_name.is_some())
                />
                " Use the organization name as the common name"
            </label>
            <Field errors name="validity_years" label="Validity (years)">
                <select id="f-validity_years" name="form[validity_years]">
                    {["1", "2", "3"]
                        .into_iter()
                        .map(|y| {
                            view! {
                                <option value=y selected=v(|f| &f.validity_years) == y>
                                    {y}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
        </fieldset>
        <fieldset>
            <legend>"Certificate subject"</legend>
            <TextInput field=text_field!(subject_name, "Full name") />
            <TextInput field=text_field!(subject_job_title, "Job title") />
            <TextInput field=text_field!(subject_phone, "Phone", "tel") />
            <TextInput field=text_field!(subject_email, "Email", "email") />
        </fieldset>
        <fieldset>
            <legend>"Token shipping address (for a shipped token)"</legend>
            <TextInput field=text_field!(ship_name, "Recipient") />
            <TextInput field=text_field!(ship_addr1, "Address line 1") />
            <TextInput field=text_field!(ship_addr2, "Address line 2") />
            <TextInput field=text_field!(ship_city, "City") />
            <TextInput field=text_field!(ship_state, "State or province") />
            <TextInput field=text_field!(ship_zip, "Postal code") />
            <Field errors name="ship_country" label="Country (two letters)">
                <input
                    id="f-ship_country"
                    name="form[ship_country]"
                    type="text"
                    maxlength="2"
                    value=v(|f| &f.ship_country)
                />
            </Field>
            <div class="field" data-field="ship_method">
                <span class="label">"Shipping"</span>
                <label>
                    <input
                        type="radio"
                        name="form[ship_method]"
                        value="standard"
                        checked=v(|f| &f.ship_method) != "expedited"
                    />
                    " Standard"
                </label>
                <label>
                    <input
                        type="radio"
                        name="form[ship_method]"
                        value="expedited"
                        checked=v(|f| &f.ship_method) == "expedited"
                    />
                    " Expedited"
                </label>
            </div>
        </fieldset>
    }
}

/// The CSR's details as soon as it is pasted: parsed in the browser at once, then the server
/// confirms the signature (ring is not built into the browser bundle).
#[component]
fn CsrPreview(
    csr_text: RwSignal<String>,
    common_name: RwSignal<String>,
    dns_names: RwSignal<String>,
    is_tls: bool,
) -> impl IntoView {
    let local = Memo::new(move |_| {
        let text = csr_text.get();
        (!text.trim().is_empty()).then(|| csr::inspect(text.as_bytes()))
    });
    let verified = Resource::new(
        move || csr_text.get(),
        |text| async move {
            if text.trim().is_empty() || csr::contains_private_key(text.as_bytes()) {
                return None;
            }
            let form = RequestForm {
                csr: text,
                ..RequestForm::default()
            };
            check_csr(form)
                .await
                .ok()
                .flatten()
                .map(|c: CsrCheck| c.report)
        },
    );
    let fill_from_csr = move |report: &CsrReport| {
        if let Some(cn) = &report.common_name {
            common_name.set(cn.clone());
        }
        let rest: Vec<String> = report
            .names()
            .into_iter()
            .filter(|n| Some(n) != report.common_name.as_ref())
            .collect();
        dns_names.set(rest.join("\n"));
    };
    view! {
        {move || {
            local
                .get()
                .map(|report| {
                    let difference = if is_tls && report.ok {
                        let form = RequestForm {
                            common_name: common_name.get(),
                            dns_names: dns_names.get(),
                            ..RequestForm::default()
                        };
                        name_difference(&form, &report)
                    } else {
                        None
                    };
                    let for_fill = report.clone();
                    view! {
                        <div class="csr-preview" id="csr-preview" class:bad=!report.ok>
                            <h3>
                                {if report.ok { "CSR details" } else { "This CSR cannot be used" }}
                            </h3>
                            {(!report.errors.is_empty())
                                .then(|| {
                                    view! {
                                        <ul class="problems">
                                            {report
                                                .errors
                                                .iter()
                                                .map(|e| view! { <li>{e.clone()}</li> })
                                                .collect_view()}
                                        </ul>
                                    }
                                })}
                            {(!report.warnings.is_empty())
                                .then(|| {
                                    view! {
                                        <ul class="warnings">
                                            {report
                                                .warnings
                                                .iter()
                                                .map(|w| view! { <li>{w.clone()}</li> })
                                                .collect_view()}
                                        </ul>
                                    }
                                })}
                            {report
                                .ok
                                .then(|| {
                                    view! {
                                        <dl>
                                            <dt>"Subject"</dt>
                                            <dd>
                                                {report
                                                    .subject
                                                    .iter()
                                                    .map(|(k, v)| format!("{k}={v}"))
                                                    .collect::<Vec<_>>()
                                                    .join(", ")}
                                            </dd>
                                            <dt>"Names (SANs)"</dt>
                                            <dd>
                                                {if report.sans.is_empty() {
                                                    "none".to_owned()
                                                } else {
                                                    report.sans.join(", ")
                                                }}
                                            </dd>
                                            <dt>"Key"</dt>
                                            <dd>
                                                {report
                                                    .key
                                                    .as_ref()
                                                    .map(|k| k.describe())
                                                    .unwrap_or_default()}
                                            </dd>
                                            <dt>"Signature"</dt>
                                            <dd>
                                                {report.signature_algorithm.clone().unwrap_or_default()}
                                            </dd>
                                        </dl>
                                    }
                                })}
                            {difference
                                .map(|d| {
                                    view! {
                                        <div class="difference" id="csr-difference">
                                            <strong>
                                                "The CSR and the form name different domains."
                                            </strong>
                                            {d
                                                .warning()
                                                .map(|w| {
                                                    view! {
                                                        <p class="warning" id="csr-only-in-csr" role="alert">
                                                            {w}
                                                        </p>
                                                    }
                                                })}
                                            {d
                                                .information()
                                                .map(|i| {
                                                    view! {
                                                        <p class="note" id="csr-only-in-form">
                                                            {i}
                                                        </p>
                                                    }
                                                })}
                                        </div>
                                    }
                                })}
                            {(is_tls && report.ok)
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="secondary"
                                            on:click=move |_| fill_from_csr(&for_fill)
                                        >
                                            "Fill from CSR"
                                        </button>
                                    }
                                })}
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    verified
                                        .await
                                        .map(|server| {
                                            view! {
                                                <p class="signature" id="csr-signature">
                                                    {match server.signature_verified {
                                                        Some(true) => "Signature verified by the server.".to_owned(),
                                                        _ => server.errors.join(" "),
                                                    }}
                                                </p>
                                            }
                                        })
                                })}
                            </Suspense>
                        </div>
                    }
                })
        }}
    }
}

/// "Upload a file": reads it in the browser (PEM text, or DER turned into PEM) into the box.
#[component]
fn CsrUpload(csr_text: RwSignal<String>, key_refused: RwSignal<bool>) -> impl IntoView {
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use web_sys::wasm_bindgen::JsCast;
            let Some(input) = _ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            leptos::task::spawn_local(async move {
                let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await
                else {
                    return;
                };
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                if csr::contains_private_key(&bytes) {
                    key_refused.set(true);
                    csr_text.set(String::new());
                    return;
                }
                key_refused.set(false);
                let text = if bytes.first() == Some(&0x30) {
                    csr::to_pem(&bytes)
                } else {
                    String::from_utf8_lossy(&bytes).into_owned()
                };
                csr_text.set(text);
            });
        }
        let _ = (csr_text, key_refused);
    };
    view! {
        <label class="upload">
            "Upload a file "
            <input
                type="file"
                id="f-csr-file"
                accept=".csr,.pem,.der,.req,.txt"
                on:change=on_change
            />
        </label>
    }
}

/// `common_name` for the element named `form[common_name]` that an event came from.
/// Whether the event comes from a choice (select, radio, checkbox), not from typing: a text
/// field's change fires as the person clicks elsewhere, and is judged on focus-out instead.
fn is_choice(_ev: &leptos::ev::Event) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        let Some(element) = _ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return false;
        };
        let kind = element.get_attribute("type").unwrap_or_default();
        element.tag_name().eq_ignore_ascii_case("select") || kind == "radio" || kind == "checkbox"
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

fn field_name(_ev: &leptos::ev::Event) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        let element: web_sys::Element = _ev.target()?.dyn_into().ok()?;
        let name = element.get_attribute("name")?;
        Some(
            name.strip_prefix("form[")?
                .strip_suffix(']')?
                .replace("order_years", "order_validity")
                .replace("order_days", "order_validity")
                .replace("order_end", "order_validity")
                .replace("cert_end", "cert_days"),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Base64 lines, blank lines or an END line: what follows a private key's first line.
fn looks_like_rest_of_key(text: &str) -> bool {
    !text.is_empty()
        && text.lines().all(|line| {
            let line = line.trim();
            line.starts_with("-----END")
                || line
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        })
}

/// True when focus moves from a field to a button (a click on "Submit" or "Fill from CSR").
fn moving_to_button(_ev: &leptos::ev::FocusEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        _ev.related_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| e.tag_name().eq_ignore_ascii_case("button"))
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// The form's current values, read from the page (browser only).
fn read_form(_form: NodeRef<leptos::html::Form>) -> Option<RequestForm> {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        let element = _form.get_untracked()?;
        let data = web_sys::FormData::new_with_form(&element).ok()?;
        let mut map = serde_json::Map::new();
        for entry in js_sys::try_iter(&data).ok()??.flatten() {
            let pair: js_sys::Array = entry.dyn_into().ok()?;
            let (Some(key), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string())
            else {
                continue;
            };
            if let Some(name) = key.strip_prefix("form[").and_then(|k| k.strip_suffix(']')) {
                map.insert(name.to_owned(), serde_json::Value::String(value));
            }
        }
        serde_json::from_value(serde_json::Value::Object(map)).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}
