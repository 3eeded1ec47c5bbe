//! `/history`: every request, filtered by a plain GET form, keyset-paged, exportable as CSV.

use super::api::search_history;
use super::model::{self, HistoryFilter, HistoryRow};
use crate::components::{
    ErrorPanel, Guarded, Json, LoadedOrganizationSelect, NextPageLink, resource,
};
use crate::error::AppError;
use crate::features::auth::Role;
use crate::features::digicert::products::ProductId;
use crate::features::requests::model::RequestStatus;
use crate::features::requests::views::StatusBadge;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

#[component]
pub fn HistoryPage() -> impl IntoView {
    view! {
        <Title text="History" />
        <Guarded role=Role::Admin>
            <History />
        </Guarded>
    }
}

/// The filters as the address gives them; a missing one is empty.
fn filter_from(query: &ParamsMap) -> HistoryFilter {
    let get = |k: &str| query.get(k).unwrap_or_default();
    HistoryFilter {
        q: get("q"),
        requester: get("requester"),
        approver: get("approver"),
        product: get("product"),
        status: get("status"),
        organization: get("organization"),
        from: get("from"),
        to: get("to"),
        sort: get("sort"),
        dir: get("dir"),
        after: get("after"),
    }
}

/// One page of results, with the organizations to filter by.
type Results = Resource<Result<model::HistoryPage, AppError>, Json>;

#[component]
fn History() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_from(&query.read()));
    let page = resource(move || filter.get(), |f| search_history(Some(f)));
    view! {
        <div class="page-head">
            <h1>"History"</h1>
            <a
                class="button secondary"
                id="export-csv"
                rel="external"
                download
                href=move || format!("/history.csv?{}", filter.with(|f| f.query_string()))
            >
                "Export CSV"
            </a>
        </div>
        <Filters filter page />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.rows.is_empty() => {
                        view! {
                            <p class="muted" id="history-empty">
                                "No requests match."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(page) => {
                        let next = page
                            .next
                            .map(|after| {
                                format!(
                                    "/history?{}&after={after}",
                                    filter.with_untracked(|f| f.query_string()),
                                )
                            });
                        view! {
                            <HistoryTable rows=page.rows />
                            <NextPageLink href=next label="Next page" />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The search form, a plain GET form showing the filters in force. The organizations to choose
/// from come with the results.
#[component]
fn Filters(filter: Memo<HistoryFilter>, page: Results) -> impl IntoView {
    let text = move |f: fn(&HistoryFilter) -> &String| move || filter.with(|x| f(x).clone());
    view! {
        <form method="get" class="filters" aria-label="Search">
            <label for="h-q">"Name"</label>
            <input
                id="h-q"
                name="q"
                type="search"
                placeholder="common name, SAN or serial"
                prop:value=text(|f| &f.q)
            />
            <label for="h-requester">"Requester"</label>
            <input
                id="h-requester"
                name="requester"
                type="search"
                prop:value=text(|f| &f.requester)
            />
            <label for="h-approver">"Approver"</label>
            <input id="h-approver" name="approver" type="search" prop:value=text(|f| &f.approver) />
            <label for="h-product">"Product"</label>
            <select id="h-product" name="product">
                {filter_options(
                    filter,
                    |f| &f.product,
                    ProductId::ALL.map(|p| (p.name_id(), p.display_name())),
                )}
            </select>
            <label for="h-status">"Status"</label>
            <select id="h-status" name="status">
                {filter_options(
                    filter,
                    |f| &f.status,
                    RequestStatus::ALL.map(|s| (s.as_str(), s.label())),
                )}
            </select>
            <label for="h-organization">"Organization"</label>
            <LoadedOrganizationSelect
                id="h-organization"
                selected=Signal::derive(move || filter.with(|f| f.organization.clone()))
                page
                organizations=|page| page.organizations
            />
            <label for="h-from">"From"</label>
            <input id="h-from" name="from" type="date" prop:value=text(|f| &f.from) />
            <label for="h-to">"To"</label>
            <input id="h-to" name="to" type="date" prop:value=text(|f| &f.to) />
            <SortFilters filter />
            <button type="submit">"Search"</button>
        </form>
    }
}

/// A select's options: "Any", then each `(value, label)` of `choices`, the one the filter's
/// `field` holds selected.
fn filter_options<const N: usize>(
    filter: Memo<HistoryFilter>,
    field: fn(&HistoryFilter) -> &String,
    choices: [(&'static str, &'static str); N],
) -> impl IntoView {
    let options = choices
        .into_iter()
        .map(|(value, label)| {
            view! {
                <option value=value selected=move || filter.with(|f| field(f) == value)>
                    {label}
                </option>
            }
        })
        .collect_view();
    view! {
        <option value="">"Any"</option>
        {options}
    }
}

/// What the results are sorted by, and in which direction.
#[component]
fn SortFilters(filter: Memo<HistoryFilter>) -> impl IntoView {
    view! {
        <label for="h-sort">"Sort"</label>
        <select id="h-sort" name="sort">
            <option value="submitted" selected=move || filter.with(|f| f.sort != "name")>
                "Submitted"
            </option>
            <option value="name" selected=move || filter.with(|f| f.sort == "name")>
                "Name"
            </option>
        </select>
        <select name="dir" aria-label="Direction">
            <option value="desc" selected=move || filter.with(|f| f.dir != "asc")>
                "Newest / Z first"
            </option>
            <option value="asc" selected=move || filter.with(|f| f.dir == "asc")>
                "Oldest / A first"
            </option>
        </select>
    }
}

#[component]
fn HistoryTable(rows: Vec<HistoryRow>) -> impl IntoView {
    view! {
        <table class="history">
            <thead>
                <tr>
                    <th>"#"</th>
                    <th>"Name"</th>
                    <th>"Product"</th>
                    <th>"Status"</th>
                    <th>"Requester"</th>
                    <th>"Approver"</th>
                    <th>"Submitted"</th>
                    <th>"Expires"</th>
                    <th>"Estimated price"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <HistoryLine row /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn HistoryLine(row: HistoryRow) -> impl IntoView {
    let r = row;
    view! {
        <tr>
            <td>
                <a href=format!("/requests/{}", r.id)>{r.id}</a>
            </td>
            <td>
                <a href=format!("/requests/{}", r.id)>{r.title}</a>
                {(!r.dns_names.is_empty())
                    .then(|| {
                        view! { <div class="muted small">{r.dns_names.join(", ")}</div> }
                    })}
            </td>
            <td>{r.product.display_name()}</td>
            <td>
                <StatusBadge status=r.status />
            </td>
            <td>{r.requester}</td>
            <td>{r.approver.unwrap_or_default()}</td>
            <td>{r.submitted_at}</td>
            <td>{r.expires_at.unwrap_or_default()}</td>
            <td>{r.price}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The export link and the next-page link carry the filters as `query_string` writes them;
    /// the page reads them back into the same filter.
    #[test]
    fn the_filters_in_an_address_read_back_as_written() {
        let written = HistoryFilter {
            q: "shop.example.com & co".into(),
            requester: "ana@example.com".into(),
            product: "ssl_basic".into(),
            status: "issued".into(),
            from: "2026-01-01".into(),
            sort: "name".into(),
            dir: "asc".into(),
            ..HistoryFilter::default()
        };
        let query: ParamsMap = url::form_urlencoded::parse(written.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(filter_from(&query), written);
        assert_eq!(filter_from(&ParamsMap::new()), HistoryFilter::default());
    }
}
