//! The CSR fieldset: paste or upload, a private key refused in the browser, the preview, and
//! text fields that keep what was typed before the page hydrated.

use super::*;
use crate::components::{Json, resource};
use crate::features::requests::model::NameDifference;

/// The CSR: pasted or uploaded, a private key refused on the spot, and its preview.
#[component]
pub(super) fn CsrFieldset(
    is_tls: bool,
    typed: TypedText,
    key_refused: RwSignal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<FormContext>();
    let TypedText {
        csr: csr_text,
        csr_field,
        common_name,
        dns_names,
        ..
    } = typed;
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

/// Keeps a text field and `text` in step without losing what a person typed before the page
/// hydrated (a lazily loaded page can take a moment): the first run takes the field's text,
/// later runs put `text` into the field when code changed it (filled from the CSR, an uploaded
/// file, a refused private key). Typing reaches `text` through the field's `on:input`.
pub(super) fn keep_typed_text<E>(field: NodeRef<E>, text: RwSignal<String>)
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
pub(super) trait TextControl {
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

/// The CSR's details as soon as it is pasted: parsed in the browser at once, then the server
/// confirms the signature (ring is not built into the browser bundle).
#[component]
pub(super) fn CsrPreview(
    csr_text: RwSignal<String>,
    common_name: RwSignal<String>,
    dns_names: RwSignal<String>,
    is_tls: bool,
) -> impl IntoView {
    let local = Memo::new(move |_| {
        let text = csr_text.get();
        (!text.trim().is_empty()).then(|| csr::inspect(text.as_bytes()))
    });
    let verified = resource(move || csr_text.get(), verify_on_server);
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
                            <Notes class="problems" notes=report.errors.clone() />
                            <Notes class="warnings" notes=report.warnings.clone() />
                            {report.ok.then(|| view! { <CsrDetails report=report.clone() /> })}
                            {difference.map(|difference| view! { <NamesDiffer difference /> })}
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
                            <ServerSignature verified />
                        </div>
                    }
                })
        }}
    }
}

/// The server's own reading of a pasted CSR (it also checks the signature); none for an empty
/// box or a private key, which never leaves the browser.
async fn verify_on_server(text: String) -> Option<CsrReport> {
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
}

/// A list of the CSR's problems or warnings, when there are any.
#[component]
fn Notes(class: &'static str, notes: Vec<String>) -> impl IntoView {
    (!notes.is_empty()).then(|| {
        view! {
            <ul class=class>
                {notes.into_iter().map(|note| view! { <li>{note}</li> }).collect_view()}
            </ul>
        }
    })
}

/// What a usable CSR asks for: subject, names, key and signature.
#[component]
fn CsrDetails(report: CsrReport) -> impl IntoView {
    view! {
        <dl>
            <dt>"Subject"</dt>
            <dd>{report.subject_line()}</dd>
            <dt>"Names (SANs)"</dt>
            <dd>
                {if report.sans.is_empty() { "none".to_owned() } else { report.sans.join(", ") }}
            </dd>
            <dt>"Key"</dt>
            <dd>{report.key.as_ref().map(|k| k.describe()).unwrap_or_default()}</dd>
            <dt>"Signature"</dt>
            <dd>{report.signature_algorithm.clone().unwrap_or_default()}</dd>
        </dl>
    }
}

/// The CSR and the form name different domains: what only the CSR names (a warning) and what
/// only the form names (for information).
#[component]
fn NamesDiffer(difference: NameDifference) -> impl IntoView {
    view! {
        <div class="difference" id="csr-difference">
            <strong>"The CSR and the form name different domains."</strong>
            {difference
                .warning()
                .map(|w| {
                    view! {
                        <p class="warning" id="csr-only-in-csr" role="alert">
                            {w}
                        </p>
                    }
                })}
            {difference
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
}

/// The server's verdict on the signature, once it has answered.
#[component]
fn ServerSignature(verified: Resource<Option<CsrReport>, Json>) -> impl IntoView {
    view! {
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
    }
}

/// "Upload a file": reads it in the browser (PEM text, or DER turned into PEM) into the box.
#[component]
pub(super) fn CsrUpload(csr_text: RwSignal<String>, key_refused: RwSignal<bool>) -> impl IntoView {
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
