//! One order form per product kind. It works as a plain HTML form (the server checks, and on a
//! mistake sends the page back with every value and message), and with JavaScript it checks as
//! the person types, previews the CSR and submits without reloading.

use super::super::account_check::check_against_account;
use super::super::api::{
    EstimatePrice, SubmitRequest, check_csr, copied_form, load_order_options, renewal_form,
};
use super::super::model::{CsrCheck, FormKind, RequestForm, name_difference, prepare};
use super::super::options::{Choice, CustomFieldChoice, OrderOptions, OrganizationChoice};
use crate::components::{Alert, AlertLine, ChoiceOptions, Guarded, Json, NotFound, resource};
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
use std::collections::BTreeMap;

mod browser;
mod csr_field;
mod fieldsets;
mod signing;

use browser::*;
use csr_field::*;
use fieldsets::*;
use signing::*;

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

    /// One of the account's lists (organizations, containers, …); empty when DigiCert did not
    /// answer.
    fn listed<T: Clone>(self, list: fn(&OrderOptions) -> &Vec<T>) -> Vec<T> {
        self.options
            .with_value(|o| o.as_ref().map(|o| list(o).clone()))
            .unwrap_or_default()
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
    let submit = ServerAction::<SubmitRequest>::new();
    open_request_once_submitted(submit);
    let options = resource(
        move || (kind.slug().to_owned(), product.get(), type_hint.get()),
        |(kind, product, type_hint)| load_order_options(kind, product, type_hint),
    );
    let copied = copied_or_renewed();

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
                let (copied, not_copied) = match copied.await {
                    Ok(form) => (form, None),
                    Err(error) => (None, Some(error)),
                };
                let initial = starting_form(
                    kind,
                    kept_after_refusal(submit),
                    copied,
                    product.get_untracked(),
                    type_hint.get_untracked(),
                );
                // A copy that cannot be made (not found, not yours) says so above a blank form.
                view! {
                    {not_copied
                        .map(|error| {
                            view! {
                                <Alert lead="The form starts empty: " message=error.to_string() />
                            }
                        })}
                    <OrderForm kind initial options submit />
                }
            })}
        </Suspense>
    }
}

/// Once the request is submitted, its page opens.
fn open_request_once_submitted(submit: ServerAction<SubmitRequest>) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = submit.value().get() {
            navigate(&format!("/requests/{id}"), Default::default());
        }
    });
}

/// The earlier request a form starts from: the order it renews (`?renew=`), else the request it
/// copies (`?copy=`), else none.
fn copied_or_renewed() -> Resource<Result<Option<RequestForm>, AppError>, Json> {
    let query = use_query_map();
    let id_param = move |name: &str| query.read().get(name).and_then(|id| id.parse::<i64>().ok());
    resource(
        move || (id_param("copy"), id_param("renew")),
        |(copy, renew)| async move {
            match (renew, copy) {
                (Some(id), _) => renewal_form(id).await.map(Some),
                (None, Some(id)) => copied_form(id).await.map(Some),
                (None, None) => Ok(None),
            }
        },
    )
}

/// What a refused submission typed, to start the form from again (none when nothing was kept).
fn kept_after_refusal(submit: ServerAction<SubmitRequest>) -> Option<BTreeMap<String, String>> {
    submit
        .value()
        .get_untracked()
        .and_then(|r| r.err())
        .and_then(|e| e.form().map(|f| f.kept.clone()))
        .filter(|k| !k.is_empty())
}

/// The form a page starts from: what a failed plain-form post typed, else a copy (or renewal)
/// of an earlier request, else a blank form; then the product (and type) the address chose,
/// or the form's first product when none or an unknown one was chosen.
fn starting_form(
    kind: FormKind,
    kept: Option<BTreeMap<String, String>>,
    copied: Option<RequestForm>,
    product: String,
    type_hint: String,
) -> RequestForm {
    let mut initial = match (kept, copied) {
        (Some(kept), _) => RequestForm::from_fields(&kept),
        (None, Some(form)) => form,
        (None, None) => RequestForm::blank(kind),
    };
    initial.kind = kind.slug().into();
    if !product.is_empty() {
        initial.product = product;
    }
    if kind == FormKind::SslByType {
        initial.type_hint = type_hint;
    }
    if initial.product_id().is_none() {
        initial.product = kind.products()[0].name_id().into();
    }
    initial
}

/// The product (Multi-year, document signing) or type (SSL by type) decides which fields show,
/// so it is chosen first, with a plain GET form that also works without JavaScript.
#[component]
fn ProductChooser(
    kind: FormKind,
    product: Signal<String>,
    type_hint: Signal<String>,
) -> impl IntoView {
    match kind {
        FormKind::SslByType => {
            let choices = FormKind::TYPE_HINTS
                .into_iter()
                .map(|hint| (hint.as_str(), type_hint_label(hint)))
                .collect();
            view! {
                <Chooser
                    kind
                    name="type_hint"
                    id="type-choice"
                    label="Certificate type"
                    choices
                    current=type_hint
                />
            }
            .into_any()
        }
        FormKind::MultiYear => {
            let choices = kind
                .products()
                .into_iter()
                .map(|p| (p.name_id(), p.display_name()))
                .collect();
            view! {
                <Chooser
                    kind
                    name="product"
                    id="product-choice"
                    label="Product"
                    choices
                    current=product
                />
            }
            .into_any()
        }
        _ => ().into_any(),
    }
}

fn type_hint_label(hint: TypeHint) -> &'static str {
    match hint {
        TypeHint::Ov => "Organization validated (ov)",
        TypeHint::Ev => "Extended validation (ev)",
        TypeHint::Grid => "Grid computing (grid)",
        TypeHint::Private => "Private CA (private)",
    }
}

/// One `select` in a GET form: with JavaScript a change opens the form for the choice at once,
/// without it the button under `noscript` does.
#[component]
fn Chooser(
    kind: FormKind,
    /// The query parameter the choice goes in.
    name: &'static str,
    id: &'static str,
    label: &'static str,
    /// Value and label of each option.
    choices: Vec<(&'static str, &'static str)>,
    current: Signal<String>,
) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |value: String| {
        navigate(
            &format!("/requests/new/{}?{name}={value}", kind.slug()),
            Default::default(),
        );
    };
    view! {
        <form method="get" class="chooser">
            <label for=id>{label}</label>
            <select id=id name=name on:change=move |ev| go(event_target_value(&ev))>
                {choices
                    .into_iter()
                    .map(|(value, label)| {
                        view! {
                            <option value=value selected=move || current.get() == value>
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
}

/// The day DigiCert's rules are applied for: the server's, as the options carry it.
fn options_today(options: StoredValue<Option<OrderOptions>>) -> time::Date {
    options
        .with_value(|o| o.as_ref().and_then(|o| IsoDate::parse(&o.today).ok()))
        .map(|d| d.0)
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date())
}

/// What the browser finds as the person leaves each field, and DigiCert's estimate asked for
/// whenever what it depends on changes. Before the first submission only fields already visited
/// are judged; after it, all of them.
#[derive(Clone, Copy)]
struct LiveCheck {
    form: NodeRef<leptos::html::Form>,
    options: StoredValue<Option<OrderOptions>>,
    local_errors: RwSignal<Option<FormErrors>>,
    touched: RwSignal<std::collections::BTreeSet<String>>,
    submitted: RwSignal<bool>,
    price: ServerAction<EstimatePrice>,
    price_key: RwSignal<Option<String>>,
}

impl LiveCheck {
    fn new(form: NodeRef<leptos::html::Form>, options: StoredValue<Option<OrderOptions>>) -> Self {
        LiveCheck {
            form,
            options,
            local_errors: RwSignal::new(None),
            touched: RwSignal::new(Default::default()),
            submitted: RwSignal::new(false),
            price: ServerAction::new(),
            price_key: RwSignal::new(None),
        }
    }

    /// A field was left. Leaving it for a button (submit, "Fill from CSR") only marks it visited:
    /// a message shown then could move the button away from the click.
    fn left(self, ev: &leptos::ev::FocusEvent) {
        if !moving_to_button(ev) {
            self.recheck(field_name(ev));
        } else if let Some(name) = field_name(ev) {
            self.touched.update(|t| {
                t.insert(name);
            });
        }
    }

    /// A value changed. A choice (select, radio, checkbox) counts at once: the price follows it.
    fn changed(self, ev: &leptos::ev::Event) {
        if is_choice(ev) {
            self.recheck(field_name(ev));
        }
    }

    /// Judges the form again after `field` (when named) was left or changed.
    fn recheck(self, field: Option<String>) {
        if let Some(name) = field {
            self.touched.update(|t| {
                t.insert(name);
            });
        }
        let Some(form) = read_form(self.form) else {
            return;
        };
        let prepared = prepare(&form, options_today(self.options));
        let key = prepared.as_ref().ok().map(|p| price_key_of(&p.order));
        if key != self.price_key.get_untracked() {
            if key.is_some() {
                self.price.dispatch(EstimatePrice { form: form.clone() });
            }
            self.price_key.set(key);
        }
        let mut found = prepared.err().unwrap_or_default();
        self.options.with_value(|o| {
            if let Some(o) = o {
                check_against_account(&form, o, &mut found);
            }
        });
        if self.submitted.get_untracked() {
            if !found.is_empty() {
                found.message = "Some fields need your attention.".into();
            }
        } else {
            let visited = self.touched.get_untracked();
            found.fields.retain(|name, _| visited.contains(name));
            found.message.clear();
        }
        self.local_errors.set(Some(found));
    }
}

/// The text the CSR preview compares with (common name, other names, the CSR itself), each with
/// its field, so that what was typed before the page hydrated is kept.
#[derive(Clone, Copy)]
struct TypedText {
    common_name: RwSignal<String>,
    dns_names: RwSignal<String>,
    csr: RwSignal<String>,
    common_name_field: NodeRef<leptos::html::Input>,
    dns_names_field: NodeRef<leptos::html::Textarea>,
    csr_field: NodeRef<leptos::html::Textarea>,
}

impl TypedText {
    fn new(initial: StoredValue<RequestForm>) -> Self {
        let value = move |f: fn(&RequestForm) -> &String| initial.with_value(|i| f(i).clone());
        let typed = TypedText {
            common_name: RwSignal::new(value(|f| &f.common_name)),
            dns_names: RwSignal::new(value(|f| &f.dns_names)),
            csr: RwSignal::new(value(|f| &f.csr)),
            common_name_field: NodeRef::new(),
            dns_names_field: NodeRef::new(),
            csr_field: NodeRef::new(),
        };
        keep_typed_text(typed.common_name_field, typed.common_name);
        keep_typed_text(typed.dns_names_field, typed.dns_names);
        keep_typed_text(typed.csr_field, typed.csr);
        typed
    }
}

/// The errors the form shows: none while a submission is under way, then the browser's own
/// check, else what the server answered.
fn shown_errors(
    submit: ServerAction<SubmitRequest>,
    local_errors: RwSignal<Option<FormErrors>>,
) -> Shown {
    let server_errors = Signal::derive(move || {
        submit.value().get().and_then(|r| r.err()).map(|e| match e {
            AppError::Invalid(form) => form,
            other => FormErrors::new(other.to_string()),
        })
    });
    Signal::derive(move || {
        if submit.pending().get() {
            return None;
        }
        local_errors.get().or_else(|| server_errors.get())
    })
}

/// The checks run while the person fills the form in; once the server has answered a submit,
/// its answer is what the form shows.
fn live_checks(
    form_ref: NodeRef<leptos::html::Form>,
    options: StoredValue<Option<OrderOptions>>,
    submit: ServerAction<SubmitRequest>,
) -> LiveCheck {
    let live = LiveCheck::new(form_ref, options);
    let LiveCheck {
        local_errors,
        submitted,
        ..
    } = live;
    Effect::new(move |_| {
        if submit.value().get().is_some() {
            submitted.set(true);
            local_errors.set(None);
        }
    });
    live
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
    let typed = TypedText::new(initial);
    let key_refused = RwSignal::new(false);

    let form_ref = NodeRef::<leptos::html::Form>::new();
    let live = live_checks(form_ref, options, submit);
    let LiveCheck {
        price, price_key, ..
    } = live;
    let shown = shown_errors(submit, live.local_errors);

    let is_tls = kind.is_tls();
    let (ev, private) = initial.with_value(|i| (i.needs_ev_approver(), i.is_private()));
    provide_context(FormContext {
        initial,
        options,
        errors: shown,
    });

    view! {
        <AlertLine message=options_error.map(|error| error.to_string()) />
        <AlertLine
            message=Signal::derive(move || {
                shown.get().map(|e| e.message).filter(|message| !message.is_empty())
            })
            id="form-message"
        />
        <ActionForm
            action=submit
            node_ref=form_ref
            attr:class="order-form"
            attr:novalidate=true
            on:focusout=move |ev| live.left(&ev)
            on:change=move |ev| live.changed(&ev)
        >
            <ProductInputs kind />
            {is_tls.then(|| view! { <DomainsFieldset typed /> })}
            {(!is_tls).then(|| view! { <SigningFields /> })}
            <CsrFieldset is_tls typed key_refused />
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

/// The form's kind and the product it orders (and, ordering by type, the type asked for).
#[component]
fn ProductInputs(kind: FormKind) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    view! {
        <input type="hidden" name="form[kind]" value=kind.slug() />
        {(kind != FormKind::DocumentSigning)
            .then(|| {
                view! {
                    <input type="hidden" name="form[product]" value=ctx.value(|f| &f.product) />
                }
            })}
        {(kind == FormKind::SslByType)
            .then(|| {
                view! {
                    <input type="hidden" name="form[type_hint]" value=ctx.value(|f| &f.type_hint) />
                    <FieldMessage errors=ctx.errors field="type_hint" />
                }
            })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn what_was_typed_wins_over_a_copy_and_the_address_chooses_the_product() {
        let copy = RequestForm {
            common_name: "copied.example.com".into(),
            ..RequestForm::blank(FormKind::MultiYear)
        };
        let typed = kept(&[("common_name", "typed.example.com")]);
        let form = starting_form(
            FormKind::MultiYear,
            typed,
            Some(copy.clone()),
            String::new(),
            String::new(),
        );
        assert_eq!(form.common_name, "typed.example.com");
        assert_eq!(form.kind, FormKind::MultiYear.slug());

        let chosen = FormKind::MultiYear.products()[1].name_id();
        let form = starting_form(
            FormKind::MultiYear,
            None,
            Some(copy),
            chosen.into(),
            String::new(),
        );
        assert_eq!(form.common_name, "copied.example.com");
        assert_eq!(form.product, chosen);
    }

    #[test]
    fn another_forms_product_falls_back_to_the_forms_first_and_a_type_is_kept_for_ssl_by_type() {
        // Basic OV is a product, but not one of this form's.
        let form = starting_form(
            FormKind::SecureSiteProEv,
            None,
            None,
            "ssl_basic".into(),
            "ev".into(),
        );
        assert_eq!(
            form.product,
            FormKind::SecureSiteProEv.products()[0].name_id()
        );
        assert_eq!(
            form.type_hint,
            RequestForm::blank(FormKind::SecureSiteProEv).type_hint
        );
        let by_type = starting_form(FormKind::SslByType, None, None, String::new(), "ev".into());
        assert_eq!(by_type.type_hint, "ev");
    }
}
