//! The Content-Security-Policy of every page: scripts run only with this response's nonce (the
//! hydration script and Leptos' streaming chunks carry it) and may load the wasm bundle; nothing
//! may frame the portal.

/// The policy for a page whose inline scripts carry `nonce`. With single sign-on, a form may
/// also lead to the provider's origin: signing out (a form) redirects to its end-session page.
pub fn page_policy(nonce: &str, provider_origin: Option<&str>) -> String {
    let provider = provider_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'{provider}; frame-ancestors 'none'"
    )
}

/// Puts the page policy on the response being rendered. Called from the document shell, when
/// Leptos has made this response's nonce.
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    let Some(nonce) = leptos::nonce::use_nonce() else {
        tracing::error!("no nonce for this page; it keeps the closed default policy");
        return;
    };
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let state = use_context::<crate::server::AppState>();
    let provider = state
        .as_ref()
        .and_then(|s| s.config.oidc.as_ref())
        .map(|o| o.issuer_origin.as_str());
    if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce, provider)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_only_nonced_scripts_and_no_framing() {
        let policy = page_policy("abc123", None);
        assert!(policy.contains("script-src 'nonce-abc123'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("form-action 'self';"));
        let with_provider = page_policy("abc123", Some("https://login.example.com"));
        assert!(with_provider.contains("form-action 'self' https://login.example.com;"));
    }
}
