//! The request page's "Order and certificates" section.

use super::model::{CertificateSummary, CurrentCertificate};
use crate::components::resource;
use crate::encoding::encode_query_value;
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
                {order_valid_till
                    .map(|till| {
                        view! {
                            <p id="order-term">
                                "The order runs until "<strong>{till}</strong>
                                ". Certificates last at most 199 days now, so the order is reissued within its term."
                            </p>
                        }
                    })}
                <table class="certificates">
                    <thead>
                        <tr>
                            <th>"Serial"</th>
                            <th>"Names"</th>
                            <th>"Valid"</th>
                            <th>"State"</th>
                            <th>"Files"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {certificates
                            .into_iter()
                            .map(|c| view! { <CertificateLine request_id c /> })
                            .collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}

/// One certificate of an order: serial and kind, names, validity, state, and its files.
#[component]
fn CertificateLine(request_id: i64, c: CertificateSummary) -> impl IntoView {
    let base = format!("/requests/{request_id}/certificates/{}", c.id);
    view! {
        <tr data-serial=c.serial.clone() class=format!("certificate-{}", c.status.as_str())>
            <td>
                <code>{c.serial.clone()}</code>
                <br />
                <span class="muted">{c.kind.label()}</span>
            </td>
            <td>{c.names_line()}</td>
            <td>{c.validity_line()}</td>
            <td>
                <span class=format!(
                    "status status-certificate-{}",
                    c.status.as_str(),
                )>{c.state_line()}</span>
            </td>
            <td>
                <a href=format!("{base}/certificate.pem") rel="external" download>
                    "Certificate"
                </a>
                " · "
                <a href=format!("{base}/chain.pem") rel="external" download>
                    "Chain"
                </a>
            </td>
        </tr>
    }
}

/// `/certificates`: every current certificate, the soonest to end first, with the order's term
/// and the next action; above it, the next 26 weeks at a glance (SVG drawn on the server).
#[component]
pub fn CertificatesPage() -> impl IntoView {
    use crate::components::Guarded;
    use leptos_meta::Title;
    view! {
        <Title text="Certificates" />
        <Guarded>
            <CurrentCertificates />
        </Guarded>
    }
}

#[component]
fn CurrentCertificates() -> impl IntoView {
    use super::api::load_certificates;
    use crate::components::{ErrorPanel, NextPageLink};
    use leptos_router::hooks::use_query_map;
    let query = use_query_map();
    let param = move |name: &str| crate::components::query_param(query, name);
    let page = resource(
        move || (param("q"), param("action"), param("after")),
        |(q, action, after)| load_certificates(q, action, after),
    );
    let filters = move || {
        format!(
            "q={}&action={}",
            encode_query_value(&param("q").unwrap_or_default()),
            encode_query_value(&param("action").unwrap_or_default())
        )
    };
    view! {
        <h1>"Certificates"</h1>
        <p class="muted">
            "Every current certificate, the soonest to end first. Certificates last at most 199 days, so orders are reissued within their term and renewed at its end."
        </p>
        <CertificateFilters csv=move || format!("/certificates.csv?{}", filters()) />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let more = page
                            .next
                            .map(|after| format!("/certificates?{}&after={after}", filters()));
                        view! {
                            <WeekChart weeks=page.weeks />
                            <CertificateTable rows=page.rows />
                            <NextPageLink href=more label="More certificates" />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The search (a plain GET form): a name and the next action due; and the export of what it
/// finds, at `csv`.
#[component]
fn CertificateFilters(#[prop(into)] csv: Signal<String>) -> impl IntoView {
    use leptos_router::hooks::use_query_map;
    let query = use_query_map();
    let param = move |name: &str| crate::components::query_param(query, name);
    let chosen = move |action: &str| param("action").as_deref() == Some(action);
    view! {
        <form method="get" class="filters" aria-label="Search">
            <label for="c-q">"Name"</label>
            <input
                id="c-q"
                name="q"
                type="search"
                prop:value=move || param("q").unwrap_or_default()
            />
            <label for="c-action">"Next action"</label>
            <select id="c-action" name="action">
                <option value="">"Any"</option>
                <option value="reissue" selected=move || chosen("reissue")>
                    "Reissue due"
                </option>
                <option value="renew" selected=move || chosen("renew")>
                    "Renew due"
                </option>
                <option value="dcv" selected=move || chosen("dcv")>
                    "DCV lapsing"
                </option>
            </select>
            <button type="submit" class="secondary">
                "Search"
            </button>
            <a class="button secondary" id="certificates-csv" rel="external" download href=csv>
                "Export CSV"
            </a>
        </form>
    }
}

#[component]
fn CertificateTable(rows: Vec<CurrentCertificate>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="muted" id="certificates-empty">
                "No current certificates."
            </p>
        }
        .into_any();
    }
    view! {
        <table id="current-certificates">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Serial"</th>
                    <th>"Requester"</th>
                    <th>"Ends"</th>
                    <th>"Order runs until"</th>
                    <th>"Next"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|c| view! { <CurrentCertificateLine c /> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// One current certificate: its name (to its request), serial, requester, end, the order's
/// end, and what is due next (a link to where it is done).
#[component]
fn CurrentCertificateLine(c: CurrentCertificate) -> impl IntoView {
    let action = c.next_action;
    let order_ends = match (c.order_valid_till, c.order_days_left) {
        (Some(till), Some(days)) => format!("{till} ({days} days)"),
        _ => "–".to_owned(),
    };
    // The view takes its children before its attributes: the serial is copied for the row first.
    let key = c.serial.clone();
    view! {
        <tr data-serial=key class=format!("next-{}", action.as_str())>
            <td>
                <a href=format!("/requests/{}", c.request_id)>{c.common_name}</a>
            </td>
            <td>
                <code>{c.serial}</code>
            </td>
            <td>{c.requester}</td>
            <td>{format!("{} ({} days)", c.valid_till, c.days_left)}</td>
            <td>{order_ends}</td>
            <td>
                {match action.page(c.request_id) {
                    Some(href) => view! { <a href=href>{action.label()}</a> }.into_any(),
                    None => view! { <span>{action.label()}</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}

/// The width of a week's bar in the chart.
const BAR: f64 = 20.0;
/// The chart's height without the axis labels.
const HEIGHT: f64 = 120.0;

/// Stacked bars, one per week: certificates whose order runs on (reissue) and those whose order
/// ends with them (renew). Plain SVG, so it shows without JavaScript and prints.
#[component]
fn WeekChart(weeks: Vec<super::model::WeekBar>) -> impl IntoView {
    let most = weeks
        .iter()
        .map(|w| w.reissue + w.renew)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let total: i64 = weeks.iter().map(|w| w.reissue + w.renew).sum();
    let width = BAR * weeks.len() as f64;
    let label = match total {
        1 => "1 certificate ends in the next 26 weeks".to_owned(),
        n => format!("{n} certificates end in the next 26 weeks"),
    };
    view! {
        <figure class="week-chart">
            <svg
                viewBox=format!("0 0 {width} {}", HEIGHT + 16.0)
                role="img"
                aria-label=label.clone()
                id="week-chart"
            >
                {weeks
                    .into_iter()
                    .enumerate()
                    .map(|(i, week)| view! { <WeekColumn index=i week most /> })
                    .collect_view()}
            </svg>
            <figcaption>
                {label}" per week: "<span class="key-reissue">"reissue"</span>
                " (the order runs on), "<span class="key-renew">"renew"</span>" (the order ends)."
            </figcaption>
        </figure>
    }
}

/// One week's stacked bar, scaled so the busiest week (`most` certificates) fills the height;
/// every fourth week is labelled with its date.
#[component]
fn WeekColumn(index: usize, week: super::model::WeekBar, most: f64) -> impl IntoView {
    let x = index as f64 * BAR + 2.0;
    let renew_h = week.renew as f64 / most * HEIGHT;
    let reissue_h = week.reissue as f64 / most * HEIGHT;
    let title = format!(
        "Week of {}: {} to reissue, {} to renew",
        week.week, week.reissue, week.renew,
    );
    // "2026-12-07" is labelled "12-07".
    let axis = index
        .is_multiple_of(4)
        .then(|| week.week.get(5..).unwrap_or(&week.week).to_owned());
    view! {
        <g>
            <title>{title}</title>
            <rect class="bar-reissue" x=x y=HEIGHT - reissue_h width=BAR - 4.0 height=reissue_h />
            <rect
                class="bar-renew"
                x=x
                y=HEIGHT - reissue_h - renew_h
                width=BAR - 4.0
                height=renew_h
            />
            {axis
                .map(|day| {
                    view! {
                        <text x=x y=HEIGHT + 12.0 class="axis">
                            {day}
                        </text>
                    }
                })}
        </g>
    }
}
