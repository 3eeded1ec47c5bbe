//! The simulator's clock: today's date, and issuing the orders whose time has come.

use crate::simulator::{Inner, Issuance, SimOrder};
use time::OffsetDateTime;
use tokio::time::Instant;

pub(in crate::simulator) fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// Issues orders whose time has come and, in DCV mode, looks for the records of orders waiting on
/// DCV as DigiCert's own polling does. Called before every read, so issuance needs no timer.
pub(in crate::simulator) fn advance(inner: &Inner) {
    let now = Instant::now();
    let dcv_mode = *inner.issuance.lock().expect("issuance") == Issuance::Dcv;
    let mut orders = inner.orders.lock().expect("orders");
    let due: Vec<i64> = orders
        .by_id
        .values()
        .filter(|o| o.issued.is_none() && o.issue_at.is_some_and(|at| at <= now))
        .map(|o| o.id)
        .collect();
    for id in due {
        if let Some(order) = orders.by_id.get_mut(&id) {
            issue_now(inner, order);
        }
    }
    if dcv_mode {
        let mut world = inner.dcv.lock().expect("dcv");
        for order in orders.by_id.values_mut() {
            if !matches!(order.status.as_str(), "pending" | "reissue_pending")
                || order.issued.is_some()
                || now.duration_since(order.dcv_polled_at) < inner.own_dcv_check_every
            {
                continue;
            }
            order.dcv_polled_at = now;
            if let Some(dcv) = order.dcv.as_mut() {
                dcv.check(&mut world, today());
                if dcv.complete() {
                    issue_now(inner, order);
                }
            }
        }
    }
}

pub(in crate::simulator) fn issue_now(inner: &Inner, order: &mut SimOrder) {
    let issued = match &order.csr {
        Some(csr) => inner.ca.issue(
            csr,
            &order.common_name,
            &order.dns_names,
            order.organization_name.as_deref(),
            today(),
            order.cert_days,
            order.server_auth,
        ),
        None => inner.ca.issue_with_new_key(
            &order.common_name,
            order.organization_name.as_deref(),
            today(),
            order.cert_days,
        ),
    };
    match issued {
        Ok(issued) => {
            order.issued = Some(issued);
            order.status = "issued".into();
            // A reissue replaces the certificate it was placed from.
            for past in order.past.iter_mut().filter(|p| p.status == "active") {
                past.status = "superseded".into();
            }
        }
        Err(problem) => {
            tracing::warn!(
                ?problem,
                order_id = order.id,
                "simulator could not issue; rejecting"
            );
            order.status = "rejected".into();
        }
    }
    order.issue_at = None;
    order.status_changed = OffsetDateTime::now_utc();
}
