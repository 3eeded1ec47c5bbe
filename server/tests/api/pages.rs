use crate::helpers::{client, spawn_app};
use std::time::Duration;

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
    let page = app.page(&client(), "/sign-in").await;
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
        let page = app.page(&client, "/").await;
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

/// Leptos works out the page routes by running the app with resource loading switched off for
/// the whole process. Routers built in the same process while a portal serves (a second instance
/// or a restart in a test) must not leave that portal's pages waiting for their data.
#[tokio::test]
async fn building_routers_does_not_stall_the_pages_being_rendered() {
    const ROUTERS: usize = 300;
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester", "approver"]).await;
    // Built on a thread of their own, so they are built while pages render.
    let state = app.state.clone();
    let runtime = tokio::runtime::Handle::current();
    let builder = std::thread::spawn(move || {
        let _inside = runtime.enter();
        for _ in 0..ROUTERS {
            drop(certdesk::startup::router(state.clone()));
        }
    });
    let mut pages = 0;
    while !builder.is_finished() || pages == 0 {
        for path in ["/", "/requests", "/approvals"] {
            let page = tokio::time::timeout(Duration::from_secs(10), app.page(&ada, path)).await;
            assert!(
                page.is_ok(),
                "{path} waited over 10 s while routers were built"
            );
            pages += 1;
        }
    }
    builder.join().unwrap();
    println!("{pages} pages rendered while {ROUTERS} routers were built");
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
    let page = app.page(&client, "/").await;
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

#[tokio::test]
async fn the_bundle_is_sent_compressed_when_the_browser_accepts_it_and_revalidated() {
    let site = std::env::temp_dir().join(format!("certdesk-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/app.wasm"), b"\0asm the module").unwrap();
    std::fs::write(site.join("pkg/app.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(site.join("pkg/app.wasm.gz"), b"gzip bytes").unwrap();
    std::fs::write(site.join("pkg/plain.js"), b"export {}").unwrap();
    let app = crate::helpers::spawn_app_with(&[("LEPTOS_SITE_ROOT", site.to_str().unwrap())]).await;
    let get = |path: &'static str, encodings: &'static str| {
        client()
            .get(app.url(path))
            .header("accept-encoding", encodings)
            .send()
    };

    let br = get("/pkg/app.wasm", "gzip, deflate, br, zstd")
        .await
        .unwrap();
    assert_eq!(br.status(), 200);
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(br.headers()["cache-control"], "no-cache");
    let modified = br.headers()["last-modified"].clone();
    assert_eq!(br.bytes().await.unwrap(), "brotli bytes");

    let gzip = get("/pkg/app.wasm", "gzip").await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(gzip.bytes().await.unwrap(), "gzip bytes");

    let raw = get("/pkg/app.wasm", "identity").await.unwrap();
    assert!(raw.headers().get("content-encoding").is_none());
    assert_eq!(raw.bytes().await.unwrap(), "\0asm the module");

    // Without a compressed copy the file goes as it is.
    let plain = get("/pkg/plain.js", "br").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), "export {}");

    // A browser holding the file asks whether it changed and gets no body back.
    let again = client()
        .get(app.url("/pkg/app.wasm"))
        .header("accept-encoding", "br")
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(get("/pkg/missing.wasm", "br").await.unwrap().status(), 404);
    std::fs::remove_dir_all(&site).unwrap();
}
