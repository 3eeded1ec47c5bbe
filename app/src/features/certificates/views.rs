//! The request page's "Order and certificates" section.

use super::model::{CertificateStatus, CertificateSummary};
use leptos::prelude::*;

/// The order's term and every certificate it has held, newest first, each with its downloads.
#[component]
pub fn OrderCertificates(
    request_id: i64,
    order_valid_till: Option<String>,
    certificates: Vec<CertificateSummary>,
) -> impl IntoView {
    (!certificates.is_empty() || order_valid_till.is_some()).then(|| {
        view! {
            <section id="certificates" aria-labelledby="certificates-heading">
                <h2 id="certificates-heading">"Order and certificates"</h2>
                {order_valid_till.map(|till| view! {
                    <p id="order-term">"The order runs until "<strong>{till}</strong>
                        ". Certificates last at most 199 days now, so the order is reissued within its term."</p>
                })}
                <table class="certificates">
                    <thead><tr>
                        <th>"Serial"</th><th>"Names"</th><th>"Valid"</th><th>"State"</th><th>"Files"</th>
                    </tr></thead>
                    <tbody>
                        {certificates.into_iter().map(|c| {
                            let base = format!("/requests/{request_id}/certificates/{}", c.id);
                            let names = std::iter::once(c.common_name.clone())
                                .chain(c.dns_names.iter().filter(|n| **n != c.common_name).cloned())
                                .collect::<Vec<_>>()
                                .join(", ");
                            let left = match c.status {
                                CertificateStatus::Issued if c.days_left >= 0 => format!(" ({} days left)", c.days_left),
                                _ => String::new(),
                            };
                            view! {
                                <tr data-serial=c.serial.clone() class=format!("certificate-{}", c.status.as_str())>
                                    <td><code>{c.serial.clone()}</code><br /><span class="muted">{c.kind.label()}</span></td>
                                    <td>{names}</td>
                                    <td>{format!("{} to {}{left}", c.valid_from, c.valid_till)}</td>
                                    <td><span class=format!("status status-certificate-{}", c.status.as_str())>{c.status.label()}</span></td>
                                    <td>
                                        <a href=format!("{base}/certificate.pem") rel="external" download>"Certificate"</a>" · "
                                        <a href=format!("{base}/chain.pem") rel="external" download>"Chain"</a>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}
