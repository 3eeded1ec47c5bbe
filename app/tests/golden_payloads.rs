//! Golden tests: every example request body on DigiCert's order pages (copied verbatim into
//! `tests/digicert-docs/`) parses into certdesk's payload types and serialises back to the same
//! JSON, and every example response parses into the response type.
//!
//! Each page shows the same request four ways (curl, Python, Go, Node.js), and the versions
//! differ in small details, so each is extracted and checked on its own.

use app::features::digicert::payload::{OrderCreated, OrderRequest};
use app::features::digicert::products::ProductId;
use serde_json::Value;

const PAGES: [(&str, &str); 5] = [
    (
        "order-basic-ov.txt",
        include_str!("digicert-docs/order-basic-ov.txt"),
    ),
    (
        "order-ssl-type-hint.txt",
        include_str!("digicert-docs/order-ssl-type-hint.txt"),
    ),
    (
        "order-secure-site-pro-ev.txt",
        include_str!("digicert-docs/order-secure-site-pro-ev.txt"),
    ),
    (
        "order-multi-year-plan.txt",
        include_str!("digicert-docs/order-multi-year-plan.txt"),
    ),
    (
        "order-document-signing.txt",
        include_str!("digicert-docs/order-document-signing.txt"),
    ),
];

struct Example {
    page: &'static str,
    variant: &'static str,
    product: ProductId,
    body: Value,
}

/// The product an example posts to, from the curl sample's address. The document-signing page
/// uses a placeholder for its two products; both are tried.
fn products_of(text: &str) -> Vec<ProductId> {
    let curl = &text[text.find("curl -X POST").expect("page has a curl sample")..];
    let tail = curl
        .split("services/v2/order/certificate/")
        .nth(1)
        .expect("curl sample names its endpoint");
    let name: String = tail
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{' || *c == '}')
        .collect();
    if name.contains("document") {
        vec![
            ProductId::DocumentSigningOrg1,
            ProductId::DocumentSigningOrg2,
        ]
    } else {
        vec![ProductId::parse(&name).unwrap_or_else(|| panic!("unknown product {name}"))]
    }
}

/// The curl body: from `-d '` up to the line that starts the next example.
fn curl_body(text: &str) -> Option<Value> {
    let start = text.find("-d '")? + 4;
    let rest = &text[start..];
    let end = rest.find("\n}'").map(|i| i + 2).or_else(|| {
        // One page forgets the closing quote: the body ends at the first line that is just `}`.
        rest.find("\n}\n").map(|i| i + 2)
    })?;
    Some(serde_json::from_str(&rest[..end]).expect("curl body is JSON"))
}

/// A JSON document written as a double-quoted string literal after `marker` (Python, Go and one
/// Node.js sample), decoded as the JSON string it is, then parsed.
fn quoted_body(text: &str, marker: &str) -> Option<Value> {
    let start = text.find(marker)? + marker.len();
    let rest = &text[start..];
    let mut end = None;
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                end = Some(i);
                break;
            }
            _ => escaped = false,
        }
    }
    let literal = &rest[..=end?];
    let decoded: String = serde_json::from_str(literal).expect("string literal decodes");
    Some(serde_json::from_str(&decoded).expect("quoted body is JSON"))
}

/// Where the Node.js `request` sample starts (one page lost its "NodeJS" heading).
fn node_sample(text: &str) -> Option<&str> {
    Some(&text[text.find("var options")?..])
}

/// The Node.js sample's body when it is a JavaScript object literal ending before `json: true`.
fn node_object_body(text: &str) -> Option<Value> {
    let node = node_sample(text)?;
    let start = node.find("body:")? + 5;
    let rest = node[start..].trim_start();
    if !rest.starts_with('{') {
        return None;
    }
    let end = rest.find("json: true")?;
    let literal = rest[..end].trim_end().trim_end_matches(',');
    Some(json5::from_str(literal).expect("Node.js body is an object literal"))
}

fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    for (page, text) in PAGES {
        let variants = [
            ("curl", curl_body(text)),
            ("python", quoted_body(text, "payload = ")),
            ("go", quoted_body(text, "strings.NewReader(")),
            (
                "node",
                node_object_body(text)
                    .or_else(|| node_sample(text).and_then(|node| quoted_body(node, "body: "))),
            ),
        ];
        for (variant, body) in variants {
            let Some(body) = body else { continue };
            for product in products_of(text) {
                out.push(Example {
                    page,
                    variant,
                    product,
                    body: body.clone(),
                });
            }
        }
    }
    out
}

#[test]
fn the_pages_hold_the_expected_examples() {
    let found: Vec<(&str, &str)> = examples()
        .iter()
        .filter(|e| e.product != ProductId::DocumentSigningOrg2)
        .map(|e| (e.page, e.variant))
        .collect();
    // The Secure Site Pro EV page documents its fields but shows no example body.
    for page in [
        "order-basic-ov.txt",
        "order-ssl-type-hint.txt",
        "order-multi-year-plan.txt",
        "order-document-signing.txt",
    ] {
        for variant in ["curl", "python", "go", "node"] {
            assert!(
                found.contains(&(page, variant)),
                "{page}: no {variant} example found"
            );
        }
    }
    assert_eq!(found.len(), 16);
}

/// Slips in DigiCert's own samples that certdesk's types rightly do not carry: the type-hint
/// page's Python, Go and Node.js samples put `organization` inside `certificate` as well as at
/// the top level, where it belongs. Round-tripping drops exactly these paths.
const DOCUMENTED_SLIPS: &[(&str, &str, &str)] = &[
    (
        "order-ssl-type-hint.txt",
        "python",
        "/certificate/organization",
    ),
    ("order-ssl-type-hint.txt", "go", "/certificate/organization"),
    (
        "order-ssl-type-hint.txt",
        "node",
        "/certificate/organization",
    ),
];

fn remove_path(value: &mut Value, pointer: &str) -> bool {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a key");
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|object| object.remove(key))
        .is_some()
}

#[test]
fn every_example_request_round_trips_exactly() {
    let all = examples();
    assert!(!all.is_empty());
    for example in all {
        let context = format!(
            "{} ({}, {})",
            example.page, example.variant, example.product
        );
        let mut expected = example.body.clone();
        for (page, variant, pointer) in DOCUMENTED_SLIPS {
            if *page == example.page && *variant == example.variant {
                assert!(
                    remove_path(&mut expected, pointer),
                    "{context}: the slip {pointer} is gone from the sample; drop it from the list"
                );
            }
        }
        let order = OrderRequest::from_body(example.product, example.body.clone())
            .unwrap_or_else(|e| panic!("{context}: does not parse: {e}"));
        assert_eq!(order.product(), example.product, "{context}");
        assert_eq!(
            order.body_json(),
            expected,
            "{context}: serialises differently"
        );
    }
}

/// The JSON answers shown after the code samples: each outermost `{` that opens an object with
/// `"id"`, between the end of the Node.js sample and the parameter tables. A sample that is not
/// JSON comes back as `Err` with the text that failed.
fn response_bodies(text: &str) -> Vec<Result<Value, String>> {
    let Some(node) = node_sample(text) else {
        return Vec::new();
    };
    let after = &node[node.find("console.log(").expect("Node.js sample ends")..];
    let section = &after[..after.find("Request parameters").unwrap_or(after.len())];
    let mut bodies = Vec::new();
    let mut from = 0;
    while let Some(offset) = section[from..].find('{') {
        let start = from + offset;
        let candidate = &section[start..];
        from = start + 1;
        if !candidate[1..].trim_start().starts_with("\"id\"") {
            continue;
        }
        let mut stream = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
        match stream.next().expect("one value") {
            Ok(body) => {
                from = start + stream.byte_offset();
                bodies.push(Ok(body));
            }
            Err(e) => {
                // Skip the broken sample up to the next status line.
                let end = candidate.find("\n201").unwrap_or(candidate.len());
                from = start + end;
                bodies.push(Err(format!("{e}: {}", &candidate[..end])));
            }
        }
    }
    bodies
}

/// Responses in DigiCert's samples that are not JSON at all: the Multi-year page's "skip"
/// answer closes an array it never opened.
const BROKEN_RESPONSES: &[&str] = &["order-multi-year-plan.txt"];

#[test]
fn every_example_response_parses() {
    let mut parsed = 0;
    let mut broken = Vec::new();
    for (page, text) in PAGES {
        for body in response_bodies(text) {
            let body = match body {
                Ok(body) => body,
                Err(_) => {
                    broken.push(page);
                    continue;
                }
            };
            let created: OrderCreated = serde_json::from_value(body.clone())
                .unwrap_or_else(|e| panic!("{page}: response does not parse: {e}\n{body}"));
            assert_eq!(Some(created.id), body["id"].as_i64(), "{page}");
            let requests = body["requests"].as_array().map_or(0, Vec::len);
            assert_eq!(created.requests.len(), requests, "{page}");
            let domains = body["domains"].as_array().map_or(0, Vec::len);
            assert_eq!(created.domains.len(), domains, "{page}");
            let chain = body["certificate_chain"].as_array().map_or(0, Vec::len);
            assert_eq!(created.certificate_chain.len(), chain, "{page}");
            assert_eq!(
                created.certificate_id,
                body["certificate_id"].as_i64(),
                "{page}"
            );
            parsed += 1;
        }
    }
    assert_eq!(broken, BROKEN_RESPONSES);
    // Basic OV 5, document signing 3, Multi-year 3 (of 4), type hint 3.
    assert_eq!(parsed, 14, "example responses parsed");
}
