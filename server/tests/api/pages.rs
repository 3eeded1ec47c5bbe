use crate::helpers::{client, spawn_app};

#[tokio::test]
async fn visitors_are_sent_to_sign_in_with_the_page_they_wanted() {
    let app = spawn_app().await;
    let res = client().get(app.url("/approvals")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/sign-in?next=/approvals");
    let home = client().get(app.url("/")).send().await.unwrap();
    assert_eq!(home.headers()["location"], "/sign-in");
}

#[tokio::test]
async fn sign_in_page_has_labelled_fields_and_a_button() {
    let app = spawn_app().await;
    let page = client()
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<label for="email">Email</label>"#));
    assert!(page.contains(r#"<label for="password">Password</label>"#));
    assert!(page.contains("Sign in"));
    assert!(
        page.contains(r#"action="/api/auth/sign_in""#),
        "the form posts without JavaScript"
    );
}

#[tokio::test]
async fn navigation_shows_each_role_only_its_pages() {
    let app = spawn_app().await;
    let cases: [(&[&str], &[&str], &[&str]); 3] = [
        (
            &["requester"],
            &["New request", "My requests"],
            &["Approvals", "History", "Users"],
        ),
        (
            &["approver"],
            &["Approvals"],
            &["New request", "History", "Users"],
        ),
        (
            &["admin", "approver"],
            &["Approvals", "History", "Users"],
            &["New request", "My requests"],
        ),
    ];
    for (roles, shown, hidden) in cases {
        let client = app.signed_in(roles).await;
        let page = client
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let nav = page
            .split("<nav")
            .nth(1)
            .unwrap_or_else(|| panic!("{roles:?}: no navigation in {page}"))
            .split("</nav>")
            .next()
            .unwrap();
        for label in shown {
            assert!(nav.contains(label), "{roles:?} should see {label}");
        }
        for label in hidden {
            assert!(!nav.contains(label), "{roles:?} should not see {label}");
        }
        assert!(page.contains("Sign out"));
    }
}

#[tokio::test]
async fn pages_of_other_roles_answer_403() {
    let app = spawn_app().await;
    let requester = app.signed_in(&["requester"]).await;
    for path in ["/users", "/history", "/approvals"] {
        let res = requester.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert!(res.text().await.unwrap().contains("Not allowed"));
    }
    let admin = app.signed_in(&["admin"]).await;
    let res = admin.get(app.url("/users")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("@example.com"));
}

/// Rendering on the server walks a page's `Suspense` more than once; the page is built once all
/// the same, so each resource's data goes to the browser once: the signed-in user, then the
/// page's own lists (the approvals page has two).
#[tokio::test]
async fn a_page_sends_each_resources_data_once() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["approver", "admin"]).await;
    for (path, resources) in [("/approvals", 3), ("/history", 2), ("/users", 2)] {
        let page = app.page(&admin, path).await;
        assert_eq!(
            page.matches("__RESOLVED_RESOURCES[").count(),
            resources,
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_pages_answer_404() {
    let app = spawn_app().await;
    let client = app.signed_in(&["requester"]).await;
    let res = client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn dashboard_lists_recent_activity() {
    let app = spawn_app().await;
    let client = app.signed_in(&["requester"]).await;
    let page = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Welcome"));
    assert!(page.contains("sign in"), "the sign-in just made is listed");
}

#[tokio::test]
async fn favicon_is_served() {
    let app = spawn_app().await;
    let res = client().get(app.url("/favicon.ico")).send().await.unwrap();
    // Served from the site root that cargo-leptos fills; the tests run after that build.
    assert_eq!(res.status(), 200);
}
