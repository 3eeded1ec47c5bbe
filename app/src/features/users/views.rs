use super::api::list_users;
use crate::components::{ErrorPanel, Guarded};
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users" />
        <Guarded role=Role::Admin>
            <UserList />
        </Guarded>
    }
}

#[component]
fn UserList() -> impl IntoView {
    let query = use_query_map();
    let users = Resource::new(move || query.read().get("after"), list_users);
    view! {
        <h1>"Users"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) => view! {
                        <table>
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Roles"</th><th>"Status"</th></tr></thead>
                            <tbody>
                                {page.users.into_iter().map(|u| {
                                    let roles = u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
                                    view! {
                                        <tr>
                                            <td>{u.display_name}</td>
                                            <td>{u.email}</td>
                                            <td>{roles}</td>
                                            <td>{if u.active { "active" } else { "deactivated" }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {page.next_after.map(|after| view! {
                            <p><a href=format!("/users?after={after}")>"Next page"</a></p>
                        })}
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
