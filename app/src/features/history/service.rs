//! History queries: one SQL statement per page (requester and approver joined in, no N+1), keyset
//! pagination on the sort key and id (no OFFSET), and the same statement streamed for CSV.

use super::model::{HistoryFilter, HistoryPage, HistoryRow};
use crate::csv;
use crate::error::{AppError, FormErrors};
use crate::features::digicert::dates::IsoDate;
use crate::features::digicert::products::ProductId;
use crate::features::requests::model::RequestStatus;
use crate::server::format_time;
use crate::server::search::contains_pattern;
use futures::{Stream, StreamExt};
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};

pub const HISTORY_PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Submitted,
    Name,
}

/// How the search text is matched against a request's names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameMatch {
    /// A label of a name starts with the text (`shop` and `shop.exa` find
    /// `www.shop.example.com`): a range of the label-suffix index, `from` ≤ suffix < `to`, whose
    /// cost follows the names that match. What a search tries first.
    LabelStart { from: String, to: String },
    /// The text anywhere in a name (`hop` finds `shop.example.com`), as a `like` pattern for
    /// the trigram index: the wider search, when no label starts with the text.
    Anywhere(String),
}

impl NameMatch {
    fn label_start(text: &str) -> NameMatch {
        // In bytewise order every string that starts with `text` sorts below `text` followed
        // by the highest code point.
        NameMatch::LabelStart {
            from: text.to_owned(),
            to: format!("{text}\u{10FFFF}"),
        }
    }
}

/// The filter, checked and ready to bind.
#[derive(Debug, Clone)]
struct Query {
    /// The name search, lower case.
    name_text: Option<String>,
    names: Option<NameMatch>,
    /// The search text as a certificate serial (hexadecimal, colons and spaces dropped).
    serial: Option<String>,
    requester: Option<String>,
    approver: Option<String>,
    product: Option<String>,
    status: Option<String>,
    organization: Option<i64>,
    from: Option<time::Date>,
    to: Option<time::Date>,
    sort: SortKey,
    descending: bool,
    after_text: Option<String>,
    after_time: Option<OffsetDateTime>,
    after_id: i64,
}

impl Query {
    /// The same filter with the name text matched anywhere in a name: asked when matching it
    /// at the start of a label found nothing. One statement in the common case, and pages stay
    /// consistent: a later page exists only when the first one was full.
    fn widened(&self) -> Option<Query> {
        if !matches!(self.names, Some(NameMatch::LabelStart { .. })) {
            return None;
        }
        let pattern = contains_pattern(self.name_text.as_deref()?)?;
        Some(Query {
            names: Some(NameMatch::Anywhere(pattern)),
            ..self.clone()
        })
    }
}

/// Shortest name search: the trigram index answers from three characters on; shorter text would
/// make PostgreSQL read every row.
pub const MIN_NAME_SEARCH_CHARS: usize = 3;

fn parse(filter: &HistoryFilter) -> Result<Query, AppError> {
    crate::server::search::check_search_lengths(&[
        ("q", &filter.q),
        ("requester", &filter.requester),
        ("approver", &filter.approver),
        ("after", &filter.after),
    ])?;
    let mut errors = FormErrors::new("Some filters cannot be used.");
    let typed = filter.q.trim().chars().count();
    if typed > 0 && typed < MIN_NAME_SEARCH_CHARS {
        errors.add(
            "q",
            format!("Type at least {MIN_NAME_SEARCH_CHARS} characters of a name."),
        );
    }
    let from = optional_date(&mut errors, "from", &filter.from);
    let to = optional_date(&mut errors, "to", &filter.to);
    let product = Some(filter.product.trim()).filter(|p| !p.is_empty());
    if let Some(p) = product
        && ProductId::parse(p).is_none()
    {
        errors.add("product", "Unknown product.");
    }
    let status = Some(filter.status.trim()).filter(|s| !s.is_empty());
    if let Some(s) = status
        && RequestStatus::parse(s).is_none()
    {
        errors.add("status", "Unknown status.");
    }
    let organization = organization_id(&mut errors, &filter.organization);
    let sort = match filter.sort.as_str() {
        "name" => SortKey::Name,
        _ => SortKey::Submitted,
    };
    let descending = filter.dir != "asc";
    let after = if filter.after.is_empty() {
        After::default()
    } else {
        After::parse(&filter.after, sort).unwrap_or_else(|| {
            errors.add("after", "This page link is out of date.");
            After::default()
        })
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let name_text = Some(filter.q.trim().to_lowercase()).filter(|text| !text.is_empty());
    Ok(Query {
        names: name_text.as_deref().map(NameMatch::label_start),
        name_text,
        serial: as_serial(&filter.q),
        requester: contains_pattern(&filter.requester),
        approver: contains_pattern(&filter.approver),
        product: product.map(str::to_owned),
        status: status.map(str::to_owned),
        organization,
        from,
        to,
        sort,
        descending,
        after_text: after.text,
        after_time: after.time,
        after_id: after.id,
    })
}

/// A `yyyy-mm-dd` filter; empty is none.
fn optional_date(errors: &mut FormErrors, field: &str, text: &str) -> Option<Date> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match IsoDate::parse(text) {
        Ok(IsoDate(d)) => Some(d),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

fn organization_id(errors: &mut FormErrors, text: &str) -> Option<i64> {
    match text.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("organization", "An organization id is a number.");
                None
            }
        },
    }
}

/// Where a page link continues: after this sort key (a name or a time) and request id.
#[derive(Default)]
struct After {
    text: Option<String>,
    time: Option<OffsetDateTime>,
    id: i64,
}

impl After {
    /// `None` when the cursor is not one this search made.
    fn parse(cursor: &str, sort: SortKey) -> Option<After> {
        let (key, id) = decode_cursor(cursor)?;
        Some(match sort {
            SortKey::Name => After {
                text: Some(key),
                time: None,
                id,
            },
            SortKey::Submitted => {
                let micros = key.parse::<i128>().ok()?;
                After {
                    text: None,
                    time: Some(OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).ok()?),
                    id,
                }
            }
        })
    }
}

/// Cursor: the sort key and the id, as hex of `key\u{1f}id` (opaque in the URL).
fn encode_cursor(key: &str, id: i64) -> String {
    format!("{key}\u{1f}{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(text: &str) -> Option<(String, i64)> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (key, id) = text.rsplit_once('\u{1f}')?;
    Some((key.to_owned(), id.parse().ok()?))
}

/// The statement for a query: the filters in use, then the keyset condition and order for its
/// sort, and `limit` when paged. Only the filters in use are written into it (every value still
/// bound): "$n is null or …" catch-alls would leave PostgreSQL's cached generic plan guessing,
/// and it guesses badly on small tables.
fn statement(query: &Query, limit: Option<i64>) -> QueryBuilder<'static, Postgres> {
    let mut sql = QueryBuilder::new(
        "select r.id, r.product, r.title, r.dns_names, r.status,
                u.display_name || ' <' || u.email || '>' as requester,
                d.display_name || ' <' || d.email || '>' as approver,
                r.organization_id, r.submitted_at, r.digicert_order_id, r.expires_at,
                r.price_cents, r.price_currency,
                (select c.serial_number from certificates c
                  where c.request_id = r.id and c.status = 'issued' and c.kind <> 'duplicate')
                  as serial
           from requests r
           join users u on u.id = r.requester_id
           left join users d on d.id = r.decided_by
          where true",
    );
    push_names(&mut sql, query);
    push_filters(&mut sql, query);
    push_page(&mut sql, query, limit);
    sql
}

/// The name search: a label's start (by the label index) or a fragment anywhere, or the serial
/// of one of the request's certificates.
fn push_names(sql: &mut QueryBuilder<'static, Postgres>, query: &Query) {
    if let Some(names) = &query.names {
        match names {
            NameMatch::LabelStart { from, to } => {
                sql.push(" and (r.id in (select l.request_id from request_name_labels l where l.suffix >= ")
                    .push_bind(from.clone())
                    .push(" and l.suffix < ")
                    .push_bind(to.clone())
                    .push(")");
            }
            NameMatch::Anywhere(pattern) => {
                sql.push(" and (r.names_text like ")
                    .push_bind(pattern.clone());
            }
        }
        if let Some(serial) = &query.serial {
            sql.push(" or exists (select 1 from certificates c where c.request_id = r.id and c.serial_number = ");
            sql.push_bind(serial.clone()).push(")");
        }
        sql.push(")");
    }
}

/// The filters besides names: people, product, status, organization, dates.
fn push_filters(sql: &mut QueryBuilder<'static, Postgres>, query: &Query) {
    for (pattern, table) in [(&query.requester, "u"), (&query.approver, "d")] {
        if let Some(pattern) = pattern {
            sql.push(format!(" and (lower({table}.email) like "));
            sql.push_bind(pattern.clone());
            sql.push(format!(" or lower({table}.display_name) like "));
            sql.push_bind(pattern.clone()).push(")");
        }
    }
    if let Some(product) = &query.product {
        sql.push(" and r.product = ").push_bind(product.clone());
    }
    if let Some(status) = &query.status {
        sql.push(" and r.status = ").push_bind(status.clone());
    }
    if let Some(organization) = query.organization {
        sql.push(" and r.organization_id = ")
            .push_bind(organization);
    }
    if let Some(from) = query.from {
        sql.push(" and r.submitted_at >= ").push_bind(from);
    }
    if let Some(to) = query.to {
        sql.push(" and r.submitted_at < ")
            .push_bind(to)
            .push(" + 1");
    }
}

/// Where the page starts (after the last row of the one before), its order, and its length.
fn push_page(sql: &mut QueryBuilder<'static, Postgres>, query: &Query, limit: Option<i64>) {
    let (op, dir) = if query.descending {
        ("<", "desc")
    } else {
        (">", "asc")
    };
    let column = match query.sort {
        SortKey::Submitted => "r.submitted_at",
        SortKey::Name => "r.title",
    };
    match (query.sort, query.after_time, &query.after_text) {
        (SortKey::Submitted, Some(at), _) => {
            sql.push(format!(" and ({column}, r.id) {op} ("));
            sql.push_bind(at)
                .push(", ")
                .push_bind(query.after_id)
                .push(")");
        }
        (SortKey::Name, _, Some(title)) => {
            sql.push(format!(" and ({column}, r.id) {op} ("));
            sql.push_bind(title.clone())
                .push(", ")
                .push_bind(query.after_id)
                .push(")");
        }
        _ => {}
    }
    sql.push(format!(" order by {column} {dir}, r.id {dir}"));
    if let Some(limit) = limit {
        sql.push(" limit ").push_bind(limit);
    }
}

/// One request as the history reads it.
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    product: ProductId,
    title: String,
    dns_names: Vec<String>,
    status: RequestStatus,
    requester: String,
    approver: Option<String>,
    organization_id: Option<i64>,
    submitted_at: OffsetDateTime,
    digicert_order_id: Option<i64>,
    expires_at: Option<OffsetDateTime>,
    price_cents: Option<i64>,
    price_currency: Option<String>,
    serial: Option<String>,
}

/// A search text that reads as a certificate serial: eight or more hexadecimal digits, with the
/// colons or spaces some tools print between bytes.
fn as_serial(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    (hex.len() >= 8 && hex.len() <= 64 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

fn to_row(row: Row) -> (HistoryRow, OffsetDateTime) {
    let price = crate::features::requests::repo::stored_price(row.price_cents, row.price_currency);
    (
        HistoryRow {
            id: row.id,
            product: row.product,
            title: row.title,
            dns_names: row.dns_names,
            status: row.status,
            requester: row.requester,
            approver: row.approver,
            organization_id: row.organization_id,
            submitted_at: format_time(row.submitted_at),
            digicert_order_id: row.digicert_order_id,
            expires_at: row.expires_at.map(format_time),
            price: crate::features::digicert::pricing::describe(price.as_ref()),
            serial: row.serial,
        },
        row.submitted_at,
    )
}

/// A page's rows and one more (there is a next page when it comes back).
async fn page_rows(pool: &PgPool, query: &Query, limit: i64) -> Result<Vec<Row>, AppError> {
    Ok(statement(query, Some(limit + 1))
        .build_query_as()
        .fetch_all(pool)
        .await?)
}

/// One page of the history.
pub async fn search(
    pool: &PgPool,
    filter: &HistoryFilter,
    limit: i64,
) -> Result<HistoryPage, AppError> {
    let mut query = parse(filter)?;
    let mut rows = page_rows(pool, &query, limit).await?;
    if rows.is_empty()
        && let Some(wider) = query.widened()
    {
        rows = page_rows(pool, &wider, limit).await?;
        query = wider;
    }
    let (rows, more) = crate::server::search::one_page(rows, limit);
    let mut last_key = None;
    let rows: Vec<HistoryRow> = rows
        .into_iter()
        .map(|row| {
            let (row, submitted) = to_row(row);
            let key = match query.sort {
                SortKey::Submitted => (submitted.unix_timestamp_nanos() / 1000).to_string(),
                SortKey::Name => row.title.clone(),
            };
            last_key = Some(encode_cursor(&key, row.id));
            row
        })
        .collect();
    Ok(HistoryPage {
        rows,
        next: if more { last_key } else { None },
        organizations: Vec::new(),
    })
}

pub const CSV_HEADER: [&str; 13] = [
    "id",
    "product",
    "common name",
    "additional names",
    "status",
    "requester",
    "approver",
    "organization",
    "submitted",
    "DigiCert order",
    "expires",
    "estimated price",
    "serial",
];

/// Every row of the filter as CSV lines, streamed from the database as they arrive (memory stays
/// flat however many rows there are). The header comes first.
pub fn csv_stream(
    pool: PgPool,
    filter: &HistoryFilter,
) -> Result<impl Stream<Item = Result<String, AppError>> + Send + 'static, AppError> {
    let mut query = parse(filter)?;
    // An export covers the whole filter, not the page the admin was on.
    query.after_text = None;
    query.after_time = None;
    let header = futures::stream::once(async { Ok(csv::line(&CSV_HEADER)) });
    let rows = async_stream(pool, query);
    Ok(header.chain(rows))
}

/// The longest an export may hold its pooled connection: a reader slower than this (or one that
/// stops reading) is cut off, and PostgreSQL cancels the statement itself at the same limit.
const EXPORT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs the query in its own task and hands rows over a small bounded channel, a few hundred
/// at a time: the database cursor advances only as fast as the client reads, within
/// [`EXPORT_LIMIT`].
fn async_stream(
    pool: PgPool,
    query: Query,
) -> impl Stream<Item = Result<String, AppError>> + Send + 'static {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<String, AppError>>(4);
    tokio::spawn(async move {
        let export = send_rows(&pool, query, &sender);
        let outcome = match tokio::time::timeout(EXPORT_LIMIT, export).await {
            Ok(outcome) => outcome,
            Err(_) => Err(AppError::Unavailable(
                "The export took too long and was stopped; narrow the filters.".into(),
            )),
        };
        if let Err(err) = outcome {
            let _ = sender.try_send(Err(err));
        }
    });
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// Streams the rows into `sender` in chunks of 500 lines, inside a transaction whose statement
/// timeout is the export limit.
async fn send_rows(
    pool: &PgPool,
    query: Query,
    sender: &tokio::sync::mpsc::Sender<Result<String, AppError>>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "set local statement_timeout = {}",
        EXPORT_LIMIT.as_millis()
    ))
    .execute(&mut *tx)
    .await?;
    let sent = send_statement_rows(&mut tx, &query, sender).await?;
    if sent == Some(0)
        && let Some(wider) = query.widened()
    {
        send_statement_rows(&mut tx, &wider, sender).await?;
    }
    Ok(())
}

/// Streams one statement's rows; how many, or `None` when the client went away.
async fn send_statement_rows(
    tx: &mut sqlx::PgConnection,
    query: &Query,
    sender: &tokio::sync::mpsc::Sender<Result<String, AppError>>,
) -> Result<Option<u64>, AppError> {
    let mut statement = statement(query, None);
    let mut rows = statement.build_query_as::<Row>().fetch(&mut *tx);
    let mut chunk = String::new();
    let (mut in_chunk, mut sent) = (0, 0);
    while let Some(row) = rows.next().await {
        chunk.push_str(&csv_line(row?));
        in_chunk += 1;
        sent += 1;
        if in_chunk == 500 {
            in_chunk = 0;
            if sender.send(Ok(std::mem::take(&mut chunk))).await.is_err() {
                return Ok(None); // the client went away
            }
        }
    }
    if !chunk.is_empty() && sender.send(Ok(chunk)).await.is_err() {
        return Ok(None);
    }
    Ok(Some(sent))
}

fn csv_line(row: Row) -> String {
    let (r, _) = to_row(row);
    csv::line(&[
        r.id.to_string(),
        r.product.name_id().to_owned(),
        r.title,
        r.dns_names.join(" "),
        r.status.as_str().to_owned(),
        r.requester,
        r.approver.unwrap_or_default(),
        r.organization_id.map(|o| o.to_string()).unwrap_or_default(),
        r.submitted_at,
        r.digicert_order_id
            .map(|o| o.to_string())
            .unwrap_or_default(),
        r.expires_at.unwrap_or_default(),
        r.price,
        r.serial.unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests;
