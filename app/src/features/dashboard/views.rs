use super::api::load_dashboard;
use crate::app::Auth;
use crate::components::{ErrorPanel, Guarded};
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
    let summary = Resource::new(|| (), |_| load_dashboard());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = auth.user.await.ok().flatten();
                let summary = summary.await;
                let Some(user) = user else { return ().into_any() };
                let cards = user
                    .navigation()
                    .into_iter()
                    .map(|item| view! { <li><a class="tile" href=item.href()>{item.label()}</a></li> })
                    .collect_view();
                let roles = user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
                view! {
                    <h1>"Welcome, " {user.display_name.clone()}</h1>
                    <p class="muted">"Signed in as " {user.email.clone()} " · roles: " {roles}</p>
                    <ul class="tiles">{cards}</ul>
                    <h2>"Your recent activity"</h2>
                    {match summary {
                        Ok(summary) => view! {
                            <table>
                                <thead><tr><th>"When"</th><th>"What"</th><th>"From"</th></tr></thead>
                                <tbody>
                                    {summary.recent_activity.into_iter().map(|a| view! {
                                        <tr><td>{a.at}</td><td>{a.action}</td><td>{a.client_ip.unwrap_or_default()}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}
