use super::api::{Activity, load_dashboard};
use crate::components::{ErrorPanel, Guarded, resource};
use crate::features::auth::{Auth, CurrentUser};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <Guarded>
            <Dashboard />
        </Guarded>
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let summary = resource(|| (), |_| load_dashboard());
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let user = auth.user.await.ok().flatten();
                let summary = summary.await;
                let Some(user) = user else { return ().into_any() };
                view! {
                    <Welcome user />
                    {match summary {
                        Ok(summary) => {
                            view! {
                                <WaitingOnDcv orders=summary.mine_waiting_on_dcv />
                                {summary.overview.map(|o| view! { <OverviewPanel o /> })}
                                <RecentActivity activity=summary.recent_activity />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }}
                }
                    .into_any()
            })}
        </Suspense>
    }
}

/// Who is signed in, with what roles, and a tile for each page they may use.
#[component]
fn Welcome(user: CurrentUser) -> impl IntoView {
    let roles = user
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let tiles = user
        .navigation()
        .into_iter()
        .map(|item| {
            view! {
                <li>
                    <a class="tile" href=item.href()>
                        {item.label()}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <h1>"Welcome, " {user.display_name}</h1>
        <p class="muted">"Signed in as " {user.email} " · roles: " {roles}</p>
        <ul class="tiles">{tiles}</ul>
    }
}

/// How many of the person's orders wait for them to prove control of a domain, if any do.
#[component]
fn WaitingOnDcv(orders: i64) -> impl IntoView {
    let wait = match orders {
        1 => "1 of your orders waits for you to prove control of a domain.".to_owned(),
        n => format!("{n} of your orders wait for you to prove control of a domain."),
    };
    (orders > 0).then(|| {
        view! {
            <p class="notice" id="my-dcv">
                <a href="/requests">{wait}</a>
                " Open the request to see the record to publish."
            </p>
        }
    })
}

#[component]
fn RecentActivity(activity: Vec<Activity>) -> impl IntoView {
    view! {
        <h2>"Your recent activity"</h2>
        <table>
            <thead>
                <tr>
                    <th>"When"</th>
                    <th>"What"</th>
                    <th>"From"</th>
                </tr>
            </thead>
            <tbody>
                {activity
                    .into_iter()
                    .map(|a| {
                        view! {
                            <tr>
                                <td>{a.at}</td>
                                <td>{a.action}</td>
                                <td>{a.client_ip.unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn OverviewPanel(o: super::api::Overview) -> impl IntoView {
    view! {
        <section class="overview" aria-label="Overview">
            <h2>"Certificates"</h2>
            <ul class="tiles numbers">
                {o
                    .by_status
                    .into_iter()
                    .map(|(label, n)| {
                        view! {
                            <li class="tile">
                                <strong>{n}</strong>
                                " "
                                {label}
                            </li>
                        }
                    })
                    .collect_view()} <li class="tile" id="oldest-pending">
                    <strong>{o.oldest_pending.unwrap_or_else(|| "–".into())}</strong>
                    " oldest pending approval"
                </li> <li class="tile">
                    <strong>{o.issued_this_month}</strong>
                    " issued this month"
                </li> <li class="tile">
                    <strong>{o.forward_failures}</strong>
                    " refused by DigiCert"
                </li> <li class="tile" id="changes-waiting">
                    <strong>{o.changes_waiting}</strong>
                    " reissues, duplicates and revocations waiting for approval"
                </li> <li class="tile" id="waiting-on-dcv">
                    <strong>{o.waiting_on_dcv}</strong>
                    " waiting on domain validation"
                </li> <li class="tile" id="reissue-due">
                    <strong>{o.reissue_due}</strong>
                    " reissue due (certificate ending, order running)"
                </li> <li class="tile" id="renew-due">
                    <strong>{o.renew_due}</strong>
                    " renew due (order ending)"
                </li> <li class="tile" id="expiring">
                    <strong>
                        {format!("{} / {} / {}", o.expiring[0], o.expiring[1], o.expiring[2])}
                    </strong>
                    " expiring within 30 / 60 / 90 days"
                </li>
            </ul>
        </section>
    }
}
