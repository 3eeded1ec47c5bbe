use super::api::{
    ChangePassword, CreateAccount, ResetUserPassword, SetUserActive, SetUserRoles, UserSummary,
    list_users,
};
use crate::components::{AlertLine, ErrorPanel, FieldError, Guarded, NextPageLink, resource};
use crate::encoding::encode_query_value;
use crate::error::AppError;
use crate::features::auth::Auth;
use crate::features::auth::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users" />
        <Guarded role=Role::Admin>
            <UserList />
        </Guarded>
    }
}

/// Actions of the users page, shared by every row.
#[derive(Clone, Copy)]
struct Actions {
    active: ServerAction<SetUserActive>,
    roles: ServerAction<SetUserRoles>,
    reset: ServerAction<ResetUserPassword>,
}

#[component]
fn UserList() -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateAccount>::new();
    let actions = Actions {
        active: ServerAction::new(),
        roles: ServerAction::new(),
        reset: ServerAction::new(),
    };
    let users = resource(
        move || {
            (
                query.read().get("after"),
                query.read().get("q"),
                create.version().get(),
                actions.active.version().get(),
                actions.roles.version().get(),
            )
        },
        |(after, q, _, _, _)| list_users(after, q),
    );
    let problem = move || {
        actions
            .active
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| actions.roles.value().get().and_then(|r| r.err()))
            .or_else(|| actions.reset.value().get().and_then(|r| r.err()))
    };
    let search = move || query.read().get("q").unwrap_or_default();
    view! {
        <h1>"Users"</h1>
        <TemporaryPasswordBanner create reset=actions.reset />
        <AlertLine
            message=Signal::derive(move || problem().map(|e| e.to_string()))
            id="users-error"
        />
        <form method="get" class="filters" aria-label="Search users">
            <label for="u-q">"Search"</label>
            <input id="u-q" name="q" type="search" placeholder="name or email" prop:value=search />
            <button type="submit" class="secondary">
                "Search"
            </button>
        </form>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) => {
                        let next = page.next_after.map(|after| next_page_href(&search(), &after));
                        view! {
                            <UsersTable users=page.users actions />
                            <NextPageLink href=next label="Next page" />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <NewUserForm create />
    }
}

/// The next page of the list: the same search, after the last person shown.
fn next_page_href(search: &str, after: &str) -> String {
    let after = encode_query_value(after);
    if search.is_empty() {
        format!("/users?after={after}")
    } else {
        format!("/users?q={}&after={after}", encode_query_value(search))
    }
}

/// A temporary password just made (for a new user or by a reset), shown this once.
#[component]
fn TemporaryPasswordBanner(
    create: ServerAction<CreateAccount>,
    reset: ServerAction<ResetUserPassword>,
) -> impl IntoView {
    let temporary = move || {
        create
            .value()
            .get()
            .and_then(|r| r.ok())
            .or_else(|| reset.value().get().and_then(|r| r.ok()))
    };
    move || {
        temporary().map(|t| {
            view! {
                <div class="banner" role="status" id="temporary-password">
                    <p>
                        "Temporary password for " <strong>{t.email}</strong> ": "
                        <code>{t.password}</code>
                    </p>
                    <p class="muted">
                        "Shown once. The person chooses their own password at first sign-in."
                    </p>
                </div>
            }
        })
    }
}

#[component]
fn UsersTable(users: Vec<UserSummary>, actions: Actions) -> impl IntoView {
    view! {
        <table class="users">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Email"</th>
                    <th>"Roles"</th>
                    <th>"Status"</th>
                    <th>"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {users.into_iter().map(|u| view! { <UserRow u actions /> }).collect_view()}
            </tbody>
        </table>
    }
}

/// Creating an account: email, name and roles; the temporary password shows above the list.
#[component]
fn NewUserForm(create: ServerAction<CreateAccount>) -> impl IntoView {
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <section class="card">
            <h2>"New user"</h2>
            <AlertLine message=move || create_error.get().map(|e: AppError| e.to_string()) />
            <ActionForm action=create attr:class="new-user">
                <div class="field">
                    <label for="n-email">"Email"</label>
                    <input id="n-email" name="email" type="email" required />
                    <FieldError error=create_error field="email" />
                </div>
                <div class="field">
                    <label for="n-name">"Name"</label>
                    <input id="n-name" name="display_name" type="text" required />
                    <FieldError error=create_error field="display_name" />
                </div>
                <div class="checks">
                    <label>
                        <input type="checkbox" name="requester" checked />
                        " requester"
                    </label>
                    <label>
                        <input type="checkbox" name="approver" />
                        " approver"
                    </label>
                    <label>
                        <input type="checkbox" name="admin" />
                        " admin"
                    </label>
                </div>
                <FieldError error=create_error field="roles" />
                <button type="submit">"Create user"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn UserRow(u: UserSummary, actions: Actions) -> impl IntoView {
    let (id_roles, id_active, id_reset) = (u.id.to_string(), u.id.to_string(), u.id.to_string());
    let (requester, approver, admin) = (
        u.roles.contains(&Role::Requester),
        u.roles.contains(&Role::Approver),
        u.roles.contains(&Role::Admin),
    );
    let active = u.active;
    view! {
        <tr id=format!("user-{}", u.email)>
            <td>
                {u.display_name.clone()}
                {u
                    .single_sign_on
                    .then(|| {
                        view! {
                            <span
                                class="tag"
                                title="Signs in through the company's provider, which sets the roles at every sign-in"
                            >
                                "single sign-on"
                            </span>
                        }
                    })}
            </td>
            <td>{u.email.clone()}</td>
            <td>
                <ActionForm action=actions.roles attr:class="inline-form">
                    <input type="hidden" name="id" value=id_roles />
                    <label>
                        <input type="checkbox" name="requester" checked=requester />
                        " requester"
                    </label>
                    <label>
                        <input type="checkbox" name="approver" checked=approver />
                        " approver"
                    </label>
                    <label>
                        <input type="checkbox" name="admin" checked=admin />
                        " admin"
                    </label>
                    <button type="submit" class="secondary">
                        "Save roles"
                    </button>
                </ActionForm>
            </td>
            <td>{if active { "active" } else { "deactivated" }}</td>
            <td class="row-actions">
                <ActionForm action=actions.active attr:class="inline-form">
                    <input type="hidden" name="id" value=id_active />
                    <input type="hidden" name="active" value=(!active).to_string() />
                    <button type="submit" class="secondary">
                        {if active { "Deactivate" } else { "Reactivate" }}
                    </button>
                </ActionForm>
                <ActionForm action=actions.reset attr:class="inline-form">
                    <input type="hidden" name="id" value=id_reset />
                    <button type="submit" class="secondary">
                        "Reset password"
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// `/account/password`: choose a new password (required after an admin's reset).
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let change = ServerAction::<ChangePassword>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            auth.reload_user();
            navigate("/", Default::default());
        }
    });
    let error = Signal::derive(move || change.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Choose a password" />
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <p class="muted">
                "At least 12 characters. Your administrator gave you a temporary one; it stops working now."
            </p>
            <AlertLine message=move || error.get().map(|e| e.to_string()) />
            <ActionForm action=change>
                <div class="field">
                    <label for="current_password">"Current password"</label>
                    <input
                        id="current_password"
                        name="current_password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || change.value().with(|_| String::new())
                    />
                    <FieldError error field="current_password" />
                </div>
                <div class="field">
                    <label for="new_password">"New password"</label>
                    <input
                        id="new_password"
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        required
                        prop:value=move || change.value().with(|_| String::new())
                    />
                    <FieldError error field="new_password" />
                </div>
                <button type="submit">"Save password"</button>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_the_search_and_an_email_with_a_plus_survives() {
        assert_eq!(
            next_page_href("", "ana+certs@example.com"),
            "/users?after=ana%2Bcerts%40example.com"
        );
        assert_eq!(
            next_page_href("ana b", "ana@example.com"),
            "/users?q=ana%20b&after=ana%40example.com"
        );
    }
}
