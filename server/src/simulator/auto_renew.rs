//! DigiCert's `auto_renew`: near the end of an order's term DigiCert places the successor order
//! itself. The successor carries the same names, organization and CSR, no alternative order id,
//! and `is_renewal`/`renewed_order_id` in its order info; it appears in the status-changes feed
//! like any order whose status changed, and issues as an order would (validation reused).

use super::handlers::{schedule, today};
use super::{Inner, SimOrder};
use app::features::digicert::rules::max_public_cert_days;
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::time::Instant;

pub(super) fn renew(inner: &Inner, order_id: i64) -> Option<i64> {
    let issuance = *inner.issuance.lock().expect("issuance");
    let mut orders = inner.orders.lock().expect("orders");
    let id = orders.next_id;
    let certificate_id = id + 500_000;
    let predecessor = orders.by_id.get(&order_id)?;
    let today = today();
    let order_days = (predecessor.order_valid_till - predecessor.created.date())
        .whole_days()
        .max(1);
    let now = OffsetDateTime::now_utc();
    let mut successor = SimOrder {
        id,
        certificate_id,
        request_id: None,
        request_status: None,
        alternative_order_id: None,
        product: predecessor.product,
        status: "pending".into(),
        status_changed: now,
        created: now,
        common_name: predecessor.common_name.clone(),
        dns_names: predecessor.dns_names.clone(),
        csr: predecessor.csr.clone(),
        organization_id: predecessor.organization_id,
        organization_name: predecessor.organization_name.clone(),
        signature_hash: predecessor.signature_hash.clone(),
        cert_days: max_public_cert_days(today).min(u32::try_from(order_days).unwrap_or(u32::MAX)),
        // The new term starts where the old one ends.
        order_valid_till: predecessor.order_valid_till + time::Duration::days(order_days),
        issue_at: None,
        issued: None,
        server_auth: predecessor.server_auth,
        dcv: None,
        dcv_polled_at: Instant::now(),
        past: Vec::new(),
        revoked: HashMap::new(),
        duplicates: Vec::new(),
        reissues: 0,
        renewed_order_id: Some(order_id),
    };
    if let Some(dcv) = &predecessor.dcv {
        let mut names = vec![successor.common_name.clone()];
        names.extend(successor.dns_names.iter().cloned());
        let world = inner.dcv.lock().expect("dcv");
        successor.dcv = Some(super::dcv::OrderDcv::new(dcv.method, &names, &world, today));
    }
    schedule(inner, &mut successor, issuance, false);
    orders.next_id += 1;
    orders.by_certificate_id.insert(certificate_id, id);
    orders.by_id.insert(id, successor);
    Some(id)
}
