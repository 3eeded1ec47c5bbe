//! Pages whose features are still being built: each is guarded by its role and says plainly what
//! it will hold, so the navigation of every role already leads somewhere true.

use crate::components::Guarded;
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn Upcoming(title: &'static str, role: Role, what: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <Guarded role>
            <h1>{title}</h1>
            <p class="muted">{what}</p>
            <p class="notice">"This part of certdesk is not available yet."</p>
        </Guarded>
    }
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    view! { <Upcoming title="History" role=Role::Admin what="Every request and order, searchable and exportable." /> }
}
