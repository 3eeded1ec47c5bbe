//! The TLS order forms' fieldsets, each reading the shared form context, and the field
//! building blocks (label, control, hint and message).

use super::*;

/// Common name and additional names (TLS forms).
#[component]
pub(super) fn DomainsFieldset(typed: TypedText) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let TypedText {
        common_name,
        dns_names,
        common_name_field,
        dns_names_field,
        ..
    } = typed;
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

/// Signature hash, server platform, the private CA when there is one, and the DCV method.
#[component]
pub(super) fn CertificateFieldset(private: bool) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let listed = move |list: fn(&OrderOptions) -> &Vec<Choice>| ctx.listed(list);
    // The product's hashes as DigiCert lists them (all three until it answers).
    let mut hashes = listed(|o| &o.hashes);
    if hashes.is_empty() {
        hashes = SignatureHash::ALL
            .into_iter()
            .map(|h| Choice {
                id: h.as_str().into(),
                label: h.as_str().to_uppercase(),
            })
            .collect();
    }
    let dcv_methods = DcvMethod::offered_on(options_today(ctx.options))
        .map(|m| Choice {
            id: m.as_str().into(),
            label: m.label().into(),
        })
        .collect();
    view! {
        <fieldset>
            <legend>"Certificate"</legend>
            <Field errors=ctx.errors name="signature_hash" label="Signature hash">
                <select id="f-signature_hash" name="form[signature_hash]">
                    <ChoiceOptions choices=hashes selected=ctx.value(|f| &f.signature_hash) />
                </select>
            </Field>
            <Field errors=ctx.errors name="server_platform" label="Server platform">
                <select id="f-server_platform" name="form[server_platform]">
                    <ChoiceOptions
                        choices=listed(|o| &o.server_platforms)
                        selected=ctx.value(|f| &f.server_platform)
                    />
                </select>
            </Field>
            {private
                .then(|| {
                    view! {
                        <Field errors=ctx.errors name="ca_cert_id" label="Issuing CA">
                            <select id="f-ca_cert_id" name="form[ca_cert_id]">
                                <option value="">"Choose the private CA"</option>
                                <ChoiceOptions
                                    choices=listed(|o| &o.private_cas)
                                    selected=ctx.value(|f| &f.ca_cert_id)
                                />
                            </select>
                        </Field>
                    }
                })}
            <Field errors=ctx.errors name="dcv_method" label="Domain validation method">
                <select id="f-dcv_method" name="form[dcv_method]">
                    <ChoiceOptions choices=dcv_methods selected=ctx.value(|f| &f.dcv_method) />
                </select>
            </Field>
        </fieldset>
    }
}

/// How long the order runs and how long its first certificate lasts.
#[component]
pub(super) fn ValidityFieldset() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let max_days = ctx
        .options
        .with_value(|o| o.as_ref().map(|o| o.max_cert_days));
    view! {
        <fieldset>
            <legend>"Validity"</legend>
            <OrderValidity
                initial=ctx.initial.get_value()
                errors=ctx.errors
                years=Some(ctx.listed(|o| &o.order_years))
                    .filter(|y| !y.is_empty())
                    .unwrap_or_else(|| vec![1, 2, 3])
            />
            <CertificateValidity max_days />
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

/// The first certificate's validity, in days or as an end date; `max_days` is today's limit.
#[component]
fn CertificateValidity(max_days: Option<u32>) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let hint = max_days
        .map(|d| {
            format!(
                "Public certificates issued today last at most {d} days. Leave empty for the longest allowed.",
            )
        })
        .unwrap_or_default();
    view! {
        <Field errors=ctx.errors name="cert_days" label="Certificate validity (days)" hint>
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
    }
}

/// Organization, the EV approver and licenses for EV, and the container.
#[component]
pub(super) fn OrganizationFieldset(ev: bool, is_tls: bool, private: bool) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let chosen_org = RwSignal::new(ctx.initial.with_value(|i| i.organization.clone()));
    view! {
        <fieldset>
            <legend>"Organization"</legend>
            <OrganizationField ev is_tls private chosen_org />
            {ev.then(|| view! { <EvFields chosen_org /> })}
            <ContainerField />
        </fieldset>
    }
}

/// The account's organizations; those this order cannot use (not EV- or OV-validated) are
/// shown but cannot be chosen.
#[component]
fn OrganizationField(
    ev: bool,
    is_tls: bool,
    private: bool,
    chosen_org: RwSignal<String>,
) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let chosen = ctx.value(|f| &f.organization);
    view! {
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
                {ctx
                    .listed(|o| &o.organizations)
                    .into_iter()
                    .map(|org| {
                        let selected = chosen == org.id.to_string();
                        let label = format!("{} — {}", org.name, org.validation_words());
                        let unusable = (ev && !org.ev_active)
                            || (is_tls && !private && !org.ov_active);
                        view! {
                            <option value=org.id.to_string() selected=selected disabled=unusable>
                                {label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </Field>
    }
}

/// For EV: the organization's EV approver and the number of server licenses.
#[component]
fn EvFields(chosen_org: RwSignal<String>) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let licenses = ctx.initial.with_value(|i| {
        if i.server_licenses.is_empty() {
            "1".to_owned()
        } else {
            i.server_licenses.clone()
        }
    });
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
                    ctx.listed(|o| &o.organizations)
                        .into_iter()
                        .filter(|org| chosen.is_empty() || org.id.to_string() == chosen)
                        .map(|org| view! { <EvApprovers org /> })
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
                value=licenses
            />
        </Field>
    }
}

/// One organization's EV approvers, as a group of choices.
#[component]
fn EvApprovers(org: OrganizationChoice) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let chosen = ctx.value(|f| &f.ev_approver);
    view! {
        <optgroup label=org
            .name>
            {org
                .ev_approvers
                .into_iter()
                .map(|a| {
                    view! {
                        <option value=a.id.to_string() selected=chosen == a.id.to_string()>
                            {format!("{} — {} <{}>", a.name, a.job_title, a.email)}
                        </option>
                    }
                })
                .collect_view()}
        </optgroup>
    }
}

/// The container (division) the order goes into.
#[component]
fn ContainerField() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let chosen = ctx.value(|f| &f.container);
    let containers = ctx.listed(|o| &o.containers);
    view! {
        <Field errors=ctx.errors name="container" label="Container (division)">
            <select id="f-container" name="form[container]">
                <option value="">"The account's top container"</option>
                {containers
                    .into_iter()
                    .map(|c| {
                        let selected = chosen == c.id;
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
}

/// The custom order fields the company's DigiCert account asks for, when it asks for any.
#[component]
pub(super) fn OrderDetailsFieldset() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let initial = ctx.initial;
    let custom_fields = ctx.listed(|o| &o.custom_fields);
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
pub(super) fn NotesFieldset(is_tls: bool) -> impl IntoView {
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
pub(super) fn PriceEstimate(
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
pub(super) struct TextField {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) input_type: &'static str,
    pub(super) value: fn(&RequestForm) -> &String,
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
pub(super) use text_field;

#[component]
pub(super) fn TextInput(field: TextField) -> impl IntoView {
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

/// One of the account's custom order fields (`form[cf_<id>]`).
#[component]
pub(super) fn CustomFieldInput(
    field: CustomFieldChoice,
    value: String,
    errors: Shown,
) -> impl IntoView {
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
pub(super) fn Field(
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
pub(super) fn FieldMessage(errors: Shown, field: &'static str) -> impl IntoView {
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
pub(super) fn OrderValidity(initial: RequestForm, errors: Shown, years: Vec<u32>) -> impl IntoView {
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
                <ValidityRadio value="years" label=" Years " checked=checked("years") />
                <select id="f-order_years" name="form[order_years]" aria-label="Years">
                    {year_options(years, &initial.order_years)}
                </select>
                <ValidityRadio value="days" label=" Days " checked=checked("days") />
                <input
                    id="f-order_days"
                    name="form[order_days]"
                    type="number"
                    min="1"
                    max="1095"
                    aria-label="Days"
                    value=initial.order_days.clone()
                />
                <ValidityRadio value="date" label=" Ends on " checked=checked("date") />
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

/// One of the order validity's three ways: years, days or an end date.
#[component]
fn ValidityRadio(value: &'static str, label: &'static str, checked: bool) -> impl IntoView {
    view! {
        <label>
            <input type="radio" name="form[order_validity]" value=value checked=checked />
            {label}
        </label>
    }
}

/// The plan lengths the account offers, `selected` (as the form holds it) chosen.
fn year_options(years: Vec<u32>, selected: &str) -> impl IntoView {
    years
        .into_iter()
        .map(|y| {
            let value = y.to_string();
            let chosen = selected == value;
            view! {
                <option value=value selected=chosen>
                    {y}
                </option>
            }
        })
        .collect_view()
}
