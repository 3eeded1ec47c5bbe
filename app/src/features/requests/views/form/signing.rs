//! The document signing form's fieldsets: product, delivery, subject, token shipping.

use super::*;

/// Product, delivery, subject and the token's shipping address (document signing).
#[component]
pub(super) fn SigningFields() -> impl IntoView {
    view! {
        <SigningCertificate />
        <fieldset>
            <legend>"Certificate subject"</legend>
            <TextInput field=text_field!(subject_name, "Full name") />
            <TextInput field=text_field!(subject_job_title, "Job title") />
            <TextInput field=text_field!(subject_phone, "Phone", "tel") />
            <TextInput field=text_field!(subject_email, "Email", "email") />
        </fieldset>
        <TokenShipping />
    }
}

/// The product, how the certificate is delivered, the common name and the validity.
#[component]
fn SigningCertificate() -> impl IntoView {
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
            <Delivery />
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
    }
}

/// How the certificate reaches its owner: a shipped token, DigiCert's app, or email.
#[component]
fn Delivery() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let chosen = ctx.value(|f| &f.provisioning_method);
    view! {
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
                                checked=chosen == m.as_str()
                            />
                            {label}
                        </label>
                    }
                })
                .collect_view()}
            <FieldMessage errors=ctx.errors field="provisioning_method" />
        </div>
    }
}

/// Where a hardware token goes, and how fast.
#[component]
fn TokenShipping() -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let expedited = ctx.value(|f| &f.ship_method) == "expedited";
    view! {
        <fieldset>
            <legend>"Token shipping address (for a shipped token)"</legend>
            <TextInput field=text_field!(ship_name, "Recipient") />
            <TextInput field=text_field!(ship_addr1, "Address line 1") />
            <TextInput field=text_field!(ship_addr2, "Address line 2") />
            <TextInput field=text_field!(ship_city, "City") />
            <TextInput field=text_field!(ship_state, "State or province") />
            <TextInput field=text_field!(ship_zip, "Postal code") />
            <Field errors=ctx.errors name="ship_country" label="Country (two letters)">
                <input
                    id="f-ship_country"
                    name="form[ship_country]"
                    type="text"
                    maxlength="2"
                    value=ctx.value(|f| &f.ship_country)
                />
            </Field>
            <div class="field" data-field="ship_method">
                <span class="label">"Shipping"</span>
                <label>
                    <input
                        type="radio"
                        name="form[ship_method]"
                        value="standard"
                        checked=!expedited
                    />
                    " Standard"
                </label>
                <label>
                    <input
                        type="radio"
                        name="form[ship_method]"
                        value="expedited"
                        checked=expedited
                    />
                    " Expedited"
                </label>
            </div>
        </fieldset>
    }
}
