//! The DigiCert client against the simulator over real HTTP on loopback.

use crate::helpers::{SIM_KEY, TestSim, spawn_simulator};
use app::features::digicert::payload::*;
use app::features::digicert::products::{ProductId, TypeHint};
use app::server::digicert::{
    ClientSettings, DigicertClient, DigicertError, Placement, RateLimiter, RetryPolicy, Window,
};
use certdesk::simulator::{FaultPlan, Issuance, SimSettings};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

fn csr(common_name: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![common_name.to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.serialize_request(&key).unwrap().pem().unwrap()
}

fn client_for(sim: &TestSim, read_timeout: Duration, limiter: RateLimiter) -> DigicertClient {
    DigicertClient::new(ClientSettings {
        base_url: sim.base_url.clone(),
        api_key: SecretString::from(sim.key.clone()),
        connect_timeout: Duration::from_secs(2),
        read_timeout,
        retry: RetryPolicy {
            max_attempts: 12,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        },
        limiter,
    })
    .unwrap()
}

fn unlimited() -> RateLimiter {
    RateLimiter::new(vec![Window {
        max_requests: 1_000_000,
        period: Duration::from_secs(1),
    }])
}

async fn sim_and_client() -> (TestSim, DigicertClient) {
    let sim = spawn_simulator(SimSettings::new(SIM_KEY)).await;
    let client = client_for(&sim, Duration::from_secs(5), unlimited());
    (sim, client)
}

fn basic_order(alt: &str, common_name: &str) -> OrderRequest {
    OrderRequest::Tls {
        product: ProductId::SslBasic,
        body: TlsOrder {
            certificate: TlsCertificate {
                common_name: common_name.into(),
                dns_names: vec![format!("www.{common_name}")],
                csr: Some(csr(common_name)),
                signature_hash: SignatureHash::Sha256,
                organization_units: vec![],
                server_platform: Some(IdRef { id: 45 }),
                profile_option: None,
                ca_cert_id: None,
                cert_validity: None,
            },
            order_validity: Some(Validity {
                years: Some(1),
                ..Validity::default()
            }),
            validity_years: None,
            validity_days: None,
            custom_expiration_date: None,
            comments: None,
            product: None,
            auto_renew: None,
            auto_reissue: None,
            custom_renewal_message: None,
            disable_renewal_notifications: None,
            additional_emails: vec![],
            locale: None,
            server_licenses: None,
            renewal_of_order_id: None,
            renewed_thumbprint: None,
            apply_cr_discount: None,
            serial_number: None,
            payment_method: Some(PaymentMethod::Balance),
            vat_number: None,
            dcv_method: Some(DcvMethod::DnsTxtToken),
            certificate_dcv_scope: None,
            skip_approval: Some(true),
            disable_ct: None,
            organization_contact: None,
            technical_contact: None,
            organization: Organization {
                id: Some(1001),
                ..Organization::default()
            },
            container: Some(IdRef { id: 5 }),
            custom_fields: vec![CustomField {
                metadata_id: 801,
                value: "CC-1001".into(),
            }],
            user_id_assignments: vec![],
            alternative_order_id: Some(alt.into()),
            enable_guest_access: None,
        },
    }
}

fn pem_blocks(text: &str) -> usize {
    text.matches("-----BEGIN CERTIFICATE-----").count()
}

#[tokio::test]
async fn an_order_is_issued_and_downloaded() {
    let (_sim, client) = sim_and_client().await;
    let placed = client
        .place_order(&basic_order("cd1", "example.com"), false)
        .await
        .unwrap();
    let Placement::Created(created) = &placed else {
        panic!("expected a new order")
    };
    assert_eq!(
        created.certificate_chain.len(),
        3,
        "issued at once: leaf, intermediate, root"
    );
    assert!(created.certificate_chain[0].pem.contains("\r\n"));
    assert_eq!(created.domains.len(), 2);
    assert!(created.dcv_random_value.is_some());
    let info = client.order_info(placed.order_id()).await.unwrap();
    assert_eq!(info.status, "issued");
    assert_eq!(info.alternative_order_id.as_deref(), Some("cd1"));
    assert_eq!(
        info.certificate.dns_names,
        ["example.com", "www.example.com"]
    );
    let cert_id = placed.certificate_id().unwrap();
    assert_eq!(
        pem_blocks(&client.download_pem_all(cert_id).await.unwrap()),
        3
    );
    assert_eq!(
        client
            .certificate_chain(cert_id)
            .await
            .unwrap()
            .intermediates
            .len(),
        3
    );
    let changes = client.status_changes(5).await.unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.order_id == placed.order_id() && c.status == "issued")
    );
}

#[tokio::test]
async fn every_product_family_is_accepted() {
    let (_sim, client) = sim_and_client().await;
    // Secure Site Pro EV with the organization's EV approver.
    let mut ev = basic_order("cdev", "ev.example.com");
    if let OrderRequest::Tls { product, body } = &mut ev {
        *product = ProductId::SslEvSecuresitePro;
        body.server_licenses = Some(2);
        body.organization.contacts.push(OrgContact {
            contact_type: ContactType::EvApprover,
            user_id: Some(2001),
            first_name: None,
            last_name: None,
            job_title: None,
            telephone: None,
            email: None,
        });
    }
    client.place_order(&ev, false).await.unwrap();
    // SSL by type, private, with the account's private CA.
    let mut private = basic_order("cdpriv", "intranet.example.com");
    if let OrderRequest::Tls { product, body } = &mut private {
        *product = ProductId::Ssl;
        body.product = Some(ProductHint {
            type_hint: TypeHint::Private,
        });
        body.certificate.ca_cert_id = Some("SIMPRIVATECA01".into());
    }
    client.place_order(&private, false).await.unwrap();
    // A three-year Multi-year Plan on another product.
    let mut plan = basic_order("cdplan", "plan.example.com");
    if let OrderRequest::Tls { product, body } = &mut plan {
        *product = ProductId::SslSecuresiteFlex;
        body.order_validity = Some(Validity {
            years: Some(3),
            ..Validity::default()
        });
        body.certificate.cert_validity = Some(Validity {
            days: Some(199),
            ..Validity::default()
        });
    }
    client.place_order(&plan, false).await.unwrap();
    // Document signing on a shipped token.
    let signing = OrderRequest::DocumentSigning {
        product: ProductId::DocumentSigningOrg2,
        body: DocumentSigningOrder {
            certificate: SigningCertificate {
                csr: None,
                server_platform: None,
                signature_hash: SignatureHash::Sha256,
            },
            cs_provisioning_method: Some(ProvisioningMethod::ShipToken),
            use_org_as_common_name: Some(true),
            csa_agreed_to: None,
            validity_years: 2,
            comments: None,
            organization: Organization {
                id: Some(1001),
                ..Organization::default()
            },
            container: None,
            ship_info: Some(ShipInfo {
                name: "Ada Lovelace".into(),
                addr1: "1 Main St".into(),
                addr2: None,
                city: "Lehi".into(),
                state: "UT".into(),
                zip: "84043".into(),
                country: "us".into(),
                method: ShippingMethod::Standard,
            }),
            subject: Subject {
                name: "Ada Lovelace".into(),
                job_title: "Engineer".into(),
                phone: "+1 555 0100".into(),
                email: "ada@example.com".into(),
            },
            custom_fields: vec![CustomField {
                metadata_id: 801,
                value: "CC-1001".into(),
            }],
            user_id_assignments: vec![],
            skip_approval: Some(true),
            payment_method: None,
            alternative_order_id: Some("cdsign".into()),
        },
    };
    let placed = client.place_order(&signing, false).await.unwrap();
    let info = client.order_info(placed.order_id()).await.unwrap();
    assert_eq!(
        info.certificate.common_name.as_deref(),
        Some("Example Corp")
    );
}

#[tokio::test]
async fn broken_rules_are_terminal_400s_with_every_code() {
    let (_sim, client) = sim_and_client().await;
    let mut order = basic_order("cdbad", "example.com");
    if let OrderRequest::Tls { body, .. } = &mut order {
        body.order_validity = Some(Validity {
            years: Some(6),
            ..Validity::default()
        });
        body.certificate.dns_names = vec!["10.0.0.1".into()];
    }
    let err = client.place_order(&order, false).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_transient());
    let codes = err.codes();
    assert!(
        codes.contains(&"invalid_value:order_validity.years"),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"invalid_value:certificate.dns_names.0"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn the_simulator_checks_the_csr_and_the_account() {
    let (_sim, client) = sim_and_client().await;
    let cases = [
        (
            include_str!("fixtures/rsa1024.csr").to_owned(),
            1001,
            0,
            "invalid_value:certificate.csr",
        ),
        (
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"
                .to_owned(),
            1001,
            0,
            "csr_invalid_cannot_parse",
        ),
        (csr("example.com"), 9999, 0, "invalid_value:organization.id"),
        (csr("example.com"), 1003, 0, "invalid_value:organization.id"),
        (csr("example.com"), 1001, 77, "invalid_value:container.id"),
        (
            csr("example.com"),
            1001,
            -31,
            "invalid_value:certificate.server_platform.id",
        ),
    ];
    // The third value breaks the container (positive) or the server platform (negative).
    for (i, (csr_text, org, broken, code)) in cases.into_iter().enumerate() {
        let mut order = basic_order(&format!("cdcase{i}"), "example.com");
        if let OrderRequest::Tls { body, .. } = &mut order {
            body.certificate.csr = Some(csr_text);
            body.organization.id = Some(org);
            if broken > 0 {
                body.container = Some(IdRef { id: broken });
            } else if broken < 0 {
                body.certificate.server_platform = Some(IdRef { id: -broken });
            }
        }
        let err = client.place_order(&order, false).await.unwrap_err();
        assert_eq!(err.codes(), [code], "case {i}");
    }
    // A 2048-bit RSA key is fine.
    let mut rsa = basic_order("cdrsa", "rsa.example.com");
    if let OrderRequest::Tls { body, .. } = &mut rsa {
        body.certificate.csr = Some(include_str!("fixtures/rsa2048.csr").to_owned());
    }
    client.place_order(&rsa, false).await.unwrap();
}

#[tokio::test]
async fn a_duplicate_alternative_id_is_adopted_not_ordered_twice() {
    let (sim, client) = sim_and_client().await;
    let order = basic_order("cdsame", "example.com");
    let first = client.place_order(&order, false).await.unwrap();
    // A worker that restarted does not know whether its POST arrived: it looks first.
    let again = client.place_order(&order, true).await.unwrap();
    assert!(matches!(again, Placement::Adopted(_)));
    assert_eq!(again.order_id(), first.order_id());
    // Even without that hint, DigiCert's duplicate refusal leads to the existing order.
    let third = client.place_order(&order, false).await.unwrap();
    assert_eq!(third.order_id(), first.order_id());
    assert_eq!(sim.simulator.stats().orders_per_alternative_id["cdsame"], 1);
}

#[tokio::test]
async fn faults_never_duplicate_or_lose_an_order() {
    // Rate limits are tested on their own; here only the injected faults get in the way.
    let sim = spawn_simulator(SimSettings {
        slow_answer: Duration::from_millis(600),
        limits: vec![Window {
            max_requests: 1_000_000,
            period: Duration::from_secs(1),
        }],
        ..SimSettings::new(SIM_KEY)
    })
    .await;
    sim.simulator.set_faults(FaultPlan {
        server_error: 0.08,
        unavailable: 0.04,
        too_many_requests: 0.0,
        timeout: 0.04,
        drop_after_create: 0.14,
    });
    let client = client_for(&sim, Duration::from_millis(300), unlimited());
    let mut placed = Vec::new();
    const PLACEMENTS: usize = 500;
    let started = std::time::Instant::now();
    for i in 0..PLACEMENTS {
        let order = basic_order(&format!("cdfault{i}"), &format!("h{i}.example.com"));
        let mut result = client.place_order(&order, false).await;
        // A caller that gives up after the client's own retries tries again later, knowing an
        // order may exist.
        for _ in 0..20 {
            match &result {
                Err(err) => {
                    assert!(err.is_transient() || err.may_have_created(), "{err}");
                    result = client.place_order(&order, true).await;
                }
                Ok(_) => break,
            }
        }
        placed.push(result.expect("placed within 20 rounds").order_id());
    }
    sim.simulator.set_faults(FaultPlan::default());
    let stats = sim.simulator.stats();
    // The figures for the closing note: `cargo test -p certdesk --test api faults_never -- --nocapture`.
    eprintln!(
        "placements {PLACEMENTS} in {:?}; injected {:?}; orders {}; duplicated {}",
        started.elapsed(),
        stats.counters,
        stats.counters.orders_created,
        stats.duplicated_alternative_ids.len()
    );
    assert_eq!(
        stats.orders_per_alternative_id.len(),
        PLACEMENTS,
        "no order lost"
    );
    assert!(
        stats.duplicated_alternative_ids.is_empty(),
        "duplicates: {:?}",
        stats.duplicated_alternative_ids
    );
    assert_eq!(stats.counters.orders_created, PLACEMENTS as u64);
    let injected = stats.counters.injected_server_error
        + stats.counters.injected_unavailable
        + stats.counters.injected_drop_after_create
        + stats.counters.injected_timeout;
    assert!(injected > 0, "the faults did happen: {:?}", stats.counters);
    placed.sort();
    placed.dedup();
    assert_eq!(placed.len(), PLACEMENTS);
}

#[tokio::test]
async fn the_client_keeps_under_the_rate_limit() {
    let mut settings = SimSettings::new(SIM_KEY);
    settings.limits = vec![Window {
        max_requests: 5,
        period: Duration::from_millis(500),
    }];
    let sim = spawn_simulator(settings).await;
    let limited = client_for(
        &sim,
        Duration::from_secs(5),
        RateLimiter::new(vec![Window {
            max_requests: 5,
            period: Duration::from_millis(550),
        }]),
    );
    for _ in 0..15 {
        limited.organizations().await.unwrap();
    }
    assert_eq!(
        sim.simulator.stats().counters.rate_limited,
        0,
        "no 429 with the limiter on"
    );

    // Without the limiter the simulator does answer 429, and reads still succeed by backing off.
    let eager = DigicertClient::new(ClientSettings {
        retry: RetryPolicy {
            max_attempts: 12,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
        limiter: unlimited(),
        ..ClientSettings::new(sim.base_url.clone(), SecretString::from(sim.key.clone()))
    })
    .unwrap();
    for _ in 0..10 {
        eager.containers().await.unwrap();
    }
    assert!(sim.simulator.stats().counters.rate_limited > 0);
}

#[tokio::test]
async fn a_bad_key_is_refused_and_never_echoed() {
    let (sim, _) = sim_and_client().await;
    let client = DigicertClient::new(ClientSettings::new(
        sim.base_url.clone(),
        SecretString::from("wrong-key-123".to_owned()),
    ))
    .unwrap();
    let err = client.organizations().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.codes(), ["access_denied|invalid_api_key"]);
    assert!(!err.to_string().contains("wrong-key-123"));
    assert!(!format!("{err:?}").contains("wrong-key-123"));
}

#[tokio::test]
async fn an_unreachable_digicert_is_a_transient_connect_error() {
    let client = DigicertClient::new(ClientSettings {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        ..ClientSettings::new(
            "http://127.0.0.1:9/services/v2",
            SecretString::from("k".to_owned()),
        )
    })
    .unwrap();
    let err = client.organizations().await.unwrap_err();
    assert!(matches!(err, DigicertError::Connect(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn account_endpoints_fill_the_pickers() {
    let (_sim, client) = sim_and_client().await;
    let orgs = client.organizations().await.unwrap();
    assert!(orgs.iter().any(|o| o.id == 1001 && o.is_active));
    let approvers = client.potential_approvers(1001).await.unwrap();
    assert!(
        approvers
            .users
            .iter()
            .any(|a| a.user_id == 2001 && a.job_title.is_some())
    );
    let validations = client.organization_validations(1001).await.unwrap();
    assert!(
        validations
            .validations
            .iter()
            .any(|v| v.kind == "ev" && v.status == "active")
    );
    assert_eq!(
        client.organization(1002).await.unwrap().name,
        "Example Labs GmbH"
    );
    assert!(!client.containers().await.unwrap().containers.is_empty());
    let product = client.product_info("ssl_basic").await.unwrap();
    assert!(product.server_platforms.iter().any(|p| p.id == -1));
    assert_eq!(
        client.product_info("ssl_plus").await.unwrap_err().codes(),
        ["not_found|product"]
    );
    assert!(!client.users().await.unwrap().users.is_empty());
}

#[tokio::test]
async fn pending_orders_issue_later_and_can_be_canceled() {
    let (sim, client) = sim_and_client().await;
    sim.simulator.set_issuance(Issuance::Manual);
    let placed = client
        .place_order(&basic_order("cdlater", "later.example.com"), false)
        .await
        .unwrap();
    assert_eq!(
        client.order_info(placed.order_id()).await.unwrap().status,
        "pending"
    );
    let cert_id = placed.certificate_id().unwrap();
    assert!(
        client
            .download_pem_all(cert_id)
            .await
            .unwrap_err()
            .is_not_found(),
        "not issued yet"
    );
    let other = client
        .place_order(&basic_order("cdcancel", "cancel.example.com"), false)
        .await
        .unwrap();
    client
        .update_order_status(other.order_id(), "canceled", "not needed")
        .await
        .unwrap();
    assert_eq!(
        client.order_info(other.order_id()).await.unwrap().status,
        "canceled"
    );
    let again = client
        .update_order_status(other.order_id(), "canceled", "again")
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(400));

    sim.simulator.set_issuance(Issuance::AfterSeconds(0));
    let soon = client
        .place_order(&basic_order("cdsoon", "soon.example.com"), false)
        .await
        .unwrap();
    assert_eq!(
        client.order_info(soon.order_id()).await.unwrap().status,
        "issued"
    );
}

#[tokio::test]
async fn raw_protocol_errors_look_like_digicert() {
    let (sim, _) = sim_and_client().await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: &'static str| {
        http.post(format!("{}/{path}", sim.base_url))
            .header("X-DC-DEVKEY", SIM_KEY)
            .header("content-type", "application/json")
            .body(body)
    };
    let bad_json = post("order/certificate/ssl_basic", "{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert!(
        bad_json
            .text()
            .await
            .unwrap()
            .contains("bad_request_format")
    );
    let missing = post(
        "order/certificate/ssl_basic",
        r#"{"organization":{"id":1001}}"#,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(missing.status(), 400);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("required_param:certificate")
    );
    let card = post(
        "order/certificate/ssl_basic",
        r#"{"certificate":{"common_name":"a.example.com","signature_hash":"sha256"},"organization":{"id":1001},"payment_method":"card"}"#,
    )
    .send()
    .await
    .unwrap();
    assert!(
        card.text()
            .await
            .unwrap()
            .contains("invalid_value:payment_method")
    );
    let unknown = post("order/certificate/ssl_plus", "{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let route = http
        .get(format!("{}/no/such/route", sim.base_url))
        .header("X-DC-DEVKEY", SIM_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(route.status(), 404);
    assert!(route.text().await.unwrap().contains("not_found|route"));
    let missing_window = http
        .get(format!(
            "{}/order/certificate/status-changes?minutes=20000",
            sim.base_url
        ))
        .header("X-DC-DEVKEY", SIM_KEY)
        .send()
        .await
        .unwrap();
    assert!(
        missing_window
            .text()
            .await
            .unwrap()
            .contains("time_frame_too_long")
    );
}

/// A redirect could carry the key header to another host: the client follows none, and it will
/// not send the key over plain http to anything but a loopback simulator.
#[tokio::test]
async fn the_client_follows_no_redirect_and_refuses_plain_http_elsewhere() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let _watch = spawn_simulator(SimSettings::new(SIM_KEY)).await;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let elsewhere = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { "{}" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, elsewhere).await });
    let redirecting = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::TEMPORARY_REDIRECT,
            [(
                "location",
                format!("http://{other}/services/v2/organization"),
            )],
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, redirecting).await });
    let client = DigicertClient::new(ClientSettings {
        base_url: format!("http://{redirector}/services/v2"),
        api_key: SecretString::from("the-key".to_owned()),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        },
        limiter: unlimited(),
    })
    .unwrap();
    assert!(client.organizations().await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    for refused in [
        "http://www.digicert.com/services/v2",
        "http://10.0.0.8:8443/services/v2",
    ] {
        assert!(
            DigicertClient::new(ClientSettings::new(
                refused,
                SecretString::from("k".to_owned())
            ))
            .is_err(),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn custom_order_fields_are_the_accounts_and_required_ones_are_enforced() {
    let (sim, client) = sim_and_client().await;
    let fields = client.custom_fields().await.unwrap();
    let labels: Vec<(&str, bool)> = fields
        .iter()
        .map(|f| (f.label.as_str(), f.is_required))
        .collect();
    assert_eq!(labels, [("Cost center", true), ("Ticket", false)]);
    let with_fields = |alt: &str, custom: Vec<CustomField>| {
        let mut order = basic_order(alt, "fields.example.com");
        if let OrderRequest::Tls { body, .. } = &mut order {
            body.custom_fields = custom;
        }
        order
    };
    let cases = [
        (vec![], "missing_required_custom_field"),
        (
            vec![CustomField {
                metadata_id: 802,
                value: "T-1".into(),
            }],
            "missing_required_custom_field",
        ),
        (
            vec![
                CustomField {
                    metadata_id: 801,
                    value: "CC-1".into(),
                },
                CustomField {
                    metadata_id: 999,
                    value: "x".into(),
                },
            ],
            "invalid_value:custom_fields.1.metadata_id",
        ),
    ];
    for (i, (custom, code)) in cases.into_iter().enumerate() {
        let err = client
            .place_order(&with_fields(&format!("cdcf{i}"), custom), false)
            .await
            .unwrap_err();
        assert_eq!(err.codes(), [code], "case {i}");
    }
    // An account admin makes "Ticket" a number field: a word is refused with the field's label.
    let mut changed = certdesk::simulator::Simulator::seeded_custom_fields();
    changed[1].data_type = Some("int".into());
    sim.simulator.set_custom_fields(changed);
    let order = with_fields(
        "cdcfint",
        vec![
            CustomField {
                metadata_id: 801,
                value: "CC-1".into(),
            },
            CustomField {
                metadata_id: 802,
                value: "soon".into(),
            },
        ],
    );
    let err = client.place_order(&order, false).await.unwrap_err();
    assert_eq!(err.codes(), ["invalid_value:custom_fields.1.value"]);
    assert!(err.to_string().contains("Ticket"), "{err}");
}

#[tokio::test]
async fn product_limits_hashes_and_multi_year_plans_are_the_accounts() {
    let (sim, client) = sim_and_client().await;
    let limits = client.product_limits(5).await.unwrap();
    let rapid = limits
        .product_limits
        .iter()
        .find(|l| l.product_name_id == "ssl_dv_rapidssl")
        .unwrap();
    assert_eq!(rapid.allowed_hashes, ["sha256"]);
    assert_eq!(rapid.allowed_order_lifetimes, ["1", "2", "3"]);
    assert!(client.product_limits(404).await.unwrap_err().is_not_found());

    let two_years = |alt: &str| {
        let mut order = basic_order(alt, "plan2.example.com");
        if let OrderRequest::Tls { body, .. } = &mut order {
            body.order_validity = Some(Validity {
                years: Some(2),
                ..Validity::default()
            });
        }
        order
    };
    client
        .place_order(&two_years("cdplan2a"), false)
        .await
        .unwrap();
    sim.simulator.set_multi_year_plans(false);
    let err = client
        .place_order(&two_years("cdplan2b"), false)
        .await
        .unwrap_err();
    assert_eq!(err.codes(), ["invalid_value:order_validity"]);
    let info = client.product_info("ssl_basic").await.unwrap();
    assert_eq!(info.allowed_order_validity_years, [1]);
    let limits = client.product_limits(5).await.unwrap();
    assert!(
        limits
            .product_limits
            .iter()
            .all(|l| l.allowed_order_lifetimes == ["1"])
    );

    let mut sha384 = basic_order("cdhash", "hash.example.com");
    if let OrderRequest::Tls { product, body } = &mut sha384 {
        *product = ProductId::SslDvRapidssl;
        body.certificate.signature_hash = SignatureHash::Sha384;
    }
    let err = client.place_order(&sha384, false).await.unwrap_err();
    assert_eq!(err.codes(), ["invalid_value:certificate.signature_hash"]);
}

/// Reissue within an order: a new key and names, a certificate no longer than the order's rest,
/// the replaced one superseded but still downloadable, and DigiCert's refusals.
#[tokio::test]
async fn an_order_is_reissued_with_a_new_key_and_the_old_certificate_is_superseded() {
    let (sim, client) = sim_and_client().await;
    let placed = client
        .place_order(&basic_order("cdreissue", "reissue.example.com"), false)
        .await
        .unwrap();
    let order_id = placed.order_id();
    let first = client.order_info(order_id).await.unwrap();
    let first_id = first.certificate.id.unwrap();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<serde_json::Value>| {
        let mut req = http
            .request(method, format!("{}/{path}", sim.base_url))
            .header("X-DC-DEVKEY", SIM_KEY);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (
                status,
                res.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let body = serde_json::json!({
        "certificate": {
            "common_name": "reissue.example.com",
            "dns_names": ["reissue.example.com", "api.reissue.example.com"],
            "csr": csr("reissue.example.com"),
            "signature_hash": "sha256",
        },
        "skip_approval": true,
    });
    let (status, answer) = call(
        reqwest::Method::POST,
        format!("order/certificate/{order_id}/reissue"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let new_id = answer["certificate_id"].as_i64().unwrap();
    assert_ne!(new_id, first_id);
    assert!(
        answer["certificate_chain"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    let info = client.order_info(order_id).await.unwrap();
    assert_eq!(info.status, "issued");
    assert_eq!(info.certificate.id, Some(new_id));
    assert!(
        info.certificate
            .dns_names
            .contains(&"api.reissue.example.com".to_owned())
    );
    // No longer than the order's rest, nor the dated cap.
    let till = info.certificate.valid_till.clone().unwrap();
    assert!(
        till.as_str() <= info.order_valid_till.as_deref().unwrap(),
        "{till}"
    );

    let (status, list) = call(
        reqwest::Method::GET,
        format!("order/certificate/{order_id}/reissue"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let states: Vec<(i64, &str)> = list["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(new_id, "issued"), (first_id, "superseded")]);
    // Both certificates download by their own id, and they differ.
    let old = client.download_pem_all(first_id).await.unwrap();
    let new = client.download_pem_all(new_id).await.unwrap();
    assert_ne!(old, new);

    // Refusals: a broken CSR, a missing CSR, an unknown or canceled order.
    let mut broken = body.clone();
    broken["certificate"]["csr"] = serde_json::json!("not a csr");
    let (status, err) = call(
        reqwest::Method::POST,
        format!("order/certificate/{order_id}/reissue"),
        Some(broken),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (400, Some("csr_invalid_cannot_parse"))
    );
    let (status, err) = call(
        reqwest::Method::POST,
        format!("order/certificate/{order_id}/reissue"),
        Some(serde_json::json!({ "certificate": { "common_name": "x.example.com" } })),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (400, Some("required_param:certificate"))
    );
    let (status, _) = call(
        reqwest::Method::POST,
        "order/certificate/42/reissue".into(),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 404);
    sim.simulator
        .set_issuance(certdesk::simulator::Issuance::Manual);
    let pending = client
        .place_order(&basic_order("cdreissue2", "pending.example.com"), false)
        .await
        .unwrap();
    client
        .update_order_status(pending.order_id(), "canceled", "not needed")
        .await
        .unwrap();
    let (status, err) = call(
        reqwest::Method::POST,
        format!("order/certificate/{}/reissue", pending.order_id()),
        Some(body),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (400, Some("invalid_order_status"))
    );
}

/// Revocation: at once with skip_approval, else a pending request an admin approves; never
/// while a reissue is pending; only the Baseline Requirements' subscriber reasons.
#[tokio::test]
async fn certificates_and_orders_are_revoked_at_once_or_after_approval() {
    let (sim, client) = sim_and_client().await;
    let http = reqwest::Client::new();
    let call = |path: String, body: serde_json::Value| {
        let req = http
            .put(format!("{}/{path}", sim.base_url))
            .header("X-DC-DEVKEY", SIM_KEY)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (
                status,
                res.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let list = |order_id: i64| {
        let http = http.clone();
        let url = format!("{}/order/certificate/{order_id}/reissue", sim.base_url);
        async move {
            let list: serde_json::Value = http
                .get(url)
                .header("X-DC-DEVKEY", SIM_KEY)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            list["certificates"][0]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let placed = client
        .place_order(&basic_order("cdrevoke1", "revoke.example.com"), false)
        .await
        .unwrap();
    let info = client.order_info(placed.order_id()).await.unwrap();
    let certificate = info.certificate.id.unwrap();
    // privilegeWithdrawn is not the subscriber's to choose.
    let (status, err) = call(
        format!("certificate/{certificate}/revoke"),
        serde_json::json!({ "revocation_reason": "privilege_withdrawn", "skip_approval": true }),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (400, Some("invalid_value:revocation_reason"))
    );
    // Without skip_approval: a pending revoke request, approved afterwards.
    let (status, request) = call(
        format!("certificate/{certificate}/revoke"),
        serde_json::json!({ "revocation_reason": "keyCompromise", "comments": "Laptop stolen" }),
    )
    .await;
    assert_eq!((status, request["status"].as_str()), (201, Some("pending")));
    assert_eq!(list(placed.order_id()).await, "issued");
    let (status, _) = call(
        format!("request/{}/status", request["id"]),
        serde_json::json!({ "status": "approved" }),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(list(placed.order_id()).await, "revoked");
    let (status, err) = call(
        format!("certificate/{certificate}/revoke"),
        serde_json::json!({ "skip_approval": true }),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (400, Some("already_revoked"))
    );

    // A whole order at once, by its serial's certificate too.
    let second = client
        .place_order(&basic_order("cdrevoke2", "revoke2.example.com"), false)
        .await
        .unwrap();
    let (status, _) = call(
        format!("order/certificate/{}/revoke", second.order_id()),
        serde_json::json!({ "revocation_reason": "cessation_of_operation", "skip_approval": true }),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        client.order_info(second.order_id()).await.unwrap().status,
        "revoked"
    );

    // Not while a reissue is pending.
    sim.simulator
        .set_issuance(certdesk::simulator::Issuance::Manual);
    let third = client
        .place_order(&basic_order("cdrevoke3", "revoke3.example.com"), false)
        .await
        .unwrap();
    sim.simulator
        .set_issuance(certdesk::simulator::Issuance::Immediate);
    let http2 = reqwest::Client::new();
    http2
        .post(format!(
            "{}/__simulator/orders/{}/issue",
            sim.base_url,
            third.order_id()
        ))
        .header("X-DC-DEVKEY", SIM_KEY)
        .send()
        .await
        .unwrap();
    sim.simulator
        .set_issuance(certdesk::simulator::Issuance::Manual);
    let (status, _) = http2
        .post(format!(
            "{}/order/certificate/{}/reissue",
            sim.base_url,
            third.order_id()
        ))
        .header("X-DC-DEVKEY", SIM_KEY)
        .json(&serde_json::json!({ "certificate": {
            "common_name": "revoke3.example.com", "csr": csr("revoke3.example.com") } }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 201);
    let (status, err) = call(
        format!("order/certificate/{}/revoke", third.order_id()),
        serde_json::json!({ "skip_approval": true }),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (400, Some("reissue_pending"))
    );
}
