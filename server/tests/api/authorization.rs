//! Every server function × every kind of caller → the status it must answer with.
//! A server function without a row here fails `every_server_function_is_in_the_matrix`.

use crate::helpers::{TestApp, client, spawn_app};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Requester,
    Approver,
    /// An admin who holds no other role.
    Admin,
}

const CALLERS: [Caller; 4] = [
    Caller::Anonymous,
    Caller::Requester,
    Caller::Approver,
    Caller::Admin,
];

/// A server function, the form body sent to it, and the status expected for
/// [anonymous, requester, approver, admin].
struct Row(
    &'static str,
    &'static [(&'static str, &'static str)],
    [u16; 4],
);

const MATRIX: &[Row] = &[
    // An empty sign-in lacks its arguments: a request error, whoever sends it.
    Row("/api/auth/sign_in", &[], [400, 400, 400, 400]),
    Row("/api/auth/sign_out", &[], [401, 200, 200, 200]),
    Row("/api/auth/me", &[], [200, 200, 200, 200]),
    Row("/api/auth/sign_in_options", &[], [200, 200, 200, 200]),
    Row("/api/dashboard/summary", &[], [401, 200, 200, 200]),
    Row("/api/users/list", &[], [401, 403, 403, 200]),
    Row(
        "/api/users/create",
        &[("email", ""), ("display_name", "")],
        [401, 403, 403, 422],
    ),
    Row(
        "/api/users/set_active",
        &[
            ("id", "00000000-0000-0000-0000-000000000000"),
            ("active", "false"),
        ],
        [401, 403, 403, 404],
    ),
    Row(
        "/api/users/set_roles",
        &[
            ("id", "00000000-0000-0000-0000-000000000000"),
            ("approver", "on"),
        ],
        [401, 403, 403, 404],
    ),
    Row(
        "/api/users/reset_password",
        &[("id", "00000000-0000-0000-0000-000000000000")],
        [401, 403, 403, 404],
    ),
    // Everyone signed in may change their own password; a wrong current one is a field error.
    Row(
        "/api/account/change_password",
        &[
            ("current_password", "wrong"),
            ("new_password", "a long new password"),
        ],
        [401, 422, 422, 422],
    ),
    // An empty form: the requester is told what is missing; others may not order at all.
    Row(
        "/api/requests/submit",
        &[("form[kind]", "basic-ov")],
        [401, 422, 403, 403],
    ),
    Row("/api/requests/mine", &[], [401, 200, 200, 200]),
    // Requesters see their own certificates, admins everyone's; approvers have no such view.
    Row("/api/certificates/current", &[], [401, 200, 403, 200]),
    Row(
        "/api/requests/renewal_form",
        &[("id", "999999")],
        [401, 404, 403, 403],
    ),
    // Copying an earlier request: requesters only, and only what they may see (404 otherwise).
    Row(
        "/api/requests/copy_form",
        &[("id", "999999")],
        [401, 404, 403, 403],
    ),
    // Requesters price their order; an empty form has no price yet.
    Row(
        "/api/requests/price",
        &[("form[kind]", "basic-ov")],
        [401, 200, 403, 403],
    ),
    Row(
        "/api/requests/detail",
        &[("id", "999999")],
        [401, 404, 404, 404],
    ),
    Row(
        "/api/requests/cancel",
        &[("id", "999999")],
        [401, 404, 404, 404],
    ),
    Row(
        "/api/requests/check_csr",
        &[("form[csr]", "not a csr")],
        [401, 200, 403, 403],
    ),
    Row("/api/approvals/queue", &[], [401, 403, 200, 403]),
    Row("/api/history/search", &[], [401, 403, 403, 200]),
    Row("/api/audit/search", &[], [401, 403, 403, 200]),
    Row(
        "/api/approvals/decide",
        &[("id", "999999"), ("decision", "approve")],
        [401, 403, 404, 403],
    ),
    Row(
        "/api/approvals/approve_many",
        &[("ids[0]", "999999")],
        [401, 403, 200, 403],
    ),
    Row(
        "/api/forwarding/retry",
        &[("id", "999999")],
        [401, 403, 403, 404],
    ),
    // DCV: the request's requester, approvers and admins; an unknown request is 404 for all.
    Row("/api/dcv/panel", &[("id", "999999")], [401, 404, 404, 404]),
    Row("/api/dcv/check", &[("id", "999999")], [401, 404, 404, 404]),
    Row(
        "/api/dcv/method",
        &[("id", "999999"), ("dcv_method", "http-token")],
        [401, 404, 404, 404],
    ),
    // Outside demo mode the publish button does not exist.
    Row(
        "/api/dcv/publish_demo",
        &[("id", "999999")],
        [401, 404, 404, 404],
    ),
    Row("/api/dcv/domains", &[], [401, 403, 403, 200]),
    // Certificate changes: an unknown order is 404 for everyone who may see orders at all.
    Row(
        "/api/changes/panel",
        &[("id", "999999")],
        [401, 404, 404, 404],
    ),
    Row(
        "/api/changes/context",
        &[("id", "999999"), ("kind", "reissue")],
        [401, 404, 404, 404],
    ),
    Row(
        "/api/changes/new_certificate",
        &[("id", "999999"), ("kind", "reissue"), ("csr", "x")],
        [401, 404, 404, 404],
    ),
    Row(
        "/api/changes/revoke",
        &[
            ("id", "999999"),
            ("certificate", "order"),
            ("reason", "unspecified"),
        ],
        [401, 404, 404, 404],
    ),
    Row(
        "/api/changes/decide",
        &[("change", "999999"), ("decision", "approve")],
        [401, 403, 404, 403],
    ),
    Row(
        "/api/changes/cancel",
        &[("change", "999999")],
        [401, 404, 404, 404],
    ),
    Row("/api/changes/queue", &[], [401, 403, 200, 403]),
    Row("/api/mail/outbox", &[], [401, 403, 403, 200]),
    Row("/api/mail/preferences", &[], [401, 200, 200, 200]),
    Row(
        "/api/mail/set_preference",
        &[("kind", "issued"), ("enabled", "off")],
        [401, 200, 200, 200],
    ),
    Row("/api/changes/policies", &[], [401, 403, 403, 200]),
    Row(
        "/api/changes/set_policy",
        &[
            ("name", "revoke_key_compromise_at_once"),
            ("enabled", "off"),
        ],
        [401, 403, 403, 200],
    ),
    Row(
        "/api/requests/options",
        &[("kind", "basic-ov"), ("product", ""), ("type_hint", "")],
        [401, 200, 403, 403],
    ),
];

async fn client_for(app: &TestApp, caller: Caller) -> reqwest::Client {
    match caller {
        Caller::Anonymous => client(),
        Caller::Requester => app.signed_in(&["requester"]).await,
        Caller::Approver => app.signed_in(&["approver"]).await,
        Caller::Admin => app.signed_in(&["admin"]).await,
    }
}

#[test]
fn every_server_function_is_in_the_matrix() {
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let covered: BTreeSet<String> = MATRIX
        .iter()
        .map(|Row(path, _, _)| path.to_string())
        .collect();
    let missing: Vec<_> = registered.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "server functions without a row in the matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for server functions that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_caller_gets_the_expected_status() {
    let app = spawn_app().await;
    let mut failures = Vec::new();
    for Row(endpoint, body, expected) in MATRIX {
        for (caller, want) in CALLERS.iter().zip(expected) {
            let client = client_for(&app, *caller).await;
            let res = app.call(&client, endpoint, body).await;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            if status != *want {
                failures.push(format!(
                    "{endpoint} as {caller:?}: got {status}, want {want} ({text})"
                ));
            }
            if status >= 400 {
                // Errors are readable JSON, never an internal error page.
                assert!(
                    serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                    "{endpoint} as {caller:?} answered a non-JSON error: {text}"
                );
                assert_ne!(status, 500, "{endpoint} as {caller:?} answered 500");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The plain GET routes (not server functions) × every kind of caller, on an app without single
/// sign-on (its routes then do not exist; `oidc.rs` tests them with a provider).
const ROUTES: &[(&str, [u16; 4])] = &[
    // A visitor is sent to sign in (303); a record nobody may see does not exist (404).
    ("/requests/999999/certificate.pem", [303, 404, 404, 404]),
    ("/requests/999999/chain.pem", [303, 404, 404, 404]),
    (
        "/requests/999999/certificates/1/certificate.pem",
        [303, 404, 404, 404],
    ),
    ("/certificates.csv", [303, 200, 403, 200]),
    ("/history.csv", [303, 403, 403, 200]),
    ("/auth/oidc/start", [404, 404, 404, 404]),
    ("/auth/oidc/callback?code=x&state=y", [404, 404, 404, 404]),
    ("/healthz", [200, 200, 200, 200]),
    // The browser bundle: the sign-in page needs it before anyone has signed in.
    ("/pkg/certdesk.css", [200, 200, 200, 200]),
    ("/pkg/no-such-file.wasm", [404, 404, 404, 404]),
    // Only with the operators' token (and then not through a session).
    ("/metrics", [404, 404, 404, 404]),
];

#[tokio::test]
async fn every_caller_gets_the_expected_status_from_the_plain_routes() {
    let app = spawn_app().await;
    let mut failures = Vec::new();
    for (index, caller) in CALLERS.into_iter().enumerate() {
        let client = client_for(&app, caller).await;
        for (path, expected) in ROUTES {
            let want = expected[index];
            let status = client
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if status != want {
                failures.push(format!("{path} as {caller:?}: got {status}, want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
