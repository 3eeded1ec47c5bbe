//! Reading the form and its events in the browser (nothing here runs on the server).

use super::*;

/// `common_name` for the element named `form[common_name]` that an event came from.
/// Whether the event comes from a choice (select, radio, checkbox), not from typing: a text
/// field's change fires as the person clicks elsewhere, and is judged on focus-out instead.
pub(super) fn is_choice(_ev: &leptos::ev::Event) -> bool {
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

pub(super) fn field_name(_ev: &leptos::ev::Event) -> Option<String> {
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
pub(super) fn looks_like_rest_of_key(text: &str) -> bool {
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
pub(super) fn moving_to_button(_ev: &leptos::ev::FocusEvent) -> bool {
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
pub(super) fn read_form(_form: NodeRef<leptos::html::Form>) -> Option<RequestForm> {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        let element = _form.get_untracked()?;
        let data = web_sys::FormData::new_with_form(&element).ok()?;
        let mut fields = std::collections::BTreeMap::new();
        for entry in js_sys::try_iter(&data).ok()??.flatten() {
            let pair: js_sys::Array = entry.dyn_into().ok()?;
            let (Some(key), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string())
            else {
                continue;
            };
            if let Some(name) = key.strip_prefix("form[").and_then(|k| k.strip_suffix(']')) {
                fields.insert(name.to_owned(), value);
            }
        }
        Some(RequestForm::from_fields(&fields))
    }
    #[cfg(not(feature = "hydrate"))]
    None
}
